/*
 * japanese.c - reference extraction of Japanese text runs (see japanese.h).
 *
 * Decoding goes through the project's charset layer and HTML converter on
 * purpose: the issue asks that text decodable with the label (or with the
 * detected charset when the label is wrong) comes out whole.  What this
 * checks is that nothing between decoding and delivery loses it.
 */
#include "japanese.h"

#include <gmime/gmime.h>
#include <string.h>

#include "charset.h"
#include "html2text.h"

static bool japanese_char(gunichar c)
{
	return (c >= 0x3041 && c <= 0x30FF) ||   /* hiragana, katakana */
	       (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF) ||   /* compatibility ideographs */
	       (c >= 0xFF66 && c <= 0xFF9F);     /* half-width katakana */
}

char *mg_test_japanese_normalise(const char *utf8)
{
	char *mapped = mg_charset_map_for_jis(utf8);
	char *nfkc = g_utf8_normalize(mapped, -1, G_NORMALIZE_NFKC);

	g_free(mapped);
	return nfkc ? nfkc : g_strdup("");
}

static void add_runs(const char *text, GPtrArray *runs)
{
	char *norm = mg_test_japanese_normalise(text);
	const char *p = norm, *start = NULL;
	unsigned n = 0;

	for (;; p = g_utf8_next_char(p)) {
		gunichar c = *p ? g_utf8_get_char(p) : 0;
		if (c && japanese_char(c)) {
			if (!start)
				start = p;
			n++;
			continue;
		}
		if (start && n >= 1)
			g_ptr_array_add(runs, g_strndup(start, (gsize)(p - start)));
		start = NULL;
		n = 0;
		if (!c)
			break;
	}
	g_free(norm);
}

static GByteArray *decode_part(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GByteArray *b = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(b);

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (w)
		g_mime_data_wrapper_write_to_stream(w, mem);
	g_object_unref(mem);
	return b;
}

static void leaf_runs(GMimeObject *obj, GPtrArray *runs)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	bool html = ct && g_mime_content_type_is_type(ct, "text", "html");
	bool plain = !ct || g_mime_content_type_is_type(ct, "text", "plain");

	if (!GMIME_IS_PART(obj) || (!html && !plain) ||
	    (cd && g_mime_content_disposition_is_attachment(cd)))
		return;
	GByteArray *b = decode_part(GMIME_PART(obj));
	const char *label = g_mime_object_get_content_type_parameter(obj, "charset");
	char *sniffed = html && !label ? mg_html_sniff_charset((const char *)b->data, b->len) : NULL;
	size_t n = 0;
	char *utf8 = mg_charset_to_utf8((const char *)b->data, b->len, label ? label : sniffed, NULL, &n);
	if (html) {
		mg_html_opts opts = { .max_depth = 512 };
		char *text = mg_html_to_text(utf8, n, &opts, NULL, NULL);
		add_runs(text, runs);
		g_free(text);
	} else {
		add_runs(utf8, runs);
	}
	g_free(utf8);
	g_free(sniffed);
	g_byte_array_free(b, TRUE);
}

static void object_runs(GMimeObject *obj, GPtrArray *runs, unsigned depth);

static void multipart_runs(GMimeMultipart *mp, GPtrArray *runs, unsigned depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	int n = g_mime_multipart_get_count(mp), only = -1;

	if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
		for (int i = 0; i < n; i++) {
			GMimeContentType *c = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, i));
			if (c && g_mime_content_type_is_type(c, "text", "plain"))
				only = i;
		}
		if (only < 0)
			only = n - 1;
	}
	if (GMIME_IS_MULTIPART_ENCRYPTED(mp))
		return;
	for (int i = 0; i < n; i++)
		if (only < 0 || i == only)
			object_runs(g_mime_multipart_get_part(mp, i), runs, depth + 1);
}

static void object_runs(GMimeObject *obj, GPtrArray *runs, unsigned depth)
{
	if (depth > 30)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		multipart_runs(GMIME_MULTIPART(obj), runs, depth);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = m ? g_mime_message_get_mime_part(m) : NULL;
		if (body)
			object_runs(body, runs, depth + 1);
	} else {
		leaf_runs(obj, runs);
	}
}

GPtrArray *mg_test_japanese_runs(const char *raw, size_t len)
{
	GPtrArray *runs = g_ptr_array_new_with_free_func(g_free);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimeObject *body = m ? g_mime_message_get_mime_part(m) : NULL;

	if (body)
		object_runs(body, runs, 0);
	if (m)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	return runs;
}
