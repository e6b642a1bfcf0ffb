/*
 * out.c — the record sink parsers write into (proto.h).
 *
 * While a record is open its values are kept as a flat list of entries
 * (path, text, the item they belong to).  proto_end() turns the list into the
 * finished record: one allocation holding the indexed values, every path and
 * text they point to, and the JSON object built by grouping paths on their
 * dots.  The working buffers (open records, the JSON tree and text) come from a
 * pool shared by the sinks of one thread, so a record costs one malloc.  Items (proto_item_begin)
 * become arrays of objects; a path written more than once at one place becomes an array of values.
 */
#include "proto/proto.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    uint32_t path, text; /* offsets into the open record's string buffer */
    uint32_t tlen;       /* length of the text (without its NUL) */
    int item;            /* index into items[] of the innermost open item, -1 = none */
    int64_t num;
    uint8_t kind;
};

struct item {
    uint32_t path, plen; /* offset and length of the item path in strs */
    int parent;          /* enclosing item or -1 */
};

struct proto_open {
    struct buf type; /* NUL-terminated */
    struct buf strs; /* NUL-terminated paths and texts */
    struct entry *ents;
    size_t nents, ents_alloc;
    struct item *items;
    size_t nitems, items_alloc;
    size_t nodes; /* bound on the JSON tree's nodes: path segments of entries and items */
    int stack[PROTO_MAX_ITEMS];
    int nstack;
    int overflow;
};

struct jnode;

/*
 * What a thread's sinks reuse from record to record: finished open records (their
 * buffers grown to what past records needed) and build_json's tree and text.  Every one
 * of them is capped by what one record may hold (PROTO_REC_MAX_BYTES / _VALUES).
 */
struct proto_pool {
    struct proto_open *spare[PROTO_MAX_DEPTH];
    int nspare;
    struct buf json;
    struct jnode *nodes;
    size_t nodes_alloc;
    long *next;
    size_t next_alloc;
    struct jnode **elem;
    size_t elem_alloc;
};

#define JSON_MAX (4 * PROTO_REC_MAX_BYTES + 4096)

void proto_out_init(struct proto_out *o, size_t max_recs)
{
    memset(o, 0, sizeof *o);
    o->max_recs = max_recs ? max_recs : 10000;
}

static void open_free(struct proto_open *r)
{
    if (!r)
        return;
    buf_release(&r->type);
    buf_release(&r->strs);
    free(r->ents);
    free(r->items);
    free(r);
}

struct proto_pool *proto_pool_new(void)
{
    struct proto_pool *p = calloc(1, sizeof *p);
    if (p)
        buf_init(&p->json, JSON_MAX);
    return p;
}

void proto_pool_free(struct proto_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nspare; i++)
        open_free(p->spare[i]);
    buf_release(&p->json);
    free(p->nodes);
    free(p->next);
    free(p->elem);
    free(p);
}

/* Done with an open record: keep its buffers in the pool for the next one. */
static void open_recycle(struct proto_out *o, struct proto_open *r)
{
    struct proto_pool *p = o->pool;
    if (!p || p->nspare >= PROTO_MAX_DEPTH) {
        open_free(r);
        return;
    }
    buf_reset(&r->type);
    buf_reset(&r->strs);
    r->nents = r->nitems = r->nodes = 0;
    r->nstack = 0;
    r->overflow = 0;
    p->spare[p->nspare++] = r;
}

void proto_rec_free(struct proto_rec *r)
{
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
    for (int i = 0; i < o->depth && i < PROTO_MAX_DEPTH; i++)
        if (o->open[i])
            open_recycle(o, o->open[i]);
    o->depth = 0;
    if (o->own_pool)
        proto_pool_free(o->pool);
    o->pool = NULL;
    o->own_pool = 0;
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

static struct proto_open *open_take(struct proto_out *o)
{
    if (!o->pool) {
        o->pool = proto_pool_new();
        o->own_pool = o->pool != NULL;
    }
    struct proto_pool *p = o->pool;
    if (!p)
        return NULL;
    if (p->nspare)
        return p->spare[--p->nspare];
    struct proto_open *r = calloc(1, sizeof *r);
    if (r) {
        buf_init(&r->type, PROTO_REC_MAX_BYTES);
        buf_init(&r->strs, PROTO_REC_MAX_BYTES);
    }
    return r;
}

void proto_begin(struct proto_out *o, const char *type)
{
    if (o->depth >= PROTO_MAX_DEPTH) {
        o->depth++; /* keep begin/end balanced; values go nowhere */
        proto_anomaly(o, "proto.nesting_too_deep");
        return;
    }
    struct proto_open *r = open_take(o);
    if (r && buf_append(&r->type, type, strlen(type) + 1)) {
        open_recycle(o, r);
        r = NULL;
    }
    o->open[o->depth++] = r; /* NULL: out of memory, values are dropped */
}

static struct proto_open *cur(struct proto_out *o)
{
    if (o->depth <= 0 || o->depth > PROTO_MAX_DEPTH)
        return NULL;
    return o->open[o->depth - 1];
}

static int is_plain(unsigned c)
{
    return c >= 0x20 && c < 0x7f;
}

/* Append s (n bytes) to strs as text a reader can trust: printable ASCII and valid UTF-8 pass,
 * anything else becomes \xNN. */
static int put_text(struct buf *b, const char *s, size_t n, uint32_t *off)
{
    static const char hx[] = "0123456789abcdef";
    *off = (uint32_t)b->len;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && is_plain(p[run]))
            run++;
        if (run > i) { /* printable ASCII goes as it is, a run at a time */
            if (buf_append(b, p + i, run - i))
                return KS_ELIMIT;
            i = run;
            continue;
        }
        unsigned c = p[i];
        size_t len = 0;
        if (c >= 0xc2 && c <= 0xdf)
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
            const char esc[4] = {'\\', 'x', hx[c >> 4], hx[c & 15]};
            rc = buf_append(b, esc, sizeof esc);
            i++;
        }
        if (rc)
            return rc;
    }
    return buf_putc(b, 0);
}

/* Length of a NUL-terminated path and its number of dot-separated segments. */
static size_t path_len(const char *path, size_t *segs)
{
    size_t n = 0, s = 1;
    for (; path[n]; n++)
        s += path[n] == '.';
    *segs = s;
    return n;
}

static void add(struct proto_out *o, const char *name, const char *s, size_t n, int64_t num,
                int kind)
{
    struct proto_open *r = cur(o);
    if (!r || r->overflow)
        goto drop;
    size_t segs, nl = path_len(name, &segs);
    if (r->nstack > 0) {
        const struct item *it = &r->items[r->stack[r->nstack - 1]];
        if (nl <= it->plen || name[it->plen] != '.' ||
            memcmp(name, r->strs.data + it->path, it->plen) != 0) {
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
    if (buf_append(&r->strs, name, nl + 1) || put_text(&r->strs, s, n, &e->text)) {
        r->strs.len = mark;
        goto full;
    }
    e->tlen = (uint32_t)(r->strs.len - 1 - e->text);
    e->num = num;
    e->kind = (uint8_t)kind;
    e->item = r->nstack ? r->stack[r->nstack - 1] : -1;
    r->nents++;
    r->nodes += segs;
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
    char t[24], *end = t + sizeof t, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    add(o, name, p, (size_t)(end - p), v, PROTO_V_INT);
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
    size_t segs, pl = path_len(path, &segs);
    it->path = (uint32_t)r->strs.len;
    it->plen = (uint32_t)pl;
    if (buf_append(&r->strs, path, pl + 1)) {
        r->overflow = 1;
        proto_anomaly(o, "proto.record_too_big");
        return;
    }
    it->parent = r->nstack ? r->stack[r->nstack - 1] : -1;
    r->stack[r->nstack++] = (int)r->nitems++;
    r->nodes += segs + 1; /* its path and its element */
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
    long *next;          /* next value of the same node, per entry (-1 = last) */
    struct jnode **elem; /* per item: its element once made (NULL before) */
    struct jnode *all;   /* chunk of nodes */
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
        size_t len = 0;
        while (p[len] && p[len] != '.')
            len++;
        node = jchild(t, node, p, len);
        p += len;
        if (*p == '.')
            p++;
    }
    return node;
}

/* The element object for item id `it` (creating the chain of enclosing items). */
static struct jnode *jitem(struct jtree *t, struct jnode *root, const struct proto_open *r, int it)
{
    if (t->elem[it])
        return t->elem[it];
    const struct item *im = &r->items[it];
    const char *ipath = (const char *)r->strs.data + im->path;
    struct jnode *base = root;
    const char *rel = ipath;
    if (im->parent >= 0) {
        base = jitem(t, root, r, im->parent);
        size_t pl = r->items[im->parent].plen;
        rel = ipath + pl + (ipath[pl] == '.' ? 1 : 0);
    }
    struct jnode *arr = jwalk(t, base, rel);
    return t->elem[it] = arr ? jelem(t, arr, it) : NULL;
}

static void push_val(struct jtree *t, struct jnode *n, size_t e)
{
    t->next[e] = -1;
    if (n->nvals++)
        t->next[n->last] = (long)e;
    else
        n->first = (long)e;
    n->last = (long)e;
}

/* The JSON text goes into the pool's buffer; a failed reserve (the cap) is sticky. */
struct jout {
    struct buf *b;
    int err;
};

/* Room for n more bytes; 0 when there is none (the error is kept). */
static inline int jroom(struct jout *w, size_t n)
{
    struct buf *b = w->b;
    if (w->err)
        return 0;
    if (b->alloc - b->len < n && (w->err = buf_reserve(b, n)) != 0)
        return 0;
    return 1;
}

static inline void jput(struct jout *w, const void *s, size_t n)
{
    if (n && jroom(w, n)) {
        memcpy(w->b->data + w->b->len, s, n);
        w->b->len += n;
    }
}

static inline void jputc(struct jout *w, char c)
{
    if (jroom(w, 1))
        w->b->data[w->b->len++] = (uint8_t)c;
}

static void json_str(struct jout *w, const char *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    /* the text, its quotes, and room for more as escapes come */
    if (!jroom(w, n + 2))
        return;
    struct buf *b = w->b;
    uint8_t *d = b->data + b->len; /* a local cursor: stores through it cannot touch b->len */
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20) {
            *d++ = c;
            continue;
        }
        b->len = (size_t)(d - b->data);
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t el = 2;
        if (c < 0x20) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hx[c >> 4];
            esc[5] = hx[c & 15];
            el = 6;
        }
        /* the escape replaces one byte already counted; keep room for the rest */
        if (!jroom(w, el - 1 + n - i + 1))
            return;
        memcpy(b->data + b->len, esc, el);
        d = b->data + b->len + el;
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
}

static void json_val(struct jout *w, const struct proto_open *r, const struct entry *e)
{
    const char *txt = (const char *)r->strs.data + e->text;
    if (e->kind == PROTO_V_STR)
        json_str(w, txt, e->tlen);
    else
        jput(w, txt, e->tlen);
}

static void json_node(struct jout *w, const struct proto_open *r, const struct jtree *t,
                      const struct jnode *n);

static void json_members(struct jout *w, const struct proto_open *r, const struct jtree *t,
                         const struct jnode *n)
{
    jputc(w, '{');
    int first = 1;
    for (const struct jnode *k = n->kids; k; k = k->next) {
        if (!first)
            jputc(w, ',');
        first = 0;
        json_str(w, k->seg, k->seglen);
        jputc(w, ':');
        json_node(w, r, t, k);
    }
    if (n->nvals && n->kids) { /* a path used both as a value and as a parent */
        static const char key[] = ",\"value\":";
        jput(w, key + first, sizeof key - 1 - (size_t)first);
        json_val(w, r, &r->ents[n->first]);
    }
    jputc(w, '}');
}

static void json_node(struct jout *w, const struct proto_open *r, const struct jtree *t,
                      const struct jnode *n)
{
    if (n->is_array) {
        jputc(w, '[');
        for (const struct jnode *k = n->kids; k; k = k->next) {
            json_members(w, r, t, k);
            if (k->next)
                jputc(w, ',');
        }
        jputc(w, ']');
    } else if (n->kids) {
        json_members(w, r, t, n);
    } else if (n->nvals == 1) {
        json_val(w, r, &r->ents[n->first]);
    } else {
        jputc(w, '[');
        for (long i = n->first; i >= 0; i = t->next[i]) {
            if (i != n->first)
                jputc(w, ',');
            json_val(w, r, &r->ents[i]);
        }
        jputc(w, ']');
    }
}

/* Grow *arr to hold at least n elements of size sz (kept for the next record). */
static int pool_grow(void *arr, size_t *alloc, size_t n, size_t sz)
{
    if (n <= *alloc)
        return 0;
    size_t na = *alloc ? *alloc : 64;
    while (na < n)
        na *= 2;
    void *p = realloc(*(void **)arr, na * sz);
    if (!p)
        return KS_ENOMEM;
    *(void **)arr = p;
    *alloc = na;
    return 0;
}

/* The record's JSON object into p->json (not NUL-terminated); 0 or a negative KS_* error. */
static int build_json(struct proto_pool *p, const struct proto_open *r)
{
    /* every entry adds at most its path's segments, every item its own and one element */
    struct jtree t = {0};
    t.alloc = r->nodes + 1;
    if (pool_grow(&p->nodes, &p->nodes_alloc, t.alloc, sizeof *p->nodes) ||
        pool_grow(&p->next, &p->next_alloc, r->nents ? r->nents : 1, sizeof *p->next) ||
        pool_grow(&p->elem, &p->elem_alloc, r->nitems ? r->nitems : 1, sizeof *p->elem))
        return KS_ENOMEM;
    t.all = p->nodes;
    t.next = p->next;
    t.elem = p->elem;
    for (size_t i = 0; i < r->nitems; i++)
        t.elem[i] = NULL;
    struct jnode *root = jnew(&t, "", 0, -1);
    for (size_t i = 0; i < r->nents && !t.oom; i++) {
        const struct entry *e = &r->ents[i];
        const char *path = (const char *)r->strs.data + e->path;
        struct jnode *base = root;
        const char *rel = path;
        if (e->item >= 0) {
            base = jitem(&t, root, r, e->item);
            rel = path + r->items[e->item].plen + 1;
        }
        struct jnode *leaf = base ? jwalk(&t, base, rel) : NULL;
        if (leaf)
            push_val(&t, leaf, i);
        else
            t.oom = 1;
    }
    if (t.oom)
        return KS_ENOMEM;
    struct jout w = {&p->json, 0};
    buf_reset(&p->json);
    json_members(&w, r, &t, root);
    return w.err;
}

/*
 * The finished record in one block: the vals array, then the paths and texts, the JSON
 * and the type.  NULL when out of memory.
 */
static char *rec_block(const struct proto_pool *p, const struct proto_open *r,
                       struct proto_rec *rec)
{
    size_t vbytes = r->nents * sizeof *rec->vals, jlen = p->json.len;
    char *m = malloc(vbytes + r->strs.len + jlen + 1 + r->type.len);
    if (!m)
        return NULL;
    struct proto_val *v = (struct proto_val *)(void *)m;
    char *strs = m + vbytes, *json = strs + r->strs.len, *type = json + jlen + 1;
    memcpy(strs, r->strs.data, r->strs.len);
    memcpy(json, p->json.data, jlen);
    json[jlen] = 0;
    memcpy(type, r->type.data, r->type.len);
    for (size_t i = 0; i < r->nents; i++) {
        v[i].path = strs + r->ents[i].path;
        v[i].text = strs + r->ents[i].text;
        v[i].num = r->ents[i].num;
        v[i].kind = r->ents[i].kind;
    }
    rec->mem = m;
    rec->vals = v;
    rec->nvals = r->nents;
    rec->json = json;
    rec->type = type;
    return m;
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
    if (build_json(o->pool, r) || !rec_block(o->pool, r, &rec))
        goto oom;
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
