import Foundation
import XCTest
@testable import StraitConfig

/// Facts for a made-up machine: CPUs 0-3, interfaces, PCI devices and files as given (a file
/// not in `files` is missing).
func testFacts(cpus: Set<Int> = [0, 1, 2, 3], interfaces: Set<String> = ["eth1", "eth2"],
               pci: Set<String> = ["0000:00:04.0", "0000:00:05.0"],
               files: [String: SystemFacts.FileAccess] = [:]) -> SystemFacts {
    SystemFacts(onlineCPUs: cpus, interfaceExists: { interfaces.contains($0) }, pciDeviceExists: { pci.contains($0) },
                fileAccess: { files[$0] ?? .missing })
}

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repositoryFile(_ relativePath: String) -> String { repositoryRoot.appendingPathComponent(relativePath).path }

/// The errors that loading `text` throws; fails the test if it loads or throws something else.
func loadErrors(_ text: String, source: String = "t.yaml", facts: SystemFacts = testFacts(),
                file: StaticString = #filePath, line: UInt = #line) -> [ConfigError] {
    do {
        _ = try ConfigLoader.parse(text: text, source: source, facts: facts)
        XCTFail("expected errors, but the config loaded", file: file, line: line)
    } catch let errors as ConfigErrors {
        return errors.errors
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return []
}
