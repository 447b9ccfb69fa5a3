import CFastPath

extension FastPath {
    /// Every worker's loop counter, read WITHOUT the control lock: a stuck worker blocks any
    /// table change that waits for the workers (RCU) while holding that lock, and the health
    /// check that reports the stuck worker must still run then. Safe because it only loads
    /// counters of workers fixed at start; call it only while the fast path runs (the
    /// caller stops before `shutdown`).
    public func workerLoopCounters() -> [UInt64] {
        (0..<Int(fp_worker_count())).compactMap { w -> UInt64? in
            var i = fp_lcore_info_t()
            return fp_worker_info(Int32(w), &i) == 0 ? i.loops : nil
        }
    }
}
