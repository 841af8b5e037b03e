"""camarena - read live camera frames from a camarena instance as numpy arrays.

Two ways in, both yielding `Frame` objects whose `.array` is a numpy array
shaped for the camera's pixel format:

* `Arena(instance)` maps the instance's shared-memory arena
  (``/dev/shm/camarena-<instance>``) read-only, on the same host. Frames are
  numpy views of the slot bytes, with no copy; because the writer never waits
  for readers, a view can be overwritten while it is used, so call
  `Frame.valid()` afterwards (the seqlock check), or use `Arena.copy()`,
  which returns a copy that is known to be whole.
* `Subscriber(endpoint, cameras)` subscribes to the instance's publish
  endpoint. On an ``ipc://`` endpoint (same host) it takes the ``frame/``
  announcements and reads each frame from the arena; on ``tcp://`` (from
  afar) it takes ``data/`` messages and decompresses their LZ4 payloads, with
  CURVE keys when the server requires them.

Example::

    import camarena
    with camarena.Arena("default") as arena:
        print(arena.cameras)                 # ['front-door', ...]
        f = arena.latest("front-door")       # zero-copy view, or None before the first frame
        if f is not None:
            mean = f.array.mean()
            if f.valid():                    # not overwritten while we read it
                print(f.seq, mean)
        g = arena.copy("front-door")         # a validated copy, safe to keep

    for f in camarena.Subscriber("ipc:///run/camarena/default.pub", ["front-door"]):
        print(f.camera, f.seq, f.array.shape)

Dependencies: the distribution's python3-numpy, python3-zmq and python3-lz4
(the last two only for `Subscriber`), and the standard library. The layout
read here is SPEC sections 3 and 5, also described in README.md and pinned in
arena/layout.h.

Run as a script, ``python3 camarena.py INSTANCE`` lists the instance's
cameras.
"""

import collections
import json
import mmap
import os
import re
import struct
import sys
import time

import numpy as np

__all__ = [
    "Arena", "Subscriber", "Frame", "Event", "CameraInfo", "FrameHeader",
    "CamarenaError", "FrameGone", "FrameNotReady",
    "decode_header", "decode_payload", "decode_data", "instance_from_endpoint",
    "load_key",
]

# ---- the arena layout (SPEC 3) ------------------------------------------

MAGIC = b"CAMARENA"
VERSION = 1
HEADER_SIZE = 4096
DESC_SIZE = 256
SLOT_HEADER_SIZE = 64
FRAME_HEADER_SIZE = 64
FLAG_LZ4 = 0x1

_HEADER = struct.Struct("<8sIIQQIIQIIQQ")      # the first 72 bytes of the arena
_DESC = struct.Struct("<64s16sIIIIQQQQQII")    # the first 144 bytes of a descriptor
_SLOT = struct.Struct("<QQQII")                # the first 32 bytes of a slot header
_U32 = struct.Struct("<I")
_FRAME_HEADER = struct.Struct("<HHIQQQQIIHHI8s")

_Z85 = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
_CERT_KEY = re.compile(r'^(?:public|secret)-key\s*=\s*"([^"]{40})"$')

STATES = {0: "stopped", 1: "starting", 2: "running", 3: "backoff", 4: "paused"}

# How many times a read is retried when the writer moves on underneath it.
# The writer fills one slot per frame and the ring has slot_count of them,
# so a reader only loses a race when it is slower than a whole frame
# interval; a handful of retries is plenty unless the process is starved.
COPY_ATTEMPTS = 16

FrameHeader = collections.namedtuple("FrameHeader", [
    "version", "header_size", "flags", "generation", "frame_seq",
    "capture_realtime_ns", "capture_monotonic_ns", "slot", "frame_size",
    "width", "height", "camera_index", "pix_fmt"])
FrameHeader.__doc__ = """The 64-byte frame header of frame/ and data/ messages (SPEC 5).

pix_fmt is a str (the NUL padding removed). Frames read from the arena carry
a header built from the arena's own fields, with flags 0.

Example::

    h = camarena.decode_header(parts[1])
    print(h.frame_seq, h.width, h.height, h.pix_fmt)
"""

CameraInfo = collections.namedtuple("CameraInfo", [
    "name", "index", "pix_fmt", "width", "height", "frame_size", "slot_count",
    "state", "priority"])
CameraInfo.__doc__ = """What a camera descriptor says (SPEC 3).

state is the number stored in the arena (0 stopped, 1 starting, 2 running,
3 backoff, 4 paused); camarena.STATES maps it to a name.

Example::

    info = arena.camera("front-door")
    print(info.width, info.height, info.pix_fmt, camarena.STATES[info.state])
"""


class CamarenaError(Exception):
    """The base of the errors specific to camarena."""


class FrameGone(CamarenaError):
    """The frame asked for was overwritten by a newer one (or lost when its
    writer died mid-frame). Readers that fall a whole ring behind see this.

    Example::

        try:
            f = arena.frame("front-door", seq)
        except camarena.FrameGone:
            f = arena.latest("front-door")
    """


class FrameNotReady(CamarenaError):
    """The frame asked for has not been committed yet (it is newer than the
    camera's head, or it is being written right now)."""


# Bytes of one frame and the array shape, by pixel format. The planar
# formats are given flat: their planes have different shapes.
def _frame_geometry(pix_fmt, width, height):
    """Returns (frame_size, shape) for a known pix_fmt, or None."""
    cw, ch = (width + 1) // 2, (height + 1) // 2
    if pix_fmt in ("bgr24", "rgb24"):
        return 3 * width * height, (height, width, 3)
    if pix_fmt in ("bgra", "rgba"):
        return 4 * width * height, (height, width, 4)
    if pix_fmt == "gray":
        return width * height, (height, width)
    if pix_fmt in ("yuv420p", "nv12"):
        n = width * height + 2 * cw * ch
        return n, (n,)
    return None


def _shape(pix_fmt, width, height, frame_size):
    """The array shape for frame_size bytes: the image shape when the size
    matches the format, flat otherwise (an unknown or newer format)."""
    geo = _frame_geometry(pix_fmt, width, height)
    if geo is not None and geo[0] == frame_size:
        return geo[1]
    return (frame_size,)


def _cstr(raw):
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Frame:
    """One frame: its camera, its number, its capture times and its pixels.

    Attributes: camera (name), seq (frame_seq, 1, 2, 3, ... per camera),
    capture_ns (CLOCK_REALTIME when the frame was complete),
    capture_monotonic_ns (CLOCK_MONOTONIC likewise), slot, pix_fmt, width,
    height, array (numpy uint8, shaped for the format), header (a
    FrameHeader), copied (False for a zero-copy view of the arena).

    A Frame unpacks as ``(header, array)``.

    Example::

        f = arena.latest("front-door")
        blue = f.array[..., 0].mean()        # bgr24: (height, width, 3)
        if not f.valid():
            blue = None                      # overwritten while we read it
        header, array = f
    """

    __slots__ = ("camera", "seq", "capture_ns", "capture_monotonic_ns", "slot",
                 "pix_fmt", "width", "height", "array", "header", "copied",
                 "_words", "_seq_word")

    def __init__(self, camera, header, array, copied, words=None, seq_word=None):
        self.camera = camera
        self.header = header
        self.seq = header.frame_seq
        self.capture_ns = header.capture_realtime_ns
        self.capture_monotonic_ns = header.capture_monotonic_ns
        self.slot = header.slot
        self.pix_fmt = header.pix_fmt
        self.width = header.width
        self.height = header.height
        self.array = array
        self.copied = copied
        self._words = words
        self._seq_word = seq_word

    def valid(self):
        """Returns True if the frame's bytes are still frame `seq`.

        For a zero-copy view this is the second half of the seqlock read:
        call it after using `array`; if it returns False, whatever was
        computed from the array may mix two frames and must be discarded.
        Copies (Arena.copy, Subscriber frames) were validated when made and
        are always valid.

        The slot's seq is read as described at _load_u64: one aligned 8-byte
        load, so never torn, but without the acquire fence C would use.
        """
        if self.copied:
            return True
        return self._words.item(self._seq_word) == 2 * self.seq

    def __iter__(self):
        yield self.header
        yield self.array

    def __repr__(self):
        kind = "copy" if self.copied else "view"
        return "<Frame %s seq=%d %s %dx%d %s>" % (self.camera, self.seq, self.pix_fmt,
                                                   self.width, self.height, kind)


class Event(dict):
    """An event/ or pressure/ message: the parsed JSON object, with `kind`
    ("event" or "pressure") and `topic` attributes. Events carry at least
    camera, state, reason, restarts, backoff_ms, error; pressure messages
    level, ratio, used_bytes, limit_bytes, actions (SPEC 5).

    Example::

        for m in camarena.Subscriber(ep, ["front-door"], events=True):
            if isinstance(m, camarena.Event):
                print(m.kind, m.get("state"), m.get("reason"))
    """

    def __init__(self, kind, topic, body):
        super().__init__(body)
        self.kind = kind
        self.topic = topic

    def __repr__(self):
        return "Event(%r, %s)" % (self.kind, dict.__repr__(self))


class Arena:
    """An instance's shared-memory arena, mapped read-only.

    Arena(name) opens /dev/shm/camarena-<name> (`path` overrides the file, for
    tests). It raises FileNotFoundError if the instance is not running,
    PermissionError if arena_mode does not let this user read it, and
    ValueError if the object is not a whole, valid arena (too short, wrong
    magic or version, sizes or offsets outside the object).

    Arrays handed out are views of the mapping and keep it alive: closing the
    Arena while some are still referenced leaves the mapping to be released
    when the last of them goes, so they never point at unmapped memory.

    Example::

        with camarena.Arena("default") as arena:
            for name in arena.cameras:
                info = arena.camera(name)
                f = arena.copy(name)
                if f is not None:
                    print(name, info.pix_fmt, f.array.shape, f.seq)
    """

    def __init__(self, name, path=None):
        self.name = name
        self.path = path if path is not None else "/dev/shm/camarena-" + name
        self._mm = None
        self._index = {}
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            size = os.fstat(fd).st_size
            if size < HEADER_SIZE:
                raise ValueError("%s: %d bytes, too short for an arena header (%d)"
                                 % (self.path, size, HEADER_SIZE))
            self._mm = mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        self._words = np.frombuffer(self._mm, dtype="<u8", count=size // 8)
        try:
            self._check_header(size)
        except ValueError:
            self.close()
            raise

    def _check_header(self, size):
        (magic, version, header_size, arena_size, generation, pid, count,
         cameras_offset, desc_size, capacity, _heartbeat, created) = _HEADER.unpack_from(self._mm, 0)
        where = self.path
        if magic != MAGIC:
            raise ValueError("%s: not a camarena arena (magic %r)" % (where, magic))
        if version != VERSION:
            raise ValueError("%s: arena version %d, this client reads %d" % (where, version, VERSION))
        if header_size != HEADER_SIZE:
            raise ValueError("%s: header_size %d, expected %d" % (where, header_size, HEADER_SIZE))
        if desc_size != DESC_SIZE:
            raise ValueError("%s: camera_desc_size %d, expected %d" % (where, desc_size, DESC_SIZE))
        if arena_size != size or len(self._mm) != size:
            raise ValueError("%s: arena_size %d but the object has %d bytes (truncated?)"
                             % (where, arena_size, size))
        if cameras_offset < HEADER_SIZE or cameras_offset + capacity * DESC_SIZE > size:
            raise ValueError("%s: %d descriptors at offset %d do not fit in %d bytes"
                             % (where, capacity, cameras_offset, size))
        if count > capacity:
            raise ValueError("%s: camera_count %d over camera_capacity %d" % (where, count, capacity))
        self.size = size
        self.generation = generation
        self.supervisor_pid = pid
        self.created_realtime_ns = created
        self.capacity = capacity
        self._cameras_offset = cameras_offset

    # ---- lifecycle

    def close(self):
        """Unmaps the arena, unless arrays still view it (then the mapping
        goes with the last of them). Safe to call twice."""
        mm, self._mm = self._mm, None
        self._words = None
        if mm is not None:
            try:
                mm.close()
            except BufferError:
                pass  # numpy views still export it; they keep it alive

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _load_u64(self, offset):
        """Loads the atomic u64 at offset (a multiple of 8).

        struct.unpack_from would read the 8 bytes one at a time, and a
        reader racing the writer could see half of the old value and half
        of the new (a head_seq of 0 between 255 and 256, say). numpy's item()
        on an aligned native uint64 array is a single 8-byte load, which
        x86-64 and AArch64 perform atomically: the value is never torn.
        What Python cannot give is the acquire ordering of C's
        atomic_load_explicit. On x86 loads are not reordered with other
        loads, so the seqlock check (seq, then the bytes, then seq again)
        is exact; on weakly ordered CPUs it relies on the barriers the
        interpreter executes between the reads, which in practice are
        many, but which no specification promises.
        """
        if self._mm is None:
            raise ValueError("arena %s is closed" % self.name)
        return self._words.item(offset >> 3)

    def _live(self):
        if self._mm is None:
            raise ValueError("arena %s is closed" % self.name)
        return self._mm

    # ---- header fields

    @property
    def heartbeat_ns(self):
        """heartbeat_monotonic_ns: CLOCK_MONOTONIC as last refreshed by the supervisor."""
        return self._load_u64(56)

    # ---- descriptors

    def _desc(self, index):
        """Returns the raw fields of descriptor index (no validation)."""
        return _DESC.unpack_from(self._live(), self._cameras_offset + index * DESC_SIZE)

    def _name_at(self, index):
        off = self._cameras_offset + index * DESC_SIZE
        return _cstr(self._live()[off:off + 64])

    @property
    def cameras(self):
        """The names of the cameras in the arena, in descriptor order."""
        names = []
        for i in range(self.capacity):
            n = self._name_at(i)
            if n:
                names.append(n)
        return names

    def _find(self, name):
        """Returns the descriptor index of camera name, or raises KeyError.
        Descriptors can be freed and reused by a reload, so a cached index is
        checked against the name each time."""
        if not name:
            raise KeyError("a camera name is never empty")
        i = self._index.get(name)
        if i is not None and self._name_at(i) == name:
            return i
        for i in range(self.capacity):
            if self._name_at(i) == name:
                self._index[name] = i
                return i
        self._index.pop(name, None)
        raise KeyError("no camera %r in arena %s" % (name, self.name))

    def _layout(self, index):
        """Returns the validated descriptor of index as a dict, or raises
        ValueError if its offsets do not fit the object."""
        (raw_name, raw_fmt, width, height, frame_size, slot_count, part_off, part_size,
         slots_off, data_off, stride, state, priority) = self._desc(index)
        name = _cstr(raw_name)
        size = self.size
        bad = None
        if slot_count == 0 or frame_size == 0:
            bad = "no slots or an empty frame size"
        elif part_off % 8 or part_off < HEADER_SIZE or part_off + part_size > size or part_size < 8:
            bad = "partition %d+%d outside the object" % (part_off, part_size)
        elif slots_off < part_off + 8 or slots_off + slot_count * SLOT_HEADER_SIZE > part_off + part_size:
            bad = "slot headers outside the partition"
        elif slots_off % 8:
            bad = "slot headers not aligned"
        elif stride < frame_size:
            bad = "slot_stride %d under frame_size %d" % (stride, frame_size)
        elif data_off < slots_off + slot_count * SLOT_HEADER_SIZE or data_off + (slot_count - 1) * stride + frame_size > part_off + part_size:
            bad = "slot data outside the partition"
        if bad:
            raise ValueError("%s: camera %r (descriptor %d): %s" % (self.path, name, index, bad))
        pix_fmt = _cstr(raw_fmt)
        return {
            "name": name, "index": index, "pix_fmt": pix_fmt, "width": width,
            "height": height, "frame_size": frame_size, "slot_count": slot_count,
            "head_off": part_off, "slots_off": slots_off, "data_off": data_off,
            "stride": stride, "state": state, "priority": priority,
            "shape": _shape(pix_fmt, width, height, frame_size),
        }

    def camera(self, name):
        """Returns the CameraInfo of camera name. Raises KeyError for an
        unknown camera, ValueError for a corrupt descriptor."""
        d = self._layout(self._find(name))
        return CameraInfo(d["name"], d["index"], d["pix_fmt"], d["width"], d["height"],
                          d["frame_size"], d["slot_count"], d["state"], d["priority"])

    def head(self, name):
        """Returns the camera's head_seq: its newest committed frame_seq, 0
        while it has none."""
        d = self._layout(self._find(name))
        return self._load_u64(d["head_off"])

    # ---- frames

    def _peek(self, d, seq):
        """The zero-copy read of frame seq of the camera described by d:
        returns a Frame viewing the slot, or raises FrameNotReady/FrameGone."""
        mm = self._live()
        if seq < 1:
            raise FrameNotReady("frame_seq starts at 1")
        slot = (seq - 1) % d["slot_count"]
        seq_off = d["slots_off"] + slot * SLOT_HEADER_SIZE
        s = self._load_u64(seq_off)
        _seq, realtime, monotonic, _size, _flags = _SLOT.unpack_from(mm, seq_off)
        if s != 2 * seq:
            head = self._load_u64(d["head_off"])
            if seq > head or s == 2 * seq - 1:
                raise FrameNotReady("%s: frame %d not committed yet (head %d)" % (d["name"], seq, head))
            raise FrameGone("%s: frame %d was overwritten (head %d)" % (d["name"], seq, head))
        array = np.frombuffer(mm, dtype=np.uint8, count=d["frame_size"],
                              offset=d["data_off"] + slot * d["stride"]).reshape(d["shape"])
        header = FrameHeader(1, FRAME_HEADER_SIZE, 0, self.generation, seq, realtime, monotonic,
                             slot, d["frame_size"], d["width"], d["height"], d["index"], d["pix_fmt"])
        frame = Frame(d["name"], header, array, False, self._words, seq_off >> 3)
        # The capture times were read after seq; reading seq again proves
        # they are this frame's and not the next writer's (the bytes are
        # checked by the caller, after use).
        if not frame.valid():
            raise FrameGone("%s: frame %d was overwritten while read" % (d["name"], seq))
        return frame

    def frame(self, name, seq, copy=False):
        """Returns frame seq of camera name: a zero-copy view (check
        Frame.valid() after use), or with copy=True a validated copy.

        Raises FrameGone if the frame was overwritten (the ring has moved
        past it), FrameNotReady if it was not committed yet, KeyError for an
        unknown camera.
        """
        d = self._layout(self._find(name))
        f = self._peek(d, seq)
        if not copy:
            return f
        return self._validated_copy(f)

    def _validated_copy(self, f):
        array = f.array.copy()
        if not f.valid():
            raise FrameGone("%s: frame %d was overwritten while copied" % (f.camera, f.seq))
        return Frame(f.camera, f.header, array, True)

    def latest(self, name):
        """Returns the newest frame of camera name as a zero-copy view, or
        None while the camera has no frame. Use the array, then check
        Frame.valid(). Raises FrameGone only if the writer outran this reader
        COPY_ATTEMPTS times in a row."""
        d = self._layout(self._find(name))
        for _ in range(COPY_ATTEMPTS):
            head = self._load_u64(d["head_off"])
            if head == 0:
                return None
            try:
                return self._peek(d, head)
            except (FrameGone, FrameNotReady):
                continue
        raise FrameGone("%s: no stable newest frame after %d attempts" % (name, COPY_ATTEMPTS))

    def copy(self, name, seq=None):
        """Returns a Frame whose array is a copy known to be whole: the newest
        frame, or frame seq if given. Returns None while the camera has no
        frame (seq None). For the newest frame a copy torn by the writer is
        retried with the new newest frame, up to COPY_ATTEMPTS times, then
        FrameGone is raised; for a given seq, FrameGone comes at once, as
        that frame cannot come back."""
        if seq is not None:
            return self.frame(name, seq, copy=True)
        for _ in range(COPY_ATTEMPTS):
            f = self.latest(name)
            if f is None:
                return None
            try:
                return self._validated_copy(f)
            except FrameGone:
                continue
        raise FrameGone("%s: no stable copy after %d attempts" % (name, COPY_ATTEMPTS))

    def __repr__(self):
        state = "closed" if self._mm is None else "%d bytes" % self.size
        return "<Arena %s %s>" % (self.name, state)


# ---- published messages (SPEC 5) ---------------------------------------

def decode_header(buf):
    """Decodes the 64-byte frame header of a frame/ or data/ message into a
    FrameHeader. Raises ValueError for a wrong size, version or header_size.

    Example::

        h = camarena.decode_header(parts[1])
    """
    if len(buf) != FRAME_HEADER_SIZE:
        raise ValueError("frame header of %d bytes, expected %d" % (len(buf), FRAME_HEADER_SIZE))
    fields = list(_FRAME_HEADER.unpack(bytes(buf)))
    if fields[0] != 1 or fields[1] != FRAME_HEADER_SIZE:
        raise ValueError("frame header version %d size %d, expected 1 and 64" % (fields[0], fields[1]))
    fields[-1] = _cstr(fields[-1])
    return FrameHeader(*fields)


def decode_payload(header, payload):
    """Returns the raw frame bytes of a data/ message: the LZ4 block
    decompressed when flags bit 0 is set, the payload itself otherwise.
    Raises ValueError if the result is not header.frame_size bytes."""
    if header.flags & FLAG_LZ4:
        import lz4.block
        try:
            raw = lz4.block.decompress(bytes(payload), uncompressed_size=header.frame_size)
        except lz4.block.LZ4BlockError as e:
            raise ValueError("frame %d: bad LZ4 block: %s" % (header.frame_seq, e))
    else:
        raw = bytes(payload)
    if len(raw) != header.frame_size:
        raise ValueError("frame %d: %d bytes of data, frame_size %d"
                         % (header.frame_seq, len(raw), header.frame_size))
    return raw


def decode_data(parts):
    """Decodes a whole data/ message [topic, header, payload] into a Frame
    (a copy: it owns its bytes). Raises ValueError for a malformed message.

    Example::

        f = camarena.decode_data(sock.recv_multipart())
        print(f.camera, f.seq, f.array.shape)
    """
    if len(parts) != 3:
        raise ValueError("data message of %d parts, expected 3" % len(parts))
    topic = bytes(parts[0]).decode("utf-8", "replace")
    kind, camera = _split_topic(topic)
    if kind != "data":
        raise ValueError("topic %r is not a data/ topic" % topic)
    header = decode_header(parts[1])
    raw = decode_payload(header, parts[2])
    array = np.frombuffer(raw, dtype=np.uint8).reshape(
        _shape(header.pix_fmt, header.width, header.height, header.frame_size))
    return Frame(camera, header, array, True)


def _split_topic(topic):
    """'frame/cam/' -> ('frame', 'cam'); 'pressure/' -> ('pressure', '')."""
    kind, _, rest = topic.partition("/")
    return kind, rest[:-1] if rest.endswith("/") else rest


def instance_from_endpoint(endpoint):
    """Returns the instance name of an ipc:// publish endpoint
    ("ipc:///run/camarena/default.pub" -> "default"), or None for any other."""
    if not endpoint.startswith("ipc://"):
        return None
    base = os.path.basename(endpoint[len("ipc://"):])
    return base[:-len(".pub")] if base.endswith(".pub") else None


def load_key(path):
    """Reads a Z85 CURVE key (40 characters) from a file and returns it as
    bytes. The file may hold the bare key on a line of its own, or be a
    ZeroMQ certificate ('public-key = "..."' or 'secret-key = "..."');
    other lines (comments, metadata) are skipped. The first key found is
    returned. Raises ValueError if there is none, OSError if the file cannot
    be read.

    Example::

        server_key = camarena.load_key("/etc/camarena/server.pub")
    """
    with open(path, "r", encoding="ascii", errors="replace") as fp:
        for line in fp:
            line = line.strip()
            if len(line) == 40 and all(c in _Z85 for c in line):
                return line.encode("ascii")
            m = _CERT_KEY.match(line)
            if m:
                return m.group(1).encode("ascii")
    raise ValueError("%s: no 40-character Z85 key found" % path)


class Subscriber:
    """Frames (and optionally events and pressure messages) from an
    instance's publish endpoint, as an iterator.

    endpoint: "ipc://<runtime_dir>/<instance>.pub" on the same host, or a
    "tcp://host:port" publish endpoint. cameras: names to subscribe to;
    empty or None subscribes to all.

    Local (ipc://): subscribes to frame/<camera>/ and reads each announced
    frame from the arena of `instance` (by default the endpoint's file name
    without ".pub"). It yields validated copies, or with copy=False zero-copy
    views whose valid() the caller checks. Frames overwritten before they
    could be read are skipped and counted in `skipped`.

    Remote (tcp://): subscribes to data/<camera>/ and yields the decoded,
    decompressed frames; malformed messages are skipped and counted in
    `errors`. With server_key (the server's Z85 public key, bytes or str),
    the connection uses CURVE with client_keys = (public, secret); without
    client_keys an ephemeral pair is made (the server admits it only if it
    lists no clients).

    events=True also yields event/ messages (all cameras' if cameras is
    empty, else those of the cameras asked for), pressure=True pressure/
    ones, both as Event objects.

    timeout (seconds): iteration raises TimeoutError when nothing arrives in
    that long; None waits forever. recv(timeout) returns None instead.

    Example::

        with camarena.Subscriber("tcp://10.0.0.2:7200", ["front-door"],
                                 server_key=camarena.load_key("server.key"),
                                 client_keys=(pub, secret)) as sub:
            for f in sub:
                print(f.camera, f.seq, f.array.shape)
    """

    def __init__(self, endpoint, cameras, server_key=None, client_keys=None, events=False,
                 pressure=False, instance=None, timeout=None, copy=True):
        import zmq
        self._zmq = zmq
        self.endpoint = endpoint
        self.cameras = list(cameras or [])
        self.local = endpoint.startswith("ipc://")
        self.instance = instance if instance is not None else instance_from_endpoint(endpoint)
        if self.local and not self.instance:
            raise ValueError("cannot tell the instance from %r: pass instance=" % endpoint)
        self.timeout = timeout
        self.copy = copy
        self.skipped = 0
        self.errors = 0
        self.last_error = None
        self._arena = None
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.SUB)
        try:
            self._sock.setsockopt(zmq.LINGER, 0)
            if server_key is not None:
                if client_keys is None:
                    client_keys = zmq.curve_keypair()
                pub, secret = client_keys
                self._sock.curve_serverkey = _as_bytes(server_key)
                self._sock.curve_publickey = _as_bytes(pub)
                self._sock.curve_secretkey = _as_bytes(secret)
            kind = "frame" if self.local else "data"
            for topic in self._topics(kind, events, pressure):
                self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
            self._sock.connect(endpoint)
        except Exception:
            self.close()
            raise

    def _topics(self, kind, events, pressure):
        # Frames last: subscriptions reach the publisher in order, so once a
        # frame arrives the event and pressure subscriptions are in place.
        names = self.cameras
        topics = []
        if events:
            topics += ["event/%s/" % c for c in names] if names else ["event/"]
        if pressure:
            topics.append("pressure/")
        topics += ["%s/%s/" % (kind, c) for c in names] if names else [kind + "/"]
        return topics

    @property
    def socket(self):
        """The underlying ZeroMQ SUB socket (to poll it with others, or to
        monitor its connection); None once closed."""
        return self._sock

    def close(self):
        """Closes the socket and the arena. Safe to call twice."""
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None
        if self._ctx is not None:
            self._ctx.term()
            self._ctx = None
        if self._arena is not None:
            self._arena.close()
            self._arena = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        item = self.recv(self.timeout)
        if item is None:
            raise TimeoutError("nothing from %s in %ss" % (self.endpoint, self.timeout))
        return item

    def recv(self, timeout=None):
        """Returns the next Frame or Event, or None if none came within
        timeout seconds (None waits forever). Messages that yield nothing
        (a frame already gone, a malformed message) do not end the wait."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is None:
                wait = -1
            else:
                wait = max(0, int((deadline - time.monotonic()) * 1000))
            if not self._sock.poll(wait):
                return None
            item = self._handle(self._sock.recv_multipart(copy=True))
            if item is not None:
                return item
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def _handle(self, parts):
        topic = parts[0].decode("utf-8", "replace")
        kind, camera = _split_topic(topic)
        try:
            if kind in ("event", "pressure"):
                return Event(kind, topic, json.loads(parts[1].decode("utf-8")))
            if kind == "data":
                return decode_data(parts)
            if kind == "frame" and self.local:
                return self._local_frame(camera, decode_header(parts[1]))
        except (ValueError, IndexError) as e:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
            self.errors += 1
            self.last_error = str(e)
        return None

    def _local_frame(self, camera, header):
        arena = self._arena
        if arena is None or arena.generation != header.generation:
            # First frame, or the supervisor was restarted and made a new
            # arena under the same name: map the current one.
            if arena is not None:
                arena.close()
                self._arena = None
            try:
                self._arena = arena = Arena(self.instance)
            except FileNotFoundError:
                self.skipped += 1
                return None
            if arena.generation != header.generation:
                self.skipped += 1  # an announcement older than this arena
                return None
        try:
            return arena.frame(camera, header.frame_seq, copy=self.copy)
        except (FrameGone, FrameNotReady, KeyError):
            self.skipped += 1
            return None

    def __repr__(self):
        return "<Subscriber %s %s>" % (self.endpoint, self.cameras or "all")


def _as_bytes(key):
    return key.encode("ascii") if isinstance(key, str) else bytes(key)


# ---- the script ----------------------------------------------------------

def main(argv):
    """python3 camarena.py INSTANCE: lists the instance's cameras."""
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: %s INSTANCE\n" % os.path.basename(argv[0]))
        return 2
    try:
        arena = Arena(argv[1])
    except (OSError, ValueError) as e:
        sys.stderr.write("%s: %s\n" % (argv[1], e))
        return 1
    with arena:
        now = time.clock_gettime_ns(time.CLOCK_REALTIME)
        print("instance %s: generation %d, supervisor pid %d, %d bytes"
              % (arena.name, arena.generation, arena.supervisor_pid, arena.size))
        print("%-24s %-8s %-11s %5s %-9s %4s %10s %8s"
              % ("camera", "pix_fmt", "size", "slots", "state", "prio", "head", "age"))
        for name in arena.cameras:
            try:
                c = arena.camera(name)
                head = arena.head(name)
            except ValueError as e:
                print("%-24s %s" % (name, e))
                continue
            age = "-"
            if head:
                try:
                    f = arena.frame(name, head)
                    age = "%.2fs" % ((now - f.capture_ns) / 1e9)
                except CamarenaError:
                    pass
            print("%-24s %-8s %-11s %5d %-9s %4d %10d %8s"
                  % (name, c.pix_fmt, "%dx%d" % (c.width, c.height), c.slot_count,
                     STATES.get(c.state, str(c.state)), c.priority, head, age))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
