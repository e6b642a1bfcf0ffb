/* util.c — zones and the small statistics and text helpers analyses share (hunt.h). */
#include "hunt/hunt.h"

#include "core/addr.h"
#include "core/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libpsl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- zones */

static int net_parse(const char *s, struct hunt_net *out)
{
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return KS_EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(out, 0, sizeof *out);
    int max;
    if (inet_pton(AF_INET, host, out->addr + 12) == 1) {
        out->addr[10] = out->addr[11] = 0xff;
        max = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        max = 128;
    } else {
        return KS_EINVAL;
    }
    int bits = max;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || b < 0 || b > max)
            return KS_EINVAL;
        bits = (int)b;
    }
    out->bits = bits + (max == 32 ? 96 : 0);
    /* Clear the host bits so that 10.1.2.3/16 means 10.1.0.0/16. */
    for (int i = out->bits; i < 128; i++)
        out->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return 0;
}

static int net_has(const struct hunt_net *n, const uint8_t ip[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, ip, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (ip[full] & mask) == n->addr[full];
}

int hunt_zone_add(struct hunt_zones *zs, const char *spec, char *msg, size_t msglen)
{
    const char *eq = strchr(spec, '=');
    size_t nl = eq ? (size_t)(eq - spec) : 0;
    while (nl && isspace((unsigned char)spec[nl - 1]))
        nl--;
    while (nl && isspace((unsigned char)*spec)) {
        spec++;
        nl--;
    }
    if (!eq || nl == 0 || nl >= sizeof zs->z[0].name) {
        snprintf(msg, msglen, "zone '%s': expected NAME=CIDR[,CIDR…]", spec);
        return KS_EINVAL;
    }
    struct hunt_zone *z = NULL;
    for (unsigned i = 0; i < zs->n; i++)
        if (strlen(zs->z[i].name) == nl && memcmp(zs->z[i].name, spec, nl) == 0)
            z = &zs->z[i];
    if (!z) {
        if (zs->n >= HUNT_MAX_ZONES) {
            snprintf(msg, msglen, "more than %d zones", HUNT_MAX_ZONES);
            return KS_ELIMIT;
        }
        z = &zs->z[zs->n++];
        memset(z, 0, sizeof *z);
        memcpy(z->name, spec, nl);
    }
    const char *p = eq + 1;
    while (*p) {
        char one[96];
        size_t l = strcspn(p, ",");
        const char *s = p, *e = p + l;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        p += l + (p[l] == ',');
        if (s == e)
            continue;
        if ((size_t)(e - s) >= sizeof one || z->nnets >= HUNT_MAX_ZONE_NETS) {
            snprintf(msg, msglen, "zone %s: too many or too long networks", z->name);
            return KS_ELIMIT;
        }
        memcpy(one, s, (size_t)(e - s));
        one[e - s] = '\0';
        if (net_parse(one, &z->nets[z->nnets])) {
            snprintf(msg, msglen, "zone %s: '%s' is not an address or CIDR", z->name, one);
            return KS_EINVAL;
        }
        z->nnets++;
    }
    if (!z->nnets) {
        snprintf(msg, msglen, "zone %s: no networks", z->name);
        return KS_EINVAL;
    }
    return 0;
}

int hunt_zones_load(struct hunt_zones *zs, const char *store_dir, char *msg, size_t msglen)
{
    char path[PATH_MAX], line[4096];
    if (snprintf(path, sizeof path, "%s/zones.conf", store_dir) >= (int)sizeof path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned no = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        no++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        s[strcspn(s, "\r\n")] = '\0';
        if (!*s || *s == '#')
            continue;
        char m[256];
        rc = hunt_zone_add(zs, s, m, sizeof m);
        if (rc)
            snprintf(msg, msglen, "%s:%u: %s", path, no, m);
    }
    fclose(f);
    return rc;
}

static const char *const private_nets[] = {
    "10.0.0.0/8",  "172.16.0.0/12",  "192.168.0.0/16", "100.64.0.0/10",
    "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",    "255.255.255.255/32",
    "fc00::/7",    "fe80::/10",      "::1/128",        "ff00::/8"};
#define NPRIVATE (sizeof private_nets / sizeof private_nets[0])
static struct hunt_net private_parsed[NPRIVATE];
static pthread_once_t private_once = PTHREAD_ONCE_INIT;

static void private_init(void)
{
    for (size_t i = 0; i < NPRIVATE; i++)
        net_parse(private_nets[i], &private_parsed[i]);
}

/* Private, shared, loopback, link-local and multicast space: never "the internet". */
static int is_private(const uint8_t ip[16])
{
    pthread_once(&private_once, private_init);
    for (size_t i = 0; i < NPRIVATE; i++)
        if (net_has(&private_parsed[i], ip))
            return 1;
    return 0;
}

const char *hunt_zone_of(const struct hunt_zones *zs, const uint8_t ip[16])
{
    const char *best = NULL;
    int bestbits = -1;
    for (unsigned i = 0; zs && i < zs->n; i++)
        for (unsigned j = 0; j < zs->z[i].nnets; j++)
            if (zs->z[i].nets[j].bits > bestbits && net_has(&zs->z[i].nets[j], ip)) {
                best = zs->z[i].name;
                bestbits = zs->z[i].nets[j].bits;
            }
    if (best)
        return best;
    return is_private(ip) ? "internal" : "external";
}

int hunt_zone_internal(const struct hunt_zones *zs, const uint8_t ip[16])
{
    return strcmp(hunt_zone_of(zs, ip), "external") != 0;
}

/* ---------------------------------------------------------------- text */

void hunt_addr(const void *blob, int len, char *dst, size_t n)
{
    if (!blob || len != 16) {
        snprintf(dst, n, "?");
        return;
    }
    addr_format16(blob, dst, n);
}

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl;

static void psl_init(void)
{
    psl = psl_latest(NULL);
    if (!psl)
        psl = psl_builtin();
}

void hunt_regdomain(const char *name, char *dst, size_t n)
{
    char low[256];
    size_t l = strlen(name);
    dst[0] = '\0';
    if (l == 0 || l >= sizeof low)
        return;
    for (size_t i = 0; i <= l; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    if (l && low[l - 1] == '.')
        low[--l] = '\0';
    pthread_once(&psl_once, psl_init);
    const char *r = psl ? psl_registrable_domain(psl, low) : NULL;
    if (!r) {
        /* No list, or a name under no known suffix (corp.example, .local): the last two labels. */
        const char *dot = strrchr(low, '.');
        if (!dot)
            return;
        const char *p = dot;
        while (p > low && p[-1] != '.')
            p--;
        r = p == low && !strchr(low, '.') ? NULL : p;
        if (!r || r == dot)
            return;
    }
    snprintf(dst, n, "%s", r);
}

/* Length of s without one trailing dot. */
static size_t name_len(const char *s)
{
    size_t n = strlen(s);
    return n && s[n - 1] == '.' ? n - 1 : n;
}

int hunt_name_under(const char *name, const char *dom)
{
    if (dom[0] == '*' && dom[1] == '.')
        dom += 2;
    size_t nl = name_len(name), dl = name_len(dom);
    if (!dl || nl < dl)
        return 0;
    if (strncasecmp(name + nl - dl, dom, dl) != 0)
        return 0;
    return nl == dl || name[nl - dl - 1] == '.';
}

double hunt_entropy(const char *s, size_t n)
{
    unsigned cnt[256] = {0};
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        cnt[(unsigned char)s[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++) {
        if (!cnt[c])
            continue;
        double p = (double)cnt[c] / (double)n;
        h -= p * log2(p);
    }
    return h;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hunt_quantile(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, dcmp);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double frac = pos - (double)i;
    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * frac : v[i];
}

double hunt_mad(double *v, size_t n)
{
    if (!n)
        return 0;
    double med = hunt_quantile(v, n, 0.5);
    double *d = malloc(n * sizeof *d);
    if (!d)
        return 0;
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(v[i] - med);
    double m = hunt_quantile(d, n, 0.5);
    free(d);
    return m;
}

double hunt_bowley(double *v, size_t n)
{
    if (n < 3)
        return 0;
    double q1 = hunt_quantile(v, n, 0.25), q2 = hunt_quantile(v, n, 0.5),
           q3 = hunt_quantile(v, n, 0.75);
    if (q3 - q1 <= 0 || q2 == q1 || q2 == q3)
        return 0;
    return (q3 + q1 - 2 * q2) / (q3 - q1);
}

double hunt_squash(double x, double half)
{
    if (x <= 0 || half <= 0)
        return 0;
    return x / (x + half);
}

void hunt_fmt_dur(double s, char *dst, size_t n)
{
    if (s < 1)
        snprintf(dst, n, "%.0f ms", s * 1e3);
    else if (s < 120)
        snprintf(dst, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(dst, n, "%.0f min", s / 60);
    else if (s < 172800)
        snprintf(dst, n, "%.1f h", s / 3600);
    else
        snprintf(dst, n, "%.1f days", s / 86400);
}

void hunt_fmt_bytes(double b, char *dst, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) {
        b /= 1024;
        i++;
    }
    snprintf(dst, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* ---------------------------------------------------------------- map */

/* Each entry: hash (8) | klen (4) | pad | value (vsize, 16-aligned) | key. */
struct map_ent {
    uint64_t hash;
    uint32_t klen;
    uint32_t pad; /* the value starts at MAP_VOFF */
};
#define MAP_VOFF 16

static uint64_t map_hash(const void *key, size_t n)
{
    /* FNV-1a 64 then a final mix: keys are short, this is not an attack surface for
       collisions beyond what the cap bounds. */
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

void hunt_map_init(struct hunt_map *m, size_t value_size, size_t max_entries)
{
    memset(m, 0, sizeof *m);
    m->vsize = (value_size + 15) & ~(size_t)15;
    m->max = max_entries;
}

static int map_grow(struct hunt_map *m)
{
    size_t ns = m->nslots ? m->nslots * 2 : 1024;
    void **nv = calloc(ns, sizeof *nv);
    if (!nv)
        return KS_ENOMEM;
    for (size_t i = 0; i < m->nslots; i++) {
        struct map_ent *e = m->slots[i];
        if (!e)
            continue;
        size_t j = e->hash & (ns - 1);
        while (nv[j])
            j = (j + 1) & (ns - 1);
        nv[j] = e;
    }
    free(m->slots);
    m->slots = nv;
    m->nslots = ns;
    return 0;
}

void *hunt_map_get(struct hunt_map *m, const void *key, size_t klen, int create)
{
    uint64_t h = map_hash(key, klen);
    if (m->nslots) {
        size_t j = h & (m->nslots - 1);
        for (struct map_ent *e; (e = m->slots[j]); j = (j + 1) & (m->nslots - 1))
            if (e->hash == h && e->klen == klen &&
                memcmp((char *)e + MAP_VOFF + m->vsize, key, klen) == 0)
                return (char *)e + MAP_VOFF;
    }
    if (!create)
        return NULL;
    if (m->n >= m->max || klen > UINT32_MAX) {
        m->refused++;
        return NULL;
    }
    if ((m->n + 1) * 2 > m->nslots && map_grow(m)) {
        m->refused++;
        return NULL;
    }
    struct map_ent *e = calloc(1, MAP_VOFF + m->vsize + klen + 1);
    if (!e) {
        m->refused++;
        return NULL;
    }
    e->hash = h;
    e->klen = (uint32_t)klen;
    memcpy((char *)e + MAP_VOFF + m->vsize, key, klen);
    size_t j = h & (m->nslots - 1);
    while (m->slots[j])
        j = (j + 1) & (m->nslots - 1);
    m->slots[j] = e;
    m->n++;
    return (char *)e + MAP_VOFF;
}

int hunt_map_each(struct hunt_map *m,
                  int (*cb)(void *arg, const void *key, size_t klen, void *value), void *arg)
{
    for (size_t i = 0; i < m->nslots; i++) {
        struct map_ent *e = m->slots[i];
        if (!e)
            continue;
        int rc = cb(arg, (char *)e + MAP_VOFF + m->vsize, e->klen, (char *)e + MAP_VOFF);
        if (rc)
            return rc;
    }
    return 0;
}

void hunt_map_release(struct hunt_map *m)
{
    for (size_t i = 0; i < m->nslots; i++)
        free(m->slots[i]);
    free(m->slots);
    m->slots = NULL;
    m->nslots = m->n = 0;
}

int hunt_vec_push(struct hunt_vec *v, double x)
{
    if (v->n == v->cap) {
        size_t max = v->max ? v->max : 1000000;
        if (v->cap >= max) {
            v->refused++;
            return 0;
        }
        size_t nc = v->cap ? v->cap * 2 : 16;
        if (nc > max)
            nc = max;
        double *nv = realloc(v->v, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->n++] = x;
    return 0;
}

void hunt_vec_release(struct hunt_vec *v)
{
    free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}
