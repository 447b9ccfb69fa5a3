import StraitCore

/// The last answer of each IKE SA the peer deleted, kept for a while after the SA is gone.
///
/// RFC 7296 2.1: a responder answers a retransmitted request with the answer it sent before.
/// Once a Delete of the IKE SA is answered there is no SA left to hold that answer, so a lost
/// answer would leave the peer retransmitting into nothing until it gives up (strongSwan: about
/// 165 s in DELETING). That answer is not always lost on the wire: strongSwan 5.9.8 drops a
/// message that carries the same message ID as the one it is processing on that IKE SA, so our
/// answer to its Delete (its request 0) is dropped when it arrives while strongSwan works on our
/// own request 0 that crossed it (our rekey, which it refuses as it is deleting).
///
/// Entries leave after `hold`, which covers a peer's first retransmits (4, 11 and 24 s at
/// strongSwan's defaults). At most `limit` are kept: past that (a peer box with 10k SAs going
/// away at once) a Delete is answered but not kept, as before there was this.
struct ClosedSAAnswers {
    struct Entry {
        var spiI: UInt64
        var spiR: UInt64
        var remote: IKEEndpoint
        var messageID: UInt32
        var datagrams: [[UInt8]]
        var until: IKETime
    }

    static let hold = Duration.seconds(60)
    static let limit = 16_384

    private var byOurSPI: [UInt64: Entry] = [:]
    /// The next sweep for expired entries: once a second at most, not on every tick.
    private var nextSweep: IKETime?

    var count: Int { byOurSPI.count }

    mutating func remember(ourSPI: UInt64, _ entry: Entry) {
        guard byOurSPI.count < Self.limit else { return }
        byOurSPI[ourSPI] = entry
        if nextSweep == nil { nextSweep = entry.until }
    }

    /// The answer to send again for a request on an IKE SA that is gone; nil: not one of ours.
    func answer(ourSPI: UInt64, spiI: UInt64, spiR: UInt64, messageID: UInt32, from remote: IKEEndpoint, now: IKETime) -> [[UInt8]]? {
        guard let e = byOurSPI[ourSPI], now < e.until, e.spiI == spiI, e.spiR == spiR, e.messageID == messageID,
              e.remote.address == remote.address else { return nil }
        return e.datagrams
    }

    mutating func expire(now: IKETime) {
        guard let due = nextSweep, now >= due else { return }
        byOurSPI = byOurSPI.filter { now < $0.value.until }
        nextSweep = byOurSPI.isEmpty ? nil : now + .seconds(1)
    }
}
