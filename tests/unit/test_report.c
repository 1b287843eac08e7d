/*
 * test_report.c - mugaika report on a real SQLite store in a fresh
 * temporary directory per test, filled through the write side with the
 * known messages, releases and traffic records of
 * tests/report/fixture.c: every number of every section for
 * 2026-03-01 .. 2026-03-07 in Asia/Tokyo, the day boundaries of the time
 * zone (14:59:59Z and 15:00:00Z on two JST days, one UTC day), the
 * incident look-ups, an index without traffic records, an empty period,
 * and the text, CSV and JSON renderings (Japanese intact, columns
 * aligned by display width, CSV quoting and formula escaping, JSON
 * checked with SQLite's json_valid/json_extract).
 */
#include <check.h>
#include <ftw.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fixture.h"
#include "quarantine.h"
#include "report.h"

static char *tmpdir;
static mg_config *cfg;

/* ---- fixtures ------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void set_path(char **slot, const char *rel)
{
	g_free(*slot);
	*slot = g_build_filename(tmpdir, rel, NULL);
}

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void setup_empty(void)
{
	tmpdir = g_dir_make_tmp("test_report.XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
	cfg = mg_config_new_defaults();
	set_path(&cfg->quarantine_dir, "spool");
	set_path(&cfg->quarantine_db, "db/quarantine.db");
	set_path(&cfg->audit_syslog_socket, "log.sock");
	g_free(cfg->quarantine_key_file);
	cfg->quarantine_key_file = g_strdup("");
	use_tz("Asia/Tokyo");
}

static void fill(bool no_traffic)
{
	char *err = NULL;

	ck_assert_msg(report_fixture_fill(cfg, no_traffic, &err), "fill: %s", err ? err : "?");
}

static void setup(void)
{
	setup_empty();
	fill(false);
}

static void teardown(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	mg_config_unref(cfg);
	g_free(tmpdir);
}

static time_t utc(const char *text)
{
	GTimeZone *z = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(text, z);
	time_t t = (time_t)g_date_time_to_unix(dt);

	g_date_time_unref(dt);
	g_time_zone_unref(z);
	return t;
}

/* The report of [since, until) (UTC texts), optionally a look-up. */
static mg_report *gather_q(const char *since, const char *until, unsigned top,
			   const char *sha256, const char *virus)
{
	char *err = NULL;
	mg_store *s = mg_store_open_readonly(cfg, &err);
	mg_report_query q = { .since = utc(since), .until = utc(until),
			      .now = utc("2026-03-10T00:00:00Z"), .top = top,
			      .sha256 = sha256, .virus = virus };

	ck_assert_msg(s != NULL, "open: %s", err ? err : "?");
	mg_report *r = mg_report_gather(s, &q, &err);
	ck_assert_msg(r != NULL, "gather: %s", err ? err : "?");
	mg_store_close(s);
	return r;
}

/* The tests' period: 2026-03-01 .. 2026-03-07 in Japan. */
static mg_report *gather_period(void)
{
	return gather_q("2026-02-28T15:00:00Z", "2026-03-07T15:00:00Z", 10, NULL, NULL);
}

static const mg_report_day *day(const mg_report *r, const char *d)
{
	for (guint i = 0; i < r->days->len; i++) {
		const mg_report_day *x = g_ptr_array_index(r->days, i);
		if (strcmp(x->day, d) == 0)
			return x;
	}
	ck_abort_msg("no day %s", d);
	return NULL;
}

/* The count of key in an array of mg_report_count; -1 when absent. */
static gint64 count_of(const GPtrArray *a, const char *key)
{
	for (guint i = 0; i < a->len; i++) {
		const mg_report_count *c = g_ptr_array_index(a, i);
		if (strcmp(c->key, key) == 0)
			return (gint64)c->count;
	}
	return -1;
}

/* keys[i] is the key of a's entry i, and a has no more. */
static void assert_keys(const GPtrArray *a, const char *const *keys, guint n)
{
	ck_assert_uint_eq(a->len, n);
	for (guint i = 0; i < n; i++)
		ck_assert_str_eq(((mg_report_count *)g_ptr_array_index(a, i))->key, keys[i]);
}

static void assert_outcomes(const guint64 *n, guint64 passed, guint64 sanitized,
			    guint64 kept, guint64 suspicious, guint64 cannot, guint64 virus,
			    guint64 tempfail)
{
	const guint64 want[MG_OC_COUNT] = { passed, sanitized, kept, suspicious, cannot, virus,
					    tempfail };

	for (int i = 0; i < MG_OC_COUNT; i++)
		ck_assert_msg(n[i] == want[i], "%s: %" G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT,
			      mg_outcome_name(i), n[i], want[i]);
}

static void assert_age(const mg_report_day *d, gint64 min, gint64 max, unsigned version)
{
	ck_assert_msg(d->sig_age_min == min && d->sig_age_max == max,
		      "%s: age %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, d->day, d->sig_age_min,
		      d->sig_age_max);
	ck_assert_uint_eq(d->sig_version_max, version);
}

/* ---- JSON, checked by SQLite ----------------------------------------------------- */

/* json_extract(json, path) as text ("" for SQL NULL), or aborts when json
 * is not valid JSON.  Caller frees. */
static char *jget(const char *json, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_extract(?1, ?2)",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_msg(sqlite3_column_int(st, 0) == 1, "not valid JSON:\n%s", json);
	const unsigned char *v = sqlite3_column_text(st, 1);
	char *out = g_strdup(v ? (const char *)v : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static void assert_json(const char *json, const char *path, const char *want)
{
	char *got = jget(json, path);

	ck_assert_msg(strcmp(got, want) == 0, "%s: '%s', want '%s'", path, got, want);
	g_free(got);
}

/* ---- totals and days ------------------------------------------------------------- */

START_TEST(totals_by_outcome)
{
	mg_report *r = gather_period();

	ck_assert(!r->incident);
	ck_assert(!r->no_traffic);
	ck_assert_str_eq(r->since_text, "2026-03-01T00:00:00+09:00");
	ck_assert_str_eq(r->until_text, "2026-03-08T00:00:00+09:00");
	assert_outcomes(r->n, 2, 2, 1, 1, 1, 1, 1);
	ck_assert_uint_eq(r->total, 9);
	ck_assert_uint_eq(r->inbound, 8);
	ck_assert_uint_eq(r->outbound, 1);
	ck_assert_uint_eq(r->bytes_in, 45000);
	mg_report_free(r);
}
END_TEST

START_TEST(every_day_with_zeros)
{
	mg_report *r = gather_period();
	static const char *const days[] = { "2026-03-01", "2026-03-02", "2026-03-03",
					    "2026-03-04", "2026-03-05", "2026-03-06",
					    "2026-03-07" };

	ck_assert_uint_eq(r->days->len, 7);
	for (guint i = 0; i < 7; i++)
		ck_assert_str_eq(((mg_report_day *)g_ptr_array_index(r->days, i))->day, days[i]);
	assert_outcomes(day(r, "2026-03-01")->n, 1, 1, 0, 0, 0, 0, 0);
	assert_outcomes(day(r, "2026-03-02")->n, 0, 0, 1, 0, 0, 1, 0);
	assert_outcomes(day(r, "2026-03-03")->n, 0, 0, 0, 1, 0, 0, 0);
	assert_outcomes(day(r, "2026-03-04")->n, 0, 0, 0, 0, 1, 0, 0);
	assert_outcomes(day(r, "2026-03-05")->n, 0, 1, 0, 0, 0, 0, 1);
	assert_outcomes(day(r, "2026-03-06")->n, 0, 0, 0, 0, 0, 0, 0);
	assert_outcomes(day(r, "2026-03-07")->n, 1, 0, 0, 0, 0, 0, 0);
	ck_assert_uint_eq(day(r, "2026-03-05")->inbound, 1);
	ck_assert_uint_eq(day(r, "2026-03-05")->outbound, 1);
	ck_assert_uint_eq(day(r, "2026-03-05")->total, 2);
	ck_assert_uint_eq(day(r, "2026-03-06")->total, 0);
	mg_report_free(r);
}
END_TEST

/* 14:59:59Z is 23:59:59 in Japan, 15:00:00Z the next day's midnight; in
 * UTC both are on one day.  The period's edges are [since, until). */
START_TEST(time_zone_day_boundaries)
{
	mg_report *r = gather_period();

	ck_assert_uint_eq(day(r, "2026-03-01")->n[MG_OC_SANITIZED], 1);	/* 14:59:59Z */
	ck_assert_uint_eq(day(r, "2026-03-02")->n[MG_OC_KEPT], 1);	/* 15:00:00Z */
	ck_assert_uint_eq(day(r, "2026-03-01")->n[MG_OC_PASSED], 1);	/* since: in */
	ck_assert_uint_eq(day(r, "2026-03-07")->n[MG_OC_PASSED], 1);	/* until: out */
	mg_report_free(r);

	use_tz("UTC");
	r = gather_q("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", 10, NULL, NULL);
	ck_assert_uint_eq(r->days->len, 1);
	ck_assert_str_eq(r->since_text, "2026-03-01T00:00:00+00:00");
	assert_outcomes(day(r, "2026-03-01")->n, 0, 1, 1, 0, 0, 0, 0);
	mg_report_free(r);
}
END_TEST

START_TEST(signature_age)
{
	mg_report *r = gather_period();

	assert_age(day(r, "2026-03-01"), 1, 2, 27000);
	assert_age(day(r, "2026-03-02"), 0, 1, 27001);
	assert_age(day(r, "2026-03-03"), 2, 2, 27001);
	assert_age(day(r, "2026-03-04"), -1, -1, 0);
	assert_age(day(r, "2026-03-05"), 4, 4, 27001);
	assert_age(day(r, "2026-03-06"), -1, -1, 0);
	assert_age(day(r, "2026-03-07"), 6, 6, 27001);
	ck_assert_int_eq(r->sig_age_min, 0);
	ck_assert_int_eq(r->sig_age_max, 6);
	ck_assert_uint_eq(r->sig_version_min, 27000);
	ck_assert_uint_eq(r->sig_version_max, 27001);
	mg_report_free(r);
}
END_TEST

START_TEST(top_senders_and_recipients)
{
	static const char *const domains[] = { "example.com", "bad.example", "<>",
					       "example.lg.jp", "example.net" };
	static const char *const rcpts[] = { "u1@example.lg.jp", "u2@example.lg.jp",
					     "u3@example.lg.jp", "partner@example.org" };
	mg_report *r = gather_period();

	assert_keys(r->top_sender_domains, domains, 5);
	ck_assert_int_eq(count_of(r->top_sender_domains, "example.com"), 4);
	ck_assert_int_eq(count_of(r->top_sender_domains, "bad.example"), 2);
	ck_assert_int_eq(count_of(r->top_sender_domains, "<>"), 1);
	assert_keys(r->top_rcpts, rcpts, 4);
	ck_assert_int_eq(count_of(r->top_rcpts, "u1@example.lg.jp"), 5);
	ck_assert_int_eq(count_of(r->top_rcpts, "u2@example.lg.jp"), 3);	/* U2 folded */
	ck_assert_int_eq(count_of(r->top_rcpts, "u3@example.lg.jp"), 2);
	ck_assert_int_eq(count_of(r->top_rcpts, "partner@example.org"), 1);
	mg_report_free(r);

	r = gather_q("2026-02-28T15:00:00Z", "2026-03-07T15:00:00Z", 2, NULL, NULL);
	assert_keys(r->top_sender_domains, domains, 2);
	assert_keys(r->top_rcpts, rcpts, 2);
	mg_report_free(r);
}
END_TEST

/* ---- kept originals ------------------------------------------------------------------- */

START_TEST(viruses_and_suspicious)
{
	mg_report *r = gather_period();

	ck_assert_uint_eq(r->viruses->len, 1);
	mg_report_detection *d = g_ptr_array_index(r->viruses, 0);
	ck_assert_str_eq(d->name, "Eicar-Signature");
	ck_assert(d->virus);
	ck_assert_uint_eq(d->messages, 1);	/* the earlier one is outside */
	ck_assert_uint_eq(d->rcpts->len, 2);
	ck_assert_str_eq(g_ptr_array_index(d->rcpts, 0), "u1@example.lg.jp");
	ck_assert_str_eq(g_ptr_array_index(d->rcpts, 1), "u3@example.lg.jp");
	ck_assert_str_eq(d->first, "2026-03-02T10:00:00+09:00");
	ck_assert_str_eq(d->last, "2026-03-02T10:00:00+09:00");
	ck_assert_uint_eq(r->suspicious->len, 1);
	d = g_ptr_array_index(r->suspicious, 0);
	ck_assert_str_eq(d->name, "Heuristics.Encrypted.Zip");
	ck_assert(!d->virus);
	ck_assert_uint_eq(d->messages, 1);
	ck_assert_uint_eq(d->rcpts->len, 1);
	ck_assert_str_eq(g_ptr_array_index(d->rcpts, 0), "u3@example.lg.jp");
	ck_assert_str_eq(d->first, "2026-03-03T12:00:00+09:00");
	mg_report_free(r);
}
END_TEST

START_TEST(removed_attachments)
{
	static const char *const types[] = { "application/zip", "application/x-dosexec",
					     "application/gzip", "application/octet-stream",
					     "image/jpeg", "image/png" };
	static const char *const exts[] = { "zip", "pdf", "", "gz", "jpg", "p7m" };
	mg_report *r = gather_period();

	ck_assert_uint_eq(r->removed_parts, 9);
	assert_keys(r->removed_by_type, types, 6);
	ck_assert_int_eq(count_of(r->removed_by_type, "application/zip"), 3);
	ck_assert_int_eq(count_of(r->removed_by_type, "application/x-dosexec"), 2);
	ck_assert_int_eq(count_of(r->removed_by_type, "image/png"), 1);
	assert_keys(r->removed_by_ext, exts, 6);
	ck_assert_int_eq(count_of(r->removed_by_ext, "zip"), 3);
	ck_assert_int_eq(count_of(r->removed_by_ext, "pdf"), 2);
	ck_assert_int_eq(count_of(r->removed_by_ext, "jpg"), 1);	/* 写真.JPG */
	ck_assert_int_eq(count_of(r->removed_by_ext, ""), 1);	/* no file name */
	mg_report_free(r);
}
END_TEST

START_TEST(type_mismatches)
{
	mg_report *r = gather_period();

	ck_assert_uint_eq(r->mismatch_count, 2);
	ck_assert_uint_eq(r->mismatches->len, 2);
	mg_report_mismatch *m = g_ptr_array_index(r->mismatches, 0);	/* newest first */
	ck_assert_str_eq(m->id, FIX_ID_LIMIT);
	ck_assert_str_eq(m->time, "2026-03-04T09:00:00+09:00");
	ck_assert_str_eq(m->filename, "=1+2.pdf");
	ck_assert_str_eq(m->declared, "application/pdf");
	ck_assert_str_eq(m->true_type, "application/x-dosexec");
	m = g_ptr_array_index(r->mismatches, 1);
	ck_assert_str_eq(m->id, FIX_ID_MISMATCH);
	ck_assert_str_eq(m->time, "2026-03-02T00:00:00+09:00");
	ck_assert_str_eq(m->filename, "議事録.pdf");
	mg_report_free(r);
}
END_TEST

START_TEST(cannot_inspect_kinds)
{
	static const char *const kinds[] = { "password_zip", "archive_depth", "limit", "other",
					     "smime_encrypted" };
	mg_report *r = gather_period();

	assert_keys(r->cannot_inspect, kinds, 5);
	ck_assert_int_eq(count_of(r->cannot_inspect, "password_zip"), 2);
	ck_assert_int_eq(count_of(r->cannot_inspect, "limit"), 1);
	ck_assert_uint_eq(r->cannot_inspect_messages, 5);
	mg_report_free(r);
}
END_TEST

START_TEST(releases)
{
	static const char *const ops[] = { "tanaka via root", "sato via root",
					   "suzuki via root" };
	mg_report *r = gather_period();

	ck_assert_uint_eq(r->releases.count, 4);
	ck_assert_uint_eq(r->releases.messages, 3);
	assert_keys(r->releases.by_operator, ops, 3);
	ck_assert_int_eq(count_of(r->releases.by_operator, "tanaka via root"), 2);
	ck_assert_int_eq(r->releases.median_s, 32401);
	ck_assert_int_eq(r->releases.p90_s, 172800);
	ck_assert_int_eq(r->releases.max_s, 172800);
	mg_report_free(r);
}
END_TEST

/* ---- incident look-ups ------------------------------------------------------------------ */

static const mg_report_rcpt *rcpt_of(const mg_report_hit *h, guint i)
{
	ck_assert_uint_gt(h->rcpts->len, i);
	return g_ptr_array_index(h->rcpts, i);
}

START_TEST(lookup_by_sha256)
{
	char *upper = g_ascii_strup(FIX_SHA_EXE, -1);
	mg_report *r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, upper, NULL);

	ck_assert(r->incident);
	ck_assert_str_eq(r->q.sha256, FIX_SHA_EXE);
	ck_assert_uint_eq(r->days->len, 0);
	ck_assert_uint_eq(r->hits->len, 2);
	mg_report_hit *h = g_ptr_array_index(r->hits, 0);	/* oldest first */
	ck_assert_str_eq(h->id, FIX_ID_MISMATCH);
	ck_assert_str_eq(h->time, "2026-03-02T00:00:00+09:00");
	ck_assert_str_eq(h->subject, "会議資料（第2回）");
	ck_assert_str_eq(h->from_hdr, "山田 太郎 <c@example.net>");
	ck_assert_str_eq(h->matched, "議事録.pdf");
	ck_assert_str_eq(h->status, "released");
	ck_assert_str_eq(h->action, "deliver");
	ck_assert_str_eq(rcpt_of(h, 0)->rcpt, "u2@example.lg.jp");
	ck_assert_str_eq(rcpt_of(h, 0)->released_at, "2026-03-02T12:00:00+09:00");
	ck_assert_str_eq(rcpt_of(h, 0)->released_by, "tanaka via root");
	ck_assert_str_eq(rcpt_of(h, 1)->released_by, "suzuki via root");
	h = g_ptr_array_index(r->hits, 1);
	ck_assert_str_eq(h->id, FIX_ID_LIMIT);
	ck_assert_str_eq(h->mail_from, "");
	ck_assert_str_eq(h->matched, "=1+2.pdf");
	ck_assert_str_eq(h->status, "held");
	ck_assert_uint_eq(h->rcpts->len, 1);
	ck_assert_ptr_null(rcpt_of(h, 0)->released_at);
	mg_report_free(r);
	g_free(upper);
}
END_TEST

START_TEST(lookup_by_virus)
{
	mg_report *r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, NULL,
				"eicar-SIGNATURE");

	ck_assert_uint_eq(r->hits->len, 2);
	mg_report_hit *h = g_ptr_array_index(r->hits, 0);
	ck_assert_str_eq(h->id, FIX_ID_EARLY);
	ck_assert_str_eq(h->matched, "Eicar-Signature");
	ck_assert_str_eq(rcpt_of(h, 0)->released_by, "sato via root");
	h = g_ptr_array_index(r->hits, 1);
	ck_assert_str_eq(h->id, FIX_ID_VIRUS);
	ck_assert_str_eq(h->subject, "【至急】請求書の送付について");
	ck_assert_str_eq(h->action, "reject");
	ck_assert_str_eq(h->client_addr, "192.0.2.25");
	ck_assert_str_eq(rcpt_of(h, 0)->rcpt, "u1@example.lg.jp");
	ck_assert_str_eq(rcpt_of(h, 0)->released_at, "2026-03-08T09:00:00+09:00");
	ck_assert_str_eq(rcpt_of(h, 0)->released_by, "yamada via root");
	ck_assert_str_eq(rcpt_of(h, 1)->rcpt, "u3@example.lg.jp");
	ck_assert_ptr_null(rcpt_of(h, 1)->released_by);
	mg_report_free(r);

	r = gather_q("2026-02-28T15:00:00Z", "2026-03-07T15:00:00Z", 10, NULL, "Eicar-Signature");
	ck_assert_uint_eq(r->hits->len, 1);
	mg_report_free(r);
	r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, NULL, "Eicar");
	ck_assert_uint_eq(r->hits->len, 0);	/* the whole name, not a part */
	mg_report_free(r);
}
END_TEST

START_TEST(lookup_finds_nothing)
{
	mg_report *r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10,
				"0000000000000000000000000000000000000000000000000000000000000000",
				NULL);
	char *text = mg_report_text(r, MG_REPORT_JA), *json = mg_report_json(r);

	ck_assert_uint_eq(r->hits->len, 0);
	ck_assert_ptr_nonnull(strstr(text, "該当するメールはありません"));
	assert_json(json, "$.hits", "[]");
	g_free(text);
	g_free(json);
	mg_report_free(r);
}
END_TEST

/* ---- other indexes -------------------------------------------------------------------- */

START_TEST(index_without_traffic)
{
	setup_empty();
	fill(true);
	mg_report *r = gather_period();
	char *text = mg_report_text(r, MG_REPORT_EN), *json = mg_report_json(r);

	ck_assert(r->no_traffic);
	ck_assert_uint_eq(r->days->len, 7);
	ck_assert_uint_eq(r->total, 0);
	ck_assert_uint_eq(r->top_rcpts->len, 0);
	ck_assert_int_eq(r->sig_age_min, -1);
	ck_assert_uint_eq(r->viruses->len, 1);	/* the kept originals are still there */
	ck_assert_uint_eq(r->releases.count, 4);
	ck_assert_ptr_nonnull(strstr(text, "no traffic records"));
	assert_json(json, "$.traffic_records", "0");
	g_free(text);
	g_free(json);
	mg_report_free(r);
	teardown();
}
END_TEST

START_TEST(empty_period)
{
	mg_report *r = gather_q("2025-01-01T00:00:00Z", "2025-01-03T00:00:00Z", 10, NULL, NULL);
	char *out[3] = { mg_report_text(r, MG_REPORT_JA), mg_report_csv(r, MG_REPORT_EN),
			 mg_report_json(r) };

	ck_assert_uint_eq(r->days->len, 3);	/* 01-01 09:00 JST .. 01-03 09:00 JST */
	ck_assert_uint_eq(r->total, 0);
	ck_assert_uint_eq(r->removed_parts, 0);
	ck_assert_int_eq(r->releases.median_s, -1);
	ck_assert_ptr_nonnull(strstr(out[0], "(なし)"));
	ck_assert_ptr_nonnull(strstr(out[1], "Viruses\r\nname,messages,first,last,recipients\r\n\r\n"));
	assert_json(out[2], "$.releases.median_seconds", "");
	assert_json(out[2], "$.days[2].day", "2025-01-03");
	assert_json(out[2], "$.signatures.age_days_min", "");
	for (int i = 0; i < 3; i++)
		g_free(out[i]);
	mg_report_free(r);
}
END_TEST

/* ---- renderings ----------------------------------------------------------------------- */

/* Display columns of s (wide characters two). */
static guint width_of(const char *s, const char *end)
{
	guint w = 0;

	for (const char *p = s; p < end; p = g_utf8_next_char(p))
		w += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
	return w;
}

/* The line of text that starts with prefix. */
static char *line_of(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && strncmp(p, prefix, strlen(prefix)) != 0)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	ck_assert_msg(p != NULL, "no line starts with '%s' in:\n%s", prefix, text);
	return g_strndup(p, strcspn(p, "\n"));
}

START_TEST(text_japanese_aligned)
{
	mg_report *r = gather_period();
	char *text = mg_report_text(r, MG_REPORT_JA);
	char *head = line_of(text, "日付"), *d1 = line_of(text, "2026-03-01");
	char *t1 = line_of(text, "application/zip"), *t2 = line_of(text, "image/png");

	ck_assert_ptr_nonnull(strstr(text, "mugaika レポート"));
	ck_assert_ptr_nonnull(strstr(text, "2026-03-01T00:00:00+09:00 〜 2026-03-08T00:00:00+09:00"));
	ck_assert_ptr_nonnull(strstr(text, "== 日別の処理結果 =="));
	ck_assert_ptr_nonnull(strstr(text, "議事録.pdf"));
	ck_assert_ptr_nonnull(strstr(text, "パスワード付き ZIP"));
	ck_assert_ptr_nonnull(strstr(text, "tanaka via root"));
	ck_assert_ptr_nonnull(strstr(text, "Eicar-Signature"));
	/* right-aligned numbers end in the same display column */
	ck_assert_uint_eq(width_of(head, head + strlen(head)), width_of(d1, d1 + strlen(d1)));
	ck_assert_uint_eq(width_of(t1, t1 + strlen(t1)), width_of(t2, t2 + strlen(t2)));
	/* the mismatch rows: the file name column starts in the same place */
	char *m1 = line_of(text, "2026-03-04T09:00:00+09:00"),
	     *m2 = line_of(text, "2026-03-02T00:00:00+09:00");
	const char *a = strstr(m1, "application/pdf"), *b = strstr(m2, "application/pdf");
	ck_assert_uint_eq(width_of(m1, a), width_of(m2, b));
	g_free(m1);
	g_free(m2);
	g_free(head);
	g_free(d1);
	g_free(t1);
	g_free(t2);
	g_free(text);
	mg_report_free(r);
}
END_TEST

START_TEST(text_english_and_lookup)
{
	mg_report *r = gather_period();
	char *text = mg_report_text(r, MG_REPORT_EN);

	ck_assert_ptr_nonnull(strstr(text, "mugaika report"));
	ck_assert_ptr_nonnull(strstr(text, "== Outcomes by day =="));
	ck_assert_ptr_nonnull(strstr(text, "password ZIP"));
	ck_assert_ptr_null(strstr(text, "日付"));
	g_free(text);
	mg_report_free(r);
	r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, FIX_SHA_EXE, NULL);
	text = mg_report_text(r, MG_REPORT_JA);
	ck_assert_ptr_nonnull(strstr(text, "会議資料（第2回）"));
	ck_assert_ptr_nonnull(strstr(text, "u2@example.lg.jp  解放日時 2026-03-02T12:00:00+09:00 "
					   "(tanaka via root)"));
	ck_assert_ptr_nonnull(strstr(text, "u2@example.lg.jp  未解放"));
	ck_assert_ptr_nonnull(strstr(text, "<>"));
	g_free(text);
	mg_report_free(r);
}
END_TEST

START_TEST(csv_sections_quoting)
{
	mg_report *r = gather_period();
	char *csv = mg_report_csv(r, MG_REPORT_JA);

	ck_assert(g_str_has_prefix(csv, "\xEF\xBB\xBF概要\r\n項目,値\r\n"));
	ck_assert_ptr_null(strstr(csv, "\n\n"));
	for (const char *p = csv; (p = strchr(p, '\n')); p++)
		ck_assert_msg(p[-1] == '\r', "a bare LF at %ld", (long)(p - csv));
	ck_assert_ptr_nonnull(strstr(csv, "\r\n\r\n日別の処理結果\r\n日付,配送（そのまま）,無害化,"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\n2026-03-05,0,1,0,0,0,0,1,1,1,2,4,4,27001\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\n2026-03-06,0,0,0,0,0,0,0,0,0,0,,,\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\n合計,2,2,1,1,1,1,1,8,1,9,0,6,27001\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\nEicar-Signature,1,2026-03-02T10:00:00+09:00,"
					  "2026-03-02T10:00:00+09:00,u1@example.lg.jp "
					  "u3@example.lg.jp\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, ",\"'=1+2.pdf\",application/pdf,"));
	ck_assert_ptr_nonnull(strstr(csv, ",議事録.pdf,application/pdf,application/x-dosexec\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\nパスワード付き ZIP,2\r\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\r\n到着から解放まで (中央値),9:00:01\r\n"));
	g_free(csv);
	mg_report_free(r);
	r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, NULL, "Heuristics.Encrypted.Zip");
	csv = mg_report_csv(r, MG_REPORT_EN);
	ck_assert_ptr_nonnull(strstr(csv, ",\"'=cmd|' /C calc'!A0\","));
	ck_assert_ptr_nonnull(strstr(csv, ",営業部 <eigyo@bad.example>,"));
	g_free(csv);
	mg_report_free(r);
}
END_TEST

START_TEST(json_all_sections)
{
	mg_report *r = gather_period();
	char *json = mg_report_json(r);

	assert_json(json, "$.report", "period");
	assert_json(json, "$.period.since", "2026-03-01T00:00:00+09:00");
	assert_json(json, "$.period.days", "7");
	assert_json(json, "$.totals.passed", "2");
	assert_json(json, "$.totals.cannot_inspect", "1");
	assert_json(json, "$.totals.tempfail", "1");
	assert_json(json, "$.totals.total", "9");
	assert_json(json, "$.totals.bytes_in", "45000");
	assert_json(json, "$.days[1].day", "2026-03-02");
	assert_json(json, "$.days[1].kept", "1");
	assert_json(json, "$.days[1].sig_age_min", "0");
	assert_json(json, "$.days[3].sig_age_min", "");
	assert_json(json, "$.viruses[0].name", "Eicar-Signature");
	assert_json(json, "$.viruses[0].rcpts", "[\"u1@example.lg.jp\",\"u3@example.lg.jp\"]");
	assert_json(json, "$.suspicious[0].messages", "1");
	assert_json(json, "$.removed.parts", "9");
	assert_json(json, "$.removed_by_type[0].type", "application/zip");
	assert_json(json, "$.removed_by_extension[2].extension", "");
	assert_json(json, "$.mismatches[1].filename", "議事録.pdf");
	assert_json(json, "$.cannot_inspect.messages", "5");
	assert_json(json, "$.cannot_inspect_by_kind[0].kind", "password_zip");
	assert_json(json, "$.top_sender_domains[2].domain", "<>");
	assert_json(json, "$.top_recipients[0].count", "5");
	assert_json(json, "$.releases.median_seconds", "32401");
	assert_json(json, "$.releases_by_operator[0].operator", "tanaka via root");
	assert_json(json, "$.signatures.version_min", "27000");
	g_free(json);
	mg_report_free(r);
	r = gather_q("1970-01-01T00:00:00Z", "2026-03-10T00:00:00Z", 10, NULL, "eicar-signature");
	json = mg_report_json(r);
	assert_json(json, "$.report", "incident");
	assert_json(json, "$.query.virus", "eicar-signature");
	assert_json(json, "$.hits[1].subject", "【至急】請求書の送付について");
	assert_json(json, "$.hits[1].rcpts[0].released_by", "yamada via root");
	assert_json(json, "$.hits[1].rcpts[1].released_at", "");
	g_free(json);
	mg_report_free(r);
}
END_TEST

START_TEST(render_dispatch)
{
	mg_report *r = gather_period();
	char *a = mg_report_render(r, MG_REPORT_JSON, MG_REPORT_JA), *b = mg_report_json(r);
	char *html = mg_report_render(r, MG_REPORT_HTML, MG_REPORT_JA);

	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(html);
	ck_assert(g_ascii_strncasecmp(html, "<!DOCTYPE html", 14) == 0);
	g_free(a);
	g_free(b);
	g_free(html);
	mg_report_free(r);
}
END_TEST

/* ---- main ------------------------------------------------------------------------------ */

static Suite *suite(void)
{
	Suite *s = suite_create("report");
	TCase *gather = tcase_create("gather"), *lookup = tcase_create("lookup"),
	      *render = tcase_create("render"), *other = tcase_create("other");

	tcase_add_checked_fixture(gather, setup, teardown);
	tcase_add_test(gather, totals_by_outcome);
	tcase_add_test(gather, every_day_with_zeros);
	tcase_add_test(gather, time_zone_day_boundaries);
	tcase_add_test(gather, signature_age);
	tcase_add_test(gather, top_senders_and_recipients);
	tcase_add_test(gather, viruses_and_suspicious);
	tcase_add_test(gather, removed_attachments);
	tcase_add_test(gather, type_mismatches);
	tcase_add_test(gather, cannot_inspect_kinds);
	tcase_add_test(gather, releases);
	suite_add_tcase(s, gather);
	tcase_add_checked_fixture(lookup, setup, teardown);
	tcase_add_test(lookup, lookup_by_sha256);
	tcase_add_test(lookup, lookup_by_virus);
	tcase_add_test(lookup, lookup_finds_nothing);
	suite_add_tcase(s, lookup);
	tcase_add_checked_fixture(render, setup, teardown);
	tcase_add_test(render, empty_period);
	tcase_add_test(render, text_japanese_aligned);
	tcase_add_test(render, text_english_and_lookup);
	tcase_add_test(render, csv_sections_quoting);
	tcase_add_test(render, json_all_sections);
	tcase_add_test(render, render_dispatch);
	suite_add_tcase(s, render);
	tcase_add_test(other, index_without_traffic);
	suite_add_tcase(s, other);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
