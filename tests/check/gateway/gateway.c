/* p2p-gateway tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The gateway ($P2P_GATEWAY) as operators run it, against a p2psink camera
 * and a p2p-server on loopback, read by clients nobody here wrote: Debian's
 * ffprobe and ffmpeg ($FFPROBE, $FFMPEG) and GStreamer's rtspsrc. */

#include "../elements/p2ptest.h"
#include "../server/harness.h"
#include "whep-client.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#define CAMERA_NAME "cam"
#define FPS 15
#define VIDEO "videotestsrc is-live=true ! " \
  "video/x-raw,width=320,height=240,framerate=15/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 " \
  "bitrate=256"

static P2pTestEnv *env;

static void
setup (void)
{
  env = p2p_test_env_new_with_server ();
}

static void
teardown (void)
{
  p2p_test_env_free (env);
  env = NULL;
}

static void
camera_wait_registered (GstElement * cam)
{
  GstMessage *msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-registered", P2P_TEST_WAIT_MS);

  fail_unless (msg != NULL, "the camera did not register");
  gst_message_unref (msg);
}

static GstElement *
camera_start (gboolean audio)
{
  GstElement *cam = p2p_test_pipeline (VIDEO " ! p2psink name=cam uid=%s "
      "key-file=%s server=%s password-file=%s %s", env->uid, env->key_file,
      env->url, env->password_file, audio ?
      "audiotestsrc is-live=true wave=ticks ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc ! cam.audio" : "");

  p2p_test_start (cam);
  camera_wait_registered (cam);
  return cam;
}

static guint
camera_viewers (GstElement * cam)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  guint n;

  g_object_get (sink, "viewers", &n, NULL);
  gst_object_unref (sink);
  return n;
}

/* ---- the gateway process ---- */

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
  gint rtsp_port;
  gint admin_port;
} Gateway;

static gchar *
gateway_read_line (Gateway * gw)
{
  gboolean timed_out;
  gchar *line = harness_read_line (gw->out, P2P_TEST_WAIT_MS, &timed_out);

  fail_if (timed_out, "the gateway printed nothing within %d ms",
      P2P_TEST_WAIT_MS);
  fail_unless (line != NULL, "the gateway exited");
  return line;
}

/* A gateway outlives a crashed or timed-out test otherwise. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Runs p2p-gateway with @argv and reads the ports it prints. */
static Gateway *
gateway_spawn (const gchar * const *argv)
{
  Gateway *gw = g_new0 (Gateway, 1);
  GSubprocessLauncher *launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  GError *err = NULL;
  gchar *line;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  gw->process = g_subprocess_launcher_spawnv (launcher, argv, &err);
  fail_unless (gw->process != NULL, "p2p-gateway: %s",
      err ? err->message : "?");
  g_object_unref (launcher);
  gw->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
      (gw->process));
  line = gateway_read_line (gw);
  fail_unless (sscanf (line, "p2p-gateway: rtsp port %d", &gw->rtsp_port)
      == 1, "unexpected line '%s'", line);
  g_free (line);
  line = gateway_read_line (gw);
  fail_unless (sscanf (line, "p2p-gateway: admin port %d", &gw->admin_port)
      == 1, "unexpected line '%s'", line);
  g_free (line);
  fail_unless (gw->rtsp_port > 0 && gw->admin_port > 0);
  return gw;
}

/* Starts p2p-gateway serving the test camera as /cam on loopback (RTSP
 * port @rtsp_port, 0 for any), the admin port from the OS, without
 * authentication, all from the command line. */
static Gateway *
gateway_start_password (gint rtsp_port, const gchar * password)
{
  gchar *camera = g_strdup_printf ("%s=p2p://%s?server=%s&password=%s",
      CAMERA_NAME, env->uid, env->url, password);
  gchar *port = g_strdup_printf ("--rtsp-port=%d", rtsp_port);
  const gchar *argv[] = { g_getenv ("P2P_GATEWAY"), "--camera", camera,
    "--rtsp-address=127.0.0.1", port, "--admin-address=127.0.0.1",
    "--admin-port=0", "--linger=1", "--no-lan", NULL
  };
  Gateway *gw = gateway_spawn (argv);

  fail_unless (rtsp_port == 0 || gw->rtsp_port == rtsp_port);
  g_free (camera);
  g_free (port);
  return gw;
}

static Gateway *
gateway_start (gint rtsp_port)
{
  return gateway_start_password (rtsp_port, P2P_TEST_PASSWORD);
}

/* The same from a configuration file, as the systemd unit runs it, with
 * RTSP user `nvr` (password `right-pw`) and the camera's password in a
 * file of its own. */
static Gateway *
gateway_start_config (void)
{
  gchar *password_file = g_build_filename (env->dir, "cam.password", NULL);
  gchar *config_file = g_build_filename (env->dir, "gateway.conf", NULL);
  gchar *config = g_strdup_printf ("[gateway]\n"
      "rtsp-address = 127.0.0.1\nrtsp-port = 0\n"
      "admin-address = 127.0.0.1\nadmin-port = 0\n"
      "linger = 1\nserver = %s\nlan = false\n"
      "[users]\nnvr = right-pw\n"
      "[camera " CAMERA_NAME "]\nuid = %s\npassword-file = %s\n",
      env->url, env->uid, password_file);
  const gchar *argv[] = { g_getenv ("P2P_GATEWAY"), "--config", config_file,
    NULL
  };
  Gateway *gw;

  fail_unless (g_file_set_contents (password_file, P2P_TEST_PASSWORD "\n", -1,
          NULL));
  fail_unless (g_file_set_contents (config_file, config, -1, NULL));
  gw = gateway_spawn (argv);
  g_free (password_file);
  g_free (config_file);
  g_free (config);
  return gw;
}

static gboolean
process_exited (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

static void
wait_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
}

/* Stops @process with SIGTERM, as systemd does, and checks that it ends
 * in time and cleanly. */
static void
stop_process (GSubprocess * process)
{
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, wait_cb, NULL);
  fail_unless (harness_wait (process_exited, process, P2P_TEST_WAIT_MS),
      "did not stop on SIGTERM");
}

static void
gateway_stop (Gateway * gw)
{
  stop_process (gw->process);
  fail_unless (g_subprocess_get_if_exited (gw->process)
      && g_subprocess_get_exit_status (gw->process) == 0,
      "the gateway did not exit cleanly on SIGTERM");
  g_object_unref (gw->out);
  g_object_unref (gw->process);
  g_free (gw);
}

static gchar *
gateway_url (Gateway * gw, const gchar * login)
{
  return g_strdup_printf ("rtsp://%s%s127.0.0.1:%d/" CAMERA_NAME,
      login ? login : "", login ? "@" : "", gw->rtsp_port);
}

/* ---- metrics ---- */

/* GET @path on @gw's admin port: the body of a 200 answer. */
static gchar *
admin_get (Gateway * gw, const gchar * path)
{
  SoupSession *session = soup_session_new ();
  gchar *url = g_strdup_printf ("http://127.0.0.1:%d%s", gw->admin_port,
      path);
  SoupMessage *msg = soup_message_new ("GET", url);
  GError *err = NULL;
  GBytes *body = soup_session_send_and_read (session, msg, NULL, &err);
  gchar *text;

  fail_unless (body != NULL, "GET %s: %s", url, err ? err->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (session);
  g_free (url);
  return text;
}

/* The value of sample @name (with its labels) in @gw's metrics. */
static gint64
metric (Gateway * gw, const gchar * name)
{
  gchar *text = admin_get (gw, "/metrics");
  gchar **lines = g_strsplit (text, "\n", -1);
  gint64 value = -1;
  guint i;

  for (i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], name)
        && lines[i][strlen (name)] == ' ')
      value = g_ascii_strtoll (lines[i] + strlen (name) + 1, NULL, 10);
  }
  fail_unless (value >= 0, "no metric %s in:\n%s", name, text);
  g_strfreev (lines);
  g_free (text);
  return value;
}

#define CAMERA_METRIC(m) m "{camera=\"" CAMERA_NAME "\"}"

typedef struct
{
  Gateway *gw;
  const gchar *name;
  gint64 value;
} MetricWait;

static gboolean
metric_reached (gpointer data)
{
  MetricWait *w = data;

  return metric (w->gw, w->name) == w->value;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits until metric @name is @value: the gateway is asked again every
 * 50 ms (a tick wakes the wait), up to the usual limit. */
static void
wait_metric (Gateway * gw, const gchar * name, gint64 value)
{
  MetricWait w = { gw, name, value };
  guint id = g_timeout_add (50, tick, NULL);

  fail_unless (harness_wait (metric_reached, &w, 2 * P2P_TEST_WAIT_MS),
      "%s is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT " after %d ms",
      name, metric (gw, name), value, 2 * P2P_TEST_WAIT_MS);
  g_source_remove (id);
}

/* ---- clients ---- */

typedef struct
{
  gchar *out;
  gchar *err;
  gboolean done;
} ToolRun;

static void
communicate_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  ToolRun *run = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
      &run->out, &run->err, NULL);
  run->done = TRUE;
}

static gboolean
tool_done (gpointer data)
{
  return ((ToolRun *) data)->done;
}

/* Runs @argv (ffmpeg or ffprobe) to its end, within the usual limit times
 * @scale; returns its exit status, @out and @err its output. */
static gint
run_tool (const gchar * const *argv, guint scale, gchar ** out, gchar ** err)
{
  ToolRun run = { 0 };
  GError *error = NULL;
  GSubprocess *p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE
      | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  gint status;

  fail_unless (p != NULL, "%s: %s", argv[0], error ? error->message : "");
  g_subprocess_communicate_utf8_async (p, NULL, NULL, communicate_cb, &run);
  if (!harness_wait (tool_done, &run, scale * P2P_TEST_WAIT_MS)) {
    g_subprocess_force_exit (p);
    harness_wait (tool_done, &run, P2P_TEST_WAIT_MS);
    fail ("%s did not finish within %d ms", argv[0], scale * P2P_TEST_WAIT_MS);
  }
  status = g_subprocess_get_if_exited (p) ?
      g_subprocess_get_exit_status (p) : -1;
  g_object_unref (p);
  *out = run.out;
  *err = run.err;
  return status;
}

/* ffprobe's stream lines: `codec_type=video|codec_name=h264|width=...` */
static gchar *
ffprobe (const gchar * url, gint * status)
{
  const gchar *argv[] = { g_getenv ("FFPROBE"), "-v", "error",
    "-show_entries", "stream=codec_type,codec_name,width,height",
    "-of", "compact=p=0", url, NULL
  };
  gchar *out, *err;

  *status = run_tool (argv, 2, &out, &err);
  if (*status != 0) {
    g_free (out);
    return err;
  }
  g_free (err);
  return out;
}

/* A long-running ffmpeg reading @url over RTSP/TCP and discarding it. */
static GSubprocess *
ffmpeg_watch (const gchar * url)
{
  const gchar *argv[] = { g_getenv ("FFMPEG"), "-nostdin", "-v", "error",
    "-rtsp_transport", "tcp", "-i", url, "-t", "600", "-f", "null", "-",
    NULL
  };
  GError *err = NULL;
  GSubprocess *p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &err);

  fail_unless (p != NULL, "ffmpeg: %s", err ? err->message : "");
  return p;
}

static void
ffmpeg_stop (GSubprocess * p)
{
  fail_if (g_subprocess_get_identifier (p) == NULL, "ffmpeg ended by itself");
  stop_process (p);
  g_object_unref (p);
}

static GstElement *
rtspsrc_start (const gchar * url)
{
  GstElement *viewer = p2p_test_pipeline ("rtspsrc location=%s "
      "protocols=tcp latency=100 ! rtph264depay ! "
      "appsink name=out sync=false max-buffers=1 drop=true", url);

  p2p_test_start (viewer);
  return viewer;
}

/* Fails on an ERROR posted by @pipeline so far. */
static void
check_no_error (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("%s: %s", GST_MESSAGE_SRC_NAME (msg), err->message);
  }
  gst_object_unref (bus);
}

static void
pull_frames (GstElement * viewer, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    gst_sample_unref (p2p_test_pull (viewer, "out"));
  check_no_error (viewer);
}

/* ---- a bare RTSP client ---- */

/* An NVR's RTSP/TCP connection to @gw, requests written and answers read
 * here, so that the test decides how it ends. Reads and writes time out
 * after the usual limit. */
static GSocketConnection *
rtsp_connect (Gateway * gw)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GError *err = NULL;

  g_socket_client_set_timeout (client, P2P_TEST_WAIT_MS / 1000);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", gw->rtsp_port,
      NULL, &err);
  fail_unless (conn != NULL, "RTSP connection: %s", err ? err->message : "");
  g_object_unref (client);
  return conn;
}

/* Reads one interleaved frame ('$', channel, length, data) whose '$' has
 * been read; returns its channel. */
static guint
rtsp_read_frame_rest (GInputStream * in)
{
  guint8 header[3], *data;
  gsize n;
  GError *err = NULL;

  fail_unless (g_input_stream_read_all (in, header, 3, &n, NULL, &err)
      && n == 3, "interleaved frame: %s", err ? err->message : "cut short");
  data = g_malloc ((header[1] << 8) | header[2]);
  fail_unless (g_input_stream_read_all (in, data, (header[1] << 8) |
          header[2], &n, NULL, &err), "interleaved frame: %s",
      err ? err->message : "");
  g_free (data);
  return header[0];
}

/* Reads the next interleaved frame on @conn; returns its channel. */
static guint
rtsp_read_frame (GSocketConnection * conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GError *err = NULL;
  gchar c;

  fail_unless (g_input_stream_read (in, &c, 1, NULL, &err) == 1,
      "no media: %s", err ? err->message : "closed");
  fail_unless (c == '$', "not an interleaved frame: '%c'", c);
  return rtsp_read_frame_rest (in);
}

/* Sends @method for @url with @headers (each ending in CRLF) on @conn and
 * reads the answer, passing over interleaved media frames; returns its
 * status code and, if @session is not NULL, its session id (or NULL). */
static gint
rtsp_request (GSocketConnection * conn, const gchar * method,
    const gchar * url, guint cseq, const gchar * headers, gchar ** session)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  gchar *request = g_strdup_printf ("%s %s RTSP/1.0\r\nCSeq: %u\r\n%s\r\n",
      method, url, cseq, headers);
  GString *head = g_string_new (NULL);
  GError *err = NULL;
  gint status = -1;
  gsize length = 0;
  gchar **lines, c;
  guint i;

  fail_unless (g_output_stream_write_all (out, request, strlen (request),
          NULL, NULL, &err), "%s: %s", method, err ? err->message : "");
  g_free (request);
  while (!g_str_has_suffix (head->str, "\r\n\r\n")) {
    fail_unless (g_input_stream_read (in, &c, 1, NULL, &err) == 1,
        "no answer to %s: %s", method, err ? err->message : "closed");
    if (head->len == 0 && c == '$')
      rtsp_read_frame_rest (in);
    else
      g_string_append_c (head, c);
  }
  lines = g_strsplit (head->str, "\r\n", -1);
  fail_unless (sscanf (lines[0], "RTSP/1.0 %d", &status) == 1,
      "answer to %s: %s", method, lines[0]);
  if (session)
    *session = NULL;
  for (i = 0; lines[i]; i++) {
    if (g_ascii_strncasecmp (lines[i], "Content-Length:", 15) == 0)
      length = g_ascii_strtoull (lines[i] + 15, NULL, 10);
    if (session && g_ascii_strncasecmp (lines[i], "Session:", 8) == 0)
      *session = g_strstrip (g_strdup (lines[i] + 8));
  }
  if (session && *session)
    (*session)[strcspn (*session, ";")] = '\0';
  g_strfreev (lines);
  g_string_free (head, TRUE);
  for (; length > 0; length--)
    fail_unless (g_input_stream_read (in, &c, 1, NULL, &err) == 1,
        "body of the answer to %s: %s", method, err ? err->message : "cut");
  return status;
}

/* ---- tests ---- */

/* ffprobe sees the camera's codecs and resolution through the gateway,
 * and ffmpeg decodes 5 s of its video. */
GST_START_TEST (test_ffprobe)
{
  GstElement *cam = camera_start (TRUE);
  Gateway *gw = gateway_start (0);
  gchar *url = gateway_url (gw, NULL);
  const gchar *argv[] = { g_getenv ("FFMPEG"), "-nostdin", "-v", "error",
    "-rtsp_transport", "tcp", "-i", url, "-map", "0:v", "-t", "5",
    "-f", "framecrc", "-", NULL
  };
  gchar *probe, *out, *err, **lines;
  gint status, frames = 0, tb_num = 0, tb_den = 0;
  gint64 first_pts = -1, last_pts = -1, span_ms;
  guint i;

  probe = ffprobe (url, &status);
  fail_unless_equals_int (status, 0);
  /* The line the issue's closing note quotes. */
  g_print ("ffprobe %s:\n%s", url, probe);
  fail_unless (strstr (probe, "codec_name=h264|codec_type=video|"
          "width=320|height=240") != NULL, "ffprobe saw:\n%s", probe);
  fail_unless (strstr (probe, "codec_name=opus|codec_type=audio") != NULL,
      "ffprobe saw:\n%s", probe);
  g_free (probe);

  status = run_tool (argv, 3, &out, &err);
  fail_unless (status == 0, "ffmpeg exit status %d:\n%s", status, err);
  /* framecrc: a time base line `#tb 0: NUM/DEN`, then per frame stream,
   * dts, pts, duration, size, crc. */
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gint64 stream, dts, pts;

    if (sscanf (lines[i], "#tb 0: %d/%d", &tb_num, &tb_den) == 2)
      continue;
    if (sscanf (lines[i], "%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
            G_GINT64_FORMAT ",", &stream, &dts, &pts) != 3)
      continue;
    if (first_pts < 0)
      first_pts = pts;
    last_pts = pts;
    frames++;
  }
  fail_unless (tb_num > 0 && tb_den > 0, "no time base from ffmpeg");
  span_ms = (last_pts - first_pts) * 1000 * tb_num / tb_den;
  g_print ("ffmpeg decoded %d frames over %" G_GINT64_FORMAT " ms\n",
      frames, span_ms);
  fail_unless (span_ms >= 4000, "only %" G_GINT64_FORMAT " ms decoded",
      span_ms);
  /* Live: a loaded machine may drop frames, but not most. */
  fail_unless (frames >= 3 * FPS, "only %d frames decoded", frames);
  g_strfreev (lines);
  g_free (out);
  g_free (err);

  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* An NVR whose connection drops without a TEARDOWN (killed, or its network
 * gone) and that comes straight back plays the camera again, ten times in
 * a row: each DESCRIBE arrives while the media of the connection before is
 * being let go. With one media shared by all clients, gst-rtsp-server
 * offered that media to the new client and answered "503 Service
 * Unavailable" as it could not be prepared again. */
GST_START_TEST (test_reconnect)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start (0);
  gchar *url = gateway_url (gw, NULL);
  gchar *stream_url = g_strdup_printf ("%s/stream=0", url);
  guint i;

  for (i = 1; i <= 10; i++) {
    GSocketConnection *conn = rtsp_connect (gw);
    gchar *session, *header;
    gint status;

    status = rtsp_request (conn, "DESCRIBE", url, 1,
        "Accept: application/sdp\r\n", NULL);
    fail_unless (status == 200, "connection %u: DESCRIBE answered %d", i,
        status);
    status = rtsp_request (conn, "SETUP", stream_url, 2,
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n", &session);
    fail_unless (status == 200 && session, "connection %u: SETUP answered %d",
        i, status);
    header = g_strdup_printf ("Session: %s\r\n", session);
    status = rtsp_request (conn, "PLAY", url, 3, header, NULL);
    fail_unless (status == 200, "connection %u: PLAY answered %d", i, status);
    /* Media comes: the first interleaved frame after the answer. */
    fail_unless (rtsp_read_frame (conn) <= 1);
    g_free (header);
    g_free (session);
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    g_object_unref (conn);
  }

  g_free (stream_url);
  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* Two ffmpeg clients and rtspsrc at once share one p2p session, which
 * ends a linger time after the last client. */
GST_START_TEST (test_one_session)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start (0);
  gchar *url = gateway_url (gw, NULL);
  GSubprocess *ff1 = ffmpeg_watch (url);
  GSubprocess *ff2 = ffmpeg_watch (url);
  GstElement *viewer = rtspsrc_start (url);
  gchar *health;

  pull_frames (viewer, 2 * FPS);
  health = admin_get (gw, "/health");
  fail_unless_equals_string (health, "ok\n");
  g_free (health);
  fail_unless_equals_int (metric (gw, "p2p_gateway_cameras"), 1);
  wait_metric (gw, CAMERA_METRIC ("p2p_gateway_camera_clients"), 3);
  fail_unless_equals_int (camera_viewers (cam), 1);
  fail_unless_equals_int (metric (gw, "p2p_gateway_sessions"), 1);
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_sessions_total")), 1);
  fail_unless (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_received_bytes_total")) > 0);

  ffmpeg_stop (ff1);
  ffmpeg_stop (ff2);
  p2p_test_stop (viewer);
  wait_metric (gw, "p2p_gateway_clients", 0);
  /* --linger=1: the session ends without a client. */
  wait_metric (gw, "p2p_gateway_sessions", 0);
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_sessions_total")), 1);

  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* With users configured (in the configuration file), only a client giving
 * one's digest login gets the stream, and a refused client does not make
 * the gateway call the camera. */
GST_START_TEST (test_digest_auth)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start_config ();
  gchar *anonymous = gateway_url (gw, NULL);
  gchar *wrong = gateway_url (gw, "nvr:wrong-pw");
  gchar *stranger = gateway_url (gw, "other:right-pw");
  gchar *right = gateway_url (gw, "nvr:right-pw");
  const gchar *refused[] = { anonymous, wrong, stranger };
  gchar *out;
  gint status;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    out = ffprobe (refused[i], &status);
    fail_if (status == 0, "%s was let in", refused[i]);
    fail_unless (strstr (out, "401") != NULL, "%s: %s", refused[i], out);
    g_free (out);
  }
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_sessions_total")), 0);
  fail_unless_equals_int (camera_viewers (cam), 0);

  out = ffprobe (right, &status);
  fail_unless_equals_int (status, 0);
  fail_unless (strstr (out, "codec_name=h264") != NULL, "%s", out);
  g_free (out);

  g_free (anonymous);
  g_free (wrong);
  g_free (stranger);
  g_free (right);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* The camera restarts: the gateway's p2p session reconnects by itself and
 * the RTSP clients (rtspsrc, ffmpeg) keep their sessions and get frames
 * again: a pause, not an error. */
GST_START_TEST (test_camera_restart)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start (0);
  gchar *url = gateway_url (gw, NULL);
  GSubprocess *ff = ffmpeg_watch (url);
  GstElement *viewer = rtspsrc_start (url);
  GstElement *sink;
  GstSample *stale;

  pull_frames (viewer, FPS);
  wait_metric (gw, CAMERA_METRIC ("p2p_gateway_camera_clients"), 2);

  p2p_test_stop (cam);
  wait_metric (gw, CAMERA_METRIC ("p2p_gateway_camera_connected"), 0);
  /* What the appsink holds now came before the restart. */
  sink = gst_bin_get_by_name (GST_BIN (viewer), "out");
  while ((stale = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0)))
    gst_sample_unref (stale);
  gst_object_unref (sink);
  cam = camera_start (FALSE);

  pull_frames (viewer, FPS);
  wait_metric (gw, CAMERA_METRIC ("p2p_gateway_camera_connected"), 1);
  fail_unless (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_reconnects_total")) >= 1);
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_clients")), 2);
  fail_unless_equals_int (camera_viewers (cam), 1);
  ffmpeg_stop (ff);

  p2p_test_stop (viewer);
  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* The gateway restarts (an upgrade, a crash under systemd): it serves
 * again on the same port and a client connecting again, as NVRs do,
 * gets the camera without anyone touching the camera or the config. */
GST_START_TEST (test_gateway_restart)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start (0);
  gint port = gw->rtsp_port;
  gchar *url = gateway_url (gw, NULL);
  GstElement *viewer = rtspsrc_start (url);

  pull_frames (viewer, FPS);
  gateway_stop (gw);
  p2p_test_stop (viewer);

  gw = gateway_start (port);
  viewer = rtspsrc_start (url);
  pull_frames (viewer, FPS);
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_clients")), 1);
  fail_unless_equals_int (camera_viewers (cam), 1);

  p2p_test_stop (viewer);
  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A camera the gateway cannot log in to (a wrong camera password in its
 * configuration): the RTSP client gets an error answer (gst-rtsp-server
 * says 400 when a media cannot be made), not a hang, and the gateway
 * keeps no session. */
GST_START_TEST (test_camera_refuses)
{
  GstElement *cam = camera_start (FALSE);
  Gateway *gw = gateway_start_password (0, "not-the-password");
  gchar *url = gateway_url (gw, NULL);
  gchar *out;
  gint status;

  out = ffprobe (url, &status);
  fail_if (status == 0, "ffprobe read a camera the gateway cannot log in to");
  fail_unless (strstr (out, "400") != NULL, "%s", out);
  g_free (out);
  fail_unless_equals_int (camera_viewers (cam), 0);
  wait_metric (gw, "p2p_gateway_sessions", 0);

  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

static gboolean
on_select_stream (GstElement * src, guint idx, GstCaps * caps, gpointer data)
{
  /* The back channel is the stream the client sends on. */
  if (gst_structure_has_field (gst_caps_get_structure (caps, 0), "a-sendonly"))
    g_atomic_int_set ((gint *) data, idx);
  return TRUE;
}

/* The loudest value in @sample, S16 audio; takes the sample. */
static gint
loudest (GstSample * sample)
{
  GstMapInfo map;
  gint peak = 0;
  gsize i;

  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  for (i = 0; i + 1 < map.size; i += 2)
    peak = MAX (peak, ABS ((gint16) GST_READ_UINT16_LE (map.data + i)));
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_sample_unref (sample);
  return peak;
}

/* An ONVIF client (rtspsrc with backchannel=onvif) talks back: its G.711
 * audio reaches the camera's talkback pad through the gateway's p2p
 * session. */
GST_START_TEST (test_talkback)
{
  GstElement *cam = p2p_test_pipeline (VIDEO " ! p2psink name=cam uid=%s "
      "key-file=%s server=%s password-file=%s cam.talkback ! decodebin ! "
      "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! "
      "appsink name=heard sync=false max-buffers=500",
      env->uid, env->key_file, env->url, env->password_file);
  Gateway *gw;
  gchar *url;
  GstElement *viewer, *mouth, *src, *heard;
  gint backchannel = -1, peak = 0;
  gboolean started = FALSE;
  gint64 deadline;
  GstBus *bus;

  p2p_test_start (cam);
  camera_wait_registered (cam);
  gw = gateway_start (0);
  url = gateway_url (gw, NULL);
  viewer = p2p_test_pipeline ("rtspsrc name=src location=%s protocols=tcp "
      "latency=100 backchannel=onvif ! rtph264depay ! "
      "appsink name=out sync=false max-buffers=1 drop=true", url);
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  g_signal_connect (src, "select-stream", G_CALLBACK (on_select_stream),
      &backchannel);
  p2p_test_start (viewer);
  pull_frames (viewer, 2);
  fail_unless (g_atomic_int_get (&backchannel) >= 0,
      "the gateway offered no back channel");

  /* A 1 kHz tone, 20 ms a packet, pushed on the back channel while the
   * camera's side is watched: the camera must say a talker started, and
   * play the tone, not silence. It gives the floor back after a second
   * of silence, so the tone goes on meanwhile. */
  mouth = p2p_test_pipeline ("audiotestsrc is-live=true freq=1000 "
      "volume=0.5 samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! "
      "mulawenc ! rtppcmupay ! appsink name=mouth sync=false");
  p2p_test_start (mouth);
  bus = gst_element_get_bus (cam);
  heard = gst_bin_get_by_name (GST_BIN (cam), "heard");
  deadline = g_get_monotonic_time () + 2 * P2P_TEST_WAIT_MS * 1000;
  while (!(started && peak > 4000) && g_get_monotonic_time () < deadline) {
    GstSample *pulled = p2p_test_pull (mouth, "mouth");
    /* A sample and buffer of their own, given away: rtspsrc's
     * push-backchannel-buffer takes the sample. */
    GstBuffer *buffer = gst_buffer_copy_deep (gst_sample_get_buffer (pulled));
    GstSample *sample = gst_sample_new (buffer, gst_sample_get_caps (pulled),
        NULL, NULL);
    GstFlowReturn ret;
    GstMessage *msg;

    gst_buffer_unref (buffer);
    gst_sample_unref (pulled);
    g_signal_emit_by_name (src, "push-backchannel-buffer",
        (guint) g_atomic_int_get (&backchannel), sample, &ret);
    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, "p2p-talkback")
          && g_strcmp0 (gst_structure_get_string (s, "state"), "started") == 0)
        started = TRUE;
      gst_message_unref (msg);
    }
    while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (heard), 0))) {
      gint loud = loudest (sample);

      peak = MAX (peak, loud);
    }
  }
  fail_unless (started, "the camera heard no talker");
  fail_unless (peak > 4000, "the camera heard only silence (peak %d)", peak);
  gst_object_unref (heard);
  gst_object_unref (bus);
  check_no_error (cam);

  p2p_test_stop (mouth);
  gst_object_unref (src);
  p2p_test_stop (viewer);
  g_free (url);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A WHEP viewer (GStreamer's webrtcbin, as a browser would) and an RTSP
 * client at once: both play, through the camera's one p2p session. */
GST_START_TEST (test_whep_beside_rtsp)
{
  GstElement *cam = camera_start (TRUE);
  gchar *camera = g_strdup_printf ("%s=p2p://%s?server=%s&password="
      P2P_TEST_PASSWORD,
      CAMERA_NAME, env->uid, env->url);
  const gchar *argv[] = { g_getenv ("P2P_GATEWAY"), "--camera", camera,
    "--rtsp-address=127.0.0.1", "--rtsp-port=0", "--admin-address=127.0.0.1",
    "--admin-port=0", "--http-address=127.0.0.1", "--http-port=0",
    "--ice-address=127.0.0.1", "--linger=1", "--no-lan", NULL
  };
  Gateway *gw = gateway_spawn (argv);
  gchar *line = gateway_read_line (gw);
  gint http_port = 0;
  gint64 end = g_get_monotonic_time () + 4 * P2P_TEST_WAIT_MS * 1000;
  WhepClient c = { 0, };
  SoupSession *http = soup_session_new ();
  SoupMessage *msg;
  GBytes *body, *answer;
  gchar *uri, *offer, *text, *location, *rtsp;
  GstElement *viewer;

  fail_unless (sscanf (line, "p2p-gateway: http port %d", &http_port) == 1,
      "unexpected line '%s'", line);
  whep_client_start (&c, "H264", TRUE);
  offer = whep_client_offer (&c, end);
  uri = g_strdup_printf ("http://127.0.0.1:%d/whep/" CAMERA_NAME, http_port);
  msg = soup_message_new ("POST", uri);
  body = g_bytes_new_take (offer, strlen (offer));
  soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  answer = soup_session_send_and_read (http, msg, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), SOUP_STATUS_CREATED);
  location = g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Location"));
  text = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  whep_client_answer (&c, text);

  rtsp = gateway_url (gw, NULL);
  viewer = rtspsrc_start (rtsp);
  pull_frames (viewer, FPS);
  while (whep_client_frames (&c) < FPS) {
    fail_unless (g_get_monotonic_time () < end, "WHEP: %d frames",
        whep_client_frames (&c));
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
  }
  fail_unless_equals_int (camera_viewers (cam), 1);

  g_object_unref (msg);
  g_free (uri);
  uri = g_strdup_printf ("http://127.0.0.1:%d%s", http_port, location);
  msg = soup_message_new ("DELETE", uri);
  g_bytes_unref (soup_session_send_and_read (http, msg, NULL, NULL));
  fail_unless_equals_int (soup_message_get_status (msg), SOUP_STATUS_OK);

  p2p_test_stop (viewer);
  whep_client_stop (&c);
  g_object_unref (msg);
  g_object_unref (http);
  g_bytes_unref (answer);
  g_bytes_unref (body);
  g_free (location);
  g_free (text);
  g_free (uri);
  g_free (rtsp);
  g_free (line);
  g_free (camera);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

typedef struct
{
  const gchar *user;
  const gchar *password;
  guint tries;
} Login;

static gboolean
on_authenticate (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    gpointer data)
{
  Login *login = data;

  /* One try: a refused login is not offered again. */
  if (!login->user || login->tries++ > 0)
    return FALSE;
  soup_auth_authenticate (auth, login->user, login->password);
  return TRUE;
}

/* The status of @method @path on the gateway's browser port, as @user. */
static guint
http_status (gint port, const gchar * method, const gchar * path,
    const gchar * user, const gchar * password)
{
  gchar *uri = g_strdup_printf ("http://127.0.0.1:%d%s", port, path);
  SoupSession *http = soup_session_new ();
  SoupMessage *msg = soup_message_new (method, uri);
  Login login = { user, password, 0 };
  GBytes *body = g_bytes_new_static ("v=0\r\n", 5);
  guint status;

  if (g_str_equal (method, "POST"))
    soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  g_signal_connect (msg, "authenticate", G_CALLBACK (on_authenticate), &login);
  g_bytes_unref (soup_session_send_and_read (http, msg, NULL, NULL));
  status = soup_message_get_status (msg);
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (http);
  g_free (uri);
  return status;
}

/* With RTSP logins, the browser port asks for the same ones: the page, a
 * WHEP offer and a DELETE from anyone else are refused before they reach
 * the camera. */
GST_START_TEST (test_whep_digest_auth)
{
  GstElement *cam = camera_start (FALSE);
  gchar *camera = g_strdup_printf ("%s=p2p://%s?server=%s&password="
      P2P_TEST_PASSWORD,
      CAMERA_NAME, env->uid, env->url);
  const gchar *argv[] = { g_getenv ("P2P_GATEWAY"), "--camera", camera,
    "--user", "nvr:right-pw", "--rtsp-address=127.0.0.1", "--rtsp-port=0",
    "--admin-address=127.0.0.1", "--admin-port=0",
    "--http-address=127.0.0.1", "--http-port=0", "--ice-address=127.0.0.1",
    "--no-lan", NULL
  };
  Gateway *gw = gateway_spawn (argv);
  gchar *line = gateway_read_line (gw);
  gint port = 0;

  fail_unless (sscanf (line, "p2p-gateway: http port %d", &port) == 1,
      "unexpected line '%s'", line);
  fail_unless_equals_int (http_status (port, "GET", "/view/" CAMERA_NAME,
          NULL, NULL), SOUP_STATUS_UNAUTHORIZED);
  fail_unless_equals_int (http_status (port, "GET", "/view/" CAMERA_NAME,
          "nvr", "wrong-pw"), SOUP_STATUS_UNAUTHORIZED);
  fail_unless_equals_int (http_status (port, "POST", "/whep/" CAMERA_NAME,
          NULL, NULL), SOUP_STATUS_UNAUTHORIZED);
  fail_unless_equals_int (http_status (port, "POST", "/whep/" CAMERA_NAME,
          "other", "right-pw"), SOUP_STATUS_UNAUTHORIZED);
  fail_unless_equals_int (http_status (port, "DELETE",
          "/whep/" CAMERA_NAME "/0123456789abcdef", NULL, NULL),
      SOUP_STATUS_UNAUTHORIZED);
  fail_unless_equals_int (metric (gw,
          CAMERA_METRIC ("p2p_gateway_camera_sessions_total")), 0);
  fail_unless_equals_int (http_status (port, "GET", "/view/" CAMERA_NAME,
          "nvr", "right-pw"), SOUP_STATUS_OK);
  /* Let in, a bad offer is refused as such. */
  fail_unless_equals_int (http_status (port, "POST", "/whep/" CAMERA_NAME,
          "nvr", "right-pw"), SOUP_STATUS_BAD_REQUEST);

  g_free (line);
  g_free (camera);
  gateway_stop (gw);
  p2p_test_stop (cam);
}

GST_END_TEST;

static Suite *
gateway_suite (void)
{
  Suite *s = suite_create ("gateway");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_ffprobe);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_one_session);
  tcase_add_test (tc, test_digest_auth);
  tcase_add_test (tc, test_camera_restart);
  tcase_add_test (tc, test_gateway_restart);
  tcase_add_test (tc, test_talkback);
  tcase_add_test (tc, test_camera_refuses);
  tcase_add_test (tc, test_whep_beside_rtsp);
  tcase_add_test (tc, test_whep_digest_auth);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (gateway);
