/*
 * test_audit.c - the audit log and the helpdesk side of the store, on real
 * SQLite files in a fresh temporary directory per test: the canonical form
 * and hash against values computed independently (Python hashlib over
 * the format in audit.h), the chain and its head sent to a syslog socket,
 * every kind of tampering found (changed, removed, reordered, renumbered
 * rows, a changed base, rows missing at the end against a noted head),
 * the triggers that refuse changes, pruning with the base recorded, the
 * upgrade of a schema version 1 index, filters (Japanese, NFKC width),
 * release marking per recipient, delete and purge, and the modes of the
 * files; and release_relay's forms (release.c).
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "conf.h"
#include "quarantine.h"
#include "release.h"

#define DAY 86400
#define GOLDEN_HASH "828649dc0c3718505f39cf689bda14f1e180c2ef4bba08e129972331b685efcb"
#define GOLDEN_NEXT "b9ac480eef173b91ab67673a7cbf5eb1dcebf60a234a682c11858270ccb8488f"

static char *tmpdir;
static mg_config *cfg;
static int logfd = -1;

/* ---- fixtures ------------------------------------------------------------------ */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static char *
tmp_path(const char *rel)
{
	return g_build_filename(tmpdir, rel, NULL);
}

static void
set_path(char **slot, const char *rel)
{
	g_free(*slot);
	*slot = tmp_path(rel);
}

/* A datagram socket standing in for /dev/log. */
static void
open_log_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	g_strlcpy(sa.sun_path, cfg->audit_syslog_socket, sizeof sa.sun_path);
	logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(logfd, 0);
	ck_assert_int_eq(bind(logfd, (struct sockaddr *)&sa, sizeof sa), 0);
}

static void
setup(void)
{
	tmpdir = g_dir_make_tmp("test_audit.XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
	cfg = mg_config_new_defaults();
	set_path(&cfg->quarantine_dir, "spool/quarantine");
	set_path(&cfg->quarantine_db, "lib/quarantine.db");
	set_path(&cfg->audit_syslog_socket, "log.sock");
	g_free(cfg->quarantine_key_file);
	cfg->quarantine_key_file = g_strdup("");
	open_log_socket();
}

static void
teardown(void)
{
	close(logfd);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	mg_config_unref(cfg);
	g_free(tmpdir);
}

static mg_store *
open_store(void)
{
	char *err = NULL;
	mg_store *s = mg_store_open(cfg, &err);

	ck_assert_msg(s != NULL, "mg_store_open: %s", err ? err : "?");
	return s;
}

/* Keeps a small message received age seconds ago; returns its ID. */
static char *
keep(mg_store *s, const char *subject, const char *reasons, time_t age,
     const char *rcpt1, const char *rcpt2)
{
	mg_envelope *e = mg_envelope_new();
	char *err = NULL, *id = mg_store_new_id(time(NULL) - age);
	char *raw = g_strdup_printf("From: a@example.net\r\nSubject: %s\r\n\r\nbody %s\r\n",
				    subject, id);
	char *verdict = g_strdup_printf("{\"version\": 1, \"action\": \"deliver\", \"reasons\": "
					"[%s], \"removed\": [{\"part\": \"2\", \"filename\": "
					"\"資料.pdf\", \"content_type\": \"application/pdf\", "
					"\"size\": 602, \"sha256\": \"ab\", \"why\": "
					"\"attachment\"}]}", reasons);

	e->mail_from = g_strdup("a@example.net");
	g_ptr_array_add(e->rcpts, g_strdup(rcpt1));
	if (rcpt2)
		g_ptr_array_add(e->rcpts, g_strdup(rcpt2));
	e->received = time(NULL) - age;
	char *key = mg_store_retry_key(raw, strlen(raw), e);
	ck_assert_msg(mg_store_keep(s, id, key, raw, strlen(raw), e, verdict, &err),
		      "keep: %s", err ? err : "?");
	g_free(key);
	g_free(raw);
	g_free(verdict);
	mg_envelope_free(e);
	return id;
}

static void
audit(mg_store *s, const char *action, const char *id)
{
	char *err = NULL;
	mg_audit_row *r = mg_audit_row_new(action, id, 0);

	ck_assert_msg(mg_store_audit(s, r, &err), "audit: %s", err ? err : "?");
	mg_audit_row_free(r);
}

static void
sql(const char *text)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, text, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", text,
		      msg ? msg : "?");
	sqlite3_close(db);
}

static bool
sql_fails(const char *text, const char *want)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, text, NULL, NULL, &msg);
	bool failed = rc != SQLITE_OK && msg && strstr(msg, want);
	sqlite3_free(msg);
	sqlite3_close(db);
	return failed;
}

/* Verifies the chain of a freshly opened store. */
static mg_audit_problem
verify(const char *head, gint64 *seq, char **message)
{
	mg_store *s = open_store();
	mg_audit_check c;
	char *err = NULL;

	ck_assert_msg(mg_store_audit_verify(s, head, &c, &err), "verify: %s", err ? err : "?");
	if (seq)
		*seq = c.seq;
	if (message)
		*message = g_strdup(c.message ? c.message : "");
	mg_audit_problem p = c.problem;
	mg_audit_check_clear(&c);
	mg_store_close(s);
	return p;
}

/* Six rows: five shows and a read. */
static void
six_rows(void)
{
	mg_store *s = open_store();
	char *id = keep(s, "x", "\"attachment\"", 0, "u@example.lg.jp", NULL);

	for (int i = 0; i < 5; i++)
		audit(s, "show", id);
	audit(s, "read", id);
	g_free(id);
	mg_store_close(s);
}

/* ---- the canonical form ------------------------------------------------------------ */

static mg_audit_row *
golden_row(void)
{
	mg_audit_row *r = g_new0(mg_audit_row, 1);

	r->at = g_strdup("2026-01-01T00:00:00Z");
	r->uid = 1000;
	r->user = g_strdup("mugaika");
	r->sudo_user = g_strdup("tanaka");
	r->action = g_strdup("release");
	r->id = g_strdup("20260101T000000Z-ABCDEFGH");
	r->rcpts = g_strdup("a@example.lg.jp\nb@example.lg.jp");
	r->reason = g_strdup("利用者の依頼");
	r->outcome = g_strdup("ok");
	r->detail = g_strdup("");
	return r;
}

START_TEST(canonical_form_and_hash)
{
	mg_audit_row *r = golden_row();
	size_t len = 0;
	char *canon = mg_audit_canonical(r, &len), h[65], h2[65];

	ck_assert_str_eq(canon, "mugaika-audit 1\nat 20\n2026-01-01T00:00:00Z\nuid 4\n1000\n"
			 "user 7\nmugaika\nsudo_user 6\ntanaka\naction 7\nrelease\nid 25\n"
			 "20260101T000000Z-ABCDEFGH\nrcpts 31\na@example.lg.jp\nb@example.lg.jp\n"
			 "reason 18\n利用者の依頼\nforced -\noutcome 2\nok\ndetail 0\n\n");
	ck_assert_uint_eq(len, strlen(canon));
	mg_audit_compute(r, MG_AUDIT_GENESIS, h);
	ck_assert_str_eq(h, GOLDEN_HASH);
	g_clear_pointer(&r->detail, g_free);	/* absent is not empty */
	mg_audit_compute(r, h, h2);
	ck_assert_str_eq(h2, GOLDEN_NEXT);
	g_free(canon);
	mg_audit_row_free(r);
}
END_TEST

START_TEST(head_parsing)
{
	char out[65];

	ck_assert(mg_audit_parse_head(GOLDEN_HASH, out));
	ck_assert_str_eq(out, GOLDEN_HASH);
	ck_assert(mg_audit_parse_head("Nov 22 03:04:05 host mugaika[42]: audit: seq=7 hash="
				      "828649DC0C3718505F39CF689BDA14F1E180C2EF4BBA08E129972331"
				      "B685EFCB action=show id=- outcome=ok operator=root", out));
	ck_assert_str_eq(out, GOLDEN_HASH);
	ck_assert(!mg_audit_parse_head("828649dc", out));
	ck_assert(!mg_audit_parse_head(GOLDEN_HASH "0", out));
	ck_assert(!mg_audit_parse_head(NULL, out));
}
END_TEST

/* ---- the chain ---------------------------------------------------------------------- */

START_TEST(chain_written_and_announced)
{
	char buf[1024];
	gint64 seq = -1;

	six_rows();
	ck_assert_int_eq(verify(NULL, &seq, NULL), MG_AUDIT_INTACT);
	mg_store *s = open_store();
	mg_store_stats st;
	ck_assert(mg_store_get_stats(s, &st, NULL));
	ck_assert_int_eq(st.audit_rows, 6);
	ck_assert_int_eq(st.audit_head_seq, 6);
	int n = 0;
	ssize_t got;
	char last[1024] = "";
	while ((got = recv(logfd, buf, sizeof buf - 1, 0)) > 0) {
		buf[got] = '\0';
		g_strlcpy(last, buf, sizeof last);
		n++;
	}
	ck_assert_int_eq(n, 6);
	ck_assert_ptr_nonnull(strstr(last, "<85>"));	/* authpriv.notice */
	char *want = g_strdup_printf("audit: seq=6 hash=%s action=read", st.audit_head);
	ck_assert_msg(strstr(last, want), "syslog line: %s", last);
	ck_assert_int_eq(verify(st.audit_head, NULL, NULL), MG_AUDIT_INTACT);
	g_free(want);
	mg_store_stats_clear(&st);
	mg_store_close(s);
}
END_TEST

START_TEST(changed_row_found)
{
	gint64 seq = 0;
	char *msg = NULL;

	six_rows();
	ck_assert(sql_fails("UPDATE audit SET reason = 'x' WHERE seq = 3", "never changed"));
	sql("DROP TRIGGER audit_rows_never_change; UPDATE audit SET reason = 'x' WHERE seq = 3");
	ck_assert_int_eq(verify(NULL, &seq, &msg), MG_AUDIT_CHANGED);
	ck_assert_int_eq(seq, 3);
	ck_assert_ptr_nonnull(strstr(msg, "row 3"));
	g_free(msg);
}
END_TEST

START_TEST(changed_hash_found)
{
	gint64 seq = 0;

	six_rows();
	sql("DROP TRIGGER audit_rows_never_change; UPDATE audit SET hash = "
	    "'" GOLDEN_HASH "' WHERE seq = 4");
	ck_assert_int_eq(verify(NULL, &seq, NULL), MG_AUDIT_CHANGED);
	ck_assert_int_eq(seq, 4);
}
END_TEST

START_TEST(removed_rows_found)
{
	gint64 seq = 0;
	char *msg = NULL;

	six_rows();
	ck_assert(sql_fails("DELETE FROM audit WHERE seq = 3", "365 days"));
	sql("DROP TRIGGER audit_rows_kept; DELETE FROM audit WHERE seq = 3");
	ck_assert_int_eq(verify(NULL, &seq, &msg), MG_AUDIT_REMOVED);
	ck_assert_int_eq(seq, 4);
	ck_assert_msg(strstr(msg, "row 3 was removed"), "%s", msg);
	g_free(msg);
	sql("DELETE FROM audit WHERE seq = 1");	/* at the front, without a purge */
	ck_assert_int_eq(verify(NULL, &seq, &msg), MG_AUDIT_REMOVED);
	ck_assert_int_eq(seq, 2);
	g_free(msg);
}
END_TEST

START_TEST(reordered_rows_found)
{
	gint64 seq = 0;
	char *msg = NULL;

	six_rows();
	sql("DROP TRIGGER audit_rows_never_change;"
	    "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;"
	    "UPDATE audit SET seq = 4 WHERE seq = -1");
	ck_assert_int_eq(verify(NULL, &seq, &msg), MG_AUDIT_REORDERED);
	ck_assert_int_eq(seq, 3);
	ck_assert_msg(strstr(msg, "follows row 4"), "%s", msg);
	g_free(msg);
}
END_TEST

START_TEST(renumbered_rows_found)
{
	gint64 seq = 0;

	six_rows();
	sql("DROP TRIGGER audit_rows_never_change; UPDATE audit SET seq = seq + 10 WHERE seq >= 5");
	ck_assert_int_eq(verify(NULL, &seq, NULL), MG_AUDIT_REORDERED);
	ck_assert_int_eq(seq, 15);
}
END_TEST

START_TEST(truncation_found_against_head)
{
	mg_store *s;
	mg_store_stats st;
	char head[65];
	char *msg = NULL;

	six_rows();
	s = open_store();
	ck_assert(mg_store_get_stats(s, &st, NULL));
	g_strlcpy(head, st.audit_head, sizeof head);
	mg_store_stats_clear(&st);
	mg_store_close(s);
	sql("DROP TRIGGER audit_rows_kept; DELETE FROM audit WHERE seq >= 5");
	ck_assert_int_eq(verify(NULL, NULL, NULL), MG_AUDIT_INTACT);	/* alone it cannot tell */
	ck_assert_int_eq(verify(head, NULL, &msg), MG_AUDIT_MISSING);
	ck_assert_ptr_nonnull(strstr(msg, "not in the log"));
	g_free(msg);
	sql("DELETE FROM audit");	/* the whole log */
	ck_assert_int_eq(verify(head, NULL, NULL), MG_AUDIT_MISSING);
}
END_TEST

START_TEST(changed_base_found)
{
	six_rows();
	sql("DROP TRIGGER audit_rows_kept; DELETE FROM audit WHERE seq <= 2;"
	    "UPDATE audit_base SET seq = 2, hash = (SELECT prev FROM audit WHERE seq = 3)");
	ck_assert_int_eq(verify(NULL, NULL, NULL), MG_AUDIT_BASE);
}
END_TEST

/* ---- pruning and purge ----------------------------------------------------------------- */

/* n audit rows dated days ago, at the front of the chain. */
static void
old_rows(int days, int n)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	mg_store_close(open_store());
	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		mg_audit_row *r = mg_audit_row_new("show", NULL, time(NULL) - days * DAY + i);
		ck_assert_msg(mg_audit_append(db, r, &err), "%s", err ? err : "?");
		mg_audit_row_free(r);
	}
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(purge_keeps_what_it_must)
{
	mg_purge_result res;
	char *err = NULL;

	old_rows(500, 3);
	mg_store *s = open_store();
	char *fresh = keep(s, "fresh", "", 60, "u@example.lg.jp", NULL);
	char *old = keep(s, "old", "", 100 * DAY, "u@example.lg.jp", NULL);
	char *ancient = keep(s, "ancient", "", 500 * DAY, "u@example.lg.jp", NULL);
	audit(s, "show", fresh);
	mg_purge_opts o = { time(NULL), 90, 400, true };
	mg_audit_row *r = mg_audit_row_new("purge", NULL, 0);
	ck_assert(mg_store_purge(s, &o, &res, r, &err));	/* dry run */
	ck_assert_uint_eq(res.originals->len, 2);
	mg_purge_result_clear(&res);
	o.dry_run = false;
	ck_assert_msg(mg_store_purge(s, &o, &res, r, &err), "purge: %s", err ? err : "?");
	ck_assert_uint_eq(res.originals->len, 2);
	ck_assert_uint_eq(res.rows, 1);		/* the ancient one's index row */
	ck_assert_int_eq(res.audit_rows, 3);
	ck_assert_msg(strstr(r->detail, "audit_base=3:"), "%s", r->detail);
	mg_kept_detail *d = mg_store_detail(s, old, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->kept->status, "deleted");
	ck_assert_str_eq(d->status_by, "purge");
	mg_kept_detail_free(d);
	ck_assert_ptr_null(mg_store_detail(s, ancient, &err));
	g_clear_pointer(&err, g_free);
	ck_assert_ptr_nonnull(d = mg_store_detail(s, fresh, &err));
	ck_assert_str_eq(d->kept->status, "held");
	mg_kept_detail_free(d);
	mg_store_close(s);
	ck_assert_int_eq(verify(NULL, NULL, NULL), MG_AUDIT_INTACT);
	ck_assert(sql_fails("DELETE FROM messages", "365 days"));
	mg_purge_result_clear(&res);
	mg_audit_row_free(r);
	g_free(fresh);
	g_free(old);
	g_free(ancient);
}
END_TEST

/* ---- the upgrade ------------------------------------------------------------------------ */

START_TEST(version_1_upgraded)
{
	char *err = NULL;
	char *dir = g_path_get_dirname(cfg->quarantine_db);

	ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
	ck_assert_int_eq(g_mkdir_with_parents(cfg->quarantine_dir, 0700), 0);
	int fd = open(cfg->quarantine_db, O_CREAT | O_WRONLY, 0600);
	close(fd);
	sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL);"
	    "INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00Z');"
	    "CREATE TABLE messages (id TEXT PRIMARY KEY, received TEXT NOT NULL, queue_id TEXT,"
	    " mail_from TEXT NOT NULL, client_addr TEXT, client_name TEXT, helo TEXT,"
	    " auth_name TEXT, subject TEXT, from_hdr TEXT, size INTEGER NOT NULL,"
	    " sha256 TEXT NOT NULL, retry_key TEXT NOT NULL, verdict TEXT, reasons TEXT NOT"
	    " NULL DEFAULT '', action TEXT, spool TEXT NOT NULL, key_id TEXT, status TEXT NOT"
	    " NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'deleted')),"
	    " status_at TEXT, status_by TEXT);"
	    "CREATE TABLE recipients (id TEXT NOT NULL REFERENCES messages (id) ON DELETE"
	    " CASCADE, seq INTEGER NOT NULL, rcpt TEXT NOT NULL, released_at TEXT,"
	    " released_by TEXT, PRIMARY KEY (id, seq));"
	    "CREATE TABLE failures (retry_key TEXT PRIMARY KEY, count INTEGER NOT NULL,"
	    " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
	    "INSERT INTO messages (id, received, mail_from, size, sha256, retry_key, spool,"
	    " subject) VALUES ('20260101T000000Z-AAAAAAAA', '2026-01-01T00:00:00Z', 'a@b', 1,"
	    " 'x', 'k', '20260101/20260101T000000Z-AAAAAAAA', 'v1 row');"
	    "INSERT INTO recipients VALUES ('20260101T000000Z-AAAAAAAA', 1, 'u@x', NULL, NULL)");
	mg_store *s = mg_store_open_readonly(cfg, &err);
	ck_assert_msg(s != NULL, "%s", err ? err : "?");
	ck_assert_int_eq(mg_store_schema(s), 1);
	GPtrArray *all = mg_store_list(s, 0, &err);
	ck_assert_uint_eq(all->len, 1);
	g_ptr_array_unref(all);
	ck_assert_ptr_null(mg_store_audit_rows(s, NULL, &err));
	ck_assert_msg(strstr(err, "without an audit log"), "%s", err);
	g_clear_pointer(&err, g_free);
	mg_store_close(s);
	s = open_store();
	ck_assert_int_eq(mg_store_schema(s), MG_STORE_SCHEMA_VERSION);
	mg_kept_detail *d = mg_store_detail(s, "20260101T000000Z-AAAAAAAA", &err);
	ck_assert_str_eq(d->kept->subject, "v1 row");
	mg_kept_detail_free(d);
	audit(s, "show", "20260101T000000Z-AAAAAAAA");
	mg_store_close(s);
	ck_assert_int_eq(verify(NULL, NULL, NULL), MG_AUDIT_INTACT);
	g_free(dir);
}
END_TEST

/* ---- finding, releasing, deleting ----------------------------------------------------------- */

static guint
found(mg_store *s, mg_store_filter f)
{
	char *err = NULL;
	GPtrArray *a = mg_store_find(s, &f, &err);

	ck_assert_msg(a != NULL, "find: %s", err ? err : "?");
	guint n = a->len;
	g_ptr_array_unref(a);
	return n;
}

START_TEST(filters)
{
	mg_store *s = open_store();
	time_t now = time(NULL);
	char *ids[3] = {
		keep(s, "令和7年度 予算要求", "\"attachment\"", 3600, "a@example.lg.jp", NULL),
		keep(s, "ｶﾀｶﾅの件名 Report", "\"html_converted\"", 3 * DAY, "b@example.lg.jp",
		     "c@example.lg.jp"),
		keep(s, "old", "\"attachment\",\"links\"", 10 * DAY, "c@example.lg.jp", NULL),
	};

	ck_assert_uint_eq(found(s, (mg_store_filter){ 0 }), 3);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .since = now - DAY }), 1);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .since = now - 7 * DAY }), 2);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .until = now - 7 * DAY }), 1);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .subject = "予算" }), 1);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .subject = "カタカナ" }), 1);	/* NFKC */
	ck_assert_uint_eq(found(s, (mg_store_filter){ .subject = "REPORT" }), 1);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .to = "C@EXAMPLE" }), 2);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .from = "a@example.net" }), 3);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .reason = "attachment" }), 2);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .reason = "attach" }), 0);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .status = "released" }), 0);
	ck_assert_uint_eq(found(s, (mg_store_filter){ .limit = 2 }), 2);
	for (int i = 0; i < 3; i++)
		g_free(ids[i]);
	mg_store_close(s);
}
END_TEST

START_TEST(released_per_recipient)
{
	mg_store *s = open_store();
	char *id = keep(s, "x", "", 60, "a@example.lg.jp", "b@example.lg.jp"), *err = NULL;
	char *one[] = { "a@example.lg.jp" }, *two[] = { "b@example.lg.jp" };
	mg_audit_row *r = mg_audit_row_new("release", id, 0);

	ck_assert(mg_store_mark_released(s, id, one, 1, r, &err));
	mg_kept_detail *d = mg_store_detail(s, id, &err);
	ck_assert_str_eq(d->kept->status, "held");
	ck_assert_ptr_nonnull(g_ptr_array_index(d->released_at, 0));
	ck_assert_ptr_null(g_ptr_array_index(d->released_at, 1));
	ck_assert_uint_eq(d->removed->len, 1);
	ck_assert_str_eq(((mg_removed_part *)g_ptr_array_index(d->removed, 0))->filename,
			 "資料.pdf");
	mg_kept_detail_free(d);
	ck_assert(mg_store_mark_released(s, id, two, 1, r, &err));
	d = mg_store_detail(s, id, &err);
	ck_assert_str_eq(d->kept->status, "released");
	ck_assert_ptr_nonnull(d->status_by);
	mg_kept_detail_free(d);
	mg_audit_row_free(r);
	g_free(id);
	mg_store_close(s);
}
END_TEST

START_TEST(delete_and_modes)
{
	mg_store *s = open_store();
	char *id = keep(s, "x", "", 60, "a@example.lg.jp", NULL), *err = NULL;
	mg_audit_row *r = mg_audit_row_new("delete", id, 0);
	char *raw = NULL;
	size_t len = 0;

	ck_assert(mg_store_delete(s, id, r, &err));
	ck_assert(!mg_store_read(s, id, &raw, &len, NULL, &err));
	g_clear_pointer(&err, g_free);
	ck_assert(!mg_store_delete(s, id, r, &err));
	ck_assert_ptr_nonnull(strstr(err, "already deleted"));
	g_clear_pointer(&err, g_free);
	char *files[] = { "lib/quarantine.db", "lib/quarantine.db-wal", "lib/quarantine.db-shm" };
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *p = tmp_path(files[i]);
		struct stat st;
		ck_assert_msg(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "%s", p);
		g_free(p);
	}
	mg_audit_row_free(r);
	g_free(id);
	mg_store_close(s);
}
END_TEST

/* ---- release_relay ----------------------------------------------------------------------- */

START_TEST(relay_forms)
{
	static const struct {
		const char *relay, *host, *port;
	} good[] = {
		{ "127.0.0.1:10026", "127.0.0.1", "10026" },
		{ "[::1]:10026", "::1", "10026" },
		{ "[2001:db8::25]:25", "2001:db8::25", "25" },
		{ "relay.example.lg.jp:587", "relay.example.lg.jp", "587" },
	};
	static const char *const bad[] = { "::1:25", "relay", "relay:", "relay:0",
					   "relay:65536", "[::1]", "[::1]25", ":25",
					   "[]:25", "relay:25x", "" };
	char *host = NULL, *port = NULL, *err = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		ck_assert_msg(mg_release_parse_relay(good[i].relay, &host, &port, &err),
			      "%s: %s", good[i].relay, err ? err : "?");
		ck_assert_str_eq(host, good[i].host);
		ck_assert_str_eq(port, good[i].port);
		g_clear_pointer(&host, g_free);
		g_clear_pointer(&port, g_free);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_msg(!mg_release_parse_relay(bad[i], &host, &port, &err), "%s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "release_relay"));
		g_clear_pointer(&err, g_free);
	}
}
END_TEST

START_TEST(relay_unreachable_is_temporary)
{
	char *rcpts[] = { "a@example.lg.jp", "b@example.lg.jp" };
	guint d, t, p;
	mg_release_result *r = mg_release_send("127.0.0.1:1", 5, "test", "s@example.net",
					       rcpts, 2, "x\r\n", 3);

	ck_assert_ptr_nonnull(r->error);
	ck_assert(r->temporary);
	mg_release_tally(r, &d, &t, &p);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(t, 2);
	ck_assert_uint_eq(p, 0);
	mg_release_result_free(r);
}
END_TEST

/* ---- main ---------------------------------------------------------------------------- */

static Suite *
suite(void)
{
	Suite *s = suite_create("audit");
	TCase *chain = tcase_create("chain"), *store = tcase_create("store");

	tcase_add_checked_fixture(chain, setup, teardown);
	tcase_add_test(chain, canonical_form_and_hash);
	tcase_add_test(chain, head_parsing);
	tcase_add_test(chain, chain_written_and_announced);
	tcase_add_test(chain, changed_row_found);
	tcase_add_test(chain, changed_hash_found);
	tcase_add_test(chain, removed_rows_found);
	tcase_add_test(chain, reordered_rows_found);
	tcase_add_test(chain, renumbered_rows_found);
	tcase_add_test(chain, truncation_found_against_head);
	tcase_add_test(chain, changed_base_found);
	suite_add_tcase(s, chain);
	tcase_add_checked_fixture(store, setup, teardown);
	tcase_add_test(store, purge_keeps_what_it_must);
	tcase_add_test(store, version_1_upgraded);
	tcase_add_test(store, filters);
	tcase_add_test(store, released_per_recipient);
	tcase_add_test(store, delete_and_modes);
	tcase_add_test(store, relay_forms);
	tcase_add_test(store, relay_unreachable_is_temporary);
	suite_add_tcase(s, store);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
