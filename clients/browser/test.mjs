// Browser test of the page at `/`: two people in two browser contexts; one
// posts, edits and deletes a card, the other watches the live feed change
// without reloading; one reads a card's thread while the other replies,
// reacts, edits and deletes, and the card's owner deletes a reply. Then the
// account pages: e-mail verification and password reset, following the links
// of the mails the server wrote. Run against a
// running server (run.sh starts one):
//
//   SPIDER_URL=http://127.0.0.1:8000 SPIDER_DATA_DIR=/path/to/its/DATA_DIR node --test
//
// The mail tests need SPIDER_DATA_DIR (the server's DATA_DIR, without
// SMTP_URL: mails are .eml files in its mail/ folder) and are skipped without it.
// Chromium is Debian's (`CHROMIUM` overrides the path). Screenshots go to
// ./artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SPIDER_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const WAIT = { timeout: 20_000 };
const PASSWORD = 'correct-horse-battery';
const MAIL_DIR = process.env.SPIDER_DATA_DIR ? join(process.env.SPIDER_DATA_DIR, 'mail') : null;

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

/** A page (a tab) watched for console errors; another tab of `context` when given. */
async function newWatchedPage(context) {
  const page = await context.newPage();
  openPages.push(page);
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  return page;
}

async function openPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport });
  const page = await newWatchedPage(context);
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

async function waitForFeed(page) {
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  await page.locator('#cards[aria-busy="false"]').waitFor({ state: 'attached', ...WAIT });
}

const noSidewaysScroll = async (page, what) => {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `no sideways scrolling on ${what} (overflow ${overflow}px)`);
};

// ---------------------------------------------------------------- the mails (.eml files)

/** Bytes of a quoted-printable body: soft line breaks dropped, =XX decoded. */
function decodeQuotedPrintable(body) {
  const soft = body.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i += 1) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** An RFC 5322 message (or MIME part): its headers (lower-case names) and raw body. */
function splitMessage(raw) {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match ? raw.slice(0, match.index) : raw;
  const body = match ? raw.slice(match.index + match[0].length) : '';
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

/** The decoded text/plain part of a message, or null. */
function plainText(raw) {
  const { headers, body } = splitMessage(raw);
  const type = headers['content-type'] || 'text/plain';
  if (/^multipart\//i.test(type)) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) return null;
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const text = plainText(part.replace(/^\r?\n/, ''));
      if (text !== null) return text;
    }
    return null;
  }
  if (!/^text\/plain/i.test(type)) return null;
  const encoding = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/**
 * The link (`/verify-email?…` or `/reset-password?…`) in the newest mail to
 * `address` that has one; waits for the mail (the server's mail worker writes
 * it shortly after the request).
 */
async function linkFromNewestMail(address, path) {
  const deadline = Date.now() + WAIT.timeout;
  const pattern = new RegExp(`https?://\\S+${path}\\?\\S+`);
  for (;;) {
    const found = [];
    for (const name of readdirSync(MAIL_DIR).filter((n) => n.endsWith('.eml'))) {
      const file = join(MAIL_DIR, name);
      const raw = readFileSync(file, 'utf8');
      const to = splitMessage(raw).headers.to || '';
      if (!to.toLowerCase().includes(address.toLowerCase())) continue;
      const link = pattern.exec(plainText(raw) || '')?.[0];
      if (link) found.push({ link, at: statSync(file).mtimeMs, name });
    }
    // Newest first; the file names (UUIDs, v7 when the transport makes them so) break ties.
    found.sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : -1));
    if (found.length) return found[0].link;
    if (Date.now() > deadline) throw new Error(`no mail with ${path} to ${address} in ${MAIL_DIR}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Registers over GraphQL (no page): the account and its registration mail exist. */
async function registerByApi(username) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation R($input: RegisterInput!) { register(input: $input) { user { id } } }',
      variables: {
        input: { username, email: `${username}@example.com`, password1: PASSWORD, password2: PASSWORD },
      },
    }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
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

  scenario('a thread: replies and reactions made in one browser appear, change and go in another without a reload', async () => {
    const alice = await openPage();
    const bob = await openPage();
    const aliceName = unique('alice');
    const bobName = unique('bob');
    await register(alice, aliceName);
    await register(bob, bobName);
    await alice.evaluate(() => { window.__stillHere = true; });
    let aliceLoads = 0;
    alice.on('load', () => { aliceLoads += 1; });

    const title = unique('Talk to me');
    await alice.locator('#card-form').getByLabel('Title').fill(title);
    await alice.getByRole('button', { name: 'Post', exact: true }).click();
    const aliceCard = cardTitled(alice, title);
    const bobCard = cardTitled(bob, title);
    await bobCard.waitFor(WAIT);

    // Alice opens the thread of her card; so does Bob.
    const threadName = `Replies to “${title}”`;
    await aliceCard.getByRole('button', { name: '0 replies', exact: true }).click();
    const aliceThread = aliceCard.getByRole('region', { name: threadName });
    await aliceThread.getByText('No replies yet.').waitFor(WAIT);
    assert.equal(await aliceCard.getByRole('button', { name: '0 replies' }).getAttribute('aria-expanded'), 'true');
    await bobCard.getByRole('button', { name: '0 replies', exact: true }).click();
    const bobThread = bobCard.getByRole('region', { name: threadName });
    await bobThread.getByText('No replies yet.').waitFor(WAIT);

    // Bob replies twice; Alice sees both replies and the count, live.
    for (const text of ['First!', 'Second, to be deleted by Alice.']) {
      await bobThread.getByLabel('Your reply').fill(text);
      await bobThread.getByRole('button', { name: 'Reply', exact: true }).click();
      await bobThread.getByText(text, { exact: true }).waitFor(WAIT);
      await aliceThread.getByText(text, { exact: true }).waitFor(WAIT);
    }
    await aliceCard.getByRole('button', { name: '2 replies', exact: true }).waitFor(WAIT);
    const replies = (thread) => thread.getByRole('listitem');
    assert.deepEqual(
      await replies(aliceThread).locator('.reply-body').allTextContents(),
      ['First!', 'Second, to be deleted by Alice.'],
      'oldest first',
    );
    assert.match(await replies(aliceThread).first().textContent(), new RegExp(bobName));

    // Bob reacts from the picker; Alice sees the count (not pressed: not hers) and adds hers.
    await bobCard.getByRole('button', { name: 'Add a reaction' }).click();
    await bobCard.getByRole('group', { name: 'Pick a reaction' }).getByRole('button', { name: 'React with 🎉' }).click();
    await bobCard.getByRole('button', { name: '🎉 1 reaction', exact: true, pressed: true }).waitFor(WAIT);
    const aliceTada = aliceCard.getByRole('button', { name: '🎉 1 reaction', exact: true, pressed: false });
    await aliceTada.waitFor(WAIT);
    await aliceTada.click();
    await aliceCard.getByRole('button', { name: '🎉 2 reactions', exact: true, pressed: true }).waitFor(WAIT);
    await bobCard.getByRole('button', { name: '🎉 2 reactions', exact: true, pressed: true }).waitFor(WAIT);
    await shot(alice, 'thread-desktop');

    // Bob edits his first reply, then deletes it; Alice sees both.
    const bobFirst = replies(bobThread).filter({ hasText: 'First!' });
    await bobFirst.getByRole('button', { name: `Edit reply by ${bobName}` }).click();
    await bobThread.getByLabel('Reply text').fill('First, edited.');
    await bobThread.getByRole('button', { name: 'Save', exact: true }).click();
    await aliceThread.getByText('First, edited.', { exact: true }).waitFor(WAIT);
    await aliceThread.getByText('First!', { exact: true }).waitFor({ state: 'detached', ...WAIT });
    const bobEdited = replies(bobThread).filter({ hasText: 'First, edited.' });
    await bobEdited.getByRole('button', { name: `Delete reply by ${bobName}` }).click();
    await bobEdited.getByRole('button', { name: 'Yes, delete' }).click();
    await aliceThread.getByText('First, edited.', { exact: true }).waitFor({ state: 'detached', ...WAIT });
    await aliceCard.getByRole('button', { name: '1 reply', exact: true }).waitFor(WAIT);

    // Alice may not edit Bob's other reply, but as the card's owner she may delete it.
    const aliceSecond = replies(aliceThread).filter({ hasText: 'Second, to be deleted by Alice.' });
    assert.equal(await aliceSecond.getByRole('button', { name: /^Edit/ }).count(), 0);
    await aliceSecond.getByRole('button', { name: `Delete reply by ${bobName}` }).click();
    await aliceSecond.getByRole('button', { name: 'Yes, delete' }).click();
    await aliceThread.getByText('No replies yet.').waitFor(WAIT);
    await bobThread.getByText('No replies yet.').waitFor(WAIT);
    await bobCard.getByRole('button', { name: '0 replies', exact: true }).waitFor(WAIT);

    // Bob takes his reaction back; Alice's stays.
    await bobCard.getByRole('button', { name: '🎉 2 reactions', exact: true }).click();
    await bobCard.getByRole('button', { name: '🎉 1 reaction', exact: true, pressed: false }).waitFor(WAIT);
    await aliceCard.getByRole('button', { name: '🎉 1 reaction', exact: true, pressed: true }).waitFor(WAIT);

    // Bob may not edit or delete Alice's card; closing the thread hides it.
    assert.equal(await bobCard.getByRole('button', { name: /^(Edit|Delete) “/ }).count(), 0);
    await bobCard.getByRole('button', { name: '0 replies', exact: true }).click();
    await bobThread.waitFor({ state: 'detached', ...WAIT });

    assert.equal(await alice.evaluate(() => window.__stillHere), true, "Alice's page was not reloaded");
    assert.equal(aliceLoads, 0);
  });

  scenario('a long thread shows its latest page, and earlier replies on request', async () => {
    const page = await openPage();
    await register(page, unique('gina'));
    const title = unique('Long thread');
    await page.locator('#card-form').getByLabel('Title').fill(title);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    const card = cardTitled(page, title);
    await card.waitFor(WAIT);
    // 23 replies over the API (a page is 20).
    const access = await page.evaluate(() => sessionStorage.getItem('spiderweb.access'));
    const cardId = (await card.getAttribute('id')).replace(/^card-/, '');
    for (let i = 1; i <= 23; i += 1) {
      const res = await fetch(`${BASE}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
        body: JSON.stringify({
          query: 'mutation R($cardId: ID!, $body: String!) { createReply(cardId: $cardId, input: { body: $body }) { id } }',
          variables: { cardId, body: `Reply ${i}` },
        }),
      });
      assert.equal((await res.json()).errors, undefined);
    }
    await card.getByRole('button', { name: '23 replies', exact: true }).click();
    const thread = card.getByRole('region', { name: `Replies to “${title}”` });
    await thread.getByText('Reply 23', { exact: true }).waitFor(WAIT);
    const bodies = () => thread.locator('.reply-body').allTextContents();
    assert.deepEqual(await bodies(), Array.from({ length: 20 }, (_, i) => `Reply ${i + 4}`));
    await thread.getByRole('button', { name: 'Show earlier replies' }).click();
    await thread.getByText('Reply 1', { exact: true }).waitFor(WAIT);
    assert.deepEqual(await bodies(), Array.from({ length: 23 }, (_, i) => `Reply ${i + 1}`));
    assert.equal(await thread.getByRole('button', { name: 'Show earlier replies' }).count(), 0);
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
    const card = cardTitled(page, title);
    await card.waitFor(WAIT);
    await noSidewaysScroll(page, 'the feed at 360px');
    await shot(page, 'feed-phone-360', { fullPage: true });
    // The thread and the reaction picker fit too.
    await card.getByRole('button', { name: '0 replies', exact: true }).click();
    const thread = card.getByRole('region', { name: `Replies to “${title}”` });
    await thread.getByLabel('Your reply').fill('A reply long enough to wrap on a phone-width screen, with a long-word-that-does-not-break-anywhere-at-all.');
    await thread.getByRole('button', { name: 'Reply', exact: true }).click();
    await card.getByRole('button', { name: '1 reply', exact: true }).waitFor(WAIT);
    await card.getByRole('button', { name: 'Add a reaction' }).click();
    await card.getByRole('button', { name: 'React with 👍' }).waitFor(WAIT);
    await noSidewaysScroll(page, 'a thread at 360px');
    await shot(page, 'thread-phone-360', { fullPage: true });
  });

  describe('accounts by e-mail', { skip: MAIL_DIR ? false : 'SPIDER_DATA_DIR is not set' }, () => {
    test('the account pages are served with the same policy', async () => {
      for (const path of ['/reset-password', '/verify-email', '/account.js', '/forms.js', '/client.js']) {
        const res = await fetch(`${BASE}${path}`);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-security-policy'), /script-src 'self'(;|$)/, path);
      }
    });

    scenario('an unverified address shows a notice until the mailed link confirms it', async () => {
      const page = await openPage();
      const name = unique('erin');
      const email = `${name}@example.com`;
      await register(page, name);

      const notice = page.getByRole('region', { name: 'Confirm your e-mail address' });
      await notice.waitFor(WAIT);
      await notice.getByText(email).waitFor(WAIT);
      // The registration mail is the one to use: a resend within the server's
      // cooldown sends no second mail (and says nothing about it).
      await notice.getByRole('button', { name: 'Resend verification e-mail' }).click();
      await notice.getByRole('status').filter({ hasText: `Verification e-mail sent to ${email}` }).waitFor(WAIT);
      await shot(page, 'verify-notice');

      const link = await linkFromNewestMail(email, '/verify-email');
      assert.ok(link.startsWith(`${BASE}/verify-email?key=`), link);

      // The link opens in another tab, as from a mail program.
      const tab = await newWatchedPage(page.context());
      await tab.goto(link);
      await tab.getByRole('heading', { name: 'Your e-mail address is confirmed' }).waitFor(WAIT);
      await shot(tab, 'verify-email-confirmed');
      // The first tab hears of it without a reload…
      await notice.waitFor({ state: 'hidden', ...WAIT });
      // …and after one the notice stays away.
      await page.reload();
      await waitForFeed(page);
      await page.locator('#whoami', { hasText: name }).waitFor(WAIT);
      assert.equal(await page.locator('#verify-notice').isHidden(), true);

      // A link works once.
      await tab.goto(link);
      await tab.getByRole('heading', { name: 'This link is no longer valid' }).waitFor(WAIT);
      await tab.getByRole('link', { name: 'Sign in' }).waitFor(WAIT);
    });

    scenario('"Forgot password?" mails a link that sets a new password, on a phone', async () => {
      const name = unique('frank');
      const email = `${name}@example.com`;
      const newPassword = 'a-brand-new-secret';
      await registerByApi(name);

      const page = await openPage({ width: 360, height: 740 });
      await page.getByRole('button', { name: 'Forgot password?' }).click();
      const forgot = page.locator('#forgot-form');
      await forgot.getByLabel('Email').fill(email);
      await forgot.getByRole('button', { name: 'Send reset link' }).click();
      await forgot.getByRole('status').filter({ hasText: `If an account uses ${email}` }).waitFor(WAIT);
      await noSidewaysScroll(page, 'the reset request at 360px');
      await shot(page, 'forgot-password-sent-phone');

      const link = await linkFromNewestMail(email, '/reset-password');
      assert.match(link, new RegExp(`^${BASE}/reset-password\\?uid=[^&]+&token=.+`));
      await page.goto(link);
      const form = page.locator('#reset-form');
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor(WAIT);
      // The server's password rules show next to the field.
      await form.getByLabel('New password', { exact: true }).fill(newPassword);
      await form.getByLabel('New password, again').fill('something-else-entirely');
      await form.getByRole('button', { name: 'Set new password' }).click();
      await form.locator('#reset-password2-error').filter({ hasText: /\S/ }).waitFor(WAIT);
      assert.equal(await form.getByLabel('New password, again').getAttribute('aria-invalid'), 'true');
      await noSidewaysScroll(page, 'the reset page at 360px');
      await shot(page, 'reset-password-error-phone', { fullPage: true });

      await form.getByLabel('New password', { exact: true }).fill(newPassword);
      await form.getByLabel('New password, again').fill(newPassword);
      await form.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('heading', { name: 'Your password has been changed' }).waitFor(WAIT);
      await shot(page, 'reset-password-done-phone', { fullPage: true });

      await page.getByRole('link', { name: 'Sign in' }).click();
      await waitForFeed(page);
      const login = page.locator('#login-form');
      await login.getByLabel('Username or email').fill(email);
      await login.getByLabel('Password').fill(PASSWORD);
      await login.getByRole('button', { name: 'Sign in' }).click();
      await login.locator('[data-error-for="nonFieldErrors"]').filter({ hasText: /\S/ }).waitFor(WAIT);
      await login.getByLabel('Password').fill(newPassword);
      await login.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#whoami', { hasText: name }).waitFor(WAIT);
      // The reset link reached the mailbox: the address counts as verified.
      assert.equal(await page.locator('#verify-notice').isHidden(), true);

      // The link is spent.
      await page.goto(link);
      await form.getByLabel('New password', { exact: true }).fill('yet-another-secret');
      await form.getByLabel('New password, again').fill('yet-another-secret');
      await form.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('heading', { name: 'This link is no longer valid' }).waitFor(WAIT);
    });
  });

  test('no console errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
