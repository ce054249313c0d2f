import Foundation
import Signal

/// What `POST /v1/tx` takes: a signed transaction's wire bytes, as the raw body
/// (`application/octet-stream`) or as JSON `{"tx": "<hex>"}`. Pure, so that the fuzzer
/// reaches it (`FuzzTargets`, `tx-body`).
public enum SubmissionBody {
    /// The message a JSON body of another shape is refused with.
    public static let jsonShape = "body must be {\"tx\": \"<hex of the signed transaction's wire bytes>\"}"

    /// The wire bytes in `body`; nil when a JSON body is not of that shape (not JSON, not an
    /// object, no string `tx`, or not hex).
    public static func wireBytes(_ body: [UInt8], json: Bool) -> [UInt8]? {
        guard json else { return body }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let text = object["tx"] as? String else {
            return nil
        }
        return Hex.decode(text)
    }
}
