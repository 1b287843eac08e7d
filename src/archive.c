/*
 * archive.c - the members of an attached archive, through libarchive.
 *
 * SYNOPSIS
 *	bool mg_type_is_archive(const char *mime);
 *	void mg_archive_inspect(mg_classification *c, const guint8 *data,
 *		size_t len, const char *mime, const char *name,
 *		const mg_config *cfg);
 *
 * DESCRIPTION
 *	mg_archive_inspect() reads the archive from memory with every format
 *	libarchive has (and the "raw" format for a lone gzip, bzip2, xz, ...
 *	stream) and the filters it decodes itself (never an external program),
 *	and for each entry:
 *	- counts it against archive_max_members (directories included) and
 *	  adds every other entry to c->members with its decoded path
 *	  (pathname bytes as they are when valid UTF-8, else CP932 through
 *	  mg_charset_to_utf8), each component made display-safe by
 *	  mg_name_display() and joined with '/' (only the base name when that
 *	  is too long), its size and depth; checks the base name like a
 *	  part's (banned extension, double extension, bidi, CLSID, ...);
 *	- skips the data of an encrypted entry (libarchive detects ZipCrypto,
 *	  WinZip AES, 7z and RAR entry encryption);
 *	- reads the data of every other entry to its end, so that what cannot
 *	  be decompressed (a bad CRC, RAR5 encryption, which libarchive 3.6
 *	  does not detect) is found, counting every byte against
 *	  archive_max_size and archive_max_ratio (uncompressed bytes per byte
 *	  of the part, checked once more than 1 MiB came out, so that a small
 *	  zip of a well-compressing text is no bomb); the sizes entries state
 *	  count against archive_max_size before anything is read, and those
 *	  of the entries about to be read (not encrypted) against
 *	  archive_max_ratio too, so that a bomb whose headers tell is found
 *	  before it is decompressed;
 *	- looks at the first 64 KiB of the data with libmagic: an executable
 *	  is "archive_executable"; an archive is read in turn (its members one
 *	  level deeper) when the depth allows, else "archive_depth".  A head
 *	  without control bytes is text and spared libmagic.  A nested archive
 *	  is held in memory while it is read; its bytes count against
 *	  archive_max_size as well as its members'.
 *	- keeps the data of a member that libclamav would not unpack itself
 *	  in c->extracted (clamav_unpacks(): zip with stored, deflated or
 *	  bzip2 members, tar, cab, iso9660, cpio and single streams, each at
 *	  most under gzip or xz, are libclamav's; RAR, 7z, LZH, anything
 *	  under bzip2, zstd, compress or lzip, LZMA or PPMd zip members and
 *	  the rest are extracted here), so that inspect.c scans them one by
 *	  one.
 *	A limit hit stops all reading ("archive_bomb"); a format or data error
 *	stops that archive ("archive_unreadable"); both make the part one that
 *	cannot be inspected.
 *
 *	Pathnames: libarchive converts names it knows the charset of (UTF-16
 *	in 7z and Joliet, flagged UTF-8 in zip, pax) to the thread's locale,
 *	and gives up in the "C" locale a daemon runs in.  Reading therefore
 *	happens under uselocale(C.UTF-8) (per thread, restored afterwards).
 *	Unflagged zip, tar, rar and cab names come as raw bytes.  LZH level-0/1
 *	names are converted by libarchive itself: it is given
 *	"hdrcharset=CP932" when all headers read with it, else nothing.
 *
 * DIAGNOSTICS
 *	None: what cannot be read is a finding, not an error.
 *
 * MEMORY
 *	GLib allocation: running out of memory aborts.  What is held (nested
 *	archives being read, extracted members, one head of at most 128 KiB)
 *	has been counted against archive_max_size.
 */
#include "classify_priv.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <string.h>

#include "charset.h"
#include "names.h"

#define BLOCK (64 * 1024)		/* bytes asked of archive_read_data() */
#define HEAD_MAX (64 * 1024)		/* bytes of a member libmagic sees */
#define RATIO_FLOOR (1024 * 1024)	/* bytes out before the ratio counts */
#define LHA_CP932 "lha:hdrcharset=CP932"

typedef enum { KIND_NONE = 0, KIND_CONTAINER, KIND_STREAM, KIND_LHA } archive_kind;

static const struct {
	const char *mime;
	archive_kind kind;
} archive_types[] = {
	{ "application/zip", KIND_CONTAINER },
	{ "application/x-7z-compressed", KIND_CONTAINER },
	{ "application/x-rar", KIND_CONTAINER },
	{ "application/x-rar-compressed", KIND_CONTAINER },
	{ "application/vnd.rar", KIND_CONTAINER },
	{ "application/x-tar", KIND_CONTAINER },
	{ "application/x-gtar", KIND_CONTAINER },
	{ "application/x-ustar", KIND_CONTAINER },
	{ "application/vnd.ms-cab-compressed", KIND_CONTAINER },
	{ "application/x-iso9660-image", KIND_CONTAINER },
	{ "application/x-cpio", KIND_CONTAINER },
	{ "application/x-xar", KIND_CONTAINER },
	{ "application/x-lzh-compressed", KIND_LHA },
	{ "application/x-lha", KIND_LHA },
	{ "application/x-lharc", KIND_LHA },
	{ "application/gzip", KIND_STREAM },
	{ "application/x-gzip", KIND_STREAM },
	{ "application/x-bzip2", KIND_STREAM },
	{ "application/x-xz", KIND_STREAM },
	{ "application/x-lzma", KIND_STREAM },
	{ "application/x-lzip", KIND_STREAM },
	{ "application/zstd", KIND_STREAM },
	{ "application/x-compress", KIND_STREAM },
};

static archive_kind
kind_of(const char *mime)
{
	for (size_t i = 0; mime && i < G_N_ELEMENTS(archive_types); i++)
		if (g_ascii_strcasecmp(mime, archive_types[i].mime) == 0)
			return archive_types[i].kind;
	return KIND_NONE;
}

bool
mg_type_is_archive(const char *mime)
{
	return kind_of(mime) != KIND_NONE;
}

/* One part's walk through its archives. */
typedef struct {
	mg_classification *c;
	const mg_config *cfg;
	size_t part_len;	/* the ratio's denominator */
	guint64 entries;	/* entries seen, all depths */
	guint64 stated;		/* sizes the archives state, all depths */
	guint64 stated_read;	/* those of the entries read (not encrypted) */
	guint64 total;		/* bytes uncompressed and held or counted */
	bool stop;		/* a limit was hit: read no further */
	guint8 *block;		/* BLOCK bytes for archive_read_data() */
} walk;

static void open_level(walk *w, const guint8 *data, size_t len, const char *mime,
		       const char *name, unsigned depth);

/* ---- limits and findings ------------------------------------------------ */

static void
cannot_inspect(walk *w, const char *code)
{
	mg_finding(w->c, code);
	w->c->cannot_inspect = true;
}

static bool
bomb(walk *w)
{
	cannot_inspect(w, "archive_bomb");
	w->stop = true;
	return false;
}

static bool
count_entry(walk *w)
{
	return ++w->entries <= w->cfg->archive_max_members || bomb(w);
}

static bool
count_stated(walk *w, guint64 size)
{
	w->stated += size;
	return w->stated <= w->cfg->archive_max_size || bomb(w);
}

static bool
over_ratio(const walk *w, guint64 n)
{
	return n > RATIO_FLOOR &&
	       n > (guint64)w->cfg->archive_max_ratio * MAX(w->part_len, 1);
}

/* An entry about to be read: its stated size against the ratio. */
static bool
count_stated_read(walk *w, guint64 size)
{
	w->stated_read += size;
	return !over_ratio(w, w->stated_read) || bomb(w);
}

static bool
count_bytes(walk *w, size_t n)
{
	w->total += n;
	if (w->total > w->cfg->archive_max_size || over_ratio(w, w->total))
		return bomb(w);
	return true;
}

static void
encrypted_archive(walk *w)
{
	cannot_inspect(w, "encrypted_archive");
	w->c->encrypted = true;
}

/* A format or data error: this archive stops here. */
static void
unreadable(walk *w, struct archive *a)
{
	const char *why = archive_error_string(a);

	if (why && (strstr(why, "ncrypt") || strstr(why, "assphrase")))
		encrypted_archive(w);
	cannot_inspect(w, "archive_unreadable");
}

/* ---- names ------------------------------------------------------------- */

/* The entry's name as UTF-8: raw bytes that are not UTF-8 taken as CP932. */
static char *
entry_name(struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);

	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	if (!raw || !*raw)
		return g_strdup("?");
	size_t n = strlen(raw);
	if (g_utf8_validate(raw, (gssize)n, NULL))
		return g_strdup(raw);
	mg_charset_info info = { 0 };
	return mg_charset_to_utf8(raw, n, "CP932", &info, NULL);
}

/* For the raw format: the archive's own name less .gz, .bz2, ... */
static char *
stream_member_name(const char *archive_name)
{
	const char *dot = archive_name ? strrchr(archive_name, '.') : NULL;

	if (!dot || dot == archive_name)
		return g_strdup("data");
	if (g_ascii_strcasecmp(dot, ".tgz") == 0) {
		char *stem = g_strndup(archive_name, (gsize)(dot - archive_name));
		char *name = g_strconcat(stem, ".tar", NULL);
		g_free(stem);
		return name;
	}
	return g_strndup(archive_name, (gsize)(dot - archive_name));
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');
	const char *last = MAX(slash, bslash);
	return last ? last + 1 : path;
}

/* A member's path for display: each component made display-safe, joined
 * with '/'; a path too long to show whole shows its base name only. */
static char *
display_path(const char *path)
{
	char **parts = g_strsplit_set(path, "/\\", -1);
	GString *out = g_string_new(NULL);

	for (int i = 0; parts[i]; i++) {
		if (!*parts[i])
			continue;
		char *shown = mg_name_display(parts[i], MG_NAME_MAX_CHARS);
		g_string_append_printf(out, "%s%s", out->len ? "/" : "", shown);
		g_free(shown);
	}
	g_strfreev(parts);
	if (g_utf8_strlen(out->str, -1) > MG_NAME_MAX_CHARS) {
		char *base = mg_name_display(base_name(path), MG_NAME_MAX_CHARS);
		g_string_printf(out, "\u2026/%s", base);
		g_free(base);
	}
	if (!out->len)
		g_string_assign(out, "?");
	return g_string_free(out, FALSE);
}

static void
check_member_name(walk *w, const char *name)
{
	unsigned f = mg_name_flags(base_name(name), w->cfg);

	if (f & MG_NAME_BANNED) {
		mg_finding(w->c, "archive_executable");
		w->c->banned = true;
	}
	if (f & (MG_NAME_DOUBLE_EXT | MG_NAME_BIDI | MG_NAME_TRAILING |
		 MG_NAME_CLSID | MG_NAME_ODD))
		mg_finding(w->c, "archive_suspicious_name");
	if (f & MG_NAME_CLSID)
		w->c->banned = true;
}

/* ---- reading ------------------------------------------------------------ */

/* The filters libarchive has built in or links; not filter_all, which would
 * also run external lzop, lrzip and grzip programs on what a sender sent. */
static void
support_filters(struct archive *a)
{
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_compress(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_lzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_uu(a);
	archive_read_support_filter_rpm(a);
}

static struct archive *
new_reader(archive_kind kind, const char *options)
{
	struct archive *a = archive_read_new();

	support_filters(a);
	archive_read_support_format_all(a);
	if (kind == KIND_STREAM)
		archive_read_support_format_raw(a);
	if (options)
		archive_read_set_options(a, options);
	return a;
}

/* True when every header of data reads with options (no data is read). */
static bool
headers_read(const guint8 *data, size_t len, const char *options)
{
	struct archive *a = new_reader(KIND_LHA, options);
	struct archive_entry *e;
	int r = archive_read_open_memory(a, data, len);

	while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		r = archive_read_data_skip(a);
	archive_read_free(a);
	return r == ARCHIVE_EOF;
}

/* One member being read. */
typedef struct {
	GByteArray *buf;	/* its head, or all of it when kept */
	guint64 read;		/* bytes read */
	bool keep;		/* hold all of it */
	bool decided;		/* head looked at */
	const char *type;	/* libmagic's type of the head */
} member_read;

/* No control bytes but tab, line ends, form feed and ESC (ISO-2022-JP) in
 * the first 4 KiB: every archive and executable format has some. */
static bool
textual(const guint8 *d, size_t n)
{
	for (size_t i = 0; i < MIN(n, 4096); i++)
		if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r' &&
		    d[i] != '\f' && d[i] != 0x1B)
			return false;
	return true;
}

/* Looks at the head: decides whether the whole member is needed. */
static void
decide(walk *w, member_read *mr, unsigned depth, bool extract)
{
	size_t n = MIN(mr->buf->len, HEAD_MAX);

	mr->decided = true;
	mr->type = textual(mr->buf->data, n) ? "text/plain" :
		   mg_magic_type(mr->buf->data, n, true);
	mr->keep = extract;
	if (mg_type_is_archive(mr->type)) {
		if (depth < w->cfg->archive_max_depth)
			mr->keep = true;
		else
			cannot_inspect(w, "archive_depth");
	}
}

/* Reads the entry's data to its end; false when reading must stop. */
static bool
read_data(walk *w, struct archive *a, member_read *mr, unsigned depth, bool extract)
{
	for (;;) {
		la_ssize_t n = archive_read_data(a, w->block, BLOCK);
		if (n < 0) {
			unreadable(w, a);
			return false;
		}
		if (n == 0)
			break;
		mr->read += (guint64)n;
		if (!count_bytes(w, (size_t)n))
			return false;
		if (mr->keep || !mr->decided)
			g_byte_array_append(mr->buf, w->block, (guint)n);
		if (!mr->decided && mr->buf->len >= HEAD_MAX)
			decide(w, mr, depth, extract);
	}
	if (!mr->decided)
		decide(w, mr, depth, extract);
	return true;
}

/* What the member's content is: executable, nested archive, extracted. */
static void
use_data(walk *w, member_read *mr, mg_member *m, bool extract)
{
	if (mg_type_is_executable(mr->type)) {
		mg_finding(w->c, "archive_executable");
		w->c->banned = true;
	}
	if (mr->keep && mg_type_is_archive(mr->type) && m->depth < w->cfg->archive_max_depth)
		open_level(w, mr->buf->data, mr->buf->len, mr->type, m->name, m->depth + 1);
	if (extract && mr->keep) {
		g_ptr_array_add(w->c->extracted, g_byte_array_free_to_bytes(mr->buf));
		g_ptr_array_add(w->c->extracted_names, g_strdup(m->name));
		mr->buf = NULL;
	}
}

static mg_member *
new_member(walk *w, struct archive *a, struct archive_entry *e, unsigned depth,
	   const char *archive_name)
{
	mg_member *m = g_new0(mg_member, 1);
	bool raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
	char *name = raw ? stream_member_name(archive_name) : entry_name(e);

	m->name = display_path(name);
	m->depth = depth;
	m->encrypted = archive_entry_is_encrypted(e);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		m->size = (guint64)archive_entry_size(e);
	check_member_name(w, name);
	g_free(name);
	g_ptr_array_add(w->c->members, m);
	return m;
}

/* Are the filters around the archive all ones libclamav undoes itself?
 * Not bzip2: libclamav stops after the first of several bzip2 streams
 * (pbzip2 writes such files), so what follows would go unscanned. */
static bool
clamav_filters(struct archive *a)
{
	for (int i = 0; i < archive_filter_count(a); i++)
		switch (archive_filter_code(a, i)) {
		case ARCHIVE_FILTER_NONE: case ARCHIVE_FILTER_GZIP: case ARCHIVE_FILTER_XZ:
			break;
		default:
			return false;	/* bzip2, zstd, compress, lzip, lz4, lzma, uu, ... */
		}
	return true;
}

/* A zip member's method libclamav's unzip knows (libarchive names it in
 * the format name, "ZIP 2.0 (deflation)"). */
static bool
clamav_zip_method(struct archive *a)
{
	static const char *const known[] = { "(uncompressed)", "(deflation)",
		"(deflation-64-bit)", "(bzip)" };
	const char *name = archive_format_name(a);

	for (size_t i = 0; name && i < G_N_ELEMENTS(known); i++)
		if (strstr(name, known[i]))
			return true;
	return false;
}

/* Does libclamav unpack this archive's members itself when it scans the
 * part?  When it does not (RAR: libclamunrar is not in Debian main; LZH,
 * zstd, compress, LZMA or PPMd zip members, ...), they are extracted
 * here and scanned one by one, or nobody would look at them.  7z is
 * extracted too: libclamav 1.4 finds nothing in a 7z whose coder is
 * deflate or bzip2 (measured), and libarchive does not say the coder. */
static bool
clamav_unpacks(struct archive *a)
{
	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_ZIP:
		return clamav_filters(a) && clamav_zip_method(a);
	case ARCHIVE_FORMAT_TAR: case ARCHIVE_FORMAT_CAB: case ARCHIVE_FORMAT_ISO9660:
	case ARCHIVE_FORMAT_CPIO: case ARCHIVE_FORMAT_RAW:
		return clamav_filters(a);
	default:
		return false;
	}
}

/* One non-directory entry; false when reading must stop. */
static bool
read_entry(walk *w, struct archive *a, struct archive_entry *e, unsigned depth,
	   const char *archive_name)
{
	mg_member *m = new_member(w, a, e, depth, archive_name);
	bool extract = !clamav_unpacks(a);

	if (!count_stated(w, m->size))
		return false;
	if (m->encrypted) {
		encrypted_archive(w);
		if (archive_read_data_skip(a) == ARCHIVE_OK)
			return true;
		unreadable(w, a);
		return false;
	}
	if (!count_stated_read(w, m->size))
		return false;
	member_read mr = { g_byte_array_new(), 0, false, false, NULL };
	bool ok = read_data(w, a, &mr, depth, extract);
	if (!archive_entry_size_is_set(e))
		m->size = mr.read;
	if (ok)
		use_data(w, &mr, m, extract);
	if (mr.buf)
		g_byte_array_free(mr.buf, TRUE);
	return ok && !w->stop;
}

/* Reads every entry; true when the archive was read to its end. */
static bool
read_entries(walk *w, struct archive *a, unsigned depth, const char *archive_name)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (!count_entry(w))
			return false;
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (!read_entry(w, a, e, depth, archive_name))
			return false;
	}
	if (r != ARCHIVE_EOF)
		unreadable(w, a);
	return r == ARCHIVE_EOF;
}

/* Reads an archive whose members are at depth. */
static void
open_level(walk *w, const guint8 *data, size_t len, const char *mime,
	   const char *name, unsigned depth)
{
	archive_kind kind = kind_of(mime);
	const char *options = NULL;

	if (kind == KIND_LHA && headers_read(data, len, LHA_CP932))
		options = LHA_CP932;
	struct archive *a = new_reader(kind, options);
	if (archive_read_open_memory(a, data, len) == ARCHIVE_OK)
		read_entries(w, a, depth, name);
	else
		unreadable(w, a);
	if (archive_read_has_encrypted_entries(a) > 0)
		encrypted_archive(w);
	archive_read_free(a);
}

/* ---- the locale names are converted in ---------------------------------- */

static locale_t
utf8_locale(void)
{
	static gsize once;
	static locale_t loc;

	if (g_once_init_enter(&once)) {
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
		if (!loc)
			g_warning("classify: no UTF-8 locale: some archive member "
				  "names will show as '?'");
		g_once_init_leave(&once, 1);
	}
	return loc;
}

void
mg_archive_inspect(mg_classification *c, const guint8 *data, size_t len,
		   const char *mime, const char *name, const mg_config *cfg)
{
	walk w = { c, cfg, len, 0, 0, 0, 0, false, g_malloc(BLOCK) };
	locale_t loc = utf8_locale();
	locale_t old = uselocale((locale_t)0);

	if (loc)
		uselocale(loc);
	open_level(&w, data, len, mime, name, 1);
	uselocale(old);
	g_free(w.block);
}
