/* Fuzz the INI wrapper over inih: any bytes parse or fail cleanly, line
 * numbers stay within the input. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "ini.h"

static int check(void *ud, const char *section, const char *key,
                 const char *value, int line)
{
    size_t *size = ud;

    FUZZ_CHECK(section && key && value);
    FUZZ_CHECK(line >= 1 && (size_t)line <= *size + 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int line = 0;

    (void)ini_load_string((const char *)data, size, check, &size, &line);
    return 0;
}
