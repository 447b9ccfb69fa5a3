/// Bytes from hex text laid out by field: on each line, whitespace-separated hex tokens are read up to the
/// first token that is not hex (the start of a comment); `|` separators are skipped.
func hex(_ text: String) -> [UInt8] {
    var digits: [Character] = []
    for line in text.split(separator: "\n") {
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            if token == "|" { continue }
            guard token.allSatisfy(\.isHexDigit) else { break }
            digits += token
        }
    }
    precondition(digits.count % 2 == 0, "odd number of hex digits in \(text)")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
