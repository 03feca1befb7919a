/* crc32c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 * Portable path: slice-by-8 tables built once.  Hardware path: the SSE4.2
 * crc32 instruction, 8 bytes at a time; buffers of 1.5 KiB and more run
 * three independent streams over consecutive blocks (the instruction's
 * latency is 3 cycles, its throughput 1 per cycle) and join them with a
 * table-driven "append L zero bytes" shift: crc(A B C) = shift(shift(a) ^
 * b) ^ c for blocks of L bytes, b and c started from 0.  crc32c() picks
 * once. */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82F63B78u

static uint32_t        crc32c_table[8][256];
static pthread_once_t  crc32c_once = PTHREAD_ONCE_INIT;
static int             crc32c_have_hw;

#if defined(__x86_64__)
#define CRC32C_LONG  4096 /* bytes per stream, big buffers */
#define CRC32C_SHORT 512  /* bytes per stream, from 1.5 KiB */
/* shift tables: the raw CRC state after L zero bytes, byte by byte */
static uint32_t crc32c_shift_long[4][256], crc32c_shift_short[4][256];

__attribute__((target("sse4.2"))) static uint32_t crc32c_zeros(uint32_t c, size_t n)
{
    uint64_t s = c;

    for (; n >= 8; n -= 8)
        s = __builtin_ia32_crc32di(s, 0);
    return (uint32_t)s;
}

static void crc32c_shift_init(uint32_t t[4][256], size_t len)
{
    int k, i;

    for (k = 0; k < 4; k++)
        for (i = 0; i < 256; i++)
            t[k][i] = crc32c_zeros((uint32_t)i << (8 * k), len);
}

static inline uint32_t crc32c_shift(const uint32_t t[4][256], uint32_t c)
{
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^
           t[3][c >> 24];
}
#endif

static void crc32c_init(void)
{
    uint32_t c;
    int      i, j, k;

    for (i = 0; i < 256; i++) {
        c = (uint32_t)i;
        for (j = 0; j < 8; j++)
            c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
        crc32c_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (k = 1; k < 8; k++)
            crc32c_table[k][i] = (crc32c_table[k - 1][i] >> 8) ^
                                 crc32c_table[0][crc32c_table[k - 1][i] & 0xff];
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    crc32c_have_hw = __builtin_cpu_supports("sse4.2");
#endif
#if defined(__x86_64__)
    if (crc32c_have_hw) {
        crc32c_shift_init(crc32c_shift_long, CRC32C_LONG);
        crc32c_shift_init(crc32c_shift_short, CRC32C_SHORT);
    }
#endif
}

int crc32c_hw_available(void)
{
    pthread_once(&crc32c_once, crc32c_init);
    return crc32c_have_hw;
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint64_t       w;

    pthread_once(&crc32c_once, crc32c_init);
    crc = ~crc;
    while (n >= 8) {
        memcpy(&w, p, 8);
        w ^= crc; /* little-endian hosts */
        crc = crc32c_table[7][w & 0xff] ^ crc32c_table[6][(w >> 8) & 0xff] ^
              crc32c_table[5][(w >> 16) & 0xff] ^
              crc32c_table[4][(w >> 24) & 0xff] ^
              crc32c_table[3][(w >> 32) & 0xff] ^
              crc32c_table[2][(w >> 40) & 0xff] ^
              crc32c_table[1][(w >> 48) & 0xff] ^ crc32c_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#if defined(__x86_64__)
/* Whole groups of three blocks of len bytes from *p: three streams. */
__attribute__((target("sse4.2"))) static uint64_t
crc32c_hw_streams(uint64_t c, const uint8_t **pp, size_t *np, size_t len,
                  const uint32_t t[4][256])
{
    const uint8_t *p = *pp;
    size_t         n = *np, i;
    uint64_t       a, b, d, w0, w1, w2;

    while (n >= 3 * len) {
        a = c;
        b = d = 0;
        for (i = 0; i < len; i += 8) {
            memcpy(&w0, p + i, 8);
            memcpy(&w1, p + len + i, 8);
            memcpy(&w2, p + 2 * len + i, 8);
            a = __builtin_ia32_crc32di(a, w0);
            b = __builtin_ia32_crc32di(b, w1);
            d = __builtin_ia32_crc32di(d, w2);
        }
        c = crc32c_shift(t, crc32c_shift(t, (uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)d;
        p += 3 * len;
        n -= 3 * len;
    }
    *pp = p;
    *np = n;
    return c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc,
                                                       const void *buf,
                                                       size_t      n)
{
    const uint8_t *p = buf;
    uint64_t       c = ~crc, w;

    pthread_once(&crc32c_once, crc32c_init); /* the shift tables */
    c = crc32c_hw_streams(c, &p, &n, CRC32C_LONG, crc32c_shift_long);
    c = crc32c_hw_streams(c, &p, &n, CRC32C_SHORT, crc32c_shift_short);
    while (n >= 8) {
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#else
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
    return crc32c_sw(crc, buf, n);
}
#endif

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
    if (crc32c_hw_available())
        return crc32c_hw(crc, p, n);
    return crc32c_sw(crc, p, n);
}
