//! Usernames that differ only by case, and Unicode ones. The contract: a
//! username is 3–150 ASCII letters, digits and `@ . + - _`, unique ignoring
//! ASCII case; an email is unique ignoring case.
//!
//! The oracle, through REST and GraphQL alike: a generated valid name registers;
//! the same name with other letters' case is a duplicate (400 on `username`);
//! the email in other case is a duplicate (400 on `email`); a name with any
//! non-ASCII character — Kelvin sign, long s, dotless i, Cyrillic look-alikes,
//! full-width letters, combining marks, zero-width space — is 400 on `username`,
//! at registration and on update; and signing in ignores the name's case.

use proptest::{collection::vec, prelude::*, sample::select};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Check, Cx, Fuzz, Req, Violation, check_rest_shape, exchange, fuzz_cases};
use crate::helpers::{PASSWORD, TestApp, msg};

/// Characters that look like or fold to ASCII letters, and other non-ASCII ones.
const NON_ASCII: &[&str] = &[
    "\u{212a}", // KELVIN SIGN, lowercases to k
    "\u{17f}",  // LATIN SMALL LETTER LONG S, uppercases to S
    "\u{131}",  // dotless i, uppercases to I
    "\u{130}",  // I with dot, lowercases to i + combining dot
    "\u{430}",  // Cyrillic a
    "\u{435}",  // Cyrillic e
    "\u{ff21}", // full-width A
    "\u{1d400}",
    "e\u{301}",
    "\u{200b}",
    "\u{df}",
    "\u{fb00}",
    "\u{212b}", // ANGSTROM SIGN
    "\u{3a3}",
    "\u{e9}",
    "😀",
];

#[derive(Clone, Debug)]
struct Case {
    /// The name to register (made unique with a counter).
    name: String,
    /// Which letters of it to flip for the duplicate, by position.
    flips: Vec<bool>,
    /// Non-ASCII text to splice in, and where (fraction of the length).
    foreign: String,
    at: u16,
    login_check: bool,
}

fn strategy() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            4 => "[a-zA-Z][a-zA-Z0-9@.+_-]{1,20}",
            1 => "[a-zA-Z]{100,130}",
            1 => "[a-z]{2,6}[kKsSiI][a-z]{0,6}",
        ],
        vec(any::<bool>(), 0..140),
        prop_oneof![
            3 => select(NON_ASCII).prop_map(str::to_string),
            1 => any::<char>()
                .prop_filter("not ASCII", |c| !c.is_ascii())
                .prop_map(String::from),
        ],
        any::<u16>(),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(name, flips, foreign, at, login_check)| Case {
            name,
            flips,
            foreign,
            at,
            login_check,
        })
}

/// The name with the chosen letters' case flipped (at least one).
fn case_variant(name: &str, flips: &[bool]) -> String {
    let mut out: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].is_ascii_alphabetic())
        .collect();
    let mut flipped = false;
    for (n, &i) in letters.iter().enumerate() {
        if flips.get(n).copied().unwrap_or(false) || (n + 1 == letters.len() && !flipped) {
            let c = out[i];
            out[i] = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            flipped = true;
        }
    }
    out.into_iter().collect()
}

/// The name with a non-ASCII look-alike in place: `k`→Kelvin sign, `s`→long s,
/// `i`→dotless i when it has one, else the foreign text spliced in.
fn foreign_variant(name: &str, foreign: &str, at: u16) -> String {
    for (ascii, lookalike) in [('k', '\u{212a}'), ('s', '\u{17f}'), ('i', '\u{131}')] {
        if foreign == lookalike.to_string()
            || (at.is_multiple_of(2) && name.to_ascii_lowercase().contains(ascii))
        {
            let i = name.to_ascii_lowercase().find(ascii);
            if let Some(i) = i {
                return format!("{}{lookalike}{}", &name[..i], &name[i + 1..]);
            }
        }
    }
    let chars: Vec<char> = name.chars().collect();
    let i = (at as usize * (chars.len() + 1)) / 65536;
    let mut out: String = chars[..i].iter().collect();
    out.push_str(foreign);
    out.extend(&chars[i..]);
    out
}

fn register_body(username: &str, email: &str) -> Value {
    json!({"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD})
}

fn gql_register(username: &str, email: &str) -> Value {
    json!({
        "query": "mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }",
        "variables": {"input": {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}},
    })
}

fn messages(body: &Value, field: &str) -> Vec<String> {
    body[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A REST 400 naming `field` with `message`.
async fn expect_rest_400(cx: &Cx<'_>, req: Req, field: &str, message: &str, what: &str) -> Check {
    let r = cx.send(&req).await?;
    check_rest_shape(&req, &r)?;
    let body = r.json.clone().unwrap_or_default();
    ensure!(
        r.status == 400 && messages(&body, field).iter().any(|m| m == message),
        format!("REST {what}: {} instead of 400 on {field}", r.status),
        "expected {field}: [{message:?}]\n{}",
        exchange(&req, &r)
    );
    Ok(())
}

/// A GraphQL `BAD_USER_INPUT` naming `field` (GraphQL name) with `message`,
/// and no result.
async fn expect_gql_bad_input(
    cx: &Cx<'_>,
    req: Req,
    field: &str,
    message: &str,
    what: &str,
) -> Check {
    let r = cx.send(&req).await?;
    let body = r.json.clone().unwrap_or_default();
    let err = &body["errors"][0];
    let listed = err["extensions"]["fields"][field]
        .as_array()
        .is_some_and(|a| a.iter().any(|m| m == message));
    ensure!(
        r.status < 500 && err["extensions"]["code"] == "BAD_USER_INPUT" && listed,
        format!("GraphQL {what}: not BAD_USER_INPUT on {field}"),
        "expected {field}: [{message:?}]\n{}",
        exchange(&req, &r)
    );
    let data = &body["data"];
    ensure!(
        data.is_null()
            || data
                .as_object()
                .is_some_and(|d| d.values().all(Value::is_null)),
        format!("GraphQL {what}: returns a result anyway"),
        "{}",
        exchange(&req, &r)
    );
    Ok(())
}

struct State {
    n: u64,
    /// The previous case's user: (name, email).
    previous: Option<(String, String)>,
}

async fn run_case(cx: &Cx<'_>, state: &std::sync::Mutex<State>, tag: &str, case: &Case) -> Check {
    let (n, previous) = {
        let mut s = state.lock().unwrap();
        s.n += 1;
        (s.n, s.previous.clone())
    };
    // Unique with a numeric suffix (case-neutral), within 150 characters.
    let suffix = format!("{n}{tag}");
    let mut name = case.name.clone();
    name.truncate(150 - suffix.len());
    let name = format!("{name}{suffix}");
    let email = format!("u{n}{tag}@example.com");

    let reg = Req::new(Method::POST, "/api/auth/register/").json(&register_body(&name, &email));
    let r = cx.send(&reg).await?;
    check_rest_shape(&reg, &r)?;
    ensure!(
        r.status == 201,
        format!("a valid ASCII username is refused ({})", r.status),
        "{}",
        exchange(&reg, &r)
    );
    let token = r
        .json
        .as_ref()
        .and_then(|b| b["access"].as_str())
        .unwrap_or_default()
        .to_string();

    // The same name in other case: a duplicate, over both doors.
    let variant = case_variant(&name, &case.flips);
    expect_rest_400(
        cx,
        Req::new(Method::POST, "/api/auth/register/")
            .json(&register_body(&variant, &format!("v{n}{tag}@example.com"))),
        "username",
        msg::USERNAME_TAKEN,
        "register with a name differing only by case",
    )
    .await?;
    let flipped_again = case_variant(&name, &case.flips.iter().map(|b| !b).collect::<Vec<_>>());
    expect_gql_bad_input(
        cx,
        Req::new(Method::POST, "/graphql").json(&gql_register(
            &flipped_again,
            &format!("w{n}{tag}@example.com"),
        )),
        "username",
        msg::USERNAME_TAKEN,
        "register with a name differing only by case",
    )
    .await?;
    // The email in other case: a duplicate.
    expect_rest_400(
        cx,
        Req::new(Method::POST, "/api/auth/register/")
            .json(&register_body(&format!("x{name}"), &email.to_uppercase())),
        "email",
        msg::EMAIL_TAKEN,
        "register with an email differing only by case",
    )
    .await?;

    // Non-ASCII names: invalid, at registration and on update, over both doors.
    let foreign = foreign_variant(&name, &case.foreign, case.at);
    let foreign_msg = msg::BAD_USERNAME;
    expect_rest_400(
        cx,
        Req::new(Method::POST, "/api/auth/register/")
            .json(&register_body(&foreign, &format!("f{n}{tag}@example.com"))),
        "username",
        foreign_msg,
        "register with a non-ASCII name",
    )
    .await?;
    expect_gql_bad_input(
        cx,
        Req::new(Method::POST, "/graphql")
            .json(&gql_register(&foreign, &format!("g{n}{tag}@example.com"))),
        "username",
        foreign_msg,
        "register with a non-ASCII name",
    )
    .await?;
    expect_rest_400(
        cx,
        Req::new(Method::PATCH, "/api/auth/user/")
            .bearer(&token)
            .json(&json!({"username": foreign})),
        "username",
        foreign_msg,
        "rename to a non-ASCII name",
    )
    .await?;
    expect_gql_bad_input(
        cx,
        Req::new(Method::POST, "/graphql").bearer(&token).json(&json!({
            "query": "mutation($input: UpdateMeInput!) { updateMe(input: $input) { username } }",
            "variables": {"input": {"username": foreign}},
        })),
        "username",
        foreign_msg,
        "rename to a non-ASCII name",
    )
    .await?;

    // Renaming to another user's name in other case: a duplicate.
    if let Some((prev, _)) = &previous {
        let taken = case_variant(prev, &case.flips);
        expect_rest_400(
            cx,
            Req::new(Method::PATCH, "/api/auth/user/")
                .bearer(&token)
                .json(&json!({"username": taken})),
            "username",
            msg::USERNAME_TAKEN,
            "rename to another user's name in other case",
        )
        .await?;
        expect_gql_bad_input(
            cx,
            Req::new(Method::POST, "/graphql").bearer(&token).json(&json!({
                "query": "mutation($input: UpdateMeInput!) { updateMe(input: $input) { username } }",
                "variables": {"input": {"username": taken}},
            })),
            "username",
            msg::USERNAME_TAKEN,
            "rename to another user's name in other case",
        )
        .await?;
    }

    // Signing in ignores the name's case.
    if case.login_check {
        let login = Req::new(Method::POST, "/api/auth/login/")
            .json(&json!({"username": variant, "password": PASSWORD}));
        let r = cx.send(&login).await?;
        check_rest_shape(&login, &r)?;
        ensure!(
            r.status == 200
                && r.json
                    .as_ref()
                    .is_some_and(|b| b["user"]["username"] == name.as_str()),
            "sign-in with the name in other case fails",
            "{}",
            exchange(&login, &r)
        );
    }
    state.lock().unwrap().previous = Some((name, email));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_differing_only_by_case_collide() {
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    // A tag of letters keeps names unique across replays of the same seed.
    let id = uuid::Uuid::now_v7().simple().to_string();
    let tag: String = id[id.len() - 6..]
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                (b'g' + c as u8 - b'0') as char
            } else {
                c
            }
        })
        .collect();
    let state = std::sync::Mutex::new(State {
        n: 0,
        previous: None,
    });
    let mut fuzz = Fuzz::new("usernames");
    let (cx_ref, state_ref, tag_ref) = (&cx, &state, tag.as_str());
    // Each case registers a user (one password hash): a quarter of the cases.
    let cases = fuzz_cases().div_ceil(4).max(8);
    fuzz.run(cases, strategy(), move |case| async move {
        run_case(cx_ref, state_ref, tag_ref, &case).await
    })
    .await;
    let r = cx.send(&Req::new(Method::GET, "/api/profiles/")).await;
    fuzz.fixed(
        "GET /api/profiles/ after the run",
        r.and_then(|r| {
            if r.status == 200 {
                Ok(())
            } else {
                Err(Violation::new("profiles broke", format!("{r:?}")))
            }
        }),
    );
    fuzz.finish(&cx);
}
