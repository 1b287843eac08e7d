/*
 * classify.c - what a removed part really is: its true type, what its file
 * name gives away, and whether it is encrypted.
 *
 * SYNOPSIS
 *	mg_classification *mg_classify(const guint8 *data, size_t len,
 *		const char *filename, const char *declared_type,
 *		const mg_config *cfg);
 *	void mg_classification_free(mg_classification *c);
 *	bool mg_classification_has(const mg_classification *c, const char *code);
 *	void mg_classify_thread_cleanup(void);
 *
 * DESCRIPTION
 *	mg_classify() runs, in this order:
 *	1. Name checks on the decoded file name: the extension (what follows
 *	   the last dot once trailing dots and spaces are gone, as Windows
 *	   reads it) against banned_extensions; a decoy extension (pdf, doc,
 *	   jpg, ... and the Japanese jtd, xdw) just before a banned one; bidi
 *	   controls; other control or invisible (Cf) characters; trailing dots
 *	   or spaces; a ".{CLSID}" ending, which Windows uses to hide a type.
 *	2. The true type: libmagic (MAGIC_MIME_TYPE, one handle per thread, at
 *	   most the first 1 MiB looked at) on the decoded bytes.  Parts
 *	   declared text/ or message/ skip libmagic (it costs 0.5-1.4 ms on
 *	   text) unless they start with a binary format's signature.
 *	3. Executables: libmagic's or the declared type is an executable or
 *	   script type.
 *	4. Encryption, with deliberately simple checks:
 *	   - PDF: a "/Encrypt" key followed by a dictionary ("<<") or an
 *	     indirect reference ("12 0 R") anywhere in the file (trailers and
 *	     cross-reference stream dictionaries are where it lives; the
 *	     streams of an encrypted PDF are ciphertext, so it cannot hide in
 *	     them).
 *	   - OLE2 compound files: a directory entry (at a 128-byte boundary,
 *	     UTF-16LE name, stream or storage) named "EncryptedPackage"
 *	     (password-protected docx/xlsx/pptx) or "EncryptedSummary"
 *	     (PowerPoint); a "WordDocument" entry and a Word FIB (0xA5EC at a
 *	     64-byte boundary, plausible nFib) with fEncrypted set; a
 *	     "Workbook"/"Book" entry and a BIFF5/8 globals BOF followed within
 *	     eight records by FILEPASS.  libmagic's "application/encrypted"
 *	     counts too.
 *	   - S/MIME: DER ContentInfo whose first 40 bytes hold the
 *	     envelopedData or authEnvelopedData OID, or a part declared
 *	     (x-)pkcs7-mime / named .p7m; signed-data inside pkcs7-mime is
 *	     "smime_opaque".
 *	   - OpenPGP: an ASCII-armoured "BEGIN PGP MESSAGE" (whatever it
 *	     holds), binary data starting with a public-key or symmetric-key
 *	     encrypted session key packet of a known version, or the declared
 *	     type application/pgp-encrypted.
 *	5. Archives (libmagic type zip, 7z, rar, tar, gzip, bzip2, xz, lzh,
 *	   cab, iso, cpio, ...): archive.c lists and reads them.
 *	6. The type mismatch: the families (executable, PDF, OLE, OOXML/ODF,
 *	   zip, other archive, image, audio, video, text, HTML, RTF, mail) of
 *	   the extension and of the declared type are each compared with that
 *	   of libmagic's type.  An executable is a mismatch under any other
 *	   name or label; families that are legitimately confused (OOXML and
 *	   zip, RTF or HTML saved as .doc/.xls, Excel's CSV label, audio and
 *	   video, the text kinds) are compatible; an unknown family on either
 *	   side decides nothing.
 *
 *	The libmagic handle of a thread is created on its first use and freed
 *	by the GPrivate destroy notify when the thread exits, or by
 *	mg_classify_thread_cleanup().  Thread-safe otherwise: no shared state
 *	but the once-initialised defaults.
 *
 * DIAGNOSTICS
 *	A libmagic that cannot be opened or loaded is warned about (once per
 *	thread) and gives "application/octet-stream"; classification never
 *	fails.
 *
 * MEMORY
 *	GLib allocation: running out of memory aborts.  The classification
 *	and everything in it belong to the caller (mg_classification_free).
 */
#include "classify_priv.h"

#include <magic.h>
#include <string.h>

#include "names.h"

#define MAGIC_BYTES_MAX (1024 * 1024)	/* bytes libmagic looks at */
#define MEMBER_FLAGS (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_TEXT | \
		      MAGIC_NO_CHECK_ENCODING | MAGIC_NO_CHECK_CSV | \
		      MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_TOKENS)
#define OLE_MIN 1536			/* header and two sectors */

/* ---- libmagic, one handle per thread ------------------------------------ */

static void
magic_free(gpointer m)
{
	magic_close(m);
}

static GPrivate magic_key = G_PRIVATE_INIT(magic_free);
static GPrivate magic_failed = G_PRIVATE_INIT(NULL);

static magic_t
thread_magic(void)
{
	magic_t m = g_private_get(&magic_key);

	if (m || g_private_get(&magic_failed))
		return m;
	m = magic_open(MAGIC_MIME_TYPE);
	if (m && magic_load(m, NULL) != 0) {
		g_warning("classify: libmagic: %s", magic_error(m));
		magic_close(m);
		m = NULL;
	}
	if (!m) {
		g_warning("classify: libmagic is unavailable; types are unknown");
		g_private_set(&magic_failed, GINT_TO_POINTER(1));
		return NULL;
	}
	size_t max = MAGIC_BYTES_MAX;
	magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &max);
	g_private_set(&magic_key, m);
	return m;
}

const char *
mg_magic_type(const guint8 *data, size_t len, bool member_head)
{
	magic_t m = thread_magic();

	if (!m || !data || !len)
		return MG_OCTET_STREAM;
	magic_setflags(m, member_head ? MEMBER_FLAGS : MAGIC_MIME_TYPE);
	const char *t = magic_buffer(m, data, len);
	return t && *t ? g_intern_string(t) : MG_OCTET_STREAM;
}

void
mg_classify_thread_cleanup(void)
{
	g_private_replace(&magic_key, NULL);
	g_private_set(&magic_failed, NULL);
}

/* ---- types -------------------------------------------------------------- */

static const char *const exec_types[] = {
	"application/x-dosexec", "application/vnd.microsoft.portable-executable",
	"application/x-msdownload", "application/x-msdos-program",
	"application/x-ms-dos-executable", "application/x-executable",
	"application/x-pie-executable", "application/x-sharedlib",
	"application/x-mach-binary", "application/x-elf", "application/x-msi",
	"application/x-ms-installer", "application/x-ms-shortcut",
	"application/x-ms-application", "application/java-archive",
	"application/x-java-archive", "application/x-java-applet",
	"application/hta", "application/x-hta", "application/x-bat",
	"text/x-msdos-batch", "application/x-msdos-batch", "text/x-shellscript",
	"application/x-shellscript", "application/x-sh", "text/vbscript",
	"application/x-vbscript", "text/javascript", "application/javascript",
	"application/x-javascript", "application/x-powershell",
};

bool
mg_type_is_executable(const char *mime)
{
	for (size_t i = 0; mime && i < G_N_ELEMENTS(exec_types); i++)
		if (g_ascii_strcasecmp(mime, exec_types[i]) == 0)
			return true;
	return false;
}

typedef enum {
	FAM_UNKNOWN = 0, FAM_EXEC, FAM_PDF, FAM_OLE, FAM_OOXML, FAM_ZIP,
	FAM_ARCHIVE, FAM_IMAGE, FAM_AUDIO, FAM_VIDEO, FAM_TEXT, FAM_HTML,
	FAM_RTF, FAM_MAIL
} family;

/* A type ending in '*' matches as a prefix.  First match wins. */
static const struct {
	const char *type;
	family fam;
} type_families[] = {
	{ "application/pdf", FAM_PDF }, { "application/x-pdf", FAM_PDF },
	{ "application/msword", FAM_OLE }, { "application/vnd.ms-excel", FAM_OLE },
	{ "application/vnd.ms-powerpoint", FAM_OLE },
	{ "application/vnd.ms-office", FAM_OLE }, { "application/x-ole-storage", FAM_OLE },
	{ "application/cdfv2", FAM_OLE }, { "application/vnd.ms-outlook", FAM_OLE },
	{ "application/encrypted", FAM_OLE }, { "application/vnd.visio", FAM_OLE },
	{ "application/vnd.openxmlformats-officedocument.*", FAM_OOXML },
	{ "application/vnd.oasis.opendocument.*", FAM_OOXML },
	{ "application/epub+zip", FAM_OOXML },
	{ "application/zip", FAM_ZIP }, { "application/x-zip-compressed", FAM_ZIP },
	{ "application/x-zip", FAM_ZIP },
	{ "text/html", FAM_HTML }, { "application/xhtml+xml", FAM_HTML },
	{ "text/rtf", FAM_RTF }, { "application/rtf", FAM_RTF },
	{ "message/*", FAM_MAIL }, { "image/*", FAM_IMAGE },
	{ "audio/*", FAM_AUDIO }, { "video/*", FAM_VIDEO }, { "text/*", FAM_TEXT },
	{ "application/json", FAM_TEXT }, { "application/xml", FAM_TEXT },
	{ "application/csv", FAM_TEXT },
};

static bool
type_matches(const char *mime, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return g_ascii_strncasecmp(mime, pattern, n - 1) == 0;
	return g_ascii_strcasecmp(mime, pattern) == 0;
}

static family
family_of_type(const char *mime)
{
	if (!mime || !*mime)
		return FAM_UNKNOWN;
	if (mg_type_is_executable(mime))
		return FAM_EXEC;
	if (g_str_has_prefix(mime, "application/vnd.ms-") && strstr(mime, "macroenabled"))
		return FAM_OOXML;
	for (size_t i = 0; i < G_N_ELEMENTS(type_families); i++)
		if (type_matches(mime, type_families[i].type))
			return type_families[i].fam;
	return mg_type_is_archive(mime) ? FAM_ARCHIVE : FAM_UNKNOWN;
}

static const struct {
	const char *exts;	/* space-separated */
	family fam;
} ext_families[] = {
	{ "pdf", FAM_PDF },
	{ "doc dot xls xlt ppt pot pps msg", FAM_OLE },
	{ "docx docm dotx xlsx xlsm xlsb xltx pptx pptm ppsx odt ods odp epub", FAM_OOXML },
	{ "zip", FAM_ZIP },
	{ "7z rar lzh lha cab tar gz tgz bz2 xz iso", FAM_ARCHIVE },
	{ "jpg jpeg png gif bmp tif tiff webp heic ico", FAM_IMAGE },
	{ "mp3 wav m4a wma aac", FAM_AUDIO },
	{ "mp4 mov avi wmv mkv mpg mpeg", FAM_VIDEO },
	{ "txt csv log tsv", FAM_TEXT },
	{ "htm html", FAM_HTML },
	{ "rtf", FAM_RTF },
	{ "eml", FAM_MAIL },
};

/* True when word is one of the space-separated words of list. */
static bool
in_words(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Families that are legitimately confused with each other. */
static bool
compatible(family a, family b)
{
	static const family pairs[][2] = {
		{ FAM_OOXML, FAM_ZIP }, { FAM_ZIP, FAM_ARCHIVE }, { FAM_RTF, FAM_OLE },
		{ FAM_HTML, FAM_OLE }, { FAM_TEXT, FAM_OLE }, { FAM_OOXML, FAM_OLE },
		{ FAM_TEXT, FAM_HTML }, { FAM_TEXT, FAM_RTF }, { FAM_TEXT, FAM_MAIL },
		{ FAM_AUDIO, FAM_VIDEO },
	};

	if (a == b)
		return true;
	for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++)
		if ((pairs[i][0] == a && pairs[i][1] == b) ||
		    (pairs[i][0] == b && pairs[i][1] == a))
			return true;
	return false;
}

/* True when what a name or label claims contradicts the real family. */
static bool
contradicts(family claimed, family real)
{
	if (claimed == FAM_UNKNOWN || real == FAM_UNKNOWN)
		return false;
	if (real == FAM_EXEC)
		return claimed != FAM_EXEC;
	if (claimed == FAM_EXEC)	/* a script is text: banned anyway */
		return false;
	return !compatible(claimed, real);
}

/* "application/pdf" from "Application/PDF; name=x": lower case, no
 * parameters; "" for NULL. */
static char *
base_type(const char *declared)
{
	if (!declared)
		return g_strdup("");
	const char *semi = strchr(declared, ';');
	char *t = g_ascii_strdown(declared, semi ? semi - declared : -1);
	return g_strstrip(t);
}

/* ---- file names --------------------------------------------------------- */

static const char decoy_exts[] =
	"pdf doc docx xls xlsx ppt pptx txt rtf csv jpg jpeg png gif bmp tif "
	"tiff zip lzh rar 7z htm html mp3 mp4 wav avi mov odt ods odp jtd xdw hwp";

static bool
is_bidi(gunichar ch)
{
	return ch == 0x061C || ch == 0x200E || ch == 0x200F ||
	       (ch >= 0x202A && ch <= 0x202E) || (ch >= 0x2066 && ch <= 0x2069);
}

/* MG_NAME_BIDI / MG_NAME_ODD for the characters of name. */
static unsigned
char_flags(const char *name)
{
	unsigned f = 0;

	if (!g_utf8_validate(name, -1, NULL))
		return MG_NAME_ODD;
	for (const char *p = name; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(ch);
		if (is_bidi(ch))
			f |= MG_NAME_BIDI;
		else if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
			 t == G_UNICODE_LINE_SEPARATOR ||
			 t == G_UNICODE_PARAGRAPH_SEPARATOR)
			f |= MG_NAME_ODD;
	}
	return f;
}

/* The extension of name[0..n) (after its last dot), lower case; NULL when
 * there is none. */
static char *
extension(const char *name, size_t n)
{
	const char *dot = g_strrstr_len(name, (gssize)n, ".");

	if (!dot || dot + 1 >= name + n)
		return NULL;
	return g_ascii_strdown(dot + 1, name + n - dot - 1);
}

static bool
is_banned(const char *ext, const mg_config *cfg)
{
	for (char **b = cfg->banned_extensions; ext && b && *b; b++)
		if (g_ascii_strcasecmp(*b + (**b == '.'), ext) == 0)
			return true;
	return false;
}

static bool
is_hex_run(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(p[i]))
			return false;
	return true;
}

/* name[0..n) ends in ".{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" */
static bool
clsid_tail(const char *name, size_t n)
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };
	const char *p;

	if (n < 39 || name[n - 1] != '}' || name[n - 39] != '.' || name[n - 38] != '{')
		return false;
	p = name + n - 37;
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
		if (!is_hex_run(p, groups[i]))
			return false;
		p += groups[i];
		if (*p != (i + 1 < G_N_ELEMENTS(groups) ? '-' : '}'))
			return false;
		p++;
	}
	return true;
}

/* A decoy extension right before the last one (spaces between allowed). */
static bool
decoy_before_last(const char *name, size_t n)
{
	const char *dot = g_strrstr_len(name, (gssize)n, ".");

	if (!dot)
		return false;
	size_t stem = (size_t)(dot - name);
	while (stem && name[stem - 1] == ' ')
		stem--;
	char *prev = extension(name, stem);
	bool decoy = prev && !strchr(prev, ' ') && in_words(decoy_exts, prev);
	g_free(prev);
	return decoy;
}

unsigned
mg_name_flags(const char *name, const mg_config *cfg)
{
	if (!name || !*name)
		return 0;
	unsigned f = char_flags(name);
	size_t n = strlen(name);
	while (n && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	if (n < strlen(name))
		f |= MG_NAME_TRAILING;
	char *ext = extension(name, n);
	if (is_banned(ext, cfg))
		f |= MG_NAME_BANNED;
	if (clsid_tail(name, n))
		f |= MG_NAME_CLSID;
	if ((f & MG_NAME_BANNED) && decoy_before_last(name, n))
		f |= MG_NAME_DOUBLE_EXT;
	g_free(ext);
	return f;
}

static family
family_of_name(const char *name, const mg_config *cfg)
{
	if (!name)
		return FAM_UNKNOWN;
	size_t n = strlen(name);
	while (n && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	char *ext = extension(name, n);
	family fam = FAM_UNKNOWN;
	if (is_banned(ext, cfg))
		fam = FAM_EXEC;
	for (size_t i = 0; ext && !fam && i < G_N_ELEMENTS(ext_families); i++)
		if (in_words(ext_families[i].exts, ext))
			fam = ext_families[i].fam;
	g_free(ext);
	return fam;
}

static void
check_name(mg_classification *c, const char *name, const mg_config *cfg)
{
	unsigned f = mg_name_flags(name, cfg);

	if (f & (MG_NAME_BANNED | MG_NAME_CLSID))
		c->banned = true;
	if (f & MG_NAME_BANNED)
		mg_finding(c, "executable");
	if (f & MG_NAME_DOUBLE_EXT)
		mg_finding(c, "double_extension");
	if (f & MG_NAME_BIDI)
		mg_finding(c, "bidi_name");
	if (f & MG_NAME_TRAILING)
		mg_finding(c, "trailing_dot");
	if (f & MG_NAME_CLSID)
		mg_finding(c, "clsid_name");
	if (f & MG_NAME_ODD)
		mg_finding(c, "suspicious_name");
}

/* ---- encrypted content -------------------------------------------------- */

static unsigned
le16(const guint8 *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static bool
pdf_space(guint8 ch)
{
	return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\f' || ch == 0;
}

/* Skips white space and then digits; false when there are no digits. */
static bool
pdf_number(const guint8 **p, const guint8 *end)
{
	const guint8 *q = *p;

	while (q < end && pdf_space(*q))
		q++;
	const guint8 *start = q;
	while (q < end && g_ascii_isdigit(*q))
		q++;
	*p = q;
	return q > start;
}

/* After "/Encrypt": a dictionary or "N G R". */
static bool
encrypt_value(const guint8 *p, const guint8 *end)
{
	const guint8 *q = p;

	while (q < end && pdf_space(*q))
		q++;
	if (end - q >= 2 && q[0] == '<' && q[1] == '<')
		return true;
	if (!pdf_number(&p, end) || !pdf_number(&p, end))
		return false;
	while (p < end && pdf_space(*p))
		p++;
	return p < end && *p == 'R';
}

static bool
pdf_encrypted(const guint8 *d, size_t len)
{
	const guint8 *end = d + len, *p = d;

	while ((p = memmem(p, (size_t)(end - p), "/Encrypt", 8))) {
		p += 8;
		if (encrypt_value(p, end))
			return true;
	}
	return false;
}

static bool
is_pdf(const mg_classification *c, const guint8 *d, size_t len)
{
	return strcmp(c->true_type, "application/pdf") == 0 ||
	       memmem(d, MIN(len, 1024), "%PDF-", 5) != NULL;
}

/* A compound-file directory entry called name (ASCII). */
static bool
ole_has_entry(const guint8 *d, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (size_t off = 512; off + 128 <= len; off += 128) {
		const guint8 *e = d + off;
		if (le16(e + 64) != (n + 1) * 2 || (e[66] != 1 && e[66] != 2))
			continue;
		size_t i = 0;
		while (i < n && e[2 * i] == (guint8)name[i] && e[2 * i + 1] == 0)
			i++;
		if (i == n && e[2 * n] == 0 && e[2 * n + 1] == 0)
			return true;
	}
	return false;
}

/* A Word FIB (wIdent 0xA5EC, Word 6 to 2019 nFib) with fEncrypted. */
static bool
word_encrypted(const guint8 *d, size_t len)
{
	for (size_t off = 512; off + 12 <= len; off += 64) {
		const guint8 *f = d + off;
		unsigned nfib = le16(f + 2);
		if (le16(f) == 0xA5EC && nfib >= 0x65 && nfib <= 0x200 &&
		    (le16(f + 0x0A) & 0x0100))
			return true;
	}
	return false;
}

/* A BIFF5/8 workbook-globals BOF followed within 8 records by FILEPASS. */
static bool
xls_encrypted(const guint8 *d, size_t len)
{
	for (size_t off = 512; off + 12 <= len; off += 64) {
		const guint8 *r = d + off;
		unsigned rlen = le16(r + 2), vers = le16(r + 4);
		if (le16(r) != 0x0809 || rlen < 8 || rlen > 20 ||
		    (vers != 0x0500 && vers != 0x0600) || le16(r + 6) != 0x0005)
			continue;
		size_t p = off + 4 + rlen;
		for (int i = 0; i < 8 && p + 4 <= len; i++) {
			if (le16(d + p) == 0x002F)
				return true;
			p += 4 + le16(d + p + 2);
		}
	}
	return false;
}

static bool
ole_encrypted(const guint8 *d, size_t len)
{
	static const guint8 sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

	if (len < OLE_MIN || memcmp(d, sig, sizeof sig) != 0)
		return false;
	if (ole_has_entry(d, len, "EncryptedPackage") ||
	    ole_has_entry(d, len, "EncryptedSummary"))
		return true;
	if (ole_has_entry(d, len, "WordDocument") && word_encrypted(d, len))
		return true;
	return (ole_has_entry(d, len, "Workbook") || ole_has_entry(d, len, "Book")) &&
	       xls_encrypted(d, len);
}

static void
check_documents(mg_classification *c, const guint8 *d, size_t len)
{
	bool enc = strcmp(c->true_type, "application/encrypted") == 0 ||
		   (is_pdf(c, d, len) && pdf_encrypted(d, len)) || ole_encrypted(d, len);

	if (enc) {
		mg_finding(c, "encrypted_document");
		c->encrypted = c->cannot_inspect = true;
	}
}

static const guint8 oid_enveloped[] = {
	0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03 };
static const guint8 oid_auth_enveloped[] = {
	0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17 };

static bool
name_has_ext(const char *name, const char *ext)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	return dot && g_ascii_strcasecmp(dot + 1, ext) == 0;
}

static void
check_smime(mg_classification *c, const guint8 *d, size_t len, const char *declared,
	    const char *base, const char *filename)
{
	size_t head = MIN(len, 40);
	bool der = len > 2 && d[0] == 0x30;
	bool env = der && (memmem(d, head, oid_enveloped, sizeof oid_enveloped) ||
			   memmem(d, head, oid_auth_enveloped, sizeof oid_auth_enveloped));
	bool labelled = strcmp(base, "application/pkcs7-mime") == 0 ||
			strcmp(base, "application/x-pkcs7-mime") == 0 ||
			name_has_ext(filename, "p7m");

	if (!env && !labelled)
		return;
	char *lower = g_ascii_strdown(declared ? declared : "", -1);
	env = env || strstr(lower, "enveloped-data") != NULL;
	g_free(lower);
	c->cannot_inspect = true;
	if (env) {
		c->encrypted = true;
		mg_finding(c, "smime_encrypted");
	} else
		mg_finding(c, "smime_opaque");
}

/* A public-key (tag 1, v3/v6) or symmetric-key (tag 3, v4-v6) encrypted
 * session key packet, in the old or the new packet format. */
static bool
pgp_binary(const guint8 *d, size_t len)
{
	unsigned tag;
	size_t hdr;

	if (len < 8 || !(d[0] & 0x80))
		return false;
	if (d[0] & 0x40) {
		tag = d[0] & 0x3F;
		hdr = d[1] < 192 ? 2 : d[1] < 224 ? 3 : d[1] == 255 ? 6 : 2;
	} else {
		static const size_t lens[] = { 2, 3, 5, 1 };
		tag = (d[0] >> 2) & 0x0F;
		hdr = lens[d[0] & 3];
	}
	guint8 v = d[hdr];
	return (tag == 1 && (v == 3 || v == 6)) || (tag == 3 && v >= 4 && v <= 6);
}

static bool
pgp_armored(const guint8 *d, size_t len)
{
	static const char armor[] = "-----BEGIN PGP MESSAGE-----";
	size_t i = 0;

	while (i < len && i < 256 && g_ascii_isspace(d[i]))
		i++;
	return len - i >= sizeof armor - 1 && memcmp(d + i, armor, sizeof armor - 1) == 0;
}

static void
check_pgp(mg_classification *c, const guint8 *d, size_t len, const char *base)
{
	bool unknown = strcmp(c->true_type, MG_OCTET_STREAM) == 0 ||
		       strstr(c->true_type, "pgp") != NULL;

	if (strcmp(base, "application/pgp-encrypted") == 0 || pgp_armored(d, len) ||
	    (unknown && pgp_binary(d, len))) {
		mg_finding(c, "pgp_encrypted");
		c->encrypted = c->cannot_inspect = true;
	}
}

/* ---- the whole ---------------------------------------------------------- */

void
mg_finding(mg_classification *c, const char *code)
{
	if (!mg_classification_has(c, code))
		g_ptr_array_add(c->findings, g_strdup(code));
}

bool
mg_classification_has(const mg_classification *c, const char *code)
{
	for (guint i = 0; c && i < c->findings->len; i++)
		if (strcmp(g_ptr_array_index(c->findings, i), code) == 0)
			return true;
	return false;
}

static void
member_free(gpointer p)
{
	mg_member *m = p;

	g_free(m->name);
	g_free(m);
}

static mg_classification *
classification_new(void)
{
	mg_classification *c = g_new0(mg_classification, 1);

	c->findings = g_ptr_array_new_with_free_func(g_free);
	c->members = g_ptr_array_new_with_free_func(member_free);
	c->extracted = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	c->extracted_names = g_ptr_array_new_with_free_func(g_free);
	return c;
}

void
mg_classification_free(mg_classification *c)
{
	if (!c)
		return;
	g_free(c->true_type);
	g_ptr_array_free(c->findings, TRUE);
	g_ptr_array_free(c->members, TRUE);
	g_ptr_array_free(c->extracted, TRUE);
	g_ptr_array_free(c->extracted_names, TRUE);
	g_free(c);
}

static const mg_config *
default_config(void)
{
	static gsize once;
	static mg_config *def;

	if (g_once_init_enter(&once)) {
		def = mg_config_new_defaults();
		g_once_init_leave(&once, 1);
	}
	return def;
}

/* The signature of a binary format at the start of a part declared text. */
static bool
looks_binary(const guint8 *d, size_t len)
{
	static const struct {
		size_t off;
		const char *sig;
		size_t n;
	} sigs[] = {
		{ 0, "MZ", 2 }, { 0, "\x7f" "ELF", 4 }, { 0, "%PDF-", 5 },
		{ 0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8 }, { 0, "PK\x03\x04", 4 },
		{ 0, "Rar!\x1a\x07", 6 }, { 0, "7z\xBC\xAF\x27\x1C", 6 },
		{ 0, "\x1f\x8b", 2 }, { 0, "MSCF", 4 }, { 2, "-lh", 3 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		if (len >= sigs[i].off + sigs[i].n &&
		    memcmp(d + sigs[i].off, sigs[i].sig, sigs[i].n) == 0)
			return true;
	return false;
}

/* Sets c->true_type; true when libmagic decided it. */
static bool
find_true_type(mg_classification *c, const guint8 *d, size_t len, const char *base)
{
	bool text = g_str_has_prefix(base, "text/") || g_str_has_prefix(base, "message/");

	if (len == 0) {
		c->true_type = g_strdup("application/x-empty");
		return false;
	}
	if (text && !looks_binary(d, len)) {
		c->true_type = g_strdup(base);
		return false;
	}
	c->true_type = g_strdup(mg_magic_type(d, len, false));
	return true;
}

static void
check_type(mg_classification *c, const char *filename, const char *base,
	   const mg_config *cfg, bool magic)
{
	if (mg_type_is_executable(c->true_type) || mg_type_is_executable(base)) {
		c->banned = true;
		mg_finding(c, "executable");
	}
	if (!magic)
		return;
	family real = family_of_type(c->true_type);
	if (contradicts(family_of_name(filename, cfg), real) ||
	    contradicts(family_of_type(base), real)) {
		c->type_mismatch = true;
		mg_finding(c, "type_mismatch");
	}
}

mg_classification *
mg_classify(const guint8 *data, size_t len, const char *filename,
	    const char *declared_type, const mg_config *cfg)
{
	mg_classification *c = classification_new();
	char *base = base_type(declared_type);
	static const guint8 none[1];

	if (!cfg)
		cfg = default_config();
	if (!data) {
		data = none;
		len = 0;
	}
	check_name(c, filename, cfg);
	bool magic = find_true_type(c, data, len, base);
	check_documents(c, data, len);
	check_smime(c, data, len, declared_type, base, filename);
	check_pgp(c, data, len, base);
	if (mg_type_is_archive(c->true_type))
		mg_archive_inspect(c, data, len, c->true_type, filename, cfg);
	check_type(c, filename, base, cfg, magic);
	g_free(base);
	return c;
}
