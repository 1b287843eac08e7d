/*
 * links.h - links in text: finding bare URLs, disarming them, the link list.
 *
 * Policy (setting "links"): keep leaves URLs as they are; defang turns
 * "https://example.com/path" into "hxxps://example[.]com/path" (every '.'
 * of the host bracketed, scheme http->hxxp, ftp->fxp, and "mailto:" kept
 * but its '@' written "[@]"); remove replaces each URL by "[URL削除]" /
 * "[link removed]" in the text and shows only the defanged host in the list.
 * All returned strings are UTF-8, caller frees.
 */
#ifndef MG_LINKS_H
#define MG_LINKS_H

#include <glib.h>
#include <stdbool.h>
#include "html2text.h"

typedef enum { MG_LINKS_KEEP = 0, MG_LINKS_DEFANG, MG_LINKS_REMOVE } mg_links_mode;

/* "hxxps://example[.]com/path"; the input returned copied when it is not a URL. */
char *mg_link_defang(const char *url);

/* Lower-case host of an absolute URL (http, https, ftp), or NULL. */
char *mg_link_host(const char *url);

/* True when the visible text of a link names a host (it looks like a URL or
 * a domain name, e.g. "www.bank.example") and that host differs from the
 * target's host (ignoring a leading "www." and case).  */
bool mg_link_mismatch(const char *text, const char *href);

/* Rewrites bare URLs (http://, https://, ftp://, www.) in plain text per
 * mode, appending each one found to links (text = the URL itself) when
 * links is not NULL.  Returns the new text. */
char *mg_links_in_text(const char *text, mg_links_mode mode, bool english, GPtrArray *links);

/* Renders the numbered link list that goes at the end of the body:
 *   ----
 *   リンク一覧:
 *   [1] hxxps://example[.]com/path
 *   [2] hxxp://evil[.]example/  ※表示(www.bank.example)と実際のリンク先が異なります
 * Empty string when there are no links.  *mismatches (may be NULL) gets
 * the number of flagged links. */
char *mg_links_render_list(const GPtrArray *links, mg_links_mode mode, bool english,
			   unsigned *mismatches);

#endif
