/*
 * editplan.c - the engine's edits checked against the MTA's header fields
 * (see editplan.h).
 *
 * SYNOPSIS
 *	mg_plan *mg_plan_build(const GPtrArray *rcvd, const GPtrArray *edits,
 *			       const char *body, size_t body_len,
 *			       const mg_config *cfg, bool leadspc);
 *	void mg_plan_free(mg_plan *p);
 *	char *mg_plan_wire_value(const char *value, bool leadspc);
 *
 * DESCRIPTION
 *	Each field the MTA sent gets a slot (deleted? changed?).  The
 *	engine's edits mark slots by (name, index); then every unmarked
 *	slot that may not stay is marked deleted; then the requests are
 *	emitted in the order editplan.h states.
 */
#include "editplan.h"

#include <string.h>

#include "msgbuf.h"
#include "sanitize.h"

typedef struct {
	bool deleted;
	bool changed;
} slot;

static void op_free(gpointer p)
{
	mg_op *op = p;

	g_free(op->name);
	g_free(op->value);
	g_free(op);
}

static void add_op(GPtrArray *ops, mg_op_kind kind, const char *name, unsigned index,
		   char *value)
{
	mg_op *op = g_new0(mg_op, 1);

	op->kind = kind;
	op->name = g_strdup(name);
	op->index = index;
	op->value = value;
	g_ptr_array_add(ops, op);
}

void mg_plan_free(mg_plan *p)
{
	if (!p)
		return;
	g_ptr_array_free(p->ops, TRUE);
	g_free(p->body);
	g_free(p);
}

char *mg_plan_wire_value(const char *value, bool leadspc)
{
	GString *s = g_string_new(leadspc || !*value ? " " : "");

	for (const char *p = value; *p; p++) {
		if (*p == '\r')
			continue;
		g_string_append_c(s, *p);
		if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
			g_string_append_c(s, '\t');
	}
	return g_string_free(s, FALSE);
}

static bool never_kept(const char *name)
{
	return g_ascii_strncasecmp(name, "content-", 8) == 0 ||
	       g_ascii_strcasecmp(name, "mime-version") == 0 ||
	       g_ascii_strncasecmp(name, "x-mugaika-", 10) == 0;
}

/* Printable 7-bit text, tab, and LF (or CRLF) only between folded lines. */
static bool clean_value(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
			continue;
		if (*p != '\t' && (*p < 0x20 || *p > 0x7e))
			return false;
	}
	return true;
}

/* Slot of the index'th field called name, or -1. */
static gssize find(const GPtrArray *rcvd, const char *name, unsigned index)
{
	for (guint i = 0; i < rcvd->len; i++) {
		const mg_rcvd_header *h = g_ptr_array_index(rcvd, i);
		if (h->index == index && g_ascii_strcasecmp(h->name, name) == 0)
			return (gssize)i;
	}
	return -1;
}

/* Marks the slots the engine edits; appends its changes to ops. */
static void apply_engine(mg_plan *p, const GPtrArray *rcvd, const GPtrArray *edits,
			 slot *slots, bool leadspc)
{
	for (guint i = 0; i < edits->len; i++) {
		const mg_header_edit *e = g_ptr_array_index(edits, i);
		if (e->kind == MG_EDIT_ADD)
			continue;
		gssize at = find(rcvd, e->name, e->index);
		if (at < 0) {
			p->bad_edits++;
			continue;
		}
		const mg_rcvd_header *h = g_ptr_array_index(rcvd, at);
		if (e->kind == MG_EDIT_DELETE) {
			slots[at].deleted = true;
		} else if (!slots[at].deleted) {
			slots[at].changed = true;
			add_op(p->ops, MG_OP_CHANGE, h->name, h->index,
			       mg_plan_wire_value(e->value ? e->value : "", leadspc));
		}
	}
}

static void safety_net(mg_plan *p, const GPtrArray *rcvd, slot *slots, const mg_config *cfg)
{
	for (guint i = 0; i < rcvd->len; i++) {
		const mg_rcvd_header *h = g_ptr_array_index(rcvd, i);
		if (slots[i].deleted)
			continue;
		if (never_kept(h->name) || !mg_config_keeps_header(cfg, h->name) ||
		    (!slots[i].changed && !clean_value(h->value))) {
			slots[i].deleted = true;
			p->extra_deletes++;
		}
	}
}

static void emit_rest(mg_plan *p, const GPtrArray *rcvd, const GPtrArray *edits,
		      const slot *slots, bool leadspc)
{
	for (guint i = rcvd->len; i-- > 0;) {
		const mg_rcvd_header *h = g_ptr_array_index(rcvd, i);
		if (slots[i].deleted)
			add_op(p->ops, MG_OP_DELETE, h->name, h->index, NULL);
	}
	for (guint i = 0; i < edits->len; i++) {
		const mg_header_edit *e = g_ptr_array_index(edits, i);
		if (e->kind == MG_EDIT_ADD)
			add_op(p->ops, MG_OP_ADD, e->name, 0,
			       mg_plan_wire_value(e->value ? e->value : "", leadspc));
	}
}

/* '\n' line ends to CRLF (a CR already before the LF is kept). */
static char *to_crlf(const char *body, size_t len, size_t *out_len)
{
	GString *s = g_string_sized_new(len + len / 32 + 2);

	for (size_t i = 0; i < len; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			g_string_append_c(s, '\r');
		g_string_append_c(s, body[i]);
	}
	*out_len = s->len;
	return g_string_free(s, FALSE);
}

mg_plan *mg_plan_build(const GPtrArray *rcvd, const GPtrArray *edits, const char *body,
		       size_t body_len, const mg_config *cfg, bool leadspc)
{
	mg_plan *p = g_new0(mg_plan, 1);
	slot *slots = g_new0(slot, rcvd->len + 1);

	p->ops = g_ptr_array_new_with_free_func(op_free);
	apply_engine(p, rcvd, edits, slots, leadspc);
	safety_net(p, rcvd, slots, cfg);
	emit_rest(p, rcvd, edits, slots, leadspc);
	p->body = to_crlf(body ? body : "", body ? body_len : 0, &p->body_len);
	g_free(slots);
	return p;
}
