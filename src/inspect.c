/*
 * inspect.c - scanning and classifying one decoded part (see inspect.h).
 */
#include "inspect.h"

#include <string.h>

#include "classify.h"

bool mg_inspect_scan(mg_walk *w, const char *path, const char *filename,
		     const guint8 *data, size_t len)
{
	char *name = NULL;
	bool virus = false;

	if (!w->scanner)
		return false;
	switch (mg_scanner_scan(w->scanner, data, len, filename, &name)) {
	case MG_SCAN_VIRUS:
		mg_verdict_detection(w->v, path, filename, name, true);
		virus = true;
		break;
	case MG_SCAN_SUSPICIOUS:
		if (mg_scan_is_limit(name)) {
			mg_verdict_limit(w->v, "scan_limits", 0, len);
			mg_verdict_warn(w->v, "part %s: scanner limit: %s", path, name);
		} else {
			mg_verdict_detection(w->v, path, filename, name, false);
		}
		break;
	case MG_SCAN_ERROR:
		w->v->action = MG_ACTION_TEMPFAIL;
		w->v->scan_failed = true;
		mg_verdict_warn(w->v, "part %s: scan failed: %s", path, name ? name : "?");
		break;
	default:
		break;
	}
	g_free(name);
	return virus;
}

static void copy_members(mg_removed *r, const GPtrArray *members)
{
	if (!members || !members->len)
		return;
	r->members = mg_removed_members_new();
	for (guint i = 0; i < members->len; i++) {
		const mg_member *m = members->pdata[i];
		mg_removed_member *c = g_new0(mg_removed_member, 1);
		c->name = g_strdup(m->name);
		c->size = m->size;
		c->encrypted = m->encrypted;
		g_ptr_array_add(r->members, c);
	}
}

static void copy_findings(mg_removed *r, const GPtrArray *findings)
{
	if (!findings || !findings->len)
		return;
	r->findings = g_new0(char *, findings->len + 1);
	for (guint i = 0; i < findings->len; i++)
		r->findings[i] = g_strdup(findings->pdata[i]);
}

/* What the classification means for the whole message. */
static void note_classification(mg_walk *w, const mg_removed *r, const mg_classification *c)
{
	if (c->cannot_inspect)
		mg_verdict_add_reason(w->v, MG_R_CANNOT_INSPECT);
	if (c->encrypted)
		mg_verdict_add_reason(w->v, MG_R_ENCRYPTED);
	if (c->type_mismatch)
		mg_verdict_warn(w->v, "part %s: declared %s but is %s", r->part,
				r->content_type, c->true_type);
}

/* Members libclamav cannot unpack itself, scanned one by one. */
static void scan_extracted(mg_walk *w, const char *path, const char *filename,
			   const mg_classification *c)
{
	for (guint i = 0; c->extracted && i < c->extracted->len; i++) {
		gsize n = 0;
		const guint8 *bytes = g_bytes_get_data(c->extracted->pdata[i], &n);
		const char *member = c->extracted_names ? c->extracted_names->pdata[i] : NULL;
		char *where = g_strdup_printf("%s:%s", path, member ? member : "?");
		mg_inspect_scan(w, where, filename, bytes, n);
		g_free(where);
	}
}

void mg_inspect_part(mg_walk *w, const char *path, const char *filename,
		     const guint8 *data, size_t len)
{
	mg_inspect_scan(w, path, filename, data, len);
	if (!w->scanner)
		return;
	mg_classification *c = mg_classify(data, len, filename, NULL, w->cfg);
	scan_extracted(w, path, filename, c);
	/* an archive not read to its end (a bomb, too deep, unreadable) was
	 * not scanned completely; only encrypted is let out (PPAP) */
	if (mg_classification_has(c, "archive_bomb") || mg_classification_has(c, "archive_depth") ||
	    mg_classification_has(c, "archive_unreadable"))
		mg_verdict_limit(w->v, "archive_limits", 0, len);
	mg_classification_free(c);
}

void mg_inspect_removed(mg_walk *w, mg_removed *r, const char *declared_type,
			const guint8 *data, size_t len)
{
	guint before = w->v->detections->len;
	mg_classification *c = mg_classify(data, len, r->filename, declared_type, w->cfg);

	r->true_type = g_strdup(c->true_type);
	copy_findings(r, c->findings);
	copy_members(r, c->members);
	note_classification(w, r, c);
	mg_inspect_scan(w, r->part, r->filename, data, len);
	scan_extracted(w, r->part, r->filename, c);
	if (!r->detection && w->v->detections->len > before)
		r->detection = g_strdup(((mg_detection *)w->v->detections->pdata[before])->name);
	mg_classification_free(c);
}
