/*
 * live.h — packets from network interfaces (libpcap live capture).
 *
 * Yields the same struct packet as the capture-file source, so `konseki
 * capture` feeds the very pipeline and store `ingest` uses.  Each interface is
 * one libpcap handle with a large kernel ring (TPACKET_V3 through libpcap),
 * promiscuous mode, an optional BPF filter and nanosecond timestamps.
 *
 * Several interfaces are served round-robin by the one calling thread, in
 * bursts of at most LIVE_BURST packets per interface: the pipeline is
 * single-threaded and deterministic, and the kernel ring of each interface
 * already is the queue a reader thread would add (a thread per interface
 * would only add a copy and a lock per packet in front of the same consumer).
 * Packets from different interfaces may therefore arrive slightly out of time
 * order; the pipeline counts that (packets.time_backwards) and copes.
 *
 * Packet bytes are NOT stable: they point into the kernel ring and are valid
 * only until the next live_next() (pkt->stable = 0, so the store copies them).
 */
#ifndef KONSEKI_SOURCE_LIVE_H
#define KONSEKI_SOURCE_LIVE_H

#include "source/source.h"

#include <stddef.h>
#include <stdint.h>

#define LIVE_MAX_IFACES 8
#define LIVE_BURST 64
#define LIVE_DEFAULT_BUFFER (UINT64_C(128) << 20)
#define LIVE_DEFAULT_TIMEOUT_MS 50

struct live_cfg {
    const char *ifaces[LIVE_MAX_IFACES];
    size_t nifaces;
    const char *filter;    /* BPF expression, NULL = every packet */
    uint32_t snaplen;      /* 0 = SRC_MAX_CAPLEN; never more */
    uint64_t buffer_bytes; /* kernel ring per interface, 0 = LIVE_DEFAULT_BUFFER */
    int timeout_ms;        /* TPACKET_V3 block timeout, 0 = LIVE_DEFAULT_TIMEOUT_MS */
    int no_promisc;        /* leave the interface's promiscuous mode alone */
};

/* Counters of one interface since live_open (kernel counters are 32-bit: widened here). */
struct live_stats {
    uint64_t captured;    /* packets handed out by live_next */
    uint64_t bytes;       /* their wire length */
    uint64_t received;    /* pcap_stats ps_recv: packets that passed the filter */
    uint64_t kernel_drop; /* ps_drop: no room in the ring (we were too slow) */
    uint64_t if_drop;     /* ps_ifdrop: dropped by the interface / driver */
};

struct live;

/*
 * Open and activate every interface (needs root or CAP_NET_RAW).  On failure
 * returns KS_EINVAL (no such interface, bad filter, bad value: the user's to
 * fix), KS_EIO (permission, activation) or KS_ENOMEM, with one line in msg.
 */
int live_open(struct live **out, const struct live_cfg *cfg, char *msg, size_t msglen);
/*
 * Next packet: 1 = *pkt filled, 0 = none within timeout_ms (or a signal
 * interrupted the wait), <0 = KS_EIO with live_error() saying why.
 */
int live_next(struct live *lv, struct packet *pkt, int timeout_ms);
const char *live_error(const struct live *lv);
size_t live_count(const struct live *lv);
const char *live_name(const struct live *lv, size_t i);
/* Refresh and return the counters of interface i (NULL when i is out of range). */
const struct live_stats *live_stats(struct live *lv, size_t i);
void live_close(struct live *lv);

#endif
