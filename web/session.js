// Spider Web: who is signed in. The tokens (sessionStorage), the signed-in
// user, GraphQL calls made as that user, and one place that says when the
// session changes; the page's parts listen (app.js wires them).
import { ApiError, post } from './client.js';
import { Q } from './queries.js';

const ACCESS_KEY = 'spiderweb.access';
const REFRESH_KEY = 'spiderweb.refresh';

export const tokens = {
  get access() { return sessionStorage.getItem(ACCESS_KEY); },
  get refresh() { return sessionStorage.getItem(REFRESH_KEY); },
  set(access, refresh) {
    sessionStorage.setItem(ACCESS_KEY, access);
    sessionStorage.setItem(REFRESH_KEY, refresh);
  },
  clear() {
    sessionStorage.removeItem(ACCESS_KEY);
    sessionStorage.removeItem(REFRESH_KEY);
  },
};

/** The signed-in user (`me` of the API), or null. */
export const session = { me: null };

const listeners = [];

/**
 * Calls `listener(reason)` after each change: 'signed-in', 'signed-out' (on
 * request), 'lost' (revoked or expired under us, `wasSignedIn` as second
 * argument) or 'updated' (the same user, fresh details).
 */
export function onSessionChange(listener) {
  listeners.push(listener);
}

function changed(reason, ...rest) {
  for (const listener of listeners) listener(reason, ...rest);
}

/** Starts a session from an AuthPayload (`accessToken`, `refreshToken`, `user`). */
export function signIn(payload) {
  tokens.set(payload.accessToken, payload.refreshToken);
  session.me = payload.user;
  changed('signed-in');
}

export function signOut() {
  tokens.clear();
  session.me = null;
  changed('signed-out');
}

/** New details of the signed-in user (a saved profile, a verified address). */
export function updateMe(me) {
  session.me = me;
  changed('updated');
}

/** The session ended under us (revoked, expired): back to anonymous. */
export function sessionLost() {
  const wasSignedIn = Boolean(session.me);
  tokens.clear();
  session.me = null;
  changed('lost', wasSignedIn);
}

/** Whether the signed-in user is `userId`, or staff. */
export const isSelfOrStaff = (userId) => Boolean(session.me && (session.me.isStaff || session.me.id === userId));

let refreshing = null;

/**
 * Exchanges the refresh token for a new pair. One exchange at a time: a
 * refresh token is single-use, and presenting a spent one ends the session.
 * Resolves true on success, false when the session is gone.
 */
export function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const refresh = tokens.refresh;
      if (!refresh) return false;
      try {
        const data = await post(Q.refresh, { token: refresh }, null);
        tokens.set(data.refreshToken.accessToken, data.refreshToken.refreshToken);
        return true;
      } catch (e) {
        if (e.code === 'NETWORK') throw e;
        tokens.clear();
        return false;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** Runs an operation as the signed-in user, refreshing the access token once if needed. */
export async function gql(query, variables) {
  const token = tokens.access;
  try {
    return await post(query, variables, token);
  } catch (e) {
    if (e.code !== 'UNAUTHENTICATED' || !token) throw e;
    if (await refreshSession()) return post(query, variables, tokens.access);
    sessionLost();
    throw new ApiError('Your session has ended. Please sign in again.', 'UNAUTHENTICATED');
  }
}

/** Reads the signed-in user at start-up; a stale token leaves the page signed out. */
export async function resumeSession() {
  if (!tokens.access) return;
  try {
    session.me = (await gql(Q.me)).me;
    if (!session.me) tokens.clear();
  } catch {
    session.me = null;
  }
}
