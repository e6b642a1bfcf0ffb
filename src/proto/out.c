/*
 * out.c — the record sink parsers write into (proto.h).
 *
 * While a record is open its values are kept as a flat list of entries
 * (path, text, the item they belong to).  proto_end() turns the list into the
 * finished record: one string block holding every path and text, the indexed
 * values pointing into it, and the JSON object built by grouping paths on their
 * dots.  Items (proto_item_begin) become arrays of objects; a path written more
 * than once at one place becomes an array of values.
 */
#include "proto/proto.h"

#include "core/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint32_t path, text; /* offsets into the open record's string buffer */
    int64_t num;
    uint8_t kind;
    int item; /* index into items[] of the innermost open item, -1 = none */
};

struct item {
    uint32_t path; /* offset of the item path in strs */
    int parent;    /* enclosing item or -1 */
};

struct proto_open {
    char *type;
    struct buf strs; /* NUL-terminated paths and texts */
    struct entry *ents;
    size_t nents, ents_alloc;
    struct item *items;
    size_t nitems, items_alloc;
    int stack[PROTO_MAX_ITEMS];
    int nstack;
    int overflow;
};

void proto_out_init(struct proto_out *o, size_t max_recs)
{
    memset(o, 0, sizeof *o);
    o->max_recs = max_recs ? max_recs : 10000;
}

static void open_free(struct proto_open *r)
{
    if (!r)
        return;
    free(r->type);
    buf_release(&r->strs);
    free(r->ents);
    free(r->items);
    free(r);
}

/* Done with an open record: keep its buffers for the next one (one spare per sink). */
static void open_recycle(struct proto_out *o, struct proto_open *r)
{
    if (o->spare || r->strs.alloc > 4 * 4096 || r->ents_alloc > 256) {
        open_free(r);
        return;
    }
    free(r->type);
    r->type = NULL;
    buf_reset(&r->strs);
    r->nents = r->nitems = 0;
    r->nstack = 0;
    r->overflow = 0;
    o->spare = r;
}

void proto_rec_free(struct proto_rec *r)
{
    free(r->type);
    free(r->json);
    free(r->vals);
    free(r->mem);
    memset(r, 0, sizeof *r);
}

void proto_out_clear(struct proto_out *o)
{
    for (size_t i = 0; i < o->nrecs; i++)
        proto_rec_free(&o->recs[i]);
    o->nrecs = 0;
}

void proto_out_release(struct proto_out *o)
{
    open_free(o->spare);
    o->spare = NULL;
    for (int i = 0; i < o->depth; i++)
        open_free(o->open[i]);
    o->depth = 0;
    proto_out_clear(o);
    free(o->recs);
    o->recs = NULL;
    o->recs_alloc = 0;
}

void proto_anomaly(struct proto_out *o, const char *name)
{
    for (size_t i = 0; i < o->nanom; i++) {
        if (o->anom_name[i] == name || strcmp(o->anom_name[i], name) == 0) {
            o->anom_count[i]++;
            return;
        }
    }
    if (o->nanom < sizeof o->anom_name / sizeof o->anom_name[0]) {
        o->anom_name[o->nanom] = name;
        o->anom_count[o->nanom++] = 1;
    }
}

uint64_t proto_out_anomaly(const struct proto_out *o, const char *name)
{
    for (size_t i = 0; i < o->nanom; i++)
        if (strcmp(o->anom_name[i], name) == 0)
            return o->anom_count[i];
    return 0;
}

void proto_switch(struct proto_out *o, const char *parser)
{
    o->switch_to = parser;
}

void proto_begin(struct proto_out *o, const char *type)
{
    if (o->depth >= PROTO_MAX_DEPTH) {
        o->depth++; /* keep begin/end balanced; values go nowhere */
        proto_anomaly(o, "proto.nesting_too_deep");
        return;
    }
    struct proto_open *r = o->spare;
    o->spare = NULL;
    if (!r && (r = calloc(1, sizeof *r)))
        buf_init(&r->strs, PROTO_REC_MAX_BYTES);
    if (r) {
        r->type = strdup(type);
        if (!r->type) {
            open_free(r);
            r = NULL;
        }
    }
    o->open[o->depth++] = r; /* NULL: out of memory, values are dropped */
}

static struct proto_open *cur(struct proto_out *o)
{
    if (o->depth <= 0 || o->depth > PROTO_MAX_DEPTH)
        return NULL;
    return o->open[o->depth - 1];
}

/* Append s (n bytes) to strs as text a reader can trust: printable ASCII and valid UTF-8 pass,
 * anything else becomes \xNN. */
static int put_text(struct buf *b, const char *s, size_t n, uint32_t *off)
{
    *off = (uint32_t)b->len;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = 0;
        if (c >= 0x20 && c < 0x7f)
            len = 1;
        else if (c >= 0xc2 && c <= 0xdf)
            len = 2;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 3 && c == 0xe0 && p[i + 1] < 0xa0)
            ok = 0; /* overlong */
        if (ok && len == 3 && c == 0xed && p[i + 1] >= 0xa0)
            ok = 0; /* surrogates */
        if (ok && len == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
            ok = 0;
        int rc;
        if (ok) {
            rc = buf_append(b, p + i, len);
            i += len;
        } else {
            rc = buf_printf(b, "\\x%02x", c);
            i++;
        }
        if (rc)
            return rc;
    }
    return buf_putc(b, 0);
}

static void add(struct proto_out *o, const char *name, const char *s, size_t n, int64_t num,
                int kind)
{
    struct proto_open *r = cur(o);
    if (!r || r->overflow)
        goto drop;
    if (r->nstack > 0) {
        const char *ip = (const char *)r->strs.data + r->items[r->stack[r->nstack - 1]].path;
        size_t il = strlen(ip);
        if (strncmp(name, ip, il) != 0 || name[il] != '.') {
            proto_anomaly(o, "proto.bad_item_path"); /* a parser bug: say so, keep going */
            return;
        }
    }
    if (r->nents >= PROTO_REC_MAX_VALUES)
        goto full;
    if (r->nents == r->ents_alloc) {
        size_t na = r->ents_alloc ? r->ents_alloc * 2 : 16;
        struct entry *ne = realloc(r->ents, na * sizeof *ne);
        if (!ne)
            goto full;
        r->ents = ne;
        r->ents_alloc = na;
    }
    struct entry *e = &r->ents[r->nents];
    size_t mark = r->strs.len;
    e->path = (uint32_t)r->strs.len;
    if (buf_append(&r->strs, name, strlen(name) + 1) || put_text(&r->strs, s, n, &e->text)) {
        r->strs.len = mark;
        goto full;
    }
    e->num = num;
    e->kind = (uint8_t)kind;
    e->item = r->nstack ? r->stack[r->nstack - 1] : -1;
    r->nents++;
    return;
full:
    r->overflow = 1;
    proto_anomaly(o, "proto.record_too_big");
drop:
    o->dropped_values++;
}

void proto_str(struct proto_out *o, const char *name, const char *s, size_t n)
{
    add(o, name, s ? s : "", s ? n : 0, 0, PROTO_V_STR);
}

void proto_cstr(struct proto_out *o, const char *name, const char *s)
{
    proto_str(o, name, s, s ? strlen(s) : 0);
}

void proto_int(struct proto_out *o, const char *name, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, v);
    add(o, name, t, (size_t)n, v, PROTO_V_INT);
}

void proto_bool(struct proto_out *o, const char *name, int v)
{
    add(o, name, v ? "true" : "false", v ? 4 : 5, v ? 1 : 0, PROTO_V_BOOL);
}

void proto_hex(struct proto_out *o, const char *name, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char small[129] = {0};
    char *t = n <= 64 ? small : malloc(2 * n + 1);
    if (!t) {
        o->dropped_values++;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        t[2 * i] = hx[b[i] >> 4];
        t[2 * i + 1] = hx[b[i] & 15];
    }
    add(o, name, t, 2 * n, 0, PROTO_V_STR);
    if (t != small)
        free(t);
}

void proto_item_begin(struct proto_out *o, const char *path)
{
    struct proto_open *r = cur(o);
    if (!r || r->overflow)
        return;
    if (r->nstack >= PROTO_MAX_ITEMS) {
        r->overflow = 1;
        proto_anomaly(o, "proto.nesting_too_deep");
        return;
    }
    if (r->nitems == r->items_alloc) {
        size_t na = r->items_alloc ? r->items_alloc * 2 : 8;
        struct item *ni = realloc(r->items, na * sizeof *ni);
        if (!ni) {
            r->overflow = 1;
            return;
        }
        r->items = ni;
        r->items_alloc = na;
    }
    struct item *it = &r->items[r->nitems];
    it->path = (uint32_t)r->strs.len;
    if (buf_append(&r->strs, path, strlen(path) + 1)) {
        r->overflow = 1;
        proto_anomaly(o, "proto.record_too_big");
        return;
    }
    it->parent = r->nstack ? r->stack[r->nstack - 1] : -1;
    r->stack[r->nstack++] = (int)r->nitems++;
}

void proto_item_end(struct proto_out *o)
{
    struct proto_open *r = cur(o);
    if (r && r->nstack > 0)
        r->nstack--;
}

/* ---------------------------------------------------------------- JSON */

/*
 * The tree: every node is one path segment.  A node holds values (entries), or
 * children, or elements (an array of objects, one per item id).
 */
struct jnode {
    const char *seg;
    size_t seglen;
    int item;           /* for an element of an array: its item id; else -1 */
    struct jnode *kids; /* children (or elements, when is_array) */
    struct jnode *next;
    long first, last; /* the node's values: entries chained through jtree.next */
    size_t nvals;
    int is_array;
};

struct jtree {
    long *next;        /* next value of the same node, per entry (-1 = last) */
    struct jnode *all; /* chunk of nodes */
    size_t n, alloc;
    int oom;
};

static struct jnode *jnew(struct jtree *t, const char *seg, size_t len, int item)
{
    if (t->n == t->alloc) {
        t->oom = 1;
        return NULL;
    }
    struct jnode *n = &t->all[t->n++];
    memset(n, 0, sizeof *n);
    n->seg = seg;
    n->seglen = len;
    n->item = item;
    return n;
}

static struct jnode *jchild(struct jtree *t, struct jnode *parent, const char *seg, size_t len)
{
    struct jnode **pp = &parent->kids;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->seglen == len && memcmp((*pp)->seg, seg, len) == 0)
            return *pp;
    return *pp = jnew(t, seg, len, -1);
}

static struct jnode *jelem(struct jtree *t, struct jnode *arr, int item)
{
    struct jnode **pp = &arr->kids;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->item == item)
            return *pp;
    arr->is_array = 1;
    return *pp = jnew(t, "", 0, item);
}

/* Walk the segments of path[from..] below node, creating nodes. */
static struct jnode *jwalk(struct jtree *t, struct jnode *node, const char *path)
{
    const char *p = path;
    while (node && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        node = jchild(t, node, p, len);
        p += len;
        if (*p == '.')
            p++;
    }
    return node;
}

/* The element object for item id `it` (creating the chain of enclosing items). */
static struct jnode *jitem(struct jtree *t, struct jnode *root, const struct proto_open *r, int it,
                           const char **rest_base)
{
    const char *ipath = (const char *)r->strs.data + r->items[it].path;
    struct jnode *base = root;
    const char *rel = ipath;
    if (r->items[it].parent >= 0) {
        const char *pbase;
        base = jitem(t, root, r, r->items[it].parent, &pbase);
        size_t pl = strlen(pbase);
        rel = ipath + pl + (ipath[pl] == '.' ? 1 : 0);
    }
    struct jnode *arr = jwalk(t, base, rel);
    *rest_base = ipath;
    return arr ? jelem(t, arr, it) : NULL;
}

static int push_val(struct jtree *t, struct jnode *n, size_t e)
{
    t->next[e] = -1;
    if (n->nvals++)
        t->next[n->last] = (long)e;
    else
        n->first = (long)e;
    n->last = (long)e;
    return 0;
}

static void json_str(struct buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    size_t run = 0; /* start of the bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_putc(b, '\\');
            buf_putc(b, c);
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

static void json_val(struct buf *b, const struct proto_open *r, const struct entry *e)
{
    const char *txt = (const char *)r->strs.data + e->text;
    if (e->kind == PROTO_V_STR)
        json_str(b, txt, strlen(txt));
    else
        buf_printf(b, "%s", txt);
}

static void json_node(struct buf *b, const struct proto_open *r, const struct jtree *t,
                      const struct jnode *n);

static void json_members(struct buf *b, const struct proto_open *r, const struct jtree *t,
                         const struct jnode *n)
{
    buf_putc(b, '{');
    int first = 1;
    for (const struct jnode *k = n->kids; k; k = k->next) {
        if (!first)
            buf_putc(b, ',');
        first = 0;
        json_str(b, k->seg, k->seglen);
        buf_putc(b, ':');
        json_node(b, r, t, k);
    }
    if (n->nvals && n->kids) { /* a path used both as a value and as a parent */
        buf_printf(b, "%s\"value\":", first ? "" : ",");
        json_val(b, r, &r->ents[n->first]);
    }
    buf_putc(b, '}');
}

static void json_node(struct buf *b, const struct proto_open *r, const struct jtree *t,
                      const struct jnode *n)
{
    if (n->is_array) {
        buf_putc(b, '[');
        for (const struct jnode *k = n->kids; k; k = k->next) {
            json_members(b, r, t, k);
            if (k->next)
                buf_putc(b, ',');
        }
        buf_putc(b, ']');
    } else if (n->kids) {
        json_members(b, r, t, n);
    } else if (n->nvals == 1) {
        json_val(b, r, &r->ents[n->first]);
    } else {
        buf_putc(b, '[');
        for (long i = n->first; i >= 0; i = t->next[i]) {
            if (i != n->first)
                buf_putc(b, ',');
            json_val(b, r, &r->ents[i]);
        }
        buf_putc(b, ']');
    }
}

static char *build_json(const struct proto_open *r)
{
    struct jtree t = {0};
    /* every entry adds at most (segments + item chain) nodes */
    size_t segs = 1;
    for (size_t i = 0; i < r->strs.len; i++)
        if (r->strs.data[i] == '.' || r->strs.data[i] == 0)
            segs++;
    t.alloc = segs + r->nents + r->nitems + 1;
    t.all = calloc(t.alloc, sizeof *t.all);
    t.next = malloc((r->nents ? r->nents : 1) * sizeof *t.next);
    if (!t.all || !t.next) {
        free(t.all);
        free(t.next);
        return NULL;
    }
    struct jnode *root = jnew(&t, "", 0, -1);
    for (size_t i = 0; i < r->nents && !t.oom; i++) {
        const struct entry *e = &r->ents[i];
        const char *path = (const char *)r->strs.data + e->path;
        struct jnode *base = root;
        const char *rel = path;
        if (e->item >= 0) {
            const char *ib;
            base = jitem(&t, root, r, e->item, &ib);
            rel = path + strlen(ib) + 1;
        }
        struct jnode *leaf = base ? jwalk(&t, base, rel) : NULL;
        if (!leaf || push_val(&t, leaf, i))
            t.oom = 1;
    }
    struct buf b;
    buf_init(&b, 4 * PROTO_REC_MAX_BYTES + 4096);
    char *out = NULL;
    if (!t.oom) {
        json_members(&b, r, &t, root);
        if (buf_putc(&b, 0) == 0)
            out = (char *)b.data; /* ownership moves to the caller */
        else
            buf_release(&b);
    }
    free(t.next);
    free(t.all);
    return out;
}

void proto_end(struct proto_out *o)
{
    if (o->depth <= 0)
        return;
    if (o->depth > PROTO_MAX_DEPTH) {
        o->depth--;
        return;
    }
    struct proto_open *r = o->open[--o->depth];
    o->open[o->depth] = NULL;
    if (!r)
        return;
    if (r->nents == 0) { /* nothing was found: no record */
        open_recycle(o, r);
        return;
    }
    if (o->nrecs >= o->max_recs) {
        o->dropped_records++;
        proto_anomaly(o, "proto.too_many_records");
        open_recycle(o, r);
        return;
    }
    if (o->nrecs == o->recs_alloc) {
        size_t na = o->recs_alloc ? o->recs_alloc * 2 : 4;
        struct proto_rec *nr = realloc(o->recs, na * sizeof *nr);
        if (!nr)
            goto oom;
        o->recs = nr;
        o->recs_alloc = na;
    }
    struct proto_rec rec = {0};
    rec.json = build_json(r);
    rec.vals = calloc(r->nents, sizeof *rec.vals);
    rec.mem = malloc(r->strs.len ? r->strs.len : 1);
    if (!rec.json || !rec.vals || !rec.mem) {
        proto_rec_free(&rec);
        goto oom;
    }
    memcpy(rec.mem, r->strs.data, r->strs.len);
    for (size_t i = 0; i < r->nents; i++) {
        rec.vals[i].path = rec.mem + r->ents[i].path;
        rec.vals[i].text = rec.mem + r->ents[i].text;
        rec.vals[i].num = r->ents[i].num;
        rec.vals[i].kind = r->ents[i].kind;
    }
    rec.nvals = r->nents;
    rec.type = r->type;
    r->type = NULL;
    o->recs[o->nrecs++] = rec;
    open_recycle(o, r);
    return;
oom:
    o->dropped_records++;
    proto_anomaly(o, "proto.out_of_memory");
    open_recycle(o, r);
}

/* ---------------------------------------------------------------- lookups */

const char *proto_out_get_nth(const struct proto_out *o, size_t i, const char *path, size_t k)
{
    if (i >= o->nrecs)
        return NULL;
    const struct proto_rec *r = &o->recs[i];
    for (size_t j = 0; j < r->nvals; j++)
        if (strcmp(r->vals[j].path, path) == 0 && k-- == 0)
            return r->vals[j].text;
    return NULL;
}

const char *proto_out_get(const struct proto_out *o, size_t i, const char *path)
{
    return proto_out_get_nth(o, i, path, 0);
}

size_t proto_out_count(const struct proto_out *o, size_t i, const char *path)
{
    if (i >= o->nrecs)
        return 0;
    size_t n = 0;
    const struct proto_rec *r = &o->recs[i];
    for (size_t j = 0; j < r->nvals; j++)
        n += strcmp(r->vals[j].path, path) == 0;
    return n;
}

long proto_out_find(const struct proto_out *o, const char *type, size_t from)
{
    for (size_t i = from; i < o->nrecs; i++)
        if (strcmp(o->recs[i].type, type) == 0)
            return (long)i;
    return -1;
}
