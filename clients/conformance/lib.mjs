// Shared helpers for the conformance tests.
import { randomUUID } from 'node:crypto';

export const SPIDER_URL = (process.env.SPIDER_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
export const GRAPHQL_URL = `${SPIDER_URL}/graphql`;
export const WS_URL = `${SPIDER_URL.replace(/^http/, 'ws')}/graphql/ws`;

/** A username/email/password that no other run uses (usernames: ASCII letters, digits, @.+-_; 3-150). */
export function uniqueUser(prefix = 'conf') {
  const tag = randomUUID().replace(/-/g, '').slice(0, 16);
  const username = `${prefix}_${tag}`;
  return {
    username,
    email: `${username}@example.com`,
    password: `correct-horse-${tag.slice(0, 6)}`,
  };
}

/** fetch + JSON body (if any), never throwing on HTTP status. */
export async function fetchJson(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { res, status: res.status, headers: res.headers, body, text };
}

/** Plain POST /graphql (no Apollo), for set-up steps. */
export async function gql(query, variables, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetchJson(GRAPHQL_URL, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
