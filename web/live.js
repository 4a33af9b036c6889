// Spider Web: the live connection. Subscriptions over /graphql/ws through the
// graphql-ws client (web/vendor/, see its README): one socket for all of
// them, reconnecting with backoff, the access token in `connection_init`.
// What this module adds: the "Live" indicator, resyncs after a gap, and the
// session rules — a refused or revoked token (close 4403/4401, or an
// UNAUTHENTICATED error) refreshes the session once, or signs the page out.
import { createClient } from './vendor/graphql-ws/client.js';
import { $ } from './forms.js';
import { refreshSession, session, sessionLost, tokens } from './session.js';

/** The subscriptions the page wants, each `{ request, handlers, stop, … }`. */
const wanted = new Set();
let client = null;
/** The socket dropped since the last acknowledgement: lists catch up on the next one. */
let hadGap = false;
let authRetries = 0;
let reauthenticating = null;
/** Ends the current wait between reconnection attempts early (back online, tab shown). */
let wake = () => {};

function status(state, text) {
  const node = $('live');
  node.dataset.state = state;
  node.textContent = text;
}

function url() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/graphql/ws`;
}

const isClose = (value) => Boolean(value && typeof value === 'object' && 'code' in value && 'reason' in value);
const isAuthClose = (value) => isClose(value) && (value.code === 4401 || value.code === 4403);

function backoff(attempt) {
  return Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

function waitBeforeRetry(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      if (wake === done) wake = () => {};
      resolve();
    }
    wake = done;
  });
}

function newClient() {
  const current = () => made === client;
  const made = createClient({
    url,
    connectionParams: () => {
      const token = tokens.access;
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    // Between two subscriptions (a thread closed, one reopened) the socket stays.
    lazyCloseTimeout: 3000,
    connectionAckWaitTimeout: 10000,
    retryAttempts: Infinity,
    // Retry whatever broke the socket, except a refused token: that needs a refresh first.
    shouldRetry: (errOrClose) => !isAuthClose(errOrClose),
    retryWait: async (retries) => {
      const delay = backoff(retries);
      if (current()) status('offline', `Offline, retrying in ${Math.max(1, Math.round(delay / 1000))} s`);
      await waitBeforeRetry(delay);
    },
    on: {
      connecting: (isRetry) => {
        if (current()) status('connecting', isRetry ? 'Reconnecting…' : 'Connecting…');
      },
      connected: () => {
        if (!current()) return;
        authRetries = 0;
        status('live', 'Live');
        if (hadGap) {
          hadGap = false;
          for (const entry of wanted) entry.handlers.resync?.();
        }
      },
      closed: (event) => {
        if (!current()) return;
        hadGap = true;
        if (isAuthClose(event)) reauthenticate();
        else status('offline', 'Offline');
      },
    },
  });
  return made;
}

function subscribe(entry) {
  if (!client) client = newClient();
  const handle = {};
  entry.handle = handle;
  const current = () => entry.handle === handle && wanted.has(entry);
  entry.dispose = client.subscribe(entry.request, {
    next: (result) => {
      if (!current()) return;
      if (result.errors && result.errors.length) failed(entry, result.errors);
      else {
        entry.failures = 0;
        entry.handlers.next(result.data);
      }
    },
    error: (err) => { if (current()) failed(entry, err); },
    // The server ended it (its stream closed): follow it again.
    complete: () => { if (current()) again(entry); },
  });
}

/** A subscription ended with `errors` (GraphQL errors) or a close event the client gave up on. */
function failed(entry, errors) {
  entry.handle = null;
  const code = Array.isArray(errors) ? errors[0]?.extensions?.code : null;
  if (code === 'UNAUTHENTICATED' || isAuthClose(errors)) {
    reauthenticate();
    return;
  }
  if (Array.isArray(errors) && entry.handlers.error?.(errors) === false) {
    wanted.delete(entry);
    return;
  }
  again(entry);
}

/** Subscribes again after a pause, then lets the list catch up on what it missed. */
function again(entry) {
  entry.handle = null;
  clearTimeout(entry.timer);
  const delay = backoff(entry.failures);
  entry.failures += 1;
  entry.timer = setTimeout(() => {
    if (!wanted.has(entry)) return;
    subscribe(entry);
    entry.handlers.resync?.();
  }, delay);
}

/** The token was refused or the session revoked: refresh once, or carry on signed out. */
function reauthenticate() {
  if (reauthenticating) return reauthenticating;
  status('connecting', 'Reconnecting…');
  reauthenticating = (async () => {
    authRetries += 1;
    if (!tokens.refresh || authRetries > 3) {
      if (tokens.access || session.me) sessionLost();
      else setTimeout(() => restart({ gap: true }), backoff(authRetries));
      return;
    }
    let refreshed;
    try {
      refreshed = await refreshSession();
    } catch {
      // Offline: try again with the same tokens after a pause.
      setTimeout(() => restart({ gap: true }), backoff(authRetries));
      return;
    }
    if (refreshed) restart({ gap: true });
    else sessionLost();
  })().finally(() => { reauthenticating = null; });
  return reauthenticating;
}

/**
 * Follows the subscription `query` (with `variables`) until the returned
 * function is called, across reconnections and sessions. `handlers.next(data)`
 * gets each event; `handlers.resync()` is called when events may have been
 * missed; `handlers.error(errors)` gets GraphQL errors other than an ended
 * session and returns false to stop following (else it is followed again).
 */
export function follow(query, variables, handlers) {
  const entry = { request: { query, variables }, handlers, handle: null, dispose: null, timer: null, failures: 0 };
  wanted.add(entry);
  subscribe(entry);
  return () => {
    wanted.delete(entry);
    clearTimeout(entry.timer);
    entry.handle = null;
    entry.dispose?.();
  };
}

/**
 * A new socket for every wanted subscription: after a change of session
 * (its token goes in `connection_init`). With `gap`, lists resync once connected.
 */
export function restart({ gap = false } = {}) {
  const old = client;
  client = null;
  hadGap = gap;
  for (const entry of wanted) {
    clearTimeout(entry.timer);
    entry.handle = null;
    entry.dispose?.();
  }
  // The old client may be waiting to retry: with nothing left to follow, it stops.
  wake();
  old?.dispose()?.catch?.(() => {});
  for (const entry of wanted) subscribe(entry);
  if (!wanted.size) status('connecting', 'Connecting…');
}

// Back online, or back to the tab: reconnect at once instead of waiting.
window.addEventListener('online', () => wake());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') wake();
});
