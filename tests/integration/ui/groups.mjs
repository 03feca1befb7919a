// Drives Debian's Chromium (headless) through the groups, produce and topic
// admin pages: a group's lag, an offset reset previewed then applied, a
// message produced from the form and seen in the partition's browser, the
// form pre-filled from that message, a topic created, its config edited,
// then deleted.  Usage: node groups.mjs BASE_URL GROUP TOPIC SHOTS_DIR
// [readonly] (readonly: the pages of a read-only broker offer no write).
// Exits non-zero on the first failed check; console errors fail it too.
import { open, check, fail } from './browser.mjs';

const [base, group, topic, shots, mode] = process.argv.slice(2);
const num = (s) => Number(String(s).replace(/,/g, ''));

const { browser, page, errors } = await open();
try {

  if (mode === 'readonly') {
    // http.read.only=true: the pages offer no write at all
    await page.goto(base + `/#/group/${group}`);
    await page.waitForSelector('#offsets tbody tr');
    check(!(await page.$('#reset-preview')) && !(await page.$('#group-delete')), 'no reset or delete offered');
    check((await page.textContent('#reset')).includes('read-only'), 'reset section says read-only');
    await page.goto(base + `/#/produce?topic=${topic}`);
    await page.waitForSelector('#p-refused');
    check(await page.isDisabled('#p-send'), 'produce button disabled');
    await page.goto(base + `/#/topic/${topic}`);
    await page.waitForSelector('#topic-page tbody tr');
    check(!(await page.$('#cfg-form')) && !(await page.$('#del-topic')) && !(await page.$('#part-add')), 'no topic admin offered');
    check(!(await page.$('#topic-actions a[href^="#/produce"]')), 'no produce link');
    await page.goto(base + '/#/new-topic');
    await page.waitForSelector('#t-refused');
    check(await page.isDisabled('#t-create'), 'create button disabled');
    await page.screenshot({ path: `${shots}/16-read-only.png`, fullPage: true });
    await browser.close();
    check(errors.length === 0, 'console errors: ' + errors.join(' | '));
    console.log('ok');
    process.exit(0);
  }

  // the list: the group with its total lag
  await page.goto(base + '/#/groups');
  const link = `#groups a[href="#/group/${group}"]`;
  await page.waitForSelector(link);
  const cells = await page.$$eval('#groups tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const row = cells.find((r) => r[0] === group);
  check(row && row[1] === 'Empty' && num(row[5]) === 14, `group row ${row}`);
  await page.screenshot({ path: `${shots}/10-groups.png`, fullPage: true });

  // the group: lag per partition and total
  await page.click(link);
  await page.waitForSelector('#offsets tbody tr');
  const lagOf = (p) => page.textContent(`#offsets tr[data-partition="${p}"] td.lag`);
  check(num(await lagOf(0)) === 8 && num(await lagOf(1)) === 6, 'lag per partition 8 and 6');
  check(num(await page.textContent('#total-lag b')) === 14, 'total lag 14');
  await page.screenshot({ path: `${shots}/11-group.png`, fullPage: true });

  // reset: preview first (nothing changes), then apply
  await page.selectOption('#reset-topic', topic);
  await page.selectOption('#reset-to', 'earliest');
  check(await page.isDisabled('#reset-apply'), 'apply needs a preview first');
  await page.click('#reset-preview');
  await page.waitForSelector('#reset-plan tbody tr');
  const plan = await page.$$eval('#reset-plan tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(plan[0][0] === '0' && num(plan[0][1]) === 12 && num(plan[0][2]) === 0 && num(plan[0][4]) === 20, `preview row ${plan[0]}`);
  check(num(await lagOf(0)) === 8, 'the preview changed nothing');
  await page.screenshot({ path: `${shots}/12-reset-preview.png`, fullPage: true });
  check(!(await page.isDisabled('#reset-apply')), 'apply offered after the preview');
  await page.click('#reset-apply');
  await page.waitForSelector('#reset-done');
  await page.waitForFunction(() => document.querySelector('#offsets tr[data-partition="0"] td.committed')?.textContent === '0');
  check(num(await page.textContent('#total-lag b')) === 30, 'total lag after the reset');

  // produce from the form, then see the message in the partition
  await page.goto(base + `/#/produce?topic=${topic}`);
  await page.waitForSelector('#produce-form');
  await page.fill('#p-partition', '1');
  await page.fill('#p-key', 'ui-key');
  await page.fill('#p-value', 'from the browser');
  await page.click('#p-add-header');
  await page.fill('.h-row .h-key', 'origin');
  await page.fill('.h-row .h-value', 'ui test');
  await page.screenshot({ path: `${shots}/13-produce.png`, fullPage: true });
  await page.click('#p-send');
  await page.waitForSelector('#p-done');
  const done = await page.textContent('#p-done');
  check(/partition 1 at offset 10/.test(done), `produce result: ${done}`);
  await page.click('#p-see');
  await page.waitForSelector('#messages tbody tr');
  const msgs = await page.$$eval('#messages tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const mine = msgs.find((r) => r[0] === '10');
  check(mine && mine[2] === 'ui-key' && mine[3].includes('from the browser'), `message at offset 10: ${mine}`);
  await page.screenshot({ path: `${shots}/14-produced.png`, fullPage: true });

  // produce a copy: the form pre-filled from that message
  await page.goto(base + `/#/produce?topic=${topic}&partition=1&offset=10`);
  await page.waitForSelector('#p-prefilled');
  check(await page.inputValue('#p-key') === 'ui-key', 'key pre-filled');
  check(await page.inputValue('#p-value') === 'from the browser', 'value pre-filled');
  check(await page.inputValue('.h-row .h-value') === 'ui test', 'header pre-filled');

  // create a topic, edit its config, delete it
  await page.goto(base + '/#/new-topic');
  await page.waitForSelector('#newtopic-form');
  await page.fill('#t-name', 'ui-new');
  await page.fill('#t-partitions', '3');
  await page.click('#t-add-config');
  await page.fill('.c-row .c-key', 'retention.ms');
  await page.fill('.c-row .c-value', '3600000');
  await page.click('#t-create');
  await page.waitForFunction(() => document.querySelector('#topic-page h1')?.textContent === 'ui-new');
  check((await page.$$('#topic-page > table tbody tr')).length === 3, '3 partitions shown');
  check((await page.textContent('#topic-configs')).includes('3600000'), 'config override shown');
  await page.screenshot({ path: `${shots}/15-new-topic.png`, fullPage: true });
  await page.fill('#cfg-v-0', '7200000');
  await page.click('#cfg-save');
  await page.waitForSelector('#cfg-saved');
  check((await page.textContent('#topic-configs')).includes('7200000'), 'config edited');
  check(await page.isDisabled('#del-topic'), 'delete needs the name typed');
  await page.fill('#del-confirm', 'ui-new');
  await page.click('#del-topic');
  await page.waitForSelector('#overview-page');
  const gone = (await page.request.get(base + '/api/v1/topics/ui-new')).status();
  check(gone === 404, `deleted topic answers ${gone}`);
} finally {
  await browser.close();
}
check(errors.length === 0, 'console errors: ' + errors.join(' | '));
console.log('ok');
