/*
 * json.h - writing JSON into a GString: the pieces that the verdict, the
 * JSON summary log line, the report and the --json output of the
 * quarantine verbs share.  What fields a document has stays with the
 * document (verdict.c, log.c, report_text.c, cmd_*.c).
 *
 * Every function appends to a GString the caller owns and returns
 * nothing; the strings passed in are only read.  Strings are escaped as
 * they are (bytes >= 0x80 copied): a caller that may hold invalid UTF-8
 * makes it valid first.  A member ("key": value) is opened by an
 * mg_json_sep, which says what stands before the key and after it, so that
 * each document keeps its layout byte for byte.
 */
#ifndef MG_JSON_H
#define MG_JSON_H

#include <glib.h>
#include <stdbool.h>

/* What stands before a member's key, after it, and between array items. */
typedef enum mg_json_sep {
	MG_JSON_FIRST,       /* "key": v       first member; items ", " */
	MG_JSON_NEXT,        /* , "key": v     a later member, same line */
	MG_JSON_LINE,        /* ,\n  "key": v  a later member, on its own line */
	MG_JSON_TIGHT_FIRST, /* "key":v        first member, compact; items "," */
	MG_JSON_TIGHT,       /* ,"key":v       a later member, compact */
} mg_json_sep;

/* s escaped, quotes included; NULL is written as "". */
void mg_json_string(GString *o, const char *s);

/* The separator, "key" and the colon; the caller writes the value. */
void mg_json_key(GString *o, mg_json_sep sep, const char *key);

/* Members whose value is: the string v, or null for NULL; true or false;
 * the number v; the number v, or null when v < 0. */
void mg_json_str(GString *o, mg_json_sep sep, const char *key, const char *v);
void mg_json_bool(GString *o, mg_json_sep sep, const char *key, bool v);
void mg_json_u64(GString *o, mg_json_sep sep, const char *key, guint64 v);
void mg_json_i64_or_null(GString *o, mg_json_sep sep, const char *key, gint64 v);

/* A member whose value is the array of strings items[0..n-1]; items may be
 * NULL when n is 0. */
void mg_json_strings(GString *o, mg_json_sep sep, const char *key,
		     char *const *items, gsize n);
/* The same for a NULL-terminated vector (NULL is []). */
void mg_json_strv(GString *o, mg_json_sep sep, const char *key, char *const *v);

#endif
