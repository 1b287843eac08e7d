/*
 * test_verdict.c - the verdict's names, status header, JSON form, and the
 * notice template expansion.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "json.h"
#include "notice.h"
#include "verdict.h"

START_TEST(json_starts_with_version)
{
	mg_verdict *v = mg_verdict_new("ID1", 0);
	char *json = mg_verdict_to_json(v);

	ck_assert(g_str_has_prefix(json, "{\n  \"version\": 1,"));
	ck_assert_ptr_nonnull(strstr(json, "\"id\": \"ID1\""));
	ck_assert_ptr_nonnull(strstr(json, "\"time\": \"1970-01-01T00:00:00Z\""));
	ck_assert_ptr_nonnull(strstr(json, "\"action\": \"deliver\""));
	g_free(json);
	mg_verdict_free(v);
}
END_TEST

START_TEST(json_escapes_strings)
{
	mg_verdict *v = mg_verdict_new(NULL, 0);
	GString *s = g_string_new(NULL);

	mg_json_string(s, "a\"b\\c\nd\x01" "e\xE3\x81\x82");
	ck_assert_str_eq(s->str, "\"a\\\"b\\\\c\\nd\\u0001e\xE3\x81\x82\"");
	mg_verdict_warn(v, "bad \"%s\"", "x\ny");
	char *json = mg_verdict_to_json(v);
	ck_assert_ptr_nonnull(strstr(json, "\"bad \\\"x\\ny\\\"\""));
	ck_assert_ptr_nonnull(strstr(json, "\"id\": null"));
	g_free(json);
	g_string_free(s, TRUE);
	mg_verdict_free(v);
}
END_TEST

START_TEST(reasons_and_status)
{
	mg_verdict *v = mg_verdict_new("20260101T000000Z-X", 0);

	mg_verdict_add_reason(v, MG_R_HTML_CONVERTED);
	mg_verdict_add_reason(v, MG_R_ATTACHMENT);
	mg_verdict_limit(v, "max_parts", 10, 11);
	mg_verdict_limit(v, "max_parts", 10, 15);
	ck_assert_uint_eq(v->limits->len, 1);
	ck_assert_uint_eq(((mg_limit_hit *)v->limits->pdata[0])->seen, 15);
	char *r = mg_verdict_reasons_string(v);
	ck_assert_str_eq(r, "html_converted,attachment,limit");
	char *h = mg_verdict_status_header(v);
	ck_assert_str_eq(h, "v=1; action=deliver; reasons=html_converted,attachment,limit; "
			    "removed=0; links=0; charset=utf-8; id=20260101T000000Z-X");
	ck_assert_str_eq(mg_reason_name(MG_R_CANNOT_INSPECT), "cannot_inspect");
	ck_assert_str_eq(mg_action_name(MG_ACTION_TEMPFAIL), "tempfail");
	g_free(r);
	g_free(h);
	mg_verdict_free(v);
}
END_TEST

START_TEST(warnings_are_bounded)
{
	mg_verdict *v = mg_verdict_new(NULL, 0);

	for (int i = 0; i < 1000; i++)
		mg_verdict_warn(v, "w%d", i);
	ck_assert_uint_eq(v->warnings->len, 100);
	ck_assert_uint_eq(v->warnings_dropped, 900);
	mg_verdict_free(v);
}
END_TEST

START_TEST(template_conditional_lines)
{
	const char *t = "head\n{actions}\n{?removed}Removed:\n{removed}\n{?id}  ID: {id}\ntail\n";
	char *a = mg_notice_expand(t, NULL, NULL, NULL);
	char *b = mg_notice_expand(t, "- one\n- two", "  [1] x", "ID9");

	ck_assert_str_eq(a, "head\ntail\n");
	ck_assert_str_eq(b, "head\n- one\n- two\nRemoved:\n  [1] x\n  ID: ID9\ntail\n");
	g_free(a);
	g_free(b);
}
END_TEST

START_TEST(template_indent_repeats)
{
	char *s = mg_notice_expand("> {removed}\n", NULL, "a\nb", NULL);

	ck_assert_str_eq(s, "> a\n> b\n");
	g_free(s);
}
END_TEST

START_TEST(notice_lists_removed_parts)
{
	mg_config *cfg = mg_config_new_defaults();
	mg_verdict *v = mg_verdict_new("ID7", 0);
	mg_removed *r = g_new0(mg_removed, 1);
	char *err = NULL;

	r->part = g_strdup("2");
	r->filename = g_strdup("請求書.pdf");
	r->content_type = g_strdup("application/pdf");
	r->why = g_strdup("attachment");
	r->size = 1234567;
	strcpy(r->sha256, "ab");
	mg_verdict_add_removed(v, r);
	mg_verdict_add_reason(v, MG_R_ATTACHMENT);
	v->keep_original = true;
	char *n = mg_notice_render(v, cfg, &err);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(strstr(n, "[1] 請求書.pdf（application/pdf、1,234,567 バイト）"));
	ck_assert_ptr_nonnull(strstr(n, "SHA-256: ab"));
	ck_assert_ptr_nonnull(strstr(n, "保管ID: ID7"));
	ck_assert_ptr_nonnull(strstr(n, "添付ファイル等 1 件を削除しました"));
	g_free(n);
	mg_verdict_free(v);
	mg_config_unref(cfg);
}
END_TEST

START_TEST(notice_english_and_missing_template)
{
	mg_config *cfg = mg_config_new_defaults();
	mg_verdict *v = mg_verdict_new("ID7", 0);
	char *err = NULL;

	cfg->notice_language = MG_LANG_EN;
	char *n = mg_notice_render(v, cfg, &err);
	ck_assert_ptr_nonnull(strstr(n, "[Sanitized mail]"));
	ck_assert_ptr_null(strstr(n, "ID7"));   /* nothing kept: no ID shown */
	g_free(n);
	g_free(cfg->notice_template);
	cfg->notice_template = g_strdup("/nonexistent/notice.txt");
	ck_assert_ptr_null(mg_notice_render(v, cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "notice_template"));
	g_free(err);
	mg_verdict_free(v);
	mg_config_unref(cfg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, json_starts_with_version);
	tcase_add_test(tc, json_escapes_strings);
	tcase_add_test(tc, reasons_and_status);
	tcase_add_test(tc, warnings_are_bounded);
	tcase_add_test(tc, template_conditional_lines);
	tcase_add_test(tc, template_indent_repeats);
	tcase_add_test(tc, notice_lists_removed_parts);
	tcase_add_test(tc, notice_english_and_missing_template);
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
