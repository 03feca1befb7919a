/* A small program against Debian's ZooKeeper C client (libzookeeper-mt):
 * create/get/set/exists-watch/multi/delete against odradek-coord.  Built
 * and run by tests/integration/test_coord_cclient.py; prints one line per
 * step and exits non-zero at the first unexpected result. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  cv = PTHREAD_COND_INITIALIZER;
static int             connected, watch_type = -1;
static char            watch_path[256];

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)zh, (void)ctx;
    pthread_mutex_lock(&mu);
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE)
        connected = 1;
    else if (type != ZOO_SESSION_EVENT) {
        watch_type = type;
        snprintf(watch_path, sizeof watch_path, "%s", path);
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("FAIL line %d: ", __LINE__);                                \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    zhandle_t     *zh;
    char           buf[256], name[256];
    int            len = sizeof buf, rc, i;
    struct Stat    st;
    zoo_op_t       ops[3];
    zoo_op_result_t res[3];
    struct timespec ts;

    if (argc < 2)
        return 2;
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zh = zookeeper_init(argv[1], watcher, 10000, NULL, NULL, 0);
    CHECK(zh != NULL, "init");
    pthread_mutex_lock(&mu);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    while (!connected)
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&mu);
    CHECK(connected, "not connected");
    printf("connected session=0x%llx\n", (long long)zoo_client_id(zh)->client_id);

    rc = zoo_create(zh, "/c", "hello", 5, &ZOO_OPEN_ACL_UNSAFE, 0, name, sizeof name);
    CHECK(rc == ZOK && strcmp(name, "/c") == 0, "create rc=%d", rc);
    rc = zoo_create(zh, "/c/seq-", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                    ZOO_EPHEMERAL | ZOO_SEQUENCE, name, sizeof name);
    CHECK(rc == ZOK && strcmp(name, "/c/seq-0000000000") == 0, "seq rc=%d %s", rc, name);
    rc = zoo_get(zh, "/c", 0, buf, &len, &st);
    CHECK(rc == ZOK && len == 5 && memcmp(buf, "hello", 5) == 0 && st.version == 0,
          "get rc=%d", rc);
    rc = zoo_wexists(zh, "/c", watcher, NULL, &st);
    CHECK(rc == ZOK, "wexists rc=%d", rc);
    rc = zoo_set(zh, "/c", "world", 5, 0);
    CHECK(rc == ZOK, "set rc=%d", rc);
    pthread_mutex_lock(&mu);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    while (watch_type < 0)
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&mu);
    CHECK(watch_type == ZOO_CHANGED_EVENT && strcmp(watch_path, "/c") == 0,
          "watch type=%d path=%s", watch_type, watch_path);
    printf("watch fired\n");
    rc = zoo_set(zh, "/c", "x", 1, 0);
    CHECK(rc == ZBADVERSION, "badversion rc=%d", rc);
    rc = zoo_exists(zh, "/missing", 0, &st);
    CHECK(rc == ZNONODE, "nonode rc=%d", rc);

    zoo_create_op_init(&ops[0], "/c/m", "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0, name, sizeof name);
    zoo_set_op_init(&ops[1], "/c", "multi", 5, 1, &st);
    zoo_check_op_init(&ops[2], "/c", 2);
    rc = zoo_multi(zh, 3, ops, res);
    CHECK(rc == ZOK && res[0].err == ZOK && res[1].err == ZOK && res[2].err == ZOK,
          "multi rc=%d", rc);
    zoo_create_op_init(&ops[0], "/c/m2", "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0, name, sizeof name);
    zoo_check_op_init(&ops[1], "/c", 99);
    rc = zoo_multi(zh, 2, ops, res);
    CHECK(rc == ZBADVERSION && res[1].err == ZBADVERSION, "multi fail rc=%d", rc);
    rc = zoo_exists(zh, "/c/m2", 0, &st);
    CHECK(rc == ZNONODE, "rolled back rc=%d", rc);
    printf("multi ok\n");

    {
        struct String_vector sv;

        rc = zoo_get_children(zh, "/c", 0, &sv);
        CHECK(rc == ZOK && sv.count == 2, "children rc=%d count=%d", rc, sv.count);
        deallocate_String_vector(&sv);
    }
    for (i = 0; i < 2; i++) {
        rc = zoo_delete(zh, i == 0 ? "/c/m" : "/c/seq-0000000000", -1);
        CHECK(rc == ZOK, "delete rc=%d", rc);
    }
    rc = zoo_delete(zh, "/c", -1);
    CHECK(rc == ZOK, "delete /c rc=%d", rc);
    zookeeper_close(zh);
    printf("ok\n");
    return 0;
}
