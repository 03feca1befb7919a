/* props: a Java .properties parser (java.util.Properties.load rules).
 *
 * Lines end at \n, \r or \r\n.  A comment line has '#' or '!' as its first
 * non-blank character.  The key ends at the first unescaped '=', ':' or
 * whitespace; whitespace around the separator is skipped.  An odd number
 * of trailing backslashes continues the logical line, and the next line's
 * leading whitespace is dropped.  Escapes: \t \n \r \f \uXXXX (written out
 * as UTF-8), and \x means x for any other x.  No line-length limit.
 * Duplicate keys are all reported; the consumer lets the last one win.
 *
 * Our one extension: a value containing whitespace followed by '#' has
 * that trailing " # comment" removed (and trailing whitespace before it),
 * and the callback is told so, because people write `port=9092 # note`
 * and mean 9092.  Java would keep the comment in the value.
 *
 * Input is bytes; non-ASCII bytes pass through unchanged (UTF-8 files
 * stay UTF-8).  Nothing is allocated per line beyond the key and value
 * scratch buffers. */
#ifndef ODRADEK_PROPS_H
#define ODRADEK_PROPS_H

#include <stdbool.h>
#include <stddef.h>

struct props_entry {
    const char *key;     /* NUL-terminated, unescaped */
    const char *value;   /* NUL-terminated, unescaped */
    size_t      key_len, value_len; /* may contain NUL via \u0000 */
    int         line;    /* 1-based line where the logical line starts */
    bool        stripped_comment; /* a trailing " # ..." was removed */
};

/* Called per key/value; return < 0 to stop (props_parse returns it). */
typedef int props_cb(void *ud, const struct props_entry *e);

/* Parse text[0, len).  Returns 0, the callback's negative value, or
 * ERR_MALFORMED for a malformed \uXXXX escape, in which case *err_line is
 * set to that line (if err_line is not NULL). */
int props_parse(const char *text, size_t len, props_cb *cb, void *ud,
                int *err_line);

/* Reads the whole file and parses it.  Returns -errno if it cannot be
 * read. */
int props_parse_file(const char *path, props_cb *cb, void *ud,
                     int *err_line);

#endif
