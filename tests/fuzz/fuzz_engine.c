/*
 * fuzz_engine.c - libFuzzer target for the whole engine (sanitize.h).
 *
 * Contract: LLVMFuzzerInitialize calls mg_engine_init() and makes the
 * default config once; every input goes through mg_sanitize() with id
 * "FUZZ" and time 0, and the result must hold what every caller relies on,
 * checked cheaply, abort() on the first violation:
 *
 *   - a result, a verdict with a known action, a non-empty safe message;
 *   - the header edits are well formed: a name without ':', CR or LF (and
 *     of printable ASCII for ADD: the original's names may be anything),
 *     index >= 1 for DELETE/CHANGE, a value for CHANGE/ADD without CR and
 *     with every LF followed by a space or tab (folding, no injected line);
 *   - the safe message parses with GMime and has exactly one leaf, a
 *     text/plain part at the top (no multipart, no attached message);
 *   - it has exactly one MIME-Version, Content-Type and
 *     Content-Transfer-Encoding header, and no X-Mugaika-* header twice;
 *   - the body, transfer-decoded, is valid in its declared charset: UTF-8
 *     validates, ISO-2022-JP and US-ASCII are 7-bit.
 *
 * Everything is freed, so LeakSanitizer sees the engine's own leaks.
 * Built by `./configure --enable-fuzzing CC=clang && make`, run by
 * tests/fuzz/run.sh.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "conf.h"
#include "sanitize.h"
#include "verdict.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mg_config *fuzz_cfg;

#define CHECK(cond)            \
	do {                   \
		if (!(cond))   \
			abort(); \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mg_engine_init();
	fuzz_cfg = mg_config_new_defaults();
	CHECK(fuzz_cfg != NULL);
	return 0;
}

static void check_edit(const mg_header_edit *e)
{
	CHECK(e != NULL && e->name != NULL && e->name[0] != '\0');
	CHECK(e->kind == MG_EDIT_DELETE || e->kind == MG_EDIT_CHANGE || e->kind == MG_EDIT_ADD);
	/* DELETE and CHANGE name a header of the original, whatever its bytes;
	 * the engine's own additions must be proper field names */
	for (const unsigned char *p = (const unsigned char *)e->name; *p; p++) {
		CHECK(*p != ':' && *p != '\r' && *p != '\n');
		if (e->kind == MG_EDIT_ADD)
			CHECK(*p > 32 && *p < 127);
	}
	if (e->kind != MG_EDIT_ADD)
		CHECK(e->index >= 1);
	if (e->kind == MG_EDIT_DELETE)
		return;
	CHECK(e->value != NULL);
	for (const char *p = e->value; *p; p++) {
		CHECK(*p != '\r');
		if (*p == '\n')
			CHECK(p[1] == ' ' || p[1] == '\t');
	}
}

/* Counts headers called name (any case) in one header list. */
static int count_in(GMimeHeaderList *list, const char *name)
{
	int n = 0, total = g_mime_header_list_get_count(list);
	for (int i = 0; i < total; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0)
			n++;
	}
	return n;
}

/* GMime files the Content-* headers under the top part and the rest under
 * the message: together they are the header block. */
static int count_header(GMimeMessage *msg, GMimeObject *top, const char *name)
{
	return count_in(g_mime_object_get_header_list(GMIME_OBJECT(msg)), name) +
	       count_in(g_mime_object_get_header_list(top), name);
}

static void check_x_mugaika_once(GMimeMessage *msg, GMimeObject *top)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int total = g_mime_header_list_get_count(list);
	for (int i = 0; i < total; i++) {
		const char *name = g_mime_header_get_name(g_mime_header_list_get_header_at(list, i));
		if (g_ascii_strncasecmp(name, "X-Mugaika-", 10) == 0)
			CHECK(count_header(msg, top, name) == 1);
	}
}

static bool seven_bit(const guint8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

static void check_body(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	CHECK(content != NULL);
	GMimeStream *mem = g_mime_stream_mem_new();
	CHECK(g_mime_data_wrapper_write_to_stream(content, mem) >= 0);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	CHECK(cs != NULL);
	if (g_ascii_strcasecmp(cs, "utf-8") == 0)
		CHECK(g_utf8_validate((const char *)ba->data, (gssize)ba->len, NULL));
	else if (g_ascii_strcasecmp(cs, "iso-2022-jp") == 0 || g_ascii_strcasecmp(cs, "us-ascii") == 0)
		CHECK(seven_bit(ba->data, ba->len));
	else
		abort();  /* not an output charset */
	g_object_unref(mem);
}

static void check_message(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	CHECK(msg != NULL);

	/* exactly one leaf, and it is text/plain */
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	CHECK(top != NULL && GMIME_IS_PART(top));
	CHECK(count_header(msg, top, "MIME-Version") == 1);
	CHECK(count_header(msg, top, "Content-Type") == 1);
	CHECK(count_header(msg, top, "Content-Transfer-Encoding") == 1);
	check_x_mugaika_once(msg, top);

	GMimeContentType *ct = g_mime_object_get_content_type(top);
	CHECK(ct != NULL && g_mime_content_type_is_type(ct, "text", "plain"));
	int leaves = 0;
	GMimePartIter *it = g_mime_part_iter_new(GMIME_OBJECT(msg));
	if (g_mime_part_iter_is_valid(it)) {
		do {
			GMimeObject *cur = g_mime_part_iter_get_current(it);
			CHECK(!GMIME_IS_MULTIPART(cur) && !GMIME_IS_MESSAGE_PART(cur));
			leaves++;
		} while (g_mime_part_iter_next(it));
	}
	g_mime_part_iter_free(it);
	CHECK(leaves == 1);
	check_body(GMIME_PART(top));
	g_object_unref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_result *r = mg_sanitize((const char *)data, size, fuzz_cfg, "FUZZ", 0);
	CHECK(r != NULL && r->verdict != NULL && r->edits != NULL);
	CHECK(r->verdict->action >= MG_ACTION_DELIVER && r->verdict->action <= MG_ACTION_TEMPFAIL);
	CHECK(r->message != NULL && r->message_len > 0);
	CHECK(r->body != NULL || r->body_len == 0);
	for (guint i = 0; i < r->edits->len; i++)
		check_edit(g_ptr_array_index(r->edits, i));
	check_message(r->message, r->message_len);
	mg_result_free(r);
	return 0;
}
