/* kf_offsets: __consumer_offsets record codec, Java hashCode, expiry
 * (see kf_offsets.h).  Schemas: Kafka 2.8 GroupMetadataManager
 * (OFFSET_COMMIT_KEY_SCHEMA, OFFSET_COMMIT_VALUE_SCHEMA_V0..V3,
 * GROUP_METADATA_VALUE_SCHEMA_V0..V3, MEMBER_METADATA_V0..V3). */
#include "kf_offsets.h"

#include <string.h>

#include "err.h"

/* ---- writers -------------------------------------------------------------- */

static void put_str(buf_t *out, slice_t s, bool nullable)
{
    if (s.n < 0 || s.p == NULL) {
        buf_put_i16(out, nullable && s.n < 0 ? -1 : 0);
        return;
    }
    buf_put_i16(out, (int16_t)(s.n > INT16_MAX ? INT16_MAX : s.n));
    buf_put(out, s.p, (size_t)(s.n > INT16_MAX ? INT16_MAX : s.n));
}

static void put_bytes(buf_t *out, slice_t s)
{
    if (s.n <= 0 || s.p == NULL) {
        buf_put_i32(out, 0);
        return;
    }
    buf_put_i32(out, s.n);
    buf_put(out, s.p, (size_t)s.n);
}

int kf_offsets_key_commit_put(buf_t *out, int16_t version, slice_t group,
                              slice_t topic, int32_t partition)
{
    if (version != 0 && version != 1)
        return ERR_UNSUPPORTED;
    buf_put_i16(out, version);
    put_str(out, group, false);
    put_str(out, topic, false);
    buf_put_i32(out, partition);
    return 0;
}

int kf_offsets_key_group_put(buf_t *out, slice_t group)
{
    buf_put_i16(out, 2);
    put_str(out, group, false);
    return 0;
}

int16_t kf_offsets_commit_version(const struct kf_offsets_commit *v)
{
    return v->expire_ts >= 0 ? 1 : 3;
}

int kf_offsets_commit_put(buf_t *out, const struct kf_offsets_commit *v)
{
    if (v->version < 0 || v->version > 3)
        return ERR_UNSUPPORTED;
    buf_put_i16(out, v->version);
    buf_put_i64(out, v->offset);
    if (v->version >= 3)
        buf_put_i32(out, v->leader_epoch);
    put_str(out, v->metadata, false);
    buf_put_i64(out, v->commit_ts);
    if (v->version == 1)
        buf_put_i64(out, v->expire_ts);
    return 0;
}

int kf_offsets_group_put(buf_t *out, const struct kf_offsets_group *v)
{
    int32_t i;

    if (v->version < 0 || v->version > 3)
        return ERR_UNSUPPORTED;
    buf_put_i16(out, v->version);
    put_str(out, v->protocol_type, false);
    buf_put_i32(out, v->generation);
    put_str(out, v->protocol, true);
    put_str(out, v->leader, true);
    if (v->version >= 2)
        buf_put_i64(out, v->state_ts);
    buf_put_i32(out, v->nmembers);
    for (i = 0; i < v->nmembers; i++) {
        const struct kf_offsets_member *m = &v->members[i];

        put_str(out, m->member_id, false);
        if (v->version >= 3)
            put_str(out, m->instance_id, true);
        put_str(out, m->client_id, false);
        put_str(out, m->client_host, false);
        if (v->version >= 1)
            buf_put_i32(out, m->rebalance_ms);
        buf_put_i32(out, m->session_ms);
        put_bytes(out, m->subscription);
        put_bytes(out, m->assignment);
    }
    return 0;
}

/* ---- readers -------------------------------------------------------------- */

/* A STRING field that is not nullable: -1 is malformed. */
static slice_t get_str(rd_t *r)
{
    slice_t s = rd_string(r, false);

    if (rd_ok(r) && s.n < 0)
        rd_fail(r, ERR_MALFORMED);
    return s;
}

static int finish(const rd_t *r)
{
    if (!rd_ok(r))
        return r->err;
    return rd_left(r) == 0 ? 0 : ERR_MALFORMED;
}

int kf_offsets_key_get(const uint8_t *p, size_t n, struct kf_offsets_key *k)
{
    rd_t r = rd_init(p, n);

    memset(k, 0, sizeof *k);
    k->version = rd_i16(&r);
    if (!rd_ok(&r))
        return r.err;
    if (k->version < 0 || k->version > 2)
        return ERR_UNSUPPORTED;
    k->group = get_str(&r);
    if (k->version <= 1) {
        k->topic = get_str(&r);
        k->partition = rd_i32(&r);
    } else {
        k->topic.n = -1;
        k->partition = -1;
    }
    return finish(&r);
}

int kf_offsets_commit_get(const uint8_t *p, size_t n,
                          struct kf_offsets_commit *v)
{
    rd_t r = rd_init(p, n);

    memset(v, 0, sizeof *v);
    v->version = rd_i16(&r);
    if (!rd_ok(&r))
        return r.err;
    if (v->version < 0 || v->version > 3)
        return ERR_UNSUPPORTED;
    v->leader_epoch = -1;
    v->expire_ts = -1;
    v->offset = rd_i64(&r);
    if (v->version >= 3)
        v->leader_epoch = rd_i32(&r);
    v->metadata = get_str(&r);
    v->commit_ts = rd_i64(&r);
    if (v->version == 1)
        v->expire_ts = rd_i64(&r);
    return finish(&r);
}

int kf_offsets_group_get(const uint8_t *p, size_t n, arena_t *a,
                         struct kf_offsets_group *v)
{
    rd_t    r = rd_init(p, n);
    int32_t i, cnt;
    /* smallest member: 3 or 4 empty strings, 1-2 int32, two empty bytes */
    size_t  min_member;

    memset(v, 0, sizeof *v);
    v->version = rd_i16(&r);
    if (!rd_ok(&r))
        return r.err;
    if (v->version < 0 || v->version > 3)
        return ERR_UNSUPPORTED;
    v->state_ts = -1;
    v->protocol_type = get_str(&r);
    v->generation = rd_i32(&r);
    v->protocol = rd_string(&r, false);
    v->leader = rd_string(&r, false);
    if (v->version >= 2)
        v->state_ts = rd_i64(&r);
    min_member = 3 * 2 + 4 + 2 * 4 + (v->version >= 1 ? 4 : 0) +
                 (v->version >= 3 ? 2 : 0);
    cnt = rd_count(&r, false, min_member);
    if (!rd_ok(&r))
        return r.err;
    if (cnt < 0)
        return ERR_MALFORMED; /* members is not nullable */
    v->nmembers = cnt;
    v->members = arena_calloc(a, (size_t)(cnt > 0 ? cnt : 1),
                              sizeof *v->members);
    for (i = 0; i < cnt && rd_ok(&r); i++) {
        struct kf_offsets_member *m = &v->members[i];

        m->member_id = get_str(&r);
        m->instance_id.n = -1;
        if (v->version >= 3)
            m->instance_id = rd_string(&r, false);
        m->client_id = get_str(&r);
        m->client_host = get_str(&r);
        if (v->version >= 1)
            m->rebalance_ms = rd_i32(&r);
        m->session_ms = rd_i32(&r);
        if (v->version == 0)
            m->rebalance_ms = m->session_ms;
        m->subscription = rd_bytes(&r, false);
        m->assignment = rd_bytes(&r, false);
        if (rd_ok(&r) && (m->subscription.n < 0 || m->assignment.n < 0))
            rd_fail(&r, ERR_MALFORMED);
    }
    return finish(&r);
}

/* ---- Java String.hashCode over UTF-16 ------------------------------------- */

/* Decodes one code point from UTF-8 at p[0..n); sets *len to the bytes it
 * takes.  A malformed sequence yields U+FFFD covering its maximal valid
 * prefix (at least one byte), which is what Java's UTF-8 decoder does
 * (Unicode "substitution of maximal subparts"). */
static uint32_t utf8_next(const uint8_t *p, size_t n, size_t *len)
{
    uint8_t  b = p[0];
    uint32_t cp;
    size_t   need, i;
    uint8_t  lo = 0x80, hi = 0xbf;

    if (b < 0x80) {
        *len = 1;
        return b;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0; /* no overlongs */
        if (b == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 0x07;
        if (b == 0xf0)
            lo = 0x90;
        if (b == 0xf4)
            hi = 0x8f; /* <= U+10FFFF */
    } else {
        *len = 1;
        return 0xfffd;
    }
    for (i = 1; i <= need; i++) {
        uint8_t c = i < n ? p[i] : 0;

        if (i >= n || c < lo || c > hi) {
            *len = i;
            return 0xfffd;
        }
        cp = cp << 6 | (c & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *len = need + 1;
    return cp;
}

int32_t kf_offsets_java_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 0;
    size_t   i = 0, len;

    while (i < n) {
        uint32_t cp = utf8_next(p + i, n - i, &len);

        i += len;
        if (cp >= 0x10000) { /* a surrogate pair: two UTF-16 units */
            cp -= 0x10000;
            h = h * 31 + (0xd800 + (cp >> 10));
            h = h * 31 + (0xdc00 + (cp & 0x3ff));
        } else {
            h = h * 31 + cp;
        }
    }
    return (int32_t)h;
}

int32_t kf_offsets_partition_for(const char *group, int32_t nparts)
{
    int32_t h = kf_offsets_java_hash((const uint8_t *)group, strlen(group));

    if (nparts <= 0)
        return 0;
    if (h == INT32_MIN)
        return 0; /* Utils.abs */
    return (h < 0 ? -h : h) % nparts;
}

/* ---- expiry --------------------------------------------------------------- */

bool kf_offsets_expired(int64_t now, int64_t retention_ms, int64_t commit_ts,
                        int64_t expire_ts, enum kf_offsets_owner owner,
                        int64_t state_ts, bool subscribed)
{
    int64_t base, age;

    switch (owner) { /* four fixed cases of one rule, not a dispatch */
    case KF_OFFSETS_OWNER_EMPTY:
        /* retention runs from when the group became Empty, or from the
         * commit if old metadata has no state timestamp */
        base = state_ts >= 0 ? state_ts : commit_ts;
        break;
    case KF_OFFSETS_OWNER_CONSUMER:
        if (subscribed)
            return false;
        base = commit_ts;
        break;
    case KF_OFFSETS_OWNER_SIMPLE:
        base = commit_ts;
        break;
    default:
        return false;
    }
    if (expire_ts >= 0)
        return now >= expire_ts;
    /* commit timestamps come from clients (OffsetCommit v1): a huge
     * negative one must not overflow the age */
    if (__builtin_sub_overflow(now, base, &age))
        return true;
    return age >= retention_ms;
}

bool kf_offsets_subscribes(const uint8_t *p, size_t n, const char *topic)
{
    rd_t    r = rd_init(p, n);
    int16_t version = rd_i16(&r);
    int32_t cnt, i;

    (void)version;
    cnt = rd_count(&r, false, 2);
    if (!rd_ok(&r) || cnt < 0)
        return true;
    for (i = 0; i < cnt; i++) {
        slice_t t = rd_string(&r, false);

        if (!rd_ok(&r))
            return true;
        if (slice_eq(t, topic))
            return true;
    }
    return false;
}
