// Walks the REST examples of the README (../../README.md, "Examples") against a
// running server at $SPIDER_URL, checking the shapes the contract promises
// (../../../shared/API.md when present): dj-rest-auth token payloads, DRF
// cursor pages {next, previous, results}, 201 + Location.
//
// The README is parsed: every curl command of its Examples section becomes an
// example (method, path, query, JSON body). The walk takes its request bodies
// from there, and fails when the README drops a route the walk calls or gains a
// REST example the walk does not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SPIDER_URL, uniqueUser, fetchJson } from './lib.mjs';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** curl commands of the README's Examples section (line continuations joined). */
function readmeCurls(text) {
  const start = text.indexOf('## Examples');
  assert.ok(start >= 0, 'README has an "## Examples" section');
  const end = text.indexOf('\n## ', start + 5);
  const section = text.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const curls = [];
  for (const block of blocks) {
    const joined = block.replace(/\\\n\s*/g, ' ');
    for (const m of joined.matchAll(/curl\s[^\n]*/g)) {
      const cmd = m[0];
      const url = cmd.match(/'?(https?:\/\/[^\s'"]+)'?/)?.[1];
      if (!url) continue;
      const u = new URL(url);
      const data = cmd.match(/-d '([^']*)'/)?.[1];
      const method = cmd.match(/-X (\w+)/)?.[1] ?? (data !== undefined ? 'POST' : 'GET');
      curls.push({ cmd, method, path: u.pathname, query: u.search, body: data !== undefined ? JSON.parse(data) : undefined });
    }
  }
  return curls;
}

const curls = readmeCurls(README);
const restExamples = curls.filter((c) => c.path.startsWith('/api/') && c.path !== '/api/cards/stream/');

/** The README example for `method path` (and, optionally, with a query string). */
function example(method, path, query) {
  const hit = restExamples.find((c) => c.method === method && c.path === path && (query === undefined || c.query.startsWith(query)));
  assert.ok(hit, `README Examples has no "${method} ${path}${query ?? ''}" curl example (README drift?)`);
  covered.add(hit);
  return hit;
}
const covered = new Set();

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertUser(u, { id, username, email }) {
  assert.deepEqual(Object.keys(u).sort(), ['date_joined', 'email', 'email_verified', 'id', 'is_staff', 'last_login', 'pk', 'username']);
  assert.equal(typeof u.email_verified, 'boolean');
  assert.match(u.id, UUID);
  if (id) assert.equal(u.id, id);
  assert.equal(u.pk, u.id, 'pk = id, for dj-rest-auth clients');
  assert.equal(u.username, username);
  assert.equal(u.email, email);
  assert.equal(u.is_staff, false);
  assert.match(u.date_joined, RFC3339);
  assert.ok(u.last_login === null || RFC3339.test(u.last_login));
}

function assertTokenPayload(body, who) {
  assert.deepEqual(Object.keys(body).sort(), ['access', 'access_expiration', 'refresh', 'refresh_expiration', 'user']);
  assert.match(body.access, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'access is a JWT');
  const claims = JSON.parse(Buffer.from(body.access.split('.')[1], 'base64url').toString());
  for (const c of ['sub', 'sid', 'iat', 'exp']) assert.ok(c in claims, `access token claim ${c}`);
  assert.equal(claims.sub, body.user.id);
  assert.equal(typeof body.refresh, 'string');
  assert.ok(body.refresh.length >= 43, 'refresh token carries >= 256 bits');
  assert.match(body.access_expiration, RFC3339);
  assert.match(body.refresh_expiration, RFC3339);
  assert.ok(Date.parse(body.refresh_expiration) > Date.parse(body.access_expiration));
  assertUser(body.user, who);
}

function assertCard(c) {
  assert.deepEqual(Object.keys(c).sort(), ['body', 'created_at', 'id', 'owner_id', 'owner_username', 'reactions', 'reply_count', 'title', 'updated_at', 'visibility']);
  assert.ok(Array.isArray(c.reactions));
  assert.equal(typeof c.reply_count, 'number');
  assert.match(c.id, UUID);
  assert.match(c.created_at, RFC3339);
  assert.match(c.updated_at, RFC3339);
  assert.ok(['public', 'private'].includes(c.visibility));
}

function assertProfile(p) {
  assert.deepEqual(Object.keys(p).sort(),
    ['avatar_url', 'bio', 'created_at', 'display_name', 'id', 'location', 'updated_at', 'user_id', 'username', 'website']);
  assert.match(p.id, UUID);
  assert.match(p.created_at, RFC3339);
}

function assertPage(body) {
  assert.deepEqual(Object.keys(body).sort(), ['next', 'previous', 'results'], `a DRF cursor page: ${JSON.stringify(body)}`);
  assert.ok(Array.isArray(body.results));
  for (const link of [body.next, body.previous]) {
    if (link !== null) assert.match(link, /^https?:\/\//, 'next/previous links are absolute');
  }
}

/** Replaces alice's values in a README example body with this run's user. */
function personalise(value, who) {
  const s = JSON.stringify(value)
    .replaceAll('alice@example.com', who.email)
    .replaceAll('"alice"', JSON.stringify(who.username))
    .replaceAll('correct-horse', who.password);
  return JSON.parse(s);
}

const api = (path) => `${SPIDER_URL}${path}`;
const json = (token) => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });

test('README REST examples', async (t) => {
  const who = uniqueUser('rest');
  const s = {};

  await t.test('the README documents the REST routes the walk uses', () => {
    for (const route of ['/api/auth/register/', '/api/auth/login/', '/api/auth/user/', '/api/profiles/', '/api/cards/', '/api/openapi.json']) {
      assert.ok(README.includes(route), `README mentions ${route}`);
    }
    assert.ok(restExamples.length >= 7, `found ${restExamples.length} REST curl examples`);
  });

  await t.test('POST /api/auth/register/ → 201 dj-rest-auth token payload', async () => {
    const ex = example('POST', '/api/auth/register/');
    assert.deepEqual(Object.keys(ex.body).sort(), ['email', 'password1', 'password2', 'username']);
    const r = await fetchJson(api(ex.path), { method: 'POST', headers: json(), body: JSON.stringify(personalise(ex.body, who)) });
    assert.equal(r.status, 201, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assertTokenPayload(r.body, { username: who.username, email: who.email });
    s.userId = r.body.user.id;
  });

  await t.test('POST /api/auth/login/ → 200, and the README\'s sed extracts the access token', async () => {
    const ex = example('POST', '/api/auth/login/');
    const r = await fetchJson(api(ex.path), { method: 'POST', headers: json(), body: JSON.stringify(personalise(ex.body, who)) });
    assert.equal(r.status, 200, r.text);
    assertTokenPayload(r.body, { id: s.userId, username: who.username, email: who.email });
    // TOKEN=$(curl ... | sed -E 's/.*"access":"([^"]+)".*/\1/')
    const sed = README.match(/sed -E 's\/(.*?)\/\\1\/'/);
    assert.ok(sed, 'README extracts the token with sed -E');
    const extracted = r.text.replace(new RegExp(sed[1], 's'), '$1');
    assert.equal(extracted, r.body.access, 'the README\'s sed expression yields the access token from the raw response');
    s.token = r.body.access;
  });

  await t.test('GET /api/auth/user/ with the bearer → user object', async () => {
    const ex = example('GET', '/api/auth/user/');
    const r = await fetchJson(api(ex.path), { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(r.status, 200, r.text);
    assertUser(r.body, { id: s.userId, username: who.username, email: who.email });
    const anon = await fetchJson(api(ex.path));
    assert.equal(anon.status, 401);
    assert.equal(anon.body.code, 'not_authenticated');
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  await t.test('POST /api/profiles/ → 201 + Location', async () => {
    const ex = example('POST', '/api/profiles/');
    const r = await fetchJson(api(ex.path), { method: 'POST', headers: json(s.token), body: JSON.stringify(ex.body) });
    assert.equal(r.status, 201, r.text);
    assertProfile(r.body);
    assert.equal(r.body.user_id, s.userId);
    assert.equal(r.body.username, who.username);
    for (const [k, v] of Object.entries(ex.body)) assert.equal(r.body[k], v, `profile.${k} as sent`);
    const loc = r.headers.get('location');
    assert.ok(loc, 'Location header');
    assert.equal(new URL(loc, api('/')).pathname.replace(/\/$/, ''), `/api/profiles/${r.body.id}`);
    const again = await fetchJson(new URL(loc, api('/')).toString());
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, r.body);
    s.profile = r.body;
    const dup = await fetchJson(api(ex.path), { method: 'POST', headers: json(s.token), body: JSON.stringify(ex.body) });
    assert.equal(dup.status, 409, 'one profile per user');
    assert.equal(dup.body.code, 'conflict');
  });

  await t.test('GET /api/profiles/?username=… → page with the profile', async () => {
    const ex = example('GET', '/api/profiles/', '?username=');
    const q = new URLSearchParams(ex.query);
    q.set('username', who.username.toUpperCase()); // case-insensitive exact
    const r = await fetchJson(api(`${ex.path}?${q}`));
    assert.equal(r.status, 200, r.text);
    assertPage(r.body);
    assert.deepEqual(r.body.results, [s.profile]);
    assert.equal(r.body.next, null);
    assert.equal(r.body.previous, null);
  });

  await t.test('POST /api/cards/ → 201 + Location', async () => {
    const ex = example('POST', '/api/cards/');
    const anon = await fetchJson(api(ex.path), { method: 'POST', headers: json(), body: JSON.stringify(ex.body) });
    assert.equal(anon.status, 401, 'creating a card needs a user');
    const r = await fetchJson(api(ex.path), { method: 'POST', headers: json(s.token), body: JSON.stringify(ex.body) });
    assert.equal(r.status, 201, r.text);
    assertCard(r.body);
    for (const [k, v] of Object.entries(ex.body)) assert.equal(r.body[k], v, `card.${k} as sent`);
    assert.equal(r.body.owner_id, s.userId);
    assert.equal(r.body.owner_username, who.username);
    const loc = r.headers.get('location');
    assert.ok(loc, 'Location header');
    assert.equal(new URL(loc, api('/')).pathname.replace(/\/$/, ''), `/api/cards/${r.body.id}`);
    const again = await fetchJson(new URL(loc, api('/')).toString());
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, r.body);
    s.card = r.body;
  });

  await t.test('GET /api/cards/?page_size=10&search=hello → DRF cursor page', async () => {
    const ex = example('GET', '/api/cards/', '?page_size=');
    const q = new URLSearchParams(ex.query);
    assert.ok(q.has('page_size') && q.has('search'), `README example uses page_size and search: ${ex.query}`);
    const r = await fetchJson(api(`${ex.path}${ex.query}`));
    assert.equal(r.status, 200, r.text);
    assertPage(r.body);
    assert.equal(r.body.previous, null, 'the first page has no previous');
    assert.ok(r.body.results.length <= Number(q.get('page_size')));
    for (const c of r.body.results) {
      assertCard(c);
      const term = q.get('search').toLowerCase();
      assert.ok(`${c.title}\n${c.body}`.toLowerCase().includes(term), `"${c.title}" matches ${term}`);
    }
    assert.ok(r.body.results.some((c) => c.id === s.card.id), 'the new card is on the first page (newest first)');
    // README: "next" keeps page_size and search and adds a cursor.
    const readmeNext = README.match(/"next": "(http[^"]+)"/)?.[1];
    assert.ok(readmeNext, 'README shows a next link');
    const rn = new URL(readmeNext);
    assert.ok(rn.searchParams.has('cursor') && rn.searchParams.has('page_size') && rn.searchParams.has('search'));
  });

  await t.test('walking next links sees every matching card once; previous walks back', async () => {
    const ex = example('GET', '/api/cards/', '?page_size=');
    const tag = who.username.split('_')[1];
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetchJson(api('/api/cards/'), { method: 'POST', headers: json(s.token), body: JSON.stringify({ title: `Hello ${tag} ${i}` }) });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
    }
    const q = new URLSearchParams(ex.query);
    q.set('page_size', '2');
    q.set('search', `hello ${tag}`);
    const first = await fetchJson(api(`${ex.path}?${q}`));
    assert.equal(first.status, 200, first.text);
    assertPage(first.body);
    assert.deepEqual(first.body.results.map((c) => c.id), [ids[2], ids[1]], 'newest first');
    assert.equal(first.body.previous, null);
    assert.ok(first.body.next, 'a next link');
    const next = new URL(first.body.next);
    assert.equal(next.origin, new URL(SPIDER_URL).origin, 'next is absolute, on the request\'s host');
    assert.equal(next.searchParams.get('page_size'), '2');
    assert.equal(next.searchParams.get('search'), `hello ${tag}`);
    assert.ok(next.searchParams.get('cursor'));
    const second = await fetchJson(first.body.next);
    assert.equal(second.status, 200, second.text);
    assertPage(second.body);
    assert.deepEqual(second.body.results.map((c) => c.id), [ids[0]]);
    assert.equal(second.body.next, null, 'the last page has no next');
    assert.ok(second.body.previous, 'the second page links back');
    const back = await fetchJson(second.body.previous);
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.body.results.map((c) => c.id), [ids[2], ids[1]]);
  });

  await t.test('every REST route of the walk also answers without the trailing slash', async () => {
    const r1 = await fetchJson(api('/api/auth/user'), { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(r1.status, 200);
    const r2 = await fetchJson(api(`/api/profiles?username=${who.username}`));
    assert.equal(r2.status, 200);
    assert.equal(r2.body.results.length, 1);
    const r3 = await fetchJson(api('/api/cards?page_size=1'));
    assert.equal(r3.status, 200);
    assertPage(r3.body);
  });

  await t.test('GET /api/openapi.json (README) lists the routes walked', async () => {
    const r = await fetchJson(api('/api/openapi.json'));
    assert.equal(r.status, 200);
    assert.match(String(r.body.openapi), /^3\.1/);
    const paths = Object.keys(r.body.paths ?? {}).map((p) => p.replace(/\/?$/, '/'));
    for (const p of ['/api/auth/register/', '/api/auth/login/', '/api/auth/user/', '/api/profiles/', '/api/cards/']) {
      assert.ok(paths.includes(p), `openapi.json documents ${p} (has ${paths.join(', ')})`);
    }
  });

  await t.test('the walk covered every REST example of the README', () => {
    const missed = restExamples.filter((c) => !covered.has(c)).map((c) => `${c.method} ${c.path}${c.query}`);
    assert.deepEqual(missed, [], 'README REST examples not walked by this test (add them here)');
  });
});
