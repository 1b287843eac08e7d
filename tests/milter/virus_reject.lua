-- virus_reject.lua -- virus_action = reject: EICAR as an attachment is
-- refused with 550 5.7.1 and a fixed text that says no more than "virus
-- detected" (the detection's name goes to the log only); the original is
-- kept before the answer.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "virus-reject", text = "See the attached file.",
		     attachments = { { name = "eicar.txt", type = "text/plain",
				       data = T.eicar() } } })

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "VREJ0001" })
T.check(reply == SMFIR_REPLYCODE, "reply %s, expected a reply code", tostring(reply))
T.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
		     "mugaika: message refused: virus detected"),
	"not 550 5.7.1 with the fixed text")
T.check(not mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
local id = T.check_kept("VREJ0001", msg)
local s = T.summary("VREJ0001")
T.check(s:find(" action=reject ", 1, true) and s:find(" virus=Mugaika.Test.EICAR.", 1, true),
	"summary: %s", s)
mt.disconnect(conn)
print("ok " .. id)
