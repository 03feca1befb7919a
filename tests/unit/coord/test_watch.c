/* Unit tests for daemon/coord/zk_watch: which watches an event fires
 * (ZooKeeper 3.8's WatchManager rules), one-shot removal, dedupe per
 * owner, persistent and recursive watches, removal by owner and type. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "zk_jute.h"
#include "zk_watch.h"

struct owner {
    struct zk_watch *list;
    int              fired;
    int32_t          last_type;
    char             last_path[64];
};

static void fire(void *o, int32_t type, const char *path, size_t len, void *arg)
{
    struct owner *w = o;

    (void)arg;
    w->fired++;
    w->last_type = type;
    memcpy(w->last_path, path, len);
    w->last_path[len] = 0;
}

#define ADD(w, o, kind, p) zk_watch_add(w, &(o), &(o).list, kind, p, strlen(p))
#define TRIG(w, type, p) zk_watch_trigger(w, type, p, strlen(p), fire, NULL)

static void test_one_shot_rules(void **state)
{
    zk_watches_t w;
    struct owner a = { 0 }, b = { 0 };

    (void)state;
    zk_watch_init(&w);
    ADD(&w, a, ZK_WATCH_DATA, "/x");
    ADD(&w, a, ZK_WATCH_DATA, "/x");     /* twice = one watch */
    ADD(&w, b, ZK_WATCH_CHILD, "/x");
    assert_int_equal(w.nwatches, 2);
    /* children changed: only the child watch */
    assert_int_equal(TRIG(&w, ZK_EVENT_CHILDREN_CHANGED, "/x"), 1);
    assert_int_equal(b.fired, 1);
    assert_int_equal(a.fired, 0);
    assert_int_equal(TRIG(&w, ZK_EVENT_CHILDREN_CHANGED, "/x"), 0); /* one-shot */
    /* data changed fires a's data watch once */
    assert_int_equal(TRIG(&w, ZK_EVENT_DATA_CHANGED, "/x"), 1);
    assert_int_equal(TRIG(&w, ZK_EVENT_DATA_CHANGED, "/x"), 0);
    assert_int_equal(w.nwatches, 0);
    assert_int_equal(w.npaths, 0);
    /* deleted fires both kinds but notifies an owner once */
    ADD(&w, a, ZK_WATCH_DATA, "/y");
    ADD(&w, a, ZK_WATCH_CHILD, "/y");
    assert_int_equal(TRIG(&w, ZK_EVENT_DELETED, "/y"), 1);
    assert_int_equal(a.fired, 2);
    assert_int_equal(a.last_type, ZK_EVENT_DELETED);
    assert_int_equal(w.nwatches, 0);
    zk_watch_free(&w);
}

static void test_persistent_and_recursive(void **state)
{
    zk_watches_t w;
    struct owner p = { 0 }, r = { 0 };

    (void)state;
    zk_watch_init(&w);
    ADD(&w, p, ZK_WATCH_PERSISTENT, "/q");
    ADD(&w, r, ZK_WATCH_RECURSIVE, "/a");
    TRIG(&w, ZK_EVENT_DATA_CHANGED, "/q");
    TRIG(&w, ZK_EVENT_DATA_CHANGED, "/q");
    TRIG(&w, ZK_EVENT_CHILDREN_CHANGED, "/q");
    assert_int_equal(p.fired, 3);            /* not removed, all types */
    TRIG(&w, ZK_EVENT_CREATED, "/a/b/c");
    assert_int_equal(r.fired, 1);
    assert_string_equal(r.last_path, "/a/b/c");
    TRIG(&w, ZK_EVENT_CHILDREN_CHANGED, "/a/b"); /* recursive: no child events */
    assert_int_equal(r.fired, 1);
    TRIG(&w, ZK_EVENT_DATA_CHANGED, "/a");
    assert_int_equal(r.fired, 2);
    TRIG(&w, ZK_EVENT_DATA_CHANGED, "/ab");    /* a sibling prefix is not a child */
    assert_int_equal(r.fired, 2);
    /* root recursive watch sees everything */
    ADD(&w, p, ZK_WATCH_RECURSIVE, "/");
    TRIG(&w, ZK_EVENT_DELETED, "/z");
    assert_int_equal(p.fired, 4);
    zk_watch_free(&w);
}

static void test_remove_and_owner_drop(void **state)
{
    zk_watches_t w;
    struct owner a = { 0 }, b = { 0 };

    (void)state;
    zk_watch_init(&w);
    ADD(&w, a, ZK_WATCH_DATA, "/r");
    ADD(&w, a, ZK_WATCH_CHILD, "/r");
    ADD(&w, a, ZK_WATCH_PERSISTENT, "/r");
    ADD(&w, b, ZK_WATCH_DATA, "/r");
    assert_int_equal(zk_watch_remove(&w, &a.list, "/r", 2, ZK_WTYPE_CHILDREN, true), 1);
    assert_int_equal(w.nwatches, 4);         /* dry run */
    assert_int_equal(zk_watch_remove(&w, &a.list, "/r", 2, ZK_WTYPE_CHILDREN, false), 1);
    assert_int_equal(zk_watch_remove(&w, &a.list, "/r", 2, ZK_WTYPE_CHILDREN, false), 0);
    assert_true(zk_watch_has(&w, &a, ZK_WATCH_DATA, "/r", 2));
    assert_int_equal(zk_watch_remove(&w, &a.list, "/r", 2, ZK_WTYPE_ANY, false), 2);
    assert_null(a.list);
    assert_int_equal(w.nwatches, 1);
    for (int i = 0; i < 1000; i++) {         /* growth of the path table */
        char p[32];

        snprintf(p, sizeof p, "/many/%d", i);
        ADD(&w, b, ZK_WATCH_DATA, p);
    }
    assert_int_equal(w.npaths, 1001);
    zk_watch_drop_owner(&w, &b.list);
    assert_int_equal(w.nwatches, 0);
    assert_int_equal(w.npaths, 0);
    zk_watch_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shot_rules),
        cmocka_unit_test(test_persistent_and_recursive),
        cmocka_unit_test(test_remove_and_owner_drop),
    };

    return cmocka_run_group_tests_name("zk_watch", tests, NULL, NULL);
}
