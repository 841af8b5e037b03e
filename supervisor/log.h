/* log.h - camarenad's logger: one line per message on stderr,
 * "camarenad[INSTANCE]: LEVEL: message". */
#ifndef CAMARENA_SUPERVISOR_LOG_H
#define CAMARENA_SUPERVISOR_LOG_H

#include "conf/conf.h"

/* Sets the instance name shown (NULL before the conf is read) and the most
 * verbose level written. */
void log_init(const char *instance, enum conf_log_level level);

__attribute__((format(printf, 2, 3))) void log_msg(enum conf_log_level level, const char *fmt, ...);

#define log_error(...) log_msg(CONF_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(CONF_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(CONF_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CONF_LOG_DEBUG, __VA_ARGS__)

#endif
