/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-auth-backoff
 * @title: P2pAuthBackoff
 * @short_description: per-address back-off of failed viewer logins
 *
 * A camera gives a password guesser one guess per login, and this table
 * spaces the logins out per source address: after the n-th failure in a
 * row an address waits initial × 2^(n-1), at most the maximum, before its
 * next login may start, and while it has failures only one login from it
 * runs at a time (so parallel calls do not multiply the guesses; an address
 * without failures, such as a household of viewers behind one NAT, may
 * log in many at once). Other addresses are not slowed. The table holds a bounded number of addresses: an entry is
 * forgotten once its back-off has been over for a long while, and when the
 * table is full the entry whose back-off ends first makes room.
 *
 * Time comes from the caller (monotonic microseconds), so tests need no
 * clock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-auth-backoff.h"

/* An address with no failure for this many maximum back-offs starts
 * afresh. */
#define FORGET_AFTER_MAX 10

typedef struct
{
  guint failures;
  guint busy;                   /* logins from it under way */
  gint64 until_us;              /* no new login before */
} Entry;

struct _P2pAuthBackoff
{
  GObject parent;

  GMutex lock;
  guint initial_ms;
  guint max_ms;
  guint max_entries;
  GHashTable *entries;          /* address → Entry */
};

G_DEFINE_TYPE (P2pAuthBackoff, p2p_auth_backoff, G_TYPE_OBJECT);

static void
p2p_auth_backoff_finalize (GObject * object)
{
  P2pAuthBackoff *self = P2P_AUTH_BACKOFF (object);

  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (p2p_auth_backoff_parent_class)->finalize (object);
}

static void
p2p_auth_backoff_class_init (P2pAuthBackoffClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_auth_backoff_finalize;
}

static void
p2p_auth_backoff_init (P2pAuthBackoff * self)
{
  g_mutex_init (&self->lock);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
}

/**
 * p2p_auth_backoff_new:
 * @initial_ms: wait after the first failure, in milliseconds (> 0)
 * @max_ms: longest wait, in milliseconds
 * @max_entries: most addresses remembered (> 0)
 *
 * Returns: (transfer full): an empty table
 */
P2pAuthBackoff *
p2p_auth_backoff_new (guint initial_ms, guint max_ms, guint max_entries)
{
  P2pAuthBackoff *self;

  g_return_val_if_fail (initial_ms > 0 && max_ms >= initial_ms, NULL);
  g_return_val_if_fail (max_entries > 0, NULL);

  self = g_object_new (P2P_TYPE_AUTH_BACKOFF, NULL);
  self->initial_ms = initial_ms;
  self->max_ms = max_ms;
  self->max_entries = max_entries;
  return self;
}

static gboolean
expired (gpointer key, gpointer value, gpointer data)
{
  Entry *e = value;
  gint64 forget_us = ((gint64 *) data)[0];
  gint64 now_us = ((gint64 *) data)[1];

  return !e->busy && now_us - e->until_us > forget_us;
}

/* Makes room for one more entry. */
static void
prune (P2pAuthBackoff * self, gint64 now_us)
{
  gint64 args[2] = { (gint64) self->max_ms * FORGET_AFTER_MAX * 1000, now_us };
  GHashTableIter iter;
  gpointer key, value, oldest = NULL;
  gint64 oldest_until = G_MAXINT64;

  g_hash_table_foreach_remove (self->entries, expired, args);
  if (g_hash_table_size (self->entries) < self->max_entries)
    return;
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Entry *e = value;

    if (!e->busy && e->until_us < oldest_until) {
      oldest_until = e->until_us;
      oldest = key;
    }
  }
  if (oldest)
    g_hash_table_remove (self->entries, oldest);
}

/**
 * p2p_auth_backoff_begin:
 * @self: a #P2pAuthBackoff
 * @address: the viewer's address as the camera sees it (no port)
 * @now_us: the monotonic time, in microseconds
 *
 * Asks whether a login from @address may start now: not while its back-off
 * runs, nor, once it has failed, while another login from it is under way.
 * When it may, it is under way until p2p_auth_backoff_end().
 *
 * Returns: 0 if the login may start, else how many milliseconds to wait
 */
guint
p2p_auth_backoff_begin (P2pAuthBackoff * self, const gchar * address,
    gint64 now_us)
{
  Entry *e;
  guint wait_ms = 0;

  g_return_val_if_fail (P2P_IS_AUTH_BACKOFF (self), G_MAXUINT);
  g_return_val_if_fail (address != NULL, G_MAXUINT);

  g_mutex_lock (&self->lock);
  e = g_hash_table_lookup (self->entries, address);
  if (e == NULL) {
    if (g_hash_table_size (self->entries) >= self->max_entries)
      prune (self, now_us);
    if (g_hash_table_size (self->entries) < self->max_entries) {
      e = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_strdup (address), e);
    }
  }
  if (e == NULL) {
    /* Every remembered address has a login under way: the table is full
     * of live logins, so this one waits like a failure would. */
    wait_ms = self->initial_ms;
  } else if (now_us < e->until_us) {
    wait_ms = MAX (1, (e->until_us - now_us + 999) / 1000);
  } else if (e->busy > 0 && e->failures > 0) {
    wait_ms = self->initial_ms;
  } else {
    e->busy++;
  }
  g_mutex_unlock (&self->lock);
  return wait_ms;
}

/**
 * p2p_auth_backoff_end:
 * @self: a #P2pAuthBackoff
 * @address: the address given to a successful p2p_auth_backoff_begin()
 * @failed: whether the login failed after a password guess
 * @now_us: the monotonic time, in microseconds
 *
 * Ends a login. A failure doubles the address's wait (up to the maximum); a
 * success or an attempt without a guess leaves it as it was, and a success
 * clears the failure count.
 */
void
p2p_auth_backoff_end (P2pAuthBackoff * self, const gchar * address,
    gboolean failed, gint64 now_us)
{
  Entry *e;

  g_return_if_fail (P2P_IS_AUTH_BACKOFF (self));
  g_return_if_fail (address != NULL);

  g_mutex_lock (&self->lock);
  e = g_hash_table_lookup (self->entries, address);
  if (e && e->busy > 0) {
    e->busy--;
    if (failed) {
      guint64 wait_ms = self->initial_ms;

      if (e->failures < 32)
        e->failures++;
      if (e->failures > 1)
        wait_ms <<= MIN (e->failures - 1, 31);
      wait_ms = MIN (wait_ms, self->max_ms);
      e->until_us = now_us + (gint64) wait_ms *1000;
    } else {
      e->failures = 0;
    }
  }
  g_mutex_unlock (&self->lock);
}

/**
 * p2p_auth_backoff_get_size:
 * @self: a #P2pAuthBackoff
 *
 * Returns: how many addresses the table holds now
 */
guint
p2p_auth_backoff_get_size (P2pAuthBackoff * self)
{
  guint n;

  g_return_val_if_fail (P2P_IS_AUTH_BACKOFF (self), 0);

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->entries);
  g_mutex_unlock (&self->lock);
  return n;
}
