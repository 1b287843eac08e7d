-- scanner_reload_fail.lua -- reloads that cannot load their signatures
-- keep the scanner that works: a broken signature file in the database
-- (@TMP@/clamav-copy, checked every second) is logged and the loaded
-- signatures stay; a SIGUSR1 reload naming a clamav_database that does not
-- exist fails as a whole (the settings stay too).  EICAR is discarded all
-- along.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local dbdir = TMP .. "/clamav-copy"
local eicar = T.mime({ msgid = "reload-fail", attachments = {
	{ name = "e.com", type = "application/octet-stream", data = T.eicar() } } })

local function wait_log(from, want)
	for _ = 1, 150 do
		if T.read(LOG):sub(from + 1):find(want, 1, true) then
			return
		end
		mt.sleep(0.1)
	end
	T.fail("no log line with '%s'", want)
end

local function still_scanning(conn, qid)
	local reply = T.transaction(conn, eicar, { qid = qid })
	T.check(reply == SMFIR_DISCARD, "%s: reply %s, expected discard", qid, tostring(reply))
	T.check(T.summary(qid):find(" virus=Mugaika.Test.EICAR.", 1, true), "%s: no virus", qid)
end

local conn = T.connect()
T.hello(conn)

-- a broken file appears in the database
local from = #T.read(LOG)
local f = io.open(dbdir .. "/broken.ndb", "wb")
f:write("this line is not a signature\n")
f:close()
wait_log(from, "scanner reload failed, the loaded signatures stay")
still_scanning(conn, "SCRF0001")
os.remove(dbdir .. "/broken.ndb")

-- a reload whose clamav_database does not exist
local conf = T.read(CONF)
from = #T.read(LOG)
f = io.open(CONF, "ab")
f:write("clamav_database = " .. TMP .. "/no-such-database\n")
f:close()
T.check(os.execute("kill -USR1 " .. DAEMON_PID), "kill -USR1 failed")
wait_log(from, "reload failed, generation")
T.check(T.read(LOG):sub(from + 1):find("reload: scanner: clamav_database:", 1, true),
	"the failed reload does not name clamav_database")
still_scanning(conn, "SCRF0002")

-- back to the settings run.sh gave
f = io.open(CONF, "wb")
f:write(conf)
f:close()
from = #T.read(LOG)
T.check(os.execute("kill -USR1 " .. DAEMON_PID), "kill -USR1 failed")
wait_log(from, ": reloaded ")
still_scanning(conn, "SCRF0003")
mt.disconnect(conn)
print("ok")
