/* Fuzz target: what a camera and a viewer read from each other in p2p
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a camera and a viewer read from each other: the login messages of
 * the message channel (each fed to both sides of a fresh login), a
 * password file's verifier, and the RTCP feedback a viewer sends the
 * camera. */

#include "gstp2pfeedback.h"

#include <p2p-core/p2p-password-verifier.h>
#include <p2p-core/p2p-viewer-auth.h>

#include <string.h>
#include <gst/gst.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

typedef struct
{
  guint nacks;
  guint arrivals;
} Count;

static void
on_report (guint32 ssrc, guint8 fraction_lost, guint32 lsr, guint32 dlsr,
    gpointer user_data)
{
}

static void
on_picture_loss (gboolean fir, gpointer user_data)
{
}

static void
on_nack (guint32 media_ssrc, guint16 seq, gpointer user_data)
{
  ((Count *) user_data)->nacks++;
}

static void
on_transport_cc (guint8 feedback_count, const P2pPacketArrival * arrivals,
    guint n_arrivals, gpointer user_data)
{
  ((Count *) user_data)->arrivals += n_arrivals;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static const GstP2pFeedbackHandlers handlers = {
    on_report, on_picture_loss, on_nack, on_transport_cc
  };
  GBytes *bytes = g_bytes_new (data, size);
  gchar *text = g_strndup ((const gchar *) data, size);
  static P2pPasswordVerifier *verifier;
  P2pViewerAuth *camera, *viewer;
  GBytes *exporter;
  Count count = { 0 };

  /* RTCP is read through GstBuffer: the type system must be up. */
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  if (verifier == NULL)
    verifier = p2p_password_verifier_new ("fuzz", 1000, NULL);

  /* The camera after its parameters; the viewer before them, without a
   * password so that no input costs the password hash. */
  exporter = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  camera = p2p_viewer_auth_new_camera ("FUZZ", verifier, exporter);
  viewer = p2p_viewer_auth_new_viewer ("FUZZ", NULL, exporter);
  g_bytes_unref (p2p_viewer_auth_start (camera));
  for (guint i = 0; i < 2; i++) {
    P2pViewerAuth *side = i ? viewer : camera;
    GBytes *reply = NULL;

    if (!p2p_viewer_auth_receive (side, bytes, &reply, NULL))
      g_assert (p2p_viewer_auth_get_state (side) ==
          P2P_VIEWER_AUTH_STATE_REFUSED);
    if (reply)
      g_assert (g_bytes_get_size (reply) <= P2P_VIEWER_AUTH_MAX_MESSAGE);
    g_clear_pointer (&reply, g_bytes_unref);
  }
  g_object_unref (camera);
  g_object_unref (viewer);
  g_bytes_unref (exporter);

  /* Plain passwords would be hashed (slow on purpose): only verifiers. */
  if (g_str_has_prefix (text, "spake2plus-p256$")
      || g_str_has_prefix (text, "pbkdf2-sha256$"))
    p2p_password_verifier_free (p2p_password_verifier_parse (text, NULL));

  gst_p2p_feedback_parse (data, size, &handlers, &count);
  g_assert_cmpuint (count.nacks, <=, 256);
  /* Bounded however many packets a feedback packet claims. */
  g_assert_cmpuint (count.arrivals, <=, 1024 * (size / 4));

  g_free (text);
  g_bytes_unref (bytes);
  return 0;
}
