import Yams

/// Helpers for comparing a running config with a reloaded one.
enum Canonical {
    /// A value's content as text, for equality only: every stored property, recursively, but
    /// not `location` (a VPN that moved down the file because another was added above it is
    /// the same VPN). Keys print `<redacted>`: compare them with `SAKeyFingerprints`.
    static func text(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        guard !mirror.children.isEmpty else { return String(describing: value) }
        let parts = mirror.children.compactMap { child -> String? in
            if child.label == "location" { return nil }
            return "\(child.label ?? "")=\(text(child.value))"
        }
        switch mirror.displayStyle {
        case .set, .dictionary: return "{" + parts.sorted().joined(separator: ",") + "}"
        default: return "\(type(of: value))(" + parts.joined(separator: ",") + ")"
        }
    }

    static func same(_ a: Any, _ b: Any) -> Bool { text(a) == text(b) }
}

/// Where a dotted key path (`ports[1].mtu`, `ike.listen.ports`) is written in a config text,
/// so that an error about it names the line.
enum KeyLocator {
    static func location(of path: String, in text: String, file: String) -> SourceLocation? {
        guard var node = try? Yams.compose(yaml: text) else { return nil }
        var found = node.mark
        for component in components(path) {
            switch component {
            case .key(let k):
                guard let mapping = node.mapping, let pair = mapping.first(where: { $0.key.string == k }) else { return at(found, file) }
                found = pair.key.mark
                node = pair.value
            case .index(let i):
                guard let sequence = node.sequence, i < sequence.count else { return at(found, file) }
                node = sequence[i]
                found = node.mark
            }
        }
        return at(found, file)
    }

    private enum Component { case key(String), index(Int) }

    private static func components(_ path: String) -> [Component] {
        var out: [Component] = []
        for part in path.split(separator: ".") {
            var rest = Substring(part)
            if let open = rest.firstIndex(of: "[") {
                if open > rest.startIndex { out.append(.key(String(rest[..<open]))) }
                rest = rest[open...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let i = Int(rest[rest.index(after: rest.startIndex)..<close]) { out.append(.index(i)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                out.append(.key(String(rest)))
            }
        }
        return out
    }

    private static func at(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }
}

/// A per-process, keyed digest of each static SA's key (Swift's `Hasher` is seeded at random
/// for each process): enough to see that a reload changes a key after the daemon has dropped
/// the keys themselves, and nothing that leads back to a key.
public struct SAKeyFingerprints: Sendable, Equatable {
    var byName: [String: Int]

    public init(_ ipsec: IPsecConfig) {
        byName = Dictionary(ipsec.sas.map { sa -> (String, Int) in
            var h = Hasher()
            h.combine(sa.key.bytes)
            return (sa.name, h.finalize())
        }, uniquingKeysWith: { a, _ in a })
    }
}
