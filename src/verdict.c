/*
 * verdict.c - the verdict: construction, reason names, the X-Mugaika-Status
 * value and the JSON form.
 *
 * Everything the verdict holds is owned by it and freed by mg_verdict_free().
 * Strings returned by mg_verdict_*_string/header/json are the caller's.
 * The JSON form is versioned ("version": 1 first) and documented in
 * mugaika(1); fields are only ever added.
 */
#include "verdict.h"

#include <stdarg.h>
#include <string.h>

#include "json.h"

#define MG_MAX_WARNINGS 100

static const char *const reason_names[MG_REASON_COUNT] = {
	"html_converted", "attachment", "inline", "signature", "encrypted",
	"links", "limit", "malformed", "headers_rewritten", "charset",
	"output_fallback", "virus", "suspicious", "cannot_inspect",
	"converted", "forged_header",
};

static const char *const action_names[] = {
	"deliver", "reject", "discard", "tempfail",
};

static void detection_free(gpointer p)
{
	mg_detection *d = p;

	g_free(d->part);
	g_free(d->filename);
	g_free(d->name);
	g_free(d);
}

static void member_free(gpointer p)
{
	mg_removed_member *m = p;

	g_free(m->name);
	g_free(m);
}

mg_verdict *mg_verdict_new(const char *id, time_t now)
{
	mg_verdict *v = g_new0(mg_verdict, 1);

	v->version = MG_VERDICT_VERSION;
	v->id = g_strdup(id);
	v->now = now;
	v->action = MG_ACTION_DELIVER;
	v->output_charset = g_strdup("utf-8");
	v->removed = g_ptr_array_new_with_free_func((GDestroyNotify)mg_removed_free);
	v->limits = g_ptr_array_new_with_free_func(g_free);
	v->warnings = g_ptr_array_new_with_free_func(g_free);
	v->detections = g_ptr_array_new_with_free_func(detection_free);
	return v;
}

void mg_removed_free(mg_removed *r)
{
	if (!r)
		return;
	g_free(r->part);
	g_free(r->filename);
	g_free(r->content_type);
	g_free(r->disposition);
	g_free(r->why);
	g_free(r->true_type);
	g_strfreev(r->findings);
	if (r->members)
		g_ptr_array_free(r->members, TRUE);
	g_free(r->detection);
	g_free(r);
}

void mg_verdict_detection(mg_verdict *v, const char *part, const char *filename,
			  const char *name, bool virus)
{
	mg_detection *d = g_new0(mg_detection, 1);

	d->part = g_strdup(part);
	d->filename = g_strdup(filename);
	d->name = g_strdup(name);
	d->virus = virus;
	g_ptr_array_add(v->detections, d);
	mg_verdict_add_reason(v, virus ? MG_R_VIRUS : MG_R_SUSPICIOUS);
}

GPtrArray *mg_removed_members_new(void)
{
	return g_ptr_array_new_with_free_func(member_free);
}

void mg_verdict_free(mg_verdict *v)
{
	if (!v)
		return;
	for (guint i = 0; i < v->limits->len; i++)
		g_free(((mg_limit_hit *)v->limits->pdata[i])->name);
	g_ptr_array_free(v->removed, TRUE);
	g_ptr_array_free(v->limits, TRUE);
	g_ptr_array_free(v->warnings, TRUE);
	g_ptr_array_free(v->detections, TRUE);
	g_free(v->id);
	g_free(v->output_charset);
	g_free(v->subject);
	g_free(v->from);
	g_free(v);
}

void mg_verdict_add_reason(mg_verdict *v, mg_reason r)
{
	v->reasons |= r;
}

void mg_verdict_warn(mg_verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->warnings->len >= MG_MAX_WARNINGS) {
		v->warnings_dropped++;
		return;
	}
	va_start(ap, fmt);
	g_ptr_array_add(v->warnings, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

void mg_verdict_limit(mg_verdict *v, const char *name, size_t limit, size_t seen)
{
	for (guint i = 0; i < v->limits->len; i++) {
		mg_limit_hit *h = v->limits->pdata[i];
		if (strcmp(h->name, name) == 0) {
			if (seen > h->seen)
				h->seen = seen;
			return;
		}
	}
	mg_limit_hit *h = g_new0(mg_limit_hit, 1);
	h->name = g_strdup(name);
	h->limit = limit;
	h->seen = seen;
	g_ptr_array_add(v->limits, h);
	mg_verdict_add_reason(v, MG_R_LIMIT);
}

void mg_verdict_add_removed(mg_verdict *v, mg_removed *r)
{
	g_ptr_array_add(v->removed, r);
}

const char *mg_action_name(mg_action a)
{
	if ((unsigned)a < G_N_ELEMENTS(action_names))
		return action_names[a];
	return "unknown";
}

const char *mg_reason_name(mg_reason r)
{
	for (unsigned i = 0; i < MG_REASON_COUNT; i++)
		if (r == (1u << i))
			return reason_names[i];
	return "unknown";
}

char *mg_verdict_reasons_string(const mg_verdict *v)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < MG_REASON_COUNT; i++) {
		if (!(v->reasons & (1u << i)))
			continue;
		if (s->len)
			g_string_append_c(s, ',');
		g_string_append(s, reason_names[i]);
	}
	return g_string_free(s, FALSE);
}

char *mg_verdict_status_header(const mg_verdict *v)
{
	GString *s = g_string_new(NULL);
	char *reasons = mg_verdict_reasons_string(v);

	g_string_append_printf(s, "v=%d; action=%s; reasons=%s; removed=%u; "
			       "links=%u; charset=%s",
			       v->version, mg_action_name(v->action),
			       *reasons ? reasons : "none", v->removed->len,
			       v->links, v->output_charset);
	if (v->id)
		g_string_append_printf(s, "; id=%s", v->id);
	g_free(reasons);
	return g_string_free(s, FALSE);
}

static void json_detection(GString *o, const void *item)
{
	const mg_detection *d = item;

	g_string_append(o, "{\"part\": ");
	mg_json_string(o, d->part);
	mg_json_str(o, MG_JSON_NEXT, "filename", d->filename);
	mg_json_str(o, MG_JSON_NEXT, "name", d->name);
	g_string_append_printf(o, ", \"kind\": \"%s\"}", d->virus ? "virus" : "suspicious");
}

/* "members": [{"name": ..., "size": n, "encrypted": false}, ...] */
static void json_members(GString *o, const GPtrArray *members)
{
	mg_json_key(o, MG_JSON_NEXT, "members");
	g_string_append_c(o, '[');
	for (guint i = 0; members && i < members->len; i++) {
		const mg_removed_member *m = members->pdata[i];
		g_string_append(o, i ? ", {\"name\": " : "{\"name\": ");
		mg_json_string(o, m->name);
		mg_json_u64(o, MG_JSON_NEXT, "size", m->size);
		mg_json_bool(o, MG_JSON_NEXT, "encrypted", m->encrypted);
		g_string_append_c(o, '}');
	}
	g_string_append_c(o, ']');
}

static void json_removed(GString *o, const void *item)
{
	const mg_removed *r = item;

	g_string_append(o, "{\"part\": ");
	mg_json_string(o, r->part);
	mg_json_str(o, MG_JSON_NEXT, "filename", r->filename);
	mg_json_key(o, MG_JSON_NEXT, "content_type");
	mg_json_string(o, r->content_type);
	mg_json_str(o, MG_JSON_NEXT, "disposition", r->disposition);
	mg_json_u64(o, MG_JSON_NEXT, "size", r->size);
	mg_json_str(o, MG_JSON_NEXT, "sha256", r->sha256[0] ? r->sha256 : NULL);
	mg_json_key(o, MG_JSON_NEXT, "why");
	mg_json_string(o, r->why);
	mg_json_str(o, MG_JSON_NEXT, "true_type", r->true_type);
	mg_json_str(o, MG_JSON_NEXT, "detection", r->detection);
	mg_json_strv(o, MG_JSON_NEXT, "findings", r->findings);
	json_members(o, r->members);
	g_string_append_c(o, '}');
}

static void json_reasons(GString *o, const mg_verdict *v)
{
	bool first = true;

	mg_json_key(o, MG_JSON_LINE, "reasons");
	g_string_append_c(o, '[');
	for (unsigned i = 0; i < MG_REASON_COUNT; i++) {
		if (!(v->reasons & (1u << i)))
			continue;
		if (!first)
			g_string_append(o, ", ");
		mg_json_string(o, reason_names[i]);
		first = false;
	}
	g_string_append_c(o, ']');
}

typedef void (*json_item_fn)(GString *o, const void *item);

/* "key": [ item, item ] with one item per line. */
static void json_array(GString *o, const char *key, const GPtrArray *a, json_item_fn item)
{
	mg_json_key(o, MG_JSON_LINE, key);
	g_string_append_c(o, '[');
	for (guint i = 0; i < a->len; i++) {
		g_string_append(o, i ? ",\n    " : "\n    ");
		item(o, a->pdata[i]);
	}
	g_string_append(o, a->len ? "\n  ]" : "]");
}

static void json_limit(GString *o, const void *item)
{
	const mg_limit_hit *h = item;

	g_string_append(o, "{\"name\": ");
	mg_json_string(o, h->name);
	g_string_append_printf(o, ", \"limit\": %zu, \"seen\": %zu}", h->limit, h->seen);
}

static void json_warning(GString *o, const void *item)
{
	mg_json_string(o, item);
}

static void json_lists(GString *o, const mg_verdict *v)
{
	json_array(o, "removed", v->removed, json_removed);
	json_array(o, "detections", v->detections, json_detection);
	json_array(o, "limits", v->limits, json_limit);
	json_array(o, "warnings", v->warnings, json_warning);
	mg_json_u64(o, MG_JSON_LINE, "warnings_dropped", v->warnings_dropped);
}

char *mg_verdict_to_json(const mg_verdict *v)
{
	GString *o = g_string_new(NULL);
	char when[32] = "";
	struct tm tm;

	if (gmtime_r(&v->now, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	g_string_append_printf(o, "{\n  \"version\": %d", v->version);
	mg_json_str(o, MG_JSON_LINE, "id", v->id);
	mg_json_str(o, MG_JSON_LINE, "time", when);
	mg_json_str(o, MG_JSON_LINE, "action", mg_action_name(v->action));
	json_reasons(o, v);
	mg_json_bool(o, MG_JSON_LINE, "keep_original", v->keep_original);
	mg_json_bool(o, MG_JSON_LINE, "changed", v->changed);
	mg_json_str(o, MG_JSON_LINE, "output_charset", v->output_charset);
	mg_json_str(o, MG_JSON_LINE, "from", v->from);
	mg_json_str(o, MG_JSON_LINE, "subject", v->subject);
	g_string_append_printf(o, ",\n  \"input_bytes\": %zu,\n  \"output_bytes\": %zu,\n"
			       "  \"parts\": %u,\n  \"text_parts\": %u,\n  \"html_parts\": %u,\n"
			       "  \"links\": %u,\n  \"links_mismatch\": %u,\n  \"replacements\": %zu",
			       v->input_bytes, v->output_bytes, v->parts, v->text_parts,
			       v->html_parts, v->links, v->links_mismatch, v->replacements);
	json_lists(o, v);
	g_string_append(o, "\n}\n");
	return g_string_free(o, FALSE);
}
