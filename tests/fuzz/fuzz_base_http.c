/* Fuzz the HTTP request-head parser: any bytes give a head length within
 * the input, or an error; every slice lies inside the input. */
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "fuzz_check.h"
#include "http.h"

static void in_input(slice_t s, const uint8_t *d, size_t n)
{
    if (s.n > 0)
        FUZZ_CHECK(s.p >= d && s.p + s.n <= d + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_req r;
    int             rc = http_parse_request(data, size, 8192, 1 << 20, &r);
    char            out[256];
    buf_t           b = BUF_INIT;

    if (rc > 0) {
        FUZZ_CHECK((size_t)rc <= size && (size_t)rc == r.head_len);
        in_input(r.method, data, size);
        in_input(r.target, data, size);
        in_input(r.query, data, size);
        for (int i = 0; i < r.nheaders; i++) {
            in_input(r.headers[i].name, data, size);
            in_input(r.headers[i].value, data, size);
        }
        (void)http_query_get(r.query, "q", out, sizeof out);
    } else {
        FUZZ_CHECK(rc == ERR_SHORT || rc == ERR_MALFORMED || rc == ERR_TOO_BIG);
    }
    http_json_escape(&b, data, size);
    buf_free(&b);
    return 0;
}
