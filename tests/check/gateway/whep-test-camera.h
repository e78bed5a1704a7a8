/* p2p-gateway tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-whep-session.h"

G_BEGIN_DECLS

/* A camera for the WHEP endpoint without p2p: a test pattern (and a tone)
 * encoded by a pipeline of its own, started by the first client and
 * stopped with the last, like the gateway's cameras. */
typedef struct _WhepTestCamera WhepTestCamera;

extern const P2pWhepCameraFuncs whep_test_camera_funcs;

WhepTestCamera *whep_test_camera_new (const gchar * video_encoder,
    gboolean audio);

void whep_test_camera_free (gpointer camera);

guint whep_test_camera_get_clients (WhepTestCamera * camera);

guint whep_test_camera_get_keyframe_requests (WhepTestCamera * camera);

G_END_DECLS
