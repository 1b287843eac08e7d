-- progress.lua -- work that takes longer than the MTA waits for a reply
-- (test_delay = 4 s; miltertest here waits 2 s per read, as Postfix waits
-- milter_content_timeout) is covered by progress replies every
-- progress_interval (1 s), and the message is answered in full.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/html-only.eml")

local conn = T.connect()
T.hello(conn)
T.send(conn, msg, { qid = "SLOW0001" })
mt.set_timeout(2)
local reply = T.eom(conn)
mt.set_timeout(10)
T.check(reply == SMFIR_CONTINUE, "reply %s", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
local s = T.summary("SLOW0001")
local ms = tonumber(s:match(" ms=(%d+)"))
T.check(ms and ms >= 4000, "the work took %s ms, not the 4 s of test_delay", tostring(ms))
mt.disconnect(conn)
print("ok")
