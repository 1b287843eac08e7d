/*
 * cmd_report.c - mugaika report: what the gateway did over a period, for
 * security staff; and the incident look-up (who else got this file or
 * this virus?).
 *
 * SYNOPSIS
 *	int mg_cmd_report(int argc, char **argv);
 *
 *	mugaika report [--config FILE] [--since T] [--until T]
 *		       [--format text|csv|json|html] [--output FILE]
 *		       [--lang ja|en] [--top N]
 *		       [--sha256 HASH | --virus NAME]
 *
 * DESCRIPTION
 *	Opens the quarantine index read-only (mg_cli_open: run as the
 *	service user), gathers the report (report.c) for the period
 *	[--since, --until) and renders it (report_text.c, report_html.c).
 *	Default period: the 30 local days up to now (from local midnight 29
 *	days before today); for a look-up, everything up to now.  T is what
 *	mg_cli_parse_time takes (an ISO date is local midnight; 7d, 24h
 *	back from now).  Labels are Japanese unless report_language = en
 *	or --lang en; JSON keys are English always.  --top N: rows of the
 *	top sender domains and recipients (default 10, 0: all).
 *
 *	--sha256 HASH (64 hex digits) lists every kept original that carried
 *	a removed part with that SHA-256; --virus NAME every one with that
 *	detection name (ASCII case ignored): with the recipients, what was
 *	done, and who released it to whom.
 *
 *	--output FILE is written atomically (a temporary file in the same
 *	directory, mode 0640, fsync'd, renamed over FILE); without it (or
 *	with -) the report goes to standard output.
 *
 *	An index older than schema version 3 has no traffic records: the
 *	report says so (and a warning goes to standard error), and the
 *	sections made from them are empty.
 *
 * EXIT STATUS
 *	0 done; 1 a look-up found no message; 64 usage; 66 no index yet;
 *	74 the index cannot be read or the output written; 77 no
 *	permission; 78 configuration error.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "report.h"

#define DAY 86400
#define DEFAULT_DAYS 30
#define DEFAULT_TOP 10
#define MAX_DAYS 3660

typedef struct {
	const char *config, *output;
	const char *since, *until;      /* as given, or NULL */
	mg_report_format format;
	int lang;                       /* mg_report_lang, -1: report_language */
	mg_report_query q;
} report_opts;

static void report_usage(FILE *f)
{
	fputs("usage: mugaika report [--config FILE] [--since T] [--until T]\n"
	      "                      [--format text|csv|json|html] [--output FILE]\n"
	      "                      [--lang ja|en] [--top N] [--sha256 HASH | --virus NAME]\n",
	      f);
}

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* EX_USAGE after "mugaika report: " and the message. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mugaika report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_USAGE;
}

/* ---- options ------------------------------------------------------------------ */

static bool pick(const char *arg, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

static int parse_format(report_opts *o, const char *arg)
{
	static const char *const names[] = { "text", "csv", "json", "html" };
	int f;

	if (!pick(arg, names, 4, &f))
		return usage_error("--format: '%s' is not text, csv, json or html", arg);
	o->format = (mg_report_format)f;
	return -1;
}

static int parse_lang(report_opts *o, const char *arg)
{
	static const char *const names[] = { "ja", "en" };

	return pick(arg, names, 2, &o->lang) ? -1
	       : usage_error("--lang: '%s' is not ja or en", arg);
}

static int parse_top(report_opts *o, const char *arg)
{
	guint64 n;

	if (!g_ascii_string_to_unsigned(arg, 10, 0, 100000, &n, NULL))
		return usage_error("--top: '%s' is not a number from 0 to 100000", arg);
	o->q.top = (unsigned)n;
	return -1;
}

static int parse_sha256(report_opts *o, const char *arg)
{
	size_t n = strspn(arg, "0123456789abcdefABCDEF");

	if (n != 64 || arg[n])
		return usage_error("--sha256: '%s' is not 64 hexadecimal digits", arg);
	o->q.sha256 = arg;
	return -1;
}

static int parse_virus(report_opts *o, const char *arg)
{
	if (!*arg || !g_utf8_validate(arg, -1, NULL))
		return usage_error("--virus: give a detection name");
	o->q.virus = arg;
	return -1;
}

/* One option; an exit code when done (--help, bad usage), else -1. */
static int report_option(report_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'c': o->config = arg; return -1;
	case 'S': o->since = arg; return -1;
	case 'U': o->until = arg; return -1;
	case 'f': return parse_format(o, arg);
	case 'o': o->output = arg; return -1;
	case 'l': return parse_lang(o, arg);
	case 'n': return parse_top(o, arg);
	case 's': return parse_sha256(o, arg);
	case 'v': return parse_virus(o, arg);
	case 'h': report_usage(stdout); return EX_OK;
	default: report_usage(stderr); return EX_USAGE;
	}
}

/* Local midnight DEFAULT_DAYS - 1 days before today's. */
static time_t default_since(time_t now)
{
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_mday -= DEFAULT_DAYS - 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static int period_arg(const char *opt, const char *arg, time_t now, time_t *out)
{
	if (mg_cli_parse_time(arg, now, out))
		return -1;
	fprintf(stderr, "mugaika report: --%s: '%s' is neither an ISO 8601 date or time "
		"nor a span like 24h or 7d\n", opt, arg);
	return EX_USAGE;
}

/* The period from the options and the defaults. */
static int make_period(report_opts *o)
{
	mg_report_query *q = &o->q;
	bool incident = q->sha256 || q->virus;
	int rc = -1;

	q->now = time(NULL);
	q->since = incident ? 0 : default_since(q->now);
	q->until = q->now;
	if (o->since)
		rc = period_arg("since", o->since, q->now, &q->since);
	if (rc < 0 && o->until)
		rc = period_arg("until", o->until, q->now, &q->until);
	if (rc >= 0)
		return rc;
	if (q->since >= q->until)
		return usage_error("the period is empty: --since must come before --until");
	if (!incident && q->until - q->since > (time_t)MAX_DAYS * DAY)
		return usage_error("the period is longer than %d days", MAX_DAYS);
	return -1;
}

static int parse_report(int argc, char **argv, report_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "lang", required_argument, NULL, 'l' },
		{ "top", required_argument, NULL, 'n' },
		{ "sha256", required_argument, NULL, 's' },
		{ "virus", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = -1;

	o->lang = -1;
	o->q.top = DEFAULT_TOP;
	optind = 0;
	while (rc < 0 && (c = getopt_long(argc, argv, "c:f:o:h", longopts, NULL)) != -1)
		rc = report_option(o, c, optarg);
	if (rc >= 0)
		return rc;
	if (optind < argc) {
		report_usage(stderr);
		return EX_USAGE;
	}
	if (o->q.sha256 && o->q.virus)
		return usage_error("give --sha256 or --virus, not both");
	return make_period(o);
}

/* ---- output ---------------------------------------------------------------------- */

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* data to path through a temporary file renamed over it, mode 0640. */
static int write_file(const char *path, const char *data)
{
	char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0640);
	bool ok = fd >= 0 && fchmod(fd, 0640) == 0 && write_all(fd, data, strlen(data)) &&
		  fsync(fd) == 0;
	int e = errno;

	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		fprintf(stderr, "mugaika report: cannot write %s: %s\n", path, g_strerror(e));
	}
	g_free(tmp);
	return ok ? EX_OK : EX_IOERR;
}

static int write_report(const report_opts *o, const char *text)
{
	if (o->output && strcmp(o->output, "-") != 0)
		return write_file(o->output, text);
	fputs(text, stdout);
	return mg_cli_flush("report");
}

/* ---- the command ---------------------------------------------------------------- */

static int report(const report_opts *o, const mg_config *cfg)
{
	char *err = NULL;
	int rc = EX_OK;
	mg_store *s = mg_cli_open("report", cfg, false, &rc);

	if (!s)
		return rc;
	mg_report *r = mg_report_gather(s, &o->q, &err);
	mg_store_close(s);
	if (!r) {
		fprintf(stderr, "mugaika report: %s\n", err);
		g_free(err);
		return EX_IOERR;
	}
	if (r->no_traffic && !r->incident)
		fputs("mugaika report: warning: the index has no traffic records (schema "
		      "version < 3): outcomes, senders, recipients and signatures are empty\n",
		      stderr);
	mg_report_lang lang = o->lang >= 0 ? (mg_report_lang)o->lang
			      : cfg->report_language == MG_LANG_EN ? MG_REPORT_EN : MG_REPORT_JA;
	char *text = mg_report_render(r, o->format, lang);
	rc = write_report(o, text);
	if (rc == EX_OK && r->incident && !r->hits->len)
		rc = 1;
	g_free(text);
	mg_report_free(r);
	return rc;
}

int mg_cmd_report(int argc, char **argv)
{
	report_opts o = { 0 };
	int rc = parse_report(argc, argv, &o);

	if (rc >= 0)
		return rc;
	mg_config *cfg = mg_cli_config("report", o.config);
	if (!cfg)
		return EX_CONFIG;
	rc = report(&o, cfg);
	mg_config_unref(cfg);
	return rc;
}
