/* p2p-core tests: a viewer's signaller that answers when the test says
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "manual-signaller.h"

struct _TestManualSignaller
{
  GObject parent;
  P2pLoop *loop;
  GAsyncQueue *log;
};

static void test_manual_signaller_signaller_init (P2pSignallerInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (TestManualSignaller, test_manual_signaller,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER,
        test_manual_signaller_signaller_init));

static void
manual_start (P2pSignaller * signaller)
{
}

static void
manual_stop (P2pSignaller * signaller)
{
}

static gboolean
manual_call (P2pSignaller * signaller, const gchar * uid, guint timeout_ms,
    GError ** error)
{
  g_async_queue_push (TEST_MANUAL_SIGNALLER (signaller)->log,
      g_strdup_printf ("call %s", uid));
  return TRUE;
}

static void
manual_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  g_async_queue_push (TEST_MANUAL_SIGNALLER (signaller)->log,
      g_strdup_printf ("cancel %s", uid));
}

static gboolean
manual_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  g_async_queue_push (TEST_MANUAL_SIGNALLER (signaller)->log,
      g_strdup_printf ("end %s %s", call, reason));
  return TRUE;
}

static void
test_manual_signaller_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = manual_start;
  iface->stop = manual_stop;
  iface->call = manual_call;
  iface->cancel_call = manual_cancel_call;
  iface->end_call = manual_end_call;
}

static void
test_manual_signaller_finalize (GObject * object)
{
  TestManualSignaller *self = TEST_MANUAL_SIGNALLER (object);

  g_clear_object (&self->loop);
  g_async_queue_unref (self->log);
  G_OBJECT_CLASS (test_manual_signaller_parent_class)->finalize (object);
}

static void
test_manual_signaller_class_init (TestManualSignallerClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_manual_signaller_finalize;
}

static void
test_manual_signaller_init (TestManualSignaller * self)
{
  self->log = g_async_queue_new_full (g_free);
}

TestManualSignaller *
test_manual_signaller_new (P2pLoop * loop)
{
  TestManualSignaller *self = g_object_new (TEST_TYPE_MANUAL_SIGNALLER, NULL);

  self->loop = g_object_ref (loop);
  return self;
}

gchar *
test_manual_signaller_try_pop (TestManualSignaller * self, guint timeout_ms)
{
  return g_async_queue_timeout_pop (self->log, (guint64) timeout_ms * 1000);
}

gchar *
test_manual_signaller_pop (TestManualSignaller * self)
{
  gchar *line = test_manual_signaller_try_pop (self, 5000);

  if (line == NULL)
    g_error ("the manual signaller was asked nothing in 5 s");
  return line;
}

typedef struct
{
  TestManualSignaller *self;
  gchar *uid;
  gchar *call;                  /* NULL: the call fails as busy */
} Outcome;

static void
outcome_free (gpointer data)
{
  Outcome *outcome = data;

  g_object_unref (outcome->self);
  g_free (outcome->uid);
  g_free (outcome->call);
  g_free (outcome);
}

static gboolean
outcome_cb (gpointer data)
{
  Outcome *outcome = data;
  g_autoptr (GError) error = NULL;

  if (outcome->call) {
    g_signal_emit_by_name (outcome->self, "call-started", outcome->uid,
        outcome->call, NULL);
  } else {
    error = g_error_new_literal (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_REFUSED,
        "A call from this address is still unanswered");
    g_signal_emit_by_name (outcome->self, "call-failed", outcome->uid, error);
  }
  return G_SOURCE_REMOVE;
}

void
test_manual_signaller_answer (TestManualSignaller * self, const gchar * uid,
    const gchar * call)
{
  Outcome *outcome = g_new0 (Outcome, 1);

  outcome->self = g_object_ref (self);
  outcome->uid = g_strdup (uid);
  outcome->call = g_strdup (call);
  p2p_loop_invoke (self->loop, outcome_cb, outcome, outcome_free);
}
