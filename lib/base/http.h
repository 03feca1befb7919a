/* http: a bounded, allocation-free HTTP/1.1 request parser (one function,
 * in the spirit of picohttpparser) and helpers to write responses.
 *
 * It owns only parsing and formatting; serving (routes, the listener on
 * conn.h raw mode, auth) belongs to the program.  All slices borrow from
 * the input buffer.  Limits are enforced before anything is trusted: the
 * head (request line + headers) must fit in max_head bytes, at most
 * HTTP_MAX_HEADERS headers, Content-Length at most max_body. */
#ifndef ODRADEK_HTTP_H
#define ODRADEK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"

#define HTTP_MAX_HEADERS 64

struct http_header {
    slice_t name;
    slice_t value; /* leading/trailing blanks removed */
};

struct http_req {
    slice_t            method;
    slice_t            target;  /* as sent: path + optional ?query */
    slice_t            path;    /* target up to '?' */
    slice_t            query;   /* after '?', n = 0 if none */
    int                minor;   /* HTTP/1.<minor> */
    struct http_header headers[HTTP_MAX_HEADERS];
    int                nheaders;
    int64_t            content_length; /* -1 if absent */
    bool               keep_alive;     /* per version and Connection */
    size_t             head_len;       /* bytes of request line + headers */
};

/* Parse the head of one request from p[0, n).  Returns head_len (> 0) when
 * the head is complete, ERR_SHORT if more bytes are needed (and n <
 * max_head), ERR_TOO_BIG if the head is over max_head or the declared body
 * over max_body, ERR_MALFORMED for anything else that is not HTTP/1.x
 * (including Transfer-Encoding in requests, which we do not accept).  The
 * body, if any, is the content_length bytes after head_len. */
int http_parse_request(const uint8_t *p, size_t n, size_t max_head,
                       int64_t max_body, struct http_req *req);

/* Case-insensitive header lookup; NULL slice (n = -1) if absent. */
slice_t http_header_get(const struct http_req *req, const char *name);

/* Decode %XX and '+' (in query values) from s into out (NUL-terminated,
 * at most outsz-1 bytes).  Returns the length or ERR_MALFORMED. */
int http_unescape(slice_t s, bool plus_is_space, char *out, size_t outsz);

/* Finds query parameter name in a query string; decoded into out.
 * Returns the length, ERR_NOTFOUND, or ERR_MALFORMED. */
int http_query_get(slice_t query, const char *name, char *out, size_t outsz);

/* Start a response: status line and the headers every response gets
 * (Date is omitted; Server, Content-Type, and the extra header lines given
 * in extra, each ending in \r\n).  Returns the offset of the
 * Content-Length digits to patch with http_response_end, or use
 * content_length >= 0 to write it now. */
void http_response_head(buf_t *out, int status, const char *content_type,
                        int64_t content_length, bool keep_alive,
                        const char *extra);
const char *http_status_text(int status);

/* Append s JSON-escaped (without quotes).  Any bytes are accepted: control
 * characters become \u00XX and bytes that are not valid UTF-8 become
 * \ufffd, so the output is always a valid JSON string body. */
void http_json_escape(buf_t *out, const uint8_t *s, size_t n);

#endif
