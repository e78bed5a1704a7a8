/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-combined-signaller
 * @title: P2pCombinedSignaller
 * @short_description: Several signallers as one, the first to answer wins
 *
 * A #P2pSignaller over others, e.g. the local network
 * (#P2pLanSignaller) and the rendezvous server (#P2pSignalling). A camera
 * takes calls from each of them. A viewer's p2p_signaller_call() calls
 * through each at once: the first #P2pSignaller::call-started is the call,
 * and the calls still being set up through the others are cancelled
 * (p2p_signaller_cancel_call(): the camera sees them end, reason
 * `"cancelled"`, if they reached it). A child that cannot cancel may still
 * start its call: that one is ended at once (reason `"superseded"`) and
 * never reaches the caller, which stays on the first call.
 * #P2pSignaller::call-failed comes only when every one failed, with all
 * their reasons in one message. A child that answers that
 * the camera is offline, or busy (the server takes one unanswered call
 * per camera and source address, so viewers behind one NAT calling at once
 * are refused but one), is asked again after a short jittered wait that
 * doubles, while another child still looks: the camera may log in to the
 * server, or the other call be answered, a moment later, and the local
 * network would otherwise keep the viewer waiting for its whole time-out.
 *
 * A child may be left out of the calls until the next stop
 * (p2p_combined_signaller_leave_out()), e.g. the local network's once a
 * host there failed to prove it is the camera.
 *
 * Signals are forwarded from the threads the children emit them on, with
 * no lock held. A child's #P2pSignaller::error is forwarded as is: the
 * others keep working.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-combined-signaller.h"

#include <string.h>

/* Waits before a child that said "offline" or "busy" is asked again, in
 * milliseconds: doubled after each answer, up to the maximum, and each
 * drawn between half and the whole of it, so that viewers refused
 * together do not ask again together. */
#define OFFLINE_RETRY_MIN_MS 250
#define OFFLINE_RETRY_MAX_MS 2000

/* A viewer's call through every child, until one starts or all fail. */
typedef struct
{
  gchar *uid;
  guint waiting;                /* children yet to answer */
  GString *reasons;
  gint code;                    /* the most telling failure so far, or -1 */
  gint64 deadline;              /* monotonic time the call gives up */
  GSource *retry;               /* asks an offline child again, or NULL */
  guint retry_ms;               /* the next wait before asking again */
  guint serial;                 /* tells this call from a later one */
  /* Per child (same index): whether its call is out, neither started nor
   * failed, and so to be cancelled when another child's starts. */
  gboolean *outstanding;
} Pending;

/* What a retry source asks, and whom. */
typedef struct
{
  P2pCombinedSignaller *self;
  P2pSignaller *child;
  gchar *uid;
} Retry;

struct _P2pCombinedSignaller
{
  GObject parent;

  GPtrArray *children;          /* P2pSignaller */

  GMutex lock;
  GHashTable *calls;            /* call id -> child (not a reference) */
  /* Per child (same index): not asked until the next stop. */
  gboolean *left_out;
  GList *pending;               /* Pending */
  guint next_serial;
};

static void p2p_combined_signaller_signaller_init (P2pSignallerInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (P2pCombinedSignaller, p2p_combined_signaller,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER,
        p2p_combined_signaller_signaller_init));

static void
pending_free (Pending * pending)
{
  if (pending->retry) {
    g_source_destroy (pending->retry);
    g_source_unref (pending->retry);
  }
  g_free (pending->uid);
  g_free (pending->outstanding);
  g_string_free (pending->reasons, TRUE);
  g_free (pending);
}

static guint
child_index (P2pCombinedSignaller * self, P2pSignaller * child)
{
  guint i;

  for (i = 0; i < self->children->len; i++) {
    if (g_ptr_array_index (self->children, i) == child)
      return i;
  }
  g_return_val_if_reached (0);
}

/* With the lock: takes @pending out and returns the children whose calls
 * are still out, to be cancelled once the lock is dropped. */
static GPtrArray *
pending_take (P2pCombinedSignaller * self, Pending * pending)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  guint i;

  for (i = 0; i < self->children->len; i++) {
    if (pending->outstanding[i])
      g_ptr_array_add (out, g_object_ref (g_ptr_array_index (self->children,
                  i)));
  }
  self->pending = g_list_remove (self->pending, pending);
  pending_free (pending);
  return out;
}

static void
cancel_all (GPtrArray * children, const gchar * uid)
{
  guint i;

  for (i = 0; i < children->len; i++)
    p2p_signaller_cancel_call (g_ptr_array_index (children, i), uid);
  g_ptr_array_unref (children);
}

static Pending *
find_pending (P2pCombinedSignaller * self, const gchar * uid)
{
  GList *l;

  for (l = self->pending; l; l = l->next) {
    Pending *pending = l->data;

    if (strcmp (pending->uid, uid) == 0)
      return pending;
  }
  return NULL;
}

/* A failure that says more than "nobody answered in time". */
static gboolean
is_telling (const GError * error)
{
  return !(error->domain == P2P_SIGNALLING_ERROR
      && (error->code == P2P_SIGNALLING_ERROR_TIMEOUT
          || error->code == P2P_SIGNALLING_ERROR_UNREACHABLE
          || error->code == P2P_SIGNALLING_ERROR_STOPPED
          || error->code == P2P_SIGNALLING_ERROR_NOT_CONNECTED));
}

/* Records one child's failure; returns the combined error when it was the
 * last child to answer, with @self->lock held. */
static GError *
pending_fail (P2pCombinedSignaller * self, Pending * pending,
    P2pSignaller * child, const GError * error)
{
  GError *all;

  pending->outstanding[child_index (self, child)] = FALSE;

  if (pending->reasons->len)
    g_string_append (pending->reasons, "; ");
  g_string_append (pending->reasons, error->message);
  if (error->domain == P2P_SIGNALLING_ERROR
      && (pending->code < 0 || is_telling (error)))
    pending->code = error->code;
  if (--pending->waiting > 0)
    return NULL;

  all = g_error_new (P2P_SIGNALLING_ERROR, pending->code < 0 ?
      P2P_SIGNALLING_ERROR_FAILED : pending->code, "%s", pending->reasons->str);
  self->pending = g_list_remove (self->pending, pending);
  pending_free (pending);
  return all;
}

static void
retry_free (gpointer data)
{
  Retry *retry = data;

  g_object_unref (retry->self);
  g_object_unref (retry->child);
  g_free (retry->uid);
  g_free (retry);
}

static void on_call_failed (P2pSignaller * child, const gchar * uid,
    const GError * error, P2pCombinedSignaller * self);

static gboolean
retry_cb (gpointer data)
{
  Retry *retry = data;
  P2pCombinedSignaller *self = retry->self;
  g_autoptr (GError) error = NULL;
  Pending *pending;
  gint64 left_ms = 0;

  g_mutex_lock (&self->lock);
  pending = find_pending (self, retry->uid);
  /* Not this source's any more: the call started, failed or was stopped
   * (and maybe made again) meanwhile. */
  if (pending && pending->retry == g_main_current_source ()
      && g_ptr_array_find (self->children, retry->child, NULL)) {
    g_clear_pointer (&pending->retry, g_source_unref);
    left_ms = (pending->deadline - g_get_monotonic_time ()) / 1000;
    /* Out from now: a start through another child cancels it. */
    pending->outstanding[child_index (self, retry->child)] = TRUE;
  } else {
    pending = NULL;
  }
  g_mutex_unlock (&self->lock);

  if (pending && !p2p_signaller_call (retry->child, retry->uid,
          MAX (left_ms, 1), &error))
    on_call_failed (retry->child, retry->uid, error, self);
  return G_SOURCE_REMOVE;
}

/* With the lock: whether @child's failure is only "offline or busy for
 * now" while another child still looks, and time is left to ask @child
 * again, which is then scheduled on the thread's context (the loop the
 * child emits on). One child at a time is asked again. */
static gboolean
pending_retry_later (P2pCombinedSignaller * self, Pending * pending,
    P2pSignaller * child, const GError * error)
{
  gint64 left_ms = (pending->deadline - g_get_monotonic_time ()) / 1000;
  Retry *retry;

  if (error->domain != P2P_SIGNALLING_ERROR
      || (error->code != P2P_SIGNALLING_ERROR_DEVICE_OFFLINE
          && error->code != P2P_SIGNALLING_ERROR_REFUSED)
      || pending->waiting < 2 || pending->retry || left_ms <= pending->retry_ms)
    return FALSE;
  pending->outstanding[child_index (self, child)] = FALSE;
  retry = g_new0 (Retry, 1);
  retry->self = g_object_ref (self);
  retry->child = g_object_ref (child);
  retry->uid = g_strdup (pending->uid);
  pending->retry = g_timeout_source_new (g_random_int_range (pending->retry_ms
          / 2, pending->retry_ms + 1));
  g_source_set_callback (pending->retry, retry_cb, retry, retry_free);
  g_source_attach (pending->retry, g_main_context_get_thread_default ());
  pending->retry_ms = MIN (pending->retry_ms * 2, OFFLINE_RETRY_MAX_MS);
  return TRUE;
}

static void
on_call_started (P2pSignaller * child, const gchar * uid, const gchar * call,
    const gchar * fingerprint, P2pCombinedSignaller * self)
{
  Pending *pending;
  GPtrArray *losers = NULL;

  g_mutex_lock (&self->lock);
  pending = find_pending (self, uid);
  if (pending) {
    pending->outstanding[child_index (self, child)] = FALSE;
    losers = pending_take (self, pending);
    g_hash_table_insert (self->calls, g_strdup (call), child);
  }
  g_mutex_unlock (&self->lock);

  if (pending == NULL) {
    /* Another child was first, or the call was cancelled, and this child
     * could not cancel its own in time: the camera is told at once. */
    p2p_signaller_end_call (child, call, "superseded", NULL);
    return;
  }
  /* The others stop looking before the caller hears of the call, so that
   * no camera waits on a call nobody will answer. */
  cancel_all (losers, uid);
  g_signal_emit_by_name (self, "call-started", uid, call, fingerprint);
}

static void
on_call_failed (P2pSignaller * child, const gchar * uid,
    const GError * error, P2pCombinedSignaller * self)
{
  Pending *pending;
  GError *all = NULL;

  g_mutex_lock (&self->lock);
  pending = find_pending (self, uid);
  if (pending && !pending_retry_later (self, pending, child, error))
    all = pending_fail (self, pending, child, error);
  g_mutex_unlock (&self->lock);
  if (all) {
    g_signal_emit_by_name (self, "call-failed", uid, all);
    g_error_free (all);
  }
}

static void
on_incoming_call (P2pSignaller * child, const gchar * call,
    const gchar * viewer, const gchar * address, P2pCombinedSignaller * self)
{
  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->calls, g_strdup (call), child);
  g_mutex_unlock (&self->lock);
  g_signal_emit_by_name (self, "incoming-call", call, viewer, address);
}

static void
on_call_ended (P2pSignaller * child, const gchar * call,
    const gchar * reason, P2pCombinedSignaller * self)
{
  gboolean known;

  g_mutex_lock (&self->lock);
  known = g_hash_table_lookup (self->calls, call) == child;
  if (known)
    g_hash_table_remove (self->calls, call);
  g_mutex_unlock (&self->lock);
  /* The end of a superseded call is nobody's business. */
  if (known)
    g_signal_emit_by_name (self, "call-ended", call, reason);
}

/* The other call signals pass through for the calls this object knows. */
static gboolean
owns (P2pCombinedSignaller * self, P2pSignaller * child, const gchar * call)
{
  gboolean known;

  g_mutex_lock (&self->lock);
  known = g_hash_table_lookup (self->calls, call) == child;
  g_mutex_unlock (&self->lock);
  return known;
}

static void
on_offer (P2pSignaller * child, const gchar * call, const gchar * sdp,
    P2pCombinedSignaller * self)
{
  if (owns (self, child, call))
    g_signal_emit_by_name (self, "remote-offer", call, sdp);
}

static void
on_answer (P2pSignaller * child, const gchar * call, const gchar * sdp,
    P2pCombinedSignaller * self)
{
  if (owns (self, child, call))
    g_signal_emit_by_name (self, "remote-answer", call, sdp);
}

static void
on_candidate (P2pSignaller * child, const gchar * call,
    const gchar * candidate, const gchar * mid, P2pCombinedSignaller * self)
{
  if (owns (self, child, call))
    g_signal_emit_by_name (self, "remote-candidate", call, candidate, mid);
}

static void
on_call_error (P2pSignaller * child, const gchar * call,
    const GError * error, P2pCombinedSignaller * self)
{
  if (owns (self, child, call))
    g_signal_emit_by_name (self, "call-error", call, error);
}

static void
on_error (P2pSignaller * child, const GError * error,
    P2pCombinedSignaller * self)
{
  g_signal_emit_by_name (self, "error", error);
}

/* ---- P2pSignaller ---- */

static void
signaller_start (P2pSignaller * signaller)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  guint i;

  for (i = 0; i < self->children->len; i++)
    p2p_signaller_start (g_ptr_array_index (self->children, i));
}

static void
signaller_stop (P2pSignaller * signaller)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  guint i;

  for (i = 0; i < self->children->len; i++)
    p2p_signaller_stop (g_ptr_array_index (self->children, i));
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->calls);
  g_list_free_full (self->pending, (GDestroyNotify) pending_free);
  self->pending = NULL;
  for (i = 0; i < self->children->len; i++)
    self->left_out[i] = FALSE;
  g_mutex_unlock (&self->lock);
}

static gboolean
signaller_call (P2pSignaller * signaller, const gchar * uid,
    guint timeout_ms, GError ** error)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  Pending *pending;
  GError *all = NULL;
  guint serial;
  guint i;

  pending = g_new0 (Pending, 1);
  pending->uid = g_strdup (uid);
  pending->reasons = g_string_new (NULL);
  pending->code = -1;
  pending->deadline =
      g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  pending->retry_ms = OFFLINE_RETRY_MIN_MS;
  pending->outstanding = g_new0 (gboolean, self->children->len);
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->children->len; i++)
    pending->waiting += !self->left_out[i];
  pending->serial = ++self->next_serial;
  serial = pending->serial;
  if (find_pending (self, uid)) {
    g_mutex_unlock (&self->lock);
    pending_free (pending);
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "A call to %.32s is being set up already", uid);
    return FALSE;
  }
  self->pending = g_list_prepend (self->pending, pending);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < self->children->len; i++) {
    P2pSignaller *child = g_ptr_array_index (self->children, i);
    g_autoptr (GError) child_error = NULL;
    gboolean called, gone, skip;

    /* Out before it is asked: it may start on its thread at once. */
    g_mutex_lock (&self->lock);
    pending = find_pending (self, uid);
    gone = pending == NULL || pending->serial != serial;
    skip = self->left_out[i];
    if (!gone && !skip)
      pending->outstanding[i] = TRUE;
    g_mutex_unlock (&self->lock);
    /* An earlier child's call started or all failed, or the call was
     * cancelled, meanwhile: the rest are not asked. */
    if (gone)
      break;
    if (skip)
      continue;
    called = p2p_signaller_call (child, uid, timeout_ms, &child_error);
    if (called)
      continue;
    g_mutex_lock (&self->lock);
    pending = find_pending (self, uid);
    if (pending && pending->serial == serial)
      all = pending_fail (self, pending, child, child_error);
    g_mutex_unlock (&self->lock);
  }
  if (all) {
    /* No child could even try: fail at once, as a child would. */
    g_propagate_error (error, all);
    return FALSE;
  }
  return TRUE;
}

static void
signaller_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  GPtrArray *out = NULL;
  Pending *pending;

  g_mutex_lock (&self->lock);
  pending = find_pending (self, uid);
  if (pending)
    out = pending_take (self, pending);
  g_mutex_unlock (&self->lock);
  if (out)
    cancel_all (out, uid);
}

static P2pSignaller *
child_of (P2pCombinedSignaller * self, const gchar * call, GError ** error)
{
  P2pSignaller *child;

  g_mutex_lock (&self->lock);
  child = g_hash_table_lookup (self->calls, call);
  if (child)
    g_object_ref (child);
  g_mutex_unlock (&self->lock);
  if (child == NULL)
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
  return child;
}

static gboolean
signaller_send_offer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  g_autoptr (P2pSignaller) child = child_of (P2P_COMBINED_SIGNALLER
      (signaller), call, error);

  return child && p2p_signaller_send_offer (child, call, sdp, error);
}

static gboolean
signaller_send_answer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  g_autoptr (P2pSignaller) child = child_of (P2P_COMBINED_SIGNALLER
      (signaller), call, error);

  return child && p2p_signaller_send_answer (child, call, sdp, error);
}

static gboolean
signaller_send_candidate (P2pSignaller * signaller, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  g_autoptr (P2pSignaller) child = child_of (P2P_COMBINED_SIGNALLER
      (signaller), call, error);

  return child && p2p_signaller_send_candidate (child, call, candidate, mid,
      error);
}

static gboolean
signaller_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  g_autoptr (P2pSignaller) child = child_of (self, call, error);

  if (child == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->calls, call);
  g_mutex_unlock (&self->lock);
  return p2p_signaller_end_call (child, call, reason, error);
}

static GPtrArray *
signaller_get_ice_servers (P2pSignaller * signaller, const gchar * call)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (signaller);
  g_autoptr (P2pSignaller) child = NULL;
  GPtrArray *all;
  guint i;

  if (call && (child = child_of (self, call, NULL)))
    return p2p_signaller_get_ice_servers (child, call);
  all = g_ptr_array_new_with_free_func ((GDestroyNotify) p2p_ice_server_free);
  for (i = 0; i < self->children->len; i++) {
    g_autoptr (GPtrArray) some =
        p2p_signaller_get_ice_servers (g_ptr_array_index (self->children, i),
        NULL);

    g_ptr_array_extend_and_steal (all, g_steal_pointer (&some));
  }
  return all;
}

static guint
signaller_get_call_scope_id (P2pSignaller * signaller, const gchar * call)
{
  g_autoptr (P2pSignaller) child = child_of (P2P_COMBINED_SIGNALLER
      (signaller), call, NULL);

  return child ? p2p_signaller_get_call_scope_id (child, call) : 0;
}

static void
p2p_combined_signaller_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = signaller_start;
  iface->stop = signaller_stop;
  iface->call = signaller_call;
  iface->send_offer = signaller_send_offer;
  iface->send_answer = signaller_send_answer;
  iface->send_candidate = signaller_send_candidate;
  iface->end_call = signaller_end_call;
  iface->get_ice_servers = signaller_get_ice_servers;
  iface->cancel_call = signaller_cancel_call;
  iface->get_call_scope_id = signaller_get_call_scope_id;
}

/* ---- GObject ---- */

static void
p2p_combined_signaller_dispose (GObject * object)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (object);
  guint i;

  for (i = 0; i < self->children->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->children,
            i), self);
  g_ptr_array_set_size (self->children, 0);
  G_OBJECT_CLASS (p2p_combined_signaller_parent_class)->dispose (object);
}

static void
p2p_combined_signaller_finalize (GObject * object)
{
  P2pCombinedSignaller *self = P2P_COMBINED_SIGNALLER (object);

  g_ptr_array_unref (self->children);
  g_free (self->left_out);
  g_hash_table_unref (self->calls);
  g_list_free_full (self->pending, (GDestroyNotify) pending_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (p2p_combined_signaller_parent_class)->finalize (object);
}

static void
p2p_combined_signaller_class_init (P2pCombinedSignallerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = p2p_combined_signaller_dispose;
  G_OBJECT_CLASS (klass)->finalize = p2p_combined_signaller_finalize;
}

static void
p2p_combined_signaller_init (P2pCombinedSignaller * self)
{
  g_mutex_init (&self->lock);
  self->children = g_ptr_array_new_with_free_func (g_object_unref);
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * p2p_combined_signaller_new:
 * @signallers: (array length=n_signallers): the signallers to combine
 * @n_signallers: how many, at least one
 *
 * Combines @signallers, which it holds and drives from now on: start,
 * stop and call them through the new object only.
 *
 * Returns: (transfer full): a new #P2pCombinedSignaller
 */
P2pCombinedSignaller *
p2p_combined_signaller_new (P2pSignaller ** signallers, guint n_signallers)
{
  P2pCombinedSignaller *self;
  guint i;

  g_return_val_if_fail (signallers != NULL && n_signallers > 0, NULL);

  self = g_object_new (P2P_TYPE_COMBINED_SIGNALLER, NULL);
  self->left_out = g_new0 (gboolean, n_signallers);
  for (i = 0; i < n_signallers; i++) {
    P2pSignaller *child = signallers[i];

    g_return_val_if_fail (P2P_IS_SIGNALLER (child), self);
    g_ptr_array_add (self->children, g_object_ref (child));
    g_signal_connect (child, "incoming-call", G_CALLBACK (on_incoming_call),
        self);
    g_signal_connect (child, "call-started", G_CALLBACK (on_call_started),
        self);
    g_signal_connect (child, "call-failed", G_CALLBACK (on_call_failed), self);
    g_signal_connect (child, "remote-offer", G_CALLBACK (on_offer), self);
    g_signal_connect (child, "remote-answer", G_CALLBACK (on_answer), self);
    g_signal_connect (child, "remote-candidate", G_CALLBACK (on_candidate),
        self);
    g_signal_connect (child, "call-ended", G_CALLBACK (on_call_ended), self);
    g_signal_connect (child, "call-error", G_CALLBACK (on_call_error), self);
    g_signal_connect (child, "error", G_CALLBACK (on_error), self);
  }
  return self;
}

/**
 * p2p_combined_signaller_leave_out:
 * @self: a combined signaller
 * @call: a call that started through one of its signallers
 *
 * Leaves the signaller that carried @call out of the calls made from now
 * until the next p2p_signaller_stop(); the others are still asked. For a
 * viewer whose call over the local network reached a host that failed to
 * prove it is the camera: any host that knows the UID can answer there
 * first, while the server may still reach the camera.
 *
 * Returns: whether it is left out: not when @call is unknown or its
 *     signaller is the only one still asked
 */
gboolean
p2p_combined_signaller_leave_out (P2pCombinedSignaller * self,
    const gchar * call)
{
  P2pSignaller *child;
  guint i, asked = 0;
  gboolean done = FALSE;

  g_return_val_if_fail (P2P_IS_COMBINED_SIGNALLER (self), FALSE);
  g_return_val_if_fail (call != NULL, FALSE);

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->children->len; i++)
    asked += !self->left_out[i];
  child = g_hash_table_lookup (self->calls, call);
  if (child && asked > 1) {
    self->left_out[child_index (self, child)] = TRUE;
    done = TRUE;
  }
  g_mutex_unlock (&self->lock);
  return done;
}
