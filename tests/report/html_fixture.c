/*
 * html_fixture.c - writes the HTML report of a report made by hand
 * (html_data.c) for tests/report/html.sh to show in a browser.
 *
 * SYNOPSIS
 *	html_fixture OUT.html [--en] [--days N] [--zeros] [--incident]
 *		[--no-traffic]
 *
 * DESCRIPTION
 *	Builds the report (31 days by default), renders it with
 *	mg_report_html in Japanese (English with --en) and writes it to
 *	OUT.html.  Exit 0 when written, 1 on a write error, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_data.h"

static int usage(void)
{
	fputs("usage: html_fixture OUT.html [--en] [--days N] [--zeros] [--incident] "
	      "[--no-traffic]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	html_data d = { .days = 31 };
	mg_report_lang lang = MG_REPORT_JA;
	GError *error = NULL;

	if (argc < 2)
		return usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--en") == 0)
			lang = MG_REPORT_EN;
		else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
			d.days = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--zeros") == 0)
			d.zeros = true;
		else if (strcmp(argv[i], "--incident") == 0)
			d.incident = true;
		else if (strcmp(argv[i], "--no-traffic") == 0)
			d.no_traffic = true;
		else
			return usage();
	}
	mg_report *r = html_data_report(&d);
	char *html = mg_report_html(r, lang);
	bool ok = g_file_set_contents(argv[1], html, -1, &error);
	if (!ok) {
		fprintf(stderr, "html_fixture: %s\n", error->message);
		g_error_free(error);
	}
	g_free(html);
	mg_report_free(r);
	return ok ? 0 : 1;
}
