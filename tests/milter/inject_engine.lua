-- inject_engine.lua -- an internal error of the sanitizer (injected by
-- test_inject_failure = engine) is answered 451 4.3.0 with the fixed text
-- and no edit; the same message fails poison_limit (3) times at most: the
-- third time its original is kept and a notice with its ID is delivered.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/plain-ja.eml")

local conn = T.connect()
T.hello(conn)
for i = 1, 2 do
	local qid = "ENGINE000" .. i
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_REPLYCODE, "try %d: reply %s, expected a reply code", i,
		tostring(reply))
	T.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0",
			     "mugaika: internal error; try again later"),
		"try %d: not 451 4.3.0 with the fixed text", i)
	T.check(not mt.eom_check(conn, MT_BODYCHANGE), "try %d: body replaced", i)
	T.check(not mt.eom_check(conn, MT_HDRADD), "try %d: header added", i)
	T.check(not mt.eom_check(conn, MT_HDRDELETE), "try %d: header deleted", i)
	local s = T.summary(qid)
	T.check(s:find("action=tempfail", 1, true) and s:find("error=internal", 1, true),
		"try %d: summary %s", i, s)
	T.log_lines(qid, "of poison_limit 3")
end

-- the third failure: keep and deliver the notice
local reply = T.transaction(conn, msg, { qid = "ENGINE0003" })
T.check(reply == SMFIR_CONTINUE, "third try: reply %s", tostring(reply))
local id = T.added(conn, "X-Mugaika-ID")
T.check(id ~= nil, "third try: no X-Mugaika-ID")
T.check(T.file_exists(T.kept_file(id)), "third try: original not kept")
T.check(mt.eom_check(conn, MT_BODYCHANGE), "third try: body not replaced")
for _, name in ipairs({ "MIME-Version", "Content-Type", "Content-Transfer-Encoding" }) do
	T.check(mt.eom_check(conn, MT_HDRDELETE, name, 1), "third try: %s not deleted", name)
end
T.check(mt.eom_check(conn, MT_HDRADD, "Content-Type", " text/plain; charset=utf-8"),
	"third try: no text/plain Content-Type")
local status = T.added(conn, "X-Mugaika-Status")
T.check(status:find("cannot_inspect", 1, true), "third try: status %s", status)
local s = T.summary("ENGINE0003")
T.check(s:find("action=deliver", 1, true) and s:find("error=poison", 1, true) and
	s:find("kept=yes", 1, true), "third try: summary %s", s)
mt.disconnect(conn)
print("ok " .. id)
