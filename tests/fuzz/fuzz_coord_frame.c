/* Fuzz the coord's state machine through its frame decoder: the input is
 * a stream of frames (int16 length + int16 op + body) decoded as requests
 * and executed against one tree, as an untrusted session would (digest
 * identity, ACL checks on), with writes at increasing zxids.  After each
 * request the tree's invariants must hold: the hash counts every node the
 * pre-order walk reaches; a snapshot of the final state parses back to the
 * same count. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "rd.h"
#include "zk_snap.h"
#include "zk_tree.h"

static void count(const struct zk_node *n, void *arg)
{
    (void)n;
    (*(uint32_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zk_tree_t      t, t2;
    arena_t        a = { 0 };
    buf_t          out = BUF_INIT, snap = BUF_INIT;
    struct zk_auth auth = { 0 };
    rd_t           in = rd_init(data, size);
    int64_t        zxid = 0, snap_zxid;
    uint32_t       n;
    uint8_t        pw[16] = { 0 };

    zk_tree_init(&t);
    t.extended_types = true;
    zk_tree_restore_session(&t, 7, 10000, pw);
    zk_acl_auth_add(&auth, "ip", "127.0.0.1");
    zk_acl_auth_add(&auth, "digest", "u:h");
    while (rd_left(&in) >= 4) {
        uint16_t       len = rd_u16(&in);
        int16_t        type = rd_i16(&in);
        size_t         take = len <= rd_left(&in) ? len : rd_left(&in);
        const uint8_t *p = rd_raw(&in, take);
        struct zk_req  q;
        struct zk_txn  tx;
        rd_t           r;

        if (p == NULL)
            break;
        r = rd_init(p, take);
        memset(&q, 0, sizeof q);
        q.type = type;
        arena_reset(&a);
        if (zk_jute_req_decode(&r, &q, &a) != 0)
            continue;
        if (type == ZK_OP_CREATE_SESSION || type == ZK_OP_CLOSE_SESSION)
            continue; /* sessions come from the server, not the wire */
        tx.zxid = zk_jute_op_is_write(type) ? ++zxid : 0;
        tx.time = 1000 + zxid;
        tx.session = 7;
        tx.req = &q;
        buf_reset(&out);
        (void)zk_tree_exec(&t, &tx, &auth, &a, &out);
        zk_tree_events_clear(&t);
        n = 0;
        zk_tree_walk(&t, count, &n);
        FUZZ_CHECK(n == t.nnodes + 1);
    }
    zk_snap_serialize(&t, &snap);
    zk_tree_init(&t2);
    FUZZ_CHECK(zk_snap_parse(&t2, snap.data, snap.len, &snap_zxid) == 0);
    FUZZ_CHECK(t2.nnodes == t.nnodes && t2.nsess == t.nsess);
    zk_tree_free(&t2);
    zk_tree_free(&t);
    zk_acl_auth_free(&auth);
    buf_free(&out);
    buf_free(&snap);
    arena_free(&a);
    return 0;
}
