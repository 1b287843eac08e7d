/*
 * fuzz_charset.c - libFuzzer target for the charset layer (charset.h).
 *
 * Runs the input through mg_header_decode, mg_header_param,
 * mg_iso2022jp_decode and mg_charset_to_utf8 (under a label picked by the
 * first byte), and checks the properties every caller relies on: output is
 * valid UTF-8 without NUL or ESC where promised; what mg_iso2022jp_encode
 * writes decodes without error and re-encodes to the same bytes; what
 * mg_header_encode writes decodes back to the same text.
 *
 *	clang -fsanitize=fuzzer,address,undefined -Isrc $(pkg-config --cflags
 *	  gmime-3.0 uchardet) tests/fuzz/fuzz_charset.c src/charset.c
 *	  src/iso2022jp.c src/rfc2047.c $(pkg-config --libs gmime-3.0 uchardet)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s, size_t len, bool no_esc)
{
	if (!s || !mg_utf8_valid(s, len) || strlen(s) != len)
		abort();
	if (no_esc && memchr(s, 0x1B, len))
		abort();
}

/* Encoding what the reader produced: decodes cleanly, encodes stably. */
static void check_jis_round_trip(const char *text, size_t len)
{
	size_t el = 0, err = 0, dl = 0, el2 = 0;
	char *enc = mg_iso2022jp_encode(text, len, &el);
	if (!enc)
		return;
	char *dec = mg_iso2022jp_decode(enc, el, &err, &dl);
	char *enc2 = mg_iso2022jp_encode(dec, dl, &el2);
	if (err != 0 || !enc2 || el2 != el || memcmp(enc, enc2, el) != 0)
		abort();
	g_free(enc);
	g_free(dec);
	g_free(enc2);
}

/* mg_header_encode then mg_header_decode gives back the (trimmed) text. */
static void check_header_round_trip(const char *text, const char *charset)
{
	char *enc = mg_header_encode(text, charset, 9);
	char *dec = mg_header_decode(enc, NULL);
	char *want = g_strstrip(g_strdup(text));
	for (char *p = want; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	g_strstrip(want);
	if (strchr(enc, '\r') || strstr(enc, "\n\n"))
		abort();
	if (strcmp(charset, "iso-2022-jp") != 0 && strcmp(dec, want) != 0)
		abort();
	g_free(enc);
	g_free(dec);
	g_free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = {
		NULL, "iso-2022-jp", "shift_jis", "euc-jp", "utf-8", "us-ascii",
		"iso-8859-1", "gb2312", "utf-16", "bogus",
	};
	if (size > 65536)
		return 0;
	char *str = g_strndup((const char *)data, size);
	size_t n = strlen(str);

	char *h = mg_header_decode(str, NULL);
	check_utf8(h, strlen(h), false);
	check_header_round_trip(h, "utf-8");
	check_header_round_trip(h, "iso-2022-jp");
	g_free(h);

	mg_charset_info info = { 0 };
	char *p = mg_header_param(str, "filename", &info);
	if (p)
		check_utf8(p, strlen(p), false);
	g_free(p);

	size_t err = 0, len = 0;
	char *j = mg_iso2022jp_decode((const char *)data, size, &err, &len);
	check_utf8(j, len, true);
	check_jis_round_trip(j, len);
	g_free(j);

	const char *label = size ? labels[data[0] % G_N_ELEMENTS(labels)] : NULL;
	memset(&info, 0, sizeof info);
	char *u = mg_charset_to_utf8((const char *)data, size, label, &info, &len);
	check_utf8(u, len, false);
	g_free(u);

	char *m = mg_charset_map_for_jis(str);
	check_utf8(m, strlen(m), false);
	g_free(m);
	(void)n;
	g_free(str);
	return 0;
}
