#!/usr/bin/env python3
"""Independent measure of WAV files (the voice prompts scripts/voices renders).

Reads each file with Python's own RIFF parsing and `wave` module (not espeak-ng's or the
daemon's code) and prints one JSON object per file:
  file, riff (RIFF/WAVE magic), format (the fmt chunk's format tag: 1 is PCM), channels,
  sample_width (bytes), rate, frames, duration (s), data_complete (the data chunk holds
  exactly the frames the header declares and the file ends there), rms and peak (of the
  samples, as a fraction of full scale), lead (s of near-silence before the first sample
  above 1% of full scale); or file and error.

usage: wav_check.py DIR FILE...   (FILE relative to DIR)
"""
import array
import json
import math
import os
import struct
import sys
import wave


def chunks(data):
    """The RIFF chunks of a WAVE file as (id, offset of the body, declared size)."""
    offset = 12
    while offset + 8 <= len(data):
        cid, size = struct.unpack("<4sI", data[offset:offset + 8])
        yield cid, offset + 8, size
        offset += 8 + size + (size & 1)


def measure(path):
    with open(path, "rb") as f:
        data = f.read()
    out = {"riff": data[0:4] == b"RIFF" and data[8:12] == b"WAVE"}
    if not out["riff"]:
        return out
    found = dict((cid, (body, size)) for cid, body, size in chunks(data))
    if b"fmt " not in found or b"data" not in found:
        return dict(out, error="no fmt or data chunk")
    body, _ = found[b"fmt "]
    out["format"] = struct.unpack("<H", data[body:body + 2])[0]
    with wave.open(path, "rb") as w:
        out["channels"] = w.getnchannels()
        out["sample_width"] = w.getsampwidth()
        out["rate"] = w.getframerate()
        out["frames"] = w.getnframes()
        frames = w.readframes(w.getnframes())
    out["duration"] = out["frames"] / out["rate"]
    body, size = found[b"data"]
    declared = out["frames"] * out["channels"] * out["sample_width"]
    out["data_complete"] = size == declared and len(frames) == declared and body + size == len(data)
    if out["sample_width"] != 2:
        return dict(out, error="not 16-bit samples")
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return dict(out, rms=0.0, peak=0.0, lead=out["duration"])
    out["rms"] = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    out["peak"] = max(abs(s) for s in samples) / 32768
    first = next((i for i, s in enumerate(samples) if abs(s) > 328), len(samples))
    out["lead"] = first / out["channels"] / out["rate"]
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    root = sys.argv[1]
    for name in sys.argv[2:]:
        path = os.path.join(root, name)
        try:
            result = measure(path)
        except (OSError, EOFError, wave.Error, struct.error) as e:
            result = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(dict({"file": name}, **result)), flush=True)


if __name__ == "__main__":
    main()
