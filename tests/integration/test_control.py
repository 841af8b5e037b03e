#!/usr/bin/python3
"""Control requests (SPEC 6): every verb answers as it should, and whatever
is malformed (random bytes, 10 KB, empty parts, unknown verbs or cameras,
missing or extra arguments) gets "error" and a sentence, after which the
daemon still answers ping and still delivers frames."""
import json
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAMERAS = {
    "lobby": harness.fake_camera("fake:rate=25"),
    "yard": harness.fake_camera("fake:rate=10"),
}

STATUS_KEYS = {"name", "state", "reason", "pid", "ffmpeg_pid", "fps", "frames", "dropped", "restarts",
               "backoff_ms", "memory_bytes", "last_frame_age_ms", "priority", "decimation"}


class Control(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = harness.Instance(CAMERAS)
        cls.inst.wait_frames("lobby", 1)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.inst.stop()
        finally:
            cls.inst.cleanup()

    def assertServing(self):
        self.assertEqual(self.inst.ctl("ping"), ("ok", "pong"))

    def assertError(self, parts):
        reply = self.inst.ctl_raw(parts)
        self.assertEqual(len(reply), 2, "reply to %r: %r" % (parts[:2], reply))
        self.assertEqual(reply[0], b"error", "reply to %r: %r" % ([p[:40] for p in parts], reply))
        self.assertTrue(reply[1].strip(), "an error without a sentence")
        self.assertServing()

    def test_verbs(self):
        self.assertServing()
        st = self.inst.status()
        self.assertEqual(st["instance"], self.inst.name)
        self.assertEqual(st["pid"], self.inst.proc.pid)
        for key in ("level", "ratio", "used_bytes", "limit_bytes", "actions"):
            self.assertIn(key, st["pressure"])
        self.assertEqual(sorted(c["name"] for c in st["cameras"]), sorted(CAMERAS))
        for c in st["cameras"]:
            self.assertTrue(STATUS_KEYS <= set(c), "missing %s" % (STATUS_KEYS - set(c)))
        one = json.loads(self.inst.ok("status", "yard"))
        self.assertEqual([c["name"] for c in one["cameras"]], ["yard"])
        metrics = self.inst.ok("metrics")
        self.assertIn('camarena_frames_total{camera="lobby"}', metrics)
        self.assertIn("camarena_memory_used_bytes", metrics)
        for line in metrics.splitlines():
            self.assertTrue(line.startswith("#") or len(line.split()) == 2, "metrics line %r" % line)

    def test_malformed(self):
        rng = random.Random(4242)
        for _ in range(20):
            self.assertError([bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))])
        self.assertError([b"x" * 10240])                  # 10 KB in one part
        self.assertError([b"status", b"y" * 10240])       # 10 KB in an argument
        self.assertError([b"ping"] + [b"z" * 1000] * 5)   # over 4 KiB in parts
        self.assertError([b""])                           # an empty verb
        self.assertError([b"restart", b""])               # an empty camera
        self.assertError([b"pause", b"lobby", b""])       # an extra empty part
        self.assertError([b"ping\0"])                     # a NUL in the verb
        self.assertError([b"frobnicate"])
        self.assertError([b"PING"])
        self.assertError([b"restart", b"nosuch"])
        self.assertError([b"pause", b"nosuch"])
        self.assertError([b"resume", b"nosuch"])
        self.assertError([b"status", b"nosuch"])
        self.assertError([b"restart"])                    # a missing camera
        self.assertError([b"restart", b"lobby", b"yard"])
        self.assertError([b"reload", b"lobby"])           # reload takes no argument
        # Still serving, and the cameras were never disturbed.
        self.assertServing()
        for c in self.inst.status()["cameras"]:
            self.assertEqual(c["restarts"], 0, c)
        with self.inst.arena() as arena:
            head = arena.head("lobby")
        self.inst.wait_frames("lobby", head + 1)


if __name__ == "__main__":
    harness.main()
