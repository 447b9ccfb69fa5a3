// libFuzzer target for the IKEv2 codec (StraitIKEWire), built by Tests/fuzz/ike/run.sh with
// -sanitize=fuzzer,address. Every input is tried two ways:
//   1. as a whole IKE message: IKEMessage.decode, IKEMessage.encryptedPayloadLocation;
//   2. as an inner (decrypted SK) chain: first byte = first payload type, the rest = plaintext.
// Whatever decodes must re-encode to something that decodes to the same value; a message that decodes
// must agree with encryptedPayloadLocation about its SK/SKF payload. A broken invariant aborts (a crash
// for libFuzzer). STRAIT_FUZZ_EXPECT_MESSAGES=1 also aborts on an input that is not a valid message (run.sh
// checks the message seeds that way); STRAIT_FUZZ_STATS=1 prints counts at exit.
import StraitIKEWire
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var inputs = 0
nonisolated(unsafe) var messagesDecoded = 0
nonisolated(unsafe) var chainsDecoded = 0
nonisolated(unsafe) var expectMessages = false

func fail(_ what: String) -> Never {
    fputs("fuzz: invariant broken: \(what)\n", stderr)
    abort()
}

func checkMessage(_ bytes: [UInt8]) {
    let location = Result { try IKEMessage.encryptedPayloadLocation(in: bytes) }
    let m: IKEMessage
    do {
        m = try IKEMessage.decode(bytes)
    } catch {
        if expectMessages { fail("a seed message does not decode: \(error)") }
        return
    }
    messagesDecoded += 1
    let encoded = m.encode()
    guard encoded.count == bytes.count else { fail("re-encoded length \(encoded.count) != \(bytes.count)") }
    guard let again = try? IKEMessage.decode(encoded), again == m else { fail("message does not survive re-encoding") }
    let hasSK = m.payloads.contains { if case .encrypted = $0 { return true }; if case .encryptedFragment = $0 { return true }; return false }
    switch (location, hasSK) {
    case (.success(.some(let l)), true):
        guard l.end == bytes.count, l.contentOffset <= l.end else { fail("SK location out of the message") }
    case (.success(.none), false): break
    default: fail("encryptedPayloadLocation disagrees with decode (SK: \(hasSK), location: \(String(describing: location)))")
    }
}

func checkChain(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let plain = Array(bytes.dropFirst())
    guard let payloads = try? IKEMessage.decodePayloads(firstType: PayloadType(first), bytes: plain) else { return }
    chainsDecoded += 1
    let again = IKEMessage.encodePayloads(payloads)
    guard again.bytes.count == plain.count else { fail("re-encoded chain length \(again.bytes.count) != \(plain.count)") }
    guard let decoded = try? IKEMessage.decodePayloads(firstType: again.firstType, bytes: again.bytes), decoded == payloads
    else { fail("chain does not survive re-encoding") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    inputs += 1
    checkMessage(bytes)
    checkChain(bytes)
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInit(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if let v = getenv("STRAIT_FUZZ_STATS"), String(cString: v) == "1" {
        atexit {
            print("fuzz stats: \(inputs) inputs, \(messagesDecoded) messages decoded, \(chainsDecoded) chains decoded")
        }
    }
    if let v = getenv("STRAIT_FUZZ_EXPECT_MESSAGES"), String(cString: v) == "1" { expectMessages = true }
    if let dir = getenv("STRAIT_FUZZ_WRITE_SEEDS") {
        exit(writeSeeds(to: String(cString: dir)) ? 0 : 1)
    }
    return 0
}
