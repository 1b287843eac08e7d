/*
 * test_report_html.c - the HTML report (report_html.c) on reports made by
 * hand (tests/report/html_data.c): a self-contained page (CSP, no script,
 * no URL, only the expected tags and attributes), every string escaped
 * (markup, quotes, bidi and control characters, invalid UTF-8), one <svg>
 * per chart, one stack per non-zero (day, outcome), Japanese and English
 * labels, empty sections saying so, 1 and 366 days, the incident view,
 * an index without traffic records, the print rules.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "html_data.h"
#include "report.h"

static char *render(const html_data *d, mg_report_lang lang)
{
	mg_report *r = html_data_report(d);
	char *html = mg_report_html(r, lang);

	mg_report_free(r);
	ck_assert_ptr_nonnull(html);
	ck_assert_msg(g_utf8_validate(html, -1, NULL), "the page is not valid UTF-8");
	return html;
}

static guint count_of(const char *hay, const char *needle)
{
	guint n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static guint count_re(const char *hay, const char *re)
{
	GRegex *rx = g_regex_new(re, 0, 0, NULL);
	GMatchInfo *mi = NULL;
	guint n = 0;

	for (g_regex_match(rx, hay, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL))
		n++;
	g_match_info_free(mi);
	g_regex_unref(rx);
	return n;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && strncmp(*list, s, n) == 0)
			return true;
	return false;
}

static const char *const tags[] = {
	"html", "head", "meta", "title", "style", "body", "header", "main", "section", "h1",
	"h2", "h3", "p", "span", "i", "div", "table", "thead", "tbody", "tr", "th", "td",
	"figure", "figcaption", "svg", "g", "line", "rect", "text", NULL,
};
static const char *const attrs[] = {
	"lang", "charset", "http-equiv", "content", "name", "id", "class", "style",
	"viewBox", "role", "aria-label", "x", "y", "x1", "y1", "x2", "y2", "width",
	"height", "fill", "text-anchor", NULL,
};

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (g_ascii_isalnum(s[n]) || s[n] == '-')
		n++;
	return n;
}

/* Checks the attributes of one tag (from after its name to its '>'). */
static void check_attrs(const char *a, const char *end)
{
	while (a < end) {
		while (a < end && (*a == ' ' || *a == '/'))
			a++;
		size_t n = word_len(a);
		if (a >= end)
			break;
		ck_assert_msg(n > 0 && in_list(attrs, a, n), "unexpected attribute at: %.40s", a);
		if (n == 5 && strncmp(a, "style", 5) == 0)
			ck_assert_msg(g_regex_match_simple("^style=\"background:#[0-9A-F]{6}\"", a, 0, 0),
				      "unexpected style: %.40s", a);
		a += n;
		if (*a == '=') {
			ck_assert_msg(a[1] == '"', "unquoted value at: %.40s", a);
			const char *q = strchr(a + 2, '"');
			ck_assert_msg(q && q < end, "unterminated value at: %.40s", a);
			a = q + 1;
		}
	}
}

/* Every tag of the page is one of tags with attributes of attrs: text
 * that came from the report cannot have made one. */
static void check_markup(const char *html)
{
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		if (strncmp(p, "<!DOCTYPE html>", 15) == 0)
			continue;
		const char *name = p + 1 + (p[1] == '/');
		size_t n = word_len(name);
		const char *end = strchr(name, '>');
		ck_assert_msg(end, "unterminated tag at: %.40s", p);
		ck_assert_msg(in_list(tags, name, n), "unexpected tag at: %.40s", p);
		check_attrs(name + n, end);
	}
}

static void check_self_contained(const char *html)
{
	char *lower = g_ascii_strdown(html, -1);

	ck_assert_ptr_null(strstr(lower, "<script"));
	ck_assert_ptr_null(strstr(lower, "http:"));
	ck_assert_ptr_null(strstr(lower, "https:"));
	ck_assert_ptr_null(strstr(lower, "url("));
	ck_assert_ptr_null(strstr(lower, "@import"));
	g_free(lower);
	ck_assert_ptr_nonnull(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
				     "content=\"default-src 'none'; style-src 'unsafe-inline'; "
				     "img-src data:\">"));
	ck_assert_ptr_nonnull(strstr(html, "<meta charset=\"utf-8\">"));
	ck_assert_uint_eq(count_of(html, "<style>"), 1);
	ck_assert(g_str_has_prefix(html, "<!DOCTYPE html>\n"));
	ck_assert(g_str_has_suffix(html, "</html>\n"));
	check_markup(html);
}

/* The number of stacks the daily chart must have: non-zero (day, outcome). */
static guint nonzero_stacks(const html_data *d)
{
	mg_report *r = html_data_report(d);
	guint n = 0;

	for (guint i = 0; i < r->days->len; i++)
		for (int o = 0; o < MG_OC_COUNT; o++)
			n += ((mg_report_day *)r->days->pdata[i])->n[o] != 0;
	mg_report_free(r);
	return n;
}

START_TEST(page_ja)
{
	html_data d = { .days = 31 };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	ck_assert_ptr_nonnull(strstr(html, "<html lang=\"ja\">"));
	ck_assert_ptr_nonnull(strstr(html, "<title>mugaika 報告書 2026-03-01T00:00:00+09:00"));
	const char *const labels[] = {
		"合計", "配送（そのまま）", "無害化", "原本保管", "不審", "検査不能", "ウイルス",
		"一時エラー", "送信元ドメイン上位", "受信者上位", "解放", "署名データベースの経過日数",
		"パスワード付き ZIP", "（拡張子なし）", "30分7秒", "3時間25分", "4日5時間", NULL,
	};
	for (int i = 0; labels[i]; i++)
		ck_assert_msg(strstr(html, labels[i]), "label missing: %s", labels[i]);
	/* daily, true types, extensions, sender domains */
	ck_assert_uint_eq(count_of(html, "<svg"), 4);
	ck_assert_uint_eq(count_of(html, "</svg>"), 4);
	ck_assert_uint_eq(count_of(html, "class=\"seg\""), nonzero_stacks(&d));
	ck_assert_uint_eq(count_of(html, "<g><title>"), 31);
	ck_assert_uint_eq(count_of(html, "class=\"day\""), 11);     /* every 3rd day */
	/* one row per day in the table, a key per outcome in the legend */
	ck_assert_uint_eq(count_re(html, "<tr><td class=\"t\">2026-03-[0-9]{2}</td>"), 31);
	ck_assert_uint_eq(count_of(html, "<i class=\"key\" style=\"background:#D55E00\">"), 3);
	ck_assert_ptr_nonnull(strstr(html, "全 140 件のうち新しい 4 件"));
	ck_assert_ptr_nonnull(strstr(html, "ほか 11 件"));
	ck_assert_ptr_nonnull(strstr(html, "123.5"));
	g_free(html);
}
END_TEST

START_TEST(hostile_strings_escaped)
{
	html_data d = { .days = 7 };
	char *html = render(&d, MG_REPORT_JA);

	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "&quot;&#39;&amp;.example"));
	ck_assert_ptr_nonnull(strstr(html, "山田&quot;&#39;&amp;@city.example.lg.jp"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;img src=x onerror=alert(2)&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "new&lt;kind&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;&gt;"));                  /* the null sender */
	ck_assert_ptr_nonnull(strstr(html, "請求書?fdp.exe"));             /* U+202E shown as ? */
	ck_assert_ptr_null(strstr(html, HD_RLO));
	ck_assert_ptr_nonnull(strstr(html, "bad\xEF\xBF\xBD\xEF\xBF\xBD?name.doc"));
	ck_assert_ptr_null(strchr(html, '\x01'));
	ck_assert_ptr_nonnull(strstr(html, "gw1.city.example.lg.jp&quot;&#39;&amp;"));
	check_self_contained(html);
	g_free(html);
}
END_TEST

START_TEST(page_en)
{
	html_data d = { .days = 31 };
	char *html = render(&d, MG_REPORT_EN);

	check_self_contained(html);
	ck_assert_ptr_nonnull(strstr(html, "<html lang=\"en\">"));
	const char *const labels[] = {
		"mugaika report", "Total", "Passed as is", "Sanitized", "Original kept",
		"Suspicious", "Cannot inspect", "Virus", "Temporary failure",
		"Top sender domains", "Top recipients", "Releases", "Signature database age",
		"Password ZIP", "(no extension)", "30m 7s", "3h 25m", "4d 5h",
		"The newest 4 of 140", "and 11 more", NULL,
	};
	for (int i = 0; labels[i]; i++)
		ck_assert_msg(strstr(html, labels[i]), "label missing: %s", labels[i]);
	const char *const ja[] = { "合計", "なし", "受信者上位", "配送", "解放", "概要", NULL };
	for (int i = 0; ja[i]; i++)
		ck_assert_msg(!strstr(html, ja[i]), "Japanese label in English: %s", ja[i]);
	ck_assert_uint_eq(count_of(html, "<svg"), 4);
	g_free(html);
}
END_TEST

static void check_sections_say_none(const char *html, guint nones)
{
	const char *const ids[] = {
		"summary", "daily", "detections", "removed", "cannot-inspect", "senders",
		"releases", "signatures", NULL,
	};
	for (int i = 0; ids[i]; i++) {
		char *id = g_strdup_printf("<section id=\"%s\">", ids[i]);
		ck_assert_msg(strstr(html, id), "section missing: %s", ids[i]);
		g_free(id);
	}
	ck_assert_uint_eq(count_of(html, "<span class=\"none\">なし</span>"), nones);
}

START_TEST(empty_report)
{
	html_data d = { .days = 0, .zeros = true };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	/* daily, viruses, suspicious, types, extensions, mismatches, cannot
	 * inspect, domains, recipients, 3 release times, operators */
	check_sections_say_none(html, 13);
	ck_assert_ptr_null(strstr(html, "<svg"));
	ck_assert_ptr_null(strstr(html, "daily-table"));
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"n\">—</td>"));  /* no share of 0 */
	ck_assert_ptr_nonnull(strstr(html, "経過日数（最小〜最大）</th><td class=\"n\">不明〜不明"));
	g_free(html);
}
END_TEST

START_TEST(all_zero_days)
{
	html_data d = { .days = 7, .zeros = true };
	char *html = render(&d, MG_REPORT_EN);

	check_self_contained(html);
	ck_assert_uint_eq(count_of(html, "<svg"), 1);
	ck_assert_uint_eq(count_of(html, "<g><title>"), 7);
	ck_assert_uint_eq(count_of(html, "class=\"seg\""), 0);
	ck_assert_uint_eq(count_of(html, "class=\"grid\""), 2);  /* ticks 0 and 1 */
	ck_assert_uint_eq(count_of(html, "class=\"day\""), 7);
	g_free(html);
}
END_TEST

START_TEST(one_day)
{
	html_data d = { .days = 1 };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	ck_assert_uint_eq(count_of(html, "<g><title>"), 1);
	ck_assert_uint_eq(count_of(html, "class=\"seg\""), nonzero_stacks(&d));
	ck_assert_uint_eq(count_of(html, "class=\"day\""), 1);
	ck_assert_uint_le(count_of(html, "class=\"grid\""), 6);
	g_free(html);
}
END_TEST

START_TEST(leap_year_of_days)
{
	html_data d = { .days = 366 };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	ck_assert_uint_eq(count_of(html, "<g><title>"), 366);
	ck_assert_uint_eq(count_of(html, "class=\"seg\""), nonzero_stacks(&d));
	ck_assert_uint_le(count_of(html, "class=\"day\""), 13);
	ck_assert_uint_ge(count_of(html, "class=\"day\""), 10);
	ck_assert_uint_le(count_of(html, "class=\"grid\""), 6);
	/* the table by month: 2026-03 .. 2027-03 */
	ck_assert_ptr_nonnull(strstr(html, "期間が長いため月別に示します"));
	ck_assert_uint_eq(count_re(html, "<tr><td class=\"t\">20[0-9]{2}-[0-9]{2}</td>"), 13);
	ck_assert_uint_eq(count_re(html, "<tr><td class=\"t\">20[0-9]{2}-[0-9]{2}-[0-9]{2}</td>"), 0);
	ck_assert_ptr_nonnull(strstr(html, "<tr><td class=\"t\">2027-03</td>"));
	g_free(html);
}
END_TEST

START_TEST(incident_view)
{
	html_data d = { .incident = true };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	ck_assert_ptr_nonnull(strstr(html, "<title>mugaika 調査報告"));
	ck_assert_ptr_nonnull(strstr(html, "<section id=\"lookup\">"));
	ck_assert_ptr_null(strstr(html, "<section id=\"summary\">"));
	ck_assert_ptr_null(strstr(html, "<svg"));
	ck_assert_uint_eq(count_of(html, "<div class=\"hit\">"), 4);
	ck_assert_ptr_nonnull(strstr(html, "該当 4 通、受信者 6、うち解放済み 2"));
	ck_assert_uint_eq(count_of(html, "<td>未解放</td>"), 4);
	ck_assert_ptr_nonnull(strstr(html, "<td>2026-03-07T09:00:00+09:00</td>"
					   "<td>&lt;img src=x onerror=alert(2)&gt;</td>"));
	ck_assert_ptr_nonnull(strstr(html, "<td>&lt;&gt;</td>"));         /* null sender */
	ck_assert_ptr_nonnull(strstr(html, "<td>拒否</td>"));
	ck_assert_ptr_nonnull(strstr(html, "<td>保管中</td>"));
	ck_assert_ptr_nonnull(strstr(html, "請求書の送付?について"));
	g_free(html);

	d.zeros = true;
	html = render(&d, MG_REPORT_EN);
	check_self_contained(html);
	ck_assert_ptr_nonnull(strstr(html, "0 messages, 0 recipients, 0 released"));
	ck_assert_ptr_nonnull(strstr(html, "<span class=\"none\">none</span>"));
	g_free(html);
}
END_TEST

START_TEST(no_traffic_records)
{
	html_data d = { .days = 7, .no_traffic = true };
	char *html = render(&d, MG_REPORT_JA);

	check_self_contained(html);
	/* summary, daily, senders, signatures */
	ck_assert_uint_eq(count_of(html, "処理記録（traffic）がありません"), 4);
	/* the kept originals' sections are still there */
	ck_assert_ptr_nonnull(strstr(html, "Win.Test.EICAR_HDB-1"));
	ck_assert_uint_eq(count_of(html, "<svg"), 2);
	g_free(html);
}
END_TEST

START_TEST(print_rules)
{
	html_data d = { .days = 31 };
	char *html = render(&d, MG_REPORT_JA);

	ck_assert_ptr_nonnull(strstr(html, "@page { size: A4; margin: 15mm }"));
	ck_assert_ptr_nonnull(strstr(html, "tr, figure, .hit { break-inside: avoid }"));
	ck_assert_ptr_nonnull(strstr(html, "svg.chart { display: block; width: 100%"));
	ck_assert_ptr_nonnull(strstr(html, "\"Noto Sans CJK JP\""));
	ck_assert_uint_eq(count_of(html, "<svg class=\"chart\" viewBox=\"0 0 800 "), 4);
	g_free(html);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report_html");
	TCase *tc = tcase_create("page");

	tcase_add_test(tc, page_ja);
	tcase_add_test(tc, hostile_strings_escaped);
	tcase_add_test(tc, page_en);
	tcase_add_test(tc, empty_report);
	tcase_add_test(tc, all_zero_days);
	tcase_add_test(tc, one_day);
	tcase_add_test(tc, leap_year_of_days);
	tcase_add_test(tc, incident_view);
	tcase_add_test(tc, no_traffic_records);
	tcase_add_test(tc, print_rules);
	suite_add_tcase(s, tc);
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
