/* http: request-head parser and response helpers (see http.h).  Every byte
 * is checked against the input end; nothing is allocated. */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"

/* RFC 9110 tchar */
static bool http_is_tchar(uint8_t c)
{
    return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

static bool http_slice_ieq(slice_t s, const char *z)
{
    size_t n = strlen(z);

    return s.n >= 0 && (size_t)s.n == n && strncasecmp((const char *)s.p, z, n) == 0;
}

/* The end of the head: "\r\n\r\n" (or bare "\n\n", tolerated). */
static size_t http_head_end(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

int http_parse_request(const uint8_t *p, size_t n, size_t max_head,
                       int64_t max_body, struct http_req *req)
{
    size_t         end = http_head_end(p, n < max_head ? n : max_head);
    const uint8_t *q, *e, *line_end;
    slice_t        conn;

    memset(req, 0, sizeof *req);
    req->content_length = -1;
    if (end == 0)
        return n >= max_head ? ERR_TOO_BIG : ERR_SHORT;
    q = p;
    e = p + end;
    /* method SP target SP HTTP/1.x CRLF */
    while (q < e && http_is_tchar(*q))
        q++;
    if (q == p || q >= e || *q != ' ')
        return ERR_MALFORMED;
    req->method = (slice_t){ p, (int32_t)(q - p) };
    q++;
    req->target.p = q;
    while (q < e && *q > 0x20 && *q < 0x7f)
        q++;
    if (q == req->target.p || q >= e || *q != ' ')
        return ERR_MALFORMED;
    req->target.n = (int32_t)(q - req->target.p);
    q++;
    if (e - q < 9 || memcmp(q, "HTTP/1.", 7) != 0 || !isdigit(q[7]))
        return ERR_MALFORMED;
    req->minor = q[7] - '0';
    q += 8;
    if (*q == '\r')
        q++;
    if (q >= e || *q != '\n')
        return ERR_MALFORMED;
    q++;
    req->path = req->target;
    req->query = (slice_t){ req->target.p + req->target.n, 0 };
    for (int32_t i = 0; i < req->target.n; i++)
        if (req->target.p[i] == '?') {
            req->path.n = i;
            req->query.p = req->target.p + i + 1;
            req->query.n = req->target.n - i - 1;
            break;
        }
    /* headers */
    while (q < e && *q != '\r' && *q != '\n') {
        struct http_header *h;
        const uint8_t      *v, *ve;

        if (req->nheaders == HTTP_MAX_HEADERS)
            return ERR_TOO_BIG;
        h = &req->headers[req->nheaders++];
        h->name.p = q;
        while (q < e && http_is_tchar(*q))
            q++;
        if (q == h->name.p || q >= e || *q != ':')
            return ERR_MALFORMED; /* also rejects obs-fold and blanks */
        h->name.n = (int32_t)(q - h->name.p);
        q++;
        line_end = memchr(q, '\n', (size_t)(e - q));
        if (line_end == NULL)
            return ERR_MALFORMED;
        v = q;
        ve = line_end;
        if (ve > v && ve[-1] == '\r')
            ve--;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const uint8_t *c = v; c < ve; c++)
            if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
                return ERR_MALFORMED;
        h->value = (slice_t){ v, (int32_t)(ve - v) };
        q = line_end + 1;
        if (http_slice_ieq(h->name, "Content-Length")) {
            int64_t cl = 0;

            if (h->value.n == 0 || h->value.n > 18 || req->content_length >= 0)
                return ERR_MALFORMED; /* duplicates are request smuggling */
            for (int32_t i = 0; i < h->value.n; i++) {
                if (!isdigit(h->value.p[i]))
                    return ERR_MALFORMED;
                cl = cl * 10 + (h->value.p[i] - '0');
            }
            if (cl > max_body)
                return ERR_TOO_BIG;
            req->content_length = cl;
        } else if (http_slice_ieq(h->name, "Transfer-Encoding")) {
            return ERR_MALFORMED;
        }
    }
    conn = http_header_get(req, "Connection");
    if (req->minor >= 1)
        req->keep_alive = !http_slice_ieq(conn, "close");
    else
        req->keep_alive = http_slice_ieq(conn, "keep-alive");
    req->head_len = end;
    return (int)end;
}

slice_t http_header_get(const struct http_req *req, const char *name)
{
    int i;

    for (i = 0; i < req->nheaders; i++)
        if (http_slice_ieq(req->headers[i].name, name))
            return req->headers[i].value;
    return (slice_t){ NULL, -1 };
}

static int http_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int http_unescape(slice_t s, bool plus_is_space, char *out, size_t outsz)
{
    size_t  o = 0;
    int32_t i;
    int     hi, lo;

    if (outsz == 0)
        return ERR_TOO_BIG;
    for (i = 0; i < s.n; i++) {
        char c = (char)s.p[i];

        if (c == '%') {
            if (i + 2 >= s.n)
                return ERR_MALFORMED;
            hi = http_hexval(s.p[i + 1]);
            lo = http_hexval(s.p[i + 2]);
            if (hi < 0 || lo < 0)
                return ERR_MALFORMED;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o + 1 >= outsz)
            return ERR_TOO_BIG;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
}

int http_query_get(slice_t query, const char *name, char *out, size_t outsz)
{
    size_t  nlen = strlen(name);
    int32_t i = 0, j, eq;

    while (i < query.n) {
        for (j = i; j < query.n && query.p[j] != '&'; j++)
            ;
        for (eq = i; eq < j && query.p[eq] != '='; eq++)
            ;
        if ((size_t)(eq - i) == nlen && memcmp(query.p + i, name, nlen) == 0) {
            slice_t v = { query.p + eq + (eq < j), j - eq - (eq < j) };

            return http_unescape(v, true, out, outsz);
        }
        i = j + 1;
    }
    return ERR_NOTFOUND;
}

const char *http_status_text(int status)
{
    static const struct {
        int         code;
        const char *text;
    } t[] = {
        { 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
        { 206, "Partial Content" }, { 301, "Moved Permanently" },
        { 304, "Not Modified" }, { 400, "Bad Request" },
        { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
        { 405, "Method Not Allowed" }, { 408, "Request Timeout" },
        { 409, "Conflict" }, { 413, "Content Too Large" },
        { 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
        { 431, "Request Header Fields Too Large" },
        { 500, "Internal Server Error" }, { 501, "Not Implemented" },
        { 503, "Service Unavailable" },
    };
    size_t i;

    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == status)
            return t[i].text;
    return "Unknown";
}

void http_response_head(buf_t *out, int status, const char *content_type,
                        int64_t content_length, bool keep_alive,
                        const char *extra)
{
    buf_printf(out, "HTTP/1.1 %d %s\r\nServer: odradek/%s\r\n", status,
               http_status_text(status), ODRADEK_VERSION);
    if (content_type != NULL)
        buf_printf(out, "Content-Type: %s\r\n", content_type);
    if (content_length >= 0)
        buf_printf(out, "Content-Length: %lld\r\n", (long long)content_length);
    if (!keep_alive)
        buf_puts(out, "Connection: close\r\n");
    if (extra != NULL)
        buf_puts(out, extra);
    buf_puts(out, "\r\n");
}

/* Length of a valid UTF-8 sequence at s[0, n), or 0 if it is not one
 * (overlongs, surrogates and code points above U+10FFFF are invalid). */
static size_t http_utf8_len(const uint8_t *s, size_t n)
{
    uint32_t cp;
    size_t   len, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

void http_json_escape(buf_t *out, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t            i = 0, k;

    while (i < n) {
        uint8_t c = s[i];

        switch (c) {
        case '"': buf_puts(out, "\\\""); i++; continue;
        case '\\': buf_puts(out, "\\\\"); i++; continue;
        case '\n': buf_puts(out, "\\n"); i++; continue;
        case '\r': buf_puts(out, "\\r"); i++; continue;
        case '\t': buf_puts(out, "\\t"); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            buf_puts(out, "\\u00");
            buf_put_u8(out, (uint8_t)hex[c >> 4]);
            buf_put_u8(out, (uint8_t)hex[c & 15]);
            i++;
        } else if ((k = http_utf8_len(s + i, n - i)) > 0) {
            buf_put(out, s + i, k);
            i += k;
        } else {
            buf_puts(out, "\\ufffd"); /* not UTF-8: keep the JSON valid */
            i++;
        }
    }
}
