import Foundation
import Yams

/// Loads Strait's YAML config file strictly: every problem is reported with its file, line,
/// column and key path, and all of a file's problems are reported together, in file order.
public enum ConfigLoader {
    /// The top-level sections, each read by its own `*Section` type.
    static let sections = [FastPathSection.name, ControlSection.name, PortsSection.name, RoutesSection.name,
                           IPsecSection.name, IKESection.name, VRRPSection.name, HASection.name]
    /// Sections that later versions will add; named so that the error says so.
    static let plannedSections: [String] = []

    /// The `source` of the embedded default config.
    public static let defaultSource = "<embedded default>"

    /// Reads and validates the file at `path`. Throws `ConfigErrors`.
    public static func load(path: String, facts: SystemFacts = .current) throws -> StraitConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigErrors(errors: [ConfigError(code: .io, location: SourceLocation(file: path, line: 1, column: 1),
                                                    key: "", message: "cannot read the file: \(error.localizedDescription)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(errors: [ConfigError(code: .syntax, location: SourceLocation(file: path, line: 1, column: 1),
                                                    key: "", message: "the file is not valid UTF-8")])
        }
        return try parse(text: text, source: path, facts: facts)
    }

    /// Validates `text`; `source` names it in errors. Throws `ConfigErrors`.
    public static func parse(text: String, source: String, facts: SystemFacts = .current) throws -> StraitConfig {
        let context = LoadContext(file: source, facts: facts)
        let config = read(text: text, context: context)
        let errors = context.errorsInFileOrder
        guard errors.isEmpty, let config else { throw ConfigErrors(errors: errors) }
        return config
    }

    /// The embedded lab/demo config (`DefaultConfig.text`, the same as conf/default.yaml).
    public static func loadDefault(facts: SystemFacts = .current) throws -> StraitConfig {
        try parse(text: DefaultConfig.text, source: defaultSource, facts: facts)
    }

    /// Every problem in `text`, in file order; empty when it loads. For `straitd --check`.
    public static func check(text: String, source: String, facts: SystemFacts = .current) -> [ConfigError] {
        let context = LoadContext(file: source, facts: facts)
        _ = read(text: text, context: context)
        return context.errorsInFileOrder
    }

    private static func read(text: String, context: LoadContext) -> StraitConfig? {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            let syntax = YAMLSyntax.describe(error, text: text)
            let at = SourceLocation(file: context.file, line: syntax.position?.line ?? 1, column: syntax.position?.column ?? 1)
            context.report(.syntax, at: at, key: "", syntax.message)
            return nil
        }
        guard let document, document.mapping != nil else {
            let got = document.map { NodeReader.describe($0) } ?? "an empty file"
            context.report(.wrongType, at: context.location(document?.mark), key: "",
                           "the top level must be a mapping of sections (\(sections.joined(separator: ", "))), got \(got)")
            return nil
        }
        guard let top = MappingReader(document, key: "", known: sections, context: context,
                                      unknownKeyMessage: plannedSectionMessage) else { return nil }

        let fastPath = FastPathSection.read(from: top)
        let control = ControlSection.read(from: top, instance: fastPath.instance)
        let ports = PortsSection.read(from: top, fastPath: fastPath)
        let routes = RoutesSection.read(from: top, ports: ports)
        let ipsec = IPsecSection.read(from: top, ports: ports, routes: routes)
        let vrrp = VRRPSection.read(from: top, ports: ports)
        let ike = IKESection.read(from: top, ports: ports, espUDPPorts: IPsecSection.espUDPPorts(ipsec.config, context: context),
                                  virtualAddresses: vrrp.instances.flatMap { $0.virtualAddresses.map(\.address) })
        let ha = HASection.read(from: top, ports: ports, vrrp: vrrp)
        SizingCheck.run(fastPath: fastPath, ports: ports.entries, context: context)
        guard context.errors.isEmpty else { return nil }
        return StraitConfig(source: context.file, text: text, fastPath: fastPath, control: control,
                            ports: ports.entries.map(\.config), routes: routes, ipsec: ipsec.config, ike: ike.config, vrrp: vrrp,
                            ha: ha.config, redactedText: Redaction.redact(text, sites: ipsec.keySites + ike.secretSites + ha.keySites))
    }

    private static func plannedSectionMessage(_ name: String) -> String? {
        plannedSections.contains(name) ? "section '\(name)' is not supported yet by this version of Strait" : nil
    }
}
