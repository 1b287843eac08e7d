/*
 * charset.c - charset naming, detection and conversion to UTF-8.
 *
 * SYNOPSIS
 *	const char *mg_charset_canonical(declared);
 *	char *mg_charset_to_utf8(data, len, declared, &info, &outlen);
 *	char *mg_charset_convert_strict(data, len, charset, &outlen);
 *	bool  mg_utf8_valid(s, len);
 *	char *mg_utf8_sanitize(s, len, &replacements);
 *
 * DESCRIPTION
 *	mg_charset_canonical() maps a declared label onto the name this module
 *	decodes with: the Japanese supersets (CP932, EUC-JP-MS, our own
 *	ISO-2022-JP), the WHATWG-style supersets for Latin-1, GB2312, KS C
 *	5601, Big5, and otherwise any name iconv can open (upper-cased and
 *	interned: the set of such names is bounded by iconv's own list).
 *
 *	mg_charset_to_utf8() is the one entry point for bodies and words:
 *	  1. fast path: ASCII (without NUL, ESC, SO, SI) or valid UTF-8 under
 *	     an ASCII-compatible label is copied, with no iconv or uchardet;
 *	     valid non-ASCII UTF-8 under a legacy label is taken as UTF-8 and
 *	     reported as mislabeled (legacy text is practically never valid
 *	     UTF-8);
 *	  2. 7-bit text with ISO-2022-JP designations is ISO-2022-JP;
 *	  3. the declared charset, strictly;
 *	  4. valid UTF-8;
 *	  5. uchardet, when it names a multi-byte charset that decodes cleanly;
 *	  6. CP932 / EUC-JP-MS when either decodes cleanly into Japanese text
 *	     (uchardet cannot judge a short header);
 *	  7. uchardet's single-byte answer (not for a short text under a
 *	     multi-byte label: there uchardet guesses at random);
 *	  8. the candidate with the fewest U+FFFD replacements.
 *	Shift_JIS text goes through CP932, whose private-use codes (carrier
 *	emoji) become Unicode emoji from a table of common docomo pictographs,
 *	or "[絵文字]" for the rest; never a wrong kanji.  NUL bytes never reach
 *	the output: they become U+FFFD and are counted.
 *
 *	All returned strings are NUL-terminated UTF-8 owned by the caller
 *	(g_free); mg_charset_canonical() returns a static string.  iconv
 *	descriptors are opened per call; nothing mutable is shared.
 */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <uchardet.h>

#define REPL "\xEF\xBF\xBD"
#define EMOJI_PLACEHOLDER "[\xE7\xB5\xB5\xE6\x96\x87\xE5\xAD\x97]"
#define MAX_NAME 40

/* ---- names ------------------------------------------------------------- */

static const struct {
	const char *alias, *canonical;
} aliases[] = {
	{ "iso-2022-jp", "ISO-2022-JP" }, { "csiso2022jp", "ISO-2022-JP" },
	{ "iso-2022-jp-1", "ISO-2022-JP" }, { "iso-2022-jp-2", "ISO-2022-JP" },
	{ "iso-2022-jp-3", "ISO-2022-JP" }, { "iso-2022-jp-ms", "ISO-2022-JP" },
	{ "cp50220", "ISO-2022-JP" }, { "cp50221", "ISO-2022-JP" },
	{ "cp50222", "ISO-2022-JP" }, { "jis", "ISO-2022-JP" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "windows-31j", "CP932" }, { "cp932", "CP932" },
	{ "ms932", "CP932" }, { "ms_kanji", "CP932" }, { "csshiftjis", "CP932" },
	{ "x-ms-cp932", "CP932" }, { "sjis-win", "CP932" }, { "sjis-open", "CP932" },
	{ "shift_jis-2004", "SHIFT_JISX0213" },
	{ "euc-jp", "EUC-JP-MS" }, { "eucjp", "EUC-JP-MS" }, { "x-euc-jp", "EUC-JP-MS" },
	{ "euc-jp-ms", "EUC-JP-MS" }, { "eucjp-ms", "EUC-JP-MS" },
	{ "eucjp-win", "EUC-JP-MS" }, { "cseucpkdfmtjapanese", "EUC-JP-MS" },
	{ "us-ascii", "UTF-8" }, { "ascii", "UTF-8" }, { "ansi_x3.4-1968", "UTF-8" },
	{ "iso646-us", "UTF-8" }, { "us", "UTF-8" }, { "utf-8", "UTF-8" },
	{ "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" }, { "euc-kr", "CP949" },
	{ "cp949", "CP949" }, { "uhc", "CP949" }, { "x-windows-949", "CP949" },
	{ "korean", "CP949" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "cp936", "GB18030" },
	{ "x-gbk", "GB18030" }, { "euc-cn", "GB18030" }, { "gb18030", "GB18030" },
	{ "csgb2312", "GB18030" }, { "chinese", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" }, { "cn-big5", "BIG5-HKSCS" },
	{ "x-x-big5", "BIG5-HKSCS" }, { "cp950", "BIG5-HKSCS" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
	{ "windows-1252", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" },
	{ "x-ansi", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" }, { "latin5", "WINDOWS-1254" },
	{ "tis-620", "WINDOWS-874" }, { "iso-8859-11", "WINDOWS-874" },
	{ "utf-16", "UTF-16" }, { "utf-16le", "UTF-16LE" }, { "utf-16be", "UTF-16BE" },
	{ "utf-7", "UTF-7" },
};

/* Lower-cased label without quotes, blanks or an RFC 2231 "*lang". */
static bool normalize_label(const char *declared, char out[MAX_NAME + 1])
{
	size_t n = 0;

	if (!declared)
		return false;
	while (*declared == ' ' || *declared == '\t' || *declared == '"' || *declared == '\'')
		declared++;
	for (; *declared && *declared != '*' && *declared != '"' && *declared != '\''; declared++) {
		unsigned char c = (unsigned char)*declared;
		if (c == ' ' || c == '\t')
			break;
		if (n == MAX_NAME || !(g_ascii_isalnum(c) || strchr("-_.:()+", c)))
			return false;
		out[n++] = g_ascii_tolower((char)c);
	}
	out[n] = '\0';
	return n > 0;
}

static bool iconv_knows(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

const char *mg_charset_canonical(const char *declared)
{
	char low[MAX_NAME + 1];

	if (!normalize_label(declared, low))
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++)
		if (strcmp(low, aliases[i].alias) == 0)
			return aliases[i].canonical;
	char *up = g_ascii_strup(low, -1);
	const char *res = iconv_knows(up) ? g_intern_string(up) : NULL;
	g_free(up);
	return res;
}

static bool is_label(const char *declared, const char *which)
{
	char low[MAX_NAME + 1];
	return normalize_label(declared, low) && strcmp(low, which) == 0;
}

/* Charsets in which ASCII bytes do not simply mean ASCII. */
static bool ascii_compatible(const char *canon)
{
	return !(g_str_has_prefix(canon, "UTF-16") || g_str_has_prefix(canon, "UTF-32") ||
		 g_str_has_prefix(canon, "UCS-") || g_str_has_prefix(canon, "UTF-7") ||
		 g_str_has_prefix(canon, "HZ") || strstr(canon, "EBCDIC") ||
		 g_str_has_prefix(canon, "IBM0") || g_str_has_prefix(canon, "CP037") ||
		 g_str_has_prefix(canon, "ISO-2022-KR") || g_str_has_prefix(canon, "ISO-2022-CN"));
}

/* ---- UTF-8 ------------------------------------------------------------- */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any byte of w is zero (exact, see "Bit Twiddling Hacks"). */
static inline guint64 has_zero(guint64 w)
{
	return (w - ONES) & ~w & HIGHS;
}

static inline bool cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the valid non-ASCII UTF-8 sequence at p (Unicode 3.9, table
 * 3-7: no overlongs, surrogates or code points past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];

	if (c >= 0xC2 && c <= 0xDF)
		return left >= 2 && cont(p[1]) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (left < 3 || !cont(p[1]) || !cont(p[2]))
			return 0;
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (left < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3]))
			return 0;
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

/* Length of the longest prefix of s that is valid UTF-8 without NUL. */
static size_t utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		if (*p >= 0x80) {
			size_t n = utf8_seq(p, (size_t)(end - p));
			if (!n)
				break;
			p += n;
			continue;
		}
		if (*p == 0)
			break;
		p++;
		for (guint64 w; end - p >= 8; p += 8) {
			memcpy(&w, p, 8);
			if ((w & HIGHS) || has_zero(w))
				break;
		}
	}
	return (size_t)(p - (const unsigned char *)s);
}

bool mg_utf8_valid(const char *s, size_t len)
{
	if (!s)
		return len == 0;
	return utf8_valid_prefix(s, len) == len;
}

char *mg_utf8_sanitize(const char *s, size_t len, size_t *replacements)
{
	GString *out = g_string_sized_new(len + 4);
	const char *p = s ? s : "", *end = p + (s ? len : 0);

	while (p < end) {
		size_t ok = utf8_valid_prefix(p, (size_t)(end - p));
		g_string_append_len(out, p, (gssize)ok);
		p += ok;
		if (p == end)
			break;
		g_string_append(out, REPL);
		if (replacements)
			(*replacements)++;
		p++;
	}
	return g_string_free(out, FALSE);
}

/* ---- carrier emoji ------------------------------------------------------ */

/* docomo pictographs as CP932 maps them (SJIS F89F.. -> U+E63E..) and their
 * Unicode emoji; the rest of the private-use area becomes a placeholder. */
static const struct {
	guint16 pua;
	guint32 ucs;
} docomo[] = {
	{ 0xE63E, 0x2600 }, { 0xE63F, 0x2601 }, { 0xE640, 0x2614 }, { 0xE641, 0x26C4 },
	{ 0xE642, 0x26A1 }, { 0xE643, 0x1F300 }, { 0xE644, 0x1F301 }, { 0xE645, 0x1F302 },
	{ 0xE646, 0x2648 }, { 0xE647, 0x2649 }, { 0xE648, 0x264A }, { 0xE649, 0x264B },
	{ 0xE64A, 0x264C }, { 0xE64B, 0x264D }, { 0xE64C, 0x264E }, { 0xE64D, 0x264F },
	{ 0xE64E, 0x2650 }, { 0xE64F, 0x2651 }, { 0xE650, 0x2652 }, { 0xE651, 0x2653 },
	{ 0xE653, 0x26BE }, { 0xE654, 0x26F3 }, { 0xE655, 0x1F3BE }, { 0xE656, 0x26BD },
	{ 0xE657, 0x1F3BF }, { 0xE658, 0x1F3C0 }, { 0xE659, 0x1F3C1 }, { 0xE65A, 0x1F4DF },
	{ 0xE65B, 0x1F683 }, { 0xE65C, 0x24C2 }, { 0xE65D, 0x1F684 }, { 0xE65E, 0x1F697 },
	{ 0xE65F, 0x1F699 }, { 0xE660, 0x1F68C }, { 0xE661, 0x1F6A2 }, { 0xE662, 0x2708 },
	{ 0xE663, 0x1F3E0 }, { 0xE664, 0x1F3E2 }, { 0xE665, 0x1F3E3 }, { 0xE666, 0x1F3E5 },
	{ 0xE667, 0x1F3E6 }, { 0xE668, 0x1F3E7 }, { 0xE669, 0x1F3E8 }, { 0xE66A, 0x1F3EA },
	{ 0xE66B, 0x26FD }, { 0xE66C, 0x1F17F }, { 0xE66D, 0x1F6A5 }, { 0xE66E, 0x1F6BB },
	{ 0xE66F, 0x1F374 }, { 0xE670, 0x2615 }, { 0xE671, 0x1F378 }, { 0xE672, 0x1F37A },
	{ 0xE673, 0x1F354 }, { 0xE674, 0x1F460 }, { 0xE675, 0x2702 }, { 0xE676, 0x1F3A4 },
	{ 0xE677, 0x1F3A5 }, { 0xE678, 0x2197 }, { 0xE679, 0x1F3A0 }, { 0xE67A, 0x1F3A7 },
	{ 0xE67B, 0x1F3A8 }, { 0xE67C, 0x1F3A9 }, { 0xE67D, 0x1F3AA }, { 0xE67E, 0x1F3AB },
	{ 0xE67F, 0x1F6AC }, { 0xE680, 0x1F6AD }, { 0xE681, 0x1F4F7 }, { 0xE682, 0x1F45C },
	{ 0xE683, 0x1F4D6 }, { 0xE684, 0x1F380 }, { 0xE685, 0x1F381 }, { 0xE686, 0x1F382 },
	{ 0xE687, 0x260E }, { 0xE688, 0x1F4F1 }, { 0xE689, 0x1F4DD }, { 0xE68A, 0x1F4FA },
	{ 0xE68B, 0x1F3AE }, { 0xE68C, 0x1F4BF }, { 0xE68D, 0x2665 }, { 0xE68E, 0x2660 },
	{ 0xE68F, 0x2666 }, { 0xE690, 0x2663 }, { 0xE691, 0x1F440 }, { 0xE692, 0x1F442 },
	{ 0xE693, 0x270A }, { 0xE694, 0x270C }, { 0xE695, 0x270B }, { 0xE696, 0x2198 },
	{ 0xE697, 0x2196 }, { 0xE698, 0x1F463 }, { 0xE699, 0x1F45F }, { 0xE69A, 0x1F453 },
	{ 0xE69B, 0x267F }, { 0xE69C, 0x1F311 }, { 0xE69D, 0x1F314 }, { 0xE69E, 0x1F313 },
	{ 0xE69F, 0x1F319 }, { 0xE6A0, 0x1F315 }, { 0xE6A1, 0x1F436 }, { 0xE6A2, 0x1F431 },
	{ 0xE6A3, 0x26F5 }, { 0xE6A4, 0x1F384 }, { 0xE6A5, 0x2199 },
	{ 0xE6EC, 0x2764 }, { 0xE6ED, 0x1F493 }, { 0xE6EE, 0x1F494 }, { 0xE6EF, 0x1F495 },
	{ 0xE6F0, 0x1F603 }, { 0xE6F1, 0x1F620 }, { 0xE6F2, 0x1F61E }, { 0xE6F3, 0x1F616 },
	{ 0xE6F4, 0x1F635 }, { 0xE6F5, 0x2934 }, { 0xE6F6, 0x1F3B5 }, { 0xE6F7, 0x2668 },
	{ 0xE6F8, 0x1F4A0 }, { 0xE6F9, 0x1F48B }, { 0xE6FA, 0x2728 }, { 0xE6FB, 0x1F4A1 },
	{ 0xE6FC, 0x1F4A2 }, { 0xE6FD, 0x1F44A }, { 0xE6FE, 0x1F4A3 }, { 0xE6FF, 0x1F3B6 },
	{ 0xE700, 0x2935 }, { 0xE701, 0x1F4A4 }, { 0xE702, 0x2757 }, { 0xE703, 0x2049 },
	{ 0xE704, 0x203C }, { 0xE705, 0x1F4A5 }, { 0xE706, 0x1F4A6 }, { 0xE707, 0x1F613 },
	{ 0xE708, 0x1F4A8 }, { 0xE709, 0x3030 }, { 0xE70A, 0x27B0 }, { 0xE70B, 0x1F197 },
	{ 0xE70E, 0x1F455 }, { 0xE70F, 0x1F45B }, { 0xE710, 0x1F484 }, { 0xE711, 0x1F456 },
	{ 0xE712, 0x1F3C2 }, { 0xE713, 0x1F514 }, { 0xE714, 0x1F6AA }, { 0xE715, 0x1F4B0 },
	{ 0xE716, 0x1F4BB }, { 0xE717, 0x1F48C }, { 0xE718, 0x1F527 }, { 0xE719, 0x270F },
	{ 0xE71A, 0x1F451 }, { 0xE71B, 0x1F48D }, { 0xE71C, 0x23F3 }, { 0xE71D, 0x1F6B2 },
	{ 0xE71E, 0x1F375 }, { 0xE71F, 0x231A }, { 0xE720, 0x1F614 }, { 0xE721, 0x1F60C },
	{ 0xE722, 0x1F625 }, { 0xE723, 0x1F613 }, { 0xE724, 0x1F621 }, { 0xE725, 0x1F612 },
	{ 0xE726, 0x1F60D }, { 0xE727, 0x1F44D }, { 0xE728, 0x1F61C }, { 0xE729, 0x1F609 },
	{ 0xE72A, 0x1F606 }, { 0xE72B, 0x1F623 }, { 0xE72C, 0x1F60F }, { 0xE72D, 0x1F62D },
	{ 0xE72E, 0x1F622 }, { 0xE72F, 0x1F196 }, { 0xE730, 0x1F4CE }, { 0xE731, 0x00A9 },
	{ 0xE732, 0x2122 }, { 0xE733, 0x1F3C3 }, { 0xE734, 0x3299 }, { 0xE735, 0x267B },
	{ 0xE736, 0x00AE }, { 0xE737, 0x26A0 }, { 0xE738, 0x1F232 }, { 0xE739, 0x1F233 },
	{ 0xE73A, 0x1F250 }, { 0xE73B, 0x1F235 }, { 0xE73C, 0x2194 }, { 0xE73D, 0x2195 },
	{ 0xE73E, 0x1F3EB }, { 0xE73F, 0x1F30A }, { 0xE740, 0x1F5FB }, { 0xE741, 0x1F340 },
	{ 0xE742, 0x1F352 }, { 0xE743, 0x1F337 }, { 0xE744, 0x1F34C }, { 0xE745, 0x1F34E },
	{ 0xE746, 0x1F331 }, { 0xE747, 0x1F341 }, { 0xE748, 0x1F338 }, { 0xE749, 0x1F359 },
	{ 0xE74A, 0x1F370 }, { 0xE74B, 0x1F376 }, { 0xE74C, 0x1F35C }, { 0xE74D, 0x1F35E },
	{ 0xE74E, 0x1F40C }, { 0xE74F, 0x1F424 }, { 0xE750, 0x1F427 }, { 0xE751, 0x1F41F },
	{ 0xE752, 0x1F60B }, { 0xE753, 0x1F601 }, { 0xE754, 0x1F434 }, { 0xE755, 0x1F437 },
	{ 0xE756, 0x1F377 }, { 0xE757, 0x1F631 },
};

static gunichar docomo_emoji(gunichar pua)
{
	size_t lo = 0, hi = G_N_ELEMENTS(docomo);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (docomo[mid].pua == pua)
			return docomo[mid].ucs;
		if (docomo[mid].pua < pua)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Replaces the CP932 private-use range U+E000..U+E757 in s (UTF-8). */
static char *carrier_emoji(char *s, size_t *len)
{
	if (!memchr(s, 0xEE, *len))
		return s;
	GString *out = g_string_sized_new(*len + 16);
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);
		gunichar e = (u >= 0xE000 && u <= 0xE757) ? docomo_emoji(u) : 0;
		if (e)
			g_string_append_unichar(out, e);
		else if (u >= 0xE000 && u <= 0xE757)
			g_string_append(out, EMOJI_PLACEHOLDER);
		else
			g_string_append_unichar(out, u);
	}
	g_free(s);
	*len = out->len;
	return g_string_free(out, FALSE);
}

/* ---- iconv ------------------------------------------------------------- */

/* Replaces NUL bytes of an iconv result with U+FFFD. */
static char *replace_nul(char *s, size_t *len, size_t *replacements)
{
	if (!memchr(s, 0, *len))
		return s;
	GString *out = g_string_sized_new(*len + 8);
	for (size_t i = 0; i < *len; i++) {
		if (s[i])
			g_string_append_c(out, s[i]);
		else {
			g_string_append(out, REPL);
			(*replacements)++;
		}
	}
	g_free(s);
	*len = out->len;
	return g_string_free(out, FALSE);
}

/* Converts with iconv into UTF-8.  strict: NULL on the first invalid byte;
 * otherwise each invalid byte becomes U+FFFD, counted in *replacements. */
static char *iconv_decode(const char *data, size_t len, const char *charset,
			  bool strict, size_t *replacements, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return NULL;
	GString *out = g_string_sized_new(len * 2 + 16);
	char *in = (char *)data, buf[4096], *op;
	size_t inleft = len, bad = 0, ol;

	while (inleft > 0 && !(strict && bad)) {
		op = buf;
		ol = sizeof buf;
		size_t r = iconv(cd, &in, &inleft, &op, &ol);
		int err = errno;
		g_string_append_len(out, buf, op - buf);
		if (r != (size_t)-1 || err == E2BIG)
			continue;
		bad++;                  /* EILSEQ, or EINVAL: truncated at the end */
		g_string_append(out, REPL);
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = buf;
	ol = sizeof buf;
	iconv(cd, NULL, NULL, &op, &ol);
	g_string_append_len(out, buf, op - buf);
	iconv_close(cd);
	if (strict && bad) {
		g_string_free(out, TRUE);
		return NULL;
	}
	*replacements += bad;
	*outlen = out->len;
	return g_string_free(out, FALSE);
}

/* Decodes with one charset (canonical name).  strict: NULL unless every
 * byte decodes; otherwise never NULL when the charset can be opened.
 * pictographs: CP932 private-use codes become emoji (else left as is). */
static char *decode_cs(const char *data, size_t len, const char *canon, bool strict,
		       bool pictographs, size_t *replacements, size_t *outlen)
{
	size_t bad = 0, n = 0;
	char *s;

	if (strcmp(canon, "ISO-2022-JP") == 0) {
		s = mg_iso2022jp_decode(data, len, &bad, &n);
	} else if (strcmp(canon, "UTF-8") == 0) {
		s = mg_utf8_sanitize(data, len, &bad);
		n = strlen(s);
	} else {
		s = iconv_decode(data, len, canon, strict, &bad, &n);
		if (s)
			s = replace_nul(s, &n, &bad);
		if (s && pictographs && strcmp(canon, "CP932") == 0)
			s = carrier_emoji(s, &n);
	}
	if (s && strict && bad) {
		g_free(s);
		s = NULL;
	}
	if (s) {
		*replacements += bad;
		*outlen = n;
	}
	return s;
}

static char *decode_with(const char *data, size_t len, const char *canon, bool strict,
			 size_t *replacements, size_t *outlen)
{
	return decode_cs(data, len, canon, strict, true, replacements, outlen);
}

char *mg_charset_convert_strict(const char *data, size_t len, const char *charset,
				size_t *outlen)
{
	const char *canon = mg_charset_canonical(charset);
	size_t bad = 0, n = 0;

	if (!canon)
		return NULL;
	char *s = decode_with(data ? data : "", data ? len : 0, canon, true, &bad, &n);
	if (s && outlen)
		*outlen = n;
	return s;
}

/* ---- detection ---------------------------------------------------------- */

typedef struct {
	const char *data;
	size_t len;
	const char *declared;   /* canonical, or NULL */
	const char *used;       /* result: canonical name */
	size_t replacements;
	size_t outlen;
} detect_job;


/* 0: ASCII without ESC/SO/SI/NUL; 1: valid UTF-8 (non-ASCII) without
 * those; 2: anything else.  Eight bytes at a time. */
static int classify_bytes(const char *s, size_t len)
{
	guint64 high = 0, special = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;
		memcpy(&w, s + i, 8);
		high |= w;
		special |= has_zero(w) | has_zero(w ^ (ONES * 0x0E)) |
			   has_zero(w ^ (ONES * 0x0F)) | has_zero(w ^ (ONES * 0x1B));
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		high |= c;
		special |= (c == 0 || c == 0x0E || c == 0x0F || c == 0x1B);
	}
	if (special)
		return 2;
	if (!(high & HIGHS))
		return 0;
	return mg_utf8_valid(s, len) ? 1 : 2;
}

static char *try_strict(detect_job *j, const char *canon)
{
	size_t bad = 0;
	char *s = canon ? decode_with(j->data, j->len, canon, true, &bad, &j->outlen) : NULL;
	if (s)
		j->used = canon;
	return s;
}

static bool has_escape_designation(const char *s, size_t len)
{
	for (const char *p = memchr(s, 0x1B, len); p && p + 1 < s + len;
	     p = memchr(p + 1, 0x1B, (size_t)(s + len - p - 1)))
		if (p[1] == '$' || p[1] == '(')
			return true;
	return false;
}

/* uchardet's guess, canonical, or NULL. */
static const char *uchardet_guess(const char *data, size_t len)
{
	uchardet_t ud = uchardet_new();
	const char *canon = NULL;

	if (uchardet_handle_data(ud, data, len) == 0) {
		uchardet_data_end(ud);
		canon = mg_charset_canonical(uchardet_get_charset(ud));
	}
	uchardet_delete(ud);
	return canon;
}

static bool single_byte(const char *canon)
{
	return g_str_has_prefix(canon, "WINDOWS-") || g_str_has_prefix(canon, "ISO-8859") ||
	       g_str_has_prefix(canon, "KOI8") || g_str_has_prefix(canon, "IBM") ||
	       g_str_has_prefix(canon, "MAC") || g_str_has_prefix(canon, "CP8") ||
	       g_str_has_prefix(canon, "TIS") || g_str_has_prefix(canon, "VISCII");
}

/* How Japanese a decoded text looks: kana and kanji count for it, anything
 * else non-ASCII (half-width kana included: Latin-1 read as CP932) against. */
static long japanese_score(const char *s)
{
	long score = 0;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);
		if (u < 0x80)
			continue;
		if ((u >= 0x3000 && u <= 0x30FF) || (u >= 0x4E00 && u <= 0x9FFF) ||
		    (u >= 0xFF01 && u <= 0xFF5E) || (u >= 0x2460 && u <= 0x24FF))
			score += 2;
		else
			score -= 4;
	}
	return score;
}

/* Step 5: CP932 or EUC-JP-MS when one of them reads as Japanese (scored
 * before pictographs are replaced: private-use codes count against). */
static char *try_japanese(detect_job *j)
{
	static const char *const cands[] = { "CP932", "EUC-JP-MS" };
	char *best = NULL;
	long best_score = 0;
	size_t best_len = 0, bad = 0;

	j->used = NULL;
	for (size_t k = 0; k < G_N_ELEMENTS(cands); k++) {
		size_t n = 0;
		char *s = decode_cs(j->data, j->len, cands[k], true, false, &bad, &n);
		long sc = s ? japanese_score(s) : 0;
		if (s && sc > best_score) {
			g_free(best);
			best = s;
			best_score = sc;
			best_len = n;
			j->used = cands[k];
		} else {
			g_free(s);
		}
	}
	if (best && strcmp(j->used, "CP932") == 0)
		best = carrier_emoji(best, &best_len);
	j->outlen = best_len;
	return best;
}

/* Step 7: the candidate with the fewest replacements. */
static char *best_effort(detect_job *j, const char *guess, bool esc)
{
	const char *cands[] = { j->declared, esc ? "ISO-2022-JP" : NULL, guess, "CP932",
				"EUC-JP-MS", esc ? NULL : "UTF-8" };
	char *best = NULL;
	size_t best_bad = SIZE_MAX, best_len = 0;

	for (size_t k = 0; k < G_N_ELEMENTS(cands); k++) {
		size_t bad = 0, n = 0;
		char *s = cands[k] ? decode_with(j->data, j->len, cands[k], false, &bad, &n) : NULL;
		if (s && bad < best_bad) {
			g_free(best);
			best = s;
			best_bad = bad;
			best_len = n;
			j->used = cands[k];
		} else {
			g_free(s);
		}
	}
	j->replacements = best_bad;
	j->outlen = best_len;
	return best;
}

static bool has_8bit(const char *s, size_t len)
{
	guint64 high = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		guint64 w;
		memcpy(&w, s + i, 8);
		high |= w;
	}
	for (; i < len; i++)
		high |= (unsigned char)s[i];
	return (high & HIGHS) != 0;
}

/* A single-byte guess from uchardet is only worth something without a
 * multi-byte label or with enough 8-bit bytes to judge by. */
static bool trust_single_byte(const detect_job *j)
{
	size_t high = 0;
	if (!j->declared || single_byte(j->declared))
		return true;
	for (size_t i = 0; i < j->len && high < 8; i++)
		high += (unsigned char)j->data[i] >= 0x80;
	return high >= 8;
}

static char *detect(detect_job *j)
{
	bool esc = has_escape_designation(j->data, j->len);
	char *s;

	if (esc && !has_8bit(j->data, j->len)) {
		j->used = "ISO-2022-JP";        /* 7-bit with designations: JIS */
		return decode_with(j->data, j->len, j->used, false, &j->replacements, &j->outlen);
	}
	if ((s = try_strict(j, j->declared)))
		return s;
	if (!esc && (s = try_strict(j, mg_utf8_valid(j->data, j->len) ? "UTF-8" : NULL)))
		return s;
	const char *guess = uchardet_guess(j->data, j->len);
	if (guess && !single_byte(guess) && (s = try_strict(j, guess)))
		return s;
	if ((s = try_japanese(j)))
		return s;
	if (guess && single_byte(guess) && !trust_single_byte(j))
		guess = NULL;
	if (guess && (s = try_strict(j, guess)))
		return s;
	return best_effort(j, guess, esc);
}

static void set_info(mg_charset_info *info, const char *used)
{
	if (info)
		g_strlcpy(info->used, used, sizeof info->used);
}

/* Step 1: returns the copy when the fast path applies, else NULL. */
static char *fast_path(const char *data, size_t len, const char *canon, bool ascii_label,
		       mg_charset_info *info, size_t *outlen)
{
	int kind = classify_bytes(data, len);
	if (kind == 2 || (canon && !ascii_compatible(canon)))
		return NULL;
	if (kind == 1 && info) {
		if (!canon)
			info->unlabeled = true;
		else if (strcmp(canon, "UTF-8") != 0 || ascii_label)
			info->mislabeled = true;
	}
	set_info(info, kind == 1 || !canon ? "UTF-8" : canon);
	if (outlen)
		*outlen = len;
	return g_strndup(data, len);
}

char *mg_charset_to_utf8(const char *data, size_t len, const char *declared,
			 mg_charset_info *info, size_t *outlen)
{
	if (!data)
		len = 0;
	const char *canon = mg_charset_canonical(declared);
	bool ascii_label = canon && !strcmp(canon, "UTF-8") && !is_label(declared, "utf-8") &&
			   !is_label(declared, "utf8");
	char *s = fast_path(data ? data : "", len, canon, ascii_label, info, outlen);
	if (s)
		return s;

	detect_job j = { .data = data, .len = len, .declared = canon };
	s = detect(&j);
	if (info) {
		info->replacements += j.replacements;
		if (j.replacements)
			info->errors += j.replacements;
		if (!canon && !(declared && *declared))
			info->unlabeled = true;
		else if (!canon || strcmp(j.used, canon) != 0 || ascii_label)
			info->mislabeled = true;
	}
	set_info(info, j.used);
	if (outlen)
		*outlen = j.outlen;
	return s;
}
