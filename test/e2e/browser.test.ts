// The two pages a person opens in a browser, Swagger UI (/docs) and the queue
// dashboard (/admin/queues, Bull Board behind the admin sign-in), rendered by a
// real headless Chromium under the API's security headers: each page draws its
// content and the browser reports no Content-Security-Policy violation.
import { existsSync } from 'node:fs';
import { CHROMIUM, CHROMIUM_FLAGS, createTestConfig, startApi } from '@sms/testing';
import { chromium, type Page } from 'playwright-core';
import t from 'tap';

const ADMIN = { login: 'browseradmin', password: 'browser admin password' };

t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install -y chromium; .ci/run does)`);

const config = await createTestConfig(t);
const { url } = await startApi(t, config, { ADMIN_LOGIN: ADMIN.login, ADMIN_PASSWORD: ADMIN.password });

// Playwright gives it a fresh, temporary profile.
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
t.teardown(() => browser.close());

/** A page that records every CSP violation the browser reports, from its first script on. */
async function watchedPage(): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  // Runs in the page, before its own scripts (a string: this file has no DOM types).
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
    window.reportViolation(event.violatedDirective + ' blocked ' + event.blockedURI))`);
  return { page, violations };
}

t.test('Swagger UI draws every operation under the CSP', async (t) => {
  const { page, violations } = await watchedPage();
  t.teardown(() => page.close());
  const response = await page.goto(`${url}/docs`);
  t.match(response?.headers()['content-security-policy'], /script-src 'self'/, 'served with a CSP');

  await page.locator('.swagger-ui .info .title').waitFor();
  t.match(await page.locator('.swagger-ui .info .title').innerText(), /SMS/i, 'the document title');
  await page.locator('.opblock').first().waitFor();
  t.ok((await page.locator('.opblock').count()) >= 10, 'the operations are listed');
  t.same(violations, [], 'no CSP violation');
});

t.test('the queue dashboard: sign in as admin, Bull Board draws the sms queue under the CSP', async (t) => {
  const { page, violations } = await watchedPage();
  t.teardown(() => page.close());
  await page.goto(`${url}/admin/queues`);
  t.equal(new URL(page.url()).pathname, '/admin/login', 'a browser with no session is sent to the sign-in page');
  // The sign-in page's own inline style applies under the CSP (a blocked one leaves the browser's grey button).
  t.equal(
    await page.evaluate("getComputedStyle(document.querySelector('button')).backgroundColor"),
    'rgb(37, 99, 235)',
    'the page is styled',
  );
  t.same(violations, [], 'no CSP violation on the sign-in page');

  await page.getByLabel('Login').fill(ADMIN.login);
  await page.getByLabel('Password').fill(ADMIN.password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/queues'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  t.equal(response.status(), 200, 'signed in, the dashboard is served');
  t.match(response.headers()['content-security-policy'], /script-src 'self'/, 'served with a CSP');

  // Bull Board is a React app: its queue list exists only once its scripts ran
  // and its own API (under /admin/queues/api) answered.
  const queueLink = page.locator('a[href*="/queue/sms"]').first();
  await queueLink.waitFor();
  t.match(await queueLink.innerText(), /sms/, 'the sms queue is listed');
  t.same(violations, [], 'no CSP violation');
});
