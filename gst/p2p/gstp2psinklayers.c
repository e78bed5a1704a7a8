/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Which video layer each viewer of p2psink gets, as the element shows it:
 * pinned by the application (`set-layer`) or asked for by the viewer (a
 * `layer` message, docs/commands.md), and each move told on the bus
 * (`p2p-layer`). The choice itself and the move at a keyframe are the
 * fan-out's (gstp2pfanout.c). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psinkprivate.h"
#include "gstp2pelements.h"

#include <p2p-core/p2p-command.h>

#define GST_CAT_DEFAULT gst_p2p_debug

G_STATIC_ASSERT (P2P_COMMAND_MAX_LAYER == GST_P2P_FANOUT_MAX_LAYERS - 1);

typedef struct
{
  GstP2pSink *self;
  P2pCameraSession *session;
  guint layer;
} LayerChange;

static void
layer_change_free (LayerChange * change)
{
  gst_object_unref (change->self);
  g_object_unref (change->session);
  g_free (change);
}

static gboolean
sink_post_layer (gpointer data)
{
  LayerChange *change = data;
  GstP2pSink *self = change->self;

  GST_INFO_OBJECT (self, "%s: layer %u",
      p2p_camera_session_get_id (change->session), change->layer);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("p2p-layer", "uid", G_TYPE_STRING, self->uid,
              "viewer-id", G_TYPE_STRING,
              p2p_camera_session_get_id (change->session), "layer",
              G_TYPE_UINT, change->layer, NULL)));
  return G_SOURCE_REMOVE;
}

/* The fan-out moved a viewer to @layer, on a streaming thread with its
 * lock held: the bus message is posted from the loop thread, so that a
 * synchronous bus handler may read the stats. */
void
gst_p2p_sink_layer_changed (gpointer target, guint layer, gpointer user_data)
{
  GstP2pSink *self = user_data;
  LayerChange *change;

  if (!self->loop)
    return;
  change = g_new0 (LayerChange, 1);
  change->self = gst_object_ref (self);
  change->session = g_object_ref (target);
  change->layer = layer;
  p2p_loop_invoke (self->loop, sink_post_layer, change,
      (GDestroyNotify) layer_change_free);
}

typedef struct
{
  GstP2pSink *self;
  guint from;
  guint to;
  gint32 apart;
} BasesApart;

static gboolean
sink_post_bases_apart (gpointer data)
{
  BasesApart *b = data;
  GstP2pSink *self = b->self;

  GST_ELEMENT_WARNING (self, STREAM, FAILED,
      ("Video layers %u and %u do not share one RTP timestamp base: moves "
          "between them may never complete", b->from, b->to),
      ("a viewer moving from layer %u to %u found its keyframe %d ticks "
          "from its last frame", b->from, b->to, b->apart));
  return G_SOURCE_REMOVE;
}

static void
bases_apart_free (BasesApart * b)
{
  gst_object_unref (b->self);
  g_free (b);
}

/* The fan-out found two layers on different RTP timestamp bases (once
 * per pair), on a streaming thread with its lock held: the warning goes
 * on the bus from the loop thread, as a layer move's message does. Every
 * video payloader is given one base (gstp2psinkstreams.c); a layer on
 * its own was the bench's adaptation row never moving back to main. */
void
gst_p2p_sink_layers_apart (guint from, guint to, gint32 apart,
    gpointer user_data)
{
  GstP2pSink *self = user_data;
  BasesApart *b;

  if (!self->loop)
    return;
  b = g_new0 (BasesApart, 1);
  b->self = gst_object_ref (self);
  b->from = from;
  b->to = to;
  b->apart = apart;
  p2p_loop_invoke (self->loop, sink_post_bases_apart, b,
      (GDestroyNotify) bases_apart_free);
}

typedef struct
{
  GstP2pSink *self;
  const gchar *viewer_id;
  gint layer;
  gboolean ok;
} LayerPin;

static gboolean
sink_pin_layer (gpointer data)
{
  LayerPin *pin = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, pin->self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (g_strcmp0 (pin->viewer_id, p2p_camera_session_get_id (value)) == 0)
      pin->ok = gst_p2p_fanout_pin_layer (pin->self->fanout, value, pin->layer);
  }
  return G_SOURCE_REMOVE;
}

/* The `set-layer` action signal: any thread. */
gboolean
gst_p2p_sink_set_layer (GstP2pSink * self, const gchar * viewer_id, gint layer)
{
  LayerPin pin = { self, viewer_id, layer, FALSE };

  g_return_val_if_fail (viewer_id != NULL, FALSE);
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, sink_pin_layer, &pin);
  if (!pin.ok)
    GST_WARNING_OBJECT (self, "cannot pin %s to layer %d", viewer_id, layer);
  return pin.ok;
}

/* Loop thread: an admitted viewer asks for a layer (docs/commands.md).
 * A layer the camera does not send is refused, as is anything malformed:
 * the viewer's request is a wish, never an error. */
void
gst_p2p_sink_on_layer_request (JsonObject * message, gpointer context,
    gpointer user_data)
{
  GstP2pSink *self = user_data;
  P2pCameraSession *session = context;
  g_autoptr (GError) err = NULL;
  gint layer;

  if (!p2p_command_parse_layer (message, &layer, &err)) {
    GST_INFO_OBJECT (self, "%s: %s", p2p_camera_session_get_id (session),
        err->message);
    return;
  }
  if (!gst_p2p_fanout_pin_layer (self->fanout, session, layer)) {
    GST_INFO_OBJECT (self, "%s asked for layer %d: not sent",
        p2p_camera_session_get_id (session), layer);
    return;
  }
  GST_INFO_OBJECT (self, "%s asks for layer %d",
      p2p_camera_session_get_id (session), layer);
}
