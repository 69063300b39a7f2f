// Drives one headless Chromium page for ConsoleBrowserTest, one command per line of stdin, one JSON
// answer per line of stdout, so that the Java test holds the assertions and the network's control.
//   {"id":1,"cmd":"goto","url":"http://..."}
//   {"id":2,"cmd":"waitFor","selector":"table#nodes tbody tr","count":3,"attribute":"data-state","value":"active","timeoutMs":20000}
//   {"id":3,"cmd":"eval","expression":"[...document.querySelectorAll('tr')].map(r => r.dataset.nodeHash)"}
//   {"id":4,"cmd":"click","selector":"tr[data-item-hash='...']"}
//   {"id":5,"cmd":"press","selector":"...","key":"Enter"}   (focuses the element, then presses the key)
//   {"id":6,"cmd":"fill","selector":"input#search","text":"..."}
//   {"id":7,"cmd":"viewport","width":375,"height":812}
//   {"id":8,"cmd":"screenshot","path":"/.../01-network.png"}
//   {"id":9,"cmd":"errors"}   (page errors and console errors seen so far)
//   {"id":10,"cmd":"close"}
// Answers: {"id":N,"ok":true,"value":...} or {"id":N,"ok":false,"error":"..."}.
// Arguments: CHROMIUM_PATH USER_DATA_DIR.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const [executablePath, userDataDir] = process.argv.slice(2);
if (!executablePath || !userDataDir) {
  console.error('usage: node driver.mjs CHROMIUM_PATH USER_DATA_DIR');
  process.exit(2);
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  chromiumSandbox: false,
  viewport: { width: 1280, height: 900 },
  timeout: 60_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] ?? await context.newPage();
const errors = [];
page.on('pageerror', e => errors.push('pageerror: ' + e.message));
page.on('console', m => { if (m.type() === 'error') errors.push('console: ' + m.text()); });

function reply(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

// Waits in the page until `selector` matches at least `count` elements (default 1), each of which,
// when `attribute` is given, has that attribute (equal to `value` when one is given).
async function waitFor(c) {
  const arg = { selector: c.selector, count: c.count ?? 1, attribute: c.attribute ?? null, value: c.value ?? null };
  await page.waitForFunction(a => {
    const all = [...document.querySelectorAll(a.selector)];
    const ok = all.filter(e => a.attribute === null
        || (e.hasAttribute(a.attribute) && (a.value === null || e.getAttribute(a.attribute) === a.value)));
    return ok.length >= a.count;
  }, arg, { timeout: c.timeoutMs ?? 10_000, polling: 100 });
  return true;
}

async function handle(c) {
  switch (c.cmd) {
    case 'goto':
      await page.goto(c.url, { timeout: c.timeoutMs ?? 30_000, waitUntil: 'load' });
      return page.url();
    case 'waitFor':
      return waitFor(c);
    case 'eval':
      // an expression, evaluated in the page; its value must be JSON
      return await page.evaluate(expr => JSON.parse(JSON.stringify((0, eval)(expr) ?? null)), c.expression);
    case 'click':
      await page.click(c.selector, { timeout: c.timeoutMs ?? 10_000 });
      return true;
    case 'press':
      await page.focus(c.selector, { timeout: c.timeoutMs ?? 10_000 });
      await page.keyboard.press(c.key);
      return true;
    case 'fill':
      await page.fill(c.selector, c.text, { timeout: c.timeoutMs ?? 10_000 });
      return true;
    case 'viewport':
      await page.setViewportSize({ width: c.width, height: c.height });
      return true;
    case 'screenshot':
      await page.screenshot({ path: c.path, fullPage: true, timeout: c.timeoutMs ?? 20_000 });
      return c.path;
    case 'errors':
      return errors.slice();
    case 'close':
      await context.close();
      return true;
    default:
      throw new Error('unknown command ' + c.cmd);
  }
}

reply({ id: 0, ok: true, value: 'ready ' + context.browser()?.version?.() });
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    reply({ id: null, ok: false, error: 'not JSON: ' + e.message });
    continue;
  }
  try {
    reply({ id: c.id, ok: true, value: await handle(c) });
  } catch (e) {
    reply({ id: c.id, ok: false, error: String(e && e.message || e).split('\n').slice(0, 6).join('\n') });
  }
  if (c.cmd === 'close') break;
}
await context.close().catch(() => {});
process.exit(0);
