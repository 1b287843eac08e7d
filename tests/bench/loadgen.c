/*
 * loadgen.c - message sets, worker threads, timing and the table for the
 * load generators (see loadgen.h and the usage text below).
 *
 * Contract: every measurement is (round, set, concurrency, target).  The
 * C workers of a measurement share one counter: each takes the next
 * position in the set's sequence (the same sequence for every target, from
 * position 0), sends that message and takes the next, until --seconds have
 * passed or --max messages were taken.  A message's latency is from the
 * moment its worker starts on it (connecting first when it has no
 * connection: with --per-conn 1, every message pays a whole session, as a
 * message in its own SMTP session does) to the final answer.  msgs/s is
 * messages answered / time from the start to the last answer (with --drain
 * DIR: to the moment DIR, a Postfix queue directory, had no message left in
 * maildrop, incoming, active, deferred or hold).  CPU: the target's pid's
 * utime+stime from /proc/PID/stat (all its threads, the ones that ended
 * included) before and after, and the busy time of all CPUs from
 * /proc/stat; both per message.
 *
 * A row of the table is the median round by msgs/s, with the range of the
 * rounds; p50/p99 are over the latencies of all its rounds together; the
 * ratio column is the first target's msgs/s / this target's msgs/s (in
 * each round, median and range over the rounds), cost = 1 - 1/ratio.
 *
 * Exit status: 0; 1 when a message failed (not accepted, or an I/O or
 * protocol error); 2 on usage or load errors or when a target's process
 * died.
 */
#include "loadgen.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 8
#define MAX_CONCS 16
#define MAX_SETS 32
#define MAX_ROUNDS 50
#define MAX_EXTRA 4
#define MIX_PASSES 20            /* mix sequence length = MIX_PASSES * sum of weights */

const char *lg_sender_domain = "sender.example";
const char *lg_rcpt = "user@bench.example";
int lg_timeout = 300;

typedef struct {
	char *name;
	lg_msg **seq;          /* the order messages are sent in */
	size_t n;
	double avg_bytes;
} lg_set;

typedef struct {
	bool valid;
	size_t done;
	size_t bytes;
	size_t outcome[LG_N_OUTCOMES];
	double wall;           /* seconds, start to last answer (or drained) */
	double drain;          /* seconds of that spent waiting for the queue */
	double *lat;           /* milliseconds */
	size_t nlat;
	double daemon_cpu;     /* seconds, -1: no pid */
	double all_cpu;        /* seconds, busy time of all CPUs */
	double client_cpu;     /* seconds, this process */
	double extra_cpu[MAX_EXTRA];  /* seconds, each --cpu process tree */
	char first_error[640];
} lg_meas;

static const char *const outcome_names[LG_N_OUTCOMES] = {
	"accept", "tempfail", "reject", "discard", "error"
};

/* ---- options and state -------------------------------------------------- */

static const lg_proto *P;
static lg_target targets[MAX_TARGETS];
static int ntargets;
static int concs[MAX_CONCS] = { 1, 4, 16 };
static int nconcs = 3;
static double seconds = 3;
static int rounds = 3;
static size_t max_msgs;
static double warmup = 1;
static long per_conn = 1;
static const char *drain_dir;
static const char *raw_file;
static bool quiet;
static lg_set sets[MAX_SETS];
static int nsets;
static char *extra_name[MAX_EXTRA];
static pid_t extra_pid[MAX_EXTRA];
static int nextra;
static unsigned run_id;
static atomic_ulong qid_seq;
static long clk_tck;

static void die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", P ? P->prog : "loadgen");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(2, "out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(2, "out of memory");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

double lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sockets -------------------------------------------------------------- */

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = lg_timeout };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		snprintf(err, errlen, "connect %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	set_timeouts(fd);
	return fd;
}

static int connect_inet(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port, gai_strerror(rc));
		return -1;
	}
	int fd = -1, e = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "connect %s port %s: %s", host, port, strerror(e));
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	set_timeouts(fd);
	return fd;
}

int lg_connect(const char *addr, char *err, size_t errlen)
{
	if (strncmp(addr, "unix:", 5) == 0)
		return connect_unix(addr + 5, err, errlen);
	if (strncmp(addr, "local:", 6) == 0)
		return connect_unix(addr + 6, err, errlen);
	if (strncmp(addr, "inet:", 5) == 0 || strncmp(addr, "inet6:", 6) == 0) {
		const char *p = strchr(addr, ':') + 1;
		const char *at = strchr(p, '@');
		char port[16];
		if (!at || (size_t)(at - p) >= sizeof port) {
			snprintf(err, errlen, "bad address %s (inet:PORT@HOST)", addr);
			return -1;
		}
		memcpy(port, p, (size_t)(at - p));
		port[at - p] = '\0';
		return connect_inet(at + 1, port, err, errlen);
	}
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr) {
		snprintf(err, errlen, "bad address %s", addr);
		return -1;
	}
	char *host = xstrndup(addr, (size_t)(colon - addr));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	int fd = connect_inet(host, colon + 1, err, errlen);
	free(host);
	return fd;
}

bool lg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- loading ---------------------------------------------------------------- */

static bool read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	bool ok = !ferror(f);
	fclose(f);
	if (!ok) {
		free(buf);
		return false;
	}
	*data = buf;
	*len = n;
	return true;
}

/* The end of the line at p (the '\n' or end), and where the next starts. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl ? nl : end;

	*next = nl ? nl + 1 : end;
	if (e > p && e[-1] == '\r')
		e--;
	return e;
}

/* Header fields as the MTA hands them to a milter, body in CRLF. */
static void parse_message(lg_msg *m)
{
	const char *p = m->raw, *end = m->raw + m->raw_len, *next;
	size_t cap = 0;

	if (end - p > 5 && memcmp(p, "From ", 5) == 0)   /* an mbox separator */
		line_end(p, end, &p);
	while (p < end) {
		const char *e = line_end(p, end, &next);
		if (e == p) {                   /* the empty line */
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->nhdr > 0) {
			char *v = m->hvalue[m->nhdr - 1];
			size_t vl = strlen(v), l = (size_t)(e - p);
			v = xrealloc(v, vl + 1 + l + 1);
			v[vl] = '\n';
			memcpy(v + vl + 1, p, l);
			v[vl + 1 + l] = '\0';
			m->hvalue[m->nhdr - 1] = v;
			p = next;
			continue;
		}
		const char *colon = memchr(p, ':', (size_t)(e - p));
		if (!colon || colon == p)       /* not a header line: the body starts */
			break;
		if (m->nhdr == cap) {
			cap = cap ? cap * 2 : 32;
			m->hname = xrealloc(m->hname, cap * sizeof *m->hname);
			m->hvalue = xrealloc(m->hvalue, cap * sizeof *m->hvalue);
		}
		const char *ne = colon;
		while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		m->hname[m->nhdr] = xstrndup(p, (size_t)(ne - p));
		m->hvalue[m->nhdr] = xstrndup(colon + 1, (size_t)(e - colon - 1));
		m->nhdr++;
		p = next;
	}
	/* body: every line end CRLF */
	size_t lf = 0;
	for (const char *q = p; q < end; q++)
		lf += *q == '\n';
	char *b = xmalloc((size_t)(end - p) + lf + 1);
	size_t n = 0;
	for (const char *q = p; q < end; q++) {
		if (*q == '\n' && (q == p || q[-1] != '\r'))
			b[n++] = '\r';
		b[n++] = *q;
	}
	m->body = b;
	m->body_len = n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_eml(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".eml") == 0;
}

/* The *.eml files directly in dir, sorted; NULL-terminated. */
static char **list_eml(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!is_eml(de->d_name))
			continue;
		if (n + 1 >= cap)
			v = xrealloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
		size_t l = strlen(dir) + strlen(de->d_name) + 2;
		v[n] = xmalloc(l);
		snprintf(v[n], l, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof *v, cmp_str);
	*count = n;
	return v;
}

static lg_set *set_named(const char *name)
{
	for (int i = 0; i < nsets; i++)
		if (strcmp(sets[i].name, name) == 0)
			return &sets[i];
	return NULL;
}

static lg_set *new_set(const char *name)
{
	lg_set *s = set_named(name);

	if (s)
		return s;
	if (nsets == MAX_SETS)
		die(2, "too many sets");
	s = &sets[nsets++];
	s->name = xstrdup(name);
	return s;
}

static void add_file(lg_set *s, const char *path)
{
	lg_msg *m = calloc(1, sizeof *m);

	if (!m)
		die(2, "out of memory");
	if (!read_file(path, &m->raw, &m->raw_len))
		die(2, "cannot read %s: %s", path, strerror(errno));
	m->path = xstrdup(path);
	m->set = s->name;
	parse_message(m);
	if (P->prepare)
		P->prepare(m);
	s->seq = xrealloc(s->seq, (s->n + 1) * sizeof *s->seq);
	s->seq[s->n++] = m;
}

static void add_dir(const char *name, const char *dir)
{
	size_t n = 0;
	char **files = list_eml(dir, &n);

	if (n > 0) {
		const char *base = strrchr(dir, '/');
		lg_set *s = new_set(name ? name : base && base[1] ? base + 1 : dir);
		for (size_t i = 0; i < n; i++) {
			add_file(s, files[i]);
			free(files[i]);
		}
		free(files);
		return;
	}
	free(files);
	/* a root: its subdirectories with *.eml are the sets, in the order of
	 * gen_messages.py's classes first, then by name */
	static const char *const known[] = { "small", "alt", "att200k", "att2m" };
	DIR *d = opendir(dir);
	if (!d)
		die(2, "cannot open %s: %s", dir, strerror(errno));
	char **subs = NULL;
	size_t ns = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		subs = xrealloc(subs, (ns + 1) * sizeof *subs);
		subs[ns++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (ns)
		qsort(subs, ns, sizeof *subs, cmp_str);
	int found = 0;
	for (size_t k = 0; k <= sizeof known / sizeof *known; k++) {
		for (size_t i = 0; i < ns; i++) {
			if (!subs[i])
				continue;
			bool match = k < sizeof known / sizeof *known ?
				strcmp(subs[i], known[k]) == 0 : true;
			if (!match)
				continue;
			size_t l = strlen(dir) + strlen(subs[i]) + 2;
			char *path = xmalloc(l);
			snprintf(path, l, "%s/%s", dir, subs[i]);
			size_t cnt = 0;
			char **f = list_eml(path, &cnt);
			if (cnt > 0) {
				lg_set *s = new_set(subs[i]);
				for (size_t j = 0; j < cnt; j++) {
					add_file(s, f[j]);
					free(f[j]);
				}
				found++;
			}
			free(f);
			free(path);
			free(subs[i]);
			subs[i] = NULL;
		}
	}
	free(subs);
	if (!found)
		die(2, "%s: no *.eml files in it or in its subdirectories", dir);
}

static void add_operand(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name = NULL;
	const char *path = arg;
	struct stat st;

	if (eq && stat(arg, &st) != 0) {
		name = xstrndup(arg, (size_t)(eq - arg));
		path = eq + 1;
	}
	if (stat(path, &st) != 0)
		die(2, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		add_dir(name, path);
	else
		add_file(new_set(name ? name : "files"), path);
	free(name);
}

/* Smooth weighted round-robin over the named sets, each cycling through
 * its own messages. */
static void build_mix(const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL;
	lg_set *members[MAX_SETS];
	long weight[MAX_SETS], current[MAX_SETS] = { 0 };
	size_t used[MAX_SETS] = { 0 };
	int k = 0;
	long total = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char *endp = NULL;
		if (!eq || k == MAX_SETS)
			die(2, "bad --mix item %s (NAME=WEIGHT)", tok);
		*eq = '\0';
		long w = strtol(eq + 1, &endp, 10);
		if (!*(eq + 1) || *endp || w <= 0)
			die(2, "bad --mix weight %s", eq + 1);
		members[k] = set_named(tok);
		if (!members[k])
			die(2, "--mix names %s, which is not a loaded set", tok);
		weight[k++] = w;
		total += w;
	}
	if (!k)
		die(2, "empty --mix");
	lg_set *mix = new_set("mix");
	size_t len = (size_t)(MIX_PASSES * total);
	mix->seq = xmalloc(len * sizeof *mix->seq);
	for (size_t i = 0; i < len; i++) {
		int best = 0;
		for (int j = 0; j < k; j++) {
			current[j] += weight[j];
			if (current[j] > current[best])
				best = j;
		}
		current[best] -= total;
		lg_set *s = members[best];
		mix->seq[i] = s->seq[used[best]++ % s->n];
	}
	mix->n = len;
	free(copy);
}

/* ---- CPU accounting ----------------------------------------------------------- */

/* CPU seconds of a process and its descendants: utime+stime+cutime+cstime
 * (children it has waited for) of each, from /proc/PID/stat.  A child that
 * ends between two samples moves from "live descendant" to its parent's
 * cutime/cstime, so the difference of two samples is the tree's CPU in
 * between.  -1 if pid is gone. */
typedef struct {
	long pid, ppid;
	double cpu;
} proc_row;

static bool read_stat(long pid, proc_row *row, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	/* after ")": 3 state, 4 ppid, ... 14 utime 15 stime 16 cutime 17 cstime */
	unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
	long ppid = 0;
	if (sscanf(p + 1, " %c %ld %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu %llu %llu",
		   state, &ppid, &ut, &st, &cut, &cst) != 6)
		return false;
	row->pid = pid;
	row->ppid = ppid;
	row->cpu = (double)(ut + st + cut + cst) / (double)clk_tck;
	return true;
}

static double tree_cpu(pid_t root)
{
	proc_row self, *rows = NULL;
	size_t n = 0, cap = 0;
	char state;

	if (!read_stat(root, &self, &state) || state == 'Z' || state == 'X')
		return -1;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == (long)root)
			continue;
		if (n == cap)
			rows = xrealloc(rows, (cap = cap ? cap * 2 : 256) * sizeof *rows);
		if (read_stat(pid, &rows[n], &state))
			n++;
	}
	if (d)
		closedir(d);
	/* descendants: repeatedly take rows whose parent is in the tree */
	double total = self.cpu;
	long *tree = xmalloc((n + 1) * sizeof *tree);
	size_t nt = 0;
	tree[nt++] = root;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (rows[i].pid == 0)
				continue;
			for (size_t k = 0; k < nt; k++)
				if (rows[i].ppid == tree[k]) {
					tree[nt++] = rows[i].pid;
					total += rows[i].cpu;
					rows[i].pid = 0;
					grew = true;
					break;
				}
		}
	}
	free(tree);
	free(rows);
	return total;
}

/* Busy seconds of all CPUs together (user+nice+system+irq+softirq+steal). */
static double all_busy(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[8] = { 0 };

	if (!f)
		return 0;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return 0;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)clk_tck;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Files (messages) in the queue directories that hold mail not yet delivered. */
static long count_files(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR && depth < 4) {
			char sub[4096];
			int k = snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
			if (k > 0 && (size_t)k < sizeof sub)
				n += count_files(sub, depth + 1);
		} else if (de->d_type != DT_DIR) {
			n++;
		}
	}
	closedir(d);
	return n;
}

static long queued(const char *qdir)
{
	static const char *const sub[] = { "maildrop", "incoming", "active", "deferred", "hold" };
	long n = 0;

	for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", qdir, sub[i]);
		n += count_files(path, 0);
	}
	return n;
}

/* ---- a measurement ------------------------------------------------------------- */

typedef struct {
	const lg_target *t;
	const lg_set *s;
	double start, deadline;
	size_t max;
	atomic_size_t next;
	pthread_mutex_t lock;
	lg_meas *out;
} run_ctx;

typedef struct {
	run_ctx *rc;
	double *lat;
	size_t nlat, cap;
	size_t done, bytes;
	size_t outcome[LG_N_OUTCOMES];
	double last;
	char err[640];
} worker;

static void make_qid(char *qid, size_t len)
{
	unsigned long n = atomic_fetch_add(&qid_seq, 1);

	snprintf(qid, len, "LG%05X%07lX", run_id & 0xFFFFF, n & 0xFFFFFFF);
}

static void *worker_run(void *arg)
{
	worker *w = arg;
	run_ctx *rc = w->rc;
	void *conn = NULL;
	long on_conn = 0;
	char err[256], qid[32];

	for (;;) {
		double t0 = lg_now();
		if (t0 >= rc->deadline)
			break;
		size_t i = atomic_fetch_add(&rc->next, 1);
		if (rc->max && i >= rc->max)
			break;
		const lg_msg *m = rc->s->seq[i % rc->s->n];
		enum lg_outcome o;
		make_qid(qid, sizeof qid);
		err[0] = '\0';
		if (!conn)
			conn = P->open(rc->t, err, sizeof err);
		o = conn ? P->send(conn, m, qid, err, sizeof err) : LG_ERROR;
		double t1 = lg_now();
		if (w->nlat == w->cap)
			w->lat = xrealloc(w->lat, (w->cap = w->cap ? w->cap * 2 : 1024) * sizeof *w->lat);
		w->lat[w->nlat++] = (t1 - t0) * 1000.0;
		w->done++;
		w->bytes += m->raw_len;
		w->outcome[o]++;
		w->last = t1;
		if (o != LG_ACCEPT && !w->err[0])
			snprintf(w->err, sizeof w->err, "%s: %.200s (%.400s)", outcome_names[o],
				 err[0] ? err : "-", m->path);
		if (o == LG_ERROR) {
			if (conn)
				P->close(conn, false);
			conn = NULL;
			on_conn = 0;
			usleep(10000);
			continue;
		}
		if (++on_conn >= per_conn) {
			P->close(conn, true);
			conn = NULL;
			on_conn = 0;
		}
	}
	if (conn)
		P->close(conn, true);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void measure(const lg_target *t, const lg_set *s, int conc, double secs, lg_meas *out)
{
	run_ctx rc = { .t = t, .s = s, .max = max_msgs, .out = out };
	worker *ws = calloc((size_t)conc, sizeof *ws);
	pthread_t *th = xmalloc((size_t)conc * sizeof *th);

	if (!ws)
		die(2, "out of memory");
	memset(out, 0, sizeof *out);
	atomic_init(&rc.next, 0);
	double cpu0 = t->pid ? tree_cpu(t->pid) : 0;
	if (t->pid && cpu0 < 0)
		die(2, "target %s: process %ld is gone", t->name, (long)t->pid);
	double extra0[MAX_EXTRA];
	for (int k = 0; k < nextra; k++)
		if ((extra0[k] = tree_cpu(extra_pid[k])) < 0)
			die(2, "--cpu %s: process %ld is gone", extra_name[k], (long)extra_pid[k]);
	double busy0 = all_busy(), self0 = self_cpu();
	rc.start = lg_now();
	rc.deadline = rc.start + secs;
	for (int i = 0; i < conc; i++) {
		ws[i].rc = &rc;
		if (pthread_create(&th[i], NULL, worker_run, &ws[i]) != 0)
			die(2, "pthread_create failed");
	}
	double last = rc.start;
	for (int i = 0; i < conc; i++) {
		pthread_join(th[i], NULL);
		if (ws[i].last > last)
			last = ws[i].last;
	}
	double end = last;
	if (drain_dir) {
		double limit = lg_now() + 600;
		while (queued(drain_dir) > 0 && lg_now() < limit)
			usleep(2000);
		end = lg_now();
		out->drain = end - last;
	}
	double cpu1 = t->pid ? tree_cpu(t->pid) : 0;
	if (t->pid && cpu1 < 0)
		die(2, "target %s: process %ld died during the run", t->name, (long)t->pid);
	for (int k = 0; k < nextra; k++) {
		double e = tree_cpu(extra_pid[k]);
		if (e < 0)
			die(2, "--cpu %s: process %ld died during the run", extra_name[k],
			    (long)extra_pid[k]);
		out->extra_cpu[k] = e - extra0[k];
	}
	out->all_cpu = all_busy() - busy0;
	out->client_cpu = self_cpu() - self0;
	out->daemon_cpu = t->pid ? cpu1 - cpu0 : -1;
	out->wall = end - rc.start;
	for (int i = 0; i < conc; i++) {
		worker *w = &ws[i];
		out->done += w->done;
		out->bytes += w->bytes;
		for (int k = 0; k < LG_N_OUTCOMES; k++)
			out->outcome[k] += w->outcome[k];
		out->lat = xrealloc(out->lat, (out->nlat + w->nlat) * sizeof *out->lat);
		if (w->nlat)
			memcpy(out->lat + out->nlat, w->lat, w->nlat * sizeof *w->lat);
		out->nlat += w->nlat;
		if (w->err[0] && !out->first_error[0])
			snprintf(out->first_error, sizeof out->first_error, "%s", w->err);
		free(w->lat);
	}
	out->valid = true;
	free(ws);
	free(th);
}

/* ---- the table ---------------------------------------------------------------- */

static double rate_of(const lg_meas *m)
{
	return m->wall > 0 ? (double)m->done / m->wall : 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double pct(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)(p * (double)n + 0.999999);
	return sorted[k == 0 ? 0 : k - 1];
}

static size_t fails_of(const lg_meas *m)
{
	return m->done - m->outcome[LG_ACCEPT];
}

/* results[round][set][conc][target] */
static lg_meas *results;

static lg_meas *res(int r, int s, int c, int t)
{
	return &results[((r * nsets + s) * nconcs + c) * ntargets + t];
}

static void print_table(void)
{
	printf("%-8s %-9s %4s %19s %7s %8s %8s %8s %6s", "set", "target", "conc",
	       "msgs/s (range)", "MB/s", "p50 ms", "p99 ms", "dCPU ms", "dcores");
	for (int k = 0; k < nextra; k++)
		printf(" %8.8s", extra_name[k]);
	printf(" %8s %18s %6s %5s\n", "allCPU", "ratio (range)", "cost", "fail");
	for (int s = 0; s < nsets; s++) {
		for (int c = 0; c < nconcs; c++) {
			for (int t = 0; t < ntargets; t++) {
				double rates[MAX_ROUNDS], ratios[MAX_ROUNDS], dcpu[MAX_ROUNDS],
				       dcores[MAX_ROUNDS], acpu[MAX_ROUNDS],
				       ecpu[MAX_EXTRA][MAX_ROUNDS];
				size_t nl = 0, fails = 0, bytes = 0, done = 0;
				double *lat = NULL;
				int n = 0, nr = 0;
				bool has_pid = false;
				for (int r = 0; r < rounds; r++) {
					lg_meas *m = res(r, s, c, t);
					if (!m->valid)
						continue;
					rates[n] = rate_of(m);
					dcpu[n] = m->done ? m->daemon_cpu / (double)m->done * 1000 : 0;
					dcores[n] = m->wall > 0 ? m->daemon_cpu / m->wall : 0;
					acpu[n] = m->done ? m->all_cpu / (double)m->done * 1000 : 0;
					for (int k = 0; k < nextra; k++)
						ecpu[k][n] = m->done ? m->extra_cpu[k] /
							(double)m->done * 1000 : 0;
					has_pid |= m->daemon_cpu >= 0;
					lg_meas *f = res(r, s, c, 0);
					if (t > 0 && f->valid && rate_of(m) > 0)
						ratios[nr++] = rate_of(f) / rate_of(m);
					lat = xrealloc(lat, (nl + m->nlat) * sizeof *lat);
					if (m->nlat)
						memcpy(lat + nl, m->lat, m->nlat * sizeof *lat);
					nl += m->nlat;
					fails += fails_of(m);
					bytes += m->bytes;
					done += m->done;
					n++;
				}
				if (n == 0)
					continue;
				qsort(lat, nl, sizeof *lat, cmp_double);
				double lo = rates[0], hi = rates[0];
				for (int i = 1; i < n; i++) {
					lo = rates[i] < lo ? rates[i] : lo;
					hi = rates[i] > hi ? rates[i] : hi;
				}
				double med = median(rates, n);
				double avg_bytes = done ? (double)bytes / (double)done : 0;
				char rbuf[40], ratio[40] = "-", cost[16] = "-", dc[16] = "-", dk[16] = "-";
				snprintf(rbuf, sizeof rbuf, "%.0f (%.0f-%.0f)", med, lo, hi);
				if (nr > 0) {
					double rlo = ratios[0], rhi = ratios[0];
					for (int i = 1; i < nr; i++) {
						rlo = ratios[i] < rlo ? ratios[i] : rlo;
						rhi = ratios[i] > rhi ? ratios[i] : rhi;
					}
					double rm = median(ratios, nr);
					snprintf(ratio, sizeof ratio, "%.2f (%.2f-%.2f)", rm, rlo, rhi);
					snprintf(cost, sizeof cost, "%.0f%%", (1 - 1 / rm) * 100);
				}
				if (has_pid) {
					snprintf(dc, sizeof dc, "%.3f", median(dcpu, n));
					snprintf(dk, sizeof dk, "%.2f", median(dcores, n));
				}
				printf("%-8s %-9s %4d %19s %7.2f %8.2f %8.2f %8s %6s",
				       sets[s].name, targets[t].name, concs[c], rbuf,
				       med * avg_bytes / 1e6, pct(lat, nl, 0.50), pct(lat, nl, 0.99),
				       dc, dk);
				for (int k = 0; k < nextra; k++)
					printf(" %8.3f", median(ecpu[k], n));
				printf(" %8.3f %18s %6s %5zu\n", median(acpu, n), ratio, cost, fails);
				free(lat);
			}
		}
		if (s + 1 < nsets)
			putchar('\n');
	}
}

static void print_failures(void)
{
	bool any = false;

	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < nsets; s++)
			for (int c = 0; c < nconcs; c++)
				for (int t = 0; t < ntargets; t++) {
					lg_meas *m = res(r, s, c, t);
					if (!m->valid || fails_of(m) == 0)
						continue;
					if (!any)
						printf("\nfailures:\n");
					any = true;
					printf("  round %d %s %s c=%d:", r + 1, sets[s].name,
					       targets[t].name, concs[c]);
					for (int k = 1; k < LG_N_OUTCOMES; k++)
						if (m->outcome[k])
							printf(" %s=%zu", outcome_names[k], m->outcome[k]);
					printf("; first: %s\n", m->first_error);
				}
}

static void write_raw(void)
{
	FILE *f = fopen(raw_file, "w");

	if (!f) {
		fprintf(stderr, "%s: cannot write %s: %s\n", P->prog, raw_file, strerror(errno));
		return;
	}
	fprintf(f, "round\tset\tconc\ttarget\tmessages\tseconds\tdrain_s\tmsgs_per_s\t"
		"p50_ms\tp99_ms\tdaemon_cpu_s\tall_cpu_s\tclient_cpu_s\tfailed");
	for (int k = 0; k < nextra; k++)
		fprintf(f, "\t%s_cpu_s", extra_name[k]);
	fputc('\n', f);
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < nsets; s++)
			for (int c = 0; c < nconcs; c++)
				for (int t = 0; t < ntargets; t++) {
					lg_meas *m = res(r, s, c, t);
					if (!m->valid)
						continue;
					qsort(m->lat, m->nlat, sizeof *m->lat, cmp_double);
					fprintf(f, "%d\t%s\t%d\t%s\t%zu\t%.3f\t%.3f\t%.1f\t%.3f\t%.3f\t"
						"%.3f\t%.3f\t%.3f\t%zu", r + 1, sets[s].name, concs[c],
						targets[t].name, m->done, m->wall, m->drain, rate_of(m),
						pct(m->lat, m->nlat, 0.5), pct(m->lat, m->nlat, 0.99),
						m->daemon_cpu, m->all_cpu, m->client_cpu, fails_of(m));
					for (int k = 0; k < nextra; k++)
						fprintf(f, "\t%.3f", m->extra_cpu[k]);
					fputc('\n', f);
				}
	fclose(f);
}

/* ---- options -------------------------------------------------------------------- */

static void usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
		"usage: %s -t NAME=ADDR[,pid=PID] [-t ...] [options] SET...\n"
		"  ADDR: %s\n"
		"  SET: DIR (its *.eml, or each subdirectory with *.eml as a set), NAME=DIR, FILE\n"
		"options:\n"
		"  -t, --target NAME=ADDR[,pid=PID]  a peer to load; PID: its process, for CPU time\n"
		"  -c, --conc LIST        concurrent connections, e.g. 1,4,16 (default)\n"
		"  -s, --seconds S        per measurement (default 3)\n"
		"  -r, --rounds R         rounds; the targets alternate within a round (default 3)\n"
		"  -n, --max N            at most N messages per measurement\n"
		"  -m, --mix NAME=W,...   add a set \"mix\" of the named sets, by weight\n"
		"      --sets LIST        run only these sets, in this order (mix included)\n"
		"  -w, --warmup S         warm each target on each set first (default 1, 0: off)\n"
		"      --per-conn N       messages per connection (default 1: a session each)\n"
		"      --drain QUEUE_DIR  count a message as done when the Postfix queue is empty\n"
		"      --cpu NAME=PID     also report the CPU of PID and its descendants (up to %d)\n"
		"      --rcpt ADDR        envelope recipient (default %s)\n"
		"      --from-domain D    envelope sender domain (default %s)\n"
		"      --timeout S        seconds for a read or write (default %d)\n"
		"      --raw FILE         every measurement as a tab-separated line\n"
		"  -q, --quiet            no progress lines on stderr\n",
		P->prog, P->addr_help, MAX_EXTRA, lg_rcpt, lg_sender_domain, lg_timeout);
	exit(code);
}

static double parse_num(const char *s, const char *what)
{
	char *end = NULL;
	double v = strtod(s, &end);

	if (!*s || *end || v < 0)
		die(2, "bad %s: %s", what, s);
	return v;
}

static void parse_target(const char *arg)
{
	if (ntargets == MAX_TARGETS)
		die(2, "too many targets");
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		die(2, "bad target %s (NAME=ADDR[,pid=PID])", arg);
	lg_target *t = &targets[ntargets++];
	t->name = xstrndup(arg, (size_t)(eq - arg));
	const char *pidp = strstr(eq + 1, ",pid=");
	t->addr = pidp ? xstrndup(eq + 1, (size_t)(pidp - eq - 1)) : xstrdup(eq + 1);
	if (pidp)
		t->pid = (pid_t)parse_num(pidp + 5, "pid");
	char err[256] = "";
	if (P->check_addr && !P->check_addr(t->addr, err, sizeof err))
		die(2, "target %s: %s", t->name, err);
}

static void parse_concs(const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;

	nconcs = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nconcs == MAX_CONCS)
			die(2, "too many concurrencies");
		int c = (int)parse_num(tok, "concurrency");
		if (c < 1 || c > 1024)
			die(2, "bad concurrency %s", tok);
		concs[nconcs++] = c;
	}
	if (!nconcs)
		die(2, "empty --conc");
	free(copy);
}

static void select_sets(const char *list)
{
	lg_set chosen[MAX_SETS];
	int n = 0;
	char *copy = xstrdup(list), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		lg_set *s = set_named(tok);
		if (!s)
			die(2, "--sets names %s, which is not a loaded set", tok);
		chosen[n++] = *s;
	}
	memcpy(sets, chosen, (size_t)n * sizeof *sets);
	nsets = n;
	free(copy);
}

int lg_main(int argc, char **argv, const lg_proto *proto)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "conc", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "max", required_argument, NULL, 'n' },
		{ "mix", required_argument, NULL, 'm' },
		{ "sets", required_argument, NULL, 'S' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "per-conn", required_argument, NULL, 'P' },
		{ "drain", required_argument, NULL, 'D' },
		{ "rcpt", required_argument, NULL, 'R' },
		{ "from-domain", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "raw", required_argument, NULL, 'W' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mix = NULL, *only = NULL;
	int opt;

	P = proto;
	clk_tck = sysconf(_SC_CLK_TCK);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "t:c:s:r:n:m:w:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': parse_target(optarg); break;
		case 'c': parse_concs(optarg); break;
		case 's': seconds = parse_num(optarg, "--seconds"); break;
		case 'r':
			rounds = (int)parse_num(optarg, "--rounds");
			if (rounds < 1 || rounds > MAX_ROUNDS)
				die(2, "--rounds must be 1..%d", MAX_ROUNDS);
			break;
		case 'n': max_msgs = (size_t)parse_num(optarg, "--max"); break;
		case 'm': mix = optarg; break;
		case 'S': only = optarg; break;
		case 'w': warmup = parse_num(optarg, "--warmup"); break;
		case 'P':
			per_conn = (long)parse_num(optarg, "--per-conn");
			if (per_conn < 1)
				die(2, "--per-conn must be at least 1");
			break;
		case 'D': drain_dir = optarg; break;
		case 'R': lg_rcpt = optarg; break;
		case 'F': lg_sender_domain = optarg; break;
		case 'T': lg_timeout = (int)parse_num(optarg, "--timeout"); break;
		case 'W': raw_file = optarg; break;
		case 'C': {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || nextra == MAX_EXTRA)
				die(2, "bad --cpu %s (NAME=PID, at most %d)", optarg, MAX_EXTRA);
			extra_name[nextra] = xstrndup(optarg, (size_t)(eq - optarg));
			extra_pid[nextra++] = (pid_t)parse_num(eq + 1, "--cpu pid");
			break;
		}
		case 'q': quiet = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (ntargets == 0 || optind >= argc)
		usage(2);
	for (int i = optind; i < argc; i++)
		add_operand(argv[i]);
	if (mix)
		build_mix(mix);
	if (only)
		select_sets(only);
	for (int s = 0; s < nsets; s++) {
		double b = 0;
		for (size_t i = 0; i < sets[s].n; i++)
			b += (double)sets[s].seq[i]->raw_len;
		sets[s].avg_bytes = b / (double)sets[s].n;
	}
	run_id = (unsigned)time(NULL) ^ ((unsigned)getpid() << 12);

	printf("# %s: %d targets, concurrency", P->prog, ntargets);
	for (int c = 0; c < nconcs; c++)
		printf("%s%d", c ? "," : " ", concs[c]);
	printf(", %d rounds of %g s, %ld message%s per connection%s\n", rounds, seconds,
	       per_conn, per_conn == 1 ? "" : "s", drain_dir ? ", until the queue is drained" : "");
	for (int s = 0; s < nsets; s++)
		printf("# set %-8s %5zu messages, %9.1f KB average\n", sets[s].name, sets[s].n,
		       sets[s].avg_bytes / 1024);
	for (int t = 0; t < ntargets; t++)
		printf("# target %-8s %s%s\n", targets[t].name, targets[t].addr,
		       targets[t].pid ? "" : " (no pid: no daemon CPU)");
	fflush(stdout);

	results = calloc((size_t)rounds * (size_t)nsets * (size_t)nconcs * (size_t)ntargets,
			 sizeof *results);
	if (!results)
		die(2, "out of memory");
	if (warmup > 0) {
		int wc = concs[nconcs - 1] < 4 ? concs[nconcs - 1] : 4;
		for (int s = 0; s < nsets; s++)
			for (int t = 0; t < ntargets; t++) {
				lg_meas m;
				measure(&targets[t], &sets[s], wc, warmup, &m);
				free(m.lat);
				if (!quiet)
					fprintf(stderr, "warm-up %s %s: %zu messages, %zu failed\n",
						sets[s].name, targets[t].name, m.done, fails_of(&m));
			}
	}
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < nsets; s++)
			for (int c = 0; c < nconcs; c++)
				for (int k = 0; k < ntargets; k++) {
					int t = (k + r) % ntargets;   /* who goes first rotates */
					lg_meas *m = res(r, s, c, t);
					measure(&targets[t], &sets[s], concs[c], seconds, m);
					if (!quiet) {
						qsort(m->lat, m->nlat, sizeof *m->lat, cmp_double);
						fprintf(stderr, "round %d %-8s c=%-3d %-9s %8.1f msgs/s  "
							"p50 %.2f ms  p99 %.2f ms%s%s\n", r + 1,
							sets[s].name, concs[c], targets[t].name,
							rate_of(m), pct(m->lat, m->nlat, 0.5),
							pct(m->lat, m->nlat, 0.99),
							fails_of(m) ? "  FAILED: " : "",
							fails_of(m) ? m->first_error : "");
					}
				}
	putchar('\n');
	print_table();
	print_failures();
	if (raw_file)
		write_raw();
	printf("\nmsgs/s: median round (range of rounds); MB/s: of input; p50/p99: per message, all rounds;\n"
	       "dCPU ms: the target process's CPU per message, dcores: its CPU / wall time;\n"
	       "a --cpu column: ms of CPU per message of that process and its descendants;\n"
	       "allCPU: ms of all CPUs busy per message (everything on the machine, this client included);\n"
	       "ratio: %s's msgs/s / this row's, per round; cost = 1 - 1/ratio.\n", targets[0].name);
	int status = 0;
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < nsets; s++)
			for (int c = 0; c < nconcs; c++)
				for (int t = 0; t < ntargets; t++)
					if (res(r, s, c, t)->valid && fails_of(res(r, s, c, t)))
						status = 1;
	return status;
}
