// Stateless COOKIE for IKE_SA_INIT under load (RFC 7296 2.6):
//   Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
// Here: a 4-octet big-endian version, then SHA-256 of the inputs (36 octets; the RFC caps cookies
// at 64). The secret is rotated on a timer so a cookie stops working after at most two periods;
// the previous secret stays valid for one more period "to avoid rejecting valid cookies that were
// issued just before the change" (2.6). Time is injected, so tests (and the caller) decide "now".

import Crypto
import Foundation

public struct CookieGenerator: Sendable {
    public struct Secret: Sendable {
        public let version: UInt32
        let key: SecretBytes
    }

    /// Seconds between rotations.
    public let rotationInterval: UInt64
    public private(set) var current: Secret
    public private(set) var previous: Secret?
    /// When `current` was made, in the caller's clock (seconds).
    public private(set) var currentSince: UInt64

    public init(now: UInt64, rotationInterval: UInt64 = 300) throws {
        try self.init(now: now, rotationInterval: rotationInterval, firstSecret: SecretBytes(randomCount: 32))
    }

    /// A fixed first secret, for tests.
    init(now: UInt64, rotationInterval: UInt64, firstSecret: SecretBytes) {
        self.rotationInterval = rotationInterval
        self.current = Secret(version: 1, key: firstSecret)
        self.previous = nil
        self.currentSince = now
    }

    /// Rotates when the current secret is older than the interval. Call on each use, or on a timer.
    public mutating func rotateIfDue(now: UInt64) throws {
        if now >= currentSince &+ rotationInterval {
            try rotate(now: now)
        }
    }

    /// Makes a new current secret; the old current one becomes the previous one.
    public mutating func rotate(now: UInt64) throws {
        previous = current
        current = Secret(version: current.version &+ 1, key: try SecretBytes(randomCount: 32))
        currentSince = now
    }

    /// The cookie for an initiator's IKE_SA_INIT request: its Nonce Data, source IP (4 or 16
    /// octets) and SPIi.
    public func cookie(nonceI: [UInt8], initiatorAddress: [UInt8], spiI: UInt64) -> [UInt8] {
        Self.make(current, nonceI: nonceI, initiatorAddress: initiatorAddress, spiI: spiI)
    }

    /// True when `cookie` was made by the current or the previous secret for these inputs.
    public func isValid(_ cookie: [UInt8], nonceI: [UInt8], initiatorAddress: [UInt8], spiI: UInt64) -> Bool {
        guard cookie.count == 36 else { return false }
        let version = cookie[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let secret: Secret
        if version == current.version {
            secret = current
        } else if let previous, version == previous.version {
            secret = previous
        } else {
            return false
        }
        let expected = Self.make(secret, nonceI: nonceI, initiatorAddress: initiatorAddress, spiI: spiI)
        return constantTimeEqual(expected, cookie)
    }

    static func make(_ secret: Secret, nonceI: [UInt8], initiatorAddress: [UInt8], spiI: UInt64) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: nonceI)
        hash.update(data: initiatorAddress)
        hash.update(data: bigEndian(spiI))
        secret.key.withUnsafeBytes { hash.update(data: $0) }
        let v = secret.version
        return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] + Array(hash.finalize())
    }
}

extension CookieGenerator.Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "CookieSecret(version: \(version), key: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["version": version], displayStyle: .struct) }
}
