/*
 * parser.c — tokens to a typed plan.
 *
 *   query      := [ or ] END
 *   or         := and *( "||" and )
 *   and        := unary *( "&&" unary )
 *   unary      := "!" unary | "(" or ")" | comparison            ! binds tightest, then &&, then ||
 *   comparison := FIELD op value
 *   op         := "==" | "!=" | "<" | "<=" | ">" | ">="
 *   value      := scalar | "[" scalar *( "," scalar ) "]"        lists: == any of, != none of
 *   scalar     := word | "string" | /regex/ | EXISTS!
 *
 * Recursion happens only through "!" and "(", and each of those counts against
 * QUERY_MAX_DEPTH; && and || chains are loops that build one n-ary node.
 *
 * `a != v` is stored as a negated `a == v`, and the finished tree is rewritten into negation
 * normal form (De Morgan; NOT only on comparisons) with nested ANDs and ORs merged, so the SQL
 * needs no NOT around groups and as few parentheses as the logic allows (sqlite.c says why that
 * matters).  The SQL is built here too, once, so that the const plan can hand out parameters.
 */
#include "query/query_int.h"

#include "core/err.h"
#include "core/ktime.h"

#include <stdlib.h>
#include <string.h>

struct parser {
    struct qlex lx;
    size_t pos;
    struct query *q;
    struct query_error *err;
    int depth;
    int64_t now;
    int rc; /* first error; the functions below return -1 once it is set */
};

static const struct qtok *peek(struct parser *p)
{
    return &p->lx.toks[p->pos];
}

static const struct qtok *advance(struct parser *p)
{
    const struct qtok *t = &p->lx.toks[p->pos];
    if (t->kind != QT_END)
        p->pos++;
    return t;
}

static int fail(struct parser *p, int rc)
{
    if (!p->rc)
        p->rc = rc;
    return -1;
}

static int new_node(struct parser *p, enum qnkind kind, int col)
{
    struct query *q = p->q;
    if (q->nnodes == QUERY_MAX_NODES)
        return fail(p, qerr(p->err, col, "query has too many terms (max %d)", QUERY_MAX_NODES));
    if (q->nnodes % 64 == 0) {
        struct qnode *n = realloc(q->nodes, (q->nnodes + 64) * sizeof *n);
        if (!n)
            return fail(p, KS_ENOMEM);
        q->nodes = n;
    }
    struct qnode *n = &q->nodes[q->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->first = n->last = n->next = -1;
    n->col = col;
    return (int)q->nnodes++;
}

static void add_child(struct query *q, int parent, int child)
{
    struct qnode *pa = &q->nodes[parent];
    if (pa->last >= 0)
        q->nodes[pa->last].next = child;
    else
        pa->first = child;
    pa->last = child;
}

static int expect_error(struct parser *p, const struct qtok *t, const char *wanted)
{
    char what[64];
    qlex_describe(t, what, sizeof what);
    return fail(p, qerr(p->err, t->col, "expected %s, found %s", wanted, what));
}

static int is_ordering(enum qop op)
{
    return op != QOP_EQ && op != QOP_NE;
}

static int orderable(const struct qfield *f)
{
    switch (f->kind) {
    case QF_IP:
    case QF_PORT:
    case QF_INT:
    case QF_VLAN:
    case QF_TIME:
    case QF_DURATION:
        return 1;
    default:
        return 0;
    }
}

static int unknown_field(struct parser *p, const struct qtok *t)
{
    char hint[80];
    /* A bare value where a comparison belongs is a common slip: say what to write. */
    struct qvals tmp = {0};
    struct query_error scratch;
    const struct qfield *ipf = qfield_find("ip", NULL);
    if (qval_parse(ipf, 0, QOP_EQ, 0, t, 0, &tmp, &scratch) == 0) {
        qvals_release(&tmp);
        return fail(p,
                    qerr(p->err, t->col, "'%.60s' is a value, not a field (write e.g. ip == %.60s)",
                         t->text, t->text));
    }
    qvals_release(&tmp);
    if (!query_path_indexed(t->text))
        return fail(p, qerr(p->err, t->col,
                            "'%.60s' is kept in each record but not indexed: select the sessions "
                            "by another field and read it with --json",
                            t->text));
    if (qfield_suggest(t->text, hint, sizeof hint))
        return fail(
            p, qerr(p->err, t->col, "unknown field '%.60s' (did you mean '%s'?)", t->text, hint));
    return fail(
        p, qerr(p->err, t->col, "unknown field '%.60s' (see `konseki query --fields`)", t->text));
}

static int parse_or(struct parser *p);

static int parse_comparison(struct parser *p)
{
    const struct qtok *ft = peek(p);
    if (ft->kind == QT_END)
        return fail(p, qerr(p->err, ft->col, "missing comparison at the end of the query"));
    if (ft->kind != QT_WORD)
        return expect_error(p, ft, "a field name");
    int is_alias = 0;
    const struct qfield *f = qfield_find(ft->text, &is_alias);
    if (!f)
        return unknown_field(p, ft);
    advance(p);

    const struct qtok *ot = peek(p);
    enum qop op;
    switch (ot->kind) {
    case QT_EQ:
        op = QOP_EQ;
        break;
    case QT_NE:
        op = QOP_NE;
        break;
    case QT_LT:
        op = QOP_LT;
        break;
    case QT_LE:
        op = QOP_LE;
        break;
    case QT_GT:
        op = QOP_GT;
        break;
    case QT_GE:
        op = QOP_GE;
        break;
    default: {
        char what[64], name[80];
        qlex_describe(ft, name, sizeof name);
        qlex_describe(ot, what, sizeof what);
        return fail(p,
                    qerr(p->err, ot->col,
                         "expected an operator (== != < <= > >=) after %s, found %s", name, what));
    }
    }
    if (is_ordering(op) && !orderable(f)) {
        char name[80];
        qlex_describe(ft, name, sizeof name);
        return fail(p, qerr(p->err, ot->col,
                            "ordering needs a number, time or address field; %s is %s", name,
                            qfield_type(f)));
    }
    advance(p);

    int n = new_node(p, QN_CMP, ft->col);
    if (n < 0)
        return -1;
    struct qnode *leaf = &p->q->nodes[n];
    leaf->f = f;
    leaf->op = op == QOP_NE ? QOP_EQ : op;
    leaf->neg = op == QOP_NE;

    const struct qtok *vt = peek(p);
    int rc;
    if (vt->kind == QT_LBRACK) {
        const struct qtok *open = advance(p);
        if (is_ordering(op))
            return fail(p, qerr(p->err, open->col, "a list needs == or !="));
        if (peek(p)->kind == QT_RBRACK)
            return fail(p, qerr(p->err, open->col, "empty list"));
        for (size_t count = 0;; count++) {
            vt = peek(p);
            if (count == QUERY_MAX_LIST)
                return fail(
                    p, qerr(p->err, vt->col, "list is too long (max %d values)", QUERY_MAX_LIST));
            if (vt->kind == QT_END)
                return fail(p, qerr(p->err, open->col, "unclosed '['"));
            if ((rc = qval_parse(f, is_alias, op, 1, vt, p->now, &leaf->vals, p->err)))
                return fail(p, rc);
            advance(p);
            const struct qtok *sep = advance(p);
            if (sep->kind == QT_RBRACK)
                break;
            if (sep->kind == QT_END)
                return fail(p, qerr(p->err, open->col, "unclosed '['"));
            if (sep->kind != QT_COMMA)
                return expect_error(p, sep, "',' or ']'");
        }
        return n;
    }
    if (vt->kind == QT_END || (vt->kind != QT_WORD && vt->kind != QT_STRING &&
                               vt->kind != QT_REGEX && vt->kind != QT_EXISTS)) {
        char what[64], opname[8];
        qlex_describe(ot, opname, sizeof opname);
        qlex_describe(vt, what, sizeof what);
        return fail(p, qerr(p->err, vt->col, "expected a value after %s, found %s", opname, what));
    }
    if ((rc = qval_parse(f, is_alias, op, 0, vt, p->now, &leaf->vals, p->err)))
        return fail(p, rc);
    advance(p);
    return n;
}

static int parse_unary(struct parser *p)
{
    const struct qtok *t = peek(p);
    if (t->kind != QT_NOT && t->kind != QT_LPAREN)
        return parse_comparison(p);
    if (p->depth == QUERY_MAX_DEPTH)
        return fail(p, qerr(p->err, t->col, "expression is nested too deeply (max %d levels)",
                            QUERY_MAX_DEPTH));
    p->depth++;
    advance(p);
    int r;
    if (t->kind == QT_NOT) {
        int c = parse_unary(p);
        if (c < 0)
            return -1;
        if ((r = new_node(p, QN_NOT, t->col)) < 0)
            return -1;
        add_child(p->q, r, c);
    } else {
        if (peek(p)->kind == QT_RPAREN)
            return fail(p, qerr(p->err, peek(p)->col, "empty parentheses"));
        if ((r = parse_or(p)) < 0)
            return -1;
        const struct qtok *close = peek(p);
        if (close->kind == QT_END)
            return fail(p, qerr(p->err, t->col, "unclosed '('"));
        if (close->kind != QT_RPAREN)
            return expect_error(p, close, "'&&', '||' or ')'");
        advance(p);
    }
    p->depth--;
    return r;
}

/* One n-ary node for a chain of the same operator. */
static int parse_chain(struct parser *p, enum qtok_kind tok, enum qnkind kind,
                       int (*operand)(struct parser *))
{
    int left = operand(p);
    if (left < 0 || peek(p)->kind != tok)
        return left;
    int n = new_node(p, kind, peek(p)->col);
    if (n < 0)
        return -1;
    add_child(p->q, n, left);
    while (peek(p)->kind == tok) {
        advance(p);
        int r = operand(p);
        if (r < 0)
            return -1;
        add_child(p->q, n, r);
    }
    return n;
}

static int parse_and(struct parser *p)
{
    return parse_chain(p, QT_AND, QN_AND, parse_unary);
}

static int parse_or(struct parser *p)
{
    return parse_chain(p, QT_OR, QN_OR, parse_and);
}

/*
 * Negation normal form in place: push `neg` down to the comparisons (De Morgan), drop NOT
 * nodes, and merge a child AND into a parent AND (OR likewise).  Depth is bounded as the parse
 * tree's is.
 */
static int nnf(struct query *q, int idx, int neg)
{
    struct qnode *n = &q->nodes[idx];
    switch (n->kind) {
    case QN_CMP:
        n->neg ^= neg;
        return idx;
    case QN_NOT:
        return nnf(q, n->first, !neg);
    case QN_AND:
    case QN_OR:
        break;
    }
    if (neg)
        n->kind = n->kind == QN_AND ? QN_OR : QN_AND;
    enum qnkind kind = n->kind;
    int c = n->first;
    n->first = n->last = -1;
    while (c >= 0) {
        int next = q->nodes[c].next;
        q->nodes[c].next = -1;
        int r = nnf(q, c, neg);
        struct qnode *rn = &q->nodes[r], *self = &q->nodes[idx];
        if (rn->kind == kind) {
            if (self->last >= 0)
                q->nodes[self->last].next = rn->first;
            else
                self->first = rn->first;
            self->last = rn->last;
        } else {
            add_child(q, idx, r);
        }
        c = next;
    }
    return idx;
}

void query_free(struct query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nnodes; i++) {
        qvals_release(&q->nodes[i].vals);
        free(q->nodes[i].rangeset);
    }
    free(q->nodes);
    buf_release(&q->sql);
    free(q->params);
    free(q);
}

int query_parse(const char *text, struct query **out, struct query_error *err)
{
    struct query_error scratch;
    if (!err)
        err = &scratch;
    err->col = 0;
    err->msg[0] = '\0';
    *out = NULL;
    if (!text)
        text = "";
    size_t len = strnlen(text, (size_t)QUERY_MAX_LEN + 1);
    if (len > QUERY_MAX_LEN)
        return qerr(err, 0, "query is longer than %d bytes", QUERY_MAX_LEN);

    struct query *q = calloc(1, sizeof *q);
    if (!q)
        return KS_ENOMEM;
    q->root = -1;
    buf_init(&q->sql, (size_t)16 << 20);
    struct parser p = {.q = q, .err = err, .now = ktime_now()};
    int rc = qlex_run(text, len, &p.lx, err);
    if (rc)
        goto fail_query;
    if (peek(&p)->kind != QT_END) {
        int root = parse_or(&p);
        if (root < 0) {
            rc = p.rc;
            goto fail_lex;
        }
        const struct qtok *t = peek(&p);
        if (t->kind == QT_RPAREN) {
            rc = qerr(err, t->col, "unmatched ')'");
            goto fail_lex;
        }
        if (t->kind != QT_END) {
            expect_error(&p, t, "'&&' or '||'");
            rc = p.rc;
            goto fail_lex;
        }
        q->root = nnf(q, root, 0);
    }
    qlex_release(&p.lx);
    if ((rc = qsql_build(q, err)))
        goto fail_query;
    *out = q;
    return 0;

fail_lex:
    qlex_release(&p.lx);
fail_query:
    query_free(q);
    return rc;
}
