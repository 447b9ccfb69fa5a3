import StraitCore
@testable import StraitHASync

enum Fx {
    static func secret(_ n: Int, _ seed: UInt8) -> HASecret { HASecret((0..<n).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0) }) }

    static func ike(id: UInt64 = 0x1122_3344_5566_7788, v6: Bool = false) -> HAIKESAState {
        let local = HAEndpoint(IPAddress(v6 ? "2001:db8::1" : "192.0.2.1")!, 4500)
        let remote = HAEndpoint(IPAddress(v6 ? "2001:db8::2" : "198.51.100.7")!, 4500)
        var s = HAIKESAState(
            id: id, vpn: "sites", initiator: false, spiI: 0xAAAA_BBBB_CCCC_DDDD, spiR: id, local: local, remote: remote,
            localID: HAIdentity(type: 2, data: Array("gw.example.net".utf8)), remoteID: HAIdentity(type: 3, data: Array("site-a@example.net".utf8)),
            algorithms: HAIKEAlgorithms(encryption: 20, encryptionKeyBits: 256, integrity: 0, prf: 5, dhGroup: 31),
            keys: HAIKEKeys(skD: secret(32, 1), skAi: HASecret([]), skAr: HASecret([]), skEi: secret(36, 2), skEr: secret(36, 3),
                            skPi: secret(32, 4), skPr: secret(32, 5)),
            nextRequestID: 3, nextExpectedRequest: 7, takenAtWallMs: 1_700_000_000_123)
        s.version = 9
        s.natLocal = true
        s.mobike = true
        s.messageIDSync = true
        s.lastResponseID = 6
        s.lastResponse = [[1, 2, 3], Array(repeating: 0xEE, count: 300)]
        s.deadlines = HADeadlines(rekeyInMs: 3_600_000, expireInMs: nil, reauthInMs: 86_400_000)
        return s
    }

    static func child(ike: UInt64 = 0x1122_3344_5566_7788, spi: UInt32 = 0xC000_0001, esn: Bool = true) -> HAChildSAState {
        var c = HAChildSAState(
            ikeSA: ike, name: "sites/lan#1", inboundSPI: spi, outboundSPI: 0xDEAD_0000 | (spi & 0xFFFF), encryption: 20, keyBits: 256,
            icvLength: 16, inboundKey: secret(36, 7), outboundKey: secret(36, 8), esn: esn, replayWindow: 1024,
            local: IPAddress("192.0.2.1")!, remote: IPAddress("198.51.100.7")!, udpEncapsulation: (4500, 31_000),
            localTS: [IPPrefix("10.1.0.0/16")!], remoteTS: [IPPrefix("10.2.0.0/16")!, IPPrefix("2001:db8:2::/48")!],
            takenAtWallMs: 1_700_000_000_456)
        c.version = 4
        c.softBytes = 1 << 30
        c.hardPackets = 1 << 40
        c.deadlines = HADeadlines(rekeyInMs: 1000, expireInMs: 2000)
        return c
    }

    static func allMessages() -> [HASyncMessage] {
        let c = child()
        return [
            .hello(HAHello(nodeID: 1, role: .active, nonce: Array(repeating: 7, count: 32))),
            .handshakeConfirm(transcript: Array(repeating: 9, count: 32)),
            .heartbeat(HAHeartbeat(nodeID: 2, role: .standby, sequence: 99, ikeSAs: 10, childSAs: 20, needsResync: true)),
            .ikeSAUpsert(ike()),
            .ikeSAUpsert(ike(id: 5, v6: true)),
            .ikeSADelete(id: 5, version: 11),
            .childSAUpsert(c),
            .childSAUpsert(child(spi: 0xC000_0002, esn: false)),
            .childSADelete(ikeSA: 5, child: c.key, version: 12),
            .seqState([HASeqState(child: c.key, outboundSeq: 1 << 33, inboundTop: 77, window: 128, bitmap: [0xFFFF, 1]),
                       HASeqState(child: HAChildKey(inboundSPI: 1, outboundSPI: 2), outboundSeq: 5, inboundTop: 0)]),
            .bulkResyncRequest(reason: .overflow),
            .bulkBegin(generation: 3, ikeSAs: 1000, childSAs: 2000),
            .bulkEnd(generation: 3),
        ]
    }
}

/// A small deterministic generator, so a failing fuzz run can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
