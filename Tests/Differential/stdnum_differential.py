#!/usr/bin/env python3
"""Differential test: Station's code recogniser against python-stdnum.

Generates valid and corrupted ISBN-10, ISBN-13, EAN-13 and resident identity numbers
(seeded; the seed is printed), asks `stationctl parse --lines -` for a verdict on each,
asks python-stdnum for its verdict, and reports every disagreement. Exit 1 on any.

Resident identity numbers come from a small list of real county codes with random past
birth dates and sequence numbers (kept only where stdnum's county table agrees the
county existed in the birth year). Station's area check is coarser (province level),
so corruptions never recompute the check character after changing the area code; and
future birth dates, which Station refuses and stdnum does not check, are not generated.

usage: stdnum_differential.py STATIONCTL [COUNT_PER_KIND] [SEED]
"""
import json
import random
import subprocess
import sys

from stdnum import ean, isbn
from stdnum.cn import ric

COUNTIES = ["110101", "310101", "440106", "510104", "330106", "420106", "320102", "610113", "120101", "360402"]


def gs1_check(body):
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def isbn10_check(body):
    c = (11 - sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11) % 11
    return "X" if c == 10 else str(c)


def ric_check(body):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def corrupt(rng, code, alphabet="0123456789"):
    """One of: a digit replaced, two neighbours swapped, the last character changed."""
    chars = list(code)
    how = rng.randrange(3)
    if how == 0:
        i = rng.randrange(len(chars))
        chars[i] = rng.choice([c for c in alphabet if c != chars[i]])
    elif how == 1:
        i = rng.randrange(len(chars) - 1)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        chars[-1] = rng.choice([c for c in alphabet if c != chars[-1]])
    return "".join(chars)


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def gen_isbn13(rng):
    body = rng.choice(["978", "979"]) + digits(rng, 9)
    return body + gs1_check(body)


def gen_isbn10(rng):
    body = digits(rng, 9)
    return body + isbn10_check(body)


def gen_ean13(rng):
    body = rng.choice(["690", "692", "400", "450", "500", "012", "977", "978"]) + digits(rng, 9)
    return body + gs1_check(body)


def gen_ric(rng):
    while True:
        year = rng.randint(1950, 2008)
        body = "%s%04d%02d%02d%03d" % (rng.choice(COUNTIES), year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 999))
        number = body + ric_check(body)
        if ric.is_valid(number):
            return number


def bad_date_ric(rng):
    year = rng.randint(1950, 2008)
    month, day = rng.choice([(2, 30), (2, 31), (4, 31), (13, 1), (0, 10), (6, 0), (9, 31)])
    body = "%s%04d%02d%02d%03d" % (rng.choice(COUNTIES), year, month, day, rng.randint(0, 999))
    return body + ric_check(body)


def main():
    stationctl = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    print(f"seed {seed}, {count} codes per kind")

    kinds = {
        # name: (generator, corruption alphabet, stdnum verdict, Station verdict)
        "isbn-10": (gen_isbn10, "0123456789X", isbn.is_valid, lambda r: r["valid"] and r["kind"] == "isbn-10"),
        "isbn-13": (gen_isbn13, "0123456789", isbn.is_valid, lambda r: r["valid"] and r["kind"] == "isbn-13"),
        # EAN-13: the check digit's verdict; a valid product code is read correctly
        # (normalized given) even though Station will not lend it.
        "ean-13": (gen_ean13, "0123456789", ean.is_valid, lambda r: r["normalized"] is not None),
        "resident-id": (gen_ric, "0123456789", ric.is_valid, lambda r: r["valid"] and r["kind"] == "resident-id"),
    }
    cases = []
    for name, (gen, alphabet, _, _) in kinds.items():
        for i in range(count):
            code = gen(rng)
            if i % 2 == 1:
                code = corrupt(rng, code, alphabet)
            elif name == "resident-id" and i % 10 == 4:
                code = bad_date_ric(rng)
            elif name == "resident-id" and i % 10 == 8 and code.endswith("X"):
                code = code[:-1] + "x"
            cases.append((name, code))

    proc = subprocess.run([stationctl, "parse", "--lines", "-"], input="".join(c + "\n" for _, c in cases),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"stationctl failed ({proc.returncode}): {proc.stderr}")
        return 1
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    if len(results) != len(cases):
        print(f"stationctl answered {len(results)} lines for {len(cases)} codes")
        return 1

    disagreements = 0
    for name, (_, _, theirs, ours) in kinds.items():
        n = valid = bad = 0
        for (kind, code), result in zip(cases, results):
            if kind != name:
                continue
            n += 1
            expected = bool(theirs(code))
            valid += expected
            if bool(ours(result)) != expected:
                bad += 1
                if bad <= 5:
                    shown = code if name != "resident-id" else code[:4] + "*" * 10 + code[-4:]
                    print(f"  DISAGREE {name} {shown}: stdnum {expected}, station {result}")
        disagreements += bad
        print(f"{name}: {n} codes ({valid} valid, {n - valid} invalid per stdnum), {bad} disagreements")
    print(f"{len(cases)} codes, {disagreements} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
