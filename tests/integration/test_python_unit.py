#!/usr/bin/python3
"""test_python_unit.py - the Python client (tools/python/camarena.py) against
arenas and publishers this test builds itself, without camarenad.

The fake arenas are written byte by byte with struct from the layout of
SPEC 3, into /dev/shm objects with names unique to this process; every one
is removed at the end, whatever happens. The publishers are ZeroMQ XPUB
sockets on a temporary ipc path or on 127.0.0.1: the test waits for the
subscription message before it publishes, so nothing depends on timing.
Run with /usr/bin/python3 (python3-zmq, python3-numpy, python3-lz4).
"""

import atexit
import json
import mmap
import multiprocessing
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import lz4.block
import numpy as np
import zmq
import zmq.utils.monitor

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.join(HERE, "..", "..", "tools", "python")
sys.path.insert(0, CLIENT_DIR)
import camarena  # noqa: E402

PAGE = 4096
GUARD_S = 30.0  # failure guard for waits, never a pass condition

_made = []  # every /dev/shm path this process created


def _cleanup():
    for p in _made:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


atexit.register(_cleanup)


def page_round(n):
    return (n + PAGE - 1) // PAGE * PAGE


def frame_size(pix_fmt, w, h):
    cw, ch = (w + 1) // 2, (h + 1) // 2
    return {"bgr24": 3 * w * h, "rgb24": 3 * w * h, "bgra": 4 * w * h, "rgba": 4 * w * h,
            "gray": w * h, "yuv420p": w * h + 2 * cw * ch, "nv12": w * h + 2 * cw * ch}[pix_fmt]


def pattern(size, f):
    """Known content of frame f: bytes that differ between frames and positions."""
    return ((np.arange(size, dtype=np.uint32) * 7 + f * 13) % 256).astype(np.uint8)


_counter = [0]


def unique_name():
    _counter[0] += 1
    return "pytest-%d-%d" % (os.getpid(), _counter[0])


class FakeArena:
    """An arena laid out as SPEC 3 says, in /dev/shm, writable by the test."""

    def __init__(self, cameras, capacity=8, generation=0x1234, name=None):
        """cameras: list of (name, pix_fmt, width, height, slot_count)."""
        self.name = name or unique_name()
        self.path = "/dev/shm/camarena-" + self.name
        self.generation = generation
        self.cams = {}
        off = page_round(4096 + capacity * 256)
        for i, (cname, fmt, w, h, slots) in enumerate(cameras):
            fs = frame_size(fmt, w, h)
            part = off
            slots_off = part + 64
            data = page_round(slots_off + slots * 64)
            stride = page_round(fs)
            size = data - part + slots * stride
            self.cams[cname] = dict(index=i, fmt=fmt, w=w, h=h, fs=fs, slots=slots, part=part,
                                    psize=size, slots_off=slots_off, data=data, stride=stride)
            off = part + size
        self.size = off
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        _made.append(self.path)
        try:
            os.ftruncate(fd, self.size)
            self.mm = mmap.mmap(fd, self.size)
        finally:
            os.close(fd)
        struct.pack_into("<8sIIQQIIQIIQQ", self.mm, 0, b"CAMARENA", 1, 4096, self.size, generation,
                         os.getpid(), len(cameras), 4096, 256, capacity, 5, 1_700_000_000 * 10**9)
        for cname, c in self.cams.items():
            struct.pack_into("<64s16sIIIIQQQQQII", self.mm, 4096 + c["index"] * 256,
                             cname.encode(), c["fmt"].encode(), c["w"], c["h"], c["fs"], c["slots"],
                             c["part"], c["psize"], c["slots_off"], c["data"], c["stride"], 2, 50)

    def seq_off(self, cam, f):
        c = self.cams[cam]
        return c["slots_off"] + ((f - 1) % c["slots"]) * 64

    def data_off(self, cam, f):
        c = self.cams[cam]
        return c["data"] + ((f - 1) % c["slots"]) * c["stride"]

    def set_seq(self, cam, f, value):
        struct.pack_into("<Q", self.mm, self.seq_off(cam, f), value)

    def set_head(self, cam, f):
        struct.pack_into("<Q", self.mm, self.cams[cam]["part"], f)

    def write_bytes(self, cam, f, content):
        o = self.data_off(cam, f)
        self.mm[o:o + len(content)] = bytes(content)

    def begin(self, cam, f):
        """Frame f is being written: its slot's seq is odd."""
        self.set_seq(cam, f, 2 * f - 1)

    def commit(self, cam, f, content=None):
        c = self.cams[cam]
        if content is None:
            content = pattern(c["fs"], f)
        self.begin(cam, f)
        self.write_bytes(cam, f, content)
        struct.pack_into("<QQII", self.mm, self.seq_off(cam, f) + 8,
                         1_700_000_000 * 10**9 + f, 1000 + f, c["fs"], 0)
        self.set_seq(cam, f, 2 * f)
        self.set_head(cam, f)

    def put(self, off, fmt, *values):
        struct.pack_into(fmt, self.mm, off, *values)

    def truncate(self, size):
        os.truncate(self.path, size)

    def remove(self):
        if self.mm is not None:
            self.mm.close()
            self.mm = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


FORMATS = [("c-bgr24", "bgr24", 5, 3, (3, 5, 3)), ("c-rgb24", "rgb24", 4, 2, (2, 4, 3)),
           ("c-bgra", "bgra", 3, 3, (3, 3, 4)), ("c-rgba", "rgba", 2, 5, (5, 2, 4)),
           ("c-gray", "gray", 7, 3, (3, 7)), ("c-yuv420p", "yuv420p", 5, 3, (15 + 2 * 3 * 2,)),
           ("c-nv12", "nv12", 4, 4, (16 + 2 * 2 * 2,))]


class ArenaTest(unittest.TestCase):
    def make(self, *args, **kw):
        fa = FakeArena(*args, **kw)
        self.addCleanup(fa.remove)
        return fa

    def open(self, fa):
        a = camarena.Arena(fa.name)
        self.addCleanup(a.close)
        return a

    def test_cameras_info_and_shapes_per_format(self):
        fa = self.make([(n, fmt, w, h, 3) for n, fmt, w, h, _ in FORMATS])
        for n, *_ in FORMATS:
            for f in (1, 2):
                fa.commit(n, f)
        a = self.open(fa)
        self.assertEqual(a.cameras, [n for n, *_ in FORMATS])
        self.assertEqual(a.generation, fa.generation)
        for n, fmt, w, h, shape in FORMATS:
            info = a.camera(n)
            self.assertEqual((info.pix_fmt, info.width, info.height, info.slot_count, info.state, info.priority),
                             (fmt, w, h, 3, 2, 50))
            self.assertEqual(info.frame_size, frame_size(fmt, w, h))
            self.assertEqual(a.head(n), 2)
            for f in (a.latest(n), a.copy(n), a.frame(n, 1), a.copy(n, 1)):
                self.assertEqual(f.array.shape, shape, n)
                self.assertEqual(f.array.dtype, np.uint8)
                self.assertEqual(f.array.tobytes(), pattern(info.frame_size, f.seq).tobytes(), n)
                self.assertTrue(f.valid())
                self.assertEqual(f.camera, n)
                self.assertEqual(f.capture_ns, 1_700_000_000 * 10**9 + f.seq)
                self.assertEqual(f.capture_monotonic_ns, 1000 + f.seq)
                header, array = f
                self.assertIs(array, f.array)
                self.assertEqual((header.frame_seq, header.pix_fmt, header.width, header.height,
                                  header.camera_index, header.generation), (f.seq, fmt, w, h, info.index, fa.generation))
            self.assertEqual(a.latest(n).seq, 2)

    def test_pixel_layout_bgr24(self):
        fa = self.make([("cam", "bgr24", 2, 2, 2)])
        raw = bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        fa.commit("cam", 1, raw)
        a = self.open(fa)
        arr = a.latest("cam").array
        self.assertEqual(arr[0, 1].tolist(), [4, 5, 6])   # row 0, column 1: B G R
        self.assertEqual(arr[1, 0].tolist(), [7, 8, 9])

    def test_view_is_zero_copy_and_read_only(self):
        fa = self.make([("cam", "gray", 8, 8, 2)])
        fa.commit("cam", 1)
        a = self.open(fa)
        view = a.latest("cam")
        copy = a.copy("cam")
        self.assertFalse(view.array.flags.writeable)
        with self.assertRaises((ValueError, TypeError)):
            view.array[0, 0] = 1
        fa.write_bytes("cam", 1, b"\xee" * 64)   # the slot's bytes change under the view...
        self.assertTrue((view.array == 0xEE).all())
        self.assertEqual(copy.array.tobytes(), pattern(64, 1).tobytes())  # ...not under the copy
        self.assertTrue(view.copied is False and copy.copied is True)

    def test_valid_false_once_the_slot_is_rewritten(self):
        fa = self.make([("cam", "rgb24", 4, 4, 2)])
        fa.commit("cam", 1)
        fa.commit("cam", 2)
        a = self.open(fa)
        f = a.latest("cam")
        g = a.copy("cam")
        self.assertTrue(f.valid())
        fa.begin("cam", 4)            # frame 4 takes frame 2's slot: odd seq
        self.assertFalse(f.valid())
        fa.commit("cam", 4)
        self.assertFalse(f.valid())
        self.assertTrue(g.valid())    # a copy stays good
        self.assertEqual(g.array.tobytes(), pattern(48, 2).tobytes())

    def test_frame_states(self):
        fa = self.make([("cam", "gray", 4, 2, 4)])
        for f in range(1, 7):         # slots now hold frames 5, 6, 3, 4
            fa.commit("cam", f)
        a = self.open(fa)
        self.assertEqual(a.head("cam"), 6)
        for f in (3, 4, 5, 6):
            self.assertEqual(a.frame("cam", f).array.tobytes(), pattern(8, f).tobytes())
        for f in (1, 2):
            with self.assertRaises(camarena.FrameGone):
                a.frame("cam", f)
            with self.assertRaises(camarena.FrameGone):
                a.copy("cam", f)
        with self.assertRaises(camarena.FrameNotReady):
            a.frame("cam", 7)
        with self.assertRaises(camarena.FrameNotReady):
            a.frame("cam", 0)
        fa.begin("cam", 7)            # frame 7 being written over frame 3
        with self.assertRaises(camarena.FrameNotReady):
            a.frame("cam", 7)
        with self.assertRaises(camarena.FrameGone):
            a.frame("cam", 3)
        self.assertEqual(a.latest("cam").seq, 6)
        fa.set_seq("cam", 7, 0)       # frame 7 cut short: the slot is empty
        with self.assertRaises(camarena.FrameGone):
            a.frame("cam", 3)
        self.assertTrue(issubclass(camarena.FrameGone, camarena.CamarenaError))

    def test_no_frame_yet_and_unknown_camera(self):
        fa = self.make([("cam", "gray", 4, 2, 2)])
        a = self.open(fa)
        self.assertEqual(a.head("cam"), 0)
        self.assertIsNone(a.latest("cam"))
        self.assertIsNone(a.copy("cam"))
        with self.assertRaises(KeyError):
            a.latest("nope")
        with self.assertRaises(KeyError):
            a.camera("")

    def test_free_descriptor_and_reuse(self):
        fa = self.make([("one", "gray", 4, 2, 2), ("two", "gray", 4, 2, 2)])
        a = self.open(fa)
        self.assertEqual(a.cameras, ["one", "two"])
        a.camera("two")                              # caches its index
        fa.put(4096 + 1 * 256, "<64s", b"")          # a reload frees descriptor 1
        self.assertEqual(a.cameras, ["one"])
        with self.assertRaises(KeyError):
            a.camera("two")
        fa.put(4096 + 0 * 256, "<64s", b"two")       # and names descriptor 0 "two"
        self.assertEqual(a.camera("two").index, 0)

    def test_close_with_live_views(self):
        fa = self.make([("cam", "gray", 4, 2, 2)])
        fa.commit("cam", 1)
        a = camarena.Arena(fa.name)
        f = a.latest("cam")
        a.close()
        a.close()
        self.assertEqual(f.array.tobytes(), pattern(8, 1).tobytes())   # still mapped
        self.assertTrue(f.valid())
        with self.assertRaises(ValueError):
            a.latest("cam")
        with camarena.Arena(fa.name) as b:
            self.assertEqual(b.cameras, ["cam"])

    def test_missing_instance(self):
        with self.assertRaises(FileNotFoundError):
            camarena.Arena(unique_name())


class CorruptArenaTest(unittest.TestCase):
    """A truncated or corrupt object raises ValueError, never crashes."""

    def make(self, cams=(("cam", "bgr24", 8, 8, 3),)):
        fa = FakeArena(list(cams))
        self.addCleanup(fa.remove)
        fa.commit("cam", 1)
        return fa

    def refused(self, fa, words):
        with self.assertRaises(ValueError) as cm:
            camarena.Arena(fa.name)
        self.assertIn(words, str(cm.exception))

    def test_truncated(self):
        fa = self.make()
        fa.mm.close()
        fa.mm = None
        fa.truncate(fa.size - PAGE)
        self.refused(fa, "truncated")

    def test_shorter_than_a_header(self):
        for size in (0, 1, 100, 4095):
            fa = self.make()
            fa.mm.close()
            fa.mm = None
            fa.truncate(size)
            self.refused(fa, "too short")

    def test_bad_magic(self):
        fa = self.make()
        fa.put(0, "<8s", b"CAMAREN\0")
        self.refused(fa, "magic")

    def test_bad_version_sizes_and_offsets(self):
        for off, fmt, value, words in ((8, "<I", 2, "version"), (12, "<I", 8192, "header_size"),
                                       (48, "<I", 128, "camera_desc_size"), (16, "<Q", 1 << 40, "arena_size"),
                                       (40, "<Q", 1 << 40, "descriptors"), (52, "<I", 1 << 30, "descriptors"),
                                       (40, "<Q", 0, "descriptors"), (36, "<I", 9, "camera_count")):
            fa = self.make()
            fa.put(off, fmt, value)
            self.refused(fa, words)

    def test_corrupt_descriptor(self):
        # Each case breaks one field of the descriptor; the arena opens (the
        # other cameras stay readable) but this camera raises ValueError.
        cases = ((96, "<Q", 1 << 40), (104, "<Q", 1 << 40), (112, "<Q", 0), (112, "<Q", 1 << 40),
                 (120, "<Q", 1 << 40), (128, "<Q", 8), (92, "<I", 0), (92, "<I", 1 << 20),
                 (88, "<I", 0), (88, "<I", 1 << 30), (120, "<Q", 4096))
        for off, fmt, value in cases:
            fa = self.make((("cam", "bgr24", 8, 8, 3), ("ok", "gray", 4, 4, 2)))
            fa.put(4096 + off, fmt, value)
            with camarena.Arena(fa.name) as a:
                self.assertEqual(a.cameras, ["cam", "ok"])
                for call in (a.camera, a.latest, a.copy, a.head):
                    with self.assertRaises(ValueError, msg="%d %r" % (off, value)):
                        call("cam")
                self.assertIsNone(a.latest("ok"))

    def test_size_not_matching_the_format_is_flat(self):
        fa = self.make()
        fa.put(4096 + 80, "<I", 7)   # width 7: 7x8x3 != frame_size 192
        with camarena.Arena(fa.name) as a:
            self.assertEqual(a.latest("cam").array.shape, (192,))


def _writer(path, cam, frames):
    """A child process: writes frames 2.. of cam as the real writer does (odd
    seq, bytes, even seq, head), each frame one byte value throughout. The
    u64 stores go through a numpy uint64 view, one aligned 8-byte store each,
    as the C writer's atomic stores are: struct.pack_into writes byte by byte."""
    fd = os.open(path, os.O_RDWR)
    mm = mmap.mmap(fd, 0)
    os.close(fd)
    part, slots_off, data, stride, fs, slots = cam
    arr = np.frombuffer(mm, dtype=np.uint8)
    words = np.frombuffer(mm, dtype="<u8")
    for f in range(2, frames + 2):
        slot = (f - 1) % slots
        words[(slots_off + slot * 64) >> 3] = 2 * f - 1
        arr[data + slot * stride:data + slot * stride + fs] = f % 251
        words[(slots_off + slot * 64) >> 3] = 2 * f
        words[part >> 3] = f
    del arr, words
    mm.close()


class TornTest(unittest.TestCase):
    def test_copy_never_returns_torn_data(self):
        """A writer in another process rewrites a small ring as fast as it
        can while this process copies: every copy must hold one frame whole."""
        fa = FakeArena([("cam", "bgr24", 320, 240, 3)])
        self.addCleanup(fa.remove)
        c = fa.cams["cam"]
        fa.commit("cam", 1, np.full(c["fs"], 1, dtype=np.uint8))
        cam = (c["part"], c["slots_off"], c["data"], c["stride"], c["fs"], c["slots"])
        frames = 20000
        proc = multiprocessing.get_context("fork").Process(target=_writer, args=(fa.path, cam, frames))
        good = gone = torn_views = 0
        with camarena.Arena(fa.name) as a:
            proc.start()
            deadline = time.monotonic() + GUARD_S
            while proc.is_alive() and time.monotonic() < deadline:
                try:
                    g = a.copy("cam")
                except camarena.FrameGone:
                    gone += 1
                    continue
                flat = g.array.reshape(-1)
                self.assertTrue((flat == g.seq % 251).all(), "torn copy of frame %d" % g.seq)
                good += 1
                v = a.latest("cam")
                flat = v.array.reshape(-1)
                whole = bool((flat == flat[0]).all())
                if not whole:
                    self.assertFalse(v.valid(), "a torn view passed valid()")
                    torn_views += 1
            proc.join(GUARD_S)
        self.assertEqual(proc.exitcode, 0)
        self.assertGreater(good, 0)
        sys.stderr.write("\n  copies %d whole, %d gave up; %d torn views caught by valid() ... " %
                         (good, gone, torn_views))


def data_message(camera, raw, compress, seq=7, fmt="rgb24", w=4, h=2, gen=99):
    flags = 1 if compress else 0
    header = struct.pack("<HHIQQQQIIHHI8s", 1, 64, flags, gen, seq, 111, 222, (seq - 1) % 3,
                         len(raw), w, h, 3, fmt.encode())
    payload = lz4.block.compress(raw, store_size=False) if compress else raw
    return [("data/%s/" % camera).encode(), header, payload]


class DecodeTest(unittest.TestCase):
    def test_header(self):
        raw = struct.pack("<HHIQQQQIIHHI8s", 1, 64, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, b"yuv420p")
        h = camarena.decode_header(raw)
        self.assertEqual(h, camarena.FrameHeader(1, 64, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, "yuv420p"))
        h = camarena.decode_header(struct.pack("<HHIQQQQIIHHI8s", 1, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b"nv12cdef"))
        self.assertEqual(h.pix_fmt, "nv12cdef")   # NUL-padded, not NUL-terminated
        for bad in (raw[:63], raw + b"\0", b"\2\0" + raw[2:], raw[:2] + b"\x20\0" + raw[4:]):
            with self.assertRaises(ValueError):
                camarena.decode_header(bad)

    def test_lz4_and_raw_payloads(self):
        raw = bytes(range(4 * 2 * 3))
        for compress in (True, False):
            parts = data_message("front", raw, compress)
            h = camarena.decode_header(parts[1])
            self.assertEqual(camarena.decode_payload(h, parts[2]), raw)
            f = camarena.decode_data(parts)
            self.assertEqual((f.camera, f.seq, f.capture_ns, f.capture_monotonic_ns), ("front", 7, 111, 222))
            self.assertEqual(f.array.shape, (2, 4, 3))
            self.assertEqual(f.array.tobytes(), raw)
            self.assertTrue(f.valid() and f.copied)
        big = bytes(640 * 480 * 3)
        parts = data_message("front", big, True, w=640, h=480)
        self.assertLess(len(parts[2]), len(big) // 100)
        self.assertEqual(camarena.decode_data(parts).array.shape, (480, 640, 3))

    def test_bad_payloads(self):
        raw = bytes(range(24))
        parts = data_message("front", raw, True)
        bad_block = list(parts)
        bad_block[2] = b"\xff" * 10
        short = data_message("front", raw[:-1], False)
        short[1] = data_message("front", raw, False)[1]   # header says 24, payload has 23
        longer = list(parts)
        longer[1] = data_message("front", raw + b"x" * 8, True)[1]  # says 32, the block gives 24
        for bad in (bad_block, short, longer, parts[:2], [b"frame/front/"] + parts[1:]):
            with self.assertRaises(ValueError):
                camarena.decode_data(bad)

    def test_instance_from_endpoint(self):
        self.assertEqual(camarena.instance_from_endpoint("ipc:///run/camarena/default.pub"), "default")
        self.assertIsNone(camarena.instance_from_endpoint("ipc:///run/camarena/default.ctl"))
        self.assertIsNone(camarena.instance_from_endpoint("tcp://127.0.0.1:7200"))

    def test_load_key(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        pub, secret = zmq.curve_keypair()
        for text in (pub.decode() + "\n", "# a key\n\n" + pub.decode() + "\n",
                     'metadata\ncurve\n    public-key = "%s"\n' % pub.decode(),
                     "  " + "=#" * 20 + "  \n"):
            if text.startswith("  "):
                pub = ("=#" * 20).encode()
            p = os.path.join(d, "k")
            with open(p, "w") as fp:
                fp.write(text)
            self.assertEqual(camarena.load_key(p), pub)
        with open(p, "w") as fp:
            fp.write("nothing\n")
        with self.assertRaises(ValueError):
            camarena.load_key(p)


class Publisher:
    """An XPUB the test publishes on, waiting for subscriptions instead of sleeping."""

    def __init__(self, endpoint, secret_key=None):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.XPUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        if secret_key is not None:
            self.sock.curve_server = True
            self.sock.curve_secretkey = secret_key
        if endpoint.endswith(":0"):
            self.sock.bind(endpoint)
            self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)
        else:
            self.sock.bind(endpoint)
            self.endpoint = endpoint

    def wait_subscriptions(self, topics):
        want = set(t.encode() for t in topics)
        got = set()
        deadline = time.monotonic() + GUARD_S
        while not want <= got:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise AssertionError("subscriptions %r never came (got %r)" % (want, got))
            msg = self.sock.recv()
            if msg[:1] == b"\1":
                got.add(msg[1:])

    def send(self, parts):
        self.sock.send_multipart(parts)

    def close(self):
        self.sock.close(0)
        self.ctx.term()


def frame_message(fa, cam, seq, generation=None):
    c = fa.cams[cam]
    header = struct.pack("<HHIQQQQIIHHI8s", 1, 64, 0, fa.generation if generation is None else generation,
                         seq, 0, 0, (seq - 1) % c["slots"], c["fs"], c["w"], c["h"], c["index"], c["fmt"].encode())
    return [("frame/%s/" % cam).encode(), header]


class SubscriberTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def publisher(self, endpoint, **kw):
        p = Publisher(endpoint, **kw)
        self.addCleanup(p.close)
        return p

    def test_local_frames_from_the_arena(self):
        fa = FakeArena([("cam", "bgr24", 4, 3, 3), ("other", "gray", 2, 2, 2)])
        self.addCleanup(fa.remove)
        pub = self.publisher("ipc://%s/%s.pub" % (self.dir, fa.name))
        with camarena.Subscriber(pub.endpoint, ["cam"], events=True, pressure=True, timeout=GUARD_S) as sub:
            self.assertEqual(sub.instance, fa.name)
            pub.wait_subscriptions(["frame/cam/", "event/cam/", "pressure/"])
            fa.commit("cam", 1)
            pub.send(frame_message(fa, "cam", 1))
            first = next(sub)
            self.assertIsInstance(first, camarena.Frame)
            self.assertEqual((first.camera, first.seq), ("cam", 1))
            self.assertTrue(first.copied)
            self.assertEqual(first.array.shape, (3, 4, 3))
            for f in range(2, 6):
                fa.commit("cam", f)    # frames 1 and 2 are overwritten by 4 and 5 (3 slots)
            self.assertEqual(first.array.tobytes(), pattern(36, 1).tobytes())   # the copy kept it
            pub.send(frame_message(fa, "cam", 2))
            pub.send(frame_message(fa, "cam", 1, generation=fa.generation + 1))   # another arena's
            pub.send([b"event/cam/", json.dumps({"camera": "cam", "state": "running"}).encode()])
            pub.send([b"event/cam/", b"{not json"])
            pub.send(frame_message(fa, "cam", 5))
            pub.send([b"pressure/", json.dumps({"level": "low", "ratio": 0.61}).encode()])
            got = [next(sub) for _ in range(3)]
            self.assertIsInstance(got[0], camarena.Event)
            self.assertEqual((got[0].kind, got[0]["state"]), ("event", "running"))
            self.assertEqual((got[1].camera, got[1].seq), ("cam", 5))
            self.assertEqual(got[1].array.tobytes(), pattern(36, 5).tobytes())
            self.assertEqual((got[2].kind, got[2]["level"]), ("pressure", "low"))
            self.assertEqual(sub.skipped, 2)    # frame 2 gone, the other generation's
            self.assertEqual(sub.errors, 1)     # the bad JSON
            self.assertIsNone(sub.recv(timeout=0))

    def test_local_views_when_asked(self):
        fa = FakeArena([("cam", "gray", 4, 2, 2)])
        self.addCleanup(fa.remove)
        pub = self.publisher("ipc://%s/custom.pub" % self.dir)
        with self.assertRaises(ValueError):
            camarena.Subscriber("ipc://%s/custom.sock" % self.dir, ["cam"])
        with camarena.Subscriber(pub.endpoint, [], instance=fa.name, copy=False) as sub:
            pub.wait_subscriptions(["frame/"])
            fa.commit("cam", 1)
            pub.send(frame_message(fa, "cam", 1))
            f = sub.recv(GUARD_S)
            self.assertFalse(f.copied)
            self.assertTrue(f.valid())
            fa.begin("cam", 3)
            self.assertFalse(f.valid())

    def remote(self, **curve):
        pub_kw, sub_kw = {}, {}
        if curve:
            server_pub, server_secret = zmq.curve_keypair()
            pub_kw["secret_key"] = server_secret
            sub_kw = dict(server_key=server_pub.decode(), client_keys=zmq.curve_keypair())
        pub = self.publisher("tcp://127.0.0.1:0", **pub_kw)
        with camarena.Subscriber(pub.endpoint, ["front", "back"], timeout=GUARD_S, **sub_kw) as sub:
            self.assertFalse(sub.local)
            pub.wait_subscriptions(["data/front/", "data/back/"])
            raw = bytes(range(24))
            pub.send(data_message("front", raw, True, seq=1))
            pub.send(data_message("back", b"\xff" * 10, True, seq=1)[:2] + [b"\1\2"])   # a bad block
            pub.send(data_message("back", raw, False, seq=2))
            a, b = next(sub), next(sub)
            self.assertEqual((a.camera, a.seq, a.array.tobytes(), a.header.flags), ("front", 1, raw, 1))
            self.assertEqual((b.camera, b.seq, b.array.tobytes(), b.header.flags), ("back", 2, raw, 0))
            self.assertEqual(a.array.shape, (2, 4, 3))
            self.assertEqual(sub.errors, 1)

    def test_remote_data(self):
        self.remote()

    def test_remote_data_with_curve(self):
        self.remote(curve=True)

    def test_curve_refuses_plaintext(self):
        _server_pub, server_secret = zmq.curve_keypair()
        pub = self.publisher("tcp://127.0.0.1:0", secret_key=server_secret)
        monitor = pub.sock.get_monitor_socket()
        self.addCleanup(monitor.close, 0)
        failed = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                  zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        with camarena.Subscriber(pub.endpoint, ["front"]) as sub:
            deadline = time.monotonic() + GUARD_S
            while True:
                left = deadline - time.monotonic()
                self.assertTrue(left > 0 and monitor.poll(int(left * 1000)), "no handshake failure seen")
                if zmq.utils.monitor.recv_monitor_message(monitor)["event"] in failed:
                    break
            # The plaintext link never came up, so no subscription reached the server.
            self.assertFalse(pub.sock.poll(0))
            self.assertIsNone(sub.recv(timeout=0))
        pub.sock.disable_monitor()

    def test_timeout(self):
        pub = self.publisher("tcp://127.0.0.1:0")
        with camarena.Subscriber(pub.endpoint, ["front"], timeout=0.05) as sub:
            with self.assertRaises(TimeoutError):
                next(sub)


class ScriptTest(unittest.TestCase):
    def test_lists_cameras(self):
        fa = FakeArena([("front-door", "bgr24", 4, 3, 3), ("yard", "gray", 2, 2, 2)])
        self.addCleanup(fa.remove)
        fa.commit("front-door", 1)
        script = os.path.join(CLIENT_DIR, "camarena.py")
        r = subprocess.run(["/usr/bin/python3", script, fa.name], capture_output=True, text=True, timeout=GUARD_S)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(any(line.split()[:5] == ["front-door", "bgr24", "4x3", "3", "running"] for line in lines), r.stdout)
        self.assertTrue(any(line.startswith("yard ") for line in lines), r.stdout)
        r = subprocess.run(["/usr/bin/python3", script, unique_name()], capture_output=True, text=True, timeout=GUARD_S)
        self.assertEqual(r.returncode, 1)
        r = subprocess.run(["/usr/bin/python3", script], capture_output=True, text=True, timeout=GUARD_S)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        _cleanup()
