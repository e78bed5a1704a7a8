#!/usr/bin/env python3
# p2p-core: an application's own P2pSignaller, written in Python
# Copyright (C) 2026 The gst-p2p authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What an element does with a signaller (start, call, answer, candidates)
# reaches a Python implementation through GObject introspection, and the
# signals it emits reach the element's handlers.

import gi

gi.require_version("P2p", "1.0")
from gi.repository import GLib, GObject, P2p  # noqa: E402

UID = "7KQ2-M9XD-4HPA-R3WV"


class LoopbackSignaller(GObject.Object, P2p.Signaller):
    """Answers every call itself and records what the viewer sends."""

    def __init__(self):
        super().__init__()
        self.started = False
        self.sent = []

    def do_start(self):
        self.started = True

    def do_stop(self):
        self.started = False

    def do_call(self, uid, timeout_ms):
        if not self.started:
            raise GLib.Error("not started")
        self.emit("call-started", uid, "py-1", None)
        self.emit("remote-offer", "py-1", "v=0 offer")
        return True

    def do_send_answer(self, call, sdp):
        self.sent.append(("answer", call, sdp))
        return True

    def do_send_candidate(self, call, candidate, mid):
        self.sent.append(("candidate", call, candidate, mid))
        return True


def main():
    s = LoopbackSignaller()
    seen = []
    s.connect("call-started", lambda _, uid, call, fp: seen.append(
        ("started", uid, call, fp)))
    s.connect("remote-offer", lambda _, call, sdp: seen.append(
        ("offer", call, sdp)))

    try:
        P2p.Signaller.call(s, UID, 1000)
        raise AssertionError("a stopped signaller took a call")
    except GLib.Error:
        pass

    P2p.Signaller.start(s)
    assert P2p.Signaller.call(s, UID, 1000)
    assert seen == [("started", UID, "py-1", None),
                    ("offer", "py-1", "v=0 offer")], seen
    assert P2p.Signaller.send_answer(s, "py-1", "v=0 answer")
    assert P2p.Signaller.send_candidate(s, "py-1", "candidate:1", "0")
    assert s.sent == [("answer", "py-1", "v=0 answer"),
                      ("candidate", "py-1", "candidate:1", "0")], s.sent

    # What it does not implement is an error, not a crash.
    try:
        P2p.Signaller.send_offer(s, "py-1", "v=0")
        raise AssertionError("an unimplemented method succeeded")
    except GLib.Error as e:
        assert e.matches(P2p.signalling_error_quark(),
                         P2p.SignallingError.INVALID_ARGUMENT), e
    assert len(P2p.Signaller.get_ice_servers(s, None)) == 0

    P2p.Signaller.stop(s)
    assert not s.started
    print("ok")


main()
