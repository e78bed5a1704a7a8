/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-whep-endpoint.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

/* An SDP offer of a browser is 5-10 KiB; anything far larger is refused
 * before its body is read, so that memory stays bounded. */
#define WHEP_MAX_OFFER (64 * 1024)

#define WHEP_PREFIX "/whep"
#define VIEW_PREFIX "/view"
#define PLAYER_RESOURCE "/org/gst-p2p/gateway/whep-player.html"

typedef struct
{
  gchar *name;
  const P2pWhepCameraFuncs *funcs;
  gpointer camera;
  GDestroyNotify destroy;
  guint n_sessions;
} WhepCamera;

struct _P2pWhepEndpoint
{
  GObject parent;

  guint max_sessions;
  guint max_camera_sessions;
  guint camera_timeout;
  gchar *ice_address;

  GHashTable *cameras;          /* name -> WhepCamera */
  GHashTable *sessions;         /* id -> Pending or live P2pWhepSession */
  guint n_sessions;
};

enum
{
  PROP_0,
  PROP_MAX_SESSIONS,
  PROP_MAX_CAMERA_SESSIONS,
  PROP_CAMERA_TIMEOUT,
  PROP_ICE_ADDRESS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_TYPE (P2pWhepEndpoint, p2p_whep_endpoint, G_TYPE_OBJECT);

/* One session and what it holds of the endpoint: a place in the limits
 * and, once the camera was asked, a client of the camera. */
typedef struct
{
  P2pWhepEndpoint *endpoint;
  WhepCamera *camera;
  P2pWhepSession *session;
  SoupServerMessage *msg;       /* while the POST waits for its answer */
  gboolean acquired;
  gchar *location;
} WhepEntry;

static void
camera_free (gpointer data)
{
  WhepCamera *c = data;

  if (c->destroy)
    c->destroy (c->camera);
  g_free (c->name);
  g_free (c);
}

/* Gives back the entry's place and camera client; the entry is gone. */
static void
entry_free (gpointer data)
{
  WhepEntry *e = data;

  p2p_whep_session_stop (e->session);
  g_signal_handlers_disconnect_by_data (e->session, e);
  if (e->acquired)
    e->camera->funcs->release (e->camera->camera);
  e->camera->n_sessions--;
  e->endpoint->n_sessions--;
  if (e->msg) {
    g_signal_handlers_disconnect_by_data (e->msg, e);
    g_object_unref (e->msg);
  }
  g_object_unref (e->session);
  g_free (e->location);
  g_free (e);
}

static void
p2p_whep_endpoint_init (P2pWhepEndpoint * self)
{
  self->max_sessions = 16;
  self->max_camera_sessions = 4;
  self->camera_timeout = 20000;
  self->cameras = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      camera_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      entry_free);
}

static void
p2p_whep_endpoint_finalize (GObject * object)
{
  P2pWhepEndpoint *self = P2P_WHEP_ENDPOINT (object);

  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->cameras);
  g_free (self->ice_address);
  G_OBJECT_CLASS (p2p_whep_endpoint_parent_class)->finalize (object);
}

static void
p2p_whep_endpoint_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  P2pWhepEndpoint *self = P2P_WHEP_ENDPOINT (object);

  switch (prop_id) {
    case PROP_MAX_SESSIONS:
      self->max_sessions = g_value_get_uint (value);
      break;
    case PROP_MAX_CAMERA_SESSIONS:
      self->max_camera_sessions = g_value_get_uint (value);
      break;
    case PROP_CAMERA_TIMEOUT:
      self->camera_timeout = g_value_get_uint (value);
      break;
    case PROP_ICE_ADDRESS:
      g_free (self->ice_address);
      self->ice_address = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
p2p_whep_endpoint_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  P2pWhepEndpoint *self = P2P_WHEP_ENDPOINT (object);

  switch (prop_id) {
    case PROP_MAX_SESSIONS:
      g_value_set_uint (value, self->max_sessions);
      break;
    case PROP_MAX_CAMERA_SESSIONS:
      g_value_set_uint (value, self->max_camera_sessions);
      break;
    case PROP_CAMERA_TIMEOUT:
      g_value_set_uint (value, self->camera_timeout);
      break;
    case PROP_ICE_ADDRESS:
      g_value_set_string (value, self->ice_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
p2p_whep_endpoint_class_init (P2pWhepEndpointClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = p2p_whep_endpoint_finalize;
  gobject_class->set_property = p2p_whep_endpoint_set_property;
  gobject_class->get_property = p2p_whep_endpoint_get_property;

  /**
   * P2pWhepEndpoint:max-sessions:
   *
   * WHEP sessions at once over all cameras; a POST past it is answered
   * `503 Service Unavailable`. Each session is a webrtcbin with its own
   * DTLS and SRTP, the CPU cost of one viewer.
   *
   * Since: 0.2
   */
  props[PROP_MAX_SESSIONS] = g_param_spec_uint ("max-sessions",
      "Max sessions", "WHEP sessions at once, all cameras", 1, 1024, 16,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pWhepEndpoint:max-camera-sessions:
   *
   * WHEP sessions at once on one camera (`503` past it).
   *
   * Since: 0.2
   */
  props[PROP_MAX_CAMERA_SESSIONS] = g_param_spec_uint ("max-camera-sessions",
      "Max sessions per camera", "WHEP sessions at once on one camera", 1,
      1024, 4, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pWhepEndpoint:camera-timeout:
   *
   * Milliseconds a POST waits for the camera's streams when the camera
   * has to be started (`504 Gateway Timeout` past it).
   *
   * Since: 0.2
   */
  props[PROP_CAMERA_TIMEOUT] = g_param_spec_uint ("camera-timeout",
      "Camera timeout", "Milliseconds to wait for a camera to start", 100,
      600000, 20000, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pWhepEndpoint:ice-address:
   *
   * The one local address ICE gathers candidates on (for example
   * `127.0.0.1`, or the address of the LAN interface browsers reach the
   * gateway by); %NULL, the default, uses every interface. No STUN or
   * TURN server is ever used: browsers reach the gateway directly.
   *
   * Since: 0.2
   */
  props[PROP_ICE_ADDRESS] = g_param_spec_string ("ice-address",
      "ICE address", "The one local address for ICE (NULL: all)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, props);
}

/**
 * p2p_whep_endpoint_new:
 *
 * Returns: (transfer full): an endpoint without cameras
 *
 * Since: 0.2
 */
P2pWhepEndpoint *
p2p_whep_endpoint_new (void)
{
  return g_object_new (P2P_TYPE_WHEP_ENDPOINT, NULL);
}

static gboolean
name_is_valid (const gchar * name)
{
  const gchar *p;

  if (!name || !*name || strlen (name) > 64)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("-_.", *p))
      return FALSE;
  return TRUE;
}

/**
 * p2p_whep_endpoint_add_camera:
 * @endpoint: an endpoint
 * @name: the camera's path name (letters, digits, `-`, `_`, `.`)
 * @funcs: (not nullable): how to reach the camera's streams; must outlive
 *     the endpoint
 * @camera: passed to @funcs
 * @destroy: (nullable): frees @camera with the endpoint
 *
 * Serves the camera as `/whep/NAME` and `/view/NAME`.
 *
 * Since: 0.2
 */
void
p2p_whep_endpoint_add_camera (P2pWhepEndpoint * endpoint, const gchar * name,
    const P2pWhepCameraFuncs * funcs, gpointer camera, GDestroyNotify destroy)
{
  WhepCamera *c;

  g_return_if_fail (P2P_IS_WHEP_ENDPOINT (endpoint));
  g_return_if_fail (name_is_valid (name));
  g_return_if_fail (funcs != NULL);
  g_return_if_fail (!g_hash_table_contains (endpoint->cameras, name));

  c = g_new0 (WhepCamera, 1);
  c->name = g_strdup (name);
  c->funcs = funcs;
  c->camera = camera;
  c->destroy = destroy;
  g_hash_table_insert (endpoint->cameras, c->name, c);
}

/**
 * p2p_whep_endpoint_get_n_sessions:
 * @endpoint: an endpoint
 * @camera: (nullable): a camera's name, %NULL for all
 *
 * Returns: the sessions that hold a place, being set up or playing
 *
 * Since: 0.2
 */
guint
p2p_whep_endpoint_get_n_sessions (P2pWhepEndpoint * endpoint,
    const gchar * camera)
{
  WhepCamera *c;

  g_return_val_if_fail (P2P_IS_WHEP_ENDPOINT (endpoint), 0);
  if (!camera)
    return endpoint->n_sessions;
  c = g_hash_table_lookup (endpoint->cameras, camera);
  return c ? c->n_sessions : 0;
}

static void
respond_text (SoupServerMessage * msg, guint status, const gchar * text)
{
  gchar *body = g_strconcat (text, "\n", NULL);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

static guint
status_for_error (const GError * error)
{
  if (error->domain != P2P_WHEP_ERROR)
    return SOUP_STATUS_BAD_GATEWAY;
  switch (error->code) {
    case P2P_WHEP_ERROR_BAD_OFFER:
      return SOUP_STATUS_BAD_REQUEST;
    case P2P_WHEP_ERROR_NO_CODEC:
      return SOUP_STATUS_NOT_ACCEPTABLE;
    case P2P_WHEP_ERROR_NOT_FOUND:
      return SOUP_STATUS_NOT_FOUND;
    case P2P_WHEP_ERROR_BUSY:
      return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case P2P_WHEP_ERROR_TIMEOUT:
      return SOUP_STATUS_GATEWAY_TIMEOUT;
    case P2P_WHEP_ERROR_NEGOTIATION:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    default:
      return SOUP_STATUS_BAD_GATEWAY;
  }
}

static void
respond_error (SoupServerMessage * msg, const GError * error)
{
  respond_text (msg, status_for_error (error), error->message);
}

/* The POST failed after it was paused: answer it, drop the session. */
static void
entry_fail (WhepEntry * e, const GError * error)
{
  if (e->msg) {
    respond_error (e->msg, error);
    soup_server_message_unpause (e->msg);
  }
  /* entry_free() lets go of the message. */
  g_hash_table_remove (e->endpoint->sessions, p2p_whep_session_get_id
      (e->session));
}

static void
on_session_closed (P2pWhepSession * session, gpointer user_data)
{
  WhepEntry *e = user_data;
  GError *err = g_error_new (P2P_WHEP_ERROR, P2P_WHEP_ERROR_NEGOTIATION,
      "The connection to the viewer failed");

  g_info ("WHEP session %s of camera %s closed by its viewer",
      p2p_whep_session_get_id (session), e->camera->name);
  entry_fail (e, err);
  g_error_free (err);
}

static void
on_answered (GObject * source, GAsyncResult * result, gpointer user_data)
{
  P2pWhepEndpoint *self = user_data;
  P2pWhepSession *session = P2P_WHEP_SESSION (source);
  WhepEntry *e = g_hash_table_lookup (self->sessions,
      p2p_whep_session_get_id (session));
  GError *err = NULL;
  gchar *answer = p2p_whep_session_answer_finish (session, result, &err);
  SoupMessageHeaders *headers;

  if (!e || e->session != session) {
    /* Deleted or closed while it was being answered. */
    g_clear_error (&err);
    g_free (answer);
    g_object_unref (self);
    return;
  }
  if (!answer) {
    entry_fail (e, err);
    g_error_free (err);
    g_object_unref (self);
    return;
  }
  headers = soup_server_message_get_response_headers (e->msg);
  soup_message_headers_replace (headers, "Location", e->location);
  soup_server_message_set_status (e->msg, SOUP_STATUS_CREATED, NULL);
  soup_server_message_set_response (e->msg, "application/sdp",
      SOUP_MEMORY_TAKE, answer, strlen (answer));
  soup_server_message_unpause (e->msg);
  g_signal_handlers_disconnect_by_data (e->msg, e);
  g_clear_object (&e->msg);
  g_info ("WHEP session %s of camera %s answered", e->location,
      e->camera->name);
  g_object_unref (self);
}

/* A POST waiting for its camera's streams. The session may be deleted
 * meanwhile: the wait holds only what outlives it. */
typedef struct
{
  P2pWhepEndpoint *endpoint;
  WhepCamera *camera;
  guint timeout;
  gchar *id;
} StreamsWait;

static void
wait_streams_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  StreamsWait *w = task_data;
  GError *err = NULL;
  GPtrArray *streams;

  streams = w->camera->funcs->wait_streams (w->camera->camera, w->timeout,
      &err);
  if (streams)
    g_task_return_pointer (task, streams, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, err);
}

static void
on_streams (GObject * source, GAsyncResult * result, gpointer user_data)
{
  StreamsWait *w = user_data;
  P2pWhepEndpoint *self = w->endpoint;
  WhepEntry *e = g_hash_table_lookup (self->sessions, w->id);
  GError *err = NULL;
  GPtrArray *streams = g_task_propagate_pointer (G_TASK (result), &err);

  if (!e) {
    /* DELETEd (or its client gone) while the camera started. */
  } else if (!streams) {
    GError *why = g_error_new (P2P_WHEP_ERROR,
        g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
        ? P2P_WHEP_ERROR_TIMEOUT : P2P_WHEP_ERROR_CAMERA,
        "Camera %s is not available: %s", e->camera->name, err->message);

    entry_fail (e, why);
    g_error_free (why);
  } else if (!p2p_whep_session_choose_codecs (e->session, streams, &err)) {
    entry_fail (e, err);
  } else {
    p2p_whep_session_answer_async (e->session, 10000, NULL, on_answered,
        g_object_ref (self));
  }
  g_clear_error (&err);
  if (streams)
    g_ptr_array_unref (streams);
  g_object_unref (w->endpoint);
  g_free (w->id);
  g_free (w);
}

static gchar *
new_session_id (void)
{
  guint8 bytes[16];
  gchar *id = g_malloc (2 * sizeof (bytes) + 1);
  guint i;

  /* The id is the only thing a DELETE presents: unguessable. */
  if (RAND_bytes (bytes, sizeof (bytes)) != 1)
    g_error ("OpenSSL's random generator failed");
  for (i = 0; i < sizeof (bytes); i++)
    g_snprintf (id + 2 * i, 3, "%02x", bytes[i]);
  return id;
}

static void
on_msg_disconnected (SoupServerMessage * msg, gpointer user_data)
{
  WhepEntry *e = user_data;

  /* The client gave up on its POST: nobody will ever use the session. */
  g_signal_handlers_disconnect_by_data (e->msg, e);
  g_clear_object (&e->msg);
  g_hash_table_remove (e->endpoint->sessions,
      p2p_whep_session_get_id (e->session));
}

static void
handle_post (P2pWhepEndpoint * self, SoupServerMessage * msg,
    WhepCamera * camera)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const gchar *type = soup_message_headers_get_content_type (req, NULL);
  GError *err = NULL;
  P2pWhepSession *session;
  WhepEntry *e;
  StreamsWait *w;
  GTask *task;
  gchar *id;

  if (g_strcmp0 (type, "application/sdp") != 0) {
    respond_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "A WHEP offer is an SDP document: Content-Type: application/sdp");
    return;
  }
  if (camera->n_sessions >= self->max_camera_sessions
      || self->n_sessions >= self->max_sessions) {
    gchar *text = g_strdup_printf ("Too many viewers: %u of %u on camera %s, "
        "%u of %u in all; try again later", camera->n_sessions,
        self->max_camera_sessions, camera->name, self->n_sessions,
        self->max_sessions);

    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "10");
    respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
    g_free (text);
    return;
  }

  id = new_session_id ();
  session = p2p_whep_session_new (id, camera->funcs, camera->camera,
      self->ice_address);
  if (!p2p_whep_session_set_offer (session, body->data, body->length, &err)) {
    respond_error (msg, err);
    g_error_free (err);
    g_object_unref (session);
    g_free (id);
    return;
  }

  e = g_new0 (WhepEntry, 1);
  e->endpoint = self;
  e->camera = camera;
  e->session = session;
  e->msg = g_object_ref (msg);
  e->location = g_strdup_printf ("%s/%s/%s", WHEP_PREFIX, camera->name, id);
  camera->n_sessions++;
  self->n_sessions++;
  g_hash_table_insert (self->sessions, (gpointer) p2p_whep_session_get_id
      (session), e);
  g_signal_connect (session, "closed", G_CALLBACK (on_session_closed), e);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_msg_disconnected), e);

  camera->funcs->acquire (camera->camera);
  e->acquired = TRUE;
  soup_server_message_pause (msg);

  /* The camera may have to start first, which blocks: in a thread. */
  w = g_new0 (StreamsWait, 1);
  w->endpoint = g_object_ref (self);
  w->camera = camera;
  w->timeout = self->camera_timeout;
  w->id = id;
  task = g_task_new (NULL, NULL, on_streams, w);
  g_task_set_task_data (task, w, NULL);
  g_task_run_in_thread (task, wait_streams_thread);
  g_object_unref (task);
}

static void
handle_delete (P2pWhepEndpoint * self, SoupServerMessage * msg,
    WhepCamera * camera, const gchar * id)
{
  WhepEntry *e = g_hash_table_lookup (self->sessions, id);

  if (!e || e->camera != camera) {
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "No such WHEP session");
    return;
  }
  if (e->msg) {
    g_signal_handlers_disconnect_by_data (e->msg, e);
    respond_text (e->msg, SOUP_STATUS_GONE, "The session was deleted");
    soup_server_message_unpause (e->msg);
  }
  g_hash_table_remove (self->sessions, id);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
whep_handler (SoupServer * server, SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data)
{
  P2pWhepEndpoint *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  gchar **parts = NULL;
  WhepCamera *camera = NULL;
  guint n = 0;

  if (g_str_has_prefix (path, WHEP_PREFIX "/")) {
    parts = g_strsplit (path + strlen (WHEP_PREFIX "/"), "/", 3);
    n = g_strv_length (parts);
  }
  if (n >= 1 && n <= 2)
    camera = g_hash_table_lookup (self->cameras, parts[0]);
  if (!camera) {
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "No such camera");
  } else if (n == 1 && method == SOUP_METHOD_POST) {
    handle_post (self, msg, camera);
  } else if (n == 1 && method == SOUP_METHOD_OPTIONS) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Accept-Post", "application/sdp");
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  } else if (n == 2 && method == SOUP_METHOD_DELETE) {
    handle_delete (self, msg, camera, parts[1]);
  } else if (n == 2 && !g_hash_table_contains (self->sessions, parts[1])) {
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "No such WHEP session");
  } else {
    /* PATCH included: every candidate is in the offer and the answer
     * (RFC 9725 allows a resource without trickle ICE to say so). */
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", n == 1 ? "POST, OPTIONS" : "DELETE");
    respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        n == 1 ? "A WHEP endpoint takes POST" :
        "A WHEP session takes DELETE (no trickle ICE: send every "
        "candidate in the offer)");
  }
  g_strfreev (parts);
}

/* Before the body is read: a POST must say how long it is, and be short. */
static void
whep_early_handler (SoupServer * server, SoupServerMessage * msg,
    const gchar * path, GHashTable * query, gpointer user_data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    return;
  if (soup_message_headers_get_encoding (req) != SOUP_ENCODING_CONTENT_LENGTH) {
    respond_text (msg, SOUP_STATUS_LENGTH_REQUIRED,
        "A WHEP offer needs a Content-Length");
  } else if (soup_message_headers_get_content_length (req) > WHEP_MAX_OFFER) {
    respond_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "An SDP offer is at most 64 KiB");
  }
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

static void
view_handler (SoupServer * server, SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data)
{
  P2pWhepEndpoint *self = user_data;
  const gchar *name = path + strlen (VIEW_PREFIX);
  GBytes *page;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET
      && soup_server_message_get_method (msg) != SOUP_METHOD_HEAD) {
    respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET");
    return;
  }
  if (*name == '/')
    name++;
  if (!*name) {
    GString *list = g_string_new ("<!DOCTYPE html>\n<html><head>"
        "<meta charset=\"utf-8\"><title>Cameras</title></head><body><ul>\n");
    guint i, n;
    const gchar **names = (const gchar **)
        g_hash_table_get_keys_as_array (self->cameras, &n);

    qsort (names, n, sizeof (gchar *), compare_names);
    /* Names are letters, digits and -_. only: nothing to escape. */
    for (i = 0; i < n; i++)
      g_string_append_printf (list, "<li><a href=\"%s/%s\">%s</a></li>\n",
          VIEW_PREFIX, names[i], names[i]);
    g_string_append (list, "</ul></body></html>\n");
    g_free (names);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "text/html; charset=utf-8",
        SOUP_MEMORY_TAKE, list->str, list->len);
    g_string_free (list, FALSE);
    return;
  }
  if (!g_hash_table_contains (self->cameras, name)) {
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "No such camera");
    return;
  }
  page = g_resources_lookup_data (PLAYER_RESOURCE, 0, NULL);
  g_assert (page != NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
      SOUP_MEMORY_COPY, g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  g_bytes_unref (page);
}

/**
 * p2p_whep_endpoint_add_handlers:
 * @endpoint: an endpoint
 * @server: the HTTP server
 *
 * Serves the endpoint under `/whep` and its pages under `/view` on
 * @server. The endpoint's sessions are driven in the thread-default
 * #GMainContext of this call, which must be @server's.
 *
 * Since: 0.2
 */
void
p2p_whep_endpoint_add_handlers (P2pWhepEndpoint * endpoint, SoupServer * server)
{
  g_return_if_fail (P2P_IS_WHEP_ENDPOINT (endpoint));
  g_return_if_fail (SOUP_IS_SERVER (server));

  soup_server_add_early_handler (server, WHEP_PREFIX, whep_early_handler,
      endpoint, NULL);
  soup_server_add_handler (server, WHEP_PREFIX, whep_handler, endpoint, NULL);
  soup_server_add_handler (server, VIEW_PREFIX, view_handler, endpoint, NULL);
}
