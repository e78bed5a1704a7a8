/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* The signalling protocol (docs/protocol.md) as one definition, shared by
 * its client (p2p-core's P2pSignalling) and its server (p2p-server): the
 * limits here, the error codes (p2p-protocol-error.h), the UID format
 * (p2p-protocol-uid.h), the signed login (p2p-protocol-login.h) and the
 * STUN and TURN URIs handed to clients (p2p-protocol-ice-uri.h), and how
 * a message's string members are read (p2p-protocol-message.h). */

#include "p2p-protocol-error.h"
#include "p2p-protocol-ice-uri.h"
#include "p2p-protocol-login.h"
#include "p2p-protocol-message.h"
#include "p2p-protocol-uid.h"

G_BEGIN_DECLS
/**
 * P2P_PROTOCOL_VERSION:
 *
 * The version `hello` names.
 */
#define P2P_PROTOCOL_VERSION 1
/**
 * P2P_PROTOCOL_SUBPROTOCOL:
 *
 * The WebSocket sub-protocol name.
 */
#define P2P_PROTOCOL_SUBPROTOCOL "p2p-signalling-1"
/**
 * P2P_PROTOCOL_MAX_MESSAGE:
 *
 * Largest message, in bytes (§2).
 */
#define P2P_PROTOCOL_MAX_MESSAGE (64 * 1024)
/**
 * P2P_PROTOCOL_MAX_DEPTH:
 *
 * Deepest nesting of JSON objects and arrays, the message being 1.
 */
#define P2P_PROTOCOL_MAX_DEPTH 8
/**
 * P2P_PROTOCOL_MAX_SDP:
 *
 * Longest `sdp`, in bytes.
 */
#define P2P_PROTOCOL_MAX_SDP (32 * 1024)
/**
 * P2P_PROTOCOL_MAX_CANDIDATE:
 *
 * Longest `candidate`, in bytes.
 */
#define P2P_PROTOCOL_MAX_CANDIDATE 1024
/**
 * P2P_PROTOCOL_CALL_ID_LENGTH:
 *
 * Length of a call id: base64url of 16 random bytes, unpadded.
 */
#define P2P_PROTOCOL_CALL_ID_LENGTH 22
/**
 * P2P_PROTOCOL_NONCE_LENGTH:
 *
 * Length of a login nonce: base64 of 32 bytes.
 */
#define P2P_PROTOCOL_NONCE_LENGTH 44
G_END_DECLS
