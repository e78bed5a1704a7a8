/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pelements.h"

GST_DEBUG_CATEGORY (gst_p2p_debug);

/* Both elements call this from their registration; whichever comes first
 * does the work. */
void
p2p_element_init (GstPlugin * plugin)
{
  static gsize res = FALSE;

  if (g_once_init_enter (&res)) {
    GST_DEBUG_CATEGORY_INIT (gst_p2p_debug, "p2p", 0, "p2p plugin");
    g_once_init_leave (&res, TRUE);
  }
}
