/* p2p-core SRTP tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2p-srtp.c against the published test vectors (RFC 3711 appendix B,
 * RFC 7714 sections 16 and 17), against libsrtp2 in both directions, and
 * against replays, tampering, wrong keys and sequence number wrap. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#ifdef HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif
#include "p2p-srtp.h"

#define GCM P2P_SRTP_PROFILE_AEAD_AES_128_GCM
#define CM P2P_SRTP_PROFILE_AES128_CM_SHA1_80
#define BUF_SIZE (1500 + P2P_SRTP_MAX_TRAILER)

static gsize
unhex (const gchar * hex, guint8 * out)
{
  gsize n = 0;

  while (*hex) {
    if (g_ascii_isspace (*hex)) {
      hex++;
      continue;
    }
    out[n++] = g_ascii_xdigit_value (hex[0]) << 4 |
        g_ascii_xdigit_value (hex[1]);
    hex += 2;
  }
  return n;
}

static void
assert_hex (const guint8 * data, gsize size, const gchar * hex)
{
  guint8 expected[256];
  gsize n = unhex (hex, expected);

  g_assert_cmpmem (data, size, expected, n);
}

/* Exporter output for @profile (client_key | server_key | client_salt |
 * server_salt), distinct bytes derived from @seed. */
static void
make_material (P2pSrtpProfile profile, guint8 seed, guint8 * material)
{
  gsize i;

  for (i = 0; i < p2p_srtp_profile_key_material_size (profile); i++)
    material[i] = seed + 7 * i;
}

static P2pSrtp *
new_srtp (P2pSrtpProfile profile, const guint8 * material, gboolean client)
{
  g_autoptr (GError) error = NULL;
  P2pSrtp *srtp = p2p_srtp_new (profile, material, client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (srtp);
  return srtp;
}

static void
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* An RTP packet with @csrcs CSRCs and, if @ext, a two-word header
 * extension; the payload is a pattern of @seq. Returns the size. */
static gsize
make_rtp (guint8 * buf, guint16 seq, guint32 ssrc, gsize payload,
    guint csrcs, gboolean ext)
{
  gsize n = 12, i;

  buf[0] = 0x80 | (ext ? 0x10 : 0) | csrcs;
  buf[1] = 96;
  buf[2] = seq >> 8;
  buf[3] = seq;
  memset (buf + 4, 0x11, 4);
  put32 (buf + 8, ssrc);
  for (i = 0; i < 4 * csrcs; i++)
    buf[n++] = i;
  if (ext) {
    buf[n++] = 0xbe;
    buf[n++] = 0xde;
    buf[n++] = 0;
    buf[n++] = 2;
    for (i = 0; i < 8; i++)
      buf[n++] = 0xe0 + i;
  }
  for (i = 0; i < payload; i++)
    buf[n++] = (guint8) (seq + i);
  return n;
}

/* A receiver report from @ssrc with one report block. */
static gsize
make_rtcp (guint8 * buf, guint32 ssrc, guint8 fill)
{
  memset (buf, fill, 32);
  buf[0] = 0x81;
  buf[1] = 201;
  buf[2] = 0;
  buf[3] = 7;
  put32 (buf + 4, ssrc);
  return 32;
}

/* Protects @len bytes of @plain with @from and checks @to gets them back. */
static void
round_trip (P2pSrtp * from, P2pSrtp * to, gboolean rtcp, const guint8 * plain,
    gsize len)
{
  guint8 buf[BUF_SIZE];
  gsize size = len;

  memcpy (buf, plain, len);
  g_assert_true (p2p_srtp_protect (from, rtcp, buf, &size));
  g_assert_cmpuint (size, >, len);
  g_assert_true (memcmp (buf, plain, len) != 0);
  g_assert_true (p2p_srtp_unprotect (to, rtcp, buf, &size));
  g_assert_cmpmem (buf, size, plain, len);
}

/* RFC 3711 appendix B.3: session keys from a master key and salt. */
static void
test_rfc3711_key_derivation (void)
{
  guint8 key[16], salt[14];
  P2pSrtpSessionKeys keys;

  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139", key);
  unhex ("0EC675AD498AFEEBB6960B3AABE6", salt);
  g_assert_true (p2p_srtp_derive_session_keys (CM, key, salt, &keys));
  assert_hex (keys.rtp_key, 16, "C61E7A93744F39EE10734AFE3FF7A087");
  assert_hex (keys.rtp_salt, 14, "30CBBC08863D8C85D49DB34A9AE1");
  assert_hex (keys.rtp_auth, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

/* RFC 3711 appendix B.2: the AES-CM keystream for SSRC 0 and index 0 is
 * what a zero payload encrypts to. */
static void
test_rfc3711_keystream (void)
{
  P2pSrtpSessionKeys keys = { 0 };
  guint8 buf[BUF_SIZE] = { 0x80 };
  gsize size = 12 + 48;
  P2pSrtp *srtp;

  unhex ("2B7E151628AED2A6ABF7158809CF4F3C", keys.rtp_key);
  unhex ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", keys.rtp_salt);
  srtp = p2p_srtp_new_from_session_keys (CM, &keys, &keys, NULL);
  g_assert_true (p2p_srtp_protect (srtp, FALSE, buf, &size));
  g_assert_cmpuint (size, ==, 12 + 48 + 10);
  assert_hex (buf + 12, 48, "E03EAD0935C95E80E166B16DD92B4EB4"
      "D23513162B02D0F72A43A2FE4A5F97AB" "41E95B3BB0A2E8DD477901E4FCA894C0");
  p2p_srtp_free (srtp);
}

/* AES-CM with HMAC-SHA1-80 from master key to packet, the known answer
 * libsrtp's own driver checks (key derivation, keystream and tag). */
static void
test_aes_cm_packet (void)
{
  guint8 material[60], buf[BUF_SIZE];
  gsize size;
  P2pSrtp *srtp;

  /* The same master key and salt for both ends. */
  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139", material);
  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139", material + 16);
  unhex ("0EC675AD498AFEEBB6960B3AABE6", material + 32);
  unhex ("0EC675AD498AFEEBB6960B3AABE6", material + 46);
  srtp = new_srtp (CM, material, TRUE);

  size = unhex ("800f1234decafbadcafebabe"
      "abababababababababababababababab", buf);
  g_assert_true (p2p_srtp_protect (srtp, FALSE, buf, &size));
  assert_hex (buf, size, "800f1234decafbadcafebabe"
      "4e55dc4ce79978d88ca4d215949d2402" "b78d6acc99ea179b8dbb");
  g_assert_true (p2p_srtp_unprotect (srtp, FALSE, buf, &size));
  assert_hex (buf, size, "800f1234decafbadcafebabe"
      "abababababababababababababababab");
  p2p_srtp_free (srtp);
}

static P2pSrtp *
rfc7714_srtp (void)
{
  P2pSrtpSessionKeys keys = { 0 };

  unhex ("000102030405060708090a0b0c0d0e0f", keys.rtp_key);
  unhex ("000102030405060708090a0b0c0d0e0f", keys.rtcp_key);
  unhex ("517569642070726f2071756f", keys.rtp_salt);
  unhex ("517569642070726f2071756f", keys.rtcp_salt);
  return p2p_srtp_new_from_session_keys (GCM, &keys, &keys, NULL);
}

#define RFC7714_RTP "8040f17b8041f8d35501a0b2" \
  "47616c6c696120657374206f6d6e697320646976" \
  "69736120696e207061727465732074726573"
#define RFC7714_SRTP "8040f17b8041f8d35501a0b2" \
  "f24de3a3fb34de6cacba861c9d7e4bcabe633bd5" \
  "0d294e6f42a5f47a51c7d19b36de3adf8833" \
  "899d7f27beb16a9152cf765ee4390cce"

/* RFC 7714 section 16.1.1: AEAD_AES_128_GCM RTP, rollover counter 0. */
static void
test_rfc7714_rtp (void)
{
  P2pSrtp *srtp = rfc7714_srtp ();
  guint8 buf[BUF_SIZE];
  gsize size = unhex (RFC7714_RTP, buf);

  g_assert_true (p2p_srtp_protect (srtp, FALSE, buf, &size));
  assert_hex (buf, size, RFC7714_SRTP);
  g_assert_true (p2p_srtp_unprotect (srtp, FALSE, buf, &size));
  assert_hex (buf, size, RFC7714_RTP);
  p2p_srtp_free (srtp);
}

#define RFC7714_RTCP "81c8000d4d617273" \
  "4e5450314e545032525450200000042a0000e9304c756e61" \
  "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
#define RFC7714_SRTCP "81c8000d4d617273" \
  "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda" \
  "4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"

/* RFC 7714 section 17.1.1: AEAD_AES_128_GCM RTCP, SRTCP index 0x5d4, the
 * E+index word after the tag. Our indexes count from 1, so the vector's is
 * the 0x5d4th packet protected. */
static void
test_rfc7714_rtcp (void)
{
  P2pSrtp *srtp = rfc7714_srtp ();
  guint8 buf[BUF_SIZE];
  gsize size;
  guint i;

  size = unhex (RFC7714_SRTCP, buf);
  g_assert_true (p2p_srtp_unprotect (srtp, TRUE, buf, &size));
  assert_hex (buf, size, RFC7714_RTCP);

  for (i = 1; i < 0x5d4; i++) {
    size = unhex (RFC7714_RTCP, buf);
    g_assert_true (p2p_srtp_protect (srtp, TRUE, buf, &size));
  }
  size = unhex (RFC7714_RTCP, buf);
  g_assert_true (p2p_srtp_protect (srtp, TRUE, buf, &size));
  assert_hex (buf, size, RFC7714_SRTCP);
  p2p_srtp_free (srtp);
}

#ifdef HAVE_LIBSRTP2
/* libsrtp sessions for the DTLS server's end of @material. */
static void
libsrtp_new (P2pSrtpProfile profile, const guint8 * material,
    srtp_t * outbound, srtp_t * inbound)
{
  gsize salt = profile == GCM ? 12 : 14;
  guint8 client[30], server[30];
  srtp_policy_t policy;
  gint dir;

  memcpy (client, material, 16);
  memcpy (server, material + 16, 16);
  memcpy (client + 16, material + 32, salt);
  memcpy (server + 16, material + 32 + salt, salt);
  for (dir = 0; dir < 2; dir++) {
    memset (&policy, 0, sizeof (policy));
    if (profile == GCM) {
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
    } else {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
    }
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    policy.ssrc.type = dir == 0 ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = dir == 0 ? server : client;
    g_assert_cmpint (srtp_create (dir == 0 ? outbound : inbound, &policy), ==,
        srtp_err_status_ok);
  }
}

/* Our client end and libsrtp's server end, both ways, RTP with and without
 * CSRCs and header extensions across the sequence number wrap, and RTCP. */
static void
test_interop (gconstpointer data)
{
  P2pSrtpProfile profile = GPOINTER_TO_INT (data);
  guint8 material[60], plain[BUF_SIZE], buf[BUF_SIZE];
  srtp_t lib_out, lib_in;
  P2pSrtp *ours;
  guint i;

  make_material (profile, 3, material);
  ours = new_srtp (profile, material, TRUE);
  libsrtp_new (profile, material, &lib_out, &lib_in);

  for (i = 0; i < 300; i++) {
    guint16 seq = 65400 + i;    /* wraps after 136 packets */
    gsize len = make_rtp (plain, seq, 0xcafe0001, i % 7 == 0 ? 0 : 3 * i,
        i % 3, i % 2);
    gsize size;
    int n;

    /* ours -> libsrtp */
    memcpy (buf, plain, len);
    size = len;
    g_assert_true (p2p_srtp_protect (ours, FALSE, buf, &size));
    n = (int) size;
    g_assert_cmpint (srtp_unprotect (lib_in, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpmem (buf, n, plain, len);

    /* libsrtp -> ours */
    memcpy (buf, plain, len);
    n = (int) len;
    g_assert_cmpint (srtp_protect (lib_out, buf, &n), ==, srtp_err_status_ok);
    size = n;
    g_assert_true (p2p_srtp_unprotect (ours, FALSE, buf, &size));
    g_assert_cmpmem (buf, size, plain, len);

    len = make_rtcp (plain, 0xcafe0002, i);
    memcpy (buf, plain, len);
    size = len;
    g_assert_true (p2p_srtp_protect (ours, TRUE, buf, &size));
    n = (int) size;
    g_assert_cmpint (srtp_unprotect_rtcp (lib_in, buf, &n), ==,
        srtp_err_status_ok);
    g_assert_cmpmem (buf, n, plain, len);

    memcpy (buf, plain, len);
    n = (int) len;
    g_assert_cmpint (srtp_protect_rtcp (lib_out, buf, &n), ==,
        srtp_err_status_ok);
    size = n;
    g_assert_true (p2p_srtp_unprotect (ours, TRUE, buf, &size));
    g_assert_cmpmem (buf, size, plain, len);
  }
  srtp_dealloc (lib_out);
  srtp_dealloc (lib_in);
  p2p_srtp_free (ours);
}
#else
static void
test_interop (gconstpointer data)
{
  g_test_skip ("built without libsrtp2");
}
#endif

typedef struct
{
  P2pSrtp *client;
  P2pSrtp *server;
} Pair;

static void
pair_setup (Pair * p, gconstpointer data)
{
  P2pSrtpProfile profile = GPOINTER_TO_INT (data);
  guint8 material[60];

  make_material (profile, 42, material);
  p->client = new_srtp (profile, material, TRUE);
  p->server = new_srtp (profile, material, FALSE);
}

static void
pair_teardown (Pair * p, gconstpointer data)
{
  p2p_srtp_free (p->client);
  p2p_srtp_free (p->server);
}

/* A protected packet as the network would carry it. */
static gsize
protected_rtp (P2pSrtp * from, guint16 seq, guint32 ssrc, guint8 * buf)
{
  gsize size = make_rtp (buf, seq, ssrc, 100, 0, FALSE);

  g_assert_true (p2p_srtp_protect (from, FALSE, buf, &size));
  return size;
}

static gboolean
accepts (P2pSrtp * to, gboolean rtcp, const guint8 * packet, gsize size)
{
  guint8 buf[BUF_SIZE];

  memcpy (buf, packet, size);
  return p2p_srtp_unprotect (to, rtcp, buf, &size);
}

/* Each packet once: the same packet again is refused, RTP or RTCP, and so
 * is one older than the replay window; late ones within it are taken. */
static void
test_replay (Pair * p, gconstpointer data)
{
  guint8 first[BUF_SIZE], late[BUF_SIZE], old[BUF_SIZE], buf[BUF_SIZE];
  guint8 rtcp[BUF_SIZE];
  gsize first_size, late_size, old_size, size, rtcp_size;
  guint i;

  first_size = protected_rtp (p->client, 100, 1, first);
  late_size = protected_rtp (p->client, 101, 1, late);
  old_size = protected_rtp (p->client, 102, 1, old);
  g_assert_true (accepts (p->server, FALSE, first, first_size));
  g_assert_false (accepts (p->server, FALSE, first, first_size));

  /* Seq 101 arrives 1,022 packets late, within the 1,024-packet window;
   * seq 102, 1,099 packets late, is older than it. */
  for (i = 103; i < 1202; i++) {
    size = protected_rtp (p->client, i, 1, buf);
    if (i == 1124)
      g_assert_true (accepts (p->server, FALSE, late, late_size));
    g_assert_true (accepts (p->server, FALSE, buf, size));
  }
  g_assert_false (accepts (p->server, FALSE, late, late_size));
  g_assert_false (accepts (p->server, FALSE, old, old_size));

  late_size = protected_rtp (p->client, 1202, 1, late);
  size = protected_rtp (p->client, 1203, 1, buf);
  g_assert_true (accepts (p->server, FALSE, buf, size));
  g_assert_true (accepts (p->server, FALSE, late, late_size));
  g_assert_false (accepts (p->server, FALSE, late, late_size));

  rtcp_size = make_rtcp (rtcp, 9, 0);
  g_assert_true (p2p_srtp_protect (p->client, TRUE, rtcp, &rtcp_size));
  g_assert_true (accepts (p->server, TRUE, rtcp, rtcp_size));
  g_assert_false (accepts (p->server, TRUE, rtcp, rtcp_size));
}

/* A packet with any bit changed is refused, and the forgeries leave no
 * trace: the genuine packet is still taken afterwards. */
static void
test_tamper (Pair * p, gconstpointer data)
{
  guint8 packet[BUF_SIZE], rtcp[BUF_SIZE], buf[BUF_SIZE];
  gsize size, rtcp_size, i;

  size = protected_rtp (p->client, 7, 1, packet);
  rtcp_size = make_rtcp (rtcp, 9, 0x33);
  g_assert_true (p2p_srtp_protect (p->client, TRUE, rtcp, &rtcp_size));

  for (i = 0; i < size; i++) {
    memcpy (buf, packet, size);
    buf[i] ^= 1 << (i % 8);
    g_assert_false (accepts (p->server, FALSE, buf, size));
  }
  for (i = 0; i < rtcp_size; i++) {
    memcpy (buf, rtcp, rtcp_size);
    buf[i] ^= 1 << (i % 8);
    g_assert_false (accepts (p->server, TRUE, buf, rtcp_size));
  }
  /* Truncated, with the tag shifted into the payload. */
  for (i = 0; i < size; i++)
    g_assert_false (accepts (p->server, FALSE, packet, i));
  for (i = 0; i < rtcp_size; i++)
    g_assert_false (accepts (p->server, TRUE, rtcp, i));

  g_assert_true (accepts (p->server, FALSE, packet, size));
  g_assert_true (accepts (p->server, TRUE, rtcp, rtcp_size));
}

/* A packet sealed with other keys, or with the receiver's own sending
 * keys (a reflection), is refused. */
static void
test_wrong_key (Pair * p, gconstpointer data)
{
  P2pSrtpProfile profile = GPOINTER_TO_INT (data);
  guint8 material[60], packet[BUF_SIZE];
  P2pSrtp *stranger;
  gsize size;

  make_material (profile, 43, material);
  stranger = new_srtp (profile, material, TRUE);
  size = protected_rtp (stranger, 1, 1, packet);
  g_assert_false (accepts (p->server, FALSE, packet, size));
  size = protected_rtp (p->server, 2, 1, packet);
  g_assert_false (accepts (p->server, FALSE, packet, size));
  size = make_rtcp (packet, 1, 0);
  g_assert_true (p2p_srtp_protect (stranger, TRUE, packet, &size));
  g_assert_false (accepts (p->server, TRUE, packet, size));
  p2p_srtp_free (stranger);
}

/* The rollover counter follows the sequence number across 65535 -> 0: in
 * steps of 4,000 through three wraps, and with 65535 arriving after the
 * next cycle's first packets. */
static void
test_rollover (Pair * p, gconstpointer data)
{
  guint8 plain[BUF_SIZE], late[BUF_SIZE];
  gsize len, late_size;
  guint i;

  for (i = 0; i < 3 * 65536 / 4000 + 2; i++) {
    len = make_rtp (plain, (guint16) (i * 4000), 5, 64, 0, FALSE);
    round_trip (p->client, p->server, FALSE, plain, len);
  }
  for (i = 65530; i < 65535; i++) {
    len = make_rtp (plain, (guint16) i, 6, 64, 0, FALSE);
    round_trip (p->client, p->server, FALSE, plain, len);
  }
  late_size = protected_rtp (p->client, 65535, 6, late);
  for (i = 0; i < 5; i++) {
    len = make_rtp (plain, (guint16) i, 6, 64, 0, FALSE);
    round_trip (p->client, p->server, FALSE, plain, len);
  }
  len = make_rtp (plain, 65535, 6, 100, 0, FALSE);
  g_assert_false (accepts (p->server, FALSE, late, late_size - 1));
  g_assert_true (p2p_srtp_unprotect (p->server, FALSE, late, &late_size));
  g_assert_cmpmem (late, late_size, plain, len);
  g_assert_true (p2p_srtp_protect (p->client, FALSE, late, &late_size));
  g_assert_false (accepts (p->server, FALSE, late, late_size));
}

/* State per SSRC is bounded: a sender refuses a new SSRC past the limit
 * (never restarting an index under the same key), a receiver forgets the
 * least recently used one. Forged packets create no state. */
static void
test_streams_bounded (Pair * p, gconstpointer data)
{
  guint8 material[60], plain[BUF_SIZE], buf[BUF_SIZE];
  P2pSrtp *second;
  gsize len, size;
  guint32 ssrc;

  for (ssrc = 1; ssrc <= P2P_SRTP_MAX_STREAMS; ssrc++) {
    len = make_rtp (plain, 1, ssrc, 10, 0, FALSE);
    round_trip (p->client, p->server, FALSE, plain, len);
  }
  len = make_rtp (buf, 1, ssrc, 10, 0, FALSE);
  g_assert_false (p2p_srtp_protect (p->client, FALSE, buf, &len));

  /* Two servers with the same keys send from twice as many SSRCs as the
   * client keeps; it keeps taking new ones and the latest. */
  make_material (GPOINTER_TO_INT (data), 42, material);
  second = new_srtp (GPOINTER_TO_INT (data), material, FALSE);
  for (ssrc = 1; ssrc <= 2 * P2P_SRTP_MAX_STREAMS; ssrc++) {
    len = make_rtp (plain, 1, 1000 + ssrc, 10, 0, FALSE);
    round_trip (ssrc <= P2P_SRTP_MAX_STREAMS ? p->server : second, p->client,
        FALSE, plain, len);
  }
  size = protected_rtp (second, 2, 1000 + ssrc - 1, buf);
  g_assert_true (accepts (p->client, FALSE, buf, size));
  g_assert_false (accepts (p->client, FALSE, buf, size));
  p2p_srtp_free (second);
}

/* Anything too short for a header and a tag is refused without reading
 * past it, including an RTP header whose CSRCs or extension overrun. */
static void
test_short (Pair * p, gconstpointer data)
{
  guint8 buf[BUF_SIZE];
  gsize len, size;

  for (len = 0; len < 40; len++) {
    guint8 *copy;

    memset (buf, 0, sizeof (buf));
    buf[0] = 0x80 | (len % 2 ? 0x1f : 0x0f);
    size = len;
    copy = g_memdup2 (buf, len ? len : 1);
    g_assert_false (p2p_srtp_unprotect (p->server, FALSE, copy, &size));
    size = len;
    g_assert_false (p2p_srtp_unprotect (p->server, TRUE, copy, &size));
    if (len < 12) {
      size = len;
      g_assert_false (p2p_srtp_protect (p->client, FALSE, copy, &size));
    }
    if (len < 8) {
      size = len;
      g_assert_false (p2p_srtp_protect (p->client, TRUE, copy, &size));
    }
    g_free (copy);
  }
}

/* Protecting into another buffer leaves the packet as it was and gives
 * the very bytes protecting a copy in place gives (RTP with CSRCs and an
 * extension, and RTCP); the peer takes them. */
static void
test_into (Pair * p, gconstpointer data)
{
  guint8 plain[BUF_SIZE], keep[BUF_SIZE], into[BUF_SIZE], in_place[BUF_SIZE];
  gsize len, size, in_place_size;

  len = make_rtp (plain, 5, 0xcafe0002, 300, 2, TRUE);
  memcpy (keep, plain, len);
  g_assert_true (p2p_srtp_protect_into (p->client, FALSE, plain, len, into,
          &size));
  g_assert_cmpmem (plain, len, keep, len);
  /* The same packet again (a retransmission) under the same index. */
  memcpy (in_place, plain, len);
  in_place_size = len;
  g_assert_true (p2p_srtp_protect (p->client, FALSE, in_place, &in_place_size));
  g_assert_cmpmem (into, size, in_place, in_place_size);
  g_assert_true (p2p_srtp_unprotect (p->server, FALSE, into, &size));
  g_assert_cmpmem (into, size, plain, len);

  len = make_rtcp (plain, 0xcafe0002, 0x5a);
  memcpy (keep, plain, len);
  g_assert_true (p2p_srtp_protect_into (p->client, TRUE, plain, len, into,
          &size));
  g_assert_cmpmem (plain, len, keep, len);
  g_assert_true (p2p_srtp_unprotect (p->server, TRUE, into, &size));
  g_assert_cmpmem (into, size, plain, len);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/srtp/rfc3711/key-derivation",
      test_rfc3711_key_derivation);
  g_test_add_func ("/p2p/srtp/rfc3711/keystream", test_rfc3711_keystream);
  g_test_add_func ("/p2p/srtp/aes-cm/packet", test_aes_cm_packet);
  g_test_add_func ("/p2p/srtp/rfc7714/rtp", test_rfc7714_rtp);
  g_test_add_func ("/p2p/srtp/rfc7714/rtcp", test_rfc7714_rtcp);
  g_test_add_data_func ("/p2p/srtp/interop/aead-aes-128-gcm",
      GINT_TO_POINTER (GCM), test_interop);
  g_test_add_data_func ("/p2p/srtp/interop/aes128-cm-sha1-80",
      GINT_TO_POINTER (CM), test_interop);
#define PAIR_TEST(name, func) \
  g_test_add ("/p2p/srtp/" name "/aead-aes-128-gcm", Pair, \
      GINT_TO_POINTER (GCM), pair_setup, func, pair_teardown); \
  g_test_add ("/p2p/srtp/" name "/aes128-cm-sha1-80", Pair, \
      GINT_TO_POINTER (CM), pair_setup, func, pair_teardown)
  PAIR_TEST ("replay", test_replay);
  PAIR_TEST ("tamper", test_tamper);
  PAIR_TEST ("wrong-key", test_wrong_key);
  PAIR_TEST ("rollover", test_rollover);
  PAIR_TEST ("streams-bounded", test_streams_bounded);
  PAIR_TEST ("short", test_short);
  PAIR_TEST ("into", test_into);

#ifdef HAVE_LIBSRTP2
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
#endif
  ret = g_test_run ();
#ifdef HAVE_LIBSRTP2
  srtp_shutdown ();
#endif
  return ret;
}
