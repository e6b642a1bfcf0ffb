#include "t_pcap.h"
#include "t.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cap_load(struct cap *c, const char *rel)
{
    char path[4096], err[PCAP_ERRBUF_SIZE];
    const char *root = t_corpus();
    memset(c, 0, sizeof(*c));
    if (!root)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    c->lt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (c->n < CAP_MAX && pcap_next_ex(pc, &h, &data) == 1) {
        c->p[c->n] = malloc(h->caplen ? h->caplen : 1);
        if (!c->p[c->n])
            break;
        memcpy(c->p[c->n], data, h->caplen);
        c->len[c->n] = h->caplen;
        c->ts[c->n] = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000;
        c->n++;
    }
    pcap_close(pc);
    return 0;
}

void cap_free(struct cap *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->p[i]);
    c->n = 0;
}
