// The API reference: Swagger UI (swagger-ui-dist, served from here) rendering this server's own
// /openapi.json. Read-only: no "Try it out" (the reference is not a console for live filing),
// and no validator badge (it would call a third-party site).
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#ui',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  supportedSubmitMethods: [],
  validatorUrl: null,
  tryItOutEnabled: false,
});
