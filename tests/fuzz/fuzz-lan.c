/* Fuzz target: what a neighbour on the local network sends
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Every input is read as a discovery datagram (query and answer) and as a
 * call message, with and without its 4-byte length. */

#include "p2p-lan-wire.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static const guint8 nonce[P2P_LAN_NONCE_SIZE] = { 0 };
  P2pLanQuery query;
  P2pLanAnswer answer;
  P2pLanMessage msg;

  if (p2p_lan_query_parse (data, size, &query)) {
    g_assert (size == P2P_LAN_QUERY_SIZE);
    p2p_lan_query_matches (&query, "7KQ2-M9XD-4HPA-R3WV");
  }
  if (p2p_lan_answer_parse (data, size, &answer)) {
    g_assert (size == P2P_LAN_ANSWER_SIZE && answer.port != 0);
    p2p_lan_answer_matches (&answer, "7KQ2-M9XD-4HPA-R3WV", nonce);
  }

  if (p2p_lan_message_parse ((const gchar *) data, size, &msg, NULL)) {
    GBytes *frame;

    /* What a valid parse promises the signaller. */
    if (msg.type == P2P_LAN_MESSAGE_OFFER
        || msg.type == P2P_LAN_MESSAGE_ANSWER
        || msg.type == P2P_LAN_MESSAGE_CANDIDATE)
      g_assert (msg.text != NULL);
    /* It can be sent back as it came, within the limit. */
    frame = p2p_lan_message_to_frame (&msg);
    if (frame)
      g_assert (g_bytes_get_size (frame) <= P2P_LAN_MAX_MESSAGE + 4);
    g_clear_pointer (&frame, g_bytes_unref);
    p2p_lan_message_clear (&msg);
  }
  if (size >= 4 && p2p_lan_frame_length (data) == size - 4
      && p2p_lan_message_parse ((const gchar *) data + 4, size - 4, &msg, NULL))
    p2p_lan_message_clear (&msg);
  return 0;
}
