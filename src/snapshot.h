/*
 * snapshot.h - what the milter's threads share: one loaded configuration
 * and the quarantine store opened for it, immutable once made and
 * reference-counted.
 *
 * The daemon makes a snapshot at start and a new one on every reload
 * (SIGUSR1) and installs it as the current one; each message takes a
 * reference to the current snapshot when it starts (MAIL FROM) and keeps
 * it until it is done, so a reload never changes the settings of a message
 * in flight, and the old snapshot goes away with its last message.
 *
 * The virus scanner (scan.h) is installed beside the snapshot and taken
 * with it, under one lock: a message never sees a configuration without
 * the scanner that was installed with it (scanner = clamav and no
 * scanner, say, in the middle of a reload).
 *
 * Stores (quarantine.h: one thread at a time each) are pooled per
 * snapshot: mg_snapshot_store() lends one (opening another when all are
 * lent), mg_snapshot_store_done() gives it back.  Message threads read the
 * index with them (retries) and write their spool files; the one writer
 * of the index is the snapshot's keeper (keeper.h), to which they hand
 * their originals, failure counts and traffic records.
 */
#ifndef MG_SNAPSHOT_H
#define MG_SNAPSHOT_H

#include <glib.h>

#include "conf.h"
#include "keeper.h"
#include "quarantine.h"
#include "scan.h"

typedef struct mg_snapshot mg_snapshot;

/* Takes a reference to cfg, starts the keeper (its writer proves the
 * quarantine usable) and opens one store.  NULL with *err (caller frees)
 * when it is not usable. */
mg_snapshot *mg_snapshot_new(mg_config *cfg, unsigned generation, char **err);
mg_snapshot *mg_snapshot_ref(mg_snapshot *s);
void mg_snapshot_unref(mg_snapshot *s);

const mg_config *mg_snapshot_config(const mg_snapshot *s);  /* borrowed */
unsigned mg_snapshot_generation(const mg_snapshot *s);

/* The keeper of s's quarantine (borrowed, valid while s is referenced). */
mg_keeper *mg_snapshot_keeper(mg_snapshot *s);

/* A store for the calling thread's exclusive use, or NULL with *err. */
mg_store *mg_snapshot_store(mg_snapshot *s, char **err);
void mg_snapshot_store_done(mg_snapshot *s, mg_store *store);

/* Installs s as the current snapshot (takes the caller's reference) and
 * drops the reference to the previous one. */
void mg_snapshot_set_current(mg_snapshot *s);
/* A new reference to the current snapshot, or NULL before the first. */
mg_snapshot *mg_snapshot_current(void);

/* Installs s and scanner (NULL: none) together as the current ones,
 * taking the caller's references to both; the previous ones stay alive
 * until their last user drops them (mg_scanner_set_current). */
void mg_snapshot_install(mg_snapshot *s, mg_scanner *scanner);
/* A new reference to the current snapshot (NULL before the first) and,
 * in *scanner, to the scanner installed with it (NULL: none). */
mg_snapshot *mg_snapshot_take(mg_scanner **scanner);

#endif
