/*
 * smtp_load.c - load an SMTP server (a private Postfix) with the benchmark
 * messages from several sessions at once, and time each message.
 *
 * SYNOPSIS
 *	smtp_load -t NAME=HOST:PORT[,pid=PID] [-t ...] [-c 1,4,16] [-s S]
 *	          [--drain QUEUE_DIR] [--mix small=55,...] SET...
 *	(all options: smtp_load --help; the measurement: loadgen.c)
 *
 * DESCRIPTION
 *	Per session: the greeting, EHLO client.example; per message MAIL
 *	FROM:<bench-QID@sender.example> (unique in the run: see loadgen.h),
 *	RCPT TO:<user@bench.example> (--rcpt), DATA, the message with CRLF
 *	line ends and dot-stuffed (prepared once, before the run), the final
 *	dot; a message's latency ends with the reply to the final dot, when
 *	the server has queued the message (after its milters answered).  Then
 *	QUIT, or with --per-conn N the next message in the same session.  No
 *	PIPELINING, no TLS.  A 4xx reply counts as tempfail, 5xx as reject;
 *	the transaction is then reset (RSET).
 *
 *	PID (optional) is a process whose CPU time is reported per message:
 *	tests/bench/e2e.sh passes the milter's.
 *
 * EXIT STATUS
 *	0; 1 when a message was not accepted; 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

typedef struct {
	char *data;            /* CRLF, dot-stuffed, ending in CRLF "." CRLF */
	size_t len;
} smtp_form;

typedef struct {
	int fd;
	char buf[8192];
	size_t off, len;
	char last[256];        /* the last reply line, for messages */
} sconn;

static void prepare(lg_msg *m)
{
	smtp_form *f = malloc(sizeof *f);
	size_t cap = m->raw_len * 2 + 8, n = 0;
	char *d = malloc(cap);
	bool bol = true;

	if (!f || !d) {
		fputs("smtp_load: out of memory\n", stderr);
		exit(2);
	}
	for (size_t i = 0; i < m->raw_len; i++) {
		char ch = m->raw[i];
		if (bol && ch == '.')
			d[n++] = '.';
		if (ch == '\n' && (i == 0 || m->raw[i - 1] != '\r'))
			d[n++] = '\r';
		d[n++] = ch;
		bol = ch == '\n';
	}
	if (!bol) {
		d[n++] = '\r';
		d[n++] = '\n';
	}
	memcpy(d + n, ".\r\n", 3);
	n += 3;
	f->data = d;
	f->len = n;
	m->proto = f;
}

static bool check_addr(const char *addr, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');

	if (colon && colon != addr && colon[1])
		return true;
	snprintf(err, errlen, "bad SMTP address %s (HOST:PORT)", addr);
	return false;
}

/* Reads one reply (all its lines); its code, or -1. */
static int reply(sconn *c, char *err, size_t errlen)
{
	char line[1024];
	size_t ll = 0;

	for (;;) {
		while (c->off < c->len) {
			char ch = c->buf[c->off++];
			if (ch != '\n') {
				if (ll + 1 < sizeof line)
					line[ll++] = ch;
				continue;
			}
			if (ll > 0 && line[ll - 1] == '\r')
				ll--;
			line[ll] = '\0';
			snprintf(c->last, sizeof c->last, "%.255s", line);
			if (ll >= 3 && (ll == 3 || line[3] == ' '))
				return atoi(line);
			if (ll < 4 || line[3] != '-') {
				snprintf(err, errlen, "bad reply line: %.80s", line);
				return -1;
			}
			ll = 0;
		}
		ssize_t n = read(c->fd, c->buf, sizeof c->buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "read: %s", n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		c->off = 0;
		c->len = (size_t)n;
	}
}

static int command(sconn *c, const char *line, char *err, size_t errlen)
{
	if (!lg_write_all(c->fd, line, strlen(line))) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return reply(c, err, errlen);
}

static void sclose(void *conn, bool clean)
{
	sconn *c = conn;
	char err[64];

	if (clean)
		command(c, "QUIT\r\n", err, sizeof err);
	close(c->fd);
	free(c);
}

static void *sopen(const lg_target *t, char *err, size_t errlen)
{
	int fd = lg_connect(t->addr, err, errlen);

	if (fd < 0)
		return NULL;
	sconn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	int code = reply(c, err, errlen);
	if (code == 220)
		code = command(c, "EHLO client.example\r\n", err, errlen);
	if (code == 250)
		return c;
	if (code > 0)
		snprintf(err, errlen, "session refused: %s", c->last);
	sclose(c, false);
	return NULL;
}

static enum lg_outcome outcome_of(sconn *c, int code, char *err, size_t errlen)
{
	char ignored[64];

	if (code < 0)
		return LG_ERROR;
	snprintf(err, errlen, "%s", c->last);
	if (command(c, "RSET\r\n", ignored, sizeof ignored) < 0)
		return LG_ERROR;
	return code >= 500 ? LG_REJECT : code >= 400 ? LG_TEMPFAIL : LG_ERROR;
}

static enum lg_outcome ssend(void *conn, const lg_msg *m, const char *qid, char *err,
			     size_t errlen)
{
	sconn *c = conn;
	const smtp_form *f = m->proto;
	char line[512];
	int code;

	snprintf(line, sizeof line, "MAIL FROM:<bench-%s@%s>\r\n", qid, lg_sender_domain);
	if ((code = command(c, line, err, errlen)) != 250)
		return outcome_of(c, code, err, errlen);
	snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", lg_rcpt);
	code = command(c, line, err, errlen);
	if (code != 250 && code != 251)
		return outcome_of(c, code, err, errlen);
	if ((code = command(c, "DATA\r\n", err, errlen)) != 354)
		return outcome_of(c, code, err, errlen);
	if (!lg_write_all(c->fd, f->data, f->len)) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return LG_ERROR;
	}
	code = reply(c, err, errlen);
	if (code >= 200 && code < 300)
		return LG_ACCEPT;
	if (code < 0)
		return LG_ERROR;
	snprintf(err, errlen, "%s", c->last);
	return code >= 500 ? LG_REJECT : LG_TEMPFAIL;
}

static const lg_proto smtp_proto = {
	.prog = "smtp_load",
	.addr_help = "the server, HOST:PORT (e.g. 127.0.0.1:20025)",
	.check_addr = check_addr,
	.prepare = prepare,
	.open = sopen,
	.send = ssend,
	.close = sclose,
};

int main(int argc, char **argv)
{
	return lg_main(argc, argv, &smtp_proto);
}
