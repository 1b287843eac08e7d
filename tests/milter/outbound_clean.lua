-- outbound_clean.lua -- mail from a daemon on outbound_daemons ({daemon_name}
-- = submission at connect): a clean HTML message with an attachment passes
-- with no request at all (no header or body change), and the summary line
-- says direction=outbound; so does a password-protected zip (suspicious,
-- not a virus), which is not kept.  The same message from a connection
-- without the macro, or with another daemon name, is inbound and
-- sanitized.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.mime({ msgid = "outbound-clean", html = true,
		     text = "<html><body><p>Minutes <a href=\"https://example.com/\">here</a>."
			     .. "</p></body></html>",
		     attachments = { { name = "minutes.pdf", type = "application/pdf",
				       data = "%PDF-1.4\n% test\n" } } })

local function unchanged(conn, what)
	for _, kind in ipairs({ MT_BODYCHANGE, MT_HDRADD, MT_HDRINSERT, MT_HDRCHANGE,
				MT_HDRDELETE }) do
		T.check(not mt.eom_check(conn, kind), "%s: request %s sent", what, tostring(kind))
	end
end

local conn = T.connect()
T.check(mt.test_action(conn, SMFIF_SETSYMLIST), "SETSYMLIST not requested")
T.hello(conn, "submission")
local reply = T.transaction(conn, msg, { qid = "OUTC0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))
unchanged(conn, "outbound")
local s = T.summary("OUTC0001")
T.check(s:find(" action=deliver ", 1, true) and s:find("direction=outbound", 1, true)
	and not s:find(" virus=", 1, true), "summary: %s", s)
-- a second message on the same connection is outbound too
reply = T.transaction(conn, msg, { qid = "OUTC0002" })
T.check(reply == SMFIR_CONTINUE, "second: reply %s", tostring(reply))
unchanged(conn, "second outbound")
T.check(T.summary("OUTC0002"):find("direction=outbound", 1, true), "second not outbound")
-- suspicious content passes as well
local zipped = T.mime({ msgid = "outbound-zip", text = "Password follows.",
			attachments = { { name = "figures.zip", type = "application/zip",
					  data = T.password_zip("figures.txt", "1 2 3\n") } } })
reply = T.transaction(conn, zipped, { qid = "OUTC0003" })
T.check(reply == SMFIR_CONTINUE, "zip: reply %s", tostring(reply))
unchanged(conn, "outbound zip")
s = T.summary("OUTC0003")
T.check(s:find(" action=deliver ", 1, true) and s:find(" kept=no ", 1, true) and
	s:find(" suspicious=Heuristics.", 1, true), "zip: summary %s", s)
mt.disconnect(conn)

for n, name in ipairs({ false, "mx.example.lg.jp" }) do
	conn = T.connect()
	T.hello(conn, name or nil)
	local qid = "OUTC010" .. n
	reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_CONTINUE, "%s: reply %s", qid, tostring(reply))
	T.check(mt.eom_check(conn, MT_BODYCHANGE), "%s: inbound body not replaced", qid)
	T.check(T.summary(qid):find("direction=inbound", 1, true), "%s: not inbound", qid)
	mt.disconnect(conn)
end
print("ok")
