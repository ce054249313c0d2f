import Foundation
import Node
import Synchronization
import Testing

@Suite("Background worker")
struct BackgroundWorkerTests {
    /// The kernel's view of the calling thread: field 19 of /proc/thread-self/stat is its nice value.
    static func threadNice() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return Int(fields[19 - 3])
    }

    @Test("jobs run in order on a thread at nice 19; the caller's thread keeps its priority")
    func lowPriorityInOrder() async throws {
        let callerBefore = Self.threadNice()
        let seen = Mutex<[(Int, Int?)]>([])
        let done = DispatchSemaphore(value: 0)
        for n in 0..<20 {
            BackgroundWorker.lowPriority.submit {
                seen.withLock { $0.append((n, Self.threadNice())) }
                if n == 19 { done.signal() }
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        let runs = seen.withLock { $0 }
        #expect(runs.map(\.0) == Array(0..<20))
        #expect(runs.allSatisfy { $0.1 == 19 }, "nice values seen by the jobs: \(runs.map(\.1))")
        #expect(BackgroundWorker.lowPriority.niceValue == 19)
        #expect(callerBefore != nil && Self.threadNice() == callerBefore)
    }
}
