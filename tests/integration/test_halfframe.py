#!/usr/bin/python3
"""Half a frame is never committed (SPEC 3).

The fake FFmpeg writes half of a frame and dies: by SIGKILL ("cut"), or by
exiting with a status ("cut-exit"). After each death (its exit event) the
slot the cut frame would have taken holds seq 0, or a whole valid frame (a
newer run already filled it, or an older lap's frame never touched), and
every committed slot of the camera holds a frame whose checksum is good."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

RUNS = 3
CAMERAS = {
    # 160x120 bgr24: 57600 bytes, several pipe writes for one frame.
    "cut": harness.fake_camera("fake:rate=50&half_after=5", 160, 120, "bgr24", fps=50, slots=32),
    "cut-exit": harness.fake_camera("fake:rate=50&half_after=7&half_exit=1", 160, 120, "bgr24", fps=50, slots=32),
}
# FFmpeg's end as the exit event reports it.
CUT_REASON = {"cut": "signal", "cut-exit": "exit"}


class HalfFrame(unittest.TestCase):
    def check_camera(self, arena, cam):
        """Every committed slot holds a whole frame; returns how many do."""
        committed = 0
        for slot in range(arena.cameras[cam].slot_count):
            r = arena.read_slot(cam, slot)
            if r is None:
                continue
            self.assertEqual(arena.slot_of(cam, r[0]), slot)
            self.assertEqual(r[1][3], arena.cameras[cam].frame_size)
            harness.fake_frame_check(r[2])
            committed += 1
        return committed

    def test_half_frames_never_committed(self):
        with harness.Instance(CAMERAS) as inst, inst.arena() as arena:
            for cam in CAMERAS:
                i = 0
                cuts = 0
                while cuts < RUNS:
                    i, ev = inst.events.wait(cam, "exit", since=i)
                    i += 1
                    if ev["reason"] != CUT_REASON[cam]:
                        harness.log("%s: an exit that is not the cut: %s" % (cam, ev))
                        continue
                    head = arena.head(cam)
                    # The cut frame would have been head + 1.
                    slot = arena.slot_of(cam, head + 1)
                    seq = arena.slot_header(cam, slot)[0]
                    if seq != 0:
                        r = arena.read_slot(cam, slot)
                        if r is not None:
                            counter = harness.fake_frame_check(r[2])
                            harness.log("%s: slot %d of the cut frame %d holds whole frame %d (fake %d)" % (
                                cam, slot, head + 1, r[0], counter))
                    self.assertGreater(self.check_camera(arena, cam), 0)
                    cuts += 1
                harness.log("%s: %d cuts, head %d, last exit %s" % (cam, cuts, arena.head(cam), ev))
            inst.stop()


if __name__ == "__main__":
    harness.main()
