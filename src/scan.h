/*
 * scan.h - virus scanning: libclamav in-process (or clamd over a socket).
 *
 * An mg_scanner is an immutable, reference-counted engine: loaded and
 * compiled once from clamav_database (cl_init, cl_engine_new, cl_load,
 * cl_engine_compile) with the engine limits set from the settings, shared
 * by every thread, swapped for a new one on reload while messages in flight
 * keep the one they started with.  Scanning is from memory
 * (cl_fmap_open_memory + cl_scanmap_callback) with all parsers on and the
 * heuristics a gateway wants (encrypted archives and documents, macros,
 * broken executables; phishing off unless asked); libclamav's temporary
 * files go to scan_tmpdir, and a scan that could not write them fails.
 *
 * Two outcomes, not one: a signature detection is MG_SCAN_VIRUS; a
 * "Heuristics.*" detection (which libclamav also reports as CL_VIRUS) is
 * MG_SCAN_SUSPICIOUS.  Functions are thread-safe.
 */
#ifndef MG_SCAN_H
#define MG_SCAN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"

typedef struct mg_scanner mg_scanner;

typedef enum {
	MG_SCAN_CLEAN = 0,
	MG_SCAN_VIRUS,        /* a signature detection */
	MG_SCAN_SUSPICIOUS,   /* a Heuristics.* detection */
	MG_SCAN_ERROR         /* the scan could not be done: the caller tempfails */
} mg_scan_result;

/* Loads the engine configured by cfg (scanner = clamav: libclamav from
 * clamav_database; clamd: a client for clamd_socket).  NULL with *err
 * (caller frees) naming the setting to fix when it cannot be loaded.  With
 * scanner = none returns NULL and sets *err to NULL. */
mg_scanner *mg_scanner_load(const mg_config *cfg, char **err);

mg_scanner *mg_scanner_ref(mg_scanner *s);
void mg_scanner_unref(mg_scanner *s);

/* Scans len bytes; *name (caller frees) gets the detection name for VIRUS
 * and SUSPICIOUS, the error text for ERROR.  name_hint (may be NULL) is the
 * part's file name, for the log only. */
mg_scan_result mg_scanner_scan(mg_scanner *s, const void *data, size_t len,
			       const char *name_hint, char **name);

/* Signature database version and build time (0 when unknown), for the log
 * and the status output. */
unsigned mg_scanner_db_version(const mg_scanner *s);
time_t mg_scanner_db_time(const mg_scanner *s);

/* True when clamav_database changed on disk since s was loaded
 * (cl_statchkdir); the daemon checks it periodically and reloads. */
bool mg_scanner_db_changed(mg_scanner *s);

/* ---- additions to the contract ------------------------------------------ */

/* cl_init() and libclamav's message routing, once per process: call it
 * before starting threads.  mg_scanner_load() calls it too (idempotent,
 * g_once).  False with *err (caller frees) when libclamav cannot start. */
bool mg_scan_global_init(char **err);

/* Where this module's log lines go, libclamav's own messages included
 * (prefixed "libclamav: ", with the part's display-safe name when known):
 * level is G_LOG_LEVEL_WARNING, _INFO or _DEBUG.  Without a hook (or with
 * NULL), warnings are written to standard error and the rest only when
 * G_MESSAGES_DEBUG is set, also to standard error: never to standard
 * output.  Set it before loading; the hook must be thread-safe. */
typedef void (*mg_scan_log_fn)(GLogLevelFlags level, const char *msg);
void mg_scan_set_log(mg_scan_log_fn fn);

/* Whether engines loaded from now on keep libclamav's cache of clean
 * files (by MD5 and size): on unless turned off.  A benchmark that scans
 * the same messages again and again turns it off, or it measures cache
 * hits instead of scans. */
void mg_scan_set_cache(bool on);

/* SUSPICIOUS for a "Heuristics.*" name, VIRUS for any other. */
mg_scan_result mg_scan_classify_name(const char *name);

/* True for a SUSPICIOUS name that means a scan limit was hit
 * ("Heuristics.Limits.Exceeded.*": MaxFileSize, MaxScanSize, MaxRecursion,
 * MaxFiles, MaxScanTime; StreamMaxLength from clamd), so the engine can
 * report "limit exceeded" rather than "suspicious". */
bool mg_scan_is_limit(const char *name);

/* True when the signatures are older than clamav_max_age at time now;
 * false when their age is unknown (db time 0). */
bool mg_scanner_db_stale(const mg_scanner *s, time_t now);

/* One line for the log and status output, e.g. "clamav /var/lib/clamav:
 * 8700000 signatures, version 27500 of 2025-01-05 08:10 UTC"; caller
 * frees.  "none" for NULL. */
char *mg_scanner_describe(const mg_scanner *s);

/* The process's current scanner, for the daemon: set_current installs s
 * (taking the caller's reference; NULL clears) and drops the reference to
 * the previous one, which stays alive until messages in flight unref it.
 * current returns a new reference, or NULL when none is installed. */
void mg_scanner_set_current(mg_scanner *s);
mg_scanner *mg_scanner_current(void);

#endif
