/* kmsg: the Kafka protocol's messages, both ways, driven by one
 * declarative description per API (kmsg_desc.def).
 *
 * It owns: the description format (field type, versions present, versions
 * nullable, tagged fields, defaults), the C structs generated from it, the
 * API table (key, name, valid versions, first flexible version), request
 * and response headers, and the one interpreter that decodes a body into
 * its struct and encodes a struct into bytes for any version.  It does not
 * own: record batches (kbatch), what a request means (the broker), or
 * sockets.
 *
 * Decoding borrows: strings, bytes and records in a decoded struct point
 * into the input frame; arrays are allocated in the caller's arena
 * (STYLE.md rule 6).  A field absent in the decoded version holds its
 * default (numbers), null (nullable strings with a null default) or empty.
 * Encoding writes the fields present in the version and skips the others;
 * tagged fields are written only when they differ from their default.
 *
 * Why a table and not generated code: the versions of every field live in
 * exactly one place (the .def file), tests iterate over the same table to
 * round-trip every version of every API, and one bounded interpreter is
 * the only code that touches request bytes before a handler sees them. */
#ifndef ODRADEK_KMSG_H
#define ODRADEK_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "rd.h"

/* Field types of the Kafka protocol (docs/protocol.html "Protocol Primitive
 * Types").  STR/BYTES/REC become compact in flexible versions. */
enum kmsg_type {
    KT_BOOL = 1,
    KT_I8,
    KT_I16,
    KT_U16,
    KT_I32,
    KT_I64,
    KT_F64,
    KT_UUID,
    KT_STR,   /* STRING / NULLABLE_STRING: slice_t */
    KT_BYTES, /* BYTES / NULLABLE_BYTES: slice_t */
    KT_REC,   /* RECORDS: kmsg_records_t */
    KT_ARRAY, /* array of a described struct */
    KT_PARRAY /* array of a primitive (I32, I64, STR) */
};

#define KMSG_VMAX 127 /* "N+" : every later version */
#define KMSG_NN 127   /* never nullable */
/* Shorthands used in kmsg_desc.def. */
#define VX KMSG_VMAX
#define NN KMSG_NN

typedef struct kmsg_uuid {
    uint8_t b[16];
} kmsg_uuid_t;

/* A RECORDS field.  Decoded: bytes borrowed from the frame (n == -1 null).
 * Encoded: bytes, or, when ext != NULL, ext_len bytes produced by the
 * encoder's records hook (file ranges sent with sendfile). */
typedef struct kmsg_records {
    slice_t bytes;
    void   *ext;
    int32_t ext_len;
} kmsg_records_t;

struct kmsg_struct;

struct kmsg_field {
    const char *name;
    uint8_t     type;               /* enum kmsg_type */
    uint8_t     etype;              /* KT_PARRAY: element type */
    int8_t      vmin, vmax;         /* versions present */
    int8_t      nmin;               /* first nullable version; KMSG_NN */
    int16_t     tag;                /* -1, or the KIP-482 tag number */
    int64_t     def;                /* default of numbers; -1 = null for
                                       nullable strings/bytes/arrays */
    size_t                    off;  /* offsetof the value */
    size_t                    noff; /* arrays: offsetof the int32 count */
    const struct kmsg_struct *sub;  /* KT_ARRAY: element struct */
};

struct kmsg_struct {
    const char              *name;
    const struct kmsg_field *fields;
    unsigned                 nfields;
    size_t                   size; /* sizeof the C struct */
};

/* The generated C structs: struct kmsg_<name> for every KS(name). */
/* clang-format off */
#define KS(n) struct kmsg_##n {
#define KE(n) };
#define KF(s, t, f, vmin, vmax, nmin, def) KMSG_CT_##t f;
#define KT(s, t, f, tag, vmin, vmax, nmin, def) KMSG_CT_##t f;
#define KA(s, sub, f, vmin, vmax, nmin)                                        \
    struct kmsg_##sub *f;                                                      \
    int32_t            f##_n;
#define KAP(s, t, f, vmin, vmax, nmin)                                         \
    KMSG_CT_##t *f;                                                            \
    int32_t      f##_n;
#define KAPI(key, up, name, lower, vmin, vmax, flex)
#define KMSG_CT_BOOL  bool
#define KMSG_CT_I8    int8_t
#define KMSG_CT_I16   int16_t
#define KMSG_CT_U16   uint16_t
#define KMSG_CT_I32   int32_t
#define KMSG_CT_I64   int64_t
#define KMSG_CT_F64   double
#define KMSG_CT_UUID  kmsg_uuid_t
#define KMSG_CT_STR   slice_t
#define KMSG_CT_BYTES slice_t
#define KMSG_CT_REC   kmsg_records_t
#include "kmsg_desc.def"
#undef KS
#undef KE
#undef KF
#undef KT
#undef KA
#undef KAP
#undef KAPI

/* Every described struct's table: kmsg_s_<name>. */
#define KS(n) extern const struct kmsg_struct kmsg_s_##n;
#define KE(n)
#define KF(s, t, f, vmin, vmax, nmin, def)
#define KT(s, t, f, tag, vmin, vmax, nmin, def)
#define KA(s, sub, f, vmin, vmax, nmin)
#define KAP(s, t, f, vmin, vmax, nmin)
#define KAPI(key, up, name, lower, vmin, vmax, flex)
#include "kmsg_desc.def"
#undef KS
#undef KAPI
#define KS(n)
#define KAPI(key, up, name, lower, vmin, vmax, flex) KMSG_API_##up = key,
enum kmsg_api_key {
#include "kmsg_desc.def"
    KMSG_API_MAX_KEY = 70
};
#undef KS
#undef KE
#undef KF
#undef KT
#undef KA
#undef KAP
#undef KAPI

/* clang-format on */

/* One row per API the codec knows: its valid versions and the first
 * flexible version (-1: none).  The broker decides which of these it
 * serves and advertises (its dispatch table); the codec only bounds what
 * can be encoded and decoded. */
struct kmsg_api {
    int16_t                   key;
    const char               *name;
    int16_t                   vmin, vmax;
    int16_t                   flex; /* first flexible version, -1 none */
    const struct kmsg_struct *req, *resp;
};

/* The API with this key, or NULL (iterate 0..KMSG_API_MAX_KEY for all). */
const struct kmsg_api *kmsg_api(int key);
/* True if ver of api uses the flexible (KIP-482) encoding. */
bool kmsg_flexible(const struct kmsg_api *api, int16_t ver);

/* Request header v1/v2 (v2 = flexible versions: a tag buffer follows; the
 * client id stays a classic nullable string). */
struct kmsg_req_hdr {
    int16_t api_key;
    int16_t api_ver;
    int32_t corr_id;
    slice_t client_id;
};

/* Reads api_key, api_ver, corr_id and client_id (header v1).  The caller
 * knows whether the version is flexible and then calls rd_skip_tags. */
int  kmsg_req_hdr_read(rd_t *r, struct kmsg_req_hdr *h);
void kmsg_req_hdr_write(buf_t *out, const struct kmsg_req_hdr *h,
                        bool flexible);

/* Encoder context: the output, and a hook that writes a RECORDS value
 * whose ext is set (it must append exactly ext_len bytes, possibly as file
 * ranges after out's current end). */
struct kmsg_enc {
    buf_t *out;
    void (*records)(void *ctx, const kmsg_records_t *rec);
    void *ctx;
};

/* Decodes the body of struct s at version ver into obj (s->size bytes,
 * zeroed first).  Arrays come from arena a.  Returns 0, or the reader's
 * error (ERR_SHORT, ERR_MALFORMED). */
int kmsg_decode(const struct kmsg_struct *s, int16_t ver, bool flexible,
                rd_t *r, arena_t *a, void *obj);
/* Encodes obj at version ver. */
void kmsg_encode(const struct kmsg_struct *s, int16_t ver, bool flexible,
                 const void *obj, struct kmsg_enc *e);
/* The same into a plain buffer (RECORDS with ext are not allowed). */
void kmsg_encode_buf(const struct kmsg_struct *s, int16_t ver, bool flexible,
                     const void *obj, buf_t *out);
/* Fills obj with the defaults of every field (numbers, null strings). */
void kmsg_defaults(const struct kmsg_struct *s, void *obj);
/* True if field f is present at version ver. */
static inline bool kmsg_field_in(const struct kmsg_field *f, int16_t ver)
{
    return ver >= f->vmin && ver <= f->vmax;
}

/* Decodes a whole request body for api/ver into a fresh arena object.
 * Returns 0 and *obj, or < 0. */
int kmsg_decode_req(const struct kmsg_api *api, int16_t ver, rd_t *r,
                    arena_t *a, void **obj);

#endif
