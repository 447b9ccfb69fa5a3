import Yams

/// Reads single YAML nodes as typed values. A node of the wrong type becomes a
/// `wrongType` error naming the key path, and the read returns nil.
///
/// Types are strict: an integer is a plain (unquoted) decimal number, a bool is a plain
/// `true` or `false` (not YAML 1.1's `yes`/`no`/`on`/`off`), and a string is any scalar but null.
struct NodeReader {
    let context: LoadContext

    func int(_ node: Node, key: String) -> Located<Int>? {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any,
              Self.isDecimalInteger(scalar.string) else {
            return typeError(node, key: key, expected: "an integer")
        }
        guard let value = Int(scalar.string) else {
            context.report(.outOfRange, at: context.location(of: node), key: key, "\(scalar.string) is too large")
            return nil
        }
        return Located(value: value, location: context.location(of: node), key: key)
    }

    func bool(_ node: Node, key: String) -> Located<Bool>? {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any,
              scalar.string == "true" || scalar.string == "false" else {
            return typeError(node, key: key, expected: "true or false")
        }
        return Located(value: scalar.string == "true", location: context.location(of: node), key: key)
    }

    /// Any non-null scalar, as written (so `core-mask: 0x6` stays `0x6`, not 6).
    func string(_ node: Node, key: String) -> Located<String>? {
        guard let scalar = node.scalar, !Self.isNull(scalar) else {
            return typeError(node, key: key, expected: "a string")
        }
        return Located(value: scalar.string, location: context.location(of: node), key: key)
    }

    /// A list's items with their key paths; a null value (`key:` with nothing after it) is an empty list.
    func list(_ node: Node, key: String) -> [(node: Node, key: String)]? {
        if let scalar = node.scalar, Self.isNull(scalar) { return [] }
        guard let sequence = node.sequence else { return typeError(node, key: key, expected: "a list") }
        return sequence.enumerated().map { (node: $0.element, key: keyPath(key, index: $0.offset)) }
    }

    /// Reports that `node` is not what `key` needs.
    func typeError<T>(_ node: Node, key: String, expected: String) -> T? {
        var message = "expected \(expected), got \(Self.describe(node))"
        if expected == "true or false", let s = node.scalar?.string,
           ["yes", "no", "on", "off", "y", "n"].contains(s.lowercased()) {
            message += " (write true or false)"
        }
        if expected == "an integer", let s = node.scalar, s.style != .plain, Self.isDecimalInteger(s.string) {
            message += " (remove the quotes)"
        }
        context.report(.wrongType, at: context.location(of: node), key: key, message)
        return nil
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        guard scalar.style == .plain || scalar.style == .any else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// `0`, `42`, `-7`; no sign `+`, no leading zeros (YAML 1.1 reads those as octal), no `_`.
    static func isDecimalInteger(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return false }
        return digits == "0" || !digits.hasPrefix("0")
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if isNull(scalar) { return "nothing (null)" }
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted string \"\(scalar.string)\""
            case .literal, .folded: return "a block string"
            default: return "'\(scalar.string)'"
            }
        }
    }
}
