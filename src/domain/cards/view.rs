//! A card as callers see it, its visibility, and the one rule of who may read it.

use entity::card;
use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::domain::{actor::Actor, reactions::summary::ReactionSummary, time::Timestamp};

/// Who may read a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// The visibility stored in a row; anything unknown is private (fails closed).
    pub fn stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Visibility::Private)
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// A visibility as a client sent it: one of the choices, or text that is
/// none of them (REST bodies; the rules answer with DRF's "not a valid choice").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisibilityChoice {
    Valid(Visibility),
    Invalid(String),
}

impl From<Visibility> for VisibilityChoice {
    fn from(v: Visibility) -> Self {
        VisibilityChoice::Valid(v)
    }
}

impl<'de> Deserialize<'de> for VisibilityChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(match Visibility::parse(&raw) {
            Some(v) => VisibilityChoice::Valid(v),
            None => VisibilityChoice::Invalid(raw),
        })
    }
}

/// May `actor` read a card with this owner and visibility? Public cards:
/// everyone; private ones: their owner and staff. Every read path — a card,
/// a list (through [`may_read_condition`]), a write's 404, the live feed —
/// asks this rule.
pub fn may_read(actor: &Actor, owner_id: Uuid, visibility: Visibility) -> bool {
    visibility == Visibility::Public || actor.is_staff() || actor.user_id() == Some(owner_id)
}

/// [`may_read`] as a SQL condition on `cards`, for lists (`None`: staff read
/// everything). Keep the two in step.
///
/// A signed-in reader's "public or mine" is written `NOT (visibility <>
/// 'public' AND owner_id <> me)` (the same rows: neither column is
/// nullable). As a top-level OR, SQLite without statistics merges two index
/// lookups and sorts every readable card to return one page (bench S8rest:
/// the cost grew with the table); this form walks the `(created_at, id)`
/// index in page order and stops after the page.
pub fn may_read_condition(actor: &Actor) -> Option<Condition> {
    if actor.is_staff() {
        return None;
    }
    let public = Visibility::Public.as_str();
    Some(match actor.user_id() {
        Some(me) => Condition::all()
            .add(card::Column::Visibility.ne(public))
            .add(card::Column::OwnerId.ne(me))
            .not(),
        None => Condition::all().add(card::Column::Visibility.eq(public)),
    })
}

/// A card as callers see it.
#[derive(Debug, Clone)]
pub struct CardView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_username: String,
    pub title: String,
    pub body: String,
    pub visibility: Visibility,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How many replies the card's thread holds.
    pub reply_count: u64,
    /// How many reactions the card has in all (0: its summary is empty
    /// without asking).
    pub reaction_count: u64,
    /// The reactions as the reader sees them; `None` until loaded (a card
    /// read does not load them: `reactions::attach` does, for a page at once).
    pub reactions: Option<Vec<ReactionSummary>>,
}

impl CardView {
    /// Its reaction summary when known without asking the database: loaded,
    /// or empty because the card has no reaction at all.
    pub fn known_reactions(&self) -> Option<&[ReactionSummary]> {
        match &self.reactions {
            Some(known) => Some(known),
            None if self.reaction_count == 0 => Some(&[]),
            None => None,
        }
    }

    pub fn new(card: card::Model, owner_username: String) -> Self {
        Self {
            id: card.id,
            owner_id: card.owner_id,
            owner_username,
            title: card.title,
            body: card.body,
            visibility: Visibility::stored(&card.visibility),
            created_at: card.created_at.into(),
            updated_at: card.updated_at.into(),
            reply_count: card.reply_count.max(0) as u64,
            reaction_count: card.reaction_count.max(0) as u64,
            reactions: None,
        }
    }
}
