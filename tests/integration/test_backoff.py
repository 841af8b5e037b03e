#!/usr/bin/python3
"""Backoff (SPEC 7): the delays of a failing camera, read from its "backoff"
events' backoff_ms, follow min(backoff_max, backoff_initial x multiplier^(n-1))
within the jitter, stop growing at backoff_max, and a run that delivered
frames for backoff_reset starts the count again.

Tolerances are the jitter's bounds on the delay the supervisor chose, never
wall-clock measurements.

- "failing" delivers one frame, then its FFmpeg exits 3: every run fails
  quickly, so n grows with every exit.
- "recovering" delivers frames for about 2 s (longer than backoff_reset, 1 s
  here), then exits: every run is healthy before it fails, so every delay is
  the initial one."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

INITIAL_MS = 100
MAX_MS = 800
MULTIPLIER = 2.0
JITTER = 0.2
DELAYS = 7  # failures watched: 100 200 400 800 800 800 800

SUPERVISOR = {
    "backoff_initial": "%dms" % INITIAL_MS,
    "backoff_max": "%dms" % MAX_MS,
    "backoff_multiplier": str(MULTIPLIER),
    "backoff_jitter": str(JITTER),
    "backoff_reset": "1s",
}
CAMERAS = {
    # The first frame comes at once and the exit 0.2 s later, after the
    # event subscription is surely connected.
    "failing": harness.fake_camera("fake:rate=5&exit_after=1&status=3&message=no%20signal"),
    "recovering": harness.fake_camera("fake:rate=40&exit_after=80&status=4"),
}


def expected_ms(n):
    return min(MAX_MS, INITIAL_MS * MULTIPLIER ** (n - 1))


def within_jitter(delay_ms, n):
    e = expected_ms(n)
    # One millisecond either way for the rounding to whole milliseconds.
    return e * (1 - JITTER) - 1 <= delay_ms <= e * (1 + JITTER) + 1


class Backoff(unittest.TestCase):
    def test_delays(self):
        with harness.Instance(CAMERAS, supervisor=SUPERVISOR) as inst:
            delays = []
            exits = []
            i = 0
            while len(delays) < DELAYS:
                i, ev = inst.events.wait("failing", "backoff", since=i)
                i += 1
                delays.append(ev["backoff_ms"])
            for e in inst.events.since(0, "failing"):
                if e["state"] == "exit":
                    exits.append(e)
            harness.log("failing: backoff delays %s ms" % delays)
            # The first failure is the first exit of the camera's life: the
            # subscription saw the whole history.
            self.assertTrue(exits, "no exit event")
            self.assertEqual((exits[0]["reason"], exits[0]["exit_status"], exits[0]["error"]),
                             ("exit", 3, "no signal"), exits[0])
            for n, d in enumerate(delays, 1):
                self.assertTrue(within_jitter(d, n), "delay %d is %s ms, expected %.0f ms +- %d%% (all: %s)" % (
                    n, d, expected_ms(n), JITTER * 100, delays))
            # Capped: the delays after reaching backoff_max never exceed its jitter bound.
            self.assertTrue(all(d <= MAX_MS * (1 + JITTER) + 1 for d in delays))
            self.assertTrue(any(d >= MAX_MS * (1 - JITTER) - 1 for d in delays[3:]), delays)

            # Each run of "recovering" is healthy for longer than backoff_reset:
            # every failure counts as the first.
            rec = []
            i = 0
            while len(rec) < 3:
                i, ev = inst.events.wait("recovering", "backoff", since=i)
                i += 1
                rec.append(ev["backoff_ms"])
            harness.log("recovering: backoff delays %s ms" % rec)
            for d in rec:
                self.assertTrue(within_jitter(d, 1), "a healthy run was not reset: delays %s ms" % rec)
            # Meanwhile the failing camera never disturbed the other.
            self.assertGreater(inst.camera_status("recovering")["frames"], 0)
            inst.stop()


if __name__ == "__main__":
    harness.main()
