/*
 * engine_edits.c - prints the header edits the engine makes for one
 * message, for the milter tests to hold the daemon's requests to.
 *
 * SYNOPSIS
 *	engine_edits CONFIG ID FILE
 *
 * DESCRIPTION
 *	Runs the engine exactly as mugaika sanitize --id ID does (with the
 *	scanner CONFIG names, loaded here) and prints one line per edit, in
 *	the engine's order:
 *
 *	    delete NAME INDEX
 *	    change NAME INDEX VALUE
 *	    add NAME VALUE
 *
 *	VALUE is the engine's value with '%', CR and LF written as %25, %0D
 *	and %0A.  Exit status 0, or 2 on a usage or read error or a scanner
 *	that cannot be loaded.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "sanitize.h"

static void print_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '%' || *s == '\r' || *s == '\n')
			printf("%%%02X", (unsigned char)*s);
		else
			putchar(*s);
	}
}

static void print_edit(const mg_header_edit *e)
{
	switch (e->kind) {
	case MG_EDIT_DELETE:
		printf("delete %s %u\n", e->name, e->index);
		return;
	case MG_EDIT_CHANGE:
		printf("change %s %u ", e->name, e->index);
		break;
	case MG_EDIT_ADD:
		printf("add %s ", e->name);
		break;
	}
	print_escaped(e->value ? e->value : "");
	putchar('\n');
}

int main(int argc, char **argv)
{
	char *err = NULL, *raw = NULL;
	gsize len = 0;

	if (argc != 4) {
		fputs("usage: engine_edits CONFIG ID FILE\n", stderr);
		return 2;
	}
	mg_config *cfg = mg_config_load(argv[1], &err);
	mg_scanner *scanner = cfg ? mg_scanner_load(cfg, &err) : NULL;
	if (!cfg || (!scanner && err) || !g_file_get_contents(argv[3], &raw, &len, NULL)) {
		fprintf(stderr, "engine_edits: %s\n", err ? err : "cannot read the message");
		return 2;
	}
	mg_engine_init();
	mg_result *r = mg_engine_run(raw, len, cfg, scanner, MG_MODE_SANITIZE, argv[2],
				     time(NULL));
	for (guint i = 0; i < r->edits->len; i++)
		print_edit(g_ptr_array_index(r->edits, i));
	mg_result_free(r);
	mg_scanner_unref(scanner);
	mg_config_unref(cfg);
	g_free(raw);
	return 0;
}
