#!/usr/bin/env python3
"""Write an umockdev script (for umockdev-run -s /dev/ttyACM0=FILE) in which a serial
scanner sends text in a given encoding.

Usage:
    make-serial-script.py [--encoding gb18030] [--suffix crlf|cr|lf|none] -o OUT.script \\
        DELAY_MS TEXT [DELAY_MS TEXT ...]

Each DELAY_MS TEXT pair becomes one line "r DELAY_MS DATA": umockdev waits DELAY_MS
after the previous operation, then makes DATA readable on the tty. DATA is TEXT
encoded with --encoding, plus the suffix (default CR LF). Quoting follows
/usr/share/doc/umockdev/script-format.txt: bytes below 32 become '^' + chr(b + 64),
'^' becomes "^`", everything else (including bytes >= 128) is written verbatim, so the
output is a binary file. A space cannot be escaped and umockdev skips blanks right
after the delay, so TEXT must not start with a space.

Example (Tests/Fixtures/serial/gb18030-qr.script):
    make-serial-script.py --encoding gb18030 -o serial/gb18030-qr.script \\
        500 '职工书屋-借阅' 300 9787111213826
"""
import argparse
import sys

SUFFIXES = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n", "none": b""}


def quote(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b == 0x5E:
            out += b"^`"
        elif b < 32:
            out += bytes((0x5E, b + 64))
        else:
            out.append(b)
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--suffix", choices=sorted(SUFFIXES), default="crlf")
    ap.add_argument("steps", nargs="+", metavar="DELAY_MS TEXT")
    args = ap.parse_args()
    if len(args.steps) % 2:
        ap.error("give DELAY_MS TEXT pairs")
    lines = []
    for delay, text in zip(args.steps[::2], args.steps[1::2]):
        if not delay.isdigit():
            ap.error("delay must be a whole number of milliseconds: %r" % delay)
        if text.startswith(" "):
            ap.error("text must not start with a space (umockdev would drop it)")
        data = text.encode(args.encoding) + SUFFIXES[args.suffix]
        lines.append(b"r " + delay.encode() + b" " + quote(data) + b"\n")
    with open(args.output, "wb") as f:
        f.writelines(lines)
    print("wrote %s: %d read block(s), %s" % (args.output, len(lines), args.encoding), file=sys.stderr)


if __name__ == "__main__":
    main()
