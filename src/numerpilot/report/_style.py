"""The one visual style of every page (validation report, dashboard, its static copy): the CSS,
the small script that shows hover tips, toggles models and counts down, and the page shell.

Everything is inline: a page opens offline, from a file or from the local server, and asks
nothing of the internet. The script only reads the page itself (and, when the page is served
live, fetches the same page again from the same origin to refresh).
"""

from __future__ import annotations

from html import escape

CSS = """
:root { --ink:#1d2430; --muted:#5b6675; --line:#e3e7ee; --bg:#f6f7f9; --card:#fff;
  --accent:#0072B2; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
main { max-width:1440px; margin:0 auto; padding:24px 20px 60px; }
main.narrow { max-width:980px; }
header.top { display:flex; flex-wrap:wrap; align-items:baseline; gap:6px 18px; }
header.top nav { display:flex; flex-wrap:wrap; gap:6px 14px; font-size:14px; }
a { color:var(--accent); }
h1 { font-size:24px; margin:0 0 6px; }
h2 { font-size:17px; margin:0 0 4px; }
h3 { font-size:14px; margin:0 0 6px; color:var(--muted); font-weight:600; }
p.lead { color:var(--muted); margin:0 0 14px; }
.facts { display:flex; flex-wrap:wrap; gap:8px; margin:10px 0 6px; padding:0; list-style:none; }
.facts li { background:var(--card); border:1px solid var(--line); border-radius:6px;
  padding:4px 10px; font-size:13px; }
.facts b { color:var(--muted); font-weight:500; margin-right:4px; }
.note { font-size:13px; color:#7a4b00; background:#fff6e0; border:1px solid #f3dca5;
  border-radius:6px; padding:6px 10px; margin:8px 0; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:16px 18px; margin:18px 0; min-width:0; }
section p.help { color:var(--muted); font-size:13px; margin:0 0 10px; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 600px), 1fr));
  gap:0 18px; }
.grid > section { margin:9px 0; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit, minmax(130px, 1fr)); gap:10px;
  margin:10px 0; }
.kpi { border:1px solid var(--line); border-radius:8px; padding:8px 10px; background:#fbfcfd; }
.kpi b { display:block; font-size:18px; font-variant-numeric:tabular-nums; }
.kpi span { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { padding:6px 7px; border-bottom:1px solid var(--line); text-align:right;
  font-variant-numeric:tabular-nums; white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:12px; white-space:normal;
  vertical-align:bottom; }
th:first-child, td:first-child { text-align:left; white-space:normal; max-width:240px; }
td.text { text-align:left; white-space:normal; min-width:180px; }
td.best { font-weight:700; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
.legend { display:flex; flex-wrap:wrap; gap:8px 14px; font-size:13px; margin:0 0 6px; }
.chip { font:inherit; font-size:13px; border:1px solid var(--line); background:var(--card);
  border-radius:14px; padding:2px 10px; cursor:pointer; color:var(--ink); }
.chip[aria-pressed="false"] { opacity:0.45; text-decoration:line-through; }
.scroll { overflow-x:auto; }
.muted { color:var(--muted); }
.countdown { font-variant-numeric:tabular-nums; font-weight:600; }
svg { width:100%; height:auto; display:block; overflow:visible; }
svg .grid { stroke:#eef1f5; } svg .zero { stroke:#9aa3af; }
svg text { font-size:11px; fill:var(--muted); }
svg .ytick { text-anchor:end; } svg .xtick { text-anchor:middle; }
svg .ylabel { text-anchor:middle; font-size:11.5px; }
svg .mark { cursor:default; } svg .mark:hover { stroke:var(--ink); stroke-width:1.2; }
svg .off, .off { display:none; }
#tip { position:fixed; z-index:10; pointer-events:none; background:#1d2430; color:#fff;
  font-size:12.5px; padding:5px 8px; border-radius:5px; max-width:340px; white-space:pre-line; }
details { margin:10px 0; } summary { cursor:pointer; font-weight:600; font-size:14px; }
dl { font-size:13px; color:var(--muted); margin:0; }
dt { font-weight:600; color:var(--ink); margin-top:6px; }
dd { margin:0; }
"""

# Tips, model toggles, countdowns and (when the body says so) a refresh of <main> from the
# same address; ES5 so that any browser runs it.
SCRIPT = """
(function () {
  var tip = document.createElement('div'); tip.id = 'tip'; tip.hidden = true;
  document.body.appendChild(tip);
  function place(e) {
    var x = e.clientX + 12, y = e.clientY + 12;
    if (x + tip.offsetWidth > innerWidth - 4) x = e.clientX - tip.offsetWidth - 12;
    if (y + tip.offsetHeight > innerHeight - 4) y = e.clientY - tip.offsetHeight - 12;
    tip.style.left = Math.max(4, x) + 'px'; tip.style.top = Math.max(4, y) + 'px';
  }
  document.addEventListener('mouseover', function (e) {
    var t = e.target.closest && e.target.closest('[data-tip]');
    if (!t) { tip.hidden = true; return; }
    tip.textContent = t.getAttribute('data-tip'); tip.hidden = false; place(e);
  });
  document.addEventListener('mousemove', function (e) { if (!tip.hidden) place(e); });
  var off = {};
  function apply() {
    document.querySelectorAll('[data-model]').forEach(function (el) {
      el.classList.toggle('off', !!off[el.getAttribute('data-model')]);
    });
    document.querySelectorAll('[data-toggle]').forEach(function (b) {
      b.setAttribute('aria-pressed', off[b.getAttribute('data-toggle')] ? 'false' : 'true');
    });
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-toggle]');
    if (!b) return;
    var key = b.getAttribute('data-toggle'); off[key] = !off[key]; apply();
  });
  var loaded = Date.now();
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    document.querySelectorAll('[data-close]').forEach(function (el) {
      var since = (Date.now() - loaded) / 1000;
      var left = Math.max(0, Math.round(+el.getAttribute('data-close') - since));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600),
          m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = left === 0 ? 'closed' : d ? d + ' d ' + two(h) + ' h ' + two(m) + ' min'
        : h + ' h ' + two(m) + ' min ' + two(s) + ' s';
    });
  }
  tick(); setInterval(tick, 1000);
  var every = +(document.body.getAttribute('data-refresh') || 0);
  if (every > 0) setInterval(function () {
    fetch(location.pathname, {cache: 'no-store'}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
      if (!fresh) return;
      document.querySelector('main').replaceWith(fresh); loaded = Date.now(); apply(); tick();
    }).catch(function () {});
  }, every * 1000);
})();
"""


def page(title: str, body: str, *, refresh_seconds: int = 0, narrow: bool = False) -> str:
    """A whole HTML document around ``body`` (the content of ``<main>``)."""
    refresh = f' data-refresh="{refresh_seconds}"' if refresh_seconds > 0 else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body{refresh}><main{' class=narrow' if narrow else ''}>{body}</main>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


__all__ = ["CSS", "SCRIPT", "page"]
