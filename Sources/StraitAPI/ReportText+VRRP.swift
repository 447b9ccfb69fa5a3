/// `show vrrp`: a table of virtual routers, the groups, then each instance's counters and drops.
extension ReportText {
    public static func vrrp(_ r: VRRPReport) -> String {
        guard !r.instances.isEmpty else { return "no vrrp section in the config\n" }
        var t = TextTable([.init("NAME"), .init("INTERFACE"), .init("VRID", .right), .init("STATE"), .init("PRIO", .right),
                           .init("ADVERT"), .init("MASTER"), .init("GROUP"), .init("VIRTUAL ADDRESSES")])
        for i in r.instances {
            let prio = i.priority == i.configuredPriority ? "\(i.priority)" : "\(i.priority)/\(i.configuredPriority)"
            let master = i.state == "master" ? "local" : (i.masterAddress ?? "-")
            t.add([i.name, i.interface, String(i.vrid), i.state, prio, "\(i.masterAdvertIntervalMs)ms", master, i.group ?? "-",
                   i.virtualAddresses.joined(separator: " ")])
        }
        var out = t.render()
        if !r.groups.isEmpty {
            var g = TextTable([.init("GROUP"), .init("STATE"), .init("TRANSITIONS", .right), .init("INSTANCES")])
            for x in r.groups { g.add([x.name, x.state, String(x.transitions), x.instances.joined(separator: " ")]) }
            out += "\n" + g.render()
        }
        for i in r.instances {
            let rows = i.counters.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) }
                + i.drops.sorted { $0.key < $1.key }.map { ("dropped " + $0.key, String($0.value)) }
                + (i.tracking ?? []).map { ("tracking", $0) }
            out += "\n\(i.name):\n" + block(rows)
        }
        if !r.drops.isEmpty {
            out += "\nunmatched:\n" + block(r.drops.sorted { $0.key < $1.key }.map { ("dropped " + $0.key, String($0.value)) })
        }
        return out
    }
}
