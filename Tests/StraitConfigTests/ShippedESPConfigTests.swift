import StraitCore
import XCTest
@testable import StraitConfig

/// conf/esp-site-a.yaml and conf/esp-site-b.yaml: a matching pair of static-SA configs.
final class ShippedESPConfigTests: XCTestCase {
    private let facts = testFacts(cpus: [0, 1, 2, 3], interfaces: [], pci: ["0000:00:04.0", "0000:00:05.0"])

    private func load(_ file: String) throws -> StraitConfig {
        try ConfigLoader.load(path: repositoryFile(file), facts: facts)
    }

    func testBothSitesLoad() throws {
        for (file, instance, wan, lan) in [("conf/esp-site-a.yaml", "site-a", "192.0.2.1/24", "10.1.0.1/24"),
                                           ("conf/esp-site-b.yaml", "site-b", "192.0.2.2/24", "10.2.0.1/24")] {
            let config = try load(file)
            XCTAssertEqual(config.fastPath.instance, instance)
            XCTAssertEqual(config.ports.map(\.name), ["wan01", "lan01"])
            XCTAssertEqual(config.ports.map { $0.addresses.map(\.description) }, [[wan], [lan]])
            XCTAssertEqual(config.ipsec.sas.map(\.direction), [.outbound, .inbound])
            for sa in config.ipsec.sas {
                XCTAssertEqual(sa.algorithm, .aes128gcm16, sa.name)
                XCTAssertEqual(sa.key.bytes.count, 20, sa.name)
                XCTAssertTrue(sa.esn, sa.name)
                XCTAssertEqual(sa.encapsulation, .udp, sa.name)
                XCTAssertEqual([sa.udpLocalPort, sa.udpRemotePort], [4500, 4500], sa.name)
                XCTAssertEqual(sa.local.description + "/24", wan, sa.name)
            }
            XCTAssertEqual(config.ipsec.sas[1].replayWindow, 4096)
            XCTAssertEqual(config.ipsec.policies.count, 1)
            XCTAssertEqual(config.ipsec.policies.first?.action, .protect)
            XCTAssertEqual(config.ipsec.policies.first?.sa, config.ipsec.sas[0].name)
            XCTAssertFalse(config.redactedText.contains(String(config.ipsec.sas[0].key.bytes.map { String(format: "%02x", $0) }.joined().prefix(12))))
        }
    }

    func testEachSitesOutboundSAIsTheOthersInbound() throws {
        let a = try load("conf/esp-site-a.yaml").ipsec, b = try load("conf/esp-site-b.yaml").ipsec
        for (from, to) in [(a, b), (b, a)] {
            let out = try XCTUnwrap(from.sas.first { $0.direction == .outbound })
            let peerIn = try XCTUnwrap(to.sas.first { $0.direction == .inbound && $0.spi == out.spi }, out.name)
            XCTAssertEqual(out.key, peerIn.key, "\(out.name) / \(peerIn.name)")
            XCTAssertEqual(out.algorithm, peerIn.algorithm)
            XCTAssertEqual(out.esn, peerIn.esn)
            XCTAssertEqual(out.local, peerIn.remote)
            XCTAssertEqual(out.remote, peerIn.local)
            XCTAssertEqual(out.localTS, peerIn.remoteTS)
            XCTAssertEqual(out.remoteTS, peerIn.localTS)
            XCTAssertEqual(out.udpLocalPort, peerIn.udpRemotePort)
            XCTAssertEqual(out.udpRemotePort, peerIn.udpLocalPort)
        }
        XCTAssertEqual(a.sas[0].localTS.description, "10.1.0.0/24")
        XCTAssertEqual(b.sas[0].localTS.description, "10.2.0.0/24")
        XCTAssertNotEqual(a.sas[0].key, a.sas[1].key, "one key per direction")
    }

    func testTheSitesNeedTheirDevices() {
        let text = (try? String(contentsOfFile: repositoryFile("conf/esp-site-a.yaml"), encoding: .utf8)) ?? ""
        let errors = loadErrors(text, facts: testFacts(cpus: [0, 1, 2, 3], interfaces: [], pci: ["0000:00:05.0"]))
        XCTAssertEqual(errors.map(\.key), ["ports[0].device"])
    }
}
