#!/usr/bin/python3
"""harness.py - runs a camarenad instance for an integration test.

An Instance makes a temporary directory (the runtime_dir is inside it),
writes a conf with a unique instance name and short timings, starts
camarenad on it and waits until it answers ping. It gives the test:

  ctl(verb, *args)           -> (status, body): one control request over REQ
  status()                   -> the parsed JSON of `status`
  events                     an EventLog: every event/ message since start
  subscribe(topics)          -> a Subscriber (SUB socket) on the .pub endpoint
  arena()                    -> an Arena: the shared memory mapped read-only
  rewrite_conf(...)          writes the conf file again (for reload), camarenad still running
  stop()                     SIGTERM, waits, asserts exit status 0
  cleanup()                  kills whatever is left (always called by __exit__)

Deadlines here are failure guards only (generous, TIMEOUT seconds): no test
asserts that something happened within a time.

Fake FFmpeg frames (tests/fakeframe.h) are checked by fake_frame_check:
the FNV-1a checksum always, the splitmix64 pattern on request.
"""
import json
import mmap
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import zmq

BUILD = os.environ.get("CAMARENA_BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
BUILD = os.path.abspath(BUILD)
BIN = os.path.join(BUILD, "bin")
FAKE_FFMPEG = os.path.join(BUILD, "tests", "fake-ffmpeg")
REAL_FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
TIMEOUT = float(os.environ.get("CAMARENA_TEST_TIMEOUT", "60"))

# Short timings of SPEC 2, so that restarts and backoff are quick to watch.
FAST_SUPERVISOR = {
    "backoff_initial": "100ms",
    "backoff_max": "800ms",
    "backoff_multiplier": "2.0",
    "backoff_jitter": "0.2",
    "backoff_reset": "2s",
    "monitor_interval": "100ms",
    "stall_timeout": "1s",
    "log_level": "debug",
}

_counter = [0]


def log(*args):
    print("#", *args, file=sys.stderr, flush=True)


def wait_until(pred, what, timeout=TIMEOUT, interval=0.05):
    """Polls pred() until it returns something true and returns that; raises
    AssertionError naming what after timeout seconds (a failure guard)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("gave up after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---- fake FFmpeg frames ------------------------------------------------

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
MASK = (1 << 64) - 1


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def splitmix_stream(seed, nbytes):
    """The bytes of tests/fakeframe.h's stream seeded with seed."""
    n = (nbytes + 7) // 8
    with np.errstate(over="ignore"):
        k = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + k * np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        z = z ^ (z >> np.uint64(31))
    return z.astype("<u8").tobytes()[:nbytes]


def fake_frame_check(data, pattern=True):
    """Returns the fake's own counter of a whole frame, or raises
    AssertionError if the checksum (or, with pattern, the stream) is wrong."""
    size = len(data)
    assert size >= 16, "frame of %d bytes" % size
    want = struct.unpack_from("<Q", data, size - 8)[0]
    got = fnv1a64(data[:size - 8])
    assert got == want, "FNV-1a of the frame is %#x, its last 8 bytes say %#x" % (got, want)
    counter = struct.unpack_from("<Q", data, 0)[0]
    if pattern:
        stream = splitmix_stream(counter, size - 16)
        assert bytes(data[8:size - 8]) == stream, "frame %d: the pattern is not the fake's" % counter
    return counter


# ---- the arena (SPEC 3) ------------------------------------------------

HEADER = struct.Struct("<8sIIQQIIQIIQQ")
DESC = struct.Struct("<64s16sIIIIQQQQQII")
SLOT = struct.Struct("<QQQII")


class Camera:
    def __init__(self, index, fields):
        (name, pix_fmt, self.width, self.height, self.frame_size, self.slot_count,
         self.partition_offset, self.partition_size, self.slots_offset, self.data_offset,
         self.slot_stride, self.state, self.priority) = fields
        self.index = index
        self.name = name.split(b"\0", 1)[0].decode()
        self.pix_fmt = pix_fmt.split(b"\0", 1)[0].decode()


class Arena:
    """/dev/shm/camarena-<name> mapped read-only; reads follow SPEC 3's seqlock."""

    def __init__(self, name):
        self.path = "/dev/shm/camarena-" + name
        fd = os.open(self.path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(fd)
        (magic, self.version, self.header_size, self.arena_size, self.generation,
         self.supervisor_pid, self.camera_count, self.cameras_offset, self.camera_desc_size,
         self.camera_capacity, _hb, self.created_realtime_ns) = HEADER.unpack_from(self.mm, 0)
        assert magic == b"CAMARENA", magic
        assert self.version == 1 and self.header_size == 4096 and self.camera_desc_size == 256
        assert self.arena_size == size, (self.arena_size, size)
        self.cameras = {}
        for i in range(self.camera_capacity):
            c = Camera(i, DESC.unpack_from(self.mm, self.cameras_offset + 256 * i))
            if c.name:
                self.cameras[c.name] = c

    def close(self):
        self.mm.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def heartbeat(self):
        return struct.unpack_from("<Q", self.mm, 56)[0]

    def state(self, cam):
        return struct.unpack_from("<I", self.mm, self.cameras_offset + 256 * self.cameras[cam].index + 136)[0]

    def head(self, cam):
        return struct.unpack_from("<Q", self.mm, self.cameras[cam].partition_offset)[0]

    def slot_header(self, cam, slot):
        """(seq, capture_realtime_ns, capture_monotonic_ns, size, flags) of a slot."""
        c = self.cameras[cam]
        return SLOT.unpack_from(self.mm, c.slots_offset + 64 * slot)

    def slot_of(self, cam, seq):
        return (seq - 1) % self.cameras[cam].slot_count

    def read_slot(self, cam, slot):
        """Returns (frame_seq, header, bytes) of the whole frame in slot, or
        None if it is empty, being written, or was rewritten while read."""
        c = self.cameras[cam]
        hdr = self.slot_header(cam, slot)
        seq = hdr[0]
        if seq == 0 or seq & 1:
            return None
        off = c.data_offset + slot * c.slot_stride
        size = hdr[3]
        assert size <= c.slot_stride, "slot %d of %s says %d bytes" % (slot, cam, size)
        data = self.mm[off:off + size]
        # x86 and the interpreter keep these loads in order: the seq loaded
        # again below is the fence of SPEC 3's reader.
        if self.slot_header(cam, slot)[0] != seq:
            return None
        return seq // 2, hdr, data

    def read(self, cam, frame_seq):
        """Returns (header, bytes) of frame frame_seq, or None if it is gone."""
        r = self.read_slot(cam, self.slot_of(cam, frame_seq))
        if r is None or r[0] != frame_seq:
            return None
        return r[1], r[2]


# ---- frame headers (SPEC 5) --------------------------------------------

FRAME_HEADER = struct.Struct("<HHIQQQQIIHHI8s")


def frame_header(data):
    assert len(data) == 64, "frame header of %d bytes" % len(data)
    (version, header_size, flags, generation, frame_seq, rt, mono, slot, frame_size, width,
     height, camera_index, pix_fmt) = FRAME_HEADER.unpack(data)
    assert version == 1 and header_size == 64, (version, header_size)
    return {
        "flags": flags, "generation": generation, "frame_seq": frame_seq,
        "capture_realtime_ns": rt, "capture_monotonic_ns": mono, "slot": slot,
        "frame_size": frame_size, "width": width, "height": height,
        "camera_index": camera_index, "pix_fmt": pix_fmt.rstrip(b"\0").decode(),
    }


# ---- ZeroMQ --------------------------------------------------------------

_ctx = zmq.Context.instance()


class Subscriber:
    """A SUB socket on an instance's publish endpoint."""

    def __init__(self, endpoint, topics):
        self.sock = _ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, 100000)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode() if isinstance(t, str) else t)
        self.sock.connect(endpoint)

    def recv(self, timeout=TIMEOUT):
        """Returns the next message's parts, or raises AssertionError after timeout."""
        if not self.sock.poll(int(timeout * 1000)):
            raise AssertionError("no message for %.0fs" % timeout)
        return self.sock.recv_multipart()

    def frames(self, camera, count, timeout=TIMEOUT):
        """Yields the decoded headers of the next count frame/ messages of camera."""
        topic = ("frame/%s/" % camera).encode()
        deadline = time.monotonic() + timeout
        n = 0
        while n < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%d of %d frames of %s came" % (n, count, camera))
            parts = self.recv(left)
            if parts[0] != topic:
                continue
            assert len(parts) == 2, "frame message of %d parts" % len(parts)
            n += 1
            yield frame_header(parts[1])

    def close(self):
        self.sock.close()


class EventLog:
    """Every event/ message of an instance (or of another topic whose second
    part is JSON, e.g. pressure/), collected by a thread into a list.

    Tests take a mark (len of the list) before acting and wait for events after
    it, so that nothing that arrives in between is missed."""

    def __init__(self, endpoint, topic=b"event/"):
        self.topic = topic
        self.cond = threading.Condition()
        self.events = []
        self.stopping = False
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(endpoint,), daemon=True)
        self.thread.start()
        self.ready.wait()

    def _run(self, endpoint):
        sock = _ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RECONNECT_IVL, 10)  # catch camarenad's first events
        sock.setsockopt(zmq.RCVHWM, 100000)     # never lose one to a slow test
        sock.setsockopt(zmq.SUBSCRIBE, self.topic)
        sock.connect(endpoint)
        self.ready.set()
        try:
            while not self.stopping:
                if not sock.poll(100):
                    continue
                parts = sock.recv_multipart()
                try:
                    ev = json.loads(parts[1].decode())
                except (IndexError, ValueError) as e:
                    ev = {"_malformed": repr(parts), "_error": str(e)}
                ev["_topic"] = parts[0].decode(errors="replace")
                ev["_t"] = time.monotonic()
                with self.cond:
                    self.events.append(ev)
                    self.cond.notify_all()
        finally:
            sock.close()

    def mark(self):
        with self.cond:
            return len(self.events)

    def since(self, mark, camera=None):
        with self.cond:
            return [e for e in self.events[mark:] if camera is None or e.get("camera") == camera]

    def wait_for(self, pred, what, since=0, timeout=TIMEOUT):
        """Returns the first message at or after index since for which
        pred(message) holds; raises AssertionError naming what after timeout."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    i += 1
                    if pred(self.events[i - 1]):
                        return self.events[i - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s message with %s within %.0fs; the last ones: %s" % (
                        self.topic.decode(), what, timeout, self.events[-10:]))
                self.cond.wait(left)

    def wait(self, camera, state=None, pred=None, since=0, timeout=TIMEOUT):
        """Returns (index, event) of the first event of camera at or after
        index since whose state is state (if given) and for which pred(event)
        holds (if given)."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    e = self.events[i]
                    i += 1
                    if e.get("camera") != camera:
                        continue
                    if state is not None and e.get("state") != state:
                        continue
                    if pred is not None and not pred(e):
                        continue
                    return i - 1, e
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(e.get("state"), e.get("reason")) for e in self.events[since:]
                            if e.get("camera") == camera]
                    raise AssertionError("no event %s of %s within %.0fs; saw %s" % (
                        state, camera, timeout, seen))
                self.cond.wait(left)

    def close(self):
        self.stopping = True
        self.thread.join(5)


# ---- processes -----------------------------------------------------------

def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def proc_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def pids_mentioning(word):
    """Live processes (not zombies, not this one) whose command line contains word."""
    found = []
    w = word.encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        if pid == os.getpid():
            continue
        cmd = proc_cmdline(pid)
        if cmd and any(w in part for part in cmd) and proc_alive(pid):
            found.append(pid)
    return found


# ---- the instance ----------------------------------------------------------

class Instance:
    """One camarenad with its own conf, runtime_dir and instance name.

    cameras: {name: {key: value}}, each with at least url, width, height.
    supervisor: extra or overriding [supervisor] keys.
    ffmpeg: the FFmpeg program; by default the fake. It is run through a
    symlink in the temporary directory so that every FFmpeg process of this
    instance has the instance name in its command line."""

    def __init__(self, cameras, supervisor=None, ffmpeg=FAKE_FFMPEG, start=True):
        _counter[0] += 1
        # Fixed width: no instance name is a substring of another's.
        self.name = "it%d-%03d" % (os.getpid(), _counter[0])
        self.dir = tempfile.mkdtemp(prefix="camarena-%s-" % self.name)
        self.runtime_dir = os.path.join(self.dir, "run")
        self.ffmpeg_link = os.path.join(self.dir, "ffmpeg-" + self.name)
        os.symlink(ffmpeg, self.ffmpeg_link)
        self.conf_path = os.path.join(self.dir, "camarena.ini")
        self.log_path = os.path.join(self.dir, "camarenad.log")
        self.pub = "ipc://%s/%s.pub" % (self.runtime_dir, self.name)
        self.ctl_endpoint = "ipc://%s/%s.ctl" % (self.runtime_dir, self.name)
        self.shm = "/dev/shm/camarena-" + self.name
        self.proc = None
        self.events = None
        self._subs = []
        sup = {"name": self.name, "runtime_dir": self.runtime_dir, "ffmpeg": self.ffmpeg_link}
        sup.update(FAST_SUPERVISOR)
        sup.update(supervisor or {})
        self.cameras = cameras
        self.sup = sup
        self.write_conf(sup, cameras)
        if start:
            try:
                self.start()
            except BaseException:
                log("camarenad %s log (last lines):\n%s" % (self.name, self.log_tail()))
                self.cleanup()
                raise

    def write_conf(self, sup, cameras):
        lines = ["[supervisor]"]
        lines += ["%s = %s" % kv for kv in sup.items()]
        for cam, keys in cameras.items():
            lines += ["", "[camera %s]" % cam]
            lines += ["%s = %s" % kv for kv in keys.items()]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def rewrite_conf(self, cameras=None, supervisor=None, extra=""):
        """Writes the conf file again, as write_conf does, with cameras (by
        default the current ones) and the [supervisor] keys of the start
        updated by supervisor; extra is appended as it is (to make errors).
        The file is replaced whole (rename), as an editor would. Remembers
        the cameras and keys for the next rewrite."""
        if cameras is not None:
            self.cameras = cameras
        self.sup = dict(self.sup)
        self.sup.update(supervisor or {})
        final, self.conf_path = self.conf_path, self.conf_path + ".new"
        try:
            self.write_conf(self.sup, self.cameras)
            if extra:
                with open(self.conf_path, "a") as f:
                    f.write(extra)
            os.rename(self.conf_path, final)
        finally:
            self.conf_path = final

    def start(self):
        """Starts camarenad (again, after a stop or a kill) and waits for ping."""
        if self.events:
            self.events.close()
        if self.proc:
            self.log_file.close()
        self.log_file = open(self.log_path, "ab")
        # The event log connects first: ZeroMQ retries until camarenad binds.
        self.events = EventLog(self.pub)
        self.proc = subprocess.Popen([os.path.join(BIN, "camarenad"), "-c", self.conf_path],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_until(self._pings, "camarenad %s to answer ping" % self.name)

    def _pings(self):
        if self.proc.poll() is not None:
            raise AssertionError("camarenad exited with %s before answering; log:\n%s" % (
                self.proc.returncode, self.log_tail()))
        if not os.path.exists(self.ctl_endpoint[len("ipc://"):]):
            return False
        try:
            return self.ctl("ping", timeout=2) == ("ok", "pong")
        except TimeoutError:
            return False

    # -- control --

    def ctl_raw(self, parts, timeout=TIMEOUT):
        """Sends parts (bytes) as one request; returns the reply's parts."""
        sock = _ctx.socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(self.ctl_endpoint)
            sock.send_multipart(parts)
            if not sock.poll(int(timeout * 1000)):
                raise TimeoutError("no answer to %r within %.0fs" % (parts[:1], timeout))
            return sock.recv_multipart()
        finally:
            sock.close()

    def ctl(self, verb, *args, timeout=TIMEOUT):
        """Returns (status, body) of one control request, both str."""
        parts = [p.encode() if isinstance(p, str) else p for p in (verb,) + args]
        reply = self.ctl_raw(parts, timeout)
        assert len(reply) == 2, "reply of %d parts: %r" % (len(reply), reply)
        return reply[0].decode(), reply[1].decode(errors="replace")

    def ok(self, verb, *args):
        status, body = self.ctl(verb, *args)
        assert status == "ok", "%s %s: %s %s" % (verb, " ".join(args), status, body)
        return body

    def status(self, camera=None):
        return json.loads(self.ok("status", *([camera] if camera else [])))

    def camera_status(self, camera):
        for c in self.status()["cameras"]:
            if c["name"] == camera:
                return c
        raise AssertionError("no camera %s in status" % camera)

    def wait_state(self, camera, state, timeout=TIMEOUT):
        """Waits until status shows camera in state; returns its status object."""
        def check():
            c = self.camera_status(camera)
            return c if c["state"] == state else None
        return wait_until(check, "%s to be %s" % (camera, state), timeout, interval=0.05)

    def wait_frames(self, camera, head, timeout=TIMEOUT):
        """Waits until camera's head_seq in the arena reaches head; returns it."""
        with self.arena() as a:
            return wait_until(lambda: a.head(camera) >= head and a.head(camera),
                              "%s to reach frame %d" % (camera, head), timeout, interval=0.02)

    # -- data --

    def subscribe(self, topics):
        s = Subscriber(self.pub, topics)
        self._subs.append(s)
        return s

    def arena(self):
        return Arena(self.name)

    def tool(self, prog, *args, timeout=TIMEOUT, **kw):
        """Runs build/bin/<prog> with args; returns the CompletedProcess (bytes)."""
        return subprocess.run([os.path.join(BIN, prog)] + list(args), capture_output=True,
                              timeout=timeout, **kw)

    # -- processes --

    def unit_pids(self):
        """Every live process of this instance but camarenad: workers (their
        argv names the instance) and FFmpegs (started through the symlink)."""
        pids = set(pids_mentioning(self.name))
        if self.proc:
            pids.discard(self.proc.pid)
        return sorted(pids)

    def stop(self):
        """SIGTERM, then asserts camarenad exits 0 (within TIMEOUT, a guard)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError("camarenad did not exit %.0fs after SIGTERM" % TIMEOUT)
        assert rc == 0, "camarenad exited with %d after SIGTERM; log:\n%s" % (rc, self.log_tail())
        return rc

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def cleanup(self):
        """Kills whatever this instance left and removes its files. Never raises."""
        for s in self._subs:
            s.close()
        self._subs = []
        if self.events:
            self.events.close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for _ in range(50):
            pids = self.unit_pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)
        try:
            os.unlink(self.shm)
        except OSError:
            pass
        if self.proc:
            self.log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            log("camarenad %s log (last lines):\n%s" % (self.name, self.log_tail()))
        self.cleanup()
        return False


def fake_camera(url="fake:", width=64, height=48, pix_fmt="bgr24", fps=25, slots=8, **extra):
    cam = {"url": url, "width": width, "height": height, "pix_fmt": pix_fmt, "fps": fps, "slots": slots}
    cam.update(extra)
    return cam


def main():
    """Runs the unittest cases of the calling module and exits non-zero on failure."""
    import unittest
    unittest.main(module="__main__", verbosity=2)
