//! The GraphQL door of the conversation test: the same operations as
//! mutations and queries (`createReply`, `updateReply`, `deleteReply`,
//! `addReaction`, `removeReaction`, `updateCard`, `deleteCard`, `card`,
//! `cards`, `Card.replies`), judged against the model: errors carry
//! `extensions.code` (`BAD_USER_INPUT` with `extensions.fields` = the REST map,
//! `NOT_FOUND`, `UNAUTHENTICATED`, `FORBIDDEN`), results match the model.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{
    Case, EmojiIn, Op, Order, PageSize, Text,
    model::{CardRef, Fail, Model, ReplyM, Who, body_outcome, emoji_outcome},
    rest::{card_write_fails, replace_card, same_instant},
};
use crate::fuzz::{Check, Cx, Reply, Req, Violation, exchange};

const REACTIONS: &str = "reactions { emoji count reacted }";

fn reply_fields() -> String {
    "id cardId authorId authorUsername body createdAt updatedAt".to_string()
}

fn card_fields() -> String {
    format!("id visibility replyCount {REACTIONS}")
}

async fn send(
    cx: &Cx<'_>,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Result<(Req, Reply), Violation> {
    let mut req =
        Req::new(Method::POST, "/graphql").json(&json!({"query": query, "variables": vars}));
    if let Some(t) = token {
        req = req.bearer(t);
    }
    let reply = cx.send(&req).await?;
    Ok((req, reply))
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Does a GraphQL answer match this refusal?
fn matches(fail: &Fail, body: &Value) -> bool {
    let code = code(body);
    match fail {
        Fail::Unauth => code == Some("UNAUTHENTICATED"),
        Fail::NotFound => code == Some("NOT_FOUND"),
        Fail::Forbidden => code == Some("FORBIDDEN"),
        Fail::Invalid(field, msgs) => {
            let fields = &body["errors"][0]["extensions"]["fields"];
            code == Some("BAD_USER_INPUT")
                && fields.as_object().is_some_and(|m| {
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
        Fail::Refused => {
            matches!(code, Some("GRAPHQL_VALIDATION_FAILED" | "BAD_USER_INPUT"))
                && body.get("data").is_none()
        }
        Fail::Params(_) => false,
    }
}

/// The generic shape (status 200, JSON, every error with a message and a code
/// that is not internal), then the outcome: `field` of `data` without errors,
/// or one of the refusals with that field null. Returns `data.<field>` when
/// it succeeded.
fn judge(
    case: &Case,
    req: &Req,
    reply: &Reply,
    field: &str,
    fails: &[Fail],
) -> Result<Option<Value>, Violation> {
    let x = || exchange(req, reply);
    let name = super::op_name(&case.op);
    let Some(body) = reply.json.clone().filter(|_| reply.status == 200) else {
        return Err(Violation::new(
            format!(
                "GraphQL {name}: {} or a body that is not JSON",
                reply.status
            ),
            x(),
        ));
    };
    if let Some(errors) = body.get("errors") {
        let list = errors.as_array().cloned().unwrap_or_default();
        let sound = !list.is_empty()
            && list.iter().all(|e| {
                e["message"].is_string()
                    && e["extensions"]["code"]
                        .as_str()
                        .is_some_and(|c| c != "INTERNAL_SERVER_ERROR")
            });
        if !sound {
            return Err(Violation::new(
                format!("GraphQL {name}: an error without a message or with an internal code"),
                x(),
            ));
        }
    }
    let data = body
        .get("data")
        .map(|d| d[field].clone())
        .unwrap_or(Value::Null);
    let succeeded = body.get("errors").is_none() && !data.is_null();
    let fine = if fails.is_empty() {
        succeeded
    } else {
        !succeeded && data.is_null() && fails.iter().any(|f| matches(f, &body))
    };
    if fine {
        return Ok(succeeded.then_some(data));
    }
    let got = if succeeded {
        "success".to_string()
    } else {
        code(&body).unwrap_or("no code").to_string()
    };
    Err(Violation::new(
        format!(
            "GraphQL {name} ({}): {got} instead of {}",
            if case.who == Who::Anon {
                "anonymous"
            } else {
                "signed in"
            },
            super::label(fails)
        ),
        x(),
    ))
}

/// `data.<field>` when the server did it, whatever the verdict (to keep the
/// model in step), and the verdict.
fn answer(
    case: &Case,
    req: &Req,
    reply: &Reply,
    field: &str,
    fails: &[Fail],
) -> (Option<Value>, Check) {
    match judge(case, req, reply, field, fails) {
        Ok(data) => (data, Ok(())),
        Err(v) => {
            let data = reply
                .json
                .as_ref()
                .filter(|b| b.get("errors").is_none())
                .map(|b| b["data"][field].clone())
                .filter(|d| !d.is_null());
            (data, Err(v))
        }
    }
}

fn mismatch(case: &Case, what: &str, req: &Req, reply: &Reply, expected: String) -> Violation {
    Violation::new(
        format!(
            "GraphQL {}: {what} differs from the model",
            super::op_name(&case.op)
        ),
        format!("{}\nexpected: {expected}", exchange(req, reply)),
    )
}

/// A reply's GraphQL object against the model.
fn reply_ok(v: &Value, card_id: &str, r: &ReplyM, model: &Model) -> bool {
    let author = &model.users[r.author];
    v["id"] == r.id.as_str()
        && v["cardId"] == card_id
        && v["authorId"] == author.id.as_str()
        && v["authorUsername"] == author.name.as_str()
        && v["body"] == r.body.as_str()
        && same_instant(&v["createdAt"], &r.created_at)
        && v["updatedAt"].is_string()
}

/// A card's GraphQL object as the caller sees it.
fn card_ok(v: &Value, model: &Model, slot: usize, who: Who) -> Result<(), String> {
    let card = &model.cards[slot];
    let want = json!({
        "id": card.id,
        "visibility": if card.private { "PRIVATE" } else { "PUBLIC" },
        "replyCount": card.replies.len(),
        "reactions": model.summary(slot, who),
    });
    let seen = json!({
        "id": v["id"],
        "visibility": v["visibility"],
        "replyCount": v["replyCount"],
        "reactions": v["reactions"],
    });
    if seen == want {
        Ok(())
    } else {
        Err(want.to_string())
    }
}

/// The variable of a text field: absent, null, a string or another value.
fn text_var(map: &mut Map<String, Value>, name: &str, text: &Text) {
    match text {
        Text::Str(s) => {
            map.insert(name.into(), json!(s));
        }
        Text::Null => {
            map.insert(name.into(), Value::Null);
        }
        Text::Missing => {}
        Text::Wrong(v) => {
            map.insert(name.into(), v.clone());
        }
    }
}

/// The refusals of a text given to a field the schema declares `String!`:
/// null (reshaped to the REST map), missing or of another type (refused while
/// validating), or the domain's rule.
fn required_text(
    field: &'static str,
    text: &Text,
    outcome: Result<Option<String>, Vec<&'static str>>,
) -> Option<Fail> {
    match text {
        Text::Null => Some(Fail::Invalid(field, vec![crate::fuzz::emoji::NOT_NULL])),
        Text::Missing => Some(Fail::Refused),
        Text::Wrong(_) => Some(Fail::Refused),
        Text::Str(_) => outcome.err().map(|m| Fail::Invalid(field, m)),
    }
}

pub async fn run(cx: &Cx<'_>, model: &mut Model, case: &Case) -> Check {
    let who = case.who;
    let token = model.token(who);
    let token = token.as_deref();
    let me = who.user();
    let card = model.card(&case.card);
    let readable = model.readable(&card, who);
    let anon = me.is_none();
    let not_uuid = uuid::Uuid::try_parse(&card.id).is_err();
    match &case.op {
        Op::CreateReply(text) => {
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            if readable.is_none() {
                fails.push(Fail::NotFound);
            }
            let outcome = body_outcome(text);
            fails.extend(required_text("body", text, outcome.clone()));
            let q = format!(
                "mutation($c: ID!, $i: CreateReplyInput!) {{ createReply(cardId: $c, input: $i) {{ {} card {{ {} }} }} }}",
                reply_fields(),
                card_fields()
            );
            let mut input = Map::new();
            text_var(&mut input, "body", text);
            let (req, reply) = send(cx, token, &q, json!({"c": card.id, "i": input})).await?;
            let (data, verdict) = answer(case, &req, &reply, "createReply", &fails);
            let (Some(data), Some(slot), Some(me)) = (data, card.slot, me) else {
                return verdict;
            };
            let r = ReplyM {
                id: data["id"].as_str().unwrap_or_default().to_string(),
                author: me,
                body: data["body"].as_str().unwrap_or_default().to_string(),
                created_at: data["createdAt"].as_str().unwrap_or_default().to_string(),
            };
            model.cards[slot].replies.push(r.clone());
            verdict?;
            let want = ReplyM {
                body: outcome.ok().flatten().unwrap_or_default(),
                ..r
            };
            if !reply_ok(&data, &card.id, &want, model) {
                return Err(mismatch(
                    case,
                    "the new reply",
                    &req,
                    &reply,
                    format!("{want:?}"),
                ));
            }
            card_ok(&data["card"], model, slot, who)
                .map_err(|want| mismatch(case, "the reply's card", &req, &reply, want))
        }
        Op::UpdateReply {
            reply: sel, body, ..
        } => {
            let r = model.reply(&card, sel);
            // No card in the path: the reply's own card decides.
            let visible = r.at.filter(|(s, _)| model.can_read(*s, who));
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            match visible {
                None => fails.push(Fail::NotFound),
                Some((s, i)) if !anon => {
                    if Some(model.cards[s].replies[i].author) != me && !model.is_staff(who) {
                        fails.push(Fail::Forbidden);
                    }
                }
                Some(_) => {}
            }
            let outcome = body_outcome(body);
            match body {
                Text::Wrong(_) => fails.push(Fail::Refused),
                _ => {
                    if let Err(m) = &outcome {
                        fails.push(Fail::Invalid("body", m.clone()));
                    }
                }
            }
            let q = format!(
                "mutation($id: ID!, $i: UpdateReplyInput!) {{ updateReply(id: $id, input: $i) {{ {} }} }}",
                reply_fields()
            );
            let mut input = Map::new();
            text_var(&mut input, "body", body);
            let (req, reply) = send(cx, token, &q, json!({"id": r.id, "i": input})).await?;
            let (data, verdict) = answer(case, &req, &reply, "updateReply", &fails);
            let (Some(data), Some((s, i))) = (data, r.at) else {
                return verdict;
            };
            let before = model.cards[s].replies[i].clone();
            if let Some(new) = data["body"].as_str() {
                model.cards[s].replies[i].body = new.to_string();
            }
            verdict?;
            let want = ReplyM {
                body: outcome.ok().flatten().unwrap_or(before.body.clone()),
                ..before
            };
            let card_id = model.cards[s].id.clone();
            if !reply_ok(&data, &card_id, &want, model) {
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
            let visible = r.at.filter(|(s, _)| model.can_read(*s, who));
            let mut fails = Vec::new();
            if anon {
                fails.push(Fail::Unauth);
            }
            match visible {
                None => fails.push(Fail::NotFound),
                Some((s, i)) if !anon => {
                    let c = &model.cards[s];
                    if Some(c.replies[i].author) != me
                        && Some(c.owner) != me
                        && !model.is_staff(who)
                    {
                        fails.push(Fail::Forbidden);
                    }
                }
                Some(_) => {}
            }
            let q = "mutation($id: ID!) { deleteReply(id: $id) }";
            let (req, reply) = send(cx, token, q, json!({"id": r.id})).await?;
            let (data, verdict) = answer(case, &req, &reply, "deleteReply", &fails);
            if let (Some(data), Some((s, i))) = (data, r.at) {
                let gone = model.cards[s].replies.remove(i);
                model.gone_replies.push(gone.id.clone());
                verdict?;
                if data != json!(gone.id) {
                    return Err(mismatch(case, "the deleted id", &req, &reply, gone.id));
                }
                return Ok(());
            }
            verdict
        }
        Op::GetReply(_) => unreachable!("GetReply goes through REST"),
        Op::ListReplies { size, order, back } => {
            list_replies(cx, model, case, &card, token, size, order, *back).await
        }
        Op::AddReaction(e) | Op::RemoveReaction(e) => {
            let add = matches!(case.op, Op::AddReaction(_));
            let field = if add { "addReaction" } else { "removeReaction" };
            let mut fails = Vec::new();
            if not_uuid {
                fails.push(Fail::NotFound);
            }
            if anon {
                fails.push(Fail::Unauth);
            }
            let outcome = emoji_outcome(e);
            match e {
                EmojiIn::Null => {
                    fails.push(Fail::Invalid("emoji", vec![crate::fuzz::emoji::NOT_NULL]))
                }
                EmojiIn::Missing | EmojiIn::Wrong(_) => fails.push(Fail::Refused),
                EmojiIn::RawPath(_) => fails.push(Fail::Invalid("emoji", vec![])),
                EmojiIn::Str(_) => {
                    if let Err(m) = &outcome {
                        fails.push(Fail::Invalid("emoji", m.clone()));
                    }
                }
            }
            if readable.is_none() {
                fails.push(Fail::NotFound);
            }
            let q = format!(
                "mutation($c: ID!, $e: String!) {{ {field}(cardId: $c, emoji: $e) {{ {} }} }}",
                card_fields()
            );
            let mut vars = Map::new();
            vars.insert("c".into(), json!(card.id));
            match e {
                EmojiIn::Str(x) => {
                    vars.insert("e".into(), json!(x.text));
                }
                EmojiIn::Null => {
                    vars.insert("e".into(), Value::Null);
                }
                EmojiIn::Missing => {}
                EmojiIn::Wrong(v) => {
                    vars.insert("e".into(), v.clone());
                }
                EmojiIn::RawPath(raw) => {
                    vars.insert("e".into(), json!(raw));
                }
            }
            let (req, reply) = send(cx, token, &q, Value::Object(vars)).await?;
            let (data, verdict) = answer(case, &req, &reply, field, &fails);
            let (Some(data), Some(slot), Some(me), Ok(emoji)) = (data, card.slot, me, &outcome)
            else {
                return verdict;
            };
            let key = (emoji.clone(), me);
            if add {
                model.cards[slot].reactions.insert(key);
            } else {
                model.cards[slot].reactions.remove(&key);
            }
            verdict?;
            card_ok(&data, model, slot, who)
                .map_err(|want| mismatch(case, "the card's reactions", &req, &reply, want))
        }
        Op::ReadCard => {
            let q = format!("query($c: ID!) {{ card(id: $c) {{ {} }} }}", card_fields());
            let (req, reply) = send(cx, token, &q, json!({"c": card.id})).await?;
            let body = query_body(case, &req, &reply)?;
            let got = &body["data"]["card"];
            match readable {
                Some(slot) => card_ok(got, model, slot, who)
                    .map_err(|want| mismatch(case, "a card", &req, &reply, want)),
                None if got.is_null() => Ok(()),
                None => Err(mismatch(
                    case,
                    "an unreadable card",
                    &req,
                    &reply,
                    "null".into(),
                )),
            }
        }
        Op::ListCards => {
            let q = format!(
                "{{ cards(first: 100) {{ nodes {{ {} }} }} }}",
                card_fields()
            );
            let (req, reply) = send(cx, token, &q, json!({})).await?;
            let body = query_body(case, &req, &reply)?;
            let nodes = body["data"]["cards"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for slot in 0..model.cards.len() {
                let found = nodes
                    .iter()
                    .find(|n| n["id"] == model.cards[slot].id.as_str());
                match (found, model.can_read(slot, who)) {
                    (Some(n), true) => card_ok(n, model, slot, who)
                        .map_err(|want| mismatch(case, "a listed card", &req, &reply, want))?,
                    (None, false) => {}
                    _ => {
                        return Err(mismatch(
                            case,
                            "the list's cards",
                            &req,
                            &reply,
                            format!(
                                "card {} readable: {}",
                                model.cards[slot].id,
                                model.can_read(slot, who)
                            ),
                        ));
                    }
                }
            }
            Ok(())
        }
        Op::SetVisibility(private) => {
            let fails = card_write_fails(model, &card, who);
            let q = format!(
                "mutation($id: ID!, $v: Visibility!) {{ updateCard(id: $id, input: {{visibility: $v}}) {{ {} }} }}",
                card_fields()
            );
            let v = if *private { "PRIVATE" } else { "PUBLIC" };
            let (req, reply) = send(cx, token, &q, json!({"id": card.id, "v": v})).await?;
            let (data, verdict) = answer(case, &req, &reply, "updateCard", &fails);
            if let (Some(data), Some(slot)) = (data, card.slot) {
                model.cards[slot].private = *private;
                verdict?;
                return card_ok(&data, model, slot, who)
                    .map_err(|want| mismatch(case, "the updated card", &req, &reply, want));
            }
            verdict
        }
        Op::Burst(_) => unreachable!("a burst is run reply by reply"),
        Op::DeleteCard => {
            let fails = card_write_fails(model, &card, who);
            let q = "mutation($id: ID!) { deleteCard(id: $id) }";
            let (req, reply) = send(cx, token, q, json!({"id": card.id})).await?;
            let (data, verdict) = answer(case, &req, &reply, "deleteCard", &fails);
            if let (Some(_), Some(slot)) = (data, card.slot) {
                replace_card(cx, model, slot).await?;
            }
            verdict
        }
    }
}

/// A query's answer: 200, JSON, no errors.
fn query_body(case: &Case, req: &Req, reply: &Reply) -> Result<Value, Violation> {
    match reply.json.clone() {
        Some(b) if reply.status == 200 && b.get("errors").is_none() => Ok(b),
        _ => Err(Violation::new(
            format!("GraphQL {}: a query fails", super::op_name(&case.op)),
            exchange(req, reply),
        )),
    }
}

/// `card.replies` page by page (`first`/`after`, and back with
/// `last`/`before`), against the model's order; an unreadable card is null.
#[allow(clippy::too_many_arguments)]
async fn list_replies(
    cx: &Cx<'_>,
    model: &Model,
    case: &Case,
    card: &CardRef,
    token: Option<&str>,
    size: &PageSize,
    order: &Order,
    back: bool,
) -> Check {
    let per_page: usize = match size {
        PageSize::N(n) => *n as usize,
        PageSize::Huge => 100,
        PageSize::Default | PageSize::Bad(_) => 20,
    };
    let desc = matches!(order, Order::Desc);
    let order_var = match order {
        Order::Asc => json!({"field": "CREATED_AT", "direction": "ASC"}),
        Order::Desc => json!({"field": "CREATED_AT", "direction": "DESC"}),
        Order::Default | Order::Bad(_) => Value::Null,
    };
    let readable = model.readable(card, case.who);
    let mut expected: Vec<&ReplyM> = readable
        .map(|s| model.cards[s].replies.iter().collect())
        .unwrap_or_default();
    if desc {
        expected.reverse();
    }
    let q = format!(
        "query($c: ID!, $first: Int, $after: String, $last: Int, $before: String, $o: ReplyOrder) {{ card(id: $c) {{ replyCount replies(first: $first, after: $after, last: $last, before: $before, orderBy: $o) {{ nodes {{ {} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }} }}",
        reply_fields()
    );
    let mut seen: Vec<Value> = Vec::new();
    let mut after = Value::Null;
    let max_pages = expected.len() / per_page + 3;
    for n in 0.. {
        let first = match size {
            PageSize::Default | PageSize::Bad(_) => Value::Null,
            _ => json!(per_page),
        };
        let vars = json!({"c": card.id, "first": first, "after": after, "o": order_var});
        let (req, reply) = send(cx, token, &q, vars).await?;
        let body = query_body(case, &req, &reply)?;
        let got = &body["data"]["card"];
        if readable.is_none() {
            if got.is_null() {
                return Ok(());
            }
            return Err(mismatch(
                case,
                "an unreadable card",
                &req,
                &reply,
                "null".into(),
            ));
        }
        let nodes = got["replies"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let info = &got["replies"]["pageInfo"];
        let more = info["hasNextPage"] == true;
        if nodes.len() > per_page
            || (more && nodes.len() != per_page)
            || n > max_pages
            || got["replyCount"] != expected.len()
        {
            return Err(mismatch(
                case,
                "the thread's pages",
                &req,
                &reply,
                format!("{} replies", expected.len()),
            ));
        }
        seen.extend(nodes);
        if !more {
            let ok = seen.len() == expected.len()
                && seen
                    .iter()
                    .zip(&expected)
                    .all(|(g, r)| reply_ok(g, &card.id, r, model));
            if !ok {
                return Err(mismatch(case, "the thread", &req, &reply, ids(&expected)));
            }
            break;
        }
        after = info["endCursor"].clone();
    }
    if !back {
        return Ok(());
    }
    // Backwards: the last `per_page`, then before the first of those.
    let mut before_cursor = Value::Null;
    let mut got_back: Vec<Value> = Vec::new();
    for n in 0.. {
        let vars = json!({"c": card.id, "last": per_page, "before": before_cursor, "o": order_var});
        let (req, reply) = send(cx, token, &q, vars).await?;
        let body = query_body(case, &req, &reply)?;
        let got = &body["data"]["card"]["replies"];
        let nodes = got["nodes"].as_array().cloned().unwrap_or_default();
        let info = &got["pageInfo"];
        let more = info["hasPreviousPage"] == true;
        if nodes.len() > per_page || (more && nodes.len() != per_page) || n > max_pages {
            return Err(mismatch(
                case,
                "the thread's pages backwards",
                &req,
                &reply,
                ids(&expected),
            ));
        }
        got_back.splice(0..0, nodes);
        if !more {
            let ok = got_back.len() == expected.len()
                && got_back
                    .iter()
                    .zip(&expected)
                    .all(|(g, r)| reply_ok(g, &card.id, r, model));
            if !ok {
                return Err(mismatch(
                    case,
                    "the thread backwards",
                    &req,
                    &reply,
                    ids(&expected),
                ));
            }
            break;
        }
        before_cursor = info["startCursor"].clone();
    }
    Ok(())
}

fn ids(replies: &[&ReplyM]) -> String {
    format!("{:?}", replies.iter().map(|r| &r.id).collect::<Vec<_>>())
}
