/*
 * fill_db.c - fills the quarantine of a settings file with the report
 * tests' known messages (fixture.h), for tests/report/run.sh.
 *
 * SYNOPSIS
 *	fill_db CONFIG [--no-traffic]
 *
 * DESCRIPTION
 *	Creates the spool and index that CONFIG names and fills them
 *	(report_fixture_fill).  --no-traffic leaves an index of schema
 *	version 2 (no traffic records), as an older mugaika wrote it.
 *
 * EXIT STATUS
 *	0 done, 1 failed (the reason on standard error), 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "fixture.h"

int main(int argc, char **argv)
{
	char *err = NULL;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--no-traffic") != 0)) {
		fputs("usage: fill_db CONFIG [--no-traffic]\n", stderr);
		return 2;
	}
	mg_config *cfg = mg_config_load(argv[1], &err);
	bool ok = cfg && report_fixture_fill(cfg, argc == 3, &err);
	if (!ok)
		fprintf(stderr, "fill_db: %s\n", err ? err : "?");
	g_free(err);
	if (cfg)
		mg_config_unref(cfg);
	return ok ? 0 : 1;
}
