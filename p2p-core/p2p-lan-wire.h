/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS
/* The local-network protocol (docs/protocol.md, "Local network"): the
 * discovery datagrams and the messages of a call's TCP connection. Pure
 * functions, no I/O, so that they can be tested and fuzzed alone.
 *
 * Whoever knows a camera's UID can find it; nobody else learns the UID:
 * UIDs travel only as HMAC-SHA256 tags keyed with the normalised UID, over
 * nonces of the asker's choosing. */
#define P2P_LAN_NONCE_SIZE 16
#define P2P_LAN_TAG_SIZE 32
/* A query is larger than an answer, so that answering is no amplifier. */
#define P2P_LAN_QUERY_SIZE 64
#define P2P_LAN_ANSWER_SIZE 56
/* The longest call message, in bytes, without its 4-byte length. */
#define P2P_LAN_MAX_MESSAGE (64 * 1024)
    typedef struct
{
  guint8 nonce[P2P_LAN_NONCE_SIZE];
  guint8 tag[P2P_LAN_TAG_SIZE];
} P2pLanQuery;

typedef struct
{
  guint16 port;
  guint8 nonce[P2P_LAN_NONCE_SIZE];
  guint8 tag[P2P_LAN_TAG_SIZE];
} P2pLanAnswer;

/* @uid is normalised (p2p_signaller_normalise_uid()). */
G_GNUC_INTERNAL void p2p_lan_query_build (const gchar * uid,
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint8 out[P2P_LAN_QUERY_SIZE]);

/* Checks the form only (size, magic, version, type, zero padding). */
G_GNUC_INTERNAL gboolean p2p_lan_query_parse (const guint8 * data,
    gsize len, P2pLanQuery * query);

/* Whether @query asks for @uid; constant time. */
G_GNUC_INTERNAL gboolean p2p_lan_query_matches (const P2pLanQuery * query,
    const gchar * uid);

/* The answer of the camera @uid, whose calls go to TCP @port, to a query
 * with @query_nonce. */
G_GNUC_INTERNAL void p2p_lan_answer_build (const gchar * uid,
    const guint8 query_nonce[P2P_LAN_NONCE_SIZE],
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint16 port,
    guint8 out[P2P_LAN_ANSWER_SIZE]);

G_GNUC_INTERNAL gboolean p2p_lan_answer_parse (const guint8 * data,
    gsize len, P2pLanAnswer * answer);

/* Whether @answer comes from a camera that knows @uid and saw the query
 * with @query_nonce; constant time. */
G_GNUC_INTERNAL gboolean p2p_lan_answer_matches (const P2pLanAnswer * answer,
    const gchar * uid, const guint8 query_nonce[P2P_LAN_NONCE_SIZE]);

/* The viewer's proof, in its `call` message, that it knows @uid: a tag over
 * the nonce of the camera's `hello`. */
G_GNUC_INTERNAL void p2p_lan_call_proof (const gchar * uid,
    const guint8 nonce[P2P_LAN_NONCE_SIZE], guint8 out[P2P_LAN_TAG_SIZE]);

typedef enum
{
  P2P_LAN_MESSAGE_HELLO,
  P2P_LAN_MESSAGE_CALL,
  P2P_LAN_MESSAGE_ACCEPT,
  P2P_LAN_MESSAGE_OFFER,
  P2P_LAN_MESSAGE_ANSWER,
  P2P_LAN_MESSAGE_CANDIDATE,
  P2P_LAN_MESSAGE_END,
} P2pLanMessageType;

/* One message of a call's connection. @nonce for hello, @proof for call,
 * @text for offer and answer (the SDP), candidate (the attribute, "" for
 * end-of-candidates) and end (the reason, may be NULL), @mid for
 * candidate (may be NULL). */
typedef struct
{
  P2pLanMessageType type;
  guint8 nonce[P2P_LAN_NONCE_SIZE];
  guint8 proof[P2P_LAN_TAG_SIZE];
  gchar *text;
  gchar *mid;
} P2pLanMessage;

/* Parses one message (the bytes after the length). Strict: a JSON object
 * with exactly the members its type has, each of the right type and form
 * (p2p-signaller-private.h). Errors are P2P_SIGNALLING_ERROR_PROTOCOL or
 * _TOO_LARGE. */
G_GNUC_INTERNAL gboolean p2p_lan_message_parse (const gchar * data,
    gsize len, P2pLanMessage * msg, GError ** error);

G_GNUC_INTERNAL void p2p_lan_message_clear (P2pLanMessage * msg);

/* @msg as a frame to send: 4-byte big-endian length, then the JSON; NULL
 * when the JSON would be longer than P2P_LAN_MAX_MESSAGE. */
G_GNUC_INTERNAL GBytes *p2p_lan_message_to_frame (const P2pLanMessage * msg);

/* The length of the message a 4-byte header announces, or 0 when it is 0
 * or larger than P2P_LAN_MAX_MESSAGE. */
G_GNUC_INTERNAL gsize p2p_lan_frame_length (const guint8 header[4]);

G_END_DECLS
