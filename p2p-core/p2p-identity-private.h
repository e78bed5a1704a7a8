/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-identity.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* Borrowed OpenSSL handles for the DTLS context; the identity keeps them
 * alive for its own lifetime. */
G_GNUC_INTERNAL EVP_PKEY *p2p_identity_get_pkey (P2pIdentity * self);
G_GNUC_INTERNAL X509 *p2p_identity_get_x509 (P2pIdentity * self);

G_END_DECLS
