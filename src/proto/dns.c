/*
 * dns.c — DNS over UDP and TCP: one record per transaction (query + response).
 *
 * Message (RFC 1035 §4.1; flag bits RFC 1035 §4.1.1, RFC 2535 §6.1 AD/CD):
 *
 *     0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *   +--+-----------+--+--+--+--+--+--+--+-----------+
 *   |                      ID                       |
 *   |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   |            QDCOUNT / ANCOUNT                  |
 *   |            NSCOUNT / ARCOUNT                  |
 *   +-----------------------------------------------+
 *   | Question:  QNAME  QTYPE(16)  QCLASS(16)       |  §4.1.2, QDCOUNT times
 *   | Answer / Authority / Additional RRs:          |  §4.1.3
 *   |   NAME TYPE(16) CLASS(16) TTL(32)             |
 *   |   RDLENGTH(16) RDATA                          |
 *   +-----------------------------------------------+
 *
 * Names (§3.1, §4.1.4): length-prefixed labels (1..63 bytes) ending in a zero byte, or
 * ending in a 2-byte pointer 11oooooo oooooooo to an earlier name in the message.
 * RDATA decoded here: A, AAAA (RFC 3596), NS, CNAME, PTR, DNAME (RFC 6672), MX, TXT (§3.3),
 * SRV (RFC 2782), SOA (§3.3.13); the others are shown as hex (RFC 3597 §5 spirit).
 * EDNS (RFC 6891 §6.1.3): the OPT pseudo-RR in the additional section carries the upper
 * 8 bits of the RCODE in its TTL's top byte and the DO bit (RFC 3225); it is not an answer.
 *
 * Transport: UDP carries one message per datagram; TCP prefixes each message with a
 * 2-byte length (RFC 1035 §4.2.2, RFC 7766 §8) and may carry many, pipelined, split across
 * segments — each direction is framed in a buffer capped at 65535 + 2 bytes.
 *
 * Transactions: a query waits (at most 1000 per session, the oldest written unanswered
 * when more come) for the response with its ID and question; the pair becomes one record.
 * A response without a query is a record too; queries still waiting at the end are
 * written with dns.unanswered = true.  mDNS (port 5353) top class bits are the
 * QU / cache-flush bits (RFC 6762 §5.4, §10.2) and are masked off.
 */
#include "proto/dns.h"

#include "core/addr.h"
#include "core/err.h"
#include "core/rdr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_TCP_CAP (65535 + 2)
#define DNS_MAX_PENDING 1000
#define DNS_MAX_JUMPS 128
#define DNS_MAX_RR 256       /* RRs written per section */
#define DNS_MAX_QUESTIONS 16 /* questions written per message */
#define DNS_HEX_MAX 1024     /* rdata bytes shown as hex */
#define DNS_HDR 12

enum { S_QD = 0, S_AN, S_NS, S_AR };

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_Z 0x0040
#define F_AD 0x0020
#define F_CD 0x0010

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_PTR 12
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_SRV 33
#define T_DNAME 39
#define T_OPT 41

/* A query waiting for its response (owned by the state). */
struct dns_query {
    uint16_t id, flags, qtype, qclass;
    uint8_t has_q, dnssec_ok;
    /* the question name, presentation form in wire case (query_name): in sname when it
       fits, else malloc'ed in name (NULL otherwise) */
    char *name;
    char sname[64];
};

#define DNS_QUERIES_INLINE 2

struct dns_state {
    struct buf tcp[2]; /* TCP framing per direction (cap DNS_TCP_CAP) */
    uint8_t tcp_ready[2], tcp_lost[2];
    struct dns_query *q; /* oldest first: qin, or malloc'ed once more are waiting */
    size_t nq, qalloc;
    struct dns_query qin[DNS_QUERIES_INLINE]; /* most sessions: one query, one response */
};

static const char *query_name(const struct dns_query *q)
{
    return q->name ? q->name : q->sname;
}

/* One parsed message: the header, its first question, where each section starts. */
struct dns_msg {
    const uint8_t *p;
    size_t len;
    uint16_t id, flags, cnt[4];
    size_t sect[4];   /* offset of each section's first entry */
    uint16_t good[4]; /* entries of each section that parsed */
    int has_q;
    char qname[DNS_NAME_MAX];
    uint16_t qtype, qclass;
    int edns, dnssec_ok;
    uint8_t ext_rcode;
};

/* One resource record: its owner name and where its RDATA is in the message. */
struct dns_rr {
    char name[DNS_NAME_MAX];
    uint16_t type, cls;
    uint32_t ttl;
    size_t rd, rdlen;
};

/* ---------------------------------------------------------------- names */

int dns_name_read(const uint8_t *msg, size_t len, size_t *off, size_t min_ptr,
                  char out[DNS_NAME_MAX], const char **why)
{
    size_t pos = *off, seg = *off, end = 0, wire = 0, o = 0;
    int jumps = 0;
    out[0] = 0;
    *why = NULL;
    for (;;) {
        if (pos >= len) {
            *why = "dns.name_truncated";
            return KS_ETRUNC;
        }
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (len - pos < 2) {
                *why = "dns.name_truncated";
                return KS_ETRUNC;
            }
            size_t t = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
            if (!jumps)
                end = pos + 2;
            if (t >= seg || t < min_ptr) {
                *why = "dns.name_pointer_forward";
                return KS_EFORMAT;
            }
            if (++jumps > DNS_MAX_JUMPS) {
                *why = "dns.name_loop";
                return KS_EFORMAT;
            }
            pos = seg = t;
            continue;
        }
        if (l & 0xc0) { /* 01 / 10: extended label types, never deployed (RFC 6891 §5) */
            *why = "dns.name_bad_label";
            return KS_EFORMAT;
        }
        wire += 1u + l;
        if (wire > 255) {
            *why = "dns.name_too_long";
            return KS_EFORMAT;
        }
        if (l == 0) {
            pos++;
            break;
        }
        if (len - pos - 1 < l) {
            *why = "dns.name_truncated";
            return KS_ETRUNC;
        }
        if (o)
            out[o++] = '.';
        for (size_t i = 0; i < l; i++) {
            char ch = (char)msg[pos + 1 + i];
            if (ch == '.' || ch == '\\')
                out[o++] = '\\';
            out[o++] = ch; /* at most 2 * 255 bytes in all: fits DNS_NAME_MAX */
        }
        pos += 1u + l;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = 0;
    *off = jumps ? end : pos;
    return (int)o;
}

/* ---------------------------------------------------------------- names of numbers */

static const char *type_name(uint16_t t, char buf[16])
{
    static const struct {
        uint16_t t;
        const char *n;
    } k[] = {
        {1, "A"},       {2, "NS"},      {3, "MD"},        {4, "MF"},          {5, "CNAME"},
        {6, "SOA"},     {7, "MB"},      {8, "MG"},        {9, "MR"},          {10, "NULL"},
        {11, "WKS"},    {12, "PTR"},    {13, "HINFO"},    {14, "MINFO"},      {15, "MX"},
        {16, "TXT"},    {17, "RP"},     {18, "AFSDB"},    {24, "SIG"},        {25, "KEY"},
        {28, "AAAA"},   {29, "LOC"},    {30, "NXT"},      {33, "SRV"},        {35, "NAPTR"},
        {36, "KX"},     {37, "CERT"},   {39, "DNAME"},    {41, "OPT"},        {42, "APL"},
        {43, "DS"},     {44, "SSHFP"},  {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},
        {48, "DNSKEY"}, {49, "DHCID"},  {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},
        {53, "SMIMEA"}, {55, "HIP"},    {59, "CDS"},      {60, "CDNSKEY"},    {61, "OPENPGPKEY"},
        {62, "CSYNC"},  {63, "ZONEMD"}, {64, "SVCB"},     {65, "HTTPS"},      {99, "SPF"},
        {249, "TKEY"},  {250, "TSIG"},  {251, "IXFR"},    {252, "AXFR"},      {253, "MAILB"},
        {254, "MAILA"}, {255, "ANY"},   {256, "URI"},     {257, "CAA"},       {32768, "TA"},
        {32769, "DLV"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (k[i].t == t)
            return k[i].n;
    snprintf(buf, 16, "TYPE%u", t); /* RFC 3597 §5 */
    return buf;
}

static const char *class_name(uint16_t c, char buf[16])
{
    switch (c) {
    case 1:
        return "IN";
    case 3:
        return "CH";
    case 4:
        return "HS";
    case 254:
        return "NONE";
    case 255:
        return "ANY";
    }
    snprintf(buf, 16, "CLASS%u", c);
    return buf;
}

static const char *opcode_name(unsigned op, char buf[16])
{
    static const char *const k[] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO"};
    if (op < sizeof k / sizeof k[0] && k[op])
        return k[op];
    snprintf(buf, 16, "%u", op);
    return buf;
}

/* RCODE with the EDNS extension (RFC 6895 §2.3). */
static const char *rcode_name(unsigned rc, char buf[16])
{
    static const char *const k[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
    static const char *const ext[] = {"BADVERS", "BADKEY", "BADTIME",  "BADMODE",
                                      "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
    if (rc < sizeof k / sizeof k[0])
        return k[rc];
    if (rc >= 16 && rc < 16 + sizeof ext / sizeof ext[0])
        return ext[rc - 16];
    snprintf(buf, 16, "%u", rc);
    return buf;
}

static int is_mdns(const struct proto_ctx *c)
{
    return c->srv_port == 5353 || c->cli_port == 5353;
}

/* ---------------------------------------------------------------- parsing */

/* The RR at *off (owner, fixed part, RDATA bounds).  0, or -1 with the anomaly counted. */
static int rr_read(const struct dns_msg *m, size_t *off, struct dns_rr *rr, struct proto_out *o)
{
    const char *why;
    size_t at = *off;
    if (dns_name_read(m->p, m->len, &at, DNS_HDR, rr->name, &why) < 0) {
        if (o)
            proto_anomaly(o, why);
        return -1;
    }
    struct rdr r;
    rdr_init(&r, m->p, m->len);
    rdr_skip(&r, at);
    rr->type = rdr_u16be(&r);
    rr->cls = rdr_u16be(&r);
    rr->ttl = rdr_u32be(&r);
    rr->rdlen = rdr_u16be(&r);
    rr->rd = r.off;
    rdr_skip(&r, rr->rdlen);
    if (!rdr_ok(&r)) {
        if (o)
            proto_anomaly(o, "dns.rr_truncated");
        return -1;
    }
    *off = r.off;
    return 0;
}

/*
 * Header, questions and a walk over every RR so the sections' starts and their parsed
 * counts are known and EDNS is found.  -1 when not even the header and first question hold.
 */
static int msg_parse(struct dns_msg *m, const uint8_t *p, size_t n, struct proto_out *o)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->len = n;
    struct rdr r;
    rdr_init(&r, p, n);
    m->id = rdr_u16be(&r);
    m->flags = rdr_u16be(&r);
    for (int i = 0; i < 4; i++)
        m->cnt[i] = rdr_u16be(&r);
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "dns.truncated_header");
        return -1;
    }
    if (m->flags & F_Z)
        proto_anomaly(o, "dns.z_bit_set");
    size_t off = DNS_HDR;
    m->sect[S_QD] = off;
    for (unsigned i = 0; i < m->cnt[S_QD]; i++) {
        char tmp[DNS_NAME_MAX];
        const char *why;
        if (dns_name_read(p, n, &off, DNS_HDR, i ? tmp : m->qname, &why) < 0 || n - off < 4) {
            proto_anomaly(o, why ? why : "dns.question_truncated");
            if (i == 0)
                return -1;
            break;
        }
        if (i == 0) {
            m->qtype = ld_u16be(p + off);
            m->qclass = ld_u16be(p + off + 2);
            m->has_q = 1;
        }
        off += 4;
        m->good[S_QD]++;
    }
    for (int s = S_AN; s <= S_AR; s++) {
        m->sect[s] = off;
        if (m->good[s - 1] < m->cnt[s - 1]) /* an earlier section broke: this one is lost */
            continue;
        for (unsigned i = 0; i < m->cnt[s]; i++) {
            struct dns_rr rr;
            if (rr_read(m, &off, &rr, o) < 0)
                break;
            m->good[s]++;
            if (rr.type != T_OPT)
                continue;
            if (s != S_AR || m->edns) {
                proto_anomaly(o, "dns.opt_misplaced");
                continue;
            }
            m->edns = 1;
            m->ext_rcode = (uint8_t)(rr.ttl >> 24);
            m->dnssec_ok = (rr.ttl & 0x8000) != 0;
        }
    }
    if (m->good[S_AR] == m->cnt[S_AR] && m->good[S_NS] == m->cnt[S_NS] &&
        m->good[S_AN] == m->cnt[S_AN] && off < n)
        proto_anomaly(o, "dns.trailing_bytes");
    return 0;
}

/* ---------------------------------------------------------------- writing */

struct sect_paths {
    const char *item, *name, *type, *cls, *ttl, *data;
    const char *mname, *rname, *serial, *refresh, *retry, *expire, *minimum;
};

#define SECT_PATHS(p)                                                                              \
    {                                                                                              \
        p, p ".name", p ".type", p ".class", p ".ttl", p ".data", p ".soa.mname", p ".soa.rname",  \
            p ".soa.serial", p ".soa.refresh", p ".soa.retry", p ".soa.expire", p ".soa.minimum"   \
    }

static const struct sect_paths kPaths[4] = {
    {0}, SECT_PATHS("dns.answers"), SECT_PATHS("dns.authorities"), SECT_PATHS("dns.additionals")};

/* A name inside RDATA [rd, end): 0 and the text in out, or -1 (anomaly counted). */
static int rdata_name(const struct dns_msg *m, size_t *at, size_t end, char *out,
                      struct proto_out *o)
{
    const char *why;
    if (dns_name_read(m->p, end, at, DNS_HDR, out, &why) < 0) {
        proto_anomaly(o, why);
        return -1;
    }
    return 0;
}

/* RDATA as text (or hex) under the section's data path. */
static void write_rdata(struct proto_out *o, const struct dns_msg *m, const struct dns_rr *rr,
                        const struct sect_paths *sp)
{
    const uint8_t *d = m->p + rr->rd;
    size_t end = rr->rd + rr->rdlen, at = rr->rd;
    char a[DNS_NAME_MAX], b[DNS_NAME_MAX], t[2 * DNS_NAME_MAX + 64];
    struct rdr r;
    rdr_init(&r, d, rr->rdlen);
    switch (rr->type) {
    case T_A:
    case T_AAAA:
        if (rr->rdlen != (rr->type == T_A ? 4u : 16u))
            goto bad;
        if (rr->type == T_A)
            addr_format4(d, t);
        else
            inet_ntop(AF_INET6, d, t, sizeof t);
        proto_cstr(o, sp->data, t);
        return;
    case T_NS:
    case T_CNAME:
    case T_PTR:
    case T_DNAME:
        if (rdata_name(m, &at, end, a, o) < 0)
            return;
        proto_cstr(o, sp->data, a);
        return;
    case T_MX:    /* PREFERENCE(16) EXCHANGE */
    case T_SRV: { /* PRIORITY(16) WEIGHT(16) PORT(16) TARGET */
        size_t k = rr->type == T_MX ? 2 : 6;
        if (rr->rdlen <= k)
            goto bad;
        at += k;
        if (rdata_name(m, &at, end, a, o) < 0)
            return;
        if (k == 2)
            snprintf(t, sizeof t, "%u %s", ld_u16be(d), a);
        else
            snprintf(t, sizeof t, "%u %u %u %s", ld_u16be(d), ld_u16be(d + 2), ld_u16be(d + 4), a);
        proto_cstr(o, sp->data, t);
        return;
    }
    case T_SOA: {
        if (rdata_name(m, &at, end, a, o) < 0 || rdata_name(m, &at, end, b, o) < 0)
            return;
        if (end - at != 20)
            goto bad;
        uint32_t v[5];
        for (int i = 0; i < 5; i++)
            v[i] = ld_u32be(m->p + at + 4 * i);
        snprintf(t, sizeof t, "%s %s %u %u %u %u %u", a, b, v[0], v[1], v[2], v[3], v[4]);
        proto_cstr(o, sp->data, t);
        proto_cstr(o, sp->mname, a);
        proto_cstr(o, sp->rname, b);
        proto_int(o, sp->serial, v[0]);
        proto_int(o, sp->refresh, v[1]);
        proto_int(o, sp->retry, v[2]);
        proto_int(o, sp->expire, v[3]);
        proto_int(o, sp->minimum, v[4]);
        return;
    }
    case T_TXT: /* one value per <character-string> (§3.3.14) */
        if (rr->rdlen == 0)
            goto bad;
        while (rdr_left(&r) > 0) {
            size_t l = rdr_u8(&r);
            const uint8_t *s = rdr_bytes(&r, l);
            if (!s)
                goto bad;
            proto_str(o, sp->data, (const char *)s, l);
        }
        return;
    default:
        if (rr->rdlen > DNS_HEX_MAX)
            proto_anomaly(o, "dns.rdata_cut");
        if (rr->rdlen)
            proto_hex(o, sp->data, d, rr->rdlen > DNS_HEX_MAX ? DNS_HEX_MAX : rr->rdlen);
        return;
    }
bad:
    proto_anomaly(o, "dns.bad_rdata");
}

/* Every RR of section s except OPT, as items. */
static void write_section(struct proto_out *o, const struct dns_msg *m, int s, int mdns)
{
    const struct sect_paths *sp = &kPaths[s];
    size_t off = m->sect[s];
    unsigned written = 0;
    for (unsigned i = 0; i < m->good[s]; i++) {
        struct dns_rr rr;
        if (rr_read(m, &off, &rr, NULL) < 0)
            break;
        if (rr.type == T_OPT)
            continue;
        if (written++ == DNS_MAX_RR) {
            proto_anomaly(o, "dns.too_many_rrs");
            break;
        }
        char tb[16], cb[16];
        uint16_t cls = mdns ? (uint16_t)(rr.cls & 0x7fff) : rr.cls;
        proto_item_begin(o, sp->item);
        proto_cstr(o, sp->name, rr.name);
        proto_cstr(o, sp->type, type_name(rr.type, tb));
        proto_cstr(o, sp->cls, class_name(cls, cb));
        proto_int(o, sp->ttl, rr.ttl);
        write_rdata(o, m, &rr, sp);
        proto_item_end(o);
    }
}

static void write_resolved(struct proto_out *o, const struct dns_msg *m)
{
    size_t off = m->sect[S_AN];
    for (unsigned i = 0; i < m->good[S_AN] && i < DNS_MAX_RR; i++) {
        struct dns_rr rr;
        if (rr_read(m, &off, &rr, NULL) < 0)
            break;
        char t[64];
        if ((rr.type == T_A && rr.rdlen == 4) || (rr.type == T_AAAA && rr.rdlen == 16)) {
            if (rr.type == T_A)
                addr_format4(m->p + rr.rd, t);
            else
                inet_ntop(AF_INET6, m->p + rr.rd, t, sizeof t);
            proto_cstr(o, "dns.resolved_ip", t);
        }
    }
}

static void write_question(struct proto_out *o, const char *path_name, const char *path_raw,
                           const char *path_type, const char *path_class, const char *name,
                           uint16_t qtype, uint16_t qclass)
{
    char low[DNS_NAME_MAX], tb[16], cb[16];
    size_t i = 0;
    for (; name[i] && i < sizeof low - 1; i++)
        low[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] + 32) : name[i];
    low[i] = 0;
    proto_cstr(o, path_name, low);
    if (path_raw && strcmp(low, name) != 0)
        proto_cstr(o, path_raw, name);
    proto_cstr(o, path_type, type_name(qtype, tb));
    proto_cstr(o, path_class, class_name(qclass, cb));
}

/* Questions after the first one (rare; RFC 9619 says QDCOUNT is 1), as items. */
static void write_more_questions(struct proto_out *o, const struct dns_msg *m, int mdns)
{
    size_t off = m->sect[S_QD];
    for (unsigned i = 0; i < m->good[S_QD] && i < DNS_MAX_QUESTIONS; i++) {
        char name[DNS_NAME_MAX];
        const char *why;
        if (dns_name_read(m->p, m->len, &off, DNS_HDR, name, &why) < 0 || m->len - off < 4)
            break;
        uint16_t qc = ld_u16be(m->p + off + 2);
        if (i > 0) {
            proto_item_begin(o, "dns.questions");
            write_question(o, "dns.questions.name", NULL, "dns.questions.type",
                           "dns.questions.class", name, ld_u16be(m->p + off),
                           mdns ? (uint16_t)(qc & 0x7fff) : qc);
            proto_item_end(o);
        }
        off += 4;
    }
}

/* One transaction: q (the query, or NULL), m (the response, or NULL); one of them is set. */
static void write_txn(struct proto_out *o, const struct proto_ctx *c, const struct dns_query *q,
                      const struct dns_msg *m)
{
    char b[16];
    int mdns = is_mdns(c);
    uint16_t flags = m ? m->flags : q->flags;
    proto_begin(o, "dns");
    proto_int(o, "dns.id", m ? m->id : q->id);
    proto_cstr(o, "dns.op_code", opcode_name((flags >> 11) & 15, b));
    static const struct {
        uint16_t bit;
        const char *name;
    } kFlags[] = {{F_AA, "AA"}, {F_TC, "TC"}, {F_RD, "RD"},
                  {F_RA, "RA"}, {F_AD, "AD"}, {F_CD, "CD"}};
    for (size_t i = 0; i < sizeof kFlags / sizeof kFlags[0]; i++)
        if (flags & kFlags[i].bit)
            proto_cstr(o, "dns.header_flags", kFlags[i].name);
    if (m ? m->dnssec_ok : q->dnssec_ok)
        proto_cstr(o, "dns.header_flags", "DO");
    if (m)
        proto_cstr(o, "dns.response_code",
                   rcode_name((unsigned)m->ext_rcode << 4 | (flags & 15), b));
    if (q && q->has_q)
        write_question(o, "dns.question.name", "dns.question.name_raw", "dns.question.type",
                       "dns.question.class", query_name(q), q->qtype, q->qclass);
    else if (m && m->has_q)
        write_question(o, "dns.question.name", "dns.question.name_raw", "dns.question.type",
                       "dns.question.class", m->qname, m->qtype,
                       mdns ? (uint16_t)(m->qclass & 0x7fff) : m->qclass);
    proto_cstr(o, "dns.type", m ? "answer" : "query");
    proto_bool(o, "dns.unanswered", m == NULL);
    proto_cstr(o, "dns.transport", c->l4 == 6 ? "tcp" : "udp");
    if (m) {
        proto_int(o, "dns.answer_count", m->cnt[S_AN]);
        write_resolved(o, m);
        write_more_questions(o, m, mdns);
        for (int s = S_AN; s <= S_AR; s++)
            write_section(o, m, s, mdns);
    }
    proto_end(o);
}

/* ---------------------------------------------------------------- transactions */

static void query_free(struct dns_query *q)
{
    free(q->name);
    q->name = NULL;
}

static void pending_drop(struct dns_state *s, size_t i)
{
    query_free(&s->q[i]);
    memmove(&s->q[i], &s->q[i + 1], (s->nq - i - 1) * sizeof s->q[0]);
    s->nq--;
}

static void query_add(struct dns_state *s, struct proto_out *o, const struct proto_ctx *c,
                      const struct dns_msg *m)
{
    if (s->nq == DNS_MAX_PENDING) {
        proto_anomaly(o, "dns.too_many_pending");
        write_txn(o, c, &s->q[0], NULL);
        pending_drop(s, 0);
    }
    if (!s->q) {
        s->q = s->qin;
        s->qalloc = DNS_QUERIES_INLINE;
    }
    if (s->nq == s->qalloc) {
        size_t na = s->qalloc < 4 ? 8 : s->qalloc * 2;
        if (na > DNS_MAX_PENDING)
            na = DNS_MAX_PENDING;
        int inl = s->q == s->qin;
        struct dns_query *nq = realloc(inl ? NULL : s->q, na * sizeof *nq);
        if (!nq) {
            proto_anomaly(o, "dns.out_of_memory");
            return;
        }
        if (inl)
            memcpy(nq, s->qin, s->nq * sizeof *nq);
        s->q = nq;
        s->qalloc = na;
    }
    struct dns_query *q = &s->q[s->nq];
    memset(q, 0, sizeof *q);
    q->id = m->id;
    q->flags = m->flags;
    q->dnssec_ok = (uint8_t)m->dnssec_ok;
    if (m->has_q) {
        size_t nl = strlen(m->qname);
        if (nl < sizeof q->sname)
            memcpy(q->sname, m->qname, nl + 1);
        else if (!(q->name = strdup(m->qname))) {
            proto_anomaly(o, "dns.out_of_memory");
            return;
        }
        q->has_q = 1;
        q->qtype = m->qtype;
        q->qclass = is_mdns(c) ? (uint16_t)(m->qclass & 0x7fff) : m->qclass;
    }
    s->nq++;
}

/* The oldest waiting query this response answers (same ID, same question), or -1. */
static long query_find(const struct dns_state *s, const struct dns_msg *m, int mdns)
{
    uint16_t qc = mdns ? (uint16_t)(m->qclass & 0x7fff) : m->qclass;
    for (size_t i = 0; i < s->nq; i++) {
        const struct dns_query *q = &s->q[i];
        if (q->id != m->id)
            continue;
        if (!m->has_q || (q->has_q && q->qtype == m->qtype && q->qclass == qc &&
                          strcasecmp(query_name(q), m->qname) == 0))
            return (long)i;
    }
    return -1;
}

static void dns_message(struct dns_state *s, struct proto_out *o, const struct proto_ctx *c,
                        const uint8_t *p, size_t n)
{
    struct dns_msg m;
    if (msg_parse(&m, p, n, o) < 0)
        return;
    if (!(m.flags & F_QR)) {
        query_add(s, o, c, &m);
        return;
    }
    long i = query_find(s, &m, is_mdns(c));
    write_txn(o, c, i >= 0 ? &s->q[i] : NULL, &m);
    if (i >= 0)
        pending_drop(s, (size_t)i);
}

/* ---------------------------------------------------------------- the parser */

static int dns_data(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct dns_state *s = st;
    if (c->l4 != 6) {
        dns_message(s, o, c, d, n);
        return 0;
    }
    if (dir != 0 && dir != 1)
        return 0;
    if (s->tcp_lost[dir])
        return 0;
    struct buf *b = &s->tcp[dir];
    if (!s->tcp_ready[dir]) {
        buf_init(b, DNS_TCP_CAP);
        s->tcp_ready[dir] = 1;
    }
    while (n > 0) {
        if (b->len == 0 && n >= 2 && n - 2 >= ld_u16be(d)) { /* whole message in place */
            size_t ml = ld_u16be(d);
            dns_message(s, o, c, d + 2, ml);
            d += 2 + ml;
            n -= 2 + ml;
            continue;
        }
        size_t want = b->len < 2 ? 2 - b->len : 2 + (size_t)ld_u16be(b->data) - b->len;
        size_t take = want < n ? want : n;
        if (buf_append(b, d, take) != 0) { /* cannot happen: want keeps it under the cap */
            proto_anomaly(o, "dns.tcp_buffer");
            s->tcp_lost[dir] = 1;
            buf_release(b);
            return 0;
        }
        d += take;
        n -= take;
        if (b->len >= 2 && b->len == 2 + (size_t)ld_u16be(b->data)) {
            dns_message(s, o, c, b->data + 2, b->len - 2);
            b->len = 0;
        }
    }
    return 0;
}

/* After lost bytes the framing cannot be trusted: stop reading that direction. */
static void dns_gap(void *st, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct dns_state *s = st;
    (void)c;
    (void)n;
    if (dir != 0 && dir != 1)
        return;
    proto_anomaly(o, "dns.tcp_gap");
    s->tcp_lost[dir] = 1;
    buf_release(&s->tcp[dir]);
}

static void dns_end(void *st, struct proto_out *o, const struct proto_ctx *c)
{
    struct dns_state *s = st;
    for (size_t i = 0; i < s->nq; i++) {
        write_txn(o, c, &s->q[i], NULL);
        query_free(&s->q[i]);
    }
    s->nq = 0;
    for (int dir = 0; dir < 2; dir++)
        if (s->tcp[dir].len)
            proto_anomaly(o, "dns.tcp_message_cut");
}

static void dns_release(void *st)
{
    struct dns_state *s = st;
    for (size_t i = 0; i < s->nq; i++)
        query_free(&s->q[i]);
    if (s->q != s->qin)
        free(s->q);
    s->q = NULL;
    s->nq = s->qalloc = 0;
    for (int dir = 0; dir < 2; dir++)
        buf_release(&s->tcp[dir]);
}

/* A header that says query/response with 1..4 questions and a first question that parses. */
static int looks_like_dns(const uint8_t *d, size_t n)
{
    if (n < DNS_HDR + 5)
        return 0;
    uint16_t flags = ld_u16be(d + 2), qd = ld_u16be(d + 4);
    unsigned op = (flags >> 11) & 15;
    if (qd < 1 || qd > 4 || (flags & F_Z) || op == 3 || op > 6)
        return 0;
    char name[DNS_NAME_MAX];
    const char *why;
    size_t off = DNS_HDR;
    if (dns_name_read(d, n, &off, DNS_HDR, name, &why) < 0 || n - off < 4)
        return 0;
    uint16_t qc = ld_u16be(d + off + 2) & 0x7fff;
    return qc == 1 || qc == 3 || qc == 4 || qc == 254 || qc == 255;
}

static int dns_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    /* NetBIOS name service (RFC 1002) has DNS's layout but its own names: not DNS */
    if (c->srv_port == 137 || c->cli_port == 137)
        return PROTO_NO;
    int port = 0;
    static const uint16_t kPorts[] = {53, 5353, 5355};
    for (size_t i = 0; i < sizeof kPorts / sizeof kPorts[0]; i++)
        port |= c->srv_port == kPorts[i] || c->cli_port == kPorts[i];
    if (c->l4 == 6 && n >= 2) {
        size_t ml = ld_u16be(d);
        d += 2;
        n -= 2;
        if (n > ml)
            n = ml;
    }
    if (looks_like_dns(d, n))
        return PROTO_CONTENT;
    return port ? PROTO_PORT : PROTO_NO;
}

const struct proto_parser proto_dns = {
    .name = "dns",
    .l4 = 0,
    .probe = dns_probe,
    .state_size = sizeof(struct dns_state),
    .data = dns_data,
    .gap = dns_gap,
    .end = dns_end,
    .release = dns_release,
};
