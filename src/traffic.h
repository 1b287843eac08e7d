/*
 * traffic.h - one record per message the milter answered, kept or not:
 * what `mugaika report` counts (totals by outcome per day, top senders and
 * recipients, signature age).  The records live in the quarantine index,
 * table traffic (schema version 3, see quarantine.c):
 *
 *	seq INTEGER PRIMARY KEY, at TEXT (UTC "YYYY-MM-DDTHH:MM:SSZ", the
 *	answer), queue_id, id (quarantine ID or NULL), direction (inbound |
 *	outbound), outcome (mg_decision_outcome: passed, sanitized, kept,
 *	suspicious, cannot_inspect, virus, tempfail), action (deliver, reject,
 *	discard, tempfail), kept (0/1), mail_from ("" for <>), rcpts (JSON
 *	array of the envelope recipients), rcpt_count, client_addr, size_in,
 *	size_out, ms, reasons ("a,b" or ""), virus, suspicious, error
 *	(detection names "a,b" / log code, or NULL), sig_version (0: no
 *	scanner), sig_time (UTC text of the signatures' build, or NULL).
 *
 * Records are not part of the promise to keep originals: they are written
 * in batches after the answer (mg_recorder in the daemon), and a crash
 * may lose the last second of them.  An mg_traffic and its strings are
 * owned by whoever holds it (mg_traffic_free).
 */
#ifndef MG_TRAFFIC_H
#define MG_TRAFFIC_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct {
	time_t at;
	char *queue_id, *id, *direction, *outcome, *action;
	bool kept;
	char *mail_from;        /* "" for the null sender */
	GPtrArray *rcpts;       /* char* */
	char *client_addr;
	guint64 size_in, size_out;
	gint64 ms;
	char *reasons, *virus, *suspicious, *error;	/* NULL when none */
	unsigned sig_version;   /* 0: no scanner */
	time_t sig_time;        /* 0: unknown */
} mg_traffic;

mg_traffic *mg_traffic_new(void);
void mg_traffic_free(mg_traffic *t);

/* The schema of table traffic (run once by quarantine.c's migration). */
extern const char mg_traffic_schema[];

/* Inserts rows[0..n) into db in the caller's transaction.  False with
 * *err (caller frees) on a failure. */
bool mg_traffic_insert(sqlite3 *db, mg_traffic *const *rows, guint n, char **err);

/* Deletes records older than cutoff (UTC text); the number deleted, or
 * -1 with *err. */
gint64 mg_traffic_prune(sqlite3 *db, const char *cutoff, char **err);

#endif
