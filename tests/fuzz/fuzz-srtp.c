/* Fuzz target: SRTP and SRTCP packets from the peer
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The input is a profile byte (bit 0: AES-CM instead of AES-GCM) and then
 * records of a flags byte, a 16-bit big-endian length and that many bytes.
 * Flags: bit 0 RTCP; bit 1 the record is plaintext that a sender with the
 * right keys protects first (so the fuzzer reaches the index, rollover and
 * replay logic behind authentication); bit 2 then flip bit (flags >> 5) of
 * the byte at the record's first byte, modulo the protected size. One
 * receiver unprotects every record in turn. What must hold: a packet that
 * was tampered with is refused, and one that is accepted after protection
 * comes back as it was. */

#include "p2p-srtp.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define MAX_RECORD 1500

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static P2pSrtpSessionKeys keys;
  P2pSrtpProfile profile;
  P2pSrtp *sender, *receiver;
  gsize i;

  if (size < 1)
    return 0;
  profile = data[0] & 1 ? P2P_SRTP_PROFILE_AES128_CM_SHA1_80 :
      P2P_SRTP_PROFILE_AEAD_AES_128_GCM;
  /* Fixed keys, both profiles' worth; a fresh pair per input so that
   * every input starts from the same state. */
  for (i = 0; i < sizeof (keys); i++)
    ((guint8 *) & keys)[i] = i;
  sender = p2p_srtp_new_from_session_keys (profile, &keys, &keys, NULL);
  receiver = p2p_srtp_new_from_session_keys (profile, &keys, &keys, NULL);
  g_assert (sender && receiver);

  for (i = 1; i + 3 <= size;) {
    guint8 flags = data[i];
    gsize len = MIN ((gsize) (data[i + 1] << 8 | data[i + 2]), size - i - 3);
    gboolean rtcp = flags & 1, tampered = FALSE;
    const guint8 *record = data + i + 3;
    gsize n = len;
    guint8 *buf;

    i += 3 + len;
    if (len > MAX_RECORD)
      continue;
    /* Exactly sized when received as is, so a read past the packet is
     * caught by the sanitizers. */
    buf = g_malloc (len + ((flags & 2) ? P2P_SRTP_MAX_TRAILER : 0));
    if (len)
      memcpy (buf, record, len);
    if (flags & 2) {
      if (!p2p_srtp_protect (sender, rtcp, buf, &n)) {
        g_free (buf);
        continue;
      }
      if ((flags & 4) && len > 0) {
        buf[record[0] % n] ^= 1 << (flags >> 5);
        tampered = TRUE;
      }
      buf = g_realloc (buf, n);
    }
    if (p2p_srtp_unprotect (receiver, rtcp, buf, &n)) {
      g_assert (!tampered);
      if (flags & 2)
        g_assert (n == len && memcmp (buf, record, len) == 0);
    }
    g_free (buf);
  }
  p2p_srtp_free (sender);
  p2p_srtp_free (receiver);
  return 0;
}
