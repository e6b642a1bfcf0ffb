/*
 * h_query.c — the `query` analysis: a user hunt without C.  The hunt file gives a query
 * expression (the language of `konseki query`), how to group the sessions that match (by
 * client, server, pair, or pair and port) and how many sessions make a strong result:
 *
 *   name  = smb-to-dc-from-affiliate      kind = query
 *   param.query = ip.src == 10.50.0.0/16 && ip.dst == 10.1.1.10 && port.dst == [445, 3389]
 *   param.group = pair
 *   param.min_sessions = 1
 *   param.half = 5
 *
 * Score = sessions / (sessions + half); each group is a result with up to HUNT_MAX_EVIDENCE of
 * its sessions as evidence.
 */
#include "hunt/hunt.h"

#include "core/addr.h"
#include "core/err.h"
#include "query/query.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum qgroup { QG_SRC, QG_DST, QG_PAIR, QG_PAIR_PORT };

struct qagg {
    struct hunt_result r;
};

struct qh {
    struct hunt_ctx *ctx;
    struct hunt_map groups;
    int group;
    double min_sessions, half;
    const char *expr;
};

static int qh_row(void *arg, const struct session_row *row)
{
    struct qh *q = arg;
    uint8_t key[34];
    size_t kl = 0;
    if (q->group != QG_DST) {
        memcpy(key, row->src, 16);
        kl = 16;
    }
    if (q->group != QG_SRC) {
        memcpy(key + kl, row->dst, 16);
        kl += 16;
    }
    if (q->group == QG_PAIR_PORT) {
        key[kl++] = (uint8_t)(row->dport >> 8);
        key[kl++] = (uint8_t)row->dport;
    }
    struct qagg *a = hunt_map_get(&q->groups, key, kl, 1);
    if (!a)
        return 0;
    if (!a->r.sessions) {
        if (q->group != QG_DST)
            addr_format16(row->src, a->r.src, sizeof a->r.src);
        if (q->group != QG_SRC)
            addr_format16(row->dst, a->r.dst, sizeof a->r.dst);
        if (q->group == QG_PAIR_PORT)
            snprintf(a->r.detail, sizeof a->r.detail, "port %d", row->dport);
    }
    a->r.sessions++;
    hunt_result_event(&a->r, row->id);
    hunt_result_time(&a->r, row->first_ns);
    hunt_result_time(&a->r, row->last_ns);
    return 0;
}

static int qh_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct qh *q = arg;
    struct qagg *a = value;
    if ((double)a->r.sessions < q->min_sessions)
        return 0;
    a->r.score = hunt_squash((double)a->r.sessions, q->half);
    const struct hunt_def *d = hunt_def_of(q->ctx);
    snprintf(a->r.explain, sizeof a->r.explain, "%" PRIu64 " sessions%s%s%s%s match %s: %s",
             a->r.sessions, a->r.src[0] ? " from " : "", a->r.src, a->r.dst[0] ? " to " : "",
             a->r.dst, d->title[0] ? d->title : d->name, q->expr);
    return hunt_emit(q->ctx, &a->r);
}

static int query_run(struct hunt_ctx *ctx)
{
    struct qh q = {.ctx = ctx,
                   .min_sessions = hunt_num(ctx, "min_sessions"),
                   .half = hunt_num(ctx, "half"),
                   .expr = hunt_str(ctx, "query")};
    const char *g = hunt_str(ctx, "group");
    if (strcmp(g, "src") == 0)
        q.group = QG_SRC;
    else if (strcmp(g, "dst") == 0)
        q.group = QG_DST;
    else if (strcmp(g, "pair") == 0 || !*g)
        q.group = QG_PAIR;
    else if (strcmp(g, "pair.port") == 0)
        q.group = QG_PAIR_PORT;
    else
        return hunt_fail(ctx, KS_EINVAL, "group '%s': expected src, dst, pair or pair.port", g);
    if (!*q.expr)
        return hunt_fail(ctx, KS_EINVAL, "a query hunt needs param.query");
    struct query *expr = NULL;
    struct query_error qe;
    int rc = query_parse(q.expr, &expr, &qe);
    if (rc)
        return hunt_fail(ctx, KS_EINVAL, "param.query, column %d: %s", qe.col, qe.msg);
    struct store_query sq = {.expr = expr, .sort = SORT_TIME};
    hunt_range(ctx, &sq.since_ns, &sq.until_ns);
    hunt_map_init(&q.groups, sizeof(struct qagg), 1000000);
    unsigned opened;
    rc = store_query_run(hunt_store(ctx), &sq, qh_row, &q, &opened);
    if (!rc)
        rc = hunt_map_each(&q.groups, qh_emit, &q);
    hunt_map_release(&q.groups);
    query_free(expr);
    return rc;
}

const struct hunt_kind hunt_kind_query = {"query", query_run};
