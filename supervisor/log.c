/* log.c - camarenad's logger (see log.h). */
#include "supervisor/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char log_instance[CONF_NAME_MAX + 1];
static enum conf_log_level log_level = CONF_LOG_INFO;

void log_init(const char *instance, enum conf_log_level level)
{
    snprintf(log_instance, sizeof(log_instance), "%s", instance ? instance : "");
    log_level = level;
}

void log_msg(enum conf_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    size_t n;
    va_list ap;

    if (level > log_level)
        return;
    if (log_instance[0])
        n = (size_t)snprintf(line, sizeof(line), "camarenad[%s]: %s: ", log_instance, names[level]);
    else
        n = (size_t)snprintf(line, sizeof(line), "camarenad: %s: ", names[level]);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    /* One write per line, so that lines of several processes do not mix. */
    n = strlen(line);
    if (n == sizeof(line) - 1)
        n--;
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
    fflush(stderr);
}
