/*
 * test_links - unit tests of links.c: defanging, hosts, mismatches, bare
 * URLs in text per mode, the rendered link list.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "links.h"

typedef struct {
	const char *in;
	const char *out;  /* NULL: NULL expected */
} str_case;

static GPtrArray *new_links(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify) mg_link_free);
}

static void check_str(const char *what, size_t i, const char *in, const char *got,
		      const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s %zu: %s -> [%s], want NULL", what, i, in, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
			      "%s %zu: %s\n got: [%s]\nwant: [%s]", what, i, in,
			      got ? got : "(null)", want);
}

/* ---- defang ------------------------------------------------------------------ */

static const str_case defang_cases[] = {
	{ "https://example.com/path", "hxxps://example[.]com/path" },
	{ "http://evil.example/login", "hxxp://evil[.]example/login" },
	{ "ftp://ftp.example.org/pub/a.txt", "fxp://ftp[.]example[.]org/pub/a.txt" },
	{ "HTTPS://WWW.Example.COM/", "hxxps://WWW[.]Example[.]COM/" },
	{ "http://user:pw@host.example:8080/a.b?c=d.e#f",
	  "hxxp://user:pw[@]host[.]example:8080/a.b?c=d.e#f" },
	{ "http://www.bank.example@evil.example/", "hxxp://www.bank.example[@]evil[.]example/" },
	{ "www.example.com/x.html", "www[.]example[.]com/x.html" },
	{ "mailto:a@b.example", "mailto:a[@]b[.]example" },
	{ "mailto:first.last@b.example?subject=x.y", "mailto:first.last[@]b[.]example?subject=x.y" },
	{ "http://192.168.0.1/", "hxxp://192[.]168[.]0[.]1/" },
	{ "http://[::1]:80/x", "hxxp://[::1]:80/x" },
	{ "https://evil.example/r?u=https://x.example/&w=www.y.example",
	  "hxxps://evil[.]example/r?u=hxxps://x.example/&w=www[.]y.example" },
	{ "http:\\\\evil.example\\x", "hxxp:\\\\evil[.]example\\x" },
	{ "https:////evil.example", "hxxps:////evil[.]example" },
	{ "//cdn.example/x", "//cdn[.]example/x" },
	{ "file://server.example/share", "file://server[.]example/share" },
	{ "http://例え.jp/パス", "hxxp://例え[.]jp/パス" },
	{ "https://example\xEF\xBC\x8E" "com/", "hxxps://example[.]com/" },
	{ "javascript:alert(1)", "javascript:alert(1)" },
	{ "javascript:location='http://evil.example'", "javascript:location='hxxp://evil.example'" },
	{ "relative/path.html", "relative/path.html" },
	{ "", "" },
	{ NULL, NULL },
};

START_TEST(test_defang)
{
	for (size_t i = 0; i < G_N_ELEMENTS(defang_cases); i++) {
		char *d = mg_link_defang(defang_cases[i].in);

		check_str("defang", i, defang_cases[i].in, d, defang_cases[i].out);
		g_free(d);
	}
}
END_TEST

/* ---- host ------------------------------------------------------------------- */

static const str_case host_cases[] = {
	{ "https://example.com/path", "example.com" },
	{ "HTTP://User:Pw@WWW.Example.COM:8080/a", "www.example.com" },
	{ "ftp://ftp.example.org", "ftp.example.org" },
	{ "http://www.bank.example@evil.example/", "evil.example" },
	{ "http://192.168.0.1:8080/", "192.168.0.1" },
	{ "http://[2001:DB8::1]:80/x", "[2001:db8::1]" },
	{ "http://例え.jp/", "例え.jp" },
	{ "http://xn--r8jz45g.jp/", "xn--r8jz45g.jp" },
	{ "http://%65vil.example/", "evil.example" },
	{ "http://%0aevil.example/", "%0aevil.example" },
	{ "http:\\\\evil.example\\x", "evil.example" },
	{ "https:////evil.example", "evil.example" },
	{ "https://bank.example?x=1", "bank.example" },
	{ "https://bank.example#x", "bank.example" },
	{ "www.Example.com/x", "www.example.com" },
	{ "//cdn.example/x", "cdn.example" },
	{ "mailto:a@b.example", NULL },
	{ "javascript:alert(1)", NULL },
	{ "file://server.example/x", NULL },
	{ "relative/path", NULL },
	{ "http://", NULL },
	{ "https:///", NULL },
	{ "", NULL },
	{ NULL, NULL },
};

START_TEST(test_host)
{
	for (size_t i = 0; i < G_N_ELEMENTS(host_cases); i++) {
		char *h = mg_link_host(host_cases[i].in);

		check_str("host", i, host_cases[i].in, h, host_cases[i].out);
		g_free(h);
	}
}
END_TEST

/* ---- mismatch ------------------------------------------------------------------ */

typedef struct {
	const char *text, *href;
	bool mismatch;
} mismatch_case;

static const mismatch_case mismatch_cases[] = {
	{ "www.bank.example", "http://evil.example/login", true },
	{ "www.bank.example", "https://bank.example/", false },
	{ "WWW.Bank.Example", "https://www.bank.example/x", false },
	{ "bank.example", "https://www.bank.example/", false },
	{ "bank.example/login", "http://evil.example/", true },
	{ "bank.example/login", "https://bank.example/login", false },
	{ "https://www.bank.example/login", "https://evil.example/", true },
	{ "https://www.bank.example/login", "https://www.bank.example/other", false },
	{ "Log in at www.bank.example now", "http://evil.example/", true },
	{ "「www.bank.example」", "http://evil.example", true },
	{ "(bank.example)", "http://evil.example", true },
	{ "https://www.bank.example@evil.example/", "http://evil.example/", false },
	{ "Click here", "http://evil.example/", false },
	{ "こちらをクリック", "http://evil.example/", false },
	{ "report.pdf", "http://files.example/r.pdf", false },
	{ "第1回会議.資料", "http://x.example", false },
	{ "Ver.2", "http://x.example", false },
	{ "[画像: logo]", "http://x.example", false },
	{ "info@bank.example", "mailto:info@evil.example", true },
	{ "info@bank.example", "mailto:info@bank.example", false },
	{ "www.bank.example", "javascript:void(0)", true },
	{ "www.bank.example", "/relative/login", true },
	{ "例え.jp", "http://xn--r8jz45g.jp/", false },
	{ "192.168.0.1", "http://192.168.0.1/", false },
	{ "192.168.0.1", "http://10.0.0.1/", true },
	{ "bank.example", "http://bank.example./", false },
	{ "https://bank.example", "https://BANK.EXAMPLE:443/", false },
	{ "", "http://x.example", false },
	{ NULL, "http://x.example", false },
	{ "www.bank.example", NULL, false },
};

START_TEST(test_mismatch)
{
	for (size_t i = 0; i < G_N_ELEMENTS(mismatch_cases); i++) {
		const mismatch_case *c = &mismatch_cases[i];

		ck_assert_msg(mg_link_mismatch(c->text, c->href) == c->mismatch,
			      "mismatch %zu: (%s, %s) want %d", i, c->text, c->href, c->mismatch);
	}
}
END_TEST

/* ---- bare URLs in text ----------------------------------------------------------- */

typedef struct {
	const char *text;
	const char *keep, *defang, *remove;  /* remove: Japanese, with links */
	guint found;
} text_case;

static const text_case text_cases[] = {
	{ "no links here", "no links here", "no links here", "no links here", 0 },
	{ "see https://example.com/path.", "see https://example.com/path.",
	  "see hxxps://example[.]com/path.", "see [URL削除] [1].", 1 },
	{ "(http://en.example.org/wiki/Foo_(bar))", "(http://en.example.org/wiki/Foo_(bar))",
	  "(hxxp://en[.]example[.]org/wiki/Foo_(bar))", "([URL削除] [1])", 1 },
	{ "go to www.x.example, now", "go to www.x.example, now",
	  "go to www[.]x[.]example, now", "go to [URL削除] [1], now", 1 },
	{ "詳細はhttps://www.city.example.lg.jp/kenshu/をご覧ください。",
	  "詳細はhttps://www.city.example.lg.jp/kenshu/をご覧ください。",
	  "詳細はhxxps://www[.]city[.]example[.]lg[.]jp/kenshu/をご覧ください。",
	  "詳細は[URL削除] [1]をご覧ください。", 1 },
	{ "「https://a.example/」（http://b.example）", "「https://a.example/」（http://b.example）",
	  "「hxxps://a[.]example/」（hxxp://b[.]example）", "「[URL削除] [1]」（[URL削除] [2]）", 2 },
	{ "<https://a.example/x> \"ftp://f.example/y\"", "<https://a.example/x> \"ftp://f.example/y\"",
	  "<hxxps://a[.]example/x> \"fxp://f[.]example/y\"", "<[URL削除] [1]> \"[URL削除] [2]\"", 2 },
	{ "a https://x.example/ b https://x.example/ c", "a https://x.example/ b https://x.example/ c",
	  "a hxxps://x[.]example/ b hxxps://x[.]example/ c", "a [URL削除] [1] b [URL削除] [1] c", 1 },
	{ "http:// alone, HTTPS://", "http:// alone, HTTPS://", "http:// alone, HTTPS://",
	  "http:// alone, HTTPS://", 0 },
	{ "user@www.x.example and awww.y.example", "user@www.x.example and awww.y.example",
	  "user@www.x.example and awww.y.example", "user@www.x.example and awww.y.example", 0 },
	{ "HTTP://UP.EXAMPLE/A", "HTTP://UP.EXAMPLE/A", "hxxp://UP[.]EXAMPLE/A", "[URL削除] [1]", 1 },
	{ "http:///slashes.example/", "http:///slashes.example/", "hxxp:///slashes[.]example/",
	  "[URL削除] [1]", 1 },
	{ "line https://a.example/\nnext", "line https://a.example/\nnext",
	  "line hxxps://a[.]example/\nnext", "line [URL削除] [1]\nnext", 1 },
	{ "x https://a.example/\xE2\x80\xAE" "evil", "x https://a.example/\xE2\x80\xAE" "evil",
	  "x hxxps://a[.]example/\xE2\x80\xAE" "evil", "x [URL削除] [1]\xE2\x80\xAE" "evil", 1 },
	{ "end https://a.example/x?y=1;", "end https://a.example/x?y=1;",
	  "end hxxps://a[.]example/x?y=1;", "end [URL削除] [1];", 1 },
};

static void check_links_in_text(size_t i, const text_case *c, mg_links_mode mode,
				 const char *want)
{
	GPtrArray *links = new_links();
	char *t = mg_links_in_text(c->text, mode, false, links);

	check_str("text", i, c->text, t, want);
	ck_assert_uint_eq(links->len, c->found);
	for (guint k = 0; k < links->len; k++) {
		const mg_link *l = links->pdata[k];

		ck_assert_str_eq(l->href, l->text);
		ck_assert_ptr_nonnull(strstr(c->text, l->href));
	}
	g_free(t);
	g_ptr_array_free(links, TRUE);
}

START_TEST(test_text_modes)
{
	for (size_t i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		check_links_in_text(i, &text_cases[i], MG_LINKS_KEEP, text_cases[i].keep);
		check_links_in_text(i, &text_cases[i], MG_LINKS_DEFANG, text_cases[i].defang);
		check_links_in_text(i, &text_cases[i], MG_LINKS_REMOVE, text_cases[i].remove);
	}
}
END_TEST

START_TEST(test_text_english_and_null)
{
	char *t = mg_links_in_text("a https://x.example/ b", MG_LINKS_REMOVE, true, NULL);

	ck_assert_str_eq(t, "a [link removed] b");
	g_free(t);
	t = mg_links_in_text("a https://x.example/ b", MG_LINKS_DEFANG, true, NULL);
	ck_assert_str_eq(t, "a hxxps://x[.]example/ b");
	g_free(t);
	t = mg_links_in_text(NULL, MG_LINKS_DEFANG, true, NULL);
	ck_assert_str_eq(t, "");
	g_free(t);
}
END_TEST

/* Text converted from HTML: a URL already listed (href or visible text of
 * an <a>) is rewritten but not listed or numbered again; a new one
 * continues the numbering. */
START_TEST(test_text_after_html)
{
	GPtrArray *links = new_links();
	char *t;

	g_ptr_array_add(links, mg_link_new("http://evil.example/", "https://www.bank.example/"));
	g_ptr_array_add(links, mg_link_new("https://shop.example/", "shop"));
	t = mg_links_in_text("https://www.bank.example/ [1] shop [2] https://shop.example/ "
			     "and www.new.example", MG_LINKS_REMOVE, false, links);
	ck_assert_str_eq(t, "[URL削除] [1] shop [2] [URL削除] and [URL削除] [3]");
	ck_assert_uint_eq(links->len, 3);
	ck_assert_str_eq(((mg_link *) links->pdata[2])->href, "www.new.example");
	g_free(t);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* ---- the list ----------------------------------------------------------------- */

static GPtrArray *sample_links(void)
{
	GPtrArray *links = new_links();

	g_ptr_array_add(links, mg_link_new("https://example.com/path", "Example"));
	g_ptr_array_add(links, mg_link_new("http://evil.example/login", "www.bank.example"));
	g_ptr_array_add(links, mg_link_new("mailto:a@b.example", "mail"));
	g_ptr_array_add(links, mg_link_new("javascript:alert(1)", "js"));
	g_ptr_array_add(links, mg_link_new("/relative", "rel"));
	return links;
}

typedef struct {
	mg_links_mode mode;
	bool english;
	const char *want;
} list_case;

static const list_case list_cases[] = {
	{ MG_LINKS_KEEP, false,
	  "----\nリンク一覧:\n"
	  "[1] https://example.com/path\n"
	  "[2] http://evil.example/login  ※表示されたリンク先(www.bank.example)と実際のリンク先が異なります\n"
	  "[3] mailto:a@b.example\n"
	  "[4] javascript:alert(1)\n"
	  "[5] /relative\n" },
	{ MG_LINKS_DEFANG, false,
	  "----\nリンク一覧:\n"
	  "[1] hxxps://example[.]com/path\n"
	  "[2] hxxp://evil[.]example/login  ※表示されたリンク先(www[.]bank[.]example)と実際のリンク先が異なります\n"
	  "[3] mailto:a[@]b[.]example\n"
	  "[4] javascript:alert(1)\n"
	  "[5] /relative\n" },
	{ MG_LINKS_REMOVE, false,
	  "----\nリンク一覧:\n"
	  "[1] (削除) example[.]com\n"
	  "[2] (削除) evil[.]example  ※表示されたリンク先(www[.]bank[.]example)と実際のリンク先が異なります\n"
	  "[3] (削除) b[.]example\n"
	  "[4] (削除) javascript:\n"
	  "[5] (削除)\n" },
	{ MG_LINKS_KEEP, true,
	  "----\nLinks:\n"
	  "[1] https://example.com/path\n"
	  "[2] http://evil.example/login  (!) the text shows www.bank.example but the link goes elsewhere\n"
	  "[3] mailto:a@b.example\n"
	  "[4] javascript:alert(1)\n"
	  "[5] /relative\n" },
	{ MG_LINKS_DEFANG, true,
	  "----\nLinks:\n"
	  "[1] hxxps://example[.]com/path\n"
	  "[2] hxxp://evil[.]example/login  (!) the text shows www[.]bank[.]example but the link goes elsewhere\n"
	  "[3] mailto:a[@]b[.]example\n"
	  "[4] javascript:alert(1)\n"
	  "[5] /relative\n" },
	{ MG_LINKS_REMOVE, true,
	  "----\nLinks:\n"
	  "[1] (removed) example[.]com\n"
	  "[2] (removed) evil[.]example  (!) the text shows www[.]bank[.]example but the link goes elsewhere\n"
	  "[3] (removed) b[.]example\n"
	  "[4] (removed) javascript:\n"
	  "[5] (removed)\n" },
};

START_TEST(test_list)
{
	for (size_t i = 0; i < G_N_ELEMENTS(list_cases); i++) {
		GPtrArray *links = sample_links();
		unsigned mis = 99;
		char *l = mg_links_render_list(links, list_cases[i].mode, list_cases[i].english, &mis);

		check_str("list", i, "", l, list_cases[i].want);
		ck_assert_uint_eq(mis, 1);
		g_free(l);
		g_ptr_array_free(links, TRUE);
	}
}
END_TEST

START_TEST(test_list_empty)
{
	GPtrArray *links = new_links();
	unsigned mis = 99;
	char *l = mg_links_render_list(links, MG_LINKS_DEFANG, false, &mis);

	ck_assert_str_eq(l, "");
	ck_assert_uint_eq(mis, 0);
	g_free(l);
	l = mg_links_render_list(NULL, MG_LINKS_DEFANG, false, NULL);
	ck_assert_str_eq(l, "");
	g_free(l);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* A URL cannot add lines or reorder its line: controls, bidi and spaces
 * are percent-encoded, in every mode. */
START_TEST(test_list_escaping)
{
	static const mg_links_mode modes[] = { MG_LINKS_KEEP, MG_LINKS_DEFANG };
	static const char *const want[] = {
		"----\nリンク一覧:\n[1] https://x.example/a%0Ab%E2%80%AE%20c%01%E2%80%A8d%C2%85%EF%BB%BF%FF\n",
		"----\nリンク一覧:\n[1] hxxps://x[.]example/a%0Ab%E2%80%AE%20c%01%E2%80%A8d%C2%85%EF%BB%BF%FF\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
		GPtrArray *links = new_links();
		char *l;

		g_ptr_array_add(links, mg_link_new("https://x.example/a\nb\xE2\x80\xAE c\x01"
						   "\xE2\x80\xA8" "d\xC2\x85\xEF\xBB\xBF\xFF", "x"));
		l = mg_links_render_list(links, modes[i], false, NULL);
		check_str("escape", i, "", l, want[i]);
		g_free(l);
		g_ptr_array_free(links, TRUE);
	}
}
END_TEST

/* A forged note in the URL stays inside the escaped URL. */
START_TEST(test_list_forged_note)
{
	GPtrArray *links = new_links();
	char *l;

	g_ptr_array_add(links, mg_link_new("https://x.example/  ※表示されたリンク先", "x"));
	l = mg_links_render_list(links, MG_LINKS_KEEP, false, NULL);
	ck_assert_str_eq(l, "----\nリンク一覧:\n[1] https://x.example/%20%20※表示されたリンク先\n");
	g_free(l);
	g_ptr_array_free(links, TRUE);
}
END_TEST

START_TEST(test_list_long_url)
{
	GString *u = g_string_new("https://x.example/");
	GPtrArray *links = new_links();
	char *l;

	while (u->len < 5000)
		g_string_append(u, "aaaaaaaaaa");
	g_ptr_array_add(links, mg_link_new(u->str, "x"));
	l = mg_links_render_list(links, MG_LINKS_KEEP, false, NULL);
	ck_assert_uint_lt(strlen(l), 1100);
	ck_assert(g_str_has_suffix(l, "aaa...\n"));
	g_free(l);
	g_string_free(u, TRUE);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* From HTML to the list, the way the engine uses the two modules. */
START_TEST(test_html_to_list)
{
	static const char html[] =
		"<p>Dear customer, <a href=\"http://evil.example/login\">www.bank.example</a>"
		" or <a href=\"https://www.bank.example/\">our site</a>.</p>"
		"<p>Also see https://docs.example/x.</p>";
	GPtrArray *links = new_links();
	char *text = mg_html_to_text(html, strlen(html), NULL, links, NULL);
	char *safe = mg_links_in_text(text, MG_LINKS_DEFANG, false, links);
	unsigned mis;
	char *list = mg_links_render_list(links, MG_LINKS_DEFANG, false, &mis);

	ck_assert_str_eq(safe, "Dear customer, www[.]bank[.]example [1] or our site [2].\n\n"
			       "Also see hxxps://docs[.]example/x.\n");
	ck_assert_str_eq(list, "----\nリンク一覧:\n"
			       "[1] hxxp://evil[.]example/login  ※表示されたリンク先(www[.]bank[.]example)"
			       "と実際のリンク先が異なります\n"
			       "[2] hxxps://www[.]bank[.]example/\n"
			       "[3] hxxps://docs[.]example/x\n");
	ck_assert_uint_eq(mis, 1);
	g_free(text);
	g_free(safe);
	g_free(list);
	g_ptr_array_free(links, TRUE);
}
END_TEST

static Suite *links_suite(void)
{
	Suite *s = suite_create("links");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defang);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_mismatch);
	tcase_add_test(tc, test_text_modes);
	tcase_add_test(tc, test_text_english_and_null);
	tcase_add_test(tc, test_text_after_html);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_empty);
	tcase_add_test(tc, test_list_escaping);
	tcase_add_test(tc, test_list_forged_note);
	tcase_add_test(tc, test_list_long_url);
	tcase_add_test(tc, test_html_to_list);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	mg_html_init();
	sr = srunner_create(links_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
