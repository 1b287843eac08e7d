/*
 * cmd_audit.c - mugaika audit: the audit log, read and checked.
 *
 * SYNOPSIS
 *	int mg_cmd_audit(int argc, char **argv);
 *
 *	mugaika audit list [--config FILE] [--json] [--id ID] [--action A]
 *			   [--since T] [--until T] [--limit N]
 *	mugaika audit export [--config FILE]
 *	mugaika audit verify [--config FILE] [--json] [--head HASH]
 *	mugaika audit head [--config FILE]
 *
 * DESCRIPTION
 *	The log and its hash chain are described in audit.h.  All four open
 *	the index read-only.
 *
 *	list: the rows, oldest first (the newest N with --limit, default 100;
 *	0: all), one per line, TAB-separated: seq, time (local), operator
 *	("SUDO_USER via USER"), action, outcome, ID, recipients (commas),
 *	what was forced, the operator's reason, the detail ("-" for none),
 *	made display-safe.  --json: JSON Lines as export writes them.
 *
 *	export: every row as JSON Lines, oldest first, exactly as hashed:
 *	seq, at (UTC), uid, user, sudo_user, action, id, rcpts [], reason,
 *	forced, outcome, detail, prev, hash; enough to check the chain
 *	elsewhere.
 *
 *	verify: walks the whole chain and reports the first changed,
 *	removed or reordered row, or a base that no purge recorded; with
 *	--head HASH (a head from the system log: the hash, or the whole
 *	"audit: seq=N hash=HEX ..." line) also rows missing at the end or a
 *	rewritten log.  head: the current "seq=N hash=HEX".
 *
 * EXIT STATUS
 *	0 listed / intact; 1 verify found the chain broken; 64 usage; 66 no
 *	index; 74 the index cannot be read (or has no audit log yet); 77 no
 *	permission; 78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "verdict.h"

#define AUDIT_DEFAULT_LIMIT 100

typedef struct {
	const char *verb, *config, *head;
	bool json;
	mg_audit_filter filter;
} audit_opts;

static void
audit_usage(FILE *f)
{
	fputs("usage: mugaika audit list [--config FILE] [--json] [--id ID] [--action A]\n"
	      "                          [--since T] [--until T] [--limit N]\n"
	      "       mugaika audit export [--config FILE]\n"
	      "       mugaika audit verify [--config FILE] [--json] [--head HASH]\n"
	      "       mugaika audit head [--config FILE]\n", f);
}

/* --since/--until into UTC text. */
static bool
bound(const char *opt, const char *arg, char out[32])
{
	time_t t;

	if (!mg_cli_parse_time(arg, time(NULL), &t)) {
		fprintf(stderr, "mugaika audit: --%s: '%s' is neither an ISO 8601 date or "
			"time nor a span like 24h or 7d\n", opt, arg);
		return false;
	}
	char *utc = mg_cli_time(t, false);
	g_strlcpy(out, utc, 32);
	g_free(utc);
	return true;
}

static int
audit_option(int c, audit_opts *o)
{
	guint64 n;

	switch (c) {
	case 'c': o->config = optarg; return -1;
	case 'j': o->json = true; return -1;
	case 'i': o->filter.id = optarg; return -1;
	case 'a': o->filter.action = optarg; return -1;
	case 'H': o->head = optarg; return -1;
	case 'S': return bound("since", optarg, o->filter.since) ? -1 : EX_USAGE;
	case 'U': return bound("until", optarg, o->filter.until) ? -1 : EX_USAGE;
	case 'n':
		if (g_ascii_string_to_unsigned(optarg, 10, 0, G_MAXUINT, &n, NULL)) {
			o->filter.limit = (unsigned)n;
			return -1;
		}
		fprintf(stderr, "mugaika audit: --limit: '%s' is not a number\n", optarg);
		return EX_USAGE;
	case 'h': audit_usage(stdout); return EX_OK;
	default: return EX_USAGE;
	}
}

/* Which options each sub-command takes. */
static bool
allowed(const char *verb, int c)
{
	const char *which = strcmp(verb, "list") == 0 ? "cjiaSUnh" :
			    strcmp(verb, "verify") == 0 ? "cjHh" : "ch";
	return strchr(which, c) != NULL;
}

static bool
known_verb(const char *verb)
{
	static const char *const verbs[] = { "list", "export", "verify", "head" };

	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (strcmp(verb, verbs[i]) == 0)
			return true;
	return false;
}

/* Options may come before or after the sub-command; each must be one
 * that sub-command takes. */
static int
parse_audit(int argc, char **argv, audit_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "id", required_argument, NULL, 'i' },
		{ "action", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	GString *seen = g_string_new(NULL);
	int c, rc = -1;

	o->filter.limit = AUDIT_DEFAULT_LIMIT;
	optind = 0;
	while (rc < 0 && (c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		g_string_append_c(seen, (char)c);
		rc = audit_option(c, o);
	}
	o->verb = optind < argc ? argv[optind] : "";
	for (size_t i = 0; rc < 0 && i < seen->len; i++)
		if (!allowed(o->verb, seen->str[i]))
			rc = EX_USAGE;
	if (rc < 0 && (argc - optind != 1 || !known_verb(o->verb)))
		rc = EX_USAGE;
	if (rc == EX_USAGE)
		audit_usage(stderr);
	g_string_free(seen, TRUE);
	return rc;
}

/* ---- rows ---------------------------------------------------------------------- */

static void
json_row(GString *o, const mg_audit_row *r)
{
	char **rcpts = r->rcpts ? g_strsplit(r->rcpts, "\n", -1) : NULL;

	g_string_append_printf(o, "{\"seq\": %" G_GINT64_FORMAT, r->seq);
	mg_cli_json_field(o, "at", r->at);
	g_string_append_printf(o, ", \"uid\": %" G_GINT64_FORMAT, r->uid);
	mg_cli_json_field(o, "user", r->user);
	mg_cli_json_field(o, "sudo_user", r->sudo_user);
	mg_cli_json_field(o, "action", r->action);
	mg_cli_json_field(o, "id", r->id);
	mg_cli_json_array(o, "rcpts", rcpts);
	mg_cli_json_field(o, "reason", r->reason);
	mg_cli_json_field(o, "forced", r->forced);
	mg_cli_json_field(o, "outcome", r->outcome);
	mg_cli_json_field(o, "detail", r->detail);
	mg_cli_json_field(o, "prev", r->prev);
	mg_cli_json_field(o, "hash", r->hash);
	g_string_append(o, "}\n");
	g_strfreev(rcpts);
}

static void
text_row(GString *o, const mg_audit_row *r)
{
	time_t t = 0;
	char *when = r->at && mg_cli_parse_time(r->at, 0, &t) ? mg_cli_time(t, true)
							     : g_strdup("?");
	char *who = mg_audit_operator(r);
	char *rcpts = r->rcpts ? g_strdelimit(g_strdup(r->rcpts), "\n", ',') : NULL;
	const char *cols[] = { when, who, r->action, r->outcome, r->id, rcpts, r->forced,
			       r->reason, r->detail };

	g_string_append_printf(o, "%" G_GINT64_FORMAT, r->seq);
	for (size_t i = 0; i < G_N_ELEMENTS(cols); i++) {
		char *safe = mg_cli_display(cols[i] && *cols[i] ? cols[i] : "-");
		g_string_append_printf(o, "\t%s", safe);
		g_free(safe);
	}
	g_string_append_c(o, '\n');
	g_free(when);
	g_free(who);
	g_free(rcpts);
}

static int
audit_rows(mg_store *s, const audit_opts *o, bool export)
{
	char *err = NULL;
	mg_audit_filter all = { 0 };
	GPtrArray *rows = mg_store_audit_rows(s, export ? &all : &o->filter, &err);

	if (!rows) {
		fprintf(stderr, "mugaika audit: %s\n", err);
		g_free(err);
		return EX_IOERR;
	}
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < rows->len; i++) {
		g_string_truncate(out, 0);
		(export || o->json ? json_row : text_row)(out, g_ptr_array_index(rows, i));
		fputs(out->str, stdout);
	}
	g_string_free(out, TRUE);
	g_ptr_array_unref(rows);
	return mg_cli_flush("audit");
}

/* ---- verify and head ------------------------------------------------------------- */

static const char *
problem_name(mg_audit_problem p)
{
	static const char *const names[] = { "intact", "changed", "removed", "reordered",
					     "missing", "base" };
	return names[p];
}

static void
verify_json(const mg_audit_check *c)
{
	GString *o = g_string_new(NULL);

	g_string_printf(o, "{\"intact\": %s", c->problem ? "false" : "true");
	mg_cli_json_field(o, "problem", c->problem ? problem_name(c->problem) : NULL);
	g_string_append_printf(o, ", \"seq\": %" G_GINT64_FORMAT ", \"rows\": %"
			       G_GINT64_FORMAT, c->seq, c->rows);
	mg_cli_json_field(o, "message", c->message);
	g_string_append_printf(o, ", \"head_seq\": %" G_GINT64_FORMAT, c->head_seq);
	mg_cli_json_field(o, "head", c->head);
	g_string_append_printf(o, ", \"since_head\": %" G_GINT64_FORMAT "}\n", c->since_head);
	fputs(o->str, stdout);
	g_string_free(o, TRUE);
}

static void
verify_text(const mg_audit_check *c, const char *head)
{
	if (c->problem) {
		printf("audit: BROKEN (%s): %s\n", problem_name(c->problem), c->message);
		printf("audit: %" G_GINT64_FORMAT " rows before it are intact\n", c->rows);
		return;
	}
	printf("audit: %" G_GINT64_FORMAT " rows intact; head seq=%" G_GINT64_FORMAT
	       " hash=%s\n", c->rows, c->head_seq, c->head);
	if (head && c->since_head)
		printf("audit: the head given is row %" G_GINT64_FORMAT "; %" G_GINT64_FORMAT
		       " rows were written after it\n", c->head_seq - c->since_head,
		       c->since_head);
	else if (head)
		printf("audit: the head given is the current head\n");
	else
		printf("audit: rows removed at the end show only against a head from the "
		       "system log: audit verify --head HASH\n");
}

static int
audit_verify(mg_store *s, const audit_opts *o)
{
	char head[65], *err = NULL;
	mg_audit_check c;

	if (o->head && !mg_audit_parse_head(o->head, head)) {
		fprintf(stderr, "mugaika audit: --head: give the 64 hex digits of a head, or "
			"its \"hash=...\" log line\n");
		return EX_USAGE;
	}
	if (!mg_store_audit_verify(s, o->head ? head : NULL, &c, &err)) {
		fprintf(stderr, "mugaika audit: %s\n", err);
		g_free(err);
		return EX_IOERR;
	}
	if (o->json)
		verify_json(&c);
	else
		verify_text(&c, o->head);
	int rc = c.problem ? 1 : EX_OK, flushed = mg_cli_flush("audit");
	mg_audit_check_clear(&c);
	return flushed != EX_OK ? flushed : rc;
}

static int
audit_head(mg_store *s)
{
	mg_store_stats st;
	char *err = NULL;
	bool ok = mg_store_get_stats(s, &st, &err) && st.audit_rows >= 0;

	if (ok)
		printf("seq=%" G_GINT64_FORMAT " hash=%s\n", st.audit_head_seq, st.audit_head);
	else
		fprintf(stderr, "mugaika audit: %s\n", err ? err : "no audit log yet "
			"(schema version 1)");
	mg_store_stats_clear(&st);
	g_free(err);
	return ok ? mg_cli_flush("audit") : EX_IOERR;
}

int
mg_cmd_audit(int argc, char **argv)
{
	audit_opts o = { 0 };
	int rc = parse_audit(argc, argv, &o);
	mg_config *cfg = rc < 0 ? mg_cli_config("audit", o.config) : NULL;
	mg_store *s = NULL;

	if (rc < 0 && !cfg)
		rc = EX_CONFIG;
	if (cfg && (s = mg_cli_open("audit", cfg, false, &rc))) {
		if (strcmp(o.verb, "verify") == 0)
			rc = audit_verify(s, &o);
		else if (strcmp(o.verb, "head") == 0)
			rc = audit_head(s);
		else
			rc = audit_rows(s, &o, strcmp(o.verb, "export") == 0);
	}
	mg_store_close(s);
	mg_config_unref(cfg);
	return rc;
}
