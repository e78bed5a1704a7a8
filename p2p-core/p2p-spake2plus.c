/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SPAKE2+ (RFC 9383) on P-256 with SHA-256, HKDF-SHA256 and HMAC-SHA256,
 * built from OpenSSL's EC_POINT arithmetic.
 *
 * Secret scalars (w0, w1, x, y) are only ever multiplied one at a time
 * (EC_POINT_mul with a single scalar takes OpenSSL's constant-time ladder;
 * the two-scalar form is a variable-time wNAF meant for public values), and
 * carry BN_FLG_CONSTTIME. Received shares are checked strictly: exactly 65
 * bytes, uncompressed form, coordinates reduced, on the curve, not the
 * identity; and a share that cancels the password mask (X = w0*M) is
 * refused, since it would make Z and V the identity.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-spake2plus.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>

/* RFC 9383 section 4, P-256: the seeds "1.2.840.10045.3.1.7 point
 * generation seed (M)" and "(N)", compressed. */
static const guint8 POINT_M[33] = {
  0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7,
  0x24, 0x25, 0x79, 0xf2, 0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab,
  0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1, 0x2f
};

static const guint8 POINT_N[33] = {
  0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99,
  0x7f, 0x38, 0xc3, 0x77, 0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49,
  0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b, 0x49
};

struct _P2pSpake2Plus
{
  P2pSpake2PlusRole role;
  EC_GROUP *group;
  BN_CTX *bn;
  EC_POINT *m;
  EC_POINT *n;
  BIGNUM *w0;
  BIGNUM *w1;                   /* prover only */
  EC_POINT *l;                  /* verifier only */
  BIGNUM *ephemeral;            /* x or y */
  GByteArray *context;
  GByteArray *id_prover;
  GByteArray *id_verifier;

  gboolean have_share;
  guint8 share[P2P_SPAKE2PLUS_POINT_SIZE];
  gboolean finished;            /* p2p_spake2plus_finish() was called */
  gboolean keyed;               /* ... and succeeded */
  GByteArray *transcript;
  guint8 k_main[P2P_SPAKE2PLUS_KEY_SIZE];
  guint8 k_confirm_p[P2P_SPAKE2PLUS_KEY_SIZE];
  guint8 k_confirm_v[P2P_SPAKE2PLUS_KEY_SIZE];
  guint8 k_shared[P2P_SPAKE2PLUS_KEY_SIZE];
  guint8 confirm[P2P_SPAKE2PLUS_MAC_SIZE];
  guint8 peer_confirm[P2P_SPAKE2PLUS_MAC_SIZE];
};

static EC_GROUP *
new_group (void)
{
  return EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
}

static BIGNUM *
secret_bn (const guint8 * data, gsize size)
{
  BIGNUM *bn = BN_secure_new ();

  if (bn == NULL)
    return NULL;
  BN_set_flags (bn, BN_FLG_CONSTTIME);
  if (BN_bin2bn (data, size, bn) == NULL) {
    BN_clear_free (bn);
    return NULL;
  }
  return bn;
}

/* A scalar in [1, n-1]. */
static gboolean
scalar_in_range (const EC_GROUP * group, const BIGNUM * s)
{
  return !BN_is_zero (s) && !BN_is_negative (s)
      && BN_cmp (s, EC_GROUP_get0_order (group)) < 0;
}

/* Strict decoding of a received point (see the top of the file). */
static EC_POINT *
decode_point (const EC_GROUP * group, const guint8 * data, gsize size,
    BN_CTX * bn)
{
  EC_POINT *p;

  if (data == NULL || size != P2P_SPAKE2PLUS_POINT_SIZE || data[0] != 0x04)
    return NULL;
  p = EC_POINT_new (group);
  if (p == NULL)
    return NULL;
  if (EC_POINT_oct2point (group, p, data, size, bn) != 1
      || EC_POINT_is_on_curve (group, p, bn) != 1
      || EC_POINT_is_at_infinity (group, p)) {
    EC_POINT_free (p);
    return NULL;
  }
  return p;
}

static gboolean
encode_point (const EC_GROUP * group, const EC_POINT * p, guint8 * out,
    BN_CTX * bn)
{
  if (EC_POINT_is_at_infinity (group, p))
    return FALSE;
  return EC_POINT_point2oct (group, p, POINT_CONVERSION_UNCOMPRESSED, out,
      P2P_SPAKE2PLUS_POINT_SIZE, bn) == P2P_SPAKE2PLUS_POINT_SIZE;
}

/* r = s*G when @p is NULL, else r = s*p; one scalar, so constant time. */
static gboolean
mul (const EC_GROUP * group, EC_POINT * r, const BIGNUM * s,
    const EC_POINT * p, BN_CTX * bn)
{
  if (p == NULL)
    return EC_POINT_mul (group, r, s, NULL, NULL, bn) == 1;
  return EC_POINT_mul (group, r, NULL, p, s, bn) == 1;
}

/**
 * p2p_spake2plus_reduce:
 * @half: one half of the PBKDF output
 * @size: its size, at least #P2P_SPAKE2PLUS_PBKDF_HALF_SIZE
 * @scalar: (out): @half modulo the group order, big-endian
 *
 * Returns: %FALSE if OpenSSL failed or the result is zero (which no
 *     password reaches in practice, and which SPAKE2+ cannot use)
 */
gboolean
p2p_spake2plus_reduce (const guint8 * half, gsize size,
    guint8 scalar[P2P_SPAKE2PLUS_SCALAR_SIZE])
{
  EC_GROUP *group = new_group ();
  BN_CTX *bn = BN_CTX_secure_new ();
  BIGNUM *a = secret_bn (half, size);
  BIGNUM *r = BN_secure_new ();
  gboolean ok = FALSE;

  g_return_val_if_fail (size >= P2P_SPAKE2PLUS_PBKDF_HALF_SIZE, FALSE);

  if (group && bn && a && r
      && BN_nnmod (r, a, EC_GROUP_get0_order (group), bn) == 1
      && !BN_is_zero (r))
    ok = BN_bn2binpad (r, scalar, P2P_SPAKE2PLUS_SCALAR_SIZE) ==
        P2P_SPAKE2PLUS_SCALAR_SIZE;
  BN_clear_free (a);
  BN_clear_free (r);
  BN_CTX_free (bn);
  EC_GROUP_free (group);
  return ok;
}

/**
 * p2p_spake2plus_check_scalar:
 * @scalar: a big-endian scalar
 * @size: its size
 *
 * Returns: %TRUE if @scalar is #P2P_SPAKE2PLUS_SCALAR_SIZE bytes and in
 *     [1, n-1]
 */
gboolean
p2p_spake2plus_check_scalar (const guint8 * scalar, gsize size)
{
  EC_GROUP *group;
  BIGNUM *s;
  gboolean ok;

  if (scalar == NULL || size != P2P_SPAKE2PLUS_SCALAR_SIZE)
    return FALSE;
  group = new_group ();
  s = secret_bn (scalar, size);
  ok = group && s && scalar_in_range (group, s);
  BN_clear_free (s);
  EC_GROUP_free (group);
  return ok;
}

/**
 * p2p_spake2plus_check_point:
 * @point: an encoded point
 * @size: its size
 *
 * Returns: %TRUE if @point is an uncompressed P-256 point other than the
 *     identity
 */
gboolean
p2p_spake2plus_check_point (const guint8 * point, gsize size)
{
  EC_GROUP *group = new_group ();
  EC_POINT *p = group ? decode_point (group, point, size, NULL) : NULL;
  gboolean ok = p != NULL;

  EC_POINT_free (p);
  EC_GROUP_free (group);
  return ok;
}

/**
 * p2p_spake2plus_compute_l:
 * @w1: the prover's second scalar
 * @l: (out): the registration record L = w1*P, uncompressed
 *
 * Returns: %FALSE if @w1 is out of range or OpenSSL failed
 */
gboolean
p2p_spake2plus_compute_l (const guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 l[P2P_SPAKE2PLUS_POINT_SIZE])
{
  EC_GROUP *group = new_group ();
  BN_CTX *bn = BN_CTX_secure_new ();
  BIGNUM *s = secret_bn (w1, P2P_SPAKE2PLUS_SCALAR_SIZE);
  EC_POINT *p = group ? EC_POINT_new (group) : NULL;
  gboolean ok;

  ok = group && bn && s && p && scalar_in_range (group, s)
      && mul (group, p, s, NULL, bn) && encode_point (group, p, l, bn);
  EC_POINT_free (p);
  BN_clear_free (s);
  BN_CTX_free (bn);
  EC_GROUP_free (group);
  return ok;
}

static GByteArray *
bytes_new (const guint8 * data, gsize size)
{
  GByteArray *a = g_byte_array_sized_new (size);

  if (size)
    g_byte_array_append (a, data, size);
  return a;
}

static void
bytes_free (GByteArray * a)
{
  if (a == NULL)
    return;
  OPENSSL_cleanse (a->data, a->len);
  g_byte_array_unref (a);
}

/**
 * p2p_spake2plus_new:
 * @role: prover or verifier
 * @context: the Context of the transcript (may bind the run to a channel)
 * @context_size: its size
 * @id_prover: idProver, may be empty
 * @id_prover_size: its size
 * @id_verifier: idVerifier, may be empty
 * @id_verifier_size: its size
 * @w0: the first scalar
 * @w1_or_l: the prover's w1 (#P2P_SPAKE2PLUS_SCALAR_SIZE bytes) or the
 *     verifier's L (#P2P_SPAKE2PLUS_POINT_SIZE bytes)
 * @w1_or_l_size: its size
 *
 * Returns: (transfer full) (nullable): a protocol run, %NULL if a scalar is
 *     out of range, L is not a valid point, or OpenSSL failed
 */
P2pSpake2Plus *
p2p_spake2plus_new (P2pSpake2PlusRole role, const guint8 * context,
    gsize context_size, const guint8 * id_prover, gsize id_prover_size,
    const guint8 * id_verifier, gsize id_verifier_size,
    const guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE], const guint8 * w1_or_l,
    gsize w1_or_l_size)
{
  P2pSpake2Plus *self = g_new0 (P2pSpake2Plus, 1);
  gboolean ok;

  self->role = role;
  self->group = new_group ();
  self->bn = BN_CTX_secure_new ();
  self->context = bytes_new (context, context_size);
  self->id_prover = bytes_new (id_prover, id_prover_size);
  self->id_verifier = bytes_new (id_verifier, id_verifier_size);
  self->transcript = g_byte_array_new ();
  ok = self->group && self->bn;
  if (ok) {
    self->m = EC_POINT_new (self->group);
    self->n = EC_POINT_new (self->group);
    ok = self->m && self->n
        && EC_POINT_oct2point (self->group, self->m, POINT_M, sizeof POINT_M,
        self->bn) == 1
        && EC_POINT_oct2point (self->group, self->n, POINT_N, sizeof POINT_N,
        self->bn) == 1;
  }
  if (ok) {
    self->w0 = secret_bn (w0, P2P_SPAKE2PLUS_SCALAR_SIZE);
    ok = self->w0 && scalar_in_range (self->group, self->w0);
  }
  if (ok && role == P2P_SPAKE2PLUS_PROVER) {
    self->w1 = w1_or_l_size == P2P_SPAKE2PLUS_SCALAR_SIZE ?
        secret_bn (w1_or_l, w1_or_l_size) : NULL;
    ok = self->w1 && scalar_in_range (self->group, self->w1);
  } else if (ok) {
    self->l = decode_point (self->group, w1_or_l, w1_or_l_size, self->bn);
    ok = self->l != NULL;
  }
  if (!ok) {
    p2p_spake2plus_free (self);
    return NULL;
  }
  return self;
}

/**
 * p2p_spake2plus_set_ephemeral:
 * @self: a run that has not made its share yet
 * @scalar: x (prover) or y (verifier)
 *
 * Fixes the ephemeral scalar instead of drawing it at random: for checking
 * against published test vectors only.
 *
 * Returns: %FALSE if @scalar is out of range or the share exists already
 */
gboolean
p2p_spake2plus_set_ephemeral (P2pSpake2Plus * self,
    const guint8 scalar[P2P_SPAKE2PLUS_SCALAR_SIZE])
{
  BIGNUM *s;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->have_share)
    return FALSE;
  s = secret_bn (scalar, P2P_SPAKE2PLUS_SCALAR_SIZE);
  if (s == NULL || !scalar_in_range (self->group, s)) {
    BN_clear_free (s);
    return FALSE;
  }
  BN_clear_free (self->ephemeral);
  self->ephemeral = s;
  return TRUE;
}

/**
 * p2p_spake2plus_get_share:
 * @self: a run
 * @share: (out): shareP = x*P + w0*M (prover) or shareV = y*P + w0*N
 *     (verifier)
 *
 * Draws the ephemeral scalar on the first call; later calls return the
 * same share.
 *
 * Returns: %FALSE if OpenSSL failed
 */
gboolean
p2p_spake2plus_get_share (P2pSpake2Plus * self,
    guint8 share[P2P_SPAKE2PLUS_POINT_SIZE])
{
  EC_POINT *a = NULL, *b = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->have_share) {
    memcpy (share, self->share, P2P_SPAKE2PLUS_POINT_SIZE);
    return TRUE;
  }
  if (self->ephemeral == NULL) {
    self->ephemeral = BN_secure_new ();
    if (self->ephemeral == NULL)
      return FALSE;
    BN_set_flags (self->ephemeral, BN_FLG_CONSTTIME);
    do {
      if (BN_priv_rand_range (self->ephemeral,
              EC_GROUP_get0_order (self->group)) != 1)
        return FALSE;
    } while (BN_is_zero (self->ephemeral));
  }
  a = EC_POINT_new (self->group);
  b = EC_POINT_new (self->group);
  ok = a && b && mul (self->group, a, self->ephemeral, NULL, self->bn)
      && mul (self->group, b, self->w0,
      self->role == P2P_SPAKE2PLUS_PROVER ? self->m : self->n, self->bn)
      && EC_POINT_add (self->group, a, a, b, self->bn) == 1
      && encode_point (self->group, a, self->share, self->bn);
  EC_POINT_clear_free (a);
  EC_POINT_clear_free (b);
  if (ok) {
    self->have_share = TRUE;
    memcpy (share, self->share, P2P_SPAKE2PLUS_POINT_SIZE);
  }
  return ok;
}

static void
append_with_length (GByteArray * tt, const guint8 * data, gsize size)
{
  guint64 le = GUINT64_TO_LE ((guint64) size);

  g_byte_array_append (tt, (const guint8 *) &le, sizeof le);
  if (size)
    g_byte_array_append (tt, data, size);
}

static gboolean
hkdf (const guint8 * key, const gchar * info, guint8 * out, gsize size)
{
  EVP_KDF *kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new (kdf) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256",
        0),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) key,
        P2P_SPAKE2PLUS_KEY_SIZE),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info,
        strlen (info)),
    OSSL_PARAM_construct_end (),
  };
  gboolean ok = ctx && EVP_KDF_derive (ctx, out, size, params) == 1;

  EVP_KDF_CTX_free (ctx);
  EVP_KDF_free (kdf);
  return ok;
}

static gboolean
mac (const guint8 * key, const guint8 * data, guint8 * out)
{
  unsigned int len = 0;

  return HMAC (EVP_sha256 (), key, P2P_SPAKE2PLUS_KEY_SIZE, data,
      P2P_SPAKE2PLUS_POINT_SIZE, out, &len) != NULL
      && len == P2P_SPAKE2PLUS_MAC_SIZE;
}

/* The transcript TT (RFC 9383 section 3.3) and the key schedule
 * (section 3.4), from the encoded shares, Z and V. */
static gboolean
derive_keys (P2pSpake2Plus * self, const guint8 * share_p,
    const guint8 * share_v, const guint8 * z, const guint8 * v)
{
  guint8 point[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE];
  guint8 confirm_keys[2 * P2P_SPAKE2PLUS_KEY_SIZE];
  GByteArray *tt = self->transcript;
  unsigned int len = 0;
  gboolean ok;

  append_with_length (tt, self->context->data, self->context->len);
  append_with_length (tt, self->id_prover->data, self->id_prover->len);
  append_with_length (tt, self->id_verifier->data, self->id_verifier->len);
  if (!encode_point (self->group, self->m, point, self->bn))
    return FALSE;
  append_with_length (tt, point, sizeof point);
  if (!encode_point (self->group, self->n, point, self->bn))
    return FALSE;
  append_with_length (tt, point, sizeof point);
  append_with_length (tt, share_p, P2P_SPAKE2PLUS_POINT_SIZE);
  append_with_length (tt, share_v, P2P_SPAKE2PLUS_POINT_SIZE);
  append_with_length (tt, z, P2P_SPAKE2PLUS_POINT_SIZE);
  append_with_length (tt, v, P2P_SPAKE2PLUS_POINT_SIZE);
  if (BN_bn2binpad (self->w0, w0, sizeof w0) != sizeof w0)
    return FALSE;
  append_with_length (tt, w0, sizeof w0);
  OPENSSL_cleanse (w0, sizeof w0);

  ok = EVP_Digest (tt->data, tt->len, self->k_main, &len, EVP_sha256 (),
      NULL) == 1 && len == P2P_SPAKE2PLUS_KEY_SIZE
      && hkdf (self->k_main, "ConfirmationKeys", confirm_keys,
      sizeof confirm_keys)
      && hkdf (self->k_main, "SharedKey", self->k_shared,
      P2P_SPAKE2PLUS_KEY_SIZE);
  if (ok) {
    memcpy (self->k_confirm_p, confirm_keys, P2P_SPAKE2PLUS_KEY_SIZE);
    memcpy (self->k_confirm_v, confirm_keys + P2P_SPAKE2PLUS_KEY_SIZE,
        P2P_SPAKE2PLUS_KEY_SIZE);
  }
  OPENSSL_cleanse (confirm_keys, sizeof confirm_keys);
  /* confirmP = MAC(K_confirmP, shareV), confirmV = MAC(K_confirmV, shareP) */
  if (ok && self->role == P2P_SPAKE2PLUS_PROVER)
    ok = mac (self->k_confirm_p, share_v, self->confirm)
        && mac (self->k_confirm_v, share_p, self->peer_confirm);
  else if (ok)
    ok = mac (self->k_confirm_v, share_p, self->confirm)
        && mac (self->k_confirm_p, share_v, self->peer_confirm);
  return ok;
}

/**
 * p2p_spake2plus_finish:
 * @self: a run whose share was made
 * @peer_share: the peer's share as received
 * @size: its size
 *
 * Checks the peer's share, computes Z and V, the transcript and the keys.
 * A run finishes once: a second call fails.
 *
 * Returns: %FALSE if the share is not a valid point, cancels the password
 *     mask, or OpenSSL failed
 */
gboolean
p2p_spake2plus_finish (P2pSpake2Plus * self, const guint8 * peer_share,
    gsize size)
{
  guint8 z_enc[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 v_enc[P2P_SPAKE2PLUS_POINT_SIZE];
  EC_POINT *peer = NULL, *t = NULL, *z = NULL, *v = NULL;
  gboolean prover;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->have_share || self->finished)
    return FALSE;
  self->finished = TRUE;
  prover = self->role == P2P_SPAKE2PLUS_PROVER;

  peer = decode_point (self->group, peer_share, size, self->bn);
  t = EC_POINT_new (self->group);
  z = EC_POINT_new (self->group);
  v = EC_POINT_new (self->group);
  /* t = peer - w0*N (prover) or peer - w0*M (verifier) */
  ok = peer && t && z && v
      && mul (self->group, t, self->w0, prover ? self->n : self->m, self->bn)
      && EC_POINT_invert (self->group, t, self->bn) == 1
      && EC_POINT_add (self->group, t, peer, t, self->bn) == 1
      && !EC_POINT_is_at_infinity (self->group, t)
      && mul (self->group, z, self->ephemeral, t, self->bn)
      && (prover ? mul (self->group, v, self->w1, t, self->bn)
      : mul (self->group, v, self->ephemeral, self->l, self->bn))
      && encode_point (self->group, z, z_enc, self->bn)
      && encode_point (self->group, v, v_enc, self->bn)
      && derive_keys (self, prover ? self->share : peer_share,
      prover ? peer_share : self->share, z_enc, v_enc);

  OPENSSL_cleanse (z_enc, sizeof z_enc);
  OPENSSL_cleanse (v_enc, sizeof v_enc);
  EC_POINT_free (peer);
  EC_POINT_clear_free (t);
  EC_POINT_clear_free (z);
  EC_POINT_clear_free (v);
  /* The ephemeral scalar is of no further use; drop it at once. */
  BN_clear_free (self->ephemeral);
  self->ephemeral = NULL;
  self->keyed = ok;
  return ok;
}

/**
 * p2p_spake2plus_get_confirm:
 * @self: a finished run
 *
 * Returns: (nullable): this side's confirmation, #P2P_SPAKE2PLUS_MAC_SIZE
 *     bytes: confirmP for the prover, confirmV for the verifier
 */
const guint8 *
p2p_spake2plus_get_confirm (P2pSpake2Plus * self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->keyed ? self->confirm : NULL;
}

/**
 * p2p_spake2plus_check_confirm:
 * @self: a finished run
 * @confirm: the peer's confirmation as received
 * @size: its size
 *
 * Compares in constant time.
 *
 * Returns: %TRUE if @confirm is the one the peer must send
 */
gboolean
p2p_spake2plus_check_confirm (P2pSpake2Plus * self, const guint8 * confirm,
    gsize size)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->keyed || confirm == NULL || size != P2P_SPAKE2PLUS_MAC_SIZE)
    return FALSE;
  return CRYPTO_memcmp (self->peer_confirm, confirm, size) == 0;
}

/**
 * p2p_spake2plus_get_shared_key:
 * @self: a finished run
 *
 * Returns: (nullable): K_shared, #P2P_SPAKE2PLUS_KEY_SIZE bytes; use it only
 *     after the peer's confirmation checked
 */
const guint8 *
p2p_spake2plus_get_shared_key (P2pSpake2Plus * self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->keyed ? self->k_shared : NULL;
}

/**
 * p2p_spake2plus_get_transcript:
 * @self: a finished run
 *
 * For tests against published vectors.
 *
 * Returns: (transfer full): the transcript TT
 */
GBytes *
p2p_spake2plus_get_transcript (P2pSpake2Plus * self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_bytes_new (self->transcript->data, self->transcript->len);
}

/**
 * p2p_spake2plus_get_keys:
 * @self: a finished run
 * @k_main: (out): K_main
 * @k_confirm_p: (out): K_confirmP
 * @k_confirm_v: (out): K_confirmV
 *
 * For tests against published vectors.
 */
void
p2p_spake2plus_get_keys (P2pSpake2Plus * self,
    guint8 k_main[P2P_SPAKE2PLUS_KEY_SIZE],
    guint8 k_confirm_p[P2P_SPAKE2PLUS_KEY_SIZE],
    guint8 k_confirm_v[P2P_SPAKE2PLUS_KEY_SIZE])
{
  g_return_if_fail (self != NULL);

  memcpy (k_main, self->k_main, P2P_SPAKE2PLUS_KEY_SIZE);
  memcpy (k_confirm_p, self->k_confirm_p, P2P_SPAKE2PLUS_KEY_SIZE);
  memcpy (k_confirm_v, self->k_confirm_v, P2P_SPAKE2PLUS_KEY_SIZE);
}

/**
 * p2p_spake2plus_free:
 * @self: (nullable): a run
 *
 * Frees @self and wipes every secret it held.
 */
void
p2p_spake2plus_free (P2pSpake2Plus * self)
{
  if (self == NULL)
    return;
  EC_POINT_free (self->m);
  EC_POINT_free (self->n);
  EC_POINT_free (self->l);
  BN_clear_free (self->w0);
  BN_clear_free (self->w1);
  BN_clear_free (self->ephemeral);
  BN_CTX_free (self->bn);
  EC_GROUP_free (self->group);
  bytes_free (self->context);
  bytes_free (self->id_prover);
  bytes_free (self->id_verifier);
  bytes_free (self->transcript);
  OPENSSL_cleanse (self, sizeof *self);
  g_free (self);
}
