import Foundation

/// The current time, injectable so tests and builds are reproducible.
public struct Clock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date) { self.now = now }
    public static let system = Clock(now: { Date() })
    public static func fixed(_ date: Date) -> Clock { Clock(now: { date }) }
}
