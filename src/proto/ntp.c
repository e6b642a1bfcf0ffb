/*
 * ntp.c — NTP over UDP: one record per datagram, at most 100 per session.
 *
 * Modes 1..5 (RFC 5905 §7.3, Figure 8):
 *
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |LI | VN  |Mode |    Stratum    |     Poll      |  Precision    |
 *   |                    Root Delay / Root Dispersion (32 + 32)     |
 *   |                    Reference ID (32)                          |
 *   |                    Reference Timestamp (64)                   |
 *   |                    Origin / Receive / Transmit Timestamp (64) |
 *   |            [extension fields, key identifier, digest]         |
 *   +---------------------------------------------------------------+
 *
 * Timestamps are seconds since 1900 (32) and a binary fraction (32) (§6); a seconds value
 * with its top bit clear is read as era 1 (after 2036-02-07), so 1968..2104 is covered.
 * The reference ID (§7.3) is a 4-character code at stratum 0 (kiss code) and 1 (clock
 * source), an IPv4 address (or the first 4 bytes of an IPv6 address's hash) above.
 *
 * Mode 6, control (RFC 9327 §2): | LI VN Mode | R E M Opcode(5) | Sequence(16) |
 * Status(16) | Association ID(16) | Offset(16) | Count(16) | data.
 * Mode 7, private (ntpd's own; no RFC): | R M VN Mode | A Sequence(7) | Implementation |
 * Request code | Err(4) Nitems(12) | MBZ(4) Size(12) | data.  Request 42 (MON_GETLIST_1)
 * and 20 (MON_GETLIST) are the "monlist" calls used for reflection/amplification
 * (CVE-2013-5211), so modes 6 and 7 are flagged with anomalies.
 */
#include "proto/ntp.h"

#include "core/ktime.h"
#include "core/rdr.h"

#include <stdio.h>
#include <string.h>

#define NTP_MAX_RECORDS 100
#define NTP_UNIX_EPOCH 2208988800LL /* 1970-01-01 in NTP era 0 seconds */

struct ntp_state {
    uint32_t nrec;
    uint64_t skipped;
};

static const char *const kModes[8] = {"reserved", "symmetric_active", "symmetric_passive",
                                      "client",   "server",           "broadcast",
                                      "control",  "private"};

/* An NTP timestamp as RFC 3339 UTC text; 0 (unset) writes nothing. */
static void put_time(struct proto_out *o, const char *path, uint32_t sec, uint32_t frac)
{
    if (sec == 0 && frac == 0)
        return;
    int64_t s = (int64_t)sec + ((sec & 0x80000000u) ? 0 : ((int64_t)1 << 32));
    int64_t ns =
        (s - NTP_UNIX_EPOCH) * KT_NS_PER_SEC + (int64_t)(((uint64_t)frac * 1000000000u) >> 32);
    char t[64];
    ktime_format(ns, t, sizeof t);
    proto_cstr(o, path, t);
}

static void put_refid(struct proto_out *o, uint8_t stratum, const uint8_t *id)
{
    int text = stratum <= 1;
    if (stratum == 16) { /* unsynchronized: ntpd sends "INIT" and the like */
        text = 1;
        for (int i = 0; i < 4 && id[i]; i++)
            text &= id[i] >= 0x20 && id[i] < 0x7f;
    }
    if (text) {
        size_t n = 0;
        while (n < 4 && id[n])
            n++;
        proto_str(o, "ntp.reference_id", (const char *)id, n);
        return;
    }
    char t[16];
    snprintf(t, sizeof t, "%u.%u.%u.%u", id[0], id[1], id[2], id[3]);
    proto_cstr(o, "ntp.reference_id", t);
}

static void ntp_control(struct proto_out *o, const uint8_t *d, size_t n)
{
    proto_anomaly(o, "ntp.mode_control");
    if (n < 12) {
        proto_anomaly(o, "ntp.truncated");
        return;
    }
    proto_bool(o, "ntp.control.response", (d[1] & 0x80) != 0);
    proto_int(o, "ntp.control.opcode", d[1] & 0x1f);
    proto_int(o, "ntp.control.sequence", ld_u16be(d + 2));
}

static void ntp_private(struct proto_out *o, const uint8_t *d, size_t n)
{
    proto_anomaly(o, "ntp.mode_private");
    if (n < 8) {
        proto_anomaly(o, "ntp.truncated");
        return;
    }
    proto_bool(o, "ntp.private.response", (d[0] & 0x80) != 0);
    proto_int(o, "ntp.private.implementation", d[2]);
    proto_int(o, "ntp.private.request_code", d[3]);
    if (d[3] == 42 || d[3] == 20) {
        proto_cstr(o, "ntp.private.request_name", d[3] == 42 ? "MON_GETLIST_1" : "MON_GETLIST");
        proto_anomaly(o, "ntp.monlist");
    }
    proto_int(o, "ntp.private.items", ld_u16be(d + 4) & 0x0fff);
}

static void ntp_message(struct proto_out *o, const uint8_t *d, size_t n)
{
    unsigned li = d[0] >> 6, vn = (d[0] >> 3) & 7, mode = d[0] & 7;
    if (vn == 0 || vn > 4)
        proto_anomaly(o, "ntp.bad_version");
    proto_int(o, "ntp.version", vn);
    proto_int(o, "ntp.mode", mode);
    proto_cstr(o, "ntp.mode_name", kModes[mode]);
    if (mode == 6) {
        ntp_control(o, d, n);
        return;
    }
    if (mode == 7) {
        ntp_private(o, d, n);
        return;
    }
    struct rdr r;
    rdr_init(&r, d, n);
    rdr_skip(&r, 1);
    uint8_t stratum = rdr_u8(&r), poll = rdr_u8(&r), prec = rdr_u8(&r);
    rdr_skip(&r, 8); /* root delay, root dispersion */
    uint8_t refid[4];
    rdr_copy(&r, refid, 4);
    uint32_t ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = rdr_u32be(&r);
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "ntp.truncated");
        return;
    }
    proto_int(o, "ntp.leap_indicator", li);
    proto_int(o, "ntp.stratum", stratum);
    proto_int(o, "ntp.poll", (int8_t)poll);
    proto_int(o, "ntp.precision", (int8_t)prec);
    put_refid(o, stratum, refid);
    put_time(o, "ntp.reference_time", ts[0], ts[1]);
    put_time(o, "ntp.transmit_time", ts[6], ts[7]);
}

static int ntp_data(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct ntp_state *s = st;
    (void)c;
    (void)dir;
    if (n == 0) {
        proto_anomaly(o, "ntp.truncated");
        return 0;
    }
    unsigned mode = d[0] & 7;
    if (s->nrec >= NTP_MAX_RECORDS) { /* still count what amplification looks like */
        s->skipped++;
        if (mode == 6)
            proto_anomaly(o, "ntp.mode_control");
        if (mode == 7) {
            proto_anomaly(o, "ntp.mode_private");
            if (n >= 4 && (d[3] == 42 || d[3] == 20))
                proto_anomaly(o, "ntp.monlist");
        }
        return 0;
    }
    s->nrec++;
    proto_begin(o, "ntp");
    ntp_message(o, d, n);
    proto_end(o);
    return 0;
}

static void ntp_end(void *st, struct proto_out *o, const struct proto_ctx *c)
{
    struct ntp_state *s = st;
    (void)c;
    if (!s->skipped)
        return;
    proto_begin(o, "ntp");
    proto_int(o, "ntp.records_skipped", (int64_t)s->skipped);
    proto_end(o);
}

static int ntp_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (c->srv_port != 123 && c->cli_port != 123)
        return PROTO_NO;
    if (n < 1)
        return PROTO_PORT;
    unsigned vn = (d[0] >> 3) & 7, mode = d[0] & 7;
    if (vn >= 1 && vn <= 4 && ((mode >= 1 && mode <= 5 && n >= 48) || (mode >= 6 && n >= 8)))
        return PROTO_CONTENT;
    return PROTO_PORT;
}

const struct proto_parser proto_ntp = {
    .name = "ntp",
    .l4 = 17,
    .probe = ntp_probe,
    .state_size = sizeof(struct ntp_state),
    .data = ntp_data,
    .end = ntp_end,
};
