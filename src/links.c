/*
 * NAME
 *	links - links in text: finding bare URLs, disarming them, the list
 *
 * SYNOPSIS
 *	#include "links.h"
 *
 *	char *mg_link_defang(const char *url);
 *	char *mg_link_host(const char *url);
 *	bool mg_link_mismatch(const char *text, const char *href);
 *	char *mg_links_in_text(const char *text, mg_links_mode mode,
 *			       bool english, GPtrArray *links);
 *	char *mg_links_render_list(const GPtrArray *links, mg_links_mode mode,
 *				   bool english, unsigned *mismatches);
 *
 * DESCRIPTION
 *	All functions are pure (no state, thread-safe) and return new UTF-8
 *	strings the caller frees.  Inputs are UTF-8; bytes that are not are
 *	percent-encoded where a string is shown.
 *
 *	A URL is split the way a browser reads it: the schemes http, https
 *	and ftp take any number of '/' or '\' after the colon, the authority
 *	ends at '/', '\', '?', '#' or whitespace, userinfo ends at its last
 *	'@', and an IPv6 literal keeps its brackets.  "www.host" and
 *	"//host" are read as web addresses without a scheme.  Hosts are
 *	compared lower-cased, without a trailing '.' or a leading "www.",
 *	and IDN labels as their ASCII (punycode) form.
 *
 *	Defanging renames the scheme (http->hxxp, https->hxxps, ftp->fxp),
 *	brackets every '.' of the host ("[.]", also for the full-width and
 *	ideographic dots browsers read as dots), writes the '@' ending
 *	userinfo or starting a mailto: domain as "[@]", and also disarms URLs
 *	embedded later in the string ("?u=https://x" -> "?u=hxxps://x",
 *	"www." -> "www[.]"), which a mail client would otherwise link.
 *
 *	The bare URL finder takes http://, https://, ftp:// (anywhere) and
 *	www. (after a non-word character).  A URL ends at whitespace, a
 *	control character, '<', '>', '"', and at Japanese and full-width
 *	characters (CJK, kana, U+3000-U+303F, U+FF00 and up, the general
 *	punctuation block with its quotes and bidi controls); trailing
 *	".,;:!?'" and unbalanced ')', ']', '}' are not part of it.
 *
 *	In the rendered list every URL and host is escaped: control, format
 *	(bidi), separator and invalid bytes are percent-encoded, so a URL
 *	cannot start a line or reorder one; a shown URL is cut at
 *	SHOW_MAX bytes ("...").
 *
 * DIAGNOSTICS
 *	None.  Memory comes from GLib, which aborts on exhaustion.
 */
#include "links.h"

#include <stdint.h>
#include <string.h>

#define SHOW_MAX 1000    /* bytes of one URL shown in the list */
#define HOST_SHOW_MAX 256

typedef enum {
	U_NONE = 0,   /* not an absolute address (relative, plain text) */
	U_WEB,        /* http, https, ftp, "www.", "//" */
	U_MAILTO,
	U_AUTH,       /* another scheme with "//authority" */
	U_OPAQUE      /* another scheme without one (javascript:, data:) */
} url_kind;

typedef struct {
	url_kind kind;
	size_t scheme;      /* length of the scheme name (0: none) */
	size_t auth;        /* start of the authority (mailto: of the address) */
	size_t at;          /* offset of the '@' ending userinfo, or SIZE_MAX */
	size_t host, host_end;
	size_t auth_end;    /* end of the authority (port included) */
} url_parts;

/* ---- splitting ------------------------------------------------------------ */

static bool ascii_prefix(const char *s, const char *lit)
{
	return g_ascii_strncasecmp(s, lit, strlen(lit)) == 0;
}

/* Length of "scheme" in "scheme:...", 0 when there is none. */
static size_t scheme_len(const char *u)
{
	size_t k = 0;

	if (!g_ascii_isalpha(u[0]))
		return 0;
	while (g_ascii_isalnum(u[k]) || u[k] == '+' || u[k] == '-' || u[k] == '.')
		k++;
	return u[k] == ':' ? k : 0;
}

static bool is_scheme(const char *u, size_t len, const char *name)
{
	return len == strlen(name) && g_ascii_strncasecmp(u, name, len) == 0;
}

static bool ends_authority(char c, bool special)
{
	return c == '\0' || c == '/' || c == '?' || c == '#' || (special && c == '\\')
	       || (unsigned char) c <= 0x20 || c == 0x7F;
}

/* Userinfo, host and port of the authority starting at p->auth. */
static void split_authority(const char *u, url_parts *p, bool special)
{
	size_t k = p->auth;

	p->at = SIZE_MAX;
	while (!ends_authority(u[k], special)) {
		if (u[k] == '@')
			p->at = k;
		k++;
	}
	p->auth_end = k;
	p->host = p->at == SIZE_MAX ? p->auth : p->at + 1;
	k = p->host;
	if (u[k] == '[') {
		while (k < p->auth_end && u[k] != ']')
			k++;
		k += k < p->auth_end;
	} else {
		while (k < p->auth_end && u[k] != ':')
			k++;
	}
	p->host_end = k;
}

/* mailto:local@domain?query -> the domain. */
static void split_mailto(const char *u, url_parts *p)
{
	size_t k = p->auth;

	p->at = SIZE_MAX;
	while (u[k] != '\0' && u[k] != '?' && u[k] != '#') {
		if (u[k] == '@')
			p->at = k;
		k++;
	}
	p->auth_end = p->host_end = k;
	p->host = p->at == SIZE_MAX ? k : p->at + 1;
}

static void split_url(const char *u, url_parts *p)
{
	size_t s = scheme_len(u);

	memset(p, 0, sizeof *p);
	p->scheme = s;
	if (s == 0) {
		if (ascii_prefix(u, "www.") || (u[0] == '/' && u[1] == '/')) {
			p->kind = U_WEB;
			p->auth = u[0] == '/' ? 2 : 0;
			split_authority(u, p, true);
		}
		return;
	}
	p->auth = s + 1;
	if (is_scheme(u, s, "http") || is_scheme(u, s, "https") || is_scheme(u, s, "ftp")) {
		p->kind = U_WEB;
		while (u[p->auth] == '/' || u[p->auth] == '\\')
			p->auth++;
		split_authority(u, p, true);
	} else if (is_scheme(u, s, "mailto")) {
		p->kind = U_MAILTO;
		split_mailto(u, p);
	} else if (u[s + 1] == '/' && u[s + 2] == '/') {
		p->kind = U_AUTH;
		p->auth = s + 3;
		split_authority(u, p, false);
	} else {
		p->kind = U_OPAQUE;
	}
}

/* ---- hosts ------------------------------------------------------------------ */

static int hex_value(char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* Lower-case copy of a host with %XX decoded (as browsers do), unless the
 * decoded form is not clean UTF-8 without controls. */
static char *host_copy(const char *h, size_t n)
{
	GString *d = g_string_sized_new(n);
	char *raw, *out;
	bool ok = true;

	for (size_t k = 0; k < n; k++) {
		int hi = h[k] == '%' && k + 2 < n ? hex_value(h[k + 1]) : -1;
		int lo = hi >= 0 ? hex_value(h[k + 2]) : -1;

		if (hi >= 0 && lo >= 0) {
			ok &= hi * 16 + lo > 0x20 && hi * 16 + lo != 0x7F;
			g_string_append_c(d, (char) (hi * 16 + lo));
			k += 2;
		} else {
			g_string_append_c(d, h[k]);
		}
	}
	if (!ok || !g_utf8_validate(d->str, (gssize) d->len, NULL)) {
		g_string_free(d, TRUE);
		raw = g_strndup(h, n);
		out = g_ascii_strdown(raw, -1);
		g_free(raw);
		return out;
	}
	out = g_ascii_strdown(d->str, (gssize) d->len);
	g_string_free(d, TRUE);
	return out;
}

char *mg_link_host(const char *url)
{
	url_parts p;

	if (url == NULL)
		return NULL;
	split_url(url, &p);
	if (p.kind != U_WEB || p.host_end == p.host)
		return NULL;
	return host_copy(url + p.host, p.host_end - p.host);
}

/* Host of a link target: the web host or a mailto: domain; NULL if none. */
static char *target_host(const char *href)
{
	url_parts p;

	if (href == NULL)
		return NULL;
	split_url(href, &p);
	if ((p.kind != U_WEB && p.kind != U_MAILTO) || p.host_end == p.host)
		return NULL;
	return host_copy(href + p.host, p.host_end - p.host);
}

/* The form two hosts are compared in; caller frees. */
static char *host_key(const char *host)
{
	char *h = g_utf8_validate(host, -1, NULL) ? g_utf8_strdown(host, -1)
						   : g_ascii_strdown(host, -1);
	char *a;
	size_t n = strlen(h);

	while (n > 0 && h[n - 1] == '.')
		h[--n] = '\0';
	if (g_str_has_prefix(h, "www."))
		memmove(h, h + 4, n - 3);
	a = g_hostname_to_ascii(h);
	if (a != NULL) {
		g_free(h);
		h = g_ascii_strdown(a, -1);
		g_free(a);
	}
	return h;
}

static bool same_host(const char *a, const char *b)
{
	char *ka = host_key(a), *kb = host_key(b);
	bool same = strcmp(ka, kb) == 0;

	g_free(ka);
	g_free(kb);
	return same;
}

/* ---- finding URLs in text ----------------------------------------------------- */

/* Characters that end a URL in running text (see DESCRIPTION). */
static bool url_stop(gunichar c)
{
	if (c < 0x80)
		return c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"';
	return c <= 0xA0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x2E80 && c <= 0x9FFF)
	       || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F)
	       || c == 0xFEFF || c >= 0xFF00;
}

static size_t count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Length of s[0..n) without trailing punctuation. */
static size_t trim_url_end(const char *s, size_t n)
{
	static const char pairs[] = "()[]{}";

	while (n > 0) {
		char c = s[n - 1];
		const char *pr = strchr(pairs, c);

		if (c != '\0' && strchr(".,;:!?'", c) != NULL)
			n--;
		else if (pr != NULL && (pr - pairs) % 2 == 1
			 && count_char(s, n, pr[-1]) < count_char(s, n, c))
			n--;
		else
			break;
	}
	return n;
}

/* End of the URL starting at s (before trimming). */
static const char *url_end(const char *s)
{
	const char *p = s;

	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar) -1 || c == (gunichar) -2 || url_stop(c))
			break;
		p = g_utf8_next_char(p);
	}
	return p;
}

static bool word_byte(const char *text, const char *p)
{
	char c;

	if (p == text)
		return false;
	c = p[-1];
	return g_ascii_isalnum(c) || strchr("-._@/:%+~", c) != NULL;
}

/* Length of a URL start at p ("https://", "www."), 0 if none. */
static size_t url_start(const char *text, const char *p)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://" };

	for (size_t k = 0; k < G_N_ELEMENTS(schemes); k++)
		if (ascii_prefix(p, schemes[k]))
			return strlen(schemes[k]);
	if (ascii_prefix(p, "www.") && !word_byte(text, p))
		return 4;
	return 0;
}

/* The next URL in text at or after from: [*start, *end); false if none. */
static bool find_url(const char *text, const char *from, const char **start, const char **end)
{
	for (const char *p = from; *p != '\0'; p++) {
		size_t k;
		char c = *p | 0x20;

		if (c != 'h' && c != 'f' && c != 'w')
			continue;
		k = url_start(text, p);
		if (k == 0)
			continue;
		while (k > 4 && (p[k] == '/' || p[k] == '\\'))
			k++;  /* "http:///host" is read as "http://host" */
		*end = p + trim_url_end(p, (size_t) (url_end(p) - p));
		if (*end > p + k && !ends_authority(p[k], true)) {
			*start = p;
			return true;
		}
		p += k - 1;
	}
	return false;
}

/* ---- defanging -------------------------------------------------------------- */

/* Host with every dot bracketed (also U+FF0E, U+3002, U+FF61). */
static void append_defanged_host(GString *o, const char *h, size_t n)
{
	static const char *const dots[] = { "\xEF\xBC\x8E", "\xE3\x80\x82", "\xEF\xBD\xA1" };

	for (size_t k = 0; k < n; k++) {
		bool dot = h[k] == '.';

		for (size_t d = 0; !dot && d < G_N_ELEMENTS(dots); d++)
			if (k + 3 <= n && memcmp(h + k, dots[d], 3) == 0) {
				dot = true;
				k += 2;
			}
		if (dot)
			g_string_append(o, "[.]");
		else
			g_string_append_c(o, h[k]);
	}
}

/* The rest of a string: URLs embedded in it disarmed. */
static void append_defanged_rest(GString *o, const char *s)
{
	static const struct { const char *from, *to; } subst[] = {
		{ "https://", "hxxps://" }, { "http://", "hxxp://" },
		{ "ftp://", "fxp://" }, { "www.", "www[.]" },
	};

	while (*s != '\0') {
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(subst); k++)
			if (ascii_prefix(s, subst[k].from))
				break;
		if (k < G_N_ELEMENTS(subst)) {
			g_string_append(o, subst[k].to);
			s += strlen(subst[k].from);
		} else {
			g_string_append_c(o, *s++);
		}
	}
}

static void append_scheme(GString *o, const char *u, size_t len)
{
	if (is_scheme(u, len, "http"))
		g_string_append(o, "hxxp");
	else if (is_scheme(u, len, "https"))
		g_string_append(o, "hxxps");
	else if (is_scheme(u, len, "ftp"))
		g_string_append(o, "fxp");
	else
		g_string_append_len(o, u, (gssize) len);
}

/* Authority (or mailto: address) of u defanged. */
static void append_defanged_auth(GString *o, const char *u, const url_parts *p)
{
	if (p->at != SIZE_MAX) {
		g_string_append_len(o, u + p->auth, (gssize) (p->at - p->auth));
		g_string_append(o, "[@]");
	}
	append_defanged_host(o, u + p->host, p->host_end - p->host);
	g_string_append_len(o, u + p->host_end, (gssize) (p->auth_end - p->host_end));
}

char *mg_link_defang(const char *url)
{
	url_parts p;
	GString *o;

	if (url == NULL)
		return NULL;
	split_url(url, &p);
	o = g_string_sized_new(strlen(url) + 16);
	if (p.kind == U_NONE || p.kind == U_OPAQUE) {
		append_defanged_rest(o, url);
		return g_string_free(o, FALSE);
	}
	append_scheme(o, url, p.scheme);
	g_string_append_len(o, url + p.scheme, (gssize) (p.auth - p.scheme));
	append_defanged_auth(o, url, &p);
	append_defanged_rest(o, url + p.auth_end);
	return g_string_free(o, FALSE);
}

static char *defang_host(const char *host)
{
	GString *o = g_string_new(NULL);

	append_defanged_host(o, host, strlen(host));
	return g_string_free(o, FALSE);
}

/* ---- what a link's text names ------------------------------------------------ */

static const char *const file_exts[] = {
	"bmp", "csv", "doc", "docm", "docx", "exe", "gif", "gz", "htm", "html", "ics",
	"jpeg", "jpg", "js", "lzh", "md", "mp3", "mp4", "msg", "odt", "pdf", "php",
	"png", "ppt", "pptx", "rar", "rtf", "svg", "tar", "tgz", "tif", "tiff", "txt",
	"wav", "xls", "xlsm", "xlsx", "xml", "zip",
};

static bool is_file_ext(const char *t, size_t n)
{
	for (size_t k = 0; k < G_N_ELEMENTS(file_exts); k++)
		if (strlen(file_exts[k]) == n && g_ascii_strncasecmp(t, file_exts[k], n) == 0)
			return true;
	return false;
}

/* The label after the last dot is a top-level domain: ASCII letters (or
 * "xn--"), not a file extension; or the host is a dotted IPv4 address. */
static bool plausible_tld(const char *h, size_t n, size_t last, unsigned labels, bool digits_only)
{
	const char *t = h + last;
	size_t tn = n - last;

	if (digits_only)
		return labels == 4;
	if (tn > 4 && ascii_prefix(t, "xn--"))
		return true;
	if (tn < 2 || is_file_ext(t, tn))
		return false;
	for (size_t k = 0; k < tn; k++)
		if (!g_ascii_isalpha(t[k]))
			return false;
	return true;
}

/* h[0..n) looks like a domain name with two labels or more. */
static bool looks_like_domain(const char *h, size_t n)
{
	size_t last = 0, len = 0;
	unsigned labels = 1;
	bool digits = true;

	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char) h[k];

		if (c == '.') {
			if (len == 0)
				return false;
			labels++;
			last = k + 1;
			len = 0;
			continue;
		}
		if (!g_ascii_isalnum(c) && c != '-' && c < 0x80)
			return false;
		digits &= g_ascii_isdigit(c) != 0;
		len++;
	}
	return labels >= 2 && len > 0 && plausible_tld(h, n, last, labels, digits);
}

/* The host part of a bare token ("bank.example/login", "a@b.example"). */
static char *token_host(const char *t, size_t n)
{
	const char *at = memchr(t, '@', n);
	size_t k;

	if (at != NULL) {
		n -= (size_t) (at + 1 - t);
		t = at + 1;
	}
	for (k = 0; k < n && !strchr("/?#:\\", t[k]); k++)
		;
	if (!looks_like_domain(t, k))
		return NULL;
	return g_ascii_strdown(t, (gssize) k);
}

static bool edge_punct(gunichar c)
{
	return (c < 0x80 && strchr("()[]{}<>\"'.,;:!?*", (int) c) != NULL && c != 0)
	       || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F)
	       || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0x2018 && c <= 0x201F);
}

static bool text_space(gunichar c)
{
	return g_unichar_isspace(c) || c == 0x3000 || c == 0xA0;
}

/* Next token of text at *p: [*s, *e) with surrounding punctuation trimmed. */
static bool next_token(const char **p, const char **s, const char **e)
{
	const char *q = *p;

	while (*q != '\0' && text_space(g_utf8_get_char(q)))
		q = g_utf8_next_char(q);
	if (*q == '\0')
		return false;
	*s = q;
	while (*q != '\0' && !text_space(g_utf8_get_char(q)))
		q = g_utf8_next_char(q);
	*p = *e = q;
	while (*s < *e && edge_punct(g_utf8_get_char(*s)))
		*s = g_utf8_next_char(*s);
	while (*e > *s && edge_punct(g_utf8_get_char(g_utf8_prev_char(*e))))
		*e = g_utf8_prev_char(*e);
	return true;
}

/* The host a link's visible text names: of a URL in it, of a "www." or
 * e-mail token in it, or of the whole text when it is one domain-like
 * token.  NULL when it names none. */
static char *text_host(const char *text)
{
	const char *s, *e, *p = text;
	char *h = NULL, *first = NULL;
	unsigned tokens = 0;

	if (find_url(text, text, &s, &e) && !ascii_prefix(s, "www.")) {
		char *u = g_strndup(s, (size_t) (e - s));

		h = mg_link_host(u);
		g_free(u);
		if (h != NULL)
			return h;
	}
	while (h == NULL && next_token(&p, &s, &e)) {
		char *t = g_strndup(s, (size_t) (e - s));

		if (ascii_prefix(t, "www.") || strchr(t, '@') != NULL)
			h = token_host(t, strlen(t));
		if (tokens++ == 0)
			first = t;
		else
			g_free(t);
	}
	if (h == NULL && tokens == 1 && first != NULL)
		h = token_host(first, strlen(first));
	g_free(first);
	return h;
}

bool mg_link_mismatch(const char *text, const char *href)
{
	char *shown, *real;
	bool differ;

	if (text == NULL || href == NULL)
		return false;
	shown = text_host(text);
	if (shown == NULL)
		return false;
	real = target_host(href);
	differ = real == NULL || !same_host(shown, real);
	g_free(shown);
	g_free(real);
	return differ;
}

/* ---- rewriting text ------------------------------------------------------------ */

/* Number of url in links: found in the table, or a new link added. */
static guint link_number(GPtrArray *links, GHashTable *seen, const char *url)
{
	mg_link *l;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(seen, url));

	if (n > 0)
		return n;
	l = mg_link_new(url, url);
	g_ptr_array_add(links, l);
	g_hash_table_insert(seen, l->href, GUINT_TO_POINTER(links->len));
	return links->len;
}

static GHashTable *links_index(const GPtrArray *links)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = links->len; i > 0; i--) {  /* the first number wins */
		const mg_link *l = links->pdata[i - 1];

		if (l->text != NULL)
			g_hash_table_insert(seen, l->text, GUINT_TO_POINTER(i));
		if (l->href != NULL)
			g_hash_table_insert(seen, l->href, GUINT_TO_POINTER(i));
	}
	return seen;
}

static void append_rewritten(GString *o, const char *url, mg_links_mode mode, bool english)
{
	char *d;

	if (mode == MG_LINKS_KEEP) {
		g_string_append(o, url);
	} else if (mode == MG_LINKS_DEFANG) {
		d = mg_link_defang(url);
		g_string_append(o, d);
		g_free(d);
	} else {
		g_string_append(o, english ? "[link removed]" : "[URL削除]");
	}
}

char *mg_links_in_text(const char *text, mg_links_mode mode, bool english, GPtrArray *links)
{
	GString *o;
	GHashTable *seen = NULL;
	const char *p = text, *s, *e;
	guint before = links != NULL ? links->len : 0;

	if (text == NULL)
		return g_strdup("");
	o = g_string_sized_new(strlen(text) + 16);
	if (links != NULL)
		seen = links_index(links);
	while (find_url(text, p, &s, &e)) {
		char *url = g_strndup(s, (size_t) (e - s));
		guint n = seen != NULL ? link_number(links, seen, url) : 0;

		g_string_append_len(o, p, (gssize) (s - p));
		append_rewritten(o, url, mode, english);
		if (mode == MG_LINKS_REMOVE && n > before)
			g_string_append_printf(o, " [%u]", n);
		g_free(url);
		p = e;
	}
	g_string_append(o, p);
	if (seen != NULL)
		g_hash_table_destroy(seen);
	return g_string_free(o, FALSE);
}

/* ---- the list ------------------------------------------------------------------ */

static bool must_escape(gunichar c)
{
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT:
	case G_UNICODE_SURROGATE:
	case G_UNICODE_SPACE_SEPARATOR:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
		return true;
	default:
		return false;
	}
}

static void append_pct(GString *o, const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		g_string_append_printf(o, "%%%02X", (unsigned char) p[k]);
}

/* s shown safely on one line: see DESCRIPTION; at most max bytes. */
static void append_escaped(GString *o, const char *s, size_t max)
{
	size_t start = o->len;

	while (*s != '\0') {
		gunichar c = g_utf8_get_char_validated(s, -1);
		size_t k = c < 0x110000 ? (size_t) (g_utf8_next_char(s) - s) : 1;

		if (o->len - start >= max) {
			g_string_append(o, "...");
			return;
		}
		if (c >= 0x110000 || must_escape(c))
			append_pct(o, s, k);
		else
			g_string_append_len(o, s, (gssize) k);
		s += k;
	}
}

static void append_removed(GString *o, const char *href, bool english)
{
	char *host = target_host(href), *d;
	url_parts p;

	g_string_append(o, english ? "(removed)" : "(削除)");
	if (host != NULL) {
		d = defang_host(host);
		g_string_append_c(o, ' ');
		append_escaped(o, d, HOST_SHOW_MAX);
		g_free(d);
		g_free(host);
		return;
	}
	split_url(href, &p);
	if (p.kind == U_OPAQUE || p.kind == U_AUTH) {
		g_string_append_c(o, ' ');
		g_string_append_len(o, href, (gssize) p.scheme + 1);
	}
}

static void append_target(GString *o, const char *href, mg_links_mode mode, bool english)
{
	char *d;

	if (mode == MG_LINKS_REMOVE) {
		append_removed(o, href, english);
	} else if (mode == MG_LINKS_DEFANG) {
		d = mg_link_defang(href);
		append_escaped(o, d, SHOW_MAX);
		g_free(d);
	} else {
		append_escaped(o, href, SHOW_MAX);
	}
}

static void append_note(GString *o, const char *text, mg_links_mode mode, bool english)
{
	char *h = text_host(text), *d;

	if (h == NULL)
		return;
	d = mode == MG_LINKS_KEEP ? g_strdup(h) : defang_host(h);
	g_string_append(o, english ? "  (!) the text shows " : "  ※表示されたリンク先(");
	append_escaped(o, d, HOST_SHOW_MAX);
	g_string_append(o, english ? " but the link goes elsewhere" : ")と実際のリンク先が異なります");
	g_free(d);
	g_free(h);
}

char *mg_links_render_list(const GPtrArray *links, mg_links_mode mode, bool english,
			   unsigned *mismatches)
{
	GString *o;
	unsigned flagged = 0;

	if (mismatches != NULL)
		*mismatches = 0;
	if (links == NULL || links->len == 0)
		return g_strdup("");
	o = g_string_new("----\n");
	g_string_append(o, english ? "Links:\n" : "リンク一覧:\n");
	for (guint i = 0; i < links->len; i++) {
		const mg_link *l = links->pdata[i];

		g_string_append_printf(o, "[%u] ", i + 1);
		append_target(o, l->href ? l->href : "", mode, english);
		if (mg_link_mismatch(l->text, l->href)) {
			flagged++;
			append_note(o, l->text, mode, english);
		}
		g_string_append_c(o, '\n');
	}
	if (mismatches != NULL)
		*mismatches = flagged;
	return g_string_free(o, FALSE);
}
