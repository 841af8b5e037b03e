/* test_ipc.c - endpoints, topics, the frame header, the JSON writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "camarena.h"
#include "ipc/json.h"
#include "ipc/proto.h"

static void test_endpoints(void **state)
{
    char out[IPC_ENDPOINT_MAX], longdir[200];

    (void)state;
    assert_int_equal(ipc_endpoint(out, sizeof(out), "/run/camarena", "demo", IPC_PUB), 0);
    assert_string_equal(out, "ipc:///run/camarena/demo.pub");
    assert_int_equal(ipc_endpoint(out, sizeof(out), "/run/camarena", "demo", IPC_CTL), 0);
    assert_string_equal(out, "ipc:///run/camarena/demo.ctl");
    assert_int_equal(ipc_endpoint(out, sizeof(out), "/tmp/x", "d", IPC_UP), 0);
    assert_string_equal(out, "ipc:///tmp/x/d.up");
    assert_int_equal(ipc_endpoint(out, sizeof(out), "/tmp/x", "d", IPC_WRK), 0);
    assert_string_equal(out, "ipc:///tmp/x/d.wrk");
    assert_string_equal(ipc_endpoint_path(out), "/tmp/x/d.wrk");

    /* A path that does not fit sun_path (107 bytes and a NUL) is refused. */
    memset(longdir, 'a', sizeof(longdir));
    longdir[0] = '/';
    longdir[100] = '\0';
    assert_int_equal(ipc_endpoint(out, sizeof(out), longdir, "demo", IPC_PUB), -ENAMETOOLONG);
    longdir[95] = '\0'; /* 95 + "/demo.pub" = 104 */
    assert_int_equal(ipc_endpoint(out, sizeof(out), longdir, "demo", IPC_PUB), 0);
    assert_int_equal(ipc_endpoint(out, 10, "/tmp", "demo", IPC_PUB), -ENAMETOOLONG);

    assert_null(ipc_endpoint_path("tcp://127.0.0.1:7200"));
    assert_null(ipc_endpoint_path("ipc://"));
    assert_null(ipc_endpoint_path(NULL));
}

static void test_topics(void **state)
{
    char out[80];

    (void)state;
    assert_int_equal(ipc_topic(out, sizeof(out), "frame", "front-door"), 17);
    assert_string_equal(out, "frame/front-door/");
    assert_int_equal(ipc_topic(out, sizeof(out), "event", "a"), 8);
    assert_string_equal(out, "event/a/");
    assert_int_equal(ipc_topic(out, sizeof(out), "data", "cam_1"), 11);
    assert_string_equal(out, "data/cam_1/");
    assert_int_equal(ipc_topic(out, 8, "frame", "abc"), -ENAMETOOLONG);
    /* A topic of one camera is never a prefix of another's. */
    char a[80], b[80];
    ipc_topic(a, sizeof(a), "frame", "cam");
    ipc_topic(b, sizeof(b), "frame", "cam2");
    assert_int_not_equal(strncmp(a, b, strlen(a)), 0);
}

static void test_frame_header_bytes(void **state)
{
    struct camarena_frame_header h = {
        .version = 1,
        .header_size = 64,
        .flags = CAMARENA_FRAME_LZ4,
        .generation = 0x1122334455667788ull,
        .frame_seq = 0x0102030405060708ull,
        .capture_realtime_ns = 0xa1a2a3a4a5a6a7a8ull,
        .capture_monotonic_ns = 0xb1b2b3b4b5b6b7b8ull,
        .slot = 0xc1c2c3c4u,
        .frame_size = 921600,
        .width = 640,
        .height = 480,
        .camera_index = 7,
        .pix_fmt = "bgr24",
    };
    uint8_t b[64];
    struct camarena_frame_header d;

    (void)state;
    memset(b, 0xee, sizeof(b));
    camarena_frame_header_encode(&h, b);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[2], 64);
    assert_int_equal(b[3], 0);
    assert_int_equal(b[4], 1);
    assert_int_equal(b[8], 0x88);
    assert_int_equal(b[15], 0x11);
    assert_int_equal(b[16], 0x08);
    assert_int_equal(b[23], 0x01);
    assert_int_equal(b[24], 0xa8);
    assert_int_equal(b[32], 0xb8);
    assert_int_equal(b[40], 0xc4);
    assert_int_equal(b[43], 0xc1);
    assert_int_equal(b[44] | b[45] << 8 | b[46] << 16 | b[47] << 24, 921600);
    assert_int_equal(b[48] | b[49] << 8, 640);
    assert_int_equal(b[50] | b[51] << 8, 480);
    assert_int_equal(b[52], 7);
    assert_memory_equal(b + 56, "bgr24\0\0\0", 8);

    assert_int_equal(camarena_frame_header_decode(b, sizeof(b), &d), 0);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.header_size, 64);
    assert_int_equal(d.flags, CAMARENA_FRAME_LZ4);
    assert_true(d.generation == h.generation);
    assert_true(d.frame_seq == h.frame_seq);
    assert_true(d.capture_realtime_ns == h.capture_realtime_ns);
    assert_true(d.capture_monotonic_ns == h.capture_monotonic_ns);
    assert_int_equal(d.slot, h.slot);
    assert_int_equal(d.frame_size, h.frame_size);
    assert_int_equal(d.width, 640);
    assert_int_equal(d.height, 480);
    assert_int_equal(d.camera_index, 7);
    assert_memory_equal(d.pix_fmt, "bgr24\0\0\0", 8);
}

static void test_frame_header_full_pixfmt(void **state)
{
    struct camarena_frame_header h = {.version = 1, .header_size = 64};
    struct camarena_frame_header d;
    uint8_t b[64];

    (void)state;
    memcpy(h.pix_fmt, "yuv420pX", 8); /* eight bytes, no NUL: allowed */
    camarena_frame_header_encode(&h, b);
    assert_int_equal(camarena_frame_header_decode(b, 64, &d), 0);
    assert_memory_equal(d.pix_fmt, "yuv420pX", 8);
}

static void test_frame_header_rejects(void **state)
{
    struct camarena_frame_header h = {.version = 1, .header_size = 64};
    struct camarena_frame_header d;
    uint8_t b[65];

    (void)state;
    camarena_frame_header_encode(&h, b);
    assert_int_equal(camarena_frame_header_decode(b, 63, &d), -EINVAL);
    assert_int_equal(camarena_frame_header_decode(b, 65, &d), -EINVAL);
    assert_int_equal(camarena_frame_header_decode(NULL, 64, &d), -EINVAL);
    b[0] = 2;
    assert_int_equal(camarena_frame_header_decode(b, 64, &d), -EINVAL);
    b[0] = 1;
    b[2] = 32;
    assert_int_equal(camarena_frame_header_decode(b, 64, &d), -EINVAL);
}

static void test_json_shape(void **state)
{
    char buf[256];
    struct json_writer w;

    (void)state;
    json_init(&w, buf, sizeof(buf));
    json_object_begin(&w);
    json_kv_string(&w, "a", "x");
    json_kv_int(&w, "b", -3);
    json_kv_uint(&w, "c", 18446744073709551615ull);
    json_kv_double(&w, "d", 2.5);
    json_kv_bool(&w, "e", true);
    json_key(&w, "f");
    json_array_begin(&w);
    json_int(&w, 1);
    json_null(&w);
    json_object_begin(&w);
    json_object_end(&w);
    json_array_begin(&w);
    json_array_end(&w);
    json_array_end(&w);
    json_kv_double(&w, "g", 0.0 / 0.0);
    json_object_end(&w);
    assert_int_equal(json_finish(&w), (int)strlen(buf));
    assert_string_equal(buf, "{\"a\":\"x\",\"b\":-3,\"c\":18446744073709551615,\"d\":2.5,\"e\":true,"
                             "\"f\":[1,null,{},[]],\"g\":null}");
}

static void test_json_escapes(void **state)
{
    char buf[256];
    struct json_writer w;
    const char in[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é€😀";

    (void)state;
    json_init(&w, buf, sizeof(buf));
    json_string(&w, in);
    assert_true(json_finish(&w) > 0);
    assert_string_equal(buf, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f é€😀\"");

    /* Invalid UTF-8 becomes U+FFFD: overlongs, surrogates, stray continuation, truncation. */
    json_init(&w, buf, sizeof(buf));
    json_string_n(&w, "\xc0\xaf|\xed\xa0\x80|\x80|\xff|\xe2\x82", 13);
    assert_true(json_finish(&w) > 0);
    assert_string_equal(buf, "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd|\\ufffd|\\ufffd\\ufffd\"");

    /* NUL inside a counted string is escaped, not a terminator. */
    json_init(&w, buf, sizeof(buf));
    json_string_n(&w, "a\0b", 3);
    assert_string_equal(buf, "\"a\\u0000b\"");
    json_init(&w, buf, sizeof(buf));
    json_string(&w, NULL);
    assert_string_equal(buf, "\"\"");
}

static void test_json_overflow(void **state)
{
    char buf[16];
    struct json_writer w;

    (void)state;
    json_init(&w, buf, sizeof(buf));
    json_object_begin(&w);
    json_kv_string(&w, "key", "a long value that does not fit");
    json_object_end(&w);
    assert_int_equal(json_finish(&w), -ENOBUFS);
    assert_true(strlen(buf) < sizeof(buf));

    /* Exactly full still fits: 15 bytes and the NUL. */
    json_init(&w, buf, sizeof(buf));
    json_string(&w, "0123456789abc");
    assert_int_equal(json_finish(&w), 15);
}

static void test_json_nesting_errors(void **state)
{
    char buf[64];
    struct json_writer w;

    (void)state;
    json_init(&w, buf, sizeof(buf));
    json_object_begin(&w);
    assert_int_equal(json_finish(&w), -EINVAL); /* not closed */
    json_init(&w, buf, sizeof(buf));
    json_array_end(&w);
    assert_int_equal(json_finish(&w), -EINVAL); /* closed without opening */
    json_init(&w, buf, sizeof(buf));
    json_object_begin(&w);
    json_key(&w, "k");
    json_object_end(&w);
    assert_int_equal(json_finish(&w), -EINVAL); /* a key without a value */
    json_init(&w, buf, sizeof(buf));
    for (int i = 0; i < JSON_DEPTH_MAX + 1; i++)
        json_array_begin(&w);
    assert_int_equal(json_finish(&w), -EINVAL); /* too deep */
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(json_utf8_valid("status", 6));
    assert_true(json_utf8_valid("é€😀", strlen("é€😀")));
    assert_true(json_utf8_valid("", 0));
    assert_false(json_utf8_valid("a\0b", 3));
    assert_false(json_utf8_valid("\xc3", 1));
    assert_false(json_utf8_valid("\xc0\x80", 2));          /* overlong NUL */
    assert_false(json_utf8_valid("\xe0\x80\xaf", 3));      /* overlong */
    assert_false(json_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4));  /* above U+10FFFF */
    assert_false(json_utf8_valid("\xfe", 1));
    assert_int_equal(json_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(json_utf8_seq((const unsigned char *)"\xf0\x9f\x98", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_frame_header_bytes),
        cmocka_unit_test(test_frame_header_full_pixfmt),
        cmocka_unit_test(test_frame_header_rejects),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_overflow),
        cmocka_unit_test(test_json_nesting_errors),
        cmocka_unit_test(test_utf8),
    };

    return cmocka_run_group_tests_name("ipc", tests, NULL, NULL);
}
