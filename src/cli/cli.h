/* cli.h — what the subcommands share: store location, messages, number formatting. */
#ifndef KONSEKI_CLI_CLI_H
#define KONSEKI_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (DESIGN §3). */
enum { EXIT_OK = 0, EXIT_USER = 1, EXIT_INTERNAL = 2 };

/* --store, else $KONSEKI_STORE, else ./konseki-store */
const char *cli_store_dir(const char *opt);
/* "konseki: " + message on stderr, one line. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1234567 -> "1,234,567" */
const char *cli_thousands(uint64_t v, char *dst, size_t n);
/* 1536 -> "1.5 KiB"-style, but in SI-free binary units: B KiB MiB GiB TiB */
const char *cli_bytes(double v, char *dst, size_t n);
/* Exit status for a KS_* error: user errors 1, everything else 2. */
int cli_exit_for(int rc);

/* "1.5G", "64M", "4096", "512KiB" (binary units) into bytes; 0, or -1 when malformed. */
int cli_parse_size(const char *s, uint64_t *out);
/* "250ms", "30", "30s", "5m", "2h" into ns; 0, or -1 when malformed. */
int cli_parse_dur(const char *s, int64_t *out);

/*
 * The flow-table timeouts ingest and capture share, as getopt_long values:
 * --tcp-idle, --udp-idle, --other-idle, --active-timeout.
 */
enum {
    CLI_OPT_TCP_IDLE = 'T',
    CLI_OPT_UDP_IDLE = 'U',
    CLI_OPT_OTHER_IDLE = 'O',
    CLI_OPT_ACTIVE = 'A',
    CLI_OPT_TCP_CLOSED = 'W'
};
/* clang-format off */
#define CLI_FLOW_TIMEOUT_OPTIONS                                                                   \
    {"tcp-idle", required_argument, NULL, CLI_OPT_TCP_IDLE},                                       \
    {"udp-idle", required_argument, NULL, CLI_OPT_UDP_IDLE},                                       \
    {"other-idle", required_argument, NULL, CLI_OPT_OTHER_IDLE},                                   \
    {"active-timeout", required_argument, NULL, CLI_OPT_ACTIVE},                                   \
    {"tcp-closed", required_argument, NULL, CLI_OPT_TCP_CLOSED}
/* clang-format on */
struct flow_cfg;
/* c is one of CLI_OPT_*: parse arg into f (0, or -1 when malformed); 1 when c is not one. */
int cli_flow_timeout(int c, const char *arg, struct flow_cfg *f);

struct query;
/* --since/--until into ns bounds (INT64_MIN/MAX when absent); prints the error, -1. */
int cli_parse_range(const char *since, const char *until, int64_t *lo, int64_t *hi);
/* Parse an expression; prints "query: column N: …" and returns the error. */
int cli_parse_query(const char *text, struct query **out);
int cli_parse_sort(const char *s, int *out);
struct store;
struct store_query;
/* Open the store for reading; prints why not and returns the exit code (0 = opened). */
int cli_open_store_readonly(const char *store_opt, struct store **st);
/* --since/--until and the expression into q; *expr is the caller's (query_free). */
int cli_prepare_search(const char *since, const char *until, const char *text,
                       struct store_query *q, struct query **expr);

int cmd_ingest(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_pcap(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_ioc(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Shared by hunt, case and report (cmd_hunt.c). */
struct hunt_def;
struct hunt_run;
struct hunt_opts;
struct hunt_zones;
struct adb;
/*
 * The options of commands that run hunts: --param ('p'), --zone ('z') and --limit ('l') into
 * the caller's arrays.  0 when taken, -1 on a bad value (printed), 1 when c is none of them.
 */
int cli_hunt_arg(const char *cmd, int c, const char *arg, const char **params, size_t *nparams,
                 size_t maxparams, const char **zones, size_t *nzones, long *limit);
/* Every hunt definition (built in and the user's); prints why not. */
int cli_hunt_defs(const char *store_dir, struct hunt_def **defs, size_t *n);
/* --since/--until and zones (--zone, else STORE/zones.conf) into ho; an exit code. */
int cli_hunt_opts(const char *store_dir, const char *since, const char *until,
                  const char *const *zones, size_t nzones, struct hunt_zones *zs,
                  struct hunt_opts *ho);
/* Run one hunt, record it (a may be NULL: not recorded) in case case_id (0 = none), print it;
   keep != NULL takes the run (hunt_run_release it).  An exit code. */
int cli_hunt_run_one(struct store *st, struct adb *a, const struct hunt_def *def,
                     const struct hunt_opts *ho, int64_t case_id, int json, long limit,
                     struct hunt_run *keep);
/* A run as text (the top `limit` results, -1 = 10) or JSON Lines (-1 = all). */
void cli_hunt_print(FILE *f, const struct hunt_run *r, int json, long limit);
/* The recorded runs (of one case, or all when case_id is 0). */
int cli_runs_print(FILE *f, struct adb *a, int64_t case_id, int json);

struct store_retain;
/*
 * One --retain value into r: a size ("500G", "800MiB": K M G T, binary) sets max_bytes,
 * an age ("30d", "12h", "90m", "2w", "45s") sets max_age_ns; 0 or KS_EINVAL.
 * Shared by prune and capture.
 */
int cli_parse_retain(const char *s, struct store_retain *r);

#endif
