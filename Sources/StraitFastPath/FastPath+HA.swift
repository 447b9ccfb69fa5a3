import CFastPath
import StraitCore

/// The HA hooks of `fp_ipsec.h`: an SA's outbound sequence number and inbound replay state, so
/// the active node can sync them and a standby can continue an SA where the active stopped.
extension FastPath {
    /// Inbound replay state: the highest authenticated sequence number, the window (packets)
    /// and its bitmap (bit 0 of word 0 = top, as fp_replay_state_t).
    public struct ReplayState: Equatable, Sendable {
        public var top: UInt64
        public var window: UInt32
        public var bitmap: [UInt64]
        public init(top: UInt64, window: UInt32, bitmap: [UInt64]) {
            self.top = top
            self.window = window
            self.bitmap = bitmap
        }
    }

    /// Outbound: the last sequence number used.
    public func outboundSeq(_ handle: Int) throws -> UInt64 {
        var seq: UInt64 = 0
        let rc = lock.withLock { fp_sa_get_seq(Int32(handle), &seq) }
        if rc != 0 { throw Error(message: "SA \(handle): sequence number: \(Self.errnoText(rc))") }
        return seq
    }

    /// Outbound: the next packet uses `seq + 1` (a 32-bit SA refuses more than 2^32 - 1).
    public func setOutboundSeq(_ handle: Int, _ seq: UInt64) throws {
        let rc = lock.withLock { fp_sa_set_seq(Int32(handle), seq) }
        if rc != 0 { throw Error(message: "SA \(handle): set sequence number: \(Self.errnoText(rc))") }
    }

    /// Many SAs' outbound sequence numbers and inbound replay tops in one call (one lock, no
    /// per-SA allocation): `outSeq[i]` of `outbound[i]`, `inTop[i]` of `inbound[i]`,
    /// `UInt64.max` where a handle names no SA. The arrays are resized to `outbound.count`;
    /// pass the same ones every tick so they are not reallocated. An HA active calls this every
    /// tick over all its SAs and `replayState` only for the ones that moved.
    public func peekSequences(outbound: [Int32], inbound: [Int32], outSeq: inout [UInt64], inTop: inout [UInt64]) {
        precondition(outbound.count == inbound.count)
        let n = outbound.count
        if outSeq.count != n { outSeq = [UInt64](repeating: 0, count: n) }
        if inTop.count != n { inTop = [UInt64](repeating: 0, count: n) }
        guard n > 0 else { return }
        outbound.withUnsafeBufferPointer { o in
            inbound.withUnsafeBufferPointer { i in
                outSeq.withUnsafeMutableBufferPointer { s in
                    inTop.withUnsafeMutableBufferPointer { t in
                        _ = lock.withLock { fp_sa_seq_peek_bulk(o.baseAddress, i.baseAddress, UInt32(n), s.baseAddress, t.baseAddress) }
                    }
                }
            }
        }
    }

    public func replayState(_ handle: Int) throws -> ReplayState {
        var state = fp_replay_state_t()
        let rc = lock.withLock { fp_sa_get_replay(Int32(handle), &state) }
        if rc != 0 { throw Error(message: "SA \(handle): replay state: \(Self.errnoText(rc))") }
        let words = Int(state.window) / 64
        let bitmap = withUnsafeBytes(of: state.bitmap) { Array($0.bindMemory(to: UInt64.self).prefix(words)) }
        return ReplayState(top: state.top, window: state.window, bitmap: bitmap)
    }

    /// Only on an SA installed inactive, with the window it was installed with.
    public func setReplayState(_ handle: Int, _ s: ReplayState) throws {
        var state = fp_replay_state_t()
        state.top = s.top
        state.window = s.window
        withUnsafeMutableBytes(of: &state.bitmap) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for (i, w) in s.bitmap.prefix(words.count).enumerated() { words[i] = w }
        }
        let rc = lock.withLock { fp_sa_set_replay(Int32(handle), &state) }
        if rc != 0 { throw Error(message: "SA \(handle): set replay state: \(Self.errnoText(rc))") }
    }
}
