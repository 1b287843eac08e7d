/*
 * quarantine_priv.h - what quarantine.c (opening, keeping, reading) and
 * quarantine_admin.c (the helpdesk's details, changes, purge and stats)
 * share; not for other modules (they use quarantine.h).
 *
 * The helpers are defined in quarantine.c.  Each reports a failure the
 * way mg_store_last_error() promises: a sentence in s->last_error and a
 * copy in *err (when err is not NULL).  Strings returned are the
 * caller's (g_free).
 */
#ifndef MG_QUARANTINE_PRIV_H
#define MG_QUARANTINE_PRIV_H

#include <sqlite3.h>

#include "quarantine.h"
#include "spool.h"

/* Statements prepared once per store (SQLITE_PREPARE_PERSISTENT) and reset
 * after each use: the write side runs them for every message.  Their SQL
 * is in quarantine.c; the other file uses them only through mg_qs_begin. */
enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_LOOKUP_RETRY, ST_ID_IN_USE, ST_VERDICT, ST_INSERT_MESSAGE, ST_INSERT_RCPT,
	ST_NOTE_FAILURE, ST_OLDEST_KEY, ST_FAILED_BEFORE, ST_COUNT
};

struct mg_store {
	sqlite3 *db;
	mg_spool *spool;
	char *db_path;
	char *spool_dir;	/* quarantine_dir, for removing empty day directories */
	char *audit_socket;	/* audit_syslog_socket */
	int schema;		/* version of the index as opened */
	bool readonly;
	char *last_error;
	sqlite3_stmt *cached[ST_COUNT];	/* NULL until first used */
	bool sync_normal;	/* synchronous = NORMAL for now (not FULL) */
	bool legacy_keys;	/* retry keys before version 3 may still be retried */
	gint64 legacy_checked;	/* when that was found out (monotonic), 0: never */
};

/* The columns mg_qs_kept_from_row() reads, 0 to 15, in this order. */
#define MG_QS_KEPT_COLUMNS "id, CAST(strftime('%s', received) AS INTEGER), queue_id," \
	" mail_from, client_addr, client_name, helo, auth_name, subject," \
	" from_hdr, size, sha256, reasons, action, status, key_id"

/* Column i as a string (caller's), NULL for SQL NULL. */
static inline char *
mg_qs_col_dup(sqlite3_stmt *st, int i)
{
	return g_strdup((const char *)sqlite3_column_text(st, i));
}

/* Binds v (borrowed until the statement is reset) or NULL. */
static inline void
mg_qs_bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Records msg (taken) as the last error and copies it to *err; false. */
bool mg_qs_fail(mg_store *s, char **err, char *msg);

/* sql prepared on s (the caller finalizes it); NULL with *err. */
sqlite3_stmt *mg_qs_prepare(mg_store *s, const char *sql, char **err);

/* Steps st to the end and finalizes it; what names the step in *err. */
bool mg_qs_run(mg_store *s, sqlite3_stmt *st, const char *what, char **err);

/* Runs sql (no parameters, no rows wanted). */
bool mg_qs_exec(mg_store *s, const char *sql, const char *what, char **err);

/* BEGIN IMMEDIATE with synchronous = FULL: every write that must be on
 * disk at its commit (a keep, a helpdesk change) starts with it. */
bool mg_qs_begin(mg_store *s, char **err);

/* The mg_kept (caller's: mg_kept_free) of a row of MG_QS_KEPT_COLUMNS;
 * its rcpts array is empty. */
mg_kept *mg_qs_kept_from_row(sqlite3_stmt *st);

#endif
