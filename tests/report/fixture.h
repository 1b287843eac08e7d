/*
 * fixture.h - the quarantine that tests/unit/test_report.c and
 * tests/report/run.sh (through fill_db) report on: known kept originals
 * (Japanese subjects and file names, a virus, a heuristic detection,
 * password ZIPs, an executable named .pdf, a limit hit, a verdict that is
 * not JSON), releases at known times by known operators, and traffic
 * records with known outcomes, times, senders, recipients and signature
 * build times.  fixture.c lists every item and the numbers the report
 * must give for 2026-03-01 .. 2026-03-07 in Asia/Tokyo.
 */
#ifndef MG_TEST_REPORT_FIXTURE_H
#define MG_TEST_REPORT_FIXTURE_H

#include <stdbool.h>

#include "conf.h"

/* The removed parts' hashes. */
#define FIX_SHA_EXE "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define FIX_SHA_VIRUS_ZIP "1111111111111111111111111111111111111111111111111111111111111111"

#define FIX_ID_VIRUS "20260302T010000Z-VIRUSAAA"
#define FIX_ID_SUSPICIOUS "20260303T030000Z-SUSPAAAA"
#define FIX_ID_MISMATCH "20260301T150000Z-KEPTAAAA"
#define FIX_ID_LIMIT "20260304T000000Z-LIMITAAA"
#define FIX_ID_SMIME "20260305T060000Z-SMIMEAAA"
#define FIX_ID_BADJSON "20260305T000000Z-BADJSONA"
#define FIX_ID_OTHER "20260306T000000Z-OTHERAAA"
#define FIX_ID_PWZIP "20260306T010000Z-PWZIPAAA"
#define FIX_ID_EARLY "20260228T145959Z-EARLYAAA"

/* Fills the quarantine of cfg (created when absent; the audit rows of
 * the releases are announced to cfg->audit_syslog_socket, which this
 * binds for the while when nothing is there).  With no_traffic, the
 * index is then made schema version 2 (no traffic table).  False with
 * *err (caller frees). */
bool report_fixture_fill(const mg_config *cfg, bool no_traffic, char **err);

#endif
