/*
 * textpart.c - renders one readable leaf as plain text (see textpart.h).
 *
 * Bytes are decoded in two steps: the transfer encoding by GMime
 * (mg_walk_decode), the charset by charset.c, which never drops bytes
 * silently.  The text is then normalised (one kind of line end, no control
 * characters but tab), cleaned of embedded uuencode/yEnc files, its bare
 * URLs rewritten per the links setting, and appended to the walk's output.
 */
#include "textpart.h"

#include <string.h>

#include "charset.h"
#include "html2text.h"
#include "inspect.h"
#include "links.h"
#include "names.h"

bool mg_textpart_readable(GMimeObject *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	const char *media = ct ? g_mime_content_type_get_media_type(ct) : "text";

	return media && g_ascii_strcasecmp(media, "text") == 0;
}

static bool english(const mg_walk *w)
{
	return w->cfg->notice_language == MG_LANG_EN;
}

/* CRLF and CR to LF, NUL dropped, other controls but tab and form feed to '?'. */
static void normalise(GString *s)
{
	size_t o = 0;

	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->str[i];
		if (c == '\r') {
			if (i + 1 < s->len && s->str[i + 1] == '\n')
				continue;
			c = '\n';
		} else if (c == 0) {
			continue;
		} else if ((c < 0x20 && c != '\n' && c != '\t' && c != '\f') || c == 0x7f) {
			c = '?';
		}
		s->str[o++] = (char)c;
	}
	g_string_truncate(s, o);
}

static void note_charset(mg_walk *w, const char *path, const char *declared,
			 const mg_charset_info *info)
{
	w->v->replacements += info->replacements;
	if (info->replacements)
		mg_verdict_add_reason(w->v, MG_R_CHARSET);
	if (info->mislabeled) {
		mg_verdict_add_reason(w->v, MG_R_CHARSET);
		mg_verdict_warn(w->v, "part %s: charset label %s is wrong, decoded as %s",
				path, declared ? declared : "(none)", info->used);
	} else if (info->unlabeled) {
		mg_verdict_add_reason(w->v, MG_R_CHARSET);
		mg_verdict_warn(w->v, "part %s: no charset label, decoded as %s", path, info->used);
	}
	if (info->replacements)
		mg_verdict_warn(w->v, "part %s: %zu undecodable character(s) replaced",
				path, info->replacements);
}

/* Decodes bytes to a UTF-8 GString, charset from the label (or, for HTML,
 * <meta>), recording what charset.c found out. */
static GString *to_utf8(mg_walk *w, GMimePart *part, const char *path,
			const GByteArray *raw, bool html)
{
	const char *declared = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	char *sniffed = NULL;
	mg_charset_info info;
	size_t len = 0;

	memset(&info, 0, sizeof info);
	if (html && (!declared || !*declared))
		declared = sniffed = mg_html_sniff_charset((const char *)raw->data, raw->len);
	char *utf8 = mg_charset_to_utf8((const char *)raw->data, raw->len, declared, &info, &len);
	note_charset(w, path, declared, &info);
	g_free(sniffed);
	GString *s = g_string_new_len(utf8, (gssize)len);
	g_free(utf8);
	normalise(s);
	return s;
}

static char *html_text(mg_walk *w, const char *html, size_t len)
{
	mg_html_opts opts = { .max_depth = w->cfg->max_html_depth,
			      .max_output = w->cfg->max_text_bytes, .english = english(w) };
	mg_html_stats st;

	memset(&st, 0, sizeof st);
	char *text = mg_html_to_text(html, len, &opts, w->links, &st);
	if (st.depth_limited)
		mg_verdict_limit(w->v, "max_html_depth", w->cfg->max_html_depth, st.depth_seen);
	if (st.output_limited)
		mg_verdict_limit(w->v, "max_text_bytes", w->cfg->max_text_bytes, w->cfg->max_text_bytes + 1);
	if (st.incomplete) {
		mg_verdict_add_reason(w->v, MG_R_MALFORMED);
		mg_verdict_warn(w->v, "HTML parser stopped early: some text may be missing");
	}
	return text;
}

/* text/enriched and text/richtext -> HTML by GMime's filter -> text. */
static char *enriched_text(mg_walk *w, const GString *src, bool richtext)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *filtered = g_mime_stream_filter_new(mem);
	GMimeFilter *f = g_mime_filter_enriched_new(richtext ? GMIME_FILTER_ENRICHED_IS_RICHTEXT : 0);

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
	g_object_unref(f);
	g_mime_stream_write(filtered, src->str, src->len);
	g_mime_stream_flush(filtered);
	GByteArray *html = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	char *text = html_text(w, (const char *)html->data, html->len);
	g_object_unref(filtered);
	g_object_unref(mem);
	return text;
}

/* iCalendar value unescaped: \\n, \\, \\; and \\\\ (RFC 5545 3.3.11). */
static void ical_unescape(GString *out, const char *v)
{
	for (; *v; v++) {
		if (*v != '\\' || !v[1]) {
			g_string_append_c(out, *v);
			continue;
		}
		v++;
		g_string_append_c(out, (*v == 'n' || *v == 'N') ? '\n' : *v);
	}
}

/* "20250210T100000" -> "2025-02-10 10:00", with the TZID or UTC noted. */
static void ical_time(GString *out, const char *params, const char *v)
{
	const char *tzid = params ? strstr(params, "TZID=") : NULL;

	if (strspn(v, "0123456789") != 8 || v[8] != 'T' || strspn(v + 9, "0123456789") < 6) {
		ical_unescape(out, v);
		return;
	}
	g_string_append_printf(out, "%.4s-%.2s-%.2s %.2s:%.2s", v, v + 4, v + 6, v + 9, v + 11);
	if (v[15] == 'Z')
		g_string_append(out, " UTC");
	else if (tzid)
		g_string_append_printf(out, " (%.*s)", (int)strcspn(tzid + 5, ";:"), tzid + 5);
}

typedef struct { const char *prop, *ja, *en; bool time; } ical_prop;

static const ical_prop ical_props[] = {
	{ "SUMMARY", "件名", "Summary", false }, { "DTSTART", "開始", "Start", true },
	{ "DTEND", "終了", "End", true }, { "LOCATION", "場所", "Location", false },
	{ "ORGANIZER", "主催者", "Organizer", false },
	{ "DESCRIPTION", "説明", "Description", false },
};

/* One content line "NAME;PARAMS:VALUE" of an event, if it is one we show. */
static void ical_line(const mg_walk *w, GString *out, const char *line)
{
	const char *colon = strchr(line, ':');
	size_t nlen = strcspn(line, ";:");

	if (!colon)
		return;
	for (size_t k = 0; k < G_N_ELEMENTS(ical_props); k++) {
		const ical_prop *p = &ical_props[k];
		if (strlen(p->prop) != nlen || g_ascii_strncasecmp(line, p->prop, nlen) != 0)
			continue;
		const char *params = line[nlen] == ';' ? line + nlen + 1 : NULL;
		const char *value = colon + 1;
		g_string_append_printf(out, "%s: ", english(w) ? p->en : p->ja);
		if (p->time)
			ical_time(out, params, value);
		else
			ical_unescape(out, g_ascii_strncasecmp(value, "mailto:", 7) ? value : value + 7);
		g_string_append_c(out, '\n');
	}
}

/* iCalendar: the useful properties of each VEVENT/VTODO, unfolded and unescaped. */
static char *calendar_text(mg_walk *w, const GString *src)
{
	GString *unfolded = g_string_sized_new(src->len);
	GString *out = g_string_new(english(w) ? "[Calendar]\n" : "[予定表]\n");
	int in_event = 0;

	for (size_t i = 0; i < src->len; i++) {
		if (src->str[i] == '\n' && i + 1 < src->len &&
		    (src->str[i + 1] == ' ' || src->str[i + 1] == '\t')) {
			i++;
			continue;
		}
		g_string_append_c(unfolded, src->str[i]);
	}
	char **lines = g_strsplit(unfolded->str, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (g_ascii_strcasecmp(*l, "BEGIN:VEVENT") == 0 || g_ascii_strcasecmp(*l, "BEGIN:VTODO") == 0)
			in_event++;
		else if (g_ascii_strcasecmp(*l, "END:VEVENT") == 0 || g_ascii_strcasecmp(*l, "END:VTODO") == 0)
			in_event = in_event > 0 ? in_event - 1 : 0;
		else if (in_event)
			ical_line(w, out, *l);
	}
	g_strfreev(lines);
	g_string_free(unfolded, TRUE);
	return g_string_free(out, FALSE);
}

/* Decodes an embedded uuencode or yEnc block for its size and hash. */
static GByteArray *decode_block(const char *data, size_t len, bool yenc)
{
	GByteArray *out = g_byte_array_sized_new((guint)len);
	int state = yenc ? GMIME_YDECODE_STATE_INIT : GMIME_UUDECODE_STATE_BEGIN;
	guint32 save = 0, pcrc = GMIME_YENCODE_CRC_INIT, crc = GMIME_YENCODE_CRC_INIT;

	/* data has LF line ends (normalise(), lf_lines()): GMime's yEnc
	 * decoder would take a CR for data */
	g_byte_array_set_size(out, (guint)len + 16);
	size_t n = yenc
		? g_mime_ydecode_step((const unsigned char *)data, len, out->data, &state, &pcrc, &crc)
		: g_mime_encoding_uudecode_step((const unsigned char *)data, len, out->data, &state, &save);
	g_byte_array_set_size(out, (guint)n);
	return out;
}

/* If line starts an embedded file, its name (caller frees). */
static char *block_start(const char *line, size_t len, bool *yenc)
{
	if (len > 8 && strncmp(line, "=ybegin ", 8) == 0) {
		const char *name = g_strstr_len(line, (gssize)len, " name=");
		*yenc = true;
		return name ? g_strndup(name + 6, len - (size_t)(name + 6 - line)) : g_strdup("");
	}
	if (len > 10 && strncmp(line, "begin ", 6) == 0) {
		size_t d = 0;	/* the line need not end in NUL */
		while (6 + d < len && line[6 + d] >= '0' && line[6 + d] <= '7')
			d++;
		if ((d == 3 || d == 4) && 6 + d < len && line[6 + d] == ' ') {
			*yenc = false;
			return g_strndup(line + 7 + d, len - 7 - d);
		}
	}
	return NULL;
}

static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

static bool block_end(const char *q, const char *end, bool yenc)
{
	if (yenc)
		return end - q >= 5 && strncmp(q, "=yend", 5) == 0;
	return end - q >= 3 && strncmp(q, "end", 3) == 0 &&
	       (q + 3 == end || q[3] == '\n' || q[3] == '\r');
}

/* A uuencode/yEnc block found in a text. */
typedef struct {
	const char *start, *after;	/* its first line; the line after its end */
	const char *data;		/* its encoded lines, data_len bytes */
	size_t data_len;
	char *name;			/* display-safe file name */
	bool yenc;
	GByteArray *bytes;		/* the file, decoded (block_decode); or NULL */
} embedded_block;

/* The next block at or after *p (then *p is its end), not decoded yet,
 * or false. */
static bool next_block(const char **p, const char *end, embedded_block *b)
{
	for (const char *next; *p < end; *p = next) {
		next = next_line(*p, end);
		size_t line_len = (size_t)(next - *p) - (next > *p && next[-1] == '\n');
		b->yenc = false;
		char *name = block_start(*p, line_len, &b->yenc);
		if (!name)
			continue;
		const char *q = next;
		while (q < end && !block_end(q, end, b->yenc))
			q = next_line(q, end);
		b->start = *p;
		b->after = *p = q < end ? next_line(q, end) : end;
		b->data = next;
		b->data_len = (size_t)(q - next);
		b->bytes = NULL;
		b->name = mg_name_display(g_strstrip(name), MG_NAME_MAX_CHARS);
		g_free(name);
		return true;
	}
	return false;
}

static GByteArray *block_decode(embedded_block *b)
{
	if (!b->bytes)
		b->bytes = decode_block(b->data, b->data_len, b->yenc);
	return b->bytes;
}

static void block_clear(embedded_block *b)
{
	if (b->bytes)
		g_byte_array_free(b->bytes, TRUE);
	g_free(b->name);
}

static void block_free(gpointer p)
{
	block_clear(p);
	g_free(p);
}

/* Another block, unless there were max_parts already (then a limit). */
static bool block_allowed(mg_walk *w, unsigned n)
{
	if (n < w->cfg->max_parts)
		return true;
	mg_verdict_limit(w->v, "max_parts", w->cfg->max_parts, n + 1);
	return false;
}

/* data with its line ends made LF (CRLF and a lone CR, as the text is
 * rendered): a CR in a block is never data (yEnc escapes it, uuencode is
 * ASCII).  The caller's. */
static GString *lf_lines(const guint8 *data, size_t len)
{
	GString *s = g_string_sized_new(len);

	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r')
			g_string_append_c(s, (char)data[i]);
		else if (i + 1 == len || data[i + 1] != '\n')
			g_string_append_c(s, '\n');
	return s;
}

/* The blocks of the decoded bytes of a part, before any charset
 * conversion (which would change yEnc's 8-bit data): embedded_block* in
 * order (start and after are not kept), the caller's. */
static GPtrArray *embedded_files(mg_walk *w, const guint8 *data, size_t len)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(block_free);
	GString *lf = lf_lines(data, len);
	const char *p = lf->str, *end = p + lf->len;
	embedded_block b;

	while (block_allowed(w, files->len) && next_block(&p, end, &b)) {
		block_decode(&b);
		b.start = b.after = b.data = NULL;	/* lf is freed below */
		g_ptr_array_add(files, g_memdup2(&b, sizeof b));	/* taken */
	}
	g_string_free(lf, TRUE);
	return files;
}

/* The file of b as decoded from the raw bytes: the next unused raw block
 * of the same name (taken from files), else b decoded from the text. */
static GByteArray *raw_file(embedded_block *b, GPtrArray *files, guint *next)
{
	if (*next < files->len) {
		embedded_block *f = files->pdata[*next];
		if (strcmp(f->name, b->name) == 0 && f->yenc == b->yenc) {
			(*next)++;
			b->bytes = f->bytes;
			f->bytes = g_byte_array_new();	/* used */
			return b->bytes;
		}
	}
	return block_decode(b);
}

/* Raw blocks no block of the text matched (a conversion that moved line
 * ends): scanned all the same. */
static void scan_unmatched(mg_walk *w, const char *path, const GPtrArray *files, guint from)
{
	for (guint i = from; i < files->len; i++) {
		const embedded_block *f = files->pdata[i];
		char *bpath = g_strdup_printf("%s.raw%u", path, i + 1);
		mg_inspect_part(w, bpath, f->name, f->bytes->data, f->bytes->len);
		g_free(bpath);
	}
}

/* Cuts uuencode/yEnc blocks out of text, recording each as removed and
 * inspecting it as an attachment; a block's file is the one decoded from
 * the raw bytes (files) when they line up, and raw blocks left over are
 * scanned too. */
static void cut_embedded_files(mg_walk *w, GString *text, const char *path, GPtrArray *files)
{
	GString *out = NULL;
	const char *p = text->str, *end = text->str + text->len, *copied = p;
	unsigned n = 0;
	guint next = 0;
	embedded_block b;

	while (block_allowed(w, n) && next_block(&p, end, &b)) {
		char *bpath = g_strdup_printf("%s.text%u", path, ++n);
		const GByteArray *file = raw_file(&b, files, &next);
		mg_removed *r = mg_walk_removed(w, bpath, b.name, "application/octet-stream", NULL,
						b.yenc ? "yenc" : "uuencode", file->data, file->len);
		/* a file like any attachment: classified and scanned */
		mg_inspect_removed(w, r, "application/octet-stream", file->data, file->len);
		if (!out)
			out = g_string_sized_new(text->len);
		g_string_append_len(out, copied, b.start - copied);
		g_string_append_printf(out, english(w) ? "[removed: %s]\n" : "[削除: %s]\n", b.name);
		copied = b.after;
		g_free(bpath);
		block_clear(&b);
	}
	scan_unmatched(w, path, files, next);
	if (!out)
		return;
	g_string_append_len(out, copied, end - copied);
	g_string_assign(text, out->str);
	g_string_free(out, TRUE);
}

void mg_textpart_scan_embedded(mg_walk *w, const char *path, const guint8 *data, size_t len)
{
	GPtrArray *files = embedded_files(w, data, len);

	scan_unmatched(w, path, files, 0);
	g_ptr_array_unref(files);
}

static char *render_by_type(mg_walk *w, GMimePart *part, const char *path, GString *utf8,
			    GPtrArray *files)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";

	if (!sub)
		sub = "plain";
	bool rich = g_ascii_strcasecmp(sub, "enriched") == 0 ||
		    g_ascii_strcasecmp(sub, "richtext") == 0;
	if (rich || g_ascii_strcasecmp(sub, "html") == 0 ||
	    g_ascii_strcasecmp(sub, "calendar") == 0)
		scan_unmatched(w, path, files, 0);	/* nothing is cut: scanned all the same */
	if (g_ascii_strcasecmp(sub, "html") == 0) {
		w->v->html_parts++;
		mg_verdict_add_reason(w->v, MG_R_HTML_CONVERTED);
		return html_text(w, utf8->str, utf8->len);
	}
	if (rich) {
		mg_verdict_add_reason(w->v, MG_R_CONVERTED);
		return enriched_text(w, utf8, g_ascii_strcasecmp(sub, "richtext") == 0);
	}
	if (g_ascii_strcasecmp(sub, "calendar") == 0) {
		mg_verdict_add_reason(w->v, MG_R_CONVERTED);
		return calendar_text(w, utf8);
	}
	cut_embedded_files(w, utf8, path, files);
	return g_strdup(utf8->str);
}

void mg_textpart_render(mg_walk *w, GMimePart *part, const char *path, GString *out)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	GByteArray *raw = mg_walk_decode(w, part);

	if (!raw) {
		mg_walk_removed(w, path, NULL, "text/plain", NULL, "limit", NULL, 0);
		return;
	}
	if (mg_inspect_scan(w, path, NULL, raw->data, raw->len)) {
		const mg_detection *d = g_ptr_array_index(w->v->detections, w->v->detections->len - 1);
		mg_removed *r = mg_walk_removed(w, path, NULL, "text/plain", NULL, "virus",
						raw->data, raw->len);
		r->detection = g_strdup(d->name);
		g_byte_array_free(raw, TRUE);
		return;
	}
	GPtrArray *files = embedded_files(w, raw->data, raw->len);
	GString *utf8 = to_utf8(w, part, path, raw, sub && g_ascii_strcasecmp(sub, "html") == 0);
	g_byte_array_free(raw, TRUE);
	char *text = render_by_type(w, part, path, utf8, files);
	g_ptr_array_unref(files);
	g_string_free(utf8, TRUE);
	char *linked = mg_links_in_text(text, (mg_links_mode)w->cfg->links, english(w), w->links);
	w->v->text_parts++;
	mg_walk_append_text(w, out, linked, strlen(linked));
	g_free(linked);
	g_free(text);
}
