// The GraphiQL page (`GET /graphql` from a browser): GraphiQL, vendored with
// the React it runs on (vendor/graphiql/, vendor/react/, classic scripts the
// page loads first, defining `React`, `ReactDOM` and `GraphiQL`). Queries and
// mutations go to `/graphql`, subscriptions over `/graphql/ws` (the
// graphql-transport-ws protocol, with the client GraphiQL bundles), both on
// this origin.
const { React, ReactDOM, GraphiQL } = window;

const socket = new URL('/graphql/ws', window.location.href);
socket.protocol = socket.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = GraphiQL.createFetcher({
  url: '/graphql',
  subscriptionUrl: socket.href,
});

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
