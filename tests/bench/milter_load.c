/*
 * milter_load.c - load a milter the way an MTA does: the MTA side of the
 * milter protocol (version 6), from several connections at once.
 *
 * SYNOPSIS
 *	milter_load -t NAME=unix:PATH[,pid=PID] [-t ...] [-c 1,4,16] [-s S]
 *	            [-r R] [--mix small=55,...] [--per-conn N] SET...
 *	(all options: milter_load --help; the measurement: loadgen.c)
 *
 * DESCRIPTION
 *	libmilter has no client side, so this is the minimal MTA side,
 *	written from the protocol as libmilter's mfdef.h defines it.  Every
 *	packet is a 4-byte big-endian length, a command byte and its data.
 *	A session:
 *
 *	  OPTNEG  version 6, every action (0x1FF) and every protocol step
 *	          flag (0x1FFFFF) offered, as Postfix 3.x does; the filter's
 *	          answer decides which steps are sent (SMFIP_NO*), which are
 *	          answered (SMFIP_NR_*) and whether header values keep their
 *	          leading space (SMFIP_HDR_LEADSPC)
 *	  CONNECT macros j, {daemon_name}, v; "localhost", IPv4 127.0.0.1 port 25
 *	  HELO    "client.example"
 *	and per message:
 *	  MAIL    macros i (the unique queue id) and {mail_addr};
 *	          <bench-QID@sender.example>: unique, so the daemon never takes
 *	          two messages of a run for a retry of each other
 *	  RCPT    <user@bench.example> (--rcpt)
 *	  DATA    (unless the filter turned it off)
 *	  HEADER  each field: name, value (folded lines joined by a bare LF,
 *	          as Postfix sends them)
 *	  EOH, BODY chunks of at most 65535 bytes (CRLF line ends), EOM
 *	          (macro i again)
 *	  then the replies are read until the final one: modifications
 *	  (add/change/insert header, replace body, ...) and progress are
 *	  counted and skipped; accept or continue = accepted, tempfail,
 *	  reject, discard, or a reply code (4xx tempfail, 5xx reject)
 *	  ABORT   after every message (no reply), as an MTA resets between
 *	          messages
 *	and QUIT at the end of the session.  An early final reply (to
 *	CONNECT, MAIL, RCPT, a header, ...) ends the message there.
 *
 *	By default each message has its own session (--per-conn 1), as
 *	Postfix opens a milter connection per SMTP session.
 *
 * EXIT STATUS
 *	0; 1 when a message was not accepted; 2 on usage errors or when a
 *	target's process died.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "loadgen.h"

/* From the protocol (libmilter/mfdef.h); written out so that this program
 * does not need the libmilter headers. */
#define PROT_VERSION 6
#define ALL_ACTIONS 0x000001FFUL
#define ALL_STEPS 0x001FFFFFUL
#define P_NOCONNECT 0x00000001UL
#define P_NOHELO 0x00000002UL
#define P_NOMAIL 0x00000004UL
#define P_NORCPT 0x00000008UL
#define P_NOBODY 0x00000010UL
#define P_NOHDRS 0x00000020UL
#define P_NOEOH 0x00000040UL
#define P_NR_HDR 0x00000080UL
#define P_NODATA 0x00000200UL
#define P_NR_CONN 0x00001000UL
#define P_NR_HELO 0x00002000UL
#define P_NR_MAIL 0x00004000UL
#define P_NR_RCPT 0x00008000UL
#define P_NR_DATA 0x00010000UL
#define P_NR_EOH 0x00040000UL
#define P_NR_BODY 0x00080000UL
#define P_HDR_LEADSPC 0x00100000UL
#define CHUNK 65535
#define MAX_REPLY (16 * 1024 * 1024)

typedef struct {
	int fd;
	unsigned long actions;
	unsigned long steps;
	char *ob;              /* small packets not yet written */
	size_t olen, ocap;
	char *ib;              /* read buffer: ib[ioff..ilen) unread */
	size_t ioff, ilen, icap;
} mconn;

enum step { STEP_CONTINUE, STEP_SKIP, STEP_FINAL, STEP_ERROR };

static void put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static uint32_t get_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void reserve(mconn *c, size_t more)
{
	if (c->olen + more <= c->ocap)
		return;
	while (c->olen + more > c->ocap)
		c->ocap = c->ocap ? c->ocap * 2 : 8192;
	c->ob = realloc(c->ob, c->ocap);
	if (!c->ob) {
		fputs("milter_load: out of memory\n", stderr);
		exit(2);
	}
}

static bool flush(mconn *c)
{
	bool ok = c->olen == 0 || lg_write_all(c->fd, c->ob, c->olen);

	c->olen = 0;
	return ok;
}

/* A packet: small ones are gathered, a large one is written at once from
 * its data (no copy). */
static bool put(mconn *c, char cmd, const void *data, size_t len)
{
	char hdr[5];

	put_be32(hdr, (uint32_t)(len + 1));
	hdr[4] = cmd;
	if (len <= 4096) {
		reserve(c, 5 + len);
		memcpy(c->ob + c->olen, hdr, 5);
		if (len)
			memcpy(c->ob + c->olen + 5, data, len);
		c->olen += 5 + len;
		return true;
	}
	if (!flush(c))
		return false;
	struct iovec iov[2] = { { hdr, 5 }, { (void *)data, len } };
	size_t left = 5 + len;
	while (left > 0) {
		ssize_t n = writev(c->fd, iov, 2);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		left -= (size_t)n;
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
	}
	return true;
}

/* Appends NUL-terminated strings to buf (NULL ends the list). */
static bool strs(char *buf, size_t *n, size_t cap, const char *first, va_list ap)
{
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		size_t l = strlen(s) + 1;
		if (*n + l > cap)
			return false;
		memcpy(buf + *n, s, l);
		*n += l;
	}
	return true;
}

/* A packet of NUL-terminated strings (NULL ends the list). */
static bool put_strs(mconn *c, char cmd, const char *first, ...)
{
	char buf[4096];
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	bool ok = strs(buf, &n, sizeof buf, first, ap);
	va_end(ap);
	return ok && put(c, cmd, buf, n);
}

/* A macro packet: the stage's command byte, then name, value, name,
 * value, ... each NUL-terminated (NULL ends the list). */
static bool put_macros(mconn *c, int stage, ...)
{
	char buf[4096];
	size_t n = 0;
	va_list ap;

	buf[n++] = (char)stage;
	va_start(ap, stage);
	bool ok = strs(buf, &n, sizeof buf, va_arg(ap, const char *), ap);
	va_end(ap);
	return ok && put(c, 'D', buf, n);
}

/* Reads one packet; *data stays valid until the next call. */
static bool get(mconn *c, char *cmd, const char **data, size_t *len, char *err, size_t errlen)
{
	if (!flush(c)) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return false;
	}
	for (;;) {
		size_t have = c->ilen - c->ioff;
		if (have >= 5) {
			uint32_t l = get_be32(c->ib + c->ioff);
			if (l < 1 || l > MAX_REPLY) {
				snprintf(err, errlen, "bad reply length %lu", (unsigned long)l);
				return false;
			}
			if (have >= 4 + (size_t)l) {
				*cmd = c->ib[c->ioff + 4];
				*data = c->ib + c->ioff + 5;
				*len = l - 1;
				c->ioff += 4 + (size_t)l;
				return true;
			}
			if (4 + (size_t)l > c->icap - c->ioff) {
				memmove(c->ib, c->ib + c->ioff, have);
				c->ioff = 0;
				c->ilen = have;
				while (c->icap < 4 + (size_t)l)
					c->icap = c->icap ? c->icap * 2 : 65536;
				c->ib = realloc(c->ib, c->icap);
				if (!c->ib) {
					fputs("milter_load: out of memory\n", stderr);
					exit(2);
				}
			}
		}
		if (c->ioff == c->ilen)
			c->ioff = c->ilen = 0;
		if (c->ilen == c->icap) {
			memmove(c->ib, c->ib + c->ioff, c->ilen - c->ioff);
			c->ilen -= c->ioff;
			c->ioff = 0;
			if (c->ilen == c->icap) {
				c->icap = c->icap ? c->icap * 2 : 65536;
				c->ib = realloc(c->ib, c->icap);
				if (!c->ib) {
					fputs("milter_load: out of memory\n", stderr);
					exit(2);
				}
			}
		}
		ssize_t n = read(c->fd, c->ib + c->ilen, c->icap - c->ilen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "read: %s", n == 0 ? "connection closed by the filter" :
				 strerror(errno));
			return false;
		}
		c->ilen += (size_t)n;
	}
}

/* A final reply's outcome; -1 if cmd is not a final reply. */
static int final_outcome(char cmd, const char *data, size_t len)
{
	switch (cmd) {
	case 'a': case 'c': return LG_ACCEPT;
	case 't': return LG_TEMPFAIL;
	case 'r': return LG_REJECT;
	case 'd': return LG_DISCARD;
	case 'y': return len > 0 && data[0] == '5' ? LG_REJECT : LG_TEMPFAIL;
	default: return -1;
	}
}

/* The reply to a step before end of message. */
static enum step step_reply(mconn *c, enum lg_outcome *o, char *err, size_t errlen)
{
	char cmd;
	const char *data;
	size_t len;

	for (;;) {
		if (!get(c, &cmd, &data, &len, err, errlen))
			return STEP_ERROR;
		if (cmd == 'p')
			continue;
		if (cmd == 'c')
			return STEP_CONTINUE;
		if (cmd == 's')
			return STEP_SKIP;
		int f = final_outcome(cmd, data, len);
		if (f < 0) {
			snprintf(err, errlen, "unexpected reply '%c' before end of message", cmd);
			return STEP_ERROR;
		}
		*o = (enum lg_outcome)f;
		if (f != LG_ACCEPT)
			snprintf(err, errlen, "early reply '%c' %.*s", cmd, (int)(len > 80 ? 80 : len),
				 data);
		return STEP_FINAL;
	}
}

static bool check_addr(const char *addr, char *err, size_t errlen)
{
	if (strncmp(addr, "unix:", 5) == 0 || strncmp(addr, "local:", 6) == 0 ||
	    strncmp(addr, "inet:", 5) == 0 || strncmp(addr, "inet6:", 6) == 0)
		return true;
	snprintf(err, errlen, "bad milter socket %s (unix:PATH or inet:PORT@HOST)", addr);
	return false;
}

static void mclose(void *conn, bool clean)
{
	mconn *c = conn;

	if (clean && put(c, 'Q', NULL, 0))
		flush(c);
	close(c->fd);
	free(c->ob);
	free(c->ib);
	free(c);
}

static void *mopen(const lg_target *t, char *err, size_t errlen)
{
	int fd = lg_connect(t->addr, err, errlen);

	if (fd < 0)
		return NULL;
	mconn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->icap = 65536;
	c->ib = malloc(c->icap);
	if (!c->ib) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	char opt[12], cmd;
	const char *data;
	size_t len;
	put_be32(opt, PROT_VERSION);
	put_be32(opt + 4, (uint32_t)ALL_ACTIONS);
	put_be32(opt + 8, (uint32_t)ALL_STEPS);
	if (!put(c, 'O', opt, sizeof opt) || !get(c, &cmd, &data, &len, err, errlen))
		goto fail;
	if (cmd != 'O' || len < 12) {
		snprintf(err, errlen, "option negotiation: reply '%c', %zu bytes", cmd, len);
		goto fail;
	}
	if (get_be32(data) < 2 || get_be32(data) > PROT_VERSION) {
		snprintf(err, errlen, "option negotiation: filter speaks version %lu",
			 (unsigned long)get_be32(data));
		goto fail;
	}
	c->actions = get_be32(data + 4);
	c->steps = get_be32(data + 8);
	enum lg_outcome o;
	if (!(c->steps & P_NOCONNECT)) {
		static const char conn_info[] = "localhost\0" "4\0\x19" "127.0.0.1";
		if (!put_macros(c, 'C', "j", "bench.localdomain", "{daemon_name}", "bench",
			      "v", "milter_load", NULL) ||
		    !put(c, 'C', conn_info, sizeof conn_info))
			goto io_fail;
		if (!(c->steps & P_NR_CONN) &&
		    step_reply(c, &o, err, errlen) != STEP_CONTINUE)
			goto refused;
	}
	if (!(c->steps & P_NOHELO)) {
		if (!put_strs(c, 'H', "client.example", NULL))
			goto io_fail;
		if (!(c->steps & P_NR_HELO) &&
		    step_reply(c, &o, err, errlen) != STEP_CONTINUE)
			goto refused;
	}
	return c;
refused:
	if (!err[0])
		snprintf(err, errlen, "the filter refused the connection or HELO");
	goto fail;
io_fail:
	snprintf(err, errlen, "write: %s", strerror(errno));
fail:
	mclose(c, false);
	return NULL;
}

/* Sends one step's packet(s) already queued and reads its reply if one is
 * due.  Returns false when the message ends here (*o set). */
static bool step(mconn *c, unsigned long nr_flag, enum lg_outcome *o, bool *skip,
		 char *err, size_t errlen)
{
	if (c->steps & nr_flag)
		return true;
	switch (step_reply(c, o, err, errlen)) {
	case STEP_CONTINUE:
		return true;
	case STEP_SKIP:
		if (skip)
			*skip = true;
		return true;
	case STEP_FINAL:
		return false;
	case STEP_ERROR:
	default:
		*o = LG_ERROR;
		return false;
	}
}

static enum lg_outcome msend(void *conn, const lg_msg *m, const char *qid, char *err,
			     size_t errlen)
{
	mconn *c = conn;
	enum lg_outcome o = LG_ACCEPT;
	char from[256], rcpt[256];
	bool skip = false;

	snprintf(from, sizeof from, "<bench-%s@%s>", qid, lg_sender_domain);
	snprintf(rcpt, sizeof rcpt, "<%s>", lg_rcpt);
	if (!(c->steps & P_NOMAIL)) {
		if (!put_macros(c, 'M', "i", qid, "{mail_addr}", from, NULL) ||
		    !put_strs(c, 'M', from, NULL))
			goto io_fail;
		if (!step(c, P_NR_MAIL, &o, NULL, err, errlen))
			goto end;
	}
	if (!(c->steps & P_NORCPT)) {
		if (!put_macros(c, 'R', "{rcpt_addr}", lg_rcpt, NULL) ||
		    !put_strs(c, 'R', rcpt, NULL))
			goto io_fail;
		if (!step(c, P_NR_RCPT, &o, NULL, err, errlen))
			goto end;
	}
	if (!(c->steps & P_NODATA)) {
		if (!put(c, 'T', NULL, 0))
			goto io_fail;
		if (!step(c, P_NR_DATA, &o, NULL, err, errlen))
			goto end;
	}
	if (!(c->steps & P_NOHDRS)) {
		for (size_t i = 0; i < m->nhdr; i++) {
			const char *v = m->hvalue[i];
			if (!(c->steps & P_HDR_LEADSPC))
				while (*v == ' ' || *v == '\t')
					v++;
			if (!put_strs(c, 'L', m->hname[i], v, NULL))
				goto io_fail;
			if (!step(c, P_NR_HDR, &o, NULL, err, errlen))
				goto end;
		}
	}
	if (!(c->steps & P_NOEOH)) {
		if (!put(c, 'N', NULL, 0))
			goto io_fail;
		if (!step(c, P_NR_EOH, &o, &skip, err, errlen))
			goto end;
	}
	if (!(c->steps & P_NOBODY)) {
		for (size_t off = 0; off < m->body_len && !skip; off += CHUNK) {
			size_t n = m->body_len - off < CHUNK ? m->body_len - off : CHUNK;
			if (!put(c, 'B', m->body + off, n))
				goto io_fail;
			if (!step(c, P_NR_BODY, &o, &skip, err, errlen))
				goto end;
		}
	}
	if (!put_macros(c, 'E', "i", qid, NULL) || !put(c, 'E', NULL, 0))
		goto io_fail;
	for (;;) {
		char cmd;
		const char *data;
		size_t len;
		if (!get(c, &cmd, &data, &len, err, errlen)) {
			o = LG_ERROR;
			goto end;
		}
		int f = final_outcome(cmd, data, len);
		if (f >= 0) {
			o = (enum lg_outcome)f;
			if (f != LG_ACCEPT)
				snprintf(err, errlen, "reply '%c' %.*s", cmd,
					 (int)(len > 120 ? 120 : len), data);
			break;
		}
		if (strchr("p+-2ehimbql", cmd))   /* progress, modifications */
			continue;
		snprintf(err, errlen, "unexpected reply '%c' at end of message", cmd);
		o = LG_ERROR;
		goto end;
	}
end:
	if (o != LG_ERROR && !put(c, 'A', NULL, 0))
		goto io_fail;
	return o;
io_fail:
	snprintf(err, errlen, "write: %s", strerror(errno));
	return LG_ERROR;
}

static const lg_proto milter_proto = {
	.prog = "milter_load",
	.addr_help = "the filter's socket, unix:PATH or inet:PORT@HOST",
	.check_addr = check_addr,
	.prepare = NULL,
	.open = mopen,
	.send = msend,
	.close = mclose,
};

int main(int argc, char **argv)
{
	return lg_main(argc, argv, &milter_proto);
}
