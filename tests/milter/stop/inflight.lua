-- stop/inflight.lua -- run by run.sh while it stops the daemon: this
-- message's work takes 3 s (test_delay), and the daemon gets SIGTERM in
-- the middle of it; the message must still be answered in full.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/tests/milter/data/forged.eml")

mt.set_timeout(30)
local conn = T.connect()
T.hello(conn)
T.send(conn, msg, { qid = "STOP0001" })
io.write("sent\n")
io.stdout:flush()
local reply = T.eom(conn)
T.check(reply == SMFIR_CONTINUE, "reply %s, expected continue", tostring(reply))
T.check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
T.check(T.added(conn, "X-Mugaika-ID") ~= nil, "no X-Mugaika-ID added")
mt.disconnect(conn)
print("ok")
