/* The bench's clip source
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-benchclipsrc
 * @title: benchclipsrc
 *
 * The frame source of bench/run (issue 13, "bench honesty"): an H.264 clip
 * (MP4) loaded into memory at start and replayed in a loop, one access unit
 * per frame slot on the pipeline clock, with SPS/PPS in band before every
 * keyframe.  It replaces a Python feeder whose thread wake-ups and
 * interpreter cost (~0.01 CPU s/s) sat in every row's streaming path: here
 * the streaming thread itself waits for each frame's slot, so the source
 * costs one wake-up per frame and no Python.
 *
 * What the benchmarks need from it:
 * - a keyframe on request, the way a live encoder answers a joining viewer:
 *   an upstream force-key-unit event or #GstBenchClipSrc::request-keyframe
 *   makes the next frame slot carry the clip's next IDR;
 * - #GstBenchClipSrc:speed, the clip played faster (throughput steps);
 * - #GstBenchClipSrc:hold, stopping after the current frame and resuming
 *   on schedule without a catch-up burst, so that both ends' counters can
 *   be read with nothing in flight;
 * - #GstBenchClipSrc:pushed-bytes and #GstBenchClipSrc:clip-bitrate.
 *
 * Frames are timestamped from 0 at @speed × real time.  The source is not
 * live (as the appsrc it replaces): the first frame leaves at once (a
 * prerolling pipeline needs it), every later one at its slot in PLAYING.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 benchclipsrc location=clip.mp4 ! fakesink sync=false
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (gst_bench_clip_src_debug);
#define GST_CAT_DEFAULT gst_bench_clip_src_debug

#define GST_TYPE_BENCH_CLIP_SRC (gst_bench_clip_src_get_type ())
G_DECLARE_FINAL_TYPE (GstBenchClipSrc, gst_bench_clip_src, GST, BENCH_CLIP_SRC,
    GstPushSrc);

/* Time the clip may take to load: a 10 s 20 Mbit/s clip loads in well
 * under a second, but the bench machine runs at load 10-20. */
#define LOAD_TIMEOUT (60 * GST_SECOND)

typedef struct
{
  GstBuffer *buffer;
  gboolean idr;
} ClipFrame;

struct _GstBenchClipSrc
{
  GstPushSrc parent;

  /* Set before start, read at start. */
  gchar *location;

  /* Loaded at start, freed at stop; read by the streaming thread only in
   * between. */
  GArray *frames;               /* of ClipFrame */
  GstCaps *caps;
  GstClockTime frame_duration;
  gdouble clip_bitrate;

  /* Under the object lock. */
  gdouble speed;
  gboolean hold;
  gboolean want_keyframe;
  gboolean playing;
  gboolean flushing;
  GstClockID slot;
  GstClockTimeDiff held_total;
  guint64 pushed_bytes;
  guint64 pushed_frames;
  guint keyframe_requests;
  GCond cond;

  /* Streaming thread only. */
  guint next;
  GstClockTime next_ts;
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_SPEED,
  PROP_HOLD,
  PROP_PUSHED_BYTES,
  PROP_PUSHED_FRAMES,
  PROP_KEYFRAME_REQUESTS,
  PROP_CLIP_BITRATE,
};

enum
{
  SIGNAL_REQUEST_KEYFRAME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format=byte-stream, "
        "alignment=au"));

GST_ELEMENT_REGISTER_DECLARE (benchclipsrc);

G_DEFINE_TYPE (GstBenchClipSrc, gst_bench_clip_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (benchclipsrc, "benchclipsrc", GST_RANK_NONE,
    GST_TYPE_BENCH_CLIP_SRC);

/* Whether the access unit holds an IDR slice (NAL type 5).  The
 * container's sync-sample flags are not trusted: with some muxer and
 * encoder settings they mark non-IDR frames too, and a viewer can only
 * start on an IDR. */
static gboolean
access_unit_is_idr (GstBuffer * buffer)
{
  GstMapInfo map;
  gboolean idr = FALSE;
  gsize i;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  for (i = 0; i + 3 < map.size; i++) {
    guint type;

    if (map.data[i] != 0 || map.data[i + 1] != 0 || map.data[i + 2] != 1)
      continue;
    type = map.data[i + 3] & 0x1f;
    if (type == 5) {
      idr = TRUE;
      break;
    }
    /* A non-IDR slice or filler: the rest of the unit adds nothing. */
    if (type == 1 || type == 12)
      break;
    i += 2;
  }
  gst_buffer_unmap (buffer, &map);
  return idr;
}

static void
clip_frame_clear (ClipFrame * frame)
{
  gst_buffer_unref (frame->buffer);
}

/* Demuxes and parses the clip into memory, by a pipeline of its own. */
static gboolean
gst_bench_clip_src_load (GstBenchClipSrc * self, GError ** error)
{
  GstElement *pipe;
  GstElement *sink;
  GstSample *sample;
  GstBus *bus;
  GstMessage *msg;
  guint64 bytes = 0;
  gint64 deadline;
  gboolean eos;

  pipe = gst_parse_launch ("filesrc name=f ! qtdemux ! "
      "h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=s sync=false max-buffers=0", error);
  if (pipe == NULL)
    return FALSE;
  sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  {
    GstElement *file = gst_bin_get_by_name (GST_BIN (pipe), "f");

    g_object_set (file, "location", self->location, NULL);
    gst_object_unref (file);
  }
  bus = gst_element_get_bus (pipe);
  deadline = g_get_monotonic_time () + LOAD_TIMEOUT / GST_USECOND;
  msg = NULL;
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  /* Short pulls, so that a read error (no EOS follows it) ends the wait. */
  while (msg == NULL && g_get_monotonic_time () < deadline) {
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    if (sample != NULL) {
      ClipFrame frame;

      if (self->caps == NULL)
        self->caps = gst_caps_ref (gst_sample_get_caps (sample));
      frame.buffer = gst_buffer_ref (gst_sample_get_buffer (sample));
      frame.idr = access_unit_is_idr (frame.buffer);
      bytes += gst_buffer_get_size (frame.buffer);
      g_array_append_val (self->frames, frame);
      gst_sample_unref (sample);
    } else if (gst_app_sink_is_eos (GST_APP_SINK (sink))) {
      break;
    } else {
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    }
  }
  eos = gst_app_sink_is_eos (GST_APP_SINK (sink));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);

  if (msg != NULL) {
    gst_message_parse_error (msg, error, NULL);
    gst_message_unref (msg);
    return FALSE;
  }
  if (!eos || self->frames->len == 0 || self->caps == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "%s: %s", self->location, eos ? "no H.264 frames" :
        "not read within the time-out");
    return FALSE;
  }

  {
    GstStructure *s = gst_caps_get_structure (self->caps, 0);
    gint num = 0, den = 1;

    if (!gst_structure_get_fraction (s, "framerate", &num, &den) || num <= 0)
      num = 30, den = 1;
    self->frame_duration = gst_util_uint64_scale (GST_SECOND, den, num);
  }
  self->clip_bitrate = (gdouble) bytes *8 * GST_SECOND /
      ((gdouble) self->frames->len * self->frame_duration);
  return TRUE;
}

static gboolean
gst_bench_clip_src_start (GstBaseSrc * src)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);
  GError *error = NULL;

  if (self->location == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No clip location set"),
        (NULL));
    return FALSE;
  }
  if (!gst_bench_clip_src_load (self, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not load the clip %s",
            self->location), ("%s", error->message));
    g_clear_error (&error);
    g_array_set_size (self->frames, 0);
    gst_clear_caps (&self->caps);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "%u frames, %.0f bit/s", self->frames->len,
      self->clip_bitrate);
  GST_OBJECT_LOCK (self);
  self->want_keyframe = FALSE;
  self->held_total = 0;
  self->pushed_bytes = 0;
  self->pushed_frames = 0;
  GST_OBJECT_UNLOCK (self);
  self->next = 0;
  self->next_ts = 0;
  return TRUE;
}

static gboolean
gst_bench_clip_src_stop (GstBaseSrc * src)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);

  g_array_set_size (self->frames, 0);
  gst_clear_caps (&self->caps);
  return TRUE;
}

static GstCaps *
gst_bench_clip_src_get_caps (GstBaseSrc * src, GstCaps * filter)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);
  GstCaps *caps;

  caps = self->caps ? gst_caps_ref (self->caps) :
      gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (src));
  if (filter) {
    GstCaps *both = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = both;
  }
  return caps;
}

static void
gst_bench_clip_src_request_keyframe (GstBenchClipSrc * self)
{
  GST_OBJECT_LOCK (self);
  self->want_keyframe = TRUE;
  self->keyframe_requests++;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_bench_clip_src_event (GstBaseSrc * src, GstEvent * event)
{
  if (gst_video_event_is_force_key_unit (event)) {
    gst_bench_clip_src_request_keyframe (GST_BENCH_CLIP_SRC (src));
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (gst_bench_clip_src_parent_class)->event (src,
      event);
}

static gboolean
gst_bench_clip_src_unlock (GstBaseSrc * src)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);

  GST_OBJECT_LOCK (self);
  self->flushing = TRUE;
  if (self->slot)
    gst_clock_id_unschedule (self->slot);
  g_cond_broadcast (&self->cond);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_bench_clip_src_unlock_stop (GstBaseSrc * src)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);

  GST_OBJECT_LOCK (self);
  self->flushing = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* Waits (object lock held) until PLAYING and not held.  A hold shifts the
 * schedule by its length, so the frames resume where they stopped rather
 * than in a burst.  Returns the pipeline clock (a reference) or NULL when
 * flushing. */
static GstClock *
gst_bench_clip_src_wait_runnable (GstBenchClipSrc * self)
{
  GstClock *clock;

  while (!self->flushing && (!self->playing || !GST_ELEMENT_CLOCK (self)))
    g_cond_wait (&self->cond, GST_OBJECT_GET_LOCK (self));
  if (self->flushing)
    return NULL;
  clock = gst_object_ref (GST_ELEMENT_CLOCK (self));
  if (self->hold) {
    GstClockTime held_at = gst_clock_get_time (clock);

    while (!self->flushing && self->hold)
      g_cond_wait (&self->cond, GST_OBJECT_GET_LOCK (self));
    self->held_total += GST_CLOCK_DIFF (held_at, gst_clock_get_time (clock));
  }
  if (self->flushing)
    gst_clear_object (&clock);
  return clock;
}

static GstFlowReturn
gst_bench_clip_src_create (GstPushSrc * src, GstBuffer ** out)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (src);
  GstClockTime step;
  GstClock *clock;
  GstClockReturn ret;
  ClipFrame *frame;
  GstBuffer *buffer;

  GST_OBJECT_LOCK (self);
  step = self->frame_duration / self->speed;
  /* The first frame leaves at once, so that a pipeline with prerolling
   * sinks reaches PLAYING; every other waits for its slot. */
  if (self->playing || self->pushed_frames > 0) {
    clock = gst_bench_clip_src_wait_runnable (self);
    if (clock == NULL) {
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_FLUSHING;
    }
    self->slot = gst_clock_new_single_shot_id (clock,
        GST_ELEMENT_CAST (self)->base_time + self->held_total + self->next_ts);
    GST_OBJECT_UNLOCK (self);
    gst_object_unref (clock);

    ret = gst_clock_id_wait (self->slot, NULL);

    GST_OBJECT_LOCK (self);
    gst_clock_id_unref (self->slot);
    self->slot = NULL;
    if (ret == GST_CLOCK_UNSCHEDULED || self->flushing) {
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_FLUSHING;
    }
  }
  /* Decided at the frame's slot, so a request made since the previous
   * frame is served by this one. */
  if (self->want_keyframe) {
    guint n;

    self->want_keyframe = FALSE;
    for (n = 0; n < self->frames->len && !g_array_index (self->frames,
            ClipFrame, self->next).idr; n++)
      self->next = (self->next + 1) % self->frames->len;
  }
  frame = &g_array_index (self->frames, ClipFrame, self->next);
  self->pushed_bytes += gst_buffer_get_size (frame->buffer);
  self->pushed_frames++;
  GST_OBJECT_UNLOCK (self);

  /* The clip's memory is shared, not copied. */
  buffer = gst_buffer_copy_region (frame->buffer, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_META | GST_BUFFER_COPY_MEMORY, 0, -1);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = self->next_ts;
  GST_BUFFER_DURATION (buffer) = step;
  self->next_ts += step;
  self->next = (self->next + 1) % self->frames->len;
  *out = buffer;
  return GST_FLOW_OK;
}

static GstStateChangeReturn
gst_bench_clip_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (element);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      /* The pipeline has handed out its clock and base time by now. */
      GST_OBJECT_LOCK (self);
      self->playing = TRUE;
      g_cond_broadcast (&self->cond);
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      self->playing = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (gst_bench_clip_src_parent_class)->change_state
      (element, transition);
}

static void
gst_bench_clip_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (object);

  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_SPEED:
      GST_OBJECT_LOCK (self);
      self->speed = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_HOLD:
      GST_OBJECT_LOCK (self);
      self->hold = g_value_get_boolean (value);
      g_cond_broadcast (&self->cond);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_bench_clip_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_HOLD:
      g_value_set_boolean (value, self->hold);
      break;
    case PROP_PUSHED_BYTES:
      g_value_set_uint64 (value, self->pushed_bytes);
      break;
    case PROP_PUSHED_FRAMES:
      g_value_set_uint64 (value, self->pushed_frames);
      break;
    case PROP_KEYFRAME_REQUESTS:
      g_value_set_uint (value, self->keyframe_requests);
      break;
    case PROP_CLIP_BITRATE:
      g_value_set_double (value, self->clip_bitrate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_bench_clip_src_finalize (GObject * object)
{
  GstBenchClipSrc *self = GST_BENCH_CLIP_SRC (object);

  g_free (self->location);
  g_array_unref (self->frames);
  gst_clear_caps (&self->caps);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_bench_clip_src_parent_class)->finalize (object);
}

static void
gst_bench_clip_src_init (GstBenchClipSrc * self)
{
  self->speed = 1.0;
  self->frames = g_array_new (FALSE, FALSE, sizeof (ClipFrame));
  g_array_set_clear_func (self->frames, (GDestroyNotify) clip_frame_clear);
  g_cond_init (&self->cond);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
gst_bench_clip_src_class_init (GstBenchClipSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_bench_clip_src_set_property;
  gobject_class->get_property = gst_bench_clip_src_get_property;
  gobject_class->finalize = gst_bench_clip_src_finalize;

  /**
   * GstBenchClipSrc:location:
   *
   * The MP4 file holding the H.264 clip.  Read at READY→PAUSED.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "H.264 clip (MP4)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstBenchClipSrc:speed:
   *
   * Frames per frame slot of the clip's own rate: 2.0 plays the clip twice
   * as fast, at twice its bitrate.  Default 1.0.
   */
  g_object_class_install_property (gobject_class, PROP_SPEED,
      g_param_spec_double ("speed", "Speed", "Play rate (x real time)",
          0.01, 1000.0, 1.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstBenchClipSrc:hold:
   *
   * While TRUE no frame leaves after the current one; set back to FALSE,
   * the frames resume on a schedule shifted by the hold.  Default FALSE.
   */
  g_object_class_install_property (gobject_class, PROP_HOLD,
      g_param_spec_boolean ("hold", "Hold", "Stop pushing frames", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstBenchClipSrc:pushed-bytes:
   *
   * Bytes of frames pushed since start.
   */
  g_object_class_install_property (gobject_class, PROP_PUSHED_BYTES,
      g_param_spec_uint64 ("pushed-bytes", "Pushed bytes",
          "Bytes of frames pushed since start", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstBenchClipSrc:pushed-frames:
   *
   * Frames pushed since start.
   */
  g_object_class_install_property (gobject_class, PROP_PUSHED_FRAMES,
      g_param_spec_uint64 ("pushed-frames", "Pushed frames",
          "Frames pushed since start", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstBenchClipSrc:keyframe-requests:
   *
   * Keyframe requests received (events and signal), since the element was
   * made.
   */
  g_object_class_install_property (gobject_class, PROP_KEYFRAME_REQUESTS,
      g_param_spec_uint ("keyframe-requests", "Keyframe requests",
          "Keyframe requests received", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstBenchClipSrc:clip-bitrate:
   *
   * The clip's bitrate at speed 1.0, in bits per second; 0 before the clip
   * is loaded (READY→PAUSED).
   */
  g_object_class_install_property (gobject_class, PROP_CLIP_BITRATE,
      g_param_spec_double ("clip-bitrate", "Clip bitrate",
          "Bits per second of the clip at speed 1.0", 0, G_MAXDOUBLE, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstBenchClipSrc::request-keyframe:
   * @src: the source
   *
   * Makes the next frame slot carry the clip's next keyframe (with
   * SPS/PPS), as an upstream force-key-unit event does.
   */
  signals[SIGNAL_REQUEST_KEYFRAME] = g_signal_new_class_handler
      ("request-keyframe", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_bench_clip_src_request_keyframe), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  element_class->change_state = gst_bench_clip_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Bench clip source",
      "Source/Video", "Replays an H.264 clip from memory in real time, "
      "with keyframes on request (gst-p2p bench)", "gst-p2p");

  basesrc_class->start = gst_bench_clip_src_start;
  basesrc_class->stop = gst_bench_clip_src_stop;
  basesrc_class->get_caps = gst_bench_clip_src_get_caps;
  basesrc_class->event = gst_bench_clip_src_event;
  basesrc_class->unlock = gst_bench_clip_src_unlock;
  basesrc_class->unlock_stop = gst_bench_clip_src_unlock_stop;
  pushsrc_class->create = gst_bench_clip_src_create;

  GST_DEBUG_CATEGORY_INIT (gst_bench_clip_src_debug, "benchclipsrc", 0,
      "bench clip source");
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (benchclipsrc, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, benchclip,
    "The gst-p2p bench's clip source", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
