// Apollo Client 3 (HttpLink + automatic persisted queries, GraphQLWsLink over
// graphql-ws) against a running Spider Web server at $SPIDER_URL.
//
// Steps run in order inside one test (each is a subtest); a failing step stops
// the ones after it, since they depend on its state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { ApolloClient, InMemoryCache, HttpLink, split, from, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { setContext } from '@apollo/client/link/context/index.js';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities/index.js';
import { GRAPHQL_URL, WS_URL, uniqueUser, gql as rawGql, sleep } from './lib.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Every request the HttpLink makes, with what the server answered. */
function recordingFetch(log) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.url);
    const method = (init.method || 'GET').toUpperCase();
    let payload;
    if (method === 'GET') {
      payload = {};
      for (const [k, v] of url.searchParams) {
        payload[k] = k === 'variables' || k === 'extensions' ? JSON.parse(v) : v;
      }
    } else {
      payload = JSON.parse(init.body);
    }
    const res = await fetch(input, init);
    const entry = { method, url: url.toString(), payload, status: res.status, headers: Object.fromEntries(init.headers ? Object.entries(init.headers) : []) };
    try {
      entry.response = await res.clone().json();
    } catch {
      entry.response = undefined;
    }
    log.push(entry);
    return res;
  };
}

/** Builds an ApolloClient the way an app would, with a mutable bearer token. */
function makeClient({ log, auth, persisted = {} }) {
  const httpLink = new HttpLink({ uri: GRAPHQL_URL, fetch: recordingFetch(log) });
  const authLink = setContext((_, { headers }) => ({
    headers: { ...headers, ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}) },
  }));
  const apq = createPersistedQueryLink({ sha256, ...persisted });
  const wsClient = createClient({
    url: WS_URL,
    webSocketImpl: WebSocket,
    connectionParams: () => (auth.token ? { Authorization: `Bearer ${auth.token}` } : {}),
    retryAttempts: 0,
  });
  const wsLink = new GraphQLWsLink(wsClient);
  const link = split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    wsLink,
    from([authLink, apq, httpLink]),
  );
  const cache = new InMemoryCache({
    typePolicies: {
      Query: { fields: { cards: relayStylePagination(['filter', 'orderBy']) } },
    },
  });
  const client = new ApolloClient({ link, cache, defaultOptions: { query: { fetchPolicy: 'network-only' } } });
  return { client, wsClient };
}

// Apollo warns (console.warn / console.error through ts-invariant) when it has
// to drop cache data because an object could not be normalised or merged.
const cacheWarnings = [];
for (const level of ['warn', 'error']) {
  const orig = console[level].bind(console);
  console[level] = (...args) => {
    const text = args.map(String).join(' ');
    if (/cache|normaliz|merge|Missing field/i.test(text)) cacheWarnings.push(text);
    orig(...args);
  };
}

const REGISTER = gql`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken accessExpiration refreshExpiration user { id username email } }
  }
`;
const LOGIN = gql`
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken user { id username lastLogin } }
  }
`;
const ME = gql`
  query Me { me { id username email isStaff dateJoined lastLogin profile { id displayName } } }
`;
const CREATE_PROFILE = gql`
  mutation CreateProfile($input: CreateProfileInput!) {
    createProfile(input: $input) { id displayName userId user { id username } }
  }
`;
const CREATE_CARD = gql`
  mutation CreateCard($input: CreateCardInput!) {
    createCard(input: $input) { id title body visibility ownerId ownerUsername createdAt owner { id username } }
  }
`;
const CARDS = gql`
  query Cards($first: Int, $after: String, $filter: CardFilter) {
    cards(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title ownerUsername owner { id username } } }
    }
  }
`;
const CARD_EVENTS = gql`
  subscription CardEvents($filter: CardEventFilter) {
    cardEvents(filter: $filter) { kind cardId card { id title ownerUsername } }
  }
`;

test('Apollo Client against Spider Web', async (t) => {
  const log = [];
  const auth = { token: null };
  const { client, wsClient } = makeClient({ log, auth });
  const who = uniqueUser('apollo');
  const state = { created: [] };
  t.after(async () => {
    client.stop();
    await wsClient.dispose();
  });

  await t.test('schema: every entity object type has an id: ID! (cache normalisation)', async () => {
    const { body } = await rawGql('{ __schema { types { name kind fields { name type { kind ofType { name } } } } } }');
    assert.ok(body?.data, `introspection failed: ${JSON.stringify(body)}`);
    const objects = body.data.__schema.types.filter((ty) => ty.kind === 'OBJECT' && !ty.name.startsWith('__'));
    // Types without identity of their own: roots, connection plumbing, payloads, events.
    const notEntities = /^(Query|Mutation|Subscription|PageInfo|AuthPayload|CardEvent|ReplyEvent|ReactionSummary|.*Connection|.*Edge)$/;
    const entities = objects.filter((ty) => !notEntities.test(ty.name));
    assert.deepEqual(entities.map((ty) => ty.name).sort(), ['Card', 'Profile', 'Reply', 'User']);
    for (const ty of entities) {
      const id = ty.fields.find((f) => f.name === 'id');
      assert.ok(id, `${ty.name} has no id field`);
      assert.equal(id.type.kind, 'NON_NULL', `${ty.name}.id should be non-null`);
      assert.equal(id.type.ofType.name, 'ID', `${ty.name}.id should be ID`);
    }
    const withoutId = objects.filter((ty) => !ty.fields.some((f) => f.name === 'id')).map((ty) => ty.name);
    t.diagnostic(`object types without id (not normalised, embedded in their parent): ${withoutId.join(', ')}`);
  });

  await t.test('register (mutation) signs the user in', async () => {
    const { data } = await client.mutate({
      mutation: REGISTER,
      variables: { input: { username: who.username, email: who.email, password1: who.password, password2: who.password } },
    });
    const p = data.register;
    assert.equal(p.user.username, who.username);
    assert.equal(p.user.email, who.email);
    assert.match(p.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'access token is a JWT');
    assert.ok(p.refreshToken.length > 20);
    assert.ok(!Number.isNaN(Date.parse(p.accessExpiration)));
    state.userId = p.user.id;
  });

  await t.test('login (mutation) and me (query)', async () => {
    const { data } = await client.mutate({ mutation: LOGIN, variables: { input: { username: who.username, password: who.password } } });
    assert.equal(data.login.user.id, state.userId);
    assert.ok(data.login.user.lastLogin, 'lastLogin is set after a login');
    auth.token = data.login.accessToken;
    const me = await client.query({ query: ME });
    assert.equal(me.errors, undefined);
    assert.equal(me.data.me.id, state.userId);
    assert.equal(me.data.me.username, who.username);
    assert.equal(me.data.me.email, who.email, 'email is visible to the user themself');
    assert.equal(me.data.me.isStaff, false);
    assert.equal(me.data.me.profile, null);
  });

  await t.test('create a profile; user.profile and profile.user normalise to the same objects', async () => {
    const { data } = await client.mutate({ mutation: CREATE_PROFILE, variables: { input: { displayName: 'Apollo Tester' } } });
    state.profileId = data.createProfile.id;
    assert.equal(data.createProfile.user.id, state.userId);
    const me = await client.query({ query: ME });
    assert.equal(me.data.me.profile.id, state.profileId);
    assert.equal(client.cache.identify({ __typename: 'Profile', id: state.profileId }), `Profile:${state.profileId}`);
    const frag = client.readFragment({ id: `Profile:${state.profileId}`, fragment: gql`fragment P on Profile { id displayName userId }` });
    assert.deepEqual({ ...frag }, { __typename: 'Profile', id: state.profileId, displayName: 'Apollo Tester', userId: state.userId });
  });

  await t.test('create 5 cards through the createCard mutation', async () => {
    for (let i = 1; i <= 5; i++) {
      const { data } = await client.mutate({ mutation: CREATE_CARD, variables: { input: { title: `Apollo card ${i}`, body: `body ${i}` } } });
      const c = data.createCard;
      assert.equal(c.title, `Apollo card ${i}`);
      assert.equal(c.visibility, 'PUBLIC', 'visibility defaults to PUBLIC');
      assert.equal(c.ownerId, state.userId);
      assert.equal(c.owner.id, state.userId);
      assert.equal(c.ownerUsername, who.username);
      state.created.push(c.id);
    }
    assert.equal(new Set(state.created).size, 5);
  });

  await t.test('cards(first: 2) with fetchMore until hasNextPage is false sees every card once', async () => {
    // (the query stays watched only for the duration of this step)
    const filter = { owner: state.userId };
    const watch = client.watchQuery({ query: CARDS, variables: { first: 2, filter }, fetchPolicy: 'network-only' });
    // Keep the query watched (as a mounted component would), so the merged
    // result is broadcast back to it after each fetchMore.
    let result = await new Promise((resolve, reject) => {
      state.cardsSub = watch.subscribe({ next: (r) => { if (!r.loading) resolve(r); }, error: reject });
    });
    assert.equal(result.data.cards.totalCount, 5);
    assert.equal(result.data.cards.edges.length, 2);
    const pageIds = [result.data.cards.edges.map((e) => e.node.id)];
    let pages = 1;
    while (result.data.cards.pageInfo.hasNextPage) {
      assert.ok(pages < 10, 'pagination does not terminate');
      const more = await watch.fetchMore({ variables: { after: result.data.cards.pageInfo.endCursor } });
      pageIds.push(more.data.cards.edges.map((e) => e.node.id));
      pages += 1;
      // The merged connection, as the cache now answers the watched query.
      result = { data: client.readQuery({ query: CARDS, variables: { first: 2, filter } }) };
      assert.equal(result.data.cards.pageInfo.endCursor, more.data.cards.pageInfo.endCursor, 'merged pageInfo follows the last page');
    }
    state.cardsSub.unsubscribe();
    assert.equal(pages, 3, `5 cards in pages of 2 are 3 pages, got ${JSON.stringify(pageIds)}`);
    assert.deepEqual(pageIds.map((p) => p.length), [2, 2, 1]);
    // Merged by relayStylePagination into one list in the cache.
    const merged = result.data.cards.edges.map((e) => e.node.id);
    assert.equal(merged.length, 5, `merged edges: ${JSON.stringify(merged)}`);
    assert.equal(new Set(merged).size, 5, 'each card is seen once');
    assert.deepEqual([...merged].sort(), [...state.created].sort());
    assert.deepEqual(merged, [...state.created].reverse(), 'newest first by default');
    assert.equal(result.data.cards.pageInfo.hasNextPage, false);
    assert.equal(result.data.cards.totalCount, 5);
  });

  await t.test('the cache is normalised: Card:<id> and User:<id>, edges hold references', async () => {
    const cardId = state.created[0];
    assert.equal(client.cache.identify({ __typename: 'Card', id: cardId }), `Card:${cardId}`);
    assert.equal(client.cache.identify({ __typename: 'User', id: state.userId }), `User:${state.userId}`);
    const card = client.readFragment({ id: `Card:${cardId}`, fragment: gql`fragment C on Card { id title ownerUsername owner { id username } }` });
    assert.ok(card, 'Card is in the cache under Card:<id>');
    assert.equal(card.title, 'Apollo card 1');
    assert.equal(card.owner.id, state.userId);
    const user = client.readFragment({ id: `User:${state.userId}`, fragment: gql`fragment U on User { id username email profile { id } }` });
    assert.ok(user, 'User is in the cache under User:<id>');
    assert.equal(user.username, who.username);
    assert.equal(user.profile.id, state.profileId);

    const store = client.cache.extract();
    for (const id of state.created) assert.ok(store[`Card:${id}`], `Card:${id} in the store`);
    assert.deepEqual(store[`Card:${cardId}`].owner, { __ref: `User:${state.userId}` }, 'card.owner is a reference');
    const cardsKey = Object.keys(store.ROOT_QUERY).find((k) => k.startsWith('cards'));
    assert.ok(cardsKey, 'ROOT_QUERY holds the cards connection');
    for (const edge of store.ROOT_QUERY[cardsKey].edges) assert.match(edge.node.__ref, /^Card:/);
    // One write through one path updates every query that shows the object.
    client.writeFragment({ id: `Card:${cardId}`, fragment: gql`fragment T on Card { title }`, data: { title: 'renamed locally' } });
    const again = client.readQuery({ query: CARDS, variables: { first: 2, filter: { owner: state.userId } } });
    assert.ok(again.cards.edges.some((e) => e.node.title === 'renamed locally'));
    assert.deepEqual(cacheWarnings, [], 'Apollo reported no cache data loss');
  });

  await t.test('subscription cardEvents (graphql-ws) receives CREATED for a new card', async () => {
    let connected = false;
    const off = wsClient.on('connected', () => { connected = true; });
    const events = [];
    let wake;
    const sub = client.subscribe({ query: CARD_EVENTS, variables: { filter: { owner: state.userId } } }).subscribe({
      next: (r) => { events.push(r); wake?.(); },
      error: (e) => { events.push({ error: e }); wake?.(); },
    });
    try {
      for (let i = 0; i < 50 && !connected; i++) await sleep(100);
      assert.ok(connected, 'graphql-ws connection acknowledged (connection_init with the bearer accepted)');
      await sleep(500); // let the server register the subscription
      const { data } = await client.mutate({ mutation: CREATE_CARD, variables: { input: { title: 'Live card' } } });
      const newId = data.createCard.id;
      const deadline = Date.now() + 5000;
      let hit;
      while (!hit && Date.now() < deadline) {
        hit = events.find((e) => e.data?.cardEvents?.cardId === newId);
        if (hit || events.some((e) => e.error || e.errors)) break;
        await new Promise((r) => { wake = r; setTimeout(r, 200); });
      }
      assert.ok(!events.some((e) => e.error || e.errors), `subscription error: ${JSON.stringify(events)}`);
      assert.ok(hit, `no event for ${newId} within 5 s; got ${JSON.stringify(events)}`);
      assert.equal(hit.data.cardEvents.kind, 'CREATED');
      assert.equal(hit.data.cardEvents.card.id, newId);
      assert.equal(hit.data.cardEvents.card.title, 'Live card');
      assert.equal(hit.data.cardEvents.card.ownerUsername, who.username);
      // Subscription data is normalised into the same cache.
      const cached = client.readFragment({ id: `Card:${newId}`, fragment: gql`fragment L on Card { id title }` });
      assert.equal(cached?.title, 'Live card');
    } finally {
      sub.unsubscribe();
      off();
    }
  });

  await t.test('a bad token in connection_init closes the socket with 4403', async () => {
    const bad = createClient({
      url: WS_URL,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: 'Bearer not-a-valid-token' },
      retryAttempts: 0,
      lazy: true,
    });
    const closed = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ timeout: true }), 5000);
      bad.on('closed', (ev) => { clearTimeout(timer); resolve({ code: ev.code, reason: ev.reason }); });
      bad.subscribe({ query: 'subscription { cardEvents { kind } }' }, { next() {}, error() {}, complete() {} });
    });
    await bad.dispose();
    assert.equal(closed.code, 4403, `closed with ${JSON.stringify(closed)}`);
  });

  await t.test('legacy graphql-ws subprotocol (subscriptions-transport-ws) delivers CREATED too', async () => {
    const ws = new WebSocket(WS_URL, 'graphql-ws');
    const inbox = [];
    let wake;
    ws.on('message', (m) => { inbox.push(JSON.parse(m.toString())); wake?.(); });
    const closed = new Promise((r) => ws.on('close', (code) => r(code)));
    const waitFor = async (pred, ms = 5000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = inbox.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => { wake = r; setTimeout(r, 100); });
      }
    };
    try {
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      assert.equal(ws.protocol, 'graphql-ws', 'server selected the legacy subprotocol');
      ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${auth.token}` } }));
      assert.ok(await waitFor((m) => m.type === 'connection_ack'), `connection_ack, got ${JSON.stringify(inbox)}`);
      ws.send(JSON.stringify({
        id: '1', type: 'start',
        payload: { query: 'subscription($f: CardEventFilter) { cardEvents(filter: $f) { kind cardId card { id title } } }', variables: { f: { owner: state.userId } } },
      }));
      await sleep(500);
      const { data } = await client.mutate({ mutation: CREATE_CARD, variables: { input: { title: 'Legacy live card' } } });
      const msg = await waitFor((m) => m.type === 'data' && m.payload?.data?.cardEvents?.cardId === data.createCard.id);
      assert.ok(msg, `a data message for the new card within 5 s, got ${JSON.stringify(inbox)}`);
      assert.equal(msg.id, '1');
      assert.equal(msg.payload.data.cardEvents.kind, 'CREATED');
      assert.equal(msg.payload.data.cardEvents.card.title, 'Legacy live card');
      ws.send(JSON.stringify({ id: '1', type: 'stop' }));
      ws.send(JSON.stringify({ type: 'connection_terminate' }));
    } finally {
      ws.close();
      await Promise.race([closed, sleep(2000)]);
    }
  });

  await t.test('automatic persisted queries: first miss, retry with the query, then hash only', async () => {
    // A document the server has never seen: the operation name is unique to this run.
    const opName = `ApqProbe_${who.username}`;
    const query = gql(`query ${opName} { me { id username } }`);
    const before = log.length;
    const first = await client.query({ query, fetchPolicy: 'network-only' });
    assert.equal(first.data.me.id, state.userId);
    const firstReqs = log.slice(before);
    assert.equal(firstReqs.length, 2, `a miss then a retry, got ${JSON.stringify(firstReqs.map((r) => r.payload))}`);
    const [miss, retry] = firstReqs;
    const hash = miss.payload.extensions?.persistedQuery?.sha256Hash;
    assert.equal(miss.method, 'POST');
    assert.equal(miss.payload.query, undefined, 'the first request carries only the hash');
    assert.deepEqual(miss.payload.extensions.persistedQuery, { version: 1, sha256Hash: hash });
    assert.match(hash, /^[0-9a-f]{64}$/);
    const msgs = (miss.response?.errors ?? []).map((e) => e.message);
    const codes = (miss.response?.errors ?? []).map((e) => e.extensions?.code);
    assert.ok(msgs.includes('PersistedQueryNotFound') || codes.includes('PERSISTED_QUERY_NOT_FOUND'),
      `server answers the unknown hash with PersistedQueryNotFound: ${JSON.stringify(miss.response)}`);
    assert.ok(typeof retry.payload.query === 'string' && retry.payload.query.includes(opName), 'the retry carries the query');
    assert.equal(retry.payload.extensions?.persistedQuery?.sha256Hash, hash, 'the retry still carries the hash');
    assert.equal(sha256(retry.payload.query), hash, 'the hash is the SHA-256 of the query text sent');
    assert.equal(retry.response?.data?.me?.id, state.userId);

    const before2 = log.length;
    const second = await client.query({ query, fetchPolicy: 'network-only' });
    assert.equal(second.data.me.id, state.userId);
    const secondReqs = log.slice(before2);
    assert.equal(secondReqs.length, 1, `a hit needs one request, got ${JSON.stringify(secondReqs.map((r) => r.payload))}`);
    assert.equal(secondReqs[0].payload.query, undefined, 'the second request sends only the hash');
    assert.equal(secondReqs[0].payload.extensions.persistedQuery.sha256Hash, hash);
    assert.equal(secondReqs[0].response?.errors, undefined);
  });

  await t.test('automatic persisted queries over GET (useGETForHashedQueries)', async () => {
    const getLog = [];
    const { client: getClient, wsClient: ws2 } = makeClient({ log: getLog, auth, persisted: { useGETForHashedQueries: true } });
    try {
      const opName = `ApqGet_${who.username}`;
      const query = gql(`query ${opName} { me { id } }`);
      const first = await getClient.query({ query, fetchPolicy: 'network-only' });
      assert.equal(first.data.me.id, state.userId);
      assert.ok(getLog.length >= 2, `miss + retry, got ${JSON.stringify(getLog.map((r) => [r.method, r.payload]))}`);
      assert.equal(getLog[0].method, 'GET');
      assert.equal(getLog[0].payload.query, undefined);
      assert.ok(getLog[0].response?.errors?.some((e) => e.message === 'PersistedQueryNotFound' || e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND'),
        JSON.stringify(getLog[0].response));
      const n = getLog.length;
      const second = await getClient.query({ query, fetchPolicy: 'network-only' });
      assert.equal(second.data.me.id, state.userId);
      assert.equal(getLog.length, n + 1);
      assert.equal(getLog[n].method, 'GET');
      assert.equal(getLog[n].payload.query, undefined, 'hash-only GET hit');
    } finally {
      getClient.stop();
      await ws2.dispose();
    }
  });

  await t.test('mutations go through APQ as well (POST, never GET)', () => {
    const muts = log.filter((r) => /^\s*mutation/.test(r.payload.query ?? '') || r.payload.operationName === 'CreateCard');
    assert.ok(muts.length > 0);
    for (const r of muts) assert.equal(r.method, 'POST');
  });
});
