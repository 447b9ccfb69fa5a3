/// The `control` section: the control socket's path and the log level. Optional.
enum ControlSection {
    static let name = "control"
    static let keys = ["socket", "log-level"]

    static func read(from root: MappingReader, instance: String) -> ControlSettings {
        var settings = ControlSettings(socketPath: Defaults.socketPath(instance: instance))
        guard let r = root.mapping(name, known: keys) else { return settings }
        let context = r.context
        if let socket = r.string("socket") {
            if !socket.value.hasPrefix("/") {
                context.report(.invalidValue, at: socket.location, key: socket.key,
                               "'\(socket.value)' is not an absolute path")
            } else if socket.value.utf8.count > Limits.maxSocketPathBytes {
                context.report(.outOfRange, at: socket.location, key: socket.key,
                               "the path is \(socket.value.utf8.count) bytes; a Unix socket path holds at most \(Limits.maxSocketPathBytes)")
            } else {
                settings.socketPath = socket.value
            }
        }
        if let level = r.choice("log-level", of: Limits.logLevels) { settings.logLevel = level.value }
        return settings
    }
}
