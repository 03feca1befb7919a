// Search a topic on the broker (GET /api/v1/topics/{t}/search, streamed
// over Server-Sent Events; docs/API.md, live tail and search): substring, regular
// expression or a `field op value` filter over keys, values and headers.
// The broker scans within the limits set here (records, bytes, time,
// matches), reports progress as it goes, stops when the page cancels
// (closing the stream), and ends with a resume token that "Resume" sends
// back to go on from where it stopped.
import { api, el, sse, onLeave, fmtNum, fmtBytes, useCss } from '../lib.js';
import { messageRow, messageHeaders } from './tail.js';

const HELP = [
  'substring: the text occurs in the key, a value or a header (name or value).',
  'regex: POSIX extended regular expression (first 4 KiB of each field; no back-references).',
  'filter: field op value, joined with "and" / "or" ("and" first), e.g.',
  '  header.type = order and value contains "EUR" or key ~ ^user-4[0-9]$',
  '  fields: key value header.<name> offset timestamp partition size',
  '          value.<path> key.<path> (JSON: value.order.items.0.sku, numbers compare as numbers)',
  '  ops: = != ~ (regex) !~ contains < <= > >= (the last four on numbers)',
  '  values: a word, or "quoted" with \\" \\\\ \\n \\t \\xHH',
];

export async function search(topic, params) {
  useCss('pages/tail.css');
  useCss('pages/search.css');
  const enc = encodeURIComponent(topic);
  const t = await api('topics/' + enc);
  const id = (x) => 'search-' + x;
  const mode = el('select', { id: id('mode'), 'aria-label': 'search mode' },
    el('option', { value: 'substring' }, 'substring'),
    el('option', { value: 'regex' }, 'regex'),
    el('option', { value: 'filter' }, 'filter'));
  const q = el('input', { id: id('q'), type: 'search', size: 50, placeholder: 'text, regex or field op value', 'aria-label': 'query', value: params.get('q') || '' });
  const inBoxes = ['key', 'value', 'headers'].map((name) => {
    const cb = el('input', { type: 'checkbox', id: id('in-' + name), checked: true, value: name });
    return el('label', { for: id('in-' + name), class: 'check' }, cb, ' ' + name);
  });
  const inGroup = el('span', { class: 'search-in', id: id('in') }, 'in ', inBoxes);
  const part = el('select', { id: id('partition'), 'aria-label': 'partition' },
    el('option', { value: '' }, 'all partitions'),
    t.partitions.map((p) => el('option', { value: p.partition }, `partition ${p.partition}`)));
  const fromMode = el('select', { id: id('from'), 'aria-label': 'scan from' },
    el('option', { value: 'earliest' }, 'from the oldest'),
    el('option', { value: 'latest' }, 'the newest N'),
    el('option', { value: 'timestamp' }, 'from time (ISO or ms)'),
    el('option', { value: 'offset' }, 'from offset'));
  const fromVal = el('input', { id: id('from-value'), size: 22, 'aria-label': 'scan from value', disabled: true });
  const num = (name, label, value, max) => {
    const input = el('input', { type: 'number', min: 1, max, value, id: id(name), class: 'search-num' });
    return [input, el('label', { for: id(name), class: 'search-limit' }, label, ' ', input)];
  };
  const [limit, limitL] = num('limit', 'max matches', 100, 1000);
  const [maxRecords, maxRecordsL] = num('max-records', 'max records', 1000000, 100000000);
  const [maxMb, maxMbL] = num('max-mb', 'max MiB', 256, 16384);
  const [maxS, maxSL] = num('max-s', 'max seconds', 10, 120);
  const run = el('button', { type: 'submit', id: id('run') }, 'Search');
  const cancel = el('button', { type: 'button', id: id('cancel'), disabled: true }, 'Cancel');
  const resume = el('button', { type: 'button', id: id('resume'), hidden: true }, 'Resume');
  const progress = el('p', { id: id('progress'), class: 'muted', 'aria-live': 'polite' });
  const error = el('p', { id: id('error'), class: 'error', role: 'alert' });
  const tbody = el('tbody', {});
  const list = el('div', { id: 'search-results' },
    el('table', {}, el('thead', {}, el('tr', {}, messageHeaders.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))), tbody));
  const detail = el('div', { id: 'detail' });

  let ctl = null;
  let token = null;
  let total = 0;
  let nmatch = 0;
  let positions = null; // of the last progress event: a cancelled search resumes there
  let seen = new Set(); // partition:offset shown (a resume may meet some again)

  fromMode.addEventListener('change', () => {
    fromVal.disabled = fromMode.value === 'earliest';
    fromVal.placeholder = { latest: '1000', timestamp: '2026-01-01T00:00:00Z', offset: '0', earliest: '' }[fromMode.value];
  });
  const syncMode = () => { inGroup.hidden = mode.value === 'filter'; };
  mode.addEventListener('change', syncMode);

  function from() {
    const v = fromVal.value.trim();
    switch (fromMode.value) {
      case 'latest': return 'latest-' + (Number(v) || 1000);
      case 'timestamp': {
        const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
        if (Number.isNaN(ms)) throw new Error('not a time: ' + v);
        return 'timestamp:' + ms;
      }
      case 'offset': return 'offset:' + (Number(v) || 0);
      default: return 'earliest';
    }
  }

  function describe(d) {
    const pos = (d.positions || []).filter((p) => p.offset < p.end);
    const where = pos.length ? `; next: ${pos.slice(0, 4).map((p) => `p${p.partition}@${fmtNum(p.offset)}`).join(', ')}${pos.length > 4 ? '…' : ''}` : '';
    return `scanned ${fmtNum(d.scanned_records)} of ${fmtNum(total)} records (${fmtBytes(d.scanned_bytes)}), ` +
      `${fmtNum(d.matches)} ${d.matches === 1 ? 'match' : 'matches'}, ${(d.elapsed_ms / 1000).toFixed(1)} s${where}`;
  }

  const reasons = {
    complete: 'finished: every record in range was scanned',
    limit: 'stopped at the match limit',
    max_records: 'stopped at the record limit',
    max_bytes: 'stopped at the byte limit',
    max_ms: 'stopped at the time limit',
  };

  function start(resumeToken) {
    error.textContent = '';
    const p = new URLSearchParams({ q: q.value, mode: mode.value });
    try {
      if (resumeToken) p.set('resume', resumeToken);
      else {
        p.set('from', from());
        if (part.value !== '') p.set('partition', part.value);
      }
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    if (mode.value !== 'filter') {
      const inSel = inBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
      if (!inSel.length) { error.textContent = 'choose key, value or headers'; return; }
      if (inSel.length < 3) p.set('in', inSel.join(','));
    }
    p.set('limit', limit.value || 100);
    p.set('max_records', maxRecords.value || 1000000);
    p.set('max_bytes', Math.round((Number(maxMb.value) || 256) * 1048576));
    p.set('max_ms', Math.round((Number(maxS.value) || 10) * 1000));
    if (!resumeToken) {
      tbody.replaceChildren();
      detail.replaceChildren();
      nmatch = 0;
      seen = new Set();
    }
    positions = null;
    token = null;
    resume.hidden = true;
    run.disabled = true;
    cancel.disabled = false;
    progress.textContent = 'searching…';
    progress.dataset.state = 'running';
    const finish = (text, state) => {
      run.disabled = false;
      cancel.disabled = true;
      ctl = null;
      if (text) progress.textContent = text;
      progress.dataset.state = state;
    };
    ctl = sse(`topics/${enc}/search?${p}`, {
      start(d) { total = d.records; },
      match(m) {
        const k = `${m.partition}:${m.offset}`;
        if (seen.has(k)) return;
        seen.add(k);
        nmatch++;
        tbody.append(messageRow(topic, m, detail, list));
      },
      progress(d) {
        positions = d.positions;
        progress.textContent = describe(d);
      },
      done(d) {
        token = d.resume;
        resume.hidden = !token;
        finish(`${describe(d)} — ${reasons[d.reason] || d.reason}${token ? '; Resume goes on from there' : ''}`, 'done');
        if (!nmatch) tbody.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'no matches')));
      },
      error(e) {
        if (e.error) { error.textContent = e.error; return; } // an error event
        error.textContent = e.message;
        finish(progress.dataset.state === 'running' ? 'failed' : '', 'error');
      },
      end() { if (ctl) finish('', 'done'); },
    });
  }

  const form = el('form', { id: 'search-form', class: 'search-form' },
    el('div', { class: 'toolbar' }, mode, q, inGroup, run, cancel, resume),
    el('div', { class: 'toolbar' }, part, fromMode, fromVal, limitL, maxRecordsL, maxMbL, maxSL),
    el('details', {}, el('summary', {}, 'Query syntax'), el('pre', { class: 'search-help' }, HELP.join('\n'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (ctl) ctl.abort();
    start(null);
  });
  cancel.addEventListener('click', () => {
    if (!ctl) return;
    ctl.abort(); // closing the stream stops the scan on the broker
    ctl = null;
    run.disabled = false;
    cancel.disabled = true;
    progress.dataset.state = 'cancelled';
    progress.textContent = (progress.textContent === 'searching…' ? '' : progress.textContent + ' — ') + 'cancelled';
    // the last progress event says where the scan was: Resume goes on there
    const left = (positions || []).filter((p) => p.offset < p.end);
    token = left.length ? left.map((p) => `${p.partition}:${p.offset}:${p.end}`).join(',') : null;
    resume.hidden = !token;
  });
  resume.addEventListener('click', () => { if (token) start(token); });
  onLeave(() => { if (ctl) ctl.abort(); });
  if (params.get('mode')) mode.value = params.get('mode');
  syncMode();

  return el('section', { id: 'search-page' },
    el('p', {}, el('a', { href: '#/topic/' + enc }, '← ' + topic)),
    el('h1', {}, `Search: ${topic}`),
    form, error, progress, list, detail);
}
