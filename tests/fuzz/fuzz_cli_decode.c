/* Fuzz the bytes the CLI reads from peers outside the codec: the
 * consumer protocol's subscription and assignment (written by other group
 * members, relayed by the coordinator), a /brokers/ids/<id> JSON from
 * ZooKeeper, and the range assignor fed with members derived from the
 * input.  Invariants: nothing crashes, assigned partitions are in range,
 * and the assignor's output parses back into a partition of the topic. */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice_t  in = { data, (int32_t)(size > 1 << 20 ? 1 << 20 : size) };
    int32_t *parts, nparts = size > 0 ? data[0] % 64 : 0;
    int      n, total = 0;
    char    *json;
    buf_t    out = BUF_INIT;

    (void)cli_consume_subscribes(in, "t");
    if (cli_consume_assignment_parts(in, "t", nparts, &parts, &n) == 0) {
        for (int i = 0; i < n; i++)
            FUZZ_CHECK(parts[i] >= 0 && parts[i] < nparts);
        free(parts);
    }
    json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = '\0';
    if (cli_kafka_zk_broker_addr(json, &out))
        FUZZ_CHECK(out.len > 0);
    buf_free(&out);
    free(json);

    /* members: ids are 2-byte chunks of the input, every odd one subscribed */
    {
        struct cli_gmember m[16];
        int                nm = (int)(size / 2 < 16 ? size / 2 : 16);

        memset(m, 0, sizeof m);
        for (int i = 0; i < nm; i++) {
            m[i].id.p = data + 2 * i;
            m[i].id.n = 2;
            m[i].subscribed = (data[2 * i] & 1) != 0;
        }
        cli_consume_range(m, nm, "t", nparts);
        for (int i = 0; i < nm; i++) {
            slice_t as = { m[i].assignment.data, (int32_t)m[i].assignment.len };

            FUZZ_CHECK(cli_consume_assignment_parts(as, "t", nparts, &parts, &n) == 0);
            FUZZ_CHECK(m[i].subscribed || n == 0);
            total += n;
            free(parts);
            buf_free(&m[i].assignment);
        }
        for (int i = 0; i < nm; i++)
            if (m[i].subscribed) {
                FUZZ_CHECK(total == nparts);
                break;
            }
    }
    return 0;
}
