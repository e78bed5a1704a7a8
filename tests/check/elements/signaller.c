/* p2psink and p2psrc over an in-process signaller: no server process
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"

#include <gst/app/gstappsink.h>
#include <p2p-core/p2p-core.h>

#define UID "7KQ2-M9XD-4HPA-R3MJ"

#define CAMERA \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 " \
  "aud=false ! p2psink name=cam uid=" UID " key-file=%s password-file=%s"

/* The connection time-out stretches with the sanitizers, as the waits
 * do. */
#define VIEWER \
  "p2psrc name=src uid=" UID " password=%s timeout=%d " \
  "known-cameras-file=\"\" %s ! " \
  "video/x-h264,stream-format=byte-stream,alignment=au ! " \
  "appsink name=out sync=false max-buffers=300"

/* The camera's password "secret" as a verifier of few PBKDF2 iterations:
 * the viewer derives its keys with the camera's count, and 100000
 * iterations (the default) took the viewer longer than the camera's 10 s
 * login time-out under the `asan` setup, whose slow unwinder runs on
 * every allocation, and OpenSSL 3 allocates in every iteration. */
#define VERIFIER_ITERATIONS 1000

typedef struct
{
  gchar *dir;
  gchar *key_file;
  gchar *password_file;
  P2pIdentity *identity;
} Camera;

/* A camera identity in a key file of its own, with its verifier, in a
 * directory of its own (removed by camera_free(), else by a later test). */
static Camera *
camera_new (void)
{
  Camera *c = g_new0 (Camera, 1);
  g_autofree gchar *cert = NULL, *key = NULL, *pem = NULL, *text = NULL;
  P2pPasswordVerifier *verifier;
  GError *err = NULL;

  c->dir = p2p_test_make_dir ();
  c->identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, UID, 30, &err);
  fail_unless (c->identity != NULL);
  cert = p2p_identity_get_certificate_pem (c->identity);
  key = p2p_identity_get_private_key_pem (c->identity, &err);
  pem = g_strconcat (key, cert, NULL);
  c->key_file = g_build_filename (c->dir, "camera.pem", NULL);
  fail_unless (g_file_set_contents (c->key_file, pem, -1, &err));
  verifier = p2p_password_verifier_new ("secret", VERIFIER_ITERATIONS, &err);
  fail_unless (verifier != NULL);
  text = p2p_password_verifier_to_string (verifier);
  p2p_password_verifier_free (verifier);
  c->password_file = g_build_filename (c->dir, "password", NULL);
  fail_unless (g_file_set_contents (c->password_file, text, -1, &err));
  return c;
}

static void
camera_free (Camera * c)
{
  p2p_test_remove_dir (c->dir);
  g_free (c->key_file);
  g_free (c->password_file);
  g_free (c->dir);
  g_object_unref (c->identity);
  g_free (c);
}

static void
set_signaller (GstElement * pipeline, const gchar * name, gpointer signaller)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_object_set (e, "signaller", signaller, NULL);
  gst_object_unref (e);
}

/* Plays a camera and a viewer over @device and @viewer (signallers, taken)
 * until the viewer's first frame, then stops both. */
static void
play_to_first_frame (Camera * c, gpointer device, gpointer viewer,
    const gchar * what)
{
  GstElement *cam = p2p_test_pipeline (CAMERA, c->key_file,
      c->password_file);
  GstElement *view = p2p_test_pipeline (VIEWER, "secret",
      5000 * p2p_test_time_scale (), "");
  GstSample *sample;

  set_signaller (cam, "cam", device);
  set_signaller (view, "src", viewer);
  p2p_test_start (cam);
  p2p_test_start (view);
  sample = p2p_test_pull (view, "out");
  fail_unless (sample != NULL, "no frame over %s", what);
  gst_sample_unref (sample);
  p2p_test_stop (view);
  p2p_test_stop (cam);
  g_object_unref (device);
  g_object_unref (viewer);
}

/* A viewer and a camera in one process: the media flows, with the
 * password login, over the in-process signaller. */
GST_START_TEST (test_direct_call)
{
  Camera *c = camera_new ();
  P2pDirectSignaller *device, *viewer;

  p2p_direct_signaller_new_pair (NULL, UID,
      p2p_identity_get_fingerprint (c->identity), &device, &viewer);
  play_to_first_frame (c, device, viewer, "the direct signaller");
  camera_free (c);
}

GST_END_TEST;

/* The same over the local network's signaller, on loopback: discovery,
 * the call on TCP, then the media; nothing vouches for the certificate, the
 * password login proves the camera. */
GST_START_TEST (test_lan_call)
{
  Camera *c = camera_new ();
  P2pLanSignaller *device, *viewer;
  g_autofree gchar *target = NULL;
  const gchar *targets[2] = { NULL, NULL };
  guint port;

  device = g_object_new (P2P_TYPE_LAN_SIGNALLER, "uid", UID,
      "discovery-port", 0, "interfaces", FALSE, NULL);
  /* Started here to learn its port; the element's start is then a no-op. */
  p2p_signaller_start (P2P_SIGNALLER (device));
  port = p2p_lan_signaller_get_bound_port (device);
  fail_unless (port != 0);
  target = g_strdup_printf ("127.0.0.1:%u", port);
  targets[0] = target;
  viewer = g_object_new (P2P_TYPE_LAN_SIGNALLER, "discovery-port", port,
      "interfaces", FALSE, "targets", targets, NULL);
  play_to_first_frame (c, device, viewer, "the local network");
  camera_free (c);
}

GST_END_TEST;

/* Another certificate than the pinned one, over a signaller that vouches
 * for none (as the local network): refused, whatever carried the call. */
GST_START_TEST (test_rogue_camera_refused)
{
  Camera *real = camera_new (), *rogue = camera_new ();
  P2pDirectSignaller *device, *viewer;
  GstElement *cam, *view;
  g_autofree gchar *pin = NULL;
  GstMessage *msg;
  GstElement *out;
  GstSample *sample;

  p2p_direct_signaller_new_pair (NULL, UID, NULL, &device, &viewer);
  cam = p2p_test_pipeline (CAMERA, rogue->key_file, rogue->password_file);
  set_signaller (cam, "cam", device);
  pin = g_strdup_printf ("device-fingerprint=\"%s\"",
      p2p_identity_get_fingerprint (real->identity));
  view = p2p_test_pipeline (VIEWER, "secret",
      5000 * p2p_test_time_scale (), pin);
  set_signaller (view, "src", viewer);

  p2p_test_start (cam);
  p2p_test_start (view);
  msg = p2p_test_wait_message (view, GST_MESSAGE_ERROR, NULL, P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "the rogue camera was not refused");
  gst_message_unref (msg);
  out = gst_bin_get_by_name (GST_BIN (view), "out");
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 0);
  fail_unless (sample == NULL, "media from the rogue camera");
  gst_object_unref (out);

  p2p_test_stop (view);
  p2p_test_stop (cam);
  g_object_unref (device);
  g_object_unref (viewer);
  camera_free (real);
  camera_free (rogue);
}

GST_END_TEST;

static Suite *
signaller_suite (void)
{
  Suite *s = suite_create ("signaller");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_direct_call);
  tcase_add_test (tc, test_lan_call);
  tcase_add_test (tc, test_rogue_camera_refused);
  return s;
}

GST_CHECK_MAIN (signaller);
