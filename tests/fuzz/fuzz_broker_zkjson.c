/* Fuzz kf_zkjson (znode data from the coordination service is input the
 * broker does not control): every reader on any bytes, slices stay inside
 * the input, nothing crashes or recurses without bound. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "kf_zkjson.h"

static const uint8_t *lo, *hi;

static int each_cb(void *arg, const char *key, slice_t val)
{
    char    s[128];
    int64_t x;
    int32_t n;

    (void)arg;
    FUZZ_CHECK(strlen(key) < 256);
    FUZZ_CHECK(val.n >= 0 && val.p >= lo && val.p + val.n <= hi);
    (void)kf_zkjson_int(val, &x);
    (void)kf_zkjson_str(val, s, sizeof s);
    (void)kf_zkjson_array_len(val, &n);
    (void)kf_zkjson_each(val, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"version",  "partitions", "id",
                                       "brokerid", "config",     "entity_path"};
    slice_t all = {data, (int32_t)(size > INT32_MAX ? INT32_MAX : size)};
    slice_t v;
    size_t  i;

    lo = data;
    hi = data + size;
    (void)kf_zkjson_each(all, each_cb, NULL);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (kf_zkjson_member(data, size, keys[i], &v) == 0)
            each_cb(NULL, keys[i], v);
    return 0;
}
