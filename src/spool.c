/*
 * spool.c - quarantine files: durable writes, reads, keys, AES-256-GCM.
 *
 * SYNOPSIS
 *	mg_spool *mg_spool_open(dir, key_file, writable, &err);
 *	void mg_spool_close(sp);
 *	const char *mg_spool_current_key(sp);
 *	char *mg_spool_write(sp, id, meta, meta_len, raw, len, &err);
 *	char *mg_spool_place(sp, id, meta, meta_len, raw, len, &err);
 *	bool mg_spool_sync_day(sp, name, &err);
 *	bool mg_spool_read(sp, name, id, &meta, &raw, &len, &key_id, &err);
 *	bool mg_spool_unlink(sp, name, &err);
 *	guint mg_spool_sweep_temps(sp, before, dry_run, &failed, &err);
 *
 * DESCRIPTION
 *	The file format, the layout and the key file are described in
 *	spool.h.  Every file is reached with *at() calls from a descriptor of
 *	the spool directory opened with O_NOFOLLOW; the day directory and the
 *	file are opened with O_NOFOLLOW too, and every name is made here from
 *	the ID, so nothing outside the spool is ever touched and nothing from
 *	a message becomes a path.
 *
 *	A write is: temp file (O_EXCL, 0600) -> write -> fsync -> close ->
 *	rename to the ID without replacing (renameat2 RENAME_NOREPLACE, or
 *	link+unlink where the file system lacks it) -> fsync of the day
 *	directory.  mg_spool_place() stops before that last fsync, so that
 *	the keeper (keeper.c) syncs a day directory once for all the files
 *	placed in it meanwhile (mg_spool_sync_day()).  A new day directory
 *	is created 0700 and its parent fsync'd before the file goes in.  Any
 *	failure removes what was written.  After a crash, a stray
 *	YYYYMMDD/.tmp-* file (or, before its directory sync, an ID file) may
 *	remain; it was never indexed and is safe to delete:
 *	mg_spool_sweep_temps() (mugaika purge) removes the temporary ones.
 *
 *	Encryption streams in 64 KB chunks, so a large original is never
 *	held twice in memory while it is written.  Nonces are 96 random bits
 *	per file (RAND_bytes): rotate the key before 2^32 files.  Temp file
 *	suffixes come from mg_qmeta_random() (getrandom, buffered).
 *
 * DIAGNOSTICS
 *	Every failure returns false/NULL with *err, a sentence that names
 *	quarantine_dir or quarantine_key_file and says what failed and why
 *	(strerror).  Key material never appears in a message.
 *
 * MEMORY
 *	GLib allocation (aborts on out-of-memory).  Keys are wiped with
 *	OPENSSL_cleanse when the spool is closed.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "qmeta.h"

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define CHUNK (64 * 1024)
#define HEADER_MAX 512
#define KEY_FILE_MAX (64 * 1024)
#define DAY_LEN 8

typedef struct {
	char id[MG_SPOOL_KEY_ID_MAX + 1];
	unsigned char key[KEY_BYTES];
} spool_key;

struct mg_spool {
	char *dir;
	int dirfd;
	GArray *keys;		/* spool_key; the last is current; NULL: none */
};

/* A part of the payload: the metadata or the message. */
typedef struct {
	const char *p;
	size_t n;
} piece;

/* What a file's header says. */
typedef struct {
	char key_id[MG_SPOOL_KEY_ID_MAX + 1];	/* "" when not encrypted */
	unsigned char nonce[NONCE_BYTES];
	size_t meta_len, msg_len;
	size_t header_len;	/* bytes through the blank line */
} file_head;

static bool
fail_at(char **err, const mg_spool *sp, const char *name, const char *what, int e)
{
	*err = g_strdup_printf("quarantine_dir %s: %s%s%s: %s", sp->dir,
			       name ? name : "", name ? ": " : "", what, g_strerror(e));
	return false;
}

static bool
fail_msg(char **err, const mg_spool *sp, const char *name, const char *what)
{
	*err = g_strdup_printf("quarantine_dir %s: %s: %s", sp->dir, name, what);
	return false;
}

/* ---- keys ---------------------------------------------------------------- */

static bool
key_error(char **err, const char *path, int line, const char *what)
{
	*err = line ? g_strdup_printf("quarantine_key_file %s:%d: %s", path, line, what)
		    : g_strdup_printf("quarantine_key_file %s: %s", path, what);
	return false;
}

static bool
valid_key_id(const char *s, size_t n)
{
	if (n == 0 || n > MG_SPOOL_KEY_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static const spool_key *
find_key(const mg_spool *sp, const char *id)
{
	for (guint i = 0; sp->keys && i < sp->keys->len; i++) {
		const spool_key *k = &g_array_index(sp->keys, spool_key, i);
		if (strcmp(k->id, id) == 0)
			return k;
	}
	return NULL;
}

/* One line "KEYID HEX", a comment or a blank line. */
static bool
parse_key_line(mg_spool *sp, char *line, const char *path, int lineno, char **err)
{
	char *p = g_strstrip(line);
	if (!*p || *p == '#')
		return true;
	size_t idlen = strcspn(p, " \t");
	char *hex = p + idlen + strspn(p + idlen, " \t");
	spool_key k = { "", { 0 } };
	bool ok = true;

	if (!valid_key_id(p, idlen))
		ok = key_error(err, path, lineno, "the key id must be 1 to 32 of "
			       "A-Z a-z 0-9 . _ - followed by the key");
	else if (!hex_decode(hex, k.key, KEY_BYTES))
		ok = key_error(err, path, lineno, "the key must be 64 hex digits "
			       "(256 bits) after the key id");
	if (ok) {
		memcpy(k.id, p, idlen);
		if (find_key(sp, k.id))
			ok = key_error(err, path, lineno, "the key id is used twice");
		else
			g_array_append_val(sp->keys, k);
	}
	OPENSSL_cleanse(&k, sizeof k);
	return ok;
}

/* The key file's text, after checking what it is; NULL with *err. */
static char *
read_key_file(const char *path, char **err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;

	if (fd < 0) {
		key_error(err, path, 0, errno == ELOOP ? "is a symbolic link"
			  : g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		key_error(err, path, 0, "is not a regular file");
	else if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		char *what = g_strdup_printf("has mode %04o: it must not be open to "
					     "others nor writable by its group "
					     "(chmod 0600 %s)", (unsigned)(st.st_mode & 07777), path);
		key_error(err, path, 0, what);
		g_free(what);
	} else if (st.st_size > KEY_FILE_MAX)
		key_error(err, path, 0, "is too large to be a key file");
	else {
		buf = g_malloc0((size_t)st.st_size + 1);
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			key_error(err, path, 0, n < 0 ? g_strerror(errno) : "short read");
			g_free(buf);
			buf = NULL;
		}
	}
	close(fd);
	return buf;
}

static bool
load_keys(mg_spool *sp, const char *path, char **err)
{
	char *text = read_key_file(path, err);
	bool ok = text != NULL;

	if (!ok)
		return false;
	size_t textlen = strlen(text);
	sp->keys = g_array_new(FALSE, TRUE, sizeof(spool_key));
	char **lines = g_strsplit(text, "\n", -1);
	for (int i = 0; ok && lines[i]; i++)
		ok = parse_key_line(sp, lines[i], path, i + 1, err);
	for (int i = 0; lines[i]; i++)
		OPENSSL_cleanse(lines[i], strlen(lines[i]));
	g_strfreev(lines);
	OPENSSL_cleanse(text, textlen);
	g_free(text);
	if (ok && sp->keys->len == 0)
		ok = key_error(err, path, 0, "holds no key (lines \"KEYID HEX\")");
	return ok;
}

const char *
mg_spool_current_key(const mg_spool *sp)
{
	if (!sp->keys || !sp->keys->len)
		return NULL;
	return g_array_index(sp->keys, spool_key, sp->keys->len - 1).id;
}

/* ---- opening ------------------------------------------------------------- */

/* Creates dir 0700 (and missing parents) when it does not exist. */
static bool
create_dir(mg_spool *sp, char **err)
{
	if (mkdir(sp->dir, 0700) != 0) {
		if (errno == EEXIST)
			return true;
		if (errno != ENOENT || g_mkdir_with_parents(sp->dir, 0700) != 0)
			return fail_at(err, sp, NULL, "cannot create the directory", errno);
	}
	if (chmod(sp->dir, 0700) != 0)
		return fail_at(err, sp, NULL, "chmod", errno);
	return true;
}

/* Ownership, mode and access of the open spool directory. */
static bool
check_dir(mg_spool *sp, char **err)
{
	struct stat st;

	if (fstat(sp->dirfd, &st) != 0)
		return fail_at(err, sp, NULL, "stat", errno);
	if (st.st_uid != geteuid()) {
		*err = g_strdup_printf("quarantine_dir %s: is owned by uid %u, but "
				       "mugaika runs as uid %u: run it as the service "
				       "user, or chown the directory", sp->dir,
				       (unsigned)st.st_uid, (unsigned)geteuid());
		return false;
	}
	if (st.st_mode & 077) {
		*err = g_strdup_printf("quarantine_dir %s: has mode %04o: it must be "
				       "closed to group and others (chmod 0700 %s)",
				       sp->dir, (unsigned)(st.st_mode & 07777), sp->dir);
		return false;
	}
	if (faccessat(sp->dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0)
		return fail_at(err, sp, NULL, "cannot write into it", errno);
	return true;
}

mg_spool *
mg_spool_open(const char *dir, const char *key_file, bool writable, char **err)
{
	mg_spool *sp = g_new0(mg_spool, 1);
	bool ok;

	sp->dir = g_strdup(dir);
	sp->dirfd = -1;
	ok = !writable || create_dir(sp, err);
	if (ok) {
		sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sp->dirfd < 0)
			ok = fail_at(err, sp, NULL, "cannot open the directory", errno);
	}
	if (ok && writable)
		ok = check_dir(sp, err);
	if (ok && key_file && *key_file)
		ok = load_keys(sp, key_file, err);
	if (!ok) {
		mg_spool_close(sp);
		return NULL;
	}
	return sp;
}

void
mg_spool_close(mg_spool *sp)
{
	if (!sp)
		return;
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	if (sp->keys) {
		OPENSSL_cleanse(sp->keys->data, sp->keys->len * sizeof(spool_key));
		g_array_free(sp->keys, TRUE);
	}
	g_free(sp->dir);
	g_free(sp);
}

/* ---- writing ------------------------------------------------------------- */

/* 0 when all of buf went out, else the errno. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
random_bytes(unsigned char *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) == 1)
		return;
	g_error("spool: the random number generator failed");
}

/* ".tmp-ID-xxxxxx" (O_EXCL makes a clash fail, not overwrite: the suffix
 * needs no cryptographic randomness) */
static char *
temp_name(const char *id)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];
	char suffix[sizeof r + 1];

	mg_qmeta_random(r, sizeof r);
	for (size_t i = 0; i < sizeof r; i++)
		suffix[i] = alphabet[r[i] % (sizeof alphabet - 1)];
	suffix[sizeof r] = '\0';
	return g_strdup_printf(".tmp-%s-%s", id, suffix);
}

static GString *
file_header(const char *id, const spool_key *key, const unsigned char *nonce,
	    size_t meta_len, size_t len)
{
	GString *h = g_string_new(MG_SPOOL_MAGIC "\n");

	g_string_append_printf(h, "id: %s\nkey: %s\n", id, key ? key->id : "-");
	if (key) {
		g_string_append(h, "nonce: ");
		for (size_t i = 0; i < NONCE_BYTES; i++)
			g_string_append_printf(h, "%02x", nonce[i]);
		g_string_append_c(h, '\n');
	}
	g_string_append_printf(h, "meta-length: %zu\nmessage-length: %zu\n\n",
			       meta_len, len);
	return h;
}

/* Encrypts the pieces to fd, then appends the tag; 0 or an errno (EIO for
 * a failure inside OpenSSL). */
static int
write_sealed(int fd, const spool_key *key, const unsigned char *nonce,
	     const GString *aad, const piece *pieces, size_t npieces)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char *out = g_malloc(CHUNK), tag[TAG_BYTES];
	int outl = 0, e = 0;

	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad->str,
			      (int)aad->len) != 1)
		e = EIO;
	for (size_t i = 0; !e && i < npieces; i++) {
		for (size_t off = 0; !e && off < pieces[i].n; off += CHUNK) {
			size_t n = MIN((size_t)CHUNK, pieces[i].n - off);
			if (EVP_EncryptUpdate(ctx, out, &outl, (const unsigned char *)
					      pieces[i].p + off, (int)n) != 1)
				e = EIO;
			else
				e = write_all(fd, out, (size_t)outl);
		}
	}
	if (!e && (EVP_EncryptFinal_ex(ctx, out, &outl) != 1 ||
		   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) != 1))
		e = EIO;
	if (!e)
		e = write_all(fd, tag, TAG_BYTES);
	EVP_CIPHER_CTX_free(ctx);
	g_free(out);
	return e;
}

/* Header and payload to fd, plain or sealed with the current key. */
static int
write_payload(const mg_spool *sp, int fd, const char *id, const piece *pieces)
{
	const spool_key *key = NULL;
	unsigned char nonce[NONCE_BYTES];

	if (sp->keys && sp->keys->len) {
		key = &g_array_index(sp->keys, spool_key, sp->keys->len - 1);
		random_bytes(nonce, sizeof nonce);
	}
	GString *h = file_header(id, key, nonce, pieces[0].n, pieces[1].n);
	int e = write_all(fd, h->str, h->len);
	if (!e && key)
		e = write_sealed(fd, key, nonce, h, pieces, 2);
	for (int i = 0; !e && !key && i < 2; i++)
		e = write_all(fd, pieces[i].p, pieces[i].n);
	g_string_free(h, TRUE);
	return e;
}

/* The day directory's descriptor, created 0700 (parent fsync'd) when new. */
static int
day_dir(mg_spool *sp, const char *day, char **err)
{
	int fd = openat(sp->dirfd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			fail_at(err, sp, day, "cannot open the directory", errno);
		return fd;
	}
	if (mkdirat(sp->dirfd, day, 0700) != 0 && errno != EEXIST) {
		fail_at(err, sp, day, "cannot create the directory", errno);
		return -1;
	}
	fd = openat(sp->dirfd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail_at(err, sp, day, "cannot open the directory", errno);
	else if (fchmod(fd, 0700) != 0 || fsync(sp->dirfd) != 0) {
		fail_at(err, sp, day, "cannot make the new directory durable", errno);
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Writes the temp file tmp in dfd completely and durably. */
static bool
write_temp(mg_spool *sp, int dfd, const char *shown, const char *tmp,
	   const char *id, const piece *pieces, char **err)
{
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return fail_at(err, sp, shown, "cannot create a file", errno);
	int e = fchmod(fd, 0600) != 0 ? errno : 0;
	if (!e)
		e = write_payload(sp, fd, id, pieces);
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (e == EIO && sp->keys)
		return fail_at(err, sp, shown, "cannot write and encrypt", e);
	return e ? fail_at(err, sp, shown, "cannot write", e) : true;
}

/* Renames tmp to id in dfd without ever replacing an existing file. */
static bool
place(mg_spool *sp, int dfd, const char *tmp, const char *name, const char *id,
      char **err)
{
	if (renameat2(dfd, tmp, dfd, id, RENAME_NOREPLACE) == 0)
		return true;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return fail_at(err, sp, name, "cannot rename into place", errno);
	if (linkat(dfd, tmp, dfd, id, 0) != 0)
		return fail_at(err, sp, name, "cannot link into place", errno);
	unlinkat(dfd, tmp, 0);
	return true;
}

/* Writes the file of id durably and renames it into place; the day
 * directory's entry for it is not yet synced when sync_dir is false. */
static char *
spool_write(mg_spool *sp, const char *id, const char *meta, size_t meta_len,
	    const char *raw, size_t len, bool sync_dir, char **err)
{
	char *day = g_strndup(id, DAY_LEN);
	int dfd = day_dir(sp, day, err);

	if (dfd < 0) {
		g_free(day);
		return NULL;
	}
	piece pieces[2] = { { meta, meta_len }, { raw, len } };
	char *tmp = temp_name(id), *name = g_strdup_printf("%s/%s", day, id);
	char *shown = g_strdup_printf("%s/%s", day, tmp);
	bool written = write_temp(sp, dfd, shown, tmp, id, pieces, err);
	bool placed = written && place(sp, dfd, tmp, name, id, err);
	bool ok = placed && (!sync_dir || fsync(dfd) == 0 ||
			     fail_at(err, sp, day, "fsync", errno));

	if (!placed)
		unlinkat(dfd, tmp, 0);
	else if (!ok)
		unlinkat(dfd, id, 0);
	close(dfd);
	g_free(shown);
	g_free(tmp);
	g_free(day);
	if (!ok)
		g_clear_pointer(&name, g_free);
	return name;
}

char *
mg_spool_write(mg_spool *sp, const char *id, const char *meta, size_t meta_len,
	       const char *raw, size_t len, char **err)
{
	return spool_write(sp, id, meta, meta_len, raw, len, true, err);
}

char *
mg_spool_place(mg_spool *sp, const char *id, const char *meta, size_t meta_len,
	       const char *raw, size_t len, char **err)
{
	return spool_write(sp, id, meta, meta_len, raw, len, false, err);
}

bool
mg_spool_sync_day(mg_spool *sp, const char *name, char **err)
{
	char *day = g_strndup(name, DAY_LEN);
	bool ok = strlen(day) == DAY_LEN && !strchr(day, '/') && day[0] != '.';
	int dfd = -1;

	if (!ok)
		fail_msg(err, sp, name, "is not a spool file name");
	else if ((dfd = openat(sp->dirfd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			       O_CLOEXEC)) < 0)
		ok = fail_at(err, sp, day, "cannot open the directory", errno);
	else if (fsync(dfd) != 0)
		ok = fail_at(err, sp, day, "fsync", errno);
	if (dfd >= 0)
		close(dfd);
	g_free(day);
	return ok;
}

/* ---- reading ------------------------------------------------------------- */

/* True when name is "YYYYMMDD/ID" for this id (and so a safe path). */
static bool
name_matches(const char *name, const char *id)
{
	size_t n = strlen(id);

	return n > DAY_LEN && id[0] != '.' && !strchr(id, '/') &&
	       strlen(name) == DAY_LEN + 1 + n && strncmp(name, id, DAY_LEN) == 0 &&
	       name[DAY_LEN] == '/' && strcmp(name + DAY_LEN + 1, id) == 0;
}

/* Opens name below the spool without following a symlink anywhere. */
static int
open_in_spool(mg_spool *sp, const char *name, char **err)
{
	char *day = g_strndup(name, DAY_LEN);
	int dfd = openat(sp->dirfd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd = dfd < 0 ? -1 : openat(dfd, name + DAY_LEN + 1,
				       O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		fail_at(err, sp, name, "cannot open", errno);
	if (dfd >= 0)
		close(dfd);
	g_free(day);
	return fd;
}

/* The whole file; NULL with *err. */
static unsigned char *
slurp(mg_spool *sp, const char *name, size_t *size, char **err)
{
	int fd = open_in_spool(sp, name, err);
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail_msg(err, sp, name, "is not a regular file");
		close(fd);
		return NULL;
	}
	buf = g_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail_at(err, sp, name, "cannot read", n < 0 ? errno : EIO);
			g_clear_pointer(&buf, g_free);
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return buf;
}

/* "name: value" as line *i; the value, or NULL. */
static const char *
field_value(char **lines, int *i, const char *name)
{
	const char *l = lines[*i];
	size_t n = strlen(name);

	if (!l || strncmp(l, name, n) != 0 || l[n] != ':' || l[n + 1] != ' ')
		return NULL;
	(*i)++;
	return l + n + 2;
}

static bool
parse_length(const char *s, size_t *out)
{
	guint64 n;

	if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXSIZE, &n, NULL))
		return false;
	*out = (size_t)n;
	return true;
}

static bool
parse_lines(char **lines, const char *id, file_head *h)
{
	int i = 1;
	const char *v_id = field_value(lines, &i, "id");
	const char *v_key = field_value(lines, &i, "key");
	const char *v_nonce = NULL;

	if (!v_id || !v_key || strcmp(lines[0], MG_SPOOL_MAGIC) != 0 || strcmp(v_id, id) != 0)
		return false;
	if (strcmp(v_key, "-") != 0) {
		if (!valid_key_id(v_key, strlen(v_key)))
			return false;
		strcpy(h->key_id, v_key);
		v_nonce = field_value(lines, &i, "nonce");
		if (!v_nonce || !hex_decode(v_nonce, h->nonce, NONCE_BYTES))
			return false;
	}
	return parse_length(field_value(lines, &i, "meta-length"), &h->meta_len) &&
	       parse_length(field_value(lines, &i, "message-length"), &h->msg_len) &&
	       lines[i] && !*lines[i] && !lines[i + 1];
}

/* Parses the header of a file of size bytes and checks the size adds up. */
static bool
parse_head(const unsigned char *buf, size_t size, const char *id, file_head *h)
{
	const char *end = g_strstr_len((const char *)buf, (gssize)MIN(size, HEADER_MAX), "\n\n");

	memset(h, 0, sizeof *h);
	if (!end)
		return false;
	h->header_len = (size_t)(end - (const char *)buf) + 2;
	char *text = g_strndup((const char *)buf, h->header_len - 1);
	char **lines = g_strsplit(text, "\n", -1);
	bool ok = parse_lines(lines, id, h);
	g_strfreev(lines);
	g_free(text);
	size_t body = size - h->header_len, tag = h->key_id[0] ? TAG_BYTES : 0;
	return ok && h->meta_len <= body && h->msg_len <= body - h->meta_len &&
	       h->meta_len + h->msg_len + tag == body;
}

/* Decrypts the pieces' ciphertext (in order, back to back after the header)
 * into their buffers and checks the tag. */
static bool
unseal(const spool_key *key, const file_head *h, const unsigned char *file,
       piece *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const unsigned char *ct = file + h->header_len;
	unsigned char tag[TAG_BYTES];
	int outl = 0;
	bool ok = ctx &&
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->key, h->nonce) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &outl, file, (int)h->header_len) == 1;

	for (int i = 0; ok && i < 2; i++) {
		for (size_t off = 0; ok && off < out[i].n; off += CHUNK) {
			size_t n = MIN((size_t)CHUNK, out[i].n - off);
			ok = EVP_DecryptUpdate(ctx, (unsigned char *)out[i].p + off, &outl,
					       ct + off, (int)n) == 1;
		}
		ct += out[i].n;
	}
	memcpy(tag, ct, TAG_BYTES);
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, tag, &outl) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Fills meta and raw (allocated here) from the parsed file. */
static bool
extract(mg_spool *sp, const char *name, const file_head *h,
	const unsigned char *buf, char **meta, char **raw, char **err)
{
	piece out[2];
	char *m = g_malloc(h->meta_len + 1), *r = g_malloc(h->msg_len + 1);
	bool ok = true;

	out[0] = (piece){ m, h->meta_len };
	out[1] = (piece){ r, h->msg_len };
	if (!h->key_id[0]) {
		memcpy(m, buf + h->header_len, h->meta_len);
		memcpy(r, buf + h->header_len + h->meta_len, h->msg_len);
	} else {
		const spool_key *key = find_key(sp, h->key_id);
		char *what = NULL;
		if (!key)
			what = g_strdup_printf("is encrypted with key '%s', which is not in "
					       "quarantine_key_file", h->key_id);
		else if (!unseal(key, h, buf, out))
			what = g_strdup_printf("cannot be decrypted with key '%s': the file "
					       "was changed, or the key is not the one it "
					       "was written with", h->key_id);
		if (what) {
			ok = fail_msg(err, sp, name, what);
			g_free(what);
		}
	}
	m[h->meta_len] = r[h->msg_len] = '\0';
	if (!ok) {
		OPENSSL_cleanse(r, h->msg_len);
		g_free(m);
		g_free(r);
	} else {
		*meta = m;
		*raw = r;
	}
	return ok;
}

bool
mg_spool_read(mg_spool *sp, const char *name, const char *id, char **meta,
	      char **raw, size_t *len, char **key_id, char **err)
{
	file_head h;
	size_t size = 0;
	char *m = NULL, *r = NULL;

	if (!name_matches(name, id))
		return fail_msg(err, sp, name, "is not the file name of that ID");
	unsigned char *buf = slurp(sp, name, &size, err);
	if (!buf)
		return false;
	bool ok = parse_head(buf, size, id, &h) ||
		  fail_msg(err, sp, name, "is not a quarantine file of this ID "
			   "(bad header or size)");
	ok = ok && extract(sp, name, &h, buf, &m, &r, err);
	g_free(buf);
	if (!ok)
		return false;
	if (len)
		*len = h.msg_len;
	if (key_id)
		*key_id = h.key_id[0] ? g_strdup(h.key_id) : NULL;
	if (meta)
		*meta = m;
	else
		g_free(m);
	if (raw)
		*raw = r;
	else
		g_free(r);
	return true;
}

bool
mg_spool_unlink(mg_spool *sp, const char *name, char **err)
{
	if (strlen(name) <= DAY_LEN + 1 || !name_matches(name, name + DAY_LEN + 1))
		return fail_msg(err, sp, name, "is not a spool file name");
	char *day = g_strndup(name, DAY_LEN);
	int dfd = openat(sp->dirfd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool ok = dfd >= 0 || fail_at(err, sp, day, "cannot open the directory", errno);

	ok = ok && (unlinkat(dfd, name + DAY_LEN + 1, 0) == 0 ||
		    fail_at(err, sp, name, "cannot remove", errno));
	ok = ok && (fsync(dfd) == 0 || fail_at(err, sp, day, "fsync", errno));
	if (dfd >= 0)
		close(dfd);
	g_free(day);
	return ok;
}

/* Is entry name of day directory dfd a temporary file older than before? */
static bool
stale_temp(int dfd, const char *name, time_t before)
{
	struct stat st;

	return strncmp(name, ".tmp-", 5) == 0 &&
	       fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_mtime < before;
}

/* Directory name of the spool (not a symlink) to read, or NULL. */
static DIR *
open_dir(mg_spool *sp, const char *name)
{
	int fd = openat(sp->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* Sweeps one day directory; counts as mg_spool_sweep_temps. */
static guint
sweep_day(mg_spool *sp, const char *day, time_t before, bool dry_run, guint *failed,
	  char **err)
{
	DIR *d = open_dir(sp, day);
	int dfd = d ? dirfd(d) : -1;
	guint n = 0;

	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!stale_temp(dfd, e->d_name, before))
			continue;
		if (dry_run || unlinkat(dfd, e->d_name, 0) == 0) {
			n++;
			continue;
		}
		int why = errno;
		if (why == ENOENT)	/* removed meanwhile (another purge) */
			continue;
		if (!(*failed)++ && err && !*err) {
			char *name = g_strdup_printf("%s/%s", day, e->d_name);
			fail_at(err, sp, name, "cannot remove", why);
			g_free(name);
		}
	}
	if (n && !dry_run)
		fsync(dfd);
	closedir(d);
	return n;
}

guint
mg_spool_sweep_temps(mg_spool *sp, time_t before, bool dry_run, guint *failed, char **err)
{
	DIR *d = open_dir(sp, ".");
	guint n = 0;

	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strlen(e->d_name) == DAY_LEN && strspn(e->d_name, "0123456789") == DAY_LEN)
			n += sweep_day(sp, e->d_name, before, dry_run, failed, err);
	closedir(d);
	return n;
}
