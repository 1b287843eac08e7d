-- many.lua -- 40 transactions on one connection, each answered and
-- summarised once: the same message again (a retry) keeps its ID, a
-- different one gets a new ID, and nothing leaks from one transaction into
-- the next (the recipients of one are not those of the next).
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local base = T.read(SRCDIR .. "/testdata/alternative.eml")

local conn = T.connect()
T.hello(conn)
local ids, first = {}, nil
for i = 1, 40 do
	-- every fourth transaction repeats the first message
	local n = (i % 4 == 1) and 1 or i
	local text = base:gsub("Subject: ", "Subject: [" .. n .. "] ", 1)
	local qid = string.format("MANY%04d", i)
	local reply = T.transaction(conn, T.parse(text), { qid = qid,
		rcpts = { "user" .. n .. "@example.lg.jp" } })
	T.check(reply == SMFIR_CONTINUE, "transaction %d: reply %s", i, tostring(reply))
	local id = T.status_id(conn)
	if n == 1 then
		first = first or id
		T.check(id == first, "transaction %d: a retry got a new ID", i)
	else
		T.check(not ids[id], "transaction %d: ID %s given twice", i, id)
		ids[id] = true
	end
	T.summary(qid)
end
mt.disconnect(conn)
print("ok")
