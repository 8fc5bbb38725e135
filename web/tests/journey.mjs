// The candidate's journey in Debian's headless Chromium (playwright-core), against a real server:
// sign in → (passwords) → pledge → a draft typed and reordered by keyboard → submit, with the
// first answer dropped on the way back → the retry with the same Idempotency-Key → a receipt the
// page verified → history with an unbroken chain → the browsing screens (plans, past scores,
// suggestions, favourites, notices, profile), each audited by axe-core; and first the API
// reference at /docs, showing every operation of the served contract. Prints one JSON line for the test that runs it
// (tests/server/web_journey_test.cpp), which checks it against the database.
//
// Env: BASE_URL, EXAM_NO, PASSWORD, SAVE_PASSWORD, CHOICES (a JSON array), SHOTS (a directory).
import { env, journey, newPage, audit, browse, candidateScreens } from './browser.mjs';

const base = env('BASE_URL');
const choices = JSON.parse(env('CHOICES'));
const shots = env('SHOTS');
await journey(async (browser, result) => {
  const page = await newPage(browser, result);

  // The API reference at /docs, rendered here from the server's own files and contract.
  const contract = await (await fetch(`${base}/openapi.json`)).json();
  const verbs = ['get', 'put', 'post', 'delete', 'patch'];
  const operations = Object.values(contract.paths).reduce((n, item) => n + verbs.filter((v) => item[v]).length, 0);
  await page.goto(`${base}/docs`);
  // Swagger UI parses the whole contract first: slow on a loaded machine, so a longer wait.
  await page.waitForSelector('.opblock', { timeout: 60000 });
  result.docs = { operations, shown: await page.locator('.opblock').count(), title: await page.textContent('.info .title') };
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: `${shots}/docs-1366x768.png` });
  await page.setViewportSize({ width: 390, height: 844 });

  await page.goto(`${base}/`);
  await page.waitForSelector('#exam_no');
  await audit(page, result, 'login');
  await page.fill('#exam_no', env('EXAM_NO'));
  await page.fill('#password', env('PASSWORD'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#agree, #save-draft, #login_password');
  if (await page.$('#login_password')) throw new Error('this journey expects a candidate whose passwords are set');
  if (await page.$('#agree')) {
    await page.screenshot({ path: `${shots}/pledge-390x844.png`, fullPage: true });
    await audit(page, result, 'pledge');
    await page.check('#agree');
    await page.click('button[type=submit]');
  }
  await page.waitForSelector('#save-draft');
  while (await page.$('ol.choices > li')) await page.click('ol.choices > li:first-child >> text=删除');

  // Typed with the two first choices swapped, then put right by keyboard: Tab to 上移, Enter.
  const typed = choices.length > 1 ? [choices[1], choices[0], ...choices.slice(2)] : choices;
  for (const c of typed) {
    await page.click('text=＋ 添加志愿');
    const li = page.locator('ol.choices > li').last();
    await li.locator('[name=group]').fill(String(c.group));
    await li.locator('[name=majors]').fill(c.majors.join(','));
    if (c.accept_adjustment === false) await li.locator('[name=adjust]').uncheck();
  }
  if (choices.length > 1) {
    await page.locator('ol.choices > li').nth(1).locator('[name=adjust]').focus();
    await page.keyboard.press('Tab');  // 上移 of the second choice
    await page.keyboard.press('Enter');
  }
  await page.click('#save-draft');
  await page.waitForSelector('text=草稿已保存');
  await page.screenshot({ path: `${shots}/draft-390x844.png`, fullPage: true });
  await audit(page, result, 'draft');

  // The first submission commits, but its answer never reaches the page.
  let dropped = false;
  await page.route('**/api/v1/applications/undergrad', async (route) => {
    if (!dropped && route.request().method() === 'POST') {
      dropped = true;
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await page.fill('#save_password', env('SAVE_PASSWORD'));
  await page.click('#submit');
  await page.waitForSelector('[role=alert]');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/applications/undergrad') && r.request().method() === 'POST');
  await page.click('#submit');
  const receipt = await (await answered).json();
  await page.waitForSelector('#verified[data-verified]');
  result.verified = await page.getAttribute('#verified', 'data-verified');
  result.receipt = { version: receipt.version, receipt_hash: receipt.receipt_hash, choices_sha256: receipt.choices_sha256 };
  result.dropped = dropped;
  await page.screenshot({ path: `${shots}/receipt-390x844.png`, fullPage: true });
  await audit(page, result, 'receipt');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: `${shots}/receipt-1366x768.png`, fullPage: true });

  await page.click('nav >> text=历次提交');
  await page.waitForSelector('#chain');
  result.chain = await page.getAttribute('#chain', 'class');
  await page.screenshot({ path: `${shots}/history-1366x768.png`, fullPage: true });
  await audit(page, result, 'history');

  // The browsing screens around the filing, each with its data from the server.
  await page.setViewportSize({ width: 390, height: 844 });
  await browse(page, result, shots, candidateScreens);
});
