/* test_arena.c - the arena: layout, plan, create, writer, reader, torture.
 *
 * Every shared-memory object is named /camarena-ta<pid>-<tag>, so runs do
 * not collide, and every one is unlinked before the program ends. One arena
 * with a camera per pixel format and size is made once, in group setup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena/arena.h"
#include "arena/writer.h"
#include "camarena.h"

#define MAX_OBJECTS 64

static char made[MAX_OBJECTS][96]; /* instance names to unlink at the end */
static int made_count;

/* Writes a unique instance name for tag into out and remembers it. */
static const char *inst(char *out, size_t len, const char *tag)
{
    snprintf(out, len, "ta%ld-%s", (long)getpid(), tag);
    if (made_count < MAX_OBJECTS)
        snprintf(made[made_count++], sizeof(made[0]), "/camarena-%s", out);
    return out;
}

static void unlink_all(void)
{
    for (int i = 0; i < made_count; i++)
        shm_unlink(made[i]);
    made_count = 0;
}

static bool shm_exists(const char *instance)
{
    char name[96];
    int fd;

    snprintf(name, sizeof(name), "/camarena-%s", instance);
    fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t page_up(uint64_t v)
{
    return (v + 4095) / 4096 * 4096;
}

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The byte pattern of frame seq of camera index (tests/arena_struct.py
 * knows it too). */
static uint8_t pattern(uint64_t seq, uint64_t i, uint32_t index)
{
    return (uint8_t)((seq * 31 + i * 7 + index) % 256);
}

static void fill(uint8_t *p, uint32_t size, uint64_t seq, uint32_t index)
{
    for (uint32_t i = 0; i < size; i++)
        p[i] = pattern(seq, i, index);
}

static bool matches(const uint8_t *p, uint32_t size, uint64_t seq, uint32_t index)
{
    for (uint32_t i = 0; i < size; i++)
        if (p[i] != pattern(seq, i, index))
            return false;
    return true;
}

static int plan_one(struct arena_plan *plan, const char *name, enum pixfmt fmt, uint32_t w, uint32_t h,
                    uint32_t slots, uint32_t capacity, uint64_t arena_size, char *err, size_t errlen)
{
    struct arena_camera_spec c = {name, fmt, w, h, slots, 50};
    return arena_plan_build(plan, &c, 1, capacity, arena_size, err, errlen);
}

/* ---- the group fixture: one arena, a camera per format and size ------ */

#define FIX_SIZES 2
#define FIX_FMT_CAMS (PIXFMT_COUNT * FIX_SIZES)
enum { CAM_ABORT = FIX_FMT_CAMS, CAM_NUMBER, CAM_ERRORS, CAM_PY, FIX_CAMS };
#define FIX_CAPACITY (FIX_CAMS + 3) /* the last three descriptors are free */
#define FIX_SLOTS 4

static const uint32_t fix_w[FIX_SIZES] = {33, 64}, fix_h[FIX_SIZES] = {17, 48};

static struct {
    char inst[64];
    struct arena_plan plan;
    struct arena arena;
    camarena_arena_t *reader;
    uint64_t before_ns, after_ns;
    char names[FIX_CAMS][32];
} fix;

static int group_setup(void **state)
{
    struct arena_camera_spec specs[FIX_CAMS];
    char err[256];

    (void)state;
    inst(fix.inst, sizeof(fix.inst), "fix");
    for (uint32_t i = 0; i < FIX_CAMS; i++) {
        enum pixfmt fmt = i < FIX_FMT_CAMS ? (enum pixfmt)(i % PIXFMT_COUNT) : PIXFMT_BGR24;
        uint32_t sz = i < FIX_FMT_CAMS ? i / PIXFMT_COUNT : 0;
        snprintf(fix.names[i], sizeof(fix.names[i]), "cam-%u_%s", i, pixfmt_name(fmt));
        specs[i] = (struct arena_camera_spec){fix.names[i], fmt, fix_w[sz], fix_h[sz], FIX_SLOTS, 10 + i};
    }
    if (arena_plan_build(&fix.plan, specs, FIX_CAMS, FIX_CAPACITY, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "plan: %s\n", err);
        return -1;
    }
    fix.before_ns = now_ns(CLOCK_REALTIME);
    if (arena_create(&fix.arena, fix.inst, 0600, &fix.plan, err, sizeof(err)) != 0) {
        fprintf(stderr, "create: %s\n", err);
        return -1;
    }
    fix.after_ns = now_ns(CLOCK_REALTIME);
    if (camarena_arena_open(&fix.reader, fix.inst) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    camarena_arena_close(&fix.reader);
    arena_close(&fix.arena, true);
    arena_plan_close(&fix.plan);
    unlink_all();
    return 0;
}

/* ---- layout ----------------------------------------------------------- */

static void test_layout_bytes(void **state)
{
    const uint8_t *b = fix.arena.base;
    struct arena_writer w;
    uint64_t created;
    (void)state;

    assert_memory_equal(b + 0, "CAMARENA", 8);
    assert_int_equal(rd32(b + 8), 1);
    assert_int_equal(rd32(b + 12), 4096);
    assert_int_equal(rd64(b + 16), fix.plan.size);
    assert_int_equal(rd64(b + 24), camarena_arena_generation(fix.reader));
    assert_int_not_equal(rd64(b + 24), 0);
    assert_int_equal(rd32(b + 32), (uint32_t)getpid());
    assert_int_equal(rd32(b + 36), FIX_CAMS);
    assert_int_equal(rd64(b + 40), 4096);
    assert_int_equal(rd32(b + 48), 256);
    assert_int_equal(rd32(b + 52), FIX_CAPACITY);
    assert_int_not_equal(rd64(b + 56), 0);
    assert_int_equal(rd64(b + 56), camarena_arena_heartbeat(fix.reader));
    created = rd64(b + 64);
    assert_true(created >= fix.before_ns && created <= fix.after_ns);

    uint64_t expect_off = page_up(4096 + FIX_CAPACITY * 256);
    for (uint32_t i = 0; i < FIX_CAMS; i++) {
        const uint8_t *d = b + 4096 + i * 256;
        const struct arena_part *p = &fix.plan.parts[i];
        uint32_t frame = (uint32_t)pixfmt_frame_size(p->pix_fmt, p->width, p->height);
        uint64_t poff = rd64(d + 96);

        assert_string_equal((const char *)d, fix.names[i]);
        assert_string_equal((const char *)d + 64, pixfmt_name(p->pix_fmt));
        assert_int_equal(rd32(d + 80), p->width);
        assert_int_equal(rd32(d + 84), p->height);
        assert_int_equal(rd32(d + 88), frame);
        assert_int_equal(rd32(d + 92), FIX_SLOTS);
        assert_int_equal(poff, expect_off);
        assert_int_equal(poff % 4096, 0);
        assert_int_equal(rd64(d + 104), 4096 + FIX_SLOTS * page_up(frame));
        assert_int_equal(rd64(d + 112), poff + 64);
        assert_int_equal(rd64(d + 120), page_up(poff + 64 + FIX_SLOTS * 64));
        assert_int_equal(rd64(d + 128), page_up(frame));
        assert_int_equal(rd32(d + 136), 0);
        assert_int_equal(rd32(d + 140), 10 + i);
        assert_int_equal(rd64(b + poff), 0); /* head_seq */
        for (uint32_t s = 0; s < FIX_SLOTS; s++)
            assert_int_equal(rd64(b + poff + 64 + s * 64), 0);
        expect_off += rd64(d + 104);
    }
    assert_int_equal(expect_off, fix.plan.size);
    for (uint32_t i = FIX_CAMS; i < FIX_CAPACITY; i++)
        assert_int_equal(b[4096 + i * 256], 0);

    /* One committed frame: head_seq and its slot header at their offsets. */
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_PY), 0);
    uint64_t f = arena_writer_next_seq(&w);
    uint8_t *data = arena_writer_begin(&w);
    const uint8_t *d = b + 4096 + CAM_PY * 256;
    uint64_t poff = rd64(d + 96);
    uint32_t slot = (uint32_t)((f - 1) % FIX_SLOTS);
    /* The writer's own mapping of the partition: compare offsets. */
    assert_int_equal(data - w.part_map + rd64(d + 96), rd64(d + 120) + slot * rd64(d + 128));
    assert_int_equal(rd64(b + rd64(d + 112) + slot * 64), 2 * f - 1);
    fill(data, 100, f, CAM_PY);
    assert_int_equal(arena_writer_commit(&w, 100, 111, 222), f);
    assert_int_equal(rd64(b + poff), f);
    const uint8_t *sh = b + rd64(d + 112) + slot * 64;
    assert_int_equal(rd64(sh + 0), 2 * f);
    assert_int_equal(rd64(sh + 8), 111);
    assert_int_equal(rd64(sh + 16), 222);
    assert_int_equal(rd32(sh + 24), 100);
    assert_int_equal(rd32(sh + 28), 0);
    arena_writer_close(&w);

    /* The supervisor's own stores land where the spec says. */
    arena_set_state(&fix.arena, CAM_PY, ARENA_STATE_RUNNING);
    assert_int_equal(rd32(d + 136), 2);
    arena_set_state(&fix.arena, CAM_PY, ARENA_STATE_STOPPED);
    arena_heartbeat(&fix.arena, 12345);
    assert_int_equal(rd64(b + 56), 12345);
    assert_int_equal(camarena_arena_heartbeat(fix.reader), 12345);
    assert_ptr_equal(arena_ring(&fix.arena, CAM_PY), b + poff);
}

/* ---- plan ------------------------------------------------------------- */

static void test_plan(void **state)
{
    struct arena_plan p;
    char err[256];
    (void)state;

    /* gray 10x10 = 100 bytes, 5 slots, 3 descriptors. */
    assert_int_equal(plan_one(&p, "a", PIXFMT_GRAY, 10, 10, 5, 3, 0, err, sizeof(err)), 0);
    assert_int_equal(p.descriptors_size, 768);
    assert_int_equal(p.partitions_offset, 8192);
    assert_int_equal(p.parts[0].frame_size, 100);
    assert_int_equal(p.parts[0].partition_offset, 8192);
    assert_int_equal(p.parts[0].slots_offset, 8192 + 64);
    assert_int_equal(p.parts[0].data_offset, 8192 + 4096);
    assert_int_equal(p.parts[0].slot_stride, 4096);
    assert_int_equal(p.parts[0].partition_size, 4096 + 5 * 4096);
    assert_int_equal(p.needed, 8192 + 6 * 4096);
    assert_int_equal(p.size, p.needed);
    arena_plan_close(&p);

    /* Slot headers that spill over a page; a frame one byte over a page. */
    assert_int_equal(arena_partition_size(4096, 100), 8192 + 100 * 4096);
    assert_int_equal(arena_partition_size(4097, 2), 4096 + 2 * 8192);
    assert_int_equal(arena_partition_size(1, 63), 4096 + 63 * 4096);
    assert_int_equal(arena_partition_size(1, 64), 8192 + 64 * 4096);

    /* 16 descriptors fill one page exactly; 17 need a second. */
    assert_int_equal(plan_one(&p, "a", PIXFMT_GRAY, 64, 64, 1, 16, 0, err, sizeof(err)), 0);
    assert_int_equal(p.partitions_offset, 8192);
    arena_plan_close(&p);
    assert_int_equal(plan_one(&p, "a", PIXFMT_GRAY, 64, 64, 1, 17, 0, err, sizeof(err)), 0);
    assert_int_equal(p.partitions_offset, 12288);
    assert_int_equal(p.needed, 12288 + 4096 + 4096);
    arena_plan_close(&p);

    /* Several cameras follow one another, every offset page-aligned. */
    struct arena_camera_spec cams[3] = {
        {"x", PIXFMT_YUV420P, 33, 17, 3, 1}, {"y", PIXFMT_BGRA, 640, 480, 2, 2}, {"z", PIXFMT_NV12, 1, 1, 7, 3}};
    assert_int_equal(arena_plan_build(&p, cams, 3, 8, 0, err, sizeof(err)), 0);
    uint64_t off = p.partitions_offset;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.parts[i].partition_offset, off);
        assert_int_equal(p.parts[i].partition_offset % 4096, 0);
        assert_int_equal(p.parts[i].data_offset % 4096, 0);
        assert_int_equal(p.parts[i].slot_stride % 4096, 0);
        assert_true(p.parts[i].slot_stride >= p.parts[i].frame_size);
        assert_int_equal(p.parts[i].partition_size,
                         arena_partition_size(p.parts[i].frame_size, p.parts[i].slot_count));
        off += p.parts[i].partition_size;
    }
    assert_int_equal(p.parts[0].frame_size, 33 * 17 + 2 * 17 * 9);
    assert_int_equal(p.parts[1].frame_size, 640 * 480 * 4);
    assert_int_equal(p.parts[1].slot_stride, 640 * 480 * 4);
    assert_int_equal(p.parts[2].frame_size, 3);
    assert_int_equal(p.needed, off);
    uint64_t needed = p.needed;
    arena_plan_close(&p);

    /* Spare room: the object is arena_size, the cameras still need the same. */
    assert_int_equal(arena_plan_build(&p, cams, 3, 8, needed + (1 << 20), err, sizeof(err)), 0);
    assert_int_equal(p.needed, needed);
    assert_int_equal(p.size, needed + (1 << 20));
    arena_plan_close(&p);
    assert_int_equal(arena_plan_build(&p, cams, 3, 8, needed, err, sizeof(err)), 0);
    assert_int_equal(p.size, needed);
    arena_plan_close(&p);

    /* Too small: -ENOSPC naming both sizes. */
    char want[64];
    assert_int_equal(arena_plan_build(&p, cams, 3, 8, needed - 1, err, sizeof(err)), -ENOSPC);
    snprintf(want, sizeof(want), "%" PRIu64, needed);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof(want), "%" PRIu64, needed - 1);
    assert_non_null(strstr(err, want));
    assert_null(p.parts);

    /* Refusals. */
    assert_int_equal(arena_plan_build(&p, cams, 3, 2, 0, err, sizeof(err)), -EINVAL);
    assert_int_equal(plan_one(&p, "a", PIXFMT_GRAY, 0, 10, 1, 1, 0, err, sizeof(err)), -EINVAL);
    assert_int_equal(plan_one(&p, "a", PIXFMT_GRAY, 10, 10, 0, 1, 0, err, sizeof(err)), -EINVAL);
    assert_int_equal(plan_one(&p, "", PIXFMT_GRAY, 10, 10, 1, 1, 0, err, sizeof(err)), -EINVAL);
    assert_int_equal(plan_one(&p, "0123456789012345678901234567890123456789012345678901234567890123",
                              PIXFMT_GRAY, 10, 10, 1, 1, 0, err, sizeof(err)), -EINVAL);
    assert_int_equal(plan_one(&p, "big", PIXFMT_BGRA, 65535, 65535, 1, 1, 0, err, sizeof(err)), -EINVAL);

    /* No camera at all is an arena of header and descriptors. */
    assert_int_equal(arena_plan_build(&p, NULL, 0, 4, 0, err, sizeof(err)), 0);
    assert_int_equal(p.needed, 8192);
    arena_plan_close(&p);
}

/* ---- create ------------------------------------------------------------ */

static void test_create_mode_and_reserve(void **state)
{
    struct arena_plan p;
    struct arena a;
    struct stat st;
    char name[64], err[256];
    mode_t old;
    (void)state;

    inst(name, sizeof(name), "mode");
    assert_int_equal(plan_one(&p, "c", PIXFMT_BGR24, 320, 240, 4, 2, 0, err, sizeof(err)), 0);
    old = umask(0077);
    int rc = arena_create(&a, name, 0640, &p, err, sizeof(err));
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(fstat(a.fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal((uint64_t)st.st_size, p.size);
    /* posix_fallocate reserved every page: nothing is left to fault in later. */
    assert_true((uint64_t)st.st_blocks * 512 >= p.size);
    assert_string_equal(a.shm_name, made[made_count - 1]);
    arena_close(&a, true);
    assert_false(shm_exists(name));
    arena_close(&a, true); /* twice is harmless */

    old = umask(0);
    rc = arena_create(&a, name, 0600, &p, err, sizeof(err));
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(fstat(a.fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    arena_close(&a, true);

    assert_int_equal(arena_create(&a, "bad/name", 0600, &p, err, sizeof(err)), -EINVAL);
    assert_int_equal(arena_create(&a, "", 0600, &p, err, sizeof(err)), -EINVAL);
    arena_plan_close(&p);
}

static void test_create_live_refused(void **state)
{
    struct arena_plan p;
    struct arena a, b;
    char name[64], err[256], want[64];
    pid_t child;
    int fd, status;
    (void)state;

    inst(name, sizeof(name), "live");
    assert_int_equal(plan_one(&p, "c", PIXFMT_GRAY, 16, 16, 2, 2, 0, err, sizeof(err)), 0);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    uint64_t gen = a.header->generation;

    /* This process is the live supervisor. */
    assert_int_equal(arena_create(&b, name, 0600, &p, err, sizeof(err)), -EEXIST);
    snprintf(want, sizeof(want), "pid %ld", (long)getpid());
    assert_non_null(strstr(err, want));
    assert_ptr_equal(b.base, NULL);
    assert_int_equal(a.header->generation, gen);
    assert_memory_equal(a.base, "CAMARENA", 8);

    /* Another live process, as another supervisor would be. */
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pause();
        _exit(0);
    }
    fd = shm_open(a.shm_name, O_RDWR, 0);
    assert_true(fd >= 0);
    uint32_t pid32 = (uint32_t)child;
    assert_int_equal(pwrite(fd, &pid32, 4, 32), 4);
    close(fd);
    assert_int_equal(arena_create(&b, name, 0600, &p, err, sizeof(err)), -EEXIST);
    snprintf(want, sizeof(want), "pid %ld", (long)child);
    assert_non_null(strstr(err, want));
    assert_int_equal(a.header->generation, gen);
    kill(child, SIGKILL);
    waitpid(child, &status, 0);

    arena_close(&a, true);
    arena_plan_close(&p);
}

static void test_create_stale_replaced(void **state)
{
    struct arena_plan p;
    struct arena a;
    char name[64], err[256];
    pid_t child;
    int fd;
    (void)state;

    inst(name, sizeof(name), "stale");
    assert_int_equal(plan_one(&p, "c", PIXFMT_GRAY, 16, 16, 2, 2, 0, err, sizeof(err)), 0);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    uint64_t gen = a.header->generation;
    arena_close(&a, false); /* the supervisor "died": the object stays */
    assert_true(shm_exists(name));

    /* A pid that surely is dead: a child that exited and was reaped. */
    child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    char shm[96];
    snprintf(shm, sizeof(shm), "/camarena-%s", name);
    fd = shm_open(shm, O_RDWR, 0);
    assert_true(fd >= 0);
    uint32_t pid32 = (uint32_t)child;
    assert_int_equal(pwrite(fd, &pid32, 4, 32), 4);
    close(fd);

    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    assert_int_not_equal(a.header->generation, gen);
    assert_int_equal(a.header->supervisor_pid, (uint32_t)getpid());
    arena_close(&a, true);
    arena_plan_close(&p);
}

static void make_object(const char *instance, const void *bytes, size_t len, size_t size)
{
    char shm[96];
    int fd;

    snprintf(shm, sizeof(shm), "/camarena-%s", instance);
    shm_unlink(shm);
    fd = shm_open(shm, O_CREAT | O_EXCL | O_RDWR, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    if (len > size)
        len = size;
    if (len)
        assert_int_equal(pwrite(fd, bytes, len, 0), (ssize_t)len);
    close(fd);
}

static void test_create_garbage_replaced(void **state)
{
    struct arena_plan p;
    struct arena a;
    char name[64], err[256];
    uint8_t junk[8192];
    (void)state;

    inst(name, sizeof(name), "junk");
    assert_int_equal(plan_one(&p, "c", PIXFMT_GRAY, 16, 16, 2, 2, 0, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 131 + 7);

    /* Too small to be an arena. */
    make_object(name, junk, 100, 100);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    arena_close(&a, true);

    /* Big enough, but garbage. */
    make_object(name, junk, sizeof(junk), sizeof(junk));
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    arena_close(&a, true);

    /* An empty object, as a crash right after shm_open would leave. */
    make_object(name, NULL, 0, 0);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    arena_close(&a, true);

    /* A live pid in a header whose magic is wrong: not an arena, replaced. */
    memset(junk, 0, sizeof(junk));
    memcpy(junk, "CAMAREN?", 8);
    uint32_t v = 1, hs = 4096, pid = (uint32_t)getpid();
    memcpy(junk + 8, &v, 4);
    memcpy(junk + 12, &hs, 4);
    memcpy(junk + 32, &pid, 4);
    make_object(name, junk, sizeof(junk), sizeof(junk));
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    assert_memory_equal(a.base, "CAMARENA", 8);
    arena_close(&a, true);
    assert_false(shm_exists(name));
    arena_plan_close(&p);
}

static void test_create_no_room(void **state)
{
    struct arena_plan p;
    struct arena a;
    struct statvfs vfs;
    char name[64], err[256], want[64];
    (void)state;

    assert_int_equal(statvfs("/dev/shm", &vfs), 0);
    if (vfs.f_blocks == 0)
        skip(); /* an unlimited tmpfs: no size is beyond its room */
    /* Beyond the whole of /dev/shm, so tmpfs refuses at once rather than
     * filling memory first. */
    uint64_t total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    uint64_t size = page_up(2 * total + (1ull << 30));

    inst(name, sizeof(name), "noroom");
    assert_int_equal(plan_one(&p, "c", PIXFMT_GRAY, 16, 16, 2, 2, size, err, sizeof(err)), 0);
    assert_int_equal(p.size, size);
    err[0] = '\0';
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), -ENOSPC);
    snprintf(want, sizeof(want), "needed %" PRIu64 " bytes", size);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "free"));
    assert_false(shm_exists(name));
    assert_ptr_equal(a.base, NULL);
    arena_close(&a, true);
    arena_plan_close(&p);
}

/* ---- writer and reader round trips ------------------------------------ */

static void test_roundtrip_formats(void **state)
{
    static uint8_t buf[64 * 48 * 4];
    (void)state;

    assert_int_equal(camarena_arena_capacity(fix.reader), FIX_CAPACITY);
    assert_int_equal(camarena_arena_supervisor_pid(fix.reader), (uint32_t)getpid());
    for (uint32_t i = 0; i < FIX_FMT_CAMS; i++) {
        const struct arena_part *p = &fix.plan.parts[i];
        struct camarena_camera_info info;
        struct camarena_frame f;
        struct arena_writer w;
        uint32_t frame = (uint32_t)pixfmt_frame_size(p->pix_fmt, p->width, p->height);

        assert_int_equal(camarena_arena_find(fix.reader, fix.names[i]), (int)i);
        assert_int_equal(camarena_arena_camera(fix.reader, i, &info), 0);
        assert_string_equal(info.name, fix.names[i]);
        assert_string_equal(info.pix_fmt, pixfmt_name(p->pix_fmt));
        assert_int_equal(info.width, p->width);
        assert_int_equal(info.height, p->height);
        assert_int_equal(info.frame_size, frame);
        assert_int_equal(info.slot_count, FIX_SLOTS);
        assert_int_equal(info.state, 0);
        assert_int_equal(info.priority, 10 + i);
        assert_int_equal(camarena_arena_head(fix.reader, i), 0);
        assert_int_equal(camarena_arena_peek(fix.reader, i, 1, &f), -EAGAIN);

        assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, i), 0);
        assert_int_equal(arena_writer_next_seq(&w), 1);
        for (uint64_t seq = 1; seq <= 2 * FIX_SLOTS + 1; seq++) {
            uint8_t *dst = arena_writer_begin(&w);
            /* The writer hands out exactly the slot the spec names. */
            assert_int_equal(dst - w.part_map + p->partition_offset,
                             p->data_offset + ((seq - 1) % FIX_SLOTS) * p->slot_stride);
            fill(dst, frame, seq, i);
            assert_int_equal(camarena_arena_peek(fix.reader, i, seq, &f), -EAGAIN);
            assert_int_equal(arena_writer_commit(&w, frame, 1000 + seq, 2000 + seq), seq);
            assert_int_equal(camarena_arena_head(fix.reader, i), seq);

            /* Zero copy: peek, use, check. */
            memset(&f, 0, sizeof(f));
            assert_int_equal(camarena_arena_peek(fix.reader, i, seq, &f), 0);
            assert_int_equal(f.camera, i);
            assert_int_equal(f.seq, seq);
            assert_int_equal(f.slot, (seq - 1) % FIX_SLOTS);
            assert_int_equal(f.size, frame);
            assert_int_equal(f.capture_realtime_ns, 1000 + seq);
            assert_int_equal(f.capture_monotonic_ns, 2000 + seq);
            assert_true(matches(f.data, f.size, seq, i));
            assert_int_equal(camarena_frame_check(fix.reader, &f), 0);

            /* Copy. */
            memset(buf, 0, sizeof(buf));
            assert_int_equal(camarena_arena_copy(fix.reader, i, seq, buf, sizeof(buf), &f), 0);
            assert_ptr_equal(f.data, buf);
            assert_int_equal(f.size, frame);
            assert_true(matches(buf, frame, seq, i));
            assert_int_equal(camarena_arena_copy(fix.reader, i, seq, buf, frame - 1, &f), -ENOBUFS);

            /* The frame a full ring ago is gone, and says so. */
            if (seq > FIX_SLOTS) {
                assert_int_equal(camarena_arena_peek(fix.reader, i, seq - FIX_SLOTS, &f), -ESTALE);
                assert_int_equal(camarena_arena_copy(fix.reader, i, seq - FIX_SLOTS, buf, sizeof(buf), &f),
                                 -ESTALE);
            }
            /* Frames still in the ring are all readable. */
            for (uint64_t old = seq > FIX_SLOTS ? seq - FIX_SLOTS + 1 : 1; old <= seq; old++) {
                assert_int_equal(camarena_arena_copy(fix.reader, i, old, buf, sizeof(buf), &f), 0);
                assert_true(matches(buf, frame, old, i));
            }
            assert_int_equal(camarena_arena_peek(fix.reader, i, seq + 1, &f), -EAGAIN);
        }

        /* A pointer kept past an overwrite fails its check. */
        uint64_t head = camarena_arena_head(fix.reader, i);
        assert_int_equal(camarena_arena_peek(fix.reader, i, head, &f), 0);
        for (int k = 0; k < FIX_SLOTS; k++) {
            uint8_t *dst = arena_writer_begin(&w);
            if (k == 0)
                assert_int_equal(camarena_frame_check(fix.reader, &f), 0);
            fill(dst, frame, head + 1 + k, i);
            arena_writer_commit(&w, frame, 0, 0);
        }
        assert_int_equal(camarena_frame_check(fix.reader, &f), -ESTALE);

        /* A frame shorter than frame_size is carried as such. */
        uint64_t seq = arena_writer_next_seq(&w);
        fill(arena_writer_begin(&w), 10, seq, i);
        arena_writer_commit(&w, 10, 0, 0);
        assert_int_equal(camarena_arena_copy(fix.reader, i, seq, buf, 10, &f), 0);
        assert_int_equal(f.size, 10);
        assert_true(matches(buf, 10, seq, i));
        arena_writer_close(&w);
    }

    /* The frame sizes of the odd-sized cameras, as FFmpeg lays them out. */
    struct camarena_camera_info info;
    const uint32_t want[PIXFMT_COUNT] = {
        [PIXFMT_BGR24] = 33 * 17 * 3, [PIXFMT_RGB24] = 33 * 17 * 3, [PIXFMT_GRAY] = 33 * 17,
        [PIXFMT_YUV420P] = 33 * 17 + 2 * 17 * 9, [PIXFMT_NV12] = 33 * 17 + 2 * 17 * 9,
        [PIXFMT_BGRA] = 33 * 17 * 4, [PIXFMT_RGBA] = 33 * 17 * 4};
    for (uint32_t fmt = 0; fmt < PIXFMT_COUNT; fmt++) {
        assert_int_equal(camarena_arena_camera(fix.reader, fmt, &info), 0);
        assert_int_equal(info.frame_size, want[fmt]);
    }
}

static void test_reader_lookup_errors(void **state)
{
    struct camarena_camera_info info;
    struct camarena_frame f = {0};
    camarena_arena_t *r = (camarena_arena_t *)&f;
    uint8_t buf[16];
    char name[64];
    (void)state;

    assert_int_equal(camarena_arena_find(fix.reader, "no-such-camera"), -ENOENT);
    assert_int_equal(camarena_arena_find(fix.reader, ""), -ENOENT);
    assert_int_equal(camarena_arena_camera(fix.reader, FIX_CAPACITY, &info), -ERANGE);
    assert_int_equal(camarena_arena_camera(fix.reader, UINT32_MAX, &info), -ERANGE);
    assert_int_equal(camarena_arena_camera(fix.reader, FIX_CAMS, &info), -ENOENT);
    assert_int_equal(camarena_arena_peek(fix.reader, FIX_CAPACITY, 1, &f), -ERANGE);
    assert_int_equal(camarena_arena_peek(fix.reader, FIX_CAMS, 1, &f), -ENOENT);
    assert_int_equal(camarena_arena_copy(fix.reader, FIX_CAPACITY, 1, buf, sizeof(buf), &f), -ERANGE);
    assert_int_equal(camarena_arena_head(fix.reader, FIX_CAPACITY), 0);
    assert_int_equal(camarena_arena_head(fix.reader, FIX_CAMS), 0);
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ERRORS, 0, &f), -EAGAIN);
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ERRORS, UINT64_MAX, &f), -EAGAIN);
    f = (struct camarena_frame){.camera = FIX_CAPACITY, .seq = 1};
    assert_int_equal(camarena_frame_check(fix.reader, &f), -ESTALE);
    f = (struct camarena_frame){.camera = CAM_ERRORS, .seq = 1, .slot = FIX_SLOTS};
    assert_int_equal(camarena_frame_check(fix.reader, &f), -ESTALE);

    r = NULL;
    assert_int_equal(camarena_arena_open(&r, inst(name, sizeof(name), "absent")), -ENOENT);
    assert_null(r);
    assert_int_equal(camarena_arena_open(&r, "../etc"), -EINVAL);
    assert_int_equal(camarena_arena_open(&r, ""), -EINVAL);
    camarena_arena_close(&r);
    camarena_arena_close(NULL);

    struct arena_writer w;
    assert_int_equal(arena_writer_open(&w, made[made_count - 1], 0), -ENOENT);
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, FIX_CAMS), -ENOENT);
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, FIX_CAPACITY), -EINVAL);
    arena_writer_close(&w);
}

static void test_abort(void **state)
{
    const struct arena_part *p = &fix.plan.parts[CAM_ABORT];
    struct arena_slot *slots = (struct arena_slot *)(fix.arena.base + p->slots_offset);
    struct camarena_frame f;
    struct arena_writer w;
    uint8_t *first, *again;
    (void)state;

    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_ABORT), 0);
    assert_int_equal(arena_writer_next_seq(&w), 1);
    first = arena_writer_begin(&w);
    assert_int_equal(atomic_load(&slots[0].seq), 1);
    memset(first, 0xee, p->frame_size / 2);
    arena_writer_abort(&w);
    assert_int_equal(atomic_load(&slots[0].seq), 0);
    assert_int_equal(arena_writer_next_seq(&w), 1);
    assert_int_equal(camarena_arena_head(fix.reader, CAM_ABORT), 0);
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ABORT, 1, &f), -EAGAIN);
    arena_writer_abort(&w); /* nothing pending: no-op */

    /* The next begin reuses the frame number and the slot. */
    again = arena_writer_begin(&w);
    assert_ptr_equal(again, first);
    fill(again, p->frame_size, 1, CAM_ABORT);
    assert_int_equal(arena_writer_commit(&w, p->frame_size, 0, 0), 1);
    assert_int_equal(atomic_load(&slots[0].seq), 2);

    /* Fill the ring, then abort a frame that was overwriting frame 1. */
    for (uint64_t s = 2; s <= FIX_SLOTS; s++) {
        fill(arena_writer_begin(&w), p->frame_size, s, CAM_ABORT);
        arena_writer_commit(&w, p->frame_size, 0, 0);
    }
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ABORT, 1, &f), 0);
    arena_writer_begin(&w);
    assert_int_equal(atomic_load(&slots[0].seq), 2 * (FIX_SLOTS + 1) - 1);
    assert_int_equal(camarena_frame_check(fix.reader, &f), -ESTALE);
    arena_writer_abort(&w);
    assert_int_equal(atomic_load(&slots[0].seq), 0);
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ABORT, 1, &f), -ESTALE);
    assert_int_equal(camarena_arena_peek(fix.reader, CAM_ABORT, FIX_SLOTS + 1, &f), -EAGAIN);
    assert_int_equal(arena_writer_next_seq(&w), FIX_SLOTS + 1);

    /* Closing with a frame pending aborts it. */
    arena_writer_begin(&w);
    arena_writer_close(&w);
    assert_int_equal(atomic_load(&slots[0].seq), 0);
    arena_writer_close(&w); /* twice is harmless */
}

static void test_numbering_continues(void **state)
{
    const struct arena_part *p = &fix.plan.parts[CAM_NUMBER];
    struct camarena_frame f;
    struct arena_writer w;
    uint8_t buf[64 * 48 * 4];
    (void)state;

    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_NUMBER), 0);
    for (uint64_t s = 1; s <= 5; s++) {
        fill(arena_writer_begin(&w), p->frame_size, s, CAM_NUMBER);
        assert_int_equal(arena_writer_commit(&w, p->frame_size, 0, 0), s);
    }
    arena_writer_close(&w);

    /* A second worker carries on from head_seq + 1. */
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_NUMBER), 0);
    assert_int_equal(arena_writer_next_seq(&w), 6);
    fill(arena_writer_begin(&w), p->frame_size, 6, CAM_NUMBER);
    assert_int_equal(arena_writer_commit(&w, p->frame_size, 0, 0), 6);
    assert_int_equal(camarena_arena_head(fix.reader, CAM_NUMBER), 6);
    assert_int_equal(camarena_arena_copy(fix.reader, CAM_NUMBER, 3, buf, sizeof(buf), &f), 0);
    assert_true(matches(buf, p->frame_size, 3, CAM_NUMBER));

    /* A worker killed between seq = 2f and head_seq = f: the next one names
     * the committed frame in head_seq and carries on after it. */
    uint8_t *dst = arena_writer_begin(&w);
    fill(dst, p->frame_size, 7, CAM_NUMBER);
    w.slots[arena_writer_slot_of(&w, 7)].size = p->frame_size;
    atomic_store(&w.slots[arena_writer_slot_of(&w, 7)].seq, 14);
    w.pending = 0;
    arena_writer_close(&w);
    assert_int_equal(camarena_arena_head(fix.reader, CAM_NUMBER), 6);
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_NUMBER), 0);
    assert_int_equal(camarena_arena_head(fix.reader, CAM_NUMBER), 7);
    assert_int_equal(arena_writer_next_seq(&w), 8);
    assert_int_equal(camarena_arena_copy(fix.reader, CAM_NUMBER, 7, buf, sizeof(buf), &f), 0);
    assert_true(matches(buf, p->frame_size, 7, CAM_NUMBER));

    /* A worker killed mid-frame: the slot goes back to empty, and the number
     * is used again. */
    arena_writer_begin(&w);
    w.pending = 0;
    arena_writer_close(&w);
    struct arena_slot *slots = (struct arena_slot *)(fix.arena.base + p->slots_offset);
    assert_int_equal(atomic_load(&slots[(8 - 1) % FIX_SLOTS].seq), 15);
    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, CAM_NUMBER), 0);
    assert_int_equal(atomic_load(&slots[(8 - 1) % FIX_SLOTS].seq), 0);
    assert_int_equal(arena_writer_next_seq(&w), 8);
    arena_writer_close(&w);
}

/* Runs fn in a child and returns how it ended: the exit status, or 1000 +
 * the signal. A SIGSEGV handler of its own turns a fault into exit 99, so
 * the sanitizers' handlers do not get in the way. */
static void on_segv(int sig)
{
    (void)sig;
    _exit(99);
}

static int in_child(void (*fn)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa = {.sa_handler = on_segv};
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static void write_header_through_writer(void)
{
    struct arena_writer w;
    if (arena_writer_open(&w, fix.arena.shm_name, CAM_ERRORS) != 0)
        _exit(1);
    ((volatile uint8_t *)w.head_map)[40] = 1;
    _exit(0);
}

static void write_partition_through_writer(void)
{
    struct arena_writer w;
    if (arena_writer_open(&w, fix.arena.shm_name, CAM_ERRORS) != 0)
        _exit(1);
    if (w.head_len != page_up(4096 + FIX_CAPACITY * 256) || w.part_len != fix.plan.parts[CAM_ERRORS].partition_size)
        _exit(2);
    w.data[0] = 1;
    _exit(0);
}

static void write_through_reader(void)
{
    struct camarena_frame f;
    camarena_arena_t *r;
    if (camarena_arena_open(&r, fix.inst) != 0)
        _exit(1);
    if (camarena_arena_peek(r, CAM_PY, camarena_arena_head(r, CAM_PY), &f) != 0)
        _exit(2);
    ((volatile uint8_t *)f.data)[0] = 1;
    _exit(0);
}

static void test_mappings_protected(void **state)
{
    (void)state;
    assert_int_equal(in_child(write_partition_through_writer), 0);
    assert_int_equal(in_child(write_header_through_writer), 99);
    assert_int_equal(in_child(write_through_reader), 99);
}

/* ---- corrupt objects -------------------------------------------------- */

static void check_bad_camera(const char *instance, uint32_t index)
{
    struct camarena_camera_info info;
    struct camarena_frame f;
    struct arena_writer w;
    camarena_arena_t *r = NULL;
    uint8_t buf[64];
    char shm[96];

    assert_int_equal(camarena_arena_open(&r, instance), 0);
    assert_int_equal(camarena_arena_camera(r, index, &info), -EINVAL);
    assert_int_equal(camarena_arena_peek(r, index, 1, &f), -EINVAL);
    assert_int_equal(camarena_arena_copy(r, index, 1, buf, sizeof(buf), &f), -EINVAL);
    assert_int_equal(camarena_arena_head(r, index), 0);
    f = (struct camarena_frame){.camera = index, .seq = 1};
    assert_int_equal(camarena_frame_check(r, &f), -ESTALE);
    camarena_arena_close(&r);
    snprintf(shm, sizeof(shm), "/camarena-%s", instance);
    assert_int_equal(arena_writer_open(&w, shm, index), -EINVAL);
}

static void test_reader_corrupt(void **state)
{
    const size_t size = fix.arena.size;
    uint8_t *copy = malloc(size);
    camarena_arena_t *r = NULL;
    struct arena_writer w;
    char name[64], shm[96];
    (void)state;

    assert_non_null(copy);
    inst(name, sizeof(name), "bad");
    snprintf(shm, sizeof(shm), "/camarena-%s", name);

    /* An exact copy is fine: the baseline the mutations below break. */
    memcpy(copy, fix.arena.base, size);
    make_object(name, copy, size, size);
    assert_int_equal(camarena_arena_open(&r, name), 0);
    camarena_arena_close(&r);

    /* Truncated, at several points. */
    const size_t cuts[] = {0, 1, 71, 4095, 4096, 8192, size / 2, size - 4096, size - 1};
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        make_object(name, copy, size, cuts[k]);
        assert_int_equal(camarena_arena_open(&r, name), -EINVAL);
        assert_int_equal(arena_writer_open(&w, shm, 0), -EINVAL);
    }
    /* Larger than the header says. */
    make_object(name, copy, size, size + 4096);
    assert_int_equal(camarena_arena_open(&r, name), -EINVAL);

    /* Garbage of the right size, and pure garbage. */
    uint8_t *junk = malloc(size);
    assert_non_null(junk);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        junk[i] = (uint8_t)x;
    }
    make_object(name, junk, size, size);
    assert_int_equal(camarena_arena_open(&r, name), -EINVAL);
    /* Garbage behind a good header: descriptors of random bytes. */
    memcpy(junk, copy, 4096);
    make_object(name, junk, size, size);
    assert_int_equal(camarena_arena_open(&r, name), 0);
    for (uint32_t i = 0; i < FIX_CAPACITY; i++) {
        struct camarena_camera_info info;
        struct camarena_frame f;
        uint8_t buf[64];
        int rc = camarena_arena_camera(r, i, &info);
        assert_true(rc == -EINVAL || rc == -ENOENT);
        rc = camarena_arena_peek(r, i, 1, &f);
        assert_true(rc == -EINVAL || rc == -ENOENT);
        rc = camarena_arena_copy(r, i, 1, buf, sizeof(buf), &f);
        assert_true(rc == -EINVAL || rc == -ENOENT);
        (void)camarena_arena_head(r, i);
    }
    camarena_arena_close(&r);
    free(junk);

    /* Header fields. */
    struct {
        size_t off, len;
        uint64_t value;
    } header_bad[] = {
        {0, 1, 'c'},                    /* magic */
        {7, 1, 'a'},                    /* magic */
        {8, 4, 2},                      /* version */
        {12, 4, 64},                    /* header_size */
        {16, 8, 0},                     /* arena_size */
        {16, 8, UINT64_MAX},            /* arena_size */
        {40, 8, 0},                     /* cameras_offset inside the header */
        {40, 8, 4097},                  /* cameras_offset misaligned */
        {40, 8, UINT64_MAX - 100},      /* cameras_offset beyond */
        {48, 4, 128},                   /* camera_desc_size */
        {52, 4, UINT32_MAX},            /* camera_capacity beyond */
        {52, 4, (uint32_t)(size / 256)}, /* descriptors past the end */
    };
    for (size_t k = 0; k < sizeof(header_bad) / sizeof(header_bad[0]); k++) {
        memcpy(copy, fix.arena.base, size);
        memcpy(copy + header_bad[k].off, &header_bad[k].value, header_bad[k].len);
        make_object(name, copy, size, size);
        assert_int_equal(camarena_arena_open(&r, name), -EINVAL);
        assert_int_equal(arena_writer_open(&w, shm, 0), -EINVAL);
    }

    /* Descriptor fields pointing outside, overlapping, misaligned. */
    const uint32_t ci = CAM_ERRORS;
    const struct arena_part *p = &fix.plan.parts[ci];
    struct {
        size_t off, len;
        uint64_t value;
    } desc_bad[] = {
        {88, 4, 0},                                 /* frame_size 0 */
        {88, 4, (uint32_t)p->slot_stride + 1},      /* frame_size > slot_stride */
        {92, 4, 0},                                 /* slot_count 0 */
        {92, 4, FIX_SLOTS + 1},                     /* one slot too many */
        {92, 4, UINT32_MAX},                        /* slot_count overflowing */
        {96, 8, size},                              /* partition at the end */
        {96, 8, size + 4096},                       /* partition beyond */
        {96, 8, UINT64_MAX - 4095},                 /* partition_offset + size overflows */
        {96, 8, 0},                                 /* partition over the header */
        {96, 8, p->partition_offset + 64},          /* partition misaligned */
        {104, 8, size},                             /* partition_size beyond */
        {104, 8, UINT64_MAX},                       /* partition_size overflowing */
        {104, 8, 32},                               /* no room for the ring header */
        {112, 8, p->partition_offset},              /* slots over the ring header */
        {112, 8, p->slots_offset + 4},              /* slots misaligned */
        {112, 8, size - 64},                        /* slots outside the partition */
        {112, 8, UINT64_MAX - 63},                  /* slots overflowing */
        {120, 8, p->partition_offset},              /* data over the headers */
        {120, 8, p->data_offset + 8},               /* data misaligned */
        {120, 8, p->partition_offset + p->partition_size}, /* data at the partition's end */
        {120, 8, UINT64_MAX & ~4095ull},            /* data beyond */
        {128, 8, 0},                                /* stride 0 */
        {128, 8, p->slot_stride + 4096},            /* stride runs past the partition */
        {128, 8, p->slot_stride + 1},               /* stride misaligned */
        {128, 8, UINT64_MAX & ~4095ull},            /* stride overflowing */
    };
    for (size_t k = 0; k < sizeof(desc_bad) / sizeof(desc_bad[0]); k++) {
        memcpy(copy, fix.arena.base, size);
        memcpy(copy + 4096 + ci * 256 + desc_bad[k].off, &desc_bad[k].value, desc_bad[k].len);
        make_object(name, copy, size, size);
        check_bad_camera(name, ci);
    }

    /* A stable slot header claiming more bytes than a frame holds. */
    memcpy(copy, fix.arena.base, size);
    uint64_t one = 1, two = 2;
    uint32_t huge = UINT32_MAX;
    memcpy(copy + p->partition_offset, &one, 8);
    memcpy(copy + p->slots_offset, &two, 8);
    memcpy(copy + p->slots_offset + 24, &huge, 4);
    make_object(name, copy, size, size);
    assert_int_equal(camarena_arena_open(&r, name), 0);
    struct camarena_frame f;
    uint8_t buf[64];
    assert_int_equal(camarena_arena_head(r, ci), 1);
    assert_int_equal(camarena_arena_peek(r, ci, 1, &f), -EINVAL);
    assert_int_equal(camarena_arena_copy(r, ci, 1, buf, sizeof(buf), &f), -EINVAL);
    camarena_arena_close(&r);

    shm_unlink(shm);
    free(copy);
}

/* ---- torture ------------------------------------------------------------ */

#define TORTURE_W 64
#define TORTURE_H 64
#define TORTURE_SIZE (TORTURE_W * TORTURE_H)
#define TORTURE_SLOTS 3
#define TORTURE_ITERATIONS 200000

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* frame_seq in the first 8 bytes, bytes derived from it, and the FNV-1a
 * hash of everything between in the last 8. */
static void torture_fill(uint8_t *p, uint64_t seq)
{
    uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
    memcpy(p, &seq, 8);
    for (size_t i = 8; i < TORTURE_SIZE - 8; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
    uint64_t h = fnv1a(p + 8, TORTURE_SIZE - 16);
    memcpy(p + TORTURE_SIZE - 8, &h, 8);
}

/* Whether p holds an intact frame seq. */
static bool torture_ok(const uint8_t *p, uint64_t seq)
{
    uint64_t s, h;
    memcpy(&s, p, 8);
    memcpy(&h, p + TORTURE_SIZE - 8, 8);
    return s == seq && h == fnv1a(p + 8, TORTURE_SIZE - 16);
}

static void test_torture(void **state)
{
    static uint8_t buf[TORTURE_SIZE];
    struct arena_plan p;
    struct arena a;
    camarena_arena_t *r = NULL;
    char name[64], err[256];
    pid_t writer;
    int status;
    unsigned accepted = 0, stale = 0, again = 0, torn_rejected = 0;
    (void)state;

    inst(name, sizeof(name), "torture");
    assert_int_equal(plan_one(&p, "t", PIXFMT_GRAY, TORTURE_W, TORTURE_H, TORTURE_SLOTS, 1, 0, err, sizeof(err)), 0);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);

    writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        struct arena_writer w;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (arena_writer_open(&w, a.shm_name, 0) != 0)
            _exit(1);
        for (;;) {
            uint64_t seq = arena_writer_next_seq(&w);
            torture_fill(arena_writer_begin(&w), seq);
            arena_writer_commit(&w, TORTURE_SIZE, seq, seq);
        }
    }
    assert_int_equal(camarena_arena_open(&r, name), 0);
    /* Wait for the writer to be going; it never stops by itself. */
    while (camarena_arena_head(r, 0) < 2 * TORTURE_SLOTS)
        assert_int_equal(waitpid(writer, &status, WNOHANG), 0);

    for (unsigned i = 0; i < TORTURE_ITERATIONS; i++) {
        uint64_t head = camarena_arena_head(r, 0);
        /* The newest frame, and the oldest still in the ring, which the
         * writer is about to take back. */
        uint64_t seq = (i & 2) ? head : head - (TORTURE_SLOTS - 1);
        struct camarena_frame f;
        int rc;

        if (i & 1) {
            rc = camarena_arena_copy(r, 0, seq, buf, sizeof(buf), &f);
            if (rc == 0) {
                assert_int_equal(f.size, TORTURE_SIZE);
                assert_int_equal(f.capture_realtime_ns, seq);
                assert_true(torture_ok(buf, seq));
            }
        } else {
            rc = camarena_arena_peek(r, 0, seq, &f);
            if (rc == 0) {
                bool intact = torture_ok(f.data, seq);
                rc = camarena_frame_check(r, &f);
                if (rc == 0)
                    assert_true(intact); /* a torn frame must never pass */
                else if (!intact)
                    torn_rejected++;
            }
        }
        if (rc == 0)
            accepted++;
        else if (rc == -ESTALE)
            stale++;
        else if (rc == -EAGAIN)
            again++;
        else
            fail_msg("unexpected %d", rc);
    }
    uint64_t written = camarena_arena_head(r, 0);
    assert_int_equal(waitpid(writer, &status, WNOHANG), 0); /* still writing */
    kill(writer, SIGKILL);
    assert_int_equal(waitpid(writer, &status, 0), writer);
    print_message("torture: %" PRIu64 " frames written; %u reads accepted, %u overrun (%u of them torn), %u not yet\n",
                  written, accepted, stale, torn_rejected, again);
    assert_true(accepted > 0);
    assert_true(stale > 0);

    camarena_arena_close(&r);
    arena_close(&a, true);
    arena_plan_close(&p);
}

/* ---- python ------------------------------------------------------------- */

static void test_python_struct(void **state)
{
    const uint32_t ci = CAM_PY;
    const struct arena_part *p = &fix.plan.parts[ci];
    struct arena_writer w;
    char args[32][128];
    char *argv[36];
    int n = 0, status;
    (void)state;

    if (access("/usr/bin/python3", X_OK) != 0 || access("tests/arena_struct.py", R_OK) != 0)
        fail_msg("needs /usr/bin/python3 and tests/arena_struct.py (run from the repository's root)");

    assert_int_equal(arena_writer_open(&w, fix.arena.shm_name, ci), 0);
    uint64_t seq = 0;
    for (int k = 0; k < 2; k++) {
        seq = arena_writer_next_seq(&w);
        fill(arena_writer_begin(&w), p->frame_size - 3, seq, ci);
        arena_writer_commit(&w, p->frame_size - 3, 0, 0);
    }
    arena_writer_close(&w);

    argv[n++] = "/usr/bin/python3";
    argv[n++] = "tests/arena_struct.py";
    argv[n++] = fix.inst;
#define ARG(...) (snprintf(args[n], sizeof(args[n]), __VA_ARGS__), argv[n] = args[n], n++)
    ARG("header.version=1");
    ARG("header.header_size=4096");
    ARG("header.arena_size=%" PRIu64, fix.plan.size);
    ARG("header.generation=%" PRIu64, fix.arena.header->generation);
    ARG("header.supervisor_pid=%ld", (long)getpid());
    ARG("header.camera_count=%u", FIX_CAMS);
    ARG("header.cameras_offset=4096");
    ARG("header.camera_desc_size=256");
    ARG("header.camera_capacity=%u", FIX_CAPACITY);
    ARG("header.created_realtime_ns=%" PRIu64, fix.arena.header->created_realtime_ns);
    ARG("cam.%u.name=%s", ci, p->name);
    ARG("cam.%u.pix_fmt=%s", ci, pixfmt_name(p->pix_fmt));
    ARG("cam.%u.width=%u", ci, p->width);
    ARG("cam.%u.height=%u", ci, p->height);
    ARG("cam.%u.frame_size=%u", ci, p->frame_size);
    ARG("cam.%u.slot_count=%u", ci, p->slot_count);
    ARG("cam.%u.partition_offset=%" PRIu64, ci, p->partition_offset);
    ARG("cam.%u.partition_size=%" PRIu64, ci, p->partition_size);
    ARG("cam.%u.slots_offset=%" PRIu64, ci, p->slots_offset);
    ARG("cam.%u.data_offset=%" PRIu64, ci, p->data_offset);
    ARG("cam.%u.slot_stride=%" PRIu64, ci, p->slot_stride);
    ARG("cam.%u.state=0", ci);
    ARG("cam.%u.priority=%u", ci, p->priority);
    ARG("cam.3.pix_fmt=yuv420p");
    ARG("cam.4.name=%s", fix.names[4]);
    ARG("frame.%u=%" PRIu64 ":%u", ci, seq, p->frame_size - 3);
#undef ARG
    argv[n] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* And it does notice a wrong value. */
    argv[3] = "header.camera_count=999";
    argv[4] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}


/* ---- free room and reload's descriptors -------------------------------- */

static void test_space_fit(void **state)
{
    uint64_t off = 1, largest = 0;
    (void)state;

    /* Nothing used: the start, page-aligned up. */
    assert_int_equal(arena_space_fit(NULL, 0, 8192, 65536, 4096, &off, &largest), 0);
    assert_int_equal(off, 8192);
    assert_int_equal(largest, 65536 - 8192);
    assert_int_equal(arena_space_fit(NULL, 0, 8000, 65536, 4096, &off, NULL), 0);
    assert_int_equal(off, 8192);

    /* First fit: the lowest hole large enough, not the best one. */
    struct arena_range used[] = {
        {8192, 8192},    /* [8K, 16K) */
        {20480, 8192},   /* [20K, 28K): a 4K hole before it */
        {40960, 4096},   /* [40K, 44K): a 12K hole before it */
    };
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 4096, &off, &largest), 0);
    assert_int_equal(off, 16384);
    assert_int_equal(largest, 65536 - 45056);
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 8192, &off, NULL), 0);
    assert_int_equal(off, 28672);
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 12288, &off, NULL), 0);
    assert_int_equal(off, 28672);
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 16384, &off, NULL), 0);
    assert_int_equal(off, 45056);

    /* The order of the used ranges does not matter. */
    struct arena_range shuffled[] = {used[2], used[0], used[1]};
    assert_int_equal(arena_space_fit(shuffled, 3, 8192, 65536, 8192, &off, NULL), 0);
    assert_int_equal(off, 28672);

    /* A used range that does not end on a page: the next start is aligned up. */
    struct arena_range odd[] = {{8192, 100}};
    assert_int_equal(arena_space_fit(odd, 1, 8192, 65536, 4096, &off, &largest), 0);
    assert_int_equal(off, 12288);
    assert_int_equal(largest, 65536 - 12288);

    /* No room: -ENOSPC, and the largest free range still said. */
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 65536, &off, &largest), -ENOSPC);
    assert_int_equal(largest, 65536 - 45056);
    struct arena_range full[] = {{8192, 65536 - 8192}};
    largest = 1;
    assert_int_equal(arena_space_fit(full, 1, 8192, 65536, 4096, &off, &largest), -ENOSPC);
    assert_int_equal(largest, 0);
    assert_int_equal(arena_space_fit(NULL, 0, 8192, 65536, 0, &off, NULL), -ENOSPC);

    /* A freed range (size 0 or left out) is room again. */
    used[0].size = 0;
    assert_int_equal(arena_space_fit(used, 3, 8192, 65536, 12288, &off, &largest), 0);
    assert_int_equal(off, 8192);
    assert_int_equal(largest, 65536 - 45056); /* still the tail: the hole at 8K is 12K */

    /* Exactly up to the end fits; one byte more does not. */
    assert_int_equal(arena_space_fit(NULL, 0, 8192, 16384, 8192, &off, NULL), 0);
    assert_int_equal(arena_space_fit(NULL, 0, 8192, 16384, 8193, &off, NULL), -ENOSPC);
}

static void test_desc_set_free(void **state)
{
    struct arena_camera_spec spec = {"first", PIXFMT_GRAY, 64, 48, 3, 10};
    struct arena_camera_spec spec2 = {"second", PIXFMT_BGR24, 64, 48, 2, 70};
    struct arena_part part, part2;
    struct arena_plan p;
    struct arena a;
    struct arena_writer w;
    camarena_arena_t *r = NULL;
    struct camarena_camera_info info;
    char name[64], err[256];
    uint64_t off, start, seq;
    (void)state;

    inst(name, sizeof(name), "reload");
    assert_int_equal(arena_part_init(&part, &spec, err, sizeof(err)), 0);
    assert_int_equal(part.partition_offset, 0);
    assert_int_equal(part.frame_size, 64 * 48);
    assert_int_equal(part.partition_size, arena_partition_size(64 * 48, 3));
    assert_int_equal(arena_part_init(&part2, &spec2, err, sizeof(err)), 0);
    struct arena_camera_spec bad = {"bad", PIXFMT_GRAY, 0, 48, 3, 10};
    assert_int_equal(arena_part_init(&part, &bad, err, sizeof(err)), -EINVAL);
    assert_int_equal(arena_part_init(&part, &spec, err, sizeof(err)), 0);

    /* One camera, three descriptors, room for about two more partitions. */
    assert_int_equal(arena_plan_build(&p, &spec, 1, 3, 0, err, sizeof(err)), 0);
    uint64_t size = p.needed + part.partition_size + part2.partition_size;
    arena_plan_close(&p);
    assert_int_equal(arena_plan_build(&p, &spec, 1, 3, size, err, sizeof(err)), 0);
    assert_int_equal(arena_create(&a, name, 0600, &p, err, sizeof(err)), 0);
    assert_int_equal(camarena_arena_open(&r, name), 0);
    start = arena_partitions_offset(&a);
    assert_int_equal(start, p.partitions_offset);
    assert_true(arena_desc_in_use(&a, 0));
    assert_false(arena_desc_in_use(&a, 1));

    /* A frame in camera 0, so that its range is not blank. */
    assert_int_equal(arena_writer_open(&w, a.shm_name, 0), 0);
    memset(arena_writer_begin(&w), 0xab, 64 * 48);
    seq = arena_writer_commit(&w, 64 * 48, 1, 1);
    assert_int_equal(seq, 1);
    arena_writer_close(&w);

    /* Add "second" in the spare room, descriptor 1. */
    struct arena_range used[1] = {{p.parts[0].partition_offset, p.parts[0].partition_size}};
    assert_int_equal(arena_space_fit(used, 1, start, a.size, part2.partition_size, &off, NULL), 0);
    assert_int_equal(off, p.needed);
    arena_part_place(&part2, off);
    arena_desc_set(&a, 1, &part2);
    assert_int_equal(a.header->camera_count, 2);
    assert_int_equal(camarena_arena_find(r, "second"), 1);
    assert_int_equal(camarena_arena_camera(r, 1, &info), 0);
    assert_string_equal(info.pix_fmt, "bgr24");
    assert_int_equal(info.slot_count, 2);
    assert_int_equal(info.priority, 70);
    assert_int_equal(info.state, ARENA_STATE_STOPPED);
    assert_int_equal(camarena_arena_head(r, 1), 0);

    /* Free "first": its name goes, its state is stopped, the count drops. */
    arena_set_state(&a, 0, ARENA_STATE_RUNNING);
    arena_desc_free(&a, 0);
    assert_false(arena_desc_in_use(&a, 0));
    assert_int_equal(a.header->camera_count, 1);
    assert_int_equal(camarena_arena_find(r, "first"), -ENOENT);
    assert_int_equal(atomic_load(&arena_desc(&a, 0)->state), ARENA_STATE_STOPPED);
    arena_desc_free(&a, 0); /* twice is harmless */
    assert_int_equal(a.header->camera_count, 1);

    /* Its range is room again: a new camera there starts an empty ring,
     * whatever the old one left in it. */
    struct arena_range used2[1] = {{part2.partition_offset, part2.partition_size}};
    assert_int_equal(arena_space_fit(used2, 1, start, a.size, part.partition_size, &off, NULL), 0);
    assert_int_equal(off, start);
    snprintf(part.name, sizeof(part.name), "third");
    arena_part_place(&part, off);
    arena_desc_set(&a, 0, &part);
    assert_int_equal(camarena_arena_find(r, "third"), 0);
    assert_int_equal(camarena_arena_head(r, 0), 0);
    for (uint32_t s = 0; s < 3; s++)
        assert_int_equal(atomic_load(&((struct arena_slot *)(a.base + part.slots_offset))[s].seq), 0);
    assert_int_equal(a.header->camera_count, 2);
    assert_int_equal(arena_writer_open(&w, a.shm_name, 0), 0);
    assert_int_equal(arena_writer_next_seq(&w), 1);
    arena_writer_close(&w);

    /* Nothing is left for a third partition. */
    struct arena_range used3[2] = {{part.partition_offset, part.partition_size},
                                   {part2.partition_offset, part2.partition_size}};
    assert_int_equal(arena_space_fit(used3, 2, start, a.size, part2.partition_size, &off, NULL), -ENOSPC);

    camarena_arena_close(&r);
    arena_close(&a, true);
    arena_plan_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_bytes),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_create_mode_and_reserve),
        cmocka_unit_test(test_create_live_refused),
        cmocka_unit_test(test_create_stale_replaced),
        cmocka_unit_test(test_create_garbage_replaced),
        cmocka_unit_test(test_create_no_room),
        cmocka_unit_test(test_roundtrip_formats),
        cmocka_unit_test(test_reader_lookup_errors),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_numbering_continues),
        cmocka_unit_test(test_mappings_protected),
        cmocka_unit_test(test_reader_corrupt),
        cmocka_unit_test(test_torture),
        cmocka_unit_test(test_python_struct),
        cmocka_unit_test(test_space_fit),
        cmocka_unit_test(test_desc_set_free),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);

    unlink_all(); /* whatever a failed test left */
    return rc;
}
