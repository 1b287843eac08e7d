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
/* Also of "www.host/..." and "//host/..."; userinfo and port stripped,
 * %XX in the host decoded, an IPv6 literal with its brackets, IDN as is. */
char *mg_link_host(const char *url);

/* True when the visible text of a link names a host (it looks like a URL or
 * a domain name, e.g. "www.bank.example") and that host differs from the
 * target's host (ignoring a leading "www." and case).  */
/* The text names a host by a URL in it, a "www." or e-mail token in it,
 * or by being one domain-like token ("bank.example/login"; a TLD of
 * letters that is not a file extension, so "report.pdf" is not one).  A
 * target without a host (javascript:, relative) differs from any; an
 * e-mail in the text is compared with a mailto: domain; IDN hosts are
 * compared in their ASCII form. */
bool mg_link_mismatch(const char *text, const char *href);

/* Rewrites bare URLs (http://, https://, ftp://, www.) in plain text per
 * mode, appending each one found to links (text = the URL itself) when
 * links is not NULL.  Returns the new text. */
/* A URL already in links (as the href or the text of a link, e.g. from
 * mg_html_to_text on the same part) or met earlier in this text is not
 * added again.  In remove mode the replacement is followed by " [N]" for
 * URLs this call added or met again (not for ones that were in links
 * before: HTML text has its marker already).  For text converted from HTML
 * call this too, with the same links: a URL written as a link's visible
 * text must be disarmed in the body as well. */
char *mg_links_in_text(const char *text, mg_links_mode mode, bool english, GPtrArray *links);

/* Renders the numbered link list that goes at the end of the body:
 *   ----
 *   リンク一覧:
 *   [1] hxxps://example[.]com/path
 *   [2] hxxp://evil[.]example/  ※表示(www.bank.example)と実際のリンク先が異なります
 * Empty string when there are no links.  *mismatches (may be NULL) gets
 * the number of flagged links. */
/* Exact form: "----\n", "リンク一覧:\n" ("Links:\n" with english), one
 * "[N] target\n" line per link, where target is the href (keep), the
 * defanged href (defang), or "(削除) host" / "(removed) host" with the
 * defanged host or mailto: domain (remove).  A mismatch adds
 * "  ※表示されたリンク先(HOST)と実際のリンク先が異なります" /
 * "  (!) the text shows HOST but the link goes elsewhere"; HOST is the
 * one named by the text, defanged except in keep mode (it comes from the
 * sender, and a mail client would link "www.x").  Control, format (bidi)
 * and space characters in what is shown are percent-encoded, so no URL
 * can add or reorder a line; a URL is cut after 1000 bytes ("..."). */
char *mg_links_render_list(const GPtrArray *links, mg_links_mode mode, bool english,
			   unsigned *mismatches);

#endif
