/* kmsg: the table interpreter behind kmsg.h.  kmsg_desc.def is expanded
 * here into field tables (one per struct) and the API table; decode and
 * encode walk those tables.  Every byte is read through rd_t (bounds
 * checks live there); every array count is checked against the bytes left
 * at the struct's minimum encoded size before anything is allocated. */
#include "kmsg.h"

#include <stddef.h>
#include <string.h>

#include "xalloc.h"

/* ---- the tables ------------------------------------------------------ */

/* clang-format off */

#define KS(n) static const struct kmsg_field kmsg_f_##n[] = {
#define KE(n)                                                                  \
    }                                                                          \
    ;                                                                          \
    const struct kmsg_struct kmsg_s_##n = {                                    \
        #n, kmsg_f_##n, sizeof kmsg_f_##n / sizeof kmsg_f_##n[0],              \
        sizeof(struct kmsg_##n)                                                \
    };
#define KF(s, t, f, vmin, vmax, nmin, def)                                     \
    { #f, KT_##t, 0, vmin, vmax, nmin, -1, (int64_t)(def),                     \
      offsetof(struct kmsg_##s, f), 0, NULL },
#define KT(s, t, f, tag, vmin, vmax, nmin, def)                                \
    { #f, KT_##t, 0, vmin, vmax, nmin, tag, (int64_t)(def),                    \
      offsetof(struct kmsg_##s, f), 0, NULL },
#define KA(s, sub, f, vmin, vmax, nmin)                                        \
    { #f, KT_ARRAY, 0, vmin, vmax, nmin, -1, 0,                                \
      offsetof(struct kmsg_##s, f), offsetof(struct kmsg_##s, f##_n),          \
      &kmsg_s_##sub },
#define KAP(s, t, f, vmin, vmax, nmin)                                         \
    { #f, KT_PARRAY, KT_##t, vmin, vmax, nmin, -1, 0,                          \
      offsetof(struct kmsg_##s, f), offsetof(struct kmsg_##s, f##_n), NULL },
#define KAPI(key, up, name, lower, vmin, vmax, flex)
#include "kmsg_desc.def"
#undef KS
#undef KE
#undef KF
#undef KT
#undef KA
#undef KAP
#undef KAPI

#define KS(n)
#define KE(n)
#define KF(s, t, f, vmin, vmax, nmin, def)
#define KT(s, t, f, tag, vmin, vmax, nmin, def)
#define KA(s, sub, f, vmin, vmax, nmin)
#define KAP(s, t, f, vmin, vmax, nmin)
#define KAPI(key, up, name, lower, vmin, vmax, flex)                           \
    [key] = { key, name, vmin, vmax, flex, &kmsg_s_##lower##_req,              \
              &kmsg_s_##lower##_resp },
static const struct kmsg_api kmsg_api_table[KMSG_API_MAX_KEY + 1] = {
#include "kmsg_desc.def"
};
#undef KS
#undef KE
#undef KF
#undef KT
#undef KA
#undef KAP
#undef KAPI

/* clang-format on */

const struct kmsg_api *kmsg_api(int key)
{
    if (key < 0 || key > KMSG_API_MAX_KEY || kmsg_api_table[key].name == NULL)
        return NULL;
    return &kmsg_api_table[key];
}

bool kmsg_flexible(const struct kmsg_api *api, int16_t ver)
{
    return api->flex >= 0 && ver >= api->flex;
}

/* ---- headers ----------------------------------------------------------- */

int kmsg_req_hdr_read(rd_t *r, struct kmsg_req_hdr *h)
{
    h->api_key = rd_i16(r);
    h->api_ver = rd_i16(r);
    h->corr_id = rd_i32(r);
    h->client_id = rd_string(r, false); /* never compact, even in v2 */
    return r->err;
}

void kmsg_req_hdr_write(buf_t *out, const struct kmsg_req_hdr *h, bool flexible)
{
    buf_put_i16(out, h->api_key);
    buf_put_i16(out, h->api_ver);
    buf_put_i32(out, h->corr_id);
    if (h->client_id.n < 0) {
        buf_put_i16(out, -1);
    } else {
        buf_put_i16(out, (int16_t)h->client_id.n);
        buf_put(out, h->client_id.p, (size_t)h->client_id.n);
    }
    if (flexible)
        buf_put_uvarint(out, 0);
}

/* ---- helpers ----------------------------------------------------------- */

static bool nullable_in(const struct kmsg_field *f, int16_t ver)
{
    return f->nmin != KMSG_NN && ver >= f->nmin;
}

static size_t prim_size(int type, bool flex)
{
    switch (type) {
    case KT_BOOL:
    case KT_I8:
        return 1;
    case KT_I16:
    case KT_U16:
        return 2;
    case KT_I32:
        return 4;
    case KT_I64:
    case KT_F64:
        return 8;
    case KT_UUID:
        return 16;
    case KT_STR:
        return flex ? 1 : 2;
    default: /* BYTES, REC, arrays */
        return flex ? 1 : 4;
    }
}

/* The fewest bytes one element of s can take at this version (at least
 * 1, so rd_count can bound a count with it). */
static size_t min_size(const struct kmsg_struct *s, int16_t ver, bool flex)
{
    size_t   n = flex ? 1 : 0;
    unsigned i;

    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];

        if (!kmsg_field_in(f, ver) || f->tag >= 0)
            continue;
        n += prim_size(f->type, flex);
    }
    return n == 0 ? 1 : n;
}

static int64_t get_int(int type, const void *p)
{
    switch (type) {
    case KT_BOOL:
        return *(const bool *)p;
    case KT_I8:
        return *(const int8_t *)p;
    case KT_I16:
        return *(const int16_t *)p;
    case KT_U16:
        return *(const uint16_t *)p;
    case KT_I32:
        return *(const int32_t *)p;
    default:
        return *(const int64_t *)p;
    }
}

static void set_int(int type, void *p, int64_t v)
{
    switch (type) {
    case KT_BOOL:
        *(bool *)p = v != 0;
        break;
    case KT_I8:
        *(int8_t *)p = (int8_t)v;
        break;
    case KT_I16:
        *(int16_t *)p = (int16_t)v;
        break;
    case KT_U16:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case KT_I32:
        *(int32_t *)p = (int32_t)v;
        break;
    case KT_I64:
        *(int64_t *)p = v;
        break;
    default:
        break;
    }
}

void kmsg_defaults(const struct kmsg_struct *s, void *obj)
{
    unsigned i;

    memset(obj, 0, s->size);
    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];
        uint8_t                 *p = (uint8_t *)obj + f->off;

        switch (f->type) {
        case KT_STR:
        case KT_BYTES:
            ((slice_t *)p)->n = f->def == -1 ? -1 : 0;
            break;
        case KT_REC:
            ((kmsg_records_t *)p)->bytes.n = -1;
            break;
        case KT_F64:
            *(double *)p = (double)f->def;
            break;
        case KT_UUID:
        case KT_ARRAY:
        case KT_PARRAY:
            break;
        default:
            set_int(f->type, p, f->def);
        }
    }
}

/* ---- decode ------------------------------------------------------------ */

static void dec_struct(const struct kmsg_struct *s, int16_t ver, bool flex,
                       rd_t *r, arena_t *a, void *obj);

static void dec_prim(int type, bool flex, rd_t *r, void *p)
{
    switch (type) {
    case KT_BOOL:
        *(bool *)p = rd_u8(r) != 0;
        break;
    case KT_I8:
        *(int8_t *)p = rd_i8(r);
        break;
    case KT_I16:
        *(int16_t *)p = rd_i16(r);
        break;
    case KT_U16:
        *(uint16_t *)p = rd_u16(r);
        break;
    case KT_I32:
        *(int32_t *)p = rd_i32(r);
        break;
    case KT_I64:
        *(int64_t *)p = rd_i64(r);
        break;
    case KT_F64:
        *(double *)p = rd_f64(r);
        break;
    case KT_UUID: {
        const uint8_t *u = rd_raw(r, 16);

        if (u != NULL)
            memcpy(p, u, 16);
        break;
    }
    case KT_STR:
        *(slice_t *)p = rd_string(r, flex);
        break;
    case KT_BYTES:
        *(slice_t *)p = rd_bytes(r, flex);
        break;
    case KT_REC:
        ((kmsg_records_t *)p)->bytes = rd_bytes(r, flex);
        break;
    default:
        rd_fail(r, ERR_MALFORMED);
    }
}

static void dec_field(const struct kmsg_field *f, int16_t ver, bool flex,
                      rd_t *r, arena_t *a, void *obj)
{
    uint8_t *p = (uint8_t *)obj + f->off;
    int32_t  n, i;

    if (f->type == KT_ARRAY || f->type == KT_PARRAY) {
        size_t esz, msz;

        if (f->type == KT_ARRAY) {
            esz = f->sub->size;
            msz = min_size(f->sub, ver, flex);
        } else {
            esz = f->etype == KT_STR   ? sizeof(slice_t)
                  : f->etype == KT_I64 ? sizeof(int64_t)
                                       : sizeof(int32_t);
            msz = prim_size(f->etype, flex);
        }
        n = rd_count(r, flex, msz);
        if (!rd_ok(r))
            return;
        if (n == -1 && !nullable_in(f, ver)) {
            rd_fail(r, ERR_MALFORMED);
            return;
        }
        *(int32_t *)((uint8_t *)obj + f->noff) = n;
        if (n <= 0) {
            *(void **)p = NULL;
            return;
        }
        *(void **)p = arena_calloc(a, (size_t)n, esz);
        for (i = 0; i < n && rd_ok(r); i++) {
            uint8_t *e = (uint8_t *)*(void **)p + (size_t)i * esz;

            if (f->type == KT_ARRAY)
                dec_struct(f->sub, ver, flex, r, a, e);
            else
                dec_prim(f->etype, flex, r, e);
        }
        return;
    }
    dec_prim(f->type, flex, r, p);
    if (rd_ok(r) &&
        (f->type == KT_STR || f->type == KT_BYTES || f->type == KT_REC)) {
        const slice_t *sl = f->type == KT_REC ? &((kmsg_records_t *)p)->bytes
                                              : (const slice_t *)p;

        if (sl->n == -1 && !nullable_in(f, ver))
            rd_fail(r, ERR_MALFORMED);
    }
}

static void dec_tags(const struct kmsg_struct *s, int16_t ver, rd_t *r,
                     arena_t *a, void *obj)
{
    uint32_t n = rd_uvarint32(r), i, j;

    for (i = 0; i < n && rd_ok(r); i++) {
        uint32_t       tag = rd_uvarint32(r);
        uint32_t       size = rd_uvarint32(r);
        const uint8_t *p = rd_raw(r, size);
        bool           known = false;

        if (p == NULL)
            return;
        for (j = 0; j < s->nfields; j++) {
            const struct kmsg_field *f = &s->fields[j];
            rd_t                     sub;

            if (f->tag < 0 || (uint32_t)f->tag != tag || !kmsg_field_in(f, ver))
                continue;
            sub = rd_init(p, size);
            dec_field(f, ver, true, &sub, a, obj);
            if (!rd_ok(&sub))
                rd_fail(r, sub.err);
            known = true;
            break;
        }
        (void)known; /* unknown tags are skipped, as KIP-482 says */
    }
}

static void dec_struct(const struct kmsg_struct *s, int16_t ver, bool flex,
                       rd_t *r, arena_t *a, void *obj)
{
    unsigned i;

    kmsg_defaults(s, obj);
    for (i = 0; i < s->nfields && rd_ok(r); i++) {
        const struct kmsg_field *f = &s->fields[i];

        if (!kmsg_field_in(f, ver) || f->tag >= 0)
            continue;
        dec_field(f, ver, flex, r, a, obj);
    }
    if (flex)
        dec_tags(s, ver, r, a, obj);
}

int kmsg_decode(const struct kmsg_struct *s, int16_t ver, bool flexible,
                rd_t *r, arena_t *a, void *obj)
{
    dec_struct(s, ver, flexible, r, a, obj);
    return r->err;
}

int kmsg_decode_req(const struct kmsg_api *api, int16_t ver, rd_t *r,
                    arena_t *a, void **obj)
{
    *obj = arena_alloc(a, api->req->size);
    return kmsg_decode(api->req, ver, kmsg_flexible(api, ver), r, a, *obj);
}

/* ---- encode ------------------------------------------------------------ */

static void enc_struct(const struct kmsg_struct *s, int16_t ver, bool flex,
                       const void *obj, struct kmsg_enc *e);

static void put_len(buf_t *out, int64_t n, bool flex, bool wide)
{
    if (flex)
        buf_put_uvarint(out, (uint64_t)(n + 1)); /* 0 = null */
    else if (wide)
        buf_put_i32(out, (int32_t)n);
    else
        buf_put_i16(out, (int16_t)n);
}

static void put_slice(buf_t *out, slice_t s, bool flex, bool wide)
{
    put_len(out, s.n < 0 ? -1 : s.n, flex, wide);
    if (s.n > 0)
        buf_put(out, s.p, (size_t)s.n);
}

static void enc_prim(int type, bool flex, const void *p, struct kmsg_enc *e)
{
    buf_t *out = e->out;

    switch (type) {
    case KT_BOOL:
        buf_put_u8(out, *(const bool *)p ? 1 : 0);
        break;
    case KT_I8:
        buf_put_i8(out, *(const int8_t *)p);
        break;
    case KT_I16:
        buf_put_i16(out, *(const int16_t *)p);
        break;
    case KT_U16:
        buf_put_u16(out, *(const uint16_t *)p);
        break;
    case KT_I32:
        buf_put_i32(out, *(const int32_t *)p);
        break;
    case KT_I64:
        buf_put_i64(out, *(const int64_t *)p);
        break;
    case KT_F64:
        buf_put_f64(out, *(const double *)p);
        break;
    case KT_UUID:
        buf_put(out, p, 16);
        break;
    case KT_STR:
        put_slice(out, *(const slice_t *)p, flex, false);
        break;
    case KT_BYTES:
        put_slice(out, *(const slice_t *)p, flex, true);
        break;
    case KT_REC: {
        const kmsg_records_t *rec = p;

        if (rec->ext != NULL && e->records != NULL) {
            put_len(out, rec->ext_len, flex, true);
            e->records(e->ctx, rec);
        } else {
            put_slice(out, rec->bytes, flex, true);
        }
        break;
    }
    default:
        break;
    }
}

static void enc_field(const struct kmsg_field *f, int16_t ver, bool flex,
                      const void *obj, struct kmsg_enc *e)
{
    const uint8_t *p = (const uint8_t *)obj + f->off;

    if (f->type == KT_ARRAY || f->type == KT_PARRAY) {
        int32_t        n = *(const int32_t *)((const uint8_t *)obj + f->noff);
        const uint8_t *a = *(const uint8_t *const *)p;
        size_t         esz;
        int32_t        i;

        if (n < 0 && !nullable_in(f, ver))
            n = 0; /* null where the version cannot say it: empty */
        if (n > 0 && a == NULL)
            n = 0;
        if (flex)
            buf_put_uvarint(e->out, (uint64_t)((int64_t)n + 1));
        else
            buf_put_i32(e->out, n < 0 ? -1 : n);
        if (f->type == KT_ARRAY)
            esz = f->sub->size;
        else
            esz = f->etype == KT_STR   ? sizeof(slice_t)
                  : f->etype == KT_I64 ? sizeof(int64_t)
                                       : sizeof(int32_t);
        for (i = 0; i < n; i++) {
            if (f->type == KT_ARRAY)
                enc_struct(f->sub, ver, flex, a + (size_t)i * esz, e);
            else
                enc_prim(f->etype, flex, a + (size_t)i * esz, e);
        }
        return;
    }
    if ((f->type == KT_STR || f->type == KT_BYTES) &&
        ((const slice_t *)p)->n < 0 && !nullable_in(f, ver)) {
        slice_t empty = {(const uint8_t *)"", 0};

        enc_prim(f->type, flex, &empty, e);
        return;
    }
    enc_prim(f->type, flex, p, e);
}

/* A tagged field is written only when it differs from its default. */
static bool tag_is_default(const struct kmsg_field *f, const void *obj)
{
    const uint8_t *p = (const uint8_t *)obj + f->off;

    switch (f->type) {
    case KT_STR:
    case KT_BYTES:
        return f->def == -1 ? ((const slice_t *)p)->n < 0
                            : ((const slice_t *)p)->n == 0;
    case KT_ARRAY:
    case KT_PARRAY:
        return *(const int32_t *)((const uint8_t *)obj + f->noff) <= 0;
    case KT_UUID: {
        static const uint8_t zero[16];

        return memcmp(p, zero, 16) == 0;
    }
    case KT_F64:
        return *(const double *)p == (double)f->def;
    case KT_REC:
        return ((const kmsg_records_t *)p)->bytes.n < 0;
    default:
        return get_int(f->type, p) == f->def;
    }
}

static void enc_tags(const struct kmsg_struct *s, int16_t ver, const void *obj,
                     struct kmsg_enc *e)
{
    unsigned i, n = 0;

    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];

        if (f->tag >= 0 && kmsg_field_in(f, ver) && !tag_is_default(f, obj))
            n++;
    }
    buf_put_uvarint(e->out, n);
    /* Tags are written in ascending order, as KIP-482 requires; the
     * description lists them in that order. */
    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];
        buf_t                    tmp = BUF_INIT;
        struct kmsg_enc          sub = {&tmp, NULL, NULL};

        if (f->tag < 0 || !kmsg_field_in(f, ver) || tag_is_default(f, obj))
            continue;
        enc_field(f, ver, true, obj, &sub);
        buf_put_uvarint(e->out, (uint64_t)f->tag);
        buf_put_uvarint(e->out, tmp.len);
        buf_put(e->out, tmp.data, tmp.len);
        buf_free(&tmp);
    }
}

static void enc_struct(const struct kmsg_struct *s, int16_t ver, bool flex,
                       const void *obj, struct kmsg_enc *e)
{
    unsigned i;

    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];

        if (!kmsg_field_in(f, ver) || f->tag >= 0)
            continue;
        enc_field(f, ver, flex, obj, e);
    }
    if (flex)
        enc_tags(s, ver, obj, e);
}

void kmsg_encode(const struct kmsg_struct *s, int16_t ver, bool flexible,
                 const void *obj, struct kmsg_enc *e)
{
    enc_struct(s, ver, flexible, obj, e);
}

void kmsg_encode_buf(const struct kmsg_struct *s, int16_t ver, bool flexible,
                     const void *obj, buf_t *out)
{
    struct kmsg_enc e = {out, NULL, NULL};

    enc_struct(s, ver, flexible, obj, &e);
}
