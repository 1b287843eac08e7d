/*
 * notice.c - renders the notice block from a template and the verdict.
 *
 * mg_notice_render() picks the template (notice_template, else the built-in
 * one for notice_language, embedded at build time from conf/notice.*.txt),
 * builds the {actions} and {removed} lines from per-language phrase tables
 * and expands it with mg_notice_expand().  All returned strings are the
 * caller's.  File names shown here are already display-safe (the engine
 * passes them through mg_name_display()).
 */
#include "notice.h"

#include <string.h>

extern const char mg_notice_template_ja[];
extern const char mg_notice_template_en[];

typedef struct {
	const char *html, *converted, *removed, *links_defanged, *links_removed,
		*mismatch, *signature, *encrypted, *limit, *replaced, *forged,
		*unnamed, *bytes, *why_inline, *why_signature, *why_encrypted,
		*why_uuencode, *why_yenc, *why_partial, *why_external, *why_limit, *why_virus,
		*open, *sep, *close, *virus, *suspicious, *cannot_inspect,
		*password, *banned, *mismatch_type, *true_type, *found_virus,
		*found_suspicious, *caution, *contents, *more, *member_encrypted;
} phrases;

static const phrases ja = {
	.html = "・HTML形式のメールをテキスト形式にしました",
	.converted = "・リッチテキストや予定表などの本文をテキストに変換しました",
	.removed = "・添付ファイル等 %s 件を削除しました",
	.links_defanged = "・リンク %s 件を無効化しました（末尾のリンク一覧を参照）",
	.links_removed = "・リンク %s 件を削除しました",
	.mismatch = "・表示と実際のリンク先が異なるリンクが %s 件あります。ご注意ください",
	.signature = "・電子署名を削除しました（原本には残っています）",
	.encrypted = "・暗号化された内容は検査できないため削除しました",
	.limit = "・処理の上限（%s）を超えたため、一部の内容を処理していません",
	.replaced = "・解読できない文字 %s 個を「\xEF\xBF\xBD」に置き換えました",
	.forged = "・偽装された無害化ヘッダを削除しました",
	.unnamed = "（名前なし）",
	.bytes = "バイト",
	.why_inline = "本文中の画像等",
	.why_signature = "電子署名",
	.why_encrypted = "暗号化された内容",
	.why_uuencode = "本文中のuuencode",
	.why_yenc = "本文中のyEnc",
	.why_partial = "分割メッセージ",
	.why_external = "外部参照",
	.why_limit = "上限超過のため未処理",
	.why_virus = "ウイルスを含む本文",
	.open = "（", .sep = "、", .close = "）",
	.virus = "・ウイルスを検出しました（%s）",
	.suspicious = "・不審な内容を検出しました（%s）",
	.cannot_inspect = "・暗号化されているなどの理由で、中身を検査できないファイルがありました",
	.password = "・パスワード付きZIPなど暗号化されたファイルのため、中身を検査できませんでした",
	.banned = "・実行ファイルなど危険な種類のファイルがありました。開かないでください",
	.mismatch_type = "・拡張子と実際の種類が異なるファイルがありました",
	.true_type = "      実際の種類: %s",
	.found_virus = "      ウイルス: %s",
	.found_suspicious = "      不審: %s",
	.caution = "      注意: %s",
	.contents = "      内容: %s",
	.more = "ほか %s 件",
	.member_encrypted = "暗号化",
};

static const phrases en = {
	.html = "- The HTML message was turned into plain text",
	.converted = "- Rich text or calendar content was converted to plain text",
	.removed = "- %s attachment(s) or embedded part(s) were removed",
	.links_defanged = "- %s link(s) were disarmed (see the list of links at the end)",
	.links_removed = "- %s link(s) were removed",
	.mismatch = "- %s link(s) show a different address than where they really go: be careful",
	.signature = "- The digital signature was removed (the original still has it)",
	.encrypted = "- Encrypted content cannot be inspected and was removed",
	.limit = "- A processing limit (%s) was exceeded; some content was not processed",
	.replaced = "- %s undecodable character(s) were replaced by \"\xEF\xBF\xBD\"",
	.forged = "- Forged sanitizer headers were removed",
	.unnamed = "(no name)",
	.bytes = "bytes",
	.why_inline = "embedded image or object",
	.why_signature = "digital signature",
	.why_encrypted = "encrypted content",
	.why_uuencode = "uuencoded file in the text",
	.why_yenc = "yEnc file in the text",
	.why_partial = "message fragment",
	.why_external = "external reference",
	.why_limit = "not processed: limit exceeded",
	.why_virus = "text carrying a virus",
	.open = " (", .sep = ", ", .close = ")",
	.virus = "- A virus was found (%s)",
	.suspicious = "- Suspicious content was found (%s)",
	.cannot_inspect = "- A file could not be inspected (encrypted or unreadable)",
	.password = "- A password-protected ZIP or other encrypted file could not be inspected",
	.banned = "- A dangerous kind of file (an executable, for example) was attached: do not open it",
	.mismatch_type = "- A file's name does not match what it really is",
	.true_type = "      True type: %s",
	.found_virus = "      Virus: %s",
	.found_suspicious = "      Suspicious: %s",
	.caution = "      Caution: %s",
	.contents = "      Contents: %s",
	.more = "and %s more",
	.member_encrypted = "encrypted",
};

/* Words for the classifier's finding codes (classify.h), ja and en. */
static const struct { const char *code, *ja, *en; } finding_words[] = {
	{ "executable", "実行ファイル", "executable" },
	{ "double_extension", "二重拡張子", "double extension" },
	{ "bidi_name", "名前に文字の向きを変える制御文字", "bidi control in the name" },
	{ "trailing_dot", "名前の末尾に点や空白", "name ends in dots or spaces" },
	{ "clsid_name", "CLSID付きの名前", "CLSID in the name" },
	{ "suspicious_name", "名前に見えない文字", "invisible characters in the name" },
	{ "type_mismatch", "拡張子と実際の種類が異なる", "name and true type differ" },
	{ "encrypted_document", "パスワード付き文書", "password-protected document" },
	{ "smime_encrypted", "S/MIME暗号化", "S/MIME encrypted" },
	{ "smime_opaque", "S/MIME署名の中身", "inside an S/MIME signature" },
	{ "pgp_encrypted", "PGP暗号化", "PGP encrypted" },
	{ "encrypted_archive", "パスワード付き圧縮ファイル", "password-protected archive" },
	{ "archive_unreadable", "読み取れない圧縮ファイル", "unreadable archive" },
	{ "archive_bomb", "展開すると巨大になる圧縮ファイル", "archive bomb" },
	{ "archive_depth", "圧縮ファイルの入れ子が深すぎる", "archives nested too deep" },
	{ "archive_executable", "圧縮ファイル内に実行ファイル", "executable inside the archive" },
	{ "archive_suspicious_name", "圧縮ファイル内に不審な名前", "suspicious name inside the archive" },
};

/* Appends phrase as a new line, its "%s" replaced by arg. */
static void add_phrase(GString *s, const char *phrase, const char *arg)
{
	const char *mark = strstr(phrase, "%s");

	if (s->len)
		g_string_append_c(s, '\n');
	if (!mark) {
		g_string_append(s, phrase);
		return;
	}
	g_string_append_len(s, phrase, mark - phrase);
	g_string_append(s, arg);
	g_string_append(s, mark + 2);
}

static void add_count(GString *s, const char *phrase, size_t n)
{
	char num[32];

	g_snprintf(num, sizeof num, "%zu", n);
	add_phrase(s, phrase, num);
}

static void add_line(GString *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_line(GString *s, const char *fmt, ...)
{
	va_list ap;

	if (s->len)
		g_string_append_c(s, '\n');
	va_start(ap, fmt);
	g_string_append_vprintf(s, fmt, ap);
	va_end(ap);
}

static unsigned count_removed(const mg_verdict *v, bool signatures)
{
	unsigned n = 0;

	for (guint i = 0; i < v->removed->len; i++) {
		const mg_removed *r = v->removed->pdata[i];
		if ((strcmp(r->why, "signature") == 0) == signatures)
			n++;
	}
	return n;
}

static char *limit_names(const mg_verdict *v)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < v->limits->len; i++) {
		if (i)
			g_string_append(s, ", ");
		g_string_append(s, ((mg_limit_hit *)v->limits->pdata[i])->name);
	}
	return g_string_free(s, FALSE);
}

/* Detection names of one kind, joined. */
static char *detection_names(const mg_verdict *v, bool virus)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < v->detections->len; i++) {
		const mg_detection *d = v->detections->pdata[i];
		if (d->virus != virus || (s->len && strstr(s->str, d->name)))
			continue;
		if (s->len)
			g_string_append(s, ", ");
		g_string_append(s, d->name);
	}
	return g_string_free(s, FALSE);
}

static void add_detections(GString *s, const mg_verdict *v, const phrases *p)
{
	for (int virus = 1; virus >= 0; virus--) {
		char *names = detection_names(v, virus);
		if (*names)
			add_phrase(s, virus ? p->virus : p->suspicious, names);
		g_free(names);
	}
}

static bool any_finding(const mg_verdict *v, const char *code)
{
	for (guint i = 0; i < v->removed->len; i++) {
		const mg_removed *r = v->removed->pdata[i];
		if (r->findings && g_strv_contains((const char *const *)r->findings, code))
			return true;
	}
	return false;
}

/* What the classifier found, in words a recipient understands. */
static void add_classified(GString *s, const mg_verdict *v, const phrases *p)
{
	if (any_finding(v, "encrypted_archive") || any_finding(v, "encrypted_document"))
		add_phrase(s, p->password, NULL);
	else if (v->reasons & MG_R_CANNOT_INSPECT && !(v->reasons & MG_R_ENCRYPTED))
		add_phrase(s, p->cannot_inspect, NULL);
	if (any_finding(v, "executable") || any_finding(v, "archive_executable") ||
	    any_finding(v, "clsid_name"))
		add_phrase(s, p->banned, NULL);
	if (any_finding(v, "type_mismatch"))
		add_phrase(s, p->mismatch_type, NULL);
}

static char *render_actions(const mg_verdict *v, const mg_config *cfg, const phrases *p)
{
	GString *s = g_string_new(NULL);
	unsigned removed = count_removed(v, false);

	if (v->reasons & MG_R_HTML_CONVERTED)
		add_phrase(s, p->html, NULL);
	if (v->reasons & MG_R_CONVERTED)
		add_phrase(s, p->converted, NULL);
	if (removed)
		add_count(s, p->removed, removed);
	if (v->reasons & MG_R_SIGNATURE)
		add_phrase(s, p->signature, NULL);
	if (v->reasons & MG_R_ENCRYPTED)
		add_phrase(s, p->encrypted, NULL);
	if ((v->reasons & MG_R_LINKS) && cfg->links == 2)
		add_count(s, p->links_removed, v->links);
	else if (v->reasons & MG_R_LINKS)
		add_count(s, p->links_defanged, v->links);
	if (v->links_mismatch)
		add_count(s, p->mismatch, v->links_mismatch);
	if (v->replacements)
		add_count(s, p->replaced, v->replacements);
	add_detections(s, v, p);
	add_classified(s, v, p);
	if (v->reasons & MG_R_FORGED_HEADER)
		add_phrase(s, p->forged, NULL);
	if (v->limits->len) {
		char *names = limit_names(v);
		add_phrase(s, p->limit, names);
		g_free(names);
	}
	return g_string_free(s, FALSE);
}

static const char *why_label(const char *why, const phrases *p)
{
	static const struct { const char *why; size_t off; } map[] = {
		{ "inline", offsetof(phrases, why_inline) },
		{ "signature", offsetof(phrases, why_signature) },
		{ "encrypted", offsetof(phrases, why_encrypted) },
		{ "uuencode", offsetof(phrases, why_uuencode) },
		{ "yenc", offsetof(phrases, why_yenc) },
		{ "partial", offsetof(phrases, why_partial) },
		{ "external-body", offsetof(phrases, why_external) },
		{ "limit", offsetof(phrases, why_limit) },
		{ "virus", offsetof(phrases, why_virus) },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (strcmp(why, map[i].why) == 0)
			return *(const char *const *)((const char *)p + map[i].off);
	return NULL;
}

/* "1,234,567" */
static char *thousands(size_t n)
{
	char digits[32];
	GString *s = g_string_new(NULL);
	int len = g_snprintf(digits, sizeof digits, "%zu", n);

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			g_string_append_c(s, ',');
		g_string_append_c(s, digits[i]);
	}
	return g_string_free(s, FALSE);
}

static bool english_phrases(const phrases *p)
{
	return p == &en;
}

static void render_findings(GString *s, char **findings, const phrases *p)
{
	GString *words = g_string_new(NULL);

	for (char **f = findings; f && *f; f++)
		for (size_t i = 0; i < G_N_ELEMENTS(finding_words); i++) {
			if (strcmp(*f, finding_words[i].code) != 0)
				continue;
			if (words->len)
				g_string_append(words, p->sep);
			g_string_append(words, english_phrases(p) ? finding_words[i].en : finding_words[i].ja);
		}
	if (words->len)
		add_phrase(s, p->caution, words->str);
	g_string_free(words, TRUE);
}

#define MEMBERS_SHOWN 10

static void render_members(GString *s, const GPtrArray *members, const phrases *p)
{
	GString *list = g_string_new(NULL);

	for (guint i = 0; members && i < members->len && i < MEMBERS_SHOWN; i++) {
		const mg_removed_member *m = members->pdata[i];
		if (list->len)
			g_string_append(list, p->sep);
		g_string_append(list, m->name);
		if (m->encrypted)
			g_string_append_printf(list, "%s%s%s", p->open, p->member_encrypted, p->close);
	}
	if (members && members->len > MEMBERS_SHOWN) {
		char n[32];
		g_snprintf(n, sizeof n, "%u", members->len - MEMBERS_SHOWN);
		g_string_append(list, p->sep);
		const char *mark = strstr(p->more, "%s");
		g_string_append_len(list, p->more, mark - p->more);
		g_string_append(list, n);
		g_string_append(list, mark + 2);
	}
	if (list->len)
		add_phrase(s, p->contents, list->str);
	g_string_free(list, TRUE);
}

/* True type, detection, findings and archive listing of a removed part. */
static void render_removed_findings(GString *s, const mg_removed *r, const phrases *p)
{
	if (r->true_type && r->findings &&
	    g_strv_contains((const char *const *)r->findings, "type_mismatch"))
		add_phrase(s, p->true_type, r->true_type);
	if (r->detection)
		add_phrase(s, g_str_has_prefix(r->detection, "Heuristics.") ? p->found_suspicious
									   : p->found_virus, r->detection);
	render_findings(s, r->findings, p);
	render_members(s, r->members, p);
}

static void render_one_removed(GString *s, unsigned n, const mg_removed *r, const phrases *p)
{
	const char *label = why_label(r->why, p);
	char *size = thousands(r->size);

	add_line(s, "  [%u] %s%s%s%s%s %s", n, r->filename ? r->filename : p->unnamed,
		 p->open, r->content_type, p->sep, size, p->bytes);
	if (label)
		g_string_append_printf(s, "%s%s", p->sep, label);
	g_string_append(s, p->close);
	if (r->sha256[0])
		add_line(s, "      SHA-256: %s", r->sha256);
	render_removed_findings(s, r, p);
	g_free(size);
}

static char *render_removed(const mg_verdict *v, const phrases *p)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < v->removed->len; i++)
		render_one_removed(s, i + 1, v->removed->pdata[i], p);
	return g_string_free(s, FALSE);
}

static const char *placeholder_value(const char *name, size_t len, const char *actions,
				     const char *removed, const char *id, bool *known)
{
	*known = true;
	if (len == 7 && strncmp(name, "actions", 7) == 0)
		return actions ? actions : "";
	if (len == 7 && strncmp(name, "removed", 7) == 0)
		return removed ? removed : "";
	if (len == 2 && strncmp(name, "id", 2) == 0)
		return id ? id : "";
	*known = false;
	return "";
}

/* Appends value; its continuation lines get indent in front. */
static void append_indented(GString *out, const char *value, const char *indent, size_t ilen)
{
	for (const char *p = value; *p; p++) {
		g_string_append_c(out, *p);
		if (*p == '\n')
			g_string_append_len(out, indent, (gssize)ilen);
	}
}

/* Expands one template line (without its '\n') into out; returns false when
 * the line is to be left out. */
static bool expand_line(GString *out, const char *line, size_t len, const char *actions,
			const char *removed, const char *id)
{
	const char *end = line + len;
	bool all_empty = true, any = false;
	size_t start = out->len;

	while (line + 4 <= end && line[0] == '{' && line[1] == '?') {
		const char *close = memchr(line, '}', (size_t)(end - line));
		bool known;
		if (!close)
			break;
		const char *val = placeholder_value(line + 2, (size_t)(close - line - 2),
						    actions, removed, id, &known);
		if (known && !*val)
			return false;
		line = close + 1;
	}
	const char *text_start = line;
	while (line < end) {
		const char *close = line[0] == '{' ? memchr(line, '}', (size_t)(end - line)) : NULL;
		bool known = false;
		const char *val = close ? placeholder_value(line + 1, (size_t)(close - line - 1),
							    actions, removed, id, &known) : NULL;
		if (!known) {
			g_string_append_c(out, *line++);
			continue;
		}
		any = true;
		all_empty = all_empty && !*val;
		append_indented(out, val, text_start, (size_t)(line - text_start));
		line = close + 1;
	}
	if (any && all_empty && strspn(out->str + start, " \t") == out->len - start) {
		g_string_truncate(out, start);
		return false;
	}
	return true;
}

char *mg_notice_expand(const char *tmpl, const char *actions, const char *removed,
		       const char *id)
{
	GString *out = g_string_new(NULL);
	const char *p = tmpl;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (expand_line(out, p, len, actions, removed, id))
			g_string_append_c(out, '\n');
		p += len + (nl ? 1 : 0);
	}
	return g_string_free(out, FALSE);
}

static char *load_template(const mg_config *cfg, char **err)
{
	char *text = NULL;
	gsize len = 0;
	GError *gerr = NULL;

	if (!cfg->notice_template || !*cfg->notice_template)
		return g_strdup(cfg->notice_language == MG_LANG_EN ? mg_notice_template_en
								   : mg_notice_template_ja);
	if (!g_file_get_contents(cfg->notice_template, &text, &len, &gerr)) {
		*err = g_strdup_printf("notice_template: %s", gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		*err = g_strdup_printf("notice_template: %s is not UTF-8", cfg->notice_template);
		g_free(text);
		return NULL;
	}
	return text;
}

char *mg_notice_render(const mg_verdict *v, const mg_config *cfg, char **err)
{
	const phrases *p = cfg->notice_language == MG_LANG_EN ? &en : &ja;
	char *tmpl = load_template(cfg, err);

	if (!tmpl)
		return NULL;
	char *actions = render_actions(v, cfg, p);
	char *removed = render_removed(v, p);
	char *out = mg_notice_expand(tmpl, actions, removed, v->keep_original ? v->id : NULL);
	g_free(tmpl);
	g_free(actions);
	g_free(removed);
	return out;
}
