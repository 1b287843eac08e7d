/*
 * sanitize.c - the engine's entry point (see sanitize.h).
 *
 * Order of work: parse (GMime, warnings collected), walk the tree
 * (mimewalk.c renders text and removes the rest), settle links and the
 * keep-original policy, render the notice, encode the body, then the header
 * edits, which read the final verdict.  Only a notice template that cannot
 * be read makes the result a tempfail: every input gets a safe message.
 */
#include "sanitize.h"

#include <string.h>

#include "html2text.h"
#include "inspect.h"
#include "links.h"
#include "mimewalk.h"
#include "notice.h"
#include "safemsg.h"

void mg_engine_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		mg_html_init();
		g_once_init_leave(&done, 1);
	}
}

static const char *warning_name(GMimeParserWarning code)
{
	static const char *const names[] = {
		"?", "duplicated header", "duplicated parameter", "unencoded 8-bit header",
		"invalid content type", "invalid RFC 2047 header value", "malformed multipart",
		"truncated message", "malformed message", "invalid header name",
		"conflicting header", "conflicting parameter", "multipart without boundary",
		"nesting overflow", "part without content", "part without headers or content",
		"invalid parameter", "invalid address list",
	};

	return (unsigned)code < G_N_ELEMENTS(names) ? names[code] : "parser warning";
}

static void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
			      gpointer data)
{
	mg_verdict *v = data;
	char *safe = item ? g_strescape(item, NULL) : NULL;

	if (code != GMIME_WARN_DUPLICATED_HEADER && code != GMIME_WARN_UNENCODED_8BIT_HEADER &&
	    code != GMIME_WARN_INVALID_RFC2047_HEADER_VALUE && code != GMIME_WARN_INVALID_ADDRESS_LIST)
		mg_verdict_add_reason(v, MG_R_MALFORMED);
	if (safe && strlen(safe) > 80)
		strcpy(safe + 77, "...");
	mg_verdict_warn(v, "parser: %s at offset %" G_GINT64_FORMAT "%s%s", warning_name(code),
			offset, safe ? ": " : "", safe ? safe : "");
	g_free(safe);
}

/* The message in SMTP's canonical form: every bare LF becomes CRLF, so a
 * file saved with Unix line ends gives the same result (sizes and hashes
 * of removed parts included) as the same message through the milter. */
static GByteArray *canonical_crlf(const char *raw, size_t len)
{
	GByteArray *b = g_byte_array_sized_new((guint)(len + len / 32 + 2));
	const char *p = raw, *end = raw + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			g_byte_array_append(b, (const guint8 *)p, (guint)(end - p));
			break;
		}
		bool has_cr = nl > raw && nl[-1] == '\r';
		g_byte_array_append(b, (const guint8 *)p, (guint)(nl - p));
		g_byte_array_append(b, (const guint8 *)(has_cr ? "\n" : "\r\n"), has_cr ? 1 : 2);
		p = nl + 1;
	}
	return b;
}

static GMimeMessage *parse(const char *raw, size_t len, mg_verdict *v)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(canonical_crlf(raw, len));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();

	g_mime_parser_options_set_warning_callback(opts, on_parser_warning, v);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	return msg;
}

#define REMOVED_REASONS (MG_R_ATTACHMENT | MG_R_INLINE | MG_R_SIGNATURE | MG_R_ENCRYPTED | \
			 MG_R_LIMIT | MG_R_VIRUS | MG_R_SUSPICIOUS | MG_R_CANNOT_INSPECT | \
			 MG_R_MALFORMED)

/* Does the delivered text differ from the original's beyond re-encoding? */
static bool changed(const mg_verdict *v)
{
	return (v->reasons & (REMOVED_REASONS | MG_R_HTML_CONVERTED | MG_R_CONVERTED | MG_R_LINKS)) ||
	       v->replacements > 0;
}

/* keep_originals: does this verdict call for keeping the original? */
static bool keep_original(const mg_verdict *v, const mg_config *cfg)
{
	switch (cfg->keep_originals) {
	case MG_KEEP_ALL:
		return true;
	case MG_KEEP_REMOVED_PARTS:
		return (v->reasons & REMOVED_REASONS) != 0;
	default:
		return v->changed;
	}
}

static void settle_links(mg_verdict *v, const mg_config *cfg, GPtrArray *links, GString *tail)
{
	unsigned mismatches = 0;
	bool en = cfg->notice_language == MG_LANG_EN;
	char *list = mg_links_render_list(links, (mg_links_mode)cfg->links, en, &mismatches);

	v->links = links->len;
	v->links_mismatch = mismatches;
	if (links->len && cfg->links != MG_LINKS_KEEP)
		mg_verdict_add_reason(v, MG_R_LINKS);
	g_string_append(tail, list);
	g_free(list);
}

/* The body text: notice, the message's text, the link list. */
static GString *assemble(const char *notice, const GString *text, const GString *tail)
{
	GString *body = g_string_sized_new(strlen(notice) + text->len + tail->len + 8);

	g_string_append(body, notice);
	if (text->len) {
		g_string_append_c(body, '\n');
		g_string_append_len(body, text->str, (gssize)text->len);
	}
	if (tail->len) {
		if (body->str[body->len - 1] != '\n')
			g_string_append_c(body, '\n');
		g_string_append_c(body, '\n');
		g_string_append_len(body, tail->str, (gssize)tail->len);
	}
	if (body->str[body->len - 1] != '\n')
		g_string_append_c(body, '\n');
	return body;
}

static void walk(const char *raw, size_t len, GMimeMessage *msg, const mg_config *cfg,
		 mg_scanner *scanner, mg_mode mode, mg_verdict *v, GString *text, GPtrArray *links)
{
	mg_walk w;

	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	w.v = v;
	w.text = text;
	w.links = links;
	w.scanner = scanner;
	/* outbound, the raw message too: libclamav's own reading of the
	 * MIME structure, where GMime's may differ (scan only is all there
	 * is between that mail and the internet) */
	if (scanner && (cfg->scan_raw_message || mode == MG_MODE_SCAN_ONLY))
		mg_inspect_scan(&w, "raw", NULL, (const guint8 *)raw, len);
	if (mode == MG_MODE_SCAN_ONLY)
		mg_walk_scan_only(&w, msg);
	else
		mg_walk_message(&w, msg);
}

/* A virus decides the action: virus_action inbound, reject outbound. */
static void virus_policy(mg_verdict *v, const mg_config *cfg, mg_mode mode)
{
	if (v->action == MG_ACTION_TEMPFAIL || !(v->reasons & MG_R_VIRUS))
		return;
	if (mode == MG_MODE_SCAN_ONLY || cfg->virus_action == MG_VIRUS_REJECT)
		v->action = MG_ACTION_REJECT;
	else if (cfg->virus_action == MG_VIRUS_DISCARD)
		v->action = MG_ACTION_DISCARD;
}

/* No message could be parsed at all: the whole input is a removed part. */
static void unparseable(const char *raw, size_t len, const mg_config *cfg,
			mg_scanner *scanner, mg_verdict *v)
{
	mg_walk w;

	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	w.v = v;
	w.scanner = scanner;
	mg_inspect_scan(&w, "1", NULL, (const guint8 *)raw, len);
	mg_verdict_add_reason(v, MG_R_MALFORMED);
	mg_verdict_warn(v, "the message could not be parsed");
	mg_walk_removed(&w, "1", NULL, "message/rfc822", NULL, "malformed",
			(const guint8 *)raw, len);
}

static void finish(mg_result *r, GMimeMessage *msg, const mg_config *cfg, const GString *body_text)
{
	mg_body body;
	GString *out = g_string_new(NULL);

	memset(&body, 0, sizeof body);
	mg_safemsg_body(body_text->str, body_text->len, cfg, r->verdict, &body);
	r->verdict->output_bytes = body.len;
	mg_safemsg_headers(msg, cfg, r->verdict, &body, r->edits, out);
	g_string_append_len(out, body.data, (gssize)body.len);
	r->body = body.data;
	r->body_len = body.len;
	r->message_len = out->len;
	r->message = g_string_free(out, FALSE);
}

/* Outbound: the verdict only; the message goes on as it came. */
static mg_result *scan_only(const char *raw, size_t len, const mg_config *cfg,
			    mg_scanner *scanner, mg_verdict *v, mg_result *r)
{
	GMimeMessage *msg = parse(raw, len, v);

	if (msg) {
		mg_safemsg_inspect(msg, v);
		walk(raw, len, msg, cfg, scanner, MG_MODE_SCAN_ONLY, v, NULL, NULL);
		g_object_unref(msg);
	} else if (scanner) {
		mg_walk w = { .cfg = cfg, .v = v, .scanner = scanner };
		mg_inspect_scan(&w, "1", NULL, (const guint8 *)raw, len);
	}
	virus_policy(v, cfg, MG_MODE_SCAN_ONLY);
	bool unscanned = v->action == MG_ACTION_DELIVER && (v->reasons & MG_R_LIMIT) &&
			 cfg->outbound_unscanned == 0;
	if (unscanned)		/* not known to be clean: not let out as if it were */
		v->action = MG_ACTION_REJECT;
	v->keep_original = (v->reasons & MG_R_VIRUS) || unscanned;
	return r;
}

/* Inbound: the safe message. */
static mg_result *sanitize(const char *raw, size_t len, const mg_config *cfg,
			   mg_scanner *scanner, mg_verdict *v, mg_result *r)
{
	GString *text = g_string_new(NULL), *tail = g_string_new(NULL);
	GPtrArray *links = g_ptr_array_new_with_free_func((GDestroyNotify)mg_link_free);
	char *err = NULL;
	GMimeMessage *msg = parse(raw, len, v);

	if (msg) {
		mg_safemsg_inspect(msg, v);
		walk(raw, len, msg, cfg, scanner, MG_MODE_SANITIZE, v, text, links);
	} else {
		unparseable(raw, len, cfg, scanner, v);
	}
	settle_links(v, cfg, links, tail);
	virus_policy(v, cfg, MG_MODE_SANITIZE);
	v->changed = changed(v);
	v->keep_original = keep_original(v, cfg);
	char *notice = mg_notice_render(v, cfg, &err);
	if (!notice) {
		v->action = MG_ACTION_TEMPFAIL;
		mg_verdict_warn(v, "%s", err);
		notice = g_strdup("");
	}
	GString *body_text = assemble(notice, text, tail);
	finish(r, msg, cfg, body_text);
	g_string_free(body_text, TRUE);
	g_string_free(text, TRUE);
	g_string_free(tail, TRUE);
	g_ptr_array_free(links, TRUE);
	g_free(notice);
	g_free(err);
	if (msg)
		g_object_unref(msg);
	return r;
}

mg_result *mg_engine_run(const char *raw, size_t len, const mg_config *cfg,
			 mg_scanner *scanner, mg_mode mode, const char *id, time_t now)
{
	mg_result *r = g_new0(mg_result, 1);
	mg_verdict *v = r->verdict = mg_verdict_new(id, now);

	r->edits = g_ptr_array_new_with_free_func(mg_header_edit_free);
	v->input_bytes = len;
	if (len > cfg->max_message_size) {
		mg_verdict_limit(v, "max_message_size", cfg->max_message_size, len);
		len = cfg->max_message_size;
	}
	if (mode == MG_MODE_SCAN_ONLY)
		return scan_only(raw, len, cfg, scanner, v, r);
	return sanitize(raw, len, cfg, scanner, v, r);
}

mg_result *mg_sanitize(const char *raw, size_t len, const mg_config *cfg, const char *id,
		       time_t now)
{
	return mg_engine_run(raw, len, cfg, NULL, MG_MODE_SANITIZE, id, now);
}

void mg_result_free(mg_result *r)
{
	if (!r)
		return;
	mg_verdict_free(r->verdict);
	g_ptr_array_free(r->edits, TRUE);
	g_free(r->body);
	g_free(r->message);
	g_free(r);
}
