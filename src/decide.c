/*
 * decide.c - end-of-message work and the failure policy (see decide.h).
 *
 * SYNOPSIS
 *	mg_decision *mg_decide(mg_snapshot *snap, const mg_decide_input *in);
 *	void mg_decision_free(mg_decision *d);
 *	void mg_decision_internal_error(mg_decision *d);
 *	mg_decision *mg_decision_new_internal_error(const char *why);
 *
 * DESCRIPTION
 *	One pass: the scanner is there (unless scanner = none), store from
 *	the snapshot's pool, retry key and the message's SHA-256 (one hash
 *	over the message), ID (the kept one for a retry, else a new one),
 *	engine (sanitize, or scan only for outbound mail), failure count,
 *	keep (the spool file with the pool's store, the index row by the
 *	snapshot's keeper, batched with other messages'), answer.  Any step
 *	may end the pass; mg_decide() then gives the store back and frees
 *	what the pass made, the same way on every path.
 *
 *	The poison fallback is a minimal safe message made here, because the
 *	engine is what failed: a text/plain notice in Japanese and English
 *	with the ID, the MIME and X-Mugaika-* fields; editplan.c deletes
 *	every field the keep list does not keep.  Outbound mail is never
 *	rewritten, so there the fallback is refused instead (550 5.7.1).
 *
 *	The reply texts are fixed; a virus is refused with "virus detected"
 *	and nothing about it (its name goes to the log only).
 *
 *	test_inject_failure and test_delay (conf.h) act here and nowhere
 *	else.
 *
 * DIAGNOSTICS
 *	Why a message failed goes into the decision's notes, which the
 *	milter logs with the queue id.
 */
#include "decide.h"

#include <stdarg.h>
#include <string.h>

#include "safemsg.h"
#include "sanitize.h"

#define REPLY_INTERNAL "mugaika: internal error; try again later"
#define REPLY_UNAVAILABLE "mugaika: sanitizer unavailable; try again later"
#define REPLY_NOT_KEPT "mugaika: original could not be kept; try again later"
#define REPLY_REJECT "mugaika: message refused by the sanitizing policy"
#define REPLY_VIRUS "mugaika: message refused: virus detected"
#define REPLY_UNSCANNED "mugaika: message refused: it could not be scanned completely"
#define REPLY_SCANNER "mugaika: virus scanner unavailable; try again later"

typedef struct {
	mg_snapshot *snap;
	const mg_config *cfg;
	const mg_decide_input *in;
	mg_scanner *scanner;         /* in->scanner, or NULL when injected away */
	mg_store *store;             /* reads, and the spool file */
	mg_keeper *keeper;           /* writes the index */
	char *key;                   /* retry key */
	char sha256[65];             /* of the message */
	mg_result *result;
	mg_decision *d;
} pass;

static void note(mg_decision *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(mg_decision *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(d->notes, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static void tempfail(mg_decision *d, const char *error, const char *xcode, const char *text)
{
	d->kind = MG_DECIDE_TEMPFAIL;
	d->rcode = "451";
	d->xcode = xcode;
	d->text = text;
	d->error = error;
}

void mg_decision_internal_error(mg_decision *d)
{
	mg_plan_free(d->plan);
	d->plan = NULL;
	tempfail(d, "internal", "4.3.0", REPLY_INTERNAL);
}

static mg_decision *decision_new(void)
{
	mg_decision *d = g_new0(mg_decision, 1);

	d->notes = g_ptr_array_new_with_free_func(g_free);
	return d;
}

mg_decision *mg_decision_new_internal_error(const char *why)
{
	mg_decision *d = decision_new();

	note(d, "%s", why);
	mg_decision_internal_error(d);
	return d;
}

void mg_decision_free(mg_decision *d)
{
	if (!d)
		return;
	g_free(d->id);
	g_free(d->reasons);
	g_free(d->virus);
	g_free(d->suspicious);
	mg_plan_free(d->plan);
	g_ptr_array_free(d->notes, TRUE);
	g_free(d);
}

/* ---- the poison fallback ------------------------------------------------- */

static void add_edit(GPtrArray *edits, const char *name, const char *value)
{
	mg_header_edit *e = g_new0(mg_header_edit, 1);

	e->kind = MG_EDIT_ADD;
	e->name = g_strdup(name);
	e->value = g_strdup(value);
	g_ptr_array_add(edits, e);
}

/* Base64 of text in lines of 76, each ending in '\n'. */
static char *base64_lines(const char *text)
{
	char *b64 = g_base64_encode((const guchar *)text, strlen(text));
	GString *out = g_string_new(NULL);
	size_t n = strlen(b64);

	for (size_t i = 0; i < n; i += 76) {
		g_string_append_len(out, b64 + i, (gssize)MIN(76, n - i));
		g_string_append_c(out, '\n');
	}
	g_free(b64);
	return g_string_free(out, FALSE);
}

static char *fallback_text(const char *id)
{
	return g_strdup_printf(
		"[mugaika] このメールは安全に変換できなかったため、本文を届けられません。\n"
		"原本は保管されています。必要な場合はヘルプデスクに次の ID をお伝えください。\n"
		"  保管 ID: %s\n"
		"\n"
		"[mugaika] This message could not be made safe, so its content is not\n"
		"delivered. The original is kept; if you need it, give the helpdesk\n"
		"this ID:\n"
		"  Quarantine ID: %s\n", id, id);
}

/* A safe message for content the engine keeps failing on (outbound: the
 * same verdict, refused). */
static mg_result *fallback_result(const mg_decide_input *in, const char *id)
{
	mg_result *r = g_new0(mg_result, 1);
	mg_verdict *v = r->verdict = mg_verdict_new(id, in->now);
	char *text = fallback_text(id);

	v->action = in->outbound ? MG_ACTION_REJECT : MG_ACTION_DELIVER;
	v->keep_original = true;
	v->changed = true;
	v->input_bytes = in->len;		/* output_charset: "utf-8" already */
	mg_verdict_add_reason(v, MG_R_CANNOT_INSPECT);
	mg_verdict_warn(v, "the sanitizer failed on this message repeatedly: "
			"original kept, notice delivered");
	r->body = base64_lines(text);
	r->body_len = strlen(r->body);
	v->output_bytes = r->body_len;
	r->edits = g_ptr_array_new_with_free_func(mg_header_edit_free);
	add_edit(r->edits, "MIME-Version", "1.0");
	add_edit(r->edits, "Content-Type", "text/plain; charset=utf-8");
	add_edit(r->edits, "Content-Transfer-Encoding", "base64");
	char *status = mg_verdict_status_header(v);
	add_edit(r->edits, "X-Mugaika-Status", status);
	add_edit(r->edits, "X-Mugaika-ID", id);
	g_free(status);
	g_free(text);
	return r;
}

/* ---- the pass ------------------------------------------------------------- */

/* Runs the engine; false when it failed (r->result may stay NULL). */
static bool run_engine(pass *p)
{
	if (p->cfg->test_inject_failure == MG_INJECT_ENGINE) {
		note(p->d, "test_inject_failure: engine failure injected");
		return false;
	}
	p->result = mg_engine_run(p->in->raw, p->in->len, p->cfg, p->scanner,
				  p->in->outbound ? MG_MODE_SCAN_ONLY : MG_MODE_SANITIZE,
				  p->d->id, p->in->now);
	GPtrArray *w = p->result->verdict->warnings;
	if (p->result->verdict->action != MG_ACTION_TEMPFAIL) {
		/* charset findings: wrong or missing labels, replacements, fallback */
		for (guint i = 0; i < w->len; i++) {
			const char *text = g_ptr_array_index(w, i);
			if (strstr(text, "charset") || strstr(text, "undecodable") ||
			    strstr(text, "ISO-2022-JP"))
				note(p->d, "engine: %s", text);
		}
		return true;
	}
	for (guint i = 0; i < w->len; i++)
		note(p->d, "engine: %s", (const char *)g_ptr_array_index(w, i));
	return false;
}

/* After an engine failure: tempfail, or the fallback once poisoned. */
static bool handle_failure(pass *p)
{
	unsigned n = mg_keeper_note_failure(p->keeper, p->key);

	if (n < p->cfg->poison_limit) {
		note(p->d, "sanitizing failed (%u of poison_limit %u)", n, p->cfg->poison_limit);
		tempfail(p->d, "internal", "4.3.0", REPLY_INTERNAL);
		return false;
	}
	note(p->d, "sanitizing failed %u times (poison_limit %u): original kept, notice "
	     "delivered", n, p->cfg->poison_limit);
	mg_result_free(p->result);
	p->result = fallback_result(p->in, p->d->id);
	p->d->error = "poison";
	return true;
}

/* The names of v's detections that are viruses (or not), each once,
 * "a,b"; NULL when none. */
static char *detection_names(const mg_verdict *v, bool virus)
{
	GPtrArray *seen = g_ptr_array_new();

	for (guint i = 0; v->detections && i < v->detections->len; i++) {
		const mg_detection *det = g_ptr_array_index(v->detections, i);
		bool skip = det->virus != virus || !det->name;
		for (guint j = 0; j < seen->len && !skip; j++)
			skip = strcmp(g_ptr_array_index(seen, j), det->name) == 0;
		if (!skip)
			g_ptr_array_add(seen, det->name);
	}
	g_ptr_array_add(seen, NULL);
	char *names = seen->len > 1 ? g_strjoinv(",", (char **)seen->pdata) : NULL;
	g_ptr_array_free(seen, TRUE);
	return names;
}

static void record_detections(pass *p)
{
	if (!p->result)
		return;
	p->d->virus = detection_names(p->result->verdict, true);
	p->d->suspicious = detection_names(p->result->verdict, false);
}

static bool keep(pass *p)
{
	char *err = NULL;
	bool ok;

	if (!p->result->verdict->keep_original)
		return true;
	if (p->cfg->test_inject_failure == MG_INJECT_STORE) {
		err = g_strdup("test_inject_failure: store failure injected");
		ok = false;
	} else {
		char *json = mg_verdict_to_json(p->result->verdict);
		mg_keep_req q = { .id = p->d->id, .retry_key = p->key, .sha256 = p->sha256,
				  .raw = p->in->raw, .len = p->in->len, .env = p->in->env,
				  .verdict_json = json };
		ok = mg_keeper_keep(p->keeper, p->store, &q, &err);
		g_free(json);
	}
	if (!ok) {
		note(p->d, "original not kept: %s", err ? err : "unknown error");
		tempfail(p->d, "keep_failed", "4.3.0", REPLY_NOT_KEPT);
	}
	p->d->kept = ok;
	g_free(err);
	return ok;
}

/* The requests that turn the message into the engine's safe message. */
static void plan(pass *p)
{
	mg_decision *d = p->d;

	d->plan = mg_plan_build(p->in->rcvd, p->result->edits, p->result->body,
				p->result->body_len, p->cfg, p->in->leadspc);
	d->out_bytes = d->plan->body_len;
	if (d->plan->bad_edits)
		note(d, "%u engine edits named a header the MTA did not send: skipped",
		     d->plan->bad_edits);
	if (d->plan->extra_deletes)
		note(d, "%u headers the engine left are deleted as well",
		     d->plan->extra_deletes);
}

static void answer(pass *p)
{
	const mg_verdict *v = p->result->verdict;
	mg_decision *d = p->d;

	d->reasons = mg_verdict_reasons_string(v);
	d->reason_bits = v->reasons;
	d->changed = v->changed && !p->in->outbound;
	d->removed = v->removed->len;
	switch (v->action) {
	case MG_ACTION_REJECT:
		d->kind = MG_DECIDE_REJECT;
		d->rcode = "550";
		d->xcode = "5.7.1";
		d->text = v->reasons & MG_R_VIRUS ? REPLY_VIRUS :
			  p->in->outbound && (v->reasons & MG_R_LIMIT) ? REPLY_UNSCANNED
								       : REPLY_REJECT;
		break;
	case MG_ACTION_DISCARD:
		d->kind = MG_DECIDE_DISCARD;
		break;
	default:
		d->kind = MG_DECIDE_DELIVER;
		if (!p->in->outbound)	/* outbound: pass unchanged, no requests */
			plan(p);
	}
}

/* What must hold before the engine runs: the scanner, a store. */
static bool ready(pass *p)
{
	char *err = NULL;

	if (p->cfg->test_delay)
		g_usleep((gulong)p->cfg->test_delay * G_USEC_PER_SEC);
	if (p->cfg->test_inject_failure == MG_INJECT_UNAVAILABLE) {
		note(p->d, "test_inject_failure: sanitizer unavailable");
		tempfail(p->d, "unavailable", "4.3.2", REPLY_UNAVAILABLE);
		return false;
	}
	p->scanner = p->cfg->test_inject_failure == MG_INJECT_SCANNER ? NULL : p->in->scanner;
	if (p->cfg->scanner != MG_SCANNER_NONE && !p->scanner) {
		note(p->d, "no virus scanner is loaded (scanner = %s)",
		     p->cfg->scanner == MG_SCANNER_CLAMD ? "clamd" : "clamav");
		tempfail(p->d, "scanner_unavailable", "4.3.2", REPLY_SCANNER);
		return false;
	}
	p->keeper = mg_snapshot_keeper(p->snap);
	p->store = mg_snapshot_store(p->snap, &err);
	if (!p->store) {
		note(p->d, "quarantine unavailable: %s", err ? err : "unknown error");
		tempfail(p->d, "keep_failed", "4.3.0", REPLY_NOT_KEPT);
		g_free(err);
		return false;
	}
	return true;
}

static void steps(pass *p)
{
	if (!ready(p))
		return;
	p->key = mg_store_retry_key_sha(p->in->raw, p->in->len, p->in->env, p->sha256);
	p->d->id = mg_store_find_retry_compat(p->store, &p->key, p->in->raw, p->in->len,
					      p->in->env);
	if (!p->d->id)
		p->d->id = mg_store_new_id(p->in->now);
	bool ran = run_engine(p);
	record_detections(p);
	if (!ran && p->result && p->result->verdict->scan_failed) {
		/* a scanner outage says nothing about the message: no poison count */
		tempfail(p->d, "scanner_unavailable", "4.3.2", REPLY_SCANNER);
		return;
	}
	if (!ran && !handle_failure(p))
		return;
	if (keep(p))
		answer(p);
}

const char *mg_decision_outcome(const mg_decision *d)
{
	if (d->kind == MG_DECIDE_TEMPFAIL)
		return "tempfail";
	if (d->reason_bits & MG_R_VIRUS)
		return "virus";
	if (d->reason_bits & MG_R_SUSPICIOUS)
		return "suspicious";
	if (d->reason_bits & (MG_R_CANNOT_INSPECT | MG_R_ENCRYPTED))
		return "cannot_inspect";
	if (d->kept && d->changed)
		return "kept";
	return d->changed ? "sanitized" : "passed";
}

mg_decision *mg_decide(mg_snapshot *snap, const mg_decide_input *in)
{
	pass p = { .snap = snap, .cfg = mg_snapshot_config(snap), .in = in };

	p.d = decision_new();
	steps(&p);
	mg_snapshot_store_done(snap, p.store);
	mg_result_free(p.result);
	g_free(p.key);
	return p.d;
}
