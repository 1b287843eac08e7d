/*
 * null_milter.c - a libmilter filter that does nothing: the ceiling the
 * milter benchmark measures mugaika-milter against.
 *
 * SYNOPSIS
 *	null_milter -p SOCKET [-P PIDFILE] [-T TIMEOUT]
 *
 * DESCRIPTION
 *	Negotiates what mugaika-milter negotiates (src/milter.c): the actions
 *	SMFIF_CHGBODY | SMFIF_CHGHDRS | SMFIF_ADDHDRS (a connection whose MTA
 *	does not offer them is refused), no DATA, end-of-header or unknown
 *	steps, no replies to connect, HELO, MAIL, RCPT, header and body, and
 *	header values with their leading space.  It registers the same
 *	callbacks, keeps a small per-connection context as mugaika does, and
 *	answers every message with continue (accepted, unchanged) at its end.
 *	So the MTA-to-filter traffic is the same as mugaika's, and what is
 *	left is libmilter's own cost: a thread per connection, reading and
 *	dispatching the packets.
 *
 *	Runs in the foreground until SIGTERM, SIGINT or SIGHUP (libmilter's
 *	own handling: it may take a few seconds to exit).  SOCKET is
 *	unix:PATH or inet:PORT@ADDR; an old unix socket is removed first.
 *
 * EXIT STATUS
 *	0 when stopped, 64 wrong options, 71 the socket could not be opened.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define REQUIRED_ACTIONS (SMFIF_CHGBODY | SMFIF_CHGHDRS | SMFIF_ADDHDRS)
#define UNUSED_STEPS (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH)
#define NO_REPLY_STEPS (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			SMFIP_NR_HDR | SMFIP_NR_BODY)

typedef struct {
	unsigned long steps;
	unsigned long messages;
} conn;

static sfsistat go_on(SMFICTX *ctx, unsigned long no_reply_flag)
{
	const conn *c = smfi_getpriv(ctx);

	return c && (c->steps & no_reply_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat nf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3, unsigned long *pf0,
			     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	if ((f0 & REQUIRED_ACTIONS) != REQUIRED_ACTIONS)
		return SMFIS_REJECT;
	conn *c = calloc(1, sizeof *c);
	if (!c)
		return SMFIS_TEMPFAIL;
	c->steps = f1 & (UNUSED_STEPS | NO_REPLY_STEPS | SMFIP_HDR_LEADSPC);
	*pf0 = REQUIRED_ACTIONS;
	*pf1 = c->steps;
	*pf2 = 0;
	*pf3 = 0;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat nf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)host;
	(void)addr;
	return go_on(ctx, SMFIP_NR_CONN);
}

static sfsistat nf_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	return go_on(ctx, SMFIP_NR_HELO);
}

static sfsistat nf_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return go_on(ctx, SMFIP_NR_MAIL);
}

static sfsistat nf_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return go_on(ctx, SMFIP_NR_RCPT);
}

static sfsistat nf_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name;
	(void)value;
	return go_on(ctx, SMFIP_NR_HDR);
}

static sfsistat nf_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	(void)data;
	(void)len;
	return go_on(ctx, SMFIP_NR_BODY);
}

static sfsistat nf_eom(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c)
		c->messages++;
	return SMFIS_CONTINUE;
}

static sfsistat nf_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nf_close(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c) {
		smfi_setpriv(ctx, NULL);
		free(c);
	}
	return SMFIS_CONTINUE;
}

static void usage(void)
{
	fputs("usage: null_milter -p SOCKET [-P PIDFILE] [-T TIMEOUT]\n", stderr);
	exit(EX_USAGE);
}

int main(int argc, char **argv)
{
	static struct smfiDesc desc = {
		.xxfi_name = "null_milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = REQUIRED_ACTIONS,
		.xxfi_connect = nf_connect,
		.xxfi_helo = nf_helo,
		.xxfi_envfrom = nf_envfrom,
		.xxfi_envrcpt = nf_envrcpt,
		.xxfi_header = nf_header,
		.xxfi_body = nf_body,
		.xxfi_eom = nf_eom,
		.xxfi_abort = nf_abort,
		.xxfi_close = nf_close,
		.xxfi_negotiate = nf_negotiate,
	};
	const char *sock = NULL, *pidfile = NULL;
	int timeout = 600, opt;

	while ((opt = getopt(argc, argv, "p:P:T:")) != -1) {
		switch (opt) {
		case 'p': sock = optarg; break;
		case 'P': pidfile = optarg; break;
		case 'T': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (!sock || optind != argc || timeout <= 0)
		usage();
	if (strncmp(sock, "unix:", 5) == 0)
		unlink(sock + 5);
	if (smfi_setconn((char *)sock) != MI_SUCCESS || smfi_settimeout(timeout) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot open %s\n", sock);
		return EX_OSERR;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "null_milter: cannot write %s\n", pidfile);
			return EX_CANTCREAT;
		}
	}
	fprintf(stderr, "null_milter: listening on %s\n", sock);
	int rc = smfi_main() == MI_SUCCESS ? EX_OK : EX_OSERR;
	if (pidfile)
		unlink(pidfile);
	return rc;
}
