/*
 * conf.h - the settings: one table drives the parser, the defaults, the
 * annotated sample (conf/mugaika.conf) and the check of the man page
 * (man/mugaika.conf.5).
 *
 * The file format is Postfix main.cf style: "name = value" lines, '#'
 * comments, blank lines ignored, a line starting with white space continues
 * the previous value.  An empty file means all defaults.  Unknown names and
 * bad values are errors that name the file and line.
 *
 * A loaded mg_config is immutable and reference-counted: the milter swaps in
 * a new snapshot on reload while messages in flight keep theirs.
 */
#ifndef MG_CONF_H
#define MG_CONF_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define MG_DEFAULT_CONFIG "/etc/mugaika/mugaika.conf"

typedef enum { MG_OUT_UTF8 = 0, MG_OUT_ISO2022JP } mg_output_charset;
typedef enum { MG_BODY_BASE64 = 0, MG_BODY_QP, MG_BODY_8BIT } mg_body_encoding;
typedef enum { MG_HTML_PREFER_TEXT = 0, MG_HTML_ALWAYS_CONVERT } mg_html_mode;
/* links: values of mg_links_mode (links.h): keep, defang, remove */
typedef enum { MG_KEEP_CHANGED = 0, MG_KEEP_REMOVED_PARTS, MG_KEEP_ALL } mg_keep_originals;
typedef enum { MG_LANG_JA = 0, MG_LANG_EN } mg_language;
typedef enum {
	MG_FAC_MAIL = 0, MG_FAC_LOCAL0, MG_FAC_LOCAL1, MG_FAC_LOCAL2, MG_FAC_LOCAL3,
	MG_FAC_LOCAL4, MG_FAC_LOCAL5, MG_FAC_LOCAL6, MG_FAC_LOCAL7
} mg_log_facility;
/* summary_format: the per-message summary line as text, JSON or both */
typedef enum { MG_SUMMARY_TEXT = 0, MG_SUMMARY_JSON, MG_SUMMARY_BOTH } mg_summary_format;
/* test_inject_failure: what the milter pretends has failed */
typedef enum {
	MG_INJECT_NONE = 0, MG_INJECT_ENGINE, MG_INJECT_UNAVAILABLE, MG_INJECT_STORE,
	MG_INJECT_SCANNER
} mg_inject;
/* scanner: what scans for viruses (scan.h) */
typedef enum { MG_SCANNER_CLAMAV = 0, MG_SCANNER_CLAMD, MG_SCANNER_NONE } mg_scanner_kind;
/* virus_action: what becomes of a message with a virus */
typedef enum {
	MG_VIRUS_REJECT = 0, MG_VIRUS_DISCARD, MG_VIRUS_QUARANTINE_NOTIFY
} mg_virus_action;

typedef struct mg_config {
	int refcount;
	char *path;                 /* file it was read from, or NULL for defaults */

	/* the safe message */
	int output_charset;         /* mg_output_charset */
	int body_encoding;          /* mg_body_encoding (utf-8 output only) */
	int html_mode;              /* mg_html_mode */
	int links;                  /* mg_links_mode */
	char **keep_headers;        /* NULL-terminated, lower case */
	int keep_originals;         /* mg_keep_originals */
	char *subject_tag;          /* "" by default */
	int notice_language;        /* mg_language */
	char *notice_template;      /* path; "" = the built-in template of notice_language */

	/* limits */
	size_t max_message_size;    /* bytes of the raw message */
	size_t max_header_bytes;    /* bytes of the header block */
	unsigned max_mime_depth;    /* nesting of multiparts and attached messages */
	unsigned max_parts;         /* MIME leaves */
	size_t max_decoded_bytes;   /* decoded bytes of all parts together */
	size_t max_text_bytes;      /* bytes of text in the safe body */
	unsigned max_html_depth;    /* HTML element nesting tracked */
	unsigned max_processing_time; /* seconds of engine time per message */

	/* scanning (scan.c, clamd.c) */
	int scanner;                /* mg_scanner_kind */
	char *clamav_database;      /* directory of signatures (scanner = clamav) */
	char *clamd_socket;         /* "unix:PATH" or "inet:PORT@HOST" (scanner = clamd) */
	unsigned clamav_max_age;    /* days before the signatures are called old */
	unsigned scanner_check_interval; /* seconds between checks of clamav_database; 0 off */
	int virus_action;           /* mg_virus_action */
	size_t scan_max_filesize;   /* bytes of one file (part or member) scanned */
	size_t scan_max_scansize;   /* bytes scanned per part, unpacked content included */
	unsigned scan_max_recursion; /* nesting of archives scanned */
	unsigned scan_max_files;    /* files scanned inside one part */
	unsigned scan_max_time;     /* seconds per scan (and for clamd's reply) */
	int scan_heuristics_phishing; /* 0 no, 1 yes */
	int scan_raw_message;       /* 0 no, 1 yes: scan the raw message too */
	int scan_cache;             /* 0 no, 1 yes: libclamav's cache of clean parts */
	char *scan_tmpdir;          /* libclamav's temporary files (scanner = clamav) */

	/* attachments (classify.c, archive.c) */
	char **banned_extensions;   /* NULL-terminated, lower case, without the dot */
	unsigned archive_max_depth; /* nesting of archives opened (1: the part only) */
	unsigned archive_max_members; /* entries of one part's archives, nested included */
	size_t archive_max_size;    /* uncompressed bytes read from one part's archives */
	unsigned archive_max_ratio; /* uncompressed bytes per byte of the part */

	/* milter (mugaika-milter) */
	char *socket;               /* "unix:PATH" or "inet:PORT@ADDR" (MG_T_SOCKET) */
	unsigned socket_mode;       /* permission bits of a unix socket (MG_T_MODE) */
	char *socket_group;         /* group of a unix socket; "" = leave it */
	char *user;                 /* service user the daemon runs as */
	size_t max_memory_message;  /* bytes kept in memory before spilling */
	unsigned poison_limit;      /* failures before keep-and-notice */
	int log_facility;           /* mg_log_facility */
	int summary_format;         /* mg_summary_format */
	unsigned milter_timeout;    /* seconds libmilter waits on the MTA */
	unsigned progress_interval; /* seconds between progress replies */
	char **outbound_daemons;    /* {daemon_name} values of outgoing mail, lower case */
	int outbound_unscanned;     /* 0 reject, 1 pass: outgoing mail a limit left unscanned */

	/* quarantine (quarantine.c, spool.c) */
	char *quarantine_dir;       /* spool of kept originals */
	char *quarantine_db;        /* SQLite index and audit log */
	char *quarantine_key_file;  /* keys for encryption at rest; "" = off */
	unsigned retention_days;    /* days originals are kept (mugaika purge) */
	unsigned audit_retention_days; /* days audit and index rows are kept (>= 365) */
	char *audit_syslog_socket;  /* where the audit chain head is logged */
	char *release_relay;        /* "HOST:PORT" / "[ADDR]:PORT" (mugaika release) */
	unsigned release_timeout;   /* seconds per reply of release_relay */
	unsigned spool_free_warning; /* percent free below which stats warns; 0 off */
	int report_language;        /* mg_language: labels of mugaika report */

	/* testing only */
	int test_inject_failure;    /* mg_inject */
	unsigned test_delay;        /* seconds of added work per message */
	size_t test_reply_chunk;    /* largest body replacement request */
} mg_config;

typedef enum {
	MG_T_STRING, MG_T_PATH, MG_T_ENUM, MG_T_UINT, MG_T_SIZE, MG_T_LIST,
	MG_T_SOCKET,              /* unix:/ABS/PATH, inet:PORT@ADDR, inet6:PORT@ADDR */
	MG_T_MODE                 /* octal permission bits, 0..0777 (unsigned) */
} mg_setting_type;

typedef struct {
	const char *name;
	mg_setting_type type;
	const char *def;          /* default, as written in the file */
	const char *choices;      /* MG_T_ENUM: "a|b|c" (index = stored int) */
	unsigned long long min, max; /* MG_T_UINT / MG_T_SIZE bounds */
	size_t offset;            /* offsetof(mg_config, field) */
	const char *section;      /* heading in the sample and the man page */
	const char *doc;          /* one or more sentences, English */
} mg_setting;

/* The table; *n gets its length. */
const mg_setting *mg_settings(size_t *n);

/* A new config with every default; refcount 1. */
mg_config *mg_config_new_defaults(void);

/* Reads path.  On error returns NULL and sets *err to "FILE:LINE: message"
 * (caller frees).  A missing file is an error. */
mg_config *mg_config_load(const char *path, char **err);

mg_config *mg_config_ref(mg_config *c);
void mg_config_unref(mg_config *c);

/* True when header name (any case) is in keep_headers. */
bool mg_config_keeps_header(const mg_config *c, const char *name);

/* The annotated sample config generated from the table (what
 * conf/mugaika.conf must equal); caller frees. */
char *mg_config_sample(void);

/* Holds the man page (man/mugaika.conf.5, roff text) to the table.  Every
 * setting must have a ".TP" / ".B name" entry under the ".SS" of its
 * section, whose text mentions "Default: \fIvalue\fR" (or "Default:
 * empty"), each value of an ENUM and the range of a UINT or SIZE (as
 * "1..1000", "1K..2G"); no entry may name a setting the table lacks.
 * Returns NULL when all holds, else the differences, one per line (caller
 * frees). */
char *mg_config_check_manpage(const char *manpage_text);

#endif
