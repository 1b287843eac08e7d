/*
 * decide.h - the work at the end of a message, free of libmilter: allocate
 * the quarantine ID, run the engine, keep the original where the verdict
 * says so, and settle the answer to the MTA by the failure policy.
 *
 *   scanner != none, none loaded -> 451 4.3.2 (before anything else)
 *   engine verdict deliver      -> keep if asked, then the edits and body
 *                                  (outbound: nothing, the message passes
 *                                  unchanged)
 *   engine verdict reject       -> keep if asked, then 550 5.7.1 (a virus:
 *                                  "virus detected", nothing more)
 *   engine verdict discard      -> keep if asked, then discard
 *   engine failed (internal)    -> 451 4.3.0, counted per retry key; once
 *                                  the same message has failed poison_limit
 *                                  times: keep it and deliver a notice
 *                                  (outbound: keep it and refuse it, 550
 *                                  5.7.1, since outgoing mail is never
 *                                  rewritten)
 *   engine unavailable          -> 451 4.3.2
 *   original not durably kept   -> 451 4.3.0 (nothing is changed)
 *
 * Inbound mail gets the engine in MG_MODE_SANITIZE, outbound mail (the
 * milter decides which) in MG_MODE_SCAN_ONLY, both with the scanner the
 * message started with.
 * Limits, suspicious and uninspectable content are the engine's business:
 * its verdict then asks to keep the original and deliver the notice.
 * A client retrying a message that was kept gets the same ID (the store
 * recognises the retry key).  mg_decide() blocks (engine, fsync) and is
 * meant to run off the libmilter thread; it may be called from any thread.
 */
#ifndef MG_DECIDE_H
#define MG_DECIDE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "editplan.h"
#include "quarantine.h"
#include "scan.h"
#include "snapshot.h"

typedef enum {
	MG_DECIDE_DELIVER = 0, MG_DECIDE_REJECT, MG_DECIDE_DISCARD, MG_DECIDE_TEMPFAIL
} mg_decision_kind;

typedef struct {
	const char *raw;             /* the message as received (msgbuf.h) */
	size_t len;
	const mg_envelope *env;
	const GPtrArray *rcvd;       /* mg_rcvd_header* */
	bool leadspc;                /* SMFIP_HDR_LEADSPC negotiated */
	time_t now;
	mg_scanner *scanner;         /* borrowed; NULL: none loaded */
	bool outbound;               /* scan only, change nothing */
} mg_decide_input;

typedef struct {
	mg_decision_kind kind;
	const char *rcode, *xcode, *text;  /* static SMTP reply (REJECT, TEMPFAIL) */
	const char *error;           /* static log code: internal, unavailable,
					scanner_unavailable, keep_failed,
					poison; NULL when none */
	char *id;                    /* quarantine ID, or NULL */
	bool kept;                   /* the original was kept */
	char *reasons;               /* verdict reasons, "a,b", or NULL */
	guint32 reason_bits;         /* the same as mg_reason bits */
	bool changed;                /* the delivered message differs from the original */
	char *virus;                 /* signature detections, "a,b", or NULL */
	char *suspicious;            /* heuristic detections, "a,b", or NULL */
	unsigned removed;            /* parts removed */
	size_t out_bytes;            /* bytes of the new body */
	mg_plan *plan;               /* DELIVER: the requests to send; NULL:
					none (outbound: pass unchanged) */
	GPtrArray *notes;            /* char*: warnings for the log */
} mg_decision;

mg_decision *mg_decide(mg_snapshot *snap, const mg_decide_input *in);
/* What became of the message, one word for reports and the summary line
 * (static): tempfail, virus, suspicious, cannot_inspect, kept (changed and
 * its original kept), sanitized (changed, not kept) or passed (delivered
 * or refused as it came).  The first that holds, in that order. */
const char *mg_decision_outcome(const mg_decision *d);
void mg_decision_free(mg_decision *d);

/* Turns d into the internal-error tempfail (e.g. when the MTA refused
 * an edit request). */
void mg_decision_internal_error(mg_decision *d);
/* A new internal-error tempfail with one note (e.g. the message could not
 * be buffered). */
mg_decision *mg_decision_new_internal_error(const char *why);

#endif
