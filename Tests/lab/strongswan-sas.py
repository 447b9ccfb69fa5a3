#!/usr/bin/env python3
"""Reads `swanctl --list-sas --pretty` or `swanctl --counters --pretty` on stdin (the vici
messages as swanctl prints them: one `key = value` per line, `name {` ... `}` sections,
`key = [` ... `]` lists) and answers one question. Used by Tests/lab/strongswan-lib.sh.

    strongswan-sas.py json                       every message, as JSON
    strongswan-sas.py sas                        IKE SAs as JSON: {conn: [ike_sa, ...]}
    strongswan-sas.py ike CONN FIELD             FIELD of each IKE SA of CONN (one per line)
    strongswan-sas.py child CONN CHILD FIELD...  FIELDs of each INSTALLED CHILD SA named CHILD
                                                 (add --all-states to see every state)
    strongswan-sas.py sum CONN CHILD FIELD       FIELD summed over CHILD's INSTALLED SAs
    strongswan-sas.py counters                   "name value" per counter (--counters output)
"""
import json
import sys


def parse(text):
    """Returns a list of (label, dict) for each top-level message block."""
    messages = []
    stack = []  # containers being filled; dicts or lists
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not stack:
            if line.endswith("{"):
                label = line[:-1].strip()
                top = {}
                messages.append((label, top))
                stack.append(top)
            continue
        cur = stack[-1]
        if isinstance(cur, list):
            if line == "]":
                stack.pop()
            else:
                cur.append(line)
            continue
        if line == "}":
            stack.pop()
        elif line.endswith(" = ["):
            lst = []
            cur[line[:-4]] = lst
            stack.append(lst)
        elif line.endswith("{") and " = " not in line:
            sec = {}  # the global counters section has an empty name
            cur[line[:-1].strip()] = sec
            stack.append(sec)
        elif " = " in line:
            key, value = line.split(" = ", 1)
            cur[key] = value
        else:
            cur[line] = ""
    return messages


def ike_sas(messages):
    sas = {}
    for label, body in messages:
        if label != "list-sa event":
            continue
        for conn, sa in body.items():
            sas.setdefault(conn, []).append(sa)
    return sas


def child_sas(sas, conn, child, all_states):
    for sa in sas.get(conn, []):
        for c in sa.get("child-sas", {}).values():
            if c.get("name") != child:
                continue
            if all_states or c.get("state") == "INSTALLED":
                yield c


def show(v):
    return " ".join(v) if isinstance(v, list) else str(v)


def main():
    args = sys.argv[1:]
    all_states = "--all-states" in args
    args = [a for a in args if a != "--all-states"]
    if not args:
        sys.exit(__doc__)
    messages = parse(sys.stdin.read())
    op = args[0]
    if op == "json":
        print(json.dumps([{"label": l, "body": b} for l, b in messages], indent=1))
    elif op == "sas":
        print(json.dumps(ike_sas(messages), indent=1))
    elif op == "ike":
        for sa in ike_sas(messages).get(args[1], []):
            print(show(sa.get(args[2], "")))
    elif op == "child":
        for c in child_sas(ike_sas(messages), args[1], args[2], all_states):
            print(" ".join(show(c.get(f, "")) for f in args[3:]))
    elif op == "sum":
        total = 0
        for c in child_sas(ike_sas(messages), args[1], args[2], all_states):
            total += int(c.get(args[3], "0") or 0)
        print(total)
    elif op == "counters":
        # {"counters": {"": {...}}} globally, {"counters": {"CONN": {...}}} per connection
        for label, body in messages:
            for section in body.get("counters", {}).values():
                if isinstance(section, dict):
                    for name, value in section.items():
                        print(name, value)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
