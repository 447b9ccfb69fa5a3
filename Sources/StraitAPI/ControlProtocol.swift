import Foundation

// The control-socket protocol, shared by straitd's server (StraitControl) and every client.
//
// Transport: a Unix stream socket, by default /run/strait/<instance>.sock, root only.
// Framing: newline-delimited JSON, one request per line, one response line per request,
// in order; a connection may carry several requests.
//
//   request:  {"id": 1, "command": ["show","ports"], "arguments": {"k": "v"}}
//   response: {"id": 1, "ok": true, "result": ...}
//             {"id": 1, "ok": false, "error": {"code": "unknown-command", "message": "..."}}
//
// A response to a line that could not be parsed carries `"id": null`.

/// Fixed limits and defaults of the control protocol.
public enum ControlProtocol {
    /// The largest request line the server accepts, newline excluded. A longer one gets a
    /// `too-large` error and the connection is closed.
    public static let maxRequestBytes = 64 * 1024

    /// The directory that holds the daemons' control sockets.
    public static let socketDirectory = "/run/strait"

    /// The default instance name.
    public static let defaultInstance = "strait"

    /// The control socket path of an instance: `/run/strait/<instance>.sock`.
    public static func socketPath(instance: String = defaultInstance) -> String {
        "\(socketDirectory)/\(instance).sock"
    }

    /// `/run/strait/strait.sock`.
    public static var defaultSocketPath: String { socketPath() }
}

/// One request line.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// Chosen by the client and echoed in the response. Defaults to 0 when absent.
    public var id: UInt64
    /// The command words, e.g. `["show", "ports"]`.
    public var command: [String]
    /// Named arguments; empty when absent.
    public var arguments: [String: String]

    public init(id: UInt64, command: [String], arguments: [String: String] = [:]) {
        self.id = id
        self.command = command
        self.arguments = arguments
    }

    enum CodingKeys: String, CodingKey { case id, command, arguments }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(UInt64.self, forKey: .id) ?? 0
        command = try c.decode([String].self, forKey: .command)
        arguments = try c.decodeIfPresent([String: String].self, forKey: .arguments) ?? [:]
    }

    /// The command words joined by spaces, for messages and logs.
    public var commandText: String { command.joined(separator: " ") }

    /// The value of a named argument, or a `bad-request` error if it is missing.
    public func requiredArgument(_ name: String) throws -> String {
        guard let v = arguments[name] else {
            throw ControlError(.badRequest, "'\(commandText)' needs the argument '\(name)'")
        }
        return v
    }
}

/// The error code of a failed request (swift-nio style: a string with well-known static members).
public struct ControlErrorCode: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// No handler is registered for the command.
    public static let unknownCommand = ControlErrorCode("unknown-command")
    /// The request is not valid JSON, or not a valid request, or its arguments are wrong.
    public static let badRequest = ControlErrorCode("bad-request")
    /// The peer is not allowed to use the socket (not root).
    public static let notPermitted = ControlErrorCode("not-permitted")
    /// The handler failed unexpectedly.
    public static let `internal` = ControlErrorCode("internal")
    /// The daemon cannot answer now (starting, stopping, too many connections).
    public static let unavailable = ControlErrorCode("unavailable")
    /// The request is over `ControlProtocol.maxRequestBytes`.
    public static let tooLarge = ControlErrorCode("too-large")
    /// The request names something that does not exist (an IKE SA id, a VPN).
    public static let notFound = ControlErrorCode("not-found")
    /// The feature is not configured (`show ike sa` without an `ike` section).
    public static let notConfigured = ControlErrorCode("not-configured")
    /// `ha failover` on a node that is not the active one (or whose peer is not connected).
    public static let notActive = ControlErrorCode("not-active")
    /// `reload`: the config file has errors, or changes what needs a restart; nothing changed.
    public static let invalidConfig = ControlErrorCode("invalid-config")

    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// The `error` object of a failed response. Handlers throw it to choose the code;
/// any other error thrown by a handler is reported as `internal`.
public struct ControlError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: ControlErrorCode
    public var message: String

    public init(_ code: ControlErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// A result with no fields (`{}`), for commands that only act.
public struct EmptyResult: Codable, Sendable, Equatable {
    public init() {}
}
