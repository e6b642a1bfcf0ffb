/*
 * konseki — retrospective network threat hunting.
 * One binary, git-style subcommands (DESIGN §3).
 */
#include "cli/cli.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef KONSEKI_VERSION
#define KONSEKI_VERSION "0.1.0"
#endif

const char *cli_store_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("KONSEKI_STORE");
    return env && *env ? env : "./konseki-store";
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("konseki: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *cli_thousands(uint64_t v, char *dst, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i && (len - i) % 3 == 0 && o + 2 < n)
            dst[o++] = ',';
        dst[o++] = tmp[i];
    }
    dst[o] = '\0';
    return dst;
}

const char *cli_bytes(double v, char *dst, size_t n)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(dst, n, "%.0f B", v);
    else
        snprintf(dst, n, "%.1f %s", v, units[u]);
    return dst;
}

int cli_exit_for(int rc)
{
    switch (rc) {
    case 0:
        return EXIT_OK;
    case KS_EINVAL:
    case KS_EFORMAT:
    case KS_ENOENT:
    case KS_ETRUNC:
    case KS_ECORRUPT:
        return EXIT_USER;
    }
    return EXIT_INTERNAL;
}

static void usage(FILE *f)
{
    fputs(
        "usage: konseki <command> [options]\n"
        "\n"
        "  ingest  [--store DIR] FILE...        store pcap/pcapng captures (.gz/.zst, - = stdin)\n"
        "  capture [--store DIR] -i IFACE [-i IFACE2] [--filter BPF] [--user NAME]\n"
        "                                       live capture into the store (root, then --user)\n"
        "  query   [--store DIR] [--since T] [--until T] [--json|--csv] [--limit N]\n"
        "          [--sort time|-time|bytes|packets|duration] 'EXPR'\n"
        "  pcap    [--store DIR] [--since T] [--until T] -w OUT.pcap 'EXPR'\n"
        "  stats   [--store DIR] [--json]       what is stored, counters, anomalies\n"
        "  prune   [--store DIR] --retain SIZE|AGE [--retain …] [--clock]\n"
        "                                       drop the oldest packets and sessions\n"
        "  ioc     import|match|list|remove|stats [--store DIR] ...\n"
        "                                       indicators: import feeds, sweep history, findings\n"
        "  hunt    list|show|run|runs|allow [--store DIR] ...\n"
        "                                       built-in and user hunts, ranked results\n"
        "  case    new|list|show|run|finding|export [--store DIR] ...\n"
        "                                       hunt cases: hypothesis, runs, verdicts, IOC "
        "export\n"
        "  report  [--store DIR] [--since T] [--until T] [--format html|md] -o FILE\n"
        "                                       the retrospective analysis report\n"
        "\n"
        "The store is --store DIR, else $KONSEKI_STORE, else ./konseki-store.\n"
        "`konseki query --fields` lists the query fields.  konseki <command> --help for more.\n",
        f);
}

int main(int argc, char **argv)
{
    /* The store holds sensitive traffic: nothing it creates is readable by others. */
    umask(077);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USER;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("konseki %s\n", KONSEKI_VERSION);
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"ingest", cmd_ingest}, {"capture", cmd_capture}, {"query", cmd_query},
                {"pcap", cmd_pcap},     {"stats", cmd_stats},     {"prune", cmd_prune},
                {"ioc", cmd_ioc},       {"hunt", cmd_hunt},       {"case", cmd_case},
                {"report", cmd_report}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    cli_err("unknown command '%s' (try: konseki --help)", cmd);
    return EXIT_USER;
}
