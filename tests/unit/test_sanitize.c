/*
 * test_sanitize.c - the engine end to end on small inline messages: header
 * edits, alternatives, removed parts and their hashes, limits, output
 * charsets, hostile structure.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "conf.h"
#include "sanitize.h"

static mg_config *cfg;

static void setup(void)
{
	mg_engine_init();
	cfg = mg_config_new_defaults();
}

static void teardown(void)
{
	mg_config_unref(cfg);
}

static mg_result *run(const char *msg)
{
	return mg_sanitize(msg, strlen(msg), cfg, "20260101T000000Z-T1", 0);
}

/* The delivered body decoded to UTF-8. */
static char *body_text(const mg_result *r)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(r->message, r->message_len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimeObject *part = g_mime_message_get_mime_part(m);
	GMimeStream *mem = g_mime_stream_mem_new();
	const char *cs = g_mime_object_get_content_type_parameter(part, "charset");

	ck_assert(GMIME_IS_PART(part));
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), mem);
	GByteArray *b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	size_t n = 0;
	char *text = mg_charset_convert_strict((const char *)b->data, b->len, cs, &n);
	ck_assert_ptr_nonnull(text);
	g_object_unref(mem);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	return text;
}

static const mg_header_edit *edit_at(const mg_result *r, guint i)
{
	ck_assert_uint_lt(i, r->edits->len);
	return r->edits->pdata[i];
}

static int find_edit(const mg_result *r, mg_edit_kind kind, const char *name, unsigned index)
{
	for (guint i = 0; i < r->edits->len; i++) {
		const mg_header_edit *e = r->edits->pdata[i];
		if (e->kind == kind && g_ascii_strcasecmp(e->name, name) == 0 &&
		    (kind == MG_EDIT_ADD || e->index == index))
			return (int)i;
	}
	return -1;
}

static const char dup_ct[] =
	"From: a@example.com\nTo: b@example.jp\nSubject: hi\n"
	"X-Mugaika-Status: v=1; action=deliver\nX-Mailer: evil 1.0\n"
	"MIME-Version: 1.0\nContent-Type: text/plain\nContent-Type: text/html\n"
	"Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: 8bit\n\n"
	"<p>hello <b>world</b></p>\n";

START_TEST(header_edits_remove_all_content_duplicates)
{
	mg_result *r = run(dup_ct);

	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "Content-Type", 1), 0);
	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "Content-Type", 2), 0);
	ck_assert_int_lt(find_edit(r, MG_EDIT_DELETE, "Content-Type", 2),
			 find_edit(r, MG_EDIT_DELETE, "Content-Type", 1));
	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "Content-Transfer-Encoding", 2), 0);
	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "X-Mugaika-Status", 1), 0);
	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "X-Mailer", 1), 0);
	ck_assert_int_ge(find_edit(r, MG_EDIT_DELETE, "MIME-Version", 1), 0);
	ck_assert_int_lt(find_edit(r, MG_EDIT_DELETE, "From", 1), 0);
	ck_assert(r->verdict->reasons & MG_R_FORGED_HEADER);
	/* additions last, exactly one of each */
	const mg_header_edit *last = edit_at(r, r->edits->len - 1);
	ck_assert_int_eq(last->kind, MG_EDIT_ADD);
	ck_assert_str_eq(last->name, "X-Mugaika-ID");
	ck_assert_ptr_nonnull(strstr(r->message, "\nContent-Type: text/plain; charset=utf-8\n"));
	ck_assert_ptr_null(strstr(r->message, "text/html"));
	ck_assert_ptr_null(strstr(r->message, "X-Mailer"));
	ck_assert_ptr_null(strstr(r->message, "action=deliver\nX-Mailer"));
	char *text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "hello world"));
	ck_assert_ptr_null(strstr(text, "<p>"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(unclean_subject_rewritten)
{
	mg_result *r = run("From: a@example.com\nSubject: 会議の件\nTo: b@example.jp\n\nbody\n");
	int i = find_edit(r, MG_EDIT_CHANGE, "Subject", 1);

	ck_assert_int_ge(i, 0);
	const mg_header_edit *e = edit_at(r, (guint)i);
	ck_assert(g_str_has_prefix(e->value, "=?"));
	char *dec = mg_header_decode(e->value, NULL);
	ck_assert_str_eq(dec, "会議の件");
	ck_assert_str_eq(r->verdict->subject, "会議の件");
	ck_assert(r->verdict->reasons & MG_R_HEADERS_REWRITTEN);
	g_free(dec);
	mg_result_free(r);
}
END_TEST

START_TEST(subject_tag_prefixed)
{
	g_free(cfg->subject_tag);
	cfg->subject_tag = g_strdup("【外部】");
	mg_result *r = run("From: a@example.com\nSubject: =?UTF-8?B?5Lya6K2w?=\n\nbody\n");
	int i = find_edit(r, MG_EDIT_CHANGE, "Subject", 1);
	ck_assert_int_ge(i, 0);
	char *dec = mg_header_decode(edit_at(r, (guint)i)->value, NULL);
	ck_assert_str_eq(dec, "【外部】会議");
	g_free(dec);
	mg_result_free(r);
}
END_TEST

static const char alt[] =
	"From: a@example.com\nSubject: alt\nMIME-Version: 1.0\n"
	"Content-Type: multipart/alternative; boundary=BB\n\n"
	"--BB\nContent-Type: text/plain; charset=utf-8\n\nPLAIN VERSION\n"
	"--BB\nContent-Type: text/html; charset=utf-8\n\n<p>HTML <i>VERSION</i></p>\n--BB--\n";

START_TEST(alternative_prefers_text)
{
	mg_result *r = run(alt);
	char *text = body_text(r);

	ck_assert_ptr_nonnull(strstr(text, "PLAIN VERSION"));
	ck_assert_ptr_null(strstr(text, "HTML VERSION"));
	ck_assert(r->verdict->keep_original);
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(alternative_always_convert)
{
	cfg->html_mode = MG_HTML_ALWAYS_CONVERT;
	mg_result *r = run(alt);
	char *text = body_text(r);

	ck_assert_ptr_nonnull(strstr(text, "HTML VERSION"));
	ck_assert_ptr_null(strstr(text, "PLAIN VERSION"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

/* "hello\n" base64 is aGVsbG8K; its SHA-256 is known. */
static const char attach[] =
	"From: a@example.com\nSubject: att\nMIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=BB\n\n"
	"--BB\nContent-Type: text/plain; charset=utf-8\n\nsee attached\n"
	"--BB\nContent-Type: application/pdf\n"
	"Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82.pdf\n"
	"Content-Transfer-Encoding: base64\n\naGVsbG8K\n"
	"--BB\nContent-Type: application/octet-stream\n"
	"Content-Disposition: attachment; filename=\"evil\xE2\x80\xAE" "fdp.exe\"\n\nxx\n--BB--\n";

START_TEST(attachments_removed_with_hash)
{
	mg_result *r = run(attach);
	const mg_verdict *v = r->verdict;

	ck_assert_uint_eq(v->removed->len, 2);
	const mg_removed *a = v->removed->pdata[0];
	ck_assert_str_eq(a->filename, "請求.pdf");
	ck_assert_str_eq(a->content_type, "application/pdf");
	ck_assert_uint_eq(a->size, 6);
	ck_assert_str_eq(a->sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	const mg_removed *b = v->removed->pdata[1];
	ck_assert_ptr_null(strstr(b->filename, "\xE2\x80\xAE"));
	ck_assert(v->reasons & MG_R_ATTACHMENT);
	ck_assert(v->keep_original);
	char *text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "see attached"));
	ck_assert_ptr_nonnull(strstr(text, "[1] 請求.pdf"));
	ck_assert_ptr_nonnull(strstr(text, a->sha256));
	ck_assert_ptr_nonnull(strstr(text, "保管ID: 20260101T000000Z-T1"));
	ck_assert_ptr_nonnull(strstr(r->message, "\nX-Mugaika-ID: 20260101T000000Z-T1\n"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(limit_max_parts)
{
	cfg->max_parts = 2;
	mg_result *r = run(attach);

	ck_assert(r->verdict->reasons & MG_R_LIMIT);
	ck_assert_str_eq(((mg_limit_hit *)r->verdict->limits->pdata[0])->name, "max_parts");
	char *text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "see attached"));
	ck_assert_ptr_nonnull(strstr(text, "max_parts"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(limit_max_mime_depth)
{
	GString *m = g_string_new("From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 50; i++)
		g_string_append_printf(m, "Content-Type: multipart/mixed; boundary=B%d\n\n--B%d\n", i, i);
	g_string_append(m, "Content-Type: text/plain\n\ndeep text\n");
	cfg->max_mime_depth = 10;
	mg_result *r = run(m->str);
	ck_assert(r->verdict->reasons & MG_R_LIMIT);
	char *text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "max_mime_depth"));
	g_free(text);
	mg_result_free(r);
	g_string_free(m, TRUE);
}
END_TEST

START_TEST(limit_max_message_size)
{
	cfg->max_message_size = 60;
	mg_result *r = run(attach);
	ck_assert(r->verdict->reasons & MG_R_LIMIT);
	ck_assert_uint_eq(r->verdict->input_bytes, strlen(attach));
	char *text = body_text(r);
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(limit_max_text_bytes)
{
	GString *m = g_string_new("From: a@example.com\nSubject: big\n\n");
	for (int i = 0; i < 2000; i++)
		g_string_append(m, "0123456789 あいうえお\n");
	cfg->max_text_bytes = 1000;
	mg_result *r = run(m->str);
	ck_assert(r->verdict->reasons & MG_R_LIMIT);
	char *text = body_text(r);   /* still valid UTF-8: cut at a character */
	ck_assert_uint_lt(strlen(text), 4000);
	g_free(text);
	mg_result_free(r);
	g_string_free(m, TRUE);
}
END_TEST

START_TEST(uuencode_cut_out)
{
	mg_result *r = run("From: a@example.com\nSubject: uu\n\nbefore\n"
			   "begin 644 hello.txt\n&:&5L;&\\*\n`\nend\nafter\n");
	char *text = body_text(r);

	ck_assert_ptr_nonnull(strstr(text, "before"));
	ck_assert_ptr_nonnull(strstr(text, "after"));
	ck_assert_ptr_null(strstr(text, "begin 644"));
	ck_assert_uint_eq(r->verdict->removed->len, 1);
	const mg_removed *u = r->verdict->removed->pdata[0];
	ck_assert_str_eq(u->why, "uuencode");
	ck_assert_str_eq(u->filename, "hello.txt");
	ck_assert_uint_eq(u->size, 6);
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(signed_content_kept_signature_removed)
{
	mg_result *r = run("From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
			   "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=S\n\n"
			   "--S\nContent-Type: text/plain\n\nsigned words\n"
			   "--S\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
			   "Content-Transfer-Encoding: base64\n\nAAAA\n--S--\n");
	char *text = body_text(r);

	ck_assert_ptr_nonnull(strstr(text, "signed words"));
	ck_assert(r->verdict->reasons & MG_R_SIGNATURE);
	ck_assert_str_eq(((mg_removed *)r->verdict->removed->pdata[0])->why, "signature");
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(nested_message_quoted)
{
	mg_result *r = run("From: a@example.com\nSubject: fwd\nMIME-Version: 1.0\n"
			   "Content-Type: multipart/mixed; boundary=M\n\n"
			   "--M\nContent-Type: text/plain\n\nsee below\n"
			   "--M\nContent-Type: message/rfc822\n\n"
			   "From: inner@example.org\nSubject: inner subject\n\ninner body line\n--M--\n");
	char *text = body_text(r);

	ck_assert_ptr_nonnull(strstr(text, "> From: inner@example.org"));
	ck_assert_ptr_nonnull(strstr(text, "> Subject: inner subject"));
	ck_assert_ptr_nonnull(strstr(text, "> inner body line"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(iso2022jp_output_and_fallback)
{
	cfg->output_charset = MG_OUT_ISO2022JP;
	mg_result *r = run("From: a@example.com\nSubject: j\nContent-Type: text/plain; charset=utf-8\n\n日本語です\n");
	ck_assert_ptr_nonnull(strstr(r->message, "charset=ISO-2022-JP"));
	ck_assert_ptr_nonnull(strstr(r->message, "Content-Transfer-Encoding: 7bit"));
	char *text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "日本語です"));
	g_free(text);
	mg_result_free(r);

	r = run("From: a@example.com\nSubject: j\nContent-Type: text/plain; charset=utf-8\n\n絵文字\xF0\x9F\x98\x80\n");
	ck_assert_ptr_nonnull(strstr(r->message, "charset=utf-8"));
	ck_assert(r->verdict->reasons & MG_R_OUTPUT_FALLBACK);
	text = body_text(r);
	ck_assert_ptr_nonnull(strstr(text, "絵文字\xF0\x9F\x98\x80"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(garbage_gets_a_safe_message)
{
	static const char *inputs[] = { "", "\n\n\n", "no header at all", "\x00\x01\x02",
					"Content-Type: multipart/mixed\n\n--\n--\n" };

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
		mg_result *r = run(inputs[i]);
		ck_assert_int_eq(r->verdict->action, MG_ACTION_DELIVER);
		char *text = body_text(r);
		g_free(text);
		mg_result_free(r);
	}
}
END_TEST

START_TEST(links_defanged_in_text)
{
	mg_result *r = run("From: a@example.com\nSubject: l\n\nvisit https://www.example.com/a?b=1 now\n");
	char *text = body_text(r);

	ck_assert_ptr_null(strstr(text, "https://www.example.com"));
	ck_assert_ptr_nonnull(strstr(text, "hxxps://www[.]example[.]com/a?b=1"));
	ck_assert_uint_eq(r->verdict->links, 1);
	ck_assert(r->verdict->reasons & MG_R_LINKS);
	g_free(text);
	mg_result_free(r);
}
END_TEST

START_TEST(edits_reproduce_message)
{
	/* Applying the edits to the original headers gives the headers of the message. */
	mg_result *r = run(dup_ct);
	GString *hdrs = g_string_new("From: a@example.com\nTo: b@example.jp\nSubject: hi\n");

	for (guint i = 0; i < r->edits->len; i++) {
		const mg_header_edit *e = r->edits->pdata[i];
		if (e->kind == MG_EDIT_ADD)
			g_string_append_printf(hdrs, "%s: %s\n", e->name, e->value);
		else
			ck_assert(e->kind == MG_EDIT_DELETE);
	}
	ck_assert(g_str_has_prefix(r->message, hdrs->str));
	g_string_free(hdrs, TRUE);
	mg_result_free(r);
}
END_TEST

/* Found by fuzzing: a date with a multibyte character where digits belong. */
START_TEST(calendar_odd_dates_stay_valid_utf8)
{
	mg_result *r = run("From: a@example.com\nSubject: c\nContent-Type: text/calendar; charset=utf-8\n\n"
			   "BEGIN:VEVENT\nDTSTART:2025021\xE3\x81\x82T100000\nDTEND:20250210T1\xE3\x81\x82\n"
			   "SUMMARY:\xE4\xBC\x9A\xE8\xAD\xB0\nEND:VEVENT\n");
	char *text = body_text(r);   /* asserts it decodes strictly */

	ck_assert_ptr_nonnull(strstr(text, "件名: 会議"));
	ck_assert_ptr_nonnull(strstr(text, "開始: 2025021あT100000"));
	g_free(text);
	mg_result_free(r);
}
END_TEST

/* LF and CRLF copies of a message give the same removed-part hashes. */
START_TEST(line_ends_do_not_change_hashes)
{
	static const char lf[] = "From: a@example.com\nSubject: x\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n"
		"--B\nContent-Type: application/x-thing\nContent-Disposition: attachment; filename=a.txt\n\n"
		"line one\nline two\n--B--\n";
	GString *crlf = g_string_new(NULL);

	for (const char *p = lf; *p; p++)
		g_string_append(crlf, *p == '\n' ? "\r\n" : (char[]){ *p, 0 });
	mg_result *a = run(lf), *b = run(crlf->str);
	const mg_removed *ra = a->verdict->removed->pdata[0], *rb = b->verdict->removed->pdata[0];
	ck_assert_str_eq(ra->sha256, rb->sha256);
	ck_assert_uint_eq(ra->size, rb->size);
	ck_assert_uint_eq(a->body_len, b->body_len);
	ck_assert(memcmp(a->body, b->body, a->body_len) == 0);
	mg_result_free(a);
	mg_result_free(b);
	g_string_free(crlf, TRUE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sanitize");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_edits_remove_all_content_duplicates);
	tcase_add_test(tc, unclean_subject_rewritten);
	tcase_add_test(tc, subject_tag_prefixed);
	tcase_add_test(tc, alternative_prefers_text);
	tcase_add_test(tc, alternative_always_convert);
	tcase_add_test(tc, attachments_removed_with_hash);
	tcase_add_test(tc, limit_max_parts);
	tcase_add_test(tc, limit_max_mime_depth);
	tcase_add_test(tc, limit_max_message_size);
	tcase_add_test(tc, limit_max_text_bytes);
	tcase_add_test(tc, uuencode_cut_out);
	tcase_add_test(tc, signed_content_kept_signature_removed);
	tcase_add_test(tc, nested_message_quoted);
	tcase_add_test(tc, iso2022jp_output_and_fallback);
	tcase_add_test(tc, garbage_gets_a_safe_message);
	tcase_add_test(tc, links_defanged_in_text);
	tcase_add_test(tc, edits_reproduce_message);
	tcase_add_test(tc, calendar_odd_dates_stay_valid_utf8);
	tcase_add_test(tc, line_ends_do_not_change_hashes);
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
