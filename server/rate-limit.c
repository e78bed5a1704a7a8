/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Token buckets. A key's bucket exists only while it is not full: a full
 * bucket behaves exactly like a missing one, so p2p_rate_limit_expire() can
 * drop it and memory stays proportional to recent activity. */

#include "rate-limit.h"

#include <math.h>

struct _P2pRateLimit
{
  gdouble rate;
  gdouble burst;
  GHashTable *buckets;
};

typedef struct
{
  gdouble tokens;
  gint64 last_us;
} Bucket;

/**
 * p2p_rate_limit_new:
 * @rate: tokens added per second
 * @burst: bucket size
 *
 * Returns: (transfer full): a new set of buckets
 */
P2pRateLimit *
p2p_rate_limit_new (gdouble rate, gdouble burst)
{
  P2pRateLimit *limit = g_new0 (P2pRateLimit, 1);

  limit->rate = rate;
  limit->burst = MAX (burst, 1.0);
  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return limit;
}

/**
 * p2p_rate_limit_free:
 * @limit: (transfer full) (nullable): buckets
 *
 * Frees @limit.
 */
void
p2p_rate_limit_free (P2pRateLimit * limit)
{
  if (!limit)
    return;
  g_hash_table_unref (limit->buckets);
  g_free (limit);
}

static gdouble
refill (P2pRateLimit * limit, Bucket * b, gint64 now_us)
{
  gdouble t = b->tokens + limit->rate * (now_us - b->last_us) / 1e6;

  return MIN (t, limit->burst);
}

/**
 * p2p_rate_limit_take:
 * @limit: buckets
 * @key: whose bucket
 * @now_us: monotonic time, microseconds
 * @retry_after: (out) (optional): when refused, seconds until a token is
 *     available (at least 1)
 *
 * Takes one token from @key's bucket.
 *
 * Returns: %TRUE if allowed, %FALSE if the bucket is empty
 */
gboolean
p2p_rate_limit_take (P2pRateLimit * limit, const gchar * key, gint64 now_us,
    guint * retry_after)
{
  Bucket *b = g_hash_table_lookup (limit->buckets, key);

  if (!b) {
    b = g_new (Bucket, 1);
    b->tokens = limit->burst;
    b->last_us = now_us;
    g_hash_table_insert (limit->buckets, g_strdup (key), b);
  }
  b->tokens = refill (limit, b, now_us);
  b->last_us = now_us;
  if (b->tokens < 1.0) {
    if (retry_after)
      *retry_after = MAX (1, (guint) ceil ((1.0 - b->tokens) / limit->rate));
    return FALSE;
  }
  b->tokens -= 1.0;
  return TRUE;
}

/**
 * p2p_rate_limit_check:
 * @limit: buckets
 * @key: whose bucket
 * @now_us: monotonic time, microseconds
 * @retry_after: (out) (optional): when empty, seconds until a token is
 *     available (at least 1)
 *
 * Like p2p_rate_limit_take() without taking: for limits that only failures
 * spend.
 *
 * Returns: %TRUE if @key's bucket holds a token
 */
gboolean
p2p_rate_limit_check (P2pRateLimit * limit, const gchar * key, gint64 now_us,
    guint * retry_after)
{
  Bucket *b = g_hash_table_lookup (limit->buckets, key);
  gdouble tokens = b ? refill (limit, b, now_us) : limit->burst;

  if (tokens >= 1.0)
    return TRUE;
  if (retry_after)
    *retry_after = MAX (1, (guint) ceil ((1.0 - tokens) / limit->rate));
  return FALSE;
}

static gboolean
is_full (gpointer key, gpointer value, gpointer data)
{
  gpointer *args = data;
  P2pRateLimit *limit = args[0];
  gint64 now_us = *(gint64 *) args[1];

  return refill (limit, value, now_us) >= limit->burst;
}

/**
 * p2p_rate_limit_expire:
 * @limit: buckets
 * @now_us: monotonic time, microseconds
 *
 * Forgets buckets that have refilled completely.
 */
void
p2p_rate_limit_expire (P2pRateLimit * limit, gint64 now_us)
{
  gpointer args[2] = { limit, &now_us };

  g_hash_table_foreach_remove (limit->buckets, is_full, args);
}
