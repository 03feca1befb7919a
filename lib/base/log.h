/* log: one line per event on stderr.
 *
 * Under journald (JOURNAL_STREAM names our stderr) each line starts with
 * the syslog priority "<N>" and nothing else, because journald adds time
 * and unit.  Otherwise a line is "2026-11-25T04:55:14.123Z WARN coord: msg".
 * Primitives never log; the caller that knows the context logs once. */
#ifndef ODRADEK_LOG_H
#define ODRADEK_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* The program name shown in each line ("coord", "broker", ...). */
void log_init(const char *prog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; returns -1 if unknown. */
int  log_level_parse(const char *s);

void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...)                                                         \
    do {                                                                       \
        if (log_get_level() <= LOG_DEBUG)                                      \
            log_write(LOG_DEBUG, __VA_ARGS__);                                 \
    } while (0)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
