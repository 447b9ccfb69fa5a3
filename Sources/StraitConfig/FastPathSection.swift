import StraitCore

/// The `fast-path` section: instance name, CPUs, mbuf pool, descriptor rings, memory, polling.
enum FastPathSection {
    static let name = "fast-path"
    static let keys = ["instance", "core-mask", "control-core", "nb-mbuf", "mbuf-cache", "nb-rxd", "nb-txd",
                       "hugepages", "memory-mb", "poll-mode", "idle-sleep-us"]

    /// Reads the section from the top-level mapping; the result has defaults wherever a value
    /// was absent or wrong (the errors are in `root.context`).
    static func read(from root: MappingReader) -> FastPathSettings {
        let context = root.context
        guard let node = root.required(name),
              let r = MappingReader(node, key: root.path(name), known: keys, context: context,
                                    location: root.keyLocation(name)) else {
            return FastPathSettings(workerCPUs: CPUList([]), location: root.keyLocation(name))
        }
        var settings = FastPathSettings(workerCPUs: CPUList([]), location: r.location)

        if let instance = r.string("instance") {
            if Rules.isInstanceName(instance.value) {
                settings.instance = instance.value
            } else {
                context.report(.invalidValue, at: instance.location, key: instance.key,
                               "'\(instance.value)' is not a valid instance name: 1 to 24 of a-z, 0-9 and '-'")
            }
        }
        if let cpus = readCoreMask(r) { settings.workerCPUs = cpus }
        if let core = r.int("control-core", in: 0...CPUList.maxCPU) { settings.controlCPU = core.value }
        checkControlCore(r, settings: settings)

        if let mbufs = r.int("nb-mbuf", in: 1...Int(Int32.max)) { settings.mbufs = mbufs.value }
        if let cache = r.int("mbuf-cache", in: Limits.mbufCache) { settings.mbufCache = cache.value }
        if let rxd = Rules.descriptors(r, "nb-rxd") { settings.rxDescriptors = rxd }
        if let txd = Rules.descriptors(r, "nb-txd") { settings.txDescriptors = txd }
        if let huge = r.bool("hugepages") { settings.hugepages = huge.value }
        if let memory = r.int("memory-mb") {
            if memory.value >= Limits.minimumMemoryMB {
                settings.memoryMB = memory.value
            } else {
                context.report(.outOfRange, at: memory.location, key: memory.key,
                               "\(memory.value) is below the minimum of \(Limits.minimumMemoryMB) MiB")
            }
        }
        if let mode = r.choice("poll-mode", of: PollMode.allCases.map(\.rawValue)), let poll = PollMode(rawValue: mode.value) {
            settings.pollMode = poll
        }
        if let sleep = r.int("idle-sleep-us", in: Limits.idleSleepMicroseconds) { settings.idleSleepMicroseconds = sleep.value }
        return settings
    }

    /// `core-mask`: hex mask or CPU list, every CPU online. Written as YAML it may read as a
    /// number (`core-mask: 1`), so its text is taken as written.
    private static func readCoreMask(_ r: MappingReader) -> CPUList? {
        let context = r.context
        guard let node = r.required("core-mask"), let mask = r.reader.string(node, key: r.path("core-mask")) else { return nil }
        switch CPUList.parse(mask.value) {
        case .failure(.empty):
            context.report(.invalidValue, at: mask.location, key: mask.key, "core-mask names no CPU")
        case .failure(.badToken(let token)):
            context.report(.invalidValue, at: mask.location, key: mask.key,
                           "'\(token)' is not a CPU list (\"1-3,5\") or hex mask (\"0x2e\")")
        case .failure(.reversedRange(let range)):
            context.report(.invalidValue, at: mask.location, key: mask.key, "range '\(range)' runs backwards")
        case .failure(.tooLarge(let cpu)):
            context.report(.outOfRange, at: mask.location, key: mask.key, "CPU \(cpu) is above the maximum \(CPUList.maxCPU)")
        case .success(let list):
            let offline = list.cpus.filter { !context.facts.onlineCPUs.contains($0) }
            guard offline.isEmpty else {
                context.report(.notFound, at: mask.location, key: mask.key,
                               (offline.count == 1 ? "CPU \(CPUList(offline)) is not online " : "CPUs \(CPUList(offline)) are not online ")
                               + "(this process may use \(CPUList(Array(context.facts.onlineCPUs))))")
                return nil
            }
            return list
        }
        return nil
    }

    /// `control-core` must be online and outside the workers' CPUs. When it is left at its
    /// default, a clash is reported at `core-mask`, the key the operator did write.
    private static func checkControlCore(_ r: MappingReader, settings: FastPathSettings) {
        let context = r.context
        let controlKey = r.path("control-core"), maskKey = r.path("core-mask")
        guard !context.hasError(touching: controlKey) else { return }
        let core = settings.controlCPU
        let explicit = r.has("control-core")
        guard context.facts.onlineCPUs.contains(core) else {
            context.report(.notFound, at: r.valueLocation("control-core"), key: controlKey,
                           explicit ? "CPU \(core) is not online" : "the default control-core \(core) is not online; set control-core")
            return
        }
        guard !context.hasError(touching: maskKey), settings.workerCPUs.cpus.contains(core) else { return }
        if explicit {
            context.report(.conflict, at: r.valueLocation("control-core"), key: controlKey,
                           "CPU \(core) is also in core-mask \(settings.workerCPUs); the control core must be outside it")
        } else {
            context.report(.conflict, at: r.valueLocation("core-mask"), key: maskKey,
                           "core-mask includes CPU \(core), the default control-core; set control-core to a CPU outside core-mask")
        }
    }
}
