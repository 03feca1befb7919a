// One consumer group: state, members with their decoded assignments, the
// committed offset, high watermark and lag of every partition (and the
// total), and — when the broker allows it and the group is Empty — an
// offset reset that is always previewed first, then applied.
import { api, cluster, el, table, fmtNum, fmtTime, useCss } from '../lib.js';

const MODES = [
  ['earliest', 'earliest (log start)'],
  ['latest', 'latest (high watermark)'],
  ['offset', 'to offset'],
  ['timestamp', 'to time (ISO or ms)'],
  ['shift', 'shift by N'],
];

export async function group(id) {
  useCss('pages/groups.css');
  useCss('pages/group.css');
  const [g, c] = await Promise.all([api('groups/' + encodeURIComponent(id)), cluster()]);
  const root = el('section', { id: 'group-page' },
    el('p', { class: 'toolbar' }, el('a', { href: '#/groups' }, '← Consumer groups'),
      el('button', { type: 'button', id: 'group-refresh', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }, 'Refresh')),
    el('h1', {}, g.group, ' ', el('span', { class: 'state state-' + g.state, id: 'group-state' }, g.state)),
    el('div', { class: 'cards' },
      card(g.members.length, 'members'), card(g.generation, 'generation'),
      card(g.protocol_type || '—', 'protocol type'), card(g.protocol || '—', 'assignor'),
      card(fmtNum(g.partitions), 'partitions'),
      el('div', { class: 'card', id: 'total-lag' }, el('b', {}, fmtNum(g.lag)), el('span', {}, 'total lag'))),
    el('h2', {}, 'Members'),
    g.members.length === 0
      ? el('p', { class: 'muted' }, 'No members: the group is not consuming now.')
      : table(['client id', 'host', 'member id', 'subscribed', 'assigned partitions'],
        g.members.map((m) => el('tr', {},
          el('td', {}, m.client_id, m.member_id === g.leader ? el('span', { class: 'muted' }, ' (leader)') : null),
          el('td', {}, m.client_host),
          el('td', { class: 'mono small' }, m.member_id),
          el('td', {}, m.subscription ? m.subscription.join(', ') : '—'),
          el('td', { class: 'mono' }, assignmentText(m))))),
    el('h2', {}, 'Offsets and lag'),
    offsetsTable(g));
  if (g.truncated) root.append(el('p', { class: 'muted' }, 'Only the first partitions are listed.'));
  root.append(resetSection(g, c));
  const del = deleteSection(g, c);
  if (del) root.append(del);
  return root;
}

function card(value, label) {
  return el('div', { class: 'card' }, el('b', {}, value), el('span', {}, label));
}

function assignmentText(m) {
  if (!m.assignment) return m.assignment_size ? `${m.assignment_size} bytes (not the consumer protocol)` : '—';
  if (!m.assignment.topics.length) return 'none';
  return m.assignment.topics.map((t) => `${t.topic}: ${t.partitions.join(', ')}`).join('; ');
}

function offsetsTable(g) {
  if (!g.offsets.length) return el('p', { class: 'muted' }, 'No committed offsets.');
  const n = (v) => (v === null || v === undefined ? '—' : fmtNum(v));
  return el('div', { id: 'offsets' }, table(['topic', { label: 'partition', num: 1 }, { label: 'committed', num: 1 },
    { label: 'log start', num: 1 }, { label: 'high watermark', num: 1 }, { label: 'lag', num: 1 }, 'consumer', 'committed at'],
  g.offsets.map((o) => el('tr', { 'data-topic': o.topic, 'data-partition': o.partition },
    el('td', {}, el('a', { href: '#/topic/' + encodeURIComponent(o.topic) }, o.topic)),
    el('td', { class: 'num' }, o.partition),
    el('td', { class: 'num committed' }, n(o.committed)),
    el('td', { class: 'num' }, n(o.log_start_offset)),
    el('td', { class: 'num' }, n(o.high_watermark)),
    el('td', { class: 'num lag' + (o.lag > 0 ? ' behind' : '') }, n(o.lag)),
    el('td', {}, o.client_id || ''),
    el('td', { class: 'muted' }, o.commit_timestamp ? fmtTime(o.commit_timestamp) : '')))));
}

function resetSection(g, c) {
  const sec = el('section', { id: 'reset' }, el('h2', {}, 'Reset offsets'));
  if (!c.ui.allow_offset_reset) {
    sec.append(el('p', { class: 'muted' }, c.ui.read_only
      ? 'The UI is read-only (http.read.only=true).'
      : 'Offset reset is switched off on this broker (http.allow.offset.reset=false).'));
    return sec;
  }
  if (g.state !== 'Empty') {
    sec.append(el('p', { class: 'muted', id: 'reset-unavailable' },
      `Offsets can only be reset while the group is Empty (no consumer running); it is ${g.state} now.`));
    return sec;
  }
  const topics = [...new Set(g.offsets.map((o) => o.topic))];
  const topic = el('select', { id: 'reset-topic' }, topics.map((t) => el('option', { value: t }, t)));
  const parts = el('input', { id: 'reset-partitions', placeholder: 'all', size: 12 });
  const mode = el('select', { id: 'reset-to' }, MODES.map(([v, l]) => el('option', { value: v }, l)));
  const value = el('input', { id: 'reset-value', size: 24, disabled: true });
  const previewBtn = el('button', { type: 'submit', id: 'reset-preview' }, 'Preview');
  const apply = el('button', { type: 'button', id: 'reset-apply', disabled: true }, 'Apply reset');
  const out = el('div', { id: 'reset-result', 'aria-live': 'polite' });
  let planned = null;
  const form = el('form', { class: 'reset-form' },
    el('label', {}, 'Topic ', topic),
    el('label', {}, 'Partitions ', parts),
    el('label', {}, 'Reset ', mode),
    el('label', {}, 'Value ', value),
    previewBtn, apply);
  const invalidate = () => { planned = null; apply.disabled = true; };
  mode.addEventListener('change', () => {
    value.disabled = ['earliest', 'latest'].includes(mode.value);
    value.placeholder = mode.value === 'timestamp' ? '2026-01-01T00:00:00Z' : mode.value === 'shift' ? '-10' : '';
    invalidate();
  });
  for (const i of [topic, parts, value]) i.addEventListener('input', invalidate);

  function body() {
    const b = { topic: topic.value, to: mode.value };
    const p = parts.value.trim();
    if (p && p !== 'all') {
      b.partitions = p.split(/[\s,]+/).filter(Boolean).map(Number);
      if (b.partitions.some((x) => !Number.isInteger(x) || x < 0)) throw new Error('partitions: a list like 0, 2, 3');
    }
    if (!value.disabled) {
      const v = value.value.trim();
      let n = /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (mode.value === 'timestamp' && Number.isNaN(n)) n = Date.parse(v);
      if (Number.isNaN(n)) throw new Error(mode.value === 'timestamp' ? 'not a time: ' + v : 'the value must be an integer');
      b.value = n;
    }
    return b;
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    invalidate();
    try {
      const b = body();
      const p = await api(`groups/${encodeURIComponent(g.group)}/offsets/reset/preview`, { method: 'POST', body: b });
      out.replaceChildren(el('p', {}, 'Preview: nothing has changed yet.'), planTable(p));
      planned = b;
      apply.disabled = !p.allowed;
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error' }, err.message));
    }
  });
  apply.addEventListener('click', async () => {
    if (!planned) return;
    apply.disabled = true;
    try {
      const r = await api(`groups/${encodeURIComponent(g.group)}/offsets/reset`, { method: 'POST', body: { ...planned, dry_run: false } });
      out.replaceChildren(el('p', { class: 'ok', id: 'reset-done' },
        `Reset ${r.partitions.length} partition(s) of ${r.topic}; the group's lag there is now ${fmtNum(r.lag_after)}.`), planTable(r));
      const fresh = await api('groups/' + encodeURIComponent(g.group));
      document.getElementById('offsets')?.replaceWith(offsetsTable(fresh));
      const tl = document.querySelector('#total-lag b');
      if (tl) tl.textContent = fmtNum(fresh.lag);
    } catch (err) {
      out.replaceChildren(el('p', { class: 'error' }, err.message));
    }
    planned = null;
  });
  sec.append(el('p', { class: 'muted' }, 'Choose where the group should resume, preview the new offsets, then apply.'), form, out);
  return sec;
}

function planTable(p) {
  const n = (v) => (v === null || v === undefined ? '—' : fmtNum(v));
  return el('div', { id: 'reset-plan' }, table([{ label: 'partition', num: 1 }, { label: 'current', num: 1 }, { label: 'new', num: 1 },
    { label: 'lag before', num: 1 }, { label: 'lag after', num: 1 }],
  [...p.partitions.map((x) => el('tr', {},
    el('td', { class: 'num' }, x.partition), el('td', { class: 'num' }, n(x.current)),
    el('td', { class: 'num new' }, n(x.new)), el('td', { class: 'num' }, n(x.lag_before)),
    el('td', { class: 'num' }, n(x.lag_after)))),
  el('tr', { class: 'total' }, el('td', {}, 'total'), el('td', {}), el('td', {}),
    el('td', { class: 'num' }, n(p.lag_before)), el('td', { class: 'num' }, n(p.lag_after)))]));
}

function deleteSection(g, c) {
  if (!c.ui.allow_delete || g.state !== 'Empty') return null;
  const confirm = el('button', { type: 'button', id: 'group-delete-confirm', hidden: true }, `Yes, delete ${g.group} and its offsets`);
  const ask = el('button', { type: 'button', id: 'group-delete' }, 'Delete group…');
  const msg = el('span', { 'aria-live': 'polite' });
  ask.addEventListener('click', () => { confirm.hidden = false; confirm.focus(); });
  confirm.addEventListener('click', async () => {
    try {
      await api('groups/' + encodeURIComponent(g.group), { method: 'DELETE' });
      location.hash = '#/groups';
    } catch (e) {
      msg.textContent = e.message;
      msg.className = 'error';
    }
  });
  return el('section', { id: 'group-admin' }, el('h2', {}, 'Delete'),
    el('p', { class: 'muted' }, 'Deleting an Empty group removes its committed offsets (DeleteGroups).'),
    el('div', { class: 'toolbar' }, ask, confirm, msg));
}
