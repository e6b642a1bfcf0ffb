#include "cli/output.h"

#include "core/addr.h"
#include "core/jsonw.h"
#include "core/ktime.h"
#include "decode/decode.h"

#include <inttypes.h>
#include <string.h>

const char *out_proto_name(int proto, char *buf, size_t n)
{
    switch (proto) {
    case 1:
        return "icmp";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 58:
        return "ipv6-icmp";
    case 132:
        return "sctp";
    case 47:
        return "gre";
    case 50:
        return "esp";
    case 51:
        return "ah";
    }
    snprintf(buf, n, "%d", proto);
    return buf;
}

void out_json_str(FILE *f, const char *s)
{
    jsonw_str(f, s);
}

static int has_ports(int proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static int is_icmp(int proto)
{
    return proto == 1 || proto == 58;
}

static void flag_names(int flags, char *dst, size_t n, const char *sep, int quoted)
{
    static const char *names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    size_t o = 0;
    dst[0] = '\0';
    for (int i = 0; i < 8; i++) {
        if (!(flags & (1 << i)))
            continue;
        int w = snprintf(dst + o, n - o, "%s%s%s%s", o ? sep : "", quoted ? "\"" : "", names[i],
                         quoted ? "\"" : "");
        if (w < 0 || (size_t)w >= n - o)
            break;
        o += (size_t)w;
    }
}

static void endpoint(char *dst, size_t n, const uint8_t a[16], int port, int proto)
{
    char ip[ADDR_STRLEN];
    addr_format16(a, ip, sizeof ip);
    if (!has_ports(proto))
        snprintf(dst, n, "%s", ip);
    else if (addr_is_v4mapped(a))
        snprintf(dst, n, "%s:%d", ip, port);
    else
        snprintf(dst, n, "[%s]:%d", ip, port);
}

static void human_bytes(uint64_t v, char *dst, size_t n)
{
    if (v < 10000)
        snprintf(dst, n, "%" PRIu64, v);
    else if (v < 10000000)
        snprintf(dst, n, "%.1fk", (double)v / 1e3);
    else if (v < 10000000000ULL)
        snprintf(dst, n, "%.1fM", (double)v / 1e6);
    else
        snprintf(dst, n, "%.1fG", (double)v / 1e9);
}

void out_header(FILE *f, int format)
{
    if (format == OUT_TABLE)
        fprintf(f, "%-26s %10s %-5s %-40s %-40s %7s %8s %-6s %s\n", "START (UTC)", "DURATION",
                "PROTO", "SOURCE", "DESTINATION", "PACKETS", "BYTES", "STATE", "EVENT.ID");
    else if (format == OUT_CSV)
        fputs("@timestamp,event.end,event.id,konseki.piece,network.transport,source.ip,"
              "source.port,destination.ip,destination.port,network.vlan.id,"
              "network.inner.vlan.id,source.packets,destination.packets,source.bytes,"
              "destination.bytes,konseki.source.payload_bytes,"
              "konseki.destination.payload_bytes,konseki.tcp.flags,konseki.tcp.history,"
              "konseki.tcp.state,konseki.end_reason,network.community_id,network.protocol\n",
              f);
}

void out_session(FILE *f, int format, const struct session_row *r)
{
    char t0[48], t1[48], pbuf[16], src[64], dst[64], sip[ADDR_STRLEN], dip[ADDR_STRLEN];
    const char *proto = out_proto_name(r->proto, pbuf, sizeof pbuf);
    addr_format16(r->src, sip, sizeof sip);
    addr_format16(r->dst, dip, sizeof dip);
    if (format == OUT_TABLE) {
        char by[16], dur[24];
        ktime_format_short(r->first_ns, t0, sizeof t0);
        endpoint(src, sizeof src, r->src, r->sport, r->proto);
        endpoint(dst, sizeof dst, r->dst, r->dport, r->proto);
        human_bytes(r->bytes[0] + r->bytes[1], by, sizeof by);
        snprintf(dur, sizeof dur, "%.3fs", (double)(r->last_ns - r->first_ns) / 1e9);
        fprintf(f, "%-26s %10s %-5s %-40s %-40s %7" PRIu64 " %8s %-6s %016" PRIx64 "%s\n", t0, dur,
                r->app[0] ? r->app : proto, src, dst, r->pkts[0] + r->pkts[1], by,
                r->state[0] ? r->state : "-", r->id, r->piece ? " +" : "");
        return;
    }
    ktime_format(r->first_ns, t0, sizeof t0);
    ktime_format(r->last_ns, t1, sizeof t1);
    if (format == OUT_CSV) {
        char flags[64] = "";
        if (r->tcp_flags >= 0)
            flag_names(r->tcp_flags, flags, sizeof flags, "|", 0);
        fprintf(f, "%s,%s,%016" PRIx64 ",%u,%s,%s,", t0, t1, r->id, r->piece, proto, sip);
        if (has_ports(r->proto))
            fprintf(f, "%d", r->sport);
        fprintf(f, ",%s,", dip);
        if (has_ports(r->proto))
            fprintf(f, "%d", r->dport);
        fputc(',', f);
        if (r->vlan >= 0)
            fprintf(f, "%d", r->vlan);
        fputc(',', f);
        if (r->vlan2 >= 0)
            fprintf(f, "%d", r->vlan2);
        fprintf(f,
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%s,%s,%s,%s,%s,%s\n",
                r->pkts[0], r->pkts[1], r->bytes[0], r->bytes[1], r->payload[0], r->payload[1],
                flags, r->history, r->state, r->end_reason, r->community_id, r->app);
        return;
    }
    /* ECS JSON, one object per line. */
    fprintf(f,
            "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"%016" PRIx64 "\",\"kind\":\"event\","
            "\"category\":[\"network\"],\"type\":[\"connection\"],"
            "\"start\":\"%s\",\"end\":\"%s\",\"duration\":%" PRId64 "},",
            t0, r->id, t0, t1, r->last_ns - r->first_ns);
    fprintf(f,
            "\"network\":{\"transport\":\"%s\",\"iana_number\":\"%d\",\"type\":\"ipv%d\","
            "\"community_id\":",
            proto, r->proto, r->ipver);
    out_json_str(f, r->community_id);
    if (r->app[0]) {
        fputs(",\"protocol\":", f);
        out_json_str(f, r->app);
    }
    fprintf(f, ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64, r->bytes[0] + r->bytes[1],
            r->pkts[0] + r->pkts[1]);
    if (r->vlan >= 0)
        fprintf(f, ",\"vlan\":{\"id\":\"%d\"}", r->vlan);
    if (r->vlan2 >= 0)
        fprintf(f, ",\"inner\":{\"vlan\":{\"id\":\"%d\"}}", r->vlan2);
    fputs("},", f);
    for (int d = 0; d < 2; d++) {
        fprintf(f, "\"%s\":{\"ip\":\"%s\"", d ? "destination" : "source", d ? dip : sip);
        if (has_ports(r->proto))
            fprintf(f, ",\"port\":%d", d ? r->dport : r->sport);
        fprintf(f, ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 "},", r->bytes[d], r->pkts[d]);
    }
    fprintf(f,
            "\"konseki\":{\"piece\":%u,\"last_piece\":%s,\"end_reason\":\"%s\","
            "\"source\":{\"payload_bytes\":%" PRIu64 "},\"destination\":{\"payload_bytes\":%" PRIu64
            "}",
            r->piece, r->last_piece ? "true" : "false", r->end_reason, r->payload[0],
            r->payload[1]);
    if (r->tcp_flags >= 0) {
        char flags[96];
        flag_names(r->tcp_flags, flags, sizeof flags, ",", 1);
        fprintf(f, ",\"tcp\":{\"flags\":[%s],\"history\":", flags);
        out_json_str(f, r->history);
        fputs(",\"state\":", f);
        out_json_str(f, r->state);
        fputc('}', f);
    }
    if (is_icmp(r->proto))
        fprintf(f, ",\"icmp\":{\"type\":%d,\"code\":%d}", r->sport, r->dport);
    fputc('}', f);
    /* the piece's protocol records, each an object keyed by its type ({"dns":{…}}) */
    if (r->records)
        fprintf(f, ",\"records\":%s", r->records);
    fputs("}\n", f);
}
