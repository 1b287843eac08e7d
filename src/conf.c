/*
 * conf.c - the settings table and everything derived from it.
 *
 * SYNOPSIS
 *	const mg_setting *mg_settings(size_t *n);
 *	mg_config *mg_config_new_defaults(void);
 *	mg_config *mg_config_load(const char *path, char **err);
 *	mg_config *mg_config_ref(mg_config *c);
 *	void mg_config_unref(mg_config *c);
 *	bool mg_config_keeps_header(const mg_config *c, const char *name);
 *	char *mg_config_sample(void);
 *	char *mg_config_check_manpage(const char *manpage_text);
 *
 * DESCRIPTION
 *	settings[] below is the only place a setting is defined.  The parser,
 *	the defaults (the table's default strings go through the parser), the
 *	sample file and the man-page check are all driven by it; the table
 *	entry's name is the struct field's name, and the field's C type is
 *	checked against the setting's type at compile time.
 *
 *	File format (Postfix main.cf style):
 *	- "name = value"; the value is trimmed of white space at both ends.
 *	- A line whose first non-blank character is '#' is a comment; blank
 *	  lines are ignored.  '#' later in a line is part of the value.
 *	- A line starting with white space continues the previous setting;
 *	  it is joined to the value with one space.  Comment and blank lines
 *	  between do not end the setting.
 *	- A setting given twice: the later one wins, as in Postfix.
 *	- Names are case-sensitive; ENUM values are accepted in any case;
 *	  LIST items are stored lower case.
 *	- The file must be UTF-8 without control characters (tabs allowed).
 *
 *	Loaded configs are immutable once returned and reference-counted
 *	(atomically: the milter's threads share them).
 *
 * DIAGNOSTICS
 *	mg_config_load: NULL with *err = "FILE:LINE: message" (the first line
 *	of the setting at fault), or "FILE: reason" when it cannot be read.
 *	A default string that does not parse is a bug in this file:
 *	mg_config_new_defaults() aborts with g_error().
 *
 * MEMORY
 *	GLib allocation: running out of memory aborts.  Strings and lists in
 *	an mg_config belong to it and are freed with its last reference.
 */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KB 1024ULL
#define MB (1024ULL * KB)
#define GB (1024ULL * MB)

#define SAMPLE_WIDTH 76		/* columns of the sample's comment lines */
#define SHOWN_MAX 60		/* characters of a bad value quoted in errors */

/* offsetof(mg_config, f), and a compile error unless f has type T */
#define FIELD(f, T) \
	(offsetof(mg_config, f) + 0 * sizeof(_Generic(((mg_config *)0)->f, T: 1)))

#define S_STRING(f, d, sec, doc) \
	{ #f, MG_T_STRING, d, NULL, 0, 0, FIELD(f, char *), sec, doc }
#define S_PATH(f, d, sec, doc) \
	{ #f, MG_T_PATH, d, NULL, 0, 0, FIELD(f, char *), sec, doc }
#define S_ENUM(f, d, choices, sec, doc) \
	{ #f, MG_T_ENUM, d, choices, 0, 0, FIELD(f, int), sec, doc }
#define S_UINT(f, d, lo, hi, sec, doc) \
	{ #f, MG_T_UINT, d, NULL, lo, hi, FIELD(f, unsigned), sec, doc }
#define S_SIZE(f, d, lo, hi, sec, doc) \
	{ #f, MG_T_SIZE, d, NULL, lo, hi, FIELD(f, size_t), sec, doc }
#define S_LIST(f, d, sec, doc) \
	{ #f, MG_T_LIST, d, NULL, 0, 0, FIELD(f, char **), sec, doc }
#define S_SOCKET(f, d, sec, doc) \
	{ #f, MG_T_SOCKET, d, NULL, 0, 0, FIELD(f, char *), sec, doc }
#define S_MODE(f, d, sec, doc) \
	{ #f, MG_T_MODE, d, NULL, 0, 0777, FIELD(f, unsigned), sec, doc }

#define SEC_SAFE "Safe message"
#define SEC_LIMITS "Limits"
#define SEC_SCAN "Scanning"
#define SEC_ATTACH "Attachments"
#define SEC_MILTER "Milter"
#define SEC_QUARANTINE "Quarantine"
#define SEC_TESTING "Testing"

/* Section headings in table order, with the text shown under them. */
static const struct {
	const char *name;
	const char *doc;
} sections[] = {
	{ SEC_SAFE, "What is delivered in place of the original message." },
	{ SEC_LIMITS, "Each limit, when hit, is reported in the verdict; the "
	  "message is still sanitized as far as that is safe, and its original "
	  "is kept." },
	{ SEC_SCAN, "Viruses and other threats in each part.  A signature "
	  "detection is a virus; a Heuristics.* detection (an encrypted "
	  "archive or document, macros, a broken executable, a scan limit "
	  "hit) is suspicious: the part is removed and the original kept.  A "
	  "part that cannot be scanned (no signatures loaded, clamd not "
	  "answering) makes the message fail with a temporary error." },
	{ SEC_ATTACH, "What a removed part really is: its file name, its type "
	  "as libmagic finds it, and the members of an archive.  An "
	  "executable, a name that hides its type, an archive bomb and "
	  "content that cannot be inspected (a password-protected archive "
	  "or document, S/MIME or PGP encryption) are named in the verdict "
	  "and the notice, and the original is kept." },
	{ SEC_MILTER, "The mugaika-milter daemon: where it listens, who it runs "
	  "as, how it logs and when it stops answering tempfail." },
	{ SEC_QUARANTINE, "Where originals are kept, and for how long.  The "
	  "directories and files are created mode 0700 and 0600 and must "
	  "belong to the service user." },
	{ SEC_TESTING, "For the test suite only: leave these at their "
	  "defaults on a real server." },
};

static const mg_setting settings[] = {
	S_ENUM(output_charset, "utf-8", "utf-8|iso-2022-jp", SEC_SAFE,
	       "Charset of the delivered text.  iso-2022-jp suits older Japanese "
	       "mail clients; a message whose text it cannot carry (emoji, for "
	       "example) is delivered in utf-8 instead, and the verdict and the "
	       "log say so."),
	S_ENUM(body_encoding, "base64", "base64|quoted-printable|8bit", SEC_SAFE,
	       "Content-Transfer-Encoding of a utf-8 body.  8bit needs every "
	       "relay on the way to accept 8BITMIME.  An iso-2022-jp body is "
	       "always 7bit."),
	S_ENUM(html_mode, "prefer_text", "prefer_text|always_convert", SEC_SAFE,
	       "prefer_text: the text/plain alternative of an HTML message is "
	       "delivered, and HTML is converted into text only when it has "
	       "none.  always_convert: the text is always made from the HTML "
	       "part, even when a plain alternative exists."),
	S_ENUM(links, "defang", "keep|defang|remove", SEC_SAFE,
	       "Links in the text.  keep leaves them as they are; defang "
	       "disarms them (hxxps://example[.]com/); remove takes them out.  "
	       "A numbered list at the end of the body shows each link's real "
	       "target and flags a link whose visible text names another host."),
	S_LIST(keep_headers,
	       "From, Sender, To, Cc, Reply-To, Subject, Date, Message-ID, "
	       "In-Reply-To, References, Received, Return-Path, "
	       "Authentication-Results, List-Id", SEC_SAFE,
	       "Header fields kept from the original message.  Every other "
	       "field is removed, and incoming X-Mugaika-* fields always are; "
	       "MIME-Version, Content-Type and Content-Transfer-Encoding are "
	       "written new."),
	S_ENUM(keep_originals, "changed", "changed|removed_parts|all", SEC_SAFE,
	       "Which originals are kept in the quarantine.  changed: those of "
	       "messages changed by sanitizing (HTML converted, a part "
	       "removed); removed_parts: only those that lost a part; all: "
	       "every one.  Originals of messages with a virus, a suspicious or "
	       "uninspectable part, or a limit hit are always kept."),
	S_STRING(subject_tag, "", SEC_SAFE,
	       "Text put in front of the Subject of sanitized mail, for example "
	       "【外部】 to mark mail from the internet; a tag that ends in an "
	       "ASCII character, such as [EXTERNAL], is followed by a space.  "
	       "Empty: the Subject is left as it is."),
	S_ENUM(notice_language, "ja", "ja|en", SEC_SAFE,
	       "Language of the notice at the top of the sanitized text and of "
	       "the link list: ja (Japanese) or en (English)."),
	S_PATH(notice_template, "", SEC_SAFE,
	       "Template file (UTF-8) of the notice.  Empty: the built-in "
	       "template of notice_language; notice.ja.txt and notice.en.txt, "
	       "installed next to this file, are copies of the built-ins to "
	       "start from."),

	S_SIZE(max_message_size, "64M", 1 * KB, 2 * GB, SEC_LIMITS,
	       "Bytes of the raw message, header and body."),
	S_SIZE(max_header_bytes, "1M", 1 * KB, 64 * MB, SEC_LIMITS,
	       "Bytes of the message's header block."),
	S_UINT(max_mime_depth, "32", 1, 1000, SEC_LIMITS,
	       "Nesting depth of multiparts and attached messages."),
	S_UINT(max_parts, "1000", 1, 1000000, SEC_LIMITS,
	       "Number of MIME leaf parts, those of attached messages included."),
	S_SIZE(max_decoded_bytes, "256M", 1 * KB, 2 * GB, SEC_LIMITS,
	       "Decoded bytes of all parts together."),
	S_SIZE(max_text_bytes, "16M", 1 * KB, 1 * GB, SEC_LIMITS,
	       "Bytes of text in the sanitized body."),
	S_UINT(max_html_depth, "512", 1, 100000, SEC_LIMITS,
	       "Nesting of HTML elements tracked while HTML is converted into "
	       "text."),
	S_UINT(max_processing_time, "60", 1, 3600, SEC_LIMITS,
	       "Seconds the sanitizing of one message may take."),

	S_ENUM(scanner, "clamav", "clamav|clamd|none", SEC_SCAN,
	       "What scans each part.  clamav: libclamav in the process, with "
	       "the signatures in clamav_database (mugaika-milter does not "
	       "start without them, and mugaika sanitize stops with exit code "
	       "75); clamd: a running clamd at clamd_socket (INSTREAM); none: "
	       "no scanning, which must be set explicitly."),
	S_PATH(clamav_database, "/var/lib/clamav", SEC_SCAN,
	       "Directory of ClamAV signatures as freshclam keeps them (.cvd, "
	       ".cld), or unsigned signature files (.hdb, .ndb and the like).  "
	       "New signatures are loaded beside the old ones when the "
	       "directory changes or on SIGUSR1; messages already being "
	       "scanned finish with the old ones, and a load that fails keeps "
	       "them."),
	S_SOCKET(clamd_socket, "unix:/run/clamav/clamd.ctl", SEC_SCAN,
	       "Where clamd listens (scanner = clamd): unix:PATH, or "
	       "inet:PORT@HOST (inet6:PORT@HOST) for TCP.  clamd's own limits "
	       "and alerts apply: set AlertEncrypted, AlertOLE2Macros, "
	       "AlertBrokenExecutables and AlertExceedsMax in clamd.conf for "
	       "the suspicious outcome."),
	S_UINT(clamav_max_age, "3", 1, 365, SEC_SCAN,
	       "Days after which loaded signatures count as old: a warning is "
	       "logged when they are loaded.  Signatures without a version "
	       "(only unsigned files) have no known age; the log says so."),
	S_UINT(scanner_check_interval, "60", 0, 86400, SEC_SCAN,
	       "Seconds between mugaika-milter's checks of clamav_database for "
	       "new signatures (as freshclam leaves them); when it has "
	       "changed, the signatures are loaded again beside the old ones "
	       "and swapped in.  SIGUSR1 checks at once.  0: only on SIGUSR1."),
	S_ENUM(virus_action, "discard", "reject|discard|quarantine_notify",
	       SEC_SCAN,
	       "What becomes of a message with a virus.  reject: the sender's "
	       "server gets a permanent error; discard: it is accepted and not "
	       "delivered; quarantine_notify: the recipients get the sanitized "
	       "message without the infected part.  The original is always "
	       "kept and the detection logged."),
	S_SIZE(scan_max_filesize, "100M", 1 * KB, 2 * GB, SEC_SCAN,
	       "Bytes of one file libclamav scans: a part, or a file inside an "
	       "archive.  A larger one is reported as "
	       "Heuristics.Limits.Exceeded.MaxFileSize (suspicious).  libclamav "
	       "scans at most 2G less one byte."),
	S_SIZE(scan_max_scansize, "400M", 1 * KB, 2 * GB, SEC_SCAN,
	       "Bytes libclamav scans for one part, content unpacked from "
	       "archives included; beyond it: "
	       "Heuristics.Limits.Exceeded.MaxScanSize."),
	S_UINT(scan_max_recursion, "17", 1, 100, SEC_SCAN,
	       "Depth of archives and other containers inside each other that "
	       "libclamav unpacks; deeper: "
	       "Heuristics.Limits.Exceeded.MaxRecursion."),
	S_UINT(scan_max_files, "10000", 1, 1000000, SEC_SCAN,
	       "Files libclamav unpacks from one part; more: "
	       "Heuristics.Limits.Exceeded.MaxFiles."),
	S_UINT(scan_max_time, "60", 1, 3600, SEC_SCAN,
	       "Seconds libclamav may spend on one part (beyond: "
	       "Heuristics.Limits.Exceeded.MaxScanTime), and seconds allowed "
	       "for clamd's reply (none in time: a temporary failure)."),
	S_ENUM(scan_heuristics_phishing, "no", "no|yes", SEC_SCAN,
	       "yes: libclamav also checks links in HTML and mail for phishing "
	       "(cloaked links, SSL mismatches, spoofed domains, with the .pdb "
	       "and .wdb lists in clamav_database) and reports them as "
	       "Heuristics.Phishing.* (suspicious).  no: it does not; links "
	       "are disarmed by the links setting anyway."),
	S_ENUM(scan_raw_message, "no", "no|yes", SEC_SCAN,
	       "yes: the raw message as received is scanned as a whole too, "
	       "besides each decoded part.  no: only the parts are scanned "
	       "(outgoing mail, outbound_daemons, always has its raw message "
	       "scanned too)."),
	S_ENUM(scan_cache, "yes", "no|yes", SEC_SCAN,
	       "yes: libclamav remembers the parts it found clean (by MD5 and "
	       "size) and does not scan the same bytes again until the next "
	       "reload: a logo or a newsletter's attachment sent to many "
	       "recipients costs one scan.  no: every part is scanned every "
	       "time (for benchmarks that send the same messages again and "
	       "again: with the cache they measure cache hits).  As clamd's "
	       "DisableCache.  scanner = clamav only."),
	S_PATH(scan_tmpdir, "/dev/shm", SEC_SCAN,
	       "Directory in which libclamav makes a private directory for "
	       "each scan (scanner = clamav) and writes what it unpacks while "
	       "it scans it: archive members, a PDF's objects, normalised "
	       "HTML.  On a tmpfs such as /dev/shm this costs some 20 "
	       "microseconds per part; on a disk file system it costs "
	       "hundreds.  The files take memory on a tmpfs while they are "
	       "scanned (at most scan_max_filesize each).  The scanner does "
	       "not load when this is not a directory the process can "
	       "write; a scan that cannot write there fails (a temporary "
	       "failure), it is not taken as clean."),

	S_LIST(banned_extensions,
	       "exe, com, scr, pif, bat, cmd, vbs, vbe, js, jse, wsf, wsh, "
	       "hta, cpl, msi, msp, mst, jar, ps1, psm1, lnk, url, reg, dll, "
	       "ocx, sys, inf, scf, chm, hlp, msc, application, gadget, appx, "
	       "msix, appref-ms, sct, ws, xll, iqy, slk, settingcontent-ms, "
	       "vhd, vhdx", SEC_ATTACH,
	       "File-name extensions of executables and scripts, without the "
	       "dot.  A part or archive member whose name ends in one of them "
	       "(after trailing dots and spaces, which Windows ignores), or "
	       "whose content libmagic finds to be an executable, is flagged "
	       "as an executable."),
	S_UINT(archive_max_depth, "3", 1, 20, SEC_ATTACH,
	       "How deep archives inside archives are opened: 1 lists the "
	       "members of an attached archive only.  An archive nested deeper "
	       "is not opened and its part counts as one that cannot be "
	       "inspected."),
	S_UINT(archive_max_members, "1000", 1, 1000000, SEC_ATTACH,
	       "Entries of one part's archives, those of nested archives "
	       "included.  More is taken as an archive bomb: reading stops and "
	       "the part counts as one that cannot be inspected."),
	S_SIZE(archive_max_size, "256M", 1 * MB, 2 * GB, SEC_ATTACH,
	       "Uncompressed bytes read from one part's archives, nested "
	       "archives included; the sizes their entries state count too, "
	       "before anything is read.  More is taken as an archive bomb."),
	S_UINT(archive_max_ratio, "100", 2, 100000, SEC_ATTACH,
	       "Uncompressed bytes per byte of the attached archive, checked "
	       "once more than 1M has been uncompressed.  More is taken as an "
	       "archive bomb."),

	S_SOCKET(socket, "unix:/var/spool/postfix/mugaika/milter.sock", SEC_MILTER,
	       "Where the milter listens: unix:PATH or inet:PORT@ADDR "
	       "(inet6:PORT@ADDR for IPv6).  The default lies inside Postfix's "
	       "chroot, where a chrooted smtpd reaches it as "
	       "unix:mugaika/milter.sock.  mugaika-milter -p overrides it."),
	S_MODE(socket_mode, "0660", SEC_MILTER,
	       "Permission bits of a unix socket, so that the MTA's user can "
	       "connect through socket_group."),
	S_STRING(socket_group, "postfix", SEC_MILTER,
	       "Group given to a unix socket (the group the MTA's smtpd runs "
	       "in).  Empty: the group is left as it is."),
	S_STRING(user, "mugaika", SEC_MILTER,
	       "Service user: when started as root, the daemon opens its "
	       "socket and then runs as this user (and its group).  It owns "
	       "the quarantine.  Empty: it stays the user it was started as.  "
	       "mugaika-milter -u overrides it."),
	S_SIZE(max_memory_message, "4M", 64 * KB, 1 * GB, SEC_MILTER,
	       "Bytes of a message held in memory while it is received; a "
	       "larger message is written to a private temporary file (in "
	       "TMPDIR, else /tmp) that is deleted when the message is done."),
	S_UINT(poison_limit, "3", 1, 100, SEC_MILTER,
	       "How often the same message (same content and envelope) may "
	       "fail with an internal error and be answered with a temporary "
	       "failure.  Once it has failed this many times its original is "
	       "kept and a notice is delivered instead, so that a message that "
	       "always fails is not retried forever."),
	S_ENUM(log_facility, "mail",
	       "mail|local0|local1|local2|local3|local4|local5|local6|local7",
	       SEC_MILTER,
	       "Syslog facility of the daemon's log.  In the foreground "
	       "(mugaika-milter -f) it logs to standard error instead."),
	S_ENUM(summary_format, "text", "text|json|both", SEC_MILTER,
	       "Form of the one summary line logged per message: text "
	       "(key=value fields after the queue id), json (one JSON object "
	       "per line, for a SIEM; the same fields plus the envelope, see "
	       "mugaika-milter(8)) or both (each message gets both lines)."),
	S_UINT(milter_timeout, "600", 10, 86400, SEC_MILTER,
	       "Seconds libmilter waits for the MTA on an open connection "
	       "before it gives up on it.  Keep it above the MTA's own command "
	       "timeouts (Postfix smtpd_timeout)."),
	S_UINT(progress_interval, "10", 1, 3600, SEC_MILTER,
	       "While a message is being sanitized and kept, a progress reply "
	       "is sent to the MTA every this many seconds, so that its "
	       "timeout for the end of the message (Postfix "
	       "milter_content_timeout) does not expire.  Keep it well below "
	       "that timeout."),
	S_LIST(outbound_daemons, "", SEC_MILTER,
	       "Values of the MTA's {daemon_name} macro (any case) whose mail "
	       "is outgoing, for example submission: it is scanned for viruses "
	       "only, never rewritten, and a message with a virus is refused "
	       "(550 5.7.1) and its original kept.  With Postfix set "
	       "milter_macro_daemon_name for that service in master.cf (-o "
	       "milter_macro_daemon_name=submission).  Empty: all mail is "
	       "incoming and sanitized."),
	S_ENUM(outbound_unscanned, "reject", "reject|pass", SEC_MILTER,
	       "Outgoing mail that could not be scanned completely (a scanner "
	       "limit such as scan_max_filesize, scan_max_recursion or "
	       "scan_max_time, max_decoded_bytes, max_message_size): reject "
	       "refuses it (550 5.7.1) and keeps its original, as a virus; "
	       "pass lets it go as it came (the summary line says limit).  "
	       "Suspicious and encrypted content (a password ZIP) is not "
	       "affected: outgoing, it passes."),

	S_PATH(quarantine_dir, "/var/spool/mugaika/quarantine", SEC_QUARANTINE,
	       "Directory of kept originals: one file per message, named by "
	       "its quarantine ID, in a subdirectory per day (YYYYMMDD).  "
	       "Created when absent; it must not be open to group or others."),
	S_PATH(quarantine_db, "/var/lib/mugaika/quarantine.db", SEC_QUARANTINE,
	       "SQLite index of the kept originals (envelope, verdict, status "
	       "of each) and the audit log.  Created when absent, with its "
	       "directory."),
	S_PATH(quarantine_key_file, "", SEC_QUARANTINE,
	       "Keys for encrypting originals at rest (AES-256-GCM): lines "
	       "\"KEYID HEX\", HEX being 64 hex digits.  New originals use the "
	       "key on the last line; older ones stay readable while their key "
	       "is still in the file, so a key is rotated by adding a line.  "
	       "The file must not be readable by others.  Empty: originals are "
	       "stored unencrypted."),
	S_UINT(retention_days, "90", 1, 3650, SEC_QUARANTINE,
	       "Days an original is kept; used by mugaika purge, which removes "
	       "older originals (their index rows stay for the audit)."),
	S_UINT(audit_retention_days, "400", 365, 36500, SEC_QUARANTINE,
	       "Days the audit log's rows, and the index rows of originals "
	       "that are gone, are kept; mugaika purge removes older ones.  At "
	       "least a year: the index itself refuses to remove a younger "
	       "row."),
	S_PATH(audit_syslog_socket, "/dev/log", SEC_QUARANTINE,
	       "The system logger's datagram socket.  After every row written "
	       "to the audit log, the new head of its hash chain is logged "
	       "there (facility authpriv), so that a truncated or rewritten "
	       "audit log shows against the system log (mugaika audit verify "
	       "--head).  When it cannot be logged, the command prints the "
	       "head on standard error instead."),
	S_STRING(release_relay, "127.0.0.1:10026", SEC_QUARANTINE,
	       "HOST:PORT (IPv6: [ADDR]:PORT) of the SMTP listener that takes "
	       "originals released by mugaika release.  It must run no milters, "
	       "so that released mail is not sanitized again (see "
	       "contrib/postfix/master.cf)."),
	S_UINT(release_timeout, "60", 5, 3600, SEC_QUARANTINE,
	       "Seconds mugaika release waits for the connection to "
	       "release_relay and for each of its replies."),
	S_UINT(spool_free_warning, "10", 0, 99, SEC_QUARANTINE,
	       "mugaika stats warns, and exits with 1, when the file system of "
	       "quarantine_dir has less than this percentage of its space or "
	       "inodes free.  0: never."),
	S_ENUM(report_language, "ja", "ja|en", SEC_QUARANTINE,
	       "Language of the labels in mugaika report's output (text, CSV "
	       "and HTML); mugaika report --lang overrides it."),

	S_ENUM(test_inject_failure, "none", "none|engine|unavailable|store|scanner",
	       SEC_TESTING,
	       "Makes every message fail on purpose: engine as an internal "
	       "error of the sanitizer, unavailable as a sanitizer that is not "
	       "ready, store as an original that could not be kept, scanner as "
	       "a virus scanner that is not loaded."),
	S_UINT(test_delay, "0", 0, 600, SEC_TESTING,
	       "Seconds added to the work on every message, to test progress "
	       "replies."),
	S_SIZE(test_reply_chunk, "64K", 1 * KB, 64 * KB, SEC_TESTING,
	       "Largest piece of the new body sent to the MTA in one request "
	       "(the protocol allows just under 64K).  miltertest reads "
	       "replies into a 1K buffer, so its tests set 1K."),
};

#define N_SETTINGS G_N_ELEMENTS(settings)

const mg_setting *
mg_settings(size_t *n)
{
	if (n)
		*n = N_SETTINGS;
	return settings;
}

static const mg_setting *
find_setting(const char *name)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static void *
field(mg_config *c, const mg_setting *s)
{
	return (char *)c + s->offset;
}

/* ---- values: parse one value of a setting into the config --------------- */

/* The value as quoted in an error message: cut when long. */
static char *
shown(const char *value)
{
	if (g_utf8_strlen(value, -1) <= SHOWN_MAX)
		return g_strdup(value);
	char *head = g_utf8_substring(value, 0, SHOWN_MAX - 3);
	char *s = g_strconcat(head, "...", NULL);
	g_free(head);
	return s;
}

static char *
value_error(const mg_setting *s, const char *value, const char *what)
{
	char *v = shown(value);
	char *msg = g_strdup_printf("%s: '%s' %s", s->name, v, what);
	g_free(v);
	return msg;
}

/* "64M" for 64 MB: the largest of G, M, K that divides n, else bytes. */
static char *
format_size(unsigned long long n)
{
	if (n && n % GB == 0)
		return g_strdup_printf("%lluG", n / GB);
	if (n && n % MB == 0)
		return g_strdup_printf("%lluM", n / MB);
	if (n && n % KB == 0)
		return g_strdup_printf("%lluK", n / KB);
	return g_strdup_printf("%llu", n);
}

/* "1..1000" or "1K..2G": the range as written in errors and docs. */
static char *
format_range(const mg_setting *s)
{
	if (s->type == MG_T_UINT)
		return g_strdup_printf("%llu..%llu", s->min, s->max);
	char *lo = format_size(s->min), *hi = format_size(s->max);
	char *r = g_strdup_printf("%s..%s", lo, hi);
	g_free(lo);
	g_free(hi);
	return r;
}

/* Leading decimal digits of *p into *n, advancing *p.  False when there is
 * no digit; *overflow set when the number does not fit. */
static bool
scan_number(const char **p, unsigned long long *n, bool *overflow)
{
	const char *q = *p;

	*n = 0;
	*overflow = false;
	for (; g_ascii_isdigit(*q); q++) {
		unsigned d = (unsigned)(*q - '0');
		if (*n > (ULLONG_MAX - d) / 10)
			*overflow = true;
		else
			*n = *n * 10 + d;
	}
	if (q == *p)
		return false;
	*p = q;
	return true;
}

static unsigned long long
size_multiplier(char suffix)
{
	switch (g_ascii_tolower(suffix)) {
	case 'k': return KB;
	case 'm': return MB;
	case 'g': return GB;
	default: return 0;
	}
}

static bool
in_range(const mg_setting *s, const char *value, unsigned long long n,
	 bool overflow, char **msg)
{
	if (!overflow && n >= s->min && n <= s->max)
		return true;
	char *range = format_range(s);
	char *what = g_strdup_printf("is out of range %s", range);
	*msg = value_error(s, value, what);
	g_free(what);
	g_free(range);
	return false;
}

static bool
parse_uint(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	const char *p = value;
	unsigned long long n;
	bool overflow;

	if (!scan_number(&p, &n, &overflow) || *p) {
		*msg = value_error(s, value, "is not a number");
		return false;
	}
	if (!in_range(s, value, n, overflow, msg))
		return false;
	*(unsigned *)field(c, s) = (unsigned)n;
	return true;
}

static bool
parse_size(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	const char *p = value;
	unsigned long long n, mult = 1;
	bool overflow;

	if (scan_number(&p, &n, &overflow) && *p && !p[1])
		mult = size_multiplier(*p++);
	if (p == value || *p || !mult) {
		*msg = value_error(s, value, "is not a size (a number with an "
				   "optional K, M or G suffix)");
		return false;
	}
	if (n > ULLONG_MAX / mult)
		overflow = true;
	if (!in_range(s, value, n * mult, overflow, msg))
		return false;
	*(size_t *)field(c, s) = (size_t)(n * mult);
	return true;
}

static bool
parse_enum(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	char **choices = g_strsplit(s->choices, "|", -1);
	int found = -1;

	for (int i = 0; choices[i] && found < 0; i++)
		if (g_ascii_strcasecmp(choices[i], value) == 0)
			found = i;
	if (found >= 0)
		*(int *)field(c, s) = found;
	else {
		char *list = g_strjoinv(", ", choices);
		char *what = g_strdup_printf("is not one of %s", list);
		*msg = value_error(s, value, what);
		g_free(what);
		g_free(list);
	}
	g_strfreev(choices);
	return found >= 0;
}

static void
set_string(const mg_setting *s, const char *value, mg_config *c)
{
	char **slot = field(c, s);

	g_free(*slot);
	*slot = g_strdup(value);
}

static bool
parse_path(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	if (!*value && *s->def) {
		*msg = g_strdup_printf("%s: a path is required", s->name);
		return false;
	}
	if (*value && *value != '/') {
		*msg = value_error(s, value, "is not an absolute path");
		return false;
	}
	set_string(s, value, c);
	return true;
}

/* "PORT@ADDR": a port 1..65535 and a host or address without blanks. */
static bool
valid_port_at(const char *p)
{
	unsigned long long port;
	bool overflow;

	if (!scan_number(&p, &port, &overflow) || overflow || port < 1 ||
	    port > 65535 || *p++ != '@' || !*p)
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

/* A socket as libmilter takes it: unix:/PATH, inet:PORT@ADDR, inet6:PORT@ADDR. */
static bool
parse_socket(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	const char *path = g_str_has_prefix(value, "unix:") ? value + 5 :
			   g_str_has_prefix(value, "local:") ? value + 6 : NULL;
	bool ok;

	if (path)
		ok = *path == '/' && strlen(path) < 108;	/* sun_path */
	else if (g_str_has_prefix(value, "inet:"))
		ok = valid_port_at(value + 5);
	else if (g_str_has_prefix(value, "inet6:"))
		ok = valid_port_at(value + 6);
	else
		ok = false;
	if (!ok) {
		*msg = value_error(s, value, "is not unix:/PATH, inet:PORT@ADDR "
				   "or inet6:PORT@ADDR");
		return false;
	}
	set_string(s, value, c);
	return true;
}

/* Octal permission bits, "0660". */
static bool
parse_mode(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	unsigned long mode = 0;
	const char *p = value;

	for (; *p >= '0' && *p <= '7' && mode <= s->max; p++)
		mode = mode * 8 + (unsigned long)(*p - '0');
	if (p == value || *p || mode > s->max) {
		*msg = value_error(s, value, "is not an octal mode 0..0777");
		return false;
	}
	*(unsigned *)field(c, s) = (unsigned)mode;
	return true;
}

/* A list item: visible ASCII, no ':' (header and daemon names). */
static bool
valid_item(const char *item)
{
	for (const char *p = item; *p; p++)
		if (*p < '!' || *p > '~' || *p == ':')
			return false;
	return true;
}

static bool
parse_list(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	char **words = g_strsplit_set(value, ", \t", -1);
	GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
	bool ok = true;

	for (int i = 0; words[i] && ok; i++) {
		if (!*words[i])
			continue;
		ok = valid_item(words[i]);
		if (ok)
			g_ptr_array_add(items, g_ascii_strdown(words[i], -1));
		else
			*msg = value_error(s, words[i], "is not a valid name");
	}
	g_strfreev(words);
	if (ok) {
		char ***slot = field(c, s);
		g_strfreev(*slot);
		g_ptr_array_set_free_func(items, NULL);
		g_ptr_array_add(items, NULL);
		*slot = (char **)g_ptr_array_free(items, FALSE);
	} else
		g_ptr_array_free(items, TRUE);
	return ok;
}

/* Parses value (trimmed) for s into c; on error *msg = "name: ..." */
static bool
apply_value(const mg_setting *s, const char *value, mg_config *c, char **msg)
{
	switch (s->type) {
	case MG_T_STRING: set_string(s, value, c); return true;
	case MG_T_PATH: return parse_path(s, value, c, msg);
	case MG_T_ENUM: return parse_enum(s, value, c, msg);
	case MG_T_UINT: return parse_uint(s, value, c, msg);
	case MG_T_SIZE: return parse_size(s, value, c, msg);
	case MG_T_LIST: return parse_list(s, value, c, msg);
	case MG_T_SOCKET: return parse_socket(s, value, c, msg);
	case MG_T_MODE: return parse_mode(s, value, c, msg);
	}
	g_error("conf: setting %s has an unknown type", s->name);
}

/* ---- config objects ----------------------------------------------------- */

mg_config *
mg_config_new_defaults(void)
{
	mg_config *c = g_new0(mg_config, 1);

	c->refcount = 1;
	for (size_t i = 0; i < N_SETTINGS; i++) {
		char *msg = NULL;
		if (!apply_value(&settings[i], settings[i].def, c, &msg))
			g_error("conf: bad default in the table: %s", msg);
	}
	return c;
}

mg_config *
mg_config_ref(mg_config *c)
{
	g_atomic_int_inc(&c->refcount);
	return c;
}

static void
config_free(mg_config *c)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const mg_setting *s = &settings[i];
		if (s->type == MG_T_STRING || s->type == MG_T_PATH ||
		    s->type == MG_T_SOCKET)
			g_free(*(char **)field(c, s));
		else if (s->type == MG_T_LIST)
			g_strfreev(*(char ***)field(c, s));
	}
	g_free(c->path);
	g_free(c);
}

void
mg_config_unref(mg_config *c)
{
	if (c && g_atomic_int_dec_and_test(&c->refcount))
		config_free(c);
}

bool
mg_config_keeps_header(const mg_config *c, const char *name)
{
	if (!c || !name || !c->keep_headers)
		return false;
	for (char **h = c->keep_headers; *h; h++)
		if (g_ascii_strcasecmp(*h, name) == 0)
			return true;
	return false;
}

/* ---- the file parser ---------------------------------------------------- */

typedef struct {
	const char *path;
	mg_config *c;
	GString *text;		/* the setting being collected */
	int start;		/* its first line; 0 when none */
	char *err;
} parse_state;

static bool
fail(parse_state *ps, int line, const char *msg)
{
	ps->err = g_strdup_printf("%s:%d: %s", ps->path, line, msg);
	return false;
}

/* Applies the collected "name = value" text, if any. */
static bool
finish_setting(parse_state *ps)
{
	if (!ps->start)
		return true;
	int line = ps->start;
	char *text = ps->text->str, *eq = strchr(text, '=');
	ps->start = 0;
	if (!eq)
		return fail(ps, line, "expected 'name = value'");
	char *name = g_strstrip(g_strndup(text, (size_t)(eq - text)));
	char *value = g_strstrip(g_strdup(eq + 1));
	const mg_setting *s = find_setting(name);
	char *msg = NULL;
	bool ok;
	if (!*name || strpbrk(name, " \t"))
		ok = fail(ps, line, "expected 'name = value'");
	else if (!s) {
		char *what = g_strdup_printf("unknown setting '%s'", name);
		ok = fail(ps, line, what);
		g_free(what);
	} else {
		ok = apply_value(s, value, ps->c, &msg);
		if (!ok)
			fail(ps, line, msg);
	}
	g_free(msg);
	g_free(name);
	g_free(value);
	return ok;
}

/* UTF-8 without control characters other than tab. */
static bool
line_is_clean(const char *line, parse_state *ps, int lineno)
{
	if (!g_utf8_validate(line, -1, NULL))
		return fail(ps, lineno, "line is not valid UTF-8");
	for (const char *p = line; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);
		if (ch != '\t' && g_unichar_iscntrl(ch))
			return fail(ps, lineno, "control character in line");
	}
	return true;
}

static bool
parse_line(parse_state *ps, char *line, int lineno)
{
	g_strchomp(line);
	if (!line_is_clean(line, ps, lineno))
		return false;
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return true;
	if (p != line) {
		if (!ps->start)
			return fail(ps, lineno, "continuation line without a "
				    "setting before it");
		g_string_append_c(ps->text, ' ');
		g_string_append(ps->text, p);
		return true;
	}
	if (!finish_setting(ps))
		return false;
	g_string_assign(ps->text, line);
	ps->start = lineno;
	return true;
}

static bool
parse_text(parse_state *ps, const char *text, size_t len)
{
	if (memchr(text, '\0', len)) {
		int line = 1;
		for (const char *p = text; *p; p++)
			line += *p == '\n';
		return fail(ps, line, "NUL byte in line");
	}
	char **lines = g_strsplit(text, "\n", -1);
	bool ok = true;
	for (int i = 0; lines[i] && ok; i++)
		ok = parse_line(ps, lines[i], i + 1);
	g_strfreev(lines);
	return ok && finish_setting(ps);
}

/* The whole file, NUL-terminated; NULL with *err set on failure. */
static char *
read_file(const char *path, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return NULL;
	}
	GString *buf = g_string_new(NULL);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		g_string_append_len(buf, chunk, (gssize)n);
	int bad = ferror(f) ? (errno ? errno : EIO) : 0;
	fclose(f);
	if (bad) {
		*err = g_strdup_printf("%s: %s", path, g_strerror(bad));
		g_string_free(buf, TRUE);
		return NULL;
	}
	*len = buf->len;
	return g_string_free(buf, FALSE);
}

mg_config *
mg_config_load(const char *path, char **err)
{
	size_t len = 0;
	char *msg = NULL;
	char *text = read_file(path, &len, &msg);
	parse_state ps = { path, NULL, NULL, 0, NULL };

	if (text) {
		ps.c = mg_config_new_defaults();
		ps.text = g_string_new(NULL);
		if (!parse_text(&ps, text, len)) {
			msg = ps.err;
			g_clear_pointer(&ps.c, mg_config_unref);
		} else
			ps.c->path = g_strdup(path);
		g_string_free(ps.text, TRUE);
		g_free(text);
	}
	if (err)
		*err = msg;
	else
		g_free(msg);
	return ps.c;
}

/* ---- the sample --------------------------------------------------------- */

/* Display columns of UTF-8 text: wide (CJK) characters take two. */
static size_t
columns(const char *s)
{
	size_t n = 0;
	for (; *s; s = g_utf8_next_char(s))
		n += g_unichar_iswide(g_utf8_get_char(s)) ? 2 : 1;
	return n;
}

/* Appends text as lines of at most width columns (words never split): the
 * first line starts with first, the others with next, each word with a
 * space before it. */
static void
wrap(GString *out, const char *first, const char *next, const char *text,
     size_t width)
{
	char **words = g_strsplit(text, " ", -1);
	GString *line = g_string_new(first);
	bool has_word = false;

	for (int i = 0; words[i]; i++) {
		if (!*words[i])
			continue;
		if (has_word && columns(line->str) + 1 + columns(words[i]) > width) {
			g_string_append_printf(out, "%s\n", line->str);
			g_string_assign(line, next);
		}
		g_string_append_printf(line, " %s", words[i]);
		has_word = true;
	}
	g_string_append_printf(out, "%s\n", line->str);
	g_string_free(line, TRUE);
	g_strfreev(words);
}

/* What values a setting takes, in a sentence; NULL for free text. */
static char *
type_note(const mg_setting *s)
{
	char *range, *note, **choices;

	switch (s->type) {
	case MG_T_PATH:
		return g_strdup(*s->def ? "An absolute path." :
				"An absolute path, or empty.");
	case MG_T_ENUM:
		choices = g_strsplit(s->choices, "|", -1);
		range = g_strjoinv(", ", choices);
		note = g_strdup_printf("One of: %s.", range);
		g_strfreev(choices);
		g_free(range);
		return note;
	case MG_T_UINT:
		range = format_range(s);
		note = g_strdup_printf("A number, %s.", range);
		g_free(range);
		return note;
	case MG_T_SIZE:
		range = format_range(s);
		note = g_strdup_printf("A size in bytes, %s (suffix K, M or G: "
				       "times 1024, 1024^2, 1024^3).", range);
		g_free(range);
		return note;
	case MG_T_LIST:
		return g_strdup("Names separated by commas or white space, "
				"in any case.");
	case MG_T_SOCKET:
		return g_strdup("unix:/PATH, inet:PORT@ADDR or inet6:PORT@ADDR.");
	case MG_T_MODE:
		return g_strdup("Octal permission bits, 0..0777.");
	case MG_T_STRING:
		break;
	}
	return NULL;
}

static const char *
section_doc(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(sections); i++)
		if (strcmp(sections[i].name, name) == 0)
			return sections[i].doc;
	g_error("conf: setting in unknown section '%s'", name);
}

static void
sample_header(GString *out)
{
	g_string_append(out,
		"# mugaika.conf - settings of mugaika, the mail-sanitizing milter.\n"
		"# See mugaika.conf(5) for the full description.\n"
		"#\n");
	wrap(out, "#", "#",
	     "Format, as in Postfix main.cf: \"name = value\" lines; a line "
	     "whose first non-blank character is '#' is a comment; a line "
	     "starting with white space continues the previous value.  A "
	     "setting given twice: the later one wins.  Unknown names and bad "
	     "values are errors.", SAMPLE_WIDTH);
	g_string_append(out, "#\n");
	wrap(out, "#", "#",
	     "Every setting is shown below commented out, with its default: "
	     "this file as it is, or an empty file, means all defaults.  It "
	     "is generated from the table in src/conf.c (mg_config_sample()).",
	     SAMPLE_WIDTH);
}

static void
sample_section(GString *out, const char *name)
{
	static const char rule[] = "# ======================================"
				   "==================================\n";

	g_string_append_printf(out, "\n%s# %s\n", rule, name);
	wrap(out, "#", "#", section_doc(name), SAMPLE_WIDTH);
	g_string_append(out, rule);
}

static void
sample_setting(GString *out, const mg_setting *s)
{
	char *note = type_note(s);
	char *first = g_strdup_printf("#%s =", s->name);

	g_string_append_c(out, '\n');
	wrap(out, "#", "#", s->doc, SAMPLE_WIDTH);
	if (note)
		wrap(out, "#", "#", note, SAMPLE_WIDTH);
	wrap(out, first, "#   ", s->def, SAMPLE_WIDTH);
	g_free(first);
	g_free(note);
}

char *
mg_config_sample(void)
{
	GString *out = g_string_new(NULL);
	const char *section = NULL;

	sample_header(out);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (!section || strcmp(section, settings[i].section) != 0) {
			section = settings[i].section;
			sample_section(out, section);
		}
		sample_setting(out, &settings[i]);
	}
	return g_string_free(out, FALSE);
}

/* ---- the man-page check ------------------------------------------------- */

typedef struct {
	char *name;
	char *section;		/* the .SS it is under */
	GString *text;		/* its lines, roff escapes removed */
	int count;
} man_entry;

static void
man_entry_free(gpointer p)
{
	man_entry *e = p;

	g_free(e->name);
	g_free(e->section);
	g_string_free(e->text, TRUE);
	g_free(e);
}

/* A request line's argument without surrounding blanks and quotes. */
static char *
request_arg(const char *line, size_t skip)
{
	char *arg = g_strstrip(g_strdup(line + skip));
	size_t n = strlen(arg);

	if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
		memmove(arg, arg + 1, n - 2);
		arg[n - 2] = '\0';
	}
	return arg;
}

/* Appends line with font changes (\fX), \& and \e removed and \- as -. */
static void
append_plain(GString *out, const char *line)
{
	for (const char *p = line; *p; p++) {
		if (*p != '\\' || !p[1]) {
			g_string_append_c(out, *p);
			continue;
		}
		p++;
		if (*p == 'f' && p[1])
			p++;
		else if (*p == '-')
			g_string_append_c(out, '-');
		else if (*p == 'e')
			g_string_append_c(out, '\\');
		else if (*p != '&')
			g_string_append_printf(out, "\\%c", *p);
	}
	g_string_append_c(out, ' ');
}

static bool
is_request(const char *line, const char *req)
{
	size_t n = strlen(req);
	return strncmp(line, req, n) == 0 && (!line[n] || line[n] == ' ');
}

/* A setting-like name: lower-case letters, digits and '_'. */
static bool
setting_like(const char *name)
{
	if (!g_ascii_islower(*name))
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_')
			return false;
	return true;
}

typedef struct {
	GHashTable *by_name;	/* name -> man_entry */
	GPtrArray *order;	/* man_entry, as found (owns them) */
	char *section;
	man_entry *cur;
	bool after_tp;
} man_scan;

static void
man_new_entry(man_scan *m, const char *name)
{
	man_entry *e = g_hash_table_lookup(m->by_name, name);

	if (e) {
		e->count++;
		m->cur = NULL;
		return;
	}
	e = g_new0(man_entry, 1);
	e->name = g_strdup(name);
	e->section = g_strdup(m->section ? m->section : "");
	e->text = g_string_new(NULL);
	e->count = 1;
	g_ptr_array_add(m->order, e);
	g_hash_table_insert(m->by_name, e->name, e);
	m->cur = e;
}

static void
man_line(man_scan *m, const char *line)
{
	bool after_tp = m->after_tp;

	m->after_tp = false;
	if (after_tp && is_request(line, ".B")) {
		char *name = request_arg(line, 2);
		m->cur = NULL;
		if (setting_like(name))
			man_new_entry(m, name);
		g_free(name);
	} else if (is_request(line, ".SS") || is_request(line, ".SH")) {
		g_free(m->section);
		m->section = request_arg(line, 3);
		m->cur = NULL;
	} else if (is_request(line, ".TP")) {
		m->after_tp = true;
		m->cur = NULL;
	} else if (is_request(line, ".PP") || is_request(line, ".LP") ||
		   is_request(line, ".P")) {
		m->cur = NULL;
	} else if (m->cur)
		append_plain(m->cur->text, line);
}

static bool
word_char(char ch)
{
	return g_ascii_isalnum(ch) || ch == '_' || ch == '-';
}

/* True when text contains word not run together with other word chars. */
static bool
mentions(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		bool start = p == text || !word_char(p[-1]) || !word_char(*word);
		bool end = !word_char(p[n]) || !word_char(word[n - 1]);
		if (start && end)
			return true;
	}
	return false;
}

static void
need(GString *out, const man_entry *e, const char *text)
{
	if (!mentions(e->text->str, text))
		g_string_append_printf(out, "man page: %s: no '%s'\n", e->name, text);
}

static void
check_choices(GString *out, const man_entry *e, const mg_setting *s)
{
	char **choices = g_strsplit(s->choices, "|", -1);

	for (int i = 0; choices[i]; i++)
		need(out, e, choices[i]);
	g_strfreev(choices);
}

static void
check_entry(GString *out, const man_entry *e, const mg_setting *s)
{
	char *def = *s->def ? g_strdup_printf("Default: %s", s->def)
			    : g_strdup("Default: empty");

	if (e->count > 1)
		g_string_append_printf(out, "man page: %s: documented %d times\n",
				       s->name, e->count);
	if (strcmp(e->section, s->section) != 0)
		g_string_append_printf(out, "man page: %s: under '%s', the table "
				       "has it under '%s'\n", s->name, e->section,
				       s->section);
	need(out, e, def);
	if (s->type == MG_T_ENUM)
		check_choices(out, e, s);
	if (s->type == MG_T_UINT || s->type == MG_T_SIZE) {
		char *range = format_range(s);
		need(out, e, range);
		g_free(range);
	}
	g_free(def);
}

char *
mg_config_check_manpage(const char *manpage_text)
{
	man_scan m = { g_hash_table_new(g_str_hash, g_str_equal),
		       g_ptr_array_new_with_free_func(man_entry_free), NULL, NULL, false };
	char **lines = g_strsplit(manpage_text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (int i = 0; lines[i]; i++)
		man_line(&m, lines[i]);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const man_entry *e = g_hash_table_lookup(m.by_name, settings[i].name);
		if (e)
			check_entry(out, e, &settings[i]);
		else
			g_string_append_printf(out, "man page lacks setting '%s'\n",
					       settings[i].name);
	}
	for (guint i = 0; i < m.order->len; i++) {
		const man_entry *e = g_ptr_array_index(m.order, i);
		if (!find_setting(e->name))
			g_string_append_printf(out, "man page documents '%s', "
					       "which is not a setting\n", e->name);
	}
	g_strfreev(lines);
	g_free(m.section);
	g_hash_table_destroy(m.by_name);
	g_ptr_array_free(m.order, TRUE);
	return g_string_free(out, out->len == 0);
}
