import Foundation
import Logging
import StraitIKE

/// The load generator: one engine initiating every site's tunnel, paced by a window of
/// negotiations in flight and an optional rate, then (optionally) deleting them all.
final class LoadInitiator {
    enum State: UInt8 { case idle, active, up, failed, deleting, deleted, deleteFailed }

    let o: Options
    let engine: IKEEngine
    let plane: NullDataPlane
    let sockets: IKESockets
    let log: CaptureLog

    var state: [State]
    var startedAt: [UInt64]
    var ikeID: [UInt64]
    var failedBy: [String?]
    var index: [UInt64: Int] = [:]
    var latenciesMs: [Double] = []
    var failures: [String: Int] = [:]
    var failureDetails: [String: Int] = [:]
    var up = 0, failed = 0, inFlight = 0, lostAfterUp = 0
    var firstStart: UInt64 = 0, lastUp: UInt64 = 0
    /// The SA whose message the engine is handling (a failure it logs belongs to it).
    var current: UInt64?
    // Teardown.
    var deleting = 0, deleted = 0, deleteFailed = 0
    var lastDeleted: UInt64 = 0
    var deleteFailures: [String: Int] = [:]

    init(_ o: Options) throws {
        self.o = o
        let n = o.count
        state = Array(repeating: .idle, count: n)
        startedAt = Array(repeating: 0, count: n)
        ikeID = Array(repeating: 0, count: n)
        failedBy = Array(repeating: nil, count: n)
        plane = NullDataPlane()
        sockets = try IKESockets()
        log = CaptureLog(printLevel: parseLevel(o.logLevel))
        let handler = log
        let bus = IKEEventBus()
        let config = try LoadConfig.initiator(o)
        engine = try IKEEngine(config: config, dataPlane: plane, bus: bus, logger: Logger(label: "ike") { _ in handler },
                               now: Clock.now())
        bus.subscribe { [unowned self] event in self.event(event) }
        log.onWarning = { [unowned self] text in self.warning(text) }
    }

    // MARK: Outcomes

    func event(_ e: IKEEvent) {
        switch e {
        case .childSAInstalled(let id, _):
            if let i = index[id] { markUp(i) }
        case .ikeSADeleted(let id, let reason):
            guard let i = index[id] else { return }
            switch state[i] {
            case .deleting:
                deleting -= 1
                lastDeleted = Clock.nanoseconds()
                if reason == "terminated" {
                    state[i] = .deleted
                    deleted += 1
                } else {
                    state[i] = .deleteFailed
                    deleteFailed += 1
                    deleteFailures[reason, default: 0] += 1
                }
            case .up:
                state[i] = .failed
                up -= 1
                failed += 1
                lostAfterUp += 1
                failures["deleted_after_up", default: 0] += 1
                failureDetails["deleted after up: \(reason)", default: 0] += 1
            default: break
            }
        default: break
        }
    }

    func markUp(_ i: Int) {
        let now = Clock.nanoseconds()
        switch state[i] {
        case .active: inFlight -= 1
        case .failed where failedBy[i] == "timeout":
            // Our own deadline gave up first; the engine got there late.
            failed -= 1
            failures["timeout", default: 0] -= 1
        default: return
        }
        state[i] = .up
        up += 1
        lastUp = now
        latenciesMs.append(Double(now - startedAt[i]) / 1e6)
    }

    func markFailed(_ i: Int, _ category: String, _ detail: String) {
        guard state[i] == .active else { return }
        state[i] = .failed
        failedBy[i] = category
        inFlight -= 1
        failed += 1
        failures[category, default: 0] += 1
        failureDetails[detail, default: 0] += 1
    }

    /// Failed initiations show only in the engine's warnings: attribute them to a site.
    func warning(_ text: String) {
        func site(after marker: String) -> Int? {
            guard let r = text.range(of: marker) else { return nil }
            let rest = text[r.upperBound...]
            guard let end = rest.firstIndex(of: "'") else { return nil }
            return Int(rest[..<end].dropFirst())   // "s<i>"
        }
        func tail(after marker: String) -> String {
            guard let r = text.range(of: marker) else { return text }
            return String(text[r.upperBound...])
        }
        if let i = site(after: "no answer to IKE_SA_INIT for '") {
            markFailed(i, "init_timeout", "no answer to IKE_SA_INIT")
        } else if let i = site(after: "cannot start an IKE SA for '") {
            markFailed(i, "init_refused", "IKE_SA_INIT: " + tail(after: "': "))
        } else if text.contains("IKE_AUTH as initiator failed"), let c = current, let i = index[c] {
            markFailed(i, "auth_failed", "IKE_AUTH: " + tail(after: "failed: "))
        } else if text.contains("IKE_AUTH not sent"), let c = current, let i = index[c] {
            markFailed(i, "auth_not_sent", "IKE_AUTH not sent: " + tail(after: "not sent: "))
        } else if text.contains("no CHILD SA"), let c = current, let i = index[c] {
            markFailed(i, "child_refused", "CHILD SA: " + tail(after: "no CHILD SA: "))
        } else if !text.contains("does not answer") {
            failureDetails["(other warning) " + text, default: 0] += 1
        }
    }

    // MARK: I/O

    func send(_ out: [IKEDatagram]) { for d in out { sockets.send(d) } }

    /// Everything waiting on both sockets, up to `limit` each, through the engine.
    func drain(limit: Int = 512) {
        for fd in [sockets.fd500, sockets.fd4500] {
            var n = 0
            while n < limit, let d = sockets.receive(fd) {
                n += 1
                current = d.bytes.count >= 8 ? d.bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
                send(engine.receive(d, now: Clock.now()))
                current = nil
            }
        }
    }

    var lastTick: UInt64 = 0
    var lastSweep: UInt64 = 0
    /// Low-water mark: sites below it have an outcome.
    var settled = 0

    func tickIfDue(_ now: UInt64) {
        if now - lastTick >= 100_000_000 {   // the engine's timers: every 100 ms
            lastTick = now
            send(engine.tick(now: IKETime(nanoseconds: now)))
        }
        if now - lastSweep >= 500_000_000 {
            lastSweep = now
            let limit = UInt64(o.tunnelTimeout * 1e9)
            while settled < o.count, state[settled] != .idle, state[settled] != .active { settled += 1 }
            var i = settled
            while i < o.count, state[i] != .idle {
                if state[i] == .active, now - startedAt[i] > limit { markFailed(i, "timeout", "no outcome within --tunnel-timeout") }
                i += 1
            }
        }
    }

    func start(_ i: Int) {
        let now = Clock.nanoseconds()
        if firstStart == 0 { firstStart = now }
        startedAt[i] = now
        state[i] = .active
        inFlight += 1
        do {
            let out = try engine.initiate(vpn: LoadConfig.siteName(i), now: IKETime(nanoseconds: now))
            if let first = out.first, first.bytes.count >= 8 {
                let spi = first.bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                ikeID[i] = spi
                index[spi] = i
            }
            send(out)
        } catch {
            markFailed(i, "initiate_error", "initiate: \(error)")
        }
    }

    /// Serve I/O and timers for up to `seconds`, or until `until` says stop.
    func serve(seconds: Double, until: () -> Bool) {
        let end = Clock.nanoseconds() + UInt64(seconds * 1e9)
        while Clock.nanoseconds() < end, !until() {
            let (a, b) = sockets.wait(timeoutMs: 50)
            if a || b { drain() }
            tickIfDue(Clock.nanoseconds())
        }
    }

    // MARK: Phases

    struct Phase { var started: UInt64; var ended: UInt64 }

    func setup() -> Phase {
        let t0 = Clock.nanoseconds()
        let deadline = t0 + UInt64(o.timeout * 1e9)
        var next = 0
        while up + failed < o.count {
            var now = Clock.nanoseconds()
            if now > deadline { break }
            var startedNow = 0
            var waitMs: Int32 = 50
            while next < o.count, inFlight < o.window, startedNow < 32 {
                if o.rate > 0 {
                    let due = t0 + UInt64(Double(next) / o.rate * 1e9)
                    if now < due {
                        waitMs = min(waitMs, Int32((due - now) / 1_000_000))
                        break
                    }
                }
                start(next)
                next += 1
                startedNow += 1
                now = Clock.nanoseconds()
            }
            if next < o.count, inFlight < o.window, o.rate == 0 || startedNow == 32 { waitMs = 0 }
            let (a, b) = sockets.wait(timeoutMs: waitMs)
            if a || b { drain() }
            tickIfDue(Clock.nanoseconds())
        }
        // Whatever is still negotiating at the deadline.
        for i in 0..<o.count where state[i] == .active { markFailed(i, "pending_at_deadline", "still negotiating at --timeout") }
        for i in next..<o.count where state[i] == .idle {
            state[i] = .failed
            failed += 1
            failures["not_started", default: 0] += 1
        }
        return Phase(started: firstStart, ended: Clock.nanoseconds())
    }

    func teardown() -> Phase {
        let targets = (0..<o.count).filter { state[$0] == .up }
        let t0 = Clock.nanoseconds()
        let deadline = t0 + UInt64(o.timeout * 1e9)
        lastDeleted = t0
        var next = 0
        while deleted + deleteFailed < targets.count {
            var now = Clock.nanoseconds()
            if now > deadline { break }
            var startedNow = 0
            var waitMs: Int32 = 50
            while next < targets.count, deleting < o.window, startedNow < 32 {
                if o.rate > 0 {
                    let due = t0 + UInt64(Double(next) / o.rate * 1e9)
                    if now < due { waitMs = min(waitMs, Int32((due - now) / 1_000_000)); break }
                }
                let i = targets[next]
                next += 1
                startedNow += 1
                state[i] = .deleting
                deleting += 1
                let out = engine.terminate(ikeSA: ikeID[i], now: IKETime(nanoseconds: now))
                send(out)
                if out.isEmpty, state[i] == .deleting {   // the engine no longer had it (no event came)
                    state[i] = .deleteFailed
                    deleting -= 1
                    deleteFailed += 1
                    deleteFailures["no such IKE SA", default: 0] += 1
                }
                now = Clock.nanoseconds()
            }
            if next < targets.count, deleting < o.window, o.rate == 0 || startedNow == 32 { waitMs = 0 }
            let (a, b) = sockets.wait(timeoutMs: waitMs)
            if a || b { drain() }
            tickIfDue(Clock.nanoseconds())
        }
        return Phase(started: t0, ended: lastDeleted)
    }

    // MARK: Report

    func run() -> Int32 {
        let rss0 = ProcessStats.rssKiB(), cpu0 = ProcessStats.cpuSeconds()
        let s = setup()
        let cpu1 = ProcessStats.cpuSeconds(), rss1 = ProcessStats.rssKiB()
        let elapsed = lastUp > s.started ? Clock.seconds(s.started, lastUp) : 0
        let rate = elapsed > 0 ? Double(up) / elapsed : 0
        latenciesMs.sort()
        let c = engine.counters
        print("setup: \(up)/\(o.count) tunnels up in \(fmt(elapsed)) s: \(fmt(rate, 1)) tunnels/s "
              + "(window \(o.window), rate \(o.rate == 0 ? "unlimited" : fmt(o.rate, 0) + "/s"), gateway \(o.gateway))")
        print("failures: " + (failures.filter { $0.value > 0 }.isEmpty ? "none"
              : failures.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        for (detail, n) in failureDetails.sorted(by: { $0.value > $1.value }).prefix(8) { print("  \(n) x \(detail)") }
        let reserved = plane.allocated - plane.released - plane.installed
        if reserved > 0 { print("inbound SPIs reserved for failed IKE_AUTHs and never released: \(reserved)") }
        print("retransmits: \(c.retransmitsSent); messages sent \(sockets.sent), received \(sockets.received), send errors \(sockets.sendErrors)")
        print("setup latency: p50 \(fmt(percentile(latenciesMs, 50), 1)) ms, p99 \(fmt(percentile(latenciesMs, 99), 1)) ms, "
              + "max \(fmt(latenciesMs.last ?? 0, 1)) ms")
        let cpuPer = up > 0 ? (cpu1 - cpu0) / Double(up) * 1000 : 0
        let memPer = up > 0 ? Double(rss1 - rss0) * 1024 / Double(up) : 0
        print("load generator: \(fmt(cpu1 - cpu0, 2)) s CPU (\(fmt(cpuPer, 3)) ms per tunnel), "
              + "RSS \(rss0 / 1024) -> \(rss1 / 1024) MiB (\(fmt(memPer, 0)) B per tunnel, initiator side)")
        var kv: [(String, String)] = [
            ("count", "\(o.count)"), ("up", "\(up)"), ("failed", "\(failed)"), ("elapsed_s", fmt(elapsed)),
            ("rate", fmt(rate, 1)), ("window", "\(o.window)"), ("target_rate", fmt(o.rate, 0)),
            ("retransmits", "\(c.retransmitsSent)"), ("p50_ms", fmt(percentile(latenciesMs, 50), 1)),
            ("p99_ms", fmt(percentile(latenciesMs, 99), 1)), ("gen_cpu_s", fmt(cpu1 - cpu0, 2)),
            ("gen_rss_kb_start", "\(rss0)"), ("gen_rss_kb_up", "\(rss1)"), ("installed", "\(plane.installed)"), ("spis_unreleased", "\(plane.allocated - plane.released - plane.installed)"),
        ]
        for (k, v) in failures.sorted(by: { $0.key < $1.key }) where v > 0 { kv.append(("fail_" + k, "\(v)")) }
        print("SETUP " + kv.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        fflush(stdout)
        guard o.teardown else {
            print("RESULT " + kv.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
            return up == o.count ? 0 : 1
        }
        if o.hold > 0 {
            let go = o.goFile
            serve(seconds: o.hold) { go.map { FileManager.default.fileExists(atPath: $0) } ?? false }
        }
        let cpu2 = ProcessStats.cpuSeconds()
        let t = teardown()
        let took = Clock.seconds(t.started, t.ended)
        let drate = took > 0 ? Double(deleted) / took : 0
        print("teardown: \(deleted)/\(up) deleted in \(fmt(took)) s: \(fmt(drate, 1)) tunnels/s; "
              + "\(deleteFailed) unanswered or refused, \(deleting) pending at --timeout; CHILD SAs left \(plane.live)")
        for (r, n) in deleteFailures.sorted(by: { $0.value > $1.value }).prefix(4) { print("  \(n) x \(r)") }
        kv += [("deleted", "\(deleted)"), ("delete_failed", "\(deleteFailed)"), ("delete_pending", "\(deleting)"),
               ("teardown_s", fmt(took)), ("teardown_rate", fmt(drate, 1)),
               ("teardown_cpu_s", fmt(ProcessStats.cpuSeconds() - cpu2, 2)), ("retransmits_total", "\(engine.counters.retransmitsSent)")]
        print("RESULT " + kv.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        return up == o.count && deleted == up ? 0 : 1
    }
}
