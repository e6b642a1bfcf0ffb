/*
 * live.c — libpcap live capture behind the packet-source seam (see live.h).
 *
 * Each handle is created with pcap_create() so the ring size, snaplen,
 * promiscuous mode, timestamp precision and block timeout are set before
 * pcap_activate().  We do not ask for immediate mode: libpcap then falls back
 * from TPACKET_V3 to TPACKET_V2 (one frame per packet instead of blocks filled
 * back to back), which costs throughput; a short block timeout bounds the
 * latency instead (a quiet link still hands over its packets within
 * timeout_ms).  Handles are non-blocking; when a whole round finds nothing,
 * poll() waits on all of them at once.
 */
#include "source/live.h"

#include "core/err.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct live_if {
    pcap_t *p;
    char name[64];
    uint32_t linktype;
    int nano; /* timestamps are in ns (else µs) */
    int fd;   /* pcap_get_selectable_fd, for poll() */
    unsigned burst;
    /* last raw 32-bit kernel counters, so wrap-arounds widen into the 64-bit ones */
    unsigned int raw_recv, raw_drop, raw_ifdrop;
    struct live_stats st;
};

struct live {
    struct live_if ifs[LIVE_MAX_IFACES];
    size_t n, cur;
    uint64_t number;
    char err[PCAP_ERRBUF_SIZE + 128];
};

/* Linux's DLT_RAW (12) is LINKTYPE_RAW (101) in files; other values we meet are equal. */
static uint32_t linktype_of(int dlt)
{
    return dlt == DLT_RAW ? LT_RAW : (uint32_t)dlt;
}

static int open_one(struct live_if *li, const char *name, const struct live_cfg *cfg, char *msg,
                    size_t msglen)
{
    char eb[PCAP_ERRBUF_SIZE] = "";
    snprintf(li->name, sizeof li->name, "%s", name);
    li->fd = -1;
    li->p = pcap_create(name, eb);
    if (!li->p) {
        snprintf(msg, msglen, "%s: %s", name, eb);
        return KS_EIO;
    }
    uint32_t snap = cfg->snaplen && cfg->snaplen < SRC_MAX_CAPLEN ? cfg->snaplen : SRC_MAX_CAPLEN;
    uint64_t ring = cfg->buffer_bytes ? cfg->buffer_bytes : LIVE_DEFAULT_BUFFER;
    if (ring > (uint64_t)1 << 30)
        ring = (uint64_t)1 << 30; /* libpcap takes an int; the kernel caps far lower anyway */
    int tmo = cfg->timeout_ms > 0 ? cfg->timeout_ms : LIVE_DEFAULT_TIMEOUT_MS;
    pcap_set_snaplen(li->p, (int)snap);
    pcap_set_promisc(li->p, !cfg->no_promisc);
    pcap_set_timeout(li->p, tmo);
    pcap_set_buffer_size(li->p, (int)ring);
    /* Ask for ns stamps; if the platform refuses, µs stamps still work (scaled below). */
    pcap_set_tstamp_precision(li->p, PCAP_TSTAMP_PRECISION_NANO);

    int rc = pcap_activate(li->p);
    if (rc < 0) {
        const char *why = pcap_geterr(li->p);
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
            snprintf(msg, msglen, "%s: no such interface", name);
            return KS_EINVAL;
        }
        if (rc == PCAP_ERROR_IFACE_NOT_UP) {
            snprintf(msg, msglen, "%s: interface is down (ip link set %s up)", name, name);
            return KS_EINVAL;
        }
        if (rc == PCAP_ERROR_PERM_DENIED) {
            snprintf(msg, msglen, "%s: permission denied (run as root or with CAP_NET_RAW)", name);
            return KS_EIO;
        }
        /* pcap_geterr() usually says it best; the status text only when it is empty */
        snprintf(msg, msglen, "%s: %s", name, why && *why ? why : pcap_statustostr(rc));
        return KS_EIO;
    }
    li->nano = pcap_get_tstamp_precision(li->p) == PCAP_TSTAMP_PRECISION_NANO;
    li->linktype = linktype_of(pcap_datalink(li->p));

    if (cfg->filter && *cfg->filter) {
        struct bpf_program prog;
        if (pcap_compile(li->p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(msg, msglen, "filter '%s': %s", cfg->filter, pcap_geterr(li->p));
            return KS_EINVAL;
        }
        rc = pcap_setfilter(li->p, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(msg, msglen, "%s: set filter: %s", name, pcap_geterr(li->p));
            return KS_EIO;
        }
    }
    if (pcap_setnonblock(li->p, 1, eb) != 0) {
        snprintf(msg, msglen, "%s: %s", name, eb);
        return KS_EIO;
    }
    li->fd = pcap_get_selectable_fd(li->p);
    if (li->fd < 0) {
        snprintf(msg, msglen, "%s: no selectable descriptor", name);
        return KS_EIO;
    }
    return 0;
}

int live_open(struct live **out, const struct live_cfg *cfg, char *msg, size_t msglen)
{
    if (!cfg->nifaces || cfg->nifaces > LIVE_MAX_IFACES) {
        snprintf(msg, msglen, "between 1 and %d interfaces, not %zu", LIVE_MAX_IFACES,
                 cfg->nifaces);
        return KS_EINVAL;
    }
    struct live *lv = calloc(1, sizeof *lv);
    if (!lv) {
        snprintf(msg, msglen, "out of memory");
        return KS_ENOMEM;
    }
    for (size_t i = 0; i < cfg->nifaces; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cfg->ifaces[i], cfg->ifaces[j])) {
                snprintf(msg, msglen, "%s: interface given twice", cfg->ifaces[i]);
                live_close(lv);
                return KS_EINVAL;
            }
        }
        lv->n = i + 1; /* so live_close releases a half-opened handle too */
        int rc = open_one(&lv->ifs[i], cfg->ifaces[i], cfg, msg, msglen);
        if (rc) {
            live_close(lv);
            return rc;
        }
    }
    *out = lv;
    return 0;
}

void live_close(struct live *lv)
{
    if (!lv)
        return;
    for (size_t i = 0; i < lv->n; i++)
        if (lv->ifs[i].p)
            pcap_close(lv->ifs[i].p);
    free(lv);
}

const char *live_error(const struct live *lv)
{
    return lv->err;
}

size_t live_count(const struct live *lv)
{
    return lv->n;
}

const char *live_name(const struct live *lv, size_t i)
{
    return i < lv->n ? lv->ifs[i].name : "";
}

/* Wait until some handle has data, or timeout_ms.  1 = maybe data, 0 = nothing. */
static int wait_any(struct live *lv, int timeout_ms)
{
    struct pollfd pf[LIVE_MAX_IFACES];
    for (size_t i = 0; i < lv->n; i++)
        pf[i] = (struct pollfd){.fd = lv->ifs[i].fd, .events = POLLIN};
    int r = poll(pf, (nfds_t)lv->n, timeout_ms);
    return r > 0; /* EINTR (a signal) counts as "nothing": the caller checks its flags */
}

static void fill(struct live *lv, struct live_if *li, size_t idx, const struct pcap_pkthdr *h,
                 const u_char *data, struct packet *pkt)
{
    int64_t frac = (int64_t)h->ts.tv_usec;
    pkt->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (li->nano ? frac : frac * 1000);
    pkt->linktype = li->linktype;
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len;
    pkt->ifindex = (uint32_t)idx;
    pkt->data = data;
    pkt->offset = 0;
    pkt->number = ++lv->number;
    pkt->stable = 0; /* the ring slot goes back to the kernel on the next read */
    li->st.captured++;
    li->st.bytes += h->len;
}

int live_next(struct live *lv, struct packet *pkt, int timeout_ms)
{
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < lv->n; k++) {
            size_t idx = lv->cur;
            struct live_if *li = &lv->ifs[idx];
            if (li->burst < LIVE_BURST) {
                struct pcap_pkthdr *h;
                const u_char *data;
                int r = pcap_next_ex(li->p, &h, &data);
                if (r == 1) {
                    li->burst++;
                    fill(lv, li, idx, h, data, pkt);
                    return 1;
                }
                if (r == PCAP_ERROR) {
                    snprintf(lv->err, sizeof lv->err, "%s: %s", li->name, pcap_geterr(li->p));
                    return KS_EIO;
                }
            }
            /* Empty or had its burst: the next interface's turn. */
            li->burst = 0;
            lv->cur = (lv->cur + 1) % lv->n;
        }
        if (round == 0 && !wait_any(lv, timeout_ms))
            return 0;
    }
    return 0;
}

/* Add the growth of a 32-bit kernel counter to its 64-bit total (wraps once per read at most). */
static void widen(uint64_t *total, unsigned int *last, unsigned int now)
{
    *total += (unsigned int)(now - *last);
    *last = now;
}

const struct live_stats *live_stats(struct live *lv, size_t i)
{
    if (i >= lv->n)
        return NULL;
    struct live_if *li = &lv->ifs[i];
    struct pcap_stat ps;
    if (pcap_stats(li->p, &ps) == 0) {
        widen(&li->st.received, &li->raw_recv, ps.ps_recv);
        widen(&li->st.kernel_drop, &li->raw_drop, ps.ps_drop);
        widen(&li->st.if_drop, &li->raw_ifdrop, ps.ps_ifdrop);
    }
    return &li->st;
}
