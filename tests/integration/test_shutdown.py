#!/usr/bin/python3
"""Stopping (SPEC 6).

- SIGTERM: camarenad exits 0 and leaves no process of the instance (neither
  the pids status gave nor any process whose command line names the
  instance), no /dev/shm object and no socket file.
- SIGKILL of camarenad: its workers and their FFmpegs die with it; a new
  camarenad of the same name then starts over the stale arena."""
import os
import signal
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import wait_until  # noqa: E402

CAMERAS = {
    "one": harness.fake_camera("fake:rate=25"),
    "two": harness.fake_camera("fake:rate=25", 32, 32, "gray"),
    # A camera between runs at the moment of the stop.
    "flaky": harness.fake_camera("fake:rate=25&crash_after=3"),
}


def unit_pids_from_status(inst):
    pids = []
    for c in inst.status()["cameras"]:
        pids += [p for p in (c["pid"], c["ffmpeg_pid"]) if p > 0]
    return pids


def sockets_in(path):
    found = []
    for name in os.listdir(path) if os.path.isdir(path) else []:
        if stat.S_ISSOCK(os.lstat(os.path.join(path, name)).st_mode):
            found.append(name)
    return found


class Shutdown(unittest.TestCase):
    def start(self):
        inst = harness.Instance(CAMERAS)
        for cam in ("one", "two"):
            inst.wait_state(cam, "running")
            inst.wait_frames(cam, 1)
        wait_until(lambda: len(unit_pids_from_status(inst)) >= 4, "status to show the running units' pids")
        return inst

    def test_sigterm_leaves_nothing(self):
        inst = self.start()
        with inst:
            pids = unit_pids_from_status(inst)
            scanned = inst.unit_pids()
            self.assertTrue(set(pids) <= set(scanned), "status pids %s, /proc scan %s" % (pids, scanned))
            self.assertTrue(os.path.exists(inst.shm))
            self.assertTrue(sockets_in(inst.runtime_dir))
            inst.stop()
            # camarenad reaped its units before exiting: nothing is left now.
            alive = [p for p in pids if harness.proc_alive(p)]
            self.assertEqual(alive, [], "units alive after a clean stop")
            self.assertEqual(inst.unit_pids(), [], "processes of the instance after a clean stop")
            self.assertFalse(os.path.exists(inst.shm), "the arena is still in /dev/shm")
            self.assertEqual(sockets_in(inst.runtime_dir), [], "socket files left")

    def test_sigkill_of_camarenad_kills_units(self):
        inst = self.start()
        with inst:
            pids = unit_pids_from_status(inst)
            scanned = inst.unit_pids()
            inst.proc.send_signal(signal.SIGKILL)
            inst.proc.wait()
            wait_until(lambda: not any(harness.proc_alive(p) for p in pids + scanned),
                       "the units of a killed camarenad to die")
            self.assertEqual(inst.unit_pids(), [])
            # The arena it left is stale: a new camarenad replaces it.
            inst.start()
            inst.wait_frames("one", 1)
            inst.stop()
            self.assertFalse(os.path.exists(inst.shm))


if __name__ == "__main__":
    harness.main()
