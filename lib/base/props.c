/* props: Java .properties parsing (see props.h for the rules).  One pass
 * over the text, building each logical line's key and value unescaped into
 * two scratch buffers that are reused for every line. */
#include "props.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"

struct props_in {
    const char *p, *end;
    int         line; /* physical line of *p */
};

static int props_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int props_is_eol(char c)
{
    return c == '\n' || c == '\r';
}

/* Consume one line terminator (\n, \r or \r\n) if present. */
static void props_eat_eol(struct props_in *in)
{
    if (in->p < in->end && *in->p == '\r') {
        in->p++;
        if (in->p < in->end && *in->p == '\n')
            in->p++;
        in->line++;
    } else if (in->p < in->end && *in->p == '\n') {
        in->p++;
        in->line++;
    }
}

static int props_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void props_put_utf8(buf_t *b, unsigned cp)
{
    if (cp < 0x80) {
        buf_put_u8(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        buf_put_u8(b, (uint8_t)(0xc0 | cp >> 6));
        buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        buf_put_u8(b, (uint8_t)(0xe0 | cp >> 12));
        buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

/* Reads the next logical-line character into *c, handling continuation:
 * returns 1 with *c and *escaped set, 0 at the end of the logical line
 * (the terminator consumed).  A backslash before a line end continues the
 * line (leading whitespace of the next line dropped). */
static int props_next(struct props_in *in, int *c, int *escaped, int *bad)
{
    int h, i;
    unsigned cp;

    for (;;) {
        if (in->p >= in->end)
            return 0;
        if (props_is_eol(*in->p)) {
            props_eat_eol(in);
            return 0;
        }
        if (*in->p != '\\') {
            *c = (unsigned char)*in->p++;
            *escaped = 0;
            return 1;
        }
        in->p++; /* backslash */
        if (in->p >= in->end) /* trailing backslash at EOF: dropped */
            return 0;
        if (props_is_eol(*in->p)) { /* continuation */
            props_eat_eol(in);
            while (in->p < in->end && props_is_ws(*in->p))
                in->p++;
            continue;
        }
        *escaped = 1;
        switch (*in->p) {
        case 't': *c = '\t'; in->p++; return 1;
        case 'n': *c = '\n'; in->p++; return 1;
        case 'r': *c = '\r'; in->p++; return 1;
        case 'f': *c = '\f'; in->p++; return 1;
        case 'u':
            in->p++;
            cp = 0;
            for (i = 0; i < 4; i++) {
                if (in->p >= in->end || (h = props_hex(*in->p)) < 0) {
                    *bad = 1;
                    return 0;
                }
                cp = cp << 4 | (unsigned)h;
                in->p++;
            }
            *c = (int)(0x10000 + cp); /* marker: a code point, not a byte */
            return 1;
        default:
            *c = (unsigned char)*in->p++;
            return 1;
        }
    }
}

static void props_emit(buf_t *b, int c)
{
    if (c >= 0x10000)
        props_put_utf8(b, (unsigned)(c - 0x10000));
    else
        buf_put_u8(b, (uint8_t)c);
}

/* Skip to the end of the physical line (comment lines cannot continue). */
static void props_skip_line(struct props_in *in)
{
    while (in->p < in->end && !props_is_eol(*in->p))
        in->p++;
    props_eat_eol(in);
}

/* Finds a trailing " # comment" in the value: the first '#' that is
 * preceded by whitespace and was not escaped.  Returns the cut position
 * or (size_t)-1.  unesc_hash marks positions of unescaped '#'. */
static size_t props_comment_cut(const buf_t *v, const buf_t *unesc_hash)
{
    size_t i;

    for (i = 1; i < v->len; i++)
        if (unesc_hash->data[i] && props_is_ws((char)v->data[i - 1]))
            return i;
    return (size_t)-1;
}

int props_parse(const char *text, size_t len, props_cb *cb, void *ud,
                int *err_line)
{
    struct props_in    in = { text, text + len, 1 };
    buf_t              key = BUF_INIT, val = BUF_INIT, hash = BUF_INIT;
    struct props_entry e;
    int                c, esc, bad = 0, rc = 0, more;
    size_t             cut;

    while (in.p < in.end) {
        /* leading whitespace (blank lines included) */
        while (in.p < in.end && props_is_ws(*in.p))
            in.p++;
        if (in.p >= in.end)
            break;
        if (props_is_eol(*in.p)) {
            props_eat_eol(&in);
            continue;
        }
        if (*in.p == '#' || *in.p == '!') {
            props_skip_line(&in);
            continue;
        }
        e.line = in.line;
        buf_reset(&key);
        buf_reset(&val);
        buf_reset(&hash);
        /* key: up to an unescaped '=', ':' or whitespace */
        more = 0;
        while ((more = props_next(&in, &c, &esc, &bad)) == 1) {
            if (!esc && (c == '=' || c == ':' || props_is_ws((char)c)))
                break;
            props_emit(&key, c);
        }
        if (bad)
            goto malformed;
        if (more == 1) {
            /* skip whitespace, one '=' or ':' if the key ended at
             * whitespace, and whitespace again */
            int sep = (c == '=' || c == ':');
            int have = 0;

            while ((more = props_next(&in, &c, &esc, &bad)) == 1) {
                if (!esc && props_is_ws((char)c))
                    continue;
                if (!esc && !sep && (c == '=' || c == ':')) {
                    sep = 1;
                    continue;
                }
                have = 1;
                break;
            }
            if (bad)
                goto malformed;
            if (have) {
                do {
                    props_emit(&val, c);
                    /* mark unescaped '#' at its byte position */
                    while (hash.len < val.len)
                        buf_put_u8(&hash, 0);
                    if (!esc && c == '#')
                        hash.data[val.len - 1] = 1;
                } while ((more = props_next(&in, &c, &esc, &bad)) == 1);
                if (bad)
                    goto malformed;
            }
        }
        e.stripped_comment = false;
        cut = props_comment_cut(&val, &hash);
        if (cut != (size_t)-1) {
            val.len = cut;
            while (val.len > 0 && props_is_ws((char)val.data[val.len - 1]))
                val.len--;
            e.stripped_comment = true;
        }
        e.key = buf_cstr(&key);
        e.key_len = key.len;
        e.value = buf_cstr(&val);
        e.value_len = val.len;
        rc = cb(ud, &e);
        if (rc < 0)
            break;
        rc = 0;
    }
    buf_free(&key);
    buf_free(&val);
    buf_free(&hash);
    return rc;

malformed:
    if (err_line != NULL)
        *err_line = in.line;
    buf_free(&key);
    buf_free(&val);
    buf_free(&hash);
    return ERR_MALFORMED;
}

int props_parse_file(const char *path, props_cb *cb, void *ud, int *err_line)
{
    buf_t   b = BUF_INIT;
    int     fd, rc;
    ssize_t n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (;;) {
        buf_reserve(&b, 65536);
        n = read(fd, b.data + b.len, b.cap - b.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            close(fd);
            buf_free(&b);
            return rc;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
    }
    close(fd);
    rc = props_parse((const char *)b.data, b.len, cb, ud, err_line);
    buf_free(&b);
    return rc;
}
