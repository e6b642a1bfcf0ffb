/*
 * writer.c — session rows go to SQLite on a thread of their own.
 *
 * The ingest thread fills a batch (session rows with copies of their position
 * lists, and the protocol records it hands over) and queues it; the writer
 * thread inserts batches in order.  At most WRITER_QUEUE batches wait, so a
 * slow disk slows ingest down instead of filling memory.  writer_drain() waits
 * until everything queued is in SQLite (inside the open transactions): the
 * checkpoint calls it before it commits, so what a checkpoint records is
 * exactly what the day files hold.
 *
 * The partitions (their SQLite handles) belong to the writer thread while it
 * runs and to the caller after writer_drain(); the catalog is never touched by
 * the writer (evicted partitions' spans wait in st->spans for the checkpoint).
 * An error in the writer is sticky and comes back from the next add or drain.
 */
#include "store/store_int.h"

#include "core/err.h"
#include "proto/proto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WRITER_QUEUE 3
#define BATCH_ROWS 4096
#define BATCH_BYTES ((size_t)8 << 20)

struct wrow {
    struct session_rec s;
    size_t pos_off;
    size_t rec_first;
};

struct wbatch {
    struct wrow *rows;
    size_t n, cap;
    struct buf pos;
    struct proto_rec *recs;
    size_t nrecs, recs_cap;
    int64_t ingest_id;
};

struct meta_writer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wbatch *queue[WRITER_QUEUE];
    size_t qhead, qlen;
    struct wbatch *free_list[WRITER_QUEUE + 1];
    size_t nfree;
    struct wbatch *cur; /* being filled by the ingest thread */
    int busy;           /* the writer holds a batch */
    int stop;
    int err;
    char errmsg[512];
};

static void batch_clear(struct wbatch *b)
{
    for (size_t i = 0; i < b->nrecs; i++)
        proto_rec_free(&b->recs[i]);
    b->n = 0;
    b->nrecs = 0;
    buf_reset(&b->pos);
}

static void batch_free(struct wbatch *b)
{
    if (!b)
        return;
    batch_clear(b);
    free(b->rows);
    free(b->recs);
    buf_release(&b->pos);
    free(b);
}

static struct wbatch *batch_new(void)
{
    struct wbatch *b = calloc(1, sizeof *b);
    if (b)
        buf_init(&b->pos, (size_t)1 << 30);
    return b;
}

static _Thread_local int in_writer;

int writer_is_self(void)
{
    return in_writer;
}

static void *writer_main(void *arg)
{
    struct store *st = arg;
    in_writer = 1;
    struct meta_writer *w = st->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->qlen && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->qlen)
            break;
        struct wbatch *b = w->queue[w->qhead];
        w->qhead = (w->qhead + 1) % WRITER_QUEUE;
        w->qlen--;
        w->busy = 1;
        int failed = w->err;
        pthread_mutex_unlock(&w->mu);

        int rc = 0;
        for (size_t i = 0; !failed && !rc && i < b->n; i++) {
            struct wrow *r = &b->rows[i];
            r->s.pos = b->pos.data + r->pos_off;
            r->s.recs = r->s.nrecs ? b->recs + r->rec_first : NULL;
            rc = meta_add(st, b->ingest_id, &r->s);
        }
        int frc = meta_flush(st, failed || rc);
        rc = rc ? rc : frc;
        batch_clear(b);

        pthread_mutex_lock(&w->mu);
        if (rc && !w->err) {
            w->err = rc;
            memcpy(w->errmsg, st->werr, sizeof w->errmsg);
        }
        w->free_list[w->nfree++] = b;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int writer_start(struct store *st)
{
    struct meta_writer *w = calloc(1, sizeof *w);
    if (!w)
        return KS_ENOMEM;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->cur = batch_new();
    st->w = w;
    if (!w->cur || pthread_create(&w->th, NULL, writer_main, st) != 0) {
        batch_free(w->cur);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        st->w = NULL;
        return store_set_err(st, KS_ENOMEM, "cannot start the metadata writer thread");
    }
    st->writer_on = 1;
    return 0;
}

/* Queue the batch being filled and take an empty one (waits while the queue is full). */
static int submit(struct store *st)
{
    struct meta_writer *w = st->w;
    if (!w->cur->n)
        return 0;
    pthread_mutex_lock(&w->mu);
    while (w->qlen == WRITER_QUEUE && !w->err)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->err;
    if (!rc) {
        w->queue[(w->qhead + w->qlen) % WRITER_QUEUE] = w->cur;
        w->qlen++;
        w->cur = w->nfree ? w->free_list[--w->nfree] : NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc)
        return rc;
    if (!w->cur && !(w->cur = batch_new()))
        return KS_ENOMEM;
    return 0;
}

static int writer_error(struct store *st)
{
    struct meta_writer *w = st->w;
    pthread_mutex_lock(&w->mu);
    int rc = w->err;
    if (rc)
        store_set_err(st, rc, "%s", w->errmsg);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int writer_add(struct store *st, int64_t ingest_id, const struct session_rec *s)
{
    int rc;
    if (!st->w && (rc = writer_start(st)))
        goto drop;
    if ((rc = writer_error(st)))
        goto drop;
    struct meta_writer *w = st->w;
    struct wbatch *b = w->cur;
    if (b->n && b->ingest_id != ingest_id && (rc = submit(st)))
        goto drop;
    b = w->cur;
    b->ingest_id = ingest_id;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        struct wrow *nr = realloc(b->rows, nc * sizeof *nr);
        if (!nr) {
            rc = KS_ENOMEM;
            goto drop;
        }
        b->rows = nr;
        b->cap = nc;
    }
    if (b->nrecs + s->nrecs > b->recs_cap) {
        size_t nc = b->recs_cap ? b->recs_cap * 2 : 64;
        while (nc < b->nrecs + s->nrecs)
            nc *= 2;
        struct proto_rec *nr = realloc(b->recs, nc * sizeof *nr);
        if (!nr) {
            rc = KS_ENOMEM;
            goto drop;
        }
        b->recs = nr;
        b->recs_cap = nc;
    }
    struct wrow *r = &b->rows[b->n];
    r->s = *s;
    r->pos_off = b->pos.len;
    if ((rc = buf_append(&b->pos, s->pos_len ? s->pos : (const uint8_t *)"", s->pos_len)))
        goto drop;
    r->rec_first = b->nrecs;
    /* the records move into the batch: the caller must not free them */
    if (s->nrecs)
        memcpy(b->recs + b->nrecs, s->recs, s->nrecs * sizeof *s->recs);
    b->nrecs += s->nrecs;
    b->n++;
    if (b->n >= BATCH_ROWS || b->pos.len >= BATCH_BYTES)
        return submit(st);
    return 0;
drop:
    for (size_t i = 0; i < s->nrecs; i++)
        proto_rec_free((struct proto_rec *)&s->recs[i]);
    return rc;
}

int writer_drain(struct store *st)
{
    struct meta_writer *w = st->w;
    if (!w)
        return 0;
    int rc = submit(st);
    pthread_mutex_lock(&w->mu);
    while ((w->qlen || w->busy) && !w->err)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    int werr = writer_error(st);
    return rc ? rc : werr;
}

void writer_stop(struct store *st)
{
    struct meta_writer *w = st->w;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    w->err = w->err ? w->err : KS_EIO; /* nothing queued is written any more */
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    while (w->qlen) {
        batch_free(w->queue[w->qhead]);
        w->qhead = (w->qhead + 1) % WRITER_QUEUE;
        w->qlen--;
    }
    for (size_t i = 0; i < w->nfree; i++)
        batch_free(w->free_list[i]);
    batch_free(w->cur);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    st->w = NULL;
    st->writer_on = 0;
}
