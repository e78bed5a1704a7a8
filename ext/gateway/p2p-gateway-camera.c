/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-camera.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#define DEFAULT_LINGER_MS 10000
#define DEFAULT_LATENCY 50
/* Waits before a failed session (wrong password, certificate mismatch:
 * faults p2psrc does not retry) is started again while clients remain,
 * doubled each time: an operator fixing the camera sees it come back, and
 * the server is not hammered meanwhile. */
#define RESTART_MIN_MS 2000
#define RESTART_MAX_MS 60000
/* Bytes an appsrc queues before dropping its oldest: a client pipeline
 * that stalls loses frames, it does not grow without bound. */
#define OUTPUT_MAX_BYTES (4 * 1024 * 1024)

/* One run of p2psrc: from the first client (or a restart) to the linger
 * stop or a failure. Its appsinks push while it is the camera's current
 * session. */
typedef struct
{
  P2pGatewayCamera *camera;     /* not a reference: the camera stops it */
  guint serial;
  GstElement *pipeline;
  GstElement *src;              /* the p2psrc */
  GstElement *talk;             /* appsrc into its talkback pad, once used */
  GPtrArray *streams;           /* Stream */
  gboolean complete;            /* p2psrc said no-more-pads */
} Session;

typedef struct
{
  Session *session;
  guint index;
  GstPad *sinkpad;              /* the appsink's */
  GstCaps *caps;
} Stream;

/* An appsrc of a front end, fed from stream @index of whatever session
 * runs: outputs outlive a failed session and its restart. */
typedef struct
{
  GstAppSrc *appsrc;
  guint index;
  gboolean is_video;
  gboolean need_keyframe;
  GstCaps *caps;                /* last caps set on the appsrc */
} Output;

struct _P2pGatewayCamera
{
  GObject parent;

  gchar *name;
  gchar *uid;
  gchar *server;
  gchar *password;
  gchar *fingerprint;
  gchar *known_cameras_file;
  gboolean lan;
  guint latency;
  guint linger_ms;
  GMainContext *context;

  GMutex lock;
  GCond cond;
  guint clients;
  Session *session;
  GPtrArray *outputs;           /* Output */
  GError *error;                /* why the last session failed */
  GSource *linger;
  GSource *restart;
  guint restart_ms;

  /* Statistics, under the lock. */
  guint64 bytes;
  guint64 buffers;
  guint reconnects;
  gint viewers;
  guint sessions;               /* also the last session's serial */
  gboolean connected;
};

/* A report that session @serial failed, on its way to the camera's
 * context (which holds a reference). */
typedef struct
{
  P2pGatewayCamera *camera;
  guint serial;
} Failure;

enum
{
  PROP_0,
  PROP_NAME,
  PROP_UID,
  PROP_SERVER,
  PROP_PASSWORD,
  PROP_DEVICE_FINGERPRINT,
  PROP_KNOWN_CAMERAS_FILE,
  PROP_LAN,
  PROP_LATENCY,
  PROP_LINGER,
  PROP_CONTEXT,
};

G_DEFINE_TYPE (P2pGatewayCamera, p2p_gateway_camera, G_TYPE_OBJECT);

G_DEFINE_QUARK (p2p - gateway - camera - error - quark,
    p2p_gateway_camera_error);

static void session_stop (Session * session);

static void
stream_free (Stream * stream)
{
  gst_clear_object (&stream->sinkpad);
  gst_clear_caps (&stream->caps);
  g_free (stream);
}

static void
output_free (Output * output)
{
  gst_object_unref (output->appsrc);
  gst_clear_caps (&output->caps);
  g_free (output);
}

/* Running time of @element's pipeline now, or -1 before it plays. */
static GstClockTimeDiff
running_time_now (GstElement * element)
{
  GstClock *clock = gst_element_get_clock (element);
  GstClockTimeDiff now;

  if (!clock)
    return -1;
  now = GST_CLOCK_DIFF (gst_element_get_base_time (element),
      gst_clock_get_time (clock));
  gst_object_unref (clock);
  return now;
}

static GstClockTime
shift_time (GstClockTime t, GstClockTimeDiff shift)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return t;
  if (shift < 0 && t < (GstClockTime) - shift)
    return 0;
  return t + shift;
}

/* Copies @sample to every output of @stream; called on the session's
 * streaming thread with the camera lock held. Outputs are pushed without
 * blocking (appsrc queues, leaky), so holding the lock is short. */
static void
stream_push (Stream * stream, GstSample * sample)
{
  P2pGatewayCamera *self = stream->session->camera;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  GstClockTimeDiff cam_now = running_time_now (stream->session->pipeline);
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  guint i;

  for (i = 0; i < self->outputs->len; i++) {
    Output *out = g_ptr_array_index (self->outputs, i);
    GstElement *element = GST_ELEMENT (out->appsrc);
    GstClockTimeDiff out_now;
    GstBuffer *copy;

    if (out->index != stream->index)
      continue;
    /* Before PLAYING the appsrc has no base time to move timestamps onto;
     * a live client does not want what came before anyway. */
    if (GST_STATE (element) != GST_STATE_PLAYING)
      continue;
    out_now = running_time_now (element);
    if (out_now < 0 || cam_now < 0)
      continue;
    if (out->need_keyframe && !keyframe)
      continue;
    out->need_keyframe = FALSE;
    if (caps && (!out->caps || !gst_caps_is_equal (caps, out->caps))) {
      gst_caps_replace (&out->caps, caps);
      gst_app_src_set_caps (out->appsrc, caps);
    }
    copy = gst_buffer_copy (buffer);
    /* The same instant on both pipelines' running times, whatever their
     * clocks and base times. */
    GST_BUFFER_PTS (copy) = shift_time (GST_BUFFER_PTS (copy),
        out_now - cam_now);
    GST_BUFFER_DTS (copy) = shift_time (GST_BUFFER_DTS (copy),
        out_now - cam_now);
    gst_app_src_push_buffer (out->appsrc, copy);
  }
}

static GstFlowReturn
on_new_sample (GstAppSink * appsink, gpointer data)
{
  Stream *stream = data;
  P2pGatewayCamera *self = stream->session->camera;
  GstSample *sample = gst_app_sink_pull_sample (appsink);

  if (!sample)
    return GST_FLOW_EOS;
  g_mutex_lock (&self->lock);
  if (self->session == stream->session) {
    self->bytes += gst_buffer_get_size (gst_sample_get_buffer (sample));
    self->buffers++;
    stream_push (stream, sample);
  }
  g_mutex_unlock (&self->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstPadProbeReturn
on_caps (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *stream = data;
  P2pGatewayCamera *self = stream->session->camera;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  g_mutex_lock (&self->lock);
  gst_caps_replace (&stream->caps, caps);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, gpointer data)
{
  Session *session = data;
  P2pGatewayCamera *self = session->camera;
  GstAppSinkCallbacks callbacks = { NULL, NULL, on_new_sample };
  GstElement *sink;
  Stream *stream;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 64,
      "drop", TRUE, NULL);
  stream = g_new0 (Stream, 1);
  stream->session = session;
  stream->sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, stream, NULL);
  gst_pad_add_probe (stream->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_caps, stream, NULL);

  g_mutex_lock (&self->lock);
  stream->index = session->streams->len;
  g_ptr_array_add (session->streams, stream);
  g_mutex_unlock (&self->lock);

  gst_bin_add (GST_BIN (session->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  if (gst_pad_link (pad, stream->sinkpad) != GST_PAD_LINK_OK)
    g_warning ("camera %s: cannot link %s", self->name, GST_PAD_NAME (pad));
}

static void
on_no_more_pads (GstElement * src, gpointer data)
{
  Session *session = data;
  P2pGatewayCamera *self = session->camera;

  g_mutex_lock (&self->lock);
  session->complete = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean restart_cb (gpointer data);

/* A session failed for good: stopped on the camera's context (not on the
 * streaming thread that reported it), and restarted later while clients
 * remain. */
static gboolean
fail_cb (gpointer data)
{
  Failure *failure = data;
  P2pGatewayCamera *self = failure->camera;
  Session *session = NULL;

  g_mutex_lock (&self->lock);
  if (self->session && self->session->serial == failure->serial) {
    session = self->session;
    self->session = NULL;
    self->connected = FALSE;
    if (self->clients > 0 && !self->restart) {
      self->restart = g_timeout_source_new (self->restart_ms);
      g_source_set_callback (self->restart, restart_cb, self, NULL);
      g_source_attach (self->restart, self->context);
      self->restart_ms = MIN (self->restart_ms * 2, RESTART_MAX_MS);
    }
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (session)
    session_stop (session);
  return G_SOURCE_REMOVE;
}

static void
failure_free (Failure * failure)
{
  g_object_unref (failure->camera);
  g_free (failure);
}

static void
session_fail (Session * session)
{
  Failure *failure = g_new0 (Failure, 1);

  failure->camera = g_object_ref (session->camera);
  failure->serial = session->serial;
  g_main_context_invoke_full (session->camera->context, G_PRIORITY_DEFAULT,
      fail_cb, failure, (GDestroyNotify) failure_free);
}

static GstBusSyncReply
on_bus_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  Session *session = data;
  P2pGatewayCamera *self = session->camera;
  const GstStructure *s = gst_message_get_structure (msg);

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (s && gst_structure_has_name (s, "p2p-connection")) {
        const gchar *state = gst_structure_get_string (s, "state");

        g_mutex_lock (&self->lock);
        if (self->session == session) {
          if (g_strcmp0 (state, "connected") == 0) {
            self->connected = TRUE;
            self->restart_ms = RESTART_MIN_MS;
          } else if (g_strcmp0 (state, "reconnecting") == 0) {
            if (self->connected)
              self->reconnects++;
            self->connected = FALSE;
          }
        }
        g_mutex_unlock (&self->lock);
        g_message ("camera %s: %s", self->name, state ? state : "?");
      } else if (s && gst_structure_has_name (s, "p2p-talkback")) {
        const gchar *reason = gst_structure_get_string (s, "reason");

        if (!reason || !*reason)
          reason = NULL;
        g_message ("camera %s: talk-back %s%s%s", self->name,
            gst_structure_get_string (s, "state"), reason ? ": " : "",
            reason ? reason : "");
      }
      break;
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      g_message ("camera %s: %s", self->name, err->message);
      g_error_free (err);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_warning ("camera %s: %s", self->name, err->message);
      g_mutex_lock (&self->lock);
      if (self->session == session) {
        g_clear_error (&self->error);
        self->error = g_error_new (P2P_GATEWAY_CAMERA_ERROR,
            P2P_GATEWAY_CAMERA_ERROR_FAILED, "camera %s: %s", self->name,
            err->message);
      }
      g_mutex_unlock (&self->lock);
      g_error_free (err);
      session_fail (session);
      break;
    }
    default:
      break;
  }
  /* Dropped here, so freed here (GstBusSyncHandler): each message holds
   * its source, and through it the whole pipeline. */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* The talk-back input, linked before the call: p2psrc answers the
 * camera's offer with a talk-back stream only when its talkback pad
 * exists. Idle until a front end's client talks. */
static void
session_add_talk (Session * session)
{
  GstElement *appsrc = gst_element_factory_make ("appsrc", "talk");
  GstPad *srcpad, *sinkpad;

  g_object_set (appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
      "do-timestamp", TRUE, "max-bytes", (guint64) 64 * 1024,
      "leaky-type", 2 /* downstream */ , NULL);
  gst_bin_add (GST_BIN (session->pipeline), appsrc);
  srcpad = gst_element_get_static_pad (appsrc, "src");
  sinkpad = gst_element_request_pad_simple (session->src, "talkback");
  if (sinkpad && gst_pad_link (srcpad, sinkpad) == GST_PAD_LINK_OK)
    session->talk = gst_object_ref (appsrc);
  else
    g_warning ("camera %s: no talk-back input", session->camera->name);
  gst_object_unref (srcpad);
  if (sinkpad)
    gst_object_unref (sinkpad);
}

/* Makes a session; called with the lock held, started by the caller
 * after unlocking. */
static Session *
session_new (P2pGatewayCamera * self, GstElement * src)
{
  Session *session = g_new0 (Session, 1);
  GstClock *clock;
  GstBus *bus;

  session->camera = self;
  session->serial = ++self->sessions;
  session->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stream_free);
  session->pipeline = gst_pipeline_new (self->name);
  g_object_set (src, "uid", self->uid, "lan", self->lan, "latency",
      self->latency, NULL);
  if (self->server)
    g_object_set (src, "server", self->server, NULL);
  if (self->password)
    g_object_set (src, "password", self->password, NULL);
  if (self->fingerprint)
    g_object_set (src, "device-fingerprint", self->fingerprint, NULL);
  if (self->known_cameras_file)
    g_object_set (src, "known-cameras-file", self->known_cameras_file, NULL);
  session->src = src;
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), session);
  g_signal_connect (src, "no-more-pads", G_CALLBACK (on_no_more_pads), session);
  gst_bin_add (GST_BIN (session->pipeline), src);
  session_add_talk (session);
  /* The system clock, as front ends use by default: timestamps move
   * between the pipelines by running time, which needs comparable clocks
   * only, but the same one keeps it exact. */
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (session->pipeline), clock);
  gst_object_unref (clock);
  bus = gst_pipeline_get_bus (GST_PIPELINE (session->pipeline));
  gst_bus_set_sync_handler (bus, on_bus_message, session, NULL);
  gst_object_unref (bus);
  return session;
}

static void
session_start (Session * session)
{
  if (gst_element_set_state (session->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    session_fail (session);
}

/* Stops and frees @session, which is no longer the current one; never
 * called with the lock held (the streaming threads take it). */
static void
session_stop (Session * session)
{
  gst_element_set_state (session->pipeline, GST_STATE_NULL);
  gst_clear_object (&session->talk);
  gst_object_unref (session->pipeline);
  g_ptr_array_unref (session->streams);
  g_free (session);
}

/* Makes the current session if there is none and no restart is pending;
 * called with the lock held. Returns the session to start. */
static Session *
ensure_session (P2pGatewayCamera * self)
{
  GstElement *src;

  if (self->session || self->restart)
    return NULL;
  g_clear_error (&self->error);
  src = gst_element_factory_make ("p2psrc", NULL);
  if (!src) {
    /* Reported to waiters; no restart would help. */
    self->error = g_error_new (P2P_GATEWAY_CAMERA_ERROR,
        P2P_GATEWAY_CAMERA_ERROR_FAILED,
        "camera %s: the p2psrc element is not installed", self->name);
    return NULL;
  }
  self->session = session_new (self, src);
  return self->session;
}

static gboolean
restart_cb (gpointer data)
{
  P2pGatewayCamera *self = data;
  Session *session = NULL;

  g_mutex_lock (&self->lock);
  g_source_destroy (self->restart);
  g_clear_pointer (&self->restart, g_source_unref);
  if (self->clients > 0)
    session = ensure_session (self);
  g_mutex_unlock (&self->lock);
  if (session)
    session_start (session);
  return G_SOURCE_REMOVE;
}

static gboolean
linger_cb (gpointer data)
{
  P2pGatewayCamera *self = data;
  Session *session = NULL;

  g_mutex_lock (&self->lock);
  g_source_destroy (self->linger);
  g_clear_pointer (&self->linger, g_source_unref);
  if (self->clients == 0) {
    session = self->session;
    self->session = NULL;
    self->connected = FALSE;
    if (self->restart) {
      g_source_destroy (self->restart);
      g_clear_pointer (&self->restart, g_source_unref);
    }
    self->restart_ms = RESTART_MIN_MS;
  }
  g_mutex_unlock (&self->lock);
  if (session) {
    g_message ("camera %s: no client for %u ms, session stopped",
        self->name, self->linger_ms);
    session_stop (session);
  }
  return G_SOURCE_REMOVE;
}

/**
 * p2p_gateway_camera_acquire:
 * @camera: the camera
 *
 * Counts one more client of @camera and starts its p2p session if none
 * runs. Any thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_acquire (P2pGatewayCamera * camera)
{
  Session *session;

  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  camera->clients++;
  if (camera->linger) {
    g_source_destroy (camera->linger);
    g_clear_pointer (&camera->linger, g_source_unref);
  }
  session = ensure_session (camera);
  g_mutex_unlock (&camera->lock);
  if (session) {
    g_message ("camera %s: session started", camera->name);
    session_start (session);
  }
}

/**
 * p2p_gateway_camera_release:
 * @camera: the camera
 *
 * Counts one client of @camera fewer; after the last, the session stops
 * once #P2pGatewayCamera:linger has passed without a new client. Any
 * thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_release (P2pGatewayCamera * camera)
{
  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  if (camera->clients == 0) {
    g_mutex_unlock (&camera->lock);
    g_critical ("camera %s released more often than acquired", camera->name);
    return;
  }
  if (--camera->clients == 0 && !camera->linger) {
    camera->linger = g_timeout_source_new (camera->linger_ms);
    g_source_set_callback (camera->linger, linger_cb, camera, NULL);
    g_source_attach (camera->linger, camera->context);
  }
  g_mutex_unlock (&camera->lock);
}

/**
 * p2p_gateway_camera_wait_streams:
 * @camera: the camera, acquired by the caller
 * @timeout_ms: the longest wait
 * @error: return location for a #P2P_GATEWAY_CAMERA_ERROR
 *
 * Waits until the session knows every stream of the camera and its caps,
 * or, after @timeout_ms, settles for the streams it has. A session that
 * fails (p2psrc's ERROR: wrong password, certificate mismatch) ends the
 * wait at once with its error. Blocks: never call it on the camera's
 * #GMainContext.
 *
 * Returns: (transfer container) (element-type GstCaps): the caps of each
 *     stream, by stream number; %NULL with @error set when there is none
 *
 * Since: 0.2
 */
GPtrArray *
p2p_gateway_camera_wait_streams (P2pGatewayCamera * camera,
    guint timeout_ms, GError ** error)
{
  gint64 deadline =
      g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  GPtrArray *result = NULL;

  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), NULL);

  g_mutex_lock (&camera->lock);
  for (;;) {
    Session *session = camera->session;
    gboolean timed_out = g_get_monotonic_time () >= deadline;
    gboolean all_caps = session && session->streams->len > 0;
    guint i;

    for (i = 0; session && i < session->streams->len; i++)
      all_caps &= ((Stream *) g_ptr_array_index (session->streams,
              i))->caps != NULL;
    if (session && ((session->complete && all_caps) || timed_out)) {
      result = g_ptr_array_new_with_free_func ((GDestroyNotify)
          gst_caps_unref);
      for (i = 0; i < session->streams->len; i++) {
        Stream *stream = g_ptr_array_index (session->streams, i);

        if (!stream->caps)
          break;
        g_ptr_array_add (result, gst_caps_ref (stream->caps));
      }
      if (result->len > 0)
        break;
      g_clear_pointer (&result, g_ptr_array_unref);
    }
    /* A failed session is retried in the background; its waiters are
     * told now rather than at their time-out. */
    if (!session && camera->error) {
      g_propagate_error (error, g_error_copy (camera->error));
      break;
    }
    if (timed_out) {
      if (camera->error)
        g_propagate_error (error, g_error_copy (camera->error));
      else
        g_set_error (error, P2P_GATEWAY_CAMERA_ERROR,
            P2P_GATEWAY_CAMERA_ERROR_TIMEOUT,
            "camera %s: no stream within %u ms", camera->name, timeout_ms);
      break;
    }
    g_cond_wait_until (&camera->cond, &camera->lock, deadline);
  }
  g_mutex_unlock (&camera->lock);
  return result;
}

/**
 * p2p_gateway_camera_attach:
 * @camera: the camera, acquired by the caller
 * @stream: a stream number, as from p2p_gateway_camera_wait_streams()
 * @appsrc: the front end's source for it
 *
 * Feeds @appsrc with stream @stream from now on (see #P2pGatewayCamera),
 * and asks the camera for a keyframe. Sets @appsrc live, in time format,
 * leaky downstream with a bound on its queue.
 *
 * Returns: %FALSE with @error set when there is no such stream
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_camera_attach (P2pGatewayCamera * camera, guint stream,
    GstAppSrc * appsrc, GError ** error)
{
  Output *out;
  Stream *s;

  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), FALSE);
  g_return_val_if_fail (GST_IS_APP_SRC (appsrc), FALSE);

  g_mutex_lock (&camera->lock);
  if (!camera->session || stream >= camera->session->streams->len) {
    g_mutex_unlock (&camera->lock);
    g_set_error (error, P2P_GATEWAY_CAMERA_ERROR,
        P2P_GATEWAY_CAMERA_ERROR_STREAM, "camera %s has no stream %u",
        camera->name, stream);
    return FALSE;
  }
  s = g_ptr_array_index (camera->session->streams, stream);
  g_object_set (appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
      "max-bytes", (guint64) OUTPUT_MAX_BYTES, "leaky-type",
      2 /* downstream */ ,
      NULL);
  out = g_new0 (Output, 1);
  out->appsrc = gst_object_ref (appsrc);
  out->index = stream;
  out->is_video = s->caps && g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (s->caps, 0)), "video/");
  out->need_keyframe = out->is_video;
  if (s->caps) {
    out->caps = gst_caps_ref (s->caps);
    gst_app_src_set_caps (appsrc, s->caps);
  }
  g_ptr_array_add (camera->outputs, out);
  g_mutex_unlock (&camera->lock);

  if (out->is_video)
    p2p_gateway_camera_request_keyframe (camera);
  return TRUE;
}

/**
 * p2p_gateway_camera_request_keyframe:
 * @camera: the camera
 *
 * Asks the camera for a keyframe on every video stream (a picture loss
 * indication from p2psrc's RTP session), so that a client joining a front
 * end's running pipeline starts within a round trip rather than at the
 * camera's next scheduled keyframe. p2p_gateway_camera_attach() does it
 * for a new appsrc. Any thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_request_keyframe (P2pGatewayCamera * camera)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i;

  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  for (i = 0; camera->session && i < camera->session->streams->len; i++) {
    Stream *s = g_ptr_array_index (camera->session->streams, i);

    if (s->caps && g_str_has_prefix (gst_structure_get_name
            (gst_caps_get_structure (s->caps, 0)), "video/"))
      g_ptr_array_add (pads, gst_object_ref (s->sinkpad));
  }
  g_mutex_unlock (&camera->lock);

  /* Upstream through the depayloader to the RTP session, which turns it
   * into the PLI; outside the lock, as pushing may block. */
  for (i = 0; i < pads->len; i++)
    gst_pad_push_event (g_ptr_array_index (pads, i),
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
  g_ptr_array_unref (pads);
}

/**
 * p2p_gateway_camera_detach:
 * @camera: the camera
 * @appsrc: a source given to p2p_gateway_camera_attach()
 *
 * Stops feeding @appsrc. Any thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_detach (P2pGatewayCamera * camera, GstAppSrc * appsrc)
{
  guint i;

  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  for (i = 0; i < camera->outputs->len; i++) {
    Output *out = g_ptr_array_index (camera->outputs, i);

    if (out->appsrc == appsrc) {
      g_ptr_array_remove_index_fast (camera->outputs, i);
      break;
    }
  }
  g_mutex_unlock (&camera->lock);
}

/**
 * p2p_gateway_camera_talk:
 * @camera: the camera, acquired by the caller
 * @sample: encoded audio for the camera's speaker (Opus, PCMU or PCMA, as
 *     p2psrc's `talkback` pad takes), with its caps
 *
 * Sends @sample to the camera over the p2p session (p2psrc's talk-back).
 * The camera gives the floor to one talker at a time and frees it after a
 * second of silence, so a front end only pushes while its client talks.
 * Timestamps are the arrival's. Any thread.
 *
 * Returns: %FALSE when no session runs (the audio is dropped)
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_camera_talk (P2pGatewayCamera * camera, GstSample * sample)
{
  GstCaps *caps = gst_sample_get_caps (sample);
  GstElement *appsrc = NULL;
  GstBuffer *buffer;

  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), FALSE);
  g_return_val_if_fail (GST_IS_SAMPLE (sample), FALSE);

  g_mutex_lock (&camera->lock);
  if (camera->session && camera->session->talk)
    appsrc = gst_object_ref (camera->session->talk);
  g_mutex_unlock (&camera->lock);
  if (!appsrc)
    return FALSE;

  if (caps) {
    GstCaps *current = gst_app_src_get_caps (GST_APP_SRC (appsrc));

    if (!current || !gst_caps_is_equal (current, caps))
      gst_app_src_set_caps (GST_APP_SRC (appsrc), caps);
    gst_clear_caps (&current);
  }
  buffer = gst_buffer_copy (gst_sample_get_buffer (sample));
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (appsrc), buffer);
  gst_object_unref (appsrc);
  return TRUE;
}

/**
 * p2p_gateway_camera_add_viewers:
 * @camera: the camera
 * @delta: clients that came (positive) or left (negative)
 *
 * Counts a front end's clients of @camera, reported as `viewers` in
 * p2p_gateway_camera_get_stats(). Any thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_add_viewers (P2pGatewayCamera * camera, gint delta)
{
  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  camera->viewers = MAX (0, camera->viewers + delta);
  g_mutex_unlock (&camera->lock);
}

/**
 * p2p_gateway_camera_stop:
 * @camera: the camera
 *
 * Stops the camera's p2p session now, whatever its clients, and cancels
 * pending linger and restart timers: for a gateway shutting down, so that
 * the camera sees the call end rather than time out. A later
 * p2p_gateway_camera_acquire() starts a new session. Attached appsrcs
 * stay attached and get nothing more. Any thread.
 *
 * Since: 0.2
 */
void
p2p_gateway_camera_stop (P2pGatewayCamera * camera)
{
  Session *session;

  g_return_if_fail (P2P_GATEWAY_IS_CAMERA (camera));

  g_mutex_lock (&camera->lock);
  session = camera->session;
  camera->session = NULL;
  camera->connected = FALSE;
  if (camera->linger) {
    g_source_destroy (camera->linger);
    g_clear_pointer (&camera->linger, g_source_unref);
  }
  if (camera->restart) {
    g_source_destroy (camera->restart);
    g_clear_pointer (&camera->restart, g_source_unref);
  }
  g_cond_broadcast (&camera->cond);
  g_mutex_unlock (&camera->lock);
  if (session)
    session_stop (session);
}

/**
 * p2p_gateway_camera_get_name:
 * @camera: the camera
 *
 * Returns: the camera's path name (`rtsp://HOST:PORT/NAME`)
 *
 * Since: 0.2
 */
const gchar *
p2p_gateway_camera_get_name (P2pGatewayCamera * camera)
{
  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), NULL);

  return camera->name;
}

/**
 * p2p_gateway_camera_get_stats:
 * @camera: the camera
 *
 * Returns: (transfer full): a `p2p-gateway-camera-stats` structure:
 *     `clients` (uint, acquired now), `viewers` (uint, front ends'
 *     clients, see p2p_gateway_camera_add_viewers()), `outputs` (uint, attached appsrcs),
 *     `session` (boolean, a p2p session runs), `connected` (boolean, it has
 *     a path to the camera), `sessions` (uint, sessions started),
 *     `reconnects` (uint, paths lost and sought again), `bytes` and
 *     `buffers` (uint64, received from the camera)
 *
 * Since: 0.2
 */
GstStructure *
p2p_gateway_camera_get_stats (P2pGatewayCamera * camera)
{
  GstStructure *s;

  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), NULL);

  g_mutex_lock (&camera->lock);
  s = gst_structure_new ("p2p-gateway-camera-stats",
      "clients", G_TYPE_UINT, camera->clients,
      "viewers", G_TYPE_UINT, (guint) camera->viewers,
      "outputs", G_TYPE_UINT, camera->outputs->len,
      "session", G_TYPE_BOOLEAN, camera->session != NULL,
      "connected", G_TYPE_BOOLEAN, camera->connected,
      "sessions", G_TYPE_UINT, camera->sessions,
      "reconnects", G_TYPE_UINT, camera->reconnects,
      "bytes", G_TYPE_UINT64, camera->bytes,
      "buffers", G_TYPE_UINT64, camera->buffers, NULL);
  g_mutex_unlock (&camera->lock);
  return s;
}

static void
p2p_gateway_camera_init (P2pGatewayCamera * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->lan = TRUE;
  self->latency = DEFAULT_LATENCY;
  self->linger_ms = DEFAULT_LINGER_MS;
  self->restart_ms = RESTART_MIN_MS;
  self->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      output_free);
}

static void
p2p_gateway_camera_constructed (GObject * object)
{
  P2pGatewayCamera *self = P2P_GATEWAY_CAMERA (object);

  G_OBJECT_CLASS (p2p_gateway_camera_parent_class)->constructed (object);
  if (!self->context)
    self->context = g_main_context_ref_thread_default ();
}

static void
p2p_gateway_camera_dispose (GObject * object)
{
  p2p_gateway_camera_stop (P2P_GATEWAY_CAMERA (object));
  G_OBJECT_CLASS (p2p_gateway_camera_parent_class)->dispose (object);
}

static void
p2p_gateway_camera_finalize (GObject * object)
{
  P2pGatewayCamera *self = P2P_GATEWAY_CAMERA (object);

  g_free (self->name);
  g_free (self->uid);
  g_free (self->server);
  g_free (self->password);
  g_free (self->fingerprint);
  g_free (self->known_cameras_file);
  g_ptr_array_unref (self->outputs);
  g_clear_error (&self->error);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (p2p_gateway_camera_parent_class)->finalize (object);
}

static void
p2p_gateway_camera_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  P2pGatewayCamera *self = P2P_GATEWAY_CAMERA (object);

  switch (prop_id) {
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_UID:
      self->uid = g_value_dup_string (value);
      break;
    case PROP_SERVER:
      self->server = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      self->password = g_value_dup_string (value);
      break;
    case PROP_DEVICE_FINGERPRINT:
      self->fingerprint = g_value_dup_string (value);
      break;
    case PROP_KNOWN_CAMERAS_FILE:
      self->known_cameras_file = g_value_dup_string (value);
      break;
    case PROP_LAN:
      self->lan = g_value_get_boolean (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_LINGER:
      self->linger_ms = g_value_get_uint (value);
      break;
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
p2p_gateway_camera_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  P2pGatewayCamera *self = P2P_GATEWAY_CAMERA (object);

  switch (prop_id) {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_UID:
      g_value_set_string (value, self->uid);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case PROP_DEVICE_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    case PROP_KNOWN_CAMERAS_FILE:
      g_value_set_string (value, self->known_cameras_file);
      break;
    case PROP_LAN:
      g_value_set_boolean (value, self->lan);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_LINGER:
      g_value_set_uint (value, self->linger_ms);
      break;
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
p2p_gateway_camera_class_init (P2pGatewayCameraClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
      G_PARAM_STATIC_STRINGS;

  gobject_class->constructed = p2p_gateway_camera_constructed;
  gobject_class->dispose = p2p_gateway_camera_dispose;
  gobject_class->finalize = p2p_gateway_camera_finalize;
  gobject_class->set_property = p2p_gateway_camera_set_property;
  gobject_class->get_property = p2p_gateway_camera_get_property;

  /**
   * P2pGatewayCamera:name:
   *
   * The camera's path name, `rtsp://HOST:PORT/NAME`. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_NAME,
      g_param_spec_string ("name", "Name", "Path name", NULL, flags));
  /**
   * P2pGatewayCamera:uid:
   *
   * The camera's UID (p2psrc's #GstP2pSrc:uid). Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_UID,
      g_param_spec_string ("uid", "UID", "Camera UID", NULL, flags));
  /**
   * P2pGatewayCamera:server:
   *
   * Signalling server URI(s), as p2psrc's #GstP2pSrc:server. Default:
   * %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER,
      g_param_spec_string ("server", "Server", "Signalling server URI(s)",
          NULL, flags));
  /**
   * P2pGatewayCamera:password:
   *
   * The camera's viewer password. Write-only. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password", "Camera password", NULL,
          G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * P2pGatewayCamera:device-fingerprint:
   *
   * Pinned certificate fingerprint of the camera, `sha-256 AB:CD:…`.
   * Default: %NULL (trust on first use).
   */
  g_object_class_install_property (gobject_class, PROP_DEVICE_FINGERPRINT,
      g_param_spec_string ("device-fingerprint", "Device fingerprint",
          "Pinned camera certificate fingerprint", NULL, flags));
  /**
   * P2pGatewayCamera:known-cameras-file:
   *
   * p2psrc's #GstP2pSrc:known-cameras-file. Default: %NULL (per user).
   */
  g_object_class_install_property (gobject_class, PROP_KNOWN_CAMERAS_FILE,
      g_param_spec_string ("known-cameras-file", "Known cameras file",
          "Trust-on-first-use file", NULL, flags));
  /**
   * P2pGatewayCamera:lan:
   *
   * Also look for the camera on the local network. Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_LAN,
      g_param_spec_boolean ("lan", "LAN", "Look on the local network too",
          TRUE, flags));
  /**
   * P2pGatewayCamera:latency:
   *
   * p2psrc's jitter buffer, in milliseconds. Default: 50.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency", "Jitter buffer (ms)", 0,
          10000, DEFAULT_LATENCY, flags));
  /**
   * P2pGatewayCamera:linger:
   *
   * How long the session is kept after the last client left, in
   * milliseconds. Default: 10000.
   */
  g_object_class_install_property (gobject_class, PROP_LINGER,
      g_param_spec_uint ("linger", "Linger",
          "Session kept this long after the last client (ms)", 0,
          G_MAXUINT, DEFAULT_LINGER_MS, flags));
  /**
   * P2pGatewayCamera:context:
   *
   * The #GMainContext the linger and restart timers run on, and where a
   * failed session is stopped. Default: %NULL (the thread-default
   * context at construction).
   */
  g_object_class_install_property (gobject_class, PROP_CONTEXT,
      g_param_spec_boxed ("context", "Context", "Main context of timers",
          G_TYPE_MAIN_CONTEXT, flags));
}
