/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SRTP/SRTCP (RFC 3711, RFC 7714) keyed from the DTLS exporter (RFC 5764
 * section 4.2), on OpenSSL.
 *
 * Each direction holds one keyed OpenSSL cipher context for RTP and one for
 * RTCP (plus a keyed HMAC-SHA1 for AES-CM), made once when the keys arrive:
 * a packet only sets its IV. Session keys do not depend on the SSRC (the key
 * derivation rate is 0), so every SSRC of a direction shares those contexts
 * and has only its own counters: the highest RTP index with a replay window,
 * the SRTCP index, and the SRTCP replay window.
 *
 * The outbound direction is guarded by a mutex because RTP (streaming
 * thread) and RTCP (rtpbin's thread) may be sent concurrently; the inbound
 * one is only used on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-srtp.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define KEY_LEN 16
#define CM_SALT_LEN 14
#define GCM_SALT_LEN 12
#define AUTH_KEY_LEN 20
#define CM_TAG_LEN 10
#define GCM_TAG_LEN 16
#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8
#define SRTCP_WORD_LEN 4
#define SRTCP_E_BIT 0x80000000u
#define SRTCP_MAX_INDEX 0x7fffffffu
#define RTP_MAX_INDEX G_GUINT64_CONSTANT (0xffffffffffff)

/* Larger than libsrtp's default of 128 so that NACK retransmissions of
 * packets a few hundred sequence numbers old are still accepted. */
#define RTP_REPLAY_WINDOW 1024
/* SRTCP's, as libsrtp's: RTCP comes a few packets a second. */
#define RTCP_REPLAY_WINDOW 128

/* Key derivation labels (RFC 3711 section 4.3.1). */
enum
{
  LABEL_RTP_KEY,
  LABEL_RTP_AUTH,
  LABEL_RTP_SALT,
  LABEL_RTCP_KEY,
  LABEL_RTCP_AUTH,
  LABEL_RTCP_SALT,
};

/* One direction's keys for RTP or RTCP, keyed once. */
typedef struct
{
  EVP_CIPHER_CTX *cipher;       /* AES-128-GCM or AES-128-CTR */
  gboolean iv_param;            /* AES-GCM: gcm_set_iv() may set a parameter */
  /* AES-CM's HMAC-SHA1 (hmac_tag()): SHA-1 after the key's inner and
   * outer pad, and a context each packet's digests are copied into; NULL
   * for AES-GCM. */
  EVP_MD_CTX *hmac_inner;
  EVP_MD_CTX *hmac_outer;
  EVP_MD_CTX *hmac_work;
  guint8 salt[CM_SALT_LEN];
} Transform;

/* Per-SSRC counters of one direction. A replay window remembers the
 * indexes from highest - size + 1 to highest, index i at bit i % size. */
typedef struct
{
  guint32 ssrc;
  guint32 rtcp_sent;            /* last SRTCP index sent */
  guint64 used;                 /* Direction.clock when last used */
  guint64 rtp_highest;
  guint64 rtp_seen[RTP_REPLAY_WINDOW / 64];
  guint64 rtcp_highest;
  guint64 rtcp_seen[RTCP_REPLAY_WINDOW / 64];
} Stream;

typedef struct
{
  Transform rtp;
  Transform rtcp;
  Stream *streams;
  guint n_streams;
  guint allocated;
  guint64 clock;                /* packets through this direction */
} Direction;

struct _P2pSrtp
{
  gboolean gcm;
  GMutex send_lock;
  Direction outbound;
  Direction inbound;
};

/* Byte by byte: packet fields are not aligned. */
static inline guint16
read16 (const guint8 * p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
read32 (const guint8 * p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 |
      p[3];
}

static inline void
write32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static gsize
salt_length (gboolean gcm)
{
  return gcm ? GCM_SALT_LEN : CM_SALT_LEN;
}

/* The algorithms, fetched from OpenSSL's providers once: a fetch looks
 * the algorithm up by name, which costs more than keying it, and
 * EVP_aes_128_gcm () and friends fetch again for every context they key. */
typedef struct
{
  EVP_CIPHER *gcm;
  EVP_CIPHER *ctr;
  EVP_MD *sha1;
  /* Whether AES-GCM's IV can be set as a parameter (gcm_set_iv()). */
  gboolean gcm_iv_param;
} Algorithms;

static gboolean gcm_iv_param_works (EVP_CIPHER * gcm);

static const Algorithms *
algorithms (void)
{
  static GMutex lock;
  static Algorithms algs;
  const Algorithms *result = NULL;

  g_mutex_lock (&lock);
  if (algs.gcm == NULL) {
    algs.gcm = EVP_CIPHER_fetch (NULL, "AES-128-GCM", NULL);
    algs.gcm_iv_param = algs.gcm && gcm_iv_param_works (algs.gcm);
  }
  if (algs.ctr == NULL)
    algs.ctr = EVP_CIPHER_fetch (NULL, "AES-128-CTR", NULL);
  if (algs.sha1 == NULL)
    algs.sha1 = EVP_MD_fetch (NULL, "SHA1", NULL);
  if (algs.gcm && algs.ctr && algs.sha1)
    result = &algs;
  g_mutex_unlock (&lock);
  return result;
}

gsize
p2p_srtp_profile_key_material_size (P2pSrtpProfile profile)
{
  return 2 * (KEY_LEN +
      salt_length (profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM));
}

/* The AES-CM PRF of RFC 3711 section 4.3.1 with a key derivation rate of
 * 0: keystream from IV (salt XOR label·2^48)·2^16. A 12-byte AES-GCM salt
 * is padded with zeros to 14 bytes (RFC 7714 section 11), as libsrtp does. */
static gboolean
derive (const guint8 * master_key, const guint8 * master_salt,
    gsize salt_len, guint8 label, guint8 * out, gsize len)
{
  const Algorithms *algs = algorithms ();
  guint8 iv[16] = { 0 };
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  gboolean ok;
  int n;

  memcpy (iv, master_salt, salt_len);
  iv[7] ^= label;
  memset (out, 0, len);
  ok = ctx != NULL && algs != NULL
      && EVP_EncryptInit_ex2 (ctx, algs->ctr, master_key, iv, NULL)
      && EVP_EncryptUpdate (ctx, out, &n, out, (int) len);
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

gboolean
p2p_srtp_derive_session_keys (P2pSrtpProfile profile,
    const guint8 * master_key, const guint8 * master_salt,
    P2pSrtpSessionKeys * keys)
{
  gboolean gcm = profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM;
  gsize salt_len = salt_length (gcm);

  memset (keys, 0, sizeof (*keys));
  return derive (master_key, master_salt, salt_len, LABEL_RTP_KEY,
      keys->rtp_key, KEY_LEN)
      && derive (master_key, master_salt, salt_len, LABEL_RTP_SALT,
      keys->rtp_salt, salt_len)
      && derive (master_key, master_salt, salt_len, LABEL_RTCP_KEY,
      keys->rtcp_key, KEY_LEN)
      && derive (master_key, master_salt, salt_len, LABEL_RTCP_SALT,
      keys->rtcp_salt, salt_len)
      && (gcm || (derive (master_key, master_salt, salt_len, LABEL_RTP_AUTH,
              keys->rtp_auth, AUTH_KEY_LEN)
          && derive (master_key, master_salt, salt_len, LABEL_RTCP_AUTH,
              keys->rtcp_auth, AUTH_KEY_LEN)));
}

/* HMAC (RFC 2104) over SHA-1 hashes the key XOR a pad first, inside and
 * outside: those two block-long prefixes are hashed once per key here,
 * and each packet starts from a copy of them (hmac_tag()). */
#define SHA1_BLOCK_LEN 64
#define HMAC_IPAD 0x36
#define HMAC_OPAD 0x5c

static EVP_MD_CTX *
hmac_pad_new (EVP_MD * sha1, const guint8 * key, guint8 pad)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 block[SHA1_BLOCK_LEN];
  gsize i;

  memset (block, pad, sizeof (block));
  for (i = 0; i < AUTH_KEY_LEN; i++)
    block[i] ^= key[i];
  if (ctx && !(EVP_DigestInit_ex2 (ctx, sha1, NULL)
          && EVP_DigestUpdate (ctx, block, sizeof (block)))) {
    EVP_MD_CTX_free (ctx);
    ctx = NULL;
  }
  OPENSSL_cleanse (block, sizeof (block));
  return ctx;
}

static gboolean
transform_init (Transform * t, gboolean gcm, gboolean encrypt,
    const guint8 * key, const guint8 * salt, const guint8 * auth)
{
  const Algorithms *algs = algorithms ();

  memcpy (t->salt, salt, salt_length (gcm));
  if (algs == NULL)
    return FALSE;
  t->cipher = EVP_CIPHER_CTX_new ();
  if (t->cipher == NULL || !EVP_CipherInit_ex2 (t->cipher,
          gcm ? algs->gcm : algs->ctr, key, NULL, encrypt ? 1 : 0, NULL))
    return FALSE;
  t->iv_param = gcm && algs->gcm_iv_param;
  if (!gcm) {
    t->hmac_inner = hmac_pad_new (algs->sha1, auth, HMAC_IPAD);
    t->hmac_outer = hmac_pad_new (algs->sha1, auth, HMAC_OPAD);
    t->hmac_work = EVP_MD_CTX_new ();
    if (t->hmac_inner == NULL || t->hmac_outer == NULL || t->hmac_work == NULL)
      return FALSE;
  }
  return TRUE;
}

static void
transform_clear (Transform * t)
{
  EVP_CIPHER_CTX_free (t->cipher);
  EVP_MD_CTX_free (t->hmac_inner);
  EVP_MD_CTX_free (t->hmac_outer);
  EVP_MD_CTX_free (t->hmac_work);
  OPENSSL_cleanse (t->salt, sizeof (t->salt));
}

static gboolean
direction_init (Direction * d, gboolean gcm, gboolean encrypt,
    const P2pSrtpSessionKeys * keys)
{
  return transform_init (&d->rtp, gcm, encrypt, keys->rtp_key, keys->rtp_salt,
      keys->rtp_auth)
      && transform_init (&d->rtcp, gcm, encrypt, keys->rtcp_key,
      keys->rtcp_salt, keys->rtcp_auth);
}

static void
direction_clear (Direction * d)
{
  transform_clear (&d->rtp);
  transform_clear (&d->rtcp);
  g_free (d->streams);
}

static Stream *
find_stream (Direction * d, guint32 ssrc)
{
  guint i;

  for (i = 0; i < d->n_streams; i++)
    if (d->streams[i].ssrc == ssrc) {
      d->streams[i].used = ++d->clock;
      return &d->streams[i];
    }
  return NULL;
}

/* Once P2P_SRTP_MAX_STREAMS SSRCs have state, a new one either replaces
 * the least recently used (@evict) or is refused (NULL): a peer's SSRCs
 * cost memory here, so their number is bounded. */
static Stream *
add_stream (Direction * d, guint32 ssrc, gboolean evict)
{
  Stream *s;
  guint i;

  if (d->n_streams == P2P_SRTP_MAX_STREAMS) {
    if (!evict)
      return NULL;
    s = &d->streams[0];
    for (i = 1; i < d->n_streams; i++)
      if (d->streams[i].used < s->used)
        s = &d->streams[i];
  } else {
    if (d->n_streams == d->allocated) {
      d->allocated = MIN (MAX (4, 2 * d->allocated), P2P_SRTP_MAX_STREAMS);
      d->streams = g_renew (Stream, d->streams, d->allocated);
    }
    s = &d->streams[d->n_streams++];
  }
  memset (s, 0, sizeof (*s));
  s->ssrc = ssrc;
  s->used = ++d->clock;
  return s;
}

/* An outbound SSRC's state is never dropped: starting it again would
 * encrypt indexes already used under this key. */
static Stream *
outbound_stream (Direction * d, guint32 ssrc)
{
  Stream *s = find_stream (d, ssrc);

  return s ? s : add_stream (d, ssrc, FALSE);
}

/* The 48-bit index of sequence number @seq given the highest index so far
 * (RFC 3711 section 3.3.1 and appendix A). Before the first wrap no
 * rollover counter of -1 is guessed, as libsrtp does. FALSE past the last
 * index a key may protect (2^48 packets). */
static gboolean
estimate_index (guint64 highest, guint16 seq, guint64 * index)
{
  guint64 roc = highest >> 16;
  guint16 local = highest & 0xffff;

  if (highest <= 0x8000) {
    *index = seq;
    return TRUE;
  }
  if (local < 0x8000) {
    if ((gint) seq - local > 0x8000)
      roc--;
  } else if (local - 0x8000 > seq) {
    roc++;
  }
  *index = roc << 16 | seq;
  return *index <= RTP_MAX_INDEX;
}

static gboolean
replay_check (guint64 highest, const guint64 * seen, guint size, guint64 index)
{
  if (index > highest)
    return TRUE;
  if (highest - index >= size)
    return FALSE;
  return !(seen[(index % size) / 64] >> (index % 64) & 1);
}

static void
replay_add (guint64 * highest, guint64 * seen, guint size, guint64 index)
{
  if (index > *highest) {
    if (index - *highest >= size) {
      memset (seen, 0, size / 8);
    } else {
      guint64 i;

      for (i = *highest + 1; i < index; i++)
        seen[(i % size) / 64] &= ~(G_GUINT64_CONSTANT (1) << (i % 64));
    }
    *highest = index;
  }
  seen[(index % size) / 64] |= G_GUINT64_CONSTANT (1) << (index % 64);
}

/* AES-CM (RFC 3711 section 4.1.1): salt·2^16 XOR SSRC·2^64 XOR index·2^16
 * in 16 bytes. AES-GCM (RFC 7714 sections 8.1, 9.1): the same fields two
 * bytes earlier in 12 bytes; an SRTCP index takes the index's low 32 bits. */
static void
make_iv (const Transform * t, gboolean gcm, guint32 ssrc, guint64 index,
    guint8 * iv)
{
  guint off = gcm ? 2 : 4;
  gsize i, salt_len = salt_length (gcm);

  memset (iv, 0, 16);
  write32 (iv + off, ssrc);
  iv[off + 4] = index >> 40;
  iv[off + 5] = index >> 32;
  write32 (iv + off + 6, (guint32) index);
  for (i = 0; i < salt_len; i++)
    iv[i] ^= t->salt[i];
}

/* Sets a keyed AES-GCM context's 12-byte @iv for the next packet and,
 * when decrypting, the @tag (GCM_TAG_LEN bytes) to check at its end.
 *
 * EVP_CipherInit_ex2 () with only an IV asks the provider for the IV length
 * again each time, through the parameter interface (OpenSSL 3.0): about a
 * tenth of a packet's protection went into looking those names up. The
 * provider takes a whole IV as the "fixed" TLS IV field of length -1
 * (what EVP_CTRL_AEAD_SET_IV_FIXED with -1 sets): one parameter call, which
 * for decryption also carries the tag. Whether this OpenSSL does so is
 * checked once, against EVP_CipherInit_ex2 (gcm_iv_param_works()). */
static gboolean
gcm_set_iv (EVP_CIPHER_CTX * cipher, gboolean iv_param, const guint8 * iv,
    guint8 * tag, gboolean encrypt)
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
        (void *) iv, (gsize) - 1),
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag,
        GCM_TAG_LEN),
    OSSL_PARAM_construct_end (),
  };

  if (encrypt)
    params[1] = params[2];
  if (iv_param)
    return EVP_CIPHER_CTX_set_params (cipher, params);
  return EVP_CipherInit_ex2 (cipher, NULL, NULL, iv, -1, NULL)
      && (encrypt || EVP_CIPHER_CTX_set_params (cipher, params + 1));
}

/* AES-GCM from @in to @text (the same place, or one not overlapping it),
 * authenticating @aad and @aad2 (may be empty) first. Encrypting writes
 * the tag to @tag, decrypting checks it.
 * The tag goes through the cipher's parameters directly: the control
 * interface (EVP_CTRL_GCM_GET_TAG/SET_TAG) builds the same parameter and
 * costs some 15-20 ns more per packet in OpenSSL 3.0. */
static gboolean
gcm_crypt (Transform * t, const guint8 * iv, const guint8 * aad,
    gsize aad_len, const guint8 * aad2, gsize aad2_len, const guint8 * in,
    guint8 * text, gsize text_len, guint8 * tag, gboolean encrypt)
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag,
        GCM_TAG_LEN),
    OSSL_PARAM_construct_end (),
  };
  int n;

  if (!gcm_set_iv (t->cipher, t->iv_param, iv, tag, encrypt)
      || !EVP_CipherUpdate (t->cipher, NULL, &n, aad, (int) aad_len)
      || (aad2_len
          && !EVP_CipherUpdate (t->cipher, NULL, &n, aad2, (int) aad2_len))
      || !EVP_CipherUpdate (t->cipher, text, &n, in, (int) text_len))
    return FALSE;
  if (encrypt)
    return EVP_CipherFinal_ex (t->cipher, tag, &n)
        && EVP_CIPHER_CTX_get_params (t->cipher, params);
  return EVP_CipherFinal_ex (t->cipher, tag, &n) > 0;
}

/* Encrypts a block under a zero key and @iv, with the IV set as
 * gcm_set_iv () does (@iv_param), after a packet under another IV; into
 * @out, then the tag. */
static gboolean
gcm_known_answer (EVP_CIPHER * gcm, gboolean iv_param, const guint8 * iv,
    guint8 * out)
{
  static const guint8 key[KEY_LEN], other_iv[GCM_SALT_LEN] = { 1 };
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG,
        out + KEY_LEN, GCM_TAG_LEN),
    OSSL_PARAM_construct_end (),
  };
  gboolean ok;
  int n;

  ok = ctx && EVP_CipherInit_ex2 (ctx, gcm, key, other_iv, 1, NULL)
      && EVP_CipherUpdate (ctx, out, &n, key, KEY_LEN)
      && EVP_CipherFinal_ex (ctx, out, &n)
      && gcm_set_iv (ctx, iv_param, iv, NULL, TRUE)
      && EVP_CipherUpdate (ctx, NULL, &n, iv, GCM_SALT_LEN)
      && EVP_CipherUpdate (ctx, out, &n, key, KEY_LEN)
      && EVP_CipherFinal_ex (ctx, out + KEY_LEN, &n)
      && EVP_CIPHER_CTX_get_params (ctx, params);
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

/* Decrypts what gcm_known_answer () wrote (@sealed) with the IV and tag
 * set as gcm_set_iv () does; whether it opened to the zero block. */
static gboolean
gcm_known_answer_opens (EVP_CIPHER * gcm, const guint8 * iv,
    const guint8 * sealed)
{
  static const guint8 key[KEY_LEN];
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 tag[GCM_TAG_LEN], plain[KEY_LEN];
  gboolean ok;
  int n;

  memcpy (tag, sealed + KEY_LEN, GCM_TAG_LEN);
  ok = ctx && EVP_CipherInit_ex2 (ctx, gcm, key, NULL, 0, NULL)
      && gcm_set_iv (ctx, TRUE, iv, tag, FALSE)
      && EVP_CipherUpdate (ctx, NULL, &n, iv, GCM_SALT_LEN)
      && EVP_CipherUpdate (ctx, plain, &n, sealed, KEY_LEN)
      && EVP_CipherFinal_ex (ctx, plain, &n) > 0;
  EVP_CIPHER_CTX_free (ctx);
  return ok && memcmp (plain, key, KEY_LEN) == 0;
}

/* Whether this OpenSSL's AES-GCM takes its IV (and a tag to check) as
 * gcm_set_iv () gives them with the same result as from
 * EVP_CipherInit_ex2 (), and still refuses a wrong tag. */
static gboolean
gcm_iv_param_works (EVP_CIPHER * gcm)
{
  static const guint8 iv[GCM_SALT_LEN] = { 0x5a, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0xa5
  };
  guint8 by_init[KEY_LEN + GCM_TAG_LEN], by_param[KEY_LEN + GCM_TAG_LEN];
  gboolean works;

  ERR_set_mark ();
  works = gcm_known_answer (gcm, FALSE, iv, by_init)
      && gcm_known_answer (gcm, TRUE, iv, by_param)
      && memcmp (by_init, by_param, sizeof (by_init)) == 0
      && gcm_known_answer_opens (gcm, iv, by_param);
  by_param[KEY_LEN] ^= 1;
  works = works && !gcm_known_answer_opens (gcm, iv, by_param);
  ERR_pop_to_mark ();
  return works;
}

/* AES-CM keystream XORed into @in, written to @text (the same place, or
 * one not overlapping it). */
static gboolean
ctr_crypt (Transform * t, const guint8 * iv, const guint8 * in, guint8 * text,
    gsize text_len)
{
  int n;

  return EVP_CipherInit_ex2 (t->cipher, NULL, NULL, iv, -1, NULL)
      && EVP_CipherUpdate (t->cipher, text, &n, in, (int) text_len);
}

/* HMAC-SHA1 of @data followed by @roc (4 bytes, RTP only), truncated to
 * CM_TAG_LEN (RFC 3711 section 4.2). From the keyed pads' copies: an
 * EVP_MAC context set up again for every packet (EVP_MAC_init() with no
 * key) costs the same copies plus its own parameter handling. */
static gboolean
hmac_tag (Transform * t, const guint8 * data, gsize len, const guint8 * roc,
    guint8 * tag)
{
  guint8 full[EVP_MAX_MD_SIZE];
  unsigned int n;

  if (!EVP_MD_CTX_copy_ex (t->hmac_work, t->hmac_inner)
      || !EVP_DigestUpdate (t->hmac_work, data, len)
      || (roc && !EVP_DigestUpdate (t->hmac_work, roc, 4))
      || !EVP_DigestFinal_ex (t->hmac_work, full, &n)
      || !EVP_MD_CTX_copy_ex (t->hmac_work, t->hmac_outer)
      || !EVP_DigestUpdate (t->hmac_work, full, n)
      || !EVP_DigestFinal_ex (t->hmac_work, full, &n))
    return FALSE;
  memcpy (tag, full, CM_TAG_LEN);
  return TRUE;
}

/* Length of the RTP header with CSRCs and extension, or 0 if it does not
 * fit in @size bytes. */
static gsize
rtp_header_length (const guint8 * buf, gsize size)
{
  gsize len;

  if (size < RTP_HEADER_LEN)
    return 0;
  len = RTP_HEADER_LEN + 4 * (buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (len + 4 > size)
      return 0;
    len += 4 + 4 * (gsize) read16 (buf + len + 2);
  }
  return len <= size ? len : 0;
}

static gboolean
protect_rtp (P2pSrtp * srtp, const guint8 * in, guint8 * buf, gsize * size)
{
  Direction *d = &srtp->outbound;
  gsize len = *size, header = rtp_header_length (in, len);
  guint32 ssrc;
  guint8 iv[16], roc[4];
  guint64 index;
  Stream *s;

  if (header == 0)
    return FALSE;
  ssrc = read32 (in + 8);
  s = outbound_stream (d, ssrc);
  if (s == NULL)
    return FALSE;
  if (!estimate_index (s->rtp_highest, read16 (in + 2), &index))
    return FALSE;
  /* A camera resends the very same RTP packet on NACK: an index may repeat
   * within the window, but an older one would be refused by the peer. */
  if (index <= s->rtp_highest && s->rtp_highest - index >= RTP_REPLAY_WINDOW)
    return FALSE;

  if (in != buf)
    memcpy (buf, in, header);
  make_iv (&d->rtp, srtp->gcm, ssrc, index, iv);
  if (srtp->gcm) {
    if (!gcm_crypt (&d->rtp, iv, buf, header, NULL, 0, in + header,
            buf + header, len - header, buf + len, TRUE))
      return FALSE;
    *size = len + GCM_TAG_LEN;
  } else {
    write32 (roc, (guint32) (index >> 16));
    if (!ctr_crypt (&d->rtp, iv, in + header, buf + header, len - header)
        || !hmac_tag (&d->rtp, buf, len, roc, buf + len))
      return FALSE;
    *size = len + CM_TAG_LEN;
  }
  replay_add (&s->rtp_highest, s->rtp_seen, RTP_REPLAY_WINDOW, index);
  return TRUE;
}

static gboolean
protect_rtcp (P2pSrtp * srtp, const guint8 * in, guint8 * buf, gsize * size)
{
  Direction *d = &srtp->outbound;
  gsize len = *size;
  guint8 iv[16], word[SRTCP_WORD_LEN];
  guint32 ssrc;
  Stream *s;

  if (len < RTCP_HEADER_LEN)
    return FALSE;
  ssrc = read32 (in + 4);
  s = outbound_stream (d, ssrc);
  if (s == NULL)
    return FALSE;
  if (s->rtcp_sent == SRTCP_MAX_INDEX)
    return FALSE;
  s->rtcp_sent++;
  write32 (word, SRTCP_E_BIT | s->rtcp_sent);

  if (in != buf)
    memcpy (buf, in, RTCP_HEADER_LEN);
  make_iv (&d->rtcp, srtp->gcm, ssrc, s->rtcp_sent, iv);
  if (srtp->gcm) {
    /* header | ciphertext | tag | E+index (RFC 7714 section 17) */
    if (!gcm_crypt (&d->rtcp, iv, buf, RTCP_HEADER_LEN, word, sizeof (word),
            in + RTCP_HEADER_LEN, buf + RTCP_HEADER_LEN,
            len - RTCP_HEADER_LEN, buf + len, TRUE))
      return FALSE;
    memcpy (buf + len + GCM_TAG_LEN, word, sizeof (word));
    *size = len + GCM_TAG_LEN + SRTCP_WORD_LEN;
  } else {
    /* header | ciphertext | E+index | tag (RFC 3711 section 3.4) */
    if (!ctr_crypt (&d->rtcp, iv, in + RTCP_HEADER_LEN, buf + RTCP_HEADER_LEN,
            len - RTCP_HEADER_LEN))
      return FALSE;
    memcpy (buf + len, word, sizeof (word));
    if (!hmac_tag (&d->rtcp, buf, len + SRTCP_WORD_LEN, NULL,
            buf + len + SRTCP_WORD_LEN))
      return FALSE;
    *size = len + SRTCP_WORD_LEN + CM_TAG_LEN;
  }
  return TRUE;
}

/* @buf must have P2P_SRTP_MAX_TRAILER bytes of room after *size. */
gboolean
p2p_srtp_protect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf, gsize * size)
{
  return p2p_srtp_protect_into (srtp, rtcp, buf, *size, buf, size);
}

/* As p2p_srtp_protect() with @in's @size bytes left as they are: the
 * result goes to @out (P2P_SRTP_MAX_TRAILER bytes more, not overlapping
 * @in, or @in itself), its size to *@out_size. Encrypting from one into
 * the other spares a sender that must not change @in (a packet shared by
 * viewers) a copy before encrypting in place. */
gboolean
p2p_srtp_protect_into (P2pSrtp * srtp, gboolean rtcp, const guint8 * in,
    gsize size, guint8 * out, gsize * out_size)
{
  gboolean ok;

  *out_size = size;
  g_mutex_lock (&srtp->send_lock);
  ok = rtcp ? protect_rtcp (srtp, in, out, out_size) :
      protect_rtp (srtp, in, out, out_size);
  g_mutex_unlock (&srtp->send_lock);
  return ok;
}

/* The SSRC's state, created for a packet that authenticated: an unknown
 * SSRC is checked against a fresh @scratch first, so forged packets cost
 * no memory. Dropping the least recently used inbound SSRC for a new one
 * only forgets which of its packets were seen; a peer that stopped using
 * an SSRC long ago can start again. */
static Stream *
inbound_stream (Direction * d, guint32 ssrc, Stream * scratch)
{
  Stream *s = find_stream (d, ssrc);

  if (s)
    return s;
  memset (scratch, 0, sizeof (*scratch));
  scratch->ssrc = ssrc;
  return scratch;
}

static Stream *
keep_stream (Direction * d, Stream * s, Stream * scratch)
{
  Stream *kept;

  if (s != scratch)
    return s;
  kept = add_stream (d, scratch->ssrc, TRUE);
  scratch->used = kept->used;
  *kept = *scratch;
  return kept;
}

static gboolean
unprotect_rtp (P2pSrtp * srtp, guint8 * buf, gsize * size)
{
  Direction *d = &srtp->inbound;
  gsize tag_len = srtp->gcm ? GCM_TAG_LEN : CM_TAG_LEN;
  gsize header, len;
  guint8 iv[16], roc[4], tag[CM_TAG_LEN];
  guint64 index;
  Stream scratch, *s;
  guint32 ssrc;

  if (*size < tag_len)
    return FALSE;
  len = *size - tag_len;
  header = rtp_header_length (buf, len);
  if (header == 0)
    return FALSE;
  ssrc = read32 (buf + 8);
  s = inbound_stream (d, ssrc, &scratch);
  if (!estimate_index (s->rtp_highest, read16 (buf + 2), &index)
      || !replay_check (s->rtp_highest, s->rtp_seen, RTP_REPLAY_WINDOW, index))
    return FALSE;

  make_iv (&d->rtp, srtp->gcm, ssrc, index, iv);
  if (srtp->gcm) {
    if (!gcm_crypt (&d->rtp, iv, buf, header, NULL, 0, buf + header,
            buf + header, len - header, buf + len, FALSE))
      return FALSE;
  } else {
    write32 (roc, (guint32) (index >> 16));
    if (!hmac_tag (&d->rtp, buf, len, roc, tag)
        || CRYPTO_memcmp (tag, buf + len, CM_TAG_LEN) != 0
        || !ctr_crypt (&d->rtp, iv, buf + header, buf + header, len - header))
      return FALSE;
  }
  s = keep_stream (d, s, &scratch);
  replay_add (&s->rtp_highest, s->rtp_seen, RTP_REPLAY_WINDOW, index);
  *size = len;
  return TRUE;
}

static gboolean
unprotect_rtcp (P2pSrtp * srtp, guint8 * buf, gsize * size)
{
  Direction *d = &srtp->inbound;
  gsize tag_len = srtp->gcm ? GCM_TAG_LEN : CM_TAG_LEN;
  gsize len;
  const guint8 *word;
  guint8 iv[16], tag[CM_TAG_LEN];
  guint32 ssrc, index;
  Stream scratch, *s;

  if (*size < RTCP_HEADER_LEN + SRTCP_WORD_LEN + tag_len)
    return FALSE;
  len = *size - SRTCP_WORD_LEN - tag_len;
  word = srtp->gcm ? buf + *size - SRTCP_WORD_LEN : buf + len;
  /* Our peers always encrypt RTCP: an unencrypted one is refused. */
  if (!(read32 (word) & SRTCP_E_BIT))
    return FALSE;
  index = read32 (word) & SRTCP_MAX_INDEX;
  ssrc = read32 (buf + 4);
  s = inbound_stream (d, ssrc, &scratch);
  if (!replay_check (s->rtcp_highest, s->rtcp_seen, RTCP_REPLAY_WINDOW, index))
    return FALSE;

  make_iv (&d->rtcp, srtp->gcm, ssrc, index, iv);
  if (srtp->gcm) {
    if (!gcm_crypt (&d->rtcp, iv, buf, RTCP_HEADER_LEN, word, SRTCP_WORD_LEN,
            buf + RTCP_HEADER_LEN, buf + RTCP_HEADER_LEN,
            len - RTCP_HEADER_LEN, buf + len, FALSE))
      return FALSE;
  } else {
    if (!hmac_tag (&d->rtcp, buf, len + SRTCP_WORD_LEN, NULL, tag)
        || CRYPTO_memcmp (tag, buf + len + SRTCP_WORD_LEN, CM_TAG_LEN) != 0
        || !ctr_crypt (&d->rtcp, iv, buf + RTCP_HEADER_LEN,
            buf + RTCP_HEADER_LEN, len - RTCP_HEADER_LEN))
      return FALSE;
  }
  s = keep_stream (d, s, &scratch);
  replay_add (&s->rtcp_highest, s->rtcp_seen, RTCP_REPLAY_WINDOW, index);
  *size = len;
  return TRUE;
}

/* Decrypts in place; FALSE (and @buf's contents undefined) for a packet
 * that is too short, fails authentication, is a replay or is older than
 * the replay window. */
gboolean
p2p_srtp_unprotect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf, gsize * size)
{
  return rtcp ? unprotect_rtcp (srtp, buf, size) :
      unprotect_rtp (srtp, buf, size);
}

P2pSrtp *
p2p_srtp_new_from_session_keys (P2pSrtpProfile profile,
    const P2pSrtpSessionKeys * outbound, const P2pSrtpSessionKeys * inbound,
    GError ** error)
{
  P2pSrtp *srtp = g_new0 (P2pSrtp, 1);

  srtp->gcm = profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM;
  g_mutex_init (&srtp->send_lock);
  if (!direction_init (&srtp->outbound, srtp->gcm, TRUE, outbound)
      || !direction_init (&srtp->inbound, srtp->gcm, FALSE, inbound)) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_SRTP, "Could not set up the SRTP ciphers");
    p2p_srtp_free (srtp);
    return NULL;
  }
  return srtp;
}

P2pSrtp *
p2p_srtp_new (P2pSrtpProfile profile, const guint8 * material,
    gboolean is_client, GError ** error)
{
  gsize salt_len = salt_length (profile == P2P_SRTP_PROFILE_AEAD_AES_128_GCM);
  P2pSrtpSessionKeys client, server;
  P2pSrtp *srtp = NULL;

  /* Exporter output is client_key | server_key | client_salt | server_salt
   * (RFC 5764 section 4.2). */
  if (p2p_srtp_derive_session_keys (profile, material, material + 2 * KEY_LEN,
          &client)
      && p2p_srtp_derive_session_keys (profile, material + KEY_LEN,
          material + 2 * KEY_LEN + salt_len, &server))
    srtp = p2p_srtp_new_from_session_keys (profile,
        is_client ? &client : &server, is_client ? &server : &client, error);
  else
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_SRTP, "Could not derive the SRTP session keys");
  OPENSSL_cleanse (&client, sizeof (client));
  OPENSSL_cleanse (&server, sizeof (server));
  return srtp;
}

void
p2p_srtp_free (P2pSrtp * srtp)
{
  if (srtp == NULL)
    return;
  direction_clear (&srtp->outbound);
  direction_clear (&srtp->inbound);
  g_mutex_clear (&srtp->send_lock);
  g_free (srtp);
}
