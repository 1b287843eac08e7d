/*
 * sanitize.h - the engine: one raw message in, the safe message out.
 *
 * mg_sanitize() is a pure function of (raw message, config, ID, time): it
 * reads no clock for its output (only a monotonic clock to enforce
 * max_processing_time) and invents no ID.  It parses the message with GMime
 * from memory, renders every readable part into one text/plain body, removes
 * everything else, and returns the header edits the milter applies, the new
 * body, the whole safe message (what mugaika sanitize prints) and the verdict.
 * Bad input is never an error: a broken message still gets a safe message.
 *
 * Call mg_engine_init() once before any thread is started (g_mime_init);
 * after that mg_sanitize() is thread-safe (one GMime tree per call).
 */
#ifndef MG_SANITIZE_H
#define MG_SANITIZE_H

#include <glib.h>
#include <stddef.h>
#include <time.h>
#include "conf.h"
#include "scan.h"
#include "verdict.h"

typedef enum {
	MG_EDIT_DELETE = 0,  /* delete the index'th header called name */
	MG_EDIT_CHANGE,      /* replace the value of the index'th header called name */
	MG_EDIT_ADD          /* append name: value at the end of the header block */
} mg_edit_kind;

/* One header edit, in milter terms (smfi_chgheader / smfi_addheader).
 * index counts headers of that name (any case) from 1 in the original, and
 * deletes of one name come highest index first so the others stay valid. */
typedef struct {
	mg_edit_kind kind;
	char *name;
	unsigned index;      /* DELETE, CHANGE */
	char *value;         /* CHANGE, ADD: value without the leading space,
				folded with "\n " where long */
} mg_header_edit;

typedef struct {
	mg_verdict *verdict;
	GPtrArray *edits;     /* mg_header_edit*, in the order to apply */
	char *body;           /* new body, transfer-encoded, '\n' line ends, NUL-terminated */
	size_t body_len;
	char *message;        /* the whole safe message: headers + blank line + body */
	size_t message_len;
} mg_result;

typedef enum {
	MG_MODE_SANITIZE = 0,  /* inbound: the safe message */
	MG_MODE_SCAN_ONLY      /* outbound: scan every part, change nothing:
				  edits empty, body and message NULL; a virus
				  makes the action reject */
} mg_mode;

void mg_engine_init(void);

/* Never NULL.  id may be NULL (no original kept yet); now is the time to
 * stamp.  scanner (may be NULL: no virus scanning) scans every decoded part
 * (and the raw message with scan_raw_message); every removed part is also
 * classified (classify.h).  A signature detection sets reason virus and the
 * action from virus_action; a heuristic one reason suspicious; a scan that
 * fails makes the action tempfail.  The caller decides what a missing
 * scanner means (the milter tempfails when scanner != none and none is
 * loaded).  The caller owns the result. */
mg_result *mg_engine_run(const char *raw, size_t len, const mg_config *cfg,
			 mg_scanner *scanner, mg_mode mode, const char *id, time_t now);

/* mg_engine_run(raw, len, cfg, NULL, MG_MODE_SANITIZE, id, now). */
mg_result *mg_sanitize(const char *raw, size_t len, const mg_config *cfg,
		       const char *id, time_t now);

void mg_result_free(mg_result *r);

#endif
