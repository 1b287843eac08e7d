/*
 * test_names.c - mg_name_display() and mg_name_suspicious() on a table of
 * hostile and ordinary file names, plus the cutting to length.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

typedef struct {
	const char *what;
	const char *in;
	const char *out;	/* with MG_NAME_MAX_CHARS */
	bool suspicious;
} name_case;

static const name_case cases[] = {
	{ "RLO extension spoof", "invoice\xE2\x80\xAE" "fdp.exe", "invoice?fdp.exe", true },
	{ "LRI..PDI isolate", "a\xE2\x81\xA6" "b\xE2\x81\xA9.txt", "a?b?.txt", true },
	{ "arabic letter mark", "x\xD8\x9Cy.doc", "x?y.doc", true },
	{ "path traversal", "../../etc/passwd", "___.._etc_passwd", true },
	{ "windows path", "C:\\Windows\\evil.exe", "C:_Windows_evil.exe", true },
	{ "header injection", "a\r\nBcc: x", "a??Bcc: x", true },
	{ "C0 controls and DEL", "x\x01\x1by\x7f.txt", "x??y?.txt", true },
	{ "tab", "a\tb.txt", "a?b.txt", true },
	{ "C1 control NEL", "a\xC2\x85" "b.txt", "a?b.txt", true },
	{ "line separator", "a\xE2\x80\xA8" "b.txt", "a?b.txt", true },
	{ "zero width space", "pay\xE2\x80\x8Bpal.pdf", "pay?pal.pdf", true },
	{ "zero width joiner", "a\xE2\x80\x8D" "b.pdf", "a?b.pdf", true },
	{ "word joiner", "a\xE2\x81\xA0" "b.pdf", "a?b.pdf", true },
	{ "BOM", "\xEF\xBB\xBF" "doc.pdf", "?doc.pdf", true },
	{ "soft hyphen (Cf)", "in\xC2\xADvoice.pdf", "in?voice.pdf", true },
	{ "tag character (Cf)", "a\xF3\xA0\x80\x81.txt", "a?.txt", true },
	{ "noncharacter", "a\xEF\xBF\xBF.txt", "a?.txt", true },
	{ "latin-1 byte", "caf\xE9.txt", "caf\xEF\xBF\xBD.txt", true },
	{ "overlong slash", "a\xC0\xAF" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b", true },
	{ "UTF-8 surrogate", "\xED\xA0\x80.txt",
	  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.txt", true },
	{ "truncated sequence", "abc\xE3\x81", "abc\xEF\xBF\xBD\xEF\xBF\xBD", true },
	{ "trailing dot and spaces", "file.pdf   .", "file.pdf", true },
	{ "trailing space", "file.pdf ", "file.pdf", true },
	{ "leading dot", ".htaccess", "_htaccess", true },
	{ "only dots", "...", "_", true },
	{ "only spaces", "   ", "_", true },
	{ "space run hiding .exe", "report.pdf                              .exe",
	  "report.pdf .exe", false },
	{ "leading spaces", "  a.txt", "a.txt", false },
	{ "no-break space", "a\xC2\xA0" "b.txt", "a b.txt", false },
	{ "empty", "", "", false },
	{ "plain", "report 2024.pdf", "report 2024.pdf", false },
	{ "dots inside", "a..b.tar.gz", "a..b.tar.gz", false },
	{ "Japanese", "請求書（2024年度）.pdf", "請求書（2024年度）.pdf", false },
	{ "ideographic space", "会議　資料.docx", "会議　資料.docx", false },
	{ "half-width kana", "ｾｲｷｭｳｼｮ.xlsx", "ｾｲｷｭｳｼｮ.xlsx", false },
	{ "emoji", "\xF0\x9F\x93\x8E memo.txt", "\xF0\x9F\x93\x8E memo.txt", false },
};

START_TEST(test_table)
{
	const name_case *c = &cases[_i];
	char *out = mg_name_display(c->in, MG_NAME_MAX_CHARS);

	ck_assert_msg(strcmp(out, c->out) == 0, "%s: got '%s', want '%s'",
		      c->what, out, c->out);
	ck_assert_msg(g_utf8_validate(out, -1, NULL), "%s: not UTF-8", c->what);
	ck_assert_msg(mg_name_suspicious(c->in) == c->suspicious,
		      "%s: suspicious should be %d", c->what, c->suspicious);
	g_free(out);
}
END_TEST

/* n copies of s, then tail */
static char *
repeat(const char *s, int n, const char *tail)
{
	GString *g = g_string_new(NULL);
	for (int i = 0; i < n; i++)
		g_string_append(g, s);
	g_string_append(g, tail);
	return g_string_free(g, FALSE);
}

static void
check_cut(const char *in, size_t max, const char *want)
{
	char *out = mg_name_display(in, max);
	ck_assert_msg(strcmp(out, want) == 0, "cut to %zu: got '%s', want '%s'",
		      max, out, want);
	ck_assert_uint_le(g_utf8_strlen(out, -1), max ? max : MG_NAME_MAX_CHARS);
	g_free(out);
}

START_TEST(test_long_keeps_extension)
{
	char *in = repeat("A", 296, ".pdf");
	char *want = repeat("A", MG_NAME_MAX_CHARS - 5, "….pdf");

	ck_assert_uint_eq(strlen(in), 300);
	check_cut(in, MG_NAME_MAX_CHARS, want);
	check_cut(in, 0, want);
	ck_assert(!mg_name_suspicious(in));
	g_free(in);
	g_free(want);
}
END_TEST

START_TEST(test_long_japanese)
{
	char *in = repeat("あ", 296, ".docx");
	char *want = repeat("あ", 50 - 6, "….docx");

	check_cut(in, 50, want);
	g_free(in);
	g_free(want);
}
END_TEST

START_TEST(test_long_without_extension)
{
	/* no extension, a trailing dot, one with a space, one too long */
	static const char *tails[] = { "", ".", ".x y", ".0123456789abcdefg" };
	char *want = repeat("a", 9, "…");

	for (size_t i = 0; i < G_N_ELEMENTS(tails); i++) {
		char *in = repeat("a", 200, tails[i]);
		check_cut(in, 10, want);
		g_free(in);
	}
	g_free(want);
}
END_TEST

START_TEST(test_small_limits)
{
	check_cut("abcdef.txt", 10, "abcdef.txt");
	check_cut("abcdefg.txt", 10, "abcde….txt");
	check_cut("abcdef.txt", 8, "abc….txt");
	check_cut("abcdef.txt", 6, "a….txt");
	check_cut("abcdef.txt", 5, "abcd…");
	check_cut("abcdef.txt", 1, "…");
	check_cut("abcdefghij.0123456789abcde", 20, "abc….0123456789abcde");
	/* the cut counts characters after neutralising */
	check_cut("\xE2\x80\xAE" "abcdef.txt", 8, "?ab….txt");
}
END_TEST

START_TEST(test_null_and_huge)
{
	ck_assert_ptr_null(mg_name_display(NULL, 10));
	ck_assert(!mg_name_suspicious(NULL));

	char *in = repeat("\xE2\x80\xAE", 100000, ".exe");
	char *out = mg_name_display(in, MG_NAME_MAX_CHARS);
	ck_assert_uint_eq(g_utf8_strlen(out, -1), MG_NAME_MAX_CHARS);
	ck_assert(g_str_has_prefix(out, "???"));
	ck_assert(g_str_has_suffix(out, "….exe"));
	ck_assert(mg_name_suspicious(in));
	g_free(in);
	g_free(out);
}
END_TEST

/* Whatever goes in: valid UTF-8 out, no control, bidi or separator left. */
START_TEST(test_every_byte)
{
	for (int b = 1; b < 256; b++) {
		char in[4] = { 'x', (char)b, 'y', 0 };
		char *out = mg_name_display(in, MG_NAME_MAX_CHARS);
		ck_assert(g_utf8_validate(out, -1, NULL));
		for (const char *p = out; *p; p = g_utf8_next_char(p)) {
			gunichar ch = g_utf8_get_char(p);
			ck_assert_msg(!g_unichar_iscntrl(ch) && ch != '/' && ch != '\\',
				      "byte %d left U+%04X", b, ch);
		}
		g_free(out);
	}
}
END_TEST

static Suite *
names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_table, 0, (int)G_N_ELEMENTS(cases));
	tcase_add_test(tc, test_long_keeps_extension);
	tcase_add_test(tc, test_long_japanese);
	tcase_add_test(tc, test_long_without_extension);
	tcase_add_test(tc, test_small_limits);
	tcase_add_test(tc, test_null_and_huge);
	tcase_add_test(tc, test_every_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(names_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
