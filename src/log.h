/*
 * log.h - the daemon's log: syslog with the configured facility, or
 * standard error when running in the foreground.
 *
 * Every line about a message starts with its queue id (the MTA's {i}, or
 * "NOQUEUE" before the MTA has assigned one), then free text or key=value
 * fields.  Each message gets exactly one summary line (mg_log_summary):
 *
 *   QUEUEID: id=ID action=ACTION reasons=R,R removed=N kept=yes|no
 *            size=IN/OUT ms=T direction=inbound|outbound [error=CODE]
 *            [virus=NAME,NAME] [suspicious=NAME,NAME]
 *
 * (one line; "-" stands for an empty value; virus= and suspicious= only
 * when the scanner found something, each name once, characters other than
 * letters, digits and "._-:/" shown as '_').  With summary_format = json
 * (or both) the same summary is a JSON object on a line of its own, with
 * the envelope as well, for log shippers:
 *
 *   {"queue_id":"4Xy","id":"2026...","time":"2026-11-22T06:30:00Z",
 *    "action":"deliver","outcome":"kept","direction":"inbound",
 *    "reasons":["html_converted"],"removed":1,"kept":true,"size_in":N,
 *    "size_out":N,"ms":N,"error":null,"virus":[],"suspicious":[],
 *    "mail_from":"a@b","rcpts":["c@d"],"rcpt_count":1,"client_addr":"..",
 *    "signatures":{"version":N,"built":"2026-11-01T00:00:00Z"}}
 *
 * (rcpts lists the first 50 recipients; signatures is null without a
 * scanner).  Lines not about a message (start, reload, stop) have no
 * queue id.  All functions are thread-safe
 * and may be called before mg_log_open() (they then write to stderr).
 */
#ifndef MG_LOG_H
#define MG_LOG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { MG_LOG_ERR, MG_LOG_WARNING, MG_LOG_INFO, MG_LOG_DEBUG } mg_log_level;

/* ident: program name; facility: an mg_log_facility; to_stderr: log to
 * standard error instead of syslog. */
void mg_log_open(const char *ident, int facility, bool to_stderr);
/* Switches the syslog facility (on reload). */
void mg_log_set_facility(int facility);
void mg_log_close(void);

/* One line.  qid: the queue id, or NULL for a line not about a message. */
void mg_log(mg_log_level level, const char *qid, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* The fields of a summary line; NULL strings are written as "-". */
typedef struct {
	const char *qid;
	const char *id;          /* quarantine ID */
	const char *action;      /* deliver, reject, discard, tempfail, aborted */
	const char *outcome;     /* mg_decision_outcome(), or NULL (aborted) */
	const char *reasons;     /* comma-separated reason names */
	const char *error;       /* why a tempfail (or a fallback), or NULL */
	const char *direction;   /* "inbound" or "outbound" */
	const char *virus;       /* signature detections "a,b", or NULL */
	const char *suspicious;  /* heuristic detections "a,b", or NULL */
	unsigned removed;        /* parts removed */
	bool kept;               /* the original was kept */
	size_t in, out;          /* bytes of the original and of the new body */
	long ms;                 /* milliseconds from MAIL FROM to the answer */
	/* for the JSON form */
	time_t at;               /* when the answer was given */
	const char *mail_from;   /* envelope sender, "" for <> */
	const GPtrArray *rcpts;  /* char*: envelope recipients, or NULL */
	const char *client_addr;
	unsigned sig_version;    /* signature database version, 0: none */
	time_t sig_time;         /* its build time, 0: unknown */
} mg_summary;

/* Logs s in the form(s) format (an mg_summary_format) asks for. */
void mg_log_summary(const mg_summary *s, int format);
/* The JSON object of s, without a newline; caller frees. */
char *mg_summary_json(const mg_summary *s);

/* The queue id of the message the calling thread works on (borrowed: the
 * caller keeps it alive until it sets NULL); lines logged without a queue
 * id by code that knows nothing of messages (libclamav's) get it through
 * mg_log_thread_qid(), which is NULL when none is set. */
void mg_log_set_thread_qid(const char *qid);
const char *mg_log_thread_qid(void);

#endif
