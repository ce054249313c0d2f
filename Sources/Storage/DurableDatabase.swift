import GRDB

/// How every Trustband database is opened and used: `synchronous = FULL` (a commit survives
/// power loss, not only a killed process), and reads and writes whose failures become a
/// `StorageError` that says what was being done.
enum DurableDatabase {
    /// GRDB configuration with `synchronous = FULL` on every connection.
    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return configuration
    }

    static func read<T: Sendable>(_ reader: any DatabaseReader, _ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        do { return try reader.read(body) } catch { throw .database(operation: what, underlying: "\(error)") }
    }

    static func write<T: Sendable>(_ writer: any DatabaseWriter, _ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        do { return try writer.write(body) } catch let error as StorageError { throw error } catch { throw .database(operation: what, underlying: "\(error)") }
    }
}
