/*
 * clamd.h - the clamd client behind scanner = clamd (used by scan.c only).
 *
 * A mg_clamd holds where clamd listens and how long a scan may take; it
 * keeps no connection (one per scan, as clamd expects for INSTREAM), so
 * one mg_clamd serves every thread at once.
 */
#ifndef MG_CLAMD_H
#define MG_CLAMD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "scan.h"

typedef struct mg_clamd mg_clamd;

/* spec: unix:/PATH (or local:/PATH), inet:PORT@HOST, inet6:PORT@HOST;
 * timeout: seconds for one whole exchange (connect, send, reply).  NULL
 * with *err (caller frees) naming clamd_socket when spec is malformed. */
mg_clamd *mg_clamd_new(const char *spec, unsigned timeout, char **err);
void mg_clamd_free(mg_clamd *c);

/* The socket as configured (borrowed). */
const char *mg_clamd_spec(const mg_clamd *c);

/* INSTREAM: len bytes in chunks, then the reply.  *name (caller frees)
 * gets the detection name, or the error text for MG_SCAN_ERROR. */
mg_scan_result mg_clamd_scan(const mg_clamd *c, const void *data, size_t len,
			     char **name);

/* VERSION: "ClamAV 1.4.6/27500/Sun Jan  5 08:10:00 2025" into *text
 * (caller frees), with the database version and time (0 when clamd runs
 * without a versioned database).  False with *err when clamd does not
 * answer. */
bool mg_clamd_version(const mg_clamd *c, char **text, unsigned *db_version,
		      time_t *db_time, char **err);

#endif
