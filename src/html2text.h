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

typedef struct {
	size_t max_depth;     /* element nesting tracked; deeper is flattened */
	size_t max_output;    /* bytes of text produced at most; 0 = no limit */
	bool english;         /* "[image: ...]" instead of "[画像: ...]" */
} mg_html_opts;

typedef struct {
	size_t depth_seen;     /* deepest nesting met */
	bool depth_limited;    /* max_depth was hit */
	bool output_limited;   /* max_output was hit */
	size_t images;         /* <img> met */
} mg_html_stats;

/* Converts len bytes of UTF-8 HTML to text; appends mg_link* to links
 * (which must have mg_link_free as its free function, or be NULL to ignore
 * links).  Returns UTF-8 text with '\n' line ends, no trailing blank lines;
 * caller frees.  stats may be NULL. */
char *mg_html_to_text(const char *html, size_t len, const mg_html_opts *opts,
		      GPtrArray *links, mg_html_stats *stats);

/* Looks for <meta charset=...> or <meta http-equiv=Content-Type
 * content="...; charset=..."> in the first 4096 bytes of raw HTML bytes.
 * Returns the charset name or NULL; caller frees. */
char *mg_html_sniff_charset(const char *data, size_t len);

#endif
