// Opens topic "orders" partition 0 in the message browser, opens offset 1
// and checks the value is shown decoded with the topic's Avro schema and
// the key with its key schema.  Usage: node avro_view.mjs BASE_URL SHOTS_DIR
import { open, check, fail } from './browser.mjs';

const [base, shots] = process.argv.slice(2);
const { browser, page, errors } = await open();
try {
  await page.goto(base + '/#/topic/orders/0');
  await page.waitForSelector('#messages tbody tr');
  await page.click('#messages tbody tr:nth-child(2)');
  await page.waitForSelector('#detail button[data-view="avro"]');
  const value = JSON.parse(await page.textContent('#value'));
  if (value.customer !== 'cüstomer 1' || value.status !== 'PAID' || value.id !== '1152921504606846977' ||
      value.items.length !== 1 || value.again.qty !== 1) fail('avro value shown as ' + JSON.stringify(value));
  const key = await page.textContent('#key');
  if (key !== '"order-1"') fail('avro key shown as ' + key);
  await page.screenshot({ path: `${shots}/avro-01-message.png`, fullPage: true });
  await page.click('#detail button[data-view="hex"]');
  if (!(await page.textContent('#value')).startsWith('00000000')) fail('hex view after avro');
} finally {
  await browser.close();
}
if (errors.length) fail('console errors: ' + errors.join(' | '));
console.log('ok');
