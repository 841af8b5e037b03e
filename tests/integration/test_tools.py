#!/usr/bin/python3
"""camarena-ctl and camarena-sub (SPEC 10) against a running instance.

- ctl: ping; status prints a table with a row per camera and a pressure line;
  --json prints the raw JSON; an unknown camera gives exit 1 and the
  sentence on stderr; usage errors exit 2; no daemon exits 1.
- sub: --count N prints N lines "camera frame_seq age_ms size"; --raw writes
  whole, valid frames; --stats prints per-second lines; --snapshot writes a
  PNG; a tcp:// endpoint is refused (not available yet)."""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAMERAS = {
    "porch": harness.fake_camera("fake:rate=25", 64, 48, "rgb24", fps=25, slots=16),
    "garage": harness.fake_camera("fake:rate=20", 32, 24, "gray", fps=20, slots=16),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Tools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = harness.Instance(CAMERAS)
        for cam in CAMERAS:
            cls.inst.wait_frames(cam, 1)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.inst.stop()
        finally:
            cls.inst.cleanup()

    def ctl(self, *args):
        return self.inst.tool("camarena-ctl", *args)

    def sub(self, *args, **kw):
        return self.inst.tool("camarena-sub", *args, **kw)

    # ---- camarena-ctl --------------------------------------------------

    def test_ctl_ping(self):
        for target in (["-c", self.inst.conf_path], ["-e", self.inst.ctl_endpoint]):
            r = self.ctl(*target, "ping")
            self.assertEqual((r.returncode, r.stdout), (0, b"pong\n"), r)

    def test_ctl_status_table(self):
        r = self.ctl("-c", self.inst.conf_path, "status")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.decode().splitlines()
        header = [i for i, l in enumerate(lines) if l.split()[:2] == ["CAMERA", "STATE"]]
        self.assertEqual(len(header), 1, lines)
        for word in ("FPS", "FRAMES", "DROPS", "RESTARTS", "BACKOFF", "MEMORY", "AGE"):
            self.assertIn(word, lines[header[0]])
        rows = {l.split()[0]: l.split() for l in lines[header[0] + 1:] if l and not l.startswith((" ", "pressure"))}
        self.assertEqual(sorted(rows), sorted(CAMERAS), lines)
        for cam, row in rows.items():
            self.assertEqual(len(row), 9, row)
            self.assertEqual(row[1], "running", row)
            self.assertGreater(int(row[3]), 0, row)   # frames
        self.assertTrue(any(l.startswith("pressure: ") for l in lines), lines)
        self.assertIn(self.inst.name, lines[0])

    def test_ctl_json(self):
        r = self.ctl("-e", self.inst.ctl_endpoint, "--json", "status", "porch")
        self.assertEqual(r.returncode, 0, r)
        st = json.loads(r.stdout)
        self.assertEqual([c["name"] for c in st["cameras"]], ["porch"])

    def test_ctl_metrics(self):
        r = self.ctl("-c", self.inst.conf_path, "metrics")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(b'camarena_frames_total{camera="porch"}', r.stdout)

    def test_ctl_errors(self):
        r = self.ctl("-c", self.inst.conf_path, "pause", "nosuch")
        self.assertEqual(r.returncode, 1, r)
        self.assertTrue(r.stderr.strip(), r)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(self.ctl("-c", self.inst.conf_path).returncode, 2)       # no verb
        self.assertEqual(self.ctl("ping").returncode, 2)                          # no target
        self.assertEqual(self.ctl("-c", self.inst.conf_path, "-e", self.inst.ctl_endpoint, "ping").returncode, 2)
        self.assertEqual(self.ctl("-c", "/nonexistent.ini", "ping").returncode, 2)
        r = self.ctl("-e", "ipc://%s/nobody.ctl" % self.inst.runtime_dir, "ping")
        self.assertEqual(r.returncode, 1, r)

    def test_ctl_no_answer(self):
        # A socket file nobody answers on: the timeout, then exit 1.
        import zmq
        path = os.path.join(self.inst.dir, "mute.ctl")
        ctx = zmq.Context.instance()
        mute = ctx.socket(zmq.ROUTER)
        mute.setsockopt(zmq.LINGER, 0)
        mute.bind("ipc://" + path)
        try:
            r = self.ctl("-e", "ipc://" + path, "-t", "0.3", "ping")
        finally:
            mute.close()
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"no answer from", r.stderr)

    # ---- camarena-sub --------------------------------------------------

    def test_sub_count_lines(self):
        r = self.sub("-c", self.inst.conf_path, "--count", "7", "porch")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 7, lines)
        seqs = []
        for line in lines:
            m = re.fullmatch(r"(\S+) (\d+) (-?\d+(?:\.\d+)?) (\d+)", line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.group(1), "porch")
            self.assertEqual(int(m.group(4)), 64 * 48 * 3)
            seqs.append(int(m.group(2)))
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), len(seqs))

    def test_sub_two_cameras(self):
        # -i looks in the default runtime_dir, $XDG_RUNTIME_DIR/camarena.
        xdg = os.path.join(self.inst.dir, "xdg")
        os.makedirs(xdg, exist_ok=True)
        if not os.path.exists(os.path.join(xdg, "camarena")):
            os.symlink(self.inst.runtime_dir, os.path.join(xdg, "camarena"))
        env = dict(os.environ, XDG_RUNTIME_DIR=xdg)
        for target in (["-i", self.inst.name], ["-e", self.inst.pub]):
            r = self.sub(*target, "-n", "20", "porch", "garage", env=env)
            self.assertEqual(r.returncode, 0, r)
            lines = r.stdout.decode().splitlines()
            self.assertEqual(len(lines), 20)
            self.assertTrue({l.split()[0] for l in lines} <= {"porch", "garage"})
        # A runtime_dir with no such socket: a clear error, not a silent wait.
        r = self.sub("-i", self.inst.name, "-n", "1", "porch", env=dict(os.environ, XDG_RUNTIME_DIR="/nonexistent"))
        self.assertEqual(r.returncode, 1, r)

    def test_sub_raw(self):
        r = self.sub("-c", self.inst.conf_path, "--raw", "--count", "4", "garage")
        self.assertEqual(r.returncode, 0, r)
        size = 32 * 24
        self.assertEqual(len(r.stdout), 4 * size)
        for i in range(4):
            harness.fake_frame_check(r.stdout[i * size:(i + 1) * size])

    def test_sub_raw_reader_goes_away(self):
        p = subprocess.Popen([os.path.join(harness.BIN, "camarena-sub"), "-c", self.inst.conf_path, "--raw",
                              "porch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = p.stdout.read(64 * 48 * 3)
        harness.fake_frame_check(first)
        p.stdout.close()
        try:
            rc = p.wait(harness.TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            raise
        self.assertEqual(rc, 0, p.stderr.read())
        p.stderr.close()

    def test_sub_stats(self):
        p = subprocess.Popen([os.path.join(harness.BIN, "camarena-sub"), "-c", self.inst.conf_path, "--stats",
                              "porch", "garage"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lines = [p.stdout.readline().decode() for _ in range(4)]
        finally:
            p.terminate()
            p.wait(harness.TIMEOUT)
            p.stdout.close()
            p.stderr.close()
        for line in lines:
            self.assertRegex(line, r"^(porch|garage) fps \d+\.\d latency p50 (\S+) p99 (\S+) lost \d+ overwritten \d+$")
        self.assertEqual({l.split()[0] for l in lines}, {"porch", "garage"})

    def test_sub_snapshot(self):
        if not os.access(harness.REAL_FFMPEG, os.X_OK):
            self.skipTest("no ffmpeg")
        png = os.path.join(self.inst.dir, "porch.png")
        r = self.sub("-c", self.inst.conf_path, "--snapshot", png, "porch")
        self.assertEqual(r.returncode, 0, r)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE)

    def test_sub_errors(self):
        self.assertEqual(self.sub("-c", self.inst.conf_path).returncode, 2)            # no camera
        self.assertEqual(self.sub("porch").returncode, 2)                               # no target
        r = self.sub("-e", "udp://127.0.0.1:7200", "porch")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"expected ipc://PATH or tcp://HOST:PORT", r.stderr)
        r = self.sub("-e", "tcp://127.0.0.1:1", "--timeout", "0.5", "porch")              # nobody there
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"no frame for", r.stderr)
        r = self.sub("-c", self.inst.conf_path, "--count", "1", "nosuch")
        self.assertEqual(r.returncode, 1, r)
        r = self.sub("-i", "no-such-instance-%d" % os.getpid(), "--count", "1", "porch")
        self.assertEqual(r.returncode, 1, r)


if __name__ == "__main__":
    harness.main()
