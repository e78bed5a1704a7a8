/* p2p-core tests: what a P2pSignaller emits, as text lines
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "signaller-recorder.h"

struct _SignallerRecorder
{
  P2pSignaller *signaller;
  GAsyncQueue *lines;
  GMutex lock;
  gchar *address;
};

static void
push (SignallerRecorder * self, gchar * line)
{
  g_async_queue_push (self->lines, line);
}

#define OR_DASH(s) ((s) ? (s) : "-")

static void
on_incoming (P2pSignaller * s, const gchar * call, const gchar * viewer,
    const gchar * address, SignallerRecorder * self)
{
  g_mutex_lock (&self->lock);
  g_free (self->address);
  self->address = g_strdup (address);
  g_mutex_unlock (&self->lock);
  push (self, g_strdup_printf ("incoming-call %s", call));
}

static void
on_started (P2pSignaller * s, const gchar * uid, const gchar * call,
    const gchar * fingerprint, SignallerRecorder * self)
{
  push (self, g_strdup_printf ("call-started %s %s %s", uid, call,
          OR_DASH (fingerprint)));
}

static void
on_failed (P2pSignaller * s, const gchar * uid, const GError * error,
    SignallerRecorder * self)
{
  push (self, g_strdup_printf ("call-failed %s %d", uid, error->code));
}

static void
on_offer (P2pSignaller * s, const gchar * call, const gchar * sdp,
    SignallerRecorder * self)
{
  push (self, g_strdup_printf ("remote-offer %s %s", call, sdp));
}

static void
on_answer (P2pSignaller * s, const gchar * call, const gchar * sdp,
    SignallerRecorder * self)
{
  push (self, g_strdup_printf ("remote-answer %s %s", call, sdp));
}

static void
on_candidate (P2pSignaller * s, const gchar * call, const gchar * candidate,
    const gchar * mid, SignallerRecorder * self)
{
  push (self, g_strdup_printf ("remote-candidate %s %s %s", call, candidate,
          OR_DASH (mid)));
}

static void
on_ended (P2pSignaller * s, const gchar * call, const gchar * reason,
    SignallerRecorder * self)
{
  push (self, g_strdup_printf ("call-ended %s %s", call, OR_DASH (reason)));
}

static void
on_call_error (P2pSignaller * s, const gchar * call, const GError * error,
    SignallerRecorder * self)
{
  push (self, g_strdup_printf ("call-error %s %d", call, error->code));
}

static void
on_error (P2pSignaller * s, const GError * error, SignallerRecorder * self)
{
  push (self, g_strdup_printf ("error %d", error->code));
}

SignallerRecorder *
signaller_recorder_new (P2pSignaller * signaller)
{
  SignallerRecorder *self = g_new0 (SignallerRecorder, 1);

  self->signaller = g_object_ref (signaller);
  self->lines = g_async_queue_new_full (g_free);
  g_mutex_init (&self->lock);
  g_signal_connect (signaller, "incoming-call", G_CALLBACK (on_incoming), self);
  g_signal_connect (signaller, "call-started", G_CALLBACK (on_started), self);
  g_signal_connect (signaller, "call-failed", G_CALLBACK (on_failed), self);
  g_signal_connect (signaller, "remote-offer", G_CALLBACK (on_offer), self);
  g_signal_connect (signaller, "remote-answer", G_CALLBACK (on_answer), self);
  g_signal_connect (signaller, "remote-candidate", G_CALLBACK (on_candidate),
      self);
  g_signal_connect (signaller, "call-ended", G_CALLBACK (on_ended), self);
  g_signal_connect (signaller, "call-error", G_CALLBACK (on_call_error), self);
  g_signal_connect (signaller, "error", G_CALLBACK (on_error), self);
  return self;
}

gchar *
signaller_recorder_try_pop (SignallerRecorder * self, guint timeout_ms)
{
  return g_async_queue_timeout_pop (self->lines, (guint64) timeout_ms * 1000);
}

gchar *
signaller_recorder_pop (SignallerRecorder * self)
{
  gchar *line = signaller_recorder_try_pop (self, 5000);

  if (line == NULL)
    g_error ("no signal from %s in 5 s", G_OBJECT_TYPE_NAME (self->signaller));
  return line;
}

gchar *
signaller_recorder_wait (SignallerRecorder * self, const gchar * prefix)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  for (;;) {
    gint64 left = end - g_get_monotonic_time ();
    gchar *line;

    if (left <= 0)
      break;
    line = g_async_queue_timeout_pop (self->lines, left);
    if (line == NULL)
      break;
    if (g_str_has_prefix (line, prefix))
      return line;
    g_free (line);
  }
  g_error ("no '%s' from %s in 5 s", prefix, G_OBJECT_TYPE_NAME
      (self->signaller));
  return NULL;
}

gchar *
signaller_recorder_dup_address (SignallerRecorder * self)
{
  gchar *address;

  g_mutex_lock (&self->lock);
  address = g_strdup (self->address);
  g_mutex_unlock (&self->lock);
  return address;
}

void
signaller_recorder_free (SignallerRecorder * self)
{
  g_signal_handlers_disconnect_by_data (self->signaller, self);
  g_object_unref (self->signaller);
  g_async_queue_unref (self->lines);
  g_mutex_clear (&self->lock);
  g_free (self->address);
  g_free (self);
}
