/// The sync wire format. Every message: an 8-byte header, then the body.
///
///     0       1       2       3       4               8
///     | 'S'   | 'Y'   |version| type  | body length (u32) | body ...
///
/// Integers are big-endian; variable fields carry a 16-bit length; lists a 16-bit count.
/// Decoding is strict: a short buffer is `truncated`, an unknown type `unknownType`, a body
/// length past `HALimits.maxMessage` `tooBig`, and a body not consumed exactly `badLength`.
public enum HASyncCodec {
    public static let version: UInt8 = 1
    public static let headerLength = 8
    static let magic: (UInt8, UInt8) = (0x53, 0x59)

    public static func encode(_ m: HASyncMessage) -> [UInt8] {
        var body = HAWriter()
        encodeBody(m, into: &body)
        var w = HAWriter()
        w.u8(magic.0); w.u8(magic.1); w.u8(version); w.u8(m.type.rawValue)
        w.u32(UInt32(body.bytes.count))
        w.bytes += body.bytes
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> HASyncMessage {
        var r = HAReader(bytes)
        let m0 = try r.u8(), m1 = try r.u8(), v = try r.u8(), t = try r.u8()
        guard m0 == magic.0, m1 == magic.1, v == version else { throw HASyncError(.badVersion, "magic/version \(m0) \(m1) \(v)") }
        let length = Int(try r.u32())
        guard length <= HALimits.maxMessage else { throw HASyncError(.tooBig, "body of \(length) bytes") }
        guard let type = HAMessageType(rawValue: t) else { throw HASyncError(.unknownType, "type \(t)") }
        guard length <= r.remaining else { throw HASyncError(.truncated, "body of \(length) bytes, \(r.remaining) here") }
        guard length == r.remaining else { throw HASyncError(.badLength, "\(r.remaining - length) bytes after the body") }
        var body = HAReader(bytes, offset: headerLength, end: headerLength + length)
        let m = try decodeBody(type, &body)
        guard body.remaining == 0 else { throw HASyncError(.badLength, "\(body.remaining) bytes left in a \(type) body") }
        return m
    }

    static func encodeBody(_ m: HASyncMessage, into w: inout HAWriter) {
        switch m {
        case .hello(let h):
            w.u32(h.nodeID); w.u8(h.role.rawValue); w.blob(h.nonce)
        case .handshakeConfirm(let t):
            w.blob(t)
        case .heartbeat(let h):
            w.u32(h.nodeID); w.u8(h.role.rawValue); w.u64(h.sequence); w.u32(h.ikeSAs); w.u32(h.childSAs); w.bool(h.needsResync)
            w.u8(h.vrrpPriority)
        case .ikeSAUpsert(let s):
            encodeIKE(s, &w)
        case .ikeSADelete(let id, let version):
            w.u64(id); w.u64(version)
        case .childSAUpsert(let c):
            encodeChild(c, &w)
        case .childSADelete(let ike, let child, let version):
            w.u64(ike); w.u32(child.inboundSPI); w.u32(child.outboundSPI); w.u64(version)
        case .seqState(let states):
            w.u16(UInt16(clamping: states.count))
            for s in states.prefix(Int(UInt16.max)) {
                w.u32(s.child.inboundSPI); w.u32(s.child.outboundSPI); w.u64(s.outboundSeq); w.u64(s.inboundTop)
                w.u32(s.window); w.u16(UInt16(clamping: s.bitmap.count))
                for word in s.bitmap.prefix(Int(UInt16.max)) { w.u64(word) }
            }
        case .bulkResyncRequest(let reason):
            w.u8(reason.rawValue)
        case .bulkBegin(let g, let ike, let child):
            w.u64(g); w.u32(ike); w.u32(child)
        case .bulkEnd(let g):
            w.u64(g)
        }
    }

    static func decodeBody(_ type: HAMessageType, _ r: inout HAReader) throws -> HASyncMessage {
        switch type {
        case .hello:
            return .hello(HAHello(nodeID: try r.u32(), role: try role(r.u8()), nonce: try r.blob(max: 64)))
        case .handshakeConfirm:
            return .handshakeConfirm(transcript: try r.blob(max: 64))
        case .heartbeat:
            return .heartbeat(HAHeartbeat(nodeID: try r.u32(), role: try role(r.u8()), sequence: try r.u64(), ikeSAs: try r.u32(),
                                          childSAs: try r.u32(), needsResync: try r.bool(),
                                          vrrpPriority: r.remaining > 0 ? try r.u8() : 0))
        case .ikeSAUpsert:
            return .ikeSAUpsert(try decodeIKE(&r))
        case .ikeSADelete:
            return .ikeSADelete(id: try r.u64(), version: try r.u64())
        case .childSAUpsert:
            return .childSAUpsert(try decodeChild(&r))
        case .childSADelete:
            return .childSADelete(ikeSA: try r.u64(), child: HAChildKey(inboundSPI: try r.u32(), outboundSPI: try r.u32()),
                                  version: try r.u64())
        case .seqState:
            let n = Int(try r.u16())
            guard n * 30 <= r.remaining else { throw HASyncError(.badLength, "\(n) seq states in \(r.remaining) bytes") }
            var out: [HASeqState] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let key = HAChildKey(inboundSPI: try r.u32(), outboundSPI: try r.u32())
                let oseq = try r.u64(), top = try r.u64(), window = try r.u32()
                let words = Int(try r.u16())
                guard words <= HALimits.maxBitmapWords else { throw HASyncError(.tooBig, "\(words) bitmap words") }
                let bitmap = try (0..<words).map { _ in try r.u64() }
                out.append(HASeqState(child: key, outboundSeq: oseq, inboundTop: top, window: window, bitmap: bitmap))
            }
            return .seqState(out)
        case .bulkResyncRequest:
            let v = try r.u8()
            guard let reason = HAResyncReason(rawValue: v) else { throw HASyncError(.badValue, "resync reason \(v)") }
            return .bulkResyncRequest(reason: reason)
        case .bulkBegin:
            return .bulkBegin(generation: try r.u64(), ikeSAs: try r.u32(), childSAs: try r.u32())
        case .bulkEnd:
            return .bulkEnd(generation: try r.u64())
        }
    }

    static func role(_ v: UInt8) throws -> HANodeRole {
        guard let r = HANodeRole(rawValue: v) else { throw HASyncError(.badValue, "role \(v)") }
        return r
    }

    // Flag bits of an IKE SA.
    private static let fInitiator: UInt8 = 1, fNatLocal: UInt8 = 2, fNatRemote: UInt8 = 4, fFrag: UInt8 = 8, fMobike: UInt8 = 16
    private static let fLastResponse: UInt8 = 32, fMessageIDSync: UInt8 = 64

    static func encodeIKE(_ s: HAIKESAState, _ w: inout HAWriter) {
        w.u64(s.id); w.u64(s.version); w.string(s.vpn)
        var flags: UInt8 = 0
        if s.initiator { flags |= fInitiator }
        if s.natLocal { flags |= fNatLocal }
        if s.natRemote { flags |= fNatRemote }
        if s.fragmentation { flags |= fFrag }
        if s.mobike { flags |= fMobike }
        if s.lastResponseID != nil { flags |= fLastResponse }
        if s.messageIDSync { flags |= fMessageIDSync }
        w.u8(flags)
        w.u64(s.spiI); w.u64(s.spiR); w.endpoint(s.local); w.endpoint(s.remote)
        w.u8(s.localID.type); w.blob(s.localID.data); w.u8(s.remoteID.type); w.blob(s.remoteID.data)
        let a = s.algorithms
        w.u16(a.encryption); w.u16(a.encryptionKeyBits); w.u16(a.integrity); w.u16(a.prf); w.u16(a.dhGroup)
        for k in [s.keys.skD, s.keys.skAi, s.keys.skAr, s.keys.skEi, s.keys.skEr, s.keys.skPi, s.keys.skPr] { w.secret(k) }
        w.u32(s.nextRequestID); w.u32(s.nextExpectedRequest)
        if let id = s.lastResponseID {
            w.u32(id); w.u8(UInt8(clamping: s.lastResponse.count))
            for d in s.lastResponse.prefix(HALimits.maxDatagrams) { w.blob(d) }
        }
        w.i64(s.takenAtWallMs); deadlines(s.deadlines, &w)
    }

    static func decodeIKE(_ r: inout HAReader) throws -> HAIKESAState {
        let id = try r.u64(), version = try r.u64(), vpn = try r.string(max: 256)
        let flags = try r.u8()
        // Bit 64 (RFC 6311) came later: a node without it refuses such an SA as badValue.
        guard flags < 128 else { throw HASyncError(.badValue, "IKE SA flags \(flags)") }
        let spiI = try r.u64(), spiR = try r.u64(), local = try r.endpoint(), remote = try r.endpoint()
        let lid = HAIdentity(type: try r.u8(), data: try r.blob()), rid = HAIdentity(type: try r.u8(), data: try r.blob())
        let alg = HAIKEAlgorithms(encryption: try r.u16(), encryptionKeyBits: try r.u16(), integrity: try r.u16(), prf: try r.u16(),
                                  dhGroup: try r.u16())
        let keys = HAIKEKeys(skD: try r.secret(), skAi: try r.secret(), skAr: try r.secret(), skEi: try r.secret(),
                             skEr: try r.secret(), skPi: try r.secret(), skPr: try r.secret())
        var s = HAIKESAState(id: id, vpn: vpn, initiator: flags & fInitiator != 0, spiI: spiI, spiR: spiR, local: local, remote: remote,
                             localID: lid, remoteID: rid, algorithms: alg, keys: keys, nextRequestID: try r.u32(),
                             nextExpectedRequest: try r.u32(), takenAtWallMs: 0)
        s.version = version
        s.natLocal = flags & fNatLocal != 0
        s.natRemote = flags & fNatRemote != 0
        s.fragmentation = flags & fFrag != 0
        s.mobike = flags & fMobike != 0
        s.messageIDSync = flags & fMessageIDSync != 0
        if flags & fLastResponse != 0 {
            s.lastResponseID = try r.u32()
            let n = Int(try r.u8())
            guard n <= HALimits.maxDatagrams else { throw HASyncError(.tooBig, "\(n) datagrams") }
            s.lastResponse = try (0..<n).map { _ in try r.blob() }
        }
        s.takenAtWallMs = try r.i64()
        s.deadlines = try deadlines(&r)
        return s
    }

    static func encodeChild(_ c: HAChildSAState, _ w: inout HAWriter) {
        w.u64(c.ikeSA); w.u64(c.version); w.string(c.name); w.u32(c.inboundSPI); w.u32(c.outboundSPI)
        w.u16(c.encryption); w.u16(c.keyBits); w.u8(c.icvLength); w.secret(c.inboundKey); w.secret(c.outboundKey)
        w.bool(c.esn); w.u32(c.replayWindow); w.address(c.local); w.address(c.remote)
        if let u = c.udpEncapsulation { w.u8(1); w.u16(u.local); w.u16(u.remote) } else { w.u8(0) }
        w.prefixes(c.localTS); w.prefixes(c.remoteTS)
        w.u64(c.softBytes); w.u64(c.hardBytes); w.u64(c.softPackets); w.u64(c.hardPackets)
        w.i64(c.takenAtWallMs); deadlines(c.deadlines, &w)
    }

    static func decodeChild(_ r: inout HAReader) throws -> HAChildSAState {
        let ike = try r.u64(), version = try r.u64(), name = try r.string(max: 256)
        let inSPI = try r.u32(), outSPI = try r.u32(), enc = try r.u16(), bits = try r.u16(), icv = try r.u8()
        let inKey = try r.secret(), outKey = try r.secret(), esn = try r.bool(), window = try r.u32()
        let local = try r.address(), remote = try r.address()
        let encap: (local: UInt16, remote: UInt16)? = try r.bool() ? (try r.u16(), try r.u16()) : nil
        var c = HAChildSAState(ikeSA: ike, name: name, inboundSPI: inSPI, outboundSPI: outSPI, encryption: enc, keyBits: bits,
                               icvLength: icv, inboundKey: inKey, outboundKey: outKey, esn: esn, replayWindow: window, local: local,
                               remote: remote, udpEncapsulation: encap, localTS: try r.prefixes(), remoteTS: try r.prefixes(),
                               takenAtWallMs: 0)
        c.version = version
        c.softBytes = try r.u64(); c.hardBytes = try r.u64(); c.softPackets = try r.u64(); c.hardPackets = try r.u64()
        c.takenAtWallMs = try r.i64()
        c.deadlines = try deadlines(&r)
        return c
    }

    static func deadlines(_ d: HADeadlines, _ w: inout HAWriter) { w.optI64(d.rekeyInMs); w.optI64(d.expireInMs); w.optI64(d.reauthInMs) }
    static func deadlines(_ r: inout HAReader) throws -> HADeadlines {
        HADeadlines(rekeyInMs: try r.optI64(), expireInMs: try r.optI64(), reauthInMs: try r.optI64())
    }
}
