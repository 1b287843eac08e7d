/*
 * audit.h - the audit log: who showed, read, released, deleted or purged
 * which kept original, when, for whom and why; each row hash-chained to the
 * one before it.  The rows live in the quarantine index (table audit,
 * schema version 2); quarantine.h has the calls the commands use, the
 * functions on a database handle below are quarantine.c's.
 *
 * A row's hash is the lower-case hex SHA-256 of its predecessor's hash (64
 * ASCII hex digits; for the first row the base hash, 64 zeros until rows
 * are pruned) followed by the row's canonical form:
 *
 *	mugaika-audit 1\n
 *	then for each field in this order - at, uid, user, sudo_user,
 *	action, id, rcpts, reason, forced, outcome, detail -
 *	"NAME LEN\nVALUE\n" (LEN the value's length in bytes, in decimal),
 *	or "NAME -\n" when the value is absent (NULL).
 *
 * uid is written in decimal; rcpts are the addresses joined with "\n".
 * seq (the row's position) is not hashed: the order is the chain of
 * hashes itself, so a renumbered, moved, removed or changed row breaks it.
 * Rows older than audit_retention_days are pruned from the front only; the
 * last pruned row's seq and hash become the base (table audit_base), and
 * the purge row that pruned them records "audit_base=SEQ:HASH" in its
 * detail, inside the chain.
 *
 * After each write the new head ("seq=N hash=HEX") is sent to syslog
 * (facility authpriv) through audit_syslog_socket, so a truncated or fully
 * rewritten chain shows against the log (audit verify --head).
 *
 * Strings in rows are UTF-8, the caller's or the row's own (freed by
 * mg_audit_row_free).  Functions are not thread-safe unless said.
 */
#ifndef MG_AUDIT_H
#define MG_AUDIT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MG_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

typedef struct {
	gint64 seq;             /* position in the chain, from 1 (0: not yet written) */
	char *at;               /* UTC "YYYY-MM-DDTHH:MM:SSZ" */
	gint64 uid;             /* real uid of the process */
	char *user;             /* its user name, or NULL */
	char *sudo_user;        /* SUDO_USER, or NULL */
	char *action;           /* show, read, release, delete, purge */
	char *id;               /* quarantine ID, or NULL */
	char *rcpts;            /* addresses joined with "\n", or NULL */
	char *reason;           /* the operator's --reason, or NULL */
	char *forced;           /* what --force overrode ("virus:NAME,recipient"), or NULL */
	char *outcome;          /* ok, started, partial, failed, refused */
	char *detail;           /* "key=value ..." text, or NULL */
	char prev[65];          /* hash of the row before (or the base) */
	char hash[65];
} mg_audit_row;

/* A row for action on id (may be NULL) at time at (0: now), with the
 * operator filled in: real uid, its name, SUDO_USER.  Outcome "ok". */
mg_audit_row *mg_audit_row_new(const char *action, const char *id, time_t at);
void mg_audit_row_free(mg_audit_row *r);

/* Replaces *field with a copy of value (NULL allowed). */
void mg_audit_set(char **field, const char *value);

/* "SUDO_USER via USER" or "USER" (or the uid): who, in one word or three,
 * for status_by and messages.  Caller frees. */
char *mg_audit_operator(const mg_audit_row *r);

/* The canonical form above; *len gets its length.  Caller frees. */
char *mg_audit_canonical(const mg_audit_row *r, size_t *len);

/* SHA-256 hex of prev || canonical form of r. */
void mg_audit_compute(const mg_audit_row *r, const char *prev, char out[65]);

/* Which rows to list. */
typedef struct {
	const char *id;         /* only rows about this ID */
	const char *action;     /* only this action */
	char since[32];         /* UTC text; "" for no bound */
	char until[32];
	unsigned limit;         /* the newest N (0: all), shown oldest first */
} mg_audit_filter;

typedef enum {
	MG_AUDIT_INTACT = 0,
	MG_AUDIT_CHANGED,       /* a row's contents do not match its hash */
	MG_AUDIT_REMOVED,       /* rows are gone from the front or the middle */
	MG_AUDIT_REORDERED,     /* a row follows another than its predecessor */
	MG_AUDIT_MISSING,       /* the head given is not in the chain: rows at the end
				   were removed, or the whole chain was rewritten */
	MG_AUDIT_BASE           /* the base does not match the last purge row */
} mg_audit_problem;

/* What audit verify found. */
typedef struct {
	mg_audit_problem problem;
	gint64 rows;            /* rows checked */
	gint64 seq;             /* the first row at fault, 0 when none or at the end */
	char *message;          /* one sentence; NULL when intact */
	gint64 head_seq;        /* the last row, 0 when the log is empty */
	char head[65];          /* its hash (the base hash when empty) */
	gint64 since_head;      /* with a head given: rows written after it */
} mg_audit_check;

void mg_audit_check_clear(mg_audit_check *c);

/* The 64 hex digits of a head as given to audit verify --head: the hash
 * alone, or a pasted log line containing "hash=HEX".  False when there
 * is none. */
bool mg_audit_parse_head(const char *text, char out[65]);

/* Sends "audit: seq=N hash=HEX action=A id=ID outcome=O operator=WHO"
 * to syslog (authpriv.notice) through the datagram socket path.  When it
 * cannot be sent, says so on standard error with the head, so that it can
 * be noted by hand.  Never fails the caller. */
void mg_audit_announce(const char *socket_path, const mg_audit_row *r);

/* ---- on the index's database handle: for quarantine.c --------------------- */

struct sqlite3;

/* Appends r inside the caller's write transaction: makes its text valid
 * UTF-8 (U+FFFD for bad bytes), sets r->seq, r->prev and r->hash from the
 * current head.  False with *err (a sentence). */
bool mg_audit_append(struct sqlite3 *db, mg_audit_row *r, char **err);

/* The head: seq and hash of the last row, or the base's when there is
 * none.  False with *err. */
bool mg_audit_head(struct sqlite3 *db, gint64 *seq, char hash[65], char **err);

/* Rows matching f, oldest first: a new array of mg_audit_row* (freeing it
 * frees them); NULL with *err. */
GPtrArray *mg_audit_select(struct sqlite3 *db, const mg_audit_filter *f, char **err);

/* Walks the whole chain (see mg_audit_problem); head: NULL or the 64 hex
 * digits of a head noted earlier.  False with *err only when the table
 * cannot be read. */
bool mg_audit_verify(struct sqlite3 *db, const char *head, mg_audit_check *c,
		     char **err);

/* Inside the caller's write transaction: removes the rows at the front of
 * the chain that are older than cutoff (UTC text), up to the first row
 * that is not, and makes the last removed row the base.  *pruned gets the
 * number removed and, when it is not 0, *base the new base "SEQ:HASH"
 * (caller frees).  False with *err. */
bool mg_audit_prune(struct sqlite3 *db, const char *cutoff, gint64 *pruned,
		    char **base, char **err);

#endif
