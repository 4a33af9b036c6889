//! The website at `/`: one hand-written page (HTML, CSS, JavaScript modules,
//! no build step) embedded in the binary. It talks to `/graphql` over `fetch`
//! and follows the live feed over `/graphql/ws` with the vendored graphql-ws
//! client (`web/vendor/`). `/reset-password` and `/verify-email`, the pages
//! the links in mails open, are a second small page (account.html) run by
//! account.js.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../web/index.html");
const ACCOUNT_HTML: &str = include_str!("../web/account.html");

/// A file of `web/` as `(its path there, its text)`; it is served at `/<path>`.
macro_rules! web_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../web/", $path)))
    };
}

/// Every file the pages load, served at `/<path>` with the type its extension names.
const FILES: &[(&str, &str)] = &[
    web_file!("app.js"),
    web_file!("session.js"),
    web_file!("auth.js"),
    web_file!("profile.js"),
    web_file!("composer.js"),
    web_file!("feed.js"),
    web_file!("card.js"),
    web_file!("reactions.js"),
    web_file!("thread.js"),
    web_file!("reply.js"),
    web_file!("live.js"),
    web_file!("queries.js"),
    web_file!("ui.js"),
    web_file!("account.js"),
    web_file!("forms.js"),
    web_file!("client.js"),
    web_file!("vendor/graphql-ws/client.js"),
    web_file!("vendor/graphql-ws/common-CGW11Fyb.js"),
    web_file!("vendor/graphql-ws.LICENSE.md"),
    web_file!("app.css"),
    web_file!("favicon.svg"),
];

/// The pages, by route.
const PAGES: &[(&str, &str)] = &[
    ("/", INDEX_HTML),
    ("/reset-password", ACCOUNT_HTML),
    ("/verify-email", ACCOUNT_HTML),
];

/// The page loads only from this origin; the live feed is a WebSocket to it.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";

/// The pages ([`PAGES`]) and their files ([`FILES`]).
pub fn router() -> Router<AppState> {
    let pages = PAGES.iter().fold(Router::new(), |router, &(route, html)| {
        router.route(route, get(move || async move { asset(html, HTML) }))
    });
    FILES.iter().fold(pages, |router, &(path, body)| {
        let content_type = content_type(path);
        router.route(
            &format!("/{path}"),
            get(move || async move { asset(body, content_type) }),
        )
    })
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
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
    use std::collections::BTreeSet;

    use super::*;

    fn scripts() -> impl Iterator<Item = (&'static str, &'static str)> {
        FILES
            .iter()
            .copied()
            .filter(|(path, _)| path.ends_with(".js"))
    }

    /// `target` (`./x.js`, `../x.js`) seen from the file at `from`, as a path in `web/`.
    fn resolve(from: &str, target: &str) -> String {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in target.split('/') {
            match part {
                "." => {}
                ".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        parts.join("/")
    }

    /// The modules `js` (at `path`) imports or re-exports from, as paths in `web/`.
    fn imports(path: &str, js: &str) -> Vec<String> {
        js.lines()
            .filter(|l| {
                l.starts_with("import ") || (l.starts_with("export ") && l.contains(" from '"))
            })
            .map(|line| {
                let from = line
                    .split(" from '")
                    .nth(1)
                    .and_then(|rest| rest.strip_suffix("';"))
                    .unwrap_or_else(|| {
                        panic!("{path}: a static import from a quoted path: {line}")
                    });
                assert!(
                    from.starts_with("./") || from.starts_with("../"),
                    "{path}: a relative import, not a bare one: {from}"
                );
                resolve(path, from)
            })
            .collect()
    }

    #[test]
    fn assets_carry_their_type_and_a_self_only_policy() {
        let response = asset(FILES[0].1, content_type(FILES[0].0));
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
        for (path, _) in FILES {
            assert_ne!(content_type(path), "application/octet-stream", "{path}");
        }
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
        for (path, js) in scripts() {
            assert!(
                !js.contains(".innerHTML"),
                "{path}: user text goes in as textContent"
            );
        }
    }

    #[test]
    fn the_modules_import_only_modules_served_here_and_each_is_used() {
        let served: BTreeSet<&str> = FILES.iter().map(|(path, _)| *path).collect();
        let mut used = BTreeSet::from(["app.js".to_string(), "account.js".to_string()]);
        for (path, js) in scripts() {
            for module in imports(path, js) {
                assert!(
                    served.contains(module.as_str()),
                    "{path} imports {module}, which router() serves"
                );
                used.insert(module);
            }
        }
        for (path, _) in scripts() {
            assert!(
                used.contains(path),
                "{path} is loaded by a page or imported"
            );
        }
    }
}
