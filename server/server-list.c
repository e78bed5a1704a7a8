/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Rendezvous (highest random weight) hashing: every server gets a score per
 * UID and the list is sorted by score. Unlike a modulo, removing one of n
 * servers only moves the UIDs it held, and every client can compute the
 * same order (docs/protocol.md §7). */

#include "server-list.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  const gchar *url;
  guint64 score;
} Ranked;

static guint64
score (const gchar * url, const gchar * uid)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);
  guint64 v = 0;
  guint i;

  g_checksum_update (sum, (const guchar *) url, strlen (url));
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) uid, strlen (uid));
  g_checksum_get_digest (sum, digest, &len);
  for (i = 0; i < 8; i++)
    v = (v << 8) | digest[i];
  return v;
}

static gint
compare_ranked (gconstpointer pa, gconstpointer pb)
{
  const Ranked *a = pa, *b = pb;

  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return strcmp (a->url, b->url);
}

/**
 * p2p_server_list_for_uid:
 * @servers: (array zero-terminated=1): the configured rendezvous URLs
 * @uid: a normalised UID
 *
 * Orders @servers for @uid, best first.
 *
 * Returns: (transfer full) (array zero-terminated=1): the ordered URLs
 */
gchar **
p2p_server_list_for_uid (const gchar * const *servers, const gchar * uid)
{
  guint n = g_strv_length ((gchar **) servers);
  Ranked *ranked = g_new (Ranked, n);
  gchar **out = g_new0 (gchar *, n + 1);
  guint i;

  for (i = 0; i < n; i++) {
    ranked[i].url = servers[i];
    ranked[i].score = score (servers[i], uid);
  }
  /* With no servers, ranked is NULL, which qsort() must not be given
   * even for zero elements. */
  if (n > 1)
    qsort (ranked, n, sizeof (Ranked), compare_ranked);
  for (i = 0; i < n; i++)
    out[i] = g_strdup (ranked[i].url);
  g_free (ranked);
  return out;
}
