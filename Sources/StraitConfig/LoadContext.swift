import StraitCore
import Yams

/// A value read from the file, with where it was and the key path that names it.
struct Located<Value> {
    var value: Value
    var location: SourceLocation
    var key: String
}

/// The state of one load: the facts it checks against, the errors found so far, which key
/// paths had errors (so later cross-checks can stay quiet about values already reported),
/// and where each key's value sits (so a cross-check can point at it).
final class LoadContext {
    let file: String
    let facts: SystemFacts
    private(set) var errors: [ConfigError] = []
    private var failedKeys: Set<String> = []
    private var valueLocations: [String: SourceLocation] = [:]

    init(file: String, facts: SystemFacts) {
        self.file = file
        self.facts = facts
    }

    func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func location(of node: Node) -> SourceLocation { location(node.mark) }

    /// Records an error. Its message and key path go through `Redaction.scrub`, so a value
    /// that looks like key material is never echoed, whatever check reports it.
    func report(_ code: ConfigError.Code, at location: SourceLocation, key: String, _ message: String) {
        errors.append(ConfigError(code: code, location: location, key: Redaction.scrub(key), message: Redaction.scrub(message)))
        failedKeys.insert(key)
    }

    /// True when an error was reported for exactly `key`.
    func hasError(at key: String) -> Bool { failedKeys.contains(key) }

    /// True when an error was reported for `key`, for a key under it, or for a key above it.
    func hasError(touching key: String) -> Bool {
        failedKeys.contains { failed in
            failed == key || Self.isAncestor(failed, of: key) || Self.isAncestor(key, of: failed)
        }
    }

    func recordValueLocation(_ location: SourceLocation, for key: String) { valueLocations[key] = location }

    /// Where `key`'s value is written, when the file has it.
    func valueLocation(for key: String) -> SourceLocation? { valueLocations[key] }

    /// The errors in file order (stable for errors at the same place).
    var errorsInFileOrder: [ConfigError] {
        errors.enumerated()
            .sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }
            .map(\.element)
    }

    private static func isAncestor(_ a: String, of b: String) -> Bool {
        if a.isEmpty { return !b.isEmpty }
        guard b.count > a.count, b.hasPrefix(a) else { return false }
        let next = b[b.index(b.startIndex, offsetBy: a.count)]
        return next == "." || next == "["
    }
}

/// Joins key paths: `path("ports[0]", "mtu")` is `ports[0].mtu`.
func keyPath(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

/// `ports[3]`.
func keyPath(_ parent: String, index: Int) -> String { "\(parent)[\(index)]" }
