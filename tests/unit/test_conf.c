/*
 * test_conf.c - the settings module: defaults, each value type, every error
 * message with its FILE:LINE, the file format (comments, continuation,
 * repeats), keeps_header and reference counting; and the table held to its
 * documents: conf/mugaika.conf is mg_config_sample() byte for byte, loads
 * to the defaults, and man/mugaika.conf.5 passes mg_config_check_manpage().
 *
 * The source tree is $MG_SRCDIR, else the compile-time MG_SRCDIR.
 * "test_conf --print-sample" writes the sample (to regenerate the file).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "links.h"

#ifndef MG_SRCDIR
#define MG_SRCDIR "."
#endif

#define KB ((size_t)1024)
#define MB (1024 * KB)
#define GB (1024 * MB)

static char *tmpdir;
static char *conf_path;

static const char *
srcdir(void)
{
	const char *env = getenv("MG_SRCDIR");
	return env && *env ? env : MG_SRCDIR;
}

static char *
read_src(const char *rel)
{
	char *path = g_build_filename(srcdir(), rel, NULL);
	char *text = NULL;
	GError *error = NULL;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, &error),
		      "cannot read %s: %s (set MG_SRCDIR to the source tree)",
		      path, error ? error->message : "?");
	g_free(path);
	return text;
}

static void
setup(void)
{
	tmpdir = g_dir_make_tmp("test_conf.XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
	conf_path = g_build_filename(tmpdir, "t.conf", NULL);
}

static void
teardown(void)
{
	g_unlink(conf_path);
	g_rmdir(tmpdir);
	g_free(conf_path);
	g_free(tmpdir);
}

static void
write_conf_len(const char *text, gssize len)
{
	ck_assert(g_file_set_contents(conf_path, text, len, NULL));
}

/* Loads text as a config file; *err gets the error (or NULL). */
static mg_config *
load_text(const char *text, char **err)
{
	*err = NULL;
	write_conf_len(text, -1);
	return mg_config_load(conf_path, err);
}

static mg_config *
load_ok(const char *text)
{
	char *err = NULL;
	mg_config *c = load_text(text, &err);
	ck_assert_msg(c != NULL, "load failed: %s", err);
	return c;
}

/* Name of the first setting whose values differ, or NULL. */
static const char *
config_diff(const mg_config *a, const mg_config *b)
{
	size_t n;
	const mg_setting *t = mg_settings(&n);

	for (size_t i = 0; i < n; i++) {
		const char *pa = (const char *)a + t[i].offset;
		const char *pb = (const char *)b + t[i].offset;
		bool same = true;
		switch (t[i].type) {
		case MG_T_STRING:
		case MG_T_PATH:
		case MG_T_SOCKET:
			same = g_strcmp0(*(char *const *)pa, *(char *const *)pb) == 0;
			break;
		case MG_T_ENUM:
			same = *(const int *)pa == *(const int *)pb;
			break;
		case MG_T_UINT:
		case MG_T_MODE:
			same = *(const unsigned *)pa == *(const unsigned *)pb;
			break;
		case MG_T_SIZE:
			same = *(const size_t *)pa == *(const size_t *)pb;
			break;
		case MG_T_LIST:
			same = g_strv_equal((const char *const *)*(char **const *)pa,
					    (const char *const *)*(char **const *)pb);
			break;
		}
		if (!same)
			return t[i].name;
	}
	return NULL;
}

/* ---- defaults and values ------------------------------------------------ */

START_TEST(test_defaults)
{
	mg_config *c = mg_config_new_defaults();
	const char *headers[] = { "from", "sender", "to", "cc", "reply-to",
		"subject", "date", "message-id", "in-reply-to", "references",
		"received", "return-path", "authentication-results", "list-id", NULL };

	ck_assert_int_eq(c->refcount, 1);
	ck_assert_ptr_null(c->path);
	ck_assert_int_eq(c->output_charset, MG_OUT_UTF8);
	ck_assert_int_eq(c->body_encoding, MG_BODY_BASE64);
	ck_assert_int_eq(c->html_mode, MG_HTML_PREFER_TEXT);
	ck_assert_int_eq(c->links, MG_LINKS_DEFANG);
	ck_assert(g_strv_equal((const char *const *)c->keep_headers, headers));
	ck_assert_int_eq(c->keep_originals, MG_KEEP_CHANGED);
	ck_assert_str_eq(c->subject_tag, "");
	ck_assert_int_eq(c->notice_language, MG_LANG_JA);
	ck_assert_str_eq(c->notice_template, "");
	ck_assert_uint_eq(c->max_message_size, 64 * MB);
	ck_assert_uint_eq(c->max_header_bytes, 1 * MB);
	ck_assert_uint_eq(c->max_mime_depth, 32);
	ck_assert_uint_eq(c->max_parts, 1000);
	ck_assert_uint_eq(c->max_decoded_bytes, 256 * MB);
	ck_assert_uint_eq(c->max_text_bytes, 16 * MB);
	ck_assert_uint_eq(c->max_html_depth, 512);
	ck_assert_uint_eq(c->max_processing_time, 60);
	mg_config_unref(c);
}
END_TEST

START_TEST(test_every_type)
{
	mg_config *c = load_ok(
		"output_charset = ISO-2022-JP\n"
		"body_encoding = quoted-printable\n"
		"html_mode = always_convert\n"
		"links = remove\n"
		"keep_headers = From,To  SUBJECT,\tX-Custom-Header\n"
		"keep_originals = all\n"
		"subject_tag =   【外部】 #1  \n"
		"notice_language = en\n"
		"notice_template = /etc/mugaika/my notice.txt\n"
		"max_message_size = 10m\n"
		"max_header_bytes = 2048\n"
		"max_mime_depth = 1000\n"
		"max_parts = 1\n"
		"max_decoded_bytes = 1G\n"
		"max_text_bytes = 1k\n"
		"max_html_depth = 100\n"
		"max_processing_time = 3600\n");
	const char *headers[] = { "from", "to", "subject", "x-custom-header", NULL };

	ck_assert_str_eq(c->path, conf_path);
	ck_assert_int_eq(c->output_charset, MG_OUT_ISO2022JP);
	ck_assert_int_eq(c->body_encoding, MG_BODY_QP);
	ck_assert_int_eq(c->html_mode, MG_HTML_ALWAYS_CONVERT);
	ck_assert_int_eq(c->links, MG_LINKS_REMOVE);
	ck_assert(g_strv_equal((const char *const *)c->keep_headers, headers));
	ck_assert_int_eq(c->keep_originals, MG_KEEP_ALL);
	ck_assert_str_eq(c->subject_tag, "【外部】 #1");
	ck_assert_int_eq(c->notice_language, MG_LANG_EN);
	ck_assert_str_eq(c->notice_template, "/etc/mugaika/my notice.txt");
	ck_assert_uint_eq(c->max_message_size, 10 * MB);
	ck_assert_uint_eq(c->max_header_bytes, 2048);
	ck_assert_uint_eq(c->max_mime_depth, 1000);
	ck_assert_uint_eq(c->max_parts, 1);
	ck_assert_uint_eq(c->max_decoded_bytes, 1 * GB);
	ck_assert_uint_eq(c->max_text_bytes, 1 * KB);
	ck_assert_uint_eq(c->max_html_depth, 100);
	ck_assert_uint_eq(c->max_processing_time, 3600);
	mg_config_unref(c);
}
END_TEST

/* Each ENUM word maps to the C enum of the same meaning. */
static const struct {
	const char *line;
	size_t offset;
	int want;
} enums[] = {
	{ "output_charset = utf-8", offsetof(mg_config, output_charset), MG_OUT_UTF8 },
	{ "output_charset = iso-2022-jp", offsetof(mg_config, output_charset), MG_OUT_ISO2022JP },
	{ "body_encoding = base64", offsetof(mg_config, body_encoding), MG_BODY_BASE64 },
	{ "body_encoding = Quoted-Printable", offsetof(mg_config, body_encoding), MG_BODY_QP },
	{ "body_encoding = 8BIT", offsetof(mg_config, body_encoding), MG_BODY_8BIT },
	{ "html_mode = prefer_text", offsetof(mg_config, html_mode), MG_HTML_PREFER_TEXT },
	{ "html_mode = always_convert", offsetof(mg_config, html_mode), MG_HTML_ALWAYS_CONVERT },
	{ "links = keep", offsetof(mg_config, links), MG_LINKS_KEEP },
	{ "links = defang", offsetof(mg_config, links), MG_LINKS_DEFANG },
	{ "links = remove", offsetof(mg_config, links), MG_LINKS_REMOVE },
	{ "keep_originals = changed", offsetof(mg_config, keep_originals), MG_KEEP_CHANGED },
	{ "keep_originals = removed_parts", offsetof(mg_config, keep_originals), MG_KEEP_REMOVED_PARTS },
	{ "keep_originals = all", offsetof(mg_config, keep_originals), MG_KEEP_ALL },
	{ "notice_language = ja", offsetof(mg_config, notice_language), MG_LANG_JA },
	{ "notice_language = EN", offsetof(mg_config, notice_language), MG_LANG_EN },
};

START_TEST(test_enum_values)
{
	mg_config *c = load_ok(enums[_i].line);
	ck_assert_msg(*(int *)((char *)c + enums[_i].offset) == enums[_i].want,
		      "%s", enums[_i].line);
	mg_config_unref(c);
}
END_TEST

static const struct {
	const char *value;
	size_t want;
} sizes[] = {
	{ "1024", 1024 }, { "1k", KB }, { "1K", KB }, { "1536", 1536 },
	{ "64m", 64 * MB }, { "64M", 64 * MB }, { "1g", GB }, { "2G", 2 * GB },
	{ "0002k", 2 * KB },
};

START_TEST(test_sizes)
{
	char *text = g_strdup_printf("max_message_size = %s\n", sizes[_i].value);
	mg_config *c = load_ok(text);
	ck_assert_msg(c->max_message_size == sizes[_i].want, "%s -> %zu",
		      sizes[_i].value, c->max_message_size);
	mg_config_unref(c);
	g_free(text);
}
END_TEST

START_TEST(test_uint_bounds)
{
	mg_config *c = load_ok("max_mime_depth = 1\nmax_processing_time = 1\n"
			       "max_parts = 1000000\n");
	ck_assert_uint_eq(c->max_mime_depth, 1);
	ck_assert_uint_eq(c->max_processing_time, 1);
	ck_assert_uint_eq(c->max_parts, 1000000);
	mg_config_unref(c);
}
END_TEST

START_TEST(test_empty_values)
{
	mg_config *c = load_ok("subject_tag =\nnotice_template =   \nkeep_headers =\n");
	ck_assert_str_eq(c->subject_tag, "");
	ck_assert_str_eq(c->notice_template, "");
	ck_assert_ptr_nonnull(c->keep_headers);
	ck_assert_ptr_null(c->keep_headers[0]);
	ck_assert(!mg_config_keeps_header(c, "From"));
	mg_config_unref(c);
}
END_TEST

/* ---- the file format ------------------------------------------------------- */

START_TEST(test_empty_file)
{
	mg_config *d = mg_config_new_defaults();
	const char *texts[] = { "", "\n\n", "# only\n   # comments\n\t\n", "  \n" };

	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		mg_config *c = load_ok(texts[i]);
		ck_assert_msg(config_diff(c, d) == NULL, "text %zu: %s differs",
			      i, config_diff(c, d));
		mg_config_unref(c);
	}
	mg_config_unref(d);
}
END_TEST

START_TEST(test_continuation)
{
	mg_config *c = load_ok(
		"keep_headers = From,\n"
		"    To, Cc\n"
		"# a comment inside does not end it\n"
		"\n"
		"\tSubject\n"
		"subject_tag = [EXTERNAL\n"
		"   MAIL]\n"
		"html_mode =\n"
		"  always_convert\n");
	const char *headers[] = { "from", "to", "cc", "subject", NULL };

	ck_assert(g_strv_equal((const char *const *)c->keep_headers, headers));
	ck_assert_str_eq(c->subject_tag, "[EXTERNAL MAIL]");
	ck_assert_int_eq(c->html_mode, MG_HTML_ALWAYS_CONVERT);
	mg_config_unref(c);
}
END_TEST

START_TEST(test_comments_and_spacing)
{
	mg_config *c = load_ok(
		"# comment\n"
		"   # indented comment is a comment\n"
		"links=keep\n"
		"subject_tag = tag # not a comment\n"
		"max_parts\t=\t7  \r\n");

	ck_assert_int_eq(c->links, MG_LINKS_KEEP);
	ck_assert_str_eq(c->subject_tag, "tag # not a comment");
	ck_assert_uint_eq(c->max_parts, 7);
	mg_config_unref(c);
}
END_TEST

START_TEST(test_repeated_setting_later_wins)
{
	mg_config *c = load_ok("links = keep\nmax_parts = 5\nlinks = remove\n"
			       "keep_headers = a\nkeep_headers = b\n");
	const char *headers[] = { "b", NULL };

	ck_assert_int_eq(c->links, MG_LINKS_REMOVE);
	ck_assert_uint_eq(c->max_parts, 5);
	ck_assert(g_strv_equal((const char *const *)c->keep_headers, headers));
	mg_config_unref(c);
}
END_TEST

/* ---- errors ----------------------------------------------------------------- */

static const struct {
	const char *text;
	int line;
	const char *msg;
} errors[] = {
	{ "foo = 1\n", 1, "unknown setting 'foo'" },
	{ "Links = keep\n", 1, "unknown setting 'Links'" },
	{ "\n# c\nhtml_mode = x\n", 3,
	  "html_mode: 'x' is not one of prefer_text, always_convert" },
	{ "links = off\n", 1, "links: 'off' is not one of keep, defang, remove" },
	{ "output_charset =\n", 1, "output_charset: '' is not one of utf-8, iso-2022-jp" },
	{ "max_mime_depth = 0\n", 1, "max_mime_depth: '0' is out of range 1..1000" },
	{ "max_mime_depth = 1001\n", 1, "max_mime_depth: '1001' is out of range 1..1000" },
	{ "max_processing_time = 99999999999999999999999\n", 1,
	  "max_processing_time: '99999999999999999999999' is out of range 1..3600" },
	{ "max_parts = 12x\n", 1, "max_parts: '12x' is not a number" },
	{ "max_parts = -1\n", 1, "max_parts: '-1' is not a number" },
	{ "max_parts = +1\n", 1, "max_parts: '+1' is not a number" },
	{ "max_parts =\n", 1, "max_parts: '' is not a number" },
	{ "max_message_size = 10x\n", 1, "max_message_size: '10x' is not a size "
	  "(a number with an optional K, M or G suffix)" },
	{ "max_message_size = 10kb\n", 1, "max_message_size: '10kb' is not a size "
	  "(a number with an optional K, M or G suffix)" },
	{ "max_message_size = k\n", 1, "max_message_size: 'k' is not a size "
	  "(a number with an optional K, M or G suffix)" },
	{ "max_message_size = 1.5M\n", 1, "max_message_size: '1.5M' is not a size "
	  "(a number with an optional K, M or G suffix)" },
	{ "max_message_size = 1 M\n", 1, "max_message_size: '1 M' is not a size "
	  "(a number with an optional K, M or G suffix)" },
	{ "max_message_size = 3G\n", 1, "max_message_size: '3G' is out of range 1K..2G" },
	{ "max_message_size = 1023\n", 1, "max_message_size: '1023' is out of range 1K..2G" },
	{ "max_header_bytes = 99999999999999999G\n", 1,
	  "max_header_bytes: '99999999999999999G' is out of range 1K..64M" },
	{ "notice_template = notice.txt\n", 1,
	  "notice_template: 'notice.txt' is not an absolute path" },
	{ "notice_template = ./n.txt\n", 1,
	  "notice_template: './n.txt' is not an absolute path" },
	{ "keep_headers = From, Bad:Name\n", 1,
	  "keep_headers: 'Bad:Name' is not a valid name" },
	{ "  links = keep\n", 1, "continuation line without a setting before it" },
	{ "# c\n\tx\n", 2, "continuation line without a setting before it" },
	{ "links keep\n", 1, "expected 'name = value'" },
	{ "= keep\n", 1, "expected 'name = value'" },
	{ "two words = 1\n", 1, "expected 'name = value'" },
	{ "links = keep\nsubject_tag = a\x01z\n", 2, "control character in line" },
	{ "subject_tag = a\rz\n", 1, "control character in line" },
	{ "subject_tag = a\xC2\x85z\n", 1, "control character in line" },
	{ "links = keep\n\nsubject_tag = \xff\n", 3, "line is not valid UTF-8" },
	/* a continued setting is reported at its first line */
	{ "links = keep\nhtml_mode =\n  bogus\n", 2,
	  "html_mode: 'bogus' is not one of prefer_text, always_convert" },
	{ "links = keep\r\nhtml_mode = nope\r\n", 2,
	  "html_mode: 'nope' is not one of prefer_text, always_convert" },
	/* the first error is the one reported */
	{ "max_parts = 1\nfoo = 1\nbar = 2\n", 2, "unknown setting 'foo'" },
	/* a long bad value is cut */
	{ "html_mode = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 1,
	  "html_mode: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
	  "is not one of prefer_text, always_convert" },
};

START_TEST(test_errors)
{
	char *err = NULL;
	mg_config *c = load_text(errors[_i].text, &err);
	char *want = g_strdup_printf("%s:%d: %s", conf_path, errors[_i].line,
				     errors[_i].msg);

	ck_assert_msg(c == NULL, "case %d loaded", _i);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, want);
	g_free(err);
	g_free(want);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "links = keep\nsubject_tag = a\0b\n";
	char *err = NULL;
	char *want = g_strdup_printf("%s:2: NUL byte in line", conf_path);

	write_conf_len(text, sizeof text - 1);
	ck_assert_ptr_null(mg_config_load(conf_path, &err));
	ck_assert_str_eq(err, want);
	g_free(err);
	g_free(want);
}
END_TEST

START_TEST(test_unreadable)
{
	char *err = NULL;
	char *missing = g_build_filename(tmpdir, "missing.conf", NULL);
	char *want = g_strdup_printf("%s: No such file or directory", missing);

	ck_assert_ptr_null(mg_config_load(missing, &err));
	ck_assert_str_eq(err, want);
	g_free(err);
	g_free(want);

	want = g_strdup_printf("%s: Is a directory", tmpdir);
	ck_assert_ptr_null(mg_config_load(tmpdir, &err));
	ck_assert_str_eq(err, want);
	g_free(err);
	g_free(want);
	g_free(missing);
}
END_TEST

/* ---- objects ------------------------------------------------------------------ */

START_TEST(test_keeps_header)
{
	mg_config *c = mg_config_new_defaults();

	ck_assert(mg_config_keeps_header(c, "From"));
	ck_assert(mg_config_keeps_header(c, "from"));
	ck_assert(mg_config_keeps_header(c, "SUBJECT"));
	ck_assert(mg_config_keeps_header(c, "Authentication-Results"));
	ck_assert(mg_config_keeps_header(c, "list-ID"));
	ck_assert(!mg_config_keeps_header(c, "Fro"));
	ck_assert(!mg_config_keeps_header(c, "From "));
	ck_assert(!mg_config_keeps_header(c, "Content-Type"));
	ck_assert(!mg_config_keeps_header(c, "X-Mugaika-Status"));
	ck_assert(!mg_config_keeps_header(c, ""));
	ck_assert(!mg_config_keeps_header(c, NULL));
	mg_config_unref(c);

	c = load_ok("keep_headers = X-Custom\n");
	ck_assert(mg_config_keeps_header(c, "x-CUSTOM"));
	ck_assert(!mg_config_keeps_header(c, "From"));
	mg_config_unref(c);
}
END_TEST

START_TEST(test_refcount)
{
	mg_config *c = load_ok("subject_tag = x\n");

	ck_assert_ptr_eq(mg_config_ref(c), c);
	ck_assert_int_eq(c->refcount, 2);
	mg_config_unref(c);
	ck_assert_int_eq(c->refcount, 1);
	ck_assert_str_eq(c->subject_tag, "x");	/* still alive */
	mg_config_unref(c);			/* freed: ASan sees misuse */
	mg_config_unref(NULL);
}
END_TEST

/* ---- the table and its documents ---------------------------------------------- */

START_TEST(test_table)
{
	size_t n;
	const mg_setting *t = mg_settings(&n);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *closed = g_hash_table_new(g_str_hash, g_str_equal);

	ck_assert_ptr_eq(mg_settings(NULL), t);
	ck_assert_uint_ge(n, 28);	/* engine, limits, milter, testing at least */
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(g_hash_table_add(seen, (char *)t[i].name),
			      "%s twice", t[i].name);
		ck_assert_msg(t[i].doc && *t[i].doc && t[i].section && t[i].def,
			      "%s lacks a doc, section or default", t[i].name);
		ck_assert_msg((t[i].type == MG_T_ENUM) == (t[i].choices != NULL),
			      "%s: choices", t[i].name);
		if (i && strcmp(t[i].section, t[i - 1].section) != 0)
			g_hash_table_add(closed, (char *)t[i - 1].section);
		ck_assert_msg(!g_hash_table_contains(closed, t[i].section),
			      "%s: section '%s' is not contiguous", t[i].name,
			      t[i].section);
	}
	g_hash_table_destroy(seen);
	g_hash_table_destroy(closed);
}
END_TEST

/* Prints a unified-diff-like hint: the lines that differ (between the
 * common head and the common tail, at most 8 of each) with 3 before. */
static void
print_diff_hint(const char *file_text, const char *sample)
{
	char **a = g_strsplit(file_text, "\n", -1), **b = g_strsplit(sample, "\n", -1);
	guint i = 0, na = g_strv_length(a), nb = g_strv_length(b);

	while (i < na && i < nb && strcmp(a[i], b[i]) == 0)
		i++;
	while (na > i && nb > i && strcmp(a[na - 1], b[nb - 1]) == 0)
		na--, nb--;
	fprintf(stderr, "--- conf/mugaika.conf\n+++ mg_config_sample()\n@@ line %u @@\n", i + 1);
	for (guint k = i >= 3 ? i - 3 : 0; k < i; k++)
		fprintf(stderr, " %s\n", a[k]);
	for (guint k = i; k < na && k < i + 8; k++)
		fprintf(stderr, "-%s\n", a[k]);
	for (guint k = i; k < nb && k < i + 8; k++)
		fprintf(stderr, "+%s\n", b[k]);
	fprintf(stderr, "To regenerate: tests/unit/test_conf --print-sample > "
		"conf/mugaika.conf\n");
	g_strfreev(a);
	g_strfreev(b);
}

START_TEST(test_sample_file_is_generated)
{
	char *file = read_src("conf/mugaika.conf");
	char *sample = mg_config_sample();
	bool same = strcmp(file, sample) == 0;

	if (!same)
		print_diff_hint(file, sample);
	ck_assert_msg(same, "conf/mugaika.conf differs from mg_config_sample() "
		      "(see the hint above)");
	g_free(file);
	g_free(sample);
}
END_TEST

/* Display columns: wide (CJK) characters count two. */
static size_t
columns(const char *s)
{
	size_t n = 0;
	for (; *s; s = g_utf8_next_char(s))
		n += g_unichar_iswide(g_utf8_get_char(s)) ? 2 : 1;
	return n;
}

START_TEST(test_sample_shape)
{
	char *sample = mg_config_sample();
	char **lines = g_strsplit(sample, "\n", -1);
	size_t n;
	const mg_setting *t = mg_settings(&n);

	ck_assert(g_str_has_suffix(sample, "\n"));
	for (int i = 0; lines[i]; i++) {
		ck_assert_msg(!*lines[i] || lines[i][0] == '#', "line %d: %s", i + 1, lines[i]);
		ck_assert_msg(columns(lines[i]) <= 76, "line %d too long: %s", i + 1, lines[i]);
		ck_assert_msg(!g_str_has_suffix(lines[i], " "), "line %d ends in a space", i + 1);
	}
	for (size_t i = 0; i < n; i++) {
		char *want = g_strdup_printf("\n#%s =", t[i].name);
		ck_assert_msg(strstr(sample, want), "sample lacks %s", t[i].name);
		g_free(want);
		ck_assert_msg(strstr(sample, t[i].section), "no heading %s", t[i].section);
	}
	g_strfreev(lines);
	g_free(sample);
}
END_TEST

START_TEST(test_sample_file_loads_to_defaults)
{
	char *path = g_build_filename(srcdir(), "conf/mugaika.conf", NULL);
	char *err = NULL;
	mg_config *c = mg_config_load(path, &err);
	mg_config *d = mg_config_new_defaults();

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_msg(config_diff(c, d) == NULL, "%s differs", config_diff(c, d));
	mg_config_unref(c);
	mg_config_unref(d);
	g_free(path);
}
END_TEST

/* Uncommenting every "#name = default" line (and its continuation lines)
 * of the sample still gives the defaults. */
START_TEST(test_sample_uncommented_is_defaults)
{
	char *sample = mg_config_sample();
	char **lines = g_strsplit(sample, "\n", -1);
	GString *text = g_string_new(NULL);
	int settings_seen = 0;

	for (int i = 0; lines[i]; i++) {
		const char *l = lines[i];
		bool setting = l[0] == '#' && g_ascii_islower(l[1]);
		bool continued = g_str_has_prefix(l, "#  ");
		settings_seen += setting;
		g_string_append_printf(text, "%s\n", setting || continued ? l + 1 : l);
	}
	size_t n_settings;
	mg_settings(&n_settings);
	ck_assert_int_eq(settings_seen, (int)n_settings);
	mg_config *c = load_ok(text->str);
	mg_config *d = mg_config_new_defaults();
	ck_assert_msg(config_diff(c, d) == NULL, "%s differs", config_diff(c, d));
	mg_config_unref(c);
	mg_config_unref(d);
	g_string_free(text, TRUE);
	g_strfreev(lines);
	g_free(sample);
}
END_TEST

START_TEST(test_manpage_matches_table)
{
	char *man = read_src("man/mugaika.conf.5");
	char *diff = mg_config_check_manpage(man);

	ck_assert_msg(diff == NULL, "man/mugaika.conf.5 and the table differ:\n%s", diff);
	ck_assert(strstr(man, ".\\\" CHARSET-POLICY"));
	g_free(man);
}
END_TEST

/* The check finds each kind of drift, made in a copy of the real page
 * (every occurrence of find replaced). */
static const struct {
	const char *find, *replace;
	const char *want;
} drifts[] = {
	{ ".B max_parts\n", ".B max_partz\n",
	  "man page lacks setting 'max_parts'\n" },
	{ "Default: \\fI32\\fR", "Default: \\fI33\\fR",
	  "man page: max_mime_depth: no 'Default: 32'\n" },
	{ "Default: \\fI64M\\fR", "Default: \\fI64MB\\fR",
	  "man page: max_message_size: no 'Default: 64M'\n" },
	{ "always_convert", "always",
	  "man page: html_mode: no 'always_convert'\n" },
	{ "A number, 1..1000.", "A number, 1..100.",
	  "man page: max_mime_depth: no '1..1000'\n" },
	{ ".SH \"CHARSET MAPPING\"", ".TP\n.B bogus_setting\nDefault: \\fI1\\fR\n"
	  ".SH \"CHARSET MAPPING\"",
	  "man page documents 'bogus_setting', which is not a setting\n" },
	{ ".SH \"CHARSET MAPPING\"", ".TP\n.B links\nDefault: \\fIdefang\\fR\n"
	  ".SH \"CHARSET MAPPING\"",
	  "man page: links: documented 2 times\n" },
	{ ".SS Limits\n", ".SS \"Limits\"\n", NULL },
};

START_TEST(test_manpage_check_finds_drift)
{
	char *man = read_src("man/mugaika.conf.5");
	GString *page = g_string_new(man);

	ck_assert_uint_ge(g_string_replace(page, drifts[_i].find, drifts[_i].replace, 0), 1);
	char *diff = mg_config_check_manpage(page->str);
	if (drifts[_i].want && strstr(drifts[_i].want, "lacks"))
		ck_assert_msg(diff && strstr(diff, drifts[_i].want), "got: %s", diff);
	else if (drifts[_i].want)
		ck_assert_str_eq(diff ? diff : "(none)", drifts[_i].want);
	else
		ck_assert_msg(diff == NULL, "got: %s", diff);
	g_free(diff);
	g_string_free(page, TRUE);
	g_free(man);
}
END_TEST

START_TEST(test_manpage_check_sections)
{
	char *man = read_src("man/mugaika.conf.5");
	GString *page = g_string_new(man);
	char *diff;

	g_string_replace(page, ".SS Limits\n", ".SS Limitz\n", 1);
	diff = mg_config_check_manpage(page->str);
	ck_assert_ptr_nonnull(diff);
	ck_assert(strstr(diff, "man page: max_parts: under 'Limitz', the table "
			 "has it under 'Limits'\n"));
	g_free(diff);

	diff = mg_config_check_manpage("");
	ck_assert(diff && strstr(diff, "man page lacks setting 'output_charset'\n"));
	ck_assert(strstr(diff, "man page lacks setting 'max_processing_time'\n"));
	g_free(diff);
	g_string_free(page, TRUE);
	g_free(man);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *values = tcase_create("values");
	TCase *format = tcase_create("format");
	TCase *errs = tcase_create("errors");
	TCase *docs = tcase_create("docs");

	tcase_add_checked_fixture(values, setup, teardown);
	tcase_add_test(values, test_defaults);
	tcase_add_test(values, test_every_type);
	tcase_add_loop_test(values, test_enum_values, 0, (int)G_N_ELEMENTS(enums));
	tcase_add_loop_test(values, test_sizes, 0, (int)G_N_ELEMENTS(sizes));
	tcase_add_test(values, test_uint_bounds);
	tcase_add_test(values, test_empty_values);
	tcase_add_test(values, test_keeps_header);
	tcase_add_test(values, test_refcount);
	suite_add_tcase(s, values);

	tcase_add_checked_fixture(format, setup, teardown);
	tcase_add_test(format, test_empty_file);
	tcase_add_test(format, test_continuation);
	tcase_add_test(format, test_comments_and_spacing);
	tcase_add_test(format, test_repeated_setting_later_wins);
	suite_add_tcase(s, format);

	tcase_add_checked_fixture(errs, setup, teardown);
	tcase_add_loop_test(errs, test_errors, 0, (int)G_N_ELEMENTS(errors));
	tcase_add_test(errs, test_nul_byte);
	tcase_add_test(errs, test_unreadable);
	suite_add_tcase(s, errs);

	tcase_add_checked_fixture(docs, setup, teardown);
	tcase_add_test(docs, test_table);
	tcase_add_test(docs, test_sample_file_is_generated);
	tcase_add_test(docs, test_sample_shape);
	tcase_add_test(docs, test_sample_file_loads_to_defaults);
	tcase_add_test(docs, test_sample_uncommented_is_defaults);
	tcase_add_test(docs, test_manpage_matches_table);
	tcase_add_loop_test(docs, test_manpage_check_finds_drift, 0, (int)G_N_ELEMENTS(drifts));
	tcase_add_test(docs, test_manpage_check_sections);
	suite_add_tcase(s, docs);
	return s;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print-sample") == 0) {
		char *sample = mg_config_sample();
		fputs(sample, stdout);
		g_free(sample);
		return EXIT_SUCCESS;
	}
	SRunner *sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
