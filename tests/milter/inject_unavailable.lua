-- inject_unavailable.lua -- a sanitizer that is not ready
-- (test_inject_failure = unavailable) is answered 451 4.3.2 with its fixed
-- text, and the failure does not count towards poison_limit.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/plain-ja.eml")

local conn = T.connect()
T.hello(conn)
for i = 1, 4 do
	local qid = "UNAVAIL00" .. i
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_REPLYCODE, "try %d: reply %s", i, tostring(reply))
	T.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.2",
			     "mugaika: sanitizer unavailable; try again later"),
		"try %d: not 451 4.3.2 with the fixed text", i)
	T.check(not mt.eom_check(conn, MT_BODYCHANGE), "try %d: body replaced", i)
	local s = T.summary(qid)
	T.check(s:find("error=unavailable", 1, true), "try %d: summary %s", i, s)
end
mt.disconnect(conn)
print("ok")
