/* test_proto_starttls.c — SMTP, IMAP, POP3, FTP greetings, envelopes and the switch to TLS. */
#include "proto/proto.h"
#include "proto/starttls.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

struct sess {
    const struct proto_parser *p;
    struct proto_out o;
    struct proto_ctx c;
    void *st;
    int done;
};

static void sess_init(struct sess *s, const struct proto_parser *p, uint16_t port)
{
    s->p = p;
    proto_out_init(&s->o, 0);
    memset(&s->c, 0, sizeof s->c);
    s->c.ipver = 4;
    s->c.l4 = 6;
    s->c.srv_port = port;
    s->st = calloc(1, p->state_size);
    s->done = 0;
}

/* One direction's text; 'C' client, 'S' server. */
static void say(struct sess *s, char who, const char *text)
{
    if (!s->done)
        s->done = s->p->data(s->st, &s->o, &s->c, who == 'C' ? 0 : 1, (const uint8_t *)text,
                             strlen(text));
}

static void sess_end(struct sess *s)
{
    if (!s->done && s->p->end)
        s->p->end(s->st, &s->o, &s->c);
    s->done = 1;
}

static void sess_free(struct sess *s)
{
    if (s->p->release)
        s->p->release(s->st);
    free(s->st);
    proto_out_release(&s->o);
}

TEST(smtp_envelope_and_body_skipped)
{
    struct sess s;
    sess_init(&s, &proto_smtp, 25);
    const char *greet = "220-mx.example.org ESMTP Postfix\r\n220 second line\r\n";
    ASSERT_EQ(proto_smtp.probe(&s.c, 1, (const uint8_t *)greet, strlen(greet)), PROTO_CONTENT);
    say(&s, 'S', greet);
    say(&s, 'C', "EHLO client.example.net\r\n");
    say(&s, 'S', "250-mx.example.org\r\n250 PIPELINING\r\n");
    say(&s, 'C', "MAIL FROM:<alice@example.net> SIZE=1234\r\nRCPT TO:<bob@example.org>\r\n");
    say(&s, 'C', "rcpt to: carol@example.org\r\nDATA\r\n");
    say(&s, 'S', "250 ok\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n");
    /* the body: header lines that look like commands are not commands */
    say(&s, 'C', "From: x\r\nMAIL FROM:<mallory@evil>\r\nSTARTTLS\r\n\r\nbody\r\n.\r\n");
    say(&s, 'S', "250 queued\r\n");
    say(&s, 'C', "MAIL FROM:<>\r\nRCPT TO:<dave@example.org>\r\nBDAT 12 LAST\r\nRCPT TO:<x>\r\n");
    say(&s, 'C', "QUIT\r\n");
    sess_end(&s);
    ASSERT_EQ(s.o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.banner"), "mx.example.org ESMTP Postfix");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.helo"), "client.example.net");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.mail_from"), "alice@example.net");
    ASSERT_EQ(proto_out_count(&s.o, 0, "smtp.rcpt_to"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(&s.o, 0, "smtp.rcpt_to", 1), "carol@example.org");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.starttls"), "false");
    /* second transaction: null reverse-path, BDAT's 12 raw bytes ("RCPT TO:<x>\r\n" minus one)
     * are skipped, then the LAST chunk ends the transaction */
    ASSERT_STR_EQ(proto_out_get(&s.o, 1, "smtp.mail_from"), "");
    ASSERT_EQ(proto_out_count(&s.o, 1, "smtp.rcpt_to"), 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 1, "smtp.rcpt_to"), "dave@example.org");
    ASSERT_TRUE(s.o.switch_to == NULL);
    sess_free(&s);
}

TEST(smtp_starttls_switches)
{
    struct sess s;
    sess_init(&s, &proto_smtp, 587);
    say(&s, 'S', "220 mail.example.com ESMTP ready\r\n");
    say(&s, 'C', "EHLO me\r\n");
    say(&s, 'C', "STARTTLS\r\n");
    /* the EHLO reply may still arrive after the STARTTLS command */
    say(&s, 'S', "250-mail.example.com\r\n250 STARTTLS\r\n");
    ASSERT_EQ(s.done, 0);
    say(&s, 'S', "220 2.0.0 Ready to start TLS\r\n");
    ASSERT_EQ(s.done, 1);
    ASSERT_STR_EQ(s.o.switch_to, "tls");
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.starttls"), "true");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.banner"), "mail.example.com ESMTP ready");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.helo"), "me");
    sess_free(&s);

    /* refused: no switch */
    sess_init(&s, &proto_smtp, 25);
    say(&s, 'S', "220 x ESMTP\r\n");
    say(&s, 'C', "STARTTLS\r\n");
    say(&s, 'S', "454 4.7.0 TLS not available\r\n");
    say(&s, 'S', "220 not an answer\r\n");
    sess_end(&s);
    ASSERT_TRUE(s.o.switch_to == NULL);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.starttls"), "false");
    sess_free(&s);
}

TEST(ftp_user_and_auth_tls)
{
    struct sess s;
    sess_init(&s, &proto_ftp, 21);
    const char *greet = "220 (vsFTPd 3.0.3)\r\n";
    ASSERT_EQ(proto_ftp.probe(&s.c, 1, (const uint8_t *)greet, strlen(greet)), PROTO_CONTENT);
    ASSERT_EQ(proto_smtp.probe(&s.c, 1, (const uint8_t *)greet, strlen(greet)), PROTO_NO);
    say(&s, 'S', greet);
    say(&s, 'C', "USER anonymous\r\nPASS secret@example.com\r\n");
    say(&s, 'S', "331 Please specify the password.\r\n230 Login successful.\r\n");
    say(&s, 'C', "AUTH TLS\r\n");
    say(&s, 'S', "234 Proceed with negotiation.\r\n");
    ASSERT_EQ(s.done, 1);
    ASSERT_STR_EQ(s.o.switch_to, "tls");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "ftp.banner"), "(vsFTPd 3.0.3)");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "ftp.user"), "anonymous");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "ftp.starttls"), "true");
    ASSERT_TRUE(strstr(s.o.recs[0].json, "secret") == NULL); /* never the password */
    sess_free(&s);
}

TEST(imap_tagged_starttls)
{
    struct sess s;
    sess_init(&s, &proto_imap, 143);
    const char *greet = "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n";
    ASSERT_EQ(proto_imap.probe(&s.c, 1, (const uint8_t *)greet, strlen(greet)), PROTO_CONTENT);
    say(&s, 'S', greet);
    say(&s, 'C', "a1 CAPABILITY\r\n");
    say(&s, 'S', "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n");
    say(&s, 'C', "a2 STARTTLS\r\n");
    say(&s, 'S', "a1 OK not this one\r\n");
    ASSERT_EQ(s.done, 0);
    say(&s, 'S', "a2 OK Begin TLS negotiation now.\r\n");
    ASSERT_EQ(s.done, 1);
    ASSERT_STR_EQ(s.o.switch_to, "tls");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "imap.banner"),
                  "OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.");
    sess_free(&s);
}

TEST(pop3_stls_refused_then_accepted)
{
    struct sess s;
    sess_init(&s, &proto_pop3, 110);
    say(&s, 'S', "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    say(&s, 'C', "STLS\r\n");
    say(&s, 'S', "-ERR not now\r\n");
    ASSERT_EQ(s.done, 0);
    say(&s, 'C', "STLS\r\n");
    say(&s, 'S', "+OK Begin TLS\r\n");
    ASSERT_EQ(s.done, 1);
    ASSERT_STR_EQ(s.o.switch_to, "tls");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "pop3.banner"),
                  "POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "pop3.starttls"), "true");
    sess_free(&s);
}

TEST(starttls_long_lines_and_split_input)
{
    struct sess s;
    sess_init(&s, &proto_smtp, 25);
    char *big = malloc(10000);
    ASSERT_TRUE(big != NULL);
    memset(big, 'A', 9997);
    memcpy(big + 9997, "\r\n", 3);
    say(&s, 'S', "220 ok SMTP\r\n");
    say(&s, 'C', big);
    free(big);
    ASSERT_EQ(proto_out_anomaly(&s.o, "smtp.line_too_long"), 1);
    /* a command split over many data calls, one byte each */
    const char *cmd = "HELO split.example\r\n";
    for (size_t i = 0; cmd[i]; i++) {
        char one[2] = {cmd[i], 0};
        say(&s, 'C', one);
    }
    sess_end(&s);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "smtp.helo"), "split.example");
    sess_free(&s);
}
