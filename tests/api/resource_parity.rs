//! The two doors agree on profiles and cards: the same operation through REST
//! and GraphQL gives the same object, or the same error class (400/401/403/404/409
//! <-> BAD_USER_INPUT/UNAUTHENTICATED/FORBIDDEN/NOT_FOUND/CONFLICT) with the same
//! field map.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Account, CARD_FIELDS, PROFILE_FIELDS, TestApp, camelize_keys, id_of, msg, rmsg, timestamp,
    unique,
};

mod cards;
mod profiles;

/// What one door answered, in terms both doors share.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok(Value),
    Err { class: String, fields: Value },
}

/// Which parts of a successful answer must agree.
#[derive(Clone, Copy)]
enum Compare {
    /// The whole object or list.
    Full,
    /// All but these keys (objects made or changed twice differ in them).
    Except(&'static [&'static str]),
    /// Only that both succeeded (e.g. deletes of two different cards).
    Success,
}

struct Case {
    name: &'static str,
    rest: (Method, String, Option<Value>),
    /// Query, variables, and the path under `data` to the result.
    gql: (String, Value, &'static [&'static str]),
    token: Option<String>,
    /// For cases that act on different targets per door: the GraphQL token.
    gql_token: Option<Option<String>>,
    expect: &'static str,
    compare: Compare,
}

fn case(
    name: &'static str,
    token: Option<&Account>,
    rest: (Method, String, Option<Value>),
    gql: (String, Value, &'static [&'static str]),
    expect: &'static str,
) -> Case {
    Case {
        name,
        rest,
        gql,
        token: token.map(|a| a.access.clone()),
        gql_token: None,
        expect,
        compare: Compare::Full,
    }
}

impl Case {
    fn compare(mut self, compare: Compare) -> Self {
        self.compare = compare;
        self
    }

    fn gql_as(mut self, acc: &Account) -> Self {
        self.gql_token = Some(Some(acc.access.clone()));
        self
    }
}

/// A REST card or profile in GraphQL terms: camelCase keys, upper-case
/// visibility, timestamps in one canonical form.
fn normalize(v: &Value, from_rest: bool) -> Value {
    match v {
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| normalize(i, from_rest)).collect())
        }
        Value::Object(_) => {
            let mut out = if from_rest {
                camelize_keys(v)
            } else {
                v.clone()
            };
            if let Some(vis) = out.get("visibility").and_then(Value::as_str) {
                out["visibility"] = Value::String(vis.to_uppercase());
            }
            for key in ["createdAt", "updatedAt"] {
                if out.get(key).is_some() {
                    out[key] = json!(
                        timestamp(&out[key]).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    );
                }
            }
            out
        }
        other => other.clone(),
    }
}

fn rest_outcome(status: u16, body: &Value) -> Outcome {
    let class = match status {
        200 | 201 => {
            let value = if body.get("results").is_some() {
                &body["results"]
            } else {
                body
            };
            return Outcome::Ok(normalize(value, true));
        }
        204 => return Outcome::Ok(Value::Null),
        400 => "BAD_USER_INPUT",
        401 => "UNAUTHENTICATED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        other => panic!("unexpected REST status {other}: {body}"),
    };
    let fields = if status == 400 {
        camelize_keys(body)
    } else {
        Value::Null
    };
    Outcome::Err {
        class: class.into(),
        fields,
    }
}

fn gql_outcome(body: &Value, path: &[&str]) -> Outcome {
    if let Some(code) = TestApp::gql_code(body) {
        let fields = if code == "BAD_USER_INPUT" {
            body["errors"][0]["extensions"]["fields"].clone()
        } else {
            Value::Null
        };
        return Outcome::Err {
            class: code,
            fields,
        };
    }
    let mut v = &body["data"];
    for key in path {
        v = &v[*key];
    }
    if v.is_null() {
        // `card(id)`, `profile(id)`: null is how GraphQL says "not found".
        return Outcome::Err {
            class: "NOT_FOUND".into(),
            fields: Value::Null,
        };
    }
    Outcome::Ok(normalize(v, false))
}

fn strip(outcome: Outcome, keys: &[&str]) -> Outcome {
    match outcome {
        Outcome::Ok(mut v) => {
            let strip_one = |o: &mut Value| {
                if let Some(map) = o.as_object_mut() {
                    for k in keys {
                        map.remove(*k);
                    }
                }
            };
            match &mut v {
                Value::Array(items) => items.iter_mut().for_each(strip_one),
                o => strip_one(o),
            }
            Outcome::Ok(v)
        }
        err => err,
    }
}

async fn run(app: &TestApp, c: &Case) {
    let name = c.name;
    let (method, path, body) = c.rest.clone();
    let r = app.request(method, &path, c.token.as_deref(), body).await;
    let rest = rest_outcome(r.status, &r.body);

    let (query, vars, at) = &c.gql;
    let gql_token = c.gql_token.clone().unwrap_or_else(|| c.token.clone());
    let body = app.gql(query, vars.clone(), gql_token.as_deref()).await;
    let gql = gql_outcome(&body, at);

    match (&rest, c.expect) {
        (Outcome::Ok(v), "OK") => {
            if let Some(items) = v.as_array() {
                assert!(!items.is_empty(), "{name}: an empty list proves nothing");
            }
        }
        (Outcome::Err { class, fields }, expect) => {
            assert_eq!(
                class, expect,
                "{name}: REST answered {} {}",
                r.status, r.body
            );
            if expect == "BAD_USER_INPUT" {
                assert!(
                    fields.as_object().is_some_and(|m| !m.is_empty()),
                    "{name}: a field map"
                );
            }
        }
        (got, expect) => panic!("{name}: expected {expect}, REST gave {got:?}"),
    }
    let (rest, gql) = match c.compare {
        Compare::Full => (rest, gql),
        Compare::Except(keys) => (strip(rest, keys), strip(gql, keys)),
        Compare::Success => {
            assert!(matches!(gql, Outcome::Ok(_)), "{name}: GraphQL gave {body}");
            return;
        }
    };
    assert_eq!(rest, gql, "{name}: REST vs GraphQL (GraphQL body {body})");
}

fn rest(
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
) -> (Method, String, Option<Value>) {
    (method, path.into(), body)
}

const MADE_TWICE: Compare = Compare::Except(&["id", "createdAt", "updatedAt"]);
const CHANGED_TWICE: Compare = Compare::Except(&["updatedAt"]);
const PROFILE_MADE_TWICE: Compare =
    Compare::Except(&["id", "userId", "username", "createdAt", "updatedAt"]);
