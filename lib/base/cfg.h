/* cfg: typed configuration tables.
 *
 * Each program declares its keys once, in a table of struct cfg_key: name,
 * type, default, bounds or a parse function, a one-line doc, and where in
 * the program's config struct the value lives.  From that one table come
 * the defaults, loading a .properties file (props.h), environment
 * overrides, validation with "file:line: key: reason" errors, --help's key
 * list and --print-config's output.
 *
 * Environment rule (one for every program): the variable
 * <PREFIX><KEY> where KEY is the key upper-cased with '.' and '-' turned
 * into '_', e.g. prefix "ODRADEK_BROKER_" and key log.dirs give
 * ODRADEK_BROKER_LOG_DIRS.  Environment values override the file.
 *
 * Unknown keys are warned about (with file:line) and ignored.  The caller
 * runs cross-key checks after loading and reports them with
 * cfg_error(), which names the origin of the key. */
#ifndef ODRADEK_CFG_H
#define ODRADEK_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
    CFG_INT,    /* int32_t field; decimal, bounds min..max */
    CFG_LONG,   /* int64_t field; decimal, bounds min..max */
    CFG_BOOL,   /* bool field; true/false (also yes/no, on/off, 1/0) */
    CFG_STRING, /* char * field, owned by the cfg (freed by cfg_free) */
    CFG_CUSTOM, /* parse() decides; field layout is its business */
    CFG_IGNORED /* accepted for compatibility, value unused (no field) */
};

struct cfg_key;

/* Custom parser: store into field, or write a reason (e.g. "must be one
 * of delete, compact") into why and return < 0. */
typedef int cfg_parse_fn(const struct cfg_key *k, const char *value,
                         void *field, char *why, size_t whylen);
/* Custom printer for --print-config (CFG_CUSTOM). */
typedef void cfg_print_fn(const struct cfg_key *k, const void *field,
                          FILE *out);

struct cfg_key {
    const char   *name;
    enum cfg_type type;
    const char   *def;   /* default as text ("" for empty, NULL for unset) */
    size_t        off;   /* offsetof(struct, field) */
    int64_t       min, max; /* CFG_INT/CFG_LONG bounds (both 0: none) */
    cfg_parse_fn *parse; /* optional for any type: overrides the default */
    cfg_print_fn *print; /* optional */
    const char   *doc;   /* one line */
};

#define CFG_KEY_END { NULL, 0, NULL, 0, 0, 0, NULL, NULL, NULL }

/* Where a key's value came from. */
struct cfg_origin {
    const char *file; /* file path, "environment" or NULL (default) */
    int         line; /* 0 for environment/default */
    bool        set;  /* explicitly set (file or environment) */
};

typedef struct cfg {
    const struct cfg_key *keys; /* terminated by CFG_KEY_END */
    size_t                nkeys;
    void                 *obj;
    struct cfg_origin    *origin; /* one per key */
    char                 *path;   /* the file loaded, owned */
    const char           *env_prefix;
    int                   errors; /* count of errors reported */
    bool                  quiet;  /* no warnings (tests) */
} cfg_t;

/* Binds the table to obj and applies every default.  A bad default is a
 * programming error and aborts. */
void cfg_init(cfg_t *c, const struct cfg_key *keys, void *obj,
              const char *env_prefix);
/* Loads a .properties file; reports every bad value and unknown key on
 * stderr ("file:line: key: reason") and returns ERR_CONFIG if any value
 * was bad, -errno if the file cannot be read (not reported). */
int  cfg_load_file(cfg_t *c, const char *path);
/* Applies environment overrides from envp (NULL: environ).  Returns
 * ERR_CONFIG after reporting bad values. */
int  cfg_load_env(cfg_t *c, char **envp);
/* Sets one key as if read at file:line.  Returns 0, ERR_NOTFOUND for an
 * unknown key (warned), or ERR_CONFIG (reported). */
int  cfg_set(cfg_t *c, const char *name, const char *value,
             const char *file, int line);
const struct cfg_key    *cfg_find(const cfg_t *c, const char *name);
const struct cfg_origin *cfg_origin_of(const cfg_t *c, const char *name);
bool cfg_is_set(const cfg_t *c, const char *name);
/* Reports "file:line: key: reason" for a key (or "key: reason" when it
 * came from a default) on stderr and counts the error. */
void cfg_error(cfg_t *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfg_warn(const cfg_t *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* --print-config: every key as "name=value", in table order, with a
 * comment naming where a non-default came from. */
void cfg_print(const cfg_t *c, FILE *out);
/* --help: one line per key: name, type, default, doc. */
void cfg_help(const struct cfg_key *keys, const char *env_prefix, FILE *out);
/* The environment variable name for a key (static buffer). */
const char *cfg_env_name(const char *env_prefix, const char *key);
void cfg_free(cfg_t *c); /* frees owned strings; idempotent */

#endif
