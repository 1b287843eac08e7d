-- negotiate.lua -- option negotiation: the daemon asks for exactly the
-- actions it needs, turns off the steps it does not use, asks for header
-- values with their leading space, and refuses an MTA that does not offer
-- body and header changes (logging why).
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")

local conn = T.connect()
T.check(mt.test_action(conn, SMFIF_CHGBODY), "CHGBODY not requested")
T.check(mt.test_action(conn, SMFIF_CHGHDRS), "CHGHDRS not requested")
T.check(mt.test_action(conn, SMFIF_ADDHDRS), "ADDHDRS not requested")
T.check(not mt.test_action(conn, SMFIF_ADDRCPT), "ADDRCPT requested")
T.check(not mt.test_action(conn, SMFIF_CHGFROM), "CHGFROM requested")
T.check(not mt.test_action(conn, SMFIF_QUARANTINE), "QUARANTINE requested")
for _, step in ipairs({ "SMFIP_NODATA", "SMFIP_NOEOH", "SMFIP_NOUNKNOWN",
			"SMFIP_HDR_LEADSPC", "SMFIP_NR_HDR", "SMFIP_NR_BODY" }) do
	T.check(mt.test_option(conn, _G[step]), "%s not negotiated", step)
end
for _, step in ipairs({ "SMFIP_NOCONNECT", "SMFIP_NOHELO", "SMFIP_NOMAIL",
			"SMFIP_NORCPT", "SMFIP_NOHDRS", "SMFIP_NOBODY" }) do
	T.check(not mt.test_option(conn, _G[step]), "%s negotiated", step)
end
mt.disconnect(conn)

-- An MTA offering only ADDHDRS (miltertest: version, steps, actions).
local before = #T.read(LOG)
conn = T.connect()
local r = mt.negotiate(conn, 6, 0x1FFFFF, SMFIF_ADDHDRS)
T.check(r ~= nil or mt.getreply(conn) ~= string.byte("O"),
	"negotiation without CHGBODY/CHGHDRS succeeded")
-- no mt.disconnect: the daemon closed the connection, and writing to it
-- would kill miltertest with SIGPIPE
local log = ""
for _ = 1, 50 do
	log = T.read(LOG):sub(before + 1)
	if log:find("does not offer the actions CHGBODY CHGHDRS", 1, true) then
		break
	end
	mt.sleep(0.1)
end
T.check(log:find("does not offer the actions CHGBODY CHGHDRS", 1, true),
	"no log line naming the missing actions")
print("ok")
