/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-signaller
 * @title: P2pSignaller
 * @short_description: How calls are set up, independent of the channel
 *
 * The interface between the elements and whatever carries their offers,
 * answers and candidates; see #P2pSignallerInterface.
 *
 * A camera starts its signaller and waits for #P2pSignaller::incoming-call;
 * it replies with p2p_signaller_send_offer() (or declines with
 * p2p_signaller_end_call()) and receives #P2pSignaller::remote-answer. A
 * viewer starts its signaller, asks for a call with p2p_signaller_call(),
 * learns the call id from #P2pSignaller::call-started, then receives
 * #P2pSignaller::remote-offer and replies with p2p_signaller_send_answer().
 * Both trickle candidates with p2p_signaller_send_candidate() and
 * #P2pSignaller::remote-candidate.
 *
 * The methods check their arguments (sizes, forms) before the
 * implementation sees them: an SDP of 1 to #P2P_SIGNALLING_MAX_SDP bytes of
 * UTF-8, a `candidate:` value (never %NULL: "" for end-of-candidates) of at
 * most #P2P_SIGNALLING_MAX_CANDIDATE printable bytes, a media id and a
 * reason of printable ASCII.
 */

#include "p2p-signaller-private.h"
#include "p2p-protocol-uid.h"

#include <string.h>

/* The longest call end reason, in bytes. */
#define MAX_REASON 256
/* The longest media id, in bytes. */
#define MAX_MID 32

G_DEFINE_INTERFACE (P2pSignaller, p2p_signaller, G_TYPE_OBJECT);

static void
p2p_signaller_default_init (P2pSignallerInterface * iface)
{
  /**
   * P2pSignaller::incoming-call:
   * @self: the camera's #P2pSignaller
   * @call: the call id
   * @viewer: (nullable): an opaque id of the viewer, for logs
   * @address: (nullable): the viewer's IP address as the signaller saw it,
   *     for rate limits and logs
   *
   * A viewer calls this camera. Answer with p2p_signaller_send_offer() or
   * decline with p2p_signaller_end_call().
   */
  g_signal_new ("incoming-call", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * P2pSignaller::call-started:
   * @self: the viewer's #P2pSignaller
   * @uid: the UID given to p2p_signaller_call()
   * @call: the call id; the camera's offer follows
   * @device_fingerprint: (nullable): the camera certificate fingerprint
   *     the signaller vouches for (a server's registry does), or %NULL when
   *     it cannot (the local network): the viewer then relies on its pinned
   *     or remembered fingerprint, or on its password login
   *
   * A call asked for with p2p_signaller_call() is set up.
   */
  g_signal_new ("call-started", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * P2pSignaller::call-failed:
   * @self: the viewer's #P2pSignaller
   * @uid: the UID given to p2p_signaller_call()
   * @error: why (%P2P_SIGNALLING_ERROR_UNKNOWN_UID,
   *     %P2P_SIGNALLING_ERROR_DEVICE_OFFLINE,
   *     %P2P_SIGNALLING_ERROR_TIMEOUT, %P2P_SIGNALLING_ERROR_STOPPED, …)
   *
   * A call asked for with p2p_signaller_call() could not be set up.
   */
  g_signal_new ("call-failed", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_ERROR);

  /**
   * P2pSignaller::remote-offer:
   * @self: the viewer's #P2pSignaller
   * @call: the call id
   * @sdp: the camera's SDP offer (untrusted: parse it carefully)
   *
   * The camera's offer arrived; reply with p2p_signaller_send_answer(). A
   * later offer in the same call restarts ICE.
   */
  g_signal_new ("remote-offer", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * P2pSignaller::remote-answer:
   * @self: the camera's #P2pSignaller
   * @call: the call id
   * @sdp: the viewer's SDP answer (untrusted)
   *
   * The viewer answered this camera's offer.
   */
  g_signal_new ("remote-answer", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * P2pSignaller::remote-candidate:
   * @self: the #P2pSignaller
   * @call: the call id
   * @candidate: a `candidate:…` attribute value, or "" for
   *     end-of-candidates
   * @mid: (nullable): the media id it belongs to
   *
   * The peer trickled an ICE candidate (p2p_transport_add_remote_candidate()).
   */
  g_signal_new ("remote-candidate", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * P2pSignaller::call-ended:
   * @self: the #P2pSignaller
   * @call: the call id
   * @reason: (nullable): the peer's or the channel's reason (`"bye"`,
   *     `"peer-gone"`, `"timeout"`, `"shutdown"`, …)
   *
   * The peer or the channel ended the call; it is forgotten.
   */
  g_signal_new ("call-ended", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * P2pSignaller::call-error:
   * @self: the #P2pSignaller
   * @call: the call id
   * @error: what went wrong (e.g. %P2P_SIGNALLING_ERROR_UNKNOWN_CALL: the
   *     call is forgotten)
   *
   * The channel rejected a message this end sent for @call.
   */
  g_signal_new ("call-error", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_ERROR);

  /**
   * P2pSignaller::error:
   * @self: the #P2pSignaller
   * @error: what failed
   *
   * The signaller as a whole failed in a way retrying by itself cannot fix
   * (a refused login, a socket that cannot be opened); it calls nobody and
   * takes no call until it is stopped and started again.
   */
  g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/**
 * p2p_signaller_start:
 * @self: a #P2pSignaller
 *
 * Starts the signaller, in the background. Does nothing when it is
 * started already.
 */
void
p2p_signaller_start (P2pSignaller * self)
{
  P2pSignallerInterface *iface;

  g_return_if_fail (P2P_IS_SIGNALLER (self));

  iface = P2P_SIGNALLER_GET_IFACE (self);
  g_return_if_fail (iface->start != NULL);
  iface->start (self);
}

/**
 * p2p_signaller_stop:
 * @self: a #P2pSignaller
 *
 * Stops the signaller and forgets its calls. Once this returns, none of
 * the signals of @self is emitted until it is started again (so it must not
 * be called with a lock held that a handler takes).
 */
void
p2p_signaller_stop (P2pSignaller * self)
{
  P2pSignallerInterface *iface;

  g_return_if_fail (P2P_IS_SIGNALLER (self));

  iface = P2P_SIGNALLER_GET_IFACE (self);
  g_return_if_fail (iface->stop != NULL);
  iface->stop (self);
}

/**
 * p2p_signaller_call:
 * @self: a viewer's #P2pSignaller
 * @uid: the camera's UID
 * @timeout_ms: how long setting the call up may take, in milliseconds
 * @error: return location for a #GError
 *
 * Asks for a call to the camera with @uid. Exactly one of
 * #P2pSignaller::call-started and #P2pSignaller::call-failed follows
 * (unless the signaller is stopped first), naming @uid.
 *
 * Returns: %FALSE with @error set when the request cannot even be made
 *     (malformed UID, signaller not started, a camera-only signaller)
 */
gboolean
p2p_signaller_call (P2pSignaller * self, const gchar * uid,
    guint timeout_ms, GError ** error)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->call == NULL) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "This signaller cannot make calls");
    return FALSE;
  }
  return iface->call (self, uid, timeout_ms, error);
}

/**
 * p2p_signaller_cancel_call:
 * @self: a viewer's #P2pSignaller
 * @uid: the UID given to p2p_signaller_call()
 *
 * Gives up the call to @uid asked for with p2p_signaller_call() that has
 * not started yet: neither #P2pSignaller::call-started nor
 * #P2pSignaller::call-failed follows for it, and a camera that already
 * took the call sees it end (reason `"cancelled"`) rather than waiting
 * for an answer, its ICE agent freed. A call that started is ended with
 * p2p_signaller_end_call() instead; a @uid with no call being set up is
 * ignored.
 *
 * A signaller that cannot cancel lets the call run on: its
 * #P2pSignaller::call-started may still come, and the caller then ends
 * that call. #P2pCombinedSignaller cancels the calls that lost the race
 * this way.
 */
void
p2p_signaller_cancel_call (P2pSignaller * self, const gchar * uid)
{
  P2pSignallerInterface *iface;

  g_return_if_fail (P2P_IS_SIGNALLER (self));
  g_return_if_fail (uid != NULL);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->cancel_call)
    iface->cancel_call (self, uid);
}

gboolean
p2p_signaller_is_printable (const gchar * s)
{
  for (; *s; s++) {
    if (*s < 0x20 || *s > 0x7e)
      return FALSE;
  }
  return TRUE;
}

/* The form of docs/protocol.md §3; the check symbols are the registry's
 * business. */
gchar *
p2p_signaller_normalise_uid (const gchar * uid)
{
  if (uid == NULL)
    return NULL;
  return p2p_uid_normalize_form (uid, NULL);
}

gboolean
p2p_signaller_check_sdp (const gchar * type, const gchar * sdp, GError ** error)
{
  gsize len = strlen (sdp);

  if (len == 0 || len > P2P_SIGNALLING_MAX_SDP
      || !g_utf8_validate (sdp, len, NULL)) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "The %s is empty, not UTF-8 or longer than %d bytes", type,
        P2P_SIGNALLING_MAX_SDP);
    return FALSE;
  }
  return TRUE;
}

gboolean
p2p_signaller_check_candidate (const gchar * candidate, const gchar * mid,
    GError ** error)
{
  if (strlen (candidate) > P2P_SIGNALLING_MAX_CANDIDATE
      || (*candidate && !g_str_has_prefix (candidate, "candidate:"))
      || !p2p_signaller_is_printable (candidate)) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "Malformed candidate attribute '%.64s'", candidate);
    return FALSE;
  }
  if (mid && (strlen (mid) > MAX_MID || !p2p_signaller_is_printable (mid))) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed media id");
    return FALSE;
  }
  return TRUE;
}

gboolean
p2p_signaller_check_reason (const gchar * reason, GError ** error)
{
  if (reason && (strlen (reason) > MAX_REASON
          || !p2p_signaller_is_printable (reason))) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed reason");
    return FALSE;
  }
  return TRUE;
}

static gboolean
no_method (const gchar * what, GError ** error)
{
  g_set_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "This signaller cannot send %s",
      what);
  return FALSE;
}

/**
 * p2p_signaller_send_offer:
 * @self: a camera's #P2pSignaller
 * @call: the call id from #P2pSignaller::incoming-call
 * @sdp: the complete SDP offer
 * @error: return location for a #GError
 *
 * Sends the offer of @call to the viewer. Delivery is not confirmed.
 *
 * Returns: %TRUE if the offer was queued for sending
 */
gboolean
p2p_signaller_send_offer (P2pSignaller * self, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (call != NULL && sdp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->send_offer == NULL)
    return no_method ("offers", error);
  if (!p2p_signaller_check_sdp ("offer", sdp, error))
    return FALSE;
  return iface->send_offer (self, call, sdp, error);
}

/**
 * p2p_signaller_send_answer:
 * @self: a viewer's #P2pSignaller
 * @call: the call id from #P2pSignaller::call-started
 * @sdp: the complete SDP answer
 * @error: return location for a #GError
 *
 * Sends the answer to the camera's offer.
 *
 * Returns: %TRUE if the answer was queued for sending
 */
gboolean
p2p_signaller_send_answer (P2pSignaller * self, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (call != NULL && sdp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->send_answer == NULL)
    return no_method ("answers", error);
  if (!p2p_signaller_check_sdp ("answer", sdp, error))
    return FALSE;
  return iface->send_answer (self, call, sdp, error);
}

/**
 * p2p_signaller_send_candidate:
 * @self: a #P2pSignaller
 * @call: the call id
 * @candidate: (nullable): one SDP candidate attribute value (`candidate:…`,
 *     without `a=` and line end), or %NULL or "" for end-of-candidates
 * @mid: (nullable): the media id the candidate belongs to
 * @error: return location for a #GError
 *
 * Trickles one local ICE candidate to the peer of @call.
 *
 * Returns: %TRUE if the candidate was queued for sending
 */
gboolean
p2p_signaller_send_candidate (P2pSignaller * self, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (call != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->send_candidate == NULL)
    return no_method ("candidates", error);
  if (candidate == NULL)
    candidate = "";
  if (!p2p_signaller_check_candidate (candidate, mid, error))
    return FALSE;
  return iface->send_candidate (self, call, candidate, mid, error);
}

/**
 * p2p_signaller_end_call:
 * @self: a #P2pSignaller
 * @call: the call id
 * @reason: (nullable): short reason for the peer's logs (`"bye"`,
 *     `"unauthorized"`, …), at most 256 printable ASCII bytes
 * @error: return location for a #GError
 *
 * Ends @call: the peer receives #P2pSignaller::call-ended and the call is
 * forgotten. A camera declines an incoming call this way too.
 *
 * Returns: %TRUE if the end was queued for sending
 */
gboolean
p2p_signaller_end_call (P2pSignaller * self, const gchar * call,
    const gchar * reason, GError ** error)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (call != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->end_call == NULL)
    return no_method ("call ends", error);
  if (!p2p_signaller_check_reason (reason, error))
    return FALSE;
  return iface->end_call (self, call, reason, error);
}

/**
 * p2p_signaller_get_ice_servers:
 * @self: a #P2pSignaller
 * @call: (nullable): the call the servers are for, or %NULL for those of
 *     any call
 *
 * The STUN and TURN servers the signaller knows for @call (a rendezvous
 * server hands them out; a local-network signaller has none).
 *
 * Returns: (transfer full) (element-type P2pIceServer): a new array, maybe
 *     empty
 */
GPtrArray *
p2p_signaller_get_ice_servers (P2pSignaller * self, const gchar * call)
{
  P2pSignallerInterface *iface;
  GPtrArray *servers = NULL;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), NULL);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  if (iface->get_ice_servers)
    servers = iface->get_ice_servers (self, call);
  if (servers == NULL)
    servers = g_ptr_array_new_with_free_func ((GDestroyNotify)
        p2p_ice_server_free);
  return servers;
}

/**
 * p2p_signaller_get_call_scope_id:
 * @self: a #P2pSignaller
 * @call: a call id
 *
 * When @self reached the peer of @call over an IPv6 link-local address (the
 * local network, on a link with no router and so no other address), the
 * interface that link is on: the peer's own link-local candidates need it
 * as their scope, and this end's link-local address on it is worth
 * offering (p2p_transport_set_link_local_scope()). Link-local addresses
 * are offered for such calls only: they carry the interface's hardware
 * address, which peers beyond the link have no business learning.
 *
 * Returns: the interface index (an IPv6 scope id), or 0 when the call does
 *     not run over a link-local address or is unknown
 */
guint
p2p_signaller_get_call_scope_id (P2pSignaller * self, const gchar * call)
{
  P2pSignallerInterface *iface;

  g_return_val_if_fail (P2P_IS_SIGNALLER (self), 0);
  g_return_val_if_fail (call != NULL, 0);

  iface = P2P_SIGNALLER_GET_IFACE (self);
  return iface->get_call_scope_id ? iface->get_call_scope_id (self, call) : 0;
}
