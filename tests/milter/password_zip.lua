-- password_zip.lua -- a password-protected zip (made here with zip -P)
-- cannot be inspected: suspicious, not a virus, whatever virus_action
-- says.  The zip is removed, the notice delivered, the original kept, and
-- the summary line has no virus= field.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local zip = T.password_zip("report.txt", "quarterly figures\n")
local msg = T.mime({ msgid = "password-zip", text = "The password follows separately.",
		     attachments = { { name = "report.zip", type = "application/zip",
				       data = zip } } })

local conn = T.connect()
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "PWZIP0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
local id = T.added(conn, "X-Mugaika-ID")
T.check(id ~= nil, "no X-Mugaika-ID added")
T.check(T.check_kept("PWZIP0001", msg) == id, "the kept original is not %s", id)
local s = T.summary("PWZIP0001")
T.check(s:find(" action=deliver ", 1, true) and not s:find(" virus=", 1, true),
	"summary: %s", s)
T.check(s:match(" reasons=%S*suspicious") or s:match(" reasons=%S*cannot_inspect"),
	"summary without suspicious/cannot_inspect: %s", s)
mt.disconnect(conn)
print("ok " .. id)
