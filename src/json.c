/*
 * json.c - writing JSON into a GString (see json.h).
 *
 * SYNOPSIS
 *	void mg_json_string(o, s);
 *	void mg_json_key(o, sep, key);
 *	void mg_json_str(o, sep, key, v);  mg_json_bool(...);  mg_json_u64(...);
 *	void mg_json_i64_or_null(o, sep, key, v);
 *	void mg_json_strings(o, sep, key, items, n);  mg_json_strv(o, sep, key, v);
 *
 * DESCRIPTION
 *	Appends only; the GString is the caller's and nothing is returned.
 *	'"', '\\', and the control characters are escaped ("\n", "\r",
 *	"\t", else "\u00XX", DEL included); other bytes are copied.  The
 *	layouts of mg_json_sep are one table, so the documents built from
 *	these pieces differ only where the table says so.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "json.h"

static const struct {
	const char *before;   /* before the key */
	const char *colon;    /* between the key and the value */
	const char *comma;    /* between two array items */
} seps[] = {
	[MG_JSON_FIRST]       = { "",      ": ", ", " },
	[MG_JSON_NEXT]        = { ", ",    ": ", ", " },
	[MG_JSON_LINE]        = { ",\n  ", ": ", ", " },
	[MG_JSON_TIGHT_FIRST] = { "",      ":",  ","  },
	[MG_JSON_TIGHT]       = { ",",     ":",  ","  },
};

void mg_json_string(GString *o, const char *s)
{
	g_string_append_c(o, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':  g_string_append(o, "\\\""); break;
		case '\\': g_string_append(o, "\\\\"); break;
		case '\n': g_string_append(o, "\\n"); break;
		case '\r': g_string_append(o, "\\r"); break;
		case '\t': g_string_append(o, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(o, "\\u%04x", *p);
			else
				g_string_append_c(o, (char)*p);
		}
	}
	g_string_append_c(o, '"');
}

void mg_json_key(GString *o, mg_json_sep sep, const char *key)
{
	g_string_append(o, seps[sep].before);
	mg_json_string(o, key);
	g_string_append(o, seps[sep].colon);
}

void mg_json_str(GString *o, mg_json_sep sep, const char *key, const char *v)
{
	mg_json_key(o, sep, key);
	if (v)
		mg_json_string(o, v);
	else
		g_string_append(o, "null");
}

void mg_json_bool(GString *o, mg_json_sep sep, const char *key, bool v)
{
	mg_json_key(o, sep, key);
	g_string_append(o, v ? "true" : "false");
}

void mg_json_u64(GString *o, mg_json_sep sep, const char *key, guint64 v)
{
	mg_json_key(o, sep, key);
	g_string_append_printf(o, "%" G_GUINT64_FORMAT, v);
}

void mg_json_i64_or_null(GString *o, mg_json_sep sep, const char *key, gint64 v)
{
	mg_json_key(o, sep, key);
	if (v < 0)
		g_string_append(o, "null");
	else
		g_string_append_printf(o, "%" G_GINT64_FORMAT, v);
}

void mg_json_strings(GString *o, mg_json_sep sep, const char *key,
		     char *const *items, gsize n)
{
	mg_json_key(o, sep, key);
	g_string_append_c(o, '[');
	for (gsize i = 0; i < n; i++) {
		if (i)
			g_string_append(o, seps[sep].comma);
		mg_json_string(o, items[i]);
	}
	g_string_append_c(o, ']');
}

void mg_json_strv(GString *o, mg_json_sep sep, const char *key, char *const *v)
{
	gsize n = 0;

	while (v && v[n])
		n++;
	mg_json_strings(o, sep, key, v, n);
}
