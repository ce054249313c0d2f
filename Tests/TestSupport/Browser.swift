import Foundation

/// Headless Chromium as the judge of whether an SVG renders: the picture is loaded as an image
/// (a document that is not valid SVG fails to load), drawn on a canvas, and its pixels counted.
/// Enabled when `chromium` is installed; with TRUSTBAND_REQUIRE_ORACLES=1 a missing browser is
/// a failure, not a skip.
public enum Browser {
    public static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static var available: Bool { executable != nil || Oracle.required }

    /// What the browser made of a picture.
    public struct Rendering: Sendable, Decodable {
        public var loaded: Bool
        public var width: Int?
        public var height: Int?
        /// Pixels inside `region` whose colour is saturated (not grey, white or black).
        public var saturatedInRegion: Int?
        public var regionPixels: Int?
        /// Pixels within a small distance of `colour`.
        public var matchingColour: Int?
        public var error: String?
    }

    /// Renders `svg`, counting saturated pixels inside `region` (x, y, width, height) and pixels
    /// of `colour` (RGB) anywhere.
    public static func render(svg: String, region: (Int, Int, Int, Int), colour: (Int, Int, Int)) throws -> Rendering {
        guard let executable else { throw OracleFailure(message: "chromium is not installed (apt-get install chromium)") }
        let dir = try Paths.scratch("browser")
        let page = """
        <!doctype html><html><body><pre id="result">pending</pre><script>
        const img = new Image();
        img.onload = () => {
          const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d'); g.drawImage(img, 0, 0);
          const r = {loaded: true, width: img.naturalWidth, height: img.naturalHeight};
          try {
            const d = g.getImageData(0, 0, c.width, c.height).data;
            const [rx, ry, rw, rh] = [\(region.0), \(region.1), \(region.2), \(region.3)];
            let saturated = 0, matching = 0;
            for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
              const i = 4 * (y * c.width + x), R = d[i], G = d[i + 1], B = d[i + 2];
              if (x >= rx && x < rx + rw && y >= ry && y < ry + rh && Math.max(R, G, B) - Math.min(R, G, B) > 40) saturated++;
              if (Math.abs(R - \(colour.0)) + Math.abs(G - \(colour.1)) + Math.abs(B - \(colour.2)) < 30) matching++;
            }
            r.saturatedInRegion = saturated; r.regionPixels = rw * rh; r.matchingColour = matching;
          } catch (e) { r.error = String(e); }
          document.getElementById('result').textContent = JSON.stringify(r);
        };
        img.onerror = () => { document.getElementById('result').textContent = JSON.stringify({loaded: false}); };
        img.src = 'data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString())';
        </script></body></html>
        """
        let path = dir.appendingPathComponent("page.html").path
        try Data(page.utf8).write(to: URL(fileURLWithPath: path))
        let result = try Subprocess.run(URL(fileURLWithPath: executable),
                                        ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir.path)/profile",
                                         "--virtual-time-budget=10000", "--dump-dom", "file://\(path)"])
        guard let start = result.out.range(of: "<pre id=\"result\">"),
              let end = result.out.range(of: "</pre>", range: start.upperBound..<result.out.endIndex) else {
            throw OracleFailure(message: "chromium printed no result (status \(result.status)): \(result.err.suffix(2000))")
        }
        let json = String(result.out[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
        guard json != "pending" else { throw OracleFailure(message: "chromium did not finish loading the picture") }
        return try JSONDecoder().decode(Rendering.self, from: Data(json.utf8))
    }
}
