/// The shared stylesheet and script helpers of the pages.
public enum WebAssets {
    public static let css = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
    header { background: #1f3b73; color: #fff; padding: 10px 18px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
    header h1 { font-size: 18px; margin: 0; }
    header .status { font-size: 13px; opacity: 0.9; }
    main { padding: 12px 18px; display: grid; gap: 14px; }
    section { background: #fff; border: 1px solid #d8dce4; border-radius: 6px; padding: 10px 14px; overflow-x: auto; }
    h2 { font-size: 15px; margin: 4px 0 8px; }
    table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
    th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
    th { background: #f0f2f6; }
    td.mono, span.mono { font-family: "DejaVu Sans Mono", monospace; }
    canvas { width: 100%; image-rendering: pixelated; background: #10141c; display: block; }
    .legend { font-size: 12px; color: #555; margin: 4px 0; }
    .legend .current { color: #1b9e57; } .legend .maxhold { color: #d64545; } .legend .mean { color: #3a78d8; }
    .guilty { color: #b3261e; font-weight: bold; }
    .not_guilty { color: #2e7d32; }
    .open { color: #8a6d00; }
    .muted { color: #777; }
    .cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; }
    """

    /// `TB`: DOM helpers that only ever set text (never HTML), JSON fetches, and the optional
    /// test report (to a loopback URL given as `?report=`).
    public static let commonJS = """
    'use strict';
    const TB = {
      el(tag, text, cls) {
        const e = document.createElement(tag);
        if (text !== undefined && text !== null) e.textContent = String(text);
        if (cls) e.className = cls;
        return e;
      },
      row(cells) {
        const tr = document.createElement('tr');
        for (const c of cells) {
          const td = document.createElement('td');
          if (c instanceof Node) td.appendChild(c); else td.textContent = (c === undefined || c === null) ? '' : String(c);
          tr.appendChild(td);
        }
        return tr;
      },
      fill(id, rows) { document.getElementById(id).replaceChildren(...rows.slice(0, 500)); },
      text(id, value) { document.getElementById(id).textContent = String(value); },
      async json(path) {
        const r = await fetch(path, {cache: 'no-store'});
        if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
        return r.json();
      },
      time(ms) { return new Date(Number(ms)).toISOString().replace('T', ' ').replace('Z', ''); },
      reportTo: (() => {
        const p = new URLSearchParams(location.search).get('report');
        if (!p) return null;
        try { const u = new URL(p); return (u.protocol === 'http:' && u.hostname === '127.0.0.1') ? u.href : null; } catch (e) { return null; }
      })(),
      report(data) {
        if (!TB.reportTo) return;
        fetch(TB.reportTo + (TB.reportTo.includes('?') ? '&' : '?') + 'd=' + encodeURIComponent(JSON.stringify(data)), {mode: 'no-cors'}).catch(() => {});
      },
    };
    """
}
