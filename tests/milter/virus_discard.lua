-- virus_discard.lua -- EICAR as an attachment, with the default
-- virus_action = discard: the message is discarded (no edit requests), its
-- original is kept first (the file of the ID in the summary line ends with
-- the message as sent), and the summary line names the detection.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "virus-discard", text = "See the attached file.",
		     attachments = { { name = "invoice.com", type = "application/octet-stream",
				       data = T.eicar() } } })

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "VDISC0001" })
T.check(reply == SMFIR_DISCARD, "reply %s, expected discard", tostring(reply))
T.check(not mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
T.check(not mt.eom_check(conn, MT_HDRADD), "header added")
local id = T.check_kept("VDISC0001", msg)
local s = T.summary("VDISC0001")
T.check(s:find(" action=discard ", 1, true) and s:find("direction=inbound", 1, true),
	"summary: %s", s)
T.check(s:match(" reasons=%S*virus") and s:match(" virus=Mugaika%.Test%.EICAR%.%u+%.UNOFFICIAL"),
	"summary does not name the detection: %s", s)
mt.disconnect(conn)
print("ok " .. id)
