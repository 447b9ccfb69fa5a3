/// Where something is in a config file: `file:line:column`, lines and columns from 1.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

extension SourceLocation: Comparable {
    /// File order: by line, then column (locations of one file only).
    public static func < (l: Self, r: Self) -> Bool { (l.line, l.column) < (r.line, r.column) }
}
