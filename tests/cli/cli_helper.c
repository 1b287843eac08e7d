/*
 * cli_helper.c - test helper of tests/cli/run.sh and
 * tests/integration/release.sh: builds real quarantines, plays the SMTP
 * relay and the system logger, and changes index files by hand.
 *
 * SYNOPSIS
 *	cli_helper keep CONFIG MESSAGE AGE SENDER RCPT[,RCPT...]
 *	cli_helper audit-old CONFIG DAYS N
 *	cli_helper relay PORTFILE DIR [RULE...]
 *	cli_helper syslog SOCKET OUTFILE
 *	cli_helper sql DATABASE SQL
 *
 * DESCRIPTION
 *	keep: keeps MESSAGE in the quarantine of CONFIG as mugaika-milter
 *	does (mg_store_keep, with the verdict mg_sanitize gives it), received
 *	AGE ago ("90s", "3h", "100d" or "0"), from SENDER ("" for <>) to the
 *	recipients; prints the new ID.
 *
 *	audit-old: appends N audit rows (action show, no ID) dated DAYS days
 *	ago to the audit log of CONFIG, properly chained: rows old enough
 *	for purge to prune.
 *
 *	relay: an SMTP server on 127.0.0.1, a free port written to PORTFILE
 *	once it listens; serves sessions one after another until killed.
 *	Each accepted message goes to DIR/N.eml (the data with dots undone,
 *	CRLF as sent) and DIR/N.env ("from ADDR" and "to ADDR" lines); every
 *	command and reply is appended to DIR/transcript.  RULEs change
 *	replies: "rcpt:ADDR=CODE" for RCPT TO:<ADDR>, "mail=CODE",
 *	"data=CODE" (to DATA itself) and "end=CODE" (to the end of the data),
 *	"greeting=CODE".
 *
 *	syslog: receives datagrams on the unix socket SOCKET (created) and
 *	appends each, with a newline, to OUTFILE; runs until killed.
 *
 *	sql: runs SQL on DATABASE (sqlite3_exec, no mugaika functions):
 *	the tests' way of changing an index by hand.  Prints result rows
 *	TAB-separated.
 *
 * EXIT STATUS
 *	0 done, 1 failed (the reason on standard error), 2 usage.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "conf.h"
#include "quarantine.h"
#include "sanitize.h"

static int
die(const char *what, const char *why)
{
	fprintf(stderr, "cli_helper: %s: %s\n", what, why ? why : g_strerror(errno));
	return 1;
}

static mg_config *
load(const char *path)
{
	char *err = NULL;
	mg_config *cfg = mg_config_load(path, &err);

	if (!cfg) {
		die("config", err);
		exit(1);
	}
	return cfg;
}

/* "90s", "3h", "100d", "0": seconds. */
static time_t
age_seconds(const char *age)
{
	char *end = NULL;
	long long n = strtoll(age, &end, 10);
	int mult = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;

	return (time_t)(n * mult);
}

/* ---- keep --------------------------------------------------------------------- */

static int
cmd_keep(char **argv)
{
	mg_config *cfg = load(argv[0]);
	char *raw = NULL, *err = NULL;
	gsize len = 0;
	mg_envelope *env = mg_envelope_new();
	time_t when = time(NULL) - age_seconds(argv[2]);

	if (!g_file_get_contents(argv[1], &raw, &len, NULL))
		return die(argv[1], NULL);
	env->mail_from = g_strdup(argv[3]);
	char **rcpts = g_strsplit(argv[4], ",", -1);
	for (int i = 0; rcpts[i]; i++)
		g_ptr_array_add(env->rcpts, g_strdup(rcpts[i]));
	env->client_addr = g_strdup("192.0.2.25");
	env->client_name = g_strdup("mx.example.net");
	env->helo = g_strdup("mx.example.net");
	env->queue_id = g_strdup("4TESTQ1");
	env->received = when;
	mg_engine_init();
	char *id = mg_store_new_id(when), *key = mg_store_retry_key(raw, len, env);
	mg_result *r = mg_sanitize(raw, len, cfg, id, when);
	char *verdict = mg_verdict_to_json(r->verdict);
	mg_store *s = mg_store_open(cfg, &err);
	int rc = !s || !mg_store_keep(s, id, key, raw, len, env, verdict, &err)
		 ? die("keep", err) : 0;
	if (rc == 0)
		printf("%s\n", id);
	mg_store_close(s);
	mg_result_free(r);
	mg_envelope_free(env);
	mg_config_unref(cfg);
	g_strfreev(rcpts);
	char *strs[] = { raw, err, id, key, verdict };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		g_free(strs[i]);
	return rc;
}

/* ---- audit-old ------------------------------------------------------------------ */

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "cli_helper: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return 1;
}

static int
cmd_audit_old(char **argv)
{
	mg_config *cfg = load(argv[0]);
	sqlite3 *db = NULL;
	char *err = NULL, path[4096];
	int n = atoi(argv[2]);

	g_strlcpy(path, cfg->quarantine_db, sizeof path);
	mg_store *s = mg_store_open(cfg, &err);	/* creates or upgrades the index */

	if (!s)
		return die("open", err);
	mg_store_close(s);
	mg_config_unref(cfg);
	if (sqlite3_open(path, &db) != SQLITE_OK || exec_sql(db, "BEGIN IMMEDIATE"))
		return die("sqlite", sqlite3_errmsg(db));
	for (int i = 0; i < n; i++) {
		mg_audit_row *r = mg_audit_row_new("show", NULL, time(NULL) -
						   age_seconds(argv[1]) * 86400 + i);
		mg_audit_set(&r->reason, "an old row");
		if (!mg_audit_append(db, r, &err))
			return die("append", err);
		mg_audit_row_free(r);
	}
	if (exec_sql(db, "COMMIT"))
		return 1;
	sqlite3_close(db);
	return 0;
}

/* ---- sql -------------------------------------------------------------------------- */

static int
print_row(void *unused, int n, char **values, char **names)
{
	(void)unused;
	(void)names;
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "\t" : "", values[i] ? values[i] : "NULL");
	putchar('\n');
	return 0;
}

static int
cmd_sql(char **argv)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	if (sqlite3_open_v2(argv[0], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return die(argv[0], sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_exec(db, argv[1], print_row, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "cli_helper: sql: %s\n", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : 1;
}

/* ---- syslog ------------------------------------------------------------------------ */

static int
cmd_syslog(char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[8192];
	FILE *out = fopen(argv[1], "a");

	if (strlen(argv[0]) >= sizeof sa.sun_path || !out || fd < 0) {
		if (out)
			fclose(out);
		return die(argv[0], NULL);
	}
	memcpy(sa.sun_path, argv[0], strlen(argv[0]) + 1);
	unlink(argv[0]);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return die(argv[0], NULL);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return die("recv", NULL);
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
}

/* ---- relay ------------------------------------------------------------------------- */

typedef struct {
	char **rules;
	const char *dir;
	FILE *conn, *log;
	int count;
} relay;

/* The code a rule gives for key (e.g. "data", "rcpt:a@b"), or def. */
static int
rule_code(const relay *r, const char *key, int def)
{
	size_t n = strlen(key);

	for (char **p = r->rules; *p; p++)
		if (strncmp(*p, key, n) == 0 && (*p)[n] == '=')
			return atoi(*p + n + 1);
	return def;
}

static void
reply(relay *r, int code, const char *text)
{
	fprintf(r->conn, "%d %s\r\n", code, text);
	fflush(r->conn);
	fprintf(r->log, "S: %d %s\n", code, text);
	fflush(r->log);
}

/* The data up to "." with dots undone, into DIR/N.eml. */
static bool
read_data(relay *r, GString *msg)
{
	char line[65536];

	while (fgets(line, sizeof line, r->conn)) {
		if (strcmp(line, ".\r\n") == 0)
			return true;
		g_string_append(msg, line[0] == '.' ? line + 1 : line);
	}
	return false;
}

static void
save(relay *r, const GString *msg, const GString *env)
{
	char *eml = g_strdup_printf("%s/%d.eml", r->dir, ++r->count);
	char *envf = g_strdup_printf("%s/%d.env", r->dir, r->count);

	g_file_set_contents(envf, env->str, -1, NULL);
	g_file_set_contents(eml, msg->str, (gssize)msg->len, NULL);	/* last: tests wait for it */
	g_free(eml);
	g_free(envf);
}

static void
do_data(relay *r, GString *env, int rcpts)
{
	GString *msg = g_string_new(NULL);
	int code = rule_code(r, "data", rcpts ? 354 : 554);

	reply(r, code, code == 354 ? "go ahead" : "no");
	if (code == 354 && read_data(r, msg)) {
		code = rule_code(r, "end", 250);
		if (code / 100 == 2)
			save(r, msg, env);
		reply(r, code, code / 100 == 2 ? "2.0.0 Ok: queued as TEST" : "4.3.0 try later");
	}
	g_string_free(msg, TRUE);
}

/* One command line; false at QUIT or end of input. */
static bool
do_command(relay *r, char *line, GString *env, int *rcpts)
{
	g_strchomp(line);
	fprintf(r->log, "C: %s\n", line);
	if (g_ascii_strncasecmp(line, "EHLO", 4) == 0) {
		fputs("250-test relay\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n", r->conn);
		fflush(r->conn);
		fputs("S: 250 ehlo\n", r->log);
	} else if (g_ascii_strncasecmp(line, "MAIL FROM:", 10) == 0) {
		int code = rule_code(r, "mail", 250);
		if (code / 100 == 2)
			g_string_append_printf(env, "from %s\n", line + 10);
		reply(r, code, code / 100 == 2 ? "2.1.0 Ok" : "sender refused");
	} else if (g_ascii_strncasecmp(line, "RCPT TO:", 8) == 0) {
		char *addr = g_strndup(line + 9, strcspn(line + 9, ">"));
		char *key = g_strdup_printf("rcpt:%s", addr);
		int code = rule_code(r, key, 250);
		if (code / 100 == 2) {
			g_string_append_printf(env, "to %s\n", addr);
			(*rcpts)++;
		}
		reply(r, code, code / 100 == 2 ? "2.1.5 Ok" : code / 100 == 4 ?
		      "4.2.0 mailbox busy" : "5.1.1 no such user");
		g_free(key);
		g_free(addr);
	} else if (g_ascii_strncasecmp(line, "DATA", 4) == 0)
		do_data(r, env, *rcpts);
	else if (g_ascii_strncasecmp(line, "QUIT", 4) == 0) {
		reply(r, 221, "bye");
		return false;
	} else
		reply(r, 250, "Ok");
	return true;
}

static void
session(relay *r, int fd)
{
	GString *env = g_string_new(NULL);
	char line[4096];
	int rcpts = 0, greeting;

	r->conn = fdopen(fd, "r+");
	greeting = rule_code(r, "greeting", 220);
	reply(r, greeting, "test relay ESMTP");
	while (greeting == 220 && fgets(line, sizeof line, r->conn) &&
	       do_command(r, line, env, &rcpts))
		;
	fclose(r->conn);
	g_string_free(env, TRUE);
}

static int
cmd_relay(char **argv)
{
	relay r = { .rules = argv + 2, .dir = argv[1] };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char *log = g_strdup_printf("%s/transcript", argv[1]);

	r.log = fopen(log, "a");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (!r.log || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return die("relay", NULL);
	char *port = g_strdup_printf("%d\n", ntohs(sa.sin_port));
	char *tmp = g_strconcat(argv[0], ".tmp", NULL);
	if (!g_file_set_contents(tmp, port, -1, NULL) || rename(tmp, argv[0]) != 0)
		return die(argv[0], NULL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			session(&r, c);
	}
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*run)(char **);
	} cmds[] = {
		{ "keep", 5, cmd_keep }, { "audit-old", 3, cmd_audit_old },
		{ "relay", -2, cmd_relay }, { "syslog", 2, cmd_syslog }, { "sql", 2, cmd_sql },
	};

	for (size_t i = 0; argc >= 2 && i < G_N_ELEMENTS(cmds); i++) {
		int n = argc - 2, want = cmds[i].args;
		if (strcmp(argv[1], cmds[i].name) == 0 && (want < 0 ? n >= -want : n == want))
			return cmds[i].run(argv + 2);
	}
	fputs("usage: cli_helper keep CONFIG MESSAGE AGE SENDER RCPT[,RCPT...]\n"
	      "       cli_helper audit-old CONFIG DAYS N\n"
	      "       cli_helper relay PORTFILE DIR [RULE...]\n"
	      "       cli_helper syslog SOCKET OUTFILE\n"
	      "       cli_helper sql DATABASE SQL\n", stderr);
	return 2;
}
