#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""UDP/TCP prober that classifies a NAT in RFC 4787 terms.

Two roles, each run inside a lab network namespace by natlab.py:

  reflector  -- "STUN-like" responder on the internet side.  It holds several
                named UDP sockets (a1, a2 on address A, b1 on address B) and
                optional TCP listeners.  Text protocol over UDP:
                  MAP <nonce>            -> "MAPPED <nonce> <ip> <port>" from
                                            the socket that received it
                  POKE <nonce> <sock>    -> "POKED <nonce> <sock>" sent from
                                            socket <sock> to the requester's
                                            observed (mapped) address
  client     -- runs on a LAN host and prints one JSON object describing the
                mapping and filtering behaviour it observed.

Only the standard library is used so that the lab has no dependency beyond
python3 itself.
"""

import argparse
import json
import secrets
import select
import socket
import sys
import time


def parse_endpoint(text):
    host, _, port = text.rpartition(':')
    return host, int(port)


# --------------------------------------------------------------------------
# reflector


def reflector(args):
    udp = {}
    for spec in args.sock:
        name, _, ep = spec.partition('=')
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(parse_endpoint(ep))
        udp[name] = s
    tcp = []
    for ep in args.tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(parse_endpoint(ep))
        s.listen(16)
        tcp.append(s)
    by_fd = {s.fileno(): (n, s) for n, s in udp.items()}
    listeners = {s.fileno(): s for s in tcp}
    # natlab.py waits for this line before it starts any client.
    print('READY', flush=True)
    deadline = time.monotonic() + args.lifetime
    handled = 0
    while time.monotonic() < deadline and handled < args.max_requests:
        ready, _, _ = select.select(list(by_fd) + list(listeners), [], [],
                                    max(0.0, deadline - time.monotonic()))
        for fd in ready:
            if fd in listeners:
                conn, peer = listeners[fd].accept()
                # A TCP client only tests reachability: greet it and close.
                try:
                    conn.sendall(('TCPOK %s %d\n' % peer).encode())
                finally:
                    conn.close()
                handled += 1
                continue
            name, s = by_fd[fd]
            try:
                data, peer = s.recvfrom(2048)
            except OSError:
                continue
            handled += 1
            words = data.decode('ascii', 'replace').split()
            if len(words) == 2 and words[0] == 'MAP':
                s.sendto(('MAPPED %s %s %d' % (words[1], peer[0], peer[1]))
                         .encode(), peer)
            elif len(words) == 3 and words[0] == 'POKE' and words[2] in udp:
                udp[words[2]].sendto(('POKED %s %s' % (words[1], words[2]))
                                     .encode(), peer)
            if args.verbose:
                print('%s <- %s:%d %s' % (name, peer[0], peer[1],
                                          ' '.join(words)), flush=True)
    return 0


# --------------------------------------------------------------------------
# client


class Timeout(Exception):
    pass


def request_map(sock, server, timeout):
    """Ask one reflector socket for our mapped address; retransmits because
    the lab may run with injected loss."""
    nonce = secrets.token_hex(6)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.sendto(('MAP %s' % nonce).encode(), server)
        wait_until = min(deadline, time.monotonic() + 0.25)
        while time.monotonic() < wait_until:
            r, _, _ = select.select([sock], [], [],
                                    max(0.0, wait_until - time.monotonic()))
            if not r:
                break
            try:
                data, _ = sock.recvfrom(2048)
            except ConnectionError:
                # ICMP error from a firewall that rejects: no mapping.
                return None
            words = data.decode('ascii', 'replace').split()
            if len(words) == 4 and words[:2] == ['MAPPED', nonce]:
                return [words[2], int(words[3])]
    return None


def classify_mapping(m):
    if m['a1'] == m['a2'] == m['b1']:
        return 'endpoint-independent'
    if m['a1'] == m['a2']:
        return 'address-dependent'
    return 'address-and-port-dependent'


def probe_filtering(servers, timeout, grace):
    """With a fresh socket that has talked to a1 only, ask a1 to make b1
    (other address) and a2 (same address, other port) send to our mapping,
    then a1 itself as a control.  Returns which of them got through."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('0.0.0.0', 0))
    if request_map(sock, servers['a1'], timeout) is None:
        return None
    got = {'b1': False, 'a2': False, 'a1': False}
    nonce = secrets.token_hex(6)
    deadline = time.monotonic() + timeout
    control_at = None
    next_send = 0.0
    while True:
        now = time.monotonic()
        if control_at is not None and now >= control_at + grace:
            break
        if now >= deadline:
            break
        if control_at is None and now >= next_send:
            # Control last: once it is back, the others had their chance
            # on the same path; the grace window covers reordering.
            for which in ('b1', 'a2', 'a1'):
                sock.sendto(('POKE %s %s' % (nonce, which)).encode(),
                            servers['a1'])
            next_send = now + 0.25
        limit = deadline if control_at is None else control_at + grace
        limit = min(limit, next_send) if control_at is None else limit
        r, _, _ = select.select([sock], [], [], max(0.0, limit - now))
        if not r:
            continue
        data, _ = sock.recvfrom(2048)
        words = data.decode('ascii', 'replace').split()
        if len(words) == 3 and words[:2] == ['POKED', nonce]:
            got[words[2]] = True
            if words[2] == 'a1' and control_at is None:
                control_at = time.monotonic()
    sock.close()
    return got


def classify_filtering(got):
    if got['b1']:
        return 'endpoint-independent'
    if got['a2']:
        return 'address-dependent'
    return 'address-and-port-dependent'


def tcp_reachable(ep, timeout):
    try:
        with socket.create_connection(parse_endpoint(ep), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b'TCPOK')
    except OSError:
        return False


def client(args):
    servers = {'a1': parse_endpoint(args.a1), 'a2': parse_endpoint(args.a2),
               'b1': parse_endpoint(args.b1)}
    result = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('0.0.0.0', 0))
    # The address a peer would see for a packet from us; read from the
    # routing decision towards a1 rather than guessed.
    sock.connect(servers['a1'])
    local_ip = sock.getsockname()[0]
    sock.close()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((local_ip, 0))
    result['local'] = list(sock.getsockname())
    mapping = {}
    for which in ('a1', 'a2', 'b1'):
        mapping[which] = request_map(sock, servers[which], args.timeout)
    sock.close()
    result['mapped'] = mapping
    if None in mapping.values():
        result['udp'] = 'blocked' if mapping['a1'] is None else 'partial'
        result['mapping'] = None
        result['filtering'] = None
    else:
        result['udp'] = 'ok'
        result['mapping'] = classify_mapping(mapping)
        result['translated'] = mapping['a1'][0] != result['local'][0]
        got = probe_filtering(servers, args.timeout, args.grace)
        result['filtering_seen'] = got
        result['filtering'] = classify_filtering(got) if got else None
    result['tcp'] = {ep: tcp_reachable(ep, args.timeout) for ep in args.tcp}
    print(json.dumps(result, sort_keys=True), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='role', required=True)
    r = sub.add_parser('reflector')
    r.add_argument('--sock', action='append', default=[],
                   help='NAME=IP:PORT, UDP socket (repeatable)')
    r.add_argument('--tcp', action='append', default=[],
                   help='IP:PORT, TCP listener (repeatable)')
    r.add_argument('--lifetime', type=float, default=600.0,
                   help='exit after this many seconds (bounds the loop)')
    r.add_argument('--max-requests', type=int, default=100000)
    r.add_argument('--verbose', action='store_true')
    c = sub.add_parser('client')
    c.add_argument('--a1', required=True)
    c.add_argument('--a2', required=True)
    c.add_argument('--b1', required=True)
    c.add_argument('--tcp', action='append', default=[],
                   help='IP:PORT to test TCP reachability (repeatable)')
    c.add_argument('--timeout', type=float, default=2.0)
    c.add_argument('--grace', type=float, default=0.3,
                   help='how long after the control packet to keep '
                        'listening for filtered ones')
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return reflector(args) if args.role == 'reflector' else client(args)


if __name__ == '__main__':
    sys.exit(main())
