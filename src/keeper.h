/*
 * keeper.h - the daemon's one writer of the quarantine index: a thread that
 * commits the originals of all message threads in groups.
 *
 * A message thread writes its original's spool file itself (written,
 * fsync'd, renamed: those run in parallel) and hands the rest to the
 * keeper, which takes every original queued meanwhile, fsyncs each day
 * directory once, inserts all their rows in one transaction on its one
 * connection, commits once (one WAL sync) and wakes each waiting thread
 * with its own outcome.  So each answer still waits for ITS original to
 * be durable (file, directory entry, index row), but N messages in flight
 * share one directory sync and one commit instead of queueing on the
 * database lock (quarantine.h's mg_store_keep, per thread, is the same
 * promise one message at a time).
 *
 * Failure counts (poison_limit) and traffic records (traffic.h) go through
 * the keeper too, so the daemon has no second writer waiting on the lock;
 * traffic records are written between batches, a chunk at a time, in
 * transactions of their own without a WAL sync.  Other processes (the mugaika command)
 * still meet the lock: the keeper's connection waits for them up to the
 * busy timeout.  The keeper also runs the WAL checkpoints, after a batch's
 * threads have been woken.
 *
 * Thread-safe; mg_keeper_free() must not race with calls on k.
 */
#ifndef MG_KEEPER_H
#define MG_KEEPER_H

#include <glib.h>
#include <stdbool.h>

#include "conf.h"
#include "quarantine.h"
#include "traffic.h"

typedef struct mg_keeper mg_keeper;

/* Opens the writer (mg_store_open: spool and index created or upgraded
 * as needed) and starts the thread.  NULL with *err on failure. */
mg_keeper *mg_keeper_new(const mg_config *cfg, char **err);

/* Finishes what is queued, stops the thread, closes the writer. */
void mg_keeper_free(mg_keeper *k);

/* mg_store_keep for the calling thread: the first half on its own store s
 * (the spool file), the second by the keeper with the others queued
 * meanwhile.  Returns when q's original is durably kept and indexed (true),
 * already was (true), or could not be (false with *err: tempfail). */
bool mg_keeper_keep(mg_keeper *k, mg_store *s, const mg_keep_req *q, char **err);

/* mg_store_note_failure on the writer. */
unsigned mg_keeper_note_failure(mg_keeper *k, const char *retry_key);

/* mg_store_add_traffic on the writer, in chunks between batches:
 * returns how many of rows[0..n) were written, in order (all, or fewer
 * with *err).  The rows stay the caller's. */
guint mg_keeper_add_traffic(mg_keeper *k, mg_traffic *const *rows, guint n, char **err);

/* ---- for tests and the benchmark ------------------------------------------ */

/* How many batches were committed and how many originals they held. */
void mg_keeper_stats(mg_keeper *k, guint64 *batches, guint64 *originals);

/* paused: the keeper takes nothing from its queue until resumed. */
void mg_keeper_pause(mg_keeper *k, bool paused);

/* Originals queued and not yet taken by the keeper. */
guint mg_keeper_waiting(mg_keeper *k);

#endif
