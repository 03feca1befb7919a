/* crc32c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 * Portable path: slice-by-8 tables built once.  Hardware path: the SSE4.2
 * crc32 instruction, 8 bytes at a time.  crc32c() picks once. */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82F63B78u

static uint32_t        crc32c_table[8][256];
static pthread_once_t  crc32c_once = PTHREAD_ONCE_INIT;
static int             crc32c_have_hw;

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
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc,
                                                       const void *buf,
                                                       size_t      n)
{
    const uint8_t *p = buf;
    uint64_t       c = ~crc, w;

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
