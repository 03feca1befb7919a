/* crc32c: both paths against published vectors (RFC 3720 B.4, the
 * "123456789" check value) and against each other at every alignment. */
#include "cmocka_all.h"

#include <string.h>

#include "crc32c.h"

static const struct {
    const char *name;
    uint8_t     data[48];
    size_t      len;
    uint32_t    want;
} vectors[] = {
    { "empty", { 0 }, 0, 0x00000000 },
    { "check 123456789", { '1', '2', '3', '4', '5', '6', '7', '8', '9' }, 9,
      0xE3069283 },
    { "32 zeros (RFC 3720)", { 0 }, 32, 0x8A9136AA },
    { "32 x 0xff (RFC 3720)",
      { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
      32, 0x62A8AB43 },
    { "0..31 (RFC 3720)",
      { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 },
      32, 0x46DD794E },
    { "31..0 (RFC 3720)",
      { 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
        15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0 },
      32, 0x113FDB5C },
    { "iSCSI read PDU (RFC 3720)",
      { 0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
      48, 0xD9963A56 },
};

static void test_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(vectors); i++) {
        print_message("case: %s\n", vectors[i].name);
        assert_int_equal(crc32c_sw(0, vectors[i].data, vectors[i].len),
                         vectors[i].want);
        assert_int_equal(crc32c(0, vectors[i].data, vectors[i].len),
                         vectors[i].want);
        if (crc32c_hw_available())
            assert_int_equal(crc32c_hw(0, vectors[i].data, vectors[i].len),
                             vectors[i].want);
    }
}

static void test_paths_agree_and_chain(void **state)
{
    static uint8_t buf[4096 + 16];
    size_t         off, len, i;
    uint32_t       a, b;

    (void)state;
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (off = 0; off < 16; off++)
        for (len = 0; len < 300; len += 7) {
            a = crc32c_sw(0, buf + off, len);
            b = crc32c(0, buf + off, len);
            assert_int_equal(a, b);
            /* feeding in two chunks gives the same result */
            b = crc32c(crc32c(0, buf + off, len / 3), buf + off + len / 3,
                       len - len / 3);
            assert_int_equal(a, b);
        }
    print_message("hardware path: %s\n", crc32c_hw_available() ? "yes" : "no");
}

/* Lengths around the three-stream blocks (3 x 512, 3 x 4096), odd
 * offsets, chained calls: the hardware path equals slice-by-8. */
static void test_streams_agree(void **state)
{
    static uint8_t buf[3 * 4096 * 3 + 64];
    static const size_t lens[] = { 1535, 1536, 1537, 1543, 3072, 4600, 12287, 12288,
                                   12289, 12295, 13824, 24576, 30000, 36863 };
    size_t   i, k, off;
    uint32_t x = 12345;

    (void)state;
    for (i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++)
        for (off = 0; off < 9; off += 4) {
            uint32_t a = crc32c_sw(0x1234u, buf + off, lens[k]);

            assert_int_equal(crc32c(0x1234u, buf + off, lens[k]), a);
            assert_int_equal(crc32c(crc32c(0x1234u, buf + off, 100), buf + off + 100,
                                    lens[k] - 100),
                             a);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_paths_agree_and_chain),
        cmocka_unit_test(test_streams_agree),
    };

    return cmocka_run_group_tests_name("crc32c", tests, NULL, NULL);
}
