#!/usr/bin/env python3
"""Refreshes the GameLift emulator's copy of GameLift's service model.

The emulator validates every request against botocore's
`data/gamelift/2015-10-01/service-2.json` (required members, types, lengths, patterns,
enums, ranges). It keeps only what validation needs, as data in
`tools/gamelift-emulator/data/gamelift-2015-10-01.json`, pinned to the botocore version
installed in the project's `.venv` (scripts/requirements.txt pins it):
  - every operation's name and input shape (so unimplemented operations are known too);
  - every shape reachable from an input: its type, members, required members, list
    member, map key and value, min, max, pattern and enum.

Usage:
  .venv/bin/python scripts/refresh_gamelift_model.py          rewrites the file
  .venv/bin/python scripts/refresh_gamelift_model.py --check  exits 1 if it is stale
"""

import argparse
import json
import pathlib
import sys

import botocore
import botocore.loaders

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tools" / "gamelift-emulator" / "data" / "gamelift-2015-10-01.json"
KEPT = ("type", "required", "min", "max", "pattern", "enum")


def trimmed():
    model = botocore.loaders.Loader().load_service_model("gamelift", "service-2", "2015-10-01")
    shapes = model["shapes"]
    keep = {}

    def walk(name):
        if name in keep:
            return
        s = shapes[name]
        out = {k: s[k] for k in KEPT if k in s}
        keep[name] = out
        if "members" in s:
            out["members"] = {m: v["shape"] for m, v in s["members"].items()}
            for v in s["members"].values():
                walk(v["shape"])
        for part in ("member", "key", "value"):
            if part in s:
                out[part] = s[part]["shape"]
                walk(s[part]["shape"])

    operations = {}
    for name, op in sorted(model["operations"].items()):
        shape = op.get("input", {}).get("shape")
        operations[name] = shape
        if shape:
            walk(shape)
    return {
        "botocore": botocore.__version__,
        "apiVersion": model["metadata"]["apiVersion"],
        "operations": operations,
        "shapes": dict(sorted(keep.items())),
    }


def render(doc):
    # One shape per line: small diffs when botocore moves.
    lines = ["{"]
    lines.append(f' "botocore": {json.dumps(doc["botocore"])},')
    lines.append(f' "apiVersion": {json.dumps(doc["apiVersion"])},')
    lines.append(' "operations": {')
    ops = list(doc["operations"].items())
    for i, (k, v) in enumerate(ops):
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)}" + ("," if i + 1 < len(ops) else ""))
    lines.append(" },")
    lines.append(' "shapes": {')
    shapes = list(doc["shapes"].items())
    for i, (k, v) in enumerate(shapes):
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" + ("," if i + 1 < len(shapes) else ""))
    lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the file differs from the installed botocore's model")
    args = ap.parse_args()
    text = render(trimmed())
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is not botocore {botocore.__version__}'s GameLift model; run scripts/refresh_gamelift_model.py")
            return 1
        print(f"{OUT.relative_to(ROOT)}: botocore {botocore.__version__}, up to date")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} from botocore {botocore.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
