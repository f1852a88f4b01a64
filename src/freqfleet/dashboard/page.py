"""The dashboard's one page: HTML, CSS and the script that draws each snapshot.

Why a page that draws itself from the event stream rather than HTML rendered per request:
the server encodes a snapshot once for every viewer and the browser redraws only on a new
one. Every value is set as text (never as HTML), so nothing a bot or producer sends can
become markup. The DOM carries what a test or a user script reads: ``data-node``/
``data-up`` per process, ``data-pair``/``data-freshness`` per pair, ``data-trade-id`` per
open trade.
"""

from __future__ import annotations

import html

_STYLE = """
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
header{background:#1d232b;color:#fff;padding:10px 18px;display:flex;gap:18px;align-items:baseline}
header h1{font-size:18px;margin:0}#link{font-size:12px;opacity:.8}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px;padding:14px}
section{background:#fff;border-radius:6px;padding:10px 14px;box-shadow:0 1px 2px #0002}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eee}
th{font-weight:600;color:#556}.up{color:#18794e}.down{color:#c4320a;font-weight:600}
.fresh{color:#18794e}.stale{color:#c4320a;font-weight:600}.missing{color:#a15c07}
#warnings div{background:#fff4e5;border-left:4px solid #f5a623;padding:6px 10px;margin:4px 0}
.kv{display:flex;flex-wrap:wrap;gap:6px 22px}.kv b{display:block;font-size:18px}
.scroll{max-height:320px;overflow:auto}.note{font-size:12px;color:#556}
"""

_BODY = """
<header><h1>freqfleet: __TITLE__</h1><span id="updated">waiting for the fleet</span>
<span id="link">connecting</span></header>
<div id="warnings" style="padding:0 14px"></div>
<main>
<section><h2>Topology</h2><table><thead><tr><th>process</th><th>role</th><th>state</th>
<th>version</th></tr></thead><tbody id="topology"></tbody></table></section>
<section><h2>Wallet</h2><div class="kv" id="wallet"></div><p id="follow" class="note"></p>
<h2>Open trades</h2><table><thead><tr><th>id</th><th>pair</th><th>opened</th><th>stake</th>
<th>profit %</th></tr></thead><tbody id="trades"></tbody></table></section>
<section class="wide"><h2>Coverage: pairs by freshness (lag in candles)</h2>
<div id="heatmap" style="height:260px"></div></section>
<section><h2>Producers: analysis of the whole share after the candle's close</h2>
<div id="producer-chart" style="height:260px"></div>
<table><thead><tr><th>producer</th><th>pairs</th><th>analysis</th><th>rejected</th>
<th>access</th></tr></thead><tbody id="producers"></tbody></table></section>
<section><h2>Exchange</h2><div id="exchange-chart" style="height:200px"></div>
<div class="kv" id="exchange"></div><h2>Rejected producer messages</h2>
<table><thead><tr><th>reason</th><th>count</th></tr></thead><tbody id="rejected"></tbody>
</table></section>
<section class="wide"><h2>Pairs</h2><div class="scroll"><table><thead><tr><th>pair</th>
<th>producer</th><th>lag</th><th>fresh producers</th><th>analysis</th><th>analysed at</th>
</tr></thead>
<tbody id="pairs"></tbody></table></div></section>
</main>
"""

_SCRIPT = r"""
const $ = (id) => document.getElementById(id);
function cell(row, text, cls) {
  const td = row.insertCell(); td.textContent = text == null ? "-" : String(text);
  if (cls) td.className = cls; return td;
}
function rows(id, items, fill) {
  const body = $(id); body.replaceChildren();
  for (const item of items) fill(body.insertRow(), item);
}
function kv(id, pairs) {
  const box = $(id); box.replaceChildren();
  for (const [label, value] of pairs) {
    const div = document.createElement("div"); const b = document.createElement("b");
    b.textContent = value == null ? "-" : String(value); div.append(b, label); box.append(div);
  }
}
const num = (v, d = 2) => v == null ? null : Number(v).toFixed(d);
const secs = (v) => v == null ? null : num(v, 1) + " s";
const plotConfig = {displayModeBar: false, responsive: true};
function warnings(s) {
  const list = [];
  if (s.mixed_versions) list.push("mixed freqtrade versions: " + Object.entries(s.versions)
    .map(([v, bots]) => v + " (" + bots.join(", ") + ")").join("; "));
  if (s.report_problem) list.push("consumer report: " + s.report_problem);
  if (s.unrouted_pairs.length) list.push("no producer serves " + s.unrouted_pairs.join(", "));
  const slow = s.producers.filter((p) => p.over_quarter).map((p) => p.name);
  if (slow.length) list.push("analysis slower than a quarter candle: " + slow.join(", "));
  const box = $("warnings"); box.replaceChildren();
  for (const text of list) { const d = document.createElement("div"); d.textContent = text; box.append(d); }
}
function topology(s) {
  rows("topology", s.nodes, (r, n) => {
    r.dataset.node = n.name; r.dataset.up = n.up ? "1" : "0";
    cell(r, n.name); cell(r, n.role); cell(r, n.state, n.up ? "up" : "down"); cell(r, n.version);
  });
}
function wallet(s) {
  const w = s.wallet, cur = w.stake_currency || "";
  kv("wallet", [
    ["open trades / slots", (w.open_trades ?? "-") + " / " + (w.max_open_trades ?? "-")],
    ["stake in use " + cur, num(w.stake_in_use)], ["free " + cur, num(w.stake_free)],
    ["profit closed " + cur, num(w.profit_closed, 4)], ["profit all " + cur, num(w.profit_all, 4)],
    ["entries waiting for producers", w.waiting_pairs.length],
  ]);
  $("follow").textContent = "followed events: " +
    (Object.entries(w.follow).map(([k, v]) => k + " " + v).join(", ") || "none");
  rows("trades", w.trades, (r, t) => {
    r.dataset.tradeId = t.trade_id; cell(r, t.trade_id); cell(r, t.pair);
    cell(r, t.open_date); cell(r, num(t.stake_amount)); cell(r, num(t.profit_pct));
  });
}
function coverage(s) {
  rows("pairs", s.pairs, (r, p) => {
    r.dataset.pair = p.pair; r.dataset.freshness = p.freshness;
    cell(r, p.pair); cell(r, p.producer); cell(r, p.lag, p.freshness);
    cell(r, p.fresh_producers == null ? "-" : p.fresh_producers + " / " + p.planned_producers,
      p.fresh_producers != null && p.fresh_producers < p.planned_producers ? "missing" : "");
    cell(r, secs(p.analysis_secs)); cell(r, p.analyzed);
  });
  const width = Math.max(1, Math.ceil(Math.sqrt(s.pairs.length * 3)));
  const z = [], text = [];
  s.pairs.forEach((p, i) => {
    const y = Math.floor(i / width), x = i % width;
    if (!z[y]) { z[y] = Array(width).fill(null); text[y] = Array(width).fill(""); }
    z[y][x] = p.lag == null ? s.max_signal_age + 2 : Math.min(p.lag, s.max_signal_age + 2);
    text[y][x] = p.pair + " (" + (p.producer || "no producer") + "): " + p.freshness;
  });
  Plotly.react("heatmap", [{type: "heatmap", z: z, text: text, hoverinfo: "text",
    zmin: 0, zmax: s.max_signal_age + 2, xgap: 2, ygap: 2,
    colorscale: [[0, "#2fb36d"], [0.5, "#f5c542"], [1, "#d9412b"]],
    colorbar: {title: {text: "lag"}}}],
    {margin: {t: 6, b: 6, l: 6, r: 6}, xaxis: {visible: false},
     yaxis: {visible: false, autorange: "reversed"}}, plotConfig);
}
function producers(s) {
  rows("producers", s.producers, (r, p) => {
    r.dataset.producer = p.name; cell(r, p.name); cell(r, p.pairs);
    cell(r, secs(p.analysis_secs), p.over_quarter ? "stale" : "");
    cell(r, Object.entries(p.rejected).map(([k, v]) => k + " " + v).join(", ") || "-");
    cell(r, p.access, p.access ? "down" : "");
  });
  const names = s.producers.map((p) => p.name);
  const line = (y, label, color) => ({type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y,
    line: {dash: "dot", color: color}, label: {text: label, textposition: "end"}});
  Plotly.react("producer-chart", [{type: "bar", x: names,
    y: s.producers.map((p) => p.analysis_secs), marker: {color: s.producers.map(
      (p) => p.over_quarter ? "#d9412b" : "#3b7dd8")}}],
    {margin: {t: 10, b: 40, l: 50, r: 10}, yaxis: {title: {text: "s"}, rangemode: "tozero"},
     shapes: [line(s.candle_secs * 0.25, "25 % of a candle", "#f5a623"),
              line(s.candle_secs, "a candle", "#d9412b")]}, plotConfig);
}
function exchange(s) {
  const e = s.exchange || {};
  kv("exchange", [["weight / min", e.weight_last_minute], ["gateway budget", e.budget_per_minute],
    ["exchange limit", e.limit_per_minute], ["429", e.answered_429], ["418", e.answered_418]]);
  Plotly.react("exchange-chart", s.exchange ? [{type: "bar", orientation: "h",
    y: ["weight / min"], x: [e.weight_last_minute || 0], marker: {color: "#3b7dd8"}}] : [],
    {margin: {t: 10, b: 30, l: 90, r: 10}, xaxis: {range: [0, e.limit_per_minute || 1]},
     annotations: s.exchange ? [] : [{text: "no gateway in this fleet", showarrow: false}]},
    plotConfig);
  rows("rejected", Object.entries(s.rejected), (r, [k, v]) => { cell(r, k); cell(r, v); });
}
function draw(s) {
  $("updated").textContent = "updated " + new Date(s.taken).toLocaleTimeString();
  document.body.dataset.taken = s.taken;
  for (const part of [warnings, topology, wallet, coverage, producers, exchange]) part(s);
}
const source = new EventSource("events");
source.addEventListener("snapshot", (event) => {
  const s = JSON.parse(event.data); if (s) draw(s);
});
source.onopen = () => { $("link").textContent = "live"; };
source.onerror = () => { $("link").textContent = "reconnecting"; };
"""


def page_html(title: str) -> str:
    """The page for the fleet called ``title``."""
    body = _BODY.replace("__TITLE__", html.escape(title))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>freqfleet: {html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f'<style>{_STYLE}</style><script src="plotly.min.js"></script></head>'
        f"<body>{body}<script>{_SCRIPT}</script></body></html>"
    )


__all__ = ["page_html"]
