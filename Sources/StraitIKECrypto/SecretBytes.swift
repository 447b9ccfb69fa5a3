// Key material (SKEYSEED, SK_*, g^ir, DH private exponents, PSKs, cookie secrets).
//
// Why a class underneath: a Swift Array may be copied, moved or resized by the runtime and its
// old buffers are never cleared, so there is no reliable way to wipe one. SecretBytes owns one
// heap buffer that is never reallocated and is wiped with OPENSSL_cleanse (through the C shim,
// so the optimiser cannot drop the store) when the last copy of the value goes away.
// Copies of a SecretBytes share that buffer; it is never mutated after initialisation, which is
// what makes the value Sendable.
//
// It cannot stop every copy: swift-crypto's HMAC output structs and the peer's bytes in a
// received message are outside our control. SymmetricKey, where we hand keys to swift-crypto,
// wipes its own storage.
//
// Never printed: description, debugDescription and the mirror all say "<redacted>", so a
// stray `print(keys)` or a log line with string interpolation shows nothing.

import CIKEBignum
import Foundation

public struct SecretBytes: Sendable {
    final class Storage: @unchecked Sendable {
        let pointer: UnsafeMutableRawBufferPointer
        let count: Int

        init(count: Int) {
            precondition(count >= 0, "negative secret length")
            self.count = count
            // Allocate at least one byte so baseAddress is never nil.
            self.pointer = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
            self.pointer.initializeMemory(as: UInt8.self, repeating: 0)
        }

        deinit {
            ike_secure_zero(pointer.baseAddress, pointer.count)
            #if DEBUG
            Storage.wipeObserver?(UnsafeRawBufferPointer(rebasing: pointer[0..<count]))
            #endif
            pointer.deallocate()
        }

        #if DEBUG
        /// Tests only: sees each buffer after the wipe, before it is freed.
        nonisolated(unsafe) static var wipeObserver: ((UnsafeRawBufferPointer) -> Void)?
        #endif
    }

    let storage: Storage

    /// The number of octets.
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }

    /// A secret of `count` octets filled in by `body`, which gets the buffer exactly once.
    init(count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let storage = Storage(count: count)
        try body(UnsafeMutableRawBufferPointer(rebasing: storage.pointer[0..<count]))
        self.storage = storage
    }

    /// Copies the octets of `bytes`. The caller still owns (and should drop) its own copy.
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// Copies any contiguous bytes (a SymmetricKey, a SharedSecret, an HMAC output...).
    public init(copyingBytesOf bytes: some ContiguousBytes) {
        let storage: Storage = bytes.withUnsafeBytes { source in
            let storage = Storage(count: source.count)
            if source.count > 0 {
                storage.pointer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
            return storage
        }
        self.storage = storage
    }

    /// `count` octets from OpenSSL's private DRBG.
    public init(randomCount count: Int) throws {
        var failed = false
        self.init(count: count) { buffer in
            if count > 0 && ike_random_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count) != 0 {
                failed = true
            }
        }
        if failed { throw IKECryptoError(.randomFailure, "RAND_priv_bytes failed") }
    }

    /// Read access to the octets. Do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage.pointer[0..<storage.count]))
    }

    /// The octets `range` as a new secret (used to cut prf+ output into SK_* keys).
    public func slice(_ range: Range<Int>) -> SecretBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "secret slice out of range")
        return SecretBytes(count: range.count) { buffer in
            if range.count > 0 {
                buffer.baseAddress!.copyMemory(from: storage.pointer.baseAddress! + range.lowerBound,
                                               byteCount: range.count)
            }
        }
    }

    /// Equality whose time depends only on the lengths (CRYPTO_memcmp).
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return ike_constant_time_equal(storage.pointer.baseAddress, other.storage.pointer.baseAddress, count) == 1
    }

    /// A plain array copy, for tests only: it defeats the point of this type.
    var unprotectedArrayForTesting: [UInt8] { withUnsafeBytes { Array($0) } }
}

// Lets a SecretBytes go straight into SymmetricKey(data:) and into PRF inputs.
extension SecretBytes: ContiguousBytes {}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Constant-time equality of two byte strings (ICVs, AUTH values, cookies). Different lengths
/// compare unequal at once: lengths are public in every place this is used.
func constantTimeEqual(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
    a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in
            pa.count == pb.count && ike_constant_time_equal(pa.baseAddress, pb.baseAddress, pa.count) == 1
        }
    }
}

/// Public random octets (IVs, nonces, SPIs) from OpenSSL's DRBG.
public func randomBytes(_ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    guard count == 0 || ike_random_bytes(&bytes, count) == 0 else {
        throw IKECryptoError(.randomFailure, "RAND_priv_bytes failed")
    }
    return bytes
}
