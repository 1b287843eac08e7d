/*
 * japanese.h - the corpus test's reference for Japanese fidelity: the runs
 * of Japanese text in the readable parts of an original message, and the
 * normalisation both sides are compared under (the mapping policy of
 * charset.c, then NFKC, so that half-width kana written as full-width for
 * ISO-2022-JP compare equal).
 */
#ifndef MG_TEST_JAPANESE_H
#define MG_TEST_JAPANESE_H

#include <glib.h>
#include <stddef.h>

/* Normalised runs (char*) of one or more Japanese characters found in the
 * parts the engine renders: text/plain and text/html leaves that are not
 * attachments, one alternative of each multipart/alternative (the plain
 * one when there is one), attached messages' parts.  Caller frees. */
GPtrArray *mg_test_japanese_runs(const char *raw, size_t len);

/* The normalisation applied to both sides; caller frees. */
char *mg_test_japanese_normalise(const char *utf8);

#endif
