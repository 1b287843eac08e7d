/*
 * inspect.h - looking into one decoded part: the virus scan (scan.h) and,
 * for removed parts, the classification (classify.h), with what they find
 * written into the verdict.
 *
 * A signature detection adds a virus detection, a heuristic one a
 * suspicious detection (a libclamav limit is reported as the limit
 * scan_limits instead), a scan that fails makes the verdict's action
 * tempfail.  For a removed part, classification fills r's true type,
 * findings and archive members, sets cannot_inspect for encrypted or
 * unreadable content, and the members libclamav cannot unpack itself (RAR)
 * are scanned one by one.  Nothing here keeps a pointer to data.
 */
#ifndef MG_INSPECT_H
#define MG_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "mimewalk.h"

/* Scans data when w has a scanner; true when a signature detection was
 * made (the caller must not show the part).  filename may be NULL. */
bool mg_inspect_scan(mg_walk *w, const char *path, const char *filename,
		     const guint8 *data, size_t len);

/* Outgoing mail (scan only): scans a part and the members of its
 * archives that libclamav does not unpack itself (classify.h,
 * extracted); nothing is recorded but what the scans find, and a limit
 * when an archive could not be read to its end. */
void mg_inspect_part(mg_walk *w, const char *path, const char *filename,
		     const guint8 *data, size_t len);

/* Classifies and scans a removed part recorded as r. */
void mg_inspect_removed(mg_walk *w, mg_removed *r, const char *declared_type,
			const guint8 *data, size_t len);

#endif
