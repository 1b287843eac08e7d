/*
 * cmd_release.c - mugaika release: hand a kept original to its recipients
 * after all.
 *
 * SYNOPSIS
 *	int mg_cmd_release(int argc, char **argv);
 *
 *	mugaika release [--config FILE] [--reason TEXT] [--force]
 *			[--force-recipient] (--to RCPT [--to RCPT ...] | --all) ID
 *
 * DESCRIPTION
 *	1. The recipients: --all is every recipient of the original not yet
 *	   released; each --to must be a recipient of the original (compared
 *	   without regard to ASCII case, sent as the envelope spelled it)
 *	   unless --force-recipient, which is audited as forced.
 *	2. The original is read back (its SHA-256 checked) and scanned again
 *	   as a whole with the signatures loaded now (scan.h).  A signature
 *	   detection (MG_SCAN_VIRUS) refuses the release unless --force; a
 *	   heuristic one (MG_SCAN_SUSPICIOUS, what kept it in the first place)
 *	   does not.  A scanner that cannot load or scan refuses it too unless
 *	   --force; with scanner = none there is no rescan and the audit row
 *	   says so.  A refusal is audited (outcome "refused").
 *	3. An audit row (outcome "started": who, for whom, why, what was
 *	   forced, the scan) is written before anything is sent; if it cannot
 *	   be, nothing is.
 *	4. release.c sends it over SMTP to release_relay with the original
 *	   envelope sender; nothing is added to the message, and the relay
 *	   runs no milters, so it is not sanitized again.
 *	5. The recipients answered 2xx (to RCPT TO and to the end of the data)
 *	   are marked released, in one transaction with the audit row of the
 *	   result (outcome ok, partial or failed, each recipient's reply in
 *	   its detail).  The others stay held; a retry sends to them.
 *	Each recipient's outcome is printed, with the relay's reply.
 *
 * EXIT STATUS
 *	0 every recipient asked for was released; 1 some were, some not;
 *	65 refused: a signature detection; 66 no such ID, or deleted;
 *	69 none released, refused for good (5xx); 75 none released, a
 *	temporary failure (4xx, no connection, timeout, scanner not working):
 *	retry; 64 usage (a recipient not of the original); 74 the index or
 *	original cannot be read or the audit row written; 77 no permission;
 *	78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "release.h"
#include "scan.h"

typedef struct {
	const char *config, *reason, *id;
	GPtrArray *to;          /* char* (borrowed from argv) */
	bool all, force, force_rcpt;
} release_opts;

/* One release as it goes on. */
typedef struct {
	const release_opts *o;
	const mg_config *cfg;
	mg_store *s;
	mg_kept_detail *d;
	GPtrArray *rcpts;       /* char*: what is sent to */
	GString *forced;        /* what --force and --force-recipient overrode */
	char *scan;             /* "clean", "virus:NAME", ... for the audit detail */
	char *raw;
	size_t len;
} release_job;

static void
release_usage(FILE *f)
{
	fputs("usage: mugaika release [--config FILE] [--reason TEXT] [--force] "
	      "[--force-recipient]\n"
	      "                       (--to RCPT [--to RCPT ...] | --all) ID\n", f);
}

static int
parse_release(int argc, char **argv, release_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "reason", required_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'f' },
		{ "force-recipient", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:t:aR:fFh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': g_ptr_array_add(o->to, optarg); break;
		case 'a': o->all = true; break;
		case 'R': o->reason = optarg; break;
		case 'f': o->force = true; break;
		case 'F': o->force_rcpt = true; break;
		case 'h': release_usage(stdout); return EX_OK;
		default: release_usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind != 1 || o->all == (o->to->len > 0)) {
		release_usage(stderr);
		return EX_USAGE;
	}
	o->id = argv[optind];
	if (!mg_store_id_valid(o->id)) {
		fprintf(stderr, "mugaika release: '%.60s' is not a quarantine ID\n", o->id);
		return EX_USAGE;
	}
	return -1;
}

/* ---- recipients ---------------------------------------------------------------- */

static char *
join_n(char *const *items, guint n, const char *sep)
{
	GString *o = g_string_new(NULL);

	for (guint i = 0; i < n; i++)
		g_string_append_printf(o, "%s%s", i ? sep : "", items[i]);
	return g_string_free(o, FALSE);
}

static void
add_unique(GPtrArray *list, const char *rcpt)
{
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(list, i), rcpt) == 0)
			return;
	g_ptr_array_add(list, g_strdup(rcpt));
}

static void
note_forced(release_job *j, const char *what)
{
	g_string_append_printf(j->forced, "%s%s", j->forced->len ? "," : "", what);
}

/* The index's spelling of rcpt among the original's recipients, or NULL. */
static const char *
original_rcpt(const mg_kept *k, const char *rcpt)
{
	for (guint i = 0; i < k->rcpts->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(k->rcpts, i), rcpt) == 0)
			return g_ptr_array_index(k->rcpts, i);
	return NULL;
}

/* j->rcpts from --to or --all; an exit code after a message, or -1. */
static int
pick_rcpts(release_job *j)
{
	const mg_kept *k = j->d->kept;

	for (guint i = 0; j->o->all && i < k->rcpts->len; i++)
		if (!g_ptr_array_index(j->d->released_at, i))
			add_unique(j->rcpts, g_ptr_array_index(k->rcpts, i));
	for (guint i = 0; i < j->o->to->len; i++) {
		const char *want = g_ptr_array_index(j->o->to, i);
		const char *have = original_rcpt(k, want);
		if (!have && !j->o->force_rcpt) {
			char *list = join_n((char **)k->rcpts->pdata, k->rcpts->len, ", ");
			char *safe = mg_cli_display(list);
			fprintf(stderr, "mugaika release: %s is not a recipient of %s (those "
				"are: %s); --force-recipient sends it there anyway, audited\n",
				want, k->id, safe);
			g_free(list);
			g_free(safe);
			return EX_USAGE;
		}
		if (!have) {
			char *what = g_strdup_printf("recipient:%s", want);
			note_forced(j, what);
			g_free(what);
		}
		add_unique(j->rcpts, have ? have : want);
	}
	if (j->rcpts->len == 0) {
		printf("%s: every recipient was released already; nothing to do\n", k->id);
		return EX_OK;
	}
	return -1;
}

/* ---- the rescan ---------------------------------------------------------------- */

/* Writes a refused row; returns code. */
static int
refuse(release_job *j, int code)
{
	char *err = NULL, *rcpts = join_n((char **)j->rcpts->pdata, j->rcpts->len, "\n");
	mg_audit_row *r = mg_audit_row_new("release", j->o->id, 0);

	mg_audit_set(&r->rcpts, rcpts);
	mg_audit_set(&r->reason, j->o->reason);
	mg_audit_set(&r->outcome, "refused");
	char *detail = g_strdup_printf("scan=%s", j->scan);
	mg_audit_set(&r->detail, detail);
	if (!mg_store_audit(j->s, r, &err)) {
		fprintf(stderr, "mugaika release: the refusal could not be audited: %s\n", err);
		g_free(err);
	}
	g_free(detail);
	g_free(rcpts);
	mg_audit_row_free(r);
	return code;
}

/* The scan's outcome as the audit records it. */
static char *
scan_outcome(mg_scan_result res, const char *name, unsigned version)
{
	static const char *const words[] = { "clean", "virus", "suspicious", "error" };
	char *sigs = version ? g_strdup_printf(" signatures=%u", version) : g_strdup("");
	char *out = res == MG_SCAN_CLEAN ? g_strdup_printf("clean%s", sigs)
					 : g_strdup_printf("%s:%s%s", words[res],
							   name ? name : "?", sigs);
	g_free(sigs);
	return out;
}

/* Scans the original again; an exit code after a message when the release
 * is refused, else -1. */
static int
rescan(release_job *j)
{
	char *err = NULL, *name = NULL;
	mg_scanner *sc = mg_scanner_load(j->cfg, &err);
	mg_scan_result res = MG_SCAN_ERROR;
	bool loaded = sc != NULL;

	if (!sc && !err) {
		j->scan = g_strdup("none (scanner = none)");
		return -1;
	}
	if (sc)
		res = mg_scanner_scan(sc, j->raw, j->len, NULL, &name);
	j->scan = scan_outcome(res, loaded ? name : err, loaded ? mg_scanner_db_version(sc) : 0);
	mg_scanner_unref(sc);
	int rc = -1;
	if (res == MG_SCAN_VIRUS || res == MG_SCAN_ERROR) {
		bool virus = res == MG_SCAN_VIRUS;
		char *safe = mg_cli_display(loaded ? name : err);
		if (j->o->force) {
			fprintf(stderr, "mugaika release: %s: %s %s; released anyway (--force, "
				"audited)\n", j->o->id, virus ? "found infected:" :
				"cannot be scanned:", safe);
			char *what = g_strdup_printf("%s:%s", virus ? "virus" : "scan_error",
						     loaded ? name : err);
			note_forced(j, what);
			g_free(what);
		} else {
			fprintf(stderr, "mugaika release: %s: %s %s; not released%s\n",
				j->o->id, virus ? "now found infected:" : "cannot be scanned:",
				safe, virus ? "" : " (retry when the scanner works)");
			rc = refuse(j, virus ? EX_DATAERR : EX_TEMPFAIL);
		}
		g_free(safe);
	}
	g_free(name);
	g_free(err);
	return rc;
}

/* ---- sending and recording ------------------------------------------------------ */

static mg_audit_row *
job_row(const release_job *j, const char *outcome, char *const *rcpts, guint n)
{
	mg_audit_row *r = mg_audit_row_new("release", j->o->id, 0);
	char *joined = n ? join_n(rcpts, n, "\n") : NULL;

	mg_audit_set(&r->rcpts, joined);
	mg_audit_set(&r->reason, j->o->reason);
	mg_audit_set(&r->forced, j->forced->len ? j->forced->str : NULL);
	mg_audit_set(&r->outcome, outcome);
	g_free(joined);
	return r;
}

/* The "started" row, before anything is sent. */
static bool
audit_start(release_job *j)
{
	char *err = NULL;
	mg_audit_row *r = job_row(j, "started", (char **)j->rcpts->pdata, j->rcpts->len);
	char *detail = g_strdup_printf("relay=%s scan=%s", j->cfg->release_relay, j->scan);

	mg_audit_set(&r->detail, detail);
	bool ok = mg_store_audit(j->s, r, &err);
	if (!ok)
		fprintf(stderr, "mugaika release: the release could not be recorded in the "
			"audit log, so nothing was sent: %s\n", err);
	g_free(err);
	g_free(detail);
	mg_audit_row_free(r);
	return ok;
}

static void
print_outcome(const release_job *j, const mg_release_rcpt *rr)
{
	char *reply = mg_cli_display(rr->reply ? rr->reply : "no reply");
	char *rcpt = mg_cli_display(rr->rcpt);

	if (rr->delivered)
		printf("%s: released (%s)\n", rcpt, reply);
	else if (rr->code / 100 == 5)
		printf("%s: NOT released, refused: %s\n", rcpt, reply);
	else
		printf("%s: NOT released, temporary failure: %s; retry: mugaika release "
		       "--to %s %s\n", rcpt, reply, rcpt, j->o->id);
	g_free(reply);
	g_free(rcpt);
}

/* Marks the delivered recipients with the result's audit row. */
static bool
record(release_job *j, const mg_release_result *res, guint delivered)
{
	GPtrArray *done = g_ptr_array_new();
	GString *detail = g_string_new(NULL);
	char *err = NULL;

	for (guint i = 0; i < res->rcpts->len; i++) {
		const mg_release_rcpt *rr = g_ptr_array_index(res->rcpts, i);
		if (rr->delivered)
			g_ptr_array_add(done, rr->rcpt);
		g_string_append_printf(detail, "%s%s=%s", i ? "; " : "", rr->rcpt,
				       rr->reply ? rr->reply : "no reply");
	}
	mg_audit_row *r = job_row(j, delivered == res->rcpts->len ? "ok" :
				  delivered ? "partial" : "failed", (char **)done->pdata,
				  done->len);
	mg_audit_set(&r->detail, detail->str);
	bool ok = mg_store_mark_released(j->s, j->o->id, (char **)done->pdata, delivered, r,
					 &err);
	if (!ok)
		fprintf(stderr, "mugaika release: %u recipient(s) got the original, but that "
			"could not be recorded: %s\n", delivered, err);
	mg_audit_row_free(r);
	g_ptr_array_unref(done);
	g_string_free(detail, TRUE);
	g_free(err);
	return ok;
}

static int
send_and_record(release_job *j)
{
	const mg_kept *k = j->d->kept;
	guint delivered, temporary, permanent;
	mg_release_result *res = mg_release_send(j->cfg->release_relay, j->cfg->release_timeout,
						 g_get_host_name(), k->mail_from,
						 (char **)j->rcpts->pdata, j->rcpts->len,
						 j->raw, j->len);

	mg_release_tally(res, &delivered, &temporary, &permanent);
	for (guint i = 0; i < res->rcpts->len; i++)
		print_outcome(j, g_ptr_array_index(res->rcpts, i));
	if (res->error && delivered == 0) {
		char *safe = mg_cli_display(res->error);
		fprintf(stderr, "mugaika release: %s: not released: %s\n", j->o->id, safe);
		g_free(safe);
	}
	int rc = !record(j, res, delivered) ? EX_IOERR :
		 delivered == res->rcpts->len ? EX_OK : delivered ? 1 :
		 temporary ? EX_TEMPFAIL : EX_UNAVAILABLE;
	mg_release_result_free(res);
	return rc;
}

/* ---- the command ------------------------------------------------------------------ */

static int
release_job_run(release_job *j)
{
	char *err = NULL;
	int rc;

	if (!(j->d = mg_store_detail(j->s, j->o->id, &err)) ||
	    strcmp(j->d->kept->status, "deleted") == 0) {
		fprintf(stderr, "mugaika release: %s\n", err ? err : "the original was deleted");
		g_free(err);
		return EX_NOINPUT;
	}
	if ((rc = pick_rcpts(j)) >= 0)
		return rc;
	if (!mg_store_read(j->s, j->o->id, &j->raw, &j->len, NULL, &err)) {
		fprintf(stderr, "mugaika release: %s\n", err);
		g_free(err);
		return EX_IOERR;
	}
	if ((rc = rescan(j)) >= 0)
		return rc;
	return audit_start(j) ? send_and_record(j) : EX_IOERR;
}

int
mg_cmd_release(int argc, char **argv)
{
	release_opts o = { .to = g_ptr_array_new() };
	release_job j = { .o = &o, .rcpts = g_ptr_array_new_with_free_func(g_free),
			  .forced = g_string_new(NULL) };
	int rc = parse_release(argc, argv, &o);

	mg_config *cfg = rc < 0 ? mg_cli_config("release", o.config) : NULL;
	if (rc < 0 && !cfg)
		rc = EX_CONFIG;
	j.cfg = cfg;
	if (cfg && (j.s = mg_cli_open("release", cfg, true, &rc)))
		rc = release_job_run(&j);
	mg_store_close(j.s);
	mg_kept_detail_free(j.d);
	mg_config_unref(cfg);
	g_ptr_array_unref(j.rcpts);
	g_ptr_array_unref(o.to);
	g_string_free(j.forced, TRUE);
	g_free(j.scan);
	g_free(j.raw);
	return rc;
}
