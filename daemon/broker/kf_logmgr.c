/* kf_logmgr: every partition log of this broker across log.dirs (see the
 * log manager part of kf_log.h).  It owns: the log dirs (.lock,
 * meta.properties, the offset checkpoints, the clean-shutdown marker),
 * discovery of partition directories at start, creation and deletion of
 * partitions, the (topic, partition) -> log table, and the timers that
 * drive retention, time-based flushes and checkpoints.  It does not own
 * what a log does (kf_log) nor topic configuration (the topic registry
 * calls kf_log_set_config).
 *
 * Start-up recovery runs on the thread pool, before anything is served:
 * the loop thread locks the dirs, reads meta.properties and the
 * checkpoints and lists the partition directories; then each partition
 * is recovered by kf_log_open_blocking (scan, truncate, rebuild indexes)
 * in num.recovery.threads.per.data.dir pool jobs per log dir (Kafka's
 * meaning of that key), each taking the dir's next partition until none
 * is left, while kf_logmgr_open runs the loop until the last job is done; then, on the loop again, the logs are
 * attached and the clean-shutdown markers removed. */
#include "kf_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "kf_ckpt.h"
#include "kf_compact.h"
#include "props.h"
#include "xalloc.h"

#define CLEAN_MARKER ".kafka_cleanshutdown"
#define CK_RECOVERY "recovery-point-offset-checkpoint"
#define CK_START "log-start-offset-checkpoint"
#define CK_REPL "replication-offset-checkpoint"
#define CK_CLEANER "cleaner-offset-checkpoint"
#define NCKPT 4
#define TOPIC_MAX 249

struct mgr_dir {
    char *path;
    int   lock_fd;
    bool  clean;
    int   nparts;
};

struct mgr_entry {
    struct mgr_entry *next;
    kf_log_t         *log;
    int               dir;
};

struct ck_row { /* a checkpoint entry read at start */
    char   *topic;
    int32_t partition;
    int64_t offset;
};

struct ck_set {
    struct ck_row *rows;
    int            n;
};

struct kf_logmgr {
    uv_loop_t              *loop;
    struct kf_logmgr_config cfg;
    struct mgr_dir         *dirs;
    int                     ndirs;
    struct mgr_entry      **buckets;
    size_t                  nbuckets, n;
    char                    cluster_id[64];
    char                    cluster_id_open[64]; /* from meta.properties */
    uv_timer_t              t_retain, t_flush, t_ckpt, t_clean;
    int                     handles; /* timers still open */
    bool                    closing;
    bool                    ckpt_running;
    int                     closing_logs;
    int                     close_status;
    void (*done)(void *arg);
    void            *done_arg;
    struct ckpt_job *final; /* written when all logs closed */
};

/* ---- table -------------------------------------------------------------- */

static size_t key_hash(const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ull;

    for (; *topic; topic++)
        h = (h ^ (uint8_t)*topic) * 1099511628211ull;
    h = (h ^ (uint32_t)partition) * 1099511628211ull;
    return (size_t)h;
}

static struct mgr_entry **slot_of(kf_logmgr_t *m, const char *topic,
                                  int32_t partition)
{
    struct mgr_entry **pp =
        &m->buckets[key_hash(topic, partition) & (m->nbuckets - 1)];

    while (*pp != NULL && !(kf_log_partition((*pp)->log) == partition &&
                            strcmp(kf_log_topic((*pp)->log), topic) == 0))
        pp = &(*pp)->next;
    return pp;
}

static void table_grow(kf_logmgr_t *m)
{
    struct mgr_entry **old = m->buckets;
    size_t             oldn = m->nbuckets, i;

    m->nbuckets = oldn ? oldn * 2 : 64;
    m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
    for (i = 0; i < oldn; i++) {
        struct mgr_entry *e = old[i], *next;

        for (; e != NULL; e = next) {
            size_t b =
                key_hash(kf_log_topic(e->log), kf_log_partition(e->log)) &
                (m->nbuckets - 1);

            next = e->next;
            e->next = m->buckets[b];
            m->buckets[b] = e;
        }
    }
    free(old);
}

static void table_add(kf_logmgr_t *m, kf_log_t *l, int dir)
{
    struct mgr_entry  *e = xcalloc(1, sizeof *e);
    struct mgr_entry **pp;

    if (m->n + 1 > m->nbuckets)
        table_grow(m);
    pp = slot_of(m, kf_log_topic(l), kf_log_partition(l));
    e->log = l;
    e->dir = dir;
    *pp = e;
    m->n++;
    m->dirs[dir].nparts++;
}

kf_log_t *kf_logmgr_get(kf_logmgr_t *m, const char *topic, int32_t partition)
{
    struct mgr_entry *e;

    if (m->nbuckets == 0)
        return NULL;
    e = *slot_of(m, topic, partition);
    return e ? e->log : NULL;
}

void kf_logmgr_foreach(kf_logmgr_t *m, int (*fn)(void *arg, kf_log_t *l),
                       void        *arg)
{
    size_t i;

    for (i = 0; i < m->nbuckets; i++) {
        struct mgr_entry *e, *next;

        for (e = m->buckets[i]; e != NULL; e = next) {
            next = e->next;
            if (fn(arg, e->log) != 0)
                return;
        }
    }
}

int kf_logmgr_count(const kf_logmgr_t *m)
{
    return (int)m->n;
}
int kf_logmgr_ndirs(const kf_logmgr_t *m)
{
    return m->ndirs;
}
const char *kf_logmgr_dir(const kf_logmgr_t *m, int i)
{
    return i >= 0 && i < m->ndirs ? m->dirs[i].path : NULL;
}
const char *kf_logmgr_cluster_id(const kf_logmgr_t *m)
{
    return m->cluster_id;
}
const char *kf_logmgr_cluster_id_at_open(const kf_logmgr_t *m)
{
    return m->cluster_id_open;
}

/* ---- names -------------------------------------------------------------- */

static bool topic_valid(const char *t)
{
    size_t n = strlen(t), i;

    if (n == 0 || n > TOPIC_MAX || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
        return false;
    for (i = 0; i < n; i++) {
        char c = t[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* "<topic>-<partition>" -> topic (malloc'd) and partition; false if the
 * name is not a partition directory (e.g. "t-0.<uuid>-delete"). */
static bool split_dirname(const char *name, char **topic, int32_t *partition)
{
    const char *dash = strrchr(name, '-');
    char       *end;
    long        p;

    if (dash == NULL || dash == name || dash[1] < '0' || dash[1] > '9')
        return false;
    errno = 0;
    p = strtol(dash + 1, &end, 10);
    if (*end != '\0' || errno != 0 || p < 0 || p > INT32_MAX)
        return false;
    *topic = xstrndup(name, (size_t)(dash - name));
    if (!topic_valid(*topic)) {
        free(*topic);
        return false;
    }
    *partition = (int32_t)p;
    return true;
}

/* ---- checkpoints read at start ----------------------------------------- */

static int ck_row_add(void *arg, char *const *cols)
{
    struct ck_set *s = arg;
    char          *e1, *e2;
    long long      p = strtoll(cols[1], &e1, 10);
    long long      off = strtoll(cols[2], &e2, 10);

    if (*e1 != '\0' || *e2 != '\0' || p < 0 || p > INT32_MAX || off < 0)
        return ERR_MALFORMED;
    s->rows = xrealloc(s->rows, (size_t)(s->n + 1) * sizeof *s->rows);
    s->rows[s->n].topic = xstrdup(cols[0]);
    s->rows[s->n].partition = (int32_t)p;
    s->rows[s->n].offset = off;
    s->n++;
    return 0;
}

static void ck_set_free(struct ck_set *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        free(s->rows[i].topic);
    free(s->rows);
    s->rows = NULL;
    s->n = 0;
}

static void ck_set_read(struct ck_set *s, const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);

    if (kf_ckpt_read(p, 3, ck_row_add, s) < 0)
        ck_set_free(s); /* damaged: as if absent (full recovery) */
    free(p);
}

static int64_t ck_lookup(const struct ck_set *s, const char *topic,
                         int32_t partition)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (s->rows[i].partition == partition &&
            strcmp(s->rows[i].topic, topic) == 0)
            return s->rows[i].offset;
    return -1;
}

/* ---- checkpoints written ------------------------------------------------ */

struct ckpt_file {
    char *path;
    buf_t rows;
    int   nrows;
};

struct ckpt_job {
    uv_work_t         req;
    kf_logmgr_t      *m;
    struct ckpt_file *files;
    int               nfiles;
    char            **markers; /* clean-shutdown markers to create */
    int               nmarkers;
    int               status;
};

struct ck_collect {
    kf_logmgr_t     *m;
    struct ckpt_job *j;
    bool             final;
};

static int ck_collect_one(void *arg, kf_log_t *l)
{
    struct ck_collect *c = arg;
    struct mgr_entry  *e = *slot_of(c->m, kf_log_topic(l), kf_log_partition(l));
    struct ckpt_file  *f = &c->j->files[e->dir * NCKPT];
    const char        *t = kf_log_topic(l);
    int32_t            p = kf_log_partition(l);

    buf_printf(&f[0].rows, "%s %" PRId32 " %" PRId64 "\n", t, p,
               c->final ? kf_log_end(l) : kf_log_flushed(l));
    f[0].nrows++;
    if (kf_log_start(l) > 0) { /* Kafka writes only starts > 0 */
        buf_printf(&f[1].rows, "%s %" PRId32 " %" PRId64 "\n", t, p,
                   kf_log_start(l));
        f[1].nrows++;
    }
    buf_printf(&f[2].rows, "%s %" PRId32 " %" PRId64 "\n", t, p, kf_log_hw(l));
    f[2].nrows++;
    return 0;
}

static struct ckpt_job *ckpt_collect(kf_logmgr_t *m, bool final)
{
    static const char *const names[NCKPT] = {CK_RECOVERY, CK_START, CK_REPL,
                                             CK_CLEANER};
    struct ckpt_job         *j = xcalloc(1, sizeof *j);
    struct ck_collect        c = {m, j, final};
    int                      d, k;

    j->m = m;
    j->req.data = j;
    j->nfiles = m->ndirs * NCKPT;
    j->files = xcalloc((size_t)j->nfiles, sizeof *j->files);
    for (d = 0; d < m->ndirs; d++)
        for (k = 0; k < NCKPT; k++)
            j->files[d * NCKPT + k].path =
                xasprintf("%s/%s", m->dirs[d].path, names[k]);
    kf_logmgr_foreach(m, ck_collect_one, &c);
    return j;
}

static void ckpt_work(uv_work_t *req)
{
    struct ckpt_job *j = req->data;
    int              i, rc;

    for (i = 0; i < j->nfiles; i++) {
        rc = kf_ckpt_write(j->files[i].path, &j->files[i].rows,
                           j->files[i].nrows);
        if (rc < 0 && j->status == 0)
            j->status = rc;
    }
    /* the marker only after every checkpoint is on disk */
    for (i = 0; i < j->nmarkers && j->status == 0; i++) {
        rc = kf_ckpt_write_file(j->markers[i], "", 0);
        if (rc < 0)
            j->status = rc;
    }
}

static void ckpt_job_free(struct ckpt_job *j)
{
    int i;

    for (i = 0; i < j->nfiles; i++) {
        free(j->files[i].path);
        buf_free(&j->files[i].rows);
    }
    for (i = 0; i < j->nmarkers; i++)
        free(j->markers[i]);
    free(j->markers);
    free(j->files);
    free(j);
}

static void ckpt_done(uv_work_t *req, int status)
{
    struct ckpt_job *j = req->data;

    (void)status;
    j->m->ckpt_running = false;
    ckpt_job_free(j);
}

int kf_logmgr_checkpoint(kf_logmgr_t *m)
{
    struct ckpt_job *j = ckpt_collect(m, false);
    int              rc;

    ckpt_work(&j->req);
    rc = j->status;
    ckpt_job_free(j);
    return rc;
}

/* ---- meta.properties -------------------------------------------------- */

struct meta_read {
    long long broker_id;
    char      cluster_id[64];
    bool      has_broker;
};

static int meta_kv(void *ud, const struct props_entry *e)
{
    struct meta_read *r = ud;

    if (strcmp(e->key, "broker.id") == 0) {
        char *end;

        r->broker_id = strtoll(e->value, &end, 10);
        r->has_broker = *end == '\0' && *e->value != '\0';
        if (!r->has_broker)
            return ERR_MALFORMED;
    } else if (strcmp(e->key, "cluster.id") == 0) {
        snprintf(r->cluster_id, sizeof r->cluster_id, "%s", e->value);
    }
    return 0;
}

static int meta_write(const char *dir, int32_t broker_id, const char *cluster)
{
    char *p = xasprintf("%s/meta.properties", dir);
    buf_t b = BUF_INIT;
    int   rc;

    /* BrokerMetadataCheckpoint (ZooKeeper mode, version 0) */
    buf_printf(&b, "#\n#%s\nversion=0\nbroker.id=%" PRId32 "\n",
               "Written by odradek-broker", broker_id);
    if (cluster != NULL && *cluster != '\0')
        buf_printf(&b, "cluster.id=%s\n", cluster);
    rc = kf_ckpt_write_file(p, b.data, b.len);
    buf_free(&b);
    free(p);
    return rc;
}

int kf_logmgr_replace_cluster_id(kf_logmgr_t *m, const char *id)
{
    m->cluster_id[0] = '\0';
    return kf_logmgr_set_cluster_id(m, id);
}

int kf_logmgr_set_cluster_id(kf_logmgr_t *m, const char *id)
{
    int i, rc;

    if (m->cluster_id[0] != '\0') {
        if (strcmp(m->cluster_id, id) != 0)
            return ERR_CONFIG; /* InconsistentClusterIdException */
        return 0;
    }
    if (strlen(id) >= sizeof m->cluster_id)
        return ERR_MALFORMED;
    snprintf(m->cluster_id, sizeof m->cluster_id, "%s", id);
    for (i = 0; i < m->ndirs; i++) {
        rc = meta_write(m->dirs[i].path, m->cfg.broker_id, m->cluster_id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- timers -------------------------------------------------------------- */

static int retain_one(void *arg, kf_log_t *l)
{
    (void)arg;
    kf_log_retain(l, clock_wall_ms());
    return 0;
}

static int flush_one(void *arg, kf_log_t *l)
{
    (void)arg;
    kf_log_flush_tick(l, clock_wall_ms());
    return 0;
}

static void on_retain(uv_timer_t *t)
{
    kf_logmgr_foreach(t->data, retain_one, NULL);
}

static void on_flush(uv_timer_t *t)
{
    kf_logmgr_foreach(t->data, flush_one, NULL);
}

/* The cleaner: logs with cleanup.policy=compact are compacted when they
 * have rolled since the last run (log.cleaner.backoff.ms apart).  One log
 * at a time, as Kafka's single cleaner thread. */
static int clean_one(void *arg, kf_log_t *l)
{
    struct kf_compact_cfg c;
    kf_logmgr_t          *m = arg;

    if (!kf_log_config(l)->cleanup_compact || kf_log_compacting(l))
        return 0;
    /* Kafka compacts __consumer_offsets even with log.cleaner.enable=false */
    if (m->cfg.cleaner_disable &&
        strcmp(kf_log_topic(l), "__consumer_offsets") != 0)
        return 0;
    kf_compact_cfg_defaults(&c);
    c.fsync = true;
    return kf_log_compact(l, &c, clock_wall_ms(), NULL, NULL) == 0;
}

static void on_clean(uv_timer_t *t)
{
    kf_logmgr_foreach(t->data, clean_one, t->data);
}

static void on_ckpt(uv_timer_t *t)
{
    kf_logmgr_t     *m = t->data;
    struct ckpt_job *j;

    if (m->ckpt_running || m->closing)
        return;
    j = ckpt_collect(m, false);
    m->ckpt_running = true;
    if (uv_queue_work(m->loop, &j->req, ckpt_work, ckpt_done) < 0) {
        ckpt_work(&j->req);
        ckpt_done(&j->req, 0);
    }
}

static uint64_t clamp_ms(int64_t v, int64_t dflt)
{
    if (v <= 0)
        v = dflt;
    if (v > 24LL * 3600 * 1000)
        v = 24LL * 3600 * 1000;
    return (uint64_t)v;
}

/* ---- open ---------------------------------------------------------------- */

static void rm_tree(const char *path)
{
    DIR           *d = opendir(path);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char *p;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = xasprintf("%s/%s", path, e->d_name);
        unlink(p);
        free(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

static int mkdirs(const char *path)
{
    char *p = xstrdup(path), *s;
    int   rc = 0;

    for (s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
        rc = -errno;
    free(p);
    return rc;
}

/* One partition to recover at start. */
struct rec_job {
    int                     dir;
    char                   *topic;
    int32_t                 partition;
    struct kf_log_open_opts o;
    kf_log_t               *log; /* the result */
    int                     rc;
};

/* A pool job: recovers the partitions of one log dir, taking the next
 * one from the dir's cursor until none is left (so N partitions cost
 * recovery_threads loop round trips per dir, not N). */
struct rec_worker {
    uv_work_t       req;
    struct rec_run *run;
    int             dir;
};

/* Every partition of every log dir; open_dir lists the dirs one after
 * the other, so dir d's jobs are jobs[first[d] .. end[d]). */
struct rec_run {
    kf_logmgr_t       *m;
    struct rec_job    *jobs;
    int                n, cap;
    int               *end;  /* per dir */
    _Atomic int       *next; /* per dir: the next job to take */
    struct rec_worker *workers;
    int                nworkers, done;
    int                max_per_dir;
};

static void rec_work(uv_work_t *req)
{
    struct rec_worker *w = req->data;
    struct rec_run    *r = w->run;
    kf_logmgr_t       *m = r->m;
    int                i;

    while ((i = r->next[w->dir]++) < r->end[w->dir]) {
        struct rec_job *j = &r->jobs[i];

        j->rc = kf_log_open_blocking(&j->log, m->loop, m->dirs[j->dir].path,
                                     j->topic, j->partition, &m->cfg.defaults,
                                     &j->o, NULL);
    }
}

static void rec_after(uv_work_t *req, int status)
{
    struct rec_worker *w = req->data;

    (void)status; /* never cancelled */
    w->run->done++;
}

static struct rec_job *rec_add(struct rec_run *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->jobs = xrealloc(r->jobs, (size_t)r->cap * sizeof *r->jobs);
    }
    memset(&r->jobs[r->n], 0, sizeof r->jobs[r->n]);
    return &r->jobs[r->n++];
}

/* Lock a log dir, check meta.properties and list its partitions into
 * r (nothing is opened yet). */
static int open_dir(kf_logmgr_t *m, int di, struct rec_run *r,
                    const char **what)
{
    struct mgr_dir  *d = &m->dirs[di];
    struct meta_read mr = {0};
    struct ck_set    rp = {0}, ls = {0};
    DIR             *dh;
    struct dirent   *e;
    char            *p;
    int              rc, line, k;

    rc = mkdirs(d->path);
    if (rc < 0) {
        *what = "create log dir";
        return rc;
    }
    p = xasprintf("%s/.lock", d->path);
    d->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(p);
    if (d->lock_fd < 0) {
        *what = "open log dir lock";
        return -errno;
    }
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        *what = "lock log dir (another broker uses it?)";
        return errno == EWOULDBLOCK ? UV_EBUSY : -errno;
    }
    p = xasprintf("%s/meta.properties", d->path);
    rc = props_parse_file(p, meta_kv, &mr, &line);
    free(p);
    if (rc == 0 && mr.has_broker && mr.broker_id != m->cfg.broker_id) {
        *what = "meta.properties broker.id differs from broker.id";
        return ERR_CONFIG;
    }
    if (rc < 0 && rc != UV_ENOENT) {
        *what = "read meta.properties";
        return rc;
    }
    if (mr.cluster_id[0] != '\0') {
        if (m->cluster_id[0] != '\0' &&
            strcmp(m->cluster_id, mr.cluster_id) != 0) {
            *what = "log dirs disagree on cluster.id";
            return ERR_CONFIG;
        }
        snprintf(m->cluster_id, sizeof m->cluster_id, "%s", mr.cluster_id);
        snprintf(m->cluster_id_open, sizeof m->cluster_id_open, "%s",
                 mr.cluster_id);
    }
    if (rc == UV_ENOENT || !mr.has_broker) {
        rc = meta_write(d->path, m->cfg.broker_id, mr.cluster_id);
        if (rc < 0) {
            *what = "write meta.properties";
            return rc;
        }
    }
    p = xasprintf("%s/%s", d->path, CLEAN_MARKER);
    d->clean = access(p, F_OK) == 0;
    free(p);
    ck_set_read(&rp, d->path, CK_RECOVERY);
    ck_set_read(&ls, d->path, CK_START);

    dh = opendir(d->path);
    if (dh == NULL) {
        *what = "read log dir";
        ck_set_free(&rp);
        ck_set_free(&ls);
        return -errno;
    }
    rc = 0;
    while (rc == 0 && (e = readdir(dh)) != NULL) {
        struct rec_job *j;
        struct stat     st;
        char           *topic;
        int32_t         part;
        size_t          n = strlen(e->d_name);

        if (e->d_name[0] == '.')
            continue;
        p = xasprintf("%s/%s", d->path, e->d_name);
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
            free(p);
            continue;
        }
        if (n > 7 && strcmp(e->d_name + n - 7, "-delete") == 0 &&
            strchr(e->d_name, '.') != NULL) {
            rm_tree(p); /* a delete interrupted by a stop */
            free(p);
            continue;
        }
        free(p);
        if (!split_dirname(e->d_name, &topic, &part))
            continue; /* "-future" and foreign directories */
        for (k = 0; k < r->n; k++)
            if (r->jobs[k].partition == part &&
                strcmp(r->jobs[k].topic, topic) == 0)
                break;
        if (k < r->n) {
            free(topic);
            *what = "partition present in two log dirs";
            rc = ERR_CONFIG;
            break;
        }
        j = rec_add(r);
        j->dir = di;
        j->topic = topic;
        j->partition = part;
        j->o.recovery_point = ck_lookup(&rp, topic, part);
        j->o.log_start = ck_lookup(&ls, topic, part);
        j->o.clean = d->clean;
        j->o.create = false;
        j->o.now_ms = clock_wall_ms();
    }
    closedir(dh);
    ck_set_free(&rp);
    ck_set_free(&ls);
    return rc;
}

/* After its partitions are recovered: from here on a crash is unclean,
 * so the marker goes, durably. */
static void dir_unmark(struct mgr_dir *d)
{
    char *p;

    if (d->clean) {
        int dfd;

        p = xasprintf("%s/%s", d->path, CLEAN_MARKER);
        unlink(p);
        free(p);
        dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
}

/* Recover every listed partition on the pool (see the top), running the
 * loop until all are done; then attach them, in list order.  On failure
 * (*what set) the logs opened are closed without a clean close. */
static int recover_all(kf_logmgr_t *m, struct rec_run *r, const char **what)
{
    int i, d, rc = 0;

    r->next = xcalloc((size_t)m->ndirs, sizeof *r->next);
    r->end = xcalloc((size_t)m->ndirs, sizeof *r->end);
    /* at most one worker per partition */
    r->workers = xcalloc((size_t)r->n + 1, sizeof *r->workers);
    for (i = r->n - 1; i >= 0; i--)
        r->next[r->jobs[i].dir] = i;
    for (i = 0; i < r->n; i++)
        r->end[r->jobs[i].dir] = i + 1;
    /* A dir with the clean-shutdown marker only reads each segment's
     * tail: one worker, on this thread, where it was measured faster
     * (200 partitions: ~11-16 ms here, ~35 ms on pool threads).  A dir
     * without it scans and checks every unflushed batch: its workers go
     * to the pool (100 x 16 MiB on 2 busy cores: 460 ms serial, 375 ms
     * with 4; see docs/ARCHITECTURE.md).  One worker in all gains
     * nothing from the pool either. */
    for (d = 0; d < m->ndirs; d++) {
        int k, count = r->end[d] - r->next[d];
        int want = m->dirs[d].clean ? 1 : r->max_per_dir;

        for (k = 0; k < want && k < count; k++) {
            struct rec_worker *w = &r->workers[r->nworkers++];

            w->run = r;
            w->dir = d;
            w->req.data = w;
        }
    }
    for (i = 0; i < r->nworkers; i++) {
        struct rec_worker *w = &r->workers[i];

        if (r->nworkers > 1 && !m->dirs[w->dir].clean &&
            uv_queue_work(m->loop, &w->req, rec_work, rec_after) == 0)
            continue;
        w->req.data = NULL; /* runs below */
    }
    for (i = 0; i < r->nworkers; i++) {
        struct rec_worker *w = &r->workers[i];

        if (w->req.data == NULL) {
            w->req.data = w;
            rec_work(&w->req);
            rec_after(&w->req, 0);
        }
    }
    while (r->done < r->nworkers)
        uv_run(m->loop, UV_RUN_ONCE);
    for (i = 0; i < r->n; i++) {
        struct rec_job *j = &r->jobs[i];

        if (j->rc < 0 && rc == 0) {
            rc = j->rc;
            *what = "open partition log";
        }
    }
    for (i = 0; i < r->n; i++) {
        struct rec_job *j = &r->jobs[i];

        if (j->log == NULL)
            continue;
        kf_log_open_attach(j->log);
        if (rc < 0)
            kf_log_close(j->log, NULL, NULL);
        else
            table_add(m, j->log, j->dir);
    }
    if (rc == 0)
        for (i = 0; i < m->ndirs; i++)
            dir_unmark(&m->dirs[i]);
    return rc;
}

static void rec_run_free(struct rec_run *r)
{
    int i;

    for (i = 0; i < r->n; i++)
        free(r->jobs[i].topic);
    free(r->jobs);
    free(r->next);
    free(r->end);
    free(r->workers);
}

static void mgr_free(kf_logmgr_t *m)
{
    int    i;
    size_t b;

    for (b = 0; b < m->nbuckets; b++) {
        struct mgr_entry *e = m->buckets[b], *next;

        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(m->buckets);
    for (i = 0; i < m->ndirs; i++) {
        if (m->dirs[i].lock_fd >= 0)
            close(m->dirs[i].lock_fd);
        free(m->dirs[i].path);
    }
    free(m->dirs);
    free(m);
}

int kf_logmgr_open(kf_logmgr_t **out, uv_loop_t *loop,
                   const struct kf_logmgr_config *cfg, const char **what)
{
    kf_logmgr_t       *m;
    int                i, rc;
    static const char *none = "";

    if (what != NULL)
        *what = none;
    else
        what = &none;
    if (cfg->ndirs < 1) {
        *what = "no log.dirs";
        return ERR_CONFIG;
    }
    m = xcalloc(1, sizeof *m);
    m->loop = loop;
    m->cfg = *cfg;
    m->cfg.dirs = NULL;
    m->ndirs = cfg->ndirs;
    m->dirs = xcalloc((size_t)cfg->ndirs, sizeof *m->dirs);
    for (i = 0; i < m->ndirs; i++) {
        m->dirs[i].path = xstrdup(cfg->dirs[i]);
        m->dirs[i].lock_fd = -1;
    }
    {
        struct rec_run r;

        memset(&r, 0, sizeof r);
        r.m = m;
        r.max_per_dir = cfg->recovery_threads > 0 ? cfg->recovery_threads : 1;
        rc = 0;
        for (i = 0; i < m->ndirs && rc == 0; i++)
            rc = open_dir(m, i, &r, what);
        if (rc == 0)
            rc = recover_all(m, &r, what);
        rec_run_free(&r);
        if (rc < 0) {
            mgr_free(m); /* the logs recovered were closed, unmarked */
            return rc;
        }
    }
    uv_timer_init(loop, &m->t_retain);
    uv_timer_init(loop, &m->t_flush);
    uv_timer_init(loop, &m->t_ckpt);
    uv_timer_init(loop, &m->t_clean);
    m->t_retain.data = m->t_flush.data = m->t_ckpt.data = m->t_clean.data = m;
    m->handles = 4;
    uv_timer_start(&m->t_retain, on_retain,
                   clamp_ms(cfg->retention_check_ms, 300000),
                   clamp_ms(cfg->retention_check_ms, 300000));
    uv_timer_start(&m->t_flush, on_flush, clamp_ms(cfg->flush_check_ms, 1000),
                   clamp_ms(cfg->flush_check_ms, 1000));
    uv_timer_start(&m->t_ckpt, on_ckpt, clamp_ms(cfg->checkpoint_ms, 60000),
                   clamp_ms(cfg->checkpoint_ms, 60000));
    uv_unref((uv_handle_t *)&m->t_retain);
    uv_unref((uv_handle_t *)&m->t_flush);
    uv_timer_start(&m->t_clean, on_clean, 15000,
                   15000); /* log.cleaner.backoff.ms */
    uv_unref((uv_handle_t *)&m->t_ckpt);
    uv_unref((uv_handle_t *)&m->t_clean);
    *out = m;
    return 0;
}

/* ---- create / delete ------------------------------------------------------
 */

int kf_logmgr_create(kf_logmgr_t *m, const char *topic, int32_t partition,
                     const struct kf_log_config *cfg, kf_log_t **out)
{
    struct kf_log_open_opts o = {-1, -1, false, true, 0};
    kf_log_t               *l;
    int                     i, best = 0, rc;

    if (m->closing)
        return ERR_CLOSED;
    if (!topic_valid(topic) || partition < 0)
        return ERR_MALFORMED;
    l = kf_logmgr_get(m, topic, partition);
    if (l != NULL) {
        if (cfg != NULL)
            kf_log_set_config(l, cfg);
        if (out != NULL)
            *out = l;
        return 0;
    }
    for (i = 1; i < m->ndirs; i++)
        if (m->dirs[i].nparts < m->dirs[best].nparts)
            best = i;
    o.now_ms = clock_wall_ms();
    rc = kf_log_open(&l, m->loop, m->dirs[best].path, topic, partition,
                     cfg ? cfg : &m->cfg.defaults, &o, NULL);
    if (rc < 0)
        return rc;
    table_add(m, l, best);
    if (out != NULL)
        *out = l;
    return 0;
}

int kf_logmgr_delete(kf_logmgr_t *m, const char *topic, int32_t partition)
{
    struct mgr_entry **pp, *e;
    int                rc;

    if (m->nbuckets == 0)
        return ERR_NOTFOUND;
    pp = slot_of(m, topic, partition);
    e = *pp;
    if (e == NULL)
        return ERR_NOTFOUND;
    rc = kf_log_destroy(e->log);
    if (rc < 0)
        return rc;
    *pp = e->next;
    m->n--;
    m->dirs[e->dir].nparts--;
    free(e);
    return 0;
}

/* ---- close -----------------------------------------------------------------
 */

static void on_timer_closed(uv_handle_t *h)
{
    kf_logmgr_t *m = h->data;
    void (*done)(void *) = m->done;
    void *arg = m->done_arg;

    if (--m->handles > 0)
        return;
    mgr_free(m);
    if (done != NULL)
        done(arg);
}

static void final_done(uv_work_t *req, int status)
{
    struct ckpt_job *j = req->data;
    kf_logmgr_t     *m = j->m;

    (void)status;
    ckpt_job_free(j);
    uv_close((uv_handle_t *)&m->t_retain, on_timer_closed);
    uv_close((uv_handle_t *)&m->t_flush, on_timer_closed);
    uv_close((uv_handle_t *)&m->t_ckpt, on_timer_closed);
    uv_close((uv_handle_t *)&m->t_clean, on_timer_closed);
}

static void log_closed(void *arg, int status)
{
    kf_logmgr_t     *m = arg;
    struct ckpt_job *j = m->final;
    int              i;

    if (status < 0 && m->close_status == 0)
        m->close_status = status;
    if (--m->closing_logs > 0)
        return;
    m->final = NULL;
    if (m->close_status < 0) {
        /* a final flush failed: keep the old recovery points and write
         * no marker, so the next start recovers */
        for (i = 0; i < j->nfiles; i += NCKPT) {
            buf_reset(&j->files[i].rows);
            free(j->files[i].path);
            j->files[i].path = xasprintf("%s.unused", j->files[i + 1].path);
            j->files[i].nrows = 0;
        }
    } else {
        j->markers = xcalloc((size_t)m->ndirs, sizeof *j->markers);
        for (i = 0; i < m->ndirs; i++)
            j->markers[i] = xasprintf("%s/%s", m->dirs[i].path, CLEAN_MARKER);
        j->nmarkers = m->ndirs;
    }
    if (uv_queue_work(m->loop, &j->req, ckpt_work, final_done) < 0) {
        ckpt_work(&j->req);
        final_done(&j->req, 0);
    }
}

static int close_one(void *arg, kf_log_t *l)
{
    kf_logmgr_t *m = arg;

    kf_log_close(l, log_closed, m);
    return 0;
}

void kf_logmgr_close(kf_logmgr_t *m, void (*done)(void *arg), void *arg)
{
    size_t b;

    if (m->closing)
        return;
    m->closing = true;
    m->done = done;
    m->done_arg = arg;
    uv_timer_stop(&m->t_retain);
    uv_timer_stop(&m->t_flush);
    uv_timer_stop(&m->t_ckpt);
    uv_timer_stop(&m->t_clean);
    /* Checkpoints as they will be once every log is flushed: recovery
     * point = log end. */
    m->final = ckpt_collect(m, true);
    m->closing_logs = (int)m->n + 1; /* +1: released below */
    kf_logmgr_foreach(m, close_one, m);
    for (b = 0; b < m->nbuckets; b++) {
        struct mgr_entry *e = m->buckets[b], *next;

        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
        m->buckets[b] = NULL;
    }
    m->n = 0;
    log_closed(m, 0);
}
