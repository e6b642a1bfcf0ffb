/* args.c — option values the subcommands share: sizes and durations. */
#include "cli/cli.h"

#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>

int cli_parse_dur(const char *s, int64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    double mul = 1;
    if (end == s || v < 0)
        return -1;
    if (!strcmp(end, "ms"))
        mul = 1e-3;
    else if (!strcmp(end, "") || !strcmp(end, "s"))
        mul = 1;
    else if (!strcmp(end, "m"))
        mul = 60;
    else if (!strcmp(end, "h"))
        mul = 3600;
    else
        return -1;
    *out = (int64_t)(v * mul * 1e9);
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    double mul = 1;
    if (end == s || v < 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = 1024.0;
        break;
    case 'm':
    case 'M':
        mul = 1024.0 * 1024;
        break;
    case 'g':
    case 'G':
        mul = 1024.0 * 1024 * 1024;
        break;
    default:
        return -1;
    }
    if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
        return -1;
    *out = (uint64_t)(v * mul);
    return 0;
}

int cli_flow_timeout(int c, const char *arg, struct flow_cfg *f)
{
    switch (c) {
    case CLI_OPT_TCP_IDLE:
        return cli_parse_dur(arg, &f->tcp_idle_ns);
    case CLI_OPT_UDP_IDLE:
        return cli_parse_dur(arg, &f->udp_idle_ns);
    case CLI_OPT_OTHER_IDLE:
        return cli_parse_dur(arg, &f->other_idle_ns);
    case CLI_OPT_ACTIVE:
        return cli_parse_dur(arg, &f->active_ns);
    case CLI_OPT_TCP_CLOSED:
        return cli_parse_dur(arg, &f->tcp_closed_ns);
    }
    return 1;
}
