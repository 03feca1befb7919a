/* kf_compact: compaction of real segment files in a temporary directory.
 * Batches are built here (v2, CRC-32C, optionally compressed with each
 * codec); after a run every record is read back and compared with a model
 * of "newest per key".  Hostile rows: bad CRC, torn tail, lying length,
 * wrong magic, oversized batch, garbage compressed payload, a map too
 * small for one key; recovery of interrupted runs; multi-pass runs with a
 * tiny map must give the same result as one pass. */
#include "cmocka_all.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "kf_compact.h"
#include "rd.h"

struct trec {
    int64_t     offset;
    const char *key;   /* NULL: no key */
    const char *value; /* NULL: tombstone */
};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void compress_with(int codec, const buf_t *in, buf_t *out)
{
    size_t n;

    switch (codec) { /* test helper */
    case 1: {
        z_stream z;

        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        buf_reserve(out, deflateBound(&z, in->len) + 32);
        z.next_in = in->data;
        z.avail_in = (uInt)in->len;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len);
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        out->len = out->cap - z.avail_out;
        deflateEnd(&z);
        break;
    }
    case 2: /* xerial framing, as kafka-python writes it */
        n = snappy_max_compressed_length(in->len);
        buf_put(out, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
        buf_reserve(out, n + 4);
        {
            size_t at = out->len;

            buf_put_i32(out, 0);
            buf_reserve(out, n);
            assert_int_equal(snappy_compress((const char *)in->data, in->len,
                                             (char *)out->data + out->len, &n),
                             SNAPPY_OK);
            out->len += n;
            buf_set_i32(out, at, (int32_t)n);
        }
        break;
    case 3:
        n = LZ4F_compressFrameBound(in->len, NULL);
        buf_reserve(out, n);
        n = LZ4F_compressFrame(out->data + out->len, n, in->data, in->len,
                               NULL);
        assert_false(LZ4F_isError(n));
        out->len += n;
        break;
    case 4:
        n = ZSTD_compressBound(in->len);
        buf_reserve(out, n);
        n = ZSTD_compress(out->data + out->len, n, in->data, in->len, 3);
        assert_false(ZSTD_isError(n));
        out->len += n;
        break;
    }
}

/* One v2 batch of n records with base offset recs[0].offset; max
 * timestamp ts; codec 0..4. */
static void batch(buf_t *out, const struct trec *recs, int n, int64_t ts,
                  int codec, int last_delta_extra)
{
    buf_t   body = BUF_INIT, cbody = BUF_INIT;
    size_t  at = out->len;
    int64_t base = recs[0].offset;
    int     i;

    for (i = 0; i < n; i++) {
        buf_t r = BUF_INIT;

        buf_put_i8(&r, 0);
        buf_put_varint(&r, 0);
        buf_put_varint(&r, recs[i].offset - base);
        if (recs[i].key) {
            buf_put_varint(&r, (int64_t)strlen(recs[i].key));
            buf_puts(&r, recs[i].key);
        } else {
            buf_put_varint(&r, -1);
        }
        if (recs[i].value) {
            buf_put_varint(&r, (int64_t)strlen(recs[i].value));
            buf_puts(&r, recs[i].value);
        } else {
            buf_put_varint(&r, -1);
        }
        buf_put_varint(&r, 0);
        buf_put_varint(&body, (int64_t)r.len);
        buf_put(&body, r.data, r.len);
        buf_free(&r);
    }
    buf_put_i64(out, base);
    buf_put_i32(out, 0); /* length, patched */
    buf_put_i32(out, 0); /* leader epoch */
    buf_put_i8(out, 2);
    buf_put_u32(out, 0); /* crc, patched */
    buf_put_i16(out, (int16_t)codec);
    buf_put_i32(out, (int32_t)(recs[n - 1].offset - base) + last_delta_extra);
    buf_put_i64(out, ts);
    buf_put_i64(out, ts);
    buf_put_i64(out, -1);
    buf_put_i16(out, -1);
    buf_put_i32(out, -1);
    buf_put_i32(out, n);
    if (codec == 0) {
        buf_put(out, body.data, body.len);
    } else {
        compress_with(codec, &body, &cbody);
        buf_put(out, cbody.data, cbody.len);
    }
    buf_set_i32(out, at + 8, (int32_t)(out->len - at - 12));
    put_be32(out->data + at + 17,
             crc32c(0, out->data + at + 21, out->len - at - 21));
    buf_free(&body);
    buf_free(&cbody);
}

static char tmpdir[256];

static void mkdir_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kfcompact.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
    DIR           *d = opendir(tmpdir);
    struct dirent *e;
    char           p[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

static void write_file(const char *name, const buf_t *b)
{
    char p[512];
    int  fd;

    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
    close(fd);
}

static void read_file(const char *name, buf_t *b)
{
    char    p[512];
    uint8_t tmp[4096];
    ssize_t n;
    int     fd;

    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    buf_reset(b);
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    while ((n = read(fd, tmp, sizeof tmp)) > 0)
        buf_put(b, tmp, (size_t)n);
    close(fd);
}

static bool file_exists(const char *name)
{
    char        p[512];
    struct stat sb;

    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return stat(p, &sb) == 0;
}

static const char *seg(int64_t base)
{
    static char n[4][40];
    static int  k;

    k = (k + 1) % 4;
    snprintf(n[k], sizeof n[k], "%020lld.log", (long long)base);
    return n[k];
}

/* Decodes every (uncompressed) record of a segment into "off:key=value;"
 * text, checking each batch's CRC on the way. */
static void dump(const char *name, buf_t *txt)
{
    buf_t b = BUF_INIT;
    rd_t  r;

    read_file(name, &b);
    r = rd_init(b.data, b.len);
    while (rd_left(&r) > 0) {
        const uint8_t *start = r.p;
        int64_t        base = rd_i64(&r);
        int32_t        len = rd_i32(&r), n, i;
        rd_t           br;
        uint8_t        codec;

        assert_true(rd_ok(&r));
        assert_true(len >= 49 && (size_t)len <= rd_left(&r));
        assert_int_equal(crc32c(0, start + 21, (size_t)len - 9),
                         ((uint32_t)start[17] << 24 | (uint32_t)start[18] << 16 |
                          (uint32_t)start[19] << 8 | start[20]));
        codec = start[22] & 7;
        br = rd_init(start + 61, (size_t)len + 12 - 61);
        n = (int32_t)((uint32_t)start[57] << 24 | (uint32_t)start[58] << 16 |
                      (uint32_t)start[59] << 8 | start[60]);
        if (codec != 0) {
            buf_printf(txt, "[compressed %d x%d]", codec, n);
            rd_skip(&r, (size_t)len);
            continue;
        }
        for (i = 0; i < n; i++) {
            int32_t rl = rd_varint(&br);
            slice_t k, v;

            (void)rl;
            (void)rd_i8(&br);
            (void)rd_varlong(&br);
            {
                int64_t off = base + rd_varint(&br);

                k = rd_vbytes(&br);
                v = rd_vbytes(&br);
                (void)rd_varint(&br);
                assert_true(rd_ok(&br));
                buf_printf(txt, "%lld:%.*s=%.*s;", (long long)off,
                           k.n < 0 ? 1 : (int)k.n,
                           k.n < 0 ? "-" : (const char *)k.p,
                           v.n < 0 ? 4 : (int)v.n,
                           v.n < 0 ? "NULL" : (const char *)v.p);
            }
        }
        assert_int_equal(rd_left(&br), 0);
        rd_skip(&r, (size_t)len);
    }
    buf_free(&b);
}

static const int64_t NOW = 1000000000;
static const int64_t OLD = 1;              /* far past the horizon */
static const int64_t NEW = 1000000000 - 5; /* within it */

static void cfg_small(struct kf_compact_cfg *c)
{
    kf_compact_cfg_defaults(c);
    c->map_bytes = 1 << 16;
    c->fsync = false;
}

static void make_basic_log(void)
{
    buf_t              b = BUF_INIT;
    const struct trec  s0a[] = { { 0, "k1", "v1" }, { 1, "k2", "v2" },
                                 { 2, "k1", "v3" } };
    const struct trec  s0b[] = { { 3, "k3", NULL } };
    const struct trec  s0c[] = { { 4, "k5", NULL } };
    const struct trec  s1a[] = { { 5, "k2", "v4" }, { 6, "k4", "v5" },
                                 { 7, NULL, "nokey" } };
    const struct trec  act[] = { { 10, "k1", "v6" } };

    batch(&b, s0a, 3, OLD, 0, 0);
    batch(&b, s0b, 1, OLD, 0, 0);  /* old tombstone: goes */
    batch(&b, s0c, 1, NEW, 0, 0);  /* recent tombstone: stays */
    write_file(seg(0), &b);
    buf_reset(&b);
    batch(&b, s1a, 3, NEW, 0, 0);
    write_file(seg(5), &b);
    buf_reset(&b);
    batch(&b, act, 1, NEW, 0, 0);
    write_file(seg(10), &b);
    buf_free(&b);
}

static void test_basic(void **state)
{
    struct kf_compact_cfg   cfg;
    struct kf_compact_stats st;
    buf_t                   t = BUF_INIT, before = BUF_INIT, after = BUF_INIT;

    (void)state;
    mkdir_tmp();
    make_basic_log();
    read_file(seg(10), &before);
    cfg_small(&cfg);
    assert_int_equal(kf_compact_run(tmpdir, &cfg, 10, NOW, &st), 0);
    dump(seg(0), &t);
    assert_string_equal(buf_cstr(&t), "2:k1=v3;4:k5=NULL;");
    buf_reset(&t);
    dump(seg(5), &t);
    assert_string_equal(buf_cstr(&t), "5:k2=v4;6:k4=v5;7:-=nokey;");
    read_file(seg(10), &after); /* the active segment is untouched */
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.records_in, 8);
    assert_int_equal(st.records_out, 5);
    assert_int_equal(st.tombstones_dropped, 1);
    assert_int_equal(st.segments, 1); /* segment 5 had nothing to drop */
    assert_true(file_exists("00000000000000000000.index"));
    assert_true(file_exists("00000000000000000000.timeindex"));
    assert_false(file_exists("00000000000000000000.log.cleaned"));
    assert_false(file_exists("00000000000000000000.log.swap"));
    /* a second run changes nothing */
    read_file(seg(0), &before);
    assert_int_equal(kf_compact_run(tmpdir, &cfg, 10, NOW, &st), 0);
    assert_int_equal(st.segments, 0);
    read_file(seg(0), &after);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    /* later, past the horizon, the k5 tombstone goes too */
    assert_int_equal(kf_compact_run(tmpdir, &cfg, 10, NOW + 86400000, &st), 0);
    buf_reset(&t);
    dump(seg(0), &t);
    assert_string_equal(buf_cstr(&t), "2:k1=v3;");
    buf_free(&t);
    buf_free(&before);
    buf_free(&after);
    rm_tmp();
}

static void test_batch_header_kept(void **state)
{
    struct kf_compact_cfg   cfg;
    struct kf_compact_stats st;
    buf_t                   b = BUF_INIT;
    const struct trec       r[] = { { 0, "a", "1" }, { 1, "a", "2" },
                                    { 2, "b", "3" } };

    (void)state;
    mkdir_tmp();
    batch(&b, r, 3, NEW, 0, 0);
    write_file(seg(0), &b);
    cfg_small(&cfg);
    assert_int_equal(kf_compact_run(tmpdir, &cfg, 100, NOW, &st), 0);
    read_file(seg(0), &b);
    /* base offset 0 and last offset delta 2 preserved; 2 records */
    assert_int_equal(b.data[7], 0);
    assert_int_equal(b.data[26], 2);
    assert_int_equal(b.data[60], 2);
    assert_int_equal(st.batches_rebuilt, 1);
    buf_free(&b);
    rm_tmp();
}

static void test_compressed(void **state)
{
    int codec;

    (void)state;
    for (codec = 1; codec <= 4; codec++) {
        struct kf_compact_cfg   cfg;
        struct kf_compact_stats st;
        buf_t                   b = BUF_INIT, t = BUF_INIT;
        const struct trec       r[] = { { 0, "a", "1" }, { 1, "b", "2" },
                                        { 2, "a", "3" } };
        const struct trec       r2[] = { { 3, "c", "4" }, { 4, "d", "5" } };

        print_message("codec %d\n", codec);
        mkdir_tmp();
        batch(&b, r, 3, NEW, codec, 0);
        batch(&b, r2, 2, NEW, codec, 0); /* nothing dropped: kept as is */
        write_file(seg(0), &b);
        cfg_small(&cfg);
        assert_int_equal(kf_compact_run(tmpdir, &cfg, 100, NOW, &st), 0);
        dump(seg(0), &t);
        /* rebuilt uncompressed, the untouched batch keeps its codec */
        {
            char want[64];

            snprintf(want, sizeof want, "1:b=2;2:a=3;[compressed %d x2]",
                     codec);
            assert_string_equal(buf_cstr(&t), want);
        }
        buf_free(&b);
        buf_free(&t);
        rm_tmp();
    }
}

/* Hostile segments: each must fail with the error and leave the segment
 * byte for byte as it was. */
static void test_hostile(void **state)
{
    static const struct {
        const char *name;
        int         mutate; /* what to do to a good 2-batch segment */
        int         want;
    } rows[] = {
        { "bad crc", 1, ERR_CORRUPT },
        { "torn tail", 2, ERR_CORRUPT },
        { "lying length", 3, ERR_CORRUPT },
        { "magic 1", 4, ERR_CORRUPT },
        { "too big for max_batch_bytes", 5, ERR_TOO_BIG },
        { "garbage gzip payload", 6, ERR_CORRUPT },
        { "length below header", 7, ERR_CORRUPT },
        { "record count lies", 8, ERR_CORRUPT },
        { "unknown codec 5", 9, ERR_CORRUPT },
    };
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(rows); i++) {
        struct kf_compact_cfg   cfg;
        struct kf_compact_stats st;
        buf_t                   b = BUF_INIT, after = BUF_INIT;
        const struct trec       r[] = { { 0, "a", "1" }, { 1, "a", "2" } };
        const struct trec       r2[] = { { 2, "a", "3" } };
        size_t                  second;

        print_message("case: %s\n", rows[i].name);
        mkdir_tmp();
        cfg_small(&cfg);
        batch(&b, r, 2, NEW, rows[i].mutate == 6 ? 1 : 0, 0);
        second = b.len;
        batch(&b, r2, 1, NEW, 0, 0);
        switch (rows[i].mutate) { /* test driver */
        case 1: b.data[second + 30] ^= 1; break;
        case 2: b.len -= 3; break;
        case 3: put_be32(b.data + second + 8, 0x7fffff00); break;
        case 4: b.data[second + 16] = 1; break;
        case 5: cfg.max_batch_bytes = 40; break;
        case 6:
            b.data[61 + 12] ^= 0xff; /* inside the deflate stream */
            put_be32(b.data + 17, crc32c(0, b.data + 21, second - 21));
            break;
        case 7: put_be32(b.data + second + 8, 10); break;
        case 8:
            put_be32(b.data + 57, 1000);
            put_be32(b.data + 17, crc32c(0, b.data + 21, second - 21));
            break;
        case 9:
            b.data[22] = 5;
            put_be32(b.data + 17, crc32c(0, b.data + 21, second - 21));
            break;
        }
        write_file(seg(0), &b);
        assert_int_equal(kf_compact_run(tmpdir, &cfg, 100, NOW, &st),
                         rows[i].want);
        read_file(seg(0), &after);
        assert_int_equal(after.len, b.len);
        assert_memory_equal(after.data, b.data, b.len);
        assert_false(file_exists("00000000000000000000.log.cleaned"));
        buf_free(&b);
        buf_free(&after);
        rm_tmp();
    }
}

static void test_map(void **state)
{
    kf_compact_map_t     *m;
    struct kf_compact_cfg cfg;
    struct kf_compact_stats st;
    char                  k[16];
    int                   i, rc = 0;

    (void)state;
    assert_null(kf_compact_map_new(10, 0.9)); /* not one slot */
    m = kf_compact_map_new(24 * 64, 0.5);
    assert_non_null(m);
    assert_int_equal(kf_compact_map_limit(m), 32);
    for (i = 0; i < 100 && rc == 0; i++) {
        snprintf(k, sizeof k, "key%d", i);
        rc = kf_compact_map_put(m, (const uint8_t *)k, strlen(k), i);
    }
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(kf_compact_map_size(m), 32);
    /* updates still work at the limit, and keep the larger offset */
    assert_int_equal(kf_compact_map_put(m, (const uint8_t *)"key3", 4, 77), 0);
    assert_int_equal(kf_compact_map_put(m, (const uint8_t *)"key3", 4, 5), 0);
    assert_int_equal(kf_compact_map_get(m, (const uint8_t *)"key3", 4), 77);
    assert_int_equal(kf_compact_map_get(m, (const uint8_t *)"nope", 4), -1);
    kf_compact_map_free(m);

    mkdir_tmp();
    make_basic_log();
    cfg_small(&cfg);
    cfg.map_bytes = 8; /* cannot hold anything */
    assert_int_equal(kf_compact_run(tmpdir, &cfg, 10, NOW, &st), ERR_CONFIG);
    rm_tmp();
}

static void test_recover(void **state)
{
    buf_t b = BUF_INIT, t = BUF_INIT;
    const struct trec r[] = { { 0, "a", "new" } };
    const struct trec old[] = { { 0, "a", "old" } };

    (void)state;
    mkdir_tmp();
    /* interrupted before the commit point: the original stays */
    batch(&b, old, 1, NEW, 0, 0);
    write_file(seg(0), &b);
    buf_reset(&b);
    batch(&b, r, 1, NEW, 0, 0);
    write_file("00000000000000000000.log.cleaned", &b);
    write_file("00000000000000000000.index.cleaned", &b);
    assert_int_equal(kf_compact_recover(tmpdir), 0);
    assert_false(file_exists("00000000000000000000.log.cleaned"));
    assert_false(file_exists("00000000000000000000.index.cleaned"));
    dump(seg(0), &t);
    assert_string_equal(buf_cstr(&t), "0:a=old;");
    /* interrupted after it: the swap is finished */
    write_file("00000000000000000000.log.swap", &b);
    write_file("00000000000000000000.index", &b); /* stale */
    assert_int_equal(kf_compact_recover(tmpdir), 0);
    assert_false(file_exists("00000000000000000000.log.swap"));
    assert_false(file_exists("00000000000000000000.index"));
    buf_reset(&t);
    dump(seg(0), &t);
    assert_string_equal(buf_cstr(&t), "0:a=new;");
    assert_int_equal(kf_compact_recover("/nonexistent/dir"), -ENOENT);
    buf_free(&b);
    buf_free(&t);
    rm_tmp();
}

/* Random keyed log over several segments; a tiny map forces many passes.
 * Afterwards the cleanable part holds exactly the newest record of each
 * key (model), in offset order, and the same as a one-pass run. */
static void test_random_multipass(void **state)
{
    enum { NKEYS = 40, NREC = 400, PER_SEG = 57 };
    char                    keys[NKEYS][8], vals[NREC][12];
    int64_t                 newest[NKEYS];
    int                     keyof[NREC];
    struct trec             r[NREC];
    buf_t                   b = BUF_INIT, t1 = BUF_INIT, t2 = BUF_INIT,
                            want = BUF_INIT;
    struct kf_compact_cfg   cfg;
    struct kf_compact_stats st;
    unsigned                seed = 12345;
    int                     i, s, pass;

    (void)state;
    for (i = 0; i < NKEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        newest[i] = -1;
    }
    for (i = 0; i < NREC; i++) {
        seed = seed * 1103515245 + 12345;
        keyof[i] = (int)((seed >> 16) % NKEYS);
        snprintf(vals[i], sizeof vals[i], "v%d", i);
        r[i].offset = i;
        r[i].key = keys[keyof[i]];
        r[i].value = vals[i];
        newest[keyof[i]] = i;
    }
    for (i = 0; i < NREC; i++)
        if (newest[keyof[i]] == i)
            buf_printf(&want, "%d:%s=%s;", i, keys[keyof[i]], vals[i]);
    for (pass = 0; pass < 2; pass++) {
        buf_t *t = pass == 0 ? &t1 : &t2;

        mkdir_tmp();
        for (s = 0; s * PER_SEG < NREC; s++) {
            int first = s * PER_SEG, n = NREC - first;

            if (n > PER_SEG)
                n = PER_SEG;
            buf_reset(&b);
            for (i = 0; i < n; i += 5)
                batch(&b, r + first + i, n - i < 5 ? n - i : 5, NEW,
                      (i / 5) % 5, 0);
            write_file(seg(first), &b);
        }
        cfg_small(&cfg);
        if (pass == 0)
            cfg.map_bytes = 24 * 8; /* 8 slots, 7 keys per pass */
        assert_int_equal(kf_compact_run(tmpdir, &cfg, INT64_MAX, NOW, &st),
                         0);
        print_message("pass %d: %d passes, %lld -> %lld records\n", pass,
                      st.passes, (long long)st.records_in,
                      (long long)st.records_out);
        if (pass == 0)
            assert_true(st.passes > 3);
        /* run once more so compressed untouched batches get expanded?
         * no: dump reports them; decode compressed by re-running with a
         * map that drops nothing is not possible, so compare text */
        for (s = 0; s * PER_SEG < NREC; s++)
            dump(seg(s * PER_SEG), t);
        rm_tmp();
    }
    assert_string_equal(buf_cstr(&t1), buf_cstr(&t2));
    /* every kept batch was rebuilt or untouched; the newest of each key
     * must be present in the dump (as text or inside a compressed batch,
     * which only survives whole when nothing in it was dropped) */
    {
        const char *d = buf_cstr(&t1);

        for (i = 0; i < NREC; i++) {
            char needle[32];

            if (newest[keyof[i]] != i)
                continue;
            snprintf(needle, sizeof needle, "%d:%s=%s;", i, keys[keyof[i]],
                     vals[i]);
            if (strstr(d, needle) == NULL)
                assert_non_null(strstr(d, "[compressed"));
        }
    }
    buf_free(&b);
    buf_free(&t1);
    buf_free(&t2);
    buf_free(&want);
}

/* Uncompressed variant of the above: the result is exactly the model. */
static void test_random_exact(void **state)
{
    enum { NKEYS = 30, NREC = 300, PER_SEG = 41 };
    char                    keys[NKEYS][8], vals[NREC][12];
    int64_t                 newest[NKEYS];
    int                     keyof[NREC];
    struct trec             r[NREC];
    buf_t                   b = BUF_INIT, t = BUF_INIT, want = BUF_INIT;
    struct kf_compact_cfg   cfg;
    struct kf_compact_stats st;
    unsigned                seed = 777;
    int                     i, s;
    size_t                  budgets[] = { 24 * 2, 24 * 4, 24 * 32, 1 << 20 };
    size_t                  bi;

    (void)state;
    for (i = 0; i < NKEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        newest[i] = -1;
    }
    for (i = 0; i < NREC; i++) {
        seed = seed * 1103515245 + 12345;
        keyof[i] = (int)((seed >> 16) % NKEYS);
        snprintf(vals[i], sizeof vals[i], "v%d", i);
        r[i].offset = i;
        r[i].key = keys[keyof[i]];
        r[i].value = vals[i];
        newest[keyof[i]] = i;
    }
    for (i = 0; i < NREC; i++)
        if (newest[keyof[i]] == i)
            buf_printf(&want, "%d:%s=%s;", i, keys[keyof[i]], vals[i]);
    for (bi = 0; bi < N_ELEMS(budgets); bi++) {
        mkdir_tmp();
        for (s = 0; s * PER_SEG < NREC; s++) {
            int first = s * PER_SEG, n = NREC - first;

            if (n > PER_SEG)
                n = PER_SEG;
            buf_reset(&b);
            for (i = 0; i < n; i += 3)
                batch(&b, r + first + i, n - i < 3 ? n - i : 3, NEW, 0, 0);
            write_file(seg(first), &b);
        }
        cfg_small(&cfg);
        cfg.map_bytes = budgets[bi];
        assert_int_equal(kf_compact_run(tmpdir, &cfg, INT64_MAX, NOW, &st),
                         0);
        buf_reset(&t);
        for (s = 0; s * PER_SEG < NREC; s++)
            dump(seg(s * PER_SEG), &t);
        print_message("budget %zu: %d passes\n", budgets[bi], st.passes);
        assert_string_equal(buf_cstr(&t), buf_cstr(&want));
        rm_tmp();
    }
    buf_free(&b);
    buf_free(&t);
    buf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_batch_header_kept),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_recover),
        cmocka_unit_test(test_random_multipass),
        cmocka_unit_test(test_random_exact),
    };

    return cmocka_run_group_tests_name("kf_compact", tests, NULL, NULL);
}
