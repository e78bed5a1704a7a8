/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-direct-signaller
 * @title: P2pDirectSignaller
 * @short_description: A camera and a viewer signalling in one process
 *
 * Two #P2pSignaller objects made together by p2p_direct_signaller_new_pair():
 * what one sends, the other receives, through the #P2pLoop and never
 * synchronously, as over a network. The viewer end may call the camera end's
 * UID once the camera end is started. For tests and for applications that
 * hold both ends (a local preview), with no server process; the media
 * still goes over ICE and DTLS, authenticated as usual.
 *
 * Signals are emitted on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-direct-signaller.h"
#include "p2p-signaller-private.h"

#include <string.h>

enum
{
  END_DEVICE,
  END_VIEWER,
};

/* What the two ends share; ends[] are weak pointers, cleared in dispose. */
typedef struct
{
  GMutex lock;
  P2pLoop *loop;
  gchar *uid;
  gchar *fingerprint;
  P2pDirectSignaller *ends[2];
  gboolean started[2];
  /* Live call ids (a set). */
  GHashTable *calls;
  /* Call id -> normalised UID, of the calls whose call-started is not
   * delivered yet: those p2p_signaller_cancel_call() can still take back. */
  GHashTable *starting;
  guint next_call;
} Link;

struct _P2pDirectSignaller
{
  GObject parent;

  Link *link;
  guint end;
};

static void p2p_direct_signaller_signaller_init (P2pSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (P2pDirectSignaller, p2p_direct_signaller,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER,
        p2p_direct_signaller_signaller_init));

static void
link_clear (Link * link)
{
  g_mutex_clear (&link->lock);
  g_object_unref (link->loop);
  g_free (link->uid);
  g_free (link->fingerprint);
  g_hash_table_unref (link->calls);
  g_hash_table_unref (link->starting);
}

static Link *
link_ref (Link * link)
{
  return g_atomic_rc_box_acquire (link);
}

static void
link_unref (Link * link)
{
  g_atomic_rc_box_release_full (link, (GDestroyNotify) link_clear);
}

typedef enum
{
  MSG_INCOMING_CALL,
  MSG_CALL_STARTED,
  MSG_CALL_FAILED,
  MSG_OFFER,
  MSG_ANSWER,
  MSG_CANDIDATE,
  MSG_CALL_ENDED,
} MessageKind;

/* One signal to emit on one end, later, on the loop thread. */
typedef struct
{
  Link *link;
  guint to;
  MessageKind kind;
  gchar *call;
  gchar *a, *b;
  GError *error;
} Message;

static void
message_free (gpointer data)
{
  Message *msg = data;

  link_unref (msg->link);
  g_free (msg->call);
  g_free (msg->a);
  g_free (msg->b);
  g_clear_error (&msg->error);
  g_free (msg);
}

static gboolean
deliver_in_loop (gpointer data)
{
  Message *msg = data;
  Link *link = msg->link;
  P2pDirectSignaller *to = NULL;

  g_mutex_lock (&link->lock);
  /* Messages of a call that ended meanwhile are lost, as on a network. */
  if (link->ends[msg->to] && link->started[msg->to]
      && (msg->call == NULL || msg->kind == MSG_CALL_ENDED
          || g_hash_table_contains (link->calls, msg->call)))
    to = g_object_ref (link->ends[msg->to]);
  if (msg->kind == MSG_CALL_STARTED)
    g_hash_table_remove (link->starting, msg->call);
  g_mutex_unlock (&link->lock);
  if (to == NULL)
    return G_SOURCE_REMOVE;

  switch (msg->kind) {
    case MSG_INCOMING_CALL:
      g_signal_emit_by_name (to, "incoming-call", msg->call, "direct", NULL);
      break;
    case MSG_CALL_STARTED:
      g_signal_emit_by_name (to, "call-started", msg->a, msg->call, msg->b);
      break;
    case MSG_CALL_FAILED:
      g_signal_emit_by_name (to, "call-failed", msg->a, msg->error);
      break;
    case MSG_OFFER:
      g_signal_emit_by_name (to, "remote-offer", msg->call, msg->a);
      break;
    case MSG_ANSWER:
      g_signal_emit_by_name (to, "remote-answer", msg->call, msg->a);
      break;
    case MSG_CANDIDATE:
      g_signal_emit_by_name (to, "remote-candidate", msg->call, msg->a, msg->b);
      break;
    case MSG_CALL_ENDED:
      g_signal_emit_by_name (to, "call-ended", msg->call, msg->a);
      break;
  }
  g_object_unref (to);
  return G_SOURCE_REMOVE;
}

/* Takes @error. Call with the link lock held or not: delivery is queued. */
static void
post (Link * link, guint to, MessageKind kind, const gchar * call,
    const gchar * a, const gchar * b, GError * error)
{
  Message *msg = g_new0 (Message, 1);

  msg->link = link_ref (link);
  msg->to = to;
  msg->kind = kind;
  msg->call = g_strdup (call);
  msg->a = g_strdup (a);
  msg->b = g_strdup (b);
  msg->error = error;
  p2p_loop_invoke (link->loop, deliver_in_loop, msg, message_free);
}

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
signaller_start (P2pSignaller * signaller)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);

  g_mutex_lock (&self->link->lock);
  self->link->started[self->end] = TRUE;
  g_mutex_unlock (&self->link->lock);
}

/* Ends every call (the peer hears "peer-gone") and, once no delivery to
 * this end is running on the loop thread any more, returns. */
static void
signaller_stop (P2pSignaller * signaller)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  GHashTableIter iter;
  gpointer call;

  g_mutex_lock (&link->lock);
  if (link->started[self->end]) {
    link->started[self->end] = FALSE;
    g_hash_table_iter_init (&iter, link->calls);
    while (g_hash_table_iter_next (&iter, &call, NULL)) {
      post (link, !self->end, MSG_CALL_ENDED, call, "peer-gone", NULL, NULL);
      g_hash_table_iter_remove (&iter);
    }
    g_hash_table_remove_all (link->starting);
  }
  g_mutex_unlock (&link->lock);
  p2p_loop_invoke_sync (link->loop, noop, NULL);
}

static gboolean
signaller_call (P2pSignaller * signaller, const gchar * uid,
    guint timeout_ms, GError ** error)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  g_autofree gchar *norm = p2p_signaller_normalise_uid (uid);
  g_autofree gchar *call = NULL;

  if (self->end != END_VIEWER) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "The camera end cannot make calls");
    return FALSE;
  }

  g_mutex_lock (&link->lock);
  if (!link->started[END_VIEWER]) {
    g_mutex_unlock (&link->lock);
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED,
        "The signaller is not started");
    return FALSE;
  }
  if (norm == NULL || strcmp (norm, link->uid) != 0) {
    post (link, END_VIEWER, MSG_CALL_FAILED, NULL, uid, NULL,
        g_error_new (P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_UNKNOWN_UID,
            "No camera with UID %.32s at the other end", uid));
  } else if (!link->started[END_DEVICE] || link->ends[END_DEVICE] == NULL) {
    post (link, END_VIEWER, MSG_CALL_FAILED, NULL, uid, NULL,
        g_error_new (P2P_SIGNALLING_ERROR,
            P2P_SIGNALLING_ERROR_DEVICE_OFFLINE,
            "The camera end is not started"));
  } else {
    call = g_strdup_printf ("direct-%u", ++link->next_call);
    g_hash_table_add (link->calls, g_strdup (call));
    g_hash_table_insert (link->starting, g_strdup (call),
        g_steal_pointer (&norm));
    /* The viewer learns the call before the camera's offer can arrive. */
    post (link, END_VIEWER, MSG_CALL_STARTED, call, uid, link->fingerprint,
        NULL);
    post (link, END_DEVICE, MSG_INCOMING_CALL, call, NULL, NULL, NULL);
  }
  g_mutex_unlock (&link->lock);
  return TRUE;
}

/* Takes back the calls to @uid the viewer end has not heard of: the camera
 * end hears them end, as from a viewer that gave up. */
static void
signaller_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  g_autofree gchar *norm = p2p_signaller_normalise_uid (uid);
  GHashTableIter iter;
  gpointer call, call_uid;

  if (self->end != END_VIEWER || norm == NULL)
    return;
  g_mutex_lock (&link->lock);
  g_hash_table_iter_init (&iter, link->starting);
  while (g_hash_table_iter_next (&iter, &call, &call_uid)) {
    if (strcmp (call_uid, norm) != 0)
      continue;
    g_hash_table_remove (link->calls, call);
    post (link, END_DEVICE, MSG_CALL_ENDED, call, "cancelled", NULL, NULL);
    g_hash_table_iter_remove (&iter);
  }
  g_mutex_unlock (&link->lock);
}

static gboolean
check_call (P2pDirectSignaller * self, const gchar * call, GError ** error)
{
  gboolean known;

  g_mutex_lock (&self->link->lock);
  known = self->link->started[self->end]
      && g_hash_table_contains (self->link->calls, call);
  g_mutex_unlock (&self->link->lock);
  if (!known)
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
  return known;
}

static gboolean
send_sdp (P2pDirectSignaller * self, guint from, MessageKind kind,
    const gchar * call, const gchar * sdp, GError ** error)
{
  if (self->end != from) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Only the %s end sends %s",
        from == END_DEVICE ? "camera" : "viewer",
        kind == MSG_OFFER ? "offers" : "answers");
    return FALSE;
  }
  if (!check_call (self, call, error))
    return FALSE;
  post (self->link, !self->end, kind, call, sdp, NULL, NULL);
  return TRUE;
}

static gboolean
signaller_send_offer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  return send_sdp (P2P_DIRECT_SIGNALLER (signaller), END_DEVICE, MSG_OFFER,
      call, sdp, error);
}

static gboolean
signaller_send_answer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  return send_sdp (P2P_DIRECT_SIGNALLER (signaller), END_VIEWER, MSG_ANSWER,
      call, sdp, error);
}

static gboolean
signaller_send_candidate (P2pSignaller * signaller, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);

  if (!check_call (self, call, error))
    return FALSE;
  post (self->link, !self->end, MSG_CANDIDATE, call, candidate, mid, NULL);
  return TRUE;
}

static gboolean
signaller_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  gboolean known;

  g_mutex_lock (&self->link->lock);
  known = g_hash_table_remove (self->link->calls, call);
  if (known)
    post (self->link, !self->end, MSG_CALL_ENDED, call, reason, NULL, NULL);
  g_mutex_unlock (&self->link->lock);
  if (!known)
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
  return known;
}

static void
p2p_direct_signaller_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = signaller_start;
  iface->stop = signaller_stop;
  iface->call = signaller_call;
  iface->send_offer = signaller_send_offer;
  iface->send_answer = signaller_send_answer;
  iface->send_candidate = signaller_send_candidate;
  iface->end_call = signaller_end_call;
  iface->cancel_call = signaller_cancel_call;
}

static void
p2p_direct_signaller_dispose (GObject * object)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (object);

  if (self->link) {
    signaller_stop (P2P_SIGNALLER (self));
    g_mutex_lock (&self->link->lock);
    self->link->ends[self->end] = NULL;
    g_mutex_unlock (&self->link->lock);
    g_clear_pointer (&self->link, link_unref);
  }
  G_OBJECT_CLASS (p2p_direct_signaller_parent_class)->dispose (object);
}

static void
p2p_direct_signaller_class_init (P2pDirectSignallerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = p2p_direct_signaller_dispose;
}

static void
p2p_direct_signaller_init (P2pDirectSignaller * self)
{
}

/**
 * p2p_direct_signaller_new_pair:
 * @loop: (nullable): the loop to deliver on, or %NULL for the default one
 * @uid: the camera end's UID (XXXX-XXXX-XXXX-XXXX), which the viewer end
 *     must call
 * @device_fingerprint: (nullable): the camera certificate fingerprint
 *     #P2pSignaller::call-started vouches for, as a server's registry
 *     would, or %NULL to vouch for none (as on the local network)
 * @device: (out) (transfer full): the camera end
 * @viewer: (out) (transfer full): the viewer end
 *
 * Makes two linked signallers. Either may be dropped first; the other then
 * sees its calls end ("peer-gone") and takes or makes no new one.
 */
void
p2p_direct_signaller_new_pair (P2pLoop * loop, const gchar * uid,
    const gchar * device_fingerprint, P2pDirectSignaller ** device,
    P2pDirectSignaller ** viewer)
{
  Link *link;
  gchar *norm;

  g_return_if_fail (loop == NULL || P2P_IS_LOOP (loop));
  norm = p2p_signaller_normalise_uid (uid);
  g_return_if_fail (norm != NULL);
  g_return_if_fail (device != NULL && viewer != NULL);

  link = g_atomic_rc_box_new0 (Link);
  g_mutex_init (&link->lock);
  link->loop = loop ? g_object_ref (loop) : p2p_loop_get_default ();
  link->uid = norm;
  link->fingerprint = g_strdup (device_fingerprint);
  link->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  link->starting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  *device = g_object_new (P2P_TYPE_DIRECT_SIGNALLER, NULL);
  (*device)->link = link;
  (*device)->end = END_DEVICE;
  link->ends[END_DEVICE] = *device;
  *viewer = g_object_new (P2P_TYPE_DIRECT_SIGNALLER, NULL);
  (*viewer)->link = link_ref (link);
  (*viewer)->end = END_VIEWER;
  link->ends[END_VIEWER] = *viewer;
}
