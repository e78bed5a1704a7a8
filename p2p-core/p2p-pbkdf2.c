/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), the password hash of the viewer
 * login, made for latency: a viewer waits for it before it sees a picture.
 *
 * Each 32-byte output block is an independent chain of `iterations` HMACs,
 * so the blocks run on threads of their own (the calling thread takes the
 * first): the 80 bytes of w0s ‖ w1s are three blocks, which two cores
 * finish in about half the time one needs. Each HMAC starts from copies of
 * the keyed inner and outer SHA-256 states, made once per block, rather
 * than setting the key up again per iteration as OpenSSL's
 * PKCS5_PBKDF2_HMAC() does (about a third less work per iteration). The
 * result is the standard one, checked against PKCS5_PBKDF2_HMAC() and the
 * RFC 7914 §11 vectors (tests/check/core/viewer-auth.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-pbkdf2.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define HASH_SIZE 32
#define HMAC_BLOCK 64
/* Iterations between two looks at the cancel flag. */
#define CANCEL_CHECK_MASK 1023

typedef struct
{
  const guint8 *key;            /* HMAC_BLOCK bytes, zero padded */
  const guint8 *salt;
  gsize salt_size;
  guint iterations;
  const gint *cancel;
  guint32 index;                /* 1-based, as in RFC 8018 */
  guint8 out[HASH_SIZE];
  gboolean ok;
} Block;

/* @state keyed with @key XOR @pad: the first half of HMAC (RFC 2104). */
static gboolean
keyed_state (EVP_MD_CTX * state, const guint8 * key, guint8 pad)
{
  guint8 block[HMAC_BLOCK];
  gboolean ok;

  for (guint i = 0; i < HMAC_BLOCK; i++)
    block[i] = key[i] ^ pad;
  ok = EVP_DigestInit_ex (state, EVP_sha256 (), NULL) == 1
      && EVP_DigestUpdate (state, block, sizeof block) == 1;
  OPENSSL_cleanse (block, sizeof block);
  return ok;
}

/* u = HMAC (key, data1 ‖ data2) from the keyed states. */
static gboolean
hmac (EVP_MD_CTX * work, const EVP_MD_CTX * inner, const EVP_MD_CTX * outer,
    const guint8 * data1, gsize size1, const guint8 * data2, gsize size2,
    guint8 u[HASH_SIZE])
{
  return EVP_MD_CTX_copy_ex (work, inner) == 1
      && EVP_DigestUpdate (work, data1, size1) == 1
      && (size2 == 0 || EVP_DigestUpdate (work, data2, size2) == 1)
      && EVP_DigestFinal_ex (work, u, NULL) == 1
      && EVP_MD_CTX_copy_ex (work, outer) == 1
      && EVP_DigestUpdate (work, u, HASH_SIZE) == 1
      && EVP_DigestFinal_ex (work, u, NULL) == 1;
}

/* F (P, S, c, i) of RFC 8018 §5.2 into b->out. */
static gpointer
block_run (gpointer data)
{
  Block *b = data;
  EVP_MD_CTX *inner = EVP_MD_CTX_new ();
  EVP_MD_CTX *outer = EVP_MD_CTX_new ();
  EVP_MD_CTX *work = EVP_MD_CTX_new ();
  guint8 index[4] = { b->index >> 24, b->index >> 16, b->index >> 8,
    b->index
  };
  guint8 u[HASH_SIZE];
  gboolean ok;

  ok = inner && outer && work && keyed_state (inner, b->key, 0x36)
      && keyed_state (outer, b->key, 0x5c)
      && hmac (work, inner, outer, b->salt, b->salt_size, index, 4, u);
  if (ok)
    memcpy (b->out, u, HASH_SIZE);
  for (guint n = 1; ok && n < b->iterations; n++) {
    if ((n & CANCEL_CHECK_MASK) == 0 && b->cancel
        && g_atomic_int_get (b->cancel)) {
      ok = FALSE;
      break;
    }
    ok = hmac (work, inner, outer, u, HASH_SIZE, NULL, 0, u);
    for (guint i = 0; i < HASH_SIZE; i++)
      b->out[i] ^= u[i];
  }
  OPENSSL_cleanse (u, sizeof u);
  /* Freeing a digest context clears its state, the keyed ones too. */
  EVP_MD_CTX_free (inner);
  EVP_MD_CTX_free (outer);
  EVP_MD_CTX_free (work);
  b->ok = ok;
  return NULL;
}

/**
 * p2p_pbkdf2_sha256:
 * @password: the password bytes
 * @password_size: their number
 * @salt: the salt
 * @salt_size: its size
 * @iterations: at least 1
 * @cancel: (nullable): a flag another thread may set (g_atomic_int_set())
 *     to stop the work early, which then fails
 * @out: where the output goes
 * @out_size: 1 to #P2P_PBKDF2_MAX_BLOCKS × 32 bytes
 *
 * PBKDF2-HMAC-SHA256, the output blocks after the first on threads of
 * their own (or on this one when no thread can be made). Slow on purpose:
 * @iterations HMACs per block.
 *
 * Returns: %FALSE when OpenSSL failed or @cancel was set; @out is then
 *     cleared
 */
gboolean
p2p_pbkdf2_sha256 (const guint8 * password, gsize password_size,
    const guint8 * salt, gsize salt_size, guint iterations,
    const gint * cancel, guint8 * out, gsize out_size)
{
  guint8 key[HMAC_BLOCK] = { 0 };
  Block blocks[P2P_PBKDF2_MAX_BLOCKS];
  GThread *threads[P2P_PBKDF2_MAX_BLOCKS] = { NULL };
  guint n = (out_size + HASH_SIZE - 1) / HASH_SIZE;
  gboolean ok = TRUE;

  g_return_val_if_fail (iterations >= 1, FALSE);
  g_return_val_if_fail (out_size >= 1 && n <= P2P_PBKDF2_MAX_BLOCKS, FALSE);

  /* HMAC's key: the password, hashed first when longer than a block. */
  if (password_size > HMAC_BLOCK) {
    if (EVP_Digest (password, password_size, key, NULL, EVP_sha256 (),
            NULL) != 1)
      return FALSE;
  } else {
    memcpy (key, password, password_size);
  }

  memset (blocks, 0, sizeof blocks);
  for (guint i = 0; i < n; i++) {
    blocks[i].key = key;
    blocks[i].salt = salt;
    blocks[i].salt_size = salt_size;
    blocks[i].iterations = iterations;
    blocks[i].cancel = cancel;
    blocks[i].index = i + 1;
  }
  for (guint i = 1; i < n; i++)
    threads[i] = g_thread_try_new ("p2p-pbkdf2", block_run, &blocks[i], NULL);
  block_run (&blocks[0]);
  for (guint i = 1; i < n; i++) {
    if (threads[i])
      g_thread_join (threads[i]);
    else
      block_run (&blocks[i]);
  }

  for (guint i = 0; i < n; i++) {
    ok = ok && blocks[i].ok;
    if (ok)
      memcpy (out + i * HASH_SIZE, blocks[i].out, MIN (HASH_SIZE,
              out_size - i * HASH_SIZE));
    OPENSSL_cleanse (blocks[i].out, HASH_SIZE);
  }
  OPENSSL_cleanse (key, sizeof key);
  if (!ok)
    OPENSSL_cleanse (out, out_size);
  return ok;
}
