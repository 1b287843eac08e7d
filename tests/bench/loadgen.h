/*
 * loadgen.h - the part of the load generators milter_load and smtp_load
 * that does not know the protocol: message sets, the weighted mix, worker
 * threads, the timing, CPU accounting and the result table.
 *
 * SYNOPSIS
 *	int main(int argc, char **argv)
 *	{
 *		return lg_main(argc, argv, &my_protocol);
 *	}
 *
 * DESCRIPTION
 *	A protocol module supplies an lg_proto: prepare() turns a loaded
 *	message into the form it sends (called once per message, before any
 *	measurement), open() makes a connection to a target, send() sends one
 *	message over it and returns how the peer answered it, close() ends
 *	the connection.  lg_main() parses the common options (see the usage
 *	text in loadgen.c), loads the sets, and for every round, set and
 *	concurrency measures every target in turn (the targets alternate, so
 *	a slow spell of a shared machine hits them alike), then prints one
 *	table.
 *
 *	A connection is used by one worker thread only; the module needs no
 *	locking.  A message's qid is unique in the run ("LG" + hex digits);
 *	the module uses it for the queue id and the envelope sender, so that
 *	no two messages of a run have the same envelope (the milter's
 *	retry recognition would otherwise skip keeping them).
 */
#ifndef MG_BENCH_LOADGEN_H
#define MG_BENCH_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum lg_outcome {
	LG_ACCEPT,       /* accepted (milter: accept/continue; SMTP: 2xx) */
	LG_TEMPFAIL,     /* milter: tempfail or a 4xx reply; SMTP: 4xx */
	LG_REJECT,       /* milter: reject or a 5xx reply; SMTP: 5xx */
	LG_DISCARD,      /* milter: discard */
	LG_ERROR,        /* I/O or protocol error: the connection is dropped */
	LG_N_OUTCOMES
};

typedef struct lg_msg {
	char *path;
	const char *set;       /* name of the set it was loaded into */
	char *raw;             /* the file as read */
	size_t raw_len;
	/* the header, parsed (prepare() may use it): name and value of each
	 * field, the value being everything after the colon with its leading
	 * blanks, folded lines joined by a bare LF, no line end at its end */
	size_t nhdr;
	char **hname;
	char **hvalue;
	/* the body with CRLF line ends */
	char *body;
	size_t body_len;
	void *proto;           /* prepare()'s own form, if any */
} lg_msg;

typedef struct lg_target {
	char *name;
	char *addr;            /* as given: the module parses it */
	pid_t pid;             /* 0: none; its CPU time is measured */
} lg_target;

typedef struct lg_proto {
	const char *prog;
	const char *addr_help;             /* one line for the usage text */
	bool (*check_addr)(const char *addr, char *err, size_t errlen);
	void (*prepare)(lg_msg *m);        /* may be NULL */
	void *(*open)(const lg_target *t, char *err, size_t errlen);
	enum lg_outcome (*send)(void *conn, const lg_msg *m, const char *qid,
				char *err, size_t errlen);
	void (*close)(void *conn, bool clean);
} lg_proto;

int lg_main(int argc, char **argv, const lg_proto *proto);

/* Helpers for the modules. */
double lg_now(void);                               /* monotonic seconds */
int lg_connect(const char *addr, char *err, size_t errlen);  /* unix:PATH, inet:PORT@HOST, HOST:PORT */
bool lg_write_all(int fd, const void *buf, size_t len);
extern const char *lg_sender_domain;  /* --from-domain */
extern const char *lg_rcpt;           /* --rcpt */
extern int lg_timeout;                /* seconds for one read or write */

#endif
