//! What the server should hold: users, a fixed number of card slots (a deleted
//! card is replaced by a new one of the same owner and visibility), each
//! card's thread in order and its reactions; and the ids that are gone.
//! Also the expected outcomes: which refusals a request may meet, and what a
//! reply body or an emoji becomes.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{CardSel, EmojiIn, ReplySel, Text};
use crate::fuzz::emoji::{self, Verdict};

pub const BODY_MAX: usize = 2000;
pub const MAX_2000: &str = "Ensure this field has no more than 2000 characters.";

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub id: String,
    pub token: String,
    pub staff: bool,
}

/// Who sends a request: a user of [`Model::users`] or nobody.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Who {
    A,
    B,
    Staff,
    Anon,
}

impl Who {
    pub fn user(self) -> Option<usize> {
        match self {
            Who::A => Some(0),
            Who::B => Some(1),
            Who::Staff => Some(2),
            Who::Anon => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReplyM {
    pub id: String,
    pub author: usize,
    pub body: String,
    pub created_at: String,
}

#[derive(Clone, Debug)]
pub struct CardM {
    pub id: String,
    pub owner: usize,
    pub private: bool,
    /// The thread, oldest first.
    pub replies: Vec<ReplyM>,
    /// `(emoji, user)`.
    pub reactions: BTreeSet<(String, usize)>,
}

pub struct Model {
    pub users: Vec<User>,
    pub cards: Vec<CardM>,
    pub gone_cards: Vec<String>,
    pub gone_replies: Vec<String>,
}

/// A card named by a request: the id as sent, and its slot when it exists.
#[derive(Clone, Debug)]
pub struct CardRef {
    pub id: String,
    pub slot: Option<usize>,
}

/// A reply named by a request: the id as sent, and where it is (slot, index).
#[derive(Clone, Debug)]
pub struct ReplyRef {
    pub id: String,
    pub at: Option<(usize, usize)>,
}

/// A refusal the contract allows for a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fail {
    /// 401 `not_authenticated` / `UNAUTHENTICATED`.
    Unauth,
    /// 404 `not_found` / `NOT_FOUND`.
    NotFound,
    /// 403 `permission_denied` / `FORBIDDEN`.
    Forbidden,
    /// 400 `{field: [one of msgs]}` (any message when `msgs` is empty) /
    /// `BAD_USER_INPUT` with that `fields` map.
    Invalid(&'static str, Vec<&'static str>),
    /// 400 naming exactly these query parameters.
    Params(Vec<&'static str>),
    /// GraphQL only: refused while validating the document (a value of the
    /// wrong type or a missing required field): `GRAPHQL_VALIDATION_FAILED`
    /// or `BAD_USER_INPUT`, no `data`.
    Refused,
}

impl Model {
    pub fn user(&self, who: Who) -> Option<&User> {
        who.user().map(|i| &self.users[i])
    }

    pub fn token(&self, who: Who) -> Option<String> {
        self.user(who).map(|u| u.token.clone())
    }

    pub fn is_staff(&self, who: Who) -> bool {
        self.user(who).is_some_and(|u| u.staff)
    }

    /// May `who` read the card of this slot?
    pub fn can_read(&self, slot: usize, who: Who) -> bool {
        let card = &self.cards[slot];
        !card.private || who.user() == Some(card.owner) || self.is_staff(who)
    }

    /// The slot of a card the caller may read.
    pub fn readable(&self, card: &CardRef, who: Who) -> Option<usize> {
        card.slot.filter(|&s| self.can_read(s, who))
    }

    pub fn card(&self, sel: &CardSel) -> CardRef {
        let n = self.cards.len();
        match sel {
            CardSel::Slot(i) => {
                let slot = *i as usize % n;
                CardRef {
                    id: self.cards[slot].id.clone(),
                    slot: Some(slot),
                }
            }
            CardSel::Gone(i) if !self.gone_cards.is_empty() => CardRef {
                id: self.gone_cards[*i as usize % self.gone_cards.len()].clone(),
                slot: None,
            },
            CardSel::Gone(i) => CardRef {
                id: uuid::Uuid::from_u128(*i as u128).to_string(),
                slot: None,
            },
            CardSel::Random(n) => CardRef {
                id: uuid::Uuid::from_u128(*n).to_string(),
                slot: None,
            },
            CardSel::NotUuid(s) => CardRef {
                id: s.clone(),
                slot: None,
            },
        }
    }

    /// Every reply outside `slot`, with its place.
    fn elsewhere(&self, slot: Option<usize>) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (s, card) in self.cards.iter().enumerate() {
            if Some(s) != slot {
                out.extend((0..card.replies.len()).map(|i| (s, i)));
            }
        }
        out
    }

    /// The reply a selection names, relative to the card of the request.
    pub fn reply(&self, card: &CardRef, sel: &ReplySel) -> ReplyRef {
        let at = |place: (usize, usize)| ReplyRef {
            id: self.cards[place.0].replies[place.1].id.clone(),
            at: Some(place),
        };
        let gone = |i: u8| -> ReplyRef {
            if self.gone_replies.is_empty() {
                ReplyRef {
                    id: uuid::Uuid::from_u128(i as u128 + 1).to_string(),
                    at: None,
                }
            } else {
                ReplyRef {
                    id: self.gone_replies[i as usize % self.gone_replies.len()].clone(),
                    at: None,
                }
            }
        };
        let elsewhere = |i: u8| -> ReplyRef {
            let others = self.elsewhere(card.slot);
            if others.is_empty() {
                gone(i)
            } else {
                at(others[i as usize % others.len()])
            }
        };
        match sel {
            ReplySel::Index(i) => match card.slot {
                Some(s) if !self.cards[s].replies.is_empty() => {
                    at((s, *i as usize % self.cards[s].replies.len()))
                }
                _ => elsewhere(*i),
            },
            ReplySel::Elsewhere(i) => elsewhere(*i),
            ReplySel::Gone(i) => gone(*i),
            ReplySel::Random(n) => ReplyRef {
                id: uuid::Uuid::from_u128(*n).to_string(),
                at: None,
            },
            ReplySel::NotUuid(s) => ReplyRef {
                id: s.clone(),
                at: None,
            },
        }
    }

    /// A card's reactions as `who` sees them: most used first, then by code
    /// points; `[{"emoji", "count", "reacted"}]`.
    pub fn summary(&self, slot: usize, who: Who) -> Value {
        let me = who.user();
        let mut by: Vec<(String, u64, bool)> = Vec::new();
        for (emoji, user) in &self.cards[slot].reactions {
            match by.iter_mut().find(|(e, _, _)| e == emoji) {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 |= me == Some(*user);
                }
                None => by.push((emoji.clone(), 1, me == Some(*user))),
            }
        }
        // `String`'s order is UTF-8 byte order, which is code-point order.
        by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Value::Array(
            by.into_iter()
                .map(|(emoji, count, reacted)| {
                    json!({"emoji": emoji, "count": count, "reacted": reacted})
                })
                .collect(),
        )
    }

    /// How many users have this reaction on the card.
    pub fn count(&self, slot: usize, emoji: &str) -> usize {
        self.cards[slot]
            .reactions
            .iter()
            .filter(|(e, _)| e == emoji)
            .count()
    }

    /// Removes a card and its thread (they are gone too).
    pub fn drop_card(&mut self, slot: usize) {
        let card = &self.cards[slot];
        self.gone_cards.push(card.id.clone());
        self.gone_replies
            .extend(card.replies.iter().map(|r| r.id.clone()));
    }
}

/// What a reply body becomes: stored trimmed, or the messages of its refusal
/// (REST: `None` for a missing body).
pub fn body_outcome(text: &Text) -> Result<Option<String>, Vec<&'static str>> {
    match text {
        Text::Missing => Ok(None),
        Text::Null => Err(vec![emoji::NOT_NULL]),
        Text::Wrong(_) => Err(vec![emoji::NOT_A_STRING]),
        Text::Str(s) => {
            if s.contains('\0') {
                return Err(vec![emoji::NUL]);
            }
            let trimmed = s.trim();
            if trimmed.is_empty() {
                Err(vec![emoji::BLANK])
            } else if trimmed.chars().count() > BODY_MAX {
                Err(vec![MAX_2000])
            } else {
                Ok(Some(trimmed.to_string()))
            }
        }
    }
}

/// The emoji of a request body (POST, GraphQL), or the refusal's messages.
pub fn emoji_outcome(e: &EmojiIn) -> Result<String, Vec<&'static str>> {
    match e {
        EmojiIn::Missing => Err(vec![emoji::REQUIRED]),
        EmojiIn::Null => Err(vec![emoji::NOT_NULL]),
        EmojiIn::Wrong(_) => Err(vec![emoji::NOT_A_STRING]),
        // Not UTF-8 in a path: any message (only the field is fixed).
        EmojiIn::RawPath(_) => Err(vec![]),
        EmojiIn::Str(e) => match &e.verdict {
            Verdict::Valid => Ok(e.text.clone()),
            Verdict::Invalid(msgs) => Err(msgs.clone()),
        },
    }
}

/// The emoji of a `DELETE .../reactions/{emoji}/` path: the text that goes
/// percent-encoded, and its outcome.
pub fn path_emoji(e: &EmojiIn) -> (String, Result<String, Vec<&'static str>>) {
    let text = match e {
        EmojiIn::Missing => "undefined".to_string(),
        EmojiIn::Null => "null".to_string(),
        EmojiIn::Wrong(v) => v.to_string(),
        EmojiIn::RawPath(raw) => return (raw.to_string(), Err(vec![])),
        // An empty segment would name another route.
        EmojiIn::Str(e) if e.text.is_empty() => "  ".to_string(),
        EmojiIn::Str(e) => e.text.clone(),
    };
    let outcome = match emoji::verdict(&text) {
        Verdict::Valid => Ok(text.clone()),
        Verdict::Invalid(msgs) => Err(msgs),
    };
    (super::super::encode_segment(&text), outcome)
}
