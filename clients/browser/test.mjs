// Browser test of the page at `/`: two people in two browser contexts; one
// posts, edits and deletes a card, the other watches the live feed change
// without reloading. Run against a running server:
//
//   SPIDER_URL=http://127.0.0.1:8000 node --test
//
// Chromium is Debian's (`CHROMIUM` overrides the path). Screenshots go to
// ./artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SPIDER_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const WAIT = { timeout: 20_000 };
const PASSWORD = 'correct-horse-battery';

mkdirSync(ARTIFACTS, { recursive: true });

const unique = (prefix) =>
  `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const shot = (page, name, options = {}) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), ...options });

let browser;
/** Console errors and CSP violations, per page; the page must produce none. */
const problems = [];

/** Pages opened by the running test: screenshotted if it fails, closed after it. */
let openPages = [];

async function openPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  openPages.push(page);
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  await page.goto(`${BASE}/`);
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  await page.locator('#cards[aria-busy="false"]').waitFor({ state: 'attached', ...WAIT });
  return page;
}

async function register(page, username) {
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  const form = page.locator('#register-form');
  await form.getByLabel('Username', { exact: true }).fill(username);
  await form.getByLabel('Email').fill(`${username}@example.com`);
  await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await form.getByLabel('Password, again').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#whoami', { hasText: username }).waitFor(WAIT);
  await page.getByRole('heading', { name: 'Post a card' }).waitFor(WAIT);
  // The socket reconnects with the new token and the feed reloads.
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  await page.locator('#cards[aria-busy="false"]').waitFor({ state: 'attached', ...WAIT });
}

const cardTitled = (page, title) =>
  page.locator('#cards > li').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

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

/** A test with pages: on failure each page is saved as FAILED-<name>-<n>.png. */
function scenario(name, fn) {
  test(name, async () => {
    openPages = [];
    try {
      await fn();
    } catch (err) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      for (const [i, page] of openPages.entries()) {
        await shot(page, `FAILED-${slug}-${i}`, { fullPage: true }).catch(() => {});
      }
      throw err;
    } finally {
      for (const page of openPages) await page.context().close().catch(() => {});
      openPages = [];
    }
  });
}

describe('the website', () => {
  test('serves the page with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${BASE}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|https:/);
  });

  scenario('a card posted in one browser appears, changes and disappears in another without a reload', async () => {
    const alice = await openPage();
    const bob = await openPage();
    const aliceName = unique('alice');
    const bobName = unique('bob');
    await register(alice, aliceName);
    await register(bob, bobName);

    // Bob stays on the feed; a marker proves his page is never reloaded.
    await bob.evaluate(() => { window.__stillHere = true; });
    let bobLoads = 0;
    bob.on('load', () => { bobLoads += 1; });

    const title = unique('Hello from the web');
    await alice.locator('#card-form').getByLabel('Title').fill(title);
    await alice.locator('#card-form').getByLabel('Message').fill('Posted by the browser test.\nSecond line.');
    await alice.getByRole('button', { name: 'Post', exact: true }).click();
    await cardTitled(alice, title).waitFor(WAIT);

    await cardTitled(bob, title).waitFor(WAIT);
    await assert.doesNotReject(cardTitled(bob, title).getByText(aliceName).waitFor(WAIT));
    // Bob may not edit Alice's card.
    assert.equal(await cardTitled(bob, title).getByRole('button', { name: /Edit/ }).count(), 0);
    await shot(bob, 'feed-desktop-after-post');

    // Alice edits it; Bob sees the new title replace the old one.
    const edited = `${title} (edited)`;
    await cardTitled(alice, title).getByRole('button', { name: /^Edit/ }).click();
    const editForm = alice.locator('form.card-edit');
    await editForm.getByLabel('Title').fill(edited);
    await editForm.getByLabel('Message').fill('Edited by the browser test.');
    await editForm.getByRole('button', { name: 'Save' }).click();
    await cardTitled(bob, edited).waitFor(WAIT);
    await cardTitled(bob, title).waitFor({ state: 'detached', ...WAIT });
    await cardTitled(bob, edited).getByText('Edited by the browser test.').waitFor(WAIT);
    await shot(bob, 'feed-desktop-after-edit');

    // Alice deletes it; it disappears from Bob's feed.
    await cardTitled(alice, edited).getByRole('button', { name: /^Delete/ }).click();
    await cardTitled(alice, edited).getByRole('button', { name: 'Yes, delete' }).click();
    await cardTitled(alice, edited).waitFor({ state: 'detached', ...WAIT });
    await cardTitled(bob, edited).waitFor({ state: 'detached', ...WAIT });
    await shot(bob, 'feed-desktop-after-delete');

    assert.equal(await bob.evaluate(() => window.__stillHere), true, "Bob's page was not reloaded");
    assert.equal(bobLoads, 0);
  });

  scenario('user text is shown as text, never run as markup', async () => {
    const page = await openPage();
    await register(page, unique('mallory'));
    const title = `<img src=x onerror="window.__pwned=1"> ${unique('xss')}`;
    await page.locator('#card-form').getByLabel('Title').fill(title);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await cardTitled(page, title).waitFor(WAIT);
    assert.equal(await page.locator('#cards img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await cardTitled(page, title).getByRole('button', { name: /^Delete/ }).click();
    await cardTitled(page, title).getByRole('button', { name: 'Yes, delete' }).click();
    await cardTitled(page, title).waitFor({ state: 'detached', ...WAIT });
  });

  scenario('validation errors appear next to their fields', async () => {
    const page = await openPage();
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const form = page.locator('#register-form');
    const name = unique('carol');
    await form.getByLabel('Username', { exact: true }).fill(name);
    await form.getByLabel('Email').fill(`${name}@example.com`);
    await form.getByLabel('Password', { exact: true }).fill('12345678');
    await form.getByLabel('Password, again').fill('12345678');
    await form.getByRole('button', { name: 'Create account' }).click();
    const error = form.locator('#reg-password1-error');
    await error.filter({ hasText: /\S/ }).waitFor(WAIT);
    assert.equal(await form.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    await shot(page, 'register-validation-error');

    // The profile form: a bad website is reported under it.
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByLabel('Password, again').fill(PASSWORD);
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#whoami', { hasText: name }).waitFor(WAIT);
    await page.locator('#profile summary').click();
    const profile = page.locator('#profile-form');
    await profile.getByLabel('Display name').fill('Carol Example');
    await profile.getByLabel('Website').fill('ftp://example.com');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.locator('#profile-website-error').filter({ hasText: /\S/ }).waitFor(WAIT);
    await profile.getByLabel('Website').fill('https://carol.example.com');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.getByText('Profile saved.').waitFor(WAIT);
    await page.locator('#whoami', { hasText: 'Carol Example' }).waitFor(WAIT);
  });

  scenario('a session ended elsewhere signs the page out, and signing in again works', async () => {
    const page = await openPage();
    const name = unique('dave');
    await register(page, name);
    // "Log out everywhere" from another device: the page's socket closes with
    // 4401, its refresh token is refused, and it falls back to signed out.
    const access = await page.evaluate(() => sessionStorage.getItem('spiderweb.access'));
    const res = await fetch(`${BASE}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
      body: JSON.stringify({ query: 'mutation { logout(allSessions: true) }' }),
    });
    assert.deepEqual(await res.json(), { data: { logout: true } });
    await page.locator('#whoami', { hasText: 'Not signed in' }).waitFor(WAIT);
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spiderweb.refresh')), null);

    const form = page.locator('#login-form');
    await form.getByLabel('Username or email').fill(`${name}@example.com`);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#whoami', { hasText: name }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#whoami', { hasText: 'Not signed in' }).waitFor(WAIT);
  });

  scenario('fits a phone-width screen', async () => {
    const page = await openPage({ width: 360, height: 740 });
    await register(page, unique('phone'));
    const title = unique('From my phone');
    await page.locator('#card-form').getByLabel('Title').fill(title);
    await page.locator('#card-form').getByLabel('Message').fill('Small screens work too.');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await cardTitled(page, title).waitFor(WAIT);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `no sideways scrolling at 360px (overflow ${overflow}px)`);
    await shot(page, 'feed-phone-360', { fullPage: true });
  });

  test('no console errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
