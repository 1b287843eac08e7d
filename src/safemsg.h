/*
 * safemsg.h - the safe message's header edits and the body's encoding.
 *
 * mg_safemsg_headers() decides, for every header of the original (the
 * message's own and its top MIME part's, in their original order), whether
 * it stays, is rewritten (kept but with unclean bytes, or the Subject with
 * subject_tag) or goes (not on keep_headers, every Content-* and
 * MIME-Version, every X-Mugaika-*, extra copies of single-instance headers,
 * headers past max_header_bytes), and adds MIME-Version, Content-Type,
 * Content-Transfer-Encoding and the X-Mugaika-* headers.  It returns the
 * edits as data and renders the resulting header block.
 *
 * mg_safemsg_body() encodes the finished UTF-8 text in the output charset
 * and transfer encoding.
 */
#ifndef MG_SAFEMSG_H
#define MG_SAFEMSG_H

#include <gmime/gmime.h>
#include "conf.h"
#include "verdict.h"

typedef struct {
	const char *charset;   /* "utf-8" or "ISO-2022-JP" (static) */
	const char *cte;       /* "base64", "quoted-printable", "8bit", "7bit" (static) */
	char *data;            /* encoded body, '\n' line ends; caller frees */
	size_t len;
} mg_body;

/* Encodes text (UTF-8, '\n' line ends) per output_charset and body_encoding,
 * falling back to UTF-8 (MG_R_OUTPUT_FALLBACK, a warning) when ISO-2022-JP
 * cannot carry it.  Sets v->output_charset. */
void mg_safemsg_body(const char *text, size_t len, const mg_config *cfg, mg_verdict *v,
		     mg_body *out);

/* Fills v->subject and v->from (decoded) and notes forged X-Mugaika-*
 * headers; call before the notice is made. */
void mg_safemsg_inspect(GMimeMessage *msg, mg_verdict *v);

/* Appends mg_header_edit* to edits and the resulting header block (ending
 * with the blank line) to out.  msg may be NULL (unparseable input: only the
 * additions).  The verdict must be final (X-Mugaika-Status reads it). */
void mg_safemsg_headers(GMimeMessage *msg, const mg_config *cfg, mg_verdict *v,
			const mg_body *body, GPtrArray *edits, GString *out);

void mg_header_edit_free(void *edit);

#endif
