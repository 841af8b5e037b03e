#!/bin/sh
# demo.sh - run by `make demo` as `tools/demo.sh BIN`: prints how to watch the
# demo instance, then runs camarenad on conf/demo.ini in the foreground
# (Ctrl-C stops it cleanly).
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
CONF=conf/demo.ini
if [ ! -x "$BIN/camarenad" ]; then
    echo "demo: $BIN/camarenad is not built; run make first" >&2
    exit 2
fi
cat <<EOT
camarena demo: four synthetic cameras (testsrc, bars, life, mandelbrot) from
$CONF. From another terminal, in $(pwd):

  $BIN/camarena-ctl -c $CONF status                 # a table of the cameras
  $BIN/camarena-sub -c $CONF --stats testsrc        # fps, latency, losses, once a second
  $BIN/camarena-sub -c $CONF --count 10 testsrc bars   # a line per frame
  $BIN/camarena-sub -c $CONF --snapshot /tmp/testsrc.png testsrc
  $BIN/camarena-sub -c $CONF --raw testsrc | \\
      ffplay -f rawvideo -pixel_format bgr24 -video_size 640x480 -
  $BIN/camarena-ctl -c $CONF restart bars           # restart a camera now
  $BIN/camarena-ctl -c $CONF --json status life    # its "pid": kill -9 it, and watch it come back

Ctrl-C stops camarenad; it removes its arena and sockets on the way out.

EOT
exec "$BIN/camarenad" -c "$CONF"
