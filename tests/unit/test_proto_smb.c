/*
 * test_proto_smb.c — the SMB2/3 parser on hand-built messages and on the corpus
 * PsExec / file-transfer captures.
 *
 * Corpus captures are read with libpcap (every frame: they are longer than
 * t_pcap's CAP_MAX) and decode_packet(); each TCP connection to 445/139 gets its
 * own parser state, and each direction's payload goes in in capture order.  The
 * one liberty taken: a segment whose sequence number lies wholly before what was
 * already handed over is a retransmission and is skipped (no reordering or
 * reassembly is done here — that is the flow module's job).
 */
#include "t.h"

#include "decode/decode.h"
#include "proto/ntlm.h"
#include "proto/smb.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- running captures */

#define RUN_FLOWS 16

struct run_flow {
    uint8_t cli[16], srv[16];
    uint16_t cport, sport;
    uint32_t next[2];
    uint8_t have_next[2];
    void *st;
};

static int flow_dir(const struct run_flow *f, const struct decoded *d)
{
    if (d->sport == f->cport && d->dport == f->sport && !memcmp(d->src, f->cli, 16))
        return 0;
    if (d->dport == f->cport && d->sport == f->sport && !memcmp(d->dst, f->cli, 16))
        return 1;
    return -1;
}

/*
 * Feed every SMB connection of corpus file rel (relative to t_corpus(), or to its
 * parent when it starts with "../") to its own proto_smb state, writing into o.
 * Returns the number of connections, -1 when the file is absent.
 */
static int run_capture(const char *rel, struct proto_out *o)
{
    char path[4096], err[PCAP_ERRBUF_SIZE];
    const char *root = t_corpus();
    if (!root)
        return -1;
    snprintf(path, sizeof path, "%s/%s", root, rel);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    int lt = pcap_datalink(pc);
    struct run_flow fl[RUN_FLOWS];
    int nf = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct decoded d;
        if (decode_packet((uint32_t)lt, data, h->caplen, &d) != DEC_OK || d.proto != 6)
            continue;
        int fi = -1, dir = -1;
        for (int i = 0; i < nf && dir < 0; i++)
            if ((dir = flow_dir(&fl[i], &d)) >= 0)
                fi = i;
        if (fi < 0) {
            int to_srv = d.dport == 445 || d.dport == 139;
            if ((!to_srv && d.sport != 445 && d.sport != 139) || nf == RUN_FLOWS)
                continue;
            struct run_flow *f = &fl[nf];
            memset(f, 0, sizeof(*f));
            memcpy(f->cli, to_srv ? d.src : d.dst, 16);
            memcpy(f->srv, to_srv ? d.dst : d.src, 16);
            f->cport = to_srv ? d.sport : d.dport;
            f->sport = to_srv ? d.dport : d.sport;
            f->st = calloc(1, proto_smb.state_size);
            fi = nf++;
            dir = to_srv ? 0 : 1;
        }
        struct run_flow *f = &fl[fi];
        uint32_t seq = d.seq + ((d.tcp_flags & TCPF_SYN) ? 1 : 0);
        if (!d.payload_len) {
            if (d.tcp_flags & TCPF_SYN) {
                f->next[dir] = seq;
                f->have_next[dir] = 1;
            }
            continue;
        }
        const uint8_t *p = data + d.payload_off;
        uint32_t n = d.payload_len;
        if (f->have_next[dir]) {
            int32_t behind = (int32_t)(f->next[dir] - seq);
            if (behind >= (int32_t)n)
                continue; /* retransmission of bytes already handed over */
            if (behind > 0) {
                p += behind;
                n -= (uint32_t)behind;
            }
        }
        f->next[dir] = seq + d.payload_len;
        f->have_next[dir] = 1;
        struct proto_ctx c = {d.ipver, 6, f->cli, f->srv, f->cport, f->sport, 0};
        proto_smb.data(f->st, o, &c, dir, p, n);
    }
    pcap_close(pc);
    for (int i = 0; i < nf; i++) {
        struct proto_ctx c = {4, 6, fl[i].cli, fl[i].srv, fl[i].cport, fl[i].sport, 0};
        proto_smb.end(fl[i].st, o, &c);
        proto_smb.release(fl[i].st);
        free(fl[i].st);
    }
    return nf;
}

/* Index of the first record of type with path == value at or after from, or -1. */
static long rec_with(const struct proto_out *o, const char *type, const char *path,
                     const char *value, size_t from)
{
    for (long i = proto_out_find(o, type, from); i >= 0;
         i = proto_out_find(o, type, (size_t)i + 1)) {
        size_t n = proto_out_count(o, (size_t)i, path);
        for (size_t k = 0; k < n; k++)
            if (strcmp(proto_out_get_nth(o, (size_t)i, path, k), value) == 0)
                return i;
    }
    return -1;
}

static size_t count_with(const struct proto_out *o, const char *type, const char *path,
                         const char *value)
{
    size_t n = 0;
    for (long i = rec_with(o, type, path, value, 0); i >= 0;
         i = rec_with(o, type, path, value, (size_t)i + 1))
        n++;
    return n;
}

/* Records of type "smb" that describe a tree connect (a share, no file). */
static size_t count_trees(const struct proto_out *o, const char *share)
{
    size_t n = 0;
    for (long i = rec_with(o, "smb", "smb.share", share, 0); i >= 0;
         i = rec_with(o, "smb", "smb.share", share, (size_t)i + 1))
        n += proto_out_get(o, (size_t)i, "file.path") == NULL;
    return n;
}

static int run_or_skip(const char *rel, struct proto_out *o)
{
    proto_out_init(o, 0);
    int n = run_capture(rel, o);
    if (n < 0) {
        proto_out_release(o);
        t_skip("corpus absent");
    }
    return n;
}

#define GET(i, path) proto_out_get(&o, (size_t)(i), path)

/*
 * Suricata (smb2-07/test.yaml): CREATE PSEXESVC.exe FILE_OVERWRITE_IF, the three
 * PSEXESVC-VICTIM-PC-2412-std* pipes FILE_OPEN, tree connects \\dc1\IPC$ once and
 * \\dc1\ADMIN$ twice, "delete on close" on PSEXESVC.exe.  Suricata logs one event
 * per command; we write one record per file, so counts are per open, not per command.
 * Bytes and sizes checked against tshark (smb2.write_length sum, smb2.end_of_file).
 * The session authenticates with Kerberos: no ntlm record, no smb.user.
 */
TEST(smb_corpus_psexec_suricata)
{
    struct proto_out o;
    if (run_or_skip("suricata-verify/tests/smb2-07/20171220_smb_psexec_add_user.pcap", &o) < 0)
        return;
    ASSERT_EQ(count_trees(&o, "\\\\dc1\\ADMIN$"), 2);
    ASSERT_EQ(count_trees(&o, "\\\\dc1\\IPC$"), 1);
    ASSERT_EQ(proto_out_find(&o, "ntlm", 0), -1);
    long i = rec_with(&o, "smb", "smb.file.disposition", "overwrite_if", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "file.path"), "\\\\dc1\\ADMIN$\\PSEXESVC.exe");
    ASSERT_STR_EQ(GET(i, "file.name"), "PSEXESVC.exe");
    ASSERT_STR_EQ(GET(i, "smb.share_type"), "disk");
    ASSERT_STR_EQ(GET(i, "smb.dialect"), "2.1");
    ASSERT_STR_EQ(GET(i, "smb.version"), "2");
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_written"), "145568");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "smb.file.action", 0), "create");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "smb.file.action", 1), "write");
    /* the second open of PSEXESVC.exe deletes it (SET_INFO FileDispositionInformation) */
    i = rec_with(&o, "smb", "smb.file.action", "delete", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "file.name"), "PSEXESVC.exe");
    ASSERT_STR_EQ(GET(i, "file.size"), "145568");
    ASSERT_EQ(rec_with(&o, "smb", "smb.file.action", "delete", (size_t)i + 1), -1);
    const char *pipes[] = {"PSEXESVC-VICTIM-PC-2412-stdin", "PSEXESVC-VICTIM-PC-2412-stdout",
                           "PSEXESVC-VICTIM-PC-2412-stderr", "PSEXESVC"};
    for (int k = 0; k < 4; k++) {
        ASSERT_EQ(count_with(&o, "smb", "file.name", pipes[k]), 1);
        i = rec_with(&o, "smb", "file.name", pipes[k], 0);
        ASSERT_STR_EQ(GET(i, "smb.share_type"), "pipe");
        ASSERT_STR_EQ(GET(i, "smb.file.disposition"), "open");
    }
    ASSERT_EQ(count_with(&o, "smb", "file.name", "svcctl"), 2);
    i = rec_with(&o, "smb", "file.name", "PSEXESVC-VICTIM-PC-2412-stdout", 0);
    ASSERT_STR_EQ(GET(i, "smb.status"), "STATUS_PIPE_DISCONNECTED"); /* tshark frame 239 */
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_read"), "72");
    /* the SMB1 leftovers on 192.168.10.30:139 (Tree Disconnect, Logoff) */
    ASSERT_EQ(count_with(&o, "smb", "smb.version", "1"), 1);
    proto_out_release(&o);
}

/*
 * PCAP-ATTACK PsExec (attacks/MANIFEST 6a): NTLM user 3B\backdoor from 02694W-WIN10,
 * trees \\172.16.66.36\IPC$ and ADMIN$, PSEXESVC.exe created on ADMIN$, pipe PSEXESVC
 * and the -stdin/-stdout/-stderr pipes.  Server names as tshark decodes the CHALLENGE.
 */
TEST(smb_corpus_psexec_attack_ntlm)
{
    struct proto_out o;
    if (run_or_skip("../attacks/PCAP-ATTACK/LM_psexec_smb_dcerpc_epm_svcctl.pcapng", &o) < 0)
        return;
    long i = proto_out_find(&o, "ntlm", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "ntlm.user"), "backdoor");
    ASSERT_STR_EQ(GET(i, "ntlm.domain"), "3B");
    ASSERT_STR_EQ(GET(i, "ntlm.workstation"), "02694W-WIN10");
    ASSERT_STR_EQ(GET(i, "ntlm.version"), "v2");
    ASSERT_STR_EQ(GET(i, "ntlm.server.nb_computer_name"), "01566S-WIN16-IR");
    ASSERT_STR_EQ(GET(i, "ntlm.server.nb_domain_name"), "3B");
    ASSERT_STR_EQ(GET(i, "ntlm.server.dns_domain_name"), "threebeesco.com");
    ASSERT_STR_EQ(GET(i, "ntlm.server.dns_computer_name"), "01566s-win16-ir.threebeesco.com");
    ASSERT_STR_EQ(GET(i, "smb.session_setup.status"), "STATUS_SUCCESS");
    ASSERT_EQ(proto_out_find(&o, "ntlm", (size_t)i + 1), -1);
    ASSERT_EQ(count_trees(&o, "\\\\172.16.66.36\\IPC$"), 1);
    ASSERT_EQ(count_trees(&o, "\\\\172.16.66.36\\ADMIN$"), 1);
    i = rec_with(&o, "smb", "file.path", "\\\\172.16.66.36\\ADMIN$\\PSEXESVC.exe", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.user"), "backdoor");
    ASSERT_STR_EQ(GET(i, "smb.domain"), "3B");
    ASSERT_STR_EQ(GET(i, "smb.dialect"), "3.1.1");
    ASSERT_STR_EQ(GET(i, "smb.version"), "3");
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_written"), "145568");
    const char *pipes[] = {"PSEXESVC", "PSEXESVC-02694W-WIN10-13272-stdin",
                           "PSEXESVC-02694W-WIN10-13272-stdout",
                           "PSEXESVC-02694W-WIN10-13272-stderr"};
    for (int k = 0; k < 4; k++) {
        i = rec_with(&o, "smb", "file.name", pipes[k], 0);
        ASSERT_GE(i, 0);
        ASSERT_STR_EQ(GET(i, "smb.share"), "\\\\172.16.66.36\\IPC$");
        ASSERT_STR_EQ(GET(i, "smb.share_type"), "pipe");
    }
    proto_out_release(&o);
}

/*
 * Zeek smb2 (smb_mapping.log, smb_files.log, files.log): trees \\10.0.0.12\smb2 DISK and
 * \\10.0.0.12\IPC$ PIPE; WP_SMBPlugin.pdf moved whole (files.log seen_bytes=1508939;
 * tshark: it is written, disposition FILE_CREATE); three opens of the share root with
 * size 8192.  Zeek also logs the first root open at size 8192; we agree.
 */
TEST(smb_corpus_zeek_smb2)
{
    struct proto_out o;
    if (run_or_skip("zeek/testing/btest/Traces/smb/smb2.pcap", &o) < 0)
        return;
    long i = rec_with(&o, "smb", "smb.share", "\\\\10.0.0.12\\smb2", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.share_type"), "disk");
    ASSERT_STR_EQ(GET(i, "smb.status"), "STATUS_SUCCESS");
    ASSERT_STR_EQ(GET(i, "smb.dialect"), "2.0.2");
    i = rec_with(&o, "smb", "smb.share", "\\\\10.0.0.12\\IPC$", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.share_type"), "pipe");
    i = rec_with(&o, "smb", "file.name", "WP_SMBPlugin.pdf", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_written"), "1508939");
    ASSERT_STR_EQ(GET(i, "smb.user"), "Administrator");
    ASSERT_STR_EQ(GET(i, "smb.domain"), "CONTOSO");
    size_t roots = 0;
    for (i = rec_with(&o, "smb", "file.path", "\\\\10.0.0.12\\smb2", 0); i >= 0;
         i = rec_with(&o, "smb", "file.path", "\\\\10.0.0.12\\smb2", (size_t)i + 1))
        if (GET(i, "smb.file.id")) {
            roots++;
            ASSERT_STR_EQ(GET(i, "file.size"), "8192");
        }
    ASSERT_EQ(roots, 3);
    i = proto_out_find(&o, "ntlm", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "ntlm.user"), "Administrator");
    ASSERT_STR_EQ(GET(i, "ntlm.server.dns_computer_name"), "SERVER002.contoso.com");
    proto_out_release(&o);
}

/* Zeek smb2readwrite (files.log): pythonfile 16 bytes read, pythonfile2 7000 bytes written. */
TEST(smb_corpus_zeek_readwrite)
{
    struct proto_out o;
    if (run_or_skip("zeek/testing/btest/Traces/smb/smb2readwrite.pcap", &o) < 0)
        return;
    long i = rec_with(&o, "smb", "file.name", "pythonfile", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_read"), "16");
    ASSERT_STR_EQ(GET(i, "file.size"), "16");
    i = rec_with(&o, "smb", "file.name", "pythonfile2", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_written"), "7000");
    /* the capture starts after the tree connect: no share is known */
    ASSERT_TRUE(GET(i, "smb.share") == NULL);
    proto_out_release(&o);
}

/* Arkime smb-smbclient.test: smb.dialect=NT LANMAN 1.0; Suricata output-eve-smb-01 (SLL). */
TEST(smb_corpus_smb1)
{
    struct proto_out o;
    if (run_or_skip("arkime/tests/pcap/smb-smbclient.pcap", &o) < 0)
        return;
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(GET(0, "smb.version"), "1");
    ASSERT_STR_EQ(GET(0, "smb.dialect"), "NT LANMAN 1.0");
    ASSERT_EQ(proto_out_count(&o, 0, "smb.dialects"), 10);
    proto_out_release(&o);
    if (run_or_skip("suricata-verify/tests/output-eve-smb-01/input.pcap", &o) < 0)
        return;
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(GET(0, "smb.dialect"), "NT LM 0.12"); /* tshark: smb.dialect.index 9 */
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- hand-built messages */

struct mb {
    uint8_t b[4096];
    size_t n, frame, msg; /* start of the current frame / message */
};

static void mb_u8(struct mb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}
static void mb_u16(struct mb *m, unsigned v)
{
    mb_u8(m, v & 0xff);
    mb_u8(m, v >> 8 & 0xff);
}
static void mb_u32(struct mb *m, uint32_t v)
{
    mb_u16(m, v & 0xffff);
    mb_u16(m, v >> 16);
}
static void mb_u64(struct mb *m, uint64_t v)
{
    mb_u32(m, (uint32_t)v);
    mb_u32(m, (uint32_t)(v >> 32));
}
static void mb_mem(struct mb *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}
static void mb_zero(struct mb *m, size_t n)
{
    memset(m->b + m->n, 0, n);
    m->n += n;
}
static void mb_utf16(struct mb *m, const char *s)
{
    while (*s)
        mb_u16(m, (uint8_t)*s++);
}
static size_t mb_off(const struct mb *m)
{
    return m->n - m->msg;
}

static void frame_begin(struct mb *m)
{
    m->frame = m->n;
    mb_zero(m, 4);
}
static void frame_end(struct mb *m)
{
    size_t len = m->n - m->frame - 4;
    m->b[m->frame + 1] = (uint8_t)(len >> 16);
    m->b[m->frame + 2] = (uint8_t)(len >> 8);
    m->b[m->frame + 3] = (uint8_t)len;
}

/* SMB2 header (64 bytes): status, command, flags, MessageId, TreeId, SessionId. */
static void hdr(struct mb *m, uint32_t status, unsigned cmd, uint32_t flags, uint64_t mid,
                uint32_t tree, uint64_t sess)
{
    m->msg = m->n;
    mb_mem(m, "\xfeSMB", 4);
    mb_u16(m, 64);
    mb_u16(m, 1);
    mb_u32(m, status);
    mb_u16(m, cmd);
    mb_u16(m, 1);
    mb_u32(m, flags);
    mb_u32(m, 0); /* NextCommand */
    mb_u64(m, mid);
    if (flags & 2) {
        mb_u64(m, 0x99); /* AsyncId */
    } else {
        mb_u32(m, 0);
        mb_u32(m, tree);
    }
    mb_u64(m, sess);
    mb_zero(m, 16);
}
/* Set the NextCommand of the message at msg to point at the current end (8-aligned). */
static void hdr_chain(struct mb *m, size_t msg)
{
    while ((m->n - msg) % 8)
        mb_u8(m, 0);
    size_t next = m->n - msg;
    m->b[msg + 20] = (uint8_t)next;
    m->b[msg + 21] = (uint8_t)(next >> 8);
}

static const uint8_t FID_A[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0xa, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t FID_B[16] = {2, 0, 0, 0, 0, 0, 0, 0, 0xb, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t FID_C[16] = {3, 0, 0, 0, 0, 0, 0, 0, 0xc, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t FID_REL[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void create_req(struct mb *m, uint64_t mid, uint32_t tree, const char *name, uint32_t access,
                       uint32_t disp, uint32_t opts)
{
    hdr(m, 0, 5, 0, mid, tree, 0x77);
    mb_u16(m, 57);
    mb_zero(m, 22);
    mb_u32(m, access);
    mb_u32(m, 0x80);
    mb_u32(m, 7);
    mb_u32(m, disp);
    mb_u32(m, opts);
    mb_u16(m, (unsigned)mb_off(m) + 12);
    mb_u16(m, (unsigned)strlen(name) * 2);
    mb_u32(m, 0);
    mb_u32(m, 0);
    mb_utf16(m, name);
    if (!*name)
        mb_u8(m, 0);
}
static void create_resp(struct mb *m, uint32_t status, uint32_t flags, uint64_t mid,
                        uint32_t action, const uint8_t *fid, uint64_t eof)
{
    hdr(m, status, 5, 1 | flags, mid, 5, 0x77);
    if (status) {
        mb_u16(m, 9); /* ERROR response, §2.2.2 */
        mb_zero(m, 7);
        return;
    }
    mb_u16(m, 89);
    mb_u16(m, 0);
    mb_u32(m, action);
    mb_zero(m, 32);
    mb_u64(m, eof); /* AllocationSize */
    mb_u64(m, eof);
    mb_u32(m, 0x20);
    mb_u32(m, 0);
    mb_mem(m, fid, 16);
    mb_u32(m, 0);
    mb_u32(m, 0);
}
static void close_req(struct mb *m, uint32_t flags, uint64_t mid, const uint8_t *fid)
{
    hdr(m, 0, 6, flags, mid, 5, 0x77);
    mb_u16(m, 24);
    mb_zero(m, 6);
    mb_mem(m, fid, 16);
}
static void close_resp(struct mb *m, uint64_t mid)
{
    hdr(m, 0, 6, 1, mid, 5, 0x77);
    mb_u16(m, 60);
    mb_zero(m, 58);
}

/* NTLM AUTHENTICATE: unicode, user/domain/workstation, NT response of nt_len bytes. */
static size_t ntlm_auth(uint8_t *out, const char *user, const char *dom, const char *ws,
                        size_t nt_len)
{
    struct mb m = {0};
    mb_mem(&m, "NTLMSSP", 8);
    mb_u32(&m, 3);
    size_t at = 72, lu = strlen(user) * 2, ld = strlen(dom) * 2, lw = strlen(ws) * 2;
    size_t fields[6][2] = {{0, at},
                           {nt_len, at},
                           {ld, at + nt_len},
                           {lu, at + nt_len + ld},
                           {lw, at + nt_len + ld + lu},
                           {0, at}};
    for (int i = 0; i < 6; i++) {
        mb_u16(&m, (unsigned)fields[i][0]);
        mb_u16(&m, (unsigned)fields[i][0]);
        mb_u32(&m, (uint32_t)fields[i][1]);
    }
    mb_u32(&m, 0xe2088215); /* flags, UNICODE set */
    mb_zero(&m, 8);         /* Version */
    while (m.n < at)
        mb_u8(&m, 0);
    for (size_t i = 0; i < nt_len; i++)
        mb_u8(&m, 0x5a);
    mb_utf16(&m, dom);
    mb_utf16(&m, user);
    mb_utf16(&m, ws);
    memcpy(out, m.b, m.n);
    return m.n;
}

/*
 * A whole SMB 3.1.1 session, as (client frames, server frames):
 * negotiate; NTLM session setup; tree connect \\srv\C$; CREATE dir\evil.exe
 * (overwrite_if, delete-on-close) + WRITE 100 + READ 50 + rename + CLOSE; a denied
 * CREATE; a related compound CREATE+CLOSE; an async CREATE left open; the transform
 * header that makes the rest encrypted.
 */
static void build_session(struct mb *c, struct mb *s)
{
    memset(c, 0, sizeof(*c));
    memset(s, 0, sizeof(*s));
    frame_begin(c); /* NEGOTIATE */
    hdr(c, 0, 0, 0, 0, 0, 0);
    mb_u16(c, 36);
    mb_u16(c, 1);
    mb_zero(c, 32);
    mb_u16(c, 0x0311);
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 0, 1, 0, 0, 0);
    mb_u16(s, 65);
    mb_u16(s, 1);
    mb_u16(s, 0x0311);
    mb_zero(s, 58);
    frame_end(s);

    uint8_t blob[512];
    size_t bl = ntlm_auth(blob, "alice", "CORP", "WS1", 48);
    frame_begin(c); /* SESSION_SETUP with AUTHENTICATE */
    hdr(c, 0, 1, 0, 2, 0, 0x77);
    mb_u16(c, 25);
    mb_zero(c, 10);
    mb_u16(c, (unsigned)mb_off(c) + 12);
    mb_u16(c, (unsigned)bl);
    mb_u64(c, 0);
    mb_mem(c, blob, bl);
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 1, 1, 2, 0, 0x77);
    mb_u16(s, 9);
    mb_zero(s, 7);
    frame_end(s);

    frame_begin(c); /* TREE_CONNECT */
    hdr(c, 0, 3, 0, 3, 0, 0x77);
    mb_u16(c, 9);
    mb_u16(c, 0);
    mb_u16(c, (unsigned)mb_off(c) + 4);
    mb_u16(c, 2 * 8); /* \\srv\C$ */
    mb_utf16(c, "\\\\srv\\C$");
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 3, 1, 3, 5, 0x77);
    mb_u16(s, 16);
    mb_u8(s, 1);
    mb_zero(s, 13);
    frame_end(s);

    frame_begin(c);
    create_req(c, 4, 5, "dir\\evil.exe", 0x40010000, 5, 0x1000);
    frame_end(c);
    frame_begin(s);
    create_resp(s, 0, 0, 4, 2, FID_A, 0);
    frame_end(s);

    frame_begin(c); /* WRITE 100 */
    hdr(c, 0, 9, 0, 5, 5, 0x77);
    mb_u16(c, 49);
    mb_u16(c, 64 + 48);
    mb_u32(c, 100);
    mb_u64(c, 0);
    mb_mem(c, FID_A, 16);
    mb_zero(c, 16);
    for (int i = 0; i < 100; i++)
        mb_u8(c, 'x');
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 9, 1, 5, 5, 0x77);
    mb_u16(s, 17);
    mb_u16(s, 0);
    mb_u32(s, 100);
    mb_zero(s, 8);
    frame_end(s);

    frame_begin(c); /* READ 50 */
    hdr(c, 0, 8, 0, 6, 5, 0x77);
    mb_u16(c, 49);
    mb_u16(c, 0);
    mb_u32(c, 50);
    mb_u64(c, 0);
    mb_mem(c, FID_A, 16);
    mb_zero(c, 17);
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 8, 1, 6, 5, 0x77);
    mb_u16(s, 17);
    mb_u8(s, 80);
    mb_u8(s, 0);
    mb_u32(s, 50);
    mb_zero(s, 8);
    for (int i = 0; i < 50; i++)
        mb_u8(s, 'y');
    frame_end(s);

    frame_begin(c); /* SET_INFO FileRenameInformation */
    hdr(c, 0, 17, 0, 7, 5, 0x77);
    mb_u16(c, 33);
    mb_u8(c, 1);
    mb_u8(c, 10);
    mb_u32(c, 20 + 2 * 15);
    mb_u16(c, 64 + 32);
    mb_u16(c, 0);
    mb_u32(c, 0);
    mb_mem(c, FID_A, 16);
    mb_zero(c, 16);
    mb_u32(c, 2 * 15);
    mb_utf16(c, "dir\\renamed.exe");
    frame_end(c);
    frame_begin(s);
    hdr(s, 0, 17, 1, 7, 5, 0x77);
    mb_u16(s, 2);
    frame_end(s);

    frame_begin(c);
    close_req(c, 0, 8, FID_A);
    frame_end(c);
    frame_begin(s);
    close_resp(s, 8);
    frame_end(s);

    frame_begin(c); /* denied */
    create_req(c, 9, 5, "secret.txt", 0x80000000, 1, 0);
    frame_end(c);
    frame_begin(s);
    create_resp(s, 0xc0000022, 0, 9, 0, NULL, 0);
    frame_end(s);

    frame_begin(c); /* related compound CREATE + CLOSE */
    size_t first = c->n;
    create_req(c, 10, 5, "", 0x00100080, 1, 0);
    hdr_chain(c, first);
    close_req(c, 4, 11, FID_REL);
    frame_end(c);
    frame_begin(s);
    first = s->n;
    create_resp(s, 0, 0, 10, 1, FID_B, 4096);
    hdr_chain(s, first);
    close_resp(s, 11);
    frame_end(s);

    frame_begin(c); /* async: STATUS_PENDING first */
    create_req(c, 12, 5, "slow.txt", 0x80000000, 1, 0);
    frame_end(c);
    frame_begin(s);
    create_resp(s, 0x103, 2, 12, 0, NULL, 0);
    frame_end(s);
    frame_begin(s);
    create_resp(s, 0, 2, 12, 1, FID_C, 7);
    frame_end(s);

    frame_begin(s); /* transform header: encrypted from here on */
    mb_mem(s, "\xfdSMB", 4);
    mb_zero(s, 32); /* Signature, Nonce */
    mb_u32(s, 16);
    mb_u16(s, 0);
    mb_u16(s, 1);
    mb_u64(s, 0x77);
    mb_zero(s, 16);
    frame_end(s);
}

/* Feed c and s frame by frame in turns, in chunks of `chunk` bytes (0: whole frames). */
static void feed_session(struct proto_out *o, const struct mb *c, const struct mb *s, size_t chunk,
                         size_t cut)
{
    void *st = calloc(1, proto_smb.state_size);
    struct proto_ctx ctx = {
        4, 6, (const uint8_t *)"\x0a\0\0\1", (const uint8_t *)"\x0a\0\0\2", 50000, 445, 0};
    const struct mb *side[2] = {c, s};
    size_t at[2] = {0, 0}, lim[2] = {c->n < cut ? c->n : cut, s->n < cut ? s->n : cut};
    int done = 0;
    while (!done && (at[0] < lim[0] || at[1] < lim[1])) {
        for (int d = 0; d < 2 && !done; d++) {
            if (at[d] >= lim[d])
                continue;
            const uint8_t *p = side[d]->b + at[d];
            size_t flen = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
            if (flen > lim[d] - at[d])
                flen = lim[d] - at[d];
            for (size_t k = 0; k < flen && !done;) {
                size_t n = chunk && chunk < flen - k ? chunk : flen - k;
                uint8_t *copy = malloc(n); /* exact size: ASan sees overreads */
                memcpy(copy, p + k, n);
                done = proto_smb.data(st, o, &ctx, d, copy, n);
                free(copy);
                k += n;
            }
            at[d] += flen;
        }
    }
    proto_smb.end(st, o, &ctx);
    proto_smb.release(st);
    free(st);
}

TEST(smb_handbuilt_session)
{
    static struct mb c, s;
    build_session(&c, &s);
    struct proto_out o;
    proto_out_init(&o, 0);
    feed_session(&o, &c, &s, 0, SIZE_MAX);
    long i = proto_out_find(&o, "ntlm", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "ntlm.user"), "alice");
    ASSERT_STR_EQ(GET(i, "ntlm.domain"), "CORP");
    ASSERT_STR_EQ(GET(i, "ntlm.workstation"), "WS1");
    ASSERT_STR_EQ(GET(i, "ntlm.version"), "v2");
    ASSERT_STR_EQ(GET(i, "smb.session_setup.status"), "STATUS_SUCCESS");
    ASSERT_EQ(count_trees(&o, "\\\\srv\\C$"), 1);
    i = rec_with(&o, "smb", "smb.share", "\\\\srv\\C$", 0);
    ASSERT_STR_EQ(GET(i, "smb.share_type"), "disk");
    ASSERT_STR_EQ(GET(i, "smb.user"), "alice");
    ASSERT_STR_EQ(GET(i, "smb.dialect"), "3.1.1");
    ASSERT_STR_EQ(GET(i, "smb.version"), "3");

    i = rec_with(&o, "smb", "file.name", "evil.exe", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "file.path"), "\\\\srv\\C$\\dir\\evil.exe");
    ASSERT_STR_EQ(GET(i, "smb.file.disposition"), "overwrite_if");
    ASSERT_STR_EQ(GET(i, "smb.file.delete_on_close"), "true");
    ASSERT_STR_EQ(GET(i, "smb.file.renamed_to"), "dir\\renamed.exe");
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_written"), "100");
    ASSERT_STR_EQ(GET(i, "smb.file.bytes_read"), "50");
    ASSERT_STR_EQ(GET(i, "smb.file.id"), "01000000000000000a00000000000000");
    ASSERT_STR_EQ(GET(i, "smb.domain"), "CORP");
    ASSERT_EQ(proto_out_count(&o, (size_t)i, "smb.file.action"), 5);
    const char *acts[] = {"create", "read", "write", "rename", "delete"};
    for (size_t k = 0; k < 5; k++)
        ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "smb.file.action", k), acts[k]);
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "smb.file.access", 0), "delete");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "smb.file.access", 1), "generic_write");
    ASSERT_TRUE(GET(i, "smb.status") == NULL);

    i = rec_with(&o, "smb", "file.name", "secret.txt", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.status"), "STATUS_ACCESS_DENIED");
    ASSERT_TRUE(GET(i, "smb.file.id") == NULL);

    /* the compound: the CLOSE with FileId ffff… closes the CREATE before it */
    i = rec_with(&o, "smb", "smb.file.id", "02000000000000000b00000000000000", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "file.path"), "\\\\srv\\C$");
    ASSERT_STR_EQ(GET(i, "file.size"), "4096");
    ASSERT_TRUE(GET(i, "file.name") == NULL);

    /* async: the final response counts, the file is written at the end */
    i = rec_with(&o, "smb", "file.name", "slow.txt", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.file.id"), "03000000000000000c00000000000000");
    ASSERT_STR_EQ(GET(i, "file.size"), "7");

    i = rec_with(&o, "smb", "smb.encrypted", "true", 0);
    ASSERT_GE(i, 0);
    ASSERT_STR_EQ(GET(i, "smb.user"), "alice");
    ASSERT_EQ(o.nrecs, 7);
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

/* Byte-by-byte and odd chunking give the same records; every cut is survived. */
TEST(smb_handbuilt_chunks_and_cuts)
{
    static struct mb c, s;
    build_session(&c, &s);
    struct proto_out a, b;
    proto_out_init(&a, 0);
    feed_session(&a, &c, &s, 0, SIZE_MAX);
    size_t chunks[] = {1, 3, 7, 64};
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
        proto_out_init(&b, 0);
        feed_session(&b, &c, &s, chunks[k], SIZE_MAX);
        ASSERT_EQ(b.nrecs, a.nrecs);
        for (size_t i = 0; i < a.nrecs; i++)
            ASSERT_STR_EQ(b.recs[i].json, a.recs[i].json);
        proto_out_release(&b);
    }
    size_t max = c.n > s.n ? c.n : s.n;
    for (size_t cut = 0; cut < max; cut += 5) {
        proto_out_init(&b, 0);
        feed_session(&b, &c, &s, 0, cut);
        ASSERT_LE(b.nrecs, a.nrecs);
        proto_out_release(&b);
    }
    proto_out_release(&a);
}

/* Garbage before a frame, then a gap: the parser finds the next frame start. */
TEST(smb_resync_after_gap_and_garbage)
{
    static struct mb c, s;
    build_session(&c, &s);
    void *st = calloc(1, proto_smb.state_size);
    struct proto_out o;
    proto_out_init(&o, 0);
    struct proto_ctx ctx = {4, 6, NULL, NULL, 50000, 445, 0};
    ASSERT_EQ(proto_smb.probe(&ctx, 0, c.b, c.n), PROTO_CONTENT);
    ASSERT_EQ(proto_smb.probe(&ctx, 0, (const uint8_t *)"GET /", 5), PROTO_PORT);
    ctx.srv_port = 80;
    ASSERT_EQ(proto_smb.probe(&ctx, 0, (const uint8_t *)"GET /", 5), PROTO_NO);
    proto_smb.data(st, &o, &ctx, 0, (const uint8_t *)"\x42junkjunk", 9);
    ASSERT_EQ(proto_out_anomaly(&o, "smb.bad_frame"), 1);
    proto_smb.gap(st, &o, &ctx, 1, 1000);
    ASSERT_EQ(proto_out_anomaly(&o, "smb.gap"), 1);
    /* server: some leftover bytes, then the rest of the session from the tree connect */
    uint8_t buf[4096];
    size_t skip = 0;
    for (int f = 0; f < 2; f++) /* the negotiate and session setup responses */
        skip += 4 + ((size_t)s.b[skip + 1] << 16 | (size_t)s.b[skip + 2] << 8 | s.b[skip + 3]);
    memcpy(buf, "leftover", 8);
    memcpy(buf + 8, s.b + skip, s.n - skip);
    /* client: its tree connect onwards, after the two first frames */
    size_t cskip = 0;
    for (int f = 0; f < 2; f++)
        cskip += 4 + ((size_t)c.b[cskip + 1] << 16 | (size_t)c.b[cskip + 2] << 8 | c.b[cskip + 3]);
    proto_smb.data(st, &o, &ctx, 0, c.b + cskip, c.n - cskip);
    proto_smb.data(st, &o, &ctx, 1, buf, 8 + s.n - skip);
    proto_smb.end(st, &o, &ctx);
    proto_smb.release(st);
    free(st);
    ASSERT_EQ(count_trees(&o, "\\\\srv\\C$"), 1);
    ASSERT_GE(rec_with(&o, "smb", "file.name", "evil.exe", 0), 0);
    proto_out_release(&o);
}

/* More files than the cap: the rest are not tracked, and that is counted. */
TEST(smb_file_cap)
{
    static struct mb c, s;
    void *st = calloc(1, proto_smb.state_size);
    struct proto_out o;
    proto_out_init(&o, 100000);
    struct proto_ctx ctx = {4, 6, NULL, NULL, 50000, 445, 0};
    for (uint32_t k = 0; k < 1100; k++) {
        uint8_t fid[16] = {0};
        memcpy(fid, &k, 4);
        memset(&c, 0, sizeof(c));
        memset(&s, 0, sizeof(s));
        frame_begin(&c);
        create_req(&c, 100 + k, 5, "f", 0x80000000, 1, 0);
        frame_end(&c);
        frame_begin(&s);
        create_resp(&s, 0, 0, 100 + k, 1, fid, 1);
        frame_end(&s);
        proto_smb.data(st, &o, &ctx, 0, c.b, c.n);
        proto_smb.data(st, &o, &ctx, 1, s.b, s.n);
    }
    ASSERT_EQ(proto_out_anomaly(&o, "smb.too_many_files"), 1100 - 1024);
    ASSERT_EQ(o.nrecs, 0);
    proto_smb.end(st, &o, &ctx);
    proto_smb.release(st);
    free(st);
    ASSERT_EQ(o.nrecs, 1024);
    proto_out_release(&o);
}

TEST(smb_status_names)
{
    ASSERT_STR_EQ(smb_status_name(0xc0000022), "STATUS_ACCESS_DENIED");
    ASSERT_STR_EQ(smb_status_name(0xc000006d), "STATUS_LOGON_FAILURE");
    ASSERT_TRUE(smb_status_name(0xc0001234) == NULL);
}
