/*
 * cmd_list.c - mugaika list: what the quarantine keeps, newest first.
 *
 * SYNOPSIS
 *	int mg_cmd_list(int argc, char **argv);
 *
 *	mugaika list [--config FILE] [--json] [--limit N] [--since T] [--until T]
 *		     [--from ADDR] [--to ADDR] [--subject TEXT] [--reason R]
 *		     [--status held|released|deleted]
 *
 * DESCRIPTION
 *	Opens the quarantine read-only (quarantine_dir, quarantine_db of the
 *	config: --config FILE, else /etc/mugaika/mugaika.conf when it exists,
 *	else the built-in defaults) after checking that it runs as their
 *	owner (cmd_common.c), and prints the kept originals that are held or
 *	released (not deleted; --status picks one status, deleted included),
 *	newest first, at most N of them (--limit, default 100; 0 lists all).
 *	The filters (mg_store_find): received since/until T (ISO 8601, local
 *	unless zoned, or 24h, 7d back), part of the envelope sender or From,
 *	part of a recipient, part of the decoded Subject (case and NFKC width
 *	ignored), one reason code.
 *
 *	With scanner = clamav, signatures older than clamav_max_age are
 *	warned about on standard error (mg_cli_stale_signatures).
 *
 *	Text form: one line per original, six fields separated by a TAB:
 *	  ID, time received in the local time zone (TZ) as ISO 8601 with its
 *	  offset, envelope sender ("<>" for the null sender), envelope
 *	  recipients separated by ",", the decoded Subject, the reasons
 *	  ("html_converted,attachment"; "-" when none).
 *	Text is UTF-8 (Japanese shows as it is in a UTF-8 terminal); TAB and
 *	line breaks become spaces, and control, bidi and other invisible
 *	format characters become "?", so a subject can neither break the
 *	columns nor disguise itself.
 *
 *	--json: JSON Lines, one object per original per line, with the keys
 *	id, received (UTC), time (local), mail_from, rcpts [], from, subject,
 *	reasons [], action, status, size, sha256, queue_id, client_addr,
 *	client_name, helo, auth_name, key_id (null when stored unencrypted).
 *	Keys are only ever added.
 *
 * EXIT STATUS
 *	0 listed (possibly nothing), 64 usage, 66 no index yet, 74 the index
 *	cannot be read or the output written, 77 no permission (run as the
 *	service user), 78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "json.h"
#include "quarantine.h"
#include "verdict.h"

#define LIST_DEFAULT_LIMIT 100

typedef struct {
	const char *config;
	bool json;
	mg_store_filter filter;
} list_opts;

static void
list_usage(FILE *f)
{
	fputs("usage: mugaika list [--config FILE] [--json] [--limit N] [--since T] "
	      "[--until T]\n"
	      "                    [--from ADDR] [--to ADDR] [--subject TEXT] "
	      "[--reason R]\n"
	      "                    [--status held|released|deleted]\n", f);
}

/* An exit code when done (--help, bad usage), else -1: go on. */
static int
parse_list(int argc, char **argv, list_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "reason", required_argument, NULL, 'R' },
		MG_CLI_FILTER_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	time_t now = time(NULL);
	guint64 n;
	int c;

	o->filter.limit = LIST_DEFAULT_LIMIT;
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:jn:h", longopts, NULL)) != -1) {
		if (mg_cli_is_filter(c)) {
			if (!mg_cli_filter_arg("list", c, optarg, now, &o->filter))
				return EX_USAGE;
			continue;
		}
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'n':
			if (!g_ascii_string_to_unsigned(optarg, 10, 0, G_MAXUINT, &n, NULL)) {
				fprintf(stderr, "mugaika list: --limit: '%s' is not a number\n",
					optarg);
				return EX_USAGE;
			}
			o->filter.limit = (unsigned)n;
			break;
		case 'h': list_usage(stdout); return EX_OK;
		default: list_usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		list_usage(stderr);
		return EX_USAGE;
	}
	return -1;
}

static void
print_text(FILE *out, const mg_kept *k)
{
	char *when = mg_cli_time(k->received, true);
	char *from = mg_cli_display(k->mail_from && *k->mail_from ? k->mail_from : "<>");
	char *rcpts = g_strjoinv(",", (char **)k->rcpts->pdata);
	char *to = mg_cli_display(rcpts);
	char *subject = mg_cli_display(k->subject);
	char *reasons = mg_cli_display(k->reasons && *k->reasons ? k->reasons : "-");

	fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", k->id, when, from, to, subject, reasons);
	g_free(when);
	g_free(from);
	g_free(rcpts);
	g_free(to);
	g_free(subject);
	g_free(reasons);
}

static void
print_json(FILE *out, const mg_kept *k)
{
	GString *o = g_string_new("{\"id\": ");
	char *utc = mg_cli_time(k->received, false), *local = mg_cli_time(k->received, true);
	char **reasons = g_strsplit(k->reasons ? k->reasons : "", ",", -1);

	mg_json_string(o, k->id);
	mg_cli_json_field(o, "received", utc);
	mg_cli_json_field(o, "time", local);
	mg_cli_json_field(o, "mail_from", k->mail_from);
	mg_cli_json_array(o, "rcpts", (char **)k->rcpts->pdata);
	mg_cli_json_field(o, "from", k->from_hdr);
	mg_cli_json_field(o, "subject", k->subject);
	mg_cli_json_array(o, "reasons", reasons[0] && *reasons[0] ? reasons : NULL);
	mg_cli_json_field(o, "action", k->action);
	mg_cli_json_field(o, "status", k->status);
	g_string_append_printf(o, ", \"size\": %" G_GUINT64_FORMAT, k->size);
	mg_cli_json_field(o, "sha256", k->sha256);
	mg_cli_json_field(o, "queue_id", k->queue_id);
	mg_cli_json_field(o, "client_addr", k->client_addr);
	mg_cli_json_field(o, "client_name", k->client_name);
	mg_cli_json_field(o, "helo", k->helo);
	mg_cli_json_field(o, "auth_name", k->auth_name);
	mg_cli_json_field(o, "key_id", k->key_id);
	g_string_append(o, "}\n");
	fputs(o->str, out);
	g_strfreev(reasons);
	g_free(utc);
	g_free(local);
	g_string_free(o, TRUE);
}

static int
list_kept(const mg_config *cfg, const list_opts *o)
{
	char *err = NULL;
	int rc = EX_OK;
	mg_store *s = mg_cli_open("list", cfg, false, &rc);

	if (!s)
		return rc;
	GPtrArray *kept = mg_store_find(s, &o->filter, &err);
	if (!kept) {
		fprintf(stderr, "mugaika list: %s\n", err);
		g_free(err);
		mg_store_close(s);
		return EX_IOERR;
	}
	for (guint i = 0; i < kept->len; i++) {
		mg_kept *k = g_ptr_array_index(kept, i);
		g_ptr_array_add(k->rcpts, NULL);	/* NULL-terminated for join */
		(o->json ? print_json : print_text)(stdout, k);
	}
	rc = mg_cli_flush("list");
	g_ptr_array_unref(kept);
	mg_store_close(s);
	char *stale = mg_cli_stale_signatures(cfg, time(NULL));
	if (stale)
		fprintf(stderr, "mugaika list: warning: %s\n", stale);
	g_free(stale);
	return rc;
}

int
mg_cmd_list(int argc, char **argv)
{
	list_opts o = { 0 };
	int rc = parse_list(argc, argv, &o);

	if (rc >= 0)
		return rc;
	mg_config *cfg = mg_cli_config("list", o.config);
	if (!cfg)
		return EX_CONFIG;
	rc = list_kept(cfg, &o);
	mg_config_unref(cfg);
	return rc;
}
