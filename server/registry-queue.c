/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Registry reads off the event loop. A database that answers slowly (a
 * lock, a busy primary, a lost network) must not stall the signalling of
 * every device: the loop only queues a lookup and gets the answer later.
 * A few reader threads, each with its own connection (so one slow query
 * holds up only its own thread), take lookups from one queue; a watcher
 * thread with the primary's connection waits for revocations (NOTIFY, or
 * once a second). Answers come back through a list the loop drains in
 * p2p_registry_queue_dispatch() after the wake callback; the registry
 * objects never leave their threads. */

#include "registry-queue.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <glib-unix.h>

#include "server-log.h"

/* How often the watcher looks for revocations when nothing wakes it. */
#define WATCH_INTERVAL_MS 1000

struct _P2pRegistryRequest
{
  gchar *uid;
  P2pRegistryLookupFunc done;
  gpointer data;
  gboolean cancelled;           /* loop thread only */
  P2pDevice *device;            /* set by the reader */
  GError *error;
};

typedef struct
{
  P2pRegistryQueue *queue;
  P2pRegistry *registry;
  GThread *thread;
} Reader;

struct _P2pRegistryQueue
{
  GAsyncQueue *requests;        /* to the readers */
  GPtrArray *readers;           /* of Reader */
  P2pRegistry *watcher;
  GThread *watch_thread;
  gint stop_pipe[2];            /* readable once the watcher must stop */
  guint queued;                 /* loop thread: not yet dispatched */
  guint max_queued;
  P2pRegistryWakeFunc wake;
  P2pRegistryRevokedFunc revoked;
  gpointer data;

  GMutex lock;
  GQueue done;                  /* answered requests */
  GPtrArray *revoked_uids;
  gboolean wake_pending;        /* a wake is out and not yet dispatched */
};

/* What a reader pops to stop. */
static P2pRegistryRequest stop_request;

static void
request_free (P2pRegistryRequest * request)
{
  g_free (request->uid);
  p2p_device_free (request->device);
  g_clear_error (&request->error);
  g_free (request);
}

/* Hands results to the loop: wakes it once per batch. */
static void
post (P2pRegistryQueue * q, P2pRegistryRequest * request, GPtrArray * uids)
{
  gboolean wake;
  guint i;

  g_mutex_lock (&q->lock);
  if (request)
    g_queue_push_tail (&q->done, request);
  for (i = 0; uids && i < uids->len; i++)
    g_ptr_array_add (q->revoked_uids, g_strdup (g_ptr_array_index (uids, i)));
  wake = !q->wake_pending;
  q->wake_pending = TRUE;
  g_mutex_unlock (&q->lock);
  if (wake)
    q->wake (q->data);
}

static gpointer
reader_main (gpointer data)
{
  Reader *r = data;
  P2pRegistryRequest *request;

  while ((request = g_async_queue_pop (r->queue->requests)) != &stop_request) {
    request->device = p2p_registry_lookup (r->registry, request->uid,
        &request->error);
    post (r->queue, request, NULL);
  }
  return NULL;
}

static gpointer
watcher_main (gpointer data)
{
  P2pRegistryQueue *q = data;

  for (;;) {
    struct pollfd fds[2] = { {q->stop_pipe[0], POLLIN, 0}, {-1, POLLIN, 0} };
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) uids = NULL;

    fds[1].fd = p2p_registry_get_watch_fd (q->watcher);
    if (poll (fds, fds[1].fd >= 0 ? 2 : 1, WATCH_INTERVAL_MS) < 0
        && errno != EINTR)
      g_error ("poll: %s", g_strerror (errno));
    if (fds[0].revents)
      break;
    uids = p2p_registry_take_revoked (q->watcher, &error);
    if (!uids) {
      g_autofree gchar *text = g_strescape (error->message, NULL);

      p2p_server_log ("error", "registry", "msg=\"%s\"", text);
      /* A connection that broke keeps its descriptor readable: wait for
       * the interval rather than spin until it is re-established. */
      poll (fds, 1, WATCH_INTERVAL_MS);
    } else if (uids->len > 0) {
      post (q, NULL, uids);
    }
  }
  return NULL;
}

/**
 * p2p_registry_queue_new:
 * @readers: (transfer full) (element-type P2pRegistry): one open registry
 *     per reader thread
 * @watcher: (transfer full): the registry that revocations are read from
 *     (the primary: PostgreSQL announces them there)
 * @max_queued: lookups queued or running at most
 * @wake: called on a worker thread when there is something to dispatch
 * @revoked: called for each revoked UID
 * @data: for @wake and @revoked
 *
 * Starts the reader and watcher threads.
 *
 * Returns: (transfer full): the queue
 */
P2pRegistryQueue *
p2p_registry_queue_new (GPtrArray * readers, P2pRegistry * watcher,
    guint max_queued, P2pRegistryWakeFunc wake, P2pRegistryRevokedFunc revoked,
    gpointer data)
{
  P2pRegistryQueue *q = g_new0 (P2pRegistryQueue, 1);
  GError *error = NULL;
  guint i;

  g_return_val_if_fail (readers != NULL && readers->len > 0, NULL);

  q->requests = g_async_queue_new ();
  q->watcher = watcher;
  q->max_queued = max_queued;
  q->wake = wake;
  q->revoked = revoked;
  q->data = data;
  g_mutex_init (&q->lock);
  g_queue_init (&q->done);
  q->revoked_uids = g_ptr_array_new_with_free_func (g_free);
  if (!g_unix_open_pipe (q->stop_pipe, FD_CLOEXEC, &error))
    g_error ("pipe: %s", error->message);

  q->readers = g_ptr_array_new ();
  for (i = 0; i < readers->len; i++) {
    Reader *r = g_new0 (Reader, 1);

    r->queue = q;
    r->registry = g_ptr_array_index (readers, i);
    r->thread = g_thread_new ("registry-read", reader_main, r);
    g_ptr_array_add (q->readers, r);
  }
  g_ptr_array_unref (readers);
  q->watch_thread = g_thread_new ("registry-watch", watcher_main, q);
  return q;
}

/**
 * p2p_registry_queue_free:
 * @queue: (transfer full): a queue
 *
 * Answers what is queued, stops the threads (waiting for a query still
 * running) and closes the registries. Nothing is dispatched any more.
 */
void
p2p_registry_queue_free (P2pRegistryQueue * queue)
{
  P2pRegistryRequest *request;
  guint i;

  for (i = 0; i < queue->readers->len; i++)
    g_async_queue_push (queue->requests, &stop_request);
  if (write (queue->stop_pipe[1], "x", 1) != 1)
    g_error ("write: %s", g_strerror (errno));
  for (i = 0; i < queue->readers->len; i++) {
    Reader *r = g_ptr_array_index (queue->readers, i);

    g_thread_join (r->thread);
    p2p_registry_close (r->registry);
    g_free (r);
  }
  g_thread_join (queue->watch_thread);
  p2p_registry_close (queue->watcher);
  close (queue->stop_pipe[0]);
  close (queue->stop_pipe[1]);
  while ((request = g_queue_pop_head (&queue->done)))
    request_free (request);
  g_ptr_array_unref (queue->readers);
  g_ptr_array_unref (queue->revoked_uids);
  g_async_queue_unref (queue->requests);
  g_mutex_clear (&queue->lock);
  g_free (queue);
}

/**
 * p2p_registry_queue_lookup:
 * @queue: a queue
 * @uid: a normalised UID
 * @done: called with the answer, unless the request is cancelled first
 * @data: for @done
 *
 * Queues a lookup of @uid (p2p_registry_lookup()). Loop thread only.
 *
 * Returns: (transfer none) (nullable): the request, valid until @done runs
 *     or it is cancelled; %NULL when @max_queued lookups are already
 *     waiting
 */
P2pRegistryRequest *
p2p_registry_queue_lookup (P2pRegistryQueue * queue, const gchar * uid,
    P2pRegistryLookupFunc done, gpointer data)
{
  P2pRegistryRequest *request;

  if (queue->queued >= queue->max_queued)
    return NULL;
  request = g_new0 (P2pRegistryRequest, 1);
  request->uid = g_strdup (uid);
  request->done = done;
  request->data = data;
  queue->queued++;
  g_async_queue_push (queue->requests, request);
  return request;
}

/**
 * p2p_registry_request_cancel:
 * @request: a request whose @done has not run
 *
 * Its @done will not be called (the caller is going away); the queue
 * frees it once its reader is done with it. Loop thread only.
 */
void
p2p_registry_request_cancel (P2pRegistryRequest * request)
{
  request->cancelled = TRUE;
}

/**
 * p2p_registry_queue_dispatch:
 * @queue: a queue
 *
 * Calls the @done of every answered lookup and the revoked callback for
 * every revoked UID. Loop thread only, after the wake callback.
 */
void
p2p_registry_queue_dispatch (P2pRegistryQueue * queue)
{
  GQueue done = G_QUEUE_INIT;
  g_autoptr (GPtrArray) uids = NULL;
  P2pRegistryRequest *request;
  guint i;

  g_mutex_lock (&queue->lock);
  done = queue->done;
  g_queue_init (&queue->done);
  uids = queue->revoked_uids;
  queue->revoked_uids = g_ptr_array_new_with_free_func (g_free);
  queue->wake_pending = FALSE;
  g_mutex_unlock (&queue->lock);

  while ((request = g_queue_pop_head (&done))) {
    queue->queued--;
    if (!request->cancelled)
      request->done (g_steal_pointer (&request->device), request->error,
          request->data);
    request_free (request);
  }
  for (i = 0; i < uids->len; i++)
    queue->revoked (g_ptr_array_index (uids, i), queue->data);
}

/**
 * p2p_registry_queue_get_length:
 * @queue: a queue
 *
 * Returns: the lookups queued or running
 */
guint
p2p_registry_queue_get_length (P2pRegistryQueue * queue)
{
  return queue->queued;
}
