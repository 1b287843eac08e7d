-- virus_notify.lua -- virus_action = quarantine_notify: EICAR as an
-- attachment is removed, the recipients get the sanitized message with
-- the notice (which gives the ID of the kept original), and the summary
-- line names the detection.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "virus-notify", text = "See the attached file.",
		     attachments = { { name = "eicar.com", type = "application/octet-stream",
				       data = T.eicar() } } })

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "VNOTE0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
local id = T.added(conn, "X-Mugaika-ID")
T.check(id ~= nil, "no X-Mugaika-ID added")
local status = T.added(conn, "X-Mugaika-Status")
T.check(status:find("virus", 1, true), "X-Mugaika-Status without virus: %s", status)
T.check(T.check_kept("VNOTE0001", msg) == id, "the kept original is not %s", id)
local s = T.summary("VNOTE0001")
T.check(s:find(" action=deliver ", 1, true) and s:find(" virus=Mugaika.Test.EICAR.", 1, true)
	and s:find(" removed=1 ", 1, true), "summary: %s", s)
mt.disconnect(conn)
print("ok " .. id)
