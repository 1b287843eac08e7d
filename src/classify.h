/*
 * classify.h - what a removed part really is: true file type (libmagic),
 * file-name checks, archive contents (libarchive), encryption.
 *
 * mg_classify() looks at the decoded bytes of one non-text part, its
 * (decoded) file name and its declared type, and returns findings the
 * engine puts into the verdict and the notice.  libmagic handles are per
 * thread (created on first use in each thread); libmagic is never run on
 * text parts.  The result is the caller's (mg_classification_free).
 */
#ifndef MG_CLASSIFY_H
#define MG_CLASSIFY_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* One member of an archive. */
typedef struct {
	char *name;          /* decoded, display-safe (mg_name_display) */
	guint64 size;        /* uncompressed size as the archive states it */
	bool encrypted;
	unsigned depth;      /* 1 for members of the part itself, 2 inside a nested archive, ... */
} mg_member;

typedef struct {
	char *true_type;        /* libmagic MIME type, e.g. "application/x-dosexec" */
	bool type_mismatch;     /* declared type / extension / true type disagree */
	bool encrypted;         /* password ZIP/7z/RAR, encrypted PDF or Office */
	bool cannot_inspect;    /* an archive that cannot be read fully, S/MIME/PGP */
	bool banned;            /* executable or script by name or type (configurable) */
	GPtrArray *findings;    /* char*: short codes: "double_extension", "bidi_name",
				   "trailing_dot", "executable", "clsid_name",
				   "type_mismatch", "archive_bomb", "archive_depth",
				   "encrypted_archive", "encrypted_document", ... */
	GPtrArray *members;     /* mg_member*, archive listing (empty if not an archive) */
	GPtrArray *extracted;   /* GBytes*: members that libclamav cannot unpack itself
				   (RAR, LZH, ...), extracted within the limits for scanning */
	GPtrArray *extracted_names; /* char*: display-safe name of each extracted[i] */
} mg_classification;

mg_classification *mg_classify(const guint8 *data, size_t len, const char *filename,
			       const char *declared_type, const mg_config *cfg);
void mg_classification_free(mg_classification *c);

/* True when c->findings holds code. */
bool mg_classification_has(const mg_classification *c, const char *code);

/* Frees this thread's libmagic handle now (it is also freed when a GLib or
 * pthread thread exits; the main thread calls this before exit so that
 * LeakSanitizer sees nothing).  The next mg_classify() in the thread makes a
 * new one. */
void mg_classify_thread_cleanup(void);

/*
 * Details of the contract above, as implemented (classify.c, archive.c; their
 * top comments say more):
 *  - filename may be NULL, declared_type NULL or a whole Content-Type value
 *    ("application/pkcs7-mime; smime-type=enveloped-data"); cfg NULL means
 *    the defaults.  data may be NULL when len is 0.
 *  - true_type is never NULL: libmagic's type, "application/x-empty" for no
 *    bytes, "application/octet-stream" when libmagic cannot tell (or cannot
 *    be loaded).  A part declared text/ or message/ is not given to
 *    libmagic: its true type is the declared one, unless its first bytes
 *    carry the signature of a binary format (MZ, ELF, PDF, OLE2, zip, rar,
 *    7z, gzip, cab, lzh), in which case libmagic does look at it.
 *  - findings are distinct codes, in the order found:
 *      executable          banned extension, or libmagic / the declared type
 *                          says executable or script (banned = true)
 *      double_extension    a decoy extension before a banned one (a.pdf.exe)
 *      bidi_name           bidi controls in the name
 *      trailing_dot        the name ends in dots or spaces
 *      clsid_name          the name ends in ".{CLSID}" (banned = true)
 *      suspicious_name     other control or invisible characters in the name
 *      type_mismatch       libmagic's type contradicts the extension or the
 *                          declared type (type_mismatch = true)
 *      encrypted_document  password PDF or Office file (encrypted, cannot_inspect)
 *      smime_encrypted     S/MIME enveloped data (encrypted, cannot_inspect)
 *      smime_opaque        opaque-signed S/MIME: content inside the signature
 *                          (cannot_inspect)
 *      pgp_encrypted       OpenPGP encrypted data (encrypted, cannot_inspect)
 *      encrypted_archive   an archive entry is encrypted (encrypted, cannot_inspect)
 *      archive_unreadable  an archive could not be read to its end (cannot_inspect)
 *      archive_bomb        more than archive_max_members entries, more than
 *                          archive_max_size bytes, or a ratio above
 *                          archive_max_ratio (cannot_inspect; reading stops)
 *      archive_depth       an archive nested deeper than archive_max_depth
 *                          (cannot_inspect)
 *      archive_executable  a member that is an executable by name or type
 *                          (banned = true)
 *      archive_suspicious_name  a member name with a double extension, bidi
 *                          or invisible characters, trailing dots, a CLSID
 *  - members lists files and other non-directory entries, at most
 *    archive_max_members of them; size is the stated size, or the bytes read
 *    when the archive states none.  Names are paths, decoded (UTF-8 as is,
 *    other bytes as CP932, as Japanese Windows writes them), each component
 *    made safe by mg_name_display() and joined with '/' ("docs/a.txt"; the
 *    base name alone after "…/" when longer than MG_NAME_MAX_CHARS).  The
 *    member of a lone gzip/bzip2/xz stream is named after the part less
 *    that extension ("notes.txt.gz" -> "notes.txt").
 *  - extracted holds the members (at any depth) of archives libclamav does
 *    not unpack itself: RAR (no libclamunrar in Debian main), 7z, LZH, zstd,
 *    compress, lzip, LZMA or PPMd zip members and other formats (archive.c,
 *    clamav_unpacks()); encrypted members are not extracted.  Their bytes
 *    count against archive_max_size.
 */

#endif
