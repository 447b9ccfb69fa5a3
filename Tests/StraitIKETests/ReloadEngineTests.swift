import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKEWire
import XCTest

/// A concentrator engine with VPNs for several sites (each site an engine of its own at its
/// own address) reloads its configuration while tunnels run.
final class ReloadEngineTests: XCTestCase {
    let now = IKETime(nanoseconds: 11_000_000_000)
    let gwAddress = IPAddress("192.0.2.1")!
    static let loc = SourceLocation(file: "gw.yaml", line: 1, column: 1)

    static func templates(ikeProposal: String = "aes128gcm16-prfsha256-x25519", dpd: IKEDPD = IKEDPD())
        -> ([IKEPolicyTemplate], [IPsecPolicyTemplate]) {
        ([IKEPolicyTemplate(name: "ike", proposals: [try! IKEProposal.parse(ikeProposal).get()], dpd: dpd, location: loc)],
         [IPsecPolicyTemplate(name: "esp", proposals: [try! ESPProposal.parse("aes128gcm16-esn").get()], location: loc)])
    }

    /// VPN `name` for the site at 192.0.2.`n` (identity `name.strait.test`, LAN 10.`n`.0.0/24).
    static func vpn(_ name: String, site n: Int, gateway: Bool, line: Int = 1, localID: String = "gw.strait.test") -> VPNDefinition {
        let gwLAN = ConfigTS(prefix: IPPrefix("10.1.0.0/24")!), siteLAN = ConfigTS(prefix: IPPrefix("10.\(n).0.0/24")!)
        let loc = SourceLocation(file: "gw.yaml", line: line, column: 3)
        let policy = SecurityPolicy(name: "lan", localTS: [gateway ? gwLAN : siteLAN], remoteTS: [gateway ? siteLAN : gwLAN],
                                    ipsecPolicy: "esp", location: loc)
        let gw = IPAddress("192.0.2.1")!, site = IPAddress("192.0.2.\(n)")!
        return VPNDefinition(name: name, ikePolicy: "ike", ipsecPolicy: "esp", localAddress: gateway ? gw : site,
                             remoteAddress: .address(gateway ? site : gw),
                             localID: try! IKEIdentity.parse(gateway ? localID : "\(name).strait.test").get(),
                             remoteID: try! IKEIdentity.parse(gateway ? "\(name).strait.test" : "gw.strait.test").get(),
                             localAuth: .psk, remoteAuth: .psk, psk: PSK(bytes: TestConfig.psk), securityPolicies: [policy],
                             location: loc)
    }

    static func gwConfig(_ vpns: [VPNDefinition], dpd: IKEDPD = IKEDPD(), ikeProposal: String = "aes128gcm16-prfsha256-x25519",
                         ikeRekey: Duration = IKEDefaults.ikeRekeyTime) -> IKEConfig {
        var (ike, esp) = templates(ikeProposal: ikeProposal, dpd: dpd)
        ike[0] = IKEPolicyTemplate(name: "ike", proposals: ike[0].proposals, rekeyTime: ikeRekey, randTime: .zero, dpd: dpd, location: loc)
        return IKEConfig(ikePolicyTemplates: ike, ipsecPolicyTemplates: esp, vpns: vpns)
    }

    final class Site {
        let engine: IKEEngine
        let plane = FakeDataPlane()
        init(_ name: String, _ n: Int, now: IKETime) throws {
            let (ike, esp) = ReloadEngineTests.templates()
            plane.nextSPI = UInt32(0x5000_0001 + n << 16)
            engine = try IKEEngine(config: IKEConfig(ikePolicyTemplates: ike, ipsecPolicyTemplates: esp,
                                                     vpns: [ReloadEngineTests.vpn(name, site: n, gateway: false)]),
                                   dataPlane: plane, logger: Logger(label: name), now: now)
        }
    }

    /// Delivers datagrams between the gateway and the sites (by address) until all are quiet.
    func pump(_ fromSites: [IKEDatagram], fromGW: [IKEDatagram] = [], gw: IKEEngine, sites: [IPAddress: Site]) {
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        var toGW = fromSites, toSites = fromGW, rounds = 0
        while !toGW.isEmpty || !toSites.isEmpty, rounds < 20 {
            rounds += 1
            let answers = toGW.flatMap { gw.receive(flip($0), now: now) }
            toGW = toSites.flatMap { d in sites[d.remote.address].map { $0.engine.receive(flip(d), now: now) } ?? [] }
            toSites = answers
        }
    }

    struct Fixture {
        var gw: IKEEngine
        var gwPlane: FakeDataPlane
        var a: Site
        var b: Site
        var sites: [IPAddress: Site]
    }

    /// The gateway with VPNs a and b, both tunnels up.
    func twoTunnels() throws -> Fixture {
        let gwPlane = FakeDataPlane()
        let gw = try IKEEngine(config: Self.gwConfig([Self.vpn("a", site: 2, gateway: true, line: 10), Self.vpn("b", site: 3, gateway: true, line: 20)]),
                               dataPlane: gwPlane, logger: Logger(label: "gw"), now: now)
        let a = try Site("a", 2, now: now), b = try Site("b", 3, now: now)
        let sites = [IPAddress("192.0.2.2")!: a, IPAddress("192.0.2.3")!: b]
        pump(try a.engine.initiate(vpn: "a", now: now) + b.engine.initiate(vpn: "b", now: now), gw: gw, sites: sites)
        XCTAssertEqual(gw.reports(now: now).map(\.state), ["established", "established"])
        XCTAssertEqual(gwPlane.installed.count, 2)
        return Fixture(gw: gw, gwPlane: gwPlane, a: a, b: b, sites: sites)
    }

    func report(_ gw: IKEEngine, vpn: String) -> IKESAReport? { gw.reports(now: now).first { $0.vpn == vpn } }

    func testAnUnchangedVPNKeepsItsSAARemovedOneIsDeletedAndANewOneCanConnect() throws {
        var f = try twoTunnels()
        let before = try XCTUnwrap(report(f.gw, vpn: "a"))
        let bChild = try XCTUnwrap(report(f.gw, vpn: "b")?.children.first)
        let c = try Site("c", 4, now: now)
        f.sites[IPAddress("192.0.2.4")!] = c
        pump(try c.engine.initiate(vpn: "c", now: now), gw: f.gw, sites: f.sites)
        XCTAssertNil(report(f.gw, vpn: "c"), "no VPN c before the reload")

        // a moves in the file (another line) but is the same; b goes; c comes.
        let (result, out) = try f.gw.reload(config: Self.gwConfig([Self.vpn("c", site: 4, gateway: true, line: 5),
                                                                   Self.vpn("a", site: 2, gateway: true, line: 30)]),
                                            credentials: IKECredentials(), now: now)
        XCTAssertEqual(result.diff.vpns.map(\.change), [.unchanged, .removed, .added])
        XCTAssertEqual(result.deleted.map(\.vpn), ["b"])
        XCTAssertEqual(out.count, 1, "one Delete, to site b")
        XCTAssertEqual(out.first?.remote.address, IPAddress("192.0.2.3")!)
        XCTAssertTrue(f.gwPlane.removed.contains { $0.inboundSPI == bChild.inboundSPI }, "b's CHILD SA left the fast path at once")
        pump([], fromGW: out, gw: f.gw, sites: f.sites)
        XCTAssertTrue(f.b.engine.reports(now: now).isEmpty, "site b was told and deleted its SA")
        XCTAssertNil(report(f.gw, vpn: "b"))

        let after = try XCTUnwrap(report(f.gw, vpn: "a"))
        XCTAssertEqual(after.id, before.id)
        XCTAssertEqual(after.initiatorSPI, before.initiatorSPI)
        XCTAssertEqual(after.children.map(\.inboundSPI), before.children.map(\.inboundSPI))
        XCTAssertEqual(after.children.map(\.outboundSPI), before.children.map(\.outboundSPI))
        XCTAssertFalse(f.gwPlane.removed.contains { $0.inboundSPI == before.children.first?.inboundSPI })
        XCTAssertEqual(f.a.engine.reports(now: now).count, 1)

        pump(try c.engine.initiate(vpn: "c", now: now), gw: f.gw, sites: f.sites)
        XCTAssertEqual(report(f.gw, vpn: "c")?.state, "established", "the added VPN takes new peers")
    }

    func testARefusedReloadChangesNothing() throws {
        let f = try twoTunnels()
        let before = f.gw.reports(now: now)
        // A VPN with a certificate that was not loaded: the credentials check refuses it.
        var cert = Self.vpn("a", site: 2, gateway: true)
        cert.localAuth = .certificate(certificate: "/etc/strait/gw.pem", privateKey: "/etc/strait/gw.key")
        XCTAssertThrowsError(try f.gw.reload(config: Self.gwConfig([cert]), credentials: IKECredentials(), now: now)) {
            XCTAssertTrue("\($0)".contains("/etc/strait/gw.pem"), "\($0)")
        }
        XCTAssertEqual(f.gw.reports(now: now).map(\.id), before.map(\.id))
        XCTAssertTrue(f.gwPlane.removed.isEmpty)
        XCTAssertNotNil(f.gw.ctx.config.vpn(named: "b"), "the old configuration is still the one in use")
        XCTAssertNoThrow(try f.gw.initiate(vpn: "b", now: now))
    }

    func testTimerChangesKeepTheSAsAndApply() throws {
        let f = try twoTunnels()
        let before = f.gw.reports(now: now)
        let (result, out) = try f.gw.reload(config: Self.gwConfig([Self.vpn("a", site: 2, gateway: true), Self.vpn("b", site: 3, gateway: true)],
                                                                  dpd: IKEDPD(interval: .seconds(5), timeout: .seconds(20))),
                                            credentials: IKECredentials(), now: now)
        XCTAssertEqual(result.diff.change(of: "a"), .kept(["ike-policy(ike).dpd"]))
        XCTAssertTrue(out.isEmpty)
        XCTAssertEqual(f.gw.reports(now: now).map(\.id), before.map(\.id))
        XCTAssertTrue(f.gwPlane.removed.isEmpty)
        // The new interval (5 s, was 30 s) is the one the liveness checks follow.
        XCTAssertEqual(f.gw.tick(now: now + .seconds(6)).count, 2, "a liveness check per SA after 5 s")
    }

    func testANewIKERekeyTimeReschedulesRunningIKESAs() throws {
        let f = try twoTunnels()
        _ = f.gw.tick(now: now)   // lifetimes are set on the first tick
        let id = try XCTUnwrap(report(f.gw, vpn: "a")?.id)
        let (result, out) = try f.gw.reload(config: Self.gwConfig([Self.vpn("a", site: 2, gateway: true), Self.vpn("b", site: 3, gateway: true)],
                                                                  ikeRekey: .seconds(100)),
                                            credentials: IKECredentials(), now: now)
        XCTAssertEqual(result.diff.change(of: "a"), .kept(["ike-policy(ike).rekey-time", "ike-policy(ike).over-time"]))
        XCTAssertTrue(out.isEmpty)
        XCTAssertEqual(f.gw.sas[id]?.lifetime?.rekeyAt, now + .seconds(100), "rekey at the new rekey-time, not 4 h")
    }

    func testANegotiatedChangeEndsOnlyThatVPNsSAs() throws {
        let f = try twoTunnels()
        let a = try XCTUnwrap(report(f.gw, vpn: "a"))
        let (result, out) = try f.gw.reload(config: Self.gwConfig([Self.vpn("a", site: 2, gateway: true),
                                                                   Self.vpn("b", site: 3, gateway: true, localID: "gw2.strait.test")]),
                                            credentials: IKECredentials(), now: now)
        XCTAssertEqual(result.diff.change(of: "b"), .renegotiate(["local-id"]))
        XCTAssertEqual(out.map(\.remote.address), [IPAddress("192.0.2.3")!])
        pump([], fromGW: out, gw: f.gw, sites: f.sites)
        XCTAssertEqual(f.gw.reports(now: now).map(\.id), [a.id])
        XCTAssertTrue(f.b.engine.reports(now: now).isEmpty)
    }

    func testAPeersChangedPSKEndsItsSA() throws {
        let f = try twoTunnels()
        var b = Self.vpn("b", site: 3, gateway: true)
        b.psk = PSK(bytes: Array("another-psk-of-enough-length".utf8))
        let (result, out) = try f.gw.reload(config: Self.gwConfig([Self.vpn("a", site: 2, gateway: true), b]),
                                            credentials: IKECredentials(), now: now)
        XCTAssertEqual(result.diff.change(of: "b"), .kept(["psk"]))
        XCTAssertEqual(result.deleted.map(\.vpn), ["b"])
        XCTAssertEqual(out.map(\.remote.address), [IPAddress("192.0.2.3")!])
    }
}
