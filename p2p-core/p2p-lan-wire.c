/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The local-network wire format; see p2p-lan-wire.h and docs/protocol.md.
 *
 * Datagrams (UDP), all integers big-endian:
 *   query  (64 bytes): "P2PL" 0x01 0x01 0x0000 nonce[16] tag[32] zero[8]
 *          tag = HMAC-SHA256(uid, "p2p-lan query" | nonce)
 *   answer (56 bytes): "P2PL" 0x01 0x02 port[2] nonce[16] tag[32]
 *          tag = HMAC-SHA256(uid, "p2p-lan answer" | query nonce | nonce
 *                | port)
 * Call messages (TCP): a 4-byte length, then a JSON object. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-lan-wire.h"
#include "p2p-json.h"
#include "p2p-signaller-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAGIC "P2PL"
#define WIRE_VERSION 1
#define TYPE_QUERY 1
#define TYPE_ANSWER 2

#define QUERY_LABEL "p2p-lan query"
#define ANSWER_LABEL "p2p-lan answer"
#define CALL_LABEL "p2p-lan call"

/* HMAC-SHA256 keyed with @uid over @label and up to three parts. */
static void
tag (const gchar * uid, const gchar * label, const guint8 * a, gsize a_len,
    const guint8 * b, gsize b_len, const guint8 * c, gsize c_len,
    guint8 out[P2P_LAN_TAG_SIZE])
{
  guint8 buf[64];
  gsize n = 0, label_len = strlen (label);
  unsigned int out_len = P2P_LAN_TAG_SIZE;

  g_assert (label_len + a_len + b_len + c_len <= sizeof (buf));
  memcpy (buf + n, label, label_len);
  n += label_len;
  if (a_len)
    memcpy (buf + n, a, a_len);
  n += a_len;
  if (b_len)
    memcpy (buf + n, b, b_len);
  n += b_len;
  if (c_len)
    memcpy (buf + n, c, c_len);
  n += c_len;
  if (HMAC (EVP_sha256 (), uid, strlen (uid), buf, n, out, &out_len) == NULL)
    g_error ("HMAC-SHA256 failed");
}

static void
header (guint8 * out, guint8 type)
{
  memcpy (out, MAGIC, 4);
  out[4] = WIRE_VERSION;
  out[5] = type;
}

static gboolean
header_is (const guint8 * data, guint8 type)
{
  return memcmp (data, MAGIC, 4) == 0 && data[4] == WIRE_VERSION
      && data[5] == type;
}

static gboolean
all_zero (const guint8 * data, gsize len)
{
  guint8 bits = 0;
  gsize i;

  for (i = 0; i < len; i++)
    bits |= data[i];
  return bits == 0;
}

void
p2p_lan_query_build (const gchar * uid,
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint8 out[P2P_LAN_QUERY_SIZE])
{
  memset (out, 0, P2P_LAN_QUERY_SIZE);
  header (out, TYPE_QUERY);
  memcpy (out + 8, nonce, P2P_LAN_NONCE_SIZE);
  tag (uid, QUERY_LABEL, nonce, P2P_LAN_NONCE_SIZE, NULL, 0, NULL, 0,
      out + 8 + P2P_LAN_NONCE_SIZE);
}

gboolean
p2p_lan_query_parse (const guint8 * data, gsize len, P2pLanQuery * query)
{
  const gsize pad = 8 + P2P_LAN_NONCE_SIZE + P2P_LAN_TAG_SIZE;

  if (len != P2P_LAN_QUERY_SIZE || !header_is (data, TYPE_QUERY)
      || !all_zero (data + 6, 2)
      || !all_zero (data + pad, P2P_LAN_QUERY_SIZE - pad))
    return FALSE;
  memcpy (query->nonce, data + 8, P2P_LAN_NONCE_SIZE);
  memcpy (query->tag, data + 8 + P2P_LAN_NONCE_SIZE, P2P_LAN_TAG_SIZE);
  return TRUE;
}

gboolean
p2p_lan_query_matches (const P2pLanQuery * query, const gchar * uid)
{
  guint8 expected[P2P_LAN_TAG_SIZE];

  tag (uid, QUERY_LABEL, query->nonce, P2P_LAN_NONCE_SIZE, NULL, 0, NULL, 0,
      expected);
  return CRYPTO_memcmp (expected, query->tag, P2P_LAN_TAG_SIZE) == 0;
}

void
p2p_lan_answer_build (const gchar * uid,
    const guint8 query_nonce[P2P_LAN_NONCE_SIZE],
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint16 port,
    guint8 out[P2P_LAN_ANSWER_SIZE])
{
  guint8 be_port[2] = { port >> 8, port & 0xff };

  header (out, TYPE_ANSWER);
  memcpy (out + 6, be_port, 2);
  memcpy (out + 8, nonce, P2P_LAN_NONCE_SIZE);
  tag (uid, ANSWER_LABEL, query_nonce, P2P_LAN_NONCE_SIZE, nonce,
      P2P_LAN_NONCE_SIZE, be_port, 2, out + 8 + P2P_LAN_NONCE_SIZE);
}

gboolean
p2p_lan_answer_parse (const guint8 * data, gsize len, P2pLanAnswer * answer)
{
  if (len != P2P_LAN_ANSWER_SIZE || !header_is (data, TYPE_ANSWER))
    return FALSE;
  answer->port = (data[6] << 8) | data[7];
  if (answer->port == 0)
    return FALSE;
  memcpy (answer->nonce, data + 8, P2P_LAN_NONCE_SIZE);
  memcpy (answer->tag, data + 8 + P2P_LAN_NONCE_SIZE, P2P_LAN_TAG_SIZE);
  return TRUE;
}

gboolean
p2p_lan_answer_matches (const P2pLanAnswer * answer, const gchar * uid,
    const guint8 query_nonce[P2P_LAN_NONCE_SIZE])
{
  guint8 expected[P2P_LAN_TAG_SIZE];
  guint8 be_port[2] = { answer->port >> 8, answer->port & 0xff };

  tag (uid, ANSWER_LABEL, query_nonce, P2P_LAN_NONCE_SIZE, answer->nonce,
      P2P_LAN_NONCE_SIZE, be_port, 2, expected);
  return CRYPTO_memcmp (expected, answer->tag, P2P_LAN_TAG_SIZE) == 0;
}

void
p2p_lan_call_proof (const gchar * uid,
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint8 out[P2P_LAN_TAG_SIZE])
{
  tag (uid, CALL_LABEL, nonce, P2P_LAN_NONCE_SIZE, NULL, 0, NULL, 0, out);
}

/* ---- call messages ---- */

static const gchar *const type_names[] = {
  [P2P_LAN_MESSAGE_HELLO] = "hello",
  [P2P_LAN_MESSAGE_CALL] = "call",
  [P2P_LAN_MESSAGE_ACCEPT] = "accept",
  [P2P_LAN_MESSAGE_OFFER] = "offer",
  [P2P_LAN_MESSAGE_ANSWER] = "answer",
  [P2P_LAN_MESSAGE_CANDIDATE] = "candidate",
  [P2P_LAN_MESSAGE_END] = "end",
};

/* The members each type has besides "type"; a NULL slot ends the list,
 * the first is required unless the type's entry says otherwise. */
static const struct
{
  const gchar *required;
  const gchar *optional;
} type_members[] = {
  [P2P_LAN_MESSAGE_HELLO] = {"nonce", NULL},
  [P2P_LAN_MESSAGE_CALL] = {"proof", NULL},
  [P2P_LAN_MESSAGE_ACCEPT] = {NULL, NULL},
  [P2P_LAN_MESSAGE_OFFER] = {"sdp", NULL},
  [P2P_LAN_MESSAGE_ANSWER] = {"sdp", NULL},
  [P2P_LAN_MESSAGE_CANDIDATE] = {"candidate", "mid"},
  [P2P_LAN_MESSAGE_END] = {NULL, "reason"},
};

static gboolean
protocol_error (GError ** error, const gchar * what)
{
  g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
      "Malformed local-network message: %s", what);
  return FALSE;
}

/* The string member @name, or NULL when it is absent or not a string. */
static const gchar *
get_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Canonical base64 of exactly @size bytes. */
static gboolean
decode_fixed (const gchar * text, guint8 * out, gsize size)
{
  g_autofree guint8 *raw = NULL;
  g_autofree gchar *again = NULL;
  gsize len;

  if (strlen (text) != (size + 2) / 3 * 4)
    return FALSE;
  raw = g_base64_decode (text, &len);
  if (len != size)
    return FALSE;
  again = g_base64_encode (raw, len);
  if (strcmp (again, text) != 0)
    return FALSE;
  memcpy (out, raw, size);
  return TRUE;
}

gboolean
p2p_lan_message_parse (const gchar * data, gsize len, P2pLanMessage * msg,
    GError ** error)
{
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) json_error = NULL;
  g_autoptr (GError) check_error = NULL;
  g_autoptr (GList) members = NULL;
  const gchar *type, *value, *mid = NULL;
  GList *l;
  guint i;

  memset (msg, 0, sizeof (*msg));
  if (len > P2P_LAN_MAX_MESSAGE) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_TOO_LARGE,
        "Local-network message of %" G_GSIZE_FORMAT " bytes", len);
    return FALSE;
  }
  /* Flat objects only: depth 1. */
  obj = p2p_json_parse_object_full (data, len, P2P_LAN_MAX_MESSAGE, 1,
      &json_error);
  if (obj == NULL)
    return protocol_error (error, json_error->message);

  type = get_string (obj, "type");
  if (type == NULL)
    return protocol_error (error, "no type");
  for (i = 0; i < G_N_ELEMENTS (type_names); i++) {
    if (strcmp (type, type_names[i]) == 0)
      break;
  }
  if (i == G_N_ELEMENTS (type_names))
    return protocol_error (error, "unknown type");
  msg->type = i;

  members = json_object_get_members (obj);
  for (l = members; l; l = l->next) {
    if (strcmp (l->data, "type") != 0
        && g_strcmp0 (l->data, type_members[i].required) != 0
        && g_strcmp0 (l->data, type_members[i].optional) != 0)
      return protocol_error (error, "unexpected member");
    if (get_string (obj, l->data) == NULL)
      return protocol_error (error, "a member is not a string");
  }
  value = type_members[i].required ? get_string (obj,
      type_members[i].required) : NULL;
  if (type_members[i].required && value == NULL)
    return protocol_error (error, "a member is missing");

  switch (msg->type) {
    case P2P_LAN_MESSAGE_HELLO:
      if (!decode_fixed (value, msg->nonce, P2P_LAN_NONCE_SIZE))
        return protocol_error (error, "bad nonce");
      break;
    case P2P_LAN_MESSAGE_CALL:
      if (!decode_fixed (value, msg->proof, P2P_LAN_TAG_SIZE))
        return protocol_error (error, "bad proof");
      break;
    case P2P_LAN_MESSAGE_ACCEPT:
      break;
    case P2P_LAN_MESSAGE_OFFER:
    case P2P_LAN_MESSAGE_ANSWER:
      if (!p2p_signaller_check_sdp (type, value, &check_error))
        return protocol_error (error, check_error->message);
      msg->text = g_strdup (value);
      break;
    case P2P_LAN_MESSAGE_CANDIDATE:
      mid = get_string (obj, "mid");
      if (!p2p_signaller_check_candidate (value, mid, &check_error))
        return protocol_error (error, check_error->message);
      msg->text = g_strdup (value);
      msg->mid = g_strdup (mid);
      break;
    case P2P_LAN_MESSAGE_END:
      value = get_string (obj, "reason");
      if (!p2p_signaller_check_reason (value, &check_error))
        return protocol_error (error, check_error->message);
      msg->text = g_strdup (value);
      break;
  }
  return TRUE;
}

void
p2p_lan_message_clear (P2pLanMessage * msg)
{
  g_clear_pointer (&msg->text, g_free);
  g_clear_pointer (&msg->mid, g_free);
}

GBytes *
p2p_lan_message_to_frame (const P2pLanMessage * msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *encoded = NULL;
  const gchar *member = type_members[msg->type].required;
  gchar *text;
  gsize len;
  guint8 *frame;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type_names[msg->type]);
  switch (msg->type) {
    case P2P_LAN_MESSAGE_HELLO:
      encoded = g_base64_encode (msg->nonce, P2P_LAN_NONCE_SIZE);
      break;
    case P2P_LAN_MESSAGE_CALL:
      encoded = g_base64_encode (msg->proof, P2P_LAN_TAG_SIZE);
      break;
    case P2P_LAN_MESSAGE_END:
      member = msg->text ? "reason" : NULL;
      break;
    default:
      break;
  }
  if (member) {
    json_builder_set_member_name (builder, member);
    json_builder_add_string_value (builder, encoded ? encoded : msg->text);
  }
  if (msg->type == P2P_LAN_MESSAGE_CANDIDATE && msg->mid) {
    json_builder_set_member_name (builder, "mid");
    json_builder_add_string_value (builder, msg->mid);
  }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);
  /* Escaping can make a valid SDP (control characters) too long. */
  if (len > P2P_LAN_MAX_MESSAGE) {
    g_free (text);
    return NULL;
  }
  frame = g_malloc (len + 4);
  frame[0] = len >> 24;
  frame[1] = (len >> 16) & 0xff;
  frame[2] = (len >> 8) & 0xff;
  frame[3] = len & 0xff;
  memcpy (frame + 4, text, len);
  g_free (text);
  return g_bytes_new_take (frame, len + 4);
}

gsize
p2p_lan_frame_length (const guint8 header[4])
{
  guint32 len = ((guint32) header[0] << 24) | (header[1] << 16)
      | (header[2] << 8) | header[3];

  if (len == 0 || len > P2P_LAN_MAX_MESSAGE)
    return 0;
  return len;
}
