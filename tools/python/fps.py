#!/usr/bin/python3
"""fps.py - prints each camera's frame rate once a second, from a publish endpoint.

    /usr/bin/python3 fps.py ipc:///run/camarena/default.pub front-door back-yard
    /usr/bin/python3 fps.py tcp://10.0.0.2:7200 front-door \\
        --server-key server.pub --client-key client.pub --client-secret client.key

Each second it prints one line per camera asked for:

    front-door   15.0 fps  seq 1234  latency 12.3 ms

(seq: the newest frame_seq; latency: the mean over the second of the time
each frame was received minus its capture time, CLOCK_REALTIME on both ends,
so across hosts it includes their clock difference). A camera with no frame in
the last second shows 0.0 fps. --count N stops after N lines per camera; the
exit status is 0, or 1 if the endpoint could not be used.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import camarena  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description="Per-camera frame rate from a camarena publish endpoint.")
    p.add_argument("endpoint", help="ipc://<runtime_dir>/<instance>.pub or tcp://HOST:PORT")
    p.add_argument("cameras", nargs="+", metavar="CAMERA")
    p.add_argument("--count", type=int, default=0, help="stop after N reports (0: run until interrupted)")
    p.add_argument("--instance", help="instance name, if the ipc endpoint's file name does not tell it")
    p.add_argument("--server-key", help="file holding the server's Z85 public key (CURVE)")
    p.add_argument("--client-key", help="file holding this client's Z85 public key")
    p.add_argument("--client-secret", help="file holding this client's Z85 secret key")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    server_key = camarena.load_key(args.server_key) if args.server_key else None
    client_keys = None
    if args.client_key or args.client_secret:
        if not (args.client_key and args.client_secret):
            sys.stderr.write("fps.py: --client-key and --client-secret go together\n")
            return 2
        client_keys = (camarena.load_key(args.client_key), camarena.load_key(args.client_secret))
    try:
        sub = camarena.Subscriber(args.endpoint, args.cameras, server_key=server_key,
                                  client_keys=client_keys, instance=args.instance)
    except Exception as e:  # zmq.ZMQError, ValueError: whatever stops us from starting
        sys.stderr.write("fps.py: %s: %s\n" % (args.endpoint, e))
        return 1
    counts = dict.fromkeys(args.cameras, 0)
    last = dict.fromkeys(args.cameras, 0)
    latency = dict.fromkeys(args.cameras, 0)
    reports = 0
    width = max(len(c) for c in args.cameras)
    with sub:
        window = time.monotonic()
        next_report = window + 1.0
        while True:
            f = sub.recv(timeout=max(0.0, next_report - time.monotonic()))
            if f is not None and f.camera in counts:
                counts[f.camera] += 1
                last[f.camera] = f.seq
                latency[f.camera] += time.clock_gettime_ns(time.CLOCK_REALTIME) - f.capture_ns
            now = time.monotonic()
            if now < next_report:
                continue
            elapsed = now - window
            for cam in args.cameras:
                tail = ""
                if counts[cam]:
                    tail = "  seq %d  latency %.1f ms" % (last[cam], latency[cam] / counts[cam] / 1e6)
                print("%-*s %6.1f fps%s" % (width, cam, counts[cam] / elapsed, tail), flush=True)
                counts[cam] = latency[cam] = 0
            reports += 1
            if args.count and reports >= args.count:
                return 0
            window, next_report = now, now + 1.0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)
