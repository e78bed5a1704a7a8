/* SRTP micro-benchmark: p2p-core's SRTP against libsrtp2
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * CPU time per 1,200-byte RTP packet to protect and to unprotect, for
 * each profile p2p-core negotiates, with p2p-core's SRTP (p2p-srtp.c,
 * OpenSSL) and with the system's libsrtp2 (what p2p-core used before).
 * Prints one JSON line for bench/run; --quick runs a tenth of the packets.
 * Thread CPU time, so other processes on the machine count less.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>
#include "p2p-srtp.h"

#define PACKET_SIZE 1200
#define BUF_SIZE (PACKET_SIZE + P2P_SRTP_MAX_TRAILER + 148)

static gdouble
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
make_rtp (guint8 * buf, guint16 seq)
{
  memset (buf, 0x5a, PACKET_SIZE);
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = seq >> 8;
  buf[3] = seq;
  buf[8] = 0x12;
}

typedef struct
{
  gdouble protect_us;
  gdouble unprotect_us;
} Result;

/* Protects @n packets into @wire (n * BUF_SIZE), then unprotects them. */
static Result
run_ours (P2pSrtpProfile profile, const guint8 * material, guint n,
    guint8 * wire, gsize * sizes)
{
  P2pSrtp *tx = p2p_srtp_new (profile, material, TRUE, NULL);
  P2pSrtp *rx = p2p_srtp_new (profile, material, FALSE, NULL);
  Result r;
  gdouble t;
  guint i;

  g_assert (tx && rx);
  for (i = 0; i < n; i++)
    make_rtp (wire + i * BUF_SIZE, i);
  t = cpu_now ();
  for (i = 0; i < n; i++) {
    sizes[i] = PACKET_SIZE;
    if (!p2p_srtp_protect (tx, FALSE, wire + i * BUF_SIZE, &sizes[i]))
      g_error ("protect failed");
  }
  r.protect_us = (cpu_now () - t) * 1e6 / n;
  t = cpu_now ();
  for (i = 0; i < n; i++)
    if (!p2p_srtp_unprotect (rx, FALSE, wire + i * BUF_SIZE, &sizes[i]))
      g_error ("unprotect failed");
  r.unprotect_us = (cpu_now () - t) * 1e6 / n;
  p2p_srtp_free (tx);
  p2p_srtp_free (rx);
  return r;
}

static void
libsrtp_policy (srtp_policy_t * policy, P2pSrtpProfile profile,
    guint8 * key, gboolean outbound)
{
  memset (policy, 0, sizeof (*policy));
  if (profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
  }
  policy->window_size = 1024;
  policy->allow_repeat_tx = 1;
  policy->ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy->key = key;
}

static Result
run_libsrtp (P2pSrtpProfile profile, guint n, guint8 * wire, gsize * sizes)
{
  guint8 key[30];
  srtp_policy_t policy;
  srtp_t tx, rx;
  Result r;
  gdouble t;
  guint i;

  memset (key, 0x42, sizeof (key));
  libsrtp_policy (&policy, profile, key, TRUE);
  g_assert (srtp_create (&tx, &policy) == srtp_err_status_ok);
  libsrtp_policy (&policy, profile, key, FALSE);
  g_assert (srtp_create (&rx, &policy) == srtp_err_status_ok);
  for (i = 0; i < n; i++)
    make_rtp (wire + i * BUF_SIZE, i);
  t = cpu_now ();
  for (i = 0; i < n; i++) {
    int len = PACKET_SIZE;

    if (srtp_protect (tx, wire + i * BUF_SIZE, &len) != srtp_err_status_ok)
      g_error ("libsrtp protect failed");
    sizes[i] = len;
  }
  r.protect_us = (cpu_now () - t) * 1e6 / n;
  t = cpu_now ();
  for (i = 0; i < n; i++) {
    int len = (int) sizes[i];

    if (srtp_unprotect (rx, wire + i * BUF_SIZE, &len) != srtp_err_status_ok)
      g_error ("libsrtp unprotect failed");
  }
  r.unprotect_us = (cpu_now () - t) * 1e6 / n;
  srtp_dealloc (tx);
  srtp_dealloc (rx);
  return r;
}

int
main (int argc, char **argv)
{
  static const struct
  {
    P2pSrtpProfile profile;
    const gchar *name;
  } profiles[] = {
    {P2P_SRTP_PROFILE_AEAD_AES_128_GCM, "aead_aes_128_gcm"},
    {P2P_SRTP_PROFILE_AES128_CM_SHA1_80, "aes128_cm_sha1_80"},
  };
  guint n = argc > 1 && g_str_equal (argv[1], "--quick") ? 5000 : 50000;
  guint8 *wire = g_malloc (n * BUF_SIZE);
  gsize *sizes = g_new (gsize, n);
  guint8 material[60];
  GString *out = g_string_new ("{\"packet_bytes\": 1200");
  guint p, i;

  memset (material, 0x42, sizeof (material));
  if (srtp_init () != srtp_err_status_ok)
    g_error ("srtp_init failed");
  for (p = 0; p < G_N_ELEMENTS (profiles); p++) {
    Result best_ours = { G_MAXDOUBLE, G_MAXDOUBLE };
    Result best_lib = { G_MAXDOUBLE, G_MAXDOUBLE };

    /* Best of three, alternating, so a busy moment hurts neither side
     * alone. */
    for (i = 0; i < 3; i++) {
      Result o = run_ours (profiles[p].profile, material, n, wire, sizes);
      Result l = run_libsrtp (profiles[p].profile, n, wire, sizes);

      best_ours.protect_us = MIN (best_ours.protect_us, o.protect_us);
      best_ours.unprotect_us = MIN (best_ours.unprotect_us, o.unprotect_us);
      best_lib.protect_us = MIN (best_lib.protect_us, l.protect_us);
      best_lib.unprotect_us = MIN (best_lib.unprotect_us, l.unprotect_us);
    }
    g_string_append_printf (out, ", \"%s\": {\"ours_protect_us\": %.3f, "
        "\"ours_unprotect_us\": %.3f, \"libsrtp_protect_us\": %.3f, "
        "\"libsrtp_unprotect_us\": %.3f}", profiles[p].name,
        best_ours.protect_us, best_ours.unprotect_us, best_lib.protect_us,
        best_lib.unprotect_us);
  }
  g_string_append (out, "}");
  g_print ("%s\n", out->str);
  srtp_shutdown ();
  g_string_free (out, TRUE);
  g_free (sizes);
  g_free (wire);
  return 0;
}
