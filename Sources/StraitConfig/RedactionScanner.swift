import Foundation

/// Byte-level scanning of YAML text for `Redaction`: where a scalar that starts at a known
/// place ends (plain, quoted or block; one line or several), and replacing such spans while
/// keeping every line break, so line numbers do not move.
struct TextScanner {
    /// Byte offsets, `end` exclusive.
    struct Span {
        var start: Int
        var end: Int
    }

    private(set) var bytes: [UInt8]
    /// The byte offset of each line's first byte; line 1 is index 0.
    private var lineStarts: [Int] = [0]

    private static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"),
                       cr = UInt8(ascii: "\r"), hash = UInt8(ascii: "#")

    init(_ text: String) {
        bytes = Array(text.utf8)
        lineStarts = Self.lineStarts(of: bytes)
    }

    /// 0 and the offset after every `\n` (memchr: a config of 10,000 SAs is 3 MB).
    private static func lineStarts(of bytes: [UInt8]) -> [Int] {
        var starts = [0]
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var i = 0
            while i < buffer.count, let hit = memchr(base + i, Int32(newline), buffer.count - i) {
                i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit)) + 1
                starts.append(i)
            }
        }
        return starts
    }

    // MARK: Finding values

    /// The span of the value at `site`, properties (`&anchor`, `!tag`) left in place.
    func valueSpan(_ site: Redaction.Site) -> Span? {
        guard let valueStart = offset(line: site.valueLine, column: site.valueColumn) else { return nil }
        let parentIndent = site.keyColumn - 1
        let i = skipProperties(from: valueStart)
        guard i < bytes.count else { return nil }
        let end: Int
        switch bytes[i] {
        case UInt8(ascii: "'"): end = quotedEnd(from: i, single: true)
        case UInt8(ascii: "\""): end = quotedEnd(from: i, single: false)
        case UInt8(ascii: "|"), UInt8(ascii: ">"): end = blockScalarEnd(from: i, parentIndent: parentIndent)
        default: end = isFlow(site) ? flowPlainEnd(from: i) : blockPlainEnd(from: i, parentIndent: parentIndent)
        }
        return end > i ? Span(start: i, end: end) : nil
    }

    /// True when the SA's mapping is a flow mapping: `{` at its mark, after any properties.
    private func isFlow(_ site: Redaction.Site) -> Bool {
        guard var i = offset(line: site.mappingLine, column: site.mappingColumn) else { return false }
        i = skipProperties(from: i)
        return i < bytes.count && bytes[i] == UInt8(ascii: "{")
    }

    /// Past `&anchor` and `!tag` and the blanks after them.
    private func skipProperties(from start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == UInt8(ascii: "&") || bytes[i] == UInt8(ascii: "!") {
            while i < bytes.count, !isBlank(bytes[i]), bytes[i] != Self.newline { i += 1 }
            i = skipBlanks(from: i, acrossLines: true)
        }
        return i
    }

    /// The mapping keys whose values are secrets.
    static let secretTokens = ["key:", "psk:", "secret:"].map { Array($0.utf8) }

    /// For text that is not YAML: after every `key:`, `psk:` or `secret:` (at a line's start,
    /// after `- `, `{` or `,`), the rest of the line and the lines indented deeper than the key.
    func keyLineSpans() -> [Span] {
        var spans: [Span] = []
        for line in 1...lineStarts.count {
            let start = lineStarts[line - 1], end = lineEnd(line)
            guard let (keyAt, tokenLength) = keyToken(in: start..<end) else { continue }
            let valueStart = skipBlanks(from: keyAt + tokenLength, acrossLines: false)
            var spanEnd = valueStart
            if valueStart < end { spanEnd = end }
            var next = line + 1
            while next <= lineStarts.count {
                let s = lineStarts[next - 1], e = lineEnd(next)
                let first = skipBlanks(from: s, acrossLines: false)
                if first < e && first - s <= keyAt - start { break }
                if first < e { spanEnd = e }
                next += 1
            }
            if spanEnd > valueStart { spans.append(Span(start: valueStart, end: spanEnd)) }
        }
        return spans
    }

    // MARK: Replacing

    /// Replaces each span (sorted, overlaps skipped) with `replacement` and the line breaks it held.
    mutating func replace(_ spans: [Span], with replacement: [UInt8]) {
        guard !spans.isEmpty else { return }
        var out = [UInt8](repeating: 0, count: bytes.count + spans.count * replacement.count)
        var length = 0
        bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                func copy(_ from: UnsafeBufferPointer<UInt8>) {
                    guard let base = from.baseAddress, !from.isEmpty else { return }
                    (target.baseAddress! + length).update(from: base, count: from.count)
                    length += from.count
                }
                var position = 0
                replacement.withUnsafeBufferPointer { replacement in
                    for span in spans where span.start >= position && span.end <= source.count {
                        copy(UnsafeBufferPointer(rebasing: source[position..<span.start]))
                        copy(replacement)
                        var i = span.start
                        while i < span.end {
                            if source[i] == Self.newline { target[length] = Self.newline; length += 1 }
                            i += 1
                        }
                        position = span.end
                    }
                }
                copy(UnsafeBufferPointer(rebasing: source[position...]))
            }
        }
        out.removeLast(out.count - length)
        bytes = out
        lineStarts = Self.lineStarts(of: bytes)
    }

    /// Replaces every run of at least `minimumLength` hex digits (with a `0x` before it) by `replacement`.
    mutating func replaceHexRuns(minimumLength: Int, with replacement: [UInt8]) {
        var spans: [Span] = []
        bytes.withUnsafeBufferPointer { p in
            let n = p.count
            var i = 0
            while i < n {
                guard Self.hexTable[Int(p[i])] else { i += 1; continue }
                let start = i
                while i < n, Self.hexTable[Int(p[i])] { i += 1 }
                guard i - start >= minimumLength else { continue }
                let hasPrefix = start >= 2 && p[start - 2] == UInt8(ascii: "0")
                    && (p[start - 1] == UInt8(ascii: "x") || p[start - 1] == UInt8(ascii: "X"))
                spans.append(Span(start: hasPrefix ? start - 2 : start, end: i))
            }
        }
        replace(spans, with: replacement)
    }

    /// `hexTable[b]`: b is a hex digit.
    private static let hexTable: [Bool] = (0...255).map { isHexDigit(UInt8($0)) }

    // MARK: Scalar ends

    private func quotedEnd(from i: Int, single: Bool) -> Int {
        let quote = bytes[i]
        var j = i + 1
        while j < bytes.count {
            if single {
                if bytes[j] == quote {
                    if j + 1 < bytes.count, bytes[j + 1] == quote { j += 2; continue }
                    return j + 1
                }
            } else if bytes[j] == UInt8(ascii: "\\") {
                j += 2
                continue
            } else if bytes[j] == quote {
                return j + 1
            }
            j += 1
        }
        return bytes.count
    }

    /// `|` or `>`: the header line, then every line indented deeper than the parent (blank lines
    /// inside count; trailing blank lines do not).
    private func blockScalarEnd(from i: Int, parentIndent: Int) -> Int {
        var line = self.line(of: i)
        var end = contentEnd(line)
        line += 1
        while line <= lineStarts.count {
            let start = lineStarts[line - 1]
            let first = skipBlanks(from: start, acrossLines: false)
            if first < lineEnd(line) {
                guard first - start > parentIndent else { break }
                end = contentEnd(line)
            }
            line += 1
        }
        return end
    }

    /// A plain scalar in a block mapping: up to a comment or the end of the line, then the
    /// lines indented deeper than the parent that are not comments.
    private func blockPlainEnd(from i: Int, parentIndent: Int) -> Int {
        var line = self.line(of: i)
        var end = plainLineEnd(from: i, line: line)
        line += 1
        while line <= lineStarts.count {
            let start = lineStarts[line - 1]
            let first = skipBlanks(from: start, acrossLines: false)
            if first < lineEnd(line) {
                guard first - start > parentIndent, bytes[first] != Self.hash else { break }
                end = plainLineEnd(from: first, line: line)
            }
            line += 1
        }
        return end
    }

    /// A plain scalar in a flow mapping: up to `,`, `]`, `}` or a comment, across lines.
    private func flowPlainEnd(from i: Int) -> Int {
        var j = i
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") { break }
            if b == Self.hash, j > i, isBlank(bytes[j - 1]) || bytes[j - 1] == Self.newline { break }
            j += 1
        }
        while j > i, isBlank(bytes[j - 1]) || bytes[j - 1] == Self.newline || bytes[j - 1] == Self.cr { j -= 1 }
        return j
    }

    /// The end of a plain scalar's piece on one line: before ` #` or the line's end, trailing blanks trimmed.
    private func plainLineEnd(from i: Int, line: Int) -> Int {
        let end = lineEnd(line)
        var j = i
        while j < end {
            if bytes[j] == Self.hash, j > i, isBlank(bytes[j - 1]) { break }
            j += 1
        }
        while j > i, isBlank(bytes[j - 1]) || bytes[j - 1] == Self.cr { j -= 1 }
        return j
    }

    // MARK: Lines

    /// The byte offset of a 1-based line and character column (Yams counts characters).
    func offset(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= lineStarts.count, column >= 1 else { return nil }
        var o = lineStarts[line - 1]
        let end = lineEnd(line)
        var c = 1
        while c < column, o < end {
            o += 1
            while o < end, bytes[o] & 0xC0 == 0x80 { o += 1 }
            c += 1
        }
        return o
    }

    /// The line (1-based) that holds byte offset `o`.
    private func line(of o: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= o { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// The offset of the line's `\n`, or the text's end.
    private func lineEnd(_ line: Int) -> Int { line < lineStarts.count ? lineStarts[line] - 1 : bytes.count }

    /// The line's end without trailing blanks and `\r`.
    private func contentEnd(_ line: Int) -> Int {
        var j = lineEnd(line)
        while j > lineStarts[line - 1], isBlank(bytes[j - 1]) || bytes[j - 1] == Self.cr { j -= 1 }
        return j
    }

    private func skipBlanks(from i: Int, acrossLines: Bool) -> Int {
        var j = i
        while j < bytes.count, isBlank(bytes[j]) || (acrossLines && (bytes[j] == Self.newline || bytes[j] == Self.cr)) { j += 1 }
        return j
    }

    /// Where the first secret token (`key:`, `psk:`, `secret:`) starts in the range, when it is a
    /// mapping key there, and the token's length.
    private func keyToken(in range: Range<Int>) -> (start: Int, length: Int)? {
        var i = range.lowerBound
        while i < range.upperBound {
            for token in Self.secretTokens where i + token.count <= range.upperBound
                && bytes[i..<(i + token.count)].elementsEqual(token) {
                let before = i == range.lowerBound ? Self.space : bytes[i - 1]
                let after = i + token.count < range.upperBound ? bytes[i + token.count] : Self.space
                let separated = isBlank(before) || before == UInt8(ascii: "{") || before == UInt8(ascii: ",")
                    || before == UInt8(ascii: "-")
                if separated && (isBlank(after) || after == Self.cr) { return (i, token.count) }
            }
            i += 1
        }
        return nil
    }

    private func isBlank(_ b: UInt8) -> Bool { b == Self.space || b == Self.tab }

    private static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f"))
            || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }
}
