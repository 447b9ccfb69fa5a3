#!/usr/bin/env python3
"""Writes a swanctl.conf for one strongSwan site (or gateway) of a Strait IKEv2 lab: one
connection with one or more CHILD SAs, and its PSK secret when PSK is used.

    strongswan-conf.py [--out FILE [--append]] OPTIONS          (stdout without --out)

Examples (the lab's addressing: gateway 192.0.2.1 with 10.1.0.0/24, site 192.0.2.2 with
10.2.0.0/24):

    # site, initiator, PSK, X25519 + AES-GCM-128
    strongswan-conf.py --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 \\
        --local-id site1.strait.test --remote-id gw.strait.test --psk 0s... \\
        --local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24
    # site with an ECDSA certificate (see ike_make_pki / ss_install_cert)
    strongswan-conf.py ... --auth pubkey --cert site1.crt --remote-id gw.strait.test
    # responder (for "straitd initiates" tests): accepts any address, waits
    strongswan-conf.py --responder --local-addrs 192.0.2.2 ...

Every setting is written on its own line (swanctl's parser rejects `a { x=1 y=2 }`).
Times accept strongSwan units (10s, 5m, 1h); "0" disables rekeying.
Several connections: call again with --append and a different --name (swanctl merges
repeated `connections`/`secrets` sections).
"""
import argparse
import sys


def yes_no(v):
    if v not in ("yes", "no"):
        raise argparse.ArgumentTypeError("yes or no")
    return v


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="write here instead of stdout")
    p.add_argument("--append", action="store_true", help="append to --out (another connection)")
    p.add_argument("--name", default="site", help="connection (IKE) name [site]")
    p.add_argument("--child", default="c", help="CHILD SA name [c]")
    p.add_argument("--local-addrs", default="%any", help="local address(es) [%%any]")
    p.add_argument("--remote-addrs", default=None, help="peer address(es) [%%any with --responder]")
    p.add_argument("--local-port", type=int, help="local IKE port [500]")
    p.add_argument("--remote-port", type=int, help="peer IKE port [500]")
    p.add_argument("--local-id", required=True, help="our identity (FQDN, IP, DN)")
    p.add_argument("--remote-id", default="%any", help="peer identity [%%any]")
    p.add_argument("--auth", choices=["psk", "pubkey", "rsa", "ecdsa"], default=None,
                   help="our auth method [psk, or pubkey with --cert]")
    p.add_argument("--remote-auth", choices=["psk", "pubkey", "rsa", "ecdsa"], default=None,
                   help="peer's auth method [same as --auth]")
    p.add_argument("--psk", help="pre-shared key (0s<base64>, 0x<hex> or a plain string)")
    p.add_argument("--cert", help="our certificate (file in x509/ next to swanctl.conf)")
    p.add_argument("--cacert", help="require the peer's chain to end at this CA (file in x509ca/)")
    p.add_argument("--send-cert", choices=["always", "ifasked", "never"], help="[ifasked]")
    p.add_argument("--send-certreq", type=yes_no, help="[yes]")
    p.add_argument("--proposals", default="aes128gcm16-prfsha256-x25519",
                   help="IKE proposals, comma-separated [aes128gcm16-prfsha256-x25519]")
    p.add_argument("--esp-proposals", default="aes128gcm16",
                   help="ESP proposals, comma-separated; add a DH group for PFS [aes128gcm16]")
    p.add_argument("--local-ts", default="dynamic", help="comma-separated [dynamic]")
    p.add_argument("--remote-ts", default="dynamic", help="comma-separated [dynamic]")
    p.add_argument("--extra-child", action="append", default=[], metavar="NAME:LOCAL_TS:REMOTE_TS",
                   help="another CHILD SA with the same settings (repeatable)")
    p.add_argument("--mode", default=None, choices=["tunnel", "transport", "pass", "drop"])
    p.add_argument("--rekey-time", help="IKE SA rekey time [4h]")
    p.add_argument("--reauth-time", help="IKE SA reauthentication time [0: off]")
    p.add_argument("--over-time", help="IKE SA hard lifetime beyond rekey [10%% of rekey]")
    p.add_argument("--rand-time", help="IKE SA rekey jitter [over-time]")
    p.add_argument("--child-rekey-time", help="CHILD SA rekey time [1h]")
    p.add_argument("--child-life-time", help="CHILD SA hard lifetime [rekey-time + 10%%]")
    p.add_argument("--child-rand-time", help="CHILD SA rekey jitter [life - rekey]")
    p.add_argument("--child-rekey-bytes", help="[0: off]")
    p.add_argument("--child-rekey-packets", help="[0: off]")
    p.add_argument("--replay-window", type=int, help="ESP anti-replay window [32]")
    p.add_argument("--dpd-delay", help="DPD (liveness check) interval [0: off]")
    p.add_argument("--dpd-action", choices=["clear", "trap", "restart", "none"], help="CHILD's [clear]")
    p.add_argument("--close-action", choices=["none", "trap", "start"], help="CHILD's [none]")
    p.add_argument("--mobike", type=yes_no, help="[yes]")
    p.add_argument("--fragmentation", choices=["yes", "accept", "force", "no"], help="IKE fragmentation [yes]")
    p.add_argument("--encap", type=yes_no, help="force UDP encapsulation [no; kernel-libipsec always encapsulates]")
    p.add_argument("--start-action", choices=["none", "start", "trap", "trap|start"], default="none")
    p.add_argument("--responder", action="store_true",
                   help="only respond: remote_addrs %%any (unless given), start_action none, no keyingtries")
    p.add_argument("--unique", choices=["no", "never", "keep", "replace"], help="[no]")
    p.add_argument("--keyingtries", type=int, help="[1]")
    p.add_argument("--pfs-group", help="shorthand: append this DH group to every ESP proposal")
    p.add_argument("--updown", help="updown script for the CHILD")
    p.add_argument("--if-id", help="XFRM interface id (in and out)")
    return p


def render(a):
    if a.auth is None:
        a.auth = "pubkey" if a.cert else "psk"
    if a.remote_auth is None:
        a.remote_auth = a.auth
    if a.auth == "psk" and not a.psk:
        sys.exit("strongswan-conf.py: --psk is needed with PSK auth")
    if a.auth != "psk" and not a.cert:
        sys.exit("strongswan-conf.py: --cert is needed with certificate auth")
    remote_addrs = a.remote_addrs or "%any"
    if not a.responder and remote_addrs == "%any":
        sys.exit("strongswan-conf.py: an initiator needs --remote-addrs")
    esp = a.esp_proposals
    if a.pfs_group:
        esp = ",".join(f"{p}-{a.pfs_group}" for p in esp.split(","))

    L = []
    w = L.append

    def opt(indent, key, value):
        if value is not None:
            w(f"{' ' * indent}{key} = {value}")

    w("connections {")
    w(f"  {a.name} {{")
    opt(4, "version", 2)
    opt(4, "local_addrs", a.local_addrs)
    opt(4, "remote_addrs", remote_addrs)
    opt(4, "local_port", a.local_port)
    opt(4, "remote_port", a.remote_port)
    opt(4, "proposals", a.proposals)
    opt(4, "rekey_time", a.rekey_time)
    opt(4, "reauth_time", a.reauth_time)
    opt(4, "over_time", a.over_time)
    opt(4, "rand_time", a.rand_time)
    opt(4, "dpd_delay", a.dpd_delay)
    opt(4, "mobike", a.mobike)
    opt(4, "fragmentation", a.fragmentation)
    opt(4, "encap", a.encap)
    opt(4, "send_cert", a.send_cert)
    opt(4, "send_certreq", a.send_certreq)
    opt(4, "unique", a.unique)
    opt(4, "keyingtries", a.keyingtries)
    opt(4, "if_id_in", a.if_id)
    opt(4, "if_id_out", a.if_id)
    w("    local {")
    opt(6, "auth", a.auth)
    opt(6, "id", a.local_id)
    if a.auth != "psk":
        opt(6, "certs", a.cert)
    w("    }")
    w("    remote {")
    opt(6, "auth", a.remote_auth)
    opt(6, "id", a.remote_id)
    if a.remote_auth != "psk":
        opt(6, "cacerts", a.cacert)
    w("    }")
    w("    children {")
    children = [(a.child, a.local_ts, a.remote_ts)]
    for spec in a.extra_child:
        parts = spec.split(":")
        if len(parts) != 3:
            sys.exit(f"strongswan-conf.py: --extra-child wants NAME:LOCAL_TS:REMOTE_TS, not {spec}")
        children.append(tuple(parts))
    for name, lts, rts in children:
        w(f"      {name} {{")
        opt(8, "mode", a.mode)
        opt(8, "local_ts", lts)
        opt(8, "remote_ts", rts)
        opt(8, "esp_proposals", esp)
        opt(8, "rekey_time", a.child_rekey_time)
        opt(8, "life_time", a.child_life_time)
        opt(8, "rand_time", a.child_rand_time)
        opt(8, "rekey_bytes", a.child_rekey_bytes)
        opt(8, "rekey_packets", a.child_rekey_packets)
        opt(8, "replay_window", a.replay_window)
        opt(8, "dpd_action", a.dpd_action)
        opt(8, "close_action", a.close_action)
        opt(8, "start_action", "none" if a.responder else a.start_action)
        opt(8, "updown", a.updown)
        w("      }")
    w("    }")
    w("  }")
    w("}")
    if a.auth == "psk" or a.remote_auth == "psk":
        psk = a.psk
        if not (psk.startswith("0s") or psk.startswith("0x")):
            psk = '"' + psk.replace('"', '\\"') + '"'
        w("secrets {")
        w(f"  ike-{a.name} {{")
        opt(4, "id-1", a.local_id)
        if a.remote_id != "%any":
            opt(4, "id-2", a.remote_id)
        opt(4, "secret", psk)
        w("  }")
        w("}")
    return "\n".join(L) + "\n"


def main():
    a = build_parser().parse_args()
    text = render(a)
    if a.out:
        with open(a.out, "a" if a.append else "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
