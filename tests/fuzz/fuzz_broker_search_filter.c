/* Fuzz the UI search's query parser and matcher (kf_http_stream_filter):
 * a query is whatever a browser sends.  Byte 0 picks the mode and the
 * fields searched; the rest is the query.  Parsing never crashes, fails
 * with a message, and a parsed filter matches records (fixed ones and one
 * made of the input) without reading outside them. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "kf_http_stream_filter.h"

/* headers: "trace" = "t7", "special" = "yes" (varint lengths, zigzag) */
static const uint8_t hdrs[] = {10,  't', 'r', 'a', 'c', 'e', 4,
                               't', '7', 14,  's', 'p', 'e', 'c',
                               'i', 'a', 'l', 6,   'y', 'e', 's'};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kf_http_filter_t             *f = NULL;
    char                          err[256];
    struct kf_http_filter_scratch scratch;
    struct kf_http_filter_rec     r[3];
    enum kf_http_filter_mode      mode;
    int                           rc, i;

    if (size < 1 || size > KF_HTTP_FILTER_MAX_QUERY + 2)
        return 0;
    mode = (enum kf_http_filter_mode)(data[0] % 3);
    err[0] = '\0';
    rc = kf_http_stream_filter_parse((const char *)data + 1, size - 1, mode,
                                     (data[0] >> 2) & 7, &f, err, sizeof err);
    if (rc < 0) {
        FUZZ_CHECK(f == NULL && err[0] != '\0' &&
                   memchr(err, '\0', sizeof err) != NULL);
        return 0;
    }
    FUZZ_CHECK(rc == 0 && f != NULL);
    memset(r, 0, sizeof r);
    memset(&scratch, 0, sizeof scratch);
    r[0].offset = 7;
    r[0].timestamp = 1700000000000;
    r[0].key = (slice_t){(const uint8_t *)"k7", 2};
    r[0].value = (slice_t){
        (const uint8_t *)"{\"n\": 7, \"c\": [\"red\", 1.5, true, null]}", 39};
    r[0].nheaders = 2;
    r[0].headers = hdrs;
    r[0].headers_len = sizeof hdrs;
    r[1].offset = -1;
    r[1].key = (slice_t){NULL, -1}; /* null key and value */
    r[1].value = (slice_t){NULL, -1};
    r[1].nheaders = 3; /* one more than there are: the reader stops */
    r[1].headers = hdrs;
    r[1].headers_len = sizeof hdrs;
    r[2].offset = INT64_MAX;
    r[2].partition = 3;
    r[2].key = (slice_t){data, (int32_t)(size / 2)};
    r[2].value = (slice_t){data + size / 2, (int32_t)(size - size / 2)};
    r[2].nheaders = 1;
    r[2].headers = data;
    r[2].headers_len = size;
    for (i = 0; i < 3; i++)
        (void)kf_http_stream_filter_match(f, &r[i], &scratch);
    kf_http_stream_filter_free(f);
    kf_http_stream_filter_scratch_free(&scratch);
    return 0;
}
