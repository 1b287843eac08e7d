/*
 * release.h - the SMTP client of mugaika release: hands one kept original
 * to release_relay (a listener without milters) with its original envelope
 * sender, for the recipients given, and reports the relay's answer for
 * each recipient.
 *
 * One session: connect (each address of the host in turn), greeting, EHLO
 * (HELO when EHLO is refused), MAIL FROM:<sender> (with BODY=8BITMIME when
 * the message has 8-bit bytes and the relay offers it, SMTPUTF8 likewise
 * for a non-ASCII address), RCPT TO:<rcpt> for each, DATA with the
 * message's lines ending in CRLF and leading dots doubled, QUIT.  No
 * pipelining, no TLS (the relay is local), nothing added to the message.
 * Every wait (connection, each reply) ends after the timeout.
 *
 * A recipient is delivered only when its RCPT TO and the end of the data
 * were both answered 2xx.  The result is the caller's (mg_release_result_free).
 */
#ifndef MG_RELEASE_H
#define MG_RELEASE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* What became of one recipient. */
typedef struct {
	char *rcpt;
	bool delivered;         /* 2xx to RCPT TO and to the end of the data */
	int code;               /* the reply that decided it (0: none came) */
	char *reply;            /* its text, lines joined with " / ", or the error */
} mg_release_rcpt;

typedef struct {
	GPtrArray *rcpts;       /* mg_release_rcpt*, in the order given */
	char *error;            /* what failed for the whole message, or NULL */
	int code;               /* the reply code of that failure (0: none came) */
	bool temporary;         /* that failure (or every refusal) may pass on a retry */
	char *queued;           /* the reply to the end of the data when 2xx, or NULL */
} mg_release_result;

/* Splits "HOST:PORT" or "[ADDR]:PORT" (the release_relay setting) into
 * *host and *port (caller frees); false with *err (caller frees). */
bool mg_release_parse_relay(const char *relay, char **host, char **port, char **err);

/* Sends msg (len bytes, as kept) from mail_from ("" for the null sender) to
 * the n recipients through relay; helo is the name given in EHLO.  Never
 * NULL: failures are in the result. */
mg_release_result *mg_release_send(const char *relay, unsigned timeout_seconds,
				   const char *helo, const char *mail_from,
				   char *const *rcpts, guint n, const char *msg, size_t len);

/* Delivered recipients counted, and how many of the others were refused
 * temporarily (4xx, or no reply) and permanently (5xx). */
void mg_release_tally(const mg_release_result *r, guint *delivered, guint *temporary,
		      guint *permanent);

void mg_release_result_free(mg_release_result *r);

#endif
