/*
 * test_msgbuf.c - message assembly for the milter: the header block rebuilt
 * from header callbacks byte for byte (with and without the leading space,
 * bare LF folds to CRLF), per-name header indices, the blank line before
 * the body, spilling past the memory limit into an unnamed private file,
 * and a spill that fails.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "msgbuf.h"

static char *finish(mg_msgbuf *b, size_t *len)
{
	const char *data = NULL;
	char *err = NULL;

	ck_assert_msg(mg_msgbuf_finish(b, &data, len, &err), "finish: %s", err);
	return g_strndup(data, *len);
}

START_TEST(header_block_rebuilt)
{
	mg_msgbuf *b = mg_msgbuf_new(1 << 20, NULL);
	size_t len;

	mg_msgbuf_header(b, "Subject", " two\n\tlines", true);
	mg_msgbuf_header(b, "X-Tab", "\tvalue", true);
	mg_msgbuf_header(b, "X-None", "", true);
	mg_msgbuf_header(b, "X-Crlf", " a\r\n b", true);
	mg_msgbuf_body(b, "body\r\n", 6);
	char *raw = finish(b, &len);
	ck_assert_str_eq(raw, "Subject: two\r\n\tlines\r\nX-Tab:\tvalue\r\nX-None:\r\n"
			      "X-Crlf: a\r\n b\r\n\r\nbody\r\n");
	ck_assert_uint_eq(len, strlen(raw));
	ck_assert_uint_eq(mg_msgbuf_size(b), len);
	ck_assert(!mg_msgbuf_spilled(b));
	g_free(raw);
	mg_msgbuf_free(b);
}
END_TEST

START_TEST(header_without_leadspc)
{
	mg_msgbuf *b = mg_msgbuf_new(1 << 20, NULL);
	size_t len;

	mg_msgbuf_header(b, "From", "a@example.com", false);
	char *raw = finish(b, &len);
	ck_assert_str_eq(raw, "From: a@example.com\r\n\r\n");
	g_free(raw);
	mg_msgbuf_free(b);
}
END_TEST

START_TEST(header_indices)
{
	mg_msgbuf *b = mg_msgbuf_new(1 << 20, NULL);

	mg_msgbuf_header(b, "Received", " a", true);
	mg_msgbuf_header(b, "Content-Type", " text/plain", true);
	mg_msgbuf_header(b, "received", " b", true);
	mg_msgbuf_header(b, "CONTENT-TYPE", " text/html", true);
	const GPtrArray *h = mg_msgbuf_headers(b);
	ck_assert_uint_eq(h->len, 4);
	const unsigned want[] = { 1, 1, 2, 2 };
	for (guint i = 0; i < h->len; i++)
		ck_assert_uint_eq(((mg_rcvd_header *)h->pdata[i])->index, want[i]);
	ck_assert_str_eq(((mg_rcvd_header *)h->pdata[3])->value, " text/html");
	mg_msgbuf_free(b);
}
END_TEST

static guint dir_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	ck_assert_ptr_nonnull(d);
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

START_TEST(spills_past_limit)
{
	char *dir = g_dir_make_tmp("test_msgbuf.XXXXXX", NULL);
	mg_msgbuf *b = mg_msgbuf_new(64 * 1024, dir);
	GString *want = g_string_new("Subject: big\r\n\r\n");
	size_t len;

	mg_msgbuf_header(b, "Subject", " big", true);
	for (int i = 0; i < 5000; i++) {
		char *line = g_strdup_printf("line %05d of a body larger than the limit\r\n", i);
		mg_msgbuf_body(b, line, strlen(line));
		g_string_append(want, line);
		g_free(line);
	}
	ck_assert(mg_msgbuf_spilled(b));
	ck_assert_uint_eq(dir_entries(dir), 0);	/* the file has no name */
	char *raw = finish(b, &len);
	ck_assert_uint_eq(len, want->len);
	ck_assert(memcmp(raw, want->str, len) == 0);
	g_free(raw);
	mg_msgbuf_free(b);
	g_string_free(want, TRUE);
	g_rmdir(dir);
	g_free(dir);
}
END_TEST

START_TEST(spill_failure_reported)
{
	mg_msgbuf *b = mg_msgbuf_new(64 * 1024, "/nonexistent/mugaika-test");
	char block[4096];
	const char *data;
	size_t len;
	char *err = NULL;

	memset(block, 'x', sizeof block);
	mg_msgbuf_header(b, "Subject", " x", true);
	for (int i = 0; i < 40; i++)
		mg_msgbuf_body(b, block, sizeof block);
	ck_assert(!mg_msgbuf_finish(b, &data, &len, &err));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mugaika-test"));
	ck_assert_uint_eq(mg_msgbuf_size(b), 40 * sizeof block + strlen("Subject: x\r\n\r\n"));
	g_free(err);
	mg_msgbuf_free(b);
}
END_TEST

static Suite *msgbuf_suite(void)
{
	Suite *s = suite_create("msgbuf");
	TCase *tc = tcase_create("msgbuf");

	tcase_add_test(tc, header_block_rebuilt);
	tcase_add_test(tc, header_without_leadspc);
	tcase_add_test(tc, header_indices);
	tcase_add_test(tc, spills_past_limit);
	tcase_add_test(tc, spill_failure_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msgbuf_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
