#!/usr/bin/env python3
"""Independent checker of a Station journal against what the daemon told the workers.

Reads journal.sqlite with Python's own sqlite3 (not the daemon's code) and the JSON lines
`stationd run --print` printed (every run concatenated), and checks:
  - PRAGMA integrity_check is ok;
  - every recorded outcome that was printed is in the journal exactly once, with the same
    kind and item (nothing acknowledged is lost; nothing is claimed that is not there);
  - seq is unique and strictly increasing with the monotonic clock within a boot, and
    contiguous within an epoch;
  - no label was printed as recorded twice (the replay resumes after the last outcome);
  - the ledger's snapshot (`ledger_entry`, the events the box's open loans and visits
    stand on) is what a replay of every event gives, by this checker's own reading of the
    ledger's rules (ARCHITECTURE.md, "the box's ledger"), and each open entry's kind, book
    and worker (what a scan reads) are its event's.

With --faults (scans told `storage-error` while writes failed), also: every event in the
journal was either told as recorded or cancelled by a void event, nothing told
`storage-error` is in the journal without a void, and every scan sent got one answer
(recorded or storage-error).

With --items-repeat (a workload that lends and returns the same copies), a label told
recorded twice is not a problem in itself; seqs still are.

usage: journal_check.py [--faults] [--items-repeat] JOURNAL.sqlite OUTCOMES.jsonl SCANS_SENT
Prints `N scans, N acknowledged, 0 lost, 0 duplicated`; exit 1 on any problem.
"""
import json
import sqlite3
import sys


def main():
    args = sys.argv[1:]
    faults = "--faults" in args
    repeats = "--items-repeat" in args
    args = [a for a in args if a not in ("--faults", "--items-repeat")]
    db_path, outcomes_path, sent = args[0], args[1], int(args[2])
    problems = []
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    rows = db.execute("SELECT seq, epoch, kind, boot_id, mono_us, body FROM event ORDER BY seq").fetchall()
    journal = {}
    for seq, epoch, kind, boot, mono, body in rows:
        journal[seq] = (epoch, kind, boot, mono, json.loads(body))

    told = []
    with open(outcomes_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            if o.get("type") == "outcome" and o.get("recorded"):
                told.append(o["event"])

    lost = 0
    seen = {}
    duplicated = 0
    for e in told:
        seq = e["seq"]
        if seq in seen:
            duplicated += 1
            problems.append(f"seq {seq} was told twice")
        seen[seq] = e
        row = journal.get(seq)
        if row is None:
            lost += 1
            problems.append(f"seq {seq} ({e['item']}) was told recorded but is not in the journal")
            continue
        epoch, kind, boot, mono, body = row
        item = (body.get("item") or {}).get("key")
        if kind != e["kind"] or item != e["item"]:
            lost += 1
            problems.append(f"seq {seq}: journal has {kind} {item}, the worker was told {e['kind']} {e['item']}")
    labels = [e["item"] for e in told]
    if not repeats and len(labels) != len(set(labels)):
        duplicated += len(labels) - len(set(labels))
        problems.append("a label was told recorded twice")

    if faults:
        told_seqs = {e["seq"] for e in told}
        voided = {body.get("refersTo") for (_, kind, _, _, body) in journal.values() if kind == "void"}
        for seq, (epoch, kind, boot, mono, body) in journal.items():
            if kind == "void" and journal.get(body.get("refersTo"), (None, None))[1] == "void":
                problems.append(f"seq {seq} voids another void")
            if kind != "void" and seq not in told_seqs and seq not in voided:
                problems.append(f"seq {seq} is in the journal, was never told recorded, and is not voided")
        errors = sum(1 for line in open(outcomes_path) if '"outcome":"storage-error"' in line)
        if len(told) + errors != sent:
            problems.append(f"{sent} scans, but {len(told)} told recorded and {errors} told storage-error: some scan got no answer")
        print(f"storage-error outcomes: {errors}; void events: {len(voided)}")

    problems += snapshot_problems(db, journal)

    last = None
    for seq in sorted(journal):
        epoch, kind, boot, mono, body = journal[seq]
        if last is not None:
            lseq, lepoch, lboot, lmono = last
            if epoch == lepoch and seq != lseq + 1:
                problems.append(f"gap inside epoch {epoch}: {lseq} -> {seq}")
            if boot == lboot and mono < lmono:
                problems.append(f"seq {seq} is earlier on the monotonic clock than seq {lseq}")
        last = (seq, epoch, boot, mono)

    print(f"{sent} scans, {len(told)} acknowledged, {lost} lost, {duplicated} duplicated "
          f"({len(journal)} events in the journal, {len(journal) - len(told)} of them never told as recorded: "
          f"killed before telling, voided, or voids)")
    for p in problems[:20]:
        print("  PROBLEM", p)
    return 1 if problems else 0


def replayed_ledger(journal):
    """The events the ledger stands on after every event, voided ones left out: labelled
    copies are with one worker at a time, title-only books with many; a renewal belongs to
    its worker's first loan of the item; a return closes the loan it names or the oldest,
    with its renewals; a visit is open from its start (a second start replaces it) to its
    end."""
    voided = {body.get("refersTo") for (_, kind, _, _, body) in journal.values() if kind == "void"}
    loans = {}  # item key -> [[checkout seq, worker hash, [renewal seqs]], ...] oldest first
    visits = {}  # worker hash -> visit-start seq
    for seq in sorted(journal):
        _, kind, _, _, body = journal[seq]
        if seq in voided:
            continue
        key = (body.get("item") or {}).get("key")
        worker = (body.get("worker") or {}).get("localHash")
        if kind == "checkout" and key and worker:
            if not key.startswith("label:"):
                loans.setdefault(key, [])
            else:
                loans[key] = []
            loans[key].append([seq, worker, []])
        elif kind == "renewal" and key and worker:
            mine = [loan for loan in loans.get(key, []) if loan[1] == worker]
            if mine:
                mine[0][2].append(seq)
        elif kind == "return" and loans.get(key):
            named = [i for i, loan in enumerate(loans[key]) if loan[0] == body.get("refersTo")]
            loans[key].pop(named[0] if named else 0)
            if not loans[key]:
                del loans[key]
        elif kind == "visit-start" and worker:
            visits[worker] = seq
        elif kind == "visit-end" and worker:
            visits.pop(worker, None)
    return {s for held in loans.values() for loan in held for s in [loan[0], *loan[2]]} | set(visits.values())


def snapshot_problems(db, journal):
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entry'").fetchone():
        return []
    snapshot = {seq for (seq,) in db.execute("SELECT seq FROM ledger_entry WHERE closed_by IS NULL")}
    replayed = replayed_ledger(journal)
    problems = []
    if snapshot != replayed:
        problems.append(f"the ledger's snapshot is not the replay's: only in the snapshot {sorted(snapshot - replayed)[:10]}, "
                        f"only in the replay {sorted(replayed - snapshot)[:10]}")
    # What scans read of each entry (its kind, book and worker) is its event's.
    columns = {row[1] for row in db.execute("PRAGMA table_info(ledger_entry)")}
    if {"kind", "item_key", "worker_hash"} <= columns:
        for seq, kind, key, worker in db.execute("SELECT seq, kind, item_key, worker_hash FROM ledger_entry WHERE closed_by IS NULL"):
            if seq not in journal:
                continue
            _, ekind, _, _, body = journal[seq]
            expected = (ekind, (body.get("item") or {}).get("key"), (body.get("worker") or {}).get("localHash"))
            if (kind, key, worker) != expected:
                problems.append(f"the snapshot's entry {seq} says {(kind, key, worker)}, its event {expected}")
    return problems[:20]


if __name__ == "__main__":
    sys.exit(main())
