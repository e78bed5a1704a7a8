/* p2p-core tests: a viewer's signaller that answers when the test says
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <p2p-core/p2p-core.h>

G_BEGIN_DECLS

/* A viewer's P2pSignaller that emits nothing by itself: it logs what it is
 * asked as lines ("call UID", "cancel UID", "end CALL REASON") and the
 * test decides the outcome of its calls. */
#define TEST_TYPE_MANUAL_SIGNALLER (test_manual_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestManualSignaller, test_manual_signaller, TEST,
    MANUAL_SIGNALLER, GObject);

/* Its outcomes are emitted on @loop's thread, as p2p-core's own
 * signallers emit. */
TestManualSignaller *test_manual_signaller_new (P2pLoop * loop);

/* The next thing it was asked, waiting at most 5 s (fails the test after
 * that). */
gchar *test_manual_signaller_pop (TestManualSignaller * self);

/* The next thing it was asked within @timeout_ms, or NULL. */
gchar *test_manual_signaller_try_pop (TestManualSignaller * self,
    guint timeout_ms);

/* Starts its call to @uid as @call, or fails it as busy when @call is
 * NULL, from the loop thread. */
void test_manual_signaller_answer (TestManualSignaller * self,
    const gchar * uid, const gchar * call);

G_END_DECLS
