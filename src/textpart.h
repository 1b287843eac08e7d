/*
 * textpart.h - rendering one readable MIME leaf as plain text.
 *
 * text/plain is decoded (transfer encoding, then charset through charset.c)
 * and its uuencoded and yEnc blocks are cut out and recorded as removed
 * parts; text/html goes through html2text.c (charset from the MIME label,
 * else <meta charset>, else detection); text/enriched and text/richtext
 * through GMime's enriched filter and then html2text; text/calendar is
 * reduced to its summary, time, place and description; any other text type
 * is shown as plain text.  Bare URLs are rewritten per the links setting.
 */
#ifndef MG_TEXTPART_H
#define MG_TEXTPART_H

#include <gmime/gmime.h>
#include "mimewalk.h"

/* True when part is a type this module renders. */
bool mg_textpart_readable(GMimeObject *part);

/* Renders part into out (through mg_walk_append_text). */
void mg_textpart_render(mg_walk *w, GMimePart *part, const char *path, GString *out);

/* Outbound (scan only): the uuencode and yEnc files in the decoded bytes
 * of a text part, each scanned as a part (mg_inspect_part) at path.textN. */
void mg_textpart_scan_embedded(mg_walk *w, const char *path, const guint8 *data, size_t len);

#endif
