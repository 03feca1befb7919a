// Charts of the broker's in-memory history (GET /api/v1/history/series and
// /api/v1/history): messages/s and bytes/s in and out for the busiest
// topics, total lag per consumer group.  Refreshed every 2 s while the page
// is shown (onLeave stops it); drawn by our own SVG code (chart_svg.js).
import { api, el, onLeave, prefs, useCss } from '../lib.js';
import { lineChart } from './chart_svg.js';

const TOP_TOPICS = 6;
const TOP_GROUPS = 8;
const REFRESH_MS = 2000;

// The busiest topics now (bytes in + out per second), then by messages.
function pickTopics(list) {
  const by = new Map();
  for (const s of list.series) {
    if (s.kind !== 'topic') continue;
    const t = by.get(s.name) || { name: s.name, rate: 0, msgs: 0 };
    if (s.metric !== 'messages_in') t.rate += s.last || 0;
    else t.msgs = s.total;
    by.set(s.name, t);
  }
  return [...by.values()].sort((a, b) => b.rate - a.rate || b.msgs - a.msgs || a.name.localeCompare(b.name))
    .slice(0, TOP_TOPICS).map((t) => t.name);
}

function pickGroups(list) {
  return list.series.filter((s) => s.kind === 'group')
    .sort((a, b) => (b.last || 0) - (a.last || 0) || a.name.localeCompare(b.name))
    .slice(0, TOP_GROUPS).map((s) => s.name);
}

const CHARTS = [
  { id: 'chart-messages-in', title: 'Messages in', metric: 'messages_in', kind: 'topic', unit: 'messages/s' },
  { id: 'chart-bytes-in', title: 'Bytes in', metric: 'bytes_in', kind: 'topic', unit: 'bytes/s' },
  { id: 'chart-bytes-out', title: 'Bytes out (to consumers)', metric: 'bytes_out', kind: 'topic', unit: 'bytes/s' },
  { id: 'chart-lag', title: 'Consumer group lag', metric: 'lag', kind: 'group', unit: 'messages' },
];

export async function charts(params) {
  useCss('pages/charts.css');
  const win = el('select', { id: 'window', 'aria-label': 'Time window' },
    [[300, 'last 5 minutes'], [900, 'last 15 minutes'], [3600, 'last hour']].map(([v, t]) =>
      el('option', { value: v, selected: String(v) === (params.get('window') || '300') }, t)));
  const status = el('span', { class: 'muted', id: 'charts-status' });
  const pause = el('button', { type: 'button', id: 'charts-pause', 'aria-pressed': 'false' }, 'Pause');
  const note = el('p', { class: 'muted', id: 'charts-note' });
  const boxes = Object.fromEntries(CHARTS.map((c) => [c.id, el('div', { class: 'chart-box', id: c.id })]));
  const cursors = Object.fromEntries(CHARTS.map((c) => [c.id, {}])); // read-out time, kept across redraws
  const page = el('section', { id: 'charts-page' },
    el('h1', {}, 'Charts'),
    el('p', { class: 'toolbar' }, el('label', { for: 'window' }, 'Window '), win, pause, status),
    note,
    el('div', { class: 'chart-grid' }, Object.values(boxes)));

  let timer = null;
  let paused = false;
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const list = await api('history/series');
      const topics = pickTopics(list);
      const groups = pickGroups(list);
      // the broker's own series (every topic) leads each topic chart
      const broker = list.series.find((x) => x.kind === 'broker');
      const ids = [];
      for (const c of CHARTS) {
        if (c.kind === 'topic' && broker) ids.push(`broker:${c.metric}:${broker.name}`);
        for (const n of c.kind === 'topic' ? topics : groups) ids.push(`${c.kind}:${c.metric}:${n}`);
      }
      const seconds = Number(win.value);
      const h = ids.length
        ? await api('history?seconds=' + seconds + '&series=' + ids.map(encodeURIComponent).join(','))
        : { series: [], now_ms: Date.now(), interval_ms: list.interval_ms };
      const byId = new Map(h.series.map((s) => [s.id, s]));
      // the window, or less while the broker's history is shorter
      const to = h.now_ms;
      const first = Math.min(to, ...h.series.map((x) => (x.points.length ? x.points[0][0] : to)));
      const from = Math.max(to - seconds * 1000, Math.min(first, to - 60000));
      for (const c of CHARTS) {
        const names = c.kind === 'topic' ? topics : groups;
        const series = names.map((n) => ({ name: n, points: (byId.get(`${c.kind}:${c.metric}:${n}`) || { points: [] }).points }));
        if (c.kind === 'topic' && broker) {
          series.unshift({ name: 'all topics', points: (byId.get(`broker:${c.metric}:${broker.name}`) || { points: [] }).points });
        }
        boxes[c.id].replaceChildren(lineChart({
          title: c.title, unit: c.unit, series, from, to, utc: prefs.utc, cursor: cursors[c.id],
          empty: c.kind === 'topic' ? 'no topics yet' : 'no consumer groups with committed offsets yet',
        }));
      }
      const extra = [];
      if (list.untracked_topics) extra.push(`${list.untracked_topics} topics beyond the ${list.max_topics} tracked are not kept`);
      if (list.untracked_groups) extra.push(`${list.untracked_groups} groups beyond the ${list.max_groups} tracked are not kept`);
      note.textContent = `All topics together and the busiest ${TOP_TOPICS}; the ${TOP_GROUPS} groups with the most lag; one sample every ` +
        `${list.interval_ms / 1000} s, ${Math.round(list.seconds / 60)} min kept in the broker's memory since it started.` +
        (extra.length ? ' ' + extra.join('; ') + '.' : '');
      status.textContent = 'updated ' + new Date().toLocaleTimeString();
      status.classList.remove('error');
    } catch (e) {
      status.textContent = String(e.message || e);
      status.classList.add('error');
    } finally {
      busy = false;
    }
  }
  function schedule() {
    clearInterval(timer);
    timer = paused ? null : setInterval(refresh, REFRESH_MS);
  }
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    schedule();
  });
  win.addEventListener('change', refresh);
  onLeave(() => { clearInterval(timer); timer = null; });
  await refresh();
  schedule();
  return page;
}
