#!/usr/bin/python3
"""The real FFmpeg (SPEC 2's lavfi: URLs): a `color=c=red` source, converted
to rgb24 at 64x48, delivers frames whose every pixel is red, (255, 0, 0)
within 2 for colour conversion."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAMERAS = {
    "red": {"url": "lavfi:color=c=red:size=64x48:rate=10", "width": 64, "height": 48,
            "pix_fmt": "rgb24", "fps": 10, "slots": 8},
    # Scaled by FFmpeg to a size other than the source's.
    "blue": {"url": "lavfi:color=c=blue:size=32x32:rate=10", "width": 48, "height": 40,
             "pix_fmt": "bgr24", "fps": 10, "slots": 4},
}
FRAMES = 5


@unittest.skipUnless(os.access(harness.REAL_FFMPEG, os.X_OK), "no ffmpeg on this host")
class Lavfi(unittest.TestCase):
    def test_every_pixel_is_the_colour(self):
        with harness.Instance(CAMERAS, ffmpeg=harness.REAL_FFMPEG) as inst, inst.arena() as arena:
            subs = {cam: inst.subscribe(["frame/%s/" % cam]) for cam in CAMERAS}
            for cam, want in (("red", (255, 0, 0)), ("blue", (255, 0, 0))):  # blue is bgr24
                sub = subs[cam]
                c = arena.cameras[cam]
                checked = 0
                for h in sub.frames(cam, FRAMES * 3):
                    got = arena.read(cam, h["frame_seq"])
                    if got is None:
                        continue
                    img = np.frombuffer(got[1], dtype=np.uint8).reshape(c.height, c.width, 3)
                    diff = np.abs(img.astype(np.int16) - np.array(want, dtype=np.int16))
                    self.assertLessEqual(int(diff.max()), 2, "%s frame %d: pixels %s" % (
                        cam, h["frame_seq"], np.unique(img.reshape(-1, 3), axis=0)[:4].tolist()))
                    checked += 1
                    if checked == FRAMES:
                        break
                self.assertEqual(checked, FRAMES, "%s: too few frames could be read" % cam)
            inst.stop()


if __name__ == "__main__":
    harness.main()
