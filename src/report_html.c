/*
 * report_html.c - mugaika report as one self-contained HTML page (see
 * report.h).  Placeholder until the renderer lands.
 */
#include "report.h"

char *mg_report_html(const mg_report *r, mg_report_lang lang)
{
	(void)r;
	(void)lang;
	return g_strdup("<!DOCTYPE html>\n<html><body></body></html>\n");
}
