-- same_as_cli.lua -- for every message of testdata/, the daemon's requests
-- are exactly the engine's header edits (each delete by name and index and
-- no other delete, each change and addition with its value in the MTA's
-- folding) and the new body is what mugaika sanitize prints for the same
-- message (the same bytes: CRLF, as the MTA sends it) with the same ID.
-- All on one connection, one transaction after another.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")

local function check_message(conn, path, n)
	local msg = T.load(path)
	local qid = string.format("SAME%04d", n)
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_CONTINUE, "%s: reply %s", path, tostring(reply))
	local id = T.status_id(conn)
	T.check_same_as_cli(conn, msg, id, path:match("[^/]+$"))
	T.summary(qid)
	return id
end

local conn = T.connect()
T.hello(conn)
-- Not empty-body.eml: miltertest cannot end a message without a body chunk
-- (it sends a default body of its own), and libmilter drops a connection
-- that sends an empty one; Postfix sends no chunk for an empty body.
local files = {}
for f in T.shell("ls '" .. SRCDIR .. "/testdata/'*.eml"):gmatch("(.-)\n") do
	if #T.load(f).body > 0 then
		table.insert(files, f)
	end
end
T.check(#files >= 10, "only %d testdata messages", #files)
table.insert(files, SRCDIR .. "/tests/milter/data/forged.eml")
local ids = {}
for n, path in ipairs(files) do
	local id = check_message(conn, path, n)
	T.check(not ids[id], "ID %s given twice", id)
	ids[id] = true
end
mt.disconnect(conn)
print(string.format("ok %d messages", #files))
