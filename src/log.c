/*
 * log.c - syslog or standard error (see log.h).
 *
 * SYNOPSIS
 *	void mg_log_open(const char *ident, int facility, bool to_stderr);
 *	void mg_log_set_facility(int facility);
 *	void mg_log_close(void);
 *	void mg_log(mg_log_level level, const char *qid, const char *fmt, ...);
 *	void mg_log_summary(const mg_summary *s, int format);
 *	char *mg_summary_json(const mg_summary *s);
 *	void mg_log_set_thread_qid(const char *qid);
 *	const char *mg_log_thread_qid(void);
 *
 * DESCRIPTION
 *	A line is formatted once ("QID: warning: text") and handed to
 *	syslog(3) or, in the foreground, written to stderr with a timestamp
 *	and the program name in one fputs, so lines of different threads do
 *	not mix.  Control characters in the text (which may come from a
 *	message) are shown as '?', and a line is cut at 2000 bytes (a JSON
 *	summary, whose strings are escaped, at 8000; its recipient list is
 *	cut before that).
 *
 * DIAGNOSTICS
 *	None: logging never fails the caller.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "json.h"

#define LINE_MAX_BYTES 2000
#define JSON_LINE_MAX_BYTES 8000
#define JSON_MAX_RCPTS 50

static GMutex lock;
static char *log_ident;
static bool log_stderr = true;
static GPrivate thread_qid;	/* const char *, borrowed */

static int facility_code(int facility)
{
	static const int codes[] = { LOG_MAIL, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
				     LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7 };

	return facility >= 0 && (size_t)facility < G_N_ELEMENTS(codes) ? codes[facility] : LOG_MAIL;
}

void mg_log_open(const char *ident, int facility, bool to_stderr)
{
	g_mutex_lock(&lock);
	g_free(log_ident);
	log_ident = g_strdup(ident);
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility_code(facility));
	g_mutex_unlock(&lock);
}

void mg_log_set_facility(int facility)
{
	g_mutex_lock(&lock);
	if (!log_stderr) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility_code(facility));
	}
	g_mutex_unlock(&lock);
}

void mg_log_close(void)
{
	g_mutex_lock(&lock);
	if (!log_stderr)
		closelog();
	log_stderr = true;
	g_mutex_unlock(&lock);
}

static const char *level_word(mg_log_level level)
{
	switch (level) {
	case MG_LOG_ERR: return "error: ";
	case MG_LOG_WARNING: return "warning: ";
	default: return "";
	}
}

static int level_priority(mg_log_level level)
{
	switch (level) {
	case MG_LOG_ERR: return LOG_ERR;
	case MG_LOG_WARNING: return LOG_WARNING;
	case MG_LOG_INFO: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

static void sanitize_line(GString *line, gsize max)
{
	if (line->len > max)
		g_string_truncate(line, max);
	for (gsize i = 0; i < line->len; i++)
		if ((unsigned char)line->str[i] < 0x20 || line->str[i] == 0x7f)
			line->str[i] = '?';
}

static void emit_max(mg_log_level level, GString *line, gsize max)
{
	sanitize_line(line, max);
	g_mutex_lock(&lock);
	if (log_stderr) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
		char *out = g_strdup_printf("%s %s[%ld]: %s\n", stamp,
					    log_ident ? log_ident : "mugaika-milter",
					    (long)getpid(), line->str);
		fputs(out, stderr);
		fflush(stderr);
		g_free(out);
	} else {
		syslog(level_priority(level), "%s", line->str);
	}
	g_mutex_unlock(&lock);
}

static void emit(mg_log_level level, GString *line)
{
	emit_max(level, line, LINE_MAX_BYTES);
}

void mg_log(mg_log_level level, const char *qid, const char *fmt, ...)
{
	GString *line = g_string_new(NULL);
	va_list ap;

	if (qid)
		g_string_append_printf(line, "%s: ", qid);
	g_string_append(line, level_word(level));
	va_start(ap, fmt);
	g_string_append_vprintf(line, fmt, ap);
	va_end(ap);
	emit(level, line);
	g_string_free(line, TRUE);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* " key=a,b": names as one grep-able word (they come from a scanner). */
static void append_names(GString *line, const char *key, const char *names)
{
	if (!names || !*names)
		return;
	g_string_append_printf(line, " %s=", key);
	for (const char *p = names; *p; p++)
		g_string_append_c(line, g_ascii_isalnum(*p) || strchr("._-:/,", *p) ? *p : '_');
}

static void log_summary_text(const mg_summary *s)
{
	GString *line = g_string_new(NULL);

	g_string_append_printf(line, "%s: id=%s action=%s reasons=%s removed=%u kept=%s "
			       "size=%zu/%zu ms=%ld direction=%s", or_dash(s->qid),
			       or_dash(s->id), or_dash(s->action), or_dash(s->reasons),
			       s->removed, s->kept ? "yes" : "no", s->in, s->out, s->ms,
			       or_dash(s->direction));
	if (s->error)
		g_string_append_printf(line, " error=%s", s->error);
	append_names(line, "virus", s->virus);
	append_names(line, "suspicious", s->suspicious);
	emit(MG_LOG_INFO, line);
	g_string_free(line, TRUE);
}

static void json_time(GString *o, const char *key, time_t t)
{
	char buf[32];
	struct tm tm;

	if (t > 0 && gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		mg_json_str(o, MG_JSON_TIGHT, key, buf);
	else
		mg_json_str(o, MG_JSON_TIGHT, key, NULL);
}

/* ,"key":["a","b"] from "a,b" (NULL or "": []). */
static void json_names(GString *o, const char *key, const char *names)
{
	char **v = g_strsplit(names ? names : "", ",", -1);
	guint n = 0;

	for (guint i = 0; v[i]; i++) {
		if (*v[i])
			v[n++] = v[i];
		else
			g_free(v[i]);
	}
	v[n] = NULL;
	mg_json_strv(o, MG_JSON_TIGHT, key, v);
	g_strfreev(v);
}

static void json_rcpts(GString *o, const GPtrArray *rcpts)
{
	guint n = rcpts ? rcpts->len : 0;

	mg_json_strings(o, MG_JSON_TIGHT, "rcpts", rcpts ? (char *const *)rcpts->pdata : NULL,
			MIN(n, JSON_MAX_RCPTS));
	mg_json_u64(o, MG_JSON_TIGHT, "rcpt_count", n);
}

char *mg_summary_json(const mg_summary *s)
{
	GString *o = g_string_new("{");

	mg_json_str(o, MG_JSON_TIGHT_FIRST, "queue_id", s->qid);
	mg_json_str(o, MG_JSON_TIGHT, "id", s->id);
	json_time(o, "time", s->at);
	mg_json_str(o, MG_JSON_TIGHT, "action", s->action);
	mg_json_str(o, MG_JSON_TIGHT, "outcome", s->outcome);
	mg_json_str(o, MG_JSON_TIGHT, "direction", s->direction);
	json_names(o, "reasons", s->reasons);
	g_string_append_printf(o, ",\"removed\":%u,\"kept\":%s,\"size_in\":%zu,"
			       "\"size_out\":%zu,\"ms\":%ld", s->removed,
			       s->kept ? "true" : "false", s->in, s->out, s->ms);
	mg_json_str(o, MG_JSON_TIGHT, "error", s->error);
	json_names(o, "virus", s->virus);
	json_names(o, "suspicious", s->suspicious);
	mg_json_str(o, MG_JSON_TIGHT, "mail_from", s->mail_from);
	json_rcpts(o, s->rcpts);
	mg_json_str(o, MG_JSON_TIGHT, "client_addr", s->client_addr);
	mg_json_key(o, MG_JSON_TIGHT, "signatures");
	if (s->sig_version) {
		g_string_append_printf(o, "{\"version\":%u", s->sig_version);
		json_time(o, "built", s->sig_time);
		g_string_append_c(o, '}');
	} else {
		g_string_append(o, "null");
	}
	g_string_append_c(o, '}');
	return g_string_free(o, FALSE);
}

void mg_log_summary(const mg_summary *s, int format)
{
	if (format != MG_SUMMARY_JSON)
		log_summary_text(s);
	if (format == MG_SUMMARY_JSON || format == MG_SUMMARY_BOTH) {
		char *json = mg_summary_json(s);
		GString *line = g_string_new(json);
		emit_max(MG_LOG_INFO, line, JSON_LINE_MAX_BYTES);
		g_string_free(line, TRUE);
		g_free(json);
	}
}

void mg_log_set_thread_qid(const char *qid)
{
	g_private_set(&thread_qid, (gpointer)qid);
}

const char *mg_log_thread_qid(void)
{
	return g_private_get(&thread_qid);
}
