//! What a reaction may be (the emoji rule) and how a card's reactions are
//! summed up for a reader: `{emoji, count, reacted}`, most used first, then by
//! the emoji's code points; an emoji nobody has is not listed.

use std::collections::HashMap;

use entity::reaction;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use unicode_segmentation::UnicodeSegmentation;
use uuid::Uuid;

use crate::{
    domain::input::{Field, present},
    error::Result,
};

/// The longest emoji, in bytes of UTF-8.
pub const EMOJI_MAX_BYTES: usize = 16;
pub const NOT_ONE_EMOJI: &str = "Enter a single emoji: one character (grapheme cluster) of at most \
     16 bytes, without whitespace or control characters.";

/// One emoji of a card's summary, as one reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionSummary {
    pub emoji: String,
    pub count: u64,
    /// Whether the reader has this reaction.
    pub reacted: bool,
}

/// The emoji rule: one extended grapheme cluster (Unicode's segmentation,
/// not a hand rule) of at most 16 bytes, with no whitespace or control
/// character. The messages are DRF's for a missing or null field.
pub fn valid_emoji(value: Field<&str>) -> std::result::Result<&str, Vec<String>> {
    let emoji = present(value)?;
    if emoji.is_empty() {
        return Err(vec![crate::domain::input::BLANK.into()]);
    }
    let one_cluster = emoji.graphemes(true).nth(1).is_none();
    let clean = !emoji.chars().any(|c| c.is_whitespace() || c.is_control());
    if one_cluster && clean && emoji.len() <= EMOJI_MAX_BYTES {
        Ok(emoji)
    } else {
        Err(vec![NOT_ONE_EMOJI.into()])
    }
}

/// Sorts a summary: most used first, then by code points (UTF-8 byte order
/// is code-point order).
pub fn sort(summary: &mut [ReactionSummary]) {
    summary.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.emoji.cmp(&b.emoji)));
}

/// Every reaction of one card — enough to give each reader of the live feed
/// their own summary without asking the database per reader.
#[derive(Debug, Clone, Default)]
pub struct CardReactions {
    /// `(emoji, user)`.
    rows: Vec<(String, Uuid)>,
}

impl CardReactions {
    /// The card's reactions, whoever made them.
    pub async fn load(db: &DatabaseConnection, card_id: Uuid) -> Result<Self> {
        let rows = reaction::Entity::find()
            .select_only()
            .columns([reaction::Column::Emoji, reaction::Column::UserId])
            .filter(reaction::Column::CardId.eq(card_id))
            .into_tuple::<(String, Uuid)>()
            .all(db)
            .await?;
        Ok(Self { rows })
    }

    /// Does `user` have any reaction on the card?
    pub fn has_any(&self, user: Uuid) -> bool {
        self.rows.iter().any(|(_, u)| *u == user)
    }

    /// The summary as `reader` sees it (`None`: anonymous).
    pub fn summary_for(&self, reader: Option<Uuid>) -> Vec<ReactionSummary> {
        let mut by_emoji: HashMap<&str, ReactionSummary> = HashMap::new();
        for (emoji, user) in &self.rows {
            let entry = by_emoji
                .entry(emoji.as_str())
                .or_insert_with(|| ReactionSummary {
                    emoji: emoji.clone(),
                    count: 0,
                    reacted: false,
                });
            entry.count += 1;
            entry.reacted |= reader == Some(*user);
        }
        let mut summary: Vec<_> = by_emoji.into_values().collect();
        sort(&mut summary);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> bool {
        valid_emoji(Field::Value(s)).is_ok()
    }

    #[test]
    fn one_grapheme_cluster_of_at_most_16_bytes() {
        assert!(check("👍"));
        assert!(check("👍🏽")); // with a skin-tone modifier: one cluster
        assert!(check("👩‍💻")); // a ZWJ sequence: one cluster, 11 bytes
        assert!(check("🇫🇷")); // a flag: two regional indicators, one cluster
        assert!(check("❤️")); // with a variation selector
        assert!(check("a"));
        assert!(!check("👍👍"));
        assert!(!check("ab"));
        assert!(!check(""));
        assert!(!check(" "));
        assert!(!check(" 👍"));
        assert!(!check("\n"));
        assert!(!check("\u{7}"));
        assert!(!check("\u{0}"));
        // One cluster each, but 18 and 25 bytes.
        assert!(!check("👨‍👩‍👧"));
        assert!(!check("👨‍👩‍👧‍👦"));
        assert!(valid_emoji(Field::Null).is_err());
        assert!(valid_emoji(Field::Absent).is_err());
    }

    #[test]
    fn summaries_are_sorted_by_count_then_code_points() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let r = CardReactions {
            rows: vec![
                ("🎉".into(), other),
                ("👍".into(), other),
                ("👍".into(), me),
                ("😂".into(), other),
                ("❤️".into(), me),
            ],
        };
        let s = r.summary_for(Some(me));
        let got: Vec<_> = s
            .iter()
            .map(|x| (x.emoji.as_str(), x.count, x.reacted))
            .collect();
        assert_eq!(
            got,
            vec![
                ("👍", 2, true),
                ("❤️", 1, true),
                ("🎉", 1, false),
                ("😂", 1, false)
            ]
        );
        assert!(r.summary_for(None).iter().all(|x| !x.reacted));
    }
}
