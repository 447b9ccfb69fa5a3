/// An aligned plain-text table, as `ip -s link` or `vppctl show int` print them:
/// a header row, columns two spaces apart, numbers right-aligned, no trailing blanks.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var title: String
        public var alignment: Alignment
        public init(_ title: String, _ alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public private(set) var rows: [[String]] = []
    /// Between two columns.
    public var separator = "  "

    public init(_ columns: [Column]) { self.columns = columns }

    /// Adds a row; missing cells are blank, extra cells are dropped.
    public mutating func add(_ cells: [String]) {
        var row = Array(cells.prefix(columns.count))
        while row.count < columns.count { row.append("") }
        rows.append(row)
    }

    /// The table, one line per row after the header, each ending with a newline.
    public func render(header: Bool = true) -> String {
        let all = (header ? [columns.map(\.title)] : []) + rows
        var widths = columns.map { _ in 0 }
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i > 0 { line += separator }
                switch columns[i].alignment {
                case .left: line += cell + pad
                case .right: line += pad + cell
                }
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
