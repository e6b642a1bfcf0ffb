/* netlib.c — helpers of the network hunts (netlib.h). */
#include "hunt/netlib.h"

#include "hunt/h_smbrpc.h"

#include "core/err.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int hnet_ports_parse(struct hunt_ctx *ctx, const char *param, struct hnet_ports *out)
{
    const char *s = hunt_str(ctx, param);
    out->n = 0;
    while (*s) {
        if (*s == ' ' || *s == ',' || *s == '\t') {
            s++;
            continue;
        }
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 65535 || (*end && *end != ' ' && *end != ',' && *end != '\t'))
            return hunt_fail(ctx, KS_EINVAL, "parameter %s: '%s' is not a list of ports", param,
                             hunt_str(ctx, param));
        if (out->n == HNET_MAX_PORTS)
            return hunt_fail(ctx, KS_EINVAL, "parameter %s: more than %d ports", param,
                             HNET_MAX_PORTS);
        out->v[out->n++] = (int)v;
        s = end;
    }
    return 0;
}

int hnet_ports_has(const struct hnet_ports *p, int port)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->v[i] == port)
            return 1;
    return 0;
}

void hnet_ports_json(const struct hnet_ports *p, char *dst, size_t n)
{
    size_t o = (size_t)snprintf(dst, n, "[");
    for (unsigned i = 0; i < p->n && o < n; i++)
        o += (size_t)snprintf(dst + o, n - o, "%s%d", i ? "," : "", p->v[i]);
    if (o < n)
        snprintf(dst + o, n - o, "]");
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int hnet_zone_private(const uint8_t ip[16], char *dst, size_t n)
{
    if (memcmp(ip, v4mapped, 12) == 0) {
        const uint8_t *a = ip + 12;
        if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
            (a[0] == 100 && (a[1] & 0xc0) == 64)) {
            snprintf(dst, n, "%u.%u/16", a[0], a[1]);
            return 1;
        }
    } else if ((ip[0] & 0xfe) == 0xfc) {
        snprintf(dst, n, "%02x%02x:%02x%02x:%02x%02x::/48", ip[0], ip[1], ip[2], ip[3], ip[4],
                 ip[5]);
        return 1;
    }
    return 0;
}

void hnet_zone(struct hunt_ctx *ctx, const uint8_t ip[16], char *dst, size_t n)
{
    const struct hunt_zones *zs = hunt_zones(ctx);
    if ((zs && zs->n) || !hnet_zone_private(ip, dst, n))
        snprintf(dst, n, "%s", hunt_zone(ctx, ip));
}

static void sql_internal(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct hunt_ctx *ctx = sqlite3_user_data(c);
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != 16) {
        sqlite3_result_int(c, 0);
        return;
    }
    sqlite3_result_int(c, hunt_internal(ctx, sqlite3_value_blob(argv[0])) ? 1 : 0);
}

int hnet_sql_internal(struct hunt_ctx *ctx, void *db)
{
    /* The day file's connection is opened for this callback and closed after it, so the
       function never outlives ctx. */
    if (sqlite3_create_function(db, "ks_internal", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, ctx,
                                sql_internal, NULL, NULL) != SQLITE_OK)
        return hunt_fail(ctx, KS_ESQL, "ks_internal: %s", sqlite3_errmsg(db));
    return 0;
}

int64_t hnet_cut(struct hunt_ctx *ctx, double recent_s)
{
    const struct hunt_coverage *cov = hunt_cov(ctx);
    int64_t cut = cov->last_ns - (int64_t)(recent_s * 1e9);
    return cut < cov->first_ns ? cov->first_ns : cut;
}

void hnet_list_add(char *dst, size_t n, const char *item)
{
    size_t o = strlen(dst);
    const char *more = ", \xe2\x80\xa6"; /* ", …" */
    if (o >= strlen(more) && strcmp(dst + o - strlen(more), more) == 0)
        return; /* already cut */
    size_t need = (o ? 2 : 0) + strlen(item);
    if (o + need + strlen(more) < n) {
        snprintf(dst + o, n - o, "%s%s", o ? ", " : "", item);
        return;
    }
    if (o + strlen(more) < n)
        snprintf(dst + o, n - o, "%s", o ? more : more + 2);
}

void hnet_items_add(struct hnet_items *it, int64_t t, uint64_t id, const char *text)
{
    if (it->n == HNET_ITEMS) {
        it->more++;
        return;
    }
    it->v[it->n].t = t;
    it->v[it->n].id = id;
    snprintf(it->v[it->n++].text, sizeof it->v[0].text, "%s", text);
}

static int items_cmp(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b; /* t is the first member */
    return x < y ? -1 : x > y;
}

void hnet_items_finish(struct hnet_items *it, char *list, size_t n, struct hunt_result *r)
{
    qsort(it->v, it->n, sizeof it->v[0], items_cmp);
    for (unsigned i = 0; i < it->n; i++) {
        hnet_list_add(list, n, it->v[i].text);
        hunt_result_event(r, it->v[i].id);
    }
    if (it->more)
        hnet_list_add(list, n, "\xe2\x80\xa6");
}

void hnet_text(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

void hnet_fmt_time(int64_t ns, char *dst, size_t n)
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(dst, n, "?");
        return;
    }
    strftime(dst, n, "%Y-%m-%d %H:%MZ", &tm);
}

static const struct {
    int port;
    const char *name, *attack;
} admin_ports[] = {
    {22, "SSH", "T1021.004"},      {23, "Telnet", "T1021"},       {135, "RPC", "T1021.003"},
    {139, "NetBIOS", "T1021.002"}, {445, "SMB", "T1021.002"},     {389, "LDAP", "T1087"},
    {636, "LDAPS", "T1087"},       {3268, "GC", "T1087"},         {1433, "MSSQL", "T1021"},
    {3306, "MySQL", "T1021"},      {5432, "PostgreSQL", "T1021"}, {3389, "RDP", "T1021.001"},
    {5900, "VNC", "T1021.005"},    {5985, "WinRM", "T1021.006"},  {5986, "WinRM", "T1021.006"},
    {2049, "NFS", "T1021"},        {88, "Kerberos", "T1558"},
};

const char *hnet_port_attack(int port)
{
    for (size_t i = 0; i < sizeof admin_ports / sizeof admin_ports[0]; i++)
        if (admin_ports[i].port == port)
            return admin_ports[i].attack;
    return "";
}

const char *hnet_port_name(int port)
{
    for (size_t i = 0; i < sizeof admin_ports / sizeof admin_ports[0]; i++)
        if (admin_ports[i].port == port)
            return admin_ports[i].name;
    return "";
}
