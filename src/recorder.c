/*
 * recorder.c - batches of traffic records, written off the message threads
 * (see recorder.h).
 *
 * SYNOPSIS
 *	void mg_recorder_start(void);
 *	void mg_recorder_add(mg_traffic *t);
 *	void mg_recorder_stop(void);
 *
 * DESCRIPTION
 *	A queue under one mutex; the writer thread wakes when FLUSH_ROWS
 *	records wait, after FLUSH_SECONDS, or at stop, swaps the queue for an
 *	empty one and hands it to the current snapshot's keeper (keeper.h),
 *	the daemon's one writer of the index, which writes it when no
 *	original waits to be indexed.  What of a batch was not written goes
 *	back to the front of the queue.
 */
#include "recorder.h"

#include "log.h"
#include "snapshot.h"

#define FLUSH_ROWS 256
#define FLUSH_SECONDS 1
#define MAX_WAITING 100000
#define COMPLAIN_SECONDS 60

static GMutex lock;
static GCond wake;
static GPtrArray *queue;	/* mg_traffic*, oldest first; NULL: not running */
static GThread *writer;
static bool stopping;
static guint64 dropped;

static GPtrArray *new_queue(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)mg_traffic_free);
}

/* Writes batch and removes what was written from it; false when not all
 * of it could be (complaining at most once a minute). */
static bool write_batch(GPtrArray *batch)
{
	static gint64 last_complaint;
	char *err = NULL;
	mg_snapshot *snap = mg_snapshot_current();
	guint written = snap ? mg_keeper_add_traffic(mg_snapshot_keeper(snap),
						     (mg_traffic *const *)batch->pdata,
						     batch->len, &err) : 0;

	mg_snapshot_unref(snap);
	g_ptr_array_remove_range(batch, 0, written);
	bool ok = batch->len == 0;
	gint64 now = g_get_monotonic_time();
	if (!ok && (!last_complaint || now - last_complaint > COMPLAIN_SECONDS * G_USEC_PER_SEC)) {
		mg_log(MG_LOG_WARNING, NULL, "traffic records not written yet (%u waiting): %s",
		       batch->len, err ? err : "no quarantine");
		last_complaint = now;
	}
	g_free(err);
	return ok;
}

/* Puts a failed batch back in front of what queued meanwhile, dropping the
 * oldest beyond MAX_WAITING.  Called with the lock held. */
static void requeue(GPtrArray *batch)
{
	g_ptr_array_extend_and_steal(batch, queue);
	queue = batch;
	if (queue->len > MAX_WAITING) {
		guint n = queue->len - MAX_WAITING;
		g_ptr_array_remove_range(queue, 0, n);
		dropped += n;
		mg_log(MG_LOG_WARNING, NULL, "traffic records dropped: %" G_GUINT64_FORMAT
		       " so far (the quarantine index cannot be written)", dropped);
	}
}

static gpointer writer_run(gpointer data)
{
	(void)data;
	g_mutex_lock(&lock);
	for (;;) {
		gint64 deadline = g_get_monotonic_time() + FLUSH_SECONDS * G_USEC_PER_SEC;
		while (!stopping && queue->len < FLUSH_ROWS &&
		       g_cond_wait_until(&wake, &lock, deadline))
			;
		bool last = stopping;
		if (queue->len) {
			GPtrArray *batch = queue;
			queue = new_queue();
			g_mutex_unlock(&lock);
			bool ok = write_batch(batch);
			g_mutex_lock(&lock);
			if (ok)
				g_ptr_array_free(batch, TRUE);
			else
				requeue(batch);
		}
		if (last)
			break;
	}
	g_mutex_unlock(&lock);
	return NULL;
}

void mg_recorder_start(void)
{
	g_mutex_lock(&lock);
	if (!queue) {
		queue = new_queue();
		stopping = false;
		writer = g_thread_new("mugaika-record", writer_run, NULL);
	}
	g_mutex_unlock(&lock);
}

void mg_recorder_add(mg_traffic *t)
{
	g_mutex_lock(&lock);
	if (queue && !stopping) {
		g_ptr_array_add(queue, t);
		t = NULL;
		if (queue->len >= FLUSH_ROWS)
			g_cond_signal(&wake);
	}
	g_mutex_unlock(&lock);
	mg_traffic_free(t);
}

void mg_recorder_stop(void)
{
	g_mutex_lock(&lock);
	GThread *t = writer;
	stopping = true;
	writer = NULL;
	g_cond_signal(&wake);
	g_mutex_unlock(&lock);
	if (t)
		g_thread_join(t);
	g_mutex_lock(&lock);
	if (queue && queue->len)
		mg_log(MG_LOG_WARNING, NULL, "%u traffic records could not be written at stop",
		       queue->len);
	g_clear_pointer(&queue, g_ptr_array_unref);
	g_mutex_unlock(&lock);
}
