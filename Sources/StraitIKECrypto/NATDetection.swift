// NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP notify data (RFC 7296 2.23):
//   SHA-1(SPIi | SPIr | IP | Port)
// with the SPIs as in the IKE header (SPIr is zero in the IKE_SA_INIT request), the IP address
// as 4 or 16 octets in network order and the port as 2 octets in network order. SHA-1 is what
// the RFC fixes here; it is a fingerprint, not a security function.

import Crypto

public enum NATDetection {
    /// The 20-octet notify data for one (address, port) pair.
    public static func hash(spiI: UInt64, spiR: UInt64, address: [UInt8], port: UInt16) throws -> [UInt8] {
        guard address.count == 4 || address.count == 16 else {
            throw IKECryptoError(.invalidInput, "an IP address is 4 or 16 octets, not \(address.count)")
        }
        var sha1 = Insecure.SHA1()
        sha1.update(data: bigEndian(spiI))
        sha1.update(data: bigEndian(spiR))
        sha1.update(data: address)
        sha1.update(data: [UInt8(port >> 8), UInt8(port & 0xff)])
        return Array(sha1.finalize())
    }

    /// True when a received NAT_DETECTION_* hash matches the pair we see on the packet; a mismatch
    /// means a NAT between us (RFC 7296 2.23). Not secret, so no constant-time compare needed.
    public static func matches(_ received: [UInt8], spiI: UInt64, spiR: UInt64, address: [UInt8], port: UInt16) -> Bool {
        guard let expected = try? hash(spiI: spiI, spiR: spiR, address: address, port: port) else { return false }
        return expected == received
    }
}
