/*
 * milter.c - the mlfi_* callbacks and the per-connection context.
 *
 * SYNOPSIS
 *	bool mg_milter_register(void);
 *	int mg_milter_in_flight(void);
 *	bool mg_milter_wait_idle(long timeout_ms);
 *
 * DESCRIPTION
 *	Negotiation asks for exactly SMFIF_CHGBODY | SMFIF_CHGHDRS |
 *	SMFIF_ADDHDRS and refuses a connection whose MTA does not offer
 *	them; it turns off the DATA, end-of-header and unknown-command steps,
 *	asks for header values with their leading space (so the header block
 *	is rebuilt byte for byte) and for no replies to the steps that never
 *	answer anything but "continue".  When the MTA offers
 *	SMFIF_SETSYMLIST it asks for {daemon_name} at connect (Postfix and
 *	Sendmail also send it there by default).
 *
 *	Per connection: client address and name, HELO, {daemon_name}.  Per
 *	message (MAIL FROM to its end): the snapshot and the scanner it
 *	started with (taken together), its direction (outbound when
 *	{daemon_name} is on outbound_daemons: scanned, never changed), the
 *	envelope (every RCPT, queue id {i}, {auth_authen}) and the message
 *	buffer.  One reset path, msg_end(), is reached from end of message,
 *	abort, close and a new MAIL FROM; it logs the summary line of a
 *	message that ended without an answer ("aborted").
 *
 *	At end of message the work (decide.c) runs on a thread of a pool
 *	(threads are made as needed and kept while idle, up to
 *	POOL_IDLE_THREADS, instead of one new thread per message) while this
 *	callback's thread sends a progress reply every progress_interval
 *	seconds; then the decision is replayed: header requests, the body in
 *	pieces of at most test_reply_chunk bytes, and the final answer with
 *	its fixed reply text.  Nothing else is sent
 *	between the body pieces (Postfix ends a body replacement at the first
 *	other request).  An outbound message that passes gets no request at
 *	all.  The work thread carries the queue id for libclamav's log lines
 *	(mg_log_set_thread_qid).
 *
 * DIAGNOSTICS
 *	A refused edit request turns the answer into the internal-error
 *	tempfail; the MTA then discards the edits already made.
 */
#include "milter.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "decide.h"
#include "log.h"
#include "msgbuf.h"
#include "recorder.h"
#include "snapshot.h"

#define REQUIRED_ACTIONS (SMFIF_CHGBODY | SMFIF_CHGHDRS | SMFIF_ADDHDRS)
#define UNUSED_STEPS (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH)
#define NO_REPLY_STEPS (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			SMFIP_NR_HDR | SMFIP_NR_BODY)
#define NOQUEUE "NOQUEUE"
#define POOL_IDLE_THREADS 64
#define DAEMON_NAME "{daemon_name}"

typedef struct {
	unsigned long steps;       /* protocol flags agreed on (SMFIP_*) */
	char *client_addr;
	char *client_name;
	char *helo;
	char *daemon_name;         /* the MTA's {daemon_name}, or NULL */
	/* the message in progress, from MAIL FROM to its end */
	mg_snapshot *snap;
	mg_scanner *scanner;       /* NULL: none loaded */
	bool outbound;             /* scan only, change nothing */
	mg_envelope *env;
	mg_msgbuf *buf;
	gint64 started;            /* monotonic, microseconds */
} mg_conn;

static GMutex flight_lock;
static GCond flight_cond;
static int in_flight;

/* ---- small helpers ------------------------------------------------------- */

static void flight_add(int n)
{
	g_mutex_lock(&flight_lock);
	in_flight += n;
	g_cond_broadcast(&flight_cond);
	g_mutex_unlock(&flight_lock);
}

int mg_milter_in_flight(void)
{
	g_mutex_lock(&flight_lock);
	int n = in_flight;
	g_mutex_unlock(&flight_lock);
	return n;
}

bool mg_milter_wait_idle(long timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	g_mutex_lock(&flight_lock);
	while (in_flight > 0 && g_cond_wait_until(&flight_cond, &flight_lock, deadline))
		;
	bool idle = in_flight == 0;
	g_mutex_unlock(&flight_lock);
	return idle;
}

static sfsistat go_on(const mg_conn *c, unsigned long no_reply_flag)
{
	return c && (c->steps & no_reply_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static const char *qid_of(const mg_conn *c)
{
	return c && c->env && c->env->queue_id ? c->env->queue_id : NOQUEUE;
}

static const char *direction(const mg_conn *c)
{
	return c->outbound ? "outbound" : "inbound";
}

/* A macro's value (as "x" or "{x}"), or NULL. */
static const char *macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	if (!v && strlen(name) == 1) {
		char braced[4] = { '{', name[0], '}', '\0' };
		v = smfi_getsymval(ctx, braced);
	}
	return v && *v ? v : NULL;
}

static void update_qid(SMFICTX *ctx, mg_conn *c)
{
	const char *qid = macro(ctx, "i");

	if (qid && c->env && g_strcmp0(qid, c->env->queue_id) != 0) {
		g_free(c->env->queue_id);
		c->env->queue_id = g_strdup(qid);
	}
}

/* "<a@b>" -> "a@b"; "<>" -> "". */
static char *strip_brackets(const char *addr)
{
	size_t n = addr ? strlen(addr) : 0;

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
		return g_strndup(addr + 1, n - 2);
	return g_strdup(addr ? addr : "");
}

static char *address_text(const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];

	if (sa && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf))
		return g_strdup(buf);
	if (sa && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf))
		return g_strconcat("IPv6:", buf, NULL);
	return g_strdup(sa && sa->sa_family == AF_UNIX ? "unix" : "unknown");
}

/* ---- the message: start, the one reset path ------------------------------ */

/* {daemon_name} is on outbound_daemons (any case). */
static bool is_outbound(const mg_config *cfg, const char *daemon_name)
{
	for (char **d = cfg->outbound_daemons; daemon_name && d && *d; d++)
		if (g_ascii_strcasecmp(*d, daemon_name) == 0)
			return true;
	return false;
}

static void msg_start(SMFICTX *ctx, mg_conn *c, const char *from)
{
	c->snap = mg_snapshot_take(&c->scanner);
	if (!c->daemon_name)	/* not sent at connect: perhaps now */
		c->daemon_name = g_strdup(macro(ctx, DAEMON_NAME));
	c->outbound = is_outbound(mg_snapshot_config(c->snap), c->daemon_name);
	c->env = mg_envelope_new();
	c->env->mail_from = strip_brackets(from);
	c->env->client_addr = g_strdup(c->client_addr);
	c->env->client_name = g_strdup(c->client_name);
	c->env->helo = g_strdup(c->helo);
	c->env->auth_name = g_strdup(macro(ctx, "{auth_authen}"));
	c->env->received = time(NULL);
	c->buf = mg_msgbuf_new(mg_snapshot_config(c->snap)->max_memory_message, NULL);
	c->started = g_get_monotonic_time();
	update_qid(ctx, c);
	flight_add(1);
}

static long elapsed_ms(const mg_conn *c)
{
	return (long)((g_get_monotonic_time() - c->started) / 1000);
}

/* Ends the message in progress, if any.  answered: its summary line was
 * already logged at end of message. */
static void msg_end(mg_conn *c, bool answered)
{
	if (!c || !c->env)
		return;
	if (!answered) {
		mg_summary s = { .qid = qid_of(c), .action = "aborted",
				 .direction = direction(c), .in = mg_msgbuf_size(c->buf),
				 .ms = elapsed_ms(c), .at = time(NULL),
				 .mail_from = c->env->mail_from, .rcpts = c->env->rcpts,
				 .client_addr = c->client_addr };
		mg_log_summary(&s, mg_snapshot_config(c->snap)->summary_format);
	}
	mg_msgbuf_free(c->buf);
	mg_envelope_free(c->env);
	mg_snapshot_unref(c->snap);
	mg_scanner_unref(c->scanner);
	c->buf = NULL;
	c->env = NULL;
	c->snap = NULL;
	c->scanner = NULL;
	c->outbound = false;
	flight_add(-1);
}

static void conn_free(mg_conn *c)
{
	msg_end(c, false);
	g_free(c->client_addr);
	g_free(c->client_name);
	g_free(c->helo);
	g_free(c->daemon_name);
	g_free(c);
}

/* ---- end of message: work with progress, replay --------------------------- */

typedef struct {
	GMutex lock;
	GCond cond;
	bool done;
	mg_snapshot *snap;
	const char *qid;           /* for libclamav's log lines */
	mg_decide_input in;
	mg_decision *out;
} work;

static void work_run(gpointer data, gpointer unused)
{
	work *w = data;

	(void)unused;
	mg_log_set_thread_qid(w->qid);
	mg_decision *d = mg_decide(w->snap, &w->in);
	mg_log_set_thread_qid(NULL);

	g_mutex_lock(&w->lock);
	w->out = d;
	w->done = true;
	g_cond_signal(&w->cond);
	g_mutex_unlock(&w->lock);
}

/* The pool of end-of-message threads: no limit on their number (each
 * message in flight has one), idle ones kept for the next messages. */
static GThreadPool *work_pool(void)
{
	static gsize once;
	static GThreadPool *pool;

	if (g_once_init_enter(&once)) {
		g_thread_pool_set_max_unused_threads(POOL_IDLE_THREADS);
		pool = g_thread_pool_new(work_run, NULL, -1, FALSE, NULL);
		g_once_init_leave(&once, 1);
	}
	return pool;
}

/* Waits for w, sending a progress reply every interval seconds. */
static void wait_with_progress(SMFICTX *ctx, work *w, unsigned interval)
{
	gint64 step = (gint64)interval * G_USEC_PER_SEC;
	gint64 deadline = g_get_monotonic_time() + step;

	g_mutex_lock(&w->lock);
	while (!w->done) {
		if (g_cond_wait_until(&w->cond, &w->lock, deadline))
			continue;
		g_mutex_unlock(&w->lock);
		smfi_progress(ctx);
		deadline = g_get_monotonic_time() + step;
		g_mutex_lock(&w->lock);
	}
	g_mutex_unlock(&w->lock);
}

static mg_decision *decide(SMFICTX *ctx, mg_conn *c)
{
	work w = { .snap = c->snap, .qid = qid_of(c) };
	char *err = NULL;

	if (!mg_msgbuf_finish(c->buf, &w.in.raw, &w.in.len, &err)) {
		mg_decision *d = mg_decision_new_internal_error(err);
		g_free(err);
		return d;
	}
	w.in.env = c->env;
	w.in.rcvd = mg_msgbuf_headers(c->buf);
	w.in.leadspc = (c->steps & SMFIP_HDR_LEADSPC) != 0;
	w.in.now = time(NULL);
	w.in.scanner = c->scanner;
	w.in.outbound = c->outbound;
	g_mutex_init(&w.lock);
	g_cond_init(&w.cond);
	/* should no thread be free and none be made, w waits in the pool's
	 * queue for the next free one: waiting with progress covers that too */
	g_thread_pool_push(work_pool(), &w, NULL);
	wait_with_progress(ctx, &w, mg_snapshot_config(c->snap)->progress_interval);
	g_mutex_lock(&w.lock);	/* work_run is done with w once it unlocks */
	g_mutex_unlock(&w.lock);
	g_mutex_clear(&w.lock);
	g_cond_clear(&w.cond);
	return w.out;
}

static bool send_ops(SMFICTX *ctx, const GPtrArray *ops)
{
	for (guint i = 0; i < ops->len; i++) {
		const mg_op *op = g_ptr_array_index(ops, i);
		int rc = op->kind == MG_OP_ADD ?
			smfi_addheader(ctx, op->name, op->value) :
			smfi_chgheader(ctx, op->name, (int)op->index, op->value);
		if (rc != MI_SUCCESS)
			return false;
	}
	return true;
}

static bool send_body(SMFICTX *ctx, const mg_plan *p, size_t chunk)
{
	chunk = MIN(chunk, (size_t)MILTER_CHUNK_SIZE);
	for (size_t off = 0; off < p->body_len; off += chunk) {
		size_t n = MIN(chunk, p->body_len - off);
		if (smfi_replacebody(ctx, (unsigned char *)p->body + off, (int)n) != MI_SUCCESS)
			return false;
	}
	return true;
}

static sfsistat reply(SMFICTX *ctx, const mg_decision *d, sfsistat status)
{
	if (smfi_setreply(ctx, (char *)d->rcode, (char *)d->xcode, (char *)d->text) != MI_SUCCESS)
		mg_log(MG_LOG_WARNING, NULL, "cannot set the SMTP reply %s %s", d->rcode, d->xcode);
	return status;
}

static sfsistat replay(SMFICTX *ctx, mg_conn *c, mg_decision *d)
{
	switch (d->kind) {
	case MG_DECIDE_REJECT:
		return reply(ctx, d, SMFIS_REJECT);
	case MG_DECIDE_DISCARD:
		return SMFIS_DISCARD;
	case MG_DECIDE_TEMPFAIL:
		return reply(ctx, d, SMFIS_TEMPFAIL);
	case MG_DECIDE_DELIVER:
		break;
	}
	if (!d->plan)		/* outbound: the message passes unchanged */
		return SMFIS_CONTINUE;
	size_t chunk = mg_snapshot_config(c->snap)->test_reply_chunk;
	if (send_ops(ctx, d->plan->ops) && send_body(ctx, d->plan, chunk))
		return SMFIS_CONTINUE;
	g_ptr_array_add(d->notes, g_strdup("the MTA refused an edit request"));
	mg_decision_internal_error(d);
	return reply(ctx, d, SMFIS_TEMPFAIL);
}

static const char *action_name(mg_decision_kind k)
{
	static const char *const names[] = { "deliver", "reject", "discard", "tempfail" };

	return names[k];
}

/* The traffic record (recorder.h) of a summary. */
static mg_traffic *traffic_of(const mg_summary *s)
{
	mg_traffic *t = mg_traffic_new();

	t->at = s->at;
	t->queue_id = g_strdup(s->qid && strcmp(s->qid, NOQUEUE) != 0 ? s->qid : NULL);
	t->id = g_strdup(s->id);
	t->direction = g_strdup(s->direction);
	t->outcome = g_strdup(s->outcome);
	t->action = g_strdup(s->action);
	t->kept = s->kept;
	t->mail_from = g_strdup(s->mail_from);
	for (guint i = 0; s->rcpts && i < s->rcpts->len; i++)
		g_ptr_array_add(t->rcpts, g_strdup(g_ptr_array_index(s->rcpts, i)));
	t->client_addr = g_strdup(s->client_addr);
	t->size_in = s->in;
	t->size_out = s->out;
	t->ms = s->ms;
	t->reasons = g_strdup(s->reasons);
	t->virus = g_strdup(s->virus);
	t->suspicious = g_strdup(s->suspicious);
	t->error = g_strdup(s->error);
	t->sig_version = s->sig_version;
	t->sig_time = s->sig_time;
	return t;
}

static void log_decision(const mg_conn *c, const mg_decision *d)
{
	const char *qid = qid_of(c);

	for (guint i = 0; i < d->notes->len; i++)
		mg_log(MG_LOG_WARNING, qid, "%s", (const char *)g_ptr_array_index(d->notes, i));
	mg_summary s = { .qid = qid, .id = d->id, .action = action_name(d->kind),
			 .outcome = mg_decision_outcome(d),
			 .reasons = d->reasons, .error = d->error, .direction = direction(c),
			 .virus = d->virus, .suspicious = d->suspicious,
			 .removed = d->removed, .kept = d->kept,
			 .in = mg_msgbuf_size(c->buf), .out = d->out_bytes,
			 .ms = elapsed_ms(c), .at = time(NULL),
			 .mail_from = c->env->mail_from, .rcpts = c->env->rcpts,
			 .client_addr = c->client_addr,
			 .sig_version = c->scanner ? mg_scanner_db_version(c->scanner) : 0,
			 .sig_time = c->scanner ? mg_scanner_db_time(c->scanner) : 0 };
	mg_log_summary(&s, mg_snapshot_config(c->snap)->summary_format);
	mg_recorder_add(traffic_of(&s));
}

/* ---- the callbacks --------------------------------------------------------- */

static char *missing_actions(unsigned long offered)
{
	GString *s = g_string_new(NULL);

	if (!(offered & SMFIF_CHGBODY))
		g_string_append(s, " CHGBODY");
	if (!(offered & SMFIF_CHGHDRS))
		g_string_append(s, " CHGHDRS");
	if (!(offered & SMFIF_ADDHDRS))
		g_string_append(s, " ADDHDRS");
	return g_string_free(s, FALSE);
}

/* Asks for {daemon_name} at connect when the MTA takes macro lists;
 * the action flag to request (0 when not). */
static unsigned long ask_daemon_name(SMFICTX *ctx, unsigned long offered)
{
	if (!(offered & SMFIF_SETSYMLIST) ||
	    smfi_setsymlist(ctx, SMFIM_CONNECT, DAEMON_NAME) != MI_SUCCESS)
		return 0;
	return SMFIF_SETSYMLIST;
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	if ((f0 & REQUIRED_ACTIONS) != REQUIRED_ACTIONS) {
		char *missing = missing_actions(f0);
		mg_log(MG_LOG_ERR, NULL, "the MTA does not offer the actions%s (offered 0x%lx): "
		       "mugaika cannot sanitize on this connection; with Postfix set "
		       "milter_protocol = 6", missing, f0);
		g_free(missing);
		return SMFIS_REJECT;
	}
	mg_conn *c = g_new0(mg_conn, 1);
	c->steps = f1 & (UNUSED_STEPS | NO_REPLY_STEPS | SMFIP_HDR_LEADSPC);
	*pf0 = REQUIRED_ACTIONS | ask_daemon_name(ctx, f0);
	*pf1 = c->steps;
	*pf2 = 0;
	*pf3 = 0;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static mg_conn *conn_of(SMFICTX *ctx)
{
	mg_conn *c = smfi_getpriv(ctx);

	if (!c) {		/* an MTA that skipped negotiation */
		c = g_new0(mg_conn, 1);
		smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	mg_conn *c = conn_of(ctx);

	g_free(c->client_name);
	g_free(c->client_addr);
	c->client_name = g_strdup(hostname);
	c->client_addr = address_text(hostaddr);
	g_free(c->daemon_name);
	c->daemon_name = g_strdup(macro(ctx, DAEMON_NAME));
	return go_on(c, SMFIP_NR_CONN);
}

static sfsistat mlfi_helo(SMFICTX *ctx, char *helo)
{
	mg_conn *c = conn_of(ctx);

	g_free(c->helo);
	c->helo = g_strdup(helo);
	return go_on(c, SMFIP_NR_HELO);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	mg_conn *c = conn_of(ctx);

	msg_end(c, false);
	msg_start(ctx, c, argv ? argv[0] : NULL);
	return go_on(c, SMFIP_NR_MAIL);
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	mg_conn *c = conn_of(ctx);

	if (c->env) {
		g_ptr_array_add(c->env->rcpts, strip_brackets(argv ? argv[0] : NULL));
		update_qid(ctx, c);
	}
	return go_on(c, SMFIP_NR_RCPT);
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	mg_conn *c = conn_of(ctx);

	if (c->buf)
		mg_msgbuf_header(c->buf, name, value ? value : "",
				 (c->steps & SMFIP_HDR_LEADSPC) != 0);
	return go_on(c, SMFIP_NR_HDR);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	mg_conn *c = conn_of(ctx);

	if (c->buf)
		mg_msgbuf_body(c->buf, data, len);
	return go_on(c, SMFIP_NR_BODY);
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	mg_conn *c = conn_of(ctx);

	if (!c->env) {	/* an MTA out of step: never let unread mail through */
		mg_log(MG_LOG_ERR, NOQUEUE, "end of message without MAIL FROM: temporary failure");
		return SMFIS_TEMPFAIL;
	}
	update_qid(ctx, c);
	mg_decision *d = decide(ctx, c);
	sfsistat status = replay(ctx, c, d);
	log_decision(c, d);
	mg_decision_free(d);
	msg_end(c, true);
	return status;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	msg_end(smfi_getpriv(ctx), false);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	mg_conn *c = smfi_getpriv(ctx);

	if (c) {
		smfi_setpriv(ctx, NULL);
		conn_free(c);
	}
	return SMFIS_CONTINUE;
}

bool mg_milter_register(void)
{
	static struct smfiDesc desc = {
		.xxfi_name = MG_MILTER_NAME,
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = REQUIRED_ACTIONS | SMFIF_SETSYMLIST,
		.xxfi_connect = mlfi_connect,
		.xxfi_helo = mlfi_helo,
		.xxfi_envfrom = mlfi_envfrom,
		.xxfi_envrcpt = mlfi_envrcpt,
		.xxfi_header = mlfi_header,
		.xxfi_body = mlfi_body,
		.xxfi_eom = mlfi_eom,
		.xxfi_abort = mlfi_abort,
		.xxfi_close = mlfi_close,
		.xxfi_negotiate = mlfi_negotiate,
	};

	return smfi_register(desc) == MI_SUCCESS;
}
