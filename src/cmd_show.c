/*
 * cmd_show.c - mugaika show: one kept original, as the helpdesk needs it.
 *
 * SYNOPSIS
 *	int mg_cmd_show(int argc, char **argv);
 *
 *	mugaika show [--config FILE] [--json] [--reason TEXT] ID
 *	mugaika show [--config FILE] --raw [--reason TEXT] ID > FILE
 *
 * DESCRIPTION
 *	Without --raw: the status (and who changed it when), the envelope
 *	(time received, queue ID, client, HELO, sender, each recipient with
 *	when and by whom it was released), size, SHA-256 and key id, the
 *	verdict's action and reasons, each removed part (number, decoded
 *	file name, type, size, SHA-256, why), then the original's header
 *	fields, unfolded and decoded (RFC 2047, Japanese included), and the
 *	audit rows about this ID.  Every text comes from a message and is
 *	made display-safe (mg_cli_display).  --json prints one object with
 *	the same (the verdict embedded as it was kept).
 *
 *	--raw writes the original, byte for byte as kept, to standard output,
 *	which must not be a terminal (the bytes are a stranger's: escape
 *	sequences included).
 *
 *	Reading an original is audited: action "show" (its header fields
 *	were shown) or "read" (--raw), with --reason, written BEFORE anything
 *	is printed; when the audit row cannot be written nothing is shown.
 *	A deleted original is shown from the index alone (no audit row).
 *
 * EXIT STATUS
 *	0 shown, 64 usage (not an ID, --raw to a terminal), 66 no such ID (or
 *	--raw of a deleted one), 74 the original or index cannot be read, 77
 *	no permission, 78 configuration error.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "charset.h"
#include "json.h"
#include "verdict.h"

#define HEADER_SCAN_MAX (1024 * 1024)

typedef struct {
	const char *config, *reason, *id;
	bool json, raw;
} show_opts;

/* One header field of the original, decoded. */
typedef struct {
	char *name, *value;
} field;

static void
show_usage(FILE *f)
{
	fputs("usage: mugaika show [--config FILE] [--json] [--reason TEXT] ID\n"
	      "       mugaika show [--config FILE] --raw [--reason TEXT] ID > FILE\n", f);
}

static int
parse_show(int argc, char **argv, show_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:jrR:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'r': o->raw = true; break;
		case 'R': o->reason = optarg; break;
		case 'h': show_usage(stdout); return EX_OK;
		default: show_usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind != 1 || (o->raw && o->json)) {
		show_usage(stderr);
		return EX_USAGE;
	}
	o->id = argv[optind];
	if (!mg_store_id_valid(o->id)) {
		fprintf(stderr, "mugaika show: '%.60s' is not a quarantine ID\n", o->id);
		return EX_USAGE;
	}
	if (o->raw && isatty(STDOUT_FILENO)) {
		fputs("mugaika show: --raw writes the original as it came, which may hold "
		      "terminal escapes: redirect it to a file\n", stderr);
		return EX_USAGE;
	}
	return -1;
}

/* ---- header fields ----------------------------------------------------------- */

static void
field_free(field *f)
{
	g_free(f->name);
	g_free(f->value);
	g_free(f);
}

/* End of the field starting at p: the first line after it not starting
 * with a blank. */
static const char *
field_end(const char *p, const char *end)
{
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	} while (p < end && (*p == ' ' || *p == '\t'));
	return p;
}

/* The original's header fields, decoded; at most the first megabyte. */
static GPtrArray *
header_fields(const char *raw, size_t len)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);
	const char *p = raw, *end = raw + MIN(len, (size_t)HEADER_SCAN_MAX);

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *fe = field_end(p, end);
		const char *colon = memchr(p, ':', (size_t)(fe - p));
		if (colon) {
			field *f = g_new0(field, 1);
			char *value = g_strndup(colon + 1, (gsize)(fe - colon - 1));
			f->name = g_strndup(p, (gsize)(colon - p));
			f->value = mg_header_decode(g_strstrip(value), NULL);
			g_free(value);
			g_ptr_array_add(out, f);
		}
		p = fe;
	}
	return out;
}

/* ---- text ---------------------------------------------------------------------- */

static void
line(const char *label, const char *value)
{
	char *safe = mg_cli_display(value && *value ? value : "-");

	printf("%-12s %s\n", label, safe);
	g_free(safe);
}

static char *
utc_text_local(const char *utc)
{
	time_t t;

	return utc && mg_cli_parse_time(utc, 0, &t) ? mg_cli_time(t, true) : g_strdup(utc);
}

static void
print_envelope(const mg_kept_detail *d)
{
	const mg_kept *k = d->kept;
	char *when = mg_cli_time(k->received, true), *utc = mg_cli_time(k->received, false);
	char *recv = g_strdup_printf("%s (%s)", when, utc);
	char *status = d->status_at ? utc_text_local(d->status_at) : NULL;
	char *st = status ? g_strdup_printf("%s (%s by %s)", k->status, status,
					    d->status_by ? d->status_by : "?")
			  : g_strdup(k->status);
	char *client = g_strdup_printf("%s [%s]", k->client_name ? k->client_name : "unknown",
				       k->client_addr ? k->client_addr : "?");
	char *sender = g_strdup_printf("<%s>", k->mail_from ? k->mail_from : "");

	line("ID:", k->id);
	line("Status:", st);
	line("Received:", recv);
	line("Queue ID:", k->queue_id);
	line("Client:", client);
	line("HELO:", k->helo);
	line("Auth:", k->auth_name);
	line("Sender:", sender);
	char *vals[] = { when, utc, recv, status, st, client, sender };
	for (size_t i = 0; i < G_N_ELEMENTS(vals); i++)
		g_free(vals[i]);
}

static void
print_rcpts(const mg_kept_detail *d)
{
	puts("Recipients:");
	for (guint i = 0; i < d->kept->rcpts->len; i++) {
		const char *at = g_ptr_array_index(d->released_at, i);
		char *when = at ? utc_text_local(at) : NULL;
		char *state = at ? g_strdup_printf("released %s by %s", when,
						   (char *)g_ptr_array_index(d->released_by, i))
				 : g_strdup("held");
		char *rcpt = mg_cli_display(g_ptr_array_index(d->kept->rcpts, i));
		char *safe = mg_cli_display(state);
		printf("  %s  %s\n", rcpt, safe);
		g_free(when);
		g_free(state);
		g_free(rcpt);
		g_free(safe);
	}
}

static void
print_removed(const mg_kept_detail *d)
{
	printf("Removed:     %u part%s\n", d->removed->len, d->removed->len == 1 ? "" : "s");
	for (guint i = 0; i < d->removed->len; i++) {
		const mg_removed_part *p = g_ptr_array_index(d->removed, i);
		char *text = g_strdup_printf("%s  %s  %s  %" G_GINT64_FORMAT " bytes  "
					     "sha256 %s  (%s)", p->part ? p->part : "?",
					     p->filename ? p->filename : "(no name)",
					     p->content_type ? p->content_type : "?", p->size,
					     p->sha256 ? p->sha256 : "-", p->why ? p->why : "?");
		char *safe = mg_cli_display(text);
		printf("  %s\n", safe);
		g_free(safe);
		g_free(text);
	}
}

static void
print_headers(GPtrArray *fields)
{
	puts("Headers:");
	for (guint i = 0; fields && i < fields->len; i++) {
		const field *f = g_ptr_array_index(fields, i);
		char *text = g_strdup_printf("%s: %s", f->name, f->value);
		char *safe = mg_cli_display(text);
		printf("  %s\n", safe);
		g_free(safe);
		g_free(text);
	}
	if (!fields)
		puts("  (the original is deleted)");
}

static void
print_history(GPtrArray *rows)
{
	puts("History:");
	for (guint i = 0; rows && i < rows->len; i++) {
		const mg_audit_row *r = g_ptr_array_index(rows, i);
		char *who = mg_audit_operator(r), *when = utc_text_local(r->at);
		char *rcpts = r->rcpts ? g_strdelimit(g_strdup(r->rcpts), "\n", ',') : NULL;
		char *text = g_strdup_printf("%s %s %s%s%s%s%s%s%s by %s", when, r->action,
					     r->outcome, rcpts ? " to " : "", rcpts ? rcpts : "",
					     r->forced ? " forced " : "", r->forced ? r->forced : "",
					     r->reason ? ": " : "", r->reason ? r->reason : "", who);
		char *safe = mg_cli_display(text);
		printf("  %s\n", safe);
		g_free(safe);
		g_free(text);
		g_free(rcpts);
		g_free(when);
		g_free(who);
	}
}

static void
print_text(const mg_kept_detail *d, GPtrArray *fields, GPtrArray *history)
{
	const mg_kept *k = d->kept;
	char *size = g_strdup_printf("%" G_GUINT64_FORMAT " bytes, SHA-256 %s", k->size,
				     k->sha256);
	char *verdict = g_strdup_printf("action=%s reasons=%s", k->action ? k->action : "?",
					k->reasons && *k->reasons ? k->reasons : "none");

	print_envelope(d);
	print_rcpts(d);
	line("Size:", size);
	line("Key:", k->key_id ? k->key_id : "unencrypted");
	line("From:", k->from_hdr);
	line("Subject:", k->subject);
	line("Verdict:", verdict);
	print_removed(d);
	print_headers(fields);
	print_history(history);
	g_free(size);
	g_free(verdict);
}

/* ---- JSON -------------------------------------------------------------------------- */

static void
json_rcpts(GString *o, const mg_kept_detail *d)
{
	g_string_append(o, ", \"rcpts\": [");
	for (guint i = 0; i < d->kept->rcpts->len; i++) {
		g_string_append(o, i ? ", {\"rcpt\": " : "{\"rcpt\": ");
		mg_json_string(o, g_ptr_array_index(d->kept->rcpts, i));
		mg_cli_json_field(o, "released_at", g_ptr_array_index(d->released_at, i));
		mg_cli_json_field(o, "released_by", g_ptr_array_index(d->released_by, i));
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void
json_headers(GString *o, GPtrArray *fields)
{
	g_string_append(o, ", \"headers\": ");
	if (!fields) {
		g_string_append(o, "null");
		return;
	}
	g_string_append_c(o, '[');
	for (guint i = 0; i < fields->len; i++) {
		const field *f = g_ptr_array_index(fields, i);
		g_string_append(o, i ? ", {\"name\": " : "{\"name\": ");
		char *name = g_utf8_make_valid(f->name, -1);
		mg_json_string(o, name);
		g_free(name);
		mg_cli_json_field(o, "value", f->value);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void
print_json(const mg_kept_detail *d, GPtrArray *fields)
{
	const mg_kept *k = d->kept;
	GString *o = g_string_new("{\"id\": ");
	char *utc = mg_cli_time(k->received, false), *local = mg_cli_time(k->received, true);

	mg_json_string(o, k->id);
	mg_cli_json_field(o, "status", k->status);
	mg_cli_json_field(o, "status_at", d->status_at);
	mg_cli_json_field(o, "status_by", d->status_by);
	mg_cli_json_field(o, "received", utc);
	mg_cli_json_field(o, "time", local);
	const char *names[] = { "queue_id", "mail_from", "client_addr", "client_name", "helo",
				"auth_name", "from", "subject", "sha256", "key_id", "action" };
	const char *vals[] = { k->queue_id, k->mail_from, k->client_addr, k->client_name,
			       k->helo, k->auth_name, k->from_hdr, k->subject, k->sha256,
			       k->key_id, k->action };
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		mg_cli_json_field(o, names[i], vals[i]);
	g_string_append_printf(o, ", \"size\": %" G_GUINT64_FORMAT, k->size);
	json_rcpts(o, d);
	json_headers(o, fields);
	g_string_append_printf(o, ", \"verdict\": %s}\n", d->verdict ? d->verdict : "null");
	fputs(o->str, stdout);
	g_string_free(o, TRUE);
	g_free(utc);
	g_free(local);
}

/* ---- the command ---------------------------------------------------------------- */

/* Reads the original and records the audit row; false after a message. */
static bool
read_audited(mg_store *s, const show_opts *o, char **raw, size_t *len, int *rc)
{
	char *err = NULL;
	mg_audit_row *r = mg_audit_row_new(o->raw ? "read" : "show", o->id, 0);

	mg_audit_set(&r->reason, o->reason);
	*rc = EX_OK;
	if (!mg_store_read(s, o->id, raw, len, NULL, &err)) {
		fprintf(stderr, "mugaika show: %s\n", err);
		*rc = EX_IOERR;
	} else if (!mg_store_audit(s, r, &err)) {
		fprintf(stderr, "mugaika show: the reading could not be recorded in the "
			"audit log, so nothing is shown: %s\n", err);
		*rc = EX_IOERR;
		g_clear_pointer(raw, g_free);
	}
	g_free(err);
	mg_audit_row_free(r);
	return *rc == EX_OK;
}

static int
show_detail(mg_store *s, const show_opts *o, const mg_kept_detail *d)
{
	char *raw = NULL, *err = NULL;
	size_t len = 0;
	int rc = EX_OK;
	bool deleted = strcmp(d->kept->status, "deleted") == 0;

	if (deleted && o->raw) {
		fprintf(stderr, "mugaika show: %s: the original was deleted\n", o->id);
		return EX_NOINPUT;
	}
	if (!deleted && !read_audited(s, o, &raw, &len, &rc))
		return rc;
	if (o->raw) {
		rc = fwrite(raw, 1, len, stdout) == len ? mg_cli_flush("show") : EX_IOERR;
		g_free(raw);
		return rc;
	}
	GPtrArray *fields = raw ? header_fields(raw, len) : NULL;
	mg_audit_filter f = { .id = o->id };
	GPtrArray *history = o->json ? NULL : mg_store_audit_rows(s, &f, &err);
	if (o->json)
		print_json(d, fields);
	else
		print_text(d, fields, history);
	rc = mg_cli_flush("show");
	if (fields)
		g_ptr_array_unref(fields);
	if (history)
		g_ptr_array_unref(history);
	g_free(err);
	g_free(raw);
	return rc;
}

int
mg_cmd_show(int argc, char **argv)
{
	show_opts o = { 0 };
	char *err = NULL;
	int rc = parse_show(argc, argv, &o);

	if (rc >= 0)
		return rc;
	mg_config *cfg = mg_cli_config("show", o.config);
	if (!cfg)
		return EX_CONFIG;
	mg_store *s = mg_cli_open("show", cfg, true, &rc);
	mg_kept_detail *d = s ? mg_store_detail(s, o.id, &err) : NULL;
	if (s && !d) {
		fprintf(stderr, "mugaika show: %s\n", err);
		rc = EX_NOINPUT;
	} else if (d)
		rc = show_detail(s, &o, d);
	mg_kept_detail_free(d);
	g_free(err);
	mg_store_close(s);
	mg_config_unref(cfg);
	return rc;
}
