#!/bin/sh
# tests/report/html.sh -- the HTML report (report_html.c) in a real browser:
# headless Chromium from Debian loads the page, takes a screenshot and
# prints it to PDF.
#
# SYNOPSIS
#	tests/report/html.sh
#
# DESCRIPTION
#	tests/report/html_fixture writes pages from reports made by hand
#	(tests/report/html_data.c: 31 days, 366 days, an incident look-up,
#	English; Japanese text and hostile strings throughout).  For each,
#	Chromium (--headless --no-sandbox --disable-gpu, a private profile
#	and HOME, background networking off, 60 s at most) must exit 0 and
#	  dom      --dump-dom: the page loaded: its title, one <svg> per chart
#	  console  no console message in --enable-logging=stderr (a CSP
#	           violation or a parse problem would show there)
#	  shot     --screenshot --window-size=1200,3000: a PNG, decoded here
#	           with python3's zlib (no PIL), that is not blank: enough
#	           colours, some but not mostly non-white pixels, and each
#	           outcome's colour of the daily chart drawn
#	and once --print-to-pdf: a PDF of A4 pages (595 x 842 pt) that
#	embeds a Japanese font when one is installed (else that case is
#	skipped: the page would show boxes for Japanese).  Two controls show
#	the checks can fail: a page with a blocked image and inline script
#	gives console messages, an empty page is found blank.  Each page is
#	one run: --dump-dom and --screenshot together.  When
#	`mugaika report --help` works and tests/report/fill_db is built, a
#	page made by the CLI from a filled quarantine is checked too.
#
#	Chromium's own noise on stderr (D-Bus, GPU, sandbox warnings) is
#	ignored; only "CONSOLE" lines count.  Processes left behind by a
#	run (their command line names this run's temporary directory) are
#	killed by their ID.
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR (make check sets them); CHROMIUM (default:
#	chromium or chromium-browser on PATH).
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 77 no chromium or python3, 99 the
#	suite could not run.  Prints "ok NAME" / "FAIL NAME" / "skip NAME"
#	and "html: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init html "$mg_here/../.."

FIXTURE=$MG_BUILDDIR/tests/report/html_fixture
FILL=$MG_BUILDDIR/tests/report/fill_db
[ -x "$FIXTURE" ] || mg_hard_error "$FIXTURE not built (make check builds it)"
if [ -z "${CHROMIUM:-}" ]; then
	CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
		mg_skip_all "chromium is not installed (apt-get install chromium)"
fi
command -v python3 >/dev/null 2>&1 || mg_skip_all "python3 is not installed"

mg_tmpdir
# kill_strays: ends the processes of this run's browsers still there.
kill_strays() {
	for p in $(pgrep -f -- "$MG_TMP/" 2>/dev/null); do
		[ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null
	done
}
cleanup() {
	kill_strays
	rm -rf "$MG_TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

mkdir -p "$MG_TMP/home"
HOME=$MG_TMP/home
XDG_CONFIG_HOME=$MG_TMP/home/.config
XDG_CACHE_HOME=$MG_TMP/home/.cache
export HOME XDG_CONFIG_HOME XDG_CACHE_HOME
if [ -f /usr/share/zoneinfo/Asia/Tokyo ]; then
	TZ=Asia/Tokyo
	export TZ
fi

# The outcomes' colours in report_html.c, in mg_outcome order.
COLOURS="009E73 0072B2 56B4E9 E69F00 CC79A7 D55E00 999999"
runs=0

# browse NAME ARGS...: Chromium on ARGS with a private profile, 60 s at
# most; stdout in $MG_TMP/NAME.out, stderr in NAME.err, status in $rc.
browse() {
	b_name=$1
	shift
	runs=$((runs + 1))
	mg_run_limited 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --no-default-browser-check --disable-extensions \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$MG_TMP/profile-$runs" --enable-logging=stderr --v=0 \
		"$@" > "$MG_TMP/$b_name.out" 2> "$MG_TMP/$b_name.err"
	rc=$?
	kill_strays
}

# result NAME [WHY...]: pass when the last command succeeded.
result() {
	if [ $? -eq 0 ]; then
		mg_pass "$1"
	else
		r_name=$1
		shift
		mg_fail "$r_name" "$@"
	fi
}

# ran NAME: the last browse exited 0 (else fail NAME with its stderr).
ran() {
	if [ "$rc" -eq 0 ]; then
		return 0
	fi
	mg_fail "$1" "chromium exited $rc" \
		"$(grep -v 'dbus\|Floss\|vaapi\|idle_linux\|property.cc' "$MG_TMP/$1.err" | tail -5)"
	return 1
}

# console_clean NAME: no console message in the stderr of run NAME.
console_clean() {
	if grep -q ':CONSOLE' "$MG_TMP/$1.err"; then
		mg_fail "$1-console" "$(grep ':CONSOLE' "$MG_TMP/$1.err" | head -5)"
	else
		mg_pass "$1-console"
	fi
}

# png_check PNG MODE: MODE "chart" the page with the daily chart, "page"
# any page of text, "blank" expects a blank one.  Prints the numbers.
png_check() {
	# shellcheck disable=SC2086 # COLOURS is a list
	python3 - "$1" "$2" $COLOURS <<'EOF'
import collections, struct, sys, zlib

def decode(path):
    d = open(path, 'rb').read()
    if d[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('not a PNG')
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(d):
        n, = struct.unpack('>I', d[pos:pos + 4])
        t, c = d[pos + 4:pos + 8], d[pos + 8:pos + 8 + n]
        pos += 12 + n
        if t == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', c)
        elif t == b'IDAT':
            idat.append(c)
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit('unexpected PNG format %d/%d/%d' % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(b''.join(idat)), w * bpp
    prev, rows = bytearray(stride), []
    for y in range(h):
        i = y * (stride + 1)
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + (a + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            sys.exit('bad filter %d' % f)
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = decode(sys.argv[1])
mode = sys.argv[2]
counts = collections.Counter()
for r in rows:
    counts.update(zip(r[0::bpp], r[1::bpp], r[2::bpp]))
nonwhite = 100.0 * (w * h - counts.get((255, 255, 255), 0)) / (w * h)
print('%dx%d, %d colours, %.2f%% not white' % (w, h, len(counts), nonwhite))
ok = len(counts) >= 16 and 0.5 <= nonwhite <= 60
if mode == 'chart':
    for hexc in sys.argv[3:]:
        rgb = tuple(int(hexc[i:i + 2], 16) for i in (0, 2, 4))
        near = sum(n for c, n in counts.items() if max(abs(c[i] - rgb[i]) for i in range(3)) <= 4)
        print('#%s: %d pixels' % (hexc, near))
        ok = ok and near >= 100
if mode == 'blank':
    ok = len(counts) <= 2 and nonwhite < 0.5
sys.exit(0 if ok else 1)
EOF
}

# pdf_check PDF [JAPANESE-POSTSCRIPT-NAMES-FILE]: A4 pages; with the file,
# one of its fonts is embedded.  Prints the numbers.
pdf_check() {
	python3 - "$@" <<'EOF'
import re, sys
d = open(sys.argv[1], 'rb').read()
if not d.startswith(b'%PDF-'):
    sys.exit('not a PDF')
pages = len(re.findall(rb'/Type\s*/Page(?![a-zA-Z])', d))
boxes = [tuple(float(v) for v in m.split()) for m in re.findall(rb'/MediaBox\s*\[([^\]]*)\]', d)]
fonts = sorted({m.decode('latin-1').split('+')[-1]
                for m in re.findall(rb'/(?:FontName|BaseFont)\s*/([^\s/<>\[\]]+)', d)})
print('%d pages, media boxes %s, fonts %s' % (pages, sorted(set(boxes)), ', '.join(fonts)))
a4 = all(abs(b[2] - b[0] - 595.3) < 2 and abs(b[3] - b[1] - 841.9) < 2 for b in boxes)
ok = pages >= 1 and boxes and a4
if len(sys.argv) > 2:
    ja = {l.strip() for l in open(sys.argv[2], encoding='utf-8') if l.strip()}
    used = [f for f in fonts if f in ja]
    print('Japanese fonts embedded: %s' % (', '.join(used) or 'none'))
    ok = ok and used
sys.exit(0 if ok else 1)
EOF
}

# dom_check NAME TITLE SVGS: the DOM Chromium dumped for run NAME has
# TITLE in its <title> and SVGS <svg> elements.
dom_check() {
	python3 - "$MG_TMP/$1.out" "$2" "$3" <<'EOF'
import re, sys
dom = open(sys.argv[1], encoding='utf-8', errors='replace').read()
title = re.search(r'<title>([^<]*)</title>', dom)
svgs = dom.count('<svg')
print('title: %s; %d <svg>; %d bytes' % (title.group(1) if title else None, svgs, len(dom)))
ok = title and sys.argv[2] in title.group(1) and svgs == int(sys.argv[3]) and '</html>' in dom
sys.exit(0 if ok else 1)
EOF
}

# page_case NAME PAGE TITLE SVGS PNG-MODE: one run on PAGE, dumping the
# DOM and taking the screenshot; the cases NAME-dom, -shot, -console.
page_case() {
	pc_name=$1 pc_page=$2 pc_title=$3 pc_svgs=$4 pc_mode=$5
	browse "$pc_name" --dump-dom --hide-scrollbars --window-size=1200,3000 \
		--screenshot="$MG_TMP/$pc_name.png" "file://$pc_page"
	ran "$pc_name" || return
	out=$(dom_check "$pc_name" "$pc_title" "$pc_svgs" 2>&1)
	result "$pc_name-dom" "$out"
	if [ -s "$MG_TMP/$pc_name.png" ]; then
		out=$(png_check "$MG_TMP/$pc_name.png" "$pc_mode" 2>&1)
		result "$pc_name-shot" "$out"
		echo "    $pc_name.png: $(echo "$out" | head -1)"
	else
		mg_fail "$pc_name-shot" "no screenshot written"
	fi
	console_clean "$pc_name"
}

# ---- pages of hand-made reports ------------------------------------------------------
"$FIXTURE" "$MG_TMP/month.html" || mg_hard_error "html_fixture failed"
"$FIXTURE" "$MG_TMP/year.html" --days 366 || mg_hard_error "html_fixture failed"
"$FIXTURE" "$MG_TMP/english.html" --en --days 7 || mg_hard_error "html_fixture failed"
"$FIXTURE" "$MG_TMP/incident.html" --incident || mg_hard_error "html_fixture failed"

page_case month "$MG_TMP/month.html" "mugaika 報告書" 4 chart
page_case year "$MG_TMP/year.html" "mugaika 報告書" 4 chart
page_case english "$MG_TMP/english.html" "mugaika report" 4 chart
page_case incident "$MG_TMP/incident.html" "mugaika 調査報告" 0 page

# ---- print to PDF ------------------------------------------------------------------------
browse pdf --no-pdf-header-footer --print-to-pdf="$MG_TMP/month.pdf" "file://$MG_TMP/month.html"
if ran pdf; then
	out=$(pdf_check "$MG_TMP/month.pdf" 2>&1)
	result pdf-a4 "$out"
	echo "    month.pdf: $out"
	fc-list :lang=ja postscriptname 2>/dev/null | sed -n 's/^.*postscriptname=//p' > "$MG_TMP/ja-fonts"
	if [ -s "$MG_TMP/ja-fonts" ]; then
		out=$(pdf_check "$MG_TMP/month.pdf" "$MG_TMP/ja-fonts" 2>&1)
		result pdf-japanese-font "$out"
	else
		mg_skip pdf-japanese-font "no Japanese font installed (fonts-noto-cjk): Japanese shows as boxes"
	fi
fi

# ---- the checks can fail ------------------------------------------------------------------
cat > "$MG_TMP/bad.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>bad</title></head>
<body><p>x</p><img src="http://127.0.0.1:9/x.png" alt=""><script>document.title = "ran";</script></body></html>
EOF
browse control-console --dump-dom "file://$MG_TMP/bad.html"
[ "$rc" -eq 0 ] && [ "$(grep -c ':CONSOLE' "$MG_TMP/control-console.err")" -ge 2 ] &&
	grep -q '<title>bad</title>' "$MG_TMP/control-console.out"
result control-console-seen "the blocked image and script gave no console message"
printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>empty</title></head><body></body></html>\n' \
	> "$MG_TMP/empty.html"
browse control-blank --hide-scrollbars --window-size=1200,3000 \
	--screenshot="$MG_TMP/empty.png" "file://$MG_TMP/empty.html"
[ "$rc" -eq 0 ] && png_check "$MG_TMP/empty.png" blank >/dev/null && ! png_check "$MG_TMP/empty.png" page >/dev/null
result control-blank-seen "an empty page was not found blank"

# ---- a page made by mugaika report ----------------------------------------------------------
if [ -x "$MUGAIKA" ] && [ -x "$FILL" ] && "$MUGAIKA" report --help >/dev/null 2>&1; then
	mkdir -m 0700 "$MG_TMP/q"
	printf 'quarantine_dir = %s/q/spool\nquarantine_db = %s/q/db/quarantine.db\naudit_syslog_socket = %s/log.sock\n' \
		"$MG_TMP" "$MG_TMP" "$MG_TMP" > "$MG_TMP/q.conf"
	if "$FILL" "$MG_TMP/q.conf" > "$MG_TMP/fill.out" 2>&1 &&
		"$MUGAIKA" report --config "$MG_TMP/q.conf" --since 2026-03-01 --until 2026-03-08 \
			--format html --output "$MG_TMP/cli.html" > "$MG_TMP/cli.out" 2>&1; then
		page_case cli "$MG_TMP/cli.html" "mugaika" 4 chart
	else
		mg_fail cli-page "$(cat "$MG_TMP/fill.out" "$MG_TMP/cli.out" 2>/dev/null | tail -5)"
	fi
else
	mg_skip cli-page "mugaika report or tests/report/fill_db is not built"
fi

mg_summary
