/*
 * fields.c — the one table of query fields: names, aliases, types, help, and the `sessions`
 * columns each compiles to (docs/store.md).
 *
 * Canonical names follow ECS (Elastic Common Schema, https://www.elastic.co/guide/en/ecs/current/)
 * where ECS has the concept; konseki.* otherwise.  Aliases are the Arkime and Zeek spellings
 * people already type.  Column expressions are fixed SQL text from this table and never contain
 * input.
 */
#include "query/query_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define NS_S 1000000000LL

/*
 * X(name, aliases, type, help, kind, col0, col1, ncols, nullable, unit_ns, alias_unit_ns)
 * `type` is what query_fields() shows; `kind` is what values.c and sqlite.c act on.
 */
#define QUERY_FIELDS(X)                                                                            \
    X("source.ip", "ip.src src.ip", "ip", "initiator address; IPv4, IPv6, CIDR, lists", QF_IP,     \
      "src_ip", NULL, 1, 0, 0, 0)                                                                  \
    X("destination.ip", "ip.dst dst.ip", "ip", "responder address; IPv4, IPv6, CIDR, lists",       \
      QF_IP, "dst_ip", NULL, 1, 0, 0, 0)                                                           \
    X("ip", "", "ip", "either address (initiator or responder)", QF_IP, "src_ip", "dst_ip", 2, 0,  \
      0, 0)                                                                                        \
    X("source.port", "port.src src.port", "port", "initiator port (ICMP: type)", QF_PORT,          \
      "src_port", NULL, 1, 0, 0, 0)                                                                \
    X("destination.port", "port.dst dst.port", "port", "responder port (ICMP: code)", QF_PORT,     \
      "dst_port", NULL, 1, 0, 0, 0)                                                                \
    X("port", "", "port", "either port", QF_PORT, "src_port", "dst_port", 2, 0, 0, 0)              \
    X("network.transport", "proto ip.protocol", "proto",                                           \
      "IP protocol: tcp udp icmp (= 1 and 58) icmp6 sctp gre esp ah igmp, or a number", QF_PROTO,  \
      "proto", NULL, 1, 0, 0, 0)                                                                   \
    X("network.type", "ip.version ipver", "ipver", "ipv4 or ipv6 (or 4, 6)", QF_IPVER, "ipver",    \
      NULL, 1, 0, 0, 0)                                                                            \
    X("network.vlan.id", "vlan vlan.id", "int", "802.1Q VLAN id, outer or inner tag (0-4095)",     \
      QF_VLAN, "vlan", "vlan2", 2, 1, 0, 0)                                                        \
    X("network.bytes", "bytes", "int", "frame bytes both ways; 10k 1.5M 2G (powers of 1000)",      \
      QF_INT, "(src_bytes + dst_bytes)", NULL, 1, 0, 0, 0)                                         \
    X("source.bytes", "bytes.src", "int", "frame bytes initiator to responder", QF_INT,            \
      "src_bytes", NULL, 1, 0, 0, 0)                                                               \
    X("destination.bytes", "bytes.dst", "int", "frame bytes responder to initiator", QF_INT,       \
      "dst_bytes", NULL, 1, 0, 0, 0)                                                               \
    X("network.packets", "packets", "int", "packets both ways", QF_INT, "(src_pkts + dst_pkts)",   \
      NULL, 1, 0, 0, 0)                                                                            \
    X("source.packets", "packets.src", "int", "packets initiator to responder", QF_INT,            \
      "src_pkts", NULL, 1, 0, 0, 0)                                                                \
    X("destination.packets", "packets.dst", "int", "packets responder to initiator", QF_INT,       \
      "dst_pkts", NULL, 1, 0, 0, 0)                                                                \
    X("konseki.payload.bytes", "databytes", "int", "transport payload bytes both ways", QF_INT,    \
      "(src_payload + dst_payload)", NULL, 1, 0, 0, 0)                                             \
    X("konseki.payload.bytes.src", "databytes.src", "int",                                         \
      "transport payload bytes initiator to responder", QF_INT, "src_payload", NULL, 1, 0, 0, 0)   \
    X("konseki.payload.bytes.dst", "databytes.dst", "int",                                         \
      "transport payload bytes responder to initiator", QF_INT, "dst_payload", NULL, 1, 0, 0, 0)   \
    X("event.duration", "duration", "duration",                                                    \
      "last minus first packet time; units ns us ms s m h d w (1h30m); a bare number is "          \
      "nanoseconds for event.duration (ECS) and seconds for duration",                             \
      QF_DURATION, "(last_ns - first_ns)", NULL, 1, 0, 1, NS_S)                                    \
    X("tcp.flags", "konseki.tcp.flags", "flags",                                                   \
      "TCP flags seen either way: fin syn rst psh ack urg ece cwr (that flag set), a list (any "   \
      "of them), or a number (all of its bits set; 0 = none)",                                     \
      QF_FLAGS, "tcp_flags", NULL, 1, 1, 0, 0)                                                     \
    X("konseki.tcp.state", "tcp.state", "text", "Zeek conn_state: SF S0 REJ RSTO …", QF_TEXT,      \
      "tcp_state", NULL, 1, 1, 0, 0)                                                               \
    X("konseki.tcp.history", "tcp.history", "text", "Zeek history letters (ShADadFf)", QF_TEXT,    \
      "tcp_history", NULL, 1, 1, 0, 0)                                                             \
    X("network.community_id", "community_id", "text", "Community ID v1 (1:…)", QF_TEXT,            \
      "community_id", NULL, 1, 1, 0, 0)                                                            \
    X("event.id", "id", "id", "session id: 16 hex digits as printed, or a decimal integer", QF_ID, \
      "id", NULL, 1, 0, 0, 0)                                                                      \
    X("@timestamp", "event.start starttime time", "time",                                          \
      "first packet; RFC 3339, epoch seconds, or 7d / 3h (that long before now)", QF_TIME,         \
      "first_ns", NULL, 1, 0, 0, 0)                                                                \
    X("event.end", "stoptime lasttime", "time", "last packet; same forms as @timestamp", QF_TIME,  \
      "last_ns", NULL, 1, 0, 0, 0)                                                                 \
    X("konseki.end_reason", "end_reason", "text", "fin rst idle eof evicted active", QF_TEXT,      \
      "end_reason", NULL, 1, 1, 0, 0)                                                              \
    X("network.protocol", "protocol app", "text",                                                  \
      "application protocol konseki recognised: dns http tls quic ssh smb dcerpc kerberos ldap "   \
      "rdp dhcp ntp smtp imap pop3 ftp",                                                           \
      QF_TEXT, "app", NULL, 1, 1, 0, 0)

/*
 * Fields of protocol records (proto/proto.h): A(name, aliases, type, help, kind, path).  Any
 * other path under a protocol's prefix (see app_prefixes) is queryable as text too.
 */
#define APP_TEXT "value"
#define APP_INT "CAST(value AS INTEGER)"
#define APP_FIELDS(A)                                                                              \
    A("dns.question.name", "dns.query dns.host", "text", "DNS query name (lowercase)", QF_TEXT,    \
      APP_TEXT, "dns.question.name")                                                               \
    A("dns.question.type", "dns.qtype", "text", "DNS query type: A AAAA TXT MX … or TYPE<n>",      \
      QF_TEXT, APP_TEXT, "dns.question.type")                                                      \
    A("dns.answers.data", "dns.answer", "text", "DNS answer data (address, name, text)", QF_TEXT,  \
      APP_TEXT, "dns.answers.data")                                                                \
    A("dns.response_code", "dns.rcode", "text", "DNS response code: NOERROR NXDOMAIN SERVFAIL …",  \
      QF_TEXT, APP_TEXT, "dns.response_code")                                                      \
    A("dns.resolved_ip", "dns.ip", "text", "addresses in DNS A/AAAA answers", QF_TEXT, APP_TEXT,   \
      "dns.resolved_ip")                                                                           \
    A("url.domain", "http.host host.http", "text", "HTTP Host header without the port", QF_TEXT,   \
      APP_TEXT, "url.domain")                                                                      \
    A("url.original", "http.uri http.url", "text", "HTTP request target as sent", QF_TEXT,         \
      APP_TEXT, "url.original")                                                                    \
    A("http.request.method", "http.method", "text", "HTTP method (GET, POST …)", QF_TEXT,          \
      APP_TEXT, "http.request.method")                                                             \
    A("user_agent.original", "http.ua http.user_agent", "text", "HTTP User-Agent", QF_TEXT,        \
      APP_TEXT, "user_agent.original")                                                             \
    A("http.response.status_code", "http.status http.statuscode", "int", "HTTP status code",       \
      QF_INT, APP_INT, "http.response.status_code")                                                \
    A("file.hash.sha256", "file.sha256", "text", "SHA-256 of a transferred file (HTTP body)",      \
      QF_TEXT, APP_TEXT, "file.hash.sha256")                                                       \
    A("file.hash.sha1", "file.sha1", "text", "SHA-1 of a transferred file (HTTP body)", QF_TEXT,   \
      APP_TEXT, "file.hash.sha1")                                                                  \
    A("file.hash.md5", "file.md5 http.md5", "text", "MD5 of a transferred file (HTTP body)",       \
      QF_TEXT, APP_TEXT, "file.hash.md5")                                                          \
    A("file.name", "smb.file filename", "text", "file name (SMB open, HTTP Content-Disposition)",  \
      QF_TEXT, APP_TEXT, "file.name")                                                              \
    A("tls.client.server_name", "tls.sni sni host.tls", "text", "TLS SNI (also QUIC)", QF_TEXT,    \
      APP_TEXT, "tls.client.server_name")                                                          \
    A("tls.client.ja3", "tls.ja3 ja3", "text", "JA3 of the ClientHello (MD5 hex)", QF_TEXT,        \
      APP_TEXT, "tls.client.ja3")                                                                  \
    A("tls.server.ja3s", "tls.ja3s ja3s", "text", "JA3S of the ServerHello (MD5 hex)", QF_TEXT,    \
      APP_TEXT, "tls.server.ja3s")                                                                 \
    A("tls.client.ja4", "tls.ja4 ja4", "text", "JA4 of the ClientHello (TLS and QUIC)", QF_TEXT,   \
      APP_TEXT, "tls.client.ja4")                                                                  \
    A("tls.server.hash.sha1", "cert.sha1 cert.hash", "text", "SHA-1 of the server certificate",    \
      QF_TEXT, APP_TEXT, "tls.server.hash.sha1")                                                   \
    A("tls.server.hash.sha256", "cert.sha256", "text", "SHA-256 of the server certificate",        \
      QF_TEXT, APP_TEXT, "tls.server.hash.sha256")                                                 \
    A("tls.server.x509.subject.common_name", "cert.subject cert.cn", "text",                       \
      "server certificate subject CN", QF_TEXT, APP_TEXT, "tls.server.x509.subject.common_name")   \
    A("tls.server.x509.issuer.common_name", "cert.issuer", "text", "server certificate issuer CN", \
      QF_TEXT, APP_TEXT, "tls.server.x509.issuer.common_name")                                     \
    A("tls.server.x509.serial_number", "cert.serial", "text",                                      \
      "server certificate serial number (hex)", QF_TEXT, APP_TEXT,                                 \
      "tls.server.x509.serial_number")                                                             \
    A("ssh.client.hassh", "ssh.hassh hassh", "text", "HASSH of the SSH client", QF_TEXT, APP_TEXT, \
      "ssh.client.hassh")                                                                          \
    A("ssh.server.hassh", "ssh.hassh_server hassh_server", "text",                                 \
      "HASSH-server of the SSH server", QF_TEXT, APP_TEXT, "ssh.server.hassh")                     \
    A("dcerpc.interface.name", "dcerpc.interface", "text",                                         \
      "DCE-RPC interface called (svcctl, drsuapi …)", QF_TEXT, APP_TEXT, "dcerpc.interface.name")  \
    A("dcerpc.svcctl.service_name", "service.name", "text",                                        \
      "service created or changed over svcctl (PsExec)", QF_TEXT, APP_TEXT,                        \
      "dcerpc.svcctl.service_name")

/*
 * IOC findings (issue #5; ioc/iocdb.h): a session matches when it has a finding whose indicator,
 * source or place matches.  The IOC store is attached to the day file's connection (query.h); its
 * table names are unqualified, and no day file table has these names.
 * I(name, aliases, type, help, column)
 */
#define IOC_SUB                                                                                    \
    "SELECT f.session FROM findings f JOIN indicators i ON i.id = f.ioc"                           \
    " JOIN ioc_sources s ON s.ioc = f.ioc WHERE "
#define IOC_FIELDS(I)                                                                              \
    I("ioc", "ioc.value threat.indicator.name", "text",                                            \
      "an indicator that matched the session (ioc == EXISTS!: sessions with any finding)",         \
      "i.value")                                                                                   \
    I("ioc.source", "threat.indicator.provider", "text",                                           \
      "a source (feed) of an indicator that matched", "s.source")                                  \
    I("ioc.type", "", "text",                                                                      \
      "type of an indicator that matched: ip cidr domain url ua ja3 ja3s ja4 cert-sha1 …",         \
      "i.type")                                                                                    \
    I("ioc.field", "threat.enrichments.matched.field", "text",                                     \
      "where an indicator matched (destination.ip, dns.question.name …)", "f.field")               \
    I("ioc.observed", "threat.enrichments.matched.atomic", "text",                                 \
      "the value that matched, as seen in the traffic", "f.observed")

#define DOC_ROW(name, aliases, type, help, ...) {name, aliases, type, help},
#define SEM_ROW(name, aliases, type, help, kind, c0, c1, ncols, nullable, unit, aunit)             \
    {name, kind, {c0, c1}, ncols, nullable, unit, aunit, NULL, NULL},
#define APP_ROW(name, aliases, type, help, kind, col, path)                                        \
    {name, kind, {col, NULL}, 1, 0, 0, 0, path, NULL},
#define IOC_DOC(name, aliases, type, help, col) {name, aliases, type, help},
#define IOC_ROW(name, aliases, type, help, col)                                                    \
    {name, QF_TEXT, {col, NULL}, 1, 0, 0, 0, NULL, IOC_SUB},

static const struct query_field_doc docs[] = {QUERY_FIELDS(DOC_ROW) APP_FIELDS(DOC_ROW)
                                                  IOC_FIELDS(IOC_DOC)};
static const struct qfield fields[] = {QUERY_FIELDS(SEM_ROW) APP_FIELDS(APP_ROW)
                                           IOC_FIELDS(IOC_ROW)};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Record types whose paths are queryable by name even when the table above does not list them. */
static const char *const app_prefixes[] = {
    "dns.", "http.", "url.",    "user_agent.", "file.",     "tls.",  "quic.", "ssh.",
    "smb.", "ntlm.", "dcerpc.", "krb.",        "kerberos.", "ldap.", "rdp.",  "dhcp.",
    "ntp.", "smtp.", "imap.",   "pop3.",       "ftp.",      "x509.", "icmp.", "email.",
};

static const char *const noindex_exact[] = {
    "dns.id",
    "dns.op_code",
    "dns.type",
    "dns.unanswered",
    "dns.answer_count",
    "dns.header_flags",
    "dns.transport",
    "tls.client.ciphers",
    "tls.client.extensions",
    "tls.client.supported_groups",
    "tls.client.signature_algorithms",
    "tls.client.supported_versions",
    "tls.client.grease",
    "tls.client.ja4_r",
    "tls.resumed",
    "tls.version_protocol",
    "smb.file.id",
    "smb.file.access",
    "dcerpc.bind.contexts.id",
    "dcerpc.bind.contexts.transfer_syntax",
    "dcerpc.bind.contexts.result",
    "dcerpc.bind.contexts.accepted",
    "dcerpc.bind.type",
    "quic.dcid",
    "quic.scid",
    "dns.answers.name",
    "dns.answers.type",
    "ntp.leap_indicator",
    "ntp.mode",
    "ntp.poll",
    "ntp.precision",
    "ntp.transmit_time",
    "ntp.reference_time",
    "ntp.version",
    "ntp.stratum",
};
/* whole groups: the authority and additional sections of DNS answers */
static const char *const noindex_prefix[] = {"dns.authorities.", "dns.additionals."};
static const char *const noindex_suffix[] = {
    ".class",  ".ttl",     ".call_id", ".context_id", "_string",  ".stub_bytes",
    ".serial", ".refresh", ".retry",   ".expire",     ".minimum",
};

int query_path_indexed(const char *path)
{
    for (size_t i = 0; i < sizeof noindex_prefix / sizeof noindex_prefix[0]; i++)
        if (strncmp(path, noindex_prefix[i], strlen(noindex_prefix[i])) == 0)
            return 0;
    for (size_t i = 0; i < sizeof noindex_exact / sizeof noindex_exact[0]; i++)
        if (strcmp(path, noindex_exact[i]) == 0)
            return 0;
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof noindex_suffix / sizeof noindex_suffix[0]; i++) {
        size_t k = strlen(noindex_suffix[i]);
        if (n > k && strcmp(path + n - k, noindex_suffix[i]) == 0)
            return 0;
    }
    return 1;
}

/*
 * A path no table row names, under a protocol prefix: a text field on that path.  Interned for
 * the life of the process (queries are few and small; the pool is bounded).
 */
static const struct qfield *app_dynamic(const char *name)
{
    static struct qfield pool[256];
    static char names[256][96];
    static size_t npool;
    size_t len = strlen(name);
    if (len >= sizeof names[0])
        return NULL;
    int known = 0;
    for (size_t i = 0; i < sizeof app_prefixes / sizeof app_prefixes[0]; i++)
        known |= strncmp(name, app_prefixes[i], strlen(app_prefixes[i])) == 0;
    if (!known || name[len - 1] == '.' || !query_path_indexed(name))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(islower(c) || isdigit(c) || c == '_' || c == '.') || (c == '.' && name[i + 1] == '.'))
            return NULL;
    }
    for (size_t i = 0; i < npool; i++)
        if (strcmp(names[i], name) == 0)
            return &pool[i];
    if (npool == sizeof pool / sizeof pool[0])
        return NULL;
    memcpy(names[npool], name, len + 1);
    pool[npool] =
        (struct qfield){names[npool], QF_TEXT, {APP_TEXT, NULL}, 1, 0, 0, 0, names[npool], NULL};
    return &pool[npool++];
}

const struct query_field_doc *query_fields(size_t *n)
{
    *n = NFIELDS;
    return docs;
}

const char *qfield_type(const struct qfield *f)
{
    if (f < fields || f >= fields + NFIELDS)
        return "text"; /* a record path found by app_dynamic() */
    return docs[f - fields].type;
}

/* Calls fn on every name and alias of field i; stops when fn returns non-zero. */
static int each_name(size_t i, int (*fn)(const char *s, size_t n, void *ctx), void *ctx)
{
    if (fn(docs[i].name, strlen(docs[i].name), ctx))
        return 1;
    const char *a = docs[i].aliases;
    while (*a) {
        size_t n = strcspn(a, " ");
        if (n && fn(a, n, ctx))
            return 1;
        a += n;
        a += *a == ' ';
    }
    return 0;
}

struct find_ctx {
    const char *name;
    size_t len;
    int hits; /* 1 = canonical, 2 = alias */
};

static int find_one(const char *s, size_t n, void *ctx)
{
    struct find_ctx *f = ctx;
    f->hits++;
    return n == f->len && strncasecmp(s, f->name, n) == 0;
}

const struct qfield *qfield_find(const char *name, int *is_alias)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        struct find_ctx c = {name, strlen(name), 0};
        if (each_name(i, find_one, &c)) {
            if (is_alias)
                *is_alias = c.hits > 1;
            return &fields[i];
        }
    }
    if (is_alias)
        *is_alias = 0;
    return app_dynamic(name);
}

/* Levenshtein distance, case-insensitive, of two short strings (both <= 64 bytes). */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t sub =
                diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t best = sub;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

struct suggest_ctx {
    const char *name;
    size_t len, best;
    const char *hit;
    size_t hit_len;
};

static int suggest_one(const char *s, size_t n, void *ctx)
{
    struct suggest_ctx *c = ctx;
    if (n > 64)
        return 0;
    size_t d = distance(c->name, c->len, s, n);
    if (d < c->best) {
        c->best = d;
        c->hit = s;
        c->hit_len = n;
    }
    return 0;
}

int qfield_suggest(const char *name, char *dst, size_t n)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64)
        return 0;
    /* Close enough to be a typo: about one edit in four characters, one to three. */
    size_t limit = (len + 2) / 4;
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    struct suggest_ctx c = {name, len, limit + 1, NULL, 0};
    for (size_t i = 0; i < NFIELDS; i++)
        each_name(i, suggest_one, &c);
    if (!c.hit || c.hit_len >= n)
        return 0;
    memcpy(dst, c.hit, c.hit_len);
    dst[c.hit_len] = '\0';
    return 1;
}

/*
 * Record paths that hold indicators, and how (ioc/match.c matches the same paths the same way;
 * URLs, certificate serials and e-mail addresses need its normalisation and are left to it).
 */
static const struct {
    const char *path;
    enum qioc_style style;
    const char *type;
} ioc_paths[] = {
    {"dns.question.name", QI_NAME, "domain"},
    {"dns.answers.data", QI_NAME_LAST, "domain"},
    {"dns.resolved_ip", QI_ADDRTEXT, "ip"},
    {"tls.client.server_name", QI_NAME, "domain"},
    {"tls.server.x509.subject.common_name", QI_NAME, "domain"},
    {"tls.server.x509.alternative_names", QI_NAME, "domain"},
    {"url.domain", QI_NAME, "domain"},
    {"user_agent.original", QI_EXACT, "ua"},
    {"tls.client.ja3", QI_EXACT, "ja3"},
    {"tls.server.ja3s", QI_EXACT, "ja3s"},
    {"tls.client.ja4", QI_LOWER, "ja4"},
    {"tls.server.hash.sha1", QI_EXACT, "cert-sha1"},
    {"tls.server.hash.sha256", QI_EXACT, "cert-sha256"},
    {"tls.server.chain.sha1", QI_EXACT, "cert-sha1"},
    {"tls.server.chain.sha256", QI_EXACT, "cert-sha256"},
    {"file.hash.md5", QI_EXACT, "md5"},
    {"file.hash.sha1", QI_EXACT, "sha1"},
    {"file.hash.sha256", QI_EXACT, "sha256"},
};

enum qioc_style qfield_ioc(const struct qfield *f, const char **type)
{
    *type = NULL;
    if (f->kind == QF_IP && !f->path && !f->sub) {
        *type = "ip";
        return QI_ENDPOINT;
    }
    for (size_t i = 0; f->path && i < sizeof ioc_paths / sizeof ioc_paths[0]; i++) {
        if (strcmp(f->path, ioc_paths[i].path) == 0) {
            *type = ioc_paths[i].type;
            return ioc_paths[i].style;
        }
    }
    return QI_NONE;
}

const char *query_ioc_schema(void)
{
    /* what the IOC fields and sets read (ioc/iocdb.c has the full tables), for a store without
       one */
    return "CREATE TEMP TABLE indicators(id INTEGER PRIMARY KEY, type TEXT, value TEXT,"
           " valid_until_ns INTEGER, lo BLOB, hi BLOB);"
           "CREATE TEMP TABLE ioc_sources(ioc INTEGER, source TEXT);"
           "CREATE TEMP TABLE findings(ioc INTEGER, session INTEGER, field TEXT, observed TEXT);";
}
