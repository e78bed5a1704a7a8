/* p2p-core tests: a UDP socket on the loopback.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

GSocket *loopback_udp_socket (guint * port);
GSocket *loopback_udp_socket_family (GSocketFamily family, guint * port);
