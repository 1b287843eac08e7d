/*
 * quarantine.c - the store of kept originals: the SQLite index, and
 * keeping an original from start to end; finding and reading what is
 * kept.  The files themselves are spool.c's; IDs, retry keys and the
 * metadata JSON are qmeta.c's; the helpdesk's details, changes, purge
 * and stats are quarantine_admin.c's.
 *
 * SYNOPSIS
 *	mg_store *mg_store_open(cfg, &err);  mg_store_open_readonly(cfg, &err);
 *	void mg_store_close(s);
 *	char *mg_store_find_retry(s, key);
 *	char *mg_store_find_retry_compat(s, &key, raw, len, env);
 *	bool mg_store_keep(s, id, key, raw, len, env, verdict_json, &err);
 *	mg_keep_job *mg_store_keep_begin(s, req, &done, &err);
 *	void mg_store_keep_finish(w, jobs, n);
 *	bool mg_keep_job_result(j, &err);  void mg_keep_job_free(j);
 *	unsigned mg_store_note_failure(s, key);
 *	bool mg_store_add_traffic(s, rows, n, &err);
 *	GPtrArray *mg_store_list(s, limit, &err);
 *	GPtrArray *mg_store_find(s, filter, &err);
 *	bool mg_store_read(s, id, &raw, &len, &meta, &err);
 *	const char *mg_store_last_error(s);  mg_store_set_busy_timeout(s, ms);
 *	sqlite3 *mg_store_sqlite(s);
 *
 * DESCRIPTION
 *	The contract of each function is in quarantine.h.  mg_store_keep is
 *	its two halves on one store: mg_store_keep_begin (validate the ID ->
 *	known retry key under this ID? done -> verdict fields and metadata ->
 *	the spool file written, fsync'd and renamed, on the caller's thread)
 *	and mg_store_keep_finish (on the writer: each day directory fsync'd
 *	once -> one transaction with a savepoint per original inserting its
 *	message row and recipients -> one commit; whatever failed has its
 *	file removed again).  The keeper (keeper.c) runs the second half for
 *	the originals of every message thread that queued up meanwhile.
 *	The index is opened with journal_mode=WAL, synchronous=FULL (a commit
 *	is on disk before it returns; traffic records alone are committed
 *	with NORMAL, and FULL is set again before any other write),
 *	foreign_keys=ON and a busy timeout of 5 s.  The statements of the
 *	write side are prepared once per store and reset after each use.  The
 *	database file is created 0600 before SQLite opens it, so its -wal and
 *	-shm files are 0600 too; a missing parent directory is created 0700.
 *
 *	Schema (version 1; schema_version holds one row per version applied,
 *	and a newer version than MG_STORE_SCHEMA_VERSION is refused):
 *	  messages   id (PK, the quarantine ID), received (UTC,
 *	             "YYYY-MM-DDTHH:MM:SSZ"), queue_id, mail_from, client_addr,
 *	             client_name, helo, auth_name, subject and from_hdr (decoded,
 *	             UTF-8), size, sha256 (of the original), retry_key, verdict
 *	             (JSON as given), reasons ("a,b"), action, spool (file name
 *	             below quarantine_dir), key_id (NULL: not encrypted), status
 *	             held|released|deleted, status_at, status_by.
 *	             Purge and delete remove the file and set status=deleted; the
 *	             row stays for audit_retention_days.
 *	  recipients id -> messages, seq (envelope order), rcpt, released_at,
 *	             released_by: one row per RCPT TO, marked on each 2xx of a
 *	             release.
 *	  failures   retry_key (PK), count, first_seen, last_seen: poison_limit.
 *	Version 2 adds the audit log (audit.c has its format):
 *	  audit      seq (INTEGER PRIMARY KEY), at, uid, user, sudo_user,
 *	             action, msg_id, rcpts, reason, forced, outcome, detail,
 *	             prev, hash; triggers refuse any UPDATE of a row and the
 *	             DELETE of one younger than 365 days.
 *	  audit_base one row (one = 1): seq and hash of the last pruned row.
 *	  and a trigger that refuses to DELETE a messages row younger than
 *	  365 days, so index metadata is kept at least that long whatever
 *	  audit_retention_days says.  A version 1 index is upgraded in place
 *	  by the first writable open; its rows are kept as they are.
 *	Times are UTC text, which sorts and works with SQLite's date functions.
 *
 *	Text filters of mg_store_find compare mg_fold() forms: the SQL
 *	function registered on every connection that maps text to its NFKC
 *	form, case-folded.
 *
 *	struct mg_store and the helpers that quarantine_admin.c uses too
 *	(mg_qs_*: failing, preparing, running, beginning a write, reading a
 *	messages row) are declared in quarantine_priv.h.
 *
 * DIAGNOSTICS
 *	Failures return false/NULL/0 with a sentence in *err (where there is
 *	one) and in mg_store_last_error(): it names quarantine_dir,
 *	quarantine_db or quarantine_key_file and says why.
 *
 * MEMORY
 *	GLib allocation; out-of-memory aborts.
 */
#include "quarantine_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmeta.h"
#include "spool.h"

#define BUSY_TIMEOUT_MS 5000
#define RETRY_WINDOW_DAYS 7	/* how long a client may retry (Postfix: 5 days) */
#define LEGACY_RECHECK_US (G_USEC_PER_SEC * 600)

/* The SQL of the cached statements (quarantine_priv.h). */
static const char *const cached_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT keep",
	[ST_RELEASE] = "RELEASE keep",
	[ST_ROLLBACK_TO] = "ROLLBACK TO keep",
	[ST_LOOKUP_RETRY] = "SELECT id FROM messages WHERE retry_key = ?1 "
			    "AND status != 'deleted' ORDER BY rowid LIMIT 1",
	[ST_ID_IN_USE] = "SELECT 1 FROM messages WHERE id = ?1",
	[ST_VERDICT] = "WITH v (j) AS (SELECT CASE WHEN json_valid(?1) THEN ?1 ELSE '{}' END) "
		       "SELECT json_valid(?1), json_extract(j, '$.action'), "
		       " (SELECT group_concat(value, ',') FROM json_each(j, '$.reasons')), "
		       " json_extract(j, '$.subject'), json_extract(j, '$.from') FROM v",
	[ST_INSERT_MESSAGE] =
		"INSERT INTO messages (id, received, queue_id, mail_from, client_addr,"
		" client_name, helo, auth_name, subject, from_hdr, size, sha256,"
		" retry_key, verdict, reasons, action, spool, key_id) VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		" ?15, ?16, ?17, ?18)",
	[ST_INSERT_RCPT] = "INSERT INTO recipients (id, seq, rcpt) VALUES (?1, ?2, ?3)",
	[ST_NOTE_FAILURE] = "INSERT INTO failures VALUES (?1, 1, ?2, ?2) "
			    "ON CONFLICT (retry_key) DO UPDATE SET "
			    "count = count + 1, last_seen = excluded.last_seen "
			    "RETURNING count",
	/* the oldest original of the retry window, and the oldest failure */
	[ST_OLDEST_KEY] = "SELECT retry_key FROM (SELECT retry_key FROM messages WHERE "
			  "received >= ?1 ORDER BY received LIMIT 1) UNION ALL "
			  "SELECT retry_key FROM failures WHERE last_seen >= ?1 AND "
			  "substr(retry_key, 1, 3) != '" MG_QMETA_KEY_PREFIX "'",
	[ST_FAILED_BEFORE] = "SELECT 1 FROM failures WHERE retry_key = ?1",
};

/* What goes into one messages row. */
typedef struct {
	mg_qmeta m;		/* id, received, sha256, retry key, size, env, verdict */
	char received[32];
	char sha256[65];
	char *subject, *from_hdr, *action, *reasons;
	char *spool;
	const char *key_id;
} new_row;

static const char *const migrations[] = {
	/* version 1 */
	"CREATE TABLE messages ("
	" id TEXT PRIMARY KEY,"
	" received TEXT NOT NULL,"
	" queue_id TEXT, mail_from TEXT NOT NULL, client_addr TEXT,"
	" client_name TEXT, helo TEXT, auth_name TEXT,"
	" subject TEXT, from_hdr TEXT,"
	" size INTEGER NOT NULL, sha256 TEXT NOT NULL, retry_key TEXT NOT NULL,"
	" verdict TEXT, reasons TEXT NOT NULL DEFAULT '', action TEXT,"
	" spool TEXT NOT NULL, key_id TEXT,"
	" status TEXT NOT NULL DEFAULT 'held'"
	"  CHECK (status IN ('held', 'released', 'deleted')),"
	" status_at TEXT, status_by TEXT);"
	"CREATE INDEX messages_received ON messages (received);"
	"CREATE INDEX messages_retry ON messages (retry_key);"
	"CREATE TABLE recipients ("
	" id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, rcpt TEXT NOT NULL,"
	" released_at TEXT, released_by TEXT,"
	" PRIMARY KEY (id, seq));"
	"CREATE INDEX recipients_rcpt ON recipients (rcpt);"
	"CREATE TABLE failures ("
	" retry_key TEXT PRIMARY KEY, count INTEGER NOT NULL,"
	" first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);",
	/* version 2: the audit log */
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY,"
	" at TEXT NOT NULL, uid INTEGER NOT NULL, user TEXT, sudo_user TEXT,"
	" action TEXT NOT NULL, msg_id TEXT, rcpts TEXT, reason TEXT, forced TEXT,"
	" outcome TEXT NOT NULL, detail TEXT,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_msg ON audit (msg_id);"
	"CREATE INDEX audit_at ON audit (at);"
	"CREATE TABLE audit_base ("
	" one INTEGER PRIMARY KEY CHECK (one = 1),"
	" seq INTEGER NOT NULL, hash TEXT NOT NULL);"
	"INSERT INTO audit_base VALUES (1, 0, '" MG_AUDIT_GENESIS "');"
	"CREATE TRIGGER audit_rows_never_change BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit rows are never changed'); END;"
	"CREATE TRIGGER audit_rows_kept BEFORE DELETE ON audit"
	" WHEN old.at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-365 days')"
	" BEGIN SELECT RAISE(ABORT, 'audit rows are kept for 365 days at least'); END;"
	"CREATE TRIGGER messages_kept BEFORE DELETE ON messages"
	" WHEN old.received > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-365 days')"
	" BEGIN SELECT RAISE(ABORT, 'index rows are kept for 365 days at least'); END;",
	/* version 3: a record of every message answered (traffic.h) */
	mg_traffic_schema,
};

G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == MG_STORE_SCHEMA_VERSION);

/* ---- errors -------------------------------------------------------------- */

bool
mg_qs_fail(mg_store *s, char **err, char *msg)
{
	g_free(s->last_error);
	s->last_error = msg;
	if (err)
		*err = g_strdup(msg);
	return false;
}

static bool
db_fail(mg_store *s, char **err, const char *what)
{
	return mg_qs_fail(s, err, g_strdup_printf("quarantine_db %s: %s: %s", s->db_path,
						  what, sqlite3_errmsg(s->db)));
}

const char *
mg_store_last_error(mg_store *s)
{
	return s->last_error;
}

/* ---- small helpers ------------------------------------------------------- */

sqlite3_stmt *
mg_qs_prepare(mg_store *s, const char *sql, char **err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		db_fail(s, err, "cannot prepare a query");
	return st;
}

/* The cached statement which (prepared on first use); NULL with *err. */
static sqlite3_stmt *
cached(mg_store *s, int which, char **err)
{
	if (!s->cached[which] &&
	    sqlite3_prepare_v3(s->db, cached_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
			       &s->cached[which], NULL) != SQLITE_OK) {
		db_fail(s, err, "cannot prepare a query");
		return NULL;
	}
	return s->cached[which];
}

/* Ends a use of a cached statement whose last step returned rc: the
 * statement is reset (no read transaction stays open) and its parameters
 * cleared. */
static bool
cached_done(mg_store *s, sqlite3_stmt *st, int rc, const char *what, char **err)
{
	bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(s, err, what);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ok;
}

/* Steps a cached statement to its end. */
static bool
run_cached(mg_store *s, sqlite3_stmt *st, const char *what, char **err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return cached_done(s, st, rc, what, err);
}

/* Runs a cached statement without parameters (BEGIN, COMMIT, ...). */
static bool
exec_cached(mg_store *s, int which, const char *what, char **err)
{
	sqlite3_stmt *st = cached(s, which, err);

	return st && run_cached(s, st, what, err);
}

bool
mg_qs_run(mg_store *s, sqlite3_stmt *st, const char *what, char **err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	bool ok = rc == SQLITE_DONE || db_fail(s, err, what);
	sqlite3_finalize(st);
	return ok;
}

bool
mg_qs_exec(mg_store *s, const char *sql, const char *what, char **err)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ||
	       db_fail(s, err, what);
}

/* ---- opening ------------------------------------------------------------- */

/* Creates the database file 0600 (its directory 0700) when absent, and
 * checks an existing one: a regular file of ours, closed to others. */
static bool
prepare_db_file(const char *path, char **err)
{
	char *dir = g_path_get_dirname(path);
	bool ok = true;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR) &&
	    (g_mkdir_with_parents(dir, 0700) != 0 || chmod(dir, 0700) != 0)) {
		*err = g_strdup_printf("quarantine_db %s: cannot create the directory "
				       "%s: %s", path, dir, g_strerror(errno));
		ok = false;
	}
	g_free(dir);
	if (!ok)
		return false;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool created = fd >= 0;
	if (!created && errno == EEXIST)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || (created && fchmod(fd, 0600) != 0))
		*err = g_strdup_printf("quarantine_db %s: %s", path,
				       errno == ELOOP ? "is a symbolic link" : g_strerror(errno));
	else if (!S_ISREG(st.st_mode))
		*err = g_strdup_printf("quarantine_db %s: is not a regular file", path);
	else if (st.st_uid != geteuid())
		*err = g_strdup_printf("quarantine_db %s: is owned by uid %u, but mugaika "
				       "runs as uid %u: run it as the service user, or "
				       "chown the file", path, (unsigned)st.st_uid,
				       (unsigned)geteuid());
	else if (!created && (st.st_mode & 077))
		*err = g_strdup_printf("quarantine_db %s: has mode %04o: it must be "
				       "closed to group and others (chmod 0600 %s)", path,
				       (unsigned)(st.st_mode & 07777), path);
	if (fd >= 0)
		close(fd);
	return *err == NULL;
}

/* SQL mg_fold(text): NFKC, case-folded (NULL stays NULL). */
static void
sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	if (!text) {
		sqlite3_result_null(ctx);
		return;
	}
	char *valid = g_utf8_make_valid(text, -1);
	char *nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_ALL_COMPOSE);
	char *folded = g_utf8_casefold(nfkc ? nfkc : valid, -1);
	sqlite3_result_text(ctx, folded, -1, g_free);
	g_free(nfkc);
	g_free(valid);
}

static bool
open_db(mg_store *s, char **err)
{
	int flags = (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		    SQLITE_OPEN_NOFOLLOW;

	if (s->readonly && !g_file_test(s->db_path, G_FILE_TEST_EXISTS))
		return mg_qs_fail(s, err, g_strdup_printf("quarantine_db %s: does not "
							  "exist (nothing kept yet?)",
							  s->db_path));
	if (sqlite3_open_v2(s->db_path, &s->db, flags, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot open");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (sqlite3_create_function_v2(s->db, "mg_fold", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				       sql_fold, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot set up");
	if (!mg_qs_exec(s, "PRAGMA foreign_keys = ON", "cannot set up", err))
		return false;
	if (s->readonly)
		return true;
	sqlite3_stmt *st = mg_qs_prepare(s, "PRAGMA journal_mode = WAL", err);
	bool wal = st && sqlite3_step(st) == SQLITE_ROW &&
		   g_ascii_strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal)
		return db_fail(s, err, "cannot switch to WAL mode");
	return mg_qs_exec(s, "PRAGMA synchronous = FULL", "cannot set up", err);
}

/* The highest schema version applied; -1 with *err on failure. */
static int
schema_version(mg_store *s, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT coalesce(max(version), 0) FROM "
					 "schema_version", err);
	int v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else if (st)
		db_fail(s, err, "cannot read the schema version");
	sqlite3_finalize(st);
	return v;
}

static bool
version_known(mg_store *s, int v, char **err)
{
	if (v > MG_STORE_SCHEMA_VERSION)
		return mg_qs_fail(s, err, g_strdup_printf("quarantine_db %s: has schema "
							  "version %d; this mugaika knows "
							  "up to %d: use a newer mugaika",
							  s->db_path, v,
							  MG_STORE_SCHEMA_VERSION));
	return v >= 0;
}

/* True when the index is known to have our schema version already: then
 * opening takes no write lock (the daemon opens a store per thread while
 * its keeper writes). */
static bool
schema_current(mg_store *s)
{
	sqlite3_stmt *st = NULL;
	bool current = false;

	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		current = sqlite3_column_int(st, 0) == MG_STORE_SCHEMA_VERSION;
	sqlite3_finalize(st);
	if (current)
		s->schema = MG_STORE_SCHEMA_VERSION;
	return current;
}

/* Applies the migrations the index lacks, in one transaction. */
static bool
migrate(mg_store *s, char **err)
{
	char now[32];

	if (schema_current(s))
		return true;
	bool ok = mg_qs_exec(s, "BEGIN IMMEDIATE", "cannot lock", err);
	if (!ok)
		return false;
	ok = mg_qs_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
			" version INTEGER PRIMARY KEY, applied TEXT NOT NULL)",
			"cannot create the schema", err);
	int v = ok ? schema_version(s, err) : -1;
	ok = ok && version_known(s, v, err);
	mg_qmeta_iso_utc(time(NULL), now);
	for (int i = v; ok && i < MG_STORE_SCHEMA_VERSION; i++) {
		ok = mg_qs_exec(s, migrations[i], "cannot create the schema", err);
		sqlite3_stmt *st = ok ? mg_qs_prepare(s, "INSERT INTO schema_version "
						      "VALUES (?1, ?2)", err)
				      : NULL;
		if (st) {
			sqlite3_bind_int(st, 1, i + 1);
			mg_qs_bind_str(st, 2, now);
		}
		ok = ok && st && mg_qs_run(s, st, "cannot record the schema version", err);
	}
	ok = ok && mg_qs_exec(s, "COMMIT", "cannot commit the schema", err);
	if (!ok)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->schema = ok ? MG_STORE_SCHEMA_VERSION : s->schema;
	return ok;
}

/* A read-only open takes any version from 1 up to ours as it is. */
static bool
check_schema(mg_store *s, char **err)
{
	int v = schema_version(s, err);

	if (v == 0)
		return mg_qs_fail(s, err, g_strdup_printf("quarantine_db %s: has schema "
							  "version 0, older than %d: start "
							  "mugaika-milter once to upgrade it",
							  s->db_path, MG_STORE_SCHEMA_VERSION));
	s->schema = v;
	return version_known(s, v, err);
}

static mg_store *
store_open(const mg_config *cfg, bool readonly, char **err)
{
	mg_store *s = g_new0(mg_store, 1);
	char *msg = NULL;

	s->readonly = readonly;
	s->db_path = g_strdup(cfg->quarantine_db);
	s->spool_dir = g_strdup(cfg->quarantine_dir);
	s->audit_socket = g_strdup(cfg->audit_syslog_socket);
	bool ok = readonly ? open_db(s, &msg) && check_schema(s, &msg) : true;
	ok = ok && (s->spool = mg_spool_open(cfg->quarantine_dir, cfg->quarantine_key_file,
					     !readonly, &msg)) != NULL;
	ok = ok && (readonly || (prepare_db_file(s->db_path, &msg) && open_db(s, &msg) &&
				 migrate(s, &msg)));
	if (!ok) {
		if (err)
			*err = msg;
		else
			g_free(msg);
		mg_store_close(s);
		return NULL;
	}
	return s;
}

mg_store *
mg_store_open(const mg_config *cfg, char **err)
{
	return store_open(cfg, false, err);
}

mg_store *
mg_store_open_readonly(const mg_config *cfg, char **err)
{
	return store_open(cfg, true, err);
}

void
mg_store_close(mg_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->cached[i]);
	if (s->db)
		sqlite3_close(s->db);
	mg_spool_close(s->spool);
	g_free(s->db_path);
	g_free(s->spool_dir);
	g_free(s->audit_socket);
	g_free(s->last_error);
	g_free(s);
}

void
mg_store_set_busy_timeout(mg_store *s, unsigned ms)
{
	sqlite3_busy_timeout(s->db, (int)MIN(ms, (unsigned)G_MAXINT));
}

sqlite3 *
mg_store_sqlite(mg_store *s)
{
	return s->db;
}

/* ---- retries and failures ------------------------------------------------ */

/* *id = the first live message with this retry key, or NULL. */
static bool
lookup_retry(mg_store *s, const char *key, char **id, char **err)
{
	sqlite3_stmt *st = cached(s, ST_LOOKUP_RETRY, err);

	*id = NULL;
	if (!st)
		return false;
	mg_qs_bind_str(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = mg_qs_col_dup(st, 0);
	return cached_done(s, st, rc, "cannot look up a retry", err);
}

char *
mg_store_find_retry(mg_store *s, const char *retry_key)
{
	char *id = NULL;

	lookup_retry(s, retry_key, &id, NULL);
	return id;
}

/* Whether retries of messages kept (or failed) under keys of the form
 * before version 3 may still come: the oldest original in the retry
 * window has such a key, or a recent failure has one.  Looked at once in
 * LEGACY_RECHECK_US; false when it cannot be told (nothing then breaks:
 * such a retry is kept once more under a new ID). */
static bool
legacy_keys(mg_store *s)
{
	gint64 now = g_get_monotonic_time();
	char cutoff[32];

	if (s->legacy_checked && now - s->legacy_checked < LEGACY_RECHECK_US)
		return s->legacy_keys;
	sqlite3_stmt *st = cached(s, ST_OLDEST_KEY, NULL);
	if (!st)
		return false;
	mg_qmeta_iso_utc(time(NULL) - RETRY_WINDOW_DAYS * 86400, cutoff);
	mg_qs_bind_str(st, 1, cutoff);
	bool legacy = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		legacy = legacy || mg_qmeta_key_is_v2((const char *)sqlite3_column_text(st, 0));
	if (cached_done(s, st, rc, "cannot look for old retry keys", NULL)) {
		s->legacy_keys = legacy;
		s->legacy_checked = now;
	}
	return s->legacy_keys;
}

static bool
failed_before(mg_store *s, const char *key)
{
	sqlite3_stmt *st = cached(s, ST_FAILED_BEFORE, NULL);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, key);
	int rc = sqlite3_step(st);
	cached_done(s, st, rc, "cannot look up a failure", NULL);
	return rc == SQLITE_ROW;
}

char *
mg_store_find_retry_compat(mg_store *s, char **key, const char *raw, size_t len,
			   const mg_envelope *env)
{
	char *id = mg_store_find_retry(s, *key);

	if (id || !legacy_keys(s))
		return id;
	char *old = mg_qmeta_retry_key_v2(raw, len, env);
	id = mg_store_find_retry(s, old);
	if (id || failed_before(s, old)) {
		g_free(*key);
		*key = old;
	} else
		g_free(old);
	return id;
}

unsigned
mg_store_note_failure(mg_store *s, const char *retry_key)
{
	char now[32];
	unsigned count = 0;

	if (s->readonly) {
		mg_qs_fail(s, NULL, g_strdup("the quarantine is open read-only"));
		return 0;
	}
	sqlite3_stmt *st = cached(s, ST_NOTE_FAILURE, NULL);
	if (!st)
		return 0;
	mg_qmeta_iso_utc(time(NULL), now);
	mg_qs_bind_str(st, 1, retry_key ? retry_key : "");
	mg_qs_bind_str(st, 2, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		count = (unsigned)sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (!cached_done(s, st, rc, "cannot count a failure", NULL))
		count = 0;
	return count;
}

/* ---- keeping ------------------------------------------------------------- */

struct mg_keep_job {
	new_row r;
	const char *raw;	/* borrowed, for the header fields */
	size_t len;
	char *error;		/* NULL while it may succeed */
	bool kept;
};

/* action, reasons, subject and from out of the verdict JSON (via SQLite's
 * JSON functions); verdict_valid says whether it parsed. */
static bool
verdict_fields(mg_store *s, new_row *r, char **err)
{
	sqlite3_stmt *st = cached(s, ST_VERDICT, err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, r->m.verdict);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->m.verdict_valid = sqlite3_column_int(st, 0) == 1;
		r->action = mg_qs_col_dup(st, 1);
		r->reasons = mg_qs_col_dup(st, 2);
		r->subject = mg_qs_col_dup(st, 3);
		r->from_hdr = mg_qs_col_dup(st, 4);
	}
	return cached_done(s, st, rc, "cannot read the verdict", err);
}

/* sha256: the message's hex digest when the caller has it, else NULL. */
static bool
fill_row(mg_store *s, new_row *r, const char *raw, size_t len, const char *sha256,
	 char **err)
{
	const mg_envelope *e = r->m.env;

	mg_qmeta_iso_utc(e && e->received ? e->received : time(NULL), r->received);
	if (sha256 && strlen(sha256) == 64)
		memcpy(r->sha256, sha256, 65);
	else
		mg_qmeta_sha256_hex(raw, len, r->sha256);
	r->m.received = r->received;
	r->m.sha256 = r->sha256;
	r->m.size = len;
	if (!verdict_fields(s, r, err))
		return false;
	if (!r->reasons)
		r->reasons = g_strdup("");
	if (!r->subject)
		r->subject = mg_qmeta_header(raw, len, "Subject");
	if (!r->from_hdr)
		r->from_hdr = mg_qmeta_header(raw, len, "From");
	return true;
}

static void
row_clear(new_row *r)
{
	g_free(r->subject);
	g_free(r->from_hdr);
	g_free(r->action);
	g_free(r->reasons);
	g_free(r->spool);
}

static bool
insert_message(mg_store *s, const new_row *r, char **err)
{
	const mg_envelope *e = r->m.env;
	sqlite3_stmt *st = cached(s, ST_INSERT_MESSAGE, err);

	if (!st)
		return false;
	const char *text[] = {
		r->m.id, r->received, e ? e->queue_id : NULL,
		e && e->mail_from ? e->mail_from : "", e ? e->client_addr : NULL,
		e ? e->client_name : NULL, e ? e->helo : NULL, e ? e->auth_name : NULL,
		r->subject, r->from_hdr,
	};
	for (int i = 0; i < (int)G_N_ELEMENTS(text); i++)
		mg_qs_bind_str(st, i + 1, text[i]);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)r->m.size);
	const char *more[] = { r->sha256, r->m.retry_key, r->m.verdict, r->reasons,
			       r->action, r->spool, r->key_id };
	for (int i = 0; i < (int)G_N_ELEMENTS(more); i++)
		mg_qs_bind_str(st, i + 12, more[i]);
	return run_cached(s, st, "cannot index the original", err);
}

static bool
insert_rcpts(mg_store *s, const new_row *r, char **err)
{
	const GPtrArray *rcpts = r->m.env ? r->m.env->rcpts : NULL;
	bool ok = true;

	for (guint i = 0; ok && rcpts && i < rcpts->len; i++) {
		sqlite3_stmt *st = cached(s, ST_INSERT_RCPT, err);
		ok = st != NULL;
		if (ok) {
			const char *rcpt = g_ptr_array_index(rcpts, i);
			mg_qs_bind_str(st, 1, r->m.id);
			sqlite3_bind_int(st, 2, (int)i + 1);
			mg_qs_bind_str(st, 3, rcpt ? rcpt : "");
			ok = run_cached(s, st, "cannot index a recipient", err);
		}
	}
	return ok;
}

static bool
id_in_use(mg_store *s, const char *id, bool *used, char **err)
{
	sqlite3_stmt *st = cached(s, ST_ID_IN_USE, err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	*used = rc == SQLITE_ROW;
	return cached_done(s, st, rc, "cannot look up an ID", err);
}

/* Checks before anything is written; *done when already kept under id. */
static bool
keep_precheck(mg_store *s, const char *id, const char *retry_key, bool *done,
	      char **err)
{
	char *prev = NULL;
	bool used = false;

	*done = false;
	if (s->readonly)
		return mg_qs_fail(s, err, g_strdup("the quarantine is open read-only"));
	if (!mg_store_id_valid(id)) {
		char *shown = g_strescape(id ? id : "(null)", NULL);
		mg_qs_fail(s, err, g_strdup_printf("'%.60s' is not a quarantine ID", shown));
		g_free(shown);
		return false;
	}
	if (!retry_key || !*retry_key)
		return mg_qs_fail(s, err, g_strdup("no retry key given"));
	if (!lookup_retry(s, retry_key, &prev, err))
		return false;
	*done = prev && strcmp(prev, id) == 0;
	g_free(prev);
	if (*done)
		return true;
	if (!id_in_use(s, id, &used, err))
		return false;
	if (used)
		return mg_qs_fail(s, err, g_strdup_printf("ID %s is already used for "
							  "another message", id));
	return true;
}

void
mg_keep_job_free(mg_keep_job *j)
{
	if (!j)
		return;
	row_clear(&j->r);
	g_free(j->error);
	g_free(j);
}

bool
mg_keep_job_result(const mg_keep_job *j, char **err)
{
	if (j->kept)
		return true;
	if (err)
		*err = g_strdup(j->error ? j->error : "the original was not indexed");
	return false;
}

mg_keep_job *
mg_store_keep_begin(mg_store *s, const mg_keep_req *q, bool *done, char **err)
{
	char *msg = NULL;

	if (!keep_precheck(s, q->id, q->retry_key, done, err) || *done)
		return NULL;
	mg_keep_job *j = g_new0(mg_keep_job, 1);
	j->r.m = (mg_qmeta){ .id = q->id, .retry_key = q->retry_key,
			     .verdict = q->verdict_json, .env = q->env };
	j->raw = q->raw;
	j->len = q->len;
	bool ok = fill_row(s, &j->r, q->raw, q->len, q->sha256, err);
	char *meta = ok ? mg_qmeta_json(&j->r.m) : NULL;
	j->r.spool = ok ? mg_spool_place(s->spool, q->id, meta, strlen(meta), q->raw,
					 q->len, &msg) : NULL;
	if (ok && !j->r.spool)
		ok = mg_qs_fail(s, err, msg);
	j->r.key_id = mg_spool_current_key(s->spool);
	g_free(meta);
	if (!ok)
		g_clear_pointer(&j, mg_keep_job_free);
	return j;
}

/* synchronous = FULL (every commit synced: the keep's promise) or NORMAL
 * (traffic records, which are not kept durably: traffic.h); the setting is
 * remembered so that a keep never commits under NORMAL. */
static bool
set_synchronous(mg_store *s, bool full, char **err)
{
	if (s->sync_normal != full)
		return true;
	if (!mg_qs_exec(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
			"cannot set synchronous", err))
		return false;
	s->sync_normal = !full;
	return true;
}

bool
mg_qs_begin(mg_store *s, char **err)
{
	return set_synchronous(s, true, err) &&
	       exec_cached(s, ST_BEGIN, "cannot lock the index", err);
}

static void
job_fail(mg_keep_job *j, const char *why)
{
	if (!j->error)
		j->error = g_strdup(why);
}

/* Makes every job's directory entry durable: one fsync per day directory. */
static void
sync_days(mg_store *w, mg_keep_job *const *jobs, guint n)
{
	for (guint i = 0; i < n; i++) {
		mg_keep_job *j = jobs[i];
		bool seen = false;
		if (j->error)
			continue;
		for (guint k = 0; k < i && !seen; k++)	/* a batch spans a day or two */
			seen = !jobs[k]->error && strncmp(jobs[k]->r.spool, j->r.spool, 9) == 0;
		if (seen)
			continue;
		char *msg = NULL;
		if (mg_spool_sync_day(w->spool, j->r.spool, &msg))
			continue;
		for (guint k = i; k < n; k++)	/* all of that directory fail */
			if (!jobs[k]->error && strncmp(jobs[k]->r.spool, j->r.spool, 9) == 0)
				job_fail(jobs[k], msg);
		mg_qs_fail(w, NULL, msg);
	}
}

/* Inserts j's rows in a savepoint of the open transaction.  False when
 * the transaction itself is gone (the caller then fails the batch). */
static bool
index_job(mg_store *w, mg_keep_job *j)
{
	char *msg = NULL;

	if (!exec_cached(w, ST_SAVEPOINT, "cannot index the original", &msg)) {
		job_fail(j, msg);
		g_free(msg);
		return !sqlite3_get_autocommit(w->db);
	}
	if (insert_message(w, &j->r, &msg) && insert_rcpts(w, &j->r, &msg) &&
	    exec_cached(w, ST_RELEASE, "cannot index the original", &msg))
		return true;
	job_fail(j, msg);
	g_free(msg);
	if (sqlite3_get_autocommit(w->db))	/* SQLite rolled the transaction back */
		return false;
	return exec_cached(w, ST_ROLLBACK_TO, "cannot roll back", NULL) &&
	       exec_cached(w, ST_RELEASE, "cannot roll back", NULL);
}

/* One transaction for the jobs that are still good. */
static void
index_jobs(mg_store *w, mg_keep_job *const *jobs, guint n)
{
	char *msg = NULL;
	bool ok = w->readonly ? mg_qs_fail(w, &msg, g_strdup("the quarantine is open read-only"))
			      : mg_qs_begin(w, &msg);

	for (guint i = 0; ok && i < n; i++)
		if (!jobs[i]->error)
			ok = index_job(w, jobs[i]);
	if (ok)
		ok = exec_cached(w, ST_COMMIT, "cannot commit", &msg);
	if (!ok && !sqlite3_get_autocommit(w->db))
		exec_cached(w, ST_ROLLBACK, "cannot roll back", NULL);
	if (!ok && !msg)
		msg = g_strdup_printf("quarantine_db %s: the transaction was rolled back: %s",
				      w->db_path, w->last_error ? w->last_error : "?");
	for (guint i = 0; i < n; i++) {
		if (!ok)
			job_fail(jobs[i], msg);	/* nothing of the batch is committed */
		jobs[i]->kept = !jobs[i]->error;
	}
	g_free(msg);
}

void
mg_store_keep_finish(mg_store *w, mg_keep_job *const *jobs, guint n)
{
	sync_days(w, jobs, n);
	bool any = false;
	for (guint i = 0; i < n && !any; i++)
		any = !jobs[i]->error;
	if (any)
		index_jobs(w, jobs, n);
	for (guint i = 0; i < n; i++) {
		char *ignored = NULL;
		if (!jobs[i]->kept && jobs[i]->r.spool &&
		    !mg_spool_unlink(w->spool, jobs[i]->r.spool, &ignored)) {
			/* left as an unindexed file: safe to delete, like a .tmp- one */
			g_free(ignored);
		}
	}
}

bool
mg_store_keep(mg_store *s, const char *id, const char *retry_key,
	      const char *raw, size_t len, const mg_envelope *env,
	      const char *verdict_json, char **err)
{
	mg_keep_req q = { .id = id, .retry_key = retry_key, .raw = raw, .len = len,
			  .env = env, .verdict_json = verdict_json };
	bool done = false;
	mg_keep_job *j = mg_store_keep_begin(s, &q, &done, err);

	if (!j)
		return done;
	mg_store_keep_finish(s, &j, 1);
	bool ok = j->kept;
	if (!ok)
		mg_qs_fail(s, err, g_strdup(j->error));
	mg_keep_job_free(j);
	return ok;
}

/* ---- traffic records ------------------------------------------------------ */

bool
mg_store_add_traffic(mg_store *s, mg_traffic *const *rows, guint n, char **err)
{
	char *msg = NULL;

	if (s->readonly)
		return mg_qs_fail(s, err, g_strdup("the quarantine is open read-only"));
	if (!set_synchronous(s, false, err) ||
	    !exec_cached(s, ST_BEGIN, "cannot lock the index", err)) {
		set_synchronous(s, true, NULL);
		return false;
	}
	bool ok = mg_traffic_insert(s->db, rows, n, &msg) || mg_qs_fail(s, err, msg);
	ok = ok && exec_cached(s, ST_COMMIT, "cannot commit", err);
	if (!ok && !sqlite3_get_autocommit(s->db))
		exec_cached(s, ST_ROLLBACK, "cannot roll back", NULL);
	set_synchronous(s, true, NULL);	/* else the next keep sets it */
	return ok;
}

/* ---- reading ------------------------------------------------------------- */

mg_kept *
mg_qs_kept_from_row(sqlite3_stmt *st)
{
	mg_kept *k = g_new0(mg_kept, 1);

	k->id = mg_qs_col_dup(st, 0);
	k->received = (time_t)sqlite3_column_int64(st, 1);
	char **strs[] = { &k->queue_id, &k->mail_from, &k->client_addr,
			  &k->client_name, &k->helo, &k->auth_name, &k->subject,
			  &k->from_hdr };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		*strs[i] = mg_qs_col_dup(st, (int)i + 2);
	k->size = (guint64)sqlite3_column_int64(st, 10);
	k->sha256 = mg_qs_col_dup(st, 11);
	k->reasons = mg_qs_col_dup(st, 12);
	k->action = mg_qs_col_dup(st, 13);
	k->status = mg_qs_col_dup(st, 14);
	k->key_id = mg_qs_col_dup(st, 15);
	k->rcpts = g_ptr_array_new_with_free_func(g_free);
	return k;
}

static bool
kept_rcpts(mg_store *s, mg_kept *k, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT rcpt FROM recipients WHERE id = ?1 "
					 "ORDER BY seq", err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, k->id);
	while (sqlite3_step(st) == SQLITE_ROW)
		g_ptr_array_add(k->rcpts, mg_qs_col_dup(st, 0));
	return mg_qs_run(s, st, "cannot read recipients", err);
}

static const char find_sql[] =
	"SELECT " MG_QS_KEPT_COLUMNS " FROM messages WHERE"
	" (?1 IS NULL OR received >= ?1) AND (?2 IS NULL OR received < ?2)"
	" AND (?3 IS NULL OR instr(mg_fold(mail_from), mg_fold(?3)) > 0"
	"  OR instr(mg_fold(from_hdr), mg_fold(?3)) > 0)"
	" AND (?4 IS NULL OR EXISTS (SELECT 1 FROM recipients r WHERE"
	"  r.id = messages.id AND instr(mg_fold(r.rcpt), mg_fold(?4)) > 0))"
	" AND (?5 IS NULL OR instr(mg_fold(subject), mg_fold(?5)) > 0)"
	" AND (?6 IS NULL OR instr(',' || reasons || ',', ',' || ?6 || ',') > 0)"
	" AND (CASE WHEN ?7 IS NULL THEN status != 'deleted' ELSE status = ?7 END)"
	" ORDER BY received DESC, rowid DESC LIMIT ?8";

/* Binds a time as UTC text (0: NULL, no bound). */
static void
bind_time(sqlite3_stmt *st, int i, time_t t)
{
	char text[32];

	if (!t) {
		sqlite3_bind_null(st, i);
		return;
	}
	mg_qmeta_iso_utc(t, text);
	sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

static void
bind_filter(sqlite3_stmt *st, const mg_store_filter *f)
{
	bind_time(st, 1, f->since);
	bind_time(st, 2, f->until);
	mg_qs_bind_str(st, 3, f->from);
	mg_qs_bind_str(st, 4, f->to);
	mg_qs_bind_str(st, 5, f->subject);
	mg_qs_bind_str(st, 6, f->reason);
	mg_qs_bind_str(st, 7, f->status);
	sqlite3_bind_int64(st, 8, f->limit ? (sqlite3_int64)f->limit : -1);
}

GPtrArray *
mg_store_find(mg_store *s, const mg_store_filter *f, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, find_sql, err);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)mg_kept_free);
	int rc;

	if (!st) {
		g_ptr_array_unref(out);
		return NULL;
	}
	bind_filter(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, mg_qs_kept_from_row(st));
	bool ok = rc == SQLITE_DONE || db_fail(s, err, "cannot list");
	sqlite3_finalize(st);
	for (guint i = 0; ok && i < out->len; i++)
		ok = kept_rcpts(s, g_ptr_array_index(out, i), err);
	if (!ok)
		g_clear_pointer(&out, g_ptr_array_unref);
	return out;
}

GPtrArray *
mg_store_list(mg_store *s, unsigned limit, char **err)
{
	mg_store_filter f = { .limit = limit };

	return mg_store_find(s, &f, err);
}

/* Where the original of id is, and what it must hash to. */
static bool
lookup_kept(mg_store *s, const char *id, char **spool, char **sha, guint64 *size,
	    char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT spool, sha256, size, status FROM "
					 "messages WHERE id = ?1", err);
	const char *why = NULL;

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		why = "no original is kept under this ID";
	else if (strcmp((const char *)sqlite3_column_text(st, 3), "deleted") == 0)
		why = "the original kept under this ID was deleted";
	else {
		*spool = mg_qs_col_dup(st, 0);
		*sha = mg_qs_col_dup(st, 1);
		*size = (guint64)sqlite3_column_int64(st, 2);
	}
	bool ok = mg_qs_run(s, st, "cannot look up an ID", err);
	if (ok && why)
		ok = mg_qs_fail(s, err, g_strdup_printf("%s: %s", id, why));
	return ok;
}

bool
mg_store_read(mg_store *s, const char *id, char **raw, size_t *len,
	      char **meta_json, char **err)
{
	char *spool = NULL, *sha = NULL, *msg = NULL, *r = NULL, *meta = NULL, got[65];
	guint64 size = 0;
	size_t n = 0;

	if (!mg_store_id_valid(id))
		return mg_qs_fail(s, err, g_strdup("not a quarantine ID"));
	bool ok = lookup_kept(s, id, &spool, &sha, &size, err);
	if (ok && !mg_spool_read(s->spool, spool, id, &meta, &r, &n, NULL, &msg))
		ok = mg_qs_fail(s, err, msg);
	if (ok) {
		mg_qmeta_sha256_hex(r, n, got);
		if (n != size || strcmp(got, sha) != 0)
			ok = mg_qs_fail(s, err, g_strdup_printf("%s: the spool file differs "
								"from what was kept (SHA-256 "
								"mismatch)", id));
	}
	if (ok) {
		*raw = g_steal_pointer(&r);
		*len = n;
		if (meta_json)
			*meta_json = g_steal_pointer(&meta);
	}
	g_free(r);
	g_free(meta);
	g_free(spool);
	g_free(sha);
	return ok;
}
