/*
 * names.c - making an attachment's file name safe to show.
 *
 * SYNOPSIS
 *	char *mg_name_display(const char *name, size_t max_chars);
 *	char *mg_display_line(const char *s);
 *	bool mg_name_suspicious(const char *name);
 *
 * DESCRIPTION
 *	Both run the same steps over the name's characters:
 *	1. decode: each byte that does not start a valid UTF-8 sequence
 *	   (overlong forms and surrogates included) becomes U+FFFD;
 *	2. map: C0/C1 controls, DEL, U+2028/2029, bidi controls, zero-width
 *	   characters, every other invisible format character (Unicode
 *	   category Cf) and noncharacters become '?'; '/' and '\' become
 *	   '_'; other space separators (U+00A0, U+2000-200A, ...) become a
 *	   plain space, except the ideographic space U+3000, which Japanese
 *	   names use;
 *	3. runs of spaces become one space (a long run hides ".exe");
 *	4. leading spaces go, and so do trailing spaces and dots, as Windows
 *	   drops them when saving ("file.pdf   ." is saved as "file.pdf");
 *	5. leading dots become '_' (".htaccess" -> "_htaccess"); with '/'
 *	   already '_', "../../etc/passwd" shows as "___.._etc_passwd";
 *	6. a name left empty shows as "_".
 *	mg_name_display() then cuts the result to max_chars characters (code
 *	points; 0 means MG_NAME_MAX_CHARS): the extension (the last '.' and
 *	at most 15 characters after it, no space among them) is kept after
 *	a "…", e.g. "aaaa…aaa.pdf"; without one the name ends in "…".
 *	Japanese and other printable text passes unchanged.
 *
 *	mg_name_suspicious() is true when step 1, 2, 4 (a dot or space
 *	dropped at the end) or 5 changed something: that is, for what
 *	names.h lists (bidi controls, control characters, path separators)
 *	and also for invalid UTF-8, zero-width characters, leading dots and
 *	trailing dots or spaces.  Cutting to length and collapsing spaces do
 *	not count.
 *
 *	Both return safely for NULL (NULL, false); mg_name_display's result
 *	is the caller's to g_free.  Time and memory are linear in the name.
 */
#include "names.h"

#include <glib.h>
#include <string.h>

#define ELLIPSIS 0x2026
#define EXT_MAX_CHARS 16	/* the dot included */

typedef struct {
	GArray *chars;		/* gunichar */
	bool suspicious;
} name_buf;

static gunichar
at(const name_buf *b, guint i)
{
	return g_array_index(b->chars, gunichar, i);
}

/* Characters that are invisible or move or break the text around them. */
static bool
hidden_char(gunichar c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))	/* C0, DEL, C1 */
		return true;
	if (c == 0x2028 || c == 0x2029)			/* line/para separators */
		return true;
	if (c == 0x061c || c == 0x200e || c == 0x200f ||	/* bidi marks */
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		return true;
	if ((c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff)
		return true;				/* zero width */
	if ((c & 0xfffe) == 0xfffe || (c >= 0xfdd0 && c <= 0xfdef))
		return true;				/* noncharacters */
	return g_unichar_type(c) == G_UNICODE_FORMAT;
}

static gunichar
map_char(gunichar c, bool *suspicious)
{
	if (c == '/' || c == '\\') {
		*suspicious = true;
		return '_';
	}
	if (hidden_char(c)) {
		*suspicious = true;
		return '?';
	}
	if (c != 0x3000 && g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR)
		return ' ';
	return c;
}

/* Steps 1-3: decode, map, collapse runs of spaces. */
static void
decode(name_buf *b, const char *name)
{
	const char *p = name;
	size_t left = strlen(name);

	while (left) {
		gunichar c = g_utf8_get_char_validated(p, (gssize)left);
		size_t n = 1;
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = 0xfffd;
			b->suspicious = true;
		} else
			n = (size_t)(g_utf8_next_char(p) - p);
		p += n;
		left -= n;
		c = map_char(c, &b->suspicious);
		guint len = b->chars->len;
		if (c == ' ' && len && at(b, len - 1) == ' ')
			continue;
		g_array_append_val(b->chars, c);
	}
}

/* Steps 4-6. */
static void
tidy_ends(name_buf *b)
{
	GArray *a = b->chars;
	guint start = 0;

	while (a->len && (at(b, a->len - 1) == ' ' || at(b, a->len - 1) == '.')) {
		g_array_set_size(a, a->len - 1);
		b->suspicious = true;
	}
	while (start < a->len && at(b, start) == ' ')
		start++;
	g_array_remove_range(a, 0, start);
	for (guint i = 0; i < a->len && at(b, i) == '.'; i++) {
		g_array_index(a, gunichar, i) = '_';
		b->suspicious = true;
	}
	if (!a->len) {
		gunichar u = '_';
		g_array_append_val(a, u);
	}
}

static name_buf
neutralise(const char *name)
{
	name_buf b = { g_array_new(FALSE, FALSE, sizeof(gunichar)), false };

	decode(&b, name);
	if (*name)
		tidy_ends(&b);
	return b;
}

/* Length of the extension to keep ('.' included), or 0. */
static guint
extension_len(const name_buf *b)
{
	guint len = b->chars->len;

	for (guint n = 1; n <= EXT_MAX_CHARS && n < len; n++) {
		gunichar c = at(b, len - n);
		if (c == '.')
			return n >= 2 ? n : 0;
		if (c == ' ')
			return 0;
	}
	return 0;
}

/* Cuts to max characters, "…" in place of what goes. */
static void
cut(name_buf *b, size_t max)
{
	GArray *a = b->chars;
	gunichar ell = ELLIPSIS;

	if (a->len <= max)
		return;
	guint ext = extension_len(b);
	if (max < (size_t)ext + 2)
		ext = 0;
	guint head = (guint)max - 1 - ext;
	g_array_remove_range(a, head, a->len - head - ext);
	g_array_insert_val(a, head, ell);
}

char *
mg_name_display(const char *name, size_t max_chars)
{
	if (!name)
		return NULL;
	name_buf b = neutralise(name);
	GString *out = g_string_sized_new(strlen(name) + 8);

	cut(&b, max_chars ? max_chars : MG_NAME_MAX_CHARS);
	for (guint i = 0; i < b.chars->len; i++)
		g_string_append_unichar(out, at(&b, i));
	g_array_free(b.chars, TRUE);
	return g_string_free(out, FALSE);
}

bool
mg_name_suspicious(const char *name)
{
	if (!name)
		return false;
	name_buf b = neutralise(name);
	bool suspicious = b.suspicious;

	g_array_free(b.chars, TRUE);
	return suspicious;
}

char *mg_display_line(const char *s)
{
	char *valid = g_utf8_make_valid(s, -1);
	GString *o = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '\t' || c == '\n' || c == '\r')
			g_string_append_c(o, ' ');
		else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 ||
			 g_unichar_type(c) == G_UNICODE_FORMAT)
			g_string_append_c(o, '?');
		else
			g_string_append_unichar(o, c);
	}
	g_free(valid);
	return g_string_free(o, FALSE);
}
