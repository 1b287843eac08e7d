/*
 * report.c - gathering mugaika report's numbers from the quarantine index
 * (see report.h).
 *
 * SYNOPSIS
 *	mg_report *mg_report_gather(mg_store *s, const mg_report_query *q, char **err);
 *	void mg_report_free(mg_report *r);
 *	const char *mg_outcome_name(mg_outcome o);
 *	int mg_outcome_from_name(const char *name);
 *	void mg_report_count_free(gpointer p); (and _detection_, _mismatch_,
 *	_rcpt_, _hit_free: the arrays' element free functions)
 *
 * DESCRIPTION
 *	mg_report_gather runs read-only SQL on the store's handle
 *	(mg_store_sqlite), one query per section, with SQLite's JSON functions
 *	(json_each, json_extract) taking the verdicts apart; nothing parses
 *	JSON in C.  The period [since, until) is compared as UTC text
 *	("YYYY-MM-DDTHH:MM:SSZ"): traffic.at for the traffic records,
 *	messages.received for the kept originals, recipients.released_at for
 *	releases.  A verdict that is not valid JSON counts as empty.
 *
 *	All queries run in one read transaction (one snapshot of the
 *	index, while the milter goes on writing).
 *
 *	Local days are made in C, never with SQLite's 'localtime': the
 *	traffic records are first summed per UTC minute (every zone's offset
 *	is whole minutes), and each minute is put on its local day with
 *	localtime_r in the zone of TZ (tzset() is called first).  Every day
 *	of the period gets a row, zeros included.
 *
 *	Every string taken from the index is made one safe line of UTF-8
 *	(the rules of mg_cli_display: TAB and line breaks become spaces,
 *	control, bidi and invisible format characters "?").
 *
 *	Kinds of what could not be inspected, counted in messages: the
 *	removed parts' findings encrypted_archive (as password_zip),
 *	encrypted_document, smime_encrypted, pgp_encrypted,
 *	archive_unreadable, archive_bomb, archive_depth; limit (the
 *	verdict's limits are not empty, or reason limit); other (reason
 *	cannot_inspect and none of these).  Release times are nearest-rank
 *	percentiles of (released_at - received).
 *
 * DIAGNOSTICS
 *	NULL with *err (caller frees) when a query fails.
 */
#include "report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define DAY 86400
#define MAX_MISMATCHES 100

static const char *const outcome_names[MG_OC_COUNT] = {
	"passed", "sanitized", "kept", "suspicious", "cannot_inspect", "virus", "tempfail",
};

const char *mg_outcome_name(mg_outcome o)
{
	return (unsigned)o < MG_OC_COUNT ? outcome_names[o] : NULL;
}

int mg_outcome_from_name(const char *name)
{
	for (int i = 0; name && i < MG_OC_COUNT; i++)
		if (strcmp(outcome_names[i], name) == 0)
			return i;
	return -1;
}

void mg_report_count_free(gpointer p)
{
	mg_report_count *c = p;

	g_free(c->key);
	g_free(c);
}

void mg_report_detection_free(gpointer p)
{
	mg_report_detection *d = p;

	g_free(d->name);
	g_ptr_array_unref(d->rcpts);
	g_free(d->first);
	g_free(d->last);
	g_free(d);
}

void mg_report_mismatch_free(gpointer p)
{
	mg_report_mismatch *m = p;

	g_free(m->time);
	g_free(m->id);
	g_free(m->filename);
	g_free(m->declared);
	g_free(m->true_type);
	g_free(m);
}

void mg_report_rcpt_free(gpointer p)
{
	mg_report_rcpt *r = p;

	g_free(r->rcpt);
	g_free(r->released_at);
	g_free(r->released_by);
	g_free(r);
}

void mg_report_hit_free(gpointer p)
{
	mg_report_hit *h = p;

	g_free(h->id);
	g_free(h->time);
	g_free(h->mail_from);
	g_free(h->from_hdr);
	g_free(h->subject);
	g_free(h->client_addr);
	g_free(h->action);
	g_free(h->status);
	g_free(h->matched);
	g_ptr_array_unref(h->rcpts);
	g_free(h);
}

static void array_free(GPtrArray *a)
{
	if (a)
		g_ptr_array_unref(a);
}

void mg_report_free(mg_report *r)
{
	if (!r)
		return;
	g_free((char *)r->q.sha256);
	g_free((char *)r->q.virus);
	g_free(r->since_text);
	g_free(r->until_text);
	g_free(r->made_text);
	g_free(r->hostname);
	array_free(r->days);
	array_free(r->viruses);
	array_free(r->suspicious);
	array_free(r->removed_by_type);
	array_free(r->removed_by_ext);
	array_free(r->mismatches);
	array_free(r->cannot_inspect);
	array_free(r->top_sender_domains);
	array_free(r->top_rcpts);
	array_free(r->releases.by_operator);
	array_free(r->hits);
	g_free(r);
}

/* ---- times and text --------------------------------------------------------- */

static void utc_text(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "YYYY-MM-DDTHH:MM[:SS]..." (UTC) as a time; 0 when it is not one. */
static time_t parse_utc(const char *text)
{
	struct tm tm = { 0 };

	if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
			    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 5)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* t as local ISO 8601 with its offset, "2026-11-22T15:30:00+09:00". */
static char *local_iso(time_t t)
{
	struct tm tm;
	char buf[40];

	localtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof buf - 1, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n >= 5 && (buf[n - 5] == '+' || buf[n - 5] == '-')) {
		memmove(buf + n - 1, buf + n - 2, 3);	/* "+0900" -> "+09:00" */
		buf[n - 2] = ':';
	}
	return g_strdup(buf);
}

static char *local_of_utc(const char *utc)
{
	return utc ? local_iso(parse_utc(utc)) : NULL;
}

static void local_day(time_t t, char out[11])
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* s as one safe line (mg_cli_display's rules); NULL stays NULL. */
static char *safe(const char *s)
{
	return s ? mg_display_line(s) : NULL;
}

/* ---- queries ------------------------------------------------------------------ */

typedef struct {
	sqlite3 *db;
	mg_report *r;
	char since[32], until[32];      /* the period as UTC text: ?1, ?2 */
	char **err;
} gather_ctx;

static bool fail(gather_ctx *g, const char *what)
{
	if (g->err && !*g->err)
		*g->err = g_strdup_printf("quarantine_db: %s: %s", what, sqlite3_errmsg(g->db));
	return false;
}

/* sql prepared with the period bound to ?1 and ?2; NULL after fail(). */
static sqlite3_stmt *query(gather_ctx *g, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(g->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(g, "cannot prepare a report query");
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_text(st, 1, g->since, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, g->until, -1, SQLITE_STATIC);
	return st;
}

/* Finalizes st after its last step rc. */
static bool finish(gather_ctx *g, sqlite3_stmt *st, int rc)
{
	bool ok = rc == SQLITE_DONE || fail(g, "cannot read the report's data");

	sqlite3_finalize(st);
	return ok;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static char *col_safe(sqlite3_stmt *st, int i)
{
	return safe(col(st, i));
}

static gint64 col_int(sqlite3_stmt *st, int i, gint64 null_value)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? null_value
							 : sqlite3_column_int64(st, i);
}

/* The kept originals of the period whose verdict is valid JSON. */
#define KEPT_CTE "WITH v AS (SELECT id, received, reasons, mail_from, from_hdr, subject," \
	" client_addr, action, status, verdict AS j FROM messages" \
	" WHERE received >= ?1 AND received < ?2 AND json_valid(verdict)) "
/* x's value when x (a json_each row) is an object, else an empty one. */
#define OBJ(x) "(CASE WHEN " x ".type = 'object' THEN " x ".value ELSE '{}' END)"

/* ---- counting by key ------------------------------------------------------------- */

/* Counts: key -> mg_report_count* (the table owns neither). */
static void count_add(GHashTable *h, GPtrArray *all, const char *key, guint64 n)
{
	mg_report_count *c = g_hash_table_lookup(h, key);

	if (!c) {
		c = g_new0(mg_report_count, 1);
		c->key = g_strdup(key);
		g_hash_table_insert(h, c->key, c);
		g_ptr_array_add(all, c);
	}
	c->count += n;
}

static gint count_cmp(gconstpointer a, gconstpointer b)
{
	const mg_report_count *x = *(mg_report_count *const *)a;
	const mg_report_count *y = *(mg_report_count *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static GPtrArray *counts_new(void)
{
	return g_ptr_array_new_with_free_func(mg_report_count_free);
}

/* ---- the days: outcomes, directions, signatures (traffic) ------------------------- */

static void make_days(mg_report *r, GHashTable *by_day)
{
	struct tm tm;
	time_t t = r->q.since;

	localtime_r(&t, &tm);
	for (;;) {
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if (mktime(&tm) >= r->q.until)
			break;
		mg_report_day *d = g_new0(mg_report_day, 1);
		strftime(d->day, sizeof d->day, "%Y-%m-%d", &tm);
		d->sig_age_min = d->sig_age_max = -1;
		g_ptr_array_add(r->days, d);
		g_hash_table_insert(by_day, d->day, d);
		tm.tm_mday++;
	}
}

static void age_merge(gint64 *lo, gint64 *hi, gint64 min, gint64 max)
{
	if (min >= 0 && (*lo < 0 || min < *lo))
		*lo = min;
	if (max >= 0 && max > *hi)
		*hi = max;
}

static void version_merge(unsigned *lo, unsigned *hi, gint64 min, gint64 max)
{
	if (min > 0 && (*lo == 0 || (unsigned)min < *lo))
		*lo = (unsigned)min;
	if (max > 0 && (unsigned)max > *hi)
		*hi = (unsigned)max;
}

/* One row of the per-minute sums. */
static void add_minute(mg_report *r, GHashTable *by_day, sqlite3_stmt *st)
{
	char day[11];
	guint64 n = (guint64)col_int(st, 3, 0);
	int oc = mg_outcome_from_name(col(st, 1));
	bool out = g_strcmp0(col(st, 2), "outbound") == 0;
	gint64 amin = col_int(st, 4, -1), amax = col_int(st, 5, -1);

	local_day(parse_utc(col(st, 0)), day);
	mg_report_day *d = g_hash_table_lookup(by_day, day);
	if (!d)
		return;	/* cannot happen: the query keeps to the period */
	d->total += n;
	r->total += n;
	if (oc >= 0) {
		d->n[oc] += n;
		r->n[oc] += n;
	}
	*(out ? &d->outbound : &d->inbound) += n;
	*(out ? &r->outbound : &r->inbound) += n;
	age_merge(&d->sig_age_min, &d->sig_age_max, amin, amax);
	age_merge(&r->sig_age_min, &r->sig_age_max, amin, amax);
	if (col_int(st, 6, 0) > (gint64)d->sig_version_max)
		d->sig_version_max = (unsigned)col_int(st, 6, 0);
	version_merge(&r->sig_version_min, &r->sig_version_max, col_int(st, 7, 0),
		      col_int(st, 6, 0));
	r->bytes_in += (guint64)col_int(st, 8, 0);
}

static bool gather_days(gather_ctx *g)
{
	GHashTable *by_day = g_hash_table_new(g_str_hash, g_str_equal);
	int rc = SQLITE_DONE;

	make_days(g->r, by_day);
	sqlite3_stmt *st = g->r->no_traffic ? NULL : query(g,
		"SELECT substr(at, 1, 16), outcome, direction, count(*),"
		" min((unixepoch(at) - unixepoch(sig_time)) / 86400),"
		" max((unixepoch(at) - unixepoch(sig_time)) / 86400),"
		" max(nullif(sig_version, 0)), min(nullif(sig_version, 0)), sum(size_in)"
		" FROM traffic WHERE at >= ?1 AND at < ?2 GROUP BY 1, 2, 3");
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		add_minute(g->r, by_day, st);
	g_hash_table_unref(by_day);
	return g->r->no_traffic || (st && finish(g, st, rc));
}

/* ---- top senders and recipients (traffic) ----------------------------------------- */

static bool gather_top(gather_ctx *g, const char *sql, GPtrArray *into)
{
	int rc;
	sqlite3_stmt *st = query(g, sql);

	if (!st)
		return false;
	sqlite3_bind_int64(st, 3, g->r->q.top ? (sqlite3_int64)g->r->q.top : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mg_report_count *c = g_new0(mg_report_count, 1);
		c->key = col_safe(st, 0);
		c->count = (guint64)col_int(st, 1, 0);
		g_ptr_array_add(into, c);
	}
	return finish(g, st, rc);
}

static bool gather_tops(gather_ctx *g)
{
	if (g->r->no_traffic)
		return true;
	return gather_top(g, "SELECT CASE WHEN mail_from = '' THEN '<>' ELSE"
			  " lower(substr(mail_from, instr(mail_from, '@') + 1)) END AS d,"
			  " count(*) AS n FROM traffic WHERE at >= ?1 AND at < ?2"
			  " GROUP BY d ORDER BY n DESC, d LIMIT ?3", g->r->top_sender_domains) &&
	       gather_top(g, "SELECT lower(j.value) AS a, count(*) AS n FROM traffic t,"
			  " json_each(CASE WHEN json_valid(t.rcpts) THEN t.rcpts ELSE '[]' END) j"
			  " WHERE t.at >= ?1 AND t.at < ?2 AND j.type = 'text'"
			  " GROUP BY a ORDER BY n DESC, a LIMIT ?3", g->r->top_rcpts);
}

/* ---- detections (kept originals) ------------------------------------------------------ */

#define DETECTIONS_CTE KEPT_CTE ", det AS (SELECT coalesce(json_extract(" OBJ("d") \
	", '$.name'), '?') AS name, coalesce(json_extract(" OBJ("d") ", '$.kind') = 'virus'," \
	" json_extract(" OBJ("d") ", '$.virus') = 1, 0) AS virus, v.id AS id," \
	" v.received AS received FROM v, json_each(v.j, '$.detections') d) "

static char *detection_key(const char *name, bool virus)
{
	return g_strdup_printf("%d:%s", virus, name ? name : "");
}

static mg_report_detection *detection_new(sqlite3_stmt *st)
{
	mg_report_detection *d = g_new0(mg_report_detection, 1);

	d->name = col_safe(st, 0);
	d->virus = col_int(st, 1, 0) != 0;
	d->messages = (guint64)col_int(st, 2, 0);
	d->first = local_of_utc(col(st, 3));
	d->last = local_of_utc(col(st, 4));
	d->rcpts = g_ptr_array_new_with_free_func(g_free);
	return d;
}

static bool detection_list(gather_ctx *g, GHashTable *by_key)
{
	int rc;
	sqlite3_stmt *st = query(g, DETECTIONS_CTE
		"SELECT name, virus, count(DISTINCT id), min(received), max(received)"
		" FROM det GROUP BY name, virus ORDER BY 3 DESC, name");

	if (!st)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mg_report_detection *d = detection_new(st);
		g_ptr_array_add(d->virus ? g->r->viruses : g->r->suspicious, d);
		g_hash_table_insert(by_key, detection_key(col(st, 0), d->virus), d);
	}
	return finish(g, st, rc);
}

static bool detection_rcpts(gather_ctx *g, GHashTable *by_key)
{
	int rc;
	sqlite3_stmt *st = query(g, DETECTIONS_CTE
		"SELECT DISTINCT det.name, det.virus, r.rcpt FROM det"
		" JOIN recipients r ON r.id = det.id ORDER BY 1, 2, 3");

	if (!st)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *key = detection_key(col(st, 0), col_int(st, 1, 0) != 0);
		mg_report_detection *d = g_hash_table_lookup(by_key, key);
		if (d)
			g_ptr_array_add(d->rcpts, col_safe(st, 2));
		g_free(key);
	}
	return finish(g, st, rc);
}

static bool gather_detections(gather_ctx *g)
{
	GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bool ok = detection_list(g, by_key) && detection_rcpts(g, by_key);

	g_hash_table_unref(by_key);
	return ok;
}

/* ---- removed parts and type mismatches (kept originals) ------------------------------- */

/* The lower-case extension of a file name without the dot; "" for none. */
static char *extension(const char *filename)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;

	if (!dot || dot == filename || !dot[1])
		return g_strdup("");
	return g_utf8_strdown(dot + 1, -1);
}

static void add_mismatch(mg_report *r, sqlite3_stmt *st)
{
	if (r->mismatch_count++ >= MAX_MISMATCHES)
		return;
	mg_report_mismatch *m = g_new0(mg_report_mismatch, 1);
	m->time = local_of_utc(col(st, 0));
	m->id = col_safe(st, 1);
	m->filename = col_safe(st, 2);
	m->declared = col_safe(st, 3);
	m->true_type = col_safe(st, 4);
	g_ptr_array_add(r->mismatches, m);
}

static void add_removed(mg_report *r, GHashTable *types, GHashTable *exts,
			sqlite3_stmt *st)
{
	char *type = col_safe(st, 4), *name = col_safe(st, 2), *ext = extension(name);

	r->removed_parts++;
	count_add(types, r->removed_by_type, type ? type : "", 1);
	count_add(exts, r->removed_by_ext, ext, 1);
	if (col_int(st, 5, 0))
		add_mismatch(r, st);
	g_free(type);
	g_free(name);
	g_free(ext);
}

static bool gather_removed(gather_ctx *g)
{
	GHashTable *types = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *exts = g_hash_table_new(g_str_hash, g_str_equal);
	int rc = SQLITE_ERROR;
	sqlite3_stmt *st = query(g, KEPT_CTE
		"SELECT v.received, v.id, json_extract(" OBJ("p") ", '$.filename'),"
		" json_extract(" OBJ("p") ", '$.content_type'),"
		" json_extract(" OBJ("p") ", '$.true_type'),"
		" EXISTS (SELECT 1 FROM json_each(" OBJ("p") ", '$.findings') f"
		"  WHERE f.value = 'type_mismatch')"
		" FROM v, json_each(v.j, '$.removed') p"
		" ORDER BY v.received DESC, v.id DESC, p.key");

	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		add_removed(g->r, types, exts, st);
	g_ptr_array_sort(g->r->removed_by_type, count_cmp);
	g_ptr_array_sort(g->r->removed_by_ext, count_cmp);
	g_hash_table_unref(types);
	g_hash_table_unref(exts);
	return st && finish(g, st, rc);
}

/* ---- what could not be inspected (kept originals) ------------------------------------ */

static const struct {
	const char *finding, *kind;
} finding_kinds[] = {
	{ "encrypted_archive", "password_zip" },
	{ "encrypted_document", "encrypted_document" },
	{ "smime_encrypted", "smime_encrypted" },
	{ "pgp_encrypted", "pgp_encrypted" },
	{ "archive_unreadable", "archive_unreadable" },
	{ "archive_bomb", "archive_bomb" },
	{ "archive_depth", "archive_depth" },
};

/* Counts the kinds of one message: findings "a,b", limit hit, reason
 * cannot_inspect. */
static void add_uninspected(mg_report *r, GHashTable *h, const char *findings,
			    bool limit, bool reason)
{
	char **f = g_strsplit(findings ? findings : "", ",", -1);
	unsigned kinds = 0;

	for (size_t k = 0; k < G_N_ELEMENTS(finding_kinds); k++)
		if (g_strv_contains((const char *const *)f, finding_kinds[k].finding)) {
			count_add(h, r->cannot_inspect, finding_kinds[k].kind, 1);
			kinds++;
		}
	if (limit) {
		count_add(h, r->cannot_inspect, "limit", 1);
		kinds++;
	}
	if (!kinds && reason) {
		count_add(h, r->cannot_inspect, "other", 1);
		kinds++;
	}
	r->cannot_inspect_messages += kinds > 0;
	g_strfreev(f);
}

static bool gather_uninspected(gather_ctx *g)
{
	GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
	int rc = SQLITE_ERROR;
	sqlite3_stmt *st = query(g, KEPT_CTE
		"SELECT (SELECT group_concat(DISTINCT f.value) FROM json_each(v.j, '$.removed') p,"
		"  json_each(" OBJ("p") ", '$.findings') f),"
		" coalesce(json_array_length(v.j, '$.limits'), 0) > 0"
		"  OR instr(',' || v.reasons || ',', ',limit,') > 0,"
		" instr(',' || v.reasons || ',', ',cannot_inspect,') > 0"
		" FROM v");

	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		add_uninspected(g->r, h, col(st, 0), col_int(st, 1, 0), col_int(st, 2, 0));
	g_ptr_array_sort(g->r->cannot_inspect, count_cmp);
	g_hash_table_unref(h);
	return st && finish(g, st, rc);
}

/* ---- releases ----------------------------------------------------------------------- */

static gint seconds_cmp(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank pct percentile of sorted[0..n). */
static gint64 percentile(const GArray *sorted, unsigned pct)
{
	guint n = sorted->len, rank = (guint)(((guint64)n * pct + 99) / 100);

	return g_array_index(sorted, gint64, rank ? rank - 1 : 0);
}

static void release_times(mg_report_releases *rel, GArray *secs)
{
	rel->median_s = rel->p90_s = rel->max_s = -1;
	if (!secs->len)
		return;
	g_array_sort(secs, seconds_cmp);
	rel->median_s = percentile(secs, 50);
	rel->p90_s = percentile(secs, 90);
	rel->max_s = g_array_index(secs, gint64, secs->len - 1);
}

static bool gather_releases(gather_ctx *g)
{
	mg_report_releases *rel = &g->r->releases;
	GHashTable *ops = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GArray *secs = g_array_new(FALSE, FALSE, sizeof(gint64));
	int rc = SQLITE_ERROR;
	sqlite3_stmt *st = query(g,
		"SELECT coalesce(r.released_by, ''), r.id,"
		" unixepoch(r.released_at) - unixepoch(m.received)"
		" FROM recipients r JOIN messages m ON m.id = r.id"
		" WHERE r.released_at >= ?1 AND r.released_at < ?2");

	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *op = col_safe(st, 0);
		gint64 s = MAX(col_int(st, 2, 0), 0);
		rel->count++;
		count_add(ops, rel->by_operator, op, 1);
		g_hash_table_add(ids, g_strdup(col(st, 1)));
		g_array_append_val(secs, s);
		g_free(op);
	}
	rel->messages = g_hash_table_size(ids);
	g_ptr_array_sort(rel->by_operator, count_cmp);
	release_times(rel, secs);
	g_hash_table_unref(ops);
	g_hash_table_unref(ids);
	g_array_unref(secs);
	return st && finish(g, st, rc);
}

/* ---- incident look-up ---------------------------------------------------------------- */

static bool hit_rcpts(gather_ctx *g, sqlite3_stmt *rs, mg_report_hit *h)
{
	int rc;

	sqlite3_reset(rs);
	sqlite3_bind_text(rs, 3, h->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(rs)) == SQLITE_ROW) {
		mg_report_rcpt *x = g_new0(mg_report_rcpt, 1);
		x->rcpt = col_safe(rs, 0);
		x->released_at = local_of_utc(col(rs, 1));
		x->released_by = col_safe(rs, 2);
		g_ptr_array_add(h->rcpts, x);
	}
	return rc == SQLITE_DONE || fail(g, "cannot read the recipients");
}

static mg_report_hit *hit_new(sqlite3_stmt *st)
{
	mg_report_hit *h = g_new0(mg_report_hit, 1);

	h->id = col_safe(st, 0);
	h->time = local_of_utc(col(st, 1));
	h->mail_from = col_safe(st, 2);
	h->from_hdr = col_safe(st, 3);
	h->subject = col_safe(st, 4);
	h->client_addr = col_safe(st, 5);
	h->action = col_safe(st, 6);
	h->status = col_safe(st, 7);
	h->matched = col_safe(st, 8);
	h->rcpts = g_ptr_array_new_with_free_func(mg_report_rcpt_free);
	return h;
}

/* What matched in the verdict v.j: ?3 is the hash or the detection name. */
#define MATCH_SHA256 "(SELECT group_concat(coalesce(json_extract(" OBJ("p") \
	", '$.filename'), json_extract(" OBJ("p") ", '$.content_type'), '?'), ', ')" \
	" FROM json_each(v.j, '$.removed') p WHERE lower(json_extract(" OBJ("p") \
	", '$.sha256')) = ?3)"
#define MATCH_VIRUS "(SELECT group_concat(DISTINCT json_extract(" OBJ("d") ", '$.name'))" \
	" FROM json_each(v.j, '$.detections') d WHERE lower(json_extract(" OBJ("d") \
	", '$.name')) = lower(?3))"

static bool hits_from(gather_ctx *g, sqlite3_stmt *st, sqlite3_stmt *rs)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mg_report_hit *h = hit_new(st);
		g_ptr_array_add(g->r->hits, h);
		if (!hit_rcpts(g, rs, h))
			return false;
	}
	return rc == SQLITE_DONE || fail(g, "cannot read the report's data");
}

static bool gather_hits(gather_ctx *g)
{
	const mg_report_query *q = &g->r->q;
	char *sql = g_strdup_printf(KEPT_CTE ", m AS (SELECT v.*, %s AS matched FROM v)"
				    " SELECT id, received, mail_from, from_hdr, subject,"
				    " client_addr, action, status, matched FROM m"
				    " WHERE matched IS NOT NULL ORDER BY received, id",
				    q->sha256 ? MATCH_SHA256 : MATCH_VIRUS);
	sqlite3_stmt *st = query(g, sql);
	sqlite3_stmt *rs = st ? query(g, "SELECT rcpt, released_at, released_by FROM"
				      " recipients WHERE id = ?3 ORDER BY seq") : NULL;
	bool ok = st && rs;

	g_free(sql);
	if (ok) {
		sqlite3_bind_text(st, 3, q->sha256 ? q->sha256 : q->virus, -1, SQLITE_STATIC);
		ok = hits_from(g, st, rs);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(rs);
	return ok;
}

/* ---- the report ----------------------------------------------------------------------- */

static bool has_traffic(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool yes = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
				      " AND name = 'traffic'", -1, &st, NULL) == SQLITE_OK &&
		   sqlite3_step(st) == SQLITE_ROW;

	sqlite3_finalize(st);
	return yes;
}

static mg_report *report_new(const mg_report_query *q)
{
	mg_report *r = g_new0(mg_report, 1);

	r->q = *q;
	r->q.sha256 = q->sha256 ? g_ascii_strdown(q->sha256, -1) : NULL;
	r->q.virus = g_strdup(q->virus);
	r->incident = q->sha256 || q->virus;
	r->since_text = local_iso(q->since);
	r->until_text = local_iso(q->until);
	r->made_text = local_iso(q->now);
	r->hostname = safe(g_get_host_name());
	r->days = g_ptr_array_new_with_free_func(g_free);
	r->viruses = g_ptr_array_new_with_free_func(mg_report_detection_free);
	r->suspicious = g_ptr_array_new_with_free_func(mg_report_detection_free);
	r->removed_by_type = counts_new();
	r->removed_by_ext = counts_new();
	r->mismatches = g_ptr_array_new_with_free_func(mg_report_mismatch_free);
	r->cannot_inspect = counts_new();
	r->top_sender_domains = counts_new();
	r->top_rcpts = counts_new();
	r->releases.by_operator = counts_new();
	r->releases.median_s = r->releases.p90_s = r->releases.max_s = -1;
	r->sig_age_min = r->sig_age_max = -1;
	r->hits = g_ptr_array_new_with_free_func(mg_report_hit_free);
	return r;
}

mg_report *mg_report_gather(mg_store *s, const mg_report_query *q, char **err)
{
	gather_ctx g = { .db = mg_store_sqlite(s), .err = err };
	bool ok;

	tzset();
	g.r = report_new(q);
	utc_text(q->since, g.since);
	utc_text(q->until, g.until);
	/* one read transaction: every section sees the same snapshot */
	ok = sqlite3_exec(g.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ||
	     fail(&g, "cannot begin reading");
	g.r->no_traffic = !has_traffic(g.db);
	if (ok && g.r->incident)
		ok = gather_hits(&g);
	else if (ok)
		ok = gather_days(&g) && gather_tops(&g) && gather_detections(&g) &&
		     gather_removed(&g) && gather_uninspected(&g) && gather_releases(&g);
	sqlite3_exec(g.db, "COMMIT", NULL, NULL, NULL);
	if (!ok) {
		mg_report_free(g.r);
		return NULL;
	}
	return g.r;
}
