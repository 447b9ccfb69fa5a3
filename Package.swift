// swift-tools-version:5.9
//
// Strait: a user-space fast-path VPN concentrator.
//
// Layers, bottom to top (a target only depends on the ones above it in this list):
//
//   CFastPath        C11 data plane on DPDK; the only code that includes DPDK headers.
//                    Exposes a small C API of plain structs and integer handles.
//   StraitCore       Value types shared by every Swift target (addresses, prefixes, errors).
//   StraitConfig     The YAML configuration: strict parsing and validation (file:line:key errors).
//   StraitFastPath   Swift face of CFastPath: start/stop, table updates, counters.
//   StraitNetlink    Mirrors the kernel's addresses, neighbours and routes into the fast path.
//   StraitAPI        The control-socket request/response model and a blocking client.
//   StraitControl    The control-socket server (SwiftNIO, root-only Unix socket).
//   StraitIKEWire    IKEv2 messages (RFC 7296): payload codec, IANA registries. No I/O, no crypto.
//   CIKEBignum       OpenSSL's bignum for the MODP Diffie-Hellman groups (2, 14).
//   StraitIKECrypto  IKEv2 key derivation, SK payload protection, Diffie-Hellman, AUTH octets.
//   StraitIKE        IKEv2 protocol (RFC 7296): I/O-free engine, IKE SAs, one task per exchange step.
//   StraitIKEService The IKE I/O shell: UDP 500/4500 on SwiftNIO, bounded queue, timers.
//   StraitVRRP       VRRPv3 (RFC 5798/9568): advertisement codec, I/O-free router and group state machines.
//   StraitVRRPService The VRRP I/O shell: protocol 112 on the kernel mirrors, virtual addresses, GARP/NA.
//   StraitHASync     HA state sync to the standby: codec, encrypted session, I/O-free sync state machines.
//   StraitDaemon     Wires config, fast path, netlink sync, IKE and control socket together.
//   straitd          The daemon executable (thin).
//   straitctl        The operator CLI (thin).
//   strait-bench-fwd Forwarding benchmark over net_ring (Benchmarks/).
//   strait-bench-esp ESP encrypt/decrypt benchmark against the cipher-only cost (Benchmarks/).
//   strait-esp-tool  Runs the ESP code on hex packets (interop tests, fuzz seeds).
import PackageDescription
import Foundation

/// DPDK's compile and link flags, as `pkg-config` gives them for the installed DPDK.
/// (SwiftPM's own pkg-config reader rejects Debian's libdpdk.pc, so the manifest asks pkg-config.)
func pkgConfig(_ arguments: [String]) -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/pkg-config")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { return [] }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return [] }
    return String(decoding: data, as: UTF8.self)
        .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
}

let dpdkCFlags = pkgConfig(["--cflags", "libdpdk"])
let dpdkLibraries: [LinkerSetting] = pkgConfig(["--libs", "libdpdk"])
    .filter { $0.hasPrefix("-l") }
    .map { .linkedLibrary(String($0.dropFirst(2))) }
// net_ring is linked directly: the benchmark builds ring ports with rte_eth_from_rings().
let fastPathLinker: [LinkerSetting] = dpdkLibraries + [
    .linkedLibrary("rte_net_ring"), .linkedLibrary("numa"),
    .linkedLibrary("IPSec_MB"),   // intel-ipsec-mb: the direct AES-GCM API for ESP
]
let fastPathCFlags = ["-O3", "-std=gnu11", "-DALLOW_EXPERIMENTAL_API", "-Wall", "-Wextra", "-Wno-unused-parameter",
                      "-Wno-missing-field-initializers"] + dpdkCFlags

let package = Package(
    name: "Strait",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "straitd", targets: ["straitd"]),
        .executable(name: "straitctl", targets: ["straitctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        // Data plane.
        .target(
            name: "CFastPath",
            path: "CFastPath",
            exclude: ["README.md"],
            cSettings: [.unsafeFlags(fastPathCFlags)],
            linkerSettings: fastPathLinker
        ),
        // Control plane.
        .target(name: "StraitCore"),
        .target(name: "StraitConfig", dependencies: ["StraitCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "StraitFastPath", dependencies: ["CFastPath", "StraitCore", "StraitConfig"]),
        .target(name: "StraitNetlink", dependencies: ["StraitCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "StraitAPI", dependencies: ["StraitCore"]),
        .target(name: "StraitControl", dependencies: [
            "StraitAPI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // IKEv2, bottom up: wire codec, then crypto; the protocol state machines build on both.
        .target(name: "StraitIKEWire", dependencies: ["StraitCore"]),
        .target(name: "CIKEBignum", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "StraitIKECrypto", dependencies: [
            "CIKEBignum",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "StraitIKE", dependencies: [
            "StraitCore", "StraitConfig", "StraitIKEWire", "StraitIKECrypto",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .target(name: "StraitIKEService", dependencies: [
            "StraitIKE",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // High availability, bottom up: VRRP first (no I/O).
        .target(name: "StraitVRRP", dependencies: ["StraitCore"]),
        .target(name: "StraitVRRPService", dependencies: [
            "StraitVRRP", "StraitCore", "StraitNetlink",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "StraitHASync", dependencies: [
            "StraitCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "StraitDaemon", dependencies: [
            "StraitCore", "StraitConfig", "StraitFastPath", "StraitNetlink", "StraitAPI", "StraitControl",
            "StraitIKE", "StraitIKEService", "StraitVRRP", "StraitVRRPService", "StraitHASync",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "straitd", dependencies: [
            "StraitDaemon", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "straitctl", dependencies: [
            "StraitAPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(
            name: "strait-esp-tool",
            dependencies: ["CFastPath"],
            path: "Tests/tools/strait-esp-tool",
            cSettings: [.unsafeFlags(fastPathCFlags)]
        ),
        .executableTarget(
            name: "strait-bench-esp",
            dependencies: ["CFastPath"],
            path: "Benchmarks/esp",
            cSettings: [.unsafeFlags(fastPathCFlags)]
        ),
        .executableTarget(
            name: "strait-bench-fwd",
            dependencies: ["CFastPath"],
            path: "Benchmarks/fwd",
            cSettings: [.unsafeFlags(fastPathCFlags)]
        ),
        .executableTarget(name: "strait-ike-load", dependencies: ["StraitIKE", "StraitConfig", "StraitCore", .product(name: "Logging", package: "swift-log")], path: "Benchmarks/ike-load"),

        // Tests.
        .testTarget(name: "StraitCoreTests", dependencies: ["StraitCore"]),
        .testTarget(name: "StraitConfigTests", dependencies: ["StraitConfig"]),
        .testTarget(name: "StraitNetlinkTests", dependencies: ["StraitNetlink"]),
        .testTarget(name: "StraitAPITests", dependencies: ["StraitAPI", "StraitControl"]),
        .testTarget(name: "StraitFastPathTests", dependencies: ["StraitFastPath", "CFastPath"]),
        .testTarget(name: "StraitIKEWireTests", dependencies: ["StraitIKEWire"]),
        .testTarget(name: "StraitIKECryptoTests", dependencies: ["StraitIKECrypto"]),
        .testTarget(name: "StraitIKETests", dependencies: ["StraitIKE", "StraitIKEWire", "StraitIKECrypto"]),
        .testTarget(name: "StraitVRRPTests", dependencies: ["StraitVRRP", "StraitCore"]),
        .testTarget(name: "StraitHASyncTests", dependencies: ["StraitHASync", "StraitCore"]),
        .testTarget(name: "StraitVRRPServiceTests", dependencies: ["StraitVRRPService", "StraitVRRP", "StraitCore"]),
        .testTarget(name: "StraitIKEServiceTests", dependencies: [
            "StraitIKEService", "StraitIKE", "StraitIKECrypto", "StraitDaemon", "StraitConfig", "StraitCore",
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ]
)
