/* Fuzz target: what a camera and a viewer read from each other in p2p
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The p2p plugin's own parsers of peer input: the credential messages of
 * the message channel (both directions), a password file's verifier, and
 * the RTCP feedback a viewer sends the camera. */

#include "gstp2pauth.h"
#include "gstp2pfeedback.h"

#include <string.h>
#include <gst/gst.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

typedef struct
{
  guint nacks;
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

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static const GstP2pFeedbackHandlers handlers = {
    on_report, on_picture_loss, on_nack
  };
  GBytes *bytes = g_bytes_new (data, size);
  gchar *text = g_strndup ((const gchar *) data, size);
  gchar *password, *reason = NULL, *message = NULL;
  Count count = { 0 };

  /* RTCP is read through GstBuffer: the type system must be up. */
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  password = gst_p2p_auth_request_parse (bytes, NULL);
  g_free (password);
  if (gst_p2p_auth_result_parse (bytes, &reason, &message, NULL))
    /* A refusal always comes with both, bounded. */
    g_assert (!reason || (message && strlen (reason) <= 64
            && strlen (message) <= 256));
  g_free (reason);
  g_free (message);

  /* Plain passwords would be hashed (slow on purpose): only verifiers. */
  if (g_str_has_prefix (text, "pbkdf2-sha256$")) {
    GstP2pVerifier *v = gst_p2p_verifier_parse (text, NULL);

    gst_p2p_verifier_free (v);
  }

  gst_p2p_feedback_parse (data, size, &handlers, &count);
  g_assert_cmpuint (count.nacks, <=, 256);

  g_free (text);
  g_bytes_unref (bytes);
  return 0;
}
