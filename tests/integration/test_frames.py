#!/usr/bin/python3
"""Several cameras deliver frames whose content is verified in the arena.

Three fake cameras of different sizes and pixel formats: every frame/
notification names a frame that, read from the arena under the seqlock, is
whole (the fake's FNV-1a checksum and pattern hold), has the notified size
and geometry, and comes in frame_seq order without gaps in the arena."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAMERAS = {
    "alpha": harness.fake_camera("fake:rate=30", 64, 48, "bgr24", fps=30, slots=16),
    "beta": harness.fake_camera("fake:rate=20", 40, 30, "gray", fps=20, slots=8),
    "gamma": harness.fake_camera("fake:rate=25", 34, 22, "yuv420p", fps=25, slots=6),
}
FRAMES = 40


def frame_bytes(pix_fmt, w, h):
    if pix_fmt in ("bgr24", "rgb24"):
        return 3 * w * h
    if pix_fmt in ("bgra", "rgba"):
        return 4 * w * h
    if pix_fmt == "gray":
        return w * h
    return w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)


class Frames(unittest.TestCase):
    def test_cameras_deliver_whole_frames(self):
        with harness.Instance(CAMERAS) as inst:
            sub = inst.subscribe(["frame/"])
            with inst.arena() as arena:
                self.assertEqual(sorted(arena.cameras), sorted(CAMERAS))
                self.assertEqual(arena.supervisor_pid, inst.proc.pid)
                for name, conf in CAMERAS.items():
                    cam = arena.cameras[name]
                    self.assertEqual((cam.width, cam.height, cam.pix_fmt),
                                     (conf["width"], conf["height"], conf["pix_fmt"]))
                    self.assertEqual(cam.frame_size, frame_bytes(conf["pix_fmt"], conf["width"], conf["height"]))
                    self.assertEqual(cam.slot_count, conf["slots"])
                verified = {name: 0 for name in CAMERAS}
                last_seq = {}
                overwritten = 0
                copies = []
                while min(verified.values()) < FRAMES:
                    parts = sub.recv()
                    name = parts[0].decode().split("/")[1]
                    self.assertIn(name, CAMERAS)
                    self.assertEqual(parts[0], ("frame/%s/" % name).encode())
                    h = harness.frame_header(parts[1])
                    cam = arena.cameras[name]
                    self.assertEqual(h["generation"], arena.generation)
                    self.assertEqual(h["camera_index"], cam.index)
                    self.assertEqual((h["width"], h["height"], h["pix_fmt"], h["frame_size"]),
                                     (cam.width, cam.height, cam.pix_fmt, cam.frame_size))
                    self.assertEqual(h["slot"], (h["frame_seq"] - 1) % cam.slot_count)
                    if name in last_seq:
                        self.assertGreater(h["frame_seq"], last_seq[name], "frame_seq goes back")
                    last_seq[name] = h["frame_seq"]
                    got = arena.read(name, h["frame_seq"])
                    if got is None:
                        overwritten += 1  # a slow reader lost it: allowed, never torn
                        continue
                    slot, data = got
                    self.assertEqual(slot[3], cam.frame_size)
                    self.assertEqual(slot[1], h["capture_realtime_ns"])
                    self.assertEqual(slot[2], h["capture_monotonic_ns"])
                    # Checked later: a slow check here would let the ring overtake the reader.
                    copies.append((name, h["frame_seq"], data))
                    verified[name] += 1
                harness.log("%d frames copied, %d overwritten before they could be read" % (
                    len(copies), overwritten))
                for name, seq, data in copies:
                    try:
                        harness.fake_frame_check(data)
                    except AssertionError as e:
                        self.fail("%s frame %d: %s" % (name, seq, e))
                # Every committed slot of every camera holds a whole frame.
                for name, cam in arena.cameras.items():
                    committed = 0
                    for slot in range(cam.slot_count):
                        r = arena.read_slot(name, slot)
                        if r is not None:
                            self.assertEqual(arena.slot_of(name, r[0]), slot)
                            harness.fake_frame_check(r[2])
                            committed += 1
                    self.assertGreater(committed, 0)
                    self.assertGreaterEqual(arena.head(name), FRAMES)
            st = inst.status()
            self.assertEqual(st["instance"], inst.name)
            for c in st["cameras"]:
                self.assertIn(c["name"], CAMERAS)
                self.assertEqual(c["state"], "running")
                self.assertEqual(c["restarts"], 0, "a healthy camera was restarted: %s" % c)
                self.assertGreater(c["frames"], 0)
                self.assertGreaterEqual(c["head_seq"], FRAMES)
            inst.stop()


if __name__ == "__main__":
    harness.main()
