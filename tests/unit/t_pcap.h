/*
 * t_pcap.h — tests read corpus captures through libpcap (an independent reader,
 * not konseki's own source module) into memory.
 */
#ifndef KONSEKI_T_PCAP_H
#define KONSEKI_T_PCAP_H

#include <stdint.h>

#define CAP_MAX 64

struct cap {
    int lt;              /* link type */
    int n;               /* frames loaded (at most CAP_MAX) */
    uint8_t *p[CAP_MAX]; /* malloc'ed copies */
    uint32_t len[CAP_MAX];
    int64_t ts[CAP_MAX]; /* ns */
};

/* Load the first CAP_MAX frames of corpus file rel; 0, or -1 when the corpus is absent. */
int cap_load(struct cap *c, const char *rel);
void cap_free(struct cap *c);

#endif
