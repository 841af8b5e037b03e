/* test_ctl.c - camarena-ctl's rendering of the status reply: the table, the
 * error lines and the pressure line, and the human sizes and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/ctl/status.h"

static const char status_body[] =
    "{\"instance\":\"demo\",\"generation\":42,\"pid\":99,"
    "\"pressure\":{\"level\":\"critical\",\"ratio\":0.9156,\"used_bytes\":145234432,\"limit_bytes\":158630912,"
    "\"actions\":[{\"action\":\"pause\",\"camera\":\"low\",\"reason\":\"pressure\"}],"
    "\"shed\":{\"decimated\":[\"low\",\"mid\"],\"held\":[\"low\"],\"paused\":[\"low\"]}},"
    "\"cameras\":["
    "{\"name\":\"low\",\"state\":\"paused\",\"reason\":\"pressure\",\"fps\":0,\"frames\":120,\"dropped\":13,"
    "\"restarts\":0,\"backoff_ms\":0,\"memory_bytes\":0,\"last_frame_age_ms\":-1,\"error\":\"\"},"
    "{\"name\":\"top\",\"state\":\"backoff\",\"reason\":\"exit\",\"fps\":14.5,\"frames\":1000,\"dropped\":0,"
    "\"restarts\":3,\"backoff_ms\":1000,\"memory_bytes\":5242880,\"last_frame_age_ms\":33,"
    "\"error\":\"rtsp://cam: Connection refused\"}]}";

/* Renders body with status_print; returns the text, to be freed. */
static char *render(const char *body, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    *rc = status_print(out, body, strlen(body));
    fclose(out);
    return text;
}

static const char *line_starting(const char *text, const char *prefix)
{
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, strlen(prefix)) == 0)
            return l;
    return NULL;
}

static void test_table_rows(void **state)
{
    int rc;
    char *text = render(status_body, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(line_starting(text, "low "));
    assert_non_null(line_starting(text, "top "));
    assert_non_null(strstr(text, "Connection refused"));
    free(text);
}

static void test_pressure_line_names_what_is_shed(void **state)
{
    int rc;
    char *text = render(status_body, &rc);
    const char *p = line_starting(text, "pressure: ");

    (void)state;
    assert_non_null(p);
    assert_true(strncmp(p, "pressure: critical, ratio 0.916, used ", 38) == 0);
    assert_non_null(strstr(p, " - decimated: low mid; held: low; paused: low\n"));
    free(text);
}

static void test_pressure_line_when_nothing_is_shed(void **state)
{
    static const char body[] = "{\"instance\":\"x\",\"pressure\":{\"level\":\"none\",\"ratio\":0.25,\"used_bytes\":1024,"
                               "\"limit_bytes\":4096,\"actions\":[],\"shed\":{\"decimated\":[],\"held\":[],"
                               "\"paused\":[]}},\"cameras\":[]}";
    int rc;
    char *text = render(body, &rc);
    const char *p = line_starting(text, "pressure: ");

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(p);
    assert_true(strncmp(p, "pressure: none, ratio 0.250, used ", 34) == 0);
    assert_null(strstr(p, " - "));
    free(text);
}

static void test_not_an_object(void **state)
{
    int rc;
    char *text = render("[1,2]", &rc);

    (void)state;
    assert_int_equal(rc, -22);
    assert_string_equal(text, "");
    free(text);
}

static void test_formats(void **state)
{
    char b[32];

    (void)state;
    status_format_ms(b, sizeof(b), -1);
    assert_string_equal(b, "-");
    status_format_ms(b, sizeof(b), 840);
    assert_string_equal(b, "840ms");
    status_format_ms(b, sizeof(b), 12500);
    assert_string_equal(b, "12.5s");
    status_format_bytes(b, sizeof(b), 512);
    assert_string_equal(b, "512B");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_pressure_line_names_what_is_shed),
        cmocka_unit_test(test_pressure_line_when_nothing_is_shed),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_formats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
