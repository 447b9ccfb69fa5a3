import StraitCore
import Yams

/// `ipsec.tunnel-routes`: route-based VPN, a route whose next hop is an outbound SA. The
/// prefix must lie inside the SA's remote traffic selector and not be a static route too.
enum IPsecTunnelRouteSection {
    static let name = "tunnel-routes"
    static let keys = ["prefix", "sa"]

    static func read(_ parent: MappingReader, sas: IPsecSASection.Table, staticRoutes: [StaticRoute]) -> [TunnelRouteConfig] {
        guard let items = parent.list(name) else { return [] }
        let context = parent.context
        let statics = Dictionary(staticRoutes.map { ($0.prefix, $0.location) }, uniquingKeysWith: { first, _ in first })
        var seen: [IPPrefix: Located<IPPrefix>] = [:]
        var routes: [TunnelRouteConfig] = []
        for item in items {
            let errorsBefore = context.errors.count
            guard let r = MappingReader(item.node, key: item.key, known: keys, context: context,
                                        recordsValueLocations: false) else { continue }
            let prefix = IPsecValues.requiredNetwork(r, "prefix", what: "a prefix")
            var clashes = true
            if let prefix {
                if let earlier = seen[prefix.value] {
                    context.report(.duplicateValue, at: prefix.location, key: prefix.key,
                                   "a tunnel route to \(prefix.value) is already given at line \(earlier.location.line)")
                } else if let route = statics[prefix.value] {
                    context.report(.conflict, at: prefix.location, key: prefix.key,
                                   "\(prefix.value) is also a static route (routes, line \(route.line)); a prefix goes "
                                   + "either to a gateway or into a tunnel")
                } else {
                    seen[prefix.value] = prefix
                    clashes = false
                }
            }
            let sa = r.required("sa").flatMap { r.reader.string($0, key: r.path("sa")) }
                .flatMap { IPsecReferences.outboundSA($0, sas: sas, context: context, user: "a tunnel route") }
            if let prefix, let sa, let remoteTS = sas.entry(named: sa.value)?.remoteTS,
               !clashes, !remoteTS.contains(prefix.value) {
                context.report(.conflict, at: prefix.location, key: prefix.key,
                               "\(prefix.value) is outside SA '\(sa.value)''s remote-ts \(remoteTS); the peer would drop that traffic")
            }
            guard let prefix, let sa, context.errors.count == errorsBefore else { continue }
            routes.append(TunnelRouteConfig(prefix: prefix.value, sa: sa.value, location: r.location))
        }
        return routes
    }
}
