#!/usr/bin/python3
"""soak.py - runs a camarena instance with fast fake cameras for a number of
frames and fails if the memory of any of its processes, or camarenad's open
descriptors, grow.

    /usr/bin/python3 tools/bench/soak.py --build build [--frames N] [--cameras K]
                                         [--valgrind] [--tolerance-kib T]

`make soak` runs it (FRAMES=N, VALGRIND=1).

What is sampled, every --interval seconds: the private memory of camarenad,
every worker and every fake FFmpeg (Pss_Anon of /proc/PID/smaps_rollup: heap,
stacks and anonymous mappings, where a leak shows), the number of their
mappings (/proc/PID/maps), and the number of entries of /proc/<camarenad>/fd.
Pss_File is printed but not judged: it is a process's share of the shared
libraries it maps, and moves by hundreds of KiB whenever any other process of
the host maps or unmaps the same libraries; the arena (Pss_Shmem) is fixed by
design. A frame/ subscriber drains
the publish endpoint and every sample also sends `status` and `metrics` on the
control socket, so that the relay and the control paths run all along.

The verdict. The first --warmup fraction of the frames (default 10 %) is
warm-up: malloc's arenas, ZeroMQ's queues and the pages of code and libraries
settle there. The samples after it are cut in thirds: a process's reference
is the largest sample of the first third, its final figure the smallest of the
last third, and it fails if final - reference exceeds the tolerance, 64 KiB by
default. Why 64 KiB:
it is the growth goal of the issue, below which a long run cannot tell a leak
from allocator noise (glibc keeps up to 128 KiB of freed heap before it trims,
and one ZeroMQ message in flight more or less is a few hundred bytes), while
any leak that costs even one byte per frame shows as about 1 MB over the
default 10^6 frames. Taking the largest early and the smallest late sample
means a transient peak (a full queue, messages in flight, freed heap not yet
trimmed, a shared library page whose proportional share moved) cannot fail
the run, only memory that stays for the whole last third: a leak grows
monotonically, noise does not. Descriptors have no tolerance: any more at the end than the most after
warm-up fails. A process that exits during the run (a restart) fails too: fast
fake cameras have no reason to stop.

With --valgrind, camarenad runs under `valgrind --leak-check=full
--error-exitcode=99` for a shorter run (default 20000 frames); valgrind's own
heap makes camarenad's memory figure meaningless, so only its descriptors and
the other processes' memory are judged, and the run fails if valgrind reports
an error or a definite or possible leak at the clean stop.

The run lasts until the arena counts at least --frames frames over all
cameras and at least six samples were taken after warm-up, whichever is later
(under valgrind the second usually is: the cameras still run at full speed).

Exit status: 0 passed, 1 failed, 2 usage or set-up error.
"""
import argparse
import mmap
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

try:
    import zmq
except ImportError:  # the soak still judges memory without a subscriber
    zmq = None

TOLERANCE_KIB = 64


def memory_kib(pid):
    """(Pss_Anon, Pss_File) in KiB, or None if the process is gone."""
    got = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Pss_Anon:", "Pss_File:")):
                    got[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return None
    if len(got) != 2:
        return None
    return got["Pss_Anon"], got["Pss_File"]


def map_count(pid):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return sum(1 for _ in f)
    except OSError:
        return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def parents():
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rfind(")") + 2:].split()
        out[int(d)] = int(rest[1])
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def descendants(root):
    pp = parents()
    kids = {}
    for pid, ppid in pp.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


class Arena:
    """Reads head_seq of every camera from /dev/shm/camarena-<name> (SPEC 3)."""

    def __init__(self, name):
        with open(f"/dev/shm/camarena-{name}", "rb") as f:
            self.map = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        if self.map[0:8] != b"CAMARENA":
            raise ValueError("not an arena")

    def total_frames(self):
        cameras_offset, = struct.unpack_from("<Q", self.map, 40)
        capacity, = struct.unpack_from("<I", self.map, 52)
        total = 0
        for i in range(capacity):
            d = cameras_offset + 256 * i
            if self.map[d] == 0:
                continue
            part, = struct.unpack_from("<Q", self.map, d + 96)
            total += struct.unpack_from("<Q", self.map, part)[0]
        return total

    def close(self):
        self.map.close()


def write_conf(path, name, rundir, fake, cameras, width, height):
    with open(path, "w") as f:
        f.write(f"[supervisor]\nname = {name}\nruntime_dir = {rundir}\nffmpeg = {fake}\n"
                "log_level = warn\nstall_timeout = 60s\n\n")
        for i in range(cameras):
            f.write(f"[camera soak{i}]\nurl = fake:rate=fast\nwidth = {width}\nheight = {height}\n"
                    "pix_fmt = gray\nfps = 0\nslots = 30\n\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--frames", type=int, default=0, help="frames over all cameras (default 10^6, 20000 with --valgrind)")
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--size", default="160x120", help="frame size, gray")
    ap.add_argument("--interval", type=float, default=0, help="seconds between samples (default 2, 5 with --valgrind)")
    ap.add_argument("--warmup", type=float, default=0.10, help="fraction of the frames that is warm-up")
    ap.add_argument("--tolerance-kib", type=int, default=TOLERANCE_KIB)
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    args = ap.parse_args()
    frames = args.frames or (20000 if args.valgrind else 1000000)
    interval = args.interval or (5.0 if args.valgrind else 2.0)
    width, height = (int(x) for x in args.size.split("x"))

    build = os.path.abspath(args.build)
    camarenad = os.path.join(build, "bin", "camarenad")
    fake = os.path.join(build, "tests", "fake-ffmpeg")
    for p in (camarenad, fake):
        if not os.access(p, os.X_OK):
            print(f"soak: {p} is not built (make all)", file=sys.stderr)
            return 2
    if args.valgrind and not shutil.which("valgrind"):
        print("soak: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2

    tmp = tempfile.mkdtemp(prefix="camarena-soak-")
    name = f"soak{os.getpid()}"
    rundir = os.path.join(tmp, "run")
    conf = os.path.join(tmp, "soak.ini")
    log_path = os.path.join(tmp, "camarenad.log")
    vg_log = os.path.join(tmp, "valgrind.log")
    write_conf(conf, name, rundir, fake, args.cameras, width, height)
    cmd = [camarenad, "-c", conf]
    if args.valgrind:
        cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,possible",
               "--errors-for-leak-kinds=definite,possible", "--error-exitcode=99",
               f"--log-file={vg_log}"] + cmd
    print(f"soak: {args.cameras} cameras {width}x{height} gray at rate=fast, {frames} frames, "
          f"sample every {interval:g} s, tolerance {args.tolerance_kib} KiB"
          f"{', camarenad under valgrind' if args.valgrind else ''}", flush=True)

    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    failures = []
    arena = None
    ctx = sub = ctl = None
    samples = []  # (frames, {pid: kib}, fds)
    names = {}
    try:
        deadline = time.monotonic() + (120 if args.valgrind else 20)
        while arena is None:
            if proc.poll() is not None:
                raise RuntimeError(f"camarenad exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the arena did not appear")
            try:
                arena = Arena(name)
            except (OSError, ValueError):
                time.sleep(0.1)
        if zmq:
            ctx = zmq.Context()
            sub = ctx.socket(zmq.SUB)
            sub.setsockopt(zmq.LINGER, 0)
            sub.setsockopt(zmq.SUBSCRIBE, b"frame/")
            sub.connect(f"ipc://{rundir}/{name}.pub")

        def control(verb):
            nonlocal ctl
            if not zmq:
                return
            if ctl is None:
                ctl = ctx.socket(zmq.REQ)
                ctl.setsockopt(zmq.LINGER, 0)
                ctl.setsockopt(zmq.RCVTIMEO, 5000 if not args.valgrind else 30000)
                ctl.connect(f"ipc://{rundir}/{name}.ctl")
            try:
                ctl.send(verb)
                ctl.recv_multipart()
            except zmq.Again:
                failures.append(f"control '{verb.decode()}' got no reply")
                ctl.close()
                ctl = None

        start = time.monotonic()
        warm = int(frames * args.warmup)
        next_sample = time.monotonic()
        received = 0
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"camarenad exited with status {proc.returncode}")
            if time.monotonic() - start > args.timeout:
                raise RuntimeError(f"timeout: {arena.total_frames()} of {frames} frames in {args.timeout:g} s")
            if sub is not None:
                while sub.poll(20):
                    while True:
                        try:
                            sub.recv_multipart(zmq.NOBLOCK)
                            received += 1
                        except zmq.Again:
                            break
                    if time.monotonic() >= next_sample:
                        break
            else:
                time.sleep(0.05)
            if time.monotonic() < next_sample:
                continue
            next_sample += interval
            control(b"status")
            control(b"metrics")
            done = arena.total_frames()
            pids = [proc.pid] + descendants(proc.pid)
            mem, maps = {}, {}
            file_total = 0
            for p in pids:
                kib = memory_kib(p)
                if kib is not None:
                    mem[p] = kib[0]
                    file_total += kib[1]
                    maps[p] = map_count(p)
                    names.setdefault(p, comm(p))
            fds = fd_count(proc.pid)
            samples.append((done, mem, fds, maps))
            print(f"soak: {done:>9} frames  {time.monotonic() - start:6.0f} s  {len(mem)} processes: "
                  f"anon {sum(mem.values())} KiB, file {file_total} KiB; camarenad anon {mem.get(proc.pid, 0)} KiB, "
                  f"{fds} fds, {maps.get(proc.pid)} maps", flush=True)
            if done >= frames and len([s for s in samples if s[0] >= warm]) >= 6:
                break
    except RuntimeError as e:
        failures.append(str(e))
    finally:
        if sub is not None:
            sub.close()
        if ctl is not None:
            ctl.close()
        if ctx is not None:
            ctx.term()
        if arena is not None:
            arena.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120 if args.valgrind else 15)
            except subprocess.TimeoutExpired:
                failures.append("camarenad did not stop within the timeout of SIGTERM")
                proc.kill()
                proc.wait()
        log.close()

    status = proc.returncode
    if args.valgrind and status == 99:
        failures.append(f"valgrind reported errors or leaks in camarenad (log: {vg_log})")
    elif status != 0 and not failures:
        failures.append(f"camarenad exited with status {status} after SIGTERM")
    if os.path.exists(f"/dev/shm/camarena-{name}"):
        failures.append(f"/dev/shm/camarena-{name} was left behind")

    after = [s for s in samples if s[0] >= warm]
    if len(after) >= 6:
        third = len(after) // 3
        first, last = after[:third], after[-third:]
        for pid in sorted({p for s in after for p in s[1]}):
            if args.valgrind and pid == proc.pid:
                continue
            early = [s[1][pid] for s in first if pid in s[1]]
            late = [s[1][pid] for s in last if pid in s[1]]
            label = f"{names.get(pid, '?')}[{pid}]"
            if len(early) < len(first) or len(late) < len(last):
                failures.append(f"{label} did not live through the run (a restart?)")
                continue
            growth = min(late) - max(early)
            early_maps = max(s[3][pid] for s in first if s[3].get(pid) is not None)
            late_maps = min(s[3][pid] for s in last if s[3].get(pid) is not None)
            verdict = "ok" if growth <= args.tolerance_kib and late_maps <= early_maps else "GROWS"
            print(f"soak: {label:28} anon {max(early):7} KiB -> {min(late):7} KiB  growth {growth:+5} KiB, "
                  f"maps {early_maps} -> {late_maps}  {verdict}")
            if growth > args.tolerance_kib:
                failures.append(f"{label} grew by {growth} KiB after warm-up (tolerance {args.tolerance_kib} KiB)")
            if late_maps > early_maps:
                failures.append(f"{label}'s mappings grew from {early_maps} to {late_maps}")
        early_fd = max(s[2] for s in first if s[2] is not None)
        late_fd = min(s[2] for s in last if s[2] is not None)
        print(f"soak: camarenad descriptors {early_fd} -> {late_fd}")
        if late_fd > early_fd:
            failures.append(f"camarenad's descriptors grew from {early_fd} to {late_fd}")
    elif not failures:
        failures.append(f"only {len(after)} samples after warm-up: nothing to judge")

    if args.valgrind and os.path.exists(vg_log):
        with open(vg_log) as f:
            tail = [l.rstrip() for l in f if "ERROR SUMMARY" in l or "definitely lost" in l
                    or "possibly lost" in l or "indirectly lost" in l]
        for l in tail:
            print(f"soak: valgrind: {l}")

    if failures:
        for f in failures:
            print(f"soak: FAILED: {f}", file=sys.stderr)
        try:
            with open(log_path) as f:
                lines = f.readlines()[-20:]
            if lines:
                print("soak: last lines of camarenad's log:", file=sys.stderr)
                sys.stderr.writelines("  " + l for l in lines)
        except OSError:
            pass
        print(f"soak: files kept in {tmp}", file=sys.stderr)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"soak: passed: {frames} frames, no process grew more than {args.tolerance_kib} KiB, "
          "no descriptor leaked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
