/*
 * release.c - the SMTP client of mugaika release (see release.h).
 *
 * SYNOPSIS
 *	bool mg_release_parse_relay(relay, &host, &port, &err);
 *	mg_release_result *mg_release_send(relay, timeout, helo, mail_from,
 *					   rcpts, n, msg, len);
 *	void mg_release_tally(r, &delivered, &temporary, &permanent);
 *	void mg_release_result_free(r);
 *
 * DESCRIPTION
 *	Plain POSIX sockets, non-blocking, every wait a poll(2) bounded by
 *	the timeout.  Replies are read line by line ("NNN-" continues, "NNN "
 *	ends; a line without a code is a protocol error); a reply longer than
 *	64 KB is an error too.  The message is sent in 64 KB pieces while it
 *	is converted: a bare LF becomes CRLF, a bare CR is left alone, a dot at
 *	the start of a line is doubled, and a last line without its end gets
 *	one.
 *
 *	An address that holds a control character, '<' or '>' is not sent
 *	(the index was changed by hand): MAIL FROM fails, or that recipient
 *	is refused without asking the relay.
 *
 * DIAGNOSTICS
 *	None printed: every failure is described in the result, in words
 *	that name the relay, the command and the reply.
 *
 * MEMORY
 *	GLib allocation; out-of-memory aborts.
 */
#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MAX (64 * 1024)
#define CHUNK (64 * 1024)

typedef struct {
	int fd;
	gint64 timeout_us;
	char buf[4096];
	size_t have, pos;
	bool ext_8bitmime, ext_smtputf8;
	char *relay;
} smtp;

/* A reply: its code (0 when there was none) and text. */
typedef struct {
	int code;
	GString *text;
} reply;

/* ---- the relay's address ---------------------------------------------------- */

static bool
valid_port(const char *p)
{
	guint64 n;

	return g_ascii_string_to_unsigned(p, 10, 1, 65535, &n, NULL);
}

bool
mg_release_parse_relay(const char *relay, char **host, char **port, char **err)
{
	const char *colon = relay ? strrchr(relay, ':') : NULL;
	const char *h = relay, *hend = colon;

	if (relay && relay[0] == '[') {
		const char *close = strchr(relay, ']');
		h = relay + 1;
		hend = close;
		colon = close && close[1] == ':' ? close + 1 : NULL;
	}
	if (!colon || !hend || hend <= h || !valid_port(colon + 1) ||
	    (relay[0] != '[' && memchr(h, ':', (size_t)(hend - h)))) {
		*err = g_strdup_printf("release_relay '%s' is not HOST:PORT or [ADDR]:PORT",
				       relay ? relay : "");
		return false;
	}
	*host = g_strndup(h, (gsize)(hend - h));
	*port = g_strdup(colon + 1);
	return true;
}

/* ---- connection ------------------------------------------------------------ */

/* Waits for events on fd until the deadline; false on timeout or error. */
static bool
wait_fd(int fd, short events, gint64 deadline)
{
	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		struct pollfd p = { .fd = fd, .events = events };
		if (left <= 0)
			return false;
		int n = poll(&p, 1, (int)MIN(left, G_MAXINT));
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
}

static int
connect_one(const struct addrinfo *ai, gint64 timeout_us, int *error)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	int soerr = 0;
	socklen_t len = sizeof soerr;

	*error = errno;
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	*error = errno;
	if (errno == EINPROGRESS) {
		*error = ETIMEDOUT;
		if (wait_fd(fd, POLLOUT, g_get_monotonic_time() + timeout_us) &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0)
			*error = soerr;
		if (*error == 0)
			return fd;
	}
	close(fd);
	return -1;
}

/* Connects to the relay; -1 with *err. */
static int
connect_relay(const char *relay, gint64 timeout_us, char **err)
{
	char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int fd = -1, error = 0;

	if (!mg_release_parse_relay(relay, &host, &port, err))
		return -1;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		*err = g_strdup_printf("release_relay %s: %s", relay, gai_strerror(rc));
	for (struct addrinfo *a = ai; rc == 0 && a && fd < 0; a = a->ai_next)
		fd = connect_one(a, timeout_us, &error);
	if (rc == 0 && fd < 0)
		*err = g_strdup_printf("release_relay %s: cannot connect: %s", relay,
				       g_strerror(error));
	if (ai)
		freeaddrinfo(ai);
	g_free(host);
	g_free(port);
	return fd;
}

/* ---- reading replies ---------------------------------------------------------- */

/* Next byte, waiting until deadline; -1 on EOF, error or timeout. */
static int
next_byte(smtp *c, gint64 deadline)
{
	while (c->pos == c->have) {
		ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (n > 0) {
			c->have = (size_t)n;
			c->pos = 0;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(c->fd, POLLIN, deadline))
				return -1;
		} else
			return -1;
	}
	return (unsigned char)c->buf[c->pos++];
}

/* One line without its CRLF into line; false on EOF, timeout or overflow. */
static bool
read_line(smtp *c, GString *line, gint64 deadline)
{
	int ch;

	g_string_truncate(line, 0);
	while ((ch = next_byte(c, deadline)) >= 0 && ch != '\n') {
		if (line->len >= REPLY_MAX)
			return false;
		if (ch != '\r')
			g_string_append_c(line, (char)ch);
	}
	return ch == '\n';
}

/* Reads a whole reply into r; r->code 0 with the reason in r->text when
 * there is none. */
static void
read_reply(smtp *c, reply *r)
{
	gint64 deadline = g_get_monotonic_time() + c->timeout_us;
	GString *line = g_string_new(NULL);
	bool more = true;

	r->code = 0;
	g_string_truncate(r->text, 0);
	while (more) {
		if (!read_line(c, line, deadline) || r->text->len > REPLY_MAX) {
			g_string_assign(r->text, "no reply (connection closed, timed out "
					"or reply too long)");
			r->code = 0;
			break;
		}
		if (line->len < 3 || !g_ascii_isdigit(line->str[0]) ||
		    !g_ascii_isdigit(line->str[1]) || !g_ascii_isdigit(line->str[2]) ||
		    (line->len > 3 && line->str[3] != '-' && line->str[3] != ' ')) {
			g_string_printf(r->text, "not an SMTP reply: %.80s", line->str);
			r->code = 0;
			break;
		}
		r->code = (line->str[0] - '0') * 100 + (line->str[1] - '0') * 10 +
			  (line->str[2] - '0');
		more = line->len > 3 && line->str[3] == '-';
		g_string_append_printf(r->text, "%s%s", r->text->len ? " / " : "", line->str);
	}
	g_string_free(line, TRUE);
}

/* ---- writing -------------------------------------------------------------------- */

static bool
send_all(smtp *c, const char *data, size_t len)
{
	gint64 deadline = g_get_monotonic_time() + c->timeout_us;

	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(c->fd, POLLOUT, deadline))
				return false;
		} else
			return false;
	}
	return true;
}

/* Sends a command line and reads the reply to it. */
static void
command(smtp *c, reply *r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
command(smtp *c, reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *crlf = g_strconcat(line, "\r\n", NULL);
	if (send_all(c, crlf, strlen(crlf)))
		read_reply(c, r);
	else {
		r->code = 0;
		g_string_printf(r->text, "cannot send %.20s: %s", line, g_strerror(errno));
	}
	g_free(crlf);
	g_free(line);
}

/* The message as DATA carries it, sent in pieces; false when sending fails. */
static bool
send_data(smtp *c, const char *msg, size_t len)
{
	GString *out = g_string_sized_new(CHUNK + 8);
	bool bol = true, ok = true;

	for (size_t i = 0; ok && i < len; i++) {
		char ch = msg[i];
		if (bol && ch == '.')
			g_string_append_c(out, '.');
		if (ch == '\n' || (ch == '\r' && i + 1 < len && msg[i + 1] == '\n')) {
			i += ch == '\r';
			g_string_append(out, "\r\n");
			bol = true;
		} else {
			g_string_append_c(out, ch);
			bol = false;
		}
		if (out->len >= CHUNK) {
			ok = send_all(c, out->str, out->len);
			g_string_truncate(out, 0);
		}
	}
	g_string_append(out, bol ? ".\r\n" : "\r\n.\r\n");
	ok = ok && send_all(c, out->str, out->len);
	g_string_free(out, TRUE);
	return ok;
}

/* ---- the session ------------------------------------------------------------------ */

static bool
address_ok(const char *a)
{
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static bool
has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] & 0x80)
			return true;
	return false;
}

static void
fail_all(mg_release_result *res, const char *stage, const reply *r, const char *relay)
{
	res->error = g_strdup_printf("release_relay %s: %s: %s", relay, stage, r->text->str);
	res->code = r->code;
	res->temporary = r->code / 100 != 5;
}

static void
set_rcpt(mg_release_rcpt *rr, const reply *r)
{
	rr->code = r->code;
	g_free(rr->reply);
	rr->reply = g_strdup(r->text->str);
}

static void
note_extensions(smtp *c, const reply *r)
{
	char *upper = g_ascii_strup(r->text->str, -1);

	c->ext_8bitmime = strstr(upper, "8BITMIME") != NULL;
	c->ext_smtputf8 = strstr(upper, "SMTPUTF8") != NULL;
	g_free(upper);
}

/* Greeting, EHLO (or HELO) and MAIL FROM; false with res->error. */
static bool
open_transaction(smtp *c, reply *r, mg_release_result *res, const char *helo,
		 const char *from, bool eightbit, bool utf8)
{
	read_reply(c, r);
	if (r->code != 220) {
		fail_all(res, "greeting", r, c->relay);
		return false;
	}
	command(c, r, "EHLO %s", helo);
	if (r->code / 100 == 5)
		command(c, r, "HELO %s", helo);
	else
		note_extensions(c, r);
	if (r->code / 100 != 2) {
		fail_all(res, "EHLO", r, c->relay);
		return false;
	}
	if (!address_ok(from)) {
		res->error = g_strdup("the envelope sender holds characters SMTP cannot carry");
		return false;
	}
	command(c, r, "MAIL FROM:<%s>%s%s", from,
		eightbit && c->ext_8bitmime ? " BODY=8BITMIME" : "",
		utf8 && c->ext_smtputf8 ? " SMTPUTF8" : "");
	if (r->code / 100 != 2) {
		fail_all(res, "MAIL FROM", r, c->relay);
		return false;
	}
	return true;
}

/* RCPT TO for each; the number accepted. */
static guint
add_rcpts(smtp *c, reply *r, mg_release_result *res)
{
	guint accepted = 0;

	for (guint i = 0; i < res->rcpts->len; i++) {
		mg_release_rcpt *rr = g_ptr_array_index(res->rcpts, i);
		if (!address_ok(rr->rcpt)) {
			rr->code = 553;
			rr->reply = g_strdup("not sent: the address holds characters SMTP "
					     "cannot carry");
			continue;
		}
		command(c, r, "RCPT TO:<%s>", rr->rcpt);
		set_rcpt(rr, r);
		accepted += r->code / 100 == 2;
	}
	return accepted;
}

/* DATA, the message, and the reply to its end, given to each accepted
 * recipient. */
static void
send_message(smtp *c, reply *r, mg_release_result *res, const char *msg, size_t len)
{
	command(c, r, "DATA");
	if (r->code == 354) {
		if (send_data(c, msg, len))
			read_reply(c, r);
		else {
			r->code = 0;
			g_string_printf(r->text, "cannot send the message: %s", g_strerror(errno));
		}
	}
	for (guint i = 0; i < res->rcpts->len; i++) {
		mg_release_rcpt *rr = g_ptr_array_index(res->rcpts, i);
		if (rr->code / 100 != 2)
			continue;
		set_rcpt(rr, r);
		rr->delivered = r->code / 100 == 2;
	}
	if (r->code / 100 == 2)
		res->queued = g_strdup(r->text->str);
	else
		fail_all(res, r->code == 0 || r->code == 354 ? "DATA" : "end of data", r,
			 c->relay);
}

static mg_release_result *
result_new(char *const *rcpts, guint n)
{
	mg_release_result *res = g_new0(mg_release_result, 1);

	res->rcpts = g_ptr_array_new();
	for (guint i = 0; i < n; i++) {
		mg_release_rcpt *rr = g_new0(mg_release_rcpt, 1);
		rr->rcpt = g_strdup(rcpts[i]);
		g_ptr_array_add(res->rcpts, rr);
	}
	return res;
}

/* Recipients that never got an answer of their own share the message's. */
static void
fill_unanswered(mg_release_result *res)
{
	for (guint i = 0; res->error && i < res->rcpts->len; i++) {
		mg_release_rcpt *rr = g_ptr_array_index(res->rcpts, i);
		if (!rr->reply) {
			rr->reply = g_strdup(res->error);
			rr->code = res->code;
		}
	}
}

static bool
any_utf8(const char *from, char *const *rcpts, guint n)
{
	bool utf8 = has_8bit(from, strlen(from));

	for (guint i = 0; i < n && !utf8; i++)
		utf8 = has_8bit(rcpts[i], strlen(rcpts[i]));
	return utf8;
}

mg_release_result *
mg_release_send(const char *relay, unsigned timeout_seconds, const char *helo,
		const char *mail_from, char *const *rcpts, guint n, const char *msg,
		size_t len)
{
	mg_release_result *res = result_new(rcpts, n);
	smtp c = { .timeout_us = (gint64)timeout_seconds * G_USEC_PER_SEC,
		   .relay = (char *)relay };
	reply r = { 0, g_string_new(NULL) };

	c.fd = connect_relay(relay, c.timeout_us, &res->error);
	res->temporary = true;
	if (c.fd >= 0 && open_transaction(&c, &r, res, helo, mail_from ? mail_from : "",
					  has_8bit(msg, len), any_utf8(mail_from ? mail_from : "",
								       rcpts, n))) {
		if (add_rcpts(&c, &r, res) > 0)
			send_message(&c, &r, res, msg, len);
		else {
			guint d, t, p;
			mg_release_tally(res, &d, &t, &p);
			res->error = g_strdup_printf("release_relay %s: no recipient was "
						     "accepted", relay);
			res->temporary = t > 0;
		}
	}
	if (c.fd >= 0) {
		command(&c, &r, "QUIT");
		close(c.fd);
	}
	fill_unanswered(res);
	g_string_free(r.text, TRUE);
	return res;
}

void
mg_release_tally(const mg_release_result *r, guint *delivered, guint *temporary,
		 guint *permanent)
{
	*delivered = *temporary = *permanent = 0;
	for (guint i = 0; i < r->rcpts->len; i++) {
		const mg_release_rcpt *rr = g_ptr_array_index(r->rcpts, i);
		if (rr->delivered)
			(*delivered)++;
		else if (rr->code / 100 == 5)
			(*permanent)++;
		else
			(*temporary)++;
	}
}

void
mg_release_result_free(mg_release_result *r)
{
	if (!r)
		return;
	for (guint i = 0; i < r->rcpts->len; i++) {
		mg_release_rcpt *rr = g_ptr_array_index(r->rcpts, i);
		g_free(rr->rcpt);
		g_free(rr->reply);
		g_free(rr);
	}
	g_ptr_array_unref(r->rcpts);
	g_free(r->error);
	g_free(r->queued);
	g_free(r);
}
