/* kf_http_stream_filter: what the UI's search matches records with.  A
 * pure parser and matcher (no I/O, no loop): the search module parses a
 * query on the loop and matches records with it on the thread pool; a
 * fuzz target drives the parser (tests/fuzz/fuzz_broker_search_filter.c).
 *
 * Three modes over a record's key, value and headers (names and values):
 *   substring  the query's bytes occur in one of them (memmem);
 *   regex      POSIX extended regular expression (regcomp REG_EXTENDED);
 *   filter     a small language:  term (("and" | "or") term)*
 *              with "and" binding tighter than "or", no parentheses;
 *              term = field op value:
 *                field  key | value | header.<name> | offset | timestamp |
 *                       partition | size (key + value bytes) |
 *                       value.<path> | key.<path>: the key or value parsed
 *                       as JSON, members by name, array items by index
 *                       ("value.order.items.0.sku"); a string compares as
 *                       its text, a number numerically (or as its text),
 *                       true/false/null as those words
 *                op     = (or ==)  !=  ~ (regex)  !~  contains
 *                       < <= > >=   (the last four on numeric fields only)
 *                value  a bare word, or "quoted" with \" \\ \n \t \xHH
 *              "header.h = v" holds when some header h has value v;
 *              "!=" and "!~" are the negations of "=" and "~".
 * Regular expressions are bounded before regcomp (see
 * kf_http_stream_filter_regex): at most 1 KiB, no back-references (glibc
 * matches them by backtracking: exponential time), and at most 4096 nodes
 * once glibc has unrolled x+ and x{m,n} (stacked or nested repetitions
 * multiply: memory and compile time).  So compiling one is cheap enough
 * for the loop and matching is polynomial. */
#ifndef ODRADEK_KF_HTTP_STREAM_FILTER_H
#define ODRADEK_KF_HTTP_STREAM_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "rd.h"

#define KF_HTTP_FILTER_MAX_QUERY 4096 /* bytes of a query */
#define KF_HTTP_FILTER_MAX_TERMS 16
#define KF_HTTP_FILTER_MAX_REGEX 1024 /* bytes of one pattern */
/* A regular expression sees the first 4 KiB of a key, value or header:
 * glibc's regexec tries every start position, so an unanchored pattern
 * such as "z+y" costs O(n^2) on n bytes (measured: 0.2 s at 8 KiB of
 * 'z', -O2); the search's time budget is checked between records, so this
 * bounds how far one record can overshoot it (~50 ms a field).  Substring,
 * = and contains see whole fields. */
#define KF_HTTP_FILTER_REGEX_SPAN (4 * 1024)

enum kf_http_filter_mode {
    KF_HTTP_FILTER_SUBSTRING,
    KF_HTTP_FILTER_REGEX,
    KF_HTTP_FILTER_EXPR,
};

/* Where substring and regex modes look (a bit set; 0 = all). */
enum {
    KF_HTTP_FILTER_IN_KEY = 1,
    KF_HTTP_FILTER_IN_VALUE = 2,
    KF_HTTP_FILTER_IN_HEADERS = 4,
};

/* What one record offers to a filter; slices borrow (n == -1: null). */
struct kf_http_filter_rec {
    int64_t        offset, timestamp;
    int32_t        partition;
    slice_t        key, value;
    int32_t        nheaders;
    const uint8_t *headers; /* encoded: varint-length key, value pairs */
    size_t         headers_len;
};

typedef struct kf_http_filter kf_http_filter_t;

/* Parses query q[0..n) in mode (in: KF_HTTP_FILTER_IN_* for substring and
 * regex).  0 and *out (free with kf_http_stream_filter_free), or
 * ERR_MALFORMED with a reason for the user in err (NUL-terminated). */
int  kf_http_stream_filter_parse(const char *q, size_t n,
                                 enum kf_http_filter_mode mode, int in,
                                 kf_http_filter_t **out, char *err,
                                 size_t errsz);
void kf_http_stream_filter_free(kf_http_filter_t *f);

/* What matching needs, one per thread: NUL-terminated copies for regexec,
 * an arena for a key or value parsed as JSON (once per record).  Zeroed
 * is ready; free with kf_http_stream_filter_scratch_free. */
struct json;
struct kf_http_filter_scratch {
    buf_t        re;
    arena_t      arena;
    struct json *doc[2];   /* key, value parsed as JSON */
    int8_t       state[2]; /* 0 not tried, 1 parsed, -1 not JSON */
};
void kf_http_stream_filter_scratch_free(struct kf_http_filter_scratch *sc);

/* Does r match?  Safe on several threads with distinct scratch. */
bool kf_http_stream_filter_match(const kf_http_filter_t          *f,
                                 const struct kf_http_filter_rec *r,
                                 struct kf_http_filter_scratch   *sc);

/* The bounds above, then regcomp(REG_EXTENDED | REG_NOSUB).  re points to
 * a regex_t.  0, or ERR_MALFORMED with the reason in err. */
int kf_http_stream_filter_regex(const char *pat, size_t n, void *re, char *err,
                                size_t errsz);

#endif
