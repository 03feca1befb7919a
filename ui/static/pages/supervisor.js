// The supervisor's programs (GET /api/v1/supervisor): state, pid, uptime,
// restarts, last exit; a program's log tail
// (GET /api/v1/supervisor/programs/{name}/log).  Read-only: starting and
// stopping stay with `odradek ctl`.  The table refreshes every 5 s while
// the page is shown.
import { api, el, table, fmtBytes, onLeave, useCss } from '../lib.js';

const REFRESH_MS = 5000;
const TAIL_BYTES = 16384;

function fmtUptime(ms) {
  if (!ms) return '';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  return (d ? `${d}d ` : '') + (d || h ? `${h}h ` : '') + (d || h || m ? `${m}m ` : '') + `${s}s`;
}

function fmtExit(code) {
  if (code === null || code === undefined) return '';
  return code >= 0 ? `exit ${code}` : `signal ${-code}`;
}

export async function supervisor(params) {
  useCss('pages/supervisor.css');
  const progBox = el('div', { id: 'sv-programs' });
  const logBox = el('section', { id: 'sv-log', 'aria-live': 'polite' });
  const info = el('p', { class: 'muted', id: 'sv-info' });
  let selected = params.get('program') || '';
  let follow = null; // the log's refresh timer while "Follow" is on

  async function showLog(name) {
    selected = name;
    const pre = el('pre', { id: 'sv-log-text' }, 'Loading…');
    const refresh = el('button', { type: 'button', id: 'sv-log-refresh' }, 'Refresh');
    const box = el('input', { type: 'checkbox', id: 'sv-log-follow' });
    const meta = el('span', { class: 'muted' });
    clearInterval(follow);
    follow = null;
    logBox.replaceChildren(el('h2', {}, `Log of ${name}`),
      el('p', { class: 'toolbar' }, refresh, el('label', {}, box, ' Follow (every 2 s)'), meta), pre);
    const load = async () => {
      try {
        const r = await api(`supervisor/programs/${encodeURIComponent(name)}/log?bytes=${TAIL_BYTES}`);
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = r.log || '(no output yet)';
        meta.textContent = `last ${fmtBytes(r.bytes)} of its output, kept in the supervisor's memory`;
        meta.className = 'muted';
        if (atEnd || !pre.dataset.loaded) pre.scrollTop = pre.scrollHeight;
        pre.dataset.loaded = '1';
      } catch (e) {
        pre.textContent = '';
        meta.textContent = e.message;
        meta.className = 'error';
      }
    };
    refresh.addEventListener('click', load);
    box.addEventListener('change', () => {
      clearInterval(follow);
      follow = box.checked ? setInterval(load, 2000) : null;
    });
    for (const b of progBox.querySelectorAll('button[data-program]')) {
      b.setAttribute('aria-pressed', String(b.dataset.program === name));
    }
    await load();
  }

  async function loadPrograms() {
    let s;
    try {
      s = await api('supervisor');
    } catch (e) {
      progBox.replaceChildren(el('p', { class: 'error' }, e.message));
      return null;
    }
    if (!s.supervised) {
      progBox.replaceChildren(el('p', { id: 'sv-unsupervised' }, 'This broker is not running under odradek-supervisor.'),
        el('p', { class: 'muted' }, s.reason));
      info.textContent = '';
      return s;
    }
    info.textContent = `odradek-supervisor pid ${s.pid}, control socket ${s.socket}` +
      (s.shutting_down ? ', shutting down' : '') + (s.ready ? ', every program ready' : ', not every program is ready');
    progBox.replaceChildren(table(['program', 'state', 'ready', { label: 'pid', num: 1 }, { label: 'uptime', num: 1 },
      { label: 'restarts', num: 1 }, 'last exit', 'status'],
    s.programs.map((p) => el('tr', { 'data-name': p.name },
      el('td', {}, el('button', { type: 'button', class: 'linkish', 'data-program': p.name, 'aria-pressed': String(p.name === selected), title: 'Show its log' }, p.name)),
      el('td', {}, el('span', { class: `state state-${p.state.toLowerCase()}` }, p.state)),
      el('td', {}, p.ready ? 'yes' : 'no'),
      el('td', { class: 'num' }, p.pid || ''),
      el('td', { class: 'num' }, fmtUptime(p.uptime_ms)),
      el('td', { class: 'num' }, p.restarts),
      el('td', {}, fmtExit(p.last_exit)),
      el('td', { class: 'muted' }, p.status || '')))));
    for (const b of progBox.querySelectorAll('button[data-program]')) {
      b.addEventListener('click', () => {
        history.replaceState(null, '', '#/supervisor?program=' + encodeURIComponent(b.dataset.program));
        showLog(b.dataset.program);
      });
    }
    return s;
  }

  const s = await loadPrograms();
  const timer = setInterval(loadPrograms, REFRESH_MS);
  onLeave(() => { clearInterval(timer); clearInterval(follow); });
  if (s && s.supervised && selected) showLog(selected);
  return el('section', { id: 'supervisor-page' },
    el('h1', {}, 'Supervisor'), info, progBox, logBox);
}
