import Foundation
import StraitCore
import XCTest
@testable import StraitConfig

/// conf/default.yaml (embedded as DefaultConfig.text) and the HA pair sketches.
final class ShippedConfigTests: XCTestCase {
    private let demoFacts = testFacts(cpus: [0, 1], interfaces: ["gw-lan", "gw-wan"], pci: [])
    private let pairFacts = testFacts(cpus: [0, 1, 2, 3], interfaces: ["ha0"], pci: ["0000:00:04.0", "0000:00:05.0"])

    func testEmbeddedDefaultIsByteIdenticalToConfDefaultYAML() throws {
        let onDisk = try String(contentsOfFile: repositoryFile("conf/default.yaml"), encoding: .utf8)
        XCTAssertEqual(DefaultConfig.text, onDisk)
    }

    func testDefaultLoadsWithItsValues() throws {
        let config = try ConfigLoader.loadDefault(facts: demoFacts)
        XCTAssertEqual(config.source, "<embedded default>")
        XCTAssertEqual(config.text, DefaultConfig.text)

        let fp = config.fastPath
        XCTAssertEqual(fp.instance, "strait")
        XCTAssertEqual(fp.workerCPUs.cpus, [1])
        XCTAssertEqual(fp.controlCPU, 0)
        XCTAssertEqual(fp.mbufs, 8192)
        XCTAssertEqual(fp.mbufCache, 256)
        XCTAssertEqual(fp.rxDescriptors, 512)
        XCTAssertEqual(fp.txDescriptors, 512)
        XCTAssertFalse(fp.hugepages)
        XCTAssertEqual(fp.memoryMB, 512)
        XCTAssertEqual(fp.pollMode, .adaptive)
        XCTAssertEqual(fp.idleSleepMicroseconds, 200)
        XCTAssertEqual(fp.location.line, 12)

        XCTAssertEqual(config.control.socketPath, "/run/strait/strait.sock")
        XCTAssertEqual(config.control.logLevel, "info")

        XCTAssertEqual(config.ports.map(\.name), ["lan01", "wan01"])
        XCTAssertEqual(config.ports.map(\.device), ["net_af_packet0,iface=gw-lan", "net_af_packet1,iface=gw-wan"])
        XCTAssertEqual(config.ports.map(\.mtu), [1500, 1500])
        XCTAssertEqual(config.ports.map(\.rxDescriptors), [512, 512], "ports inherit the fast-path ring sizes")
        XCTAssertEqual(config.ports.map(\.txDescriptors), [512, 512])
        XCTAssertEqual(config.ports[0].addresses.map(\.description), ["10.10.1.1/24", "fd00:10:1::1/64"])
        XCTAssertEqual(config.ports[1].addresses.map(\.description), ["10.10.2.1/24", "fd00:10:2::1/64"])
        XCTAssertNil(config.ports[0].mac)

        XCTAssertEqual(config.routes.map(\.prefix.description), ["10.10.3.0/24", "fd00:10:3::/64"])
        XCTAssertEqual(config.routes.map { $0.via?.description }, ["10.10.2.2", "fd00:10:2::2"])
        XCTAssertEqual(config.routes.map(\.port), [nil, nil])
    }

    func testDefaultFileLoadsFromDisk() throws {
        let path = repositoryFile("conf/default.yaml")
        let config = try ConfigLoader.load(path: path, facts: demoFacts)
        XCTAssertEqual(config.source, path)
        XCTAssertEqual(config.text, DefaultConfig.text)
    }

    func testDefaultNeedsTheDemoInterfaces() {
        let errors = loadErrors(DefaultConfig.text, facts: testFacts(cpus: [0, 1], interfaces: [], pci: []))
        XCTAssertEqual(errors.map(\.key), ["ports[0].device", "ports[1].device"])
        XCTAssertEqual(errors.map(\.code), [.notFound, .notFound])
        XCTAssertTrue(errors[0].message.contains("interface 'gw-lan' does not exist"), errors[0].message)
    }

    func testPairConfigsLoad() throws {
        for (file, instance, wan, sync) in [("conf/pair-a.yaml", "gw-a", "198.51.100.2/24", "192.168.255.1/30"),
                                            ("conf/pair-b.yaml", "gw-b", "198.51.100.3/24", "192.168.255.2/30")] {
            let config = try ConfigLoader.load(path: repositoryFile(file), facts: pairFacts)
            XCTAssertEqual(config.fastPath.instance, instance)
            XCTAssertEqual(config.fastPath.workerCPUs.cpus, [2, 3])
            XCTAssertEqual(config.fastPath.controlCPU, 1)
            XCTAssertTrue(config.fastPath.hugepages)
            XCTAssertEqual(config.fastPath.pollMode, .busy)
            XCTAssertEqual(config.control.socketPath, "/run/strait/\(instance).sock")
            XCTAssertEqual(config.ports.map(\.name), ["wan01", "lan01", "sync01"])
            XCTAssertEqual(config.ports.map(\.device), ["0000:00:04.0", "0000:00:05.0", "net_af_packet0,iface=ha0"])
            XCTAssertEqual(config.ports[0].addresses.first?.description, wan)
            XCTAssertEqual(config.ports[2].addresses.map(\.description), [sync])
            XCTAssertEqual(config.ports[2].rxDescriptors, 256)
            XCTAssertEqual(config.ports[0].rxDescriptors, 1024)
            XCTAssertNotNil(config.ports[2].mac)
            XCTAssertEqual(config.routes.map(\.prefix.description), ["0.0.0.0/0", "::/0"])
            XCTAssertEqual(config.vrrp.instances.map(\.name), ["wan4", "wan6", "lan4", "lan6"])
            XCTAssertEqual(Set(config.vrrp.instances.map(\.priority)), [instance == "gw-a" ? 200 : 100])
            XCTAssertEqual(config.vrrp.groups.first?.instances.count, 4)
            XCTAssertEqual(config.ha?.listenVRRPGroup, "vpnc")
            XCTAssertEqual(config.ha?.listens, instance == "gw-a", "gw-a has the lower sync address")
            XCTAssertFalse(config.redactedText.contains("0x000102030405"), "the ha key is redacted")
            // The sites' VPN ends on the WAN virtual address, so only the Master answers IKE.
            XCTAssertEqual(config.ike.vpns.map(\.name), ["sites"])
            XCTAssertEqual(config.ike.vpns.first?.localAddress.description, "198.51.100.10")
            XCTAssertTrue(config.vrrp.instances.first { $0.name == "wan4" }?.virtualAddresses
                .contains { $0.address.description == "198.51.100.10" } ?? false)
            XCTAssertFalse(config.redactedText.contains("0sRVhBTVBMRS1"), "the psk is redacted")
        }
    }

    func testPairConfigsNeedTheirDevices() {
        let text = (try? String(contentsOfFile: repositoryFile("conf/pair-a.yaml"), encoding: .utf8)) ?? ""
        let errors = loadErrors(text, facts: testFacts(cpus: [0, 1, 2, 3], interfaces: ["ha0"], pci: ["0000:00:04.0"]))
        XCTAssertEqual(errors.map(\.key), ["ports[1].device"])
        XCTAssertEqual(errors.first?.code, .notFound)
    }

    func testDefaultsFillInWhatIsLeftOut() throws {
        let text = """
        fast-path:
          instance: lab-1
          core-mask: 0x6
        ports:
          - name: p0
            device: net_ring0
        """
        let config = try ConfigLoader.parse(text: text, source: "min.yaml", facts: testFacts())
        let fp = config.fastPath
        XCTAssertEqual(fp.workerCPUs.cpus, [1, 2], "an unquoted hex mask is read as written, not as the number 6")
        XCTAssertEqual(fp.controlCPU, 0)
        XCTAssertEqual(fp.mbufs, 16384)
        XCTAssertEqual(fp.mbufCache, 256)
        XCTAssertEqual(fp.rxDescriptors, 1024)
        XCTAssertEqual(fp.txDescriptors, 1024)
        XCTAssertFalse(fp.hugepages)
        XCTAssertEqual(fp.memoryMB, 512)
        XCTAssertEqual(fp.pollMode, .adaptive)
        XCTAssertEqual(fp.idleSleepMicroseconds, 200)
        XCTAssertEqual(config.control.socketPath, "/run/strait/lab-1.sock")
        XCTAssertEqual(config.control.logLevel, "info")
        XCTAssertEqual(config.ports[0].mtu, 1500)
        XCTAssertEqual(config.ports[0].rxDescriptors, 1024)
        XCTAssertEqual(config.ports[0].addresses, [])
        XCTAssertEqual(config.ports[0].location, SourceLocation(file: "min.yaml", line: 5, column: 5))
        XCTAssertEqual(config.routes.count, 0)
    }

    func testUnquotedValuesAreReadAsWritten() throws {
        // YAML 1.1 would read 0000:00:04.0 as a sexagesimal float and 0x6 as 6; the loader takes the text.
        let text = """
        fast-path:
          core-mask: 0x6
          control-core: 3
        ports:
          - name: p0
            device: 0000:00:04.0
            mac: 12:34:56:00:00:01
        """
        let config = try ConfigLoader.parse(text: text, source: "u.yaml", facts: testFacts())
        XCTAssertEqual(config.ports[0].device, "0000:00:04.0")
        XCTAssertEqual(config.ports[0].mac?.description, "12:34:56:00:00:01")
        XCTAssertEqual(config.fastPath.workerCPUs.cpus, [1, 2])
    }

    func testInstanceDefaultsToStrait() throws {
        let text = """
        fast-path:
          core-mask: "1"
        control:
        ports:
          - name: p0
            device: net_null0
        routes:
        """
        let config = try ConfigLoader.parse(text: text, source: "min.yaml", facts: testFacts())
        XCTAssertEqual(config.fastPath.instance, "strait")
        XCTAssertEqual(config.control.socketPath, "/run/strait/strait.sock")
        XCTAssertEqual(config.routes.count, 0)
    }

    func testUnreadableFileIsAnIOError() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/strait.yaml", facts: testFacts())) { error in
            let errors = (error as? ConfigErrors)?.errors ?? []
            XCTAssertEqual(errors.map(\.code), [.io])
            XCTAssertEqual(errors.first?.location.file, "/nonexistent/strait.yaml")
        }
    }
}
