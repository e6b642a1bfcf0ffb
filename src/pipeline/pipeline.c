#include "pipeline/pipeline.h"

#include "core/err.h"
#include "core/pos.h"

#include <stdio.h>
#include <string.h>

#define TICK_NS 1000000000LL /* expire flows and fragments once per second of packet time */

static void on_session(void *ctx, const struct session_rec *s)
{
    struct pipeline *pl = ctx;
    if (pl->err)
        return;
    struct session_rec r = *s;
    struct proto_out *out = proto_engine_records(pl->pe, s->app, s->last_piece);
    r.app_name = proto_engine_name(*s->app);
    if (out) {
        r.recs = out->recs;
        r.nrecs = out->nrecs;
    }
    if (pl->session_hook)
        pl->session_hook(pl->session_hook_ctx, &r);
    int rc = store_session_add(pl->st, pl->ingest_id, &r);
    if (out)
        out->nrecs = 0; /* the store took the records */
    if (rc) {
        pl->err = rc;
        return;
    }
    pl->records++;
    if (s->piece == 0)
        pl->sessions++;
}

static void on_app_free(void *ctx, void **app)
{
    struct pipeline *pl = ctx;
    proto_engine_forget(pl->pe, app);
}

static void on_frag_drop(void *ctx, const struct pkt_ref *refs, size_t nrefs)
{
    (void)refs;
    struct pipeline *pl = ctx;
    pl->orphan_frames += nrefs;
}

int pipeline_init(struct pipeline *pl, struct store *st, int64_t ingest_id,
                  const struct pipeline_cfg *cfg)
{
    memset(pl, 0, sizeof *pl);
    pl->st = st;
    pl->ingest_id = ingest_id;
    pl->first_ns = INT64_MAX;
    pl->last_ns = INT64_MIN;
    pl->max_ns = INT64_MIN;
    pl->df = defrag_new(cfg ? &cfg->defrag : NULL, on_frag_drop, pl);
    pl->ft = flow_table_new(cfg ? &cfg->flow : NULL, (uint64_t)ingest_id << 32, on_session, pl);
    pl->pe = proto_engine_new(cfg ? &cfg->proto : NULL);
    if (!pl->df || !pl->ft || !pl->pe) {
        pipeline_release(pl);
        return KS_ENOMEM;
    }
    flow_table_set_app_free(pl->ft, on_app_free);
    return 0;
}

void pipeline_release(struct pipeline *pl)
{
    if (pl->ft)
        flow_table_free(pl->ft);
    if (pl->df)
        defrag_free(pl->df);
    proto_engine_free(pl->pe);
    pl->ft = NULL;
    pl->df = NULL;
    pl->pe = NULL;
}

static void tick(struct pipeline *pl, int64_t now)
{
    if (now < pl->next_tick)
        return;
    defrag_expire(pl->df, now);
    flow_table_expire(pl->ft, now);
    pl->next_tick = now + TICK_NS;
}

int pipeline_packet(struct pipeline *pl, const struct packet *pkt)
{
    struct decoded d;
    pl->packets++;
    pl->wire_bytes += pkt->wirelen;
    if (pkt->ts_ns < pl->first_ns)
        pl->first_ns = pkt->ts_ns;
    if (pkt->ts_ns > pl->last_ns)
        pl->last_ns = pkt->ts_ns;
    /* Packet time only moves forward for timeouts; a clock step back is counted. */
    if (pkt->ts_ns < pl->max_ns)
        pl->ts_backwards++;
    else
        pl->max_ns = pkt->ts_ns;

    int v = decode_packet(pkt->linktype, pkt->data, pkt->caplen, &d);
    if (v < 0 || v >= DEC__COUNT)
        v = DEC_NOT_IP;
    pl->verdicts[v]++;
    if (v != DEC_OK && v != DEC_FRAGMENT)
        goto done;
    if (v == DEC_OK && d.payload_len < d.payload_wire) {
        if (pkt->wirelen > pkt->caplen) {
            /* Cut by the capture's snaplen: a good packet whose session lacks bytes. */
            pl->verdicts[DEC_PAYLOAD_TRUNC]++;
        } else {
            /*
             * The whole frame was captured, yet the IP/UDP lengths claim more than it
             * holds: the header lies.  Count it and believe the frame, as tshark does.
             */
            pl->verdicts[DEC_IP_BAD_LEN]++;
            d.payload_wire = d.payload_len;
        }
    }

    struct pkt_ref ref = {pkt->ts_ns, 0, pkt->wirelen};
    int rc;
    if (pl->no_packets) {
        ref.pos = POS_NONE;
        pl->not_stored++;
    } else {
        if ((rc = store_pkt_write(pl->st, pl->ingest_id, pkt, &ref.pos)))
            return rc;
        pl->stored++;
    }
    struct flow_hit hit;
    if (v == DEC_OK) {
        rc = flow_table_packet(pl->ft, &d, &ref, 1, &hit);
        if (!rc)
            proto_engine_packet(pl->pe, hit.app, &d, pkt->data, hit.dir, pkt->ts_ns);
    } else {
        struct defrag_result res;
        int r = defrag_add(pl->df, pkt->data, pkt->caplen, &d, &ref, &res);
        if (r < 0) {
            pl->orphan_frames++;
        } else if (r == 1) {
            struct decoded whole = d; /* keeps the link fields (VLAN tags) */
            int v2 = decode_ip(res.ip, res.ip_len, &whole);
            if (v2 == DEC_OK) {
                rc = flow_table_packet(pl->ft, &whole, res.refs, res.nrefs, &hit);
                if (!rc)
                    proto_engine_packet(pl->pe, hit.app, &whole, res.ip, hit.dir, pkt->ts_ns);
            } else {
                pl->orphan_frames += res.nrefs;
            }
        }
    }
    if (rc)
        return rc;
done:
    tick(pl, pl->max_ns);
    return pl->err;
}

int pipeline_idle(struct pipeline *pl, int64_t now_ns)
{
    if (now_ns > pl->max_ns)
        tick(pl, now_ns);
    return pl->err;
}

int64_t pipeline_oldest_ns(const struct pipeline *pl)
{
    int64_t oldest = flow_table_oldest_ns(pl->ft), frag = defrag_oldest_ns(pl->df);
    return frag < oldest ? frag : oldest;
}

int pipeline_finish(struct pipeline *pl)
{
    defrag_flush(pl->df);
    flow_table_flush(pl->ft);
    return pl->err;
}

static void put(struct pipeline *pl, size_t *n, const char *name, uint64_t v)
{
    if (*n >= PIPELINE_MAX_COUNTERS)
        return;
    snprintf(pl->names[*n], sizeof pl->names[*n], "%s", name);
    pl->counters[*n] = (struct store_counter){pl->names[*n], v};
    (*n)++;
}

struct put_ctx {
    struct pipeline *pl;
    size_t *n;
};

static void put_cb(void *ctx, const char *name, uint64_t v)
{
    struct put_ctx *pc = ctx;
    put(pc->pl, pc->n, name, v);
}

size_t pipeline_counters(struct pipeline *pl, const struct store_counter **out)
{
    size_t n = 0;
    char name[64];
    for (int v = 0; v < DEC__COUNT; v++) {
        if (v == DEC_OK || !pl->verdicts[v])
            continue;
        snprintf(name, sizeof name, "decode.%s", decode_verdict_name(v));
        put(pl, &n, name, pl->verdicts[v]);
    }
    const struct defrag_stats *ds = defrag_stats(pl->df);
    put(pl, &n, "defrag.fragments", ds->fragments);
    put(pl, &n, "defrag.datagrams", ds->datagrams);
    put(pl, &n, "defrag.timeouts", ds->timeouts);
    put(pl, &n, "defrag.evicted_mem", ds->evicted_mem);
    put(pl, &n, "defrag.overlaps", ds->overlaps);
    put(pl, &n, "defrag.overlaps_differ", ds->overlaps_differ);
    put(pl, &n, "defrag.too_many_frags", ds->too_many_frags);
    put(pl, &n, "defrag.too_big", ds->too_big);
    put(pl, &n, "defrag.bad_fragments", ds->bad_fragments);
    const struct flow_stats *fs = flow_table_stats(pl->ft);
    put(pl, &n, "flow.created", fs->created);
    put(pl, &n, "flow.pieces", fs->pieces);
    put(pl, &n, "flow.evicted_early", fs->evicted);
    put(pl, &n, "packets.read", pl->packets);
    put(pl, &n, "packets.stored", pl->stored);
    put(pl, &n, "packets.orphan_fragments", pl->orphan_frames);
    put(pl, &n, "packets.time_backwards", pl->ts_backwards);
    if (pl->not_stored)
        put(pl, &n, "packets.not_stored_disk_full", pl->not_stored);
    struct put_ctx pc = {pl, &n};
    proto_engine_counters(pl->pe, put_cb, &pc);
    *out = pl->counters;
    return n;
}
