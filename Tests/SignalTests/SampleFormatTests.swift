import Testing
@testable import Signal

@Suite("Sample formats")
struct SampleFormatTests {
    @Test("SigMF datatypes and aliases parse to the right component and width",
          arguments: [("cu8", ComponentType.u8, 2), ("ci8", .i8, 2), ("cs8", .i8, 2), ("ci16_le", .i16, 4), ("cs16", .i16, 4), ("ci16", .i16, 4),
                      ("cf32_le", .f32, 8), ("cf32", .f32, 8), ("cf64_be", .f64, 16), ("cu16_be", .u16, 4), ("ci32_le", .i32, 8)])
    func parses(name: String, component: ComponentType, width: Int) throws {
        let format = try SampleFormat(parsing: name)
        #expect(format.component == component)
        #expect(format.bytesPerSample == width)
    }

    @Test("Names that SigMF's unanchored regex would accept are refused",
          arguments: ["cf32_lex", "cu8_le", "cf32le", "xf32_le", "", "c"])
    func strict(name: String) {
        #expect(throws: SignalError.self) { try SampleFormat(parsing: name) }
    }

    @Test("Real-valued datatypes are refused with a reason")
    func realRefused() {
        #expect(throws: SignalError.unsupportedDatatype("rf32_le", reason: "real-valued samples; Trustband needs complex IQ")) {
            try SampleFormat(parsing: "rf32_le")
        }
    }
}
