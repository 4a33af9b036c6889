use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub username: String,
    /// ASCII-lowercased username: the key of case-insensitive uniqueness.
    #[sea_orm(unique)]
    pub username_key: String,
    pub email: String,
    /// Lowercased email: the key of case-insensitive uniqueness.
    #[sea_orm(unique)]
    pub email_key: String,
    pub password_hash: String,
    pub is_staff: bool,
    /// The owner proved they read mail at `email`.
    pub email_verified: bool,
    pub date_joined: DateTimeUtc,
    pub last_login: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
