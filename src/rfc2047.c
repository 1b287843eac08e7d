/*
 * rfc2047.c - header values: RFC 2047 encoded-words in and out, RFC 2231
 * parameters in.
 *
 * SYNOPSIS
 *	char *mg_header_decode(raw, &info);
 *	char *mg_header_param(raw_value, name, &info);
 *	char *mg_header_encode(utf8, charset, name_len);
 *
 * DESCRIPTION
 *	mg_header_decode() unfolds a raw header value, finds encoded-words
 *	anywhere (inside quoted strings and next to other text too; lower-case
 *	b/q; a missing "?=" ends the word at the next blank or the end; blanks
 *	inside a B word are skipped), joins the bytes of adjacent words of
 *	the same charset before decoding them (so a character split across
 *	words survives: the base64 state carries over), and decodes raw 8-bit
 *	text (Shift_JIS, EUC-JP, UTF-8, raw ISO-2022-JP) by detection.  All
 *	charset work goes through mg_charset_to_utf8(), which counts what it
 *	could not decode in info.  Line breaks in decoded text become blanks;
 *	blanks around the value are trimmed.
 *
 *	mg_header_param() finds one parameter in a Content-Type or
 *	Content-Disposition value: RFC 2231 (name*=, name*0*=, name*1=,
 *	charset'lang'%XX, mixed encoded and plain sections, joined as bytes
 *	before decoding) wins over the plain name=, whose value goes through
 *	mg_header_decode() (encoded-words inside quotes, raw 8-bit).
 *
 *	mg_header_encode() writes a value back: printable ASCII as is;
 *	otherwise the words from the first to the last that need it as B
 *	encoded-words of at most 75 characters, never splitting a character,
 *	folded with "\n ".  Control characters become blanks.
 *
 *	Returned strings are UTF-8 (encode: ASCII), owned by the caller.
 */
#include "charset.h"

#include <string.h>

#define MAX_CHARSET 40
#define LINE_MAX_COLS 76

/* ---- encoded-word parsing ------------------------------------------------ */

typedef struct {
	char charset[MAX_CHARSET + 1];
	char enc;               /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	const char *end;        /* first byte after the word */
} ew;

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* End of the encoded text starting at p: "?=", or (malformed) a blank
 * followed by the start of another word, or the end of the string. */
static const char *ew_text_end(const char *p, const char **after)
{
	for (; *p; p++) {
		if (p[0] == '?' && p[1] == '=') {
			*after = p + 2;
			return p;
		}
		if (is_blank(*p)) {
			const char *q = p;
			while (is_blank(*q))
				q++;
			if (!*q || (q[0] == '=' && q[1] == '?')) {
				*after = p;
				return p;
			}
			p = q - 1;      /* past the blanks, once */
		}
	}
	*after = p;
	return p;
}

/* Parses an encoded-word at p ("=?"); false when it is not one. */
static bool ew_parse(const char *p, ew *w)
{
	size_t n = 0;

	if (p[0] != '=' || p[1] != '?')
		return false;
	for (p += 2; *p && *p != '?'; p++) {
		if (n == MAX_CHARSET || is_blank(*p) || (unsigned char)*p < 0x21 ||
		    (unsigned char)*p > 0x7E)
			return false;
		w->charset[n++] = *p;
	}
	w->charset[n] = '\0';
	if (n == 0 || p[0] != '?' || !strchr("BbQq", p[1]) || !p[1] || p[2] != '?')
		return false;
	w->enc = g_ascii_toupper(p[1]);
	w->text = p + 3;
	w->text_len = (size_t)(ew_text_end(w->text, &w->end) - w->text);
	return true;
}

/* Appends the bytes of a Q-encoded text. */
static void q_decode(GByteArray *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		guint8 c = (guint8)s[i];
		if (c == '_') {
			c = ' ';
		} else if (c == '=' && i + 2 < len && g_ascii_xdigit_value(s[i + 1]) >= 0 &&
			   g_ascii_xdigit_value(s[i + 2]) >= 0) {
			c = (guint8)(g_ascii_xdigit_value(s[i + 1]) * 16 +
				     g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		}
		g_byte_array_append(out, &c, 1);
	}
}

/* Base64 state of a run of B words: GLib's, and how many characters of
 * the current quantum were fed (to tell real padding from junk '='). */
typedef struct {
	gint state;
	guint save;
	unsigned quantum;
} b64_run;

/* Appends the bytes of a B-encoded text, carrying the state across the
 * words of a run.  Blanks and other junk are skipped; '=' counts as
 * padding only in the third or fourth place of a quantum, so a writer that
 * padded a word it had split mid-quantum does not shift the rest. */
static void b_decode(GByteArray *out, const char *s, size_t len, b64_run *st)
{
	char *clean = g_malloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=' ? st->quantum % 4 >= 2 : (g_ascii_isalnum(c) || c == '+' || c == '/')) {
			clean[n++] = c;
			st->quantum++;
		}
	}
	guint old = out->len;
	g_byte_array_set_size(out, old + (guint)(n / 4 * 3 + 3));
	gsize got = g_base64_decode_step(clean, n, out->data + old, &st->state, &st->save);
	g_byte_array_set_size(out, old + (guint)got);
	g_free(clean);
}

/* ---- mg_header_words_clean ----------------------------------------------- */

/* Decodes one word's bytes alone, strictly: B must be whole quanta. */
static GByteArray *word_bytes(const ew *w, bool *ok)
{
	GByteArray *bytes = g_byte_array_new();

	*ok = w->end >= w->text + w->text_len + 2 && w->text[w->text_len] == '?';
	if (w->enc == 'Q') {
		q_decode(bytes, w->text, w->text_len);
		return bytes;
	}
	for (size_t i = 0; i < w->text_len && *ok; i++)
		*ok = g_ascii_isalnum(w->text[i]) || strchr("+/=", w->text[i]);
	*ok = *ok && w->text_len % 4 == 0;
	if (*ok) {
		b64_run st = { 0, 0, 0 };
		b_decode(bytes, w->text, w->text_len, &st);
	}
	return bytes;
}

/* Text any reader shows the same: no controls, private-use or U+FFFD. */
static bool plain_text(const char *s, size_t len)
{
	if (!mg_utf8_valid(s, len))
		return false;
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if ((c < 0x20 && c != '\t') || c == 0x7F || (c >= 0x80 && c < 0xA0) ||
		    (c >= 0xE000 && c <= 0xF8FF) || c == 0xFFFD)
			return false;
	}
	return true;
}

/* An ISO-2022 word must end back in ASCII (RFC 1468, RFC 2047 section 5). */
static bool ends_in_ascii(const GByteArray *b)
{
	for (guint i = b->len; i-- > 0;)
		if (b->data[i] == 0x1B)
			return i + 2 < b->len && b->data[i + 1] == '(' &&
			       (b->data[i + 2] == 'B' || b->data[i + 2] == 'J');
	return true;
}

/* One word decoded on its own by the standard decoder of its charset. */
static bool word_clean(const ew *w)
{
	bool ok;
	GByteArray *bytes = word_bytes(w, &ok);
	gsize n = 0;
	GError *err = NULL;
	char *text = NULL;

	if (ok && g_ascii_strncasecmp(w->charset, "iso-2022", 8) == 0)
		ok = ends_in_ascii(bytes);
	if (ok) {
		const char *cs = w->charset;
		char *star = strchr(w->charset, '*');   /* RFC 2231 language suffix */
		char *name = star ? g_strndup(cs, (gsize)(star - cs)) : g_strdup(cs);
		text = g_convert((const char *)bytes->data, bytes->len, "UTF-8", name, NULL, &n, &err);
		ok = text && plain_text(text, n);
		g_free(name);
	}
	g_clear_error(&err);
	g_free(text);
	g_byte_array_unref(bytes);
	return ok;
}

bool mg_header_words_clean(const char *raw)
{
	ew w;

	for (const char *p = raw; *p; p++) {
		if (p[0] != '=' || p[1] != '?' || !ew_parse(p, &w))
			continue;
		bool alone_before = p == raw || is_blank(p[-1]) || p[-1] == '"' || p[-1] == '(';
		bool alone_after = !*w.end || is_blank(*w.end) || *w.end == '"' || *w.end == ')';
		if (!alone_before || !alone_after || !word_clean(&w))
			return false;
		p = w.end - 1;
	}
	return true;
}

/* ---- mg_header_decode ---------------------------------------------------- */

typedef struct {
	GString *out;
	mg_charset_info *info;
	const char *raw_charset;        /* for raw 8-bit text; NULL: detect */
} hdr_decoder;

static void append_decoded(hdr_decoder *d, const char *data, size_t len, const char *charset)
{
	size_t n = 0;
	char *s = mg_charset_to_utf8(data, len, charset, d->info, &n);
	g_string_append_len(d->out, s, (gssize)n);
	g_free(s);
}

/* Decodes the run of encoded-words of one charset starting at w; returns
 * the position after the run. */
static const char *decode_run(hdr_decoder *d, ew *w)
{
	GByteArray *bytes = g_byte_array_new();
	b64_run b64 = { 0, 0, 0 };
	char charset[MAX_CHARSET + 1];
	const char *next = w->end;

	g_strlcpy(charset, w->charset, sizeof charset);
	for (;;) {
		if (w->enc == 'B')
			b_decode(bytes, w->text, w->text_len, &b64);
		else
			q_decode(bytes, w->text, w->text_len);
		next = w->end;
		const char *q = next;
		while (is_blank(*q))
			q++;
		if (!ew_parse(q, w) || g_ascii_strcasecmp(w->charset, charset) != 0)
			break;
	}
	append_decoded(d, (const char *)bytes->data, bytes->len, charset);
	g_byte_array_unref(bytes);
	return next;
}

/* Raw text from p up to the next encoded-word (or the end). */
static const char *raw_end(const char *p)
{
	ew w;
	for (; *p; p++)
		if (p[0] == '=' && p[1] == '?' && ew_parse(p, &w))
			return p;
	return p;
}

static bool only_blanks(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!is_blank(*p))
			return false;
	return true;
}

static void decode_raw(hdr_decoder *d, const char *p, const char *end)
{
	const char *q = p;
	while (q < end && (unsigned char)*q < 0x80 && *q != 0x1B)
		q++;
	if (q == end)
		g_string_append_len(d->out, p, end - p);
	else
		append_decoded(d, p, (size_t)(end - p), d->raw_charset);
}

/* The charset of all raw (not encoded-word) text, when it has 8-bit bytes
 * or escapes: detected once over the whole value. */
static const char *raw_charset(const char *s, mg_charset_info *info)
{
	GString *raw = g_string_new(NULL);
	bool special = false;
	ew w;

	while (*s) {
		const char *e = raw_end(s);
		g_string_append_len(raw, s, e - s);
		for (const char *p = s; p < e; p++)
			special |= (unsigned char)*p >= 0x80 || *p == 0x1B;
		if (!*e || !ew_parse(e, &w))
			break;
		s = w.end;
		g_string_append_c(raw, ' ');
	}
	const char *cs = NULL;
	if (special) {
		mg_charset_info tmp = { 0 };
		g_free(mg_charset_to_utf8(raw->str, raw->len, NULL, &tmp, NULL));
		cs = mg_charset_canonical(tmp.used);
		if (info)
			info->unlabeled |= tmp.unlabeled;
	}
	g_string_free(raw, TRUE);
	return cs;
}

/* Removes CR and LF (unfolding); the blank after a fold stays. */
static char *unfold(const char *raw)
{
	char *s = g_strdup(raw ? raw : ""), *o = s;
	for (const char *p = s; *p; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = '\0';
	return s;
}

/* Line breaks from decoded text become blanks; blanks are trimmed. */
static char *finish_value(GString *s)
{
	for (gsize i = 0; i < s->len; i++)
		if (s->str[i] == '\r' || s->str[i] == '\n')
			s->str[i] = ' ';
	return g_strstrip(g_string_free(s, FALSE));
}

char *mg_header_decode(const char *raw, mg_charset_info *info)
{
	char *s = unfold(raw);
	hdr_decoder d = { .out = g_string_sized_new(strlen(s) + 8), .info = info };
	bool after_word = false;
	const char *p = s;

	d.raw_charset = raw_charset(s, info);
	while (*p) {
		const char *e = raw_end(p);
		if (e > p && !(after_word && *e && only_blanks(p, e)))
			decode_raw(&d, p, e);
		if (!*e)
			break;
		ew w;
		ew_parse(e, &w);
		p = decode_run(&d, &w);
		after_word = true;
	}
	g_free(s);
	return finish_value(d.out);
}

/* ---- mg_header_param ----------------------------------------------------- */

typedef struct {
	char *attr;
	char *value;
} param;

/* Reads a quoted string at p ('"') into v (may be NULL); an unterminated
 * one runs to the end. */
static const char *read_quoted(const char *p, GString *v)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (v)
			g_string_append_c(v, *p);
	}
	return *p ? p + 1 : p;
}

/* Parses "attr=value" pairs separated by ';' (values quoted or not). */
static GArray *parse_params(const char *s)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(param));
	const char *p = s;

	while (*p) {
		while (is_blank(*p) || *p == ';')
			p++;
		const char *as = p;
		while (*p && *p != '=' && *p != ';' && *p != '"')
			p++;
		if (*p != '=') {
			while (*p && *p != ';')
				p = *p == '"' ? read_quoted(p, NULL) : p + 1;
			continue;
		}
		param pr = { g_strstrip(g_strndup(as, (gsize)(p - as))), NULL };
		GString *v = g_string_new(NULL);
		for (p++; is_blank(*p); p++)
			;
		if (*p == '"') {
			p = read_quoted(p, v);
			while (*p && *p != ';')
				p++;
		} else {
			const char *vs = p;
			while (*p && *p != ';')
				p++;
			g_string_append_len(v, vs, p - vs);
			g_strchomp(v->str);
			v->len = strlen(v->str);
		}
		pr.value = g_string_free(v, FALSE);
		g_array_append_val(a, pr);
	}
	return a;
}

static void free_params(GArray *a)
{
	for (guint i = 0; i < a->len; i++) {
		g_free(g_array_index(a, param, i).attr);
		g_free(g_array_index(a, param, i).value);
	}
	g_array_free(a, TRUE);
}

#define MAX_SECTIONS 1000

/* Section number of attr as an RFC 2231 form of name: -1 for "name*",
 * 0.. for "name*N" / "name*N*", -2 when it is not one; *ext tells
 * whether the section is percent-encoded. */
static int section_of(const char *attr, const char *name, bool *ext)
{
	size_t nl = strlen(name);
	if (g_ascii_strncasecmp(attr, name, nl) != 0 || attr[nl] != '*')
		return -2;
	const char *p = attr + nl + 1;
	if (!*p) {
		*ext = true;
		return -1;
	}
	int n = 0;
	for (; g_ascii_isdigit(*p) && n < MAX_SECTIONS; p++)
		n = n * 10 + (*p - '0');
	if (p == attr + nl + 1 || n >= MAX_SECTIONS)
		return -2;
	*ext = (*p == '*');
	return (*p == '\0' || (p[0] == '*' && p[1] == '\0')) ? n : -2;
}

static void percent_decode(GByteArray *out, const char *s)
{
	for (; *s; s++) {
		guint8 c = (guint8)*s;
		if (c == '%' && g_ascii_xdigit_value(s[1]) >= 0 && g_ascii_xdigit_value(s[2]) >= 0) {
			c = (guint8)(g_ascii_xdigit_value(s[1]) * 16 + g_ascii_xdigit_value(s[2]));
			s += 2;
		}
		g_byte_array_append(out, &c, 1);
	}
}

/* Splits "charset'lang'rest": copies the charset, returns rest. */
static const char *split_charset(const char *v, char *charset, size_t size)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	charset[0] = '\0';
	if (!q2)
		return v;
	g_strlcpy(charset, v, MIN(size, (size_t)(q1 - v) + 1));
	return q2 + 1;
}

/* The RFC 2231 value of name from the sections (index -1: "name*"). */
static char *rfc2231_value(param **sec, bool *ext, int count, mg_charset_info *info)
{
	GByteArray *bytes = g_byte_array_new();
	char charset[MAX_CHARSET + 1] = "";
	bool any_ext = false;

	for (int i = 0; i < count; i++) {
		if (!sec[i])
			continue;
		const char *v = sec[i]->value;
		if (ext[i] && !any_ext && bytes->len == 0)
			v = split_charset(v, charset, sizeof charset);
		any_ext |= ext[i];
		if (ext[i])
			percent_decode(bytes, v);
		else
			g_byte_array_append(bytes, (const guint8 *)v, (guint)strlen(v));
	}
	char *res;
	g_byte_array_append(bytes, (const guint8 *)"", 1);
	if (any_ext)
		res = mg_charset_to_utf8((const char *)bytes->data, bytes->len - 1,
					 charset[0] ? charset : NULL, info, NULL);
	else
		res = mg_header_decode((const char *)bytes->data, info);
	g_byte_array_unref(bytes);
	return res;
}

/* Collects the RFC 2231 sections of name; NULL when there are none. */
static char *find_rfc2231(GArray *a, const char *name, mg_charset_info *info)
{
	param **sec = g_new0(param *, MAX_SECTIONS + 1);
	bool *ext = g_new0(bool, MAX_SECTIONS + 1);
	int count = 0;

	for (guint i = 0; i < a->len; i++) {
		param *pr = &g_array_index(a, param, i);
		bool e = false;
		int n = section_of(pr->attr, name, &e) + 1;   /* "name*" -> slot 0 */
		if (n < 0 || sec[n])
			continue;
		sec[n] = pr;
		ext[n] = e;
		count = MAX(count, n + 1);
	}
	char *res = count ? rfc2231_value(sec, ext, count, info) : NULL;
	g_free(sec);
	g_free(ext);
	return res;
}

char *mg_header_param(const char *raw_value, const char *name, mg_charset_info *info)
{
	if (!raw_value || !name || !*name)
		return NULL;
	char *s = unfold(raw_value);
	GArray *a = parse_params(s);
	char *res = find_rfc2231(a, name, info);

	for (guint i = 0; !res && i < a->len; i++)
		if (g_ascii_strcasecmp(g_array_index(a, param, i).attr, name) == 0)
			res = mg_header_decode(g_array_index(a, param, i).value, info);
	free_params(a);
	g_free(s);
	return res;
}

/* ---- mg_header_encode ---------------------------------------------------- */

/* A word that must be encoded: non-ASCII, or text that looks like one. */
static bool needs_encoding(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)w[i] >= 0x80 || (w[i] == '=' && i + 1 < len && w[i + 1] == '?'))
			return true;
	return false;
}

typedef struct {
	GString *out;
	size_t col;
	bool first;
} folder;

static void fold_put(folder *f, const char *tok, size_t len)
{
	if (!f->first) {
		if (f->col + 1 + len > LINE_MAX_COLS && f->col > 1) {
			g_string_append(f->out, "\n ");
			f->col = 1;
		} else {
			g_string_append_c(f->out, ' ');
			f->col++;
		}
	}
	g_string_append_len(f->out, tok, (gssize)len);
	f->col += len;
	f->first = false;
}

static void put_word(folder *f, const char *charset, const char *bytes, size_t len)
{
	char *b64 = g_base64_encode((const guchar *)bytes, len);
	char *w = g_strdup_printf("=?%s?B?%s?=", charset, b64);
	fold_put(f, w, strlen(w));
	g_free(w);
	g_free(b64);
}

static bool halfwidth_mark(gunichar u)
{
	return u == 0xFF9E || u == 0xFF9F;
}

/* Byte length of the longest prefix of s (whole characters; a half-width
 * kana stays with the voiced mark after it) whose encoding fits max bytes. */
static size_t chunk_len(const char *s, size_t len, bool jis, size_t max)
{
	size_t best = 0;
	for (const char *p = s; p < s + len;) {
		gunichar last = g_utf8_get_char(p);
		p = g_utf8_next_char(p);
		size_t n = (size_t)(p - s), enc = n;
		if (p < s + len && last >= 0xFF61 && last <= 0xFF9D &&
		    halfwidth_mark(g_utf8_get_char(p)))
			continue;
		if (jis) {
			char *e = mg_iso2022jp_encode(s, n, &enc);
			g_free(e);
		}
		if (enc > max && best)
			break;
		best = n;
		if (enc > max)
			break;
	}
	return best ? best : len;
}

/* Encodes text as B words: UTF-8 carries 45 bytes a word, ISO-2022-JP 42
 * (75 characters with the "=?charset?B?" and "?=" around them). */
static void put_encoded(folder *f, const char *text, size_t len, bool jis)
{
	while (len > 0) {
		size_t n = chunk_len(text, len, jis, jis ? 42 : 45);
		if (jis) {
			size_t el = 0;
			char *e = mg_iso2022jp_encode(text, n, &el);
			put_word(f, "ISO-2022-JP", e, el);
			g_free(e);
		} else {
			put_word(f, "UTF-8", text, n);
		}
		text += n;
		len -= n;
	}
}

/* Valid UTF-8 with every control character turned into a blank. */
static char *normalize_for_header(const char *utf8)
{
	char *s = mg_utf8_sanitize(utf8 ? utf8 : "", utf8 ? strlen(utf8) : 0, NULL);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	return s;
}

char *mg_header_encode(const char *utf8, const char *charset, size_t name_len)
{
	char *s = normalize_for_header(utf8);
	size_t len = strlen(s);
	char **words = g_strsplit(s, " ", -1);
	int first = -1, last = -1, nw = (int)g_strv_length(words);

	for (int i = 0; i < nw; i++)
		if (needs_encoding(words[i], strlen(words[i]))) {
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0) {
		g_strfreev(words);
		return s;
	}
	bool jis = charset && mg_charset_canonical(charset) &&
		   strcmp(mg_charset_canonical(charset), "ISO-2022-JP") == 0;
	if (jis) {
		char *probe = mg_iso2022jp_encode(s, len, NULL);
		jis = probe != NULL;
		g_free(probe);
	}
	folder f = { g_string_sized_new(len * 2 + 32), name_len + 2, true };
	for (int i = 0; i < first; i++)
		fold_put(&f, words[i], strlen(words[i]));
	char *run = g_strjoinv(" ", words + first);
	size_t run_len = strlen(run);
	for (int i = last + 1; i < nw; i++)
		run_len -= strlen(words[i]) + 1;
	put_encoded(&f, run, run_len, jis);
	for (int i = last + 1; i < nw; i++)
		fold_put(&f, words[i], strlen(words[i]));
	g_free(run);
	g_strfreev(words);
	g_free(s);
	return g_string_free(f.out, FALSE);
}
