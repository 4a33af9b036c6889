//! The REST door of the conversation test: one request per case (a thread's
//! pages: one per page), judged against the model, and the model kept in step
//! with what the server did (also when it should not have).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Case, EmojiIn, Op, Order, PageSize, Text,
    model::{Fail, Model, ReplyM, Who, body_outcome, emoji_outcome, path_emoji},
};
use crate::fuzz::{
    Check, Cx, Reply, Req, Violation, check_rest_shape, encode_query, encode_segment, exchange,
};

/// An id as a path segment: as is when it is a UUID's characters, else
/// percent-encoded.
pub fn seg(id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        id.to_string()
    } else {
        encode_segment(id)
    }
}

fn request(method: Method, path: String, token: Option<&str>) -> Req {
    let req = Req::new(method, path);
    match token {
        Some(t) => req.bearer(t),
        None => req,
    }
}

/// Does a REST answer match this refusal?
fn matches(fail: &Fail, reply: &Reply) -> bool {
    let body = reply.json.as_ref();
    let code = body.and_then(|b| b["code"].as_str());
    match fail {
        Fail::Unauth => reply.status == 401 && code == Some("not_authenticated"),
        Fail::NotFound => reply.status == 404 && code == Some("not_found"),
        Fail::Forbidden => reply.status == 403 && code == Some("permission_denied"),
        Fail::Invalid(field, msgs) => {
            reply.status == 400
                && body.and_then(Value::as_object).is_some_and(|m| {
                    m.len() == 1
                        && m.get(*field).and_then(Value::as_array).is_some_and(|list| {
                            !list.is_empty()
                                && list.iter().all(|msg| {
                                    msg.as_str()
                                        .is_some_and(|t| msgs.is_empty() || msgs.contains(&t))
                                })
                        })
                })
        }
        Fail::Params(names) => {
            reply.status == 400
                && body.and_then(Value::as_object).is_some_and(|m| {
                    let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
                    let mut want = names.clone();
                    keys.sort_unstable();
                    want.sort_unstable();
                    keys == want
                })
        }
        Fail::Refused => false,
    }
}

/// The shape of the answer, and its status against the allowed refusals (none:
/// one of the `ok` statuses).
fn judge(case: &Case, req: &Req, reply: &Reply, fails: &[Fail], ok: &[u16]) -> Check {
    check_rest_shape(req, reply).map_err(|v| {
        Violation::new(
            format!("REST {}: {}", super::op_name(&case.op), v.kind),
            v.detail,
        )
    })?;
    let fine = if fails.is_empty() {
        ok.contains(&reply.status)
    } else {
        fails.iter().any(|f| matches(f, reply))
    };
    if fine {
        return Ok(());
    }
    let want = if fails.is_empty() {
        let list: Vec<String> = ok.iter().map(u16::to_string).collect();
        list.join("/")
    } else {
        super::label(fails)
    };
    Err(Violation::new(
        format!(
            "REST {} ({}): {} instead of {want}",
            super::op_name(&case.op),
            who_label(case.who),
            reply.status
        ),
        exchange(req, reply),
    ))
}

fn who_label(who: Who) -> &'static str {
    match who {
        Who::Anon => "anonymous",
        Who::Staff => "staff",
        _ => "signed in",
    }
}

/// A reply's REST object against the model.
pub fn check_reply_json(v: &Value, card_id: &str, r: &ReplyM, model: &Model) -> bool {
    let author = &model.users[r.author];
    let mut keys: Vec<&str> = v
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys == [
        "author_id",
        "author_username",
        "body",
        "card_id",
        "created_at",
        "id",
        "updated_at",
    ] && v["id"] == r.id.as_str()
        && v["card_id"] == card_id
        && v["author_id"] == author.id.as_str()
        && v["author_username"] == author.name.as_str()
        && v["body"] == r.body.as_str()
        && same_instant(&v["created_at"], &r.created_at)
        && v["updated_at"].as_str().is_some_and(|u| {
            let (Some(u), Some(c)) = (instant(u), instant(&r.created_at)) else {
                return false;
            };
            u >= c
        })
}

fn instant(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s).ok()
}

pub fn same_instant(v: &Value, t: &str) -> bool {
    v.as_str()
        .and_then(instant)
        .is_some_and(|a| Some(a) == instant(t))
}

fn mismatch(case: &Case, what: &str, req: &Req, reply: &Reply, expected: String) -> Violation {
    Violation::new(
        format!(
            "REST {}: {what} differs from the model",
            super::op_name(&case.op)
        ),
        format!("{}\nexpected: {expected}", exchange(req, reply)),
    )
}

pub async fn run(cx: &Cx<'_>, model: &mut Model, case: &Case) -> Check {
    let who = case.who;
    let token = model.token(who);
    let token = token.as_deref();
    let me = who.user();
    let card = model.card(&case.card);
    let readable = model.readable(&card, who);
    let anon = me.is_none();
    let thread = format!("/api/cards/{}/replies/", seg(&card.id));
    match &case.op {
        Op::CreateReply(text) => {
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            if readable.is_none() {
                fails.push(Fail::NotFound);
            }
            let outcome = match text {
                Text::Missing => Err(vec![crate::fuzz::emoji::REQUIRED]),
                other => body_outcome(other),
            };
            if let Err(msgs) = &outcome {
                fails.push(Fail::Invalid("body", msgs.clone()));
            }
            let req = request(Method::POST, thread.clone(), token).json(&body_of("body", text));
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[201]);
            if reply.status != 201 {
                return verdict;
            }
            let body = reply.json.clone().unwrap_or_default();
            let (Some(slot), Some(me), Some(id)) = (card.slot, me, body["id"].as_str()) else {
                return verdict;
            };
            let r = ReplyM {
                id: id.to_string(),
                author: me,
                body: body["body"].as_str().unwrap_or_default().to_string(),
                created_at: body["created_at"].as_str().unwrap_or_default().to_string(),
            };
            model.cards[slot].replies.push(r.clone());
            verdict?;
            let stored = outcome.ok().flatten().unwrap_or_default();
            let want = ReplyM {
                body: stored,
                ..r.clone()
            };
            if !check_reply_json(&body, &card.id, &want, model) {
                return Err(mismatch(
                    case,
                    "the new reply",
                    &req,
                    &reply,
                    format!("{want:?}"),
                ));
            }
            let location = format!("/api/cards/{}/replies/{id}/", card.id);
            if !reply
                .header("location")
                .is_some_and(|l| l.ends_with(&location))
            {
                return Err(mismatch(case, "Location", &req, &reply, location));
            }
            Ok(())
        }
        Op::GetReply(sel) => {
            let r = model.reply(&card, sel);
            let here = readable.is_some() && r.at.is_some_and(|(s, _)| Some(s) == card.slot);
            let fails = if here { vec![] } else { vec![Fail::NotFound] };
            let path = format!("{thread}{}/", seg(&r.id));
            let req = request(Method::GET, path, token);
            let reply = cx.send(&req).await?;
            judge(case, &req, &reply, &fails, &[200])?;
            if let (true, Some((s, i))) = (here, r.at) {
                let want = &model.cards[s].replies[i];
                let got = reply.json.clone().unwrap_or_default();
                if !check_reply_json(&got, &card.id, want, model) {
                    return Err(mismatch(
                        case,
                        "the reply",
                        &req,
                        &reply,
                        format!("{want:?}"),
                    ));
                }
            }
            Ok(())
        }
        Op::UpdateReply {
            reply: sel,
            full,
            body,
        } => {
            let r = model.reply(&card, sel);
            let here = readable.is_some() && r.at.is_some_and(|(s, _)| Some(s) == card.slot);
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            if !here {
                fails.push(Fail::NotFound);
            } else if let (Some((s, i)), false) = (r.at, anon) {
                let author = model.cards[s].replies[i].author;
                if Some(author) != me && !model.is_staff(who) {
                    fails.push(Fail::Forbidden);
                }
            }
            let outcome = match body {
                Text::Missing if *full => Err(vec![crate::fuzz::emoji::REQUIRED]),
                other => body_outcome(other),
            };
            if let Err(msgs) = &outcome {
                fails.push(Fail::Invalid("body", msgs.clone()));
            }
            let method = if *full { Method::PUT } else { Method::PATCH };
            let path = format!("{thread}{}/", seg(&r.id));
            let req = request(method, path, token).json(&body_of("body", body));
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[200]);
            if reply.status != 200 {
                return verdict;
            }
            let got = reply.json.clone().unwrap_or_default();
            let Some((s, i)) = r.at else {
                return verdict;
            };
            let before = model.cards[s].replies[i].clone();
            if let Some(new) = got["body"].as_str() {
                model.cards[s].replies[i].body = new.to_string();
            }
            verdict?;
            let want = ReplyM {
                body: outcome.ok().flatten().unwrap_or(before.body.clone()),
                ..before
            };
            if !check_reply_json(&got, &card.id, &want, model) {
                return Err(mismatch(
                    case,
                    "the edited reply",
                    &req,
                    &reply,
                    format!("{want:?}"),
                ));
            }
            Ok(())
        }
        Op::DeleteReply(sel) => {
            let r = model.reply(&card, sel);
            let here = readable.is_some() && r.at.is_some_and(|(s, _)| Some(s) == card.slot);
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            if !here {
                fails.push(Fail::NotFound);
            } else if let (Some((s, i)), false) = (r.at, anon) {
                let author = model.cards[s].replies[i].author;
                let owner = model.cards[s].owner;
                if Some(author) != me && Some(owner) != me && !model.is_staff(who) {
                    fails.push(Fail::Forbidden);
                }
            }
            let path = format!("{thread}{}/", seg(&r.id));
            let req = request(Method::DELETE, path, token);
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[204]);
            if reply.status == 204
                && let Some((s, i)) = r.at
            {
                let gone = model.cards[s].replies.remove(i);
                model.gone_replies.push(gone.id);
            }
            verdict
        }
        Op::ListReplies { size, order, back } => {
            list_replies(cx, model, case, &card, token, size, order, *back).await
        }
        Op::AddReaction(e) => {
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            let outcome = emoji_outcome(e);
            if let Err(msgs) = &outcome {
                fails.push(Fail::Invalid("emoji", msgs.clone()));
            }
            if readable.is_none() {
                fails.push(Fail::NotFound);
            }
            let path = format!("/api/cards/{}/reactions/", seg(&card.id));
            let req = request(Method::POST, path, token).json(&emoji_body(e));
            let reply = cx.send(&req).await?;
            let existed = match (&outcome, card.slot, me) {
                (Ok(emoji), Some(s), Some(me)) => {
                    model.cards[s].reactions.contains(&(emoji.clone(), me))
                }
                _ => false,
            };
            let ok: &[u16] = if existed { &[200] } else { &[201] };
            let verdict = judge(case, &req, &reply, &fails, ok);
            if !matches!(reply.status, 200 | 201) {
                return verdict;
            }
            let got = reply.json.clone().unwrap_or_default();
            let (Some(s), Some(me), Some(emoji)) = (card.slot, me, got["emoji"].as_str()) else {
                return verdict;
            };
            model.cards[s].reactions.insert((emoji.to_string(), me));
            verdict?;
            let emoji = outcome.unwrap_or_default();
            let want = json!({"emoji": emoji, "count": model.count(s, &emoji), "reacted": true});
            if got != want {
                return Err(mismatch(
                    case,
                    "the reaction",
                    &req,
                    &reply,
                    want.to_string(),
                ));
            }
            Ok(())
        }
        Op::RemoveReaction(e) => {
            let (segment, outcome) = path_emoji(e);
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            if let Err(msgs) = &outcome {
                fails.push(Fail::Invalid("emoji", msgs.clone()));
            }
            // Not text once decoded: the contract does not say; 400 on
            // `emoji` or 404 (no such reaction path) are both fair.
            if readable.is_none() || matches!(e, EmojiIn::RawPath(_)) {
                fails.push(Fail::NotFound);
            }
            let path = format!("/api/cards/{}/reactions/{segment}/", seg(&card.id));
            let req = request(Method::DELETE, path, token);
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[204]);
            if reply.status == 204
                && let (Some(s), Some(me), Ok(emoji)) = (card.slot, me, &outcome)
            {
                model.cards[s].reactions.remove(&(emoji.clone(), me));
            }
            verdict
        }
        Op::ReadCard => {
            let fails = if readable.is_some() {
                vec![]
            } else {
                vec![Fail::NotFound]
            };
            let req = request(Method::GET, format!("/api/cards/{}/", seg(&card.id)), token);
            let reply = cx.send(&req).await?;
            judge(case, &req, &reply, &fails, &[200])?;
            match readable {
                Some(s) => check_card(case, model, s, &req, &reply, reply.json.as_ref()),
                None => Ok(()),
            }
        }
        Op::ListCards => {
            let req = request(Method::GET, "/api/cards/?page_size=100".into(), token);
            let reply = cx.send(&req).await?;
            judge(case, &req, &reply, &[], &[200])?;
            let results = reply
                .json
                .as_ref()
                .and_then(|b| b["results"].as_array())
                .cloned()
                .unwrap_or_default();
            for s in 0..model.cards.len() {
                let found = results
                    .iter()
                    .find(|c| c["id"] == model.cards[s].id.as_str());
                match (found, model.can_read(s, who)) {
                    (Some(c), true) => check_card(case, model, s, &req, &reply, Some(c))?,
                    (None, false) => {}
                    (found, _) => {
                        return Err(mismatch(
                            case,
                            "the list's cards",
                            &req,
                            &reply,
                            format!("card {} listed: {}", model.cards[s].id, found.is_none()),
                        ));
                    }
                }
            }
            Ok(())
        }
        Op::SetVisibility(private) => {
            let fails = card_write_fails(model, &card, who);
            let visibility = if *private { "private" } else { "public" };
            let path = format!("/api/cards/{}/", seg(&card.id));
            let req = request(Method::PATCH, path, token).json(&json!({"visibility": visibility}));
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[200]);
            if reply.status != 200 {
                return verdict;
            }
            if let Some(s) = card.slot {
                model.cards[s].private = *private;
                verdict?;
                return check_card(case, model, s, &req, &reply, reply.json.as_ref());
            }
            verdict
        }
        Op::Burst(_) => unreachable!("a burst is run reply by reply"),
        Op::DeleteCard => {
            let fails = card_write_fails(model, &card, who);
            let path = format!("/api/cards/{}/", seg(&card.id));
            let req = request(Method::DELETE, path, token);
            let reply = cx.send(&req).await?;
            let verdict = judge(case, &req, &reply, &fails, &[204]);
            if reply.status == 204
                && let Some(s) = card.slot
            {
                replace_card(cx, model, s).await?;
            }
            verdict
        }
    }
}

/// Who may not update or delete a card: anonymous (401), a caller who may
/// not read it (404), anyone but its owner or staff (403).
pub fn card_write_fails(model: &Model, card: &super::model::CardRef, who: Who) -> Vec<Fail> {
    let mut fails = Vec::new();
    if who.user().is_none() {
        fails.push(Fail::Unauth);
    }
    match model.readable(card, who) {
        None => fails.push(Fail::NotFound),
        Some(s) if who.user().is_some() => {
            if who.user() != Some(model.cards[s].owner) && !model.is_staff(who) {
                fails.push(Fail::Forbidden);
            }
        }
        Some(_) => {}
    }
    fails
}

/// A deleted card's slot gets a new card of the same owner and visibility;
/// its thread and reactions are gone.
pub async fn replace_card(cx: &Cx<'_>, model: &mut Model, slot: usize) -> Check {
    model.drop_card(slot);
    let (owner, private) = (model.cards[slot].owner, model.cards[slot].private);
    model.cards[slot] = super::new_card(cx, &model.users, owner, private).await?;
    Ok(())
}

/// A card's REST object: its id, visibility, `reply_count` and `reactions` as
/// the caller sees them.
fn check_card(
    case: &Case,
    model: &Model,
    slot: usize,
    req: &Req,
    reply: &Reply,
    got: Option<&Value>,
) -> Check {
    let card = &model.cards[slot];
    let want = json!({
        "id": card.id,
        "visibility": if card.private { "private" } else { "public" },
        "reply_count": card.replies.len(),
        "reactions": model.summary(slot, case.who),
    });
    let got = got.cloned().unwrap_or_default();
    let seen = json!({
        "id": got["id"],
        "visibility": got["visibility"],
        "reply_count": got["reply_count"],
        "reactions": got["reactions"],
    });
    if seen == want {
        return Ok(());
    }
    let what = if seen["reply_count"] != want["reply_count"] {
        "a card's reply_count"
    } else if seen["reactions"] != want["reactions"] {
        "a card's reactions"
    } else {
        "a card"
    };
    Err(mismatch(case, what, req, reply, want.to_string()))
}

/// `{"<field>": <text>}` as a REST body.
fn body_of(field: &str, text: &Text) -> Value {
    match text {
        Text::Str(s) => json!({ field: s }),
        Text::Null => json!({ field: null }),
        Text::Missing => json!({}),
        Text::Wrong(v) => json!({ field: v }),
    }
}

fn emoji_body(e: &EmojiIn) -> Value {
    match e {
        EmojiIn::Str(e) => json!({"emoji": e.text}),
        EmojiIn::Null => json!({"emoji": null}),
        EmojiIn::Missing => json!({}),
        EmojiIn::Wrong(v) => json!({"emoji": v}),
        EmojiIn::RawPath(raw) => json!({"emoji": raw}),
    }
}

/// The path and query of an absolute link of a page.
fn link_path(link: &str) -> Option<String> {
    link.find("/api/").map(|i| link[i..].to_string())
}

/// A thread's pages: forward with `next` to the end (and back with
/// `previous` from the last page), against the model's order.
#[allow(clippy::too_many_arguments)]
async fn list_replies(
    cx: &Cx<'_>,
    model: &Model,
    case: &Case,
    card: &super::model::CardRef,
    token: Option<&str>,
    size: &PageSize,
    order: &Order,
    back: bool,
) -> Check {
    let mut params = Vec::new();
    let mut bad = Vec::new();
    let per_page = match size {
        PageSize::Default => 20,
        PageSize::N(n) => {
            params.push(format!("page_size={n}"));
            *n as usize
        }
        PageSize::Huge => {
            params.push("page_size=1000".to_string());
            100
        }
        PageSize::Bad(s) => {
            params.push(format!("page_size={}", encode_query(s)));
            bad.push("page_size");
            20
        }
    };
    let desc = match order {
        Order::Default | Order::Asc => {
            if matches!(order, Order::Asc) {
                params.push("ordering=created_at".into());
            }
            false
        }
        Order::Desc => {
            params.push("ordering=-created_at".into());
            true
        }
        Order::Bad(s) => {
            params.push(format!("ordering={}", encode_query(s)));
            bad.push("ordering");
            false
        }
    };
    let readable = model.readable(card, case.who);
    let mut fails = Vec::new();
    if readable.is_none() {
        fails.push(Fail::NotFound);
    }
    if !bad.is_empty() {
        fails.push(Fail::Params(bad));
    }
    let mut path = format!("/api/cards/{}/replies/", seg(&card.id));
    if !params.is_empty() {
        path = format!("{path}?{}", params.join("&"));
    }
    let req = request(Method::GET, path, token);
    let reply = cx.send(&req).await?;
    judge(case, &req, &reply, &fails, &[200])?;
    let Some(slot) = readable.filter(|_| fails.is_empty()) else {
        return Ok(());
    };
    let mut expected: Vec<&ReplyM> = model.cards[slot].replies.iter().collect();
    if desc {
        expected.reverse();
    }
    let page_err = |what: &str, req: &Req, reply: &Reply| {
        mismatch(
            case,
            what,
            req,
            reply,
            format!(
                "{} replies, {per_page} a page: {:?}",
                expected.len(),
                expected.iter().map(|r| &r.id).collect::<Vec<_>>()
            ),
        )
    };
    let mut seen: Vec<Value> = Vec::new();
    let (mut req, mut reply) = (req, reply);
    let mut last_page: Vec<Value>;
    let max_pages = expected.len() / per_page.max(1) + 3;
    let mut n = 0;
    loop {
        let body = reply.json.clone().unwrap_or_default();
        let results = body["results"].as_array().cloned().unwrap_or_default();
        if n == 0 && !body["previous"].is_null() {
            return Err(page_err("the first page's previous link", &req, &reply));
        }
        let next = body["next"].as_str().and_then(link_path);
        let full = results.len() == per_page;
        if results.len() > per_page
            || (next.is_some() && !full)
            || (n > 0 && results.is_empty())
            || n > max_pages
        {
            return Err(page_err("the thread's page sizes", &req, &reply));
        }
        seen.extend(results.iter().cloned());
        last_page = results;
        let Some(next) = next else {
            break;
        };
        n += 1;
        req = request(Method::GET, next, token);
        reply = cx.send(&req).await?;
        judge(case, &req, &reply, &[], &[200])?;
    }
    check_items(
        case,
        model,
        card,
        &seen,
        &expected,
        &req,
        &reply,
        "the thread's pages",
    )?;
    if !back {
        return Ok(());
    }
    // Back from the last page: every earlier item once, in order.
    let mut before: Vec<Value> = Vec::new();
    let mut prev = reply
        .json
        .as_ref()
        .and_then(|b| b["previous"].as_str())
        .and_then(link_path);
    let mut pages = 0;
    while let Some(p) = prev {
        pages += 1;
        req = request(Method::GET, p, token);
        reply = cx.send(&req).await?;
        judge(case, &req, &reply, &[], &[200])?;
        let body = reply.json.clone().unwrap_or_default();
        let results = body["results"].as_array().cloned().unwrap_or_default();
        if results.is_empty() || results.len() > per_page || pages > max_pages {
            return Err(page_err("the thread's pages backwards", &req, &reply));
        }
        before.splice(0..0, results);
        prev = body["previous"].as_str().and_then(link_path);
    }
    before.extend(last_page);
    check_items(
        case,
        model,
        card,
        &before,
        &expected,
        &req,
        &reply,
        "the thread's pages backwards",
    )
}

#[allow(clippy::too_many_arguments)]
fn check_items(
    case: &Case,
    model: &Model,
    card: &super::model::CardRef,
    got: &[Value],
    expected: &[&ReplyM],
    req: &Req,
    reply: &Reply,
    what: &str,
) -> Check {
    let same = got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(g, r)| check_reply_json(g, &card.id, r, model));
    if same {
        return Ok(());
    }
    let ids: Vec<&str> = got
        .iter()
        .map(|g| g["id"].as_str().unwrap_or("?"))
        .collect();
    Err(mismatch(
        case,
        what,
        req,
        reply,
        format!(
            "{:?}\ngot ids: {ids:?}",
            expected.iter().map(|r| &r.id).collect::<Vec<_>>()
        ),
    ))
}
