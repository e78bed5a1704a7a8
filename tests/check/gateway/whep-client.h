/* p2p-gateway tests: GStreamer's webrtcbin as a WHEP client
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A WHEP client made of GStreamer's webrtcbin, ICE on loopback only, that
 * decodes what it receives and counts the video frames. */
typedef struct
{
  GstElement *pipeline;
  GstElement *webrtc;
  gint frames;
} WhepClient;

void whep_client_start (WhepClient * c, const gchar * encoding,
    gboolean audio);

gchar *whep_client_offer (WhepClient * c, gint64 end);

void whep_client_answer (WhepClient * c, const gchar * text);

gint whep_client_frames (WhepClient * c);

void whep_client_request_keyframe (WhepClient * c);

void whep_client_stop (WhepClient * c);

G_END_DECLS
