/* cfg: typed configuration tables (see cfg.h).  Owns: defaults, parsing
 * of values by type, origins for error messages, environment overrides,
 * --print-config and --help output.  Does not own: cross-key rules (the
 * program checks those after loading and reports them with cfg_error). */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "props.h"
#include "xalloc.h"

extern char **environ;

static void *cfg_field(const cfg_t *c, const struct cfg_key *k)
{
    return (char *)c->obj + k->off;
}

static size_t cfg_index(const cfg_t *c, const struct cfg_key *k)
{
    return (size_t)(k - c->keys);
}

const struct cfg_key *cfg_find(const cfg_t *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->nkeys; i++)
        if (strcmp(c->keys[i].name, name) == 0)
            return &c->keys[i];
    return NULL;
}

const struct cfg_origin *cfg_origin_of(const cfg_t *c, const char *name)
{
    const struct cfg_key *k = cfg_find(c, name);

    return k ? &c->origin[cfg_index(c, k)] : NULL;
}

bool cfg_is_set(const cfg_t *c, const char *name)
{
    const struct cfg_origin *o = cfg_origin_of(c, name);

    return o != NULL && o->set;
}

static const char *cfg_trim(const char *s, char *tmp, size_t tmpsz)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= tmpsz)
        n = tmpsz - 1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return tmp;
}

static int cfg_parse_int(const struct cfg_key *k, const char *value,
                         int64_t *out, char *why, size_t whylen)
{
    char        tmp[64];
    const char *v = cfg_trim(value, tmp, sizeof tmp);
    char       *end;
    long long   n;

    if (*v == '\0') {
        snprintf(why, whylen, "empty value, expected an integer");
        return ERR_CONFIG;
    }
    errno = 0;
    n = strtoll(v, &end, 10);
    if (*end != '\0') {
        snprintf(why, whylen, "\"%s\" is not an integer", value);
        return ERR_CONFIG;
    }
    if (errno == ERANGE || (k->type == CFG_INT && (n < INT32_MIN || n > INT32_MAX))) {
        snprintf(why, whylen, "%s is out of range", v);
        return ERR_CONFIG;
    }
    if ((k->min != 0 || k->max != 0) && (n < k->min || n > k->max)) {
        snprintf(why, whylen, "%lld is out of range [%" PRId64 ", %" PRId64 "]",
                 n, k->min, k->max);
        return ERR_CONFIG;
    }
    *out = n;
    return 0;
}

static int cfg_parse_bool(const char *value, bool *out, char *why,
                          size_t whylen)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    char                     tmp[16];
    const char              *v = cfg_trim(value, tmp, sizeof tmp);
    size_t                   i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(why, whylen, "\"%s\" is not a boolean (true or false)", value);
    return ERR_CONFIG;
}

/* Parses value into the key's field; on error writes why. */
static int cfg_apply(cfg_t *c, const struct cfg_key *k, const char *value,
                     char *why, size_t whylen)
{
    void   *f = cfg_field(c, k);
    int64_t n;
    bool    b;
    int     rc;

    if (k->parse != NULL)
        return k->parse(k, value, f, why, whylen) < 0 ? ERR_CONFIG : 0;
    switch (k->type) {
    case CFG_INT:
        if ((rc = cfg_parse_int(k, value, &n, why, whylen)) < 0)
            return rc;
        *(int32_t *)f = (int32_t)n;
        return 0;
    case CFG_LONG:
        if ((rc = cfg_parse_int(k, value, &n, why, whylen)) < 0)
            return rc;
        *(int64_t *)f = n;
        return 0;
    case CFG_BOOL:
        if ((rc = cfg_parse_bool(value, &b, why, whylen)) < 0)
            return rc;
        *(bool *)f = b;
        return 0;
    case CFG_STRING:
        free(*(char **)f);
        *(char **)f = xstrdup(value);
        return 0;
    case CFG_CUSTOM:
        snprintf(why, whylen, "no parser for this key");
        return ERR_CONFIG;
    case CFG_IGNORED:
        return 0;
    }
    return ERR_CONFIG;
}

void cfg_init(cfg_t *c, const struct cfg_key *keys, void *obj,
              const char *env_prefix)
{
    char   why[256];
    size_t i;

    memset(c, 0, sizeof *c);
    c->keys = keys;
    c->obj = obj;
    c->env_prefix = env_prefix;
    while (keys[c->nkeys].name != NULL)
        c->nkeys++;
    c->origin = xcalloc(c->nkeys ? c->nkeys : 1, sizeof *c->origin);
    for (i = 0; i < c->nkeys; i++) {
        if (keys[i].def == NULL || keys[i].type == CFG_IGNORED)
            continue;
        if (cfg_apply(c, &keys[i], keys[i].def, why, sizeof why) < 0) {
            fprintf(stderr, "bad default for %s: %s\n", keys[i].name, why);
            abort();
        }
    }
}

static void cfg_where(const struct cfg_origin *o, char *out, size_t n)
{
    if (o == NULL || o->file == NULL)
        snprintf(out, n, "%s", "");
    else if (o->line > 0)
        snprintf(out, n, "%s:%d: ", o->file, o->line);
    else
        snprintf(out, n, "%s: ", o->file);
}

void cfg_error(cfg_t *c, const char *name, const char *fmt, ...)
{
    char    where[512];
    va_list ap;

    cfg_where(cfg_origin_of(c, name), where, sizeof where);
    fprintf(stderr, "%s%s: ", where, name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    c->errors++;
}

void cfg_warn(const cfg_t *c, const char *name, const char *fmt, ...)
{
    char    where[512];
    va_list ap;

    if (c->quiet)
        return;
    cfg_where(cfg_origin_of(c, name), where, sizeof where);
    fprintf(stderr, "%swarning: %s: ", where, name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cfg_set(cfg_t *c, const char *name, const char *value, const char *file,
            int line)
{
    const struct cfg_key *k = cfg_find(c, name);
    struct cfg_origin    *o, old;
    char                  why[512];

    if (k == NULL) {
        if (!c->quiet) {
            if (file && line > 0)
                fprintf(stderr, "%s:%d: warning: %s: unknown key, ignored\n",
                        file, line, name);
            else
                fprintf(stderr, "%s: warning: %s: unknown key, ignored\n",
                        file ? file : "config", name);
        }
        return ERR_NOTFOUND;
    }
    o = &c->origin[cfg_index(c, k)];
    old = *o;
    o->file = file;
    o->line = line;
    o->set = true;
    if (cfg_apply(c, k, value, why, sizeof why) < 0) {
        cfg_error(c, name, "%s", why); /* names the rejected line */
        *o = old;                       /* the value in force is the old one */
        return ERR_CONFIG;
    }
    return 0;
}

static int cfg_file_cb(void *ud, const struct props_entry *e)
{
    cfg_t *c = ud;

    if (e->stripped_comment && !c->quiet)
        fprintf(stderr,
                "%s:%d: warning: %s: trailing \"# ...\" comment removed from "
                "the value (Java would keep it)\n",
                c->path, e->line, e->key);
    (void)cfg_set(c, e->key, e->value, c->path, e->line);
    return 0;
}

int cfg_load_file(cfg_t *c, const char *path)
{
    int errors = c->errors, line = 0, rc;

    free(c->path);
    c->path = xstrdup(path);
    rc = props_parse_file(path, cfg_file_cb, c, &line);
    if (rc == ERR_MALFORMED) {
        fprintf(stderr, "%s:%d: malformed \\uXXXX escape\n", path, line);
        c->errors++;
        return ERR_CONFIG;
    }
    if (rc < 0)
        return rc;
    return c->errors > errors ? ERR_CONFIG : 0;
}

const char *cfg_env_name(const char *env_prefix, const char *key)
{
    static char name[256];
    size_t      n = 0, i;

    for (i = 0; env_prefix && env_prefix[i] && n < sizeof name - 1; i++)
        name[n++] = env_prefix[i];
    for (i = 0; key[i] && n < sizeof name - 1; i++) {
        char ch = key[i];

        name[n++] = (ch == '.' || ch == '-') ? '_' : (char)toupper((unsigned char)ch);
    }
    name[n] = '\0';
    return name;
}

int cfg_load_env(cfg_t *c, char **envp)
{
    int    errors = c->errors;
    size_t i, n;
    char **e;

    if (envp == NULL)
        envp = environ;
    if (c->env_prefix == NULL)
        return 0;
    for (i = 0; i < c->nkeys; i++) {
        const char *name = cfg_env_name(c->env_prefix, c->keys[i].name);

        n = strlen(name);
        for (e = envp; *e != NULL; e++) {
            if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
                (void)cfg_set(c, c->keys[i].name, *e + n + 1, "environment", 0);
                break;
            }
        }
    }
    return c->errors > errors ? ERR_CONFIG : 0;
}

static void cfg_print_value(const cfg_t *c, const struct cfg_key *k, FILE *out)
{
    const void *f = (const char *)c->obj + k->off;

    if (k->print != NULL) {
        k->print(k, f, out);
        return;
    }
    switch (k->type) {
    case CFG_INT:
        fprintf(out, "%" PRId32, *(const int32_t *)f);
        break;
    case CFG_LONG:
        fprintf(out, "%" PRId64, *(const int64_t *)f);
        break;
    case CFG_BOOL:
        fputs(*(const bool *)f ? "true" : "false", out);
        break;
    case CFG_STRING:
        if (*(char *const *)f != NULL)
            fputs(*(char *const *)f, out);
        break;
    case CFG_CUSTOM:
    case CFG_IGNORED:
        break;
    }
}

void cfg_print(const cfg_t *c, FILE *out)
{
    size_t i;

    for (i = 0; i < c->nkeys; i++) {
        const struct cfg_key    *k = &c->keys[i];
        const struct cfg_origin *o = &c->origin[i];

        if (k->type == CFG_IGNORED && !o->set)
            continue;
        fprintf(out, "%s=", k->name);
        cfg_print_value(c, k, out);
        if (k->type == CFG_IGNORED)
            fputs("  # accepted, not used", out);
        else if (o->set && o->line > 0)
            fprintf(out, "  # %s:%d", o->file, o->line);
        else if (o->set)
            fprintf(out, "  # %s", o->file);
        fputc('\n', out);
    }
}

void cfg_help(const struct cfg_key *keys, const char *env_prefix, FILE *out)
{
    static const char *const tn[] = { "int", "long", "bool", "string",
                                      "value", "ignored" };
    size_t                   i;

    for (i = 0; keys[i].name != NULL; i++) {
        const struct cfg_key *k = &keys[i];

        fprintf(out, "  %-40s %-7s default: %s\n      %s\n", k->name,
                tn[k->type],
                k->def == NULL ? "(none)" : (*k->def ? k->def : "\"\""),
                k->doc ? k->doc : "");
    }
    if (env_prefix != NULL)
        fprintf(out,
                "\nEvery key can be overridden by the environment variable %s"
                "<KEY>, KEY upper-cased with '.' and '-' as '_' (e.g. %s).\n",
                env_prefix, cfg_env_name(env_prefix, keys[0].name));
}

void cfg_free(cfg_t *c)
{
    size_t i;

    if (c->keys != NULL && c->obj != NULL)
        for (i = 0; i < c->nkeys; i++)
            if (c->keys[i].type == CFG_STRING && c->keys[i].parse == NULL) {
                char **f = (char **)cfg_field(c, &c->keys[i]);

                free(*f);
                *f = NULL;
            }
    free(c->origin);
    free(c->path);
    c->origin = NULL;
    c->path = NULL;
    c->keys = NULL;
    c->nkeys = 0;
}
