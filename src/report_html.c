/*
 * report_html.c - mugaika report as one self-contained HTML page with
 * inline SVG charts (see report.h).
 *
 * SYNOPSIS
 *	char *mg_report_html(const mg_report *r, mg_report_lang lang);
 *
 * DESCRIPTION
 *	mg_report_html returns the page (caller frees); r is only read.  The
 *	page is UTF-8, <html lang="ja"> or "en", and needs nothing outside
 *	itself: CSS in one <style> block, charts as inline <svg>, no script,
 *	no URL anywhere, and a Content-Security-Policy (default-src 'none')
 *	so that even a bug here cannot make a browser fetch anything.
 *
 *	Period report: a title (period, host, time made); a summary of the
 *	outcomes with coloured keys; the daily chart (one stacked bar per
 *	local day, stacks in mg_outcome order, a few tick values, day labels
 *	thinned to about 12) and the daily table (by month past 62 days);
 *	viruses and suspicious detections with their recipients; removed
 *	attachments by true type and by extension (bar chart + table) and the
 *	type mismatches; what could not be inspected; top sender domains
 *	(bar chart + table) and top recipients; releases; the signature
 *	database's age.  Incident look-up (r->incident): the title, the query
 *	and one block per message found, with its recipients and whether each
 *	was released, instead of the period's sections.  A section with
 *	nothing in it says so ("なし" / "none"); with r->no_traffic the
 *	sections made from traffic records say why they are empty.
 *
 *	Every string of the report goes through put_text: made valid UTF-8,
 *	& < > " ' escaped, control, format (bidi, zero-width) and line
 *	separator characters shown as '?'.  Numbers and colours are the only
 *	other things written into the markup.  Labels are Japanese or English
 *	from the tables below (the outcomes' names and colours in one table).
 *
 *	Printing: A4 with 15 mm margins; the charts scale to the page width
 *	(viewBox, width 100%); table rows, charts and incident blocks are not
 *	split across pages; the long daily table starts a page of its own;
 *	colours are printed (print-color-adjust: exact).
 *
 * MEMORY
 *	GLib allocation (aborts on out of memory); no other failure.
 */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#define CHART_W 800             /* the charts' viewBox width */
#define DAY_LABELS 12           /* at most about this many day labels */
#define BY_MONTH_AFTER 62       /* more days than this: the table is by month */
#define LONG_TABLE 14           /* more days than this: the table on a new page */
#define LABEL_CHARS 40          /* a bar chart's labels are cut after this */
#define RCPTS_SHOWN 50          /* recipients listed per detection */
#define DEFAULT_TOP 10

/* ---- labels ------------------------------------------------------------------ */

/* The outcomes: label (ja, en) and colour (Okabe-Ito, told apart by most
 * colour-blind readers), in mg_outcome order. */
static const struct {
	const char *label[2];
	const char *colour;
} outcomes[MG_OC_COUNT] = {
	[MG_OC_PASSED] = { { "配送（そのまま）", "Passed as is" }, "#009E73" },
	[MG_OC_SANITIZED] = { { "無害化", "Sanitized" }, "#0072B2" },
	[MG_OC_KEPT] = { { "原本保管", "Original kept" }, "#56B4E9" },
	[MG_OC_SUSPICIOUS] = { { "不審", "Suspicious" }, "#E69F00" },
	[MG_OC_CANNOT_INSPECT] = { { "検査不能", "Cannot inspect" }, "#CC79A7" },
	[MG_OC_VIRUS] = { { "ウイルス", "Virus" }, "#D55E00" },
	[MG_OC_TEMPFAIL] = { { "一時エラー", "Temporary failure" }, "#999999" },
};

typedef enum {
	T_TITLE, T_TITLE_INCIDENT, T_PERIOD, T_TO, T_HOST, T_MADE, T_NONE, T_UNKNOWN,
	T_NO_TRAFFIC, T_SUMMARY, T_OUTCOME, T_MESSAGES, T_SHARE, T_TOTAL, T_INBOUND,
	T_OUTBOUND, T_BYTES_IN, T_DAILY, T_DAILY_CHART, T_DAY, T_MONTH, T_BY_MONTH,
	T_SIG_AGE_COL, T_DETECTIONS, T_VIRUSES, T_SUSPICIOUS, T_NAME, T_RCPTS, T_FIRST,
	T_LAST, T_MORE, T_REMOVED, T_REMOVED_PARTS, T_BY_TYPE, T_BY_EXT, T_TRUE_TYPE,
	T_EXT, T_NO_EXT, T_PARTS, T_MISMATCHES, T_MISMATCHES_SHOWN, T_TIME, T_ID,
	T_FILENAME, T_DECLARED, T_UNINSPECTED, T_KIND, T_UNINSPECTED_MSGS, T_SENDERS,
	T_TOP_DOMAINS, T_DOMAIN, T_TOP_RCPTS, T_RCPT, T_RELEASES, T_RELEASED_RCPTS,
	T_RELEASED_MSGS, T_MEDIAN, T_P90, T_MAX, T_BY_OPERATOR, T_OPERATOR, T_SIGNATURES,
	T_SIG_AGE, T_SIG_VERSION, T_DAYS, T_ITEM, T_VALUE, T_QUERY, T_SHA256, T_VIRUS,
	T_HITS, T_HIT_SUMMARY, T_SENDER, T_FROM, T_SUBJECT, T_CLIENT, T_ACTION, T_STATUS,
	T_MATCHED, T_RELEASED_AT, T_RELEASED_BY, T_NOT_RELEASED, T_COUNT
} text_id;

static const char *const texts[T_COUNT][2] = {
	[T_TITLE] = { "mugaika 報告書", "mugaika report" },
	[T_TITLE_INCIDENT] = { "mugaika 調査報告", "mugaika incident look-up" },
	[T_PERIOD] = { "期間", "Period" },
	[T_TO] = { " 〜 ", " to " },
	[T_HOST] = { "ホスト", "Host" },
	[T_MADE] = { "作成", "Made" },
	[T_NONE] = { "なし", "none" },
	[T_UNKNOWN] = { "不明", "unknown" },
	[T_NO_TRAFFIC] = { "この索引には処理記録（traffic）がありません（スキーマ 3 より前）。"
			   "この節は集計できません。",
			   "Not available: this index predates the traffic records (schema < 3)." },
	[T_SUMMARY] = { "概要", "Summary" },
	[T_OUTCOME] = { "処理結果", "Outcome" },
	[T_MESSAGES] = { "通数", "Messages" },
	[T_SHARE] = { "割合", "Share" },
	[T_TOTAL] = { "合計", "Total" },
	[T_INBOUND] = { "受信", "Inbound" },
	[T_OUTBOUND] = { "送信", "Outbound" },
	[T_BYTES_IN] = { "原本の合計サイズ", "Size of the originals" },
	[T_DAILY] = { "日別の処理結果", "Outcomes by day" },
	[T_DAILY_CHART] = { "日別の処理結果（通数）", "Messages by day and outcome" },
	[T_DAY] = { "日付", "Day" },
	[T_MONTH] = { "月", "Month" },
	[T_BY_MONTH] = { "期間が長いため月別に示します（日別の数値は CSV または JSON 形式で）。",
			 "By month, the period being long (by day: the CSV or JSON format)." },
	[T_SIG_AGE_COL] = { "署名の経過日数", "Signature age (days)" },
	[T_DETECTIONS] = { "検出", "Detections" },
	[T_VIRUSES] = { "ウイルス", "Viruses" },
	[T_SUSPICIOUS] = { "不審な検出", "Suspicious detections" },
	[T_NAME] = { "検出名", "Name" },
	[T_RCPTS] = { "受信者", "Recipients" },
	[T_FIRST] = { "最初", "First" },
	[T_LAST] = { "最後", "Last" },
	[T_MORE] = { "ほか {1} 件", "and {1} more" },
	[T_REMOVED] = { "削除した添付ファイル", "Removed attachments" },
	[T_REMOVED_PARTS] = { "削除した添付ファイルの数", "Parts removed" },
	[T_BY_TYPE] = { "実際の形式別", "By true type" },
	[T_BY_EXT] = { "拡張子別", "By extension" },
	[T_TRUE_TYPE] = { "実際の形式", "True type" },
	[T_EXT] = { "拡張子", "Extension" },
	[T_NO_EXT] = { "（拡張子なし）", "(no extension)" },
	[T_PARTS] = { "個数", "Parts" },
	[T_MISMATCHES] = { "形式の不一致", "Type mismatches" },
	[T_MISMATCHES_SHOWN] = { "全 {1} 件のうち新しい {2} 件", "The newest {2} of {1}" },
	[T_TIME] = { "日時", "Time" },
	[T_ID] = { "ID", "ID" },
	[T_FILENAME] = { "ファイル名", "File name" },
	[T_DECLARED] = { "宣言された形式", "Declared type" },
	[T_UNINSPECTED] = { "検査できなかったもの", "Could not be inspected" },
	[T_KIND] = { "種類", "Kind" },
	[T_UNINSPECTED_MSGS] = { "該当するメール（重複なし）", "Messages (each once)" },
	[T_SENDERS] = { "送信元と受信者", "Senders and recipients" },
	[T_TOP_DOMAINS] = { "送信元ドメイン上位", "Top sender domains" },
	[T_DOMAIN] = { "ドメイン", "Domain" },
	[T_TOP_RCPTS] = { "受信者上位", "Top recipients" },
	[T_RCPT] = { "受信者", "Recipient" },
	[T_RELEASES] = { "解放", "Releases" },
	[T_RELEASED_RCPTS] = { "解放した受信者数", "Recipients released" },
	[T_RELEASED_MSGS] = { "解放したメール数", "Messages released" },
	[T_MEDIAN] = { "到着から解放まで（中央値）", "Arrival to release (median)" },
	[T_P90] = { "到着から解放まで（90%）", "Arrival to release (90th percentile)" },
	[T_MAX] = { "到着から解放まで（最大）", "Arrival to release (longest)" },
	[T_BY_OPERATOR] = { "担当者別", "By operator" },
	[T_OPERATOR] = { "担当者", "Operator" },
	[T_SIGNATURES] = { "署名データベースの経過日数", "Signature database age" },
	[T_SIG_AGE] = { "経過日数（最小〜最大）", "Age in days (least to most)" },
	[T_SIG_VERSION] = { "版（最小〜最大）", "Version (lowest to highest)" },
	[T_DAYS] = { "日", " days" },
	[T_ITEM] = { "項目", "Item" },
	[T_VALUE] = { "値", "Value" },
	[T_QUERY] = { "照会", "Look-up" },
	[T_SHA256] = { "ファイルの SHA-256", "File SHA-256" },
	[T_VIRUS] = { "検出名", "Detection name" },
	[T_HITS] = { "該当するメール", "Messages found" },
	[T_HIT_SUMMARY] = { "該当 {1} 通、受信者 {2}、うち解放済み {3}", "{1} messages, {2} recipients, {3} released" },
	[T_SENDER] = { "送信者（エンベロープ）", "Envelope sender" },
	[T_FROM] = { "From", "From" },
	[T_SUBJECT] = { "件名", "Subject" },
	[T_CLIENT] = { "接続元", "Client" },
	[T_ACTION] = { "処置", "Action" },
	[T_STATUS] = { "状態", "Status" },
	[T_MATCHED] = { "一致したもの", "Matched" },
	[T_RELEASED_AT] = { "解放日時", "Released at" },
	[T_RELEASED_BY] = { "解放した担当者", "Released by" },
	[T_NOT_RELEASED] = { "未解放", "not released" },
};

/* Words of the index (cannot-inspect kinds, actions, statuses) in both
 * languages; a word not listed is shown as it is. */
static const char *const words[][3] = {
	{ "password_zip", "パスワード付き ZIP", "Password ZIP" },
	{ "encrypted_document", "暗号化された文書", "Encrypted document" },
	{ "smime_encrypted", "S/MIME 暗号化", "S/MIME encrypted" },
	{ "pgp_encrypted", "PGP 暗号化", "PGP encrypted" },
	{ "archive_unreadable", "読めないアーカイブ", "Unreadable archive" },
	{ "archive_bomb", "展開すると巨大なアーカイブ", "Archive bomb" },
	{ "archive_depth", "入れ子が深すぎるアーカイブ", "Archive nested too deep" },
	{ "limit", "処理の上限に達した", "A limit was hit" },
	{ "other", "その他", "Other" },
	{ "deliver", "配送", "delivered" },
	{ "reject", "拒否", "rejected" },
	{ "discard", "破棄", "discarded" },
	{ "tempfail", "一時エラー", "temporary failure" },
	{ "held", "保管中", "held" },
	{ "released", "解放済み", "released" },
	{ "deleted", "削除済み", "deleted" },
};

/* ---- the page being written -------------------------------------------------- */

typedef struct {
	GString *o;
	const mg_report *r;
	mg_report_lang lang;
} page;

static const char *T(const page *p, text_id id)
{
	return texts[id][p->lang];
}

static const char *word(const page *p, const char *w)
{
	for (size_t i = 0; w && i < G_N_ELEMENTS(words); i++)
		if (strcmp(words[i][0], w) == 0)
			return words[i][1 + p->lang];
	return w;
}

static guint len(const GPtrArray *a)
{
	return a ? a->len : 0;
}

static G_GNUC_PRINTF(2, 3) void raw(page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(p->o, fmt, ap);
	va_end(ap);
}

static bool shown_as_mark(gunichar c)
{
	GUnicodeType t = g_unichar_type(c);

	return t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
	       t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR;
}

/* s (NULL: nothing) as HTML text or attribute value. */
static void put_text(page *p, const char *s)
{
	if (!s)
		return;
	char *valid = g_utf8_make_valid(s, -1);
	for (const char *c = valid; *c; c = g_utf8_next_char(c)) {
		gunichar u = g_utf8_get_char(c);
		switch (u) {
		case '&': g_string_append(p->o, "&amp;"); break;
		case '<': g_string_append(p->o, "&lt;"); break;
		case '>': g_string_append(p->o, "&gt;"); break;
		case '"': g_string_append(p->o, "&quot;"); break;
		case '\'': g_string_append(p->o, "&#39;"); break;
		default:
			if (shown_as_mark(u))
				g_string_append_c(p->o, '?');
			else
				g_string_append_len(p->o, c, g_utf8_next_char(c) - c);
		}
	}
	g_free(valid);
}

/* s cut to LABEL_CHARS characters, with "…" when cut. */
static void put_short(page *p, const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);

	if (g_utf8_strlen(valid, -1) > LABEL_CHARS) {
		char *cut = g_utf8_substring(valid, 0, LABEL_CHARS - 1);
		put_text(p, cut);
		g_string_append(p->o, "…");
		g_free(cut);
	} else {
		put_text(p, valid);
	}
	g_free(valid);
}

/* n with thousands separated by commas. */
static char *count_text(guint64 n)
{
	char digits[32];
	GString *s = g_string_new(NULL);
	int len_d = g_snprintf(digits, sizeof digits, "%" G_GUINT64_FORMAT, n);

	for (int i = 0; i < len_d; i++) {
		if (i > 0 && (len_d - i) % 3 == 0)
			g_string_append_c(s, ',');
		g_string_append_c(s, digits[i]);
	}
	return g_string_free(s, FALSE);
}

static void put_count(page *p, guint64 n)
{
	char *s = count_text(n);

	g_string_append(p->o, s);
	g_free(s);
}

/* A label with "{1}".."{3}" in it, replaced by the counts given. */
static void put_template(page *p, text_id id, guint64 a, guint64 b, guint64 c)
{
	const guint64 arg[3] = { a, b, c };

	for (const char *s = T(p, id); *s; s++) {
		if (s[0] == '{' && s[1] >= '1' && s[1] <= '3' && s[2] == '}') {
			put_count(p, arg[s[1] - '1']);
			s += 2;
		} else {
			g_string_append_c(p->o, *s);
		}
	}
}

static void put_none(page *p)
{
	raw(p, "<span class=\"none\">%s</span>", T(p, T_NONE));
}

/* A text cell: s escaped, or "—" when NULL. */
static void td_cell(page *p, const char *s, const char *open)
{
	g_string_append(p->o, open);
	if (s)
		put_text(p, s);
	else
		g_string_append(p->o, "—");
	g_string_append(p->o, "</td>");
}

static void td_text(page *p, const char *s)
{
	td_cell(p, s, "<td>");
}

/* A day or a time: "2026-03-01 09:15:00+09:00", each half unbroken. */
static void td_time(page *p, const char *s)
{
	if (!s || strlen(s) <= 11 || s[10] != 'T') {
		td_cell(p, s, "<td class=\"t\">");
		return;
	}
	char *date = g_strndup(s, 10);
	g_string_append(p->o, "<td class=\"tt\"><span>");
	put_text(p, date);
	g_string_append(p->o, "</span> <span>");
	put_text(p, s + 11);
	g_string_append(p->o, "</span></td>");
	g_free(date);
}

static void td_count(page *p, guint64 n)
{
	g_string_append(p->o, "<td class=\"n\">");
	put_count(p, n);
	g_string_append(p->o, "</td>");
}

/* A row's day ("YYYY-MM-DD", or "YYYY-MM" by month) from its skip-th
 * character ("MM-DD" from 5), escaped. */
static void put_day(page *p, const mg_report_day *d, size_t skip)
{
	size_t n = strnlen(d->day, sizeof d->day);
	char *day = g_strndup(d->day, n);

	put_text(p, skip < n ? day + skip : "");
	g_free(day);
}

/* A number of days, -1 unknown. */
static void put_days(page *p, gint64 d)
{
	if (d < 0)
		g_string_append(p->o, T(p, T_UNKNOWN));
	else
		raw(p, "%" G_GINT64_FORMAT "%s", d, T(p, T_DAYS));
}

/* Seconds in the two largest units, "2時間5分" / "2h 5m"; -1 none. */
static void put_duration(page *p, gint64 s)
{
	static const char *const unit[2][4] = {
		{ "日", "時間", "分", "秒" }, { "d", "h", "m", "s" },
	};
	static const gint64 size[4] = { 86400, 3600, 60, 1 };

	if (s < 0) {
		put_none(p);
		return;
	}
	int i = 0;
	while (i < 3 && s < size[i])
		i++;
	raw(p, "%" G_GINT64_FORMAT "%s", s / size[i], unit[p->lang][i]);
	if (i < 3 && s % size[i] / size[i + 1] > 0)
		raw(p, "%s%" G_GINT64_FORMAT "%s", p->lang == MG_REPORT_EN ? " " : "",
		    s % size[i] / size[i + 1], unit[p->lang][i + 1]);
}

static void h2(page *p, const char *id, text_id title)
{
	raw(p, "<section id=\"%s\">\n<h2>%s</h2>\n", id, T(p, title));
}

static void h3(page *p, text_id title)
{
	raw(p, "<h3>%s</h3>\n", T(p, title));
}

static void section_end(page *p)
{
	g_string_append(p->o, "</section>\n");
}

static void para_none(page *p)
{
	g_string_append(p->o, "<p>");
	put_none(p);
	g_string_append(p->o, "</p>\n");
}

static void para_no_traffic(page *p)
{
	raw(p, "<p class=\"note\">%s</p>\n", T(p, T_NO_TRAFFIC));
}

/* The head of a table; heads in the order given, 'n' in align for a
 * right-aligned (numeric) column.  Tables of up to 3 columns are narrow. */
static void table_head(page *p, const char *align, const text_id *heads, int n)
{
	g_string_append(p->o, n <= 3 ? "<table class=\"narrow\">\n" : "<table>\n");
	g_string_append(p->o, "<thead><tr>");
	for (int i = 0; i < n; i++)
		raw(p, "<th%s>%s</th>", align[i] == 'n' ? " class=\"n\"" : "", T(p, heads[i]));
	g_string_append(p->o, "</tr></thead>\n<tbody>\n");
}

static void table_end(page *p)
{
	g_string_append(p->o, "</tbody>\n</table>\n");
}

/* A two-column table of items and values begins / one row of it. */
static void kv_begin(page *p)
{
	static const text_id heads[] = { T_ITEM, T_VALUE };

	table_head(p, "ln", heads, 2);
}

static void kv_row_begin(page *p, text_id item)
{
	raw(p, "<tr><th>%s</th><td class=\"n\">", T(p, item));
}

static void kv_row_end(page *p)
{
	g_string_append(p->o, "</td></tr>\n");
}

/* ---- charts ------------------------------------------------------------------ */

/* A tick step of 1, 2 or 5 times a power of ten giving at most 5 steps
 * up to max. */
static guint64 tick_step(guint64 max)
{
	static const guint64 k[] = { 1, 2, 5 };

	for (guint64 m = 1;; m *= 10)
		for (size_t i = 0; i < G_N_ELEMENTS(k); i++)
			if (m * k[i] * 5 >= max)
				return m * k[i];
}

static guint64 days_max(const GPtrArray *days)
{
	guint64 max = 0;

	for (guint i = 0; i < len(days); i++) {
		const mg_report_day *d = days->pdata[i];
		max = MAX(max, d->total);
	}
	return max;
}

/* A number attribute, ' name="12.34"', whatever the locale's decimal point. */
static void attr(page *p, const char *name, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	raw(p, " %s=\"%s\"", name, g_ascii_formatd(buf, sizeof buf, "%.2f", v));
}

/* <line> from (x1, y1) to (x2, y2) of class cls. */
static void line(page *p, const char *cls, double x1, double y1, double x2, double y2)
{
	g_string_append(p->o, "<line");
	attr(p, "x1", x1);
	attr(p, "y1", y1);
	attr(p, "x2", x2);
	attr(p, "y2", y2);
	raw(p, " class=\"%s\"/>", cls);
}

/* <rect> at (x, y), w by h, filled with colour. */
static void rect(page *p, const char *cls, double x, double y, double w, double h,
		 const char *colour)
{
	raw(p, "<rect class=\"%s\"", cls);
	attr(p, "x", x);
	attr(p, "y", y);
	attr(p, "width", w);
	attr(p, "height", h);
	raw(p, " fill=\"%s\"/>", colour);
}

/* The start of a <text> at (x, y); anchor "start", "middle" or "end". */
static void text_at(page *p, const char *cls, double x, double y, const char *anchor)
{
	g_string_append(p->o, "<text");
	if (cls)
		raw(p, " class=\"%s\"", cls);
	attr(p, "x", x);
	attr(p, "y", y);
	raw(p, " text-anchor=\"%s\">", anchor);
}

typedef struct {
	double left, top, w, h;         /* the plot area */
	guint64 scale;                  /* the value at the top */
} plot;

static void chart_axis(page *p, const plot *pl, guint64 step)
{
	for (guint64 v = 0; v <= pl->scale; v += step) {
		double y = pl->top + pl->h - pl->h * (double)v / (double)pl->scale;
		line(p, "grid", pl->left, y, pl->left + pl->w, y);
		text_at(p, NULL, pl->left - 6, y + 4, "end");
		put_count(p, v);
		g_string_append(p->o, "</text>\n");
	}
	line(p, "axis", pl->left, pl->top + pl->h, pl->left + pl->w, pl->top + pl->h);
	g_string_append_c(p->o, '\n');
}

/* One day's bar: its outcomes stacked from the bottom, zero skipped. */
static void chart_day(page *p, const plot *pl, const mg_report_day *d, double x, double bw)
{
	double y = pl->top + pl->h;

	g_string_append(p->o, "<g><title>");
	put_day(p, d, 0);
	raw(p, ": %s ", T(p, T_TOTAL));
	put_count(p, d->total);
	g_string_append(p->o, "</title>");
	for (int o = 0; o < MG_OC_COUNT; o++) {
		if (!d->n[o])
			continue;
		double h = pl->h * (double)d->n[o] / (double)pl->scale;
		y -= h;
		rect(p, "seg", x, y, bw, h, outcomes[o].colour);
	}
	g_string_append(p->o, "</g>\n");
}

static void chart_day_label(page *p, const plot *pl, const mg_report_day *d, double cx)
{
	text_at(p, "day", cx, pl->top + pl->h + 18, "middle");
	put_day(p, d, 5);
	g_string_append(p->o, "</text>\n");
}

static void legend(page *p)
{
	g_string_append(p->o, "<p class=\"legend\">");
	for (int o = 0; o < MG_OC_COUNT; o++)
		raw(p, "<span><i class=\"key\" style=\"background:%s\"></i>%s</span> ",
		    outcomes[o].colour, outcomes[o].label[p->lang]);
	g_string_append(p->o, "</p>\n");
}

/* The daily stacked bar chart: one bar per day, outcomes in mg_outcome
 * order, day labels ("MM-DD") on about DAY_LABELS of them. */
static void chart_daily(page *p, const GPtrArray *days)
{
	guint n = len(days);
	guint64 step = tick_step(days_max(days));
	plot pl = { 60, 12, CHART_W - 72, 220, 0 };
	pl.scale = MAX(step, (days_max(days) + step - 1) / step * step);
	double slot = pl.w / n, bw = CLAMP(slot * 0.75, 0.5, 40);
	guint every = (n + DAY_LABELS - 1) / DAY_LABELS;

	raw(p, "<figure>\n<svg class=\"chart\" viewBox=\"0 0 %d 264\" role=\"img\" "
	       "aria-label=\"%s\">\n", CHART_W, T(p, T_DAILY_CHART));
	chart_axis(p, &pl, step);
	for (guint i = 0; i < n; i++) {
		const mg_report_day *d = days->pdata[i];
		double x = pl.left + slot * i + (slot - bw) / 2;
		chart_day(p, &pl, d, x, bw);
		if (i % every == 0)
			chart_day_label(p, &pl, d, x + bw / 2);
	}
	g_string_append(p->o, "</svg>\n");
	raw(p, "<figcaption>%s</figcaption>\n", T(p, T_DAILY_CHART));
	legend(p);
	g_string_append(p->o, "</figure>\n");
}

static const char *count_key(const page *p, const mg_report_count *c, text_id empty)
{
	return c->key && *c->key ? c->key : T(p, empty);
}

/* A horizontal bar chart of the first rows of counts (most first). */
static void chart_bars(page *p, const GPtrArray *counts, text_id caption, text_id empty,
		       const char *colour)
{
	guint rows = MIN(len(counts), p->r->q.top ? p->r->q.top : DEFAULT_TOP);
	guint64 max = 0;
	const double x0 = 300, bar_w = CHART_W - x0 - 90;

	for (guint i = 0; i < rows; i++)
		max = MAX(max, ((mg_report_count *)counts->pdata[i])->count);
	raw(p, "<figure>\n<svg class=\"chart\" viewBox=\"0 0 %d %u\" role=\"img\" "
	       "aria-label=\"%s\">\n", CHART_W, rows * 24 + 8, T(p, caption));
	for (guint i = 0; i < rows; i++) {
		const mg_report_count *c = counts->pdata[i];
		double w = max ? bar_w * (double)c->count / (double)max : 0, y = 4 + i * 24.0;
		text_at(p, NULL, x0 - 8, y + 15, "end");
		put_short(p, count_key(p, c, empty));
		g_string_append(p->o, "</text>");
		rect(p, "bar", x0, y + 2, w, 18, colour);
		text_at(p, NULL, x0 + w + 6, y + 15, "start");
		put_count(p, c->count);
		g_string_append(p->o, "</text>\n");
	}
	g_string_append(p->o, "</svg>\n</figure>\n");
}

/* ---- tables ------------------------------------------------------------------ */

/* A table of counts (key, count), all rows; "なし" when empty. */
static void table_counts(page *p, const GPtrArray *counts, text_id key_head, text_id count_head,
			 text_id empty)
{
	const text_id heads[] = { key_head, count_head };

	if (!len(counts)) {
		para_none(p);
		return;
	}
	table_head(p, "ln", heads, 2);
	for (guint i = 0; i < counts->len; i++) {
		const mg_report_count *c = counts->pdata[i];
		g_string_append(p->o, "<tr>");
		td_text(p, count_key(p, c, empty));
		td_count(p, c->count);
		g_string_append(p->o, "</tr>\n");
	}
	table_end(p);
}

/* Bar chart then table, or "なし". */
static void counts_block(page *p, const GPtrArray *counts, text_id title, text_id key_head,
			 text_id count_head, text_id empty, const char *colour)
{
	h3(p, title);
	if (len(counts))
		chart_bars(p, counts, title, empty, colour);
	table_counts(p, counts, key_head, count_head, empty);
}

/* ---- header and summary ------------------------------------------------------ */

static const char css[] =
	"@page { size: A4; margin: 15mm }\n"
	"html { -webkit-print-color-adjust: exact; print-color-adjust: exact }\n"
	"body { font-family: \"Noto Sans CJK JP\", \"Noto Sans JP\", \"IPAexGothic\", "
	"\"IPAGothic\", \"Hiragino Sans\", \"Yu Gothic\", Meiryo, sans-serif;\n"
	"  font-size: 10.5pt; line-height: 1.5; color: #222; background: #fff;\n"
	"  max-width: 60em; margin: 0 auto; padding: 1em }\n"
	"h1 { font-size: 16pt; margin: 0 0 .3em }\n"
	"h2 { font-size: 13pt; border-bottom: 2px solid #555; margin: 1.6em 0 .5em;"
	" break-after: avoid }\n"
	"h3 { font-size: 11pt; margin: 1.1em 0 .3em; break-after: avoid }\n"
	".meta { color: #444; margin: 0 }\n"
	"table { border-collapse: collapse; width: 100%; margin: .3em 0 1em }\n"
	"table.narrow { width: auto; min-width: 60% }\n"
	"table.kv th { width: 13em }\n"
	"thead { display: table-header-group }\n"
	"th, td { border: 1px solid #bbb; padding: .15em .4em; text-align: left;"
	" vertical-align: top; overflow-wrap: break-word }\n"
	"th { background: #eee; font-weight: bold }\n"
	".n { text-align: right; font-variant-numeric: tabular-nums }\n"
	"td.n, td.t, td.tt span { white-space: nowrap }\n"
	"tr, figure, .hit { break-inside: avoid }\n"
	"figure { margin: .5em 0 1em }\n"
	"figcaption { font-size: 9pt; color: #555 }\n"
	"svg.chart { display: block; width: 100%; height: auto }\n"
	"svg text { font-size: 12px; fill: #333 }\n"
	"svg .grid { stroke: #ddd; stroke-width: 1 }\n"
	"svg .axis { stroke: #555; stroke-width: 1 }\n"
	".key { display: inline-block; width: .9em; height: .9em; vertical-align: -.1em;"
	" margin-right: .3em; border: 1px solid #666 }\n"
	".legend { font-size: 9pt; margin: .2em 0 }\n"
	".legend span { white-space: nowrap; margin-right: .8em }\n"
	".none { color: #777 }\n"
	".note { color: #8a4b00 }\n"
	"ul.rcpts { margin: 0; padding-left: 1.2em }\n"
	"section.long { break-before: page }\n"
	"@media print { body { max-width: none; padding: 0; font-size: 9.5pt }"
	" h2 { margin-top: 1em } }\n";

static void put_period(page *p)
{
	put_text(p, p->r->since_text);
	g_string_append(p->o, T(p, T_TO));
	put_text(p, p->r->until_text);
}

static void head(page *p)
{
	raw(p, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; img-src data:\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<title>%s ", p->lang == MG_REPORT_EN ? "en" : "ja",
	    T(p, p->r->incident ? T_TITLE_INCIDENT : T_TITLE));
	put_period(p);
	raw(p, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void header(page *p)
{
	raw(p, "<header>\n<h1>%s</h1>\n<p class=\"meta\">%s: ",
	    T(p, p->r->incident ? T_TITLE_INCIDENT : T_TITLE), T(p, T_PERIOD));
	put_period(p);
	raw(p, "</p>\n<p class=\"meta\">%s: ", T(p, T_HOST));
	put_text(p, p->r->hostname);
	raw(p, " / %s: ", T(p, T_MADE));
	put_text(p, p->r->made_text);
	g_string_append(p->o, "</p>\n</header>\n");
}

static void summary_row(page *p, int o, guint64 n, guint64 total)
{
	raw(p, "<tr><td><i class=\"key\" style=\"background:%s\"></i>%s</td>",
	    outcomes[o].colour, outcomes[o].label[p->lang]);
	td_count(p, n);
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	if (total)
		raw(p, "<td class=\"n\">%s%%</td></tr>\n",
		    g_ascii_formatd(buf, sizeof buf, "%.1f", 100.0 * (double)n / (double)total));
	else
		g_string_append(p->o, "<td class=\"n\">—</td></tr>\n");
}

static void summary_extra_row(page *p, text_id label, guint64 n)
{
	raw(p, "<tr><th>%s</th>", T(p, label));
	td_count(p, n);
	g_string_append(p->o, "<td></td></tr>\n");
}

static void summary(page *p)
{
	static const text_id heads[] = { T_OUTCOME, T_MESSAGES, T_SHARE };
	const mg_report *r = p->r;

	h2(p, "summary", T_SUMMARY);
	if (r->no_traffic) {
		para_no_traffic(p);
	} else {
		table_head(p, "lnn", heads, 3);
		for (int o = 0; o < MG_OC_COUNT; o++)
			summary_row(p, o, r->n[o], r->total);
		summary_extra_row(p, T_TOTAL, r->total);
		summary_extra_row(p, T_INBOUND, r->inbound);
		summary_extra_row(p, T_OUTBOUND, r->outbound);
		table_end(p);
	}
	char *size = g_format_size(r->bytes_in);
	raw(p, "<p>%s: %s</p>\n", T(p, T_BYTES_IN), size);
	g_free(size);
	section_end(p);
}

/* ---- by day ------------------------------------------------------------------ */

static void day_sig_age(page *p, const mg_report_day *d)
{
	g_string_append(p->o, "<td class=\"n\">");
	if (d->sig_age_min < 0)
		g_string_append(p->o, "—");
	else if (d->sig_age_min == d->sig_age_max)
		raw(p, "%" G_GINT64_FORMAT, d->sig_age_min);
	else
		raw(p, "%" G_GINT64_FORMAT "〜%" G_GINT64_FORMAT, d->sig_age_min, d->sig_age_max);
	g_string_append(p->o, "</td>");
}

static void day_row(page *p, const mg_report_day *d)
{
	g_string_append(p->o, "<tr>");
	g_string_append(p->o, "<td class=\"t\">");
	put_day(p, d, 0);
	g_string_append(p->o, "</td>");
	for (int o = 0; o < MG_OC_COUNT; o++)
		td_count(p, d->n[o]);
	td_count(p, d->total);
	td_count(p, d->inbound);
	td_count(p, d->outbound);
	day_sig_age(p, d);
	g_string_append(p->o, "</tr>\n");
}

static void day_table_head(page *p, bool by_month)
{
	raw(p, "<table>\n<thead><tr><th>%s</th>", T(p, by_month ? T_MONTH : T_DAY));
	for (int o = 0; o < MG_OC_COUNT; o++)
		raw(p, "<th class=\"n\"><i class=\"key\" style=\"background:%s\"></i>%s</th>",
		    outcomes[o].colour, outcomes[o].label[p->lang]);
	raw(p, "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>"
	       "<th class=\"n\">%s</th></tr></thead>\n<tbody>\n", T(p, T_TOTAL),
	    T(p, T_INBOUND), T(p, T_OUTBOUND), T(p, T_SIG_AGE_COL));
}

static void add_day(mg_report_day *m, const mg_report_day *d)
{
	for (int o = 0; o < MG_OC_COUNT; o++)
		m->n[o] += d->n[o];
	m->total += d->total;
	m->inbound += d->inbound;
	m->outbound += d->outbound;
	if (d->sig_age_min >= 0 && (m->sig_age_min < 0 || d->sig_age_min < m->sig_age_min))
		m->sig_age_min = d->sig_age_min;
	m->sig_age_max = MAX(m->sig_age_max, d->sig_age_max);
}

/* The days summed by month ("YYYY-MM" in day). */
static GArray *by_month(const GPtrArray *days)
{
	GArray *months = g_array_new(FALSE, TRUE, sizeof(mg_report_day));

	for (guint i = 0; i < len(days); i++) {
		const mg_report_day *d = days->pdata[i];
		mg_report_day *m = months->len ? &g_array_index(months, mg_report_day, months->len - 1)
					       : NULL;
		if (!m || strncmp(m->day, d->day, 7) != 0) {
			mg_report_day fresh = { .sig_age_min = -1, .sig_age_max = -1 };
			memcpy(fresh.day, d->day, 7);
			g_array_append_val(months, fresh);
			m = &g_array_index(months, mg_report_day, months->len - 1);
		}
		add_day(m, d);
	}
	return months;
}

/* The days as an array of their own, like by_month's. */
static GArray *copy_days(const GPtrArray *days)
{
	GArray *rows = g_array_sized_new(FALSE, FALSE, sizeof(mg_report_day), days->len);

	for (guint i = 0; i < days->len; i++)
		g_array_append_vals(rows, days->pdata[i], 1);
	return rows;
}

/* The table of rows (days or months) in a section of its own, on a new
 * page when it is long. */
static void day_table(page *p, const mg_report_day *rows, guint n, bool months)
{
	raw(p, "<section id=\"daily-table\"%s>\n<h3>%s</h3>\n",
	    n > LONG_TABLE ? " class=\"long\"" : "", T(p, T_DAILY));
	if (months)
		raw(p, "<p>%s</p>\n", T(p, T_BY_MONTH));
	day_table_head(p, months);
	for (guint i = 0; i < n; i++)
		day_row(p, &rows[i]);
	table_end(p);
	section_end(p);
}

static void daily(page *p)
{
	const GPtrArray *days = p->r->days;

	h2(p, "daily", T_DAILY);
	if (p->r->no_traffic)
		para_no_traffic(p);
	else if (!len(days))
		para_none(p);
	else
		chart_daily(p, days);
	section_end(p);
	if (p->r->no_traffic || !len(days))
		return;
	bool months = days->len > BY_MONTH_AFTER;
	GArray *rows = months ? by_month(days) : copy_days(days);
	day_table(p, &g_array_index(rows, mg_report_day, 0), rows->len, months);
	g_array_unref(rows);
}

/* ---- detections -------------------------------------------------------------- */

static void td_rcpts(page *p, const GPtrArray *rcpts)
{
	guint n = len(rcpts), shown = MIN(n, RCPTS_SHOWN);

	g_string_append(p->o, "<td>");
	for (guint i = 0; i < shown; i++) {
		if (i)
			g_string_append(p->o, ", ");
		put_text(p, rcpts->pdata[i]);
	}
	if (n > shown) {
		g_string_append(p->o, " (");
		put_template(p, T_MORE, n - shown, 0, 0);
		g_string_append(p->o, ")");
	}
	if (!n)
		g_string_append(p->o, "—");
	g_string_append(p->o, "</td>");
}

static void detection_table(page *p, const GPtrArray *list, text_id title)
{
	static const text_id heads[] = { T_NAME, T_MESSAGES, T_RCPTS, T_FIRST, T_LAST };

	h3(p, title);
	if (!len(list)) {
		para_none(p);
		return;
	}
	table_head(p, "lnlll", heads, 5);
	for (guint i = 0; i < list->len; i++) {
		const mg_report_detection *d = list->pdata[i];
		g_string_append(p->o, "<tr>");
		td_text(p, d->name);
		td_count(p, d->messages);
		td_rcpts(p, d->rcpts);
		td_time(p, d->first);
		td_time(p, d->last);
		g_string_append(p->o, "</tr>\n");
	}
	table_end(p);
}

static void detections(page *p)
{
	h2(p, "detections", T_DETECTIONS);
	detection_table(p, p->r->viruses, T_VIRUSES);
	detection_table(p, p->r->suspicious, T_SUSPICIOUS);
	section_end(p);
}

/* ---- removed attachments ----------------------------------------------------- */

static void mismatch_note(page *p)
{
	g_string_append(p->o, "<p>");
	put_template(p, T_MISMATCHES_SHOWN, p->r->mismatch_count, len(p->r->mismatches), 0);
	g_string_append(p->o, "</p>\n");
}

static void mismatches(page *p)
{
	static const text_id heads[] = { T_TIME, T_ID, T_FILENAME, T_DECLARED, T_TRUE_TYPE };
	const GPtrArray *list = p->r->mismatches;

	h3(p, T_MISMATCHES);
	if (!len(list)) {
		para_none(p);
		return;
	}
	if (p->r->mismatch_count > list->len)
		mismatch_note(p);
	table_head(p, "lllll", heads, 5);
	for (guint i = 0; i < list->len; i++) {
		const mg_report_mismatch *m = list->pdata[i];
		g_string_append(p->o, "<tr>");
		td_time(p, m->time);
		td_time(p, m->id);
		td_text(p, m->filename);
		td_text(p, m->declared);
		td_text(p, m->true_type);
		g_string_append(p->o, "</tr>\n");
	}
	table_end(p);
}

static void removed(page *p)
{
	h2(p, "removed", T_REMOVED);
	raw(p, "<p>%s: ", T(p, T_REMOVED_PARTS));
	put_count(p, p->r->removed_parts);
	g_string_append(p->o, "</p>\n");
	counts_block(p, p->r->removed_by_type, T_BY_TYPE, T_TRUE_TYPE, T_PARTS, T_UNKNOWN,
		     "#0072B2");
	counts_block(p, p->r->removed_by_ext, T_BY_EXT, T_EXT, T_PARTS, T_NO_EXT, "#56B4E9");
	mismatches(p);
	section_end(p);
}

/* ---- cannot inspect ---------------------------------------------------------- */

static void uninspected(page *p)
{
	static const text_id heads[] = { T_KIND, T_MESSAGES };
	const GPtrArray *list = p->r->cannot_inspect;

	h2(p, "cannot-inspect", T_UNINSPECTED);
	raw(p, "<p>%s: ", T(p, T_UNINSPECTED_MSGS));
	put_count(p, p->r->cannot_inspect_messages);
	g_string_append(p->o, "</p>\n");
	if (!len(list)) {
		para_none(p);
		section_end(p);
		return;
	}
	table_head(p, "ln", heads, 2);
	for (guint i = 0; i < list->len; i++) {
		const mg_report_count *c = list->pdata[i];
		g_string_append(p->o, "<tr>");
		td_text(p, word(p, c->key));
		td_count(p, c->count);
		g_string_append(p->o, "</tr>\n");
	}
	table_end(p);
	section_end(p);
}

/* ---- senders and recipients -------------------------------------------------- */

static void senders(page *p)
{
	h2(p, "senders", T_SENDERS);
	if (p->r->no_traffic) {
		para_no_traffic(p);
	} else {
		counts_block(p, p->r->top_sender_domains, T_TOP_DOMAINS, T_DOMAIN, T_MESSAGES,
			     T_UNKNOWN, "#009E73");
		h3(p, T_TOP_RCPTS);
		table_counts(p, p->r->top_rcpts, T_RCPT, T_MESSAGES, T_UNKNOWN);
	}
	section_end(p);
}

/* ---- releases ---------------------------------------------------------------- */

static void release_duration(page *p, text_id item, gint64 s)
{
	kv_row_begin(p, item);
	put_duration(p, s);
	kv_row_end(p);
}

static void releases(page *p)
{
	const mg_report_releases *rl = &p->r->releases;

	h2(p, "releases", T_RELEASES);
	kv_begin(p);
	kv_row_begin(p, T_RELEASED_RCPTS);
	put_count(p, rl->count);
	kv_row_end(p);
	kv_row_begin(p, T_RELEASED_MSGS);
	put_count(p, rl->messages);
	kv_row_end(p);
	release_duration(p, T_MEDIAN, rl->median_s);
	release_duration(p, T_P90, rl->p90_s);
	release_duration(p, T_MAX, rl->max_s);
	table_end(p);
	h3(p, T_BY_OPERATOR);
	table_counts(p, rl->by_operator, T_OPERATOR, T_RCPTS, T_UNKNOWN);
	section_end(p);
}

/* ---- signatures -------------------------------------------------------------- */

static void put_version_range(page *p, unsigned lo, unsigned hi)
{
	if (!hi)
		g_string_append(p->o, T(p, T_UNKNOWN));
	else if (!lo || lo == hi)
		raw(p, "%u", hi);
	else
		raw(p, "%u〜%u", lo, hi);
}

static void signatures(page *p)
{
	const mg_report *r = p->r;

	h2(p, "signatures", T_SIGNATURES);
	if (r->no_traffic) {
		para_no_traffic(p);
		section_end(p);
		return;
	}
	kv_begin(p);
	kv_row_begin(p, T_SIG_AGE);
	put_days(p, r->sig_age_min);
	g_string_append(p->o, "〜");
	put_days(p, r->sig_age_max);
	kv_row_end(p);
	kv_row_begin(p, T_SIG_VERSION);
	put_version_range(p, r->sig_version_min, r->sig_version_max);
	kv_row_end(p);
	table_end(p);
	section_end(p);
}

/* ---- incident look-up -------------------------------------------------------- */

static void hit_row(page *p, text_id label, const char *value)
{
	raw(p, "<tr><th>%s</th>", T(p, label));
	td_text(p, value);
	g_string_append(p->o, "</tr>\n");
}

static void hit_rcpts(page *p, const GPtrArray *rcpts)
{
	static const text_id heads[] = { T_RCPT, T_RELEASED_AT, T_RELEASED_BY };

	if (!len(rcpts))
		return;
	table_head(p, "lll", heads, 3);
	for (guint i = 0; i < rcpts->len; i++) {
		const mg_report_rcpt *rc = rcpts->pdata[i];
		g_string_append(p->o, "<tr>");
		td_text(p, rc->rcpt);
		td_text(p, rc->released_at ? rc->released_at : T(p, T_NOT_RELEASED));
		td_text(p, rc->released_by);
		g_string_append(p->o, "</tr>\n");
	}
	table_end(p);
}

static void hit_block(page *p, guint i, const mg_report_hit *h)
{
	raw(p, "<div class=\"hit\">\n<h3>%u. ", i + 1);
	put_text(p, h->time);
	g_string_append(p->o, " — ");
	put_text(p, h->id);
	g_string_append(p->o, "</h3>\n<table class=\"kv\">\n<tbody>\n");
	hit_row(p, T_SENDER, h->mail_from && *h->mail_from ? h->mail_from : "<>");
	hit_row(p, T_FROM, h->from_hdr);
	hit_row(p, T_SUBJECT, h->subject);
	hit_row(p, T_CLIENT, h->client_addr);
	hit_row(p, T_ACTION, word(p, h->action));
	hit_row(p, T_STATUS, word(p, h->status));
	hit_row(p, T_MATCHED, h->matched);
	table_end(p);
	hit_rcpts(p, h->rcpts);
	g_string_append(p->o, "</div>\n");
}

static void hit_summary(page *p, const GPtrArray *hits)
{
	guint64 rcpts = 0, released = 0;

	for (guint i = 0; i < len(hits); i++) {
		const mg_report_hit *h = hits->pdata[i];
		for (guint j = 0; j < len(h->rcpts); j++) {
			rcpts++;
			released += ((mg_report_rcpt *)h->rcpts->pdata[j])->released_at != NULL;
		}
	}
	g_string_append(p->o, "<p>");
	put_template(p, T_HIT_SUMMARY, len(hits), rcpts, released);
	g_string_append(p->o, "</p>\n");
}

static void incident(page *p)
{
	const mg_report *r = p->r;

	h2(p, "lookup", T_QUERY);
	g_string_append(p->o, "<table class=\"kv\">\n<tbody>\n");
	if (r->q.sha256)
		hit_row(p, T_SHA256, r->q.sha256);
	if (r->q.virus)
		hit_row(p, T_VIRUS, r->q.virus);
	table_end(p);
	section_end(p);
	h2(p, "hits", T_HITS);
	hit_summary(p, r->hits);
	if (!len(r->hits))
		para_none(p);
	for (guint i = 0; i < len(r->hits); i++)
		hit_block(p, i, r->hits->pdata[i]);
	section_end(p);
}

/* ---- the page ---------------------------------------------------------------- */

char *mg_report_html(const mg_report *r, mg_report_lang lang)
{
	page p = { g_string_sized_new(64 * 1024), r, lang };

	if (p.lang != MG_REPORT_EN)
		p.lang = MG_REPORT_JA;

	head(&p);
	header(&p);
	g_string_append(p.o, "<main>\n");
	if (r->incident) {
		incident(&p);
	} else {
		summary(&p);
		daily(&p);
		detections(&p);
		removed(&p);
		uninspected(&p);
		senders(&p);
		releases(&p);
		signatures(&p);
	}
	g_string_append(p.o, "</main>\n</body>\n</html>\n");
	return g_string_free(p.o, FALSE);
}
