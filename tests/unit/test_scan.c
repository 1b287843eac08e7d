/*
 * test_scan.c - the scanner (src/scan.c, src/clamd.c) against the project's
 * own signature database (testdata/clamav), never /var/lib/clamav.
 *
 * libclamav: EICAR found by the .hdb and by the .ndb signature, inside a
 * zip made here in memory, a password zip (ZipCrypto, made here; and one
 * made by zip -P when the tool exists) suspicious and not a virus, a
 * signature beside an encrypted member still a virus, a limit hit reported
 * as a limit, clean data clean, clam.exe from Debian's clamav-testfiles
 * (when installed) found by its .hdb, alone and inside the package's
 * archives; the macro and broken-executable heuristics (an Excel 4.0
 * macro sheet in a compound file built here, a PE header built here and
 * clam.exe with a broken header) suspicious and not a virus, a signature
 * beside a macro sheet still a virus; scan_tmpdir (a load error naming
 * it, the scans' directories made and removed there, a scan error naming
 * it when it is gone); load errors that name clamav_database; a database change seen
 * by mg_scanner_db_changed; a swapped-out engine usable until its last
 * reference; scanner = none; threads sharing one engine; the log hook.
 *
 * clamd: the client against a fake clamd run in a thread here (unix and
 * TCP sockets; OK, FOUND, Heuristics FOUND, ERROR, StreamMaxLength,
 * silence, refused, the data as sent in chunks, VERSION and the age of the
 * signatures), and against Debian's real clamd with the test database when
 * /usr/sbin/clamd is installed.
 *
 * The EICAR test string is built at run time from base64, so that neither
 * this source nor its object file holds it.  The source tree is
 * $MG_SRCDIR, else the compile-time MG_SRCDIR.
 *
 * "test_scan --bench DBDIR [MB]" measures instead: the load time and
 * memory of the signatures in DBDIR, the memory of a second engine built
 * beside the first (a reload), the cost of one scan of a small text part
 * with scan_tmpdir on /dev/shm and on /tmp, and the scan cost per MB of
 * random, text and zipped data (libclamav's cache never answers: each
 * scan changes some bytes).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "scan.h"

#ifndef MG_SRCDIR
#define MG_SRCDIR "."
#endif

#define EICAR_B64 "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElW" \
		  "SVJVUy1URVNULUZJTEUhJEgrSCo="
#define EICAR_MD5 "44d88612fea8a8f36de82e1278abb02f"
#define TESTFILES "/usr/share/clamav-testfiles"

static char *tmpdir;

static const char *
srcdir(void)
{
	const char *env = getenv("MG_SRCDIR");
	return env && *env ? env : MG_SRCDIR;
}

static char *
testdb(void)
{
	return g_build_filename(srcdir(), "testdata", "clamav", NULL);
}

/* ---- test data ---------------------------------------------------------- */

static GBytes *
eicar(void)
{
	gsize len = 0;
	guchar *e = g_base64_decode(EICAR_B64, &len);
	return g_bytes_new_take(e, len);
}

/* EICAR followed by more bytes: the .hdb (whole-file MD5) no longer
 * matches, the .ndb (body) still does. */
static GBytes *
eicar_padded(void)
{
	GBytes *e = eicar();
	GByteArray *a = g_byte_array_new();

	g_byte_array_append(a, g_bytes_get_data(e, NULL), (guint)g_bytes_get_size(e));
	g_byte_array_append(a, (const guint8 *)"\nsome more text\n", 16);
	g_bytes_unref(e);
	return g_byte_array_free_to_bytes(a);
}

static guint32 crc_table[256];

static void
crc_init(void)
{
	for (guint32 i = 0; i < 256; i++) {
		guint32 c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static guint32
crc_byte(guint32 crc, guint8 b)
{
	return crc_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

static guint32
crc32_of(const guint8 *p, size_t n)
{
	guint32 c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_byte(c, p[i]);
	return c ^ 0xffffffffu;
}

/* Traditional PKWARE ("ZipCrypto") encryption. */
typedef struct {
	guint32 k[3];
} zipcrypto;

static void
zc_update(zipcrypto *z, guint8 b)
{
	z->k[0] = crc_byte(z->k[0], b);
	z->k[1] = (z->k[1] + (z->k[0] & 0xff)) * 134775813u + 1;
	z->k[2] = crc_byte(z->k[2], (guint8)(z->k[1] >> 24));
}

static guint8
zc_encrypt(zipcrypto *z, guint8 b)
{
	guint16 t = (guint16)((z->k[2] | 2) & 0xffff);
	guint8 c = b ^ (guint8)(((unsigned)t * (t ^ 1u)) >> 8);
	zc_update(z, b);
	return c;
}

static void
zc_init(zipcrypto *z, const char *password)
{
	z->k[0] = 0x12345678u;
	z->k[1] = 0x23456789u;
	z->k[2] = 0x34567890u;
	for (const char *p = password; *p; p++)
		zc_update(z, (guint8)*p);
}

static void
put16(GByteArray *a, unsigned v)
{
	guint8 b[2] = { v & 0xff, (v >> 8) & 0xff };
	g_byte_array_append(a, b, 2);
}

static void
put32(GByteArray *a, guint32 v)
{
	put16(a, v & 0xffff);
	put16(a, v >> 16);
}

typedef struct {
	const char *name;
	GBytes *data;
	const char *password;	/* NULL: not encrypted */
} zip_entry;

/* The local header, or the central directory entry, of e. */
static void
zip_header(GByteArray *a, bool central, const zip_entry *e, guint32 crc,
	   guint32 csize, guint32 offset)
{
	guint32 usize = (guint32)g_bytes_get_size(e->data);
	unsigned flags = e->password ? 1 : 0;

	put32(a, central ? 0x02014b50u : 0x04034b50u);
	if (central)
		put16(a, 20);			/* version made by */
	put16(a, 20);				/* version needed */
	put16(a, flags);
	put16(a, 0);				/* stored */
	put16(a, 0x6000);			/* 12:00 */
	put16(a, (45u << 9) | (1u << 5) | 1u);	/* 2025-01-01 */
	put32(a, crc);
	put32(a, csize);
	put32(a, usize);
	put16(a, (unsigned)strlen(e->name));
	put16(a, 0);				/* extra */
	if (central) {
		put16(a, 0);			/* comment */
		put16(a, 0);			/* disk */
		put16(a, 0);			/* internal attributes */
		put32(a, 0);			/* external attributes */
		put32(a, offset);
	}
	g_byte_array_append(a, (const guint8 *)e->name, (guint)strlen(e->name));
}

/* Stored entry's data, encrypted when it has a password. */
static void
zip_data(GByteArray *a, const zip_entry *e, guint32 crc)
{
	gsize n;
	const guint8 *p = g_bytes_get_data(e->data, &n);
	zipcrypto z;

	if (!e->password) {
		g_byte_array_append(a, p, (guint)n);
		return;
	}
	zc_init(&z, e->password);
	for (int i = 0; i < 12; i++) {
		guint8 h = i == 11 ? (guint8)(crc >> 24) : (guint8)g_random_int();
		guint8 c = zc_encrypt(&z, h);
		g_byte_array_append(a, &c, 1);
	}
	for (gsize i = 0; i < n; i++) {
		guint8 c = zc_encrypt(&z, p[i]);
		g_byte_array_append(a, &c, 1);
	}
}

/* A zip of stored entries, made in memory. */
static GBytes *
make_zip(const zip_entry *entries, size_t count)
{
	GByteArray *a = g_byte_array_new();
	guint32 *offsets = g_new0(guint32, count), *crcs = g_new0(guint32, count);

	crc_init();
	for (size_t i = 0; i < count; i++) {
		gsize n;
		const guint8 *p = g_bytes_get_data(entries[i].data, &n);
		crcs[i] = crc32_of(p, n);
		offsets[i] = a->len;
		zip_header(a, false, &entries[i], crcs[i],
			   (guint32)n + (entries[i].password ? 12 : 0), 0);
		zip_data(a, &entries[i], crcs[i]);
	}
	guint32 cd = a->len;
	for (size_t i = 0; i < count; i++) {
		gsize n = g_bytes_get_size(entries[i].data);
		zip_header(a, true, &entries[i], crcs[i],
			   (guint32)n + (entries[i].password ? 12 : 0), offsets[i]);
	}
	put32(a, 0x06054b50u);
	put16(a, 0);
	put16(a, 0);
	put16(a, (unsigned)count);
	put16(a, (unsigned)count);
	put32(a, a->len - cd - 12);
	put32(a, cd);
	put16(a, 0);
	g_free(offsets);
	g_free(crcs);
	return g_byte_array_free_to_bytes(a);
}

static GBytes *
random_bytes(size_t n, guint32 seed)
{
	GRand *r = g_rand_new_with_seed(seed);
	guint8 *p = g_malloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (guint8)g_rand_int(r);
	g_rand_free(r);
	return g_bytes_new_take(p, n);
}

static GBytes *
text_bytes(size_t n)
{
	static const char line[] = "Dear all, the minutes of the meeting are "
				   "attached; see you next week. Regards\r\n";
	GString *s = g_string_sized_new(n + sizeof line);

	while (s->len < n)
		g_string_append(s, line);
	g_string_truncate(s, n);
	return g_string_free_to_bytes(s);
}

/* ---- fixtures and helpers ----------------------------------------------- */

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);
			rm_rf(p);
			g_free(p);
		}
		g_dir_close(d);
		g_rmdir(path);
	} else
		g_unlink(path);
}

static void
setup(void)
{
	tmpdir = g_dir_make_tmp("test_scan.XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
}

static void
teardown(void)
{
	rm_rf(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
}

/* A new directory in tmpdir holding copies of the named test DB files. */
static char *
db_with(const char *sub, const char *const *files)
{
	char *dir = g_build_filename(tmpdir, sub, NULL), *src = testdb();

	ck_assert_int_eq(g_mkdir(dir, 0700), 0);
	for (; files && *files; files++) {
		char *from = g_build_filename(src, *files, NULL);
		char *to = g_build_filename(dir, *files, NULL);
		char *text = NULL;
		gsize len = 0;
		ck_assert_msg(g_file_get_contents(from, &text, &len, NULL),
			      "cannot read %s (set MG_SRCDIR to the source tree)", from);
		ck_assert(g_file_set_contents(to, text, (gssize)len, NULL));
		g_free(text);
		g_free(from);
		g_free(to);
	}
	g_free(src);
	return dir;
}

static mg_config *
config_for(int scanner, const char *db)
{
	mg_config *c = mg_config_new_defaults();

	c->scanner = scanner;
	if (db) {
		g_free(c->clamav_database);
		c->clamav_database = g_strdup(db);
	}
	return c;
}

static mg_scanner *
load_ok(const mg_config *c)
{
	char *err = NULL;
	mg_scanner *s = mg_scanner_load(c, &err);

	ck_assert_msg(s != NULL, "load failed: %s", err ? err : "(no error)");
	ck_assert_ptr_null(err);
	return s;
}

/* Loads the whole test database. */
static mg_scanner *
load_testdb(void)
{
	char *db = testdb();
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	mg_scanner *s = load_ok(c);

	mg_config_unref(c);
	g_free(db);
	return s;
}

/* Scans b and checks the result and the start of the name. */
static void
expect(mg_scanner *s, GBytes *b, mg_scan_result want, const char *name_prefix)
{
	gsize n;
	const void *p = g_bytes_get_data(b, &n);
	char *name = NULL;
	mg_scan_result got = mg_scanner_scan(s, p, n, "part.bin", &name);

	ck_assert_msg(got == want, "result %d, wanted %d (name %s)", got, want,
		      name ? name : "NULL");
	if (name_prefix)
		ck_assert_msg(name && g_str_has_prefix(name, name_prefix),
			      "name '%s', wanted '%s...'", name ? name : "NULL",
			      name_prefix);
	else
		ck_assert_ptr_null(name);
	g_free(name);
}

static GBytes *
read_bytes(const char *path)
{
	char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return NULL;
	return g_bytes_new_take(text, len);
}

/* A BIFF8 record: type, length, data. */
static void
biff_record(GByteArray *a, guint16 type, const guint8 *data, guint16 len)
{
	guint8 head[4] = { (guint8)type, (guint8)(type >> 8), (guint8)len,
			   (guint8)(len >> 8) };

	g_byte_array_append(a, head, 4);
	if (len)
		g_byte_array_append(a, data, len);
}

/* An Excel workbook globals stream: BOF, one BOUNDSHEET of sheet type dt
 * (0 a worksheet, 1 an Excel 4.0 macro sheet), EOF; then extra, then
 * zeros up to 4096 bytes, so that the stream lives in regular sectors. */
static GByteArray *
workbook_stream(guint8 dt, const guint8 *extra, size_t extra_len)
{
	static const guint8 bof[16] = { 0x00, 0x06, 0x05, 0x00, 0xBB, 0x0D, 0xCC, 0x07,
					0, 0, 0, 0, 0x06, 0, 0, 0 };
	guint8 sheet[14] = { 0, 0, 0, 0, 0x00, dt, 6, 0, 'M', 'a', 'c', 'r', 'o', '1' };
	GByteArray *a = g_byte_array_new();

	biff_record(a, 0x0809, bof, sizeof bof);
	biff_record(a, 0x0085, sheet, sizeof sheet);
	biff_record(a, 0x000A, NULL, 0);
	if (extra)
		g_byte_array_append(a, extra, (guint)extra_len);
	g_byte_array_set_size(a, MAX(a->len, 4096));
	return a;
}

static void
put32le(guint8 *p, guint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (guint8)(v >> (8 * i));
}

/* A directory entry of a compound file (UTF-16LE name from ASCII). */
static void
cfb_entry(guint8 *e, const char *name, guint8 type, guint32 child,
	  guint32 start, guint32 size)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		e[2 * i] = (guint8)name[i];
	e[64] = (guint8)((n + 1) * 2);
	e[66] = type;
	e[67] = 1;				/* black */
	put32le(e + 68, 0xFFFFFFFF);		/* left */
	put32le(e + 72, 0xFFFFFFFF);		/* right */
	put32le(e + 76, child);
	put32le(e + 116, start);
	put32le(e + 120, size);
}

/* A valid compound file (version 3, 512-byte sectors) holding one stream
 * in regular sectors: header, FAT (sector 0), directory (sector 1), the
 * stream from sector 2. */
static GBytes *
make_cfb(const char *stream_name, const GByteArray *stream)
{
	static const guint8 sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	const guint32 end = 0xFFFFFFFE, freesect = 0xFFFFFFFF;
	guint32 sectors = (stream->len + 511) / 512;
	size_t len = 512 * (3 + (size_t)sectors);
	guint8 *p = g_malloc0(len), *fat = p + 512, *dir = p + 1024;

	g_assert(sectors + 2 <= 128);
	memcpy(p, sig, 8);
	p[0x18] = 0x3E;				/* minor version */
	p[0x1A] = 0x03;				/* major version 3 */
	p[0x1C] = 0xFE;				/* little-endian */
	p[0x1D] = 0xFF;
	p[0x1E] = 0x09;				/* 512-byte sectors */
	p[0x20] = 0x06;				/* 64-byte mini sectors */
	put32le(p + 0x2C, 1);			/* FAT sectors */
	put32le(p + 0x30, 1);			/* first directory sector */
	put32le(p + 0x38, 4096);		/* mini stream cutoff */
	put32le(p + 0x3C, end);			/* no mini FAT */
	put32le(p + 0x44, end);			/* no DIFAT sectors */
	put32le(p + 0x4C, 0);			/* the FAT is sector 0 */
	for (int i = 1; i < 109; i++)
		put32le(p + 0x4C + 4 * i, freesect);
	for (int i = 0; i < 128; i++)
		put32le(fat + 4 * i, freesect);
	put32le(fat, 0xFFFFFFFD);		/* sector 0: the FAT */
	put32le(fat + 4, end);			/* sector 1: the directory */
	for (guint32 i = 0; i < sectors; i++)
		put32le(fat + 4 * (2 + i), i + 1 < sectors ? 3 + i : end);
	cfb_entry(dir, "Root Entry", 5, 1, end, 0);
	cfb_entry(dir + 128, stream_name, 2, 0xFFFFFFFF, 2, stream->len);
	for (int i = 2; i < 4; i++) {
		put32le(dir + 128 * i + 68, 0xFFFFFFFF);
		put32le(dir + 128 * i + 72, 0xFFFFFFFF);
		put32le(dir + 128 * i + 76, 0xFFFFFFFF);
	}
	memcpy(p + 1536, stream->data, stream->len);
	return g_bytes_new_take(p, len);
}

/* A PE header with one section and no section table: libclamav calls it
 * broken. */
static GBytes *
make_broken_pe(void)
{
	guint8 *p = g_malloc0(1024);

	p[0] = 'M';
	p[1] = 'Z';
	p[0x3C] = 0x80;
	memcpy(p + 0x80, "PE\0\0\x4c\x01\x01\x00", 8);
	p[0x94] = 0xE0;				/* SizeOfOptionalHeader */
	p[0x96] = 0x02;				/* executable image */
	p[0x97] = 0x01;
	p[0x98] = 0x0B;				/* PE32 */
	p[0x99] = 0x01;
	return g_bytes_new_take(p, 1024);
}

/* ---- names -------------------------------------------------------------- */

START_TEST(test_classify_names)
{
	ck_assert_int_eq(mg_scan_classify_name("Heuristics.Encrypted.Zip"), MG_SCAN_SUSPICIOUS);
	ck_assert_int_eq(mg_scan_classify_name("Heuristics.OLE2.ContainsMacros"), MG_SCAN_SUSPICIOUS);
	ck_assert_int_eq(mg_scan_classify_name("Heuristics.Limits.Exceeded.MaxFileSize"),
			 MG_SCAN_SUSPICIOUS);
	ck_assert_int_eq(mg_scan_classify_name("Win.Test.EICAR_HDB-1"), MG_SCAN_VIRUS);
	ck_assert_int_eq(mg_scan_classify_name("Mugaika.Test.EICAR.NDB.UNOFFICIAL"), MG_SCAN_VIRUS);
	ck_assert_int_eq(mg_scan_classify_name("heuristics.lower.case"), MG_SCAN_VIRUS);
	ck_assert(mg_scan_is_limit("Heuristics.Limits.Exceeded.MaxScanTime"));
	ck_assert(mg_scan_is_limit("Heuristics.Limits.Exceeded.StreamMaxLength"));
	ck_assert(!mg_scan_is_limit("Heuristics.Encrypted.Zip"));
	ck_assert(!mg_scan_is_limit(NULL));
}
END_TEST

/* ---- loading ------------------------------------------------------------ */

START_TEST(test_none)
{
	mg_config *c = config_for(MG_SCANNER_NONE, "/nonexistent");
	char sentinel[] = "unchanged";
	char *err = sentinel;
	mg_scanner *s = mg_scanner_load(c, &err);

	ck_assert_ptr_null(s);
	ck_assert_ptr_null(err);
	char *name = NULL;
	ck_assert_int_eq(mg_scanner_scan(NULL, "x", 1, NULL, &name), MG_SCAN_ERROR);
	ck_assert_str_eq(name, "scanner not loaded");
	g_free(name);
	char *d = mg_scanner_describe(NULL);
	ck_assert_str_eq(d, "none");
	g_free(d);
	ck_assert(!mg_scanner_db_changed(NULL));
	mg_config_unref(c);
}
END_TEST

static void
expect_load_error(const char *db, const char *part)
{
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	char *err = NULL;
	mg_scanner *s = mg_scanner_load(c, &err);

	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(g_str_has_prefix(err, "clamav_database: "), "error: %s", err);
	ck_assert_msg(strstr(err, db) && strstr(err, part), "error: %s", err);
	ck_assert_msg(strstr(err, "scanner = none"), "error: %s", err);
	g_free(err);
	mg_config_unref(c);
}

START_TEST(test_load_missing_dir)
{
	char *db = g_build_filename(tmpdir, "no-such-dir", NULL);
	expect_load_error(db, "No such file or directory");
	g_free(db);
}
END_TEST

START_TEST(test_load_empty_dir)
{
	char *db = db_with("empty", NULL);
	char *readme = g_build_filename(db, "README", NULL);

	ck_assert(g_file_set_contents(readme, "not a signature file\n", -1, NULL));
	expect_load_error(db, "no signatures");
	g_free(readme);
	g_free(db);
}
END_TEST

START_TEST(test_load_not_a_dir)
{
	char *db = g_build_filename(tmpdir, "file", NULL);
	ck_assert(g_file_set_contents(db, "x", -1, NULL));
	expect_load_error(db, "not a directory");
	g_free(db);
}
END_TEST

START_TEST(test_load_malformed)
{
	char *db = db_with("bad", NULL);
	char *f = g_build_filename(db, "bad.hdb", NULL);

	ck_assert(g_file_set_contents(f, "this is not:a signature\n", -1, NULL));
	expect_load_error(db, "no signatures loaded");
	g_free(f);
	g_free(db);
}
END_TEST

static GPtrArray *logged;
static GMutex log_lock;

static void
capture_log(GLogLevelFlags level, const char *msg)
{
	g_mutex_lock(&log_lock);
	g_ptr_array_add(logged, g_strdup_printf("%s %s",
			level & G_LOG_LEVEL_WARNING ? "W" :
			level & G_LOG_LEVEL_INFO ? "I" : "D", msg));
	g_mutex_unlock(&log_lock);
}

static bool
logged_line(const char *a, const char *b)
{
	bool found = false;

	g_mutex_lock(&log_lock);
	for (guint i = 0; i < logged->len && !found; i++)
		found = strstr(logged->pdata[i], a) && (!b || strstr(logged->pdata[i], b));
	g_mutex_unlock(&log_lock);
	return found;
}

static void
log_setup(void)
{
	setup();
	logged = g_ptr_array_new_with_free_func(g_free);
	mg_scan_set_log(capture_log);
}

static void
log_teardown(void)
{
	mg_scan_set_log(NULL);
	g_ptr_array_free(logged, TRUE);
	logged = NULL;
	teardown();
}

START_TEST(test_testdb_versionless)
{
	char *err = NULL;
	ck_assert(mg_scan_global_init(&err));
	ck_assert_ptr_null(err);
	ck_assert(mg_scan_global_init(NULL));	/* idempotent */

	mg_scanner *s = load_testdb();
	ck_assert_uint_eq(mg_scanner_db_version(s), 0);
	ck_assert_int_eq(mg_scanner_db_time(s), 0);
	ck_assert(!mg_scanner_db_stale(s, time(NULL)));
	char *d = mg_scanner_describe(s);
	ck_assert_msg(strstr(d, "4 signatures") && strstr(d, "age unknown"), "%s", d);
	ck_assert(logged_line("I scanner loaded in", "age unknown"));
	ck_assert(!logged_line("W ", NULL));
	g_free(d);
	mg_scanner_unref(s);
}
END_TEST

/* ---- libclamav detections ----------------------------------------------- */

START_TEST(test_eicar_string)
{
	GBytes *e = eicar();
	gsize n;
	const guint8 *p = g_bytes_get_data(e, &n);
	char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, p, n);

	ck_assert_uint_eq(n, 68);
	ck_assert_str_eq(md5, EICAR_MD5);
	g_free(md5);
	g_bytes_unref(e);
}
END_TEST

START_TEST(test_eicar_by_hdb)
{
	const char *files[] = { "mugaika-test.hdb", NULL };
	char *db = db_with("hdb", files);
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	mg_scanner *s = load_ok(c);
	GBytes *e = eicar(), *padded = eicar_padded();

	expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.HDB");
	expect(s, padded, MG_SCAN_CLEAN, NULL);		/* a whole-file hash */
	g_bytes_unref(e);
	g_bytes_unref(padded);
	mg_scanner_unref(s);
	mg_config_unref(c);
	g_free(db);
}
END_TEST

START_TEST(test_eicar_by_ndb)
{
	const char *files[] = { "mugaika-test.ndb", NULL };
	char *db = db_with("ndb", files);
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	mg_scanner *s = load_ok(c);
	GBytes *e = eicar(), *padded = eicar_padded();

	expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	expect(s, padded, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	g_bytes_unref(e);
	g_bytes_unref(padded);
	mg_scanner_unref(s);
	mg_config_unref(c);
	g_free(db);
}
END_TEST

START_TEST(test_clean)
{
	mg_scanner *s = load_testdb();
	GBytes *text = text_bytes(100000), *rnd = random_bytes(300000, 7);
	GBytes *empty = g_bytes_new_static("", 0);
	zip_entry z[] = { { "notes.txt", text, NULL } };
	GBytes *zip = make_zip(z, 1);

	expect(s, text, MG_SCAN_CLEAN, NULL);
	expect(s, rnd, MG_SCAN_CLEAN, NULL);
	expect(s, empty, MG_SCAN_CLEAN, NULL);
	expect(s, zip, MG_SCAN_CLEAN, NULL);
	g_bytes_unref(text);
	g_bytes_unref(rnd);
	g_bytes_unref(empty);
	g_bytes_unref(zip);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_eicar_in_zip)
{
	mg_scanner *s = load_testdb();
	GBytes *e = eicar(), *t = text_bytes(5000);
	zip_entry z[] = { { "readme.txt", t, NULL }, { "eicar.com", e, NULL } };
	GBytes *zip = make_zip(z, 2);
	zip_entry outer[] = { { "inner.zip", zip, NULL } };
	GBytes *nested = make_zip(outer, 1);

	expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	expect(s, zip, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	expect(s, nested, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	g_bytes_unref(e);
	g_bytes_unref(t);
	g_bytes_unref(zip);
	g_bytes_unref(nested);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_password_zip)
{
	mg_scanner *s = load_testdb();
	GBytes *e = eicar(), *t = text_bytes(3000);
	zip_entry z1[] = { { "secret.txt", t, "pass-word" } };
	zip_entry z2[] = { { "eicar.com", e, "pass-word" } };
	GBytes *zip1 = make_zip(z1, 1), *zip2 = make_zip(z2, 1);

	expect(s, zip1, MG_SCAN_SUSPICIOUS, "Heuristics.Encrypted.Zip");
	expect(s, zip2, MG_SCAN_SUSPICIOUS, "Heuristics.Encrypted.Zip");
	g_bytes_unref(e);
	g_bytes_unref(t);
	g_bytes_unref(zip1);
	g_bytes_unref(zip2);
	mg_scanner_unref(s);
}
END_TEST

/* The same with a zip made by Info-ZIP's zip -P, when it is installed. */
START_TEST(test_password_zip_tool)
{
	char *zip = g_find_program_in_path("zip");
	if (!zip) {
		fprintf(stderr, "test_password_zip_tool: skipped: no zip program\n");
		return;
	}
	char *txt = g_build_filename(tmpdir, "a.txt", NULL);
	char *out = g_build_filename(tmpdir, "a.zip", NULL);
	char *argv[] = { zip, "-q", "-j", "-P", "pass-word", out, txt, NULL };
	int status = -1;

	ck_assert(g_file_set_contents(txt, "minutes of the meeting\n", -1, NULL));
	ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
			       NULL, NULL, &status, NULL));
	ck_assert_int_eq(status, 0);
	GBytes *b = read_bytes(out);
	mg_scanner *s = load_testdb();
	expect(s, b, MG_SCAN_SUSPICIOUS, "Heuristics.Encrypted.Zip");
	mg_scanner_unref(s);
	g_bytes_unref(b);
	g_free(txt);
	g_free(out);
	g_free(zip);
}
END_TEST

/* libclamav holds heuristic alerts back: a signature found anywhere in
 * the part wins, whichever member comes first. */
START_TEST(test_signature_beats_heuristic)
{
	mg_scanner *s = load_testdb();
	GBytes *e = eicar(), *t = text_bytes(3000);
	zip_entry z1[] = { { "secret.txt", t, "pw" }, { "eicar.com", e, NULL } };
	zip_entry z2[] = { { "eicar.com", e, NULL }, { "secret.txt", t, "pw" } };
	GBytes *zip1 = make_zip(z1, 2), *zip2 = make_zip(z2, 2);

	expect(s, zip1, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	expect(s, zip2, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	g_bytes_unref(e);
	g_bytes_unref(t);
	g_bytes_unref(zip1);
	g_bytes_unref(zip2);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_limits)
{
	char *db = testdb();
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	c->scan_max_filesize = 4096;
	mg_scanner *s = load_ok(c);
	GBytes *big = random_bytes(10000, 3), *small = random_bytes(1000, 4);
	zip_entry z[] = { { "big.bin", big, NULL } };
	GBytes *zip = make_zip(z, 1);
	gsize n;
	const void *p = g_bytes_get_data(big, &n);
	char *name = NULL;

	expect(s, small, MG_SCAN_CLEAN, NULL);
	ck_assert_int_eq(mg_scanner_scan(s, p, n, NULL, &name), MG_SCAN_SUSPICIOUS);
	ck_assert_str_eq(name, "Heuristics.Limits.Exceeded.MaxFileSize");
	ck_assert(mg_scan_is_limit(name));
	expect(s, zip, MG_SCAN_SUSPICIOUS, "Heuristics.Limits.Exceeded.");
	g_free(name);
	g_bytes_unref(big);
	g_bytes_unref(small);
	g_bytes_unref(zip);
	mg_scanner_unref(s);
	mg_config_unref(c);
	g_free(db);
}
END_TEST

START_TEST(test_recursion_limit)
{
	char *db = testdb();
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	c->scan_max_recursion = 2;
	mg_scanner *s = load_ok(c);
	GBytes *t = text_bytes(100);
	zip_entry z[] = { { "a.txt", t, NULL } };
	GBytes *zip = make_zip(z, 1);

	for (int i = 0; i < 4; i++) {
		zip_entry outer[] = { { "nested.zip", zip, NULL } };
		GBytes *next = make_zip(outer, 1);
		g_bytes_unref(zip);
		zip = next;
	}
	expect(s, zip, MG_SCAN_SUSPICIOUS, "Heuristics.Limits.Exceeded.MaxRecursion");
	g_bytes_unref(t);
	g_bytes_unref(zip);
	mg_scanner_unref(s);
	mg_config_unref(c);
	g_free(db);
}
END_TEST

/* clam.exe of Debian's clamav-testfiles, alone and in the package's own
 * archives and documents. */
START_TEST(test_clamav_testfiles)
{
	const char *files[] = { "clam.exe", "clam.zip", "clam.7z", "clam.tar.gz",
				"clam.cab", "clam.ole.doc" };

	if (!g_file_test(TESTFILES "/clam.exe", G_FILE_TEST_EXISTS)) {
		fprintf(stderr, "test_clamav_testfiles: skipped: %s not installed "
			"(apt-get install clamav-testfiles)\n", TESTFILES);
		return;
	}
	mg_scanner *s = load_testdb();
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *path = g_build_filename(TESTFILES, files[i], NULL);
		GBytes *b = read_bytes(path);
		ck_assert_msg(b, "cannot read %s", path);
		expect(s, b, MG_SCAN_VIRUS, "Mugaika.Test.ClamExe.HDB");
		g_bytes_unref(b);
		g_free(path);
	}
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_heuristic_macros)
{
	mg_scanner *s = load_testdb();
	GByteArray *macro = workbook_stream(1, NULL, 0), *plain = workbook_stream(0, NULL, 0);
	GBytes *xls = make_cfb("Workbook", macro), *clean = make_cfb("Workbook", plain);
	GBytes *e = eicar();
	gsize n;
	const guint8 *ep = g_bytes_get_data(e, &n);
	GByteArray *both = workbook_stream(1, ep, n);
	GBytes *virus = make_cfb("Workbook", both);

	/* an Excel 4.0 macro sheet: suspicious, not a virus */
	expect(s, xls, MG_SCAN_SUSPICIOUS, "Heuristics.OLE2.ContainsMacros");
	/* the same workbook with a worksheet instead: clean */
	expect(s, clean, MG_SCAN_CLEAN, NULL);
	/* a signature in the macro workbook wins */
	expect(s, virus, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	g_byte_array_free(macro, TRUE);
	g_byte_array_free(plain, TRUE);
	g_byte_array_free(both, TRUE);
	g_bytes_unref(xls);
	g_bytes_unref(clean);
	g_bytes_unref(virus);
	g_bytes_unref(e);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_heuristic_broken_executable)
{
	mg_scanner *s = load_testdb();
	GBytes *pe = make_broken_pe();

	expect(s, pe, MG_SCAN_SUSPICIOUS, "Heuristics.Broken.Executable");
	g_bytes_unref(pe);

	/* clam.exe with a section count of 0: no longer its .hdb signature,
	 * and broken */
	GBytes *clam = read_bytes(TESTFILES "/clam.exe");
	if (!clam) {
		fprintf(stderr, "test_heuristic_broken_executable: clam.exe part "
			"skipped: %s not installed\n", TESTFILES);
		mg_scanner_unref(s);
		return;
	}
	gsize n;
	const void *data = g_bytes_get_data(clam, &n);
	guint8 *p = g_memdup2(data, n);
	guint32 pe_at = p[0x3C] | (guint32)p[0x3D] << 8;
	ck_assert_uint_lt(pe_at + 8, n);
	ck_assert(memcmp(p + pe_at, "PE\0\0", 4) == 0);
	expect(s, clam, MG_SCAN_VIRUS, "Mugaika.Test.ClamExe.HDB");
	p[pe_at + 6] = 0;
	p[pe_at + 7] = 0;
	GBytes *broken = g_bytes_new_take(p, n);
	expect(s, broken, MG_SCAN_SUSPICIOUS, "Heuristics.Broken.Executable");
	g_bytes_unref(broken);
	g_bytes_unref(clam);
	mg_scanner_unref(s);
}
END_TEST

/* Entries of dir, "." and ".." aside. */
static unsigned
dir_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

START_TEST(test_scan_tmpdir)
{
	char *db = testdb(), *err = NULL;
	char *scantmp = g_build_filename(tmpdir, "scantmp", NULL);
	char *file = g_build_filename(tmpdir, "file", NULL);
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);

	ck_assert_str_eq(c->scan_tmpdir, "/dev/shm");	/* the default */
	g_free(c->scan_tmpdir);
	c->scan_tmpdir = g_strdup(scantmp);
	ck_assert_ptr_null(mg_scanner_load(c, &err));
	ck_assert_msg(g_str_has_prefix(err, "scan_tmpdir: ") && strstr(err, scantmp),
		      "error: %s", err);
	g_clear_pointer(&err, g_free);
	ck_assert(g_file_set_contents(file, "x", -1, NULL));
	g_free(c->scan_tmpdir);
	c->scan_tmpdir = g_strdup(file);
	ck_assert_ptr_null(mg_scanner_load(c, &err));
	ck_assert_msg(g_str_has_prefix(err, "scan_tmpdir: ") && strstr(err, "not a directory"),
		      "error: %s", err);
	g_clear_pointer(&err, g_free);

	/* the scans make and remove their directories there */
	ck_assert_int_eq(g_mkdir(scantmp, 0700), 0);
	g_free(c->scan_tmpdir);
	c->scan_tmpdir = g_strdup(scantmp);
	mg_scanner *s = load_ok(c);
	GBytes *t = text_bytes(5000), *e = eicar();
	zip_entry z[] = { { "a.txt", t, NULL }, { "eicar.com", e, NULL } };
	GBytes *zip = make_zip(z, 2);
	expect(s, t, MG_SCAN_CLEAN, NULL);
	expect(s, zip, MG_SCAN_VIRUS, "Mugaika.Test.EICAR");
	ck_assert_uint_eq(dir_entries(scantmp), 0);

	/* gone after loading: a scan error that names the setting (new data:
	 * libclamav's cache of clean files answers before it needs the
	 * directory) */
	ck_assert_int_eq(g_rmdir(scantmp), 0);
	GBytes *t2 = text_bytes(6000);
	gsize n;
	const void *p = g_bytes_get_data(t2, &n);
	char *name = NULL;
	ck_assert_int_eq(mg_scanner_scan(s, p, n, NULL, &name), MG_SCAN_ERROR);
	ck_assert_msg(name && strstr(name, "scan_tmpdir"), "error: %s", name);
	g_free(name);
	g_bytes_unref(zip);
	g_bytes_unref(t);
	g_bytes_unref(t2);
	g_bytes_unref(e);
	mg_scanner_unref(s);
	mg_config_unref(c);
	g_free(file);
	g_free(scantmp);
	g_free(db);
}
END_TEST

START_TEST(test_cache_off)
{
	GBytes *e = eicar(), *t = text_bytes(1000);

	mg_scan_set_cache(false);
	mg_scanner *s = load_testdb();
	mg_scan_set_cache(true);
	for (int i = 0; i < 2; i++) {		/* the second time from no cache */
		expect(s, t, MG_SCAN_CLEAN, NULL);
		expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR");
	}
	mg_scanner_unref(s);
	g_bytes_unref(e);
	g_bytes_unref(t);
}
END_TEST

START_TEST(test_name_hint_not_trusted)
{
	mg_scanner *s = load_testdb();
	GBytes *e = eicar();
	gsize n;
	const void *p = g_bytes_get_data(e, &n);
	char *name = NULL;

	ck_assert_int_eq(mg_scanner_scan(s, p, n, "../../etc/passwd\n\x1b[31m",
					 &name), MG_SCAN_VIRUS);
	g_free(name);
	g_bytes_unref(e);
	mg_scanner_unref(s);
}
END_TEST

/* ---- reload ------------------------------------------------------------- */

START_TEST(test_db_changed)
{
	const char *files[] = { "mugaika-test.ndb", NULL };
	char *db = db_with("reload", files);
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	mg_scanner *s1 = load_ok(c);
	GBytes *e = eicar();
	char *hdb = g_build_filename(db, "mugaika-test.hdb", NULL);
	char *src = g_build_filename(srcdir(), "testdata", "clamav", "mugaika-test.hdb", NULL);
	char *text = NULL;

	ck_assert(!mg_scanner_db_changed(s1));
	ck_assert(g_file_get_contents(src, &text, NULL, NULL));
	ck_assert(g_file_set_contents(hdb, text, -1, NULL));
	ck_assert(mg_scanner_db_changed(s1));
	ck_assert(mg_scanner_db_changed(s1));		/* until replaced */

	mg_scanner *s2 = load_ok(c);
	char *d = mg_scanner_describe(s2);
	ck_assert(!mg_scanner_db_changed(s2));
	ck_assert_msg(strstr(d, "4 signatures"), "%s", d);
	g_free(d);
	expect(s1, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	mg_scanner_unref(s1);
	mg_scanner_unref(s2);
	g_bytes_unref(e);
	g_free(text);
	g_free(src);
	g_free(hdb);
	mg_config_unref(c);
	g_free(db);
}
END_TEST

START_TEST(test_failed_reload_keeps_current)
{
	char *db = testdb();
	mg_config *good = config_for(MG_SCANNER_CLAMAV, db);
	char *missing = g_build_filename(tmpdir, "gone", NULL);
	mg_config *bad = config_for(MG_SCANNER_CLAMAV, missing);
	char *err = NULL;
	GBytes *e = eicar();

	mg_scanner_set_current(load_ok(good));
	mg_scanner *next = mg_scanner_load(bad, &err);
	ck_assert_ptr_null(next);
	ck_assert_ptr_nonnull(err);
	mg_scanner *s = mg_scanner_current();
	ck_assert_ptr_nonnull(s);
	expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	mg_scanner_unref(s);
	mg_scanner_set_current(NULL);
	ck_assert_ptr_null(mg_scanner_current());
	g_bytes_unref(e);
	g_free(err);
	mg_config_unref(good);
	mg_config_unref(bad);
	g_free(missing);
	g_free(db);
}
END_TEST

/* A message holds the scanner it started with: after a swap and the
 * slot's unref the old engine still scans, until the last reference. */
START_TEST(test_refcount_swap)
{
	const char *hdb_only[] = { "mugaika-test.hdb", NULL };
	char *db1 = db_with("one", hdb_only), *db2 = testdb();
	mg_config *c1 = config_for(MG_SCANNER_CLAMAV, db1);
	mg_config *c2 = config_for(MG_SCANNER_CLAMAV, db2);
	GBytes *padded = eicar_padded();

	mg_scanner_set_current(load_ok(c1));
	mg_scanner *in_flight = mg_scanner_current();
	mg_scanner_set_current(load_ok(c2));		/* drops the slot's ref to one */
	mg_scanner *later = mg_scanner_current();

	ck_assert_ptr_ne(in_flight, later);
	expect(in_flight, padded, MG_SCAN_CLEAN, NULL);	/* the old signatures */
	expect(later, padded, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	mg_scanner *extra = mg_scanner_ref(in_flight);
	mg_scanner_unref(in_flight);
	expect(extra, padded, MG_SCAN_CLEAN, NULL);	/* still alive */
	mg_scanner_unref(extra);			/* freed here */
	mg_scanner_unref(later);
	mg_scanner_set_current(NULL);
	g_bytes_unref(padded);
	mg_config_unref(c1);
	mg_config_unref(c2);
	g_free(db1);
	g_free(db2);
}
END_TEST

typedef struct {
	mg_scanner *s;
	GBytes *virus, *clean;
	int errors;
} thread_job;

static gpointer
scan_thread(gpointer p)
{
	thread_job *j = p;

	for (int i = 0; i < 50; i++) {
		GBytes *b = i % 2 ? j->virus : j->clean;
		gsize n;
		const void *d = g_bytes_get_data(b, &n);
		char *name = NULL;
		mg_scan_result r = mg_scanner_scan(j->s, d, n, NULL, &name);
		if (r != (i % 2 ? MG_SCAN_VIRUS : MG_SCAN_CLEAN))
			j->errors++;
		g_free(name);
	}
	return NULL;
}

START_TEST(test_threads_share_engine)
{
	mg_scanner *s = load_testdb();
	GBytes *e = eicar(), *t = text_bytes(20000);
	zip_entry z[] = { { "a.txt", t, NULL }, { "e.com", e, NULL } };
	thread_job jobs[4];
	GThread *threads[4];
	GBytes *zip = make_zip(z, 2);

	for (int i = 0; i < 4; i++) {
		jobs[i] = (thread_job){ mg_scanner_ref(s), zip, t, 0 };
		threads[i] = g_thread_new("scan", scan_thread, &jobs[i]);
	}
	mg_scanner_unref(s);
	for (int i = 0; i < 4; i++) {
		g_thread_join(threads[i]);
		ck_assert_int_eq(jobs[i].errors, 0);
		mg_scanner_unref(jobs[i].s);
	}
	g_bytes_unref(e);
	g_bytes_unref(t);
	g_bytes_unref(zip);
}
END_TEST

/* ---- a fake clamd ------------------------------------------------------- */

typedef enum { FAKE_REPLY, FAKE_SILENT, FAKE_EARLY_LIMIT } fake_mode;

typedef struct {
	int listen_fd;
	char *spec;		/* clamd_socket for it */
	GThread *thread;
	GMutex lock;		/* guards the fields below */
	fake_mode mode;
	char *reply;		/* INSTREAM reply */
	char *version;		/* VERSION reply */
	GByteArray *received;	/* data of the last INSTREAM */
	char *command;		/* the last command */
	int chunks;		/* chunks of the last INSTREAM */
} fake_clamd;

static fake_clamd *fake;
static GPid real_clamd;		/* a started clamd, stopped by the teardown */

static bool
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static char *
read_command(int fd)
{
	GString *s = g_string_new(NULL);
	char ch;

	while (s->len < 64 && read_full(fd, &ch, 1) && ch)
		g_string_append_c(s, ch);
	return g_string_free(s, FALSE);
}

static void
write_reply(int fd, const char *text)
{
	if (write(fd, text, strlen(text) + 1) < 0)
		fprintf(stderr, "fake clamd: write: %s\n", g_strerror(errno));
}

/* Reads INSTREAM chunks into received; false when the client stops. */
static bool
read_stream(int fd)
{
	for (;;) {
		guint32 be;
		if (!read_full(fd, &be, 4))
			return false;
		guint32 n = ntohl(be);
		if (n == 0)
			return true;
		guint8 *buf = g_malloc(n);
		bool ok = read_full(fd, buf, n);
		g_mutex_lock(&fake->lock);
		if (ok) {
			g_byte_array_append(fake->received, buf, n);
			fake->chunks++;
		}
		g_mutex_unlock(&fake->lock);
		g_free(buf);
		if (!ok)
			return false;
	}
}

static void
serve_instream(int fd)
{
	g_mutex_lock(&fake->lock);
	fake_mode mode = fake->mode;
	char *reply = g_strdup(fake->reply);
	g_byte_array_set_size(fake->received, 0);
	fake->chunks = 0;
	g_mutex_unlock(&fake->lock);

	if (mode == FAKE_EARLY_LIMIT)
		write_reply(fd, "INSTREAM size limit exceeded. ERROR");
	else if (read_stream(fd) && mode == FAKE_REPLY)
		write_reply(fd, reply);
	else if (mode == FAKE_SILENT) {
		char ch;
		while (read(fd, &ch, 1) > 0)	/* until the client gives up */
			;
	}
	g_free(reply);
}

static gpointer
fake_main(gpointer unused)
{
	(void)unused;
	for (;;) {
		int fd = accept(fake->listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;	/* shut down */
		char *cmd = read_command(fd);
		g_mutex_lock(&fake->lock);
		g_free(fake->command);
		fake->command = g_strdup(cmd);
		char *version = g_strdup(fake->version);
		g_mutex_unlock(&fake->lock);
		if (strcmp(cmd, "zVERSION") == 0)
			write_reply(fd, version);
		else if (strcmp(cmd, "zINSTREAM") == 0)
			serve_instream(fd);
		else
			write_reply(fd, "UNKNOWN COMMAND");
		g_free(version);
		g_free(cmd);
		close(fd);
	}
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

static int
listen_tcp(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
fake_start(bool tcp)
{
	fake = g_new0(fake_clamd, 1);
	g_mutex_init(&fake->lock);
	fake->received = g_byte_array_new();
	fake->reply = g_strdup("stream: OK");
	fake->version = g_strdup("ClamAV 1.4.6/27500/Sun Jan  5 08:10:00 2025");
	if (tcp) {
		int port = 0;
		fake->listen_fd = listen_tcp(&port);
		fake->spec = g_strdup_printf("inet:%d@127.0.0.1", port);
	} else {
		char *path = g_build_filename(tmpdir, "clamd.sock", NULL);
		fake->listen_fd = listen_unix(path);
		fake->spec = g_strdup_printf("unix:%s", path);
		g_free(path);
	}
	fake->thread = g_thread_new("fake-clamd", fake_main, NULL);
}

static void
fake_set(fake_mode mode, const char *reply)
{
	g_mutex_lock(&fake->lock);
	fake->mode = mode;
	g_free(fake->reply);
	fake->reply = g_strdup(reply);
	g_mutex_unlock(&fake->lock);
}

static void
fake_stop(void)
{
	if (!fake)
		return;
	shutdown(fake->listen_fd, SHUT_RDWR);
	g_thread_join(fake->thread);
	close(fake->listen_fd);
	g_byte_array_free(fake->received, TRUE);
	g_free(fake->reply);
	g_free(fake->version);
	g_free(fake->command);
	g_free(fake->spec);
	g_mutex_clear(&fake->lock);
	g_clear_pointer(&fake, g_free);
}

static void
clamd_setup(void)
{
	log_setup();
	fake_start(false);
}

static void
clamd_teardown(void)
{
	if (real_clamd) {
		kill(real_clamd, SIGTERM);
		waitpid(real_clamd, NULL, 0);
		g_spawn_close_pid(real_clamd);
		real_clamd = 0;
	}
	fake_stop();
	log_teardown();
}

static mg_scanner *
load_clamd(const char *spec, unsigned timeout)
{
	mg_config *c = config_for(MG_SCANNER_CLAMD, NULL);
	g_free(c->clamd_socket);
	c->clamd_socket = g_strdup(spec);
	c->scan_max_time = timeout;
	mg_scanner *s = load_ok(c);
	mg_config_unref(c);
	return s;
}

START_TEST(test_clamd_replies)
{
	mg_scanner *s = load_clamd(fake->spec, 10);
	GBytes *t = text_bytes(1000);

	ck_assert_str_eq(fake->command, "zVERSION");
	fake_set(FAKE_REPLY, "stream: OK");
	expect(s, t, MG_SCAN_CLEAN, NULL);
	ck_assert_str_eq(fake->command, "zINSTREAM");
	fake_set(FAKE_REPLY, "stream: Win.Test.EICAR_HDB-1 FOUND");
	expect(s, t, MG_SCAN_VIRUS, "Win.Test.EICAR_HDB-1");
	fake_set(FAKE_REPLY, "stream: Heuristics.Encrypted.Zip FOUND");
	expect(s, t, MG_SCAN_SUSPICIOUS, "Heuristics.Encrypted.Zip");
	fake_set(FAKE_REPLY, "stream: Can't allocate memory ERROR");
	expect(s, t, MG_SCAN_ERROR, "clamd unix:");
	fake_set(FAKE_REPLY, "something else");
	expect(s, t, MG_SCAN_ERROR, "clamd unix:");
	fake_set(FAKE_REPLY, "");
	expect(s, t, MG_SCAN_ERROR, "clamd unix:");
	g_bytes_unref(t);
	mg_scanner_unref(s);
}
END_TEST

/* The data arrives whole, in chunks, also when empty. */
START_TEST(test_clamd_chunks)
{
	mg_scanner *s = load_clamd(fake->spec, 10);
	GBytes *b = random_bytes(200000, 11), *empty = g_bytes_new_static("", 0);

	expect(s, b, MG_SCAN_CLEAN, NULL);
	g_mutex_lock(&fake->lock);
	ck_assert_uint_eq(fake->received->len, 200000);
	ck_assert(memcmp(fake->received->data, g_bytes_get_data(b, NULL), 200000) == 0);
	ck_assert_int_ge(fake->chunks, 2);
	g_mutex_unlock(&fake->lock);
	expect(s, empty, MG_SCAN_CLEAN, NULL);
	ck_assert_uint_eq(fake->received->len, 0);
	g_bytes_unref(b);
	g_bytes_unref(empty);
	mg_scanner_unref(s);
}
END_TEST

/* clamd answers at StreamMaxLength and closes: a limit, not an error. */
START_TEST(test_clamd_stream_limit)
{
	mg_scanner *s = load_clamd(fake->spec, 10);
	GBytes *b = random_bytes(4 * 1024 * 1024, 5);
	gsize n;
	const void *p = g_bytes_get_data(b, &n);
	char *name = NULL;

	fake_set(FAKE_EARLY_LIMIT, NULL);
	ck_assert_int_eq(mg_scanner_scan(s, p, n, NULL, &name), MG_SCAN_SUSPICIOUS);
	ck_assert_str_eq(name, "Heuristics.Limits.Exceeded.StreamMaxLength");
	ck_assert(mg_scan_is_limit(name));
	g_free(name);
	g_bytes_unref(b);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_clamd_timeout)
{
	mg_scanner *s = load_clamd(fake->spec, 1);
	GBytes *t = text_bytes(100);
	gint64 start = g_get_monotonic_time();
	gsize n;
	const void *p = g_bytes_get_data(t, &n);
	char *name = NULL;

	fake_set(FAKE_SILENT, NULL);
	ck_assert_int_eq(mg_scanner_scan(s, p, n, NULL, &name), MG_SCAN_ERROR);
	gint64 ms = (g_get_monotonic_time() - start) / 1000;
	ck_assert_msg(strstr(name, "no answer within 1 s"), "%s", name);
	ck_assert_msg(ms >= 900 && ms < 5000, "took %lld ms", (long long)ms);
	g_free(name);
	g_bytes_unref(t);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_clamd_version_and_age)
{
	mg_scanner *s = load_clamd(fake->spec, 10);
	char *d = mg_scanner_describe(s);

	ck_assert_uint_eq(mg_scanner_db_version(s), 27500);
	ck_assert_int_gt(mg_scanner_db_time(s), 1735000000);	/* 2024-12 */
	ck_assert_int_lt(mg_scanner_db_time(s), 1736200000);
	ck_assert(mg_scanner_db_stale(s, mg_scanner_db_time(s) + 4 * 86400));
	ck_assert(!mg_scanner_db_stale(s, mg_scanner_db_time(s) + 2 * 86400));
	ck_assert_msg(strstr(d, "ClamAV 1.4.6/27500/"), "%s", d);
	ck_assert(logged_line("W signatures in", "days old (clamav_max_age = 3)"));
	ck_assert(!mg_scanner_db_changed(s));
	g_free(d);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_clamd_refused)
{
	char *path = g_build_filename(tmpdir, "nobody.sock", NULL);
	char *spec = g_strdup_printf("unix:%s", path);
	mg_scanner *s = load_clamd(spec, 5);		/* loads, with a warning */
	GBytes *t = text_bytes(100);
	int port = 0, fd = listen_tcp(&port);

	ck_assert(logged_line("W clamd_socket: clamd unix:", "temporary failure"));
	expect(s, t, MG_SCAN_ERROR, "clamd unix:");
	mg_scanner_unref(s);

	close(fd);				/* nobody listens on port now */
	char *tcp = g_strdup_printf("inet:%d@127.0.0.1", port);
	s = load_clamd(tcp, 5);
	char *name = NULL;
	ck_assert_int_eq(mg_scanner_scan(s, "x", 1, NULL, &name), MG_SCAN_ERROR);
	ck_assert_msg(strstr(name, "connect: Connection refused"), "%s", name);
	g_free(name);
	mg_scanner_unref(s);
	g_free(tcp);
	g_bytes_unref(t);
	g_free(spec);
	g_free(path);
}
END_TEST

START_TEST(test_clamd_tcp)
{
	fake_stop();
	fake_start(true);
	mg_scanner *s = load_clamd(fake->spec, 10);
	GBytes *b = random_bytes(150000, 9);

	fake_set(FAKE_REPLY, "stream: Mugaika.Test FOUND");
	expect(s, b, MG_SCAN_VIRUS, "Mugaika.Test");
	ck_assert_uint_eq(fake->received->len, 150000);
	g_bytes_unref(b);
	mg_scanner_unref(s);
}
END_TEST

START_TEST(test_clamd_bad_spec)
{
	mg_config *c = config_for(MG_SCANNER_CLAMD, NULL);
	char *err = NULL;

	g_free(c->clamd_socket);
	c->clamd_socket = g_strdup("tcp:localhost");
	ck_assert_ptr_null(mg_scanner_load(c, &err));
	ck_assert_msg(err && g_str_has_prefix(err, "clamd_socket: "), "%s", err);
	g_free(err);
	mg_config_unref(c);
}
END_TEST

/* ---- the real clamd, when installed ------------------------------------- */

static char *
clamd_program(void)
{
	char *p = g_find_program_in_path("clamd");
	if (!p && g_file_test("/usr/sbin/clamd", G_FILE_TEST_IS_EXECUTABLE))
		p = g_strdup("/usr/sbin/clamd");
	return p;
}

/* True once something listens on the unix socket path (clamd creates
 * the file a moment before it listens). */
static bool
accepts(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	g_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return ok;
}

/* In the child before exec: clamd ends with the test process, even one
 * that fails before its teardown. */
static void
die_with_parent(gpointer unused)
{
	(void)unused;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GPid
start_clamd(const char *prog, const char *sock)
{
	char *db = testdb();
	char *conf = g_build_filename(tmpdir, "clamd.conf", NULL);
	char *text = g_strdup_printf(
		"LocalSocket %s\nDatabaseDirectory %s\nForeground yes\n"
		"LogFile %s/clamd.log\nTemporaryDirectory %s\n"
		"AlertEncrypted yes\nAlertOLE2Macros yes\n"
		"AlertBrokenExecutables yes\nAlertExceedsMax yes\n",
		sock, db, tmpdir, tmpdir);
	char *argv[] = { (char *)prog, "-c", conf, NULL };
	GPid pid = 0;
	GError *error = NULL;

	ck_assert(g_file_set_contents(conf, text, -1, NULL));
	ck_assert_msg(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
				    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
				    die_with_parent, NULL, &pid, &error),
		      "cannot start clamd: %s", error ? error->message : "?");
	for (int i = 0; i < 200 && !accepts(sock); i++)
		g_usleep(50000);
	g_free(text);
	g_free(conf);
	g_free(db);
	return pid;
}

START_TEST(test_real_clamd)
{
	char *prog = clamd_program();
	if (!prog) {
		fprintf(stderr, "test_real_clamd: skipped: clamd not installed "
			"(apt-get install clamav-daemon)\n");
		return;
	}
	char *sock = g_build_filename(tmpdir, "real.sock", NULL);
	real_clamd = start_clamd(prog, sock);
	ck_assert_msg(accepts(sock), "clamd did not start (see its log)");
	char *spec = g_strdup_printf("unix:%s", sock);
	mg_scanner *s = load_clamd(spec, 30);
	GBytes *e = eicar(), *t = text_bytes(20000), *pad = eicar_padded();
	zip_entry z[] = { { "secret.txt", t, "pw" } };
	GBytes *zip = make_zip(z, 1);

	expect(s, e, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.");
	expect(s, pad, MG_SCAN_VIRUS, "Mugaika.Test.EICAR.NDB");
	expect(s, t, MG_SCAN_CLEAN, NULL);
	expect(s, zip, MG_SCAN_SUSPICIOUS, "Heuristics.Encrypted.Zip");
	ck_assert_uint_eq(mg_scanner_db_version(s), 0);
	mg_scanner_unref(s);
	g_bytes_unref(e);
	g_bytes_unref(t);
	g_bytes_unref(pad);
	g_bytes_unref(zip);
	g_free(spec);
	g_free(sock);
	g_free(prog);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static Suite *
scan_suite(void)
{
	Suite *s = suite_create("scan");
	TCase *load = tcase_create("load");
	TCase *detect = tcase_create("detect");
	TCase *reload = tcase_create("reload");
	TCase *clamd = tcase_create("clamd");

	tcase_add_checked_fixture(load, log_setup, log_teardown);
	tcase_add_test(load, test_classify_names);
	tcase_add_test(load, test_none);
	tcase_add_test(load, test_load_missing_dir);
	tcase_add_test(load, test_load_empty_dir);
	tcase_add_test(load, test_load_not_a_dir);
	tcase_add_test(load, test_load_malformed);
	tcase_add_test(load, test_testdb_versionless);
	suite_add_tcase(s, load);

	tcase_add_checked_fixture(detect, log_setup, log_teardown);
	tcase_add_test(detect, test_eicar_string);
	tcase_add_test(detect, test_eicar_by_hdb);
	tcase_add_test(detect, test_eicar_by_ndb);
	tcase_add_test(detect, test_clean);
	tcase_add_test(detect, test_eicar_in_zip);
	tcase_add_test(detect, test_password_zip);
	tcase_add_test(detect, test_password_zip_tool);
	tcase_add_test(detect, test_signature_beats_heuristic);
	tcase_add_test(detect, test_limits);
	tcase_add_test(detect, test_recursion_limit);
	tcase_add_test(detect, test_clamav_testfiles);
	tcase_add_test(detect, test_name_hint_not_trusted);
	tcase_add_test(detect, test_heuristic_macros);
	tcase_add_test(detect, test_heuristic_broken_executable);
	tcase_add_test(detect, test_scan_tmpdir);
	tcase_add_test(detect, test_cache_off);
	suite_add_tcase(s, detect);

	tcase_add_checked_fixture(reload, log_setup, log_teardown);
	tcase_add_test(reload, test_db_changed);
	tcase_add_test(reload, test_failed_reload_keeps_current);
	tcase_add_test(reload, test_refcount_swap);
	tcase_add_test(reload, test_threads_share_engine);
	suite_add_tcase(s, reload);

	tcase_add_checked_fixture(clamd, clamd_setup, clamd_teardown);
	tcase_set_timeout(clamd, 60);
	tcase_add_test(clamd, test_clamd_replies);
	tcase_add_test(clamd, test_clamd_chunks);
	tcase_add_test(clamd, test_clamd_stream_limit);
	tcase_add_test(clamd, test_clamd_timeout);
	tcase_add_test(clamd, test_clamd_version_and_age);
	tcase_add_test(clamd, test_clamd_refused);
	tcase_add_test(clamd, test_clamd_tcp);
	tcase_add_test(clamd, test_clamd_bad_spec);
	tcase_add_test(clamd, test_real_clamd);
	suite_add_tcase(s, clamd);
	return s;
}

/* ---- --bench ------------------------------------------------------------ */

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"). */
static long
proc_kb(const char *field)
{
	char *text = NULL;
	long kb = -1;

	if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
		return -1;
	char **lines = g_strsplit(text, "\n", -1);
	for (char **p = lines; *p; p++)
		if (g_str_has_prefix(*p, field) && (*p)[strlen(field)] == ':')
			kb = atol(*p + strlen(field) + 1);
	g_strfreev(lines);
	g_free(text);
	return kb;
}

/* ms per MB (10^6 bytes) of scanning b again and again for seconds; each
 * round changes 8 bytes in the middle, so that libclamav's cache of clean
 * files (by MD5) never answers instead of the scan. */
static void
bench_scan(mg_scanner *s, const char *label, GBytes *b, double seconds)
{
	gsize n;
	const void *data = g_bytes_get_data(b, &n);
	guint8 *p = g_memdup2(data, n);
	gint64 start = g_get_monotonic_time(), now;
	long rounds = 0;
	char *first = NULL;

	do {
		char *name = NULL;
		memcpy(p + n / 2, &rounds, sizeof rounds);
		mg_scan_result r = mg_scanner_scan(s, p, n, NULL, &name);
		if (!rounds)
			first = g_strdup(r == MG_SCAN_CLEAN ? "clean" : name);
		g_free(name);
		rounds++;
		now = g_get_monotonic_time();
	} while (now - start < (gint64)(seconds * G_USEC_PER_SEC));
	printf("scan %-14s %8.2f ms/MB %9.1f us/scan  (%zu bytes, %ld rounds, result %s)\n",
	       label, (double)(now - start) / 1000.0 / rounds / ((double)n / 1e6),
	       (double)(now - start) / rounds, n, rounds, first);
	g_free(first);
	g_free(p);
}

static mg_scanner *
bench_load(const char *db, const char *scan_tmpdir, double *ms)
{
	mg_config *c = config_for(MG_SCANNER_CLAMAV, db);
	if (scan_tmpdir) {
		g_free(c->scan_tmpdir);
		c->scan_tmpdir = g_strdup(scan_tmpdir);
	}
	char *err = NULL;
	gint64 start = g_get_monotonic_time();
	mg_scanner *s = mg_scanner_load(c, &err);

	*ms = (double)(g_get_monotonic_time() - start) / 1000.0;
	if (!s) {
		fprintf(stderr, "bench: %s\n", err);
		exit(EXIT_FAILURE);
	}
	mg_config_unref(c);
	return s;
}

static int
bench(const char *db, size_t mb)
{
	double load_ms, reload_ms;
	long rss0 = proc_kb("VmRSS");
	mg_scanner *s = bench_load(db, NULL, &load_ms);
	long rss1 = proc_kb("VmRSS");
	mg_scanner *s2 = bench_load(db, "/tmp", &reload_ms);
	long hwm = proc_kb("VmHWM");
	char *d = mg_scanner_describe(s);

	printf("database       %s\n", d);
	printf("load+compile   %.0f ms (second engine beside it: %.0f ms)\n",
	       load_ms, reload_ms);
	printf("RSS            %ld MB before, %ld MB loaded (+%ld MB), peak with "
	       "two engines %ld MB\n", rss0 / 1024, rss1 / 1024, (rss1 - rss0) / 1024,
	       hwm / 1024);
	GBytes *rnd = random_bytes(mb << 20, 1), *txt = text_bytes(mb << 20);
	GBytes *small = text_bytes(4096);
	zip_entry z[] = { { "data.bin", rnd, NULL } };
	GBytes *zip = make_zip(z, 1);
	bench_scan(s, "text 4K shm", small, 2);	/* scan_tmpdir's default */
	bench_scan(s2, "text 4K /tmp", small, 2);
	mg_scanner_unref(s2);
	g_bytes_unref(small);
	bench_scan(s, "random", rnd, 3);
	bench_scan(s, "text", txt, 3);
	bench_scan(s, "zip", zip, 3);	/* one stored member: the random data */
	g_bytes_unref(rnd);
	g_bytes_unref(txt);
	g_bytes_unref(zip);
	g_free(d);
	mg_scanner_unref(s);
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], argc > 3 ? (size_t)atoi(argv[3]) : 8);
	SRunner *sr = srunner_create(scan_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
