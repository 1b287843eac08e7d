/*
 * fixture.c - the known quarantine behind the report tests (fixture.h),
 * written through the store's write side: mg_store_keep,
 * mg_store_mark_released (then its times set to known ones) and
 * mg_store_add_traffic.
 *
 * Period of the tests: --since 2026-03-01 --until 2026-03-08 in
 * Asia/Tokyo (UTC+9): [2026-02-28T15:00:00Z, 2026-03-07T15:00:00Z).
 *
 * Traffic records (UTC, outcome, direction, sender, recipients, signature
 * version and build time, size_in):
 *   t1  02-28T14:59:59  passed     in   x@early.example   u1         -> JST 02-28: outside
 *   t2  02-28T15:00:00  passed     in   a@example.com     u1         v27000 02-27T00  1000
 *   t3  03-01T14:59:59  sanitized  in   b@example.com     u1,u2      v27000 02-27T00  2000
 *   t4  03-01T15:00:00  kept       in   c@Example.NET     U2         v27001 03-01T00  3000
 *   t5  03-02T01:00:00  virus      in   evil@bad.example  u1,u3      v27001 03-01T00  4000
 *   t6  03-03T03:00:00  suspicious in   evil@bad.example  u3         v27001 03-01T00  5000
 *   t7  03-04T00:00:00  cannot_inspect in  <>             u2         (no scanner)     6000
 *   t8  03-05T06:00:00  tempfail   in   a@example.com     u1         v27001 03-01T00  7000
 *   t9  03-05T07:00:00  sanitized  out  u1@example.lg.jp  partner@example.org  v27001  8000
 *   t10 03-07T14:59:59  passed     in   a@example.com     u1         v27001 03-01T00  9000
 *   t11 03-07T15:00:00  passed     in   a@example.com     u1         -> JST 03-08: outside
 * (uN = uN@example.lg.jp.)  Expected, JST days: 03-01 passed 1 sanitized 1
 * (t3 at 23:59:59), age 1..2, v27000; 03-02 kept 1 (t4 at 00:00:00) virus
 * 1, age 0..1; 03-03 suspicious 1, age 2; 03-04 cannot_inspect 1, age
 * unknown; 03-05 tempfail 1 sanitized 1 (in 1, out 1), age 4; 03-06
 * nothing; 03-07 passed 1, age 6.  Totals 9: passed 2, sanitized 2, kept
 * 1, suspicious 1, cannot_inspect 1, virus 1, tempfail 1; in 8, out 1;
 * bytes 45000; age 0..6; versions 27000..27001.  Sender domains:
 * example.com 4, bad.example 2, <> 1, example.lg.jp 1, example.net 1.
 * Recipients: u1 5, u2 3, u3 2, partner@example.org 1.
 *
 * Kept originals (received UTC; removed parts: name, declared, true type,
 * findings; detections):
 *   EARLY    02-28T14:59:59 (outside)  請求書.zip  Eicar-Signature (virus)
 *   MISMATCH 03-01T15:00:00  議事録.pdf pdf/x-dosexec [executable,
 *            type_mismatch] (FIX_SHA_EXE); 写真.JPG jpeg/jpeg; no name png/png
 *   VIRUS    03-02T01:00:00  請求書.zip zip/zip (FIX_SHA_VIRUS_ZIP); Eicar-Signature
 *   SUSPICIOUS 03-03T03:00  見積書.zip zip/zip [encrypted_archive];
 *            Heuristics.Encrypted.Zip (suspicious); subject "=cmd|' /C calc'!A0"
 *   LIMIT    03-04T00:00:00  =1+2.pdf pdf/x-dosexec [executable,
 *            type_mismatch] (FIX_SHA_EXE); nest.tar.gz gzip/gzip
 *            [archive_depth]; limits [scan_max_files]
 *   BADJSON  03-05T00:00:00  verdict "{broken": counts for nothing
 *   SMIME    03-05T06:00:00  smime.p7m pkcs7-mime/octet-stream [smime_encrypted]
 *   OTHER    03-06T00:00:00  reason cannot_inspect, nothing removed
 *   PWZIP    03-06T01:00:00  パスワード付き.zip zip/zip [encrypted_archive]
 * Expected: viruses Eicar-Signature 1 message (u1, u3); suspicious
 * Heuristics.Encrypted.Zip 1 (u3); 9 parts removed: application/zip 3,
 * application/x-dosexec 2, then 1 each application/gzip,
 * application/octet-stream, image/jpeg, image/png; extensions zip 3, pdf
 * 2, then 1 each "", gz, jpg, p7m; 2 mismatches (LIMIT's, then
 * MISMATCH's); cannot inspect: password_zip 2, then 1 each
 * archive_depth, limit, other, smime_encrypted, in 5 messages.
 *
 * Releases (released_at UTC, operator): MISMATCH u2 03-02T03:00 tanaka
 * (12 h after arrival); MISMATCH u4 03-03T15:00 suzuki (48 h);
 * SUSPICIOUS u3 03-03T04:00 tanaka (1 h); EARLY u1 03-01T00:00 sato
 * (9 h 0 min 1 s); VIRUS u1 03-08T00:00 yamada (outside the period).
 * Expected: 4 recipients, 3 messages; tanaka 2, sato 1, suzuki 1; median
 * 32401 s, 90th percentile and longest 172800 s.  (Operators are
 * "NAME via root".)
 */
#include "fixture.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit.h"
#include "quarantine.h"

#define U1 "u1@example.lg.jp"
#define U2 "u2@example.lg.jp"
#define U3 "u3@example.lg.jp"
#define U4 "u4@example.lg.jp"

/* ---- kept originals ---------------------------------------------------------- */

typedef struct {
	const char *id, *received, *mail_from, *rcpts, *verdict;
} kept_item;

#define PART(name, declared, true_type, sha, findings, detection) \
	"{\"part\": \"2\", \"filename\": " name ", \"content_type\": \"" declared "\"," \
	" \"disposition\": \"attachment\", \"size\": 100, \"sha256\": \"" sha "\"," \
	" \"why\": \"attachment\", \"true_type\": \"" true_type "\", \"detection\": " \
	detection ", \"findings\": [" findings "], \"members\": []}"
#define VERDICT(action, reasons, from, subject, removed, detections, limits) \
	"{\"version\": 1, \"action\": \"" action "\", \"reasons\": [" reasons "]," \
	" \"from\": \"" from "\", \"subject\": \"" subject "\", \"removed\": [" removed "]," \
	" \"detections\": [" detections "], \"limits\": [" limits "], \"warnings\": []}"
#define EICAR "{\"part\": \"2\", \"filename\": \"請求書.zip\", \"name\": \"Eicar-Signature\"," \
	" \"kind\": \"virus\"}"

static const kept_item kept_items[] = {
	{ FIX_ID_EARLY, "2026-02-28T14:59:59Z", "evil@bad.example", U1,
	  VERDICT("reject", "\"virus\", \"attachment\"", "経理部 <keiri@bad.example>",
		  "請求書の送付", PART("\"請求書.zip\"", "application/zip", "application/zip",
				      FIX_SHA_VIRUS_ZIP, "", "\"Eicar-Signature\""), EICAR, "") },
	{ FIX_ID_MISMATCH, "2026-03-01T15:00:00Z", "c@Example.NET", U2 "," U4,
	  VERDICT("deliver", "\"attachment\", \"inline\"", "山田 太郎 <c@example.net>",
		  "会議資料（第2回）",
		  PART("\"議事録.pdf\"", "application/pdf", "application/x-dosexec", FIX_SHA_EXE,
		       "\"executable\", \"type_mismatch\"", "null") ", "
		  PART("\"写真.JPG\"", "image/jpeg", "image/jpeg",
		       "4444444444444444444444444444444444444444444444444444444444444444", "",
		       "null") ", "
		  PART("null", "image/png", "image/png",
		       "5555555555555555555555555555555555555555555555555555555555555555", "",
		       "null"), "", "") },
	{ FIX_ID_VIRUS, "2026-03-02T01:00:00Z", "evil@bad.example", U1 "," U3,
	  VERDICT("reject", "\"virus\", \"attachment\"", "経理部 <keiri@bad.example>",
		  "【至急】請求書の送付について",
		  PART("\"請求書.zip\"", "application/zip", "application/zip", FIX_SHA_VIRUS_ZIP,
		       "", "\"Eicar-Signature\""), EICAR, "") },
	{ FIX_ID_SUSPICIOUS, "2026-03-03T03:00:00Z", "evil@bad.example", U3,
	  VERDICT("deliver", "\"suspicious\", \"attachment\", \"encrypted\", \"cannot_inspect\"",
		  "営業部 <eigyo@bad.example>", "=cmd|' /C calc'!A0",
		  PART("\"見積書.zip\"", "application/zip", "application/zip",
		       "2222222222222222222222222222222222222222222222222222222222222222",
		       "\"encrypted_archive\"", "\"Heuristics.Encrypted.Zip\""),
		  "{\"part\": \"2\", \"filename\": \"見積書.zip\", \"name\": "
		  "\"Heuristics.Encrypted.Zip\", \"kind\": \"suspicious\"}", "") },
	{ FIX_ID_LIMIT, "2026-03-04T00:00:00Z", "", U2,
	  VERDICT("deliver", "\"attachment\", \"cannot_inspect\", \"limit\"", "議事録係",
		  "Fwd: 議事録",
		  PART("\"=1+2.pdf\"", "application/pdf", "application/x-dosexec", FIX_SHA_EXE,
		       "\"executable\", \"type_mismatch\"", "null") ", "
		  PART("\"nest.tar.gz\"", "application/gzip", "application/gzip",
		       "6666666666666666666666666666666666666666666666666666666666666666",
		       "\"archive_depth\"", "null"), "",
		  "{\"name\": \"scan_max_files\", \"limit\": 100, \"seen\": 101}") },
	{ FIX_ID_BADJSON, "2026-03-05T00:00:00Z", "a@example.com", U1, "{broken" },
	{ FIX_ID_SMIME, "2026-03-05T06:00:00Z", "a@example.com", U1,
	  VERDICT("deliver", "\"encrypted\", \"cannot_inspect\"", "a@example.com", "暗号化メール",
		  PART("\"smime.p7m\"", "application/pkcs7-mime", "application/octet-stream",
		       "7777777777777777777777777777777777777777777777777777777777777777",
		       "\"smime_encrypted\"", "null"), "", "") },
	{ FIX_ID_OTHER, "2026-03-06T00:00:00Z", "a@example.com", U1,
	  VERDICT("deliver", "\"cannot_inspect\"", "a@example.com", "その他", "", "", "") },
	{ FIX_ID_PWZIP, "2026-03-06T01:00:00Z", "b@example.com", U2,
	  VERDICT("deliver", "\"attachment\", \"encrypted\", \"cannot_inspect\"",
		  "b@example.com", "パスワード付きファイルの送付",
		  PART("\"パスワード付き.zip\"", "application/zip", "application/zip",
		       "8888888888888888888888888888888888888888888888888888888888888888",
		       "\"encrypted_archive\"", "null"), "", "") },
};

static time_t utc(const char *text)
{
	GTimeZone *z = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(text, z);
	time_t t = dt ? (time_t)g_date_time_to_unix(dt) : 0;

	if (dt)
		g_date_time_unref(dt);
	g_time_zone_unref(z);
	return t;
}

static bool keep_one(mg_store *s, const kept_item *k, char **err)
{
	mg_envelope *e = mg_envelope_new();
	char **rcpts = g_strsplit(k->rcpts, ",", -1);
	char *raw = g_strdup_printf("From: someone\r\nSubject: test\r\nMessage-ID: <%s@test>\r\n"
				    "\r\nbody\r\n", k->id);

	e->mail_from = g_strdup(k->mail_from);
	for (int i = 0; rcpts[i]; i++)
		g_ptr_array_add(e->rcpts, g_strdup(rcpts[i]));
	e->client_addr = g_strdup("192.0.2.25");
	e->received = utc(k->received);
	char *key = mg_store_retry_key(raw, strlen(raw), e);
	bool ok = mg_store_keep(s, k->id, key, raw, strlen(raw), e, k->verdict, err);
	g_free(key);
	g_free(raw);
	g_strfreev(rcpts);
	mg_envelope_free(e);
	return ok;
}

/* ---- releases ------------------------------------------------------------------- */

typedef struct {
	const char *id, *rcpt, *at, *who;
} release_item;

static const release_item releases[] = {
	{ FIX_ID_MISMATCH, U2, "2026-03-02T03:00:00Z", "tanaka" },
	{ FIX_ID_MISMATCH, U4, "2026-03-03T15:00:00Z", "suzuki" },
	{ FIX_ID_SUSPICIOUS, U3, "2026-03-03T04:00:00Z", "tanaka" },
	{ FIX_ID_EARLY, U1, "2026-03-01T00:00:00Z", "sato" },
	{ FIX_ID_VIRUS, U1, "2026-03-08T00:00:00Z", "yamada" },
};

static bool set_release_time(mg_store *s, const release_item *x, char **err)
{
	sqlite3 *db = (sqlite3 *)mg_store_sqlite(s);
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db, "UPDATE recipients SET released_at = ?1"
				     " WHERE id = ?2 AND rcpt = ?3", -1, &st, NULL) == SQLITE_OK;

	if (ok) {
		sqlite3_bind_text(st, 1, x->at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, x->rcpt, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1;
	}
	if (!ok)
		*err = g_strdup_printf("release time of %s: %s", x->id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

static bool release_one(mg_store *s, const release_item *x, char **err)
{
	mg_audit_row *r = mg_audit_row_new("release", x->id, 0);
	char *rcpt = (char *)x->rcpt;

	mg_audit_set(&r->user, "root");
	mg_audit_set(&r->sudo_user, x->who);
	bool ok = mg_store_mark_released(s, x->id, &rcpt, 1, r, err) &&
		  set_release_time(s, x, err);
	mg_audit_row_free(r);
	return ok;
}

/* ---- traffic records ---------------------------------------------------------------- */

typedef struct {
	const char *at, *outcome, *direction, *mail_from, *rcpts;
	unsigned sig_version;
	const char *sig_time;
	guint64 size_in;
} traffic_item;

static const traffic_item traffic_items[] = {
	{ "2026-02-28T14:59:59Z", "passed", "inbound", "x@early.example", U1, 27000,
	  "2026-02-27T00:00:00Z", 100 },
	{ "2026-02-28T15:00:00Z", "passed", "inbound", "a@example.com", U1, 27000,
	  "2026-02-27T00:00:00Z", 1000 },
	{ "2026-03-01T14:59:59Z", "sanitized", "inbound", "b@example.com", U1 "," U2, 27000,
	  "2026-02-27T00:00:00Z", 2000 },
	{ "2026-03-01T15:00:00Z", "kept", "inbound", "c@Example.NET", "U2@example.lg.jp",
	  27001, "2026-03-01T00:00:00Z", 3000 },
	{ "2026-03-02T01:00:00Z", "virus", "inbound", "evil@bad.example", U1 "," U3, 27001,
	  "2026-03-01T00:00:00Z", 4000 },
	{ "2026-03-03T03:00:00Z", "suspicious", "inbound", "evil@bad.example", U3, 27001,
	  "2026-03-01T00:00:00Z", 5000 },
	{ "2026-03-04T00:00:00Z", "cannot_inspect", "inbound", "", U2, 0, NULL, 6000 },
	{ "2026-03-05T06:00:00Z", "tempfail", "inbound", "a@example.com", U1, 27001,
	  "2026-03-01T00:00:00Z", 7000 },
	{ "2026-03-05T07:00:00Z", "sanitized", "outbound", U1, "partner@example.org", 27001,
	  "2026-03-01T00:00:00Z", 8000 },
	{ "2026-03-07T14:59:59Z", "passed", "inbound", "a@example.com", U1, 27001,
	  "2026-03-01T00:00:00Z", 9000 },
	{ "2026-03-07T15:00:00Z", "passed", "inbound", "a@example.com", U1, 27001,
	  "2026-03-01T00:00:00Z", 100 },
};

static mg_traffic *traffic_of(const traffic_item *x)
{
	mg_traffic *t = mg_traffic_new();
	char **rcpts = g_strsplit(x->rcpts, ",", -1);

	t->at = utc(x->at);
	t->outcome = g_strdup(x->outcome);
	t->direction = g_strdup(x->direction);
	t->mail_from = g_strdup(x->mail_from);
	for (int i = 0; rcpts[i]; i++)
		g_ptr_array_add(t->rcpts, g_strdup(rcpts[i]));
	t->sig_version = x->sig_version;
	t->sig_time = x->sig_time ? utc(x->sig_time) : 0;
	t->size_in = x->size_in;
	t->client_addr = g_strdup("192.0.2.25");
	g_strfreev(rcpts);
	return t;
}

static bool add_traffic(mg_store *s, char **err)
{
	guint n = G_N_ELEMENTS(traffic_items);
	mg_traffic **rows = g_new0(mg_traffic *, n);

	for (guint i = 0; i < n; i++)
		rows[i] = traffic_of(&traffic_items[i]);
	bool ok = mg_store_add_traffic(s, rows, n, err);
	for (guint i = 0; i < n; i++)
		mg_traffic_free(rows[i]);
	g_free(rows);
	return ok;
}

/* ---- the whole ------------------------------------------------------------------------- */

/* A datagram socket at path for the audit announcements, when none is there. */
static int bind_log(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path || !*path || access(path, F_OK) == 0 || strlen(path) >= sizeof sa.sun_path)
		return -1;
	g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool drop_traffic(mg_store *s, char **err)
{
	char *msg = NULL;
	sqlite3 *db = (sqlite3 *)mg_store_sqlite(s);

	if (sqlite3_exec(db, "DROP TABLE traffic; DELETE FROM schema_version WHERE version >= 3",
			 NULL, NULL, &msg) == SQLITE_OK)
		return true;
	*err = g_strdup_printf("cannot drop the traffic table: %s", msg ? msg : "?");
	sqlite3_free(msg);
	return false;
}

bool report_fixture_fill(const mg_config *cfg, bool no_traffic, char **err)
{
	int logfd = bind_log(cfg->audit_syslog_socket);
	mg_store *s = mg_store_open(cfg, err);
	bool ok = s != NULL;

	for (size_t i = 0; ok && i < G_N_ELEMENTS(kept_items); i++)
		ok = keep_one(s, &kept_items[i], err);
	for (size_t i = 0; ok && i < G_N_ELEMENTS(releases); i++)
		ok = release_one(s, &releases[i], err);
	ok = ok && add_traffic(s, err);
	ok = ok && (!no_traffic || drop_traffic(s, err));
	mg_store_close(s);
	if (logfd >= 0) {
		close(logfd);
		unlink(cfg->audit_syslog_socket);
	}
	return ok;
}
