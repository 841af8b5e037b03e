#!/usr/bin/python3
"""Memory pressure, leaks and backpressure (SPEC 8, issue 4).

- Leaks: a camera whose FFmpeg grows faster than growth_critical is warned
  about (event "warning") and then restarted with reason "leak"; one that
  grows between growth_warning and growth_critical is only warned about.
- Pressure: a calibration run measures what the instance uses at rest; the
  real run sets global_limit so that this sits at half of it, and a top
  priority camera whose FFmpeg grows pushes the instance through low,
  moderate, high and critical. The low-priority camera is decimated and held
  at moderate, the middle one decimated at high, the lowest paused at
  critical (reason "pressure"); the grower is restarted when over its own
  memory_limit (reason "memory"); then everything is restored in reverse:
  the paused camera resumed, decimations back to 1, the holds released, the
  level back to none. A subscriber sees the pressure/ messages.
- Backpressure: a subscriber that never reads (RCVHWM 1, subscribed to
  everything) makes neither the worker nor camarenad grow.

No assert is on timing: deadlines are failure guards only."""
import json
import os
import sys
import time
import unittest

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import wait_until  # noqa: E402

MIB = 1 << 20


def actions_of(messages, action, camera):
    return [m for m in messages for a in m["actions"] if a["action"] == action and a["camera"] == camera]


def self_memory(pid):
    """Pss_Anon + Pss_File of a process, in bytes (as camarenad counts it)."""
    total = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k = line.split(":")[0]
            if k in ("Pss_Anon", "Pss_File"):
                total += int(line.split()[1]) * 1024
    return total


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def log_on_failure(test, result, inst):
    failures = len(result.failures) + len(result.errors) if result else 0
    unittest.TestCase.run(test, result)
    if result and len(result.failures) + len(result.errors) > failures and inst[0]:
        harness.log("camarenad log:\n" + inst[0].log_tail(120))


class Leaks(unittest.TestCase):
    def run(self, result=None):
        self._inst = [None]
        log_on_failure(self, result, self._inst)

    def test_warning_then_leak(self):
        cams = {
            "steady": harness.fake_camera("fake:rate=25"),
            # 8 MiB/s is far above growth_critical; 100 KiB/s between the two.
            "leaky": harness.fake_camera("fake:rate=25&grow=8M"),
            "creeper": harness.fake_camera("fake:rate=25&grow=100K"),
        }
        sup = {"growth_warning": "100M/h", "growth_critical": "4G/h", "growth_warmup": "1s"}
        with harness.Instance(cams, sup) as inst:
            self._inst[0] = inst
            _, warn = inst.events.wait("leaky", "warning")
            self.assertEqual(warn["reason"], "leak", warn)
            self.assertGreater(warn["growth_bytes_per_s"], 4 * 1024 ** 3 / 3600, warn)
            i, ex = inst.events.wait("leaky", "exit", pred=lambda e: e["reason"] == "leak")
            self.assertIn("growth_critical", ex["error"])
            inst.events.wait("leaky", "running", since=i)
            harness.log("leaky restarted for leak")
            _, w = inst.events.wait("creeper", "warning")
            harness.log("creeper warned")
            self.assertLess(w["growth_bytes_per_s"], 4 * 1024 ** 3 / 3600, w)
            metrics = inst.ok("metrics")
            self.assertRegex(metrics, r'camarena_restarts_total\{camera="leaky",reason="leak"\} [1-9]')
            self.assertIn('camarena_restarts_total{camera="creeper",reason="leak"} 0\n', metrics)
            c = inst.camera_status("creeper")
            self.assertGreater(c["growth_bytes_per_s"], 0, c)
            inst.stop()


class Pressure(unittest.TestCase):
    def run(self, result=None):
        self._inst = [None]
        log_on_failure(self, result, self._inst)

    CAMS = {
        # Shed first: decimated and held at moderate, paused at critical.
        "low": {"priority": 10},
        # Decimated at high (below the top priority).
        "mid": {"priority": 60},
        # The top: never shed. The grower is one of them.
        "top": {"priority": 90},
        "grower": {"priority": 90},
    }

    def cameras(self, grow=None, memory_limit=None):
        cams = {}
        for name, extra in self.CAMS.items():
            url = "fake:rate=25"
            if name == "grower" and grow:
                url += "&grow=%d" % grow
            cams[name] = harness.fake_camera(url, **extra)
            if name == "grower" and memory_limit:
                cams[name]["memory_limit"] = "%dM" % (memory_limit // MIB)
        return cams

    def calibrate(self):
        """What the instance uses at rest, and the grower's own memory: read
        from a run of the same cameras with nothing growing and the same
        subscribers (the publish queue bound counts them)."""
        with harness.Instance(self.cameras(), {"arena_size": "64M"}) as inst:
            self._inst[0] = inst
            plog = harness.EventLog(inst.pub, topic=b"pressure/")
            try:
                for cam in self.CAMS:
                    inst.wait_state(cam, "running")
                wait_until(lambda: all(c["memory_bytes"] > 0 for c in inst.status()["cameras"]),
                           "every camera's memory to be read")
                used, grower = [], []
                for _ in range(8):
                    st = inst.status()
                    used.append(st["pressure"]["used_bytes"])
                    grower.append([c for c in st["cameras"] if c["name"] == "grower"][0]["memory_bytes"])
                    time.sleep(0.1)
                inst.stop()
            finally:
                plog.close()
        self._inst[0] = None
        return max(used), max(grower)

    def test_levels_shed_and_restore(self):
        base, grower0 = self.calibrate()
        limit = 2 * base                       # rest sits at a ratio of 0.5
        rate = limit // 5                      # 0.2 of the limit per second
        memory_limit = grower0 + limit * 55 // 100 + MIB
        harness.log("pressure: rest %.1f MiB, limit %.1f MiB, grow %.1f MiB/s, grower memory_limit %.1f MiB" % (
            base / MIB, limit / MIB, rate / MIB, memory_limit / MIB))
        sup = {
            "arena_size": "64M",
            "global_limit": "%dK" % (limit // 1024),
            "soft_limit": "0.70", "hard_limit": "0.80", "critical_limit": "0.90",
            "growth_warmup": "1h",             # the grower is no leak here
        }
        with harness.Instance(self.cameras(rate, memory_limit), sup) as inst:
            self._inst[0] = inst
            plog = harness.EventLog(inst.pub, topic=b"pressure/")
            try:
                self.run_levels(inst, plog)
            finally:
                plog.close()

    def run_levels(self, inst, plog):
        ev = inst.events
        for level in ("low", "moderate", "high", "critical"):
            m = plog.wait_for(lambda m, level=level: m["level"] == level, "level %s" % level)
            for key in ("level", "ratio", "used_bytes", "limit_bytes", "actions", "host"):
                self.assertIn(key, m)
            for key in ("psi_some_avg10", "psi_full_avg10", "mem_available_bytes", "mem_total_bytes"):
                self.assertIn(key, m["host"])
        # The lowest-priority camera paused by pressure at critical.
        i, paused = ev.wait("low", "paused", pred=lambda e: e["reason"] == "pressure")
        st = inst.status()
        self.assertEqual([c for c in st["cameras"] if c["name"] == "low"][0]["paused_by"], "pressure")
        harness.log("status after the pause at critical: " + json.dumps(st))
        # The grower over its own memory_limit: restarted, reason memory.
        j, ex = ev.wait("grower", "exit", pred=lambda e: e["reason"] == "memory")
        self.assertIn("memory_limit", ex["error"])
        # Keep it from growing again: the operator pauses it (pressure never resumes that).
        inst.ok("pause", "grower")
        # Restored in reverse: the pause first, then the decimations and holds.
        ev.wait("low", "starting", since=i, pred=lambda e: e["reason"] == "pressure")
        plog.wait_for(lambda m: m["level"] == "none", "level none again")

        msgs = list(plog.events)
        levels = [m["level"] for m in msgs]
        self.assertIn("critical", levels)
        self.assertTrue(actions_of(msgs, "decimate", "low"), "low was never decimated")
        self.assertTrue(actions_of(msgs, "hold", "low"), "low's data was never held")
        self.assertTrue(actions_of(msgs, "decimate", "mid"), "mid was never decimated")
        self.assertTrue(actions_of(msgs, "pause", "low"), "low was never paused")
        self.assertFalse(actions_of(msgs, "decimate", "top"), "a top camera was decimated")
        self.assertFalse(actions_of(msgs, "pause", "top"), "a top camera was paused")
        self.assertFalse(actions_of(msgs, "pause", "grower"), "a top camera was paused")
        # Taking order: low decimated before mid; undoing: mid before low.
        self.assertLess(msgs.index(actions_of(msgs, "decimate", "low")[0]),
                        msgs.index(actions_of(msgs, "decimate", "mid")[0]))
        self.assertLessEqual(msgs.index(actions_of(msgs, "undecimate", "mid")[-1]),
                             msgs.index(actions_of(msgs, "undecimate", "low")[-1]))
        self.assertTrue(actions_of(msgs, "release", "low"), "low's data was never released")
        # A critical message shows what was shed.
        crit = actions_of(msgs, "pause", "low")[0]
        self.assertIn("low", crit["shed"]["decimated"])
        self.assertIn("mid", crit["shed"]["decimated"])
        self.assertIn("low", crit["shed"]["held"])
        harness.log("a pressure/ message at critical: " + json.dumps(
            {k: v for k, v in crit.items() if not k.startswith("_")}))

        # Everything restored: decimation 1, nothing held, low running again.
        def restored():
            st = inst.status()
            cams = {c["name"]: c for c in st["cameras"]}
            ok = (st["pressure"]["level"] == "none" and cams["low"]["state"] == "running" and
                  all(c["decimation"] == 1 and not c["data_held"] for c in cams.values()))
            return st if ok else None
        st = wait_until(restored, "everything restored")
        cams = {c["name"]: c for c in st["cameras"]}
        self.assertEqual(cams["grower"]["paused_by"], "operator")
        self.assertEqual(cams["low"]["paused_by"], "")
        # Decimation was real: frames read and not kept were counted.
        self.assertGreater(cams["low"]["drops"]["decimated"], 0, cams["low"])
        self.assertGreater(cams["mid"]["drops"]["decimated"], 0, cams["mid"])
        self.assertEqual(cams["top"]["drops"]["decimated"], 0, cams["top"])
        metrics = inst.ok("metrics")
        self.assertIn('camarena_restarts_total{camera="grower",reason="memory"} 1\n', metrics)
        self.assertRegex(metrics, r'camarena_frames_dropped_total\{camera="low",reason="decimated"\} [1-9]')
        self.assertIn("camarena_pressure_level 0\n", metrics)
        # The operator's pause outlived the pressure: the grower stays paused.
        self.assertEqual(inst.camera_status("grower")["state"], "paused")
        inst.stop()


class SlowSubscriber(unittest.TestCase):
    def run(self, result=None):
        self._inst = [None]
        log_on_failure(self, result, self._inst)

    def setUp(self):
        # Under AddressSanitizer, freed memory waits in a quarantine (256 MiB
        # by default) before it is reused: every relayed message would look
        # like growth. A small quarantine lets this test measure the program.
        self.asan = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = ((self.asan + ":") if self.asan else "") + "quarantine_size_mb=1"

    def tearDown(self):
        if self.asan is None:
            os.environ.pop("ASAN_OPTIONS", None)
        else:
            os.environ["ASAN_OPTIONS"] = self.asan

    def test_never_reads(self):
        cams = {"a": harness.fake_camera("fake:rate=50"), "b": harness.fake_camera("fake:rate=50")}
        with harness.Instance(cams) as inst:
            self._inst[0] = inst
            for cam in cams:
                inst.wait_state(cam, "running")
            inst.wait_frames("a", 20)
            pid = inst.proc.pid
            before = median([self_memory(pid) for _ in range(5)])
            q0 = inst.status()["pressure"]["queue_bytes"]

            slow = zmq.Context.instance().socket(zmq.SUB)
            slow.setsockopt(zmq.LINGER, 0)
            slow.setsockopt(zmq.RCVHWM, 1)
            slow.setsockopt(zmq.SUBSCRIBE, b"")
            slow.connect(inst.pub)
            try:
                st = wait_until(lambda: (lambda s: s if s["pressure"]["queue_bytes"] > q0 else None)(inst.status()),
                                "the queue bound to count the new subscriber")
                bound = st["pressure"]["queue_bytes"] - q0
                # Let its queues fill (50 fps x 2 cameras), then watch.
                inst.wait_frames("a", inst.arena().head("a") + 200)
                sup, wrk = [], []
                for _ in range(30):
                    sup.append(self_memory(pid))
                    wrk.append(inst.camera_status("a")["memory_bytes"])
                    time.sleep(0.1)
                harness.log("slow subscriber: camarenad %.1f MiB before, %.1f .. %.1f MiB with it (bound %.1f MiB); "
                            "worker+FFmpeg %.1f .. %.1f MiB" % (before / MIB, min(sup) / MIB, max(sup) / MIB,
                                                                 bound / MIB, min(wrk) / MIB, max(wrk) / MIB))
                # One step when its queue fills: the bound's messages plus what
                # the allocator (and a sanitizer's redzones) add to each.
                self.assertLess(max(sup) - before, 3 * bound + 4 * MIB)
                # And flat while it never reads.
                self.assertLess(median(sup[-5:]) - median(sup[:5]), 1 * MIB)
                self.assertLess(median(wrk[-5:]) - median(wrk[:5]), 1 * MIB)
                # Frames still flow to everyone else.
                with inst.arena() as a:
                    h = a.head("b")
                inst.wait_frames("b", h + 25)
            finally:
                slow.close()
            inst.stop()


if __name__ == "__main__":
    harness.main()
