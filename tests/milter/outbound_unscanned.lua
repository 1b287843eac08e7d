-- outbound_unscanned.lua -- outgoing mail that cannot be scanned completely
-- is not let out as if it were clean: with scan_max_filesize = 2K (and
-- outbound_unscanned = reject, the default) a clean 8 KB attachment is
-- refused with 550 5.7.1 "could not be scanned completely" and its original
-- kept.  And what scan only must still see: EICAR in a zip whose members
-- are LZMA-compressed (libclamav does not unpack them: mugaika extracts
-- them) and EICAR uuencoded in the text are refused as viruses.
local T = dofile(SRCDIR .. "/tests/milter/lib/mt.lua")

local function refused(qid, msg, text, virus)
	local conn = T.connect()
	T.hello(conn, "submission")
	local reply = T.transaction(conn, msg, { qid = qid })
	T.check(reply == SMFIR_REPLYCODE, "%s: reply %s, expected a reply code", qid,
		tostring(reply))
	T.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text),
		"%s: not 550 5.7.1 %s", qid, text)
	T.check(not mt.eom_check(conn, MT_BODYCHANGE), "%s: body replaced", qid)
	T.check_kept(qid, msg)
	local s = T.summary(qid)
	T.check(s:find(" action=reject ", 1, true) and s:find("direction=outbound", 1, true),
		"%s: summary %s", qid, s)
	T.check(not virus or s:find(" virus=" .. virus, 1, true), "%s: summary %s", qid, s)
	mt.disconnect(conn)
end

-- made by Python at run time: the tree never holds EICAR
local function python(code)
	local out, rc = T.shell("python3 -c '" .. code .. "'")
	T.check(rc == 0, "python3 failed")
	return out
end
local eicar_b64 = "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJE" ..
		  "LUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo="

local big = string.rep("A clean line of an outgoing report.\n", 230)
refused("OUTU0001", T.mime({ msgid = "outbound-unscanned", text = "The report.",
			      attachments = { { name = "report.txt", type = "text/plain",
						data = big } } }),
	"mugaika: message refused: it could not be scanned completely")
T.check(T.summary("OUTU0001"):find("reasons=[a-z_,]*limit"), "no limit reason: %s",
	T.summary("OUTU0001"))

local lzma_zip = T.base64_decode(python(
	"import base64, io, zipfile; b = io.BytesIO(); " ..
	"z = zipfile.ZipFile(b, \"w\", compression=zipfile.ZIP_LZMA); " ..
	"z.writestr(\"readme.txt\", base64.b64decode(\"" .. eicar_b64 .. "\")); z.close(); " ..
	"print(base64.b64encode(b.getvalue()).decode())"):gsub("%s", ""))
refused("OUTU0002", T.mime({ msgid = "outbound-lzma", text = "Files.",
			      attachments = { { name = "docs.zip", type = "application/zip",
						data = lzma_zip } } }),
	"mugaika: message refused: virus detected", "Mugaika.Test.EICAR.")

local uu = python("import base64, binascii; e = base64.b64decode(\"" .. eicar_b64 .. "\"); " ..
		  "print(\"begin 644 readme.com\"); [print(binascii.b2a_uu(e[i:i + 45]).decode(), " ..
		  "end=\"\") for i in range(0, len(e), 45)]; " ..
		  "print(\"`\"); print(\"end\")")
refused("OUTU0003", T.mime({ msgid = "outbound-uu", text = "Hello.\n" .. uu .. "Bye." }),
	"mugaika: message refused: virus detected", "Mugaika.Test.EICAR.")
print("ok")
