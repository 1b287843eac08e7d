/*
 * cmd_common.c - what the quarantine verbs of mugaika(1) share: settings,
 * the access check, opening the store, times, display-safe text, JSON.
 *
 * SYNOPSIS
 *	mg_config *mg_cli_config(verb, path);
 *	int mg_cli_access(verb, cfg);
 *	mg_store *mg_cli_open(verb, cfg, writable, &rc);
 *	bool mg_cli_parse_time(text, now, &t);
 *	bool mg_cli_is_filter(c);  bool mg_cli_filter_arg(verb, c, arg, now, &f);
 *	char *mg_cli_display(s);  char *mg_cli_time(t, local);
 *	void mg_cli_json_field(o, key, value);  mg_cli_json_array(o, key, items);
 *	int mg_cli_flush(verb);
 *	bool mg_cli_signatures(cfg, &built, &version);
 *	char *mg_cli_signatures_age_warning(cfg, built, now);
 *	char *mg_cli_stale_signatures(cfg, now);
 *
 * DESCRIPTION
 *	The contracts are in commands.h.  The access model (DESIGN.md): the
 *	spool and index belong to the service user, mode 0700/0600, and
 *	operators run mugaika as that user through sudo.  mg_cli_access
 *	therefore refuses, before SQLite sees anything, a process whose
 *	effective user does not own quarantine_db and quarantine_dir (root
 *	included: files it created would lock the daemon out), and names the
 *	command that works.  Run through sudo (SUDO_USER set), a --config file
 *	must belong to root or to the service user and be writable by no one
 *	else, so that an operator cannot point the verbs elsewhere.
 *
 * DIAGNOSTICS
 *	Messages go to standard error as "mugaika VERB: ...".
 *
 * MEMORY
 *	GLib allocation; returned strings are the caller's.
 */
#include "commands.h"
#include "names.h"

#include <clamav.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "json.h"

/* ---- settings ---------------------------------------------------------------- */

/* Through sudo, FILE must be root's or ours and writable by no one else. */
static bool
config_trusted(const char *verb, const char *path)
{
	struct stat st;

	if (!g_getenv("SUDO_USER") || stat(path, &st) != 0)
		return true;	/* not through sudo; a missing file is reported on load */
	if (S_ISREG(st.st_mode) && (st.st_uid == 0 || st.st_uid == geteuid()) &&
	    !(st.st_mode & 022))
		return true;
	fprintf(stderr, "mugaika %s: --config %s: run through sudo, the settings file "
		"must belong to root or the service user and be writable by no one "
		"else\n", verb, path);
	return false;
}

mg_config *
mg_cli_config(const char *verb, const char *path)
{
	char *err = NULL;
	mg_config *cfg;

	if (!path && access(MG_DEFAULT_CONFIG, F_OK) != 0)
		return mg_config_new_defaults();
	if (path && !config_trusted(verb, path))
		return NULL;
	cfg = mg_config_load(path ? path : MG_DEFAULT_CONFIG, &err);
	if (!cfg) {
		fprintf(stderr, "mugaika %s: %s\n", verb, err);
		g_free(err);
	}
	return cfg;
}

/* ---- access ----------------------------------------------------------------- */

static char *
name_of(uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
		return g_strdup(found->pw_name);
	return g_strdup_printf("uid %u", (unsigned)uid);
}

/* An exit code after a message when this process may not use path. */
static int
check_owner(const char *verb, const char *setting, const char *path, const char *user)
{
	struct stat st;
	int rc = -1;

	if (stat(path, &st) != 0) {
		int e = errno;
		if (e == EACCES)
			fprintf(stderr, "mugaika %s: %s %s: %s: run mugaika as the service "
				"user, e.g. sudo -u %s mugaika %s ...\n", verb, setting, path,
				g_strerror(e), user, verb);
		else
			fprintf(stderr, "mugaika %s: %s %s: %s%s\n", verb, setting, path,
				g_strerror(e), e == ENOENT ? " (nothing kept yet?)" : "");
		return e == EACCES ? EX_NOPERM : e == ENOENT ? EX_NOINPUT : EX_IOERR;
	}
	if (st.st_uid != geteuid()) {
		char *owner = name_of(st.st_uid), *me = name_of(geteuid());
		fprintf(stderr, "mugaika %s: %s %s belongs to %s, and this runs as %s: run "
			"it as that user, e.g. sudo -u %s mugaika %s ...\n", verb, setting,
			path, owner, me, owner, verb);
		g_free(owner);
		g_free(me);
		rc = EX_NOPERM;
	}
	return rc;
}

int
mg_cli_access(const char *verb, const mg_config *cfg)
{
	const char *user = cfg->user && *cfg->user ? cfg->user : "mugaika";
	int rc = check_owner(verb, "quarantine_db", cfg->quarantine_db, user);

	return rc >= 0 ? rc : check_owner(verb, "quarantine_dir", cfg->quarantine_dir, user);
}

mg_store *
mg_cli_open(const char *verb, const mg_config *cfg, bool writable, int *rc)
{
	char *err = NULL;
	mg_store *s;

	*rc = mg_cli_access(verb, cfg);
	if (*rc >= 0)
		return NULL;
	s = writable ? mg_store_open(cfg, &err) : mg_store_open_readonly(cfg, &err);
	if (!s) {
		fprintf(stderr, "mugaika %s: %s\n", verb, err);
		g_free(err);
		*rc = EX_IOERR;
	}
	return s;
}

/* ---- times --------------------------------------------------------------------- */

/* "24h", "7d", "30m", "2w", "90s" back from now. */
static bool
parse_relative(const char *text, time_t now, time_t *out)
{
	static const char units[] = "smhdw";
	static const gint64 secs[] = { 1, 60, 3600, 86400, 7 * 86400 };
	char *end = NULL;
	guint64 n = g_ascii_strtoull(text, &end, 10);
	const char *u = end && *end && !end[1] ? strchr(units, *end) : NULL;

	if (!g_ascii_isdigit(*text) || !u || n > (guint64)G_MAXINT64 / (7 * 86400))
		return false;
	*out = now - (time_t)((gint64)n * secs[u - units]);
	return true;
}

bool
mg_cli_parse_time(const char *text, time_t now, time_t *out)
{
	GTimeZone *local = g_time_zone_new_local();
	char *iso = strlen(text) == 10 ? g_strconcat(text, "T00:00:00", NULL)
				       : g_strdup(text);
	GDateTime *dt;

	if (parse_relative(text, now, out)) {
		g_time_zone_unref(local);
		g_free(iso);
		return true;
	}
	if (strlen(iso) > 10 && iso[10] == ' ')
		iso[10] = 'T';
	dt = g_date_time_new_from_iso8601(iso, local);
	if (dt) {
		*out = (time_t)g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	g_time_zone_unref(local);
	g_free(iso);
	return dt != NULL;
}

char *
mg_cli_time(time_t t, bool local)
{
	GDateTime *dt = local ? g_date_time_new_from_unix_local(t)
			      : g_date_time_new_from_unix_utc(t);
	char *s = dt ? g_date_time_format(dt, local ? "%Y-%m-%dT%H:%M:%S%:z"
					  : "%Y-%m-%dT%H:%M:%SZ") : NULL;

	if (dt)
		g_date_time_unref(dt);
	return s ? s : g_strdup("?");
}

/* ---- filters -------------------------------------------------------------------- */

bool
mg_cli_is_filter(int c)
{
	return c && strchr("SUFTJWRX", c) != NULL;
}

static bool
filter_text(const char *verb, const char *opt, const char *arg, const char **slot)
{
	if (!*arg || !g_utf8_validate(arg, -1, NULL)) {
		fprintf(stderr, "mugaika %s: --%s: give non-empty UTF-8 text\n", verb, opt);
		return false;
	}
	*slot = arg;
	return true;
}

static bool
filter_time(const char *verb, const char *opt, const char *arg, time_t now, time_t *slot)
{
	if (mg_cli_parse_time(arg, now, slot))
		return true;
	fprintf(stderr, "mugaika %s: --%s: '%s' is neither an ISO 8601 date or time "
		"nor a span like 24h or 7d\n", verb, opt, arg);
	return false;
}

bool
mg_cli_filter_arg(const char *verb, int c, const char *arg, time_t now,
		  mg_store_filter *f)
{
	switch (c) {
	case 'S': return filter_time(verb, "since", arg, now, &f->since);
	case 'U': return filter_time(verb, "until", arg, now, &f->until);
	case 'F': return filter_text(verb, "from", arg, &f->from);
	case 'T': return filter_text(verb, "to", arg, &f->to);
	case 'J': return filter_text(verb, "subject", arg, &f->subject);
	case 'W': case 'R': return filter_text(verb, "reason", arg, &f->reason);
	case 'X':
		if (strcmp(arg, "held") == 0 || strcmp(arg, "released") == 0 ||
		    strcmp(arg, "deleted") == 0) {
			f->status = arg;
			return true;
		}
		fprintf(stderr, "mugaika %s: --status: '%s' is not held, released or "
			"deleted\n", verb, arg);
		return false;
	}
	return false;
}

/* ---- text and JSON -------------------------------------------------------------- */

char *
mg_cli_display(const char *s)
{
	return mg_display_line(s ? s : "");
}

void
mg_cli_json_field(GString *o, const char *key, const char *value)
{
	char *valid = value ? g_utf8_make_valid(value, -1) : NULL;

	mg_json_str(o, MG_JSON_NEXT, key, valid);
	g_free(valid);
}

void
mg_cli_json_array(GString *o, const char *key, char **items)
{
	guint n = items ? g_strv_length(items) : 0;
	char **valid = g_new0(char *, n + 1);

	for (guint i = 0; i < n; i++)
		valid[i] = g_utf8_make_valid(items[i], -1);
	mg_json_strv(o, MG_JSON_NEXT, key, valid);
	g_strfreev(valid);
}

int
mg_cli_flush(const char *verb)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EX_OK;
	fprintf(stderr, "mugaika %s: cannot write the output\n", verb);
	return EX_IOERR;
}

bool
mg_cli_signatures(const mg_config *cfg, time_t *built, unsigned *version)
{
	GDir *d = g_dir_open(cfg->clamav_database, 0, NULL);
	const char *name;

	*built = 0;
	*version = 0;
	while (d && (name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".cvd") && !g_str_has_suffix(name, ".cld"))
			continue;
		char *path = g_build_filename(cfg->clamav_database, name, NULL);
		struct cl_cvd *cvd = cl_cvdhead(path);
		if (cvd && (time_t)cvd->stime > *built) {
			*built = (time_t)cvd->stime;
			*version = cvd->version;
		}
		if (cvd)
			cl_cvdfree(cvd);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	return *built != 0;
}

char *
mg_cli_signatures_age_warning(const mg_config *cfg, time_t built, time_t now)
{
	if (now - built <= (time_t)cfg->clamav_max_age * 86400)
		return NULL;
	return g_strdup_printf("the ClamAV signatures are %ld days old, older than "
			       "clamav_max_age (%u): is freshclam running?",
			       (long)((now - built) / 86400), cfg->clamav_max_age);
}

char *
mg_cli_stale_signatures(const mg_config *cfg, time_t now)
{
	time_t built;
	unsigned version;

	if (cfg->scanner != MG_SCANNER_CLAMAV || !mg_cli_signatures(cfg, &built, &version))
		return NULL;
	return mg_cli_signatures_age_warning(cfg, built, now);
}
