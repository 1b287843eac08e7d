/*
 * html2text.h - HTML -> plain text from a streaming parse (libxml2's HTML
 * parser in SAX push mode), links collected.
 *
 * Input is UTF-8 (the engine decodes the part first; mg_html_sniff_charset
 * helps it find a <meta charset> when the MIME label is missing).  The
 * conversion is linear in the input and its memory bounded by the output:
 * the parser builds no tree, and the element stack kept here is capped at
 * max_depth (deeper elements are still converted, only their structure is
 * ignored, and the cap is reported).  Block elements become line breaks,
 * <br> a newline, <li> a marker ("- " or "1. "), table cells are separated
 * by " | " and rows by newlines, <hr> a line, entities decoded,
 * <script>/<style>/<head>/<title>/comments dropped, <img> noted by its alt
 * text as "[画像: alt]" / "[image: alt]".  Links: each <a href> is recorded
 * (href, visible text) and the visible text is followed by " [N]" where N is
 * the link's number in the links array (1-based, counting links already in
 * the array, so several HTML parts share one numbering).
 */
#ifndef MG_HTML2TEXT_H
#define MG_HTML2TEXT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *href;    /* as written, entities decoded, trimmed */
	char *text;    /* visible text of the link, whitespace collapsed */
} mg_link;

void mg_link_free(mg_link *l);

/* Bytes of a link's visible text kept in mg_link.text (cut at a character
 * boundary); the text itself is converted in full. */
#define MG_LINK_TEXT_MAX 256

/* max_depth used when mg_html_opts.max_depth is 0. */
#define MG_HTML_DEFAULT_MAX_DEPTH 256

/* A new link holding copies of href and text (either may be NULL).  Caller
 * frees with mg_link_free. */
mg_link *mg_link_new(const char *href, const char *text);

/* Initialises libxml2 (xmlInitParser).  Call once, before threads start;
 * everything else here is thread-safe. */
void mg_html_init(void);

typedef struct {
	size_t max_depth;     /* element nesting tracked; deeper is flattened */
	size_t max_output;    /* bytes of text produced at most; 0 = no limit */
	bool english;         /* "[image: ...]" instead of "[画像: ...]" */
} mg_html_opts;
/* Output is at most about 6 times the input before max_output (list
 * markers, quote prefixes and link numbers add bytes; prefixes are capped
 * at 8 levels); set max_output to bound it. */

typedef struct {
	size_t depth_seen;     /* deepest nesting met */
	bool depth_limited;    /* max_depth was hit */
	bool output_limited;   /* max_output was hit */
	size_t images;         /* <img> met */
	size_t resumed;        /* times libxml2 stopped before the end ("extra
				  content at the end of the document": text or
				  tags after </html>, a stray end tag first)
				  and was resumed: nothing was lost; for the log */
	bool incomplete;       /* text after some point of the input is missing
				  or garbled because the parser gave up (never
				  seen in tests, fuzzing or the corpus; reported
				  so that it can never be silent) */
} mg_html_stats;

/* Converts len bytes of UTF-8 HTML to text; appends mg_link* to links
 * (which must have mg_link_free as its free function, or be NULL to ignore
 * links).  Returns UTF-8 text with '\n' line ends, no trailing blank lines;
 * caller frees.  stats may be NULL.
 * More precisely: no leading or trailing blank lines, no trailing spaces on
 * any line, at most one blank line in a row, and non-empty text ends with
 * one '\n' ("" for a document without text).  Invalid UTF-8 is replaced by
 * U+FFFD first; C0/C1 control characters are dropped; &nbsp; becomes a
 * space.  opts may be NULL (defaults: MG_HTML_DEFAULT_MAX_DEPTH, no output
 * limit, Japanese).  With links NULL no " [N]" markers are written.
 * <noscript> content is kept (a mail client runs no scripts, so that is
 * what its reader sees); <title> and <head> drop only text directly inside
 * them, so a document with an unclosed <title> still shows its body.
 * Word's "<![if ...]>" ... "<![endif]>" brackets are dropped, their
 * content kept.  A <meta charset> in the HTML is ignored (the input is
 * UTF-8).  <blockquote> lines start with "> ", <hr> is a line of '-',
 * <dd> and nested list items are indented by two spaces.  <a href> with an
 * empty href or one starting with '#' is not recorded; javascript: and
 * mailto: ones are. */
char *mg_html_to_text(const char *html, size_t len, const mg_html_opts *opts,
		      GPtrArray *links, mg_html_stats *stats);

/* Looks for <meta charset=...> or <meta http-equiv=Content-Type
 * content="...; charset=..."> in the first 4096 bytes of raw HTML bytes.
 * Returns the charset name or NULL; caller frees.
 * The scan follows the HTML5 prescan: comments and other tags' attributes
 * are skipped, the first <meta> that names a charset wins.  The name is
 * returned as written (trimmed, quotes removed) when it consists of
 * [A-Za-z0-9._:+()-] only and is at most 40 bytes; a UTF-16 label becomes
 * "UTF-8" (bytes that could be read as ASCII are not UTF-16). */
char *mg_html_sniff_charset(const char *data, size_t len);

#endif
