/*
 * html_data.c - mg_reports made by hand for the HTML renderer's tests (see
 * html_data.h).  Counts come from a small linear congruential sequence, so
 * a report is the same at every run.
 */
#include "html_data.h"

#include <string.h>

static guint32 seq = 1;

static guint64 next(guint64 below)
{
	seq = seq * 1103515245u + 12345u;
	return below ? (seq >> 8) % below : 0;
}

static mg_report_count *count(const char *key, guint64 n)
{
	mg_report_count *c = g_new0(mg_report_count, 1);

	c->key = g_strdup(key);
	c->count = n;
	return c;
}

static GPtrArray *counts(const char *const *keys, bool zeros)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(mg_report_count_free);

	for (guint i = 0; !zeros && keys[i]; i++)
		g_ptr_array_add(a, count(keys[i], 200 / (i + 1) + next(5)));
	return a;
}

static void fill_days(mg_report *r, const html_data *d)
{
	GDate *date = g_date_new_dmy(1, G_DATE_MARCH, 2026);

	r->days = g_ptr_array_new_with_free_func(g_free);
	r->sig_age_min = r->sig_age_max = -1;
	for (unsigned i = 0; i < d->days; i++, g_date_add_days(date, 1)) {
		mg_report_day *day = g_new0(mg_report_day, 1);
		g_date_strftime(day->day, sizeof day->day, "%Y-%m-%d", date);
		day->sig_age_min = day->sig_age_max = -1;
		for (int o = 0; !d->zeros && i % 7 != 5 && o < MG_OC_COUNT; o++)
			day->n[o] = next(o == MG_OC_PASSED ? 400 : o == MG_OC_SANITIZED ? 150 : 12);
		for (int o = 0; o < MG_OC_COUNT; o++)
			day->total += day->n[o];
		day->inbound = day->total - day->total / 5;
		day->outbound = day->total / 5;
		if (day->total) {
			day->sig_age_min = i % 3;
			day->sig_age_max = i % 3 + (i % 2);
			day->sig_version_max = 27000 + i;
		}
		for (int o = 0; o < MG_OC_COUNT; o++)
			r->n[o] += day->n[o];
		r->total += day->total;
		r->inbound += day->inbound;
		r->outbound += day->outbound;
		g_ptr_array_add(r->days, day);
	}
	g_date_free(date);
	if (r->total) {
		r->sig_age_min = 0;
		r->sig_age_max = 3;
		r->sig_version_min = 27000;
		r->sig_version_max = 27000 + d->days - 1;
	}
}

static mg_report_detection *detection(const char *name, bool virus, guint nrcpts)
{
	mg_report_detection *det = g_new0(mg_report_detection, 1);

	det->name = g_strdup(name);
	det->virus = virus;
	det->messages = nrcpts + 1;
	det->rcpts = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < nrcpts; i++)
		g_ptr_array_add(det->rcpts, g_strdup_printf("user%03u@city.example.lg.jp", i));
	if (nrcpts)
		g_ptr_array_add(det->rcpts, g_strdup("山田" HD_QUOTES "@city.example.lg.jp"));
	det->first = g_strdup("2026-03-01T09:15:00+09:00");
	det->last = g_strdup("2026-03-06T17:40:12+09:00");
	return det;
}

static void fill_detections(mg_report *r, bool zeros)
{
	r->viruses = g_ptr_array_new_with_free_func(mg_report_detection_free);
	r->suspicious = g_ptr_array_new_with_free_func(mg_report_detection_free);
	if (zeros)
		return;
	g_ptr_array_add(r->viruses, detection("Win.Test.EICAR_HDB-1", true, 3));
	g_ptr_array_add(r->viruses, detection("Clamav.Test.File-6", true, 60));
	g_ptr_array_add(r->suspicious, detection(HD_SCRIPT, false, 1));
	g_ptr_array_add(r->suspicious, detection("Heuristics.Phishing.Email.SpoofedDomain", false, 0));
}

static mg_report_mismatch *mismatch(const char *filename, const char *declared,
				    const char *true_type)
{
	mg_report_mismatch *m = g_new0(mg_report_mismatch, 1);

	m->time = g_strdup("2026-03-04T11:22:33+09:00");
	m->id = g_strdup("20260304T022233Z-KEPTAAAA");
	m->filename = g_strdup(filename);
	m->declared = g_strdup(declared);
	m->true_type = g_strdup(true_type);
	return m;
}

static void fill_removed(mg_report *r, bool zeros)
{
	static const char *const types[] = {
		"application/pdf", "application/zip", "application/x-dosexec",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"image/png", "text/html", "application/x-ms-shortcut", HD_SCRIPT, NULL,
	};
	static const char *const exts[] = { "pdf", "zip", "exe", "docx", "", "lnk", "html", NULL };

	r->removed_by_type = counts(types, zeros);
	r->removed_by_ext = counts(exts, zeros);
	r->mismatches = g_ptr_array_new_with_free_func(mg_report_mismatch_free);
	if (zeros)
		return;
	r->removed_parts = 512;
	g_ptr_array_add(r->mismatches, mismatch("請求書" HD_RLO "fdp.exe", "application/pdf",
						 "application/x-dosexec"));
	g_ptr_array_add(r->mismatches, mismatch(HD_SCRIPT ".pdf", HD_QUOTES, "text/html"));
	g_ptr_array_add(r->mismatches, mismatch(NULL, "image/png", "application/zip"));
	g_ptr_array_add(r->mismatches, mismatch("bad" HD_BAD_UTF8 "\x01name.doc", "application/msword",
						 "application/x-dosexec"));
	r->mismatch_count = 140;
}

static void fill_traffic_lists(mg_report *r, bool zeros)
{
	static const char *const kinds[] = {
		"password_zip", "smime_encrypted", "archive_bomb", "limit", "other", "new<kind>", NULL,
	};
	static const char *const domains[] = {
		"example.co.jp", "mail.example.ne.jp", "<>", "例え.jp", HD_QUOTES ".example",
		"xn--r8jz45g.example", "very-long-subdomain-name-for-layout.marketing.example.com",
		"example.org", "example.net", "example.com", NULL,
	};
	static const char *const rcpts[] = {
		"soumu@city.example.lg.jp", "kikaku@city.example.lg.jp",
		"ZEIMU" HD_RLO "@city.example.lg.jp", "hisho@city.example.lg.jp", NULL,
	};

	r->cannot_inspect = counts(kinds, zeros);
	r->cannot_inspect_messages = zeros ? 0 : 77;
	r->top_sender_domains = counts(domains, zeros || r->no_traffic);
	r->top_rcpts = counts(rcpts, zeros || r->no_traffic);
}

static void fill_releases(mg_report *r, bool zeros)
{
	static const char *const ops[] = { "tanaka", "鈴木", HD_OPERATOR, NULL };
	mg_report_releases *rl = &r->releases;

	rl->by_operator = counts(ops, zeros);
	rl->median_s = rl->p90_s = rl->max_s = -1;
	if (zeros)
		return;
	rl->count = 42;
	rl->messages = 30;
	rl->median_s = 1800 + 7;
	rl->p90_s = 3 * 3600 + 25 * 60;
	rl->max_s = 4 * 86400 + 5 * 3600;
}

static mg_report_rcpt *rcpt(const char *addr, const char *at, const char *by)
{
	mg_report_rcpt *rc = g_new0(mg_report_rcpt, 1);

	rc->rcpt = g_strdup(addr);
	rc->released_at = g_strdup(at);
	rc->released_by = g_strdup(by);
	return rc;
}

static mg_report_hit *hit(unsigned i)
{
	mg_report_hit *h = g_new0(mg_report_hit, 1);

	h->id = g_strdup_printf("2026030%uT010000Z-VIRUS%03u", 1 + i % 7, i);
	h->time = g_strdup_printf("2026-03-0%uT10:00:00+09:00", 1 + i % 7);
	h->mail_from = g_strdup(i % 2 ? "" : "attacker@example.com");
	h->from_hdr = i % 3 ? g_strdup("\"経理部\" <keiri@example.co.jp>") : NULL;
	h->subject = g_strdup(i % 2 ? "請求書の送付" HD_RLO "について" : HD_SCRIPT HD_QUOTES);
	h->client_addr = g_strdup("192.0.2.10");
	h->action = g_strdup(i % 2 ? "deliver" : "reject");
	h->status = g_strdup(i % 3 ? "held" : "released");
	h->matched = g_strdup("invoice.zip");
	h->rcpts = g_ptr_array_new_with_free_func(mg_report_rcpt_free);
	g_ptr_array_add(h->rcpts, rcpt("soumu@city.example.lg.jp", NULL, NULL));
	if (i % 3 == 0)
		g_ptr_array_add(h->rcpts, rcpt("kikaku@city.example.lg.jp",
					       "2026-03-07T09:00:00+09:00", HD_OPERATOR));
	return h;
}

static void fill_incident(mg_report *r, bool zeros)
{
	r->q.sha256 = g_strdup("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	r->q.virus = g_strdup(HD_SCRIPT);
	r->hits = g_ptr_array_new_with_free_func(mg_report_hit_free);
	for (unsigned i = 0; !zeros && i < 4; i++)
		g_ptr_array_add(r->hits, hit(i));
}

/* The local midnight ending the period, as report.c writes it. */
static char *until_text(unsigned days)
{
	GDate *date = g_date_new_dmy(1, G_DATE_MARCH, 2026);
	char text[16];

	g_date_add_days(date, days);
	g_date_strftime(text, sizeof text, "%Y-%m-%d", date);
	g_date_free(date);
	return g_strconcat(text, "T00:00:00+09:00", NULL);
}

mg_report *html_data_report(const html_data *d)
{
	mg_report *r = g_new0(mg_report, 1);

	seq = 1;
	r->q.since = 1772290800;        /* 2026-03-01T00:00:00+09:00 */
	r->q.until = r->q.since + 86400 * (time_t)d->days;
	r->q.now = r->q.until + 3600;
	r->q.top = 10;
	r->since_text = g_strdup("2026-03-01T00:00:00+09:00");
	r->until_text = until_text(d->days);
	r->made_text = g_strdup("2027-03-02T08:00:00+09:00");
	r->hostname = g_strdup("gw1.city.example.lg.jp" HD_QUOTES);
	r->no_traffic = d->no_traffic;
	if (d->incident) {
		r->incident = true;
		fill_incident(r, d->zeros);
		return r;
	}
	fill_days(r, &(html_data){ .days = d->no_traffic ? 0 : d->days, .zeros = d->zeros });
	fill_detections(r, d->zeros);
	fill_removed(r, d->zeros);
	fill_traffic_lists(r, d->zeros);
	fill_releases(r, d->zeros);
	r->bytes_in = d->zeros ? 0 : 123456789;
	return r;
}
