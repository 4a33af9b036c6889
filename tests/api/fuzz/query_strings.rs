//! Query strings of the list routes (and the event stream's filters): generated
//! `page_size`, `cursor`, `ordering`, `owner`, `visibility`, `search` and
//! `username` values — huge, negative, non-numeric, Unicode, SQL wildcards and
//! injection, repeated parameters, unknown ones, broken percent-escapes.
//!
//! The oracle: 200 or 400 only (401 for a bad token); a 400 names exactly the
//! malformed parameters; a 200 is a DRF page whose results honour the filters
//! (search terms really are substrings — `%` and `_` are not wildcards — private
//! cards only for their owner, the page size, the ordering), and whose `next`
//! link answers 200 with other items.

use proptest::{collection::vec, prelude::*, sample::select};
use reqwest::{Method, header::HeaderValue};
use serde_json::{Value, json};

use super::{
    Check, Cx, Fuzz, Req, Violation, check_rest_shape, encode_query, exchange, fuzz_cases,
    strategies::nasty_string,
};
use crate::helpers::{TestApp, unique};

/// How a parameter value is expected to fare.
#[derive(Clone, Debug, PartialEq)]
enum V {
    /// The contract accepts it.
    Valid(String),
    /// The contract refuses it: 400 naming the parameter.
    Invalid(String),
    /// The contract does not say (e.g. `+5`, `PUBLIC`): 200, or 400 naming it.
    Unsure(String),
}

impl V {
    fn text(&self) -> &str {
        match self {
            V::Valid(s) | V::Invalid(s) | V::Unsure(s) => s,
        }
    }
}

fn valid(s: impl Into<String>) -> V {
    V::Valid(s.into())
}

fn fixed(list: &'static [&'static str], f: fn(String) -> V) -> impl Strategy<Value = V> + Clone {
    select(list).prop_map(move |s| f(s.to_string()))
}

fn page_size() -> impl Strategy<Value = V> + Clone {
    prop_oneof![
        3 => (1u32..=100).prop_map(|n| valid(n.to_string())),
        1 => (101u64..u64::MAX).prop_map(|n| valid(n.to_string())),
        1 => fixed(&["18446744073709551616", "99999999999999999999999999999", "05"], V::Valid),
        2 => fixed(&[
            "0", "-1", "-0", "-99999999999999999999", "abc", "0x10", "NaN", "inf", "1 2",
            "💯", "5; DROP TABLE cards", "1_0", "\u{0}", "%", "ten",
        ], V::Invalid),
        1 => (i64::MIN..0).prop_map(|n| V::Invalid(n.to_string())),
        1 => fixed(&["+5", " 5 ", "5.0", "1e3", "١٢", "", "٣"], V::Unsure),
        1 => nasty_string().prop_map(V::Unsure),
    ]
}

fn cursor(real: Vec<String>) -> impl Strategy<Value = V> + Clone {
    prop_oneof![
        2 => select(real).prop_map(V::Valid),
        1 => Just(valid("")),
        2 => fixed(&[
            "n", "p", "x", "nAAAA", "pZm9v", "n!!!!", "n%", "n_",
            // "123:not-a-uuid", "99999999999999999999:<uuid>" and "<i64::MAX>:<uuid>"
            "nMTIzOm5vdC1hLXV1aWQ",
            "nOTk5OTk5OTk5OTk5OTk5OTk5OTk6MDE5MzAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw",
            "pOTIyMzM3MjAzNjg1NDc3NTgwNzowMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA",
            "' OR 1=1 --",
        ], V::Invalid),
        1 => (1usize..20_000).prop_map(|n| V::Invalid(format!("n{}", "A".repeat(n)))),
        2 => nasty_string()
            .prop_filter("not empty", |s| !s.is_empty())
            .prop_map(V::Invalid),
    ]
}

fn ordering() -> impl Strategy<Value = V> + Clone {
    prop_oneof![
        3 => fixed(&["created_at", "-created_at"], V::Valid),
        2 => fixed(&[
            "title", "-title", "id", "created_at,id", "--created_at", "created_at; DROP TABLE cards",
            "?", "owner__password", "random()",
        ], V::Invalid),
        1 => fixed(&["", " created_at ", "CREATED_AT", "+created_at"], V::Unsure),
        1 => nasty_string().prop_map(V::Unsure),
    ]
}

fn owner(ids: Vec<String>) -> impl Strategy<Value = V> + Clone {
    let upper: Vec<String> = ids.iter().map(|s| s.to_uppercase()).collect();
    let simple: Vec<String> = ids.iter().map(|s| s.replace('-', "")).collect();
    prop_oneof![
        3 => select(ids).prop_map(V::Valid),
        1 => any::<u128>().prop_map(|n| valid(uuid::Uuid::from_u128(n).to_string())),
        2 => fixed(&[
            "not-a-uuid", "' OR '1'='1", "1", "<script>alert(1)</script>", "%", "_",
            "00000000-0000-0000-0000-00000000000g", "null",
        ], V::Invalid),
        1 => select(upper).prop_map(V::Unsure),
        1 => select(simple).prop_map(V::Unsure),
        1 => Just(V::Unsure(String::new())),
        1 => nasty_string().prop_map(V::Unsure),
    ]
}

fn visibility() -> impl Strategy<Value = V> + Clone {
    prop_oneof![
        3 => fixed(&["public", "private"], V::Valid),
        2 => fixed(&[
            "all", "publicx", "' OR ''='", "<script>alert(1)</script>", "pub%", "_ublic", "1",
        ], V::Invalid),
        1 => fixed(&["PUBLIC", " public", "", "Private"], V::Unsure),
    ]
}

fn search_text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => select(&[
            "%", "_", "\\", "%_\\", "100%", "a_b", "abc", "ABC", "'; DROP TABLE cards; --",
            "' OR '1'='1", "😀", "ångström", "ÅNGSTRÖM", "a b", "   ", "secret", "card %",
            "*", "[a-z]", "^", "$", ".*",
        ][..])
        .prop_map(str::to_string),
        2 => nasty_string(),
        1 => "[a-z%_ ]{1,12}",
    ]
}

/// A parameter given 1–2 times (the last one counts), or not at all.
fn param<S: Strategy<Value = V> + Clone>(values: S) -> impl Strategy<Value = Vec<V>> + Clone {
    prop_oneof![2 => Just(Vec::new()), 3 => vec(values, 1..=2)]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Cards,
    Profiles,
    Stream,
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    Valid,
    Bad(String),
}

#[derive(Clone, Debug)]
struct Case {
    target: Target,
    auth: Auth,
    params: Vec<(&'static str, Vec<V>)>,
    /// Raw, possibly broken query text appended as unknown parameters.
    junk: Vec<&'static str>,
}

const JUNK: &[&str] = &[
    "zz=%ff%fe",
    "%zz=1",
    "=x",
    "&&&",
    "zz=%",
    "a[b]=c",
    "zz=%00",
    "page=-1",
    "limit=99999999999999999999",
    "offset=x",
    "zz=%E0%A4",
    "q=%27%3B%20DROP%20TABLE%20cards%3B%20--",
];

struct Env {
    me: String,
    token: String,
}

fn strategy(real_cursors: Vec<String>, ids: Vec<String>) -> impl Strategy<Value = Case> {
    let auth = prop_oneof![
        3 => Just(Auth::None),
        3 => Just(Auth::Valid),
        1 => select(&["Bearer x", "Basic abc", ""][..]).prop_map(|s| Auth::Bad(s.to_string())),
    ];
    let target = prop_oneof![
        4 => Just(Target::Cards),
        3 => Just(Target::Profiles),
        1 => Just(Target::Stream),
    ];
    (
        target,
        auth,
        param(page_size()),
        param(cursor(real_cursors)),
        param(ordering()),
        param(owner(ids)),
        param(visibility()),
        param(search_text().prop_map(V::Valid)),
        param(nasty_string().prop_map(V::Valid)),
        vec(select(JUNK), 0..3),
    )
        .prop_map(
            |(
                target,
                auth,
                page_size,
                cursor,
                ordering,
                owner,
                visibility,
                search,
                username,
                junk,
            )| {
                Case {
                    target,
                    auth,
                    params: vec![
                        ("page_size", page_size),
                        ("cursor", cursor),
                        ("ordering", ordering),
                        ("owner", owner),
                        ("visibility", visibility),
                        ("search", search),
                        ("username", username),
                    ],
                    junk,
                }
            },
        )
}

/// The parameters a target reads; others are ignored like unknown ones.
fn reads(target: Target, name: &str) -> bool {
    match target {
        Target::Cards => name != "username",
        Target::Profiles => !matches!(name, "owner" | "visibility"),
        Target::Stream => matches!(name, "owner" | "visibility"),
    }
}

impl Case {
    fn query(&self) -> String {
        let mut parts = Vec::new();
        for (name, values) in &self.params {
            for v in values {
                parts.push(format!("{name}={}", encode_query(v.text())));
            }
        }
        parts.extend(self.junk.iter().map(|j| j.to_string()));
        parts.join("&")
    }

    /// The last value of each parameter the target reads.
    fn effective(&self) -> Vec<(&'static str, &V)> {
        self.params
            .iter()
            .filter(|(name, _)| reads(self.target, name))
            .filter_map(|(name, values)| values.last().map(|v| (*name, v)))
            .collect()
    }

    fn get(&self, name: &str) -> Option<&V> {
        self.effective()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

fn lower_contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

/// Lowercasing Greek sigma depends on context: leave such texts out of the
/// substring checks.
fn plain_case(s: &str) -> bool {
    !s.chars().any(|c| matches!(c, 'Σ' | 'σ' | 'ς'))
}

async fn run_case(cx: &Cx<'_>, env: &Env, case: &Case) -> Check {
    let path = match case.target {
        Target::Cards => "/api/cards/",
        Target::Profiles => "/api/profiles/",
        Target::Stream => "/api/cards/stream/",
    };
    let mut req = Req::new(Method::GET, format!("{path}?{}", case.query()));
    match &case.auth {
        Auth::None => {}
        Auth::Valid => req = req.bearer(&env.token),
        Auth::Bad(h) => req = req.header("authorization", HeaderValue::from_str(h).unwrap()),
    }
    let effective = case.effective();
    let invalid: Vec<&str> = effective
        .iter()
        .filter(|(_, v)| matches!(v, V::Invalid(_)))
        .map(|(n, _)| *n)
        .collect();
    let mut unsure: Vec<&str> = effective
        .iter()
        .filter(|(_, v)| matches!(v, V::Unsure(_)))
        .map(|(n, _)| *n)
        .collect();
    // A NUL in a free-text filter may be refused like NUL in stored text.
    for name in ["search", "username"] {
        if case.get(name).is_some_and(|v| v.text().contains('\0')) {
            unsure.push(name);
        }
    }
    let bad_auth = matches!(case.auth, Auth::Bad(_));
    let what = format!(
        "GET {path} ({})",
        if bad_auth {
            "bad token".to_string()
        } else if invalid.is_empty() {
            "valid parameters".to_string()
        } else {
            format!("invalid {}", invalid.join(", "))
        }
    );

    if case.target == Target::Stream {
        let (status, headers) = cx.send_head_only(&req).await?;
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ok = if bad_auth {
            status == 401
        } else if !invalid.is_empty() {
            status == 400
        } else if unsure.is_empty() {
            status == 200 && ct.starts_with("text/event-stream")
        } else {
            status == 400 || (status == 200 && ct.starts_with("text/event-stream"))
        };
        ensure!(
            ok,
            format!("{what}: {status}"),
            "request: {req:?}\nstatus {status}, content-type {ct}"
        );
        return Ok(());
    }

    let reply = cx.send(&req).await?;
    check_rest_shape(&req, &reply)?;
    let x = || exchange(&req, &reply);
    let body = reply.json.clone().unwrap_or(Value::Null);
    if bad_auth {
        ensure!(
            reply.status == 401 && body["code"] == "token_not_valid",
            format!("{what}: {}", reply.status),
            "{}",
            x()
        );
        return Ok(());
    }
    ensure!(
        matches!(reply.status, 200 | 400),
        format!("{what}: {} (only 200 or 400)", reply.status),
        "{}",
        x()
    );
    if reply.status == 400 {
        let keys: Vec<&str> = body
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        ensure!(
            !invalid.is_empty() || !unsure.is_empty(),
            format!("{what}: 400 for acceptable parameters"),
            "{}",
            x()
        );
        ensure!(
            invalid.iter().all(|k| keys.contains(k))
                && keys
                    .iter()
                    .all(|k| invalid.contains(k) || unsure.contains(k)),
            format!("{what}: the 400 names other parameters"),
            "expected {invalid:?} (perhaps also {unsure:?}), got {keys:?}\n{}",
            x()
        );
        return Ok(());
    }
    ensure!(
        invalid.is_empty(),
        format!("{what}: 200 for an invalid parameter"),
        "{}",
        x()
    );
    check_page(
        cx,
        env,
        case,
        &req,
        &reply.json.clone().unwrap_or_default(),
        &what,
    )
    .await
}

/// A 200 page: its shape, and that its items honour the query.
async fn check_page(
    cx: &Cx<'_>,
    env: &Env,
    case: &Case,
    req: &Req,
    page: &Value,
    what: &str,
) -> Check {
    let detail = || {
        format!(
            "request: {req:?}\npage: {}",
            super::clip(&page.to_string(), 1500)
        )
    };
    let results = page["results"].as_array().cloned().unwrap_or_default();
    ensure!(
        page["results"].is_array()
            && ["next", "previous"]
                .iter()
                .all(|k| page[k].is_null()
                    || page[k].as_str().is_some_and(|u| u.starts_with("http://"))),
        format!("{what}: not a DRF cursor page"),
        "{}",
        detail()
    );
    let size = match case.get("page_size") {
        Some(V::Valid(s)) if !s.trim().is_empty() => {
            s.trim().parse::<u64>().map_or(100, |n| n.min(100))
        }
        Some(_) => 100,
        None => 20,
    };
    ensure!(
        results.len() as u64 <= size,
        format!("{what}: more items than page_size"),
        "{} items for a page size of {size}\n{}",
        results.len(),
        detail()
    );
    let signed_in = matches!(case.auth, Auth::Valid);
    for item in &results {
        if case.target == Target::Cards {
            let own = signed_in && item["owner_id"] == env.me.as_str();
            ensure!(
                item["visibility"] == "public" || own,
                format!("{what}: a private card leaks into a list"),
                "{item}\n{}",
                detail()
            );
            if let Some(V::Valid(owner)) = case.get("owner") {
                ensure!(
                    item["owner_id"] == owner.as_str(),
                    format!("{what}: the owner filter lets other cards through"),
                    "{item}\n{}",
                    detail()
                );
            }
            if let Some(V::Valid(vis)) = case.get("visibility") {
                ensure!(
                    item["visibility"] == vis.as_str(),
                    format!("{what}: the visibility filter lets other cards through"),
                    "{item}\n{}",
                    detail()
                );
            }
        }
        if case.target == Target::Profiles
            && let Some(V::Valid(name)) = case.get("username")
            && !name.trim().is_empty()
            && name.trim() == name
        {
            let got = item["username"].as_str().unwrap_or_default();
            ensure!(
                got.eq_ignore_ascii_case(name) || got.to_lowercase() == name.to_lowercase(),
                format!("{what}: the username filter lets other profiles through"),
                "{item}\n{}",
                detail()
            );
        }
        if let Some(V::Valid(search)) = case.get("search") {
            let fields: Vec<&str> = match case.target {
                Target::Cards => vec!["title", "body"],
                _ => vec!["username", "display_name"],
            };
            let texts: Vec<&str> = fields
                .iter()
                .map(|f| item[*f].as_str().unwrap_or_default())
                .collect();
            if plain_case(search) && texts.iter().all(|t| plain_case(t)) {
                for term in search.split_whitespace() {
                    ensure!(
                        texts.iter().any(|t| lower_contains(t, term)),
                        format!("{what}: search matches an item without the term (wildcards?)"),
                        "term {term:?} is in none of {texts:?}\n{}",
                        detail()
                    );
                }
            }
        }
    }
    // Ordering by creation time, as asked.
    let times: Vec<&str> = results
        .iter()
        .map(|i| i["created_at"].as_str().unwrap_or_default())
        .collect();
    let oldest_first = matches!(case.get("ordering"), Some(V::Valid(o)) if o == "created_at");
    let sorted = times.windows(2).all(|w| {
        if oldest_first {
            w[0] <= w[1]
        } else {
            w[0] >= w[1]
        }
    });
    let explicit = matches!(case.get("ordering"), None | Some(V::Valid(_)));
    ensure!(
        !explicit || sorted,
        format!("{what}: results out of order"),
        "{times:?}\n{}",
        detail()
    );
    // The next link works and moves on.
    if let Some(next) = page["next"].as_str() {
        let prefix = format!("http://{}", cx.app.addr);
        let Some(rest) = next.strip_prefix(&prefix) else {
            return Err(Violation::new(
                format!("{what}: next link on another host"),
                format!("{next}\n{}", detail()),
            ));
        };
        let mut follow = Req::new(Method::GET, rest);
        if signed_in {
            follow = follow.bearer(&env.token);
        }
        let r = cx.send(&follow).await?;
        check_rest_shape(&follow, &r)?;
        ensure!(
            r.status == 200,
            format!("{what}: its next link answers {}", r.status),
            "{}",
            exchange(&follow, &r)
        );
        let ids = |v: &Value| -> Vec<String> {
            v["results"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i["id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let first = ids(page);
        let again = ids(r.json.as_ref().unwrap_or(&Value::Null));
        ensure!(
            again.iter().all(|id| !first.contains(id)),
            format!("{what}: the next page repeats items"),
            "{}",
            exchange(&follow, &r)
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_query_strings_are_200_or_400() {
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    let a = app.register(&unique("fuzz_q")).await;
    let b = app.register(&unique("fuzz_r")).await;
    let titles = [
        ("100% pure", "public"),
        ("a_b test", "public"),
        ("back\\slash", "public"),
        ("plain abc", "public"),
        ("UPPER lower", "public"),
        ("emoji 😀", "public"),
        ("'; DROP TABLE cards; --", "public"),
        ("ÅNGSTRÖM", "public"),
        ("A secret %", "private"),
    ];
    for (title, vis) in titles {
        app.create_card(
            &a.access,
            json!({"title": title, "body": "body of A", "visibility": vis}),
        )
        .await;
    }
    app.card(&b.access, "B public _", "public").await;
    app.card(&b.access, "B secret", "private").await;
    app.create_profile(&a.access, json!({"display_name": "Ångel %_"}))
        .await;
    app.create_profile(&b.access, json!({"display_name": "Bob"}))
        .await;

    // Real cursors to reuse.
    let mut cursors = Vec::new();
    for path in ["/api/cards/?page_size=2", "/api/profiles/?page_size=1"] {
        let page = app.get(path, None).await.body;
        let next = page["next"].as_str().expect("a next link");
        let query = next.split_once('?').unwrap().1;
        let cursor = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "cursor")
            .map(|(_, v)| v.into_owned())
            .expect("a cursor");
        cursors.push(cursor);
    }
    let env = Env {
        me: a.id.clone(),
        token: a.access.clone(),
    };
    let mut fuzz = Fuzz::new("query_strings");
    // Fixed cases: wildcards and NUL in the text filters, whatever the draw.
    for (target, name, value) in [
        (Target::Cards, "search", "%"),
        (Target::Cards, "search", "_"),
        (Target::Cards, "search", "\\"),
        (Target::Cards, "search", "\0"),
        (Target::Cards, "search", "a\0"),
        (Target::Profiles, "search", "%_"),
        (Target::Profiles, "search", "\0"),
        (Target::Profiles, "username", "\0"),
        (Target::Profiles, "username", "%"),
    ] {
        let case = Case {
            target,
            auth: Auth::None,
            params: vec![(name, vec![valid(value)])],
            junk: Vec::new(),
        };
        let outcome = run_case(&cx, &env, &case).await;
        fuzz.fixed(&case, outcome);
    }
    let (cx_ref, env_ref) = (&cx, &env);
    fuzz.run(
        fuzz_cases(),
        strategy(cursors, vec![a.id.clone(), b.id.clone()]),
        move |case| async move { run_case(cx_ref, env_ref, &case).await },
    )
    .await;
    // The tables are intact.
    let r = cx
        .send(&Req::new(Method::GET, "/api/cards/?page_size=100"))
        .await;
    fuzz.fixed(
        "GET /api/cards/ after the run",
        r.and_then(|r| {
            let n = r
                .json
                .as_ref()
                .and_then(|b| b["results"].as_array().map(Vec::len));
            // A's eight public cards and B's one.
            if n == Some(9) {
                Ok(())
            } else {
                Err(Violation::new("the cards changed", format!("{r:?}")))
            }
        }),
    );
    fuzz.finish(&cx);
}
