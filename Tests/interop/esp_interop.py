#!/usr/bin/python3
"""
Interop of Strait's ESP (strait-esp-tool, the code the workers run) with scapy's independent
ESP implementation (scapy.layers.ipsec on the `cryptography` package): RFC 4303 tunnel mode,
RFC 4106 AES-GCM, ESN, anti-replay, RFC 3948 UDP encapsulation.

    /usr/bin/python3 Tests/interop/esp_interop.py     # STRAIT_BIN overrides the tool path

Prints one line per check, "PASS: ..." or "FAIL: ...", then "N passed, M failed"; exits 1 on
any failure. Every tool process is bounded by a timeout and must still answer after a bad line.
"""
import os
import random
import select
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.ciphers import algorithms, modes
from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import CRYPT_ALGOS, ESP, CryptAlgo, SecurityAssociation

BIN = os.environ.get("STRAIT_BIN", ".build/release/strait-esp-tool")
TIMEOUT = 10            # seconds for any one answer or exit
LOCAL, REMOTE = "192.0.2.1", "192.0.2.2"

# scapy's own "AES-GCM" uses cryptography's AEAD API, which only knows 16-byte tags. The same
# algorithm through scapy's classic Cipher path (modes.GCM) truncates tags, for ICV 8 and 12.
CRYPT_ALGOS["AES-GCM-TRUNC"] = CryptAlgo("AES-GCM-TRUNC", cipher=algorithms.AES, mode=modes.GCM,
                                         key_size=(16, 32), salt_size=4, block_size=1, iv_size=8,
                                         icv_size=16, format_mode_iv=lambda sa, iv, **kw: sa.crypt_salt + iv)

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: " + name)
    else:
        failed += 1
        print("FAIL: %s%s" % (name, ": " + detail if detail else ""))
    sys.stdout.flush()
    return ok


class ToolError(Exception):
    pass


class Tool:
    """One strait-esp-tool process (one SA); send() is one line in, one line out."""

    def __init__(self, mode, key, spi, icv=16, esn=False, udp=False, window=None, seq=None, top=None, v6=False):
        ts = "::/0" if v6 else "0.0.0.0/0"
        args = [BIN, mode, "--spi", "%x" % spi, "--key", key.hex(), "--icv", str(icv), "--local", LOCAL,
                "--remote", REMOTE, "--ts-local", ts, "--ts-remote", ts]
        args += ["--esn"] if esn else []
        args += ["--udp"] if udp else []
        for opt, v in (("--window", window), ("--seq", seq), ("--top", top)):
            if v is not None:
                args += [opt, str(v)]
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)

    def send(self, data, timeout=TIMEOUT):
        """bytes in; bytes out, or the string "DROP <counter>"."""
        try:
            self.p.stdin.write(data.hex().encode() + b"\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            raise ToolError("tool gone: %s" % self.stderr())
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not ready:
            raise ToolError("no answer in %d s" % timeout)
        line = self.p.stdout.readline().decode().strip()
        if not line:
            raise ToolError("tool exited (rc %s): %s" % (self.p.poll(), self.stderr()))
        return line if line.startswith("DROP") else bytes.fromhex(line)

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace").strip()

    def close(self):
        """Exit status after EOF on stdin (0 expected), killing the tool if it hangs."""
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = "killed"
        if rc != 0:   # it never reached fp_shutdown: remove its DPDK runtime directory
            try:
                os.rmdir("/var/run/dpdk/strait-esp-tool-%d" % self.p.pid)
            except OSError:
                pass
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc = self.close()
        if exc[0] is None:
            check("tool exits cleanly (%s)" % " ".join(self.p.args[1:3]), rc == 0, "rc %s %s" % (rc, self.stderr()))


def scapy_sa(key, spi, icv=16, esn=False, udp=False, towards_us=True):
    algo = "AES-GCM" if icv == 16 else "AES-GCM-TRUNC"
    src, dst = (REMOTE, LOCAL) if towards_us else (LOCAL, REMOTE)
    return SecurityAssociation(ESP, spi=spi, crypt_algo=algo, crypt_key=key, crypt_icv_size=icv,
                               tunnel_header=IP(src=src, dst=dst),
                               nat_t_header=UDP(sport=4500, dport=4500) if udp else None, esn_en=esn)


def seal(sa, inner, seq):
    """scapy encrypts `inner` as packet number `seq` (64 bits; the high half is the ESN)."""
    sa.esn, sa.seq_num = seq >> 32, seq & 0xFFFFFFFF
    return raw(sa.encrypt(inner))


def unseal(sa, outer, high=0):
    """scapy decrypts one of our packets; the inner bytes, or None if it does not authenticate."""
    sa.esn = high
    try:
        return raw(sa.decrypt(IP(outer)))
    except Exception:
        return None


def inner4(n, tag=0):
    return IP(src="10.1.0.1", dst="10.2.0.%d" % (1 + tag % 250), ttl=63, id=tag & 0xFFFF) / UDP(sport=1234, dport=5678) / Raw(bytes((tag + i) & 0xFF for i in range(n)))


def inner6(n, tag=0):
    return IPv6(src="2001:db8:1::1", dst="2001:db8:2::%x" % (1 + tag)) / UDP(sport=1234, dport=5678) / Raw(bytes((tag + i) & 0xFF for i in range(n)))


def key_for(key_len, seed):
    r = random.Random(seed)
    return bytes(r.randrange(256) for _ in range(key_len + 4))     # key | 4-byte salt


# ---- 1. both directions, every combination ---------------------------------------------

SIZES = [0, 1, 2, 3, 1400]      # every padding length, and a big packet


def header_sum(b):
    """One's-complement sum of an IPv4 header: 0xffff when its checksum is right."""
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, (b[0] & 15) * 4, 2))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def wire_fields(outer):
    p = IP(outer)
    esp = p[ESP]
    return p, esp.spi, esp.seq, bytes(esp.data[:8])


def matrix():
    suites = [(16, 16), (32, 16), (16, 8), (16, 12)]
    n = 0
    for key_len, icv in suites:
        for udp in (False, True):
            for esn in (False, True):
                for v6 in (False, True):
                    n += 1
                    name = "AES-%d-GCM-%d %s %s %s" % (key_len * 8, icv, "udp" if udp else "esp", "esn" if esn else "seq32", "v6" if v6 else "v4")
                    key, spi = key_for(key_len, n), 0x1000 + n
                    inners = [(inner6 if v6 else inner4)(s, i) for i, s in enumerate(SIZES)]
                    base = (1 << 32 | 0x100) if esn else 100      # first sequence number used
                    outbound(name, key, spi, icv, esn, udp, v6, inners, base)
                    inbound(name, key, spi, icv, esn, udp, v6, inners, base)


def outbound(name, key, spi, icv, esn, udp, v6, inners, base):
    """Ours encrypts, scapy decrypts; the wire fields are RFC 4303/4106/3948's."""
    sa = scapy_sa(key, spi, icv, esn, udp, towards_us=False)
    bad = []
    try:
        with Tool("encap", key, spi, icv, esn, udp, seq=base - 1, v6=v6) as t:
            for i, inner in enumerate(inners):
                seq = base + i
                out = t.send(raw(inner))
                if isinstance(out, str):
                    bad.append("packet %d: %s" % (i, out))
                    continue
                p, wspi, wseq, iv = wire_fields(out)
                want_proto = 17 if udp else 50
                fields = [p.proto == want_proto, wspi == spi, wseq == seq & 0xFFFFFFFF,
                          iv == seq.to_bytes(8, "big"), p.flags.DF, p.len == len(out), header_sum(out) == 0xFFFF]
                if udp:
                    fields += [p[UDP].sport == 4500, p[UDP].dport == 4500, p[UDP].chksum == 0, p[UDP].len == len(out) - 20]
                if not all(fields):
                    bad.append("packet %d: wire fields %s" % (i, fields))
                got = unseal(sa, out, seq >> 32)
                if got != raw(inner):
                    bad.append("packet %d: scapy got %s" % (i, got.hex() if got else "an ICV failure"))
                # Given the same number and IV, scapy builds the same ESP bytes: padding 1, 2, 3...
                # to 4-byte alignment, pad length, next header, ciphertext, (truncated) ICV.
                sa.esn, sa.seq_num = seq >> 32, seq & 0xFFFFFFFF
                twin = raw(sa.encrypt(inner, iv=iv)[ESP])
                if twin != raw(p[ESP]):
                    bad.append("packet %d: ESP bytes differ from scapy's %s" % (i, twin.hex()))
    except ToolError as e:
        bad.append(str(e))
    check("%s: Strait encrypts, scapy decrypts (%d packets)" % (name, len(inners)), not bad, "; ".join(bad))


def inbound(name, key, spi, icv, esn, udp, v6, inners, base):
    """scapy encrypts, ours decrypts to the same inner packet."""
    sa = scapy_sa(key, spi, icv, esn, udp)
    bad = []
    try:
        with Tool("decap", key, spi, icv, esn, udp, top=base - 1, v6=v6) as t:
            for i, inner in enumerate(inners):
                out = t.send(seal(sa, inner, base + i))
                if out != raw(inner):
                    bad.append("packet %d: %s" % (i, out if isinstance(out, str) else out.hex()))
    except ToolError as e:
        bad.append(str(e))
    check("%s: scapy encrypts, Strait decrypts (%d packets)" % (name, len(inners)), not bad, "; ".join(bad))


# ---- 2. sequence numbers and the replay window ------------------------------------------

KEY, SPI = key_for(16, 999), 0x4242


def expect(t, sa, seqs, want, what, inner=None):
    """Send scapy packets with these numbers; want: "ok" or a DROP line, one or per packet."""
    wants = want if isinstance(want, list) else [want] * len(seqs)
    for seq, w in zip(seqs, wants):
        pkt = inner or inner4(20, seq & 0xFF)
        out = t.send(seal(sa, pkt, seq))
        got = "ok" if out == raw(pkt) else out if isinstance(out, str) else "wrong inner " + out.hex()
        check("%s: seq %#x -> %s" % (what, seq, w), got == w, "got " + got)


def replay_window():
    sa = scapy_sa(KEY, SPI)
    with Tool("decap", KEY, SPI) as t:
        expect(t, sa, [1], "ok", "first packet")
        expect(t, sa, [1], "DROP esp-replay", "the same packet twice")
        expect(t, sa, [10, 5, 7, 6, 8], "ok", "out of order inside the window")
        expect(t, sa, [7], "DROP esp-replay", "out-of-order packet replayed")
        expect(t, sa, [100, 37], "ok", "window 64: 63 behind the edge")
        expect(t, sa, [36], "DROP esp-replay", "window 64: 64 behind the edge (left of the window)")
        expect(t, sa, [101, 99], "ok", "edge moves by one, then one behind")
        expect(t, sa, [1_000_000, 999_999], "ok", "a jump clears the window")
        expect(t, sa, [100], "DROP esp-replay", "left of the window after the jump")
    with Tool("decap", KEY, SPI) as t:
        expect(t, sa, [0], "DROP esp-replay", "sequence number 0 (RFC 4303: numbers start at 1)")
    for window, ok_back, drop_back in ((64, 63, 64), (4096, 4095, 4096)):
        with Tool("decap", KEY, SPI, window=window) as t:
            expect(t, sa, [5000, 5000 - ok_back], "ok", "window %d: %d behind" % (window, ok_back))
            expect(t, sa, [5000 - drop_back], "DROP esp-replay", "window %d: %d behind" % (window, drop_back))
            expect(t, sa, [5000 - 1000], "ok" if window > 1000 else "DROP esp-replay", "window %d: 1000 behind" % window)
    with Tool("decap", KEY, SPI, window=4096) as t:
        # Slides that are not multiples of 64 move the bitmap across words.
        expect(t, sa, [1, 130, 65], "ok", "window 4096: slide by 129")
        expect(t, sa, [1, 65], "DROP esp-replay", "window 4096: seen bits moved with the slide")
        expect(t, sa, [2, 64, 66], "ok", "window 4096: unseen bits next to them")
    with Tool("decap", KEY, SPI, window=0) as t:
        expect(t, sa, [5, 5, 3], "ok", "window 0: no replay check")
    randomised_window(128, esn=False, start=1)
    randomised_window(128, esn=True, start=0xFFFFFF00)
    randomised_window(4096, esn=True, start=(7 << 32) - 3000)


def rfc4303_infer(top, window, low):
    """RFC 4303 appendix A.2.2, written from the text: the high half a receiver assumes."""
    tl, th = top & 0xFFFFFFFF, top >> 32
    if tl >= window - 1:
        th = th if low >= tl - window + 1 else th + 1
    else:
        th = (th - 1) & 0xFFFFFFFF if low >= (tl - window + 1) & 0xFFFFFFFF else th
    return th << 32 | low


def randomised_window(window, esn, start, count=1500):
    """Random arrival order against a model of the RFC 4303 window: every verdict must agree."""
    rng = random.Random(window * 7 + esn)
    sa = scapy_sa(KEY, SPI, esn=esn)
    top, seen, wrong, tally = start, {start}, [], {}
    with Tool("decap", KEY, SPI, esn=esn, window=window, top=start) as t:
        for _ in range(count):
            seq = max(1, top + rng.randint(-window - 40, 60))
            if rng.random() < 0.1 and seen:
                seq = rng.choice(sorted(seen)[-200:])          # deliberate replays
            inferred = rfc4303_infer(top, window, seq & 0xFFFFFFFF) if esn else seq
            if inferred != seq:
                want = "DROP esp-auth-failed"                  # the AAD's high half differs
            elif seq <= top and (top - seq >= window or seq in seen):
                want = "DROP esp-replay"
            else:
                want, top = "ok", max(top, seq)
                seen.add(seq)
            pkt = inner4(8, seq & 0xFF)
            out = t.send(seal(sa, pkt, seq))
            got = "ok" if out == raw(pkt) else out if isinstance(out, str) else "wrong inner"
            tally[want] = tally.get(want, 0) + 1
            if got != want:
                wrong.append("seq %#x: want %s, got %s" % (seq, want, got))
    check("randomised arrivals, window %d%s from %#x: %d verdicts match the RFC 4303 model (%s)" %
          (window, " ESN" if esn else "", start, count, ", ".join("%s %d" % kv for kv in sorted(tally.items()))),
          not wrong, "; ".join(wrong[:5]))


def esn_rollover():
    sa = scapy_sa(KEY, SPI, esn=True)
    with Tool("decap", KEY, SPI, esn=True, top=0xFFFFFFF0) as t:
        expect(t, sa, [0xFFFFFFF5, 1 << 32 | 3, 1 << 32 | 0x20], "ok", "ESN decap across 2^32")
        expect(t, sa, [0xFFFFFFF8], "ok", "ESN decap: late packet from before the wrap")
        expect(t, sa, [0xFFFFFFF8, 1 << 32 | 3, 0xFFFFFFF0], "DROP esp-replay", "ESN decap: replays across the wrap")
        expect(t, sa, [2 << 32 | 5], "DROP esp-auth-failed", "ESN decap: 2^32 ahead is not inferred")
    out_sa = scapy_sa(KEY, SPI, esn=True, udp=True, towards_us=False)
    with Tool("encap", KEY, SPI, esn=True, udp=True, seq=0xFFFFFFFE) as t:
        for seq in (0xFFFFFFFF, 1 << 32, 1 << 32 | 1):
            pkt = inner4(30, seq & 0xFF)
            out = t.send(raw(pkt))
            if not check("ESN encap over UDP across 2^32: seq %#x encrypted" % seq, isinstance(out, bytes), str(out)):
                continue
            _, _, wseq, iv = wire_fields(out)
            check("ESN encap: seq %#x on the wire as low %#x, IV = 64-bit number" % (seq, seq & 0xFFFFFFFF),
                  wseq == seq & 0xFFFFFFFF and iv == seq.to_bytes(8, "big"), "seq %#x iv %s" % (wseq, iv.hex()))
            check("ESN encap: scapy decrypts seq %#x with esn=%d" % (seq, seq >> 32), unseal(out_sa, out, seq >> 32) == raw(pkt))
            if seq >> 32:
                check("ESN encap: seq %#x does not authenticate with esn=0 (high half in the AAD)" % seq,
                      unseal(out_sa, out, 0) is None)
    # Anti-replay off still needs the high half: the window edge must follow the packets.
    for window in (64, 0):
        with Tool("decap", KEY, SPI, esn=True, window=window, top=0xFFFFFFF0) as t:
            seqs = [0xFFFFFFF5, 1 << 32 | 5, 1 << 32 | 0x7FFFFFF0, 1 << 32 | 0xFFFFFFF5, 2 << 32 | 5]
            expect(t, sa, seqs, "ok", "ESN window %d: in-order traffic over two wraps" % window)


def exhaustion():
    sa = scapy_sa(KEY, SPI, towards_us=False)
    with Tool("encap", KEY, SPI, seq=0xFFFFFFFE) as t:
        out = t.send(raw(inner4(10)))
        check("32-bit seq: 0xffffffff is the last number", isinstance(out, bytes) and unseal(sa, out) == raw(inner4(10)))
        out = t.send(raw(inner4(10)))
        check("32-bit seq: the next packet -> DROP esp-seq-exhausted", out == "DROP esp-seq-exhausted", str(out))
        out = t.send(raw(inner4(10)))
        check("32-bit seq: the SA has stopped -> DROP esp-sa-inactive", out == "DROP esp-sa-inactive", str(out))
    with Tool("encap", KEY, SPI, seq=0xFFFFFFFF) as t:
        out = t.send(raw(inner4(10)))
        check("32-bit seq: --seq 0xffffffff -> DROP esp-seq-exhausted", out == "DROP esp-seq-exhausted", str(out))


# ---- 3. tampering and malformed input ----------------------------------------------------

def fix_lengths(pkt, udp):
    """A truncated packet made self-consistent: IP total length, checksum (and UDP length)."""
    p = bytearray(pkt)
    p[2:4] = len(p).to_bytes(2, "big")
    p[10:12] = b"\0\0"
    p[10:12] = (~header_sum(p) & 0xFFFF).to_bytes(2, "big")
    if udp and len(p) >= 28:
        p[24:26] = (len(p) - 20).to_bytes(2, "big")
    return bytes(p)


def truncated_verdict(length, udp, icv=16):
    """What a self-consistent packet cut to `length` bytes must be dropped as."""
    esp = length - 20 - (8 if udp else 0)
    if udp and length < 20 + 8 + 4:
        return "DROP local"                                   # not even a non-ESP marker: the kernel's
    if esp < 8 + 8 + 2 + 8:
        return "DROP esp-truncated"
    if esp < 8 + 8 + 2 + icv:
        return "DROP esp-truncated"
    return "DROP esp-auth-failed"


def tampering():
    for udp in (False, True):
        mode = "udp" if udp else "esp"
        sa = scapy_sa(KEY, SPI, udp=udp)
        with Tool("decap", KEY, SPI, udp=udp) as t:
            good = seal(sa, inner4(40), 7)
            hdr = 28 if udp else 20
            for what, off in (("ciphertext byte", hdr + 16 + 5), ("ICV byte", len(good) - 1), ("IV byte", hdr + 8),
                              ("sequence number", hdr + 7)):
                bad = bytearray(good)
                bad[off] ^= 0x80
                out = t.send(bytes(bad))
                check("%s: flipped %s -> DROP esp-auth-failed" % (mode, what), out == "DROP esp-auth-failed", str(out))
            bad = bytearray(good)
            bad[hdr] ^= 0x01
            out = t.send(bytes(bad))
            check("%s: changed SPI -> DROP esp-unknown-spi" % mode, out == "DROP esp-unknown-spi", str(out))
            raw_bad, fixed_bad = [], []
            for n in range(1, len(good)):
                out = t.send(good[:n])
                want = "DROP ipv4-bad-header"
                if out != want:
                    raw_bad.append("%d: %s" % (n, out))
                if n >= 20:
                    out = t.send(fix_lengths(good[:n], udp))
                    if out != truncated_verdict(n, udp):
                        fixed_bad.append("%d: %s (want %s)" % (n, out, truncated_verdict(n, udp)))
            check("%s: cut at every length 1..%d -> dropped as ipv4-bad-header" % (mode, len(good) - 1), not raw_bad, "; ".join(raw_bad[:5]))
            check("%s: cut with lengths fixed up, 20..%d -> esp-truncated / esp-auth-failed at the right lengths" % (mode, len(good) - 1),
                  not fixed_bad, "; ".join(fixed_bad[:5]))
            out = t.send(good)
            check("%s: the genuine packet still decrypts after all that" % mode, out == raw(inner4(40)), str(out))
            out = t.send(seal(sa, inner4(40), 8) + b"\0" * 6)
            check("%s: Ethernet padding after the IP packet is ignored" % mode, out == raw(inner4(40)), str(out))
            plain = seal(sa, inner4(40), 9)
            with_options = bytearray(plain[:20] + b"\x01" * 8 + plain[20:])   # 8 NOPs: IHL 7
            with_options[0] = 0x47
            out = t.send(fix_lengths(bytes(with_options), False))
            check("%s: an outer IPv4 header with options" % mode, out == raw(inner4(40)), str(out))


def empty_line():
    """Length 0: an empty line must be answered at once like any other."""
    with Tool("decap", KEY, SPI) as t:
        try:
            out = t.send(b"", timeout=3)
            check("cut to length 0 (empty line) -> DROP bad-input", out == "DROP bad-input", str(out))
        except ToolError as e:
            check("cut to length 0 (empty line) -> DROP bad-input", False, str(e) + " (the tool buffers that answer)")
            # Its answer only comes out with the next one: read both to see the tool is alive.
            t.p.stdin.write(b"00\n")
            t.p.stdin.flush()
            late = [t.p.stdout.readline().decode().strip() for _ in range(2)]
            check("the tool still answers after the empty line", late == ["DROP bad-input", "DROP ipv4-bad-header"], str(late))


def not_esp():
    with Tool("decap", KEY, SPI, udp=True) as t:
        ike = raw(IP(src=REMOTE, dst=LOCAL) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + b"\x11" * 28))
        check("UDP 4500 with the non-ESP marker is not ESP (IKE)", t.send(ike) == "DROP local")
        keepalive = raw(IP(src=REMOTE, dst=LOCAL) / UDP(sport=4500, dport=4500) / Raw(b"\xff"))
        check("UDP 4500 NAT keepalive (one 0xff byte) is not ESP", t.send(keepalive) == "DROP local")
        sa = scapy_sa(KEY, SPI, udp=True)
        esp_in_udp = IP(seal(sa, inner4(10), 3))
        esp_in_udp[UDP].sport = esp_in_udp[UDP].dport = 500
        del esp_in_udp[UDP].chksum
        out = t.send(raw(esp_in_udp))
        check("ESP-looking UDP to port 500 (not 4500) is not ESP", out == "DROP local", out if isinstance(out, str) else "decrypted it")
        frag = IP(seal(scapy_sa(KEY, SPI), inner4(10), 4))
        frag.flags = "MF"
        del frag.chksum
    with Tool("decap", KEY, SPI) as t:
        out = t.send(raw(frag))
        check("an IPv4 fragment (MF set) is not decrypted (RFC 4303 3.4.1)", isinstance(out, str), "decrypted it")


def main():
    if not os.access(BIN, os.X_OK):
        print("FAIL: %s is not an executable (build it: swift build -c release --product strait-esp-tool)" % BIN)
        print("0 passed, 1 failed")
        return 1
    for part in (matrix, replay_window, esn_rollover, exhaustion, tampering, empty_line, not_esp):
        try:
            part()
        except ToolError as e:
            check(part.__name__, False, str(e))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
