/*
 * editplan.h - turns the engine's header edits and body into the exact
 * requests the milter sends the MTA, checked against the header fields the
 * MTA actually sent.  Free of libmilter: milter.c only replays the plan.
 *
 * The engine numbers headers on its own parse of the message (GMime);
 * the MTA numbers the fields it sent.  The two agree when every field the
 * MTA sent was parsed as a field, which the plan checks: an engine edit
 * that names a field the MTA did not send is dropped (and counted), and
 * every field the MTA sent that the engine left in place although it must
 * not survive (a name not in keep_headers; any Content-*, MIME-Version or
 * X-Mugaika-*; a kept field with bytes that are not clean 7-bit text that
 * the engine did not rewrite) is deleted as well.
 *
 * Order of the requests: the engine's changes in its order, then every
 * delete from the last field to the first (so, per name, the highest index
 * first: each index stays valid whether or not the MTA renumbers after a
 * delete), then the additions in the engine's order.  When the engine saw
 * exactly the MTA's fields this is exactly the engine's list.
 *
 * Values are sent in the MTA's folding: lines separated by a bare LF, each
 * continuation starting with white space (Postfix and Sendmail both split
 * a value at LF into lines; a CR would stay in the message).  With
 * SMFIP_HDR_LEADSPC negotiated the MTA adds nothing after the colon, so
 * the value then starts with the space; without it the MTA adds ": ".
 */
#ifndef MG_EDITPLAN_H
#define MG_EDITPLAN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

typedef enum { MG_OP_CHANGE, MG_OP_DELETE, MG_OP_ADD } mg_op_kind;

/* One request: smfi_chgheader(name, index, value) for CHANGE, with NULL
 * for DELETE; smfi_addheader(name, value) for ADD. */
typedef struct {
	mg_op_kind kind;
	char *name;
	unsigned index;          /* CHANGE, DELETE: 1-based among fields of this name */
	char *value;             /* CHANGE, ADD: wire form; NULL for DELETE */
} mg_op;

typedef struct {
	GPtrArray *ops;          /* mg_op*, in the order to send */
	char *body;              /* the new body with CRLF line ends */
	size_t body_len;
	unsigned extra_deletes;  /* fields deleted that the engine had left */
	unsigned bad_edits;      /* engine edits naming a field the MTA did not send */
} mg_plan;

/* rcvd: mg_rcvd_header* (msgbuf.h) as the MTA sent them; edits:
 * mg_header_edit* (sanitize.h) of the engine or of a fallback; body: the
 * engine's body ('\n' line ends).  The caller owns the plan. */
mg_plan *mg_plan_build(const GPtrArray *rcvd, const GPtrArray *edits, const char *body,
		       size_t body_len, const mg_config *cfg, bool leadspc);
void mg_plan_free(mg_plan *p);

/* The wire form of an engine value ("\n " folding, no leading space);
 * caller frees. */
char *mg_plan_wire_value(const char *value, bool leadspc);

#endif
