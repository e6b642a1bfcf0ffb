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
