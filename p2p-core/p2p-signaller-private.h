/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-signaller.h"

G_BEGIN_DECLS
/* What every signaller sends and accepts: the P2pSignaller methods check
 * their arguments with these before an implementation sees them, and the
 * implementations check what they receive with the same ones. Each sets a
 * P2P_SIGNALLING_ERROR_INVALID_ARGUMENT error naming the field. */

/* Printable ASCII only: such values end up in logs and GError messages. */
G_GNUC_INTERNAL gboolean p2p_signaller_is_printable (const gchar * s);

/* The canonical form of a UID (upper case, O→0, I/L→1), or NULL when it
 * is not of the form XXXX-XXXX-XXXX-XXXX. Free with g_free(). */
G_GNUC_INTERNAL gchar *p2p_signaller_normalise_uid (const gchar * uid);

/* An SDP of @type ("offer", "answer"): 1 to P2P_SIGNALLING_MAX_SDP bytes of
 * UTF-8. */
G_GNUC_INTERNAL gboolean p2p_signaller_check_sdp (const gchar * type,
    const gchar * sdp, GError ** error);

/* A `candidate:` attribute value or "" (end-of-candidates), at most
 * P2P_SIGNALLING_MAX_CANDIDATE printable bytes; @mid NULL or at most 32
 * printable bytes. */
G_GNUC_INTERNAL gboolean p2p_signaller_check_candidate (const gchar *
    candidate, const gchar * mid, GError ** error);

/* A call end's reason: NULL or at most 256 printable bytes. */
G_GNUC_INTERNAL gboolean p2p_signaller_check_reason (const gchar * reason,
    GError ** error);

G_END_DECLS
