/*
 * report_text.c - mugaika report as text for a terminal, as CSV for a
 * spreadsheet and as JSON for other tools (see report.h); and
 * mg_report_render, which picks the renderer (HTML: report_html.c).
 *
 * SYNOPSIS
 *	char *mg_report_render(const mg_report *r, mg_report_format f, mg_report_lang lang);
 *	char *mg_report_text(const mg_report *r, mg_report_lang lang);
 *	char *mg_report_csv(const mg_report *r, mg_report_lang lang);
 *	char *mg_report_json(const mg_report *r);
 *
 * DESCRIPTION
 *	Text and CSV are made from one list of tables, one per section,
 *	with titles and column heads in Japanese (MG_REPORT_JA) or English;
 *	a value that is not known is a NULL cell ("-" in text, empty in CSV).
 *
 *	Text: a title line (period, host, time made), then each section's
 *	title and its table with aligned columns: widths count display
 *	columns (g_unichar_iswide: two for Japanese), numbers are aligned
 *	right, a cell wider than 60 columns is cut with "…".  Incident
 *	look-ups print one block per message instead of a table.
 *
 *	CSV: a UTF-8 BOM, then per section a line with its title, the head
 *	row, the rows and an empty line; CRLF line ends; a cell is quoted
 *	when it holds a comma, a quote or a line break (RFC 4180); a cell
 *	that begins with = + - @ (a formula to a spreadsheet: subjects and
 *	names come from senders) gets a leading '.
 *
 *	JSON: one object with English keys whatever the language; times are
 *	local ISO 8601 with their offset; unknown values are null.  Keys are
 *	only ever added.
 *
 *	Every function returns a new string (caller frees); r is only read.
 */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "json.h"

#define MAX_COLS 16
#define TEXT_CELL_MAX 60

/* ---- labels ------------------------------------------------------------------ */

enum {
	L_TITLE, L_INCIDENT, L_PERIOD, L_TO, L_HOST, L_MADE, L_SUMMARY, L_ITEM, L_VALUE,
	L_NONE, L_TOTAL, L_MESSAGES, L_ANSWERED, L_INBOUND, L_OUTBOUND, L_BYTES_IN, L_NO_TRAFFIC,
	L_DAYS, L_DAY, L_AGE_MIN, L_AGE_MAX, L_SIG_VERSION,
	L_VIRUSES, L_SUSPICIOUS, L_NAME, L_FIRST, L_LAST, L_RCPTS,
	L_BY_TYPE, L_BY_EXT, L_TYPE, L_EXT, L_NO_EXT, L_UNKNOWN, L_PARTS,
	L_MISMATCHES, L_TIME, L_ID, L_FILENAME, L_DECLARED, L_TRUE_TYPE,
	L_UNINSPECTED, L_KIND, L_UNINSPECTED_MSGS,
	L_TOP_DOMAINS, L_DOMAIN, L_TOP_RCPTS, L_RCPT,
	L_RELEASES, L_RELEASED_RCPTS, L_RELEASED_MSGS, L_MEDIAN, L_P90, L_MAX,
	L_BY_OPERATOR, L_OPERATOR,
	L_SIGNATURES, L_SIG_AGE_MIN, L_SIG_AGE_MAX, L_SIG_VERSION_MIN, L_SIG_VERSION_MAX,
	L_QUERY, L_SHA256, L_VIRUS, L_HITS, L_HIT_COUNT, L_NO_HIT, L_SENDER, L_FROM,
	L_SUBJECT, L_CLIENT, L_ACTION, L_STATUS, L_MATCHED, L_RELEASED_AT, L_RELEASED_BY,
	L_NOT_RELEASED, L_COUNT
};

static const char *const labels[L_COUNT][2] = {
	[L_TITLE] = { "mugaika レポート", "mugaika report" },
	[L_INCIDENT] = { "mugaika 照会", "mugaika look-up" },
	[L_PERIOD] = { "期間", "period" },
	[L_TO] = { " 〜 ", " to " },
	[L_HOST] = { "ホスト", "host" },
	[L_MADE] = { "作成", "made" },
	[L_SUMMARY] = { "概要", "Summary" },
	[L_ITEM] = { "項目", "item" },
	[L_VALUE] = { "値", "value" },
	[L_NONE] = { "(なし)", "(none)" },
	[L_TOTAL] = { "合計", "total" },
	[L_MESSAGES] = { "通数", "messages" },
	[L_ANSWERED] = { "処理したメール", "messages answered" },
	[L_INBOUND] = { "受信", "inbound" },
	[L_OUTBOUND] = { "送信", "outbound" },
	[L_BYTES_IN] = { "受け取ったバイト数", "bytes received" },
	[L_NO_TRAFFIC] = { "注意: この索引には処理記録 (traffic) がありません (スキーマ 3 未満)。"
			   "処理結果・送信元・宛先・定義の集計は空です。",
			   "note: this index has no traffic records (schema version < 3): "
			   "outcomes, senders, recipients and signatures are empty." },
	[L_DAYS] = { "日別の処理結果", "Outcomes by day" },
	[L_DAY] = { "日付", "day" },
	[L_AGE_MIN] = { "定義日数min", "sig age min" },
	[L_AGE_MAX] = { "定義日数max", "sig age max" },
	[L_SIG_VERSION] = { "定義版", "sig version" },
	[L_VIRUSES] = { "ウイルス", "Viruses" },
	[L_SUSPICIOUS] = { "不審な検知", "Suspicious detections" },
	[L_NAME] = { "名前", "name" },
	[L_FIRST] = { "最初", "first" },
	[L_LAST] = { "最後", "last" },
	[L_RCPTS] = { "宛先", "recipients" },
	[L_BY_TYPE] = { "削除した添付ファイル (実際の形式別)", "Removed attachments by true type" },
	[L_BY_EXT] = { "削除した添付ファイル (拡張子別)", "Removed attachments by extension" },
	[L_TYPE] = { "形式", "type" },
	[L_EXT] = { "拡張子", "extension" },
	[L_NO_EXT] = { "(拡張子なし)", "(no extension)" },
	[L_UNKNOWN] = { "(不明)", "(unknown)" },
	[L_PARTS] = { "個数", "parts" },
	[L_MISMATCHES] = { "形式の不一致", "Type mismatches" },
	[L_TIME] = { "日時", "time" },
	[L_ID] = { "ID", "ID" },
	[L_FILENAME] = { "ファイル名", "file name" },
	[L_DECLARED] = { "宣言された形式", "declared type" },
	[L_TRUE_TYPE] = { "実際の形式", "true type" },
	[L_UNINSPECTED] = { "検査できなかったもの", "Could not be inspected" },
	[L_KIND] = { "種類", "kind" },
	[L_UNINSPECTED_MSGS] = { "該当メール (重複なし)", "messages (each once)" },
	[L_TOP_DOMAINS] = { "送信元ドメイン上位", "Top sender domains" },
	[L_DOMAIN] = { "ドメイン", "domain" },
	[L_TOP_RCPTS] = { "宛先上位", "Top recipients" },
	[L_RCPT] = { "宛先", "recipient" },
	[L_RELEASES] = { "原本の解放", "Releases" },
	[L_RELEASED_RCPTS] = { "解放した宛先数", "recipients released" },
	[L_RELEASED_MSGS] = { "解放したメール数", "messages released" },
	[L_MEDIAN] = { "到着から解放まで (中央値)", "arrival to release (median)" },
	[L_P90] = { "到着から解放まで (90%)", "arrival to release (90th percentile)" },
	[L_MAX] = { "到着から解放まで (最大)", "arrival to release (longest)" },
	[L_BY_OPERATOR] = { "解放した担当者", "Releases by operator" },
	[L_OPERATOR] = { "担当者", "operator" },
	[L_SIGNATURES] = { "ウイルス定義", "Signature database" },
	[L_SIG_AGE_MIN] = { "経過日数 (最小)", "age in days (least)" },
	[L_SIG_AGE_MAX] = { "経過日数 (最大)", "age in days (most)" },
	[L_SIG_VERSION_MIN] = { "版 (最小)", "version (lowest)" },
	[L_SIG_VERSION_MAX] = { "版 (最大)", "version (highest)" },
	[L_QUERY] = { "照会", "Look-up" },
	[L_SHA256] = { "SHA-256", "SHA-256" },
	[L_VIRUS] = { "検知名", "detection" },
	[L_HITS] = { "該当するメール", "Messages found" },
	[L_HIT_COUNT] = { "該当するメール数", "messages found" },
	[L_NO_HIT] = { "該当するメールはありません。", "No message found." },
	[L_SENDER] = { "送信者", "sender" },
	[L_FROM] = { "From", "From" },
	[L_SUBJECT] = { "件名", "subject" },
	[L_CLIENT] = { "接続元", "client" },
	[L_ACTION] = { "処置", "action" },
	[L_STATUS] = { "状態", "status" },
	[L_MATCHED] = { "一致", "matched" },
	[L_RELEASED_AT] = { "解放日時", "released at" },
	[L_RELEASED_BY] = { "解放者", "released by" },
	[L_NOT_RELEASED] = { "未解放", "not released" },
};

static const char *const outcome_labels[MG_OC_COUNT][2] = {
	{ "配送（そのまま）", "as is" }, { "無害化", "sanitized" }, { "原本保管", "kept" },
	{ "不審", "suspicious" }, { "検査不能", "cannot inspect" }, { "ウイルス", "virus" },
	{ "一時エラー", "tempfail" },
};

static const char *const kind_labels[][3] = {
	{ "password_zip", "パスワード付き ZIP", "password ZIP" },
	{ "encrypted_document", "暗号化された文書", "encrypted document" },
	{ "smime_encrypted", "S/MIME 暗号化", "S/MIME encrypted" },
	{ "pgp_encrypted", "PGP 暗号化", "PGP encrypted" },
	{ "archive_unreadable", "読めないアーカイブ", "unreadable archive" },
	{ "archive_bomb", "展開すると巨大なアーカイブ", "archive bomb" },
	{ "archive_depth", "入れ子が深すぎるアーカイブ", "archive nested too deep" },
	{ "limit", "制限に達した", "a limit was hit" },
	{ "other", "その他", "other" },
};

#define L(id) labels[id][lang]

static const char *kind_label(const char *kind, mg_report_lang lang)
{
	for (size_t i = 0; i < G_N_ELEMENTS(kind_labels); i++)
		if (strcmp(kind_labels[i][0], kind) == 0)
			return kind_labels[i][1 + lang];
	return kind;
}

/* A signature version, -1 for none (0). */
static gint64 version(unsigned v)
{
	return v ? (gint64)v : -1;
}

/* ---- tables -------------------------------------------------------------------- */

typedef struct {
	const char *title;
	guint ncols;
	const char *heads[MAX_COLS];
	const char *align;              /* 'l' or 'r' per column */
	GPtrArray *rows;                /* GPtrArray of char* (NULL: unknown) */
	char *note;                     /* a line after the table, or NULL */
} table;

static void table_free(gpointer p)
{
	table *t = p;

	g_ptr_array_unref(t->rows);
	g_free(t->note);
	g_free(t);
}

/* A new table in all; heads: one per letter of align, NULL-terminated. */
static table *table_add(GPtrArray *all, const char *title, const char *align, ...)
{
	table *t = g_new0(table, 1);
	va_list ap;

	t->title = title;
	t->align = align;
	t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	va_start(ap, align);
	for (const char *h; t->ncols < MAX_COLS && (h = va_arg(ap, const char *));)
		t->heads[t->ncols++] = h;
	va_end(ap);
	g_ptr_array_add(all, t);
	return t;
}

static GPtrArray *row_add(table *t)
{
	GPtrArray *row = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(t->rows, row);
	return row;
}

static void cell(GPtrArray *row, const char *s)
{
	g_ptr_array_add(row, g_strdup(s));
}

static void cell_u64(GPtrArray *row, guint64 v)
{
	g_ptr_array_add(row, g_strdup_printf("%" G_GUINT64_FORMAT, v));
}

/* v, or an unknown cell when v < 0 */
static void cell_i64(GPtrArray *row, gint64 v)
{
	g_ptr_array_add(row, v < 0 ? NULL : g_strdup_printf("%" G_GINT64_FORMAT, v));
}

/* seconds as "H:MM:SS" (hours not cut at a day), unknown when < 0 */
static void cell_duration(GPtrArray *row, gint64 s)
{
	g_ptr_array_add(row, s < 0 ? NULL
			: g_strdup_printf("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600,
					  (int)(s / 60 % 60), (int)(s % 60)));
}

static void pair(table *t, const char *item, char *value_taken)
{
	GPtrArray *row = row_add(t);

	cell(row, item);
	g_ptr_array_add(row, value_taken);
}

static void count_rows(table *t, const GPtrArray *counts, const char *empty_key)
{
	for (guint i = 0; i < counts->len; i++) {
		const mg_report_count *c = g_ptr_array_index(counts, i);
		GPtrArray *row = row_add(t);
		cell(row, *c->key || !empty_key ? c->key : empty_key);
		cell_u64(row, c->count);
	}
}

/* ---- the sections as tables -------------------------------------------------------- */

static void summary_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_SUMMARY), "ll", L(L_ITEM), L(L_VALUE), NULL);

	pair(t, L(L_PERIOD), g_strconcat(r->since_text, L(L_TO), r->until_text, NULL));
	pair(t, L(L_HOST), g_strdup(r->hostname));
	pair(t, L(L_MADE), g_strdup(r->made_text));
	pair(t, L(L_ANSWERED), g_strdup_printf("%" G_GUINT64_FORMAT, r->total));
	pair(t, L(L_INBOUND), g_strdup_printf("%" G_GUINT64_FORMAT, r->inbound));
	pair(t, L(L_OUTBOUND), g_strdup_printf("%" G_GUINT64_FORMAT, r->outbound));
	pair(t, L(L_BYTES_IN), g_strdup_printf("%" G_GUINT64_FORMAT, r->bytes_in));
	if (r->no_traffic)
		t->note = g_strdup(L(L_NO_TRAFFIC));
}

static void day_row(table *t, const char *day, const guint64 *n, guint64 in, guint64 out,
		    guint64 total, gint64 amin, gint64 amax, unsigned sig_version)
{
	GPtrArray *row = row_add(t);

	cell(row, day);
	for (int i = 0; i < MG_OC_COUNT; i++)
		cell_u64(row, n[i]);
	cell_u64(row, in);
	cell_u64(row, out);
	cell_u64(row, total);
	cell_i64(row, amin);
	cell_i64(row, amax);
	cell_i64(row, version(sig_version));
}

static void days_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_DAYS), "lrrrrrrrrrrrrr", L(L_DAY),
			     outcome_labels[0][lang], outcome_labels[1][lang],
			     outcome_labels[2][lang], outcome_labels[3][lang],
			     outcome_labels[4][lang], outcome_labels[5][lang],
			     outcome_labels[6][lang], L(L_INBOUND), L(L_OUTBOUND), L(L_TOTAL),
			     L(L_AGE_MIN), L(L_AGE_MAX), L(L_SIG_VERSION), NULL);

	for (guint i = 0; i < r->days->len; i++) {
		const mg_report_day *d = g_ptr_array_index(r->days, i);
		day_row(t, d->day, d->n, d->inbound, d->outbound, d->total, d->sig_age_min,
			d->sig_age_max, d->sig_version_max);
	}
	day_row(t, L(L_TOTAL), r->n, r->inbound, r->outbound, r->total, r->sig_age_min,
		r->sig_age_max, r->sig_version_max);
}

static void detections_table(GPtrArray *all, const GPtrArray *dets, const char *title,
			     mg_report_lang lang)
{
	table *t = table_add(all, title, "lrlll", L(L_NAME), L(L_MESSAGES), L(L_FIRST),
			     L(L_LAST), L(L_RCPTS), NULL);

	for (guint i = 0; i < dets->len; i++) {
		const mg_report_detection *d = g_ptr_array_index(dets, i);
		GPtrArray *row = row_add(t);
		cell(row, d->name);
		cell_u64(row, d->messages);
		cell(row, d->first);
		cell(row, d->last);
		GString *rcpts = g_string_new(NULL);
		for (guint k = 0; k < d->rcpts->len; k++)
			g_string_append_printf(rcpts, "%s%s", k ? " " : "",
					       (char *)g_ptr_array_index(d->rcpts, k));
		g_ptr_array_add(row, g_string_free(rcpts, FALSE));
	}
}

static void removed_tables(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_BY_TYPE), "lr", L(L_TYPE), L(L_PARTS), NULL);

	count_rows(t, r->removed_by_type, L(L_UNKNOWN));
	pair(t, L(L_TOTAL), g_strdup_printf("%" G_GUINT64_FORMAT, r->removed_parts));
	t = table_add(all, L(L_BY_EXT), "lr", L(L_EXT), L(L_PARTS), NULL);
	count_rows(t, r->removed_by_ext, L(L_NO_EXT));
	t = table_add(all, L(L_MISMATCHES), "lllll", L(L_TIME), L(L_ID), L(L_FILENAME),
		      L(L_DECLARED), L(L_TRUE_TYPE), NULL);
	for (guint i = 0; i < r->mismatches->len; i++) {
		const mg_report_mismatch *m = g_ptr_array_index(r->mismatches, i);
		GPtrArray *row = row_add(t);
		cell(row, m->time);
		cell(row, m->id);
		cell(row, m->filename);
		cell(row, m->declared);
		cell(row, m->true_type);
	}
	if (r->mismatch_count > r->mismatches->len)
		t->note = lang == MG_REPORT_JA
			  ? g_strdup_printf("新しい順に %u 件を表示 (全 %" G_GUINT64_FORMAT " 件)",
					    r->mismatches->len, r->mismatch_count)
			  : g_strdup_printf("the newest %u shown (of %" G_GUINT64_FORMAT ")",
					    r->mismatches->len, r->mismatch_count);
}

static void uninspected_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_UNINSPECTED), "lr", L(L_KIND), L(L_MESSAGES), NULL);

	for (guint i = 0; i < r->cannot_inspect->len; i++) {
		const mg_report_count *c = g_ptr_array_index(r->cannot_inspect, i);
		pair(t, kind_label(c->key, lang), g_strdup_printf("%" G_GUINT64_FORMAT, c->count));
	}
	pair(t, L(L_UNINSPECTED_MSGS),
	     g_strdup_printf("%" G_GUINT64_FORMAT, r->cannot_inspect_messages));
}

static void top_tables(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_TOP_DOMAINS), "lr", L(L_DOMAIN), L(L_MESSAGES), NULL);

	count_rows(t, r->top_sender_domains, NULL);
	t = table_add(all, L(L_TOP_RCPTS), "lr", L(L_RCPT), L(L_MESSAGES), NULL);
	count_rows(t, r->top_rcpts, NULL);
}

static void release_tables(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	const mg_report_releases *rel = &r->releases;
	table *t = table_add(all, L(L_RELEASES), "ll", L(L_ITEM), L(L_VALUE), NULL);
	GPtrArray *row;

	pair(t, L(L_RELEASED_RCPTS), g_strdup_printf("%" G_GUINT64_FORMAT, rel->count));
	pair(t, L(L_RELEASED_MSGS), g_strdup_printf("%" G_GUINT64_FORMAT, rel->messages));
	cell(row = row_add(t), L(L_MEDIAN));
	cell_duration(row, rel->median_s);
	cell(row = row_add(t), L(L_P90));
	cell_duration(row, rel->p90_s);
	cell(row = row_add(t), L(L_MAX));
	cell_duration(row, rel->max_s);
	t = table_add(all, L(L_BY_OPERATOR), "lr", L(L_OPERATOR), L(L_RCPTS), NULL);
	count_rows(t, rel->by_operator, NULL);
}

static void signature_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_SIGNATURES), "ll", L(L_ITEM), L(L_VALUE), NULL);
	GPtrArray *row;

	cell(row = row_add(t), L(L_SIG_AGE_MIN));
	cell_i64(row, r->sig_age_min);
	cell(row = row_add(t), L(L_SIG_AGE_MAX));
	cell_i64(row, r->sig_age_max);
	cell(row = row_add(t), L(L_SIG_VERSION_MIN));
	cell_i64(row, version(r->sig_version_min));
	cell(row = row_add(t), L(L_SIG_VERSION_MAX));
	cell_i64(row, version(r->sig_version_max));
}

static void query_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_QUERY), "ll", L(L_ITEM), L(L_VALUE), NULL);

	if (r->q.sha256)
		pair(t, L(L_SHA256), g_strdup(r->q.sha256));
	if (r->q.virus)
		pair(t, L(L_VIRUS), g_strdup(r->q.virus));
	pair(t, L(L_PERIOD), g_strconcat(r->since_text, L(L_TO), r->until_text, NULL));
	pair(t, L(L_HOST), g_strdup(r->hostname));
	pair(t, L(L_MADE), g_strdup(r->made_text));
	pair(t, L(L_HIT_COUNT), g_strdup_printf("%u", r->hits->len));
}

static void hit_row(table *t, const mg_report_hit *h, const mg_report_rcpt *x)
{
	GPtrArray *row = row_add(t);
	const char *text[] = { h->id, h->time, h->mail_from, h->from_hdr, h->subject,
			       h->client_addr, h->action, h->status, h->matched };

	for (size_t i = 0; i < G_N_ELEMENTS(text); i++)
		cell(row, text[i]);
	cell(row, x ? x->rcpt : NULL);
	cell(row, x ? x->released_at : NULL);
	cell(row, x ? x->released_by : NULL);
}

static void hits_table(GPtrArray *all, const mg_report *r, mg_report_lang lang)
{
	table *t = table_add(all, L(L_HITS), "llllllllllll", L(L_ID), L(L_TIME), L(L_SENDER),
			     L(L_FROM), L(L_SUBJECT), L(L_CLIENT), L(L_ACTION), L(L_STATUS),
			     L(L_MATCHED), L(L_RCPT), L(L_RELEASED_AT), L(L_RELEASED_BY), NULL);

	for (guint i = 0; i < r->hits->len; i++) {
		const mg_report_hit *h = g_ptr_array_index(r->hits, i);
		for (guint k = 0; k < h->rcpts->len; k++)
			hit_row(t, h, g_ptr_array_index(h->rcpts, k));
		if (!h->rcpts->len)
			hit_row(t, h, NULL);
	}
}

/* The report as tables, one per section (table*). */
static GPtrArray *tables_of(const mg_report *r, mg_report_lang lang)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(table_free);

	if (r->incident) {
		query_table(all, r, lang);
		hits_table(all, r, lang);
		return all;
	}
	summary_table(all, r, lang);
	days_table(all, r, lang);
	detections_table(all, r->viruses, L(L_VIRUSES), lang);
	detections_table(all, r->suspicious, L(L_SUSPICIOUS), lang);
	removed_tables(all, r, lang);
	uninspected_table(all, r, lang);
	top_tables(all, r, lang);
	release_tables(all, r, lang);
	signature_table(all, r, lang);
	return all;
}

/* ---- text ------------------------------------------------------------------------- */

/* Display columns of s: two for wide (East Asian) characters. */
static guint text_width(const char *s)
{
	guint w = 0;

	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		w += g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
	}
	return w;
}

/* s cut to at most max display columns, "…" marking a cut. */
static char *text_cut(const char *s, guint max)
{
	GString *o = g_string_new(NULL);
	guint w = 0;

	if (text_width(s) <= max)
		return g_strdup(s);
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		guint cw = g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
		if (w + cw > max - 1)
			break;
		g_string_append_unichar(o, c);
		w += cw;
	}
	g_string_append(o, "…");
	return g_string_free(o, FALSE);
}

static void pad(GString *o, const char *s, guint width, bool right)
{
	guint w = text_width(s);

	if (right)
		for (guint i = w; i < width; i++)
			g_string_append_c(o, ' ');
	g_string_append(o, s);
	if (!right)
		for (guint i = w; i < width; i++)
			g_string_append_c(o, ' ');
}

/* row as cut texts (heads when row is NULL). */
static char **text_cells(const table *t, const GPtrArray *row)
{
	char **c = g_new0(char *, t->ncols + 1);

	for (guint i = 0; i < t->ncols; i++) {
		const char *s = row ? (i < row->len ? g_ptr_array_index(row, i) : NULL)
				    : t->heads[i];
		c[i] = text_cut(s ? s : "-", TEXT_CELL_MAX);
	}
	return c;
}

static void text_line(GString *o, const table *t, char **cells, const guint *widths)
{
	gsize start = o->len;

	for (guint i = 0; i < t->ncols; i++) {
		if (i)
			g_string_append(o, "  ");
		pad(o, cells[i], widths[i], t->align[i] == 'r');
	}
	while (o->len > start && o->str[o->len - 1] == ' ')
		g_string_truncate(o, o->len - 1);
	g_string_append_c(o, '\n');
}

static void text_table(GString *o, const table *t, mg_report_lang lang)
{
	guint widths[MAX_COLS] = { 0 };
	GPtrArray *lines = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

	g_string_append_printf(o, "\n== %s ==\n", t->title);
	for (guint r = 0; r <= t->rows->len; r++) {
		char **c = text_cells(t, r ? g_ptr_array_index(t->rows, r - 1) : NULL);
		for (guint i = 0; i < t->ncols; i++)
			widths[i] = MAX(widths[i], text_width(c[i]));
		g_ptr_array_add(lines, c);
	}
	for (guint r = 0; r < lines->len; r++)
		text_line(o, t, g_ptr_array_index(lines, r), widths);
	if (!t->rows->len)
		g_string_append_printf(o, "%s\n", L(L_NONE));
	if (t->note)
		g_string_append_printf(o, "%s\n", t->note);
	g_ptr_array_unref(lines);
}

/* "  LABEL  value" lines of one message of a look-up, labels aligned. */
static void text_field(GString *o, const char *label, const char *value, guint width)
{
	g_string_append(o, "    ");
	pad(o, label, width, false);
	g_string_append_printf(o, "  %s\n", value && *value ? value : "-");
}

static void text_hit(GString *o, guint n, const mg_report_hit *h, mg_report_lang lang)
{
	const int ids[] = { L_SENDER, L_FROM, L_SUBJECT, L_CLIENT, L_ACTION, L_STATUS,
			    L_MATCHED, L_RCPTS };
	const char *values[] = { h->mail_from && *h->mail_from ? h->mail_from : "<>",
				 h->from_hdr, h->subject, h->client_addr, h->action, h->status,
				 h->matched };
	guint width = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		width = MAX(width, text_width(L(ids[i])));
	g_string_append_printf(o, "\n[%u] %s  %s\n", n, h->id, h->time);
	for (size_t i = 0; i < G_N_ELEMENTS(values); i++)
		text_field(o, L(ids[i]), values[i], width);
	for (guint k = 0; k < h->rcpts->len; k++) {
		const mg_report_rcpt *x = g_ptr_array_index(h->rcpts, k);
		char *v = x->released_at
			  ? g_strdup_printf("%s  %s %s (%s)", x->rcpt, L(L_RELEASED_AT),
					    x->released_at, x->released_by ? x->released_by : "-")
			  : g_strdup_printf("%s  %s", x->rcpt, L(L_NOT_RELEASED));
		text_field(o, k ? "" : L(L_RCPTS), v, width);
		g_free(v);
	}
}

static void text_incident(GString *o, const mg_report *r, mg_report_lang lang)
{
	g_string_append_printf(o, "%s: %s %s  %s %s%s%s  %s %s\n", L(L_INCIDENT),
			       r->q.sha256 ? L(L_SHA256) : L(L_VIRUS),
			       r->q.sha256 ? r->q.sha256 : r->q.virus, L(L_PERIOD),
			       r->since_text, L(L_TO), r->until_text, L(L_HOST), r->hostname);
	if (!r->hits->len) {
		g_string_append_printf(o, "%s\n", L(L_NO_HIT));
		return;
	}
	g_string_append_printf(o, "%s: %u\n", L(L_HIT_COUNT), r->hits->len);
	for (guint i = 0; i < r->hits->len; i++)
		text_hit(o, i + 1, g_ptr_array_index(r->hits, i), lang);
}

char *mg_report_text(const mg_report *r, mg_report_lang lang)
{
	GString *o = g_string_new(NULL);

	if (r->incident) {
		text_incident(o, r, lang);
		return g_string_free(o, FALSE);
	}
	g_string_append_printf(o, "%s  %s %s%s%s  %s %s\n", L(L_TITLE), L(L_PERIOD),
			       r->since_text, L(L_TO), r->until_text, L(L_HOST), r->hostname);
	GPtrArray *all = tables_of(r, lang);
	for (guint i = 0; i < all->len; i++)
		text_table(o, g_ptr_array_index(all, i), lang);
	g_ptr_array_unref(all);
	return g_string_free(o, FALSE);
}

/* ---- CSV --------------------------------------------------------------------------- */

static void csv_cell(GString *o, const char *s)
{
	const char *v = s ? s : "";
	bool formula = *v && strchr("=+-@\t\r", *v);
	bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;

	if (quote)
		g_string_append_c(o, '"');
	if (formula)
		g_string_append_c(o, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			g_string_append_c(o, '"');
		g_string_append_c(o, *p);
	}
	if (quote)
		g_string_append_c(o, '"');
}

static void csv_row(GString *o, guint n, const char *const *cells)
{
	for (guint i = 0; i < n; i++) {
		if (i)
			g_string_append_c(o, ',');
		csv_cell(o, cells[i]);
	}
	g_string_append(o, "\r\n");
}

static void csv_table(GString *o, const table *t)
{
	csv_row(o, 1, &t->title);
	csv_row(o, t->ncols, t->heads);
	for (guint r = 0; r < t->rows->len; r++) {
		GPtrArray *row = g_ptr_array_index(t->rows, r);
		csv_row(o, MIN(row->len, t->ncols), (const char *const *)row->pdata);
	}
	if (t->note)
		csv_row(o, 1, (const char *const *)&t->note);
	g_string_append(o, "\r\n");
}

char *mg_report_csv(const mg_report *r, mg_report_lang lang)
{
	GString *o = g_string_new("\xEF\xBB\xBF");
	GPtrArray *all = tables_of(r, lang);

	for (guint i = 0; i < all->len; i++)
		csv_table(o, g_ptr_array_index(all, i));
	g_ptr_array_unref(all);
	return g_string_free(o, FALSE);
}

/* ---- JSON ------------------------------------------------------------------------ */

/* ,\n  "key": [{"name": key, "count": n}, ...] */
static void jcounts(GString *o, const char *key, const char *name, const GPtrArray *a)
{
	mg_json_key(o, MG_JSON_LINE, key);
	g_string_append_c(o, '[');
	for (guint i = 0; i < a->len; i++) {
		const mg_report_count *c = g_ptr_array_index(a, i);
		g_string_append(o, i ? ",\n    {" : "\n    {");
		mg_json_str(o, MG_JSON_FIRST, name, c->key);
		mg_json_u64(o, MG_JSON_NEXT, "count", c->count);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_outcomes(GString *o, const guint64 *n, guint64 in, guint64 out,
			  guint64 total)
{
	for (int i = 0; i < MG_OC_COUNT; i++)
		mg_json_u64(o, MG_JSON_NEXT, mg_outcome_name(i), n[i]);
	mg_json_u64(o, MG_JSON_NEXT, "inbound", in);
	mg_json_u64(o, MG_JSON_NEXT, "outbound", out);
	mg_json_u64(o, MG_JSON_NEXT, "total", total);
}

static void json_head(GString *o, const mg_report *r)
{
	g_string_append(o, "{\"report\": ");
	mg_json_string(o, r->incident ? "incident" : "period");
	g_string_append(o, ",\n  \"period\": {");
	mg_json_str(o, MG_JSON_FIRST, "since", r->since_text);
	mg_json_str(o, MG_JSON_NEXT, "until", r->until_text);
	mg_json_u64(o, MG_JSON_NEXT, "days", r->days->len);
	g_string_append(o, "},\n  ");
	mg_json_str(o, MG_JSON_FIRST, "made", r->made_text);
	mg_json_str(o, MG_JSON_NEXT, "host", r->hostname);
	mg_json_bool(o, MG_JSON_NEXT, "traffic_records", !r->no_traffic);
}

static void json_days(GString *o, const mg_report *r)
{
	g_string_append(o, ",\n  \"totals\": {");
	mg_json_u64(o, MG_JSON_FIRST, "bytes_in", r->bytes_in);
	json_outcomes(o, r->n, r->inbound, r->outbound, r->total);
	g_string_append(o, "},\n  \"days\": [");
	for (guint i = 0; i < r->days->len; i++) {
		const mg_report_day *d = g_ptr_array_index(r->days, i);
		g_string_append(o, i ? ",\n    {" : "\n    {");
		mg_json_str(o, MG_JSON_FIRST, "day", d->day);
		json_outcomes(o, d->n, d->inbound, d->outbound, d->total);
		mg_json_i64_or_null(o, MG_JSON_NEXT, "sig_age_min", d->sig_age_min);
		mg_json_i64_or_null(o, MG_JSON_NEXT, "sig_age_max", d->sig_age_max);
		mg_json_i64_or_null(o, MG_JSON_NEXT, "sig_version_max", version(d->sig_version_max));
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_detections(GString *o, const char *key, const GPtrArray *a)
{
	mg_json_key(o, MG_JSON_LINE, key);
	g_string_append_c(o, '[');
	for (guint i = 0; i < a->len; i++) {
		const mg_report_detection *d = g_ptr_array_index(a, i);
		g_string_append(o, i ? ",\n    {" : "\n    {");
		mg_json_str(o, MG_JSON_FIRST, "name", d->name);
		mg_json_u64(o, MG_JSON_NEXT, "messages", d->messages);
		mg_json_str(o, MG_JSON_NEXT, "first", d->first);
		mg_json_str(o, MG_JSON_NEXT, "last", d->last);
		mg_json_strings(o, MG_JSON_NEXT, "rcpts", (char *const *)d->rcpts->pdata,
				d->rcpts->len);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_removed(GString *o, const mg_report *r)
{
	g_string_append(o, ",\n  \"removed\": {");
	mg_json_u64(o, MG_JSON_FIRST, "parts", r->removed_parts);
	mg_json_u64(o, MG_JSON_NEXT, "mismatch_count", r->mismatch_count);
	g_string_append(o, "}");
	jcounts(o, "removed_by_type", "type", r->removed_by_type);
	jcounts(o, "removed_by_extension", "extension", r->removed_by_ext);
	g_string_append(o, ",\n  \"mismatches\": [");
	for (guint i = 0; i < r->mismatches->len; i++) {
		const mg_report_mismatch *m = g_ptr_array_index(r->mismatches, i);
		g_string_append(o, i ? ",\n    {" : "\n    {");
		mg_json_str(o, MG_JSON_FIRST, "time", m->time);
		mg_json_str(o, MG_JSON_NEXT, "id", m->id);
		mg_json_str(o, MG_JSON_NEXT, "filename", m->filename);
		mg_json_str(o, MG_JSON_NEXT, "declared", m->declared);
		mg_json_str(o, MG_JSON_NEXT, "true_type", m->true_type);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_rest(GString *o, const mg_report *r)
{
	const mg_report_releases *rel = &r->releases;

	g_string_append(o, ",\n  \"cannot_inspect\": {");
	mg_json_u64(o, MG_JSON_FIRST, "messages", r->cannot_inspect_messages);
	g_string_append(o, "}");
	jcounts(o, "cannot_inspect_by_kind", "kind", r->cannot_inspect);
	jcounts(o, "top_sender_domains", "domain", r->top_sender_domains);
	jcounts(o, "top_recipients", "rcpt", r->top_rcpts);
	g_string_append(o, ",\n  \"releases\": {");
	mg_json_u64(o, MG_JSON_FIRST, "rcpts", rel->count);
	mg_json_u64(o, MG_JSON_NEXT, "messages", rel->messages);
	mg_json_i64_or_null(o, MG_JSON_NEXT, "median_seconds", rel->median_s);
	mg_json_i64_or_null(o, MG_JSON_NEXT, "p90_seconds", rel->p90_s);
	mg_json_i64_or_null(o, MG_JSON_NEXT, "max_seconds", rel->max_s);
	g_string_append(o, "}");
	jcounts(o, "releases_by_operator", "operator", rel->by_operator);
	g_string_append(o, ",\n  \"signatures\": {");
	mg_json_i64_or_null(o, MG_JSON_FIRST, "age_days_min", r->sig_age_min);
	mg_json_i64_or_null(o, MG_JSON_NEXT, "age_days_max", r->sig_age_max);
	mg_json_i64_or_null(o, MG_JSON_NEXT, "version_min", version(r->sig_version_min));
	mg_json_i64_or_null(o, MG_JSON_NEXT, "version_max", version(r->sig_version_max));
	g_string_append(o, "}");
}

static void json_hit(GString *o, const mg_report_hit *h)
{
	mg_json_str(o, MG_JSON_FIRST, "id", h->id);
	mg_json_str(o, MG_JSON_NEXT, "time", h->time);
	mg_json_str(o, MG_JSON_NEXT, "mail_from", h->mail_from);
	mg_json_str(o, MG_JSON_NEXT, "from", h->from_hdr);
	mg_json_str(o, MG_JSON_NEXT, "subject", h->subject);
	mg_json_str(o, MG_JSON_NEXT, "client_addr", h->client_addr);
	mg_json_str(o, MG_JSON_NEXT, "action", h->action);
	mg_json_str(o, MG_JSON_NEXT, "status", h->status);
	mg_json_str(o, MG_JSON_NEXT, "matched", h->matched);
	g_string_append(o, ", \"rcpts\": [");
	for (guint k = 0; k < h->rcpts->len; k++) {
		const mg_report_rcpt *x = g_ptr_array_index(h->rcpts, k);
		g_string_append(o, k ? ", {" : "{");
		mg_json_str(o, MG_JSON_FIRST, "rcpt", x->rcpt);
		mg_json_str(o, MG_JSON_NEXT, "released_at", x->released_at);
		mg_json_str(o, MG_JSON_NEXT, "released_by", x->released_by);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_hits(GString *o, const mg_report *r)
{
	g_string_append(o, ",\n  \"query\": {");
	mg_json_str(o, MG_JSON_FIRST, "sha256", r->q.sha256);
	mg_json_str(o, MG_JSON_NEXT, "virus", r->q.virus);
	g_string_append(o, "},\n  \"hits\": [");
	for (guint i = 0; i < r->hits->len; i++) {
		g_string_append(o, i ? ",\n    {" : "\n    {");
		json_hit(o, g_ptr_array_index(r->hits, i));
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

char *mg_report_json(const mg_report *r)
{
	GString *o = g_string_new(NULL);

	json_head(o, r);
	if (r->incident) {
		json_hits(o, r);
	} else {
		json_days(o, r);
		json_detections(o, "viruses", r->viruses);
		json_detections(o, "suspicious", r->suspicious);
		json_removed(o, r);
		json_rest(o, r);
	}
	g_string_append(o, "}\n");
	return g_string_free(o, FALSE);
}

/* ---- dispatch ----------------------------------------------------------------------- */

char *mg_report_render(const mg_report *r, mg_report_format f, mg_report_lang lang)
{
	switch (f) {
	case MG_REPORT_CSV: return mg_report_csv(r, lang);
	case MG_REPORT_JSON: return mg_report_json(r);
	case MG_REPORT_HTML: return mg_report_html(r, lang);
	case MG_REPORT_TEXT: break;
	}
	return mg_report_text(r, lang);
}
