/* Fuzz target: message channel chunks from the peer
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The input is a sequence of chunks, each prefixed by a one-byte length,
 * fed to one channel: this reaches reassembly, reordering, duplicate and
 * acknowledgement handling, not just the header parser. */

#include "p2p-channel.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static gboolean
send_cb (const guint8 * data, gsize size, gpointer user_data)
{
  g_assert (size <= P2P_CHANNEL_MAX_CHUNK);
  return TRUE;
}

static void
message_cb (GBytes * message, gpointer user_data)
{
  g_assert (g_bytes_get_size (message) <= 4096);
}

static void
failed_cb (gpointer user_data)
{
}

static const P2pChannelCallbacks callbacks = {
  send_cb, message_cb, NULL, failed_cb
};

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  GMainContext *context = g_main_context_new ();
  P2pChannel *channel = p2p_channel_new (context, 4096, 65536, &callbacks,
      NULL);
  gsize pos = 0;

  while (pos < size) {
    gsize len = MIN (data[pos], size - pos - 1);

    p2p_channel_receive (channel, data + pos + 1, len);
    pos += 1 + len;
  }
  p2p_channel_free (channel);
  g_main_context_unref (context);
  return 0;
}
