// Consumer groups: every group this broker coordinates, with its state,
// members and total lag (filterable by name and state, paginated by the
// server, refreshed every 5 s while the page is open).
import { api, el, table, fmtNum, onLeave, useCss } from '../lib.js';

const PAGE = 50;
const STATES = ['', 'Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance'];

export async function groups() {
  useCss('pages/groups.css');
  const filter = el('input', { type: 'search', id: 'group-filter', placeholder: 'filter groups', 'aria-label': 'filter groups' });
  const state = el('select', { id: 'group-state', 'aria-label': 'state' },
    STATES.map((s) => el('option', { value: s }, s || 'any state')));
  const prev = el('button', { type: 'button' }, '← Previous');
  const next = el('button', { type: 'button' }, 'Next →');
  const info = el('span', { class: 'muted', id: 'group-count' });
  const list = el('div', { id: 'groups' });
  let offset = 0;
  let timer = null;

  async function load() {
    const q = `groups?offset=${offset}&limit=${PAGE}&filter=${encodeURIComponent(filter.value)}` +
      (state.value ? `&state=${state.value}` : '');
    const g = await api(q);
    info.textContent = g.total ? `${offset + 1}–${offset + g.groups.length} of ${g.total}` : 'no groups';
    prev.disabled = offset === 0;
    next.disabled = offset + g.groups.length >= g.total;
    list.replaceChildren(g.groups.length === 0
      ? el('p', { class: 'muted' }, filter.value || state.value ? 'No group matches.' : 'No consumer group has committed offsets or joined yet.')
      : table(['group', 'state', 'protocol', { label: 'members', num: 1 }, { label: 'partitions', num: 1 }, { label: 'lag', num: 1 }],
        g.groups.map((x) => el('tr', {},
          el('td', {}, el('a', { href: '#/group/' + encodeURIComponent(x.group) }, x.group)),
          el('td', {}, el('span', { class: 'state state-' + x.state }, x.state)),
          el('td', { class: 'muted' }, x.protocol_type ? `${x.protocol_type}${x.protocol ? ' / ' + x.protocol : ''}` : '—'),
          el('td', { class: 'num' }, x.members),
          el('td', { class: 'num' }, x.partitions),
          el('td', { class: 'num lag' + (x.lag > 0 ? ' behind' : '') }, fmtNum(x.lag))))));
  }
  const reload = () => load().catch((e) => list.replaceChildren(el('p', { class: 'error' }, e.message)));
  filter.addEventListener('input', () => { offset = 0; reload(); });
  state.addEventListener('change', () => { offset = 0; reload(); });
  prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); reload(); });
  next.addEventListener('click', () => { offset += PAGE; reload(); });
  await load();
  timer = setInterval(reload, 5000);
  onLeave(() => clearInterval(timer));
  return el('section', { id: 'groups-page' },
    el('h1', {}, 'Consumer groups'),
    el('div', { class: 'toolbar' }, filter, state, prev, next, info),
    list);
}
