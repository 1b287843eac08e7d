-- load/worker.lua -- one of the senders of scanner_reload_load.lua (which
-- starts several, each its own miltertest process, so that the daemon has
-- messages in flight on several connections at once).
--
-- With -D WORKER=N: on one connection, sends a clean message and an EICAR
-- message in turn (queue IDs and Message-IDs LOADN-K) until TMP/load.stop exists (at most
-- 5000), checking each answer (continue, discard); after each message it
-- writes how many it has sent to TMP/load-N.count.  Exits 0 when every
-- answer was the expected one.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")

local function put(path, text)
	local f = io.open(path .. ".tmp", "wb")
	f:write(text)
	f:close()
	os.rename(path .. ".tmp", path)
end

-- each message its own (Message-ID): the same bytes with the same
-- envelope would be taken as a retry of the first and given its ID
local function clean(qid)
	return T.mime({ msgid = qid, text = "A clean note.",
			attachments = { { name = "note.txt", type = "text/plain",
					  data = "Nothing to see here.\n" } } })
end

local function virus(qid)
	return T.mime({ msgid = qid, attachments = {
			{ name = "e.com", type = "application/octet-stream", data = T.eicar() } } })
end

local conn = T.connect()
T.hello(conn)
local sent = 0
while sent < 5000 and not T.file_exists(TMP .. "/load.stop") do
	local bad = sent % 2 == 1
	local qid = string.format("LOAD%s-%d", WORKER, sent)
	local reply = T.transaction(conn, (bad and virus or clean)(qid), { qid = qid })
	local want = bad and SMFIR_DISCARD or SMFIR_CONTINUE
	T.check(reply == want, "%s: reply %s, expected %s", qid, tostring(reply), tostring(want))
	sent = sent + 1
	put(string.format("%s/load-%s.count", TMP, WORKER), tostring(sent))
end
mt.disconnect(conn)
print("ok " .. sent)
