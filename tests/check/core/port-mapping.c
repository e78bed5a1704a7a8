/* p2p-core tests: port mapping through PCP, NAT-PMP and UPnP IGD, against
 * a fake gateway on loopback (miniupnpd itself is in the NAT lab).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>
#include "p2p-port-mapping.h"

#define INTERNAL_PORT 4242

typedef struct
{
  P2pLoop *loop;
  GSocket *gateway;             /* the fake gateway, read by the test */
  guint gateway_port;
  GSocketAddress *client;       /* where the last request came from */
  P2pPortMapping *mapping;
  GAsyncQueue *mapped;          /* "ip:port" per report */
  GSocket *igd;                 /* the fake UPnP IGD's HTTP socket */
  GThread *igd_thread;
  GAsyncQueue *actions;         /* its SOAP actions, as received */
  GAsyncQueue *igd_hold;        /* when set, AddPortMapping waits for an item */
  gchar *igd_location;          /* NULL: UPnP off */
} Fixture;

static void
on_mapped (const gchar * ip, guint port, gpointer data)
{
  Fixture *f = data;

  g_async_queue_push (f->mapped, g_strdup_printf ("%s:%u", ip, port));
}

static gboolean
create_cb (gpointer data)
{
  Fixture *f = data;

  f->mapping = p2p_port_mapping_new (p2p_loop_get_context (f->loop),
      "127.0.0.1", INTERNAL_PORT, "127.0.0.1", f->gateway_port, on_mapped, f);
  if (f->mapping)
    p2p_port_mapping_set_upnp_location (f->mapping, f->igd_location);
  return G_SOURCE_REMOVE;
}

static gboolean
free_cb (gpointer data)
{
  Fixture *f = data;

  g_clear_pointer (&f->mapping, p2p_port_mapping_free);
  return G_SOURCE_REMOVE;
}

#define IGD_SERVICE "urn:schemas-upnp-org:service:WANIPConnection:1"
#define IGD_DESCRIPTION "<?xml version=\"1.0\"?>" \
  "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>" \
  "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1" \
  "</deviceType><deviceList><device><deviceType>" \
  "urn:schemas-upnp-org:device:WANDevice:1</deviceType><deviceList>" \
  "<device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1" \
  "</deviceType><serviceList><service><serviceType>" IGD_SERVICE \
  "</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>" \
  "<controlURL>/ctl</controlURL><eventSubURL>/evt</eventSubURL>" \
  "<SCPDURL>/scpd.xml</SCPDURL></service></serviceList></device>" \
  "</deviceList></device></deviceList></device></root>"
#define IGD_ACTIONS 4

/* One HTTP request of at most a few kB: headers and Content-Length body. */
static gchar *
igd_read_request (GSocket * client)
{
  GString *request = g_string_new (NULL);
  gchar buf[2048];
  gssize n;

  while (request->len < 16384
      && (n = g_socket_receive (client, buf, sizeof buf, NULL, NULL)) > 0) {
    const gchar *end, *length;

    g_string_append_len (request, buf, n);
    end = strstr (request->str, "\r\n\r\n");
    if (end == NULL)
      continue;
    length = g_strstr_len (request->str, end - request->str, "Content-Length:");
    if (length == NULL || (gsize) (end + 4 - request->str) +
        g_ascii_strtoull (length + 15, NULL, 10) <= request->len)
      break;
  }
  return g_string_free (request, FALSE);
}

/* The fake IGD: its description, AddPortMapping granted as asked,
 * 198.51.100.7 as its external address, DeletePortMapping accepted; the
 * SOAP actions go to f->actions. Serves a bounded number of connections,
 * each within the socket's timeout. */
static gpointer
igd_serve (gpointer data)
{
  Fixture *f = data;
  static const gchar *const actions[IGD_ACTIONS] = { "AddPortMapping",
    "GetExternalIPAddress", "DeletePortMapping", "GetStatusInfo"
  };
  guint served;

  for (served = 0; served < 16; served++) {
    g_autoptr (GSocket) client = g_socket_accept (f->igd, NULL, NULL);
    g_autofree gchar *request = NULL;
    g_autofree gchar *body = NULL;
    g_autofree gchar *answer = NULL;
    const gchar *action = NULL;
    guint i;

    if (client == NULL)
      break;
    g_socket_set_timeout (client, 20);
    request = igd_read_request (client);
    for (i = 0; i < IGD_ACTIONS; i++) {
      g_autofree gchar *tag = g_strdup_printf ("#%s\"", actions[i]);

      if (strstr (request, tag))
        action = actions[i];
    }
    if (action == NULL) {
      body = g_strdup (IGD_DESCRIPTION);
    } else {
      body = g_strdup_printf ("<?xml version=\"1.0\"?><s:Envelope "
          "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
          "<u:%sResponse xmlns:u=\"" IGD_SERVICE "\">%s</u:%sResponse>"
          "</s:Body></s:Envelope>", action,
          g_str_equal (action, "GetExternalIPAddress") ?
          "<NewExternalIPAddress>198.51.100.7</NewExternalIPAddress>" :
          g_str_equal (action, "GetStatusInfo") ?
          "<NewConnectionStatus>Connected</NewConnectionStatus>" : "", action);
      g_async_queue_push (f->actions, g_strdup (action));
      if (f->igd_hold && g_str_equal (action, "AddPortMapping"))
        g_free (g_async_queue_timeout_pop (f->igd_hold, 20 * G_USEC_PER_SEC));
    }
    answer = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
        "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
        strlen (body), body);
    g_socket_send (client, answer, strlen (answer), NULL, NULL);
    g_socket_close (client, NULL);
    if (g_strcmp0 (action, "DeletePortMapping") == 0)
      break;
  }
  return NULL;
}

/* A socket on 127.0.0.1, port chosen by the system and put in *port,
 * with a generous timeout: the requests come within a few seconds, even
 * under ASan. */
static GSocket *
loopback_socket (GSocketType type, GSocketProtocol protocol, guint * port)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, NULL);

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_timeout (socket, 20);
  return socket;
}

static void
igd_start (Fixture * f)
{
  guint port;

  f->igd = loopback_socket (G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &port);
  g_assert_true (g_socket_listen (f->igd, NULL));
  f->igd_location = g_strdup_printf ("http://127.0.0.1:%u/rootDesc.xml", port);
  f->actions = g_async_queue_new_full (g_free);
  f->igd_thread = g_thread_new ("fake-igd", igd_serve, f);
}

static void
setup (Fixture * f, gconstpointer data)
{
  f->gateway = loopback_socket (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
      &f->gateway_port);
  f->mapped = g_async_queue_new_full (g_free);
  if (g_strcmp0 (data, "upnp-held") == 0)
    f->igd_hold = g_async_queue_new_full (g_free);
  if (data)
    igd_start (f);
  f->loop = p2p_loop_new ("test-port-mapping");
  p2p_loop_invoke_sync (f->loop, create_cb, f);
  g_assert_nonnull (f->mapping);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  p2p_loop_invoke_sync (f->loop, free_cb, f);
  g_object_unref (f->loop);
  g_object_unref (f->gateway);
  g_clear_object (&f->client);
  g_async_queue_unref (f->mapped);
  if (f->igd_thread) {
    g_thread_join (f->igd_thread);
    g_object_unref (f->igd);
    g_async_queue_unref (f->actions);
    g_free (f->igd_location);
  }
  if (f->igd_hold)
    g_async_queue_unref (f->igd_hold);
}

/* The next SOAP action the fake IGD received, skipping queries. */
static gchar *
igd_next_action (Fixture * f)
{
  gchar *action;

  while ((action = g_async_queue_timeout_pop (f->actions, 20 * G_USEC_PER_SEC))
      && (g_str_has_prefix (action, "Get")))
    g_free (action);
  return action;
}

/* The next request the gateway receives; its size in *len. */
static guint8 *
gateway_receive (Fixture * f, gssize * len)
{
  static guint8 buf[1100];
  g_autoptr (GError) error = NULL;

  g_clear_object (&f->client);
  *len = g_socket_receive_from (f->gateway, &f->client, (gchar *) buf,
      sizeof buf, NULL, &error);
  g_assert_no_error (error);
  return buf;
}

static void
gateway_send (Fixture * f, const guint8 * buf, gsize len)
{
  g_assert_cmpint (g_socket_send_to (f->gateway, f->client,
          (const gchar *) buf, len, NULL, NULL), ==, len);
}

/* Big-endian fields of a message, read back with GLib. */
static guint
get16 (const guint8 * p)
{
  guint16 v;

  memcpy (&v, p, sizeof v);
  return GUINT16_FROM_BE (v);
}

static guint32
get32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_BE (v);
}

/* Answers a PCP MAP request with @port on 203.0.113.7 for @lifetime s. */
static void
pcp_answer (Fixture * f, const guint8 * request, guint port, guint lifetime)
{
  guint8 answer[60];
  static const guint8 ext[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
    203, 0, 113, 7
  };

  memcpy (answer, request, sizeof answer);
  answer[1] = 0x81;
  answer[2] = 0;
  answer[3] = 0;
  answer[4] = lifetime >> 24;
  answer[5] = lifetime >> 16;
  answer[6] = lifetime >> 8;
  answer[7] = lifetime;
  memset (answer + 8, 0, 16);
  answer[42] = port >> 8;
  answer[43] = port;
  memcpy (answer + 44, ext, 16);
  gateway_send (f, answer, sizeof answer);
}

static void
assert_pcp_map (const guint8 * buf, gssize len, guint lifetime)
{
  g_assert_cmpint (len, ==, 60);
  g_assert_cmpuint (buf[0], ==, 2);
  g_assert_cmpuint (buf[1], ==, 1);
  g_assert_cmpuint (get32 (buf + 4), ==, lifetime);
  /* The client address is the internal one, IPv4-mapped. */
  g_assert_cmpuint (buf[18], ==, 0xff);
  g_assert_cmpuint (buf[20], ==, 127);
  g_assert_cmpuint (buf[36], ==, 17);
  g_assert_cmpuint (get16 (buf + 40), ==, INTERNAL_PORT);
}

/* PCP: granted, reported once, renewed at half the lifetime with the
 * same nonce and the granted port, deleted when freed. */
static void
test_pcp (Fixture * f, gconstpointer data)
{
  guint8 first[60];
  g_autofree gchar *mapped = NULL;
  gssize len;
  guint8 *buf = gateway_receive (f, &len);

  assert_pcp_map (buf, len, 3600);
  memcpy (first, buf, sizeof first);
  pcp_answer (f, buf, 40000, 2);
  mapped = g_async_queue_timeout_pop (f->mapped, 20 * G_USEC_PER_SEC);
  g_assert_cmpstr (mapped, ==, "203.0.113.7:40000");

  buf = gateway_receive (f, &len);
  assert_pcp_map (buf, len, 3600);
  g_assert_cmpmem (buf + 24, 12, first + 24, 12);
  g_assert_cmpuint (get16 (buf + 42), ==, 40000);
  pcp_answer (f, buf, 40000, 3600);

  p2p_loop_invoke_sync (f->loop, free_cb, f);
  buf = gateway_receive (f, &len);
  assert_pcp_map (buf, len, 0);
  g_assert_null (g_async_queue_try_pop (f->mapped));
}

/* A NAT-PMP gateway answers PCP with "unsupported version": the address
 * and the mapping are then asked in NAT-PMP, and deleted in it. */
static void
test_natpmp (Fixture * f, gconstpointer data)
{
  static const guint8 unsupported[8] = { 0, 0x81, 0, 1, 0, 0, 0, 9 };
  static const guint8 address[12] = { 0, 0x80, 0, 0, 0, 0, 0, 9,
    198, 51, 100, 9
  };
  guint8 map[16] = { 0, 0x81, 0, 0, 0, 0, 0, 9, INTERNAL_PORT >> 8,
    INTERNAL_PORT & 0xff, 50000 >> 8, 50000 & 0xff, 0, 0, 0x0e, 0x10
  };
  g_autofree gchar *mapped = NULL;
  gssize len;
  guint8 *buf = gateway_receive (f, &len);

  assert_pcp_map (buf, len, 3600);
  gateway_send (f, unsupported, sizeof unsupported);
  buf = gateway_receive (f, &len);
  g_assert_cmpint (len, ==, 2);
  g_assert_cmpuint (buf[1], ==, 0);
  gateway_send (f, address, sizeof address);
  buf = gateway_receive (f, &len);
  g_assert_cmpint (len, ==, 12);
  g_assert_cmpuint (buf[1], ==, 1);
  g_assert_cmpuint (get16 (buf + 4), ==, INTERNAL_PORT);
  g_assert_cmpuint (get32 (buf + 8), ==, 3600);
  gateway_send (f, map, sizeof map);
  mapped = g_async_queue_timeout_pop (f->mapped, 20 * G_USEC_PER_SEC);
  g_assert_cmpstr (mapped, ==, "198.51.100.9:50000");

  p2p_loop_invoke_sync (f->loop, free_cb, f);
  buf = gateway_receive (f, &len);
  g_assert_cmpint (len, ==, 12);
  g_assert_cmpuint (buf[1], ==, 1);
  g_assert_cmpuint (get16 (buf + 6), ==, 50000);
  g_assert_cmpuint (get32 (buf + 8), ==, 0);
}

/* A refusal ends the requests: nothing is reported, nothing resent. */
static void
test_refused (Fixture * f, gconstpointer data)
{
  gssize len;
  guint8 *buf = gateway_receive (f, &len);
  guint8 answer[60];

  memcpy (answer, buf, sizeof answer);
  answer[1] = 0x81;
  answer[3] = 2;                /* NOT_AUTHORIZED */
  gateway_send (f, answer, sizeof answer);
  g_socket_set_timeout (f->gateway, 1);
  g_assert_cmpint (g_socket_receive (f->gateway, (gchar *) answer,
          sizeof answer, NULL, NULL), ==, -1);
  g_assert_null (g_async_queue_try_pop (f->mapped));
}

/* A gateway silent on PCP with a UPnP IGD: the mapping is asked there
 * after the first unanswered PCP requests, reported with the IGD's
 * external address, and deleted there when freed. */
static void
test_upnp (Fixture * f, gconstpointer data)
{
  g_autofree gchar *mapped = NULL;
  g_autofree gchar *added = NULL;
  g_autofree gchar *deleted = NULL;
  gssize len;
  guint8 *buf = gateway_receive (f, &len);

  assert_pcp_map (buf, len, 3600);
  mapped = g_async_queue_timeout_pop (f->mapped, 20 * G_USEC_PER_SEC);
  g_assert_cmpstr (mapped, ==, "198.51.100.7:4242");
  added = igd_next_action (f);
  g_assert_cmpstr (added, ==, "AddPortMapping");

  p2p_loop_invoke_sync (f->loop, free_cb, f);
  deleted = igd_next_action (f);
  g_assert_cmpstr (deleted, ==, "DeletePortMapping");
  g_assert_null (g_async_queue_try_pop (f->mapped));
}

/* PCP answers only after the IGD was asked too (seen in the NAT lab,
 * port-mapping-late): the PCP grant is reported, and the IGD's, granted
 * after it, is deleted at once instead of held as a second router port
 * for the socket until the call ends. */
static void
test_pcp_then_upnp (Fixture * f, gconstpointer data)
{
  g_autofree gchar *added = NULL;
  g_autofree gchar *mapped = NULL;
  g_autofree gchar *deleted = NULL;
  gssize len;
  guint8 *buf;
  guint i;

  /* Two unanswered requests, and the third goes out as UPnP starts. */
  for (i = 0; i < 3; i++) {
    buf = gateway_receive (f, &len);
    assert_pcp_map (buf, len, 3600);
  }
  added = igd_next_action (f);
  g_assert_cmpstr (added, ==, "AddPortMapping");
  pcp_answer (f, buf, 40000, 3600);
  mapped = g_async_queue_timeout_pop (f->mapped, 20 * G_USEC_PER_SEC);
  g_assert_cmpstr (mapped, ==, "203.0.113.7:40000");

  g_async_queue_push (f->igd_hold, g_strdup ("granted"));
  deleted = igd_next_action (f);
  g_assert_cmpstr (deleted, ==, "DeletePortMapping");
  g_assert_null (g_async_queue_try_pop (f->mapped));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/p2p/port-mapping/pcp", Fixture, NULL, setup, test_pcp,
      teardown);
  g_test_add ("/p2p/port-mapping/natpmp", Fixture, NULL, setup, test_natpmp,
      teardown);
  g_test_add ("/p2p/port-mapping/refused", Fixture, NULL, setup,
      test_refused, teardown);
  g_test_add ("/p2p/port-mapping/upnp", Fixture, "upnp", setup, test_upnp,
      teardown);
  g_test_add ("/p2p/port-mapping/pcp-then-upnp", Fixture, "upnp-held", setup,
      test_pcp_then_upnp, teardown);
  return g_test_run ();
}
