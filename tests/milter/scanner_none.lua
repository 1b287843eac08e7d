-- scanner_none.lua -- a reload to scanner = none drops the scanner: EICAR
-- is then an attachment like any other (removed, the notice delivered),
-- and no detection is logged.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "scanner-none", text = "Unscanned.",
		     attachments = { { name = "eicar.com", type = "application/octet-stream",
				       data = T.eicar() } } })

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "NOSCAN001" })
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
local s = T.summary("NOSCAN001")
T.check(s:find(" action=deliver ", 1, true) and not s:find("virus", 1, true),
	"summary: %s", s)
mt.disconnect(conn)
print("ok")
