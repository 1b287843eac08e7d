-- scanner_reload_load.lua -- new signatures under load: four senders
-- (load/worker.lua, each its own miltertest process and connection) keep
-- sending clean and EICAR messages while new signature files arrive in
-- the daemon's copy of the test database three times (written elsewhere,
-- renamed into place, as freshclam does; one of them also with SIGUSR1).
-- Each new engine is built beside the one in use and swapped in: every
-- sender must get the expected answer for every message (continue for
-- the clean ones, discard for EICAR), every sender must have sent
-- messages after the last reload, the newest signature is used by the
-- next message, and no error is logged.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local dbdir = TMP .. "/clamav-copy"
local start = #T.read(LOG)
local WORKERS = 4

local function reloads()
	return T.scanner_reloads(start)
end

local function counts()
	local c = {}
	for w = 1, WORKERS do
		local f = io.open(string.format("%s/load-%d.count", TMP, w), "rb")
		c[w] = f and tonumber(f:read("a")) or 0
		if f then f:close() end
	end
	return c
end

-- until every sender has sent more than in `since`
local function wait_progress(since, what)
	for _ = 1, 600 do
		local now, all = counts(), true
		for w = 1, WORKERS do
			all = all and now[w] > since[w]
		end
		if all then
			return
		end
		mt.sleep(0.1)
	end
	T.fail("%s: a sender made no progress", what)
end

local function install(n, signal)
	local tmp = TMP .. "/load-sig.ndb"
	local f = io.open(tmp, "wb")
	f:write(T.ndb_line("Mugaika.Test.Load" .. n .. ".NDB", "mugaika load marker " .. n))
	f:close()
	local before = reloads()
	T.check(os.rename(tmp, dbdir .. "/mugaika-load.ndb"), "cannot install signature %d", n)
	if signal then
		T.check(os.execute("kill -USR1 " .. DAEMON_PID), "kill -USR1 failed")
	end
	T.wait_scanner_reload(start, before, "signature " .. n)
end

os.remove(TMP .. "/load.stop")
local mtbin = os.getenv("MILTERTEST") or "miltertest"
for w = 1, WORKERS do
	os.remove(string.format("%s/load-%d.count", TMP, w))
	local cmd = string.format("%s -D SOCKET='%s' -D SRCDIR='%s' -D BUILDDIR='%s' -D CONF='%s' " ..
				  "-D LOG='%s' -D QDIR='%s' -D DAEMON_PID='%s' -D TMP='%s' -D WORKER=%d " ..
				  "-s '%s/tests/milter/load/worker.lua' > '%s/load-%d.out' 2>&1; " ..
				  "echo $? > '%s/load-%d.rc'",
				  mtbin, SOCKET, SRCDIR, BUILDDIR, CONF, LOG, QDIR, DAEMON_PID, TMP, w,
				  SRCDIR, TMP, w, TMP, w)
	os.remove(string.format("%s/load-%d.rc", TMP, w))
	T.check(os.execute("(" .. cmd .. ") &"), "cannot start sender %d", w)
end

local zero = {}
for w = 1, WORKERS do zero[w] = 0 end
wait_progress(zero, "start")
for n = 1, 3 do
	mt.sleep(1.1)	-- a later second: the file's time differs
	local before = counts()
	install(n, n == 2)
	wait_progress(before, "after signature " .. n)
end

-- the newest signature is used by the next message
local conn = T.connect()
T.hello(conn)
local msg = T.mime({ msgid = "load-marker", attachments = { { name = "m.txt",
		     type = "text/plain", data = "carries mugaika load marker 3\n" } } })
local reply = T.transaction(conn, msg, { qid = "LOADMARK" })
T.check(reply == SMFIR_DISCARD, "newest signature: reply %s, expected discard", tostring(reply))
T.check(T.summary("LOADMARK"):find(" virus=Mugaika.Test.Load3.NDB", 1, true),
	"newest signature: %s", T.summary("LOADMARK"))
mt.disconnect(conn)

-- stop the senders and collect them
local f = io.open(TMP .. "/load.stop", "wb")
f:close()
local total = 0
for w = 1, WORKERS do
	local rc
	for _ = 1, 600 do
		local r = io.open(string.format("%s/load-%d.rc", TMP, w), "rb")
		if r then
			rc = r:read("a"):gsub("%s", "")
			r:close()
			break
		end
		mt.sleep(0.1)
	end
	local out = T.read(string.format("%s/load-%d.out", TMP, w))
	T.check(rc == "0", "sender %d: exit %s: %s", w, tostring(rc), out)
	total = total + (tonumber(out:match("ok (%d+)")) or 0)
end
T.check(reloads() >= 3, "%d reloads, expected 3 or more", reloads())
local errors = T.errors_since(start)
T.check(#errors == 0, "errors logged: %s", table.concat(errors, " | "))
os.remove(dbdir .. "/mugaika-load.ndb")
os.remove(TMP .. "/load.stop")
print(string.format("ok: %d messages from %d senders, %d reloads", total, WORKERS, reloads()))
