/*
 * report.c - gathering mugaika report's numbers from the quarantine index
 * (see report.h).
 *
 * SYNOPSIS
 *	mg_report *mg_report_gather(mg_store *s, const mg_report_query *q, char **err);
 *	void mg_report_free(mg_report *r);
 *	const char *mg_outcome_name(mg_outcome o);
 *	int mg_outcome_from_name(const char *name);
 *	void mg_report_count_free(gpointer p); (and _detection_, _mismatch_,
 *	_rcpt_, _hit_free: the arrays' element free functions)
 */
#include "report.h"

#include <string.h>

static const char *const outcome_names[MG_OC_COUNT] = {
	"passed", "sanitized", "kept", "suspicious", "cannot_inspect", "virus", "tempfail",
};

const char *mg_outcome_name(mg_outcome o)
{
	return (unsigned)o < MG_OC_COUNT ? outcome_names[o] : NULL;
}

int mg_outcome_from_name(const char *name)
{
	for (int i = 0; name && i < MG_OC_COUNT; i++)
		if (strcmp(outcome_names[i], name) == 0)
			return i;
	return -1;
}

void mg_report_count_free(gpointer p)
{
	mg_report_count *c = p;

	g_free(c->key);
	g_free(c);
}

void mg_report_detection_free(gpointer p)
{
	mg_report_detection *d = p;

	g_free(d->name);
	g_ptr_array_unref(d->rcpts);
	g_free(d->first);
	g_free(d->last);
	g_free(d);
}

void mg_report_mismatch_free(gpointer p)
{
	mg_report_mismatch *m = p;

	g_free(m->time);
	g_free(m->id);
	g_free(m->filename);
	g_free(m->declared);
	g_free(m->true_type);
	g_free(m);
}

void mg_report_rcpt_free(gpointer p)
{
	mg_report_rcpt *r = p;

	g_free(r->rcpt);
	g_free(r->released_at);
	g_free(r->released_by);
	g_free(r);
}

void mg_report_hit_free(gpointer p)
{
	mg_report_hit *h = p;

	g_free(h->id);
	g_free(h->time);
	g_free(h->mail_from);
	g_free(h->from_hdr);
	g_free(h->subject);
	g_free(h->client_addr);
	g_free(h->action);
	g_free(h->status);
	g_free(h->matched);
	g_ptr_array_unref(h->rcpts);
	g_free(h);
}

static void array_free(GPtrArray *a)
{
	if (a)
		g_ptr_array_unref(a);
}

void mg_report_free(mg_report *r)
{
	if (!r)
		return;
	g_free(r->since_text);
	g_free(r->until_text);
	g_free(r->made_text);
	g_free(r->hostname);
	array_free(r->days);
	array_free(r->viruses);
	array_free(r->suspicious);
	array_free(r->removed_by_type);
	array_free(r->removed_by_ext);
	array_free(r->mismatches);
	array_free(r->cannot_inspect);
	array_free(r->top_sender_domains);
	array_free(r->top_rcpts);
	array_free(r->releases.by_operator);
	array_free(r->hits);
	g_free(r);
}
