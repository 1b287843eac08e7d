-- outbound_virus.lua -- outgoing mail ({daemon_name} on outbound_daemons)
-- with EICAR attached is refused with 550 5.7.1 "virus detected", even
-- with virus_action = discard, and its original is kept so that the
-- sender's own helpdesk can look at it.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "outbound-virus", text = "Please see the attachment.",
		     attachments = { { name = "tool.com", type = "application/octet-stream",
				       data = T.eicar() } } })

local conn = T.connect()
T.hello(conn, "submission")
local reply = T.transaction(conn, msg, { qid = "OUTV0001" })
T.check(reply == SMFIR_REPLYCODE, "reply %s, expected a reply code", tostring(reply))
T.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
		     "mugaika: message refused: virus detected"),
	"not 550 5.7.1 with the fixed text")
T.check(not mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
T.check(not mt.eom_check(conn, MT_HDRADD), "header added")
local id = T.check_kept("OUTV0001", msg)
local s = T.summary("OUTV0001")
T.check(s:find(" action=reject ", 1, true) and s:find("direction=outbound", 1, true)
	and s:find(" virus=Mugaika.Test.EICAR.", 1, true), "summary: %s", s)
mt.disconnect(conn)
print("ok " .. id)
