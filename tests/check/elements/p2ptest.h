/* p2p element tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/check/gstcheck.h>

G_BEGIN_DECLS

/* Every wait ends after this long at the latest, in milliseconds: 15 s
 * times p2p_test_time_scale(). */
#define P2P_TEST_WAIT_MS (15000 * p2p_test_time_scale ())

gint p2p_test_time_scale (void);

/* A registry, a provisioned device and a running p2p-server on loopback
 * (port from the OS). */
typedef struct
{
  gchar *dir;
  gchar *registry;
  gchar *uid;
  gchar *key_file;
  gchar *url;
  gpointer server;
} P2pTestEnv;

P2pTestEnv *p2p_test_env_new (void);

void p2p_test_env_free (P2pTestEnv * env);

void p2p_test_env_restart_server (P2pTestEnv * env);

void p2p_test_keep_off_lan (GstElement * element);

GstElement *p2p_test_pipeline (const gchar * description, ...)
    G_GNUC_PRINTF (1, 2);

GstMessage *p2p_test_wait_message (GstElement * pipeline,
    GstMessageType types, const gchar * structure_name, guint timeout_ms);

void p2p_test_start (GstElement * pipeline);

void p2p_test_stop (GstElement * pipeline);

gchar *p2p_test_h264_hash (GstBuffer * buffer, gboolean * has_sps,
    gboolean * has_pps, gboolean * has_idr);

GstSample *p2p_test_pull (GstElement * pipeline, const gchar * sink_name);

void p2p_test_expect_ready_error (const gchar * factory,
    const gchar * expected, const gchar * first_prop, va_list args);

G_END_DECLS
