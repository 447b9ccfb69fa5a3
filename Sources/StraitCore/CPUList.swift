import Foundation

/// A set of CPU numbers, written as a hex mask (`0x3fc`) or a list (`2-9`, `1,3,5-7`),
/// the two spellings DPDK and 6WIND use for a core-mask.
public struct CPUList: Hashable, Sendable, CustomStringConvertible {
    public var cpus: [Int]   // sorted, unique

    public init(_ cpus: [Int]) { self.cpus = Array(Set(cpus)).sorted() }

    public enum ParseError: Error, Equatable { case empty, badToken(String), reversedRange(String), tooLarge(Int) }

    /// Largest CPU number accepted (DPDK's RTE_MAX_LCORE on Debian is 128).
    public static let maxCPU = 127

    public static func parse(_ text: String) -> Result<CPUList, ParseError> {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return .failure(.empty) }
        if t.lowercased().hasPrefix("0x") {
            let hex = t.dropFirst(2)
            guard !hex.isEmpty, hex.allSatisfy({ $0.isHexDigit }) else { return .failure(.badToken(t)) }
            var cpus: [Int] = []
            for (i, ch) in hex.reversed().enumerated() {
                let nibble = Int(String(ch), radix: 16)!
                for bit in 0..<4 where nibble & (1 << bit) != 0 {
                    let cpu = i * 4 + bit
                    if cpu > maxCPU { return .failure(.tooLarge(cpu)) }
                    cpus.append(cpu)
                }
            }
            return cpus.isEmpty ? .failure(.empty) : .success(CPUList(cpus))
        }
        var cpus: [Int] = []
        for token in t.split(separator: ",", omittingEmptySubsequences: false) {
            let s = token.trimmingCharacters(in: .whitespaces)
            let ends = s.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 1 || ends.count == 2,
                  let lo = Int(ends[0]), lo >= 0,
                  let hi = ends.count == 2 ? Int(ends[1]) : lo else { return .failure(.badToken(s)) }
            if hi < lo { return .failure(.reversedRange(s)) }
            if hi > maxCPU { return .failure(.tooLarge(hi)) }
            cpus.append(contentsOf: lo...hi)
        }
        return .success(CPUList(cpus))
    }

    /// Compact list form: `1-3,5`.
    public var description: String {
        var out: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            out.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return out.joined(separator: ",")
    }
}

