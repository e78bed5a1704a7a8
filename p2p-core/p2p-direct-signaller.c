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
 * #P2pSignaller objects made together by p2p_direct_signaller_new_pair(),
 * a camera end and a viewer end, and p2p_direct_signaller_new_viewer(),
 * more viewer ends: what one end sends, its peer receives, through the
 * #P2pLoop and never synchronously, as over a network. A viewer end may
 * call the camera end's UID once the camera end is started; each call is
 * between the camera end and the viewer end that made it. For tests and
 * for applications that hold both ends (a local preview), with no server
 * process; the media still goes over ICE and DTLS, authenticated as usual.
 *
 * Signals are emitted on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-direct-signaller.h"
#include "p2p-signaller-private.h"

#include <string.h>

/* What the ends share. */
typedef struct
{
  GMutex lock;
  P2pLoop *loop;
  gchar *uid;
  gchar *fingerprint;
  /* Live ends by id (not references: an end removes itself in dispose).
   * Messages name their end by id, which is never reused. */
  GHashTable *ends;
  guint device_id;              /* 0 once the camera end is gone */
  guint next_end;
  /* Live calls: call id -> the viewer end's id. */
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
  guint id;
  gboolean device;
  gboolean started;             /* under the link's lock */
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
  g_hash_table_unref (link->ends);
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

/* One signal to emit on one end (by id), later, on the loop thread. */
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
  to = g_hash_table_lookup (link->ends, GUINT_TO_POINTER (msg->to));
  /* Messages of a call that ended meanwhile are lost, as on a network. */
  if (to && to->started && (msg->call == NULL || msg->kind == MSG_CALL_ENDED
          || g_hash_table_contains (link->calls, msg->call)))
    g_object_ref (to);
  else
    to = NULL;
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

/* Takes @error. Call with the link lock held or not: delivery is queued.
 * @to is an end's id. */
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
  self->started = TRUE;
  g_mutex_unlock (&self->link->lock);
}

/* Ends every call of this end (the peer hears "peer-gone") and, once no
 * delivery to this end is running on the loop thread any more, returns. */
static void
signaller_stop (P2pSignaller * signaller)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  GHashTableIter iter;
  gpointer call, viewer;

  g_mutex_lock (&link->lock);
  if (self->started) {
    self->started = FALSE;
    g_hash_table_iter_init (&iter, link->calls);
    while (g_hash_table_iter_next (&iter, &call, &viewer)) {
      if (self->device)
        post (link, GPOINTER_TO_UINT (viewer), MSG_CALL_ENDED, call,
            "peer-gone", NULL, NULL);
      else if (GPOINTER_TO_UINT (viewer) == self->id)
        post (link, link->device_id, MSG_CALL_ENDED, call, "peer-gone", NULL,
            NULL);
      else
        continue;
      g_hash_table_remove (link->starting, call);
      g_hash_table_iter_remove (&iter);
    }
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
  P2pDirectSignaller *device;

  if (self->device) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "The camera end cannot make calls");
    return FALSE;
  }

  g_mutex_lock (&link->lock);
  if (!self->started) {
    g_mutex_unlock (&link->lock);
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED,
        "The signaller is not started");
    return FALSE;
  }
  device = g_hash_table_lookup (link->ends, GUINT_TO_POINTER (link->device_id));
  if (norm == NULL || strcmp (norm, link->uid) != 0) {
    post (link, self->id, MSG_CALL_FAILED, NULL, uid, NULL,
        g_error_new (P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_UNKNOWN_UID,
            "No camera with UID %.32s at the other end", uid));
  } else if (device == NULL || !device->started) {
    post (link, self->id, MSG_CALL_FAILED, NULL, uid, NULL,
        g_error_new (P2P_SIGNALLING_ERROR,
            P2P_SIGNALLING_ERROR_DEVICE_OFFLINE,
            "The camera end is not started"));
  } else {
    call = g_strdup_printf ("direct-%u", ++link->next_call);
    g_hash_table_insert (link->calls, g_strdup (call),
        GUINT_TO_POINTER (self->id));
    g_hash_table_insert (link->starting, g_strdup (call),
        g_steal_pointer (&norm));
    /* The viewer learns the call before the camera's offer can arrive. */
    post (link, self->id, MSG_CALL_STARTED, call, uid, link->fingerprint, NULL);
    post (link, link->device_id, MSG_INCOMING_CALL, call, NULL, NULL, NULL);
  }
  g_mutex_unlock (&link->lock);
  return TRUE;
}

/* Takes back the calls to @uid this viewer end has not heard of: the
 * camera end hears them end, as from a viewer that gave up. */
static void
signaller_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  g_autofree gchar *norm = p2p_signaller_normalise_uid (uid);
  GHashTableIter iter;
  gpointer call, call_uid;

  if (self->device || norm == NULL)
    return;
  g_mutex_lock (&link->lock);
  g_hash_table_iter_init (&iter, link->starting);
  while (g_hash_table_iter_next (&iter, &call, &call_uid)) {
    if (strcmp (call_uid, norm) != 0 || GPOINTER_TO_UINT
        (g_hash_table_lookup (link->calls, call)) != self->id)
      continue;
    post (link, link->device_id, MSG_CALL_ENDED, call, "cancelled", NULL, NULL);
    g_hash_table_remove (link->calls, call);
    g_hash_table_iter_remove (&iter);
  }
  g_mutex_unlock (&link->lock);
}

/* The id of the end at the other side of @call, or 0 when @call is not a
 * live call of this end. Call with the link lock held. */
static guint
call_peer_locked (P2pDirectSignaller * self, const gchar * call)
{
  gpointer viewer = NULL;

  if (!g_hash_table_lookup_extended (self->link->calls, call, NULL, &viewer))
    return 0;
  if (self->device)
    return GPOINTER_TO_UINT (viewer);
  return GPOINTER_TO_UINT (viewer) == self->id ? self->link->device_id : 0;
}

/* call_peer_locked() of a started end, with @error set when 0. */
static guint
call_peer (P2pDirectSignaller * self, const gchar * call, GError ** error)
{
  guint peer;

  g_mutex_lock (&self->link->lock);
  peer = self->started ? call_peer_locked (self, call) : 0;
  g_mutex_unlock (&self->link->lock);
  if (peer == 0)
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
  return peer;
}

static gboolean
send_sdp (P2pDirectSignaller * self, MessageKind kind, const gchar * call,
    const gchar * sdp, GError ** error)
{
  gboolean from_device = kind == MSG_OFFER;
  guint peer;

  if (self->device != from_device) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Only the %s end sends %s",
        from_device ? "camera" : "viewer", from_device ? "offers" : "answers");
    return FALSE;
  }
  peer = call_peer (self, call, error);
  if (peer == 0)
    return FALSE;
  post (self->link, peer, kind, call, sdp, NULL, NULL);
  return TRUE;
}

static gboolean
signaller_send_offer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  return send_sdp (P2P_DIRECT_SIGNALLER (signaller), MSG_OFFER, call, sdp,
      error);
}

static gboolean
signaller_send_answer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  return send_sdp (P2P_DIRECT_SIGNALLER (signaller), MSG_ANSWER, call, sdp,
      error);
}

static gboolean
signaller_send_candidate (P2pSignaller * signaller, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  guint peer = call_peer (self, call, error);

  if (peer == 0)
    return FALSE;
  post (self->link, peer, MSG_CANDIDATE, call, candidate, mid, NULL);
  return TRUE;
}

static gboolean
signaller_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  P2pDirectSignaller *self = P2P_DIRECT_SIGNALLER (signaller);
  Link *link = self->link;
  guint peer;

  /* Looked up and removed under one lock: a call ends once. */
  g_mutex_lock (&link->lock);
  peer = call_peer_locked (self, call);
  if (peer != 0) {
    g_hash_table_remove (link->calls, call);
    post (link, peer, MSG_CALL_ENDED, call, reason, NULL, NULL);
  }
  g_mutex_unlock (&link->lock);
  if (peer == 0)
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
  return peer != 0;
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
    g_hash_table_remove (self->link->ends, GUINT_TO_POINTER (self->id));
    if (self->device)
      self->link->device_id = 0;
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

/* A new end of @link (taken). */
static P2pDirectSignaller *
end_new (Link * link, gboolean device)
{
  P2pDirectSignaller *end = g_object_new (P2P_TYPE_DIRECT_SIGNALLER, NULL);

  end->link = link;
  end->device = device;
  g_mutex_lock (&link->lock);
  end->id = ++link->next_end;
  g_hash_table_insert (link->ends, GUINT_TO_POINTER (end->id), end);
  if (device)
    link->device_id = end->id;
  g_mutex_unlock (&link->lock);
  return end;
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
  link->ends = g_hash_table_new (NULL, NULL);
  link->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  link->starting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  *device = end_new (link, TRUE);
  *viewer = end_new (link_ref (link), FALSE);
}

/**
 * p2p_direct_signaller_new_viewer:
 * @end: an end made by p2p_direct_signaller_new_pair(), or another one made
 *     by this function
 *
 * Makes one more viewer end that calls the same camera end, as another
 * viewer of the same server would: the camera end takes calls from every
 * viewer end, each hears only its own calls, and stopping one ends only
 * its calls. Works after the camera end is gone too (its calls then fail
 * as offline).
 *
 * Returns: (transfer full): the new viewer end
 */
P2pDirectSignaller *
p2p_direct_signaller_new_viewer (P2pDirectSignaller * end)
{
  g_return_val_if_fail (P2P_IS_DIRECT_SIGNALLER (end), NULL);
  g_return_val_if_fail (end->link != NULL, NULL);

  return end_new (link_ref (end->link), FALSE);
}
