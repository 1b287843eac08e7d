/*
 * test_corpus.c - every message of the third-party corpus through the
 * engine, in-process, with the safe-message invariants checked on each.
 *
 * The corpus lives outside the project (MG_CORPUS_DIR, default
 * ../shared/corpus): a fresh clone without it skips this test (exit 77) and
 * says why.  Each message is sanitized with both output charsets, and the
 * invariants of DESIGN.md are asserted on the result: it parses again; it is
 * one text/plain part; its declared charset decodes it; no HTML markup from
 * an HTML part leaks into it; every removed part is named in the notice; the
 * original Subject survives.  Per-invariant counts are printed, then a line
 * "corpus: N passed, N failed" (messages x charsets).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "html2text.h"
#include "japanese.h"
#include "conf.h"
#include "sanitize.h"

#ifndef MG_CORPUS_DIR
#define MG_CORPUS_DIR "../shared/corpus"
#endif

enum { INV_PARSES, INV_SINGLE_TEXT, INV_CHARSET, INV_NO_HTML, INV_REMOVED_NAMED,
       INV_SUBJECT, INV_JAPANESE, INV_COUNT };

static const char *const inv_names[INV_COUNT] = {
	"parses again", "one text/plain part", "charset decodes", "no HTML markup",
	"removed parts named", "subject kept", "japanese text kept",
};

typedef struct {
	unsigned checked[INV_COUNT], held[INV_COUNT];
	unsigned passed, failed;
	unsigned jruns_found[2], jruns_total[2];   /* per output charset */
	unsigned archives, encrypted, mismatches, detections;  /* with the utf-8 run */
	bool password_zip_seen, password_zip_found; /* the SpamAssassin password zip */
	mg_scanner *scanner;                       /* the project's test signatures */
	GHashTable *japanese;                      /* file names tagged japanese */
} tally;

static void collect_files(const char *dir, GPtrArray *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = g_build_filename(dir, e->d_name, NULL);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			collect_files(path, out);
			g_free(path);
		} else if (g_str_has_suffix(e->d_name, ".eml")) {
			g_ptr_array_add(out, path);
		} else {
			g_free(path);
		}
	}
	closedir(d);
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GMimeMessage *parse_output(const mg_result *r)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(r->message, r->message_len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	return m;
}

/* The delivered text, decoded strictly with its declared charset; NULL when
 * it does not decode. */
static char *delivered_text(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	size_t outlen = 0;

	g_mime_data_wrapper_write_to_stream(w, mem);
	GByteArray *b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	char *text = charset ? mg_charset_convert_strict((const char *)b->data, b->len,
							 charset, &outlen) : NULL;
	if (text && !mg_utf8_valid(text, outlen)) {
		g_free(text);
		text = NULL;
	}
	g_object_unref(mem);
	return text;
}

static bool has_markup(const char *text)
{
	static const char *const tags[] = {
		"<html", "<body", "<head>", "<div", "<span", "<table", "<script", "<style",
		"<p>", "<br>", "<br/>", "<br />", "<a href", "<img ", "</p>", "</div>",
		"</a>", "</html>", "</body>", "</td>", "<font", "</font>",
	};
	char *lower = g_ascii_strdown(text, -1);
	bool found = false;

	for (size_t i = 0; i < G_N_ELEMENTS(tags) && !found; i++)
		found = strstr(lower, tags[i]) != NULL;
	g_free(lower);
	return found;
}

static bool removed_named(const mg_verdict *v, const char *text)
{
	for (guint i = 0; i < v->removed->len; i++) {
		const mg_removed *r = v->removed->pdata[i];
		char *label = g_strdup_printf("[%u] %s", i + 1, r->filename ? r->filename : "");
		bool ok = strstr(text, label) && (!r->sha256[0] || strstr(text, r->sha256));
		g_free(label);
		if (!ok)
			return false;
	}
	return true;
}

static char *collapse_ws(const char *s)
{
	GString *o = g_string_new(NULL);
	bool space = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			space = true;
			continue;
		}
		if (space && o->len)
			g_string_append_c(o, ' ');
		space = false;
		g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

static bool subject_kept(const mg_verdict *v, GMimeMessage *out)
{
	if (!v->subject || !*v->subject)
		return true;
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(out));
	GMimeHeader *h = g_mime_header_list_get_header(hl, "Subject");
	if (!h)
		return false;
	char *got = mg_header_decode(g_mime_header_get_raw_value(h), NULL);
	char *a = collapse_ws(got), *b = collapse_ws(v->subject);
	bool ok = strcmp(a, b) == 0;
	g_free(got);
	g_free(a);
	g_free(b);
	return ok;
}

static bool is_japanese(const tally *t, const char *file)
{
	const char *base = strrchr(file, '/');
	const char *dir = base;

	if (!base || !t->japanese)
		return false;
	while (dir > file && dir[-1] != '/')
		dir--;
	return g_hash_table_contains(t->japanese, dir);   /* "source/name.eml" */
}

/* Every run of Japanese text in the readable parts of the original is in
 * the delivered text, compared after the mapping policy and NFKC. */
static bool japanese_kept(tally *t, const char *file, const char *raw, size_t len, const char *text, bool jis)
{
	GPtrArray *runs = mg_test_japanese_runs(raw, len);
	char *have = mg_test_japanese_normalise(text);
	bool all = true;

	if (getenv("MG_CORPUS_VERBOSE"))
		printf("  %s: %u Japanese run(s): %s\n", file, runs->len,
		       runs->len ? (char *)runs->pdata[0] : "");
	for (guint i = 0; i < runs->len; i++) {
		bool found = strstr(have, runs->pdata[i]) != NULL;
		t->jruns_total[jis]++;
		t->jruns_found[jis] += found;
		if (!found && all)
			printf("  missing Japanese run: %s\n", (char *)runs->pdata[i]);
		all = all && found;
	}
	g_ptr_array_free(runs, TRUE);
	g_free(have);
	return all;
}

/* The corpus's MANIFEST.tsv: files tagged japanese, as "source/name.eml". */
static GHashTable *load_japanese(const char *dir)
{
	char *path = g_build_filename(dir, "MANIFEST.tsv", NULL);
	char *data = NULL;
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (g_file_get_contents(path, &data, NULL, NULL)) {
		char **lines = g_strsplit(data, "\n", -1);
		for (char **l = lines; *l; l++) {
			char **cols = g_strsplit(*l, "\t", -1);
			guint n = g_strv_length(cols);
			if (n >= 6) {
				char **tags = g_strsplit(cols[n - 1], ",", -1);
				if (g_strv_contains((const char *const *)tags, "japanese"))
					g_hash_table_add(set, g_strdup(cols[0]));
				g_strfreev(tags);
			}
			g_strfreev(cols);
		}
		g_strfreev(lines);
	}
	g_free(data);
	g_free(path);
	return set;
}

static bool has_finding(const mg_removed *r, const char *code)
{
	return r->findings && g_strv_contains((const char *const *)r->findings, code);
}

/* What the classifier and the scanner found, for the counts. */
static void count_threats(tally *t, const char *file, const mg_verdict *v)
{
	t->password_zip_seen = t->password_zip_seen || strstr(file, "zippwmacro");
	for (guint i = 0; i < v->removed->len; i++) {
		const mg_removed *r = v->removed->pdata[i];
		bool enc = has_finding(r, "encrypted_archive");
		t->archives += r->members && r->members->len;
		t->encrypted += enc || has_finding(r, "encrypted_document");
		t->mismatches += has_finding(r, "type_mismatch");
		if (enc && strstr(file, "zippwmacro"))
			t->password_zip_found = true;
	}
	t->detections += v->detections->len;
}

static void check(tally *t, int inv, bool ok, const char *file, const char *charset, bool *all)
{
	t->checked[inv]++;
	if (ok) {
		t->held[inv]++;
		return;
	}
	*all = false;
	printf("FAIL %s [%s]: %s\n", file, charset, inv_names[inv]);
}

static void check_one(tally *t, const char *file, const char *raw, size_t len, mg_config *cfg)
{
	const char *cs = cfg->output_charset == MG_OUT_ISO2022JP ? "iso-2022-jp" : "utf-8";
	mg_result *r = mg_engine_run(raw, len, cfg, t->scanner, MG_MODE_SANITIZE,
				     "20260101T000000Z-CORPUS", 0);
	GMimeMessage *out = parse_output(r);
	GMimeObject *body = out ? g_mime_message_get_mime_part(out) : NULL;
	GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;
	bool single = body && GMIME_IS_PART(body) && ct && g_mime_content_type_is_type(ct, "text", "plain");
	char *text = single ? delivered_text(GMIME_PART(body)) : NULL;
	const mg_verdict *v = r->verdict;
	bool all = true;

	check(t, INV_PARSES, out != NULL, file, cs, &all);
	check(t, INV_SINGLE_TEXT, single, file, cs, &all);
	check(t, INV_CHARSET, text != NULL, file, cs, &all);
	if (text && v->html_parts && v->html_parts == v->text_parts)
		check(t, INV_NO_HTML, !has_markup(text), file, cs, &all);
	if (text && v->removed->len)
		check(t, INV_REMOVED_NAMED, removed_named(v, text), file, cs, &all);
	if (out)
		check(t, INV_SUBJECT, subject_kept(v, out), file, cs, &all);
	if (text && is_japanese(t, file))
		check(t, INV_JAPANESE, japanese_kept(t, file, raw, len, text,
						    cfg->output_charset == MG_OUT_ISO2022JP),
		      file, cs, &all);
	if (cfg->output_charset == MG_OUT_UTF8)
		count_threats(t, file, v);
	if (all)
		t->passed++;
	else
		t->failed++;
	g_free(text);
	if (out)
		g_object_unref(out);
	mg_result_free(r);
}

/* libclamav with testdata/clamav (MG_SRCDIR); NULL (and said) when it
 * cannot load, and the test fails. */
static mg_scanner *load_test_scanner(void)
{
	const char *src = getenv("MG_SRCDIR");
	mg_config *cfg = mg_config_new_defaults();
	char *err = NULL;

	g_free(cfg->clamav_database);
	cfg->clamav_database = g_build_filename(src ? src : MG_SRCDIR, "testdata", "clamav", NULL);
	mg_scanner *s = mg_scanner_load(cfg, &err);
	if (!s)
		printf("FAIL cannot load the test signatures: %s\n", err ? err : "?");
	g_free(err);
	mg_config_unref(cfg);
	return s;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("MG_CORPUS_DIR");
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	tally t = { 0 };

	if (!dir || !*dir)
		dir = MG_CORPUS_DIR;
	collect_files(dir, files);
	if (files->len == 0) {
		printf("corpus: skipped: no .eml files under %s (a fresh clone has no "
		       "../shared/corpus; point --with-corpus=DIR or MG_CORPUS_DIR at one)\n", dir);
		g_ptr_array_free(files, TRUE);
		return 77;
	}
	g_ptr_array_sort(files, cmp_str);
	mg_engine_init();
	t.japanese = load_japanese(dir);
	t.scanner = load_test_scanner();
	if (!t.scanner)
		t.failed++;
	mg_config *utf8 = mg_config_new_defaults(), *jis = mg_config_new_defaults();
	jis->output_charset = MG_OUT_ISO2022JP;
	for (guint i = 0; i < files->len; i++) {
		const char *file = files->pdata[i];
		char *raw = NULL;
		gsize len = 0;
		if (!g_file_get_contents(file, &raw, &len, NULL)) {
			printf("FAIL %s: cannot read\n", file);
			t.failed++;
			continue;
		}
		check_one(&t, file, raw, len, utf8);
		check_one(&t, file, raw, len, jis);
		g_free(raw);
	}
	printf("corpus: %u messages from %s, each with utf-8 and iso-2022-jp output\n", files->len, dir);
	for (int i = 0; i < INV_COUNT; i++)
		printf("  %-22s %u/%u\n", inv_names[i], t.held[i], t.checked[i]);
	printf("  japanese runs found   utf-8 %u/%u, iso-2022-jp %u/%u (in %u messages tagged japanese)\n",
	       t.jruns_found[0], t.jruns_total[0], t.jruns_found[1], t.jruns_total[1],
	       g_hash_table_size(t.japanese));
	printf("  archives listed %u, encrypted files %u, type mismatches %u, detections %u\n",
	       t.archives, t.encrypted, t.mismatches, t.detections);
	printf("  SpamAssassin password zip found encrypted: %s\n", t.password_zip_found ? "yes" : "NO");
	if (!t.password_zip_found && t.password_zip_seen) {
		printf("FAIL spam__olevbmacro__zippwmacro.eml: password zip not found\n");
		t.failed++;
	}
	printf("corpus: %u passed, %u failed\n", t.passed, t.failed);
	if (t.scanner)
		mg_scanner_unref(t.scanner);
	g_hash_table_destroy(t.japanese);
	mg_config_unref(utf8);
	mg_config_unref(jis);
	g_ptr_array_free(files, TRUE);
	return t.failed ? 1 : 0;
}
