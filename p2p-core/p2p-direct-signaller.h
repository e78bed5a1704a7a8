/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-loop.h"
#include "p2p-signaller.h"

G_BEGIN_DECLS
#define P2P_TYPE_DIRECT_SIGNALLER (p2p_direct_signaller_get_type ())
G_DECLARE_FINAL_TYPE (P2pDirectSignaller, p2p_direct_signaller, P2P,
    DIRECT_SIGNALLER, GObject)

void p2p_direct_signaller_new_pair (P2pLoop * loop, const gchar * uid,
    const gchar * device_fingerprint, P2pDirectSignaller ** device,
    P2pDirectSignaller ** viewer);

P2pDirectSignaller *p2p_direct_signaller_new_viewer (P2pDirectSignaller *
    end);

G_END_DECLS
