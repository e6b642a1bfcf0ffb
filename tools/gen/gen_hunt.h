/*
 * gen_hunt.h — internals of --scenario hunt shared by gen_hunt.c (the enterprise, its
 * schedule and the hunt truth) and gen_hunt_app.c (the application conversations).
 */
#ifndef KONSEKI_TOOLS_GEN_GEN_HUNT_H
#define KONSEKI_TOOLS_GEN_GEN_HUNT_H

#include "gen.h"

/* TLS 1.2 ClientHello shapes: Windows SChannel (WinINet, .NET) and a Python/OpenSSL script. */
extern const struct gen_tls_hello hunt_tls_schannel, hunt_tls_python;
/* Server answers: to a client that offered ALPN (http/1.1 chosen), and to one that did not. */
extern const struct gen_tls_shello hunt_sh_alpn, hunt_sh_plain;

/* One HTTP/1.1 request and its response; bodies are text when given, else pool bytes. */
struct hunt_http {
    const char *method, *host, *uri, *ua;
    const char *req_headers; /* extra request header lines, each ending in CRLF, or NULL */
    const char *req_text;    /* request body text, or NULL for req_len pool bytes */
    uint32_t req_len;
    int status;
    const char *ctype;
    const char *resp_headers; /* extra response header lines, or NULL */
    const char *resp_text;    /* response body text, or NULL for resp_len pool bytes */
    uint32_t resp_len;
    const char *server;
};
/* Append the exchange to sc; the first one also writes host/method/uri/status to the truth. */
void hunt_http(struct gen_script *sc, int64_t t, const struct hunt_http *x);

/* The certificates of the scenario (freed with hunt_certs_free). */
enum { CERT_CS, CERT_ILO, CERT_RDP, CERT_LEAF_FIRST };
int hunt_cert_cs(struct world *w, struct gen_cert *pc);
int hunt_cert_self(struct world *w, struct rng *r, const char *const (*subject)[2],
                   int64_t not_before, int64_t not_after, struct gen_cert *pc);
int hunt_cert_leaf(struct world *w, struct rng *r, const char *name, struct gen_cert *pc);

/*
 * TLS 1.2 session with a certificate: handshake and napp exchanges, plus its truth.  With
 * sid, the server hands out that session id; with resume as well, the session is resumed
 * instead (abbreviated handshake, no certificate on the wire).
 */
int hunt_tls(struct gen_script *sc, struct world *w, struct rng *r, const struct gen_cert *pc,
             const char *sni, const struct gen_tls_hello *h, const uint8_t *sid, int resume,
             const uint32_t (*app)[2], size_t napp);

/* DNS TXT query with one TXT answer, and its truth (qname, qtype, rcode). */
void hunt_dns_txt(struct gen_script *sc, struct rng *r, const char *qname, const char *txt);

/* Kerberos AS exchange of user: a normal logon (PREAUTH_REQUIRED, then AS-REP), or one
 * AS-REQ answered by error code (6 unknown principal, 24 pre-authentication failed). */
void hunt_krb(struct gen_script *sc, struct rng *r, int64_t t, const char *user, int error);

/* WinRM over HTTP (TCP 5985): SPNEGO/NTLM, then encrypted SOAP posts to /wsman. */
int hunt_winrm(struct gen_script *sc, struct rng *r, int64_t t, const char *host, const char *user,
               const char *ws, int posts);

/* DCE/RPC over TCP: an endpoint mapper lookup (TCP 135) of an interface, answered with port;
 * a scheduled task registered over ITaskSchedulerService (clear stubs); DCSync over drsuapi
 * (NTLMSSP, packet privacy: sealed stubs of the given response sizes). */
enum { HUNT_IF_TSCH, HUNT_IF_DRSUAPI };
int hunt_epm(struct gen_script *sc, struct rng *r, int iface, const uint8_t ip[4], uint16_t port);
int hunt_tsch(struct gen_script *sc, struct rng *r, uint16_t tcp_port, const char *task,
              const char *command);
int hunt_dcsync(struct gen_script *sc, struct rng *r, int64_t t, uint16_t tcp_port,
                const char *user, const char *ws, uint32_t rounds);

/* LDAP (TCP 389): simple bind as dn, one subtree search of base with filter attr=value
 * answered by n entries. */
int hunt_ldap(struct gen_script *sc, struct rng *r, const char *dn, const char *base,
              const char *attr, const char *value, const char *const *entries, size_t n);

/* RDP (TCP 3389): X.224 Connection Request with cookie / Confirm (CredSSP), then TLS 1.2. */
int hunt_rdp(struct gen_script *sc, struct world *w, struct rng *r, const char *cookie,
             const struct gen_cert *pc, const char *sni);

#endif
