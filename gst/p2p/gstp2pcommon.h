/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <p2p-core/p2p-signaller.h>
#include <p2p-core/p2p-signalling.h>
#include <p2p-core/p2p-transport.h>

G_BEGIN_DECLS

/* Configuration checks shared by p2psink and p2psrc. Each posts an ERROR
 * message a user can act on and returns FALSE when the value is unusable;
 * they run in NULL→READY so that a typo fails the state change at once
 * rather than later on the network. */

gboolean gst_p2p_check_uid (GstElement * element, const gchar * uid);

GParamSpec *gst_p2p_tls_ca_file_param_spec (void);

GTlsDatabase *gst_p2p_load_tls_ca_file (GstElement * element,
    const gchar * path);

gchar **gst_p2p_parse_servers (GstElement * element, const gchar * list,
    gboolean * allow_insecure);

gboolean gst_p2p_port_mapping_allowed (gboolean property);

gboolean gst_p2p_check_ice_overrides (GstElement * element,
    const gchar * stun_server, const gchar * turn_server);

void gst_p2p_configure_transport (GstElement * element,
    P2pTransport * transport, P2pSignaller * signaller, const gchar * call,
    const gchar * stun_server, const gchar * turn_server);

P2pSignaller *gst_p2p_make_signaller (P2pSignaller * user,
    P2pSignalling * server, P2pSignaller * lan);

gboolean gst_p2p_ghost_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

GstElement *gst_p2p_rtx_bin_new (const gchar * factory, guint session,
    const GstStructure * pt_map, GstElement ** rtx);

void gst_p2p_remove_element_async (GstElement * element, gpointer data);

void gst_p2p_set_path_fields (GstStructure * s,
    const P2pTransportStats * stats);

G_END_DECLS
