import Synchronization

/// A value shared between threads, behind Swift's `Mutex`. A change is one `withLock` call, so a
/// read-modify-write is one critical section (there is deliberately no setter: `box.value += 1`
/// would lock twice and lose updates).
public final class LockedBox<T: Sendable>: Sendable {
    private let mutex: Mutex<T>
    public init(_ value: T) { mutex = Mutex(value) }

    /// A copy of the current value.
    public var value: T { mutex.withLock { $0 } }

    public func withLock<R: Sendable>(_ body: (inout T) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}
