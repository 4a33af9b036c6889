//! The website at `/`: one hand-written page (HTML, CSS, JavaScript modules,
//! no build step) embedded in the binary. It talks to `/graphql` over `fetch`
//! and follows the live feed over `/graphql/ws`. `/reset-password` and
//! `/verify-email`, the pages the links in mails open, are a second small
//! page (account.html) run by account.js.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../web/index.html");
const ACCOUNT_HTML: &str = include_str!("../web/account.html");
const APP_JS: &str = include_str!("../web/app.js");
const ACCOUNT_JS: &str = include_str!("../web/account.js");
const FORMS_JS: &str = include_str!("../web/forms.js");
const CLIENT_JS: &str = include_str!("../web/client.js");
const APP_CSS: &str = include_str!("../web/app.css");
const FAVICON_SVG: &str = include_str!("../web/favicon.svg");

/// The page loads only from this origin; the live feed is a WebSocket to it.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// `/`, `/reset-password`, `/verify-email`, their scripts (`/app.js`,
/// `/account.js`, `/forms.js`, `/client.js`), `/app.css` and `/favicon.svg`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { asset(INDEX_HTML, HTML) }))
        .route(
            "/reset-password",
            get(|| async { asset(ACCOUNT_HTML, HTML) }),
        )
        .route("/verify-email", get(|| async { asset(ACCOUNT_HTML, HTML) }))
        .route("/app.js", get(|| async { asset(APP_JS, JS) }))
        .route("/account.js", get(|| async { asset(ACCOUNT_JS, JS) }))
        .route("/forms.js", get(|| async { asset(FORMS_JS, JS) }))
        .route("/client.js", get(|| async { asset(CLIENT_JS, JS) }))
        .route(
            "/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/favicon.svg",
            get(|| async { asset(FAVICON_SVG, "image/svg+xml") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_carry_their_type_and_a_self_only_policy() {
        let response = asset(APP_JS, "text/javascript; charset=utf-8");
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[test]
    fn the_pages_load_only_their_own_assets() {
        assert!(INDEX_HTML.contains(r#"<script type="module" src="/app.js"></script>"#));
        assert!(ACCOUNT_HTML.contains(r#"<script type="module" src="/account.js"></script>"#));
        for html in [INDEX_HTML, ACCOUNT_HTML] {
            assert!(html.contains(r#"href="/app.css""#));
            for external in [r#"src="http"#, r#"href="http"#, r#"src="//"#, r#"href="//"#] {
                assert!(!html.contains(external), "no external asset: {external}");
            }
            assert!(!html.contains("<script>"), "no inline scripts");
        }
        for js in [APP_JS, ACCOUNT_JS, FORMS_JS, CLIENT_JS] {
            assert!(
                !js.contains(".innerHTML"),
                "user text goes in as textContent"
            );
        }
    }

    #[test]
    fn the_modules_import_only_modules_served_here() {
        let served = ["./app.js", "./account.js", "./forms.js", "./client.js"];
        let mut imported = Vec::new();
        for js in [APP_JS, ACCOUNT_JS, FORMS_JS, CLIENT_JS] {
            for line in js.lines().filter(|l| l.starts_with("import ")) {
                let from = line
                    .split(" from '")
                    .nth(1)
                    .and_then(|rest| rest.strip_suffix("';"))
                    .unwrap_or_else(|| panic!("a static import from a quoted path: {line}"));
                assert!(served.contains(&from), "{from} is served by router()");
                imported.push(from);
            }
        }
        for module in ["./account.js", "./forms.js", "./client.js"] {
            assert!(imported.contains(&module), "{module} is used");
        }
    }
}
