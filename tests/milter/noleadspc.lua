-- noleadspc.lua -- an MTA that does not offer SMFIP_HDR_LEADSPC (it eats
-- the space after the colon and puts ": " back itself): the daemon
-- rebuilds the same header block, and sends its values without a leading
-- space; its requests are still exactly the engine's.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")
local msg = T.load(SRCDIR .. "/tests/milter/data/forged.eml")

local conn = T.connect()
-- miltertest: version, protocol steps, actions
T.check(mt.negotiate(conn, 6, 0x1FFFFF & ~SMFIP_HDR_LEADSPC, 0x1FF) == nil, "negotiate")
T.check(not T.leadspc(conn), "SMFIP_HDR_LEADSPC negotiated although not offered")
T.hello(conn)
local reply = T.transaction(conn, msg, { qid = "NOLEAD0001" })
T.check(reply == SMFIR_CONTINUE, "reply %s", tostring(reply))
T.check(mt.eom_check(conn, MT_HDRADD, "Content-Type", "text/plain; charset=utf-8"),
	"Content-Type not added without a leading space")
local id = T.status_id(conn)
T.check_same_as_cli(conn, msg, id, "noleadspc")
local kept = T.read(T.kept_file(id))
T.check(kept:sub(-#T.raw(msg)) == T.raw(msg), "the header block was not rebuilt byte for byte")
mt.disconnect(conn)
print("ok " .. id)
