#!/usr/bin/python3
"""arena_struct.py - reads a camarena arena the way a client in another
language would: mmap /dev/shm/camarena-<instance> read-only and unpack the
header, the descriptors and one frame with the struct module (SPEC 3).

    arena_struct.py INSTANCE KEY=VALUE...

Keys: header.<field>, cam.<index>.<field> (checked against the expected
value), and frame.<index>=<seq>:<size> (head_seq is seq, its slot holds
2*seq and size, and byte i of the frame is (seq*31 + i*7 + index) % 256).
Exits 0 if everything matches, 1 (naming each mismatch) otherwise, 2 on usage.
Used by tests/test_arena.c; standard library only.
"""
import mmap
import os
import struct
import sys

HEADER = struct.Struct("<8sIIQQIIQIIQQ")
HEADER_FIELDS = ("magic", "version", "header_size", "arena_size", "generation", "supervisor_pid",
                 "camera_count", "cameras_offset", "camera_desc_size", "camera_capacity",
                 "heartbeat_monotonic_ns", "created_realtime_ns")
DESC = struct.Struct("<64s16sIIIIQQQQQII")
DESC_FIELDS = ("name", "pix_fmt", "width", "height", "frame_size", "slot_count", "partition_offset",
               "partition_size", "slots_offset", "data_offset", "slot_stride", "state", "priority")
SLOT = struct.Struct("<QQQII")


def cstr(b):
    return b.split(b"\0", 1)[0].decode()


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    fd = os.open("/dev/shm/camarena-" + argv[1], os.O_RDONLY)
    try:
        m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ)
    finally:
        os.close(fd)
    header = dict(zip(HEADER_FIELDS, HEADER.unpack_from(m, 0)))
    header["magic"] = header["magic"].decode()
    bad = []

    def expect(what, got, want):
        if str(got) != want:
            bad.append("%s: got %r, expected %r" % (what, got, want))

    def desc(index):
        off = header["cameras_offset"] + index * header["camera_desc_size"]
        d = dict(zip(DESC_FIELDS, DESC.unpack_from(m, off)))
        d["name"], d["pix_fmt"] = cstr(d["name"]), cstr(d["pix_fmt"])
        return d

    expect("header.magic", header["magic"], "CAMARENA")
    expect("header.size", header["arena_size"], str(len(m)))
    for arg in argv[2:]:
        key, _, want = arg.partition("=")
        parts = key.split(".")
        if parts[0] == "header":
            expect(key, header[parts[1]], want)
        elif parts[0] == "cam":
            expect(key, desc(int(parts[1]))[parts[2]], want)
        elif parts[0] == "frame":
            index = int(parts[1])
            seq, size = (int(x) for x in want.split(":"))
            d = desc(index)
            (head,) = struct.unpack_from("<Q", m, d["partition_offset"])
            expect(key + " head_seq", head, str(seq))
            slot = (seq - 1) % d["slot_count"]
            sseq, _, _, ssize, flags = SLOT.unpack_from(m, d["slots_offset"] + slot * 64)
            expect(key + " seq", sseq, str(2 * seq))
            expect(key + " size", ssize, str(size))
            expect(key + " flags", flags, "0")
            start = d["data_offset"] + slot * d["slot_stride"]
            data = m[start:start + size]
            want_data = bytes((seq * 31 + i * 7 + index) % 256 for i in range(size))
            if data != want_data:
                bad.append("%s: frame bytes differ" % key)
        else:
            bad.append("unknown key " + key)
    m.close()
    for b in bad:
        print("arena_struct.py: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
