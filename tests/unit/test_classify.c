/*
 * test_classify.c - mg_classify() on real files and on files made here.
 *
 * Real files: Debian's clamav-testfiles (/usr/share/clamav-testfiles; the
 * cases that need them say they are skipped when the package is missing)
 * and two 7z files made with 7-Zip, which libarchive cannot write
 * (testdata/files/enc_entries.7z: entry encryption; enc_headers.7z:
 * encrypted headers; both with the password "mugaika").
 * Made at test time: zip, 7z, tar.gz and gz with libarchive's writer
 * (ZipCrypto and AES-256 zips, nested zips, bombs, one only by the sizes
 * its headers state, a CP932 name), an LZH
 * with a -lh0- member and a RAR 2.0 archive with a stored member written
 * byte by byte, a minimal PE, PDFs with and without /Encrypt, compound
 * files with the encryption markers of Office, S/MIME and OpenPGP data.
 * "test_classify --bench" prints the cost of mg_classify() on a 200 KB PDF
 * and 2 MB zips.
 */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#define TESTFILES "/usr/share/clamav-testfiles"
#define CP932_NAME "\x90\xbf\x8b\x81\x8f\x91.txt"	/* 請求書.txt */

/* ---- helpers ------------------------------------------------------------ */

static void
teardown(void)
{
	mg_classify_thread_cleanup();
}

static bool
has(const mg_classification *c, const char *code)
{
	return mg_classification_has(c, code);
}

static char *
findings(const mg_classification *c)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < c->findings->len; i++)
		g_string_append_printf(s, " %s", (char *)g_ptr_array_index(c->findings, i));
	return g_string_free(s, FALSE);
}

#define ASSERT_HAS(c, code) do { \
	char *f_ = findings(c); \
	ck_assert_msg(has(c, code), "no %s in [%s ]", code, f_); \
	g_free(f_); \
} while (0)

#define ASSERT_HASNT(c, code) do { \
	char *f_ = findings(c); \
	ck_assert_msg(!has(c, code), "unexpected %s in [%s ]", code, f_); \
	g_free(f_); \
} while (0)

static mg_member *
member(const mg_classification *c, guint i)
{
	ck_assert_uint_gt(c->members->len, i);
	return g_ptr_array_index(c->members, i);
}

static mg_classification *
classify_bytes(GBytes *b, const char *name, const char *declared, const mg_config *cfg)
{
	gsize n;
	const guint8 *d = g_bytes_get_data(b, &n);
	return mg_classify(d, n, name, declared, cfg);
}

/* A file of clamav-testfiles, or NULL (and a note) when it is missing. */
static GBytes *
testfile(const char *name)
{
	char *path = g_build_filename(TESTFILES, name, NULL);
	gchar *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		fprintf(stderr, "skipped: %s missing (apt-get install clamav-testfiles)\n", path);
		g_free(path);
		return NULL;
	}
	g_free(path);
	return g_bytes_new_take(data, len);
}

static GBytes *
srcfile(const char *rel)
{
	const char *srcdir = g_getenv("MG_SRCDIR") ? g_getenv("MG_SRCDIR") : MG_SRCDIR;
	char *path = g_build_filename(srcdir, rel, NULL);
	gchar *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	ck_assert_msg(g_file_get_contents(path, &data, &len, &err), "%s: %s", path,
		      err ? err->message : "?");
	g_free(path);
	return g_bytes_new_take(data, len);
}

/* Deterministic bytes that do not compress. */
static guint8 *
noise(size_t len, guint32 seed)
{
	guint8 *p = g_malloc(len);
	guint32 x = seed | 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (guint8)x;
	}
	return p;
}

/* ---- archives made with libarchive -------------------------------------- */

static bool bench_mode;	/* --bench: no Check runner to report to */

#define REQUIRE(cond, ...) do { \
	if (!bench_mode) \
		ck_assert_msg(cond, __VA_ARGS__); \
	else if (!(cond)) \
		g_error(__VA_ARGS__); \
} while (0)

typedef struct {
	const char *name;
	const void *data;
	size_t len;
} entry_spec;

static la_ssize_t
collect(struct archive *a, void *out, const void *buf, size_t n)
{
	(void)a;
	g_byte_array_append(out, buf, (guint)n);
	return (la_ssize_t)n;
}

static void
write_entry(struct archive *a, const entry_spec *s)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, s->name);
	archive_entry_set_size(e, (la_int64_t)s->len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	REQUIRE(archive_write_header(a, e) >= ARCHIVE_WARN, "%s", archive_error_string(a));
	for (size_t done = 0; done < s->len;) {
		la_ssize_t n = archive_write_data(a, (const char *)s->data + done, s->len - done);
		REQUIRE(n > 0, "%s", archive_error_string(a));
		done += (size_t)n;
	}
	archive_entry_free(e);
}

/* An archive of format (and filter, options, passphrase: may be NULL), or
 * NULL when this libarchive cannot write it. */
static GBytes *
make_archive(const char *format, const char *filter, const char *options,
	     const char *passphrase, const entry_spec *entries, size_t n)
{
	struct archive *a = archive_write_new();
	GByteArray *out = g_byte_array_new();

	REQUIRE(archive_write_set_format_by_name(a, format) == ARCHIVE_OK, "%s", format);
	if (filter)
		REQUIRE(archive_write_add_filter_by_name(a, filter) == ARCHIVE_OK, "%s", filter);
	if ((options && archive_write_set_options(a, options) != ARCHIVE_OK) ||
	    (passphrase && archive_write_set_passphrase(a, passphrase) != ARCHIVE_OK)) {
		fprintf(stderr, "skipped: libarchive cannot write %s: %s\n", options,
			archive_error_string(a));
		archive_write_free(a);
		g_byte_array_free(out, TRUE);
		return NULL;
	}
	archive_write_set_bytes_in_last_block(a, 1);
	REQUIRE(archive_write_open(a, out, NULL, collect, NULL) == ARCHIVE_OK, "open");
	for (size_t i = 0; i < n; i++)
		write_entry(a, &entries[i]);
	REQUIRE(archive_write_close(a) == ARCHIVE_OK, "%s", archive_error_string(a));
	archive_write_free(a);
	return g_byte_array_free_to_bytes(out);
}

static GBytes *
make_zip1(const char *name, const void *data, size_t len)
{
	entry_spec e = { name, data, len };
	return make_archive("zip", NULL, NULL, NULL, &e, 1);
}

/* A zip holding a zip holding ... (levels archives in all) of "deep.txt". */
static GBytes *
nested_zip(int levels)
{
	GBytes *b = make_zip1("deep.txt", "at the bottom\n", 14);

	for (int i = 1; i < levels; i++) {
		char *name = g_strdup_printf("level%d.zip", levels - i);
		gsize n;
		const void *d = g_bytes_get_data(b, &n);
		GBytes *outer = make_zip1(name, d, n);
		g_bytes_unref(b);
		g_free(name);
		b = outer;
	}
	return b;
}

/* ---- archives written byte by byte -------------------------------------- */

static void
put16(GByteArray *a, unsigned v)
{
	guint8 b[2] = { (guint8)v, (guint8)(v >> 8) };
	g_byte_array_append(a, b, 2);
}

static void
put32(GByteArray *a, guint32 v)
{
	guint8 b[4] = { (guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24) };
	g_byte_array_append(a, b, 4);
}

static unsigned
crc16_lha(const guint8 *p, size_t n)
{
	unsigned c = 0;

	while (n--) {
		c ^= *p++;
		for (int i = 0; i < 8; i++)
			c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
	}
	return c;
}

static guint32
crc32_ieee(const guint8 *p, size_t n)
{
	guint32 c = 0xFFFFFFFFu;

	while (n--) {
		c ^= *p++;
		for (int i = 0; i < 8; i++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

/* An LZH archive with one stored (-lh0-) member, level-0 header. */
static GBytes *
make_lzh(const char *name, const char *data)
{
	GByteArray *a = g_byte_array_new();
	size_t nl = strlen(name), dl = strlen(data);
	unsigned sum = 0;

	g_byte_array_append(a, (const guint8 *)"\0\0-lh0-", 7);
	put32(a, (guint32)dl);			/* compressed size */
	put32(a, (guint32)dl);			/* original size */
	put32(a, 0x58210000);			/* DOS time */
	g_byte_array_append(a, (const guint8 *)"\x20\x00", 2);	/* attribute, level 0 */
	guint8 n8 = (guint8)nl;
	g_byte_array_append(a, &n8, 1);
	g_byte_array_append(a, (const guint8 *)name, (guint)nl);
	put16(a, crc16_lha((const guint8 *)data, dl));
	a->data[0] = (guint8)(a->len - 2);	/* header size */
	for (guint i = 2; i < a->len; i++)
		sum += a->data[i];
	a->data[1] = (guint8)sum;
	g_byte_array_append(a, (const guint8 *)data, (guint)dl);
	g_byte_array_append(a, (const guint8 *)"", 1);	/* end of archive */
	return g_byte_array_free_to_bytes(a);
}

/* A RAR (2.0) archive with one stored member; flag 0x04: encrypted. */
static GBytes *
make_rar(const char *name, const char *data, bool encrypted)
{
	static const guint8 mark[] = { 'R', 'a', 'r', '!', 0x1A, 0x07, 0x00 };
	static const guint8 end[] = { 0xC4, 0x3D, 0x7B, 0x00, 0x40, 0x07, 0x00 };
	GByteArray *a = g_byte_array_new();
	size_t nl = strlen(name), dl = strlen(data);

	g_byte_array_append(a, mark, sizeof mark);
	guint mh = a->len;
	g_byte_array_append(a, (const guint8 *)"\0\0\x73\0\0\x0d\0\0\0\0\0\0\0", 13);
	guint16 crc = (guint16)crc32_ieee(a->data + mh + 2, 11);
	a->data[mh] = (guint8)crc;
	a->data[mh + 1] = (guint8)(crc >> 8);
	guint fh = a->len;
	put16(a, 0);
	g_byte_array_append(a, (const guint8 *)"\x74", 1);
	put16(a, 0x8000 | (encrypted ? 0x04 : 0));
	put16(a, (unsigned)(32 + nl));
	put32(a, (guint32)dl);
	put32(a, (guint32)dl);
	g_byte_array_append(a, (const guint8 *)"\x02", 1);	/* host OS: Win32 */
	put32(a, crc32_ieee((const guint8 *)data, dl));
	put32(a, 0x58210000);
	g_byte_array_append(a, (const guint8 *)"\x14\x30", 2);	/* version 2.0, stored */
	put16(a, (unsigned)nl);
	put32(a, 0x20);
	g_byte_array_append(a, (const guint8 *)name, (guint)nl);
	crc = (guint16)crc32_ieee(a->data + fh + 2, a->len - fh - 2);
	a->data[fh] = (guint8)crc;
	a->data[fh + 1] = (guint8)(crc >> 8);
	g_byte_array_append(a, (const guint8 *)data, (guint)dl);
	g_byte_array_append(a, end, sizeof end);
	return g_byte_array_free_to_bytes(a);
}

/* A minimal PE (what libmagic calls a portable executable). */
static GBytes *
make_pe(void)
{
	guint8 *p = g_malloc0(1024);

	p[0] = 'M';
	p[1] = 'Z';
	p[0x3C] = 0x80;
	memcpy(p + 0x80, "PE\0\0\x4c\x01\x01\x00", 8);
	p[0x94] = 0xE0;
	p[0x96] = 0x02;
	p[0x97] = 0x01;
	p[0x98] = 0x0B;
	p[0x99] = 0x01;
	return g_bytes_new_take(p, 1024);
}

/* A compound file: header, a directory sector naming the streams, then
 * content at offset 1536. */
static GBytes *
make_ole(const char *const *streams, const guint8 *content, size_t clen)
{
	static const guint8 sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	size_t len = 1536 + ((clen + 511) / 512) * 512 + 512;
	guint8 *p = g_malloc0(len);

	memcpy(p, sig, 8);
	p[0x18] = 0x3E;
	p[0x1A] = 0x03;
	p[0x1C] = 0xFE;
	p[0x1D] = 0xFF;
	p[0x1E] = 0x09;
	p[0x20] = 0x06;
	for (int i = 0; streams[i]; i++) {
		guint8 *e = p + 512 + 128 * i;
		size_t n = strlen(streams[i]);
		for (size_t j = 0; j < n; j++)
			e[2 * j] = (guint8)streams[i][j];
		e[64] = (guint8)((n + 1) * 2);
		e[66] = i == 0 ? 5 : 2;
	}
	memcpy(p + 1536, content, clen);
	return g_bytes_new_take(p, len);
}

static GBytes *
make_pdf(const char *trailer_extra)
{
	char *s = g_strdup_printf(
		"%%PDF-1.4\n"
		"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
		"3 0 obj << /Filter /Standard /V 2 /R 3 /Length 128 /P -4 >> endobj\n"
		"4 0 obj << /Length 30 >> stream\n(about /Encrypt and more) Tj\nendstream endobj\n"
		"xref\n0 5\n0000000000 65535 f \n"
		"trailer\n<< /Size 5 /Root 1 0 R %s>>\nstartxref\n9\n%%%%EOF\n",
		trailer_extra);
	return g_bytes_new_take(s, strlen(s));
}

/* ---- file names ---------------------------------------------------------- */

typedef struct {
	const char *name;
	const char *codes;	/* expected findings, space-separated, in any order */
	bool banned;
} name_case;

static const name_case name_cases[] = {
	{ "invoice.pdf.exe", "executable double_extension", true },
	{ "photo.JPG.Scr", "executable double_extension", true },
	{ "invoice.pdf      .exe", "executable double_extension", true },
	{ "請求書.pdf.exe", "executable double_extension", true },
	{ "setup.v2.exe", "executable", true },
	{ "invoice\xE2\x80\xAE" "fdp.exe", "executable bidi_name", true },
	{ "report\xE2\x81\xA6.pdf", "bidi_name", false },
	{ "report.pdf.", "trailing_dot", false },
	{ "setup.exe . . .", "executable trailing_dot", true },
	{ "setup.exe ", "executable trailing_dot", true },
	{ "file.{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}", "clsid_name", true },
	{ "file.{3050f4d8-98b5-11cf-bb82-00aa00bdce0b}.", "clsid_name trailing_dot", true },
	{ "file.{3050F4D8-98B5-11CF-BB82}", "", false },
	{ "pay\xE2\x80\x8Bpal.pdf", "suspicious_name", false },
	{ "a\x01" "b.pdf", "suspicious_name", false },
	{ "caf\xE9.pdf", "suspicious_name", false },
	{ "shortcut.lnk", "executable", true },
	{ "script.ps1", "executable", true },
	{ "readme.txt", "", false },
	{ "archive.tar.gz", "", false },
	{ "会議資料.docx", "", false },
	{ "noextension", "", false },
	{ "", "", false },
};

static void
assert_codes(const mg_classification *c, const char *codes, const char *what)
{
	char **want = g_strsplit(codes, " ", -1);
	guint n = 0;
	char *got = findings(c);

	for (int i = 0; want[i]; i++) {
		if (!*want[i])
			continue;
		n++;
		ck_assert_msg(has(c, want[i]), "%s: no %s in [%s ]", what, want[i], got);
	}
	ck_assert_msg(c->findings->len == n, "%s: [%s ], expected [ %s ]", what, got, codes);
	g_free(got);
	g_strfreev(want);
}

START_TEST(test_names)
{
	const name_case *nc = &name_cases[_i];
	mg_classification *c = mg_classify((const guint8 *)"some words\n", 11, nc->name,
					   "text/plain", NULL);

	assert_codes(c, nc->codes, nc->name);
	ck_assert_msg(c->banned == nc->banned, "%s: banned %d", nc->name, c->banned);
	ck_assert_str_eq(c->true_type, "text/plain");
	mg_classification_free(c);
}
END_TEST

START_TEST(test_banned_setting)
{
	mg_config *cfg = mg_config_new_defaults();
	char **old = cfg->banned_extensions;
	char *mine[] = { "foo", ".bar", NULL };

	cfg->banned_extensions = mine;
	mg_classification *c = mg_classify((const guint8 *)"x\n", 2, "a.foo", "text/plain", cfg);
	ck_assert(c->banned);
	ASSERT_HAS(c, "executable");
	mg_classification_free(c);
	c = mg_classify((const guint8 *)"x\n", 2, "a.BAR", "text/plain", cfg);
	ck_assert(c->banned);
	mg_classification_free(c);
	c = mg_classify((const guint8 *)"x\n", 2, "a.exe", "text/plain", cfg);
	ck_assert(!c->banned);
	mg_classification_free(c);
	cfg->banned_extensions = old;
	mg_config_unref(cfg);
}
END_TEST

/* ---- types --------------------------------------------------------------- */

START_TEST(test_pdf_that_is_pe)
{
	GBytes *pe = make_pe();
	mg_classification *c = classify_bytes(pe, "invoice.pdf", "application/pdf", NULL);

	ck_assert_msg(strstr(c->true_type, "executable") || strstr(c->true_type, "dosexec"),
		      "true type %s", c->true_type);
	ck_assert(c->banned);
	ck_assert(c->type_mismatch);
	ASSERT_HAS(c, "executable");
	ASSERT_HAS(c, "type_mismatch");
	mg_classification_free(c);
	g_bytes_unref(pe);
}
END_TEST

START_TEST(test_real_pe_as_pdf)
{
	GBytes *b = testfile("clam.exe");
	if (!b)
		return;
	mg_classification *c = classify_bytes(b, "scan.pdf", "application/octet-stream", NULL);
	ck_assert_str_eq(c->true_type, "application/vnd.microsoft.portable-executable");
	ck_assert(c->banned && c->type_mismatch);
	mg_classification_free(c);
	c = classify_bytes(b, "clam.exe", "application/x-msdownload", NULL);
	ck_assert(c->banned);
	ASSERT_HASNT(c, "type_mismatch");
	mg_classification_free(c);
	g_bytes_unref(b);
}
END_TEST

START_TEST(test_real_documents)
{
	static const struct {
		const char *file, *name, *type;
	} docs[] = {
		{ "clam.pdf", "paper.pdf", "application/pdf" },
		{ "clam.ole.doc", "letter.doc", "application/msword" },
		{ "clam.ppt", "slides.ppt", "application/vnd.ms-powerpoint" },
		{ "clam.exe.rtf", "memo.rtf", "text/rtf" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
		GBytes *b = testfile(docs[i].file);
		if (!b)
			return;
		mg_classification *c = classify_bytes(b, docs[i].name,
						      "application/octet-stream", NULL);
		ck_assert_str_eq(c->true_type, docs[i].type);
		ck_assert_msg(!c->encrypted && !c->cannot_inspect && !c->type_mismatch &&
			      !c->banned, "%s flagged", docs[i].file);
		mg_classification_free(c);
		g_bytes_unref(b);
	}
}
END_TEST

START_TEST(test_mismatches)
{
	GBytes *pdf = make_pdf("");
	mg_classification *c = classify_bytes(pdf, "photo.jpg", "image/jpeg", NULL);
	ck_assert_str_eq(c->true_type, "application/pdf");
	ck_assert(c->type_mismatch);
	ck_assert(!c->banned);
	mg_classification_free(c);

	/* the extension agrees, the declared type does not */
	c = classify_bytes(pdf, "paper.pdf", "image/png", NULL);
	ck_assert(c->type_mismatch);
	mg_classification_free(c);

	c = classify_bytes(pdf, "paper.pdf", "application/octet-stream", NULL);
	ck_assert(!c->type_mismatch);
	ck_assert(c->findings->len == 0);
	mg_classification_free(c);

	/* unknown extension, generic label: nothing to contradict */
	c = classify_bytes(pdf, "paper.dat", NULL, NULL);
	ck_assert(!c->type_mismatch);
	mg_classification_free(c);
	g_bytes_unref(pdf);

	/* OOXML and zip are the same container */
	GBytes *zip = make_zip1("word/document.xml", "<w/>", 4);
	c = classify_bytes(zip, "report.docx", "application/vnd.openxmlformats-"
			   "officedocument.wordprocessingml.document", NULL);
	ck_assert(!c->type_mismatch);
	mg_classification_free(c);
	g_bytes_unref(zip);
}
END_TEST

START_TEST(test_text_declared)
{
	GBytes *pe = make_pe();
	mg_classification *c = classify_bytes(pe, "notes.txt", "text/plain; charset=us-ascii",
					      NULL);

	/* a binary signature makes libmagic look after all */
	ck_assert(c->banned);
	ck_assert(c->type_mismatch);
	mg_classification_free(c);
	g_bytes_unref(pe);

	c = mg_classify((const guint8 *)"a,b\n1,2\n", 8, "data.csv", "Text/CSV", NULL);
	ck_assert_str_eq(c->true_type, "text/csv");
	ck_assert(c->findings->len == 0);
	mg_classification_free(c);
}
END_TEST

START_TEST(test_empty_and_null)
{
	mg_classification *c = mg_classify(NULL, 0, NULL, NULL, NULL);

	ck_assert_str_eq(c->true_type, "application/x-empty");
	ck_assert(c->findings->len == 0 && c->members->len == 0);
	mg_classification_free(c);
	mg_classification_free(NULL);
	c = mg_classify((const guint8 *)"\x00\x01\x02", 3, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(c->true_type);
	mg_classification_free(c);
}
END_TEST

/* ---- encrypted documents and messages ------------------------------------ */

START_TEST(test_pdf_encrypt)
{
	GBytes *enc = make_pdf("/Encrypt 3 0 R ");
	GBytes *inline_dict = make_pdf("/Encrypt << /Filter /Standard >> ");
	GBytes *meta = make_pdf("/EncryptMetadata false ");
	GBytes *plain = make_pdf("");

	mg_classification *c = classify_bytes(enc, "secret.pdf", "application/pdf", NULL);
	ck_assert(c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "encrypted_document");
	mg_classification_free(c);
	c = classify_bytes(inline_dict, "secret.pdf", "application/pdf", NULL);
	ASSERT_HAS(c, "encrypted_document");
	mg_classification_free(c);
	c = classify_bytes(meta, "a.pdf", "application/pdf", NULL);
	ck_assert(!c->encrypted);
	mg_classification_free(c);
	/* "/Encrypt" in a content stream's text is not a key */
	c = classify_bytes(plain, "a.pdf", "application/pdf", NULL);
	ck_assert(!c->encrypted && !c->cannot_inspect);
	mg_classification_free(c);
	g_bytes_unref(enc);
	g_bytes_unref(inline_dict);
	g_bytes_unref(meta);
	g_bytes_unref(plain);
}
END_TEST

static void
assert_ole(const char *const *streams, const guint8 *content, size_t clen,
	   const char *name, bool encrypted)
{
	GBytes *b = make_ole(streams, content, clen);
	mg_classification *c = classify_bytes(b, name, "application/octet-stream", NULL);

	ck_assert_msg(c->encrypted == encrypted, "%s: encrypted %d (%s)", name,
		      c->encrypted, c->true_type);
	ck_assert(c->cannot_inspect == encrypted);
	ck_assert(has(c, "encrypted_document") == encrypted);
	ck_assert(!c->type_mismatch);
	mg_classification_free(c);
	g_bytes_unref(b);
}

START_TEST(test_office_encrypt)
{
	static const char *const ooxml[] = { "Root Entry", "EncryptionInfo",
					     "EncryptedPackage", NULL };
	static const char *const word[] = { "Root Entry", "WordDocument", "1Table", NULL };
	static const char *const xls[] = { "Root Entry", "Workbook", NULL };
	static const char *const ppt[] = { "Root Entry", "PowerPoint Document",
					   "EncryptedSummary", NULL };
	guint8 fib[64] = { 0xEC, 0xA5, 0xC1, 0x00 };
	guint8 biff[64] = { 0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00 };
	guint8 filler[64] = { 0 };

	assert_ole(ooxml, filler, sizeof filler, "budget.xlsx", true);
	assert_ole(ppt, filler, sizeof filler, "slides.ppt", true);
	assert_ole(word, fib, sizeof fib, "letter.doc", false);
	fib[0x0B] = 0x01;	/* fEncrypted */
	assert_ole(word, fib, sizeof fib, "letter.doc", true);
	/* BOF, then WRITEACCESS, then no FILEPASS */
	biff[20] = 0x5C;
	biff[22] = 0x02;
	assert_ole(xls, biff, sizeof biff, "table.xls", false);
	biff[20] = 0x2F;	/* FILEPASS right after BOF */
	assert_ole(xls, biff, sizeof biff, "table.xls", true);
}
END_TEST

START_TEST(test_smime)
{
	static const guint8 env[] = { 0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
				      0x0D, 0x01, 0x07, 0x03, 0xA0, 0x80, 0x30, 0x80 };
	static const guint8 sig[] = { 0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
				      0x0D, 0x01, 0x07, 0x02, 0xA0, 0x80, 0x30, 0x80 };

	mg_classification *c = mg_classify(env, sizeof env, "smime.p7m",
					   "application/pkcs7-mime; smime-type=enveloped-data",
					   NULL);
	ck_assert(c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "smime_encrypted");
	mg_classification_free(c);

	/* recognised by its content alone */
	c = mg_classify(env, sizeof env, "data.bin", "application/octet-stream", NULL);
	ASSERT_HAS(c, "smime_encrypted");
	mg_classification_free(c);

	c = mg_classify(sig, sizeof sig, "smime.p7m",
			"application/x-pkcs7-mime; smime-type=signed-data", NULL);
	ck_assert(!c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "smime_opaque");
	mg_classification_free(c);

	/* a detached signature is not a container */
	c = mg_classify(sig, sizeof sig, "smime.p7s", "application/pkcs7-signature", NULL);
	ck_assert(!c->encrypted && !c->cannot_inspect);
	mg_classification_free(c);
}
END_TEST

START_TEST(test_pgp)
{
	static const char armored[] = "\n-----BEGIN PGP MESSAGE-----\n\n"
				      "jA0ECQMCexample\n-----END PGP MESSAGE-----\n";
	guint8 *skesk = noise(200, 7), *pkesk = noise(200, 8), *other = noise(200, 9);

	memcpy(skesk, "\x8c\x0d\x04\x09\x03\x08", 6);	/* old format, tag 3, v4 */
	memcpy(pkesk, "\xc1\x8c\x03", 3);		/* new format, tag 1, v3 */
	other[0] = 0x42;

	mg_classification *c = mg_classify((const guint8 *)armored, strlen(armored),
					   "msg.asc", "application/octet-stream", NULL);
	ck_assert(c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "pgp_encrypted");
	mg_classification_free(c);
	c = mg_classify(skesk, 200, "file.gpg", "application/octet-stream", NULL);
	ASSERT_HAS(c, "pgp_encrypted");
	mg_classification_free(c);
	c = mg_classify(pkesk, 200, "file.pgp", NULL, NULL);
	ASSERT_HAS(c, "pgp_encrypted");
	mg_classification_free(c);
	c = mg_classify((const guint8 *)"Version: 1\n", 11, NULL, "application/pgp-encrypted",
			NULL);
	ASSERT_HAS(c, "pgp_encrypted");
	mg_classification_free(c);
	c = mg_classify(other, 200, "file.bin", NULL, NULL);
	ck_assert(!c->encrypted && !c->cannot_inspect);
	mg_classification_free(c);
	g_free(skesk);
	g_free(pkesk);
	g_free(other);
}
END_TEST

/* ---- archives ------------------------------------------------------------ */

START_TEST(test_real_archives)
{
	static const char *const files[] = {
		"clam.zip", "clam.7z", "clam.cab", "clam.tar.gz", "clam.exe.bz2",
		"clam.bin-le.cpio",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		GBytes *b = testfile(files[i]);
		if (!b)
			return;
		mg_classification *c = classify_bytes(b, files[i], "application/octet-stream",
						      NULL);
		ck_assert_msg(c->members->len == 1, "%s: %u members", files[i], c->members->len);
		ck_assert_str_eq(member(c, 0)->name, "clam.exe");
		ck_assert_uint_eq(member(c, 0)->size, 544);
		ck_assert_uint_eq(member(c, 0)->depth, 1);
		ck_assert(c->banned && !c->cannot_inspect && !c->encrypted);
		ASSERT_HAS(c, "archive_executable");
		/* libclamav unpacks all of these itself but 7z and bzip2 (archive.c) */
		ck_assert_uint_eq(c->extracted->len, strcmp(files[i], "clam.7z") == 0 ||
					      strcmp(files[i], "clam.exe.bz2") == 0);
		mg_classification_free(c);
		g_bytes_unref(b);
	}
}
END_TEST

/* Members are extracted for scanning exactly where libclamav would not
 * unpack them itself: measured with libclamav 1.4 (a 7z whose coder is
 * deflate or bzip2, tar under zstd, compress or lzip came out clean, and
 * under bzip2 all after its first stream). */
START_TEST(test_extracted_where_libclamav_cannot)
{
	static const struct { const char *format, *filter, *options; guint extracted; } cases[] = {
		{ "zip", NULL, NULL, 0 },
		{ "pax", "gzip", NULL, 0 }, { "pax", "xz", NULL, 0 }, { "pax", "bzip2", NULL, 1 },
		{ "cpio", NULL, NULL, 0 },
		{ "pax", "zstd", NULL, 1 }, { "pax", "compress", NULL, 1 }, { "pax", "lzip", NULL, 1 },
		{ "7zip", NULL, "7zip:compression=deflate", 1 },
		{ "7zip", NULL, "7zip:compression=lzma2", 1 },
	};
	static const char body[] = "a member\n";
	entry_spec e = { "member.txt", body, sizeof body - 1 };

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GBytes *b = make_archive(cases[i].format, cases[i].filter, cases[i].options, NULL,
					 &e, 1);
		if (!b)
			continue;
		mg_classification *c = classify_bytes(b, "a.bin", NULL, NULL);
		ck_assert_msg(c->members->len == 1, "%s+%s: %u members", cases[i].format,
			      cases[i].filter ? cases[i].filter : "", c->members->len);
		ck_assert_msg(c->extracted->len == cases[i].extracted, "%s+%s %s: %u extracted",
			      cases[i].format, cases[i].filter ? cases[i].filter : "",
			      cases[i].options ? cases[i].options : "", c->extracted->len);
		mg_classification_free(c);
		g_bytes_unref(b);
	}
}
END_TEST

START_TEST(test_real_nested_depth)
{
	GBytes *b = testfile("clam_cache_emax.tgz");
	if (!b)
		return;
	mg_classification *c = classify_bytes(b, "emax.tgz", NULL, NULL);
	ASSERT_HAS(c, "archive_depth");
	ck_assert(c->cannot_inspect);
	bool depth3 = false;
	for (guint i = 0; i < c->members->len; i++) {
		ck_assert_uint_le(member(c, i)->depth, 3);
		depth3 |= member(c, i)->depth == 3;
	}
	ck_assert(depth3);
	mg_classification_free(c);
	g_bytes_unref(b);
}
END_TEST

START_TEST(test_zip_listing)
{
	guint8 *big = noise(100000, 1);
	entry_spec e[] = {
		{ "docs/報告書.txt", "本文\n", 7 },
		{ "docs/data.bin", big, 100000 },
		{ "readme.txt", "", 0 },
	};
	GBytes *zip = make_archive("zip", NULL, NULL, NULL, e, G_N_ELEMENTS(e));
	mg_classification *c = classify_bytes(zip, "files.zip", "application/zip", NULL);

	ck_assert_str_eq(c->true_type, "application/zip");
	ck_assert_uint_eq(c->members->len, 3);
	ck_assert_str_eq(member(c, 0)->name, "docs/報告書.txt");
	ck_assert_uint_eq(member(c, 0)->size, 7);
	ck_assert_uint_eq(member(c, 1)->size, 100000);
	ck_assert_uint_eq(member(c, 2)->size, 0);
	ck_assert(!member(c, 1)->encrypted);
	ck_assert_msg(c->findings->len == 0, "%s", (char *)g_ptr_array_index(c->findings, 0));
	ck_assert(!c->cannot_inspect && !c->banned && !c->type_mismatch);
	mg_classification_free(c);
	g_bytes_unref(zip);
	g_free(big);
}
END_TEST

START_TEST(test_other_formats)
{
	static const struct {
		const char *format, *filter, *name, *type;
	} fmts[] = {
		{ "7zip", NULL, "a.7z", "application/x-7z-compressed" },
		{ "pax", "gzip", "a.tar.gz", "application/gzip" },
		{ "ustar", NULL, "a.tar", "application/x-tar" },
		{ "iso9660", NULL, "a.iso", "application/x-iso9660-image" },
		{ "cpio", "bzip2", "a.cpio.bz2", "application/x-bzip2" },
		{ "zip", "xz", "a.zip.xz", "application/x-xz" },
	};
	entry_spec e[] = {
		{ "a.txt", "first\n", 6 },
		{ "invoice.pdf.exe", "MZ\n", 3 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fmts); i++) {
		GBytes *b = make_archive(fmts[i].format, fmts[i].filter, NULL, NULL, e, 2);
		mg_classification *c = classify_bytes(b, fmts[i].name, NULL, NULL);
		ck_assert_str_eq(c->true_type, fmts[i].type);
		ck_assert_msg(c->members->len == 2, "%s: %u members", fmts[i].name,
			      c->members->len);
		ck_assert_str_eq(member(c, 0)->name, "a.txt");
		ck_assert_uint_eq(member(c, 0)->size, 6);
		ck_assert_str_eq(member(c, 1)->name, "invoice.pdf.exe");
		ASSERT_HAS(c, "archive_executable");
		ASSERT_HAS(c, "archive_suspicious_name");
		ck_assert(c->banned && !c->cannot_inspect);
		mg_classification_free(c);
		g_bytes_unref(b);
	}
}
END_TEST

/* Names that libarchive converts (UTF-16 in 7z and Joliet, UTF-8 in pax)
 * come out right although the process runs in the "C" locale. */
START_TEST(test_unicode_names)
{
	static const char *const formats[] = { "7zip", "pax", "iso9660" };
	entry_spec e = { "報告書/請求書①.txt", "本文\n", 7 };
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	ck_assert_msg(utf8 != (locale_t)0, "no C.UTF-8 locale");
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		locale_t old = uselocale(utf8);	/* for the writer only */
		GBytes *b = make_archive(formats[i], NULL, NULL, NULL, &e, 1);
		uselocale(old);
		mg_classification *c = classify_bytes(b, "names", NULL, NULL);
		ck_assert_msg(c->members->len == 1, "%s: %u members", formats[i], c->members->len);
		ck_assert_str_eq(member(c, 0)->name, "報告書/請求書①.txt");
		ck_assert(!c->cannot_inspect);
		mg_classification_free(c);
		g_bytes_unref(b);
	}
	freelocale(utf8);
}
END_TEST

START_TEST(test_member_paths)
{
	char *longdir = g_strnfill(130, 'd');
	char *longpath = g_strconcat(longdir, "/x.txt", NULL);
	entry_spec e[] = {
		{ "../../etc/passwd", "x", 1 },
		{ "dir\\win.txt", "x", 1 },
		{ longpath, "x", 1 },
		{ "a/b\xE2\x80\xAE" "fdp.exe", "x", 1 },
	};
	GBytes *zip = make_archive("zip", NULL, NULL, NULL, e, G_N_ELEMENTS(e));
	mg_classification *c = classify_bytes(zip, "paths.zip", NULL, NULL);

	ck_assert_uint_eq(c->members->len, 4);
	ck_assert_str_eq(member(c, 0)->name, "_/_/etc/passwd");
	ck_assert_str_eq(member(c, 1)->name, "dir/win.txt");
	ck_assert_str_eq(member(c, 2)->name, "\u2026/x.txt");
	ck_assert_str_eq(member(c, 3)->name, "a/b?fdp.exe");
	ASSERT_HAS(c, "archive_executable");
	ASSERT_HAS(c, "archive_suspicious_name");
	mg_classification_free(c);
	g_bytes_unref(zip);
	g_free(longpath);
	g_free(longdir);
}
END_TEST

START_TEST(test_gz_single)
{
	entry_spec e = { "data", "just some text\n", 15 };
	GBytes *gz = make_archive("raw", "gzip", NULL, NULL, &e, 1);
	mg_classification *c = classify_bytes(gz, "notes.txt.gz", NULL, NULL);

	ck_assert_str_eq(c->true_type, "application/gzip");
	ck_assert_uint_eq(c->members->len, 1);
	ck_assert_str_eq(member(c, 0)->name, "notes.txt");
	ck_assert_uint_eq(member(c, 0)->size, 15);
	ck_assert(!c->cannot_inspect);
	mg_classification_free(c);
	g_bytes_unref(gz);
}
END_TEST

START_TEST(test_zip_encrypted)
{
	static const char *const opts[] = { "zip:encryption=traditional",
					    "zip:encryption=aes256" };
	entry_spec e[] = { { "secret.txt", "password protected\n", 19 },
			   { "more.exe", "MZ", 2 } };

	for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
		GBytes *zip = make_archive("zip", NULL, opts[i], "mugaika", e, 2);
		if (!zip)
			continue;
		mg_classification *c = classify_bytes(zip, "secret.zip", NULL, NULL);
		ck_assert_msg(c->encrypted && c->cannot_inspect, "%s", opts[i]);
		ASSERT_HAS(c, "encrypted_archive");
		ASSERT_HASNT(c, "archive_unreadable");
		ck_assert_uint_eq(c->members->len, 2);
		ck_assert(member(c, 0)->encrypted && member(c, 1)->encrypted);
		ck_assert_str_eq(member(c, 0)->name, "secret.txt");
		ck_assert_uint_eq(member(c, 0)->size, 19);
		ck_assert(c->banned);	/* by the member's name */
		mg_classification_free(c);
		g_bytes_unref(zip);
	}
}
END_TEST

START_TEST(test_7z_encrypted)
{
	GBytes *entries = srcfile("testdata/files/enc_entries.7z");
	GBytes *headers = srcfile("testdata/files/enc_headers.7z");

	mg_classification *c = classify_bytes(entries, "a.7z", NULL, NULL);
	ck_assert_str_eq(c->true_type, "application/x-7z-compressed");
	ck_assert(c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "encrypted_archive");
	ck_assert_uint_eq(c->members->len, 1);
	ck_assert_str_eq(member(c, 0)->name, "secret.txt");
	ck_assert(member(c, 0)->encrypted);
	mg_classification_free(c);

	/* the names are encrypted too: libarchive cannot read it at all (and
	 * says why: "The archive header is encrypted, ...") */
	c = classify_bytes(headers, "b.7z", NULL, NULL);
	ck_assert(c->cannot_inspect && c->encrypted);
	ASSERT_HAS(c, "archive_unreadable");
	ASSERT_HAS(c, "encrypted_archive");
	ck_assert_uint_eq(c->members->len, 0);
	mg_classification_free(c);
	g_bytes_unref(entries);
	g_bytes_unref(headers);
}
END_TEST

START_TEST(test_nested)
{
	GBytes *two = nested_zip(2), *three = nested_zip(3), *four = nested_zip(4);

	mg_classification *c = classify_bytes(two, "outer.zip", NULL, NULL);
	ck_assert_uint_eq(c->members->len, 2);
	ck_assert_str_eq(member(c, 0)->name, "level1.zip");
	ck_assert_uint_eq(member(c, 0)->depth, 1);
	ck_assert_str_eq(member(c, 1)->name, "deep.txt");
	ck_assert_uint_eq(member(c, 1)->depth, 2);
	ck_assert(c->findings->len == 0);
	mg_classification_free(c);

	c = classify_bytes(three, "outer.zip", NULL, NULL);
	ck_assert_uint_eq(c->members->len, 3);
	ck_assert_uint_eq(member(c, 2)->depth, 3);
	ck_assert(!c->cannot_inspect);
	mg_classification_free(c);

	/* the zip at depth 3 is not opened with archive_max_depth = 3 */
	c = classify_bytes(four, "outer.zip", NULL, NULL);
	ck_assert_uint_eq(c->members->len, 3);
	ck_assert(c->cannot_inspect);
	ASSERT_HAS(c, "archive_depth");
	mg_classification_free(c);

	mg_config *cfg = mg_config_new_defaults();
	cfg->archive_max_depth = 1;
	c = classify_bytes(two, "outer.zip", NULL, cfg);
	ck_assert_uint_eq(c->members->len, 1);
	ASSERT_HAS(c, "archive_depth");
	mg_classification_free(c);
	mg_config_unref(cfg);
	g_bytes_unref(two);
	g_bytes_unref(three);
	g_bytes_unref(four);
}
END_TEST

START_TEST(test_bomb_members)
{
	enum { N = 2000 };
	entry_spec *e = g_new0(entry_spec, N);
	char **names = g_new0(char *, N + 1);

	for (int i = 0; i < N; i++) {
		names[i] = g_strdup_printf("f%04d.txt", i);
		e[i] = (entry_spec){ names[i], "x", 1 };
	}
	GBytes *zip = make_archive("zip", NULL, NULL, NULL, e, N);
	mg_classification *c = classify_bytes(zip, "many.zip", NULL, NULL);
	ASSERT_HAS(c, "archive_bomb");
	ck_assert(c->cannot_inspect);
	ck_assert_uint_eq(c->members->len, 1000);
	mg_classification_free(c);

	mg_config *cfg = mg_config_new_defaults();
	cfg->archive_max_members = 5000;
	c = classify_bytes(zip, "many.zip", NULL, cfg);
	ASSERT_HASNT(c, "archive_bomb");
	ck_assert_uint_eq(c->members->len, N);
	mg_classification_free(c);
	mg_config_unref(cfg);
	g_bytes_unref(zip);
	g_strfreev(names);
	g_free(e);
}
END_TEST

START_TEST(test_bomb_ratio_and_size)
{
	size_t zlen = 8 * 1024 * 1024;
	guint8 *zeros = g_malloc0(zlen), *rnd = noise(2 * 1024 * 1024, 3);
	GBytes *zip = make_zip1("zeros.bin", zeros, zlen);
	gsize zsize = g_bytes_get_size(zip);

	ck_assert_uint_lt(zsize, zlen / 100);
	mg_classification *c = classify_bytes(zip, "zeros.zip", NULL, NULL);
	ASSERT_HAS(c, "archive_bomb");
	ck_assert(c->cannot_inspect);
	mg_classification_free(c);

	/* a nested bomb is found through the outer zip */
	gsize n;
	const void *d = g_bytes_get_data(zip, &n);
	GBytes *outer = make_zip1("inner.zip", d, n);
	c = classify_bytes(outer, "outer.zip", NULL, NULL);
	ASSERT_HAS(c, "archive_bomb");
	mg_classification_free(c);
	g_bytes_unref(outer);

	/* 2 MB that do not compress, against a 1M limit */
	GBytes *big = make_zip1("random.bin", rnd, 2 * 1024 * 1024);
	mg_config *cfg = mg_config_new_defaults();
	c = classify_bytes(big, "big.zip", NULL, cfg);
	ASSERT_HASNT(c, "archive_bomb");
	mg_classification_free(c);
	cfg->archive_max_size = 1024 * 1024;
	c = classify_bytes(big, "big.zip", NULL, cfg);
	ASSERT_HAS(c, "archive_bomb");
	mg_classification_free(c);
	mg_config_unref(cfg);
	g_bytes_unref(big);
	g_bytes_unref(zip);
	g_free(zeros);
	g_free(rnd);
}
END_TEST

/* Sets every uncompressed size a zip states (local and central headers). */
static void
zip_state_size(guint8 *z, size_t n, guint32 size)
{
	for (size_t i = 0; i + 46 <= n; i++) {
		size_t at = memcmp(z + i, "PK\x03\x04", 4) == 0 ? i + 22 :
			    memcmp(z + i, "PK\x01\x02", 4) == 0 ? i + 24 : 0;
		for (int k = 0; at && k < 4; k++)
			z[at + k] = (guint8)(size >> (8 * k));
	}
}

START_TEST(test_bomb_stated_sizes)
{
	/* a header that states 200 MB in a part of a few hundred bytes: a
	 * bomb before anything is decompressed */
	GBytes *zip = make_zip1("small.txt", "hello\n", 6);
	gsize n;
	const void *data = g_bytes_get_data(zip, &n);
	guint8 *z = g_memdup2(data, n);
	zip_state_size(z, n, 200u * 1000 * 1000);
	mg_classification *c = mg_classify(z, n, "stated.zip", NULL, NULL);
	ASSERT_HAS(c, "archive_bomb");
	ck_assert(c->cannot_inspect);
	mg_classification_free(c);

	/* an encrypted member is not read: its size does not count toward
	 * the ratio */
	size_t zlen = 8 * 1024 * 1024;
	guint8 *zeros = g_malloc0(zlen);
	entry_spec e = { "zeros.bin", zeros, zlen };
	GBytes *enc = make_archive("zip", NULL, "zip:encryption=traditional", "mugaika", &e, 1);
	if (enc) {
		c = classify_bytes(enc, "zeros.zip", NULL, NULL);
		ASSERT_HAS(c, "encrypted_archive");
		ASSERT_HASNT(c, "archive_bomb");
		mg_classification_free(c);
		g_bytes_unref(enc);
	}
	g_free(zeros);
	g_free(z);
	g_bytes_unref(zip);
}
END_TEST

START_TEST(test_cp932_zip_name)
{
	GBytes *zip = make_zip1(CP932_NAME, "hello\n", 6);
	mg_classification *c = classify_bytes(zip, "japanese.zip", NULL, NULL);

	ck_assert_uint_eq(c->members->len, 1);
	ck_assert_str_eq(member(c, 0)->name, "請求書.txt");
	ck_assert(c->findings->len == 0);
	mg_classification_free(c);
	g_bytes_unref(zip);
}
END_TEST

START_TEST(test_lzh)
{
	GBytes *cp932 = make_lzh(CP932_NAME, "hello lzh\n");
	GBytes *exe = make_lzh("tool.exe", "MZ");

	mg_classification *c = classify_bytes(cp932, "docs.lzh", NULL, NULL);
	ck_assert_str_eq(c->true_type, "application/x-lzh-compressed");
	ck_assert_uint_eq(c->members->len, 1);
	ck_assert_str_eq(member(c, 0)->name, "請求書.txt");
	ck_assert_uint_eq(member(c, 0)->size, 10);
	ck_assert(c->findings->len == 0 && !c->cannot_inspect);
	mg_classification_free(c);

	c = classify_bytes(exe, "tool.lzh", NULL, NULL);
	ck_assert_str_eq(member(c, 0)->name, "tool.exe");
	ASSERT_HAS(c, "archive_executable");
	mg_classification_free(c);

	/* a broken data CRC: the archive cannot be read to its end */
	gsize n;
	const void *good = g_bytes_get_data(cp932, &n);
	guint8 *bad = g_memdup2(good, n);
	bad[n - 3] ^= 0x20;
	c = mg_classify(bad, n, "bad.lzh", NULL, NULL);
	ASSERT_HAS(c, "archive_unreadable");
	ck_assert(c->cannot_inspect);
	mg_classification_free(c);
	g_free(bad);
	g_bytes_unref(cp932);
	g_bytes_unref(exe);
}
END_TEST

START_TEST(test_rar_extracted)
{
	static const char body[] = "MZ pretend executable";
	GBytes *rar = make_rar("evil.exe", body, false);
	GBytes *enc = make_rar("evil.exe", body, true);

	mg_classification *c = classify_bytes(rar, "evil.rar", NULL, NULL);
	ck_assert_str_eq(c->true_type, "application/x-rar");
	ck_assert_uint_eq(c->members->len, 1);
	ck_assert_uint_eq(c->extracted->len, 1);
	ck_assert_uint_eq(c->extracted_names->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->extracted_names, 0), "evil.exe");
	GBytes *x = g_ptr_array_index(c->extracted, 0);
	ck_assert_uint_eq(g_bytes_get_size(x), strlen(body));
	ck_assert(memcmp(g_bytes_get_data(x, NULL), body, strlen(body)) == 0);
	ASSERT_HAS(c, "archive_executable");
	mg_classification_free(c);

	c = classify_bytes(enc, "evil.rar", NULL, NULL);
	ck_assert(c->encrypted && c->cannot_inspect);
	ASSERT_HAS(c, "encrypted_archive");
	ck_assert_uint_eq(c->extracted->len, 0);
	mg_classification_free(c);
	g_bytes_unref(rar);
	g_bytes_unref(enc);
}
END_TEST

START_TEST(test_rar_in_zip)
{
	GBytes *rar = make_rar("inner.txt", "text in a rar in a zip\n", false);
	gsize n;
	const void *d = g_bytes_get_data(rar, &n);
	GBytes *zip = make_zip1("inner.rar", d, n);
	mg_classification *c = classify_bytes(zip, "outer.zip", NULL, NULL);

	ck_assert_uint_eq(c->members->len, 2);
	ck_assert_uint_eq(member(c, 1)->depth, 2);
	ck_assert_uint_eq(c->extracted->len, 1);	/* the rar's member, not the rar */
	ck_assert_str_eq(g_ptr_array_index(c->extracted_names, 0), "inner.txt");
	mg_classification_free(c);
	g_bytes_unref(zip);
	g_bytes_unref(rar);
}
END_TEST

START_TEST(test_broken_archives)
{
	guint8 *data = noise(30000, 5);
	GBytes *zip = make_zip1("data.bin", data, 30000);
	gsize n;
	const guint8 *z = g_bytes_get_data(zip, &n);

	/* cut in the middle of the member */
	mg_classification *c = mg_classify(z, n / 2, "cut.zip", NULL, NULL);
	ck_assert_str_eq(c->true_type, "application/zip");
	ASSERT_HAS(c, "archive_unreadable");
	ck_assert(c->cannot_inspect);
	mg_classification_free(c);

	/* a flipped byte in stored data: the CRC does not match */
	entry_spec e = { "stored.bin", data, 30000 };
	GBytes *stored = make_archive("zip", NULL, "zip:compression=store", NULL, &e, 1);
	const void *good = g_bytes_get_data(stored, &n);
	guint8 *bad = g_memdup2(good, n);
	bad[100] ^= 1;
	c = mg_classify(bad, n, "crc.zip", NULL, NULL);
	ASSERT_HAS(c, "archive_unreadable");
	mg_classification_free(c);
	g_free(bad);
	g_bytes_unref(stored);
	g_bytes_unref(zip);
	g_free(data);
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

static gpointer
classify_thread(gpointer data)
{
	GBytes *zip = data;

	for (int i = 0; i < 20; i++) {
		mg_classification *c = classify_bytes(zip, "t.zip", NULL, NULL);
		g_assert_cmpuint(c->members->len, ==, 2);
		mg_classification_free(c);
	}
	return NULL;	/* the handle goes with the thread */
}

START_TEST(test_threads)
{
	GBytes *zip = nested_zip(2);
	GThread *t[4];

	for (int i = 0; i < 4; i++)
		t[i] = g_thread_new("classify", classify_thread, zip);
	for (int i = 0; i < 4; i++)
		g_thread_join(t[i]);
	g_bytes_unref(zip);
}
END_TEST

/* ---- measurements -------------------------------------------------------- */

static GBytes *
bench_pdf(size_t len)
{
	GString *s = g_string_new("%PDF-1.5\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
				  "5 0 obj << /Length 0 /Filter /FlateDecode >> stream\n");
	guint8 *body = noise(len, 11);

	g_string_append_len(s, (const char *)body, (gssize)len);
	g_string_append(s, "\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
	g_free(body);
	return g_string_free_to_bytes(s);
}

/* About 2 MB of zip: incompressible members, or text that compresses ~7:1. */
static GBytes *
bench_zip(bool text)
{
	static const char *const words[] = { "住民", "課", "申請", "書類", "the ",
					     "form ", "2024年", "、", "。\n", "確認 " };
	enum { MEMBERS = 20 };
	size_t each = text ? 700 * 1024 : 100 * 1024;
	entry_spec e[MEMBERS];
	guint8 *bufs[MEMBERS];
	char *names[MEMBERS];

	for (int i = 0; i < MEMBERS; i++) {
		bufs[i] = noise(each, (guint32)i + 100);
		if (text) {
			GString *t = g_string_new(NULL);
			for (size_t j = 0; t->len < each; j++)
				g_string_append(t, words[bufs[i][j % each] % 10]);
			g_free(bufs[i]);
			bufs[i] = (guint8 *)g_string_free(t, FALSE);
		}
		names[i] = g_strdup_printf("文書%02d.%s", i, text ? "txt" : "bin");
		e[i] = (entry_spec){ names[i], bufs[i], each };
	}
	GBytes *zip = make_archive("zip", NULL, NULL, NULL, e, MEMBERS);
	for (int i = 0; i < MEMBERS; i++) {
		g_free(bufs[i]);
		g_free(names[i]);
	}
	return zip;
}

static double
time_classify(GBytes *b, const char *name, int rounds)
{
	mg_classification_free(classify_bytes(b, name, NULL, NULL));	/* warm */
	gint64 t0 = g_get_monotonic_time();
	for (int i = 0; i < rounds; i++)
		mg_classification_free(classify_bytes(b, name, NULL, NULL));
	return (double)(g_get_monotonic_time() - t0) / rounds / 1000.0;
}

static int
bench(void)
{
	GBytes *pdf = bench_pdf(200 * 1024), *bin = bench_zip(false), *txt = bench_zip(true);

	printf("mg_classify: %zu-byte PDF: %.3f ms\n", g_bytes_get_size(pdf),
	       time_classify(pdf, "a.pdf", 200));
	printf("mg_classify: %zu-byte zip, 20 incompressible members of 100 KB: %.3f ms\n",
	       g_bytes_get_size(bin), time_classify(bin, "a.zip", 20));
	printf("mg_classify: %zu-byte zip, 20 text members of 700 KB: %.3f ms\n",
	       g_bytes_get_size(txt), time_classify(txt, "a.zip", 20));
	g_bytes_unref(pdf);
	g_bytes_unref(bin);
	g_bytes_unref(txt);
	mg_classify_thread_cleanup();
	return 0;
}

START_TEST(test_cost)
{
	/* a generous bound: the numbers are printed by --bench */
	GBytes *pdf = bench_pdf(200 * 1024), *zip = bench_zip(false);

	ck_assert(time_classify(pdf, "a.pdf", 5) < 100.0);
	ck_assert(time_classify(zip, "a.zip", 2) < 1000.0);
	g_bytes_unref(pdf);
	g_bytes_unref(zip);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static Suite *
classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *names = tcase_create("names");
	TCase *types = tcase_create("types");
	TCase *arch = tcase_create("archives");

	tcase_add_checked_fixture(names, NULL, teardown);
	tcase_add_loop_test(names, test_names, 0, (int)G_N_ELEMENTS(name_cases));
	tcase_add_test(names, test_banned_setting);
	suite_add_tcase(s, names);

	tcase_add_checked_fixture(types, NULL, teardown);
	tcase_add_test(types, test_pdf_that_is_pe);
	tcase_add_test(types, test_real_pe_as_pdf);
	tcase_add_test(types, test_real_documents);
	tcase_add_test(types, test_mismatches);
	tcase_add_test(types, test_text_declared);
	tcase_add_test(types, test_empty_and_null);
	tcase_add_test(types, test_pdf_encrypt);
	tcase_add_test(types, test_office_encrypt);
	tcase_add_test(types, test_smime);
	tcase_add_test(types, test_pgp);
	tcase_add_test(types, test_threads);
	suite_add_tcase(s, types);

	tcase_add_checked_fixture(arch, NULL, teardown);
	tcase_set_timeout(arch, 120);
	tcase_add_test(arch, test_real_archives);
	tcase_add_test(arch, test_real_nested_depth);
	tcase_add_test(arch, test_zip_listing);
	tcase_add_test(arch, test_other_formats);
	tcase_add_test(arch, test_unicode_names);
	tcase_add_test(arch, test_member_paths);
	tcase_add_test(arch, test_gz_single);
	tcase_add_test(arch, test_zip_encrypted);
	tcase_add_test(arch, test_7z_encrypted);
	tcase_add_test(arch, test_nested);
	tcase_add_test(arch, test_bomb_members);
	tcase_add_test(arch, test_bomb_ratio_and_size);
	tcase_add_test(arch, test_bomb_stated_sizes);
	tcase_add_test(arch, test_cp932_zip_name);
	tcase_add_test(arch, test_lzh);
	tcase_add_test(arch, test_rar_extracted);
	tcase_add_test(arch, test_extracted_where_libclamav_cannot);
	tcase_add_test(arch, test_rar_in_zip);
	tcase_add_test(arch, test_broken_archives);
	tcase_add_test(arch, test_cost);
	suite_add_tcase(s, arch);
	return s;
}

int
main(int argc, char **argv)
{
	bench_mode = argc > 1 && strcmp(argv[1], "--bench") == 0;
	if (bench_mode)
		return bench();
	SRunner *sr = srunner_create(classify_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
