import Foundation
import StraitConfig
import StraitCore

/// Command line of strait-ike-load (see `usage`).
struct Options {
    enum Mode { case initiate, respond }
    var mode = Mode.initiate
    // Both modes.
    var psk: [UInt8] = Array("strait-ike-load-psk-0123456789".utf8)
    var proposal = "aes128gcm16-prfsha256-x25519"
    var espProposal = "aes128gcm16-esn-noesn"
    var logLevel = "warning"
    var retransmitTimeout = 2.0
    var tries = 3
    // Initiator.
    var count = 1000
    var rate = 0.0
    var window = 256
    var gateway = IPAddress("192.0.2.1")!
    var pool = IPPrefix("100.64.0.0/16")!
    var tsPool = IPPrefix("10.200.0.0/16")!
    var tsLength = 32
    var gatewayTS = IPPrefix("10.1.0.0/16")!
    var timeout = 120.0
    var tunnelTimeout = 60.0
    var teardown = false
    var hold = 0.0
    var goFile: String?
    // Responder.
    var listen = IPAddress("192.0.2.1")!
    var localID = "gw.load.test"
    var remoteID = "*.load.test"
    var halfOpen = 100_000
    var cookieThreshold = 50_000
    var uniqueSA = IKEUniqueSAPolicy.replace
    var statusFile: String?
    var duration = 0.0

    static let usage = """
    strait-ike-load: IKEv2 load generator built on Strait's IKE engine (and an engine-only responder).

    Initiator (default): brings up --count tunnels, one IKE SA + one CHILD SA each, from
    consecutive host addresses of --pool (which must be addresses of this namespace), to
    --gateway. Site i has id site<i>.load.test, local TS the i-th /32 (or /30) of --ts-pool,
    remote TS --gateway-ts. One engine, one thread, a null data plane (no ESP).
      --count N             tunnels (1000)
      --rate R              initiations per second, 0 = as fast as the window allows (0)
      --window W            negotiations in flight at most (IKE_SA_INIT or IKE_AUTH outstanding) (256)
      --gateway ADDR        the responder (192.0.2.1)
      --psk TEXT            pre-shared key: text, 0x<hex> or 0s<base64> (a lab-only default)
      --pool PREFIX         source addresses: its hosts from .1 on (100.64.0.0/16)
      --ts-pool PREFIX      sites' traffic selectors (10.200.0.0/16)
      --ts-len 32|30        each site's selector length (32)
      --gateway-ts PREFIX   the gateway's LAN, each site's remote TS (10.1.0.0/16)
      --proposal P          IKE proposal (aes128gcm16-prfsha256-x25519)
      --esp-proposal P      ESP proposal (aes128gcm16-esn-noesn)
      --retransmit-timeout S  first retransmit after S s, then x1.8 (2)
      --tries N             retransmissions before giving up (3)
      --timeout S           give up on the whole setup (and again the teardown) after S s (120)
      --tunnel-timeout S    a tunnel with no outcome after S s counts as timed out (60)
      --teardown            then delete every tunnel (INFORMATIONAL Delete), timed
      --hold S              before the teardown, wait up to S s ... (0)
      --go-file PATH        ... or until PATH exists (the caller measures the responder meanwhile)
      --log-level L         engine log level printed to stderr: trace...critical (warning)
    Prints a summary, a `SETUP key=value ...` line when the setup ends, and a final
    `RESULT key=value ...` line.

    Responder (--respond): the engine alone as the gateway, with the same null data plane: one
    VPN, remote-address any, remote-id --remote-id, PSK; UDP 500 and 4500 on every address.
      --listen ADDR         the VPN's local address (192.0.2.1)
      --local-id ID         (gw.load.test)      --remote-id PATTERN  (*.load.test)
      --gateway-ts PREFIX   local TS (10.1.0.0/16)   --ts-pool PREFIX  remote TS (10.200.0.0/16)
      --half-open N         limits.half-open (100000)
      --cookie-threshold N  limits.cookie-threshold (50000)
      --unique-sa replace|keep|never  (replace, the default of the config)
      --status-file PATH    rewritten every second: key=value counters
      --duration S          stop after S s (0: at SIGTERM/SIGINT)
    """

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw Failure(description: "\(name) needs a value") }
            return arguments[i]
        }
        func number<T: LosslessStringConvertible>(_ name: String, _: T.Type) throws -> T {
            let v = try value(name)
            guard let n = T(v) else { throw Failure(description: "\(name): not a number: \(v)") }
            return n
        }
        func address(_ name: String) throws -> IPAddress {
            let v = try value(name)
            guard let a = IPAddress(v), a.isIPv4 else { throw Failure(description: "\(name): not an IPv4 address: \(v)") }
            return a
        }
        func prefix(_ name: String) throws -> IPPrefix {
            let v = try value(name)
            guard let p = IPPrefix(v), p.isIPv4 else { throw Failure(description: "\(name): not an IPv4 prefix: \(v)") }
            return p.network
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--respond": o.mode = .respond
            case "--count": o.count = try number(a, Int.self)
            case "--rate": o.rate = try number(a, Double.self)
            case "--window": o.window = try number(a, Int.self)
            case "--gateway": o.gateway = try address(a)
            case "--psk": o.psk = try pskBytes(try value(a))
            case "--pool": o.pool = try prefix(a)
            case "--ts-pool": o.tsPool = try prefix(a)
            case "--ts-len": o.tsLength = try number(a, Int.self)
            case "--gateway-ts": o.gatewayTS = try prefix(a)
            case "--proposal": o.proposal = try value(a)
            case "--esp-proposal": o.espProposal = try value(a)
            case "--retransmit-timeout": o.retransmitTimeout = try number(a, Double.self)
            case "--tries": o.tries = try number(a, Int.self)
            case "--timeout": o.timeout = try number(a, Double.self)
            case "--tunnel-timeout": o.tunnelTimeout = try number(a, Double.self)
            case "--teardown": o.teardown = true
            case "--hold": o.hold = try number(a, Double.self)
            case "--go-file": o.goFile = try value(a)
            case "--log-level": o.logLevel = try value(a)
            case "--listen": o.listen = try address(a)
            case "--local-id": o.localID = try value(a)
            case "--remote-id": o.remoteID = try value(a)
            case "--half-open": o.halfOpen = try number(a, Int.self)
            case "--cookie-threshold": o.cookieThreshold = try number(a, Int.self)
            case "--unique-sa":
                let v = try value(a)
                guard let u = IKEUniqueSAPolicy(rawValue: v) else { throw Failure(description: "--unique-sa: replace, keep or never") }
                o.uniqueSA = u
            case "--status-file": o.statusFile = try value(a)
            case "--duration": o.duration = try number(a, Double.self)
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw Failure(description: "unknown argument \(a) (--help)")
            }
            i += 1
        }
        guard o.count >= 1, o.window >= 1, o.rate >= 0, o.tries >= 0, o.retransmitTimeout >= 0.1 else {
            throw Failure(description: "--count and --window must be >= 1, --rate >= 0, --retransmit-timeout >= 0.1")
        }
        guard o.tsLength == 32 || o.tsLength == 30 else { throw Failure(description: "--ts-len: 32 or 30") }
        let hosts = (1 << (32 - o.pool.length)) - 2
        guard o.mode == .respond || o.count <= hosts else {
            throw Failure(description: "--pool \(o.pool) has \(hosts) host addresses, fewer than --count \(o.count)")
        }
        let selectors = 1 << (o.tsLength - o.tsPool.length)
        guard o.mode == .respond || (o.tsPool.length <= o.tsLength && o.count <= selectors) else {
            throw Failure(description: "--ts-pool \(o.tsPool) holds fewer than \(o.count) /\(o.tsLength) selectors")
        }
        return o
    }

    /// strongSwan's and the config's forms: 0x<hex>, 0s<base64>, else the text's bytes.
    static func pskBytes(_ text: String) throws -> [UInt8] {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let hex = Array(text.utf8.dropFirst(2))
            guard hex.count % 2 == 0, !hex.isEmpty else { throw Failure(description: "--psk: odd or empty hex") }
            var out: [UInt8] = []
            for j in stride(from: 0, to: hex.count, by: 2) {
                guard let b = UInt8(String(decoding: hex[j..<j + 2], as: UTF8.self), radix: 16) else {
                    throw Failure(description: "--psk: not hex")
                }
                out.append(b)
            }
            return out
        }
        if text.hasPrefix("0s") {
            guard let d = Data(base64Encoded: String(text.dropFirst(2))) else { throw Failure(description: "--psk: not base64") }
            return Array(d)
        }
        guard !text.isEmpty else { throw Failure(description: "--psk: empty") }
        return Array(text.utf8)
    }
}
