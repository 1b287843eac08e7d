/*
 * keeper.c - group commit of kept originals (see keeper.h).
 *
 * SYNOPSIS
 *	mg_keeper *mg_keeper_new(const mg_config *cfg, char **err);
 *	void mg_keeper_free(mg_keeper *k);
 *	bool mg_keeper_keep(mg_keeper *k, mg_store *s, const mg_keep_req *q,
 *			    char **err);
 *	unsigned mg_keeper_note_failure(mg_keeper *k, const char *retry_key);
 *	guint mg_keeper_add_traffic(mg_keeper *k, mg_traffic *const *rows,
 *				    guint n, char **err);
 *	void mg_keeper_stats(k, &batches, &originals);
 *	void mg_keeper_pause(k, paused);  guint mg_keeper_waiting(k);
 *
 * DESCRIPTION
 *	A request lives on its caller's stack: the caller queues it under the
 *	keeper's mutex, wakes the keeper and waits on the request's own
 *	condition until the keeper marks it done.  The keeper thread loops:
 *	take every queued original and failure count (no waiting for more:
 *	what arrives while a batch commits forms the next one), write them
 *	(failure counts first, each in its own statement, then the originals
 *	with mg_store_keep_finish: one directory fsync per day, one
 *	transaction, one commit), mark each done with its own outcome; then,
 *	when records wait, one chunk of at most TRAFFIC_CHUNK traffic records
 *	(never more between two batches, and never in a batch's
 *	transaction: the answers wait for no record); and after a batch, a passive WAL checkpoint once the WAL has
 *	CHECKPOINT_FRAMES frames (the writer's automatic checkpoint is
 *	replaced by this, so that no commit waits for one).
 *
 *	The writer is an mg_store of its own, used by the keeper thread only
 *	(and opened and closed by new and free): one connection, its
 *	statements prepared once.
 *
 * DIAGNOSTICS
 *	None here: outcomes and their sentences go back to each caller.
 */
#include "keeper.h"

#include <sqlite3.h>

#define TRAFFIC_CHUNK 256
#define CHECKPOINT_FRAMES 1000	/* SQLite's default for its automatic checkpoint */

typedef enum { REQ_KEEP, REQ_FAILURE, REQ_TRAFFIC } request_kind;

typedef struct {
	request_kind kind;
	GCond cond;
	bool done;
	mg_keep_job *job;		/* REQ_KEEP */
	const char *key;		/* REQ_FAILURE: in */
	unsigned count;			/*   out */
	mg_traffic *const *rows;	/* REQ_TRAFFIC: in */
	guint n;
	guint written;			/*   how many so far */
	char *error;			/*   out: NULL, or why not */
} request;

struct mg_keeper {
	mg_store *w;			/* the writer: the keeper thread's */
	GMutex lock;			/* guards all below */
	GCond wake;			/* the keeper waits on it */
	GQueue queue;			/* request* (keep, failure), oldest first */
	GQueue traffic;			/* request* (traffic) */
	bool stopping, paused;
	GThread *thread;
	guint64 batches, originals;
	int wal_frames;			/* in the WAL after the writer's last commit */
};

/* ---- the keeper thread ---------------------------------------------------- */

static int wal_hook(void *data, sqlite3 *db, const char *name, int frames)
{
	mg_keeper *k = data;

	(void)db;
	(void)name;
	k->wal_frames = frames;	/* the keeper thread's own commit: no lock needed */
	return SQLITE_OK;
}

/* Writes a batch of keep and failure requests (without the lock). */
static void write_batch(mg_keeper *k, GPtrArray *batch)
{
	GPtrArray *jobs = g_ptr_array_sized_new(batch->len);

	for (guint i = 0; i < batch->len; i++) {
		request *r = g_ptr_array_index(batch, i);
		if (r->kind == REQ_FAILURE)
			r->count = mg_store_note_failure(k->w, r->key);
		else
			g_ptr_array_add(jobs, r->job);
	}
	if (jobs->len)
		mg_store_keep_finish(k->w, (mg_keep_job *const *)jobs->pdata, jobs->len);
	g_ptr_array_free(jobs, TRUE);
}

static void mark_done(request *r)
{
	r->done = true;
	g_cond_signal(&r->cond);
}

/* Takes and writes everything queued; called and returns with the lock. */
static void run_batch(mg_keeper *k)
{
	GPtrArray *batch = g_ptr_array_sized_new(k->queue.length);
	guint keeps = 0;
	request *r;

	while ((r = g_queue_pop_head(&k->queue))) {
		g_ptr_array_add(batch, r);
		keeps += r->kind == REQ_KEEP;
	}
	g_mutex_unlock(&k->lock);
	write_batch(k, batch);
	g_mutex_lock(&k->lock);
	for (guint i = 0; i < batch->len; i++)
		mark_done(g_ptr_array_index(batch, i));
	if (keeps) {
		k->batches++;
		k->originals += keeps;
	}
	g_ptr_array_free(batch, TRUE);
	if (k->wal_frames >= CHECKPOINT_FRAMES) {
		g_mutex_unlock(&k->lock);
		sqlite3_wal_checkpoint_v2(mg_store_sqlite(k->w), NULL,
					  SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		k->wal_frames = 0;
		g_mutex_lock(&k->lock);
	}
}

/* Writes one chunk of the oldest traffic request; called and returns with
 * the lock. */
static void run_traffic(mg_keeper *k)
{
	request *r = g_queue_peek_head(&k->traffic);
	guint n = MIN(r->n - r->written, (guint)TRAFFIC_CHUNK);
	char *err = NULL;

	g_mutex_unlock(&k->lock);
	bool ok = n == 0 || mg_store_add_traffic(k->w, r->rows + r->written, n, &err);
	g_mutex_lock(&k->lock);
	r->written += ok ? n : 0;
	if (!ok || r->written == r->n) {
		r->error = err;
		g_queue_pop_head(&k->traffic);
		mark_done(r);
	}
}

static gpointer keeper_run(gpointer data)
{
	mg_keeper *k = data;

	g_mutex_lock(&k->lock);
	for (;;) {
		while (!k->stopping && (k->paused || (!k->queue.length && !k->traffic.length)))
			g_cond_wait(&k->wake, &k->lock);
		bool kept = k->queue.length > 0;
		if (kept)
			run_batch(k);
		/* one chunk between batches, so that records are not starved
		 * while originals keep coming */
		if (k->traffic.length && !k->paused)
			run_traffic(k);
		else if (!kept && k->stopping)
			break;
	}
	g_mutex_unlock(&k->lock);
	return NULL;
}

/* ---- the callers' side ----------------------------------------------------- */

/* Queues r on q and waits until the keeper has done it. */
static void submit(mg_keeper *k, request *r, GQueue *q)
{
	g_cond_init(&r->cond);
	g_mutex_lock(&k->lock);
	g_queue_push_tail(q, r);
	g_cond_signal(&k->wake);
	while (!r->done)
		g_cond_wait(&r->cond, &k->lock);
	g_mutex_unlock(&k->lock);
	g_cond_clear(&r->cond);
}

mg_keeper *mg_keeper_new(const mg_config *cfg, char **err)
{
	mg_store *w = mg_store_open(cfg, err);

	if (!w)
		return NULL;
	mg_keeper *k = g_new0(mg_keeper, 1);
	k->w = w;
	g_mutex_init(&k->lock);
	g_cond_init(&k->wake);
	g_queue_init(&k->queue);
	g_queue_init(&k->traffic);
	sqlite3_wal_hook(mg_store_sqlite(w), wal_hook, k);
	GError *e = NULL;
	k->thread = g_thread_try_new("mugaika-keeper", keeper_run, k, &e);
	if (!k->thread) {
		*err = g_strdup_printf("cannot start the keeper thread: %s", e->message);
		g_error_free(e);
		mg_keeper_free(k);
		return NULL;
	}
	return k;
}

void mg_keeper_free(mg_keeper *k)
{
	if (!k)
		return;
	g_mutex_lock(&k->lock);
	k->stopping = true;
	k->paused = false;
	g_cond_signal(&k->wake);
	g_mutex_unlock(&k->lock);
	if (k->thread)
		g_thread_join(k->thread);
	mg_store_close(k->w);
	g_cond_clear(&k->wake);
	g_mutex_clear(&k->lock);
	g_free(k);
}

bool mg_keeper_keep(mg_keeper *k, mg_store *s, const mg_keep_req *q, char **err)
{
	bool done = false;
	mg_keep_job *job = mg_store_keep_begin(s, q, &done, err);

	if (!job)
		return done;
	request r = { .kind = REQ_KEEP, .job = job };
	submit(k, &r, &k->queue);
	bool ok = mg_keep_job_result(job, err);
	mg_keep_job_free(job);
	return ok;
}

unsigned mg_keeper_note_failure(mg_keeper *k, const char *retry_key)
{
	request r = { .kind = REQ_FAILURE, .key = retry_key };

	submit(k, &r, &k->queue);
	return r.count;
}

guint mg_keeper_add_traffic(mg_keeper *k, mg_traffic *const *rows, guint n, char **err)
{
	request r = { .kind = REQ_TRAFFIC, .rows = rows, .n = n };

	submit(k, &r, &k->traffic);
	if (r.error && err)
		*err = r.error;
	else
		g_free(r.error);
	return r.written;
}

/* ---- for tests and the benchmark ------------------------------------------ */

void mg_keeper_stats(mg_keeper *k, guint64 *batches, guint64 *originals)
{
	g_mutex_lock(&k->lock);
	*batches = k->batches;
	*originals = k->originals;
	g_mutex_unlock(&k->lock);
}

void mg_keeper_pause(mg_keeper *k, bool paused)
{
	g_mutex_lock(&k->lock);
	k->paused = paused;
	g_cond_signal(&k->wake);
	g_mutex_unlock(&k->lock);
}

guint mg_keeper_waiting(mg_keeper *k)
{
	g_mutex_lock(&k->lock);
	guint n = k->queue.length;
	g_mutex_unlock(&k->lock);
	return n;
}
