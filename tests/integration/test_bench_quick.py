#!/usr/bin/python3
"""The quick form of camarena-bench (issue 6): every figure with tiny counts,
no goal judged, so that the bench cannot rot.

It passes when the bench runs to completion (exit 0: every figure was
measured or said why it could not be, and none failed with an error), prints
the table with a row for every figure, and writes the report. Nothing here
depends on how fast the machine is: the numbers are not read, and the
timeout only stops a bench that hangs."""
import os
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("CAMARENA_BUILD", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
BENCH = os.path.join(BUILD, "bin", "camarena-bench")

FIGURES = [
    "ingest 640x480 bgr24: frames/s",
    "ingest 640x480 bgr24: reader CPU us/frame",
    "ingest 1920x1080 bgr24: frames/s",
    "notify latency p50",
    "data/ to a TCP subscriber",
    "steady 8 x 640x480@30",
    "scale 4 x 320x240@5",
    "memory: camarenad heap growth",
    "memory: worker heap growth",
    "restart: SIGKILL to next frame",
    "peer: GStreamer",
]


class BenchQuick(unittest.TestCase):
    def test_quick_bench_prints_the_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            report = os.path.join(tmp, "BENCHMARKS.md")
            r = subprocess.run([BENCH, "--quick", "--output", report], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=600)
            if r.returncode != 0:
                sys.stderr.write(r.stdout + r.stderr)
            self.assertEqual(r.returncode, 0, "camarena-bench --quick failed")
            self.assertIn("| figure | baseline | camarena | ratio | goal | result | note |", r.stdout)
            for figure in FIGURES:
                self.assertIn("| " + figure, r.stdout)
            self.assertNotIn("| ERROR |", r.stdout)
            self.assertNotIn("| MISSED |", r.stdout, "--quick must not judge goals")
            with open(report) as f:
                text = f.read()
            self.assertIn("## The machine", text)
            self.assertIn("## Reproduce", text)
            self.assertIn("| figure | baseline |", text)

    def test_synthetic_ffmpeg_writes_whole_frames(self):
        # camarena-bench run as bench-ffmpeg is the writer of the ingest
        # figure: it must write exactly frames=N frames of the asked size.
        with tempfile.TemporaryDirectory() as tmp:
            link = os.path.join(tmp, "bench-ffmpeg")
            os.symlink(os.path.abspath(BENCH), link)
            r = subprocess.run([link, "-nostdin", "-i", "fake:rate=fast&frames=5", "-an", "-vf",
                                "scale=32:16", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
                               stdout=subprocess.PIPE, timeout=60)
            self.assertEqual(r.returncode, 0)
            self.assertEqual(len(r.stdout), 5 * 32 * 16)
            self.assertEqual(int.from_bytes(r.stdout[512:520], "little"), 2)


if __name__ == "__main__":
    unittest.main()
