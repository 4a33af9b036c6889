// The REST API's documentation page (`/api/docs`): Swagger UI, vendored
// (vendor/swagger-ui/, loaded by the page as a classic script that defines
// `SwaggerUIBundle`), rendering this server's OpenAPI document. Nothing is
// fetched from anywhere else: no validator badge, no remote document, and
// "Try it out" talks to this origin (the page's CSP allows no other).
window.SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
