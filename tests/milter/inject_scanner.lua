-- inject_scanner.lua -- scanner = clamav but no scanner loaded
-- (test_inject_failure = scanner; after a good start it cannot otherwise
-- happen): every message is answered 451 4.3.2 with its fixed text, and
-- nothing is kept or changed.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/html-only.eml")

local conn = T.connect()
T.hello(conn)
for i = 1, 2 do
	local qid = "NOSCANNER" .. i
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_REPLYCODE, "try %d: reply %s", i, tostring(reply))
	T.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.2",
			     "mugaika: virus scanner unavailable; try again later"),
		"try %d: not 451 4.3.2 with the fixed text", i)
	T.check(not mt.eom_check(conn, MT_BODYCHANGE), "try %d: body replaced", i)
	local s = T.summary(qid)
	T.check(s:find("error=scanner_unavailable", 1, true) and s:find("kept=no", 1, true),
		"try %d: summary %s", i, s)
end
mt.disconnect(conn)
print("ok")
