/*
 * gen_world.c — the hosts the generated traffic runs between.
 *
 * An enterprise LAN seen from a SPAN/trunk port next to the core router:
 *
 *   subnet 1  10.1.1.0/24   untagged          office clients
 *   subnet 2  10.1.2.0/24   VLAN 10
 *   subnet 3  10.1.3.0/24   VLAN 20
 *   subnet 4  10.1.4.0/24   VLAN 42
 *   subnet 5  10.20.1.0/24  QinQ 100 / 201    an affiliate behind a provider bridge (802.1ad)
 *   subnet 9  10.0.0.0/24   untagged          internal servers: DNS, intranet web, syslog
 *   remote    public addresses behind the router (external web, NTP)
 *
 * Each local subnet has a /64 in 2001:db8::/32 (RFC 3849 documentation space);
 * clients use SLAAC EUI-64 addresses (RFC 4291 §2.5.1) built from their MACs.
 * Frames to or from a remote host carry the router's MAC on that side.
 */
#include "gen.h"

#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct subnet_def {
    uint8_t id;
    uint8_t a, b, c; /* a.b.c.0/24 */
    uint8_t nvlan;
    uint16_t vlan[2];
    uint16_t clients;
};

static const struct subnet_def subnets[] = {
    {1, 10, 1, 1, 0, {0, 0}, 150}, {2, 10, 1, 2, 1, {10, 0}, 25},    {3, 10, 1, 3, 1, {20, 0}, 20},
    {4, 10, 1, 4, 1, {42, 0}, 15}, {5, 10, 20, 1, 2, {100, 201}, 6},
};

/* Organisationally unique identifiers of common PC / phone / VM vendors (IEEE registry). */
static const uint8_t oui_pc[][3] = {
    {0x00, 0x14, 0x22}, /* Dell */
    {0x18, 0x66, 0xda}, /* Dell */
    {0x3c, 0xd9, 0x2b}, /* Hewlett Packard */
    {0x00, 0x1b, 0x21}, /* Intel */
};
static const uint8_t oui_apple[][3] = {
    {0xf0, 0x18, 0x98},
    {0x3c, 0x22, 0xfb},
};
static const uint8_t oui_vmware[3] = {0x00, 0x50, 0x56};
static const uint8_t oui_cisco[3] = {0x00, 0x1b, 0x54};

/* Well-known HTTPS names, most popular first. */
static const char *const tls_names[] = {
    "www.google.com",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "teams.microsoft.com",
    "www.youtube.com",
    "graph.microsoft.com",
    "api.github.com",
    "slack.com",
    "www.dropbox.com",
    "onedrive.live.com",
    "clients4.google.com",
    "www.bing.com",
    "zoom.us",
    "update.googleapis.com",
    "github.com",
    "www.linkedin.com",
    "s3.amazonaws.com",
    "drive.google.com",
    "www.wikipedia.org",
    "cdn.jsdelivr.net",
};
static const char *const http_names[] = {
    "ocsp.digicert.com",
    "ctldl.windowsupdate.com",
    "deb.debian.org",
    "connectivity-check.ubuntu.com",
    "detectportal.firefox.com",
    "crl.microsoft.com",
    "ocsp.pki.goog",
    "security.debian.org",
};

static const char *const words[] = {
    "alpha",  "amber",  "apex",  "atlas", "beacon", "blue",   "bright", "cedar", "cloud", "cobalt",
    "coral",  "crest",  "data",  "delta", "echo",   "ember",  "field",  "flux",  "forge", "gate",
    "grid",   "harbor", "helix", "iron",  "jade",   "kite",   "lake",   "lumen", "maple", "media",
    "metro",  "nexus",  "north", "nova",  "oak",    "orbit",  "pixel",  "prime", "pulse", "quartz",
    "radar",  "ridge",  "river", "sage",  "signal", "silver", "solar",  "spark", "stack", "stone",
    "summit", "tango",  "terra", "tide",  "union",  "vector", "vertex", "vista", "wave",  "willow",
    "zen",    "zephyr", "byte",  "shop",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const tlds[] = {"com", "net", "io", "org", "de", "co.uk", "cloud", "app"};
static const char *const prefixes[] = {"www", "cdn", "api", "static", "img", "login", "app", "m"};

/* First octets of busy public unicast space (no private, shared, test or multicast ranges). */
static const uint8_t pub_a[] = {13, 20, 23, 31,  34,  35,  40,  51,  52,  54,  64,  66,  69,  72,
                                74, 91, 99, 104, 107, 140, 142, 151, 157, 185, 199, 204, 209, 216};
/* Global unicast /16s seen from large hosting and CDN networks. */
static const uint16_t pub6[][2] = {{0x2606, 0x4700}, {0x2a00, 0x1450}, {0x2620, 0x1ec},
                                   {0x2600, 0x1f18}, {0x2a03, 0x2880}, {0x2001, 0x4860}};

static void mac_make(uint8_t mac[6], const uint8_t oui[3], struct rng *r)
{
    memcpy(mac, oui, 3);
    mac[3] = (uint8_t)gen_rng_below(r, 256);
    mac[4] = (uint8_t)gen_rng_below(r, 256);
    mac[5] = (uint8_t)gen_rng_below(r, 256);
}

/* RFC 4291 §2.5.1 / Appendix A: modified EUI-64 interface id from a MAC. */
static void eui64(uint8_t v6[16], const uint8_t prefix[8], const uint8_t mac[6])
{
    memcpy(v6, prefix, 8);
    v6[8] = mac[0] ^ 0x02;
    v6[9] = mac[1];
    v6[10] = mac[2];
    v6[11] = 0xff;
    v6[12] = 0xfe;
    v6[13] = mac[3];
    v6[14] = mac[4];
    v6[15] = mac[5];
}

static void local_prefix(uint8_t p[8], uint8_t subnet)
{
    /* 2001:db8:1:<subnet>::/64 */
    static const uint8_t base[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
    memcpy(p, base, 6);
    p[6] = 0;
    p[7] = subnet;
}

static uint8_t initial_ttl(uint8_t os)
{
    switch (os) {
    case OS_WINDOWS:
        return 128;
    case OS_NET:
        return 255;
    default:
        return 64;
    }
}

static void server_local(struct host *h, struct rng *r, uint8_t last, const char *name)
{
    memset(h, 0, sizeof(*h));
    h->v4[0] = 10;
    h->v4[1] = 0;
    h->v4[2] = 0;
    h->v4[3] = last;
    uint8_t p[8];
    local_prefix(p, 100);
    memcpy(h->v6, p, 8);
    h->v6[15] = last; /* 2001:db8:1:64::<last> — static server addresses */
    h->has_v6 = 1;
    mac_make(h->mac, oui_vmware, r);
    h->os = OS_LINUX;
    h->ttl = 63; /* one routed hop from the server VLAN */
    h->subnet = 9;
    snprintf(h->name, sizeof(h->name), "%s", name);
}

static void server_remote(struct host *h, struct rng *r, const char *name)
{
    memset(h, 0, sizeof(*h));
    h->v4[0] = pub_a[gen_rng_below(r, sizeof(pub_a))];
    h->v4[1] = (uint8_t)gen_rng_below(r, 256);
    h->v4[2] = (uint8_t)gen_rng_below(r, 256);
    h->v4[3] = (uint8_t)gen_rng_range(r, 1, 254);
    if (gen_rng_chance(r, 450)) {
        const uint16_t *g = pub6[gen_rng_below(r, sizeof(pub6) / sizeof(pub6[0]))];
        h->v6[0] = (uint8_t)(g[0] >> 8);
        h->v6[1] = (uint8_t)g[0];
        h->v6[2] = (uint8_t)(g[1] >> 8);
        h->v6[3] = (uint8_t)g[1];
        gen_rng_fill(r, h->v6 + 4, 4);
        /* Servers usually sit on short, hand-written interface ids (…::1a). */
        h->v6[14] = (uint8_t)gen_rng_below(r, 16);
        h->v6[15] = (uint8_t)gen_rng_range(r, 1, 255);
        h->has_v6 = 1;
    }
    uint32_t p = gen_rng_below(r, 100);
    h->os = p < 80 ? OS_LINUX : p < 90 ? OS_WINDOWS : OS_NET;
    h->ttl = (uint8_t)(initial_ttl(h->os) - gen_rng_range(r, 6, 24));
    h->subnet = 0;
    snprintf(h->name, sizeof(h->name), "%s", name);
}

static void gen_name(char *dst, size_t n, struct rng *r)
{
    snprintf(dst, n, "%s.%s%s.%s", prefixes[gen_rng_below(r, 8)], words[gen_rng_below(r, NWORDS)],
             words[gen_rng_below(r, NWORDS)], tlds[gen_rng_below(r, 8)]);
}

static void make_text(char *t, size_t n, struct rng *r)
{
    size_t i = 0, col = 0;
    while (i < n) {
        const char *wd = words[gen_rng_below(r, NWORDS)];
        size_t l = strlen(wd);
        for (size_t k = 0; k < l && i < n; k++)
            t[i++] = wd[k];
        col += l + 1;
        if (i < n) {
            if (col > 72) {
                t[i++] = '\n';
                col = 0;
            } else {
                t[i++] = ' ';
            }
        }
    }
}

uint16_t gen_world_port(struct host *h, struct rng *r)
{
    uint16_t lo = h->os == OS_LINUX ? 32768 : 49152;
    uint16_t hi = h->os == OS_LINUX ? 60999 : 65535;
    if (h->next_port < lo || h->next_port > hi)
        h->next_port = (uint16_t)gen_rng_range(r, lo, hi);
    uint16_t p = h->next_port;
    uint32_t nx = (uint32_t)p + 1 + gen_rng_below(r, 7);
    h->next_port = (uint16_t)(nx > hi ? lo + (nx - hi - 1) : nx);
    return p;
}

int gen_world_init(struct world *w, uint64_t seed)
{
    struct rng r;
    memset(w, 0, sizeof(*w));
    gen_rng_seed(&r, seed ^ UINT64_C(0x776f726c64)); /* "world": its own stream */

    uint32_t n = 0;
    for (size_t i = 0; i < sizeof(subnets) / sizeof(subnets[0]); i++)
        n += subnets[i].clients;
    w->clients = calloc(n, sizeof(*w->clients));
    w->nweb = 400;
    w->web = calloc(w->nweb, sizeof(*w->web));
    w->nplain = 40;
    w->plain = calloc(w->nplain, sizeof(*w->plain));
    w->pool_len = 1u << 20;
    w->pool = malloc(w->pool_len + GEN_POOL_SLACK);
    w->text_len = 256u << 10;
    w->text = malloc(w->text_len + GEN_POOL_SLACK);
    if (!w->clients || !w->web || !w->plain || !w->pool || !w->text) {
        gen_world_release(w);
        return KS_ENOMEM;
    }

    /* Clients: host numbers .10 upwards, OS mix of a Windows-heavy office. */
    for (size_t i = 0; i < sizeof(subnets) / sizeof(subnets[0]); i++) {
        const struct subnet_def *sd = &subnets[i];
        for (uint16_t k = 0; k < sd->clients; k++) {
            struct host *h = &w->clients[w->nclients++];
            h->v4[0] = sd->a;
            h->v4[1] = sd->b;
            h->v4[2] = sd->c;
            h->v4[3] = (uint8_t)(10 + k);
            uint32_t p = gen_rng_below(&r, 100);
            h->os = p < 55 ? OS_WINDOWS : p < 80 ? OS_LINUX : OS_MAC;
            if (h->os == OS_MAC)
                mac_make(h->mac, oui_apple[gen_rng_below(&r, 2)], &r);
            else
                mac_make(h->mac, oui_pc[gen_rng_below(&r, 4)], &r);
            h->ttl = initial_ttl(h->os); /* captured before the first hop */
            h->subnet = sd->id;
            h->nvlan = sd->nvlan;
            h->vlan[0] = sd->vlan[0];
            h->vlan[1] = sd->vlan[1];
            h->agent = (uint8_t)gen_rng_below(&r, 4);
            if (gen_rng_chance(&r, 700)) {
                uint8_t pre[8];
                local_prefix(pre, sd->id);
                eui64(h->v6, pre, h->mac);
                h->has_v6 = 1;
            }
        }
    }
    /* The scanning host: a Linux box on the untagged office subnet. */
    for (uint32_t i = 0; i < w->nclients; i++) {
        if (w->clients[i].os == OS_LINUX && w->clients[i].subnet == 1) {
            w->scanner = i;
            if (i > 20)
                break;
        }
    }

    server_local(&w->resolver[0], &r, 53, "ns1.corp.example");
    server_local(&w->resolver[1], &r, 54, "ns2.corp.example");
    server_local(&w->intranet, &r, 80, "intranet.corp.example");
    server_local(&w->syslog, &r, 14, "syslog.corp.example");
    for (int i = 0; i < 3; i++) {
        char nm[64];
        snprintf(nm, sizeof(nm), "%d.debian.pool.ntp.org", i);
        server_remote(&w->ntp[i], &r, nm);
    }

    for (uint32_t i = 0; i < w->nweb; i++) {
        char nm[64];
        if (i < sizeof(tls_names) / sizeof(tls_names[0]))
            snprintf(nm, sizeof(nm), "%s", tls_names[i]);
        else
            gen_name(nm, sizeof(nm), &r);
        server_remote(&w->web[i], &r, nm);
    }
    for (uint32_t i = 0; i < w->nplain; i++) {
        char nm[64];
        if (i < sizeof(http_names) / sizeof(http_names[0]))
            snprintf(nm, sizeof(nm), "%s", http_names[i]);
        else
            gen_name(nm, sizeof(nm), &r);
        server_remote(&w->plain[i], &r, nm);
    }

    memset(&w->router, 0, sizeof(w->router));
    w->router.v4[0] = 10;
    w->router.v4[1] = 1;
    w->router.v4[2] = 1;
    w->router.v4[3] = 1;
    mac_make(w->router.mac, oui_cisco, &r);
    w->router.os = OS_NET;
    w->router.ttl = 255;

    gen_rng_fill(&r, w->pool, w->pool_len);
    memcpy(w->pool + w->pool_len, w->pool, GEN_POOL_SLACK);
    make_text(w->text, w->text_len, &r);
    memcpy(w->text + w->text_len, w->text, GEN_POOL_SLACK);
    return 0;
}

void gen_world_release(struct world *w)
{
    gen_script_free_all(w);
    free(w->clients);
    free(w->web);
    free(w->plain);
    free(w->pool);
    free(w->text);
    memset(w, 0, sizeof(*w));
}
