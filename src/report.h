/*
 * report.h - mugaika report: what the gateway did over a period, for
 * security staff, gathered from the quarantine index (tables traffic,
 * messages, recipients, audit; see traffic.h and quarantine.c) and
 * rendered as text, CSV, JSON (report_text.c) or one self-contained HTML
 * page with inline SVG charts (report_html.c).
 *
 * Gathering (report.c) is separate from rendering: mg_report_gather()
 * fills an mg_report; the renderers only read it.  Every string in an
 * mg_report is UTF-8 owned by the report (mg_report_free), already made
 * display-safe where it came from a message (mg_cli_display rules).
 *
 * Days are local calendar days in the time zone of the process (TZ);
 * "time" strings are local ISO 8601 with their offset
 * ("2026-11-22T15:30:00+09:00").  Counts of messages count each message
 * once whatever its number of recipients; counts of recipients count each
 * (message, recipient) pair.
 *
 * Where the numbers come from:
 *  - outcomes, senders, recipients, signature age: the traffic records of
 *    every message the milter answered (kept or not);
 *  - viruses, suspicious detections, removed attachments, type
 *    mismatches, cannot-inspect kinds, incident look-ups: the kept
 *    originals (messages + their verdict JSON), which hold every message
 *    with a detection or a removed part;
 *  - releases: recipients.released_at/by of kept originals.
 */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include <glib.h>
#include <stdbool.h>
#include <time.h>

#include "quarantine.h"

/* Outcomes, in the order of the charts' stacks and the tables' columns;
 * the names are the traffic table's (mg_decision_outcome). */
typedef enum {
	MG_OC_PASSED = 0,	/* delivered as it came */
	MG_OC_SANITIZED,	/* changed, original not kept */
	MG_OC_KEPT,		/* changed, original kept */
	MG_OC_SUSPICIOUS,	/* heuristic detection: kept, notice */
	MG_OC_CANNOT_INSPECT,	/* encrypted / unreadable content: kept, notice */
	MG_OC_VIRUS,		/* signature detection: kept, refused or discarded */
	MG_OC_TEMPFAIL,		/* answered 4xx (internal error, outage) */
	MG_OC_COUNT
} mg_outcome;

/* "passed", "sanitized", ... ; NULL for an index out of range. */
const char *mg_outcome_name(mg_outcome o);
/* The outcome of a name; -1 when unknown. */
int mg_outcome_from_name(const char *name);

typedef enum { MG_REPORT_TEXT = 0, MG_REPORT_CSV, MG_REPORT_JSON, MG_REPORT_HTML } mg_report_format;
typedef enum { MG_REPORT_JA = 0, MG_REPORT_EN } mg_report_lang;

/* What to report on. */
typedef struct {
	time_t since, until;    /* [since, until) */
	time_t now;             /* when the report is made */
	unsigned top;           /* rows in the "top" tables (default 10) */
	const char *sha256;     /* incident look-up by file hash, or NULL */
	const char *virus;      /* incident look-up by detection name, or NULL */
} mg_report_query;

/* One local day. */
typedef struct {
	char day[11];                   /* "YYYY-MM-DD" */
	guint64 n[MG_OC_COUNT];         /* messages by outcome */
	guint64 inbound, outbound;      /* messages by direction */
	guint64 total;
	/* signature database: age in whole days at the messages of that day
	 * (min..max over its traffic records with a known build time);
	 * -1 when unknown */
	gint64 sig_age_min, sig_age_max;
	unsigned sig_version_max;       /* highest version seen that day, 0: none */
} mg_report_day;

/* A name with a count: a true type, an extension, a domain, a
 * recipient, an operator, a kind of cannot-inspect finding. */
typedef struct {
	char *key;
	guint64 count;
} mg_report_count;

/* A detection name (virus or heuristic) over the period. */
typedef struct {
	char *name;
	bool virus;                     /* signature; false: heuristic */
	guint64 messages;
	GPtrArray *rcpts;               /* char*: distinct recipients, sorted */
	char *first, *last;             /* local times of the first and last message */
} mg_report_detection;

/* A removed part whose true type contradicts its name or declared type. */
typedef struct {
	char *time;                     /* local time of the message */
	char *id;                       /* quarantine ID */
	char *filename;                 /* or NULL */
	char *declared;                 /* declared Content-Type */
	char *true_type;                /* libmagic's */
} mg_report_mismatch;

/* Releases over the period (by release time). */
typedef struct {
	guint64 count;                  /* recipients released */
	guint64 messages;               /* distinct messages */
	GPtrArray *by_operator;         /* mg_report_count*, most first */
	/* seconds from arrival to release, over the released recipients;
	 * -1 when there are none */
	gint64 median_s, p90_s, max_s;
} mg_report_releases;

/* Incident look-up: one message that carried the file or detection. */
typedef struct {
	char *id;
	char *time;                     /* local time received */
	char *mail_from;                /* envelope sender ("" for <>) */
	char *from_hdr, *subject;       /* decoded, display-safe, or NULL */
	char *client_addr;
	char *action;                   /* verdict action: deliver, reject, discard */
	char *status;                   /* held, released, deleted */
	char *matched;                  /* what matched: the file name / the detection */
	GPtrArray *rcpts;               /* mg_report_rcpt* */
} mg_report_hit;

typedef struct {
	char *rcpt;
	char *released_at;              /* local time, or NULL: not released */
	char *released_by;              /* or NULL */
} mg_report_rcpt;

typedef struct {
	mg_report_query q;
	char *since_text, *until_text, *made_text;	/* local ISO times */
	char *hostname;
	bool incident;                  /* q.sha256 or q.virus: only hits are filled */

	/* totals by outcome */
	GPtrArray *days;                /* mg_report_day*, every day of the period, oldest first */
	guint64 n[MG_OC_COUNT];         /* over the period */
	guint64 total, inbound, outbound;
	guint64 bytes_in;               /* sum of the originals' sizes */

	/* detections */
	GPtrArray *viruses;             /* mg_report_detection*, most messages first */
	GPtrArray *suspicious;          /* mg_report_detection* */

	/* removed attachments */
	guint64 removed_parts;
	GPtrArray *removed_by_type;     /* mg_report_count*: true type, most first (all) */
	GPtrArray *removed_by_ext;      /* mg_report_count*: lower-case extension without
					   the dot, "" for none (all) */
	GPtrArray *mismatches;          /* mg_report_mismatch*, newest first (at most 100) */
	guint64 mismatch_count;         /* all of them */

	/* what could not be inspected, by kind: password_zip (encrypted_archive),
	 * encrypted_document, smime_encrypted, pgp_encrypted, archive_unreadable,
	 * archive_bomb, archive_depth, limit (a limit was hit), other; and the
	 * messages with any of them */
	GPtrArray *cannot_inspect;      /* mg_report_count*, most first */
	guint64 cannot_inspect_messages;

	/* top senders and recipients (traffic, all mail; q.top rows) */
	GPtrArray *top_sender_domains;  /* mg_report_count*: envelope sender domain,
					   "<>" for the null sender */
	GPtrArray *top_rcpts;           /* mg_report_count* */

	mg_report_releases releases;

	/* signature database over the period (also per day in days) */
	gint64 sig_age_min, sig_age_max;	/* days; -1 unknown */
	unsigned sig_version_min, sig_version_max;	/* 0: none */

	/* incident look-up */
	GPtrArray *hits;                /* mg_report_hit*, oldest first */

	/* the index predates the traffic records (schema version < 3): the
	 * sections made from them (outcomes, days, senders, recipients,
	 * signatures) are empty, and renderers say so */
	bool no_traffic;
} mg_report;

/* Free functions for the elements of the arrays above: every array in an
 * mg_report is made with the matching one (g_ptr_array_new_with_free_func;
 * days with g_free, rcpts of a detection with g_free), so that
 * mg_report_free() frees everything. */
void mg_report_count_free(gpointer p);
void mg_report_detection_free(gpointer p);
void mg_report_mismatch_free(gpointer p);
void mg_report_rcpt_free(gpointer p);
void mg_report_hit_free(gpointer p);

/* Gathers the report for q from s (read-only is enough).  NULL with *err. */
mg_report *mg_report_gather(mg_store *s, const mg_report_query *q, char **err);
void mg_report_free(mg_report *r);

/* Renders r; the caller frees the string.  CSV starts with a UTF-8 BOM
 * and has one table per section, each headed by a line with the section
 * name, separated by an empty line (CRLF line ends, RFC 4180 quoting).
 * HTML is one page: inline CSS and SVG, no script, no external asset. */
char *mg_report_render(const mg_report *r, mg_report_format f, mg_report_lang lang);

/* Per-format renderers behind mg_report_render. */
char *mg_report_text(const mg_report *r, mg_report_lang lang);
char *mg_report_csv(const mg_report *r, mg_report_lang lang);
char *mg_report_json(const mg_report *r);
char *mg_report_html(const mg_report *r, mg_report_lang lang);

#endif
