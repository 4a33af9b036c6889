//! Stored verbatim, never executed: generated strings — SQL and script injection,
//! LIKE wildcards, emoji, right-to-left and combining text, control characters,
//! NUL — as card titles and bodies and as profile fields.
//!
//! The oracle: exactly the fields the contract refuses are named in a 400 (NUL,
//! blank title, over the length limit); anything accepted reads back exactly as
//! sent, over REST and GraphQL (a title trimmed of surrounding whitespace, a body
//! as is), a search for the title finds the card and nothing without its terms,
//! and afterwards every card is still there.

use std::collections::BTreeSet;

use proptest::{option, prelude::*, sample::select};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{
    Check, Cx, Fuzz, Req, Violation, check_rest_shape, encode_query, exchange, fuzz_cases,
    strategies::nasty_string,
};
use crate::helpers::{TestApp, unique};

const TITLE_MAX: usize = 200;
const BODY_MAX: usize = 10_000;

/// Whitespace that every trimming agrees on (Python's `str.strip` also takes
/// U+001C–U+001F, which generated text leaves out).
const PADDING: &[&str] = &[
    "", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2003}", " \u{85}",
];

fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        6 => nasty_string(),
        1 => (select(&["x", "é", "😀", "%", "'"][..]), 9_990usize..10_010)
            .prop_map(|(unit, n)| unit.repeat(n)),
        1 => (select(&["y", "ü", "𝕳"][..]), 195usize..205).prop_map(|(unit, n)| unit.repeat(n)),
    ]
    .prop_map(|s: String| {
        s.chars()
            .map(|c| {
                if ('\u{1c}'..='\u{1f}').contains(&c) {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    })
}

#[derive(Clone, Debug)]
struct Case {
    title: String,
    body: Option<String>,
    visibility: Option<&'static str>,
    display_name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
}

fn strategy() -> impl Strategy<Value = Case> {
    (
        select(PADDING),
        text(),
        select(PADDING),
        option::of(text()),
        option::of(select(&["public", "private"][..])),
        option::of(text()),
        option::of(text()),
        option::of(text()),
    )
        .prop_map(
            |(left, core, right, body, visibility, display_name, bio, location)| Case {
                title: format!("{left}{core}{right}"),
                body,
                visibility,
                display_name,
                bio,
                location,
            },
        )
}

/// The fields a text breaks, by the contract's rules.
fn broken(field: &'static str, value: &str, max: usize, trimmed: bool) -> Option<&'static str> {
    let v = if trimmed { value.trim() } else { value };
    (value.contains('\0') || v.chars().count() > max || (trimmed && v.is_empty())).then_some(field)
}

struct Env {
    token: String,
    profile: String,
}

async fn gql(cx: &Cx<'_>, token: &str, query: &str, variables: Value) -> Result<Value, Violation> {
    let req = Req::new(Method::POST, "/graphql")
        .bearer(token)
        .json(&json!({"query": query, "variables": variables}));
    let r = cx.send(&req).await?;
    ensure!(
        r.status == 200 && r.json.as_ref().is_some_and(|b| b.get("errors").is_none()),
        "GraphQL read fails",
        "{}",
        exchange(&req, &r)
    );
    Ok(r.json.unwrap_or_default())
}

async fn card_case(cx: &Cx<'_>, env: &Env, case: &Case, created: &mut u64) -> Check {
    let mut sent = Map::new();
    sent.insert("title".into(), json!(case.title));
    if let Some(b) = &case.body {
        sent.insert("body".into(), json!(b));
    }
    if let Some(v) = case.visibility {
        sent.insert("visibility".into(), json!(v));
    }
    let req = Req::new(Method::POST, "/api/cards/")
        .bearer(&env.token)
        .json(&Value::Object(sent));
    let r = cx.send(&req).await?;
    check_rest_shape(&req, &r)?;
    let x = || exchange(&req, &r);
    let expected_bad: BTreeSet<&str> = [
        broken("title", &case.title, TITLE_MAX, true),
        case.body
            .as_deref()
            .and_then(|b| broken("body", b, BODY_MAX, false)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !expected_bad.is_empty() {
        let keys: BTreeSet<&str> = r
            .json
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        ensure!(
            r.status == 400 && keys == expected_bad,
            format!(
                "card with bad {expected_bad:?}: {} naming {keys:?}",
                r.status
            ),
            "{}",
            x()
        );
        return Ok(());
    }
    ensure!(
        r.status == 201,
        format!("a valid card is refused with {}", r.status),
        "{}",
        x()
    );
    *created += 1;
    let card = r.json.clone().unwrap_or_default();
    let title = case.title.trim();
    let body = case.body.as_deref().unwrap_or("");
    let visibility = case.visibility.unwrap_or("public");
    ensure!(
        card["title"] == title && card["body"] == body && card["visibility"] == visibility,
        "the created card is not what was sent",
        "expected title {title:?}, body {:?}\n{}",
        super::clip(body, 200),
        x()
    );
    let id = card["id"].as_str().unwrap_or_default().to_string();

    // Read back over REST and GraphQL.
    let get = Req::new(Method::GET, format!("/api/cards/{id}/")).bearer(&env.token);
    let back = cx.send(&get).await?;
    let b = back.json.clone().unwrap_or_default();
    ensure!(
        back.status == 200 && b["title"] == title && b["body"] == body,
        "a card reads back different over REST",
        "{}",
        exchange(&get, &back)
    );
    let g = gql(
        cx,
        &env.token,
        "query($id: ID!) { card(id: $id) { title body visibility } }",
        json!({"id": id}),
    )
    .await?;
    let c = &g["data"]["card"];
    ensure!(
        c["title"] == title && c["body"] == body && c["visibility"] == visibility.to_uppercase(),
        "a card reads back different over GraphQL",
        "expected {title:?}\ngot {c}"
    );

    // Search for the title: the newest card (this one) first, and nothing
    // without every term.
    let plain = !title.chars().any(|c| matches!(c, 'Σ' | 'σ' | 'ς'));
    if plain {
        let search = Req::new(
            Method::GET,
            format!("/api/cards/?page_size=10&search={}", encode_query(title)),
        )
        .bearer(&env.token);
        let s = cx.send(&search).await?;
        check_rest_shape(&search, &s)?;
        let results = s
            .json
            .as_ref()
            .and_then(|p| p["results"].as_array().cloned())
            .unwrap_or_default();
        ensure!(
            s.status == 200 && results.first().is_some_and(|r| r["id"] == id.as_str()),
            "a search for a card's own title does not find it first",
            "{}",
            exchange(&search, &s)
        );
        for item in &results {
            let t = item["title"].as_str().unwrap_or_default().to_lowercase();
            let bd = item["body"].as_str().unwrap_or_default().to_lowercase();
            for term in title.split_whitespace() {
                let term = term.to_lowercase();
                ensure!(
                    t.contains(&term) || bd.contains(&term),
                    "search returns a card without the term (wildcards?)",
                    "term {term:?} is not in {item}\n{}",
                    exchange(&search, &s)
                );
            }
        }
    }
    Ok(())
}

async fn profile_case(cx: &Cx<'_>, env: &Env, case: &Case) -> Check {
    let fields = [
        ("display_name", case.display_name.as_deref(), 100),
        ("bio", case.bio.as_deref(), 2000),
        ("location", case.location.as_deref(), 100),
    ];
    let mut sent = Map::new();
    let mut expected_bad = BTreeSet::new();
    for (name, value, max) in fields {
        if let Some(v) = value {
            sent.insert(name.into(), json!(v));
            if let Some(f) = broken(name, v, max, false) {
                expected_bad.insert(f);
            }
        }
    }
    let path = format!("/api/profiles/{}/", env.profile);
    let req = Req::new(Method::PATCH, path.clone())
        .bearer(&env.token)
        .json(&Value::Object(sent.clone()));
    let r = cx.send(&req).await?;
    check_rest_shape(&req, &r)?;
    let x = || exchange(&req, &r);
    if !expected_bad.is_empty() {
        let keys: BTreeSet<&str> = r
            .json
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        ensure!(
            r.status == 400 && keys == expected_bad,
            format!(
                "profile with bad {expected_bad:?}: {} naming {keys:?}",
                r.status
            ),
            "{}",
            x()
        );
        return Ok(());
    }
    ensure!(
        r.status == 200,
        format!("a valid profile update is refused with {}", r.status),
        "{}",
        x()
    );
    let got = r.json.clone().unwrap_or_default();
    for (name, value) in &sent {
        ensure!(
            got[name] == *value,
            format!("profile {name} is not stored as sent"),
            "{}",
            x()
        );
    }
    let get = Req::new(Method::GET, path);
    let back = cx.send(&get).await?;
    let b = back.json.clone().unwrap_or_default();
    for (name, value) in &sent {
        ensure!(
            b[name] == *value,
            format!("profile {name} reads back different"),
            "{}",
            exchange(&get, &back)
        );
    }
    let g = gql(
        cx,
        &env.token,
        "query($id: ID!) { profile(id: $id) { displayName bio location } }",
        json!({"id": env.profile}),
    )
    .await?;
    let p = &g["data"]["profile"];
    for (name, gname) in [
        ("display_name", "displayName"),
        ("bio", "bio"),
        ("location", "location"),
    ] {
        ensure!(
            p[gname] == b[name],
            format!("profile {name} differs between REST and GraphQL"),
            "REST {}\nGraphQL {p}",
            b
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_is_stored_verbatim_and_never_executed() {
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    let a = app.register(&unique("fuzz_v")).await;
    let profile = app.create_profile(&a.access, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let env = Env {
        token: a.access.clone(),
        profile,
    };
    let created = std::sync::atomic::AtomicU64::new(0);
    let mut fuzz = Fuzz::new("verbatim");
    let (cx_ref, env_ref, created_ref) = (&cx, &env, &created);
    fuzz.run(fuzz_cases(), strategy(), move |case| async move {
        let mut n = 0;
        let out = card_case(cx_ref, env_ref, &case, &mut n).await;
        created_ref.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        out?;
        profile_case(cx_ref, env_ref, &case).await
    })
    .await;

    // Nothing was executed: every accepted card is there, and both tables and
    // registration still work.
    let created = created.load(std::sync::atomic::Ordering::Relaxed);
    let count = gql(&cx, &a.access, "{ cards { totalCount } }", json!({})).await;
    fuzz.fixed(
        "totalCount after the run",
        count.and_then(|g| {
            if g["data"]["cards"]["totalCount"] == created {
                Ok(())
            } else {
                Err(Violation::new(
                    "cards went missing (or appeared)",
                    format!("created {created}, the server counts {g}"),
                ))
            }
        }),
    );
    for path in ["/api/cards/", "/api/profiles/"] {
        let r = cx.send(&Req::new(Method::GET, path)).await;
        fuzz.fixed(
            path,
            r.and_then(|r| {
                if r.status == 200 {
                    Ok(())
                } else {
                    Err(Violation::new(format!("{path} broke"), format!("{r:?}")))
                }
            }),
        );
    }
    app.register(&unique("fuzz_after")).await;
    fuzz.finish(&cx);
}
