-- abort.lua -- a message aborted in the middle (after headers and part
-- of the body) ends with one summary line "action=aborted" and leaves
-- nothing behind: the next transaction on the same connection is answered
-- normally.  A connection closed in the middle of a message is the same.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/html-only.eml")

local conn = T.connect()
T.hello(conn)
local half = { headers = msg.headers, body = msg.body:sub(1, #msg.body // 2) }
T.send(conn, half, { qid = "ABORT0001" })
T.check(mt.abort(conn) == nil, "mt.abort failed")
local s = T.summary("ABORT0001")
T.check(s:find("action=aborted", 1, true), "summary: %s", s)

local reply = T.transaction(conn, msg, { qid = "ABORT0002" })
T.check(reply == SMFIR_CONTINUE, "after abort: reply %s", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "after abort: body not replaced")
s = T.summary("ABORT0002")
T.check(s:find("action=deliver", 1, true), "summary after abort: %s", s)

-- a second abort right after MAIL FROM, then the connection closed in the
-- middle of a body.  The pause: observed with libmilter 1.0.1, a QUIT that
-- is already queued right behind a message's commands (miltertest does
-- not wait for replies to no-reply steps) ends the session before those
-- commands reach the callbacks; Postfix sends ABORT before it quits.
T.check(mt.mailfrom(conn, "<sender@example.com>") == nil, "mailfrom")
T.check(mt.abort(conn) == nil, "mt.abort failed")
T.send(conn, half, { qid = "ABORT0003" })
mt.sleep(0.5)
mt.disconnect(conn)
s = T.summary("ABORT0003")
T.check(s:find("action=aborted", 1, true), "summary after close: %s", s)
print("ok")
