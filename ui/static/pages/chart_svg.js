// A small line chart drawn as SVG by our own code (no chart library):
// time on x, one value axis with "nice" ticks and a unit, one polyline per
// series, a legend.  Colours come from CSS classes (pages/charts.css,
// .series-0 .. .series-7) so both themes apply; no inline styles (the
// broker's CSP forbids them).
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Round step for about n ticks over [0, max]: 1, 2 or 5 times a power of ten.
export function niceStep(max, n = 5) {
  if (!(max > 0)) return 1;
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

// Prefixes by unit: bytes use binary ones, the rest SI ones.
function prefixes(unit) {
  return unit.startsWith('bytes')
    ? { base: 1024, pre: ['B', 'KiB', 'MiB', 'GiB', 'TiB'] }
    : { base: 1000, pre: ['', 'k', 'M', 'G', 'T'] };
}

function scaleOf(max, unit) {
  const { base, pre } = prefixes(unit);
  let i = 0;
  while (max >= base && i < pre.length - 1) { max /= base; i++; }
  return { div: base ** i, pre: pre[i] };
}

function num(x) {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 1 : 0);
}

// A value with its unit: "4.9 KiB/s", "1.2k messages/s".
export function fmtValue(v, unit) {
  const sc = scaleOf(Math.abs(v), unit);
  const x = v / sc.div;
  if (unit.startsWith('bytes')) return `${num(x)} ${sc.pre}${unit.slice(5)}`;
  return `${num(x)}${sc.pre} ${unit}`;
}

function fmtClock(ms, utc) {
  const d = new Date(ms);
  const hh = utc ? d.getUTCHours() : d.getHours();
  const mm = utc ? d.getUTCMinutes() : d.getMinutes();
  const ss = utc ? d.getUTCSeconds() : d.getSeconds();
  return [hh, mm, ss].map((x) => String(x).padStart(2, '0')).join(':');
}

// lineChart({title, unit, series: [{name, points: [[t_ms, v], ...]}],
//            from, to (ms; default: the points' range), utc, width, height})
// returns a <figure> holding the SVG and its legend.
export function lineChart(o) {
  const W = o.width || 640;
  const H = o.height || 220;
  const m = { l: 56, r: 30, t: 10, b: 28 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = o.series.flatMap((s) => s.points);
  const to = o.to ?? Math.max(...all.map((p) => p[0]), Date.now());
  const from = o.from ?? Math.min(...all.map((p) => p[0]), to - 60000);
  const span = Math.max(1, to - from);
  const vmax = Math.max(0, ...all.map((p) => p[1]));
  // ticks are round numbers in the shown prefix (5 KiB, not 5120 B)
  const sc = scaleOf(vmax, o.unit);
  const step = niceStep(vmax / sc.div || 1, 4) * sc.div;
  const ymax = Math.max(step, Math.ceil((vmax || 1) / step) * step);
  const bytes = o.unit.startsWith('bytes');
  const tick = (v) => (v === 0 ? '0' : num(v / sc.div) + (bytes ? ' ' + sc.pre : sc.pre));
  const x = (t) => m.l + ((t - from) / span) * pw;
  const y = (v) => m.t + ph - (v / ymax) * ph;

  const root = svg('svg', {
    class: 'chart', viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img',
    'aria-label': `${o.title} (${o.unit})`,
  });
  root.append(svg('title', {}, `${o.title} (${o.unit})`));
  const grid = svg('g', { class: 'grid' });
  const axes = svg('g', { class: 'axis' });
  for (let v = 0; v <= ymax + step / 2; v += step) {
    grid.append(svg('line', { x1: m.l, x2: m.l + pw, y1: y(v), y2: y(v) }));
    axes.append(svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, tick(v)));
  }
  // time ticks at round multiples of 10 s / 30 s / 1 min / 5 min ...
  const tsteps = [10e3, 30e3, 60e3, 120e3, 300e3, 600e3, 1800e3, 3600e3, 7200e3, 21600e3];
  const tstep = tsteps.find((s) => span / s <= 6) || 43200e3;
  for (let t = Math.ceil(from / tstep) * tstep; t <= to; t += tstep) {
    grid.append(svg('line', { x1: x(t), x2: x(t), y1: m.t, y2: m.t + ph }));
    axes.append(svg('text', { x: x(t), y: H - 8, 'text-anchor': 'middle' }, fmtClock(t, o.utc)));
  }
  axes.append(svg('line', { class: 'frame', x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph }));
  axes.append(svg('line', { class: 'frame', x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph }));
  root.append(grid, axes);

  const lines = svg('g', { class: 'lines' });
  o.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] >= from && p[0] <= to);
    if (!pts.length) return;
    const d = pts.map((p, k) => `${k ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    const path = svg('path', { d, class: `line series-${i % 8}`, 'data-series': s.name, 'data-points': pts.length });
    path.append(svg('title', {}, `${s.name}: ${fmtValue(pts[pts.length - 1][1], o.unit)} (latest)`));
    lines.append(path);
  });
  root.append(lines);

  // read-out: the values at the time under the pointer (or picked with
  // the arrow keys while the chart has focus); o.cursor = {t} keeps the
  // chosen time across redraws
  const cursor = o.cursor || {};
  const times = [...new Set(all.map((p) => p[0]))].filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  const readout = svg('g', { class: 'readout' });
  root.append(readout, svg('rect', { class: 'hit', x: m.l, y: m.t, width: pw, height: ph }));
  const show = (t) => {
    readout.replaceChildren();
    cursor.t = t;
    if (t === null || t === undefined || !times.length) return;
    const near = times.reduce((a, b) => (Math.abs(b - t) < Math.abs(a - t) ? b : a));
    cursor.t = near;
    const rows = [fmtClock(near, o.utc)];
    o.series.forEach((s, i) => {
      const p = s.points.find((q) => q[0] === near);
      if (p) rows.push([i, `${s.name}: ${fmtValue(p[1], o.unit)}`]);
    });
    const cx = x(near);
    readout.append(svg('line', { class: 'cursor', x1: cx, x2: cx, y1: m.t, y2: m.t + ph }));
    const w = 22 + 6.5 * Math.max(...rows.map((r) => (Array.isArray(r) ? r[1] : r).length));
    const bx = cx + 8 + w > m.l + pw ? cx - 8 - w : cx + 8;
    readout.append(svg('rect', { class: 'box', x: bx, y: m.t + 4, width: w, height: 8 + rows.length * 15, rx: 3 }));
    rows.forEach((r, k) => {
      const y0 = m.t + 19 + k * 15;
      if (!Array.isArray(r)) {
        readout.append(svg('text', { x: bx + 6, y: y0, class: 'time' }, r));
        return;
      }
      readout.append(svg('line', { x1: bx + 6, x2: bx + 16, y1: y0 - 4, y2: y0 - 4, class: `sw series-${r[0] % 8}` }));
      readout.append(svg('text', { x: bx + 20, y: y0, class: 'val' }, r[1]));
    });
  };
  root.setAttribute('tabindex', '0');
  root.addEventListener('pointermove', (e) => {
    const r = root.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W;
    show(from + ((px - m.l) / pw) * span);
  });
  root.addEventListener('pointerleave', () => show(null));
  root.addEventListener('keydown', (e) => {
    if (!times.length || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Escape')) return;
    e.preventDefault();
    if (e.key === 'Escape') { show(null); return; }
    let i = times.indexOf(cursor.t);
    if (i < 0) i = times.length;
    i = Math.min(times.length - 1, Math.max(0, i + (e.key === 'ArrowLeft' ? -1 : 1)));
    show(times[i]);
  });
  if (cursor.t !== undefined && cursor.t !== null) show(cursor.t);

  const legend = document.createElement('ul');
  legend.className = 'legend';
  o.series.forEach((s, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = `swatch series-${i % 8}`;
    const last = s.points.length ? fmtValue(s.points[s.points.length - 1][1], o.unit) : '–';
    li.append(sw, ` ${s.name} `, Object.assign(document.createElement('span'), { className: 'muted', textContent: last }));
    legend.append(li);
  });
  const fig = document.createElement('figure');
  fig.className = 'chart-fig';
  const cap = document.createElement('figcaption');
  cap.textContent = `${o.title} (${o.unit})`;
  fig.append(cap, root, legend);
  if (!o.series.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = o.empty || 'nothing to show yet';
    fig.append(p);
  }
  return fig;
}
