/*
 * mugaika-milter.c - the daemon: options, configuration, socket, privilege
 * drop, signals, libmilter's main loop and an orderly stop.
 *
 * SYNOPSIS
 *	mugaika-milter [-fnV] [-c FILE] [-p SOCKET] [-P PIDFILE] [-u USER[:GROUP]]
 *
 * DESCRIPTION
 *	Start-up order: options; configuration; the virus scanner loaded
 *	(libclamav initialised and its messages routed into our log before
 *	any thread exists; with -n: check the configuration, the socket, user
 *	and group it names and that the scanner loads, then exit); the
 *	engine initialised; the socket opened (as root if started as root),
 *	given socket_mode and socket_group; into the background unless -f;
 *	the pid file; the privileges dropped to the service user; the
 *	quarantine opened as that user (the first snapshot, installed with
 *	the scanner); then smfi_main().  Without a scanner the daemon does
 *	not start, unless the settings say scanner = none.
 *
 *	Signals: libmilter stops on SIGHUP, SIGTERM and SIGINT, so the
 *	configuration is reloaded on SIGUSR1: a thread of ours waits for it
 *	(SIGUSR1 is blocked in every other thread) and installs a new
 *	snapshot; messages in flight keep theirs.  A reload that fails
 *	keeps the running configuration.  After smfi_main() returns, the
 *	messages in flight are finished (up to max_processing_time plus a
 *	minute), then the daemon exits.
 *
 *	Signatures: the same thread wakes every scanner_check_interval
 *	seconds and on SIGUSR1; when clamav_database has changed it loads a
 *	new scanner beside the current one and installs it with the current
 *	snapshot (a reload also does when the settings the scanner is built
 *	from changed).  Messages in flight keep the scanner they started
 *	with.  A load that fails keeps the current scanner; the periodic
 *	check then tries again after a wait that doubles up to an hour.
 *	Signatures older than clamav_max_age are warned about once a day.
 *
 * EXIT STATUS (sysexits.h)
 *	0 stopped normally, or -n found no error, or -V; 64 usage; 67 unknown
 *	user or group; 71 socket, fork or privilege failure, or libclamav
 *	does not start; 73 pid file or quarantine cannot be created; 78
 *	configuration error (printed as FILE:LINE: message), or the virus
 *	scanner cannot be loaded (the message names the setting to fix).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "milter.h"
#include "recorder.h"
#include "sanitize.h"
#include "scan.h"
#include "snapshot.h"

#define PROGRAM "mugaika-milter"
#define STOP_GRACE_MS 60000L
#define RETRY_MAX_S 3600          /* longest wait before a failed load is retried */
#define STALE_REPEAT_S 86400      /* old signatures are warned about once a day */

typedef struct {
	const char *config;      /* -c */
	const char *socket;      /* -p */
	const char *pidfile;     /* -P */
	const char *user;        /* -u, USER or USER:GROUP */
	bool foreground;         /* -f */
	bool check_only;         /* -n */
} options;

/* What was fixed at start and needs a restart to change. */
static struct {
	options opt;
	char *config_path;
	char *socket;
	unsigned generation;
	bool log_open;           /* mg_log_open() done */
	bool scan_debug;         /* G_MESSAGES_DEBUG: libclamav's debug lines too */
	/* the periodic signature check (signal thread only) */
	time_t retry_at;         /* no new load before this time after a failure */
	unsigned retry_wait;     /* seconds of the last wait, 0 after a success */
	time_t stale_warn_at;    /* next warning about old signatures */
} daemon_state;

static void usage(FILE *f)
{
	fputs("usage: " PROGRAM " [-fn] [-c FILE] [-p SOCKET] [-P PIDFILE] [-u USER[:GROUP]]\n"
	      "       " PROGRAM " -V\n"
	      "See mugaika-milter(8).\n", f);
}

static void print_version(void)
{
	unsigned major = 0, minor = 0, patch = 0;

	smfi_version(&major, &minor, &patch);
	printf(PROGRAM " %s (libmilter %u.%u.%u)\n", PACKAGE_VERSION, major, minor, patch);
}

static int parse_options(int argc, char **argv, options *o)
{
	int c;

	while ((c = getopt(argc, argv, "c:fhnp:P:u:V")) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': o->check_only = true; break;
		case 'p': o->socket = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'u': o->user = optarg; break;
		case 'V':
			print_version();
			exit(EX_OK);
		case 'h': usage(stdout); exit(EX_OK);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return EX_OK;
}

/* ---- configuration and the things it names -------------------------------- */

static bool socket_spec_ok(const char *s)
{
	if (g_str_has_prefix(s, "unix:") || g_str_has_prefix(s, "local:"))
		return strchr(s, ':')[1] == '/';
	return (g_str_has_prefix(s, "inet:") || g_str_has_prefix(s, "inet6:")) && strchr(s, '@');
}

/* The socket path of a unix:/local: socket, or NULL. */
static const char *socket_path(const char *s)
{
	if (g_str_has_prefix(s, "unix:") || g_str_has_prefix(s, "local:"))
		return strchr(s, ':') + 1;
	return NULL;
}

/* Splits "USER[:GROUP]"; *group NULL when absent.  Caller frees both. */
static void split_user(const char *spec, char **user, char **group)
{
	const char *colon = strchr(spec, ':');

	*user = colon ? g_strndup(spec, (gsize)(colon - spec)) : g_strdup(spec);
	*group = colon ? g_strdup(colon + 1) : NULL;
}

/* The user and groups named exist.  from_option: the user came from -u. */
static int check_names(const mg_config *cfg, const char *user_spec, bool from_option)
{
	char *user, *group;
	int rc = EX_OK;

	split_user(user_spec, &user, &group);
	if (*user && !getpwnam(user)) {
		if (from_option)
			fprintf(stderr, PROGRAM ": -u: no user '%s'\n", user);
		else
			fprintf(stderr, PROGRAM ": %s: user: no user '%s'\n",
				daemon_state.config_path, user);
		rc = EX_NOUSER;
	}
	if (group && *group && !getgrnam(group)) {
		fprintf(stderr, PROGRAM ": -u: no group '%s'\n", group);
		rc = EX_NOUSER;
	}
	if (socket_path(daemon_state.socket) && *cfg->socket_group &&
	    !getgrnam(cfg->socket_group)) {
		fprintf(stderr, PROGRAM ": %s: socket_group: no group '%s'\n",
			daemon_state.config_path, cfg->socket_group);
		rc = EX_NOUSER;
	}
	g_free(user);
	g_free(group);
	return rc;
}

static mg_config *load_config(const options *o, int *rc)
{
	char *err = NULL;

	daemon_state.config_path = g_strdup(o->config ? o->config : MG_DEFAULT_CONFIG);
	mg_config *cfg = mg_config_load(daemon_state.config_path, &err);
	if (!cfg) {
		fprintf(stderr, PROGRAM ": %s\n", err);
		g_free(err);
		*rc = EX_CONFIG;
		return NULL;
	}
	daemon_state.socket = g_strdup(o->socket ? o->socket : cfg->socket);
	if (!socket_spec_ok(daemon_state.socket)) {
		fprintf(stderr, PROGRAM ": -p: '%s' is not unix:/PATH, inet:PORT@ADDR or "
			"inet6:PORT@ADDR\n", daemon_state.socket);
		*rc = EX_USAGE;
		mg_config_unref(cfg);
		return NULL;
	}
	*rc = check_names(cfg, o->user ? o->user : cfg->user, o->user != NULL);
	if (*rc != EX_OK)
		g_clear_pointer(&cfg, mg_config_unref);
	return cfg;
}

/* ---- socket, background, pid file, privileges ------------------------------ */

static int open_socket(const mg_config *cfg)
{
	const char *path = socket_path(daemon_state.socket);

	if (smfi_setconn((char *)daemon_state.socket) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter_timeout) != MI_SUCCESS ||
	    !mg_milter_register() || smfi_opensocket(true) != MI_SUCCESS) {
		mg_log(MG_LOG_ERR, NULL, "cannot listen on %s (%s)", daemon_state.socket,
		       path ? "does its directory exist? is another daemon using it?" :
		       "is the address local and the port free?");
		return EX_OSERR;
	}
	if (!path)
		return EX_OK;
	if (chmod(path, cfg->socket_mode) != 0) {
		mg_log(MG_LOG_ERR, NULL, "chmod %s: %s", path, g_strerror(errno));
		return EX_OSERR;
	}
	struct group *gr = *cfg->socket_group ? getgrnam(cfg->socket_group) : NULL;
	if (gr && chown(path, (uid_t)-1, gr->gr_gid) != 0) {
		mg_log(MG_LOG_ERR, NULL, "chown %s to group %s: %s", path, cfg->socket_group,
		       g_strerror(errno));
		return EX_OSERR;
	}
	return EX_OK;
}

static int background(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		mg_log(MG_LOG_ERR, NULL, "fork: %s", g_strerror(errno));
		return EX_OSERR;
	}
	if (pid > 0)
		_exit(EX_OK);
	setsid();
	if (chdir("/") != 0)
		return EX_OSERR;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return EX_OK;
}

static int write_pidfile(const char *path)
{
	char *text = g_strdup_printf("%ld\n", (long)getpid());
	GError *error = NULL;
	int rc = EX_OK;

	if (!g_file_set_contents(path, text, -1, &error)) {
		mg_log(MG_LOG_ERR, NULL, "pid file: %s", error->message);
		g_error_free(error);
		rc = EX_CANTCREAT;
	}
	g_free(text);
	return rc;
}

static int become(const char *user, const char *group)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = group && *group ? getgrnam(group) : NULL;

	if (!pw || (group && *group && !gr)) {
		mg_log(MG_LOG_ERR, NULL, "no such user or group: %s%s%s", user,
		       group ? ":" : "", group ? group : "");
		return EX_NOUSER;
	}
	gid_t gid = gr ? gr->gr_gid : pw->pw_gid;
	if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    (pw->pw_uid != 0 && setuid(0) == 0)) {
		mg_log(MG_LOG_ERR, NULL, "cannot become %s: %s", user, g_strerror(errno));
		return EX_OSERR;
	}
	return EX_OK;
}

static int drop_privileges(const char *user_spec)
{
	char *user, *group;
	int rc = EX_OK;

	split_user(user_spec, &user, &group);
	if (*user && geteuid() == 0)
		rc = become(user, group);
	else if (*user && getpwnam(user) && getpwnam(user)->pw_uid != geteuid())
		mg_log(MG_LOG_WARNING, NULL, "not started as root: running as uid %ld, not as %s",
		       (long)geteuid(), user);
	g_free(user);
	g_free(group);
	return rc;
}

/* ---- errors at start ------------------------------------------------------- */

/* An error that stops the start: logged, and on standard error as well
 * when the log is syslog (or not open yet, as with -n). */
static void start_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void start_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (daemon_state.log_open)
		mg_log(MG_LOG_ERR, NULL, "%s", msg);
	if (!daemon_state.log_open || !daemon_state.opt.foreground)
		fprintf(stderr, PROGRAM ": %s\n", msg);
	g_free(msg);
}

/* ---- the virus scanner ------------------------------------------------------ */

/* scan.c's lines and libclamav's own, into our log with the queue id of
 * the message being scanned by this thread; debug lines only with
 * G_MESSAGES_DEBUG. */
static void scan_log_hook(GLogLevelFlags level, const char *msg)
{
	mg_log_level l = level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
				  G_LOG_LEVEL_WARNING) ? MG_LOG_WARNING :
			 level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO) ? MG_LOG_INFO :
			 MG_LOG_DEBUG;

	if (l != MG_LOG_DEBUG || daemon_state.scan_debug)
		mg_log(l, mg_log_thread_qid(), "%s", msg);
}

/* The scanner the settings ask for, at start and for -n (*sc NULL for
 * scanner = none).  EX_OSERR when libclamav does not start, EX_CONFIG
 * when the scanner cannot be loaded. */
static int start_scanner(const mg_config *cfg, mg_scanner **sc)
{
	char *err = NULL;
	int rc = EX_OK;

	*sc = NULL;
	daemon_state.scan_debug = g_getenv("G_MESSAGES_DEBUG") != NULL;
	mg_scan_set_log(scan_log_hook);
	bool started = mg_scan_global_init(&err);
	if (cfg->scanner == MG_SCANNER_NONE) {
		mg_log(MG_LOG_WARNING, NULL, "scanner = none: mail is not scanned for viruses");
	} else if (!started) {
		rc = EX_OSERR;
	} else if (!(*sc = mg_scanner_load(cfg, &err))) {
		rc = EX_CONFIG;
	}
	if (rc != EX_OK)
		start_error("%s: %s%s", daemon_state.config_path,
			    err ? err : "the scanner cannot be loaded",
			    daemon_state.opt.check_only ? "" : "; not started");
	g_free(err);
	return rc;
}

/* Settings a loaded scanner is built from: a change needs a new one. */
static bool scanner_settings_changed(const mg_config *a, const mg_config *b)
{
	return a->scanner != b->scanner || strcmp(a->clamav_database, b->clamav_database) ||
	       strcmp(a->clamd_socket, b->clamd_socket) ||
	       a->clamav_max_age != b->clamav_max_age ||
	       a->scan_max_filesize != b->scan_max_filesize ||
	       a->scan_max_scansize != b->scan_max_scansize ||
	       a->scan_max_recursion != b->scan_max_recursion ||
	       a->scan_max_files != b->scan_max_files || a->scan_max_time != b->scan_max_time ||
	       a->scan_heuristics_phishing != b->scan_heuristics_phishing ||
	       a->scan_cache != b->scan_cache ||
	       strcmp(a->scan_tmpdir, b->scan_tmpdir) != 0;
}

/* A new scanner is installed: the periodic check starts afresh. */
static void scanner_renewed(time_t now)
{
	daemon_state.retry_at = 0;
	daemon_state.retry_wait = 0;
	daemon_state.stale_warn_at = now + STALE_REPEAT_S;	/* the load warned */
}

/* The log line of a new scanner in use: new settings, or new signatures. */
static void log_reloaded(const mg_config *cfg, bool settings)
{
	if (settings)
		mg_log(MG_LOG_INFO, NULL, "scanner reloaded: new settings");
	else
		mg_log(MG_LOG_INFO, NULL, "scanner reloaded: %s changed", cfg->clamav_database);
}

/* On reload: the scanner to install with cfg (*sc, NULL for none): a new
 * one when the settings it is built from changed or its signatures did,
 * else the current one.  False when new settings need a scanner that
 * cannot be loaded; new signatures that do not load keep the current one. */
static bool scanner_for(const mg_config *old, const mg_config *cfg, mg_scanner *cur,
			mg_scanner **sc)
{
	bool settings = scanner_settings_changed(old, cfg) || !cur;
	char *err = NULL;

	*sc = NULL;
	if (cfg->scanner == MG_SCANNER_NONE) {
		if (old->scanner != MG_SCANNER_NONE)
			mg_log(MG_LOG_WARNING, NULL, "reload: scanner = none: mail is no longer "
			       "scanned for viruses");
		return true;
	}
	if (!settings && !mg_scanner_db_changed(cur)) {
		*sc = mg_scanner_ref(cur);
		return true;
	}
	*sc = mg_scanner_load(cfg, &err);
	if (*sc) {
		scanner_renewed(time(NULL));
		log_reloaded(cfg, settings);
	} else if (settings)
		mg_log(MG_LOG_ERR, NULL, "reload: scanner: %s", err);
	else {
		mg_log(MG_LOG_ERR, NULL, "reload: new signatures do not load, the loaded ones "
		       "stay: %s", err);
		*sc = mg_scanner_ref(cur);
	}
	g_free(err);
	return *sc || !settings;
}

/* After a failed load: the next try waits twice as long, up to an hour. */
static unsigned retry_later(const mg_config *cfg, time_t now)
{
	unsigned wait = MAX(daemon_state.retry_wait * 2, MAX(cfg->scanner_check_interval, 1u));

	daemon_state.retry_wait = MIN(wait, (unsigned)RETRY_MAX_S);
	daemon_state.retry_at = now + daemon_state.retry_wait;
	return daemon_state.retry_wait;
}

/* clamav_database changed: a new scanner beside the current one. */
static void renew_scanner(mg_snapshot *snap, time_t now)
{
	const mg_config *cfg = mg_snapshot_config(snap);
	char *err = NULL;
	mg_scanner *sc = mg_scanner_load(cfg, &err);

	if (!sc) {
		unsigned wait = retry_later(cfg, now);
		mg_log(MG_LOG_ERR, NULL, "scanner reload failed, the loaded signatures stay "
		       "(next try in %u s): %s", wait, err);
		g_free(err);
		return;
	}
	mg_snapshot_install(mg_snapshot_ref(snap), sc);
	scanner_renewed(now);
	log_reloaded(cfg, false);
}

static void warn_if_stale(const mg_scanner *sc, time_t now)
{
	if (!mg_scanner_db_stale(sc, now) || now < daemon_state.stale_warn_at)
		return;
	daemon_state.stale_warn_at = now + STALE_REPEAT_S;
	char *what = mg_scanner_describe(sc);
	mg_log(MG_LOG_WARNING, NULL, "signatures are %lld days old: is freshclam updating "
	       "them? (%s)", (long long)((now - mg_scanner_db_time(sc)) / 86400), what);
	g_free(what);
}

/* The periodic check (scanner_check_interval).  Only for libclamav: a
 * clamd scanner's signature age is the one clamd had when it was asked,
 * and clamd reloads its signatures itself. */
static void check_signatures(void)
{
	mg_scanner *sc;
	mg_snapshot *snap = mg_snapshot_take(&sc);
	time_t now = time(NULL);

	if (snap && sc && mg_snapshot_config(snap)->scanner == MG_SCANNER_CLAMAV) {
		if (now >= daemon_state.retry_at && mg_scanner_db_changed(sc))
			renew_scanner(snap, now);
		warn_if_stale(sc, now);
	}
	mg_scanner_unref(sc);
	mg_snapshot_unref(snap);
}

/* ---- snapshots and signals ------------------------------------------------- */

/* Installs cfg with sc (taking the reference to sc, also on failure). */
static bool install_snapshot(mg_config *cfg, mg_scanner *sc)
{
	char *err = NULL;
	mg_snapshot *s = mg_snapshot_new(cfg, daemon_state.generation + 1, &err);

	if (!s) {
		mg_log(MG_LOG_ERR, NULL, "quarantine: %s", err ? err : "cannot be opened");
		g_free(err);
		mg_scanner_unref(sc);
		return false;
	}
	daemon_state.generation++;
	mg_snapshot_install(s, sc);
	mg_log_set_facility(cfg->log_facility);
	return true;
}

/* Settings read only at start: a warning when a reload changes them. */
static void note_restart_only(const mg_config *old, const mg_config *cfg)
{
	if (!daemon_state.opt.socket && strcmp(old->socket, cfg->socket) != 0)
		mg_log(MG_LOG_WARNING, NULL, "reload: socket changed: takes effect on restart");
	if (old->socket_mode != cfg->socket_mode || strcmp(old->socket_group, cfg->socket_group))
		mg_log(MG_LOG_WARNING, NULL, "reload: socket_mode/socket_group changed: takes "
		       "effect on restart");
	if (!daemon_state.opt.user && strcmp(old->user, cfg->user) != 0)
		mg_log(MG_LOG_WARNING, NULL, "reload: user changed: takes effect on restart");
	if (old->milter_timeout != cfg->milter_timeout)
		mg_log(MG_LOG_WARNING, NULL, "reload: milter_timeout changed: takes effect on "
		       "restart");
}

/* cfg (loaded) and the scanner for it become current, or nothing does. */
static void reload_with(mg_config *cfg, const mg_config *old, mg_scanner *cur)
{
	mg_scanner *sc;

	if (!scanner_for(old, cfg, cur, &sc)) {
		mg_log(MG_LOG_ERR, NULL, "reload failed, generation %u stays",
		       daemon_state.generation);
		return;
	}
	note_restart_only(old, cfg);
	if (install_snapshot(cfg, sc))
		mg_log(MG_LOG_INFO, NULL, "reloaded %s (generation %u)",
		       daemon_state.config_path, daemon_state.generation);
	else
		mg_log(MG_LOG_ERR, NULL, "reload failed, generation %u stays",
		       daemon_state.generation);
}

static void reload(void)
{
	char *err = NULL;
	mg_config *cfg = mg_config_load(daemon_state.config_path, &err);
	mg_scanner *cur;
	mg_snapshot *old = mg_snapshot_take(&cur);

	if (!cfg)
		mg_log(MG_LOG_ERR, NULL, "reload failed, generation %u stays: %s",
		       daemon_state.generation, err);
	else
		reload_with(cfg, mg_snapshot_config(old), cur);
	mg_config_unref(cfg);
	mg_scanner_unref(cur);
	mg_snapshot_unref(old);
	g_free(err);
}

/* Seconds between signature checks (0: none) by the current settings. */
static unsigned check_interval(void)
{
	mg_scanner *sc;
	mg_snapshot *snap = mg_snapshot_take(&sc);
	unsigned n = snap && sc ? mg_snapshot_config(snap)->scanner_check_interval : 0;

	mg_scanner_unref(sc);
	mg_snapshot_unref(snap);
	return n;
}

static gpointer signal_thread(gpointer data)
{
	sigset_t *set = data;

	for (;;) {
		struct timespec wait = { .tv_sec = check_interval() };
		int sig = wait.tv_sec ? sigtimedwait(set, NULL, &wait) : sigwaitinfo(set, NULL);
		if (sig == SIGUSR1)
			reload();
		else if (sig < 0 && errno == EAGAIN)
			check_signatures();
	}
	return NULL;
}

/* Before any thread exists: blocks SIGUSR1 (our signal thread waits for
 * it) and SIGHUP, SIGTERM, SIGINT (libmilter's signal thread waits for
 * those) here and so in every thread made later, so that no other thread
 * dies of them; ignores SIGPIPE.  *usr1 is the set our thread waits on. */
static void block_signals(sigset_t *usr1)
{
	sigset_t all;

	sigemptyset(usr1);
	sigaddset(usr1, SIGUSR1);
	all = *usr1;
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- main ------------------------------------------------------------------ */

/* Takes the reference to sc. */
static int start(const options *o, mg_config *cfg, mg_scanner *sc)
{
	int rc = open_socket(cfg);

	if (rc == EX_OK && !o->foreground)
		rc = background();
	if (rc == EX_OK && o->pidfile)
		rc = write_pidfile(o->pidfile);
	if (rc == EX_OK)
		rc = drop_privileges(o->user ? o->user : cfg->user);
	if (rc != EX_OK)
		mg_scanner_unref(sc);
	else if (!install_snapshot(cfg, sc))
		rc = EX_CANTCREAT;
	scanner_renewed(time(NULL));
	return rc;
}

static int run(const mg_config *cfg)
{
	mg_log(MG_LOG_INFO, NULL, "starting %s: socket %s, config %s", PACKAGE_VERSION,
	       daemon_state.socket, daemon_state.config_path);
	int rc = smfi_main() == MI_SUCCESS ? EX_OK : EX_OSERR;
	int n = mg_milter_in_flight();
	if (n > 0)
		mg_log(MG_LOG_INFO, NULL, "stopping: finishing %d message%s in flight", n,
		       n == 1 ? "" : "s");
	if (!mg_milter_wait_idle((long)cfg->max_processing_time * 1000 + STOP_GRACE_MS))
		mg_log(MG_LOG_WARNING, NULL, "stopping with %d message(s) unfinished",
		       mg_milter_in_flight());
	mg_log(MG_LOG_INFO, NULL, "stopped");
	return rc;
}

/* -n: the settings (checked by load_config) and the scanner they name. */
static int check_only(const mg_config *cfg)
{
	mg_scanner *sc;
	int rc = start_scanner(cfg, &sc);

	mg_scanner_unref(sc);
	return rc;
}

static int daemon_main(const options *o, mg_config *cfg, sigset_t *set)
{
	mg_scanner *sc;

	mg_log_open(PROGRAM, cfg->log_facility, o->foreground);
	daemon_state.log_open = true;
	int rc = start_scanner(cfg, &sc);
	if (rc != EX_OK)
		return rc;
	mg_engine_init();
	rc = start(o, cfg, sc);
	if (rc == EX_OK) {
		g_thread_unref(g_thread_new("mugaika-signals", signal_thread, set));
		mg_recorder_start();
		rc = run(cfg);
		mg_recorder_stop();
	}
	if (o->pidfile)
		unlink(o->pidfile);
	mg_snapshot_install(NULL, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	options *o = &daemon_state.opt;
	sigset_t set;
	int rc = parse_options(argc, argv, o);

	if (rc != EX_OK)
		return rc;
	block_signals(&set);
	mg_config *cfg = load_config(o, &rc);
	if (cfg)
		rc = o->check_only ? check_only(cfg) : daemon_main(o, cfg, &set);
	mg_log_close();
	mg_config_unref(cfg);
	g_free(daemon_state.config_path);
	g_free(daemon_state.socket);
	return rc;
}
