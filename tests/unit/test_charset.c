/*
 * test_charset.c - unit tests of the charset layer (charset.h): the
 * ISO-2022-JP reader and writer, detection, RFC 2047 / RFC 2231, the JIS
 * mapping policy and carrier emoji.  Each test feeds the bytes a real
 * mailer sends and compares with the exact Unicode expected.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

#define ck_str_free(got, want) do { \
	char *got_ = (got); \
	ck_assert_ptr_nonnull(got_); \
	ck_assert_str_eq(got_, (want)); \
	g_free(got_); \
} while (0)

static char *jis(const char *s, size_t *errors)
{
	return mg_iso2022jp_decode(s, strlen(s), errors, NULL);
}

static char *to_utf8(const char *s, const char *declared, mg_charset_info *info)
{
	return mg_charset_to_utf8(s, strlen(s), declared, info, NULL);
}

/* ---- the ISO-2022-JP reader ------------------------------------------- */

START_TEST(jis_nec_ibm_rows)
{
	size_t err = 0;
	/* ① ㈱ Ⅲ (NEC row 13), ～ (row 1), ⅰ (IBM row 92) */
	ck_str_free(jis("\x1b$B-!-j-7!A|q\x1b(B", &err),
		    "\u2460\u3231\u2162\uFF5E\u2170");
	/* iPhone Mail: "丸数字のテストです②ⅱ" */
	ck_str_free(jis("\x1b$B4]?t;z$N%F%9%H$G$9-\"|r\x1b(B", &err),
		    "丸数字のテストです②ⅱ");
	ck_assert_uint_eq(err, 0);
}
END_TEST

START_TEST(jis_kana_esc_i)
{
	size_t err = 0;
	/* iPhone Mail: "(=ﾟωﾟ)ﾉ" with ESC ( I half-width kana */
	ck_str_free(jis("(=\x1b(I_\x1b$B&X\x1b(I_\x1b(B)\x1b(II\x1b(B", &err),
		    "(=\uFF9F\u03C9\uFF9F)\uFF89");
	ck_assert_uint_eq(err, 0);
}
END_TEST

START_TEST(jis_kana_so_si)
{
	mg_charset_info info = { 0 };
	ck_str_free(to_utf8("A\x0e" "123\x0f" "B", "iso-2022-jp", &info), "A\uFF71\uFF72\uFF73B");
	ck_assert_uint_eq(info.replacements, 0);
	ck_assert(!info.mislabeled);
	ck_assert_str_eq(info.used, "ISO-2022-JP");
}
END_TEST

START_TEST(jis_unknown_escape)
{
	size_t err = 0;
	char *s = jis("abc\x1b(Zdef\x1b$Aghi\x1b", &err);
	ck_assert_str_eq(s, "abc\uFFFDdef\uFFFDghi\uFFFD");
	ck_assert_ptr_null(strchr(s, 0x1b));
	ck_assert_uint_eq(err, 3);
	g_free(s);

	mg_charset_info info = { 0 };
	s = to_utf8("\x1b$B$\"\x1b(Z\x1b(B", "iso-2022-jp", &info);
	ck_assert_str_eq(s, "あ\uFFFD");
	ck_assert_uint_eq(info.replacements, 1);
	g_free(s);
}
END_TEST

START_TEST(jis_roman_and_announcer)
{
	size_t err = 0;
	ck_str_free(jis("\x1b(J\\100~\x1b(B \x1b&@\x1b$BF|\x1b(B", &err),
		    "\u00A5" "100\u203E \u65E5");
	ck_assert_uint_eq(err, 0);
}
END_TEST

START_TEST(jis_bad_bytes)
{
	size_t err = 0;
	/* an odd byte before the line end, an 8-bit byte, NUL, unassigned row */
	char data[] = "\x1b$BF\n\x1b(B\x82x";
	char *s = mg_iso2022jp_decode(data, sizeof data - 1, &err, NULL);
	ck_assert_str_eq(s, "\uFFFD\n\uFFFDx");
	ck_assert_uint_eq(err, 2);
	g_free(s);
	char nul[] = "a\0b\x1b$B)!\x1b(B";
	s = mg_iso2022jp_decode(nul, sizeof nul - 1, &err, NULL);
	ck_assert_str_eq(s, "a\uFFFDb\uFFFD");
	ck_assert_uint_eq(err, 4);
	g_free(s);
}
END_TEST

/* ---- detection ---------------------------------------------------------- */

static const char sjis_long[] =
	"\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x4c\x83\x58\x83\x67\x82\xc5\x82\xb7"
	"\x81\x42\x82\xe6\x82\xeb\x82\xb5\x82\xad\x82\xa8\x8a\xe8\x82\xa2\x82\xb5\x82\xdc"
	"\x82\xb7\x81\x42";
static const char euc_long[] =
	"\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xad\xa5\xb9\xa5\xc8\xa4\xc7\xa4\xb9"
	"\xa1\xa3\xa4\xe8\xa4\xed\xa4\xb7\xa4\xaf\xa4\xaa\xb4\xea\xa4\xa4\xa4\xb7\xa4\xde"
	"\xa4\xb9\xa1\xa3";
static const char long_text[] = "日本語のテキストです。よろしくお願いします。";

START_TEST(sjis_mislabeled_as_jis)
{
	mg_charset_info info = { 0 };
	ck_str_free(to_utf8(sjis_long, "ISO-2022-JP", &info), long_text);
	ck_assert(info.mislabeled);
	ck_assert_str_eq(info.used, "CP932");
	ck_assert_uint_eq(info.replacements, 0);
}
END_TEST

START_TEST(utf8_mislabeled_as_sjis)
{
	mg_charset_info info = { 0 };
	ck_str_free(to_utf8("会議の件", "Shift_JIS", &info), "会議の件");
	ck_assert(info.mislabeled);
	ck_assert_str_eq(info.used, "UTF-8");
}
END_TEST

START_TEST(unlabeled_sjis_euc)
{
	mg_charset_info info = { 0 };
	ck_str_free(to_utf8(sjis_long, NULL, &info), long_text);
	ck_assert(info.unlabeled);
	ck_assert_str_eq(info.used, "CP932");

	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8(euc_long, NULL, &info), long_text);
	ck_assert(info.unlabeled);
	ck_assert_str_eq(info.used, "EUC-JP-MS");

	/* too short for uchardet: the Japanese fallback */
	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("\x83\x65\x83\x58\x83\x67", NULL, &info), "テスト");
	ck_assert_str_eq(info.used, "CP932");
	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("\xb2\xf1\xb5\xc4", NULL, &info), "会議");
	ck_assert_str_eq(info.used, "EUC-JP-MS");
	ck_assert_uint_eq(info.replacements, 0);
}
END_TEST

START_TEST(euc_jp_is_ms)
{
	mg_charset_info info = { 0 };
	ck_str_free(to_utf8("\xa1\xc1\xad\xa1", "EUC-JP", &info), "\uFF5E\u2460");
	ck_assert_str_eq(info.used, "EUC-JP-MS");
	ck_assert(!info.mislabeled);
}
END_TEST

START_TEST(fast_path_and_labels)
{
	mg_charset_info info = { 0 };
	size_t n = 0;
	char *s = mg_charset_to_utf8("plain text\n", 11, "iso-2022-jp", &info, &n);
	ck_assert_str_eq(s, "plain text\n");
	ck_assert_uint_eq(n, 11);
	ck_assert(!info.mislabeled && !info.unlabeled);
	g_free(s);

	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("caf\xc3\xa9", "us-ascii", &info), "café");
	ck_assert(info.mislabeled);
	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("caf\xe9", "iso-8859-1", &info), "café");
	ck_assert_str_eq(info.used, "WINDOWS-1252");
	ck_assert(!info.mislabeled);

	/* raw JIS declared as UTF-8 */
	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("\x1b$BF|K\\\x1b(B", "utf-8", &info), "日本");
	ck_assert(info.mislabeled);

	/* invalid UTF-8 bytes: counted, never dropped */
	memset(&info, 0, sizeof info);
	ck_str_free(to_utf8("ok\xff", "utf-8", &info), "ok\uFFFD");
	ck_assert_uint_eq(info.replacements, 1);

	ck_assert_str_eq(mg_charset_canonical("x-sjis"), "CP932");
	ck_assert_str_eq(mg_charset_canonical("\"Windows-31J\""), "CP932");
	ck_assert_str_eq(mg_charset_canonical("ISO-2022-JP-2"), "ISO-2022-JP");
	ck_assert_str_eq(mg_charset_canonical("euc-jp"), "EUC-JP-MS");
	ck_assert_str_eq(mg_charset_canonical("ks_c_5601-1987"), "CP949");
	ck_assert_str_eq(mg_charset_canonical("koi8-r"), "KOI8-R");
	ck_assert_ptr_null(mg_charset_canonical("x-unknown-thing"));
	ck_assert_ptr_null(mg_charset_canonical(""));
	ck_assert_ptr_null(mg_charset_canonical("utf-8//TRANSLIT"));
	ck_str_free(mg_charset_convert_strict("\x1b$B-!\x1b(B", 8, "iso-2022-jp", NULL), "\u2460");
	ck_assert_ptr_null(mg_charset_convert_strict("\x82", 1, "shift_jis", NULL));
}
END_TEST

START_TEST(utf8_helpers)
{
	size_t r = 0;
	ck_assert(mg_utf8_valid("日本", 6));
	ck_assert(!mg_utf8_valid("a\0b", 3));
	ck_assert(!mg_utf8_valid("\xed\xa0\x80", 3));
	ck_str_free(mg_utf8_sanitize("a\xc3(b\0c", 6, &r), "a\uFFFD(b\uFFFDc");
	ck_assert_uint_eq(r, 2);
}
END_TEST

/* ---- carrier emoji ------------------------------------------------------- */

START_TEST(carrier_emoji)
{
	mg_charset_info info = { 0 };
	/* docomo via Gmail: "テストです" + docomo 0xF9D2 (crying face) */
	ck_str_free(to_utf8("\x83\x65\x83\x58\x83\x67\x82\xc5\x82\xb7\xf9\xd2", "Shift_JIS", &info),
		    "テストです\U0001F62D");
	/* docomo sun 0xF89F */
	ck_str_free(to_utf8("\xf8\x9f", "Shift_JIS", &info), "\u2600");
	/* SoftBank "本文" + 0xF7BC: no table entry, a placeholder */
	ck_str_free(to_utf8("\x96\x7b\x95\xb6\xf7\xbc", "Shift_JIS", &info), "本文[絵文字]");
	ck_assert(!info.mislabeled);
	ck_assert_uint_eq(info.replacements, 0);
	/* au in ISO-2022-JP mail: row 85 */
	size_t err = 0;
	ck_str_free(jis("\x1b$BK\\J8u*\x1b(B", &err), "本文[絵文字]");
	ck_assert_uint_eq(err, 0);
}
END_TEST

/* ---- the writer and the mapping policy ----------------------------------- */

START_TEST(mapping_policy)
{
	ck_str_free(mg_charset_map_for_jis("\u301C\u2212\u2014\u2016\u00A2\u00A3\u00AC"),
		    "\uFF5E\uFF0D\u2015\u2225\uFFE0\uFFE1\uFFE2");
	/* both forms go out as the same JIS codes and come back as CP932 forms */
	const char *in = "\u301C\uFF5E\u2212\uFF0D\u2014\u2015\u2016\u2225\u00A2\u00A3\u00AC";
	size_t n = 0, err = 0;
	char *e = mg_iso2022jp_encode(in, strlen(in), &n);
	ck_assert_str_eq(e, "\x1b$B!A!A!]!]!=!=!B!B!q!r\"L\x1b(B");
	char *d = mg_iso2022jp_decode(e, n, &err, NULL);
	ck_assert_str_eq(d, "\uFF5E\uFF5E\uFF0D\uFF0D\u2015\u2015\u2225\u2225\uFFE0\uFFE1\uFFE2");
	g_free(e);
	g_free(d);
}
END_TEST

START_TEST(writer_fallback)
{
	const char *emoji = "晴れ\U0001F600";
	ck_assert_ptr_null(mg_iso2022jp_encode(emoji, strlen(emoji), NULL));
	const char *hangul = "\uD55C";
	ck_assert_ptr_null(mg_iso2022jp_encode(hangul, strlen(hangul), NULL));
	ck_assert_ptr_null(mg_iso2022jp_encode("a\x1b" "b", 3, NULL));
	ck_str_free(mg_iso2022jp_encode("①㈱ⅰ髙 ok\n", strlen("①㈱ⅰ髙 ok\n"), NULL),
		    "\x1b$B-!-j|q|b\x1b(B ok\n");
	ck_str_free(mg_header_encode("晴れ\U0001F600", "iso-2022-jp", 7),
		    "=?UTF-8?B?5pm044KM8J+YgA==?=");
}
END_TEST

START_TEST(writer_halfwidth_kana)
{
	const char *in = "\uFF76\uFF9E\uFF77\uFF9E\uFF8A\uFF9F\uFF73\uFF9E\uFF71\uFF9E\uFF61";
	size_t n = 0, err = 0;
	char *e = mg_iso2022jp_encode(in, strlen(in), &n);
	ck_assert_ptr_nonnull(e);
	ck_str_free(mg_iso2022jp_decode(e, n, &err, NULL), "ガギパヴア゛。");
	ck_assert_uint_eq(err, 0);
	g_free(e);
}
END_TEST

/* ---- RFC 2047 -------------------------------------------------------------- */

START_TEST(ew_split_jis)
{
	mg_charset_info info = { 0 };
	ck_str_free(mg_header_decode("=?ISO-2022-JP?B?GyRCJUYl?=\r\n =?ISO-2022-JP?B?OSVIGyhC?=",
				     &info), "テスト");
	/* iPhone Mail subject with a vendor character */
	ck_str_free(mg_header_decode("=?iso-2022-jp?B?GyRCJUYlOSVILSEbKEI=?=", &info), "テスト①");
	/* Exchange: a word split mid-quantum and wrongly padded */
	ck_str_free(mg_header_decode("=?iso-2022-jp?B?VW5kZWxpdmVyYWJsZTogGyRCJS0lOCVIJWkhJiVVJWklQyU3"
				     "JWUbKEIvGyRCJUsl=?=\n =?iso-2022-jp?B?YyE8JXMbKEIK=?=", &info),
		    "Undeliverable: キジトラ・フラッシュ/ニャーン");
	ck_assert_uint_eq(info.replacements, 0);
}
END_TEST

START_TEST(ew_split_utf8)
{
	ck_str_free(mg_header_decode("=?UTF-8?B?5pel5g==?= =?UTF-8?B?nKzoqp4=?=", NULL), "日本語");
	ck_str_free(mg_header_decode("=?utf-8?b?5pe?=\n\t=?utf-8?b?l5pys?=", NULL), "日本");
	ck_str_free(mg_header_decode("=?UTF-8?Q?=E6=97=A5=E6?= =?UTF-8?q?=9C=AC_x?=", NULL), "日本 x");
}
END_TEST

START_TEST(ew_malformed)
{
	/* missing ?= at the end, and before the next word */
	ck_str_free(mg_header_decode("Re: =?UTF-8?B?5pel5pys", NULL), "Re: 日本");
	ck_str_free(mg_header_decode("=?UTF-8?B?5pel =?UTF-8?B?5pys?= end", NULL), "日本 end");
	/* blanks inside a B word, charset with a language */
	ck_str_free(mg_header_decode("=?UTF-8*ja?B?5pel 5pys?=", NULL), "日本");
	/* inside a quoted string, and glued to text */
	ck_str_free(mg_header_decode("\"=?UTF-8?B?5pel5pys?=\" <a@example.jp>", NULL),
		    "\"日本\" <a@example.jp>");
	ck_str_free(mg_header_decode("abc=?UTF-8?Q?=E6=97=A5?=def", NULL), "abc日def");
	/* different charsets: each decoded, blank between them dropped */
	ck_str_free(mg_header_decode("=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?= =?UTF-8?B?5pel?=", NULL),
		    "日本日");
	/* not an encoded-word */
	ck_str_free(mg_header_decode("a =? b ?= c", NULL), "a =? b ?= c");
}
END_TEST

START_TEST(raw_8bit_header)
{
	mg_charset_info info = { 0 };
	ck_str_free(mg_header_decode("\x89\xef\x8b\x63\x82\xcc\x82\xa8\x92\x6d\x82\xe7\x82\xb9"
				     " =?UTF-8?B?5pel?=", &info), "会議のお知らせ 日");
	ck_assert(info.unlabeled);
	ck_str_free(mg_header_decode("Re: \xe4\xbc\x9a\xe8\xad\xb0", NULL), "Re: 会議");
	ck_str_free(mg_header_decode("\x1b$B2q5D\x1b(B", NULL), "会議");
}
END_TEST

START_TEST(header_encode)
{
	ck_str_free(mg_header_encode("plain subject", "utf-8", 7), "plain subject");
	ck_str_free(mg_header_encode("Re: 会議の件 (1)", "utf-8", 7),
		    "Re: =?UTF-8?B?5Lya6K2w44Gu5Lu2?= (1)");
	ck_str_free(mg_header_encode("Re: 会議の件", "iso-2022-jp", 7),
		    "Re: =?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=");

	GString *t = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append(t, "日本語テキスト");
	char *e = mg_header_encode(t->str, "iso-2022-jp", 7);
	char **lines = g_strsplit(e, "\n", -1);
	for (char **l = lines; *l; l++)
		ck_assert_uint_le(strlen(*l), 76);
	ck_str_free(mg_header_decode(e, NULL), t->str);
	g_strfreev(lines);
	g_free(e);
	e = mg_header_encode(t->str, "utf-8", 7);
	ck_str_free(mg_header_decode(e, NULL), t->str);
	g_free(e);
	g_string_free(t, TRUE);
	/* controls never reach the header */
	ck_str_free(mg_header_encode("a\r\nb", "utf-8", 7), "a  b");
}
END_TEST

/* ---- RFC 2231 -------------------------------------------------------------- */

START_TEST(rfc2231_continuations)
{
	mg_charset_info info = { 0 };
	ck_str_free(mg_header_param("attachment;\r\n filename*0*=iso-2022-jp'ja'%1B%24B%46;\r\n"
				    " filename*1*=%7C%4B%5C%1B%28B.txt", "filename", &info),
		    "日本.txt");
	ck_str_free(mg_header_param("attachment; filename*0*=UTF-8''%E6%97%A5%E6;"
				    " filename*1*=%9C%AC; filename*2=\".pdf\"", "filename", &info),
		    "日本.pdf");
	ck_str_free(mg_header_param("attachment; FILENAME*=utf-8'en'a%20b.txt;"
				    " filename=\"fallback.txt\"", "filename", &info), "a b.txt");
	/* out of order sections */
	ck_str_free(mg_header_param("application/pdf; name*1=\"b.pdf\"; name*0=\"a\"", "name", &info),
		    "ab.pdf");
	ck_assert_uint_eq(info.replacements, 0);
}
END_TEST

START_TEST(param_nonstandard)
{
	ck_str_free(mg_header_param("attachment; filename=\"=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=.txt\"",
				    "filename", NULL), "日本.txt");
	ck_str_free(mg_header_param("text/plain; charset=\"iso-2022-jp\"; name=\"a;b\\\"c\"",
				    "name", NULL), "a;b\"c");
	ck_str_free(mg_header_param("attachment; filename=\x83\x65\x83\x58\x83\x67.doc",
				    "filename", NULL), "テスト.doc");
	ck_str_free(mg_header_param("text/plain; charset=utf-8", "charset", NULL), "utf-8");
	ck_assert_ptr_null(mg_header_param("text/plain; charset=utf-8", "name", NULL));
	ck_assert_ptr_null(mg_header_param("attachment; filename", "filename", NULL));
	ck_str_free(mg_header_param("attachment; filename=\"unterminated", "filename", NULL),
		    "unterminated");
}
END_TEST

/* Which encoded-words any reader shows the same way (mg_header_words_clean). */
START_TEST(header_words_clean)
{
	static const struct { const char *raw; bool clean; } cases[] = {
		{ "plain ascii", true },
		{ "=?UTF-8?B?5Lya6K2w?=", true },                          /* 会議 */
		{ "=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", true },             /* 会議 */
		{ "=?UTF-8?B?5Lya6K2w?= =?UTF-8?Q?=E3=81=A7=E3=81=99?=", true },
		/* 会 split after its first two bytes */
		{ "=?UTF-8?B?5Lo=?= =?UTF-8?B?muitsA==?=", false },
		/* JIS run cut without returning to ASCII */
		{ "=?ISO-2022-JP?B?GyRCMnE=?= =?ISO-2022-JP?B?NUQbKEI=?=", false },
		/* ① in ISO-2022-JP: a vendor character standard readers reject */
		{ "=?ISO-2022-JP?B?GyRCLSEbKEI=?=", false },
		/* half-width kana by ESC ( I */
		{ "=?ISO-2022-JP?B?GyhJMV0bKEI=?=", false },
		/* docomo pictograph 0xF89F under Shift_JIS */
		{ "=?Shift_JIS?B?+J8=?=", false },
		{ "=?x-unknown-charset?B?YQ==?=", false },
		{ "glued=?UTF-8?B?5Lya?=", false },                         /* not alone */
		{ "=?UTF-8?B?5Lya", false },                                /* unterminated */
		{ "\"=?UTF-8?B?5Lya?=\" <a@example.jp>", true },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		ck_assert_msg(mg_header_words_clean(cases[i].raw) == cases[i].clean,
			      "case %zu: %s", i, cases[i].raw);
}
END_TEST

static Suite *charset_suite(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, jis_nec_ibm_rows);
	tcase_add_test(tc, jis_kana_esc_i);
	tcase_add_test(tc, jis_kana_so_si);
	tcase_add_test(tc, jis_unknown_escape);
	tcase_add_test(tc, jis_roman_and_announcer);
	tcase_add_test(tc, jis_bad_bytes);
	tcase_add_test(tc, sjis_mislabeled_as_jis);
	tcase_add_test(tc, utf8_mislabeled_as_sjis);
	tcase_add_test(tc, unlabeled_sjis_euc);
	tcase_add_test(tc, euc_jp_is_ms);
	tcase_add_test(tc, fast_path_and_labels);
	tcase_add_test(tc, utf8_helpers);
	tcase_add_test(tc, carrier_emoji);
	tcase_add_test(tc, mapping_policy);
	tcase_add_test(tc, writer_fallback);
	tcase_add_test(tc, writer_halfwidth_kana);
	tcase_add_test(tc, ew_split_jis);
	tcase_add_test(tc, ew_split_utf8);
	tcase_add_test(tc, ew_malformed);
	tcase_add_test(tc, raw_8bit_header);
	tcase_add_test(tc, header_encode);
	tcase_add_test(tc, rfc2231_continuations);
	tcase_add_test(tc, param_nonstandard);
	tcase_add_test(tc, header_words_clean);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(charset_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
