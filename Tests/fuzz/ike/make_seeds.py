#!/usr/bin/python3
"""
Adds the strongSwan captures of the unit tests (Tests/StraitIKEWireTests/Fixtures/StrongSwanCapture.swift)
to the IKE fuzz seed corpus, so both suites share one copy of the real messages.

    /usr/bin/python3 Tests/fuzz/ike/make_seeds.py FIXTURE DIR

Messages become msg-ss-NAME; plaintexts of SK payloads become inner-ss-NAME, prefixed with their first payload
type as the fuzz target expects. Prints how many msg- seeds it wrote.
"""
import os
import re
import sys

# First inner payload type of each plaintext fixture (IDi 35, IDr 36, D 42).
FIRST_TYPE = {"ikeAuthRequestPlain": 35, "ikeAuthResponsePlain": 36, "informationalDeletePlain": 42}

src = open(sys.argv[1]).read()
out = sys.argv[2]
messages = 0
for m in re.finditer(r'static let (\w+) = hex\((?:"""(.*?)"""|\s*"([0-9a-fA-F ]+)")\)', src, re.S):
    name, text = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
    data = bytes.fromhex(re.sub(r"[^0-9a-fA-F]", "", text))
    if name.endswith("AAD"):
        continue
    if name.endswith("Plain"):
        data = bytes([FIRST_TYPE[name]]) + data
        path = f"inner-ss-{name}"
    else:
        path = f"msg-ss-{name}"
        messages += 1
    with open(os.path.join(out, path), "wb") as f:
        f.write(data)
if messages == 0:
    sys.exit("no messages found in " + sys.argv[1])
print(messages)
