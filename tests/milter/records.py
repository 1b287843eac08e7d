#!/usr/bin/env python3
"""tests/milter/records.py [--some] LOG DB -- the per-message records of a milter run.

With summary_format = both every summary line has a JSON twin: each JSON
line must parse, carry the same queue id, ID, action and sizes as its text
line, and every answered message (not "aborted") must have a row in the
index's traffic table with the same outcome, sender and recipients.
--some: only some of the scripts ran, so neither the count of lines nor
the outcomes seen are checked against what the whole suite makes.
Prints "ok NAME" / "FAIL NAME: why" lines; exit 1 when any failed.
"""
import json
import re
import sqlite3
import sys

some = sys.argv[1:2] == ["--some"]
log_path, db_path = sys.argv[1 + some], sys.argv[2 + some]
failed = 0


def result(name, ok, why=""):
    global failed
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    failed += 0 if ok else 1


text, js = [], []
for line in open(log_path, encoding="utf-8", errors="replace"):
    m = re.search(r"\]: (\{.*\})$", line.rstrip("\n"))
    if m:
        try:
            js.append(json.loads(m.group(1)))
        except ValueError as e:
            result("json-parses", False, "%s: %s" % (e, line[:200]))
        continue
    m = re.search(r"\]: (\S+): id=(\S+) action=(\S+) .* size=(\d+)/(\d+) ", line)
    if m:
        text.append(m.groups())

result("json-lines", len(js) == len(text) and (some or len(js) > 20),
       "%d JSON lines, %d text lines" % (len(js), len(text)))
# paired by queue ID, in order: lines of messages on different connections
# interleave (scanner_reload_load.lua); a queue ID used again is in order
by_qid = {}
for j in js:
    by_qid.setdefault(j["queue_id"], []).append(j)
pairs = [(t, by_qid[t[0]].pop(0) if by_qid.get(t[0]) else
          {"queue_id": None, "id": None, "action": None, "size_in": -1, "size_out": -1})
         for t in text]
bad = [(t, j) for t, j in pairs
       if (t[0], t[1] if t[1] != "-" else None, t[2], int(t[3]), int(t[4])) !=
       (j["queue_id"], j["id"], j["action"], j["size_in"], j["size_out"])]
result("json-same-as-text", not bad, "first differing: %r" % (bad[:1],))
outcomes = {"passed", "sanitized", "kept", "suspicious", "cannot_inspect", "virus", "tempfail"}
answered = [j for j in js if j["action"] != "aborted"]
result("json-outcomes", all(j["outcome"] in outcomes for j in answered) and
       (some or {"kept", "virus", "tempfail"} <= {j["outcome"] for j in answered}),
       "outcomes seen: %s" % sorted({str(j["outcome"]) for j in answered}))
result("json-envelope", all(isinstance(j["rcpts"], list) and j["rcpt_count"] >= len(j["rcpts"])
                            and isinstance(j["mail_from"], str) for j in answered), "")
virus = [j for j in answered if j["outcome"] == "virus"]
result("json-virus-names", (some or virus) and all(j["virus"] and "signatures" in j
                                                  for j in virus),
       "virus lines: %r" % virus[:1])

db = sqlite3.connect(db_path)
rows = db.execute("SELECT queue_id, id, outcome, action, mail_from, rcpts, size_in, virus"
                  " FROM traffic ORDER BY seq").fetchall()
result("traffic-rows", len(rows) == len(answered),
       "%d rows for %d answered messages" % (len(rows), len(answered)))
want = sorted((j["queue_id"] if j["queue_id"] != "NOQUEUE" else None, j["id"], j["outcome"],
               j["action"], j["mail_from"], j["rcpts"], j["size_in"],
               ",".join(j["virus"]) or None) for j in answered)
have = sorted((r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows)
diff = [(a, b) for a, b in zip(want, have) if a != b]
result("traffic-same-as-log", want == have, "first differing: %r" % (diff[:1],))
sys.exit(1 if failed else 0)
