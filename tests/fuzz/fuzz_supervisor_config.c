/* Fuzz the supervisor's config loader: any bytes load or fail with a
 * "file:line: key: reason" message, and a loaded config is consistent
 * (commands present, requires resolvable, names valid, no cycle). */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "sv_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sv_conf c;
    char           err[512];
    int            rc;

    rc = sv_conf_load_string(&c, "/fuzz/odradek.conf", (const char *)data, size,
                             false, err, sizeof err);
    if (rc < 0) {
        FUZZ_CHECK(rc == ERR_CONFIG);
        FUZZ_CHECK(strncmp(err, "/fuzz/odradek.conf:", 19) == 0);
        FUZZ_CHECK(c.nprogs == 0 && c.path == NULL);
        return 0;
    }
    FUZZ_CHECK(c.nprogs >= 0 && c.nprogs <= SV_MAX_PROGS);
    for (int i = 0; i < c.nprogs; i++) {
        const struct sv_prog_conf *p = &c.progs[i];
        struct sv_prog_conf        copy;

        FUZZ_CHECK(p->argv != NULL && p->argv[0] != NULL);
        FUZZ_CHECK(strlen(p->name) > 0 && strlen(p->name) < SV_NAME_MAX);
        FUZZ_CHECK(p->backoff_cap_ms >= p->backoff_base_ms);
        FUZZ_CHECK(p->fingerprint != NULL);
        for (int r = 0; r < p->nrequires; r++)
            FUZZ_CHECK(sv_conf_find(&c, p->requires[r]) != NULL &&
                       strcmp(p->requires[r], p->name) != 0);
        sv_conf_prog_copy(&copy, p);
        FUZZ_CHECK(strcmp(copy.fingerprint, p->fingerprint) == 0);
        sv_conf_prog_free(&copy);
    }
    sv_conf_free(&c);
    return 0;
}
