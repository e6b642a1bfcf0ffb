/*
 * h_remoteexec.c — the `remote-exec` analysis: remote execution through Windows management
 * interfaces, DCSync and RPC enumeration, per (client, target, technique).
 *
 * What each technique leaves in the records, and the weight of its strongest operation:
 *
 *   wmi     DCE-RPC calls on IWbemLevel1Login / IWbemServices / IEnumWbemClassObject
 *           (after a DCOM activation on 135, which joins the same result): ExecMethod[Async]
 *           0.85 (Win32_Process.Create), other IWbemServices calls 0.55, login only 0.45
 *   dcom    DCOM activation (ISystemActivator, IRemoteSCMActivator), IRemUnknown[2] and
 *           IDispatch without WMI: IDispatch Invoke 0.6 (MMC20 / ShellWindows lateral
 *           movement), activation alone 0.25
 *   winrm   sessions to the WinRM ports or HTTP to /wsman: POST /wsman 0.7, by a client
 *           other than "Microsoft WinRM Client" (Evil-WinRM, pywinrm …) 0.85; TLS on 5986
 *           0.5; a connection to 5985 with no HTTP read 0.45
 *   schtask atsvc NetrJobAdd 0.9; ITaskSchedulerService SchRpcRegisterTask 0.85, SchRpcRun /
 *           SchRpcEnableTask 0.6; SASec calls 0.6; enumeration only 0.25
 *   dcsync  drsuapi DRSGetNCChanges 0.95, DRSAddEntry / DRSReplicaAdd (DCShadow) 0.7, other
 *           DRS calls 0.2 — only when the client is not a domain controller (param dcs;
 *           auto = hosts answering both 88 and 389 in the range: replication between DCs is
 *           their job).  With no DC known at all the weights stay but the text says so.
 *   winreg  winreg BaseRegSaveKey[Ex] 0.8 (hive dump), writes (SetValue, CreateKey,
 *           Delete*, RestoreKey, LoadKey, ReplaceKey) 0.6, reads only 0.3
 *   epm     endpoint-mapper enumeration: n ept_lookup calls from one client to one server,
 *           n >= min_lookups, score 0.95 * n / (n + lookup_half).  A Windows client resolves
 *           one endpoint with one ept_map; rpcdump-style tools walk the whole table.
 *
 * Score of a result: s = w + (1 - w) * 0.2 * calls / (calls + 20) from the weight w of its
 * strongest operation (ten scheduled tasks rank above one; epm's score is its own); then
 * corroboration: every other technique of weight >= 0.5 on the same client-target pair gives
 * s = 1 - 0.75 (1 - s) (one host using WinRM, a task and DCSync on a DC is one intrusion);
 * then routine: s / (1 + 0.5 (days - 1)) over the day files that show it (an admin host using
 * WinRM every day is administration, an intruder's use is recent).  Results below min_score
 * are not emitted.  DCE-RPC stubs sealed at packet privacy still show the
 * interface (bind) and operation (opnum); the task path, job command and service details are
 * then unknown.
 *
 * Per day file: one query over the DCE-RPC call records of the sessions that carry one of
 * the interfaces above (found through the `fields` index of dcerpc.interface.uuid), grouped
 * per session and operation; one over sessions to the WinRM ports or with a /wsman URL; one
 * listing the servers that answered 88 and 389.  Entries are merged across days in a map
 * bounded by max_keys.
 */
#include "hunt/h_smbrpc.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_WMI, T_DCOM, T_WINRM, T_SCHTASK, T_DCSYNC, T_WINREG, T_EPM, T__N };

static const struct {
    const char *name, *what, *attack;
} techs[T__N] = {
    [T_WMI] = {"wmi", "WMI", "T1047"},
    [T_DCOM] = {"dcom", "DCOM", "T1021.003"},
    [T_WINRM] = {"winrm", "WinRM", "T1021.006"},
    [T_SCHTASK] = {"schtask", "a remote scheduled task", "T1053.005"},
    [T_DCSYNC] = {"dcsync", "directory replication (DCSync)", "T1003.006"},
    [T_WINREG] = {"winreg", "the remote registry", "T1012"},
    [T_EPM] = {"epm", "endpoint-mapper enumeration", "T1046"},
};

/* Interfaces (dcerpc.interface.uuid) and the technique they belong to. */
static const struct {
    const char *uuid;
    int tech;
} rx_ifaces[] = {
    {"f309ad18-d86a-11d0-a075-00c04fb68820", T_WMI},     /* IWbemLevel1Login */
    {"9556dc99-828c-11cf-a37e-00aa003240c7", T_WMI},     /* IWbemServices */
    {"027947e1-d731-11ce-a357-000000000001", T_WMI},     /* IEnumWbemClassObject */
    {"000001a0-0000-0000-c000-000000000046", T_DCOM},    /* ISystemActivator */
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", T_DCOM},    /* IRemoteSCMActivator */
    {"00000131-0000-0000-c000-000000000046", T_DCOM},    /* IRemUnknown */
    {"00000143-0000-0000-c000-000000000046", T_DCOM},    /* IRemUnknown2 */
    {"00020400-0000-0000-c000-000000000046", T_DCOM},    /* IDispatch */
    {"1ff70682-0a51-30e8-076d-740be8cee98b", T_SCHTASK}, /* atsvc */
    {"86d35949-83c9-4044-b424-db363231fd0c", T_SCHTASK}, /* ITaskSchedulerService */
    {"378e52b0-c0a9-11cf-822d-00aa0051e40f", T_SCHTASK}, /* SASec */
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", T_DCSYNC},  /* drsuapi */
    {"338cd001-2244-31f1-aaaa-900038001003", T_WINREG},  /* winreg */
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", T_EPM},     /* epmapper */
};

/* The same list for SQL: "IN (…)" over the index. */
#define RX_UUIDS                                                                                   \
    "('f309ad18-d86a-11d0-a075-00c04fb68820', '9556dc99-828c-11cf-a37e-00aa003240c7',"             \
    " '027947e1-d731-11ce-a357-000000000001', '000001a0-0000-0000-c000-000000000046',"             \
    " '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', '00000131-0000-0000-c000-000000000046',"             \
    " '00000143-0000-0000-c000-000000000046', '00020400-0000-0000-c000-000000000046',"             \
    " '1ff70682-0a51-30e8-076d-740be8cee98b', '86d35949-83c9-4044-b424-db363231fd0c',"             \
    " '378e52b0-c0a9-11cf-822d-00aa0051e40f', 'e3514235-4b06-11d1-ab04-00c04fc2dcd2',"             \
    " '338cd001-2244-31f1-aaaa-900038001003', 'e1af8308-5d1f-11c9-91a4-08002b14a0fa')"

static int op_in(const char *op, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(op, *list) == 0)
            return 1;
    return 0;
}

double hsr_rx_classify(const char *uuid, const char *op, int *tech)
{
    *tech = -1;
    if (!uuid)
        return 0;
    for (size_t i = 0; i < sizeof rx_ifaces / sizeof rx_ifaces[0]; i++)
        if (strcmp(uuid, rx_ifaces[i].uuid) == 0)
            *tech = rx_ifaces[i].tech;
    if (!op)
        op = "";
    static const char *const wmi_exec[] = {"ExecMethod", "ExecMethodAsync", NULL};
    static const char *const task_make[] = {"SchRpcRegisterTask", NULL};
    static const char *const task_run[] = {"SchRpcRun", "SchRpcEnableTask", NULL};
    static const char *const drs_shadow[] = {"DRSAddEntry", "DRSReplicaAdd", NULL};
    static const char *const reg_write[] = {
        "BaseRegSetValue",    "BaseRegCreateKey",   "BaseRegDeleteKey",
        "BaseRegDeleteValue", "BaseRegDeleteKeyEx", "BaseRegRestoreKey",
        "BaseRegLoadKey",     "BaseRegReplaceKey",  NULL};
    switch (*tech) {
    case T_WMI:
        if (op_in(op, wmi_exec))
            return 0.85;
        return strcmp(uuid, rx_ifaces[0].uuid) == 0 ? 0.45 : 0.55;
    case T_DCOM:
        return strcmp(op, "Invoke") == 0 ? 0.6 : 0.25;
    case T_SCHTASK:
        if (strcmp(op, "NetrJobAdd") == 0)
            return 0.9;
        if (op_in(op, task_make))
            return 0.85;
        if (op_in(op, task_run) || strncmp(uuid, "378e52b0", 8) == 0)
            return 0.6;
        return 0.25;
    case T_DCSYNC:
        if (strcmp(op, "DRSGetNCChanges") == 0)
            return 0.95;
        return op_in(op, drs_shadow) ? 0.7 : 0.2;
    case T_WINREG:
        if (strncmp(op, "BaseRegSaveKey", 14) == 0)
            return 0.8;
        return op_in(op, reg_write) ? 0.6 : 0.3;
    case T_EPM:
        return 0; /* scored by the number of lookups */
    default:
        return 0;
    }
}

struct rx_ent {
    uint8_t src[16], dst[16];
    int tech;
    double w;        /* strongest operation's weight */
    char best[40];   /* its name */
    char ops[160];   /* every operation seen, once each */
    char extra[200]; /* task path, job command, user agent … */
    uint64_t calls, lookups, sessions, last_id, ev_best;
    uint64_t ids[HUNT_MAX_EVIDENCE];
    unsigned nids;
    int64_t first_ns, last_ns;
    int last_day;   /* YYYYMMDD of the last day file that showed it */
    unsigned ndays; /* day files that showed it */
    int merged;     /* a DCOM entry folded into its pair's WMI entry */
};

struct rx {
    struct hunt_ctx *ctx;
    struct hunt_map ents, servers; /* servers: address → 1 (88 answered) | 2 (389 answered) */
    struct hunt_map pairs;         /* client+target → techniques of weight >= 0.5 (bits) */
    int day;                       /* the day file being read */
    struct hunt_zones *dcs;        /* NULL = auto */
    int ports[4];
    double min_lookups, lookup_half;
};

static struct rx_ent *ent_get(struct rx *rx, const void *src, const void *dst, int tech)
{
    uint8_t key[33];
    memcpy(key, src, 16);
    memcpy(key + 16, dst, 16);
    key[32] = (uint8_t)tech;
    struct rx_ent *e = hunt_map_get(&rx->ents, key, sizeof key, 1);
    if (e && !e->calls && !e->sessions) {
        memcpy(e->src, src, 16);
        memcpy(e->dst, dst, 16);
        e->tech = tech;
    }
    return e;
}

static void ent_session(struct rx *rx, struct rx_ent *e, uint64_t id, int64_t f, int64_t l)
{
    if (e->last_day != rx->day) {
        e->last_day = rx->day;
        e->ndays++;
    }
    if (e->last_id != id || !e->sessions) {
        e->sessions++;
        e->last_id = id;
        if (e->nids < HUNT_MAX_EVIDENCE)
            e->ids[e->nids++] = id;
    }
    if (!e->first_ns || f < e->first_ns)
        e->first_ns = f;
    if (l > e->last_ns)
        e->last_ns = l;
}

/* op names the operation for the text; token (no spaces) goes into the list of operations. */
static void ent_op(struct rx_ent *e, double w, const char *op, const char *token, uint64_t id,
                   uint64_t calls)
{
    e->calls += calls;
    if (w > e->w || !e->best[0]) {
        e->w = w > e->w ? w : e->w;
        snprintf(e->best, sizeof e->best, "%s", op);
        e->ev_best = id;
    }
    hsr_words_merge(e->ops, sizeof e->ops, token);
}

static int rx_rpc(struct rx *rx, sqlite3 *db, int64_t lo, int64_t hi)
{
    int64_t pid = hsr_pid(db, "dcerpc.interface.uuid");
    if (pid < 0)
        return 0;
    static const char sql[] =
        "WITH cand(id) AS (SELECT id FROM fields WHERE pid = ?3 AND value IN " RX_UUIDS ")"
        " SELECT s.id, s.src_ip, s.dst_ip, min(s.first_ns), max(s.last_ns),"
        "  json_extract(r.json, '$.dcerpc.interface.uuid') AS u,"
        "  json_extract(r.json, '$.dcerpc.operation') AS op, count(*),"
        "  max(coalesce(json_extract(r.json, '$.dcerpc.task.path'),"
        "      json_extract(r.json, '$.dcerpc.atsvc.command')))"
        " FROM cand JOIN sessions s ON s.id = cand.id"
        " JOIN records r ON r.id = s.id AND r.piece = s.piece"
        " WHERE s.first_ns BETWEEN ?1 AND ?2 AND r.type = 'dcerpc' AND u IN " RX_UUIDS
        " GROUP BY s.id, u, op ORDER BY s.id";
    sqlite3_stmt *s;
    int rc = hunt_prepare(rx->ctx, db, sql, &s, "remote-exec");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    sqlite3_bind_int64(s, 3, pid);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 1) != 16 || sqlite3_column_bytes(s, 2) != 16)
            continue;
        const char *uuid = (const char *)sqlite3_column_text(s, 5);
        const char *op = (const char *)sqlite3_column_text(s, 6);
        int tech;
        double w = hsr_rx_classify(uuid, op, &tech);
        if (tech < 0)
            continue;
        if (!op)
            op = "bind";
        uint64_t calls = (uint64_t)sqlite3_column_int64(s, 7);
        if (tech == T_EPM && strcmp(op, "ept_lookup") != 0)
            continue; /* ept_map: one endpoint resolved, what every RPC client does */
        struct rx_ent *e = ent_get(rx, sqlite3_column_blob(s, 1), sqlite3_column_blob(s, 2), tech);
        if (!e)
            continue; /* over the cap: counted in ents.refused */
        uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
        ent_session(rx, e, id, sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4));
        if (tech == T_EPM)
            e->lookups += calls;
        char token[40]; /* "opnum 7" (an operation the parser has no name for) → opnum_7 */
        snprintf(token, sizeof token, "%s", op);
        for (char *c = token; *c; c++)
            *c = *c == ' ' ? '_' : *c;
        ent_op(e, w, op, token, id, calls);
        const unsigned char *x = sqlite3_column_text(s, 8);
        if (x && !e->extra[0])
            snprintf(e->extra, sizeof e->extra, "%s", (const char *)x);
    }
    return hunt_finish(rx->ctx, db, s, st, "remote-exec");
}

static int rx_winrm(struct rx *rx, sqlite3 *db, int64_t lo, int64_t hi)
{
    /* WinRM's listener is /wsman (PowerShell remoting adds ?PSVersion=…, url.path drops it). */
    static const char sql[] =
        "WITH cand(id) AS ("
        "  SELECT id FROM sessions WHERE dst_port IN (?4, ?5, ?6, ?7) AND proto = 6"
        "   AND first_ns BETWEEN ?1 AND ?2"
        "  UNION SELECT id FROM fields WHERE pid = ?3"
        "   AND ((value >= '/wsman' AND value < '/wsmao') OR (value >= '/WSMAN' AND value < "
        "'/WSMAO')))"
        " SELECT s.id, s.src_ip, s.dst_ip, s.first_ns, s.last_ns, s.dst_port,"
        "  s.src_payload, s.dst_payload, coalesce(s.app, ''),"
        "  (SELECT count(*) FROM records r WHERE r.id = s.id AND r.piece = s.piece"
        "    AND r.type = 'http' AND lower(json_extract(r.json, '$.url.path')) LIKE '/wsman%'"
        "    AND json_extract(r.json, '$.http.request.method') = 'POST'),"
        "  (SELECT json_extract(r.json, '$.user_agent.original') FROM records r"
        "    WHERE r.id = s.id AND r.piece = s.piece AND r.type = 'http'"
        "    AND lower(json_extract(r.json, '$.url.path')) LIKE '/wsman%' LIMIT 1)"
        " FROM cand JOIN sessions s ON s.id = cand.id WHERE s.first_ns BETWEEN ?1 AND ?2"
        " ORDER BY s.id";
    sqlite3_stmt *s;
    int rc = hunt_prepare(rx->ctx, db, sql, &s, "remote-exec");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    sqlite3_bind_int64(s, 3, hsr_pid(db, "url.path"));
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int(s, 4 + i, rx->ports[i]);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 1) != 16 || sqlite3_column_bytes(s, 2) != 16)
            continue;
        int port = sqlite3_column_int(s, 5);
        int64_t up = sqlite3_column_int64(s, 6), down = sqlite3_column_int64(s, 7);
        const char *app = (const char *)sqlite3_column_text(s, 8);
        int64_t posts = sqlite3_column_int64(s, 9);
        const char *ua = (const char *)sqlite3_column_text(s, 10);
        double w;
        char op[40], token[24];
        if (posts > 0) {
            int stock = ua && hsr_glob("*Microsoft WinRM Client*", ua);
            w = stock || !ua ? 0.7 : 0.85;
            snprintf(op, sizeof op, "POST /wsman");
            snprintf(token, sizeof token, "POST:/wsman");
        } else if (up > 0 && down > 0 && app && strcmp(app, "tls") == 0) {
            w = 0.5;
            snprintf(op, sizeof op, "TLS to port %d", port);
            snprintf(token, sizeof token, "tls:%d", port);
        } else if (up > 0 && down > 0 && (!app || !app[0])) {
            w = 0.45;
            snprintf(op, sizeof op, "connection to port %d", port);
            snprintf(token, sizeof token, "tcp:%d", port);
        } else {
            continue; /* refused, unanswered, or something else on the port */
        }
        struct rx_ent *e =
            ent_get(rx, sqlite3_column_blob(s, 1), sqlite3_column_blob(s, 2), T_WINRM);
        if (!e)
            continue;
        uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
        ent_session(rx, e, id, sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4));
        ent_op(e, w, op, token, id, posts > 0 ? (uint64_t)posts : 1);
        if (ua && (!e->extra[0] || w >= 0.85))
            snprintf(e->extra, sizeof e->extra, "user agent %s", ua);
    }
    return hunt_finish(rx->ctx, db, s, st, "remote-exec");
}

/* Servers that answered Kerberos (88) and LDAP (389): domain controllers, for dcs = auto. */
static int rx_servers(struct rx *rx, sqlite3 *db, int64_t lo, int64_t hi)
{
    sqlite3_stmt *s;
    int rc = hunt_prepare(rx->ctx, db,
                          "SELECT dst_ip, dst_port FROM sessions WHERE dst_port IN (88, 389)"
                          " AND dst_pkts > 0 AND first_ns BETWEEN ?1 AND ?2"
                          " GROUP BY dst_ip, dst_port",
                          &s, "remote-exec");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        int *f = hunt_map_get(&rx->servers, sqlite3_column_blob(s, 0), 16, 1);
        if (f)
            *f |= sqlite3_column_int(s, 1) == 88 ? 1 : 2;
    }
    return hunt_finish(rx->ctx, db, s, st, "remote-exec");
}

static int rx_day(void *arg, int day, void *dbp)
{
    struct rx *rx = arg;
    rx->day = day;
    int64_t lo, hi;
    hunt_range(rx->ctx, &lo, &hi);
    int rc = rx_rpc(rx, dbp, lo, hi);
    if (!rc)
        rc = rx_winrm(rx, dbp, lo, hi);
    if (!rc && !rx->dcs)
        rc = rx_servers(rx, dbp, lo, hi);
    return rc;
}

static int is_dc(struct rx *rx, const uint8_t ip[16])
{
    if (rx->dcs)
        return strcmp(hunt_zone_of(rx->dcs, ip), "dc") == 0;
    int *f = hunt_map_get(&rx->servers, ip, 16, 0);
    return f && *f == 3;
}

static int count_dc(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    (void)value;
    *(unsigned *)arg += *(int *)value == 3;
    return 0;
}

/* Fold each pair's DCOM activation into its WMI entry: one WMI operation, one result. */
static int rx_fold(void *arg, const void *key, size_t klen, void *value)
{
    struct rx *rx = arg;
    struct rx_ent *d = value;
    if (d->tech != T_DCOM)
        return 0;
    uint8_t k[33];
    memcpy(k, key, klen < sizeof k ? klen : sizeof k);
    k[32] = T_WMI;
    struct rx_ent *w = hunt_map_get(&rx->ents, k, sizeof k, 0);
    if (!w)
        return 0;
    for (unsigned i = 0; i < d->nids; i++) {
        int have = 0;
        for (unsigned j = 0; j < w->nids && !have; j++)
            have = w->ids[j] == d->ids[i];
        if (!have && w->nids < HUNT_MAX_EVIDENCE)
            w->ids[w->nids++] = d->ids[i];
    }
    w->sessions += d->sessions;
    w->calls += d->calls;
    if (d->ndays > w->ndays)
        w->ndays = d->ndays;
    hsr_words_merge(w->ops, sizeof w->ops, d->ops);
    if (d->first_ns && (!w->first_ns || d->first_ns < w->first_ns))
        w->first_ns = d->first_ns;
    if (d->last_ns > w->last_ns)
        w->last_ns = d->last_ns;
    d->merged = 1;
    return 0;
}

struct emit_arg {
    struct rx *rx;
    unsigned ndc;
};

double hsr_rx_score(double w, uint64_t calls, unsigned others, unsigned ndays)
{
    double s = w + (1 - w) * 0.2 * hunt_squash((double)calls, 20);
    for (unsigned i = 0; i < others; i++)
        s = 1 - (1 - s) * 0.75;
    return s / (1 + 0.5 * (ndays > 1 ? ndays - 1 : 0));
}

/* The weight of an entry as a result, or -1 when it is none (see the header comment). */
static double ent_weight(struct rx *rx, const struct rx_ent *e)
{
    if (e->merged)
        return -1;
    if (e->tech == T_DCSYNC && is_dc(rx, e->src))
        return -1; /* one DC replicating from another */
    if (e->tech != T_EPM)
        return e->w;
    if ((double)e->lookups < rx->min_lookups)
        return -1;
    return 0.95 * hunt_squash((double)e->lookups, rx->lookup_half);
}

/* Which techniques of weight >= 0.5 each client-target pair shows (corroboration). */
static int rx_mark(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct rx *rx = arg;
    struct rx_ent *e = value;
    if (ent_weight(rx, e) < 0.5)
        return 0;
    unsigned *bits = hunt_map_get(&rx->pairs, key, 32, 1);
    if (bits)
        *bits |= 1u << e->tech;
    return 0;
}

static int rx_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct emit_arg *ea = arg;
    struct rx *rx = ea->rx;
    struct rx_ent *e = value;
    double w = ent_weight(rx, e);
    if (w < 0)
        return 0;
    unsigned *bits = hunt_map_get(&rx->pairs, key, 32, 0), others = 0;
    for (int t = 0; bits && t < T__N; t++)
        others += t != e->tech && (*bits & 1u << t);
    struct hunt_result r = {0};
    r.score = e->tech == T_EPM ? w / (1 + 0.5 * (e->ndays > 1 ? e->ndays - 1 : 0))
                               : hsr_rx_score(w, e->calls, others, e->ndays);
    if (r.score < hunt_num(rx->ctx, "min_score"))
        return 0;
    hunt_addr(e->src, 16, r.src, sizeof r.src);
    hunt_addr(e->dst, 16, r.dst, sizeof r.dst);
    size_t o = 0;
    hsr_put(r.explain, sizeof r.explain, &o, "%s on %s, %s: ", r.src, r.dst, techs[e->tech].what);
    if (e->tech == T_EPM)
        hsr_put(r.explain, sizeof r.explain, &o,
                "%" PRIu64
                " ept_lookup calls walked the server's RPC endpoint table (a client resolving "
                "a service needs one ept_map)",
                e->lookups);
    else if (e->tech == T_WINRM && !strchr(e->ops, ' '))
        hsr_put(r.explain, sizeof r.explain, &o, "%" PRIu64 " x %s", e->calls, e->best);
    else if (e->tech == T_WINRM)
        hsr_put(r.explain, sizeof r.explain, &o, "%" PRIu64 " exchanges, strongest %s (%s)",
                e->calls, e->best, e->ops);
    else
        hsr_put(r.explain, sizeof r.explain, &o, "%s, %" PRIu64 " call%s (%s)", e->best, e->calls,
                e->calls == 1 ? "" : "s", e->ops);
    if (e->tech == T_DCSYNC)
        hsr_put(r.explain, sizeof r.explain, &o, "; %s",
                ea->ndc ? "the client is not a domain controller"
                        : "no domain controller identified in the range (param dcs)");
    if (e->extra[0])
        hsr_put(r.explain, sizeof r.explain, &o, "; %s", e->extra);
    if (others)
        hsr_put(r.explain, sizeof r.explain, &o, "; with %u other technique%s on this target",
                others, others == 1 ? "" : "s");
    hsr_put(r.explain, sizeof r.explain, &o, "; %" PRIu64 " session%s on %u day%s", e->sessions,
            e->sessions == 1 ? "" : "s", e->ndays, e->ndays == 1 ? "" : "s");
    if (e->ndays > 1)
        hsr_put(r.explain, sizeof r.explain, &o, " (routine use lowers the score)");
    size_t d = 0;
    hsr_put(r.detail, sizeof r.detail, &d, "%s: %s", techs[e->tech].name, e->best);
    if (e->extra[0])
        hsr_put(r.detail, sizeof r.detail, &d, "; %s", e->extra);
    snprintf(r.attack, sizeof r.attack, "%s", techs[e->tech].attack);
    if (e->tech == T_WINREG && strncmp(e->best, "BaseRegSaveKey", 14) == 0)
        hsr_words_merge(r.attack, sizeof r.attack, "T1003.002");
    else if (e->tech == T_WINREG && e->w >= 0.6)
        hsr_words_merge(r.attack, sizeof r.attack, "T1112");
    hunt_result_event(&r, e->ev_best);
    for (unsigned i = 0; i < e->nids; i++)
        hunt_result_event(&r, e->ids[i]);
    r.sessions = e->sessions;
    r.first_ns = e->first_ns;
    r.last_ns = e->last_ns;
    return hunt_emit(rx->ctx, &r);
}

static int parse_ports(struct hunt_ctx *ctx, const char *v, int ports[4])
{
    for (int i = 0; i < 4; i++)
        ports[i] = -1;
    int n = 0;
    for (const char *p = v; *p;) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || x < 1 || x > 65535 || n == 4)
            return hunt_fail(ctx, KS_EINVAL, "winrm_ports '%s': up to 4 ports, comma separated", v);
        ports[n++] = (int)x;
        p = end;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

static int remoteexec_run(struct hunt_ctx *ctx)
{
    struct rx rx = {.ctx = ctx,
                    .min_lookups = hunt_num(ctx, "min_lookups"),
                    .lookup_half = hunt_num(ctx, "lookup_half")};
    int rc = parse_ports(ctx, hunt_str(ctx, "winrm_ports"), rx.ports);
    if (rc)
        return rc;
    const char *dcs = hunt_str(ctx, "dcs");
    if (strcmp(dcs, "auto") != 0) {
        char spec[600], msg[200];
        rx.dcs = calloc(1, sizeof *rx.dcs);
        if (!rx.dcs)
            return KS_ENOMEM;
        snprintf(spec, sizeof spec, "dc=%s", dcs);
        if (hunt_zone_add(rx.dcs, spec, msg, sizeof msg)) {
            free(rx.dcs);
            return hunt_fail(ctx, KS_EINVAL, "dcs: %s", msg);
        }
    }
    hunt_map_init(&rx.ents, sizeof(struct rx_ent), (size_t)hunt_num(ctx, "max_keys"));
    hunt_map_init(&rx.servers, sizeof(int), (size_t)hunt_num(ctx, "max_keys"));
    hunt_map_init(&rx.pairs, sizeof(unsigned), (size_t)hunt_num(ctx, "max_keys"));
    rc = hunt_days(ctx, rx_day, &rx);
    struct emit_arg ea = {.rx = &rx};
    if (!rc && rx.dcs)
        ea.ndc = rx.dcs->z[0].nnets;
    else if (!rc)
        rc = hunt_map_each(&rx.servers, count_dc, &ea.ndc);
    if (!rc)
        rc = hunt_map_each(&rx.ents, rx_fold, &rx);
    if (!rc)
        rc = hunt_map_each(&rx.ents, rx_mark, &rx);
    if (!rc)
        rc = hunt_map_each(&rx.ents, rx_emit, &ea);
    if (!rc && (rx.ents.refused || rx.servers.refused || rx.pairs.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f client-target-technique entries or servers: raise "
                       "max_keys or narrow --since/--until",
                       hunt_num(ctx, "max_keys"));
    hunt_map_release(&rx.ents);
    hunt_map_release(&rx.servers);
    hunt_map_release(&rx.pairs);
    free(rx.dcs);
    return rc;
}

const struct hunt_kind hunt_kind_remoteexec = {"remote-exec", remoteexec_run};
