/// The agent's live view (`trustband agent` with `http.ui: true`): waterfall and spectrum
/// (current, max-hold, mean) over a WebSocket, the grants' bands and limits on them, the
/// violations as they are found, the evidence outbox, the device.
public enum AgentPage {
    public static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Trustband agent</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="stylesheet" href="/ui/style.css"></head>
    <body>
    <header><h1>Trustband agent</h1><span class="status" id="source"></span><span class="status" id="device"></span><span class="status" id="link">connecting…</span></header>
    <main>
    <section><h2>Spectrum <span class="muted" id="fps"></span></h2>
      <canvas id="spectrum" width="1024" height="240"></canvas>
      <div class="legend">dBFS per bin · <span class="current">current</span> · <span class="maxhold">max-hold</span> · <span class="mean">mean</span> · grants shaded with their PSD limit; the limit is drawn (dashed) where a calibration maps dBm to dBFS</div>
      <h2>Waterfall</h2><canvas id="waterfall" width="1024" height="300"></canvas>
    </section>
    <div class="cols">
    <section><h2>Emissions in view <span class="muted">(now: bins 10 dB over the frame's median, joined within 3 bins)</span></h2><table><thead><tr><th>centre (MHz)</th><th>width (kHz)</th><th>peak (dBFS/bin)</th><th>over floor (dB)</th><th>in grant</th><th>seen for</th></tr></thead><tbody id="emissions"></tbody></table></section>
    <section><h2>Violations found</h2><table><thead><tr><th>found</th><th>kind / rule</th><th>grant</th><th>suspect</th><th>measured</th><th>limit</th><th>when</th></tr></thead><tbody id="violations"></tbody></table></section>
    <section><h2>Evidence outbox</h2><table><thead><tr><th>record</th><th>state</th><th>height</th><th>commit</th><th>bundle</th></tr></thead><tbody id="outbox"></tbody></table></section>
    </div>
    <section><h2>Grants in force</h2><table><thead><tr><th>id</th><th>holder</th><th>band (MHz)</th><th>max PSD dBm/MHz</th><th>out of band</th><th>windows</th></tr></thead><tbody id="grants"></tbody></table></section>
    </main>
    <script src="/ui/common.js"></script><script src="/ui/agent.js"></script>
    </body></html>
    """

    public static let js = """
    'use strict';
    const spec = document.getElementById('spectrum'), wf = document.getElementById('waterfall');
    const sg = spec.getContext('2d'), wg = wf.getContext('2d');
    let grants = [], maxHold = null, meanPower = null, frames = 0, fpsTimes = [], range = null, connectedAt = 0, outboxRows = 0, status = {};
    const violations = [];
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    function colour(x) {
      x = Math.min(1, Math.max(0, x)) * (stops.length - 1);
      const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
      return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
    }
    function onFrame(m) {
      const n = m.db10.length, db = new Float32Array(n);
      for (let k = 0; k < n; k++) db[k] = m.db10[k] / 10;
      if (!maxHold || maxHold.length !== n) { maxHold = Float32Array.from(db); meanPower = Float64Array.from(db, v => Math.pow(10, v / 10)); frames = 0; }
      frames++;
      for (let k = 0; k < n; k++) {
        if (db[k] > maxHold[k]) maxHold[k] = db[k];
        meanPower[k] += (Math.pow(10, db[k] / 10) - meanPower[k]) / Math.min(frames, 200);
      }
      const sorted = Array.from(db).sort((a, b) => a - b);
      const lo = sorted[Math.floor(n * 0.05)] - 6, hi = Math.max(lo + 20, Math.max(...maxHold) + 3);
      range = range ? {lo: range.lo * 0.9 + lo * 0.1, hi: range.hi * 0.9 + hi * 0.1} : {lo, hi};
      if (wf.width !== n) { wf.width = n; spec.width = n; }
      wg.drawImage(wf, 0, 0, n, wf.height - 1, 0, 1, n, wf.height - 1);
      const row = wg.createImageData(n, 1);
      for (let k = 0; k < n; k++) {
        const c = colour((db[k] - range.lo) / (range.hi - range.lo));
        row.data[4 * k] = c[0]; row.data[4 * k + 1] = c[1]; row.data[4 * k + 2] = c[2]; row.data[4 * k + 3] = 255;
      }
      wg.putImageData(row, 0, 0);
      drawSpectrum(m, db);
      detect(m, db, sorted[Math.floor(n / 2)]);
      const now = performance.now();
      fpsTimes.push(now);
      while (fpsTimes.length > 1 && now - fpsTimes[0] > 2000) fpsTimes.shift();
      TB.text('fps', (fpsTimes.length > 1 ? ((fpsTimes.length - 1) * 1000 / (now - fpsTimes[0])).toFixed(1) : '0') + ' frames/s, centre ' + (m.center_hz / 1e6).toFixed(4) + ' MHz, ' + (m.rate / 1e6).toFixed(3) + ' MS/s');
    }
    function drawSpectrum(m, db) {
      const W = spec.width, H = spec.height, n = db.length, {lo, hi} = range;
      const y = v => H - (v - lo) / (hi - lo) * H;
      sg.fillStyle = '#10141c'; sg.fillRect(0, 0, W, H);
      const f0 = m.center_hz - m.rate / 2, x = f => (f - f0) / m.rate * W;
      sg.font = '12px sans-serif';
      for (const g of grants) {
        const a = x(g.freq_low_hz), b = x(g.freq_high_hz);
        if (b < 0 || a > W) continue;
        sg.fillStyle = 'rgba(255, 170, 0, 0.18)'; sg.fillRect(a, 0, Math.max(1, b - a), H);
        sg.fillStyle = '#ffcc66'; sg.fillText(g.id + ' (' + g.holder + ')', Math.max(2, a + 2), 14);
        sg.fillText('≤ ' + g.max_psd_dbm_per_mhz + ' dBm/MHz', Math.max(2, a + 2), 28);
        if (g.limit_dbfs_per_bin !== null && g.limit_dbfs_per_bin !== undefined) {
          sg.strokeStyle = '#ffcc66'; sg.setLineDash([6, 4]); sg.beginPath(); sg.moveTo(a, y(g.limit_dbfs_per_bin)); sg.lineTo(b, y(g.limit_dbfs_per_bin)); sg.stroke(); sg.setLineDash([]);
        }
      }
      sg.strokeStyle = '#2a3140'; sg.fillStyle = '#8892a6';
      for (let v = Math.ceil(lo / 10) * 10; v < hi; v += 10) { sg.beginPath(); sg.moveTo(0, y(v)); sg.lineTo(W, y(v)); sg.stroke(); sg.fillText(v + ' dB', 4, y(v) - 2); }
      const line = (values, style) => {
        sg.strokeStyle = style; sg.beginPath();
        for (let k = 0; k < n; k++) { const px = (k + 0.5) / n * W, py = y(values[k]); if (k) sg.lineTo(px, py); else sg.moveTo(px, py); }
        sg.stroke();
      };
      line(Array.from(meanPower, p => 10 * Math.log10(p)), '#6ea8ff');
      line(maxHold, '#ff6b6b');
      line(db, '#3ddc84');
    }
    // Emissions in the current frame: runs of bins 10 dB over the median, gaps of ≤ 3 bins
    // bridged; each keeps the time it was first seen while it stays (matched by centre).
    let emissions = [];
    function detect(m, db, median) {
      const n = db.length, binHz = m.rate / n, f0 = m.center_hz - m.rate / 2, found = [];
      let start = -1, last = -1;
      for (let k = 0; k <= n; k++) {
        const on = k < n && db[k] > median + 10;
        if (on) { if (start < 0) start = k; last = k; }
        if ((!on && start >= 0 && k - last > 3) || (k === n && start >= 0)) {
          let peak = -Infinity; for (let j = start; j <= last; j++) peak = Math.max(peak, db[j]);
          const centre = f0 + (start + last + 1) / 2 * binHz;
          found.push({centre, width: (last - start + 1) * binHz, peak, over: peak - median});
          start = -1;
        }
      }
      const now = Date.now();
      emissions = found.map(e => {
        const before = emissions.find(x => Math.abs(x.centre - e.centre) < Math.max(e.width, x.width));
        return Object.assign(e, {since: before ? before.since : now});
      });
      const inGrant = e => (grants.find(g => e.centre >= g.freq_low_hz && e.centre <= g.freq_high_hz) || {}).id || '—';
      TB.fill('emissions', emissions.map(e => TB.row([(e.centre / 1e6).toFixed(4), (e.width / 1e3).toFixed(1), e.peak.toFixed(1),
        e.over.toFixed(1), inGrant(e), ((now - e.since) / 1000).toFixed(1) + ' s'])));
    }
    function onViolation(v) {
      v.received_ms = Date.now();
      v.live = v.found_ms >= connectedAt;
      violations.unshift(v);
      TB.fill('violations', violations.map(x => TB.row([TB.time(x.found_ms), x.kind + ' / ' + x.rule, x.grant, x.suspect,
        x.measured + ' ' + x.unit, x.limit, x.start + ' … ' + x.end])));
      refreshOutbox();
    }
    async function refreshOutbox() {
      try {
        const o = await TB.json('/api/outbox');
        outboxRows = o.entries.length;
        TB.fill('outbox', o.entries.map(e => {
          let bundle = '';
          if (e.bundle) { bundle = TB.el('a', 'evidence.svg'); bundle.href = '/evidence/' + encodeURIComponent(e.bundle) + '/evidence.svg'; }
          return TB.row([TB.el('span', e.record.slice(0, 16) + '…', 'mono'), e.state + (e.error ? ': ' + e.error : ''),
            e.height === null ? '' : e.height, e.height === null ? '' : 'verified', bundle]);
        }));
      } catch (err) { TB.text('link', String(err)); }
    }
    async function refreshStatus() {
      try {
        status = await TB.json('/api/status');
        TB.text('source', status.source);
        TB.text('device', (status.device.connected ? 'device connected' : 'device not connected') + ' · overflows ' + status.device.overflows
          + ' · reconnects ' + status.device.reconnects + ' · segments ' + status.device.segments + ' · viewers ' + status.viewers);
        grants = status.grants;
        TB.fill('grants', grants.map(g => TB.row([g.id, g.holder, (g.freq_low_hz / 1e6).toFixed(4) + '–' + (g.freq_high_hz / 1e6).toFixed(4),
          g.max_psd_dbm_per_mhz, g.oob_max_psd_dbm_per_mhz, g.windows.join(', ')])));
      } catch (err) { TB.text('link', String(err)); }
    }
    function connect() {
      const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
      ws.onopen = () => { connectedAt = Date.now(); TB.text('link', 'live'); };
      ws.onclose = () => { TB.text('link', 'disconnected; reconnecting…'); setTimeout(connect, 1000); };
      ws.onmessage = e => {
        const m = JSON.parse(e.data);
        if (m.type === 'frame') onFrame(m);
        else if (m.type === 'violation') onViolation(m);
        else if (m.type === 'outbox') refreshOutbox();
      };
    }
    function colouredPixels() {
      const d = wg.getImageData(0, 0, wf.width, wf.height).data;
      let count = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) count++;
      return count;
    }
    refreshStatus(); refreshOutbox(); connect();
    setInterval(refreshStatus, 2000);
    setInterval(refreshOutbox, 2000);
    if (TB.reportTo) setInterval(() => TB.report({frames, coloured: colouredPixels(), emissions: emissions.length, pixels: wf.width * wf.height, outbox: outboxRows,
      violations: violations.map(v => ({grant: v.grant, kind: v.kind, live: v.live, latency_ms: v.received_ms - v.found_ms})),
      shown: document.getElementById('violations').textContent, injected: typeof window.pwned !== 'undefined'}), 500);
    """
}
