import Foundation
import StraitAPI
import StraitControl
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// straitctl end to end, against a server with the fixtures.
final class StraitctlTests: FixtureServerTestCase {
    var straitctl: String { get throws { try Straitctl.path } }

    typealias Run = Straitctl.Run

    func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> Run {
        try Straitctl.run(arguments, environment: environment, prefix: prefix)
    }

    func testHumanOutputAndOptionsBeforeOrAfterTheCommand() throws {
        let r = try run(["--socket", path, "show", "routes"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, ReportText.routes(Fixtures.routes))

        let s = try run(["show", "stats", "--all", "--socket", path])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(s.stdout, ReportText.stats(Fixtures.stats, all: true))

        let c = try run(["show", "config"], environment: ["STRAITCTL_SOCKET": path])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stdout, ReportText.config(Fixtures.config))
    }

    func testJSONOutputIsThePrettySortedResult() throws {
        let r = try run(["--json", "--socket", path, "show", "version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, """
            {
              "dpdk" : "DPDK 22.11.4",
              "instance" : "strait",
              "uptimeSeconds" : 93784.25,
              "version" : "0.1.0"
            }

            """)
        let p = try run(["show", "ports", "--json", "--socket", path])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try JSONDecoder().decode([PortReport].self, from: Data(p.stdout.utf8)), Fixtures.ports)
    }

    func testExitCodes() throws {
        // 1: the daemon answers with an error (no handler for this one).
        server.register(["show", "lcores"]) { _ in throw ControlError(.unavailable, "fast path not started") }
        let d = try run(["--socket", path, "show", "lcores"])
        XCTAssertEqual(d.status, 1)
        XCTAssertEqual(d.stderr, "straitctl: straitd: unavailable: fast path not started\n")

        // 2: cannot connect.
        let missing = dir.file("missing.sock")
        let c = try run(["--socket", missing, "show", "ports"])
        XCTAssertEqual(c.status, 2)
        XCTAssertEqual(c.stderr, "straitctl: cannot connect to \(missing): No such file or directory — is straitd running?\n")

        // 2: usage.
        let u = try run(["show", "bogus"])
        XCTAssertEqual(u.status, 2)
        XCTAssertTrue(u.stderr.contains("bogus"), u.stderr)
    }

    func testANonRootUserIsToldToRunAsRoot() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv")
        }
        XCTAssertEqual(chmod(dir.path, 0o755), 0)   // only the socket's own mode (0600) keeps nobody out
        let r = try run(["--socket", path, "show", "version"],
                        prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        if r.status == 126 || r.stderr.contains("Permission denied") && !r.stderr.contains("straitctl:") {
            throw XCTSkip("nobody cannot execute straitctl here: \(r.stderr)")
        }
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr, "straitctl: permission denied — straitctl must run as root\n")
    }
}

/// `ha failover-test` refuses before it sends anything: usage, and a pair with no active node.
final class FailoverTestCommandTests: FixtureServerTestCase {
    func testUsageAndNoActiveNode() throws {
        let u = try Straitctl.run(["ha", "failover-test", "--node", path])
        XCTAssertEqual(u.status, 2)
        XCTAssertTrue(u.stderr.contains("--target"), u.stderr)
        let l = try Straitctl.run(["ha", "failover-test", "--node", path, "--target", "10.2.0.2", "--trigger", "link-down"])
        XCTAssertEqual(l.status, 2)
        XCTAssertTrue(l.stderr.contains("--link"), l.stderr)

        server.register(ControlCommands.haStatus) { _ in HAStatusReport(configured: true, nodeID: 1, role: "standby") }
        let n = try Straitctl.run(["ha", "failover-test", "--node", path, "--target", "10.2.0.2"])
        XCTAssertEqual(n.status, 2, n.stderr)
        XCTAssertTrue(n.stderr.contains("no node is active"), n.stderr)
        let gone = dir.file("gone.sock")
        let g = try Straitctl.run(["ha", "failover-test", "--node", path, "--node", gone, "--target", "10.2.0.2"])
        XCTAssertEqual(g.status, 2, g.stderr)
        XCTAssertTrue(g.stderr.contains("\(gone): no answer to ha status"), g.stderr)
    }
}
