/// Checks that the mbuf pool is large enough for the ports and that `memory-mb` holds the pool
/// and the tables. Runs after all sections are read, and stays quiet when an input already has an error.
enum SizingCheck {
    static func run(fastPath: FastPathSettings, ports: [PortsSection.Entry], context: LoadContext) {
        let section = FastPathSection.name
        let mbufKey = keyPath(section, "nb-mbuf"), memoryKey = keyPath(section, "memory-mb")
        let inputs = ["core-mask", "nb-mbuf", "mbuf-cache", "nb-rxd", "nb-txd"].map { keyPath(section, $0) }
            + ports.flatMap { [keyPath($0.key, "nb-rxd"), keyPath($0.key, "nb-txd")] }
        let mbufsKnown = !inputs.contains(where: context.hasError(touching:))
            && !context.hasError(at: PortsSection.name) && !ports.isEmpty

        if mbufsKnown {
            let workers = fastPath.workerCPUs.cpus.count
            let rings = ports.map { (rx: $0.config.rxDescriptors, tx: $0.config.txDescriptors) }
            let minimum = Limits.minimumMbufs(portDescriptors: rings, workers: workers, cache: fastPath.mbufCache)
            if fastPath.mbufs < minimum {
                let ringTotal = rings.reduce(0) { $0 + $1.rx + $1.tx }
                context.report(.outOfRange, at: context.valueLocation(for: mbufKey) ?? fastPath.location, key: mbufKey,
                               "\(fastPath.mbufs) mbufs are too few: the ports need at least \(minimum) "
                               + "(\(ringTotal) descriptors over \(ports.count) port(s) x \(workers) worker(s) "
                               + "+ \(fastPath.mbufCache) cache x \(workers + 1) lcores + \(Limits.exceptionMbufs) for the exception path)")
            }
        }
        guard !context.hasError(touching: mbufKey), !context.hasError(touching: memoryKey) else { return }
        let minimumMemory = Limits.minimumMemoryMB(mbufs: fastPath.mbufs)
        if fastPath.memoryMB < minimumMemory {
            context.report(.outOfRange, at: context.valueLocation(for: memoryKey) ?? fastPath.location, key: memoryKey,
                           "\(fastPath.memoryMB) MiB is too small: \(fastPath.mbufs) mbufs need at least \(minimumMemory) MiB "
                           + "(\(fastPath.mbufs) x 2.5 KiB + \(Limits.tableMemoryMB) MiB for tables)")
        }
    }
}
