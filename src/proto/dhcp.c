/*
 * dhcp.c — DHCPv4 / BOOTP messages: one record per message.
 *
 * Message (RFC 2131 §2, Figure 1; BOOTP RFC 951):
 *
 *    0               1               2               3
 *   +---------------+---------------+---------------+---------------+
 *   |   op (1)      |  htype (1)    |   hlen (1)    |   hops (1)    |
 *   |                            xid (4)                            |
 *   |           secs (2)            |           flags (2)           |
 *   |   ciaddr (4)  |   yiaddr (4)  |   siaddr (4)  |   giaddr (4)  |
 *   |                          chaddr (16)                          |
 *   |                          sname (64)                           |
 *   |                          file (128)                           |
 *   |  magic cookie 99.130.83.99 (4) | options (variable)           |
 *   +---------------------------------------------------------------+
 *
 * Options (RFC 2132 §2): code 0 is one pad byte, code 255 ends the field, every other code
 * is | code | len | len bytes |.  Option 52 "overload" (RFC 2132 §9.3) says the file (1),
 * sname (2) or both (3) fields hold more options, read after the options field in the
 * order options, file, sname (RFC 2131 §4.1).  An option that appears more than once is
 * one value, the pieces concatenated in that order (RFC 3396 §7).
 *
 * Read here: 53 message type, 61 client identifier, 12 host name, 50 requested address,
 * 51 lease time, 54 server identifier, 60 vendor class, 81 client FQDN (RFC 4702 §2: flags,
 * two obsolete RCODE bytes, then the name, in DNS wire form when flag E is set), 55
 * parameter request list; yiaddr is the assigned address of an OFFER or ACK.
 */
#include "proto/dhcp.h"

#include "core/rdr.h"
#include "proto/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DHCP_FIXED 236 /* op .. file */
#define DHCP_MAX_MSGS 1000
#define DHCP_OPT_CAP 8192 /* bytes of gathered option values per message */

static const uint8_t kMagic[4] = {99, 130, 83, 99};

struct dhcp_state {
    uint32_t nmsg;
};

/* Option values of one message, each code's pieces concatenated (RFC 3396). */
struct dhcp_opts {
    uint16_t off[256], len[256];
    uint8_t seen[256];
    uint8_t buf[DHCP_OPT_CAP];
    size_t used;
};

static void opts_add(struct dhcp_opts *x, uint8_t code, const uint8_t *v, size_t n,
                     struct proto_out *o)
{
    size_t have = x->seen[code] ? x->len[code] : 0;
    int at_end = x->seen[code] && x->off[code] + have == x->used;
    size_t need = (at_end ? 0 : have) + n;
    if (need > DHCP_OPT_CAP - x->used) {
        proto_anomaly(o, "dhcp.options_too_long");
        return;
    }
    if (x->seen[code] && !at_end) { /* move the earlier pieces to the end, then append */
        memmove(x->buf + x->used, x->buf + x->off[code], have);
        x->off[code] = (uint16_t)x->used;
        x->used += have;
    } else if (!x->seen[code]) {
        x->off[code] = (uint16_t)x->used;
    }
    memcpy(x->buf + x->used, v, n);
    x->used += n;
    x->len[code] = (uint16_t)(have + n);
    x->seen[code] = 1;
}

/* One options area: 0 when it ended with the end option. */
static int opts_scan(struct dhcp_opts *x, const uint8_t *p, size_t n, struct proto_out *o)
{
    struct rdr r;
    rdr_init(&r, p, n);
    while (rdr_left(&r) > 0) {
        uint8_t code = rdr_u8(&r);
        if (code == 0)
            continue;
        if (code == 255)
            return 0;
        size_t l = rdr_u8(&r);
        const uint8_t *v = rdr_bytes(&r, l);
        if (!v) {
            proto_anomaly(o, "dhcp.option_truncated");
            return -1;
        }
        opts_add(x, code, v, l, o);
    }
    return -1;
}

static const uint8_t *opt(const struct dhcp_opts *x, uint8_t code, size_t *n)
{
    if (!x->seen[code])
        return NULL;
    *n = x->len[code];
    return x->buf + x->off[code];
}

static void put_ipv4(struct proto_out *o, const char *path, const uint8_t *a)
{
    char t[16];
    snprintf(t, sizeof t, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    proto_cstr(o, path, t);
}

/* Bytes as "aa:bb:cc" (MAC addresses and client identifiers). */
static void put_colon_hex(struct proto_out *o, const char *path, const uint8_t *b, size_t n)
{
    char t[3 * 255 + 1];
    size_t k = 0;
    for (size_t i = 0; i < n && i < 255; i++)
        k += (size_t)snprintf(t + k, sizeof t - k, i ? ":%02x" : "%02x", b[i]);
    t[k] = 0;
    proto_cstr(o, path, t);
}

/* A 4-byte address option; other lengths are counted, not shown. */
static void opt_ipv4(struct proto_out *o, const struct dhcp_opts *x, uint8_t code, const char *path)
{
    size_t n;
    const uint8_t *v = opt(x, code, &n);
    if (!v)
        return;
    if (n != 4) {
        proto_anomaly(o, "dhcp.bad_option_length");
        return;
    }
    put_ipv4(o, path, v);
}

static void opt_text(struct proto_out *o, const struct dhcp_opts *x, uint8_t code, const char *path)
{
    size_t n;
    const uint8_t *v = opt(x, code, &n);
    if (v && n)
        proto_str(o, path, (const char *)v, n);
}

/* Client FQDN (RFC 4702 §2.3): wire form when E (0x04) is set, else ASCII (deprecated). */
static void opt_fqdn(struct proto_out *o, const struct dhcp_opts *x)
{
    size_t n;
    const uint8_t *v = opt(x, 81, &n);
    if (!v)
        return;
    if (n < 3) {
        proto_anomaly(o, "dhcp.bad_option_length");
        return;
    }
    if (n == 3)
        return; /* flags only: the client asks the server to pick the name */
    if (!(v[0] & 0x04)) {
        proto_str(o, "dhcp.fqdn", (const char *)v + 3, n - 3);
        return;
    }
    /* a partial name lacks the root label (§2.3.1): add it */
    uint8_t w[256];
    size_t wl = n - 3 < 255 ? n - 3 : 255;
    memcpy(w, v + 3, wl);
    char name[DNS_NAME_MAX];
    const char *why;
    size_t off = 0;
    if (dns_name_read(w, wl, &off, wl, name, &why) < 0) {
        w[wl] = 0;
        off = 0;
        if (dns_name_read(w, wl + 1, &off, wl + 1, name, &why) < 0) {
            proto_anomaly(o, "dhcp.bad_fqdn");
            return;
        }
    }
    proto_cstr(o, "dhcp.fqdn", name);
}

static const char *msg_type_name(unsigned t, char buf[8])
{
    static const char *const k[] = {NULL,
                                    "DISCOVER",
                                    "OFFER",
                                    "REQUEST",
                                    "DECLINE",
                                    "ACK",
                                    "NAK",
                                    "RELEASE",
                                    "INFORM",
                                    "FORCERENEW",
                                    "LEASEQUERY",
                                    "LEASEUNASSIGNED",
                                    "LEASEUNKNOWN",
                                    "LEASEACTIVE",
                                    "BULKLEASEQUERY",
                                    "LEASEQUERYDONE",
                                    "ACTIVELEASEQUERY",
                                    "LEASEQUERYSTATUS",
                                    "TLS"};
    if (t < sizeof k / sizeof k[0] && k[t])
        return k[t];
    snprintf(buf, 8, "%u", t);
    return buf;
}

static void dhcp_message(struct proto_out *o, const uint8_t *p, size_t n)
{
    if (n < DHCP_FIXED) {
        proto_anomaly(o, "dhcp.truncated");
        return;
    }
    uint8_t op = p[0], hlen = p[2];
    if (op != 1 && op != 2)
        proto_anomaly(o, "dhcp.bad_op");
    struct dhcp_opts *x = calloc(1, sizeof *x); /* 9 KiB: off the stack */
    if (!x) {
        proto_anomaly(o, "dhcp.out_of_memory");
        return;
    }
    int cookie = n >= DHCP_FIXED + 4 && memcmp(p + DHCP_FIXED, kMagic, 4) == 0;
    if (cookie) {
        if (opts_scan(x, p + DHCP_FIXED + 4, n - DHCP_FIXED - 4, o) < 0)
            proto_anomaly(o, "dhcp.no_end_option");
        size_t ln;
        const uint8_t *ov = opt(x, 52, &ln);
        uint8_t overload = ov && ln == 1 ? ov[0] : 0;
        if (overload & 1)
            opts_scan(x, p + 108, 128, o);
        if (overload & 2)
            opts_scan(x, p + 44, 64, o);
    } else {
        proto_anomaly(o, "dhcp.no_magic_cookie");
    }
    proto_begin(o, "dhcp");
    size_t ln;
    const uint8_t *tv = opt(x, 53, &ln);
    unsigned type = tv && ln == 1 ? tv[0] : 0;
    char b[8];
    if (tv && ln != 1)
        proto_anomaly(o, "dhcp.bad_option_length");
    if (type)
        proto_cstr(o, "dhcp.message_type", msg_type_name(type, b));
    else if (cookie)
        proto_anomaly(o, "dhcp.no_message_type");
    proto_int(o, "dhcp.transaction_id", ld_u32be(p + 4));
    if (hlen >= 1 && hlen <= 16)
        put_colon_hex(o, "dhcp.client_mac", p + 28, hlen);
    else if (hlen > 16)
        proto_anomaly(o, "dhcp.bad_hlen");
    const uint8_t *cid = opt(x, 61, &ln);
    if (cid && ln)
        put_colon_hex(o, "dhcp.client_id", cid, ln);
    opt_text(o, x, 12, "dhcp.hostname");
    opt_ipv4(o, x, 50, "dhcp.requested_address");
    static const uint8_t zero[4];
    if ((type == 2 || type == 5) && memcmp(p + 16, zero, 4) != 0)
        put_ipv4(o, "dhcp.assigned_address", p + 16);
    opt_ipv4(o, x, 54, "dhcp.server_id");
    const uint8_t *lv = opt(x, 51, &ln);
    if (lv && ln == 4)
        proto_int(o, "dhcp.lease_time", ld_u32be(lv));
    else if (lv)
        proto_anomaly(o, "dhcp.bad_option_length");
    opt_text(o, x, 60, "dhcp.vendor_class");
    opt_fqdn(o, x);
    const uint8_t *prl = opt(x, 55, &ln);
    if (prl && ln) { /* "1,3,6,15": the order is a client fingerprint */
        char t[4 * 256];
        size_t k = 0;
        for (size_t i = 0; i < ln && i < 255; i++)
            k += (size_t)snprintf(t + k, sizeof t - k, i ? ",%u" : "%u", prl[i]);
        proto_cstr(o, "dhcp.parameter_request_list", t);
    }
    proto_end(o);
    free(x);
}

static int dhcp_data(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,
                     const uint8_t *d, size_t n)
{
    struct dhcp_state *s = st;
    (void)c;
    (void)dir;
    if (s->nmsg >= DHCP_MAX_MSGS) {
        proto_anomaly(o, "dhcp.too_many_messages");
        return 0;
    }
    s->nmsg++;
    dhcp_message(o, d, n);
    return 0;
}

static int dhcp_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (n >= DHCP_FIXED + 4 && (d[0] == 1 || d[0] == 2) && d[2] <= 16 &&
        memcmp(d + DHCP_FIXED, kMagic, 4) == 0)
        return PROTO_CONTENT;
    int port = c->srv_port == 67 || c->srv_port == 68 || c->cli_port == 67 || c->cli_port == 68;
    return port ? PROTO_PORT : PROTO_NO;
}

const struct proto_parser proto_dhcp = {
    .name = "dhcp",
    .l4 = 17,
    .probe = dhcp_probe,
    .state_size = sizeof(struct dhcp_state),
    .data = dhcp_data,
};
