-- basic.lua -- one message with two Content-Type and two
-- Content-Transfer-Encoding fields, forged X-Mugaika-Status/ID, a field not
-- on the keep list and an HTML part: the body is replaced, every Content-*
-- duplicate and every forged X-Mugaika-* field is deleted, the new fields
-- are added, the trace fields stay, and the requests are exactly the
-- engine's (as mugaika sanitize computes them for the same ID).
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/tests/milter/data/forged.eml")

local conn = T.connect()
local lead = T.leadspc(conn)
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "BASIC0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))

T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
for _, d in ipairs({ { "Content-Type", 1 }, { "Content-Type", 2 },
		     { "Content-Transfer-Encoding", 1 }, { "Content-Transfer-Encoding", 2 },
		     { "MIME-Version", 1 }, { "X-Mugaika-Status", 1 }, { "X-Mugaika-ID", 1 },
		     { "X-Spam-Score", 1 }, { "X-Mailer", 1 } }) do
	T.check(mt.eom_check(conn, MT_HDRDELETE, d[1], d[2]), "%s #%d not deleted", d[1], d[2])
end
for _, name in ipairs({ "Received", "From", "To", "Subject", "Date", "Message-ID" }) do
	T.check(not mt.eom_check(conn, MT_HDRDELETE, name), "%s deleted", name)
end
T.check(mt.eom_check(conn, MT_HDRADD, "MIME-Version", T.wire("1.0", lead)), "no MIME-Version added")
T.check(mt.eom_check(conn, MT_HDRADD, "Content-Type", T.wire("text/plain; charset=utf-8", lead)),
	"no Content-Type added")
T.check(mt.eom_check(conn, MT_HDRADD, "Content-Transfer-Encoding", T.wire("base64", lead)),
	"no Content-Transfer-Encoding added")

local id = T.status_id(conn)
T.check(id ~= "20200101T000000Z-FORGED00", "the forged ID was taken over")
T.check(T.added(conn, "X-Mugaika-ID") == id, "X-Mugaika-ID is not %s", id)
local status = T.added(conn, "X-Mugaika-Status")
T.check(status:find("html_converted", 1, true) and status:find("forged_header", 1, true),
	"X-Mugaika-Status lacks html_converted/forged_header: %s", status)

-- exactly the engine's edits, and the CLI's body, for the same bytes
T.check_same_as_cli(conn, msg, id, "basic")

local s = T.summary("BASIC0001")
T.check(s:find("id=" .. id .. " action=deliver", 1, true) and s:find("kept=yes", 1, true)
	and s:find("direction=inbound", 1, true), "summary line: %s", s)
mt.disconnect(conn)
print("ok " .. id)
