import ArgumentParser
import Foundation
import Logging
import StraitConfig
import StraitDaemon

@main
struct Straitd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "straitd",
        abstract: "Strait fast-path VPN concentrator daemon.",
        discussion: "Without --config, straitd runs on the embedded default config (the lab demo).")

    @Option(name: .long, help: "The config file to run.")
    var config: String?

    @Option(name: .long, help: "Validate this config file and exit: 0 when valid.")
    var check: String?

    @Flag(name: .long, help: "Validate the embedded default config and exit.")
    var checkDefault = false

    @Flag(name: .long, help: "Print the embedded default config and exit.")
    var printDefault = false

    func run() throws {
        if printDefault {
            print(DefaultConfig.text, terminator: "")
            return
        }
        if let path = check {
            try validate { try ConfigLoader.load(path: path) }
            print("\(path): OK")
            return
        }
        if checkDefault {
            try validate { try ConfigLoader.loadDefault() }
            print("<embedded default>: OK")
            return
        }
        var loaded: StraitConfig?
        try validate { loaded = try config.map { try ConfigLoader.load(path: $0) } ?? ConfigLoader.loadDefault() }
        guard let cfg = loaded else { throw ExitCode(1) }

        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = Logger.Level(rawValue: cfg.control.logLevel) ?? .info
            return h
        }
        let logger = Logger(label: "straitd[\(cfg.fastPath.instance)]")
        logger.info("starting on \(cfg.source)")
        let daemon = Daemon(config: cfg, logger: logger)
        do {
            try daemon.start()
        } catch {
            FileHandle.standardError.write(Data("straitd: \(error)\n".utf8))
            throw ExitCode(1)
        }
        daemon.runUntilSignalled()
    }

    /// Config errors go to stderr one per line (file:line:column: key: message); nothing starts.
    private func validate(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let errors as ConfigErrors {
            FileHandle.standardError.write(Data("\(errors)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("straitd: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
