/* err: the one error space of the whole tree.
 *
 * Every fallible function returns int: 0 on success, negative on failure.
 * -1 .. -4095 are negated errno values, which on Unix are exactly libuv's
 * UV_E* codes, so uv_*() results pass through unchanged.  Our own codes
 * live at -5000 and below.  Kafka ErrorCode and ZooKeeper err values are
 * data written into responses, never C return values. */
#ifndef ODRADEK_ERR_H
#define ODRADEK_ERR_H

enum {
    ERR_SHORT       = -5001, /* input ended inside a field */
    ERR_MALFORMED   = -5002, /* a field's value cannot be valid */
    ERR_TOO_BIG     = -5003, /* over a configured limit */
    ERR_UNSUPPORTED = -5004, /* api key, op or version we do not serve */
    ERR_CONFIG      = -5005, /* bad configuration value */
    ERR_CORRUPT     = -5006, /* stored data failed a check (CRC, length) */
    ERR_NOTFOUND    = -5007, /* no such thing */
    ERR_EXISTS      = -5008, /* already there */
    ERR_TIMEOUT     = -5009, /* a deadline passed */
    ERR_CLOSED      = -5010, /* the peer or the object is gone */
    ERR_STATE       = -5011, /* not allowed in the current state */
    ERR_LIMIT       = -5012, /* a count limit (connections, in-flight) */
};

/* Name any value of the error space: ours, else uv_strerror(err) for
 * negated errno values, else "error N".  Never NULL; the string is static. */
const char *err_str(int err);

/* Short symbolic name ("ERR_SHORT", "ENOENT"); never NULL. */
const char *err_name(int err);

#endif
