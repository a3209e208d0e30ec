//! How the domain's typed values are stored: roles and deletion causes as their text, digests as 32-byte
//! blobs, instants as Unix milliseconds, lifetimes as whole seconds. A stored value the domain does not know
//! is a read error, never a silent fall-back.

use crate::domain::{DeletedVia, Digest, LabelSelector, MemberRole, Timestamp, TokenRole, Ttl};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Binary, Text};

fn unknown(what: &str, text: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("unknown {what} {text:?} in the database").into()
}

/// A type stored as one of a fixed set of texts.
trait StoredText: Sized {
    const WHAT: &'static str;
    fn text(&self) -> &'static str;
    fn from_text(text: &str) -> Option<Self>;
}

impl StoredText for TokenRole {
    const WHAT: &'static str = "token role";
    fn text(&self) -> &'static str {
        self.as_str()
    }
    fn from_text(text: &str) -> Option<Self> {
        // Only the stored spelling: `user` is a form's, not the column's.
        [TokenRole::User, TokenRole::Admin]
            .into_iter()
            .find(|role| role.as_str() == text)
    }
}

impl StoredText for MemberRole {
    const WHAT: &'static str = "member role";
    fn text(&self) -> &'static str {
        self.as_str()
    }
    fn from_text(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl StoredText for DeletedVia {
    const WHAT: &'static str = "deletion cause";
    fn text(&self) -> &'static str {
        self.as_str()
    }
    fn from_text(text: &str) -> Option<Self> {
        DeletedVia::parse(text)
    }
}

macro_rules! stored_as_text {
    ($($ty:ty),*) => {$(
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.text().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                <$ty>::from_text(&text).ok_or_else(|| unknown(<$ty>::WHAT, &text))
            }
        }
    )*};
}

stored_as_text!(TokenRole, MemberRole, DeletedVia);

impl<DB: Backend> ToSql<Text, DB> for LabelSelector
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

/// A stored selector is checked again: one the rule refuses is a read error, never a wider scope.
impl<DB: Backend> FromSql<Text, DB> for LabelSelector
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        LabelSelector::parse(&text).map_err(|_| unknown("label selector", &text))
    }
}

impl<DB: Backend> ToSql<Binary, DB> for Digest
where
    [u8]: ToSql<Binary, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0[..].to_sql(out)
    }
}

impl<DB: Backend> FromSql<Binary, DB> for Digest
where
    Vec<u8>: FromSql<Binary, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let bytes = Vec::<u8>::from_sql(bytes)?;
        let digest: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("a digest of {} bytes in the database", b.len()))?;
        Ok(Digest(digest))
    }
}

impl<DB: Backend> ToSql<BigInt, DB> for Timestamp
where
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.ms_ref().to_sql(out)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for Timestamp
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        i64::from_sql(bytes).map(Timestamp::from_ms)
    }
}

impl<DB: Backend> ToSql<BigInt, DB> for Ttl
where
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.secs_ref().to_sql(out)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for Ttl
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let secs = i64::from_sql(bytes)?;
        u64::try_from(secs)
            .ok()
            .and_then(Ttl::from_secs)
            .ok_or_else(|| format!("a lifetime of {secs} s in the database").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    fn value<T, ST>(sql: &str) -> QueryResult<T>
    where
        ST: diesel::sql_types::SingleValue + diesel::query_builder::QueryId + 'static,
        diesel::sqlite::Sqlite: diesel::sql_types::HasSqlType<ST>,
        T: FromSql<ST, diesel::sqlite::Sqlite> + 'static,
        T: diesel::deserialize::FromSqlRow<ST, diesel::sqlite::Sqlite>,
    {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::select(diesel::dsl::sql::<ST>(sql)).get_result(&mut conn)
    }

    #[test]
    fn stored_values_read_back_as_the_domain_knows_them() {
        assert_eq!(
            value::<TokenRole, Text>("'ADMIN'").unwrap(),
            TokenRole::Admin
        );
        assert_eq!(
            value::<MemberRole, Text>("'viewer'").unwrap(),
            MemberRole::Viewer
        );
        assert_eq!(
            value::<DeletedVia, Text>("'leak report'").unwrap(),
            DeletedVia::LeakReport
        );
        assert_eq!(
            value::<Timestamp, BigInt>("42").unwrap(),
            Timestamp::from_ms(42)
        );
        assert_eq!(
            value::<Ttl, BigInt>("90").unwrap(),
            Ttl::from_secs(90).unwrap()
        );
        assert_eq!(
            value::<Digest, Binary>("zeroblob(32)").unwrap(),
            Digest([0; 32])
        );
    }

    #[test]
    fn unknown_stored_values_are_errors_not_fall_backs() {
        assert!(value::<TokenRole, Text>("'user'").is_err());
        assert!(value::<TokenRole, Text>("'ROOT'").is_err());
        assert!(value::<MemberRole, Text>("'king'").is_err());
        assert!(value::<DeletedVia, Text>("'magic'").is_err());
        assert!(value::<Ttl, BigInt>("0").is_err());
        assert!(value::<Digest, Binary>("zeroblob(31)").is_err());
    }
}
