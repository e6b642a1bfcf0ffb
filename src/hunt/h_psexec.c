/*
 * h_psexec.c — the `psexec` analysis: remote service execution over SMB and DCE-RPC, per
 * client → target pair.
 *
 * PsExec and its relatives (RemCom / Impacket psexec, PAExec, csexec, smbexec, Metasploit's
 * psexec) leave the same few traces, and a pair showing several of them is the technique:
 *
 *   signal     weight  what the records say
 *   create     0.55    svcctl CreateServiceW/A, CreateServiceWOW64W/A, CreateWowService
 *   exe_admin  0.50    an executable (param exts) created or written on an admin share
 *                      (ADMIN$, C$ …: share name ending in '$', not IPC$)
 *   pipe       0.50    a remote-execution tool's named pipe opened (param pipes: PSEXESVC,
 *                      *-stdin/-stdout/-stderr, RemCom_*, csexecsvc, PAExec* …)
 *   bad_path   0.40    the service's binary path runs a command (param bad_paths: cmd /c,
 *                      %COMSPEC%, powershell, \\127.0.0.1\…, %TEMP% …)
 *   link       0.40    the service's binary path names the executable just written
 *   change     0.35    svcctl ChangeServiceConfigW/A (an existing service pointed elsewhere)
 *   start      0.20    svcctl StartServiceW/A
 *   exe_share  0.15    an executable written to an ordinary disk share
 *
 * Score = 1 - prod(1 - weight) over the signals present (a noisy-OR: each signal alone is
 * at most its weight, every further one raises it).  The real PsExec capture (create, start,
 * exe_admin, pipe; stubs sealed) scores 0.91; an administrator copying an installer to C$
 * scores 0.50, documents written to a share score nothing.  Results below min_score are not
 * emitted.  Sealed stubs (auth level privacy) hide the service name and binary path: the
 * operation names (opnums are in the clear) and the SMB file and pipe names remain.
 *
 * Per day file one query: the sessions with a svcctl operation of interest or a file/pipe
 * name matching exts or pipes (through the `fields` index), then just those records.  Pairs
 * are merged across days in a map bounded by max_pairs.
 */
#include "hunt/h_smbrpc.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { S_CREATE, S_EXE_ADMIN, S_PIPE, S_BADPATH, S_LINK, S_CHANGE, S_START, S_EXE_SHARE, S__N };

/* In evidence order (most telling first), with the techniques each one shows. */
static const struct {
    double w;
    const char *attack;
} sigs[S__N] = {
    [S_CREATE] = {0.55, "T1543.003 T1569.002"},
    [S_EXE_ADMIN] = {0.50, "T1021.002 T1570"},
    [S_PIPE] = {0.50, "T1569.002"},
    [S_BADPATH] = {0.40, "T1569.002"},
    [S_LINK] = {0.40, "T1570"},
    [S_CHANGE] = {0.35, "T1543.003"},
    [S_START] = {0.20, "T1569.002"},
    [S_EXE_SHARE] = {0.15, "T1570"},
};

struct pe_pair {
    uint8_t src[16], dst[16];
    unsigned cnt[S__N];
    uint64_t ev[S__N]; /* first session showing each signal */
    uint64_t ids[HUNT_MAX_EVIDENCE];
    unsigned nids;
    uint64_t sessions, last_id, exe_bytes;
    int64_t first_ns, last_ns;
    unsigned npipes, nexes, sealed;
    char create_op[24], start_op[16];
    char svc[64], binpath[200], exe[96], exe_share[48], pipe[96], user[64];
};

struct pe {
    struct hunt_ctx *ctx;
    struct hunt_map pairs;
    const char *exts, *pipes, *bad_paths;
};

double hsr_psexec_score(unsigned bits)
{
    double miss = 1;
    for (int i = 0; i < S__N; i++)
        if (bits & 1u << i)
            miss *= 1 - sigs[i].w;
    return 1 - miss;
}

static void copy_once(char *dst, size_t n, const unsigned char *v)
{
    if (!dst[0] && v)
        snprintf(dst, n, "%s", (const char *)v);
}

static void pair_signal(struct pe_pair *p, int sig, uint64_t id)
{
    if (!p->cnt[sig]++)
        p->ev[sig] = id;
}

static int pe_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct pe *pe = arg;
    sqlite3 *db = dbp;
    int64_t op_pid = hsr_pid(db, "dcerpc.operation"), name_pid = hsr_pid(db, "file.name");
    if (op_pid < 0 && name_pid < 0)
        return 0; /* no SMB or DCE-RPC that day */
    if (hsr_sql_register(db))
        return hunt_fail(pe->ctx, KS_ESQL, "psexec: %s", sqlite3_errmsg(db));
#define PE_OPS                                                                                     \
    "('CreateServiceW', 'CreateServiceA', 'CreateServiceWOW64W', 'CreateServiceWOW64A',"           \
    " 'CreateWowService', 'ChangeServiceConfigW', 'ChangeServiceConfigA', 'StartServiceW',"        \
    " 'StartServiceA')"
    static const char sql[] =
        "WITH cand(id) AS ("
        "  SELECT id FROM fields WHERE pid = ?3 AND value IN " PE_OPS
        "  UNION SELECT id FROM fields WHERE pid = ?4"
        "   AND (hsr_match(?5, value) OR hsr_match(?6, value)))"
        " SELECT s.id, s.src_ip, s.dst_ip, s.first_ns, s.last_ns, r.type,"
        "  json_extract(r.json, '$.dcerpc.operation'),"
        "  json_extract(r.json, '$.dcerpc.svcctl.service_name'),"
        "  json_extract(r.json, '$.dcerpc.svcctl.binary_path'),"
        "  json_extract(r.json, '$.file.name'), json_extract(r.json, '$.smb.share'),"
        "  json_extract(r.json, '$.smb.share_type'), json_extract(r.json, '$.smb.file.action'),"
        "  json_extract(r.json, '$.smb.file.bytes_written'),"
        "  json_extract(r.json, '$.smb.user'), json_extract(r.json, '$.smb.domain')"
        " FROM cand JOIN sessions s ON s.id = cand.id"
        " JOIN records r ON r.id = s.id AND r.piece = s.piece"
        " WHERE s.first_ns BETWEEN ?1 AND ?2"
        "  AND ((r.type = 'dcerpc' AND json_extract(r.json, '$.dcerpc.operation') IN " PE_OPS ")"
        "   OR (r.type = 'smb' AND (hsr_match(?5, json_extract(r.json, '$.file.name'))"
        "                        OR hsr_match(?6, json_extract(r.json, '$.file.name')))))"
        " ORDER BY s.id";
#undef PE_OPS
    sqlite3_stmt *s;
    int rc = hunt_prepare_range(pe->ctx, db, sql, &s, "psexec");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 3, op_pid);
    sqlite3_bind_int64(s, 4, name_pid);
    sqlite3_bind_text(s, 5, pe->exts, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, pe->pipes, -1, SQLITE_STATIC);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 1) != 16 || sqlite3_column_bytes(s, 2) != 16)
            continue;
        uint8_t key[32];
        memcpy(key, sqlite3_column_blob(s, 1), 16);
        memcpy(key + 16, sqlite3_column_blob(s, 2), 16);
        struct pe_pair *p = hunt_map_get(&pe->pairs, key, sizeof key, 1);
        if (!p)
            continue; /* over the cap: counted in pairs.refused */
        uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
        if (!p->sessions)
            memcpy(p, key, sizeof key);
        if (p->last_id != id || !p->sessions) {
            p->sessions++;
            p->last_id = id;
            if (p->nids < HUNT_MAX_EVIDENCE)
                p->ids[p->nids++] = id;
        }
        int64_t f = sqlite3_column_int64(s, 3), l = sqlite3_column_int64(s, 4);
        if (!p->first_ns || f < p->first_ns)
            p->first_ns = f;
        if (l > p->last_ns)
            p->last_ns = l;
        const char *type = (const char *)sqlite3_column_text(s, 5);
        if (type && strcmp(type, "dcerpc") == 0) {
            const char *op = (const char *)sqlite3_column_text(s, 6);
            if (!op)
                continue;
            if (strncmp(op, "StartService", 12) == 0) {
                pair_signal(p, S_START, id);
                copy_once(p->start_op, sizeof p->start_op, (const unsigned char *)op);
                continue;
            }
            pair_signal(p, strncmp(op, "ChangeService", 13) == 0 ? S_CHANGE : S_CREATE, id);
            copy_once(p->create_op, sizeof p->create_op, (const unsigned char *)op);
            const unsigned char *svc = sqlite3_column_text(s, 7), *bin = sqlite3_column_text(s, 8);
            if (!svc && !bin)
                p->sealed++;
            copy_once(p->svc, sizeof p->svc, svc);
            if (bin && hsr_glob_any(pe->bad_paths, (const char *)bin)) {
                /* A command line beats a plain path as the one to show. */
                if (!p->cnt[S_BADPATH])
                    p->binpath[0] = '\0';
                pair_signal(p, S_BADPATH, id);
            }
            copy_once(p->binpath, sizeof p->binpath, bin);
            continue;
        }
        /* An SMB file record whose name is an executable or a tool's pipe. */
        const char *name = (const char *)sqlite3_column_text(s, 9);
        const char *share = (const char *)sqlite3_column_text(s, 10);
        const char *stype = (const char *)sqlite3_column_text(s, 11);
        const char *act = (const char *)sqlite3_column_text(s, 12);
        if (!name)
            continue;
        const char *user = (const char *)sqlite3_column_text(s, 14);
        const char *dom = (const char *)sqlite3_column_text(s, 15);
        if (user && !p->user[0])
            snprintf(p->user, sizeof p->user, "%s%s%s", dom ? dom : "", dom ? "\\" : "", user);
        if (stype && strcmp(stype, "pipe") == 0) {
            if (hsr_glob_any(pe->pipes, name)) {
                pair_signal(p, S_PIPE, id);
                p->npipes++;
                copy_once(p->pipe, sizeof p->pipe, (const unsigned char *)name);
            }
            continue;
        }
        int64_t written = sqlite3_column_int64(s, 13);
        int wrote = written > 0 || hsr_json_has(act, "write") || hsr_json_has(act, "create") ||
                    hsr_json_has(act, "overwrite") || hsr_json_has(act, "supersede");
        if (!wrote || !hsr_glob_any(pe->exts, name))
            continue; /* running a program from a share reads it: not a transfer */
        int admin = share && hsr_admin_share(share);
        pair_signal(p, admin ? S_EXE_ADMIN : S_EXE_SHARE, id);
        p->nexes++;
        p->exe_bytes += written > 0 ? (uint64_t)written : 0;
        if (admin && p->cnt[S_EXE_ADMIN] == 1)
            p->exe[0] = p->exe_share[0] = '\0'; /* an admin share's file is the one to show */
        copy_once(p->exe, sizeof p->exe, (const unsigned char *)name);
        copy_once(p->exe_share, sizeof p->exe_share,
                  (const unsigned char *)(share ? hsr_basename(share) : ""));
    }
    return hunt_finish(pe->ctx, db, s, st, "psexec");
}

static int pe_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct pe *pe = arg;
    struct pe_pair *p = value;
    /* The service runs what was just copied: its binary path names the executable. */
    char pat[sizeof p->exe + 2];
    snprintf(pat, sizeof pat, "*%s*", p->exe);
    if (p->binpath[0] && p->exe[0] && hsr_glob(pat, p->binpath))
        pair_signal(p, S_LINK, p->ev[S_CREATE] ? p->ev[S_CREATE] : p->ev[S_CHANGE]);
    unsigned bits = 0, n = 0;
    for (int i = 0; i < S__N; i++)
        if (p->cnt[i]) {
            bits |= 1u << i;
            n++;
        }
    struct hunt_result r = {0};
    r.score = hsr_psexec_score(bits);
    if (r.score < hunt_num(pe->ctx, "min_score"))
        return 0;
    hunt_addr(p->src, 16, r.src, sizeof r.src);
    hunt_addr(p->dst, 16, r.dst, sizeof r.dst);

    size_t o = 0;
    char *e = r.explain;
    const size_t en = sizeof r.explain;
    hsr_put(e, en, &o, "%s on %s:", r.src, r.dst);
    const char *sep = " ";
    if (p->cnt[S_CREATE] || p->cnt[S_CHANGE]) {
        hsr_put(e, en, &o, "%s%s a service (%s", sep, p->cnt[S_CREATE] ? "created" : "reconfigured",
                p->create_op);
        if (p->svc[0])
            hsr_put(e, en, &o, " %s", p->svc);
        if (p->binpath[0])
            hsr_put(e, en, &o, " -> %s", p->binpath);
        else if (p->sealed)
            hsr_put(e, en, &o, ", name and path sealed");
        hsr_put(e, en, &o, ")");
        if (p->cnt[S_START])
            hsr_put(e, en, &o, " and started it (%s)", p->start_op);
        sep = ", ";
    } else if (p->cnt[S_START]) {
        hsr_put(e, en, &o, "%sstarted a service (%s)", sep, p->start_op);
        sep = ", ";
    }
    if (p->cnt[S_EXE_ADMIN] || p->cnt[S_EXE_SHARE]) {
        char b[32];
        hunt_fmt_bytes((double)p->exe_bytes, b, sizeof b);
        hsr_put(e, en, &o, "%swrote %s (%s) to %s", sep, p->exe, b, p->exe_share);
        if (p->nexes > 1)
            hsr_put(e, en, &o, " and %u more executable writes", p->nexes - 1);
        sep = ", ";
    }
    if (p->cnt[S_PIPE]) {
        hsr_put(e, en, &o, "%sopened remote-execution pipe %s", sep, p->pipe);
        if (p->npipes > 1)
            hsr_put(e, en, &o, " (+%u more)", p->npipes - 1);
        sep = ", ";
    }
    if (p->cnt[S_BADPATH])
        hsr_put(e, en, &o, "%sthe service runs a command line", sep);
    if (p->cnt[S_LINK])
        hsr_put(e, en, &o, "%sthe service runs the copied file", sep);
    hsr_put(e, en, &o, "; %u of %d signals in %" PRIu64 " session%s", n, S__N, p->sessions,
            p->sessions == 1 ? "" : "s");
    if (p->user[0])
        hsr_put(e, en, &o, ", SMB user %s", p->user);

    size_t d = 0;
    if (p->svc[0])
        hsr_put(r.detail, sizeof r.detail, &d, "service %s; ", p->svc);
    if (p->exe[0])
        hsr_put(r.detail, sizeof r.detail, &d, "file %s\\%s; ", p->exe_share, p->exe);
    if (p->pipe[0])
        hsr_put(r.detail, sizeof r.detail, &d, "pipe %s; ", p->pipe);
    if (p->user[0])
        hsr_put(r.detail, sizeof r.detail, &d, "user %s; ", p->user);
    if (d >= 2)
        r.detail[d - 2] = '\0';

    /* Narrower techniques: those of the signals seen, each once. */
    for (int i = 0; i < S__N; i++)
        if (bits & 1u << i)
            hsr_words_merge(r.attack, sizeof r.attack, sigs[i].attack);

    for (int i = 0; i < S__N; i++)
        if (p->cnt[i])
            hunt_result_event(&r, p->ev[i]);
    for (unsigned i = 0; i < p->nids; i++)
        hunt_result_event(&r, p->ids[i]);
    r.sessions = p->sessions;
    r.first_ns = p->first_ns;
    r.last_ns = p->last_ns;
    return hunt_emit(pe->ctx, &r);
}

static int psexec_run(struct hunt_ctx *ctx)
{
    struct pe pe = {.ctx = ctx,
                    .exts = hunt_str(ctx, "exts"),
                    .pipes = hunt_str(ctx, "pipes"),
                    .bad_paths = hunt_str(ctx, "bad_paths")};
    hunt_map_init(&pe.pairs, sizeof(struct pe_pair), (size_t)hunt_num(ctx, "max_pairs"));
    int rc = hunt_days(ctx, pe_day, &pe);
    if (!rc)
        rc = hunt_map_each(&pe.pairs, pe_emit, &pe);
    if (!rc && pe.pairs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f client-target pairs with service or executable traces: "
                       "raise max_pairs or narrow --since/--until",
                       hunt_num(ctx, "max_pairs"));
    hunt_map_release(&pe.pairs);
    return rc;
}

const struct hunt_kind hunt_kind_psexec = {"psexec", psexec_run};
