/*
 * sqlite.c — the plan as one SQLite boolean expression with '?' parameters, and konseki_regexp().
 *
 *   ip.dst == 10.1.0.0/16 && port == [445, 3389] && tcp.state != S0
 *   ──▶ ((dst_ip BETWEEN ? AND ?) AND ((src_port IN (?, ?)) OR (dst_port IN (?, ?)))
 *        AND (tcp_state = ?) IS NOT 1)
 *
 * Comparisons use the plain forms SQLite's planner can put on an index: `col = ?`,
 * `col IN (…)`, `col BETWEEN ? AND ?`, `col GLOB ?` with a fixed prefix (sqlite.org/optoverview
 * .html §2, §5, §8).  Either-end fields are an OR of both columns, which the OR-by-union
 * strategy (§3.2) serves from two indexes.
 *
 * NULL: a negated comparison on a column that may be NULL is written `(…) IS NOT 1`, so
 * `vlan != 5` and `!(vlan == 5)` keep untagged sessions, as the negation of "vlan is 5" should.
 * Elsewhere NULL behaves as false, which for AND/OR trees without NOT (the plan is in negation
 * normal form) is the same as Kleene logic followed by WHERE's "NULL is not true".
 *
 * Shape: SQLite 3.40's LALR parser has a fixed stack of 100 entries (YYSTACKDEPTH) and rejects
 * expression trees taller than 1000 (SQLITE_MAX_EXPR_DEPTH), so a long chain `a OR b OR …`
 * and deep parentheses both fail at prepare time.  Hence:
 *   - a group of more than GROUP_MAX operands is split into GROUP_MAX parenthesised sub-groups
 *     (a list of 10,000 CIDRs is 5 levels deep, not a 10,000-long chain);
 *   - in a group the operand that needs the most parser stack goes first: while it is parsed,
 *     the enclosing group has pushed only its '(' (later operands also hold `expr OR`);
 *   - both needs are estimated with the model below (measured against 3.40: an atom with its
 *     parentheses takes at most 6 stack entries and is at most 4 nodes tall), and a plan over
 *     SQL_MAX_COST / SQL_MAX_HEIGHT is refused.  The limits leave ~30 stack entries and 200
 *     levels for the statement around the expression.  Real queries are far below.
 * More than RANGE_INLINE_MAX CIDRs in one comparison become konseki_inranges(?, col) with one
 * blob parameter (see build_rangeset); fewer stay BETWEENs, which indexes serve.
 */
#include "query/query_int.h"

#include "core/addr.h"
#include "core/err.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_MAX 8
#define ATOM_COST 6
#define ATOM_HEIGHT 4
#define SQL_MAX_COST 64
#define SQL_MAX_HEIGHT 800
#define RANGE_INLINE_MAX 64 /* CIDRs per comparison written as BETWEENs; more: a range set */

/* ---- shape model ---------------------------------------------------------------------------- */

struct shape {
    int cost, height;
};

/* Operand i of a group, for measuring (ctx: what the group is made of). */
typedef struct shape (*shape_fn)(const void *ctx, size_t i);

/*
 * `(x0 OP x1 OP … OP xn-1)`: the parser holds '(' while reading x0 and '(' expr OP while reading
 * any later operand; SQLite builds the chain left-deep, so x0 sits n-1 levels down, xi n-i.
 */
static struct shape combine(const struct shape *x, size_t n)
{
    if (n <= 1)
        return n ? x[0] : (struct shape){0, 0};
    struct shape s = {x[0].cost, x[0].height + (int)n - 1};
    for (size_t i = 1; i < n; i++) {
        if (x[i].cost + 2 > s.cost)
            s.cost = x[i].cost + 2;
        if (x[i].height + (int)(n - i) > s.height)
            s.height = x[i].height + (int)(n - i);
    }
    s.cost += 1;
    return s;
}

/* Slice k of GROUP_MAX over [lo, hi): never empty when hi - lo > GROUP_MAX. */
static size_t slice(size_t lo, size_t hi, size_t k)
{
    return lo + (hi - lo) * k / GROUP_MAX;
}

static struct shape group_shape(shape_fn fn, const void *ctx, size_t lo, size_t hi)
{
    struct shape x[GROUP_MAX] = {{0, 0}};
    size_t n = hi - lo;
    if (n <= GROUP_MAX) {
        for (size_t i = 0; i < n; i++)
            x[i] = fn(ctx, lo + i);
        return combine(x, n);
    }
    for (size_t k = 0; k < GROUP_MAX; k++)
        x[k] = group_shape(fn, ctx, slice(lo, hi, k), slice(lo, hi, k + 1));
    return combine(x, GROUP_MAX);
}

static struct shape atom_shape(const void *ctx, size_t i)
{
    (void)ctx, (void)i;
    return (struct shape){ATOM_COST, ATOM_HEIGHT};
}

static struct shape child_shape(const void *ctx, size_t i)
{
    const struct qnode *const *kids = ctx;
    return (struct shape){kids[i]->cost, kids[i]->height};
}

/* ---- atoms: one SQL comparison each ---------------------------------------------------------- */

enum atom_kind { AT_POINTS, AT_ONE, AT_EXISTS, AT_RANGESET };

struct atom {
    enum atom_kind kind;
    const char *col;
    const struct qval *v; /* AT_ONE */
};

static int is_point(const struct qval *v)
{
    return v->kind == QV_INT || v->kind == QV_IP || v->kind == QV_TEXT;
}

/*
 * The atoms of a comparison, in emission order, into a (may be NULL to count): per column the
 * exact values as one `=`/`IN`, then one atom per range, pattern, flag test; ordering and
 * EXISTS! are one atom per column.
 */
static size_t leaf_ranges(const struct qnode *n)
{
    size_t r = 0;
    for (size_t i = 0; i < n->vals.n; i++)
        r += n->vals.v[i].kind == QV_RANGE;
    return r;
}

static size_t leaf_atoms(const struct qnode *n, struct atom *a)
{
    size_t k = 0;
    int set = leaf_ranges(n) > RANGE_INLINE_MAX;
    for (int c = 0; c < n->f->ncols; c++) {
        const char *col = n->f->cols[c];
        int points = 0;
        if (set) {
            if (a)
                a[k] = (struct atom){AT_RANGESET, col, NULL};
            k++;
        }
        for (size_t i = 0; i < n->vals.n; i++) {
            const struct qval *v = &n->vals.v[i];
            if (v->kind == QV_RANGE && set) {
                continue;
            } else if (v->kind == QV_EXISTS) {
                if (a)
                    a[k] = (struct atom){AT_EXISTS, col, v};
                k++;
            } else if (n->op == QOP_EQ && is_point(v)) {
                points = 1;
            } else {
                if (a)
                    a[k] = (struct atom){AT_ONE, col, v};
                k++;
            }
        }
        if (points) {
            if (a)
                a[k] = (struct atom){AT_POINTS, col, NULL};
            k++;
        }
    }
    return k;
}

/* ---- emission ------------------------------------------------------------------------------- */

struct emitter {
    struct query *q;
    struct query_error *err;
    int rc;
};

static int put(struct emitter *e, const char *s)
{
    if (!e->rc)
        e->rc = buf_append(&e->q->sql, s, strlen(s));
    return e->rc;
}

static int param(struct emitter *e, enum qparam_type type, int64_t i, const void *p, size_t len)
{
    struct query *q = e->q;
    if (e->rc)
        return e->rc;
    if (q->nparams == QUERY_MAX_PARAMS)
        return e->rc = qerr(e->err, 0, "query has too many values for SQLite (max %d)",
                            QUERY_MAX_PARAMS);
    if (q->nparams == q->params_alloc) {
        size_t na = q->params_alloc ? q->params_alloc * 2 : 16;
        struct qparam *np = realloc(q->params, na * sizeof *np);
        if (!np)
            return e->rc = KS_ENOMEM;
        q->params = np;
        q->params_alloc = na;
    }
    q->params[q->nparams++] = (struct qparam){.type = type, .i = i, .p = p, .len = len};
    return put(e, "?");
}

static int value_param(struct emitter *e, const struct qval *v)
{
    switch (v->kind) {
    case QV_IP:
        return param(e, QP_BLOB, 0, v->lo, 16);
    case QV_TEXT:
    case QV_GLOB:
    case QV_REGEX:
        return param(e, QP_TEXT, 0, v->s, strlen(v->s));
    default:
        return param(e, QP_INT, v->i, NULL, 0);
    }
}

static const char *const op_sql[] = {
    [QOP_EQ] = " = ",  [QOP_NE] = " != ", [QOP_LT] = " < ",
    [QOP_LE] = " <= ", [QOP_GT] = " > ",  [QOP_GE] = " >= ",
};

/* ---- IOC sets ------------------------------------------------------------------------------- */

/* IPv4-mapped addresses (::ffff:0:0/96), as the store and ioc.db keep IPv4 */
#define V4_RANGE "x'00000000000000000000ffff00000000' AND x'00000000000000000000ffffffffffff'"

/* The set's indicators `i`: its type, family, active now, from its source. */
static void set_cond(struct emitter *e, const struct qval *v)
{
    const struct qset_type *t = qset_type_get(v->i);
    put(e, "i.type = '");
    put(e, t->stored); /* fixed text from values.c's table */
    put(e, "'");
    if (t->family)
        put(e, t->family == 4 ? " AND i.lo BETWEEN " V4_RANGE : " AND i.lo NOT BETWEEN " V4_RANGE);
    put(e, " AND (i.valid_until_ns = 0 OR i.valid_until_ns > ");
    param(e, QP_INT, v->i2, NULL, 0);
    put(e, ")");
    if (v->s) {
        put(e, " AND i.id IN (SELECT ioc FROM ioc_sources WHERE source = ");
        param(e, QP_TEXT, 0, v->s, strlen(v->s));
        put(e, ")");
    }
}

/*
 * `col` against an IOC set ($ioc:…), over the IOC store's tables (query.h): exact values as
 * `col IN (SELECT …)`, which SQLite answers with one index lookup per indicator; networks on a
 * session address as one index range each (a join from the indicators), and on text addresses
 * as one range set (konseki_rangeset, built once per statement) searched per row; names by walking
 * each distinct stored name's label suffixes (a.b.evil.com: itself, b.evil.com, evil.com, com)
 * into the indicators' (type, value) index, so a domain matches itself and its subdomains and
 * never a longer label, in time that follows the stored names, not names x indicators.
 */
static void emit_set(struct emitter *e, const struct qnode *n, const char *col,
                     const struct qval *v)
{
    const char *held;
    enum qioc_style style = qfield_ioc(n->f, &held);
    int net = strcmp(qset_type_get(v->i)->stored, "cidr") == 0;
    if (net && style == QI_ENDPOINT) {
        /* each network a range of the column's index: SQLite starts from the indicators */
        put(e, "id IN (SELECT s2.id FROM indicators i JOIN sessions s2 ON s2.");
        put(e, col);
        put(e, " BETWEEN i.lo AND i.hi WHERE ");
        set_cond(e, v);
        put(e, ")");
        return;
    }
    if (net) {
        put(e, "konseki_inranges((SELECT konseki_rangeset(i.lo, i.hi) FROM indicators i WHERE ");
        set_cond(e, v);
        put(e, style == QI_ADDRTEXT ? "), konseki_ip16(" : "), ");
        put(e, col);
        put(e, style == QI_ADDRTEXT ? "))" : ")");
        return;
    }
    if (style == QI_NAME || style == QI_NAME_LAST) {
        put(e, col);
        put(e,
            style == QI_NAME_LAST
                ? " IN (WITH RECURSIVE suf(v, s) AS (SELECT DISTINCT value, konseki_name(value, 1)"
                : " IN (WITH RECURSIVE suf(v, s) AS (SELECT DISTINCT value, konseki_name(value, "
                  "0)");
        put(e, " FROM fields WHERE pid = (SELECT pid FROM paths WHERE path = '");
        put(e, n->f->path); /* fixed text from fields.c */
        put(e, "') UNION ALL SELECT v, substr(s, instr(s, '.') + 1) FROM suf"
               " WHERE instr(s, '.') > 0)"
               " SELECT suf.v FROM suf JOIN indicators i ON i.value = suf.s WHERE ");
        set_cond(e, v);
        put(e, ")");
        return;
    }
    if (style == QI_LOWER)
        put(e, "lower(");
    put(e, col);
    put(e, style == QI_LOWER ? ")" : "");
    put(e, style == QI_ENDPOINT ? " IN (SELECT i.lo FROM indicators i WHERE "
                                : " IN (SELECT i.value FROM indicators i WHERE ");
    set_cond(e, v);
    put(e, ")");
}

static void emit_atom(struct emitter *e, const struct qnode *n, const struct atom *a)
{
    const struct qval *v = a->v;
    put(e, "(");
    if (a->kind == AT_RANGESET) {
        put(e, "konseki_inranges(");
        param(e, QP_BLOB, 0, n->rangeset, n->rangeset_len);
        put(e, ", ");
        put(e, a->col);
        put(e, ")");
    } else if (a->kind == AT_EXISTS) {
        put(e, a->col);
        put(e, " IS NOT NULL");
    } else if (a->kind == AT_POINTS) {
        size_t count = 0;
        for (size_t i = 0; i < n->vals.n; i++)
            count += is_point(&n->vals.v[i]);
        put(e, a->col);
        put(e, count == 1 ? " = " : " IN (");
        for (size_t i = 0, k = 0; i < n->vals.n; i++) {
            if (!is_point(&n->vals.v[i]))
                continue;
            if (k++)
                put(e, ", ");
            value_param(e, &n->vals.v[i]);
        }
        if (count > 1)
            put(e, ")");
    } else if (v->kind == QV_RANGE) {
        put(e, a->col);
        put(e, " BETWEEN ");
        param(e, QP_BLOB, 0, v->lo, 16);
        put(e, " AND ");
        param(e, QP_BLOB, 0, v->hi, 16);
    } else if (v->kind == QV_GLOB) {
        put(e, a->col);
        put(e, " GLOB ");
        value_param(e, v);
    } else if (v->kind == QV_REGEX) {
        put(e, "konseki_regexp(");
        value_param(e, v);
        put(e, ", ");
        put(e, a->col);
        put(e, ")");
    } else if (v->kind == QV_IOCSET) {
        emit_set(e, n, a->col, v);
    } else if (v->kind == QV_FLAGS_ANY) {
        put(e, "(");
        put(e, a->col);
        put(e, " & ");
        value_param(e, v);
        put(e, ") != 0");
    } else if (v->kind == QV_FLAGS_ALL && v->i == 0) {
        put(e, a->col);
        put(e, " = ");
        value_param(e, v);
    } else if (v->kind == QV_FLAGS_ALL) {
        put(e, "(");
        put(e, a->col);
        put(e, " & ");
        value_param(e, v);
        put(e, ") = ");
        value_param(e, v);
    } else {
        /* An ordering against one number, time or address. */
        put(e, a->col);
        put(e, op_sql[n->op]);
        value_param(e, v);
    }
    put(e, ")");
}

/* Operand i of a group being written. */
typedef void (*emit_fn)(struct emitter *e, const void *ctx, size_t i);

static void group_emit(struct emitter *e, emit_fn fn, const void *ctx, size_t lo, size_t hi,
                       const char *op)
{
    size_t n = hi - lo;
    if (n == 1) {
        fn(e, ctx, lo);
        return;
    }
    put(e, "(");
    for (size_t k = 0; k < (n <= GROUP_MAX ? n : GROUP_MAX); k++) {
        if (k)
            put(e, op);
        if (n <= GROUP_MAX)
            fn(e, ctx, lo + k);
        else
            group_emit(e, fn, ctx, slice(lo, hi, k), slice(lo, hi, k + 1), op);
    }
    put(e, ")");
}

struct leaf_ctx {
    const struct qnode *n;
    const struct atom *atoms;
};

static void leaf_atom_emit(struct emitter *e, const void *ctx, size_t i)
{
    const struct leaf_ctx *l = ctx;
    emit_atom(e, l->n, &l->atoms[i]);
}

static void emit_node(struct emitter *e, int idx);

static void child_emit(struct emitter *e, const void *ctx, size_t i)
{
    const int *kids = ctx;
    emit_node(e, kids[i]);
}

static int child_count(const struct query *q, int idx)
{
    int n = 0;
    for (int c = q->nodes[idx].first; c >= 0; c = q->nodes[c].next)
        n++;
    return n;
}

static void emit_node(struct emitter *e, int idx)
{
    const struct qnode *n = &e->q->nodes[idx];
    if (e->rc)
        return;
    if (n->kind == QN_CMP) {
        size_t na = leaf_atoms(n, NULL);
        struct atom *atoms = malloc(na * sizeof *atoms);
        if (!atoms) {
            e->rc = KS_ENOMEM;
            return;
        }
        leaf_atoms(n, atoms);
        struct leaf_ctx l = {n, atoms};
        if (n->neg && !n->f->nullable)
            put(e, "NOT ");
        if (n->f->path) {
            /* a record field: the session has some value under the path that matches */
            put(e,
                "id IN (SELECT id FROM fields WHERE pid = (SELECT pid FROM paths WHERE path = '");
            put(e, n->f->path); /* fixed text from fields.c, checked to be [a-z0-9_.] */
            put(e, "') AND ");
        }
        if (n->f->sub) {
            /* IOC findings: sessions with a finding whose indicator/source/place matches */
            put(e, "id IN (");
            put(e, n->f->sub); /* fixed text from fields.c */
        }
        group_emit(e, leaf_atom_emit, &l, 0, na, " OR ");
        if (n->f->path || n->f->sub)
            put(e, ")");
        if (n->neg && n->f->nullable)
            put(e, " IS NOT 1");
        free(atoms);
        return;
    }
    int count = child_count(e->q, idx);
    int *kids = malloc((size_t)count * sizeof *kids);
    if (!kids) {
        e->rc = KS_ENOMEM;
        return;
    }
    int k = 0;
    for (int c = n->first; c >= 0; c = e->q->nodes[c].next)
        kids[k++] = c;
    group_emit(e, child_emit, kids, 0, (size_t)count, n->kind == QN_AND ? " AND " : " OR ");
    free(kids);
}

/* ---- measuring and ordering ------------------------------------------------------------------ */

struct ranked {
    const struct qnode *n;
    int idx, order;
};

static int by_cost_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->n->cost != y->n->cost)
        return x->n->cost > y->n->cost ? -1 : 1;
    return x->order - y->order; /* stable: keep the query's order otherwise */
}

/*
 * Many CIDRs: one sorted array of disjoint [lo, hi] (overlaps merged) for konseki_inranges(),
 * a binary search per row.  As a long OR of BETWEENs, SQLite 3.40 drops its multi-index plan
 * past a few thousand terms and then spends time quadratic in the parameters generating code.
 */
static int build_rangeset(struct qnode *n)
{
    size_t nr = leaf_ranges(n), k = 0;
    uint8_t *set = malloc(nr * 32);
    if (!set)
        return KS_ENOMEM;
    for (size_t i = 0; i < n->vals.n; i++) {
        if (n->vals.v[i].kind != QV_RANGE)
            continue;
        memcpy(set + 32 * k, n->vals.v[i].lo, 16);
        memcpy(set + 32 * k + 16, n->vals.v[i].hi, 16);
        k++;
    }
    free(n->rangeset);
    n->rangeset = set;
    n->rangeset_len = 32 * addr_ranges_merge(set, nr);
    return 0;
}

/* Post-order: shape of every node; children re-linked costliest first. */
static int measure(struct query *q, int idx)
{
    struct qnode *n = &q->nodes[idx];
    if (n->kind == QN_CMP) {
        int rc;
        if (leaf_ranges(n) > RANGE_INLINE_MAX && (rc = build_rangeset(n)))
            return rc;
        size_t na = leaf_atoms(n, NULL);
        struct shape s = group_shape(atom_shape, NULL, 0, na);
        if (n->neg)
            s.cost += 2, s.height += 1;
        n->cost = s.cost;
        n->height = s.height;
        return 0;
    }
    int count = child_count(q, idx);
    struct ranked *r = malloc((size_t)count * sizeof *r);
    const struct qnode **kids = malloc((size_t)count * sizeof *kids);
    int rc = 0;
    if (!r || !kids) {
        rc = KS_ENOMEM;
        goto done;
    }
    int k = 0;
    for (int c = n->first; c >= 0; c = q->nodes[c].next) {
        if ((rc = measure(q, c)))
            goto done;
        r[k] = (struct ranked){&q->nodes[c], c, k};
        k++;
    }
    qsort(r, (size_t)count, sizeof *r, by_cost_desc);
    n->first = n->last = -1;
    for (k = 0; k < count; k++) {
        q->nodes[r[k].idx].next = -1;
        if (n->last >= 0)
            q->nodes[n->last].next = r[k].idx;
        else
            n->first = r[k].idx;
        n->last = r[k].idx;
        kids[k] = r[k].n;
    }
    struct shape s = group_shape(child_shape, kids, 0, (size_t)count);
    n->cost = s.cost;
    n->height = s.height;
done:
    free(r);
    free(kids);
    return rc;
}

int qsql_build(struct query *q, struct query_error *err)
{
    buf_reset(&q->sql);
    q->nparams = 0;
    if (q->root < 0)
        return buf_append(&q->sql, "1", 1);
    int rc = measure(q, q->root);
    if (rc)
        return rc;
    const struct qnode *root = &q->nodes[q->root];
    /* A negated comparison is the only form not already inside parentheses. */
    int wrap = root->kind == QN_CMP && root->neg;
    if (root->cost + wrap > SQL_MAX_COST || root->height > SQL_MAX_HEIGHT)
        return qerr(err, 0,
                    "query is too deeply nested for SQLite; remove some parentheses or "
                    "split it");
    struct emitter e = {q, err, 0};
    if (wrap)
        put(&e, "(");
    emit_node(&e, q->root);
    if (wrap)
        put(&e, ")");
    return e.rc;
}

int query_compile_sqlite(const struct query *q, struct buf *sql, const struct qparam **params,
                         size_t *nparams)
{
    int rc = buf_append(sql, q->sql.data, q->sql.len);
    if (rc)
        return rc;
    *params = q->params;
    *nparams = q->nparams;
    return 0;
}

/* ---- konseki_regexp(pattern, value) ---------------------------------------------------------- */

/*
 * Per connection, the last RE_CACHE_SIZE patterns compiled (and JIT-compiled when the platform
 * allows), keyed by pattern text.  A connection runs one statement step at a time, so the cache
 * needs no lock; each connection has its own (query_sqlite_register per connection).
 */
#define RE_CACHE_SIZE 16
#define RE_MATCH_LIMIT 1000000 /* backtracking steps per row: a bad pattern fails, never hangs */

struct re_entry {
    char *pattern;
    size_t len;
    pcre2_code *code;
    pcre2_match_data *md;
    uint64_t used;
};

struct re_cache {
    struct re_entry e[RE_CACHE_SIZE];
    uint64_t tick;
    pcre2_match_context *mc;
};

static void re_entry_clear(struct re_entry *x)
{
    free(x->pattern);
    pcre2_match_data_free(x->md);
    pcre2_code_free(x->code);
    memset(x, 0, sizeof *x);
}

static void re_cache_free(void *p)
{
    struct re_cache *c = p;
    for (int i = 0; i < RE_CACHE_SIZE; i++)
        re_entry_clear(&c->e[i]);
    pcre2_match_context_free(c->mc);
    free(c);
}

static struct re_entry *re_lookup(sqlite3_context *ctx, struct re_cache *c, const char *pat,
                                  size_t len)
{
    struct re_entry *victim = &c->e[0];
    for (int i = 0; i < RE_CACHE_SIZE; i++) {
        struct re_entry *x = &c->e[i];
        if (x->code && x->len == len && memcmp(x->pattern, pat, len) == 0) {
            x->used = ++c->tick;
            return x;
        }
        if (x->used < victim->used)
            victim = x;
    }
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = qre_compile(pat, len, &code, &off);
    if (!re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            msg[0] = '\0';
        char *m = sqlite3_mprintf("konseki_regexp: bad pattern: %s", (const char *)msg);
        sqlite3_result_error(ctx, m ? m : "konseki_regexp: bad pattern", -1);
        sqlite3_free(m);
        return NULL;
    }
    /* JIT is an optimisation: on failure the interpreter runs the same pattern. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    char *copy = malloc(len + 1);
    if (!md || !copy) {
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        free(copy);
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    memcpy(copy, pat, len);
    copy[len] = '\0';
    re_entry_clear(victim);
    *victim = (struct re_entry){copy, len, re, md, ++c->tick};
    return victim;
}

static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct re_cache *c = sqlite3_user_data(ctx);
    (void)argc;
    /* A missing value never matches (and a negated match then holds). */
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    const char *pat = (const char *)sqlite3_value_text(argv[0]);
    size_t plen = (size_t)sqlite3_value_bytes(argv[0]);
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    size_t slen = (size_t)sqlite3_value_bytes(argv[1]);
    if (!pat || !s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    struct re_entry *x = re_lookup(ctx, c, pat, plen);
    if (!x)
        return;
    int rc = pcre2_match(x->code, (PCRE2_SPTR)s, slen, 0, 0, x->md, c->mc);
    if (rc >= 0) {
        sqlite3_result_int(ctx, 1);
    } else if (rc == PCRE2_ERROR_NOMATCH) {
        sqlite3_result_int(ctx, 0);
    } else {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            msg[0] = '\0';
        char *m = sqlite3_mprintf("konseki_regexp: %s", (const char *)msg);
        sqlite3_result_error(ctx, m ? m : "konseki_regexp: match failed", -1);
        sqlite3_free(m);
    }
}

/*
 * konseki_inranges(set, value): is the 16-byte value inside one of the ranges of set, the
 * sorted disjoint lo|hi pairs of build_rangeset()?  Anything else (NULL, other sizes) is not.
 */
static void inranges_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_type(argv[1]) != SQLITE_BLOB) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    const uint8_t *set = sqlite3_value_blob(argv[0]);
    size_t setlen = (size_t)sqlite3_value_bytes(argv[0]);
    const uint8_t *v = sqlite3_value_blob(argv[1]);
    if (sqlite3_value_bytes(argv[1]) != 16 || !set || !v || setlen % 32) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    /* The last range whose lo <= v, then v <= its hi. */
    size_t lo = 0, hi = setlen / 32;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(set + 32 * mid, v, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    sqlite3_result_int(ctx, lo > 0 && memcmp(v, set + 32 * (lo - 1) + 16, 16) <= 0);
}

/*
 * konseki_rangeset(lo, hi): aggregate of 16-byte range bounds into the sorted, merged set that
 * konseki_inranges() searches (the networks of an IOC set).  Other values are skipped.
 */
#define RANGESET_MAX ((size_t)1 << 22) /* ranges in one set (128 MiB) */

struct rangeset_acc {
    uint8_t *set;
    size_t n, cap;
    int full;
};

static void rangeset_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct rangeset_acc *a = sqlite3_aggregate_context(ctx, sizeof *a);
    if (!a) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_type(argv[1]) != SQLITE_BLOB ||
        sqlite3_value_bytes(argv[0]) != 16 || sqlite3_value_bytes(argv[1]) != 16)
        return;
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        uint8_t *ns = nc <= RANGESET_MAX ? realloc(a->set, nc * 32) : NULL;
        if (!ns) {
            a->full = 1;
            return;
        }
        a->set = ns;
        a->cap = nc;
    }
    memcpy(a->set + 32 * a->n, sqlite3_value_blob(argv[0]), 16);
    memcpy(a->set + 32 * a->n + 16, sqlite3_value_blob(argv[1]), 16);
    a->n++;
}

static void rangeset_final(sqlite3_context *ctx)
{
    struct rangeset_acc *a = sqlite3_aggregate_context(ctx, 0);
    if (!a || !a->n) {
        sqlite3_result_zeroblob(ctx, 0);
    } else if (a->full) {
        sqlite3_result_error(ctx, "konseki_rangeset: too many networks in one IOC set", -1);
    } else {
        size_t n = addr_ranges_merge(a->set, a->n);
        sqlite3_result_blob(ctx, a->set, (int)(32 * n), SQLITE_TRANSIENT);
    }
    if (a)
        free(a->set);
}

/*
 * konseki_name(value, last_word): a stored name as IOC sets compare it (as ioc/match.c does):
 * with last_word only its last blank-separated word (DNS MX/SRV answer data), a leading "*."
 * and trailing dots dropped, lowercase (ASCII: names are punycode).
 */
static void name_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    if (sqlite3_value_int(argv[1])) {
        size_t sp = n;
        while (sp && s[sp - 1] != ' ')
            sp--;
        s += sp, n -= sp;
    }
    if (n > 2 && s[0] == '*' && s[1] == '.')
        s += 2, n -= 2;
    while (n && s[n - 1] == '.')
        n--;
    char *out = sqlite3_malloc64(n + 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    sqlite3_result_text(ctx, out, (int)n, sqlite3_free);
}

/* konseki_ip16(text): an address as the store's 16 bytes (IPv4 as ::ffff:a.b.c.d), else NULL. */
static void ip16_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    uint8_t a[16] = {0};
    if (s && inet_pton(AF_INET, s, a + 12) == 1) {
        a[10] = a[11] = 0xff;
    } else if (!s || inet_pton(AF_INET6, s, a) != 1) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_blob(ctx, a, 16, SQLITE_TRANSIENT);
}

int query_sqlite_register(void *sqlite3_db)
{
    sqlite3 *db = sqlite3_db;
    if (!db)
        return KS_EINVAL;
    struct re_cache *c = calloc(1, sizeof *c);
    if (!c)
        return KS_ENOMEM;
    if (!(c->mc = pcre2_match_context_create(NULL))) {
        free(c);
        return KS_ENOMEM;
    }
    pcre2_set_match_limit(c->mc, RE_MATCH_LIMIT);
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    /* SQLite calls re_cache_free when the function goes away, and also if registering fails. */
    int rc = sqlite3_create_function_v2(db, "konseki_regexp", 2, flags, c, regexp_fn, NULL, NULL,
                                        re_cache_free);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "konseki_inranges", 2, flags, NULL, inranges_fn, NULL,
                                        NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "konseki_ip16", 1, flags, NULL, ip16_fn, NULL, NULL,
                                        NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "konseki_name", 2, flags, NULL, name_fn, NULL, NULL,
                                        NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "konseki_rangeset", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS,
                                        NULL, NULL, rangeset_step, rangeset_final, NULL);
    return rc == SQLITE_OK ? 0 : KS_ESQL;
}

int query_sqlite_bind(void *stmt, int first, const struct qparam *p, size_t n)
{
    sqlite3_stmt *st = stmt;
    for (size_t i = 0; i < n; i++) {
        int c = first + (int)i, rc;
        switch (p[i].type) {
        case QP_INT:
            rc = sqlite3_bind_int64(st, c, p[i].i);
            break;
        case QP_REAL:
            rc = sqlite3_bind_double(st, c, p[i].d);
            break;
        case QP_TEXT:
            rc = sqlite3_bind_text(st, c, p[i].p, (int)p[i].len, SQLITE_STATIC);
            break;
        case QP_BLOB:
            rc = sqlite3_bind_blob(st, c, p[i].p, (int)p[i].len, SQLITE_STATIC);
            break;
        default:
            rc = SQLITE_MISUSE;
            break;
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int query_uses_ioc(const struct query *q)
{
    for (size_t i = 0; q && i < q->nnodes; i++) {
        const struct qnode *n = &q->nodes[i];
        if (n->kind != QN_CMP || !n->f)
            continue;
        if (n->f->sub)
            return 1;
        for (size_t k = 0; k < n->vals.n; k++)
            if (n->vals.v[k].kind == QV_IOCSET)
                return 1;
    }
    return 0;
}
