// graphql-http's server audits (GraphQL over HTTP spec) against ${SPIDER_URL}/graphql.
// Every MUST audit is a test that fails when the server fails it. SHOULD and MAY
// audits run too; their failures are printed (name + reason) and do not fail the
// suite. Set AUDIT_REPORT=<file> to also write the non-passing audits as Markdown.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';
import { GRAPHQL_URL } from './lib.mjs';

const audits = serverAudits({ url: GRAPHQL_URL, fetchFn: globalThis.fetch });
const results = [];

async function describeResponse(response) {
  if (!response) return '';
  let body = '';
  try {
    body = await response.clone().text();
  } catch {
    body = '(body already read)';
  }
  if (body.length > 300) body = `${body.slice(0, 300)}…`;
  return `HTTP ${response.status} ${response.headers.get('content-type') ?? '(no content-type)'} ${body}`;
}

test('graphql-http server audits are present', () => {
  assert.ok(audits.length > 50, `expected the full audit list, got ${audits.length}`);
  assert.ok(audits.some((a) => a.name.startsWith('MUST ')));
});

for (const audit of audits) {
  const level = audit.name.split(' ', 1)[0];
  test(`[${audit.id}] ${audit.name}`, async (t) => {
    const result = await audit.fn();
    const entry = { id: audit.id, name: audit.name, level, status: result.status };
    if (result.status !== 'ok') {
      entry.reason = result.reason;
      entry.response = await describeResponse(result.response);
    }
    results.push(entry);
    if (result.status === 'ok') return;
    if (level === 'MUST') {
      assert.fail(`${audit.name}\n  reason: ${result.reason}\n  response: ${entry.response}`);
    }
    const msg = `${level} audit not met: ${audit.name} — ${result.reason} (${entry.response})`;
    t.diagnostic(msg);
  });
}

after(() => {
  const failing = results.filter((r) => r.status !== 'ok');
  const byLevel = (l) => results.filter((r) => r.level === l);
  const summary = ['MUST', 'SHOULD', 'MAY']
    .map((l) => `${l}: ${byLevel(l).filter((r) => r.status === 'ok').length}/${byLevel(l).length} pass`)
    .join(', ');
  console.log(`# graphql-http audits: ${summary}`);
  for (const r of failing) console.log(`#   ${r.status.toUpperCase()} [${r.id}] ${r.name}: ${r.reason}`);
  if (process.env.AUDIT_REPORT) {
    const lines = [
      `graphql-http server audits against ${GRAPHQL_URL}: ${summary}`,
      '',
      '| level | id | audit | reason | response |',
      '|---|---|---|---|---|',
      ...failing.map((r) =>
        `| ${r.level} | ${r.id} | ${r.name.replace(/\|/g, '\\|')} | ${String(r.reason).replace(/\|/g, '\\|')} | ${String(r.response).replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
      '',
    ];
    writeFileSync(process.env.AUDIT_REPORT, lines.join('\n'));
  }
});
