/*
 * notice.h - the notice block put at the top of a sanitized body.
 *
 * The layout comes from a template (conf/notice.ja.txt, conf/notice.en.txt
 * are built in; notice_template names another file).  Template syntax:
 *   {actions}  one line per thing done ("・HTMLメールをテキストに変換しました")
 *   {removed}  one line per removed part: number, name, type, size, SHA-256
 *   {id}       the quarantine ID ("" when no original is kept)
 *   {?name}    at the start of a line: keep the line only when name is not empty
 * A placeholder that expands to several lines repeats the text before it on
 * the line as an indent.  The phrases that fill {actions} and {removed} come
 * from a table per language (notice_language).
 */
#ifndef MG_NOTICE_H
#define MG_NOTICE_H

#include "conf.h"
#include "verdict.h"

/* Renders the notice for v.  Returns UTF-8 text ending in '\n' (caller
 * frees), or NULL with *err set (caller frees) when notice_template cannot
 * be read or is not UTF-8. */
char *mg_notice_render(const mg_verdict *v, const mg_config *cfg, char **err);

/* Expands template tmpl with the three values (NULL = empty); exposed for
 * tests.  Caller frees. */
char *mg_notice_expand(const char *tmpl, const char *actions, const char *removed,
		       const char *id);

#endif
