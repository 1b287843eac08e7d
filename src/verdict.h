/*
 * verdict.h - what the engine decided about one message.
 *
 * The verdict is filled by the engine (sanitize.c) and read by everything
 * else: mugaika sanitize prints it as JSON, the milter maps its action to an
 * SMTP answer, the quarantine index stores it.  It owns all its strings;
 * free it with mg_verdict_free().  Memory policy for the whole project: GLib
 * allocation (g_malloc and friends), which aborts on out-of-memory; a milter
 * process that dies is answered by Postfix's milter_default_action = tempfail.
 */
#ifndef MG_VERDICT_H
#define MG_VERDICT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MG_VERDICT_VERSION 1

/* What happens to the whole message. */
typedef enum {
	MG_ACTION_DELIVER = 0,  /* deliver the safe message */
	MG_ACTION_REJECT,       /* 5xx */
	MG_ACTION_DISCARD,      /* accept and drop */
	MG_ACTION_TEMPFAIL      /* 4xx: internal error, the client retries */
} mg_action;

/* Reasons: a bit each; several may hold.  Names in mg_reason_name(). */
typedef enum {
	MG_R_HTML_CONVERTED    = 1u << 0,  /* an HTML part became text */
	MG_R_ATTACHMENT        = 1u << 1,  /* an attachment was removed */
	MG_R_INLINE            = 1u << 2,  /* an inline image/object was removed */
	MG_R_SIGNATURE         = 1u << 3,  /* an S/MIME or PGP signature was removed */
	MG_R_ENCRYPTED         = 1u << 4,  /* encrypted content: cannot inspect */
	MG_R_LINKS             = 1u << 5,  /* links were disarmed or removed */
	MG_R_LIMIT             = 1u << 6,  /* a limit was hit */
	MG_R_MALFORMED         = 1u << 7,  /* the parser warned about the structure */
	MG_R_HEADERS_REWRITTEN = 1u << 8,  /* a kept header had unclean bytes */
	MG_R_CHARSET           = 1u << 9,  /* charset label wrong/missing, or replacements */
	MG_R_OUTPUT_FALLBACK   = 1u << 10, /* iso-2022-jp output fell back to utf-8 */
	MG_R_VIRUS             = 1u << 11, /* a signature detection */
	MG_R_SUSPICIOUS        = 1u << 12, /* a heuristic detection */
	MG_R_CANNOT_INSPECT    = 1u << 13, /* content that could not be looked into */
	MG_R_CONVERTED         = 1u << 14, /* a non-plain text part (enriched, calendar) became text */
	MG_R_FORGED_HEADER     = 1u << 15, /* incoming X-Mugaika-* removed */
} mg_reason;

#define MG_REASON_COUNT 16

/* One part taken out of the message. */
typedef struct {
	char *part;          /* MIME part number, "1.2.1" */
	char *filename;      /* decoded, display-safe UTF-8, or NULL */
	char *content_type;  /* declared type, lower case, "application/pdf" */
	char *disposition;   /* "attachment", "inline" or NULL */
	size_t size;         /* decoded bytes */
	char sha256[65];     /* hex of the decoded bytes */
	char *why;           /* short reason code: attachment, inline, signature, encrypted, uuencode, ... */
	char *true_type;     /* libmagic's type, or NULL when not classified */
	char **findings;     /* NULL-terminated codes from classify.h ("double_extension"), or NULL */
	GPtrArray *members;  /* mg_removed_member*: archive listing, or NULL */
	char *detection;     /* scanner detection name, or NULL */
} mg_removed;

/* One member of a removed archive. */
typedef struct {
	char *name;          /* display-safe path inside the archive */
	guint64 size;
	bool encrypted;
} mg_removed_member;

/* A scanner detection (virus or heuristic) in some part. */
typedef struct {
	char *part;          /* MIME part number, "raw" for the whole message */
	char *filename;      /* display-safe, or NULL */
	char *name;          /* the scanner's name for it */
	bool virus;          /* signature detection; false: heuristic (suspicious) */
} mg_detection;

/* A limit that was hit. */
typedef struct {
	char *name;          /* setting name, e.g. "max_mime_depth" */
	size_t limit;
	size_t seen;
} mg_limit_hit;

typedef struct {
	int version;             /* MG_VERDICT_VERSION */
	char *id;                /* quarantine ID passed in (may be NULL) */
	time_t now;              /* time passed in */
	mg_action action;
	guint32 reasons;         /* mg_reason bits */
	bool keep_original;      /* policy says: keep the original */
	bool changed;            /* the delivered message differs from the original's body */
	char *output_charset;    /* charset of the delivered body: "utf-8" or "iso-2022-jp" */
	size_t input_bytes;
	size_t output_bytes;
	unsigned parts;          /* MIME leaves seen */
	unsigned text_parts;     /* leaves rendered as text */
	unsigned html_parts;     /* of which HTML */
	unsigned links;          /* links found */
	unsigned links_mismatch; /* links whose visible host differs from the target */
	size_t replacements;     /* characters that could not be decoded in any charset */
	bool scan_failed;        /* the scanner could not scan (action tempfail):
				    an outage, not a property of the message */
	GPtrArray *removed;      /* mg_removed* */
	GPtrArray *limits;       /* mg_limit_hit* */
	GPtrArray *detections;   /* mg_detection* */
	GPtrArray *warnings;     /* char*: parser warnings and charset findings */
	unsigned warnings_dropped; /* warnings beyond the first 100, counted only */
	char *subject;           /* decoded Subject (UTF-8), or NULL */
	char *from;              /* decoded From (UTF-8), or NULL */
} mg_verdict;

mg_verdict *mg_verdict_new(const char *id, time_t now);
void mg_verdict_free(mg_verdict *v);

void mg_verdict_add_reason(mg_verdict *v, mg_reason r);
/* Appends a warning (printf-style); duplicates beyond 100 are counted, not kept. */
void mg_verdict_warn(mg_verdict *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void mg_verdict_limit(mg_verdict *v, const char *name, size_t limit, size_t seen);
/* Takes ownership of r. */
void mg_verdict_add_removed(mg_verdict *v, mg_removed *r);
void mg_removed_free(mg_removed *r);
/* An empty array for mg_removed.members (frees its members). */
GPtrArray *mg_removed_members_new(void);
/* Records a detection (copies the strings) and sets reason virus or suspicious. */
void mg_verdict_detection(mg_verdict *v, const char *part, const char *filename,
			  const char *name, bool virus);

const char *mg_action_name(mg_action a);   /* "deliver", "reject", ... */
const char *mg_reason_name(mg_reason r);   /* "html_converted", ... */

/* Reason names joined with ',' ("html_converted,attachment"); caller frees. */
char *mg_verdict_reasons_string(const mg_verdict *v);
/* The X-Mugaika-Status value: "v=1; action=deliver; reasons=...; ..." ; caller frees. */
char *mg_verdict_status_header(const mg_verdict *v);
/* JSON object, "version" first, newline-terminated; caller frees. */
char *mg_verdict_to_json(const mg_verdict *v);

#endif
