/* p2p-gateway tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "whep-test-camera.h"

#include <gst/app/gstappsink.h>

typedef struct
{
  GstAppSrc *appsrc;
  gboolean keyframe_seen;
} Client;

struct _WhepTestCamera
{
  gchar *description;
  GMutex lock;
  GCond cond;
  guint clients;
  GstElement *pipeline;
  GstCaps *caps[2];             /* video, audio; NULL until known */
  guint n_streams;
  GList *attached[2];           /* Client * per stream */
  guint keyframe_requests;
};

static GstFlowReturn
on_sample (GstAppSink * sink, gpointer user_data)
{
  WhepTestCamera *self = user_data;
  guint stream = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sink),
          "stream"));
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_sample_get_buffer (sample);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GList *l;

  g_mutex_lock (&self->lock);
  /* A pipeline that test_camera_release() took away streams on until its
   * change to NULL completes: caps it recorded now would belong to no
   * pipeline, and stay until the camera is freed, which never unrefs them
   * (whep-chromium: LeakSanitizer found the Opus caps and their stream
   * headers once, audio samples being the most frequent). */
  if (GST_OBJECT_PARENT (sink) != GST_OBJECT_CAST (self->pipeline)) {
    g_mutex_unlock (&self->lock);
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  if (!self->caps[stream]) {
    self->caps[stream] = gst_caps_ref (gst_sample_get_caps (sample));
    g_cond_broadcast (&self->cond);
  }
  for (l = self->attached[stream]; l; l = l->next) {
    Client *c = l->data;
    GstBuffer *copy;

    if (stream == 0 && !c->keyframe_seen && !key)
      continue;
    c->keyframe_seen = TRUE;
    /* The appsrc stamps it with its own running time. */
    copy = gst_buffer_copy (buf);
    GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
    gst_app_src_push_buffer (c->appsrc, copy);
  }
  g_mutex_unlock (&self->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
test_camera_acquire (gpointer camera)
{
  WhepTestCamera *self = camera;
  GstAppSinkCallbacks cb = { NULL, NULL, on_sample };
  guint i;

  g_mutex_lock (&self->lock);
  if (self->clients++ > 0) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->pipeline = gst_parse_launch (self->description, NULL);
  g_assert (self->pipeline);
  for (i = 0; i < self->n_streams; i++) {
    gchar *name = g_strdup_printf ("s%u", i);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (self->pipeline), name);

    g_object_set_data (G_OBJECT (sink), "stream", GUINT_TO_POINTER (i));
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, self, NULL);
    gst_object_unref (sink);
    g_free (name);
  }
  g_mutex_unlock (&self->lock);
  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
}

static void
test_camera_release (gpointer camera)
{
  WhepTestCamera *self = camera;
  GstElement *pipeline = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  g_assert (self->clients > 0);
  if (--self->clients == 0) {
    pipeline = g_steal_pointer (&self->pipeline);
    for (i = 0; i < self->n_streams; i++)
      gst_clear_caps (&self->caps[i]);
  }
  g_mutex_unlock (&self->lock);
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
}

static GPtrArray *
test_camera_wait_streams (gpointer camera, guint timeout_ms, GError ** error)
{
  WhepTestCamera *self = camera;
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  GPtrArray *streams = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  for (;;) {
    gboolean all = TRUE;

    for (i = 0; i < self->n_streams; i++)
      all = all && self->caps[i];
    if (all)
      break;
    if (!g_cond_wait_until (&self->cond, &self->lock, end)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "the test camera sent no stream");
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  }
  streams = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_caps_unref);
  for (i = 0; i < self->n_streams; i++)
    g_ptr_array_add (streams, gst_caps_ref (self->caps[i]));
  g_mutex_unlock (&self->lock);
  return streams;
}

static gboolean
test_camera_attach (gpointer camera, guint stream, GstAppSrc * appsrc,
    GError ** error)
{
  WhepTestCamera *self = camera;
  Client *c;

  if (stream >= self->n_streams) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no stream %u",
        stream);
    return FALSE;
  }
  g_object_set (appsrc, "do-timestamp", TRUE, NULL);
  c = g_new0 (Client, 1);
  c->appsrc = gst_object_ref (appsrc);
  g_mutex_lock (&self->lock);
  self->attached[stream] = g_list_prepend (self->attached[stream], c);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
test_camera_detach (gpointer camera, GstAppSrc * appsrc)
{
  WhepTestCamera *self = camera;
  guint i;
  GList *l;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->n_streams; i++) {
    for (l = self->attached[i]; l; l = l->next) {
      Client *c = l->data;

      if (c->appsrc == appsrc) {
        self->attached[i] = g_list_delete_link (self->attached[i], l);
        gst_object_unref (c->appsrc);
        g_free (c);
        break;
      }
    }
  }
  g_mutex_unlock (&self->lock);
}

static void
test_camera_request_keyframe (gpointer camera)
{
  WhepTestCamera *self = camera;

  g_mutex_lock (&self->lock);
  self->keyframe_requests++;
  g_mutex_unlock (&self->lock);
}

const P2pWhepCameraFuncs whep_test_camera_funcs = {
  test_camera_acquire,
  test_camera_release,
  test_camera_wait_streams,
  test_camera_attach,
  test_camera_detach,
  test_camera_request_keyframe,
};

/* @video_encoder: a gst-launch fragment ending in encoded video, such as
 * "vp8enc deadline=1" */
WhepTestCamera *
whep_test_camera_new (const gchar * video_encoder, gboolean audio)
{
  WhepTestCamera *self = g_new0 (WhepTestCamera, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  /* Small and slow: several sessions and a browser share two cores. */
  self->description = g_strdup_printf ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! "
      "%s ! appsink name=s0 sync=false %s", video_encoder,
      audio ? "audiotestsrc is-live=true wave=ticks ! opusenc ! "
      "appsink name=s1 sync=false" : "");
  self->n_streams = audio ? 2 : 1;
  return self;
}

static guint
get_locked (WhepTestCamera * camera, const guint * counter)
{
  guint n;

  g_mutex_lock (&camera->lock);
  n = *counter;
  g_mutex_unlock (&camera->lock);
  return n;
}

guint
whep_test_camera_get_clients (WhepTestCamera * camera)
{
  return get_locked (camera, &camera->clients);
}

/* How many times a viewer asked for a keyframe. */
guint
whep_test_camera_get_keyframe_requests (WhepTestCamera * camera)
{
  return get_locked (camera, &camera->keyframe_requests);
}

void
whep_test_camera_free (gpointer camera)
{
  WhepTestCamera *self = camera;

  g_assert (self->clients == 0);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->description);
  g_free (self);
}
