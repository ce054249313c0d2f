import Foundation

/// Decodes a JSON configuration file so that every failure names the key at fault
/// (`ledger.nodes[1]`, `detector.fft`) and says what is wrong with it.
public enum ConfigurationDecoding {
    /// A key (dotted path, or the file when the whole file is at fault) and its problem.
    public struct Problem: Error, Sendable, Equatable {
        public var key: String
        public var problem: String
    }

    /// Reads `path` and decodes it as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws(Problem) -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(key: path, problem: "cannot read the file") }
        return try decode(type, from: data, path: path)
    }

    /// Decodes `data` (read from `path`) as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws(Problem) -> T {
        func key(_ context: DecodingError.Context, _ last: (any CodingKey)? = nil) -> String {
            let parts = (context.codingPath + (last.map { [$0] } ?? [])).map { part in part.intValue.map { "[\($0)]" } ?? part.stringValue }
            let joined = parts.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
            return joined.isEmpty ? path : joined
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(missing, context) {
            throw Problem(key: key(context, missing), problem: "is required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw Problem(key: key(context), problem: context.debugDescription)
        } catch let DecodingError.valueNotFound(_, context) {
            throw Problem(key: key(context), problem: "is null")
        } catch let DecodingError.dataCorrupted(context) {
            throw Problem(key: key(context), problem: "\(context.debugDescription) \(context.underlyingError.map { "\($0)" } ?? "")")
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(key: path, problem: "\(error)")
        }
    }
}
