/* cli_topics: `odradek topics`, kafka-topics.sh's flags over the Kafka
 * protocol: --create (CreateTopics to the controller), --list and
 * --describe (Metadata + DescribeConfigs), --alter (CreatePartitions,
 * IncrementalAlterConfigs), --delete (DeleteTopics to the controller).
 * The old --zookeeper form finds the brokers in /brokers/ids and then
 * talks Kafka to them, as the tool did after Kafka moved admin to the
 * brokers.  Output follows Kafka 2.8's TopicCommand; --json prints the
 * same facts as JSON.  It does not own the client (cli_kafka). */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_kafka.h"
#include "err.h"
#include "kerr.h"
#include "xalloc.h"

static const struct cli_opt cli_topics_opts[] = {
    CLI_OPT_ARG("--bootstrap-server", "broker list host:port[,host:port]"),
    CLI_OPT_ARG("--zookeeper", "(old form) find the brokers in ZooKeeper host:port"),
    CLI_OPT_FLAG("--create", "create --topic"),
    CLI_OPT_FLAG("--list", "list the topics"),
    CLI_OPT_FLAG("--describe", "describe all topics or --topic"),
    CLI_OPT_FLAG("--alter", "raise --partitions, or set --config k=v"),
    CLI_OPT_FLAG("--delete", "delete --topic"),
    CLI_OPT_ARG("--topic", "topic name (a regular expression for describe/alter/delete)"),
    CLI_OPT_ARG("--partitions", "number of partitions"),
    CLI_OPT_ARG("--replication-factor", "replicas per partition"),
    CLI_OPT_MULTI("--config", "topic config k=v (repeatable)"),
    CLI_OPT_FLAG("--if-not-exists", "create: no error if the topic exists"),
    CLI_OPT_FLAG("--if-exists", "alter/delete: no error if the topic is missing"),
    CLI_OPT_FLAG("--under-replicated-partitions", "describe: only partitions whose ISR is short"),
    CLI_OPT_FLAG("--unavailable-partitions", "describe: only partitions without a leader"),
    CLI_OPT_FLAG("--topics-with-overrides", "describe: only topics with non-default configs"),
    CLI_OPT_FLAG("--exclude-internal", "list/describe: leave out internal topics"),
    CLI_OPT_FLAG("--json", "print JSON instead of text"),
    CLI_OPT_ARG("--timeout-ms", "connect/request timeout (default 10000)"),
    CLI_OPT_FLAG("--help", "this text"),
};
#define CLI_TOPICS_NOPTS ((int)(sizeof cli_topics_opts / sizeof cli_topics_opts[0]))

void cli_topics_usage(FILE *f)
{
    fprintf(f, "usage: odradek topics --bootstrap-server HOST:PORT ACTION [OPTIONS]\n"
               "  actions: --create --topic T [--partitions N] [--replication-factor R]\n"
               "                    [--config k=v]... [--if-not-exists]\n"
               "           --list | --describe [--topic T] [--under-replicated-partitions]\n"
               "           --alter --topic T --partitions N | --config k=v\n"
               "           --delete --topic T [--if-exists]\n\n");
    cli_args_usage(f, cli_topics_opts, CLI_TOPICS_NOPTS);
    fprintf(f, "\n" CLI_EXIT_TEXT);
}

struct cli_topics {
    struct cli_kafka k;
    struct cli_args  a;
    arena_t          arena;
    bool             json;
};

/* ---- helpers -------------------------------------------------------------- */

static int cli_topics_cmp(const void *x, const void *y)
{
    const struct kmsg_metadata_resp_topic *a = x, *b = y;
    int                                    n = a->name.n < b->name.n ? a->name.n : b->name.n;
    int                                    c = memcmp(a->name.p, b->name.p, (size_t)(n > 0 ? n : 0));

    return c != 0 ? c : a->name.n - b->name.n;
}

static int cli_topics_part_cmp(const void *x, const void *y)
{
    const struct kmsg_metadata_resp_part *a = x, *b = y;

    return a->partition_index - b->partition_index;
}

/* Kafka's Uuid.toString: URL-safe base64 without padding. */
static void cli_topics_uuid(const kmsg_uuid_t *u, char out[23])
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int o = 0;

    for (int i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)u->b[i] << 16;

        if (i + 1 < 16)
            v |= (uint32_t)u->b[i + 1] << 8;
        if (i + 2 < 16)
            v |= u->b[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        if (i + 1 < 16)
            out[o++] = tab[v >> 6 & 63];
        if (i + 2 < 16)
            out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

/* Whole-name match of a topic against --topic (a regular expression, as
 * kafka-topics.sh treats it; a plain name matches itself). */
struct cli_topics_filter {
    bool    set;
    regex_t re;
};

static int cli_topics_filter_init(struct cli_topics_filter *f, const char *pat)
{
    char *full;
    int   rc;

    f->set = pat != NULL;
    if (!f->set)
        return 0;
    full = xasprintf("^(%s)$", pat);
    rc = regcomp(&f->re, full, REG_EXTENDED | REG_NOSUB);
    free(full);
    if (rc != 0) {
        f->set = false;
        return ERR_MALFORMED;
    }
    return 0;
}

static bool cli_topics_filter_match(const struct cli_topics_filter *f, slice_t name)
{
    char buf[512];

    if (!f->set)
        return true;
    snprintf(buf, sizeof buf, "%.*s", name.n > 0 ? name.n : 0, (const char *)name.p);
    return regexec(&f->re, buf, 0, NULL, 0) == 0;
}

static void cli_topics_filter_free(struct cli_topics_filter *f)
{
    if (f->set)
        regfree(&f->re);
    f->set = false;
}

static int cli_topics_fail(const char *fmt, const char *topic, int code,
                           slice_t msg)
{
    fprintf(stderr, "odradek topics: Error while executing topic command : ");
    fprintf(stderr, fmt, topic);
    if (msg.n > 0)
        fprintf(stderr, " (%s: %.*s)\n", cli_kafka_errname(code), msg.n,
                (const char *)msg.p);
    else
        fprintf(stderr, " (%s)\n", cli_kafka_errname(code));
    return CLI_EXIT_FAIL;
}

static int cli_topics_io(const char *what, int rc)
{
    if (rc == ERR_UNSUPPORTED)
        fprintf(stderr, "odradek topics: the broker does not serve %s\n", what);
    else
        fprintf(stderr, "odradek topics: %s: %s\n", what, err_str(rc));
    return rc == ERR_UNSUPPORTED ? CLI_EXIT_FAIL : cli_kafka_exit_for(rc);
}

/* All topics (sorted, filtered by --topic and --exclude-internal). */
static int cli_topics_fetch(struct cli_topics *t, struct kmsg_metadata_resp *md,
                            struct kmsg_metadata_resp_topic ***out, int *nout)
{
    struct cli_topics_filter f;
    bool                     excl = cli_args_count(&t->a, "--exclude-internal") > 0;
    int                      rc;

    rc = cli_kafka_metadata(&t->k, NULL, -1, false, md, &t->arena);
    if (rc < 0)
        return cli_topics_io("Metadata", rc);
    if (cli_topics_filter_init(&f, cli_args_get(&t->a, "--topic")) < 0) {
        fprintf(stderr, "odradek topics: --topic: bad regular expression\n");
        return CLI_EXIT_USAGE;
    }
    qsort(md->topics, (size_t)(md->topics_n > 0 ? md->topics_n : 0),
          sizeof *md->topics, cli_topics_cmp);
    *out = arena_calloc(&t->arena, (size_t)(md->topics_n > 0 ? md->topics_n : 0) + 1,
                        sizeof **out);
    *nout = 0;
    for (int32_t i = 0; i < md->topics_n; i++) {
        struct kmsg_metadata_resp_topic *tp = &md->topics[i];

        if (excl && tp->is_internal)
            continue;
        if (!cli_topics_filter_match(&f, tp->name))
            continue;
        qsort(tp->partitions, (size_t)(tp->partitions_n > 0 ? tp->partitions_n : 0),
              sizeof *tp->partitions, cli_topics_part_cmp);
        (*out)[(*nout)++] = tp;
    }
    cli_topics_filter_free(&f);
    return 0;
}

/* ---- actions --------------------------------------------------------------- */

static int cli_topics_create(struct cli_topics *t)
{
    const struct kmsg_api           *api = kmsg_api(KMSG_API_CREATE_TOPICS);
    struct kmsg_create_topics_req    req;
    struct kmsg_create_topics_req_topic tp;
    struct kmsg_create_topics_resp   resp;
    const char                      *name = cli_args_get(&t->a, "--topic");
    const char                      *ps = cli_args_get(&t->a, "--partitions");
    const char                      *rs = cli_args_get(&t->a, "--replication-factor");
    int                              nconf = cli_args_count(&t->a, "--config");
    struct cli_kconn                *c;
    int64_t                          v;
    int                              rc;

    if (name == NULL) {
        fprintf(stderr, "odradek topics: --create needs --topic\n");
        return CLI_EXIT_USAGE;
    }
    kmsg_defaults(&kmsg_s_create_topics_req_topic, &tp);
    tp.name = cli_slice(name);
    tp.num_partitions = -1;
    tp.replication_factor = -1;
    if (ps != NULL) {
        if (cli_parse_i64(ps, 1, INT32_MAX, &v) < 0) {
            fprintf(stderr, "odradek topics: --partitions: want a positive number, got '%s'\n", ps);
            return CLI_EXIT_USAGE;
        }
        tp.num_partitions = (int32_t)v;
    }
    if (rs != NULL) {
        if (cli_parse_i64(rs, 1, INT16_MAX, &v) < 0) {
            fprintf(stderr, "odradek topics: --replication-factor: want a positive number, got '%s'\n", rs);
            return CLI_EXIT_USAGE;
        }
        tp.replication_factor = (int16_t)v;
    }
    tp.assignments_n = 0;
    tp.configs = arena_calloc(&t->arena, (size_t)nconf + 1, sizeof *tp.configs);
    tp.configs_n = nconf;
    for (int i = 0; i < nconf; i++) {
        const char *kv = cli_args_nth(&t->a, "--config", i), *eq = strchr(kv, '=');

        if (eq == NULL || eq == kv) {
            fprintf(stderr, "odradek topics: --config: want key=value, got '%s'\n", kv);
            return CLI_EXIT_USAGE;
        }
        tp.configs[i].name.p = (const uint8_t *)kv;
        tp.configs[i].name.n = (int32_t)(eq - kv);
        tp.configs[i].value = cli_slice(eq + 1);
    }
    kmsg_defaults(api->req, &req);
    req.topics = &tp;
    req.topics_n = 1;
    req.timeout_ms = t->k.timeout_ms;
    rc = cli_kafka_controller(&t->k, &c);
    if (rc == 0)
        rc = cli_kafka_call(&t->k, c, KMSG_API_CREATE_TOPICS, &req, &resp, &t->arena);
    if (rc < 0)
        return cli_topics_io("CreateTopics", rc);
    if (resp.topics_n < 1)
        return cli_topics_fail("Topic '%s' not created", name, -1, cli_slice(NULL));
    if (resp.topics[0].error_code == KERR_TOPIC_ALREADY_EXISTS &&
        cli_args_count(&t->a, "--if-not-exists") > 0)
        return CLI_EXIT_OK;
    if (resp.topics[0].error_code == KERR_TOPIC_ALREADY_EXISTS)
        return cli_topics_fail("Topic '%s' already exists.", name,
                               resp.topics[0].error_code, cli_slice(NULL));
    if (resp.topics[0].error_code != 0)
        return cli_topics_fail("cannot create topic '%s'", name,
                               resp.topics[0].error_code, resp.topics[0].error_message);
    if (t->json) {
        printf("{\"created\":");
        cli_json_str(stdout, name, -1);
        printf("}\n");
    } else {
        printf("Created topic %s.\n", name);
    }
    return CLI_EXIT_OK;
}

static int cli_topics_list(struct cli_topics *t)
{
    struct kmsg_metadata_resp         md;
    struct kmsg_metadata_resp_topic **tps;
    int                               n, rc;

    rc = cli_topics_fetch(t, &md, &tps, &n);
    if (rc != 0)
        return rc;
    if (t->json)
        printf("[");
    for (int i = 0; i < n; i++) {
        if (t->json) {
            if (i > 0)
                printf(",");
            cli_json_str(stdout, (const char *)tps[i]->name.p, tps[i]->name.n);
        } else {
            printf("%.*s\n", tps[i]->name.n, (const char *)tps[i]->name.p);
        }
    }
    if (t->json)
        printf("]\n");
    return CLI_EXIT_OK;
}

/* DescribeConfigs for the topics; configs[i] gets "k=v,k=v" (the
 * non-default ones, as TopicCommand prints them) or NULL. */
static void cli_topics_configs(struct cli_topics *t, struct kmsg_metadata_resp_topic **tps,
                               int n, struct kmsg_describe_configs_resp_res **res)
{
    struct kmsg_describe_configs_req  req;
    struct kmsg_describe_configs_resp resp;
    struct cli_kconn                 *c = t->k.boot;

    kmsg_defaults(kmsg_api(KMSG_API_DESCRIBE_CONFIGS)->req, &req);
    req.resources = arena_calloc(&t->arena, (size_t)n + 1, sizeof *req.resources);
    req.resources_n = n;
    for (int i = 0; i < n; i++) {
        req.resources[i].resource_type = 2; /* TOPIC */
        req.resources[i].resource_name = tps[i]->name;
        req.resources[i].configuration_keys = NULL;
        req.resources[i].configuration_keys_n = -1;
        res[i] = NULL;
    }
    if (n == 0 || cli_kafka_call(&t->k, c, KMSG_API_DESCRIBE_CONFIGS, &req, &resp,
                                 &t->arena) < 0)
        return;
    for (int32_t j = 0; j < resp.results_n; j++)
        for (int i = 0; i < n; i++)
            if (resp.results[j].error_code == 0 &&
                resp.results[j].resource_name.n == tps[i]->name.n &&
                memcmp(resp.results[j].resource_name.p, tps[i]->name.p,
                       (size_t)tps[i]->name.n) == 0)
                res[i] = &resp.results[j];
}

static bool cli_topics_conf_shown(const struct kmsg_describe_configs_resp_config *c)
{
    /* Kafka's ConfigEntry.isDefault: source DEFAULT_CONFIG (5), or the v0
     * is_default flag; sensitive values are never printed */
    return !c->is_default && c->config_source != 5;
}

static void cli_topics_ints(const int32_t *v, int32_t n, bool json)
{
    for (int32_t i = 0; i < n; i++)
        printf(i > 0 ? ",%d" : "%d", v[i]);
    (void)json;
}

static int cli_topics_describe(struct cli_topics *t)
{
    struct kmsg_metadata_resp              md;
    struct kmsg_metadata_resp_topic      **tps;
    struct kmsg_describe_configs_resp_res **res;
    bool urp = cli_args_count(&t->a, "--under-replicated-partitions") > 0;
    bool unavail = cli_args_count(&t->a, "--unavailable-partitions") > 0;
    bool overrides = cli_args_count(&t->a, "--topics-with-overrides") > 0;
    bool partial = urp || unavail; /* partition lines only, as Kafka */
    int  n, rc, shown = 0;

    rc = cli_topics_fetch(t, &md, &tps, &n);
    if (rc != 0)
        return rc;
    if (n == 0 && cli_args_get(&t->a, "--topic") != NULL &&
        cli_args_count(&t->a, "--if-exists") == 0) {
        fprintf(stderr, "odradek topics: Error while executing topic command : "
                        "Topic '%s' does not exist as expected\n",
                cli_args_get(&t->a, "--topic"));
        return CLI_EXIT_FAIL;
    }
    res = arena_calloc(&t->arena, (size_t)n + 1, sizeof *res);
    if (!partial || overrides)
        cli_topics_configs(t, tps, n, res);
    if (t->json)
        printf("[");
    for (int i = 0; i < n; i++) {
        struct kmsg_metadata_resp_topic *tp = tps[i];
        int32_t rf = tp->partitions_n > 0 ? tp->partitions[0].replica_nodes_n : 0;
        char    id[23];
        int     nc = 0;

        cli_topics_uuid(&tp->topic_id, id);
        if (overrides) { /* only topics with a non-default config */
            bool any = false;

            for (int32_t j = 0; res[i] != NULL && j < res[i]->configs_n; j++)
                any = any || cli_topics_conf_shown(&res[i]->configs[j]);
            if (!any)
                continue;
        }
        if (t->json) {
            printf("%s{\"name\":", shown++ > 0 ? "," : "");
            cli_json_str(stdout, (const char *)tp->name.p, tp->name.n);
            printf(",\"topic_id\":\"%s\",\"partition_count\":%d,\"replication_factor\":%d,"
                   "\"internal\":%s,\"error\":",
                   id, tp->partitions_n, rf, tp->is_internal ? "true" : "false");
            if (tp->error_code != 0)
                cli_json_str(stdout, cli_kafka_errname(tp->error_code), -1);
            else
                printf("null");
            printf(",\"configs\":{");
            for (int32_t j = 0; res[i] != NULL && j < res[i]->configs_n; j++) {
                struct kmsg_describe_configs_resp_config *cf = &res[i]->configs[j];

                if (!cli_topics_conf_shown(cf))
                    continue;
                printf(nc++ > 0 ? "," : "");
                cli_json_str(stdout, (const char *)cf->name.p, cf->name.n);
                printf(":");
                cli_json_str(stdout, cf->value.n < 0 ? NULL : (const char *)cf->value.p,
                             cf->value.n);
            }
            printf("},\"partitions\":[");
        } else if (!partial) {
            printf("Topic: %.*s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ",
                   tp->name.n, (const char *)tp->name.p, id, tp->partitions_n, rf);
            for (int32_t j = 0; res[i] != NULL && j < res[i]->configs_n; j++) {
                struct kmsg_describe_configs_resp_config *cf = &res[i]->configs[j];

                if (!cli_topics_conf_shown(cf))
                    continue;
                printf("%s%.*s=%.*s", nc++ > 0 ? "," : "", cf->name.n,
                       (const char *)cf->name.p, cf->value.n > 0 ? cf->value.n : 0,
                       (const char *)cf->value.p);
            }
            printf("\n");
        }
        for (int32_t j = 0, np = 0; j < tp->partitions_n; j++) {
            struct kmsg_metadata_resp_part *p = &tp->partitions[j];

            if ((urp && p->isr_nodes_n >= p->replica_nodes_n) || (unavail && p->leader_id >= 0) ||
                (overrides && !t->json))
                continue;
            if (t->json) {
                printf("%s{\"partition\":%d,\"leader\":%d,\"replicas\":[", np++ > 0 ? "," : "",
                       p->partition_index, p->leader_id);
                cli_topics_ints(p->replica_nodes, p->replica_nodes_n, true);
                printf("],\"isr\":[");
                cli_topics_ints(p->isr_nodes, p->isr_nodes_n, true);
                printf("]}");
                continue;
            }
            printf("\tTopic: %.*s\tPartition: %d\tLeader: ", tp->name.n,
                   (const char *)tp->name.p, p->partition_index);
            if (p->leader_id >= 0)
                printf("%d", p->leader_id);
            else
                printf("none");
            printf("\tReplicas: ");
            cli_topics_ints(p->replica_nodes, p->replica_nodes_n, false);
            printf("\tIsr: ");
            cli_topics_ints(p->isr_nodes, p->isr_nodes_n, false);
            if (p->offline_replicas_n > 0) {
                printf("\tOffline: ");
                cli_topics_ints(p->offline_replicas, p->offline_replicas_n, false);
            }
            printf("\n");
        }
        if (t->json)
            printf("]}");
    }
    if (t->json)
        printf("]\n");
    return CLI_EXIT_OK;
}

/* The existing topics --topic names (for alter and delete). */
static int cli_topics_targets(struct cli_topics *t, const char *action,
                              struct kmsg_metadata_resp_topic ***tps, int *n)
{
    struct kmsg_metadata_resp md;
    const char               *name = cli_args_get(&t->a, "--topic");
    int                       rc;

    if (name == NULL) {
        fprintf(stderr, "odradek topics: %s needs --topic\n", action);
        return CLI_EXIT_USAGE;
    }
    rc = cli_topics_fetch(t, &md, tps, n);
    if (rc != 0)
        return rc;
    if (*n == 0 && cli_args_count(&t->a, "--if-exists") == 0) {
        fprintf(stderr, "odradek topics: Error while executing topic command : "
                        "Topic '%s' does not exist as expected\n", name);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

static int cli_topics_alter_configs(struct cli_topics *t,
                                    struct kmsg_metadata_resp_topic **tps, int n)
{
    struct kmsg_incremental_alter_configs_req  req;
    struct kmsg_incremental_alter_configs_resp resp;
    int                                        nconf = cli_args_count(&t->a, "--config");
    struct cli_kconn                          *c;
    int                                        rc;

    kmsg_defaults(kmsg_api(KMSG_API_INCREMENTAL_ALTER_CONFIGS)->req, &req);
    req.resources = arena_calloc(&t->arena, (size_t)n + 1, sizeof *req.resources);
    req.resources_n = n;
    for (int i = 0; i < n; i++) {
        struct kmsg_incremental_alter_configs_req_res *r = &req.resources[i];

        r->resource_type = 2;
        r->resource_name = tps[i]->name;
        r->configs = arena_calloc(&t->arena, (size_t)nconf + 1, sizeof *r->configs);
        r->configs_n = nconf;
        for (int j = 0; j < nconf; j++) {
            const char *kv = cli_args_nth(&t->a, "--config", j), *eq = strchr(kv, '=');

            if (eq == NULL || eq == kv) {
                fprintf(stderr, "odradek topics: --config: want key=value, got '%s'\n", kv);
                return CLI_EXIT_USAGE;
            }
            r->configs[j].name.p = (const uint8_t *)kv;
            r->configs[j].name.n = (int32_t)(eq - kv);
            r->configs[j].config_operation = 0; /* SET */
            r->configs[j].value = cli_slice(eq + 1);
        }
    }
    rc = cli_kafka_controller(&t->k, &c);
    if (rc == 0)
        rc = cli_kafka_call(&t->k, c, KMSG_API_INCREMENTAL_ALTER_CONFIGS, &req, &resp,
                            &t->arena);
    if (rc < 0)
        return cli_topics_io("IncrementalAlterConfigs", rc);
    for (int32_t i = 0; i < resp.responses_n; i++)
        if (resp.responses[i].error_code != 0)
            return cli_topics_fail("cannot change the configs of '%s'",
                                   cli_sdup(&t->arena, resp.responses[i].resource_name),
                                   resp.responses[i].error_code,
                                   resp.responses[i].error_message);
    return CLI_EXIT_OK;
}

static int cli_topics_alter(struct cli_topics *t)
{
    struct kmsg_metadata_resp_topic **tps;
    struct kmsg_create_partitions_req req;
    struct kmsg_create_partitions_resp resp;
    const char                       *ps = cli_args_get(&t->a, "--partitions");
    struct cli_kconn                 *c;
    int64_t                           v = 0;
    int                               n, rc;

    if (ps == NULL && cli_args_count(&t->a, "--config") == 0) {
        fprintf(stderr, "odradek topics: --alter needs --partitions N or --config k=v\n");
        return CLI_EXIT_USAGE;
    }
    if (ps != NULL && cli_parse_i64(ps, 1, INT32_MAX, &v) < 0) {
        fprintf(stderr, "odradek topics: --partitions: want a positive number, got '%s'\n", ps);
        return CLI_EXIT_USAGE;
    }
    rc = cli_topics_targets(t, "--alter", &tps, &n);
    if (rc != 0 || n == 0)
        return rc;
    if (cli_args_count(&t->a, "--config") > 0) {
        rc = cli_topics_alter_configs(t, tps, n);
        if (rc != 0)
            return rc;
    }
    if (ps == NULL)
        return CLI_EXIT_OK;
    kmsg_defaults(kmsg_api(KMSG_API_CREATE_PARTITIONS)->req, &req);
    req.topics = arena_calloc(&t->arena, (size_t)n + 1, sizeof *req.topics);
    req.topics_n = n;
    req.timeout_ms = t->k.timeout_ms;
    for (int i = 0; i < n; i++) {
        req.topics[i].name = tps[i]->name;
        req.topics[i].count = (int32_t)v;
        req.topics[i].assignments = NULL;
        req.topics[i].assignments_n = -1;
    }
    rc = cli_kafka_controller(&t->k, &c);
    if (rc == 0)
        rc = cli_kafka_call(&t->k, c, KMSG_API_CREATE_PARTITIONS, &req, &resp, &t->arena);
    if (rc < 0)
        return cli_topics_io("CreatePartitions", rc);
    for (int32_t i = 0; i < resp.results_n; i++)
        if (resp.results[i].error_code != 0)
            return cli_topics_fail("cannot change the partitions of '%s'",
                                   cli_sdup(&t->arena, resp.results[i].name),
                                   resp.results[i].error_code,
                                   resp.results[i].error_message);
    return CLI_EXIT_OK;
}

static int cli_topics_delete(struct cli_topics *t)
{
    struct kmsg_metadata_resp_topic **tps;
    struct kmsg_delete_topics_req     req;
    struct kmsg_delete_topics_resp    resp;
    struct cli_kconn                 *c;
    int                               n, rc;

    rc = cli_topics_targets(t, "--delete", &tps, &n);
    if (rc != 0 || n == 0)
        return rc;
    kmsg_defaults(kmsg_api(KMSG_API_DELETE_TOPICS)->req, &req);
    /* v0-5 carry names, v6 an array of {name, id}: fill both, the codec
     * writes the one the negotiated version has */
    req.topic_names = arena_calloc(&t->arena, (size_t)n + 1, sizeof *req.topic_names);
    req.topic_names_n = n;
    req.topics = arena_calloc(&t->arena, (size_t)n + 1, sizeof *req.topics);
    req.topics_n = n;
    req.timeout_ms = t->k.timeout_ms;
    for (int i = 0; i < n; i++) {
        req.topic_names[i] = tps[i]->name;
        req.topics[i].name = tps[i]->name;
    }
    rc = cli_kafka_controller(&t->k, &c);
    if (rc == 0)
        rc = cli_kafka_call(&t->k, c, KMSG_API_DELETE_TOPICS, &req, &resp, &t->arena);
    if (rc < 0)
        return cli_topics_io("DeleteTopics", rc);
    for (int32_t i = 0; i < resp.responses_n; i++)
        if (resp.responses[i].error_code != 0)
            return cli_topics_fail("cannot delete topic '%s'",
                                   cli_sdup(&t->arena, resp.responses[i].name),
                                   resp.responses[i].error_code,
                                   resp.responses[i].error_message);
    return CLI_EXIT_OK;
}

static const struct {
    const char *flag;
    int (*run)(struct cli_topics *t);
} cli_topics_actions[] = {
    { "--create", cli_topics_create },     { "--list", cli_topics_list },
    { "--describe", cli_topics_describe }, { "--alter", cli_topics_alter },
    { "--delete", cli_topics_delete },
};

int cli_topics_main(int argc, char **argv)
{
    struct cli_topics t;
    char              err[256];
    int               act = -1, nact = 0, rc;
    int64_t           tmo = 10000;

    memset(&t, 0, sizeof t);
    if (cli_args_parse(&t.a, cli_topics_opts, CLI_TOPICS_NOPTS, argc, argv, err,
                       sizeof err) < 0) {
        fprintf(stderr, "odradek topics: %s (try: odradek help topics)\n", err);
        cli_args_free(&t.a);
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&t.a, "--help") > 0) {
        cli_topics_usage(stdout);
        cli_args_free(&t.a);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cli_topics_actions / sizeof cli_topics_actions[0]; i++)
        if (cli_args_count(&t.a, cli_topics_actions[i].flag) > 0) {
            act = (int)i;
            nact++;
        }
    if (nact != 1) {
        fprintf(stderr, "odradek topics: give exactly one of --create, --list, --describe, "
                        "--alter, --delete\n");
        cli_args_free(&t.a);
        return CLI_EXIT_USAGE;
    }
    if (act != 1 && act != 2 && cli_args_get(&t.a, "--topic") == NULL) {
        fprintf(stderr, "odradek topics: %s needs --topic\n", cli_topics_actions[act].flag);
        cli_args_free(&t.a);
        return CLI_EXIT_USAGE;
    }
    if (cli_args_get(&t.a, "--timeout-ms") != NULL &&
        cli_parse_i64(cli_args_get(&t.a, "--timeout-ms"), 1, 3600000, &tmo) < 0) {
        fprintf(stderr, "odradek topics: --timeout-ms: want milliseconds\n");
        cli_args_free(&t.a);
        return CLI_EXIT_USAGE;
    }
    t.json = cli_args_count(&t.a, "--json") > 0;
    rc = cli_kafka_connect(&t.k, "topics", cli_args_get(&t.a, "--bootstrap-server"),
                           cli_args_get(&t.a, "--zookeeper"), (int)tmo);
    if (rc == CLI_EXIT_OK) {
        arena_init(&t.arena);
        rc = cli_topics_actions[act].run(&t);
        arena_free(&t.arena);
    }
    cli_kafka_close(&t.k);
    cli_args_free(&t.a);
    return rc;
}
