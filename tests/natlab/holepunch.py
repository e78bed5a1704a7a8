#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in camera, viewer and server for natlab.py run-pair.

It exists for two reasons: to exercise the run-pair hook end to end before
the product does, and to show with the real lab NATs which pairs a plain
ICE-like UDP hole punch can connect directly, which is exactly what the
matrix expects from p2psink/p2psrc.

  server  TCP rendezvous on IP:PORT (line protocol) plus a UDP responder on
          the same IP:PORT that tells a client its mapped address; relays
          data over TCP when punching fails (the stand-in for TURN).
  peer    --role camera|viewer: learns its mapped address, registers,
          punches towards the other side's public and private address,
          answers any address it hears from (peer-reflexive, as ICE does),
          then the camera sends frames to the viewer over the path the
          viewer chose.  The viewer prints the lines natlab.py looks for:
          "p2p-connection, mode=(string)<mode>" and "NATLAB-FRAME n".
"""

import argparse
import select
import socket
import sys
import time


def endpoint(text):
    host, _, port = text.rpartition(':')
    return host, int(port)


def server(args):
    addr = endpoint(args.listen)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(addr)
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(addr)
    lsn.listen(8)
    conns = {}      # socket -> [role, buffer]
    hellos = {}     # role -> hello line
    print('READY', flush=True)
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        r, _, _ = select.select([udp, lsn] + list(conns), [], [],
                                max(0.0, deadline - time.monotonic()))
        for s in r:
            if s is udp:
                data, peer = udp.recvfrom(2048)
                if data.startswith(b'MAP'):
                    udp.sendto(b'MAPPED %s %d' % (peer[0].encode(), peer[1]),
                               peer)
            elif s is lsn:
                c, _ = lsn.accept()
                conns[c] = [None, b'']
            else:
                data = s.recv(65536)
                if not data:
                    del conns[s]
                    s.close()
                    continue
                conns[s][1] += data
                while b'\n' in conns[s][1]:
                    line, conns[s][1] = conns[s][1].split(b'\n', 1)
                    handle_line(s, line, conns, hellos)
    return 0


def handle_line(s, line, conns, hellos):
    words = line.split()
    if not words:
        return
    if words[0] == b'HELLO' and len(words) == 6:
        role = words[1]
        conns[s][0] = role
        print('REGISTERED %s' % role.decode(), flush=True)
        hellos[role] = b'PEER ' + b' '.join(words[2:]) + b'\n'
        other = b'viewer' if role == b'camera' else b'camera'
        if other in hellos:
            for c, (r, _) in conns.items():
                if r == role:
                    c.sendall(hellos[other])
                elif r == other:
                    c.sendall(hellos[role])
    else:
        # Everything else goes to the other side unchanged (relay).
        for c, (r, _) in list(conns.items()):
            if c is not s and r is not None and r != conns[s][0]:
                c.sendall(line + b'\n')


class Peer:
    def __init__(self, args):
        self.args = args
        self.server = endpoint(args.server)
        self.tcp = socket.create_connection(self.server, timeout=args.timeout)
        self.tcp.settimeout(None)
        self.tcpbuf = b''
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(self.server)
        self.local = probe.getsockname()[0]
        probe.close()
        self.udp.bind((self.local, 0))

    def lines(self, timeout):
        """TCP lines from the server until timeout (may return none)."""
        r, _, _ = select.select([self.tcp], [], [], timeout)
        if r:
            data = self.tcp.recv(65536)
            if not data:
                raise SystemExit('server closed the connection')
            self.tcpbuf += data
        out = []
        while b'\n' in self.tcpbuf:
            line, self.tcpbuf = self.tcpbuf.split(b'\n', 1)
            out.append(line.decode())
        return out

    def mapped(self):
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                self.udp.sendto(b'MAP', self.server)
            except OSError:
                return None     # refused: UDP is blocked here
            r, _, _ = select.select([self.udp], [], [], 0.2)
            if r:
                try:
                    words = self.udp.recv(2048).split()
                except OSError:
                    return None
                if words[0] == b'MAPPED':
                    return words[1].decode(), int(words[2])
        return None

    def run(self):
        role = self.args.role
        m = self.mapped() or ('-', 0)
        port = self.udp.getsockname()[1]
        self.tcp.sendall(('HELLO %s %s %d %s %d\n' % (
            role, m[0], m[1], self.local, port)).encode())
        peer = None
        deadline = time.monotonic() + self.args.timeout
        while peer is None and time.monotonic() < deadline:
            for line in self.lines(deadline - time.monotonic()):
                w = line.split()
                if w[0] == 'PEER':
                    peer = w
        if peer is None:
            raise SystemExit('no peer registered in time')
        targets = [(peer[3], int(peer[4]))]
        if peer[1] != '-':
            targets.append((peer[1], int(peer[2])))
        heard, acked = self.punch(targets)
        # For the lab log: which addresses the punch ended with.
        print('punch: heard %s acked %s' % (heard, acked), flush=True)
        if role == 'viewer':
            if acked:
                mode = 'lan' if acked[0] == peer[3] else 'direct'
            else:
                mode = 'relay'
            self.tcp.sendall(('MODE %s\n' % mode).encode())
            self.acked = acked
            print('p2p-connection, mode=(string)%s, remote=%s' %
                  (mode, acked and '%s:%d' % acked), flush=True)
            return self.receive(mode)
        mode = None
        while mode is None and time.monotonic() < deadline:
            for line in self.lines(deadline - time.monotonic()):
                if line.startswith('MODE '):
                    mode = line.split()[1]
        if mode is None:
            raise SystemExit('viewer chose no mode in time')
        for n in range(self.args.frames):
            frame = b'FRAME %d' % n
            if mode == 'relay':
                self.tcp.sendall(frame + b'\n')
            else:
                self.udp.sendto(frame, heard)
            # Frame pacing of a 30 fps source, meanwhile following the
            # viewer's keep-alives: if its mapping moved, frames follow.
            until = time.monotonic() + 1 / 30
            while True:
                left = until - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.udp], [], [], left)
                if not r:
                    continue
                try:
                    data, src = self.udp.recvfrom(2048)
                except OSError:
                    continue
                if data == b'PUNCH':
                    if src != heard:
                        print('viewer moved to %s:%d' % src, flush=True)
                    heard = src
                    self.udp.sendto(b'ACK', src)
        print('sent %d frames (%s)' % (self.args.frames, mode), flush=True)
        # Stay until the viewer hangs up so that relayed frames get out.
        self.lines(self.args.timeout)
        return 0

    def punch(self, targets):
        """Send PUNCH to every candidate, answer whatever arrives.  Returns
        the address last heard from and the address that acknowledged."""
        heard = acked = None
        end = time.monotonic() + self.args.punch_time
        next_send = 0.0
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_send:
                for t in targets:
                    try:
                        self.udp.sendto(b'PUNCH', t)
                    except OSError:
                        pass    # unreachable candidate or blocked UDP
                next_send = now + 0.05
            r, _, _ = select.select([self.udp], [], [],
                                    max(0.0, min(end, next_send) - now))
            if not r:
                continue
            try:
                data, src = self.udp.recvfrom(2048)
            except OSError:
                continue
            if data == b'PUNCH':
                heard = src
                if src not in targets:
                    targets.append(src)     # peer-reflexive
                self.udp.sendto(b'ACK', src)
            elif data == b'ACK':
                acked = src
                if heard and self.args.role == 'viewer':
                    break
        return heard, acked

    def receive(self, mode):
        got = 0
        next_keepalive = 0.0
        deadline = time.monotonic() + self.args.timeout
        while got < self.args.frames and time.monotonic() < deadline:
            if mode == 'relay':
                frames = [l for l in self.lines(deadline - time.monotonic())
                          if l.startswith('FRAME')]
            else:
                # Keep-alive towards the camera (consent, in ICE terms).
                if time.monotonic() >= next_keepalive:
                    self.udp.sendto(b'PUNCH', self.acked)
                    next_keepalive = time.monotonic() + 0.1
                r, _, _ = select.select([self.udp], [], [], max(0.0, min(
                    deadline, next_keepalive) - time.monotonic()))
                frames = []
                if r:
                    data = self.udp.recv(2048)
                    if data.startswith(b'FRAME'):
                        frames = [data.decode()]
            for f in frames:
                got += 1
                print('NATLAB-FRAME %s' % f.split()[1], flush=True)
        print('received %d frames' % got, flush=True)
        return 0 if got >= self.args.frames else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='what', required=True)
    s = sub.add_parser('server')
    s.add_argument('--listen', required=True)
    s.add_argument('--lifetime', type=float, default=900)
    p = sub.add_parser('peer')
    p.add_argument('--role', choices=('camera', 'viewer'), required=True)
    p.add_argument('--server', required=True)
    p.add_argument('--timeout', type=float, default=30)
    p.add_argument('--punch-time', type=float, default=3.0,
                   help='how long to try for a direct path')
    p.add_argument('--frames', type=int, default=30)
    args = ap.parse_args()
    if args.what == 'server':
        return server(args)
    return Peer(args).run()


if __name__ == '__main__':
    sys.exit(main())
