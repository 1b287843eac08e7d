/*
 * test_html2text - unit tests of html2text.c: conversion rules, links,
 * limits, hostile nesting, libxml2 work-arounds, charset sniffing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html2text.h"

typedef struct {
	const char *html;
	const char *text;
} conv_case;

/* len (size_t) -1: strlen(html). */
static char *convert(const char *html, size_t len, const mg_html_opts *o, GPtrArray *links,
		     mg_html_stats *st)
{
	return mg_html_to_text(html, len == (size_t) -1 ? strlen(html) : len, o, links, st);
}

#define ALL ((size_t) -1)

static GPtrArray *new_links(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify) mg_link_free);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

/* Every line: no trailing blank, no two blank lines in a row, no blank
 * first or last line, '\n' at the end of non-empty text. */
static void check_shape(const char *t)
{
	size_t n = strlen(t);

	ck_assert(g_utf8_validate(t, -1, NULL));
	if (n == 0)
		return;
	ck_assert_int_eq(t[n - 1], '\n');
	ck_assert_int_ne(t[0], '\n');
	ck_assert_ptr_null(strstr(t, "\n\n\n"));
	ck_assert_ptr_null(strstr(t, " \n"));
	ck_assert_ptr_null(strstr(t, "\t\n"));
	ck_assert(n < 2 || t[n - 2] != '\n');
}

static void run_cases(const conv_case *c, size_t n, const mg_html_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		GPtrArray *links = new_links();
		char *t = convert(c[i].html, strlen(c[i].html), o, links, NULL);

		if (strcmp(t, c[i].text) != 0)
			ck_abort_msg("case %zu: %s\n got: [%s]\nwant: [%s]", i, c[i].html, t, c[i].text);
		check_shape(t);
		g_free(t);
		g_ptr_array_free(links, TRUE);
	}
}

/* ---- blocks, inline, whitespace ----------------------------------------- */

static const conv_case block_cases[] = {
	{ "", "" },
	{ "   \n\t ", "" },
	{ "<html><body></body></html>", "" },
	{ "plain", "plain\n" },
	{ "<p>Hello</p><p>World</p>", "Hello\n\nWorld\n" },
	{ "<div>a</div><div>b</div>", "a\nb\n" },
	{ "<h1>Title</h1>text", "Title\n\ntext\n" },
	{ "<h2>A</h2><h3>B</h3><h6>C</h6>", "A\n\nB\n\nC\n" },
	{ "a<br>b<br><br>c", "a\nb\n\nc\n" },
	{ "a<br/>b<br />c", "a\nb\nc\n" },
	{ "<p>a<br></p><p>b</p>", "a\n\nb\n" },
	{ "<div>line1</div><div><br></div><div>line2</div>", "line1\n\nline2\n" },
	{ "<p>a</p><p></p><p></p><p>b</p>", "a\n\nb\n" },
	{ "<br><br><p>x</p><br><br>", "x\n" },
	{ "a <br>b", "a\nb\n" },
	{ "<section>s</section><article>a</article><header>h</header><footer>f</footer>",
	  "s\na\nh\nf\n" },
	{ "<address>ad</address><center>c</center><form>f</form><fieldset>fs</fieldset>",
	  "ad\nc\nf\nfs\n" },
	{ "<dl><dt>term</dt><dd>def<br>more</dd></dl>", "term\n  def\n  more\n" },
	{ "  a \n\t b  ", "a b\n" },
	{ "<b>a</b> <i>b</i>", "a b\n" },
	{ "<b>a</b><i>b</i>", "ab\n" },
	{ "x <span> y </span> z", "x y z\n" },
	{ "<P CLASS=x>Upper</P><BR>Case", "Upper\n\nCase\n" },
	{ "a<hr>b", "a\n\n--------------------\n\nb\n" },
	{ "a<hr><hr><hr>b", "a\n\n--------------------\n\nb\n" },
	{ "<pre>\n  a  b\n\n  c\n</pre>after", "  a  b\n\n  c\n\nafter\n" },
	{ "<pre>x\r\ny\rz</pre>", "x\ny\nz\n" },
	{ "<pre>tab\there   </pre>", "tab\there\n" },
	{ "<p>a</p>   <p>b</p>", "a\n\nb\n" },
	{ "<textarea>a\n  b</textarea>", "a\n  b\n" },
};

START_TEST(test_blocks)
{
	run_cases(block_cases, G_N_ELEMENTS(block_cases), NULL);
}
END_TEST

static const conv_case list_cases[] = {
	{ "<ul><li>one</li><li>two</li></ul>", "- one\n- two\n" },
	{ "<ol><li>one<li>two</ol>", "1. one\n2. two\n" },
	{ "<ol start=\"9\"><li>a<li>b</ol>", "9. a\n10. b\n" },
	{ "<ol><li>a<li value=7>b<li>c</ol>", "1. a\n7. b\n8. c\n" },
	{ "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c\n" },
	{ "<ul><li>x<ol><li>y<li>z</ol></ul>", "- x\n  1. y\n  2. z\n" },
	{ "<ul><li>a<br>b</li></ul>", "- a\n  b\n" },
	{ "<li>no list", "- no list\n" },
	{ "<ul><li><p>para</p></li></ul>", "- para\n" },
	{ "<ul><li></li><li>b</li></ul>", "- b\n" },
	{ "<p>before</p><ul><li>a</li></ul><p>after</p>", "before\n\n- a\n\nafter\n" },
	{ "<ul><li>a<li>b</ul>", "- a\n- b\n" },
	{ "<ul><li>一つ目<li>二つ目</ul>", "- 一つ目\n- 二つ目\n" },
};

START_TEST(test_lists)
{
	run_cases(list_cases, G_N_ELEMENTS(list_cases), NULL);
}
END_TEST

static const conv_case table_cases[] = {
	{ "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>",
	  "A | B\n1 | 2\n" },
	{ "<table><tr><td>1</td><td></td><td>3</td></tr></table>", "1 | 3\n" },
	{ "<table><caption>cap</caption><tr><td>a<td>b</table>", "cap\na | b\n" },
	{ "<p>x</p><table><tr><td>a</td></tr></table>y", "x\n\na\ny\n" },
	{ "<table><tr><td>a</td><td><table><tr><td>b</td><td>c</td></tr></table></td></tr></table>",
	  "a\nb | c\n" },
	{ "<td>lone</td>cell", "lonecell\n" },
	{ "<table><tr><td> a </td><td> b </td></tr></table>", "a | b\n" },
};

START_TEST(test_tables)
{
	run_cases(table_cases, G_N_ELEMENTS(table_cases), NULL);
}
END_TEST

/* ---- text: entities, Japanese, controls ----------------------------------- */

static const conv_case text_cases[] = {
	{ "<p>&lt;tag&gt; &amp; &quot;q&quot; &#x41;&#66; &copy; caf&eacute;</p>",
	  "<tag> & \"q\" AB \xC2\xA9 caf\xC3\xA9\n" },
	{ "a&nbsp;&nbsp;b", "a  b\n" },
	{ "<p>&nbsp;</p><p>x</p>", "x\n" },
	{ "<p>x&nbsp;</p>", "x\n" },
	{ "&#12354;&#x3044;", "あい\n" },
	{ "<p>こんにちは、世界。</p><p>山鹿市</p>", "こんにちは、世界。\n\n山鹿市\n" },
	{ "<p>日本語の\n文章です。</p>", "日本語の文章です。\n" },
	{ "<p>日本語\nEnglish</p>", "日本語 English\n" },
	{ "<p>English\ntext</p>", "English text\n" },
	{ "<p>全角　スペース</p>", "全角　スペース\n" },
	{ "a\x01" "b\x7f" "c", "abc\n" },
	{ "a&#128;b&#x9f;c", "abc\n" },
	{ "\xEF\xBB\xBFtext", "text\n" },
	{ "caf\xE9 \xE6\x97\xA5\xE6\x9C\xAC", "caf\xEF\xBF\xBD \xE6\x97\xA5\xE6\x9C\xAC\n" },
	{ "<p>\xE6\x97\xA5\xE6\x9C</p><p>\xE6\x97\xA5\xE6\x9C\xAC</p>",
	  "\xE6\x97\xA5\xEF\xBF\xBD\xEF\xBF\xBD\n\n\xE6\x97\xA5\xE6\x9C\xAC\n" },
	{ "a < b > c", "a < b > c\n" },
	/* the part was decoded to UTF-8 before: its <meta charset> is stale */
	{ "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-2022-jp\">"
	  "<p>日本語のテキスト</p>", "日本語のテキスト\n" },
	{ "<meta charset=shift_jis><p>日本語</p>", "日本語\n" },
	{ "<html><head><meta charset=\"EUC-JP\"></head><body>山鹿市</body></html>", "山鹿市\n" },
	{ "<p>テキスト<meta charset=iso-8859-1>続き</p>", "テキスト続き\n" },
	{ "&lt;!x&gt; stays", "<!x> stays\n" },
};

START_TEST(test_text)
{
	run_cases(text_cases, G_N_ELEMENTS(text_cases), NULL);
}
END_TEST

/* NUL bytes are input too (len, not strlen). */
START_TEST(test_nul_bytes)
{
	static const char html[] = "<p>a\0b</p>";
	char *t = convert(html, sizeof html - 1, NULL, NULL, NULL);

	ck_assert_str_eq(t, "a\xEF\xBF\xBD" "b\n");
	g_free(t);
}
END_TEST

/* ---- dropped content ---------------------------------------------------------- */

static const conv_case drop_cases[] = {
	{ "<html><head><title>T</title><style>p{color:red}</style>"
	  "<script>alert(1)</script></head><body><!-- hidden -->visible"
	  "<script>x()</script></body></html>", "visible\n" },
	{ "<template>t</template><iframe>i</iframe><object>o</object>ok", "ok\n" },
	{ "<noscript>shown</noscript>", "shown\n" },
	{ "<p>a<!-- c --> b<!--[if mso]>hidden<![endif]--> c</p>", "a b c\n" },
	{ "<p>a<!--[if !mso]><!-->shown<!--<![endif]-->c</p>", "ashownc\n" },
	{ "<p><![if !supportLists]>1.<![endif]>Item</p>", "1.Item\n" },
	{ "<p><![if !supportLists]><span>-<span>&nbsp;</span></span><![endif]>Item</p>",
	  "- Item\n" },
	{ "<head><xml><w:View>Normal</w:View></xml></head><body>x</body>", "x\n" },
	{ "<script>if (a</b) x=\"</p>\"</script>after", "after\n" },
	{ "<title>T<p>hi", "hi\n" },
	{ "<!DOCTYPE html><?php echo 1 ?><p>x</p>", "x\n" },
	{ "<p>x<svg><text>svg text</text></svg>y</p>", "xsvg texty\n" },
	{ "<video>no video</video><audio>no</audio><canvas>c</canvas>ok", "ok\n" },
	{ "<select><option>one</option><option>two</option></select>", "onetwo\n" },
};

START_TEST(test_dropped)
{
	run_cases(drop_cases, G_N_ELEMENTS(drop_cases), NULL);
}
END_TEST

/* ---- images ----------------------------------------------------------------- */

static const conv_case img_cases_ja[] = {
	{ "<img src=a alt=\"Logo\">", "[画像: Logo]\n" },
	{ "<img src=a>", "[画像]\n" },
	{ "<img alt=\"  \">", "[画像]\n" },
	{ "<img alt=\"a &amp;\n b\">", "[画像: a & b]\n" },
	{ "see <img alt=\"ロゴ\"> here", "see [画像: ロゴ] here\n" },
};

static const conv_case img_cases_en[] = {
	{ "<img src=a alt=\"Logo\">", "[image: Logo]\n" },
	{ "<img src=a>", "[image]\n" },
};

START_TEST(test_images)
{
	mg_html_opts en = { 0, 0, true };
	mg_html_stats st;
	char *t;

	run_cases(img_cases_ja, G_N_ELEMENTS(img_cases_ja), NULL);
	run_cases(img_cases_en, G_N_ELEMENTS(img_cases_en), &en);
	t = convert("<img><img><script><img></script>", ALL, NULL, NULL, &st);
	ck_assert_uint_eq(st.images, 2);
	g_free(t);
}
END_TEST

START_TEST(test_alt_capped)
{
	GString *h = g_string_new("<img alt=\"");
	char *t;

	for (int i = 0; i < 300; i++)
		g_string_append(h, "あ");
	g_string_append(h, "\">");
	t = convert(h->str, h->len, NULL, NULL, NULL);
	ck_assert(g_utf8_validate(t, -1, NULL));
	ck_assert_uint_lt(strlen(t), 240);
	g_free(t);
	g_string_free(h, TRUE);
}
END_TEST

/* ---- links ------------------------------------------------------------------ */

static void check_link(GPtrArray *links, guint i, const char *href, const char *text)
{
	const mg_link *l;

	ck_assert_uint_gt(links->len, i);
	l = links->pdata[i];
	ck_assert_str_eq(l->href, href);
	ck_assert_str_eq(l->text, text);
}

static const conv_case link_cases[] = {
	{ "<a href=\"https://example.com/\">Example</a>", "Example [1]\n" },
	{ "<a href=\"#top\">top</a>", "top\n" },
	{ "<a href=\"\">empty</a>", "empty\n" },
	{ "<a name=n>anchor</a>", "anchor\n" },
	{ "<a href=x>  Click\n  <b>here</b> </a>now", "Click here [1] now\n" },
	{ "<a href=x><img alt=Logo></a>", "[画像: Logo] [1]\n" },
	{ "<a href=a>1<a href=b>2</a></a>", "1 [1]2 [2]\n" },
	{ "<a href=x></a>", "[1]\n" },
	{ "<p>see <a href=x>this</a>.</p>", "see this [1].\n" },
	{ "<a href=x><div>block</div> link</a> after", "block\nlink [1] after\n" },
};

START_TEST(test_link_markers)
{
	run_cases(link_cases, G_N_ELEMENTS(link_cases), NULL);
}
END_TEST

START_TEST(test_link_records)
{
	static const char html[] =
		"<a href=\" https://e.example/?a=1&amp;b=2 \n\">  Click\n <b>here</b> </a>"
		"<a href=\"javascript:alert(1)\">js</a> <a href=\"mailto:a@b.example\">mail</a>"
		"<a href=\"#frag\">frag</a> <a href=\"http://x.example/\"><img alt=\"ロゴ\"></a>";
	GPtrArray *links = new_links();
	char *t = convert(html, strlen(html), NULL, links, NULL);

	ck_assert_str_eq(t, "Click here [1] js [2] mail [3]frag [画像: ロゴ] [4]\n");
	ck_assert_uint_eq(links->len, 4);
	check_link(links, 0, "https://e.example/?a=1&b=2", "Click here");
	check_link(links, 1, "javascript:alert(1)", "js");
	check_link(links, 2, "mailto:a@b.example", "mail");
	check_link(links, 3, "http://x.example/", "[画像: ロゴ]");
	g_free(t);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* Several HTML parts share one numbering. */
START_TEST(test_link_numbering_two_calls)
{
	GPtrArray *links = new_links();
	char *a = convert("<a href=a>A</a> <a href=b>B</a>", ALL, NULL, links, NULL);
	char *b = convert("<p><a href=c>C</a></p>", ALL, NULL, links, NULL);

	ck_assert_str_eq(a, "A [1] B [2]\n");
	ck_assert_str_eq(b, "C [3]\n");
	ck_assert_uint_eq(links->len, 3);
	check_link(links, 2, "c", "C");
	g_free(a);
	g_free(b);
	g_ptr_array_free(links, TRUE);
}
END_TEST

START_TEST(test_links_null)
{
	char *t = convert("<a href=a>A</a>", ALL, NULL, NULL, NULL);

	ck_assert_str_eq(t, "A\n");
	g_free(t);
}
END_TEST

START_TEST(test_link_text_capped)
{
	GString *h = g_string_new("<a href=x>");
	GPtrArray *links = new_links();
	char *t;
	const mg_link *l;

	for (int i = 0; i < 500; i++)
		g_string_append(h, "字 ");
	g_string_append(h, "</a>");
	t = convert(h->str, h->len, NULL, links, NULL);
	l = links->pdata[0];
	ck_assert_uint_le(strlen(l->text), MG_LINK_TEXT_MAX);
	ck_assert(g_utf8_validate(l->text, -1, NULL));
	ck_assert(g_str_has_suffix(t, "字 [1]\n"));
	g_free(t);
	g_string_free(h, TRUE);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* ---- malformed markup and libxml2's epilogue ---------------------------------- */

static const conv_case malformed_cases[] = {
	{ "<p>unclosed <b>bold <i>both", "unclosed bold both\n" },
	{ "<div><p>a</div>b", "a\n\nb\n" },
	{ "</div></p>text", "text\n" },
	{ "</div></div></div>start", "start\n" },
	{ "<p>x</p></body></html>after <b>html</b> end", "x\n\nafter html end\n" },
	{ "x</html><p>after", "x\n\nafter\n" },
	{ "<html><body>a</body></html><p>b</p>", "a\n\nb\n" },
	{ "</html>a</html>b</html>c", "a\n\nb\n\nc\n" },
	{ "<p>x</html> w1 <b>w2</b>", "x\n\nw1 w2\n" },
	{ "</ul> w0 </form><!DOCTYPE html><dd></table> w2 </html><option> w5",
	  "w0\n\n  w2\nw5\n" },
	{ "<p>a<", "a\n" },
	{ "<p>a<di", "a\n" },
	{ "<p>a</p  ><p/>b", "a\n\nb\n" },
	{ "<b><p>x</b></p>y", "x\n\ny\n" },
	{ "<table><tr><td>a<p>b</table>c", "a\n\nb\n\nc\n" },
};

START_TEST(test_malformed)
{
	run_cases(malformed_cases, G_N_ELEMENTS(malformed_cases), NULL);
}
END_TEST

/* Text after </html> is kept however often it happens, and reported. */
START_TEST(test_resume_after_end)
{
	GString *h = g_string_new(NULL);
	mg_html_stats st;
	char *t;
	size_t xs = 0;

	for (int i = 0; i < 1000; i++)
		g_string_append(h, "</html>x");
	t = convert(h->str, h->len, NULL, NULL, &st);
	for (const char *p = t; *p; p++)
		xs += *p == 'x';
	ck_assert_uint_eq(xs, 1000);
	ck_assert_uint_ge(st.resumed, 1);
	ck_assert(!st.incomplete);
	check_shape(t);
	g_free(t);
	g_string_free(h, TRUE);
}
END_TEST

/* The parser's chunk boundary falls inside constructs: same text. */
START_TEST(test_chunk_boundaries)
{
	static const char tail[] = "<p>a</p></html><option> w5 <![if x]>w6<![endif]> &amp;"
				   "<a href=\"http://x.example/\">w7</a><pre> p </pre>";
	for (size_t pad = 16384 - 120; pad < 16384 + 8; pad++) {
		GString *h = g_string_new(NULL);
		char *t;

		while (h->len + 7 <= pad)
			g_string_append(h, "<i></i>");
		while (h->len < pad)
			g_string_append_c(h, ' ');
		g_string_append(h, tail);
		t = convert(h->str, h->len, NULL, NULL, NULL);
		ck_assert_str_eq(t, "a\n\nw5 w6 &w7\n\n p\n");
		g_free(t);
		g_string_free(h, TRUE);
	}
}
END_TEST

/* ---- limits ------------------------------------------------------------------- */

START_TEST(test_max_output)
{
	mg_html_opts o = { 0, 25, false };
	mg_html_opts o2 = { 0, 7, false };
	mg_html_stats st;
	GString *h = g_string_new("<p>");
	char *t;

	for (int i = 0; i < 1000; i++)
		g_string_append(h, "abcdefghij ");
	t = convert(h->str, h->len, &o, NULL, &st);
	ck_assert_uint_le(strlen(t), 25);
	ck_assert(st.output_limited);
	ck_assert(g_str_has_prefix(t, "abcdefghij abcdefghij"));
	g_free(t);
	t = convert("あいうえお", ALL, &o2, NULL, &st);
	ck_assert_str_eq(t, "あい\n");
	ck_assert(st.output_limited);
	g_free(t);
	t = convert("<p>short</p>", ALL, &o, NULL, &st);
	ck_assert(!st.output_limited);
	ck_assert_str_eq(t, "short\n");
	g_free(t);
	g_string_free(h, TRUE);
}
END_TEST

START_TEST(test_max_depth)
{
	mg_html_opts o = { 3, 0, false };   /* html, body, ul */
	mg_html_stats st;
	char *t = convert("<ul><li>a<ul><li>b</ul></ul><script>no</script><a href=x>l</a>",
			  ALL, &o, NULL, &st);

	ck_assert(st.depth_limited);
	ck_assert_uint_eq(st.depth_seen, 6);
	ck_assert_str_eq(t, "- a\n- b\n\nl\n");
	g_free(t);
	t = convert("<p>x</p>", ALL, &o, NULL, &st);
	ck_assert(!st.depth_limited);
	ck_assert_uint_eq(st.depth_seen, 3);
	g_free(t);
}
END_TEST

/* Skipped content and links keep working past the depth cap. */
START_TEST(test_deep_skip_and_link)
{
	GString *h = g_string_new(NULL);
	GPtrArray *links = new_links();
	mg_html_opts o = { 16, 0, false };
	char *t;

	for (int i = 0; i < 100; i++)
		g_string_append(h, "<span>");
	g_string_append(h, "<style>hidden</style><a href=\"http://deep.example/\">deep</a> end");
	t = convert(h->str, h->len, &o, links, NULL);
	ck_assert_str_eq(t, "deep [1] end\n");
	check_link(links, 0, "http://deep.example/", "deep");
	g_free(t);
	g_string_free(h, TRUE);
	g_ptr_array_free(links, TRUE);
}
END_TEST

/* ---- hostile nesting: 1 MB inputs ---------------------------------------------- */

static GString *repeat(const char *unit, size_t times, const char *tail)
{
	GString *s = g_string_sized_new(strlen(unit) * times + strlen(tail));

	for (size_t i = 0; i < times; i++)
		g_string_append(s, unit);
	g_string_append(s, tail);
	return s;
}

/* Converts h; the text must be want; time is bounded (generous: sanitizers). */
static void hostile(GString *h, const char *want, size_t depth_at_least)
{
	mg_html_opts o = { 256, 0, false };
	mg_html_stats st;
	double t0 = now_us();
	char *t = convert(h->str, h->len, &o, NULL, &st);
	double us = now_us() - t0;

	ck_assert_str_eq(t, want);
	ck_assert(st.depth_limited);
	ck_assert_uint_ge(st.depth_seen, depth_at_least);
	ck_assert(!st.incomplete);
	ck_assert_msg(us < 5e6, "took %.0f us", us);
	g_free(t);
	g_string_free(h, TRUE);
}

START_TEST(test_hostile_divs)
{
	hostile(repeat("<div>", 100000, "END tail"), "END tail\n", 100000);
}
END_TEST

START_TEST(test_hostile_b_i)
{
	hostile(repeat("<b><i>", 50000, "END"), "END\n", 100000);
}
END_TEST

START_TEST(test_hostile_tables)
{
	hostile(repeat("<table><tr><td>", 30000, "END"), "END\n", 90000);
}
END_TEST

/* Text at every level survives, bounded in size. */
START_TEST(test_hostile_text_everywhere)
{
	static const char *const units[] = {
		"<div>x", "<b><i>x", "<table><tr><td>x", "<ul><li>x", "<blockquote>x<br>",
		"<a href=u>x", "<pre>x\n", "<font>x", "<p>x", "</html>x", "</div>x",
	};
	for (size_t u = 0; u < G_N_ELEMENTS(units); u++) {
		size_t times = (1u << 20) / strlen(units[u]);
		GString *h = repeat(units[u], times, "");
		mg_html_stats st;
		double t0 = now_us();
		char *t = convert(h->str, h->len, NULL, NULL, &st);
		double us = now_us() - t0;
		size_t xs = 0;

		for (const char *p = t; *p; p++)
			xs += *p == 'x';
		ck_assert_msg(xs == times, "%s: %zu of %zu", units[u], xs, times);
		ck_assert_msg(strlen(t) <= 6 * h->len, "%s: %zu bytes", units[u], strlen(t));
		ck_assert(!st.incomplete);
		ck_assert_msg(us < 5e6, "%s took %.0f us", units[u], us);
		check_shape(t);
		g_free(t);
		g_string_free(h, TRUE);
	}
}
END_TEST

/* ---- speed ------------------------------------------------------------------ */

/* A 66 KB newsletter-like part: tables, styles, links, Japanese. */
static GString *newsletter(void)
{
	GString *h = g_string_new("<html><head><style>");

	for (int i = 0; i < 40; i++)
		g_string_append_printf(h, ".c%d{font-family:Arial;color:#333}\n", i);
	g_string_append(h, "</style></head><body><table width=\"100%\"><tr><td>");
	for (int i = 0; h->len < 66 * 1024 - 600; i++)
		g_string_append_printf(h,
			"<table width=\"600\" style=\"border-collapse:collapse\"><tr>"
			"<td class=\"c%d\" style=\"padding:20px\"><h2>記事 %d &amp; News</h2>"
			"<p>山鹿市役所からのお知らせです。説明会を開催いたします。Lorem ipsum "
			"dolor sit amet.<br>\n詳細は下記をご覧ください。</p><a href=\"https://"
			"click.example.com/t?u=%d&amp;l=https%%3A%%2F%%2Fwww.example.com\">続き"
			"</a>&nbsp;|&nbsp;<img src=\"p.png\" alt=\"\" width=1><ul><li>項目一"
			"</li><li>項目二 <b>重要</b></li></ul></td></tr></table>\n", i % 40, i, i);
	g_string_append(h, "</td></tr></table></body></html>\n");
	return h;
}

START_TEST(test_speed_66k)
{
	GString *h = newsletter();
	double best = 1e12;

	for (int i = 0; i < 20; i++) {
		GPtrArray *links = new_links();
		double t0 = now_us();
		char *t = convert(h->str, h->len, NULL, links, NULL);
		double us = now_us() - t0;

		best = us < best ? us : best;
		ck_assert(strstr(t, "山鹿市役所") != NULL);
		g_free(t);
		g_ptr_array_free(links, TRUE);
	}
	printf("html2text: %zu bytes converted in %.0f us (best of 20)\n", h->len, best);
	ck_assert_msg(best < 50000, "%.0f us", best);  /* sanitizer builds are slow */
	g_string_free(h, TRUE);
}
END_TEST

/* ---- charset sniffing ------------------------------------------------------------ */

typedef struct {
	const char *html;
	const char *charset;  /* NULL: none */
} sniff_case;

static const sniff_case sniff_cases[] = {
	{ "<meta charset=\"shift_jis\">", "shift_jis" },
	{ "<META CHARSET=EUC-JP>", "EUC-JP" },
	{ "<meta charset = 'utf-8' >", "utf-8" },
	{ "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-2022-jp\">",
	  "iso-2022-jp" },
	{ "<meta content='text/html;charset=Shift_JIS' http-equiv='content-type'>", "Shift_JIS" },
	{ "<meta http-equiv=content-type content=\"text/html; charset = &quot;x\">", NULL },
	{ "<meta http-equiv=Content-Type content=\"text/html; charset='EUC-JP'\">", "EUC-JP" },
	{ "<!-- <meta charset=bad> --><meta charset=utf-8>", "utf-8" },
	{ "<p title='<meta charset=bad>'><meta charset=utf-8>", "utf-8" },
	{ "<meta name=description content='charset=foo'>", NULL },
	{ "<meta http-equiv=refresh content='0; charset=x'>", NULL },
	{ "<meta charset=utf-16le>", "UTF-8" },
	{ "<meta charset='x y'>", NULL },
	{ "<meta charset=\"\">", NULL },
	{ "<html><head><title>t</title><meta charset=windows-31j></head>", "windows-31j" },
	{ "<meta/charset=cp932>", "cp932" },
	{ "<metacharset=x>", NULL },
	{ "no markup", NULL },
	{ "", NULL },
};

START_TEST(test_sniff)
{
	for (size_t i = 0; i < G_N_ELEMENTS(sniff_cases); i++) {
		const sniff_case *c = &sniff_cases[i];
		char *cs = mg_html_sniff_charset(c->html, strlen(c->html));

		if (c->charset == NULL)
			ck_assert_msg(cs == NULL, "case %zu: %s -> %s", i, c->html, cs);
		else
			ck_assert_msg(cs != NULL && strcmp(cs, c->charset) == 0,
				      "case %zu: %s -> %s", i, c->html, cs ? cs : "(null)");
		g_free(cs);
	}
}
END_TEST

START_TEST(test_sniff_window)
{
	GString *h = g_string_new(NULL);
	char *cs;

	g_string_append_len(h, "<p>", 3);
	while (h->len < 4090)
		g_string_append_c(h, ' ');
	g_string_append(h, "<meta charset=shift_jis>");   /* crosses byte 4096 */
	cs = mg_html_sniff_charset(h->str, h->len);
	ck_assert_ptr_null(cs);
	g_string_truncate(h, 3);
	while (h->len < 4000)
		g_string_append_c(h, ' ');
	g_string_append(h, "<meta charset=shift_jis>");
	cs = mg_html_sniff_charset(h->str, h->len);
	ck_assert_str_eq(cs, "shift_jis");
	g_free(cs);
	ck_assert_ptr_null(mg_html_sniff_charset(NULL, 0));
	ck_assert_ptr_null(mg_html_sniff_charset("<meta charset=x", 15));
	g_string_free(h, TRUE);
}
END_TEST

static Suite *html2text_suite(void)
{
	Suite *s = suite_create("html2text");
	TCase *rules = tcase_create("rules");
	TCase *links = tcase_create("links");
	TCase *robust = tcase_create("robust");
	TCase *sniff = tcase_create("sniff");

	tcase_add_test(rules, test_blocks);
	tcase_add_test(rules, test_lists);
	tcase_add_test(rules, test_tables);
	tcase_add_test(rules, test_text);
	tcase_add_test(rules, test_nul_bytes);
	tcase_add_test(rules, test_dropped);
	tcase_add_test(rules, test_images);
	tcase_add_test(rules, test_alt_capped);
	tcase_add_test(links, test_link_markers);
	tcase_add_test(links, test_link_records);
	tcase_add_test(links, test_link_numbering_two_calls);
	tcase_add_test(links, test_links_null);
	tcase_add_test(links, test_link_text_capped);
	tcase_add_test(robust, test_malformed);
	tcase_add_test(robust, test_resume_after_end);
	tcase_add_test(robust, test_chunk_boundaries);
	tcase_add_test(robust, test_max_output);
	tcase_add_test(robust, test_max_depth);
	tcase_add_test(robust, test_deep_skip_and_link);
	tcase_add_test(robust, test_hostile_divs);
	tcase_add_test(robust, test_hostile_b_i);
	tcase_add_test(robust, test_hostile_tables);
	tcase_add_test(robust, test_hostile_text_everywhere);
	tcase_add_test(robust, test_speed_66k);
	tcase_set_timeout(robust, 120);
	tcase_add_test(sniff, test_sniff);
	tcase_add_test(sniff, test_sniff_window);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, links);
	suite_add_tcase(s, robust);
	suite_add_tcase(s, sniff);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	mg_html_init();
	sr = srunner_create(html2text_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
