/*
 * quarantine_admin.c - the helpdesk's side of the store (mugaika show,
 * release, delete, purge, stats, audit): the details of one original,
 * status changes with their audit rows, removing originals, purging old
 * ones and the store's figures.  Opening, keeping and finding are
 * quarantine.c's; the struct and the helpers both share are in
 * quarantine_priv.h.
 *
 * SYNOPSIS
 *	int mg_store_schema(s);
 *	mg_kept_detail *mg_store_detail(s, id, &err);  mg_kept_detail_free(d);
 *	bool mg_store_audit(s, row, &err);
 *	GPtrArray *mg_store_audit_rows(s, filter, &err);
 *	bool mg_store_audit_verify(s, head, &check, &err);
 *	bool mg_store_mark_released(s, id, rcpts, n, row, &err);
 *	bool mg_store_delete(s, id, row, &err);
 *	bool mg_store_delete_scrub(s, id, row, &err);
 *	bool mg_store_purge(s, opts, &result, row, &err);  mg_purge_result_clear(&result);
 *	bool mg_store_get_stats(s, &stats, &err);  mg_store_stats_clear(&stats);
 *
 * DESCRIPTION
 *	The contract of each function is in quarantine.h; what is returned
 *	is the caller's (the _free and _clear functions above).
 *
 *	Status changes (release, delete, purge) and their audit rows are
 *	written in one BEGIN IMMEDIATE transaction; the head of the audit
 *	chain is announced (syslog) after the commit.  Files are removed only
 *	after the commit that marks them deleted, so an index row never
 *	points at a missing file without saying so.  Each needs an index of
 *	schema version 2 or later (the audit log) opened for writing.
 *
 * DIAGNOSTICS
 *	Failures return false/NULL/-1 with a sentence in *err (where there
 *	is one) and in mg_store_last_error().
 *
 * MEMORY
 *	GLib allocation; out-of-memory aborts.
 */
#include "quarantine_priv.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmeta.h"
#include "spool.h"

/* ---- helpdesk: details ------------------------------------------------------ */

int
mg_store_schema(mg_store *s)
{
	return s->schema;
}

static mg_removed_part *
removed_from_row(sqlite3_stmt *st)
{
	mg_removed_part *p = g_new0(mg_removed_part, 1);

	p->part = mg_qs_col_dup(st, 0);
	p->filename = mg_qs_col_dup(st, 1);
	p->content_type = mg_qs_col_dup(st, 2);
	p->why = mg_qs_col_dup(st, 3);
	p->sha256 = mg_qs_col_dup(st, 4);
	p->size = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
	return p;
}

static void
removed_part_free(mg_removed_part *p)
{
	g_free(p->part);
	g_free(p->filename);
	g_free(p->content_type);
	g_free(p->why);
	g_free(p->sha256);
	g_free(p);
}

void
mg_kept_detail_free(mg_kept_detail *d)
{
	if (!d)
		return;
	mg_kept_free(d->kept);
	g_free(d->verdict);
	g_free(d->status_at);
	g_free(d->status_by);
	g_ptr_array_unref(d->released_at);
	g_ptr_array_unref(d->released_by);
	g_ptr_array_unref(d->removed);
	g_free(d);
}

/* The removed parts the verdict lists (none when it is not valid JSON). */
static bool
detail_removed(mg_store *s, mg_kept_detail *d, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s,
		"SELECT json_extract(value, '$.part'), json_extract(value, '$.filename'),"
		" json_extract(value, '$.content_type'), json_extract(value, '$.why'),"
		" json_extract(value, '$.sha256'), json_extract(value, '$.size')"
		" FROM messages, json_each(CASE WHEN json_valid(verdict) AND"
		"  json_type(verdict, '$.removed') = 'array' THEN verdict ELSE"
		"  '{\"removed\": []}' END, '$.removed')"
		" WHERE messages.id = ?1 AND json_type(value) = 'object'", err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, d->kept->id);
	while (sqlite3_step(st) == SQLITE_ROW)
		g_ptr_array_add(d->removed, removed_from_row(st));
	return mg_qs_run(s, st, "cannot read the verdict", err);
}

static bool
detail_rcpts(mg_store *s, mg_kept_detail *d, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT rcpt, released_at, released_by FROM "
					 "recipients WHERE id = ?1 ORDER BY seq", err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, d->kept->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		g_ptr_array_add(d->kept->rcpts, mg_qs_col_dup(st, 0));
		g_ptr_array_add(d->released_at, mg_qs_col_dup(st, 1));
		g_ptr_array_add(d->released_by, mg_qs_col_dup(st, 2));
	}
	return mg_qs_run(s, st, "cannot read recipients", err);
}

mg_kept_detail *
mg_store_detail(mg_store *s, const char *id, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT " MG_QS_KEPT_COLUMNS ", CASE WHEN "
					 "json_valid(verdict) THEN json(verdict) END, "
					 "status_at, status_by FROM messages WHERE id = ?1",
					 err);
	mg_kept_detail *d = NULL;

	if (!st)
		return NULL;
	mg_qs_bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		d = g_new0(mg_kept_detail, 1);
		d->kept = mg_qs_kept_from_row(st);
		d->verdict = mg_qs_col_dup(st, 16);
		d->status_at = mg_qs_col_dup(st, 17);
		d->status_by = mg_qs_col_dup(st, 18);
		d->released_at = g_ptr_array_new_with_free_func(g_free);
		d->released_by = g_ptr_array_new_with_free_func(g_free);
		d->removed = g_ptr_array_new_with_free_func((GDestroyNotify)removed_part_free);
	}
	bool ok = mg_qs_run(s, st, "cannot look up an ID", err);
	if (ok && !d)
		mg_qs_fail(s, err, g_strdup_printf("%s: no original is kept under this ID", id));
	if (d && !(ok && detail_rcpts(s, d, err) && detail_removed(s, d, err)))
		g_clear_pointer(&d, mg_kept_detail_free);
	return d;
}

/* ---- helpdesk: writes with their audit rows ----------------------------------- */

static bool
has_audit_log(mg_store *s, char **err)
{
	if (s->schema >= 2)
		return true;
	return mg_qs_fail(s, err, g_strdup_printf("quarantine_db %s: has schema version %d, "
						  "without an audit log: it is added when "
						  "mugaika-milter or a mugaika command that "
						  "writes opens it", s->db_path, s->schema));
}

static bool
begin_write(mg_store *s, char **err)
{
	if (s->readonly)
		return mg_qs_fail(s, err, g_strdup("the quarantine is open read-only"));
	return has_audit_log(s, err) && mg_qs_begin(s, err);
}

/* Appends r (when not NULL) and commits, or rolls back when !ok or that
 * fails; announces the new head after the commit. */
static bool
finish_write(mg_store *s, bool ok, mg_audit_row *r, char **err)
{
	char *msg = NULL;

	if (ok && r && !mg_audit_append(s->db, r, &msg))
		ok = mg_qs_fail(s, err, msg);
	ok = ok && mg_qs_exec(s, "COMMIT", "cannot commit", err);
	if (!ok)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	else if (r)
		mg_audit_announce(s->audit_socket, r);
	return ok;
}

/* Runs sql with up to four text parameters (NULL binds NULL). */
static bool
exec_text(mg_store *s, const char *sql, const char *a, const char *b, const char *c,
	  const char *d, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, sql, err);
	const char *v[] = { a, b, c, d };

	if (!st)
		return false;
	for (int i = 0; i < sqlite3_bind_parameter_count(st) && i < 4; i++)
		mg_qs_bind_str(st, i + 1, v[i]);
	return mg_qs_run(s, st, "cannot update the index", err);
}

bool
mg_store_audit(mg_store *s, mg_audit_row *r, char **err)
{
	return begin_write(s, err) && finish_write(s, true, r, err);
}

GPtrArray *
mg_store_audit_rows(mg_store *s, const mg_audit_filter *f, char **err)
{
	char *msg = NULL;
	GPtrArray *rows = has_audit_log(s, err) ? mg_audit_select(s->db, f, &msg) : NULL;

	if (!rows && msg)
		mg_qs_fail(s, err, msg);
	return rows;
}

bool
mg_store_audit_verify(mg_store *s, const char *head, mg_audit_check *c, char **err)
{
	char *msg = NULL;

	memset(c, 0, sizeof *c);
	if (!has_audit_log(s, err))
		return false;
	return mg_audit_verify(s->db, head, c, &msg) || mg_qs_fail(s, err, msg);
}

bool
mg_store_mark_released(mg_store *s, const char *id, char *const *rcpts, guint n,
		       mg_audit_row *r, char **err)
{
	char now[32], *who = mg_audit_operator(r);
	bool ok = begin_write(s, err);

	mg_qmeta_iso_utc(time(NULL), now);
	for (guint i = 0; ok && i < n; i++)
		ok = exec_text(s, "UPDATE recipients SET released_at = ?1, released_by = ?2 "
			       "WHERE id = ?3 AND rcpt = ?4", now, who, id, rcpts[i], err);
	ok = ok && exec_text(s, "UPDATE messages SET status = 'released', status_at = ?1,"
			     " status_by = ?2 WHERE id = ?3 AND status = 'held' AND NOT"
			     " EXISTS (SELECT 1 FROM recipients WHERE id = ?3 AND"
			     " released_at IS NULL)", now, who, id, NULL, err);
	g_free(who);
	return finish_write(s, ok, r, err);
}

/* ---- helpdesk: removing ---------------------------------------------------------- */

/* The spool file name and status of id; false with *err when unknown. */
static bool
spool_of(mg_store *s, const char *id, char **spool, char **status, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT spool, status FROM messages WHERE "
					 "id = ?1", err);

	*spool = *status = NULL;
	if (!st)
		return false;
	mg_qs_bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*spool = mg_qs_col_dup(st, 0);
		*status = mg_qs_col_dup(st, 1);
	}
	bool ok = mg_qs_run(s, st, "cannot look up an ID", err);
	if (ok && !*spool)
		ok = mg_qs_fail(s, err, g_strdup_printf("%s: no original is kept under "
							"this ID", id));
	return ok;
}

static bool
spool_file_exists(mg_store *s, const char *spool)
{
	char *path = g_build_filename(s->spool_dir, spool, NULL);
	struct stat st;
	bool exists = lstat(path, &st) == 0;

	g_free(path);
	return exists;
}

static bool
remove_file(mg_store *s, const char *id, const char *spool, char **err)
{
	char *msg = NULL;

	if (mg_spool_unlink(s->spool, spool, &msg))
		return true;
	mg_qs_fail(s, err, g_strdup_printf("%s: marked deleted, but the file could not "
					   "be removed (run mugaika delete %s again): %s",
					   id, id, msg));
	g_free(msg);
	return false;
}

/* In a write transaction: the index row of id says no more than its
 * envelope (mg_store_delete_scrub). */
static bool
scrub_row(mg_store *s, const char *id, char **err)
{
	/* the verdict as kept says them too, with the file names */
	return exec_text(s, "UPDATE messages SET subject = NULL, from_hdr = NULL,"
			 " verdict = CASE WHEN json_valid(verdict) THEN json_set("
			 "  json_remove(verdict, '$.subject', '$.from'),"
			 "  '$.removed', (SELECT json_group_array(json_remove(value, '$.filename',"
			 "   '$.members')) FROM json_each(verdict, '$.removed')),"
			 "  '$.detections', (SELECT json_group_array(json_remove(value,"
			 "   '$.filename')) FROM json_each(verdict, '$.detections')))"
			 " ELSE verdict END WHERE id = ?1", id, NULL, NULL, NULL, err);
}

/* An original deleted earlier: scrubbed now (with r), if asked. */
static bool
scrub_deleted(mg_store *s, const char *id, mg_audit_row *r, char **err)
{
	bool began = begin_write(s, err);
	bool ok = began && scrub_row(s, id, err);

	return began && finish_write(s, ok, r, err);
}

static bool
delete_original(mg_store *s, const char *id, bool scrub, mg_audit_row *r, char **err)
{
	char *spool = NULL, *status = NULL, now[32], *who = mg_audit_operator(r);
	bool ok = mg_store_id_valid(id) ? spool_of(s, id, &spool, &status, err)
					: mg_qs_fail(s, err, g_strdup("not a quarantine ID"));
	bool gone = ok && strcmp(status, "deleted") == 0;

	mg_qmeta_iso_utc(time(NULL), now);
	if (gone && spool_file_exists(s, spool))
		ok = (!scrub || scrub_deleted(s, id, r, err)) &&
		     remove_file(s, id, spool, err);	/* finishing an earlier delete */
	else if (gone)
		ok = scrub ? scrub_deleted(s, id, r, err)
			   : mg_qs_fail(s, err, g_strdup_printf("%s: already deleted", id));
	else if (ok) {
		bool began = begin_write(s, err);
		ok = began && exec_text(s, "UPDATE messages SET status = 'deleted', status_at ="
					" ?1, status_by = ?2 WHERE id = ?3", now, who, id, NULL,
					err);
		ok = ok && (!scrub || scrub_row(s, id, err));
		ok = began && finish_write(s, ok, r, err) && remove_file(s, id, spool, err);
	}
	g_free(who);
	g_free(spool);
	g_free(status);
	return ok;
}

bool
mg_store_delete(mg_store *s, const char *id, mg_audit_row *r, char **err)
{
	return delete_original(s, id, false, r, err);
}

bool
mg_store_delete_scrub(mg_store *s, const char *id, mg_audit_row *r, char **err)
{
	return delete_original(s, id, true, r, err);
}

/* ---- purge --------------------------------------------------------------------- */

void
mg_purge_result_clear(mg_purge_result *res)
{
	if (res->originals)
		g_ptr_array_unref(res->originals);
	memset(res, 0, sizeof *res);
}

/* IDs and spool names of the originals received before cutoff. */
static bool
purge_candidates(mg_store *s, const char *cutoff, GPtrArray *ids, GPtrArray *spools,
		 char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT id, spool FROM messages WHERE status "
					 "!= 'deleted' AND received < ?1 ORDER BY "
					 "received, rowid", err);

	if (!st)
		return false;
	mg_qs_bind_str(st, 1, cutoff);
	while (sqlite3_step(st) == SQLITE_ROW) {
		g_ptr_array_add(ids, mg_qs_col_dup(st, 0));
		g_ptr_array_add(spools, mg_qs_col_dup(st, 1));
	}
	return mg_qs_run(s, st, "cannot find old originals", err);
}

/* The first column of sql (two text parameters) as a number. */
static gint64
count_of(mg_store *s, const char *sql, const char *a, const char *b, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, sql, err);
	gint64 n = -1;

	if (!st)
		return -1;
	mg_qs_bind_str(st, 1, a);
	mg_qs_bind_str(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	return mg_qs_run(s, st, "cannot count", err) ? n : -1;
}

static const char purge_rows_sql[] =
	"DELETE FROM messages WHERE status = 'deleted' AND received < ?1";

/* What a purge would remove, without removing it. */
static bool
purge_dry_run(mg_store *s, const char *cut_meta, const char *cut_orig,
	      mg_purge_result *res, char **err)
{
	gint64 rows = count_of(s, "SELECT count(*) FROM messages WHERE received < ?1 AND "
			       "(status = 'deleted' OR received < ?2)", cut_meta, cut_orig, err);
	res->audit_rows = s->schema >= 2 ? count_of(s, "SELECT count(*) FROM audit WHERE "
						    "at < ?1", cut_meta, NULL, err) : 0;
	res->rows = rows > 0 ? (guint64)rows : 0;
	return rows >= 0 && res->audit_rows >= 0;
}

/* In the purge's transaction: originals marked deleted, old rows gone,
 * the audit log pruned, r's detail and outcome written. */
static bool
purge_index(mg_store *s, const mg_purge_opts *o, const char *cut_meta,
	    mg_purge_result *res, mg_audit_row *r, char **err)
{
	char now[32], *base = NULL, *msg = NULL;
	bool ok = true;

	mg_qmeta_iso_utc(o->now, now);
	for (guint i = 0; ok && i < res->originals->len; i++)
		ok = exec_text(s, "UPDATE messages SET status = 'deleted', status_at = ?1, "
			       "status_by = 'purge' WHERE id = ?2", now,
			       g_ptr_array_index(res->originals, i), NULL, NULL, err);
	ok = ok && exec_text(s, purge_rows_sql, cut_meta, NULL, NULL, NULL, err);
	res->rows = ok ? (guint64)sqlite3_changes(s->db) : 0;
	ok = ok && exec_text(s, "DELETE FROM failures WHERE last_seen < ?1", cut_meta,
			     NULL, NULL, NULL, err);
	if (ok && s->schema >= 3 && mg_traffic_prune(s->db, cut_meta, &msg) < 0)
		ok = mg_qs_fail(s, err, msg);
	if (ok && !mg_audit_prune(s->db, cut_meta, &res->audit_rows, &base, &msg))
		ok = mg_qs_fail(s, err, msg);
	char *detail = g_strdup_printf("originals=%u rows=%" G_GUINT64_FORMAT " audit_rows=%"
				       G_GINT64_FORMAT " retention_days=%u "
				       "audit_retention_days=%u stale_temp_files=%u%s%s",
				       res->originals->len, res->rows, res->audit_rows,
				       o->retention_days, o->audit_retention_days,
				       res->stale_temps, base ? " audit_base=" : "",
				       base ? base : "");
	mg_audit_set(&r->detail, detail);
	g_free(detail);
	g_free(base);
	return ok;
}

/* Removes the day directories of purged originals that are left empty (not
 * today's or yesterday's, into which the milter may be writing). */
static void
purge_day_dirs(mg_store *s, GPtrArray *spools, time_t now)
{
	char recent[32];

	mg_qmeta_iso_utc(now - 2 * 86400, recent);
	char *limit = g_strdup_printf("%.4s%.2s%.2s", recent, recent + 5, recent + 8);
	for (guint i = 0; i < spools->len; i++) {
		const char *spool = g_ptr_array_index(spools, i);
		char *day = g_strndup(spool, 8);
		char *path = g_build_filename(s->spool_dir, day, NULL);
		if (strlen(day) == 8 && strcmp(day, limit) < 0)
			rmdir(path);	/* fails, as it should, while not empty */
		g_free(path);
		g_free(day);
	}
	g_free(limit);
}

/* Removes the files of the purged originals; failures counted, the first
 * named in *err. */
static void
purge_files(mg_store *s, GPtrArray *spools, mg_purge_result *res, char **err)
{
	for (guint i = 0; i < spools->len; i++) {
		char *msg = NULL;
		const char *id = g_ptr_array_index(res->originals, i);
		if (!remove_file(s, id, g_ptr_array_index(spools, i), res->unlink_failures ? NULL
								    : &msg))
			res->unlink_failures++;
		if (msg && err && !*err)
			*err = msg;
		else
			g_free(msg);
	}
}

bool
mg_store_purge(mg_store *s, const mg_purge_opts *o, mg_purge_result *res,
	       mg_audit_row *r, char **err)
{
	char cut_orig[32], cut_meta[32];
	GPtrArray *spools = g_ptr_array_new_with_free_func(g_free);

	memset(res, 0, sizeof *res);
	res->originals = g_ptr_array_new_with_free_func(g_free);
	mg_qmeta_iso_utc(o->now - (time_t)o->retention_days * 86400, cut_orig);
	mg_qmeta_iso_utc(o->now - (time_t)o->audit_retention_days * 86400, cut_meta);
	bool ok = purge_candidates(s, cut_orig, res->originals, spools, err);
	/* no write takes a day: older temporary files are a crash's; counted
	 * for the audit row, removed after its commit */
	guint none = 0;
	if (ok)
		res->stale_temps = mg_spool_sweep_temps(s->spool, o->now - 86400, true, &none, NULL);
	if (ok && o->dry_run) {
		ok = purge_dry_run(s, cut_meta, cut_orig, res, err);
	} else if (ok) {
		bool began = begin_write(s, err);
		ok = began && purge_index(s, o, cut_meta, res, r, err);
		ok = began && finish_write(s, ok, r, err);
		if (ok) {
			purge_files(s, spools, res, err);
			mg_spool_sweep_temps(s->spool, o->now - 86400, false,
					     &res->unlink_failures, err);
			purge_day_dirs(s, spools, o->now);	/* emptied by both */
		}
	}
	g_ptr_array_unref(spools);
	return ok;
}

/* ---- stats ----------------------------------------------------------------------- */

void
mg_store_stats_clear(mg_store_stats *st)
{
	g_free(st->oldest_held_id);
	if (st->key_ids)
		g_ptr_array_unref(st->key_ids);
	if (st->key_counts)
		g_array_unref(st->key_counts);
	memset(st, 0, sizeof *st);
}

static bool
stats_status(mg_store *s, mg_store_stats *out, char **err)
{
	static const char *const names[] = { "held", "released", "deleted" };
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT status, count(*), coalesce(sum(size), "
					 "0) FROM messages GROUP BY status", err);

	if (!st)
		return false;
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			if (g_strcmp0((const char *)sqlite3_column_text(st, 0), names[i]) == 0) {
				out->count[i] = (guint64)sqlite3_column_int64(st, 1);
				out->bytes[i] = (guint64)sqlite3_column_int64(st, 2);
			}
	return mg_qs_run(s, st, "cannot count originals", err);
}

static bool
stats_oldest_and_keys(mg_store *s, mg_store_stats *out, char **err)
{
	sqlite3_stmt *st = mg_qs_prepare(s, "SELECT id, CAST(strftime('%s', received) AS "
					 "INTEGER) FROM messages WHERE status = 'held' "
					 "ORDER BY received, rowid LIMIT 1", err);

	if (!st)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->oldest_held_id = mg_qs_col_dup(st, 0);
		out->oldest_held = (time_t)sqlite3_column_int64(st, 1);
	}
	if (!mg_qs_run(s, st, "cannot find the oldest original", err))
		return false;
	st = mg_qs_prepare(s, "SELECT coalesce(key_id, ''), count(*) FROM messages WHERE "
			   "status != 'deleted' GROUP BY 1 ORDER BY 1", err);
	if (!st)
		return false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		guint64 n = (guint64)sqlite3_column_int64(st, 1);
		g_ptr_array_add(out->key_ids, mg_qs_col_dup(st, 0));
		g_array_append_val(out->key_counts, n);
	}
	return mg_qs_run(s, st, "cannot count keys", err);
}

bool
mg_store_get_stats(mg_store *s, mg_store_stats *out, char **err)
{
	char *msg = NULL;

	memset(out, 0, sizeof *out);
	out->key_ids = g_ptr_array_new_with_free_func(g_free);
	out->key_counts = g_array_new(FALSE, TRUE, sizeof(guint64));
	out->audit_rows = -1;
	if (!stats_status(s, out, err) || !stats_oldest_and_keys(s, out, err))
		return false;
	if (s->schema < 2)
		return true;
	out->audit_rows = count_of(s, "SELECT count(*) FROM audit", NULL, NULL, err);
	if (out->audit_rows < 0)
		return false;
	return mg_audit_head(s->db, &out->audit_head_seq, out->audit_head, &msg) ||
	       mg_qs_fail(s, err, msg);
}
