/*
 * NAME
 *	html2text - HTML to plain text from a streaming (SAX) parse
 *
 * SYNOPSIS
 *	#include "html2text.h"
 *
 *	void mg_html_init(void);
 *	char *mg_html_to_text(const char *html, size_t len,
 *			      const mg_html_opts *opts, GPtrArray *links,
 *			      mg_html_stats *stats);
 *	char *mg_html_sniff_charset(const char *data, size_t len);
 *	mg_link *mg_link_new(const char *href, const char *text);
 *	void mg_link_free(mg_link *l);
 *
 * DESCRIPTION
 *	mg_html_init() calls xmlInitParser(); call it once before threads
 *	start.  After that every function here is thread-safe: there are no
 *	mutable globals and each conversion has its own parser context.
 *
 *	mg_html_to_text() feeds libxml2's HTML push parser in chunks and
 *	turns its SAX events into text (rules in html2text.h).  No tree is
 *	built.  Per open element at most one small frame is kept, on a stack
 *	capped at max_depth; deeper elements still produce their text, line
 *	breaks, images and links, but no list numbering, table, quote or
 *	<pre> structure.  Dropped content (<script>, <style>, ...) and links
 *	are tracked by the depth they opened at, so they work at any depth.
 *	Output is written through one function that enforces max_output;
 *	once it is reached the rest of the current chunk is ignored and no
 *	more input is fed.
 *
 *	These behaviours of libxml2 2.9 are worked around:
 *	- After the end of the root element (</html>, or an end tag before
 *	  any content) it enters the epilogue, where it stops for good at the
 *	  next tag or text (XML_ERR_DOCUMENT_END), returns after text that
 *	  starts with a blank without parsing the rest of the chunk, and on
 *	  the last call just ends.  That would silently lose the rest of the
 *	  mail, so whenever the parser is in the epilogue or stopped with
 *	  input left it is put back into content state and continues where
 *	  it was (counted in stats->resumed); a resumption that makes no
 *	  progress ends the loop, and text left then sets stats->incomplete.
 *	- A byte that is not UTF-8 makes it switch the rest of the input to
 *	  Latin-1 (mojibake).  Invalid sequences are replaced by U+FFFD before
 *	  parsing, and a leading BOM is removed.  A <meta charset> would make
 *	  it switch to that charset: HTML_PARSE_IGNORE_ENC.
 *	- "<!" that starts neither a comment nor a DOCTYPE (Word's
 *	  "<![if !supportLists]>") is handed over as text.  It is recognised
 *	  by looking at the raw input under the parser (a literal '<' there,
 *	  not "&lt;") and dropped up to its '>', as browsers do.
 *	Measured on libxml2 2.9.14: its HTML parser in SAX push mode has no
 *	depth limit (xmlParserMaxDepth applies to tree building), so 100,000
 *	nested unclosed elements are parsed linearly and flat; when the input
 *	ends inside a tag no end events come (nothing here relies on them).
 *	Each parse error costs it ~0.3 us (the message is formatted even when
 *	errors are off), so 1 MB of bare '&' takes ~0.35 s.
 *
 *	mg_html_sniff_charset() is a byte scanner over the first 4096 bytes
 *	following the HTML5 prescan (comments and attributes of other tags
 *	skipped), not an HTML parser.
 *
 * DIAGNOSTICS
 *	None: bad HTML is never an error.  Limits and repairs are reported in
 *	mg_html_stats.  Memory comes from GLib, which aborts on exhaustion.
 */
#include "html2text.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 16384
#define MAX_QUOTE 8      /* "> " levels written at most */
#define MAX_INDENT 8     /* list indentation levels written at most */
#define ALT_MAX 200      /* bytes of alt text kept */
#define HR_LINE "--------------------"
#define SNIFF_MAX 4096

/* ---- what each element does ------------------------------------------- */

enum {
	EL_BLOCK = 1u << 0,  /* line break before and after */
	EL_PARA = 1u << 1,   /* blank line before and after */
	EL_SKIP = 1u << 2,   /* everything inside dropped */
	EL_SOFT = 1u << 3,   /* text directly inside dropped (<title>) */
	EL_PRE = 1u << 4,    /* whitespace preserved */
	EL_QUOTE = 1u << 5,  /* lines prefixed "> " */
	EL_UL = 1u << 6,
	EL_OL = 1u << 7,
	EL_LI = 1u << 8,
	EL_CELL = 1u << 9,   /* cells separated by " | " */
	EL_BR = 1u << 10,
	EL_HR = 1u << 11,
	EL_IMG = 1u << 12,
	EL_A = 1u << 13,
	EL_INDENT = 1u << 14 /* <dd>: lines indented */
};

typedef struct {
	const char *name;
	unsigned flags;
} el_def;

/* Sorted by name (strcmp) for bsearch.  Flags 0: inline, listed so that
 * the per-conversion cache (el_lookup) also serves the frequent ones. */
static const el_def el_table[] = {
	{ "a", EL_A },
	{ "abbr", 0 },
	{ "address", EL_BLOCK },
	{ "applet", EL_SKIP },
	{ "article", EL_BLOCK },
	{ "aside", EL_BLOCK },
	{ "audio", EL_SKIP },
	{ "b", 0 },
	{ "bdi", 0 },
	{ "bdo", 0 },
	{ "big", 0 },
	{ "blockquote", EL_PARA | EL_QUOTE },
	{ "body", EL_BLOCK },
	{ "br", EL_BR },
	{ "button", 0 },
	{ "canvas", EL_SKIP },
	{ "caption", EL_BLOCK },
	{ "center", EL_BLOCK },
	{ "cite", 0 },
	{ "code", 0 },
	{ "col", 0 },
	{ "colgroup", 0 },
	{ "datalist", EL_SKIP },
	{ "dd", EL_BLOCK | EL_INDENT },
	{ "del", 0 },
	{ "details", EL_BLOCK },
	{ "dialog", EL_BLOCK },
	{ "dir", EL_PARA | EL_UL },
	{ "div", EL_BLOCK },
	{ "dl", EL_PARA },
	{ "dt", EL_BLOCK },
	{ "em", 0 },
	{ "fieldset", EL_BLOCK },
	{ "figcaption", EL_BLOCK },
	{ "figure", EL_BLOCK },
	{ "font", 0 },
	{ "footer", EL_BLOCK },
	{ "form", EL_BLOCK },
	{ "frameset", EL_SKIP },
	{ "h1", EL_PARA },
	{ "h2", EL_PARA },
	{ "h3", EL_PARA },
	{ "h4", EL_PARA },
	{ "h5", EL_PARA },
	{ "h6", EL_PARA },
	{ "head", EL_SOFT },
	{ "header", EL_BLOCK },
	{ "hgroup", EL_BLOCK },
	{ "hr", EL_HR },
	{ "html", EL_BLOCK },
	{ "i", 0 },
	{ "iframe", EL_SKIP },
	{ "img", EL_IMG },
	{ "input", 0 },
	{ "ins", 0 },
	{ "kbd", 0 },
	{ "label", 0 },
	{ "legend", EL_BLOCK },
	{ "li", EL_BLOCK | EL_LI },
	{ "link", 0 },
	{ "listing", EL_PARA | EL_PRE },
	{ "main", EL_BLOCK },
	{ "map", 0 },
	{ "mark", 0 },
	{ "menu", EL_PARA | EL_UL },
	{ "meta", 0 },
	{ "nav", EL_BLOCK },
	{ "nobr", 0 },
	{ "noembed", EL_SKIP },
	{ "noframes", EL_SKIP },
	{ "o:p", 0 },
	{ "object", EL_SKIP },
	{ "ol", EL_PARA | EL_OL },
	{ "option", 0 },
	{ "p", EL_PARA },
	{ "plaintext", EL_PARA | EL_PRE },
	{ "pre", EL_PARA | EL_PRE },
	{ "q", 0 },
	{ "s", 0 },
	{ "samp", 0 },
	{ "script", EL_SKIP },
	{ "section", EL_BLOCK },
	{ "select", 0 },
	{ "small", 0 },
	{ "span", 0 },
	{ "strike", 0 },
	{ "strong", 0 },
	{ "style", EL_SKIP },
	{ "sub", 0 },
	{ "summary", EL_BLOCK },
	{ "sup", 0 },
	{ "table", EL_BLOCK },
	{ "tbody", 0 },
	{ "td", EL_CELL },
	{ "template", EL_SKIP },
	{ "textarea", EL_BLOCK | EL_PRE },
	{ "tfoot", 0 },
	{ "th", EL_CELL },
	{ "thead", 0 },
	{ "time", 0 },
	{ "title", EL_SOFT },
	{ "tr", EL_BLOCK },
	{ "tt", 0 },
	{ "u", 0 },
	{ "ul", EL_PARA | EL_UL },
	{ "var", 0 },
	{ "video", EL_SKIP },
	{ "wbr", 0 },
	{ "xml", EL_SKIP },  /* Office XML islands */
	{ "xmp", EL_PARA | EL_PRE },
};

static int el_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const el_def *) elem)->name);
}

static const el_def *el_find(const xmlChar *name)
{
	return bsearch(name, el_table, G_N_ELEMENTS(el_table), sizeof el_table[0], el_cmp);
}

/* ---- conversion state --------------------------------------------------- */

/* One tracked open element. */
typedef struct {
	unsigned quote;   /* blockquote levels, this element included */
	unsigned indent;  /* indentation levels of its lines */
	unsigned lists;   /* ul/ol levels */
	unsigned pre;     /* pre levels */
	int list;         /* index of the innermost ul/ol frame, -1: none */
	bool ordered;     /* ol */
	bool soft;        /* text directly inside is dropped */
	unsigned char brk;/* line breaks it asked for at its start */
	long next;        /* ol: number of the next item */
} frame;

typedef struct {
	htmlParserCtxtPtr ctxt;
	GPtrArray *links;
	bool english;
	size_t max_depth;
	size_t max_output;
	mg_html_stats st;

	GString *out;
	size_t line_start;     /* offset of the current line in out */
	size_t content_start;  /* where its text starts, after the prefix */
	unsigned pending_nl;   /* 0, 1 (new line) or 2 (blank line) */
	bool pending_space;    /* collapsed whitespace before the next text */
	bool space_nl;         /* ... and it held a line break */
	bool pending_sep;      /* " | " before the next text on this line */
	char marker[48];       /* list item marker waiting for its text */

	GArray *frames;        /* frame, at most max_depth */
	size_t depth;          /* elements open, counted past the cap */
	size_t skip_depth;     /* inside a dropped element opened here */
	bool bogus;            /* inside "<!...>" given to us as text */
	bool pre_fresh;        /* right after <pre>: a first newline goes */
	bool last_cr;
	bool stopped;          /* max_output reached */
	size_t hr_end;         /* out->len after the last <hr> line */

	struct {
		const xmlChar *name;  /* libxml2's interned name */
		const el_def *def;
	} cache[64];           /* element lookups, see el_flags */

	mg_link *link;         /* <a href> being read */
	size_t link_depth;
	GString *link_text;
	bool link_space;
} h2t;

static const frame *top(const h2t *h)
{
	if (h->frames->len == 0)
		return NULL;
	return &g_array_index(h->frames, frame, h->frames->len - 1);
}

/* Flags of an element.  libxml2 passes names interned in its dictionary,
 * so a name pointer seen before is looked up in a small cache first; a hit
 * is still confirmed with strcmp. */
static unsigned el_flags(h2t *h, const xmlChar *name)
{
	size_t k = ((uintptr_t) name >> 3) % G_N_ELEMENTS(h->cache);
	const el_def *d = h->cache[k].def;

	if (h->cache[k].name != name || strcmp((const char *) name, d->name) != 0) {
		d = el_find(name);
		if (d == NULL)
			return 0;
		h->cache[k].name = name;
		h->cache[k].def = d;
	}
	return d->flags;
}

/* ---- output ------------------------------------------------------------- */

/* Largest n' <= n that does not cut a UTF-8 sequence of s. */
static size_t utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* No xmlStopParser() from inside a callback: the events of the current
 * chunk are ignored and no further chunk is fed. */
static void stop(h2t *h)
{
	h->stopped = true;
	h->st.output_limited = true;
}

/* Every byte of output goes through here. */
static void put(h2t *h, const char *s, size_t n)
{
	if (h->stopped)
		return;
	if (h->max_output > 0 && h->out->len + n > h->max_output) {
		n = utf8_floor(s, h->max_output - h->out->len);
		g_string_append_len(h->out, s, (gssize) n);
		stop(h);
		return;
	}
	g_string_append_len(h->out, s, (gssize) n);
}

static bool at_line_start(const h2t *h)
{
	return h->out->len == h->line_start;
}

/* Removes trailing blanks of the current line, and the line itself when
 * nothing but its prefix is left. */
static void trim_line(h2t *h)
{
	size_t n = h->out->len;

	while (n > h->line_start && (h->out->str[n - 1] == ' ' || h->out->str[n - 1] == '\t'))
		n--;
	if (n <= h->content_start)
		n = h->line_start;
	g_string_truncate(h->out, n);
}

static unsigned trailing_newlines(const GString *s)
{
	unsigned k = 0;

	while (k < 2 && s->len > k && s->str[s->len - 1 - k] == '\n')
		k++;
	return k;
}

static void flush_breaks(h2t *h)
{
	unsigned want = h->pending_nl, have;

	if (want == 0)
		return;
	h->pending_nl = 0;
	trim_line(h);
	if (h->out->len == 0)
		return;  /* no leading blank lines */
	for (have = trailing_newlines(h->out); have < want; have++)
		put(h, "\n", 1);
	h->line_start = h->content_start = h->out->len;
	h->pending_space = h->pending_sep = false;
}

static void begin_line(h2t *h)
{
	const frame *f = top(h);
	unsigned q = f ? MIN(f->quote, MAX_QUOTE) : 0;
	unsigned ind = f ? MIN(f->indent, MAX_INDENT) : 0;

	for (unsigned i = 0; i < q; i++)
		put(h, "> ", 2);
	if (h->marker[0] != '\0') {
		put(h, h->marker, strlen(h->marker));
		h->marker[0] = '\0';
	} else {
		for (unsigned i = 0; i < ind; i++)
			put(h, "  ", 2);
	}
	h->content_start = h->out->len;
}

/* A line break in the source between two East Asian wide characters is
 * not a space (CSS Text 3 segment break rule, as Firefox renders it). */
static bool cjk_join(const h2t *h, const char *next)
{
	const char *prev;

	if (!h->space_nl || h->out->len == 0)
		return false;
	prev = g_utf8_find_prev_char(h->out->str, h->out->str + h->out->len);
	return prev != NULL && g_unichar_iswide(g_utf8_get_char(prev))
	       && g_unichar_iswide(g_utf8_get_char(next));
}

/* Writes visible text after whatever is pending before it. */
static void emit(h2t *h, const char *s, size_t n)
{
	flush_breaks(h);
	if (at_line_start(h))
		begin_line(h);
	else if (h->pending_sep)
		put(h, " | ", 3);
	else if (h->pending_space && !cjk_join(h, s))
		put(h, " ", 1);
	h->pending_space = h->pending_sep = h->space_nl = false;
	put(h, s, n);
}

/* A block boundary: 1 = new line, 2 = blank line. */
static void want_break(h2t *h, unsigned lines)
{
	if (h->link != NULL)
		h->link_space = true;
	if (h->marker[0] != '\0')
		return;  /* the item's marker line takes it */
	if (lines > h->pending_nl)
		h->pending_nl = lines;
}

/* <br> or a newline in <pre>: one more line break. */
static void add_break(h2t *h)
{
	if (h->link != NULL)
		h->link_space = true;
	if (h->marker[0] != '\0')
		return;
	if (h->pending_nl < 2)
		h->pending_nl++;
}

/* ---- links -------------------------------------------------------------- */

static void link_add(h2t *h, const char *s, size_t n)
{
	GString *t = h->link_text;

	if (h->link == NULL || t->len >= MG_LINK_TEXT_MAX)
		return;
	if (h->link_space && t->len > 0)
		g_string_append_c(t, ' ');
	h->link_space = false;
	if (t->len + n > MG_LINK_TEXT_MAX)
		n = utf8_floor(s, MG_LINK_TEXT_MAX - t->len);
	g_string_append_len(t, s, (gssize) n);
}

static void link_close(h2t *h)
{
	mg_link *l = h->link;
	char num[32];
	int n;

	h->link = NULL;
	h->link_depth = 0;
	l->text = g_strndup(h->link_text->str, h->link_text->len);
	g_ptr_array_add(h->links, l);
	n = snprintf(num, sizeof num, " [%u]", h->links->len);
	if (at_line_start(h))
		emit(h, num + 1, (size_t) n - 1);
	else
		put(h, num, (size_t) n);
}

static const char *attr(const xmlChar **atts, const char *name)
{
	for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
		if (strcmp((const char *) atts[i], name) == 0)
			return (const char *) atts[i + 1];
	return NULL;
}

static void link_open(h2t *h, const xmlChar **atts)
{
	const char *href = attr(atts, "href");
	char *t;

	if (h->links == NULL || href == NULL)
		return;
	if (h->link != NULL)
		link_close(h);
	t = g_strstrip(g_strdup(href));
	if (t[0] == '\0' || t[0] == '#') {
		g_free(t);  /* a place in this document */
		return;
	}
	h->link = g_new0(mg_link, 1);
	h->link->href = t;
	h->link_depth = h->depth;
	g_string_truncate(h->link_text, 0);
	h->link_space = false;
}

/* ---- text --------------------------------------------------------------- */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* End of the plain run of s[i..n): it stops at ASCII whitespace and
 * controls, DEL, and 0xC2 followed by 0x80..0xA0 (C1 controls, U+00A0). */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
	for (; i < n; i++) {
		unsigned char c = s[i];

		if (c > 0x20 && c != 0x7F && (c != 0xC2 || (i + 1 < n && s[i + 1] > 0xA0)))
			continue;
		break;
	}
	return i;
}

/* Handles one special character at s; returns its length. */
static size_t special_char(h2t *h, const unsigned char *s, size_t n, bool pre)
{
	if (s[0] == 0xC2 && n > 1) {
		if (s[1] == 0xA0) {  /* &nbsp; */
			emit(h, " ", 1);
			link_add(h, " ", 1);
		}
		return 2;  /* C1 controls dropped */
	}
	if (pre && s[0] == ' ') {
		emit(h, " ", 1);
		link_add(h, " ", 1);
	} else if (pre && s[0] == '\t') {
		emit(h, "\t", 1);
		link_add(h, " ", 1);
	}
	return 1;  /* other controls dropped */
}

static void run(h2t *h, const unsigned char *s, size_t n)
{
	emit(h, (const char *) s, n);
	link_add(h, (const char *) s, n);
}

static void flow_text(h2t *h, const unsigned char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && !h->stopped) {
		if (is_space(s[i])) {
			h->pending_space = true;
			h->space_nl |= s[i] == '\n' || s[i] == '\r';
			if (h->link != NULL)
				h->link_space = true;
			i++;
			continue;
		}
		j = plain_run(s, i, n);
		if (j > i) {
			run(h, s + i, j - i);
			i = j;
		} else {
			i += special_char(h, s + i, n - i, false);
		}
	}
}

static void pre_newline(h2t *h, unsigned char c)
{
	if (c == '\n' && h->last_cr) {
		h->last_cr = false;  /* the LF of CR LF */
		return;
	}
	h->last_cr = c == '\r';
	if (!h->pre_fresh)
		add_break(h);
	h->pre_fresh = false;
}

static void pre_text(h2t *h, const unsigned char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && !h->stopped) {
		if (s[i] == '\n' || s[i] == '\r') {
			pre_newline(h, s[i++]);
			continue;
		}
		h->last_cr = h->pre_fresh = false;
		j = plain_run(s, i, n);
		if (j > i) {
			run(h, s + i, j - i);
			i = j;
		} else {
			i += special_char(h, s + i, n - i, true);
		}
	}
}

/* The parser hands a literal '<' not starting a tag, comment or DOCTYPE
 * over as text; when "<!" follows in the raw input it is a bogus comment
 * ("<![if !supportLists]>"), to be dropped up to its '>'. */
static bool raw_bang(const h2t *h)
{
	xmlParserInputPtr in = h->ctxt->input;

	return in != NULL && in->cur != NULL && in->cur + 1 < in->end
	       && in->cur[0] == '<' && in->cur[1] == '!';
}

/* Drops the rest of a bogus comment; false when s held no '>'. */
static bool skip_bogus(h2t *h, const xmlChar **s, int *len)
{
	const xmlChar *gt = memchr(*s, '>', (size_t) *len);

	if (gt == NULL)
		return false;
	h->bogus = false;
	*len -= (int) (gt + 1 - *s);
	*s = gt + 1;
	return *len > 0;
}

static bool in_soft(const h2t *h)
{
	const frame *f = top(h);

	return f != NULL && f->soft && h->depth == h->frames->len;
}

static void on_text(void *ud, const xmlChar *s, int len)
{
	h2t *h = ud;
	const frame *f;

	if (h->stopped || h->skip_depth > 0 || len <= 0)
		return;
	if (h->bogus && !skip_bogus(h, &s, &len))
		return;
	if (len == 1 && s[0] == '<' && raw_bang(h)) {
		h->bogus = true;
		return;
	}
	if (in_soft(h))
		return;
	f = top(h);
	if (f != NULL && f->pre > 0)
		pre_text(h, s, (size_t) len);
	else
		flow_text(h, s, (size_t) len);
}

/* ---- elements ----------------------------------------------------------- */

/* Copy of an attribute value with whitespace collapsed, controls dropped,
 * at most max bytes (whole characters); NULL when nothing is left. */
static char *clean_value(const char *v, size_t max)
{
	GString *s;
	bool space = false;
	const unsigned char *p = (const unsigned char *) v;
	size_t k;

	if (v == NULL || !g_utf8_validate(v, -1, NULL))
		return NULL;
	s = g_string_new(NULL);
	for (; *p != '\0'; p += k) {
		k = (size_t) g_utf8_skip[*p];
		if (is_space(*p) || (p[0] == 0xC2 && p[1] == 0xA0)) {
			space = s->len > 0;
		} else if (*p >= 0x20 && *p != 0x7F && !(p[0] == 0xC2 && p[1] < 0xA0)) {
			if (s->len + space + k > max)
				break;
			if (space)
				g_string_append_c(s, ' ');
			space = false;
			g_string_append_len(s, (const char *) p, (gssize) k);
		}
	}
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static void image(h2t *h, const xmlChar **atts)
{
	char *alt = clean_value(attr(atts, "alt"), ALT_MAX);
	char *note;

	h->st.images++;
	if (alt != NULL)
		note = g_strdup_printf(h->english ? "[image: %s]" : "[画像: %s]", alt);
	else
		note = g_strdup(h->english ? "[image]" : "[画像]");
	emit(h, note, strlen(note));
	link_add(h, note, strlen(note));
	g_free(note);
	g_free(alt);
}

static long number_attr(const xmlChar **atts, const char *name, long def)
{
	const char *v = attr(atts, name);
	char *end;
	long n;

	if (v == NULL)
		return def;
	n = strtol(v, &end, 10);
	if (end == v)
		return def;
	return CLAMP(n, -999999999L, 999999999L);
}

/* Sets the marker of a list item from the innermost list (or "- "). */
static void list_item(h2t *h, const frame *parent, const xmlChar **atts)
{
	unsigned ind = parent ? MIN(parent->indent, MAX_INDENT) : 0;
	size_t k = 0;
	frame *list = NULL;

	if (parent != NULL && parent->list >= 0 && h->depth <= h->max_depth)
		list = &g_array_index(h->frames, frame, parent->list);
	want_break(h, 1);
	if (h->marker[0] != '\0') {   /* an item that had no text yet */
		emit(h, "", 0);
		want_break(h, 1);
	}
	for (unsigned i = 0; i < ind; i++, k += 2)
		memcpy(h->marker + k, "  ", 2);
	if (list != NULL && list->ordered) {
		list->next = number_attr(atts, "value", list->next);
		snprintf(h->marker + k, sizeof h->marker - k, "%ld. ", list->next++);
	} else {
		snprintf(h->marker + k, sizeof h->marker - k, "- ");
	}
}

/* The frame of a new element inside parent. */
static frame child_frame(const h2t *h, const frame *parent, unsigned fl,
			 const xmlChar **atts)
{
	frame f = { 0, 0, 0, 0, -1, false, false, 0, 1 };

	if (parent != NULL) {
		f = *parent;
		f.soft = false;
		f.brk = 0;
	}
	f.soft = (fl & EL_SOFT) != 0;
	f.quote += (fl & EL_QUOTE) != 0;
	f.pre += (fl & EL_PRE) != 0;
	if (fl & (EL_LI | EL_INDENT))
		f.indent++;
	if (fl & (EL_UL | EL_OL)) {
		f.lists++;  /* a nested list is indented by its item */
		f.list = (int) h->frames->len;
		f.ordered = (fl & EL_OL) != 0;
		f.next = number_attr(atts, "start", 1);
	}
	return f;
}

/* Line breaks an element asks for: nested lists and blocks inside list
 * items only start a new line. */
static unsigned breaks_of(unsigned fl, const frame *parent)
{
	if ((fl & (EL_UL | EL_OL)) && parent != NULL && parent->lists > 0)
		return 1;
	if (fl & EL_PARA)
		return 2;
	return (fl & EL_BLOCK) ? 1 : 0;
}

static void open_void(h2t *h, unsigned fl, const xmlChar **atts)
{
	if (fl & EL_BR)
		add_break(h);
	if ((fl & EL_HR) && !(h->hr_end == h->out->len && h->out->len > 0)) {
		want_break(h, 2);
		emit(h, HR_LINE, sizeof HR_LINE - 1);
		want_break(h, 2);
		h->hr_end = h->out->len;  /* <hr><hr>: one line */
	}
	if (fl & EL_IMG)
		image(h, atts);
}

static void open_element(h2t *h, unsigned fl, const xmlChar **atts)
{
	const frame *parent = top(h);
	unsigned brk = breaks_of(fl, parent);
	frame f;

	if (brk > 0)
		want_break(h, brk);
	if (fl & EL_LI)
		list_item(h, parent, atts);
	if (fl & EL_CELL)
		h->pending_sep = true;
	if (fl & EL_PRE)
		h->pre_fresh = true;
	open_void(h, fl, atts);
	if (fl & EL_A)
		link_open(h, atts);
	if (h->depth > h->max_depth) {
		h->st.depth_limited = true;
		return;
	}
	f = child_frame(h, parent, fl, atts);
	f.brk = (unsigned char) brk;
	g_array_append_val(h->frames, f);
}

static void on_start(void *ud, const xmlChar *name, const xmlChar **atts)
{
	h2t *h = ud;
	unsigned fl;

	if (h->stopped)
		return;
	h->bogus = false;
	h->depth++;
	if (h->depth > h->st.depth_seen)
		h->st.depth_seen = h->depth;
	if (h->skip_depth > 0)
		return;
	fl = el_flags(h, name);
	if (fl & EL_SKIP) {
		h->skip_depth = h->depth;
		return;
	}
	open_element(h, fl, atts);
}

static void close_element(h2t *h, unsigned fl)
{
	unsigned brk = breaks_of(fl, NULL);

	if (h->depth <= h->frames->len) {
		brk = top(h)->brk;
		g_array_set_size(h->frames, (guint) (h->depth - 1));  /* < len */
	}
	if (fl & (EL_LI | EL_UL | EL_OL))
		h->marker[0] = '\0';
	if (fl & EL_PRE)
		h->pre_fresh = false;
	if (brk > 0)
		want_break(h, brk);
}

static void on_end(void *ud, const xmlChar *name)
{
	h2t *h = ud;

	if (h->stopped || h->depth == 0)
		return;
	h->bogus = false;
	if (h->skip_depth > 0) {
		if (h->depth == h->skip_depth)
			h->skip_depth = 0;
		h->depth--;
		return;
	}
	if (h->link != NULL && h->depth == h->link_depth)
		link_close(h);
	close_element(h, el_flags(h, name));
	h->depth--;
}

static void on_message(void *ud, const char *msg, ...)
{
	(void) ud;
	(void) msg;
}

/* ---- driving the parser ------------------------------------------------- */

/* Input the parser left unread holds text, not just the start of
 * unfinished markup (which is dropped, as browsers do). */
static bool text_left(xmlParserInputPtr in)
{
	const xmlChar *p;

	if (in == NULL || in->cur == NULL)
		return false;
	for (p = in->cur; p < in->end && is_space(*p); p++)
		;
	return p < in->end && *p != '<';
}

/* The parser stopped with input left: at "extra content at the end of
 * the document" (see DESCRIPTION), or in the epilogue, where after text it
 * returns without parsing the rest of the chunk.  (errNo cannot tell which:
 * the last call sets EOF after the epilogue without an error of its own.) */
static bool stopped_early(const h2t *h)
{
	xmlParserInputPtr in = h->ctxt->input;

	if (h->stopped || in == NULL || in->cur == NULL || in->cur >= in->end)
		return false;
	return h->ctxt->instate == XML_PARSER_EPILOG
	       || h->ctxt->instate == XML_PARSER_EOF;
}

/* Parses a chunk and goes on while the parser stops early and progresses.
 * On the last call unfinished markup left over (a lone '<') is dropped. */
static void feed(h2t *h, const char *data, size_t n, int terminate)
{
	const xmlChar *last = NULL;

	htmlParseChunk(h->ctxt, data, (int) n, terminate);
	while (stopped_early(h)) {
		if (h->ctxt->input->cur == last) {
			h->st.incomplete |= text_left(h->ctxt->input);
			return;
		}
		last = h->ctxt->input->cur;
		h->st.resumed += h->ctxt->instate == XML_PARSER_EOF;
		h->ctxt->instate = XML_PARSER_CONTENT;
		h->ctxt->errNo = XML_ERR_OK;
		htmlParseChunk(h->ctxt, NULL, 0, terminate);
	}
	if (h->ctxt->instate == XML_PARSER_EPILOG)
		h->ctxt->instate = XML_PARSER_CONTENT;
}

/* After the last chunk: text the parser left unread was lost; an encoder
 * means libxml2 re-decoded the input after all (cannot happen with the
 * options used; checked so that it could never go unnoticed). */
static void check_complete(h2t *h)
{
	xmlParserInputPtr in = h->ctxt->input;

	if (in != NULL && in->buf != NULL && in->buf->encoder != NULL)
		h->st.incomplete = true;
	if (h->stopped)
		return;
	if (text_left(in) || h->ctxt->disableSAX)
		h->st.incomplete = true;
}

static htmlParserCtxtPtr new_parser(h2t *h)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;

	memset(&sax, 0, sizeof sax);
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.warning = on_message;
	sax.error = on_message;
	sax.fatalError = on_message;
	ctxt = htmlCreatePushParserCtxt(&sax, h, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
	if (ctxt == NULL)
		g_error("html2text: cannot create a parser context (out of memory)");
	/* HTML_PARSE_IGNORE_ENC: the input is UTF-8 already, but a <meta
	 * charset> in it would make libxml2 switch to that charset mid-stream
	 * (mojibake, and "encoding error" lines on stderr).  No
	 * HTML_PARSE_NOBLANKS: it would route the whitespace between two inline
	 * elements ("<b>a</b> <i>b</i>") away from us. */
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR
			   | HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC);
	return ctxt;
}

static void parse(h2t *h, const char *html, size_t len)
{
	size_t off, n;

	h->ctxt = new_parser(h);
	for (off = 0; off < len && !h->stopped; off += n) {
		n = MIN(len - off, (size_t) CHUNK_SIZE);
		feed(h, html + off, n, 0);
	}
	if (!h->stopped)
		feed(h, NULL, 0, 1);
	check_complete(h);
	htmlFreeParserCtxt(h->ctxt);
	h->ctxt = NULL;
}

static char *finish(h2t *h)
{
	if (h->link != NULL)
		link_close(h);
	h->pending_nl = 0;
	trim_line(h);
	while (h->out->len > 0 && h->out->str[h->out->len - 1] == '\n')
		g_string_truncate(h->out, h->out->len - 1);
	if (h->out->len > 0 && (h->max_output == 0 || h->out->len < h->max_output))
		g_string_append_c(h->out, '\n');
	return g_string_free(h->out, FALSE);
}

/* Valid UTF-8 without a leading BOM: html itself or *owned. */
static const char *prepare(const char *html, size_t *len, char **owned)
{
	*owned = NULL;
	if (*len >= 3 && memcmp(html, "\xEF\xBB\xBF", 3) == 0) {
		html += 3;
		*len -= 3;
	}
	if (g_utf8_validate_len(html, *len, NULL))
		return html;
	*owned = g_utf8_make_valid(html, (gssize) *len);
	*len = strlen(*owned);
	return *owned;
}

char *mg_html_to_text(const char *html, size_t len, const mg_html_opts *opts,
		      GPtrArray *links, mg_html_stats *stats)
{
	h2t h;
	char *owned, *text;

	memset(&h, 0, sizeof h);
	h.links = links;
	h.english = opts != NULL && opts->english;
	h.max_depth = opts != NULL && opts->max_depth > 0 ? opts->max_depth
							   : MG_HTML_DEFAULT_MAX_DEPTH;
	h.max_output = opts != NULL ? opts->max_output : 0;
	h.out = g_string_sized_new(len / 2 + 64);
	h.frames = g_array_new(FALSE, FALSE, sizeof(frame));
	h.link_text = g_string_new(NULL);
	if (html == NULL)
		len = 0;
	html = prepare(html ? html : "", &len, &owned);
	parse(&h, html, len);
	text = finish(&h);
	if (h.link != NULL)
		mg_link_free(h.link);
	g_array_free(h.frames, TRUE);
	g_string_free(h.link_text, TRUE);
	g_free(owned);
	if (stats != NULL)
		*stats = h.st;
	return text;
}

void mg_html_init(void)
{
	xmlInitParser();
}

mg_link *mg_link_new(const char *href, const char *text)
{
	mg_link *l = g_new0(mg_link, 1);

	l->href = g_strdup(href);
	l->text = g_strdup(text);
	return l;
}

void mg_link_free(mg_link *l)
{
	if (l == NULL)
		return;
	g_free(l->href);
	g_free(l->text);
	g_free(l);
}

/* ---- charset sniffing ----------------------------------------------------- */

typedef struct {
	const char *s;
	size_t n;
} span;

static bool sp(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool span_is(span v, const char *lit)
{
	size_t k = strlen(lit);

	return v.n == k && g_ascii_strncasecmp(v.s, lit, k) == 0;
}

/* One attribute of a tag at *i (HTML5 "get an attribute"); false at the
 * tag's end, *i then just past its '>' (or at n). */
static bool next_attr(const char *d, size_t n, size_t *i, span *name, span *val)
{
	size_t k = *i;
	char q;

	while (k < n && (sp(d[k]) || d[k] == '/'))
		k++;
	if (k >= n || d[k] == '>') {
		*i = k < n ? k + 1 : n;
		return false;
	}
	name->s = d + k;
	for (k++; k < n && d[k] != '=' && d[k] != '>' && d[k] != '/' && !sp(d[k]); k++)
		;
	name->n = (size_t) (d + k - name->s);
	while (k < n && sp(d[k]))
		k++;
	val->s = d + k;
	val->n = 0;
	if (k < n && d[k] == '=') {
		for (k++; k < n && sp(d[k]); k++)
			;
		q = k < n ? d[k] : 0;
		if (q == '"' || q == '\'') {
			val->s = d + ++k;
			while (k < n && d[k] != q)
				k++;
			val->n = (size_t) (d + k - val->s);
			k += k < n;
		} else {
			val->s = d + k;
			while (k < n && !sp(d[k]) && d[k] != '>')
				k++;
			val->n = (size_t) (d + k - val->s);
		}
	}
	*i = k;
	return true;
}

/* A charset label fit to return, or NULL. */
static char *charset_name(span v)
{
	static const char ok[] = "._:+()-";

	while (v.n > 0 && (sp(*v.s) || *v.s == '"' || *v.s == '\'')) {
		v.s++;
		v.n--;
	}
	while (v.n > 0 && (sp(v.s[v.n - 1]) || v.s[v.n - 1] == '"' || v.s[v.n - 1] == '\''))
		v.n--;
	if (v.n == 0 || v.n > 40)
		return NULL;
	for (size_t k = 0; k < v.n; k++)
		if (!g_ascii_isalnum(v.s[k]) && strchr(ok, v.s[k]) == NULL)
			return NULL;
	if (v.n >= 6 && g_ascii_strncasecmp(v.s, "utf-16", 6) == 0)
		return g_strdup("UTF-8");
	return g_strndup(v.s, v.n);
}

/* "text/html; charset=x" -> x (HTML5 "extracting a character encoding"). */
static char *charset_from_content(span c)
{
	size_t k = 0, start;
	char q;

	while (k + 7 <= c.n) {
		if (g_ascii_strncasecmp(c.s + k, "charset", 7) != 0) {
			k++;
			continue;
		}
		for (k += 7; k < c.n && sp(c.s[k]); k++)
			;
		if (k >= c.n || c.s[k] != '=')
			continue;
		for (k++; k < c.n && sp(c.s[k]); k++)
			;
		q = k < c.n && (c.s[k] == '"' || c.s[k] == '\'') ? c.s[k] : 0;
		start = k + (q != 0);
		for (k = start; k < c.n && c.s[k] != ';' && !sp(c.s[k]) && (q == 0 || c.s[k] != q); k++)
			;
		return charset_name((span) { c.s + start, k - start });
	}
	return NULL;
}

/* Reads the attributes of a <meta> at *i (past "<meta"). */
static char *meta_charset(const char *d, size_t n, size_t *i)
{
	span name, val, charset = { NULL, 0 }, content = { NULL, 0 };
	bool http_ct = false;

	while (next_attr(d, n, i, &name, &val)) {
		if (span_is(name, "charset") && charset.s == NULL)
			charset = val;
		else if (span_is(name, "content") && content.s == NULL)
			content = val;
		else if (span_is(name, "http-equiv"))
			http_ct = span_is(val, "content-type");
	}
	if (d[*i - 1] != '>')
		return NULL;  /* cut by the end of the window: a value may be too */
	if (charset.s != NULL)
		return charset_name(charset);
	if (http_ct && content.s != NULL)
		return charset_from_content(content);
	return NULL;
}

/* Skips a comment, other tag or bogus markup at d[i] == '<'. */
static size_t skip_markup(const char *d, size_t n, size_t i)
{
	span name, val;
	const char *e;

	if (i + 4 <= n && memcmp(d + i, "<!--", 4) == 0) {
		e = g_strstr_len(d + i + 4, (gssize) (n - i - 4), "-->");
		return e ? (size_t) (e - d) + 3 : n;
	}
	if (i + 1 < n && (g_ascii_isalpha(d[i + 1])
			  || (d[i + 1] == '/' && i + 2 < n && g_ascii_isalpha(d[i + 2])))) {
		for (i += 2; i < n && !sp(d[i]) && d[i] != '>'; i++)
			;
		while (next_attr(d, n, &i, &name, &val))
			;
		return i;
	}
	if (i + 1 < n && (d[i + 1] == '!' || d[i + 1] == '/' || d[i + 1] == '?')) {
		e = memchr(d + i, '>', n - i);
		return e ? (size_t) (e - d) + 1 : n;
	}
	return i + 1;
}

char *mg_html_sniff_charset(const char *data, size_t len)
{
	size_t n = MIN(len, (size_t) SNIFF_MAX), i = 0;
	const char *lt;
	char *cs;

	while (data != NULL && i < n) {
		lt = memchr(data + i, '<', n - i);
		if (lt == NULL)
			break;
		i = (size_t) (lt - data);
		if (i + 6 <= n && g_ascii_strncasecmp(lt, "<meta", 5) == 0
		    && (sp(lt[5]) || lt[5] == '/')) {
			i += 5;
			cs = meta_charset(data, n, &i);
			if (cs != NULL)
				return cs;
			continue;
		}
		i = skip_markup(data, n, i);
	}
	return NULL;
}
