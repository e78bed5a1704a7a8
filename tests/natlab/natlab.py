#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""NAT lab: real Linux NAT routers in network namespaces.

Builds an isolated "internet" namespace, NAT router namespaces whose
nftables rules give the RFC 4787 behaviours the product must cope with, and
LAN host namespaces behind them.  Proves each router behaves as labelled,
runs coturn (and, once it exists, p2p-server) on the internet side, and runs
camera/viewer command pairs across any two NATs.

See docs/natlab.md for the topology, the addressing plan and the rules.

Everything the lab creates is named "natlab-<pid>-..." and is removed when
the driver exits, whatever the reason; namespaces left behind by a driver
that was SIGKILLed are removed by the next run.
"""

import argparse
import atexit
import base64
import hashlib
import hmac
import json
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, 'natprobe.py')
HOLEPUNCH = os.path.join(HERE, 'holepunch.py')
PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') \
    else sys.executable

PREFIX = 'natlab-'

# Addressing plan (docs/natlab.md).  Everything public lives in
# 198.18.0.0/15 (RFC 2544 benchmarking), which is never routed on the real
# internet; the internet namespace has no default route, so nothing can leave.
TURN_ADDR = '198.18.0.10'
# A separate STUN-only coturn, so that stopping the relay (a fault test)
# leaves server-reflexive discovery working, as with a separate STUN host.
STUN_ADDR = '198.18.0.11'
SERVER_ADDR = '198.18.0.20'
REFL_A = '198.18.1.1'
REFL_B = '198.18.1.2'
TURN_PORT = 3478
SIGNAL_PORT = 8443
REFL_PORT_1 = 3478
REFL_PORT_2 = 3479
# A TCP port that only the UDP-blocked network refuses (probe's control).
REFL_TCP_OTHER = 8080
TURN_REALM = 'natlab.invalid'
# Name of the signalling server inside the lab (hosts file and certificate).
SERVER_NAME = 'p2p.natlab.test'
NETNS_ETC = '/etc/netns'

NAT_KINDS = ('full-cone', 'address-restricted', 'port-restricted',
             'symmetric', 'double-nat', 'udp-blocked', 'same-lan')

# Sites without NAT (not part of the matrix): the host has a public
# address of its own behind a plain router.
SITE_KINDS = NAT_KINDS + ('public',)

EIM = 'endpoint-independent'
ADF = 'address-dependent'
APD = 'address-and-port-dependent'

# What the probe must observe from a LAN host behind each kind of site:
# (mapping, filtering).  None = UDP must not get out at all.
EXPECTED_BEHAVIOUR = {
    'full-cone': (EIM, EIM),
    'address-restricted': (EIM, ADF),
    'port-restricted': (EIM, APD),
    'symmetric': (APD, APD),
    'double-nat': (EIM, APD),
    'same-lan': (EIM, APD),
    'udp-blocked': (None, None),
}

MODE_RE = r'p2p-connection.*?mode=(?:\(string\))?"?(lan|direct|relay)'
# The finer report of the product (lan, direct, mapped, punched, relay).
TECHNIQUE_RE = r'p2p-connection.*?technique=(?:\(string\))?"?([a-z]+)'
CAMERA_TECHNIQUE_RE = (r'p2p-(?:viewer-joined|connection).*?technique='
                       r'(?:\(string\))?"?([a-z]+)')
FRAME_RE = r'last-message = chain|NATLAB-FRAME'
# p2p-core's debug lines (G_MESSAGES_DEBUG=p2p-core) of a candidate going
# out: the end-of-candidates and a port-mapped one.
END_OF_CANDIDATES_RE = r'> \{"type":"candidate",.*"candidate":""'
MAPPED_CANDIDATE_RE = r'> \{"type":"candidate",.*"candidate":"candidate:mapped '
REGISTERED_RE = r'event=login .*uid=|^REGISTERED'

# Commands used by the matrix until the product documents its own.  They
# are shell snippets run with the NATLAB_* environment (see product_env());
# override any of them with the matching NATLAB_*_CMD environment variable
# or run-pair option.
DEFAULT_SERVER_CMD = (
    'exec "$NATLAB_BUILDDIR/server/p2p-server"'
    ' --tls-cert "$NATLAB_TLS_CERT" --tls-key "$NATLAB_TLS_KEY"'
    ' --listen "$NATLAB_SERVER_ADDR" --port "$NATLAB_SIGNAL_PORT"'
    ' --server-id "$NATLAB_SERVER_NAME"'
    ' --registry "$NATLAB_WORKDIR/registry.db"'
    ' --turn-secret-file "$NATLAB_TURN_SECRET_FILE"'
    ' --turn-urls "turn:$NATLAB_TURN_ADDR:$NATLAB_TURN_PORT?transport=udp"'
    ' --turn-urls "turn:$NATLAB_TURN_ADDR:$NATLAB_TURN_PORT?transport=tcp"'
    ' --stun-urls "stun:$NATLAB_STUN_ADDR:$NATLAB_TURN_PORT"')
# p2p-uid add prints "UID sha-256 FINGERPRINT".
DEFAULT_PROVISION_CMD = (
    'uid="$NATLAB_BUILDDIR/server/p2p-uid"; reg="$NATLAB_WORKDIR/registry.db";'
    ' "$uid" -r "$reg" init >/dev/null &&'
    ' out=$("$uid" -r "$reg" add -o "$NATLAB_WORKDIR/device.pem") &&'
    ' echo "NATLAB_UID=${out%% *}" &&'
    ' echo "NATLAB_KEY_FILE=$NATLAB_WORKDIR/device.pem"')
# -m: the camera's p2p-viewer-joined and p2p-connection messages are read
# too (technique reports, issue 16).
DEFAULT_CAMERA_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -m -e videotestsrc is-live=true'
    ' ! video/x-raw,width=640,height=360,framerate=30/1'
    ' ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30'
    ' ! p2psink uid="$NATLAB_UID" key-file="$NATLAB_KEY_FILE"'
    ' server="$NATLAB_SERVER_URL" password="$NATLAB_PASSWORD"')
DEFAULT_VIEWER_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -m -v p2psrc uid="$NATLAB_UID"'
    ' password="$NATLAB_PASSWORD" server="$NATLAB_SERVER_URL"'
    ' ! h264parse ! identity eos-after="${NATLAB_VIEWER_FRAMES:-60}"'
    ' silent=false ! fakesink')

# Stand-in product (holepunch.py): a plain UDP hole punch with a TCP relay
# fallback.  It proves the run-pair hook and the expected-mode table against
# the real lab NATs while p2psink/p2psrc do not exist yet.
_HP = '"$NATLAB_PYTHON" "$NATLAB_HOLEPUNCH"'
_SRV = '"$NATLAB_SERVER_ADDR:$NATLAB_SIGNAL_PORT"'
STANDIN = {
    'server_cmd': 'exec %s server --listen %s' % (_HP, _SRV),
    'provision_cmd': '',
    'registered_regex': r'^REGISTERED camera',
    'camera_cmd': 'exec %s peer --role camera --server %s' % (_HP, _SRV),
    'viewer_cmd': 'exec %s peer --role viewer --server %s' % (_HP, _SRV),
}

# The pairs of the matrix: every ordered pair of the four NAT types, then
# the special networks.
MATRIX_PAIRS = [(c, v) for c in NAT_KINDS[:4] for v in NAT_KINDS[:4]] + [
    ('same-lan', 'same-lan'),
    ('double-nat', 'port-restricted'),
    ('port-restricted', 'double-nat'),
    ('double-nat', 'symmetric'),
    ('udp-blocked', 'full-cone'),
    ('full-cone', 'udp-blocked'),
]


def expected_mode(cam, view, birthday=True):
    """Mode a camera behind `cam` and a viewer behind `view` must end up in
    (see docs/natlab.md for the reasoning).  `birthday`: the peers punch a
    symmetric NAT against an endpoint-independent one by birthday-paradox
    probing, as the product does (issue 16) and the stand-in does not."""
    if cam == view == 'same-lan':
        return 'lan'
    if 'udp-blocked' in (cam, view):
        return 'relay'
    # Endpoint-independent mapping with port-dependent filtering; a double
    # NAT of two such routers behaves as one.
    apdf = ('port-restricted', 'double-nat', 'same-lan')
    for a, b in ((cam, view), (view, cam)):
        if a == 'symmetric' and b == 'symmetric':
            return 'relay'
        if a == 'symmetric' and b in apdf:
            return 'direct' if birthday else 'relay'
    return 'direct'


def needs_birthday(cam, view):
    """True for the pairs only birthday-paradox probing makes direct."""
    return (expected_mode(cam, view) == 'direct' and
            expected_mode(cam, view, birthday=False) == 'relay')


# The pairs of the four NAT types an ordinary hole punch can serve (13 of
# 16).
PUNCHABLE_PAIRS = [(c, v) for c, v in MATRIX_PAIRS[:16]
                   if expected_mode(c, v, birthday=False) == 'direct']


class LabError(Exception):
    pass


class NotAvailable(LabError):
    """A product piece the step needs is not built (yet)."""


class NoLab(LabError):
    """The machine cannot host the lab (no root, missing tools)."""


# meson reads exit status 99 as a hard ERROR, which even a test marked
# should_fail (a known product failure) cannot turn into a pass: a CI job
# without root must never go green.
EXIT_NO_LAB = 99


class Interrupted(BaseException):
    """Raised from a signal handler so that `with Lab()` tears down."""


def log(msg):
    print('natlab: %s' % msg, flush=True)


def run(argv, timeout=15, check=True, input=None, env=None):
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise LabError('timed out after %ss: %s' % (timeout,
                                                   shlex.join(argv)))
    if check and p.returncode != 0:
        raise LabError('%s failed (%d): %s' % (shlex.join(argv), p.returncode,
                                               (p.stderr or p.stdout).strip()))
    return p


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def turn_credentials(secret, user, ttl=3600):
    """coturn REST-API (use-auth-secret) credentials for `user`."""
    username = '%d:%s' % (int(time.time()) + ttl, user)
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode()


# Crashes of any lab process, as "NAME crashed (...)", in the order seen: a
# failure names them first, since whatever timed out after a crash (a
# viewer waiting for a dead camera) is only its consequence. Each Lab
# keeps its own as well, so that one lab's crash does not cut short the
# waits of the next (matrix pairs).
CRASHES = []
# gst-launch's crash handler prints this and then waits forever for a
# debugger, with every thread still there to look at.
SPINNING_RE = re.compile(r"Spinning\.\s+Please run 'gdb \S+ (\d+)'")
CAUGHT_RE = re.compile(r'Caught (SIG[A-Z]+)')
SANITIZER_RE = re.compile(r'ERROR: (AddressSanitizer|ThreadSanitizer): '
                          r'(\S+)')
CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT,
                 signal.SIGFPE, signal.SIGILL, signal.SIGTRAP)
GDB_STACKS = ['-batch', '-nx', '-ex', 'set pagination off',
              '-ex', 'thread apply all bt']
# Attaching to a big process loads every library's symbols: slow on a
# loaded host.
GDB_TIMEOUT = 120


def gdb_stacks(extra):
    """Every thread's stack from gdb (`extra`: "-p PID" or an executable
    and a core file), as lines."""
    gdb = shutil.which('gdb')
    if not gdb:
        return ['gdb is not installed: no stacks']
    try:
        p = subprocess.run([gdb] + GDB_STACKS + extra,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors='replace',
                           timeout=GDB_TIMEOUT)
    except subprocess.TimeoutExpired:
        return ['gdb timed out after %d s' % GDB_TIMEOUT]
    return (p.stdout + p.stderr).splitlines()


def allow_core():
    """Raises the core size limit as far as allowed, for the driver and so
    for every process it starts: a crash leaves a core for gdb."""
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return str(e)


def core_file(pid):
    """The core file a crashed process left, moved out of the way, or None
    (kernel.core_pattern "core" or "core.PID" writes it in the working
    directory, which the lab's processes share with the driver)."""
    for name in ('core.%d' % pid, 'core'):
        if os.path.isfile(name) and \
                os.path.getmtime(name) > time.time() - 60:
            return name
    return None


class Proc:
    """A process in a namespace whose output is logged and time-stamped, so
    tests can wait for a line (readiness) instead of sleeping.

    A crash leaves every thread's stack in the log: gst-launch's crash
    handler keeps the process for a debugger, which the lab attaches;
    any other process killed by a signal dumps core (the limit is raised
    for it), which gdb then reads.  Either way it is recorded in
    CRASHES and in `crashes` (its lab's)."""

    def __init__(self, ns, argv, name, logdir, env=None, crashes=None):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.logpath = os.path.join(logdir, name + '.log')
        self.logdir = logdir
        self.logfile = open(self.logpath, 'w')
        self.t0 = time.monotonic()
        self.caught = None
        self.sanitizer = None
        self.crashes = [] if crashes is None else crashes
        self.popen = subprocess.Popen(
            ['ip', 'netns', 'exec', ns] + argv, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _add(self, line):
        t = time.monotonic()
        self.logfile.write('%9.3f %s\n' % (t - self.t0, line))
        self.logfile.flush()
        with self.cond:
            self.lines.append((t, line))
            self.cond.notify_all()

    def _record(self, crash):
        with self.cond:
            CRASHES.append(crash)
            self.crashes.append(crash)
            self.cond.notify_all()

    def _crashed(self, why, stacks):
        for line in stacks:
            self._add('gdb: ' + line)
        self._record('%s crashed (%s; every thread\'s stack is in %s)' % (
            self.name, why, self.logpath))

    def _read(self):
        for raw in self.popen.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self._add(line)
            m = CAUGHT_RE.search(line)
            if m:
                self.caught = m.group(1)
            m = SANITIZER_RE.search(line)
            if m and not self.sanitizer:
                self.sanitizer = '%s: %s' % m.groups()
            m = SPINNING_RE.search(line)
            if m:
                self._crashed(self.caught or 'crash handler',
                              gdb_stacks(['-p', m.group(1)]))
                # The stacks are what the handler waits for.
                self.popen.kill()
        rc = self.popen.wait()
        if self.sanitizer:
            self._record('%s crashed (%s; its report is in %s)' % (
                self.name, self.sanitizer, self.logpath))
        elif rc < 0 and -rc in CRASH_SIGNALS:
            core = core_file(self.popen.pid)
            if core:
                kept = os.path.join(self.logdir, '%s.core' % self.name)
                shutil.move(core, kept)
                exe = [line.split('`')[1].split()[0]
                       for line in gdb_stacks(['-c', kept])
                       if line.startswith('Core was generated by `')]
                stacks = gdb_stacks(exe[:1] + [kept])
            else:
                stacks = ['no core file (kernel.core_pattern is %r)' %
                          read_text('/proc/sys/kernel/core_pattern')]
            self._crashed(signal.Signals(-rc).name, stacks)
        with self.cond:
            self.cond.notify_all()

    def find(self, regex, last=False):
        rx = re.compile(regex)
        with self.cond:
            for t, line in (reversed(self.lines) if last else self.lines):
                m = rx.search(line)
                if m:
                    return t, m
        return None

    def wait_for(self, regex, timeout, what=None, after=None):
        """Time and match of the first output line matching regex (and
        printed later than `after`, a monotonic time); raises if the
        process exits or the deadline passes first."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for t, line in self.lines[seen:]:
                    if after is not None and t <= after:
                        continue
                    m = rx.search(line)
                    if m:
                        return t, m
                seen = len(self.lines)
                exited = self.popen.poll() is not None and \
                    not self.thread.is_alive()
                left = deadline - time.monotonic()
                if exited or left <= 0 or self.crashes:
                    break
                self.cond.wait(min(left, 0.2))
        why = 'exited with %s' % self.popen.returncode if exited \
            else 'gave up after %.1f s' % (timeout - left) if self.crashes \
            else 'timed out after %.0f s' % timeout
        raise LabError('%s%s: %s %s before %s; last output:\n%s' % (
            ''.join(c + '; then ' for c in self.crashes), self.name,
            self.name, why, what or repr(regex), self.tail()))

    def tail(self, n=15, width=300):
        with self.cond:
            return '\n'.join('    ' + (line if len(line) <= width else
                                      line[:width] + ' [...]')
                             for _, line in self.lines[-n:])

    def wait(self, timeout):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.thread.join(5)
        return rc

    def output(self):
        with self.cond:
            return '\n'.join(line for _, line in self.lines)

    def stop(self, timeout=5):
        if self.caught or (self.popen.poll() or 0) < 0:
            # Let the crash handler's report and the stacks in first.
            self.thread.join(GDB_TIMEOUT + 30)
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        self.thread.join(timeout)
        self.logfile.close()


class Site:
    """One network behind a NAT: router (plus carrier NAT for a double NAT)
    and LAN hosts."""

    def __init__(self, name, kind, index):
        self.name = name
        self.kind = kind
        self.index = index
        self.router = None
        self.cgn = None
        self.hosts = []
        self.host_addrs = []
        self.public = '198.19.%d.2' % index
        self.inet_if = 's%d' % index
        # The router's miniupnpd command while its start is deferred.
        self.mapping_cmd = None

    @property
    def edge(self):
        """The namespace whose wan0 faces the internet."""
        return self.cgn or self.router


# What a router does with unsolicited packets from the internet
# (Site.unsolicited): 'drop' them silently, as home routers do, or 'answer'
# them as a plain Linux router without a firewall does: the packet to the
# router itself is accepted (conntrack keeps an UNREPLIED entry for it) and
# the kernel answers ICMP port unreachable.
UNSOLICITED = ('drop', 'answer')


# A router that grants port mappings runs Debian's miniupnpd (UPnP IGD,
# NAT-PMP, PCP) on its LAN; it adds its forwarding rules to chains of an
# inet table of ours, entered ahead of the NAT kind's own rules.
# miniupnpd refuses to map on a reserved WAN address, so such a site's WAN
# is in MAPPING_WAN (a range routed nowhere but inside the lab).  A router
# made with port_mapping='upnp' speaks UPnP IGD only (enable_natpmp=no
# closes port 5351: no NAT-PMP, no PCP), as many home routers do.
MAPPING_WAN = '11.0.%d'
MAPPING_RULESET = '''table inet upnp {
  chain miniupnpd {
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority dstnat - 1; policy accept;
    iifname "wan0" jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority srcnat - 1; policy accept;
    oifname "wan0" jump postrouting_miniupnpd
  }
  chain forward {
    type filter hook forward priority filter - 1; policy accept;
    iifname "wan0" jump miniupnpd
  }
}
'''
MINIUPNPD_CONF = '''ext_ifname=wan0
listening_ip=lan0
port=0
enable_natpmp=%(natpmp)s
enable_upnp=yes
secure_mode=yes
system_uptime=yes
upnp_table_name=upnp
upnp_nat_table_name=upnp
lease_file=%(lease)s
allow 1024-65535 192.168.0.0/16 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
'''


# Impairments (loss, cuts) live in their own table so that they can be
# replaced at run time without touching the NAT.
IMPAIR_RULESET = [
    'table ip impair {',
    '  chain forward {',
    '    type filter hook forward priority -150; policy accept;',
    '  }',
    '}']


def nat_ruleset(kind, wan='wan0', lan='lan0', unsolicited='drop'):
    """nftables ruleset for a NAT router of the given RFC 4787 kind."""
    cone = kind in ('full-cone', 'address-restricted')
    masq = 'masquerade fully-random' if kind == 'symmetric' else 'masquerade'
    r = ['table ip natlab {']
    if cone:
        # Mapping table: external UDP port -> internal address . port, kept
        # fresh by every packet leaving through the mapping.  This is what
        # turns Linux's per-connection NAT into endpoint-independent
        # filtering: a new flow to a mapped port is sent to its owner.
        r += ['  map cone {',
              '    type inet_service : ipv4_addr . inet_service',
              '    flags dynamic, timeout; timeout 300s; size 65535',
              '  }']
    if kind == 'address-restricted':
        # Permission set: (external port, remote address) pairs the inside
        # has sent to; any port of a permitted address may come in.
        r += ['  set perm {',
              '    type inet_service . ipv4_addr',
              '    flags dynamic, timeout; timeout 300s; size 65535',
              '  }']
    r += ['  chain input {',
          '    type filter hook input priority filter; policy accept;',
          # Unsolicited packets to the router are silently dropped, as home
          # routers do, rather than answered with port-unreachable.
          '    iifname "%s" ct state established,related accept' % wan,
          '    iifname "%s" %s' % (wan, 'drop' if unsolicited == 'drop'
                                  else 'accept'),
          '  }',
          '  chain forward {',
          '    type filter hook forward priority filter; policy accept;',
          '    iifname "%s" ct state established,related accept' % wan,
          '    iifname "%s" ct status dnat accept' % wan,
          '    iifname "%s" drop' % wan]
    if kind == 'udp-blocked':
        # A restrictive office firewall: nothing but TCP to the TURN and
        # signalling ports goes out; the rest is refused at once.
        r += ['    iifname "%s" oifname "%s" tcp dport { %d, %d } accept'
              % (lan, wan, TURN_PORT, SIGNAL_PORT),
              '    iifname "%s" oifname "%s" reject with icmp type '
              'admin-prohibited' % (lan, wan)]
    r += ['  }',
          '  chain prerouting {',
          '    type nat hook prerouting priority dstnat; policy accept;']
    if kind == 'full-cone':
        r += ['    iifname "%s" dnat ip to udp dport map @cone' % wan]
    elif kind == 'address-restricted':
        r += ['    iifname "%s" udp dport . ip saddr @perm '
              'dnat ip to udp dport map @cone' % wan]
    r += ['  }',
          '  chain postrouting {',
          '    type nat hook postrouting priority srcnat; policy accept;',
          '    oifname "%s" %s' % (wan, masq),
          '  }']
    if cone:
        # Runs after srcnat, so udp sport is already the external port; the
        # internal endpoint is the conntrack tuple's inside end, which is the
        # original source for flows from inside and the reply source for
        # flows let in by the DNAT above.
        r += ['  chain track {',
              '    type filter hook postrouting priority srcnat + 10; '
              'policy accept;',
              '    oifname "%s" ct direction original update @cone '
              '{ udp sport : ct original ip saddr . ct original proto-src }'
              % wan,
              '    oifname "%s" ct direction reply update @cone '
              '{ udp sport : ct reply ip saddr . ct reply proto-src }' % wan]
        if kind == 'address-restricted':
            r += ['    oifname "%s" update @perm { udp sport . ip daddr }'
                  % wan]
        r += ['  }']
    r += ['}'] + IMPAIR_RULESET
    return '\n'.join(r) + '\n'


# Extra host interfaces (Lab.add_extra_ifaces): what an NVR box or a
# developer laptop has besides its LAN port. The container bridges have the
# same address on every site, as Docker's and libvirt's defaults do; the
# last two look like ordinary Ethernet ports on networks the peer cannot
# reach.
EXTRA_IFACES = [
    ('docker0', '172.17.0.1/16'),
    ('br-natlab', '172.18.0.1/16'),
    ('veth7f3a', '172.19.{site}.{host}/24'),
    ('virbr0', '192.168.122.1/24'),
    ('wg0', '10.8.{site}.{host}/24'),
    ('tun0', '10.9.{site}.{host}/24'),
    ('eth1', '10.{site}.1.{host}/24'),
    ('eth2', '10.{site}.2.{host}/24'),
]


class Lab:
    def __init__(self, workdir=None, keep_logs=False):
        self.tag = '%s%d-' % (PREFIX, os.getpid())
        self.namespaces = []
        self.procs = []
        self.sites = {}
        self.next_index = 1
        self.keep_logs = keep_logs or workdir is not None
        self.workdir = workdir or tempfile.mkdtemp(prefix='natlab-')
        os.makedirs(self.workdir, exist_ok=True)
        self.turn_secret = None
        self.inet = None
        self.reflectors = None
        self.torn_down = False
        self.tls = None
        self.crashes = []

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        require_root()
        clean_stale()
        allow_core()
        self._install_signal_handlers()
        atexit.register(self.teardown)
        try:
            self._build_internet()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    def _install_signal_handlers(self):
        def handler(signum, frame):
            raise Interrupted('signal %d' % signum)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)

    def teardown(self):
        if self.torn_down:
            return
        self.torn_down = True
        # A second Ctrl-C must not leave half the lab behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # keep tearing down the rest
                log('stopping %s: %s' % (p.name, e))
        for ns in reversed(self.namespaces):
            delete_namespace(ns)
        self.namespaces = []
        if not self.keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)

    # -- building blocks ---------------------------------------------------

    def add_ns(self, role):
        ns = self.tag + role
        run(['ip', 'netns', 'add', ns])
        self.namespaces.append(ns)
        self.ip(ns, 'link set lo up')
        # Keep reverse-path filtering out of the picture: with asymmetric
        # lab routes it would drop packets the NAT under test should see.
        self.sysctl(ns, 'net.ipv4.conf.all.rp_filter', 0)
        self.sysctl(ns, 'net.ipv4.conf.default.rp_filter', 0)
        return ns

    def ip(self, ns, args):
        run(['ip', '-n', ns] + args.split())

    def sysctl(self, ns, key, value):
        run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w',
             '%s=%s' % (key, value)])

    def nft(self, ns, ruleset):
        run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], input=ruleset)

    def veth(self, ns1, if1, addr1, ns2, if2, addr2):
        run(['ip', 'link', 'add', if1, 'netns', ns1, 'type', 'veth',
             'peer', 'name', if2, 'netns', ns2])
        for ns, ifn, addr in ((ns1, if1, addr1), (ns2, if2, addr2)):
            if addr:
                self.ip(ns, 'addr add %s dev %s' % (addr, ifn))
            self.ip(ns, 'link set %s up' % ifn)

    def exec(self, ns, argv, timeout=15, check=True, input=None, env=None):
        return run(['ip', 'netns', 'exec', ns] + argv, timeout=timeout,
                   check=check, input=input, env=env)

    def spawn(self, ns, argv, name, env=None):
        p = Proc(ns, argv, name, self.workdir, env, self.crashes)
        self.procs.append(p)
        return p

    def _build_internet(self):
        self.inet = self.add_ns('inet')
        self.sysctl(self.inet, 'net.ipv4.ip_forward', 1)
        # Service addresses sit on lo: the internet namespace is their host
        # and the router between all sites at once.
        for a in (TURN_ADDR, STUN_ADDR, SERVER_ADDR, REFL_A, REFL_B):
            self.ip(self.inet, 'addr add %s/32 dev lo' % a)

    def add_site(self, name, kind, hosts=None, unsolicited='drop',
                 extra_ifaces=0, port_mapping=False, mapping_later=False):
        """A site of NAT `kind`; its routers treat unsolicited packets as
        `unsolicited` says (UNSOLICITED), and each host has `extra_ifaces`
        more interfaces (EXTRA_IFACES) besides eth0.  With `port_mapping`
        the router grants port mappings (miniupnpd, MAPPING_RULESET), with
        'upnp' through UPnP IGD only; with `mapping_later` too, its
        miniupnpd only starts with start_mapping()."""
        if unsolicited not in UNSOLICITED:
            raise LabError('unknown router variant %r' % unsolicited)
        if kind not in SITE_KINDS:
            raise LabError('unknown NAT kind %r (one of %s)' %
                           (kind, ', '.join(SITE_KINDS)))
        if name in self.sites:
            raise LabError('site %s exists' % name)
        i = self.next_index
        self.next_index += 1
        if i > 250:
            raise LabError('too many sites')
        if hosts is None:
            hosts = 2 if kind == 'same-lan' else 1
        site = Site(name, kind, i)
        wan_inet = '198.19.%d.1/24' % i
        if port_mapping:
            if kind in ('double-nat', 'public', 'udp-blocked'):
                raise LabError('port mapping on a %s site' % kind)
            site.public = (MAPPING_WAN % i) + '.2'
            wan_inet = (MAPPING_WAN % i) + '.1/24'
        router_kind = 'port-restricted' if kind in (
            'double-nat', 'same-lan') else kind
        if kind == 'double-nat':
            # Carrier-grade NAT in front of a home NAT, joined by RFC 6598
            # shared address space, as an ISP does it.
            site.cgn = self.add_ns('c-' + name)
            self.veth(self.inet, site.inet_if, wan_inet,
                      site.cgn, 'wan0', site.public + '/24')
            self.ip(site.cgn, 'route add default via 198.19.%d.1' % i)
            self.sysctl(site.cgn, 'net.ipv4.ip_forward', 1)
            self.nft(site.cgn, nat_ruleset('port-restricted',
                                           unsolicited=unsolicited))
            site.router = self.add_ns('r-' + name)
            self.veth(site.cgn, 'lan0', '100.64.%d.1/24' % i,
                      site.router, 'wan0', '100.64.%d.2/24' % i)
            self.ip(site.router, 'route add default via 100.64.%d.1' % i)
        else:
            site.router = self.add_ns('r-' + name)
            self.veth(self.inet, site.inet_if, wan_inet,
                      site.router, 'wan0', site.public + '/24')
            self.ip(site.router, 'route add default via %s' %
                    wan_inet.split('/')[0])
        self.sysctl(site.router, 'net.ipv4.ip_forward', 1)
        # A public site's LAN is a public /24 of its own (198.18.100+N.0,
        # routed to its router by the internet namespace); the router only
        # forwards, no NAT, no filter.
        lan = '198.18.%d' % (100 + i) if kind == 'public' else \
            '192.168.%d' % i
        self.ip(site.router, 'link add lan0 type bridge')
        self.ip(site.router, 'link set lan0 type bridge forward_delay 0')
        self.ip(site.router, 'addr add %s.1/24 dev lan0' % lan)
        self.ip(site.router, 'link set lan0 up')
        if kind == 'public':
            self.ip(self.inet, 'route add %s.0/24 via %s' % (lan,
                                                             site.public))
            self.nft(site.router, '\n'.join(IMPAIR_RULESET) + '\n')
        else:
            self.nft(site.router, nat_ruleset(router_kind,
                                              unsolicited=unsolicited))
        if port_mapping:
            self.nft(site.router, MAPPING_RULESET)
            conf = os.path.join(self.workdir, 'miniupnpd-%s.conf' % name)
            with open(conf, 'w') as f:
                f.write(MINIUPNPD_CONF % {'lease': os.path.join(
                    self.workdir, 'miniupnpd-%s.leases' % name),
                    'natpmp': 'no' if port_mapping == 'upnp' else 'yes'})
        for n in range(hosts):
            h = self.add_ns('h-%s-%d' % (name, n))
            addr = '%s.%d' % (lan, 10 + n)
            self.veth(h, 'eth0', addr + '/24', site.router, 'p%d' % n, None)
            self.ip(site.router, 'link set p%d master lan0' % n)
            self.ip(h, 'route add default via %s.1' % lan)
            self.add_extra_ifaces(h, i, n, extra_ifaces)
            site.hosts.append(h)
            site.host_addrs.append(addr)
        if port_mapping:
            miniupnpd = shutil.which('miniupnpd') or '/usr/sbin/miniupnpd'
            if not os.path.exists(miniupnpd):
                raise LabError('miniupnpd not found: install the Debian '
                               'package miniupnpd')
            # A pid file of its own: miniupnpd refuses to start while the
            # default one names a running instance (another site, another
            # lab running beside this one).
            site.mapping_cmd = [miniupnpd, '-f', conf, '-d', '-P',
                                os.path.join(self.workdir,
                                             'miniupnpd-%s.pid' % name)]
            if not mapping_later:
                self.start_mapping(site)
        self.sites[name] = site
        return site

    def start_mapping(self, site):
        """Starts the miniupnpd of a site made with port_mapping (once)."""
        if site.mapping_cmd:
            self.spawn(site.router, site.mapping_cmd,
                       'miniupnpd-' + site.name)
            site.mapping_cmd = None

    def add_extra_ifaces(self, ns, site_index, host, count):
        """`count` interfaces named and numbered like the container, VM and
        VPN interfaces of a busy machine (EXTRA_IFACES), each up with an
        IPv4 address and the IPv6 link-local address the kernel gives it.
        Each is one end of a veth pair whose other end (`xN`, up, with only
        its link-local address, like a container's veth on its host) stays
        in the same namespace: nothing sent there leaves the host, so pairs
        towards these addresses fail as unreachable ones do. (veth, not
        dummy: not every kernel has the dummy module.)"""
        if count > len(EXTRA_IFACES):
            raise LabError('at most %d extra interfaces' % len(EXTRA_IFACES))
        for k, (name, addr) in enumerate(EXTRA_IFACES[:count]):
            run(['ip', 'link', 'add', name, 'netns', ns, 'type', 'veth',
                 'peer', 'name', 'x%d' % k, 'netns', ns])
            self.ip(ns, 'addr add %s dev %s' % (
                addr.format(site=site_index, host=10 + host), name))
            self.ip(ns, 'link set %s up' % name)
            self.ip(ns, 'link set x%d up' % k)

    # -- isolation ---------------------------------------------------------

    def check_isolation(self):
        """No namespace of the lab may reach beyond the lab: the internet
        namespace has no default route, and every interface is lo, a veth
        whose peer is inside the lab, or a lab bridge."""
        problems = []
        if run(['ip', '-n', self.inet, 'route', 'show', 'default']).stdout \
                .strip():
            problems.append('internet namespace has a default route')
        p = run(['ip', '-n', self.inet, 'route', 'get', '192.0.2.1'],
                check=False)
        if p.returncode == 0:
            problems.append('internet namespace routes 192.0.2.1: %s' %
                            p.stdout.strip())
        ours = set(self.namespaces)
        ids = {}
        for ns in self.namespaces:
            links = json.loads(run(['ip', '-j', '-d', '-n', ns, 'link',
                                    'show']).stdout)
            for link in links:
                kind = link.get('linkinfo', {}).get('info_kind')
                name = link['ifname']
                if name == 'lo' or kind == 'bridge':
                    continue
                if kind != 'veth':
                    problems.append('%s: unexpected %s interface %s' %
                                    (ns, kind, name))
                    continue
                peer_ns = self._peer_namespace(ns, link, ids)
                if peer_ns not in ours:
                    problems.append('%s: %s peers with %s outside the lab' %
                                    (ns, name, peer_ns))
        return problems

    def _peer_namespace(self, ns, link, cache):
        """Name of the namespace holding a veth's peer, resolved through the
        namespace ids the kernel reports as link-netnsid."""
        if 'link_netnsid' not in link:
            return ns
        if ns not in cache:
            cache[ns] = {}
            for line in run(['ip', '-n', ns, 'netns', 'list-id']).stdout \
                    .splitlines():
                m = re.match(r'nsid (\d+) \(iproute2 netns name: (\S+)\)',
                             line)
                if m:
                    cache[ns][int(m.group(1))] = m.group(2)
        return cache[ns].get(link['link_netnsid'], '<unknown>')

    # -- impairments -------------------------------------------------------

    def impair(self, site, loss=0, cut=False):
        """Random loss (percent, both directions) or a full cut of a site's
        internet link, applied on its outermost router.  Counters record
        what was seen and dropped per direction."""
        rules = ['flush chain ip impair forward']
        for d in ('oifname', 'iifname'):
            rules.append('add rule ip impair forward %s "wan0" counter' % d)
            if cut:
                rules.append('add rule ip impair forward %s "wan0" counter '
                             'drop' % d)
            elif loss:
                rules.append('add rule ip impair forward %s "wan0" numgen '
                             'random mod 100 < %d counter drop' %
                             (d, int(loss)))
        self.nft(site.edge, '\n'.join(rules) + '\n')

    def impair_counters(self, site):
        """{'up'|'down': (packets seen, packets dropped)} since impair()."""
        out = json.loads(run(['ip', 'netns', 'exec', site.edge, 'nft', '-j',
                              'list', 'chain', 'ip', 'impair', 'forward'])
                         .stdout)
        counts = {'up': [0, 0], 'down': [0, 0]}
        for item in out['nftables']:
            rule = item.get('rule')
            if not rule:
                continue
            exprs = rule['expr']
            text = json.dumps(exprs)
            way = 'up' if '"oifname"' in text else 'down'
            packets = next(e['counter']['packets'] for e in exprs
                           if 'counter' in e)
            counts[way][1 if any('drop' in e for e in exprs) else 0] = \
                packets
        return {k: tuple(v) for k, v in counts.items()}

    def renumber(self, site):
        """Move the site's public address to the next one in its link, as an
        ISP does on reconnect.  Masquerade drops the conntrack entries bound
        to the old address, so every mapping changes; peers must notice."""
        old = site.public
        host = int(old.rsplit('.', 1)[1]) + 1
        if host > 254:
            raise LabError('no address left on site %s' % site.name)
        new = '198.19.%d.%d' % (site.index, host)
        self.ip(site.edge, 'addr del %s/24 dev wan0' % old)
        self.ip(site.edge, 'addr add %s/24 dev wan0' % new)
        # Deleting the address took the default route with it.
        self.ip(site.edge, 'route replace default via 198.19.%d.1' %
                site.index)
        site.public = new
        return new

    def set_rate(self, site, kbit):
        """Limit a site's uplink and downlink with tbf (no netem here)."""
        burst = max(16000, kbit * 1000 // 8 // 50)
        for ns, dev in ((site.edge, 'wan0'), (self.inet, site.inet_if)):
            if kbit:
                run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'replace',
                     'dev', dev, 'root', 'tbf', 'rate', '%dkbit' % kbit,
                     'burst', str(burst), 'latency', '200ms'])
            else:
                run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev',
                     dev, 'root'], check=False)

    # -- probe -------------------------------------------------------------

    def start_reflectors(self):
        if self.reflectors:
            return
        p = self.spawn(self.inet, [
            PYTHON, PROBE, 'reflector',
            '--sock', 'a1=%s:%d' % (REFL_A, REFL_PORT_1),
            '--sock', 'a2=%s:%d' % (REFL_A, REFL_PORT_2),
            '--sock', 'b1=%s:%d' % (REFL_B, REFL_PORT_1),
            '--tcp', '%s:%d' % (REFL_A, TURN_PORT),
            '--tcp', '%s:%d' % (REFL_A, REFL_TCP_OTHER)], 'reflector')
        p.wait_for('^READY$', 10, 'reflector ready')
        self.reflectors = p

    def probe(self, ns, a1=(REFL_A, REFL_PORT_1), a2=(REFL_A, REFL_PORT_2),
              b1=(REFL_B, REFL_PORT_1), tcp=None, timeout=2.0):
        if tcp is None:
            tcp = ['%s:%d' % (REFL_A, TURN_PORT),
                   '%s:%d' % (REFL_A, REFL_TCP_OTHER)]
        argv = [PYTHON, PROBE, 'client', '--a1', '%s:%d' % a1,
                '--a2', '%s:%d' % a2, '--b1', '%s:%d' % b1,
                '--timeout', str(timeout)]
        for t in tcp:
            argv += ['--tcp', t]
        p = self.exec(ns, argv, timeout=30)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def verify_site(self, site):
        """Probe a site from its first host and compare with its label.
        Returns (observed row, list of problems)."""
        self.start_reflectors()
        r = self.probe(site.hosts[0])
        want_map, want_filt = EXPECTED_BEHAVIOUR[site.kind]
        problems = []
        ext = None
        if r['mapped'].get('a1'):
            ext = '%s:%d' % tuple(r['mapped']['a1'])
        tcp = r['tcp']
        tcp_turn = tcp['%s:%d' % (REFL_A, TURN_PORT)]
        tcp_other = tcp['%s:%d' % (REFL_A, REFL_TCP_OTHER)]
        if site.kind == 'udp-blocked':
            if r['udp'] != 'blocked':
                problems.append('UDP got out (%s)' % r['udp'])
            if not tcp_turn:
                problems.append('TCP to port %d blocked' % TURN_PORT)
            if tcp_other:
                problems.append('TCP to port %d allowed' % REFL_TCP_OTHER)
        else:
            if r['udp'] != 'ok':
                problems.append('UDP did not get through (%s)' % r['udp'])
            if r['mapping'] != want_map:
                problems.append('mapping %s, labelled %s' %
                                (r['mapping'], want_map))
            if r['filtering'] != want_filt:
                problems.append('filtering %s, labelled %s' %
                                (r['filtering'], want_filt))
            if r['mapped'].get('a1') and r['mapped']['a1'][0] != site.public:
                problems.append('external address %s, expected %s' %
                                (r['mapped']['a1'][0], site.public))
            if not (tcp_turn and tcp_other):
                problems.append('TCP blocked')
        if site.kind == 'same-lan':
            # The two hosts must reach each other directly, untranslated.
            peer = site.host_addrs[1]
            lanrefl = self.spawn(site.hosts[1], [
                PYTHON, PROBE, 'reflector',
                '--sock', 'a1=%s:%d' % (peer, REFL_PORT_1),
                '--sock', 'a2=%s:%d' % (peer, REFL_PORT_2),
                '--sock', 'b1=%s:%d' % (peer, REFL_PORT_2 + 1),
                '--tcp', '%s:%d' % (peer, TURN_PORT)],
                'lan-reflector-' + site.name)
            lanrefl.wait_for('^READY$', 10, 'LAN reflector ready')
            lr = self.probe(site.hosts[0], a1=(peer, REFL_PORT_1),
                            a2=(peer, REFL_PORT_2),
                            b1=(peer, REFL_PORT_2 + 1),
                            tcp=['%s:%d' % (peer, TURN_PORT)])
            lanrefl.stop()
            r['lan'] = lr
            if lr['udp'] != 'ok' or lr['translated'] or \
                    lr['filtering'] != EIM:
                problems.append('LAN hosts do not reach each other directly:'
                                ' %s' % json.dumps(lr))
        row = {
            'site': site.kind,
            'local': '%s:%d' % tuple(r['local']),
            'external': ext or '-',
            'mapping': r['mapping'] or '-',
            'filtering': r['filtering'] or '-',
            'from B / A:other port': '/'.join(
                ('in' if seen.get(k) else 'dropped') for k in ('b1', 'a2'))
                if (seen := r.get('filtering_seen')) else '-',
            'udp': r['udp'],
            'tcp %d/%d' % (TURN_PORT, REFL_TCP_OTHER):
                '%s/%s' % ('open' if tcp_turn else 'refused',
                           'open' if tcp_other else 'refused'),
            'verdict': 'PASS' if not problems else 'FAIL',
        }
        return row, problems, r

    # -- TLS for signalling ------------------------------------------------

    def setup_tls(self):
        """A lab CA and a certificate for the signalling server's address,
        trusted only inside the lab's host namespaces: `ip netns exec`
        bind-mounts /etc/netns/NAME/ssl over /etc/ssl, so the products' TLS
        stack (GIO/GnuTLS, OpenSSL) sees the lab CA as the system store
        while the machine's own store stays untouched."""
        if not shutil.which('openssl'):
            raise LabError('openssl not found (Debian: openssl)')
        d = self.workdir
        ca_key, ca = os.path.join(d, 'ca.key'), os.path.join(d, 'ca.pem')
        key, csr = os.path.join(d, 'server.key'), os.path.join(d, 'server.csr')
        cert, ext = os.path.join(d, 'server.pem'), os.path.join(d, 'san.cnf')
        with open(ext, 'w') as f:
            f.write('subjectAltName=IP:%s,DNS:%s\n' % (SERVER_ADDR,
                                                      SERVER_NAME))
        ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
              '-nodes']
        run(['openssl', 'req', '-x509'] + ec + [
            '-keyout', ca_key, '-out', ca, '-days', '2', '-subj',
            '/CN=natlab test CA %s' % self.tag])
        run(['openssl', 'req'] + ec + ['-keyout', key, '-out', csr,
                                       '-subj', '/CN=%s' % SERVER_NAME])
        run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca, '-CAkey',
             ca_key, '-CAcreateserial', '-out', cert, '-days', '2',
             '-extfile', ext])
        for site in self.sites.values():
            for ns in site.hosts:
                certs = os.path.join(NETNS_ETC, ns, 'ssl', 'certs')
                os.makedirs(certs, exist_ok=True)
                shutil.copy(ca, os.path.join(certs, 'ca-certificates.crt'))
                if os.path.exists('/etc/ssl/openssl.cnf'):
                    shutil.copy('/etc/ssl/openssl.cnf',
                                os.path.join(NETNS_ETC, ns, 'ssl'))
                with open(os.path.join(NETNS_ETC, ns, 'hosts'), 'w') as f:
                    f.write('127.0.0.1 localhost\n%s %s\n' %
                            (SERVER_ADDR, SERVER_NAME))
                # No name server inside the lab: lookups of anything else
                # fail at once on loopback instead of aiming at the
                # machine's resolver, which the lab cannot (and must not)
                # reach.
                with open(os.path.join(NETNS_ETC, ns, 'resolv.conf'),
                          'w') as f:
                    f.write('# natlab: no DNS inside the lab\n'
                            'nameserver 127.0.0.1\noptions timeout:1 '
                            'attempts:1\n')
        self.tls = {'ca': ca, 'cert': cert, 'key': key}
        return self.tls

    # -- coturn ------------------------------------------------------------

    def start_coturn(self):
        turnserver = shutil.which('turnserver')
        if not turnserver:
            raise LabError('turnserver not found: install the Debian package '
                           'coturn (listed in .ci/deps)')
        self.turn_secret = secrets.token_hex(24)
        # The same secret for p2p-server (--turn-secret-file), kept off
        # command lines.
        fd = os.open(os.path.join(self.workdir, 'turn-secret'),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(self.turn_secret + '\n')
        conf = os.path.join(self.workdir, 'turnserver.conf')
        # The deployed peer rules, as docs/deployment.md has operators
        # append them: a relay must not reach into private networks. It
        # matters here too: the internet namespace has no route to the
        # sites' private addresses, and coturn tears down a whole
        # allocation when a relayed send fails with "Network is
        # unreachable", which killed every relay pair.
        with open(os.path.join(HERE, '..', '..', 'server',
                               'coturn-denied-peers.conf')) as f:
            denied_peers = f.read()
        with open(conf, 'w') as f:
            f.write('\n'.join([
                '# generated by natlab.py for one lab run',
                'listening-ip=%s' % TURN_ADDR,
                'relay-ip=%s' % TURN_ADDR,
                'listening-port=%d' % TURN_PORT,
                'min-port=49152',
                'max-port=65535',
                'realm=%s' % TURN_REALM,
                'use-auth-secret',
                'static-auth-secret=%s' % self.turn_secret,
                'fingerprint',
                'no-tls',
                'no-dtls',
                'no-cli',
                'no-multicast-peers',
                # The quotas deployment.md documents (per call and party).
                'total-quota=2000',
                'user-quota=8',
                # The lab's public internet is 198.18.0.0/15, which the
                # deployed rules refuse (benchmarking range): allowed back
                # for the lab only (coturn checks allowed-peer-ip first).
                'allowed-peer-ip=198.18.0.0-198.19.255.255',
                # Sites whose router maps ports (MAPPING_WAN).
                'allowed-peer-ip=11.0.0.0-11.0.255.255',
                'userdb=%s' % os.path.join(self.workdir, 'turndb'),
                'pidfile=%s' % os.path.join(self.workdir, 'turnserver.pid'),
                'log-file=stdout',
                'simple-log',
                # NATLAB_COTURN_VERBOSE=1 logs every STUN/TURN message.
                'Verbose' if os.environ.get('NATLAB_COTURN_VERBOSE')
                else 'verbose',
                '']) + denied_peers)
        p = self.spawn(self.inet, [turnserver, '-c', conf], 'coturn')
        self.wait_listening(self.inet, TURN_ADDR, TURN_PORT, ('udp', 'tcp'),
                            10, p)
        return p

    def start_stun(self):
        """STUN-only coturn on STUN_ADDR (no relay, no credentials)."""
        turnserver = shutil.which('turnserver')
        if not turnserver:
            raise LabError('turnserver not found: install the Debian package '
                           'coturn (listed in .ci/deps)')
        # Always a config file of our own: without -c, turnserver also reads
        # /etc/turnserver.conf, and Debian's (coturn 4.6) sets
        # no-stun-backward-compatibility, which silently drops the classic
        # RFC 3489 Binding requests libnice 0.1.21 sends for server-reflexive
        # discovery. The lab's STUN server must be the one deployment.md
        # describes, not whatever this machine's coturn package ships.
        conf = os.path.join(self.workdir, 'stunserver.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join([
                '# generated by natlab.py for one lab run',
                'stun-only',
                'listening-ip=%s' % STUN_ADDR,
                'listening-port=%d' % TURN_PORT,
                'no-tls',
                'no-dtls',
                'no-cli',
                'pidfile=%s' % os.path.join(self.workdir, 'stun.pid'),
                'userdb=%s' % os.path.join(self.workdir, 'stundb'),
                'log-file=stdout',
                'simple-log',
            ]) + '\n')
        p = self.spawn(self.inet, [turnserver, '-c', conf], 'stun')
        self.wait_listening(self.inet, STUN_ADDR, TURN_PORT, ('udp',), 10, p)
        return p

    def wait_listening(self, ns, addr, port, protos, timeout, proc=None):
        """Poll the namespace's socket table until addr:port listens on
        every protocol given, or fail at the deadline."""
        deadline = time.monotonic() + timeout
        want = '%s:%d' % (addr, port)
        # A wildcard listener serves addr too.
        accept = {want} | {'%s:%d' % (w, port) for w in
                           ('*', '0.0.0.0', '[::]', '[::ffff:%s]' % addr)}
        while True:
            found = set()
            for proto in protos:
                flag = '-lnt' if proto == 'tcp' else '-lnu'
                out = self.exec(ns, ['ss', '-H', flag], timeout=5).stdout
                if any(line.split()[3] in accept for line in
                       out.splitlines() if len(line.split()) > 3):
                    found.add(proto)
            if found == set(protos):
                return
            if proc is not None and proc.popen.poll() is not None:
                raise LabError('%s exited (%s) before listening on %s:\n%s' %
                               (proc.name, proc.popen.returncode, want,
                                proc.tail()))
            if time.monotonic() > deadline:
                raise LabError('nothing listening on %s %s after %d s%s' % (
                    want, '/'.join(protos), timeout,
                    (':\n' + proc.tail()) if proc else ''))
            time.sleep(0.05)  # poll interval, not a synchronisation delay

    def turn_allocate(self, ns, tcp=False, user='natlab-probe'):
        """Allocate relays on coturn from ns with REST credentials and pass
        data between two of them (turnutils_uclient -y)."""
        username, password = turn_credentials(self.turn_secret, user)
        argv = ['turnutils_uclient', '-y', '-n', '20', '-l', '200', '-z', '5',
                '-u', username, '-w', password, '-p', str(TURN_PORT)]
        if tcp:
            argv.append('-t')
        argv.append(TURN_ADDR)
        p = self.exec(ns, argv, timeout=60, check=False)
        return p, username


# -- namespace housekeeping --------------------------------------------------


def lab_namespaces():
    p = run(['ip', 'netns', 'list'], check=False)
    names = []
    for line in p.stdout.splitlines():
        name = line.split()[0] if line.split() else ''
        if name.startswith(PREFIX):
            names.append(name)
    return names


def delete_namespace(ns):
    """Kill whatever still runs in ns, then delete it and its /etc
    overlay."""
    p = run(['ip', 'netns', 'pids', ns], check=False, timeout=5)
    pids = [int(x) for x in p.stdout.split() if x.isdigit()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 3
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if pid_alive(pid)]
            if pids:
                time.sleep(0.05)  # poll for exit with a deadline
        if not pids:
            break
    run(['ip', 'netns', 'del', ns], check=False, timeout=10)
    if ns.startswith(PREFIX):
        shutil.rmtree(os.path.join(NETNS_ETC, ns), ignore_errors=True)


def clean_stale():
    """Remove namespaces left by lab runs whose driver is gone (SIGKILL,
    power cut); never touch a live run's."""
    for ns in lab_namespaces():
        m = re.match(re.escape(PREFIX) + r'(\d+)-', ns)
        if not m:
            continue
        pid = int(m.group(1))
        if pid == os.getpid():
            continue
        alive = False
        if pid_alive(pid):
            try:
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    alive = b'natlab' in f.read()
            except OSError:
                alive = False
        if not alive:
            log('removing stale namespace %s' % ns)
            delete_namespace(ns)
    live = set(lab_namespaces())
    if os.path.isdir(NETNS_ETC):
        for name in os.listdir(NETNS_ETC):
            if name.startswith(PREFIX) and name not in live:
                shutil.rmtree(os.path.join(NETNS_ETC, name),
                              ignore_errors=True)


def require_root():
    """The lab needs CAP_SYS_ADMIN and CAP_NET_ADMIN; say so loudly instead
    of skipping, so a CI job without them fails visibly."""
    os.environ['PATH'] = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'
    missing = [t for t in ('ip', 'nft', 'tc', 'ss') if not shutil.which(t)]
    if missing:
        raise NoLab('FAIL: missing tools %s (Debian: iproute2 nftables)' %
                    ', '.join(missing))
    if os.geteuid() != 0:
        raise NoLab('FAIL: root is needed to build the NAT lab (network '
                       'namespaces, veth, nftables); run "meson test --suite '
                       'natlab" as root. This test never skips.')
    probe_ns = '%s%d-rootcheck' % (PREFIX, os.getpid())
    p = run(['ip', 'netns', 'add', probe_ns], check=False)
    if p.returncode != 0:
        raise NoLab('FAIL: root is needed: cannot create a network '
                    'namespace (%s)' % p.stderr.strip())
    run(['ip', 'netns', 'del', probe_ns], check=False)


# -- tests ---------------------------------------------------------------------


def format_table(rows, columns):
    # No rows (a run that failed before its first) still makes a table.
    widths = [max([len(c)] + [len(str(r.get(c, ''))) for r in rows])
              for c in columns]
    out = ['| ' + ' | '.join(c.ljust(w) for c, w in zip(columns, widths))
           + ' |',
           '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    for r in rows:
        out.append('| ' + ' | '.join(str(r.get(c, '')).ljust(w)
                                     for c, w in zip(columns, widths)) + ' |')
    return '\n'.join(out)


def print_table(rows, columns, path=None):
    """Prints the rows as a Markdown table, and writes it to `path`."""
    table = format_table(rows, columns)
    print(table, flush=True)
    if path:
        with open(path, 'w') as f:
            f.write(table + '\n')


PROBE_COLUMNS = ['site', 'local', 'external', 'mapping', 'filtering',
                 'from B / A:other port', 'udp',
                 'tcp %d/%d' % (TURN_PORT, REFL_TCP_OTHER), 'verdict']


def test_probe(kinds, args):
    rows = []
    failed = False
    with Lab(args.workdir) as lab:
        sites = [lab.add_site(k.replace('-', '')[:10], k) for k in kinds]
        problems = lab.check_isolation()
        if problems:
            raise LabError('lab not isolated: ' + '; '.join(problems))
        for site in sites:
            row, problems, raw = lab.verify_site(site)
            rows.append(row)
            log('%s: %s' % (site.kind, json.dumps(raw, sort_keys=True)))
            for p in problems:
                log('FAIL %s: %s' % (site.kind, p))
                failed = True
    print(format_table(rows, PROBE_COLUMNS), flush=True)
    return 1 if failed else 0


def test_isolation(args):
    with Lab(args.workdir) as lab:
        site = lab.add_site('iso', 'port-restricted')
        problems = lab.check_isolation()
        # Behaviour, not only configuration: an address outside the lab is
        # unreachable from a LAN host (ICMP net-unreachable from the
        # internet namespace) and from the internet namespace itself.
        for ns in (site.hosts[0], lab.inet):
            p = lab.exec(ns, [PYTHON, '-c', (
                'import socket,sys\n'
                's=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n'
                's.settimeout(3)\n'
                'try:\n'
                '    s.connect(("192.0.2.1",80)); print("CONNECTED")\n'
                'except OSError as e: print("unreachable", e)\n')],
                timeout=10)
            log('%s -> 192.0.2.1:80: %s' % (ns, p.stdout.strip()))
            if 'CONNECTED' in p.stdout:
                problems.append('%s reached 192.0.2.1' % ns)
    for p in problems:
        log('FAIL: ' + p)
    if not problems:
        log('PASS: no namespace of the lab has a way out of it')
    return 1 if problems else 0


def test_coturn(args, tcp):
    """coturn in the internet namespace relays for a host behind a
    symmetric NAT (UDP) or the UDP-blocked network (TCP) with REST
    credentials, and refuses a wrong password."""
    kind = 'udp-blocked' if tcp else 'symmetric'
    problems = []
    with Lab(args.workdir) as lab:
        site = lab.add_site('turn', kind)
        coturn = lab.start_coturn()
        p, username = lab.turn_allocate(site.hosts[0], tcp=tcp)
        out = p.stdout + p.stderr
        sys.stdout.write(out)
        m = re.search(r'Total lost packets (\d+)', out)
        sent = re.search(r'tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$',
                         out, re.M)
        if p.returncode != 0:
            problems.append('turnutils_uclient exited %d' % p.returncode)
        if not m or not sent or int(sent.group(2)) == 0:
            problems.append('no data went through the relay')
        elif int(m.group(1)) != 0:
            problems.append('%s packets lost through the relay' % m.group(1))
        try:
            _, alloc = coturn.wait_for(
                r'user <%s>: incoming packet ALLOCATE processed, success' %
                re.escape(username), 5, 'ALLOCATE success')
            log('coturn: ' + alloc.string)
        except LabError as e:
            problems.append(str(e))
        # The secret must matter: a password made with another secret
        # gets no allocation.
        bad_user, bad_pw = turn_credentials('not-the-secret', 'intruder')
        q = lab.exec(site.hosts[0], [
            'turnutils_uclient', '-y', '-n', '1', '-u', bad_user, '-w',
            bad_pw, '-p', str(TURN_PORT)] + (['-t'] if tcp else []) +
            [TURN_ADDR], timeout=60, check=False)
        try:
            coturn.wait_for(r'user <%s>: .*error 401' % re.escape(bad_user),
                            5, '401 for a wrong password')
        except LabError as e:
            problems.append(str(e))
        if 'Total lost packets' in q.stdout + q.stderr:
            problems.append('a wrong password got a relay')
    for pr in problems:
        log('FAIL: ' + pr)
    if not problems:
        log('PASS: relay allocated over %s from behind %s with REST '
            'credentials (user %s); wrong password refused' %
            ('TCP' if tcp else 'UDP', kind, username))
    return 1 if problems else 0


def test_loss(args):
    """numgen-based loss drops the requested share of packets each way, a
    cut drops everything, and removing it restores the path."""
    pct, count = 20, 2000
    with Lab(args.workdir) as lab:
        site = lab.add_site('loss', 'port-restricted')
        lab.start_reflectors()
        lab.impair(site, loss=pct)
        # Bounded, paced blast: `count` MAP requests with at most 32 in
        # flight, so neither socket buffer overflows and every loss seen
        # is the rule's.
        code = (
            'import socket,select,time\n'
            's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n'
            'dst=("%s",%d)\n'
            'got=sent=0\n'
            'inflight={}\n'
            'end=time.monotonic()+30\n'
            'while (sent<%d or inflight) and time.monotonic()<end:\n'
            '    now=time.monotonic()\n'
            '    for k in [k for k,t in inflight.items() if now-t>0.3]:\n'
            '        del inflight[k]\n'
            '    while sent<%d and len(inflight)<32:\n'
            '        s.sendto(b"MAP n%%d" %% sent, dst)\n'
            '        inflight[b"n%%d" %% sent]=now; sent+=1\n'
            '    if select.select([s],[],[],0.05)[0]:\n'
            '        w=s.recv(2048).split()\n'
            '        if inflight.pop(w[1],None) is not None: got+=1\n'
            'print(sent,got)\n') % (REFL_A, REFL_PORT_1, count, count)
        sent, got = map(int, lab.exec(site.hosts[0], [PYTHON, '-c', code],
                                      timeout=40).stdout.split()[-2:])
        counters = lab.impair_counters(site)
        lab.impair(site, cut=True)
        cut = lab.probe(site.hosts[0], timeout=0.7)
        cut_counters = lab.impair_counters(site)
        lab.impair(site)
        restored = lab.probe(site.hosts[0])
    problems = []
    for way, (seen, dropped) in sorted(counters.items()):
        share = 100.0 * dropped / seen if seen else 0
        log('%s: %d packets, %d dropped (%.1f%%, rule says %d%%)' %
            (way, seen, dropped, share, pct))
        # Binomial spread is under 1 point for these counts; 5 points
        # never flakes but catches a rule that drops nothing or all.
        if seen < count * 0.5 or abs(share - pct) > 5:
            problems.append('%s loss %.1f%% over %d packets, wanted %d%%' %
                            (way, share, seen, pct))
    expect = sent * (1 - pct / 100) ** 2
    log('end to end: %d of %d round trips (expected ~%.0f)' %
        (got, sent, expect))
    if abs(got - expect) > 150:
        problems.append('end-to-end delivery %d of %d, expected ~%.0f' %
                        (got, sent, expect))
    if cut['udp'] != 'blocked' or cut_counters['up'][1] == 0:
        problems.append('cut did not stop UDP: %s' % cut['udp'])
    if restored['udp'] != 'ok':
        problems.append('path not restored after cut: %s' % restored['udp'])
    for p in problems:
        log('FAIL: ' + p)
    return 1 if problems else 0


def test_renumber(args):
    """A renumbered NAT maps from its new address at once and keeps its
    behaviour (the camera-address-change fault builds on this)."""
    problems = []
    with Lab(args.workdir) as lab:
        site = lab.add_site('renum', 'double-nat')
        lab.start_reflectors()
        before = lab.probe(site.hosts[0])
        new = lab.renumber(site)
        after = lab.probe(site.hosts[0])
    log('external address %s -> %s' % (before['mapped']['a1'][0],
                                       after['mapped']['a1'] and
                                       after['mapped']['a1'][0]))
    if before['mapped']['a1'][0] == new:
        problems.append('already on the new address before renumbering')
    if not after['mapped']['a1'] or after['mapped']['a1'][0] != new:
        problems.append('after renumbering the mapping is %s, not %s' %
                        (after['mapped']['a1'], new))
    if (after['mapping'], after['filtering']) != EXPECTED_BEHAVIOUR[
            'double-nat']:
        problems.append('behaviour changed: %s/%s' % (after['mapping'],
                                                      after['filtering']))
    for p in problems:
        log('FAIL: ' + p)
    return 1 if problems else 0


def test_rate(args):
    """tbf on a site's link caps throughput (bounded transfer, wide
    bounds: it proves the shaper is there, not its precision)."""
    kbit, size = 2000, 500000
    with Lab(args.workdir) as lab:
        site = lab.add_site('rate', 'full-cone')
        lab.set_rate(site, kbit)
        sink = lab.spawn(lab.inet, [PYTHON, '-c', (
            'import socket\n'
            's=socket.socket(); s.bind(("%s",9000)); s.listen(1)\n'
            'print("READY",flush=True)\n'
            'c,_=s.accept(); n=0\n'
            'while n < %d:\n'
            '    b=c.recv(65536)\n'
            '    if not b: break\n'
            '    n+=len(b)\n'
            'c.sendall(b"done"); print("GOT",n,flush=True)\n')
            % (REFL_A, size)], 'rate-sink')
        sink.wait_for('^READY', 10)
        out = lab.exec(site.hosts[0], [PYTHON, '-c', (
            'import socket,time\n'
            's=socket.create_connection(("%s",9000),timeout=30)\n'
            't=time.monotonic(); s.sendall(b"x"*%d); s.recv(4)\n'
            'print(time.monotonic()-t)\n') % (REFL_A, size)], timeout=60)
        secs = float(out.stdout.split()[-1])
    ideal = size * 8 / (kbit * 1000)
    log('%d bytes through %d kbit/s tbf in %.2f s (ideal %.2f s)' %
        (size, kbit, secs, ideal))
    if not (ideal * 0.7 <= secs <= ideal * 3):
        log('FAIL: rate limit not effective')
        return 1
    return 0


# -- product pairs ---------------------------------------------------------


def product_missing(builddir, need_plugin):
    """The product pieces the default matrix commands need, with what is
    missing; an empty list means ready."""
    missing = []
    for rel in ('server/p2p-server', 'server/p2p-uid'):
        path = os.path.join(builddir, rel)
        if not os.access(path, os.X_OK):
            missing.append('%s NOT YET AVAILABLE (%s missing)' %
                           (os.path.basename(rel), path))
    if need_plugin:
        env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(builddir, 'gst'))
        for el in ('p2psink', 'p2psrc'):
            try:
                p = subprocess.run(['gst-inspect-1.0', el], env=env,
                                   capture_output=True, timeout=60)
                ok = p.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            if not ok:
                missing.append('%s NOT YET AVAILABLE (not found under %s)' %
                               (el, env['GST_PLUGIN_PATH']))
    return missing


def product_ready(builddir):
    """Root and the whole product (server, UID tool, plugin): True, or
    False after saying what is missing."""
    require_root()
    missing = product_missing(builddir, True)
    for m in missing:
        log('FAIL: ' + m)
    return not missing


def product_env(lab, builddir, password):
    env = dict(os.environ)
    env.update({
        'NATLAB_BUILDDIR': os.path.abspath(builddir),
        'NATLAB_WORKDIR': lab.workdir,
        # p2psrc remembers cameras under XDG_CONFIG_HOME: keep the lab's
        # viewers out of the user's own known-cameras file.
        'XDG_CONFIG_HOME': os.path.join(lab.workdir, 'config'),
        'NATLAB_SERVER_ADDR': SERVER_ADDR,
        'NATLAB_SIGNAL_PORT': str(SIGNAL_PORT),
        'NATLAB_SERVER_URL': 'wss://%s:%d' % (SERVER_NAME, SIGNAL_PORT),
        'NATLAB_SERVER_NAME': SERVER_NAME,
        'NATLAB_TLS_CERT': lab.tls['cert'] if lab.tls else '',
        'NATLAB_TLS_KEY': lab.tls['key'] if lab.tls else '',
        'NATLAB_TLS_CA': lab.tls['ca'] if lab.tls else '',
        'NATLAB_TURN_ADDR': TURN_ADDR,
        'NATLAB_STUN_ADDR': STUN_ADDR,
        'NATLAB_TURN_PORT': str(TURN_PORT),
        'NATLAB_TURN_SECRET': lab.turn_secret or '',
        'NATLAB_TURN_SECRET_FILE': os.path.join(lab.workdir, 'turn-secret'),
        'NATLAB_TURN_REALM': TURN_REALM,
        'NATLAB_PASSWORD': password,
        'NATLAB_PYTHON': PYTHON,
        'NATLAB_HOLEPUNCH': HOLEPUNCH,
        'GST_PLUGIN_PATH': os.path.join(os.path.abspath(builddir), 'gst'),
        'LD_LIBRARY_PATH': os.path.join(os.path.abspath(builddir),
                                        'p2p-core'),
    })
    return env


def start_server(lab, env, cmd, timeout=15, name='p2p-server'):
    """Pluggable server step: p2p-server in the internet namespace, ready
    when its signalling port listens."""
    binary = os.path.join(env['NATLAB_BUILDDIR'], 'server', 'p2p-server')
    if cmd == DEFAULT_SERVER_CMD and not os.access(binary, os.X_OK):
        raise NotAvailable('p2p-server NOT YET AVAILABLE: %s does not exist'
                           % binary)
    p = lab.spawn(lab.inet, ['sh', '-c', cmd], name, env)
    lab.wait_listening(lab.inet, SERVER_ADDR, SIGNAL_PORT, ('tcp',), timeout,
                       p)
    return p


def provision(lab, env, opts):
    """Runs the provisioning command in the internet namespace and exports
    its NATLAB_X=value lines into `env`."""
    uid_bin = os.path.join(env['NATLAB_BUILDDIR'], 'server', 'p2p-uid')
    if opts.provision_cmd == DEFAULT_PROVISION_CMD and \
            not os.access(uid_bin, os.X_OK):
        raise NotAvailable('p2p-uid NOT YET AVAILABLE: %s does not '
                           'exist' % uid_bin)
    if opts.provision_cmd:
        p = lab.exec(lab.inet, ['sh', '-c', opts.provision_cmd],
                     timeout=60, check=False, env=env)
        if p.returncode != 0:
            raise LabError('provisioning failed (%d): %s' % (
                p.returncode, (p.stderr or p.stdout).strip()))
        for line in p.stdout.splitlines():
            m = re.match(r'(NATLAB_[A-Z0-9_]+)=(.*)$', line.strip())
            if m:
                env[m.group(1)] = m.group(2)


def run_pair(cam, view, camera_cmd, viewer_cmd, builddir, opts, fault=None,
             prepare=None):
    """One camera/viewer pair across two NATs.  Returns a table row; the
    row's 'result' is PASS only if the viewer saw a frame, exited cleanly
    and (unless opts.any_mode) the mode is the expected one.  With `fault`,
    a function called with a PairContext once media flows, the viewer runs
    until the fault function returns and then is stopped.  `prepare(lab)`
    runs once the server is up, before the camera starts."""
    birthday = not getattr(opts, 'standin', False)
    row = {'pair': '%s -> %s' % (cam, view), 'camera': cam, 'viewer': view,
           'expected': expected_mode(cam, view, birthday), 'mode': '-',
           'technique': '-',
           'first frame (ms)': '-', 'result': 'FAIL'}
    with Lab(opts.workdir) as lab:
        try:
            variant = dict(unsolicited=getattr(opts, 'unsolicited', 'drop'),
                           extra_ifaces=getattr(opts, 'extra_ifaces', 0))
            mapping = getattr(opts, 'port_mapping', 'none')
            protocols = getattr(opts, 'mapping_protocols', 'all')
            granting = 'upnp' if protocols == 'upnp' else True
            late = getattr(opts, 'late_candidate', False) and \
                mapping in ('camera', 'viewer')
            # A PCP or NAT-PMP gateway answers in milliseconds: for a
            # mapped candidate later than end-of-candidates, its daemon
            # starts after that (UPnP's search is later anyway).
            later = late and protocols != 'upnp'
            # One router that maps a port lets the other side's checks in,
            # whatever NAT that side has (issue 16).
            if mapping != 'none' and 'udp-blocked' not in (cam, view):
                row['expected'] = 'direct'
            if cam == view == 'same-lan':
                site = lab.add_site('lan', 'same-lan', hosts=2, **variant)
                cam_ns, view_ns = site.hosts
                cam_site = view_site = site
            else:
                if 'same-lan' in (cam, view):
                    raise LabError('same-lan pairs only with itself')
                cam_site = lab.add_site('cam', cam, port_mapping=mapping in (
                    'camera', 'both') and granting, mapping_later=later,
                    **variant)
                view_site = lab.add_site('view', view, port_mapping=mapping
                                         in ('viewer', 'both') and granting,
                                         mapping_later=later, **variant)
                cam_ns, view_ns = cam_site.hosts[0], view_site.hosts[0]
            problems = lab.check_isolation()
            if problems:
                raise LabError('lab not isolated: ' + '; '.join(problems))
            coturn = lab.start_coturn()
            lab.start_stun()
            lab.setup_tls()
            env = product_env(lab, builddir, opts.password)
            if late:
                # The signalling lines, to see the order of the mapping
                # party's candidates.
                env['G_MESSAGES_DEBUG'] = 'p2p-core'
                env.setdefault('NATLAB_VIEWER_FRAMES', str(BIRTHDAY_FRAMES))
            if fault:
                # The viewer must outlive the fault; it is stopped after.
                env['NATLAB_VIEWER_FRAMES'] = '1000000'
            elif (birthday and needs_birthday(cam, view)
                  and 'NATLAB_VIEWER_FRAMES' not in env):
                # The punched path replaces the relay after the first
                # frames: the viewer runs long enough to report it.
                env['NATLAB_VIEWER_FRAMES'] = str(BIRTHDAY_FRAMES)
            provision(lab, env, opts)
            server = start_server(lab, env, opts.server_cmd)
            if prepare:
                prepare(lab, coturn)
            camera = lab.spawn(cam_ns, ['sh', '-c', camera_cmd], 'camera',
                               env)
            if opts.registered_regex:
                server.wait_for(opts.registered_regex, opts.timeout,
                                'camera registered at the server')
            if opts.camera_ready:
                camera.wait_for(opts.camera_ready, opts.timeout,
                                'camera ready')
            viewer = lab.spawn(view_ns, ['sh', '-c', viewer_cmd], 'viewer',
                               env)
            if late:
                party, site = (camera, cam_site) if mapping == 'camera' \
                    else (viewer, view_site)
                eoc, _ = party.wait_for(END_OF_CANDIDATES_RE, opts.timeout,
                                        'end-of-candidates')
                lab.start_mapping(site)
            t, _ = viewer.wait_for(opts.frame_regex, opts.timeout,
                                   'first frame')
            row['first frame (ms)'] = '%.0f' % ((t - viewer.t0) * 1000)
            # The mode in force when media started; a fault may change it.
            found = viewer.find(opts.mode_regex, last=True)
            if found:
                row['mode'] = found[1].group(1)
            if fault:
                fault(PairContext(lab, cam_site, view_site, cam_ns, view_ns,
                                  env, opts, row, server, coturn, camera,
                                  viewer, viewer_cmd, t))
                viewer.stop()
                rc = 0
            else:
                rc = viewer.wait(opts.timeout)
            # The last report wins: ICE may start on one pair and settle
            # on another.
            found = viewer.find(opts.mode_regex, last=True) or \
                camera.find(opts.mode_regex, last=True)
            if found and not fault:
                row['mode'] = found[1].group(1)
            found = viewer.find(TECHNIQUE_RE, last=True)
            if found:
                row['technique'] = found[1].group(1)
                row['settled (ms)'] = '%.0f' % ((found[0] - viewer.t0) * 1000)
            if rc is None:
                raise LabError('viewer did not finish within %ss' %
                               opts.timeout)
            if rc != 0:
                raise LabError('viewer exited %d:\n%s' % (rc, viewer.tail()))
            if row['mode'] == '-':
                raise LabError('viewer reported no connection mode')
            if row['mode'] != row['expected'] and not opts.any_mode:
                raise LabError('mode %s, expected %s' % (row['mode'],
                                                         row['expected']))
            # Two hosts on public addresses talk host to host: not a LAN,
            # not a hole punch (issue 16), as both ends must say (the
            # camera in p2p-viewer-joined or a later p2p-connection).
            if cam == view == 'public' and not opts.any_mode:
                said = camera.find(CAMERA_TECHNIQUE_RE, last=True)
                said = said[1].group(1) if said else '-'
                if (row['technique'], said) != ('direct', 'direct'):
                    raise LabError('technique %s (viewer), %s (camera) '
                                   'between public hosts, expected direct'
                                   % (row['technique'], said))
            # A mapped candidate after end-of-candidates still reaches the
            # peer and carries the call (issue 16).
            if late:
                sent = party.wait_for(MAPPED_CANDIDATE_RE, 1, 'the mapped '
                                      'candidate sent', after=eoc)
                if row['technique'] != 'mapped' and not opts.any_mode:
                    raise LabError('technique %s with a mapped candidate '
                                   'after end-of-candidates (%.0f ms after '
                                   'it), expected mapped' % (
                                       row['technique'],
                                       (sent[0] - eoc) * 1000))
            # UPnP IGD only: the pair goes through the mapping or through
            # nothing (symmetric NATs), and says so.
            if (mapping != 'none' and protocols == 'upnp'
                    and row['technique'] != 'mapped' and not opts.any_mode):
                raise LabError('technique %s with a UPnP IGD router, '
                               'expected mapped' % row['technique'])
            row['result'] = 'PASS'
        except NotAvailable as e:
            row['result'] = 'NOT YET AVAILABLE'
            row['why'] = str(e)
        except LabError as e:
            row['why'] = str(e)
        if row['result'] != 'PASS':
            lab.keep_logs = True
            row['logs'] = lab.workdir
    return row


class PairContext:
    """What a fault function may act on while a pair streams."""

    def __init__(self, lab, cam_site, view_site, cam_ns, view_ns, env, opts,
                 row, server, coturn, camera, viewer, viewer_cmd, first):
        self.__dict__.update(locals())
        del self.__dict__['self']

    def no_errors(self, *procs):
        """GStreamer ERROR messages are faults the product must not post for
        transient network trouble (DESIGN: WARNING + element message)."""
        for p in procs or (self.viewer, self.camera):
            hit = p.find(r'^ERROR: |\(error\): ')
            if hit:
                raise LabError('%s posted an ERROR: %s' % (
                    p.name, hit[1].string.strip()))


def fault_cut(ctx):
    """Path cut for 5 s (nftables drop on the camera's router) and
    restored: media back within 2 s of the restore, no ERROR."""
    fr = ctx.opts.frame_regex
    ctx.viewer.wait_for(fr, 10, 'media flowing 1 s', after=ctx.first + 1)
    ctx.lab.impair(ctx.cam_site, cut=True)
    cut = time.monotonic()
    time.sleep(5)   # the fault's duration, not a synchronisation
    ctx.lab.impair(ctx.cam_site)
    restored = time.monotonic()
    # The cut must really have stopped media (after the jitter buffer
    # drained), or the recovery below would prove nothing.
    with ctx.viewer.cond:
        during = [t for t, line in ctx.viewer.lines
                  if cut + 1.5 < t < restored and re.search(
                      ctx.opts.frame_regex, line)]
    if during:
        raise LabError('%d frames arrived during the cut' % len(during))
    t, _ = ctx.viewer.wait_for(fr, 2, 'media within 2 s of the restore',
                               after=restored)
    ctx.row['recovery (ms)'] = '%.0f' % ((t - restored) * 1000)
    ctx.no_errors()


def fault_server_restart(ctx):
    """p2p-server killed mid-stream: the stream goes on; restarted: the
    camera logs in again within 10 s and a new viewer connects."""
    fr = ctx.opts.frame_regex
    ctx.server.popen.kill()
    killed = time.monotonic()
    ctx.viewer.wait_for(fr, 10, 'media 3 s after the server died',
                        after=killed + 3)
    server = start_server(ctx.lab, ctx.env, ctx.opts.server_cmd, name=
                          'p2p-server-2')
    restarted = time.monotonic()
    t, _ = server.wait_for(ctx.opts.registered_regex, 10,
                           'camera logged in again within 10 s')
    ctx.row['re-login (ms)'] = '%.0f' % ((t - restarted) * 1000)
    viewer2 = ctx.lab.spawn(ctx.view_ns, ['sh', '-c', ctx.viewer_cmd],
                            'viewer-2', ctx.env)
    t, _ = viewer2.wait_for(fr, ctx.opts.timeout, 'first frame, new viewer')
    ctx.row['new viewer first frame (ms)'] = '%.0f' % (
        (t - viewer2.t0) * 1000)
    viewer2.stop()
    ctx.no_errors(ctx.viewer, ctx.camera)


def fault_renumber(ctx):
    """The camera's NAT gets a new public address mid-stream: the viewer
    reconnects by itself and media flows again."""
    fr = ctx.opts.frame_regex
    ctx.viewer.wait_for(fr, 10, 'media flowing 1 s', after=ctx.first + 1)
    moved = time.monotonic()
    ctx.lab.renumber(ctx.cam_site)
    # Frames already in flight do not count: require media a second after
    # the move, within the reconnect budget.
    t, _ = ctx.viewer.wait_for(fr, 30, 'media after the address change',
                               after=moved + 1)
    ctx.row['recovery (ms)'] = '%.0f' % ((t - moved) * 1000)
    ctx.no_errors()


def fault_loss(ctx):
    """5 % random loss both ways on the camera's link for 20 s of a
    4 Mbit/s stream: at least 99 % of the frames come out of the decoder
    (NACK/RTX must repair the rest)."""
    pct, secs, fps = 5, 20, 30
    fr = ctx.opts.frame_regex
    ctx.viewer.wait_for(fr, 10, 'media flowing 1 s', after=ctx.first + 1)
    ctx.lab.impair(ctx.cam_site, loss=pct)
    start = time.monotonic()
    time.sleep(secs)    # the fault's duration, not a synchronisation
    counters = ctx.lab.impair_counters(ctx.cam_site)
    ctx.lab.impair(ctx.cam_site)
    end = time.monotonic()
    # Let the jitter buffer and retransmissions deliver what belongs to the
    # window, then count decoded frames by their timestamps.
    ctx.viewer.wait_for(fr, 5, 'media after the loss window', after=end + 1)
    pts = set()
    rx = re.compile(r'pts: (\d+:\d+:\d+\.\d+)')
    with ctx.viewer.cond:
        for t, line in ctx.viewer.lines:
            if start + 1 < t < end + 1 and re.search(fr, line):
                m = rx.search(line)
                pts.add(m.group(1) if m else (t, line))
    want = (secs - 0) * fps
    got = len(pts)
    ctx.row['frames decoded'] = '%d/%d' % (got, want)
    up, down = counters['up'], counters['down']
    ctx.row['dropped up/down'] = '%d/%d of %d/%d' % (up[1], down[1], up[0],
                                                     down[0])
    if got < 0.99 * want:
        raise LabError('%d of %d frames decoded under %d %% loss' %
                       (got, want, pct))
    ctx.no_errors()


def wait_value(proc, regex, pred, timeout, what, after):
    """Time and value of the first line matching regex (its group 1 an
    integer) printed after `after` whose value satisfies pred."""
    deadline = time.monotonic() + timeout
    while True:
        t, m = proc.wait_for(regex, max(deadline - time.monotonic(), 0),
                             what, after=after)
        if pred(int(m.group(1))):
            return t, int(m.group(1))
        after = t


# Issue 14: the single-encoder camera's x264enc (bitrate in kbit/s) as
# gst-launch -v reports each change, and its start and shaped rates.
ENCODER_RE = r'GstX264Enc:enc: bitrate = (\d+)'
ENCODER_KBIT = 3000
ENCODER_SHAPED_KBIT = 1500


def fault_encoder_rate(ctx):
    """The viewer's link shaped to 1.5 Mbit/s (tbf, both ways) under a
    3 Mbit/s x264enc that p2psink drives (encoder=enc): the viewer's
    bandwidth estimate brings the encoder below 1.5 Mbit/s within 5 s;
    the shaping lifted, back to at least 80 % of 3 Mbit/s within 30 s
    (8-9 s on a quiet host, 16 s beside other labs);
    media flows throughout, no ERROR."""
    fr = ctx.opts.frame_regex
    ctx.viewer.wait_for(fr, 10, 'media flowing 3 s', after=ctx.first + 3)
    # Reported, not asserted: a busy host's scheduling can look like a
    # queue to the estimator now and then.
    before = ctx.camera.find(ENCODER_RE, last=True)
    ctx.row['before'] = '%s kbit/s' % (before[1].group(1) if before else
                                       ENCODER_KBIT)
    ctx.lab.set_rate(ctx.view_site, ENCODER_SHAPED_KBIT)
    shaped = time.monotonic()
    t, kbit = wait_value(ctx.camera, ENCODER_RE,
                         lambda v: v < ENCODER_SHAPED_KBIT, 5,
                         'x264enc below %d kbit/s' % ENCODER_SHAPED_KBIT,
                         shaped)
    ctx.row['down (s)'] = '%.1f' % (t - shaped)
    ctx.row['shaped rate'] = '%d kbit/s' % kbit
    # Shaped for 10 s: the stream keeps flowing at the lower rate.
    ctx.viewer.wait_for(fr, 10, 'media while shaped', after=shaped + 10)
    ctx.lab.set_rate(ctx.view_site, 0)
    lifted = time.monotonic()
    t, kbit = wait_value(ctx.camera, ENCODER_RE,
                         lambda v: v >= 0.8 * ENCODER_KBIT, 30,
                         'x264enc back to %d kbit/s' % (0.8 * ENCODER_KBIT),
                         lifted)
    ctx.row['up (s)'] = '%.1f' % (t - lifted)
    ctx.viewer.wait_for(fr, 5, 'media after the shaping', after=t)
    ctx.no_errors()


def run_coturn_stopped(args, camera_cmd, viewer_cmd):
    """coturn (the relay) stopped: a direct pair still connects (STUN is
    a separate server); a relay-only pair fails with a clear message and
    never an ERROR."""
    def stop(lab, coturn):
        coturn.stop()
    rows = []
    direct = run_pair('port-restricted', 'full-cone', camera_cmd, viewer_cmd,
                      args.builddir, args, prepare=stop)
    direct['pair'] += ' (coturn stopped)'
    rows.append(direct)
    relay_opts = argparse.Namespace(**vars(args))
    relay_opts.timeout = 20
    relay = run_pair('symmetric', 'symmetric', camera_cmd, viewer_cmd,
                     args.builddir, relay_opts, prepare=stop)
    relay['pair'] += ' (coturn stopped)'
    relay['expected'] = 'no path'
    why = relay.get('why', '')
    if relay['result'] == 'PASS':
        relay['result'] = 'FAIL'
        relay['why'] = 'connected although no relay exists'
    elif 'before first frame' in why and re.search(
            r'WARNING: .*(path|relay|TURN|reach)', why, re.I) and \
            not re.search(r'^\s*ERROR: ', why, re.M):
        relay['result'] = 'PASS'
        relay['mode'] = 'none'
    else:
        relay['why'] = 'no clear message: ' + why
    rows.append(relay)
    report_pairs(rows, None)
    return 0 if all(r['result'] == 'PASS' for r in rows) else 1


# Commands for faults that need something else than the matrix pipelines:
# a 4 Mbit/s hard-to-compress stream, decoded at the viewer. I420 for the
# same reason as ENCODER_CAMERA_CMD below (openh264dec decodes no 4:4:4).
LOSS_CAMERA_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -e videotestsrc is-live=true pattern=snow'
    ' ! video/x-raw,format=I420,width=640,height=360,framerate=30/1'
    ' ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60'
    ' bitrate=4000 ! p2psink uid="$NATLAB_UID" key-file="$NATLAB_KEY_FILE"'
    ' server="$NATLAB_SERVER_URL" password="$NATLAB_PASSWORD"')
LOSS_VIEWER_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -m -v p2psrc uid="$NATLAB_UID"'
    ' password="$NATLAB_PASSWORD" server="$NATLAB_SERVER_URL"'
    ' ! h264parse ! openh264dec ! identity silent=false ! fakesink')

# The loss fault's viewer: LOSS_VIEWER_CMD with a 200 ms jitter buffer
# (p2psrc's default is 50 ms). With 50 ms the repair raced the host's
# scheduler, not the loss: on a loaded host (load 8-15, as in CI) the fault
# failed as often before this session's changes (ba6c26d: 578, 567, 536
# and 601 of 600 frames) as after (517-598), with gaps of 0.1-0.9 s in
# the decoded timestamps: a retransmission the CPU delays past 50 ms comes
# too late, and the decoder waits for the next keyframe (the layers test's
# finding, below). What the fault is about (NACK/RTX repairing 5 % loss
# each way) keeps its threshold; 200 ms leaves a retransmission several
# round trips of scheduling delay.
FAULT_LOSS_VIEWER_CMD = LOSS_VIEWER_CMD.replace(' p2psrc ',
                                                ' p2psrc latency=200 ', 1)

# Issue 14: x264enc driven by p2psink (encoder=enc), -v so that each change
# of its bitrate is printed. I420: from videotestsrc, x264enc would
# otherwise settle on High 4:4:4, which openh264dec does not decode.
ENCODER_CAMERA_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -v -e videotestsrc is-live=true'
    ' pattern=snow ! video/x-raw,format=I420,width=640,height=360'
    ',framerate=30/1 ! x264enc name=enc tune=zerolatency speed-preset=ultrafast'
    ' key-int-max=60 bitrate=%d ! p2psink encoder=enc uid="$NATLAB_UID"'
    ' key-file="$NATLAB_KEY_FILE" server="$NATLAB_SERVER_URL"'
    ' password="$NATLAB_PASSWORD"' % ENCODER_KBIT)

def fault_mtu(ctx):
    """Camera and viewer on public addresses (a direct host pair, routed
    through the lab's internet): the internet router's link to the
    viewer's site drops to an MTU of 1,100 mid-stream, so that the router
    answers the camera's larger packets with ICMP "fragmentation needed"
    and the camera's kernel lowers the path MTU: see mtu_drop()."""
    def lower():
        ctx.lab.ip(ctx.lab.inet, 'link set dev %s mtu %d' % (
            ctx.view_site.inet_if, MTU_LOWERED))
    mtu_drop(ctx.camera, ctx.viewer, ctx.opts.frame_regex, ctx.first, lower,
             ctx.row)


FAULTS = {
    'loss': fault_loss,
    'mtu': fault_mtu,
    'encoder-rate': fault_encoder_rate,
    'coturn-stopped': None,
    'cut': fault_cut,
    'server-restart': fault_server_restart,
    'renumber': fault_renumber,
}


def cmd_fault(args):
    require_root()
    camera_cmd, viewer_cmd = commands_for(args)
    missing = [] if args.standin else product_missing(args.builddir, True)
    if missing:
        for m in missing:
            log('FAIL: ' + m)
        log('FAIL: fault %s cannot run until these exist' % args.name)
        return 1
    if args.name == 'coturn-stopped':
        return run_coturn_stopped(args, camera_cmd, viewer_cmd)
    if args.name == 'loss' and not args.standin and not any(
            os.environ.get(v) for v in ('NATLAB_CAMERA_CMD',
                                        'NATLAB_VIEWER_CMD')):
        camera_cmd, viewer_cmd = LOSS_CAMERA_CMD, FAULT_LOSS_VIEWER_CMD
    if args.name == 'encoder-rate' and not args.standin and not \
            os.environ.get('NATLAB_CAMERA_CMD'):
        camera_cmd = ENCODER_CAMERA_CMD
    if args.name == 'mtu' and not args.standin:
        # The path MTU is only read between host candidates.
        args.camera_nat = args.viewer_nat = 'public'
        camera_cmd, viewer_cmd = MTU_CAMERA_CMD, LOSS_VIEWER_CMD
    row = run_pair(args.camera_nat, args.viewer_nat, camera_cmd, viewer_cmd,
                   args.builddir, args, fault=FAULTS[args.name])
    row['pair'] = '%s (%s)' % (row['pair'], args.name)
    extra = [k for k in row if k not in PAIR_COLUMNS and k not in (
        'camera', 'viewer', 'why', 'logs')]
    print(format_table([row], PAIR_COLUMNS[:-1] + extra + ['result']),
          flush=True)
    if row.get('why'):
        log('FAIL: ' + row['why'])
    if row.get('logs'):
        log('logs kept in ' + row['logs'])
    return 0 if row['result'] == 'PASS' else 1


# ---- Local network first (issue 11) ----

# Target for the median time to first frame of a viewer on the camera's LAN
# (reported, not asserted).
LAN_FIRST_FRAME_MS = 300
# The same viewer, server path only (the default viewer otherwise).
SERVER_ONLY_VIEWER_CMD = DEFAULT_VIEWER_CMD.replace('p2psrc ',
                                                    'p2psrc lan=false ', 1)
# A viewer that gives up after 3 s instead of reconnecting.
ONE_SHOT_VIEWER_CMD = DEFAULT_VIEWER_CMD.replace(
    'p2psrc ', 'p2psrc reconnect=false timeout=3000 ', 1)
LAN_FAILURE_TEXT = 'no camera with this UID answered on the local network'
# How long the flood lasts, and what the stream must keep meanwhile: no gap
# between frames longer than this, and this share of the frames.
FLOOD_SECONDS = 3
FLOOD_MAX_GAP_MS = 250
FLOOD_MIN_FRAMES = 0.8
# A LAN neighbour that knows the UID sends the camera valid discovery
# queries (the costly kind: each is checked with an HMAC) as fast as it
# can, and counts the answers.
FLOOD_SCRIPT = r"""
import hashlib, hmac, os, socket, sys, time
uid = os.environ['NATLAB_UID'].encode()
nonce = bytes(16)
query = (b'P2PL\x01\x01\x00\x00' + nonce +
         hmac.new(uid, b'p2p-lan query' + nonce, hashlib.sha256).digest() +
         bytes(8))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
to = (sys.argv[1], 47230)
sent = answers = 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        s.sendto(query, to)
        sent += 1
    except BlockingIOError:
        pass
    try:
        while True:
            s.recv(128)
            answers += 1
    except BlockingIOError:
        pass
print('FLOOD sent=%d answers=%d' % (sent, answers), flush=True)
"""


def median(values):
    values = sorted(values)
    n = len(values)
    return (values[n // 2] if n % 2 else
            (values[n // 2 - 1] + values[n // 2]) / 2)


def lan_lab(lab, builddir, opts, sites, **variant):
    """Sites (built with Lab.add_site's `variant` options), services and a
    provisioned device; returns (sites, env)."""
    built = [lab.add_site(name, kind, hosts=hosts, **variant)
             for name, kind, hosts in sites]
    problems = lab.check_isolation()
    if problems:
        raise LabError('lab not isolated: ' + '; '.join(problems))
    lab.start_coturn()
    lab.start_stun()
    lab.setup_tls()
    env = product_env(lab, builddir, opts.password)
    provision(lab, env, opts)
    return built, env


def viewer_runs(lab, ns, env, cmd, runs, opts, what, times=None,
                modes=None, techniques=None):
    """`runs` viewers one after the other; their first-frame times (ms
    from the start of the process) and modes (appended to the lists given,
    which keep what was measured when a run fails), and techniques."""
    times = [] if times is None else times
    modes = [] if modes is None else modes
    techniques = [] if techniques is None else techniques
    env = dict(env, NATLAB_VIEWER_FRAMES='5')
    for i in range(runs):
        v = lab.spawn(ns, ['sh', '-c', cmd], '%s-%d' % (what, i), env)
        t, _ = v.wait_for(opts.frame_regex, opts.timeout,
                          '%s: first frame (run %d)' % (what, i))
        rc = v.wait(opts.timeout)
        if rc != 0:
            raise LabError('%s viewer exited %s:\n%s' % (what, rc, v.tail()))
        found = v.find(opts.mode_regex, last=True)
        times.append((t - v.t0) * 1000)
        modes.append(found[1].group(1) if found else '-')
        found = v.find(TECHNIQUE_RE, last=True)
        techniques.append(found[1].group(1) if found else '-')
    return times, modes


def lan_row(what, times, modes):
    return {'path': what, 'runs': str(len(times)),
            'median first frame (ms)': '%.0f' % median(times),
            'min-max (ms)': '%.0f-%.0f' % (min(times), max(times)),
            'modes': ','.join(sorted(set(modes)))}


LAN_COLUMNS = ['path', 'runs', 'median first frame (ms)', 'min-max (ms)',
               'modes']


def frame_gaps(viewer, frame_regex, begun, ended):
    """Frames the viewer printed between two times, and the longest gap
    (ms) between them or the window's ends."""
    with viewer.cond:
        times = [t for t, line in viewer.lines
                 if begun <= t <= ended and re.search(frame_regex, line)]
    times = [begun] + times + [ended]
    return (len(times) - 2,
            max(b - a for a, b in zip(times, times[1:])) * 1000)


def lan_flood(lab, args):
    """A viewer streams from a camera on its LAN (internet cut) while the
    viewer's host floods the camera with discovery queries."""
    (site,), env = lan_lab(lab, args.builddir, args, [('lan', 'same-lan', 2)])
    cam_ns, view_ns = site.hosts
    lab.impair(site, cut=True)
    start_server(lab, env, args.server_cmd)
    camera = lab.spawn(cam_ns, ['sh', '-c', DEFAULT_CAMERA_CMD], 'camera',
                       env)
    camera.wait_for(r'New clock', args.timeout, 'camera playing')
    viewer = lab.spawn(view_ns, ['sh', '-c', DEFAULT_VIEWER_CMD], 'viewer',
                       dict(env, NATLAB_VIEWER_FRAMES='1000000'))
    first, _ = viewer.wait_for(args.frame_regex, args.timeout, 'first frame')
    # One second of undisturbed stream first.
    viewer.wait_for(args.frame_regex, 5, 'media 1 s in', after=first + 1)
    flood = lab.spawn(view_ns, [PYTHON, '-c', FLOOD_SCRIPT,
                                site.host_addrs[0], str(FLOOD_SECONDS)],
                      'flood', env)
    _, m = flood.wait_for(r'FLOOD sent=(\d+) answers=(\d+)',
                          FLOOD_SECONDS + 10, 'the flood')
    begun, ended = flood.t0, flood.t0 + FLOOD_SECONDS
    viewer.wait_for(args.frame_regex, 5, 'media after the flood',
                    after=ended)
    viewer.stop()
    frames, gap = frame_gaps(viewer, args.frame_regex, begun, ended)
    sent, answers = int(m.group(1)), int(m.group(2))
    log('flood: %d queries in %d s, %d answered; %d frames, longest gap '
        '%.0f ms' % (sent, FLOOD_SECONDS, answers, frames, gap))
    row = {'path': 'LAN under a discovery flood (%d queries/s)' %
           (sent // FLOOD_SECONDS), 'runs': '1',
           'median first frame (ms)': '%.0f' % ((first - viewer.t0) * 1000),
           'min-max (ms)': 'longest gap %.0f' % gap,
           'modes': 'answered %d' % answers}
    # 30 frames a second at the camera; the lab's share of the CPU varies.
    if frames < FLOOD_MIN_FRAMES * 30 * FLOOD_SECONDS or \
            gap > FLOOD_MAX_GAP_MS:
        raise LabError('the flood disturbed the stream: %d frames in %d s, '
                       'a gap of %.0f ms' % (frames, FLOOD_SECONDS, gap))
    # The camera's budget: 20 a second, a burst of 20.
    if answers > 20 * (FLOOD_SECONDS + 2):
        raise LabError('%d answers to the flood: no rate limit' % answers)
    return row


# Issue 13: the LAN link's MTU lowered mid-stream (both hosts' eth0) from
# 1,500 to MTU_LOWERED.  The camera's p2p-connection messages carry the
# pair's path and payload MTU; its p2p-core debug line says when UDP GSO
# batches again.  The longest gap between decoded frames around the change
# must stay under MTU_MAX_GAP_MS.
MTU_LOWERED = 1100
MTU_PAYLOAD = MTU_LOWERED - 20 - 8 - 16 - 16
MTU_MAX_GAP_MS = 500
MTU_RE = r'p2p-connection.*path-mtu=\(int\)(-?\d+).*payload-mtu=\(int\)(\d+)'
GSO_AGAIN_RE = r'UDP GSO batching again, datagrams of up to (\d+) bytes'
MTU_CAMERA_CMD = 'export G_MESSAGES_DEBUG=p2p-core; ' + LOSS_CAMERA_CMD.replace(
    'gst-launch-1.0 ', 'gst-launch-1.0 -m ', 1).replace('bitrate=4000',
                                                        'bitrate=2000')


def mtu_drop(camera, viewer, frame_regex, first, lower, row):
    """While the viewer decodes the camera (its pair direct, host to host),
    `lower()` shrinks the path's MTU to MTU_LOWERED: the camera must report
    path MTU MTU_LOWERED and payload MTU MTU_PAYLOAD, batch with UDP GSO
    again, and the viewer decode on with no gap over MTU_MAX_GAP_MS.
    Figures go into `row`."""
    viewer.wait_for(frame_regex, 10, 'media 2 s in', after=first + 2)
    found = camera.find(MTU_RE, last=True)
    before = (int(found[1].group(1)), int(found[1].group(2))) if found \
        else None
    if before is None or before[1] <= MTU_PAYLOAD:
        raise LabError('camera: path and payload MTU %s before the change, '
                       'expected a larger payload' % (before,))
    # Stamped before: the camera takes up its own link's change at once,
    # while `lower()` may still be changing the viewer's (an `ip` run that
    # took long under load once made the camera's report count as older
    # than the change, and the wait for it below timed out).
    lowered = time.monotonic()
    lower()
    t, m = camera.wait_for(MTU_RE.replace(r'(-?\d+)', str(MTU_LOWERED), 1),
                           10, 'camera: path MTU %d' % MTU_LOWERED,
                           after=lowered)
    followed = t - lowered
    if int(m.group(1)) != MTU_PAYLOAD:
        raise LabError('camera: payload MTU %s at path MTU %d, expected %d'
                       % (m.group(1), MTU_LOWERED, MTU_PAYLOAD))
    t, m = camera.wait_for(GSO_AGAIN_RE, 10, 'camera: UDP GSO again',
                           after=lowered)
    if int(m.group(1)) != MTU_LOWERED - 28:
        raise LabError('camera: GSO datagrams of up to %s bytes, expected %d'
                       % (m.group(1), MTU_LOWERED - 28))
    viewer.wait_for(frame_regex, 10, 'media 3 s after the change',
                    after=lowered + 3)
    frames, gap = frame_gaps(viewer, frame_regex, lowered - 1, lowered + 3)
    log('MTU %d -> %d: payload %d -> %d after %.0f ms, GSO again after '
        '%.0f ms; %d frames in 4 s, longest gap %.0f ms' % (
            before[0], MTU_LOWERED, before[1], MTU_PAYLOAD,
            followed * 1000, (t - lowered) * 1000, frames, gap))
    row['payload'] = '%d -> %d' % (before[1], MTU_PAYLOAD)
    row['followed (ms)'] = '%.0f' % (followed * 1000)
    row['longest gap (ms)'] = '%.0f' % gap
    if gap > MTU_MAX_GAP_MS:
        raise LabError('a gap of %.0f ms in the decoded frames around the '
                       'MTU change' % gap)
    for p in (camera, viewer):
        hit = p.find(r'^ERROR: |\(error\): ')
        if hit:
            raise LabError('%s posted an ERROR: %s' % (
                p.name, hit[1].string.strip()))


def lan_mtu(lab, args):
    """A viewer decodes a camera on its LAN (internet cut: a host pair,
    payloads of 1,384 bytes) and the LAN's MTU drops to 1,100 mid-stream
    (both hosts' links): see mtu_drop()."""
    (site,), env = lan_lab(lab, args.builddir, args, [('lan', 'same-lan', 2)])
    cam_ns, view_ns = site.hosts
    lab.impair(site, cut=True)
    start_server(lab, env, args.server_cmd)
    camera = lab.spawn(cam_ns, ['sh', '-c', MTU_CAMERA_CMD], 'camera', env)
    camera.wait_for(r'New clock', args.timeout, 'camera playing')
    viewer = lab.spawn(view_ns, ['sh', '-c', LOSS_VIEWER_CMD], 'viewer', env)
    first, _ = viewer.wait_for(args.frame_regex, args.timeout, 'first frame')

    def lower():
        for ns in (cam_ns, view_ns):
            lab.ip(ns, 'link set dev eth0 mtu %d' % MTU_LOWERED)
    figures = {}
    try:
        mtu_drop(camera, viewer, args.frame_regex, first, lower, figures)
    finally:
        viewer.stop()
    return {'path': 'LAN, MTU 1500 -> %d mid-stream' % MTU_LOWERED,
            'runs': '1',
            'median first frame (ms)': '%.0f' % ((first - viewer.t0) * 1000),
            'min-max (ms)': 'longest gap %s' % figures['longest gap (ms)'],
            'modes': 'payload %s' % figures['payload']}


def wait_link_local(lab, ns, ifname, timeout=10):
    """The IPv6 link-local address of `ifname` once duplicate address
    detection is over (a tentative address cannot be bound)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = json.loads(lab.exec(ns, ['ip', '-j', '-6', 'addr', 'show',
                                       'dev', ifname, 'scope', 'link'])
                         .stdout or '[]')
        for link in out:
            for a in link.get('addr_info', []):
                if not a.get('tentative'):
                    return a['local']
        time.sleep(0.1)
    raise LabError('%s: no usable IPv6 link-local address on %s in %d s' %
                   (ns, ifname, timeout))


def lan_link_local(lab, args, added=False):
    """Camera and viewer share a LAN on which they have only IPv6
    link-local addresses (their IPv4 addresses flushed, so the server and
    the internet are unreachable too), as on a home network whose router
    is down. Each host has docker0 too (an IPv4 address that leads
    nowhere, as on an NVR running containers), so that the link-local
    address is not merely the only one the host has.

    With `added`, that LAN is a link plugged in after the camera started
    (a veth pair `lan1`, the hosts' eth0 down): only IPv6 multicast can
    find the camera there, and only if it joined the group on the new
    interface."""
    (site,), env = lan_lab(lab, args.builddir, args, [('lan', 'same-lan', 2)],
                           extra_ifaces=1)
    cam_ns, view_ns = site.hosts
    start_server(lab, env, args.server_cmd)
    link = 'lan1' if added else 'eth0'
    for ns in site.hosts:
        lab.exec(ns, ['ip', '-4', 'addr', 'flush', 'dev', 'eth0'])
        if added:
            lab.ip(ns, 'link set eth0 down')
    camera = lab.spawn(cam_ns, ['sh', '-c', DEFAULT_CAMERA_CMD], 'camera',
                       env)
    camera.wait_for(r'New clock', args.timeout, 'camera playing')
    if added:
        # The camera's LAN signaller is started by now: it answered no
        # query yet, and the new link did not exist when it joined groups.
        lab.veth(cam_ns, link, None, view_ns, link, None)
    for ns in site.hosts:
        log('%s: %s has only %s' % (ns, link, wait_link_local(lab, ns,
                                                               link)))
    times, modes = viewer_runs(lab, view_ns, env, DEFAULT_VIEWER_CMD,
                               args.runs, args, 'lan')
    row = lan_row('LAN, IPv6 link-local only%s' % (
        ', link added after the camera started' if added else ''),
        times, modes)
    if set(modes) != {'lan'}:
        raise LabError('modes %s, expected lan' % modes)
    return row


def cmd_lan(args):
    """Camera and viewer on one LAN: `offline` with the internet link cut,
    `server-up` beside the server path, `unreachable` for a viewer that
    reaches neither the server nor a camera on its LAN."""
    if not product_ready(args.builddir):
        return 1
    rows = []
    with Lab(args.workdir) as lab:
        try:
            if args.case == 'unreachable':
                sites = [('cam', 'full-cone', None),
                         ('view', 'port-restricted', None)]
                (cam_site, view_site), env = lan_lab(lab, args.builddir, args,
                                                     sites)
                lab.impair(view_site, cut=True)
                v = lab.spawn(view_site.hosts[0], ['sh', '-c',
                                                   ONE_SHOT_VIEWER_CMD],
                              'viewer', env)
                t, m = v.wait_for(re.escape(LAN_FAILURE_TEXT), 10,
                                  'the viewer saying why it failed')
                rc = v.wait(args.timeout)
                if rc == 0:
                    raise LabError('the viewer exited 0 with no camera')
                rows.append({'path': 'server down, no camera on the LAN',
                             'runs': '1',
                             'median first frame (ms)': '-',
                             'min-max (ms)': 'said so after %.0f' % (
                                 (t - v.t0) * 1000),
                             'modes': '-'})
                log('viewer: ' + m.string.strip()[:200])
            elif args.case == 'flood':
                rows.append(lan_flood(lab, args))
            elif args.case == 'mtu':
                rows.append(lan_mtu(lab, args))
            elif args.case in ('link-local', 'link-added'):
                rows.append(lan_link_local(lab, args,
                                           args.case == 'link-added'))
            else:
                (site,), env = lan_lab(lab, args.builddir, args,
                                       [('lan', 'same-lan', 2)])
                cam_ns, view_ns = site.hosts
                if args.case == 'offline':
                    lab.impair(site, cut=True)
                server = start_server(lab, env, args.server_cmd)
                camera = lab.spawn(cam_ns, ['sh', '-c', DEFAULT_CAMERA_CMD],
                                   'camera', env)
                if args.case == 'offline':
                    camera.wait_for(r'New clock', args.timeout,
                                    'camera playing')
                else:
                    server.wait_for(args.registered_regex, args.timeout,
                                    'camera registered at the server')
                times, modes = viewer_runs(lab, view_ns, env,
                                           DEFAULT_VIEWER_CMD, args.runs,
                                           args, 'lan')
                rows.append(lan_row('LAN, server %s' % (
                    'cut off' if args.case == 'offline' else 'up'),
                    times, modes))
                if set(modes) != {'lan'}:
                    raise LabError('modes %s, expected lan' % modes)
                # Times are reported against their targets, not asserted:
                # on a shared 2-core CI machine they follow the load (the
                # same run measured 285 and 383 ms), and a speed target is
                # a measurement (bench/, docs/natlab.md), not a pass/fail.
                if args.case == 'offline':
                    log('LAN first frame median %.0f ms (target %d ms): %s'
                        % (median(times), LAN_FIRST_FRAME_MS,
                           'met' if median(times) <= LAN_FIRST_FRAME_MS
                           else 'MISSED'))
                if args.case == 'server-up':
                    s_times, s_modes = viewer_runs(
                        lab, view_ns, env, SERVER_ONLY_VIEWER_CMD, args.runs,
                        args, 'server')
                    rows.append(lan_row('server path (lan=false)', s_times,
                                        s_modes))
                    log('LAN first frame median %.0f ms, server path %.0f '
                        'ms: ratio %.2f' % (median(times), median(s_times),
                                            median(times) / median(s_times)))
                    # The third figure of the issue's closing note, from
                    # the same camera in the same run: the internet link
                    # cut, the server unreachable for the viewers.
                    lab.impair(site, cut=True)
                    o_times, o_modes = viewer_runs(
                        lab, view_ns, env, DEFAULT_VIEWER_CMD, args.runs,
                        args, 'offline')
                    rows.insert(0, lan_row('LAN, server cut off', o_times,
                                           o_modes))
                    if set(o_modes) != {'lan'}:
                        raise LabError('modes %s with the server cut off, '
                                       'expected lan' % o_modes)
        except NotAvailable as e:
            log('FAIL: ' + str(e))
            lab.keep_logs = True
            return 1
        except LabError:
            lab.keep_logs = True
            print_table(rows, LAN_COLUMNS)
            log('logs kept in ' + lab.workdir)
            raise
    print_table(rows, LAN_COLUMNS, args.table)
    return 0


PAIR_COLUMNS = ['pair', 'expected', 'mode', 'technique', 'first frame (ms)',
                'settled (ms)', 'result']


def cmd_run_pair(args):
    if len(args.commands) not in (0, 2):
        raise LabError('run-pair takes "-- CAMERA_CMD VIEWER_CMD" (two shell '
                       'commands) or none for the default pipelines')
    camera_cmd, viewer_cmd = args.commands or commands_for(args)
    row = run_pair(args.camera_nat, args.viewer_nat, camera_cmd, viewer_cmd,
                   args.builddir, args)
    report_pairs([row], args.table)
    return 0 if row['result'] == 'PASS' else 1


def report_pairs(rows, table_path):
    table = format_table(rows, PAIR_COLUMNS)
    print(table, flush=True)
    for r in rows:
        if r.get('why'):
            log('%s: %s' % (r['pair'], r['why']))
        if r.get('logs'):
            log('%s: logs kept in %s' % (r['pair'], r['logs']))
    if table_path:
        with open(table_path, 'w') as f:
            f.write(table + '\n')


def commands_for(args):
    if args.standin:
        args.server_cmd = STANDIN['server_cmd']
        args.provision_cmd = STANDIN['provision_cmd']
        args.registered_regex = STANDIN['registered_regex']
        return STANDIN['camera_cmd'], STANDIN['viewer_cmd']
    return (os.environ.get('NATLAB_CAMERA_CMD', DEFAULT_CAMERA_CMD),
            os.environ.get('NATLAB_VIEWER_CMD', DEFAULT_VIEWER_CMD))


def cmd_matrix(args):
    require_root()
    camera_cmd, viewer_cmd = commands_for(args)
    custom = any(os.environ.get(v) for v in ('NATLAB_CAMERA_CMD',
                                             'NATLAB_VIEWER_CMD'))
    missing = [] if args.standin else \
        product_missing(args.builddir, need_plugin=not custom)
    if missing:
        # Fail, never skip: the matrix is the product's acceptance test.
        rows = [{'pair': '%s -> %s' % p,
                 'expected': expected_mode(*p, birthday=not args.standin),
                 'mode': '-', 'first frame (ms)': '-',
                 'result': 'NOT YET AVAILABLE'} for p in MATRIX_PAIRS]
        print(format_table(rows, PAIR_COLUMNS), flush=True)
        for m in missing:
            log('FAIL: ' + m)
        log('FAIL: the pipeline matrix cannot run until these exist')
        return 1
    rows = []
    deadline = time.monotonic() + args.budget
    failures = 0
    pairs = MATRIX_PAIRS if args.pairs == 'all' else PUNCHABLE_PAIRS
    for cam, view in pairs:
        why = None
        if time.monotonic() > deadline:
            why = 'matrix time budget used up'
        elif args.max_failures and failures >= args.max_failures:
            why = 'not run: %d pairs failed in a row' % failures
        if why:
            rows.append({'pair': '%s -> %s' % (cam, view),
                         'expected': expected_mode(cam, view,
                                                   not args.standin),
                         'mode': '-',
                         'first frame (ms)': '-', 'result': 'FAIL',
                         'why': why})
            continue
        log('pair %s -> %s' % (cam, view))
        rows.append(run_pair(cam, view, camera_cmd, viewer_cmd,
                             args.builddir, args))
        failures = failures + 1 if rows[-1]['result'] != 'PASS' else 0
    report_pairs(rows, args.table)
    return 0 if all(r['result'] == 'PASS' for r in rows) else 1


# ---- Busy hosts (issue 16) ----

# Pairs run with extra interfaces: a hole-punched one and a relayed one
# (the relayed and reflexive pairs are what libnice's check-list pruning
# lost on busy hosts).
INTERFACE_PAIRS = [('port-restricted', 'port-restricted'),
                   ('symmetric', 'symmetric')]


def cmd_interfaces(args):
    """Camera and viewer hosts with `--extra` more interfaces each (IPv4
    plus the kernel's IPv6 link-local; EXTRA_IFACES) beside plain
    hosts: every viewer must connect in the expected mode; the time to
    first frame is reported against the plain host's, not asserted."""
    if not product_ready(args.builddir):
        return 1
    rows, failed = interface_rows(args)
    print_table(rows, INTERFACE_COLUMNS, args.table)
    for f in failed:
        log('FAIL: ' + f)
    return 1 if failed else 0


def interface_rows(args):
    """The runs of cmd_interfaces: (rows, failures)."""
    rows, failed = [], []
    for cam, view in INTERFACE_PAIRS:
        for extra in sorted({0, args.extra}):
            row = {'pair': '%s -> %s' % (cam, view),
                   'extra interfaces': str(extra), 'runs': str(args.runs),
                   'expected': expected_mode(cam, view)}
            rows.append(row)
            with Lab(args.workdir) as lab:
                try:
                    (cs, vs), env = lan_lab(lab, args.builddir, args, [
                        ('cam', cam, None), ('view', view, None)],
                        extra_ifaces=extra)
                    server = start_server(lab, env, args.server_cmd)
                    lab.spawn(cs.hosts[0], ['sh', '-c', DEFAULT_CAMERA_CMD],
                              'camera', env)
                    server.wait_for(args.registered_regex, args.timeout,
                                    'camera registered at the server')
                    times, modes, techniques = [], [], []
                    viewer_runs(lab, vs.hosts[0], env, DEFAULT_VIEWER_CMD,
                                args.runs, args, 'viewer', times, modes,
                                techniques)
                    row.update({
                        'median first frame (ms)': '%.0f' % median(times),
                        'min-max (ms)': '%.0f-%.0f' % (min(times),
                                                       max(times)),
                        'modes': ','.join(sorted(set(modes))),
                        'techniques': ','.join(sorted(set(techniques)))})
                    if set(modes) != {row['expected']}:
                        raise LabError('modes %s, expected %s' % (
                            modes, row['expected']))
                    row['result'] = 'PASS'
                except LabError as e:
                    lab.keep_logs = True
                    row['result'] = 'FAIL'
                    failed.append('%s, %d extra: %s (logs in %s)' % (
                        row['pair'], extra, e, lab.workdir))
    return rows, failed


INTERFACE_COLUMNS = ['pair', 'extra interfaces', 'runs', 'expected', 'modes',
                     'techniques', 'median first frame (ms)', 'min-max (ms)',
                     'result']


# ---- Birthday-paradox punching (issue 16) ----

# A symmetric NAT against an endpoint-independent, port-restricted one,
# either way round: no ordinary hole punch, no port mapping.
BIRTHDAY_PAIRS = [('symmetric', 'port-restricted'),
                  ('port-restricted', 'symmetric')]
# Frames a viewer waits for (30 a second): the punched path replaces the
# relay after the first ones, and the viewer must live to report it.
BIRTHDAY_FRAMES = 120
PUNCHED_RE = r'p2p-connection.*?technique=(?:\(string\))?"?punched'


def cmd_birthday(args):
    """`--runs` viewers one after the other for each pair of BIRTHDAY_PAIRS
    (one camera per pair): every viewer must get a frame and end `punched`
    or, the fallback, `relay`; at least `--min-direct` of all must end
    `punched`.  The time to first frame and to the punched path (from the
    viewer's start) are reported, not asserted."""
    if not product_ready(args.builddir):
        return 1
    rows, failed, direct, attempts = [], [], 0, 0
    for cam, view in BIRTHDAY_PAIRS:
        row = {'pair': '%s -> %s' % (cam, view), 'runs': str(args.runs),
               'punched': '-', 'relay': '-'}
        rows.append(row)
        with Lab(args.workdir) as lab:
            try:
                (cs, vs), env = lan_lab(lab, args.builddir, args, [
                    ('cam', cam, None), ('view', view, None)],
                    unsolicited=args.unsolicited)
                server = start_server(lab, env, args.server_cmd)
                lab.spawn(cs.hosts[0], ['sh', '-c', DEFAULT_CAMERA_CMD],
                          'camera', env)
                server.wait_for(args.registered_regex, args.timeout,
                                'camera registered at the server')
                env = dict(env, NATLAB_VIEWER_FRAMES=str(BIRTHDAY_FRAMES))
                frames, punched_at, techniques = [], [], []
                for i in range(args.runs):
                    v = lab.spawn(vs.hosts[0], ['sh', '-c',
                                                DEFAULT_VIEWER_CMD],
                                  'viewer-%d' % i, env)
                    t, _ = v.wait_for(args.frame_regex, args.timeout,
                                      'first frame (run %d)' % i)
                    rc = v.wait(args.timeout)
                    if rc != 0:
                        raise LabError('viewer %d exited %s:\n%s' % (
                            i, rc, v.tail()))
                    frames.append((t - v.t0) * 1000)
                    found = v.find(TECHNIQUE_RE, last=True)
                    techniques.append(found[1].group(1) if found else '-')
                    found = v.find(PUNCHED_RE)
                    if found and techniques[-1] == 'punched':
                        punched_at.append((found[0] - v.t0) * 1000)
                n = techniques.count('punched')
                direct += n
                attempts += args.runs
                row.update({
                    'punched': str(n), 'relay': str(techniques.count('relay')),
                    'first frame (ms)': '%.0f (%.0f-%.0f)' % (
                        median(frames), min(frames), max(frames)),
                    'punched after (ms)': '%.0f (%.0f-%.0f)' % (
                        median(punched_at), min(punched_at),
                        max(punched_at)) if punched_at else '-'})
                other = set(techniques) - {'punched', 'relay'}
                if other:
                    raise LabError('techniques %s, expected punched or '
                                   'relay' % techniques)
                row['result'] = 'PASS'
            except LabError as e:
                lab.keep_logs = True
                row['result'] = 'FAIL'
                failed.append('%s: %s (logs in %s)' % (row['pair'], e,
                                                       lab.workdir))
    print_table(rows, BIRTHDAY_COLUMNS, args.table)
    log('direct (punched): %d of %d attempts' % (direct, attempts))
    if not failed and direct < args.min_direct:
        failed.append('%d of %d attempts direct, expected at least %d' % (
            direct, attempts, args.min_direct))
    for f in failed:
        log('FAIL: ' + f)
    return 1 if failed else 0


BIRTHDAY_COLUMNS = ['pair', 'runs', 'punched', 'relay',
                    'first frame (ms)', 'punched after (ms)', 'result']


# ---- The figures of issue 16, in one command ----

FIGURE_VARIANTS = [('silent drop', 'drop'), ('answering', 'answer')]
TECHNIQUES = ('lan', 'direct', 'mapped', 'punched', 'relay')


def spread(values):
    """'median (min-max)' of a list of milliseconds, '-' when empty."""
    if not values:
        return '-'
    return '%.0f (%.0f-%.0f)' % (median(values), min(values), max(values))


def cmd_figures(args):
    """Runs what docs/natlab.md reports for issue 16 and prints it as
    Markdown: every matrix pair with silent-drop and with answering
    routers (technique per pair, the share of direct pairs, time to first
    frame and to the settled path per technique), and the busy-host runs
    (time to first frame per interface count).  Fails if any run fails."""
    if not product_ready(args.builddir):
        return 1
    camera_cmd, viewer_cmd = commands_for(args)
    results = {}
    for label, unsolicited in FIGURE_VARIANTS:
        opts = argparse.Namespace(**vars(args))
        opts.unsolicited = unsolicited
        rows = []
        for cam, view in MATRIX_PAIRS:
            log('%s: pair %s -> %s' % (label, cam, view))
            rows.append(run_pair(cam, view, camera_cmd, viewer_cmd,
                                 args.builddir, opts))
        results[label] = rows
    irows, failed = interface_rows(args)

    out = ['### Matrix, technique per pair', '']
    pairs = []
    for i, (cam, view) in enumerate(MATRIX_PAIRS):
        row = {'pair': '%s -> %s' % (cam, view),
               'expected': expected_mode(cam, view)}
        for label, _ in FIGURE_VARIANTS:
            r = results[label][i]
            row[label] = '%s, %s ms, settled %s ms' % (
                r['technique'], r['first frame (ms)'],
                r.get('settled (ms)', '-')) if r['result'] == 'PASS' \
                else 'FAIL (%s)' % r.get('why', '?').splitlines()[0][:60]
        pairs.append(row)
    out += [format_table(pairs, ['pair', 'expected'] +
                         [v[0] for v in FIGURE_VARIANTS]), '']

    out += ['### Share of direct pairs (lan counted as direct)', '']
    shares, per_technique = [], {}
    for label, _ in FIGURE_VARIANTS:
        rows = results[label]
        ok = [r for r in rows if r['result'] == 'PASS']
        count = {t: sum(1 for r in ok if r['technique'] == t)
                 for t in TECHNIQUES}
        direct = len(ok) - count['relay']
        share = {'routers': label, 'pairs': str(len(rows)),
                 'direct pairs': '%d (%.0f %%)' % (direct,
                                             100.0 * direct / len(rows)),
                 'failed': str(len(rows) - len(ok))}
        share.update({t: str(count[t]) for t in TECHNIQUES})
        shares.append(share)
        for t in TECHNIQUES:
            sel = [r for r in ok if r['technique'] == t]
            per_technique.setdefault(t, {'technique': t})
            per_technique[t][label] = '%s; settled %s (%d)' % (
                spread([float(r['first frame (ms)']) for r in sel]),
                spread([float(r['settled (ms)']) for r in sel
                        if r.get('settled (ms)')]), len(sel)) \
                if sel else '-'
    out += [format_table(shares, ['routers', 'pairs', 'direct pairs'] +
                         list(TECHNIQUES) + ['failed']), '']
    out += ['### Time to first frame per technique, median (min-max) ms, '
            'and to the settled path (pairs)', '']
    out += [format_table(list(per_technique.values()),
                         ['technique'] + [v[0] for v in FIGURE_VARIANTS]),
            '']
    out += ['### Time to first frame per interface count (%d viewers each)'
            % args.runs, '']
    out += [format_table(irows, INTERFACE_COLUMNS), '']
    text = '\n'.join(out)
    print(text, flush=True)
    if args.table:
        with open(args.table, 'w') as f:
            f.write(text + '\n')
    for label, _ in FIGURE_VARIANTS:
        for r in results[label]:
            if r['result'] != 'PASS':
                failed.append('%s, %s: %s (logs in %s)' % (
                    label, r['pair'], r.get('why'), r.get('logs')))
    for f in failed:
        log('FAIL: ' + f)
    return 1 if failed else 0


# ---- Relay headroom (issue 16) ----

def cmd_relay_viewers(args):
    """`--viewers` viewers, each behind a symmetric NAT of its own, watch
    one camera behind another symmetric NAT (every path relayed) at the
    same time, with the coturn quotas deployment.md documents: every viewer
    gets frames, all at once, and coturn refuses no allocation. (Own NATs:
    p2p-server lets one source address hold one unanswered call per camera,
    so viewers behind one NAT calling at the same instant wait for each
    other.)"""
    if not product_ready(args.builddir):
        return 1
    n = args.viewers
    camera_cmd = DEFAULT_CAMERA_CMD.replace(
        'p2psink ', 'p2psink max-viewers=%d ' % n, 1)
    rows = []
    with Lab(args.workdir) as lab:
        try:
            sites, env = lan_lab(lab, args.builddir, args, [
                ('cam', 'symmetric', None)] + [
                ('view%d' % i, 'symmetric', None) for i in range(n)])
            cs, viewer_hosts = sites[0], [v.hosts[0] for v in sites[1:]]
            coturn = next(p for p in lab.procs if p.name == 'coturn')
            server = start_server(lab, env, args.server_cmd)
            lab.spawn(cs.hosts[0], ['sh', '-c', camera_cmd], 'camera', env)
            server.wait_for(args.registered_regex, args.timeout,
                            'camera registered at the server')
            venv = dict(env, NATLAB_VIEWER_FRAMES='1000000')
            viewers = [lab.spawn(h, ['sh', '-c', DEFAULT_VIEWER_CMD],
                                 'viewer-%d' % i, venv)
                       for i, h in enumerate(viewer_hosts)]
            firsts = []
            for v in viewers:
                t, _ = v.wait_for(args.frame_regex, args.timeout,
                                  'first frame')
                firsts.append(t)
            # All served at once: each still gets frames a second after
            # the last one started.
            settled = max(firsts) + 1
            for v, t0 in zip(viewers, firsts):
                v.wait_for(args.frame_regex, 10, 'frames with %d viewers' % n,
                           after=settled)
                found = v.find(args.mode_regex, last=True)
                tech = v.find(TECHNIQUE_RE, last=True)
                rows.append({'viewer': v.name,
                             'mode': found[1].group(1) if found else '-',
                             'technique': tech[1].group(1) if tech else '-',
                             'first frame (ms)': '%.0f' % (
                                 (t0 - v.t0) * 1000)})
            for v in viewers:
                v.stop()
            refused = coturn.find(r'error 486|[Qq]uota [Rr]eached')
            if refused:
                raise LabError('coturn refused an allocation: ' +
                               refused[1].string.strip())
            wrong = [r['viewer'] for r in rows if r['mode'] != 'relay']
            if wrong:
                raise LabError('not relayed: %s' % ', '.join(wrong))
        except LabError:
            lab.keep_logs = True
            print_table(rows, RELAY_COLUMNS)
            log('logs kept in ' + lab.workdir)
            raise
    print_table(rows, RELAY_COLUMNS, args.table)
    log('PASS: %d relayed viewers served at once' % n)
    return 0


RELAY_COLUMNS = ['viewer', 'mode', 'technique', 'first frame (ms)']


# ---- Layers (issue 14) ----

# One scene in two layers: main 4 Mbit/s, sub 0.5 Mbit/s (hard to
# compress, so the encoders reach their rates).
LAYERS_CAMERA_CMD = (
    'exec stdbuf -oL gst-launch-1.0 -m -e videotestsrc is-live=true'
    ' pattern=snow'
    ' ! video/x-raw,format=I420,width=640,height=360,framerate=30/1'
    ' ! tee name=t'
    ' t. ! queue ! x264enc tune=zerolatency speed-preset=ultrafast'
    ' key-int-max=300 bitrate=4000 ! cam.video_0'
    ' t. ! queue ! videoscale ! video/x-raw,width=320,height=180'
    ' ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=300'
    ' bitrate=500 ! cam.video_1'
    ' p2psink name=cam uid="$NATLAB_UID" key-file="$NATLAB_KEY_FILE"'
    ' server="$NATLAB_SERVER_URL" password="$NATLAB_PASSWORD"')
# The shaped viewer's downlink, what it must switch within, how long it
# stays shaped after the switch, and how soon it must be back on main.
# Issue 14 asks for 10 s back on main. The fan-out probes a viewer on sub
# (clusters at the rate main needs, at most 4 s apart, then a 2 s hold):
# 4.2-4.4 s measured at load 7-25, where the estimate's blind climb took
# 5.4-16.8 s.
LAYERS_SHAPED_KBIT = 1500
LAYERS_DOWN_S = 3
LAYERS_SHAPED_S = 6
LAYERS_UP_S = 10
LAYERS_MAX_FREEZE_S = 1.0
# How far behind the wall clock a viewer's decoded frames may come out:
# on a loaded host (2 cores, load 10-20) the viewer, the camera and this
# script's reader of their output all run late.
LAYERS_MAX_LAG_S = 2.0
LAYER_RE = r'p2p-layer.*viewer-id=\(string\)%s, layer=\(uint\)(\d)'
PTS_RE = re.compile(r'pts: (\d+):(\d+):(\d+\.\d+)')
# The viewers of the layers test: LOSS_VIEWER_CMD with a 500 ms jitter
# buffer (p2psrc's default is 50 ms). With 50 ms, the unshaped viewer
# lost frames on a loaded host before the other was even shaped (natlab
# layers at load 10-17: 530 of 549 frames; in 12 failed runs' logs, gaps
# of 0.1-1.4 s in its timestamps from its first seconds on, where nothing
# adapted yet): a packet the CPU delays 50 ms is lost to the jitter
# buffer, no retransmission can come in time, and the decoder waits for
# the next keyframe. What the test is about (a layer switch for one
# viewer, nothing for the other) does not depend on that margin.
LAYERS_VIEWER_CMD = LOSS_VIEWER_CMD.replace(' p2psrc ', ' p2psrc latency=500 ',
                                            1)

# The bench's adaptation row in the lab (`layers --default-latency`):
# the viewers with p2psrc's default 50 ms jitter buffer, the shaping as
# long as the row's (10 s), and a camera whose first frames come while
# its pipeline prerolls, as from the bench's clip source (a source that is
# not live, paced by clocksync). In the bench, such first caps raced the
# pipeline's move to PLAYING and could leave a layer on a timestamp base
# of its own (the shaped viewer on sub after 5 s and never back on main);
# this lab camera did not hit that race in 3 runs of the code before the
# fix, which the elements test `layers` checks deterministically. Only
# the moves are asserted, with the row's limits: with 50 ms, frames a
# loaded host delays are lost to the jitter buffer whatever adapts
# (above), so the frame counts are reported, not asserted.
LAYERS_TWIN_CAMERA_CMD = LAYERS_CAMERA_CMD.replace(
    'videotestsrc is-live=true pattern=snow',
    'videotestsrc pattern=snow ! clocksync', 1)
LAYERS_TWIN_DOWN_S = 10
LAYERS_TWIN_SHAPED_S = 10
LAYERS_TWIN_UP_S = 30


def decoded_between(viewer, start, end, fps):
    """The frames `viewer` decoded whose lines came out between `start`
    and `end`, by their timestamps: how many (distinct), how many the
    span of those timestamps holds at `fps`, the longest gap between two
    of them, and the span, all in stream time. Not in wall-clock time: a
    viewer (or this reader) running late on a loaded host shifts its output
    but loses no frame, and a frame lost is a timestamp missing."""
    pts = set()
    with viewer.cond:
        for t, line in viewer.lines:
            m = PTS_RE.search(line) if start < t < end else None
            if m:
                pts.add(int(m.group(1)) * 3600 + int(m.group(2)) * 60 +
                        float(m.group(3)))
    ps = sorted(pts)
    if len(ps) < 2:
        return len(ps), int((end - start) * fps), end - start, 0.0
    gap = max(b - a for a, b in zip(ps, ps[1:]))
    return (len(ps), int(round((ps[-1] - ps[0]) * fps)) + 1, gap,
            ps[-1] - ps[0])


def layers_frame_problems(shaped, shaped_for, other, other_for, moves):
    """What the layers test finds wrong beyond the moves: the shaped
    viewer's frames on sub (decoded, want, longest freeze, span) over
    `shaped_for` seconds, the other viewer's over `other_for` and its
    layer moves (it must stay on main)."""
    got, want, freeze, span = shaped
    fast_got, fast_want, fast_freeze, fast_span = other
    problems = []
    if got < 0.99 * want:
        problems.append('%d of %d frames on sub' % (got, want))
    if span < shaped_for - LAYERS_MAX_LAG_S:
        problems.append('frames of %.1f s decoded on sub in %.1f s'
                        % (span, shaped_for))
    if freeze > LAYERS_MAX_FREEZE_S:
        problems.append('a freeze of %.2f s on sub' % freeze)
    if moves != ['0']:
        problems.append('the other viewer moved: %s' % moves)
    if fast_got < 0.99 * fast_want or fast_freeze > LAYERS_MAX_FREEZE_S \
            or fast_span < other_for - LAYERS_MAX_LAG_S:
        problems.append('the other viewer decoded %d of %d frames '
                        '(%.1f s of %.1f s), froze %.2f s' % (
                            fast_got, fast_want, fast_span, other_for,
                            fast_freeze))
    return problems

def cmd_layers(args):
    """Two viewers of a camera with a main (4 Mbit/s) and a sub layer
    (0.5 Mbit/s). One viewer's link is shaped to 1.5 Mbit/s (tbf, both
    ways): it moves to sub within 3 s, then decodes >= 99 % of the frames
    with no freeze over 1 s; the shaping lifted, it is back on main within
    10 s. The other viewer stays on main throughout, at the full frame
    rate. With --default-latency, the bench's adaptation row: 50 ms
    viewers, a camera that pushes while prerolling, 10 s shaped, and only
    the moves asserted (to sub within 10 s, back within 30 s)."""
    if not product_ready(args.builddir):
        return 1
    fr, fps = args.frame_regex, 30
    twin = args.default_latency
    camera_cmd = LAYERS_TWIN_CAMERA_CMD if twin else LAYERS_CAMERA_CMD
    viewer_cmd = LOSS_VIEWER_CMD if twin else LAYERS_VIEWER_CMD
    down_s, shaped_s, up_s = (
        (LAYERS_TWIN_DOWN_S, LAYERS_TWIN_SHAPED_S, LAYERS_TWIN_UP_S) if twin
        else (LAYERS_DOWN_S, LAYERS_SHAPED_S, LAYERS_UP_S))
    row = {'shaped to (kbit/s)': str(LAYERS_SHAPED_KBIT)}
    with Lab(args.workdir) as lab:
        try:
            sites, env = lan_lab(lab, args.builddir, args, [
                ('cam', 'full-cone', None), ('slow', 'full-cone', None),
                ('fast', 'full-cone', None)])
            cam_site, slow_site, fast_site = sites
            server = start_server(lab, env, args.server_cmd)
            camera = lab.spawn(cam_site.hosts[0],
                               ['sh', '-c', camera_cmd], 'camera', env)
            server.wait_for(args.registered_regex, args.timeout,
                            'camera registered at the server')
            venv = dict(env, NATLAB_VIEWER_FRAMES='1000000')
            viewers = []
            for name, site in (('slow', slow_site), ('fast', fast_site)):
                v = lab.spawn(site.hosts[0],
                              ['sh', '-c', viewer_cmd], name, venv)
                v.wait_for(fr, args.timeout, '%s: first frame' % name)
                viewers.append(v)
            slow, fast = viewers
            # Viewer ids by joining order.
            slow_re, fast_re = LAYER_RE % 'viewer-1', LAYER_RE % 'viewer-2'
            # Both settle on main, their estimators past their start.
            t = fast.wait_for(fr, 10, 'fast: frames', after=time.monotonic()
                              + 5)[0]
            t_shape = time.monotonic()
            lab.set_rate(slow_site, LAYERS_SHAPED_KBIT)
            t_down, _ = camera.wait_for(slow_re.replace(r'(\d)', '(1)'),
                                        down_s + 2,
                                        'the shaped viewer on the sub layer',
                                        after=t_shape)
            row['to sub (s)'] = '%.1f' % (t_down - t_shape)
            time.sleep(shaped_s)    # the shaping's length
            t_lift = time.monotonic()
            lab.set_rate(slow_site, 0)
            got, want, freeze, span = decoded_between(slow, t_down + 1,
                                                      t_lift, fps)
            row['frames on sub'] = '%d/%d' % (got, want)
            row['longest freeze (s)'] = '%.2f' % freeze
            t_up, _ = camera.wait_for(slow_re.replace(r'(\d)', '(0)'),
                                      up_s + 5,
                                      'the viewer back on main', after=t_lift)
            row['back on main (s)'] = '%.1f' % (t_up - t_lift)
            end = time.monotonic()
            fast_got, fast_want, fast_freeze, fast_span = decoded_between(
                fast, t_shape, end, fps)
            row['other viewer frames'] = '%d/%d' % (fast_got, fast_want)
            moves = [m.group(1) for _, line in list(camera.lines)
                     for m in [re.search(fast_re, line)] if m]
            row['other viewer layers'] = ','.join(moves) or '-'
            for v in viewers:
                v.stop()
            problems = []
            if t_down - t_shape > down_s:
                problems.append('on sub after %.1f s' % (t_down - t_shape))
            if t_up - t_lift > up_s:
                problems.append('back on main after %.1f s' % (t_up - t_lift))
            if not twin:
                problems += layers_frame_problems(
                    (got, want, freeze, span), t_lift - t_down - 1,
                    (fast_got, fast_want, fast_freeze, fast_span),
                    end - t_shape, moves)
            if problems:
                raise LabError('; '.join(problems))
            del t
        except LabError:
            lab.keep_logs = True
            print_table([row], LAYERS_COLUMNS)
            log('logs kept in ' + lab.workdir)
            raise
    print_table([row], LAYERS_COLUMNS, args.table)
    log('PASS: the shaped viewer moved to sub and back' +
        ('' if twin else ', the other stayed'))
    return 0


LAYERS_COLUMNS = ['shaped to (kbit/s)', 'to sub (s)', 'frames on sub',
                  'longest freeze (s)', 'back on main (s)',
                  'other viewer frames', 'other viewer layers']


# -- interactive -------------------------------------------------------------


def cmd_shell(args):
    """Build sites and wait, printing how to enter them (manual debugging);
    Ctrl-C tears everything down."""
    try:
        return _shell(args)
    except Interrupted:
        return 0    # Ctrl-C is how an interactive lab is meant to end


def _shell(args):
    with Lab(args.workdir) as lab:
        for spec in args.sites:
            lab.add_site(spec.replace('-', '')[:10], spec)
        if args.coturn:
            lab.start_coturn()
            log('coturn secret: %s' % lab.turn_secret)
        for ns in lab.namespaces:
            log('ip netns exec %s bash' % ns)
        log('Ctrl-C (or %d s) ends the lab' % args.lifetime)
        end = time.monotonic() + args.lifetime
        while time.monotonic() < end:
            time.sleep(min(1.0, end - time.monotonic()))
    return 0


TESTS = {
    'isolation': test_isolation,
    'loss': test_loss,
    'rate': test_rate,
    'renumber': test_renumber,
    'coturn-udp': lambda a: test_coturn(a, tcp=False),
    'coturn-tcp': lambda a: test_coturn(a, tcp=True),
    'probe-all': lambda a: test_probe(NAT_KINDS, a),
}
for _k in NAT_KINDS:
    TESTS['probe-' + _k] = (lambda k: lambda a: test_probe([k], a))(_k)


def pair_options(p):
    p.add_argument('--builddir', default='.',
                   help='meson build directory holding server/ and gst/')
    p.add_argument('--timeout', type=float, default=30,
                   help='seconds for each wait (first frame, exit)')
    p.add_argument('--server-cmd', default=os.environ.get(
        'NATLAB_SERVER_CMD', DEFAULT_SERVER_CMD))
    p.add_argument('--provision-cmd', default=os.environ.get(
        'NATLAB_PROVISION_CMD', DEFAULT_PROVISION_CMD),
        help='run in the internet namespace before the pair; lines '
             'NATLAB_X=value on its stdout are exported to both ends')
    p.add_argument('--camera-ready', default=os.environ.get(
        'NATLAB_CAMERA_READY'), help='regex of the camera line that says '
        'it is registered; the viewer starts after it')
    p.add_argument('--registered-regex', default=os.environ.get(
        'NATLAB_REGISTERED_REGEX', REGISTERED_RE), help='regex of the '
        'server log line that says the camera logged in ("" = none)')
    p.add_argument('--frame-regex', default=FRAME_RE)
    p.add_argument('--mode-regex', default=MODE_RE)
    p.add_argument('--password', default='natlab-viewer-password')
    p.add_argument('--any-mode', action='store_true',
                   help='record the mode but do not require the expected one')
    p.add_argument('--table', help='also write the result table here')
    p.add_argument('--standin', action='store_true',
                   help='run holepunch.py instead of the product (lab '
                        'self-test of the hook and of the expected modes)')
    p.add_argument('--unsolicited', choices=UNSOLICITED, default='drop',
                   help='router variant: drop unsolicited packets from the '
                        'internet, or answer them (ICMP port unreachable, '
                        'conntrack keeps an UNREPLIED entry)')
    p.add_argument('--extra-ifaces', type=int, default=0,
                   help='extra interfaces on every host (EXTRA_IFACES)')
    p.add_argument('--port-mapping', default='none',
                   choices=('none', 'camera', 'viewer', 'both'),
                   help='whose router grants port mappings (miniupnpd: '
                        'UPnP IGD, NAT-PMP, PCP)')
    p.add_argument('--late-candidate', action='store_true',
                   help='with --port-mapping camera or viewer: the mapped '
                        'candidate must go out after end-of-candidates (a '
                        'PCP/NAT-PMP router starts mapping only then) and '
                        'the pair must still end mapped')
    p.add_argument('--mapping-protocols', default='all',
                   choices=('all', 'upnp'),
                   help='what the mapping router speaks: all three, or '
                        'UPnP IGD only (the viewer must report mapped)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--workdir', help='keep logs and configs here')
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('test', help='run one lab self-test')
    t.add_argument('name', choices=sorted(TESTS))
    t.add_argument('--builddir', default='.')
    rp = sub.add_parser('run-pair', help='camera and viewer across two NATs',
                        usage='%(prog)s CAMERA_NAT VIEWER_NAT [options] '
                              '[-- CAMERA_CMD VIEWER_CMD]')
    rp.add_argument('camera_nat', choices=SITE_KINDS)
    rp.add_argument('viewer_nat', choices=SITE_KINDS)
    pair_options(rp)
    mx = sub.add_parser('matrix', help='every pair of the matrix')
    pair_options(mx)
    mx.add_argument('--pairs', choices=('all', 'punchable'),
                    default='all', help='every pair, or only the 13 pairs '
                    'of the four NAT types a hole punch can serve')
    mx.add_argument('--budget', type=float, default=780,
                    help='stop starting pairs after this many seconds')
    mx.add_argument('--max-failures', type=int, default=3,
                    help='stop after this many failed pairs in a row, so a '
                         'broken product fails fast (0: run every pair)')
    fa = sub.add_parser('fault', help='a fault while a pair streams')
    fa.add_argument('name', choices=sorted(FAULTS))
    fa.add_argument('--camera-nat', default='port-restricted',
                    choices=NAT_KINDS)
    fa.add_argument('--viewer-nat', default='full-cone', choices=NAT_KINDS)
    pair_options(fa)
    ln = sub.add_parser('lan', help='camera and viewer on one LAN (issue 11)')
    ln.add_argument('case', choices=('offline', 'server-up', 'unreachable',
                                     'flood', 'link-local', 'link-added',
                                     'mtu'))
    ln.add_argument('--runs', type=int, default=5,
                    help='viewers started one after the other')
    pair_options(ln)
    ifs = sub.add_parser('interfaces', help='hosts with many interfaces '
                         '(issue 16)')
    ifs.add_argument('--extra', type=int, default=8,
                     help='extra interfaces per host')
    ifs.add_argument('--runs', type=int, default=5,
                     help='viewers started one after the other per case')
    pair_options(ifs)
    fg = sub.add_parser('figures', help='the issue 16 figures: matrix '
                        'with both router kinds, busy hosts (Markdown)')
    fg.add_argument('--extra', type=int, default=8,
                    help='extra interfaces per host for the busy hosts')
    fg.add_argument('--runs', type=int, default=5,
                    help='viewers per busy-host case')
    pair_options(fg)
    bd = sub.add_parser('birthday', help='birthday-paradox punching, '
                        'symmetric against port-restricted (issue 16)')
    bd.add_argument('--runs', type=int, default=10,
                    help='viewers started one after the other per pair')
    bd.add_argument('--min-direct', type=int, default=19,
                    help='attempts (of all pairs) that must end punched')
    pair_options(bd)
    rv = sub.add_parser('relay-viewers', help='relayed viewers of one '
                        'camera at once (issue 16)')
    rv.add_argument('--viewers', type=int, default=8)
    pair_options(rv)
    ly = sub.add_parser('layers', help='a viewer shaped to 1.5 Mbit/s moves '
                        'to the sub layer and back; another stays on main '
                        '(issue 14)')
    ly.add_argument('--default-latency', action='store_true',
                    help="the bench's adaptation row: viewers with p2psrc's "
                    'default 50 ms jitter buffer, a camera that pushes '
                    'while prerolling, 10 s shaped; only the moves are '
                    'asserted')
    pair_options(ly)
    sh = sub.add_parser('shell', help='build sites and wait (debugging)')
    sh.add_argument('sites', nargs='+', choices=NAT_KINDS)
    sh.add_argument('--coturn', action='store_true')
    sh.add_argument('--lifetime', type=float, default=3600)
    sub.add_parser('clean', help='remove namespaces of dead lab runs')
    # Everything after "--" is the camera and viewer commands, taken apart
    # here so that argparse never reads options inside them.
    argv = sys.argv[1:]
    commands = []
    if '--' in argv:
        commands = argv[argv.index('--') + 1:]
        argv = argv[:argv.index('--')]
    args = ap.parse_args(argv)
    args.commands = commands
    try:
        if args.cmd == 'test':
            return TESTS[args.name](args)
        if args.cmd == 'run-pair':
            return cmd_run_pair(args)
        if args.cmd == 'matrix':
            return cmd_matrix(args)
        if args.cmd == 'shell':
            return cmd_shell(args)
        if args.cmd == 'fault':
            return cmd_fault(args)
        if args.cmd == 'lan':
            return cmd_lan(args)
        if args.cmd == 'interfaces':
            return cmd_interfaces(args)
        if args.cmd == 'figures':
            return cmd_figures(args)
        if args.cmd == 'birthday':
            return cmd_birthday(args)
        if args.cmd == 'relay-viewers':
            return cmd_relay_viewers(args)
        if args.cmd == 'layers':
            return cmd_layers(args)
        if args.cmd == 'clean':
            require_root()
            clean_stale()
            return 0
    except NoLab as e:
        log(str(e))
        return EXIT_NO_LAB
    except LabError as e:
        # The crash is the failure; what timed out after it is not.
        msg = ''.join(c + '; then ' for c in CRASHES if c not in str(e)) + \
            str(e)
        log(msg if msg.startswith('FAIL') else 'FAIL: %s' % msg)
        return 1
    except Interrupted as e:
        log('FAIL: interrupted (%s); lab torn down' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
