/* kmsg: every version of every API the codec describes round-trips
 * (random field values, encode -> decode -> encode gives the same bytes
 * and consumes them all); every strict prefix of an encoding is refused;
 * golden bytes for the messages clients depend on (ApiVersions v0/v3,
 * Metadata v0, the request header); hostile counts and nulls. */
#include "cmocka_all.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "kmsg.h"

/* ---- a random filler driven by the same tables -------------------------- */

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static bool nullable(const struct kmsg_field *f, int16_t v)
{
    return f->nmin != KMSG_NN && v >= f->nmin;
}

static const char *words[] = {"",           "a",
                              "topic-1",    "__consumer_offsets",
                              "x\xc3\xa9y", "0123456789abcdef0123456789"};

static slice_t rnd_slice(arena_t *a, bool can_null)
{
    const char *w;

    if (can_null && rnd() % 4 == 0)
        return (slice_t){NULL, -1};
    w = words[rnd() % (sizeof words / sizeof words[0])];
    return (slice_t){(const uint8_t *)arena_strndup(a, w, strlen(w)),
                     (int32_t)strlen(w)};
}

static void fill(const struct kmsg_struct *s, int16_t v, arena_t *a, void *obj,
                 int depth);

static void fill_prim(int type, void *p, arena_t *a, bool can_null)
{
    switch (type) {
    case KT_BOOL:
        *(bool *)p = rnd() & 1;
        break;
    case KT_I8:
        *(int8_t *)p = (int8_t)rnd();
        break;
    case KT_I16:
        *(int16_t *)p = (int16_t)rnd();
        break;
    case KT_U16:
        *(uint16_t *)p = (uint16_t)rnd();
        break;
    case KT_I32:
        *(int32_t *)p = (int32_t)rnd();
        break;
    case KT_I64:
        *(int64_t *)p = (int64_t)rnd();
        break;
    case KT_F64:
        *(double *)p = (double)(rnd() % 1000) / 8.0;
        break;
    case KT_UUID: {
        int i;

        for (i = 0; i < 16; i++)
            ((uint8_t *)p)[i] = (uint8_t)rnd();
        break;
    }
    case KT_STR:
    case KT_BYTES:
        *(slice_t *)p = rnd_slice(a, can_null);
        break;
    case KT_REC:
        ((kmsg_records_t *)p)->bytes = rnd_slice(a, can_null);
        break;
    }
}

static void fill(const struct kmsg_struct *s, int16_t v, arena_t *a, void *obj,
                 int depth)
{
    unsigned i;

    kmsg_defaults(s, obj);
    for (i = 0; i < s->nfields; i++) {
        const struct kmsg_field *f = &s->fields[i];
        uint8_t                 *p = (uint8_t *)obj + f->off;

        if (!kmsg_field_in(f, v))
            continue;
        if (f->type == KT_ARRAY || f->type == KT_PARRAY) {
            int32_t  n = (int32_t)(rnd() % (depth > 2 ? 2 : 4)), j;
            size_t   esz = f->type == KT_ARRAY  ? f->sub->size
                           : f->etype == KT_STR ? sizeof(slice_t)
                           : f->etype == KT_I64 ? 8
                                                : 4;
            uint8_t *e;

            if (nullable(f, v) && rnd() % 5 == 0)
                n = -1;
            *(int32_t *)((uint8_t *)obj + f->noff) = n;
            if (n <= 0) {
                *(void **)p = NULL;
                continue;
            }
            e = arena_calloc(a, (size_t)n, esz);
            *(void **)p = e;
            for (j = 0; j < n; j++) {
                if (f->type == KT_ARRAY)
                    fill(f->sub, v, a, e + (size_t)j * esz, depth + 1);
                else
                    fill_prim(f->etype, e + (size_t)j * esz, a, false);
            }
            continue;
        }
        fill_prim(f->type, p, a, nullable(f, v));
    }
}

/* ---- round trips ------------------------------------------------------------
 */

static int roundtrip(const struct kmsg_struct *s, int16_t v, bool flex,
                     const char *what)
{
    arena_t a;
    int     iter, failures = 0;

    arena_init(&a);
    for (iter = 0; iter < 20; iter++) {
        void  *obj = arena_alloc(&a, s->size), *back = arena_alloc(&a, s->size);
        buf_t  one = BUF_INIT, two = BUF_INIT;
        rd_t   r;
        size_t cut;
        int    rc;

        fill(s, v, &a, obj, 0);
        kmsg_encode_buf(s, v, flex, obj, &one);
        r = rd_init(one.data, one.len);
        rc = kmsg_decode(s, v, flex, &r, &a, back);
        if (rc != 0 || rd_left(&r) != 0) {
            print_message("%s v%d: decode rc=%d left=%zu\n", what, v, rc,
                          rd_left(&r));
            failures++;
        }
        kmsg_encode_buf(s, v, flex, back, &two);
        if (one.len != two.len ||
            (one.len > 0 && memcmp(one.data, two.data, one.len) != 0)) {
            print_message("%s v%d: re-encoding differs\n", what, v);
            failures++;
        }
        /* every strict prefix is refused */
        for (cut = 0; cut < one.len; cut += 1 + one.len / 64) {
            rd_t pr = rd_init(one.data, cut);

            if (kmsg_decode(s, v, flex, &pr, &a, back) == 0) {
                print_message("%s v%d: prefix %zu/%zu accepted\n", what, v, cut,
                              one.len);
                failures++;
                break;
            }
        }
        buf_free(&one);
        buf_free(&two);
        arena_reset(&a);
    }
    arena_free(&a);
    return failures;
}

static void test_every_version_round_trips(void **state)
{
    int k, failures = 0, apis = 0, versions = 0;

    (void)state;
    for (k = 0; k <= KMSG_API_MAX_KEY; k++) {
        const struct kmsg_api *api = kmsg_api(k);
        int16_t                v;

        if (api == NULL)
            continue;
        apis++;
        for (v = api->vmin; v <= api->vmax; v++) {
            char what[64];

            versions++;
            snprintf(what, sizeof what, "%sRequest", api->name);
            failures += roundtrip(api->req, v, kmsg_flexible(api, v), what);
            snprintf(what, sizeof what, "%sResponse", api->name);
            failures += roundtrip(api->resp, v, kmsg_flexible(api, v), what);
        }
    }
    print_message("%d APIs, %d versions\n", apis, versions);
    assert_int_equal(failures, 0);
    assert_true(apis >= 26);
}

/* The version ranges of Kafka 2.8 the issue asks for, and their first
 * flexible versions (KIP-482), checked against the description. */
static void test_ranges_and_flexible_versions(void **state)
{
    static const struct {
        int     key;
        int16_t vmax, flex;
    } want[] = {
        {0, 9, 9},  {1, 12, 12}, {2, 6, 6},  {3, 11, 9}, {8, 8, 8},
        {9, 7, 6},  {10, 3, 3},  {11, 7, 6}, {12, 4, 4}, {13, 4, 4},
        {14, 5, 4}, {15, 5, 5},  {16, 4, 3}, {18, 3, 3}, {19, 7, 5},
        {20, 6, 4}, {21, 2, 2},  {22, 4, 2}, {32, 4, 4}, {33, 2, 2},
        {35, 2, 2}, {37, 3, 2},  {42, 2, 2}, {44, 1, 1}, {47, 0, -1},
        {60, 0, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct kmsg_api *api = kmsg_api(want[i].key);

        assert_non_null(api);
        assert_int_equal(api->vmin, 0);
        assert_int_equal(api->vmax, want[i].vmax);
        assert_int_equal(api->flex, want[i].flex);
    }
    assert_null(kmsg_api(17)); /* SaslHandshake: not described, not served */
    assert_null(kmsg_api(-1));
    assert_null(kmsg_api(1000));
}

/* ---- golden bytes -----------------------------------------------------------
 */

static void expect_bytes(const buf_t *b, const uint8_t *want, size_t n)
{
    if (b->len != n || memcmp(b->data, want, n) != 0) {
        size_t i;

        for (i = 0; i < b->len; i++)
            print_message("%02x%s", b->data[i], (i % 16 == 15) ? "\n" : " ");
        print_message("\n");
    }
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

/* ApiVersions v3 response body: flexible (compact array of N+1, a tag
 * byte per element and at the end), error first, throttle after. */
static void test_golden_api_versions_v3(void **state)
{
    struct kmsg_api_versions_resp     resp;
    struct kmsg_api_versions_resp_key keys[2] = {{0, 0, 9}, {18, 0, 3}};
    static const uint8_t              want[] = {
                     0x00, 0x00, /* error_code */
                     0x03,       /* compact array: 2 + 1 */
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, /* Produce 0-9, tags */
                     0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, /* ApiVersions 0-3 */
                     0x00, 0x00, 0x00, 0x00, /* throttle_time_ms */
                     0x00,                   /* tagged fields: none */
    };
    buf_t b = BUF_INIT;

    (void)state;
    kmsg_defaults(&kmsg_s_api_versions_resp, &resp);
    resp.api_keys = keys;
    resp.api_keys_n = 2;
    kmsg_encode_buf(&kmsg_s_api_versions_resp, 3, true, &resp, &b);
    expect_bytes(&b, want, sizeof want);
    buf_free(&b);
}

/* What librdkafka 2.0.2 sends first on every connection: ApiVersions v3,
 * header v2 (classic client id + tag byte), body = two compact strings. */
static void test_golden_api_versions_v3_request(void **state)
{
    static const uint8_t frame[] = {
        0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, /* key, ver, corr */
        0x00, 0x07, 'r',  'd',  'k',  'a',  'f',  'k',  'a', /* client id */
        0x00,                                                /* header tags */
        0x0b, 'l',  'i',  'b',  'r',  'd',  'k',  'a',  'f',
        'k',  'a',                         /* name */
        0x06, '2',  '.',  '0',  '.',  '2', /* version */
        0x00,                              /* body tags */
    };
    struct kmsg_req_hdr           h;
    struct kmsg_api_versions_req *req;
    arena_t                       a;
    rd_t                          r = rd_init(frame, sizeof frame);

    (void)state;
    arena_init(&a);
    assert_int_equal(kmsg_req_hdr_read(&r, &h), 0);
    assert_int_equal(h.api_key, 18);
    assert_int_equal(h.api_ver, 3);
    assert_int_equal(h.corr_id, 1);
    assert_true(slice_eq(h.client_id, "rdkafka"));
    assert_true(kmsg_flexible(kmsg_api(18), 3));
    rd_skip_tags(&r);
    assert_int_equal(kmsg_decode_req(kmsg_api(18), 3, &r, &a, (void **)&req),
                     0);
    assert_true(slice_eq(req->client_software_name, "librdkafka"));
    assert_true(slice_eq(req->client_software_version, "2.0.2"));
    assert_int_equal(rd_left(&r), 0);
    arena_free(&a);
}

/* Metadata v0 request for all topics (kafka-python's probe) and a v0
 * response with one broker and one topic of one partition. */
static void test_golden_metadata_v0(void **state)
{
    static const uint8_t req_bytes[] = {0x00, 0x00, 0x00, 0x00};
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x01, /* brokers: 1 */
        0x00, 0x00, 0x00, 0x00, /* node 0 */
        0x00, 0x09, 'l',  'o',  'c',  'a',  'l',  'h',  'o',
        's',  't',  0x00, 0x00, 0x23, 0x84, /* 9092 */
        0x00, 0x00, 0x00, 0x01,             /* topics: 1 */
        0x00, 0x00, 0x00, 0x01, 't',        /* err, "t" */
        0x00, 0x00, 0x00, 0x01,             /* partitions */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* replicas [0] */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,       /* isr [0] */
    };
    struct kmsg_metadata_req        *req;
    struct kmsg_metadata_resp        resp;
    struct kmsg_metadata_resp_broker br;
    struct kmsg_metadata_resp_topic  t;
    struct kmsg_metadata_resp_part   p;
    int32_t                          zero = 0;
    arena_t                          a;
    rd_t                             r = rd_init(req_bytes, sizeof req_bytes);
    buf_t                            b = BUF_INIT;

    (void)state;
    arena_init(&a);
    assert_int_equal(kmsg_decode_req(kmsg_api(3), 0, &r, &a, (void **)&req), 0);
    assert_int_equal(req->topics_n, 0);
    assert_true(req->allow_auto_topic_creation); /* default for v0-3 */
    kmsg_defaults(&kmsg_s_metadata_resp, &resp);
    kmsg_defaults(&kmsg_s_metadata_resp_broker, &br);
    kmsg_defaults(&kmsg_s_metadata_resp_topic, &t);
    kmsg_defaults(&kmsg_s_metadata_resp_part, &p);
    br.host = (slice_t){(const uint8_t *)"localhost", 9};
    br.port = 9092;
    t.name = (slice_t){(const uint8_t *)"t", 1};
    p.replica_nodes = &zero;
    p.replica_nodes_n = 1;
    p.isr_nodes = &zero;
    p.isr_nodes_n = 1;
    t.partitions = &p;
    t.partitions_n = 1;
    resp.brokers = &br;
    resp.brokers_n = 1;
    resp.topics = &t;
    resp.topics_n = 1;
    kmsg_encode_buf(&kmsg_s_metadata_resp, 0, false, &resp, &b);
    expect_bytes(&b, want, sizeof want);
    buf_free(&b);
    arena_free(&a);
}

/* Produce v3+ carries a nullable transactional id first; v0-2 do not. */
static void test_golden_produce_v3_vs_v2(void **state)
{
    struct kmsg_produce_req req;
    buf_t                   b = BUF_INIT;
    static const uint8_t    v3[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
                                    0x03, 0xe8, 0x00, 0x00, 0x00, 0x00};

    (void)state;
    kmsg_defaults(&kmsg_s_produce_req, &req);
    req.acks = -1;
    req.timeout_ms = 1000;
    kmsg_encode_buf(&kmsg_s_produce_req, 3, false, &req, &b);
    expect_bytes(&b, v3, sizeof v3);
    buf_reset(&b);
    kmsg_encode_buf(&kmsg_s_produce_req, 2, false, &req, &b);
    expect_bytes(&b, v3 + 2, sizeof v3 - 2);
    buf_free(&b);
}

/* ---- hostile input ------------------------------------------------------- */

static void test_hostile_rows(void **state)
{
    static const struct {
        const char *name;
        int         key;
        int16_t     ver;
        uint8_t     in[16];
        size_t      len;
        int         want;
    } rows[] = {
        /* Metadata v1: topics count 2^31-1 cannot fit: refused before
         * anything is allocated */
        {"huge count", 3, 1, {0x7f, 0xff, 0xff, 0xff}, 4, ERR_SHORT},
        {"negative count", 3, 1, {0xff, 0xff, 0xff, 0xfe}, 4, ERR_MALFORMED},
        {"null topics v0 (not nullable)",
         3,
         0,
         {0xff, 0xff, 0xff, 0xff},
         4,
         ERR_MALFORMED},
        {"null topics v1 (all)", 3, 1, {0xff, 0xff, 0xff, 0xff}, 4, 0},
        /* ApiVersions v3: a compact string length that runs off the end */
        {"compact string past end", 18, 3, {0x10, 'a'}, 2, ERR_SHORT},
        {"varint too long",
         18,
         3,
         {0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         6,
         ERR_MALFORMED},
        /* null client software name (compact 0) is not nullable */
        {"null non-nullable string",
         18,
         3,
         {0x00, 0x01, 0x00},
         3,
         ERR_MALFORMED},
        /* a tag section announcing a field longer than the frame */
        {"tag past end",
         18,
         3,
         {0x01, 0x01, 0x01, 0x05, 0x09, 0x01},
         6,
         ERR_SHORT},
        /* unknown tags are skipped */
        {"unknown tag skipped",
         18,
         3,
         {0x01, 0x01, 0x01, 0x07, 0x01, 0x00},
         6,
         0},
        /* FindCoordinator v0: a string whose int16 length is -2 */
        {"string length -2", 10, 0, {0xff, 0xfe}, 2, ERR_MALFORMED},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        arena_t a;
        void   *obj;
        rd_t    r = rd_init(rows[i].in, rows[i].len);
        int     rc;

        arena_init(&a);
        print_message("row: %s\n", rows[i].name);
        rc = kmsg_decode_req(kmsg_api(rows[i].key), rows[i].ver, &r, &a, &obj);
        assert_int_equal(rc, rows[i].want);
        assert_true(a.total < 4096); /* nothing sized by the peer */
        arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_version_round_trips),
        cmocka_unit_test(test_ranges_and_flexible_versions),
        cmocka_unit_test(test_golden_api_versions_v3),
        cmocka_unit_test(test_golden_api_versions_v3_request),
        cmocka_unit_test(test_golden_metadata_v0),
        cmocka_unit_test(test_golden_produce_v3_vs_v2),
        cmocka_unit_test(test_hostile_rows),
    };

    return cmocka_run_group_tests_name("kmsg", tests, NULL, NULL);
}
