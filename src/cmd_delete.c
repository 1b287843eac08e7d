/*
 * cmd_delete.c - mugaika delete and mugaika purge: removing originals.
 *
 * SYNOPSIS
 *	int mg_cmd_delete(int argc, char **argv);
 *	int mg_cmd_purge(int argc, char **argv);
 *
 *	mugaika delete [--config FILE] [--reason TEXT] [--scrub] ID...
 *	mugaika delete [--config FILE] [--reason TEXT] [--scrub] [--dry-run] --matching
 *		       [--since T] [--until T] [--from ADDR] [--to ADDR]
 *		       [--subject TEXT] [--with-reason R] [--status S]
 *	mugaika purge [--config FILE] [--reason TEXT] [--dry-run]
 *
 * DESCRIPTION
 *	delete removes the originals named (mg_store_delete: status
 *	"deleted" and an audit row in one transaction, then the file), or
 *	every original the filters of mugaika list match (--matching needs
 *	at least one filter; --with-reason is list's --reason, since --reason
 *	here is the operator's note).  Targeted removal: mail that carried a
 *	マイナンバー, say, found by sender, subject and time.  Each original
 *	gets its own audit row, whose detail records the filters.  The index
 *	row stays (for audit_retention_days); with --scrub its Subject and
 *	From header fields are blanked in the same transaction
 *	(mg_store_delete_scrub; also for an original deleted earlier), and
 *	the audit detail says "scrubbed".  --dry-run prints the matches as
 *	list does and removes nothing.  Output: "ID<TAB>deleted" per
 *	original ("ID<TAB>deleted, scrubbed").
 *
 *	purge removes the originals received more than retention_days ago,
 *	then the index rows of removed originals and the audit rows older
 *	than audit_retention_days, in one transaction with one audit row
 *	(action purge) whose detail has the counts; contrib/ runs it daily
 *	(mugaika-purge.timer).  --dry-run counts without removing.
 *
 * EXIT STATUS
 *	0 done; 64 usage; 66 an ID unknown or already deleted (the others
 *	are still deleted); 74 the index could not be written or a file not
 *	removed (named); 77 no permission; 78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

typedef struct {
	const char *config, *reason;
	bool matching, dry_run, scrub;
	mg_store_filter filter;
	GString *filters;       /* the filters as given, for the audit detail */
} delete_opts;

static void
delete_usage(FILE *f)
{
	fputs("usage: mugaika delete [--config FILE] [--reason TEXT] [--scrub] ID...\n"
	      "       mugaika delete [--config FILE] [--reason TEXT] [--scrub] [--dry-run]\n"
	      "                      --matching [--since T] [--until T] [--from ADDR] [--to ADDR]\n"
	      "                      [--subject TEXT] [--with-reason R] [--status S]\n", f);
}

static int
delete_option(int c, delete_opts *o, time_t now, const struct option *longopts, int index)
{
	if (mg_cli_is_filter(c)) {
		if (!mg_cli_filter_arg("delete", c, optarg, now, &o->filter))
			return EX_USAGE;
		g_string_append_printf(o->filters, "%s%s=%s", o->filters->len ? " " : "",
				       longopts[index].name, optarg);
		return -1;
	}
	switch (c) {
	case 'c': o->config = optarg; return -1;
	case 'N': o->reason = optarg; return -1;
	case 'm': o->matching = true; return -1;
	case 'n': o->dry_run = true; return -1;
	case 's': o->scrub = true; return -1;
	case 'h': delete_usage(stdout); return EX_OK;
	default: delete_usage(stderr); return EX_USAGE;
	}
}

/* An exit code when done, or -1; *first the first ID in argv. */
static int
parse_delete(int argc, char **argv, delete_opts *o, int *first)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "reason", required_argument, NULL, 'N' },
		{ "matching", no_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "scrub", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		MG_CLI_FILTER_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	time_t now = time(NULL);
	int c, index = 0, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:mnh", longopts, &index)) != -1)
		if ((rc = delete_option(c, o, now, longopts, index)) >= 0)
			return rc;
	*first = optind;
	bool ids = optind < argc;
	if (o->matching ? ids || !o->filters->len : !ids || o->filters->len || o->dry_run) {
		if (o->matching && !o->filters->len)
			fputs("mugaika delete: --matching needs at least one filter\n", stderr);
		delete_usage(stderr);
		return EX_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (!mg_store_id_valid(argv[i])) {
			fprintf(stderr, "mugaika delete: '%.60s' is not a quarantine ID\n", argv[i]);
			return EX_USAGE;
		}
	return -1;
}

/* Deletes one; an exit code (EX_OK when deleted). */
static int
delete_one(mg_store *s, const delete_opts *o, const char *id)
{
	char *err = NULL;
	mg_audit_row *r = mg_audit_row_new("delete", id, 0);
	int rc = EX_OK;

	mg_audit_set(&r->reason, o->reason);
	if (o->matching || o->scrub) {
		char *detail = g_strdup_printf("%s%s%s", o->matching ? "matching " : "",
					       o->matching ? o->filters->str : "",
					       !o->scrub ? "" : o->matching ? " scrubbed" : "scrubbed");
		mg_audit_set(&r->detail, detail);
		g_free(detail);
	}
	if (o->scrub ? mg_store_delete_scrub(s, id, r, &err) : mg_store_delete(s, id, r, &err))
		printf("%s\tdeleted%s\n", id, o->scrub ? ", scrubbed" : "");
	else {
		fprintf(stderr, "mugaika delete: %s\n", err);
		rc = strstr(err, "marked deleted") ? EX_IOERR : EX_NOINPUT;
	}
	g_free(err);
	mg_audit_row_free(r);
	return rc;
}

/* The IDs the filters match (printed as list prints them on a dry run). */
static GPtrArray *
matching_ids(mg_store *s, const delete_opts *o, int *rc)
{
	char *err = NULL;
	GPtrArray *kept = mg_store_find(s, &o->filter, &err);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

	if (!kept) {
		fprintf(stderr, "mugaika delete: %s\n", err);
		g_free(err);
		*rc = EX_IOERR;
		return ids;
	}
	for (guint i = 0; i < kept->len; i++) {
		mg_kept *k = g_ptr_array_index(kept, i);
		char *subject = mg_cli_display(k->subject), *when = mg_cli_time(k->received, true);
		g_ptr_array_add(ids, g_strdup(k->id));
		if (o->dry_run)
			printf("%s\t%s\t%s\twould be deleted\n", k->id, when, subject);
		g_free(subject);
		g_free(when);
	}
	g_ptr_array_unref(kept);
	return ids;
}

static int
delete_all(mg_store *s, const delete_opts *o, int argc, char **argv, int first)
{
	int rc = EX_OK;
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

	if (o->matching) {
		g_ptr_array_unref(ids);
		ids = matching_ids(s, o, &rc);
	} else
		for (int i = first; i < argc; i++)
			g_ptr_array_add(ids, g_strdup(argv[i]));
	for (guint i = 0; !o->dry_run && rc != EX_IOERR && i < ids->len; i++) {
		int one = delete_one(s, o, g_ptr_array_index(ids, i));
		rc = one == EX_OK ? rc : rc == EX_OK || one == EX_IOERR ? one : rc;
	}
	if (o->matching && ids->len == 0 && rc == EX_OK)
		fputs("mugaika delete: nothing matches\n", stderr);
	g_ptr_array_unref(ids);
	return rc;
}

int
mg_cmd_delete(int argc, char **argv)
{
	delete_opts o = { .filters = g_string_new(NULL) };
	int first = 0, rc = parse_delete(argc, argv, &o, &first);
	mg_config *cfg = rc < 0 ? mg_cli_config("delete", o.config) : NULL;
	mg_store *s = NULL;

	if (rc < 0 && !cfg)
		rc = EX_CONFIG;
	if (cfg && (s = mg_cli_open("delete", cfg, true, &rc)))
		rc = delete_all(s, &o, argc, argv, first);
	if (rc == EX_OK)
		rc = mg_cli_flush("delete");
	mg_store_close(s);
	mg_config_unref(cfg);
	g_string_free(o.filters, TRUE);
	return rc;
}

/* ---- purge ----------------------------------------------------------------------- */

static void
purge_usage(FILE *f)
{
	fputs("usage: mugaika purge [--config FILE] [--reason TEXT] [--dry-run]\n", f);
}

static int
parse_purge(int argc, char **argv, const char **config, const char **reason, bool *dry)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "reason", required_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:R:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'R': *reason = optarg; break;
		case 'n': *dry = true; break;
		case 'h': purge_usage(stdout); return EX_OK;
		default: purge_usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		purge_usage(stderr);
		return EX_USAGE;
	}
	return -1;
}

static int
purge(mg_store *s, const mg_config *cfg, const char *reason, bool dry_run)
{
	mg_purge_opts po = { time(NULL), cfg->retention_days, cfg->audit_retention_days,
			     dry_run };
	mg_purge_result res = { 0 };
	mg_audit_row *r = mg_audit_row_new("purge", NULL, 0);
	char *err = NULL;
	int rc = EX_OK;

	mg_audit_set(&r->reason, reason);
	bool ok = mg_store_purge(s, &po, &res, r, &err);
	if (!ok || res.unlink_failures) {
		fprintf(stderr, "mugaika purge: %s\n", err ? err : "?");
		rc = EX_IOERR;
	}
	if (ok)
		printf("purge%s: %u original%s older than %u days %s; %" G_GUINT64_FORMAT
		       " index rows and %" G_GINT64_FORMAT " audit rows older than %u days "
		       "%s\n", dry_run ? " (dry run)" : "", res.originals->len,
		       res.originals->len == 1 ? "" : "s", po.retention_days,
		       dry_run ? "would be removed" : "removed", res.rows, res.audit_rows,
		       po.audit_retention_days, dry_run ? "would be removed" : "removed");
	if (ok && res.stale_temps)
		printf("purge%s: %u temporary file%s left by a crash %s\n",
		       dry_run ? " (dry run)" : "", res.stale_temps,
		       res.stale_temps == 1 ? "" : "s", dry_run ? "would be removed" : "removed");
	mg_purge_result_clear(&res);
	mg_audit_row_free(r);
	g_free(err);
	return rc;
}

int
mg_cmd_purge(int argc, char **argv)
{
	const char *config = NULL, *reason = NULL;
	bool dry = false;
	int rc = parse_purge(argc, argv, &config, &reason, &dry);
	mg_config *cfg = rc < 0 ? mg_cli_config("purge", config) : NULL;
	mg_store *s = NULL;

	if (rc < 0 && !cfg)
		rc = EX_CONFIG;
	if (cfg && (s = mg_cli_open("purge", cfg, true, &rc)))
		rc = purge(s, cfg, reason, dry);
	if (rc == EX_OK)
		rc = mg_cli_flush("purge");
	mg_store_close(s);
	mg_config_unref(cfg);
	return rc;
}
