/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Log lines are logfmt (`key=value ...`) on stderr, one event per line, so
 * journald, grep and log shippers can all take them apart without a
 * parser for free text. */

#include "server-log.h"

#include <stdio.h>

static gboolean quiet;

/**
 * p2p_server_log_set_quiet:
 * @q: %TRUE to drop `info` lines
 *
 * Keeps only warnings and errors, for load tests where a line per login
 * would cost more than the login.
 */
void
p2p_server_log_set_quiet (gboolean q)
{
  quiet = q;
}

/**
 * p2p_server_log:
 * @level: `info`, `warning` or `error`
 * @event: short machine-readable event name, e.g. `login`
 * @format: printf format of further `key=value` pairs; values that may hold
 *     spaces must be quoted by the caller
 * @...: arguments of @format
 *
 * Writes one structured log line with a UTC time stamp.
 */
void
p2p_server_log (const gchar * level, const gchar * event,
    const gchar * format, ...)
{
  g_autoptr (GDateTime) now = NULL;
  g_autofree gchar *stamp = NULL;
  g_autofree gchar *rest = NULL;
  va_list args;

  if (quiet && g_str_equal (level, "info"))
    return;
  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  va_start (args, format);
  rest = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "time=%s level=%s event=%s%s%s\n", stamp, level, event,
      *rest ? " " : "", rest);
}
