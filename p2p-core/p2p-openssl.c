/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* OpenSSL's process-wide settings, made when the library is loaded.
 *
 * By default OpenSSL frees its global state in an atexit() handler. A
 * thread that ends while the process exits (a GStreamer streaming thread
 * or a GThreadPool worker leaving the idle pool) then runs OpenSSL's
 * per-thread destructor against locks the handler already freed, and the
 * exiting process crashes (seen in the element tests: SIGSEGV in
 * CRYPTO_THREAD_read_lock() from __nptl_deallocate_tsd() while the main
 * thread was in OPENSSL_cleanup(), 1 run in a few hundred). The memory is
 * the process's to give back anyway: OpenSSL keeps it until the end. The
 * setting only takes effect when it comes first, before anything else in
 * the process initialised OpenSSL, hence a constructor. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <openssl/crypto.h>

static void p2p_openssl_init (void) __attribute__((constructor));

static void
p2p_openssl_init (void)
{
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
}
