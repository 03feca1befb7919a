// Live tail and search in Debian's Chromium (headless) with playwright-core:
// open a topic's live tail, produce with kcat, see the record appear; pause,
// produce, resume and see what came meanwhile; search and find a record,
// page through a bounded search with Resume; start a slow search and cancel
// it (the broker's stream count drops to 0).
// Usage: node stream.mjs BASE_URL TOPIC BIG_TOPIC BOOTSTRAP SHOTS_DIR.
// Exits non-zero on the first failed check; console errors fail it too.
import { execFileSync } from 'node:child_process';
import { open, check, fail } from './browser.mjs';

const [base, topic, big, bootstrap, shots] = process.argv.slice(2);
const kcat = (lines) => execFileSync('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K', ':'],
  { input: lines.join('\n') + '\n', timeout: 30000 });
const metric = async (name) => {
  const text = await (await fetch(base + '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line.split(' ')[1]);
};

// Polls a gauge until it equals want (5 s at most); returns the last value.
const waitMetric = async (name, want) => {
  let v;
  for (let i = 0; i < 100; i++) {
    v = await metric(name);
    if (v === want) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return v;
};

const { browser, page, errors } = await open();
try {
  const rows = (sel) => page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

  // the topic page links to the tail
  await page.goto(`${base}/#/topic/${topic}`);
  await page.click(`#topic-actions a[href="#/tail/${topic}"]`);
  await page.waitForSelector('#tail-state[data-state=live]');
  const t0 = Date.now();
  kcat(['tk:hello-live-tail']);
  await page.waitForFunction(() => document.querySelector('#tail-messages tbody tr td:nth-child(5)')?.textContent === 'hello-live-tail',
    null, { timeout: 5000 });
  console.log(`tail: a kcat record on the page ${Date.now() - t0} ms after kcat started`);
  check((await page.textContent('#received')) === '1', 'received counter');
  check((await page.textContent('#dropped')) === '0', 'dropped counter');
  await page.click('#tail-messages tbody tr');
  await page.waitForSelector('#detail h2');
  check((await page.textContent('#key')) === 'tk', 'key in the detail');
  await page.click('button[data-view=hex]');
  check((await page.textContent('#value')).startsWith('00000000  68 65 6c 6c 6f'), 'hex view');
  await page.screenshot({ path: `${shots}/10-tail.png`, fullPage: true });

  // pause: records produced meanwhile are not shown, and come on resume
  await page.click('#pause');
  await page.waitForSelector('#tail-state[data-state=paused]');
  check((await page.textContent('#pause')) === 'Resume', 'pause button becomes Resume');
  kcat(['p1:while-paused-1', 'p2:while-paused-2']);
  await page.waitForTimeout(600); // > 5 ticks of the broker's tail: nothing may arrive
  check((await rows('#tail-messages')).length === 1, 'nothing shown while paused');
  await page.screenshot({ path: `${shots}/11-tail-paused.png`, fullPage: true });
  await page.click('#pause');
  await page.waitForFunction(() => document.querySelectorAll('#tail-messages tbody tr').length === 3);
  const after = await rows('#tail-messages');
  check(after[0][4] === 'while-paused-2' && after[1][4] === 'while-paused-1', `resumed rows ${after.map((r) => r[4])}`);
  check(after[0][1] === '3' && after[1][1] === '2', 'offsets of the resumed rows');

  // search: substring finds the record; the page links there from the tail
  await page.click(`a[href="#/search/${topic}"]`);
  await page.waitForSelector('#search-form');
  await page.fill('#search-q', 'paused-2');
  await page.click('#search-run');
  await page.waitForSelector('#search-progress[data-state=done]');
  let found = await rows('#search-results');
  check(found.length === 1 && found[0][4] === 'while-paused-2', `search found ${JSON.stringify(found)}`);
  check((await page.textContent('#search-progress')).includes('finished'), 'search finished');
  await page.click('#search-results tbody tr');
  await page.waitForSelector('#detail h2');
  check((await page.textContent('#detail h2')) === 'Partition 0, offset 3', 'search detail');
  await page.screenshot({ path: `${shots}/12-search.png`, fullPage: true });

  // a filter with a match limit of 1: Resume goes on from the token
  await page.selectOption('#search-mode', 'filter');
  await page.fill('#search-q', 'key ~ ^(tk|p2)$');
  await page.fill('#search-limit', '1');
  await page.click('#search-run');
  await page.waitForSelector('#search-progress[data-state=done]');
  check(await page.isVisible('#search-resume'), 'Resume offered after a bounded stop');
  found = await rows('#search-results');
  check(found.length === 1 && found[0][3] === 'tk', `first page ${JSON.stringify(found)}`);
  await page.click('#search-resume');
  await page.waitForFunction(() => document.querySelectorAll('#search-results tbody tr').length === 2);
  await page.waitForSelector('#search-progress[data-state=done]');
  found = await rows('#search-results');
  check(found[1][3] === 'p2', `resumed match ${JSON.stringify(found)}`);

  // a slow search (O(n^2) regex over a big topic), cancelled
  await page.goto(`${base}/#/search/${big}`);
  await page.waitForSelector('#search-form');
  await page.selectOption('#search-mode', 'regex');
  await page.fill('#search-q', 'z+y');
  await page.fill('#search-max-s', '60');
  await page.click('#search-run');
  await page.waitForSelector('#search-progress[data-state=running]');
  await page.waitForFunction(() => document.querySelector('#search-progress').textContent.startsWith('scanned'));
  const during = await waitMetric('odradek_http_streams', 1);
  check(during === 1, `streams on the broker while searching: ${during}`);
  check(!(await page.isDisabled('#search-cancel')), 'Cancel enabled while running');
  await page.click('#search-cancel');
  await page.waitForSelector('#search-progress[data-state=cancelled]');
  check(await page.isDisabled('#search-cancel') && !(await page.isDisabled('#search-run')), 'buttons after cancel');
  check(await page.isVisible('#search-resume'), 'Resume offered after a cancel');
  const n = await waitMetric('odradek_http_streams', 0);
  check(n === 0, `the broker stopped the cancelled search (${n} streams)`);
  await page.screenshot({ path: `${shots}/13-search-cancelled.png`, fullPage: true });
  // Resume after the cancel goes on from the last progress position
  const before = (await page.textContent('#search-progress')).match(/next: p0@([\d,]+)/);
  check(before, 'position shown in the progress line');
  await page.click('#search-resume');
  await page.waitForFunction((b) => {
    const m = document.querySelector('#search-progress').textContent.match(/next: p0@([\d,]+)/);
    return m && Number(m[1].replace(/,/g, '')) > b;
  }, Number(before[1].replace(/,/g, '')));
  await page.click('#search-cancel');
  await page.waitForSelector('#search-progress[data-state=cancelled]');
  check(await waitMetric('odradek_http_streams', 0) === 0, 'the resumed search stopped too');

  // dark theme, tail page again
  await page.goto(`${base}/#/tail/${topic}`);
  await page.selectOption('#tail-from', 'latest-20');
  await page.waitForFunction(() => document.querySelectorAll('#tail-messages tbody tr').length === 4);
  await page.click('#theme');
  await page.click('#theme');
  await page.screenshot({ path: `${shots}/14-tail-dark.png`, fullPage: true });
} finally {
  await browser.close();
}
check(errors.length === 0, 'console errors: ' + errors.join(' | '));
console.log('ok');
