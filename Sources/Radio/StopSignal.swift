import Synchronization

/// A flag another thread raises to make a blocking source return (shutdown while a device is
/// being waited for or reconnected).
public final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func raise() { raised.store(true, ordering: .releasing) }
    public var isRaised: Bool { raised.load(ordering: .acquiring) }
}
