/* crc32c: CRC-32C (Castagnoli), as in Kafka record batches (magic 2).
 * crc32c() dispatches once to the SSE4.2 instruction path when the CPU has
 * it, else the portable slice-by-8 table path; both are exported so tests
 * check each against the same published vectors. */
#ifndef ODRADEK_CRC32C_H
#define ODRADEK_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc is the running value: start with 0, feed chunks, result is final. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n); /* needs SSE4.2 */
int      crc32c_hw_available(void);

#endif
