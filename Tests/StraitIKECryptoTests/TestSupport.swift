// Hex helpers shared by the crypto tests.
@testable import StraitIKECrypto

/// Bytes from hex; whitespace is ignored so long values can be wrapped.
func hex(_ string: String) -> [UInt8] {
    let digits = string.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd hex length")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension SecretBytes {
    var hexForTesting: String { unprotectedArrayForTesting.hexString }
}

func secret(_ hexString: String) -> SecretBytes { SecretBytes(copying: hex(hexString)) }

/// bytes(range(start, end)) in Python.
func range(_ start: Int, _ end: Int) -> [UInt8] { (start..<end).map { UInt8($0) } }
