/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-password-hash
 * @title: P2pPasswordHash
 * @short_description: the viewer's password hash, started before DTLS
 *
 * The password hash is most of what a viewer waits for before its first
 * picture (100 000 PBKDF2 iterations), and it can only start once the
 * camera's salt is known. The camera announces its salt and iteration
 * count in its offer (#P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE), so the viewer
 * hashes while ICE and DTLS run. The offer passes through the signalling
 * server, which may lie: the result stays inside this object until the
 * login hands over the parameters it received inside DTLS, and is given
 * out only when they are the same (p2p_password_hash_take()). A wrong salt
 * costs the viewer the hash it would have made anyway, no more: the work
 * stops when the login finds the mismatch or the call ends.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-password-hash.h"
#include "p2p-password-verifier-private.h"
#include "p2p-pbkdf2.h"

#include <string.h>
#include <openssl/crypto.h>

struct _P2pPasswordHash
{
  gint cancel;                  /* atomic */
  gchar *password;
  guint8 salt[P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE];
  gsize salt_size;
  guint iterations;

  GMutex lock;
  GCond cond;
  gboolean done;
  gboolean ok;
  gboolean used;
  guint8 out[2 * P2P_SPAKE2PLUS_PBKDF_HALF_SIZE];
};

G_DEFINE_BOXED_TYPE (P2pPasswordHash, p2p_password_hash,
    p2p_password_hash_ref, p2p_password_hash_unref);

static void
hash_clear (P2pPasswordHash * self)
{
  OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  OPENSSL_cleanse (self->out, sizeof self->out);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
}

static gpointer
hash_run (gpointer data)
{
  P2pPasswordHash *self = data;
  gboolean ok;

  ok = p2p_pbkdf2_sha256 ((const guint8 *) self->password,
      strlen (self->password), self->salt, self->salt_size, self->iterations,
      &self->cancel, self->out, sizeof self->out);
  g_mutex_lock (&self->lock);
  self->ok = ok;
  self->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  p2p_password_hash_unref (self);
  return NULL;
}

/**
 * p2p_password_hash_start:
 * @password: the viewer's password
 * @params: (nullable): the value of the offer's
 *     #P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE
 *
 * Starts hashing @password with the salt and iteration count of @params,
 * which need not be trusted.
 *
 * Returns: (transfer full) (nullable): the hash under way; %NULL when
 *     @params is missing or malformed (a camera of an earlier version, or
 *     a mangled offer: the login then hashes once it has the parameters,
 *     as it always did) or no thread could be made
 */
P2pPasswordHash *
p2p_password_hash_start (const gchar * password, const gchar * params)
{
  P2pPasswordHash *self;
  GThread *thread;
  gsize len;

  g_return_val_if_fail (password != NULL, NULL);

  len = strlen (password);
  if (len == 0 || len > P2P_PASSWORD_MAX_SIZE)
    return NULL;
  self = g_atomic_rc_box_new0 (P2pPasswordHash);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->password = g_strdup (password);
  if (!p2p_password_params_parse (params, self->salt, &self->salt_size,
          &self->iterations)) {
    p2p_password_hash_unref (self);
    return NULL;
  }
  thread = g_thread_try_new ("p2p-password", hash_run,
      p2p_password_hash_ref (self), NULL);
  if (thread == NULL) {
    p2p_password_hash_unref (self);
    p2p_password_hash_unref (self);
    return NULL;
  }
  g_thread_unref (thread);
  return self;
}

/**
 * p2p_password_hash_ref:
 * @self: a hash
 *
 * Returns: (transfer full): @self
 */
P2pPasswordHash *
p2p_password_hash_ref (P2pPasswordHash * self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

/**
 * p2p_password_hash_unref:
 * @self: (nullable): a hash
 *
 * Drops a reference; the last one wipes the password and the result.
 * Does not stop the work: see p2p_password_hash_cancel().
 */
void
p2p_password_hash_unref (P2pPasswordHash * self)
{
  if (self)
    g_atomic_rc_box_release_full (self, (GDestroyNotify) hash_clear);
}

/**
 * p2p_password_hash_cancel:
 * @self: a hash
 *
 * Stops the work soon (within about a thousand iterations), from any
 * thread; the hash then gives nothing.
 */
void
p2p_password_hash_cancel (P2pPasswordHash * self)
{
  g_return_if_fail (self != NULL);
  g_atomic_int_set (&self->cancel, 1);
}

/**
 * p2p_password_hash_get_used:
 * @self: a hash
 *
 * Returns: whether a login took the result, its parameters being the
 *     camera's own
 */
gboolean
p2p_password_hash_get_used (P2pPasswordHash * self)
{
  gboolean used;

  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  used = self->used;
  g_mutex_unlock (&self->lock);
  return used;
}

/* The login's one use of the hash, with the parameters the camera sent
 * inside DTLS: w0 and w1 when the hash was made with exactly these
 * (waiting for it to finish), else FALSE and the work stops. */
gboolean
p2p_password_hash_take (P2pPasswordHash * self, const guint8 * salt,
    gsize salt_size, guint iterations,
    guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE])
{
  gboolean ok;

  if (salt_size != self->salt_size || iterations != self->iterations
      || CRYPTO_memcmp (salt, self->salt, salt_size) != 0) {
    p2p_password_hash_cancel (self);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  while (!self->done)
    g_cond_wait (&self->cond, &self->lock);
  ok = self->ok && !self->used
      && p2p_spake2plus_reduce (self->out, P2P_SPAKE2PLUS_PBKDF_HALF_SIZE, w0)
      && p2p_spake2plus_reduce (self->out + P2P_SPAKE2PLUS_PBKDF_HALF_SIZE,
      P2P_SPAKE2PLUS_PBKDF_HALF_SIZE, w1);
  self->used = self->used || ok;
  OPENSSL_cleanse (self->out, sizeof self->out);
  g_mutex_unlock (&self->lock);
  return ok;
}
