#!/usr/bin/python3
"""test_remote.py - data/<camera>/ over tcp://127.0.0.1 (SPEC 5, 10): what a
remote subscriber gets, what it costs, and camarena-sub -e tcp://.

Two instances, each with a tcp://127.0.0.1:<free port> publish endpoint:

  lavfi   the real FFmpeg on a lavfi colour source: flat frames, which LZ4
          makes much smaller (flags bit 0 set)
  fake    the fake FFmpeg: content=random frames, which LZ4 cannot shrink
          and which are sent raw (flag clear); a camera nobody subscribes to
          the data/ of; a camera with data_rate_limit; a fast camera for the
          subscriber that never reads

Every frame received is compared, byte for byte, with the arena's frame of
the same frame_seq (when the ring still holds it).

The tests skip, saying so, while the server side is missing: when a camera
has sent DATA_PROBE_FRAMES frame/ messages and no data/ one came (the
worker does not publish data/ or camarenad does not relay it), and when the
status has no compressed_frames field. Deadlines are failure guards only.
"""
import os
import socket
import subprocess
import sys
import time
import unittest

import lz4.block
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

W, H = 64, 48
FRAME_SIZE = W * H * 3           # bgr24 / rgb24
RATE_LIMIT = 40000               # bytes per second for "limited"
FAST = (160, 120, 100)           # the never-read camera: width, height, fps
DATA_PROBE_FRAMES = 30
SLOW_SAMPLE_S = 10               # how long the never-reading subscriber is watched
SLACK = 8 << 20                  # allocator and socket slack on top of a queue bound


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def anon_bytes(pid):
    """Anonymous memory of pid (smaps_rollup), or None if it is gone."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Anonymous:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def sanitized(pid):
    """True if pid runs with AddressSanitizer (a SANITIZE= build)."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


class Remote:
    """A SUB on an instance's tcp endpoint for data/ topics, and a SUB on
    its ipc endpoint for frame/ ones (the clock of the skip probe)."""

    def __init__(self, tcp, cameras, rcvhwm=100000):
        ctx = zmq.Context.instance()
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, rcvhwm)
        for c in cameras:
            self.sock.setsockopt(zmq.SUBSCRIBE, ("data/%s/" % c).encode())
        self.sock.connect(tcp)

    def recv(self, timeout):
        if not self.sock.poll(int(timeout * 1000)):
            return None
        return self.sock.recv_multipart()

    def close(self):
        self.sock.close()


def decode(parts):
    """(header dict, raw frame bytes) of a data/ message."""
    assert len(parts) == 3, "data/ message of %d parts" % len(parts)
    h = harness.frame_header(parts[1])
    if h["flags"] & 1:
        raw = lz4.block.decompress(parts[2], uncompressed_size=h["frame_size"])
    else:
        raw = parts[2]
    assert len(raw) == h["frame_size"], "frame %d: %d bytes, header says %d" % (
        h["frame_seq"], len(raw), h["frame_size"])
    return h, raw


class RemoteCase(unittest.TestCase):
    ffmpeg = harness.FAKE_FFMPEG
    cameras = {}
    probe_camera = None

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.tcp = "tcp://127.0.0.1:%d" % cls.port
        cls.inst = harness.Instance(cls.cameras, supervisor={"publish": cls.tcp}, ffmpeg=cls.ffmpeg, start=False)
        try:
            cls.inst.start()
            cls.skip_reason = cls.probe()
        except BaseException:
            harness.log("camarenad %s log (last lines):\n%s" % (cls.inst.name, cls.inst.log_tail()))
            cls.inst.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.inst.stop()
        finally:
            cls.inst.cleanup()

    @classmethod
    def probe(cls):
        """None if data/ messages of probe_camera come, else why not."""
        remote = Remote(cls.tcp, [cls.probe_camera])
        local = cls.inst.subscribe(["frame/%s/" % cls.probe_camera])
        try:
            for n, _ in enumerate(local.frames(cls.probe_camera, DATA_PROBE_FRAMES)):
                if remote.recv(0) is not None:
                    return None
            if remote.recv(1) is not None:
                return None
            return ("no data/ message over %s while %d frame/ messages came: the server side of data/ "
                    "publishing is not there yet" % (cls.tcp, DATA_PROBE_FRAMES))
        finally:
            remote.close()

    def setUp(self):
        if self.skip_reason:
            print("skipped: " + self.skip_reason, file=sys.stderr)
            self.skipTest(self.skip_reason)

    def remote(self, cameras, **kw):
        r = Remote(self.tcp, cameras, **kw)
        self.addCleanup(r.close)
        return r

    def match_arena(self, camera, count, want_lz4):
        """Receives data/ frames of camera until count of them were compared
        with the arena's; returns the headers compared."""
        r = self.remote([camera])
        matched = []
        deadline = time.monotonic() + harness.TIMEOUT
        with self.inst.arena() as arena:
            while len(matched) < count:
                self.assertLess(time.monotonic(), deadline, "only %d frames matched" % len(matched))
                parts = r.recv(harness.TIMEOUT)
                self.assertIsNotNone(parts, "no data/%s/ message" % camera)
                self.assertEqual(parts[0], ("data/%s/" % camera).encode())
                h, raw = decode(parts)
                self.assertEqual(bool(h["flags"] & 1), want_lz4, "frame %d flags %#x, payload %d of %d bytes"
                                 % (h["frame_seq"], h["flags"], len(parts[2]), h["frame_size"]))
                if want_lz4:
                    self.assertLess(len(parts[2]), h["frame_size"])
                else:
                    self.assertEqual(len(parts[2]), h["frame_size"])
                mine = arena.read(camera, h["frame_seq"])
                if mine is None:
                    continue    # overwritten before this reader got there
                slot_hdr, data = mine
                self.assertEqual(bytes(data), raw, "frame %d differs from the arena's" % h["frame_seq"])
                self.assertEqual(slot_hdr[1], h["capture_realtime_ns"])
                self.assertEqual(h["generation"], arena.generation)
                matched.append(h)
        seqs = [h["frame_seq"] for h in matched]
        self.assertEqual(seqs, sorted(set(seqs)))
        return matched


class LavfiColour(RemoteCase):
    """The real FFmpeg, flat colour: compressed, equal to the arena."""
    ffmpeg = "/usr/bin/ffmpeg"
    cameras = {"colour": {"url": "lavfi:color=c=orange:size=%dx%d:rate=10" % (W, H), "width": W, "height": H,
                          "pix_fmt": "rgb24", "fps": 10, "slots": 30}}
    probe_camera = "colour"

    def test_1_lz4_frames_equal_the_arena(self):
        self.match_arena("colour", 5, want_lz4=True)

    def test_2_sub_lines(self):
        r = self.inst.tool("camarena-sub", "-e", self.tcp, "--count", "4", "--timeout", "30", "colour")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 4, r)
        seqs = []
        for line in lines:
            name, seq, age, size = line.split()
            self.assertEqual((name, int(size)), ("colour", FRAME_SIZE))
            float(age)
            seqs.append(int(seq))
        self.assertEqual(seqs, sorted(set(seqs)))

    def test_3_sub_raw_and_stats(self):
        r = self.inst.tool("camarena-sub", "-e", self.tcp, "--raw", "--count", "3", "--timeout", "30", "colour")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), 3 * FRAME_SIZE)
        # Every frame is the same orange: compare with the arena's newest.
        with self.inst.arena() as arena:
            newest = arena.read("colour", arena.head("colour"))
        if newest is not None:
            self.assertEqual(r.stdout[:FRAME_SIZE], bytes(newest[1]))
        p = subprocess.Popen([os.path.join(harness.BIN, "camarena-sub"), "-e", self.tcp, "--stats", "colour"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            header = p.stdout.readline().decode()
            lines = [p.stdout.readline().decode() for _ in range(2)]
        finally:
            p.terminate()
            p.wait(harness.TIMEOUT)
            p.stdout.close()
            p.stderr.close()
        self.assertIn("capture_realtime_ns", header)
        self.assertTrue(header.startswith("# "), header)
        for line in lines:
            self.assertRegex(line, r"^colour fps \d+\.\d latency p50 (\S+) p99 (\S+) lost \d+ overwritten 0$")
        self.assertTrue(any(float(line.split()[2]) > 0 for line in lines), lines)

    def test_4_sub_snapshot(self):
        png = os.path.join(self.inst.dir, "remote.png")
        r = self.inst.tool("camarena-sub", "-e", self.tcp, "--snapshot", png, "colour")
        self.assertEqual(r.returncode, 0, r)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_5_sub_refuses_keys_without_tcp(self):
        r = self.inst.tool("camarena-sub", "-c", self.inst.conf_path, "--server-key", "/nonexistent", "colour")
        self.assertEqual(r.returncode, 2, r)


def fake(content, fps=25, width=W, height=H, slots=30, **extra):
    cam = harness.fake_camera(url="fake:content=%s" % content, width=width, height=height, fps=fps, slots=slots)
    cam.update(extra)
    return cam


class FakeRandom(RemoteCase):
    """The fake FFmpeg: random frames sent raw, a camera nobody asks data/
    of, the rate limit, and a subscriber that never reads."""
    cameras = {
        "random": fake("random"),
        "quiet": fake("flat"),
        "limited": fake("random", data_rate_limit=RATE_LIMIT),
        "fast": fake("random", fps=FAST[2], width=FAST[0], height=FAST[1], slots=8),
    }
    probe_camera = "random"

    def status_field(self, camera, field):
        c = self.inst.camera_status(camera)
        if field not in c:
            msg = "status has no %s field: camarenad does not report the worker's counter yet" % field
            print("skipped: " + msg, file=sys.stderr)
            self.skipTest(msg)
        return c[field]

    def test_1_random_frames_raw_equal_the_arena(self):
        self.match_arena("random", 5, want_lz4=False)

    def test_2_nothing_compressed_without_a_subscriber(self):
        # quiet has delivered frames, with data/ subscribers on other cameras
        # all along (the probe's, test 1's): none of its frames went to LZ4.
        head = self.inst.wait_frames("quiet", 20)
        self.assertGreaterEqual(head, 20)
        self.assertEqual(self.status_field("quiet", "compressed_frames"), 0)
        # While someone subscribes to data/random/, random's counter moves.
        r = self.remote(["random"])
        self.assertIsNotNone(r.recv(harness.TIMEOUT))
        harness.wait_until(lambda: self.status_field("random", "compressed_frames") > 0,
                           "random's compressed_frames to count")
        self.assertEqual(self.status_field("quiet", "compressed_frames"), 0)

    def test_3_rate_limit(self):
        """Bytes of data/limited/ over frames whose capture times span T stay
        within RATE_LIMIT x T + the bucket (one second's budget, or the
        largest message if more: worker/data.h), on capture times."""
        r = self.remote(["limited"])
        got = []
        first = None
        while first is None or got[-1][0] - first < 4e9:
            parts = r.recv(harness.TIMEOUT)
            self.assertIsNotNone(parts, "no data/limited/ message")
            h, raw = decode(parts)
            self.assertEqual(h["flags"] & 1, 0, "random frames should go raw")
            got.append((h["capture_monotonic_ns"], len(parts[2]), h["frame_seq"]))
            if first is None:
                first = got[0][0]
        span_s = (got[-1][0] - got[0][0]) / 1e9
        sent = sum(n for _, n, _ in got)
        bucket = max(RATE_LIMIT, FRAME_SIZE + 64 + 64)
        made = got[-1][2] - got[0][2] + 1
        if len(got) == made and sent > RATE_LIMIT * span_s + bucket:
            msg = ("every frame of 'limited' was sent (%d B/s): camarenad does not give the worker its "
                   "data_rate_limit (--data-rate) yet" % (sent / span_s))
            print("skipped: " + msg, file=sys.stderr)
            self.skipTest(msg)
        self.assertLessEqual(sent, RATE_LIMIT * span_s + bucket,
                             "%d bytes over %.2f s of capture time, budget %d B/s" % (sent, span_s, RATE_LIMIT))
        # And frames were really held back: the camera made many more.
        self.assertLess(len(got), made * 0.6, "%d of %d frames sent" % (len(got), made))
        # Over a long enough span, the rate is near the budget, not far below.
        self.assertGreater(sent / span_s, RATE_LIMIT * 0.5, "%.0f B/s" % (sent / span_s))

    def test_4_subscriber_that_never_reads(self):
        """A data/ subscriber on every camera that never reads: camarenad and
        the workers stay within their queue bounds while many times those
        bounds are published."""
        if sanitized(self.inst.proc.pid):
            self.skipTest("AddressSanitizer's quarantine keeps freed memory: bounds are measured without it")
        pids = {"camarenad": self.inst.proc.pid}
        for c in self.inst.status()["cameras"]:
            if c["pid"]:
                pids[c["name"]] = c["pid"]
        before = {name: anon_bytes(pid) for name, pid in pids.items()}
        r = self.remote(list(self.cameras), rcvhwm=1)
        r.sock.setsockopt(zmq.RCVBUF, 4096)
        fast_frame = FAST[0] * FAST[1] * 3
        # camarenad queues at most 256 messages per subscriber
        # (supervisor.c PUB_SNDHWM); a worker's data queue holds at most 8 MiB.
        bound = {"camarenad": 256 * (fast_frame + 256) + SLACK}
        for name in self.cameras:
            bound[name] = (8 << 20) + SLACK
        start_head = self.inst.wait_frames("fast", 1)
        peak = dict(before)
        deadline = time.monotonic() + SLOW_SAMPLE_S
        while time.monotonic() < deadline:
            for name, pid in pids.items():
                m = anon_bytes(pid)
                if m is not None and before[name] is not None:
                    peak[name] = max(peak[name], m)
            time.sleep(0.25)
        with self.inst.arena() as arena:
            published = (arena.head("fast") - start_head) * fast_frame
        self.assertGreater(published, 2 * bound["camarenad"],
                           "the test published too little (%d bytes) to tell a bound from a leak" % published)
        for name, pid in pids.items():
            if before[name] is None:
                continue
            grown = peak[name] - before[name]
            self.assertLessEqual(grown, bound[name], "%s grew %.1f MiB with a subscriber that never reads "
                                 "(bound %.1f MiB)" % (name, grown / 2**20, bound[name] / 2**20))
        # And the instance is still well: the never-reading subscriber did not
        # stop the others.
        again = self.remote(["random"])
        self.assertIsNotNone(again.recv(harness.TIMEOUT), "data/ stopped flowing")


if __name__ == "__main__":
    unittest.main(verbosity=2)
