// A topic: its partitions (offsets, size, segments) and overridden configs.
import { api, el, table, fmtBytes, fmtNum } from '../lib.js';

export async function topic(name) {
  const t = await api('topics/' + encodeURIComponent(name));
  const enc = encodeURIComponent(name);
  return el('section', { id: 'topic-page' },
    el('p', {}, el('a', { href: '#/' }, '← Overview')),
    el('h1', {}, name, t.internal ? el('span', { class: 'muted' }, ' (internal)') : null),
    el('p', { class: 'toolbar', id: 'topic-actions' },
      el('a', { href: `#/tail/${enc}`, class: 'button' }, 'Live tail'),
      el('a', { href: `#/search/${enc}`, class: 'button' }, 'Search'),
      el('a', { href: `#/produce?topic=${enc}`, class: 'button' }, 'Produce')),
    el('h2', {}, 'Partitions'),
    table(['partition', 'leader', { label: 'log start', num: 1 }, { label: 'high watermark', num: 1 },
      { label: 'messages', num: 1 }, { label: 'size', num: 1 }, { label: 'segments', num: 1 }, ''],
    t.partitions.map((p) => el('tr', {},
      el('td', {}, p.partition), el('td', {}, p.leader),
      el('td', { class: 'num' }, fmtNum(p.log_start_offset)), el('td', { class: 'num' }, fmtNum(p.high_watermark)),
      el('td', { class: 'num' }, fmtNum(p.high_watermark - p.log_start_offset)),
      el('td', { class: 'num' }, fmtBytes(p.size)), el('td', { class: 'num' }, p.segments.length),
      el('td', {}, el('a', { href: `#/topic/${enc}/${p.partition}` }, 'messages'))))),
    el('h2', {}, 'Configuration overrides'),
    Object.keys(t.configs).length
      ? table(['key', 'value'], Object.entries(t.configs).map(([k, v]) => el('tr', {}, el('td', { class: 'mono' }, k), el('td', { class: 'mono' }, v))))
      : el('p', { class: 'muted' }, 'none: every value is the broker default'));
}
