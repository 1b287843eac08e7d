/*
 * traffic.c - the per-message records in the quarantine index (see
 * traffic.h).
 *
 * SYNOPSIS
 *	mg_traffic *mg_traffic_new(void);
 *	void mg_traffic_free(mg_traffic *t);
 *	bool mg_traffic_insert(sqlite3 *db, mg_traffic *const *rows, guint n,
 *			       char **err);
 *	gint64 mg_traffic_prune(sqlite3 *db, const char *cutoff, char **err);
 *
 * DESCRIPTION
 *	One prepared INSERT per batch, bound and stepped once per row; the
 *	caller holds the transaction.  Recipients are stored as a JSON array
 *	so that SQL can count them (json_each).
 */
#include "traffic.h"

#include "json.h"
#include "qmeta.h"
#include "verdict.h"

const char mg_traffic_schema[] =
	"CREATE TABLE traffic ("
	" seq INTEGER PRIMARY KEY,"
	" at TEXT NOT NULL, queue_id TEXT, id TEXT,"
	" direction TEXT NOT NULL, outcome TEXT NOT NULL, action TEXT NOT NULL,"
	" kept INTEGER NOT NULL,"
	" mail_from TEXT NOT NULL, rcpts TEXT NOT NULL, rcpt_count INTEGER NOT NULL,"
	" client_addr TEXT,"
	" size_in INTEGER NOT NULL, size_out INTEGER NOT NULL, ms INTEGER NOT NULL,"
	" reasons TEXT NOT NULL DEFAULT '', virus TEXT, suspicious TEXT, error TEXT,"
	" sig_version INTEGER NOT NULL DEFAULT 0, sig_time TEXT);"
	"CREATE INDEX traffic_at ON traffic (at);";

static const char insert_sql[] =
	"INSERT INTO traffic (at, queue_id, id, direction, outcome, action, kept,"
	" mail_from, rcpts, rcpt_count, client_addr, size_in, size_out, ms,"
	" reasons, virus, suspicious, error, sig_version, sig_time)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	" ?15, ?16, ?17, ?18, ?19, ?20)";

mg_traffic *mg_traffic_new(void)
{
	mg_traffic *t = g_new0(mg_traffic, 1);

	t->rcpts = g_ptr_array_new_with_free_func(g_free);
	return t;
}

void mg_traffic_free(mg_traffic *t)
{
	if (!t)
		return;
	g_free(t->queue_id);
	g_free(t->id);
	g_free(t->direction);
	g_free(t->outcome);
	g_free(t->action);
	g_free(t->mail_from);
	g_ptr_array_free(t->rcpts, TRUE);
	g_free(t->client_addr);
	g_free(t->reasons);
	g_free(t->virus);
	g_free(t->suspicious);
	g_free(t->error);
	g_free(t);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, time_t t)
{
	char buf[32];

	if (t > 0) {
		mg_qmeta_iso_utc(t, buf);
		bind_text(st, i, buf);
	} else {
		sqlite3_bind_null(st, i);
	}
}

static char *rcpts_json(const GPtrArray *rcpts)
{
	GString *o = g_string_new("[");

	for (guint i = 0; i < rcpts->len; i++) {
		if (i)
			g_string_append_c(o, ',');
		mg_json_string(o, g_ptr_array_index(rcpts, i));
	}
	g_string_append_c(o, ']');
	return g_string_free(o, FALSE);
}

static void bind_row(sqlite3_stmt *st, const mg_traffic *t)
{
	bind_time(st, 1, t->at);
	bind_text(st, 2, t->queue_id);
	bind_text(st, 3, t->id);
	bind_text(st, 4, t->direction ? t->direction : "inbound");
	bind_text(st, 5, t->outcome ? t->outcome : "passed");
	bind_text(st, 6, t->action ? t->action : "deliver");
	sqlite3_bind_int(st, 7, t->kept);
	bind_text(st, 8, t->mail_from ? t->mail_from : "");
	char *rcpts = rcpts_json(t->rcpts);
	sqlite3_bind_text(st, 9, rcpts, -1, g_free);
	sqlite3_bind_int64(st, 10, t->rcpts->len);
	bind_text(st, 11, t->client_addr);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)t->size_in);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)t->size_out);
	sqlite3_bind_int64(st, 14, t->ms);
	bind_text(st, 15, t->reasons ? t->reasons : "");
	bind_text(st, 16, t->virus && *t->virus ? t->virus : NULL);
	bind_text(st, 17, t->suspicious && *t->suspicious ? t->suspicious : NULL);
	bind_text(st, 18, t->error);
	sqlite3_bind_int64(st, 19, t->sig_version);
	bind_time(st, 20, t->sig_time);
}

bool mg_traffic_insert(sqlite3 *db, mg_traffic *const *rows, guint n, char **err)
{
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db, insert_sql, -1, &st, NULL) == SQLITE_OK;

	for (guint i = 0; ok && i < n; i++) {
		bind_row(st, rows[i]);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (!ok && err)
		*err = g_strdup_printf("cannot record the traffic: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

gint64 mg_traffic_prune(sqlite3 *db, const char *cutoff, char **err)
{
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db, "DELETE FROM traffic WHERE at < ?1", -1, &st,
				     NULL) == SQLITE_OK;

	if (ok) {
		sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	if (!ok && err)
		*err = g_strdup_printf("cannot prune the traffic records: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok ? sqlite3_changes64(db) : -1;
}
