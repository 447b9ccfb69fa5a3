import Yams

/// Reads one YAML mapping whose keys are known in advance. On creation it reports unknown
/// keys (with a suggestion when one is close), duplicate keys and non-string keys; after that
/// it hands out typed values by key, reporting wrong types and missing required keys.
struct MappingReader {
    let key: String
    let location: SourceLocation
    let context: LoadContext
    private var values: [String: Node] = [:]
    private var keyLocations: [String: SourceLocation] = [:]

    var reader: NodeReader { NodeReader(context: context) }

    /// Reads `node` as a mapping at key path `key`; reports a wrong type and returns nil otherwise.
    /// With `nullIsEmpty`, a null value (`control:` with nothing under it) reads as an empty mapping.
    /// `location` is where the mapping is said to be (a section's key; by default the mapping's first key).
    /// With `recordsValueLocations` false, the context does not learn where the values are
    /// (`LoadContext.valueLocation(for:)`): for the many small mappings of big lists (SAs).
    init?(_ node: Node, key: String, known: [String], context: LoadContext, location: SourceLocation? = nil,
          nullIsEmpty: Bool = false, recordsValueLocations: Bool = true,
          unknownKeyMessage: (String) -> String? = { _ in nil }) {
        self.key = key
        self.context = context
        self.location = location ?? context.location(of: node)
        if nullIsEmpty, let scalar = node.scalar, NodeReader.isNull(scalar) { return }
        guard let mapping = node.mapping else {
            let _: Int? = NodeReader(context: context).typeError(node, key: key, expected: "a mapping")
            return nil
        }
        var unknownLines: [String: Int] = [:]
        for (keyNode, value) in mapping {
            guard let scalar = keyNode.scalar, !NodeReader.isNull(scalar) else {
                context.report(.wrongType, at: context.location(of: keyNode), key: key,
                               "keys must be plain strings, got \(NodeReader.describe(keyNode))")
                continue
            }
            let name = scalar.string
            let at = context.location(of: keyNode)
            if let first = keyLocations[name]?.line ?? unknownLines[name] {
                context.report(.duplicateKey, at: at, key: keyPath(key, name), "duplicate key '\(name)' (first given on line \(first))")
                continue
            }
            guard known.contains(name) else {
                unknownLines[name] = at.line
                let message = unknownKeyMessage(name)
                    ?? Suggestion.unknownKeyMessage(name, known: known)
                context.report(.unknownKey, at: at, key: keyPath(key, name), message)
                continue
            }
            values[name] = value
            keyLocations[name] = at
            if recordsValueLocations { context.recordValueLocation(context.location(of: value), for: keyPath(key, name)) }
        }
    }

    func path(_ name: String) -> String { keyPath(key, name) }

    func has(_ name: String) -> Bool { values[name] != nil }

    func node(_ name: String) -> Node? { values[name] }

    /// Where `name`'s value is written, or this mapping's own location when it is absent.
    func valueLocation(_ name: String) -> SourceLocation {
        values[name].map { context.location(of: $0) } ?? location
    }

    /// Where key `name` is written, or this mapping's own location when it is absent.
    func keyLocation(_ name: String) -> SourceLocation { keyLocations[name] ?? location }

    /// The node for a required key; reports `missingKey` at this mapping when absent.
    func required(_ name: String) -> Node? {
        if let node = values[name] { return node }
        context.report(.missingKey, at: location, key: path(name), "missing required key '\(name)'")
        return nil
    }

    func int(_ name: String) -> Located<Int>? { values[name].flatMap { reader.int($0, key: path(name)) } }

    /// An integer that must lie in `range`; out of range is reported and read as nil.
    func int(_ name: String, in range: ClosedRange<Int>) -> Located<Int>? {
        guard let value = int(name) else { return nil }
        guard range.contains(value.value) else {
            context.report(.outOfRange, at: value.location, key: value.key,
                           "\(value.value) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    func bool(_ name: String) -> Located<Bool>? { values[name].flatMap { reader.bool($0, key: path(name)) } }

    func string(_ name: String) -> Located<String>? { values[name].flatMap { reader.string($0, key: path(name)) } }

    /// A string that must be one of `choices`.
    func choice(_ name: String, of choices: [String]) -> Located<String>? {
        guard let value = string(name) else { return nil }
        guard choices.contains(value.value) else {
            var message = "'\(value.value)' is not one of \(choices.joined(separator: ", "))"
            if let close = Suggestion.closest(to: value.value, in: choices) { message += "; did you mean '\(close)'?" }
            context.report(.invalidValue, at: value.location, key: value.key, message)
            return nil
        }
        return value
    }

    func list(_ name: String) -> [(node: Node, key: String)]? {
        values[name].flatMap { reader.list($0, key: path(name)) }
    }

    /// A nested mapping; a null value reads as empty.
    func mapping(_ name: String, known: [String]) -> MappingReader? {
        values[name].flatMap {
            MappingReader($0, key: path(name), known: known, context: context, location: keyLocation(name), nullIsEmpty: true)
        }
    }
}
