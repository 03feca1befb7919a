// Drives Debian's Chromium (headless) through odradek's UI with
// playwright-core: overview -> topic -> message browser -> views, seek,
// theme and time-zone toggles.  Usage: node ui_walkthrough.mjs BASE_URL
// TOPIC SHOTS_DIR.  Exits non-zero with a message on the first failed check;
// any console error (CSP violations included) or page error fails it too.
import { open, check, fail } from './browser.mjs';

const [base, topic, shots] = process.argv.slice(2);

const { browser, page, errors } = await open();
try {

  await page.goto(base + '/');
  await page.waitForSelector('#overview-page #topics table');
  check((await page.textContent('h1')).startsWith('Cluster'), 'overview heading');
  check(await page.isVisible(`a[href="#/topic/${topic}"]`), 'topic listed on the overview');
  await page.screenshot({ path: `${shots}/01-overview.png`, fullPage: true });

  await page.fill('input[type=search]', topic);
  await page.waitForFunction((t) => document.querySelectorAll('#topics tbody tr').length === 1 &&
    document.querySelector('#topics tbody tr a').textContent === t, topic);

  await page.click(`a[href="#/topic/${topic}"]`);
  await page.waitForSelector('#topic-page tbody tr');
  const hw = await page.textContent('#topic-page tbody tr td:nth-child(4)');
  check(hw.replace(/,/g, '') === '120', `high watermark shown as ${hw}`);
  await page.screenshot({ path: `${shots}/02-topic.png`, fullPage: true });

  await page.click(`a[href="#/topic/${topic}/0"]`);
  await page.waitForSelector('#messages tbody tr');
  const rows = await page.$$eval('#messages tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(rows.length === 50, `first page has ${rows.length} rows`);
  check(rows[0][0] === '0' && rows[0][2] === 'key-0', `first row ${rows[0]}`);
  check(rows[7][3].includes('"n": 7'), `JSON value preview ${rows[7][3]}`);
  const summary = await page.textContent('#partition-info summary');
  check(/offsets 0–120 .* in 1 segment$/.test(summary), `partition summary ${summary}`);
  await page.click('#partition-info summary');
  check((await page.textContent('#partition-info tbody tr td:last-child')) === 'active', 'active segment listed');

  await page.click('#messages tbody tr:nth-child(8)');
  await page.waitForSelector('#detail h2');
  check((await page.textContent('#detail h2')) === 'Offset 7', 'detail of offset 7');
  await page.click('button[data-view=json]');
  check((await page.textContent('#value')).includes('"n": 7'), 'JSON view pretty-prints');
  check(!(await page.textContent('#detail')).includes('null'), 'no stray null in the detail');
  await page.click('button[data-view=hex]');
  check((await page.textContent('#value')).startsWith('00000000  7b 22'), 'hex view');
  await page.click('button[data-view=base64]');
  check((await page.textContent('#value')).startsWith('eyJ'), 'base64 view');
  await page.screenshot({ path: `${shots}/03-message.png`, fullPage: true });

  await page.click('#more');
  await page.waitForFunction(() => document.querySelector('#messages tbody tr td').textContent === '50');
  const ndjson = await page.getAttribute('#export-ndjson', 'href');
  check(ndjson.endsWith('/partitions/0/export?from=50&format=ndjson'), 'download link ' + ndjson);
  const dl = await page.evaluate(async (u) => (await fetch(u)).text(), ndjson);
  check(dl.split('\n').filter(Boolean).length === 70 && JSON.parse(dl.split('\n')[0]).offset === 50, 'NDJSON download');
  await page.click('#back');
  await page.waitForFunction(() => document.querySelector('#messages tbody tr td').textContent === '0');
  check(await page.isDisabled('#back'), 'no previous page before the log start');
  await page.click('#more');
  await page.waitForFunction(() => document.querySelector('#messages tbody tr td').textContent === '50');

  await page.selectOption('select', 'newest');
  await page.fill('#seek', '3');
  await page.click('#go');
  await page.waitForFunction(() => document.querySelector('#messages tbody tr td').textContent === '117');
  check((await page.$$('#messages tbody tr')).length === 3, 'newest 3');

  await page.click('#theme'); // system -> light
  await page.click('#theme'); // light -> dark
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'dark theme set');
  await page.screenshot({ path: `${shots}/04-dark.png`, fullPage: true });
  const tzBefore = await page.textContent('#tz');
  await page.evaluate(() => { document.querySelector('#messages').dataset.old = '1'; });
  await page.click('#tz');
  check((await page.textContent('#tz')) !== tzBefore, 'time zone toggles');

  // the toggle re-rendered the page; open the first row from the keyboard
  await page.waitForSelector('#messages:not([data-old]) tbody tr');
  const first = await page.textContent('#messages tbody tr td');
  await page.focus('#messages tbody tr');
  await page.keyboard.press('Enter');
  await page.waitForFunction((o) => document.querySelector('#detail h2')?.textContent === 'Offset ' + o, first);
} finally {
  await browser.close();
}
check(errors.length === 0, 'console errors: ' + errors.join(' | '));
console.log('ok');
