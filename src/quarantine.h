/*
 * quarantine.h - the store of kept originals: spool files, the SQLite
 * index and the audit log in it (audit.h); the helpdesk's queries and
 * changes (mugaika list, show, release, delete, purge, stats).  The SMTP
 * side of a release is release.h.
 *
 * Write side (used by mugaika-milter): an original is written to a temp file
 * in the spool, fsync'd, renamed to its ID, the directory fsync'd, and only
 * then indexed in SQLite (WAL, busy timeout, schema version table).  Nothing
 * from a message ever becomes a path: file names are the IDs.  The spool
 * directory is 0700 and every file 0600, owned by the service user.
 *
 * IDs are "YYYYMMDDTHHMMSSZ-" + 8 random base32 characters (A-Z2-7): unique,
 * time-sortable, safe as file names.  A client that retries the same message
 * after a failure (same content hash and envelope) is recognised, and the
 * original is kept once under its first ID.
 *
 * An mg_store is used by one thread at a time (open one per thread, or lock
 * around it).  Strings returned are the caller's (g_free).
 *
 * The milter's order of calls for one message:
 *	key = mg_store_retry_key_sha(raw, len, env, sha256);
 *	id  = mg_store_find_retry_compat(s, &key, raw, len, env) ?: mg_store_new_id(now);
 *	r   = mg_sanitize(raw, len, cfg, id, now);
 *	if (r->verdict->keep_original &&
 *	    !mg_keeper_keep(keeper, s, &(mg_keep_req){ id, key, sha256, raw, len,
 *			    env, verdict_json }, &err))
 *		tempfail (and mg_keeper_note_failure(keeper, key) for poison_limit);
 * where the keeper (keeper.h) indexes the originals of many threads in one
 * transaction; mg_store_keep() is the same for a single thread.
 *
 * The spool file format and the key file are described in spool.h, the
 * index schema in quarantine.c; mugaika.conf(5) describes them for
 * operators (quarantine_dir, quarantine_key_file).
 */
#ifndef MG_QUARANTINE_H
#define MG_QUARANTINE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "audit.h"
#include "conf.h"
#include "traffic.h"

typedef struct mg_store mg_store;

/* The SMTP envelope of a message, as the milter saw it. */
typedef struct {
	char *mail_from;        /* MAIL FROM address without <>, "" for null sender */
	GPtrArray *rcpts;       /* char*: every RCPT TO address */
	char *client_addr;      /* "192.0.2.1" or "IPv6:..." */
	char *client_name;      /* reverse name, may be NULL */
	char *helo;
	char *queue_id;         /* Postfix {i} */
	char *auth_name;        /* {auth_authen}, NULL when not authenticated */
	time_t received;
} mg_envelope;

mg_envelope *mg_envelope_new(void);
void mg_envelope_free(mg_envelope *e);

/* Opens the spool (quarantine_dir) and index (quarantine_db), creating
 * them with modes 0700/0600 when absent.  NULL with *err on failure. */
mg_store *mg_store_open(const mg_config *cfg, char **err);
void mg_store_close(mg_store *s);

/* A new ID for time now. */
char *mg_store_new_id(time_t now);

/* The key that recognises a retry: "v3-" and the SHA-256 hex of the raw
 * message's SHA-256 and the envelope (sender, recipients in order).
 * Caller frees.  The whole message counts: Postfix does not show a milter
 * the Received field it adds itself, so a client's retry reaches the milter
 * byte for byte the same, and two messages that differ anywhere are never
 * taken for one.  env may be NULL. */
char *mg_store_retry_key(const char *raw, size_t len, const mg_envelope *env);

/* The same, and sha256 gets the message's own SHA-256 (hex), from the one
 * pass over raw that both need. */
char *mg_store_retry_key_sha(const char *raw, size_t len, const mg_envelope *env,
			     char sha256[65]);

/* The ID under which this retry key was already kept, or NULL. */
char *mg_store_find_retry(mg_store *s, const char *retry_key);

/* mg_store_find_retry across an upgrade: retry keys before version 3 were
 * another hash of the same message and envelope.  While the index holds
 * originals kept under such keys in the last 7 days (a client retries for
 * up to 5), a message not found under *key is also looked up under its
 * old key (hashing raw again); when found so, *key is replaced by the old
 * key (freed and allocated anew): the key it is kept and counted under. */
char *mg_store_find_retry_compat(mg_store *s, char **key, const char *raw, size_t len,
				 const mg_envelope *env);

/* Keeps the original durably (see above) with its envelope and the
 * verdict (JSON text) and indexes it under id.  When the retry key is
 * already kept, does nothing and succeeds.  false with *err when it could
 * not be kept durably: the caller must then tempfail.
 * Precisely: "already kept" means kept under this id (the id that
 * mg_store_find_retry returned).  Were the key kept under another ID (two
 * deliveries of one message racing, or a caller that did not ask
 * find_retry), the original is kept again under id, so that every ID put
 * into delivered mail resolves.  id must be valid (mg_store_id_valid) and
 * not yet used for another message.  The subject and From shown by
 * mugaika list come from the verdict's "subject" and "from", else from
 * the message's own header fields. */
bool mg_store_keep(mg_store *s, const char *id, const char *retry_key,
		   const char *raw, size_t len, const mg_envelope *env,
		   const char *verdict_json, char **err);

/* ---- keeping in two halves (the keeper's group commit, keeper.h) ---------- */

/* What mg_store_keep takes; sha256 (hex of raw) may be NULL: computed.
 * Everything is borrowed until the job made of it is freed. */
typedef struct {
	const char *id, *retry_key, *sha256;
	const char *raw;
	size_t len;
	const mg_envelope *env;
	const char *verdict_json;
} mg_keep_req;

typedef struct mg_keep_job mg_keep_job;

/* The first half of mg_store_keep, on the calling thread's store s: the
 * checks, the index row made ready, the spool file written, fsync'd and
 * renamed into place (mg_spool_place: its directory not yet synced).
 * NULL with *done when already kept (success, nothing to do), NULL with
 * *err on a failure (nothing left behind). */
mg_keep_job *mg_store_keep_begin(mg_store *s, const mg_keep_req *q, bool *done,
				 char **err);

/* The second half for jobs[0..n), on the writer w (one thread at a time):
 * each day directory fsync'd once, then every row in one transaction (one
 * savepoint each, so a row that fails fails alone), one commit (synced).
 * A job that fails - its directory, its row, or the whole batch when the
 * transaction cannot begin or commit - has its file removed again and its
 * error set; no job succeeds before the commit that holds its row. */
void mg_store_keep_finish(mg_store *w, mg_keep_job *const *jobs, guint n);

/* The job's outcome: true when kept, else false with *err (may be NULL). */
bool mg_keep_job_result(const mg_keep_job *j, char **err);
void mg_keep_job_free(mg_keep_job *j);

/* poison_limit support: counts one more failure for the retry key and
 * returns how many there have been (0 when the index could not count it:
 * see mg_store_last_error). */
unsigned mg_store_note_failure(mg_store *s, const char *retry_key);

/* ---- additions ------------------------------------------------------------ */

/* The schema version this program writes and understands (2 added the
 * audit log, 3 the traffic records: see quarantine.c). */
#define MG_STORE_SCHEMA_VERSION 3

/* True when id has the form mg_store_new_id() makes; only such IDs ever
 * name a spool file. */
bool mg_store_id_valid(const char *id);

/* Opens an existing spool and index for reading (mugaika list, stats,
 * audit): creates nothing, changes nothing; mg_store_keep, note_failure and
 * everything that writes fail.  An index of an older schema version is
 * read as it is (it is upgraded by the next writable open).  NULL with
 * *err when either is missing or unreadable. */
mg_store *mg_store_open_readonly(const mg_config *cfg, char **err);

/* The message of the last failure on s (borrowed, valid until the next
 * call on s), or NULL. */
const char *mg_store_last_error(mg_store *s);

/* How long to wait for another process's lock on the index before failing
 * (default 5000 ms). */
void mg_store_set_busy_timeout(mg_store *s, unsigned ms);

/* A kept original as the index knows it.  Strings are UTF-8 as stored
 * (subject and from_hdr decoded from the message; not yet display-safe). */
typedef struct {
	char *id;
	time_t received;        /* envelope time */
	char *queue_id, *mail_from, *client_addr, *client_name, *helo, *auth_name;
	GPtrArray *rcpts;       /* char*, in envelope order */
	char *subject;          /* decoded Subject, or NULL */
	char *from_hdr;         /* decoded From header, or NULL */
	guint64 size;           /* bytes of the original */
	char *sha256;           /* hex of the original */
	char *reasons;          /* "html_converted,attachment", or "" */
	char *action;           /* the verdict's action, or NULL */
	char *status;           /* "held", "released" or "deleted" */
	char *key_id;           /* encryption key id, NULL when stored plain */
} mg_kept;

void mg_kept_free(mg_kept *k);

/* Kept originals that are not deleted, newest first, at most limit (0: all).
 * A new array of mg_kept* (freeing it frees them); NULL with *err. */
GPtrArray *mg_store_list(mg_store *s, unsigned limit, char **err);

/* Reads back the original kept under id, byte for byte: *raw (plus a NUL
 * not counted in *len) and, when meta_json is not NULL, the spool file's
 * metadata JSON (envelope, verdict).  Checks the bytes against the SHA-256
 * in the index.  False with *err for an unknown or deleted ID, a missing,
 * changed or undecryptable file.  (The caller records the audit row.) */
bool mg_store_read(mg_store *s, const char *id, char **raw, size_t *len,
		   char **meta_json, char **err);

/* ---- helpdesk: finding, showing, releasing, removing (mugaika(1)) --------- */

/* The schema version of the index as opened. */
int mg_store_schema(mg_store *s);

/* Which kept originals mg_store_find returns; a zero or NULL field does
 * not filter.  Text matches ignore ASCII case and compare NFKC forms, so
 * half-width ｶﾀｶﾅ finds full-width カタカナ. */
typedef struct {
	time_t since, until;    /* received at or after since, before until */
	const char *from;       /* part of the envelope sender or of From */
	const char *to;         /* part of an envelope recipient */
	const char *subject;    /* part of the decoded Subject */
	const char *reason;     /* a reason code, exactly */
	const char *status;     /* held, released or deleted; NULL: not deleted */
	unsigned limit;         /* at most this many, newest first (0: all) */
} mg_store_filter;

/* Like mg_store_list, through the filter f. */
GPtrArray *mg_store_find(mg_store *s, const mg_store_filter *f, char **err);

/* A part the verdict says was removed. */
typedef struct {
	char *part, *filename, *content_type, *why, *sha256;	/* NULL when unknown */
	gint64 size;            /* decoded bytes, -1 when unknown */
} mg_removed_part;

/* One kept original with all the index knows of it (mugaika show). */
typedef struct {
	mg_kept *kept;          /* rcpts in envelope order */
	char *verdict;          /* the verdict as compact, valid JSON, or NULL */
	char *status_at, *status_by;	/* last change of status, or NULL */
	GPtrArray *released_at; /* char* per kept->rcpts entry, NULL: not released */
	GPtrArray *released_by;
	GPtrArray *removed;     /* mg_removed_part* */
} mg_kept_detail;

/* Everything about id, whatever its status; NULL with *err when unknown. */
mg_kept_detail *mg_store_detail(mg_store *s, const char *id, char **err);
void mg_kept_detail_free(mg_kept_detail *d);

/* The store's SQLite handle, for the read-only queries of mugaika report
 * (report.c); borrowed, valid while s is open, used by one thread. */
struct sqlite3;
struct sqlite3 *mg_store_sqlite(mg_store *s);

/* Records rows[0..n) (traffic.h) in one transaction, committed without
 * a WAL sync (records are not kept durably; the next synced commit makes
 * them durable too).  False with *err when they could not be written (the
 * caller may try again later). */
bool mg_store_add_traffic(mg_store *s, mg_traffic *const *rows, guint n, char **err);

/* Appends r to the audit log in its own transaction and announces the new
 * head (audit.h).  Record a read BEFORE handing the original out. */
bool mg_store_audit(mg_store *s, mg_audit_row *r, char **err);

/* Audit rows through f (NULL: all), oldest first; NULL with *err. */
GPtrArray *mg_store_audit_rows(mg_store *s, const mg_audit_filter *f, char **err);

/* mg_audit_verify on this index (head: NULL or 64 hex digits). */
bool mg_store_audit_verify(mg_store *s, const char *head, mg_audit_check *c,
			   char **err);

/* After a release: marks the n recipients in rcpts (as the index spells
 * them) released now by r's operator, makes the message "released" once
 * every recipient is, and appends r - all in one transaction.  Addresses
 * that are not recipients of id are only recorded in r. */
bool mg_store_mark_released(mg_store *s, const char *id, char *const *rcpts,
			    guint n, mg_audit_row *r, char **err);

/* Deletes the original of id: status "deleted" and audit row r in one
 * transaction, then the file.  The index row stays.  A false return with
 * *err after the commit means the file is still there: run it again. */
bool mg_store_delete(mg_store *s, const char *id, mg_audit_row *r, char **err);

/* mg_store_delete that also scrubs the index row: its Subject and From
 * header fields (what a message says of itself, where personal data
 * hides) become NULL, and the kept verdict loses them and the names of
 * removed files and archive members, in the same transaction; the
 * envelope, sizes, types and hashes stay.  An original already deleted is
 * scrubbed (with r) and not an error. */
bool mg_store_delete_scrub(mg_store *s, const char *id, mg_audit_row *r, char **err);

typedef struct {
	time_t now;
	unsigned retention_days;        /* originals older than this go */
	unsigned audit_retention_days;  /* index and audit rows older than this go */
	bool dry_run;                   /* count only: change nothing, no audit row */
} mg_purge_opts;

typedef struct {
	GPtrArray *originals;   /* char*: IDs whose originals were removed */
	guint64 rows;           /* index rows removed (deleted ones, past audit retention) */
	gint64 audit_rows;      /* audit rows pruned */
	guint unlink_failures;  /* files that could not be removed (see *err) */
	guint stale_temps;      /* temporary files a crash left, older than a day */
} mg_purge_result;

/* mugaika purge: the originals older than retention_days are deleted (as
 * mg_store_delete, status_by "purge"), then index rows of deleted
 * originals and audit rows older than audit_retention_days are removed
 * and r (action purge, the counts in its detail) appended; temporary files
 * a crash left in the spool more than a day ago are removed too
 * (mg_spool_sweep_temps).  res is the
 * caller's (mg_purge_result_clear).  False with *err on a failure; a file
 * that could not be removed is counted, named in *err, and the rest goes on. */
bool mg_store_purge(mg_store *s, const mg_purge_opts *o, mg_purge_result *res,
		    mg_audit_row *r, char **err);
void mg_purge_result_clear(mg_purge_result *res);

/* What mugaika stats reports from the index. */
typedef struct {
	guint64 count[3];       /* held, released, deleted */
	guint64 bytes[3];       /* their originals' bytes */
	time_t oldest_held;     /* 0: none held */
	char *oldest_held_id;
	GPtrArray *key_ids;     /* char*: key ids of kept originals ("" unencrypted) */
	GArray *key_counts;     /* guint64, parallel to key_ids */
	gint64 audit_rows;      /* -1: no audit log (schema version 1) */
	gint64 audit_head_seq;
	char audit_head[65];
} mg_store_stats;

bool mg_store_get_stats(mg_store *s, mg_store_stats *st, char **err);
void mg_store_stats_clear(mg_store_stats *st);

#endif
