/* kf_http_stream_filter: the search's query parser and record matcher
 * (see kf_http_stream_filter.h).  Owns: tokenizing and checking a query,
 * the bounds put on regular expressions, matching one record.  Does not
 * own: reading records (kf_http_stream_search.c). */
#include "kf_http_stream_filter.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "xalloc.h"

enum kf_http_ffield {
    F_KEY,
    F_VALUE,
    F_HEADER,
    F_OFFSET,
    F_TIMESTAMP,
    F_PARTITION,
    F_SIZE,
    F_JKEY,
    F_JVALUE, /* key.<path>, value.<path>: inside JSON */
};
enum kf_http_fop {
    OP_EQ,
    OP_NE,
    OP_RE,
    OP_NRE,
    OP_CONTAINS,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE
};

/* Fields and operators: the language is these two tables. */
static const struct {
    const char         *name;
    enum kf_http_ffield f;
    bool                numeric;
} kf_http_ffields[] = {
    {"key", F_KEY, false},
    {"value", F_VALUE, false},
    {"offset", F_OFFSET, true},
    {"timestamp", F_TIMESTAMP, true},
    {"partition", F_PARTITION, true},
    {"size", F_SIZE, true},
};

static const struct {
    const char      *name;
    enum kf_http_fop op;
    bool             numeric; /* allowed on numeric fields */
    bool             text;    /* allowed on key/value/headers */
} kf_http_fops[] = {
    /* longest first: "<=" before "<" */
    {"contains", OP_CONTAINS, false, true},
    {"==", OP_EQ, true, true},
    {"!=", OP_NE, true, true},
    {"!~", OP_NRE, false, true},
    {"<=", OP_LE, true, false},
    {">=", OP_GE, true, false},
    {"=", OP_EQ, true, true},
    {"~", OP_RE, false, true},
    {"<", OP_LT, true, false},
    {">", OP_GT, true, false},
};

#define KF_HTTP_FILTER_MAX_VALUE 1024 /* bytes of one term's value */
#define KF_HTTP_FILTER_MAX_PATH 8     /* segments of a JSON path */

struct kf_http_fterm {
    enum kf_http_ffield field;
    enum kf_http_fop    op;
    bool                or_before; /* "or" precedes this term: a new group */
    char               *header;    /* F_HEADER: the header's name */
    size_t              header_len;
    char               *text; /* value bytes (text fields) */
    size_t              text_len;
    int64_t             num;  /* numeric fields */
    char               *path; /* F_JKEY/F_JVALUE: segments, NUL-separated */
    int                 nseg;
    double              dnum; /* the value as a number, for JSON */
    bool                have_dnum;
    regex_t             re; /* OP_RE / OP_NRE */
    bool                have_re;
};

struct kf_http_filter {
    enum kf_http_filter_mode mode;
    int                      in;
    char                    *needle; /* substring */
    size_t                   needle_len;
    regex_t                  re; /* regex mode */
    bool                     have_re;
    struct kf_http_fterm     t[KF_HTTP_FILTER_MAX_TERMS];
    int                      nterms;
};

static int kf_http_ferr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int kf_http_ferr(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return ERR_MALFORMED;
}

/* ---- regular expressions ------------------------------------------------ */

/* glibc compiles x+ as x x* and x{m,n} as m..n copies of x, so stacked or
 * nested repetitions multiply the size of the compiled tree ("(a+)+" is
 * 4 nodes, "a++++..." doubles per '+'): its memory and the compile time
 * grow with the product.  This walks the pattern as glibc's parser sees
 * it (groups, alternatives, bracket expressions, escapes, repetitions)
 * and adds up the nodes a compile would make, giving up above
 * KF_HTTP_FILTER_REGEX_NODES.  Returns the estimate, -1 if too big or
 * nested deeper than 32 groups, -2 for a repetition of a repetition. */
#define KF_HTTP_FILTER_REGEX_NODES 4096
#define KF_HTTP_FILTER_REGEX_DEPTH 32

static int64_t kf_http_re_size(const char *pat, size_t n)
{
    struct {
        int64_t sum, last;
    } st[KF_HTTP_FILTER_REGEX_DEPTH + 1];
    int    d = 0;
    size_t i;
    bool   quant = false; /* the previous token was a repetition */

    st[0].sum = st[0].last = 0;
    for (i = 0; i < n; i++) {
        int64_t factor = -1;
        char    ch = pat[i];
        bool    was_quant = quant;

        quant = ch == '*' || ch == '?' || ch == '+' ||
                (ch == '{' && i + 1 < n && isdigit((unsigned char)pat[i + 1]));
        /* "a+?", "a**", "a{2}+": undefined in POSIX ERE; glibc nests the
         * epsilon loops and its closure computation explodes */
        if (quant && was_quant)
            return -2;

        if (ch == '(') {
            if (++d > KF_HTTP_FILTER_REGEX_DEPTH)
                return -1;
            st[d].sum = st[d].last = 0;
            continue;
        }
        if (ch == ')' && d > 0) {
            d--;
            st[d].last = st[d + 1].sum + 1;
            st[d].sum += st[d].last;
        } else if (ch == '|') {
            st[d].last = 0;
        } else if (ch == '*' || ch == '?') {
            factor = 1;
        } else if (ch == '+') {
            factor = 2;
        } else if (ch == '{' && i + 1 < n &&
                   isdigit((unsigned char)pat[i + 1])) {
            int64_t m = 0, k = -1;

            for (i++; i < n && isdigit((unsigned char)pat[i]) && m <= 100000;
                 i++)
                m = m * 10 + (pat[i] - '0');
            if (i < n && pat[i] == ',') {
                k = 0;
                for (i++;
                     i < n && isdigit((unsigned char)pat[i]) && k <= 100000;
                     i++)
                    k = k * 10 + (pat[i] - '0');
            }
            while (i < n && pat[i] != '}')
                i++;
            factor = (k > m ? k : m) + 1;
        } else {
            if (ch == '[') { /* a bracket expression is one node */
                size_t j = i + 1;

                if (j < n && pat[j] == '^')
                    j++;
                if (j < n && pat[j] == ']')
                    j++;
                while (j < n && pat[j] != ']') {
                    if (pat[j] == '[' && j + 1 < n &&
                        (pat[j + 1] == ':' || pat[j + 1] == '.' ||
                         pat[j + 1] == '=')) {
                        char        close = pat[j + 1];
                        const char *e = NULL;

                        for (size_t q = j + 2; q + 1 < n; q++)
                            if (pat[q] == close && pat[q + 1] == ']') {
                                e = pat + q;
                                break;
                            }
                        j = e ? (size_t)(e - pat) + 2 : j + 1;
                        continue;
                    }
                    j++;
                }
                i = j;
            } else if (ch == '\\') {
                i++;
            }
            st[d].last = 1;
            st[d].sum += 1;
        }
        if (factor > 0) {
            /* the item just before is repeated: add factor - 1 copies */
            st[d].sum += st[d].last * (factor - 1) + 1;
            st[d].last = st[d].last * factor + 1;
        }
        if (st[d].sum > KF_HTTP_FILTER_REGEX_NODES ||
            st[d].last > KF_HTTP_FILTER_REGEX_NODES)
            return -1;
    }
    return st[0].sum;
}

int kf_http_stream_filter_regex(const char *pat, size_t n, void *re, char *err,
                                size_t errsz)
{
    char  *z;
    size_t i;
    int    rc;

    if (n > KF_HTTP_FILTER_MAX_REGEX)
        return kf_http_ferr(err, errsz,
                            "regular expression longer than %d bytes",
                            KF_HTTP_FILTER_MAX_REGEX);
    if (memchr(pat, '\0', n) != NULL)
        return kf_http_ferr(err, errsz, "NUL byte in a regular expression");
    for (i = 0; i + 1 < n; i++)
        if (pat[i] == '\\') {
            if (pat[i + 1] >= '1' && pat[i + 1] <= '9')
                return kf_http_ferr(err, errsz,
                                    "back-references (\\%c) are not supported",
                                    pat[i + 1]);
            i++;
        }
    if (kf_http_re_size(pat, n) == -2)
        return kf_http_ferr(err, errsz,
                            "stacked repetition operators (a+?, a**, "
                            "a{2}+) are not supported");
    if (kf_http_re_size(pat, n) < 0)
        return kf_http_ferr(err, errsz,
                            "regular expression too complex (nested or large "
                            "repetitions, or groups nested deeper than %d)",
                            KF_HTTP_FILTER_REGEX_DEPTH);
    z = xmalloc(n + 1);
    memcpy(z, pat, n);
    z[n] = '\0';
    rc = regcomp(re, z, REG_EXTENDED | REG_NOSUB);
    free(z);
    if (rc != 0) {
        char msg[160];

        regerror(rc, re, msg, sizeof msg);
        return kf_http_ferr(err, errsz, "bad regular expression: %s", msg);
    }
    return 0;
}

/* regexec over bytes: a NUL-terminated copy in scratch (ASan's regexec
 * interceptor reads up to the NUL); REG_STARTEND lets a value's own NUL
 * bytes be matched past. */
static bool kf_http_re_match(const regex_t *re, const uint8_t *p, size_t n,
                             struct kf_http_filter_scratch *sc)
{
    regmatch_t m[1];

    if (n > KF_HTTP_FILTER_REGEX_SPAN)
        n = KF_HTTP_FILTER_REGEX_SPAN;

    buf_t *scratch = &sc->re;

    scratch->len = 0;
    buf_reserve(scratch, n + 1);
    if (n)
        memcpy(scratch->data, p, n);
    scratch->data[n] = '\0';
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)n;
#ifdef REG_STARTEND
    return regexec(re, (const char *)scratch->data, 1, m, REG_STARTEND) == 0;
#else
    return regexec(re, (const char *)scratch->data, 0, NULL, 0) == 0;
#endif
}

/* ---- parsing ------------------------------------------------------------ */

struct kf_http_flex {
    const char *p, *end;
};

static void kf_http_fskip(struct kf_http_flex *x)
{
    while (x->p < x->end && isspace((unsigned char)*x->p))
        x->p++;
}

static bool kf_http_fopchar(char ch)
{
    return ch == '=' || ch == '!' || ch == '~' || ch == '<' || ch == '>';
}

/* A word: up to a space or an operator character. */
static size_t kf_http_fword(struct kf_http_flex *x, const char **w)
{
    const char *s = x->p;

    while (x->p < x->end && !isspace((unsigned char)*x->p) &&
           !kf_http_fopchar(*x->p))
        x->p++;
    *w = s;
    return (size_t)(x->p - s);
}

static int kf_http_fhex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)(ch | 0x20);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A value: "quoted" (escapes) or a bare word up to a space.  Into out. */
static int kf_http_fvalue(struct kf_http_flex *x, buf_t *out, char *err,
                          size_t errsz)
{
    out->len = 0;
    if (x->p < x->end && *x->p == '"') {
        for (x->p++; x->p < x->end && *x->p != '"'; x->p++) {
            char ch = *x->p;

            if (ch == '\\') {
                if (++x->p >= x->end)
                    break;
                ch = *x->p;
                if (ch == 'n')
                    ch = '\n';
                else if (ch == 't')
                    ch = '\t';
                else if (ch == 'x') {
                    int hi, lo;

                    if (x->end - x->p < 3 || (hi = kf_http_fhex(x->p[1])) < 0 ||
                        (lo = kf_http_fhex(x->p[2])) < 0)
                        return kf_http_ferr(err, errsz, "bad \\x escape");
                    ch = (char)(hi << 4 | lo);
                    x->p += 2;
                } else if (ch != '"' && ch != '\\') {
                    return kf_http_ferr(err, errsz, "unknown escape \\%c", ch);
                }
            }
            if (out->len >= KF_HTTP_FILTER_MAX_VALUE)
                return kf_http_ferr(err, errsz, "value longer than %d bytes",
                                    KF_HTTP_FILTER_MAX_VALUE);
            buf_put_u8(out, (uint8_t)ch);
        }
        if (x->p >= x->end)
            return kf_http_ferr(err, errsz, "unterminated \"string\"");
        x->p++;
        return 0;
    }
    while (x->p < x->end && !isspace((unsigned char)*x->p)) {
        if (out->len >= KF_HTTP_FILTER_MAX_VALUE)
            return kf_http_ferr(err, errsz, "value longer than %d bytes",
                                KF_HTTP_FILTER_MAX_VALUE);
        buf_put_u8(out, (uint8_t)*x->p++);
    }
    if (out->len == 0)
        return kf_http_ferr(err, errsz, "a value is missing at the end");
    return 0;
}

static bool kf_http_fis(const char *w, size_t n, const char *kw)
{
    return n == strlen(kw) && strncasecmp(w, kw, n) == 0;
}

static int kf_http_fterm_parse(struct kf_http_flex *x, struct kf_http_fterm *t,
                               buf_t *val, char *err, size_t errsz)
{
    const char *w;
    size_t      n = kf_http_fword(x, &w), i;
    bool        numeric = false, found = false;
    char       *end;
    int         rc;

    if (n == 0)
        return kf_http_ferr(err, errsz, "a field is expected before '%.*s'",
                            (int)(x->end - x->p > 10 ? 10 : x->end - x->p),
                            x->p);
    if ((n > 6 && strncmp(w, "value.", 6) == 0) ||
        (n > 4 && strncmp(w, "key.", 4) == 0)) {
        size_t k, at = w[0] == 'v' ? 6 : 4;

        t->field = w[0] == 'v' ? F_JVALUE : F_JKEY;
        t->path = xmalloc(n - at + 1);
        memcpy(t->path, w + at, n - at);
        t->path[n - at] = '\0';
        t->nseg = 1;
        for (k = 0; k < n - at; k++)
            if (t->path[k] == '.') {
                t->path[k] = '\0';
                t->nseg++;
            }
        for (k = 0; k + 1 < n - at; k++)
            if (t->path[k] == '\0' && t->path[k + 1] == '\0')
                break;
        if (t->nseg > KF_HTTP_FILTER_MAX_PATH || t->path[0] == '\0' ||
            t->path[n - at - 1] == '\0' || k + 1 < n - at)
            return kf_http_ferr(err, errsz,
                                "a JSON path has 1..%d non-empty parts",
                                KF_HTTP_FILTER_MAX_PATH);
        numeric = false;
        found = true;
    } else if (n > 7 && strncmp(w, "header.", 7) == 0) {
        t->field = F_HEADER;
        t->header_len = n - 7;
        t->header = xmalloc(n - 7 + 1);
        memcpy(t->header, w + 7, n - 7);
        t->header[n - 7] = '\0';
        found = true;
    }
    for (i = 0;
         !found && i < sizeof kf_http_ffields / sizeof kf_http_ffields[0]; i++)
        if (kf_http_fis(w, n, kf_http_ffields[i].name)) {
            t->field = kf_http_ffields[i].f;
            numeric = kf_http_ffields[i].numeric;
            found = true;
        }
    if (!found)
        return kf_http_ferr(
            err, errsz,
            "unknown field '%.*s' (key, value, header.<name>, offset, "
            "timestamp, partition, size)",
            (int)(n > 40 ? 40 : n), w);
    kf_http_fskip(x);
    found = false;
    for (i = 0; i < sizeof kf_http_fops / sizeof kf_http_fops[0]; i++) {
        size_t k = strlen(kf_http_fops[i].name);

        if ((size_t)(x->end - x->p) >= k &&
            strncasecmp(x->p, kf_http_fops[i].name, k) == 0) {
            bool json = t->field == F_JKEY || t->field == F_JVALUE;

            if (!json &&
                (numeric ? !kf_http_fops[i].numeric : !kf_http_fops[i].text))
                return kf_http_ferr(
                    err, errsz, "operator %s does not apply to %s",
                    kf_http_fops[i].name,
                    numeric ? "a numeric field" : "key, value or headers");
            t->op = kf_http_fops[i].op;
            x->p += k;
            found = true;
            break;
        }
    }
    if (!found)
        return kf_http_ferr(
            err, errsz,
            "an operator is expected (= != ~ !~ contains < <= > >=)");
    kf_http_fskip(x);
    if ((rc = kf_http_fvalue(x, val, err, errsz)) < 0)
        return rc;
    if (numeric) {
        char num[32];

        if (val->len == 0 || val->len >= sizeof num)
            return kf_http_ferr(err, errsz, "a number is expected");
        memcpy(num, val->data, val->len);
        num[val->len] = '\0';
        errno = 0;
        t->num = strtoll(num, &end, 10);
        if (*end != '\0' || errno != 0)
            return kf_http_ferr(err, errsz, "'%s' is not an integer", num);
        return 0;
    }
    t->text = xmalloc(val->len + 1);
    if (val->len)
        memcpy(t->text, val->data, val->len);
    t->text[val->len] = '\0';
    t->text_len = val->len;
    if (t->field == F_JKEY || t->field == F_JVALUE) {
        errno = 0;
        t->dnum = strtod(t->text, &end);
        t->have_dnum = val->len > 0 && *end == '\0' && errno == 0 &&
                       strlen(t->text) == val->len;
        if (!t->have_dnum && (t->op == OP_LT || t->op == OP_LE ||
                              t->op == OP_GT || t->op == OP_GE))
            return kf_http_ferr(err, errsz, "'%s' is not a number", t->text);
    }
    if (t->op == OP_RE || t->op == OP_NRE) {
        if ((rc = kf_http_stream_filter_regex(t->text, t->text_len, &t->re, err,
                                              errsz)) < 0)
            return rc;
        t->have_re = true;
    }
    return 0;
}

static int kf_http_fexpr_parse(kf_http_filter_t *f, const char *q, size_t n,
                               char *err, size_t errsz)
{
    struct kf_http_flex x = {q, q + n};
    buf_t               val = BUF_INIT;
    const char         *w;
    size_t              wn;
    int                 rc = 0;
    bool                or_next = false;

    for (;;) {
        kf_http_fskip(&x);
        if (x.p == x.end) {
            rc = kf_http_ferr(err, errsz,
                              f->nterms ? "a term is expected after and/or"
                                        : "the filter is empty");
            break;
        }
        if (f->nterms == KF_HTTP_FILTER_MAX_TERMS) {
            rc = kf_http_ferr(err, errsz, "more than %d terms",
                              KF_HTTP_FILTER_MAX_TERMS);
            break;
        }
        f->t[f->nterms].or_before = or_next;
        rc = kf_http_fterm_parse(&x, &f->t[f->nterms], &val, err, errsz);
        f->nterms++; /* even when failed: its allocations are freed with f */
        if (rc < 0)
            break;
        kf_http_fskip(&x);
        if (x.p == x.end)
            break;
        wn = kf_http_fword(&x, &w);
        if (kf_http_fis(w, wn, "and") || kf_http_fis(w, wn, "&&")) {
            or_next = false;
        } else if (kf_http_fis(w, wn, "or") || kf_http_fis(w, wn, "||")) {
            or_next = true;
        } else {
            rc =
                kf_http_ferr(err, errsz, "'and' or 'or' expected after a term");
            break;
        }
    }
    buf_free(&val);
    return rc;
}

int kf_http_stream_filter_parse(const char *q, size_t n,
                                enum kf_http_filter_mode mode, int in,
                                kf_http_filter_t **out, char *err, size_t errsz)
{
    kf_http_filter_t *f;
    int               rc = 0;

    *out = NULL;
    if (n > KF_HTTP_FILTER_MAX_QUERY)
        return kf_http_ferr(err, errsz, "query longer than %d bytes",
                            KF_HTTP_FILTER_MAX_QUERY);
    f = xcalloc(1, sizeof *f);
    f->mode = mode;
    f->in = in ? in
               : KF_HTTP_FILTER_IN_KEY | KF_HTTP_FILTER_IN_VALUE |
                     KF_HTTP_FILTER_IN_HEADERS;
    if (mode == KF_HTTP_FILTER_SUBSTRING) {
        if (n == 0)
            rc = kf_http_ferr(err, errsz, "the search text is empty");
        f->needle = xmalloc(n + 1);
        memcpy(f->needle, q, n);
        f->needle[n] = '\0';
        f->needle_len = n;
    } else if (mode == KF_HTTP_FILTER_REGEX) {
        if ((rc = kf_http_stream_filter_regex(q, n, &f->re, err, errsz)) == 0)
            f->have_re = true;
    } else {
        rc = kf_http_fexpr_parse(f, q, n, err, errsz);
    }
    if (rc < 0) {
        kf_http_stream_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void kf_http_stream_filter_free(kf_http_filter_t *f)
{
    int i;

    if (f == NULL)
        return;
    for (i = 0; i < f->nterms; i++) {
        free(f->t[i].path);
        free(f->t[i].header);
        free(f->t[i].text);
        if (f->t[i].have_re)
            regfree(&f->t[i].re);
    }
    if (f->have_re)
        regfree(&f->re);
    free(f->needle);
    free(f);
}

/* ---- matching ----------------------------------------------------------- */

/* Does s (null: never) satisfy a text term's positive operator? */
static bool kf_http_ftext(const struct kf_http_fterm *t, slice_t s,
                          struct kf_http_filter_scratch *scratch)
{
    if (s.n < 0)
        return false;
    switch (t->op) {
    case OP_EQ:
    case OP_NE:
        return (size_t)s.n == t->text_len &&
               memcmp(s.p, t->text, t->text_len) == 0;
    case OP_CONTAINS:
        return t->text_len == 0 ||
               memmem(s.p, (size_t)s.n, t->text, t->text_len) != NULL;
    default: /* OP_RE, OP_NRE */
        return kf_http_re_match(&t->re, s.p, (size_t)s.n, scratch);
    }
}

static int64_t kf_http_fnum(const struct kf_http_filter_rec *r,
                            enum kf_http_ffield              f)
{
    switch (f) {
    case F_OFFSET:
        return r->offset;
    case F_TIMESTAMP:
        return r->timestamp;
    case F_PARTITION:
        return r->partition;
    default: /* F_SIZE */
        return (int64_t)(r->key.n > 0 ? r->key.n : 0) +
               (r->value.n > 0 ? r->value.n : 0);
    }
}

static bool kf_http_fjson_match(const struct kf_http_fterm      *t,
                                const struct kf_http_filter_rec *r,
                                struct kf_http_filter_scratch   *sc);

static bool kf_http_fterm_match(const struct kf_http_fterm      *t,
                                const struct kf_http_filter_rec *r,
                                struct kf_http_filter_scratch   *scratch)
{
    bool pos = false;

    if (t->field == F_JKEY || t->field == F_JVALUE) {
        return kf_http_fjson_match(t, r, scratch);
    } else if (t->field == F_KEY || t->field == F_VALUE) {
        pos = kf_http_ftext(t, t->field == F_KEY ? r->key : r->value, scratch);
    } else if (t->field == F_HEADER) {
        rd_t    hr = rd_init(r->headers, r->headers_len);
        int32_t k;

        for (k = 0; k < r->nheaders && !pos; k++) {
            slice_t hk = rd_vbytes(&hr), hv = rd_vbytes(&hr);

            if (!rd_ok(&hr) || hk.n < 0)
                break;
            if ((size_t)hk.n == t->header_len &&
                memcmp(hk.p, t->header, t->header_len) == 0)
                pos = kf_http_ftext(t, hv, scratch);
        }
    } else {
        int64_t v = kf_http_fnum(r, t->field);

        switch (t->op) {
        case OP_LT:
            return v < t->num;
        case OP_LE:
            return v <= t->num;
        case OP_GT:
            return v > t->num;
        case OP_GE:
            return v >= t->num;
        case OP_NE:
            return v != t->num;
        default:
            return v == t->num;
        }
    }
    return t->op == OP_NE || t->op == OP_NRE ? !pos : pos;
}

/* The key (0) or value (1) of the record parsed as JSON, once per record
 * (NULL: not JSON).  Bounded by json.h: depth 32, 10000 nodes. */
static const struct json *kf_http_fjson_doc(const struct kf_http_filter_rec *r,
                                            int which,
                                            struct kf_http_filter_scratch *sc)
{
    slice_t s = which ? r->value : r->key;

    if (sc->state[which] == 0) {
        sc->state[which] = -1;
        if (s.n > 0 && json_parse(&sc->arena, s.p, (size_t)s.n, &sc->doc[which],
                                  NULL) == 0)
            sc->state[which] = 1;
    }
    return sc->state[which] == 1 ? sc->doc[which] : NULL;
}

static bool kf_http_fjson_match(const struct kf_http_fterm      *t,
                                const struct kf_http_filter_rec *r,
                                struct kf_http_filter_scratch   *sc)
{
    const struct json *node = kf_http_fjson_doc(r, t->field == F_JVALUE, sc);
    const char        *seg = t->path;
    char               num[40];
    slice_t            text = {NULL, -1};
    bool               pos = false;
    int                k;

    for (k = 0; k < t->nseg && node != NULL; k++, seg += strlen(seg) + 1) {
        if (node->type == JSON_OBJECT) {
            node = json_get(node, seg);
        } else if (node->type == JSON_ARRAY && isdigit((unsigned char)seg[0])) {
            long idx = strtol(seg, NULL, 10);

            for (node = node->child; node != NULL && idx > 0; idx--)
                node = node->next;
        } else {
            node = NULL;
        }
    }
    if (node != NULL && node->type == JSON_NUMBER && t->have_dnum) {
        switch (t->op) {
        case OP_LT:
            return node->num < t->dnum;
        case OP_LE:
            return node->num <= t->dnum;
        case OP_GT:
            return node->num > t->dnum;
        case OP_GE:
            return node->num >= t->dnum;
        case OP_EQ:
            return node->num == t->dnum;
        case OP_NE:
            return node->num != t->dnum;
        default:
            break;
        }
    }
    if (t->op == OP_LT || t->op == OP_LE || t->op == OP_GT || t->op == OP_GE)
        return false; /* not a number there */
    if (node != NULL) {
        if (node->type == JSON_STRING)
            text = (slice_t){(const uint8_t *)node->str, (int32_t)node->len};
        else if (node->type == JSON_BOOL)
            text = (slice_t){(const uint8_t *)(node->b ? "true" : "false"),
                             node->b ? 4 : 5};
        else if (node->type == JSON_NULL)
            text = (slice_t){(const uint8_t *)"null", 4};
        else if (node->type == JSON_NUMBER) {
            int m = node->is_int
                        ? snprintf(num, sizeof num, "%lld", (long long)node->i)
                        : snprintf(num, sizeof num, "%.15g", node->num);

            text = (slice_t){(const uint8_t *)num, m};
        }
        pos = kf_http_ftext(t, text, sc);
    }
    return t->op == OP_NE || t->op == OP_NRE ? !pos : pos;
}

void kf_http_stream_filter_scratch_free(struct kf_http_filter_scratch *sc)
{
    buf_free(&sc->re);
    arena_free(&sc->arena);
    sc->state[0] = sc->state[1] = 0;
}

static bool kf_http_fany(const kf_http_filter_t *f, slice_t s,
                         struct kf_http_filter_scratch *scratch)
{
    if (s.n <= 0)
        return false;
    if (f->mode == KF_HTTP_FILTER_SUBSTRING)
        return memmem(s.p, (size_t)s.n, f->needle, f->needle_len) != NULL;
    return kf_http_re_match(&f->re, s.p, (size_t)s.n, scratch);
}

bool kf_http_stream_filter_match(const kf_http_filter_t          *f,
                                 const struct kf_http_filter_rec *r,
                                 struct kf_http_filter_scratch   *scratch)
{
    int  i;
    bool group = true;

    if (scratch->state[0] != 0 || scratch->state[1] != 0) { /* a new record */
        scratch->state[0] = scratch->state[1] = 0;
        arena_reset(&scratch->arena);
    }
    if (f->mode != KF_HTTP_FILTER_EXPR) {
        if ((f->in & KF_HTTP_FILTER_IN_KEY) && kf_http_fany(f, r->key, scratch))
            return true;
        if ((f->in & KF_HTTP_FILTER_IN_VALUE) &&
            kf_http_fany(f, r->value, scratch))
            return true;
        if (f->in & KF_HTTP_FILTER_IN_HEADERS) {
            rd_t    hr = rd_init(r->headers, r->headers_len);
            int32_t k;

            for (k = 0; k < r->nheaders; k++) {
                slice_t hk = rd_vbytes(&hr), hv = rd_vbytes(&hr);

                if (!rd_ok(&hr))
                    break;
                if (kf_http_fany(f, hk, scratch) ||
                    kf_http_fany(f, hv, scratch))
                    return true;
            }
        }
        return false;
    }
    /* or of and-groups: a group holds while every term in it holds */
    for (i = 0; i < f->nterms; i++) {
        if (f->t[i].or_before) {
            if (group)
                return true;
            group = true;
        }
        if (group && !kf_http_fterm_match(&f->t[i], r, scratch))
            group = false;
    }
    return group;
}
