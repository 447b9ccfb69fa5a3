// strait-ike-load: an IKEv2 scale benchmark built from Strait's own IKE engine
// (Benchmarks/run-ike-scale.sh drives it; docs/benchmarks.md, "IKE scale", has the numbers).
import Foundation

setvbuf(stdout, nil, _IOLBF, 0)
do {
    let o = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    switch o.mode {
    case .initiate: exit(try LoadInitiator(o).run())
    case .respond: exit(try LoadResponder(o).run())
    }
} catch {
    FileHandle.standardError.write(Data("strait-ike-load: \(error)\n".utf8))
    exit(2)
}
