#!/usr/bin/env python3
"""Sweep of GameLift's service model against the GameLift emulator's request validation.

For every operation the emulator implements (every operation of botocore's GameLift model
is asked; the others answer UnknownOperationException, which is checked too), and for
every constrained member of its input (nested structures, list items and map values
included), the sweep sends raw JSON 1.1 requests that break one constraint at a time:
a missing required member, a value of the wrong type, a string, list or map shorter than
its minimum or longer than its maximum, a string off its pattern, a value outside its enum,
a number below its minimum or above its maximum. Each must be answered
`400 InvalidRequestException` whose message names the member path and the constraint, as
GameLift words it. A valid request built the same way (required members filled with
values the model allows) must not be refused by validation.

The model is botocore's, from the project's .venv (the same botocore the emulator's copy
was taken from). Valid strings for patterns are generated from the pattern itself.

Usage: .venv/bin/python scripts/emulator_sweep.py --endpoint http://127.0.0.1:5111
The emulator must already run; the sweep resets its state (POST /admin/reset) when done.
Prints one line per failure and `N passed, M failed` with the counts of operations,
members and requests; exits 1 on any failure.
"""

import argparse
import json
import re
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants
    import sre_parse
import urllib.error
import urllib.request

import boto3

MAX_DEPTH = 6
LONGEST = 300_000  # longer strings than this are not sent (none in GameLift's model)


def java_to_python(pattern):
    """Java's `\\uD800\\uDC00` surrogate pairs become the code point they encode."""

    def pair(m):
        hi, lo = int(m.group(1), 16), int(m.group(2), 16)
        return "\\U%08x" % (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))

    return re.sub(r"\\u(D[89AB][0-9A-Fa-f]{2})\\u(D[C-F][0-9A-Fa-f]{2})", pair, pattern)


def matches(shape, value):
    p = shape.metadata.get("pattern")
    return p is None or re.fullmatch(java_to_python(p), value) is not None


class Generator:
    """A string matching a regular expression (the subset GameLift's model uses)."""

    def __init__(self, pattern, length):
        self.length = length

        self.tree = sre_parse.parse(java_to_python(pattern))

    def run(self):
        return "".join(self.items(self.tree))

    def items(self, items):
        out = []
        for op, av in items:
            out.append(self.item(op, av))
        return out

    def char_in(self, items):
        negate = any(op == sre_constants.NEGATE for op, _ in items)
        allowed = []
        for op, av in items:
            if op == sre_constants.LITERAL:
                allowed.append(chr(av))
            elif op == sre_constants.RANGE:
                allowed.append(chr(av[0]))
            elif op == sre_constants.CATEGORY:
                allowed.append({sre_constants.CATEGORY_DIGIT: "0", sre_constants.CATEGORY_WORD: "a",
                                sre_constants.CATEGORY_SPACE: " ", sre_constants.CATEGORY_NOT_SPACE: "a",
                                sre_constants.CATEGORY_NOT_DIGIT: "a", sre_constants.CATEGORY_NOT_WORD: "-"}.get(av, "a"))
        if not negate:
            # Prefer a letter or digit when the set has one.
            for c in allowed:
                if c.isalnum():
                    return c
            return allowed[0] if allowed else "a"
        banned = set()
        for op, av in items:
            if op == sre_constants.LITERAL:
                banned.add(chr(av))
            elif op == sre_constants.RANGE:
                banned.update(chr(x) for x in range(av[0], min(av[1], av[0] + 200) + 1))
            elif op == sre_constants.CATEGORY and av == sre_constants.CATEGORY_SPACE:
                banned.update(" \t\n\r\f\v")
        return next(c for c in "abcxyz019" if c not in banned)

    def item(self, op, av):
        if op == sre_constants.LITERAL:
            return chr(av)
        if op == sre_constants.NOT_LITERAL:
            return "a" if chr(av) != "a" else "b"
        if op == sre_constants.ANY:
            return "a"
        if op == sre_constants.IN:
            return self.char_in(av)
        if op == sre_constants.CATEGORY:
            return self.char_in([(op, av)])
        if op == sre_constants.AT:
            return ""
        if op == sre_constants.SUBPATTERN:
            return "".join(self.items(av[-1]))
        if op == sre_constants.BRANCH:
            return "".join(self.items(av[1][0]))
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            lo, hi, sub = av
            n = max(lo, 1) if hi != 0 else 0
            if hi is not sre_constants.MAXREPEAT:
                n = min(n, hi)
            return "".join("".join(self.items(sub)) for _ in range(n))
        raise ValueError(f"unsupported regex element {op}")


def valid_string(shape):
    lo = shape.metadata.get("min", 0)
    hi = shape.metadata.get("max", max(lo, 8))
    if shape.enum:
        return shape.enum[0]
    p = shape.metadata.get("pattern")
    base = Generator(p, lo).run() if p else "a"
    if not base and lo == 0:
        return base
    # Stretch to the minimum length by repeating the last character if the pattern allows.
    s = base or "a"
    while len(s) < lo:
        s += s[-1]
    s = s[:hi] if len(s) > hi else s
    return s


def valid_value(shape, depth=0):
    t = shape.type_name
    if t == "structure":
        return {m: valid_value(shape.members[m], depth + 1) for m in shape.required_members} if depth < MAX_DEPTH else {}
    if t == "list":
        n = max(shape.metadata.get("min", 0), 1)
        return [valid_value(shape.member, depth + 1) for _ in range(n)]
    if t == "map":
        n = max(shape.metadata.get("min", 0), 1)
        return {valid_string(shape.key) + ("" if i == 0 else str(i)): valid_value(shape.value, depth + 1) for i in range(n)}
    if t == "string":
        return valid_string(shape)
    if t in ("integer", "long"):
        lo = shape.metadata.get("min", 1)
        return int(max(lo, min(1, shape.metadata.get("max", 1))))
    if t in ("float", "double"):
        return float(max(shape.metadata.get("min", 1), min(1, shape.metadata.get("max", 1))))
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1_700_000_000
    if t == "blob":
        return "AAAA"
    raise ValueError(t)


def lower_camel(name):
    return name[0].lower() + name[1:]


def wrong_type(shape):
    t = shape.type_name
    return {"string": 12345, "integer": "x", "long": "x", "float": "x", "double": "x", "boolean": "x",
            "timestamp": "x", "blob": 5, "list": "x", "map": "x", "structure": "x"}[t]


def off_pattern(shape):
    """A string within the shape's lengths that does not match its pattern, if one exists."""
    lo = shape.metadata.get("min", 0)
    hi = shape.metadata.get("max", 1024)
    for c in ["!", " ", "%", "\x01", "a b", "..", "-", "é", "\u0000", "A", "0", "a"]:
        s = c
        while len(s) < lo:
            s += c[-1]
        if len(s) <= hi and not matches(shape, s):
            return s
    return None


def cases(shape, path, depth=0):
    """(member path, shape, what, how the value is set, expected message part) for every
    constraint of a member; `how` is None to leave the member out."""
    t = shape.type_name
    out = []
    yield_type = path is not None
    if yield_type:
        out.append((path, shape, "type", wrong_type(shape), "Member must be of type"))
    meta = shape.metadata
    if t == "string":
        if shape.enum:
            out.append((path, shape, "enum", "NOT_A_VALUE_OF_THE_ENUM", "Member must satisfy enum value set: ["))
        else:
            base = valid_string(shape)
            if meta.get("min", 0) >= 1:
                out.append((path, shape, "min length", (base or "a")[: meta["min"] - 1], f"Member must have length greater than or equal to {meta['min']}"))
            if "max" in meta and meta["max"] + 1 <= LONGEST:
                filler = (base or "a")[-1]
                long = (base + filler * (meta["max"] + 1))[: meta["max"] + 1]
                out.append((path, shape, "max length", long, f"Member must have length less than or equal to {meta['max']}"))
            bad = off_pattern(shape) if "pattern" in meta else None
            if bad is not None:
                out.append((path, shape, "pattern", bad, "Member must satisfy regular expression pattern: "))
    elif t in ("integer", "long", "float", "double"):
        if "min" in meta:
            out.append((path, shape, "min value", meta["min"] - 1, f"Member must have value greater than or equal to {fmt(meta['min'])}"))
        if "max" in meta and not (t == "integer" and meta["max"] >= 2**31 - 1):
            out.append((path, shape, "max value", meta["max"] + 1, f"Member must have value less than or equal to {fmt(meta['max'])}"))
    elif t in ("list", "map"):
        item = shape.member if t == "list" else shape.value
        one = valid_value(item, depth + 1)
        if meta.get("min", 0) >= 1:
            short = [] if t == "list" else {}
            out.append((path, shape, "min length", short, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and meta["max"] < 2000:
            n = meta["max"] + 1
            long = [one] * n if t == "list" else {f"k{i}": one for i in range(n)}
            out.append((path, shape, "max length", long, f"Member must have length less than or equal to {meta['max']}"))
        if depth < MAX_DEPTH:
            sub = f"{path}.1.member" if t == "list" else None
            if t == "list":
                for c in cases(item, sub, depth + 1):
                    out.append(c)
    elif t == "structure" and depth < MAX_DEPTH:
        for name, member in shape.members.items():
            p = lower_camel(name) if path is None else f"{path}.{lower_camel(name)}"
            if name in shape.required_members:
                out.append((p, member, "required", None, "Member must not be null"))
            out.extend(cases(member, p, depth + 1))
    return out


def fmt(x):
    return str(int(x)) if float(x).is_integer() else str(x)


def place(base, input_shape, path, value):
    """`base` with the member at `path` set to `value` (or removed when value is None),
    building its parents from valid values."""
    req = json.loads(json.dumps(base))
    parts = path.split(".")
    node, shape = req, input_shape
    i = 0
    while i < len(parts):
        part = parts[i]
        last = i == len(parts) - 1
        if shape.type_name == "structure":
            name = next(m for m in shape.members if lower_camel(m) == part)
            member = shape.members[name]
            if last:
                if value is None:
                    node.pop(name, None)
                else:
                    node[name] = value
                return req
            if name not in node:
                node[name] = valid_value(member)
            node, shape = node[name], member
            i += 1
        elif shape.type_name == "list":
            # `<n>.member`: the first item
            if not node:
                node.append(valid_value(shape.member))
            if i + 2 >= len(parts):
                node[0] = value
                return req
            node, shape = node[0], shape.member
            i += 2
        else:
            raise ValueError(path)
    return req


class Sweep:
    def __init__(self, endpoint):
        self.endpoint = endpoint.rstrip("/")
        self.model = boto3.session.Session().client("gamelift", region_name="us-east-1").meta.service_model
        self.passed = self.failed = self.requests = 0
        self.members = set()

    def send(self, op, body):
        self.requests += 1
        req = urllib.request.Request(
            self.endpoint + "/",
            data=json.dumps(body).encode(),
            headers={"X-Amz-Target": f"GameLift.{op}", "Content-Type": "application/x-amz-json-1.1"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def check(self, what, ok, why):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}: {why}")

    def run(self):
        implemented = []
        for op in self.model.operation_names:
            status, body = self.send(op, {})
            if body.get("__type") == "UnknownOperationException":
                self.check(f"{op} unimplemented", status == 400 and op in body.get("message", ""), f"{status} {body}")
            else:
                implemented.append(op)
        bogus_status, bogus = self.send("LaunchRocket", {})
        self.check("an operation GameLift does not have", bogus_status == 400 and bogus.get("__type") == "UnknownOperationException" and "LaunchRocket" in bogus.get("message", ""), str(bogus))
        for op in implemented:
            shape = self.model.operation_model(op).input_shape
            if shape is None:
                continue
            base = valid_value(shape)
            status, body = self.send(op, base)
            self.check(f"{op} valid request", not (body.get("__type") == "InvalidRequestException" and "validation error" in body.get("message", "")), f"refused: {body.get('message')} (request {json.dumps(base)[:300]})")
            for path, _, what, value, expected in cases(shape, None):
                self.members.add((op, path))
                req = place(base, shape, path, value)
                status, body = self.send(op, req)
                msg = body.get("message", "")
                ok = status == 400 and body.get("__type") == "InvalidRequestException" and f"at '{path}' failed to satisfy constraint: {expected}" in msg
                self.check(f"{op} {path} {what}", ok, f"{status} {body.get('__type')}: {msg[:300]}")
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/admin/reset", method="POST"), timeout=10).read()
        return implemented


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5111")
    args = ap.parse_args()
    s = Sweep(args.endpoint)
    implemented = s.run()
    ops = len(s.model.operation_names)
    print(f"model sweep: {len(implemented)} of {ops} operations implemented, {len(s.members)} constrained members, {s.requests} requests")
    print(f"{s.passed} passed, {s.failed} failed")
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
