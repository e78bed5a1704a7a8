/* Fuzz target: signalling messages from the server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The first input byte picks the receiving end (bit 0: device, else
 * viewer) and whether it is logged in (bit 1); the rest is one WebSocket
 * text frame. One call id is known, so call messages reach their
 * handlers. */

#include "p2p-signalling-private.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define KNOWN_CALL "AAAAAAAAAAAAAAAAAAAAAA"

static P2pSignalling *clients[2];

static void
make_clients (void)
{
  const gchar *servers[] = { "wss://127.0.0.1:1/", NULL };
  P2pLoop *loop = p2p_loop_new ("fuzz-signalling");
  P2pIdentity *identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256,
      "7KQ2-M9XD-4HPA-R3WV", 1, NULL);

  g_assert (identity != NULL);
  clients[0] = p2p_signalling_new_viewer (loop, servers);
  clients[1] = p2p_signalling_new_device (loop, servers,
      "7KQ2-M9XD-4HPA-R3WV", identity);
  g_object_unref (identity);
  g_object_unref (loop);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *text;

  if (clients[0] == NULL)
    make_clients ();
  if (size == 0)
    return 0;

  /* Frames reach the parser as they came off the wire: not terminated. */
  text = g_memdup2 (data + 1, size - 1);
  p2p_signalling_receive_for_test (clients[data[0] & 1], (data[0] & 2) != 0,
      KNOWN_CALL, text, size - 1);
  g_free (text);
  return 0;
}
