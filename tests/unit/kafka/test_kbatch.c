/* kbatch, klegacy, kcompress: v2 batches validated with hostile rows
 * (length, magic, CRC, counts, record framing), the base offset and leader
 * epoch rewritten without breaking the CRC, legacy v0/v1 message sets
 * (plain and compressed wrappers: gzip, snappy raw and xerial, lz4)
 * converted in and down-converted out, and every codec round-tripping
 * with bounded decompression. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kbatch.h"
#include "kcompress.h"
#include "klegacy.h"

static void build(buf_t *b, int n, int16_t attrs)
{
    struct kbatch_builder k;
    int                   i;

    kbatch_build_begin(&k, b, 0, 1700000000000LL, attrs, -1, -1, -1);
    for (i = 0; i < n; i++) {
        char key[16], val[32];

        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        kbatch_build_add(&k, 1700000000000LL + i,
                         (slice_t){(const uint8_t *)key, (int32_t)strlen(key)},
                         (slice_t){(const uint8_t *)val, (int32_t)strlen(val)},
                         NULL, 0, 0);
    }
    kbatch_build_end(&k);
}

static void test_valid_batch(void **state)
{
    buf_t             b = BUF_INIT;
    struct kbatch_hdr h;

    (void)state;
    build(&b, 5, 0);
    assert_int_equal(kbatch_validate(b.data, b.len, &h), KBATCH_OK);
    assert_int_equal(h.count, 5);
    assert_int_equal(h.last_offset_delta, 4);
    assert_int_equal(h.max_timestamp, 1700000000004LL);
    /* rewriting the fields outside the CRC keeps it valid */
    kbatch_set_base_offset(b.data, 123456789012LL);
    kbatch_set_leader_epoch(b.data, 7);
    assert_int_equal(kbatch_validate(b.data, b.len, &h), KBATCH_OK);
    assert_int_equal(h.base_offset, 123456789012LL);
    assert_int_equal(h.leader_epoch, 7);
    buf_free(&b);
}

/* One hostile change per row, applied to a valid 3-record batch. */
static void test_hostile_batches(void **state)
{
    static const struct {
        const char *name;
        size_t      at; /* byte to change */
        uint8_t     val;
        int         fix_crc;
        int         want;
    } rows[] = {
        {"crc flipped", 17, 0xff, 0, KBATCH_BAD_CRC},
        {"payload flipped", 70, 0x5a, 0, KBATCH_BAD_CRC},
        {"magic 1", 16, 3, 0, KBATCH_BAD_MAGIC}, /* 2 ^ 3 */
        {"length too big", 11, 0xff, 0, KBATCH_BAD_LENGTH},
        {"count 4 (> last delta + 1)", 60, 4, 1, KBATCH_BAD_COUNT},
        {"count 0", 60, 0, 1, KBATCH_BAD_COUNT},
        {"last offset delta 5", 26, 5, 1, KBATCH_BAD_COUNT},
        {"codec 7", 22, 7, 1, KBATCH_BAD_CODEC},
        /* record 0's length varint (at 61) claims more than it has */
        {"record length lies", 61, 0x7e, 1, KBATCH_BAD_RECORDS},
        /* record 0's offset delta (at 64: len, attr, tsdelta) != 0 */
        {"offset delta 1", 64, 2, 1, KBATCH_BAD_RECORDS},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        buf_t             b = BUF_INIT;
        struct kbatch_hdr h;

        build(&b, 3, 0);
        print_message("row: %s\n", rows[i].name);
        if (rows[i].fix_crc) /* set the field, then make the CRC right */
            b.data[rows[i].at] = rows[i].val;
        else /* flip bits, CRC left as it was */
            b.data[rows[i].at] ^= rows[i].val;
        if (rows[i].fix_crc) {
            uint32_t c = kbatch_crc(b.data, b.len);

            b.data[17] = (uint8_t)(c >> 24);
            b.data[18] = (uint8_t)(c >> 16);
            b.data[19] = (uint8_t)(c >> 8);
            b.data[20] = (uint8_t)c;
        }
        assert_int_equal(kbatch_validate(b.data, b.len, &h), rows[i].want);
        buf_free(&b);
    }
}

static void test_truncated_and_split(void **state)
{
    buf_t          b = BUF_INIT;
    size_t         one, cut;
    rd_t           r;
    const uint8_t *p;
    size_t         n;

    (void)state;
    build(&b, 2, 0);
    one = b.len;
    build(&b, 4, 0);
    r = rd_init(b.data, b.len);
    assert_int_equal(kbatch_next(&r, &p, &n), 1);
    assert_int_equal(n, one);
    assert_int_equal(kbatch_next(&r, &p, &n), 1);
    assert_int_equal(n, b.len - one);
    assert_int_equal(kbatch_next(&r, &p, &n), 0);
    /* every truncation of the second batch is seen as a partial batch */
    for (cut = one + 1; cut < b.len; cut++) {
        struct kbatch_hdr h;

        r = rd_init(b.data, cut);
        assert_int_equal(kbatch_next(&r, &p, &n), 1);
        assert_true(kbatch_next(&r, &p, &n) < 0);
        assert_true(kbatch_validate(b.data + one, cut - one, &h) != KBATCH_OK);
    }
    buf_free(&b);
}

static void test_codecs_round_trip(void **state)
{
    uint8_t in[50000];
    int     codec;
    size_t  i;

    (void)state;
    for (i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i % 251 < 100 ? 'a' : i);
    for (codec = 1; codec <= 4; codec++) {
        buf_t z = BUF_INIT, out = BUF_INIT;

        assert_int_equal(kcompress_compress(codec, in, sizeof in, &z), 0);
        assert_int_equal(
            kcompress_decompress(codec, z.data, z.len, &out, 1 << 20), 0);
        assert_int_equal(out.len, sizeof in);
        assert_memory_equal(out.data, in, sizeof in);
        /* bounded: a cap below the real size is ERR_TOO_BIG */
        buf_reset(&out);
        assert_int_equal(kcompress_decompress(codec, z.data, z.len, &out, 1000),
                         ERR_TOO_BIG);
        /* garbage is refused */
        buf_reset(&out);
        z.data[z.len / 2] ^= 0xff;
        z.data[0] ^= 0x55;
        assert_true(
            kcompress_decompress(codec, z.data, z.len, &out, 1 << 20) < 0 ||
            out.len != sizeof in || memcmp(out.data, in, sizeof in) != 0);
        buf_free(&z);
        buf_free(&out);
    }
    { /* xerial-framed snappy, as kafka-python writes it */
        buf_t z = BUF_INIT, out = BUF_INIT;

        assert_int_equal(kcompress_snappy_xerial(in, sizeof in, &z), 0);
        assert_int_equal(z.data[0], 0x82);
        assert_int_equal(kcompress_decompress(2, z.data, z.len, &out, 1 << 20),
                         0);
        assert_memory_equal(out.data, in, sizeof in);
        buf_free(&z);
        buf_free(&out);
    }
    assert_int_equal(kcompress_decompress(9, in, 10, NULL, 10),
                     ERR_UNSUPPORTED);
}

static void legacy_set(buf_t *b, int magic, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        char v[16];

        snprintf(v, sizeof v, "m%d", i);
        klegacy_put_message(b, magic, i, 0, 1700000000000LL + i,
                            i % 2 ? (const uint8_t *)"k" : NULL, 1,
                            (const uint8_t *)v, (int32_t)strlen(v));
    }
}

static void check_converted(const buf_t *v2, int n, bool ts)
{
    struct kbatch_hdr h;
    rd_t              r;
    int               i;

    assert_int_equal(kbatch_validate(v2->data, v2->len, &h), KBATCH_OK);
    assert_int_equal(h.count, n);
    r = rd_init(v2->data + KBATCH_HEADER_SIZE, v2->len - KBATCH_HEADER_SIZE);
    for (i = 0; i < n; i++) {
        struct krecord rec;
        char           v[16];

        assert_int_equal(krecord_read(&r, &rec), 0);
        snprintf(v, sizeof v, "m%d", i);
        assert_true(slice_eq(rec.value, v));
        assert_int_equal(rec.key.n, i % 2 ? 1 : -1);
        if (ts)
            assert_int_equal(h.base_timestamp + rec.timestamp_delta,
                             1700000000000LL + i);
    }
}

static void test_legacy_in(void **state)
{
    int magic;

    (void)state;
    for (magic = 0; magic <= 1; magic++) {
        buf_t set = BUF_INIT, v2 = BUF_INIT;

        legacy_set(&set, magic, 4);
        assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2), 4);
        check_converted(&v2, 4, magic == 1);
        /* a flipped payload byte fails the message CRC-32 */
        buf_reset(&v2);
        set.data[set.len - 1] ^= 1;
        assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2),
                         ERR_CORRUPT);
        assert_int_equal(v2.len, 0);
        buf_free(&set);
        buf_free(&v2);
    }
}

static void test_legacy_compressed_wrappers(void **state)
{
    int codec;

    (void)state;
    for (codec = 1; codec <= 4; codec++) {
        buf_t inner = BUF_INIT, z = BUF_INIT, set = BUF_INIT, v2 = BUF_INIT;
        int   want = codec == 4 ? ERR_UNSUPPORTED : 6;

        legacy_set(&inner, 1, 6);
        if (codec == 2)
            kcompress_snappy_xerial(inner.data, inner.len, &z);
        else
            kcompress_compress(codec, inner.data, inner.len, &z);
        klegacy_put_message(&set, 1, 5, (int8_t)codec, 1700000000000LL, NULL, 0,
                            z.data, (int32_t)z.len);
        assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2), want);
        if (want > 0)
            check_converted(&v2, 6, true);
        buf_free(&inner);
        buf_free(&z);
        buf_free(&set);
        buf_free(&v2);
    }
}

static void test_legacy_hostile(void **state)
{
    buf_t   set = BUF_INIT, v2 = BUF_INIT, inner = BUF_INIT, z = BUF_INIT;
    uint8_t junk[40];

    (void)state;
    memset(junk, 0xff, sizeof junk);
    assert_true(klegacy_to_v2(junk, sizeof junk, 1 << 20, &v2) < 0);
    assert_true(klegacy_to_v2(junk, 0, 1 << 20, &v2) < 0); /* empty */
    /* mixed magic */
    klegacy_put_message(&set, 0, 0, 0, -1, NULL, 0, (const uint8_t *)"a", 1);
    klegacy_put_message(&set, 1, 1, 0, 5, NULL, 0, (const uint8_t *)"b", 1);
    assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2),
                     ERR_MALFORMED);
    /* nested compression */
    buf_reset(&set);
    legacy_set(&inner, 1, 2);
    kcompress_compress(1, inner.data, inner.len, &z);
    klegacy_put_message(&set, 1, 0, 1, 0, NULL, 0, z.data, (int32_t)z.len);
    buf_reset(&z);
    kcompress_compress(1, set.data, set.len, &z);
    buf_reset(&set);
    klegacy_put_message(&set, 1, 0, 1, 0, NULL, 0, z.data, (int32_t)z.len);
    assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2),
                     ERR_MALFORMED);
    /* a decompression bomb is bounded */
    {
        uint8_t *zeros = calloc(1, 4 << 20);

        buf_reset(&inner);
        klegacy_put_message(&inner, 1, 0, 0, 0, NULL, 0, zeros, 4 << 20);
        buf_reset(&z);
        kcompress_compress(1, inner.data, inner.len, &z);
        buf_reset(&set);
        klegacy_put_message(&set, 1, 0, 1, 0, NULL, 0, z.data, (int32_t)z.len);
        assert_int_equal(klegacy_to_v2(set.data, set.len, 1 << 20, &v2),
                         ERR_TOO_BIG);
        free(zeros);
    }
    buf_free(&set);
    buf_free(&v2);
    buf_free(&inner);
    buf_free(&z);
}

static void test_down_convert(void **state)
{
    int magic, codec;

    (void)state;
    for (codec = 0; codec <= 4; codec++)
        for (magic = 0; magic <= 1; magic++) {
            buf_t plain = BUF_INIT, batch = BUF_INIT, out = BUF_INIT,
                  back = BUF_INIT;
            int rc;

            build(&plain, 5, 0);
            kbatch_set_base_offset(plain.data, 100);
            if (codec == 0) {
                buf_put(&batch, plain.data, plain.len);
            } else {
                /* the same records, compressed, in a batch of their own */
                buf_t    z = BUF_INIT;
                uint32_t c;

                kcompress_compress(codec, plain.data + KBATCH_HEADER_SIZE,
                                   plain.len - KBATCH_HEADER_SIZE, &z);
                buf_put(&batch, plain.data, KBATCH_HEADER_SIZE);
                buf_put(&batch, z.data, z.len);
                batch.data[22] = (uint8_t)codec;
                buf_set_i32(&batch, 8, (int32_t)(batch.len - 12));
                c = kbatch_crc(batch.data, batch.len);
                buf_set_i32(&batch, 17, (int32_t)c);
                buf_free(&z);
            }
            /* a trailing partial batch is ignored, as in a fetch */
            buf_put(&batch, plain.data, 30);
            rc = klegacy_from_v2(batch.data, batch.len, magic, 102, 1 << 20,
                                 &out);
            if (codec == 4) {
                assert_int_equal(rc, ERR_UNSUPPORTED);
            } else {
                assert_int_equal(rc, 0);
                /* offsets 102..104 as magic-N messages, which convert back */
                assert_int_equal(
                    klegacy_to_v2(out.data, out.len, 1 << 20, &back), 3);
                assert_int_equal(out.data[16], magic);
                assert_int_equal(out.data[7], 102);
            }
            buf_free(&plain);
            buf_free(&batch);
            buf_free(&out);
            buf_free(&back);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_batch),
        cmocka_unit_test(test_hostile_batches),
        cmocka_unit_test(test_truncated_and_split),
        cmocka_unit_test(test_codecs_round_trip),
        cmocka_unit_test(test_legacy_in),
        cmocka_unit_test(test_legacy_compressed_wrappers),
        cmocka_unit_test(test_legacy_hostile),
        cmocka_unit_test(test_down_convert),
    };

    return cmocka_run_group_tests_name("kbatch", tests, NULL, NULL);
}
