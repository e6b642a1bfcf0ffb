/* h_smbrpc.c — helpers of the SMB / DCE-RPC hunts (h_smbrpc.h). */
#include "hunt/h_smbrpc.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sqlite3.h>
#include <string.h>
#include <strings.h>

int hsr_glob(const char *p, const char *s)
{
    /* The classic two-pointer wildcard match: remember the last '*' and where in s it
       started matching; on a mismatch let that star eat one more character. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int hsr_glob_any(const char *list, const char *s)
{
    if (!list || !s)
        return 0;
    int k = 0;
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, " ,");
        if (!n)
            break;
        k++;
        char pat[128];
        if (n < sizeof pat) {
            memcpy(pat, p, n);
            pat[n] = '\0';
            if (hsr_glob(pat, s))
                return k;
        }
        p += n;
    }
    return 0;
}

int hsr_json_has(const char *v, const char *word)
{
    if (!v || !word)
        return 0;
    if (*v != '[')
        return strcmp(v, word) == 0;
    /* JSON text of an array of plain words: look for "word" as a whole element. */
    size_t wl = strlen(word);
    for (const char *p = strchr(v, '"'); p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, word, wl) == 0 && p[1 + wl] == '"')
            return 1;
        p = strchr(p + 1, '"'); /* skip to this string's closing quote */
        if (!p)
            break;
    }
    return 0;
}

const char *hsr_basename(const char *path)
{
    if (!path)
        return "";
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

int hsr_admin_share(const char *share)
{
    const char *name = hsr_basename(share);
    size_t n = strlen(name);
    if (n < 2 || name[n - 1] != '$')
        return 0;
    return !(n == 4 && strncasecmp(name, "IPC$", 4) == 0);
}

void hsr_put(char *buf, size_t n, size_t *o, const char *fmt, ...)
{
    if (!n || *o >= n - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *o, n - *o, fmt, ap);
    va_end(ap);
    if (k > 0)
        *o = *o + (size_t)k < n ? *o + (size_t)k : n - 1;
}

void hsr_words_merge(char *dst, size_t n, const char *words)
{
    size_t o = strlen(dst);
    for (const char *w = words; *w;) {
        while (*w == ' ')
            w++;
        size_t k = strcspn(w, " ");
        if (!k)
            break;
        int have = 0;
        for (const char *d = dst; *d && !have;) {
            size_t m = strcspn(d, " ");
            have = m == k && strncmp(d, w, k) == 0;
            d += m;
            while (*d == ' ')
                d++;
        }
        if (!have)
            hsr_put(dst, n, &o, "%s%.*s", o ? " " : "", (int)k, w);
        w += k;
    }
}

/* ---------------------------------------------------------------- histogram */

static unsigned hist_bin(double v)
{
    if (!(v >= 1))
        return 0;
    double k = 1 + floor(4 * log2(v));
    return k >= HSR_HIST_BINS - 1 ? HSR_HIST_BINS - 1 : (unsigned)k;
}

void hsr_hist_add(struct hsr_hist *h, double v, int delta)
{
    unsigned b = hist_bin(v);
    if (delta > 0) {
        if (h->n[b] < UINT32_MAX) {
            h->n[b]++;
            h->total++;
        }
    } else if (h->n[b]) {
        h->n[b]--;
        h->total--;
    }
}

double hsr_hist_median(const struct hsr_hist *h)
{
    if (!h->total)
        return 0;
    uint64_t want = (h->total - 1) / 2, seen = 0;
    for (unsigned b = 0; b < HSR_HIST_BINS; b++) {
        seen += h->n[b];
        if (seen > want)
            return b ? exp2(((double)b - 1 + 0.5) / 4) : 0;
    }
    return 0;
}

uint64_t hsr_hist_count_ge(const struct hsr_hist *h, double v)
{
    uint64_t n = 0;
    for (unsigned b = hist_bin(v); b < HSR_HIST_BINS; b++)
        n += h->n[b];
    return n;
}

/* ---------------------------------------------------------------- SQL */

static void sql_match(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *list = (const char *)sqlite3_value_text(argv[0]);
    const char *v = (const char *)sqlite3_value_text(argv[1]);
    sqlite3_result_int(c, list && v && hsr_glob_any(list, v) > 0);
}

int hsr_sql_register(void *dbp)
{
    sqlite3 *db = dbp;
    if (sqlite3_create_function_v2(db, "hsr_match", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   sql_match, NULL, NULL, NULL) != SQLITE_OK)
        return KS_ESQL;
    return 0;
}

int64_t hsr_pid(void *db, const char *path)
{
    int64_t pid;
    return hunt_path_id(db, path, &pid) == 0 ? pid : -1;
}
