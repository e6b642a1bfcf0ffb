/*
 * h_scan.c — the `scan` analysis: hosts that probe many hosts (horizontal scan, host
 * discovery) or many ports of one host (vertical scan) within a time window, most of the
 * probes failing.
 *
 * A probe is a session that never became a conversation:
 *   TCP   no payload either way and not a clean close (SF): unanswered SYNs (S0), refused
 *         (REJ), reset after the handshake or half-open (RSTO, RSTOS0 …);
 *   UDP   no answer at all, except the ports clients spray by design (param udp_ignore:
 *         DNS, NTP, NetBIOS, SSDP, mDNS, LLMNR …), traceroute's ports (33434-33534) and
 *         broadcast/multicast destinations;
 *   ICMP  echo requests (a ping sweep), answered or not.
 * A probe failed when nothing but a refusal came back (S0, REJ, RSTOS0, SH … with no
 * payload; UDP and ICMP without a reply).
 *
 * Per day file one GROUP BY over the probes among the range's first pieces, per (source,
 * destination, window) and then per (source, window), gives the probed hosts, the most probed
 * ports of one host, and the probe and failure counts.  Windows are fixed (`window`, aligned to the
 * epoch), so a scan that straddles a boundary counts in two.  Per source the best window is kept (a
 * map bounded by max_sources), chosen by breadth; a second pass over the best windows' day files
 * counts their sessions in all and picks the evidence (probes to distinct hosts, failed ones
 * first), the ports and the vertical target.
 *
 * Score = zone_w * x / (1 + x) * (0.5 + 0.5 * probes / sessions), with
 *   x = max(probed hosts / host_half, ports probed on one host / port_half)
 *   zone_w = 1 for an internal source, external_weight for an external one (the internet
 *   scans every exposed address all day; an internal scanner is a compromised host).
 * A source is a result when a window holds at least min_hosts probed hosts or min_ports
 * probed ports of one host.  A monitoring server that connects successfully to its servers
 * makes no probes at all, so it is not a result.
 */
#include "hunt/hunt.h"
#include "hunt/h_smbrpc.h"
#include "hunt/netlib.h"

#include "core/err.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct win {
    double score;
    int64_t bucket;
    uint64_t probed_hosts, max_ports, sessions, probes, failed, refused;
    int64_t first_ns, last_ns;
    int day;
};

struct src {
    uint8_t ip[16];
    struct win best;
    unsigned windows;    /* windows over the thresholds */
    uint64_t all_probes; /* probes in those windows */
    int64_t first_ns, last_ns;
    struct hunt_result *res; /* pass 2: the result being built (NULL before) */
};

struct scan {
    struct hunt_ctx *ctx;
    struct hunt_map srcs;
    int64_t window_ns;
    double min_hosts, min_ports, host_half, port_half, ext_w;
    char udp_ignore[HNET_MAX_PORTS * 6 + 4];
    struct hunt_result *res; /* pass 2: one per source, in map order */
    size_t nres;
};

/* The probe classification of one session piece (see the header comment). */
#define SCAN_CLASSIFY                                                                              \
    "SELECT src_ip, dst_ip, dst_port, proto, first_ns, last_ns, id,"                               \
    " CASE WHEN proto = 6 THEN src_payload = 0 AND dst_payload = 0"                                \
    "        AND coalesce(tcp_state, '') <> 'SF'"                                                  \
    "      WHEN proto = 17 THEN dst_pkts = 0 AND substr(dst_ip, 16, 1) <> x'ff'"                   \
    "        AND dst_port NOT IN (SELECT value FROM json_each(?4))"                                \
    "        AND dst_port NOT BETWEEN 33434 AND 33534"                                             \
    "      ELSE (proto = 1 AND src_port = 8) OR (proto = 58 AND src_port = 128) END AS pr,"        \
    " CASE WHEN proto = 6 THEN src_payload = 0 AND dst_payload = 0"                                \
    "        AND coalesce(tcp_state, '') IN ('S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH')"  \
    "      ELSE dst_pkts = 0 END AS fl,"                                                           \
    " coalesce(tcp_state, '') = 'REJ' AS rj"                                                       \
    " FROM sessions WHERE first_ns BETWEEN ?1 AND ?2 AND piece = 0 AND proto IN (1, 6, 17, 58)"    \
    " AND NOT (dst_ip BETWEEN x'00000000000000000000ffffe0000000'"                                 \
    "          AND x'00000000000000000000ffffffffffff')"                                           \
    " AND substr(dst_ip, 1, 1) <> x'ff'"

static double scan_score(const struct scan *sc, const struct win *w, int internal)
{
    double x = fmax((double)w->probed_hosts / sc->host_half, (double)w->max_ports / sc->port_half);
    double pr = w->sessions ? (double)w->probes / (double)w->sessions : 0;
    return (internal ? 1.0 : sc->ext_w) * x / (1 + x) * (0.5 + 0.5 * pr);
}

static int scan_day(void *arg, int day, void *dbp)
{
    int rc;
    struct scan *sc = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    /* Only probes are grouped (most sessions are not): the window's sessions in all are
       counted for the best window only, in pass 2. */
    if ((rc = hunt_prepare_range(
             sc->ctx, db,
             "SELECT src, b, count(*), max(pports), sum(np), sum(nf), sum(nr),"
             " min(f), max(l) FROM ("
             "  SELECT src_ip AS src, first_ns / ?3 AS b,"
             "  count(DISTINCT CASE WHEN proto IN (6, 17) THEN proto * 65536 + dst_port"
             "  END) AS pports, count(*) AS np, sum(fl) AS nf, sum(rj) AS nr,"
             "  min(first_ns) AS f, max(last_ns) AS l FROM (" SCAN_CLASSIFY ")"
             "  WHERE pr GROUP BY src_ip, dst_ip, b)"
             " GROUP BY src, b HAVING count(*) >= ?5 OR max(pports) >= ?6",
             &s, "scan")))
        return rc;
    sqlite3_bind_int64(s, 3, sc->window_ns);
    sqlite3_bind_text(s, 4, sc->udp_ignore, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 5, sc->min_hosts);
    sqlite3_bind_double(s, 6, sc->min_ports);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        const uint8_t *ip = sqlite3_column_blob(s, 0);
        struct win w = {
            .bucket = sqlite3_column_int64(s, 1),
            .probed_hosts = (uint64_t)sqlite3_column_int64(s, 2),
            .max_ports = (uint64_t)sqlite3_column_int64(s, 3),
            .probes = (uint64_t)sqlite3_column_int64(s, 4),
            .failed = (uint64_t)sqlite3_column_int64(s, 5),
            .refused = (uint64_t)sqlite3_column_int64(s, 6),
            .first_ns = sqlite3_column_int64(s, 7),
            .last_ns = sqlite3_column_int64(s, 8),
            .day = day,
        };
        w.sessions = w.probes; /* until pass 2 counts them */
        w.score = scan_score(sc, &w, hunt_internal(sc->ctx, ip));
        struct src *p = hunt_map_get(&sc->srcs, ip, 16, 1);
        if (!p)
            continue; /* over the cap: counted in srcs.refused */
        if (!p->windows)
            memcpy(p->ip, ip, 16);
        p->windows++;
        p->all_probes += w.probes;
        if (!p->first_ns || w.first_ns < p->first_ns)
            p->first_ns = w.first_ns;
        if (w.last_ns > p->last_ns)
            p->last_ns = w.last_ns;
        if (w.score > p->best.score)
            p->best = w;
    }
    return hunt_finish(sc->ctx, db, s, st, "scan");
}

/* Pass 2, per source whose best window lies in this day: evidence, ports, vertical target. */
static int scan_detail(struct scan *sc, sqlite3 *db, struct src *p)
{
    struct hunt_result *r = p->res;
    int64_t lo = p->best.bucket * sc->window_ns, hi = lo + sc->window_ns - 1, rlo, rhi;
    hunt_range(sc->ctx, &rlo, &rhi);
    if (lo < rlo)
        lo = rlo;
    if (hi > rhi)
        hi = rhi;
    struct win *w = &p->best;
    int horiz = (double)w->probed_hosts / sc->min_hosts >= (double)w->max_ports / sc->min_ports;
    static const char *const sql[] = {
        /* evidence of a horizontal scan: one probe per host, failed ones and earlier first */
        "SELECT id FROM (" SCAN_CLASSIFY " AND src_ip = ?3) WHERE pr"
        " GROUP BY dst_ip ORDER BY max(fl) DESC, min(first_ns) LIMIT 32",
        /* of a vertical scan: one probe per port of the most probed host */
        "SELECT id FROM (" SCAN_CLASSIFY " AND src_ip = ?3) WHERE pr AND dst_ip = ?5"
        " GROUP BY proto, dst_port ORDER BY max(fl) DESC, min(first_ns) LIMIT 32",
        /* the most probed ports, by hosts */
        "SELECT dst_port, proto, count(DISTINCT dst_ip) FROM (" SCAN_CLASSIFY " AND src_ip = ?3)"
        " WHERE pr AND proto IN (6, 17) GROUP BY proto, dst_port ORDER BY 3 DESC, 1 LIMIT 6",
        /* the host with most probed ports, and their range */
        "SELECT dst_ip, count(DISTINCT proto * 65536 + dst_port), min(dst_port), max(dst_port)"
        " FROM (" SCAN_CLASSIFY " AND src_ip = ?3) WHERE pr AND proto IN (6, 17)"
        " GROUP BY dst_ip ORDER BY 2 DESC, 1 LIMIT 1",
        /* the window's sessions in all */
        "SELECT count(*) FROM sessions WHERE src_ip = ?3 AND first_ns BETWEEN ?1 AND ?2"
        " AND piece = 0",
    };
    static const int order[] = {4, 3, 2, 0};
    char ports[160] = "", target[64] = "";
    uint8_t target_ip[16] = {0};
    int port_lo = 0, port_hi = 0;
    for (int k = 0; k < 4; k++) {
        int q = order[k] == 0 && !horiz ? 1 : order[k];
        sqlite3_stmt *s = NULL;
        int rc = hunt_prepare(sc->ctx, db, sql[q], &s, "scan");
        if (rc)
            return rc;
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        sqlite3_bind_blob(s, 3, p->ip, 16, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, sc->udp_ignore, -1, SQLITE_STATIC);
        if (q == 1)
            sqlite3_bind_blob(s, 5, target_ip, 16, SQLITE_STATIC);
        int st;
        while ((st = sqlite3_step(s)) == SQLITE_ROW) {
            if (q <= 1) {
                hunt_result_event(r, (uint64_t)sqlite3_column_int64(s, 0));
            } else if (q == 4) {
                p->best.sessions = (uint64_t)sqlite3_column_int64(s, 0);
            } else if (q == 2) {
                char item[24];
                snprintf(item, sizeof item, "%d%s", sqlite3_column_int(s, 0),
                         sqlite3_column_int(s, 1) == 17 ? "/udp" : "");
                hnet_list_add(ports, sizeof ports, item);
            } else if (sqlite3_column_bytes(s, 0) == 16) {
                memcpy(target_ip, sqlite3_column_blob(s, 0), 16);
                hunt_addr(target_ip, 16, target, sizeof target);
                port_lo = sqlite3_column_int(s, 2);
                port_hi = sqlite3_column_int(s, 3);
            }
        }
        if ((rc = hunt_finish(sc->ctx, db, s, st, "scan")))
            return rc;
    }

    if (w->sessions < w->probes)
        w->sessions = w->probes; /* the window straddles the range's edge */
    r->score = scan_score(sc, w, hunt_internal(sc->ctx, p->ip));
    char when[32], win[32];
    hnet_fmt_time(lo, when, sizeof when);
    hunt_fmt_dur((double)sc->window_ns / 1e9, win, sizeof win);
    unsigned pct = w->probes ? (unsigned)(100.0 * (double)w->failed / (double)w->probes + 0.5) : 0;
    int o;
    if (horiz)
        o = snprintf(r->explain, sizeof r->explain,
                     "%s probed %" PRIu64 " hosts%s%s within %s from %s (horizontal scan%s): ",
                     r->src, w->probed_hosts, ports[0] ? " on ports " : "", ports, win, when,
                     w->max_ports >= sc->min_ports ? " and vertical" : "");
    else
        o = snprintf(
            r->explain, sizeof r->explain,
            "%s probed %" PRIu64 " ports (%d-%d) of %s within %s from %s (vertical scan): ", r->src,
            w->max_ports, port_lo, port_hi, target, win, when);
    if (o > 0 && (size_t)o < sizeof r->explain)
        snprintf(r->explain + o, sizeof r->explain - (size_t)o,
                 "%" PRIu64 " probes in %" PRIu64 " sessions, %" PRIu64 " failed (%u%%, %" PRIu64
                 " refused); scanning in %u window%s, %" PRIu64 " probes in all",
                 w->probes, w->sessions, w->failed, pct, w->refused, p->windows,
                 p->windows == 1 ? "" : "s", p->all_probes);
    if (!horiz)
        snprintf(r->dst, sizeof r->dst, "%s", target);
    if (horiz)
        snprintf(r->detail, sizeof r->detail, "horizontal: %s", ports[0] ? ports : "icmp echo");
    else
        snprintf(r->detail, sizeof r->detail, "vertical: %d ports %d-%d", (int)w->max_ports,
                 port_lo, port_hi);
    /* Scanning an internal network is discovery; probing from outside is active scanning. */
    snprintf(r->attack, sizeof r->attack, "%s",
             !hunt_internal(sc->ctx, p->ip) ? "T1595.001"
             : ports[0]                     ? "T1046"
                                            : "T1018");
    return 0;
}

struct pass2 {
    struct scan *sc;
    sqlite3 *db;
    int day;
};

static int scan_detail_each(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct pass2 *p2 = arg;
    struct src *p = value;
    if (!p->res || p->best.day != p2->day)
        return 0;
    return scan_detail(p2->sc, p2->db, p);
}

static int scan_day2(void *arg, int day, void *db)
{
    struct pass2 p2 = {arg, db, day};
    return hunt_map_each(&p2.sc->srcs, scan_detail_each, &p2);
}

static int scan_start(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct scan *sc = arg;
    struct src *p = value;
    struct hunt_result *r = &sc->res[sc->nres++];
    memset(r, 0, sizeof *r);
    p->res = r;
    hunt_addr(p->ip, 16, r->src, sizeof r->src);
    r->sessions = p->all_probes;
    r->first_ns = p->first_ns;
    r->last_ns = p->last_ns;
    return 0;
}

static int scan_run(struct hunt_ctx *ctx)
{
    struct scan sc = {
        .ctx = ctx,
        .window_ns = (int64_t)(hunt_num(ctx, "window") * 1e9),
        .min_hosts = hunt_num(ctx, "min_hosts"),
        .min_ports = hunt_num(ctx, "min_ports"),
        .host_half = hunt_num(ctx, "host_half"),
        .port_half = hunt_num(ctx, "port_half"),
        .ext_w = hunt_num(ctx, "external_weight"),
    };
    if (!(sc.window_ns >= 1000000000) || !(sc.min_hosts >= 1) || !(sc.min_ports >= 1) ||
        !(sc.host_half > 0) || !(sc.port_half > 0) || !(sc.ext_w >= 0 && sc.ext_w <= 1))
        return hunt_fail(ctx, KS_EINVAL,
                         "window must be at least 1s, min_hosts and min_ports at least 1, "
                         "host_half and port_half positive, external_weight in [0, 1]");
    struct hnet_ports ign;
    int rc = hnet_ports_parse(ctx, "udp_ignore", &ign);
    if (rc)
        return rc;
    hnet_ports_json(&ign, sc.udp_ignore, sizeof sc.udp_ignore);
    hunt_map_init(&sc.srcs, sizeof(struct src), (size_t)hunt_num(ctx, "max_sources"));
    rc = hunt_days(ctx, scan_day, &sc);
    if (!rc && sc.srcs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f scanning sources: raise max_sources or min_hosts/min_ports, "
                       "or narrow --since/--until",
                       hunt_num(ctx, "max_sources"));
    if (!rc && sc.srcs.n) {
        sc.res = calloc(sc.srcs.n, sizeof *sc.res);
        if (!sc.res)
            rc = KS_ENOMEM;
    }
    if (!rc && sc.srcs.n) {
        hunt_map_each(&sc.srcs, scan_start, &sc);
        rc = hunt_days(ctx, scan_day2, &sc);
    }
    for (size_t i = 0; !rc && i < sc.nres; i++)
        rc = hunt_emit(ctx, &sc.res[i]);
    free(sc.res);
    hunt_map_release(&sc.srcs);
    return rc;
}

const struct hunt_kind hunt_kind_scan = {"scan", scan_run};
