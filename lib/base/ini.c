/* ini: the supervisor's INI files over the distribution's inih, through
 * ini_parse_stream with our own line reader.  The reader counts lines (so
 * each key gets its line number) and refuses a line that does not fit in
 * inih's line buffer, which inih would otherwise silently split into a
 * second line (reference/supervision-packaging.md §7). */
#include "ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* inih's own header is also called ini.h and ours shadows it on the include
 * path, so declare the one entry point we use (inih's public ABI, stable
 * since r29). */
typedef char *inih_reader_fn(char *str, int num, void *stream);
typedef int   inih_handler_fn(void *user, const char *section,
                              const char *name, const char *value);
int ini_parse_stream(inih_reader_fn *reader, void *stream,
                     inih_handler_fn *handler, void *user);

#include "err.h"

struct ini_state {
    const char *p, *end; /* remaining input */
    int         line;    /* lines handed to inih so far */
    int         too_long; /* line number of an over-long line, or 0 */
    ini_cb     *cb;
    void       *ud;
    int         cb_rc;
};

/* fgets-like: copy one line (with its '\n') into str of size num. */
static char *ini_read_line(char *str, int num, void *stream)
{
    struct ini_state *s = stream;
    const char       *nl;
    size_t            n;

    if (s->p >= s->end || s->too_long || s->cb_rc < 0)
        return NULL;
    nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
    n = nl ? (size_t)(nl - s->p) + 1 : (size_t)(s->end - s->p);
    s->line++;
    if (n > (size_t)num - 1) {
        s->too_long = s->line;
        return NULL;
    }
    memcpy(str, s->p, n);
    str[n] = '\0';
    /* a NUL inside the line would cut it short in inih: refuse it too */
    if (memchr(str, '\0', n) != NULL && strlen(str) != n) {
        s->too_long = s->line;
        return NULL;
    }
    s->p += n;
    return str;
}

static int ini_on_key(void *user, const char *section, const char *name,
                       const char *value)
{
    struct ini_state *s = user;
    int               rc;

    if (s->cb_rc < 0)
        return 0;
    rc = s->cb(s->ud, section, name, value, s->line);
    if (rc < 0) {
        s->cb_rc = rc;
        return 0;
    }
    return 1;
}

int ini_load_string(const char *text, size_t len, ini_cb *cb, void *ud,
                    int *err_line)
{
    struct ini_state s = { text, text + len, 0, 0, cb, ud, 0 };
    int              rc;

    rc = ini_parse_stream(ini_read_line, &s, ini_on_key, &s);
    if (s.cb_rc < 0) {
        if (err_line)
            *err_line = s.line;
        return s.cb_rc;
    }
    if (s.too_long) {
        if (err_line)
            *err_line = s.too_long;
        return ERR_MALFORMED;
    }
    if (rc != 0) {
        if (err_line)
            *err_line = rc > 0 ? rc : 0;
        return rc == -2 ? -ENOMEM : ERR_MALFORMED;
    }
    return 0;
}

int ini_load(const char *path, ini_cb *cb, void *ud, int *err_line)
{
    FILE  *f = fopen(path, "re");
    char  *text = NULL;
    size_t len = 0, cap = 0, n;
    int    rc;

    if (f == NULL)
        return -errno;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *t = realloc(text, cap);
            if (t == NULL) {
                free(text);
                fclose(f);
                return -ENOMEM;
            }
            text = t;
        }
        n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    rc = ferror(f) ? -EIO : 0;
    fclose(f);
    if (rc == 0)
        rc = ini_load_string(text, len, cb, ud, err_line);
    free(text);
    return rc;
}
