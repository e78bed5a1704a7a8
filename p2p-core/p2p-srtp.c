/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SRTP/SRTCP sessions keyed from the DTLS exporter (RFC 5764 section 4.2).
 *
 * Two libsrtp sessions per transport: one for what we send, one for what we
 * receive. The outbound one is guarded by a mutex because RTP (streaming
 * thread) and RTCP (rtpbin's thread) may be sent concurrently; the inbound
 * one is only used on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-srtp.h"

#include <string.h>
#include <srtp2/srtp.h>

struct _P2pSrtp
{
  GMutex send_lock;
  srtp_t outbound;
  srtp_t inbound;
};

/* Larger than libsrtp's default of 128 so that NACK retransmissions of
 * packets a few hundred sequence numbers old are still accepted. */
#define REPLAY_WINDOW 1024

static void
srtp_init_once (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    srtp_init ();
    g_once_init_leave (&initialized, 1);
  }
}

static gpointer
warm_up_thread (gpointer data)
{
  srtp_init_once ();
  return NULL;
}

/* libsrtp's initialisation runs cipher self-tests that take ~20 ms. Done
 * on a thread of its own as soon as a transport class exists, it overlaps
 * signalling and ICE instead of delaying the first SRTP keys. */
void
p2p_srtp_warm_up (void)
{
  static gsize started = 0;

  if (g_once_init_enter (&started)) {
    g_thread_unref (g_thread_new ("p2p-srtp-init", warm_up_thread, NULL));
    g_once_init_leave (&started, 1);
  }
}

/* Key and salt lengths per profile (RFC 5764, RFC 7714). */
static void
profile_lengths (P2pSrtpProfile profile, gsize * key, gsize * salt)
{
  *key = 16;
  *salt = profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
}

gsize
p2p_srtp_profile_key_material_size (P2pSrtpProfile profile)
{
  gsize key, salt;

  profile_lengths (profile, &key, &salt);
  return 2 * (key + salt);
}

static void
set_policy (srtp_policy_t * policy, P2pSrtpProfile profile)
{
  memset (policy, 0, sizeof (*policy));
  if (profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
  }
  policy->window_size = REPLAY_WINDOW;
  /* A camera resends the very same RTP packet on NACK; libsrtp would
   * otherwise refuse to protect a sequence number twice. */
  policy->allow_repeat_tx = 1;
}

P2pSrtp *
p2p_srtp_new (P2pSrtpProfile profile, const guint8 * material,
    gboolean is_client, GError ** error)
{
  P2pSrtp *srtp;
  srtp_policy_t policy;
  gsize key_len, salt_len;
  guint8 client_key[32], server_key[32];
  srtp_err_status_t err;

  srtp_init_once ();
  profile_lengths (profile, &key_len, &salt_len);

  /* Exporter output is client_key | server_key | client_salt | server_salt;
   * libsrtp wants key followed by salt. */
  memcpy (client_key, material, key_len);
  memcpy (server_key, material + key_len, key_len);
  memcpy (client_key + key_len, material + 2 * key_len, salt_len);
  memcpy (server_key + key_len, material + 2 * key_len + salt_len, salt_len);

  srtp = g_new0 (P2pSrtp, 1);
  g_mutex_init (&srtp->send_lock);

  set_policy (&policy, profile);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = is_client ? client_key : server_key;
  err = srtp_create (&srtp->outbound, &policy);
  if (err == srtp_err_status_ok) {
    set_policy (&policy, profile);
    policy.ssrc.type = ssrc_any_inbound;
    policy.key = is_client ? server_key : client_key;
    err = srtp_create (&srtp->inbound, &policy);
  }
  memset (client_key, 0, sizeof (client_key));
  memset (server_key, 0, sizeof (server_key));

  if (err != srtp_err_status_ok) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_SRTP,
        "Could not create SRTP session (libsrtp error %d)", err);
    p2p_srtp_free (srtp);
    return NULL;
  }
  return srtp;
}

/* @buf must have P2P_SRTP_MAX_TRAILER bytes of room after *size. */
gboolean
p2p_srtp_protect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf, gsize * size)
{
  int len = (int) *size;
  srtp_err_status_t err;

  g_mutex_lock (&srtp->send_lock);
  if (rtcp)
    err = srtp_protect_rtcp (srtp->outbound, buf, &len);
  else
    err = srtp_protect (srtp->outbound, buf, &len);
  g_mutex_unlock (&srtp->send_lock);

  if (err != srtp_err_status_ok)
    return FALSE;
  *size = len;
  return TRUE;
}

gboolean
p2p_srtp_unprotect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf, gsize * size)
{
  int len = (int) *size;
  srtp_err_status_t err;

  if (rtcp)
    err = srtp_unprotect_rtcp (srtp->inbound, buf, &len);
  else
    err = srtp_unprotect (srtp->inbound, buf, &len);
  if (err != srtp_err_status_ok)
    return FALSE;
  *size = len;
  return TRUE;
}

void
p2p_srtp_free (P2pSrtp * srtp)
{
  if (srtp == NULL)
    return;
  if (srtp->outbound)
    srtp_dealloc (srtp->outbound);
  if (srtp->inbound)
    srtp_dealloc (srtp->inbound);
  g_mutex_clear (&srtp->send_lock);
  g_free (srtp);
}
