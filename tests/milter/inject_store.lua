-- inject_store.lua -- an original that must be kept but cannot be
-- (test_inject_failure = store) is answered 451 4.3.0 "original could not
-- be kept" before any edit is sent; the message is not changed at all.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/html-only.eml")

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "STORE0001" })
T.check(reply == SMFIR_REPLYCODE, "reply %s, expected a reply code", tostring(reply))
T.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0",
		     "mugaika: original could not be kept; try again later"),
	"not 451 4.3.0 'original could not be kept'")
T.check(not mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
T.check(not mt.eom_check(conn, MT_HDRADD), "header added")
T.check(not mt.eom_check(conn, MT_HDRCHANGE), "header changed or deleted")
local s = T.summary("STORE0001")
T.check(s:find("action=tempfail", 1, true) and s:find("error=keep_failed", 1, true) and
	s:find("kept=no", 1, true), "summary %s", s)
T.log_lines("STORE0001", "original not kept")
mt.disconnect(conn)
print("ok")
