/*
 * gen.h — internals of konseki-gen, the deterministic traffic generator.
 *
 * The idea: every session is a small state machine (struct sess) that yields
 * packet descriptions (struct pdesc) in its own time order from its own PRNG.
 * A heap merges the live sessions by timestamp; the wire module turns each
 * description into link + IP + transport bytes with correct lengths and
 * checksums, straight into a large output buffer.
 *
 * Because a session depends only on its own state, a copy of it can be run
 * ahead without writing anything (the "dry run"): that gives the ground-truth
 * record (packets, bytes, first/last time) at the moment the session starts,
 * so truth lines come out in start order, --size knows exactly how big the file
 * will be, and every session of the real run is checked against its truth
 * line when it ends.
 *
 * Nothing that reaches the output reads the clock, rand() or libm: the same
 * arguments give the same bytes on every machine.
 */
#ifndef KONSEKI_TOOLS_GEN_GEN_H
#define KONSEKI_TOOLS_GEN_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gen_script;

/* ------------------------------------------------------------------ PRNG (gen_rand.c) */

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
struct rng {
    uint64_t s[4];
};

void gen_rng_seed(struct rng *r, uint64_t seed);
uint64_t gen_rng_next(struct rng *r);
/* Uniform in [0, n); n = 0 gives 0. */
uint32_t gen_rng_below(struct rng *r, uint32_t n);
/* Uniform in [lo, hi]. */
uint64_t gen_rng_range(struct rng *r, uint64_t lo, uint64_t hi);
/* 1 with probability permille / 1000. */
int gen_rng_chance(struct rng *r, uint32_t permille);
/* Roughly log-uniform in [lo, hi] (integer only: a uniform bit length, then a uniform value). */
uint64_t gen_rng_logu(struct rng *r, uint64_t lo, uint64_t hi);
/* Seed child from parent (both go on independently). */
void gen_rng_split(struct rng *parent, struct rng *child);
void gen_rng_fill(struct rng *r, uint8_t *p, size_t n);
/* Skewed index in [0, n): low indexes are popular (minimum of three uniforms). */
uint32_t gen_rng_popular(struct rng *r, uint32_t n);

/* ------------------------------------------------------------------ world (gen_world.c) */

enum gen_os { OS_LINUX, OS_WINDOWS, OS_MAC, OS_NET };

struct host {
    uint8_t v4[4];
    uint8_t v6[16];
    uint8_t has_v6;
    uint8_t mac[6];
    uint8_t os;     /* enum gen_os: TCP options, TTL, ephemeral ports, ping payload */
    uint8_t ttl;    /* TTL / hop limit of its packets as they reach the capture point */
    uint8_t subnet; /* 0 = remote (frames carry the router's MAC), else a local subnet */
    uint8_t nvlan;  /* tags of its subnet on the captured trunk (outer first) */
    uint16_t vlan[2];
    uint16_t next_port;  /* ephemeral port allocator (clients) */
    uint8_t agent;       /* index of its browser user agent / TLS client profile */
    int64_t quiet_until; /* no new ping from this host before then (see gen_spawn_mix) */
    char name[64];       /* DNS name (servers), "" for clients */
};

struct world {
    struct host *clients;
    uint32_t nclients;
    struct host *web; /* external HTTPS servers, most popular first */
    uint32_t nweb;
    struct host *plain; /* external plain-HTTP servers (updates, OCSP, captive checks) */
    uint32_t nplain;
    struct host resolver[2];
    struct host intranet;       /* internal web server */
    struct host syslog;         /* internal syslog collector */
    struct host ntp[3];         /* external NTP pool servers */
    struct host router;         /* default gateway: MAC of every remote endpoint */
    uint32_t scanner;           /* index into clients[] of the host that scans */
    uint8_t *pool;              /* random bytes: encrypted / binary payloads */
    size_t pool_len;            /* usable length; GEN_POOL_SLACK more bytes follow */
    char *text;                 /* printable words: HTML-ish bodies, syslog text */
    size_t text_len;            /* usable length; GEN_POOL_SLACK more bytes follow */
    struct gen_script *scripts; /* planted conversations (gen_plant.c); freed with the world */
    void *tls_key;              /* the test key (EVP_PKEY), parsed on first use; freed with it */
};

#define GEN_POOL_SLACK 65536

int gen_world_init(struct world *w, uint64_t seed);
void gen_world_release(struct world *w);
/* Next ephemeral source port of h (Linux 32768-60999, Windows/macOS 49152-65535). */
uint16_t gen_world_port(struct host *h, struct rng *r);

/* ------------------------------------------------------------------ sessions (gen_sess.c) */

enum gen_kind {
    K_HTTP,
    K_TLS,
    K_DNS,
    K_NTP,
    K_SYSLOG,
    K_ICMP,
    K_SCAN,
    K_REJECT,
    K_SSH, /* the kinds below occur only in planted sessions (--scenario plant) */
    K_SMB,
    K_KRB,
    K_CONNECT, /* the kinds below occur only in --scenario hunt */
    K_DCERPC,
    K_LDAP,
    K_RDP,
    K__COUNT
};
enum gen_variant { V_NORMAL, V_LONG, V_REUSE, V_BULK, V_UPLOAD };
enum gen_close { C_NONE, C_FIN, C_RST };
/* BODY_BLOB: the body is body_len bytes at blob (a planted script's bytes). */
enum gen_body { BODY_RAW, BODY_TEXT, BODY_TLS, BODY_BLOB };
/* TCP option layouts (struct pdesc.opt). */
enum gen_opt { OPT_NONE, OPT_SYN, OPT_SYNACK, OPT_TS, OPT_SCAN };

#define GEN_LIT_MAX 1536
/* A full TLS application_data record: header + 2^14 + content type + 16-byte AEAD tag. */
#define GEN_TLS_REC (5u + 16384u + 17u)
#define GEN_NOTE_MAX 384

/*
 * One application message in one direction: literal bytes (headers, handshake,
 * DNS message …) followed by body_len generated bytes.  TCP cuts it into
 * segments; UDP and ICMP send it whole.
 */
struct msg {
    uint32_t lit_len;
    uint32_t body_len;
    uint32_t sent;       /* bytes already put in segments */
    uint32_t body_seed;  /* where in the pool the body starts */
    uint8_t body_type;   /* enum gen_body */
    const uint8_t *blob; /* BODY_BLOB: borrowed from a struct gen_script */
    uint8_t lit[GEN_LIT_MAX];
};

/* One packet to write. */
struct pdesc {
    int64_t ts;    /* ns, already quantised to the output resolution */
    uint8_t dir;   /* 0 = initiator → responder */
    uint8_t flags; /* TCP flags */
    uint8_t opt;   /* enum gen_opt */
    uint8_t frag;  /* 1: an IP fragment of the datagram in m[dir] */
    uint8_t frag_more;
    uint16_t win;
    uint32_t seq, ack; /* TCP; ICMP echo: seq in seq */
    uint32_t off, len; /* payload = m[dir] bytes [off, off + len) */
    uint32_t frag_off; /* fragment: offset into the IP payload (a multiple of 8) */
    uint32_t frag_len; /* fragment: bytes of IP payload in this frame */
};

struct tstats {
    int64_t first, last;
    uint64_t pkts[2], bytes[2], payload[2];
    uint32_t frags;
};

struct sess {
    uint64_t id; /* creation order, for tie-breaks */
    struct rng rng;
    struct host *cli, *srv;
    uint8_t ipver, proto; /* 4/6; 6, 17, 1, 58 */
    uint8_t kind, variant, close_how, profile;
    uint16_t cport, sport; /* ICMP: cport = echo identifier */
    uint8_t caddr[16], saddr[16];
    uint16_t vlan[2];
    uint8_t nvlan;
    uint8_t ttl[2];
    uint32_t flowlabel[2];
    /* timing */
    int64_t t;            /* unquantised time of the next packet */
    int64_t rtt;          /* as seen from the capture point (next to the client) */
    int64_t end_at;       /* V_LONG: keep exchanging until then */
    uint32_t ns_per_byte; /* bottleneck pacing of bulk segments */
    int state;
    int done;
    /* TCP */
    uint32_t isn[2], nxt[2];
    uint16_t mss;     /* payload bytes per full segment */
    uint16_t srv_mss; /* MSS the server advertises */
    uint16_t win[2], synwin[2];
    uint8_t ts_ok;
    uint8_t unacked[2]; /* segments received by side i that it has not acked */
    uint8_t cur, closer, after, acker;
    uint8_t reuse_left; /* V_REUSE: a follow-up on the same 5-tuple is still to come */
    uint8_t want_ok;    /* HTTP: always answer 200 (fixed scenarios) */
    uint8_t scan_syn;   /* SYN with nmap's options (MSS only, window 1024) */
    uint16_t nex, ex;   /* exchanges planned / done */
    int64_t gap_left;   /* pacing still owed after an interleaved ACK */
    /* UDP / ICMP */
    uint16_t reps, rep; /* echo pairs */
    uint8_t nfrags, fragi, answered;
    /* build-time state (only the real run touches it; never changes sizes) */
    uint16_t ipid[2];
    uint32_t tsbase[2], last_tsval[2];
    /* ground truth */
    char note[GEN_NOTE_MAX]; /* extra JSON members: ,"sni":"…" */
    size_t note_len;
    uint32_t req_size[2];            /* plan: request body / record bytes, [lo, hi] */
    uint32_t resp_size[2];           /* plan: response body / record bytes, [lo, hi] */
    struct tstats st;                /* accumulated by the real run */
    struct tstats plan;              /* what the dry run said (the truth line) */
    const struct gen_script *script; /* planted: messages and truth come from it (borrowed) */
    uint16_t tag;                    /* --scenario hunt: 1 + index of its hunt-truth item */
    uint8_t snap;                    /* bulk: frames of pure body are cut to cfg.snap bytes */
    struct msg m[2];
};

struct gen_cfg {
    int link;   /* enum gen_link */
    int format; /* enum gen_format */
    int64_t tq; /* timestamp quantum in ns (1000 for µs pcap) */
    int mix;    /* enum gen_mix */
    /*
     * Snap length for the body frames of sessions with s->snap (0: never cut).  A frame
     * is cut only where its payload holds nothing but generated body bytes: headers,
     * handshakes and script bytes are always captured whole (see gen_wire_caplen).
     */
    uint32_t snap;
};

enum gen_mix { MIX_DEFAULT, MIX_BULK, MIX_SMALL };

/*
 * Step s once: fill *d with its next packet.  Returns 1 if more packets follow,
 * 0 if that was the last.  Uses only s (and the read-only world).
 */
int gen_sess_step(struct sess *s, const struct world *w, const struct gen_cfg *c, struct pdesc *d);
/* Quantised time of the next packet. */
static inline int64_t gen_sess_key(const struct sess *s, const struct gen_cfg *c)
{
    return s->t - s->t % c->tq;
}

/* Session factory: the spawner pushes what it creates through this callback. */
typedef int (*gen_push_fn)(void *ctx, struct sess *s);

/*
 * Create the sessions of one arrival of the mix at time t (1 or more: a web
 * visit is a DNS lookup then a connection; a scan is a burst of probes).
 */
int gen_spawn_mix(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                  uint64_t *next_id, gen_push_fn push, void *ctx);
/* Fixed scenarios: "basic", "long", "frag", "plant".  Returns KS_EINVAL for an unknown name. */
int gen_spawn_scenario(const char *name, struct world *w, const struct gen_cfg *c, struct rng *r,
                       int64_t t, uint64_t *next_id, gen_push_fn push, void *ctx);
/* Push s (NULL: out of memory) through push; free it if push refuses it. */
int gen_sess_push(gen_push_fn push, void *ctx, struct sess *s);
/* The follow-up of a V_REUSE session that just ended (same 5-tuple, new ISNs), or NULL. */
struct sess *gen_sess_reuse_next(struct sess *done, const struct gen_cfg *c, uint64_t id);
void gen_sess_free(struct sess *s);
/*
 * A session that plays script sc (TCP: one exchange per pair, client first; UDP: one
 * datagram per message, a pair without an answer ends it).  proto 6 or 17.
 */
struct sess *gen_sess_scripted(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                               uint64_t *id, struct host *cli, struct host *srv, uint8_t proto,
                               uint16_t port, int kind, const struct gen_script *sc);

/*
 * Single sessions for scenarios that place their own traffic (IPv4 only): a TCP session
 * of kind K_SCAN / K_REJECT / a connect-only check (set nex = 0), a web session (K_TLS
 * on 443 or K_HTTP on 80, with a variant's plan of sizes), a DNS lookup of name answered
 * by srv (A with target's address, or NXDOMAIN), an NTP poll of srv.
 */
struct sess *gen_sess_tcp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, uint16_t port,
                          int kind);
struct sess *gen_sess_web(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, int kind, int variant);
struct sess *gen_sess_dns(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, const char *name,
                          uint16_t qtype, const struct host *target, int nx);
struct sess *gen_sess_ntp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv);

const char *gen_sess_kind_name(int kind);
const char *gen_sess_variant_name(int variant);
const char *gen_sess_close_name(int close_how);

/* ------------------------------------------------------------------ application bytes (gen_app.c)
 */

/* Request in m (body = POST body size, 0 = GET); with_note adds host/method/uri to s->note. */
void gen_app_http_request(struct sess *s, struct msg *m, uint32_t body, int with_note);
void gen_app_http_response(struct sess *s, struct msg *m, uint32_t body, int with_note);
void gen_app_tls_client_hello(struct sess *s, struct msg *m, int with_note);
void gen_app_tls_server_flight(struct sess *s, struct msg *m, uint32_t encrypted);
/* Encrypted application data: `bytes` of TLS records; first = include CCS + Finished. */
void gen_app_tls_data(struct sess *s, struct msg *m, uint32_t bytes, int client_first);
/* DNS query and answer for name; qtype 1 (A) or 28 (AAAA); target gives the addresses. */
void gen_app_dns(struct sess *s, const char *name, uint16_t qtype, const struct host *target,
                 int nxdomain);
void gen_app_ntp(struct sess *s, int64_t t);
void gen_app_syslog(struct sess *s, uint32_t size, int64_t t);
void gen_app_icmp_data(struct sess *s, int64_t t);
/* name in DNS wire format (RFC 1035 §3.1: labels, then a zero byte) into out; returns its
 * length (at most cap: a longer name is cut). */
size_t gen_app_dns_name(const char *name, uint8_t *out, size_t cap);
/* "Mon, 15 Jan 2024 10:00:00 GMT" style date for HTTP. */
void gen_app_http_date(int64_t ns, char *dst, size_t n);
/* Append printf-style text to s->note (truncated at GEN_NOTE_MAX). */
void gen_sess_note(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ planted sessions (gen_plant.c)
 */

/*
 * A growable byte buffer with a hard cap (GEN_BB_CAP); writes past the cap set
 * err and are dropped, so a bug shows up as an error instead of a huge file.
 */
#define GEN_BB_CAP (4u << 20)
struct gen_bb {
    uint8_t *p;
    size_t len, cap;
    int err;
};

void gen_bb_put(struct gen_bb *b, const void *p, size_t n);
void gen_bb_u8(struct gen_bb *b, uint32_t v);
void gen_bb_u16(struct gen_bb *b, uint32_t v); /* big-endian */
void gen_bb_u24(struct gen_bb *b, uint32_t v);
void gen_bb_u32(struct gen_bb *b, uint32_t v);
void gen_bb_u16le(struct gen_bb *b, uint32_t v);
void gen_bb_u32le(struct gen_bb *b, uint32_t v);
void gen_bb_u64le(struct gen_bb *b, uint64_t v);
void gen_bb_zero(struct gen_bb *b, size_t n);
void gen_bb_rand(struct gen_bb *b, struct rng *r, size_t n);
void gen_bb_str(struct gen_bb *b, const char *s);
void gen_bb_utf16(struct gen_bb *b, const char *ascii); /* UTF-16LE, no terminator */
void gen_bb_printf(struct gen_bb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal: quotes, backslashes and control characters escaped. */
void gen_bb_json(struct gen_bb *b, const char *s);
/* Overwrite width bytes at off with v, big- or little-endian. */
void gen_bb_patch(struct gen_bb *b, size_t off, int width, uint64_t v, int little);
/* Pad with zeros to a multiple of align counted from base. */
void gen_bb_align(struct gen_bb *b, size_t base, size_t align);
void gen_bb_free(struct gen_bb *b);

/*
 * DER (ITU-T X.690): der_open writes tag and returns where the contents start;
 * der_close inserts the minimal length in front of them.
 */
size_t gen_der_open(struct gen_bb *b, uint32_t tag);
void gen_der_close(struct gen_bb *b, size_t start);
void gen_der_int(struct gen_bb *b, int64_t v);
void gen_der_oid(struct gen_bb *b, const uint8_t *body, size_t n); /* encoded arcs */
void gen_der_octets(struct gen_bb *b, const void *p, size_t n);

/* Pairs one script may hold (a session counts its exchanges in 16 bits). */
#define GEN_SCRIPT_PAIRS 65535u

/*
 * A planted conversation: pairs of messages (client, server) and the extra truth
 * members that state what a parser must extract from them.  Owned by the world
 * (struct world.scripts), read-only once its sessions run; several sessions may
 * play the same script.
 *
 * A message is len bytes of data at off, followed by tail bytes of the world's
 * random pool when tail is non-zero (bulk file data that need not be stored:
 * then len must fit struct msg.lit).
 */
struct gen_script {
    struct gen_script *next;
    struct gen_bb data;  /* every message's bytes */
    struct gen_bb truth; /* ,"key":value … appended to the session's truth line */
    uint32_t npairs, cap;
    uint32_t (*off)[2], (*len)[2], (*tail)[2];
    size_t open;        /* start of the message being written */
    uint32_t tail_open; /* pool bytes after the message being written */
    struct host srv;    /* the server the script talks to */
};

/* A new script owned by w (NULL when out of memory). */
struct gen_script *gen_script_new(struct world *w);
/* Start a message; end it as direction dir (0 client, 1 server).  The server ends a pair. */
void gen_script_begin(struct gen_script *sc);
void gen_script_end(struct gen_script *sc, int dir);
/* The message being written ends with n bytes of the random pool (after its data). */
void gen_script_tail(struct gen_script *sc, uint32_t n);
/* End a pair that has no answer (UDP: the query is lost). */
void gen_script_unanswered(struct gen_script *sc);
void gen_script_free_all(struct world *w);
/* Hex digest of p: md "md5", "sha1" or "sha256" (libcrypto EVP); out holds 65 bytes. */
void gen_digest_hex(const char *md, const void *p, size_t n, char *out);

/* A DNS question and its answer records (gen_plant.c). */
struct gen_dns_rr {
    uint16_t type; /* 1 A, 5 CNAME, 15 MX, 16 TXT, 28 AAAA */
    const char *owner;
    const char *data; /* A/AAAA text, CNAME target, TXT text (at most 255 bytes), MX exchange */
    uint16_t pref;    /* MX */
};
struct gen_dns_q {
    const char *qname;
    uint16_t qtype;
    uint8_t rcode; /* 0 NOERROR, 3 NXDOMAIN (an SOA of the parent zone goes with it) */
    uint8_t answered;
    uint8_t nrr;
    struct gen_dns_rr rr[3];
};
/* Query and answer (or no answer) of p into sc, UDP or TCP (length-prefixed); id from r. */
void gen_dns_script(struct gen_script *sc, struct rng *r, const struct gen_dns_q *p, int tcp);

/*
 * Kerberos 5 messages of realm CORP.EXAMPLE (gen_plant.c): an AS-REQ for user's TGT (with
 * PA-ENC-TIMESTAMP when with_ts), a KRB-ERROR with the given code (25, PREAUTH_REQUIRED,
 * carries PA-ETYPE-INFO2), an AS-REP.  Cipher texts are random bytes.
 */
void gen_krb_as_req(struct gen_bb *b, struct rng *r, uint32_t nonce, int with_ts, const char *user);
void gen_krb_error(struct gen_bb *b, int64_t t, int code, const char *user);
void gen_krb_as_rep(struct gen_bb *b, struct rng *r, const char *user);

/*
 * X.509 and TLS 1.2 (gen_plant.c).  Certificates are signed with one fixed RSA-2048 test
 * key (RSA PKCS#1 v1.5 is deterministic, so the bytes depend only on the inputs).
 */
#define GEN_CERT_RDNS 8
struct gen_cert_spec {
    const char *subject[GEN_CERT_RDNS][2]; /* {"C", "JP"}, {"CN", "x"} …, in order; {NULL} ends */
    const char *issuer[GEN_CERT_RDNS][2];  /* empty: self-signed (issuer = subject) */
    uint64_t serial;                       /* 0: eight random bytes from r */
    int64_t not_before, not_after;         /* seconds since the epoch */
    const char *san;                       /* "DNS:name" or NULL for no extension */
};
struct gen_cert {
    uint8_t *der; /* owned: gen_cert_free */
    int der_len;
    char serial[40]; /* 16 hex digits */
};
int gen_cert_make(struct world *w, struct rng *r, const struct gen_cert_spec *cs,
                  struct gen_cert *pc);
void gen_cert_free(struct gen_cert *pc);

/* A ClientHello shape: cipher suites, extension types in order, supported groups. */
struct gen_tls_hello {
    const uint16_t *suites;
    size_t nsuites;
    const uint16_t *exts;
    size_t nexts;
    const uint16_t *groups;
    size_t ngroups;
};
/* The server's choice: an ECDHE_RSA suite and the extensions it answers with. */
struct gen_tls_shello {
    uint16_t suite;
    const uint16_t *exts;
    size_t nexts;
};
extern const struct gen_tls_hello gen_tls_chrome;
/*
 * A full TLS 1.2 ECDHE-RSA handshake with certificate pc (ServerKeyExchange signed with
 * the test key), then napp exchanges of one application_data record each way, app[k] =
 * {client, server} record payload bytes.  Appends 2 + napp pairs to sc.  sid: the
 * session id the server assigns (NULL: random), for later gen_tls12_resume.
 */
int gen_tls12_script(struct gen_script *sc, struct world *w, struct rng *r,
                     const struct gen_cert *pc, const char *sni, const struct gen_tls_hello *h,
                     const struct gen_tls_shello *sh, const uint8_t *sid, const uint32_t (*app)[2],
                     size_t napp);
/* The abbreviated handshake resuming session sid (RFC 5246 §7.3), then napp >= 1 exchanges. */
int gen_tls12_resume(struct gen_script *sc, struct rng *r, const char *sni,
                     const struct gen_tls_hello *h, const struct gen_tls_shello *sh,
                     const uint8_t sid[32], const uint32_t (*app)[2], size_t napp);

/* "plant": every planted conversation, one after the other from t. */
int gen_plant_spawn(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                    uint64_t *id, gen_push_fn push, void *ctx);
/*
 * SMB2 conversations (gen_smb.c), message by message into a script: gen_smb_begin writes
 * NEGOTIATE and the two NTLMSSP SESSION_SETUPs; then TREE_CONNECT (\\\\HOST\\share),
 * CREATE (how: GEN_SMB_*; size = end of file of an existing file), WRITE and READ of n
 * bytes at off (the data are pool bytes, not stored), CLOSE.  Errors stick in sc->data.err.
 */
enum { GEN_SMB_PIPE, GEN_SMB_WRITE, GEN_SMB_READ };
struct gen_smb {
    struct gen_script *sc;
    struct gen_bb *b;
    struct rng *r;
    uint64_t mid, sid;
    uint32_t tid;
    size_t nb_at;
    uint64_t filetime;
    uint32_t call_id, refid;
    uint64_t written;
};
int gen_smb_begin(struct gen_smb *m, struct gen_script *sc, struct rng *r, int64_t t,
                  const char *user, const char *domain, const char *workstation);
void gen_smb_tree(struct gen_smb *m, const char *path, int pipe);
void gen_smb_open(struct gen_smb *m, const char *name, int how, uint64_t size, uint8_t fid[16]);
void gen_smb_write(struct gen_smb *m, const uint8_t fid[16], uint32_t n, uint64_t off);
void gen_smb_read(struct gen_smb *m, const uint8_t fid[16], uint32_t n, uint64_t off);
void gen_smb_close(struct gen_smb *m, const uint8_t fid[16]);
/*
 * DCE/RPC connection-oriented PDUs (gen_smb.c), each built alone in b (offsets count from
 * b's start): bind of one interface (uuid in NDR byte order) with NDR 2.0, its bind_ack
 * naming the server's endpoint (port: "\\PIPE\\svcctl" or "49667"), a request (resp 0)
 * or response header whose stub the caller appends, then gen_rpc_call_done.
 */
void gen_rpc_bind(struct gen_bb *b, uint32_t call_id, const uint8_t uuid[16], uint16_t vmaj,
                  uint16_t vmin);
void gen_rpc_bind_ack(struct gen_bb *b, uint32_t call_id, uint32_t group, const char *port);
void gen_rpc_call(struct gen_bb *b, int resp, uint32_t call_id, uint16_t opnum);
void gen_rpc_call_done(struct gen_bb *b);
/* NDR conformant varying UTF-16 string with its NUL, padded to 4 from the stub start (24). */
void gen_ndr_wstr(struct gen_bb *b, const char *s);
/*
 * The three NTLMSSP messages ([MS-NLMP] 2.2.1: NEGOTIATE, CHALLENGE of server sc->srv,
 * AUTHENTICATE of domain\user from workstation) into out[0..2] (owned by the caller).
 */
int gen_ntlm_triple(struct gen_script *sc, struct rng *r, int64_t t, const char *user,
                    const char *domain, const char *workstation, struct gen_bb out[3]);
/* SMB2 PsExec-like conversation (gen_smb.c) into sc; user, domain, workstation as named. */
int gen_smb_psexec(struct gen_script *sc, struct rng *r, int64_t t, const char *user,
                   const char *domain, const char *workstation);

/* ------------------------------------------------------------------ hunt scenario (gen_hunt.c)
 */

/*
 * --scenario hunt: three days of a small enterprise from start with planted threats and
 * look-alikes.  gen_hunt_new plans every activity (it may adjust w's servers); the
 * scheduler spawns the next one (gen_hunt_spawn) when its time (gen_hunt_next,
 * INT64_MAX at the end) comes before every live session's next packet, reports every
 * session that ends (gen_hunt_seen), and at the end writes the hunt truth.
 */
struct gen_hunt;
int gen_hunt_new(struct world *w, uint64_t seed, int64_t start, struct gen_hunt **out);
int64_t gen_hunt_next(const struct gen_hunt *h);
int gen_hunt_spawn(struct gen_hunt *h, struct world *w, const struct gen_cfg *c, uint64_t *id,
                   gen_push_fn push, void *ctx);
void gen_hunt_seen(struct gen_hunt *h, const struct sess *s);
/* One JSON object per planted item (threat or look-alike); KS_EIO on a write error. */
int gen_hunt_truth(const struct gen_hunt *h, FILE *f);
void gen_hunt_free(struct gen_hunt *h);

/* ------------------------------------------------------------------ wire (gen_wire.c) */

enum gen_link { LINK_ETH, LINK_SLL, LINK_SLL2, LINK_RAW, LINK_NULL };
enum gen_format { FMT_PCAP, FMT_PCAP_NS, FMT_PCAPNG };

/*
 * Largest frame we build: an IPv4/IPv6 packet of up to 64 KiB (the coalesced segments of
 * bulk sessions, see GEN_GRO_MSS) behind a link header with two tags.
 */
#define WIRE_MAX_FRAME (65536 + 128)
/* Segment size of coalesced bulk transfers (as a capture behind GRO/LRO sees them). */
#define GEN_GRO_MSS 64000

uint32_t gen_wire_linktype(int link);
/* Bytes of the frame for d (same layout gen_wire_build writes). */
uint32_t gen_wire_frame_len(const struct sess *s, const struct gen_cfg *c, const struct pdesc *d);
/* Application payload bytes carried by the frame for d (for the truth counters). */
uint32_t gen_wire_payload_len(const struct sess *s, const struct pdesc *d);
/* Record bytes in the output file for a frame of caplen captured bytes. */
uint32_t gen_wire_record_len(const struct gen_cfg *c, uint32_t caplen);
/*
 * Captured bytes of the frame for d (len on the wire): all of it, except in a session with
 * s->snap under a cfg.snap, where a frame that carries generated body bytes keeps its
 * headers and message header bytes (struct msg.lit) but at least cfg.snap bytes.
 */
uint32_t gen_wire_caplen(const struct sess *s, const struct gen_cfg *c, const struct pdesc *d,
                         uint32_t len);
/* Write the frame for d into dst (at least WIRE_MAX_FRAME bytes); returns its length. */
uint32_t gen_wire_build(uint8_t *dst, struct sess *s, const struct world *w,
                        const struct gen_cfg *c, const struct pdesc *d);
/* Copy bytes [off, off + n) of message m into dst. */
void gen_wire_msg_bytes(const struct msg *m, const struct world *w, uint32_t off, uint32_t n,
                        uint8_t *dst);
/* RFC 1071 one's-complement sum helpers. */
uint64_t gen_wire_sum(uint64_t acc, const uint8_t *p, size_t n);
uint16_t gen_wire_fold(uint64_t acc);

/* Output file: a large buffer in front of a file descriptor. */
struct out {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    uint64_t total; /* bytes written so far (including buffered) */
    int err;        /* sticky errno */
};

int gen_out_open(struct out *o, const char *path, size_t cap);
/* Write the file header (pcap global header or pcapng SHB + IDB). */
int gen_out_header(struct out *o, const struct gen_cfg *c);
/*
 * Append one packet: frame built in place, cut to gen_wire_caplen.  *frame_len is its
 * length on the wire.  Returns 0 or a negative KS_* code.
 */
int gen_out_packet(struct out *o, struct sess *s, const struct world *w, const struct gen_cfg *c,
                   const struct pdesc *d, uint32_t *frame_len);
int gen_out_close(struct out *o);
/* Bytes of the file header for c (for --size accounting). */
uint32_t gen_out_header_len(const struct gen_cfg *c);

#endif
