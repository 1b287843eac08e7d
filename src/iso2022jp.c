/*
 * iso2022jp.c - the ISO-2022-JP reader and writer, and the JIS mapping policy.
 *
 * SYNOPSIS
 *	char *mg_iso2022jp_decode(data, len, &errors, &outlen);
 *	char *mg_iso2022jp_encode(utf8, len, &outlen);
 *	char *mg_charset_map_for_jis(utf8);
 *
 * DESCRIPTION
 *	The reader is an escape-sequence state machine over the ISO-2022-JP
 *	family as Windows writes and reads it (CP50220 / ISO-2022-JP-MS):
 *	ASCII (ESC ( B), JIS X 0201 Roman (ESC ( J, ESC ( H), JIS X 0201
 *	katakana (ESC ( I, and SO/SI from any state), JIS X 0208 (ESC $ @,
 *	ESC $ B, ESC $ ( @, ESC $ ( B, with the ESC & @ announcer ignored)
 *	including NEC row 13 and the NEC-selected IBM extension rows 89-92.
 *	A two-byte JIS code is turned into Shift_JIS by arithmetic and looked
 *	up in a table that iconv's CP932 filled once (g_once; the tables are
 *	never written afterwards, so the functions are thread-safe).
 *	Rows 85-88 (where au writes its emoji in mail) become the placeholder
 *	"[絵文字]".  Unknown escapes, JIS X 0212 (ESC $ ( D), unassigned
 *	codes, 8-bit bytes and NUL become U+FFFD, one per sequence, and are
 *	counted in *errors; no ESC byte ever reaches the output.  State is
 *	kept across line ends, as the Windows decoders do.
 *
 *	The writer applies the mapping policy below, turns half-width
 *	katakana into full-width (composing voiced marks), writes JIS X 0208
 *	(vendor rows included) and ASCII only, and ends in ASCII.  It returns
 *	NULL when a character cannot be carried (emoji, characters outside
 *	JIS X 0208 + NEC/IBM rows) or the text holds ESC, SO, SI or NUL.
 *
 *	All returned strings are NUL-terminated and owned by the caller
 *	(g_free).  Memory comes from GLib (out of memory aborts).
 *
 * MAPPING POLICY (quoted in mugaika.conf(5); see man/charset-policy.txt)
 *	Japanese text is read with the Microsoft variants of the Japanese
 *	charsets (CP932 for Shift_JIS, EUC-JP-MS, CP50220 for ISO-2022-JP),
 *	so a character that has two Unicode forms comes out in the form
 *	Windows uses: WAVE DASH as U+FF5E FULLWIDTH TILDE, minus as U+FF0D,
 *	the dash as U+2015, the double vertical line as U+2225, cent, pound
 *	and not signs as U+FFE0, U+FFE1, U+FFE2.  When text is written as
 *	ISO-2022-JP, the other forms (U+301C, U+2212, U+2014, U+2016, U+00A2,
 *	U+00A3, U+00AC) are written as those same JIS codes, yen sign U+00A5
 *	and overline U+203E as their full-width forms, broken bar U+00A6 as
 *	U+FFE4, and no-break space as a space.  UTF-8 output keeps every
 *	character as decoded.
 */
#include "charset.h"

#include <iconv.h>
#include <string.h>

#define JIS_CELLS (94 * 94)
#define REPL "\xEF\xBF\xBD"
#define EMOJI_PLACEHOLDER "[\xE7\xB5\xB5\xE6\x96\x87\xE5\xAD\x97]"

/* Decode tables (JIS cell -> BMP code point, 0 = unassigned; and the same
 * as UTF-8: length, then up to 3 bytes) and encode table (BMP code point ->
 * JIS code, 0 = none); filled once. */
typedef struct {
	guint16 to_ucs[JIS_CELLS];
	guint8 to_utf8[JIS_CELLS][4];
	guint16 to_jis[65536];
} jis_tables;

static jis_tables tables;

/* ---- tables ---------------------------------------------------------- */

/* JIS X 0208 row/column (0x21..0x7E each) -> Shift_JIS bytes. */
static void jis_to_sjis(unsigned r, unsigned c, unsigned char out[2])
{
	out[0] = (unsigned char)(((r + 1) >> 1) + (r <= 0x5E ? 0x70 : 0xB0));
	if (r & 1)
		out[1] = (unsigned char)(c + (c >= 0x60 ? 0x20 : 0x1F));
	else
		out[1] = (unsigned char)(c + 0x7E);
}

/* One Shift_JIS character through iconv's CP932; 0 when unassigned. */
static gunichar cp932_one(iconv_t cd, const unsigned char sjis[2])
{
	char in[2] = { (char)sjis[0], (char)sjis[1] };
	char out[8];
	char *ip = in, *op = out;
	size_t il = 2, ol = sizeof out;

	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
		return 0;
	*op = '\0';
	gunichar u = g_utf8_get_char_validated(out, (gssize)(op - out));
	return (u > 0 && u < 0x10000) ? u : 0;
}

/* Encoding prefers JIS X 0208 proper, then NEC row 13, then IBM rows. */
static bool encode_pass_has_row(int pass, unsigned r)
{
	if (r == 0x2D)
		return pass == 1;
	if (r >= 0x79)
		return pass == 2;
	return pass == 0;
}

static gpointer tables_init(gpointer unused)
{
	(void)unused;
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		g_error("iconv cannot open CP932: the ISO-2022-JP layer needs it");
	for (unsigned r = 0x21; r <= 0x7E; r++)
		for (unsigned c = 0x21; c <= 0x7E; c++) {
			unsigned char s[2];
			jis_to_sjis(r, c, s);
			gunichar u = cp932_one(cd, s);
			unsigned cell = (r - 0x21) * 94 + (c - 0x21);
			char b[6];
			tables.to_ucs[cell] = (guint16)u;
			tables.to_utf8[cell][0] = u ? (guint8)g_unichar_to_utf8(u, b) : 0;
			memcpy(&tables.to_utf8[cell][1], b, u ? tables.to_utf8[cell][0] : 0);
		}
	iconv_close(cd);
	for (int pass = 0; pass < 3; pass++)
		for (unsigned r = 0x21; r <= 0x7E; r++) {
			if (!encode_pass_has_row(pass, r))
				continue;
			for (unsigned c = 0x21; c <= 0x7E; c++) {
				guint16 u = tables.to_ucs[(r - 0x21) * 94 + (c - 0x21)];
				if (u && !tables.to_jis[u])
					tables.to_jis[u] = (guint16)(r << 8 | c);
			}
		}
	return &tables;
}

static const jis_tables *get_tables(void)
{
	static GOnce once = G_ONCE_INIT;
	return g_once(&once, tables_init, NULL);
}

/* ---- output buffer --------------------------------------------------- */

typedef struct {
	char *p;
	size_t len, cap;
} obuf;

static void ob_reserve(obuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	while (b->len + more + 1 > b->cap)
		b->cap = b->cap * 2 + 16;
	b->p = g_realloc(b->p, b->cap);
}

static void ob_put(obuf *b, const char *s, size_t n)
{
	ob_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void ob_ucs(obuf *b, gunichar u)
{
	ob_reserve(b, 6);
	b->len += (size_t)g_unichar_to_utf8(u, b->p + b->len);
}

static char *ob_finish(obuf *b, size_t *outlen)
{
	ob_reserve(b, 0);
	b->p[b->len] = '\0';
	if (outlen)
		*outlen = b->len;
	return b->p;
}

/* ---- reader ----------------------------------------------------------- */

typedef enum { ST_ASCII, ST_ROMAN, ST_KANA, ST_X0208, ST_X0212 } jis_state;

typedef struct {
	const unsigned char *s;
	size_t len, i;
	jis_state g0;
	bool shifted;           /* SO in effect: katakana */
	size_t errors;
	const jis_tables *t;
	obuf out;
} jis_reader;

static void rd_error(jis_reader *r)
{
	r->errors++;
	ob_put(&r->out, REPL, 3);
}

/* Length of the escape sequence at r->i (ESC, intermediates, final), or 1
 * when it is not one. */
static size_t esc_length(const jis_reader *r)
{
	size_t j = r->i + 1;
	while (j < r->len && j - r->i <= 3 && r->s[j] >= 0x20 && r->s[j] <= 0x2F)
		j++;
	if (j < r->len && r->s[j] >= 0x30 && r->s[j] <= 0x7E)
		return j - r->i + 1;
	return 1;
}

/* The state a designation selects (the bytes after ESC, n of them). */
static bool designation(const unsigned char *b, size_t n, jis_state *st)
{
	if (n == 2 && b[0] == '(' && strchr("BJHI", b[1])) {
		*st = b[1] == 'B' ? ST_ASCII : b[1] == 'I' ? ST_KANA : ST_ROMAN;
		return true;
	}
	if (n == 2 && b[0] == '$' && (b[1] == '@' || b[1] == 'B')) {
		*st = ST_X0208;
		return true;
	}
	if (n == 3 && b[0] == '$' && b[1] == '(' && strchr("@BD", b[2])) {
		*st = b[2] == 'D' ? ST_X0212 : ST_X0208;
		return true;
	}
	return false;
}

static void rd_escape(jis_reader *r)
{
	size_t n = esc_length(r);
	const unsigned char *body = r->s + r->i + 1;

	r->i += n;
	if (n == 3 && body[0] == '&' && body[1] == '@')
		return;         /* JIS X 0208-1990 announcer: ESC $ B follows */
	if (n > 1 && designation(body, n - 1, &r->g0))
		return;
	rd_error(r);
}

/* One two-byte JIS X 0208 code (both bytes 0x21..0x7E) at r->i. */
static void rd_x0208(jis_reader *r, unsigned c1, unsigned c2)
{
	guint16 u = r->t->to_ucs[(c1 - 0x21) * 94 + (c2 - 0x21)];
	r->i += 2;
	if (u)
		ob_ucs(&r->out, u);
	else if (c1 >= 0x75 && c1 <= 0x78)
		ob_put(&r->out, EMOJI_PLACEHOLDER, sizeof EMOJI_PLACEHOLDER - 1);
	else
		rd_error(r);
}

/* The hot loop: a run of assigned JIS X 0208 codes, copied as UTF-8 from
 * the table, up to 4096 codes at a time.  Stops at anything else. */
static void rd_x0208_run(jis_reader *r)
{
	const unsigned char *s = r->s;
	size_t i = r->i, stop;

	do {
		stop = MIN(r->len - 1, i + 8192);
		ob_reserve(&r->out, (stop - i) / 2 * 3 + 3);
		char *o = r->out.p + r->out.len;
		while (i < stop) {
			unsigned c1 = s[i] - 0x21u, c2 = s[i + 1] - 0x21u;
			if (c1 >= 94 || c2 >= 94)
				break;
			const guint8 *u = r->t->to_utf8[c1 * 94 + c2];
			if (!u[0])
				break;
			memcpy(o, u + 1, 3);
			o += u[0];
			i += 2;
		}
		r->out.len = (size_t)(o - r->out.p);
	} while (i == stop && i < r->len - 1);
	r->i = i;
}

/* A graphic byte (0x21..0x7E) in the current state. */
static void rd_graphic(jis_reader *r, unsigned c)
{
	jis_state st = r->shifted ? ST_KANA : r->g0;

	switch (st) {
	case ST_KANA:
		r->i++;
		if (c <= 0x5F)
			ob_ucs(&r->out, 0xFF61 + (c - 0x21));
		else
			rd_error(r);
		return;
	case ST_X0208:
	case ST_X0212: {
		unsigned c2 = r->i + 1 < r->len ? r->s[r->i + 1] : 0;
		if (c2 < 0x21 || c2 > 0x7E) {
			r->i++;
			rd_error(r);
		} else if (st == ST_X0212) {
			r->i += 2;
			rd_error(r);
		} else {
			rd_x0208(r, c, c2);
		}
		return;
	}
	case ST_ROMAN:
		r->i++;
		if (c == 0x5C)
			ob_ucs(&r->out, 0x00A5);
		else if (c == 0x7E)
			ob_ucs(&r->out, 0x203E);
		else
			ob_put(&r->out, (const char *)&r->s[r->i - 1], 1);
		return;
	case ST_ASCII:
		r->i++;
		ob_put(&r->out, (const char *)&r->s[r->i - 1], 1);
		return;
	}
}

/* Copies the run of plain ASCII bytes at r->i (the common case). */
static void rd_ascii_run(jis_reader *r)
{
	size_t j = r->i;
	while (j < r->len && r->s[j] >= 0x10 && r->s[j] < 0x80 && r->s[j] != 0x1B)
		j++;
	if (j == r->i)
		j++;
	ob_put(&r->out, (const char *)r->s + r->i, j - r->i);
	r->i = j;
}

static void rd_step(jis_reader *r)
{
	unsigned c = r->s[r->i];

	if (c == 0x1B) {
		rd_escape(r);
	} else if (c == 0x0E || c == 0x0F) {
		r->shifted = (c == 0x0E);
		r->i++;
	} else if (c == 0 || c >= 0x80) {
		r->i++;
		rd_error(r);
	} else if (c <= 0x20 || c == 0x7F) {
		r->i++;
		ob_put(&r->out, (const char *)&r->s[r->i - 1], 1);
	} else if (r->g0 == ST_ASCII && !r->shifted) {
		rd_ascii_run(r);
	} else {
		size_t at = r->i;
		if (r->g0 == ST_X0208 && !r->shifted && r->i + 1 < r->len)
			rd_x0208_run(r);
		if (r->i == at)
			rd_graphic(r, c);
	}
}

char *mg_iso2022jp_decode(const char *data, size_t len, size_t *errors, size_t *outlen)
{
	jis_reader r = {
		.s = (const unsigned char *)data, .len = data ? len : 0,
		.g0 = ST_ASCII, .t = get_tables(),
	};
	r.out.cap = r.len + r.len / 2 + 16;
	r.out.p = g_malloc(r.out.cap);
	while (r.i < r.len)
		rd_step(&r);
	if (errors)
		*errors += r.errors;
	return ob_finish(&r.out, outlen);
}

/* ---- mapping policy ------------------------------------------------------ */

/* The one policy: the form the JIS output carries (and Windows shows). */
static gunichar jis_policy(gunichar u)
{
	switch (u) {
	case 0x301C: return 0xFF5E;     /* WAVE DASH -> FULLWIDTH TILDE */
	case 0x2212: return 0xFF0D;     /* MINUS SIGN -> FULLWIDTH HYPHEN-MINUS */
	case 0x2014: return 0x2015;     /* EM DASH -> HORIZONTAL BAR */
	case 0x2016: return 0x2225;     /* DOUBLE VERTICAL LINE -> PARALLEL TO */
	case 0x00A2: return 0xFFE0;     /* CENT SIGN */
	case 0x00A3: return 0xFFE1;     /* POUND SIGN */
	case 0x00AC: return 0xFFE2;     /* NOT SIGN */
	case 0x00A5: return 0xFFE5;     /* YEN SIGN */
	case 0x203E: return 0xFFE3;     /* OVERLINE -> FULLWIDTH MACRON */
	case 0x00A6: return 0xFFE4;     /* BROKEN BAR */
	case 0x00A0: return 0x0020;     /* NO-BREAK SPACE -> SPACE */
	default: return u;
	}
}

char *mg_charset_map_for_jis(const char *utf8)
{
	size_t n = utf8 ? strlen(utf8) : 0;
	char *clean = mg_utf8_sanitize(utf8 ? utf8 : "", n, NULL);
	GString *s = g_string_sized_new(n + 8);

	for (const char *p = clean; *p; p = g_utf8_next_char(p))
		g_string_append_unichar(s, jis_policy(g_utf8_get_char(p)));
	g_free(clean);
	return g_string_free(s, FALSE);
}

/* ---- writer ------------------------------------------------------------- */

/* Half-width katakana U+FF61..U+FF9F -> full-width. */
static const guint16 kana_full[63] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3,
	0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,
	0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,
	0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF,
	0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD,
	0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
	0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA,
	0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C,
};

/* Full-width katakana k followed by half-width voiced (U+FF9E) or
 * semi-voiced (U+FF9F) mark: the composed character, or 0. */
static gunichar kana_compose(gunichar k, gunichar mark)
{
	bool ha_row = k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0;

	if (mark == 0xFF9F)
		return ha_row ? k + 2 : 0;
	if (mark != 0xFF9E)
		return 0;
	if (k == 0x30A6)
		return 0x30F4;                          /* U + voiced = VU */
	if (ha_row)
		return k + 1;
	if ((k >= 0x30AB && k <= 0x30C1 && (k & 1)) ||
	    k == 0x30C4 || k == 0x30C6 || k == 0x30C8)
		return k + 1;
	return 0;
}

typedef struct {
	obuf out;
	bool jis;               /* in JIS X 0208 mode */
	const jis_tables *t;
} jis_writer;

static void wr_mode(jis_writer *w, bool jis)
{
	if (w->jis != jis)
		ob_put(&w->out, jis ? "\x1B$B" : "\x1B(B", 3);
	w->jis = jis;
}

/* Writes one code point; false when it cannot be carried. */
static bool wr_char(jis_writer *w, gunichar u)
{
	if (u < 0x80) {
		if (u == 0 || u == 0x1B || u == 0x0E || u == 0x0F)
			return false;
		wr_mode(w, false);
		char c = (char)u;
		ob_put(&w->out, &c, 1);
		return true;
	}
	u = jis_policy(u);
	if (u < 0x80)
		return wr_char(w, u);
	guint16 code = u < 0x10000 ? w->t->to_jis[u] : 0;
	if (!code)
		return false;
	wr_mode(w, true);
	char b[2] = { (char)(code >> 8), (char)(code & 0xFF) };
	ob_put(&w->out, b, 2);
	return true;
}

char *mg_iso2022jp_encode(const char *utf8, size_t len, size_t *outlen)
{
	if (!utf8 || !mg_utf8_valid(utf8, len))
		return NULL;
	jis_writer w = { .t = get_tables() };
	w.out.cap = len + len / 2 + 16;
	w.out.p = g_malloc(w.out.cap);

	const char *p = utf8, *end = utf8 + len;
	while (p < end) {
		gunichar u = g_utf8_get_char(p);
		p = g_utf8_next_char(p);
		if (u >= 0xFF61 && u <= 0xFF9F) {
			u = kana_full[u - 0xFF61];
			gunichar v = p < end ? kana_compose(u, g_utf8_get_char(p)) : 0;
			if (v) {
				u = v;
				p = g_utf8_next_char(p);
			}
		}
		if (!wr_char(&w, u)) {
			g_free(w.out.p);
			return NULL;
		}
	}
	wr_mode(&w, false);
	return ob_finish(&w.out, outlen);
}
