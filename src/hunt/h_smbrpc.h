/*
 * h_smbrpc.h — what the SMB / DCE-RPC hunts (psexec, remote-exec, collection) share: name
 * patterns, reading the JSON values SQLite's json_extract hands back, a log-binned histogram
 * for medians over unbounded counts, and a SQL function that matches record values against a
 * hunt's pattern list inside the day file's query.
 *
 * Pure functions (no store): unit-tested in tests/unit/test_hunt_smbrpc.c.
 */
#ifndef KONSEKI_HUNT_H_SMBRPC_H
#define KONSEKI_HUNT_H_SMBRPC_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct hunt_ctx;

/*
 * Does s match pattern p, ASCII case-insensitively?  '*' matches any run of characters (also
 * none); every other character matches itself.  Iterative (no recursion, linear backtracking).
 */
int hsr_glob(const char *p, const char *s);

/*
 * Does s match one of the space-separated patterns of list (hsr_glob)?  Returns the 1-based
 * position of the first pattern that matches, 0 when none does.  Patterns longer than 127
 * characters never match.
 */
int hsr_glob_any(const char *list, const char *s);

/*
 * A JSON value as json_extract returns it: a bare string ("create") or the JSON text of an
 * array (["create","write"]).  Is word one of its strings?  NULL holds nothing.
 */
int hsr_json_has(const char *v, const char *word);

/* The last path component of a Windows or URL path ("\\h\ADMIN$\x\PSEXESVC.exe" → PSEXESVC.exe). */
const char *hsr_basename(const char *path);

/* Is share (\\server\NAME) an administrative share, NAME ending in '$' (ADMIN$, C$, D$ …)
   other than IPC$? */
int hsr_admin_share(const char *share);

/*
 * A histogram of non-negative counts in logarithmic bins (bin 0 holds 0, then four bins per
 * doubling), so the median of millions of values costs 640 bytes and is within 10 % of the exact
 * one.  Values may be taken out again (hsr_hist_add with delta -1) to get the median of
 * "every value but this one".
 */
#define HSR_HIST_BINS 160 /* up to 2^39.75 (~900 GB); larger values share the last bin */
struct hsr_hist {
    uint32_t n[HSR_HIST_BINS];
    uint64_t total;
};
void hsr_hist_add(struct hsr_hist *h, double v, int delta);
/* The median (the geometric middle of the median's bin); 0 for an empty histogram. */
double hsr_hist_median(const struct hsr_hist *h);
/* How many values lie in v's bin or above (values >= v, to the bin's precision). */
uint64_t hsr_hist_count_ge(const struct hsr_hist *h, double v);

/*
 * Register hsr_match(list, value) on a day file's connection: 1 when value (TEXT) matches a
 * pattern of list (hsr_glob_any), else 0; NULL values give 0.  Returns 0 or KS_ESQL.
 */
int hsr_sql_register(void *db);

/* Append printf output to buf (n bytes) at *o; the tail is cut, buf stays terminated. */
void hsr_put(char *buf, size_t n, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Add each space-separated word of words to the space-separated list dst (n bytes) unless
   dst already has it. */
void hsr_words_merge(char *dst, size_t n, const char *words);

/* psexec's score of a set of signals (bits, h_psexec.c): the noisy-OR of their weights. */
double hsr_psexec_score(unsigned bits);

/*
 * remote-exec's weight of one DCE-RPC operation (h_remoteexec.c): *tech is the technique of
 * the interface uuid (an index into its table; -1 when none of its interfaces) and the value
 * the weight of op (0 for endpoint-mapper calls, which are scored by their number).
 */
double hsr_rx_classify(const char *uuid, const char *op, int *tech);
/* remote-exec's score of a result (h_remoteexec.c): the strongest weight w, calls in all,
   other techniques on the same pair, day files showing it. */
double hsr_rx_score(double w, uint64_t calls, unsigned others, unsigned ndays);

/* collection's score of a window rf times its files baseline and rb times its bytes
   baseline (h_collection.c). */
double hsr_collection_score(double rf, double rb, double half);

/* The pid of a record path in a day file, or -1 when the day file never saw it. */
int64_t hsr_pid(void *db, const char *path);

#endif
