#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Open-relay probe: coturn with server/coturn-denied-peers.conf must refuse
to relay to every special-purpose address and accept public ones.

Starts a real coturn on loopback (ports picked the way
tests/check/core/relay.c does, the REST shared-secret scheme p2p-server
uses), allocates one IPv4 and one IPv6 relay with a minimal TURN client
(RFC 8656 Allocate with long-term credentials and MESSAGE-INTEGRITY), then
sends one CreatePermission per peer address and checks the answer:

  * 403 Forbidden for a sample address of every IANA special-purpose range
    (the list below, independent of the file, so dropping a line from the
    file fails here) and for both ends of every range the file denies;
  * success for the public addresses just outside each denied range.

A permission only installs state in coturn: nothing is ever sent to a peer,
so the probe's only traffic is to coturn on loopback.

Usage: open-relay.py [--turnserver PATH] DENIED_PEERS_CONF
Output is TAP; the exit status is 1 when any check failed.
"""

import argparse
import base64
import ctypes
import hashlib
import hmac
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# A sample from every special-purpose block (IANA IPv4 and IPv6
# Special-Purpose Address Registries, RFC 6890 and updates), plus the
# multicast and reserved space outside them.
REQUIRED_DENIED = [
    ('0.1.2.3', '0.0.0.0/8 this network'),
    ('10.1.2.3', '10.0.0.0/8 private'),
    ('100.64.0.1', '100.64.0.0/10 shared (CGN)'),
    ('100.127.255.254', '100.64.0.0/10 shared (CGN)'),
    ('127.0.0.1', '127.0.0.0/8 loopback'),
    ('127.255.0.1', '127.0.0.0/8 loopback'),
    ('169.254.169.254', '169.254.0.0/16 link local (cloud metadata)'),
    ('172.16.0.1', '172.16.0.0/12 private'),
    ('172.31.255.254', '172.16.0.0/12 private'),
    ('192.0.0.9', '192.0.0.0/24 IETF protocol assignments'),
    ('192.0.0.170', '192.0.0.0/24 IETF protocol assignments'),
    ('192.0.2.1', '192.0.2.0/24 TEST-NET-1'),
    ('192.31.196.1', '192.31.196.0/24 AS112-v4'),
    ('192.52.193.1', '192.52.193.0/24 AMT'),
    ('192.88.99.1', '192.88.99.0/24 6to4 relay anycast'),
    ('192.168.1.1', '192.168.0.0/16 private'),
    ('192.175.48.1', '192.175.48.0/24 AS112 direct delegation'),
    ('198.18.0.1', '198.18.0.0/15 benchmarking'),
    ('198.19.255.254', '198.18.0.0/15 benchmarking'),
    ('198.51.100.1', '198.51.100.0/24 TEST-NET-2'),
    ('203.0.113.1', '203.0.113.0/24 TEST-NET-3'),
    ('224.0.0.251', '224.0.0.0/4 multicast'),
    ('239.255.255.250', '224.0.0.0/4 multicast'),
    ('240.0.0.1', '240.0.0.0/4 reserved'),
    ('255.255.255.255', 'limited broadcast'),
    ('::', '::/128 unspecified (coturn refuses it itself)'),
    ('::1', '::1/128 loopback'),
    ('::ffff:10.0.0.1', '::ffff:0:0/96 IPv4-mapped'),
    ('::ffff:127.0.0.1', '::ffff:0:0/96 IPv4-mapped'),
    ('64:ff9b::a00:1', '64:ff9b::/96 NAT64'),
    ('64:ff9b:1::a00:1', '64:ff9b:1::/48 local NAT64'),
    ('64:ff9b::a00:100', '64:ff9b::/96 NAT64 (last byte 00)'),
    ('100::', '100::/64 discard only'),
    ('100::1', '100::/64 discard only'),
    ('2001::1', '2001::/32 Teredo'),
    ('2001:1::2', '2001:1::2/128 TURN anycast'),
    ('2001:2::1', '2001:2::/48 benchmarking'),
    ('2001:20::1', '2001:20::/28 ORCHIDv2'),
    ('2001:1ff:ffff::1', '2001::/23 IETF protocol assignments'),
    ('2001:db8::1', '2001:db8::/32 documentation'),
    ('2002:a00:1::1', '2002::/16 6to4 (embeds 10.0.0.1)'),
    ('2620:4f:8000::1', '2620:4f:8000::/48 AS112 direct delegation'),
    ('3fff::1', '3fff::/20 documentation'),
    ('5f00::1', '5f00::/16 SRv6 SIDs'),
    ('fc00::1', 'fc00::/7 unique local'),
    ('fd00::1', 'fc00::/7 unique local'),
    ('fdff:ffff::1', 'fc00::/7 unique local'),
    ('fe80::1', 'fe80::/10 link local'),
    ('fec0::1', 'fec0::/10 site local (deprecated)'),
    ('ff02::1', 'ff00::/8 multicast'),
    ('ff0e::1', 'ff00::/8 multicast'),
]

# Public unicast that a relay exists to reach, whatever the file says.
REQUIRED_ALLOWED = [
    ('1.1.1.1', 'public IPv4'),
    ('8.8.8.8', 'public IPv4'),
    ('2a00:1450::1', 'public IPv6'),
    ('2606:4700::1', 'public IPv6'),
]

REALM = 'p2p.test'
MAGIC = 0x2112A442

# STUN/TURN methods, classes and attributes (RFC 8489, RFC 8656).
BINDING, ALLOCATE, CREATE_PERMISSION = 0x001, 0x003, 0x008
SUCCESS, ERROR = 0x100, 0x110
ATTR_USERNAME = 0x0006
ATTR_MESSAGE_INTEGRITY = 0x0008
ATTR_ERROR_CODE = 0x0009
ATTR_XOR_PEER_ADDRESS = 0x0012
ATTR_REALM = 0x0014
ATTR_NONCE = 0x0015
ATTR_XOR_RELAYED_ADDRESS = 0x0016
ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017
ATTR_REQUESTED_TRANSPORT = 0x0019

FAMILY = {4: 0x01, 6: 0x02}
REQUEST_TIMEOUT = 5.0


class ProbeError(Exception):
    pass


def attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack('!HH', kind, len(value)) + value + b'\0' * pad


def xor_address(kind, txid, addr, port):
    ip = ipaddress.ip_address(addr)
    raw = ip.packed
    mask = struct.pack('!I', MAGIC) + (txid if ip.version == 6 else b'')
    xored = bytes(a ^ b for a, b in zip(raw, mask))
    value = struct.pack('!BBH', 0, FAMILY[ip.version], port ^ (MAGIC >> 16))
    return attr(kind, value + xored)


def parse_xor_address(value, txid):
    family, xport = struct.unpack('!xBH', value[:4])
    mask = struct.pack('!I', MAGIC) + txid
    raw = bytes(a ^ b for a, b in zip(value[4:], mask))
    addr = ipaddress.ip_address(raw[:4] if family == 1 else raw[:16])
    return addr, xport ^ (MAGIC >> 16)


def message(method, txid, attrs, key=None):
    """A request; with a key, MESSAGE-INTEGRITY (HMAC-SHA1 over the message
    with its length already counting the integrity attribute) ends it."""
    body = b''.join(attrs)
    if key is None:
        return struct.pack('!HHI', method, len(body), MAGIC) + txid + body
    header = struct.pack('!HHI', method, len(body) + 24, MAGIC) + txid
    mac = hmac.new(key, header + body, hashlib.sha1).digest()
    return header + body + attr(ATTR_MESSAGE_INTEGRITY, mac)


def parse(data):
    if len(data) < 20:
        raise ProbeError('short STUN message (%d bytes)' % len(data))
    kind, length, magic = struct.unpack('!HHI', data[:8])
    if magic != MAGIC or length + 20 > len(data):
        raise ProbeError('not a STUN message')
    attrs = {}
    pos = 20
    while pos + 4 <= 20 + length:
        akind, alen = struct.unpack('!HH', data[pos:pos + 4])
        attrs.setdefault(akind, data[pos + 4:pos + 4 + alen])
        pos += 4 + alen + (4 - alen % 4) % 4
    return kind, data[8:20], attrs


def error_code(attrs):
    value = attrs.get(ATTR_ERROR_CODE)
    if value is None:
        return None, ''
    return ((value[2] & 7) * 100 + value[3],
            value[4:].decode('utf-8', 'replace'))


class TurnClient:
    """One UDP 5-tuple to coturn, one allocation on it."""

    def __init__(self, server, username, password):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.username = username.encode()
        self.password = password
        self.nonce = None
        self.key = hashlib.md5(b'%s:%s:%s' % (
            self.username, REALM.encode(), password.encode())).digest()

    def close(self):
        self.sock.close()

    def transact(self, method, attrs, key=None):
        """Send a request until its answer comes (UDP may drop on a busy
        machine); every wait is bounded. attrs(txid) gives the attributes:
        an XOR-PEER-ADDRESS depends on the transaction id."""
        txid = secrets.token_bytes(12)
        data = message(method, txid, attrs(txid), key)
        deadline = time.monotonic() + REQUEST_TIMEOUT
        wait = 0.1
        while time.monotonic() < deadline:
            self.sock.sendto(data, self.server)
            self.sock.settimeout(wait)
            try:
                while True:
                    kind, rtx, rattrs = parse(self.sock.recv(2048))
                    if rtx == txid:
                        return kind, txid, rattrs
            except socket.timeout:
                wait = min(wait * 2, 1.0)
        raise ProbeError('no answer from coturn in %d s' % REQUEST_TIMEOUT)

    def authenticated(self, method, attrs):
        """A request with long-term credentials: learns the nonce from the
        first 401 and follows a 438 (stale nonce)."""
        for _ in range(3):
            if self.nonce is None:
                kind, txid, rattrs = self.transact(method, attrs)
            else:
                kind, txid, rattrs = self.transact(
                    method, lambda txid: attrs(txid) + [
                        attr(ATTR_USERNAME, self.username),
                        attr(ATTR_REALM, REALM.encode()),
                        attr(ATTR_NONCE, self.nonce)], self.key)
            code, _ = error_code(rattrs)
            if kind == method | ERROR and code in (401, 438) \
                    and ATTR_NONCE in rattrs:
                self.nonce = rattrs[ATTR_NONCE]
                continue
            return kind, txid, rattrs
        raise ProbeError('coturn kept refusing the credentials')

    def allocate(self, version):
        attrs = [attr(ATTR_REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))]
        if version == 6:
            attrs.append(attr(ATTR_REQUESTED_ADDRESS_FAMILY,
                              bytes([FAMILY[6], 0, 0, 0])))
        kind, txid, rattrs = self.authenticated(ALLOCATE, lambda _: attrs)
        if kind != ALLOCATE | SUCCESS:
            raise ProbeError('IPv%d Allocate failed: %s %s' % (
                (version,) + error_code(rattrs)))
        relayed, _ = parse_xor_address(rattrs[ATTR_XOR_RELAYED_ADDRESS], txid)
        if relayed.version != version:
            raise ProbeError('asked for an IPv%d relay, got %s' % (
                version, relayed))
        return relayed

    def permit(self, peer):
        """CreatePermission for one peer: None on success, else (code,
        reason)."""
        kind, _, rattrs = self.authenticated(
            CREATE_PERMISSION,
            lambda txid: [xor_address(ATTR_XOR_PEER_ADDRESS, txid, peer, 9)])
        if kind == CREATE_PERMISSION | SUCCESS:
            return None
        return error_code(rattrs)


def free_port(kind):
    """A port the kernel just handed out (coturn cannot bind port 0 and
    report it); a collision makes coturn fail to start, and start_coturn
    tries again."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def die_with_parent():
    # PR_SET_PDEATHSIG: coturn goes when the probe does, however it ends.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def start_coturn(turnserver, denied, workdir, secret):
    for attempt in range(3):
        port = free_port(socket.SOCK_DGRAM)
        base = free_port(socket.SOCK_DGRAM)
        if base > 65000:
            base = 50000
        log = os.path.join(workdir, 'turnserver-%d.log' % attempt)
        argv = [turnserver, '-c', denied,
                '--listening-ip=127.0.0.1', '--listening-port=%d' % port,
                '--relay-ip=127.0.0.1', '--relay-ip=::1',
                '--min-port=%d' % base, '--max-port=%d' % (base + 50),
                '--use-auth-secret', '--static-auth-secret=' + secret,
                '--realm=' + REALM, '--no-tls', '--no-dtls', '--no-cli',
                '--no-tcp',
                # Loopback and multicast are refused by the file, not by
                # coturn's own switches: the file is what is under test.
                '--allow-loopback-peers',
                '--log-file', log, '--simple-log',
                '--pidfile', os.path.join(workdir, 'turnserver.pid'),
                '--userdb', os.path.join(workdir, 'turndb')]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                preexec_fn=die_with_parent)
        # Ready when it answers a Binding request.
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                txid = secrets.token_bytes(12)
                probe.sendto(message(BINDING, txid, []), ('127.0.0.1', port))
                probe.settimeout(0.1)
                try:
                    if parse(probe.recv(2048))[1] == txid:
                        return proc, ('127.0.0.1', port), log
                except (socket.timeout, ConnectionRefusedError):
                    pass
        finally:
            probe.close()
        stop(proc)
    raise ProbeError('coturn did not start; is the coturn package installed? '
                     '(.ci/deps installs it)\n' + tail(log))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path, n=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return '(no log)'


def read_ranges(path):
    """The denied-peer-ip ranges of a coturn config file."""
    ranges = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith('denied-peer-ip='):
                continue
            value = line.split('=', 1)[1]
            lo, _, hi = value.partition('-')
            lo = ipaddress.ip_address(lo)
            hi = ipaddress.ip_address(hi) if hi else lo
            if lo.version != hi.version or lo > hi:
                raise ProbeError('bad range in %s: %s' % (path, line))
            ranges.append((lo, hi))
    return ranges


def cases(ranges):
    """(address, label, expect_denied) for every check."""
    out = [(a, l, True) for a, l in REQUIRED_DENIED]
    required = {ipaddress.ip_address(a) for a, _ in REQUIRED_DENIED}
    out += [(a, l, False) for a, l in REQUIRED_ALLOWED]

    def denied(ip):
        return any(lo.version == ip.version and lo <= ip <= hi
                   for lo, hi in ranges)

    for lo, hi in ranges:
        label = '%s-%s' % (lo, hi)
        out.append((str(lo), 'first of ' + label, True))
        out.append((str(hi), 'last of ' + label, True))
        # The public neighbours on each side stay reachable.
        top = 2 ** (32 if lo.version == 4 else 128) - 1
        for n in (int(lo) - 1, int(hi) + 1):
            if 0 <= n <= top:
                ip = type(lo)(n)
                if not denied(ip) and ip not in required:
                    out.append((str(ip), 'next to ' + label, False))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('denied', help='coturn config with denied-peer-ip=')
    parser.add_argument('--turnserver', default=shutil.which('turnserver'))
    args = parser.parse_args()
    if not args.turnserver:
        print('Bail out! turnserver not found: install coturn (.ci/deps)')
        return 1

    ranges = read_ranges(args.denied)
    checks = cases(ranges)
    secret = secrets.token_hex(16)
    username = '%d:open-relay-probe' % (int(time.time()) + 600)
    password = base64.b64encode(hmac.new(
        secret.encode(), username.encode(), hashlib.sha1).digest()).decode()

    with tempfile.TemporaryDirectory(prefix='p2p-open-relay-') as workdir:
        try:
            proc, server, log = start_coturn(args.turnserver, args.denied,
                                             workdir, secret)
        except ProbeError as e:
            print('Bail out! %s' % e)
            return 1
        clients = {}
        try:
            for version in (4, 6):
                clients[version] = TurnClient(server, username, password)
                relayed = clients[version].allocate(version)
                print('# IPv%d relay at %s' % (version, relayed))
            print('1..%d' % len(checks))
            failed = 0
            for n, (addr, label, expect_denied) in enumerate(checks, 1):
                ip = ipaddress.ip_address(addr)
                result = clients[ip.version].permit(addr)
                if expect_denied:
                    ok = result is not None and result[0] == 403
                    want = '403'
                else:
                    ok = result is None
                    want = 'relayed'
                got = 'relayed' if result is None else '%d %s' % result
                if not ok:
                    failed += 1
                print('%s %d - %s (%s): %s%s' % (
                    'ok' if ok else 'not ok', n, addr, label, got,
                    '' if ok else ', want ' + want))
            if failed:
                print('# %d of %d checks failed; coturn log:' % (
                    failed, len(checks)))
                for line in tail(log).splitlines():
                    print('#   ' + line)
            return 1 if failed else 0
        except ProbeError as e:
            print('Bail out! %s' % e)
            for line in tail(log).splitlines():
                print('#   ' + line)
            return 1
        finally:
            for c in clients.values():
                c.close()
            stop(proc)


if __name__ == '__main__':
    sys.exit(main())
