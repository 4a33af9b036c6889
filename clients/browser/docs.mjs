// Browser test of the two tool pages the binary serves beside the website:
// the REST API's documentation (`/api/docs`, Swagger UI) and the GraphiQL
// page (`/graphql` opened in a browser). The browser may reach the server's
// origin only: any request elsewhere is aborted and fails the test, as does a
// console error or a Content-Security-Policy violation. Run against a running
// server (run.sh starts one):
//
//   SPIDER_URL=http://127.0.0.1:8000 node --test docs.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SPIDER_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const ORIGIN = new URL(BASE).origin;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const WAIT = { timeout: 20_000 };
const PASSWORD = 'correct-horse-battery';

mkdirSync(ARTIFACTS, { recursive: true });

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A page in a context that reaches this origin only. Returns the page and what
 * went wrong on it: requests elsewhere (aborted), console errors, uncaught
 * errors and CSP violations (reported by the page itself, whatever the console says).
 */
async function offlinePage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === ORIGIN) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort('blockedbyclient');
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('websocket', (ws) => {
    const origin = new URL(ws.url().replace(/^ws/, 'http')).origin;
    if (origin !== ORIGIN) problems.push(`WebSocket to another origin: ${ws.url()}`);
  });
  return { page, problems };
}

/**
 * Runs `fn(page)` on an offline page; screenshots it as `name`, and on failure.
 * `tolerate` (a RegExp) names the one kind of problem a test expects.
 */
async function onOfflinePage(name, fn, { tolerate } = {}) {
  const { page, problems } = await offlinePage();
  try {
    await fn(page);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    const unexpected = problems.filter((problem) => !tolerate?.test(problem));
    assert.deepEqual(unexpected, [], 'nothing from elsewhere, no errors, no CSP violations');
  } catch (err) {
    await page.screenshot({ path: join(ARTIFACTS, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await page.context().close();
  }
}

/** Registers over REST and posts a public card; returns its title. */
async function postPublicCard() {
  const username = `docs_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${BASE}/api/auth/register/`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, email: `${username}@example.com`, password1: PASSWORD, password2: PASSWORD }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  const { access } = await registered.json();
  const title = `Seen live in GraphiQL ${username}`;
  const created = await fetch(`${BASE}/api/cards/`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${access}` },
    body: JSON.stringify({ title, body: 'from the browser test', visibility: 'public' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  return title;
}

/** GraphiQL's editors are CodeMirror 5: sets the query editor's text. */
const setQuery = (page, query) =>
  page.locator('.graphiql-query-editor .CodeMirror').evaluate((editor, text) => {
    editor.CodeMirror.setValue(text);
  }, query);

const response = (page) => page.locator('.graphiql-response .CodeMirror');

describe('the API docs and the GraphiQL page, offline', () => {
  for (const path of ['/api/docs/', '/api/docs']) {
    test(`${path} renders the REST operations from /api/openapi.json`, () =>
      onOfflinePage(`api-docs${path.endsWith('/') ? '-slash' : ''}`, async (page) => {
        const res = await page.goto(`${BASE}${path}`);
        assert.equal(res.status(), 200);
        assert.match(res.headers()['content-security-policy'], /script-src 'self';/);
        await page.getByRole('heading', { name: /Spider Web REST API/ }).waitFor(WAIT);
        const cards = page.locator('.opblock-summary-path', { hasText: /^\/api\/cards$/ });
        await cards.first().waitFor(WAIT);
        assert.ok((await page.locator('.opblock').count()) >= 30, 'every operation is listed');

        // An operation opens, and "Try it out" calls this origin.
        const list = page.locator('.opblock-get', { has: cards });
        await list.locator('.opblock-summary').first().click();
        await list.getByRole('button', { name: 'Try it out' }).click();
        await list.getByRole('button', { name: 'Execute' }).click();
        await list.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor(WAIT);
      }));
  }

  test('GraphiQL runs a query against /graphql', () =>
    onOfflinePage('graphiql', async (page) => {
      const res = await page.goto(`${BASE}/graphql`);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-security-policy'], /script-src 'self';/);
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor(WAIT);
      await setQuery(page, '{ __typename }');
      await page.locator('.graphiql-execute-button').click();
      await response(page).filter({ hasText: '"__typename": "Query"' }).waitFor(WAIT);
    }));

  test('GraphiQL follows a subscription over /graphql/ws', { timeout: 90_000 }, () =>
    onOfflinePage('graphiql-subscription', async (page) => {
      const subscribed = new Promise((resolve) => {
        page.on('websocket', (ws) => {
          ws.on('framesent', (frame) => {
            if (String(frame.payload).includes('"subscribe"')) resolve(ws);
          });
        });
      });
      await page.goto(`${BASE}/graphql`);
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor(WAIT);
      await setQuery(page, 'subscription { cardEvents { kind card { title } } }');
      // GraphiQL takes the editor's new text on a later render: a click that
      // comes first runs the old text (over HTTP). Click until the
      // subscription goes out (once it runs, the button would stop it).
      let ws = null;
      for (let attempt = 1; !ws; attempt += 1) {
        if (attempt > 5) throw new Error('GraphiQL never subscribed over /graphql/ws');
        await page.locator('.graphiql-execute-button').click();
        ws = await Promise.race([subscribed, new Promise((r) => setTimeout(() => r(null), 2_000))]);
      }
      assert.equal(new URL(ws.url()).pathname, '/graphql/ws');
      // The server starts following the feed a moment after the subscribe
      // message: post until a card shows up (each post is a new CREATED event).
      for (let attempt = 1; ; attempt += 1) {
        const title = await postPublicCard();
        try {
          await response(page).filter({ hasText: title }).waitFor({ timeout: 2_000 });
          break;
        } catch (err) {
          if (attempt === 5) throw err;
        }
      }
      assert.match(await response(page).innerText(), /"kind": "CREATED"/);
    }));

  // GraphiQL's dialogs (settings, short keys) lock the page's scrolling with a
  // <style> element they insert (radix-ui's react-remove-scroll). The policy
  // refuses it, and nothing is lost: the page never scrolls (playground.css).
  // Anything else going wrong fails the test.
  test('GraphiQL opens its dialogs; only their scroll-lock <style> is refused', () =>
    onOfflinePage(
      'graphiql-dialog',
      async (page) => {
        await page.goto(`${BASE}/graphql`);
        await page.locator('.graphiql-query-editor .CodeMirror').waitFor(WAIT);
        await page.getByRole('button', { name: 'Open short keys dialog' }).click();
        await page.getByRole('dialog').getByRole('heading', { name: 'Short Keys' }).waitFor(WAIT);
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached', ...WAIT });
      },
      {
        tolerate: new RegExp(
          "^console: (Applying inline style violates the following Content Security Policy directive 'style-src 'self''"
            + '|CSP violation: style-src-elem blocked inline$)',
        ),
      },
    ));
});
