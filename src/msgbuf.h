/*
 * msgbuf.h - one message as the MTA hands it to the milter: the header
 * fields in order, and the raw bytes (header block, blank line, body) held
 * in memory up to a limit and in a private temporary file beyond it.
 *
 * The raw header block is rebuilt from the milter's header callbacks the
 * same way every time: "Name:" + value + CRLF, where the value is what the
 * MTA sent (with its leading white space when the milter negotiated
 * SMFIP_HDR_LEADSPC, else with one space put back) and each bare LF of a
 * folded value becomes CRLF.  The body is appended byte for byte (the MTA
 * sends CRLF line ends).  So the header indices the engine computes on
 * these bytes are those the MTA uses for smfi_chgheader().
 *
 * Order of calls: headers, then body chunks, then mg_msgbuf_finish() once;
 * the view it returns stays valid until mg_msgbuf_free().  An mg_msgbuf is
 * used by one thread at a time.
 */
#ifndef MG_MSGBUF_H
#define MG_MSGBUF_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* A header field as received. */
typedef struct {
	char *name;
	char *value;     /* as sent by the MTA, LF between folded lines */
	unsigned index;  /* 1-based among fields of this name (any case) */
} mg_rcvd_header;

typedef struct mg_msgbuf mg_msgbuf;

/* mem_limit: bytes kept in memory before spilling to a file in tmpdir
 * (NULL: TMPDIR or /tmp). */
mg_msgbuf *mg_msgbuf_new(size_t mem_limit, const char *tmpdir);
void mg_msgbuf_free(mg_msgbuf *b);

/* leadspc: value carries its own leading white space (SMFIP_HDR_LEADSPC). */
void mg_msgbuf_header(mg_msgbuf *b, const char *name, const char *value, bool leadspc);
void mg_msgbuf_body(mg_msgbuf *b, const void *data, size_t len);

/* The whole raw message as one block (memory or a read-only mapping of
 * the spill file); borrowed.  False with *err (caller frees) when a spill
 * write or the mapping failed. */
bool mg_msgbuf_finish(mg_msgbuf *b, const char **data, size_t *len, char **err);

/* Headers received, mg_rcvd_header*, in order (borrowed). */
const GPtrArray *mg_msgbuf_headers(const mg_msgbuf *b);
/* Bytes received so far (header block and body). */
size_t mg_msgbuf_size(const mg_msgbuf *b);
/* True once the message went to a temporary file. */
bool mg_msgbuf_spilled(const mg_msgbuf *b);

#endif
