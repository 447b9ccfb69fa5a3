/// One problem in a config file, with the place and the dotted key path it concerns.
///
/// `description` reads `conf/x.yaml:12:5: ports[1].mtu: 70000 is out of range 68...9600`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is (an open set of static values, swift-nio style).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The text is not valid YAML.
        public static let syntax = Code("syntax")
        /// A key this version does not know.
        public static let unknownKey = Code("unknownKey")
        /// The same key twice in one mapping.
        public static let duplicateKey = Code("duplicateKey")
        /// A value of the wrong YAML type (a string where an integer belongs, a scalar where a list belongs).
        public static let wrongType = Code("wrongType")
        /// A required key is absent.
        public static let missingKey = Code("missingKey")
        /// A value of the right type whose content is not acceptable.
        public static let invalidValue = Code("invalidValue")
        /// A number outside its allowed range (the message says the range or the minimum).
        public static let outOfRange = Code("outOfRange")
        /// A value that must be unique is used twice.
        public static let duplicateValue = Code("duplicateValue")
        /// Two settings that cannot both hold.
        public static let conflict = Code("conflict")
        /// Something the config names does not exist (a CPU, an interface, a PCI device, a port).
        public static let notFound = Code("notFound")
        /// A file could not be read (the config itself, or a file it names).
        public static let io = Code("io")
        /// A weak algorithm or secret given without its explicit opt-in (`allow-modp1024`, `allow-weak-psk`).
        public static let weak = Code("weak")
    }

    public var code: Code
    public var location: SourceLocation
    /// Dotted key path, e.g. `ports[1].mtu`; empty for the document itself.
    public var key: String
    public var message: String

    public init(code: Code, location: SourceLocation, key: String, message: String) {
        self.code = code
        self.location = location
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}

/// Every problem found in one config file, in file order.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(errors: [ConfigError]) { self.errors = errors }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
