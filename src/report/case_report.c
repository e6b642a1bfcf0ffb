/*
 * case_report.c — `konseki case report` (report.h): one hunt case as the document handed over.
 *
 *   1. the hypothesis, ATT&CK ids, scope, range, verdict counts
 *   2. data coverage of the case's range (what the runs could see)
 *   3. a timeline (inline SVG): findings by verdict and the hunts' top results
 *   4. the runs: hunts and queries with their parameters and top results
 *   5. findings with evidence: the session (from the finding's snapshot, so it survives
 *      retention), its protocol records, the packet extract written beside the report
 *   6. negative results: every run that found nothing, with the coverage it had ("validated
 *      absence"), and what could not be validated for lack of data
 *   7. ATT&CK techniques, 8. the IOC appendix (what `case export` would write)
 */
#include "report/report.h"

#include "case/case.h"
#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "ioc/ioc.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names of the techniques konseki's hunts and cases use (ATT&CK Enterprise). */
static const struct {
    const char *id, *name;
} attack_names[] = {
    {"T1003.006", "OS Credential Dumping: DCSync"},
    {"T1005", "Data from Local System"},
    {"T1018", "Remote System Discovery"},
    {"T1021", "Remote Services"},
    {"T1021.001", "Remote Services: Remote Desktop Protocol"},
    {"T1021.002", "Remote Services: SMB/Windows Admin Shares"},
    {"T1021.006", "Remote Services: Windows Remote Management"},
    {"T1029", "Scheduled Transfer"},
    {"T1039", "Data from Network Shared Drive"},
    {"T1041", "Exfiltration Over C2 Channel"},
    {"T1046", "Network Service Discovery"},
    {"T1047", "Windows Management Instrumentation"},
    {"T1048", "Exfiltration Over Alternative Protocol"},
    {"T1048.003", "Exfiltration Over Unencrypted Non-C2 Protocol"},
    {"T1053.005", "Scheduled Task/Job: Scheduled Task"},
    {"T1059.001", "Command and Scripting Interpreter: PowerShell"},
    {"T1071", "Application Layer Protocol"},
    {"T1071.001", "Application Layer Protocol: Web Protocols"},
    {"T1071.004", "Application Layer Protocol: DNS"},
    {"T1078", "Valid Accounts"},
    {"T1087.002", "Account Discovery: Domain Account"},
    {"T1090", "Proxy"},
    {"T1105", "Ingress Tool Transfer"},
    {"T1110.001", "Brute Force: Password Guessing"},
    {"T1110.003", "Brute Force: Password Spraying"},
    {"T1119", "Automated Collection"},
    {"T1133", "External Remote Services"},
    {"T1190", "Exploit Public-Facing Application"},
    {"T1197", "BITS Jobs"},
    {"T1199", "Trusted Relationship"},
    {"T1543.003", "Create or Modify System Process: Windows Service"},
    {"T1567", "Exfiltration Over Web Service"},
    {"T1567.002", "Exfiltration Over Web Service: Exfiltration to Cloud Storage"},
    {"T1568.002", "Dynamic Resolution: Domain Generation Algorithms"},
    {"T1569.002", "System Services: Service Execution"},
    {"T1570", "Lateral Tool Transfer"},
    {"T1572", "Protocol Tunneling"},
    {"T1573", "Encrypted Channel"},
    {"T1573.002", "Encrypted Channel: Asymmetric Cryptography"},
    {"T1587.003", "Develop Capabilities: Digital Certificates"},
    {"T1595.001", "Active Scanning: Scanning IP Blocks"},
    {"T1595.002", "Active Scanning: Vulnerability Scanning"},
};

static const char *attack_name(const char *id)
{
    for (size_t i = 0; i < sizeof attack_names / sizeof attack_names[0]; i++)
        if (strcmp(attack_names[i].id, id) == 0)
            return attack_names[i].name;
    return "";
}

/* A set of technique ids with where each came from. */
#define MAX_TECH 64
struct techs {
    char id[MAX_TECH][16];
    char from[MAX_TECH][200];
    size_t n;
};

static void techs_add(struct techs *t, const char *list, const char *from)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        if (strlen(w) >= sizeof t->id[0])
            continue;
        size_t i;
        for (i = 0; i < t->n; i++)
            if (strcmp(t->id[i], w) == 0)
                break;
        if (i == t->n) {
            if (t->n == MAX_TECH)
                continue;
            snprintf(t->id[t->n], sizeof t->id[0], "%s", w);
            t->from[t->n][0] = '\0';
            t->n++;
        }
        size_t l = strlen(t->from[i]);
        if (!strstr(t->from[i], from) && l + strlen(from) + 3 < sizeof t->from[0])
            snprintf(t->from[i] + l, sizeof t->from[0] - l, "%s%s", l ? ", " : "", from);
    }
}

static void fmt_time(int64_t ns, char *dst, size_t n)
{
    if (!ns || ns == INT64_MIN || ns == INT64_MAX)
        snprintf(dst, n, "-");
    else
        ktime_format(ns, dst, n);
}

static void fmt_endpoint(char *dst, size_t n, const char *ip, int port)
{
    if (port < 0)
        snprintf(dst, n, "%s", ip);
    else if (strchr(ip, ':'))
        snprintf(dst, n, "[%s]:%d", ip, port);
    else
        snprintf(dst, n, "%s:%d", ip, port);
}

static const struct report_evidence *evidence_of(const struct case_report_opts *o, uint64_t id)
{
    for (size_t i = 0; o && i < o->nev; i++)
        if (o->ev[i].event_id == id)
            return &o->ev[i];
    return NULL;
}

/* The protocol records of a snapshot, compacted: the array text of the first piece's records. */
static void snapshot_records(const char *snap, char *dst, size_t n)
{
    const char *r = strstr(snap, "\"records\":[");
    dst[0] = '\0';
    if (!r)
        return;
    r += 10;
    int depth = 0, in_str = 0;
    size_t o = 0;
    for (const char *p = r; *p && o + 4 < n; p++) {
        char ch = *p;
        dst[o++] = ch;
        if (in_str) {
            if (ch == '\\' && p[1]) {
                dst[o++] = *++p;
                continue;
            }
            if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '[' || ch == '{')
            depth++;
        else if ((ch == ']' || ch == '}') && --depth == 0) {
            dst[o] = '\0';
            return;
        }
    }
    if (o + 4 >= n)
        snprintf(dst + (n > 5 ? n - 5 : 0), 5, " …");
    else
        dst[o] = '\0';
}

int report_case(struct store *st, struct adb *a, const struct case_info *c,
                const struct hunt_zones *zones, const struct case_report_opts *o, FILE *f,
                int format, char *msg, size_t msglen)
{
    struct case_run *runs = NULL;
    struct case_finding *fs = NULL;
    size_t nruns = 0, nf = 0;
    struct case_iocs iocs = {0};
    struct techs *tech = calloc(1, sizeof *tech);
    int rc = tech ? 0 : KS_ENOMEM;
    if (!rc && (rc = case_runs(a, c->id, &runs, &nruns)) != 0)
        snprintf(msg, msglen, "%s", adb_errmsg(a));
    if (!rc && (rc = case_findings(a, c->id, &fs, &nf)) != 0)
        snprintf(msg, msglen, "%s", adb_errmsg(a));
    if (!rc && (rc = case_iocs_extract(fs, nf, zones, &iocs)) != 0)
        snprintf(msg, msglen, "reading the findings: %s", ks_strerror(rc));
    if (rc) {
        case_runs_free(runs, nruns);
        case_findings_free(fs, nf);
        free(tech);
        return rc;
    }
    struct doc d;
    char t0[48], t1[48], title[256], line[1024];
    snprintf(title, sizeof title, "Hunt case %" PRId64 " report", c->id);
    doc_begin(&d, f, format, title);
    fmt_time(o ? o->now_ns : 0, t0, sizeof t0);
    doc_pf(&d,
           "Written %s by konseki from store %s (analysis.db). event.id values find the "
           "sessions (konseki query 'event.id == ID') and their packets (konseki pcap).",
           t0, o && o->store_dir ? o->store_dir : "-");

    /* 1. the case */
    doc_h(&d, 2, "Hypothesis");
    doc_p(&d, c->hypothesis);
    doc_kv(&d, "ATT&CK", c->attack[0] ? c->attack : "-");
    doc_kv(&d, "Scope", c->scope[0] ? c->scope : "everything stored");
    fmt_time(c->since_ns, t0, sizeof t0);
    fmt_time(c->until_ns, t1, sizeof t1);
    snprintf(line, sizeof line, "%s .. %s", c->since_ns == INT64_MIN ? "the beginning" : t0,
             c->until_ns == INT64_MAX ? "the end" : t1);
    doc_kv(&d, "Time range", line);
    fmt_time(c->created_ns, t0, sizeof t0);
    doc_kv(&d, "Opened", t0);
    doc_kv(&d, "Status", c->status);
    unsigned verdicts[CASE__VERDICTS] = {0};
    for (size_t i = 0; i < nf; i++)
        if (fs[i].verdict >= 0 && fs[i].verdict < CASE__VERDICTS)
            verdicts[fs[i].verdict]++;
    snprintf(line, sizeof line,
             "%zu runs; %zu findings: %u malicious, %u suspicious, %u benign, "
             "%u false-positive; %zu indicators",
             nruns, nf, verdicts[CASE_MALICIOUS], verdicts[CASE_SUSPICIOUS], verdicts[CASE_BENIGN],
             verdicts[CASE_FALSE_POSITIVE], iocs.n);
    doc_kv(&d, "Outcome", line);
    techs_add(tech, c->attack, "case hypothesis");

    /* 2. coverage */
    doc_h(&d, 2, "Data coverage");
    if (st) {
        struct report_cov cov;
        rc = report_coverage(st, c->since_ns, c->until_ns, zones, &cov);
        if (!rc)
            report_coverage_write(&d, &cov);
        if (!rc)
            rc = report_traffic_write(&d, st, c->since_ns, c->until_ns, zones, &cov);
        if (rc) {
            snprintf(msg, msglen, "coverage: %s", ks_strerror(rc));
            goto out;
        }
    } else {
        doc_p(&d, "The store could not be read: coverage is taken from the runs below.");
    }

    /* 3. timeline */
    doc_h(&d, 2, "Timeline");
    {
        static const char *const lanes[] = {"malicious findings", "suspicious findings",
                                            "benign findings", "false positives",
                                            "hunt results (top 5 per run)"};
        size_t cap = nf + nruns * 5 + 1, nev = 0;
        struct doc_event *ev = calloc(cap, sizeof *ev);
        char(*labels)[320] = calloc(cap, sizeof *labels);
        if (!ev || !labels) {
            free(ev);
            free(labels);
            rc = KS_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < nf; i++) {
            if (!fs[i].s.first_ns)
                continue;
            snprintf(labels[nev], sizeof labels[0], "%016" PRIx64 " %s -> %s %s", fs[i].event_id,
                     fs[i].s.src, fs[i].s.dst, fs[i].s.app);
            ev[nev].t_ns = fs[i].s.first_ns;
            ev[nev].lane = (unsigned)fs[i].verdict;
            ev[nev].label = labels[nev];
            nev++;
        }
        for (size_t r = 0; r < nruns; r++) {
            struct case_result *res = NULL;
            size_t nres = 0;
            if (case_results(a, runs[r].id, &res, &nres))
                continue;
            size_t shown = 0;
            for (size_t k = 0; k < nres && shown < 5 && nev < cap; k++) {
                if (res[k].suppressed || !res[k].first_ns)
                    continue;
                snprintf(labels[nev], sizeof labels[0], "%s #%u %.2f %s %s", runs[r].hunt,
                         res[k].rank, res[k].score, res[k].src, res[k].dst);
                ev[nev].t_ns = res[k].first_ns;
                ev[nev].lane = 4;
                ev[nev].label = labels[nev];
                nev++;
                shown++;
            }
            free(res);
        }
        if (nev)
            doc_chart_timeline(&d, "Findings and hunt results over time", lanes, 5, ev, nev);
        else
            doc_p(&d, "Nothing to place on a timeline yet: no findings and no hunt results.");
        free(ev);
        free(labels);
    }

    /* 4. runs */
    doc_h(&d, 2, "Runs");
    if (!nruns)
        doc_p(&d, "No hunt or query has been run in this case (konseki case run ID HUNT|EXPR).");
    for (size_t r = 0; r < nruns; r++) {
        const struct case_run *run = &runs[r];
        char head[CASE_TEXT_MAX + 64];
        if (strcmp(run->kind, "query") == 0)
            snprintf(head, sizeof head, "Run %" PRId64 ": query %s", run->id, run->expr);
        else
            snprintf(head, sizeof head, "Run %" PRId64 ": hunt %s (%s)", run->id, run->hunt,
                     run->hunt_id);
        doc_h(&d, 3, head);
        fmt_time(run->started_ns, t0, sizeof t0);
        doc_pf(&d,
               "Started %s, %.2f s; %" PRIu64 " results, %" PRIu64
               " suppressed by the allowlist. ATT&CK %s.",
               t0, run->seconds, run->results, run->suppressed, run->attack[0] ? run->attack : "-");
        if (run->params && strcmp(run->params, "{}") != 0)
            doc_kv(&d, "Parameters", run->params);
        if (run->coverage)
            doc_kv(&d, "Coverage", run->coverage);
        if (run->results) /* a technique a run found nothing of is a negative result */
            techs_add(tech, run->attack, run->hunt);
        struct case_result *res = NULL;
        size_t nres = 0;
        if (case_results(a, run->id, &res, &nres) == 0 && nres) {
            const char *h[] = {"#",     "score", "entities", "explanation", "evidence (event.id)",
                               "ATT&CK"};
            doc_table(&d, 6, h);
            size_t shown = 0;
            for (size_t k = 0; k < nres && shown < 10; k++) {
                if (res[k].suppressed)
                    continue;
                shown++;
                char rank[16], score[16], ents[800], ev[HUNT_MAX_EVIDENCE * 18 + 40];
                snprintf(rank, sizeof rank, "%u", res[k].rank);
                snprintf(score, sizeof score, "%.2f", res[k].score);
                snprintf(ents, sizeof ents, "%s%s%s %s %s %s", res[k].src,
                         res[k].dst[0] ? " -> " : "", res[k].dst, res[k].domain, res[k].fp,
                         res[k].detail);
                size_t eo = 0;
                ev[0] = '\0';
                for (unsigned e = 0; e < res[k].nevents && e < 5 && eo < sizeof ev; e++)
                    eo += (size_t)snprintf(ev + eo, sizeof ev - eo, "%s%016" PRIx64, e ? " " : "",
                                           res[k].events[e]);
                if (res[k].sessions > 5 && eo < sizeof ev)
                    snprintf(ev + eo, sizeof ev - eo, " (%" PRIu64 " sessions)", res[k].sessions);
                const char *row[] = {rank, score,
                                     ents, res[k].explain,
                                     ev,   res[k].attack[0] ? res[k].attack : run->attack};
                doc_row(&d, row);
                techs_add(tech, res[k].attack, run->hunt);
            }
            doc_table_end(&d);
        }
        free(res);
    }

    /* 5. findings */
    doc_h(&d, 2, "Findings and evidence");
    if (!nf)
        doc_p(&d, "No verdict has been recorded (konseki case finding ID --session EVENT_ID "
                  "--verdict …).");
    for (int v = 0; v < CASE__VERDICTS; v++) {
        for (size_t i = 0; i < nf; i++) {
            const struct case_finding *x = &fs[i];
            if (x->verdict != v)
                continue;
            char head[128], a1[96], a2[96], by[64], dur[32];
            snprintf(head, sizeof head, "%s: session %016" PRIx64, case_verdict_name(v),
                     x->event_id);
            doc_h(&d, 3, head);
            if (x->note[0])
                doc_p(&d, x->note);
            fmt_time(x->s.first_ns, t0, sizeof t0);
            hunt_fmt_dur((double)(x->s.last_ns - x->s.first_ns) / 1e9, dur, sizeof dur);
            fmt_endpoint(a1, sizeof a1, x->s.src, x->s.sport);
            fmt_endpoint(a2, sizeof a2, x->s.dst, x->s.dport);
            doc_fmt_value((double)x->s.bytes, "bytes", by, sizeof by);
            char pk[32], pieces[16];
            snprintf(pk, sizeof pk, "%" PRIu64, x->s.packets);
            snprintf(pieces, sizeof pieces, "%u", x->s.pieces);
            const char *h[] = {"start (UTC)", "duration", "transport", "protocol",    "source",
                               "destination", "packets",  "bytes",     "community id"};
            doc_table(&d, 9, h);
            const char *row[] = {t0, dur, x->s.transport,   x->s.app[0] ? x->s.app : "-", a1, a2,
                                 pk, by,  x->s.community_id};
            doc_row(&d, row);
            doc_table_end(&d);
            if (x->snapshot) {
                char recs[3000];
                snapshot_records(x->snapshot, recs, sizeof recs);
                if (recs[0] && strcmp(recs, "[]") != 0) {
                    doc_p(&d, "Protocol records (from the finding's snapshot):");
                    doc_code(&d, recs);
                }
            }
            const struct report_evidence *e = evidence_of(o, x->event_id);
            if (e && e->pcap)
                doc_link(&d, "Packets: ", e->pcap, e->pcap,
                         " (pcap, extracted from the store when this report was written).");
            else
                doc_pf(&d, "Packets: %s",
                       e && e->why ? e->why
                                   : "not extracted (konseki pcap -w FILE "
                                     "'event.id == ID').");
        }
    }

    /* 6. negative results */
    doc_h(&d, 2, "Negative results (validated absence)");
    {
        unsigned k = 0;
        for (size_t r = 0; r < nruns; r++) {
            const struct case_run *run = &runs[r];
            if (run->results)
                continue;
            k++;
            char what[CASE_TEXT_MAX + 200];
            const char *miss = run->coverage ? strstr(run->coverage, "\"missing\":\"") : NULL;
            int missing = miss && miss[11] != '"';
            fmt_time(run->since_ns, t0, sizeof t0);
            fmt_time(run->until_ns, t1, sizeof t1);
            if (run->since_ns == INT64_MIN)
                snprintf(t0, sizeof t0, "the beginning");
            if (run->until_ns == INT64_MAX)
                snprintf(t1, sizeof t1, "the end");
            if (strcmp(run->kind, "query") == 0)
                snprintf(what, sizeof what,
                         "Query %s matched no session in %s .. %s (run %" PRId64 ").", run->expr,
                         t0, t1, run->id);
            else
                snprintf(what, sizeof what,
                         "Hunt %s found nothing in %s .. %s (run %" PRId64 "%s)%s", run->hunt, t0,
                         t1, run->id, run->suppressed ? ", after the allowlist" : "",
                         missing ? ": NOT validated — the range lacks data this hunt needs "
                                   "(see the run's coverage)."
                                 : ": validated absence over the coverage recorded with the run.");
            doc_list_item(&d, what);
        }
        if (!k)
            doc_p(&d, "Every run in this case had results; no absence to report.");
    }

    /* 7. ATT&CK */
    doc_h(&d, 2, "ATT&CK techniques");
    if (tech->n) {
        const char *h[] = {"technique", "name", "from"};
        doc_table(&d, 3, h);
        for (size_t i = 0; i < tech->n; i++) {
            const char *row[] = {tech->id[i], attack_name(tech->id[i]), tech->from[i]};
            doc_row(&d, row);
        }
        doc_table_end(&d);
    } else {
        doc_p(&d, "No technique recorded.");
    }

    /* 8. IOCs */
    doc_h(&d, 2, "Appendix: indicators from the malicious findings");
    if (!iocs.n) {
        doc_p(&d, iocs.malicious ? "The malicious findings hold no indicator (internal hosts only)."
                                 : "No malicious finding, so no indicator.");
    } else {
        doc_pf(&d,
               "%zu indicators (konseki case export %" PRId64
               " --format stix|misp|suricata|zeek|csv writes them for monitoring).",
               iocs.n, c->id);
        const char *h[] = {"type", "value", "seen in", "first seen", "findings", "event.id"};
        doc_table(&d, 6, h);
        for (size_t i = 0; i < iocs.n; i++) {
            char fsn[16], eid[24];
            fmt_time(iocs.v[i].first_ns, t0, sizeof t0);
            snprintf(fsn, sizeof fsn, "%u", iocs.v[i].findings);
            snprintf(eid, sizeof eid, "%016" PRIx64, iocs.v[i].event_id);
            const char *row[] = {
                ioc_type_name(iocs.v[i].type), iocs.v[i].value, iocs.v[i].field, t0, fsn, eid};
            doc_row(&d, row);
        }
        doc_table_end(&d);
    }
out:
    doc_end(&d);
    case_iocs_free(&iocs);
    case_runs_free(runs, nruns);
    case_findings_free(fs, nf);
    free(tech);
    return rc;
}
