#!/usr/bin/env python3
"""IKEv2 fixtures from strongSwan captures (used by Tests/lab/ike-capture-fixtures.sh).

    ike-fixtures.py extract PCAP OUTDIR PREFIX
        Every IKE message in PCAP (UDP 500, and UDP 4500 behind the 4-byte non-ESP marker,
        which is removed) to OUTDIR/PREFIX-NN-EXCHANGE-request|response[-fragK].hex: the
        IKE message from its header on, lowercase hex, 32 bytes a line. ESP-in-UDP and
        NAT-keepalives are skipped. Writes OUTDIR/PREFIX-messages.txt (an index).
    ike-fixtures.py keys CHARON_LOG OUT
        The IKE and ESP keys a charon logged at ike/chd level 4, in log order, to OUT:
        "<ike-name|unique-id> label: hex" lines, plus the CHILD_SA established lines.
    ike-fixtures.py verify OUTDIR PREFIX [PSK]
        Checks the fixtures against the keys: recomputes SKEYSEED and SK_* of the first IKE
        SA (RFC 7296 2.14) from the IKE_SA_INIT nonces and SPIs and the logged DH secret,
        then decrypts every SK/SKF payload (AES-GCM, RFC 5282) with a logged key set whose
        ICV matches, and writes each plaintext (the inner payloads, padding removed) to
        ...-decrypted.hex beside the message (first inner payload type in the index).
        Then recomputes the keys of IKE SAs rekeyed with CREATE_CHILD_SA, and, given the
        PSK (as a string), the AUTH payloads of IKE_AUTH.
"""
import glob
import hashlib
import hmac
import os
import re
import subprocess
import sys

EXCHANGES = {34: "ike-sa-init", 35: "ike-auth", 36: "create-child-sa", 37: "informational"}
PAYLOADS = {0: "none", 33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ",
            39: "AUTH", 40: "Ni/Nr", 41: "N", 42: "D", 43: "V", 44: "TSi", 45: "TSr",
            46: "SK", 47: "CP", 48: "EAP", 53: "SKF"}


def hexlines(data):
    h = data.hex()
    return "\n".join(h[i:i + 64] for i in range(0, len(h), 64)) + "\n"


def read_hex(path):
    return bytes.fromhex("".join(open(path).read().split()))


def payloads(msg):
    """(type, body) of each outer payload of an IKE message."""
    nxt, off, out = msg[16], 28, []
    while nxt and off + 4 <= len(msg):
        ln = int.from_bytes(msg[off + 2:off + 4], "big")
        out.append((nxt, msg[off:off + ln]))
        nxt = msg[off]
        off += ln
    return out


def extract(pcap, outdir, prefix):
    out = subprocess.run(
        ["tshark", "-r", pcap, "-Y", "udp.port == 500 || udp.port == 4500", "-T", "fields",
         "-e", "frame.number", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst",
         "-e", "udp.dstport", "-e", "udp.payload"],
        check=True, capture_output=True, text=True).stdout
    os.makedirs(outdir, exist_ok=True)
    for old in glob.glob(os.path.join(outdir, f"{prefix}-[0-9][0-9]-*.hex")):
        os.remove(old)
    index = [f"# {prefix}: IKE messages in {os.path.basename(pcap)} (frame, from, to, exchange, message id, bytes, payloads)"]
    n = 0
    for line in out.splitlines():
        frame, src, sport, dst, dport, payload = line.split("\t")
        data = bytes.fromhex(payload.replace(":", ""))
        if 4500 in (int(sport), int(dport)):
            if len(data) == 1 and data[0] == 0xff:
                continue  # NAT-keepalive
            if data[:4] != b"\0\0\0\0":
                continue  # ESP in UDP
            data = data[4:]
        if len(data) < 28:
            continue
        exch, flags = data[18], data[19]
        msgid = int.from_bytes(data[20:24], "big")
        kind = "response" if flags & 0x20 else "request"
        name = EXCHANGES.get(exch, f"exchange{exch}")
        chain = payloads(data)
        suffix = ""
        if chain and chain[0][0] == 53:
            body = chain[0][1]
            suffix = f"-frag{int.from_bytes(body[4:6], 'big')}of{int.from_bytes(body[6:8], 'big')}"
        n += 1
        fname = f"{prefix}-{n:02d}-{name}-{kind}{suffix}.hex"
        with open(os.path.join(outdir, fname), "w") as f:
            f.write(hexlines(data))
        index.append(f"{fname}  frame {frame}  {src}:{sport} -> {dst}:{dport}  {name} {kind} "
                     f"msgid {msgid}  {len(data)} bytes  [{describe([(t, b[4:]) for t, b in chain])}]"
                     f"  spi {data[0:8].hex()} {data[8:16].hex()}")
    with open(os.path.join(outdir, f"{prefix}-messages.txt"), "w") as f:
        f.write("\n".join(index) + "\n")
    print("\n".join(index))


KEY_LABELS = ("shared Diffie Hellman secret", "SKEYSEED", "Sk_d secret", "Sk_ai secret",
              "Sk_ar secret", "Sk_ei secret", "Sk_er secret", "Sk_pi secret", "Sk_pr secret",
              "DH secret", "encryption initiator key", "encryption responder key",
              "integrity initiator key", "integrity responder key")


def keys(log, out):
    head = re.compile(r"\[(IKE|CHD)\] <([^>]+)> (.+?) => (\d+) bytes @")
    dump = re.compile(r"\[(IKE|CHD)\] <[^>]+>\s+\d+: ((?:[0-9A-F]{2} ?)+)")
    est = re.compile(r"\[IKE\] <([^>]+)> ((?:inbound |outbound )?CHILD_SA \S+ established with SPIs \S+ \S+"
                     r"|IKE_SA \S+ (?:established|rekeyed) .*)")
    lines, cur = [], None
    for raw in open(log, errors="replace"):
        m = head.search(raw)
        if m:
            if cur:
                lines.append(cur)
            cur = None
            if m.group(3) in KEY_LABELS:
                cur = [m.group(2), m.group(3), int(m.group(4)), ""]
            continue
        if cur:
            d = dump.search(raw)
            if d:
                cur[3] += d.group(2).replace(" ", "").lower()
                continue
            lines.append(cur)
            cur = None
        e = est.search(raw)
        if e:
            lines.append([e.group(1), e.group(2), None, None])
    if cur:
        lines.append(cur)
    with open(out, "w") as f:
        f.write("# IKE/ESP keys logged by charon (ike and chd log level 4), in log order.\n"
                "# <ike-name|unique-id> label: hex. ESP keys come just before their CHILD_SA line.\n")
        for who, label, size, value in lines:
            if size is None:
                f.write(f"{who} {label}\n")
            else:
                assert len(value) == 2 * size, (label, size, value)
                f.write(f"{who} {label}: {value}\n")


def load_keysets(path):
    sets, cur = [], None
    for line in open(path):
        if line.startswith("#") or ": " not in line:
            continue
        left, value = line.rstrip("\n").rsplit(": ", 1)
        who, label = left.split(" ", 1)
        if label == "shared Diffie Hellman secret":
            cur = {"who": who}
            sets.append(cur)
        if cur is not None and (label.startswith("Sk_") or label in ("SKEYSEED", "shared Diffie Hellman secret")):
            cur[label.replace(" secret", "")] = bytes.fromhex(value)
    return [s for s in sets if "Sk_ei" in s]


def prf(key, data, digest):
    return hmac.new(key, data, digest).digest()


def prf_plus(key, seed, n, digest):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(key, t + seed + bytes([i]), digest)
        out += t
        i += 1
    return out[:n]


def decrypt(msg, key):
    """Decrypts the SK or SKF payload of msg with AES-GCM (key = K | 4-byte salt).
    Returns (first inner payload type, plaintext without padding) or None."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nxt, off = msg[16], 28
    while nxt not in (46, 53):
        if not nxt or off + 4 > len(msg):
            return None
        nxt, off = msg[off], off + int.from_bytes(msg[off + 2:off + 4], "big")
    hdr = 8 if nxt == 53 else 4
    ln = int.from_bytes(msg[off + 2:off + 4], "big")
    aad = msg[:off + hdr]
    iv = msg[off + hdr:off + hdr + 8]
    ct = msg[off + hdr + 8:off + ln]
    try:
        plain = AESGCM(key[:-4]).decrypt(key[-4:] + iv, ct, aad)
    except Exception:
        return None
    pad = plain[-1]
    return msg[off], plain[:-1 - pad]


def inner(first, plain):
    """(type, body without the generic header) of each payload in a decrypted SK payload."""
    out, nxt, off = [], first, 0
    while nxt and off + 4 <= len(plain):
        ln = int.from_bytes(plain[off + 2:off + 4], "big")
        out.append((nxt, plain[off + 4:off + ln]))
        nxt = plain[off]
        off += ln
    return out


NOTIFIES = {7: "INVALID_SYNTAX", 17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED",
            16384: "INITIAL_CONTACT", 16388: "NAT_DETECTION_SOURCE_IP",
            16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16393: "REKEY_SA",
            16396: "MOBIKE_SUPPORTED", 16397: "ADDITIONAL_IP4_ADDRESS", 16400: "UPDATE_SA_ADDRESSES",
            16404: "MULTIPLE_AUTH_SUPPORTED", 16406: "REDIRECT_SUPPORTED",
            16417: "EAP_ONLY_AUTHENTICATION", 16418: "CHILDLESS_IKEV2_SUPPORTED",
            16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", 16430: "IKEV2_FRAGMENTATION_SUPPORTED",
            16431: "SIGNATURE_HASH_ALGORITHMS"}


def describe(chain):
    """Payload names of (type, body-without-header) pairs; notifies and deletes spelled out."""
    out = []
    for t, b in chain:
        if t == 41 and len(b) >= 4:
            n = int.from_bytes(b[2:4], "big")
            out.append(f"N({NOTIFIES.get(n, n)})")
        elif t == 42 and len(b) >= 4:
            out.append(f"D({ {1: 'IKE', 3: 'ESP'}.get(b[0], b[0]) } x{int.from_bytes(b[2:4], 'big')})")
        else:
            out.append(PAYLOADS.get(t, str(t)))
    return " ".join(out) if out else "(empty)"


def ike_spi_of_sa(body):
    """The SPI of the first proposal in an SA payload body if it proposes an IKE SA."""
    spi_size, proto = body[6], body[5]
    return body[8:8 + spi_size] if proto == 1 and spi_size == 8 else None


def verify(outdir, prefix, psk=None):
    digests = {32: hashlib.sha256, 48: hashlib.sha384, 64: hashlib.sha512}
    sets = load_keysets(os.path.join(outdir, f"{prefix}-keys.txt"))
    files = sorted(glob.glob(os.path.join(outdir, f"{prefix}-[0-9][0-9]-*.hex")))
    files = [f for f in files if not f.endswith("-decrypted.hex")]
    msgs = [(os.path.basename(f), read_hex(f)) for f in files]
    ok = True
    # The first IKE SA: SKEYSEED = prf(Ni | Nr, g^ir); SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
    inits = [(n, m) for n, m in msgs if m[18] == 34]
    req = [m for n, m in inits if not m[19] & 0x20]
    resp = [m for n, m in inits if m[19] & 0x20 and 34 in [t for t, _ in payloads(m)]]
    if sets and req and resp:
        s = sets[0]
        nonce = lambda m: [b for t, b in payloads(m) if t == 40][0][4:]
        ni, nr = nonce(req[-1]), nonce(resp[-1])
        digest = digests[len(s["Sk_d"])]
        skeyseed = prf(ni + nr, s["shared Diffie Hellman"], digest)
        sizes = [len(s[k]) for k in ("Sk_d", "Sk_ai", "Sk_ar", "Sk_ei", "Sk_er", "Sk_pi", "Sk_pr") if k in s]
        stream = prf_plus(skeyseed, ni + nr + resp[-1][0:8] + resp[-1][8:16], sum(sizes), digest)
        want = b"".join(s[k] for k in ("Sk_d", "Sk_ai", "Sk_ar", "Sk_ei", "Sk_er", "Sk_pi", "Sk_pr") if k in s)
        good = skeyseed == s["SKEYSEED"] and stream == want
        ok &= good
        print(f"{'ok' if good else 'FAIL'}: SKEYSEED and SK_* of the first IKE SA recomputed from the IKE_SA_INIT pair and g^ir")
    decrypted = {}  # message file name -> (first inner payload type, plaintext)
    index_path = os.path.join(outdir, f"{prefix}-messages.txt")
    index = open(index_path).read().splitlines()
    index = [l for l in index if not l.split(" ", 1)[0].endswith("-decrypted.hex")]
    for name, m in msgs:
        kinds = [t for t, _ in payloads(m)]
        if 46 not in kinds and 53 not in kinds:
            continue
        result = None
        for i, s in enumerate(sets):
            for k in ("Sk_ei", "Sk_er"):
                result = decrypt(m, s[k])
                if result:
                    break
            if result:
                break
        if not result:
            ok = False
            print(f"FAIL: {name}: no logged key decrypts it")
            continue
        first, plain = result
        decrypted[name] = (first, plain, m)
        out = name[:-4] + "-decrypted.hex"
        with open(os.path.join(outdir, out), "w") as f:
            f.write(hexlines(plain))
        if 53 in kinds and payloads(m)[0][1][4:6] != b"\0\x01":
            content = "(continuation)"
        else:
            content = describe(inner(first, plain))
        note = f"{out}  decrypted with key set {i + 1} ({s['who']}, {k}): {len(plain)} bytes [{content}]"
        index.append(note)
        print(f"ok: {note}")
    # IKE fragments (RFC 7383): the plaintexts of fragments 1..N, concatenated, are the
    # inner payloads of the whole message (the first type in fragment 1's header).
    groups = {}
    for name in sorted(decrypted):
        first, plain, m = decrypted[name]
        chain = payloads(m)
        if chain[0][0] != 53:
            continue
        body = chain[0][1]
        key = (m[20:24], m[19] & 0x20)
        groups.setdefault(key, []).append((int.from_bytes(body[4:6], "big"), int.from_bytes(body[6:8], "big"), name, first, plain))
    for frags in groups.values():
        frags.sort()
        total = frags[0][1]
        if [f[0] for f in frags] != list(range(1, total + 1)):
            ok = False
            print(f"FAIL: fragments missing for {frags[0][2]}")
            continue
        whole = b"".join(f[4] for f in frags)
        out = re.sub(r"-frag1of\d+\.hex$", "-reassembled-decrypted.hex", frags[0][2])
        with open(os.path.join(outdir, out), "w") as f:
            f.write(hexlines(whole))
        m = decrypted[frags[0][2]][2]
        decrypted[out] = (frags[0][3], whole, m[:28])  # header only: the exchange and flags
        kinds = describe(inner(frags[0][3], whole))
        note = f"{out}  {total} fragments reassembled: {len(whole)} bytes [{kinds}]"
        index.append(note)
        print(f"ok: {note}")
    with open(index_path, "w") as f:
        f.write("\n".join(index) + "\n")

    # IKE SA rekeyed with CREATE_CHILD_SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old),
    # g^ir (new) | Ni | Nr), SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), the SPIs and
    # nonces from the exchange's SA and Nonce payloads. The key sets follow each other.
    names = sorted(n for n in decrypted if "-frag" not in n)
    for a, b in zip(names, names[1:]):
        (fa, pa, ma), (fb, pb, mb) = decrypted[a], decrypted[b]
        if ma[18] != 36 or mb[18] != 36 or ma[19] & 0x20 or not mb[19] & 0x20:
            continue
        ra, rb = inner(fa, pa), inner(fb, pb)
        sa_a = [ike_spi_of_sa(x) for t, x in ra if t == 33]
        sa_b = [ike_spi_of_sa(x) for t, x in rb if t == 33]
        if not sa_a or not sa_a[0] or not sa_b or not sa_b[0]:
            continue  # a CHILD SA exchange
        ni = [x[0:] for t, x in ra if t == 40][0]
        nr = [x[0:] for t, x in rb if t == 40][0]
        for old, new in zip(sets, sets[1:]):
            digest = digests[len(old["Sk_d"])]
            seed = prf(old["Sk_d"], new["shared Diffie Hellman"] + ni + nr, digest)
            if seed != new["SKEYSEED"]:
                continue
            keys_ = ("Sk_d", "Sk_ai", "Sk_ar", "Sk_ei", "Sk_er", "Sk_pi", "Sk_pr")
            want = b"".join(new[k] for k in keys_ if k in new)
            good = prf_plus(seed, ni + nr + sa_a[0] + sa_b[0], len(want), digest) == want
            ok &= good
            print(f"{'ok' if good else 'FAIL'}: the IKE SA rekeyed in {a[len(prefix) + 1:len(prefix) + 3]}/{b[len(prefix) + 1:len(prefix) + 3]} "
                  f"(new SPIs {sa_a[0].hex()} {sa_b[0].hex()}): SKEYSEED and SK_* recomputed from the old SK_d, nonces and g^ir")
            break
        else:
            ok = False
            print(f"FAIL: no logged key set matches the IKE rekey in {a}/{b}")

    # PSK authentication (RFC 7296 2.15): AUTH = prf(prf(PSK, "Key Pad for IKEv2"),
    # RealMessage | peer's nonce | prf(SK_p, ID payload body)).
    if psk is not None and sets and req and resp:
        s = sets[0]
        digest = digests[len(s["Sk_d"])]
        nonce = lambda m: [b for t, b in payloads(m) if t == 40][0][4:]
        for name in names:
            first, plain, m = decrypted[name]
            if m[18] != 35 or "-reassembled" in name:
                continue
            r = inner(first, plain)
            auth = [x for t, x in r if t == 39]
            ident = [x for t, x in r if t in (35, 36)]
            if not auth or not ident or auth[0][0] != 2:
                continue
            if m[19] & 0x20:
                octets = resp[-1] + nonce(req[-1]) + prf(s["Sk_pr"], ident[0], digest)
            else:
                octets = req[-1] + nonce(resp[-1]) + prf(s["Sk_pi"], ident[0], digest)
            good = prf(prf(psk, b"Key Pad for IKEv2", digest), octets, digest) == auth[0][4:]
            ok &= good
            print(f"{'ok' if good else 'FAIL'}: {name}: the PSK AUTH payload recomputed")
    return ok


def main():
    a = sys.argv[1:]
    if a[:1] == ["extract"] and len(a) == 4:
        extract(a[1], a[2], a[3])
    elif a[:1] == ["keys"] and len(a) == 3:
        keys(a[1], a[2])
    elif a[:1] == ["verify"] and len(a) in (3, 4):
        sys.exit(0 if verify(a[1], a[2], a[3].encode() if len(a) == 4 else None) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
