/*
 * scan.c - virus scanning: libclamav in-process, or clamd through clamd.c
 * (see scan.h).
 *
 * SYNOPSIS
 *	bool mg_scan_global_init(char **err);
 *	void mg_scan_set_log(mg_scan_log_fn fn);
 *	void mg_scan_set_cache(bool on);
 *	mg_scanner *mg_scanner_load(const mg_config *cfg, char **err);
 *	mg_scanner *mg_scanner_ref(mg_scanner *s);
 *	void mg_scanner_unref(mg_scanner *s);
 *	mg_scan_result mg_scanner_scan(mg_scanner *s, const void *data,
 *				       size_t len, const char *name_hint,
 *				       char **name);
 *	unsigned mg_scanner_db_version(const mg_scanner *s);
 *	time_t mg_scanner_db_time(const mg_scanner *s);
 *	bool mg_scanner_db_changed(mg_scanner *s);
 *	bool mg_scanner_db_stale(const mg_scanner *s, time_t now);
 *	char *mg_scanner_describe(const mg_scanner *s);
 *	mg_scan_result mg_scan_classify_name(const char *name);
 *	bool mg_scan_is_limit(const char *name);
 *	void mg_scanner_set_current(mg_scanner *s);
 *	mg_scanner *mg_scanner_current(void);
 *
 * DESCRIPTION
 *	Loading (scanner = clamav): cl_init once per process; the state of
 *	clamav_database is recorded (cl_statinidir) before cl_load, so a
 *	change made while loading is seen by the next mg_scanner_db_changed;
 *	the engine limits come from the scan_max_* settings, and
 *	cl_engine_compile makes the engine read-only.  Official signatures
 *	(.cvd/.cld) and unsigned files (.hdb, .ndb, ...) load alike; signed
 *	bytecode is allowed, the phishing URL lists only with
 *	scan_heuristics_phishing = yes.  An empty directory, one without
 *	signatures or one that does not load is an error naming
 *	clamav_database.  libclamav's temporary files go to scan_tmpdir
 *	(CL_ENGINE_TMPDIR), which must be a directory the process can write
 *	(checked at load, an error naming scan_tmpdir): every scan makes and
 *	removes a directory there even when it unpacks nothing, which costs
 *	some 20 us on a tmpfs and 100-500 us on a disk file system.  The
 *	version and build time of the signatures are read from the engine
 *	(0 for a directory of unsigned files only: the log says their age is
 *	unknown); signatures older than clamav_max_age are logged as a
 *	warning.
 *
 *	libclamav's cache of clean files (by MD5 and size) stays on unless
 *	scan_cache = no or mg_scan_set_cache(false) was called before
 *	loading: benchmarks that replay the same messages turn it off, or
 *	they measure cache hits.
 *
 *	Scanning: the bytes are mapped (cl_fmap_open_memory, no copy) and
 *	scanned with every parser on and the heuristics for encrypted
 *	archives and documents, macros, broken executables, partition
 *	tables and exceeded limits (phishing only when asked).  All-match
 *	mode is off: the first signature found ends the scan, and libclamav
 *	holds heuristic alerts back until the end, so a signature anywhere
 *	in a part wins over a heuristic (a virus beside an encrypted member
 *	of a zip is a virus).  The part's name is never given to libclamav
 *	(it would use it in temporary file names); it only labels log lines.
 *	The detection name is taken from the virus-found callback too,
 *	because libclamav 1.4 returns no name for a limit hit at the top
 *	level otherwise.
 *
 *	Reload: the daemon loads a new scanner beside the current one and
 *	installs it (mg_scanner_set_current); each message holds a reference
 *	to the scanner it started with, and the old engine is freed with the
 *	last reference.  A load that fails leaves the current one in place.
 *
 * DIAGNOSTICS
 *	Load errors are returned (*err) and start with the setting to fix.
 *	A scan during which libclamav could not write a temporary file (its
 *	error message says so; 1.4 carries on without that content and may
 *	even return CL_CLEAN) is MG_SCAN_ERROR naming scan_tmpdir, unless a
 *	signature was found: fail closed, not open.
 *	Log lines (load, age, libclamav's own messages) go to the hook of
 *	mg_scan_set_log(), else to standard error (see scan.h).  A scan
 *	that fails returns MG_SCAN_ERROR with the reason in *name.
 *
 * MEMORY
 *	GLib allocation: running out of memory aborts.  libclamav's own
 *	allocation failures come back as scan or load errors.
 */
#include "scan.h"

#include <clamav.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clamd.h"
#include "names.h"

#define HEURISTICS_PREFIX "Heuristics."
#define LIMIT_PREFIX "Heuristics.Limits.Exceeded"
#define FILESIZE_MAX 2147483647LL	/* libclamav scans no more (2G - 1) */
#define SECONDS_PER_DAY 86400

struct mg_scanner {
	int refcount;
	int kind;			/* MG_SCANNER_CLAMAV or MG_SCANNER_CLAMD */
	char *source;			/* database directory or clamd socket */
	unsigned db_version;		/* 0 when unknown */
	time_t db_time;			/* 0 when unknown */
	unsigned signatures;
	unsigned max_age_days;		/* clamav_max_age */
	char *tmpdir;			/* scan_tmpdir (clamav) */

	/* clamav: read-only once compiled */
	struct cl_engine *engine;
	struct cl_scan_options options;
	GMutex stat_lock;		/* guards dbstat */
	struct cl_stat dbstat;		/* the directory before loading */
	bool have_stat;

	/* clamd */
	mg_clamd *clamd;
	char *clamd_version;		/* its VERSION reply, or NULL */
};

/* Per scan: handed to libclamav's callbacks as their context. */
typedef struct {
	const char *hint;		/* the part's name as given, or NULL */
	char *found;			/* last name given to virus_found */
	bool tmp_failed;		/* libclamav could not write a temporary file */
} scan_ctx;

static mg_scan_log_fn log_hook;
static _Thread_local scan_ctx *scanning;	/* this thread's scan, if any */
static gint cache_off;			/* mg_scan_set_cache(false) */
static GMutex current_lock;
static mg_scanner *current;

/* ---- logging ------------------------------------------------------------ */

void
mg_scan_set_log(mg_scan_log_fn fn)
{
	g_atomic_pointer_set(&log_hook, fn);
}

static void
scan_log(GLogLevelFlags level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
scan_log(GLogLevelFlags level, const char *fmt, ...)
{
	mg_scan_log_fn hook = g_atomic_pointer_get(&log_hook);
	va_list ap;

	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (hook)
		hook(level, msg);
	else if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		g_printerr("mugaika: %s\n", msg);
	else if (g_getenv("G_MESSAGES_DEBUG"))
		g_printerr("mugaika: (%s) %s\n",
			   level & G_LOG_LEVEL_INFO ? "info" : "debug", msg);
	g_free(msg);
}

/* An error about writing libclamav's temporary files: the scan goes on
 * without what it could not write (libclamav 1.4 even returns CL_CLEAN
 * when the scan's own directory cannot be made), so it is incomplete.
 * Failing to remove them afterwards is not. */
static bool
tmp_trouble(const char *text)
{
	static const char *const signs[] = { "temporary", "temp file", "write error",
					     "can't write", "can't create" };
	char *low = g_ascii_strdown(text, -1);
	bool found = false;

	for (size_t i = 0; i < G_N_ELEMENTS(signs) && !found; i++)
		found = strstr(low, signs[i]) != NULL;
	if (strstr(low, "remov") || strstr(low, "unlink"))
		found = false;
	g_free(low);
	return found;
}

/* libclamav's messages: its errors are about the data scanned (or a
 * load that is also reported by its return code), so they are warnings
 * here; its warnings are mostly malformed input, so information.  During
 * a scan, context is that scan's scan_ctx, except for what libclamav says
 * before it has set the scan up (NULL): the thread's scan then. */
static void
clamav_message(enum cl_msg severity, const char *fullmsg, const char *msg,
	       void *context)
{
	scan_ctx *ctx = context ? context : scanning;
	GLogLevelFlags level = severity >= CL_MSG_ERROR ? G_LOG_LEVEL_WARNING :
			       severity >= CL_MSG_WARN ? G_LOG_LEVEL_INFO :
			       G_LOG_LEVEL_DEBUG;
	char *text = g_strstrip(g_strdup(msg ? msg : fullmsg ? fullmsg : ""));

	if (ctx && severity >= CL_MSG_ERROR && tmp_trouble(text))
		ctx->tmp_failed = true;
	if (ctx && ctx->hint) {
		char *shown = mg_name_display(ctx->hint, MG_NAME_MAX_CHARS);
		scan_log(level, "libclamav: %s (part '%s')", text, shown);
		g_free(shown);
	} else
		scan_log(level, "libclamav: %s", text);
	g_free(text);
}

void
mg_scan_set_cache(bool on)
{
	g_atomic_int_set(&cache_off, !on);
}

/* ---- once per process --------------------------------------------------- */

bool
mg_scan_global_init(char **err)
{
	static gsize done;
	static char *init_error;	/* kept for later callers */

	if (g_once_init_enter(&done)) {
		cl_set_clcb_msg(clamav_message);
		cl_error_t rc = cl_init(CL_INIT_DEFAULT);
		if (rc != CL_SUCCESS)
			init_error = g_strdup_printf("scanner: libclamav does not "
						     "start (cl_init: %s)",
						     cl_strerror(rc));
		g_once_init_leave(&done, 1);
	}
	if (err)
		*err = init_error ? g_strdup(init_error) : NULL;
	return init_error == NULL;
}

/* ---- names -------------------------------------------------------------- */

mg_scan_result
mg_scan_classify_name(const char *name)
{
	return name && g_str_has_prefix(name, HEURISTICS_PREFIX) ?
	       MG_SCAN_SUSPICIOUS : MG_SCAN_VIRUS;
}

bool
mg_scan_is_limit(const char *name)
{
	return name && g_str_has_prefix(name, LIMIT_PREFIX);
}

/* ---- scanner objects ---------------------------------------------------- */

static mg_scanner *
scanner_new(int kind, const char *source, const mg_config *cfg)
{
	mg_scanner *s = g_new0(mg_scanner, 1);

	s->refcount = 1;
	s->kind = kind;
	s->source = g_strdup(source);
	s->max_age_days = cfg->clamav_max_age;
	s->tmpdir = g_strdup(cfg->scan_tmpdir);
	g_mutex_init(&s->stat_lock);
	return s;
}

static void
scanner_free(mg_scanner *s)
{
	if (s->engine)
		cl_engine_free(s->engine);
	if (s->have_stat)
		cl_statfree(&s->dbstat);
	g_mutex_clear(&s->stat_lock);
	mg_clamd_free(s->clamd);
	g_free(s->clamd_version);
	g_free(s->source);
	g_free(s->tmpdir);
	g_free(s);
}

mg_scanner *
mg_scanner_ref(mg_scanner *s)
{
	if (s)
		g_atomic_int_inc(&s->refcount);
	return s;
}

void
mg_scanner_unref(mg_scanner *s)
{
	if (s && g_atomic_int_dec_and_test(&s->refcount))
		scanner_free(s);
}

unsigned
mg_scanner_db_version(const mg_scanner *s)
{
	return s ? s->db_version : 0;
}

time_t
mg_scanner_db_time(const mg_scanner *s)
{
	return s ? s->db_time : 0;
}

bool
mg_scanner_db_stale(const mg_scanner *s, time_t now)
{
	return s && s->db_time > 0 &&
	       now - s->db_time > (time_t)s->max_age_days * SECONDS_PER_DAY;
}

/* "version 27500 of 2025-01-05 08:10 UTC", or that it is unknown. */
static char *
describe_version(const mg_scanner *s)
{
	if (!s->db_time && !s->db_version)
		return g_strdup("no version (unsigned signatures only: age unknown)");
	GDateTime *t = g_date_time_new_from_unix_utc((gint64)s->db_time);
	char *when = t ? g_date_time_format(t, "%Y-%m-%d %H:%M UTC") : NULL;
	char *text = g_strdup_printf("version %u of %s", s->db_version,
				     when ? when : "an unknown time");
	g_free(when);
	if (t)
		g_date_time_unref(t);
	return text;
}

char *
mg_scanner_describe(const mg_scanner *s)
{
	if (!s)
		return g_strdup("none");
	if (s->kind == MG_SCANNER_CLAMD)
		return g_strdup_printf("clamd %s: %s", s->source,
				       s->clamd_version ? s->clamd_version :
				       "not answering at load");
	char *version = describe_version(s);
	char *text = g_strdup_printf("clamav %s: %u signatures, %s", s->source,
				     s->signatures, version);
	g_free(version);
	return text;
}

/* Logs what was loaded, and warns when the signatures are old. */
static void
log_loaded(const mg_scanner *s, gint64 usec)
{
	char *what = mg_scanner_describe(s);
	time_t now = time(NULL);

	if (s->kind == MG_SCANNER_CLAMAV)
		scan_log(G_LOG_LEVEL_INFO, "scanner loaded in %lld ms: %s",
			 (long long)(usec / 1000), what);
	else
		scan_log(G_LOG_LEVEL_INFO, "scanner: %s", what);
	if (mg_scanner_db_stale(s, now))
		scan_log(G_LOG_LEVEL_WARNING, "signatures in %s are %lld days old "
			 "(clamav_max_age = %u): is freshclam updating them?",
			 s->source, (long long)((now - s->db_time) / SECONDS_PER_DAY),
			 s->max_age_days);
	g_free(what);
}

/* ---- libclamav ---------------------------------------------------------- */

static void
clamav_found(int fd, const char *virname, void *context)
{
	scan_ctx *ctx = context;

	(void)fd;
	if (ctx && virname) {
		g_free(ctx->found);
		ctx->found = g_strdup(virname);
	}
}

static long long
clamp_size(size_t n)
{
	return n > (size_t)FILESIZE_MAX ? FILESIZE_MAX : (long long)n;
}

/* The engine limits from the settings; false with *err on failure. */
static bool
set_limits(struct cl_engine *e, const mg_config *cfg, char **err)
{
	const struct {
		enum cl_engine_field field;
		long long value;
		const char *setting;
	} limits[] = {
		{ CL_ENGINE_MAX_FILESIZE, clamp_size(cfg->scan_max_filesize), "scan_max_filesize" },
		{ CL_ENGINE_MAX_SCANSIZE, clamp_size(cfg->scan_max_scansize), "scan_max_scansize" },
		{ CL_ENGINE_MAX_RECURSION, cfg->scan_max_recursion, "scan_max_recursion" },
		{ CL_ENGINE_MAX_FILES, cfg->scan_max_files, "scan_max_files" },
		{ CL_ENGINE_MAX_SCANTIME, (long long)cfg->scan_max_time * 1000, "scan_max_time" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
		cl_error_t rc = cl_engine_set_num(e, limits[i].field, limits[i].value);
		if (rc != CL_SUCCESS) {
			*err = g_strdup_printf("%s: libclamav refuses %lld: %s",
					       limits[i].setting, limits[i].value,
					       cl_strerror(rc));
			return false;
		}
	}
	return true;
}

static struct cl_scan_options
scan_options(const mg_config *cfg)
{
	struct cl_scan_options o = { 0 };

	o.general = CL_SCAN_GENERAL_HEURISTICS;
	o.parse = ~0u;
	o.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
		      CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
		      CL_SCAN_HEURISTIC_MACROS |
		      CL_SCAN_HEURISTIC_BROKEN |
		      CL_SCAN_HEURISTIC_PARTITION_INTXN |
		      CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	if (cfg->scan_heuristics_phishing)
		o.heuristic |= CL_SCAN_HEURISTIC_PHISHING_SSL_MISMATCH |
			       CL_SCAN_HEURISTIC_PHISHING_CLOAK;
	return o;
}

/* The directory must exist: a clearer message than cl_load's. */
static bool
check_database_dir(const char *dir, char **err)
{
	struct stat st;
	const char *why;

	if (stat(dir, &st) != 0)
		why = g_strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else
		return true;
	*err = g_strdup_printf("clamav_database: %s: %s (install the ClamAV "
			       "signatures there, e.g. with freshclam, point "
			       "clamav_database at them, or set scanner = none)",
			       dir, why);
	return false;
}

/* Every scan makes a directory in scan_tmpdir: it must be writable. */
static bool
check_tmpdir(const char *dir, char **err)
{
	struct stat st;
	const char *why;

	if (!dir || !*dir)
		why = "not set";
	else if (stat(dir, &st) != 0)
		why = g_strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (access(dir, W_OK | X_OK) != 0)
		why = g_strerror(errno);
	else
		return true;
	*err = g_strdup_printf("scan_tmpdir: %s: %s (libclamav writes what it "
			       "unpacks there: point scan_tmpdir at a writable "
			       "directory, best on a tmpfs)", dir ? dir : "", why);
	return false;
}

static bool
clamav_load_engine(mg_scanner *s, const mg_config *cfg, char **err)
{
	unsigned dbopts = CL_DB_PHISHING | CL_DB_BYTECODE |
			  (cfg->scan_heuristics_phishing ? CL_DB_PHISHING_URLS : 0);
	cl_error_t rc;
	int gerr = 0;

	s->engine = cl_engine_new();
	if (!s->engine) {
		*err = g_strdup("scanner: libclamav cannot create an engine");
		return false;
	}
	if (!set_limits(s->engine, cfg, err))
		return false;
	rc = cl_engine_set_str(s->engine, CL_ENGINE_TMPDIR, s->tmpdir);
	if (rc == CL_SUCCESS && (!cfg->scan_cache || g_atomic_int_get(&cache_off)))
		rc = cl_engine_set_num(s->engine, CL_ENGINE_DISABLE_CACHE, 1);
	if (rc != CL_SUCCESS) {
		*err = g_strdup_printf("scan_tmpdir: libclamav refuses %s: %s",
				       s->tmpdir, cl_strerror(rc));
		return false;
	}
	cl_engine_set_clcb_virus_found(s->engine, clamav_found);
	rc = cl_load(s->source, s->engine, &s->signatures, dbopts);
	bool empty = rc == CL_SUCCESS && s->signatures == 0;
	if (rc == CL_SUCCESS && !empty)
		rc = cl_engine_compile(s->engine);
	if (rc != CL_SUCCESS || empty) {
		*err = g_strdup_printf("clamav_database: no signatures loaded from %s "
				       "(%s): point clamav_database at a directory "
				       "of ClamAV signatures, or set scanner = none",
				       s->source, empty ? "no signatures in it" :
				       cl_strerror(rc));
		return false;
	}
	s->db_version = (unsigned)cl_engine_get_num(s->engine, CL_ENGINE_DB_VERSION, &gerr);
	s->db_time = (time_t)cl_engine_get_num(s->engine, CL_ENGINE_DB_TIME, &gerr);
	s->options = scan_options(cfg);
	return true;
}

static mg_scanner *
clamav_load(const mg_config *cfg, char **err)
{
	const char *dir = cfg->clamav_database;
	gint64 start = g_get_monotonic_time();

	if (!mg_scan_global_init(err) || !check_database_dir(dir, err) ||
	    !check_tmpdir(cfg->scan_tmpdir, err))
		return NULL;
	mg_scanner *s = scanner_new(MG_SCANNER_CLAMAV, dir, cfg);
	s->have_stat = cl_statinidir(dir, &s->dbstat) == CL_SUCCESS;
	if (!clamav_load_engine(s, cfg, err)) {
		scanner_free(s);
		return NULL;
	}
	log_loaded(s, g_get_monotonic_time() - start);
	return s;
}

/* True for the errors of temporary files and directories. */
static bool
tmp_error(cl_error_t rc)
{
	return rc == CL_ETMPDIR || rc == CL_ETMPFILE || rc == CL_ECREAT ||
	       rc == CL_EWRITE || rc == CL_EUNLINK;
}

static mg_scan_result
clamav_result(const mg_scanner *s, cl_error_t rc, const char *virname,
	      scan_ctx *ctx, char **name)
{
	if (rc == CL_CLEAN)
		return MG_SCAN_CLEAN;
	if (rc != CL_VIRUS) {
		*name = tmp_error(rc) ?
			g_strdup_printf("libclamav: %s (scan_tmpdir %s)",
					cl_strerror(rc), s->tmpdir) :
			g_strdup_printf("libclamav: %s", cl_strerror(rc));
		return MG_SCAN_ERROR;
	}
	if (virname)
		*name = g_strdup(virname);
	else if (ctx->found)
		*name = g_strdup(ctx->found);
	else	/* a detection without a name: the safe side */
		*name = g_strdup("unnamed detection");
	return mg_scan_classify_name(*name);
}

static mg_scan_result
clamav_scan(mg_scanner *s, const void *data, size_t len, const char *name_hint,
	    char **name)
{
	if (len == 0)
		return MG_SCAN_CLEAN;	/* nothing to map, nothing to find */
	cl_fmap_t *map = cl_fmap_open_memory(data, len);
	if (!map) {
		*name = g_strdup("libclamav: cannot map the data");
		return MG_SCAN_ERROR;
	}
	scan_ctx ctx = { name_hint, NULL, false };
	struct cl_scan_options opts = s->options;
	const char *virname = NULL;
	unsigned long scanned = 0;
	scanning = &ctx;
	cl_error_t rc = cl_scanmap_callback(map, NULL, &virname, &scanned,
					    s->engine, &opts, &ctx);
	scanning = NULL;
	mg_scan_result result = clamav_result(s, rc, virname, &ctx, name);
	if (ctx.tmp_failed && result != MG_SCAN_VIRUS && result != MG_SCAN_ERROR) {
		g_free(*name);
		*name = g_strdup_printf("libclamav could not write its temporary files "
					"(scan_tmpdir %s): the scan is incomplete", s->tmpdir);
		result = MG_SCAN_ERROR;
	}

	cl_fmap_close(map);
	g_free(ctx.found);
	return result;
}

/* ---- clamd -------------------------------------------------------------- */

static mg_scanner *
clamd_load(const mg_config *cfg, char **err)
{
	mg_clamd *c = mg_clamd_new(cfg->clamd_socket, cfg->scan_max_time, err);
	char *why = NULL;

	if (!c)
		return NULL;
	mg_scanner *s = scanner_new(MG_SCANNER_CLAMD, cfg->clamd_socket, cfg);
	s->clamd = c;
	if (!mg_clamd_version(c, &s->clamd_version, &s->db_version, &s->db_time, &why)) {
		scan_log(G_LOG_LEVEL_WARNING, "clamd_socket: %s: messages get a "
			 "temporary failure until clamd answers", why);
		g_free(why);
	}
	log_loaded(s, 0);
	return s;
}

/* ---- the contract ------------------------------------------------------- */

mg_scanner *
mg_scanner_load(const mg_config *cfg, char **err)
{
	char *dummy = NULL;

	if (!err)
		err = &dummy;
	*err = NULL;
	mg_scanner *s = cfg->scanner == MG_SCANNER_CLAMAV ? clamav_load(cfg, err) :
			cfg->scanner == MG_SCANNER_CLAMD ? clamd_load(cfg, err) : NULL;
	g_free(dummy);
	return s;
}

mg_scan_result
mg_scanner_scan(mg_scanner *s, const void *data, size_t len,
		const char *name_hint, char **name)
{
	*name = NULL;
	if (!s) {
		*name = g_strdup("scanner not loaded");
		return MG_SCAN_ERROR;
	}
	if (s->kind == MG_SCANNER_CLAMD)
		return mg_clamd_scan(s->clamd, data, len, name);
	return clamav_scan(s, data, len, name_hint, name);
}

bool
mg_scanner_db_changed(mg_scanner *s)
{
	int rc;

	if (!s || s->kind != MG_SCANNER_CLAMAV || !s->have_stat)
		return false;
	g_mutex_lock(&s->stat_lock);
	rc = cl_statchkdir(&s->dbstat);
	g_mutex_unlock(&s->stat_lock);
	if (rc != 0 && rc != 1)
		scan_log(G_LOG_LEVEL_DEBUG, "clamav_database: %s: cannot check "
			 "for changes (%s)", s->source, cl_strerror(rc));
	return rc == 1;
}

/* ---- the current scanner ------------------------------------------------ */

void
mg_scanner_set_current(mg_scanner *s)
{
	g_mutex_lock(&current_lock);
	mg_scanner *old = current;
	current = s;
	g_mutex_unlock(&current_lock);
	mg_scanner_unref(old);		/* outside the lock: freeing takes time */
}

mg_scanner *
mg_scanner_current(void)
{
	g_mutex_lock(&current_lock);
	mg_scanner *s = mg_scanner_ref(current);
	g_mutex_unlock(&current_lock);
	return s;
}
