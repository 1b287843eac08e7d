-- large.lua -- a message larger than max_memory_message (64K in the test
-- settings; this one is about 600 KB, sent in pieces as Postfix does) is
-- spilled to a temporary file while it is received, sanitized and kept
-- byte for byte; a small one after it on the same connection is fine too.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")

local lines = {}
for i = 1, 9000 do
	lines[i] = string.format("Line %05d: the quick brown fox jumps over the lazy dog 0123456789", i)
end
local text = table.concat({
	"From: Big Sender <big@example.com>",
	"To: User <user@example.lg.jp>",
	"Subject: A large plain message",
	"Date: Thu, 01 Jan 2026 09:10:00 +0900",
	"Message-ID: <large-1@example.com>",
	"MIME-Version: 1.0",
	"Content-Type: text/plain; charset=us-ascii",
	"Content-Transfer-Encoding: 7bit",
	"",
	table.concat(lines, "\n"),
	"" }, "\n")
local msg = T.parse(text)
T.check(#T.raw(msg) > 8 * 64 * 1024, "the message is not large enough")

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "LARGE0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s", tostring(reply))
local id = T.status_id(conn)
local s = T.summary("LARGE0001")
T.check(s:find(string.format("size=%d/", #T.raw(msg)), 1, true), "summary size: %s", s)
local file = T.kept_file(id)
T.check(T.file_exists(file), "no kept original %s (keep_originals = all)", file)
local raw = T.raw(msg)
T.check(T.read(file):sub(-#raw) == raw, "the kept original differs from the message sent")
-- the body is the engine's: its text survives
local body = T.cli_body(id, T.wire_file(msg, "large"))
T.check_body(conn, body, "body")
T.check(T.base64_decode(body):find("Line 09000: the quick brown fox", 1, true),
	"the last line is not in the new body")

local small = T.load(SRCDIR .. "/testdata/plain-ja.eml")
reply = T.transaction(conn, small, { qid = "LARGE0002" })
T.check(reply == SMFIR_CONTINUE, "small after large: reply %s", tostring(reply))
T.summary("LARGE0002")
mt.disconnect(conn)
print("ok " .. id)
