/*
 * snapshot.c - shared configuration and store pool (see snapshot.h).
 *
 * SYNOPSIS
 *	mg_snapshot *mg_snapshot_new(mg_config *cfg, unsigned generation,
 *				     char **err);
 *	mg_snapshot *mg_snapshot_ref(mg_snapshot *s);
 *	void mg_snapshot_unref(mg_snapshot *s);
 *	mg_keeper *mg_snapshot_keeper(mg_snapshot *s);
 *	mg_store *mg_snapshot_store(mg_snapshot *s, char **err);
 *	void mg_snapshot_store_done(mg_snapshot *s, mg_store *store);
 *	void mg_snapshot_set_current(mg_snapshot *s);
 *	mg_snapshot *mg_snapshot_current(void);
 *	void mg_snapshot_install(mg_snapshot *s, mg_scanner *scanner);
 *	mg_snapshot *mg_snapshot_take(mg_scanner **scanner);
 *
 * DESCRIPTION
 *	The reference count is atomic; the pool of idle stores and the
 *	current pointer are each guarded by a mutex.  The keeper (keeper.h)
 *	is made with the snapshot and freed with it, after the last message
 *	that used it (logging how many originals it indexed in how many
 *	commits).  For the moments after a reload the old and the new
 *	snapshot each have a keeper, and the two wait on each other's lock
 *	(the busy timeout) until the old one's last message is done.  Everything else in a
 *	snapshot is read-only after mg_snapshot_new().  The current scanner
 *	is scan.c's (mg_scanner_set_current); installing and taking it under
 *	current_lock as well keeps the pair consistent.  The old snapshot and
 *	scanner are released after the lock is given up, as freeing a
 *	signature engine takes a while.
 */
#include "snapshot.h"

#include "log.h"

struct mg_snapshot {
	int refcount;
	unsigned generation;
	mg_config *cfg;
	mg_keeper *keeper;
	GMutex lock;             /* guards idle */
	GPtrArray *idle;         /* mg_store* not lent out */
};

static GMutex current_lock;
static mg_snapshot *current;

static void store_close(gpointer p)
{
	mg_store_close(p);
}

mg_snapshot *mg_snapshot_new(mg_config *cfg, unsigned generation, char **err)
{
	mg_keeper *keeper = mg_keeper_new(cfg, err);
	mg_store *store = keeper ? mg_store_open(cfg, err) : NULL;

	if (!store) {
		mg_keeper_free(keeper);
		return NULL;
	}
	mg_snapshot *s = g_new0(mg_snapshot, 1);
	s->keeper = keeper;
	s->refcount = 1;
	s->generation = generation;
	s->cfg = mg_config_ref(cfg);
	g_mutex_init(&s->lock);
	s->idle = g_ptr_array_new_with_free_func(store_close);
	g_ptr_array_add(s->idle, store);
	return s;
}

mg_snapshot *mg_snapshot_ref(mg_snapshot *s)
{
	g_atomic_int_inc(&s->refcount);
	return s;
}

void mg_snapshot_unref(mg_snapshot *s)
{
	if (!s || !g_atomic_int_dec_and_test(&s->refcount))
		return;
	g_ptr_array_free(s->idle, TRUE);
	guint64 batches = 0, originals = 0;
	mg_keeper_stats(s->keeper, &batches, &originals);
	if (batches)
		mg_log(MG_LOG_INFO, NULL, "configuration %u done: %" G_GUINT64_FORMAT
		       " originals indexed in %" G_GUINT64_FORMAT " commits (%.1f per commit)",
		       s->generation, originals, batches, (double)originals / (double)batches);
	mg_keeper_free(s->keeper);
	g_mutex_clear(&s->lock);
	mg_config_unref(s->cfg);
	g_free(s);
}

const mg_config *mg_snapshot_config(const mg_snapshot *s)
{
	return s->cfg;
}

unsigned mg_snapshot_generation(const mg_snapshot *s)
{
	return s->generation;
}

mg_keeper *mg_snapshot_keeper(mg_snapshot *s)
{
	return s->keeper;
}

mg_store *mg_snapshot_store(mg_snapshot *s, char **err)
{
	mg_store *store = NULL;

	g_mutex_lock(&s->lock);
	if (s->idle->len > 0)
		store = g_ptr_array_steal_index(s->idle, s->idle->len - 1);
	g_mutex_unlock(&s->lock);
	return store ? store : mg_store_open(s->cfg, err);
}

void mg_snapshot_store_done(mg_snapshot *s, mg_store *store)
{
	if (!store)
		return;
	g_mutex_lock(&s->lock);
	g_ptr_array_add(s->idle, store);
	g_mutex_unlock(&s->lock);
}

void mg_snapshot_set_current(mg_snapshot *s)
{
	g_mutex_lock(&current_lock);
	mg_snapshot *old = current;
	current = s;
	g_mutex_unlock(&current_lock);
	mg_snapshot_unref(old);
}

mg_snapshot *mg_snapshot_current(void)
{
	g_mutex_lock(&current_lock);
	mg_snapshot *s = current ? mg_snapshot_ref(current) : NULL;
	g_mutex_unlock(&current_lock);
	return s;
}

void mg_snapshot_install(mg_snapshot *s, mg_scanner *scanner)
{
	g_mutex_lock(&current_lock);
	mg_snapshot *old = current;
	mg_scanner *old_scanner = mg_scanner_current();
	current = s;
	mg_scanner_set_current(scanner);	/* drops its own reference only */
	g_mutex_unlock(&current_lock);
	mg_snapshot_unref(old);
	mg_scanner_unref(old_scanner);
}

mg_snapshot *mg_snapshot_take(mg_scanner **scanner)
{
	g_mutex_lock(&current_lock);
	mg_snapshot *s = current ? mg_snapshot_ref(current) : NULL;
	*scanner = mg_scanner_current();
	g_mutex_unlock(&current_lock);
	return s;
}
