/*
 * test_editplan.c - the milter's requests from the engine's edits: values
 * in the MTA's folding, the body in CRLF, the engine's order kept when its
 * view of the headers is the MTA's, the safety net deleting what the engine
 * left but must not stay, and edits naming a header the MTA did not send.
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "conf.h"
#include "editplan.h"
#include "msgbuf.h"
#include "safemsg.h"
#include "sanitize.h"

/* Received headers, "Name: value" each (values get a leading space). */
static mg_msgbuf *received(const char *const *lines)
{
	mg_msgbuf *b = mg_msgbuf_new(1 << 20, NULL);

	for (; *lines; lines++) {
		const char *colon = strchr(*lines, ':');
		char *name = g_strndup(*lines, (gsize)(colon - *lines));
		mg_msgbuf_header(b, name, colon + 1, true);
		g_free(name);
	}
	return b;
}

static void edit(GPtrArray *edits, mg_edit_kind kind, const char *name, unsigned index,
		 const char *value)
{
	mg_header_edit *e = g_new0(mg_header_edit, 1);

	e->kind = kind;
	e->name = g_strdup(name);
	e->index = index;
	e->value = g_strdup(value);
	g_ptr_array_add(edits, e);
}

/* The plan's ops as "D Name 2", "C Name 1 value", "A Name value" lines. */
static char *ops_text(const mg_plan *p)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < p->ops->len; i++) {
		const mg_op *op = p->ops->pdata[i];
		if (op->kind == MG_OP_DELETE)
			g_string_append_printf(s, "D %s %u\n", op->name, op->index);
		else if (op->kind == MG_OP_CHANGE)
			g_string_append_printf(s, "C %s %u [%s]\n", op->name, op->index, op->value);
		else
			g_string_append_printf(s, "A %s [%s]\n", op->name, op->value);
	}
	return g_string_free(s, FALSE);
}

START_TEST(wire_values)
{
	const struct { const char *in; bool lead; const char *out; } t[] = {
		{ "text/plain", true, " text/plain" },
		{ "text/plain", false, "text/plain" },
		{ "=?UTF-8?B?44GC?=\n =?UTF-8?B?44GE?=", true, " =?UTF-8?B?44GC?=\n =?UTF-8?B?44GE?=" },
		{ "a\r\n\tb", false, "a\n\tb" },
		{ "a\nb", false, "a\n\tb" },
		{ "", false, " " },
		{ "", true, " " },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		char *w = mg_plan_wire_value(t[i].in, t[i].lead);
		ck_assert_str_eq(w, t[i].out);
		g_free(w);
	}
}
END_TEST

START_TEST(engine_order_kept)
{
	const char *const hdrs[] = { "Received: r1", "From: a@example.com",
		"Content-Type: text/plain", "Subject: s", "Content-Type: text/html",
		"X-Mugaika-ID: forged", NULL };
	mg_msgbuf *b = received(hdrs);
	mg_config *cfg = mg_config_new_defaults();
	GPtrArray *edits = g_ptr_array_new_with_free_func(mg_header_edit_free);

	edit(edits, MG_EDIT_CHANGE, "Subject", 1, "new\n subject");
	edit(edits, MG_EDIT_DELETE, "X-Mugaika-ID", 1, NULL);
	edit(edits, MG_EDIT_DELETE, "Content-Type", 2, NULL);
	edit(edits, MG_EDIT_DELETE, "Content-Type", 1, NULL);
	edit(edits, MG_EDIT_ADD, "Content-Type", 0, "text/plain; charset=utf-8");
	mg_plan *p = mg_plan_build(mg_msgbuf_headers(b), edits, "a\nb\n", 4, cfg, true);
	char *ops = ops_text(p);
	ck_assert_str_eq(ops, "C Subject 1 [ new\n subject]\n"
			      "D X-Mugaika-ID 1\nD Content-Type 2\nD Content-Type 1\n"
			      "A Content-Type [ text/plain; charset=utf-8]\n");
	ck_assert_uint_eq(p->extra_deletes, 0);
	ck_assert_uint_eq(p->bad_edits, 0);
	ck_assert_uint_eq(p->body_len, 6);
	ck_assert(memcmp(p->body, "a\r\nb\r\n", 6) == 0);
	g_free(ops);
	mg_plan_free(p);
	g_ptr_array_free(edits, TRUE);
	mg_config_unref(cfg);
	mg_msgbuf_free(b);
}
END_TEST

/* The engine missed two fields (as if its parser had skipped them): the
 * plan deletes them too, in the right place among the engine's deletes. */
START_TEST(safety_net)
{
	const char *const hdrs[] = { "From: a@example.com", "X-Hidden: 1",
		"Content-Type: text/plain", "X-Mugaika-Status: forged", "Subject: \xE3\x81\x82",
		"To: b@example.com", NULL };
	mg_msgbuf *b = received(hdrs);
	mg_config *cfg = mg_config_new_defaults();
	GPtrArray *edits = g_ptr_array_new_with_free_func(mg_header_edit_free);

	edit(edits, MG_EDIT_DELETE, "Content-Type", 1, NULL);
	mg_plan *p = mg_plan_build(mg_msgbuf_headers(b), edits, "", 0, cfg, true);
	char *ops = ops_text(p);
	/* Subject: 8-bit bytes the engine did not rewrite; X-Mugaika-Status
	 * and X-Hidden: not kept.  From and To stay. */
	ck_assert_str_eq(ops, "D Subject 1\nD X-Mugaika-Status 1\nD Content-Type 1\n"
			      "D X-Hidden 1\n");
	ck_assert_uint_eq(p->extra_deletes, 3);
	g_free(ops);
	mg_plan_free(p);

	/* a rewritten Subject stays */
	edit(edits, MG_EDIT_CHANGE, "Subject", 1, "=?UTF-8?B?44GC?=");
	p = mg_plan_build(mg_msgbuf_headers(b), edits, "", 0, cfg, false);
	ops = ops_text(p);
	ck_assert_str_eq(ops, "C Subject 1 [=?UTF-8?B?44GC?=]\nD X-Mugaika-Status 1\n"
			      "D Content-Type 1\nD X-Hidden 1\n");
	ck_assert_uint_eq(p->extra_deletes, 2);
	g_free(ops);
	mg_plan_free(p);
	g_ptr_array_free(edits, TRUE);
	mg_config_unref(cfg);
	mg_msgbuf_free(b);
}
END_TEST

START_TEST(bad_edits_skipped)
{
	const char *const hdrs[] = { "From: a@example.com", "Subject: s", NULL };
	mg_msgbuf *b = received(hdrs);
	mg_config *cfg = mg_config_new_defaults();
	GPtrArray *edits = g_ptr_array_new_with_free_func(mg_header_edit_free);

	edit(edits, MG_EDIT_DELETE, "Content-Type", 1, NULL);
	edit(edits, MG_EDIT_CHANGE, "Subject", 2, "x");
	mg_plan *p = mg_plan_build(mg_msgbuf_headers(b), edits, "", 0, cfg, true);
	ck_assert_uint_eq(p->bad_edits, 2);
	ck_assert_uint_eq(p->ops->len, 0);
	mg_plan_free(p);
	g_ptr_array_free(edits, TRUE);
	mg_config_unref(cfg);
	mg_msgbuf_free(b);
}
END_TEST

static Suite *editplan_suite(void)
{
	Suite *s = suite_create("editplan");
	TCase *tc = tcase_create("editplan");

	tcase_add_test(tc, wire_values);
	tcase_add_test(tc, engine_order_kept);
	tcase_add_test(tc, safety_net);
	tcase_add_test(tc, bad_edits_skipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(editplan_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
