/*
 * audit.c - the audit log's rows, their canonical form and hash chain, the
 * SQL that appends, lists, verifies and prunes them, and the chain head
 * sent to syslog.
 *
 * SYNOPSIS
 *	mg_audit_row *mg_audit_row_new(action, id, at);  mg_audit_row_free(r);
 *	void mg_audit_set(&field, value);  char *mg_audit_operator(r);
 *	char *mg_audit_canonical(r, &len);  mg_audit_compute(r, prev, out);
 *	bool mg_audit_parse_head(text, out);  mg_audit_check_clear(c);
 *	void mg_audit_announce(socket_path, r);
 *	bool mg_audit_head(db, &seq, hash, &err);
 *	bool mg_audit_append(db, r, &err);
 *	GPtrArray *mg_audit_select(db, filter, &err);
 *	bool mg_audit_verify(db, head, &check, &err);
 *	bool mg_audit_prune(db, cutoff, &pruned, &base, &err);
 *
 * DESCRIPTION
 *	The format and the chain are described in audit.h; the table is
 *	created by quarantine.c's schema version 2:
 *	  audit       seq (INTEGER PRIMARY KEY), at, uid, user, sudo_user,
 *	              action, msg_id, rcpts, reason, forced, outcome, detail,
 *	              prev, hash.  Triggers refuse any UPDATE, and a DELETE of a
 *	              row younger than 365 days.
 *	  audit_base  one row: seq and hash of the last pruned row (0 and
 *	              64 zeros until something is pruned).
 *	Appending and pruning run inside the caller's BEGIN IMMEDIATE
 *	transaction, so two writers never fork the chain.
 *
 *	Verifying walks the rows by seq.  For each: its hash recomputed from
 *	its own prev and contents must equal its stored hash (else CHANGED);
 *	its prev must be the hash of the row before, or the base for the
 *	first (else REORDERED when prev names another row still present,
 *	REMOVED when it names none); its seq must follow on (else
 *	REORDERED: renumbered).  Then the base must be what the last purge
 *	row recorded (or the genesis base when none did), and a head given
 *	must be the hash of some row (else MISSING).
 *
 * DIAGNOSTICS
 *	SQL failures return false/NULL with a sentence in *err naming the
 *	audit log and SQLite's message.  mg_audit_announce reports a failed
 *	send on standard error only.
 *
 * MEMORY
 *	GLib allocation; out-of-memory aborts.
 */
#include "audit.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#define CANON_MAGIC "mugaika-audit 1\n"
#define ROW_COLUMNS "seq, at, uid, user, sudo_user, action, msg_id, rcpts, reason," \
		    " forced, outcome, detail, prev, hash"

/* ---- rows ---------------------------------------------------------------- */

static void
iso_utc(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		g_strlcpy(out, "1970-01-01T00:00:00Z", 32);
}

static char *
user_name(uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
		return NULL;
	return g_strdup(found->pw_name);
}

mg_audit_row *
mg_audit_row_new(const char *action, const char *id, time_t at)
{
	mg_audit_row *r = g_new0(mg_audit_row, 1);
	char when[32];
	const char *sudo_user = g_getenv("SUDO_USER");

	iso_utc(at ? at : time(NULL), when);
	r->at = g_strdup(when);
	r->uid = (gint64)getuid();
	r->user = user_name(getuid());
	r->sudo_user = sudo_user && *sudo_user ? g_strdup(sudo_user) : NULL;
	r->action = g_strdup(action);
	r->id = g_strdup(id);
	r->outcome = g_strdup("ok");
	return r;
}

void
mg_audit_row_free(mg_audit_row *r)
{
	if (!r)
		return;
	char **strs[] = { &r->at, &r->user, &r->sudo_user, &r->action, &r->id,
			  &r->rcpts, &r->reason, &r->forced, &r->outcome, &r->detail };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		g_free(*strs[i]);
	g_free(r);
}

void
mg_audit_set(char **field, const char *value)
{
	char *copy = g_strdup(value);

	g_free(*field);
	*field = copy;
}

char *
mg_audit_operator(const mg_audit_row *r)
{
	char *user = r->user ? g_strdup(r->user)
			     : g_strdup_printf("uid %" G_GINT64_FORMAT, r->uid);

	if (!r->sudo_user)
		return user;
	char *who = g_strdup_printf("%s via %s", r->sudo_user, user);
	g_free(user);
	return who;
}

/* ---- the canonical form and the hash -------------------------------------- */

static void
canon_field(GString *o, const char *name, const char *value)
{
	if (!value) {
		g_string_append_printf(o, "%s -\n", name);
		return;
	}
	g_string_append_printf(o, "%s %zu\n", name, strlen(value));
	g_string_append(o, value);
	g_string_append_c(o, '\n');
}

char *
mg_audit_canonical(const mg_audit_row *r, size_t *len)
{
	GString *o = g_string_new(CANON_MAGIC);
	char uid[32];

	g_snprintf(uid, sizeof uid, "%" G_GINT64_FORMAT, r->uid);
	canon_field(o, "at", r->at);
	canon_field(o, "uid", uid);
	canon_field(o, "user", r->user);
	canon_field(o, "sudo_user", r->sudo_user);
	canon_field(o, "action", r->action);
	canon_field(o, "id", r->id);
	canon_field(o, "rcpts", r->rcpts);
	canon_field(o, "reason", r->reason);
	canon_field(o, "forced", r->forced);
	canon_field(o, "outcome", r->outcome);
	canon_field(o, "detail", r->detail);
	*len = o->len;
	return g_string_free(o, FALSE);
}

void
mg_audit_compute(const mg_audit_row *r, const char *prev, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	size_t len = 0;
	char *canon = mg_audit_canonical(r, &len);

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prev, strlen(prev)) != 1 ||
	    EVP_DigestUpdate(md, canon, len) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &n) != 1 || n != 32)
		g_error("audit: SHA-256 failed");
	EVP_MD_CTX_free(md);
	g_free(canon);
	for (unsigned i = 0; i < n; i++)
		g_snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static bool
is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

bool
mg_audit_parse_head(const char *text, char out[65])
{
	const char *p = text ? strstr(text, "hash=") : NULL;

	p = p ? p + 5 : text;
	if (!p || strlen(p) < 64 || !is_hex64(p) || g_ascii_isxdigit(p[64]))
		return false;
	for (int i = 0; i < 64; i++)
		out[i] = g_ascii_tolower(p[i]);
	out[64] = '\0';
	return true;
}

void
mg_audit_check_clear(mg_audit_check *c)
{
	g_clear_pointer(&c->message, g_free);
}

/* ---- syslog ---------------------------------------------------------------- */

/* "<85>Nov 22 03:04:05 mugaika[PID]: TEXT" (RFC 3164, as syslog(3) sends it). */
static char *
syslog_line(const char *text)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof tm);
	return g_strdup_printf("<%d>%s %2d %02d:%02d:%02d mugaika[%ld]: %s",
			       (10 << 3) | 5, months[CLAMP(tm.tm_mon, 0, 11)], tm.tm_mday,
			       tm.tm_hour, tm.tm_min, tm.tm_sec, (long)getpid(), text);
}

static bool
send_datagram(const char *path, const char *line, int *error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	*error = ENAMETOOLONG;
	if (!path || strlen(path) >= sizeof sa.sun_path)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && sendto(fd, line, strlen(line), MSG_NOSIGNAL,
				    (const struct sockaddr *)&sa, sizeof sa) >= 0;
	*error = errno;
	if (fd >= 0)
		close(fd);
	return ok;
}

void
mg_audit_announce(const char *socket_path, const mg_audit_row *r)
{
	char *who = mg_audit_operator(r);
	char *text = g_strdup_printf("audit: seq=%" G_GINT64_FORMAT " hash=%s action=%s "
				     "id=%s outcome=%s operator=%s", r->seq, r->hash,
				     r->action, r->id ? r->id : "-",
				     r->outcome ? r->outcome : "-", who);
	char *line = syslog_line(text);
	int error = 0;

	if (!send_datagram(socket_path, line, &error))
		fprintf(stderr, "mugaika: warning: audit_syslog_socket %s: %s: the audit "
			"chain head was not logged; note it: seq=%" G_GINT64_FORMAT
			" hash=%s\n", socket_path ? socket_path : "(none)",
			g_strerror(error), r->seq, r->hash);
	g_free(line);
	g_free(text);
	g_free(who);
}

/* ---- SQL helpers ------------------------------------------------------------ */

static bool
sql_fail(sqlite3 *db, char **err, const char *what)
{
	if (err)
		*err = g_strdup_printf("audit log: %s: %s", what, sqlite3_errmsg(db));
	return false;
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql, char **err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_fail(db, err, "cannot prepare a query (is the index older than "
			 "schema version 2?)");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	return g_strdup((const char *)sqlite3_column_text(st, i));
}

static void
col_hash(sqlite3_stmt *st, int i, char out[65])
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	g_strlcpy(out, v ? v : "", 65);
}

/* A row from a statement selecting ROW_COLUMNS. */
static mg_audit_row *
row_from(sqlite3_stmt *st)
{
	mg_audit_row *r = g_new0(mg_audit_row, 1);

	r->seq = sqlite3_column_int64(st, 0);
	r->at = col_dup(st, 1);
	r->uid = sqlite3_column_int64(st, 2);
	char **strs[] = { &r->user, &r->sudo_user, &r->action, &r->id, &r->rcpts,
			  &r->reason, &r->forced, &r->outcome, &r->detail };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		*strs[i] = col_dup(st, (int)i + 3);
	col_hash(st, 12, r->prev);
	col_hash(st, 13, r->hash);
	return r;
}

/* The base: seq and hash of the last pruned row. */
static bool
read_base(sqlite3 *db, gint64 *seq, char hash[65], char **err)
{
	sqlite3_stmt *st = prepare(db, "SELECT seq, hash FROM audit_base WHERE one = 1", err);
	bool ok = false;

	if (!st)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		col_hash(st, 1, hash);
		ok = true;
	} else
		sql_fail(db, err, "the base row is missing");
	sqlite3_finalize(st);
	return ok;
}

bool
mg_audit_head(sqlite3 *db, gint64 *seq, char hash[65], char **err)
{
	sqlite3_stmt *st = prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC "
				   "LIMIT 1", err);

	if (!st)
		return false;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		col_hash(st, 1, hash);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return true;
	return rc == SQLITE_DONE ? read_base(db, seq, hash, err)
				 : sql_fail(db, err, "cannot read the head");
}

/* ---- appending and listing ------------------------------------------------ */

/* Every text field valid UTF-8, so that the exported JSON carries exactly
 * the bytes that were hashed. */
static void
make_valid(mg_audit_row *r)
{
	char **strs[] = { &r->at, &r->user, &r->sudo_user, &r->action, &r->id,
			  &r->rcpts, &r->reason, &r->forced, &r->outcome, &r->detail };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		if (*strs[i] && !g_utf8_validate(*strs[i], -1, NULL)) {
			char *valid = g_utf8_make_valid(*strs[i], -1);
			g_free(*strs[i]);
			*strs[i] = valid;
		}
}

bool
mg_audit_append(sqlite3 *db, mg_audit_row *r, char **err)
{
	gint64 seq = 0;

	make_valid(r);
	if (!mg_audit_head(db, &seq, r->prev, err))
		return false;
	r->seq = seq + 1;
	mg_audit_compute(r, r->prev, r->hash);
	sqlite3_stmt *st = prepare(db, "INSERT INTO audit (" ROW_COLUMNS ") VALUES (?1, ?2,"
				   " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, r->seq);
	bind_text(st, 2, r->at);
	sqlite3_bind_int64(st, 3, r->uid);
	const char *text[] = { r->user, r->sudo_user, r->action, r->id, r->rcpts,
			       r->reason, r->forced, r->outcome, r->detail, r->prev, r->hash };
	for (int i = 0; i < (int)G_N_ELEMENTS(text); i++)
		bind_text(st, i + 4, text[i]);
	bool ok = sqlite3_step(st) == SQLITE_DONE || sql_fail(db, err, "cannot write a row");
	sqlite3_finalize(st);
	return ok;
}

GPtrArray *
mg_audit_select(sqlite3 *db, const mg_audit_filter *f, char **err)
{
	sqlite3_stmt *st = prepare(db, "SELECT " ROW_COLUMNS " FROM audit WHERE"
				   " (?1 IS NULL OR msg_id = ?1) AND (?2 IS NULL OR action = ?2)"
				   " AND (?3 = '' OR at >= ?3) AND (?4 = '' OR at < ?4)"
				   " ORDER BY seq DESC LIMIT ?5", err);
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)mg_audit_row_free);
	int rc;

	if (!st) {
		g_ptr_array_unref(rows);
		return NULL;
	}
	bind_text(st, 1, f ? f->id : NULL);
	bind_text(st, 2, f ? f->action : NULL);
	bind_text(st, 3, f ? f->since : "");
	bind_text(st, 4, f ? f->until : "");
	sqlite3_bind_int64(st, 5, f && f->limit ? (sqlite3_int64)f->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_insert(rows, 0, row_from(st));
	if (rc != SQLITE_DONE) {
		sql_fail(db, err, "cannot list rows");
		g_clear_pointer(&rows, g_ptr_array_unref);
	}
	sqlite3_finalize(st);
	return rows;
}

/* ---- verifying --------------------------------------------------------------- */

typedef struct {
	sqlite3 *db;
	gint64 base_seq;
	char base[65];
	gint64 want_seq;        /* seq the next row should have */
	char want[65];          /* prev the next row should have */
	char *purge_base;       /* "SEQ:HASH" of the last purge row that pruned */
	mg_audit_check *c;
} walk;

static bool
problem(mg_audit_check *c, mg_audit_problem p, gint64 seq, char *message)
{
	c->problem = p;
	c->seq = seq;
	g_free(c->message);
	c->message = message;
	return false;
}

/* The seq of the row whose hash is hash, or 0. */
static gint64
seq_of_hash(sqlite3 *db, const char *hash)
{
	sqlite3_stmt *st = prepare(db, "SELECT seq FROM audit WHERE hash = ?1 LIMIT 1", NULL);
	gint64 seq = 0;

	if (!st)
		return 0;
	bind_text(st, 1, hash);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

/* A row whose prev is not the hash of the row before it. */
static bool
broken_link(walk *w, const mg_audit_row *r)
{
	gint64 other = seq_of_hash(w->db, r->prev);
	bool first = w->want_seq == w->base_seq + 1 && w->c->rows == 0;

	if (other)
		return problem(w->c, MG_AUDIT_REORDERED, r->seq,
			       g_strdup_printf("row %" G_GINT64_FORMAT " is out of order: "
					       "in the chain it follows row %" G_GINT64_FORMAT,
					       r->seq, other));
	if (strcmp(r->prev, w->base) == 0)
		return problem(w->c, MG_AUDIT_REORDERED, r->seq,
			       g_strdup_printf("row %" G_GINT64_FORMAT " is out of order: "
					       "in the chain it is the first row", r->seq));
	if (first)
		return problem(w->c, MG_AUDIT_REMOVED, r->seq,
			       g_strdup_printf("rows before row %" G_GINT64_FORMAT " were "
					       "removed (not by a purge): it does not follow "
					       "the base", r->seq));
	if (r->seq == w->want_seq + 1)
		return problem(w->c, MG_AUDIT_REMOVED, r->seq,
			       g_strdup_printf("row %" G_GINT64_FORMAT " was removed: row %"
					       G_GINT64_FORMAT " does not follow row %"
					       G_GINT64_FORMAT, w->want_seq, r->seq,
					       w->want_seq - 1));
	if (r->seq > w->want_seq)
		return problem(w->c, MG_AUDIT_REMOVED, r->seq,
			       g_strdup_printf("rows %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
					       " were removed: row %" G_GINT64_FORMAT " does "
					       "not follow row %" G_GINT64_FORMAT, w->want_seq,
					       r->seq - 1, r->seq, w->want_seq - 1));
	return problem(w->c, MG_AUDIT_REMOVED, r->seq,
		       g_strdup_printf("a row before row %" G_GINT64_FORMAT " was removed "
				       "or replaced: it follows a row that is not in the log",
				       r->seq));
}

/* Checks one row against the walk so far; false at the first problem. */
static bool
check_row(walk *w, const mg_audit_row *r)
{
	char h[65];

	mg_audit_compute(r, r->prev, h);
	if (strcmp(h, r->hash) != 0)
		return problem(w->c, MG_AUDIT_CHANGED, r->seq,
			       g_strdup_printf("row %" G_GINT64_FORMAT " (%s %s at %s) was "
					       "changed: its contents do not match its hash",
					       r->seq, r->action ? r->action : "?",
					       r->id ? r->id : "-", r->at ? r->at : "?"));
	if (strcmp(r->prev, w->want) != 0)
		return broken_link(w, r);
	if (r->seq != w->want_seq && w->c->rows == 0)
		return problem(w->c, MG_AUDIT_BASE, r->seq,
			       g_strdup_printf("the base (seq %" G_GINT64_FORMAT ") was "
					       "changed: the first row is %" G_GINT64_FORMAT,
					       w->base_seq, r->seq));
	if (r->seq != w->want_seq)
		return problem(w->c, MG_AUDIT_REORDERED, r->seq,
			       g_strdup_printf("row %" G_GINT64_FORMAT " was renumbered: "
					       "it should be row %" G_GINT64_FORMAT,
					       r->seq, w->want_seq));
	const char *b = r->detail && r->action && strcmp(r->action, "purge") == 0
			? strstr(r->detail, "audit_base=") : NULL;
	if (b) {
		g_free(w->purge_base);
		w->purge_base = g_strndup(b + 11, strcspn(b + 11, " "));
	}
	g_strlcpy(w->want, r->hash, sizeof w->want);
	w->want_seq = r->seq + 1;
	w->c->rows++;
	w->c->head_seq = r->seq;
	g_strlcpy(w->c->head, r->hash, sizeof w->c->head);
	return true;
}

static bool
walk_rows(walk *w, char **err)
{
	sqlite3_stmt *st = prepare(w->db, "SELECT " ROW_COLUMNS " FROM audit ORDER BY seq", err);
	int rc;
	bool go = true;

	if (!st)
		return false;
	while (go && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		mg_audit_row *r = row_from(st);
		go = check_row(w, r);
		mg_audit_row_free(r);
	}
	bool ok = !go || rc == SQLITE_DONE || sql_fail(w->db, err, "cannot read rows");
	sqlite3_finalize(st);
	return ok;
}

/* The base must be what the last pruning purge row says, or genesis. */
static void
check_base(walk *w)
{
	char *base = g_strdup_printf("%" G_GINT64_FORMAT ":%s", w->base_seq, w->base);
	bool genesis = w->base_seq == 0 && strcmp(w->base, MG_AUDIT_GENESIS) == 0;

	if (w->purge_base ? strcmp(w->purge_base, base) != 0 : !genesis)
		problem(w->c, MG_AUDIT_BASE, 0,
			g_strdup_printf("the base (%s) was changed: %s", base,
					w->purge_base ? "the last purge recorded another"
						      : "no purge ever pruned the log"));
	g_free(base);
}

static void
check_head(walk *w, const char *head)
{
	gint64 seq = strcmp(head, w->c->head) == 0 ? w->c->head_seq : seq_of_hash(w->db, head);

	if (seq || strcmp(head, w->c->head) == 0) {
		w->c->since_head = w->c->head_seq - seq;
		return;
	}
	problem(w->c, MG_AUDIT_MISSING, 0,
		g_strdup_printf("the head %.16s... is not in the log: rows at its end "
				"were removed, or the log was rewritten (or that head is "
				"older than audit_retention_days)", head));
}

bool
mg_audit_verify(sqlite3 *db, const char *head, mg_audit_check *c, char **err)
{
	walk w = { .db = db, .c = c };

	memset(c, 0, sizeof *c);
	if (!read_base(db, &w.base_seq, w.base, err))
		return false;
	g_strlcpy(w.want, w.base, sizeof w.want);
	g_strlcpy(c->head, w.base, sizeof c->head);
	c->head_seq = w.base_seq;
	w.want_seq = w.base_seq + 1;
	bool ok = walk_rows(&w, err);
	if (ok && c->problem == MG_AUDIT_INTACT)
		check_base(&w);
	if (ok && c->problem == MG_AUDIT_INTACT && head)
		check_head(&w, head);
	g_free(w.purge_base);
	return ok;
}

/* ---- pruning ---------------------------------------------------------------- */

/* The first seq to keep: the first row at or after cutoff (or past the end). */
static bool
keep_from(sqlite3 *db, const char *cutoff, gint64 *from, char **err)
{
	sqlite3_stmt *st = prepare(db, "SELECT coalesce((SELECT min(seq) FROM audit WHERE "
				   "at >= ?1), (SELECT coalesce(max(seq), 0) + 1 FROM audit))",
				   err);

	if (!st)
		return false;
	bind_text(st, 1, cutoff);
	bool ok = sqlite3_step(st) == SQLITE_ROW || sql_fail(db, err, "cannot find old rows");
	if (ok)
		*from = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok;
}

static bool
exec_bound(sqlite3 *db, const char *sql, gint64 seq, const char *hash, char **err)
{
	sqlite3_stmt *st = prepare(db, sql, err);

	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, seq);
	bind_text(st, 2, hash);
	bool ok = sqlite3_step(st) == SQLITE_DONE || sql_fail(db, err, "cannot prune");
	sqlite3_finalize(st);
	return ok;
}

bool
mg_audit_prune(sqlite3 *db, const char *cutoff, gint64 *pruned, char **base, char **err)
{
	gint64 from = 0, last = 0;
	char hash[65] = "";

	*pruned = 0;
	*base = NULL;
	if (!keep_from(db, cutoff, &from, err))
		return false;
	sqlite3_stmt *st = prepare(db, "SELECT seq, hash FROM audit WHERE seq < ?1 "
				   "ORDER BY seq DESC LIMIT 1", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, from);
	if (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		col_hash(st, 1, hash);
	}
	sqlite3_finalize(st);
	if (!last)
		return true;
	if (!exec_bound(db, "DELETE FROM audit WHERE seq <= ?1", last, NULL, err))
		return false;
	*pruned = sqlite3_changes(db);
	if (!exec_bound(db, "UPDATE audit_base SET seq = ?1, hash = ?2 WHERE one = 1",
			last, hash, err))
		return false;
	*base = g_strdup_printf("%" G_GINT64_FORMAT ":%s", last, hash);
	return true;
}
