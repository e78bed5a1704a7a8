/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* Umbrella header: applications include only this one. */

#define __P2P_CORE_H_INSIDE__

#include <p2p-core/p2p-auth-backoff.h>
#include <p2p-core/p2p-bandwidth-estimator.h>
#include <p2p-core/p2p-camera-session.h>
#include <p2p-core/p2p-combined-signaller.h>
#include <p2p-core/p2p-command.h>
#include <p2p-core/p2p-direct-signaller.h>
#include <p2p-core/p2p-identity.h>
#include <p2p-core/p2p-known-cameras.h>
#include <p2p-core/p2p-lan-signaller.h>
#include <p2p-core/p2p-loop.h>
#include <p2p-core/p2p-message-router.h>
#include <p2p-core/p2p-password-hash.h>
#include <p2p-core/p2p-password-verifier.h>
#include <p2p-core/p2p-signaller.h>
#include <p2p-core/p2p-signalling.h>
#include <p2p-core/p2p-transport.h>
#include <p2p-core/p2p-viewer-auth.h>
#include <p2p-core/p2p-viewer-session.h>

#include <p2p-core/p2p-enum-types.h>

#undef __P2P_CORE_H_INSIDE__
