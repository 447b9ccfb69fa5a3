/// The answer to `reload`: the file re-read and what changed.
public struct ReloadResult: Codable, Sendable, Equatable {
    /// The config file.
    public var source: String
    /// One line per change (`VPN 'b' removed: 1 IKE SA(s) deleted`); empty when nothing changed.
    public var changes: [String]

    public init(source: String, changes: [String]) {
        self.source = source
        self.changes = changes
    }

    /// What `straitctl reload` prints.
    public var text: String {
        guard !changes.isEmpty else { return "reloaded \(source): no change\n" }
        return "reloaded \(source):\n" + changes.map { "  \($0)\n" }.joined()
    }
}
