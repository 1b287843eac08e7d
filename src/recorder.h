/*
 * recorder.h - the daemon's writer of traffic records (traffic.h): message
 * threads hand a record over and go on; one thread writes what has queued
 * up in one transaction about once a second, into the quarantine index of
 * the current snapshot.
 *
 * Records wait in memory while the index cannot be written (logged once a
 * minute); beyond 100000 waiting, the oldest are dropped and counted in
 * the log.  mg_recorder_stop() writes what is left.  Thread-safe.
 */
#ifndef MG_RECORDER_H
#define MG_RECORDER_H

#include "traffic.h"

void mg_recorder_start(void);
/* Takes t.  Before mg_recorder_start() (or after stop) t is dropped. */
void mg_recorder_add(mg_traffic *t);
/* Writes what is queued and stops the thread. */
void mg_recorder_stop(void);

#endif
