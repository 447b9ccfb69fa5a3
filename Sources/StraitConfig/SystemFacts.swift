import Foundation

/// What the loader checks a config against on this machine: which CPUs the process may use,
/// which network interfaces and PCI devices exist, which files can be read. Injected, so tests
/// do not depend on the host.
public struct SystemFacts: Sendable {
    /// What a file the config names (a certificate, a key) is like.
    public enum FileAccess: Sendable, Equatable {
        case readable
        case missing
        /// A directory or a device, not a regular file.
        case notAFile
        /// There, but this process cannot read it (the reason).
        case unreadable(String)
    }

    public var onlineCPUs: Set<Int>
    public var interfaceExists: @Sendable (String) -> Bool
    public var pciDeviceExists: @Sendable (String) -> Bool
    public var fileAccess: @Sendable (String) -> FileAccess

    public init(onlineCPUs: Set<Int>,
                interfaceExists: @escaping @Sendable (String) -> Bool,
                pciDeviceExists: @escaping @Sendable (String) -> Bool,
                fileAccess: @escaping @Sendable (String) -> FileAccess = SystemFacts.fileAccess(atPath:)) {
        self.onlineCPUs = onlineCPUs
        self.interfaceExists = interfaceExists
        self.pciDeviceExists = pciDeviceExists
        self.fileAccess = fileAccess
    }

    /// The file system's answer: a regular file (after symbolic links) that this process can open for reading.
    @Sendable public static func fileAccess(atPath path: String) -> FileAccess {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard !isDirectory.boolValue,
              let type = try? FileManager.default.attributesOfItem(atPath: target)[.type] as? FileAttributeType,
              type == .typeRegular else { return .notAFile }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .unreadable(FileManager.default.isReadableFile(atPath: path) ? "it cannot be opened" : "permission denied")
        }
        try? handle.close()
        return .readable
    }

    /// This machine: CPUs from the process's affinity mask (falling back to
    /// /sys/devices/system/cpu/online), interfaces from /sys/class/net, PCI devices from /sys/bus/pci/devices.
    public static var current: SystemFacts {
        SystemFacts(
            onlineCPUs: affinityCPUs() ?? sysfsOnlineCPUs() ?? [0],
            interfaceExists: { name in
                guard isSafePathComponent(name) else { return false }
                return FileManager.default.fileExists(atPath: "/sys/class/net/\(name)")
            },
            pciDeviceExists: { address in
                guard isSafePathComponent(address) else { return false }
                return FileManager.default.fileExists(atPath: "/sys/bus/pci/devices/\(address.lowercased())")
            })
    }

    private static func isSafePathComponent(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// The process's affinity, as the kernel lists it in /proc/self/status (`Cpus_allowed_list: 0-3,8`).
    private static func affinityCPUs() -> Set<Int>? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            return nil
        }
        return parseList(line.dropFirst("Cpus_allowed_list:".count))
    }

    private static func sysfsOnlineCPUs() -> Set<Int>? {
        guard let text = try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8) else { return nil }
        return parseList(Substring(text))
    }

    /// The kernel's CPU list format, `0-3,8`, with no upper limit on CPU numbers.
    static func parseList(_ text: Substring) -> Set<Int>? {
        var cpus = Set<Int>()
        for token in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let ends = token.split(separator: "-").map { Int($0) }
            guard let low = ends.first ?? nil, let high = ends.last ?? nil, ends.count <= 2, low <= high else { return nil }
            cpus.formUnion(low...high)
        }
        return cpus.isEmpty ? nil : cpus
    }
}
