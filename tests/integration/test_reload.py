#!/usr/bin/python3
"""reload and SIGHUP (SPEC 6): the conf file read again while camarenad runs.

With arena_size set larger than the cameras need: a camera added gets frames
(read from the arena) while the others' workers and frame numbering are
untouched; a changed url restarts only that camera, its numbering going on;
a removed camera's worker goes and its descriptor is freed (empty name), and
a camera added next takes the freed room; a changed geometry starts a new
partition whose numbering starts at 1. A conf with an error (file:line in the
reply), a camera that does not fit (the bytes named), a changed name, and a
new camera at critical pressure are refused with nothing changed. SIGHUP does
what reload does. Deadlines are failure guards only."""
import json
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PAGE = 4096


def page_up(n):
    return (n + PAGE - 1) // PAGE * PAGE


def partition_size(width, height, slots, bpp=3):
    """SPEC 3: ring header and slot headers, page-aligned, then the slots."""
    return page_up(64 + 64 * slots) + slots * page_up(width * height * bpp)


def cam(rate="25", **kw):
    return harness.fake_camera("fake:rate=%s" % rate, **kw)


class Reload(unittest.TestCase):
    def instance(self, cameras, **sup):
        sup.setdefault("arena_size", "2M")
        inst = harness.Instance(cameras, supervisor=sup)
        self.addCleanup(inst.cleanup)
        return inst

    def reload(self, inst):
        status, body = inst.ctl("reload")
        self.assertEqual(status, "ok", body)
        return json.loads(body)

    def refused(self, inst):
        status, body = inst.ctl("reload")
        self.assertEqual(status, "error", body)
        self.assertIn("nothing changed", body)
        return body

    def pids(self, inst):
        return {c["name"]: c["pid"] for c in inst.status()["cameras"]}

    def cams(self, inst):
        return {c["name"]: c for c in inst.status()["cameras"]}

    def assertFrames(self, inst, camera, after=0):
        """Frames of camera beyond head after flow, and one of them reads whole
        from the arena with the fake's checksum."""
        head = inst.wait_frames(camera, after + 2)
        with inst.arena() as a:
            r = harness.wait_until(lambda: a.read(camera, a.head(camera)), "a whole frame of %s" % camera)
            harness.fake_frame_check(r[1])
        return head

    def assertUntouched(self, inst, before, before_heads, names):
        """Each named camera has the same worker, no more restarts, and
        frames numbered on from where they were (before: status by name)."""
        st = {c["name"]: c for c in inst.status()["cameras"]}
        for n in names:
            self.assertEqual(st[n]["pid"], before[n]["pid"], "%s was restarted" % n)
            self.assertEqual(st[n]["restarts"], before[n]["restarts"], st[n])
            inst.wait_frames(n, before_heads[n] + 1)

    def heads(self, inst, names):
        with inst.arena() as a:
            return {n: a.head(n) for n in names}

    def test_add_change_remove_add(self):
        inst = self.instance({"a": cam(), "b": cam()})
        for n in ("a", "b"):
            inst.wait_frames(n, 3)

        # Added: frames flow for it, a and b go on untouched.
        pids, before, heads = self.pids(inst), self.cams(inst), self.heads(inst, ["a", "b"])
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam(), "b": cam(), "c": cam()})
        body = self.reload(inst)
        self.assertEqual(body, {"added": ["c"], "removed": [], "changed": [], "unchanged": ["a", "b"]})
        _, ev = inst.events.wait("c", "starting", since=mark)
        self.assertEqual(ev["reason"], "reload")
        self.assertFrames(inst, "c")
        self.assertUntouched(inst, before, heads, ["a", "b"])
        self.assertEqual(inst.events.since(mark, "a") + inst.events.since(mark, "b"), [])

        # Changed url: a restarts with it, its numbering goes on; b, c untouched.
        pids, before, heads = self.pids(inst), self.cams(inst), self.heads(inst, ["a", "b", "c"])
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam("30"), "b": cam(), "c": cam()})
        body = self.reload(inst)
        self.assertEqual(body, {"added": [], "removed": [], "changed": ["a"], "unchanged": ["b", "c"]})
        _, ev = inst.events.wait("a", "starting", since=mark)
        self.assertEqual(ev["reason"], "reload")
        harness.wait_until(lambda: self.pids(inst)["a"] not in (0, pids["a"]), "a new worker for a")
        self.assertFalse(harness.proc_alive(pids["a"]) and pids["a"] in inst.unit_pids(),
                         "a's old worker is still there")
        self.assertFrames(inst, "a", heads["a"])
        self.assertIn("fake:rate=30", b" ".join(harness.proc_cmdline(self.pids(inst)["a"]) or []).decode())
        self.assertUntouched(inst, before, heads, ["b", "c"])
        self.assertEqual(self.cams(inst)["a"]["restarts"], before["a"]["restarts"] + 1)

        # Removed: b's worker goes, its descriptor is freed, its room is free.
        with inst.arena() as a:
            b_index, b_offset = a.cameras["b"].index, a.cameras["b"].partition_offset
            count = a.camera_count
        b_pid = self.pids(inst)["b"]
        before, heads = self.cams(inst), self.heads(inst, ["a", "c"])
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam("30"), "c": cam()})
        body = self.reload(inst)
        self.assertEqual(body, {"added": [], "removed": ["b"], "changed": [], "unchanged": ["a", "c"]})
        _, ev = inst.events.wait("b", "stopped", since=mark)
        self.assertEqual(ev["reason"], "reload")
        harness.wait_until(lambda: "b" not in self.pids(inst), "b to leave the status")
        harness.wait_until(lambda: not harness.proc_alive(b_pid), "b's worker to go")
        with inst.arena() as a:
            self.assertNotIn("b", a.cameras)
            self.assertEqual(harness.Camera(b_index, harness.DESC.unpack_from(
                a.mm, a.cameras_offset + 256 * b_index)).name, "")
            self.assertEqual(a.camera_count, count - 1)
        self.assertUntouched(inst, before, heads, ["a", "c"])

        # Added again: d takes the room b left (first fit, same size).
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam("30"), "c": cam(), "d": cam()})
        body = self.reload(inst)
        self.assertEqual(body["added"], ["d"])
        inst.events.wait("d", "starting", since=mark)
        self.assertFrames(inst, "d")
        with inst.arena() as a:
            self.assertEqual(a.cameras["d"].partition_offset, b_offset)
            self.assertEqual(a.camera_count, count)
        inst.stop()

    def test_geometry_change_starts_over(self):
        inst = self.instance({"a": cam(), "g": cam()})
        old_head = inst.wait_frames("g", 10)
        mark = inst.events.mark()
        pid_a = self.pids(inst)["a"]
        inst.rewrite_conf({"a": cam(), "g": cam(width=32, height=16)})
        self.assertEqual(self.reload(inst)["changed"], ["g"])
        inst.events.wait("g", "stopped", since=mark, pred=lambda e: e["reason"] == "reload")
        inst.events.wait("g", "starting", since=mark, pred=lambda e: e["reason"] == "reload")
        inst.wait_frames("g", 2)
        with inst.arena() as a:
            self.assertEqual((a.cameras["g"].width, a.cameras["g"].height), (32, 16))

            # The fake FFmpeg numbers its frames from 1 in each run: in a new
            # ring, written by that one run, frame_seq is that number, not
            # old_head + it as a continued numbering would make it.
            def newest():
                head = a.head("g")
                r = a.read("g", head)
                return r and (head, r)
            head, (hdr, data) = harness.wait_until(newest, "a whole frame of the new g")
            self.assertEqual(len(data), 32 * 16 * 3)
            self.assertEqual(harness.fake_frame_check(data), head)
        self.assertGreaterEqual(old_head, 10)
        self.assertEqual(self.pids(inst)["a"], pid_a)
        inst.stop()

    def test_refusals_change_nothing(self):
        cameras = {"a": cam(), "b": cam()}
        inst = self.instance(cameras, arena_size="1M")
        for n in cameras:
            inst.wait_frames(n, 3)
        pids = self.pids(inst)
        with inst.arena() as a:
            layout = {n: (c.index, c.partition_offset) for n, c in a.cameras.items()}

        # A conf error: every error line with the file and its line.
        inst.rewrite_conf(dict(cameras, c=cam()), extra="\n[camera bad]\nurl = fake:\nwidth = 1\n")
        body = self.refused(inst)
        self.assertRegex(body, re.escape(inst.conf_path) + r":\d+: \[camera bad\] width")
        self.assertRegex(body, re.escape(inst.conf_path) + r":\d+: \[camera bad\] height")

        # A camera that does not fit: the bytes it needs and the largest room.
        inst.rewrite_conf(dict(cameras, c=cam(), huge=cam(width=1024, height=1024)))
        body = self.refused(inst)
        self.assertIn("huge", body)
        self.assertIn("needs %d bytes" % partition_size(1024, 1024, 8), body)
        self.assertIn("largest free range", body)
        self.assertNotIn("camera c ", body)

        # A key that needs a restart.
        inst.rewrite_conf(dict(cameras, c=cam()), supervisor={"name": inst.name + "x"})
        body = self.refused(inst)
        self.assertIn("name cannot change on reload: restart camarenad", body)
        inst.rewrite_conf(supervisor={"name": inst.name, "arena_size": "2M"})
        self.assertIn("arena_size cannot change", self.refused(inst))
        inst.rewrite_conf(supervisor={"arena_size": "1M"})

        # Nothing changed: the same cameras, workers, descriptors.
        self.assertEqual(self.pids(inst), pids)
        with inst.arena() as a:
            self.assertEqual({n: (c.index, c.partition_offset) for n, c in a.cameras.items()}, layout)
        for c in inst.status()["cameras"]:
            self.assertEqual(c["restarts"], 0, c)
        # And the running conf is still the old one: the same file again is a no-op.
        inst.rewrite_conf(cameras)
        self.assertEqual(self.reload(inst), {"added": [], "removed": [], "changed": [], "unchanged": ["a", "b"]})
        self.assertEqual(self.pids(inst), pids)
        inst.stop()

    def test_remove_paused_after_reload(self):
        # A second reload (the running conf is one a reload read) that
        # removes a paused camera: it has no worker to wait for, so it is
        # dropped at once and the conf before the reload freed with it.
        inst = self.instance({"a": cam(), "p": cam()})
        inst.wait_frames("p", 2)
        inst.rewrite_conf({"a": cam(), "p": cam(priority=60)})
        self.assertEqual(self.reload(inst)["changed"], ["p"])
        self.assertEqual(inst.ok("pause", "p"), "paused")
        harness.wait_until(lambda: self.pids(inst)["p"] == 0, "p's worker to go")
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam()})
        self.assertEqual(self.reload(inst), {"added": [], "removed": ["p"], "changed": [], "unchanged": ["a"]})
        inst.events.wait("p", "stopped", since=mark, pred=lambda e: e["reason"] == "reload")
        self.assertEqual(list(self.pids(inst)), ["a"])
        with inst.arena() as a:
            self.assertEqual(list(a.cameras), ["a"])
        inst.rewrite_conf({"a": cam(), "p": cam()})
        self.assertEqual(self.reload(inst)["added"], ["p"])
        self.assertFrames(inst, "p")
        inst.stop()

    def test_sighup(self):
        inst = self.instance({"a": cam()})
        inst.wait_frames("a", 3)
        pid_a = self.pids(inst)["a"]
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam(), "h": cam()})
        inst.proc.send_signal(signal.SIGHUP)
        _, ev = inst.events.wait("h", "starting", since=mark)
        self.assertEqual(ev["reason"], "reload")
        self.assertFrames(inst, "h")
        self.assertEqual(self.pids(inst)["a"], pid_a)
        harness.wait_until(lambda: "SIGHUP: reloaded" in inst.log_tail(200), "the reload in the log")

        # Removed by SIGHUP.
        mark = inst.events.mark()
        inst.rewrite_conf({"a": cam()})
        inst.proc.send_signal(signal.SIGHUP)
        inst.events.wait("h", "stopped", since=mark, pred=lambda e: e["reason"] == "reload")
        harness.wait_until(lambda: "h" not in self.pids(inst), "h to go")

        # A bad conf: logged line by line, nothing changed.
        inst.rewrite_conf({"a": cam(), "h": cam()}, extra="\n[camera bad]\nwidth = 1\n")
        inst.proc.send_signal(signal.SIGHUP)
        harness.wait_until(lambda: "SIGHUP: reload refused" in inst.log_tail(200), "the refusal in the log")
        self.assertRegex(inst.log_tail(200), re.escape(inst.conf_path) + r":\d+: \[camera bad\] width")
        self.assertEqual(self.pids(inst), {"a": pid_a})
        self.assertEqual(inst.ctl("ping"), ("ok", "pong"))
        inst.stop()

    def test_critical_pressure_adds_nothing(self):
        # A global_limit below the arena's size: the level is critical at once.
        inst = self.instance({"top": cam(priority=90)}, global_limit="1M")
        harness.wait_until(lambda: inst.status()["pressure"]["level"] == "critical", "critical pressure")
        inst.rewrite_conf({"top": cam(priority=90), "new": cam()})
        body = self.refused(inst)
        self.assertIn("critical", body)
        self.assertIn("new", body)
        self.assertNotIn("new", self.pids(inst))
        # Removing and tuning are still allowed.
        inst.rewrite_conf({"top": cam(priority=80)})
        body = self.reload(inst)
        self.assertEqual(body["changed"], ["top"])
        harness.wait_until(lambda: inst.camera_status("top")["priority"] == 80, "the new priority")
        inst.stop()


if __name__ == "__main__":
    harness.main()
