import Foundation

/// A mutex with a closure API (Foundation's NSLock, named for what it guards here).
struct NSLockish: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
