//! `/graphql` with generated and malformed requests: token soup, real
//! operations with variables of every wrong type, literals no `Int` holds,
//! hundreds of aliases, deep selections, batches, query text over the limit,
//! cyclic fragments, bodies that are not JSON (or not UTF-8, or too large), over
//! POST and GET, with no token, a valid one or a garbage one.
//!
//! The oracle: never 5xx or a dropped connection; always a JSON body — a
//! response with `data` or a non-empty `errors` list whose every entry has a
//! `message` and an `extensions.code` that is not `INTERNAL_SERVER_ERROR` (a
//! batch: a list of those); a bad token is `UNAUTHENTICATED` with no `data`;
//! more than 100 aliases, depth past 15, more than 10 operations in a batch or
//! more than 100 KB of query text is `QUERY_TOO_COMPLEX` with no `data`.

use proptest::{collection::vec, prelude::*, sample::select};
use reqwest::{Method, header::HeaderValue};
use serde_json::{Value, json};

use super::{
    Check, Cx, Fuzz, Payload, Reply, Req, Violation, encode_query, exchange, fuzz_cases,
    strategies::{self, J},
};
use crate::helpers::{TestApp, unique};

/// Operations of the schema with variables (none that ends the caller's
/// session or deletes the fixture).
const TEMPLATES: &[&str] = &[
    "query Q($id: ID!) { card(id: $id) { id title body owner { username profile { bio } } } }",
    "query Q($first: Int, $after: String, $f: CardFilter, $o: CardOrder) { cards(first: $first, after: $after, filter: $f, orderBy: $o) { totalCount pageInfo { hasNextPage endCursor } nodes { id title } } }",
    "query Q($first: Int, $last: Int, $before: String, $f: ProfileFilter) { profiles(first: $first, last: $last, before: $before, filter: $f) { totalCount edges { cursor node { id username displayName } } } }",
    "mutation M($input: CreateCardInput!) { createCard(input: $input) { id title body visibility } }",
    "mutation M($id: ID!, $input: UpdateCardInput!) { updateCard(id: $id, input: $input) { id title } }",
    "mutation M($input: RegisterInput!) { register(input: $input) { accessToken } }",
    "mutation M($input: LoginInput!) { login(input: $input) { accessToken } }",
    "mutation M($r: String!) { refreshToken(refreshToken: $r) { accessToken } }",
    "query Q($id: ID!) { user(id: $id) { id username email cards(first: 2) { nodes { id } } profile { bio } } }",
    "mutation M($input: CreateProfileInput!) { createProfile(input: $input) { id } }",
    "mutation M($id: ID!, $input: UpdateProfileInput!) { updateProfile(id: $id, input: $input) { id } }",
    "query Q($id: ID!) { profile(id: $id) { id user { username } } }",
    // Conversations (the fixture's card id is among the generated values).
    "mutation M($id: ID!, $input: CreateReplyInput!) { createReply(cardId: $id, input: $input) { id body card { replyCount reactions { emoji count reacted } } } }",
    "mutation M($id: ID!, $input: UpdateReplyInput!) { updateReply(id: $id, input: $input) { id body updatedAt } }",
    "mutation M($id: ID!) { deleteReply(id: $id) }",
    "mutation M($id: ID!, $e: String!) { addReaction(cardId: $id, emoji: $e) { id replyCount reactions { emoji count reacted } } }",
    "mutation M($id: ID!, $e: String!) { removeReaction(cardId: $id, emoji: $e) { id reactions { emoji count reacted } } }",
    "query Q($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $o: ReplyOrder) { card(id: $id) { replyCount reactions { emoji count reacted } replies(first: $first, after: $after, last: $last, before: $before, orderBy: $o) { edges { cursor node { id body author { username } card { id } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }",
];

const VARIABLE_NAMES: &[&str] = &[
    "id", "first", "after", "last", "before", "f", "o", "input", "r", "all", "e",
];

/// Fields and values for literal arguments.
const LITERAL_FIELDS: &[&str] = &[
    "cards(first: {}) { nodes { id } }",
    "cards(last: {}) { totalCount }",
    "cards(after: {}) { nodes { id } }",
    "cards(filter: {}) { nodes { id } }",
    "cards(orderBy: {}) { nodes { id } }",
    "card(id: {}) { id }",
    "profiles(first: {}, filter: {username: {}}) { nodes { id } }",
    "user(id: {}) { id }",
];

const LITERALS: &[&str] = &[
    "99999999999999999999",
    "2147483648",
    "-2147483649",
    "-1",
    "1.5",
    "1e400",
    "\"x\"",
    "\"\\u0000\"",
    "\"\"\"block\"\"\"",
    "null",
    "true",
    "[1, 2]",
    "{a: 1}",
    "{search: \"%\", visibility: EVERYONE}",
    "{field: CREATED_AT, direction: SIDEWAYS}",
    "PUBLIC",
    "$undefined",
    "\"'; DROP TABLE cards; --\"",
];

/// Documents that trip validators.
const NASTY_DOCUMENTS: &[&str] = &[
    "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    "{ ...Nope }",
    "{ me @include(if: true) @skip(if: $x) { id } }",
    "{ me { id } } # \u{202e} comment",
    "\u{feff}{ __typename }",
    "{ __typename \u{0} }",
    "subscription { cardEvents { kind } }",
    "query A { __typename } query B { __typename }",
    "query A { __typename } query A { me { id } }",
    "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } }",
    "{ cards(first: 100) { nodes { owner { cards(first: 100) { nodes { owner { cards(first: 100) { nodes { id } } } } } } } } }",
    "{ me { id id id id id id id id id id } }",
    "mutation { __typename }",
    "",
    "   ",
    "{",
    "}}}}",
    "query($a: Int = \"x\") { cards(first: $a) { totalCount } }",
    "query($a: [[[[[[[[[[Int]]]]]]]]]]) { __typename }",
    "fragment F on Card { id } { cards { nodes { ...F ...F ...F } } }",
    "{ card(id: \"not-a-uuid\") { id } profile(id: \"\") { id } user(id: \"' OR 1=1\") { id } }",
];

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "!",
    "...",
    "@",
    "=",
    ",",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "me",
    "cards",
    "card",
    "profiles",
    "profile",
    "user",
    "nodes",
    "edges",
    "node",
    "id",
    "title",
    "owner",
    "first",
    "last",
    "after",
    "filter",
    "search",
    "__typename",
    "__schema",
    "types",
    "name",
    "createCard",
    "input",
    "login",
    "register",
    "\"str\"",
    "\"\\u0000\"",
    "\"\"\"block\"\"\"",
    "1",
    "-1",
    "99999999999999999999",
    "1.5e400",
    "true",
    "null",
    "PUBLIC",
    "#comment\n",
    "\n",
    " ",
    "include",
    "skip",
    "if",
    "totalCount",
    "pageInfo",
    "Int",
    "String",
    "ID",
];

const ACCEPTS: &[&str] = &[
    "",
    "application/json",
    "application/graphql-response+json",
    "application/graphql-response+json, application/json;q=0.9",
    "*/*",
];

#[derive(Clone, Debug)]
enum Shape {
    /// A generated document, variables and operation name.
    Doc {
        query: String,
        variables: Option<J>,
        operation: Option<J>,
    },
    /// A real operation with generated variables.
    Template { op: usize, variables: J },
    /// A real operation with chosen variables, and the code of its first
    /// error (`None`: it runs without errors).
    Checked {
        op: usize,
        variables: J,
        want: Option<&'static str>,
    },
    /// A real field with a literal argument.
    Literal { field: usize, value: String },
    /// `n` aliases of a cheap field.
    Aliases(usize),
    /// A selection `levels` levels of `cards { nodes { owner ... } }` deep.
    Depth(usize),
    /// A batch of `n` small operations.
    Batch(usize),
    /// `n` bytes of valid query text.
    Long(usize),
    /// A body that is not a GraphQL request: (content type, bytes).
    Raw(&'static str, Vec<u8>),
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    Valid,
    Bad(String),
}

#[derive(Clone, Debug)]
struct Case {
    shape: Shape,
    auth: Auth,
    accept: &'static str,
    get: bool,
}

fn token_soup() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            6 => select(TOKENS).prop_map(str::to_string),
            2 => "[a-zA-Z_][a-zA-Z0-9_]{0,10}",
            1 => strategies::nasty_string(),
        ],
        0..60,
    )
    .prop_map(|t| t.join(" "))
}

/// Input-object fields of the schema (filters, orders, inputs).
const INPUT_FIELDS: &[&str] = &[
    "search",
    "owner",
    "visibility",
    "username",
    "field",
    "direction",
    "title",
    "body",
    "displayName",
    "bio",
    "avatarUrl",
    "location",
    "website",
    "email",
    "password",
    "password1",
    "password2",
    "oldPassword",
    "newPassword1",
    "newPassword2",
];

/// An input object: known fields with scalars of any type, or nasty text.
fn input_object() -> impl Strategy<Value = J> {
    vec(
        (
            prop_oneof![
                4 => select(INPUT_FIELDS).prop_map(str::to_string),
                1 => strategies::key(),
            ],
            prop_oneof![
                2 => strategies::json_leaf(),
                2 => strategies::nasty_string().prop_map(J::Str),
                1 => select(&["PUBLIC", "PRIVATE", "CREATED_AT", "ASC", "DESC", "public"][..])
                    .prop_map(|s| J::Str(s.to_string())),
                1 => strategies::json_value(),
            ],
        ),
        0..4,
    )
    .prop_map(J::Obj)
}

fn variables(ids: Vec<String>) -> impl Strategy<Value = J> {
    vec(
        (
            prop_oneof![
                3 => select(VARIABLE_NAMES).prop_map(str::to_string),
                1 => strategies::key(),
            ],
            prop_oneof![
                2 => strategies::json_value(),
                2 => input_object(),
                1 => select(ids).prop_map(J::Str),
                1 => super::emoji::emoji().prop_map(|e| J::Str(e.text)),
            ],
        ),
        0..5,
    )
    .prop_map(J::Obj)
}

fn raw_body() -> impl Strategy<Value = Shape> {
    prop_oneof![
        // Not JSON at all, or broken JSON.
        2 => (
            select(&["application/json", "text/plain", "application/graphql", ""][..]),
            vec(any::<u8>(), 0..200),
        )
            .prop_map(|(ct, b)| Shape::Raw(ct, b)),
        2 => select(&[
            "{\"query\": ",
            "{\"query\": \"{ __typename }\"",
            "{\"query\": 5}",
            "{\"query\": null}",
            "{\"query\": [\"{ me { id } }\"]}",
            "{\"query\": \"{ __typename }\", \"variables\": \"x\"}",
            "{\"query\": \"{ __typename }\", \"variables\": [1]}",
            "{\"query\": \"{ __typename }\", \"operationName\": 5}",
            "{\"query\": \"{ __typename }\", \"query\": \"{ me { id } }\"}",
            "{\"query\": \"{ __typename }\", \"extensions\": {\"persistedQuery\": {\"version\": 1, \"sha256Hash\": \"x\"}}}",
            "{\"extensions\": {\"persistedQuery\": {\"version\": 99, \"sha256Hash\": \"' OR 1=1\"}}}",
            "[]",
            "[1, 2]",
            "5",
            "\"{ __typename }\"",
            "null",
            "",
        ][..])
        .prop_map(|t| Shape::Raw("application/json", t.as_bytes().to_vec())),
        // Valid JSON documents of any shape, deep ones included.
        2 => strategies::json_document().prop_map(|j| Shape::Raw("application/json", j.render().into_bytes())),
        // Not UTF-8.
        1 => (select(strategies::INVALID_UTF8), any::<u16>()).prop_map(|(bad, at)| {
            let mut text = b"{\"query\": \"{ card(id: \\\"x\\\") { id } }\"}".to_vec();
            let i = (at as usize * text.len()) / 65536;
            text.splice(i..i, bad.iter().copied());
            Shape::Raw("application/json", text)
        }),
        // Deeper than any parser's recursion limit.
        1 => (100usize..100_000).prop_map(|n| {
            Shape::Raw("application/json", format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes())
        }),
        // Over the body limit.
        1 => (1_048_600usize..2_100_000).prop_map(|n| {
            let body = json!({"query": format!("{{ __typename }} #{}", "x".repeat(n))});
            Shape::Raw("application/json", body.to_string().into_bytes())
        }),
    ]
}

/// `ids`: ids of the fixture's objects, as variable values.
fn strategy(ids: Vec<String>) -> impl Strategy<Value = Case> {
    let shape = prop_oneof![
        4 => (
            prop_oneof![
                3 => token_soup(),
                1 => select(NASTY_DOCUMENTS).prop_map(str::to_string),
            ],
            proptest::option::of(variables(ids.clone())),
            proptest::option::of(strategies::json_leaf()),
        )
            .prop_map(|(query, variables, operation)| Shape::Doc { query, variables, operation }),
        5 => (0..TEMPLATES.len(), variables(ids)).prop_map(|(op, variables)| Shape::Template { op, variables }),
        2 => (0..LITERAL_FIELDS.len(), select(LITERALS))
            .prop_map(|(field, value)| Shape::Literal { field, value: value.to_string() }),
        1 => prop_oneof![0usize..=100, 101usize..=300].prop_map(Shape::Aliases),
        1 => (1usize..=12).prop_map(Shape::Depth),
        1 => (0usize..=14).prop_map(Shape::Batch),
        1 => prop_oneof![1usize..100_000, 102_400usize..250_000].prop_map(Shape::Long),
        2 => raw_body(),
    ];
    let auth = prop_oneof![
        3 => Just(Auth::None),
        3 => Just(Auth::Valid),
        1 => select(&["Bearer x.y.z", "Bearer", "Basic abc", ""][..]).prop_map(|s| Auth::Bad(s.to_string())),
    ];
    (shape, auth, select(ACCEPTS), prop::bool::weighted(0.2)).prop_map(
        |(shape, auth, accept, get)| Case {
            shape,
            auth,
            accept,
            get,
        },
    )
}

/// The depth of the deepest field of a `Depth(levels)` selection: `me`, then
/// `cards nodes owner` per level, then `id`.
fn depth_of(levels: usize) -> usize {
    2 + 3 * levels
}

/// What the contract demands beyond the generic checks.
#[derive(Debug, PartialEq)]
enum Demand {
    Nothing,
    /// Refused before running: one of these codes, no `data` (or, over GET,
    /// a 405 for a mutation).
    Refused(Vec<&'static str>),
    /// Runs without errors.
    Clean,
    /// The first error carries this code.
    Code(&'static str),
}

/// The HTTP request of a case, and the demand on its answer.
fn build(case: &Case, token: &str) -> (Req, Demand) {
    let (body, mut demand): (Vec<u8>, Demand) = match &case.shape {
        Shape::Doc {
            query,
            variables,
            operation,
        } => {
            let mut text = format!("{{\"query\": {}", serde_json::to_string(query).unwrap());
            if let Some(v) = variables {
                text.push_str(&format!(", \"variables\": {}", v.render()));
            }
            if let Some(o) = operation {
                text.push_str(&format!(", \"operationName\": {}", o.render()));
            }
            text.push('}');
            (text.into_bytes(), Demand::Nothing)
        }
        Shape::Template { op, variables } => {
            let text = format!(
                "{{\"query\": {}, \"variables\": {}}}",
                serde_json::to_string(TEMPLATES[*op]).unwrap(),
                variables.render()
            );
            (text.into_bytes(), Demand::Nothing)
        }
        Shape::Checked {
            op,
            variables,
            want,
        } => {
            let text = format!(
                "{{\"query\": {}, \"variables\": {}}}",
                serde_json::to_string(TEMPLATES[*op]).unwrap(),
                variables.render()
            );
            let demand = match want {
                None => Demand::Clean,
                Some(code) => Demand::Code(code),
            };
            (text.into_bytes(), demand)
        }
        Shape::Literal { field, value } => {
            let q = format!("{{ {} }}", LITERAL_FIELDS[*field].replace("{}", value));
            (
                json!({"query": q}).to_string().into_bytes(),
                Demand::Nothing,
            )
        }
        Shape::Aliases(n) => {
            let fields: Vec<String> = (0..*n).map(|i| format!("a{i}: __typename")).collect();
            let q = format!("{{ __typename {} }}", fields.join(" "));
            let demand = if *n > 100 {
                Demand::Refused(vec!["QUERY_TOO_COMPLEX"])
            } else {
                Demand::Clean
            };
            (json!({"query": q}).to_string().into_bytes(), demand)
        }
        Shape::Depth(levels) => {
            let mut q = String::from("id");
            for _ in 0..*levels {
                q = format!("cards(first: 1) {{ nodes {{ owner {{ {q} }} }} }}");
            }
            let q = format!("{{ me {{ {q} }} }}");
            let d = depth_of(*levels);
            let demand = if d > 15 {
                Demand::Refused(vec!["QUERY_TOO_COMPLEX"])
            } else if d <= 14 {
                Demand::Clean
            } else {
                Demand::Nothing
            };
            (json!({"query": q}).to_string().into_bytes(), demand)
        }
        Shape::Batch(n) => {
            let ops: Vec<Value> = (0..*n)
                .map(|i| json!({"query": format!("{{ b{i}: __typename }}")}))
                .collect();
            let demand = if *n > 10 {
                Demand::Refused(vec!["QUERY_TOO_COMPLEX"])
            } else {
                Demand::Nothing
            };
            (Value::Array(ops).to_string().into_bytes(), demand)
        }
        Shape::Long(n) => {
            let q = format!("{{ __typename {}}}", "__typename ".repeat(n / 11));
            let demand = if q.len() > 100 * 1024 {
                Demand::Refused(vec!["QUERY_TOO_COMPLEX"])
            } else {
                Demand::Nothing
            };
            (json!({"query": q}).to_string().into_bytes(), demand)
        }
        Shape::Raw(_, bytes) => (bytes.clone(), Demand::Nothing),
    };
    let bad_auth = matches!(case.auth, Auth::Bad(_));
    let http_ok = !matches!(case.shape, Shape::Raw(..));
    let via_get = case.get && http_ok && body.len() < 4000;
    if via_get && matches!(case.shape, Shape::Batch(_)) {
        // GET has no batches: the list goes as (unparseable) query text.
        demand = Demand::Nothing;
    }
    // A bad token and a limit both refuse the request; either may speak first.
    if bad_auth && http_ok {
        demand = match demand {
            Demand::Refused(mut codes) => {
                codes.push("UNAUTHENTICATED");
                Demand::Refused(codes)
            }
            _ => Demand::Refused(vec!["UNAUTHENTICATED"]),
        };
    }
    // GET: the same request as query parameters (small ones only).
    let mut req = if via_get {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut params = Vec::new();
        if let Some(obj) = v.as_object() {
            for (k, val) in obj {
                let text = match val {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                params.push(format!("{k}={}", encode_query(&text)));
            }
        } else {
            // A batch over GET: not a thing; send the text as the query.
            params.push(format!(
                "query={}",
                encode_query(&String::from_utf8_lossy(&body))
            ));
        }
        Req::new(Method::GET, format!("/graphql?{}", params.join("&")))
    } else {
        let ct = match &case.shape {
            Shape::Raw(ct, _) => ct,
            _ => "application/json",
        };
        let mut r = Req::new(Method::POST, "/graphql");
        if !ct.is_empty() {
            r = r.content_type(ct);
        }
        r.payload = Payload::Bytes(body);
        r
    };
    if !case.accept.is_empty() {
        req = req.header("accept", HeaderValue::from_static(case.accept));
    }
    match &case.auth {
        Auth::None => {}
        Auth::Valid => req = req.bearer(token),
        Auth::Bad(h) => req = req.header("authorization", HeaderValue::from_str(h).unwrap()),
    }
    (req, demand)
}

/// One GraphQL response object: `data` or a non-empty `errors`, each error with
/// a message and a code that is not internal.
fn check_response(v: &Value, req: &Req, reply: &Reply) -> Check {
    let x = || exchange(req, reply);
    let Some(obj) = v.as_object() else {
        return Err(Violation::new("GraphQL response is not an object", x()));
    };
    ensure!(
        obj.contains_key("data") || obj.contains_key("errors"),
        "GraphQL response has neither data nor errors",
        "{}",
        x()
    );
    if let Some(errors) = obj.get("errors") {
        let list = errors.as_array().cloned().unwrap_or_default();
        ensure!(
            !list.is_empty(),
            "GraphQL errors is not a non-empty list",
            "{}",
            x()
        );
        for e in &list {
            ensure!(
                e["message"].is_string(),
                "a GraphQL error without a message",
                "{}",
                x()
            );
            let code = e["extensions"]["code"].as_str();
            ensure!(
                code.is_some(),
                "a GraphQL error without extensions.code",
                "{}",
                x()
            );
            ensure!(
                code != Some("INTERNAL_SERVER_ERROR"),
                "INTERNAL_SERVER_ERROR over GraphQL",
                "{}",
                x()
            );
        }
    }
    Ok(())
}

async fn run_case(cx: &Cx<'_>, token: &str, case: &Case) -> Check {
    let (req, demand) = build(case, token);
    let reply = cx.send(&req).await?;
    if reply.status == super::CUT_OFF {
        // An upload over the body limit, cut off by an early answer.
        return Ok(());
    }
    let x = || exchange(&req, &reply);
    let label = match &case.shape {
        Shape::Doc { .. } => "generated document",
        Shape::Template { .. } => "operation with generated variables",
        Shape::Checked { .. } => "operation with chosen variables",
        Shape::Literal { .. } => "literal argument",
        Shape::Aliases(_) => "aliases",
        Shape::Depth(_) => "deep selection",
        Shape::Batch(_) => "batch",
        Shape::Long(_) => "long query",
        Shape::Raw(..) => "malformed HTTP body",
    };
    let method = &req.method;
    ensure!(
        reply.status < 500,
        format!("{method} /graphql {label}: {} (5xx)", reply.status),
        "{}",
        x()
    );
    let Some(body) = reply.json.clone() else {
        return Err(Violation::new(
            format!(
                "{method} /graphql {label}: {} with a body that is not JSON",
                reply.status
            ),
            x(),
        ));
    };
    ensure!(
        reply.is_json_type(),
        format!(
            "{method} /graphql {label}: {} without a JSON content type",
            reply.status
        ),
        "{}",
        x()
    );
    // HTTP-level refusals may use the REST error shape.
    let rest_shaped = matches!(reply.status, 405 | 413 | 415)
        && body.get("detail").is_some_and(Value::is_string)
        && body.get("code").is_some_and(Value::is_string);
    if !rest_shaped {
        match &body {
            Value::Array(items) => {
                ensure!(
                    matches!(case.shape, Shape::Batch(_) | Shape::Raw(..)),
                    format!("{method} /graphql {label}: a list answers a single request"),
                    "{}",
                    x()
                );
                for item in items {
                    check_response(item, &req, &reply)?;
                }
            }
            other => check_response(other, &req, &reply).map_err(|v| {
                Violation::new(format!("{method} /graphql {label}: {}", v.kind), v.detail)
            })?,
        }
    }
    match demand {
        Demand::Nothing => {}
        Demand::Refused(codes) => {
            let first = body["errors"][0]["extensions"]["code"].as_str();
            let get_mutation = *method == Method::GET && reply.status == 405;
            ensure!(
                get_mutation
                    || (first.is_some_and(|c| codes.contains(&c)) && body.get("data").is_none()),
                format!(
                    "{method} /graphql {label}: not refused with {} and no data",
                    codes.join(" or ")
                ),
                "{}",
                x()
            );
        }
        Demand::Clean => {
            ensure!(
                reply.status == 200 && body.get("errors").is_none() && body["data"].is_object(),
                format!("{method} /graphql {label}: an acceptable query fails"),
                "{}",
                x()
            );
        }
        Demand::Code(code) => {
            let first = body["errors"][0]["extensions"]["code"].as_str();
            ensure!(
                first == Some(code),
                format!("{method} /graphql {label}: not {code}"),
                "{}",
                x()
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_survives_generated_documents() {
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    let a = app.register(&unique("fuzz_g")).await;
    let b = app.register(&unique("fuzz_h")).await;
    let card = app.card(&a.access, "fuzz card", "public").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.create_profile(&a.access, json!({"bio": "fuzz"})).await;
    let reply = app
        .post(
            &format!("/api/cards/{card}/replies/"),
            json!({"body": "fuzz reply"}),
            Some(&a.access),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut fuzz = Fuzz::new("graphql");
    let ids = vec![card.clone(), reply.clone(), a.id.clone()];
    let (cx_ref, token) = (&cx, a.access.as_str());
    // Before the generated cases, which may delete the reply.
    conversation_cases(&cx, &mut fuzz, token, &b.access, &card, &reply).await;
    fuzz.run(fuzz_cases(), strategy(ids), move |case| async move {
        run_case(cx_ref, token, &case).await
    })
    .await;
    // Fixed cases: each refusal once, and NUL in every free-text filter,
    // whatever the draw.
    for (op, variables) in [
        (1, r#"{"f": {"search": "\u0000"}}"#),
        (1, r#"{"f": {"search": "a\u0000b %_"}}"#),
        (2, r#"{"f": {"search": "\u0000"}}"#),
        (2, r#"{"f": {"username": "\u0000"}}"#),
        (3, r#"{"input": {"title": "nul\u0000"}}"#),
        (1, r#"{"first": 99999999999999999999}"#),
        (1, r#"{"first": -1}"#),
    ] {
        // `J::Num` is written as is: here, hand-built JSON text.
        let variables = J::Num(variables.to_string());
        let case = Case {
            shape: Shape::Template { op, variables },
            auth: Auth::Valid,
            accept: "",
            get: false,
        };
        let outcome = run_case(&cx, token, &case).await;
        fuzz.fixed(&case, outcome);
    }
    for shape in [
        Shape::Aliases(101),
        Shape::Depth(5),
        Shape::Batch(11),
        Shape::Long(110 * 1024),
        Shape::Raw("application/json", b"{\"query\": ".to_vec()),
        Shape::Raw("text/plain", b"{ __typename }".to_vec()),
    ] {
        let case = Case {
            shape,
            auth: Auth::None,
            accept: "",
            get: false,
        };
        let outcome = run_case(&cx, token, &case).await;
        fuzz.fixed(&case, outcome);
    }
    let still = cx
        .send(
            &Req::new(Method::POST, "/graphql")
                .bearer(token)
                .json(&json!({"query": "{ me { id } }"})),
        )
        .await;
    fuzz.fixed(
        "{ me { id } } after the run",
        still.and_then(|r| {
            if r.json
                .as_ref()
                .is_some_and(|b| b["data"]["me"]["id"] == a.id.as_str())
            {
                Ok(())
            } else {
                Err(Violation::new("the session broke", format!("{r:?}")))
            }
        }),
    );
    fuzz.finish(&cx);
}

/// The conversation mutations once each with chosen variables, and the code
/// the contract gives them (`None`: no error). `other`: a second user's token.
async fn conversation_cases(
    cx: &Cx<'_>,
    fuzz: &mut Fuzz,
    token: &str,
    other: &str,
    card: &str,
    reply: &str,
) {
    let (create, update, delete, add, remove, thread) = (12, 13, 14, 15, 16, 17);
    assert!(TEMPLATES[create].contains("createReply") && TEMPLATES[thread].contains("replies("));
    let nowhere = uuid::Uuid::now_v7().to_string();
    let bad = Some("BAD_USER_INPUT");
    let cases: Vec<(Option<&str>, usize, Value, Option<&'static str>)> = vec![
        (Some(token), add, json!({"id": card, "e": "👍🏽"}), None),
        (Some(token), add, json!({"id": card, "e": "👍🏽"}), None),
        (Some(token), add, json!({"id": card, "e": "👩‍💻"}), None),
        (Some(token), add, json!({"id": card, "e": "👨‍👩‍👧"}), bad),
        (Some(token), add, json!({"id": card, "e": "👍 "}), bad),
        (Some(token), add, json!({"id": card, "e": "👍👍"}), bad),
        (Some(token), add, json!({"id": card, "e": ""}), bad),
        (Some(token), add, json!({"id": card, "e": null}), bad),
        (
            None,
            add,
            json!({"id": card, "e": "🇫🇷"}),
            Some("UNAUTHENTICATED"),
        ),
        (
            Some(token),
            add,
            json!({"id": nowhere, "e": "👍"}),
            Some("NOT_FOUND"),
        ),
        (
            Some(token),
            add,
            json!({"id": "not-a-uuid", "e": "👍"}),
            Some("NOT_FOUND"),
        ),
        (Some(token), remove, json!({"id": card, "e": "👍🏽"}), None),
        (Some(token), remove, json!({"id": card, "e": "🎉"}), None),
        (Some(token), remove, json!({"id": card, "e": "ab"}), bad),
        (
            None,
            remove,
            json!({"id": card, "e": "👍"}),
            Some("UNAUTHENTICATED"),
        ),
        (
            Some(token),
            create,
            json!({"id": card, "input": {"body": "  hi  "}}),
            None,
        ),
        (
            Some(token),
            create,
            json!({"id": card, "input": {"body": null}}),
            bad,
        ),
        (
            Some(token),
            create,
            json!({"id": card, "input": {"body": " \t "}}),
            bad,
        ),
        (
            Some(token),
            create,
            json!({"id": card, "input": {"body": "x".repeat(2001)}}),
            bad,
        ),
        (
            None,
            create,
            json!({"id": card, "input": {"body": "x"}}),
            Some("UNAUTHENTICATED"),
        ),
        (
            Some(token),
            create,
            json!({"id": nowhere, "input": {"body": "x"}}),
            Some("NOT_FOUND"),
        ),
        (
            Some(token),
            update,
            json!({"id": reply, "input": {"body": "edited"}}),
            None,
        ),
        (
            Some(token),
            update,
            json!({"id": reply, "input": {"body": null}}),
            bad,
        ),
        (
            Some(other),
            update,
            json!({"id": reply, "input": {"body": "x"}}),
            Some("FORBIDDEN"),
        ),
        (
            Some(token),
            update,
            json!({"id": "nope", "input": {}}),
            Some("NOT_FOUND"),
        ),
        (Some(token), thread, json!({"id": card, "first": 2}), None),
        (
            Some(token),
            delete,
            json!({"id": "nope"}),
            Some("NOT_FOUND"),
        ),
        (None, delete, json!({"id": reply}), Some("UNAUTHENTICATED")),
        (Some(other), delete, json!({"id": reply}), Some("FORBIDDEN")),
        (Some(token), delete, json!({"id": reply}), None),
        (Some(token), delete, json!({"id": reply}), Some("NOT_FOUND")),
    ];
    for (who, op, variables, want) in cases {
        let case = Case {
            shape: Shape::Checked {
                op,
                variables: J::Num(variables.to_string()),
                want,
            },
            auth: if who.is_some() {
                Auth::Valid
            } else {
                Auth::None
            },
            accept: "",
            get: false,
        };
        let outcome = run_case(cx, who.unwrap_or(token), &case).await;
        fuzz.fixed(&case, outcome);
    }
}
