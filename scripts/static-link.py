#!/usr/bin/env python3
"""Links one of the build's executables again with the Swift runtime and Foundation
inside (-static-stdlib), from the objects and the link command SwiftPM's own manifest
holds, into OUT, stripped (--strip-unneeded): the binary the packages ship. The build directory is left as it was: SwiftPM's next build does not
see a change of flags (switching `swift build --static-swift-stdlib` on and off in one
build directory confuses its cached link commands).

usage: static-link.py CONFIG PRODUCT OUT
"""
import json
import subprocess
import sys

config, product, out = sys.argv[1:4]
manifest = f".build/{config}.yaml"
triple = subprocess.run(["swiftc", "-print-target-info"], capture_output=True, text=True, check=True)
triple = json.loads(triple.stdout)["target"]["unversionedTriple"]
key = f'  "C.{product}-{triple}-{config}.exe":'
args = None
with open(manifest) as f:
    inside = False
    for line in f:
        if line.rstrip("\n") == key:
            inside = True
        elif inside and line.startswith("    args: "):
            args = json.loads(line[len("    args: "):])
            break
        elif inside and line.startswith('  "'):
            break
if args is None:
    sys.exit(f"static-link: no link command for {product} in {manifest}: run `swift build -c {config}` first")
i = args.index("-o")
args[i + 1] = out
# Foundation's static archives need their C parts named explicitly.
args += ["-static-stdlib", "-Xlinker", "-lCoreFoundation", "-Xlinker", "-l_FoundationICU", "-Xlinker", "-l_FoundationCShims",
         "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-lstdc++"]
# -static-stdlib exports every symbol of the program's own objects (48,000 in stationd),
# which nothing looks up: the dynamic loader reads their table at each start (1.6 MiB of
# stationd's idle RSS, 5 MB of the file).
args += ["-Xlinker", "--no-export-dynamic"]
linked = subprocess.run(args).returncode
sys.exit(linked or subprocess.run(["strip", "--strip-unneeded", out]).returncode)
