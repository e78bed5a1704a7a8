#!/usr/bin/env python3
# p2p-gateway tests: headless Chromium plays the WHEP player page.
# Copyright (C) 2026 The gst-p2p authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# whep-chromium.py WHEP_SERVE OUTDIR
#
# Runs in a network namespace of its own (nothing can leave the machine):
# loopback, plus one veth pair with a private address and a default route,
# because Chromium gathers ICE candidates on no loopback interface and
# sees no network without a route. The gateway side gathers on 127.0.0.1
# only. Chromium is driven over its DevTools pipe (--remote-debugging-pipe):
# for each camera it opens /view/NAME, waits until the <video> plays,
# checks that currentTime advances and that a frame drawn into a canvas is
# not uniform, and saves a screenshot in OUTDIR.

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
SCALE = int(os.environ.get('P2P_TEST_TIME_SCALE', '1'))
# (path name, what it sends, the codec Chromium must decode, a piece of the
# answer's fmtp for it: constrained baseline under its own profile)
CAMERAS = [('vp8', 'VP8 + Opus', 'video/VP8', ''),
           ('h264', 'H.264 constrained baseline', 'video/H264',
            'profile-level-id=42e0'),
           ('h264-opus', 'H.264 high + Opus', 'video/H264',
            'packetization-mode=1')]
# WHEP_CHROMIUM_ONLY=NAME[,NAME]: only these cameras (when debugging one).
if os.environ.get('WHEP_CHROMIUM_ONLY'):
    CAMERAS = [c for c in CAMERAS
               if c[0] in os.environ['WHEP_CHROMIUM_ONLY'].split(',')]


def log(*args):
    print('#', *args, flush=True)


def in_own_netns():
    """Re-run this script in a new network namespace (needs root)."""
    if os.environ.get('WHEP_CHROMIUM_NETNS') == '1':
        return None
    unshare = shutil.which('unshare')
    if not unshare or os.geteuid() != 0:
        log('skip: a network namespace needs root and unshare(1)')
        return SKIP
    env = dict(os.environ, WHEP_CHROMIUM_NETNS='1')
    setup = ('ip link set lo up && '
             'ip link add whep0 type veth peer name whep1 && '
             'ip addr add 10.99.0.1/24 dev whep0 && '
             'ip link set whep1 up && ip link set whep0 up && '
             'ip route add default dev whep0 && exec "$0" "$@"')
    return subprocess.call([unshare, '--net', 'sh', '-c', setup,
                            sys.executable] + sys.argv, env=env)


class Chromium:
    """A headless Chromium and its DevTools protocol over two pipes."""

    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        args = [
            shutil.which('chromium'), '--headless=new', '--no-sandbox',
            '--use-fake-ui-for-media-stream', '--remote-debugging-pipe',
            '--user-data-dir=' + profile,
            # Host candidates as addresses, not mDNS names that the
            # gateway would have to resolve.
            '--disable-features=WebRtcHideLocalIpsWithMdns',
            '--autoplay-policy=no-user-gesture-required', '--mute-audio',
            '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync',
            '--disable-default-apps', '--window-size=640,520',
            'about:blank']
        # The DevTools pipe is fds 3 (commands) and 4 (replies).
        self.proc = subprocess.Popen(
            ['sh', '-c', 'exec "$0" "$@" 3<&%d 4>&%d' %
             (to_chrome_r, from_chrome_w)] + args,
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b''
        self.next_id = 0

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b'\0')
        end = time.monotonic() + timeout * SCALE
        while True:
            while b'\0' not in self.buf:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError('no reply to %s' % method)
                ready, _, _ = select.select([self.from_chrome], [], [], left)
                if ready:
                    data = os.read(self.from_chrome, 1 << 20)
                    if not data:
                        raise EOFError('chromium exited')
                    self.buf += data
            raw, self.buf = self.buf.split(b'\0', 1)
            reply = json.loads(raw)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError('%s: %s' % (method, reply['error']))
                return reply['result']

    def close(self):
        try:
            self.call('Browser.close', timeout=10)
        except (OSError, TimeoutError, EOFError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10 * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# Runs in the page: resolves once the video plays, with what was seen.
CHECK = '''
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + %d;
  while (!window.whepPlaying) {
    if (Date.now() > deadline) throw new Error('the page did not start');
    await sleep(50);
  }
  const pc = await window.whepPlaying;
  const v = document.getElementById('video');
  while (v.videoWidth === 0 || v.currentTime < 0.5) {
    if (Date.now() > deadline) {
      let rtp = {};
      (await pc.getStats()).forEach(s => {
        if (s.type === 'inbound-rtp' && s.kind === 'video')
          rtp = s;
      });
      throw new Error('no picture: ' + document.getElementById('status')
          .textContent + ', currentTime ' + v.currentTime + ', ' +
          ['packetsReceived', 'framesReceived', 'framesDecoded',
           'keyFramesDecoded', 'decoderImplementation', 'pliCount']
              .map(k => k + ' ' + rtp[k]).join(', '));
    }
    await sleep(100);
  }
  const t0 = v.currentTime;
  await sleep(1500);
  const t1 = v.currentTime;
  const stats = await pc.getStats();
  let rtp = {}, codec = {};
  stats.forEach(s => {
    if (s.type === 'inbound-rtp' && s.kind === 'video')
      rtp = s;
  });
  stats.forEach(s => {
    if (s.id === rtp.codecId)
      codec = s;
  });
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let min = 255, max = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = (d[i] + d[i + 1] + d[i + 2]) / 3;
    min = Math.min(min, y);
    max = Math.max(max, y);
  }
  return { t0, t1, width: v.videoWidth, height: v.videoHeight, min, max,
           codec: codec.mimeType, fmtp: codec.sdpFmtpLine,
           packets: rtp.packetsReceived, frames: rtp.framesDecoded,
           status: document.getElementById('status').textContent };
})()
'''


def play(chrome, port, name, outdir):
    url = 'http://127.0.0.1:%d/view/%s' % (port, name)
    target = chrome.call('Target.createTarget', {'url': url})['targetId']
    session = chrome.call('Target.attachToTarget',
                          {'targetId': target, 'flatten': True})['sessionId']
    expression = CHECK % (60000 * SCALE)
    # The first evaluation may land on about:blank before the page loads.
    for _ in range(100):
        try:
            result = chrome.call('Runtime.evaluate', {
                'expression': expression, 'awaitPromise': True,
                'returnByValue': True}, session, timeout=90)
        except RuntimeError as e:
            if 'context' in str(e):
                continue
            raise
        break
    if 'exceptionDetails' in result:
        details = result['exceptionDetails']
        raise AssertionError('%s: %s' % (name, details.get(
            'exception', {}).get('description', details.get('text'))))
    seen = result['result']['value']
    shot = chrome.call('Page.captureScreenshot', {'format': 'png'}, session)
    path = os.path.join(outdir, 'whep-chromium-%s.png' % name)
    with open(path, 'wb') as f:
        f.write(base64.b64decode(shot['data']))
    chrome.call('Target.closeTarget', {'targetId': target})
    return seen, path


def main():
    status = in_own_netns()
    if status is not None:
        return status
    serve, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    if not shutil.which('chromium'):
        log('skip: chromium is not installed (.ci/deps)')
        return SKIP
    # Nothing but loopback and the namespace's own veth pair exists here.
    with open('/proc/net/dev') as f:
        interfaces = sorted(l.split(':')[0].strip() for l in f if ':' in l)
    assert interfaces == ['lo', 'whep0', 'whep1'], interfaces

    server = subprocess.Popen([serve], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    assert line.startswith('whep-serve: port '), line
    port = int(line.split()[-1])
    profile = tempfile.mkdtemp(prefix='whep-chromium-')
    chrome = Chromium(profile)
    failed = 0
    try:
        for name, what, mime, fmtp in CAMERAS:
            try:
                seen, path = play(chrome, port, name, outdir)
            except (AssertionError, TimeoutError, RuntimeError) as e:
                print('not ok - %s (%s): %s' % (
                    name, what, str(e).replace('\n', ' ')), flush=True)
                failed += 1
                continue
            log(name, seen)
            log('screenshot:', path)
            ok = (seen['t1'] > seen['t0'] and seen['width'] == 320
                  and seen['max'] - seen['min'] > 32
                  and seen.get('codec') == mime and seen.get('frames')
                  and fmtp in (seen.get('fmtp') or ''))
            print('%s - %s (%s) plays in Chromium: %s %s, currentTime %.2f '
                  '-> %.2f, %dx%d, luma %d..%d, %s packets, %s frames decoded'
                  % ('ok' if ok else 'not ok', name, what, seen.get('codec'),
                     seen.get('fmtp') or '',
                     seen['t0'], seen['t1'], seen['width'], seen['height'],
                     seen['min'], seen['max'], seen.get('packets'),
                     seen.get('frames')), flush=True)
            failed += 0 if ok else 1
    finally:
        chrome.close()
        server.stdin.close()
        try:
            server.wait(timeout=30 * SCALE)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(profile, ignore_errors=True)
    # A clean exit: no crash, and no leak under the asan setup.
    if server.returncode != 0:
        print('# whep-serve exited with status %d' % server.returncode)
        failed += 1
    print('1..%d' % len(CAMERAS))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
