import XCTest
@testable import StraitConfig

/// The cases of `IKEConfigTests` about VPNs and their security policies.
extension IKEConfigTests {
    /// A third VPN, inserted before `psks:` (line 97), that matches the peers `sites` matches.
    static let sameAsSites = """
        - name: sites2
          ike-policy: ike-a
          local-address: 192.0.2.1
          remote-address: any
          local-id: GW.example.net
          remote-id: "*.SITES.example.net"
          local-auth: { method: psk }
          remote-auth: { method: psk }
          psk: \(psk)
          security-policies:
            - name: lan
              local-ts: [10.1.0.0/24]
              remote-ts: [10.128.0.0/9]
              ipsec-policy: esp-a

    """

    static let vpnCases: [Case] = [
        Case(name: "VPN name invalid", edits: [("    - name: sites", "    - name: Sites")],
             code: .invalidValue, key: "ike.vpns[0].name", line: 62, message: "not a valid VPN name"),
        Case(name: "VPN name twice", edits: [("    - name: hq", "    - name: sites")],
             code: .duplicateValue, key: "ike.vpns[1].name", line: 80, message: "ike.vpns[0] (line 62)"),
        Case(name: "two VPNs for the same peers", edits: [("  psks:                              # 97\n", sameAsSites + "  psks:\n")],
             code: .duplicateValue, key: "ike.vpns[2].remote-id", line: 102, message: "ike.vpns[0] (line 62) already has"),
        Case(name: "VPN without ike-policy", edits: [("      ike-policy: ike-a              # 63\n", "")],
             code: .missingKey, key: "ike.vpns[0].ike-policy", line: 62),
        Case(name: "ike-policy names no template", edits: [("      ike-policy: ike-a", "      ike-policy: ike-c")],
             code: .notFound, key: "ike.vpns[0].ike-policy", line: 63, message: "no ike-policy template is named 'ike-c'; did you mean"),
        Case(name: "ike-policy names an ipsec template", edits: [("      ike-policy: ike-b", "      ike-policy: esp-start")],
             code: .notFound, key: "ike.vpns[1].ike-policy", line: 81, message: "(ike-a, ike-b)"),
        Case(name: "VPN ipsec-policy names no template", edits: [("      ipsec-policy: esp-a            # 64", "      ipsec-policy: esp-x")],
             code: .notFound, key: "ike.vpns[0].ipsec-policy", line: 64, message: "did you mean 'esp-a'?"),
        Case(name: "no ipsec-policy on the policy or the VPN", edits: [("      ipsec-policy: esp-a            # 64\n", "")],
             code: .missingKey, key: "ike.vpns[0].security-policies[0].ipsec-policy", line: 72, message: "no ipsec-policy here or on the VPN"),
        Case(name: "start-action with a wildcard remote (VPN)", edits: [("      ipsec-policy: esp-a            # 64", "      ipsec-policy: esp-start")],
             code: .conflict, key: "ike.vpns[0].ipsec-policy", line: 64, message: "has start-action start (line 60)"),
        Case(name: "start-action with a wildcard remote (policy)", edits: [("      ipsec-policy: esp-a        # 79", "      ipsec-policy: esp-start")],
             code: .conflict, key: "ike.vpns[0].security-policies[1].ipsec-policy", line: 79, message: "remote-address is any"),
        Case(name: "start-action with a remote network", edits: [("      remote-address: 198.51.100.7", "      remote-address: 198.51.100.0/24")],
             code: .conflict, key: "ike.vpns[1].security-policies[0].ipsec-policy", line: 96, message: "remote-address is 198.51.100.0/24"),
        Case(name: "dpd-action restart with a wildcard remote", edits: [("      dpd-action: clear", "      dpd-action: restart"),
                                                                       ("          ipsec-policy: esp-a        # 79\n", "")],
             code: .conflict, key: "ike.vpns[0].ipsec-policy", line: 64, message: "dpd-action restart (line 56)"),
        // addresses
        Case(name: "local-address not a port's", edits: [("      local-address: 192.0.2.1       # 65", "      local-address: 192.0.2.9")],
             code: .notFound, key: "ike.vpns[0].local-address", line: 65, message: "not an address of any port"),
        Case(name: "local-address IPv6", edits: [("      local-address: 192.0.2.1       # 65", "      local-address: 2001:db8::1")],
             code: .invalidValue, key: "ike.vpns[0].local-address", line: 65, message: "IPv4 only"),
        Case(name: "local-address not an address", edits: [("      local-address: 192.0.2.1       # 65", "      local-address: gw")],
             code: .invalidValue, key: "ike.vpns[0].local-address", line: 65),
        Case(name: "remote-address of the other family", edits: [("      remote-address: 198.51.100.7", "      remote-address: 2001:db8:5::7")],
             code: .conflict, key: "ike.vpns[1].remote-address", line: 83, message: "one family"),
        Case(name: "remote-address neither any nor an address", edits: [("      remote-address: any", "      remote-address: anywhere")],
             code: .invalidValue, key: "ike.vpns[0].remote-address", line: 66),
        Case(name: "remote-address network with host bits", edits: [("      remote-address: any", "      remote-address: 198.51.100.1/24")],
             code: .invalidValue, key: "ike.vpns[0].remote-address", line: 66, message: "the network is 198.51.100.0/24"),
        Case(name: "VPN without remote-address", edits: [("      remote-address: any            # 66\n", "")],
             code: .missingKey, key: "ike.vpns[0].remote-address", line: 62),
        // identities
        Case(name: "local-id a pattern", edits: [("      local-id: gw.example.net", "      local-id: \"*.example.net\"")],
             code: .invalidValue, key: "ike.vpns[0].local-id", line: 67, message: "only for remote identities"),
        Case(name: "local-id %any", edits: [("      local-id: gw.example.net", "      local-id: \"%any\"")],
             code: .invalidValue, key: "ike.vpns[0].local-id", line: 67, message: "only for remote identities"),
        Case(name: "remote-id with a space", edits: [("\"*.sites.example.net\"   # 68", "\"*.sites example.net\"")],
             code: .invalidValue, key: "ike.vpns[0].remote-id", line: 68, message: "' ' is not allowed"),
        Case(name: "remote-id unknown DN attribute", edits: [("\"C=CH, O=Example, CN=hq\"", "\"C=CH, Org=Example, CN=hq\"")],
             code: .invalidValue, key: "ike.vpns[1].remote-id", line: 84, message: "unknown DN attribute 'Org'"),
        Case(name: "remote-id DN partial wildcard", edits: [("\"C=CH, O=Example, CN=hq\"", "\"C=CH, O=Example, CN=hq*\"")],
             code: .invalidValue, key: "ike.vpns[1].remote-id", line: 84, message: "whole value '*'"),
        Case(name: "remote-id with two @", edits: [("\"*.sites.example.net\"   # 68", "a@b@example.net")],
             code: .invalidValue, key: "ike.vpns[0].remote-id", line: 68, message: "exactly one '@'"),
        Case(name: "remote-id keyid not hex", edits: [("\"*.sites.example.net\"   # 68", "keyid:xyz")],
             code: .invalidValue, key: "ike.vpns[0].remote-id", line: 68, message: "hex"),
        Case(name: "remote-id ip: not an address", edits: [("\"*.sites.example.net\"   # 68", "ip:gw.example.net")],
             code: .invalidValue, key: "ike.vpns[0].remote-id", line: 68, message: "not an IP address"),
        Case(name: "VPN without remote-id", edits: [("      remote-id: \"*.sites.example.net\"   # 68\n", "")],
             code: .missingKey, key: "ike.vpns[0].remote-id", line: 62),
        // authentication
        Case(name: "unknown auth method", edits: [("      local-auth: { method: psk }", "      local-auth: { method: rsa }")],
             code: .invalidValue, key: "ike.vpns[0].local-auth.method", line: 69, message: "psk, certificate"),
        Case(name: "auth without method", edits: [("      local-auth: { method: psk }", "      local-auth: {}")],
             code: .missingKey, key: "ike.vpns[0].local-auth.method", line: 69),
        Case(name: "VPN without local-auth", edits: [("      local-auth: { method: psk }    # 69\n", "")],
             code: .missingKey, key: "ike.vpns[0].local-auth", line: 62),
        Case(name: "auth a scalar", edits: [("      remote-auth: { method: psk }", "      remote-auth: psk")],
             code: .wrongType, key: "ike.vpns[0].remote-auth", line: 70, message: "expected a mapping"),
        Case(name: "ca with method psk", edits: [("      remote-auth: { method: psk }", "      remote-auth: { method: psk, ca: [/etc/strait/ca.pem] }")],
             code: .conflict, key: "ike.vpns[0].remote-auth.ca", line: 70, message: "goes with method: certificate"),
        Case(name: "certificate file missing", edits: [("    certificate: /etc/strait/gw.pem", "    certificate: /etc/strait/nope.pem")],
             code: .notFound, key: "ike.vpns[1].local-auth.certificate", line: 87,
             message: "certificate file /etc/strait/nope.pem does not exist"),
        Case(name: "private key unreadable", edits: [("    private-key: /etc/strait/gw.key", "    private-key: /etc/strait/secret.key")],
             code: .io, key: "ike.vpns[1].local-auth.private-key", line: 88,
             message: "cannot read private key file /etc/strait/secret.key: permission denied"),
        Case(name: "certificate path relative", edits: [("    certificate: /etc/strait/gw.pem", "    certificate: gw.pem")],
             code: .invalidValue, key: "ike.vpns[1].local-auth.certificate", line: 87, message: "absolute path"),
        Case(name: "CA file a directory", edits: [("    ca: [/etc/strait/ca.pem]", "    ca: [/etc/strait]")],
             code: .invalidValue, key: "ike.vpns[1].remote-auth.ca[0]", line: 91, message: "/etc/strait is not a regular file"),
        Case(name: "certificate without private-key", edits: [("        private-key: /etc/strait/gw.key   # 88\n", "")],
             code: .missingKey, key: "ike.vpns[1].local-auth.private-key", line: 85),
        Case(name: "certificate without ca", edits: [("        ca: [/etc/strait/ca.pem]     # 91\n", "")],
             code: .missingKey, key: "ike.vpns[1].remote-auth.ca", line: 89),
        Case(name: "empty ca list", edits: [("    ca: [/etc/strait/ca.pem]", "    ca: []")],
             code: .invalidValue, key: "ike.vpns[1].remote-auth.ca", line: 91),
        // pre-shared keys
        Case(name: "psk missing and not in psks", edits: [("      psk: \(psk)   # 71\n", ""),
                                                         ("\"*.sites.example.net\"   # 68", "\"*.branch.example.net\"")],
             code: .missingKey, key: "ike.vpns[0].psk", line: 62, message: "no psks entry for remote-id '*.branch.example.net'"),
        Case(name: "psk missing, one side psk", edits: [("      psk: \(psk)   # 71\n", ""),
                                                       ("\"*.sites.example.net\"   # 68", "\"*.branch.example.net\""),
                                                       ("      local-auth: { method: psk }", "      local-auth: { method: certificate, "
                                                        + "certificate: /etc/strait/gw.pem, private-key: /etc/strait/gw.key }")],
             code: .missingKey, key: "ike.vpns[0].psk", line: 62, message: "remote-auth is psk"),
        Case(name: "psk not used", edits: [("CN=hq\"   # 84\n", "CN=hq\"\n      psk: \(psk)\n")],
             code: .conflict, key: "ike.vpns[1].psk", line: 85, message: "not used"),
        Case(name: "psk too short", edits: [("      psk: \(psk)", "      psk: short-secret")],
             code: .weak, key: "ike.vpns[0].psk", line: 71, message: "12 bytes; at least 16 are required (allow-weak-psk: true"),
        Case(name: "psk not base64", edits: [("      psk: \(psk)", "      psk: 0s!!notbase64!!")],
             code: .invalidValue, key: "ike.vpns[0].psk", line: 71, message: "not base64"),
        Case(name: "psk empty", edits: [("      psk: \(psk)", "      psk: \"\"")],
             code: .invalidValue, key: "ike.vpns[0].psk", line: 71, message: "empty"),
        Case(name: "psk a list", edits: [("      psk: \(psk)", "      psk: [\(psk)]")],
             code: .wrongType, key: "ike.vpns[0].psk", line: 71),
    ]

    static let policyCases: [Case] = [
        Case(name: "VPN without security-policies",
             edits: [("      security-policies:             # 92\n        - name: all                  # 93\n"
                      + "          local-ts: [10.1.0.0/24]    # 94\n          remote-ts: [10.200.0.0/16] # 95\n"
                      + "          ipsec-policy: esp-start    # 96\n", "")],
             code: .missingKey, key: "ike.vpns[1].security-policies", line: 80),
        Case(name: "empty security-policies",
             edits: [("      security-policies:             # 92\n        - name: all                  # 93\n"
                      + "          local-ts: [10.1.0.0/24]    # 94\n          remote-ts: [10.200.0.0/16] # 95\n"
                      + "          ipsec-policy: esp-start    # 96\n", "      security-policies: []\n")],
             code: .invalidValue, key: "ike.vpns[1].security-policies", line: 92),
        Case(name: "security policy name twice", edits: [("    - name: dns", "    - name: lan")],
             code: .duplicateValue, key: "ike.vpns[0].security-policies[1].name", line: 76, message: "(line 73)"),
        Case(name: "unknown security policy key", edits: [("      ipsec-policy: esp-a        # 79", "      ipsec-polcy: esp-a")],
             code: .unknownKey, key: "ike.vpns[0].security-policies[1].ipsec-polcy", line: 79),
        Case(name: "security policy without local-ts", edits: [("          local-ts: [10.1.0.0/24]    # 94\n", "")],
             code: .missingKey, key: "ike.vpns[1].security-policies[0].local-ts", line: 93),
        Case(name: "empty remote-ts", edits: [("remote-ts: [10.200.0.0/16]", "remote-ts: []")],
             code: .invalidValue, key: "ike.vpns[1].security-policies[0].remote-ts", line: 95),
        Case(name: "selector with host bits", edits: [("local-ts: [10.1.0.0/24, fd00:1::/64]", "local-ts: [10.1.0.1/24, fd00:1::/64]")],
             code: .invalidValue, key: "ike.vpns[0].security-policies[0].local-ts[0]", line: 74, message: "the network is 10.1.0.0/24"),
        Case(name: "selector without length", edits: [("remote-ts: [10.200.0.0/16]", "remote-ts: [10.200.0.0]")],
             code: .invalidValue, key: "ike.vpns[1].security-policies[0].remote-ts[0]", line: 95, message: "with a length"),
        Case(name: "local family without a remote partner", edits: [("[10.128.0.0/9, fd00:8000::/33]", "[10.128.0.0/9]")],
             code: .conflict, key: "ike.vpns[0].security-policies[0].local-ts[1]", line: 74,
             message: "fd00:1::/64 is IPv6 but remote-ts has no IPv6 selector"),
        Case(name: "remote family without a local partner", edits: [("remote-ts: [10.200.0.0/16]", "remote-ts: [10.200.0.0/16, fd00:9::/64]")],
             code: .conflict, key: "ike.vpns[1].security-policies[0].remote-ts[1]", line: 95, message: "local-ts has no IPv6"),
        Case(name: "selector protocol misspelt", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[upd/53]")],
             code: .invalidValue, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "did you mean 'udp'?"),
        Case(name: "selector port with icmp", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[icmp/53]")],
             code: .conflict, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "tcp or udp"),
        Case(name: "selector icmpv6 with IPv4", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[icmpv6]")],
             code: .conflict, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "use icmp"),
        Case(name: "selector port out of range", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[udp/70000]")],
             code: .outOfRange, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77),
        Case(name: "selector port range reversed", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[tcp/9000-8000]")],
             code: .outOfRange, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "the lower first"),
        Case(name: "selector port not a number", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[udp/dns]")],
             code: .invalidValue, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "not a port"),
        Case(name: "selector bracket not closed", edits: [("10.1.0.53/32[udp/53]", "10.1.0.53/32[udp/53")],
             code: .invalidValue, key: "ike.vpns[0].security-policies[1].local-ts[0]", line: 77, message: "not a traffic selector"),
        Case(name: "selector twice in a list", edits: [("remote-ts: [10.200.0.0/16]", "remote-ts: [10.200.0.0/16, 10.200.0.0/16]")],
             code: .duplicateValue, key: "ike.vpns[1].security-policies[0].remote-ts[1]", line: 95),
        Case(name: "two policies with the same selectors",
             edits: [("local-ts: [\"10.1.0.53/32[udp/53]\"]", "local-ts: [fd00:1::/64, 10.1.0.0/24]"),
                     ("remote-ts: [10.128.0.0/9]  # 78", "remote-ts: [fd00:8000::/33, 10.128.0.0/9]")],
             code: .duplicateValue, key: "ike.vpns[0].security-policies[1]", line: 76, message: "ike.vpns[0].security-policies[0] (line 73)"),
        Case(name: "security policy a scalar",
             edits: [("    - name: all                  # 93\n          local-ts: [10.1.0.0/24]    # 94\n"
                      + "          remote-ts: [10.200.0.0/16] # 95\n          ipsec-policy: esp-start    # 96\n", "    - all\n")],
             code: .wrongType, key: "ike.vpns[1].security-policies[0]", line: 93),
    ]
}
