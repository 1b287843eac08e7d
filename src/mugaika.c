/*
 * mugaika.c - the command-line tool: mugaika VERB [options].
 *
 * Verbs: sanitize (run the engine on one message, exactly as the milter
 * would, and print the safe message and the verdict); the helpdesk's list,
 * show, release, delete, purge, audit and stats on the quarantine, and
 * report for security staff (cmd_*.c, see commands.h).  Exit codes
 * follow sysexits(3): 0 done, 1 the message must not be delivered,
 * 64 usage, 66 input unreadable, 73 output not writable, 75 internal error
 * (tempfail), 78 configuration error.  Every verb takes --config FILE.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "sanitize.h"

static void usage(FILE *f)
{
	fputs("usage: mugaika sanitize [--config FILE] [--verdict FILE|-] [--output FILE]\n"
	      "                        [--id ID] [--now TIME] [--outbound] [FILE]\n"
	      "       mugaika list [--config FILE] [--json] [--limit N] [--since T] [--until T]\n"
	      "                    [--from ADDR] [--to ADDR] [--subject TEXT] [--reason R]\n"
	      "                    [--status held|released|deleted]\n"
	      "       mugaika show [--config FILE] [--json] [--raw] [--reason TEXT] ID\n"
	      "       mugaika release [--config FILE] [--reason TEXT] [--force] "
	      "[--force-recipient]\n"
	      "                       (--to RCPT [--to RCPT ...] | --all) ID\n"
	      "       mugaika delete [--config FILE] [--reason TEXT] [--scrub] ID...\n"
	      "       mugaika delete [--config FILE] [--reason TEXT] [--scrub] [--dry-run]\n"
	      "                      --matching FILTERS\n"
	      "       mugaika purge [--config FILE] [--reason TEXT] [--dry-run]\n"
	      "       mugaika audit list|export|verify|head [--config FILE] [options]\n"
	      "       mugaika stats [--config FILE] [--json]\n"
	      "       mugaika report [--config FILE] [--since T] [--until T]\n"
	      "                      [--format text|csv|json|html] [--output FILE]\n"
	      "                      [--lang ja|en] [--top N] [--sha256 HASH | --virus NAME]\n"
	      "       mugaika --version\n"
	      "See mugaika(1).\n", f);
}

/* Reads all of path (or stdin for NULL or "-"); NULL with a message on error. */
static char *read_input(const char *path, size_t *len)
{
	GError *err = NULL;
	char *data = NULL;
	gsize n = 0;

	if (path && strcmp(path, "-") != 0) {
		if (!g_file_get_contents(path, &data, &n, &err)) {
			fprintf(stderr, "mugaika: cannot read %s: %s\n", path, err->message);
			g_error_free(err);
			return NULL;
		}
		*len = n;
		return data;
	}
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		g_byte_array_append(buf, chunk, (guint)got);
	if (ferror(stdin)) {
		fprintf(stderr, "mugaika: cannot read standard input: %s\n", strerror(errno));
		g_byte_array_free(buf, TRUE);
		return NULL;
	}
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(buf, FALSE);
}

/* Writes data to path ("-" or NULL: stdout, to_stderr: stderr); false on error. */
static bool write_output(const char *path, const char *data, size_t len, bool to_stderr)
{
	GError *err = NULL;

	if (path && strcmp(path, "-") != 0) {
		if (g_file_set_contents(path, data, (gssize)len, &err))
			return true;
		fprintf(stderr, "mugaika: cannot write %s: %s\n", path, err->message);
		g_error_free(err);
		return false;
	}
	FILE *f = to_stderr ? stderr : stdout;
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
		fprintf(stderr, "mugaika: cannot write output: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* "2026-01-01T00:00:00Z", "2026-01-01T09:00:00+09:00" or seconds since the epoch. */
static bool parse_time(const char *s, time_t *out)
{
	char *end = NULL;
	long long secs = strtoll(s, &end, 10);

	if (*s && end && *end == '\0') {
		*out = (time_t)secs;
		return true;
	}
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(s, utc);
	g_time_zone_unref(utc);
	if (!dt)
		return false;
	*out = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return true;
}

static mg_config *load_config(const char *path)
{
	char *err = NULL;
	mg_config *cfg = path ? mg_config_load(path, &err) : mg_config_new_defaults();

	if (!cfg) {
		fprintf(stderr, "mugaika: %s\n", err);
		g_free(err);
	}
	return cfg;
}

/* The scanner the config asks for; false (and a message naming the setting
 * to fix) when it cannot be loaded: scanning was asked for, so the message
 * must not be passed unscanned. */
static bool load_scanner(const mg_config *cfg, mg_scanner **out)
{
	char *err = NULL;

	*out = NULL;
	if (cfg->scanner == MG_SCANNER_NONE)
		return true;
	*out = mg_scanner_load(cfg, &err);
	if (*out)
		return true;
	fprintf(stderr, "mugaika: cannot scan: %s\n", err ? err : "scanner not loaded");
	g_free(err);
	return false;
}

static int exit_code(const mg_verdict *v)
{
	switch (v->action) {
	case MG_ACTION_DELIVER:
		return EX_OK;
	case MG_ACTION_TEMPFAIL:
		return EX_TEMPFAIL;
	default:
		return 1;
	}
}

typedef struct {
	const char *config, *verdict, *output, *id, *input;
	time_t now;
	bool outbound;		/* scan only, as the milter does outgoing mail */
} sanitize_opts;

static int parse_sanitize(int argc, char **argv, sanitize_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verdict", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' }, { "id", required_argument, NULL, 'i' },
		{ "now", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ "outbound", no_argument, NULL, 'O' }, { NULL, 0, NULL, 0 },
	};
	int c;

	o->now = time(NULL);
	while ((c = getopt_long(argc, argv, "c:v:o:i:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'v': o->verdict = optarg; break;
		case 'o': o->output = optarg; break;
		case 'i': o->id = optarg; break;
		case 'O': o->outbound = true; break;
		case 'n':
			if (!parse_time(optarg, &o->now)) {
				fprintf(stderr, "mugaika: --now: '%s' is not an ISO 8601 time\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'h': usage(stdout); exit(EX_OK);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	return EX_OK;
}

static int cmd_sanitize(int argc, char **argv)
{
	sanitize_opts o = { 0 };
	size_t len = 0;
	int rc = parse_sanitize(argc, argv, &o);

	if (rc != EX_OK)
		return rc;
	mg_config *cfg = load_config(o.config);
	if (!cfg)
		return EX_CONFIG;
	char *raw = read_input(o.input, &len);
	if (!raw) {
		mg_config_unref(cfg);
		return EX_NOINPUT;
	}
	mg_engine_init();
	mg_scanner *scanner = NULL;
	if (!load_scanner(cfg, &scanner)) {
		g_free(raw);
		mg_config_unref(cfg);
		return EX_TEMPFAIL;
	}
	mg_result *r = mg_engine_run(raw, len, cfg, scanner,
				     o.outbound ? MG_MODE_SCAN_ONLY : MG_MODE_SANITIZE, o.id, o.now);
	if (scanner)
		mg_scanner_unref(scanner);
	rc = exit_code(r->verdict);
	/* outbound, the message goes on as it came, or not at all */
	bool passes = r->verdict->action == MG_ACTION_DELIVER;
	const char *out = !o.outbound ? r->message : passes ? raw : "";
	size_t out_len = !o.outbound ? r->message_len : passes ? len : 0;
	if (!write_output(o.output, out, out_len, false))
		rc = EX_CANTCREAT;
	if (o.verdict) {
		char *json = mg_verdict_to_json(r->verdict);
		if (!write_output(o.verdict, json, strlen(json), strcmp(o.verdict, "-") == 0))
			rc = EX_CANTCREAT;
		g_free(json);
	}
	mg_result_free(r);
	g_free(raw);
	mg_config_unref(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("mugaika %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "sanitize") == 0)
		return cmd_sanitize(argc - 1, argv + 1);
	static const struct {
		const char *verb;
		int (*run)(int, char **);
	} verbs[] = {
		{ "list", mg_cmd_list }, { "show", mg_cmd_show },
		{ "release", mg_cmd_release }, { "delete", mg_cmd_delete },
		{ "purge", mg_cmd_purge }, { "audit", mg_cmd_audit },
		{ "stats", mg_cmd_stats }, { "report", mg_cmd_report },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (strcmp(argv[1], verbs[i].verb) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mugaika: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
