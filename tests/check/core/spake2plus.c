/* p2p-core SPAKE2+ tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "p2p-spake2plus.h"

/* RFC 9383 appendix C, P256-SHA256-HKDF-SHA256-HMAC-SHA256. */
#define RFC_CONTEXT "SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors"
#define RFC_W0 "bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3"
#define RFC_W1 "7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba"
#define RFC_L "04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f" \
  "00bfedcbd09b2400142d40a14f2064ef31dfaa903b91d1faea7093d835966efd"
#define RFC_X "d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539"
#define RFC_SHARE_P "04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15" \
  "c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727"
#define RFC_Y "717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3"
#define RFC_SHARE_V "04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea758" \
  "10fb5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048"
#define RFC_TT "38000000000000005350414b45322b2d503235362d5348413235362d484b4" \
  "4462d5348413235362d484d41432d534841323536205465737420566563746f72730" \
  "600000000000000636c69656e7406000000000000007365727665724100000000000" \
  "00004886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12" \
  "f5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20410" \
  "000000000000004d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f9" \
  "8baa1292b4907d60aa6bfade45008a636337f5168c64d9bd36034808cd564490b1e6" \
  "56edbe7410000000000000004ef3bd051bf78a2234ec0df197f7828060fe98565035" \
  "79bb1733009042c15c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab" \
  "97a79c7193e341727410000000000000004c0f65da0d11927bdf5d560c69e1d7d939" \
  "a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82ff2f50665255d76173e0" \
  "9986ab46742c798a9a68437b048410000000000000004bbfce7dd7f277819c8da215" \
  "44afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4e" \
  "67e2ca633117a4fbd559946ab474356c4183941000000000000000458bf27c6bca01" \
  "1c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e66" \
  "4f23db7c01edc87faa530db01c2ee405230b18997f16b682000000000000000bb8e1" \
  "bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3"
#define RFC_K_MAIN "4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29"
#define RFC_K_CONFIRM_P "871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a"
#define RFC_K_CONFIRM_V "ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680"
#define RFC_CONFIRM_P "926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527"
#define RFC_CONFIRM_V "9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68"
#define RFC_K_SHARED "0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7"

/* The group order n of P-256. */
#define P256_ORDER "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

static GBytes *
unhex (const gchar * hex)
{
  gsize n = strlen (hex) / 2;
  guint8 *out = g_malloc (n);

  g_assert_cmpuint (strlen (hex) % 2, ==, 0);
  for (gsize i = 0; i < n; i++) {
    gint hi = g_ascii_xdigit_value (hex[2 * i]);
    gint lo = g_ascii_xdigit_value (hex[2 * i + 1]);

    g_assert_true (hi >= 0 && lo >= 0);
    out[i] = hi << 4 | lo;
  }
  return g_bytes_new_take (out, n);
}

static const guint8 *
data_of (GBytes * b)
{
  return g_bytes_get_data (b, NULL);
}

static void
assert_hex (const guint8 * data, gsize size, const gchar * hex)
{
  g_autoptr (GBytes) expected = unhex (hex);
  g_autoptr (GBytes) got = g_bytes_new (data, size);

  g_assert_true (g_bytes_equal (got, expected));
}

static P2pSpake2Plus *
rfc_run (P2pSpake2PlusRole role, const gchar * w0_hex)
{
  g_autoptr (GBytes) w0 = unhex (w0_hex);
  g_autoptr (GBytes) secret = unhex (role == P2P_SPAKE2PLUS_PROVER ?
      RFC_W1 : RFC_L);
  gsize secret_size = 0;
  const guint8 *secret_data = g_bytes_get_data (secret, &secret_size);

  return p2p_spake2plus_new (role, (const guint8 *) RFC_CONTEXT,
      strlen (RFC_CONTEXT), (const guint8 *) "client", 6,
      (const guint8 *) "server", 6, data_of (w0), secret_data, secret_size);
}

static void
test_rfc_vectors (void)
{
  g_autoptr (GBytes) x = unhex (RFC_X);
  g_autoptr (GBytes) y = unhex (RFC_Y);
  g_autoptr (GBytes) w1 = unhex (RFC_W1);
  g_autoptr (P2pSpake2Plus) prover = rfc_run (P2P_SPAKE2PLUS_PROVER, RFC_W0);
  g_autoptr (P2pSpake2Plus) verifier =
      rfc_run (P2P_SPAKE2PLUS_VERIFIER, RFC_W0);
  g_autoptr (GBytes) tt_p = NULL;
  g_autoptr (GBytes) tt_v = NULL;
  guint8 l[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 share_p[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 k_main[32], k_cp[32], k_cv[32];
  gsize size = 0;
  const guint8 *tt;

  /* Registration: L = w1*P. */
  g_assert_true (p2p_spake2plus_compute_l (data_of (w1), l));
  assert_hex (l, sizeof l, RFC_L);

  g_assert_nonnull (prover);
  g_assert_nonnull (verifier);
  g_assert_true (p2p_spake2plus_set_ephemeral (prover, data_of (x)));
  g_assert_true (p2p_spake2plus_set_ephemeral (verifier, data_of (y)));
  g_assert_true (p2p_spake2plus_get_share (prover, share_p));
  assert_hex (share_p, sizeof share_p, RFC_SHARE_P);
  g_assert_true (p2p_spake2plus_get_share (verifier, share_v));
  assert_hex (share_v, sizeof share_v, RFC_SHARE_V);

  g_assert_true (p2p_spake2plus_finish (verifier, share_p, sizeof share_p));
  g_assert_true (p2p_spake2plus_finish (prover, share_v, sizeof share_v));

  tt_p = p2p_spake2plus_get_transcript (prover);
  tt_v = p2p_spake2plus_get_transcript (verifier);
  tt = g_bytes_get_data (tt_p, &size);
  assert_hex (tt, size, RFC_TT);
  g_assert_true (g_bytes_equal (tt_p, tt_v));

  p2p_spake2plus_get_keys (prover, k_main, k_cp, k_cv);
  assert_hex (k_main, 32, RFC_K_MAIN);
  assert_hex (k_cp, 32, RFC_K_CONFIRM_P);
  assert_hex (k_cv, 32, RFC_K_CONFIRM_V);
  p2p_spake2plus_get_keys (verifier, k_main, k_cp, k_cv);
  assert_hex (k_main, 32, RFC_K_MAIN);
  assert_hex (k_cp, 32, RFC_K_CONFIRM_P);
  assert_hex (k_cv, 32, RFC_K_CONFIRM_V);

  assert_hex (p2p_spake2plus_get_confirm (prover), 32, RFC_CONFIRM_P);
  assert_hex (p2p_spake2plus_get_confirm (verifier), 32, RFC_CONFIRM_V);
  assert_hex (p2p_spake2plus_get_shared_key (prover), 32, RFC_K_SHARED);
  assert_hex (p2p_spake2plus_get_shared_key (verifier), 32, RFC_K_SHARED);

  g_assert_true (p2p_spake2plus_check_confirm (prover,
          p2p_spake2plus_get_confirm (verifier), 32));
  g_assert_true (p2p_spake2plus_check_confirm (verifier,
          p2p_spake2plus_get_confirm (prover), 32));
  /* A confirmation is not its mirror image. */
  g_assert_false (p2p_spake2plus_check_confirm (prover,
          p2p_spake2plus_get_confirm (prover), 32));
  g_assert_false (p2p_spake2plus_check_confirm (verifier,
          p2p_spake2plus_get_confirm (verifier), 31));
}

/* Runs prover and verifier with random ephemerals; returns whether each
 * side accepted the other's confirmation. */
static void
run (const gchar * prover_w0, const gchar * prover_context,
    gboolean * prover_ok, gboolean * verifier_ok)
{
  g_autoptr (GBytes) w0 = unhex (prover_w0);
  g_autoptr (GBytes) w1 = unhex (RFC_W1);
  g_autoptr (GBytes) v_w0 = unhex (RFC_W0);
  g_autoptr (GBytes) l = unhex (RFC_L);
  g_autoptr (P2pSpake2Plus) p = NULL;
  g_autoptr (P2pSpake2Plus) v = NULL;
  guint8 share_p[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];

  p = p2p_spake2plus_new (P2P_SPAKE2PLUS_PROVER,
      (const guint8 *) prover_context, strlen (prover_context),
      (const guint8 *) "viewer", 6, (const guint8 *) "CAM", 3,
      data_of (w0), data_of (w1), 32);
  v = p2p_spake2plus_new (P2P_SPAKE2PLUS_VERIFIER,
      (const guint8 *) "ctx", 3, (const guint8 *) "viewer", 6,
      (const guint8 *) "CAM", 3, data_of (v_w0), data_of (l), 65);
  g_assert_nonnull (p);
  g_assert_nonnull (v);
  g_assert_true (p2p_spake2plus_get_share (p, share_p));
  g_assert_true (p2p_spake2plus_get_share (v, share_v));
  g_assert_true (p2p_spake2plus_finish (v, share_p, sizeof share_p));
  g_assert_true (p2p_spake2plus_finish (p, share_v, sizeof share_v));
  *prover_ok = p2p_spake2plus_check_confirm (p,
      p2p_spake2plus_get_confirm (v), 32);
  *verifier_ok = p2p_spake2plus_check_confirm (v,
      p2p_spake2plus_get_confirm (p), 32);
}

static void
test_agree (void)
{
  gboolean p_ok, v_ok;

  run (RFC_W0, "ctx", &p_ok, &v_ok);
  g_assert_true (p_ok);
  g_assert_true (v_ok);
}

static void
test_wrong_w0 (void)
{
  gboolean p_ok, v_ok;

  /* w0 differs in its last bit: both sides refuse. */
  run ("bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b2",
      "ctx", &p_ok, &v_ok);
  g_assert_false (p_ok);
  g_assert_false (v_ok);
}

static void
test_wrong_context (void)
{
  gboolean p_ok, v_ok;

  /* Right password, other channel: what a relay in the middle gets. */
  run (RFC_W0, "ctx2", &p_ok, &v_ok);
  g_assert_false (p_ok);
  g_assert_false (v_ok);
}

/* w0*M, the share that cancels the mask on the verifier's side. */
static void
mask_share (guint8 out[P2P_SPAKE2PLUS_POINT_SIZE])
{
  static const guint8 m[33] = {
    0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7,
    0x24, 0x25, 0x79, 0xf2, 0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab,
    0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1, 0x2f
  };
  g_autoptr (GBytes) w0 = unhex (RFC_W0);
  EC_GROUP *group = EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
  EC_POINT *p = EC_POINT_new (group);
  BIGNUM *s = BN_bin2bn (data_of (w0), 32, NULL);

  g_assert_cmpint (EC_POINT_oct2point (group, p, m, sizeof m, NULL), ==, 1);
  g_assert_cmpint (EC_POINT_mul (group, p, NULL, p, s, NULL), ==, 1);
  g_assert_cmpuint (EC_POINT_point2oct (group, p, POINT_CONVERSION_UNCOMPRESSED,
          out, P2P_SPAKE2PLUS_POINT_SIZE, NULL), ==, P2P_SPAKE2PLUS_POINT_SIZE);
  BN_free (s);
  EC_POINT_free (p);
  EC_GROUP_free (group);
}

static void
test_invalid_shares (void)
{
  g_autoptr (GBytes) rfc_share = unhex (RFC_SHARE_P);
  guint8 bad[P2P_SPAKE2PLUS_POINT_SIZE + 1];
  struct
  {
    const gchar *what;
    gsize size;
  } cases[] = {
    {"identity (single zero byte)", 1},
    {"uncompressed, off the curve", 65},
    {"compressed form", 33},
    {"one byte too long", 66},
    {"hybrid form (0x06)", 65},
    {"x coordinate not reduced", 65},
    {"cancels the password mask", 65},
    {"all zeros", 65},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (P2pSpake2Plus) v = rfc_run (P2P_SPAKE2PLUS_VERIFIER, RFC_W0);
    guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];

    memset (bad, 0, sizeof bad);
    memcpy (bad, data_of (rfc_share), P2P_SPAKE2PLUS_POINT_SIZE);
    switch (i) {
      case 0:
        bad[0] = 0;
        break;
      case 1:
        bad[64] ^= 1;
        break;
      case 2:
        bad[0] = 0x02 | (bad[64] & 1);
        break;
      case 4:
        bad[0] = 0x06 | (bad[64] & 1);
        break;
      case 5:
        memset (bad + 1, 0xff, 32);
        break;
      case 6:
        mask_share (bad);
        break;
      case 7:
        memset (bad, 0, sizeof bad);
        break;
      default:
        break;
    }
    g_test_message ("share: %s", cases[i].what);
    g_assert_true (p2p_spake2plus_get_share (v, share_v));
    g_assert_false (p2p_spake2plus_finish (v, bad, cases[i].size));
    g_assert_null (p2p_spake2plus_get_confirm (v));
    g_assert_false (p2p_spake2plus_check_confirm (v, bad, 32));
  }
  g_assert_false (p2p_spake2plus_check_point (bad, 65));
  g_assert_true (p2p_spake2plus_check_point (data_of (rfc_share), 65));
}

static void
test_one_run (void)
{
  g_autoptr (GBytes) share_p = unhex (RFC_SHARE_P);
  g_autoptr (GBytes) y = unhex (RFC_Y);
  g_autoptr (P2pSpake2Plus) v = rfc_run (P2P_SPAKE2PLUS_VERIFIER, RFC_W0);
  guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];

  /* No finish before the share; the share is made once; finish once. */
  g_assert_false (p2p_spake2plus_finish (v, data_of (share_p), 65));
  g_assert_true (p2p_spake2plus_get_share (v, share_v));
  g_assert_false (p2p_spake2plus_set_ephemeral (v, data_of (y)));
  g_assert_true (p2p_spake2plus_finish (v, data_of (share_p), 65));
  g_assert_false (p2p_spake2plus_finish (v, data_of (share_p), 65));
}

static void
test_scalars (void)
{
  g_autoptr (GBytes) order = unhex (P256_ORDER);
  g_autoptr (GBytes) w0 = unhex (RFC_W0);
  g_autoptr (GBytes) l = unhex (RFC_L);
  guint8 half[P2P_SPAKE2PLUS_PBKDF_HALF_SIZE] = { 0 };
  guint8 scalar[P2P_SPAKE2PLUS_SCALAR_SIZE];
  guint8 zero[P2P_SPAKE2PLUS_SCALAR_SIZE] = { 0 };

  /* n + 5 reduces to 5. */
  memcpy (half + 8, data_of (order), 32);
  half[39] += 5;
  g_assert_true (p2p_spake2plus_reduce (half, sizeof half, scalar));
  g_assert_cmpuint (scalar[31], ==, 5);
  g_assert_cmpint (memcmp (scalar, zero, 31), ==, 0);
  /* n reduces to 0, which is refused. */
  half[39] -= 5;
  g_assert_false (p2p_spake2plus_reduce (half, sizeof half, scalar));

  g_assert_true (p2p_spake2plus_check_scalar (data_of (w0), 32));
  g_assert_false (p2p_spake2plus_check_scalar (zero, 32));
  g_assert_false (p2p_spake2plus_check_scalar (data_of (order), 32));
  g_assert_false (p2p_spake2plus_check_scalar (data_of (w0), 31));
  /* A verifier refuses w0 = 0 and an invalid L. */
  g_assert_null (p2p_spake2plus_new (P2P_SPAKE2PLUS_VERIFIER, NULL, 0, NULL,
          0, NULL, 0, zero, data_of (l), 65));
  g_assert_null (p2p_spake2plus_new (P2P_SPAKE2PLUS_VERIFIER, NULL, 0, NULL,
          0, NULL, 0, data_of (w0), data_of (l), 64));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/spake2plus/rfc9383/p256-sha256", test_rfc_vectors);
  g_test_add_func ("/p2p/spake2plus/agree", test_agree);
  g_test_add_func ("/p2p/spake2plus/wrong-w0", test_wrong_w0);
  g_test_add_func ("/p2p/spake2plus/wrong-context", test_wrong_context);
  g_test_add_func ("/p2p/spake2plus/invalid-shares", test_invalid_shares);
  g_test_add_func ("/p2p/spake2plus/one-run", test_one_run);
  g_test_add_func ("/p2p/spake2plus/scalars", test_scalars);
  return g_test_run ();
}
