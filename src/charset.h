/*
 * charset.h - charset naming, detection and conversion; the Japanese layer;
 * RFC 2047 / RFC 2231 decoding and RFC 2047 encoding.
 *
 * Everything here converts between bytes in some charset and UTF-8.  glibc
 * iconv does the work, except ISO-2022-JP, which is read and written by this
 * module's own escape-sequence state machine on top of iconv's CP932 (JIS X
 * 0208 <-> Shift_JIS is arithmetic), because glibc's ISO-2022-JP rejects the
 * NEC/IBM vendor characters and passes unknown escapes through (DESIGN.md).
 *
 * Decoders never drop bytes silently: what no charset can decode becomes
 * U+FFFD and is counted in mg_charset_info.replacements.  All returned
 * strings are NUL-terminated UTF-8 (unless stated), owned by the caller
 * (g_free).  Functions are thread-safe (iconv descriptors are per call or
 * per thread).
 */
#ifndef MG_CHARSET_H
#define MG_CHARSET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* What a decode found out; fields accumulate across calls (zero it first). */
typedef struct {
	size_t replacements;   /* bytes/characters that became U+FFFD */
	size_t errors;         /* invalid sequences met (unknown escapes, bad bytes) */
	bool mislabeled;       /* the declared charset did not decode, another did */
	bool unlabeled;        /* no charset declared and the bytes were not ASCII */
	char used[32];         /* charset actually used for the last decode, canonical name */
} mg_charset_info;

/* Canonical name of a declared charset for decoding, with the Japanese
 * supersets applied: "iso-2022-jp*" -> "ISO-2022-JP" (our own layer, vendor
 * rows allowed), "shift_jis"/"sjis"/"x-sjis"/"windows-31j"/"cp932" -> "CP932",
 * "euc-jp" -> "EUC-JP-MS", "us-ascii"/"ascii" -> "UTF-8" (a superset that
 * still reports 8-bit bytes), "ks_c_5601-1987" -> "CP949", "gb2312" ->
 * "GB18030", "iso-8859-1"/"latin1" -> "WINDOWS-1252", ...  Returns NULL for
 * an empty or unknown (not iconv-openable) name.  Static string. */
const char *mg_charset_canonical(const char *declared);

/* Decodes len bytes labelled with declared (may be NULL) into UTF-8.
 * Order: the declared charset (canonical); if it fails to decode cleanly,
 * structural checks (ESC sequences -> ISO-2022-JP, valid UTF-8 -> UTF-8),
 * then uchardet; if all fail, the best candidate with U+FFFD for what it
 * cannot decode.  Sets info->mislabeled / unlabeled / used.  Never returns
 * NULL; *outlen (may be NULL) gets the length. */
char *mg_charset_to_utf8(const char *data, size_t len, const char *declared,
			 mg_charset_info *info, size_t *outlen);

/* Strict conversion of len bytes from charset (a canonical or iconv name)
 * into UTF-8; NULL if any byte fails.  ISO-2022-JP goes through the own
 * layer. */
char *mg_charset_convert_strict(const char *data, size_t len, const char *charset,
				size_t *outlen);

/* The ISO-2022-JP reader: ASCII, JIS X 0201 Roman and kana (ESC ( I and
 * SO/SI), JIS X 0208 incl. NEC row 13 and IBM extension rows, via CP932.
 * Unknown escapes and invalid bytes become U+FFFD and count in *errors.
 * Never NULL. */
char *mg_iso2022jp_decode(const char *data, size_t len, size_t *errors, size_t *outlen);

/* The ISO-2022-JP writer: UTF-8 -> ISO-2022-JP (via CP932, vendor rows
 * allowed, half-width kana turned into full-width, the mapping policy of
 * mg_charset_map_for_jis applied).  Returns NULL when a character cannot be
 * carried (emoji, characters outside JIS X 0208 + vendor rows); the caller
 * then falls back to UTF-8.  Ends in ASCII mode. */
char *mg_iso2022jp_encode(const char *utf8, size_t len, size_t *outlen);

/* The documented mapping policy for round-trip traps (U+301C/U+FF5E,
 * U+2212/U+FF0D, U+2014/U+2015, U+2016/U+2225, U+00A2/U+FFE0, U+00A3/U+FFE1,
 * U+00AC/U+FFE2): the form Windows clients display.  Returns a new string. */
char *mg_charset_map_for_jis(const char *utf8);

/* Decodes an unstructured header value (RFC 2047 encoded-words, adjacent
 * words of the same charset joined before decoding so a character split
 * across words survives; malformed words and raw 8-bit bytes (Shift_JIS,
 * UTF-8, EUC-JP, detected) accepted).  Unfolds; returns UTF-8, never NULL.
 * info may be NULL. */
char *mg_header_decode(const char *raw, mg_charset_info *info);

/* True when every RFC 2047 encoded-word in raw stands alone (between
 * blanks, quotes or parentheses), is well-formed, and decodes on its own,
 * completely, with the standard iconv decoder of its declared charset (not
 * mugaika's supersets) into text without control, private-use or
 * replacement characters: a header any reader shows the same way.  False
 * for a word split in the middle of a character, vendor or carrier
 * characters under a standard label, JIS half-width kana, unknown
 * charsets.  True when raw has no encoded-word. */
bool mg_header_words_clean(const char *raw);

/* Gets parameter name (e.g. "filename", "name") from a raw Content-Type or
 * Content-Disposition header value, handling RFC 2231 (continuations
 * name*0*=, charset'lang'%XX) and the common non-standard forms (an
 * RFC 2047 encoded-word inside a quoted value, raw 8-bit).  Returns UTF-8 or
 * NULL when the parameter is absent. */
char *mg_header_param(const char *raw_value, const char *name, mg_charset_info *info);

/* Encodes a UTF-8 header value for output: returned as is when pure
 * printable ASCII, else as RFC 2047 B encoded-words in charset
 * ("utf-8" or "iso-2022-jp"; for iso-2022-jp falls back to utf-8 when a
 * character cannot be carried), each word at most 75 characters, words
 * separated by "\n " folding suitable for a header of name_len characters.
 * Never splits a character across words. */
char *mg_header_encode(const char *utf8, const char *charset, size_t name_len);

/* True when s (len bytes) is valid UTF-8 and contains no NUL. */
bool mg_utf8_valid(const char *s, size_t len);

/* Makes any bytes valid UTF-8 by replacing invalid sequences with U+FFFD,
 * counting them in *replacements (may be NULL). */
char *mg_utf8_sanitize(const char *s, size_t len, size_t *replacements);

/*
 * Details of the contract above, as implemented (charset.c, iso2022jp.c,
 * rfc2047.c; their top comments say more):
 *  - mg_charset_to_utf8: valid non-ASCII UTF-8 under a legacy label is taken
 *    as UTF-8 and reported mislabeled (legacy Japanese text is practically
 *    never valid UTF-8); 7-bit text with ISO-2022-JP designations (ESC $ B,
 *    ESC ( B, ...) is read as ISO-2022-JP whatever the label says.  A
 *    single-byte guess from uchardet is ignored for a short text under a
 *    multi-byte label.  info->errors grows with info->replacements.
 *  - The ISO-2022-JP reader keeps its state across line ends; JIS X 0212
 *    (ESC $ ( D) is recognised but not decoded (U+FFFD, counted); au
 *    pictographs (JIS rows 85-88) become "[絵文字]".  Shift_JIS carrier
 *    pictographs: common docomo ones become Unicode emoji, the rest
 *    "[絵文字]".  Private-use characters in UTF-8 text are left alone.
 *  - mg_iso2022jp_encode also returns NULL for invalid UTF-8 and for text
 *    holding NUL, ESC, SO or SI.  mg_charset_map_for_jis also maps
 *    U+00A5, U+203E, U+00A6 to their full-width forms and U+00A0 to a space
 *    (the policy text is in man/charset-policy.txt).
 *  - mg_header_decode turns line breaks inside decoded words into blanks and
 *    trims the value.  mg_header_encode turns control characters into
 *    blanks and keeps the ASCII words before the first and after the last
 *    word that needs encoding as they are; mg_header_decode of its result
 *    gives back the (trimmed) text.
 */

#endif
