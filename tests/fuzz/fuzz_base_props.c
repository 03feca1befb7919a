/* Fuzz the .properties parser: any bytes parse or fail with ERR_MALFORMED,
 * never crash; every key and value it reports is within its stated length
 * and NUL-terminated; line numbers only grow. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "props.h"

static int check(void *ud, const struct props_entry *e)
{
    int *last = ud;

    FUZZ_CHECK(e->key[e->key_len] == '\0');
    FUZZ_CHECK(e->value[e->value_len] == '\0');
    FUZZ_CHECK(e->line >= *last);
    *last = e->line;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int last = 1, line = 0, rc;

    rc = props_parse((const char *)data, size, check, &last, &line);
    FUZZ_CHECK(rc == 0 || rc == ERR_MALFORMED);
    return 0;
}
