/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-signaller.h"

G_BEGIN_DECLS
#define P2P_TYPE_COMBINED_SIGNALLER (p2p_combined_signaller_get_type ())
G_DECLARE_FINAL_TYPE (P2pCombinedSignaller, p2p_combined_signaller, P2P,
    COMBINED_SIGNALLER, GObject)

P2pCombinedSignaller *p2p_combined_signaller_new (P2pSignaller **
    signallers, guint n_signallers);

gboolean p2p_combined_signaller_leave_out (P2pCombinedSignaller * self,
    const gchar * call);

G_END_DECLS
