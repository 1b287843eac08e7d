-- reload.lua -- SIGUSR1 in the middle of a message: the daemon loads its
-- settings into a new snapshot without dropping the connection, the
-- message in flight finishes, and the next one is answered as well.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/testdata/alternative.eml")

local function reloads()
	local n = 0
	for _ in T.read(LOG):gmatch(": reloaded ") do
		n = n + 1
	end
	return n
end

local conn = T.connect()
T.hello(conn)
local half = math.floor(#msg.body / 2)
T.send(conn, { headers = msg.headers, body = msg.body:sub(1, half) }, { qid = "RELOAD0001" })
local before = reloads()
T.check(os.execute("kill -USR1 " .. DAEMON_PID), "kill -USR1 failed")
for _ = 1, 100 do
	if reloads() > before then
		break
	end
	mt.sleep(0.05)
end
T.check(reloads() > before, "no 'reloaded' line after SIGUSR1")
T.check(mt.bodystring(conn, msg.body:sub(half + 1)) == nil, "rest of the body")
local reply = T.eom(conn)
T.check(reply == SMFIR_CONTINUE, "in flight: reply %s", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "in flight: body not replaced")
reply = T.transaction(conn, msg, { qid = "RELOAD0002" })
T.check(reply == SMFIR_CONTINUE, "after: reply %s", tostring(reply))
mt.disconnect(conn)
print("ok")
