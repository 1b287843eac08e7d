/*
 * qmeta.c - the quarantine's pure parts: IDs, envelopes, retry keys,
 * header fields, the metadata JSON of a spool file.  No I/O.
 *
 * SYNOPSIS
 *	mg_envelope *mg_envelope_new(void);  void mg_envelope_free(e);
 *	char *mg_store_new_id(now);  bool mg_store_id_valid(id);
 *	char *mg_store_retry_key(raw, len, env);
 *	char *mg_store_retry_key_sha(raw, len, env, sha256);
 *	char *mg_qmeta_retry_key_v2(raw, len, env);  bool mg_qmeta_key_is_v2(key);
 *	void mg_qmeta_random(buf, n);
 *	void mg_kept_free(k);
 *	void mg_qmeta_iso_utc(t, out);  void mg_qmeta_sha256_hex(data, len, out);
 *	char *mg_qmeta_header(raw, len, name);  char *mg_qmeta_json(m);
 *
 * DESCRIPTION
 *	The contracts are in quarantine.h and qmeta.h.
 *
 *	IDs: "YYYYMMDDTHHMMSSZ-" (UTC, the time clamped to 1970..9999) and 8
 *	characters of base32 (A-Z2-7) from 40 random bits (getrandom(2),
 *	taken 256 bytes at a time per thread: RAND_bytes cost a per-thread
 *	DRBG set-up in every new thread): IDs of different seconds sort by
 *	time, and 10,000 IDs in one second collide with a probability of about
 *	5e-5 (the store refuses a duplicate: the index's primary key, and the
 *	spool's rename that never replaces).
 *
 *	Retry key, version 3: "v3-" and the hex of SHA-256 over "tag
 *	length\n" + bytes for each of: a version tag, the SHA-256 (hex) of the
 *	whole message as the milter saw it (Postfix does not show a milter its
 *	own Received field, so a retry is byte for byte the same), MAIL FROM,
 *	each RCPT TO in order.  The lengths make the encoding unambiguous.  The
 *	message is hashed once: the same digest is the index's sha256 of the
 *	original (mg_store_retry_key_sha).  Version 2 (up to 2026-11) hashed
 *	the message itself in place of its digest, 64 hex digits without a
 *	prefix; quarantine.c still looks such keys up for a while after an
 *	upgrade (mg_store_find_retry_compat).
 *
 *	All functions are thread-safe.
 *
 * DIAGNOSTICS
 *	None: bad input is handled; a failing random number generator or
 *	digest is a panic (g_error).
 *
 * MEMORY
 *	GLib allocation; returned strings are the caller's (g_free).
 */
#include "qmeta.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "charset.h"
#include "json.h"
#include "verdict.h"

#define HEADER_SCAN_MAX (1024 * 1024)
#define ID_FORM "DDDDDDDDTDDDDDDZ-BBBBBBBB"
#define MAX_TIME ((time_t)253402300799LL)	/* 9999-12-31T23:59:59Z */

/* ---- times and hashes ---------------------------------------------------- */

void
mg_qmeta_iso_utc(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		g_strlcpy(out, "1970-01-01T00:00:00Z", 32);
}

static void
hex_of(const unsigned char *md, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
mg_qmeta_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		g_error("quarantine: SHA-256 failed");
	hex_of(md, n, out);
}

#define RANDOM_POOL 256

void
mg_qmeta_random(void *buf, size_t n)
{
	static _Thread_local unsigned char pool[RANDOM_POOL];
	static _Thread_local size_t left;
	unsigned char *out = buf;

	while (n > 0) {
		if (left == 0) {
			ssize_t got = getrandom(pool, sizeof pool, 0);
			if (got < 0 && errno == EINTR)
				continue;
			if (got != (ssize_t)sizeof pool)
				g_error("quarantine: getrandom failed: %s", g_strerror(errno));
			left = sizeof pool;
		}
		size_t take = MIN(n, left);
		memcpy(out, pool + sizeof pool - left, take);
		memset(pool + sizeof pool - left, 0, take);	/* used once only */
		left -= take;
		out += take;
		n -= take;
	}
}

/* ---- envelopes, IDs and kept rows ---------------------------------------- */

mg_envelope *
mg_envelope_new(void)
{
	mg_envelope *e = g_new0(mg_envelope, 1);

	e->rcpts = g_ptr_array_new_with_free_func(g_free);
	return e;
}

void
mg_envelope_free(mg_envelope *e)
{
	if (!e)
		return;
	g_free(e->mail_from);
	if (e->rcpts)
		g_ptr_array_unref(e->rcpts);
	g_free(e->client_addr);
	g_free(e->client_name);
	g_free(e->helo);
	g_free(e->queue_id);
	g_free(e->auth_name);
	g_free(e);
}

char *
mg_store_new_id(time_t now)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char r[5];
	char stamp[32], tail[9];
	struct tm tm;

	now = CLAMP(now, 0, MAX_TIME);
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm))
		g_error("quarantine: cannot format the time of an ID");
	mg_qmeta_random(r, sizeof r);
	guint64 v = (guint64)r[0] << 32 | (guint64)r[1] << 24 | (guint64)r[2] << 16 |
		    (guint64)r[3] << 8 | r[4];
	for (int i = 0; i < 8; i++)
		tail[i] = b32[(v >> (35 - 5 * i)) & 31];
	tail[8] = '\0';
	return g_strdup_printf("%s-%s", stamp, tail);
}

bool
mg_store_id_valid(const char *id)
{
	if (!id || strlen(id) != sizeof ID_FORM - 1)
		return false;
	for (size_t i = 0; i < sizeof ID_FORM - 1; i++) {
		char c = id[i];
		bool ok = ID_FORM[i] == 'D' ? g_ascii_isdigit(c) :
			  ID_FORM[i] == 'B' ? (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7') :
			  c == ID_FORM[i];
		if (!ok)
			return false;
	}
	return true;
}

void
mg_kept_free(mg_kept *k)
{
	if (!k)
		return;
	char **strs[] = { &k->id, &k->queue_id, &k->mail_from, &k->client_addr,
			  &k->client_name, &k->helo, &k->auth_name, &k->subject,
			  &k->from_hdr, &k->sha256, &k->reasons, &k->action,
			  &k->status, &k->key_id };
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		g_free(*strs[i]);
	if (k->rcpts)
		g_ptr_array_unref(k->rcpts);
	g_free(k);
}

/* ---- retry keys and header fields ---------------------------------------- */

/* Start of the line after the one at p (or end). */
static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

/* End of the header field starting at p: the start of the first following
 * line that is not a continuation (does not start with space or tab). */
static const char *
field_end(const char *p, const char *end)
{
	p = next_line(p, end);
	while (p < end && (*p == ' ' || *p == '\t'))
		p = next_line(p, end);
	return p;
}

/* The raw value of the first header field called name, or NULL. */
static char *
header_field(const char *raw, size_t len, const char *name)
{
	const char *p = raw, *end = raw + MIN(len, (size_t)HEADER_SCAN_MAX);
	size_t n = strlen(name);

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *fe = field_end(p, end);
		if ((size_t)(fe - p) > n && g_ascii_strncasecmp(p, name, n) == 0 && p[n] == ':')
			return g_strndup(p + n + 1, (gsize)(fe - p - (gssize)n - 1));
		p = fe;
	}
	return NULL;
}

char *
mg_qmeta_header(const char *raw, size_t len, const char *name)
{
	char *value = header_field(raw, len, name);
	char *text = value ? mg_header_decode(g_strstrip(value), NULL) : NULL;

	g_free(value);
	return text;
}

static void
feed(EVP_MD_CTX *md, const char *tag, const char *data, size_t len)
{
	char head[64];
	int n = snprintf(head, sizeof head, "%s %zu\n", tag, len);

	EVP_DigestUpdate(md, head, (size_t)n);
	EVP_DigestUpdate(md, data, len);
}

static EVP_MD_CTX *
digest_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		g_error("quarantine: SHA-256 failed");
	return md;
}

/* The envelope's part of a retry key, then the digest as hex (prefix first). */
static char *
digest_envelope(EVP_MD_CTX *md, const mg_envelope *env, const char *prefix)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	const char *from = env && env->mail_from ? env->mail_from : "";
	size_t plen = strlen(prefix);

	feed(md, "from", from, strlen(from));
	for (guint i = 0; env && env->rcpts && i < env->rcpts->len; i++) {
		const char *rcpt = g_ptr_array_index(env->rcpts, i);
		feed(md, "rcpt", rcpt ? rcpt : "", rcpt ? strlen(rcpt) : 0);
	}
	if (EVP_DigestFinal_ex(md, out, &n) != 1)
		g_error("quarantine: SHA-256 failed");
	EVP_MD_CTX_free(md);
	char *key = g_malloc(plen + 2 * n + 1);
	memcpy(key, prefix, plen);
	hex_of(out, n, key + plen);
	return key;
}

char *
mg_store_retry_key_sha(const char *raw, size_t len, const mg_envelope *env,
		       char sha256[65])
{
	EVP_MD_CTX *md = digest_new();

	mg_qmeta_sha256_hex(raw, len, sha256);
	feed(md, "mugaika-retry-key", "3", 1);
	feed(md, "message-sha256", sha256, 64);
	return digest_envelope(md, env, MG_QMETA_KEY_PREFIX);
}

char *
mg_store_retry_key(const char *raw, size_t len, const mg_envelope *env)
{
	char sha256[65];

	return mg_store_retry_key_sha(raw, len, env, sha256);
}

char *
mg_qmeta_retry_key_v2(const char *raw, size_t len, const mg_envelope *env)
{
	EVP_MD_CTX *md = digest_new();

	feed(md, "mugaika-retry-key", "2", 1);
	feed(md, "message", raw, len);
	return digest_envelope(md, env, "");
}

bool
mg_qmeta_key_is_v2(const char *key)
{
	return key && !g_str_has_prefix(key, MG_QMETA_KEY_PREFIX);
}

/* ---- the metadata JSON --------------------------------------------------- */

static void
json_str(GString *o, const char *s)
{
	if (!s) {
		g_string_append(o, "null");
		return;
	}
	char *valid = g_utf8_make_valid(s, -1);
	mg_json_string(o, valid);
	g_free(valid);
}

static void
json_member(GString *o, const char *key, const char *value)
{
	g_string_append_printf(o, ", \"%s\": ", key);
	json_str(o, value);
}

char *
mg_qmeta_json(const mg_qmeta *m)
{
	const mg_envelope *e = m->env;
	GString *o = g_string_new("{\"version\": 1");

	json_member(o, "id", m->id);
	json_member(o, "received", m->received);
	g_string_append_printf(o, ", \"size\": %" G_GUINT64_FORMAT, m->size);
	json_member(o, "sha256", m->sha256);
	json_member(o, "retry_key", m->retry_key);
	g_string_append(o, ",\n \"envelope\": {\"mail_from\": ");
	json_str(o, e && e->mail_from ? e->mail_from : "");
	g_string_append(o, ", \"rcpts\": [");
	for (guint i = 0; e && e->rcpts && i < e->rcpts->len; i++) {
		g_string_append(o, i ? ", " : "");
		json_str(o, g_ptr_array_index(e->rcpts, i));
	}
	g_string_append_c(o, ']');
	json_member(o, "client_addr", e ? e->client_addr : NULL);
	json_member(o, "client_name", e ? e->client_name : NULL);
	json_member(o, "helo", e ? e->helo : NULL);
	json_member(o, "queue_id", e ? e->queue_id : NULL);
	json_member(o, "auth_name", e ? e->auth_name : NULL);
	g_string_append(o, "},\n \"verdict\": ");
	if (m->verdict_valid)
		g_string_append(o, m->verdict);
	else
		json_str(o, m->verdict);
	g_string_append(o, "}\n");
	return g_string_free(o, FALSE);
}
