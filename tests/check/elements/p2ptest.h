/* p2p element tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/check/gstcheck.h>
#include <p2p-core/p2p-core.h>

G_BEGIN_DECLS

/* Every wait ends after this long at the latest, in milliseconds: 15 s
 * times p2p_test_time_scale(). */
#define P2P_TEST_WAIT_MS (15000 * p2p_test_time_scale ())

gint p2p_test_time_scale (void);

/* The viewer password of the harness's camera; P2pTestEnv.password_file
 * holds its verifier, with the fewest PBKDF2 iterations a viewer accepts
 * (P2P_PASSWORD_VERIFIER_MIN_ITERATIONS) rather than the default 100000:
 * the viewer derives its keys with the camera's count, inside the camera's
 * 10 s login time-out, and under the `asan` setup (whose slow unwinder runs
 * on each of OpenSSL's allocations, several per iteration) on two busy
 * cores 100000 iterations can take longer than that. The minimum is a legal
 * verifier, so no element has a test-only path; a camera's `password`
 * property makes verifiers of the default count. */
#define P2P_TEST_PASSWORD "secret"

/* A provisioned camera (key file, UID, password verifier) in a temporary
 * directory, and the way its elements meet: by default the in-process
 * direct signaller (p2p-core/p2p-direct-signaller.c), no server process;
 * with p2p_test_env_new_with_server(), a p2p-server on loopback (port from
 * the OS) and a registry holding the camera.
 *
 * Only tests whose subject is the server path use a server: the camera's
 * login and registration (p2p-registered, server-id, re-login after a
 * server restart), a server that cannot be reached or whose TLS is wrong
 * (tls-ca-file), media outliving a server stop, and p2p-gateway, which
 * runs in a process of its own. The rogue-server tests run their own fake
 * server. Everything else (media, login, commands, talk-back, trust on first
 * use, busy, offline and unknown cameras) goes over the direct signaller,
 * which answers a call as the server would: it vouches for the camera's
 * fingerprint, says offline while the camera is stopped and refuses other
 * UIDs. */
typedef struct
{
  gchar *dir;
  gchar *uid;
  gchar *key_file;
  gchar *fingerprint;
  gchar *password_file;
  /* The direct signaller's camera end; %NULL with a server. */
  P2pDirectSignaller *camera;
  /* With a server only. */
  gchar *registry;
  gchar *url;
  gpointer server;
} P2pTestEnv;

P2pTestEnv *p2p_test_env_new (void);

P2pTestEnv *p2p_test_env_new_with_server (void);

void p2p_test_env_free (P2pTestEnv * env);

void p2p_test_env_restart_server (P2pTestEnv * env);

void p2p_test_env_replace_camera (P2pTestEnv * env);

GstElement *p2p_test_env_pipeline (P2pTestEnv * env,
    const gchar * description, ...) G_GNUC_PRINTF (2, 3);

void p2p_test_keep_off_lan (GstElement * element);

gchar *p2p_test_make_dir (void);

void p2p_test_remove_dir (const gchar * dir);

/* A pipeline of the server path (gst-launch syntax, printf format). */
#define p2p_test_pipeline(...) p2p_test_env_pipeline (NULL, __VA_ARGS__)

GstMessage *p2p_test_wait_message (GstElement * pipeline,
    GstMessageType types, const gchar * structure_name, guint timeout_ms);

void p2p_test_start (GstElement * pipeline);

void p2p_test_stop (GstElement * pipeline);

gchar *p2p_test_h264_hash (GstBuffer * buffer, gboolean * has_sps,
    gboolean * has_pps, gboolean * has_idr);

GstSample *p2p_test_pull (GstElement * pipeline, const gchar * sink_name);

guint64 p2p_test_viewer_stat (GstElement * camera, const gchar * viewer_id,
    const gchar * field);

void p2p_test_lose_video (GstElement * viewer, gboolean lose_rtx);

void p2p_test_probe_packets (GstPad * pad, GstPadProbeCallback callback,
    gpointer data, GDestroyNotify notify);

void p2p_test_expect_ready_error (const gchar * factory,
    const gchar * expected, const gchar * first_prop, va_list args);

G_END_DECLS
