/*
 * html_data.h - mg_reports made by hand for the HTML renderer's tests
 * (tests/unit/test_report_html.c, tests/report/html_fixture.c): every
 * section filled with Japanese text and with strings an attacker chooses
 * (markup, quotes, bidi and control characters, invalid UTF-8), numbers
 * from a fixed sequence, no URL anywhere.
 */
#ifndef MG_TEST_HTML_DATA_H
#define MG_TEST_HTML_DATA_H

#include <stdbool.h>

#include "report.h"

/* Strings the fixture puts in the report and the tests look for. */
#define HD_SCRIPT "<script>alert(1)</script>"
#define HD_QUOTES "\"'&"
#define HD_RLO "\xE2\x80\xAE"             /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define HD_BAD_UTF8 "\xFF\xFE"
#define HD_OPERATOR "<img src=x onerror=alert(2)>"

typedef struct {
	unsigned days;          /* days in the period, from 2026-03-01 (0: none) */
	bool zeros;             /* every count zero, every list empty */
	bool incident;          /* a look-up: only hits (other lists NULL) */
	bool no_traffic;        /* the index predates the traffic records */
} html_data;

/* A new report (mg_report_free). */
mg_report *html_data_report(const html_data *d);

#endif
