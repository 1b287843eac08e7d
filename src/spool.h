/*
 * spool.h - the file side of the quarantine: one durable file per kept
 * original, optionally encrypted at rest.  Used only by quarantine.c;
 * everything else goes through quarantine.h.
 *
 * Layout: quarantine_dir/YYYYMMDD/ID (the day is the ID's own first eight
 * characters), directories 0700 and files 0600.  A file is written as
 * YYYYMMDD/.tmp-ID-XXXXXX, fsync'd, renamed to its ID without ever
 * replacing an existing file, and the day directory fsync'd.
 *
 * File format (version 1): a text header, then the payload.
 *
 *	MUGAIKA-ORIGINAL 1\n
 *	id: 20260101T000000Z-ABCDEFGH\n
 *	key: -\n                        (or the key id, e.g. "key: 2026a")
 *	nonce: <24 hex digits>\n        (only when encrypted)
 *	meta-length: <bytes>\n
 *	message-length: <bytes>\n
 *	\n
 *	payload: the metadata JSON (meta-length bytes: envelope, verdict,
 *	sha256, retry key) immediately followed by the original message
 *	(message-length bytes, exactly as the MTA handed it over).
 *
 * Unencrypted, the original is the file's last message-length bytes
 * (tail -c).  Encrypted (AES-256-GCM, a random 96-bit nonce per file, the
 * header from its first byte through the blank line as additional
 * authenticated data), the payload is ciphertext of the same length
 * followed by the 16-byte tag; changing any byte of the file, header
 * included, makes it unreadable rather than different.
 *
 * Keys: quarantine_key_file holds lines "KEYID HEX" (HEX: 64 hex digits,
 * a 256-bit key; KEYID: 1 to 32 of A-Z a-z 0-9 . _ -); blank lines and
 * '#' comments are allowed.  The last key is the current one, used for new
 * files; every key listed can read the files written with it.  The file
 * must be a regular file, not a symlink, and not readable by others.
 *
 * Strings returned are the caller's (g_free); errors are full sentences
 * naming the path, returned in *err.
 */
#ifndef MG_SPOOL_H
#define MG_SPOOL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MG_SPOOL_MAGIC "MUGAIKA-ORIGINAL 1"
#define MG_SPOOL_KEY_ID_MAX 32

typedef struct mg_spool mg_spool;

/* Opens the spool directory dir.  writable: creates it 0700 (with missing
 * parents) when absent, and requires it to be owned by the effective user,
 * closed to group and others, and writable.  key_file: NULL or "" for no
 * encryption.  NULL with *err on failure. */
mg_spool *mg_spool_open(const char *dir, const char *key_file, bool writable,
			char **err);
void mg_spool_close(mg_spool *sp);

/* The key id new files are encrypted with, or NULL (borrowed). */
const char *mg_spool_current_key(const mg_spool *sp);

/* Writes meta and the original durably under id (which the caller has
 * validated).  Returns the file's name relative to the spool,
 * "YYYYMMDD/ID"; NULL with *err when it is not durably written (nothing is
 * left behind then). */
char *mg_spool_write(mg_spool *sp, const char *id, const char *meta,
		     size_t meta_len, const char *raw, size_t len, char **err);

/* mg_spool_write without the last step: the file is written, fsync'd and
 * renamed into place, but the day directory is not fsync'd, so the new
 * name may not survive a crash until mg_spool_sync_day() on it has
 * returned true.  Same return and errors. */
char *mg_spool_place(mg_spool *sp, const char *id, const char *meta,
		     size_t meta_len, const char *raw, size_t len, char **err);

/* fsyncs the day directory of name (as mg_spool_place returned it): the
 * names placed in it before the call are durable when it returns true. */
bool mg_spool_sync_day(mg_spool *sp, const char *name, char **err);

/* Reads the file name (as mg_spool_write returned it) kept under id:
 * *meta (NUL-terminated) and *raw (len bytes plus a NUL not counted); either
 * may be NULL when not wanted.  *key_id gets the file's key id or NULL (may
 * be NULL).  False with *err when missing, malformed, not under id, or
 * not decryptable (wrong or unknown key, changed bytes). */
bool mg_spool_read(mg_spool *sp, const char *name, const char *id,
		   char **meta, char **raw, size_t *len, char **key_id,
		   char **err);

/* Removes a file written by mg_spool_write and syncs its directory. */
bool mg_spool_unlink(mg_spool *sp, const char *name, char **err);

/* Temporary files a crash left behind (YYYYMMDD/.tmp-*, regular files
 * last changed before `before`; never an original, never indexed):
 * removed unless dry_run.  Returns how many were (or would be) removed;
 * *failed counts those that could not be, the first named in *err. */
guint mg_spool_sweep_temps(mg_spool *sp, time_t before, bool dry_run, guint *failed,
			   char **err);

#endif
