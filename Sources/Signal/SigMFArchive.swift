/// Reads `.sigmf` archives: POSIX tar (ustar, with pax or GNU long names) holding
/// `NAME/NAME.sigmf-meta` and `NAME/NAME.sigmf-data`. Members are located, not extracted:
/// samples are read in place at their offset in the archive.
public enum SigMFArchive {
    /// A file inside the archive.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var offset: Int64
        public var size: Int64
    }

    /// Lists the regular files in a tar archive.
    public static func members(ofArchiveAt path: String) throws(SignalError) -> [Member] {
        let file = try ReadOnlyFile(path: path)
        let total = try file.size()
        var members: [Member] = []
        var offset: Int64 = 0
        var pendingName: String?
        var pendingSize: Int64?
        while offset + 512 <= total {
            let header = try file.readBytes(count: 512, at: offset)
            if header.allSatisfy({ $0 == 0 }) { break }
            guard verifyChecksum(header) else {
                throw .invalidArchive(path: path, problem: "bad tar header checksum at byte \(offset)")
            }
            guard let headerSize = octal(header[124..<136]) else {
                throw .invalidArchive(path: path, problem: "bad size field in tar header at byte \(offset)")
            }
            let size = pendingSize ?? headerSize
            let dataOffset = offset + 512
            guard dataOffset + size <= total else {
                throw .invalidArchive(path: path, problem: "member at byte \(offset) claims \(size) bytes but the archive ends at \(total)")
            }
            let type = header[156]
            switch type {
            case UInt8(ascii: "x"):  // pax extended header for the next member
                let records = try file.readBytes(count: Int(headerSize), at: dataOffset)
                let pax = parsePax(records)
                pendingName = pax["path"]
                pendingSize = pax["size"].flatMap { Int64($0) }
            case UInt8(ascii: "L"):  // GNU long name for the next member
                let bytes = try file.readBytes(count: Int(headerSize), at: dataOffset)
                pendingName = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "g"):
                break
            default:
                if type == 0 || type == UInt8(ascii: "0") {
                    members.append(Member(name: pendingName ?? ustarName(header), offset: dataOffset, size: size))
                }
                pendingName = nil
                pendingSize = nil
            }
            offset = dataOffset + (size + 511) / 512 * 512
        }
        return members
    }

    /// The metadata and data members of the single recording in an archive.
    static func recordingMembers(ofArchiveAt path: String) throws(SignalError) -> (meta: Member, data: Member) {
        let all = try members(ofArchiveAt: path)
        let metas = all.filter { $0.name.hasSuffix(".sigmf-meta") }
        guard !metas.isEmpty else { throw .invalidArchive(path: path, problem: "no .sigmf-meta member") }
        guard metas.count == 1 else {
            throw .invalidArchive(path: path, problem: "\(metas.count) recordings (\(metas.map(\.name).joined(separator: ", "))); extract the one you want")
        }
        let stem = String(metas[0].name.dropLast(".sigmf-meta".count))
        guard let data = all.first(where: { $0.name == stem + ".sigmf-data" }) else {
            throw .invalidArchive(path: path, problem: "no \(stem).sigmf-data beside \(metas[0].name)")
        }
        return (metas[0], data)
    }

    static func readMember(_ member: Member, ofArchiveAt path: String) throws(SignalError) -> [UInt8] {
        try ReadOnlyFile(path: path).readBytes(count: Int(member.size), at: member.offset)
    }

    private static func ustarName(_ header: [UInt8]) -> String {
        let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        let magic = String(decoding: header[257..<262], as: UTF8.self)
        guard magic == "ustar" else { return name }
        let prefix = String(decoding: header[345..<500].prefix { $0 != 0 }, as: UTF8.self)
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        for byte in field {
            if byte == 0 || byte == 32 { if digits > 0 { break } else { continue } }
            guard byte >= 48 && byte <= 55 else { return nil }
            value = value * 8 + Int64(byte - 48)
            digits += 1
        }
        return value
    }

    private static func verifyChecksum(_ header: [UInt8]) -> Bool {
        guard let stored = octal(header[148..<156]) else { return false }
        var sum: Int64 = 0
        for (n, byte) in header.enumerated() { sum += (148..<156).contains(n) ? 32 : Int64(byte) }
        return sum == stored
    }

    private static func parsePax(_ bytes: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 32), let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)),
                  length > 0, index + length <= bytes.count else { break }
            let record = bytes[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: 61) {
                result[String(decoding: record[record.startIndex..<equals], as: UTF8.self)] =
                    String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            index += length
        }
        return result
    }
}
