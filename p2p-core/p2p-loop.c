/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-loop
 * @title: P2pLoop
 * @short_description: the core's own main context and thread
 *
 * All networking of p2p-core (ICE checks, DTLS timers, signalling sockets)
 * runs on the #GMainContext of a #P2pLoop, iterated by a thread the loop
 * owns. Callers never need to run a main loop of their own, and a slow
 * caller (a streaming thread, a UI) cannot stall ICE consent checks.
 *
 * Most programs use the process-wide p2p_loop_get_default(); tests may make
 * their own loops to keep peers apart.
 *
 * A loop serving many peers (a camera's viewers, each with its ICE
 * agent's sockets) coalesces its wake-ups: every poll() asks the kernel
 * about every socket of every peer, and a packet from any one peer (its
 * transport-wide feedback, ten a second) used to cost a poll of all of
 * them, so the loop's cost grew with the square of the peers. With more
 * than a few dozen descriptors the loop waits a little between polls, in
 * proportion to their number (see coalescing_poll()), and one poll then
 * serves the packets of many peers.
 *
 * A loop can also leave descriptors out of its polls while their sources
 * stay attached (p2p_loop_park()): once ICE has settled, a peer's agent
 * keeps sockets open that no packet of the call arrives on (the
 * candidates it did not select: the other address family, the ICE-TCP
 * listeners), and libnice 0.1.21 can neither close nor detach them. Each
 * poll otherwise asks the kernel about all of them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-loop.h"

#include <string.h>

/* Wake-up coalescing (coalescing_poll()): the least time between the
 * starts of two polls per polled descriptor, so that polling costs at
 * most a few per cent of a core (a poll costs some 0.3 us per socket
 * here), and its bounds: a loop with few descriptors (a viewer, a test)
 * never waits, and none waits longer than COALESCE_MAX_US, which is the
 * most a packet's handling is delayed. */
#define COALESCE_US_PER_FD 10
#define COALESCE_MIN_US 500
#define COALESCE_MAX_US (5 * G_TIME_SPAN_MILLISECOND)

struct _P2pLoop
{
  GObject parent;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  gint n_parked;                /* atomic: the thread's n_parked */
};

G_DEFINE_TYPE (P2pLoop, p2p_loop, G_TYPE_OBJECT);

/* When the loop thread's last poll began (each loop polls on a thread of
 * its own, and a poll function has no user data). */
static _Thread_local gint64 last_poll;

/* The loop thread's parked descriptors (p2p_loop_park()): a flag per
 * descriptor number, and how many are set. */
static _Thread_local guint8 *parked;
static _Thread_local guint parked_size;
static _Thread_local guint n_parked;

/* The descriptors of the loop thread's last poll, for
 * p2p_loop_foreach_polled(): copied, since GLib may reallocate its array
 * in a nested iteration. */
static _Thread_local GArray *polled;

static gboolean
is_parked (gint fd)
{
  return fd >= 0 && (guint) fd < parked_size && parked[fd];
}

/* The loop's poll function: g_poll(), but not sooner than @n_fds ×
 * COALESCE_US_PER_FD after the previous poll began when that is at least
 * COALESCE_MIN_US, and never past @timeout (a timer due). Packets that
 * arrive meanwhile wait in their sockets' buffers, and the one poll
 * after the wait finds them all. The gap counts parked descriptors too:
 * GLib still checks their sources at every iteration. Parked descriptors
 * are polled as -1, which poll() skips and reports no event for; GLib
 * rebuilds the array before every poll, but they are put back anyway. */
static gint
coalescing_poll (GPollFD * fds, guint n_fds, gint timeout)
{
  gint64 gap = MIN ((gint64) n_fds * COALESCE_US_PER_FD, COALESCE_MAX_US);
  gint64 now = g_get_monotonic_time ();
  guint i;
  gint ret;

  if (polled == NULL)
    polled = g_array_new (FALSE, FALSE, sizeof (gint));
  g_array_set_size (polled, n_fds);
  for (i = 0; i < n_fds; i++)
    g_array_index (polled, gint, i) = fds[i].fd;

  if (gap >= COALESCE_MIN_US && timeout != 0 && now < last_poll + gap) {
    gint64 wait = last_poll + gap - now;

    if (timeout > 0)
      wait = MIN (wait, (gint64) timeout * G_TIME_SPAN_MILLISECOND);
    g_usleep (wait);
    now = g_get_monotonic_time ();
    if (timeout > 0)
      timeout = MAX (timeout - (gint) (wait / G_TIME_SPAN_MILLISECOND), 0);
  }
  last_poll = now;
  if (n_parked == 0)
    return g_poll (fds, n_fds, timeout);
  for (i = 0; i < n_fds; i++)
    if (is_parked (fds[i].fd))
      fds[i].fd = -1;
  ret = g_poll (fds, n_fds, timeout);
  for (i = 0; i < n_fds; i++)
    fds[i].fd = g_array_index (polled, gint, i);
  return ret;
}

static gpointer
loop_thread (gpointer data)
{
  /* The thread owns its own reference to the main loop: the P2pLoop may be
   * finalized from a callback running on this very thread. */
  GMainLoop *loop = data;
  GMainContext *context = g_main_loop_get_context (loop);

  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  g_main_loop_unref (loop);
  g_clear_pointer (&parked, g_free);
  g_clear_pointer (&polled, g_array_unref);
  return NULL;
}

static gboolean
quit_idle (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
p2p_loop_finalize (GObject * object)
{
  P2pLoop *self = P2P_LOOP (object);

  if (self->thread) {
    /* The last reference may be dropped on the loop's own thread (from a
     * callback); joining ourselves would dead-lock, so detach instead. */
    p2p_loop_invoke (self, quit_idle, g_main_loop_ref (self->loop),
        (GDestroyNotify) g_main_loop_unref);
    if (g_thread_self () != self->thread)
      g_thread_join (self->thread);
    else
      g_thread_unref (self->thread);
  }
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (p2p_loop_parent_class)->finalize (object);
}

static void
p2p_loop_class_init (P2pLoopClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_loop_finalize;
}

static void
p2p_loop_init (P2pLoop * self)
{
  self->context = g_main_context_new ();
  g_main_context_set_poll_func (self->context, coalescing_poll);
  self->loop = g_main_loop_new (self->context, FALSE);
}

/**
 * p2p_loop_new:
 * @name: (nullable): thread name (shown by debuggers and `top -H`)
 *
 * Creates a loop and starts its thread.
 *
 * Returns: (transfer full): a new #P2pLoop
 */
P2pLoop *
p2p_loop_new (const gchar * name)
{
  P2pLoop *self = g_object_new (P2P_TYPE_LOOP, NULL);

  self->thread = g_thread_new (name ? name : "p2p-loop", loop_thread,
      g_main_loop_ref (self->loop));
  return self;
}

/**
 * p2p_loop_get_default:
 *
 * The process-wide loop, created on first use and kept for the life of the
 * process.
 *
 * Returns: (transfer full): the default #P2pLoop
 */
P2pLoop *
p2p_loop_get_default (void)
{
  static gsize default_loop = 0;

  if (g_once_init_enter (&default_loop))
    g_once_init_leave (&default_loop, (gsize) p2p_loop_new ("p2p-loop"));

  return g_object_ref ((P2pLoop *) default_loop);
}

/**
 * p2p_loop_get_context:
 * @self: a #P2pLoop
 *
 * Returns: (transfer none): the loop's main context
 */
GMainContext *
p2p_loop_get_context (P2pLoop * self)
{
  g_return_val_if_fail (P2P_IS_LOOP (self), NULL);
  return self->context;
}

/**
 * p2p_loop_is_current:
 * @self: a #P2pLoop
 *
 * Returns: %TRUE when called from the loop's own thread
 */
gboolean
p2p_loop_is_current (P2pLoop * self)
{
  g_return_val_if_fail (P2P_IS_LOOP (self), FALSE);
  return g_thread_self () == self->thread;
}

/**
 * p2p_loop_invoke:
 * @self: a #P2pLoop
 * @func: function to call on the loop thread
 * @data: (closure): data for @func
 * @notify: (nullable): frees @data after the call
 *
 * Queues @func to run once on the loop thread (never synchronously, even when
 * called from that thread, so callers may hold their own locks).
 */
void
p2p_loop_invoke (P2pLoop * self, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  GSource *source;

  g_return_if_fail (P2P_IS_LOOP (self));

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "p2p-invoke");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_run (gpointer user_data)
{
  SyncCall *call = user_data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/**
 * p2p_loop_invoke_sync:
 * @self: a #P2pLoop
 * @func: function to call on the loop thread (its return value is ignored)
 * @data: (closure): data for @func
 *
 * Runs @func on the loop thread and waits for it to return. Called from the
 * loop thread itself, @func runs at once. Must not be called with a lock held
 * that @func or other loop callbacks take.
 */
void
p2p_loop_invoke_sync (P2pLoop * self, GSourceFunc func, gpointer data)
{
  SyncCall call = { func, data };

  g_return_if_fail (P2P_IS_LOOP (self));

  if (p2p_loop_is_current (self)) {
    func (data);
    return;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  p2p_loop_invoke (self, sync_call_run, &call, NULL);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

/**
 * p2p_loop_park:
 * @self: a #P2pLoop
 * @fd: a descriptor that a source on the loop's context polls
 *
 * Leaves @fd out of the loop's polls until p2p_loop_unpark(): its source
 * stays attached but sees no event, and what arrives waits in the
 * kernel's buffers. The caller must unpark @fd before it is closed, or a
 * descriptor that reuses the number would never be polled. Parking is
 * counted: a descriptor parked twice needs unparking twice. Loop thread
 * only.
 */
void
p2p_loop_park (P2pLoop * self, gint fd)
{
  g_return_if_fail (P2P_IS_LOOP (self));
  g_return_if_fail (p2p_loop_is_current (self));
  g_return_if_fail (fd >= 0);

  if ((guint) fd >= parked_size) {
    guint size = MAX ((guint) fd + 1, parked_size * 2);

    parked = g_realloc (parked, size);
    memset (parked + parked_size, 0, size - parked_size);
    parked_size = size;
  }
  g_return_if_fail (parked[fd] < G_MAXUINT8);
  if (parked[fd]++ == 0) {
    n_parked++;
    g_atomic_int_inc (&self->n_parked);
  }
}

/**
 * p2p_loop_unpark:
 * @self: a #P2pLoop
 * @fd: a descriptor parked with p2p_loop_park()
 *
 * Polls @fd again from the loop's next iteration on (once it is unparked
 * as often as it was parked). Loop thread only.
 */
void
p2p_loop_unpark (P2pLoop * self, gint fd)
{
  g_return_if_fail (P2P_IS_LOOP (self));
  g_return_if_fail (p2p_loop_is_current (self));
  g_return_if_fail (is_parked (fd));

  if (--parked[fd] == 0) {
    n_parked--;
    g_atomic_int_add (&self->n_parked, -1);
  }
}

/**
 * p2p_loop_get_n_parked:
 * @self: a #P2pLoop
 *
 * Returns: how many descriptors are parked (p2p_loop_park()) now; from any
 * thread
 */
guint
p2p_loop_get_n_parked (P2pLoop * self)
{
  g_return_val_if_fail (P2P_IS_LOOP (self), 0);
  return g_atomic_int_get (&self->n_parked);
}

/**
 * p2p_loop_foreach_polled:
 * @self: a #P2pLoop
 * @func: (scope call): called with each descriptor and @data
 * @data: (closure): data for @func
 *
 * Calls @func for each descriptor of the loop's last poll, parked ones
 * included: the way to find descriptors that a library's sources poll
 * when the library does not tell. Loop thread only.
 */
void
p2p_loop_foreach_polled (P2pLoop * self, void (*func) (gint fd,
        gpointer data), gpointer data)
{
  guint i;

  g_return_if_fail (P2P_IS_LOOP (self));
  g_return_if_fail (p2p_loop_is_current (self));

  for (i = 0; polled && i < polled->len; i++)
    func (g_array_index (polled, gint, i), data);
}
