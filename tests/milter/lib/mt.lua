-- tests/milter/lib/mt.lua -- helpers shared by the miltertest scripts.
--
-- Loaded by every tests/milter/*.lua with
--     local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
-- run.sh passes, with miltertest -D: SOCKET (the daemon's socket), SRCDIR,
-- BUILDDIR, CONF (the config the daemon runs with), LOG (its log), QDIR
-- (quarantine_dir), DAEMON_PID, TMP (a scratch directory).
--
-- miltertest exits 1 without showing a Lua error, so T.fail prints the
-- reason ("FAIL: ...") before it raises the error.
--
-- What miltertest imposes (OpenDKIM miltertest 1.6.0): mt.header() puts a
-- space before the value when SMFIP_HDR_LEADSPC is negotiated, so a field
-- is sent without its first space (a field with none after the colon
-- cannot be sent as it is); it reads each milter
-- reply into a 1 KB buffer (the daemon runs with test_reply_chunk = 1K, and
-- the messages here keep header fields under 1 KB); mt.negotiate's third
-- argument is the protocol steps and the fourth the actions (its manual
-- says the reverse); eom requests are kept per request, so a body replaced
-- in pieces is checked piece by piece.

local T = {}

T.chunk = 1024          -- test_reply_chunk of the test config

function T.fail(fmt, ...)
	local msg = string.format(fmt, ...)
	print("FAIL: " .. msg)
	error(msg, 2)
end

function T.check(cond, fmt, ...)
	if not cond then
		T.fail(fmt, ...)
	end
end

function T.read(path)
	local f = io.open(path, "rb")
	T.check(f ~= nil, "cannot read %s", path)
	local s = f:read("a")
	f:close()
	return s
end

function T.shell(cmd)
	local p = io.popen(cmd, "r")
	local out = p:read("a")
	local ok, _, code = p:close()
	return out, ok and 0 or code
end

-- ---- connection and transaction ------------------------------------------

function T.connect()
	local conn = mt.connect(SOCKET, 40, 0.25)
	T.check(conn ~= nil, "cannot connect to %s", SOCKET)
	return conn
end

-- Whether header values travel with their leading space
-- (SMFIP_HDR_LEADSPC negotiated): then the daemon must send its own.
function T.leadspc(conn)
	return mt.test_option(conn, SMFIP_HDR_LEADSPC)
end

-- A message file into { headers = { {name, value}... }, body = CRLF text }.
-- value: everything after the colon, folded lines joined by LF.
function T.parse(text)
	text = text:gsub("\r\n", "\n")
	local head, body = text:match("^(.-)\n\n(.*)$")
	if not head then
		head, body = text:gsub("\n$", ""), ""
	end
	local msg = { headers = {}, body = body:gsub("\n", "\r\n") }
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #msg.headers > 0 then
			local h = msg.headers[#msg.headers]
			h.value = h.value .. "\n" .. line
		else
			local name, value = line:match("^([^:]+):(.*)$")
			T.check(name ~= nil, "not a header line: %s", line)
			table.insert(msg.headers, { name = name, value = value })
		end
	end
	return msg
end

function T.load(path)
	return T.parse(T.read(path))
end

-- The raw message as the daemon rebuilds it (for comparing with the kept
-- original).
function T.raw(msg)
	local parts = {}
	for _, h in ipairs(msg.headers) do
		local v = h.value:gsub("\n", "\r\n")
		table.insert(parts, h.name .. ":" .. v .. "\r\n")
	end
	table.insert(parts, "\r\n")
	table.insert(parts, msg.body)
	return table.concat(parts)
end

local function ok(r, what)
	T.check(r == nil, "%s: %s", what, tostring(r))
end

-- Opens the SMTP-level conversation: connect info and HELO.  daemon_name:
-- the MTA's {daemon_name} macro at connect (as Postfix sends it), or nil.
function T.hello(conn, daemon_name)
	if daemon_name then
		ok(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon_name), "connect macro")
	end
	ok(mt.conninfo(conn, "client.example.com", "192.0.2.10"), "conninfo")
	ok(mt.helo(conn, "client.example.com"), "helo")
end

-- One transaction up to the end of the body: env.qid, env.from, env.rcpts.
function T.send(conn, msg, env)
	env = env or {}
	ok(mt.macro(conn, SMFIC_MAIL, "i", env.qid or "TESTQID", "{auth_authen}", "tester"),
	   "macro")
	ok(mt.mailfrom(conn, "<" .. (env.from or "sender@example.com") .. ">"), "mailfrom")
	for _, rcpt in ipairs(env.rcpts or { "user@example.lg.jp" }) do
		ok(mt.rcptto(conn, "<" .. rcpt .. ">"), "rcptto")
	end
	-- Like Postfix without SMFIP_HDR_LEADSPC, miltertest is given the value
	-- without its first space; with SMFIP_HDR_LEADSPC it puts a space back
	-- itself (as Postfix then sends the value whole).
	for _, h in ipairs(msg.headers) do
		ok(mt.header(conn, h.name, (h.value:gsub("^ ", ""))), "header " .. h.name)
	end
	local body = msg.body
	T.check(#body > 0, "miltertest cannot send a message without a body")
	for i = 1, #body, 60000 do
		ok(mt.bodystring(conn, body:sub(i, i + 59999)), "body")
	end
end

-- End of message; returns the reply code.
function T.eom(conn)
	ok(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

-- A whole transaction; returns the reply.
function T.transaction(conn, msg, env)
	T.send(conn, msg, env)
	return T.eom(conn)
end

-- ---- what the daemon sent ------------------------------------------------

-- A value as the daemon sends it (editplan.c): CR dropped, continuation
-- lines start with white space, and the leading space with LEADSPC.
function T.wire(value, lead)
	value = value:gsub("\r", ""):gsub("\n([^ \t])", "\n\t%1")
	if lead or value == "" then
		value = " " .. value
	end
	return value
end

-- The added header's value without the leading space, or nil.
function T.added(conn, name)
	local v = mt.getheader(conn, name, 0)
	return v and (v:gsub("^ ", ""))
end

function T.expect_reply(conn, want, what)
	local got = mt.getreply(conn)
	T.check(got == want, "%s: reply %s, expected %s", what, tostring(got), tostring(want))
end

-- The quarantine ID from the added X-Mugaika-Status ("...; id=ID").
function T.status_id(conn)
	local status = T.added(conn, "X-Mugaika-Status")
	T.check(status ~= nil, "no X-Mugaika-Status added")
	local id = status:match("id=([%w%-]+)")
	T.check(id ~= nil, "no id= in X-Mugaika-Status: %s", status)
	return id
end

-- Each piece of body (CRLF) was sent as a body replacement.
function T.check_body(conn, body, what)
	T.check(#body > 0, "%s: empty expected body", what)
	for i = 1, #body, T.chunk do
		local piece = body:sub(i, i + T.chunk - 1)
		T.check(mt.eom_check(conn, MT_BODYCHANGE, piece),
			"%s: body piece at byte %d differs", what, i)
	end
end

-- ---- the engine and the CLI on the same message ---------------------------

-- Writes the message as the daemon received it (T.raw: CRLF line ends) to
-- a file for the CLI: "the same message" is the same bytes (a part's size
-- and SHA-256 in the notice count its line ends).
function T.wire_file(msg, name)
	local path = TMP .. "/" .. name .. ".eml"
	local f = io.open(path, "wb")
	T.check(f ~= nil, "cannot write %s", path)
	f:write(T.raw(msg))
	f:close()
	return path
end

local function unescape(s)
	return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The engine's edits for path with id (tests/milter/engine_edits).
function T.engine_edits(id, path)
	local cmd = string.format("'%s/tests/milter/engine_edits' '%s' '%s' '%s'",
				  BUILDDIR, CONF, id, path)
	local out, code = T.shell(cmd)
	T.check(code == 0, "engine_edits failed (%s)", tostring(code))
	local edits = {}
	for line in out:gmatch("(.-)\n") do
		local kind, rest = line:match("^(%a+) (.*)$")
		local e = { kind = kind }
		if kind == "delete" then
			e.name, e.index = rest:match("^(%S+) (%d+)$")
		elseif kind == "change" then
			e.name, e.index, e.value = rest:match("^(%S+) (%d+) (.*)$")
		else
			e.name, e.value = rest:match("^(%S+) (.*)$")
		end
		T.check(e.name ~= nil, "engine_edits: bad line %s", line)
		e.index = tonumber(e.index)
		e.value = e.value and unescape(e.value)
		table.insert(edits, e)
	end
	return edits
end

-- mugaika sanitize --id id path: the safe message's body, CRLF.
function T.cli_body(id, path)
	local cmd = string.format("'%s/src/mugaika' sanitize --config '%s' --id '%s' '%s'",
				  BUILDDIR, CONF, id, path)
	local out, code = T.shell(cmd)
	T.check(code == 0 or code == 1, "mugaika sanitize failed (%s)", tostring(code))
	local body = out:match("^.-\n\n(.*)$")
	T.check(body ~= nil, "mugaika sanitize printed no body")
	return (body:gsub("\n", "\r\n"))
end

-- The daemon's requests for msg (just answered on conn, with quarantine
-- ID id) are exactly the engine's edits for the same bytes: each delete by
-- name and index and no other delete of a field of the message, each
-- change and addition with its value in the MTA's folding; and the new
-- body is what mugaika sanitize prints.  label names the case in failures
-- and the scratch file.
function T.check_same_as_cli(conn, msg, id, label)
	local lead = T.leadspc(conn)
	local wire = T.wire_file(msg, label:gsub("[^%w]", "_"))
	local deleted = {}
	for _, e in ipairs(T.engine_edits(id, wire)) do
		if e.kind == "delete" then
			deleted[e.name:lower() .. "#" .. e.index] = true
		elseif e.kind == "change" then
			T.check(mt.eom_check(conn, MT_HDRCHANGE, e.name, T.wire(e.value, lead)),
				"%s: no change of %s to '%s'", label, e.name, e.value)
		else
			T.check(mt.eom_check(conn, MT_HDRADD, e.name, T.wire(e.value, lead)),
				"%s: no add of %s: '%s'", label, e.name, e.value)
		end
	end
	local seen = {}
	for _, h in ipairs(msg.headers) do
		local key = h.name:lower()
		seen[key] = (seen[key] or 0) + 1
		local want = deleted[key .. "#" .. seen[key]] == true
		local got = mt.eom_check(conn, MT_HDRDELETE, h.name, seen[key])
		T.check(got == want, "%s: delete of %s #%d: %s, the engine says %s", label,
			h.name, seen[key], tostring(got), tostring(want))
	end
	T.check_body(conn, T.cli_body(id, wire), label)
end

-- ---- the log and the quarantine ------------------------------------------

-- Lines of the daemon's log that start with "qid: ", waiting up to 5 s for
-- one that contains want (a plain string) when want is given.
function T.log_lines(qid, want)
	for _ = 1, 50 do
		local lines = {}
		local found = not want
		for line in T.read(LOG):gmatch("(.-)\n") do
			if line:find(" " .. qid .. ": ", 1, true) then
				table.insert(lines, line)
				found = found or line:find(want, 1, true) ~= nil
			end
		end
		if found then
			return lines
		end
		mt.sleep(0.1)
	end
	T.fail("no log line for %s with '%s'", qid, want)
end

-- The summary line of qid (exactly one).
function T.summary(qid)
	local found
	for _, line in ipairs(T.log_lines(qid, " action=")) do
		if line:find(" action=", 1, true) then
			T.check(found == nil, "two summary lines for %s", qid)
			found = line
		end
	end
	return found
end

-- The kept original of id: the file quarantine_dir/YYYYMMDD/ID.
function T.kept_file(id)
	return QDIR .. "/" .. id:sub(1, 8) .. "/" .. id
end

-- The summary line of qid has id=ID and kept=yes, and the file of ID ends
-- with msg exactly as sent; returns the ID.
function T.check_kept(qid, msg)
	local s = T.summary(qid)
	local id = s:match(" id=(%S+)")
	T.check(id ~= nil and id ~= "-" and s:find("kept=yes", 1, true),
		"%s: no original kept: %s", qid, s)
	local file = T.kept_file(id)
	T.check(T.file_exists(file), "%s: no kept original %s", qid, file)
	local raw = T.raw(msg)
	T.check(T.read(file):sub(-#raw) == raw, "%s: the kept original differs from the "
		.. "message sent", qid)
	return id
end

-- Lines of the log from byte offset from on that report an error.
-- How many "scanner reloaded" lines the log has after its first `from` bytes.
function T.scanner_reloads(from)
	local n = 0
	for _ in T.read(LOG):sub(from + 1):gmatch(": scanner reloaded: ") do
		n = n + 1
	end
	return n
end

-- Until the log has more than `before` such lines after `from` (15 s).
function T.wait_scanner_reload(from, before, what)
	for _ = 1, 150 do
		if T.scanner_reloads(from) > before then
			return
		end
		mt.sleep(0.1)
	end
	T.fail("%s: no 'scanner reloaded' line", what)
end

-- A .ndb signature line NAME:0:*:HEX that matches the text marker anywhere.
function T.ndb_line(name, marker)
	return name .. ":0:*:" .. (marker:gsub(".", function(c)
		return string.format("%02x", c:byte())
	end)) .. "\n"
end

function T.errors_since(from)
	local errors = {}
	for line in T.read(LOG):sub(from + 1):gmatch("(.-)\n") do
		if line:find(" error: ", 1, true) then
			table.insert(errors, line)
		end
	end
	return errors
end

-- ---- test messages ----------------------------------------------------------

-- The EICAR test file, made at run time from two pieces of its base64,
-- so that no file of the tree holds it (scanners on developers' machines
-- would flag it).
function T.eicar()
	return T.base64_decode("WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJE" ..
			       "LUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=")
end

-- A zip of one file name with content, encrypted with a password (zip -P).
function T.password_zip(name, content)
	local dir = TMP .. "/pwzip"
	T.check(os.execute("rm -rf '" .. dir .. "' && mkdir '" .. dir .. "'"), "mkdir %s", dir)
	local f = io.open(dir .. "/" .. name, "wb")
	f:write(content)
	f:close()
	local _, code = T.shell("cd '" .. dir .. "' && zip -q -P himitsu doc.zip '" .. name .. "'")
	T.check(code == 0, "zip -P failed (%s)", tostring(code))
	return T.read(dir .. "/doc.zip")
end

-- A multipart/mixed message: one text part (opts.text; HTML when
-- opts.html) and opts.attachments, each { name =, type =, data = } sent in
-- base64; opts.subject and opts.msgid make messages differ.
function T.mime(opts)
	local b = "=_mugaika-test-boundary"
	local lines = {
		"From: Sender <sender@example.com>", "To: User <user@example.lg.jp>",
		"Subject: " .. (opts.subject or "test message"),
		"Date: Mon, 5 Jan 2026 10:00:00 +0900",
		"Message-ID: <" .. (opts.msgid or "test") .. "@example.com>",
		"MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="' .. b .. '"',
		"", "--" .. b,
		"Content-Type: text/" .. (opts.html and "html" or "plain") .. "; charset=utf-8",
		"Content-Transfer-Encoding: 7bit", "", opts.text or "Hello.",
	}
	for _, a in ipairs(opts.attachments or {}) do
		for _, l in ipairs({ "--" .. b, "Content-Type: " .. a.type .. '; name="' .. a.name .. '"',
				     'Content-Disposition: attachment; filename="' .. a.name .. '"',
				     "Content-Transfer-Encoding: base64", "", T.base64_encode(a.data) }) do
			table.insert(lines, l)
		end
	end
	table.insert(lines, "--" .. b .. "--")
	return T.parse(table.concat(lines, "\n") .. "\n")
end

-- ---- small things ---------------------------------------------------------

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Base64 in lines of 76 (joined by LF, no final one).
function T.base64_encode(s)
	local out, line = {}, {}
	for i = 1, #s, 3 do
		local a, b, c = s:byte(i, i + 2)
		local n = (a << 16) | ((b or 0) << 8) | (c or 0)
		local quad = { (n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63 }
		for k = 1, 4 do
			local pad = (k == 3 and not b) or (k == 4 and not c)
			table.insert(line, pad and "=" or b64:sub(quad[k] + 1, quad[k] + 1))
		end
		if #line == 76 then
			table.insert(out, table.concat(line))
			line = {}
		end
	end
	if #line > 0 then
		table.insert(out, table.concat(line))
	end
	return table.concat(out, "\n")
end

function T.base64_decode(s)
	local out, acc, nbits = {}, 0, 0
	for c in s:gmatch("[%w%+/]") do
		acc = (acc << 6) | (b64:find(c, 1, true) - 1)
		nbits = nbits + 6
		if nbits >= 8 then
			nbits = nbits - 8
			table.insert(out, string.char((acc >> nbits) & 0xff))
			acc = acc & ((1 << nbits) - 1)
		end
	end
	return table.concat(out)
end

function T.file_exists(path)
	local f = io.open(path, "rb")
	if f then
		f:close()
	end
	return f ~= nil
end

return T
