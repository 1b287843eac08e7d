/*
 * test_quarantine.c - the quarantine's write side and mugaika list, on real
 * SQLite files and spools in a fresh temporary directory per test: kept
 * originals read back byte for byte, modes 0700/0600 of everything
 * created, the ID form (10,000 IDs unique and time-sortable), retries
 * recognised and kept once, encryption at rest with key rotation, a
 * read-only spool and a locked index failing cleanly, poison_limit
 * counting, the schema version, and the text and JSON listings (Japanese
 * subjects included).  The keeper (group commit): many threads keeping at
 * once are all indexed, each answer only after its own commit; a batch
 * is one transaction; a row that fails in a batch fails alone, a commit
 * that fails fails the whole batch, and nothing failed leaves a file.
 *
 * "test_quarantine --bench [N]" instead times mg_store_keep (fsync
 * included) for 4 KB and 300 KB messages, plain and encrypted, in $TMPDIR.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/capability.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "keeper.h"
#include "qmeta.h"
#include "quarantine.h"
#include "verdict.h"

#define T0 ((time_t)1767225600)	/* 2026-01-01T00:00:00Z */
#define KEY1 "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define KEY2 "k2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n"
/* "テスト" in ISO-2022-JP, B-encoded */
#define SUBJECT_JIS "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="

static char *tmpdir;
static mg_config *cfg;

/* ---- fixtures and helpers ------------------------------------------------ */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
chmod_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DP || flag == FTW_DNR)
		chmod(path, 0700);
	(void)st;
	return 0;
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
	*slot = rel ? tmp_path(rel) : g_strdup("");
}

/* Without CAP_DAC_OVERRIDE even root meets file modes.  Only the
 * effective set changes, so set_dac_override(true) (in teardown) restores
 * it when the tests run without fork. */
static void
set_dac_override(bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	const unsigned bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

	if (geteuid() != 0 || syscall(SYS_capget, &h, d) != 0)
		return;
	d[0].effective = on ? d[0].effective | (d[0].permitted & bits)
			    : d[0].effective & ~bits;
	syscall(SYS_capset, &h, d);
}

static void
setup(void)
{
	tmpdir = g_dir_make_tmp("test_quarantine.XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
	cfg = mg_config_new_defaults();
	set_path(&cfg->quarantine_dir, "spool/quarantine");
	set_path(&cfg->quarantine_db, "lib/quarantine.db");
	set_path(&cfg->quarantine_key_file, NULL);
}

static void
teardown(void)
{
	set_dac_override(true);
	nftw(tmpdir, chmod_entry, 16, FTW_PHYS);
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

static mg_envelope *
envelope(const char *from, const char *rcpt1, const char *rcpt2, time_t when)
{
	mg_envelope *e = mg_envelope_new();

	e->mail_from = g_strdup(from);
	g_ptr_array_add(e->rcpts, g_strdup(rcpt1));
	if (rcpt2)
		g_ptr_array_add(e->rcpts, g_strdup(rcpt2));
	e->client_addr = g_strdup("192.0.2.1");
	e->client_name = g_strdup("mx.example.net");
	e->helo = g_strdup("mx.example.net");
	e->queue_id = g_strdup("4Q1x2y3z");
	e->received = when;
	return e;
}

/* A message with our MTA's Received field (queue id qid) on top. */
static char *
message(const char *qid, const char *subject, const char *body, size_t *len)
{
	char *m = g_strdup_printf(
		"Received: from mx.example.net (mx.example.net [192.0.2.1])\n"
		"\tby gw.example.lg.jp (Postfix) with ESMTP id %s\n"
		"Received: from client (client [198.51.100.7]) by mx.example.net\n"
		"From: Sender <sender@example.net>\n"
		"To: user@example.lg.jp\n"
		"Subject: %s\n"
		"Message-ID: <1@example.net>\n"
		"\n%s", qid, subject, body);
	*len = strlen(m);
	return m;
}

static char *
verdict_json(const char *subject, guint32 reasons, mg_action action)
{
	mg_verdict *v = mg_verdict_new(NULL, T0);

	v->reasons = reasons;
	v->action = action;
	v->keep_original = true;
	v->subject = g_strdup(subject);
	v->from = g_strdup("Sender <sender@example.net>");
	char *json = mg_verdict_to_json(v);
	mg_verdict_free(v);
	return json;
}

/* Keeps raw under a new ID for env; returns the ID. */
static char *
keep(mg_store *s, const char *raw, size_t len, const mg_envelope *env,
     const char *verdict)
{
	char *err = NULL, *key = mg_store_retry_key(raw, len, env);
	char *id = mg_store_new_id(env->received);

	ck_assert_msg(mg_store_keep(s, id, key, raw, len, env, verdict, &err),
		      "mg_store_keep: %s", err ? err : "?");
	g_free(key);
	return id;
}

static char *
spool_file(const char *id)
{
	char *day = g_strndup(id, 8);
	char *path = g_build_filename(cfg->quarantine_dir, day, id, NULL);

	g_free(day);
	return path;
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "%s missing", path);
	return st.st_mode & 07777;
}

/* Entries of a directory (0 when it does not exist). */
static unsigned
entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	unsigned n = 0;

	while (d && g_dir_read_name(d))
		n++;
	if (d)
		g_dir_close(d);
	return n;
}

static GPtrArray *
list_all(mg_store *s)
{
	char *err = NULL;
	GPtrArray *a = mg_store_list(s, 0, &err);

	ck_assert_msg(a != NULL, "mg_store_list: %s", err ? err : "?");
	return a;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	ck_assert(g_file_set_contents(path, text, -1, NULL));
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* ---- keeping and reading back -------------------------------------------- */

START_TEST(keep_and_read_back)
{
	mg_store *s = open_store();
	static const char raw[] = "Received: x\nSubject: bin\n\r\nline\r\n\0nul \x80\xff\xfe end";
	size_t len = sizeof raw - 1;
	mg_envelope *env = envelope("sender@example.net", "a@example.lg.jp",
				    "b@example.lg.jp", T0);
	char *verdict = verdict_json("bin", MG_R_ATTACHMENT, MG_ACTION_DELIVER);
	char *id = keep(s, raw, len, env, verdict), *back = NULL, *meta = NULL, *err = NULL;
	size_t n = 0;

	ck_assert(mg_store_read(s, id, &back, &n, &meta, &err));
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(back, raw, len) == 0);
	ck_assert_ptr_nonnull(strstr(meta, "\"rcpts\": [\"a@example.lg.jp\", \"b@example.lg.jp\"]"));
	ck_assert_ptr_nonnull(strstr(meta, "\"verdict\": {"));
	/* unencrypted, the original is the file's last len bytes */
	char *file = spool_file(id), *text = NULL;
	gsize flen = 0;
	ck_assert(g_file_get_contents(file, &text, &flen, NULL));
	ck_assert(g_str_has_prefix(text, "MUGAIKA-ORIGINAL 1\nid: "));
	ck_assert(memcmp(text + flen - len, raw, len) == 0);

	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 1);
	mg_kept *k = g_ptr_array_index(a, 0);
	ck_assert_str_eq(k->id, id);
	ck_assert_int_eq(k->received, T0);
	ck_assert_str_eq(k->mail_from, "sender@example.net");
	ck_assert_uint_eq(k->rcpts->len, 2);
	ck_assert_str_eq(g_ptr_array_index(k->rcpts, 1), "b@example.lg.jp");
	ck_assert_str_eq(k->subject, "bin");
	ck_assert_str_eq(k->reasons, "attachment");
	ck_assert_str_eq(k->action, "deliver");
	ck_assert_str_eq(k->status, "held");
	ck_assert_uint_eq(k->size, len);
	ck_assert_uint_eq(strlen(k->sha256), 64);
	ck_assert_ptr_null(k->key_id);
	ck_assert_str_eq(k->helo, "mx.example.net");

	ck_assert(!mg_store_read(s, "20260101T000000Z-AAAAAAAA", &back, &n, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err, "no original is kept"));
	g_free(err);
	g_ptr_array_unref(a);
	g_free(text);
	g_free(file);
	g_free(back);
	g_free(meta);
	g_free(id);
	g_free(verdict);
	mg_envelope_free(env);
	mg_store_close(s);
}
END_TEST

START_TEST(modes_of_everything_created)
{
	mg_store *s = open_store();
	size_t len;
	char *raw = message("Q1", "modes", "body\n", &len);
	mg_envelope *env = envelope("", "a@example.lg.jp", NULL, T0);
	char *id = keep(s, raw, len, env, NULL);
	char *spool_parent = tmp_path("spool"), *lib = tmp_path("lib");
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	char *file = spool_file(id);
	char *wal = g_strconcat(cfg->quarantine_db, "-wal", NULL);
	char *shm = g_strconcat(cfg->quarantine_db, "-shm", NULL);

	ck_assert_uint_eq(mode_of(spool_parent), 0700);
	ck_assert_uint_eq(mode_of(cfg->quarantine_dir), 0700);
	ck_assert_uint_eq(mode_of(day), 0700);
	ck_assert_uint_eq(mode_of(file), 0600);
	ck_assert_uint_eq(mode_of(lib), 0700);
	ck_assert_uint_eq(mode_of(cfg->quarantine_db), 0600);
	ck_assert_uint_eq(mode_of(wal), 0600);
	ck_assert_uint_eq(mode_of(shm), 0600);
	ck_assert_uint_eq(entries(day), 1);	/* no temp file left */
	mg_store_close(s);

	/* an existing spool or index open to others is refused */
	char *err = NULL;
	ck_assert_int_eq(chmod(cfg->quarantine_dir, 0755), 0);
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "chmod 0700"));
	g_free(err);
	ck_assert_int_eq(chmod(cfg->quarantine_dir, 0700), 0);
	ck_assert_int_eq(chmod(cfg->quarantine_db, 0644), 0);
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "chmod 0600"));
	g_free(err);

	g_free(wal);
	g_free(shm);
	g_free(file);
	g_free(day);
	g_free(lib);
	g_free(spool_parent);
	g_free(id);
	g_free(raw);
	mg_envelope_free(env);
}
END_TEST

/* ---- IDs ----------------------------------------------------------------- */

START_TEST(ids_unique_sortable_safe)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *prev = NULL;

	for (int i = 0; i < 10000; i++) {
		time_t t = T0 + i / 4;	/* four IDs in each second */
		char *id = mg_store_new_id(t);
		ck_assert_msg(mg_store_id_valid(id), "bad ID %s", id);
		ck_assert_uint_eq(strlen(id), 25);
		ck_assert(!g_hash_table_contains(seen, id));
		if (prev && i % 4 == 0)
			ck_assert_msg(strcmp(prev, id) < 0, "%s !< %s", prev, id);
		g_hash_table_add(seen, id);
		prev = id;
	}
	ck_assert_uint_eq(g_hash_table_size(seen), 10000);
	char *id = mg_store_new_id(T0);
	ck_assert(g_str_has_prefix(id, "20260101T000000Z-"));
	g_free(id);
	id = mg_store_new_id((time_t)-5);
	ck_assert(mg_store_id_valid(id));
	g_free(id);

	static const char *const bad[] = {
		"", "../../etc/passwd", "20260101T000000Z-ABCDEFG", "20260101T000000Z-ABCDEFGHI",
		"20260101T000000Z-abcdefgh", "20260101T000000Z-ABCDEFG1",
		"20260101T000000Z_ABCDEFGH", "2026010XT000000Z-ABCDEFGH",
		"20260101T000000Z-ABCD/FGH", ".0260101T000000Z-ABCDEFGH",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_msg(!mg_store_id_valid(bad[i]), "accepted %s", bad[i]);
	ck_assert(!mg_store_id_valid(NULL));
	ck_assert(mg_store_id_valid("20260101T000000Z-ABCDEF27"));
	g_hash_table_destroy(seen);
}
END_TEST

/* ---- retries ------------------------------------------------------------- */

START_TEST(retry_key_rules)
{
	size_t l1, l2, l3;
	char *m1 = message("QID1", "s", "body\n", &l1);
	char *m2 = message("QID1", "s", "body\n", &l2);	/* a retry: the same bytes */
	char *m3 = message("QID1", "s", "body!\n", &l3);
	mg_envelope *e = envelope("s@example.net", "a@x.jp", "b@x.jp", T0);
	mg_envelope *swapped = envelope("s@example.net", "b@x.jp", "a@x.jp", T0);
	mg_envelope *other = envelope("t@example.net", "a@x.jp", "b@x.jp", T0 + 60);
	char *k1 = mg_store_retry_key(m1, l1, e), *k2 = mg_store_retry_key(m2, l2, e);
	char *k3 = mg_store_retry_key(m3, l3, e), *k4 = mg_store_retry_key(m1, l1, swapped);
	char *k5 = mg_store_retry_key(m1, l1, other), *k6 = mg_store_retry_key(m1, l1, NULL);
	/* every header counts, the topmost Received too */
	char *m4 = g_strdup(m1);
	*strstr(m4, "QID1") = 'X';
	char *k7 = mg_store_retry_key(m4, l1, e);

	ck_assert_uint_eq(strlen(k1), 67);
	ck_assert(g_str_has_prefix(k1, "v3-"));
	ck_assert_str_eq(k1, k2);
	ck_assert_str_ne(k1, k3);
	ck_assert_str_ne(k1, k4);
	ck_assert_str_ne(k1, k5);
	ck_assert_str_ne(k1, k6);
	ck_assert_str_ne(k1, k7);
	char *k8 = mg_store_retry_key("", 0, NULL);
	ck_assert_uint_eq(strlen(k8), 67);
	/* one hash pass gives the key and the message's own SHA-256 */
	char sha[65], direct[65];
	char *k9 = mg_store_retry_key_sha(m1, l1, e, sha);
	mg_qmeta_sha256_hex(m1, l1, direct);
	ck_assert_str_eq(k9, k1);
	ck_assert_str_eq(sha, direct);
	g_free(k9);

	char *keys[] = { k1, k2, k3, k4, k5, k6, k7, k8, m1, m2, m3, m4 };
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		g_free(keys[i]);
	mg_envelope_free(e);
	mg_envelope_free(swapped);
	mg_envelope_free(other);
}
END_TEST

START_TEST(retry_recognised_and_kept_once)
{
	mg_store *s = open_store();
	size_t l1, l2;
	char *m1 = message("QID1", "retry", "body\r\n", &l1);
	char *m2 = message("QID1", "retry", "body\r\n", &l2);   /* the retry: same bytes */
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, T0);
	char *key = mg_store_retry_key(m1, l1, env), *err = NULL;

	ck_assert_ptr_null(mg_store_find_retry(s, key));
	char *id = keep(s, m1, l1, env, NULL);
	/* the client retries: the milter finds the ID and keeps "again" */
	char *key2 = mg_store_retry_key(m2, l2, env);
	char *found = mg_store_find_retry(s, key2);
	ck_assert_str_eq(found, id);
	ck_assert(mg_store_keep(s, found, key2, m2, l2, env, NULL, &err));
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 1);
	g_ptr_array_unref(a);
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	ck_assert_uint_eq(entries(day), 1);

	/* the same ID for other content is refused */
	ck_assert(!mg_store_keep(s, id, "other-key", m1, l1, env, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err, "already used"));
	ck_assert_str_eq(mg_store_last_error(s), err);
	g_free(err);
	/* racing deliveries under another ID: kept again, so both IDs resolve */
	char *id2 = mg_store_new_id(T0);
	ck_assert(mg_store_keep(s, id2, key, m1, l1, env, NULL, &err));
	a = list_all(s);
	ck_assert_uint_eq(a->len, 2);
	g_ptr_array_unref(a);
	g_free(found);
	found = mg_store_find_retry(s, key);
	ck_assert_str_eq(found, id);
	/* a bad ID is refused before anything is written */
	ck_assert(!mg_store_keep(s, "../../x", key, m1, l1, env, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err, "not a quarantine ID"));
	g_free(err);
	ck_assert_uint_eq(entries(day), 2);

	g_free(day);
	g_free(found);
	g_free(id);
	g_free(id2);
	g_free(key);
	g_free(key2);
	g_free(m1);
	g_free(m2);
	mg_envelope_free(env);
	mg_store_close(s);
}
END_TEST

/* The form before version 3, as mugaika up to 2026-11 computed it (the
 * value below is that version's mg_store_retry_key). */
START_TEST(retry_key_v2_unchanged)
{
	static const char m[] = "Subject: v2\r\n\r\nbody\r\n";
	mg_envelope *e = envelope("s@example.net", "a@x.jp", "b@x.jp", T0);
	char *k = mg_qmeta_retry_key_v2(m, sizeof m - 1, e);

	ck_assert_str_eq(k, "c0c949afe3ce5604b350ddd2495e55b1f8f3a85e87db93c3346afdee36970fd9");
	ck_assert(mg_qmeta_key_is_v2(k));
	g_free(k);
	k = mg_store_retry_key(m, sizeof m - 1, e);
	ck_assert(!mg_qmeta_key_is_v2(k));
	g_free(k);
	mg_envelope_free(e);
}
END_TEST

/* An index of a mugaika before version 3 of the retry key: its recent
 * originals (and failure counts) are still found by their old keys. */
START_TEST(retry_across_upgrade)
{
	mg_store *s = open_store();
	size_t l1, l2;
	time_t now = time(NULL);
	char *m1 = message("QID1", "old", "body\r\n", &l1);
	char *m2 = message("QID2", "failed", "body\r\n", &l2);
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, now - 3600);
	char *old = mg_qmeta_retry_key_v2(m1, l1, env), *id = mg_store_new_id(now - 3600);
	char *err = NULL;

	ck_assert(mg_store_keep(s, id, old, m1, l1, env, NULL, &err));	/* as the old one did */
	char *old2 = mg_qmeta_retry_key_v2(m2, l2, env);
	ck_assert_uint_eq(mg_store_note_failure(s, old2), 1);
	mg_store_close(s);
	s = open_store();

	char *key = mg_store_retry_key(m1, l1, env);
	ck_assert_ptr_null(mg_store_find_retry(s, key));
	char *found = mg_store_find_retry_compat(s, &key, m1, l1, env);
	ck_assert_str_eq(found, id);
	ck_assert_str_eq(key, old);	/* kept and counted under the old key */
	ck_assert(mg_store_keep(s, found, key, m1, l1, env, NULL, &err));	/* done */
	g_free(found);
	g_free(key);
	key = mg_store_retry_key(m2, l2, env);
	ck_assert_ptr_null(mg_store_find_retry_compat(s, &key, m2, l2, env));
	ck_assert_str_eq(key, old2);
	ck_assert_uint_eq(mg_store_note_failure(s, key), 2);
	g_free(key);
	/* a new message: its new key stays */
	key = mg_store_retry_key(m2, l2 - 2, env);
	char *mine = g_strdup(key);
	ck_assert_ptr_null(mg_store_find_retry_compat(s, &key, m2, l2 - 2, env));
	ck_assert_str_eq(key, mine);
	g_free(key);
	g_free(mine);
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 1);
	g_ptr_array_unref(a);
	mg_store_close(s);

	/* once the window holds only new keys, nothing is hashed twice */
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE messages SET received = "
				      "'2020-01-01T00:00:00Z'; DELETE FROM failures", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = open_store();
	key = mg_store_retry_key(m1, l1, env);
	mine = g_strdup(key);
	ck_assert_ptr_null(mg_store_find_retry_compat(s, &key, m1, l1, env));
	ck_assert_str_eq(key, mine);
	mg_store_close(s);

	g_free(key);
	g_free(mine);
	g_free(old);
	g_free(old2);
	g_free(id);
	g_free(m1);
	g_free(m2);
	mg_envelope_free(env);
}
END_TEST

/* ---- encryption ---------------------------------------------------------- */

static char *
read_ok(mg_store *s, const char *id, size_t *n)
{
	char *raw = NULL, *err = NULL;

	ck_assert_msg(mg_store_read(s, id, &raw, n, NULL, &err), "read %s: %s", id,
		      err ? err : "?");
	return raw;
}

static const char *
kept_key(mg_store *s, const char *id, char *buf)
{
	GPtrArray *a = list_all(s);

	buf[0] = '\0';
	for (guint i = 0; i < a->len; i++) {
		mg_kept *k = g_ptr_array_index(a, i);
		if (strcmp(k->id, id) == 0)
			g_strlcpy(buf, k->key_id ? k->key_id : "(none)", 32);
	}
	g_ptr_array_unref(a);
	return buf;
}

START_TEST(encryption_round_trip_and_rotation)
{
	char *keys = tmp_path("keys"), kbuf[32], *err = NULL;
	size_t l1, l2, n;
	char *m1 = message("Q1", "secret one", "PLAINTEXT-MARKER body\n", &l1);
	char *m2 = message("Q2", "secret two", "second body\n", &l2);
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, T0);

	write_file(keys, "# keys\n" KEY1, 0600);
	set_path(&cfg->quarantine_key_file, "keys");
	mg_store *s = open_store();
	char *id1 = keep(s, m1, l1, env, NULL);
	char *file = spool_file(id1), *text = NULL;
	gsize flen;
	ck_assert(g_file_get_contents(file, &text, &flen, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\nkey: k1\nnonce: "));
	ck_assert_ptr_null(memmem(text, flen, "PLAINTEXT-MARKER", 16));
	ck_assert_ptr_null(memmem(text, flen, "a@example.lg.jp", 15));
	ck_assert_str_eq(kept_key(s, id1, kbuf), "k1");
	char *back = read_ok(s, id1, &n);
	ck_assert(n == l1 && memcmp(back, m1, l1) == 0);
	g_free(back);
	mg_store_close(s);

	/* rotation: k2 appended; new originals use it, old ones stay readable */
	write_file(keys, KEY1 KEY2, 0600);
	s = open_store();
	char *id2 = keep(s, m2, l2, env, NULL);
	ck_assert_str_eq(kept_key(s, id2, kbuf), "k2");
	char *file2 = spool_file(id2), *t2 = NULL;
	gsize f2len;
	ck_assert(g_file_get_contents(file2, &t2, &f2len, NULL));
	ck_assert_ptr_nonnull(strstr(t2, "\nkey: k2\nnonce: "));
	back = read_ok(s, id1, &n);
	ck_assert(n == l1 && memcmp(back, m1, l1) == 0);
	g_free(back);
	back = read_ok(s, id2, &n);
	ck_assert(n == l2 && memcmp(back, m2, l2) == 0);
	g_free(back);
	mg_store_close(s);

	/* k1 removed: its originals cannot be read, and the error says why */
	write_file(keys, KEY2, 0600);
	s = open_store();
	ck_assert(!mg_store_read(s, id1, &back, &n, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err, "key 'k1'"));
	g_free(err);
	/* one changed byte makes a file unreadable, not different */
	t2[f2len - 30] ^= 1;
	ck_assert(g_file_set_contents(file2, t2, (gssize)f2len, NULL));
	ck_assert(!mg_store_read(s, id2, &back, &n, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot be decrypted"));
	g_free(err);
	mg_store_close(s);

	g_free(t2);
	g_free(file2);
	g_free(text);
	g_free(file);
	g_free(id1);
	g_free(id2);
	g_free(m1);
	g_free(m2);
	g_free(keys);
	mg_envelope_free(env);
}
END_TEST

static void
key_file_fails(const char *text, mode_t mode, const char *expect)
{
	char *keys = tmp_path("keys"), *err = NULL;

	write_file(keys, text, mode);
	set_path(&cfg->quarantine_key_file, "keys");
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_msg(strstr(err, expect) != NULL, "'%s' lacks '%s'", err, expect);
	ck_assert_msg(strstr(err, "00112233") == NULL, "key material in '%s'", err);
	g_free(err);
	g_free(keys);
}

START_TEST(key_file_errors)
{
	key_file_fails(KEY1, 0644, "chmod 0600");
	key_file_fails("k1 0011\n", 0600, ":1: the key must be 64 hex digits");
	key_file_fails("# c\n\nk/1 00112233\n", 0600, ":3: the key id");
	key_file_fails(KEY1 KEY1, 0600, ":2: the key id is used twice");
	key_file_fails("# nothing\n", 0600, "holds no key");
	set_path(&cfg->quarantine_key_file, "missing");
	char *err = NULL;
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "quarantine_key_file"));
	g_free(err);
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

START_TEST(existing_file_never_replaced)
{
	mg_store *s = open_store();
	size_t len;
	char *raw = message("Q1", "clash", "body\n", &len), *err = NULL;
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, T0);
	char *key = mg_store_retry_key(raw, len, env), *id = mg_store_new_id(T0);
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	char *file = spool_file(id), *text = NULL;

	ck_assert_int_eq(g_mkdir_with_parents(day, 0700), 0);
	write_file(file, "not ours", 0600);
	ck_assert(!mg_store_keep(s, id, key, raw, len, env, NULL, &err));
	ck_assert_msg(strstr(err, "cannot rename into place: File exists") != NULL,
		      "unclear: %s", err);
	g_free(err);
	ck_assert_uint_eq(entries(day), 1);	/* the temp file is gone */
	ck_assert(g_file_get_contents(file, &text, NULL, NULL));
	ck_assert_str_eq(text, "not ours");
	ck_assert_ptr_null(mg_store_find_retry(s, key));

	g_free(text);
	g_free(file);
	g_free(day);
	g_free(key);
	g_free(id);
	g_free(raw);
	mg_envelope_free(env);
	mg_store_close(s);
}
END_TEST

START_TEST(readonly_spool_fails_clearly)
{
	mg_store *s = open_store();
	size_t len;
	char *raw = message("Q1", "ro", "body\n", &len), *err = NULL;
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, T0);
	char *key = mg_store_retry_key(raw, len, env), *id = mg_store_new_id(T0);

	set_dac_override(false);
	ck_assert_int_eq(chmod(cfg->quarantine_dir, 0500), 0);
	ck_assert(!mg_store_keep(s, id, key, raw, len, env, NULL, &err));
	ck_assert_msg(strstr(err, cfg->quarantine_dir) && strstr(err, "Permission denied"),
		      "unclear: %s", err);
	g_free(err);
	ck_assert_ptr_null(mg_store_find_retry(s, key));
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 0);
	g_ptr_array_unref(a);
	mg_store_close(s);
	/* and the milter would not even start on it */
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot write into it"));
	g_free(err);

	g_free(key);
	g_free(id);
	g_free(raw);
	mg_envelope_free(env);
}
END_TEST

START_TEST(locked_index_leaves_no_file)
{
	mg_store *s = open_store();
	size_t len;
	char *raw = message("Q1", "locked", "body\n", &len), *err = NULL;
	mg_envelope *env = envelope("s@example.net", "a@example.lg.jp", NULL, T0);
	char *key = mg_store_retry_key(raw, len, env), *id = mg_store_new_id(T0);
	sqlite3 *other = NULL;

	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	mg_store_set_busy_timeout(s, 50);
	ck_assert(!mg_store_keep(s, id, key, raw, len, env, NULL, &err));
	ck_assert_msg(strstr(err, "locked") != NULL, "unclear: %s", err);
	g_free(err);
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	ck_assert_uint_eq(entries(day), 0);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	ck_assert(mg_store_keep(s, id, key, raw, len, env, NULL, &err));
	ck_assert_uint_eq(entries(day), 1);

	g_free(day);
	g_free(key);
	g_free(id);
	g_free(raw);
	mg_envelope_free(env);
	mg_store_close(s);
}
END_TEST

START_TEST(note_failure_counts)
{
	mg_store *s = open_store();

	ck_assert_uint_eq(mg_store_note_failure(s, "aaaa"), 1);
	ck_assert_uint_eq(mg_store_note_failure(s, "aaaa"), 2);
	ck_assert_uint_eq(mg_store_note_failure(s, "bbbb"), 1);
	ck_assert_uint_eq(mg_store_note_failure(s, "aaaa"), 3);
	mg_store_close(s);
	s = open_store();
	ck_assert_uint_eq(mg_store_note_failure(s, "aaaa"), 4);
	mg_store_close(s);

	char *err = NULL;
	s = mg_store_open_readonly(cfg, &err);
	ck_assert_msg(s != NULL, "%s", err ? err : "?");
	ck_assert_uint_eq(mg_store_note_failure(s, "aaaa"), 0);
	ck_assert_ptr_nonnull(strstr(mg_store_last_error(s), "read-only"));
	mg_store_close(s);
}
END_TEST

START_TEST(schema_version_is_checked)
{
	mg_store *s = open_store();
	mg_store_close(s);
	sqlite3 *db = NULL;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "SELECT id, received, queue_id, mail_from, "
				      "client_addr, helo, auth_name, subject, from_hdr, size, "
				      "sha256, retry_key, verdict, reasons, action, spool, "
				      "key_id, status FROM messages; SELECT id, rcpt, "
				      "released_at, released_by FROM recipients; SELECT "
				      "count FROM failures", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 'x')",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(mg_store_open(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));
	g_free(err);
	ck_assert_ptr_null(mg_store_open_readonly(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));
	g_free(err);
}
END_TEST

/* ---- the keeper: group commit ------------------------------------------- */

static mg_keeper *
new_keeper(void)
{
	char *err = NULL;
	mg_keeper *k = mg_keeper_new(cfg, &err);

	ck_assert_msg(k != NULL, "mg_keeper_new: %s", err ? err : "?");
	return k;
}

/* Rows under id as a fresh read-only connection sees them (-1: cannot
 * tell); from any thread. */
static int
rows_seen(const char *id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_open_v2(cfg->quarantine_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&	/* others open and close */
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

typedef struct {
	mg_keeper *k;
	int thread, count;
	const char *from;	/* envelope sender */
	int kept, failed;	/* outcomes */
	int early;		/* answers given before their row was visible */
	char *error;		/* the first failure */
	GPtrArray *ids;
} keeper_arg;

static gpointer
keeper_thread(gpointer data)
{
	keeper_arg *a = data;
	char *err = NULL;
	mg_store *s = mg_store_open(cfg, &err);

	g_assert(s);
	for (int i = 0; i < a->count; i++) {
		size_t len;
		char *qid = g_strdup_printf("T%dM%d", a->thread, i);
		char *raw = message(qid, "keeper", "body\r\n", &len), sha[65];
		mg_envelope *env = envelope(a->from, "a@example.lg.jp", NULL, T0);
		char *key = mg_store_retry_key_sha(raw, len, env, sha);
		char *id = mg_store_new_id(T0);
		mg_keep_req q = { .id = id, .retry_key = key, .sha256 = sha, .raw = raw,
				  .len = len, .env = env, .verdict_json = NULL };
		if (mg_keeper_keep(a->k, s, &q, &err)) {
			a->kept++;
			int seen = rows_seen(id);
			if (seen != 1)
				fprintf(stderr, "%s: %d rows seen\n", id, seen);
			a->early += seen != 1;
			g_ptr_array_add(a->ids, g_strdup(id));
		} else {
			a->failed++;
			if (!a->error)
				a->error = g_strdup(err);
			g_clear_pointer(&err, g_free);
		}
		g_free(id);
		g_free(key);
		mg_envelope_free(env);
		g_free(raw);
		g_free(qid);
	}
	mg_store_close(s);
	return NULL;
}

/* Runs n threads of count messages each; senders[i] for thread i (NULL:
 * all from sender@example.net).  With hold, the keeper is paused until
 * all n*count originals wait, so that they form one batch. */
static keeper_arg *
run_keepers(mg_keeper *k, int n, int count, const char *const *senders, bool hold)
{
	keeper_arg *args = g_new0(keeper_arg, n);
	GThread **t = g_new0(GThread *, n);

	if (hold)
		mg_keeper_pause(k, true);
	for (int i = 0; i < n; i++) {
		args[i] = (keeper_arg){ .k = k, .thread = i, .count = count,
					.from = senders ? senders[i] : "sender@example.net",
					.ids = g_ptr_array_new_with_free_func(g_free) };
		t[i] = g_thread_new("keep", keeper_thread, &args[i]);
	}
	if (hold) {
		for (int w = 0; w < 3000 && mg_keeper_waiting(k) < (guint)(n * count); w++)
			g_usleep(10000);
		ck_assert_uint_eq(mg_keeper_waiting(k), (guint)(n * count));
		for (int i = 0; i < n; i++)	/* nobody answered before the commit */
			ck_assert_int_eq(args[i].kept + args[i].failed, 0);
		mg_keeper_pause(k, false);
	}
	for (int i = 0; i < n; i++)
		g_thread_join(t[i]);
	g_free(t);
	return args;
}

static void
keeper_args_free(keeper_arg *args, int n)
{
	for (int i = 0; i < n; i++) {
		g_ptr_array_unref(args[i].ids);
		g_free(args[i].error);
	}
	g_free(args);
}

START_TEST(keeper_many_threads_all_indexed)
{
	mg_keeper *k = new_keeper();
	keeper_arg *args = run_keepers(k, 8, 25, NULL, false);
	guint64 batches = 0, originals = 0;
	mg_store *s = open_store();
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);

	for (int i = 0; i < 8; i++) {
		ck_assert_msg(args[i].failed == 0, "thread %d: %s", i, args[i].error);
		ck_assert_int_eq(args[i].kept, 25);
		ck_assert_int_eq(args[i].early, 0);
		for (guint j = 0; j < args[i].ids->len; j++) {
			size_t n = 0;
			g_free(read_ok(s, g_ptr_array_index(args[i].ids, j), &n));
		}
	}
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 200);
	g_ptr_array_unref(a);
	ck_assert_uint_eq(entries(day), 200);
	mg_keeper_stats(k, &batches, &originals);
	ck_assert_uint_eq(originals, 200);
	ck_assert(batches >= 1 && batches <= 200);
	printf("keeper: 200 originals from 8 threads in %" G_GUINT64_FORMAT " batches\n",
	       batches);
	g_free(day);
	mg_store_close(s);
	keeper_args_free(args, 8);
	mg_keeper_free(k);
}
END_TEST

START_TEST(keeper_one_batch_one_commit)
{
	mg_keeper *k = new_keeper();
	keeper_arg *args = run_keepers(k, 6, 1, NULL, true);
	guint64 batches = 0, originals = 0;

	for (int i = 0; i < 6; i++) {
		ck_assert_msg(args[i].kept == 1, "thread %d: %s", i, args[i].error);
		ck_assert_int_eq(args[i].early, 0);
	}
	mg_keeper_stats(k, &batches, &originals);
	ck_assert_uint_eq(batches, 1);
	ck_assert_uint_eq(originals, 6);
	keeper_args_free(args, 6);
	mg_keeper_free(k);
}
END_TEST

/* Runs sql on the index with a connection of its own. */
static void
index_sql(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
	sqlite3_close(db);
}

static const char *const two_bad_of_six[] = {
	"sender@example.net", "bad@example.net", "sender@example.net",
	"sender@example.net", "bad@example.net", "sender@example.net",
};

START_TEST(keeper_failed_row_fails_alone)
{
	mg_keeper *k = new_keeper();
	index_sql("CREATE TRIGGER test_refuse BEFORE INSERT ON messages WHEN "
		  "new.mail_from = 'bad@example.net' BEGIN SELECT RAISE(ABORT, "
		  "'refused by the test'); END");
	keeper_arg *args = run_keepers(k, 6, 1, two_bad_of_six, true);
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	guint64 batches = 0, originals = 0;
	mg_store *s = open_store();

	for (int i = 0; i < 6; i++) {
		bool bad = strcmp(two_bad_of_six[i], "bad@example.net") == 0;
		ck_assert_int_eq(args[i].kept, !bad);
		ck_assert_int_eq(args[i].failed, bad);
		ck_assert_msg(args[i].early == 0, "thread %d: answered before its commit", i);
		if (bad)
			ck_assert_msg(strstr(args[i].error, "refused by the test"), "%s",
				      args[i].error);
	}
	ck_assert_uint_eq(entries(day), 4);	/* the refused ones' files are gone */
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 4);
	g_ptr_array_unref(a);
	mg_keeper_stats(k, &batches, &originals);
	ck_assert_uint_eq(batches, 1);
	g_free(day);
	mg_store_close(s);
	keeper_args_free(args, 6);
	mg_keeper_free(k);
}
END_TEST

START_TEST(keeper_failed_commit_fails_batch)
{
	mg_keeper *k = new_keeper();
	/* a deferred foreign key that is broken at COMMIT, not before */
	index_sql("CREATE TABLE test_guard (id TEXT REFERENCES messages (id) DEFERRABLE "
		  "INITIALLY DEFERRED); CREATE TRIGGER test_break AFTER INSERT ON messages "
		  "WHEN new.mail_from = 'bad@example.net' BEGIN INSERT INTO test_guard "
		  "VALUES ('no such id'); END");
	keeper_arg *args = run_keepers(k, 6, 1, two_bad_of_six, true);
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);
	mg_store *s = open_store();

	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(args[i].kept, 0);
		ck_assert_msg(args[i].error && strstr(args[i].error, "FOREIGN KEY"), "%s",
			      args[i].error ? args[i].error : "no error");
	}
	ck_assert_uint_eq(entries(day), 0);
	GPtrArray *a = list_all(s);
	ck_assert_uint_eq(a->len, 0);
	g_ptr_array_unref(a);
	mg_store_close(s);
	keeper_args_free(args, 6);
	/* and the keeper goes on */
	index_sql("DROP TRIGGER test_break");
	args = run_keepers(k, 2, 2, NULL, false);
	ck_assert_int_eq(args[0].kept + args[1].kept, 4);
	keeper_args_free(args, 2);
	g_free(day);
	mg_keeper_free(k);
}
END_TEST

START_TEST(keeper_readonly_spool_fails_cleanly)
{
	mg_keeper *k = new_keeper();
	char *day = g_build_filename(cfg->quarantine_dir, "20260101", NULL);

	set_dac_override(false);
	ck_assert_int_eq(mkdir(day, 0500), 0);	/* the day's directory cannot be written */
	keeper_arg *args = run_keepers(k, 2, 2, NULL, false);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(args[i].failed, 2);
		ck_assert_msg(strstr(args[i].error, "Permission denied"), "%s", args[i].error);
	}
	ck_assert_uint_eq(entries(day), 0);
	g_free(day);
	keeper_args_free(args, 2);
	mg_keeper_free(k);
}
END_TEST

START_TEST(keeper_failures_and_traffic)
{
	mg_keeper *k = new_keeper();
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)mg_traffic_free);
	char *err = NULL;

	ck_assert_uint_eq(mg_keeper_note_failure(k, "aaaa"), 1);
	ck_assert_uint_eq(mg_keeper_note_failure(k, "aaaa"), 2);
	for (int i = 0; i < 600; i++) {	/* more than one chunk */
		mg_traffic *t = mg_traffic_new();
		t->at = T0 + i;
		t->direction = g_strdup("inbound");
		t->outcome = g_strdup("passed");
		t->action = g_strdup("deliver");
		t->mail_from = g_strdup("s@example.net");
		g_ptr_array_add(rows, t);
	}
	ck_assert_uint_eq(mg_keeper_add_traffic(k, (mg_traffic *const *)rows->pdata, rows->len,
						&err), 600);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_open(cfg->quarantine_db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM traffic", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 600);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count FROM failures", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	keeper_arg *args = run_keepers(k, 1, 2, NULL, false);	/* and keeps go on */
	ck_assert_int_eq(args[0].kept, 2);
	keeper_args_free(args, 1);
	g_ptr_array_unref(rows);
	mg_keeper_free(k);
}
END_TEST

/* ---- mugaika list -------------------------------------------------------- */

/* Runs mugaika list with args (NULL-terminated); stdout into *out. */
static int
run_list(char **out, ...)
{
	char *argv[16] = { "list" }, *path = tmp_path("list.out");
	int argc = 1, saved, fd, rc;
	va_list ap;

	va_start(ap, out);
	for (char *a; argc < 15 && (a = va_arg(ap, char *)); )
		argv[argc++] = a;
	va_end(ap);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	rc = mg_cmd_list(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	ck_assert(g_file_get_contents(path, out, NULL, NULL));
	g_free(path);
	return rc;
}

/* Writes a config naming the test's spool and index; returns its path. */
static char *
list_config_file(void)
{
	char *path = tmp_path("mugaika.conf");
	char *text = g_strdup_printf("quarantine_dir = %s\nquarantine_db = %s\n",
				     cfg->quarantine_dir, cfg->quarantine_db);

	write_file(path, text, 0600);
	g_free(text);
	return path;
}

/* Three kept messages, oldest first: ASCII, Japanese from the header only
 * (no subject in the verdict), Japanese with hostile characters. */
static void
keep_three(char **ids)
{
	mg_store *s = open_store();
	size_t len;
	mg_envelope *e1 = envelope("alice@example.net", "a@example.lg.jp", "b@example.lg.jp", T0);
	mg_envelope *e2 = envelope("", "c@example.lg.jp", NULL, T0 + 60);
	mg_envelope *e3 = envelope("bob@example.net", "d@example.lg.jp", NULL, T0 + 120);
	char *v1 = verdict_json("Hello", MG_R_HTML_CONVERTED | MG_R_ATTACHMENT, MG_ACTION_DELIVER);
	char *v3 = verdict_json("日本語の件名\t\x1b[31m\u202Etxt.exe", 0, MG_ACTION_DISCARD);
	char *m1 = message("Q1", "Hello", "1\n", &len);
	ids[0] = keep(s, m1, len, e1, v1);
	char *m2 = message("Q2", SUBJECT_JIS, "2\n", &len);
	ids[1] = keep(s, m2, len, e2, "{\"version\": 1, \"reasons\": []}");
	char *m3 = message("Q3", "x", "3\n", &len);
	ids[2] = keep(s, m3, len, e3, v3);
	char *all[] = { v1, v3, m1, m2, m3 };
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		g_free(all[i]);
	mg_envelope_free(e1);
	mg_envelope_free(e2);
	mg_envelope_free(e3);
	mg_store_close(s);
}

START_TEST(list_text)
{
	char *ids[3], *conf = list_config_file(), *out = NULL;

	keep_three(ids);
	ck_assert_int_eq(run_list(&out, "--config", conf, NULL), EX_OK);
	char **lines = g_strsplit(out, "\n", -1);
	ck_assert_uint_eq(g_strv_length(lines), 4);	/* 3 and "" after the last \n */
	char **f = g_strsplit(lines[2], "\t", -1);	/* oldest is last */
	ck_assert_uint_eq(g_strv_length(f), 6);
	ck_assert_str_eq(f[0], ids[0]);
	ck_assert_str_eq(f[1], "2026-01-01T09:00:00+09:00");
	ck_assert_str_eq(f[2], "alice@example.net");
	ck_assert_str_eq(f[3], "a@example.lg.jp,b@example.lg.jp");
	ck_assert_str_eq(f[4], "Hello");
	ck_assert_str_eq(f[5], "html_converted,attachment");
	g_strfreev(f);
	f = g_strsplit(lines[1], "\t", -1);
	ck_assert_str_eq(f[0], ids[1]);
	ck_assert_str_eq(f[2], "<>");
	ck_assert_str_eq(f[4], "テスト");
	ck_assert_str_eq(f[5], "-");
	g_strfreev(f);
	f = g_strsplit(lines[0], "\t", -1);
	ck_assert_uint_eq(g_strv_length(f), 6);
	ck_assert_str_eq(f[0], ids[2]);
	ck_assert_str_eq(f[4], "日本語の件名 ?[31m?txt.exe");
	g_strfreev(f);
	g_strfreev(lines);
	g_free(out);

	ck_assert_int_eq(run_list(&out, "--config", conf, "--limit", "1", NULL), EX_OK);
	ck_assert(g_str_has_prefix(out, ids[2]));
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);	/* one line */
	g_free(out);
	for (int i = 0; i < 3; i++)
		g_free(ids[i]);
	g_free(conf);
}
END_TEST

START_TEST(list_json)
{
	char *ids[3], *conf = list_config_file(), *out = NULL;
	sqlite3 *db = NULL;

	keep_three(ids);
	ck_assert_int_eq(run_list(&out, "--json", "--config", conf, NULL), EX_OK);
	char **lines = g_strsplit(out, "\n", -1);
	ck_assert_uint_eq(g_strv_length(lines), 4);
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		char *sql = sqlite3_mprintf("SELECT json_valid(%Q), json_extract(%Q, '$.id')",
					    lines[i], lines[i]);
		sqlite3_stmt *st = NULL;
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_msg(sqlite3_column_int(st, 0) == 1, "not JSON: %s", lines[i]);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), ids[2 - i]);
		sqlite3_finalize(st);
		sqlite3_free(sql);
	}
	ck_assert_ptr_nonnull(strstr(lines[1], "\"subject\": \"テスト\""));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"mail_from\": \"\""));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"reasons\": []"));
	ck_assert_ptr_nonnull(strstr(lines[2], "\"time\": \"2026-01-01T09:00:00+09:00\""));
	ck_assert_ptr_nonnull(strstr(lines[2], "\"received\": \"2026-01-01T00:00:00Z\""));
	ck_assert_ptr_nonnull(strstr(lines[2], "\"reasons\": [\"html_converted\", \"attachment\"]"));
	ck_assert_ptr_nonnull(strstr(lines[2], "\"rcpts\": [\"a@example.lg.jp\", \"b@example.lg.jp\"]"));
	ck_assert_ptr_nonnull(strstr(lines[0], "\"action\": \"discard\""));
	ck_assert_ptr_nonnull(strstr(lines[0], "\\u001b"));
	ck_assert_ptr_nonnull(strstr(lines[0], "\"key_id\": null"));
	sqlite3_close(db);
	g_strfreev(lines);
	g_free(out);
	for (int i = 0; i < 3; i++)
		g_free(ids[i]);
	g_free(conf);
}
END_TEST

START_TEST(list_errors)
{
	char *conf = list_config_file(), *out = NULL, *bad = tmp_path("bad.conf");

	ck_assert_int_eq(run_list(&out, "--config", conf, NULL), EX_NOINPUT);
	g_free(out);
	ck_assert_int_eq(run_list(&out, "--limit", "x", NULL), EX_USAGE);
	g_free(out);
	ck_assert_int_eq(run_list(&out, "extra", NULL), EX_USAGE);
	g_free(out);
	write_file(bad, "quarantine_db = relative\n", 0600);
	ck_assert_int_eq(run_list(&out, "--config", bad, NULL), EX_CONFIG);
	g_free(out);
	mg_store_close(open_store());	/* an empty quarantine lists nothing */
	ck_assert_int_eq(run_list(&out, "--config", conf, NULL), EX_OK);
	ck_assert_str_eq(out, "");
	g_free(out);
	g_free(bad);
	g_free(conf);
}
END_TEST

/* ---- the benchmark ------------------------------------------------------- */

static double
now_ms(void)
{
	return (double)g_get_monotonic_time() / 1000.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void
bench_one(mg_store *s, size_t size, int n, const char *label)
{
	GString *m = g_string_new("From: a@example.net\nTo: b@example.lg.jp\nSubject: bench\n\n");
	mg_envelope *env = envelope("a@example.net", "b@example.lg.jp", NULL, time(NULL));
	char *verdict = verdict_json("bench", MG_R_ATTACHMENT, MG_ACTION_DELIVER);
	double total = 0, *t = g_new(double, (gsize)n);

	while (m->len < size)
		g_string_append(m, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/\r\n");
	g_string_truncate(m, size);
	for (int i = 0; i < n; i++) {
		char *err = NULL, *id = mg_store_new_id(time(NULL));
		g_string_overwrite(m, m->len - 30, id);	/* distinct content */
		char *key = mg_store_retry_key(m->str, m->len, env);
		double start = now_ms();
		if (!mg_store_keep(s, id, key, m->str, m->len, env, verdict, &err))
			g_error("bench: %s", err);
		t[i] = now_ms() - start;
		total += t[i];
		g_free(key);
		g_free(id);
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("%-18s %4d x  median %6.3f  mean %6.3f  p95 %6.3f  max %6.3f ms\n",
	       label, n, t[n / 2], total / n, t[n * 95 / 100], t[n - 1]);
	g_free(t);
	g_free(verdict);
	mg_envelope_free(env);
	g_string_free(m, TRUE);
}

static int bench_rounds = 200;

/* Run only by --bench (fixtures as for the tests). */
START_TEST(bench_keep)
{
	int n = bench_rounds;
	mg_store *s = open_store();
	bench_one(s, 4 * 1024, n, "4 KB plain");
	bench_one(s, 300 * 1024, n, "300 KB plain");
	mg_store_close(s);
	char *keys = tmp_path("keys");
	write_file(keys, KEY1, 0600);
	set_path(&cfg->quarantine_key_file, "keys");
	s = open_store();
	bench_one(s, 4 * 1024, n, "4 KB encrypted");
	bench_one(s, 300 * 1024, n, "300 KB encrypted");
	mg_store_close(s);
	printf("(in %s)\n", tmpdir);
	g_free(keys);
}
END_TEST

static int
bench(int n)
{
	Suite *s = suite_create("quarantine-bench");
	TCase *tc = tcase_create("bench");

	bench_rounds = n > 0 ? n : 200;
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 3600);
	tcase_add_test(tc, bench_keep);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- main ---------------------------------------------------------------- */

static Suite *
suite(void)
{
	Suite *s = suite_create("quarantine");
	TCase *store = tcase_create("store"), *list = tcase_create("list");
	TCase *keeper = tcase_create("keeper");

	tcase_add_checked_fixture(store, setup, teardown);
	tcase_add_test(store, keep_and_read_back);
	tcase_add_test(store, modes_of_everything_created);
	tcase_add_test(store, ids_unique_sortable_safe);
	tcase_add_test(store, retry_key_rules);
	tcase_add_test(store, retry_recognised_and_kept_once);
	tcase_add_test(store, retry_key_v2_unchanged);
	tcase_add_test(store, retry_across_upgrade);
	tcase_add_test(store, encryption_round_trip_and_rotation);
	tcase_add_test(store, key_file_errors);
	tcase_add_test(store, existing_file_never_replaced);
	tcase_add_test(store, readonly_spool_fails_clearly);
	tcase_add_test(store, locked_index_leaves_no_file);
	tcase_add_test(store, note_failure_counts);
	tcase_add_test(store, schema_version_is_checked);
	suite_add_tcase(s, store);
	tcase_add_checked_fixture(keeper, setup, teardown);
	tcase_add_test(keeper, keeper_many_threads_all_indexed);
	tcase_add_test(keeper, keeper_one_batch_one_commit);
	tcase_add_test(keeper, keeper_failed_row_fails_alone);
	tcase_add_test(keeper, keeper_failed_commit_fails_batch);
	tcase_add_test(keeper, keeper_readonly_spool_fails_cleanly);
	tcase_add_test(keeper, keeper_failures_and_traffic);
	suite_add_tcase(s, keeper);
	tcase_add_checked_fixture(list, setup, teardown);
	tcase_add_test(list, list_text);
	tcase_add_test(list, list_json);
	tcase_add_test(list, list_errors);
	suite_add_tcase(s, list);
	return s;
}

int
main(int argc, char **argv)
{
	g_setenv("TZ", "Asia/Tokyo", TRUE);
	tzset();
	if (argc >= 2 && strcmp(argv[1], "--bench") == 0)
		return bench(argc >= 3 ? atoi(argv[2]) : 200);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
