// StraitIKEWire and StraitConfig both name a type TrafficSelector, and StraitConfig's module has
// a type named like the module, so the config's is reached through this file, which imports
// only StraitConfig.
import StraitConfig

typealias ConfigTrafficSelector = TrafficSelector

/// Random bytes from the system's CSPRNG (getrandom on Linux): nonces, SPIs.
func secureRandomBytes(_ count: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &g) }
}
