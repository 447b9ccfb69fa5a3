import Foundation
import Logging
import StraitIKE

/// The engine alone as the concentrator: what the engine costs per tunnel without straitd's
/// I/O shell, fast path and logs.
final class LoadResponder {
    let o: Options
    let engine: IKEEngine
    let plane = NullDataPlane()
    let sockets: IKESockets
    let log: CaptureLog
    var live = 0, established = 0, deletedSAs = 0, maxLive = 0

    init(_ o: Options) throws {
        self.o = o
        sockets = try IKESockets()
        log = CaptureLog(printLevel: parseLevel(o.logLevel))
        let handler = log
        let bus = IKEEventBus()
        engine = try IKEEngine(config: try LoadConfig.responder(o), dataPlane: plane, bus: bus,
                               logger: Logger(label: "ike") { _ in handler }, now: Clock.now())
        bus.subscribe { [unowned self] e in
            switch e {
            case .ikeSAEstablished:
                self.live += 1
                self.established += 1
                self.maxLive = max(self.maxLive, self.live)
            case .ikeSADeleted:
                self.live -= 1
                self.deletedSAs += 1
            default: break
            }
        }
    }

    func status(rss0: Int) -> [(String, String)] {
        let c = engine.counters
        return [("ike_sas", "\(live)"), ("established", "\(established)"), ("deleted", "\(deletedSAs)"), ("max_ike_sas", "\(maxLive)"),
                ("children", "\(plane.live)"), ("received", "\(c.received)"), ("sent", "\(c.sent)"),
                ("retransmits_answered", "\(c.retransmitsAnswered)"), ("half_open_refused", "\(c.halfOpenRefused)"),
                ("cookies", "\(c.cookiesSent)"), ("auth_failures", "\(c.authFailures)"), ("malformed", "\(c.malformed)"),
                ("rss_kb", "\(ProcessStats.rssKiB())"), ("rss_kb_start", "\(rss0)"), ("cpu_s", fmt(ProcessStats.cpuSeconds(), 2))]
    }

    func run() -> Int32 {
        signal(SIGTERM) { _ in stopRequested = 1 }
        signal(SIGINT) { _ in stopRequested = 1 }
        let rss0 = ProcessStats.rssKiB()
        let t0 = Clock.nanoseconds()
        var lastTick: UInt64 = 0, lastStatus: UInt64 = 0
        print("responding on UDP 500/4500 as \(o.listen) (\(o.localID)), peers \(o.remoteID)")
        fflush(stdout)
        while stopRequested == 0 {
            let now = Clock.nanoseconds()
            if o.duration > 0, now - t0 > UInt64(o.duration * 1e9) { break }
            let (a, b) = sockets.wait(timeoutMs: 20)
            if a || b {
                for fd in [sockets.fd500, sockets.fd4500] {
                    var n = 0
                    while n < 512, let d = sockets.receive(fd) {
                        n += 1
                        for out in engine.receive(d, now: Clock.now()) { sockets.send(out) }
                    }
                }
            }
            let t = Clock.nanoseconds()
            if t - lastTick >= 100_000_000 {
                lastTick = t
                for out in engine.tick(now: IKETime(nanoseconds: t)) { sockets.send(out) }
            }
            if let path = o.statusFile, t - lastStatus >= 1_000_000_000 {
                lastStatus = t
                let text = status(rss0: rss0).map { "\($0.0)=\($0.1)" }.joined(separator: " ") + "\n"
                try? text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
                rename(path + ".tmp", path)
            }
        }
        print("RESULT mode=respond " + status(rss0: rss0).map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        return 0
    }
}

nonisolated(unsafe) var stopRequested: sig_atomic_t = 0
