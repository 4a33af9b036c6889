// Spider Web: GraphQL over fetch, shared by the page's modules. Tokens and
// refreshing are session.js's; the live connection is live.js's.

/** A refused request: `code` is the GraphQL error code, `fields` maps field names to messages. */
export class ApiError extends Error {
  constructor(message, code, fields) {
    super(message);
    this.code = code || 'ERROR';
    this.fields = fields || null;
  }
}

/** Runs one operation on /graphql, as the holder of `token` when given; resolves to `data`. */
export async function post(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables: variables || {} }),
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered unexpectedly (HTTP ${response.status}).`, 'NETWORK');
  }
  const error = body && Array.isArray(body.errors) && body.errors[0];
  if (error) {
    const ext = error.extensions || {};
    throw new ApiError(error.message || 'Something went wrong.', ext.code, ext.fields);
  }
  return body.data;
}
