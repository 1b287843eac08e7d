/*
 * mimewalk.c - the depth-first walk over the MIME tree (see mimewalk.h).
 *
 * Structure is handled here (multiparts, alternatives, signed and encrypted
 * containers, attached messages, limits); readable leaves are handed to
 * textpart.c; everything else is recorded as removed with its decoded size
 * and SHA-256.  Part numbers follow IMAP: "1", "2.1", ...
 */
#include "mimewalk.h"

#include <openssl/evp.h>
#include <string.h>

#include "charset.h"
#include "inspect.h"
#include "names.h"
#include "textpart.h"

typedef enum { MODE_RENDER, MODE_DROP_TEXT } walk_mode;

static void walk_object(mg_walk *w, GMimeObject *obj, const char *path, unsigned depth,
			walk_mode mode, GString *out);

static char *child_path(const char *path, int i)
{
	return *path ? g_strdup_printf("%s.%d", path, i + 1) : g_strdup_printf("%d", i + 1);
}

static const char *raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;

	return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* Decoded, display-safe file name of a part, or NULL. */
static char *part_filename(GMimeObject *obj)
{
	const char *cd = raw_header(obj, "Content-Disposition");
	const char *ct = raw_header(obj, "Content-Type");
	char *name = cd ? mg_header_param(cd, "filename", NULL) : NULL;

	if (!name && ct)
		name = mg_header_param(ct, "name", NULL);
	if (!name)
		return NULL;
	char *safe = mg_name_display(name, MG_NAME_MAX_CHARS);
	g_free(name);
	return safe;
}

static char *part_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	char *lower = g_ascii_strdown(type, -1);

	g_free(type);
	return lower;
}

static const char *part_disposition(GMimeObject *obj)
{
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);

	if (!cd)
		return NULL;
	return g_mime_content_disposition_is_attachment(cd) ? "attachment" : "inline";
}

mg_removed *mg_walk_removed(mg_walk *w, const char *path, const char *filename, const char *type,
			   const char *disposition, const char *why, const guint8 *data, size_t len)
{
	mg_removed *r = g_new0(mg_removed, 1);

	r->part = g_strdup(path);
	r->filename = g_strdup(filename);
	r->content_type = g_strdup(type);
	r->disposition = g_strdup(disposition);
	r->why = g_strdup(why);
	r->size = len;
	if (data) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1)
			for (unsigned i = 0; i < mdlen && i < 32; i++)
				g_snprintf(r->sha256 + 2 * i, 3, "%02x", md[i]);
	}
	mg_verdict_add_removed(w->v, r);
	mg_verdict_add_reason(w->v, strcmp(why, "inline") == 0 ? MG_R_INLINE : MG_R_ATTACHMENT);
	return r;
}

GByteArray *mg_walk_decode(mg_walk *w, GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	size_t budget = w->cfg->max_decoded_bytes;

	if (!content)
		return g_byte_array_new();
	GMimeStream *src = g_mime_data_wrapper_get_stream(content);
	gint64 enc_len = src ? g_mime_stream_length(src) : 0;
	if (enc_len > 0 && w->decoded + (size_t)enc_len / 2 > budget) {
		mg_verdict_limit(w->v, "max_decoded_bytes", budget, w->decoded + (size_t)enc_len);
		return NULL;
	}
	GByteArray *bytes = g_byte_array_sized_new(enc_len > 0 ? (guint)enc_len : 64);
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(content, mem);
	g_object_unref(mem);
	w->decoded += bytes->len;
	if (w->decoded > budget) {
		mg_verdict_limit(w->v, "max_decoded_bytes", budget, w->decoded);
		g_byte_array_free(bytes, TRUE);
		return NULL;
	}
	return bytes;
}

void mg_walk_append_text(mg_walk *w, GString *out, const char *text, size_t len)
{
	size_t max = w->cfg->max_text_bytes;

	if (!len)
		return;
	if (w->text_bytes + len > max) {
		mg_verdict_limit(w->v, "max_text_bytes", max, w->text_bytes + len);
		len = max > w->text_bytes ? max - w->text_bytes : 0;
		/* cut at a character boundary */
		while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	if (!len)
		return;
	if (out->len && out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	if (out->len)
		g_string_append_c(out, '\n');
	g_string_append_len(out, text, (gssize)len);
	if (text[len - 1] != '\n')
		g_string_append_c(out, '\n');
	w->text_bytes += len;
}

/* Removes a leaf: decodes it for size and hash and records it. */
static void remove_leaf(mg_walk *w, GMimeObject *obj, const char *path, const char *why)
{
	char *name = part_filename(obj);
	char *type = part_type(obj);
	const char *disp = part_disposition(obj);
	GByteArray *bytes = GMIME_IS_PART(obj) ? mg_walk_decode(w, GMIME_PART(obj)) : NULL;

	const char *declared = raw_header(obj, "Content-Type");

	if (!why)
		why = (disp && strcmp(disp, "inline") == 0) || g_str_has_prefix(type, "image/")
		      ? "inline" : "attachment";
	mg_removed *r = mg_walk_removed(w, path, name, type, disp, why,
					bytes ? bytes->data : NULL, bytes ? bytes->len : 0);
	if (bytes) {
		char *ct = declared ? g_strstrip(g_strdup(declared)) : g_strdup(type);
		mg_inspect_removed(w, r, ct, bytes->data, bytes->len);
		g_free(ct);
	}
	if (bytes)
		g_byte_array_free(bytes, TRUE);
	g_free(name);
	g_free(type);
}

/* Checks the part and time limits before a leaf; true when the walk must stop. */
static bool over_limits(mg_walk *w)
{
	if (w->stopped)
		return true;
	if (w->leaves > w->cfg->max_parts) {
		mg_verdict_limit(w->v, "max_parts", w->cfg->max_parts, w->leaves);
		w->stopped = true;
	} else if (w->deadline && g_get_monotonic_time() > w->deadline) {
		mg_verdict_limit(w->v, "max_processing_time", w->cfg->max_processing_time,
				 w->cfg->max_processing_time + 1);
		w->stopped = true;
	}
	return w->stopped;
}

/* Counts one more leaf; false (and the leaf counted as skipped) when a
 * limit stops the walk before it. */
static bool take_leaf(mg_walk *w)
{
	w->leaves++;
	w->v->parts++;
	if (!over_limits(w))
		return true;
	w->skipped++;
	return false;
}

static bool is_signature_type(const char *type)
{
	return strcmp(type, "application/pkcs7-signature") == 0 ||
	       strcmp(type, "application/x-pkcs7-signature") == 0 ||
	       strcmp(type, "application/pgp-signature") == 0;
}

static bool is_encrypted_type(GMimeObject *obj, const char *type)
{
	if (strcmp(type, "application/pgp-encrypted") == 0)
		return true;
	if (strcmp(type, "application/pkcs7-mime") != 0 &&
	    strcmp(type, "application/x-pkcs7-mime") != 0)
		return false;
	/* enveloped-data, or signed-data we cannot unwrap: not inspectable */
	(void)obj;
	return true;
}

/* A text alternative that is not rendered is still scanned: the original
 * may be released, and a virus there decides the message's fate. */
static void scan_dropped(mg_walk *w, GMimePart *part, const char *path)
{
	GByteArray *bytes = mg_walk_decode(w, part);

	if (!bytes) {
		mg_verdict_warn(w->v, "part %s: not scanned (max_decoded_bytes)", path);
		return;
	}
	mg_inspect_scan(w, path, NULL, bytes->data, bytes->len);
	g_byte_array_free(bytes, TRUE);
}

static void walk_leaf(mg_walk *w, GMimeObject *obj, const char *path, walk_mode mode,
		      GString *out)
{
	char *type = part_type(obj);
	const char *disp = part_disposition(obj);
	bool attachment = disp && strcmp(disp, "attachment") == 0;

	if (!take_leaf(w)) {
		g_free(type);
		return;
	}
	if (is_signature_type(type)) {
		remove_leaf(w, obj, path, "signature");
		mg_verdict_add_reason(w->v, MG_R_SIGNATURE);
	} else if (is_encrypted_type(obj, type)) {
		remove_leaf(w, obj, path, "encrypted");
		mg_verdict_add_reason(w->v, MG_R_ENCRYPTED);
		mg_verdict_add_reason(w->v, MG_R_CANNOT_INSPECT);
	} else if (strcmp(type, "message/external-body") == 0) {
		remove_leaf(w, obj, path, "external-body");
	} else if (!attachment && GMIME_IS_PART(obj) && mg_textpart_readable(obj)) {
		if (mode == MODE_RENDER)
			mg_textpart_render(w, GMIME_PART(obj), path, out);
		else
			scan_dropped(w, GMIME_PART(obj), path);
	} else {
		remove_leaf(w, obj, path, NULL);
	}
	g_free(type);
}

static bool is_html_like(GMimeObject *obj, unsigned budget)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (ct && g_mime_content_type_is_type(ct, "text", "html"))
		return true;
	if (!GMIME_IS_MULTIPART(obj) || budget == 0)
		return false;
	int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
	for (int i = 0; i < n; i++)
		if (is_html_like(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), budget - 1))
			return true;
	return false;
}

/* Index of the alternative to render. */
static int choose_alternative(mg_walk *w, GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp), plain = -1, html = -1, other = -1;

	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(child);
		if (ct && g_mime_content_type_is_type(ct, "text", "plain"))
			plain = i;
		else if (is_html_like(child, 8))
			html = i;
		else if (GMIME_IS_MULTIPART(child) || mg_textpart_readable(child))
			other = i;
	}
	if (w->cfg->html_mode == MG_HTML_ALWAYS_CONVERT && html >= 0)
		return html;
	if (plain >= 0)
		return plain;
	if (html >= 0)
		return html;
	return other >= 0 ? other : n - 1;
}

/* multipart/encrypted: nothing in it can be read; every part goes. */
static void walk_encrypted(mg_walk *w, GMimeMultipart *mp, const char *path)
{
	int n = g_mime_multipart_get_count(mp);

	mg_verdict_add_reason(w->v, MG_R_ENCRYPTED);
	mg_verdict_add_reason(w->v, MG_R_CANNOT_INSPECT);
	for (int i = 0; i < n; i++) {
		char *cp = child_path(path, i);
		if (take_leaf(w))
			remove_leaf(w, g_mime_multipart_get_part(mp, i), cp, "encrypted");
		g_free(cp);
	}
}

static void walk_multipart(mg_walk *w, GMimeMultipart *mp, const char *path, unsigned depth,
			   walk_mode mode, GString *out)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	bool alternative = ct && g_mime_content_type_is_type(ct, "multipart", "alternative");
	int n = g_mime_multipart_get_count(mp);
	int chosen = alternative && mode == MODE_RENDER ? choose_alternative(w, mp) : -1;

	if (GMIME_IS_MULTIPART_ENCRYPTED(mp)) {
		walk_encrypted(w, mp, path);
		return;
	}
	for (int i = 0; i < n; i++) {
		char *cp = child_path(path, i);
		walk_mode m = mode;
		if (alternative && mode == MODE_RENDER && i != chosen) {
			m = MODE_DROP_TEXT;
			if (is_html_like(g_mime_multipart_get_part(mp, i), 8))
				mg_verdict_add_reason(w->v, MG_R_HTML_CONVERTED);
		}
		walk_object(w, g_mime_multipart_get_part(mp, i), cp, depth + 1, m, out);
		g_free(cp);
	}
}

/* "From: ...", "Date: ...", "Subject: ..." of an attached message. */
static void message_heading(GMimeMessage *msg, GString *out)
{
	static const char *const names[] = { "From", "To", "Cc", "Date", "Subject" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *raw = raw_header(GMIME_OBJECT(msg), names[i]);
		if (!raw)
			continue;
		char *value = mg_header_decode(raw, NULL);
		g_string_append_printf(out, "%s: %s\n", names[i], g_strstrip(value));
		g_free(value);
	}
}

/* Prefixes every line of text with "> " onto out. */
static void append_quoted(mg_walk *w, GString *out, const GString *text)
{
	GString *q = g_string_sized_new(text->len + text->len / 16 + 8);
	const char *p = text->str, *end = text->str + text->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		g_string_append(q, len ? "> " : ">");
		g_string_append_len(q, p, (gssize)len);
		g_string_append_c(q, '\n');
		p += len + 1;
	}
	w->text_bytes -= MIN(w->text_bytes, text->len);  /* counted again below */
	mg_walk_append_text(w, out, q->str, q->len);
	g_string_free(q, TRUE);
}

static void walk_message_part(mg_walk *w, GMimeMessagePart *mpart, const char *path,
			      unsigned depth, walk_mode mode, GString *out)
{
	GMimeMessage *msg = g_mime_message_part_get_message(mpart);
	GString *inner = g_string_new(NULL);

	if (!msg) {
		g_string_free(inner, TRUE);
		return;
	}
	if (mode == MODE_RENDER) {
		g_string_append(inner, w->cfg->notice_language == MG_LANG_EN
				? "---------- Attached message ----------\n"
				: "---------- 添付されたメッセージ ----------\n");
		message_heading(msg, inner);
		w->text_bytes += inner->len;
	}
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body) {
		char *inner_path = GMIME_IS_MULTIPART(body) ? g_strdup(path) : child_path(path, 0);
		walk_object(w, body, inner_path, depth + 1, mode, inner);
		g_free(inner_path);
	}
	if (mode == MODE_RENDER)
		append_quoted(w, out, inner);
	g_string_free(inner, TRUE);
}

static void walk_object(mg_walk *w, GMimeObject *obj, const char *path, unsigned depth,
			walk_mode mode, GString *out)
{
	if (depth > w->cfg->max_mime_depth) {
		if (!w->stopped)
			mg_verdict_limit(w->v, "max_mime_depth", w->cfg->max_mime_depth, depth);
		w->stopped = true;
		w->skipped++;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		walk_multipart(w, GMIME_MULTIPART(obj), path, depth, mode, out);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		w->v->parts++;
		walk_message_part(w, GMIME_MESSAGE_PART(obj), path, depth, mode, out);
	} else if (GMIME_IS_MESSAGE_PARTIAL(obj)) {
		if (take_leaf(w))
			remove_leaf(w, obj, path, "partial");
	} else {
		walk_leaf(w, obj, path, mode, out);
	}
}

void mg_walk_scan_only(mg_walk *w, GMimeMessage *msg)
{
	GMimePartIter *it = g_mime_part_iter_new(GMIME_OBJECT(msg));

	do {
		GMimeObject *obj = g_mime_part_iter_get_current(it);
		if (!obj || !GMIME_IS_PART(obj))
			continue;
		char *path = g_mime_part_iter_get_path(it);
		char *name = part_filename(obj);
		GByteArray *bytes = mg_walk_decode(w, GMIME_PART(obj));
		w->v->parts++;
		if (bytes) {
			mg_inspect_part(w, path, name, bytes->data, bytes->len);
			if (mg_textpart_readable(obj))
				mg_textpart_scan_embedded(w, path, bytes->data, bytes->len);
			g_byte_array_free(bytes, TRUE);
		} else {
			mg_verdict_warn(w->v, "part %s: not scanned (max_decoded_bytes)", path);
		}
		g_free(name);
		g_free(path);
	} while (g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
}

void mg_walk_message(mg_walk *w, GMimeMessage *msg)
{
	GMimeObject *body = g_mime_message_get_mime_part(msg);

	if (w->cfg->max_processing_time)
		w->deadline = g_get_monotonic_time() + (gint64)w->cfg->max_processing_time * G_USEC_PER_SEC;
	if (body)
		walk_object(w, body, GMIME_IS_MULTIPART(body) ? "" : "1", 1, MODE_RENDER, w->text);
	if (w->skipped) {
		mg_walk_removed(w, "-", NULL, "application/octet-stream", NULL, "limit", NULL, 0);
		mg_verdict_warn(w->v, "%u part(s) not processed after a limit was hit", w->skipped);
	}
}
