// Overview: the cluster's numbers and its topics (filterable, paginated).
import { api, el, table, fmtBytes, fmtNum } from '../lib.js';

const PAGE = 50;

export async function overview() {
  const c = await api('cluster');
  const root = el('section', { id: 'overview-page' },
    el('h1', {}, 'Cluster ', el('span', { class: 'muted mono' }, c.cluster_id)),
    el('div', { class: 'cards' },
      card(c.brokers.length, 'brokers'), card(c.controller_id, 'controller'),
      card(fmtNum(c.topics), 'topics'), card(fmtNum(c.partitions), 'partitions'),
      card(fmtNum(c.messages), 'messages'), card(fmtBytes(c.bytes), 'on disk'),
      card(fmtNum(c.connections), 'connections'), card(c.version, 'version'),
      card(c.zookeeper.connected ? 'connected' : 'away', 'coordination')),
    el('h2', {}, 'Brokers'),
    table(['id', 'host', 'port'], c.brokers.map((b) =>
      el('tr', {}, el('td', {}, b.id + (b.id === c.controller_id ? ' (controller)' : '')),
        el('td', {}, b.host), el('td', {}, b.port)))));
  const list = el('div', { id: 'topics' });
  let offset = 0;
  const filter = el('input', { type: 'search', placeholder: 'filter topics', 'aria-label': 'filter topics' });
  const prev = el('button', { type: 'button' }, '← Previous');
  const next = el('button', { type: 'button' }, 'Next →');
  const info = el('span', { class: 'muted' });
  async function load() {
    const t = await api(`topics?offset=${offset}&limit=${PAGE}&filter=${encodeURIComponent(filter.value)}`);
    info.textContent = t.total ? `${offset + 1}–${offset + t.topics.length} of ${t.total}` : 'no topics';
    prev.disabled = offset === 0;
    next.disabled = offset + t.topics.length >= t.total;
    list.replaceChildren(table(['topic', { label: 'partitions', num: 1 }, { label: 'messages', num: 1 }, { label: 'size', num: 1 }],
      t.topics.map((x) => el('tr', {},
        el('td', {}, el('a', { href: '#/topic/' + encodeURIComponent(x.name) }, x.name), x.internal ? el('span', { class: 'muted' }, ' internal') : null),
        el('td', { class: 'num' }, x.partitions), el('td', { class: 'num' }, fmtNum(x.messages)),
        el('td', { class: 'num' }, fmtBytes(x.bytes))))));
  }
  filter.addEventListener('input', () => { offset = 0; load(); });
  prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  next.addEventListener('click', () => { offset += PAGE; load(); });
  const create = c.ui.read_only ? null : el('a', { href: '#/new-topic', class: 'button', id: 'new-topic' }, 'New topic…');
  root.append(el('h2', {}, 'Topics'), el('div', { class: 'toolbar' }, filter, prev, next, info, create), list);
  await load();
  return root;
}

function card(value, label) {
  return el('div', { class: 'card' }, el('b', {}, value), el('span', {}, label));
}
