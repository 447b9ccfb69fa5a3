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
/// Entries leave after `hold` (which covers a peer's first retransmits: 4, 11 and 24 s at
/// strongSwan's defaults) or, the oldest first, beyond `limit` entries. Bounded: mass deletes
/// (a peer box restarting with 10k SAs) cost at most `limit` small entries.
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

    private(set) var byOurSPI: [UInt64: Entry] = [:]
    /// Our SPIs in the order they were added (their `until` is in the same order).
    private var order: [UInt64] = []
    private var head = 0

    var count: Int { byOurSPI.count }

    mutating func remember(ourSPI: UInt64, _ entry: Entry) {
        if byOurSPI.updateValue(entry, forKey: ourSPI) == nil { order.append(ourSPI) }
        while byOurSPI.count > Self.limit { dropOldest() }
        compact()
    }

    /// The answer to send again for a request on an IKE SA that is gone; nil: not one of ours.
    func answer(ourSPI: UInt64, spiI: UInt64, spiR: UInt64, messageID: UInt32, from remote: IKEEndpoint) -> [[UInt8]]? {
        guard let e = byOurSPI[ourSPI], e.spiI == spiI, e.spiR == spiR, e.messageID == messageID,
              e.remote.address == remote.address else { return nil }
        return e.datagrams
    }

    mutating func expire(now: IKETime) {
        while head < order.count {
            let spi = order[head]
            guard let e = byOurSPI[spi] else { head += 1; continue }
            guard now >= e.until else { break }
            dropOldest()
        }
        compact()
    }

    private mutating func dropOldest() {
        guard head < order.count else { return }
        byOurSPI.removeValue(forKey: order[head])
        head += 1
    }

    /// The consumed front of `order` goes once it is half of the array.
    private mutating func compact() {
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
