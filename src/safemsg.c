/*
 * safemsg.c - header edits and body encoding of the safe message (see
 * safemsg.h).
 *
 * Headers are read from GMime's header lists (the message's and its top
 * part's, which together hold every header of the original) and merged back
 * into their original order by offset.  Edits name a header by name and
 * per-name index, as smfi_chgheader() does; changes come first, then
 * deletes (highest index of a name first), then additions, so each edit's
 * index is valid when it is applied.
 */
#include "safemsg.h"

#include <string.h>

#include "charset.h"
#include "sanitize.h"

typedef struct {
	const char *name;
	const char *raw;      /* raw value: leading space, folds, trailing newline */
	gint64 offset;
	unsigned index;       /* 1-based among headers of this name */
	char *change;         /* new value, when rewritten */
	bool drop;
} hdr;

static const char *const single_headers[] = {
	"from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date",
	"message-id", "in-reply-to", "references", "return-path", NULL,
};
static const char *const address_headers[] = {
	"from", "sender", "to", "cc", "bcc", "reply-to", "resent-from",
	"resent-sender", "resent-to", "resent-cc", NULL,
};
static const char *const id_headers[] = {
	"message-id", "in-reply-to", "references", "date", NULL,
};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (g_ascii_strcasecmp(*list, name) == 0)
			return true;
	return false;
}

void mg_header_edit_free(void *edit)
{
	mg_header_edit *e = edit;

	g_free(e->name);
	g_free(e->value);
	g_free(e);
}

static void add_edit(GPtrArray *edits, mg_edit_kind kind, const char *name, unsigned index,
		     const char *value)
{
	mg_header_edit *e = g_new0(mg_header_edit, 1);

	e->kind = kind;
	e->name = g_strdup(name);
	e->index = index;
	e->value = g_strdup(value);
	g_ptr_array_add(edits, e);
}

static gint by_offset(gconstpointer a, gconstpointer b)
{
	const hdr *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void append_list(GArray *out, GMimeObject *obj)
{
	GMimeHeaderList *list = obj ? g_mime_object_get_header_list(obj) : NULL;
	int n = list ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		hdr x = { .name = g_mime_header_get_name(h), .raw = g_mime_header_get_raw_value(h),
			  .offset = g_mime_header_get_offset(h) };
		if (!x.raw)
			x.raw = "";
		g_array_append_val(out, x);
	}
}

/* Every header of the original in order, each with its per-name index. */
static GArray *collect(GMimeMessage *msg)
{
	GArray *all = g_array_new(FALSE, TRUE, sizeof(hdr));
	GHashTable *count = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	append_list(all, GMIME_OBJECT(msg));
	append_list(all, g_mime_message_get_mime_part(msg));
	g_array_sort(all, by_offset);
	for (guint i = 0; i < all->len; i++) {
		hdr *h = &g_array_index(all, hdr, i);
		char *key = g_ascii_strdown(h->name, -1);
		unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(count, key)) + 1;
		h->index = n;
		g_hash_table_replace(count, key, GUINT_TO_POINTER(n));
	}
	g_hash_table_destroy(count);
	return all;
}

/* Raw bytes are clean: 7-bit, no controls but folding, lines under 998. */
static bool raw_clean(const char *raw)
{
	size_t line = 0;

	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p == '\n') {
			line = 0;
			continue;
		}
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p >= 0x80 || (*p < 0x20 && *p != '\t') || *p == 0x7f || ++line > 998)
			return false;
	}
	return true;
}

/* Unfolded, trimmed copy of a raw value (bytes as they are). */
static char *unfold(const char *raw)
{
	GString *s = g_string_new(NULL);

	for (const char *p = raw; *p; p++)
		if (*p != '\r' && *p != '\n')
			g_string_append_c(s, *p);
	return g_strstrip(g_string_free(s, FALSE));
}

/* Structured ASCII header: bad bytes become '?'. */
static char *ascii_only(const char *raw)
{
	char *s = unfold(raw);

	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p >= 0x80 || *p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static char *address_value(const char *raw, size_t name_len, const char *charset)
{
	char *decoded = mg_header_decode(raw, NULL);
	InternetAddressList *list = internet_address_list_parse(NULL, decoded);
	char *out = NULL;

	if (list && internet_address_list_length(list) > 0)
		out = internet_address_list_to_string(list, NULL, TRUE);
	if (!out || !*out || !mg_utf8_valid(out, strlen(out))) {
		g_free(out);
		out = mg_header_encode(decoded, charset, name_len);
	}
	if (list)
		g_object_unref(list);
	g_free(decoded);
	return g_strstrip(out);
}

/* Rewritten value of a kept header whose bytes are unclean; NULL = drop it. */
static char *rewrite(const hdr *h, const char *charset)
{
	if (in_list(address_headers, h->name))
		return address_value(h->raw, strlen(h->name), charset);
	if (in_list(id_headers, h->name))
		return NULL;
	if (g_ascii_strcasecmp(h->name, "subject") == 0 ||
	    g_ascii_strcasecmp(h->name, "comments") == 0 ||
	    g_ascii_strcasecmp(h->name, "keywords") == 0) {
		char *decoded = mg_header_decode(h->raw, NULL);
		char *v = mg_header_encode(g_strstrip(decoded), charset, strlen(h->name));
		g_free(decoded);
		return v;
	}
	return ascii_only(h->raw);
}

static bool never_kept(const char *name)
{
	return g_ascii_strncasecmp(name, "content-", 8) == 0 ||
	       g_ascii_strcasecmp(name, "mime-version") == 0 ||
	       g_ascii_strncasecmp(name, "x-mugaika-", 10) == 0;
}

static bool needs_rewrite(const hdr *h)
{
	mg_charset_info info;

	if (!raw_clean(h->raw))
		return true;
	if (!strstr(h->raw, "=?"))
		return false;
	if (!mg_header_words_clean(h->raw))
		return true;
	memset(&info, 0, sizeof info);
	g_free(mg_header_decode(h->raw, &info));
	return info.errors || info.replacements;
}

static void decide(hdr *h, const mg_config *cfg, mg_verdict *v, const char *charset,
		   size_t *budget)
{
	size_t len = strlen(h->name) + strlen(h->raw) + 1;

	if (never_kept(h->name) || !mg_config_keeps_header(cfg, h->name)) {
		h->drop = true;
	} else if (h->index > 1 && in_list(single_headers, h->name)) {
		h->drop = true;
		mg_verdict_warn(v, "extra %s header removed", h->name);
	} else if (len > *budget) {
		h->drop = true;
		mg_verdict_limit(v, "max_header_bytes", cfg->max_header_bytes, cfg->max_header_bytes + len);
	} else if (needs_rewrite(h)) {
		h->change = rewrite(h, charset);
		h->drop = h->change == NULL;
		mg_verdict_add_reason(v, MG_R_HEADERS_REWRITTEN);
		mg_verdict_warn(v, "%s header %s", h->name, h->drop ? "unclean: removed" : "rewritten");
	}
	if (!h->drop)
		*budget -= MIN(*budget, len);
}

/* Subject with subject_tag in front. */
static void tag_subject(hdr *h, const mg_config *cfg, const char *charset)
{
	char *decoded = mg_header_decode(h->change ? h->change : h->raw, NULL);
	const char *tag = cfg->subject_tag;
	/* "【外部】件名" but "[EXTERNAL] subject" */
	bool space = (unsigned char)tag[strlen(tag) - 1] < 0x80;
	char *tagged = g_strconcat(tag, space ? " " : "", g_strstrip(decoded), NULL);

	g_free(h->change);
	h->change = mg_header_encode(tagged, charset, strlen(h->name));
	g_free(tagged);
	g_free(decoded);
}

void mg_safemsg_inspect(GMimeMessage *msg, mg_verdict *v)
{
	GArray *all = collect(msg);

	for (guint i = 0; i < all->len; i++) {
		hdr *h = &g_array_index(all, hdr, i);
		if (g_ascii_strncasecmp(h->name, "x-mugaika-", 10) == 0)
			mg_verdict_add_reason(v, MG_R_FORGED_HEADER);
		else if (h->index == 1 && !v->subject && g_ascii_strcasecmp(h->name, "subject") == 0)
			v->subject = g_strstrip(mg_header_decode(h->raw, NULL));
		else if (h->index == 1 && !v->from && g_ascii_strcasecmp(h->name, "from") == 0)
			v->from = g_strstrip(mg_header_decode(h->raw, NULL));
	}
	g_array_free(all, TRUE);
}

static void render_kept(GString *out, const hdr *h)
{
	g_string_append(out, h->name);
	if (h->change) {
		g_string_append_printf(out, ": %s\n", h->change);
		return;
	}
	g_string_append_c(out, ':');
	for (const char *p = h->raw; *p; p++)
		if (*p != '\r')
			g_string_append_c(out, *p);
	if (!*h->raw || h->raw[strlen(h->raw) - 1] != '\n')
		g_string_append_c(out, '\n');
}

static void emit_edits(GArray *all, GPtrArray *edits, GString *out)
{
	for (guint i = 0; i < all->len; i++) {
		hdr *h = &g_array_index(all, hdr, i);
		if (h->change && !h->drop)
			add_edit(edits, MG_EDIT_CHANGE, h->name, h->index, h->change);
		if (!h->drop)
			render_kept(out, h);
	}
	for (guint i = all->len; i-- > 0;) {
		hdr *h = &g_array_index(all, hdr, i);
		/* a line like ":x" has no name an MTA could address: not rendered, no edit */
		if (h->drop && *h->name)
			add_edit(edits, MG_EDIT_DELETE, h->name, h->index, NULL);
	}
}

static void add_header(GPtrArray *edits, GString *out, const char *name, const char *value)
{
	add_edit(edits, MG_EDIT_ADD, name, 0, value);
	g_string_append_printf(out, "%s: %s\n", name, value);
}

void mg_safemsg_headers(GMimeMessage *msg, const mg_config *cfg, mg_verdict *v,
			const mg_body *body, GPtrArray *edits, GString *out)
{
	GArray *all = msg ? collect(msg) : g_array_new(FALSE, TRUE, sizeof(hdr));
	size_t budget = cfg->max_header_bytes;
	bool have_subject = false;

	for (guint i = 0; i < all->len; i++) {
		hdr *h = &g_array_index(all, hdr, i);
		decide(h, cfg, v, body->charset, &budget);
		if (!h->drop && g_ascii_strcasecmp(h->name, "subject") == 0) {
			have_subject = true;
			if (*cfg->subject_tag)
				tag_subject(h, cfg, body->charset);
		}
	}
	emit_edits(all, edits, out);
	if (!have_subject && *cfg->subject_tag)
		add_header(edits, out, "Subject", cfg->subject_tag);
	add_header(edits, out, "MIME-Version", "1.0");
	char *ct = g_strdup_printf("text/plain; charset=%s", body->charset);
	add_header(edits, out, "Content-Type", ct);
	add_header(edits, out, "Content-Transfer-Encoding", body->cte);
	char *status = mg_verdict_status_header(v);
	add_header(edits, out, "X-Mugaika-Status", status);
	if (v->id && v->keep_original)
		add_header(edits, out, "X-Mugaika-ID", v->id);
	g_string_append_c(out, '\n');
	for (guint i = 0; i < all->len; i++)
		g_free(g_array_index(all, hdr, i).change);
	g_array_free(all, TRUE);
	g_free(ct);
	g_free(status);
}

/* ---- body ------------------------------------------------------------ */

static size_t longest_line(const char *s, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		cur = s[i] == '\n' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static char *transfer_encode(const char *data, size_t len, GMimeContentEncoding enc, size_t *outlen)
{
	GMimeEncoding st;

	g_mime_encoding_init_encode(&st, enc);
	char *out = g_malloc(g_mime_encoding_outlen(&st, len) + 16);
	*outlen = g_mime_encoding_flush(&st, data, len, out);
	out[*outlen] = '\0';
	return out;
}

static void encode_as(mg_body *out, const char *data, size_t len, const char *charset,
		      int encoding)
{
	out->charset = charset;
	if (encoding == MG_BODY_8BIT && longest_line(data, len) > 998)
		encoding = MG_BODY_BASE64;
	switch (encoding) {
	case MG_BODY_8BIT:
		out->cte = strcmp(charset, "utf-8") == 0 ? "8bit" : "7bit";
		out->data = g_strndup(data, len);   /* text: no NUL inside */
		out->len = len;
		break;
	case MG_BODY_QP:
		out->cte = "quoted-printable";
		out->data = transfer_encode(data, len, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, &out->len);
		break;
	default:
		out->cte = "base64";
		out->data = transfer_encode(data, len, GMIME_CONTENT_ENCODING_BASE64, &out->len);
	}
}

void mg_safemsg_body(const char *text, size_t len, const mg_config *cfg, mg_verdict *v,
		     mg_body *out)
{
	if (cfg->output_charset == MG_OUT_ISO2022JP) {
		char *mapped = mg_charset_map_for_jis(text);
		size_t jlen = 0;
		char *jis = mg_iso2022jp_encode(mapped, strlen(mapped), &jlen);
		g_free(mapped);
		if (jis) {
			encode_as(out, jis, jlen, "ISO-2022-JP", MG_BODY_8BIT);
			g_free(jis);
			g_free(v->output_charset);
			v->output_charset = g_strdup("iso-2022-jp");
			return;
		}
		mg_verdict_add_reason(v, MG_R_OUTPUT_FALLBACK);
		mg_verdict_warn(v, "text cannot be carried in ISO-2022-JP: sent as UTF-8");
	}
	encode_as(out, text, len, "utf-8", cfg->body_encoding);
	g_free(v->output_charset);
	v->output_charset = g_strdup("utf-8");
}
