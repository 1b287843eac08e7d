/*
 * classify_priv.h - what classify.c and archive.c share; not for other
 * modules (they use classify.h).
 */
#ifndef MG_CLASSIFY_PRIV_H
#define MG_CLASSIFY_PRIV_H

#include "classify.h"

#define MG_OCTET_STREAM "application/octet-stream"

/* classify.c */

/* libmagic's MIME type of data, from this thread's handle.  member_head:
 * the first bytes of an archive member, looked at only for archives and
 * executables (text checks off, faster).  Returns an interned string;
 * MG_OCTET_STREAM when libmagic cannot tell or is unavailable. */
const char *mg_magic_type(const guint8 *data, size_t len, bool member_head);

/* True for the types of executables and scripts. */
bool mg_type_is_executable(const char *mime);

/* Adds code to c->findings unless it is there already. */
void mg_finding(mg_classification *c, const char *code);

/* What a file name (decoded UTF-8, a base name) gives away. */
enum {
	MG_NAME_BANNED = 1 << 0,	/* extension in banned_extensions */
	MG_NAME_DOUBLE_EXT = 1 << 1,	/* decoy extension before a banned one */
	MG_NAME_BIDI = 1 << 2,		/* bidi controls */
	MG_NAME_TRAILING = 1 << 3,	/* ends in dots or spaces */
	MG_NAME_CLSID = 1 << 4,		/* ends in .{CLSID} */
	MG_NAME_ODD = 1 << 5		/* other control or invisible characters */
};
unsigned mg_name_flags(const char *name, const mg_config *cfg);

/* archive.c */

/* True for the types libarchive is asked to open. */
bool mg_type_is_archive(const char *mime);

/* Lists the members of the archive data (of type mime, named name) into c,
 * recursing into nested archives and applying the limits of cfg; sets the
 * archive findings and flags, fills c->extracted. */
void mg_archive_inspect(mg_classification *c, const guint8 *data, size_t len,
			const char *mime, const char *name, const mg_config *cfg);

#endif
