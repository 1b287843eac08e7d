/*
 * kept_read.c - test helper of tests/integration/run.sh: writes the original
 * kept under an ID, byte for byte, to standard output.
 *
 * SYNOPSIS
 *	kept_read CONFIG ID
 *
 * DESCRIPTION
 *	Opens the quarantine of the settings file CONFIG read-only and writes
 *	what mg_store_read() returns for ID (see src/quarantine.h): the message
 *	as the MTA handed it to the milter.  A test helper, not a user verb: it
 *	records no audit row.
 *
 * EXIT STATUS
 *	0 written, 1 not readable (the reason on standard error), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "quarantine.h"

int
main(int argc, char **argv)
{
	char *err = NULL, *raw = NULL;
	size_t len = 0;
	mg_config *cfg;
	mg_store *s;
	int rc = 1;

	if (argc != 3) {
		fputs("usage: kept_read CONFIG ID\n", stderr);
		return 2;
	}
	cfg = mg_config_load(argv[1], &err);
	if (!cfg) {
		fprintf(stderr, "kept_read: %s\n", err);
		g_free(err);
		return 1;
	}
	s = mg_store_open_readonly(cfg, &err);
	if (!s) {
		fprintf(stderr, "kept_read: %s\n", err);
	} else if (!mg_store_read(s, argv[2], &raw, &len, NULL, &err)) {
		fprintf(stderr, "kept_read: %s: %s\n", argv[2], err);
	} else if (fwrite(raw, 1, len, stdout) != len || fflush(stdout) != 0) {
		fputs("kept_read: cannot write the output\n", stderr);
	} else {
		rc = 0;
	}
	g_free(raw);
	g_free(err);
	if (s)
		mg_store_close(s);
	mg_config_unref(cfg);
	return rc;
}
