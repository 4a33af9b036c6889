//! The website at `/`: one hand-written page (HTML, CSS, JavaScript modules,
//! no build step) embedded in the binary. It talks to `/graphql` over `fetch`
//! and follows the live feed over `/graphql/ws` with the vendored graphql-ws
//! client (`web/vendor/`). `/reset-password` and `/verify-email`, the pages
//! the links in mails open, are a second small page (account.html) run by
//! account.js.
//!
//! Beside the website: the REST API's documentation at `/api/docs` (Swagger UI
//! over `/api/openapi.json`) and the files of the GraphiQL page that `GET
//! /graphql` answers a browser with. Both libraries are vendored in
//! `web/vendor/` like graphql-ws, so these pages work offline and under
//! policies that allow this origin only.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../web/index.html");
const ACCOUNT_HTML: &str = include_str!("../web/account.html");
const API_DOCS_HTML: &str = include_str!("../web/api-docs.html");

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
    // The REST API's documentation page.
    web_file!("api-docs.js"),
    web_file!("api-docs.css"),
    web_file!("vendor/swagger-ui/swagger-ui-bundle.js"),
    web_file!("vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    web_file!("vendor/swagger-ui/swagger-ui.css"),
    web_file!("vendor/swagger-ui.LICENSE.txt"),
    web_file!("vendor/swagger-ui.NOTICE.txt"),
    // The GraphiQL page (`web/playground.html`, served by `graphql::http`).
    web_file!("playground.js"),
    web_file!("playground.css"),
    web_file!("vendor/react/react.production.min.js"),
    web_file!("vendor/react/react-dom.production.min.js"),
    web_file!("vendor/react.LICENSE.txt"),
    web_file!("vendor/graphiql/graphiql.min.js"),
    web_file!("vendor/graphiql/graphiql.min.css"),
    web_file!("vendor/graphiql.LICENSE.txt"),
];

/// The pages, by route, each with the policy it runs under.
const PAGES: &[(&str, &str, &str)] = &[
    ("/", INDEX_HTML, PAGE_CSP),
    ("/reset-password", ACCOUNT_HTML, PAGE_CSP),
    ("/verify-email", ACCOUNT_HTML, PAGE_CSP),
    ("/api/docs", API_DOCS_HTML, API_DOCS_CSP),
];

/// The page loads only from this origin; the live feed is a WebSocket to it.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Swagger UI loads only from this origin; its stylesheet draws icons as `data:` images.
const API_DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";

/// The pages ([`PAGES`]) and their files ([`FILES`]).
pub fn router() -> Router<AppState> {
    let pages = PAGES
        .iter()
        .fold(Router::new(), |router, &(route, html, csp)| {
            router.route(route, get(move || async move { asset(html, HTML, csp) }))
        });
    FILES.iter().fold(pages, |router, &(path, body)| {
        let content_type = content_type(path);
        router.route(
            &format!("/{path}"),
            get(move || async move { asset(body, content_type, PAGE_CSP) }),
        )
    })
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("md") => "text/markdown; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn asset(body: &'static str, content_type: &'static str, csp: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
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

    /// Every page: those served here and GraphiQL's, which `graphql::http` serves.
    const ALL_PAGES: &[&str] = &[
        INDEX_HTML,
        ACCOUNT_HTML,
        API_DOCS_HTML,
        include_str!("../web/playground.html"),
    ];

    /// The tags `<{tag} …>` of `html`, each as the text between `<` and `>`.
    fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
        html.split('<')
            .filter(|t| t.starts_with(tag))
            .filter_map(|t| t.split('>').next())
            .collect()
    }

    /// The value of `attribute="…"` in a tag.
    fn attribute<'a>(tag: &'a str, attribute: &str) -> Option<&'a str> {
        let (_, rest) = tag.split_once(&format!(" {attribute}=\""))?;
        rest.split('"').next()
    }

    /// The files a page loads (scripts, stylesheets, icons), as paths in `web/`,
    /// each with whether it is an ES module.
    fn loads(html: &str) -> Vec<(String, bool)> {
        let scripts = tags(html, "script ").into_iter().map(|tag| {
            let src = attribute(tag, "src").unwrap_or_else(|| panic!("no inline script: {tag}"));
            (src, attribute(tag, "type") == Some("module"))
        });
        let links = tags(html, "link ")
            .into_iter()
            .filter_map(|tag| attribute(tag, "href"))
            .map(|href| (href, false));
        scripts
            .chain(links)
            .map(|(url, module)| {
                let path = url
                    .strip_prefix('/')
                    .unwrap_or_else(|| panic!("an absolute path on this origin: {url}"));
                assert!(!path.starts_with('/'), "not another host: {url}");
                (path.to_string(), module)
            })
            .collect()
    }

    /// Scripts the pages load as classic scripts (the vendored UMD bundles):
    /// they import nothing and are not ours to lint.
    fn classic_scripts() -> BTreeSet<String> {
        ALL_PAGES
            .iter()
            .flat_map(|html| loads(html))
            .filter(|(path, module)| !module && path.ends_with(".js"))
            .map(|(path, _)| path)
            .collect()
    }

    #[test]
    fn assets_carry_their_type_and_a_self_only_policy() {
        let response = asset(FILES[0].1, content_type(FILES[0].0), PAGE_CSP);
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        for csp in [PAGE_CSP, API_DOCS_CSP] {
            assert!(csp.starts_with("default-src 'none'"), "{csp}");
            assert!(csp.contains("script-src 'self';"), "{csp}");
            assert!(!csp.contains("unsafe"), "{csp}");
        }
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
        }
        let served: BTreeSet<&str> = FILES.iter().map(|(path, _)| *path).collect();
        for html in ALL_PAGES {
            for (path, _) in loads(html) {
                assert!(served.contains(path.as_str()), "router() serves {path}");
            }
            for external in [r#"src="http"#, r#"href="http"#, r#"src="//"#, r#"href="//"#] {
                assert!(!html.contains(external), "no external asset: {external}");
            }
            assert!(!html.contains("<script>"), "no inline scripts");
            assert!(!html.contains("<style"), "no inline styles");
            assert!(!html.contains(" style="), "no inline styles");
        }
        for (path, js) in scripts().filter(|(path, _)| !path.starts_with("vendor/")) {
            assert!(
                !js.contains(".innerHTML"),
                "{path}: user text goes in as textContent"
            );
        }
    }

    #[test]
    fn the_modules_import_only_modules_served_here_and_each_is_used() {
        let served: BTreeSet<&str> = FILES.iter().map(|(path, _)| *path).collect();
        let classic = classic_scripts();
        let mut used: BTreeSet<String> = ALL_PAGES
            .iter()
            .flat_map(|html| loads(html))
            .map(|(path, _)| path)
            .collect();
        for (path, js) in scripts().filter(|(path, _)| !classic.contains(*path)) {
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
