/*
 * cmd_list.c - mugaika list: what the quarantine keeps, newest first.
 *
 * SYNOPSIS
 *	int mg_cmd_list(int argc, char **argv);
 *
 *	mugaika list [--config FILE] [--json] [--limit N]
 *
 * DESCRIPTION
 *	Opens the quarantine read-only (quarantine_dir, quarantine_db of the
 *	config: --config FILE, else /etc/mugaika/mugaika.conf when it exists,
 *	else the built-in defaults) and prints the kept originals that are
 *	held or released (not deleted), newest first, at most N of them
 *	(--limit, default 100; 0 lists all).
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
#include "quarantine.h"
#include "verdict.h"

#define LIST_DEFAULT_LIMIT 100

typedef struct {
	const char *config;
	bool json;
	unsigned limit;
} list_opts;

static void
list_usage(FILE *f)
{
	fputs("usage: mugaika list [--config FILE] [--json] [--limit N]\n", f);
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
		{ NULL, 0, NULL, 0 },
	};
	guint64 n;
	int c;

	o->limit = LIST_DEFAULT_LIMIT;
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:jn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'n':
			if (!g_ascii_string_to_unsigned(optarg, 10, 0, G_MAXUINT, &n, NULL)) {
				fprintf(stderr, "mugaika list: --limit: '%s' is not a number\n",
					optarg);
				return EX_USAGE;
			}
			o->limit = (unsigned)n;
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

static mg_config *
list_config(const char *path)
{
	char *err = NULL;
	mg_config *cfg;

	if (!path && access(MG_DEFAULT_CONFIG, F_OK) != 0)
		return mg_config_new_defaults();
	cfg = mg_config_load(path ? path : MG_DEFAULT_CONFIG, &err);
	if (!cfg) {
		fprintf(stderr, "mugaika list: %s\n", err);
		g_free(err);
	}
	return cfg;
}

/* s as one safe line of UTF-8 (see above); caller frees. */
static char *
display(const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *o = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '\t' || c == '\n' || c == '\r')
			g_string_append_c(o, ' ');
		else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 ||
			 g_unichar_type(c) == G_UNICODE_FORMAT)
			g_string_append_c(o, '?');
		else
			g_string_append_unichar(o, c);
	}
	g_free(valid);
	return g_string_free(o, FALSE);
}

static char *
format_time(time_t t, bool local)
{
	GDateTime *dt = local ? g_date_time_new_from_unix_local(t)
			      : g_date_time_new_from_unix_utc(t);
	char *s = dt ? g_date_time_format(dt, local ? "%Y-%m-%dT%H:%M:%S%:z"
					  : "%Y-%m-%dT%H:%M:%SZ") : NULL;

	if (dt)
		g_date_time_unref(dt);
	return s ? s : g_strdup("?");
}

static void
print_text(FILE *out, const mg_kept *k)
{
	char *when = format_time(k->received, true);
	char *from = display(k->mail_from && *k->mail_from ? k->mail_from : "<>");
	char *rcpts = g_strjoinv(",", (char **)k->rcpts->pdata);
	char *to = display(rcpts);
	char *subject = display(k->subject);
	char *reasons = display(k->reasons && *k->reasons ? k->reasons : "-");

	fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", k->id, when, from, to, subject, reasons);
	g_free(when);
	g_free(from);
	g_free(rcpts);
	g_free(to);
	g_free(subject);
	g_free(reasons);
}

/* ", "key": "value"" (null for NULL), the value made valid UTF-8. */
static void
json_field(GString *o, const char *key, const char *value)
{
	g_string_append_printf(o, ", \"%s\": ", key);
	if (!value) {
		g_string_append(o, "null");
		return;
	}
	char *valid = g_utf8_make_valid(value, -1);
	mg_json_string(o, valid);
	g_free(valid);
}

static void
json_array(GString *o, const char *key, char **items)
{
	g_string_append_printf(o, ", \"%s\": [", key);
	for (int i = 0; items && items[i]; i++) {
		char *valid = g_utf8_make_valid(items[i], -1);
		g_string_append(o, i ? ", " : "");
		mg_json_string(o, valid);
		g_free(valid);
	}
	g_string_append_c(o, ']');
}

static void
print_json(FILE *out, const mg_kept *k)
{
	GString *o = g_string_new("{\"id\": ");
	char *utc = format_time(k->received, false), *local = format_time(k->received, true);
	char **reasons = g_strsplit(k->reasons ? k->reasons : "", ",", -1);

	mg_json_string(o, k->id);
	json_field(o, "received", utc);
	json_field(o, "time", local);
	json_field(o, "mail_from", k->mail_from);
	json_array(o, "rcpts", (char **)k->rcpts->pdata);
	json_field(o, "from", k->from_hdr);
	json_field(o, "subject", k->subject);
	json_array(o, "reasons", reasons[0] && *reasons[0] ? reasons : NULL);
	json_field(o, "action", k->action);
	json_field(o, "status", k->status);
	g_string_append_printf(o, ", \"size\": %" G_GUINT64_FORMAT, k->size);
	json_field(o, "sha256", k->sha256);
	json_field(o, "queue_id", k->queue_id);
	json_field(o, "client_addr", k->client_addr);
	json_field(o, "client_name", k->client_name);
	json_field(o, "helo", k->helo);
	json_field(o, "auth_name", k->auth_name);
	json_field(o, "key_id", k->key_id);
	g_string_append(o, "}\n");
	fputs(o->str, out);
	g_strfreev(reasons);
	g_free(utc);
	g_free(local);
	g_string_free(o, TRUE);
}

/* The exit code for a store that would not open. */
static int
open_failure(const mg_config *cfg, const char *err)
{
	fprintf(stderr, "mugaika list: %s\n", err);
	if (!g_file_test(cfg->quarantine_db, G_FILE_TEST_EXISTS))
		return EX_NOINPUT;
	if (access(cfg->quarantine_db, R_OK) != 0)
		return EX_NOPERM;
	return EX_IOERR;
}

static int
list_kept(const mg_config *cfg, const list_opts *o)
{
	char *err = NULL;
	mg_store *s = mg_store_open_readonly(cfg, &err);
	int rc = EX_OK;

	if (!s) {
		rc = open_failure(cfg, err);
		g_free(err);
		return rc;
	}
	GPtrArray *kept = mg_store_list(s, o->limit, &err);
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
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mugaika list: cannot write the output\n");
		rc = EX_IOERR;
	}
	g_ptr_array_unref(kept);
	mg_store_close(s);
	return rc;
}

int
mg_cmd_list(int argc, char **argv)
{
	list_opts o = { NULL, false, 0 };
	int rc = parse_list(argc, argv, &o);

	if (rc >= 0)
		return rc;
	mg_config *cfg = list_config(o.config);
	if (!cfg)
		return EX_CONFIG;
	rc = list_kept(cfg, &o);
	mg_config_unref(cfg);
	return rc;
}
