/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Offer/answer text: the caller's media sections plus our transport
 * attributes (RFC 8839 ICE, RFC 8122 fingerprint, RFC 4145 setup, RFC 5761
 * rtcp-mux, RFC 8843 BUNDLE), so that the descriptions are standard and a
 * browser or webrtcbin could be the other peer.
 *
 * Parsing uses GStreamer's SDP library; this file only validates what a
 * peer sent against the limits and grammar we rely on.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-sdp.h"
#include "p2p-transport.h"

#include <string.h>

void
p2p_sdp_transport_clear (P2pSdpTransport * transport)
{
  g_clear_pointer (&transport->ufrag, g_free);
  g_clear_pointer (&transport->pwd, g_free);
  g_clear_pointer (&transport->fingerprint, g_free);
  g_clear_pointer (&transport->setup, g_free);
  g_clear_pointer (&transport->candidates, g_ptr_array_unref);
}

static void
add_transport_attributes (GstSDPMedia * m, const P2pSdpTransport * t)
{
  guint i;

  gst_sdp_media_add_attribute (m, "ice-ufrag", t->ufrag);
  gst_sdp_media_add_attribute (m, "ice-pwd", t->pwd);
  gst_sdp_media_add_attribute (m, "ice-options", "trickle");
  gst_sdp_media_add_attribute (m, "fingerprint", t->fingerprint);
  gst_sdp_media_add_attribute (m, "setup", t->setup);
  if (t->candidates) {
    for (i = 0; i < t->candidates->len; i++)
      gst_sdp_media_add_attribute (m, "candidate",
          (const gchar *) g_ptr_array_index (t->candidates, i) +
          strlen ("candidate:"));
  }
}

/* Attributes the transport owns; copies of them in the caller's media are
 * replaced rather than duplicated. */
static gboolean
is_transport_attribute (const gchar * key)
{
  static const gchar *const keys[] = { "ice-ufrag", "ice-pwd", "ice-options",
    "fingerprint", "setup", "candidate", "end-of-candidates", "rtcp-mux",
    "mid", "group", NULL
  };

  return g_strv_contains (keys, key);
}

gchar *
p2p_sdp_build (const GstSDPMessage * media, const P2pSdpTransport * t,
    GError ** error)
{
  GstSDPMessage *msg;
  GString *bundle;
  gchar *text;
  guint i, j;

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  gst_sdp_message_set_origin (msg, "-", "0", "0", "IN", "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);

  /* Session-level copies let a description without media sections (a
   * message-channel-only session) still carry the transport. */
  gst_sdp_message_add_attribute (msg, "ice-ufrag", t->ufrag);
  gst_sdp_message_add_attribute (msg, "ice-pwd", t->pwd);
  gst_sdp_message_add_attribute (msg, "ice-options", "trickle");
  gst_sdp_message_add_attribute (msg, "fingerprint", t->fingerprint);
  gst_sdp_message_add_attribute (msg, "setup", t->setup);

  bundle = g_string_new ("BUNDLE");
  for (i = 0; media && i < gst_sdp_message_medias_len (media); i++) {
    const GstSDPMedia *src = gst_sdp_message_get_media (media, i);
    GstSDPMedia *m;
    const gchar *mid = gst_sdp_media_get_attribute_val (src, "mid");
    g_autofree gchar *mid_str = NULL;

    gst_sdp_media_new (&m);
    gst_sdp_media_set_media (m, gst_sdp_media_get_media (src));
    /* Port 9 / 0.0.0.0: addresses travel as ICE candidates (RFC 8839). */
    gst_sdp_media_set_port_info (m, 9, 0);
    gst_sdp_media_set_proto (m, "UDP/TLS/RTP/SAVPF");
    for (j = 0; j < gst_sdp_media_formats_len (src); j++)
      gst_sdp_media_add_format (m, gst_sdp_media_get_format (src, j));
    gst_sdp_media_add_connection (m, "IN", "IP4", "0.0.0.0", 0, 0);

    mid_str = mid ? g_strdup (mid) : g_strdup_printf ("%u", i);
    gst_sdp_media_add_attribute (m, "mid", mid_str);
    g_string_append_printf (bundle, " %s", mid_str);
    add_transport_attributes (m, t);
    gst_sdp_media_add_attribute (m, "rtcp-mux", "");

    for (j = 0; j < gst_sdp_media_attributes_len (src); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (src, j);

      if (!is_transport_attribute (a->key))
        gst_sdp_media_add_attribute (m, a->key, a->value);
    }
    gst_sdp_message_add_media (msg, m);
    gst_sdp_media_free (m);
  }
  if (media && gst_sdp_message_medias_len (media) > 0)
    gst_sdp_message_add_attribute (msg, "group", bundle->str);
  g_string_free (bundle, TRUE);

  text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  if (text == NULL)
    g_set_error_literal (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_SDP,
        "Could not serialise the session description");
  return text;
}

/* RFC 8839 ice-char = ALPHA / DIGIT / "+" / "/" */
static gboolean
is_ice_chars (const gchar * s, gsize min, gsize max)
{
  gsize n = 0;

  for (; *s; s++, n++) {
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  }
  return n >= min && n <= max;
}

static gboolean
is_fingerprint (const gchar * s)
{
  guint i;

  /* Only SHA-256 is accepted: weaker hashes would let a forged
   * certificate match. */
  if (g_ascii_strncasecmp (s, "sha-256 ", 8) != 0)
    return FALSE;
  s += 8;
  for (i = 0; i < 32; i++) {
    if (!g_ascii_isxdigit (s[0]) || !g_ascii_isxdigit (s[1]))
      return FALSE;
    s += 2;
    if (i < 31 && *s++ != ':')
      return FALSE;
  }
  return *s == '\0';
}

/*
 * p2p_sdp_candidate_is_valid:
 *
 * Cheap grammar check of a "candidate:…" line before libnice parses it:
 * bounded length, printable ASCII, the fields RFC 8839 requires.
 */
gboolean
p2p_sdp_candidate_is_valid (const gchar * candidate)
{
  g_auto (GStrv) fields = NULL;
  const gchar *p;

  if (candidate == NULL || !g_str_has_prefix (candidate, "candidate:"))
    return FALSE;
  if (strlen (candidate) > 512)
    return FALSE;
  for (p = candidate; *p; p++) {
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  }
  fields = g_strsplit (candidate + strlen ("candidate:"), " ", 0);
  /* foundation component transport priority address port "typ" type */
  if (g_strv_length (fields) < 8 || strcmp (fields[6], "typ") != 0)
    return FALSE;
  return TRUE;
}

/* Media-level value wins over session level, as RFC 8866 says. */
static const gchar *
lookup (const GstSDPMessage * msg, const GstSDPMedia * m, const gchar * key)
{
  const gchar *v = m ? gst_sdp_media_get_attribute_val (m, key) : NULL;

  return v ? v : gst_sdp_message_get_attribute_val (msg, key);
}

/* *INDENT-OFF* */
static gboolean sdp_error (GError ** error, const gchar * format, ...) G_GNUC_PRINTF (2, 3);
/* *INDENT-ON* */

static gboolean
sdp_error (GError ** error, const gchar * format, ...)
{
  va_list args;
  g_autofree gchar *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_SDP,
      "Invalid session description: %s", msg);
  return FALSE;
}

GstSDPMessage *
p2p_sdp_parse (const gchar * text, P2pSdpTransport * t, GError ** error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  const GstSDPMedia *first = NULL;
  const gchar *v;
  gsize len;
  guint i, j;

  memset (t, 0, sizeof (*t));

  if (text == NULL)
    return (sdp_error (error, "empty"), NULL);
  len = strlen (text);
  if (len > P2P_SDP_MAX_SIZE)
    return (sdp_error (error, "%" G_GSIZE_FORMAT " bytes, limit %d", len,
            P2P_SDP_MAX_SIZE), NULL);
  if (!g_str_has_prefix (text, "v=0"))
    return (sdp_error (error, "does not start with \"v=0\""), NULL);
  if (!g_utf8_validate (text, len, NULL))
    return (sdp_error (error, "not UTF-8 text"), NULL);

  gst_sdp_message_new (&msg);
  if (gst_sdp_message_parse_buffer ((const guint8 *) text, len, msg) !=
      GST_SDP_OK)
    return (sdp_error (error, "could not be parsed"), NULL);

  if (gst_sdp_message_medias_len (msg) > P2P_SDP_MAX_MEDIA)
    return (sdp_error (error, "%u media sections, limit %d",
            gst_sdp_message_medias_len (msg), P2P_SDP_MAX_MEDIA), NULL);
  if (gst_sdp_message_medias_len (msg) > 0)
    first = gst_sdp_message_get_media (msg, 0);

  /* With BUNDLE every section shares one transport; the first section's
   * values (or the session's) are authoritative. */
  v = lookup (msg, first, "ice-ufrag");
  if (v == NULL || !is_ice_chars (v, 4, 256))
    return (sdp_error (error, "missing or invalid a=ice-ufrag"), NULL);
  t->ufrag = g_strdup (v);

  v = lookup (msg, first, "ice-pwd");
  if (v == NULL || !is_ice_chars (v, 22, 256)) {
    p2p_sdp_transport_clear (t);
    return (sdp_error (error, "missing or invalid a=ice-pwd"), NULL);
  }
  t->pwd = g_strdup (v);

  v = lookup (msg, first, "fingerprint");
  if (v == NULL || !is_fingerprint (v)) {
    p2p_sdp_transport_clear (t);
    return (sdp_error (error, "missing or invalid a=fingerprint (a sha-256 "
            "fingerprint is required)"), NULL);
  }
  t->fingerprint = g_strdup (v);

  v = lookup (msg, first, "setup");
  if (v == NULL || !(g_str_equal (v, "actpass") || g_str_equal (v, "active")
          || g_str_equal (v, "passive"))) {
    p2p_sdp_transport_clear (t);
    return (sdp_error (error, "missing or invalid a=setup"), NULL);
  }
  t->setup = g_strdup (v);

  t->candidates = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; first && i < gst_sdp_media_attributes_len (first); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (first, i);
    g_autofree gchar *line = NULL;

    if (g_strcmp0 (a->key, "candidate") != 0 || a->value == NULL)
      continue;
    line = g_strconcat ("candidate:", a->value, NULL);
    if (!p2p_sdp_candidate_is_valid (line)) {
      p2p_sdp_transport_clear (t);
      return (sdp_error (error, "invalid a=candidate line"), NULL);
    }
    /* The size limit bounds the lines; those over the count are dropped
     * but the description stands, so that a peer offering more candidates
     * than we keep still gets its reflexive and relayed ones in: they are
     * kept before the host ones it has too many of. */
    if (t->candidates->len < P2P_SDP_MAX_CANDIDATES)
      g_ptr_array_add (t->candidates, g_steal_pointer (&line));
    else if (!g_str_has_suffix (line, " typ host")
        && strstr (line, " typ host ") == NULL) {
      guint k;

      /* Replace the last host line with this non-host one. */
      for (k = t->candidates->len; k > 0; k--) {
        const gchar *old = g_ptr_array_index (t->candidates, k - 1);

        if (strstr (old, " typ host") != NULL) {
          g_ptr_array_remove_index (t->candidates, k - 1);
          g_ptr_array_add (t->candidates, g_steal_pointer (&line));
          break;
        }
      }
    }
  }

  /* Media sections must at least name a media type and formats. */
  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);

    if (gst_sdp_media_get_media (m) == NULL
        || gst_sdp_media_formats_len (m) == 0) {
      p2p_sdp_transport_clear (t);
      return (sdp_error (error, "media section %u has no type or formats", i),
          NULL);
    }
    for (j = 0; j < gst_sdp_media_formats_len (m); j++) {
      const gchar *fmt = gst_sdp_media_get_format (m, j);
      gchar *end = NULL;
      guint64 pt = g_ascii_strtoull (fmt, &end, 10);

      if (g_str_equal (gst_sdp_media_get_proto (m) ? gst_sdp_media_get_proto
              (m) : "", "UDP/TLS/RTP/SAVPF") && (end == fmt || *end != '\0'
              || pt > 127)) {
        p2p_sdp_transport_clear (t);
        return (sdp_error (error, "media section %u has payload type \"%s\"",
                i, fmt), NULL);
      }
    }
  }

  return g_steal_pointer (&msg);
}
