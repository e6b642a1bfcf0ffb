/*
 * starttls.c — minimal SMTP, IMAP, POP3 and FTP: greeting, envelope, STARTTLS.
 *
 * All four are CRLF-terminated text lines in both directions:
 *
 *   SMTP (RFC 5321 §4.1, §4.2; STARTTLS RFC 3207 §4; BDAT RFC 3030 §2)
 *     S: 220 mx.example.com ESMTP            greeting (multi-line: "220-…" then "220 …")
 *     C: EHLO client.example                 HELO / EHLO domain
 *     C: MAIL FROM:<a@example.com> SIZE=10   reverse-path
 *     C: RCPT TO:<b@example.com>             forward-path (repeated)
 *     C: DATA … CRLF.CRLF | BDAT n [LAST]    message body (skipped)
 *     C: STARTTLS            S: 220 …        then TLS
 *   IMAP (RFC 9051 §6.2.1, §7.1)   S: * OK greeting   C: a1 STARTTLS   S: a1 OK …  then TLS
 *   POP3 (RFC 1939 §4, RFC 2595 §4) S: +OK greeting    C: STLS          S: +OK …    then TLS
 *   FTP  (RFC 959 §4.2, RFC 4217 §4) S: 220 greeting   C: USER name     C: AUTH TLS  S: 234 …
 *
 * Passwords (PASS, LOGIN, AUTH PLAIN data) are never recorded.  A line longer than
 * ST_LINE_MAX is counted and skipped to its end.  One record per session (SMTP: one per
 * mail transaction) is written at DATA/BDAT, at the switch to TLS, or at the end.
 */
#include "proto/starttls.h"

#include <stdlib.h>
#include <string.h>

#define ST_LINE_MAX 4096 /* RFC 5321 §4.5.3.1.6 allows 512; IMAP lines run longer */
#define FIELD_MAX 512    /* one recorded value */
#define RCPT_MAX 32      /* recipients kept per transaction */

enum kind { K_SMTP, K_IMAP, K_POP3, K_FTP };

struct names {
    const char *type, *banner, *starttls, *line_too_long, *bad_reply;
};

static const struct names names[] = {
    {"smtp", "smtp.banner", "smtp.starttls", "smtp.line_too_long", "smtp.bad_reply"},
    {"imap", "imap.banner", "imap.starttls", "imap.line_too_long", "imap.bad_reply"},
    {"pop3", "pop3.banner", "pop3.starttls", "pop3.line_too_long", "pop3.bad_reply"},
    {"ftp", "ftp.banner", "ftp.starttls", "ftp.line_too_long", "ftp.bad_reply"},
};

struct field {
    char s[FIELD_MAX];
    size_t n;
    int set;
};

struct line_dir {
    char line[ST_LINE_MAX];
    size_t len;
    int overflow;
};

struct st_state {
    struct line_dir d[2];
    struct field banner, helo, user, mail_from;
    struct field rcpt[RCPT_MAX];
    size_t nrcpt;
    int greeted;   /* the server's greeting is over */
    int in_data;   /* SMTP: client sends a message body up to "." */
    uint64_t bdat; /* SMTP: raw BDAT bytes still to skip */
    int bdat_last; /* … and the chunk was LAST */
    int pending;   /* the upgrade command was sent, its reply not yet seen */
    char tag[64];  /* IMAP: the STARTTLS command's tag */
    int dirty;     /* something not yet written */
};

static void set_field(struct field *f, const char *s, size_t n)
{
    if (n > FIELD_MAX)
        n = FIELD_MAX;
    memcpy(f->s, s, n);
    f->n = n;
    f->set = 1;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does line (n bytes) start with word w, case-insensitively, followed by end or space? */
static int is_verb(const char *line, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)line[i]) != lower((unsigned char)w[i]))
            return 0;
    return n == k || line[k] == ' ';
}

/* The text after the first word and its spaces. */
static const char *arg_of(const char *line, size_t n, size_t *an)
{
    size_t i = 0;
    while (i < n && line[i] != ' ')
        i++;
    while (i < n && line[i] == ' ')
        i++;
    *an = n - i;
    return line + i;
}

/* "FROM:<a@b> SIZE=1" → "a@b" (RFC 5321 §4.1.2 Path; also bare "FROM:a@b"). */
static void path_of(const char *a, size_t n, struct field *f)
{
    const char *colon = memchr(a, ':', n);
    if (!colon)
        return;
    size_t i = (size_t)(colon - a) + 1;
    while (i < n && a[i] == ' ')
        i++;
    size_t j;
    if (i < n && a[i] == '<') {
        i++;
        for (j = i; j < n && a[j] != '>'; j++)
            ;
    } else {
        for (j = i; j < n && a[j] != ' '; j++)
            ;
    }
    set_field(f, a + i, j - i);
}

static void emit(struct st_state *st, struct proto_out *o, enum kind k, int starttls)
{
    if (!st->dirty && !starttls)
        return;
    const struct names *nm = &names[k];
    proto_begin(o, nm->type);
    if (st->banner.set)
        proto_str(o, nm->banner, st->banner.s, st->banner.n);
    if (k == K_SMTP) {
        if (st->helo.set)
            proto_str(o, "smtp.helo", st->helo.s, st->helo.n);
        if (st->mail_from.set)
            proto_str(o, "smtp.mail_from", st->mail_from.s, st->mail_from.n);
        for (size_t i = 0; i < st->nrcpt; i++)
            proto_str(o, "smtp.rcpt_to", st->rcpt[i].s, st->rcpt[i].n);
    }
    if (k == K_FTP && st->user.set)
        proto_str(o, "ftp.user", st->user.s, st->user.n);
    proto_bool(o, nm->starttls, starttls);
    proto_end(o);
    st->dirty = 0;
    st->mail_from.set = 0;
    st->nrcpt = 0;
}

/* ---------------------------------------------------------------- client lines */

static void client_line(struct st_state *st, struct proto_out *o, enum kind k, const char *l,
                        size_t n)
{
    size_t an;
    const char *a = arg_of(l, n, &an);
    switch (k) {
    case K_SMTP:
        if (st->in_data) {
            if (n == 1 && l[0] == '.')
                st->in_data = 0;
            return;
        }
        if (is_verb(l, n, "HELO") || is_verb(l, n, "EHLO")) {
            set_field(&st->helo, a, an);
            st->dirty = 1;
        } else if (is_verb(l, n, "MAIL")) {
            path_of(a, an, &st->mail_from);
            st->dirty = 1;
        } else if (is_verb(l, n, "RCPT")) {
            if (st->nrcpt < RCPT_MAX)
                path_of(a, an, &st->rcpt[st->nrcpt++]);
            st->dirty = 1;
        } else if (is_verb(l, n, "DATA")) {
            st->in_data = 1;
            emit(st, o, k, 0);
        } else if (is_verb(l, n, "BDAT")) {
            char num[24];
            size_t i = 0;
            while (i < an && i < sizeof num - 1 && a[i] >= '0' && a[i] <= '9') {
                num[i] = a[i];
                i++;
            }
            num[i] = 0;
            st->bdat = strtoull(num, NULL, 10);
            st->bdat_last = an > i && is_verb(a + i + 1, an - i - 1, "LAST");
        } else if (is_verb(l, n, "STARTTLS")) {
            st->pending = 1;
        }
        break;
    case K_IMAP: { /* tag SP command */
        size_t tn = 0;
        while (tn < n && l[tn] != ' ')
            tn++;
        if (tn < n && tn < sizeof st->tag && is_verb(l + tn + 1, n - tn - 1, "STARTTLS")) {
            memcpy(st->tag, l, tn);
            st->tag[tn] = 0;
            st->pending = 1;
        }
        break;
    }
    case K_POP3:
        if (is_verb(l, n, "STLS"))
            st->pending = 1;
        break;
    case K_FTP:
        if (is_verb(l, n, "USER")) {
            set_field(&st->user, a, an);
            st->dirty = 1;
        } else if (is_verb(l, n, "AUTH") && (is_verb(a, an, "TLS") || is_verb(a, an, "SSL") ||
                                             is_verb(a, an, "TLS-C") || is_verb(a, an, "TLS-P"))) {
            st->pending = 1;
        }
        break;
    }
}

/* ---------------------------------------------------------------- server lines */

/* "NNN" reply code of an SMTP/FTP line, and whether it is the last line of its reply. */
static int reply_code(const char *l, size_t n, int *last)
{
    if (n < 3 || l[0] < '1' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9')
        return -1;
    *last = n == 3 || l[3] != '-';
    return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

/* 1: the server accepted the upgrade. */
static int server_line(struct st_state *st, struct proto_out *o, enum kind k, const char *l,
                       size_t n)
{
    int last = 0, code;
    switch (k) {
    case K_SMTP:
    case K_FTP:
        code = reply_code(l, n, &last);
        if (code < 0) {
            if (k == K_SMTP || !st->greeted) /* FTP: anything may follow a 1xx */
                proto_anomaly(o, names[k].bad_reply);
            return 0;
        }
        if (!st->greeted) {
            if (!st->banner.set) {
                set_field(&st->banner, n > 4 ? l + 4 : l + n, n > 4 ? n - 4 : 0);
                st->dirty = 1;
            }
            st->greeted = last;
            return 0;
        }
        if (!last || !st->pending)
            return 0;
        if ((k == K_SMTP && code == 220) || (k == K_FTP && code == 234))
            return 1;
        if (code >= 400)
            st->pending = 0;
        return 0;
    case K_IMAP:
        if (!st->greeted) {
            st->greeted = 1;
            if (n >= 2 && l[0] == '*' && l[1] == ' ') {
                set_field(&st->banner, l + 2, n - 2);
                st->dirty = 1;
            } else {
                proto_anomaly(o, names[k].bad_reply);
            }
            return 0;
        }
        if (st->pending) {
            size_t tn = strlen(st->tag);
            if (n > tn && memcmp(l, st->tag, tn) == 0 && l[tn] == ' ') {
                st->pending = 0;
                return is_verb(l + tn + 1, n - tn - 1, "OK");
            }
        }
        return 0;
    case K_POP3:
        if (!st->greeted) {
            st->greeted = 1;
            if (is_verb(l, n, "+OK")) {
                size_t an;
                const char *a = arg_of(l, n, &an);
                set_field(&st->banner, a, an);
                st->dirty = 1;
            } else {
                proto_anomaly(o, names[k].bad_reply);
            }
            return 0;
        }
        if (st->pending && (is_verb(l, n, "+OK") || is_verb(l, n, "-ERR"))) {
            st->pending = 0;
            return l[0] == '+';
        }
        return 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- bytes to lines */

static int st_data(struct st_state *st, struct proto_out *o, enum kind k, int dir, const uint8_t *p,
                   size_t n)
{
    if (dir != 0 && dir != 1)
        return 0;
    struct line_dir *d = &st->d[dir];
    size_t i = 0;
    while (i < n) {
        if (dir == 0 && k == K_SMTP && st->bdat > 0) { /* BDAT chunk: raw bytes */
            size_t take = n - i < st->bdat ? n - i : (size_t)st->bdat;
            st->bdat -= take;
            i += take;
            if (st->bdat == 0 && st->bdat_last)
                emit(st, o, k, 0);
            continue;
        }
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        size_t take = end - i;
        if (d->len + take > ST_LINE_MAX) {
            if (!d->overflow)
                proto_anomaly(o, names[k].line_too_long);
            d->overflow = 1;
            take = ST_LINE_MAX - d->len;
        }
        memcpy(d->line + d->len, p + i, take);
        d->len += take;
        i = end;
        if (!nl)
            break;
        i++; /* the '\n' */
        size_t len = d->len;
        if (len && d->line[len - 1] == '\r')
            len--;
        int over = d->overflow;
        d->len = 0;
        d->overflow = 0;
        if (over && !(k == K_SMTP && st->in_data))
            continue;
        if (dir == 0) {
            client_line(st, o, k, d->line, len);
        } else if (server_line(st, o, k, d->line, len)) {
            emit(st, o, k, 1);
            proto_switch(o, "tls");
            return 1;
        }
    }
    return 0;
}

static int ci_contains(const uint8_t *d, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && lower(d[i + j]) == w[j])
            j++;
        if (j == k)
            return 1;
    }
    return 0;
}

static int port_is(const struct proto_ctx *c, const uint16_t *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c->srv_port == ports[i])
            return PROTO_PORT;
    return PROTO_NO;
}

#define PARSER(P, K, l4probe)                                                                      \
    static int P##_data(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,         \
                        const uint8_t *d, size_t n)                                                \
    {                                                                                              \
        (void)c;                                                                                   \
        return st_data(st, o, K, dir, d, n);                                                       \
    }                                                                                              \
    static void P##_end(void *st, struct proto_out *o, const struct proto_ctx *c)                  \
    {                                                                                              \
        (void)c;                                                                                   \
        emit(st, o, K, 0);                                                                         \
    }                                                                                              \
    const struct proto_parser proto_##P = {                                                        \
        .name = #P,                                                                                \
        .l4 = 6,                                                                                   \
        .probe = l4probe,                                                                          \
        .state_size = sizeof(struct st_state),                                                     \
        .data = P##_data,                                                                          \
        .end = P##_end,                                                                            \
    };

/* A greeting "220 … SMTP" or "220 … FTP" says which; the port decides otherwise. */
static int smtp_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    static const uint16_t ports[] = {25, 587, 2525};
    if (dir == 1 && n >= 4 && memcmp(d, "220", 3) == 0 && ci_contains(d, n, "smtp"))
        return PROTO_CONTENT;
    if (dir == 0 && n >= 5 &&
        (is_verb((const char *)d, 4, "EHLO") || is_verb((const char *)d, 4, "HELO")))
        return d[4] == ' ' ? PROTO_CONTENT : port_is(c, ports, 3);
    return port_is(c, ports, 3);
}

static int ftp_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    static const uint16_t ports[] = {21};
    if (dir == 1 && n >= 4 && memcmp(d, "220", 3) == 0 && ci_contains(d, n, "ftp"))
        return PROTO_CONTENT;
    return port_is(c, ports, 1);
}

static int imap_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    static const uint16_t ports[] = {143};
    if (dir == 1 &&
        ((n >= 5 && memcmp(d, "* OK ", 5) == 0) || (n >= 10 && memcmp(d, "* PREAUTH ", 10) == 0)))
        return PROTO_CONTENT;
    return port_is(c, ports, 1);
}

static int pop3_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    static const uint16_t ports[] = {110};
    if (dir == 1 && n >= 4 && memcmp(d, "+OK", 3) == 0 && (d[3] == ' ' || d[3] == '\r'))
        return PROTO_CONTENT;
    return port_is(c, ports, 1);
}

PARSER(smtp, K_SMTP, smtp_probe)
PARSER(imap, K_IMAP, imap_probe)
PARSER(pop3, K_POP3, pop3_probe)
PARSER(ftp, K_FTP, ftp_probe)
