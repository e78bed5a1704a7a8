/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

/* P2pIceServer and the P2P_SIGNALLING_ERROR codes every signaller uses. */
#include "p2p-signalling.h"

G_BEGIN_DECLS
#define P2P_TYPE_SIGNALLER (p2p_signaller_get_type ())
G_DECLARE_INTERFACE (P2pSignaller, p2p_signaller, P2P, SIGNALLER, GObject)

/**
 * P2pSignallerInterface:
 * @parent_iface: the parent interface
 * @start: begins listening for calls (camera) or accepting call requests
 *     (viewer); must not block
 * @stop: stops; when it returns, no signal of the signaller is emitted any
 *     more and its calls are forgotten
 * @call: viewer: asks for a call to the camera with a UID; the outcome is
 *     #P2pSignaller::call-started or #P2pSignaller::call-failed
 * @send_offer: camera: sends the SDP offer of a call
 * @send_answer: viewer: sends the SDP answer of a call
 * @send_candidate: trickles one ICE candidate of a call
 * @end_call: ends (or declines) a call and forgets it
 * @get_ice_servers: (nullable): the STUN and TURN servers to use for a
 *     call; %NULL when the signaller has none to give
 * @cancel_call: (nullable): viewer: gives up a call asked for with @call
 *     that has not started yet; a signaller without it lets the call run
 *     on and its late #P2pSignaller::call-started is ended by the caller
 * @get_call_scope_id: (nullable): the interface on which the peer of a
 *     call is an IPv6 link-local neighbour, or 0
 *
 * How a camera (p2psink) or a viewer (p2psrc) exchanges offers, answers,
 * candidates and call ends with its peer, without knowing over what: the
 * rendezvous server (#P2pSignalling), the local network
 * (#P2pLanSignaller), a pair of objects in one process
 * (#P2pDirectSignaller) or an application's own channel. An application
 * implements it from C or, through GObject introspection, from Python.
 *
 * The signalling carries no trust: the camera proves its key in DTLS
 * (the viewer checks the fingerprint it pinned, remembered or learnt
 * through its password login) and the viewer proves its password over the
 * message channel, whatever signaller carried the call.
 *
 * Methods may be called from any thread. Signals are emitted from the
 * thread the implementation documents (p2p-core's own signallers emit on
 * their #P2pLoop thread) with no lock held. Errors use
 * #P2P_SIGNALLING_ERROR.
 */
struct _P2pSignallerInterface
{
  GTypeInterface parent_iface;

  void (*start) (P2pSignaller * self);
  void (*stop) (P2pSignaller * self);
  gboolean (*call) (P2pSignaller * self, const gchar * uid,
      guint timeout_ms, GError ** error);
  gboolean (*send_offer) (P2pSignaller * self, const gchar * call,
      const gchar * sdp, GError ** error);
  gboolean (*send_answer) (P2pSignaller * self, const gchar * call,
      const gchar * sdp, GError ** error);
  gboolean (*send_candidate) (P2pSignaller * self, const gchar * call,
      const gchar * candidate, const gchar * mid, GError ** error);
  gboolean (*end_call) (P2pSignaller * self, const gchar * call,
      const gchar * reason, GError ** error);
  GPtrArray *(*get_ice_servers) (P2pSignaller * self, const gchar * call);
  void (*cancel_call) (P2pSignaller * self, const gchar * uid);
  guint (*get_call_scope_id) (P2pSignaller * self, const gchar * call);

  /*< private >*/
  gpointer padding[6];
};

void p2p_signaller_start (P2pSignaller * self);

void p2p_signaller_stop (P2pSignaller * self);

gboolean p2p_signaller_call (P2pSignaller * self, const gchar * uid,
    guint timeout_ms, GError ** error);

void p2p_signaller_cancel_call (P2pSignaller * self, const gchar * uid);

gboolean p2p_signaller_send_offer (P2pSignaller * self, const gchar * call,
    const gchar * sdp, GError ** error);

gboolean p2p_signaller_send_answer (P2pSignaller * self, const gchar * call,
    const gchar * sdp, GError ** error);

gboolean p2p_signaller_send_candidate (P2pSignaller * self,
    const gchar * call, const gchar * candidate, const gchar * mid,
    GError ** error);

gboolean p2p_signaller_end_call (P2pSignaller * self, const gchar * call,
    const gchar * reason, GError ** error);

GPtrArray *p2p_signaller_get_ice_servers (P2pSignaller * self,
    const gchar * call);

guint p2p_signaller_get_call_scope_id (P2pSignaller * self,
    const gchar * call);

G_END_DECLS
