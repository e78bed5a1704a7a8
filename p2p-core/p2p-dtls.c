/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * DTLS 1.2 over the ICE component.
 *
 * OpenSSL writes and reads through a custom BIO: every BIO write is one
 * datagram handed to the send callback (so DTLS record boundaries survive,
 * which a memory BIO would lose), and reads return the one datagram being
 * fed by p2p_dtls_receive(). The retransmission timer is a GSource on the
 * loop's context driven by DTLSv1_get_timeout().
 *
 * The peer certificate is self-signed by design; trust comes from its
 * fingerprint, which must equal one announced in SDP (and, when the caller
 * set one, the expected one). A mismatch aborts the handshake with a
 * bad_certificate alert, so the peer fails too and no key is ever exported.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-dtls.h"
#include "p2p-identity-private.h"
#include "p2p-srtp.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

/* Leaves room for IP/UDP, TURN channel framing and SRTP overhead on a 1280
 * byte IPv6 minimum MTU path. */
#define DTLS_MTU 1200

/* First retransmission after this long; OpenSSL doubles it on each retry.
 * RFC 6347 suggests 1 s, but on the paths we use the handshake RTT is far
 * below that and a lost flight would otherwise cost a full second. */
#define INITIAL_TIMEOUT_US (150 * 1000)
#define MAX_TIMEOUT_US (4 * 1000 * 1000)

typedef enum
{
  DTLS_NEW,
  DTLS_HANDSHAKING,
  DTLS_CONNECTED,
  DTLS_DONE,                    /* failed or closed: inert */
} DtlsState;

struct _P2pDtls
{
  SSL *ssl;
  gboolean is_client;
  GMainContext *context;
  GSource *timer;
  DtlsState state;

  P2pDtlsCallbacks callbacks;
  gpointer user_data;

  GPtrArray *accepted_fingerprints;
  gchar *peer_fingerprint;
  gboolean fingerprint_mismatch;

  /* The datagram being fed to OpenSSL by p2p_dtls_receive(). */
  const guint8 *in_data;
  gsize in_size;
};

static int
bio_write (BIO * bio, const char *data, int size)
{
  P2pDtls *dtls = BIO_get_data (bio);

  if (size > 0)
    dtls->callbacks.send ((const guint8 *) data, size, dtls->user_data);
  return size;
}

static int
bio_read (BIO * bio, char *out, int size)
{
  P2pDtls *dtls = BIO_get_data (bio);
  gsize n;

  BIO_clear_retry_flags (bio);
  if (dtls->in_data == NULL) {
    BIO_set_retry_read (bio);
    return -1;
  }
  /* A datagram larger than the read buffer is truncated, as a UDP socket
   * would do; OpenSSL then drops the broken record. */
  n = MIN ((gsize) size, dtls->in_size);
  memcpy (out, dtls->in_data, n);
  dtls->in_data = NULL;
  dtls->in_size = 0;
  return (int) n;
}

static long
bio_ctrl (BIO * bio, int cmd, long num, void *ptr)
{
  switch (cmd) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_SET_PEER:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
      return DTLS_MTU;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
      return 0;
    default:
      return 0;
  }
}

static int
bio_create (BIO * bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

static unsigned int
timer_cb (SSL * ssl, unsigned int previous_us)
{
  if (previous_us == 0)
    return INITIAL_TIMEOUT_US;
  return MIN (previous_us * 2, MAX_TIMEOUT_US);
}

static int
verify_cb (int preverify_ok, X509_STORE_CTX * store)
{
  /* Chain validation does not apply to self-signed peer certificates; the
   * fingerprint check in cert_verify_cb is what authenticates the peer. */
  return 1;
}

static int
cert_verify_cb (X509_STORE_CTX * store, void *arg)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store,
      SSL_get_ex_data_X509_STORE_CTX_idx ());
  P2pDtls *dtls = ssl ? SSL_get_app_data (ssl) : NULL;
  X509 *cert = X509_STORE_CTX_get0_cert (store);
  g_autofree guint8 *der = NULL;
  guint8 *p;
  gint len;
  guint i;

  if (cert == NULL || dtls == NULL)
    return 0;
  len = i2d_X509 (cert, NULL);
  if (len <= 0)
    return 0;
  der = g_malloc (len);
  p = der;
  i2d_X509 (cert, &p);
  g_free (dtls->peer_fingerprint);
  dtls->peer_fingerprint = p2p_fingerprint_from_der (der, len);

  /* Every fingerprint in the list must match: the one from the peer's SDP
   * and, if given, the one the caller expects. An empty list accepts
   * nothing. */
  if (dtls->accepted_fingerprints->len == 0)
    dtls->fingerprint_mismatch = TRUE;
  for (i = 0; i < dtls->accepted_fingerprints->len; i++) {
    if (!p2p_fingerprint_equal (dtls->peer_fingerprint,
            g_ptr_array_index (dtls->accepted_fingerprints, i)))
      dtls->fingerprint_mismatch = TRUE;
  }
  if (dtls->fingerprint_mismatch) {
    X509_STORE_CTX_set_error (store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

/* One BIO_METHOD for the process: it only names the functions. */
static BIO_METHOD *
bio_method_get (void)
{
  static gsize method;

  if (g_once_init_enter (&method)) {
    BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK,
        "p2p-ice");

    BIO_meth_set_write (m, bio_write);
    BIO_meth_set_read (m, bio_read);
    BIO_meth_set_ctrl (m, bio_ctrl);
    BIO_meth_set_create (m, bio_create);
    g_once_init_leave (&method, (gsize) m);
  }
  return (BIO_METHOD *) method;
}

static GQuark
ctx_quark (void)
{
  return g_quark_from_static_string ("p2p-dtls-ssl-ctx");
}

/* One SSL_CTX per identity (its certificate and key, the common settings),
 * kept with the identity and shared by all its connections; what differs
 * per connection (SRTP profiles, accepted fingerprints) is set on the SSL.
 * Returns a new reference. */
static SSL_CTX *
ctx_for_identity (P2pIdentity * identity, GError ** error)
{
  static GMutex lock;
  SSL_CTX *ctx;

  g_mutex_lock (&lock);
  ctx = g_object_get_qdata (G_OBJECT (identity), ctx_quark ());
  if (ctx == NULL) {
    ctx = SSL_CTX_new (DTLS_method ());
    SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version (ctx, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate (ctx, p2p_identity_get_x509 (identity)) != 1
        || SSL_CTX_use_PrivateKey (ctx,
            p2p_identity_get_pkey (identity)) != 1) {
      gulong err = ERR_get_error ();

      ERR_clear_error ();
      SSL_CTX_free (ctx);
      g_mutex_unlock (&lock);
      g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_DTLS,
          "Could not set up DTLS: %s", ERR_reason_error_string (err));
      return NULL;
    }
    SSL_CTX_set_verify (ctx,
        SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_cert_verify_callback (ctx, cert_verify_cb, NULL);
    /* Both ends generate fresh sessions per call: nothing to resume. */
    SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options (ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    /* After the handshake a session carries a message a second or so: its
     * record buffers (some 34 KiB) are freed while idle rather than kept,
     * per viewer on a camera. */
    SSL_CTX_set_mode (ctx, SSL_MODE_RELEASE_BUFFERS);
    g_object_set_qdata_full (G_OBJECT (identity), ctx_quark (), ctx,
        (GDestroyNotify) SSL_CTX_free);
  }
  SSL_CTX_up_ref (ctx);
  g_mutex_unlock (&lock);
  return ctx;
}

P2pDtls *
p2p_dtls_new (P2pIdentity * identity, gboolean is_client,
    const gchar * srtp_profiles, GMainContext * context,
    const P2pDtlsCallbacks * callbacks, gpointer user_data, GError ** error)
{
  P2pDtls *dtls;
  SSL_CTX *ctx;
  BIO *bio;

  g_return_val_if_fail (p2p_identity_has_private_key (identity), NULL);

  ctx = ctx_for_identity (identity, error);
  if (ctx == NULL)
    return NULL;
  dtls = g_new0 (P2pDtls, 1);
  dtls->is_client = is_client;
  dtls->context = g_main_context_ref (context);
  dtls->callbacks = *callbacks;
  dtls->user_data = user_data;
  dtls->accepted_fingerprints = g_ptr_array_new_with_free_func (g_free);
  dtls->ssl = SSL_new (ctx);
  SSL_CTX_free (ctx);
  SSL_set_app_data (dtls->ssl, dtls);
  if (SSL_set_tlsext_use_srtp (dtls->ssl, srtp_profiles) != 0) {
    ERR_clear_error ();
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_DTLS,
        "Could not set up DTLS (%s): bad SRTP profile list", srtp_profiles);
    p2p_dtls_free (dtls);
    return NULL;
  }
  DTLS_set_link_mtu (dtls->ssl, DTLS_MTU);
  DTLS_set_timer_cb (dtls->ssl, timer_cb);

  bio = BIO_new (bio_method_get ());
  BIO_set_data (bio, dtls);
  SSL_set_bio (dtls->ssl, bio, bio);

  if (is_client)
    SSL_set_connect_state (dtls->ssl);
  else
    SSL_set_accept_state (dtls->ssl);

  return dtls;
}

void
p2p_dtls_add_accepted_fingerprint (P2pDtls * dtls, const gchar * fingerprint)
{
  g_ptr_array_add (dtls->accepted_fingerprints, g_strdup (fingerprint));
}

/* *INDENT-OFF* */
static void fail (P2pDtls * dtls, gint code, const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
fail (P2pDtls * dtls, gint code, const gchar * format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  if (dtls->state == DTLS_DONE)
    return;
  dtls->state = DTLS_DONE;
  if (dtls->timer) {
    g_source_destroy (dtls->timer);
    g_clear_pointer (&dtls->timer, g_source_unref);
  }

  va_start (args, format);
  error = g_error_new_valist (P2P_TRANSPORT_ERROR, code, format, args);
  va_end (args);
  dtls->callbacks.failed (error, dtls->user_data);
}

static void schedule_timer (P2pDtls * dtls);

static gboolean
timer_fired (gpointer data)
{
  P2pDtls *dtls = data;

  g_clear_pointer (&dtls->timer, g_source_unref);
  if (dtls->state != DTLS_HANDSHAKING)
    return G_SOURCE_REMOVE;

  if (DTLSv1_handle_timeout (dtls->ssl) < 0) {
    ERR_clear_error ();
    fail (dtls, P2P_TRANSPORT_ERROR_TIMEOUT,
        "DTLS handshake timed out: the peer does not answer");
    return G_SOURCE_REMOVE;
  }
  schedule_timer (dtls);
  return G_SOURCE_REMOVE;
}

static void
schedule_timer (P2pDtls * dtls)
{
  struct timeval tv;
  guint ms;

  if (dtls->timer) {
    g_source_destroy (dtls->timer);
    g_clear_pointer (&dtls->timer, g_source_unref);
  }
  if (dtls->state != DTLS_HANDSHAKING || !DTLSv1_get_timeout (dtls->ssl, &tv))
    return;

  ms = tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
  dtls->timer = g_timeout_source_new (ms);
  g_source_set_callback (dtls->timer, timer_fired, dtls, NULL);
  g_source_set_static_name (dtls->timer, "p2p-dtls-retransmit");
  g_source_attach (dtls->timer, dtls->context);
}

static void
handshake_error (P2pDtls * dtls, int ret)
{
  int err = SSL_get_error (dtls->ssl, ret);
  gulong lib_err = ERR_peek_error ();
  const gchar *reason = lib_err ? ERR_reason_error_string (lib_err) : NULL;

  ERR_clear_error ();
  if (dtls->fingerprint_mismatch) {
    fail (dtls, P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH,
        "The peer's DTLS certificate (%s) does not match the fingerprint "
        "it should have", dtls->peer_fingerprint ? dtls->peer_fingerprint :
        "none");
    return;
  }
  fail (dtls, P2P_TRANSPORT_ERROR_DTLS, "DTLS handshake failed: %s",
      reason ? reason : (err == SSL_ERROR_ZERO_RETURN ?
          "the peer closed the connection" : "protocol error"));
}

/* Drives the handshake one step; returns TRUE once connected. */
static void
do_handshake (P2pDtls * dtls)
{
  int ret = SSL_do_handshake (dtls->ssl);

  if (ret == 1) {
    dtls->state = DTLS_CONNECTED;
    if (dtls->timer) {
      g_source_destroy (dtls->timer);
      g_clear_pointer (&dtls->timer, g_source_unref);
    }
    dtls->callbacks.connected (dtls->user_data);
    return;
  }

  switch (SSL_get_error (dtls->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      schedule_timer (dtls);
      break;
    default:
      handshake_error (dtls, ret);
      break;
  }
}

void
p2p_dtls_start (P2pDtls * dtls)
{
  if (dtls->state != DTLS_NEW)
    return;
  dtls->state = DTLS_HANDSHAKING;
  /* The server side has nothing to send until the ClientHello arrives. */
  if (dtls->is_client)
    do_handshake (dtls);
}

static void
read_application_data (P2pDtls * dtls)
{
  guint8 buf[2048];

  for (;;) {
    int ret = SSL_read (dtls->ssl, buf, sizeof (buf));

    if (ret > 0) {
      dtls->callbacks.data (buf, ret, dtls->user_data);
      if (dtls->state != DTLS_CONNECTED)
        return;
      continue;
    }

    switch (SSL_get_error (dtls->ssl, ret)) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        ERR_clear_error ();
        return;
      case SSL_ERROR_ZERO_RETURN:
        fail (dtls, P2P_TRANSPORT_ERROR_CLOSED,
            "The peer closed the DTLS connection");
        return;
      default:{
        gulong err = ERR_get_error ();

        ERR_clear_error ();
        /* A corrupt or forged record is dropped by OpenSSL without a
         * fatal error; only a real protocol failure ends up here. */
        fail (dtls, P2P_TRANSPORT_ERROR_DTLS, "DTLS connection failed: %s",
            err ? ERR_reason_error_string (err) : "protocol error");
        return;
      }
    }
  }
}

void
p2p_dtls_receive (P2pDtls * dtls, const guint8 * data, gsize size)
{
  if (dtls->state == DTLS_DONE)
    return;

  dtls->in_data = data;
  dtls->in_size = size;

  switch (dtls->state) {
    case DTLS_NEW:
      /* A ClientHello can arrive before our own ICE side reports the pair
       * usable (the peer's check succeeded first): start answering. */
      dtls->state = DTLS_HANDSHAKING;
      do_handshake (dtls);
      break;
    case DTLS_HANDSHAKING:
      do_handshake (dtls);
      if (dtls->state == DTLS_CONNECTED)
        read_application_data (dtls);
      break;
    case DTLS_CONNECTED:
      read_application_data (dtls);
      break;
    case DTLS_DONE:
      break;
  }

  dtls->in_data = NULL;
  dtls->in_size = 0;
}

gboolean
p2p_dtls_send (P2pDtls * dtls, const guint8 * data, gsize size)
{
  int ret;

  if (dtls->state != DTLS_CONNECTED)
    return FALSE;
  ret = SSL_write (dtls->ssl, data, (int) size);
  if (ret <= 0) {
    ERR_clear_error ();
    return FALSE;
  }
  return TRUE;
}

gboolean
p2p_dtls_export_srtp (P2pDtls * dtls, P2pSrtpProfile * profile,
    guint8 * material, gsize material_size)
{
  SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile (dtls->ssl);
  gsize need;

  if (p == NULL)
    return FALSE;
  switch (p->id) {
    case SRTP_AEAD_AES_128_GCM:
      *profile = P2P_SRTP_PROFILE_AEAD_AES_128_GCM;
      break;
    case SRTP_AES128_CM_SHA1_80:
      *profile = P2P_SRTP_PROFILE_AES128_CM_SHA1_80;
      break;
    default:
      return FALSE;
  }
  need = p2p_srtp_profile_key_material_size (*profile);
  if (need > material_size)
    return FALSE;
  if (SSL_export_keying_material (dtls->ssl, material, need,
          "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1) {
    ERR_clear_error ();
    return FALSE;
  }
  return TRUE;
}

/* RFC 5705 exporter without a context value, for the application: the
 * session's own value, the same on both ends of this handshake and
 * unrelated to any other handshake. */
gboolean
p2p_dtls_export_keying_material (P2pDtls * dtls, const gchar * label,
    guint8 * out, gsize size)
{
  if (dtls->state != DTLS_CONNECTED)
    return FALSE;
  if (SSL_export_keying_material (dtls->ssl, out, size, label, strlen (label),
          NULL, 0, 0) != 1) {
    ERR_clear_error ();
    return FALSE;
  }
  return TRUE;
}

void
p2p_dtls_close (P2pDtls * dtls)
{
  if (dtls->state == DTLS_CONNECTED) {
    /* close_notify tells the peer at once instead of letting it wait for
     * consent freshness to expire. */
    SSL_shutdown (dtls->ssl);
    ERR_clear_error ();
  }
  dtls->state = DTLS_DONE;
  if (dtls->timer) {
    g_source_destroy (dtls->timer);
    g_clear_pointer (&dtls->timer, g_source_unref);
  }
}

void
p2p_dtls_free (P2pDtls * dtls)
{
  if (dtls == NULL)
    return;
  if (dtls->timer) {
    g_source_destroy (dtls->timer);
    g_source_unref (dtls->timer);
  }
  if (dtls->ssl)
    SSL_free (dtls->ssl);
  g_ptr_array_unref (dtls->accepted_fingerprints);
  g_free (dtls->peer_fingerprint);
  g_main_context_unref (dtls->context);
  g_free (dtls);
}
