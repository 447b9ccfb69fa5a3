import CFastPath
import Foundation
import XCTest

/// DPDK's EAL comes up once per process: every test class that needs the fast path calls
/// `FastPathTestEAL.up()` (tables only, no workers, --no-huge), and an XCTest observer shuts it
/// down when the test bundle finishes. `fp_init` may not be called twice in one process.
enum FastPathTestEAL {
    private static var state: Result<Void, FastPathTestEALError>?

    /// Brings EAL up on the first call; later calls return the first call's outcome.
    @discardableResult
    static func up(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        if state == nil { state = start() }
        if case .failure(let e) = state! {
            XCTFail("fp_init: \(e.message)", file: file, line: line)
            return false
        }
        return true
    }

    private static func start() -> Result<Void, FastPathTestEALError> {
        var c = fp_config_t()
        withUnsafeMutableBytes(of: &c.instance) { raw in
            for (i, b) in "strait-unit-\(getpid())".utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        c.control_cpu = 0
        c.n_workers = 0
        c.nb_mbuf = 2048
        c.mbuf_cache = 64
        c.memory_mb = 512
        var err = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        guard fp_init(&c, &err, err.count) == 0 else {
            return .failure(FastPathTestEALError(message: String(cString: err)))
        }
        XCTestObservationCenter.shared.addTestObserver(ShutdownObserver())
        return .success(())
    }

    private final class ShutdownObserver: NSObject, XCTestObservation {
        func testBundleDidFinish(_ testBundle: Bundle) {
            fp_shutdown()   // releases EAL and removes its runtime directory
        }
    }
}

struct FastPathTestEALError: Error {
    let message: String
}
