/*
 * names.h - making an attachment's file name safe to show.
 *
 * A file name comes from the sender and is never trusted: it is shown in
 * the notice, the log and the helpdesk's listings, and must not be able to
 * spoof its extension or inject lines.  mg_name_display() returns a copy of
 * a decoded UTF-8 name with: invalid UTF-8 replaced (U+FFFD); C0/C1 control
 * characters, DEL and line/paragraph separators written as "?"; bidi
 * controls (U+200E/F, U+202A-202E, U+2066-2069, U+061C) and zero-width
 * characters (U+200B-200D, U+2060, U+FEFF) written as "?" (so
 * "invoice\u202Efdp.exe" shows as "invoice?fdp.exe"); path separators '/'
 * and '\\' written as "_", leading dots and "../" made harmless, and the
 * result cut to max_chars characters (keeping the extension, with "…"
 * in the middle).  Never NULL for a non-NULL name; caller frees.  The name
 * never becomes a path anywhere in mugaika.
 */
#ifndef MG_NAMES_H
#define MG_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define MG_NAME_MAX_CHARS 120

char *mg_name_display(const char *name, size_t max_chars);

/* s (not NULL) as one safe line of valid UTF-8 for a terminal or a
 * report: TAB and line breaks become spaces; control, line/paragraph
 * separator and other invisible format characters (bidi) become '?'.
 * Caller frees. */
char *mg_display_line(const char *s);

/* True when mg_name_display() had to neutralise something that could
 * mislead a reader: invalid UTF-8, control, bidi, zero-width or other
 * invisible characters, a path separator, leading dots, trailing dots or
 * spaces (cutting to length and collapsing spaces do not count). */
bool mg_name_suspicious(const char *name);

#endif
