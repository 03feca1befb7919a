/* cli_groups: `odradek consumer-groups`, kafka-consumer-groups.sh's flags:
 * --list (ListGroups at every broker), --describe --group G
 * (DescribeGroups + OffsetFetch at the coordinator, ListOffsets at the
 * leaders: Kafka's GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG
 * CONSUMER-ID HOST CLIENT-ID table), --reset-offsets (computed here,
 * committed with OffsetCommit as a simple, generation -1 commit only
 * when the group has no members, as Kafka requires) and --delete
 * (DeleteGroups).  It does not own the client (cli_kafka). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_kafka.h"
#include "clock.h"
#include "err.h"
#include "kerr.h"
#include "xalloc.h"

static const struct cli_opt cli_groups_opts[] = {
    CLI_OPT_ARG("--bootstrap-server", "broker list host:port[,host:port] (required)"),
    CLI_OPT_FLAG("--list", "list the consumer groups"),
    CLI_OPT_FLAG("--describe", "offsets and lag of --group"),
    CLI_OPT_FLAG("--reset-offsets", "reset the offsets of an inactive --group"),
    CLI_OPT_FLAG("--delete", "delete --group"),
    CLI_OPT_MULTI("--group", "the consumer group (repeatable)"),
    CLI_OPT_MULTI("--topic", "reset: topic T or T:0,1,2 (repeatable)"),
    CLI_OPT_FLAG("--all-topics", "reset: every topic the group has offsets for"),
    CLI_OPT_FLAG("--to-earliest", "reset to the log start"),
    CLI_OPT_FLAG("--to-latest", "reset to the log end"),
    CLI_OPT_ARG("--to-offset", "reset to this offset (clamped to the log)"),
    CLI_OPT_ARG("--to-datetime", "reset to the first offset at YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm]"),
    CLI_OPT_ARG("--shift-by", "move the committed offsets by N (may be negative)"),
    CLI_OPT_FLAG("--to-current", "reset to the committed offsets"),
    CLI_OPT_ARG("--by-duration", "reset to the first offset younger than PnDTnHnMnS"),
    CLI_OPT_FLAG("--dry-run", "reset: show the new offsets only (the default)"),
    CLI_OPT_FLAG("--execute", "reset: commit the new offsets"),
    CLI_OPT_FLAG("--offsets", "describe: the offsets table (the default)"),
    CLI_OPT_FLAG("--members", "describe: the members and how many partitions each has"),
    CLI_OPT_FLAG("--state", "describe: coordinator, assignment strategy, state, members"),
    CLI_OPT_FLAG("--json", "print JSON instead of a table"),
    CLI_OPT_ARG("--timeout", "request timeout in ms (default 10000)"),
    CLI_OPT_FLAG("--help", "this text"),
};
#define CLI_GROUPS_NOPTS ((int)(sizeof cli_groups_opts / sizeof cli_groups_opts[0]))

void cli_groups_usage(FILE *f)
{
    fprintf(f, "usage: odradek consumer-groups --bootstrap-server HOST:PORT ACTION [OPTIONS]\n"
               "  actions: --list | --describe --group G [--members | --state] |\n"
               "           --delete --group G\n"
               "           --reset-offsets --group G (--topic T[:P,P] | --all-topics)\n"
               "             (--to-earliest | --to-latest | --to-offset N | --to-datetime D |\n"
               "              --by-duration PnDTnHnMnS | --shift-by N | --to-current)\n"
               "             [--dry-run | --execute]\n\n");
    cli_args_usage(f, cli_groups_opts, CLI_GROUPS_NOPTS);
    fprintf(f, "\n" CLI_EXIT_TEXT
               "A group that does not exist, or a reset of an active group, exits 1.\n");
}

/* One row of describe / reset. */
struct cli_grow {
    char   *topic;
    int32_t part;
    int64_t current; /* committed, -1 none */
    int64_t end;     /* log end, -1 unknown */
    int64_t target;  /* reset: the new offset */
    char   *member, *host, *client;
};

struct cli_groups {
    struct cli_kafka k;
    struct cli_args  a;
    arena_t          arena;
    struct kmsg_describe_groups_resp_group *dg; /* the last group loaded */
    bool             json;
    struct cli_grow *rows;
    int              nrows;
};

static struct cli_grow *cli_groups_row(struct cli_groups *g, slice_t topic, int32_t part)
{
    for (int i = 0; i < g->nrows; i++)
        if (g->rows[i].part == part && slice_eq(topic, g->rows[i].topic))
            return &g->rows[i];
    g->rows = xrealloc(g->rows, sizeof *g->rows * (size_t)(g->nrows + 1));
    memset(&g->rows[g->nrows], 0, sizeof *g->rows);
    g->rows[g->nrows].topic = cli_sdup(&g->arena, topic);
    g->rows[g->nrows].part = part;
    g->rows[g->nrows].current = -1;
    g->rows[g->nrows].end = -1;
    g->rows[g->nrows].target = -1;
    return &g->rows[g->nrows++];
}

static int cli_groups_row_cmp(const void *x, const void *y)
{
    const struct cli_grow *a = x, *b = y;
    int                    c = strcmp(a->topic, b->topic);

    return c != 0 ? c : a->part - b->part;
}

static int cli_groups_io(const char *what, int rc)
{
    fprintf(stderr, "odradek consumer-groups: %s: %s\n", what, err_str(rc));
    return rc == ERR_UNSUPPORTED ? CLI_EXIT_FAIL : cli_kafka_exit_for(rc);
}

/* The offset of each row's partition at timestamp ts (-1 latest, -2
 * earliest, else the first offset at or after ts; -1 if none) into
 * *which (a field of the row). */
static int cli_groups_offsets_at(struct cli_groups *g, int64_t ts, size_t field)
{
    for (int i = 0; i < g->nrows; i++) {
        struct cli_grow                   *row = &g->rows[i];
        struct cli_ktopic                  tp;
        struct kmsg_list_offsets_req       req;
        struct kmsg_list_offsets_req_topic t;
        struct kmsg_list_offsets_req_part  pr;
        struct kmsg_list_offsets_resp      resp;
        struct cli_kconn                  *kc;
        int64_t                           *out = (int64_t *)((char *)row + field);
        arena_t                            a;
        int                                rc;

        *out = -1;
        arena_init(&a);
        rc = cli_kafka_topic(&g->k, row->topic, false, &tp, &a);
        if (rc != 0 || row->part >= tp.nparts) {
            arena_free(&a);
            if (rc < 0)
                return cli_groups_io("Metadata", rc);
            continue; /* the topic is gone: no log end */
        }
        kmsg_defaults(kmsg_api(KMSG_API_LIST_OFFSETS)->req, &req);
        kmsg_defaults(&kmsg_s_list_offsets_req_part, &pr);
        pr.partition = row->part;
        pr.timestamp = ts;
        pr.max_num_offsets = 1;
        t.name = cli_slice(row->topic);
        t.partitions = &pr;
        t.partitions_n = 1;
        req.topics = &t;
        req.topics_n = 1;
        rc = cli_kafka_node(&g->k, tp.leader[row->part], &kc);
        if (rc == 0)
            rc = cli_kafka_call(&g->k, kc, KMSG_API_LIST_OFFSETS, &req, &resp, &a);
        if (rc < 0) {
            arena_free(&a);
            return cli_groups_io("ListOffsets", rc);
        }
        if (resp.topics_n > 0 && resp.topics[0].partitions_n > 0 &&
            resp.topics[0].partitions[0].error_code == 0) {
            struct kmsg_list_offsets_resp_part *p = &resp.topics[0].partitions[0];

            *out = cli_kconn_version(kc, KMSG_API_LIST_OFFSETS) == 0
                       ? (p->old_style_offsets_n > 0 ? p->old_style_offsets[0] : -1)
                       : p->offset;
        }
        arena_free(&a);
    }
    return CLI_EXIT_OK;
}

/* DescribeGroups + OffsetFetch(all topics) for group: fills the rows,
 * *state and *members.  Returns an exit code; a missing group is 1. */
static int cli_groups_load(struct cli_groups *g, const char *group, struct cli_kconn **coord,
                           char **state, int *members)
{
    struct kmsg_describe_groups_req  dreq;
    struct kmsg_describe_groups_resp dresp;
    struct kmsg_offset_fetch_req     oreq;
    struct kmsg_offset_fetch_resp    oresp;
    struct kmsg_describe_groups_resp_group *dg;
    slice_t                          gs = cli_slice(group);
    int                              rc;

    rc = cli_kafka_coordinator(&g->k, group, coord);
    if (rc != 0) {
        fprintf(stderr, "odradek consumer-groups: no coordinator for group '%s': %s\n", group,
                rc < 0 ? err_str(rc) : cli_kafka_errname(rc));
        return rc < 0 ? cli_kafka_exit_for(rc) : CLI_EXIT_FAIL;
    }
    kmsg_defaults(kmsg_api(KMSG_API_DESCRIBE_GROUPS)->req, &dreq);
    dreq.groups = &gs;
    dreq.groups_n = 1;
    rc = cli_kafka_call(&g->k, *coord, KMSG_API_DESCRIBE_GROUPS, &dreq, &dresp, &g->arena);
    if (rc < 0)
        return cli_groups_io("DescribeGroups", rc);
    if (dresp.groups_n < 1 || dresp.groups[0].error_code != 0) {
        fprintf(stderr, "odradek consumer-groups: DescribeGroups '%s': %s\n", group,
                cli_kafka_errname(dresp.groups_n < 1 ? -1 : dresp.groups[0].error_code));
        return CLI_EXIT_FAIL;
    }
    dg = &dresp.groups[0];
    g->dg = dg;
    *state = cli_sdup(&g->arena, dg->group_state);
    *members = dg->members_n;
    for (int32_t i = 0; i < dg->members_n; i++) {
        struct kmsg_describe_groups_resp_member *m = &dg->members[i];
        slice_t as = m->member_assignment;
        rd_t    r = rd_init(as.p, as.n > 0 ? (size_t)as.n : 0);
        int32_t nt;

        if (as.n <= 0 || !slice_eq(dg->protocol_type, "consumer"))
            continue;
        (void)rd_i16(&r);
        nt = rd_count(&r, false, 6);
        for (int32_t t = 0; t < nt && rd_ok(&r); t++) {
            slice_t topic = rd_string(&r, false);
            int32_t np = rd_count(&r, false, 4);

            for (int32_t j = 0; j < np && rd_ok(&r); j++) {
                struct cli_grow *row = cli_groups_row(g, topic, rd_i32(&r));

                row->member = cli_sdup(&g->arena, m->member_id);
                row->host = cli_sdup(&g->arena, m->client_host);
                row->client = cli_sdup(&g->arena, m->client_id);
            }
        }
    }
    kmsg_defaults(kmsg_api(KMSG_API_OFFSET_FETCH)->req, &oreq);
    oreq.group_id = gs;
    oreq.topics = NULL;
    oreq.topics_n = -1; /* all (v2+) */
    if (cli_kconn_version(*coord, KMSG_API_OFFSET_FETCH) < 2)
        return CLI_EXIT_OK;
    rc = cli_kafka_call(&g->k, *coord, KMSG_API_OFFSET_FETCH, &oreq, &oresp, &g->arena);
    if (rc < 0)
        return cli_groups_io("OffsetFetch", rc);
    for (int32_t i = 0; i < oresp.topics_n; i++)
        for (int32_t j = 0; j < oresp.topics[i].partitions_n; j++) {
            struct kmsg_offset_fetch_resp_part *p = &oresp.topics[i].partitions[j];

            if (p->error_code != 0 || p->committed_offset < 0)
                continue;
            cli_groups_row(g, oresp.topics[i].name, p->partition_index)->current =
                p->committed_offset;
        }
    return CLI_EXIT_OK;
}

static bool cli_groups_missing(const char *state, int members, int nrows)
{
    return strcmp(state, "Dead") == 0 || (members == 0 && nrows == 0 &&
                                         strcmp(state, "Empty") != 0 && state[0] == '\0');
}

static void cli_groups_num(char *b, size_t n, int64_t v)
{
    if (v < 0)
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%lld", (long long)v);
}

/* How many partitions a ConsumerProtocolAssignment holds. */
static int cli_groups_nassigned(slice_t as)
{
    rd_t    r = rd_init(as.p, as.n > 0 ? (size_t)as.n : 0);
    int32_t nt;
    int     total = 0;

    if (as.n <= 0)
        return 0;
    (void)rd_i16(&r);
    nt = rd_count(&r, false, 6);
    for (int32_t t = 0; t < nt && rd_ok(&r); t++) {
        int32_t np;

        (void)rd_string(&r, false);
        np = rd_count(&r, false, 4);
        rd_skip(&r, (size_t)(np > 0 ? np : 0) * 4);
        if (rd_ok(&r))
            total += np;
    }
    return rd_ok(&r) ? total : 0;
}

/* --describe --members: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS. */
static void cli_groups_members(struct cli_groups *g, const char *group, bool *first)
{
    struct kmsg_describe_groups_resp_group *dg = g->dg;
    int                                     wg = 5, wc = 11, wh = 4, wl = 9;

    for (int32_t i = 0; i < dg->members_n; i++) {
        struct kmsg_describe_groups_resp_member *m = &dg->members[i];

        wc = m->member_id.n > wc ? m->member_id.n : wc;
        wh = m->client_host.n > wh ? m->client_host.n : wh;
        wl = m->client_id.n > wl ? m->client_id.n : wl;
    }
    wg = (int)strlen(group) > wg ? (int)strlen(group) : wg;
    if (g->json) {
        printf("%s{\"group\":", *first ? "" : ",");
        cli_json_str(stdout, group, -1);
        printf(",\"members\":[");
    } else if (dg->members_n == 0) {
        printf("\nConsumer group '%s' has no active members.\n", group);
    } else {
        printf("\n%-*s %-*s %-*s %-*s %s\n", wg, "GROUP", wc, "CONSUMER-ID", wh, "HOST", wl,
               "CLIENT-ID", "#PARTITIONS");
    }
    for (int32_t i = 0; i < dg->members_n; i++) {
        struct kmsg_describe_groups_resp_member *m = &dg->members[i];
        int np = cli_groups_nassigned(m->member_assignment);

        if (g->json) {
            printf("%s{\"consumer_id\":", i > 0 ? "," : "");
            cli_json_str(stdout, (const char *)m->member_id.p, m->member_id.n);
            printf(",\"host\":");
            cli_json_str(stdout, (const char *)m->client_host.p, m->client_host.n);
            printf(",\"client_id\":");
            cli_json_str(stdout, (const char *)m->client_id.p, m->client_id.n);
            printf(",\"partitions\":%d}", np);
            continue;
        }
        printf("%-*s %-*.*s %-*.*s %-*.*s %d\n", wg, group, wc, m->member_id.n,
               (const char *)m->member_id.p, wh, m->client_host.n,
               (const char *)m->client_host.p, wl, m->client_id.n,
               (const char *)m->client_id.p, np);
    }
    if (g->json)
        printf("]}");
    *first = false;
}

/* --describe --state: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE
 * #MEMBERS. */
static void cli_groups_state(struct cli_groups *g, const char *group, struct cli_kconn *coord,
                             const char *state, bool *first)
{
    struct kmsg_describe_groups_resp_group *dg = g->dg;
    char                                    co[340];
    int                                     wg = (int)strlen(group) > 5 ? (int)strlen(group) : 5;

    snprintf(co, sizeof co, "%s  (%d)", coord->addr, coord->node_id);
    if (g->json) {
        printf("%s{\"group\":", *first ? "" : ",");
        cli_json_str(stdout, group, -1);
        printf(",\"coordinator\":{\"id\":%d,\"address\":", coord->node_id);
        cli_json_str(stdout, coord->addr, -1);
        printf("},\"assignment_strategy\":");
        cli_json_str(stdout, (const char *)dg->protocol_data.p, dg->protocol_data.n);
        printf(",\"state\":");
        cli_json_str(stdout, state, -1);
        printf(",\"members\":%d}", dg->members_n);
    } else {
        printf("\n%-*s %-25s %-20s %-15s %s\n", wg, "GROUP", "COORDINATOR (ID)",
               "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
        printf("%-*s %-25s %-20.*s %-15s %d\n", wg, group, co,
               dg->protocol_data.n > 0 ? dg->protocol_data.n : 0,
               (const char *)dg->protocol_data.p, state, dg->members_n);
    }
    *first = false;
}

static int cli_groups_describe_one(struct cli_groups *g, const char *group, bool *first)
{
    struct cli_kconn *coord;
    char             *state = NULL;
    int               members = 0, rc;
    int               wg = 5, wt = 5, wc = 11, wh = 4;

    g->nrows = 0;
    rc = cli_groups_load(g, group, &coord, &state, &members);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (cli_groups_missing(state, members, g->nrows)) {
        fprintf(stderr, "odradek consumer-groups: Error: Consumer group '%s' does not exist.\n",
                group);
        return CLI_EXIT_FAIL;
    }
    if (cli_args_count(&g->a, "--members") > 0) {
        cli_groups_members(g, group, first);
        return CLI_EXIT_OK;
    }
    if (cli_args_count(&g->a, "--state") > 0) {
        cli_groups_state(g, group, coord, state, first);
        return CLI_EXIT_OK;
    }
    rc = cli_groups_offsets_at(g, -1, offsetof(struct cli_grow, end));
    if (rc != CLI_EXIT_OK)
        return rc;
    qsort(g->rows, (size_t)g->nrows, sizeof *g->rows, cli_groups_row_cmp);
    if (g->json) {
        printf("%s{\"group\":", *first ? "" : ",");
        cli_json_str(stdout, group, -1);
        printf(",\"state\":");
        cli_json_str(stdout, state, -1);
        printf(",\"members\":%d,\"partitions\":[", members);
        for (int i = 0; i < g->nrows; i++) {
            struct cli_grow *r = &g->rows[i];

            printf("%s{\"topic\":", i > 0 ? "," : "");
            cli_json_str(stdout, r->topic, -1);
            printf(",\"partition\":%d,\"current_offset\":", r->part);
            if (r->current >= 0)
                printf("%lld", (long long)r->current);
            else
                printf("null");
            printf(",\"log_end_offset\":");
            if (r->end >= 0)
                printf("%lld", (long long)r->end);
            else
                printf("null");
            printf(",\"lag\":");
            if (r->current >= 0 && r->end >= 0)
                printf("%lld", (long long)(r->end - r->current));
            else
                printf("null");
            printf(",\"consumer_id\":");
            cli_json_str(stdout, r->member, -1);
            printf(",\"host\":");
            cli_json_str(stdout, r->host, -1);
            printf(",\"client_id\":");
            cli_json_str(stdout, r->client, -1);
            printf("}");
        }
        printf("]}");
        *first = false;
        return CLI_EXIT_OK;
    }
    *first = false;
    if (members == 0)
        printf("\nConsumer group '%s' has no active members.\n", group);
    if ((int)strlen(group) > wg)
        wg = (int)strlen(group);
    for (int i = 0; i < g->nrows; i++) {
        struct cli_grow *r = &g->rows[i];

        if ((int)strlen(r->topic) > wt)
            wt = (int)strlen(r->topic);
        if (r->member != NULL && (int)strlen(r->member) > wc)
            wc = (int)strlen(r->member);
        if (r->host != NULL && (int)strlen(r->host) > wh)
            wh = (int)strlen(r->host);
    }
    printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", wg, "GROUP", wt, "TOPIC",
           "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", wc, "CONSUMER-ID", wh,
           "HOST", "CLIENT-ID");
    for (int i = 0; i < g->nrows; i++) {
        struct cli_grow *r = &g->rows[i];
        char             cur[24], end[24], lag[24];

        cli_groups_num(cur, sizeof cur, r->current);
        cli_groups_num(end, sizeof end, r->end);
        cli_groups_num(lag, sizeof lag,
                       r->current >= 0 && r->end >= 0 ? r->end - r->current : -1);
        printf("%-*s %-*s %-10d %-15s %-15s %-15s %-*s %-*s %s\n", wg, group, wt, r->topic,
               r->part, cur, end, lag, wc, r->member ? r->member : "-", wh,
               r->host ? r->host : "-", r->client ? r->client : "-");
    }
    return CLI_EXIT_OK;
}

static int cli_groups_describe(struct cli_groups *g)
{
    bool first = true;
    int  rc = CLI_EXIT_OK;

    if (g->json)
        printf("[");
    for (int i = 0; i < cli_args_count(&g->a, "--group"); i++) {
        int r = cli_groups_describe_one(g, cli_args_nth(&g->a, "--group", i), &first);

        if (r != CLI_EXIT_OK)
            rc = r;
    }
    if (g->json)
        printf("]\n");
    return rc;
}

static int cli_groups_strcmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int cli_groups_list(struct cli_groups *g)
{
    struct kmsg_metadata_resp md;
    char                    **names = NULL;
    int                       n = 0, rc;

    rc = cli_kafka_metadata(&g->k, NULL, 0, false, &md, &g->arena);
    if (rc < 0)
        return cli_groups_io("Metadata", rc);
    for (int32_t b = 0; b < md.brokers_n; b++) {
        struct kmsg_list_groups_req  req;
        struct kmsg_list_groups_resp resp;
        struct cli_kconn            *c;

        kmsg_defaults(kmsg_api(KMSG_API_LIST_GROUPS)->req, &req);
        req.states_filter_n = 0;
        rc = cli_kafka_node(&g->k, md.brokers[b].node_id, &c);
        if (rc == 0)
            rc = cli_kafka_call(&g->k, c, KMSG_API_LIST_GROUPS, &req, &resp, &g->arena);
        if (rc < 0) {
            free(names);
            return cli_groups_io("ListGroups", rc);
        }
        if (resp.error_code != 0) {
            fprintf(stderr, "odradek consumer-groups: ListGroups at broker %d: %s\n",
                    md.brokers[b].node_id, cli_kafka_errname(resp.error_code));
            free(names);
            return CLI_EXIT_FAIL;
        }
        for (int32_t i = 0; i < resp.groups_n; i++) {
            names = xrealloc(names, sizeof *names * (size_t)(n + 1));
            names[n++] = cli_sdup(&g->arena, resp.groups[i].group_id);
        }
    }
    qsort(names, (size_t)n, sizeof *names, cli_groups_strcmp);
    if (g->json)
        printf("[");
    for (int i = 0; i < n; i++) {
        if (g->json) {
            printf(i > 0 ? "," : "");
            cli_json_str(stdout, names[i], -1);
        } else {
            printf("%s\n", names[i]);
        }
    }
    if (g->json)
        printf("]\n");
    free(names);
    return CLI_EXIT_OK;
}

/* "YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm|-hhmm]" as Kafka's --to-datetime;
 * no zone means local time.  Returns ms since the epoch, or -1. */
int64_t cli_groups_datetime(const char *s);
int64_t cli_groups_datetime(const char *s)
{
    struct tm   tm;
    const char *p;
    int64_t     ms = 0, t;
    int         sign, hh, mm;

    memset(&tm, 0, sizeof tm);
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return -1;
    if (*p == '.') {
        int d = 0;

        for (p++; *p >= '0' && *p <= '9'; p++, d++)
            if (d < 3)
                ms = ms * 10 + (*p - '0');
        for (; d < 3; d++)
            ms *= 10;
    }
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = (int64_t)mktime(&tm);
        return t < 0 ? -1 : t * 1000 + ms;
    }
    t = (int64_t)timegm(&tm);
    if (*p == 'Z' && p[1] == '\0')
        return t * 1000 + ms;
    if ((*p != '+' && *p != '-') ||
        (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(p + 1, "%2d%2d", &hh, &mm) != 2))
        return -1;
    sign = *p == '+' ? 1 : -1;
    return (t - sign * (hh * 3600 + mm * 60)) * 1000 + ms;
}

/* An ISO-8601 duration as --by-duration takes it (Java's Duration.parse:
 * "PnDTnHnMn.nS", e.g. P1DT2H, PT30M, PT0.5S).  Returns milliseconds, or
 * -1. */
int64_t cli_groups_duration(const char *s);
int64_t cli_groups_duration(const char *s)
{
    static const struct {
        char    unit;
        bool    in_time;
        int64_t ms;
    } units[] = {
        { 'D', false, 86400000 }, { 'H', true, 3600000 }, { 'M', true, 60000 },
        { 'S', true, 1000 },
    };
    int64_t total = 0;
    bool    in_time = false, any = false;
    size_t  next = 0;

    if (s == NULL || *s++ != 'P')
        return -1;
    while (*s != '\0') {
        char   *end;
        double  v;
        size_t  u;

        if (*s == 'T' && !in_time) {
            in_time = true;
            s++;
            continue;
        }
        if (*s < '0' || *s > '9')
            return -1;
        v = strtod(s, &end);
        for (u = next; u < sizeof units / sizeof units[0]; u++)
            if (units[u].unit == *end && units[u].in_time == in_time)
                break;
        if (u == sizeof units / sizeof units[0] || (v != (int64_t)v && units[u].unit != 'S') ||
            v > 1e12)
            return -1;
        total += (int64_t)(v * (double)units[u].ms + 0.5);
        next = u + 1;
        any = true;
        s = end + 1;
    }
    return any ? total : -1;
}

/* Which rows a reset covers: --all-topics, or the --topic T[:p,p] list
 * (every partition of T when none is named). */
static int cli_groups_scope(struct cli_groups *g)
{
    int ntopic = cli_args_count(&g->a, "--topic");

    if (cli_args_count(&g->a, "--all-topics") > 0)
        return CLI_EXIT_OK;
    for (int i = 0; i < g->nrows; i++)
        g->rows[i].target = -3; /* not in scope unless named below */
    for (int i = 0; i < ntopic; i++) {
        const char       *spec = cli_args_nth(&g->a, "--topic", i), *colon = strchr(spec, ':');
        char             *name = xstrndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
        struct cli_ktopic tp;
        int               rc;

        rc = cli_kafka_topic(&g->k, name, false, &tp, &g->arena);
        if (rc != 0) {
            fprintf(stderr, "odradek consumer-groups: topic '%s': %s\n", name,
                    rc < 0 ? err_str(rc) : cli_kafka_errname(rc));
            free(name);
            return rc < 0 ? cli_kafka_exit_for(rc) : CLI_EXIT_FAIL;
        }
        for (int32_t p = 0; p < tp.nparts; p++) {
            bool want = colon == NULL;

            if (colon != NULL) {
                const char *q = colon + 1;

                while (*q != '\0' && !want) {
                    char *end;
                    long  v = strtol(q, &end, 10);

                    if (end == q) {
                        fprintf(stderr, "odradek consumer-groups: --topic %s: bad partition "
                                        "list\n", spec);
                        free(name);
                        return CLI_EXIT_USAGE;
                    }
                    want = v == p;
                    q = *end == ',' ? end + 1 : end;
                }
            }
            if (want)
                cli_groups_row(g, cli_slice(name), p)->target = -1;
        }
        free(name);
    }
    return CLI_EXIT_OK;
}

static int cli_groups_reset(struct cli_groups *g)
{
    static const char *specs[] = { "--to-earliest", "--to-latest", "--to-offset",
                                   "--to-datetime", "--shift-by", "--to-current",
                                   "--by-duration" };
    const char        *group = cli_args_get(&g->a, "--group");
    struct cli_kconn  *coord;
    char              *state;
    int                members, rc, spec = -1, nspec = 0;
    int64_t            val = 0;
    bool               execute = cli_args_count(&g->a, "--execute") > 0;

    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        if (cli_args_count(&g->a, specs[i]) > 0) {
            spec = i;
            nspec++;
        }
    if (nspec != 1) {
        fprintf(stderr, "odradek consumer-groups: --reset-offsets needs exactly one of "
                        "--to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, "
                        "--shift-by, --to-current\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&g->a, "--topic") == 0 && cli_args_count(&g->a, "--all-topics") == 0) {
        fprintf(stderr, "odradek consumer-groups: --reset-offsets needs --topic T or "
                        "--all-topics\n");
        return CLI_EXIT_USAGE;
    }
    if (spec == 2 && cli_parse_i64(cli_args_get(&g->a, "--to-offset"), 0, INT64_MAX, &val) < 0) {
        fprintf(stderr, "odradek consumer-groups: --to-offset: want a number\n");
        return CLI_EXIT_USAGE;
    }
    if (spec == 4 && cli_parse_i64(cli_args_get(&g->a, "--shift-by"), INT64_MIN / 2,
                                   INT64_MAX / 2, &val) < 0) {
        fprintf(stderr, "odradek consumer-groups: --shift-by: want a number\n");
        return CLI_EXIT_USAGE;
    }
    if (spec == 6) {
        int64_t d = cli_groups_duration(cli_args_get(&g->a, "--by-duration"));

        if (d < 0) {
            fprintf(stderr, "odradek consumer-groups: --by-duration: want PnDTnHnMnS, got "
                            "'%s'\n", cli_args_get(&g->a, "--by-duration"));
            return CLI_EXIT_USAGE;
        }
        val = clock_wall_ms() - d;
        spec = 3; /* from here on it is a datetime */
    }
    if (spec == 3 && cli_args_get(&g->a, "--to-datetime") != NULL &&
        (val = cli_groups_datetime(cli_args_get(&g->a, "--to-datetime"))) < 0) {
        fprintf(stderr, "odradek consumer-groups: --to-datetime: want "
                        "YYYY-MM-DDTHH:mm:SS.sss, got '%s'\n",
                cli_args_get(&g->a, "--to-datetime"));
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&g->a, "--execute") == 0 && cli_args_count(&g->a, "--dry-run") == 0)
        fprintf(stderr, "WARN: No action will be performed as the --execute option is missing. "
                        "Add --dry-run to say so explicitly.\n");
    g->nrows = 0;
    rc = cli_groups_load(g, group, &coord, &state, &members);
    if (rc != CLI_EXIT_OK)
        return rc;
    for (int i = 0; i < g->nrows; i++) {
        g->rows[i].member = NULL;
        g->rows[i].host = NULL;
        g->rows[i].client = NULL;
    }
    if (members > 0 || (strcmp(state, "Empty") != 0 && strcmp(state, "Dead") != 0)) {
        fprintf(stderr, "odradek consumer-groups: Error: Assignments can only be reset if the "
                        "group '%s' is inactive, but the current state is %s.\n", group, state);
        return CLI_EXIT_FAIL;
    }
    rc = cli_groups_scope(g);
    if (rc != CLI_EXIT_OK)
        return rc;
    {   /* drop the rows outside the scope */
        int k = 0;

        for (int i = 0; i < g->nrows; i++)
            if (g->rows[i].target != -3)
                g->rows[k++] = g->rows[i];
        g->nrows = k;
    }
    rc = cli_groups_offsets_at(g, -1, offsetof(struct cli_grow, end));
    if (rc == CLI_EXIT_OK) /* log start, kept in target for now */
        rc = cli_groups_offsets_at(g, -2, offsetof(struct cli_grow, target));
    if (rc != CLI_EXIT_OK)
        return rc;
    for (int i = 0; i < g->nrows; i++) {
        struct cli_grow *r = &g->rows[i];
        int64_t          start = r->target < 0 ? 0 : r->target, end = r->end, t = start;

        switch (spec) {
        case 0: t = start; break;
        case 1: t = end; break;
        case 2: t = val; break;
        case 4: t = (r->current >= 0 ? r->current : end) + val; break;
        case 5: t = r->current >= 0 ? r->current : end; break;
        default: break;
        }
        if (t < start)
            t = start;
        if (end >= 0 && t > end)
            t = end;
        r->target = t;
    }
    if (spec == 3) {
        rc = cli_groups_offsets_at(g, val, offsetof(struct cli_grow, target));
        if (rc != CLI_EXIT_OK)
            return rc;
        for (int i = 0; i < g->nrows; i++)
            if (g->rows[i].target < 0)
                g->rows[i].target = g->rows[i].end; /* nothing that late: the end */
    }
    qsort(g->rows, (size_t)g->nrows, sizeof *g->rows, cli_groups_row_cmp);
    if (execute && g->nrows > 0) {
        struct kmsg_offset_commit_req        req;
        struct kmsg_offset_commit_resp       resp;
        struct kmsg_offset_commit_req_topic *ts;
        int                                  nt = 0;

        kmsg_defaults(kmsg_api(KMSG_API_OFFSET_COMMIT)->req, &req);
        req.group_id = cli_slice(group);
        req.generation_id = -1; /* a simple commit, outside any generation */
        req.member_id = cli_slice("");
        ts = arena_calloc(&g->arena, (size_t)g->nrows, sizeof *ts);
        for (int i = 0; i < g->nrows; i++) {
            struct cli_grow *r = &g->rows[i];
            struct kmsg_offset_commit_req_part *p;

            if (nt == 0 || strcmp(r->topic, (const char *)ts[nt - 1].name.p) != 0) {
                ts[nt].name = cli_slice(r->topic);
                ts[nt].partitions = arena_calloc(&g->arena, (size_t)g->nrows,
                                                 sizeof *ts[nt].partitions);
                nt++;
            }
            p = &ts[nt - 1].partitions[ts[nt - 1].partitions_n++];
            kmsg_defaults(&kmsg_s_offset_commit_req_part, p);
            p->partition_index = r->part;
            p->committed_offset = r->target;
            p->committed_metadata = cli_slice("");
        }
        req.topics = ts;
        req.topics_n = nt;
        rc = cli_kafka_call(&g->k, coord, KMSG_API_OFFSET_COMMIT, &req, &resp, &g->arena);
        if (rc < 0)
            return cli_groups_io("OffsetCommit", rc);
        for (int32_t i = 0; i < resp.topics_n; i++)
            for (int32_t j = 0; j < resp.topics[i].partitions_n; j++)
                if (resp.topics[i].partitions[j].error_code != 0) {
                    fprintf(stderr, "odradek consumer-groups: OffsetCommit %.*s-%d: %s\n",
                            resp.topics[i].name.n, (const char *)resp.topics[i].name.p,
                            resp.topics[i].partitions[j].partition_index,
                            cli_kafka_errname(resp.topics[i].partitions[j].error_code));
                    rc = CLI_EXIT_FAIL;
                }
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (g->json) {
        printf("[");
        for (int i = 0; i < g->nrows; i++) {
            printf("%s{\"group\":", i > 0 ? "," : "");
            cli_json_str(stdout, group, -1);
            printf(",\"topic\":");
            cli_json_str(stdout, g->rows[i].topic, -1);
            printf(",\"partition\":%d,\"new_offset\":%lld}", g->rows[i].part,
                   (long long)g->rows[i].target);
        }
        printf("]\n");
        return CLI_EXIT_OK;
    }
    printf("\n%-30s %-30s %-10s %-15s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    for (int i = 0; i < g->nrows; i++)
        printf("%-30s %-30s %-10d %-15lld\n", group, g->rows[i].topic, g->rows[i].part,
               (long long)g->rows[i].target);
    return CLI_EXIT_OK;
}

static int cli_groups_delete(struct cli_groups *g)
{
    int rc = CLI_EXIT_OK;

    for (int i = 0; i < cli_args_count(&g->a, "--group"); i++) {
        const char                    *group = cli_args_nth(&g->a, "--group", i);
        struct kmsg_delete_groups_req  req;
        struct kmsg_delete_groups_resp resp;
        struct cli_kconn              *coord;
        slice_t                        gs = cli_slice(group);
        int                            r;

        r = cli_kafka_coordinator(&g->k, group, &coord);
        if (r != 0) {
            fprintf(stderr, "odradek consumer-groups: no coordinator for group '%s': %s\n",
                    group, r < 0 ? err_str(r) : cli_kafka_errname(r));
            return r < 0 ? cli_kafka_exit_for(r) : CLI_EXIT_FAIL;
        }
        kmsg_defaults(kmsg_api(KMSG_API_DELETE_GROUPS)->req, &req);
        req.groups_names = &gs;
        req.groups_names_n = 1;
        r = cli_kafka_call(&g->k, coord, KMSG_API_DELETE_GROUPS, &req, &resp, &g->arena);
        if (r < 0)
            return cli_groups_io("DeleteGroups", r);
        for (int32_t j = 0; j < resp.results_n; j++)
            if (resp.results[j].error_code != 0) {
                fprintf(stderr, "odradek consumer-groups: Error: Deletion of some consumer "
                                "groups failed: Group '%s' could not be deleted due to: %s\n",
                        group, cli_kafka_errname(resp.results[j].error_code));
                rc = CLI_EXIT_FAIL;
            }
        if (rc == CLI_EXIT_OK && !g->json)
            printf("Deletion of requested consumer groups ('%s') was successful.\n", group);
    }
    if (rc == CLI_EXIT_OK && g->json)
        printf("{\"deleted\":%d}\n", cli_args_count(&g->a, "--group"));
    return rc;
}

static const struct {
    const char *flag;
    bool        needs_group;
    int (*run)(struct cli_groups *g);
} cli_groups_actions[] = {
    { "--list", false, cli_groups_list },
    { "--describe", true, cli_groups_describe },
    { "--reset-offsets", true, cli_groups_reset },
    { "--delete", true, cli_groups_delete },
};

int cli_groups_main(int argc, char **argv)
{
    struct cli_groups g;
    char              err[256];
    int               act = -1, nact = 0, rc;
    int64_t           tmo = 10000;

    memset(&g, 0, sizeof g);
    if (cli_args_parse(&g.a, cli_groups_opts, CLI_GROUPS_NOPTS, argc, argv, err,
                       sizeof err) < 0) {
        fprintf(stderr, "odradek consumer-groups: %s (try: odradek help consumer-groups)\n",
                err);
        cli_args_free(&g.a);
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&g.a, "--help") > 0) {
        cli_groups_usage(stdout);
        cli_args_free(&g.a);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cli_groups_actions / sizeof cli_groups_actions[0]; i++)
        if (cli_args_count(&g.a, cli_groups_actions[i].flag) > 0) {
            act = (int)i;
            nact++;
        }
    rc = CLI_EXIT_OK;
    if (nact != 1) {
        fprintf(stderr, "odradek consumer-groups: give exactly one of --list, --describe, "
                        "--reset-offsets, --delete\n");
        rc = CLI_EXIT_USAGE;
    } else if (cli_groups_actions[act].needs_group && cli_args_count(&g.a, "--group") == 0) {
        fprintf(stderr, "odradek consumer-groups: %s needs --group\n", cli_groups_actions[act].flag);
        rc = CLI_EXIT_USAGE;
    } else if (cli_args_count(&g.a, "--offsets") + cli_args_count(&g.a, "--members") +
                   cli_args_count(&g.a, "--state") > 1) {
        fprintf(stderr, "odradek consumer-groups: give at most one of --offsets, --members, "
                        "--state\n");
        rc = CLI_EXIT_USAGE;
    } else if (act == 2 && cli_args_count(&g.a, "--group") > 1) {
        fprintf(stderr, "odradek consumer-groups: --reset-offsets takes one --group\n");
        rc = CLI_EXIT_USAGE;
    } else if (cli_args_get(&g.a, "--timeout") != NULL &&
               cli_parse_i64(cli_args_get(&g.a, "--timeout"), 1, 3600000, &tmo) < 0) {
        fprintf(stderr, "odradek consumer-groups: --timeout: want milliseconds\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) {
        g.json = cli_args_count(&g.a, "--json") > 0;
        rc = cli_kafka_connect(&g.k, "consumer-groups",
                               cli_args_get(&g.a, "--bootstrap-server"), NULL, (int)tmo);
    }
    if (rc == CLI_EXIT_OK) {
        arena_init(&g.arena);
        rc = cli_groups_actions[act].run(&g);
        arena_free(&g.arena);
    }
    free(g.rows);
    cli_kafka_close(&g.k);
    cli_args_free(&g.a);
    return rc;
}
