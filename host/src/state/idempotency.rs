//! Answers remembered by `Idempotency-Key`: `landlord serve` keeps the first
//! answer to a keyed request, per caller, so a client that retries (a lost
//! connection, a timeout) gets that answer again instead of a second
//! provision. Kept in the same database as the journal, so a restarted
//! server remembers too; forgotten after [`RETENTION`].

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::sqlite::unavailable;
use super::{SqliteStateStore, StateError};

/// How long an answer is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// One remembered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedAnswer {
    /// A digest of the request it answered (method, path, body): a key
    /// reused for another request is refused, not answered.
    pub request: String,
    /// The HTTP status.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its `Location`, if any.
    pub location: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// When it was first given.
    pub at: DateTime<Utc>,
}

impl SqliteStateStore {
    /// The answer remembered for `caller`'s `key`, if any (and not expired).
    pub fn remembered(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<RememberedAnswer>, StateError> {
        let oldest = (Utc::now() - RETENTION).to_rfc3339();
        self.conn()
            .query_row(
                "SELECT request, status, content_type, location, body, at FROM idempotency
                 WHERE caller = ?1 AND key = ?2 AND at >= ?3",
                params![caller, key, oldest],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, u16>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, Vec<u8>>(4)?,
                        row.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(unavailable("reading remembered answers"))?
            .map(|(request, status, content_type, location, body, at)| {
                Ok(RememberedAnswer {
                    request,
                    status,
                    content_type,
                    location,
                    body,
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|_| StateError("a remembered answer has a bad time".into()))?
                        .to_utc(),
                })
            })
            .transpose()
    }

    /// Remember `answer` for `caller`'s `key` (the first answer stays if
    /// another process remembered one meanwhile), and forget answers past
    /// their retention.
    pub fn remember(
        &self,
        caller: &str,
        key: &str,
        answer: &RememberedAnswer,
    ) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM idempotency WHERE at < ?1",
            params![(Utc::now() - RETENTION).to_rfc3339()],
        )
        .map_err(unavailable("forgetting old answers"))?;
        conn.execute(
            "INSERT INTO idempotency (caller, key, request, status, content_type, location, body, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (caller, key) DO UPDATE SET
               request = excluded.request, status = excluded.status,
               content_type = excluded.content_type, location = excluded.location,
               body = excluded.body, at = excluded.at
             WHERE idempotency.at < ?9",
            params![
                caller,
                key,
                answer.request,
                answer.status,
                answer.content_type,
                answer.location,
                answer.body,
                answer.at.to_rfc3339(),
                (Utc::now() - RETENTION).to_rfc3339(),
            ],
        )
        .map(drop)
        .map_err(unavailable("remembering an answer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> RememberedAnswer {
        RememberedAnswer {
            request: "r1".into(),
            status: 201,
            content_type: "application/json".into(),
            location: Some("/v1/tenants/acme".into()),
            body: body.as_bytes().to_vec(),
            at: Utc::now(),
        }
    }

    #[test]
    fn the_first_answer_is_kept_per_caller_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStateStore::open(&dir.path().join("state.db")).unwrap();
        assert_eq!(store.remembered("ci", "k1").unwrap(), None);
        store.remember("ci", "k1", &answer("first")).unwrap();
        store.remember("ci", "k1", &answer("second")).unwrap();
        assert_eq!(
            store.remembered("ci", "k1").unwrap().unwrap().body,
            b"first"
        );
        assert_eq!(store.remembered("other", "k1").unwrap(), None);
        let mut old = answer("old");
        old.at = Utc::now() - RETENTION - chrono::Duration::minutes(1);
        store.remember("ci", "k2", &old).unwrap();
        assert_eq!(
            store.remembered("ci", "k2").unwrap(),
            None,
            "expired answers are forgotten"
        );
    }
}
