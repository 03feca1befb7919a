/* Fuzz the __consumer_offsets record decoders (kf_offsets): whatever the
 * bytes, no decoder reads out of bounds or allocates for a lying count,
 * decoded slices lie inside the input, and whatever decodes re-encodes to
 * the same bytes (the codec is exact, so Burrow and Kafka read what we
 * write).  The input is tried as a key, an offset-commit value and a
 * group-metadata value; Java's hashCode runs over it too. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "kf_offsets.h"

static void check_in(slice_t s, const uint8_t *data, size_t size)
{
    if (s.n > 0)
        FUZZ_CHECK(s.p >= data && s.p + s.n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kf_offsets_key    k;
    struct kf_offsets_commit c;
    struct kf_offsets_group  g;
    arena_t                  a;
    buf_t                    b = BUF_INIT;
    int32_t                  i;

    if (kf_offsets_key_get(data, size, &k) == 0) {
        check_in(k.group, data, size);
        check_in(k.topic, data, size);
        if (k.version == 2)
            kf_offsets_key_group_put(&b, k.group);
        else
            kf_offsets_key_commit_put(&b, k.version, k.group, k.topic,
                                      k.partition);
        FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    }
    buf_reset(&b);
    if (kf_offsets_commit_get(data, size, &c) == 0) {
        check_in(c.metadata, data, size);
        FUZZ_CHECK(kf_offsets_commit_put(&b, &c) == 0);
        FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    }
    buf_reset(&b);
    arena_init(&a);
    if (kf_offsets_group_get(data, size, &a, &g) == 0) {
        FUZZ_CHECK((size_t)g.nmembers <= size);
        for (i = 0; i < g.nmembers; i++) {
            check_in(g.members[i].member_id, data, size);
            check_in(g.members[i].subscription, data, size);
            check_in(g.members[i].assignment, data, size);
        }
        FUZZ_CHECK(kf_offsets_group_put(&b, &g) == 0);
        FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    }
    FUZZ_CHECK(a.total <= 64 + size * 8);
    arena_free(&a);
    buf_free(&b);
    (void)kf_offsets_java_hash(data, size);
    (void)kf_offsets_subscribes(data, size, "t");
    return 0;
}
