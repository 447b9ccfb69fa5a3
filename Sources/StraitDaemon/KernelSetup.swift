import Foundation
import Logging
import StraitConfig
import StraitCore
import StraitNetlink

/// Programs the kernel side of the exception path from the config: the mirrors get their
/// MTU, addresses and link up, static routes go into the kernel's main table (netlink then
/// brings them into the fast path, like any other route), and forwarding is enabled so the
/// kernel can forward what the fast path hands it before a neighbour is resolved.
struct KernelSetup {
    var config: StraitConfig
    var logger: Logger

    struct Failure: Error, CustomStringConvertible {
        var location: SourceLocation
        var key: String
        var message: String
        var description: String { "\(location): \(key): \(message)" }
    }

    /// Mirrors come up inside FastPath's start, before `apply` can reach them. Without this,
    /// the kernel holds the first IPv6 packets for ~1 s while the mirror's link-local address
    /// goes through duplicate address detection: the box's addresses are configured, not
    /// autoconfigured, so mirrors are created with DAD off. Returns what to restore.
    static func disableDADForNewInterfaces() -> String? {
        let file = "/proc/sys/net/ipv6/conf/default/accept_dad"
        let previous = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try? "0".write(toFile: file, atomically: false, encoding: .utf8)
        return previous
    }

    static func restoreDADForNewInterfaces(_ previous: String?) {
        guard let previous else { return }
        try? previous.write(toFile: "/proc/sys/net/ipv6/conf/default/accept_dad", atomically: false, encoding: .utf8)
    }

    func apply(using kernel: KernelConfigurator) throws {
        for (path, value) in [("net/ipv4/ip_forward", "1"), ("net/ipv6/conf/all/forwarding", "1")] {
            writeSysctl(path, value)
        }
        // Enabling forwarding above reset every interface's own setting, so quiet the
        // host interfaces behind af_packet ports only now.
        for port in config.ports { quietHostInterface(of: port) }
        for port in config.ports {
            // The kernel's view of a mirror: IPv6 on (ND and link-local live there), no DAD
            // delay before the box answers for its addresses.
            writeSysctl("net/ipv6/conf/\(port.name)/disable_ipv6", "0")
            writeSysctl("net/ipv6/conf/\(port.name)/accept_dad", "0")
            do {
                try kernel.setMTU(ifname: port.name, mtu: port.mtu)
                try kernel.setLinkUp(ifname: port.name)
            } catch {
                throw Failure(location: port.location, key: "ports.\(port.name)", message: "kernel mirror: \(error)")
            }
            for address in port.addresses {
                do {
                    try kernel.addAddress(ifname: port.name, prefix: address)
                } catch {
                    throw Failure(location: port.location, key: "ports.\(port.name).addresses",
                                  message: "cannot add \(address) to the kernel mirror: \(error)")
                }
            }
        }
        for route in config.routes {
            do {
                try kernel.addRoute(prefix: route.prefix, via: route.via, ifname: route.port)
            } catch {
                throw Failure(location: route.location, key: "routes.\(route.prefix)",
                              message: "the kernel refused the route: \(error)")
            }
        }
    }

    /// An af_packet port reads frames from a kernel interface that the kernel would also
    /// process: answer ARP, deliver to its own addresses, forward. straitd owns that interface,
    /// so the kernel must ignore what arrives there; its view of the port is the mirror.
    /// (Strict reverse-path filtering drops all IPv4 there, as no route points at it.)
    private func quietHostInterface(of port: PortConfig) {
        guard case .success(let spec) = DeviceSpec.parse(port.device),
              case .virtual(_, "af_packet", _) = spec, let iface = spec.argument("iface") else { return }
        writeSysctl("net/ipv6/conf/\(iface)/disable_ipv6", "1")
        writeSysctl("net/ipv4/conf/\(iface)/forwarding", "0")
        writeSysctl("net/ipv4/conf/\(iface)/rp_filter", "1")
        writeSysctl("net/ipv4/conf/\(iface)/arp_ignore", "8")
        writeSysctl("net/ipv4/conf/\(iface)/accept_local", "0")
    }

    private func writeSysctl(_ path: String, _ value: String) {
        let file = "/proc/sys/" + path
        do {
            try value.write(toFile: file, atomically: false, encoding: .utf8)
        } catch {
            logger.warning("cannot set \(file) = \(value): \(error)")
        }
    }
}
