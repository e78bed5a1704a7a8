/* Fuzz target: session descriptions from the peer
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-sdp.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  P2pSdpTransport t;
  GstSDPMessage *msg = p2p_sdp_parse (text, &t, NULL);

  if (msg) {
    guint i;

    /* What a valid parse promises the transport code. */
    g_assert (t.ufrag && t.pwd && t.fingerprint && t.setup);
    for (i = 0; i < t.candidates->len; i++)
      g_assert (p2p_sdp_candidate_is_valid (g_ptr_array_index (t.candidates,
                  i)));
    gst_sdp_message_free (msg);
    p2p_sdp_transport_clear (&t);
  }
  p2p_sdp_candidate_is_valid (text);
  g_free (text);
  return 0;
}
