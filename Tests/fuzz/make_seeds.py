#!/usr/bin/python3
"""
Seed corpus for the ESP fuzz targets: valid packets for the SAs of fuzz_common.h, encrypted by
scapy (an implementation independent of Strait), plus a few that are not ESP.

    /usr/bin/python3 Tests/fuzz/make_seeds.py DIR

Each file is one flags byte (see fuzz_common.h) followed by an outer IPv4 packet. Prints how
many of them must decapsulate, for run.sh to check against the target's own count.
"""
import os
import sys

from cryptography.hazmat.primitives.ciphers import algorithms, modes
from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import CRYPT_ALGOS, ESP, CryptAlgo, SecurityAssociation

# As in Tests/interop/esp_interop.py: scapy's classic GCM path truncates tags (ICV 8 and 12).
CRYPT_ALGOS["AES-GCM-TRUNC"] = CryptAlgo("AES-GCM-TRUNC", cipher=algorithms.AES, mode=modes.GCM,
                                         key_size=(16, 32), salt_size=4, block_size=1, iv_size=8,
                                         icv_size=16, format_mode_iv=lambda sa, iv, **kw: sa.crypt_salt + iv)

# fuzz_common.h: fuzz_sas[] (spi, key_len, icv, esn, udp, v6) and fuzz_tops[].
SAS = [(0x00001001, 16, 16, 0, 0, 0), (0x00002002, 32, 16, 1, 0, 1), (0x00003003, 16, 8, 1, 1, 0),
       (0x00101001, 16, 12, 0, 1, 0)]
TOPS = [0, 0xFFFFFFF0, 0x100000005, 0xFFFFFFFFFFFFFF00]


def key(i, n):
    return bytes((0x11 * (i + 1) + j) & 0xFF for j in range(n))


def main(out):
    os.makedirs(out, exist_ok=True)
    valid = 0

    def write(name, flags, pkt):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags]) + pkt)

    for i, (spi, key_len, icv, esn, udp, v6) in enumerate(SAS):
        sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM" if icv == 16 else "AES-GCM-TRUNC",
                                 crypt_key=key(i, key_len + 4), crypt_icv_size=icv,
                                 tunnel_header=IP(src="192.0.2.2", dst="192.0.2.1"),
                                 nat_t_header=UDP(sport=4500, dport=4500) if udp else None, esn_en=bool(esn))
        for preset, top in enumerate(TOPS):
            top = top if esn else top & 0xFFFFFFFF
            seqs = [top + 1, top + 20] if top + 20 < 1 << 64 else [top + 1]
            if esn and preset == 1:
                seqs.append(1 << 32 | 2)                    # across the 2^32 boundary
            for seq in seqs:
                if not esn and seq > 0xFFFFFFFF:
                    continue
                for size in (0, 3, 300):
                    inner = (IPv6(src="2001:db8::2", dst="2001:db8::1") if v6 else
                             IP(src="10.2.0.2", dst="10.1.0.1")) / UDP(sport=7, dport=9) / Raw(b"\xab" * size)
                    sa.esn, sa.seq_num = seq >> 32, seq & 0xFFFFFFFF
                    write("sa%d-top%d-%x-%d" % (i, preset, seq, size), preset, raw(sa.encrypt(inner)))
                    valid += 1
    ike = IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + b"\x21" * 28)
    write("ike-non-esp-marker", 0, raw(ike))
    write("nat-keepalive", 0, raw(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(b"\xff")))
    write("short-esp", 4, raw(IP(src="192.0.2.2", dst="192.0.2.1", proto=50) / Raw(b"\0\0\x10\x01\0\0\0\1")))
    print(valid)


if __name__ == "__main__":
    main(sys.argv[1])
