/*
 * mimewalk.h - walking a parsed message: which parts become text, which are
 * removed, and the record of each removed part.
 *
 * mg_walk_message() visits the MIME tree of msg depth-first (multiparts,
 * attached messages, their parts), honouring the limits of cfg, and:
 *   - renders readable parts into w->text through textpart.c (plain text,
 *     HTML, enriched, calendar), attached messages as quoted text with their
 *     From/Date/Subject;
 *   - in multipart/alternative renders one alternative (html_mode decides)
 *     and removes the non-text parts of the others;
 *   - removes every other part, adding an mg_removed (decoded name, type,
 *     size, SHA-256) to the verdict.
 * Every leaf is either rendered, dropped as a text alternative, or listed as
 * removed.  The walk context and its buffers belong to the caller.
 */
#ifndef MG_MIMEWALK_H
#define MG_MIMEWALK_H

#include <gmime/gmime.h>
#include "conf.h"
#include "scan.h"
#include "verdict.h"

typedef struct {
	const mg_config *cfg;
	mg_verdict *v;
	GString *text;          /* the rendered body text, UTF-8 */
	GPtrArray *links;       /* mg_link*, shared numbering across parts */
	mg_scanner *scanner;    /* NULL: no virus scanning */
	gint64 deadline;        /* monotonic µs; 0 = none */
	size_t decoded;         /* decoded bytes so far (max_decoded_bytes) */
	unsigned leaves;        /* leaves seen (max_parts) */
	bool stopped;           /* a limit stopped the walk; later parts are summarised */
	unsigned skipped;       /* leaves not processed after the stop */
	size_t skipped_bytes;
	size_t text_bytes;      /* text appended so far (max_text_bytes) */
} mg_walk;

/* w->cfg, w->v, w->text and w->links must be set (w->scanner may be);
 * the rest zero. */
void mg_walk_message(mg_walk *w, GMimeMessage *msg);

/* Outbound: decodes and scans every leaf (GMimePartIter, which enters
 * attached messages) and the members of its archives that libclamav does
 * not unpack itself (mg_inspect_part), renders nothing. */
void mg_walk_scan_only(mg_walk *w, GMimeMessage *msg);

/* Decodes a part's content (transfer encoding only) into a new byte array,
 * counting it against max_decoded_bytes; NULL (and the limit noted) when
 * the budget would be exceeded. */
GByteArray *mg_walk_decode(mg_walk *w, GMimePart *part);

/* Records a removed part with the hash and size of data (may be NULL:
 * unknown size, no hash) and returns it (owned by the verdict). */
mg_removed *mg_walk_removed(mg_walk *w, const char *path, const char *filename,
		     const char *type, const char *disposition, const char *why,
		     const guint8 *data, size_t len);

/* Appends rendered text for one part, separated from what came before by a
 * blank line, within max_text_bytes. */
void mg_walk_append_text(mg_walk *w, GString *out, const char *text, size_t len);

#endif
