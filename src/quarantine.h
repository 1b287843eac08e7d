/*
 * quarantine.h - the store of kept originals: spool files, the SQLite
 * index, and (later) the audit chain and release over SMTP.
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
 *	key = mg_store_retry_key(raw, len, env);
 *	id  = mg_store_find_retry(s, key) ?: mg_store_new_id(now);
 *	r   = mg_sanitize(raw, len, cfg, id, now);
 *	if (r->verdict->keep_original &&
 *	    !mg_store_keep(s, id, key, raw, len, env, verdict_json, &err))
 *		tempfail (and mg_store_note_failure(s, key) for poison_limit);
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

#include "conf.h"

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

/* SHA-256 hex of the raw message and the envelope (sender, recipients in
 * order): the key that recognises a retry.  Caller frees.  The topmost
 * header field is left out when it is a Received field: it is the one the
 * receiving MTA adds (Postfix shows its own to the milter), with a new
 * queue ID and time on every attempt.  env may be NULL. */
char *mg_store_retry_key(const char *raw, size_t len, const mg_envelope *env);

/* The ID under which this retry key was already kept, or NULL. */
char *mg_store_find_retry(mg_store *s, const char *retry_key);

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

/* poison_limit support: counts one more failure for the retry key and
 * returns how many there have been (0 when the index could not count it:
 * see mg_store_last_error). */
unsigned mg_store_note_failure(mg_store *s, const char *retry_key);

/* ---- additions ------------------------------------------------------------ */

/* The schema version this program writes and understands. */
#define MG_STORE_SCHEMA_VERSION 1

/* True when id has the form mg_store_new_id() makes; only such IDs ever
 * name a spool file. */
bool mg_store_id_valid(const char *id);

/* Opens an existing spool and index for reading (mugaika list, show):
 * creates nothing, changes nothing; mg_store_keep and note_failure fail.
 * NULL with *err when either is missing or unreadable. */
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

#endif
