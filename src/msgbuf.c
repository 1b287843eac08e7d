/*
 * msgbuf.c - message assembly with a bounded memory footprint (see msgbuf.h).
 *
 * SYNOPSIS
 *	mg_msgbuf *mg_msgbuf_new(size_t mem_limit, const char *tmpdir);
 *	void mg_msgbuf_header(mg_msgbuf *b, const char *name, const char *value,
 *			      bool leadspc);
 *	void mg_msgbuf_body(mg_msgbuf *b, const void *data, size_t len);
 *	bool mg_msgbuf_finish(mg_msgbuf *b, const char **data, size_t *len,
 *			      char **err);
 *	void mg_msgbuf_free(mg_msgbuf *b);
 *
 * DESCRIPTION
 *	Bytes go to a GByteArray until the next append would pass mem_limit;
 *	then the buffer is moved to a temporary file opened with O_TMPFILE
 *	(or mkstemp() and an immediate unlink() where O_TMPFILE is not
 *	supported), mode 0600, so no name of it is ever visible and it is
 *	gone when closed, also after a crash.  Later bytes are written there
 *	directly.  mg_msgbuf_finish() maps the file read-only.
 *
 * DIAGNOSTICS
 *	A failed write (disk full) is remembered; the remaining bytes are
 *	counted but dropped, and mg_msgbuf_finish() reports the error.
 */
#include "msgbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct mg_msgbuf {
	GByteArray *mem;         /* NULL once spilled */
	int fd;                  /* spill file, or -1 */
	size_t size;             /* bytes appended */
	size_t limit;
	char *tmpdir;
	GPtrArray *headers;      /* mg_rcvd_header* */
	GHashTable *counts;      /* lower-case name -> count */
	bool body_started;
	char *error;             /* first spill error */
	void *map;
	size_t map_len;
};

static void rcvd_header_free(gpointer p)
{
	mg_rcvd_header *h = p;

	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

mg_msgbuf *mg_msgbuf_new(size_t mem_limit, const char *tmpdir)
{
	mg_msgbuf *b = g_new0(mg_msgbuf, 1);
	const char *env = getenv("TMPDIR");

	b->mem = g_byte_array_new();
	b->fd = -1;
	b->limit = mem_limit;
	b->tmpdir = g_strdup(tmpdir ? tmpdir : env && *env == '/' ? env : "/tmp");
	b->headers = g_ptr_array_new_with_free_func(rcvd_header_free);
	b->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return b;
}

void mg_msgbuf_free(mg_msgbuf *b)
{
	if (!b)
		return;
	if (b->map)
		munmap(b->map, b->map_len);
	if (b->fd >= 0)
		close(b->fd);
	if (b->mem)
		g_byte_array_free(b->mem, TRUE);
	g_ptr_array_free(b->headers, TRUE);
	g_hash_table_destroy(b->counts);
	g_free(b->tmpdir);
	g_free(b->error);
	g_free(b);
}

static void fail(mg_msgbuf *b, const char *what, int err)
{
	if (!b->error)
		b->error = g_strdup_printf("%s in %s: %s", what, b->tmpdir, g_strerror(err));
}

static bool write_all(int fd, const guint8 *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* A private, already unlinked file in tmpdir; -1 on failure. */
static int open_private(const char *dir)
{
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	char *path = g_build_filename(dir, "mugaika-msg.XXXXXX", NULL);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		unlink(path);
	g_free(path);
	return fd;
}

static void spill(mg_msgbuf *b)
{
	b->fd = open_private(b->tmpdir);
	if (b->fd < 0)
		fail(b, "cannot create a temporary file", errno);
	else if (!write_all(b->fd, b->mem->data, b->mem->len))
		fail(b, "cannot write a temporary file", errno);
	g_byte_array_free(b->mem, TRUE);
	b->mem = NULL;
}

static void append(mg_msgbuf *b, const void *data, size_t len)
{
	b->size += len;
	if (b->mem && b->mem->len + len > b->limit)
		spill(b);
	if (b->error)
		return;
	if (b->mem)
		g_byte_array_append(b->mem, data, (guint)len);
	else if (!write_all(b->fd, data, len))
		fail(b, "cannot write a temporary file", errno);
}

void mg_msgbuf_header(mg_msgbuf *b, const char *name, const char *value, bool leadspc)
{
	mg_rcvd_header *h = g_new0(mg_rcvd_header, 1);
	char *key = g_ascii_strdown(name, -1);
	GString *line = g_string_new(name);

	h->name = g_strdup(name);
	h->value = g_strdup(value);
	h->index = GPOINTER_TO_UINT(g_hash_table_lookup(b->counts, key)) + 1;
	g_hash_table_replace(b->counts, key, GUINT_TO_POINTER(h->index));
	g_ptr_array_add(b->headers, h);

	g_string_append(line, leadspc ? ":" : ": ");
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			g_string_append_c(line, '\r');
		g_string_append_c(line, *p);
	}
	g_string_append(line, "\r\n");
	append(b, line->str, line->len);
	g_string_free(line, TRUE);
}

static void start_body(mg_msgbuf *b)
{
	if (!b->body_started) {
		b->body_started = true;
		append(b, "\r\n", 2);
	}
}

void mg_msgbuf_body(mg_msgbuf *b, const void *data, size_t len)
{
	start_body(b);
	append(b, data, len);
}

bool mg_msgbuf_finish(mg_msgbuf *b, const char **data, size_t *len, char **err)
{
	start_body(b);
	if (!b->error && !b->mem && !b->map) {
		b->map = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, b->fd, 0);
		if (b->map == MAP_FAILED) {
			b->map = NULL;
			fail(b, "cannot map the temporary file", errno);
		} else {
			b->map_len = b->size;
		}
	}
	if (b->error) {
		*err = g_strdup(b->error);
		return false;
	}
	*data = b->mem ? (const char *)b->mem->data : b->map;
	*len = b->size;
	return true;
}

const GPtrArray *mg_msgbuf_headers(const mg_msgbuf *b)
{
	return b->headers;
}

size_t mg_msgbuf_size(const mg_msgbuf *b)
{
	return b->size;
}

bool mg_msgbuf_spilled(const mg_msgbuf *b)
{
	return b->fd >= 0 || b->error;
}
