/*
 * commands.h - the verbs of mugaika(1) that live in files of their own
 * (cmd_*.c).  Each takes the arguments from the verb on (argv[0] is the
 * verb's name), prints to stdout and stderr, and returns a sysexits(3)
 * exit code.  mugaika.c dispatches to them.
 *
 * The quarantine verbs share the helpers below (cmd_common.c) and these
 * exit codes: 0 done, 64 usage, 65 refused because the original is
 * infected (release), 66 no such ID or nothing kept yet, 69 the release
 * relay refused for good, 74 the index or spool cannot be read or written,
 * 75 a temporary failure (retry), 77 no permission (run as the service
 * user), 78 configuration error; 1 a result that is not an error of the
 * tool (stats: a threshold crossed; audit verify: the chain is broken;
 * release: some recipients released, some not; report: a look-up found no
 * message).
 */
#ifndef MG_COMMANDS_H
#define MG_COMMANDS_H

#include <glib.h>
#include <stdbool.h>
#include <time.h>

#include "conf.h"
#include "quarantine.h"

/* mugaika list [--config FILE] [--json] [--limit N] [filters]: the kept
 * originals, newest first (cmd_list.c). */
int mg_cmd_list(int argc, char **argv);

/* mugaika show ID [--raw] (cmd_show.c). */
int mg_cmd_show(int argc, char **argv);

/* mugaika release ID --to RCPT... | --all (cmd_release.c). */
int mg_cmd_release(int argc, char **argv);

/* mugaika delete ID... | --matching filters; mugaika purge (cmd_delete.c). */
int mg_cmd_delete(int argc, char **argv);
int mg_cmd_purge(int argc, char **argv);

/* mugaika audit list | export | verify | head (cmd_audit.c). */
int mg_cmd_audit(int argc, char **argv);

/* mugaika stats (cmd_stats.c). */
int mg_cmd_stats(int argc, char **argv);

/* mugaika report [--since T] [--until T] [--format F] [--output FILE]
 * [--lang L] [--top N] [--sha256 HASH | --virus NAME]: what the gateway
 * did, and incident look-ups (cmd_report.c; 1: a look-up found nothing). */
int mg_cmd_report(int argc, char **argv);

/* ---- shared by the cmd_*.c files (cmd_common.c) ------------------------------ */

/* Settings from --config path, or NULL: /etc/mugaika/mugaika.conf when it
 * exists, else the defaults.  Run through sudo, path must belong to root
 * or the service user and be writable by no one else.  NULL after a
 * message "mugaika VERB: ..." (exit with EX_CONFIG). */
mg_config *mg_cli_config(const char *verb, const char *path);

/* Checks, before anything opens them, that quarantine_db and
 * quarantine_dir exist and belong to the effective user: an exit code
 * after a clear message (EX_NOINPUT, EX_NOPERM, EX_IOERR), or -1. */
int mg_cli_access(const char *verb, const mg_config *cfg);

/* mg_cli_access, then the store opened writable (it upgrades an older
 * index) or read-only; NULL with *rc after a message. */
mg_store *mg_cli_open(const char *verb, const mg_config *cfg, bool writable, int *rc);

/* A --since/--until time: an ISO 8601 date (local midnight), date and time
 * (local unless it has a zone; a blank may stand for the T), or a span
 * back from now: "90s", "30m", "24h", "7d", "2w". */
bool mg_cli_parse_time(const char *text, time_t now, time_t *out);

/* t as ISO 8601: local with its offset, or UTC with Z.  Caller frees. */
char *mg_cli_time(time_t t, bool local);

/* s made one safe line of UTF-8: TAB and line breaks become spaces;
 * control, bidi and other invisible format characters become '?'.
 * Caller frees. */
char *mg_cli_display(const char *s);

/* JSON: ", \"key\": value" (null for NULL), and an array of strings
 * (items NULL-terminated, or NULL for []); values made valid UTF-8. */
void mg_cli_json_field(GString *o, const char *key, const char *value);
void mg_cli_json_array(GString *o, const char *key, char **items);

/* The filters of list and delete --matching, for struct option arrays;
 * their codes go to mg_cli_filter_arg.  ("--with-reason" is "--reason" of
 * list, for verbs whose --reason is the operator's note.) */
#define MG_CLI_FILTER_OPTIONS \
	{ "since", required_argument, NULL, 'S' }, \
	{ "until", required_argument, NULL, 'U' }, \
	{ "from", required_argument, NULL, 'F' }, \
	{ "to", required_argument, NULL, 'T' }, \
	{ "subject", required_argument, NULL, 'J' }, \
	{ "with-reason", required_argument, NULL, 'W' }, \
	{ "status", required_argument, NULL, 'X' }

/* True when c is one of those codes ('W' and the list's 'R' included). */
bool mg_cli_is_filter(int c);

/* Applies filter option c with arg to f (times relative to now); false
 * after a message. */
bool mg_cli_filter_arg(const char *verb, int c, const char *arg, time_t now,
		       mg_store_filter *f);

/* Flushes stdout: EX_OK, or EX_IOERR after a message. */
int mg_cli_flush(const char *verb);

/* The build time (UTC) and version of the newest .cvd/.cld header in
 * clamav_database; false when there is none (unsigned files only). */
bool mg_cli_signatures(const mg_config *cfg, time_t *built, unsigned *version);

/* A sentence saying signatures built at `built` are older than
 * clamav_max_age at now (the caller's), else NULL. */
char *mg_cli_signatures_age_warning(const mg_config *cfg, time_t built, time_t now);

/* With scanner = clamav, mg_cli_signatures_age_warning for the newest
 * signatures of clamav_database, else NULL. */
char *mg_cli_stale_signatures(const mg_config *cfg, time_t now);

#endif
