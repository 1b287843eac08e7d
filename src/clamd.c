/*
 * clamd.c - the clamd client: INSTREAM and VERSION over a unix or TCP
 * socket (see clamd.h).
 *
 * SYNOPSIS
 *	mg_clamd *mg_clamd_new(const char *spec, unsigned timeout, char **err);
 *	void mg_clamd_free(mg_clamd *c);
 *	const char *mg_clamd_spec(const mg_clamd *c);
 *	mg_scan_result mg_clamd_scan(const mg_clamd *c, const void *data,
 *				     size_t len, char **name);
 *	bool mg_clamd_version(const mg_clamd *c, char **text,
 *			      unsigned *db_version, time_t *db_time, char **err);
 *
 * DESCRIPTION
 *	Every call opens its own connection and closes it.  Commands use the
 *	"z" form: the command and the reply each end in a NUL byte.  INSTREAM
 *	sends the data in chunks of at most CHUNK bytes, each after its
 *	length as 4 bytes in network order, then a zero length.  Replies:
 *
 *	  "stream: OK"                          MG_SCAN_CLEAN
 *	  "stream: NAME FOUND"                  mg_scan_classify_name(NAME)
 *	  "INSTREAM size limit exceeded. ERROR" MG_SCAN_SUSPICIOUS, named
 *	            Heuristics.Limits.Exceeded.StreamMaxLength (a limit hit,
 *	            like libclamav's own Heuristics.Limits.Exceeded.*)
 *	  "... ERROR", no reply, anything else  MG_SCAN_ERROR
 *
 *	clamd closes the connection as soon as a stream passes its
 *	StreamMaxLength; the reply it wrote before is still read when a send
 *	fails.  All socket I/O is non-blocking against one deadline (timeout
 *	seconds from the start of the call), and never raises SIGPIPE.
 *
 * DIAGNOSTICS
 *	Failures are returned as text, "clamd SPEC: step: reason", for the
 *	caller to log or put in the verdict; nothing is logged here.
 *
 * MEMORY
 *	GLib allocation: running out of memory aborts.
 */
#include "clamd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNK (64 * 1024)	/* bytes of data per INSTREAM chunk */
#define REPLY_MAX 4096		/* longest reply accepted */
#define STREAM_LIMIT_NAME "Heuristics.Limits.Exceeded.StreamMaxLength"

struct mg_clamd {
	char *spec;		/* as configured, for messages */
	char *path;		/* unix socket path, or NULL for TCP */
	char *host;		/* TCP host and port */
	char *port;
	int family;		/* AF_UNIX, AF_INET or AF_INET6 */
	unsigned timeout;	/* seconds per call */
};

/* ---- the socket setting ------------------------------------------------- */

static const char *
after_prefix(const char *s, const char *prefix)
{
	return g_str_has_prefix(s, prefix) ? s + strlen(prefix) : NULL;
}

static bool
parse_inet(mg_clamd *c, const char *rest)
{
	const char *at = strchr(rest, '@');

	if (!at || at == rest || !at[1] || strspn(rest, "0123456789") !=
	    (size_t)(at - rest))
		return false;
	c->port = g_strndup(rest, (size_t)(at - rest));
	if (at[1] == '[' && g_str_has_suffix(at, "]"))
		c->host = g_strndup(at + 2, strlen(at + 2) - 1);
	else
		c->host = g_strdup(at + 1);
	return atoi(c->port) > 0 && atoi(c->port) < 65536;
}

static bool
parse_spec(mg_clamd *c, const char *spec)
{
	const char *rest;

	if ((rest = after_prefix(spec, "unix:")) ||
	    (rest = after_prefix(spec, "local:"))) {
		c->family = AF_UNIX;
		c->path = g_strdup(rest);
		return *rest == '/' &&
		       strlen(rest) < sizeof(((struct sockaddr_un *)0)->sun_path);
	}
	if ((rest = after_prefix(spec, "inet:"))) {
		c->family = AF_INET;
		return parse_inet(c, rest);
	}
	if ((rest = after_prefix(spec, "inet6:"))) {
		c->family = AF_INET6;
		return parse_inet(c, rest);
	}
	return false;
}

mg_clamd *
mg_clamd_new(const char *spec, unsigned timeout, char **err)
{
	mg_clamd *c = g_new0(mg_clamd, 1);

	c->spec = g_strdup(spec ? spec : "");
	c->timeout = timeout ? timeout : 1;
	if (!spec || !parse_spec(c, spec)) {
		*err = g_strdup_printf("clamd_socket: '%s' is not unix:/PATH, "
				       "inet:PORT@HOST or inet6:PORT@HOST", c->spec);
		mg_clamd_free(c);
		return NULL;
	}
	return c;
}

void
mg_clamd_free(mg_clamd *c)
{
	if (!c)
		return;
	g_free(c->spec);
	g_free(c->path);
	g_free(c->host);
	g_free(c->port);
	g_free(c);
}

const char *
mg_clamd_spec(const mg_clamd *c)
{
	return c->spec;
}

/* ---- one connection with a deadline ------------------------------------- */

typedef struct {
	const mg_clamd *c;
	int fd;
	gint64 deadline;	/* g_get_monotonic_time() units (microseconds) */
	char *err;		/* the first failure */
} conn;

static bool
conn_fail_text(conn *k, const char *step, const char *reason)
{
	if (!k->err)
		k->err = g_strdup_printf("clamd %s: %s: %s", k->c->spec, step, reason);
	return false;
}

static bool
conn_fail(conn *k, const char *step, int errnum)
{
	return conn_fail_text(k, step, g_strerror(errnum));
}

static void
conn_close(conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/* Waits until fd is ready for events, or fails at the deadline. */
static bool
conn_wait(conn *k, short events, const char *step)
{
	for (;;) {
		gint64 left = k->deadline - g_get_monotonic_time();
		if (left <= 0) {
			char *why = g_strdup_printf("no answer within %u s",
						    k->c->timeout);
			conn_fail_text(k, step, why);
			g_free(why);
			return false;
		}
		struct pollfd p = { .fd = k->fd, .events = events };
		int n = poll(&p, 1, (int)MIN(left / 1000 + 1, INT_MAX));
		if (n > 0)
			return true;	/* ready, or an error the next call reports */
		if (n < 0 && errno != EINTR)
			return conn_fail(k, step, errno);
	}
}

static bool
connect_addr(conn *k, const struct sockaddr *sa, socklen_t len)
{
	int soerr = 0;
	socklen_t solen = sizeof soerr;

	k->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0)
		return conn_fail(k, "socket", errno);
	if (sa->sa_family != AF_UNIX) {
		int one = 1;
		(void)setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (connect(k->fd, sa, len) == 0)
		return true;
	if (errno != EINPROGRESS && errno != EINTR)
		soerr = errno;
	else if (!conn_wait(k, POLLOUT, "connect"))
		soerr = -1;
	else if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &soerr, &solen) < 0)
		soerr = errno;
	if (soerr == 0)
		return true;
	conn_close(k);
	return soerr < 0 ? false : conn_fail(k, "connect", soerr);
}

static bool
connect_unix(conn *k)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	g_strlcpy(sun.sun_path, k->c->path, sizeof sun.sun_path);
	return connect_addr(k, (struct sockaddr *)&sun, sizeof sun);
}

/* Tries each address of host in turn; the error is the last one's. */
static bool
connect_inet(conn *k)
{
	struct addrinfo hints = { .ai_family = k->c->family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(k->c->host, k->c->port, &hints, &res);

	if (rc != 0)
		return conn_fail_text(k, "address", gai_strerror(rc));
	bool ok = false;
	for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
		g_clear_pointer(&k->err, g_free);
		ok = connect_addr(k, ai->ai_addr, ai->ai_addrlen);
	}
	freeaddrinfo(res);
	return ok;
}

static bool
conn_open(conn *k, const mg_clamd *c)
{
	k->c = c;
	k->fd = -1;
	k->err = NULL;
	k->deadline = g_get_monotonic_time() + (gint64)c->timeout * G_USEC_PER_SEC;
	return c->family == AF_UNIX ? connect_unix(k) : connect_inet(k);
}

static bool
conn_send(conn *k, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(k->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!conn_wait(k, POLLOUT, "send"))
				return false;
		} else if (errno != EINTR)
			return conn_fail(k, "send", errno);
	}
	return true;
}

/* Appends received bytes up to a NUL; true when the reply is complete. */
static bool
reply_append(GString *r, const char *buf, size_t n)
{
	const char *nul = memchr(buf, '\0', n);

	g_string_append_len(r, buf, nul ? nul - buf : (gssize)n);
	return nul != NULL;
}

/* The reply up to its NUL (or the end of the connection), without a
 * trailing newline; NULL with k->err when there is none. */
static char *
conn_reply(conn *k)
{
	GString *r = g_string_new(NULL);
	char buf[512];
	bool done = false;

	while (!done && r->len <= REPLY_MAX) {
		ssize_t n = recv(k->fd, buf, sizeof buf, 0);
		if (n > 0)
			done = reply_append(r, buf, (size_t)n);
		else if (n == 0)
			done = true;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!conn_wait(k, POLLIN, "reply"))
				break;
		} else if (errno != EINTR) {
			conn_fail(k, "reply", errno);
			break;
		}
	}
	while (r->len && (r->str[r->len - 1] == '\n' || r->str[r->len - 1] == '\r'))
		g_string_truncate(r, r->len - 1);
	if (done && r->len && r->len <= REPLY_MAX)
		return g_string_free(r, FALSE);
	if (done)
		conn_fail_text(k, "reply", r->len ? "too long" : "connection closed "
			       "without a reply");
	g_string_free(r, TRUE);
	return NULL;
}

/* ---- INSTREAM ----------------------------------------------------------- */

static bool
send_stream(conn *k, const void *data, size_t len)
{
	static const char cmd[] = "zINSTREAM";	/* sent with its NUL */
	guint8 *buf = g_malloc(4 + MIN(len, (size_t)CHUNK));
	const guint8 *p = data;
	bool ok = conn_send(k, cmd, sizeof cmd);

	while (ok && len) {
		size_t n = MIN(len, (size_t)CHUNK);
		guint32 be = htonl((guint32)n);
		memcpy(buf, &be, 4);
		memcpy(buf + 4, p, n);
		ok = conn_send(k, buf, 4 + n);
		p += n;
		len -= n;
	}
	if (ok) {
		guint32 end = 0;
		ok = conn_send(k, &end, 4);
	}
	g_free(buf);
	return ok;
}

/* Control characters of a reply shown as '?', so it stays one log line. */
static char *
printable(const char *s)
{
	char *t = g_strdup(s);

	for (char *p = t; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return t;
}

static mg_scan_result
parse_reply(const mg_clamd *c, const char *reply, char **name)
{
	const char *status = strstr(reply, ": ");
	size_t n;

	status = status ? status + 2 : reply;
	n = strlen(status);
	if (g_str_has_suffix(reply, "ERROR") && strstr(reply, "size limit exceeded")) {
		*name = g_strdup(STREAM_LIMIT_NAME);
		return MG_SCAN_SUSPICIOUS;
	}
	if (strcmp(status, "OK") == 0)
		return MG_SCAN_CLEAN;
	if (n > 6 && g_str_has_suffix(status, " FOUND")) {
		*name = printable(status);
		(*name)[n - 6] = '\0';
		return mg_scan_classify_name(*name);
	}
	char *shown = printable(reply);
	*name = g_strdup_printf("clamd %s: %s%s", c->spec,
				g_str_has_suffix(reply, "ERROR") ? "" : "unexpected reply: ",
				shown);
	g_free(shown);
	return MG_SCAN_ERROR;
}

mg_scan_result
mg_clamd_scan(const mg_clamd *c, const void *data, size_t len, char **name)
{
	conn k;
	mg_scan_result result = MG_SCAN_ERROR;
	char *reply = NULL;

	*name = NULL;
	if (conn_open(&k, c)) {
		bool sent = send_stream(&k, data, len);
		reply = conn_reply(&k);		/* also after a failed send */
		if (!sent && reply && !strstr(reply, "ERROR"))
			g_clear_pointer(&reply, g_free);
	}
	if (reply)
		result = parse_reply(c, reply, name);
	else
		*name = g_strdup(k.err ? k.err : "clamd: no reply");
	conn_close(&k);
	g_free(reply);
	g_free(k.err);
	return result;
}

/* ---- VERSION ------------------------------------------------------------ */

/* "ClamAV 1.4.6/27500/Sun Jan  5 08:10:00 2025": the database's version
 * and time (local time, as clamd writes it); both 0 when absent. */
static void
parse_version(const char *text, unsigned *db_version, time_t *db_time)
{
	char **f = g_strsplit(text, "/", 3);
	struct tm tm = { .tm_isdst = -1 };

	*db_version = 0;
	*db_time = 0;
	if (f[0] && f[1] && f[2]) {
		*db_version = (unsigned)strtoul(f[1], NULL, 10);
		const char *end = strptime(f[2], "%a %b %d %H:%M:%S %Y", &tm);
		if (end && !*end)
			*db_time = mktime(&tm);
		if (*db_time < 0)
			*db_time = 0;
	}
	g_strfreev(f);
}

bool
mg_clamd_version(const mg_clamd *c, char **text, unsigned *db_version,
		 time_t *db_time, char **err)
{
	static const char cmd[] = "zVERSION";
	conn k;
	char *reply = NULL;

	if (conn_open(&k, c) && conn_send(&k, cmd, sizeof cmd))
		reply = conn_reply(&k);
	conn_close(&k);
	if (!reply) {
		*err = k.err ? k.err : g_strdup("clamd: no reply");
		return false;
	}
	g_free(k.err);
	parse_version(reply, db_version, db_time);
	*text = printable(reply);
	g_free(reply);
	return true;
}
