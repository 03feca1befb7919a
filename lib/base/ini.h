/* ini: the supervisor's INI files, read with the distribution's inih.
 *
 * Adds what inih lacks for us: a line number for every key (so errors read
 * "file:line: key: reason"), and a hard error for a line longer than
 * inih's line buffer instead of inih's silent split of the tail into a new
 * line.  Comments start with ';' or '#' at the start of a line; sections
 * like [program:coord] come through as the section string "program:coord". */
#ifndef ODRADEK_INI_H
#define ODRADEK_INI_H

#include <stddef.h>

/* Called per key; return < 0 to stop. */
typedef int ini_cb(void *ud, const char *section, const char *key,
                   const char *value, int line);

/* Parse a file.  Returns 0, the callback's error, -errno if the file
 * cannot be read, or ERR_MALFORMED with *err_line set for a syntax error
 * or an over-long line. */
int ini_load(const char *path, ini_cb *cb, void *ud, int *err_line);
/* The same over a string (tests, fuzzing). */
int ini_load_string(const char *text, size_t len, ini_cb *cb, void *ud,
                    int *err_line);

#endif
