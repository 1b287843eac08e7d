/*
 * bench_engine.c - how fast the engine is, beside the bare GMime floor.
 *
 * Contract: loads message sets into memory, then for every set measures
 * three pipelines over the same bytes in the same run:
 *
 *   engine     mg_engine_run() with the default (or --config) settings, id
 *              "BENCH", a fixed time, then mg_result_free(); with --config
 *              and a scanner other than none, libclamav (or clamd) scans
 *              every part as in the milter (no scanner without --config).
 *              libclamav's cache of clean files is off unless --scan-cache
 *              on: the same messages come again and again here, and with
 *              the cache every pass after the first would measure cache
 *              hits (how many depends on the passes per round), not scans
 *   floor      GMime parse from memory (g_mime_stream_mem_new_with_buffer +
 *              g_mime_parser_construct_message) and decode of every leaf
 *              (GMimePartIter; g_mime_part_get_content +
 *              g_mime_data_wrapper_write_to_stream into a buffer sized from
 *              the encoded length, through a GMimeFilterCharset to UTF-8 for
 *              text parts in another charset; UTF-8 text is validated
 *              instead, an iconv UTF-8 -> UTF-8 pass would double the cost
 *              of HTML mail), nothing else: what any sanitizer on GMime pays
 *   floor+sha  the floor plus SHA-256 (libcrypto EVP) of every non-text leaf
 *
 * and prints one table row per (set, pipeline): messages/s, MB/s of input
 * (10^6 bytes), CPU microseconds per message (getrusage user+sys over the
 * count), peak RSS (ru_maxrss), the RSS growth while it ran, and for the
 * engine its ratio to the floor.  The time per set and pipeline is split in
 * --rounds R (default 5) and the rounds of the pipelines alternate, so a slow
 * spell of a shared machine hits them alike; a row shows the median round
 * (by CPU per message), the fastest round and the spread.  Each round first
 * warms up (one pass, at most 0.1 s), then runs whole messages for
 * --seconds S / R (S default 2; at least one pass over the set) or exactly
 * --iterations N passes.  Each round runs in a forked child (--no-fork: in
 * this process, for perf and gdb), so ru_maxrss is the round's own and an
 * engine crash is reported as such instead of ending the run; the child
 * starts with the messages loaded, so its peak RSS includes them (the first
 * line says how much that is).
 *
 * Sets: each PATH argument (directory, searched recursively for *.eml, or a
 * file; NAME=PATH names it) is one set; plain files together form the set
 * "files".  With --mix NAME=W,NAME=W,... every PATH is a root whose
 * subdirectories NAME are the sets, and a last row "mix" runs them
 * interleaved by weight (smooth weighted round-robin, each class cycling
 * through its own messages, one pass = all loaded messages).
 *
 * Exit status: 0, 1 if a round crashed or the engine returned NULL, 2 on
 * usage or load errors.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>

#include "conf.h"
#include "sanitize.h"
#include "verdict.h"

#define BENCH_NOW ((time_t) 1711929600)  /* 2024-04-01T00:00:00Z */
#define WARMUP_SECONDS 0.1
#define MAX_ROUNDS 50

enum { P_ENGINE, P_FLOOR, P_FLOOR_SHA, P_COUNT };
static const char *const pipeline_names[P_COUNT] = { "engine", "floor", "floor+sha" };

typedef struct {
	char *path;
	char *data;
	size_t len;
} bench_msg;

typedef struct {
	char *name;
	GPtrArray *msgs;   /* bench_msg*, owned */
	size_t bytes;
	unsigned weight;   /* --mix only */
} bench_set;

/* What one round measured; passed from the child through a pipe. */
typedef struct {
	int ok;            /* 1 when the round ran to the end */
	int signal;        /* the child died of this signal */
	const bench_msg *culprit;  /* ... while on this message */
	int engine_null;   /* mg_sanitize returned NULL */
	unsigned long long count, bytes, out_bytes;
	double wall_s, cpu_us;
	long maxrss_kb, start_rss_kb;
	unsigned long long actions[4];
} bench_round;

static const mg_config *g_cfg;
static mg_scanner *g_scanner;   /* --config with a scanner; else NULL */
static double opt_seconds = 2.0;
static unsigned long opt_iterations;
static unsigned opt_rounds = 5;
static bool opt_fork = true;
static bool opt_scan_cache = false;
/* Shared with the children: the message being processed. */
static const bench_msg *volatile *g_current;

/* ---- loading ------------------------------------------------------------- */

static bool has_eml_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && g_ascii_strcasecmp(name + n - 4, ".eml") == 0;
}

static void collect_dir(const char *dir, GPtrArray *paths)
{
	GError *err = NULL;
	GDir *d = g_dir_open(dir, 0, &err);
	if (!d) {
		fprintf(stderr, "bench_engine: %s\n", err->message);
		g_error_free(err);
		exit(2);
	}
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			collect_dir(p, paths);
		else if (has_eml_suffix(name) && g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
			g_ptr_array_add(paths, p);
			p = NULL;
		}
		g_free(p);
	}
	g_dir_close(d);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void msg_free(gpointer p)
{
	bench_msg *m = p;
	g_free(m->path);
	g_free(m->data);
	g_free(m);
}

static bench_set *set_new(const char *name)
{
	bench_set *s = g_new0(bench_set, 1);
	s->name = g_strdup(name);
	s->msgs = g_ptr_array_new_with_free_func(msg_free);
	return s;
}

static void set_add_file(bench_set *s, const char *path)
{
	GError *err = NULL;
	bench_msg *m = g_new0(bench_msg, 1);
	gsize len = 0;
	if (!g_file_get_contents(path, &m->data, &len, &err)) {
		fprintf(stderr, "bench_engine: %s\n", err->message);
		exit(2);
	}
	m->len = len;
	m->path = g_strdup(path);
	s->bytes += len;
	g_ptr_array_add(s->msgs, m);
}

/* Adds path (a directory, recursively, or one file) to the set. */
static void set_add_path(bench_set *s, const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
		collect_dir(path, paths);
		g_ptr_array_sort(paths, cmp_str);
		for (guint i = 0; i < paths->len; i++)
			set_add_file(s, paths->pdata[i]);
		g_ptr_array_free(paths, TRUE);
	} else if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		set_add_file(s, path);
	} else {
		fprintf(stderr, "bench_engine: %s: no such file or directory\n", path);
		exit(2);
	}
}

/* ---- the pipelines ------------------------------------------------------- */

static bool is_utf8_name(const char *charset)
{
	return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0 ||
	       g_ascii_strcasecmp(charset, "us-ascii") == 0;
}

/* Decodes one leaf into memory (a buffer sized from the encoded length, as
 * a careful engine would); returns the decoded size. */
static size_t decode_leaf(GMimePart *part, bool sha)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	if (!content)
		return 0;
	gint64 enc_len = g_mime_stream_length(g_mime_data_wrapper_get_stream(content));
	size_t est = enc_len > 0 ? (size_t) enc_len : 0;
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_UUENCODE)
		est = est / 4 * 3 + 4;
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(g_byte_array_sized_new((guint) est));
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	bool text = ct && g_mime_content_type_is_type(ct, "text", "*");
	const char *charset = text ? g_mime_object_get_content_type_parameter(obj, "charset") : NULL;
	bool utf8 = charset && is_utf8_name(charset);
	GMimeFilter *filter = charset && !utf8 ? g_mime_filter_charset_new(charset, "UTF-8") : NULL;
	if (filter) {
		GMimeStream *fs = g_mime_stream_filter_new(mem);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), filter);
		g_mime_data_wrapper_write_to_stream(content, fs);
		g_mime_stream_flush(fs);
		g_object_unref(fs);
		g_object_unref(filter);
	} else {
		g_mime_data_wrapper_write_to_stream(content, mem);
	}
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	size_t n = ba->len;
	if (utf8 && !g_utf8_validate((const char *) ba->data, (gssize) ba->len, NULL))
		n++;
	if (sha && !text) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (!EVP_Digest(ba->data, ba->len, md, &mdlen, EVP_sha256(), NULL)) {
			fprintf(stderr, "bench_engine: EVP_Digest failed\n");
			abort();
		}
		n += md[0];  /* keep the digest live */
	}
	g_object_unref(mem);
	return n;
}

static size_t run_floor(const bench_msg *m, bool sha)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(m->data, m->len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (!msg)
		return 0;
	size_t out = 0;
	GMimePartIter *it = g_mime_part_iter_new(GMIME_OBJECT(msg));
	if (g_mime_part_iter_is_valid(it)) {
		do {
			GMimeObject *cur = g_mime_part_iter_get_current(it);
			if (GMIME_IS_PART(cur))
				out += decode_leaf(GMIME_PART(cur), sha);
		} while (g_mime_part_iter_next(it));
	}
	g_mime_part_iter_free(it);
	g_object_unref(msg);
	return out;
}

static size_t run_engine(const bench_msg *m, bench_round *c)
{
	mg_result *r = mg_engine_run(m->data, m->len, g_cfg, g_scanner, MG_MODE_SANITIZE,
				     "BENCH", BENCH_NOW);
	if (!r) {
		c->engine_null = 1;
		return 0;
	}
	size_t out = r->message_len;
	if (r->verdict && (unsigned) r->verdict->action < 4)
		c->actions[r->verdict->action]++;
	mg_result_free(r);
	return out;
}

static size_t run_one(int pipeline, const bench_msg *m, bench_round *c)
{
	switch (pipeline) {
	case P_ENGINE:
		return run_engine(m, c);
	case P_FLOOR:
		return run_floor(m, false);
	default:
		return run_floor(m, true);
	}
}

/* ---- measuring ----------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_us(const struct rusage *r)
{
	return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e6 +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec);
}

static long current_rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Runs one round of one pipeline in this process; schedule is one pass. */
static void measure(int pipeline, GPtrArray *schedule, bench_round *c)
{
	memset(c, 0, sizeof *c);
	c->start_rss_kb = current_rss_kb();
	guint n = schedule->len;

	double t = now_s();
	for (guint i = 0; i < n && now_s() - t < WARMUP_SECONDS; i++) {
		*g_current = schedule->pdata[i];
		run_one(pipeline, schedule->pdata[i], c);
	}
	memset(c->actions, 0, sizeof c->actions);
	c->out_bytes = 0;

	unsigned long long target = opt_iterations ? (unsigned long long) opt_iterations * n : 0;
	double seconds = opt_seconds / opt_rounds;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	double t0 = now_s(), t1 = t0;
	guint i = 0;
	for (;;) {
		const bench_msg *m = schedule->pdata[i];
		*g_current = m;
		c->out_bytes += run_one(pipeline, m, c);
		c->count++;
		c->bytes += m->len;
		if (++i == n)
			i = 0;
		t1 = now_s();
		if (target ? c->count >= target : c->count >= n && t1 - t0 >= seconds)
			break;
	}
	getrusage(RUSAGE_SELF, &r1);
	c->wall_s = t1 - t0;
	c->cpu_us = cpu_us(&r1) - cpu_us(&r0);
	c->maxrss_kb = r1.ru_maxrss;
	c->ok = 1;
}

/* Runs one round, in a child unless --no-fork. */
static void run_round(int pipeline, GPtrArray *schedule, bench_round *c)
{
	if (!opt_fork) {
		measure(pipeline, schedule, c);
		return;
	}
	int fds[2];
	if (pipe(fds) != 0) {
		perror("bench_engine: pipe");
		exit(2);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_engine: fork");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		bench_round mine;
		measure(pipeline, schedule, &mine);
		const char *p = (const char *) &mine;
		size_t left = sizeof mine;
		while (left > 0) {
			ssize_t w = write(fds[1], p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(3);
			p += w;
			left -= (size_t) w;
		}
		_exit(0);
	}
	close(fds[1]);
	memset(c, 0, sizeof *c);
	size_t got = 0;
	while (got < sizeof *c) {
		ssize_t r = read(fds[0], (char *) c + got, sizeof *c - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t) r;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof *c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		memset(c, 0, sizeof *c);
		c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		c->culprit = *g_current;
	}
}

/* ---- summarising and output ------------------------------------------------ */

/* One pipeline over one set: the rounds folded into one row. */
typedef struct {
	int ok, signal, engine_null;
	const bench_msg *culprit;
	double rate, mbps, cpu_us;  /* of the median round (by CPU per message) */
	double best_us, spread;     /* the fastest round; (slowest-fastest)/median, % */
	long maxrss_kb, grow_kb;
	unsigned long long count, out_bytes, actions[4];
} bench_row;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static double round_cpu(const bench_round *c)
{
	return c->count ? c->cpu_us / (double) c->count : 0.0;
}

static void fold_rounds(const bench_round *rounds, unsigned n, bench_row *row)
{
	memset(row, 0, sizeof *row);
	double per[MAX_ROUNDS];
	for (unsigned r = 0; r < n; r++) {
		const bench_round *c = &rounds[r];
		if (!c->ok) {
			row->signal = c->signal;
			row->culprit = c->culprit;
			return;
		}
		per[r] = round_cpu(c);
		row->engine_null |= c->engine_null;
		row->count += c->count;
		row->out_bytes += c->out_bytes;
		for (int a = 0; a < 4; a++)
			row->actions[a] += c->actions[a];
		if (c->maxrss_kb > row->maxrss_kb)
			row->maxrss_kb = c->maxrss_kb;
		if (c->maxrss_kb - c->start_rss_kb > row->grow_kb)
			row->grow_kb = c->maxrss_kb - c->start_rss_kb;
	}
	qsort(per, n, sizeof per[0], cmp_double);
	double median = per[n / 2];
	for (unsigned r = 0; r < n; r++) {
		const bench_round *c = &rounds[r];
		if (round_cpu(c) == median) {
			row->rate = c->wall_s > 0 ? c->count / c->wall_s : 0.0;
			row->mbps = c->wall_s > 0 ? c->bytes / c->wall_s / 1e6 : 0.0;
			break;
		}
	}
	row->cpu_us = median;
	row->best_us = per[0];
	row->spread = median > 0 ? (per[n - 1] - per[0]) / median * 100.0 : 0.0;
	row->ok = 1;
}

static void print_header(void)
{
	printf("%-8s %5s %7s  %-9s %8s %7s %9s %8s %6s %8s %6s %6s\n",
	       "set", "files", "avg KB", "pipeline", "msgs/s", "MB/s", "CPU us/msg",
	       "(best)", "spread", "peak RSS", "+RSS", "xfloor");
	printf("%-8s %5s %7s  %-9s %8s %7s %9s %8s %6s %8s %6s %6s\n",
	       "", "", "", "", "", "", "median", "", "%", "MB", "MB", "");
}

static void print_row(const char *set, guint files, double avg_kb, int pipeline,
		      const bench_row *c, const bench_row *floor_row)
{
	char lead[64];
	if (set)
		snprintf(lead, sizeof lead, "%-8s %5u %7.1f", set, files, avg_kb);
	else
		snprintf(lead, sizeof lead, "%-8s %5s %7s", "", "", "");
	if (!c->ok) {
		if (c->signal)
			printf("%s  %-9s  CRASHED (signal %d: %s)", lead,
			       pipeline_names[pipeline], c->signal, strsignal(c->signal));
		else
			printf("%s  %-9s  FAILED (the child did not report)", lead,
			       pipeline_names[pipeline]);
		printf("%s%s\n", c->culprit ? " on " : "", c->culprit ? c->culprit->path : "");
		return;
	}
	char ratio[16] = "";
	if (floor_row && floor_row->ok && floor_row->cpu_us > 0)
		snprintf(ratio, sizeof ratio, "%5.1fx", c->cpu_us / floor_row->cpu_us);
	char best[24];
	snprintf(best, sizeof best, "(%.1f)", c->best_us);
	printf("%s  %-9s %8.0f %7.1f %9.1f %8s %6.0f %8.1f %6.1f %6s\n", lead,
	       pipeline_names[pipeline], c->rate, c->mbps, c->cpu_us, best, c->spread,
	       c->maxrss_kb / 1024.0, c->grow_kb / 1024.0, ratio);
}

/* Measures and prints the rows of one set; returns false on a failure.
 * Rounds of the pipelines alternate, so a slow spell of the machine hits
 * all of them alike. */
static bool bench_schedule(const char *name, guint files, size_t bytes, GPtrArray *schedule,
			   const bool *pipes, GString *notes)
{
	static bench_round cells[P_COUNT][MAX_ROUNDS];
	static const int order[P_COUNT] = { P_FLOOR, P_FLOOR_SHA, P_ENGINE };
	bench_row rows[P_COUNT];
	bool ok = true, first = true;
	memset(cells, 0, sizeof cells);
	for (unsigned r = 0; r < opt_rounds; r++)
		for (int k = 0; k < P_COUNT; k++)
			if (pipes[order[k]])
				run_round(order[k], schedule, &cells[order[k]][r]);
	for (int p = 0; p < P_COUNT; p++)
		if (pipes[p])
			fold_rounds(cells[p], opt_rounds, &rows[p]);
	for (int p = 0; p < P_COUNT; p++) {
		if (!pipes[p])
			continue;
		print_row(first ? name : NULL, files, files ? bytes / 1024.0 / files : 0.0, p,
			  &rows[p], p == P_ENGINE && pipes[P_FLOOR] ? &rows[P_FLOOR] : NULL);
		first = false;
		if (!rows[p].ok)
			ok = false;
	}
	const bench_row *e = &rows[P_ENGINE];
	if (pipes[P_ENGINE] && e->ok) {
		if (e->engine_null) {
			g_string_append_printf(notes, "%s: mg_sanitize returned NULL\n", name);
			ok = false;
		}
		if (e->actions[MG_ACTION_DELIVER] != e->count) {
			g_string_append_printf(notes, "%s: engine actions:", name);
			for (int a = 0; a < 4; a++)
				if (e->actions[a])
					g_string_append_printf(notes, " %s=%llu",
							       mg_action_name((mg_action) a),
							       e->actions[a]);
			g_string_append_c(notes, '\n');
		}
		if (e->count)
			g_string_append_printf(notes, "%s: engine output %.1f KB/msg\n", name,
					       e->out_bytes / 1024.0 / e->count);
	}
	fflush(stdout);
	return ok;
}

static bool bench_set_rows(bench_set *s, const bool *pipes, GString *notes)
{
	return bench_schedule(s->name, s->msgs->len, s->bytes, s->msgs, pipes, notes);
}

/* Interleaves the weighted sets: smooth weighted round-robin. */
static bool bench_mix(GPtrArray *sets, const char *spec, const bool *pipes, GString *notes)
{
	guint nsets = sets->len, total_msgs = 0;
	size_t bytes = 0;
	long total_w = 0;
	long *cur = g_new0(long, nsets);
	guint *next = g_new0(guint, nsets);
	for (guint k = 0; k < nsets; k++) {
		bench_set *s = sets->pdata[k];
		total_msgs += s->msgs->len;
		total_w += s->weight;
	}
	GPtrArray *schedule = g_ptr_array_sized_new(total_msgs);
	for (guint i = 0; i < total_msgs; i++) {
		guint best = 0;
		for (guint k = 0; k < nsets; k++) {
			cur[k] += ((bench_set *) sets->pdata[k])->weight;
			if (cur[k] > cur[best])
				best = k;
		}
		cur[best] -= total_w;
		bench_set *s = sets->pdata[best];
		bench_msg *m = s->msgs->pdata[next[best]];
		next[best] = (next[best] + 1) % s->msgs->len;
		g_ptr_array_add(schedule, m);
		bytes += m->len;
	}
	bool ok = bench_schedule("mix", total_msgs, bytes, schedule, pipes, notes);
	printf("%-8s (%s)\n", "", spec);
	g_ptr_array_free(schedule, TRUE);
	g_free(cur);
	g_free(next);
	return ok;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_engine [options] PATH...\n"
		"  PATH                  a directory (searched for *.eml) or a file; NAME=PATH names the set\n"
		"  --mix NAME=W,...      PATHs are roots with subdirectories NAME; adds the weighted mix\n"
		"                        (e.g. --mix small=55,alt=33,att200k=10,att2m=2)\n"
		"  --seconds S           run each set and pipeline about S seconds (default 2),\n"
		"                        split in rounds of at least one pass each\n"
		"  --iterations N        instead, exactly N passes over the set per round\n"
		"  --rounds R            rounds per set and pipeline (default 5); the median is shown\n"
		"  --pipelines LIST      any of engine,floor,sha (default all three)\n"
		"  --no-fork             run the rounds in this process (perf, gdb; RSS is cumulative)\n"
		"  --config FILE         engine settings (default: built-in defaults)\n"
		"  --scan-cache on|off   libclamav's cache of clean files (default off: repeated\n"
		"                        messages would be cache hits, not scans)\n");
}

static bool parse_pipelines(const char *list, bool *pipes)
{
	char **v = g_strsplit(list, ",", -1);
	bool ok = true;
	memset(pipes, 0, sizeof(bool) * P_COUNT);
	for (char **p = v; *p; p++) {
		if (strcmp(*p, "engine") == 0)
			pipes[P_ENGINE] = true;
		else if (strcmp(*p, "floor") == 0)
			pipes[P_FLOOR] = true;
		else if (strcmp(*p, "sha") == 0 || strcmp(*p, "floor+sha") == 0)
			pipes[P_FLOOR_SHA] = true;
		else if (**p)
			ok = false;
	}
	g_strfreev(v);
	return ok;
}

/* Splits "NAME=PATH" when the part before '=' has no '/'. */
static char *split_name(const char *arg, const char **path)
{
	const char *eq = strchr(arg, '=');
	if (eq && eq > arg && memchr(arg, '/', (size_t) (eq - arg)) == NULL) {
		*path = eq + 1;
		return g_strndup(arg, (size_t) (eq - arg));
	}
	*path = arg;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mix", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "pipelines", required_argument, NULL, 'p' },
		{ "no-fork", no_argument, NULL, 'F' },
		{ "config", required_argument, NULL, 'c' },
		{ "scan-cache", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mix = NULL, *config = NULL;
	bool pipes[P_COUNT] = { true, true, true };
	int opt;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (opt) {
		case 'm':
			mix = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "bench_engine: bad --scan-cache %s (on or off)\n", optarg);
				return 2;
			}
			opt_scan_cache = strcmp(optarg, "on") == 0;
			break;
		case 's':
			opt_seconds = g_ascii_strtod(optarg, &end);
			if (!end || *end || opt_seconds < 0) {
				fprintf(stderr, "bench_engine: bad --seconds %s\n", optarg);
				return 2;
			}
			opt_iterations = 0;
			break;
		case 'i':
			opt_iterations = strtoul(optarg, &end, 10);
			if (!end || *end || opt_iterations == 0) {
				fprintf(stderr, "bench_engine: bad --iterations %s\n", optarg);
				return 2;
			}
			break;
		case 'r': {
			unsigned long r = strtoul(optarg, &end, 10);
			if (!end || *end || r == 0 || r > MAX_ROUNDS) {
				fprintf(stderr, "bench_engine: bad --rounds %s (1..%d)\n", optarg,
					MAX_ROUNDS);
				return 2;
			}
			opt_rounds = (unsigned) r;
			break;
		}
		case 'p':
			if (!parse_pipelines(optarg, pipes)) {
				fprintf(stderr, "bench_engine: bad --pipelines %s\n", optarg);
				return 2;
			}
			break;
		case 'F':
			opt_fork = false;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	g_current = mmap(NULL, sizeof *g_current, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_current == MAP_FAILED) {
		perror("bench_engine: mmap");
		return 2;
	}
	*g_current = NULL;

	mg_engine_init();
	mg_config *cfg;
	if (config) {
		char *err = NULL;
		cfg = mg_config_load(config, &err);
		if (!cfg) {
			fprintf(stderr, "bench_engine: %s\n", err ? err : config);
			g_free(err);
			return 2;
		}
		mg_scan_set_cache(opt_scan_cache);
		gint64 t0 = g_get_monotonic_time();
		if (cfg->scanner != MG_SCANNER_NONE && !(g_scanner = mg_scanner_load(cfg, &err))) {
			fprintf(stderr, "bench_engine: %s\n", err ? err : "scanner not loaded");
			g_free(err);
			return 2;
		}
		if (g_scanner) {
			char *what = mg_scanner_describe(g_scanner);
			printf("bench_engine: scanner %s; loaded in %.0f ms, RSS %.1f MB, "
			       "cache of clean files %s\n", what,
			       (double)(g_get_monotonic_time() - t0) / 1000.0,
			       current_rss_kb() / 1024.0, opt_scan_cache ? "on" : "off");
			g_free(what);
		}
	} else {
		cfg = mg_config_new_defaults();
	}
	g_cfg = cfg;

	GPtrArray *sets = g_ptr_array_new();
	if (mix) {
		char **items = g_strsplit(mix, ",", -1);
		for (char **it = items; *it; it++) {
			if (!**it)
				continue;
			char *eq = strchr(*it, '=');
			char *end = NULL;
			unsigned long w = eq ? strtoul(eq + 1, &end, 10) : 0;
			if (!eq || eq == *it || !end || *end || w == 0 || w > 1000000) {
				fprintf(stderr, "bench_engine: bad --mix item '%s' (want NAME=WEIGHT)\n", *it);
				return 2;
			}
			*eq = '\0';
			bench_set *s = set_new(*it);
			s->weight = (unsigned) w;
			for (int a = optind; a < argc; a++) {
				char *p = g_build_filename(argv[a], s->name, NULL);
				set_add_path(s, p);
				g_free(p);
			}
			if (s->msgs->len == 0) {
				fprintf(stderr, "bench_engine: no *.eml for class %s\n", s->name);
				return 2;
			}
			g_ptr_array_add(sets, s);
		}
		g_strfreev(items);
	} else {
		bench_set *files = NULL;
		for (int a = optind; a < argc; a++) {
			const char *path;
			char *name = split_name(argv[a], &path);
			if (name || g_file_test(path, G_FILE_TEST_IS_DIR)) {
				char *base = name ? NULL : g_path_get_basename(path);
				bench_set *s = set_new(name ? name : base);
				set_add_path(s, path);
				if (s->msgs->len == 0) {
					fprintf(stderr, "bench_engine: no *.eml in %s\n", path);
					return 2;
				}
				g_ptr_array_add(sets, s);
				g_free(base);
			} else {
				if (!files) {
					files = set_new("files");
					g_ptr_array_add(sets, files);
				}
				set_add_path(files, path);
			}
			g_free(name);
		}
	}
	if (sets->len == 0) {
		fprintf(stderr, "bench_engine: nothing to measure\n");
		return 2;
	}

	if (opt_iterations)
		printf("bench_engine: %u rounds of %lu passes", opt_rounds, opt_iterations);
	else
		printf("bench_engine: %u rounds in %.1f s", opt_rounds, opt_seconds);
	printf(" per set and pipeline, %s; RSS with the messages loaded: %.1f MB\n",
	       opt_fork ? "a child per round" : "in-process", current_rss_kb() / 1024.0);
	print_header();

	GString *notes = g_string_new(NULL);
	bool ok = true;
	for (guint k = 0; k < sets->len; k++)
		ok = bench_set_rows(sets->pdata[k], pipes, notes) && ok;
	if (mix)
		ok = bench_mix(sets, mix, pipes, notes) && ok;
	if (notes->len)
		printf("%s", notes->str);
	g_string_free(notes, TRUE);

	for (guint k = 0; k < sets->len; k++) {
		bench_set *s = sets->pdata[k];
		g_ptr_array_free(s->msgs, TRUE);
		g_free(s->name);
		g_free(s);
	}
	g_ptr_array_free(sets, TRUE);
	mg_config_unref(cfg);
	return ok ? 0 : 1;
}
