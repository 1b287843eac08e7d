/*
 * cmd_stats.c - mugaika stats: the state of the quarantine, for a person
 * or for monitoring.
 *
 * SYNOPSIS
 *	int mg_cmd_stats(int argc, char **argv);
 *
 *	mugaika stats [--config FILE] [--json]
 *
 * DESCRIPTION
 *	Reads (the index read-only, the spool by walking its two levels):
 *	originals held, released and deleted, with their bytes; the oldest
 *	held; the spool's files and bytes, and the free space and inodes of
 *	its file system; the key ids of kept originals and the current one
 *	(the last of quarantine_key_file); the index's schema version; the
 *	audit log's rows and head; the age of the ClamAV signatures (the
 *	newest build time in the .cvd/.cld headers of clamav_database, read
 *	with cl_cvdhead, without loading the engine).
 *
 *	Warnings, each crossing a threshold, printed last ("warning: ...")
 *	and in "warnings" of --json: less free space or inodes than
 *	spool_free_warning percent; signatures older than clamav_max_age
 *	days, or none found; an original held longer than retention_days
 *	(is the purge timer running?); originals encrypted with a key id
 *	that quarantine_key_file lacks (they cannot be read).
 *
 *	--json: one object: held, released, deleted, held_bytes,
 *	released_bytes, oldest_held (UTC or null), oldest_held_id,
 *	spool_files, spool_bytes, free_percent, free_bytes,
 *	inodes_free_percent, keys {KEYID: count, "": unencrypted},
 *	current_key, schema_version, audit_rows, audit_head {seq, hash},
 *	signatures {version, built (UTC), age_days} (null when unknown),
 *	warnings [].  Keys are only ever added.
 *
 * EXIT STATUS
 *	0 no threshold crossed; 1 at least one warning; 66 no index; 74 the
 *	index cannot be read; 77 no permission; 78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>

#include "json.h"
#include "verdict.h"

#define DAY 86400

typedef struct {
	mg_store_stats st;
	guint64 files, bytes;           /* the spool's regular files */
	double free_pct, inodes_pct;    /* -1: unknown */
	guint64 free_bytes;
	char *current_key;              /* NULL: unencrypted */
	GPtrArray *known_keys;          /* char*: key ids in the key file */
	time_t sig_built;               /* 0: unknown */
	unsigned sig_version;
	char *sig_state;                /* what is known of the signatures */
	GPtrArray *warnings;            /* char* */
} stats;

static void
stats_usage(FILE *f)
{
	fputs("usage: mugaika stats [--config FILE] [--json]\n", f);
}

static void
warn(stats *x, char *text)
{
	g_ptr_array_add(x->warnings, text);
}

/* ---- the spool --------------------------------------------------------------- */

static void
count_dir(stats *x, const char *dir, int depth)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			x->files++;
			x->bytes += (guint64)st.st_size;
		} else if (depth == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			count_dir(x, path, 1);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
}

static void
spool_space(stats *x, const mg_config *cfg)
{
	struct statvfs vfs;

	x->free_pct = x->inodes_pct = -1;
	count_dir(x, cfg->quarantine_dir, 0);
	if (statvfs(cfg->quarantine_dir, &vfs) != 0 || vfs.f_blocks == 0)
		return;
	x->free_bytes = (guint64)vfs.f_bavail * vfs.f_frsize;
	x->free_pct = 100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks;
	x->inodes_pct = vfs.f_files ? 100.0 * (double)vfs.f_favail / (double)vfs.f_files : -1;
	if (cfg->spool_free_warning && x->free_pct < cfg->spool_free_warning)
		warn(x, g_strdup_printf("quarantine_dir %s: %.1f%% of its space free, below "
					"spool_free_warning (%u%%)", cfg->quarantine_dir,
					x->free_pct, cfg->spool_free_warning));
	if (cfg->spool_free_warning && x->inodes_pct >= 0 &&
	    x->inodes_pct < cfg->spool_free_warning)
		warn(x, g_strdup_printf("quarantine_dir %s: %.1f%% of its inodes free, below "
					"spool_free_warning (%u%%)", cfg->quarantine_dir,
					x->inodes_pct, cfg->spool_free_warning));
}

/* ---- keys --------------------------------------------------------------------- */

/* The key ids quarantine_key_file lists (the first word of each line). */
static void
read_key_ids(stats *x, const mg_config *cfg)
{
	char *text = NULL;

	if (!*cfg->quarantine_key_file)
		return;
	if (!g_file_get_contents(cfg->quarantine_key_file, &text, NULL, NULL)) {
		warn(x, g_strdup_printf("quarantine_key_file %s cannot be read",
					cfg->quarantine_key_file));
		return;
	}
	char **lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		char *l = g_strstrip(lines[i]);
		if (!*l || *l == '#')
			continue;
		g_ptr_array_add(x->known_keys, g_strndup(l, strcspn(l, " \t")));
	}
	if (x->known_keys->len)
		x->current_key = g_strdup(g_ptr_array_index(x->known_keys,
							    x->known_keys->len - 1));
	g_strfreev(lines);
	g_free(text);
}

static void
check_keys(stats *x, const mg_config *cfg)
{
	read_key_ids(x, cfg);
	for (guint i = 0; i < x->st.key_ids->len; i++) {
		const char *id = g_ptr_array_index(x->st.key_ids, i);
		bool known = !*id;
		for (guint k = 0; !known && k < x->known_keys->len; k++)
			known = strcmp(id, g_ptr_array_index(x->known_keys, k)) == 0;
		if (!known)
			warn(x, g_strdup_printf("%" G_GUINT64_FORMAT " originals are encrypted "
						"with key %s, which quarantine_key_file lacks: "
						"they cannot be read",
						g_array_index(x->st.key_counts, guint64, i), id));
	}
}

/* ---- signatures and age --------------------------------------------------------- */

static void
check_signatures(stats *x, const mg_config *cfg, time_t now)
{
	if (cfg->scanner != MG_SCANNER_CLAMAV) {
		x->sig_state = g_strdup(cfg->scanner == MG_SCANNER_CLAMD
					? "kept by clamd (not checked here)" : "none (scanner = none)");
		return;
	}
	if (!mg_cli_signatures(cfg, &x->sig_built, &x->sig_version)) {
		x->sig_state = g_strdup_printf("%s: no .cvd or .cld: age unknown",
					       cfg->clamav_database);
		return;
	}
	char *built = mg_cli_time(x->sig_built, false);
	long days = (long)((now - x->sig_built) / DAY);
	x->sig_state = g_strdup_printf("%s: version %u, built %s (%ld days ago)",
				       cfg->clamav_database, x->sig_version, built, days);
	char *stale = mg_cli_signatures_age_warning(cfg, x->sig_built, now);
	if (stale)
		warn(x, stale);
	g_free(built);
}

static void
check_oldest(stats *x, const mg_config *cfg, time_t now)
{
	if (x->st.oldest_held && now - x->st.oldest_held > (time_t)(cfg->retention_days + 1) * DAY)
		warn(x, g_strdup_printf("%s is held longer than retention_days (%u): is "
					"mugaika purge (mugaika-purge.timer) running?",
					x->st.oldest_held_id, cfg->retention_days));
}

/* ---- output ------------------------------------------------------------------------ */

static void
print_text(const stats *x, const mg_store *s, const mg_config *cfg)
{
	static const char *const names[] = { "held", "released", "deleted" };
	char *oldest = x->st.oldest_held ? mg_cli_time(x->st.oldest_held, true) : NULL;

	for (int i = 0; i < 3; i++)
		printf("%-16s %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes)\n", names[i],
		       x->st.count[i], x->st.bytes[i]);
	printf("%-16s %s%s%s\n", "oldest held", oldest ? oldest : "-", oldest ? " " : "",
	       oldest ? x->st.oldest_held_id : "");
	printf("%-16s %s: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " bytes\n",
	       "spool", cfg->quarantine_dir, x->files, x->bytes);
	printf("%-16s %.1f%% (%" G_GUINT64_FORMAT " bytes), inodes %.1f%%\n", "free space",
	       x->free_pct, x->free_bytes, x->inodes_pct);
	printf("%-16s current %s;", "keys", x->current_key ? x->current_key : "none");
	for (guint i = 0; i < x->st.key_ids->len; i++) {
		const char *id = g_ptr_array_index(x->st.key_ids, i);
		printf(" %s %" G_GUINT64_FORMAT, *id ? id : "unencrypted",
		       g_array_index(x->st.key_counts, guint64, i));
	}
	printf("\n%-16s %d\n", "schema version", mg_store_schema((mg_store *)s));
	if (x->st.audit_rows >= 0)
		printf("%-16s %" G_GINT64_FORMAT " rows, head seq=%" G_GINT64_FORMAT " hash=%s\n",
		       "audit log", x->st.audit_rows, x->st.audit_head_seq, x->st.audit_head);
	printf("%-16s %s\n", "signatures", x->sig_state);
	for (guint i = 0; i < x->warnings->len; i++)
		printf("warning: %s\n", (char *)g_ptr_array_index(x->warnings, i));
	g_free(oldest);
}

static void
json_numbers(GString *o, const stats *x)
{
	static const char *const names[] = { "held", "released", "deleted" };

	for (int i = 0; i < 3; i++)
		g_string_append_printf(o, "%s\"%s\": %" G_GUINT64_FORMAT ", \"%s_bytes\": %"
				       G_GUINT64_FORMAT, i ? ", " : "{", names[i], x->st.count[i],
				       names[i], x->st.bytes[i]);
	g_string_append_printf(o, ", \"spool_files\": %" G_GUINT64_FORMAT ", \"spool_bytes\": %"
			       G_GUINT64_FORMAT ", \"free_bytes\": %" G_GUINT64_FORMAT
			       ", \"free_percent\": %.1f, \"inodes_free_percent\": %.1f",
			       x->files, x->bytes, x->free_bytes, x->free_pct, x->inodes_pct);
}

static void
json_keys(GString *o, const stats *x)
{
	g_string_append(o, ", \"keys\": {");
	for (guint i = 0; i < x->st.key_ids->len; i++) {
		g_string_append(o, i ? ", " : "");
		mg_json_string(o, g_ptr_array_index(x->st.key_ids, i));
		g_string_append_printf(o, ": %" G_GUINT64_FORMAT,
				       g_array_index(x->st.key_counts, guint64, i));
	}
	g_string_append_c(o, '}');
	mg_cli_json_field(o, "current_key", x->current_key);
}

static void
print_json(const stats *x, const mg_store *s)
{
	GString *o = g_string_new(NULL);
	char *oldest = x->st.oldest_held ? mg_cli_time(x->st.oldest_held, false) : NULL;
	char *built = x->sig_built ? mg_cli_time(x->sig_built, false) : NULL;

	json_numbers(o, x);
	mg_cli_json_field(o, "oldest_held", oldest);
	mg_cli_json_field(o, "oldest_held_id", x->st.oldest_held_id);
	json_keys(o, x);
	g_string_append_printf(o, ", \"schema_version\": %d, \"audit_rows\": %" G_GINT64_FORMAT
			       ", \"audit_head\": {\"seq\": %" G_GINT64_FORMAT,
			       mg_store_schema((mg_store *)s), x->st.audit_rows,
			       x->st.audit_head_seq);
	mg_cli_json_field(o, "hash", x->st.audit_rows >= 0 ? x->st.audit_head : NULL);
	if (built)
		g_string_append_printf(o, "}, \"signatures\": {\"version\": %u, \"built\": \"%s\", "
				       "\"age_days\": %ld}", x->sig_version, built,
				       (long)((time(NULL) - x->sig_built) / DAY));
	else
		g_string_append(o, "}, \"signatures\": null");
	char **warnings = g_new0(char *, x->warnings->len + 1);
	for (guint i = 0; i < x->warnings->len; i++)
		warnings[i] = g_ptr_array_index(x->warnings, i);
	mg_cli_json_array(o, "warnings", warnings);
	g_free(warnings);
	g_string_append(o, "}\n");
	fputs(o->str, stdout);
	g_string_free(o, TRUE);
	g_free(oldest);
	g_free(built);
}

/* ---- the command ------------------------------------------------------------------ */

static int
gather(stats *x, mg_store *s, const mg_config *cfg)
{
	char *err = NULL;
	time_t now = time(NULL);

	if (!mg_store_get_stats(s, &x->st, &err)) {
		fprintf(stderr, "mugaika stats: %s\n", err);
		g_free(err);
		return EX_IOERR;
	}
	spool_space(x, cfg);
	check_keys(x, cfg);
	check_oldest(x, cfg, now);
	check_signatures(x, cfg, now);
	return EX_OK;
}

static int
parse_stats(int argc, char **argv, const char **config, bool *json)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'j': *json = true; break;
		case 'h': stats_usage(stdout); return EX_OK;
		default: stats_usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		stats_usage(stderr);
		return EX_USAGE;
	}
	return -1;
}

int
mg_cmd_stats(int argc, char **argv)
{
	const char *config = NULL;
	bool json = false;
	stats x = { .warnings = g_ptr_array_new_with_free_func(g_free),
		    .known_keys = g_ptr_array_new_with_free_func(g_free) };
	int rc = parse_stats(argc, argv, &config, &json);
	mg_config *cfg = rc < 0 ? mg_cli_config("stats", config) : NULL;
	mg_store *s = NULL;

	if (rc < 0 && !cfg)
		rc = EX_CONFIG;
	if (cfg && (s = mg_cli_open("stats", cfg, false, &rc)) &&
	    (rc = gather(&x, s, cfg)) == EX_OK) {
		if (json)
			print_json(&x, s);
		else
			print_text(&x, s, cfg);
		rc = mg_cli_flush("stats");
		rc = rc == EX_OK && x.warnings->len ? 1 : rc;
	}
	mg_store_stats_clear(&x.st);
	g_ptr_array_unref(x.warnings);
	g_ptr_array_unref(x.known_keys);
	g_free(x.current_key);
	g_free(x.sig_state);
	mg_store_close(s);
	mg_config_unref(cfg);
	return rc;
}
