/// The node's explorer (`/ui` on every node): blocks and their transactions, the validator set
/// and who proposed each height, accounts, cases with every vote and verdict, offers, grants and
/// tokens, the mempool; refreshed every second from the node's read API.
public enum ExplorerPage {
    public static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Trustband ledger explorer</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="stylesheet" href="/ui/style.css"></head>
    <body>
    <header><h1>Trustband ledger</h1><span class="status" id="node"></span><span class="status" id="height"></span><span class="status" id="mempool"></span><span class="status" id="link"></span></header>
    <main>
    <div class="cols">
    <section><h2>Blocks</h2><table><thead><tr><th>height</th><th>proposer</th><th>round</th><th>time</th><th>transactions</th><th>hash</th></tr></thead><tbody id="blocks"></tbody></table></section>
    <section><h2>Validators</h2><table><thead><tr><th>id</th><th>power (trust)</th></tr></thead><tbody id="validators"></tbody></table>
      <h2>Transactions of the last blocks</h2><table><thead><tr><th>height</th><th>type</th><th>signer</th><th>id</th></tr></thead><tbody id="txs"></tbody></table></section>
    </div>
    <section><h2>Cases</h2><table><thead><tr><th>case</th><th>kind / rule</th><th>grant</th><th>suspect</th><th>reporter</th><th>verdict</th><th>votes</th><th>penalty</th></tr></thead><tbody id="cases"></tbody></table></section>
    <section><h2>Accounts</h2><table><thead><tr><th>id</th><th>role</th><th>trust</th><th>deposit</th><th>locked</th><th>balance</th><th>validator</th></tr></thead><tbody id="accounts"></tbody></table></section>
    <div class="cols">
    <section><h2>Offers</h2><table><thead><tr><th>id</th><th>MNO</th><th>area</th><th>band (MHz)</th><th>granted</th></tr></thead><tbody id="offers"></tbody></table></section>
    <section><h2>Grants and tokens in force</h2><table><thead><tr><th>id</th><th>holder</th><th>area</th><th>band (MHz)</th><th>token</th></tr></thead><tbody id="grants"></tbody></table></section>
    </div>
    <section><h2>Tokens</h2><table><thead><tr><th>id</th><th>owner</th><th>holder</th><th>area</th><th>band (MHz)</th><th>ask</th><th>last price</th></tr></thead><tbody id="tokens"></tbody></table></section>
    </main>
    <script src="/ui/common.js"></script><script src="/ui/explorer.js"></script>
    </body></html>
    """

    public static let js = """
    'use strict';
    const blocks = new Map();
    let lastStatus = null, casesShown = [];
    const mhz = (a, b) => (a / 1e6).toFixed(4) + '–' + (b / 1e6).toFixed(4);
    async function refresh() {
      try {
        const s = await TB.json('/v1/status');
        lastStatus = s;
        TB.text('node', 'node ' + s.id);
        TB.text('height', 'height ' + s.height + ', round ' + s.round);
        TB.text('mempool', 'mempool ' + s.mempool);
        TB.text('link', 'live');
        for (let h = Math.max(1, s.height - 9); h <= s.height; h++) {
          if (!blocks.has(h)) { try { blocks.set(h, await TB.json('/v1/blocks/' + h)); } catch (e) { } }
        }
        for (const h of [...blocks.keys()]) if (h < s.height - 9) blocks.delete(h);
        const recent = [...blocks.values()].sort((a, b) => b.height - a.height);
        TB.fill('blocks', recent.map(b => TB.row([b.height, b.proposer, b.round, TB.time(b.time_ns / 1e6), b.transactions.length, TB.el('span', b.hash.slice(0, 16) + '…', 'mono')])));
        TB.fill('txs', recent.flatMap(b => b.transactions.map(t => TB.row([b.height, t.type, t.signer, TB.el('span', t.id.slice(0, 16) + '…', 'mono')]))));
        const v = await TB.json('/v1/validators/' + s.height).catch(() => ({validators: s.validators}));
        TB.fill('validators', v.validators.map(x => TB.row([x.id, (x.power / 1000).toFixed(3)])));
        const state = await TB.json('/v1/state');
        casesShown = state.cases;
        TB.fill('cases', state.cases.slice().reverse().map(c => {
          const verdict = TB.el('span', c.verdict, c.verdict);
          const votes = c.votes.map(x => x.validator + ': ' + (x.guilty ? 'guilty' : 'not guilty') + ' (' + (x.power / 1000).toFixed(0) + ')').join(', ');
          return TB.row([TB.el('span', c.id.slice(0, 12) + '…', 'mono'), c.kind + ' / ' + c.rule, c.grant, c.suspect, c.reporter, verdict, votes, c.penalty]);
        }));
        TB.fill('accounts', state.accounts.map(a => TB.row([a.id, a.role, a.trust.toFixed(3), a.deposit, a.locked, a.balance, a.validator ? 'yes' : ''])));
        TB.fill('offers', state.offers.map(o => TB.row([o.id, o.mno, o.area, mhz(o.freq_low_hz, o.freq_high_hz), o.granted_hz])));
        TB.fill('grants', state.grants.map(g => TB.row([g.id, g.holder, g.area, mhz(g.freq_low_hz, g.freq_high_hz), g.token ? 'yes' : ''])));
        TB.fill('tokens', state.tokens.map(t => TB.row([t.id, t.owner, t.holder, t.area, mhz(t.freq_low_hz, t.freq_high_hz),
          t.ask ? t.ask.mode + ' at ' + t.ask.price_milli : '', t.last_price_milli === null ? '' : t.last_price_milli])));
      } catch (err) { TB.text('link', String(err)); }
    }
    refresh();
    setInterval(refresh, 1000);
    if (TB.reportTo) setInterval(() => TB.report({height: lastStatus ? lastStatus.height : 0, blocks: blocks.size,
      cases: casesShown.map(c => ({id: c.id, verdict: c.verdict})),
      caseText: document.getElementById('cases').textContent, offerText: document.getElementById('offers').textContent,
      scripts: document.querySelectorAll('script').length, injected: typeof window.pwned !== 'undefined'}), 500);
    """
}
