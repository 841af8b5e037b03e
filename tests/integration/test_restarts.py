#!/usr/bin/python3
"""Restarts (SPEC 7) and the operator's verbs (SPEC 6).

- SIGKILL of a worker: an exit event with reason "signal", a restart, and
  frame numbers that continue (the new FFmpeg's first frame gets a frame_seq
  after the old head, not 1).
- FFmpeg exiting with status K: reason "exit", exit_status K, and the line it
  printed as error.
- A stalled FFmpeg: reason "stalled".
- restart: an exit event with reason "operator", then "starting" with
  reason "operator", with no backoff between.
- pause / resume: the unit goes away and the camera stays paused; resume
  brings frames back."""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import wait_until  # noqa: E402

CAMERAS = {
    # 64 slots keep the frames of both runs around a restart in the ring.
    "steady": harness.fake_camera("fake:rate=25", slots=64),
    "quitter": harness.fake_camera("fake:rate=25&exit_after=5&status=42&message=boom%20at%20frame%205"),
    "staller": harness.fake_camera("fake:rate=25&stall_after=5"),
}


class Restarts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = harness.Instance(CAMERAS)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.inst.stop()
        finally:
            cls.inst.cleanup()

    def run(self, result=None):
        # Show camarenad's log with a failure.
        failures = len(result.failures) + len(result.errors) if result else 0
        super().run(result)
        if result and len(result.failures) + len(result.errors) > failures:
            harness.log("camarenad log:\n" + self.inst.log_tail())

    def running_unit(self, camera):
        """Waits until camera runs and has delivered frames; returns its status."""
        self.inst.wait_state(camera, "running")
        self.inst.wait_frames(camera, 1)
        return wait_until(lambda: (lambda c: c if c["pid"] > 0 and c["ffmpeg_pid"] > 0 else None)(
            self.inst.camera_status(camera)), "%s to report its pids" % camera)

    def test_worker_sigkill(self):
        inst = self.inst
        c = self.running_unit("steady")
        with inst.arena() as arena:
            before = arena.head("steady")
            mark = inst.events.mark()
            os.kill(c["pid"], signal.SIGKILL)
            i, ev = inst.events.wait("steady", "exit", since=mark)
            self.assertEqual(ev["reason"], "signal", ev)
            self.assertEqual(ev["signal"], signal.SIGKILL, ev)
            self.assertEqual(ev["pid"], c["pid"], ev)
            inst.events.wait("steady", "starting", since=i)
            _, running = inst.events.wait("steady", "running", since=i)
            self.assertGreater(running["restarts"], c["restarts"], running)
            # Frames of the new unit: its FFmpeg counts from 1 again, the
            # arena's frame_seq goes on.
            wait_until(lambda: proc_gone(c["ffmpeg_pid"]), "the old FFmpeg to be gone")
            inst.wait_frames("steady", before + 3)
            head = arena.head("steady")
            self.assertGreater(head, before)
            first_new = None
            for seq in range(max(1, head - arena.cameras["steady"].slot_count + 1), head + 1):
                got = arena.read("steady", seq)
                if got is None:
                    continue
                counter = harness.fake_frame_check(got[1])
                if counter == 1:
                    first_new = seq
            self.assertIsNotNone(first_new, "the new FFmpeg's first frame is not in the ring")
            self.assertGreater(first_new, before, "frame numbers restarted")
            c2 = inst.camera_status("steady")
            self.assertNotEqual(c2["pid"], c["pid"])
            self.assertGreater(c2["restarts"], c["restarts"])
            self.assertGreaterEqual(c2["head_seq"], head)

    def test_ffmpeg_exit_status(self):
        _, ev = self.inst.events.wait("quitter", "exit")
        self.assertEqual(ev["reason"], "exit", ev)
        self.assertEqual(ev["exit_status"], 42, ev)
        self.assertEqual(ev["error"], "boom at frame 5", ev)
        # And it comes back (after its backoff) to fail the same way again.
        _, ev2 = self.inst.events.wait("quitter", "exit", pred=lambda e: e["restarts"] > ev["restarts"])
        self.assertEqual((ev2["reason"], ev2["exit_status"]), ("exit", 42), ev2)

    def test_stall(self):
        _, ev = self.inst.events.wait("staller", "exit")
        self.assertEqual(ev["reason"], "stalled", ev)

    def test_operator_restart(self):
        inst = self.inst
        c = self.running_unit("steady")
        mark = inst.events.mark()
        inst.ok("restart", "steady")
        i, start = inst.events.wait("steady", "starting", since=mark)
        between = [e["state"] for e in inst.events.since(mark, "steady")]
        between = between[:between.index("starting")]
        self.assertNotIn("backoff", between, "restart went through a backoff: %s" % between)
        self.assertEqual(start["reason"], "operator", start)
        # SPEC 7: every exit is reported with its reason, operator included.
        exits = [e for e in inst.events.since(mark, "steady")[:len(between)] if e["state"] == "exit"]
        self.assertTrue(exits and exits[-1]["reason"] == "operator",
                        "no exit event with reason operator before starting; events: %s" % between)
        inst.events.wait("steady", "running", since=i)
        self.assertNotEqual(inst.camera_status("steady")["pid"], c["pid"])

    def test_pause_resume(self):
        inst = self.inst
        c = self.running_unit("steady")
        mark = inst.events.mark()
        inst.ok("pause", "steady")
        i, ev = inst.events.wait("steady", "paused", since=mark)
        self.assertEqual(ev["reason"], "operator", ev)
        wait_until(lambda: proc_gone(c["pid"]) and proc_gone(c["ffmpeg_pid"]), "the paused unit to go")
        st = inst.camera_status("steady")
        self.assertEqual(st["state"], "paused")
        with inst.arena() as arena:
            self.assertEqual(arena.state("steady"), 4)
            paused_head = arena.head("steady")
            # No unit, so no writer: the head stays where it was.
            self.assertEqual(inst.camera_status("steady")["state"], "paused")
            self.assertEqual(arena.head("steady"), paused_head)
            inst.ok("resume", "steady")
            inst.events.wait("steady", "starting", since=i)
            inst.events.wait("steady", "running", since=i)
            inst.wait_frames("steady", paused_head + 1)
            self.assertEqual(arena.state("steady"), 2)


def proc_gone(pid):
    return not harness.proc_alive(pid)


if __name__ == "__main__":
    harness.main()
