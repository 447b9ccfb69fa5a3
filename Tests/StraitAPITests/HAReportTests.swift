import Foundation
import XCTest
@testable import StraitAPI

final class HAReportTests: XCTestCase {
    func testTheCommandIsKnown() {
        XCTAssertTrue(ControlCommands.all.contains(["ha", "status"]))
    }

    func testTextAndJSON() throws {
        let r = HAStatusReport(configured: true, nodeID: 2, role: "standby", vrrpGroup: "vpnc", link: "connect 192.168.255.1:7490",
                               peerConnected: true, peerNodeID: 1, lastReceivedMs: 120, lastSentMs: nil, ikeSAs: 3, childSAs: 4,
                               seqStates: 4, inactiveSAs: 4, needsResync: false, counters: ["queue-drops": 0])
        let text = ReportText.haStatus(r)
        XCTAssertTrue(text.contains("standby\n"), text)
        XCTAssertTrue(text.contains("connected (node 1)"), text)
        XCTAssertTrue(text.contains("120ms ago"), text)
        XCTAssertTrue(text.contains("never\n"), text)
        XCTAssertTrue(text.contains("inactive in fast path"), text)
        XCTAssertEqual(ReportText.haStatus(HAStatusReport()), "no ha section in the config\n")
        let back = try JSONDecoder().decode(HAStatusReport.self, from: JSONEncoder().encode(r))
        XCTAssertEqual(back, r)
    }
}
