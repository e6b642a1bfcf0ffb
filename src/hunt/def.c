/*
 * def.c — hunt files (hunt.h): parsing, the built-in set, user directories.
 *
 * The format is deliberately small: `key = value` per line, `#` starts a comment line, a value
 * runs to the end of the line (so queries may hold `#` and `=`), and a line that starts with
 * whitespace continues the previous value (long hypotheses).  Unknown keys are errors, so a
 * typo in `param.min_conns` is caught rather than silently ignored.
 */
#include "hunt/hunt.h"
#include "hunt/hunt_int.h"

#include "core/err.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HUNT_FILE_MAX (256 * 1024)
#define HUNT_DEFS_MAX 1024

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

static int set_str(char *dst, size_t cap, const char *s, size_t n, int append)
{
    size_t have = append ? strlen(dst) : 0;
    if (have + (append ? 1 : 0) + n >= cap)
        return KS_ELIMIT;
    if (append)
        dst[have++] = ' ';
    memcpy(dst + have, s, n);
    dst[have + n] = '\0';
    return 0;
}

static int name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

/* The number of a parameter value with its unit (hunt.h), or -1 when it is not one. */
int hunt_num_parse(const char *s, double *out);
int hunt_num_parse(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    static const struct {
        const char *u;
        double m;
    } units[] = {{"Ki", 1024.0},
                 {"Mi", 1048576.0},
                 {"Gi", 1073741824.0},
                 {"Ti", 1099511627776.0},
                 {"K", 1e3},
                 {"k", 1e3},
                 {"M", 1e6},
                 {"G", 1e9},
                 {"T", 1e12},
                 {"s", 1},
                 {"m", 60},
                 {"h", 3600},
                 {"d", 86400},
                 {"w", 604800},
                 {"%", 0.01},
                 {"", 1}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].u) == 0) {
            *out = v * units[i].m;
            return v == v ? 0 : -1; /* NaN is not a number */
        }
    }
    return -1;
}

static struct hunt_param *param_get(struct hunt_def *d, const char *name, size_t n)
{
    for (unsigned i = 0; i < d->nparams; i++)
        if (strlen(d->params[i].name) == n && memcmp(d->params[i].name, name, n) == 0)
            return &d->params[i];
    if (d->nparams >= HUNT_MAX_PARAMS || n == 0 || n >= sizeof d->params[0].name)
        return NULL;
    struct hunt_param *p = &d->params[d->nparams++];
    memset(p, 0, sizeof *p);
    memcpy(p->name, name, n);
    return p;
}

int hunt_def_parse(const char *text, size_t len, const char *origin, struct hunt_def *out,
                   char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->origin, sizeof out->origin, "%s", origin);
    const char *p = text, *end = text + len;
    unsigned line = 0;
    char *last = NULL; /* the value a continuation line extends */
    size_t lastcap = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        line++;
        p = nl ? nl + 1 : end;
        if (memchr(s, '\0', (size_t)(e - s))) {
            snprintf(msg, msglen, "%s:%u: NUL byte", origin, line);
            return KS_EINVAL;
        }
        int cont = s < e && (*s == ' ' || *s == '\t');
        trim(&s, &e);
        if (s == e || *s == '#')
            continue;
        if (cont && last) {
            if (set_str(last, lastcap, s, (size_t)(e - s), 1)) {
                snprintf(msg, msglen, "%s:%u: value too long", origin, line);
                return KS_EINVAL;
            }
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq) {
            snprintf(msg, msglen, "%s:%u: expected key = value", origin, line);
            return KS_EINVAL;
        }
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        size_t kn = (size_t)(ke - ks), vn = (size_t)(ve - vs);
        char *dst = NULL;
        size_t cap = 0;
        static const struct {
            const char *key;
            size_t off, cap;
        } keys[] = {
            {"name", offsetof(struct hunt_def, name), sizeof out->name},
            {"id", offsetof(struct hunt_def, id), sizeof out->id},
            {"kind", offsetof(struct hunt_def, kind), sizeof out->kind},
            {"title", offsetof(struct hunt_def, title), sizeof out->title},
            {"hypothesis", offsetof(struct hunt_def, hypothesis), sizeof out->hypothesis},
            {"attack", offsetof(struct hunt_def, attack), sizeof out->attack},
            {"needs", offsetof(struct hunt_def, needs), sizeof out->needs},
        };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (strlen(keys[i].key) == kn && memcmp(keys[i].key, ks, kn) == 0) {
                dst = (char *)out + keys[i].off;
                cap = keys[i].cap;
            }
        }
        if (!dst && kn > 6 && memcmp(ks, "param.", 6) == 0) {
            struct hunt_param *pp = param_get(out, ks + 6, kn - 6);
            if (pp) {
                dst = pp->value;
                cap = sizeof pp->value;
            }
        } else if (!dst && kn > 5 && memcmp(ks, "help.", 5) == 0) {
            struct hunt_param *pp = param_get(out, ks + 5, kn - 5);
            if (pp) {
                dst = pp->help;
                cap = sizeof pp->help;
            }
        }
        if (!dst) {
            snprintf(msg, msglen, "%s:%u: unknown key '%.*s'", origin, line, (int)kn, ks);
            return KS_EINVAL;
        }
        if (set_str(dst, cap, vs, vn, 0)) {
            snprintf(msg, msglen, "%s:%u: value of '%.*s' too long", origin, line, (int)kn, ks);
            return KS_EINVAL;
        }
        last = dst;
        lastcap = cap;
    }
    if (!name_ok(out->name)) {
        snprintf(msg, msglen, "%s: needs a name (letters, digits, - _ .)", origin);
        return KS_EINVAL;
    }
    if (!out->kind[0])
        snprintf(out->kind, sizeof out->kind, "%s", out->name);
    if (!out->id[0])
        snprintf(out->id, sizeof out->id, "%s", out->name);
    if (!out->hypothesis[0]) {
        snprintf(msg, msglen, "%s: needs a hypothesis", origin);
        return KS_EINVAL;
    }
    int known = 0;
    for (const struct hunt_kind *const *k = hunt_kinds; *k; k++)
        known |= strcmp((*k)->name, out->kind) == 0;
    if (!known) {
        snprintf(msg, msglen, "%s: unknown kind '%s' (see konseki hunt list --kinds)", origin,
                 out->kind);
        return KS_EINVAL;
    }
    for (unsigned i = 0; i < out->nparams; i++) {
        double v;
        out->params[i].numeric = hunt_num_parse(out->params[i].value, &v) == 0;
    }
    return 0;
}

const char *hunt_builtin_text(const char *name)
{
    for (const struct hunt_builtin *b = hunt_builtins; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b->text;
    return NULL;
}

struct defs {
    struct hunt_def *v;
    size_t n, cap;
    void (*warn)(void *ctx, const char *msg);
    void *wctx;
};

static int defs_put(struct defs *d, const struct hunt_def *def)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->v[i].name, def->name) == 0) {
            d->v[i] = *def;
            return 0;
        }
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        if (nc > HUNT_DEFS_MAX)
            return KS_ELIMIT;
        struct hunt_def *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        d->v = nv;
        d->cap = nc;
    }
    d->v[d->n++] = *def;
    return 0;
}

static void warnf(struct defs *d, const char *msg)
{
    if (d->warn)
        d->warn(d->wctx, msg);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct defs *d, const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return 0; /* no user hunts there */
    char *names[HUNT_DEFS_MAX];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) && n < HUNT_DEFS_MAX) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".hunt") == 0 && (names[n] = strdup(de->d_name)))
            n++;
    }
    closedir(dh);
    qsort(names, n, sizeof names[0], name_cmp);
    int rc = 0;
    struct hunt_def *def = malloc(sizeof *def);
    char *buf = malloc(HUNT_FILE_MAX);
    if (!def || !buf)
        rc = KS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], msg[PATH_MAX + 200];
        if (!rc && snprintf(path, sizeof path, "%s/%s", dir, names[i]) < (int)sizeof path) {
            FILE *f = fopen(path, "rb");
            size_t len = f ? fread(buf, 1, HUNT_FILE_MAX, f) : 0;
            if (!f) {
                snprintf(msg, sizeof msg, "%s: cannot open", path);
                warnf(d, msg);
            } else if (len == HUNT_FILE_MAX) {
                snprintf(msg, sizeof msg, "%s: larger than %d bytes", path, HUNT_FILE_MAX);
                warnf(d, msg);
            } else if (hunt_def_parse(buf, len, path, def, msg, sizeof msg) == 0) {
                rc = defs_put(d, def);
            } else {
                warnf(d, msg);
            }
            if (f)
                fclose(f);
        }
        free(names[i]);
    }
    free(def);
    free(buf);
    return rc;
}

int hunt_defs_load(const char *store_dir, struct hunt_def **out, size_t *n,
                   void (*warn)(void *ctx, const char *msg), void *warn_ctx)
{
    struct defs d = {.warn = warn, .wctx = warn_ctx};
    struct hunt_def *def = malloc(sizeof *def);
    int rc = def ? 0 : KS_ENOMEM;
    for (const struct hunt_builtin *b = hunt_builtins; !rc && b->name; b++) {
        char msg[512], origin[96];
        snprintf(origin, sizeof origin, "built-in %s.hunt", b->name);
        rc = hunt_def_parse(b->text, strlen(b->text), origin, def, msg, sizeof msg);
        if (rc) {
            warnf(&d, msg); /* a broken built-in is a bug: tests catch it */
            rc = 0;
            continue;
        }
        snprintf(def->origin, sizeof def->origin, "built-in");
        rc = defs_put(&d, def);
    }
    free(def);
    if (!rc && store_dir) {
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof dir, "%s/hunts", store_dir) < (int)sizeof dir)
            rc = load_dir(&d, dir);
    }
    const char *env = getenv("KONSEKI_HUNTS");
    if (!rc && env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy)
            rc = KS_ENOMEM;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && !rc;
             t = strtok_r(NULL, ":", &save))
            rc = load_dir(&d, t);
        free(copy);
    }
    if (rc) {
        free(d.v);
        return rc;
    }
    *out = d.v;
    *n = d.n;
    return 0;
}

const struct hunt_def *hunt_def_find(const struct hunt_def *defs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}
