/* kf_configs: DescribeConfigs 0-4, AlterConfigs 0-2 and
 * IncrementalAlterConfigs 0-1 for topics (resource type 2) and this
 * broker (4).  Topic configs are the registry's (kf_topics); broker
 * configs are the cfg table's values, read-only: odradek has no dynamic
 * broker configs, so altering them answers INVALID_REQUEST.
 *
 * Config sources (DescribeConfigsResponse v1+): 1 TOPIC_CONFIG, 4
 * STATIC_BROKER_CONFIG, 5 DEFAULT_CONFIG.  Types (v3+): 1 BOOLEAN, 2
 * STRING, 3 INT, 5 LONG, 6 DOUBLE, 7 LIST. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "kf_api.h"

#define RES_TOPIC 2
#define RES_BROKER 4

static slice_t sdup(struct kf_req *rq, const char *s)
{
    size_t n = strlen(s);

    return (slice_t){(const uint8_t *)arena_strndup(rq->arena, s, n),
                     (int32_t)n};
}

static char *cstr(struct kf_req *rq, slice_t s)
{
    return arena_strndup(rq->arena, s.n > 0 ? (const char *)s.p : "",
                         (size_t)(s.n > 0 ? s.n : 0));
}

static bool wanted(const struct kmsg_describe_configs_req_res *r,
                   const char                                 *key)
{
    int32_t i;

    if (r->configuration_keys_n < 0)
        return true;
    for (i = 0; i < r->configuration_keys_n; i++)
        if (slice_eq(r->configuration_keys[i], key))
            return true;
    return false;
}

static int8_t tconf_type(int t)
{
    static const int8_t map[] = {5, 3, 2, 1, 7, 6};

    return t >= 0 && t < (int)sizeof map ? map[t] : 0;
}

static void describe_topic(struct kf_req *rq, struct kf_topic *t,
                           const struct kmsg_describe_configs_req_res *r,
                           struct kmsg_describe_configs_resp_res      *out,
                           bool                                        synonyms)
{
    const struct kf_tconf_key *k;
    int                        n = 0;

    for (k = kf_tconf_keys; k->name != NULL; k++)
        n++;
    out->configs = arena_calloc(rq->arena, (size_t)n, sizeof *out->configs);
    out->configs_n = 0;
    for (k = kf_tconf_keys; k->name != NULL; k++) {
        struct kmsg_describe_configs_resp_config *c;
        char                                      v[256], d[256];
        bool                                      def;

        if (!wanted(r, k->name))
            continue;
        c = &out->configs[out->configs_n++];
        kmsg_defaults(&kmsg_s_describe_configs_resp_config, c);
        kf_topics_config_value(rq->b->topics, t, k->name, v, sizeof v, &def);
        c->name = sdup(rq, k->name);
        c->value = sdup(rq, v);
        c->is_default = def;
        c->config_source = def ? 5 : 1;
        c->config_type = tconf_type(k->type);
        if (synonyms) {
            int s = 0;

            c->synonyms = arena_calloc(rq->arena, 2, sizeof *c->synonyms);
            if (!def) {
                c->synonyms[s].name = c->name;
                c->synonyms[s].value = c->value;
                c->synonyms[s++].source = 1;
            }
            kf_topics_default_value(rq->b->topics, k->name, d, sizeof d);
            c->synonyms[s].name = sdup(rq, k->broker_key);
            c->synonyms[s].value = sdup(rq, d);
            c->synonyms[s++].source = 5;
            c->synonyms_n = s;
        }
    }
}

static void describe_broker(struct kf_req                              *rq,
                            const struct kmsg_describe_configs_req_res *r,
                            struct kmsg_describe_configs_resp_res      *out)
{
    const struct cfg_key *k;
    int                   n = 0;
    cfg_t                 probe;

    for (k = kf_config_keys; k->name != NULL; k++)
        n++;
    /* the cfg_t only names origins; values come from the struct */
    memset(&probe, 0, sizeof probe);
    out->configs = arena_calloc(rq->arena, (size_t)n, sizeof *out->configs);
    out->configs_n = 0;
    for (k = kf_config_keys; k->name != NULL; k++) {
        struct kmsg_describe_configs_resp_config *c;
        const void *f = (const char *)rq->b->kc + k->off;
        char        v[512] = "";
        bool        null = false;

        if (k->type == CFG_IGNORED || !wanted(r, k->name))
            continue;
        switch (k->type) {
        case CFG_INT:
            snprintf(v, sizeof v, "%d", *(const int32_t *)f);
            break;
        case CFG_LONG:
            snprintf(v, sizeof v, "%lld", (long long)*(const int64_t *)f);
            break;
        case CFG_BOOL:
            snprintf(v, sizeof v, "%s", *(const bool *)f ? "true" : "false");
            break;
        case CFG_STRING:
            if (*(char *const *)f == NULL)
                null = true;
            else
                snprintf(v, sizeof v, "%s", *(char *const *)f);
            break;
        default:
            continue;
        }
        c = &out->configs[out->configs_n++];
        kmsg_defaults(&kmsg_s_describe_configs_resp_config, c);
        c->name = sdup(rq, k->name);
        c->value = null ? (slice_t){NULL, -1} : sdup(rq, v);
        c->read_only = true;
        c->is_default = k->def != NULL && strcmp(k->def, v) == 0;
        c->config_source = c->is_default ? 5 : 4;
        c->config_type = k->type == CFG_INT    ? 3
                         : k->type == CFG_LONG ? 5
                         : k->type == CFG_BOOL ? 1
                                               : 2;
        c->synonyms_n = 0;
    }
}

int kf_configs_describe(struct kf_req *rq)
{
    struct kmsg_describe_configs_req *req = rq->body;
    struct kmsg_describe_configs_resp resp;
    int32_t                           i;

    kmsg_defaults(&kmsg_s_describe_configs_resp, &resp);
    resp.results_n = req->resources_n < 0 ? 0 : req->resources_n;
    resp.results = arena_calloc(rq->arena, (size_t)resp.results_n + 1,
                                sizeof *resp.results);
    for (i = 0; i < resp.results_n; i++) {
        struct kmsg_describe_configs_req_res  *r = &req->resources[i];
        struct kmsg_describe_configs_resp_res *out = &resp.results[i];
        char                                   id[16];

        kmsg_defaults(&kmsg_s_describe_configs_resp_res, out);
        out->resource_type = r->resource_type;
        out->resource_name = r->resource_name;
        if (r->resource_type == RES_TOPIC) {
            struct kf_topic *t =
                r->resource_name.n > 0
                    ? kf_topics_get(rq->b->topics,
                                    (const char *)r->resource_name.p,
                                    (size_t)r->resource_name.n)
                    : NULL;

            if (t == NULL) {
                out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                out->error_message = sdup(rq, "Topic does not exist");
                continue;
            }
            describe_topic(rq, t, r, out, req->include_synonyms);
        } else if (r->resource_type == RES_BROKER) {
            snprintf(id, sizeof id, "%d", rq->b->kc->broker_id);
            if (r->resource_name.n > 0 && !slice_eq(r->resource_name, id)) {
                out->error_code = KERR_INVALID_REQUEST;
                out->error_message = sdup(rq, "Unexpected broker id");
                continue;
            }
            describe_broker(rq, r, out);
        } else {
            out->error_code = KERR_INVALID_REQUEST;
            out->error_message = sdup(rq, "Unsupported resource type");
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

/* Common part of both alter APIs: the topic, or an error code + message. */
static struct kf_topic *alter_target(struct kf_req *rq, int8_t type,
                                     slice_t name, int16_t *err, slice_t *msg)
{
    struct kf_topic *t;

    if (type == RES_BROKER) {
        *err = KERR_INVALID_REQUEST;
        *msg = sdup(rq, "Broker configs are static in odradek: edit "
                        "server.properties and restart");
        return NULL;
    }
    if (type != RES_TOPIC) {
        *err = KERR_INVALID_REQUEST;
        *msg = sdup(rq, "Unsupported resource type");
        return NULL;
    }
    t = name.n > 0
            ? kf_topics_get(rq->b->topics, (const char *)name.p, (size_t)name.n)
            : NULL;
    if (t == NULL) {
        *err = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        *msg = sdup(rq, "Topic does not exist");
    }
    return t;
}

int kf_configs_alter(struct kf_req *rq)
{
    struct kmsg_alter_configs_req *req = rq->body;
    struct kmsg_alter_configs_resp resp;
    int32_t                        i, j;

    kmsg_defaults(&kmsg_s_alter_configs_resp, &resp);
    resp.responses_n = req->resources_n < 0 ? 0 : req->resources_n;
    resp.responses = arena_calloc(rq->arena, (size_t)resp.responses_n + 1,
                                  sizeof *resp.responses);
    for (i = 0; i < resp.responses_n; i++) {
        struct kmsg_alter_configs_req_res  *r = &req->resources[i];
        struct kmsg_alter_configs_resp_res *out = &resp.responses[i];
        struct kf_topic                    *t;
        struct kf_topic_conf               *c;
        char                                why[512];

        kmsg_defaults(&kmsg_s_alter_configs_resp_res, out);
        out->resource_type = r->resource_type;
        out->resource_name = r->resource_name;
        t = alter_target(rq, r->resource_type, r->resource_name,
                         &out->error_code, &out->error_message);
        if (t == NULL)
            continue;
        c = arena_calloc(rq->arena, (size_t)r->configs_n + 1, sizeof *c);
        for (j = 0; j < r->configs_n; j++) {
            c[j].key = cstr(rq, r->configs[j].name);
            c[j].value = r->configs[j].value.n < 0
                             ? NULL
                             : cstr(rq, r->configs[j].value);
        }
        if (kf_topics_set_configs(rq->b->topics, t, c,
                                  r->configs_n < 0 ? 0 : r->configs_n,
                                  req->validate_only, why, sizeof why) < 0) {
            out->error_code = KERR_INVALID_CONFIG;
            out->error_message = sdup(rq, why);
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

/* IncrementalAlterConfigs: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT (the
 * last two for list keys: cleanup.policy). */
int kf_configs_incremental_alter(struct kf_req *rq)
{
    struct kmsg_incremental_alter_configs_req *req = rq->body;
    struct kmsg_incremental_alter_configs_resp resp;
    int32_t                                    i, j;

    kmsg_defaults(&kmsg_s_incremental_alter_configs_resp, &resp);
    resp.responses_n = req->resources_n < 0 ? 0 : req->resources_n;
    resp.responses = arena_calloc(rq->arena, (size_t)resp.responses_n + 1,
                                  sizeof *resp.responses);
    for (i = 0; i < resp.responses_n; i++) {
        struct kmsg_incremental_alter_configs_req_res  *r = &req->resources[i];
        struct kmsg_incremental_alter_configs_resp_res *out =
            &resp.responses[i];
        struct kf_topic *t;
        char             why[512];

        kmsg_defaults(&kmsg_s_incremental_alter_configs_resp_res, out);
        out->resource_type = r->resource_type;
        out->resource_name = r->resource_name;
        t = alter_target(rq, r->resource_type, r->resource_name,
                         &out->error_code, &out->error_message);
        if (t == NULL)
            continue;
        /* validate every operation first, then apply */
        for (int pass = 0; pass < 2 && out->error_code == KERR_NONE; pass++) {
            bool validate = pass == 0 || req->validate_only;

            if (pass == 1 && req->validate_only)
                break;
            for (j = 0; j < r->configs_n; j++) {
                struct kmsg_incremental_alter_configs_req_config *c =
                    &r->configs[j];
                char       *key = cstr(rq, c->name);
                const char *value = c->value.n < 0 ? NULL : cstr(rq, c->value);
                char        cur[512], nv[1024];
                bool        def;
                int         rc;

                if (c->config_operation == 2 || c->config_operation == 3) {
                    if (strcmp(key, "cleanup.policy") != 0 || value == NULL) {
                        out->error_code = KERR_INVALID_CONFIG;
                        out->error_message = sdup(
                            rq, "APPEND/SUBTRACT apply to list configs only");
                        break;
                    }
                    kf_topics_config_value(rq->b->topics, t, key, cur,
                                           sizeof cur, &def);
                    if (c->config_operation == 2)
                        snprintf(nv, sizeof nv, "%s%s%s", cur, *cur ? "," : "",
                                 value);
                    else if (strcmp(cur, value) == 0)
                        snprintf(nv, sizeof nv, "%s", "delete");
                    else
                        snprintf(nv, sizeof nv, "%s", cur);
                    value = nv;
                } else if (c->config_operation == 1) {
                    value = NULL;
                } else if (c->config_operation != 0) {
                    out->error_code = KERR_INVALID_REQUEST;
                    out->error_message = sdup(rq, "Unknown config operation");
                    break;
                }
                rc = kf_topics_set_config(rq->b->topics, t, key, value,
                                          validate, why, sizeof why);
                if (rc < 0) {
                    out->error_code = KERR_INVALID_CONFIG;
                    out->error_message = sdup(rq, why);
                    break;
                }
            }
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}
