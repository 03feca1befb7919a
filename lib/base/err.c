/* err: names for the error space declared in err.h.  Owns nothing else. */
#include "err.h"

#include <uv.h>

static const struct {
    int         code;
    const char *name;
    const char *text;
} err_table[] = {
    { ERR_SHORT, "ERR_SHORT", "input ended inside a field" },
    { ERR_MALFORMED, "ERR_MALFORMED", "malformed input" },
    { ERR_TOO_BIG, "ERR_TOO_BIG", "over a configured size limit" },
    { ERR_UNSUPPORTED, "ERR_UNSUPPORTED", "unsupported request or version" },
    { ERR_CONFIG, "ERR_CONFIG", "bad configuration" },
    { ERR_CORRUPT, "ERR_CORRUPT", "stored data is corrupt" },
    { ERR_NOTFOUND, "ERR_NOTFOUND", "not found" },
    { ERR_EXISTS, "ERR_EXISTS", "already exists" },
    { ERR_TIMEOUT, "ERR_TIMEOUT", "timed out" },
    { ERR_CLOSED, "ERR_CLOSED", "closed" },
    { ERR_STATE, "ERR_STATE", "not allowed in this state" },
    { ERR_LIMIT, "ERR_LIMIT", "over a count limit" },
};

#define ERR_N (sizeof err_table / sizeof err_table[0])

const char *err_str(int err)
{
    size_t i;

    if (err == 0)
        return "success";
    for (i = 0; i < ERR_N; i++)
        if (err_table[i].code == err)
            return err_table[i].text;
    if (err < 0 && err > -4096)
        return uv_strerror(err);
    return "unknown error";
}

const char *err_name(int err)
{
    size_t i;

    if (err == 0)
        return "OK";
    for (i = 0; i < ERR_N; i++)
        if (err_table[i].code == err)
            return err_table[i].name;
    if (err < 0 && err > -4096)
        return uv_err_name(err);
    return "EUNKNOWN";
}
