/* kf_zkjson: the little JSON the broker's znodes need (Kafka's shapes in
 * reference/kafka-protocol.md §6), both ways.
 *
 * Reading is a bounded, allocation-free scan over a byte slice: find a
 * member of the top-level object, read it as an integer or a string, or
 * visit the members of an object value.  Any input is safe (depth is
 * capped, every read is bounds-checked); a value that is not the expected
 * type is ERR_MALFORMED.  Writing is buf_printf plus a string escaper:
 * Kafka's Jackson output is compact (no spaces), which is what we write. */
#ifndef ODRADEK_KF_ZKJSON_H
#define ODRADEK_KF_ZKJSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"

/* The raw value of member key of the top-level object in p[0, n).
 * Returns 0, ERR_NOTFOUND or ERR_MALFORMED. */
int kf_zkjson_member(const uint8_t *p, size_t n, const char *key, slice_t *val);
/* A number value (no fraction/exponent) or a string holding one
 * ("timestamp":"170..."). */
int kf_zkjson_int(slice_t v, int64_t *out);
/* A string value, unescaped into out (NUL-terminated; \uXXXX below 0x80
 * only).  ERR_TOO_BIG if it does not fit. */
int kf_zkjson_str(slice_t v, char *out, size_t outlen);
/* Visit each member of an object value: key unescaped into a buffer of
 * 256 bytes, value raw.  fn returns < 0 to stop with that value. */
int kf_zkjson_each(slice_t obj,
                   int (*fn)(void *arg, const char *key, slice_t val),
                   void *arg);
/* Count the elements of an array value. */
int kf_zkjson_array_len(slice_t arr, int32_t *n);

/* Append s as a JSON string (quotes included). */
void kf_zkjson_put_str(buf_t *b, const char *s);

#endif
