/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-identity
 * @title: P2pIdentity
 * @short_description: a key pair and its certificate
 *
 * A #P2pIdentity is what a peer proves it is: a private key and the
 * self-signed X.509 certificate carrying its public half. A camera loads its
 * identity from the key file written by `p2p-uid add`; the certificate's
 * SHA-256 fingerprint is what the server registry holds for its UID, and
 * the same certificate is used for DTLS, so a viewer can check the media
 * path end to end against the registry. A viewer usually generates an
 * ephemeral identity with p2p_identity_generate().
 *
 * An identity made from a certificate alone (no private key) can verify
 * signatures, which is what the server does at device login.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-identity-private.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

G_DEFINE_QUARK (p2p_identity_error, p2p_identity_error);

struct _P2pIdentity
{
  GObject parent;

  EVP_PKEY *pkey;               /* NULL for a certificate-only identity */
  X509 *x509;
  gchar *fingerprint;
  gchar *common_name;
};

G_DEFINE_TYPE (P2pIdentity, p2p_identity, G_TYPE_OBJECT);

/* Key files are small; anything larger is not a key file. */
#define MAX_PEM_SIZE (64 * 1024)

static void
set_openssl_error (GError ** error, gint code, const gchar * what)
{
  gulong err = ERR_get_error ();
  gchar buf[256] = "unknown error";

  if (err != 0)
    ERR_error_string_n (err, buf, sizeof (buf));
  ERR_clear_error ();
  g_set_error (error, P2P_IDENTITY_ERROR, code, "%s: %s", what, buf);
}

static void
p2p_identity_finalize (GObject * object)
{
  P2pIdentity *self = P2P_IDENTITY (object);

  EVP_PKEY_free (self->pkey);
  X509_free (self->x509);
  g_free (self->fingerprint);
  g_free (self->common_name);

  G_OBJECT_CLASS (p2p_identity_parent_class)->finalize (object);
}

static void
p2p_identity_class_init (P2pIdentityClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_identity_finalize;
}

static void
p2p_identity_init (P2pIdentity * self)
{
}

/**
 * p2p_fingerprint_from_der:
 * @der: (array length=der_len): a DER encoded certificate
 * @der_len: length of @der
 *
 * Computes the certificate fingerprint in the form used by the SDP
 * `a=fingerprint` attribute (RFC 8122): `sha-256` followed by the upper-case
 * hexadecimal digest bytes separated by colons.
 *
 * Returns: (transfer full): the fingerprint
 */
gchar *
p2p_fingerprint_from_der (const guint8 * der, gsize der_len)
{
  guint8 md[EVP_MAX_MD_SIZE];
  guint md_len = 0;
  GString *s;
  guint i;

  g_return_val_if_fail (der != NULL, NULL);

  if (!EVP_Digest (der, der_len, md, &md_len, EVP_sha256 (), NULL))
    return NULL;

  s = g_string_sized_new (8 + md_len * 3);
  g_string_append (s, "sha-256 ");
  for (i = 0; i < md_len; i++)
    g_string_append_printf (s, i ? ":%02X" : "%02X", md[i]);
  return g_string_free (s, FALSE);
}

/**
 * p2p_fingerprint_equal:
 * @a: a fingerprint in SDP form
 * @b: another fingerprint in SDP form
 *
 * Compares two fingerprints as RFC 8122 requires: the hash name and the hex
 * digits are case-insensitive; surrounding white space is ignored.
 *
 * Returns: %TRUE when both name the same certificate digest
 */
gboolean
p2p_fingerprint_equal (const gchar * a, const gchar * b)
{
  g_autofree gchar *sa = NULL, *sb = NULL;

  if (a == NULL || b == NULL)
    return FALSE;

  sa = g_strstrip (g_strdup (a));
  sb = g_strstrip (g_strdup (b));
  return g_ascii_strcasecmp (sa, sb) == 0;
}

static gboolean
finish_identity (P2pIdentity * self, GError ** error)
{
  g_autofree guint8 *der = NULL;
  guint8 *p;
  X509_NAME *name;
  gint len;
  gchar cn[256];

  len = i2d_X509 (self->x509, NULL);
  if (len <= 0) {
    set_openssl_error (error, P2P_IDENTITY_ERROR_PARSE,
        "Could not encode the certificate");
    return FALSE;
  }
  der = g_malloc (len);
  p = der;
  i2d_X509 (self->x509, &p);
  self->fingerprint = p2p_fingerprint_from_der (der, len);

  name = X509_get_subject_name (self->x509);
  if (name && X509_NAME_get_text_by_NID (name, NID_commonName, cn,
          sizeof (cn)) > 0)
    self->common_name = g_strdup (cn);

  if (self->pkey && X509_check_private_key (self->x509, self->pkey) != 1) {
    ERR_clear_error ();
    g_set_error_literal (error, P2P_IDENTITY_ERROR,
        P2P_IDENTITY_ERROR_KEY_MISMATCH,
        "The private key does not belong to the certificate");
    return FALSE;
  }
  return TRUE;
}

/**
 * p2p_identity_generate:
 * @key_type: the key algorithm
 * @common_name: (nullable): subject common name of the certificate (a device
 *     UID, or %NULL for "p2p-viewer")
 * @validity_days: how long the certificate is valid, in days (0 = 365)
 * @error: return location for a #GError
 *
 * Generates a fresh key pair and a self-signed certificate for it. Viewers
 * use this for an ephemeral DTLS identity; `p2p-uid add` uses it for a device.
 *
 * Returns: (transfer full) (nullable): a new identity, or %NULL on error
 */
P2pIdentity *
p2p_identity_generate (P2pKeyType key_type, const gchar * common_name,
    guint validity_days, GError ** error)
{
  g_autoptr (P2pIdentity) self = NULL;
  X509_NAME *name;
  guint8 serial[16];
  BIGNUM *bn;
  const EVP_MD *md;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (common_name == NULL)
    common_name = "p2p-viewer";
  if (validity_days == 0)
    validity_days = 365;

  self = g_object_new (P2P_TYPE_IDENTITY, NULL);

  switch (key_type) {
    case P2P_KEY_TYPE_ED25519:
      self->pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
      md = NULL;                /* Ed25519 signs without a separate digest */
      break;
    case P2P_KEY_TYPE_ECDSA_P256:
    default:
      self->pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
      md = EVP_sha256 ();
      break;
  }
  if (self->pkey == NULL) {
    set_openssl_error (error, P2P_IDENTITY_ERROR_FAILED,
        "Could not generate a key pair");
    return NULL;
  }

  self->x509 = X509_new ();
  X509_set_version (self->x509, 2);
  /* A random serial keeps two certificates with one name distinguishable. */
  RAND_bytes (serial, sizeof (serial));
  serial[0] &= 0x7f;
  bn = BN_bin2bn (serial, sizeof (serial), NULL);
  BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (self->x509));
  BN_free (bn);
  /* Backdated a day so peers with slightly wrong clocks still accept it. */
  X509_gmtime_adj (X509_getm_notBefore (self->x509), -24 * 3600);
  X509_gmtime_adj (X509_getm_notAfter (self->x509),
      (glong) validity_days * 24 * 3600);
  X509_set_pubkey (self->x509, self->pkey);
  name = X509_get_subject_name (self->x509);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
      (const guint8 *) common_name, -1, -1, 0);
  X509_set_issuer_name (self->x509, name);

  if (X509_sign (self->x509, self->pkey, md) == 0) {
    set_openssl_error (error, P2P_IDENTITY_ERROR_FAILED,
        "Could not sign the certificate");
    return NULL;
  }

  if (!finish_identity (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * p2p_identity_new_from_pem:
 * @pem: PEM text holding a certificate and, optionally, its private key
 * @error: return location for a #GError
 *
 * Loads an identity from PEM text. The certificate is required; the private
 * key is optional (without it the identity can only verify).
 *
 * Returns: (transfer full) (nullable): a new identity, or %NULL on error
 */
P2pIdentity *
p2p_identity_new_from_pem (const gchar * pem, GError ** error)
{
  g_autoptr (P2pIdentity) self = NULL;
  BIO *bio;
  gsize len;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (pem);
  if (len > MAX_PEM_SIZE) {
    g_set_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_PARSE,
        "PEM data too large (%" G_GSIZE_FORMAT " bytes, limit %d)", len,
        MAX_PEM_SIZE);
    return NULL;
  }

  self = g_object_new (P2P_TYPE_IDENTITY, NULL);

  bio = BIO_new_mem_buf (pem, (int) len);
  self->x509 = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  ERR_clear_error ();
  if (self->x509 == NULL) {
    g_set_error_literal (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_PARSE,
        "No PEM certificate found");
    return NULL;
  }

  /* The key may come before or after the certificate: read it separately. */
  bio = BIO_new_mem_buf (pem, (int) len);
  self->pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  ERR_clear_error ();

  if (!finish_identity (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * p2p_identity_new_from_file:
 * @path: (type filename): path of a PEM key file
 * @error: return location for a #GError
 *
 * Loads an identity from a key file as written by `p2p-uid add`.
 *
 * Returns: (transfer full) (nullable): a new identity, or %NULL on error
 */
P2pIdentity *
p2p_identity_new_from_file (const gchar * path, GError ** error)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) err = NULL;
  P2pIdentity *self;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    g_set_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_READ,
        "Cannot read key file: %s", err->message);
    return NULL;
  }
  if (len > MAX_PEM_SIZE || strlen (contents) != len) {
    g_set_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_PARSE,
        "%s is not a PEM key file", path);
    return NULL;
  }

  self = p2p_identity_new_from_pem (contents, &err);
  if (self == NULL)
    g_set_error (error, P2P_IDENTITY_ERROR, err->code, "%s: %s", path,
        err->message);
  return self;
}

/**
 * p2p_identity_get_fingerprint:
 * @self: a #P2pIdentity
 *
 * Returns: the certificate's SHA-256 fingerprint in SDP form
 *     (`sha-256 AB:CD:…`)
 */
const gchar *
p2p_identity_get_fingerprint (P2pIdentity * self)
{
  g_return_val_if_fail (P2P_IS_IDENTITY (self), NULL);
  return self->fingerprint;
}

/**
 * p2p_identity_get_common_name:
 * @self: a #P2pIdentity
 *
 * Returns: (nullable): the certificate's subject common name
 */
const gchar *
p2p_identity_get_common_name (P2pIdentity * self)
{
  g_return_val_if_fail (P2P_IS_IDENTITY (self), NULL);
  return self->common_name;
}

/**
 * p2p_identity_has_private_key:
 * @self: a #P2pIdentity
 *
 * Returns: %TRUE when the identity holds a private key
 */
gboolean
p2p_identity_has_private_key (P2pIdentity * self)
{
  g_return_val_if_fail (P2P_IS_IDENTITY (self), FALSE);
  return self->pkey != NULL;
}

static gchar *
bio_to_string (BIO * bio)
{
  gchar *data = NULL;
  glong len = BIO_get_mem_data (bio, &data);
  gchar *ret = g_strndup (data, len);

  BIO_free (bio);
  return ret;
}

/**
 * p2p_identity_get_certificate_pem:
 * @self: a #P2pIdentity
 *
 * Returns: (transfer full): the certificate in PEM form
 */
gchar *
p2p_identity_get_certificate_pem (P2pIdentity * self)
{
  BIO *bio;

  g_return_val_if_fail (P2P_IS_IDENTITY (self), NULL);

  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_X509 (bio, self->x509);
  return bio_to_string (bio);
}

/**
 * p2p_identity_get_private_key_pem:
 * @self: a #P2pIdentity
 * @error: return location for a #GError
 *
 * The private key in unencrypted PKCS#8 PEM form; the caller is responsible
 * for storing it with restrictive permissions.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL when there is none
 */
gchar *
p2p_identity_get_private_key_pem (P2pIdentity * self, GError ** error)
{
  BIO *bio;

  g_return_val_if_fail (P2P_IS_IDENTITY (self), NULL);

  if (self->pkey == NULL) {
    g_set_error_literal (error, P2P_IDENTITY_ERROR,
        P2P_IDENTITY_ERROR_NO_PRIVATE_KEY, "The identity has no private key");
    return NULL;
  }
  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_PrivateKey (bio, self->pkey, NULL, NULL, 0, NULL, NULL);
  return bio_to_string (bio);
}

/**
 * p2p_identity_sign:
 * @self: a #P2pIdentity with a private key
 * @data: the bytes to sign
 * @error: return location for a #GError
 *
 * Signs @data: ECDSA with SHA-256 (DER encoded signature) or pure Ed25519,
 * depending on the key.
 *
 * Returns: (transfer full) (nullable): the signature
 */
GBytes *
p2p_identity_sign (P2pIdentity * self, GBytes * data, GError ** error)
{
  EVP_MD_CTX *ctx;
  const EVP_MD *md;
  gsize sig_len = 0;
  guint8 *sig;
  gconstpointer d;
  gsize d_len;

  g_return_val_if_fail (P2P_IS_IDENTITY (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (self->pkey == NULL) {
    g_set_error_literal (error, P2P_IDENTITY_ERROR,
        P2P_IDENTITY_ERROR_NO_PRIVATE_KEY,
        "Cannot sign: the identity has no private key");
    return NULL;
  }

  d = g_bytes_get_data (data, &d_len);
  md = EVP_PKEY_is_a (self->pkey, "ED25519") ? NULL : EVP_sha256 ();
  ctx = EVP_MD_CTX_new ();
  if (EVP_DigestSignInit (ctx, NULL, md, NULL, self->pkey) != 1 ||
      EVP_DigestSign (ctx, NULL, &sig_len, d, d_len) != 1) {
    EVP_MD_CTX_free (ctx);
    set_openssl_error (error, P2P_IDENTITY_ERROR_FAILED, "Signing failed");
    return NULL;
  }
  sig = g_malloc (sig_len);
  if (EVP_DigestSign (ctx, sig, &sig_len, d, d_len) != 1) {
    EVP_MD_CTX_free (ctx);
    g_free (sig);
    set_openssl_error (error, P2P_IDENTITY_ERROR_FAILED, "Signing failed");
    return NULL;
  }
  EVP_MD_CTX_free (ctx);
  return g_bytes_new_take (sig, sig_len);
}

/**
 * p2p_identity_verify:
 * @self: a #P2pIdentity (the private key is not needed)
 * @data: the signed bytes
 * @signature: the signature to check
 * @error: return location for a #GError
 *
 * Checks that @signature over @data was made with this identity's key.
 *
 * Returns: %TRUE when the signature is valid; %FALSE with
 *     %P2P_IDENTITY_ERROR_BAD_SIGNATURE otherwise
 */
gboolean
p2p_identity_verify (P2pIdentity * self, GBytes * data, GBytes * signature,
    GError ** error)
{
  EVP_PKEY *pub;
  EVP_MD_CTX *ctx;
  const EVP_MD *md;
  gconstpointer d, s;
  gsize d_len, s_len;
  gint ret;

  g_return_val_if_fail (P2P_IS_IDENTITY (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  d = g_bytes_get_data (data, &d_len);
  s = g_bytes_get_data (signature, &s_len);
  pub = X509_get0_pubkey (self->x509);
  md = EVP_PKEY_is_a (pub, "ED25519") ? NULL : EVP_sha256 ();

  ctx = EVP_MD_CTX_new ();
  ret = EVP_DigestVerifyInit (ctx, NULL, md, NULL, pub);
  if (ret == 1)
    ret = EVP_DigestVerify (ctx, s, s_len, d, d_len);
  EVP_MD_CTX_free (ctx);
  ERR_clear_error ();

  if (ret != 1) {
    g_set_error_literal (error, P2P_IDENTITY_ERROR,
        P2P_IDENTITY_ERROR_BAD_SIGNATURE, "Signature does not verify");
    return FALSE;
  }
  return TRUE;
}

EVP_PKEY *
p2p_identity_get_pkey (P2pIdentity * self)
{
  return self->pkey;
}

X509 *
p2p_identity_get_x509 (P2pIdentity * self)
{
  return self->x509;
}
