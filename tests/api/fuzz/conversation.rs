//! Conversations: replies and reactions through both doors, against a model of
//! what the server holds. Three users (two plain, one staff) and anonymous
//! callers reply, edit, delete, list threads, react and take reactions back on
//! five cards (public and private, of each user), flip a card's visibility and
//! delete cards (a deleted card is replaced by a new one) — over REST or
//! GraphQL, with generated reply bodies (padding, NUL, blank, around 2000
//! characters, null, missing, wrong types) and emoji (multi-code-point
//! clusters, flags, ZWJ sequences over 16 bytes, two clusters, whitespace,
//! controls, bytes that are not UTF-8 in the path).
//!
//! The oracle, for every request: the status and body the contract gives it —
//! 401 for anonymous writes, 404 for a card the caller may not read, for a
//! reply under another card's path or gone, and for ids that are not UUIDs,
//! 403 for an edit by anyone but the author or staff and a delete by anyone but
//! the author, the card's owner or staff, 400 with exactly the field and the
//! message (DRF's wording) for a bad body or emoji; where two refusals apply,
//! either. Successes are compared with the model: a reply's fields (body
//! trimmed, author, card), `Location`, a thread's pages in order both ways
//! (`next` and `previous`, `ordering`, `page_size`), 201 for a new reaction and
//! 200 for an existing one with the emoji's count, 204 for a removal (also of
//! nothing), and every card's `reply_count`/`replyCount` and `reactions` (counts,
//! `reacted` for the caller, most used first then by code points). GraphQL
//! errors carry the REST map under `extensions.fields`.

mod gql;
mod model;
mod rest;

use proptest::{prelude::*, sample::select};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use self::model::{CardM, Model, User, Who};
use super::{Check, Cx, Fuzz, Violation, emoji, fuzz_cases, strategies::nasty_string};
use crate::helpers::{TestApp, unique};

/// Which card a request names.
#[derive(Clone, Debug)]
pub enum CardSel {
    /// One of the model's cards.
    Slot(u8),
    /// A deleted card.
    Gone(u8),
    Random(u128),
    NotUuid(String),
}

/// Which reply a request names.
#[derive(Clone, Debug)]
pub enum ReplySel {
    /// One of the thread's replies.
    Index(u8),
    /// A reply of another card.
    Elsewhere(u8),
    /// A deleted reply.
    Gone(u8),
    Random(u128),
    NotUuid(String),
}

/// A reply body as sent.
#[derive(Clone, Debug)]
pub enum Text {
    Str(String),
    Null,
    Missing,
    /// A value that is not a string.
    Wrong(Value),
}

/// An emoji as sent.
#[derive(Clone, Debug)]
pub enum EmojiIn {
    Str(emoji::Emoji),
    Null,
    Missing,
    Wrong(Value),
    /// A percent-encoded path segment that is not UTF-8 (REST `DELETE`);
    /// elsewhere sent as this text.
    RawPath(&'static str),
}

/// The size and order of a thread's pages.
#[derive(Clone, Debug)]
pub enum PageSize {
    Default,
    N(u8),
    /// Over the maximum: clamped to 100.
    Huge,
    /// Refused (400 naming `page_size`); GraphQL: the default.
    Bad(&'static str),
}

#[derive(Clone, Debug)]
pub enum Order {
    Default,
    Asc,
    Desc,
    /// Refused (400 naming `ordering`); GraphQL: the default.
    Bad(&'static str),
}

#[derive(Clone, Debug)]
pub enum Op {
    CreateReply(Text),
    /// REST only (GraphQL reads replies through their card).
    GetReply(ReplySel),
    UpdateReply {
        reply: ReplySel,
        /// PUT (REST; GraphQL edits are partial).
        full: bool,
        body: Text,
    },
    DeleteReply(ReplySel),
    ListReplies {
        size: PageSize,
        order: Order,
        /// Also walk back from the last page with `previous` (REST) / `last`
        /// and `before` (GraphQL).
        back: bool,
    },
    AddReaction(EmojiIn),
    RemoveReaction(EmojiIn),
    ReadCard,
    ListCards,
    SetVisibility(bool),
    DeleteCard,
    /// That many replies in a row (threads long enough for many pages).
    Burst(u8),
}

#[derive(Clone, Debug)]
pub struct Case {
    pub who: Who,
    pub gql: bool,
    pub card: CardSel,
    pub op: Op,
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Whitespace every trimming agrees on (as in the verbatim test).
const PADDING: &[&str] = &[
    "", "", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2003}", " \u{85}",
];

/// Values of the wrong JSON type for a text field.
const WRONG: &[&str] = &[
    "5",
    "-0",
    "1.5",
    "true",
    "false",
    "[]",
    "[\"x\"]",
    "{}",
    "{\"a\": 1}",
];

fn wrong() -> impl Strategy<Value = Value> + Clone {
    select(WRONG).prop_map(|t| serde_json::from_str(t).unwrap())
}

fn not_uuid() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        "[a-zA-Z0-9]{1,40}",
        select(
            &[
                "not-a-uuid",
                "00000000-0000-0000-0000-00000000000g",
                "0",
                "-1",
                "' OR 1=1 --",
                "%00",
                "01a20e0e-3d1f-776e-8d29-9797dbf5b415x",
                "{}",
            ][..]
        )
        .prop_map(str::to_string),
        nasty_string(),
    ]
    .prop_filter("a path segment that names an item", |s| {
        !s.is_empty() && s != "stream" && !s.chars().all(|c| c == '.')
    })
}

fn body_core() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => "[a-zA-Z0-9 ,.!?'-]{1,40}",
        3 => nasty_string(),
        2 => (select(&["x", "é", "😀", " a"][..]), 1990usize..2010).prop_map(|(u, n)| u.repeat(n)),
        1 => select(&["", "   ", "\u{0}", "a\u{0}b", "\t\n", "\u{200b}"][..]).prop_map(str::to_string),
    ]
}

fn text() -> impl Strategy<Value = Text> + Clone {
    prop_oneof![
        8 => (select(PADDING), body_core(), select(PADDING)).prop_map(|(l, c, r)| {
            // U+001C..U+001F: whitespace to Python, not to Unicode (left out).
            let s: String = format!("{l}{c}{r}")
                .chars()
                .map(|c| if ('\u{1c}'..='\u{1f}').contains(&c) { '?' } else { c })
                .collect();
            Text::Str(s)
        }),
        1 => Just(Text::Null),
        1 => Just(Text::Missing),
        1 => wrong().prop_map(Text::Wrong),
    ]
}

fn emoji_in() -> impl Strategy<Value = EmojiIn> + Clone {
    prop_oneof![
        12 => emoji::emoji().prop_map(EmojiIn::Str),
        1 => Just(EmojiIn::Null),
        1 => Just(EmojiIn::Missing),
        1 => wrong().prop_map(EmojiIn::Wrong),
        1 => select(&["%FF", "%C3", "%E2%82", "%ED%A0%80", "%F0%9F%91", "%C0%AF", "%F0%9F%91%8D%FF"][..])
            .prop_map(EmojiIn::RawPath),
    ]
}

fn reply_sel() -> impl Strategy<Value = ReplySel> + Clone {
    prop_oneof![
        8 => any::<u8>().prop_map(ReplySel::Index),
        2 => any::<u8>().prop_map(ReplySel::Elsewhere),
        1 => any::<u8>().prop_map(ReplySel::Gone),
        1 => any::<u128>().prop_map(ReplySel::Random),
        1 => not_uuid().prop_map(ReplySel::NotUuid),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![
        2 => Just(PageSize::Default),
        4 => (1u8..=7).prop_map(PageSize::N),
        1 => Just(PageSize::Huge),
        1 => select(&["0", "-1", "abc", "1e3x"][..]).prop_map(PageSize::Bad),
    ];
    let order = prop_oneof![
        2 => Just(Order::Default),
        2 => Just(Order::Asc),
        2 => Just(Order::Desc),
        1 => select(&["title", "created", "--created_at", "id"][..]).prop_map(Order::Bad),
    ];
    prop_oneof![
        12 => text().prop_map(Op::CreateReply),
        5 => reply_sel().prop_map(Op::GetReply),
        7 => (reply_sel(), any::<bool>(), text())
            .prop_map(|(reply, full, body)| Op::UpdateReply { reply, full, body }),
        4 => reply_sel().prop_map(Op::DeleteReply),
        7 => (size, order, any::<bool>())
            .prop_map(|(size, order, back)| Op::ListReplies { size, order, back }),
        12 => emoji_in().prop_map(Op::AddReaction),
        7 => emoji_in().prop_map(Op::RemoveReaction),
        4 => Just(Op::ReadCard),
        2 => Just(Op::ListCards),
        2 => any::<bool>().prop_map(Op::SetVisibility),
        1 => Just(Op::DeleteCard),
        1 => (2u8..=25).prop_map(Op::Burst),
    ]
}

fn strategy() -> impl Strategy<Value = Case> {
    let who = prop_oneof![
        3 => Just(Who::A),
        3 => Just(Who::B),
        1 => Just(Who::Staff),
        2 => Just(Who::Anon),
    ];
    let card = prop_oneof![
        12 => any::<u8>().prop_map(CardSel::Slot),
        1 => any::<u8>().prop_map(CardSel::Gone),
        1 => any::<u128>().prop_map(CardSel::Random),
        1 => not_uuid().prop_map(CardSel::NotUuid),
    ];
    (who, prop::bool::weighted(0.35), card, op()).prop_map(|(who, gql, card, op)| Case {
        who,
        gql,
        card,
        op,
    })
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

pub struct Env<'a> {
    pub cx: &'a Cx<'a>,
    pub model: Mutex<Model>,
    /// Cases per operation and door, for the closing line.
    pub ran: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

/// The outcome allowed when exactly these refusals apply (none: success).
pub fn label(fails: &[model::Fail]) -> String {
    if fails.is_empty() {
        return "success".into();
    }
    let names: Vec<String> = fails
        .iter()
        .map(|f| match f {
            model::Fail::Unauth => "401".to_string(),
            model::Fail::NotFound => "404".to_string(),
            model::Fail::Forbidden => "403".to_string(),
            model::Fail::Invalid(field, _) => format!("400 on {field}"),
            model::Fail::Params(p) => format!("400 on {}", p.join("+")),
            model::Fail::Refused => "refused while validating".to_string(),
        })
        .collect();
    names.join(" or ")
}

/// A short name of an operation, for grouping violations.
pub fn op_name(op: &Op) -> &'static str {
    match op {
        Op::CreateReply(_) => "create reply",
        Op::GetReply(_) => "get reply",
        Op::UpdateReply { full: true, .. } => "put reply",
        Op::UpdateReply { .. } => "patch reply",
        Op::DeleteReply(_) => "delete reply",
        Op::ListReplies { .. } => "list replies",
        Op::AddReaction(_) => "add reaction",
        Op::RemoveReaction(_) => "remove reaction",
        Op::ReadCard => "read card",
        Op::ListCards => "list cards",
        Op::SetVisibility(_) => "set visibility",
        Op::DeleteCard => "delete card",
        Op::Burst(_) => "create replies",
    }
}

async fn run_case(env: &Env<'_>, case: &Case) -> Check {
    let door = if case.gql && !matches!(case.op, Op::GetReply(_)) {
        "GraphQL"
    } else {
        "REST"
    };
    *env.ran
        .lock()
        .unwrap()
        .entry(format!("{} ({door})", op_name(&case.op)))
        .or_default() += 1;
    let mut model = env.model.lock().await;
    if let Op::Burst(n) = case.op {
        for i in 0..n {
            let one = Case {
                op: Op::CreateReply(Text::Str(format!("reply {i} of {n}"))),
                ..case.clone()
            };
            let check = if case.gql {
                gql::run(env.cx, &mut model, &one).await
            } else {
                rest::run(env.cx, &mut model, &one).await
            };
            check?;
        }
        return Ok(());
    }
    if case.gql && !matches!(case.op, Op::GetReply(_)) {
        gql::run(env.cx, &mut model, case).await
    } else {
        rest::run(env.cx, &mut model, case).await
    }
}

/// A new card of `users[owner]` (REST), for the model's slot.
pub async fn new_card(
    cx: &Cx<'_>,
    users: &[User],
    owner: usize,
    private: bool,
) -> Result<CardM, Violation> {
    let user = &users[owner];
    let visibility = if private { "private" } else { "public" };
    let req = super::Req::new(reqwest::Method::POST, "/api/cards/")
        .bearer(&user.token)
        .json(&json!({"title": format!("{}'s card", user.name), "visibility": visibility}));
    let reply = cx.send(&req).await?;
    let Some(id) = reply.json.as_ref().and_then(|b| b["id"].as_str()) else {
        return Err(Violation::new(
            "cannot create a card for the model",
            super::exchange(&req, &reply),
        ));
    };
    Ok(CardM {
        id: id.to_string(),
        owner,
        private,
        replies: Vec::new(),
        reactions: Default::default(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_follow_the_model() {
    emoji::self_check();
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    let a = app.register(&unique("conv_a")).await;
    let b = app.register(&unique("conv_b")).await;
    let s = app.register_staff("conv_s").await;
    let users: Vec<User> = [(a, false), (b, false), (s, true)]
        .into_iter()
        .map(|(acc, staff)| User {
            name: acc.username,
            id: acc.id,
            token: acc.access,
            staff,
        })
        .collect();
    let mut cards = Vec::new();
    for (owner, private) in [(0, false), (0, true), (1, false), (1, true), (2, false)] {
        cards.push(
            new_card(&cx, &users, owner, private)
                .await
                .expect("the model's cards"),
        );
    }
    let env = Env {
        cx: &cx,
        model: Mutex::new(Model {
            users,
            cards,
            gone_cards: Vec::new(),
            gone_replies: Vec::new(),
        }),
        ran: Default::default(),
    };
    let mut fuzz = Fuzz::new("conversation");
    // Each operation once through each door, whatever the draw.
    for (i, op) in fixed_ops().into_iter().enumerate() {
        for gql in [false, true] {
            let case = Case {
                who: [Who::A, Who::B, Who::Staff, Who::A, Who::B, Who::Anon][i % 6],
                gql,
                card: CardSel::Slot(i as u8),
                op: op.clone(),
            };
            let outcome = run_case(&env, &case).await;
            fuzz.fixed(&case, outcome);
        }
    }
    let env_ref = &env;
    fuzz.run(fuzz_cases(), strategy(), move |case| async move {
        run_case(env_ref, &case).await
    })
    .await;
    // At the end, every card as each user sees it.
    for who in [Who::A, Who::B, Who::Staff, Who::Anon] {
        for gql in [false, true] {
            let case = Case {
                who,
                gql,
                card: CardSel::Slot(0),
                op: Op::ListCards,
            };
            let outcome = run_case(&env, &case).await;
            fuzz.fixed(&case, outcome);
        }
    }
    let ran: Vec<String> = env
        .ran
        .lock()
        .unwrap()
        .iter()
        .map(|(op, n)| format!("{op}×{n}"))
        .collect();
    println!("fuzz conversation cases: {}", ran.join(", "));
    fuzz.finish(&cx);
}

/// One of each kind of operation, with the interesting inputs.
fn fixed_ops() -> Vec<Op> {
    let e = |s: &str| {
        EmojiIn::Str(emoji::Emoji {
            text: s.to_string(),
            verdict: emoji::verdict(s),
        })
    };
    let mut ops = vec![
        Op::CreateReply(Text::Str("  first  ".into())),
        Op::CreateReply(Text::Str("x".repeat(2000))),
        Op::CreateReply(Text::Str("é".repeat(2001))),
        Op::CreateReply(Text::Str(" \u{0} ".into())),
        Op::CreateReply(Text::Str(" \t ".into())),
        Op::CreateReply(Text::Null),
        Op::CreateReply(Text::Missing),
        Op::CreateReply(Text::Wrong(json!(5))),
        Op::GetReply(ReplySel::Index(0)),
        Op::GetReply(ReplySel::Elsewhere(0)),
        Op::UpdateReply {
            reply: ReplySel::Index(0),
            full: true,
            body: Text::Missing,
        },
        Op::UpdateReply {
            reply: ReplySel::Index(0),
            full: false,
            body: Text::Missing,
        },
        Op::UpdateReply {
            reply: ReplySel::Index(0),
            full: false,
            body: Text::Null,
        },
        Op::ListReplies {
            size: PageSize::N(1),
            order: Order::Desc,
            back: true,
        },
        Op::ListReplies {
            size: PageSize::Bad("0"),
            order: Order::Bad("title"),
            back: false,
        },
        Op::RemoveReaction(EmojiIn::RawPath("%FF")),
        Op::RemoveReaction(e("👍")),
        Op::ReadCard,
        Op::ListCards,
    ];
    for s in emoji::VALID.iter().chain(emoji::INVALID) {
        ops.push(Op::AddReaction(e(s)));
    }
    ops.extend([
        Op::AddReaction(EmojiIn::Null),
        Op::AddReaction(EmojiIn::Missing),
        Op::AddReaction(EmojiIn::Wrong(json!(["👍"]))),
        Op::AddReaction(EmojiIn::Wrong(json!(1))),
        Op::RemoveReaction(e("👨‍👩‍👧")),
        Op::DeleteReply(ReplySel::Index(1)),
    ]);
    ops
}
