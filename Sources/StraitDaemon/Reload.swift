import Foundation
import Logging
import StraitAPI
import StraitConfig
import StraitIKE
import StraitIKEService

/// The config the daemon runs, without its secrets (ESP keys, PSKs), as the control handlers
/// read it; a reload replaces it.
final class RunningConfig: @unchecked Sendable {
    private let lock = NSLock()
    private var current: StraitConfig

    init(_ config: StraitConfig) { current = config }

    var value: StraitConfig {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// `config` as it may be kept: keys and PSKs dropped, the text redacted.
    func replace(with config: StraitConfig) {
        var kept = config
        kept.ipsec = kept.ipsec.withoutKeys
        kept.text = kept.redactedText
        kept.ike = Daemon.withoutSecrets(kept.ike)
        lock.lock()
        current = kept
        lock.unlock()
    }
}

/// A configuration reload (SIGHUP, `straitctl reload`): the file straitd started with is read
/// and validated completely, checked against what needs a restart (`ReloadCheck`), then the
/// `ike` section goes to the engine (`IKEEngine.reload`). Any error before the engine took the
/// new config changes nothing. One reload at a time.
final class ConfigReloader: @unchecked Sendable {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    private let running: RunningConfig
    /// The static SA keys straitd started with (their digests: the keys themselves are gone).
    private let keys: SAKeyFingerprints
    /// The machine as it was before DPDK pinned this thread to the control core (the CPU check
    /// of a reload must see the worker CPUs).
    private let facts: SystemFacts
    private let ike: IKEService?
    private let logger: Logger
    private let serial = NSLock()

    init(running: RunningConfig, keys: SAKeyFingerprints, facts: SystemFacts, ike: IKEService?, logger: Logger) {
        self.running = running
        self.keys = keys
        self.facts = facts
        self.ike = ike
        self.logger = logger
    }

    /// Reloads; the result says what changed. Throws `Refused` (its text one error a line,
    /// `file:line:column: key: message`) when nothing was applied.
    func reload() throws -> ReloadResult {
        serial.lock()
        defer { serial.unlock() }
        let old = running.value
        let new: StraitConfig
        do {
            new = old.source == ConfigLoader.defaultSource
                ? try ConfigLoader.loadDefault(facts: facts) : try ConfigLoader.load(path: old.source, facts: facts)
        } catch let errors as ConfigErrors {
            throw Refused(description: errors.description)
        }
        let restart = ReloadCheck.restartOnly(running: old, runningKeys: keys, new: new)
        guard restart.isEmpty else { throw Refused(description: ConfigErrors(errors: restart).description) }

        var changes: [String] = []
        if let ike {
            do {
                changes = try ike.reload(config: new.ike).lines
            } catch let e as IKEService.ServiceError {
                throw Refused(description: "\(old.source): ike: \(e)")
            } catch {
                throw Refused(description: "\(old.source): ike: \(error)")
            }
        }
        running.replace(with: new)
        return ReloadResult(source: old.source, changes: changes)
    }

    /// The reload SIGHUP asks for: its outcome goes to the log.
    func reloadAndLog() {
        do {
            let result = try reload()
            logger.info("reload of \(result.source): \(result.changes.isEmpty ? "no change" : result.changes.joined(separator: "; "))")
        } catch {
            for line in "\(error)".split(separator: "\n") { logger.error("reload refused: \(line)") }
        }
    }

    /// For the control socket: a refusal is `invalid-config` with the errors.
    func control() throws -> ReloadResult {
        do {
            let result = try reload()
            logger.info("reload of \(result.source) (straitctl): \(result.changes.isEmpty ? "no change" : result.changes.joined(separator: "; "))")
            return result
        } catch let refused as Refused {
            for line in refused.description.split(separator: "\n") { logger.error("reload refused: \(line)") }
            throw ControlError(.invalidConfig, "reload refused, nothing changed:\n\(refused.description)")
        }
    }
}
