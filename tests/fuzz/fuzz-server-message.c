/* Fuzz target: signalling messages as p2p-server reads them
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The input is one WebSocket text frame from an unauthenticated client:
 * the server's message parser (strict JSON, depth limit, a "type"
 * string), then the field readers and the UID check its handlers apply,
 * with the bounds broker.c uses. */

#include "signalling-message.h"
#include "p2p-protocol-uid.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static const struct
{
  const gchar *name;
  gsize min, max;
} fields[] = {
  {"type", 1, 32},
  {"role", 1, 16},
  {"uid", 1, 64},
  {"agent", 0, 128},
  {"nonce", 1, 64},
  {"signature", 1, 512},
  {"call", 22, 22},
  {"sdp", 1, 16384},
  {"candidate", 0, 1024},
  {"mid", 0, 32},
  {"reason", 0, 256},
};

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) msg = NULL;
  JsonNode *id = NULL;
  guint i;

  /* Frames reach the parser as they came off the wire: not terminated. */
  msg = p2p_signalling_message_parse ((const gchar *) data, size, &error);
  if (!msg) {
    /* Every refusal carries one of the protocol's codes. */
    g_assert (error != NULL && error->domain == P2P_PROTOCOL_ERROR);
    g_assert (p2p_protocol_error_to_string (error->code) != NULL);
    return 0;
  }
  g_assert (error == NULL);

  if (p2p_signalling_message_get_id (msg, &id, NULL) && id)
    json_node_unref (id);
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    g_autoptr (GError) err = NULL;
    const gchar *value;
    gboolean ok = p2p_protocol_get_string (msg, fields[i].name,
        fields[i].min, fields[i].max, TRUE, &value, &err);

    g_assert (ok == (value != NULL) && ok == (err == NULL));
    if (value) {
      g_assert (strlen (value) >= fields[i].min);
      g_assert (strlen (value) <= fields[i].max);
    }
    if (value && g_str_equal (fields[i].name, "uid")) {
      g_autofree gchar *uid = p2p_uid_normalize (value, NULL);

      g_assert (uid == NULL || strlen (uid) == 19);
    }
  }
  return 0;
}
