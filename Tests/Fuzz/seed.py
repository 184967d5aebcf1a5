#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs into Tests/Fuzz/Corpus/TARGET (run from the project
root; the seeds are committed, so this runs only when their shapes change). Identities are
generated: a real county code, a random birth date and sequence number, a valid check
character."""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Fixtures", "tools"))
from identities import identity  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")
rng = random.Random(20261205)


def write(target, name, data):
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def resident_id():
    return identity(rng, "330802")


def local_hash(n):
    return "v1:" + f"{n:064x}"


def event(seq, kind, **draft):
    d = {"kind": kind, "flags": []}
    d.update(draft)
    return {"boxID": "box-0001", "seq": seq, "siteID": "shelf-a", "epoch": 0,
            "time": {"wallMillis": 1796000000000 + seq * 1000, "synchronized": seq % 2 == 0, "bootID": "b1", "monotonicMicros": seq * 1000000},
            "draft": d}


worker = {"kind": "member-card", "localHash": local_hash(1), "masked": "********0022"}
events = [
    event(1, "checkout", item={"key": "isbn:9787020002207"}, worker=worker, dueDate="2026-12-30", scannerID="usb-1"),
    event(2, "renewal", item={"key": "label:LIB-000123"}, worker=worker, dueDate="2027-01-30"),
    event(3, "return", item={"key": "isbn:9787020002207"}, refersTo=1, flags=["drift"]),
    event(4, "visit-start", worker=dict(worker, kind="resident-id", masked="3308**********123X"), service="lactation"),
    event(5, "visit-end", worker=worker, refersTo=4, flags=["auto-closed"]),
    event(6, "void", refersTo=2),
]
batch = json.dumps({"box_id": "box-0001", "events": events}, separators=(",", ":"))
write("batch", "whole.json", batch)
write("batch", "whole.json.gz", gzip.compress(batch.encode(), mtime=0))
odd = [dict(events[0], seq="one"), dict(events[1], draft=dict(events[1]["draft"], kind="teleport")), 7, {}, events[2]]
write("batch", "mixed.json", json.dumps({"box_id": "box-0001", "events": odd}))
write("batch", "empty.json", '{"box_id":"box-0001","events":[]}')
write("batch", "other-box.json.gz", gzip.compress(b'{"box_id":"box-9","events":[]}', mtime=0))
write("batch", "claims.json", json.dumps({"box_id": "box-0001", "events": [
    event(0, "return", item={"key": "label:B1"}),
    event(8, "checkout", item={"key": "label:B1"}, worker=dict(worker, pseudonym="p1:" + "ab" * 16), dueDate="2026-02-30"),
    event(9, "return", item={"key": "label:B1"}, refersTo=12)]}))
write("batch", "deep.json", '{"box_id":"box-0001","events":[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]}')

# Scans: the first byte chooses the settings; then (op, argument) pairs: op's low 3 bits
# say what (0-3 a character, 4 Enter, 5 Tab, 6 the idle deadline, 7 events dropped), its
# high 5 bits the time since the last input. 2 << 3 is 1 ms apart: a scanner's speed.
alphabet = "0123456789X-]EQCd LIB- STE1.station-enroll:#/åé中书\x00\x1d"


def keys(text, gap=2):
    out = b""
    for ch in text:
        out += bytes([gap << 3, alphabet.index(ch)])
    return out + bytes([gap << 3 | 4, 0])


write("scan", "isbn.bin", bytes([0]) + keys("9787020002207"))
write("scan", "aim-isbn-addon.bin", bytes([8]) + keys("]E09787020002207") + keys("978702000220751234"))
write("scan", "resident-id.bin", bytes([1]) + keys(resident_id()) + keys(resident_id()[:-1] + "0"))
write("scan", "label-and-typing.bin", bytes([2]) + keys("LIB-000123") + keys("LIB-0001", gap=20))
write("scan", "no-suffix-timeout.bin", bytes([2]) + keys("9787020002207")[:-2] + bytes([6, 0]) + keys("12345678")[:-2] + bytes([31 << 3, 0]))
write("scan", "dropped.bin", bytes([0]) + keys("97870")[:-2] + bytes([2 << 3 | 7, 1]) + keys("20002207"))
write("scan", "enroll-card.bin", bytes([0]) + keys("station-enroll:#00") + keys("STE1.e1"))

# Configs: the annotated example, a smallest one, and some that are wrong in each way.
with open(os.path.join(os.path.dirname(root), "..", "..", "docs", "station.example.toml")) as f:
    write("config", "example.toml", f.read())
write("config", "smallest.toml", '[box]\nid = "box-1"\nsite = "shelf-a"\n')
write("config", "hut.toml", '[box]\nid = "b"\nsite = "hut-1"\n[site]\nkind = "hut"\nservices = ["lactation", "rest"]\nvisit_max_minutes = 90\n'
      '[feedback]\nlanguage = "en"\nbeeper = "off"\n[feedback.signals.refused]\ntones = "330/500 0/50 330/500"\nvoice = false\n[pages]\nkiosk_port = 0\n')
write("config", "wrong.toml", '[box]\nid = 5\nsite = ""\nnope = 1\n[site]\nkind = "castle"\nmax_loans = -1\n[hub]\nkey_version = "x"\n')
write("config", "syntax.toml", '[box\nid = "a"\n[[x]]\n= 3\n')
