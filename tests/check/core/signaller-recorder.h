/* p2p-core tests: what a P2pSignaller emits, as text lines
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <p2p-core/p2p-core.h>

G_BEGIN_DECLS

/* Every signal of the P2pSignaller interface, as one line per emission:
 * "incoming-call CALL", "call-started UID CALL FINGERPRINT|-",
 * "call-failed UID CODE", "remote-offer CALL SDP", "remote-answer CALL SDP",
 * "remote-candidate CALL CANDIDATE MID|-", "call-ended CALL REASON|-",
 * "call-error CALL CODE", "error CODE". */
typedef struct _SignallerRecorder SignallerRecorder;

SignallerRecorder *signaller_recorder_new (P2pSignaller * signaller);

/* The next line, waiting at most 5 s (fails the test after that). */
gchar *signaller_recorder_pop (SignallerRecorder * self);

/* The next line within @timeout_ms, or NULL. */
gchar *signaller_recorder_try_pop (SignallerRecorder * self,
    guint timeout_ms);

/* Pops lines until one starts with @prefix and returns it; fails the test
 * when none comes in 5 s. */
gchar *signaller_recorder_wait (SignallerRecorder * self,
    const gchar * prefix);

/* The address of the last incoming-call. */
gchar *signaller_recorder_dup_address (SignallerRecorder * self);

void signaller_recorder_free (SignallerRecorder * self);

G_END_DECLS
