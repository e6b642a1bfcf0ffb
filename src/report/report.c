/*
 * report.c — `konseki report` (report.h): coverage, traffic, IOC findings, every hunt's top
 * results, recommended next hunts.
 */
#include "report/report.h"

#include "core/addr.h"
#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "ioc/ioc.h"
#include "ioc/iocdb.h"
#include "store/store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX_HOSTS 2000000
#define REPORT_IOC_ROWS 50
#define REPORT_TIME_BUCKETS 240

/* "1234567" -> "1,234,567" */
static const char *count_fmt(uint64_t v, char *dst, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            dst[o++] = ',';
        dst[o++] = tmp[i];
    }
    dst[o] = '\0';
    return dst;
}

static const char *def_param(const struct hunt_def *d, const char *name)
{
    for (unsigned i = 0; i < d->nparams; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return d->params[i].value;
    return "";
}

/* ---------------------------------------------------------------- coverage */

struct cov_ctx {
    int64_t lo, hi;
    const struct hunt_zones *zones;
    struct report_cov *c;
    struct hunt_map hosts;
};

/* Distinct hosts of one day file: both ends, each address once over the whole range. */
static int cov_hosts_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct cov_ctx *x = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT src_ip FROM sessions WHERE first_ns BETWEEN ?1 AND ?2"
                           " UNION SELECT dst_ip FROM sessions WHERE first_ns BETWEEN ?1 AND ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_bind_int64(s, 1, x->lo);
    sqlite3_bind_int64(s, 2, x->hi);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        const uint8_t *ip = sqlite3_column_blob(s, 0);
        uint8_t *seen = hunt_map_get(&x->hosts, ip, 16, 0);
        if (seen)
            continue;
        seen = hunt_map_get(&x->hosts, ip, 16, 1);
        if (!seen)
            continue;
        *seen = 1;
        if (hunt_zone_internal(x->zones, ip))
            x->c->internal_hosts++;
        else
            x->c->external_hosts++;
    }
    sqlite3_finalize(s);
    return 0;
}

int report_coverage(struct store *st, int64_t since_ns, int64_t until_ns,
                    const struct hunt_zones *zones, struct report_cov *out)
{
    memset(out, 0, sizeof *out);
    /* Days, sessions, bytes, packets and protocols: the hunts' own coverage pass. */
    int rc = hunt_coverage_get(st, since_ns, until_ns, &out->hunt);
    if (rc)
        return rc;
    const struct hunt_coverage *hc = &out->hunt;
    _Static_assert(sizeof out->apps / sizeof out->apps[0] == sizeof hc->apps / sizeof hc->apps[0],
                   "a report lists every protocol the coverage pass counts");
    out->napps = hc->napps;
    for (unsigned i = 0; i < hc->napps; i++) {
        snprintf(out->apps[i].app, sizeof out->apps[i].app, "%s",
                 hc->apps[i].app[0] ? hc->apps[i].app : "(none)");
        out->apps[i].sessions = hc->apps[i].sessions;
        out->apps[i].bytes = hc->apps[i].bytes;
    }
    /* Protocols by sessions, most first. */
    for (unsigned i = 1; i < out->napps; i++)
        for (unsigned j = i; j > 0 && out->apps[j].sessions > out->apps[j - 1].sessions; j--) {
            __typeof__(out->apps[0]) t = out->apps[j];
            out->apps[j] = out->apps[j - 1];
            out->apps[j - 1] = t;
        }
    struct cov_ctx x = {.lo = since_ns, .hi = until_ns, .zones = zones, .c = out};
    hunt_map_init(&x.hosts, 1, REPORT_MAX_HOSTS);
    rc = store_days_each(st, since_ns, until_ns, cov_hosts_day, &x);
    hunt_map_release(&x.hosts);
    return rc;
}

void report_coverage_write(struct doc *d, const struct report_cov *c)
{
    const struct hunt_coverage *h = &c->hunt;
    char a[48], b[48], v[128], n1[32], n2[32];
    ktime_format(h->first_ns, a, sizeof a);
    ktime_format(h->last_ns, b, sizeof b);
    if (!h->sessions) {
        doc_p(d, "No sessions are stored in this range.");
        return;
    }
    snprintf(v, sizeof v, "%s .. %s", a, b);
    doc_kv(d, "Time covered", v);
    snprintf(v, sizeof v, "%u", h->days);
    doc_kv(d, "Days with data", v);
    snprintf(v, sizeof v, "%s sessions, %s packets", count_fmt(h->sessions, n1, sizeof n1),
             count_fmt(h->packets, n2, sizeof n2));
    doc_kv(d, "Sessions", v);
    doc_fmt_value((double)h->bytes, "bytes", v, sizeof v);
    doc_kv(d, "Bytes on the wire", v);
    snprintf(v, sizeof v, "%" PRIu64 " internal, %" PRIu64 " external", c->internal_hosts,
             c->external_hosts);
    doc_kv(d, "Hosts", v);
    const char *head[] = {"protocol (network.protocol)", "sessions", "bytes"};
    doc_table(d, 3, head);
    for (unsigned i = 0; i < c->napps; i++) {
        snprintf(n1, sizeof n1, "%" PRIu64, c->apps[i].sessions);
        doc_fmt_value((double)c->apps[i].bytes, "bytes", n2, sizeof n2);
        const char *row[] = {c->apps[i].app, n1, n2};
        doc_row(d, row);
    }
    doc_table_end(d);
}

/* ---------------------------------------------------------------- traffic */

struct talker {
    uint64_t bytes, sessions;
};

struct traffic_ctx {
    int64_t lo, hi, t0, step;
    double *buckets;
    size_t n;
    struct hunt_map talkers;
};

static int traffic_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct traffic_ctx *x = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT (first_ns - ?3) / ?4, sum(src_bytes+dst_bytes) FROM sessions"
                           " WHERE first_ns BETWEEN ?1 AND ?2 GROUP BY 1",
                           -1, &s, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_bind_int64(s, 1, x->lo);
    sqlite3_bind_int64(s, 2, x->hi);
    sqlite3_bind_int64(s, 3, x->t0);
    sqlite3_bind_int64(s, 4, x->step);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(s, 0);
        if (i >= 0 && (size_t)i < x->n)
            x->buckets[i] += (double)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db,
                           "SELECT src_ip, sum(src_bytes+dst_bytes), count(*) FROM sessions"
                           " WHERE first_ns BETWEEN ?1 AND ?2 GROUP BY src_ip",
                           -1, &s, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_bind_int64(s, 1, x->lo);
    sqlite3_bind_int64(s, 2, x->hi);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        struct talker *t = hunt_map_get(&x->talkers, sqlite3_column_blob(s, 0), 16, 1);
        if (!t)
            continue;
        t->bytes += (uint64_t)sqlite3_column_int64(s, 1);
        t->sessions += (uint64_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    return 0;
}

#define TOP_TALKERS 10
struct top {
    uint8_t ip[TOP_TALKERS][16];
    uint64_t bytes[TOP_TALKERS];
    size_t n;
};

static int top_put(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct top *t = arg;
    const struct talker *v = value;
    size_t i = t->n < TOP_TALKERS ? t->n++ : TOP_TALKERS - 1;
    if (t->n == TOP_TALKERS && i == TOP_TALKERS - 1 && t->bytes[i] >= v->bytes && t->bytes[i])
        return 0;
    memcpy(t->ip[i], key, 16);
    t->bytes[i] = v->bytes;
    for (; i > 0 && t->bytes[i] > t->bytes[i - 1]; i--) {
        uint8_t ip[16];
        uint64_t b = t->bytes[i];
        memcpy(ip, t->ip[i], 16);
        memcpy(t->ip[i], t->ip[i - 1], 16);
        t->bytes[i] = t->bytes[i - 1];
        memcpy(t->ip[i - 1], ip, 16);
        t->bytes[i - 1] = b;
    }
    return 0;
}

int report_traffic_write(struct doc *d, struct store *st, int64_t since_ns, int64_t until_ns,
                         const struct hunt_zones *zones, const struct report_cov *c)
{
    const struct hunt_coverage *h = &c->hunt;
    if (!h->sessions)
        return 0;
    static const int64_t steps[] = {60LL * 1000000000,    600LL * 1000000000,
                                    3600LL * 1000000000,  6 * 3600LL * 1000000000,
                                    86400LL * 1000000000, 7 * 86400LL * 1000000000};
    int64_t span = h->last_ns - h->first_ns + 1, step = steps[5];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] < REPORT_TIME_BUCKETS) {
            step = steps[i];
            break;
        }
    struct traffic_ctx x = {.lo = since_ns, .hi = until_ns, .step = step};
    x.t0 = h->first_ns - (h->first_ns % step + step) % step;
    x.n = (size_t)((h->last_ns - x.t0) / step + 1);
    if (x.n > 4 * REPORT_TIME_BUCKETS)
        x.n = 4 * REPORT_TIME_BUCKETS;
    x.buckets = calloc(x.n, sizeof *x.buckets);
    if (!x.buckets)
        return KS_ENOMEM;
    hunt_map_init(&x.talkers, sizeof(struct talker), REPORT_MAX_HOSTS);
    int rc = store_days_each(st, since_ns, until_ns, traffic_day, &x);
    if (!rc) {
        char title[96], step_txt[32];
        hunt_fmt_dur((double)step / 1e9, step_txt, sizeof step_txt);
        snprintf(title, sizeof title, "Traffic over time (bytes per %s, by session start)",
                 step_txt);
        doc_chart_time(d, title, "bytes", x.t0, step, x.buckets, x.n);
        struct top t = {0};
        hunt_map_each(&x.talkers, top_put, &t);
        char labels[TOP_TALKERS][80];
        const char *lp[TOP_TALKERS];
        double v[TOP_TALKERS];
        for (size_t i = 0; i < t.n; i++) {
            char ip[ADDR_STRLEN];
            addr_format16(t.ip[i], ip, sizeof ip);
            snprintf(labels[i], sizeof labels[i], "%s (%s)", ip, hunt_zone_of(zones, t.ip[i]));
            lp[i] = labels[i];
            v[i] = (double)t.bytes[i];
        }
        doc_chart_bars(d, "Top talkers (bytes of the sessions they started)", "bytes", lp, v, t.n);
    }
    hunt_map_release(&x.talkers);
    free(x.buckets);
    return rc;
}

/* ---------------------------------------------------------------- hunt results */

void report_run_write(struct doc *d, const struct hunt_run *r, unsigned top)
{
    const char *h[] = {"#", "score", "entities", "explanation", "evidence (event.id)", "ATT&CK"};
    unsigned shown = 0;
    for (size_t i = 0; i < r->nresults && shown < top; i++) {
        const struct hunt_result *x = &r->results[i];
        if (x->suppressed)
            continue;
        if (!shown)
            doc_table(d, 6, h);
        shown++;
        char rank[16], score[16], ents[800], ev[HUNT_MAX_EVIDENCE * 18 + 32];
        snprintf(rank, sizeof rank, "%u", x->rank);
        snprintf(score, sizeof score, "%.2f", x->score);
        size_t o = 0;
        const char *parts[] = {x->src, x->dst, x->domain, x->fp, x->detail};
        const char *seps[] = {"", " -> ", " ", " ", " "};
        for (size_t k = 0; k < 5; k++)
            if (parts[k][0] && o < sizeof ents)
                o +=
                    (size_t)snprintf(ents + o, sizeof ents - o, "%s%s", o ? seps[k] : "", parts[k]);
        if (!o)
            ents[0] = '\0';
        o = 0;
        ev[0] = '\0';
        for (unsigned k = 0; k < x->nevents && k < 5 && o < sizeof ev; k++)
            o += (size_t)snprintf(ev + o, sizeof ev - o, "%s%016" PRIx64, k ? " " : "",
                                  x->events[k]);
        if (x->sessions > 5 && o < sizeof ev)
            snprintf(ev + o, sizeof ev - o, " (%" PRIu64 " sessions)", x->sessions);
        const char *row[] = {rank,       score, ents,
                             x->explain, ev,    x->attack[0] ? x->attack : r->def->attack};
        doc_row(d, row);
    }
    if (shown)
        doc_table_end(d);
    else
        doc_p(d, r->nsuppressed ? "No results (all were suppressed by the allowlist)."
                                : "No results: nothing in this range fits the hypothesis.");
    size_t more = r->nresults - r->nsuppressed - shown;
    if (more)
        doc_pf(d, "%zu more results in run %" PRId64 " (konseki hunt runs; analysis.db).", more,
               r->id);
    if (r->nsuppressed)
        doc_pf(d, "%zu results suppressed by the allowlist (kept in run %" PRId64 ").",
               r->nsuppressed, r->id);
}

/* ---------------------------------------------------------------- IOC findings */

struct ioc_ctx {
    struct doc *d;
    uint64_t n;
    struct hunt_map inds;
};

static int ioc_hit(void *arg, const struct iocdb_hit *h)
{
    struct ioc_ctx *x = arg;
    x->n++;
    int64_t *one = hunt_map_get(&x->inds, &h->f.ioc, sizeof h->f.ioc, 1);
    if (one)
        *one = 1;
    if (x->n > REPORT_IOC_ROWS)
        return 0;
    if (x->n == 1) {
        const char *hd[] = {"session start", "indicator", "type",     "source",
                            "matched field", "observed",  "event.id", "before publication"};
        doc_table(x->d, 8, hd);
    }
    char t[48], id[24], before[48];
    ktime_format(h->f.first_ns, t, sizeof t);
    snprintf(id, sizeof id, "%016" PRIx64, h->f.session);
    if (h->published_ns && h->f.first_ns < h->published_ns)
        hunt_fmt_dur((double)(h->published_ns - h->f.first_ns) / 1e9, before, sizeof before);
    else
        snprintf(before, sizeof before, "-");
    const char *row[] = {
        t, h->value, ioc_type_name(h->type), h->sources, h->f.field, h->f.observed, id, before};
    doc_row(x->d, row);
    return 0;
}

static int report_iocs(struct doc *d, const char *store_dir, int64_t lo, int64_t hi, uint64_t *n)
{
    struct iocdb *db = NULL;
    char msg[512];
    *n = 0;
    if (iocdb_open(&db, store_dir, 1, msg, sizeof msg)) {
        doc_p(d, "No indicators have been imported into this store (konseki ioc import), so "
                 "there is no retro-match to report.");
        return 0;
    }
    struct ioc_ctx x = {.d = d};
    hunt_map_init(&x.inds, sizeof(int64_t), 10000000);
    struct iocdb_hit_filter f = {.since_ns = lo, .until_ns = hi};
    int rc = iocdb_hits_each(db, &f, ioc_hit, &x);
    if (x.n)
        doc_table_end(d);
    if (!rc && !x.n)
        doc_p(d, "No stored session in this range matched an imported indicator (validated "
                 "absence for every indicator in ioc.db).");
    else if (!rc)
        doc_pf(d,
               "%" PRIu64 " findings of %zu distinct indicators%s. Full list: konseki ioc match "
               "--no-sweep --json.",
               x.n, x.inds.n, x.n > REPORT_IOC_ROWS ? " (first 50 shown)" : "");
    *n = x.n;
    hunt_map_release(&x.inds);
    iocdb_close(db);
    return rc;
}

/* ---------------------------------------------------------------- the store report */

struct hunt_top {
    const struct hunt_def *def;
    double score;
    size_t results;
    char missing[160];
    char top_src[64];
};

static void recommend(struct doc *d, const struct hunt_top *t, size_t n)
{
    unsigned k = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].results && t[i].score >= 0.7) {
            char line[600];
            snprintf(line, sizeof line,
                     "%s scored %.2f%s%s: open a case (konseki case new --hypothesis …) and "
                     "validate its top results with packet evidence (konseki pcap 'event.id == "
                     "…'); pivot on the host with the other hunts.",
                     t[i].def->name, t[i].score, t[i].top_src[0] ? " for " : "", t[i].top_src);
            doc_list_item(d, line);
            k++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].missing[0]) {
            char line[400];
            snprintf(line, sizeof line,
                     "%s had no %s data in this range: collect it (capture where that traffic "
                     "passes) to make this hunt meaningful; absence here is not validated.",
                     t[i].def->name, t[i].missing);
            doc_list_item(d, line);
            k++;
        }
    }
    doc_list_item(d, "Import the latest threat-intel feeds (konseki ioc import): every import "
                     "sweeps the whole stored history.");
    doc_list_item(d, "Schedule the hunts that found nothing, over each new day of data: a "
                     "validated absence today is not one tomorrow.");
    if (!k)
        doc_list_item(d, "No hunt scored 0.7 or more: lower-scored results above are the places "
                         "to look first; tune parameters with --param where the environment "
                         "differs (konseki hunt show NAME).");
}

int report_store(struct store *st, struct adb *a, const struct report_opts *o, FILE *f, int format,
                 struct report_summary *out, char *msg, size_t msglen)
{
    struct doc d;
    char a1[48], a2[48], now[48];
    memset(out, 0, sizeof *out);
    struct report_cov cov;
    const struct hunt_zones *zones = o->hopts ? o->hopts->zones : NULL;
    int rc = report_coverage(st, o->since_ns, o->until_ns, zones, &cov);
    if (rc) {
        snprintf(msg, msglen, "coverage: %s", ks_strerror(rc));
        return rc;
    }
    out->sessions = cov.hunt.sessions;
    ktime_format(o->now_ns, now, sizeof now);
    doc_begin(&d, f, format, "konseki retrospective analysis report");
    doc_pf(&d,
           "Store %s, generated %s by konseki. Every figure below comes from the stored "
           "sessions and protocol records of the range; event.id values find the sessions "
           "(konseki query 'event.id == ID') and their packets (konseki pcap).",
           o->store_dir, now);
    if (o->since_ns != INT64_MIN || o->until_ns != INT64_MAX) {
        if (o->since_ns != INT64_MIN)
            ktime_format(o->since_ns, a1, sizeof a1);
        else
            snprintf(a1, sizeof a1, "the beginning");
        if (o->until_ns != INT64_MAX)
            ktime_format(o->until_ns, a2, sizeof a2);
        else
            snprintf(a2, sizeof a2, "the end");
        doc_pf(&d, "Range asked for: %s .. %s.", a1, a2);
    }
    doc_h(&d, 2, "Data coverage");
    report_coverage_write(&d, &cov);
    rc = report_traffic_write(&d, st, o->since_ns, o->until_ns, zones, &cov);
    if (rc) {
        snprintf(msg, msglen, "traffic: %s", ks_strerror(rc));
        goto done;
    }

    doc_h(&d, 2, "IOC retro-matching");
    rc = report_iocs(&d, o->store_dir, o->since_ns, o->until_ns, &out->ioc_findings);
    if (rc) {
        snprintf(msg, msglen, "IOC findings: %s", ks_strerror(rc));
        goto done;
    }

    doc_h(&d, 2, "Hunts");
    doc_p(&d, "Each built-in and user hunt was run over the range just now and recorded in "
              "analysis.db (konseki hunt runs). Scores are in [0, 1]; the explanation says what "
              "the score rests on.");
    struct hunt_top *tops = calloc(o->ndefs ? o->ndefs : 1, sizeof *tops);
    if (!tops) {
        rc = KS_ENOMEM;
        goto done;
    }
    size_t ntops = 0, fo = 0;
    struct hunt_opts ho = o->hopts ? *o->hopts : (struct hunt_opts){0};
    ho.since_ns = o->since_ns;
    ho.until_ns = o->until_ns;
    ho.cov = &cov.hunt; /* the coverage pass above serves all the hunts */
    for (size_t i = 0; i < o->ndefs; i++) {
        const struct hunt_def *def = &o->defs[i];
        if (strcmp(def->kind, "query") == 0 && !def_param(def, "query")[0])
            continue;
        struct hunt_run run;
        char hmsg[512];
        int hrc = hunt_run(st, def, &ho, &run, hmsg, sizeof hmsg);
        if (hrc) {
            if (fo < sizeof out->failed)
                fo += (size_t)snprintf(out->failed + fo, sizeof out->failed - fo, "%s%s",
                                       fo ? "; " : "", hmsg);
            doc_h(&d, 3, def->name);
            doc_pf(&d, "Could not run: %s", hmsg);
            continue;
        }
        if (a && adb_run_save(a, &run, 0, &run.id) != 0) {
            hunt_run_release(&run);
            snprintf(msg, msglen, "%s", adb_errmsg(a));
            rc = KS_ESQL;
            free(tops);
            goto done;
        }
        out->hunts_run++;
        size_t shown = run.nresults - run.nsuppressed;
        out->results += shown;
        if (shown)
            out->hunts_with_results++;
        struct hunt_top *t = &tops[ntops++];
        t->def = def;
        t->results = shown;
        t->score = shown ? run.results[0].score : 0;
        snprintf(t->missing, sizeof t->missing, "%s", run.cov.missing);
        if (shown)
            snprintf(t->top_src, sizeof t->top_src, "%s", run.results[0].src);
        char head[320];
        snprintf(head, sizeof head, "%s — %s (%s)", def->name, def->title, def->id);
        doc_h(&d, 3, head);
        doc_p(&d, def->hypothesis);
        doc_pf(&d,
               "ATT&CK %s. Run %" PRId64 ": %zu results, %zu suppressed, over %" PRIu64
               " sessions.%s%s",
               def->attack, run.id, shown, run.nsuppressed, run.cov.sessions,
               run.cov.missing[0] ? " Missing data: " : "", run.cov.missing);
        report_run_write(&d, &run, o->top ? o->top : 5);
        hunt_run_release(&run);
    }
    if (ntops) {
        const char **labels = calloc(ntops, sizeof *labels);
        double *v = calloc(ntops, sizeof *v);
        if (labels && v) {
            for (size_t i = 0; i < ntops; i++) {
                labels[i] = tops[i].def->name;
                v[i] = tops[i].score;
            }
            doc_h(&d, 2, "Hunt scores");
            doc_chart_bars(&d, "Top score of each hunt", "score", labels, v, ntops);
        }
        free(labels);
        free(v);
    }
    doc_h(&d, 2, "Recommended next hunts");
    recommend(&d, tops, ntops);
    free(tops);
done:
    doc_end(&d);
    return rc;
}
