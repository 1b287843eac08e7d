/*
 * qmeta.h - the quarantine's pure parts (qmeta.c): times, hashes, header
 * fields and the spool file's metadata JSON.  Private to quarantine.c; the
 * public functions qmeta.c also holds (IDs, envelopes, retry keys,
 * mg_kept_free) are declared in quarantine.h.
 */
#ifndef MG_QMETA_H
#define MG_QMETA_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "quarantine.h"

/* What the metadata of one kept original says. */
typedef struct {
	const char *id;
	const char *received;      /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	const char *sha256;        /* hex of the original */
	const char *retry_key;
	guint64 size;
	const mg_envelope *env;    /* may be NULL */
	const char *verdict;       /* verdict JSON as given, or NULL */
	bool verdict_valid;        /* it is valid JSON: embedded as it is */
} mg_qmeta;

/* t as "YYYY-MM-DDTHH:MM:SSZ". */
void mg_qmeta_iso_utc(time_t t, char out[32]);

/* SHA-256 of data as 64 hex digits and a NUL. */
void mg_qmeta_sha256_hex(const void *data, size_t len, char out[65]);

/* n random bytes (getrandom, buffered per thread); a failure is a panic. */
void mg_qmeta_random(void *buf, size_t n);

/* Retry keys of version 3 (mg_store_retry_key) start with this. */
#define MG_QMETA_KEY_PREFIX "v3-"

/* The retry key as mugaika made it before version 3 (64 hex digits, over
 * the message itself), for recognising retries of messages kept before an
 * upgrade.  Caller frees. */
char *mg_qmeta_retry_key_v2(const char *raw, size_t len, const mg_envelope *env);

/* True for a key of the form before version 3. */
bool mg_qmeta_key_is_v2(const char *key);

/* The first header field called name in the raw message, decoded
 * (RFC 2047, raw 8-bit) into UTF-8, or NULL when absent.  Looks at the
 * first 1 MB only.  Caller frees. */
char *mg_qmeta_header(const char *raw, size_t len, const char *name);

/* The metadata JSON written at the head of a spool file (one object, a
 * newline at the end): version, id, received, size, sha256, retry_key,
 * envelope {mail_from, rcpts [], client_addr, client_name, helo, queue_id,
 * auth_name}, verdict (the object, or its text as a string when it is not
 * valid JSON).  Enough to rebuild the index row.  Caller frees. */
char *mg_qmeta_json(const mg_qmeta *m);

#endif
