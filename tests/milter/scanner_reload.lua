-- scanner_reload.lua -- new signatures while the daemon runs: a signature
-- file is added to (then replaced in) the daemon's copy of the test
-- database (@TMP@/clamav-copy, checked every second) while a message is in
-- flight.  The message in flight finishes with the signatures it started
-- with (clean); the next one is scanned with the new ones (a virus,
-- discarded); EICAR is still found; a replaced file is loaded as well; and
-- no error is logged on the way.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local dbdir = TMP .. "/clamav-copy"
local start = #T.read(LOG)

-- Puts NAME.ndb into the database the way freshclam does: written
-- elsewhere, then renamed into place.
local function install_signature(name, marker)
	local tmp = TMP .. "/" .. name .. ".ndb"
	local f = io.open(tmp, "wb")
	f:write(T.ndb_line(name, marker))
	f:close()
	T.check(os.rename(tmp, dbdir .. "/mugaika-reload.ndb"), "cannot install %s", name)
end

local function reloads()
	return T.scanner_reloads(start)
end

local function wait_reload(before, what)
	T.wait_scanner_reload(start, before, what)
end

local function message(n, marker)
	return T.mime({ msgid = "scanner-reload-" .. n, text = "Attached.",
			attachments = { { name = "note.txt", type = "text/plain",
					  data = "This note carries " .. marker .. ".\n" } } })
end

local function expect(conn, msg, qid, want, virus)
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == want, "%s: reply %s, expected %s", qid, tostring(reply), tostring(want))
	local s = T.summary(qid)
	T.check((virus and s:find(" virus=" .. virus, 1, true)) or
		(not virus and not s:find(" virus=", 1, true)), "%s: summary %s", qid, s)
end

local marker1, marker2 = "mugaika reload marker one", "mugaika reload marker two"
local conn = T.connect()
T.hello(conn)

-- in flight while the first signature arrives
local msg = message(1, marker1)
local half = math.floor(#msg.body / 2)
T.send(conn, { headers = msg.headers, body = msg.body:sub(1, half) }, { qid = "SCRL0001" })
local before = reloads()
install_signature("Mugaika.Test.Reload1.NDB", marker1)
wait_reload(before, "added file")
T.check(mt.bodystring(conn, msg.body:sub(half + 1)) == nil, "rest of the body")
local reply = T.eom(conn)
T.check(reply == SMFIR_CONTINUE, "in flight: reply %s, expected continue", tostring(reply))
T.check(not T.summary("SCRL0001"):find(" virus=", 1, true), "in flight: used the new signatures")

expect(conn, message(2, marker1), "SCRL0002", SMFIR_DISCARD,
       "Mugaika.Test.Reload1.NDB.UNOFFICIAL")
expect(conn, T.mime({ msgid = "scanner-reload-eicar", attachments = {
		{ name = "e.com", type = "application/octet-stream", data = T.eicar() } } }),
       "SCRL0003", SMFIR_DISCARD, "Mugaika.Test.EICAR.")

-- a file replaced (a later second, so that its time differs)
mt.sleep(1.1)
before = reloads()
install_signature("Mugaika.Test.Reload2.NDB", marker2)
wait_reload(before, "replaced file")
expect(conn, message(4, marker1), "SCRL0004", SMFIR_CONTINUE, nil)
expect(conn, message(5, marker2), "SCRL0005", SMFIR_DISCARD,
       "Mugaika.Test.Reload2.NDB.UNOFFICIAL")
mt.disconnect(conn)

local errors = T.errors_since(start)
T.check(#errors == 0, "errors logged: %s", table.concat(errors, " | "))
os.remove(dbdir .. "/mugaika-reload.ndb")
print("ok")
