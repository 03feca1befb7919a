/* log: formats and writes log lines to stderr with one write(2) each, so
 * lines from several threads never interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char    *log_prog = "odradek";
static enum log_level log_level_cur = LOG_INFO;
static int            log_journal = -1; /* -1 unknown, 0 no, 1 yes */

static const char *const log_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
static const int         log_prio[] = { 7, 6, 4, 3 };

/* systemd sets JOURNAL_STREAM=<dev>:<ino> for the stream it connected to
 * stderr; only if it is still our stderr are we talking to journald. */
static int log_detect_journal(void)
{
    const char        *e = getenv("JOURNAL_STREAM");
    struct stat        st;
    unsigned long long dev, ino;

    if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
        return 0;
    if (fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void log_init(const char *prog)
{
    const char *lvl = getenv("ODRADEK_LOG_LEVEL");
    int         l;

    log_prog = prog;
    log_journal = log_detect_journal();
    if (lvl != NULL && (l = log_level_parse(lvl)) >= 0)
        log_level_cur = (enum log_level)l;
}

void log_set_level(enum log_level level)
{
    log_level_cur = level;
}

enum log_level log_get_level(void)
{
    return log_level_cur;
}

int log_level_parse(const char *s)
{
    static const char *const names[] = { "debug", "info", "warn", "error",
                                         "off" };
    size_t                   i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i]) == 0)
            return (int)i;
    if (strcasecmp(s, "warning") == 0)
        return LOG_WARN;
    return -1;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char            line[4096];
    size_t          n = 0;
    va_list         ap;
    int             k;
    struct timespec ts;
    struct tm       tm;

    if (level < log_level_cur || level >= LOG_OFF)
        return;
    if (log_journal < 0)
        log_journal = log_detect_journal();
    if (log_journal) {
        k = snprintf(line, sizeof line, "<%d>", log_prio[level]);
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        k = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     log_names[level], log_prog);
    }
    n = k > 0 ? (size_t)k : 0;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n - 1 ? (size_t)k : sizeof line - n - 2;
    /* One event, one line: fold embedded newlines. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}
