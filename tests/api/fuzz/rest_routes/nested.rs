//! The routes under a card: its thread (`/api/cards/{card_id}/replies/` and
//! `.../replies/{id}/`) and its reactions (`.../reactions/` and
//! `.../reactions/{emoji}/`). The card is the case's target; the reply is one
//! of the fixture's (the caller's or another user's on that card, one of
//! another card, a random or malformed id); the path emoji is a generated one
//! with its verdict, or percent-escapes that are not UTF-8.
//!
//! What the contract gives them: a thread or reaction is readable exactly when
//! its card is (404 otherwise, and for a reply under another card's path);
//! anonymous writes are 401; a reply is edited by its author and deleted by
//! its author or the card's owner (403 for others); a reply body is 1–2000
//! characters once trimmed, without NUL; an emoji is one grapheme cluster of
//! at most 16 bytes without whitespace or control characters (400 naming
//! `emoji` otherwise, in the path too — a path segment that does not decode
//! to text may also be 404); a reaction is 201 when new, 200 when it was
//! there; removing one is 204, also when there was none. Every card body
//! holds `reply_count` and well-ordered `reactions`.

use proptest::{prelude::*, sample::select};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Allowed, Auth, Body, Case, Fixture, Kind, Route, Target, coded, field, not_uuid, st};
use crate::fuzz::{
    Check, Cx, Reply, Req, Violation,
    emoji::{self, Emoji, Verdict},
    encode_segment, exchange,
    strategies::J,
};

/// Which reply a nested item route names.
#[derive(Clone, Debug)]
pub enum ReplySel {
    /// The caller's reply on the target card.
    Mine,
    /// The other user's reply on the target card.
    Theirs,
    /// A reply of another card.
    Elsewhere,
    Random(String),
    NotUuid(String),
}

/// The emoji of a `DELETE .../reactions/{emoji}/` path.
#[derive(Clone, Debug)]
pub enum PathEmoji {
    Text(Emoji),
    /// Percent-escapes as sent (not UTF-8 once decoded).
    Raw(&'static str),
}

#[derive(Clone, Debug)]
pub struct Nested {
    pub reply: ReplySel,
    pub emoji: PathEmoji,
}

impl Default for Nested {
    fn default() -> Self {
        Nested {
            reply: ReplySel::Mine,
            emoji: PathEmoji::Text(Emoji {
                text: "👍".into(),
                verdict: Verdict::Valid,
            }),
        }
    }
}

/// Percent-escapes that do not decode to UTF-8.
pub const NOT_UTF8: &[&str] = &["%FF", "%C3", "%E2%82", "%ED%A0%80", "%F0%9F%91", "%C0%AF"];

pub fn nested() -> impl Strategy<Value = Nested> {
    let reply = prop_oneof![
        4 => Just(ReplySel::Mine),
        3 => Just(ReplySel::Theirs),
        1 => Just(ReplySel::Elsewhere),
        1 => any::<u128>().prop_map(|n| ReplySel::Random(uuid::Uuid::from_u128(n).to_string())),
        1 => not_uuid().prop_map(ReplySel::NotUuid),
    ];
    let emoji = prop_oneof![
        8 => emoji::emoji().prop_map(PathEmoji::Text),
        1 => select(NOT_UTF8).prop_map(PathEmoji::Raw),
    ];
    (reply, emoji).prop_map(|(reply, emoji)| Nested { reply, emoji })
}

/// The two fixture replies of one card (`None`: there is none now).
#[derive(Clone, Debug, Default)]
pub struct Thread {
    /// By the fixture's user (A).
    pub mine: Option<String>,
    /// By the other user (B).
    pub theirs: Option<String>,
    /// Both users have reacted to the card (so that card bodies have
    /// summaries to sort).
    pub reacted: bool,
}

/// The fixture's replies on A's card, B's public card and B's private one
/// (where A cannot reply).
#[derive(Clone, Debug, Default)]
pub struct Threads {
    pub own: Thread,
    pub other: Thread,
    pub private: Thread,
}

impl Threads {
    fn of(&self, target: &Target) -> Option<&Thread> {
        match target {
            Target::Own => Some(&self.own),
            Target::OtherPublic => Some(&self.other),
            Target::OtherPrivate => Some(&self.private),
            _ => None,
        }
    }

    fn of_mut(&mut self, target: &Target) -> Option<&mut Thread> {
        match target {
            Target::Own => Some(&mut self.own),
            Target::OtherPublic => Some(&mut self.other),
            Target::OtherPrivate => Some(&mut self.private),
            _ => None,
        }
    }
}

/// How the named reply stands to the target card.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rel {
    Mine,
    Theirs,
    /// Not a reply of this card (another card's, gone, or no id at all).
    Absent,
}

fn reply_of(case: &Case, fx: &Fixture) -> (String, Rel) {
    let random = || (uuid::Uuid::from_u128(7).to_string(), Rel::Absent);
    let elsewhere = || {
        let t = &fx.threads;
        let pool: Vec<&String> = match case.target {
            Target::Own => [&t.other.theirs, &t.private.theirs, &t.other.mine],
            Target::OtherPublic => [&t.own.mine, &t.private.theirs, &t.own.theirs],
            _ => [&t.own.mine, &t.other.theirs, &t.own.theirs],
        }
        .into_iter()
        .flatten()
        .collect();
        pool.first()
            .map_or_else(random, |id| (id.to_string(), Rel::Absent))
    };
    let Some(thread) = fx.threads.of(&case.target) else {
        return match &case.nested.reply {
            ReplySel::Random(id) => (id.clone(), Rel::Absent),
            ReplySel::NotUuid(s) => (encode_segment(s), Rel::Absent),
            _ => elsewhere(),
        };
    };
    match &case.nested.reply {
        ReplySel::Mine => thread
            .mine
            .clone()
            .map_or_else(random, |id| (id, Rel::Mine)),
        ReplySel::Theirs => thread
            .theirs
            .clone()
            .map_or_else(random, |id| (id, Rel::Theirs)),
        ReplySel::Elsewhere => elsewhere(),
        ReplySel::Random(id) => (id.clone(), Rel::Absent),
        ReplySel::NotUuid(s) => (encode_segment(s), Rel::Absent),
    }
}

fn path_emoji(case: &Case) -> (String, Verdict) {
    match &case.nested.emoji {
        PathEmoji::Raw(raw) => (raw.to_string(), Verdict::Invalid(vec![])),
        // An empty segment would name another route.
        PathEmoji::Text(e) if e.text.is_empty() => {
            ("%20".into(), Verdict::Invalid(vec![emoji::NOT_ONE_EMOJI]))
        }
        PathEmoji::Text(e) => (encode_segment(&e.text), e.verdict.clone()),
    }
}

/// The path of a case on a route under a card.
pub fn path(case: &Case, route: &Route, fx: &Fixture, card: &str) -> String {
    let mut path = route.template.replace("{card_id}", card);
    if path.contains("{id}") {
        path = path.replace("{id}", &reply_of(case, fx).0);
    }
    if path.contains("{emoji}") {
        path = path.replace("{emoji}", &path_emoji(case).0);
    }
    path
}

/// What a text field of the body holds, when the class of the body left it
/// to the route: absent, a string, or anything else (null).
enum TextField {
    Absent,
    Text(String),
    Other,
    Unknown,
}

fn text_field(body: &Body, name: &str) -> TextField {
    match body {
        Body::Json {
            doc: J::Obj(pairs), ..
        } => match pairs.iter().rev().find(|(k, _)| k == name) {
            None => TextField::Absent,
            Some((_, v)) => v.text().map_or(TextField::Other, TextField::Text),
        },
        Body::Huge {
            field, len, unit, ..
        } if field == name => TextField::Text(unit.repeat(len / unit.len())),
        Body::Huge { .. } => TextField::Absent,
        _ => TextField::Unknown,
    }
}

/// Is a reply body good (`None`: the route cannot tell from the case)?
fn body_ok(case: &Case, required: bool) -> Option<bool> {
    match text_field(&case.body, "body") {
        TextField::Absent => Some(!required),
        TextField::Text(t) => {
            let trimmed = t.trim();
            Some(!t.contains('\0') && !trimmed.is_empty() && trimmed.chars().count() <= 2000)
        }
        TextField::Other => Some(false),
        TextField::Unknown => None,
    }
}

fn emoji_ok(case: &Case) -> Option<bool> {
    match text_field(&case.body, "emoji") {
        TextField::Absent | TextField::Other => Some(false),
        TextField::Text(t) => Some(emoji::verdict(&t) == Verdict::Valid),
        TextField::Unknown => None,
    }
}

/// The outcomes of a well-formed request (or one without a body) on a route
/// under a card.
pub fn semantic(kind: Kind, case: &Case, fx: &Fixture) -> Vec<Allowed> {
    let signed_in = matches!(case.auth, Auth::Valid);
    let m = case.method.as_str();
    let readable = match case.target {
        Target::Own => signed_in || fx.card_public,
        Target::OtherPublic => true,
        _ => false,
    };
    let not_found = coded(404, "not_found");
    let anon = coded(401, "not_authenticated");
    let emoji_field = field("emoji");
    // Either refusal may come first where two apply.
    let gate = |mut v: Vec<Allowed>, valid: Option<bool>, bad: Allowed| {
        if !signed_in {
            let mut g = vec![anon.clone()];
            if !readable {
                g.push(not_found.clone());
            }
            if valid != Some(true) {
                g.push(bad);
            }
            return g;
        }
        if !readable {
            v = vec![not_found.clone()];
            if valid != Some(true) {
                v.push(bad);
            }
        }
        v
    };
    match (kind, m) {
        (Kind::ReplyList, "GET") => vec![if readable { st(200) } else { not_found }],
        (Kind::ReplyList, _) => {
            let ok = body_ok(case, true);
            let v = match ok {
                Some(true) => vec![st(201)],
                Some(false) => vec![field("body")],
                None => vec![st(201), st(400)],
            };
            gate(v, ok, field("body"))
        }
        (Kind::ReactionAdd, _) => {
            let ok = emoji_ok(case);
            let v = match ok {
                Some(true) => vec![st(201), st(200)],
                Some(false) => vec![emoji_field.clone()],
                None => vec![st(201), st(200), st(400)],
            };
            gate(v, ok, emoji_field)
        }
        (Kind::ReactionRemove, _) => {
            let ok = path_emoji(case).1 == Verdict::Valid;
            let v = if ok {
                vec![st(204)]
            } else {
                vec![emoji_field.clone()]
            };
            let mut v = gate(v, Some(ok), emoji_field);
            // A segment that does not decode to text: the contract does not
            // say; 400 on `emoji` or 404 (no such reaction path) are both fair.
            if matches!(case.nested.emoji, PathEmoji::Raw(_)) {
                v.push(not_found.clone());
            }
            v
        }
        (Kind::ReplyItem, _) => {
            let rel = if readable {
                reply_of(case, fx).1
            } else {
                Rel::Absent
            };
            if m == "GET" {
                return vec![if rel == Rel::Absent {
                    not_found
                } else {
                    st(200)
                }];
            }
            let ok = body_ok(case, m == "PUT");
            let bad_body = m != "DELETE" && ok != Some(true);
            if !signed_in {
                let mut v = vec![anon];
                if rel == Rel::Absent {
                    v.push(not_found);
                }
                if bad_body {
                    v.push(field("body"));
                }
                return v;
            }
            match (rel, m) {
                (Rel::Absent, _) if bad_body => vec![not_found, field("body")],
                (Rel::Absent, _) => vec![not_found],
                (Rel::Mine, "DELETE") => vec![st(204)],
                (Rel::Theirs, "DELETE") if matches!(case.target, Target::Own) => vec![st(204)],
                (Rel::Theirs, "DELETE") => vec![coded(403, "permission_denied")],
                (Rel::Mine, _) => match ok {
                    Some(true) => vec![st(200)],
                    Some(false) => vec![field("body")],
                    None => vec![st(200), st(400)],
                },
                (Rel::Theirs, _) => match ok {
                    Some(true) => vec![coded(403, "permission_denied")],
                    _ => vec![coded(403, "permission_denied"), field("body")],
                },
            }
        }
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------
// Every card body: `reply_count` and `reactions`
// ---------------------------------------------------------------------------

/// What every card object must hold: a `reply_count`, and `reactions` — each
/// `{emoji, count, reacted}` with a valid emoji listed once and a count of at
/// least 1, most used first then by code points; `reacted` false for an
/// anonymous caller; a new card has neither replies nor reactions.
fn card_invariants(card: &Value, anonymous: bool, new: bool) -> Result<(), &'static str> {
    let Some(count) = card["reply_count"].as_u64() else {
        return Err("a card without a reply_count");
    };
    let Some(list) = card["reactions"].as_array() else {
        return Err("a card without a reactions list");
    };
    if new && (count != 0 || !list.is_empty()) {
        return Err("a new card with replies or reactions");
    }
    let mut previous: Option<(u64, &str)> = None;
    for r in list {
        let keys: Vec<&str> = r
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let (Some(emoji), Some(n), Some(reacted)) = (
            r["emoji"].as_str(),
            r["count"].as_u64(),
            r["reacted"].as_bool(),
        ) else {
            return Err("a reaction summary that is not {emoji, count, reacted}");
        };
        if keys.len() != 3 || n == 0 || emoji::verdict(emoji) != Verdict::Valid {
            return Err("a reaction summary that is not {emoji, count, reacted}");
        }
        if anonymous && reacted {
            return Err("reacted true for an anonymous caller");
        }
        if let Some((pn, pe)) = previous
            && (n > pn || (n == pn && emoji <= pe))
        {
            return Err("reactions not sorted by count, then code points, once each");
        }
        previous = Some((n, emoji));
    }
    Ok(())
}

/// The card objects of a successful answer of the card routes.
pub fn check_cards(case: &Case, route: &Route, req: &Req, reply: &Reply) -> Check {
    if !(200..300).contains(&reply.status) || reply.status == 204 {
        return Ok(());
    }
    let Some(body) = reply.json.as_ref() else {
        return Ok(());
    };
    let anonymous = matches!(case.auth, Auth::None);
    let cards: Vec<&Value> = match route.kind {
        Kind::CardItem => vec![body],
        Kind::CardList if case.method == Method::POST => vec![body],
        Kind::CardList => body["results"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => return Ok(()),
    };
    let new = route.kind == Kind::CardList && case.method == Method::POST;
    for card in cards {
        if let Err(what) = card_invariants(card, anonymous, new) {
            return Err(Violation::new(
                format!("{} {}: {what}", case.method, route.template),
                exchange(req, reply),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The fixture's replies
// ---------------------------------------------------------------------------

async fn reply(cx: &Cx<'_>, token: &str, card: &str, text: &str) -> Result<String, Violation> {
    let req = Req::new(Method::POST, format!("/api/cards/{card}/replies/"))
        .bearer(token)
        .json(&json!({ "body": text }));
    let r = cx.send(&req).await?;
    r.json
        .as_ref()
        .and_then(|b| b["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| {
            Violation::new(
                "cannot reply for the fixture",
                crate::fuzz::exchange(&req, &r),
            )
        })
}

async fn react(cx: &Cx<'_>, token: &str, card: &str, emoji: &str) -> Check {
    let req = Req::new(Method::POST, format!("/api/cards/{card}/reactions/"))
        .bearer(token)
        .json(&json!({ "emoji": emoji }));
    let r = cx.send(&req).await?;
    if matches!(r.status, 200 | 201) {
        Ok(())
    } else {
        Err(Violation::new(
            "cannot react for the fixture",
            exchange(&req, &r),
        ))
    }
}

/// Creates the fixture's replies that are missing and can be made: A's on
/// A's card and B's public card, B's on all three (on A's card only while it
/// is public); and both users' reactions on the two public cards.
pub async fn refill(cx: &Cx<'_>, fx: &mut Fixture) -> Check {
    let (a, b) = (fx.token.clone(), fx.b_token.clone());
    for (public, card, done) in [
        (fx.card_public, fx.card.clone(), &mut fx.threads.own.reacted),
        (true, fx.other_card.clone(), &mut fx.threads.other.reacted),
    ] {
        if public && !*done {
            for (token, emoji) in [(&a, "👍"), (&b, "👍"), (&b, "🎉"), (&a, "a"), (&b, "é")]
            {
                react(cx, token, &card, emoji).await?;
            }
            *done = true;
        }
    }
    if fx.threads.own.mine.is_none() {
        fx.threads.own.mine = Some(reply(cx, &a, &fx.card, "mine").await?);
    }
    if fx.threads.own.theirs.is_none() && fx.card_public {
        fx.threads.own.theirs = Some(reply(cx, &b, &fx.card, "theirs").await?);
    }
    if fx.threads.other.mine.is_none() {
        fx.threads.other.mine = Some(reply(cx, &a, &fx.other_card, "mine").await?);
    }
    if fx.threads.other.theirs.is_none() {
        fx.threads.other.theirs = Some(reply(cx, &b, &fx.other_card, "theirs").await?);
    }
    if fx.threads.private.theirs.is_none() {
        fx.threads.private.theirs = Some(reply(cx, &b, &fx.other_private, "theirs").await?);
    }
    Ok(())
}

/// A deleted fixture reply is no more.
pub fn forget(case: &Case, fx: &mut Fixture) {
    let (id, rel) = reply_of(case, fx);
    if let Some(thread) = fx.threads.of_mut(&case.target) {
        match rel {
            Rel::Mine if thread.mine.as_deref() == Some(id.as_str()) => thread.mine = None,
            Rel::Theirs if thread.theirs.as_deref() == Some(id.as_str()) => thread.theirs = None,
            _ => {}
        }
    }
}

/// Extra sweep cases: every reply selection × method × caller on the readable
/// cards, and every hand-picked emoji in the path.
pub fn sweep(templates: &[(String, Kind)]) -> Vec<Case> {
    let mut cases = Vec::new();
    let case = |template: &str, method: Method, target: Target, auth: Auth, nested: Nested| Case {
        method,
        template: template.to_string(),
        target,
        auth,
        body: Body::Json {
            ct: "application/json",
            doc: J::Obj(vec![("body".into(), J::Str("  swept  ".into()))]),
        },
        slash: true,
        nested,
    };
    for (template, kind) in templates {
        match kind {
            Kind::ReplyItem => {
                let sels = [
                    ReplySel::Mine,
                    ReplySel::Theirs,
                    ReplySel::Elsewhere,
                    ReplySel::NotUuid("x".into()),
                ];
                for target in [Target::Own, Target::OtherPublic, Target::OtherPrivate] {
                    for reply in &sels {
                        for method in [Method::GET, Method::PATCH, Method::PUT] {
                            for auth in [Auth::None, Auth::Valid] {
                                let nested = Nested {
                                    reply: reply.clone(),
                                    ..Nested::default()
                                };
                                cases.push(case(
                                    template,
                                    method.clone(),
                                    target.clone(),
                                    auth,
                                    nested,
                                ));
                            }
                        }
                    }
                }
            }
            Kind::ReactionRemove => {
                let texts = emoji::VALID.iter().chain(emoji::INVALID);
                let mut emojis: Vec<PathEmoji> = texts
                    .map(|t| {
                        PathEmoji::Text(Emoji {
                            text: t.to_string(),
                            verdict: emoji::verdict(t),
                        })
                    })
                    .collect();
                emojis.extend(NOT_UTF8.iter().map(|r| PathEmoji::Raw(r)));
                for (i, e) in emojis.into_iter().enumerate() {
                    let target =
                        [Target::Own, Target::OtherPublic, Target::OtherPrivate][i % 3].clone();
                    let auth = if i % 5 == 4 { Auth::None } else { Auth::Valid };
                    let nested = Nested {
                        emoji: e,
                        ..Nested::default()
                    };
                    cases.push(case(template, Method::DELETE, target, auth, nested));
                }
            }
            Kind::ReactionAdd => {
                for (i, t) in emoji::VALID.iter().chain(emoji::INVALID).enumerate() {
                    let mut c = case(
                        template,
                        Method::POST,
                        [Target::Own, Target::OtherPublic, Target::OtherPrivate][i % 3].clone(),
                        if i % 5 == 4 { Auth::None } else { Auth::Valid },
                        Nested::default(),
                    );
                    c.body = Body::Json {
                        ct: "application/json",
                        doc: J::Obj(vec![("emoji".into(), J::Str(t.to_string()))]),
                    };
                    cases.push(c);
                }
            }
            _ => {}
        }
    }
    cases
}
