-- kept_id.lua -- the original is kept under the ID the notice shows: the
-- ID in X-Mugaika-ID, in X-Mugaika-Status, in the notice text and in the
-- summary line is the one whose file is in the quarantine, and that file
-- ends with the message exactly as the MTA sent it.  The same message
-- sent again (a client's retry) is recognised and keeps its ID.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/html-only.eml")

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "KEPT0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s", tostring(reply))
local id = T.added(conn, "X-Mugaika-ID")
T.check(id ~= nil and id:match("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ%-[A-Z2-7]+$"),
	"X-Mugaika-ID '%s' is not an ID", tostring(id))
T.check(T.status_id(conn) == id, "X-Mugaika-Status names another ID")

-- the notice: the new body (base64) decoded shows the ID
local body = T.cli_body(id, T.wire_file(msg, "kept"))
T.check_body(conn, body, "body")
local text = T.base64_decode(body)
T.check(text:find(id, 1, true), "the notice does not show %s", id)

-- the summary line and the kept file
local s = T.summary("KEPT0001")
T.check(s:find("id=" .. id, 1, true) and s:find("kept=yes", 1, true), "summary: %s", s)
local file = T.kept_file(id)
T.check(T.file_exists(file), "no kept original %s", file)
local kept, raw = T.read(file), T.raw(msg)
T.check(kept:sub(-#raw) == raw, "the kept original differs from the message sent")
T.check(kept:find("message-length: " .. #raw, 1, true), "kept file: wrong message-length")

-- the retry: same content, same envelope -> the same ID, kept once
reply = T.transaction(conn, msg, { qid = "KEPT0002" })
T.check(reply == SMFIR_CONTINUE, "retry: reply %s", tostring(reply))
T.check(T.added(conn, "X-Mugaika-ID") == id, "retry got another ID")
-- another envelope: a new ID
reply = T.transaction(conn, msg, { qid = "KEPT0003", rcpts = { "other@example.lg.jp" } })
T.check(reply == SMFIR_CONTINUE, "other envelope: reply %s", tostring(reply))
T.check(T.added(conn, "X-Mugaika-ID") ~= id, "another envelope kept the same ID")
mt.disconnect(conn)
print("ok " .. id)
