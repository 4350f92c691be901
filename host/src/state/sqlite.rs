//! A durable [`StateStore`] in one SQLite database file: providers' state
//! and the operation journal, safe for several processes at once (WAL mode,
//! a busy timeout, and immediate transactions for every write).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::compute::wire_name;

use super::{
    CallOutcome, CallRecord, FinishedCall, StateError, StateStore, StateWrite, TenantEntry,
    TenantQuery, Transition, next_entry, transition,
};

/// How long a writer waits for another process's transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema, applied once to a new database (`user_version` 0 → 1).
const SCHEMA_V1: &str = "
    CREATE TABLE provider_state (
        provider TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    BLOB NOT NULL,
        PRIMARY KEY (provider, key)
    ) WITHOUT ROWID;
    CREATE TABLE journal (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        provider    TEXT NOT NULL,
        tenant_id   TEXT NOT NULL,
        operation   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        error_kind  TEXT,
        message     TEXT,
        duration_ms REAL NOT NULL
    );
    CREATE INDEX journal_by_tenant ON journal (tenant_id, id);
    CREATE TABLE tenants (
        tenant_id      TEXT PRIMARY KEY,
        provider       TEXT NOT NULL,
        state          TEXT NOT NULL,
        last_operation TEXT NOT NULL,
        last_outcome   TEXT NOT NULL,
        spec           TEXT,
        result         TEXT,
        updated_at     TEXT NOT NULL
    );
    PRAGMA user_version = 1;
";

/// Version 2 (1 → 2): the answers `landlord serve` remembers by
/// `Idempotency-Key` (see `idempotency.rs`).
const SCHEMA_V2: &str = "
    CREATE TABLE idempotency (
        caller       TEXT NOT NULL,
        key          TEXT NOT NULL,
        request      TEXT NOT NULL,
        status       INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        location     TEXT,
        body         BLOB NOT NULL,
        at           TEXT NOT NULL,
        PRIMARY KEY (caller, key)
    ) WITHOUT ROWID;
    PRAGMA user_version = 2;
";

/// Version 3 (2 → 3): the tenant lifecycle — desired and observed
/// generation, the reason, the last observation, failed attempts — the
/// states renamed (`provisioned` → `ready`, `destroyed` → `deleted`), every
/// state change kept in `transitions`, and the reconciler's reason in the
/// journal.
const SCHEMA_V3: &str = "
    ALTER TABLE tenants ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE tenants ADD COLUMN observed_generation INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tenants ADD COLUMN reason TEXT;
    ALTER TABLE tenants ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tenants ADD COLUMN observed TEXT;
    ALTER TABLE tenants ADD COLUMN observed_at TEXT;
    UPDATE tenants SET
        observed_generation = CASE state WHEN 'provisioned' THEN 1 ELSE 0 END,
        state = CASE state WHEN 'provisioned' THEN 'ready' WHEN 'destroyed' THEN 'deleted'
                ELSE 'failed' END;
    CREATE INDEX tenants_by_state ON tenants (state, tenant_id);
    ALTER TABLE journal ADD COLUMN reason TEXT;
    CREATE TABLE transitions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id  TEXT NOT NULL,
        at         TEXT NOT NULL,
        from_state TEXT,
        to_state   TEXT NOT NULL,
        reason     TEXT
    );
    CREATE INDEX transitions_by_tenant ON transitions (tenant_id, id);
    PRAGMA user_version = 3;
";

/// The schema version this landlord writes.
const SCHEMA_VERSION: i64 = 3;

/// Providers' state and the journal in a SQLite file.
pub struct SqliteStateStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// A unit enum's name as stored (`ErrorKind::StateQuota` → `state_quota`).
fn name_of<T: serde::Serialize>(value: &T) -> String {
    wire_name(value).unwrap_or_default()
}

/// The unit enum value stored as `name`.
fn parse_name<T: serde::de::DeserializeOwned>(name: String) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name)).ok()
}

pub(super) fn unavailable(context: &str) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |err| StateError(format!("{context}: {err}"))
}

impl SqliteStateStore {
    /// Open (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let opening = format!("opening {}", path.display());
        let conn = Connection::open(path).map_err(unavailable(&opening))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(unavailable(&opening))?;
        // WAL lets readers go on while one process writes; NORMAL sync is
        // durable across a killed process (not across power loss).
        // Switching a new database to WAL can answer "database is locked"
        // at once, without waiting, while another process creates it: wait
        // here as the busy timeout would.
        let waited = std::time::Instant::now();
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(err, _))
                    if err.code == rusqlite::ErrorCode::DatabaseBusy
                        && waited.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(err) => return Err(unavailable(&opening)(err)),
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable(&opening))?;
        // A CLI process opens, commits once and closes. Checkpointing the
        // WAL into the database at every close cost each command its own
        // fsyncs; SQLite's automatic checkpoints (every 1000 WAL pages) keep
        // the WAL bounded instead.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(unavailable(&opening))?;
        let store = Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn migrate(&self) -> Result<(), StateError> {
        let mut conn = self.conn();
        // The usual case, a current schema, needs no write lock: opening a
        // store does not wait for (or hold up) another process's write.
        let current: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(unavailable("reading the schema version"))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable("starting the schema migration"))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(unavailable("reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(StateError(format!(
                "{} has schema version {version}, newer than this landlord understands ({SCHEMA_VERSION}); use a newer landlord",
                self.path.display()
            )));
        }
        if version < 1 {
            tx.execute_batch(SCHEMA_V1)
                .map_err(unavailable("creating the schema"))?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_V2)
                .map_err(unavailable("migrating the schema to version 2"))?;
        }
        if version < 3 {
            tx.execute_batch(SCHEMA_V3)
                .map_err(unavailable("migrating the schema to version 3"))?;
        }
        tx.commit().map_err(unavailable("committing the schema"))
    }
}

/// The columns of a tenant index entry, in [`read_tenant`]'s order.
const TENANT_COLUMNS: &str = "tenant_id, provider, state, generation, observed_generation, reason, \
    last_operation, last_outcome, attempts, spec, result, observed, observed_at, updated_at";

/// Put `entry` in the index (inserting or replacing it), recording its
/// transition from `previous`.
fn write_tenant(
    conn: &Connection,
    previous: Option<&TenantEntry>,
    entry: &TenantEntry,
) -> Result<(), StateError> {
    let json = |value: &Option<serde_json::Value>| value.as_ref().map(ToString::to_string);
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO tenants ({TENANT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    ))
    .and_then(|mut statement| {
        statement.execute(params![
            entry.tenant_id,
            entry.provider,
            entry.state.as_str(),
            i64::try_from(entry.generation).unwrap_or(i64::MAX),
            i64::try_from(entry.observed_generation).unwrap_or(i64::MAX),
            entry.reason,
            name_of(&entry.last_operation),
            entry.last_outcome.name(),
            entry.attempts,
            json(&entry.spec),
            json(&entry.result),
            json(&entry.observed),
            entry.observed_at.map(|at| at.to_rfc3339()),
            entry.updated_at.to_rfc3339(),
        ])
    })
    .map_err(unavailable("writing the tenant index"))?;
    if let Some(moved) = transition(previous, entry) {
        conn.prepare_cached(
            "INSERT INTO transitions (tenant_id, at, from_state, to_state, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                moved.tenant_id,
                moved.at.to_rfc3339(),
                moved.from.map(|state| state.as_str()),
                moved.to.as_str(),
                moved.reason,
            ])
        })
        .map_err(unavailable("recording a transition"))?;
    }
    Ok(())
}

/// A time as stored.
fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.to_utc())
}

/// One index entry from a row of [`TENANT_COLUMNS`].
fn read_tenant(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<TenantEntry, StateError>> {
    let corrupt = |what: &str| StateError(format!("tenant index entry has a bad {what}"));
    let json = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    let state: String = row.get(2)?;
    let operation: String = row.get(6)?;
    let outcome: String = row.get(7)?;
    let observed_at: Option<String> = row.get(12)?;
    let updated_at: String = row.get(13)?;
    let entry = TenantEntry {
        tenant_id: row.get(0)?,
        provider: row.get(1)?,
        generation: count(row.get(3)?),
        observed_generation: count(row.get(4)?),
        reason: row.get(5)?,
        attempts: row.get(8)?,
        spec: json(row.get(9)?),
        result: json(row.get(10)?),
        observed: json(row.get(11)?),
        state: match state.parse() {
            Ok(state) => state,
            Err(_) => return Ok(Err(corrupt("state"))),
        },
        last_operation: match parse_name(operation) {
            Some(operation) => operation,
            None => return Ok(Err(corrupt("operation"))),
        },
        last_outcome: match parse_name(outcome) {
            Some(outcome) => outcome,
            None => return Ok(Err(corrupt("outcome"))),
        },
        observed_at: observed_at.as_deref().and_then(parse_time),
        updated_at: match parse_time(&updated_at) {
            Some(at) => at,
            None => return Ok(Err(corrupt("time"))),
        },
    };
    Ok(Ok(entry))
}

/// The entries `query` selects (or just `tenant_id`'s), by id.
fn read_tenants(
    conn: &Connection,
    tenant_id: Option<&str>,
    query: &TenantQuery,
) -> Result<Vec<TenantEntry>, StateError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants
             WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR provider = ?2)
               AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR tenant_id > ?4)
             ORDER BY tenant_id LIMIT ?5"
        ))
        .map_err(unavailable("reading the tenant index"))?;
    let limit = query
        .limit
        .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
    let rows = statement
        .query_map(
            params![
                tenant_id,
                query.provider,
                query.state.map(|state| state.as_str()),
                query.after,
                limit
            ],
            read_tenant,
        )
        .map_err(unavailable("reading the tenant index"))?;
    let mut entries = Vec::new();
    for row in rows {
        entries.push(row.map_err(unavailable("reading the tenant index"))??);
    }
    Ok(entries)
}

impl StateStore for SqliteStateStore {
    fn get(&self, provider: &str, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.conn()
            .query_row(
                "SELECT value FROM provider_state WHERE provider = ?1 AND key = ?2",
                params![provider, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(unavailable("reading state"))
    }

    fn list_keys(&self, provider: &str, prefix: &str) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT key FROM provider_state WHERE provider = ?1 AND key >= ?2 ORDER BY key",
            )
            .map_err(unavailable("listing state keys"))?;
        let mut rows = statement
            .query(params![provider, prefix])
            .map_err(unavailable("listing state keys"))?;
        let mut keys = Vec::new();
        while let Some(row) = rows.next().map_err(unavailable("listing state keys"))? {
            let key: String = row.get(0).map_err(unavailable("listing state keys"))?;
            if !key.starts_with(prefix) {
                break;
            }
            keys.push(key);
        }
        Ok(keys)
    }

    fn usage(&self, provider: &str) -> Result<u64, StateError> {
        let bytes: i64 = self
            .conn()
            .query_row(
                "SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(value)), 0)
                 FROM provider_state WHERE provider = ?1",
                params![provider],
                |row| row.get(0),
            )
            .map_err(unavailable("measuring state"))?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    fn finish_call(
        &self,
        provider: &str,
        writes: &[StateWrite],
        call: Option<&FinishedCall>,
    ) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable("starting a state transaction"))?;
        for (key, value) in writes {
            match value {
                Some(value) => tx.execute(
                    "INSERT INTO provider_state (provider, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (provider, key) DO UPDATE SET value = excluded.value",
                    params![provider, key, value],
                ),
                None => tx.execute(
                    "DELETE FROM provider_state WHERE provider = ?1 AND key = ?2",
                    params![provider, key],
                ),
            }
            .map_err(unavailable("writing state"))?;
        }
        if let Some(call) = call {
            let record = &call.record;
            let (outcome, kind, message) = match &record.outcome {
                CallOutcome::Ok => ("ok", None, None),
                CallOutcome::Failed { kind, message } => {
                    ("failed", Some(name_of(kind)), Some(message.as_str()))
                }
            };
            tx.execute(
                "INSERT INTO journal (at, provider, tenant_id, operation, outcome, error_kind, message, duration_ms, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    record.at.to_rfc3339(),
                    record.provider,
                    record.tenant_id,
                    name_of(&record.operation),
                    outcome,
                    kind,
                    message,
                    record.duration_ms,
                    record.reason,
                ],
            )
            .map_err(unavailable("writing the journal"))?;
            let previous =
                read_tenants(&tx, Some(&record.tenant_id), &TenantQuery::default())?.pop();
            if let Some(entry) = next_entry(previous.as_ref(), call) {
                write_tenant(&tx, previous.as_ref(), &entry)?;
            }
        }
        tx.commit()
            .map_err(unavailable("committing a state transaction"))
    }

    fn journal(&self, tenant_id: Option<&str>) -> Result<Vec<CallRecord>, StateError> {
        self.read_journal(tenant_id, None)
    }

    fn journal_tail(
        &self,
        tenant_id: Option<&str>,
        last: usize,
    ) -> Result<Vec<CallRecord>, StateError> {
        self.read_journal(tenant_id, Some(last))
    }

    fn tenant(&self, tenant_id: &str) -> Result<Option<TenantEntry>, StateError> {
        Ok(read_tenants(&self.conn(), Some(tenant_id), &TenantQuery::default())?.pop())
    }

    fn tenants(&self, query: &TenantQuery) -> Result<Vec<TenantEntry>, StateError> {
        read_tenants(&self.conn(), None, query)
    }

    fn change_tenant(
        &self,
        tenant_id: &str,
        change: &mut dyn FnMut(Option<&TenantEntry>) -> Option<TenantEntry>,
    ) -> Result<Option<TenantEntry>, StateError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable("starting a tenant index transaction"))?;
        let previous = read_tenants(&tx, Some(tenant_id), &TenantQuery::default())?.pop();
        let next = change(previous.as_ref());
        if let Some(next) = &next {
            write_tenant(&tx, previous.as_ref(), next)?;
        }
        tx.commit()
            .map_err(unavailable("committing a tenant index transaction"))?;
        Ok(next)
    }

    fn transitions(&self, tenant_id: &str) -> Result<Vec<Transition>, StateError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT at, from_state, to_state, reason FROM transitions
                 WHERE tenant_id = ?1 ORDER BY id",
            )
            .map_err(unavailable("reading transitions"))?;
        let rows = statement
            .query_map(params![tenant_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(unavailable("reading transitions"))?;
        let mut transitions = Vec::new();
        for row in rows {
            let (at, from, to, reason) = row.map_err(unavailable("reading transitions"))?;
            let corrupt = |what: &str| StateError(format!("transition has a bad {what}"));
            transitions.push(Transition {
                at: parse_time(&at).ok_or_else(|| corrupt("time"))?,
                tenant_id: tenant_id.to_owned(),
                from: match from {
                    Some(from) => Some(from.parse().map_err(|_| corrupt("state"))?),
                    None => None,
                },
                to: to.parse().map_err(|_| corrupt("state"))?,
                reason,
            });
        }
        Ok(transitions)
    }
}

impl SqliteStateStore {
    /// The journal, oldest first: every call (or `tenant_id`'s), or only the
    /// `last` of them.
    fn read_journal(
        &self,
        tenant_id: Option<&str>,
        last: Option<usize>,
    ) -> Result<Vec<CallRecord>, StateError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT * FROM (
                   SELECT id, at, provider, tenant_id, operation, outcome, error_kind, message, duration_ms, reason
                   FROM journal WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY id DESC LIMIT ?2
                 ) ORDER BY id",
            )
            .map_err(unavailable("reading the journal"))?;
        let last = last.map_or(-1, |last| i64::try_from(last).unwrap_or(i64::MAX));
        let rows = statement
            .query_map(params![tenant_id, last], |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, f64>(8)?,
                    row.get::<_, Option<String>>(9)?,
                ))
            })
            .map_err(unavailable("reading the journal"))?;
        let mut records = Vec::new();
        for row in rows {
            let (at, provider, tenant_id, operation, outcome, kind, message, duration_ms, reason) =
                row.map_err(unavailable("reading the journal"))?;
            let corrupt = |what: &str| StateError(format!("journal entry has a bad {what}"));
            let outcome = match outcome.as_str() {
                "ok" => CallOutcome::Ok,
                _ => CallOutcome::Failed {
                    kind: parse_name(kind.unwrap_or_default())
                        .ok_or_else(|| corrupt("error kind"))?,
                    message: message.unwrap_or_default(),
                },
            };
            records.push(CallRecord {
                at: chrono::DateTime::parse_from_rfc3339(&at)
                    .map_err(|_| corrupt("time"))?
                    .to_utc(),
                provider,
                tenant_id,
                operation: parse_name(operation).ok_or_else(|| corrupt("operation"))?,
                outcome,
                duration_ms,
                reason,
            });
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::compute::ErrorKind;
    use crate::state::memory::tests::record;

    fn open(dir: &tempfile::TempDir) -> SqliteStateStore {
        SqliteStateStore::open(&dir.path().join("state.db")).unwrap()
    }

    #[test]
    fn state_and_journal_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(&dir);
            let writes = [
                ("tenant/a".to_owned(), Some(b"one".to_vec())),
                ("tenant/b".to_owned(), Some(b"two".to_vec())),
                ("other".to_owned(), Some(b"x".to_vec())),
            ];
            store
                .finish_call("mock", &writes, Some(&record("a", CallOutcome::Ok)))
                .unwrap();
            let failed = CallOutcome::Failed {
                kind: ErrorKind::StateQuota,
                message: "full".into(),
            };
            store
                .finish_call(
                    "mock",
                    &[("tenant/a".to_owned(), None)],
                    Some(&record("b", failed)),
                )
                .unwrap();
        }
        let store = open(&dir);
        assert_eq!(
            store.get("mock", "tenant/b").unwrap(),
            Some(b"two".to_vec())
        );
        assert_eq!(store.get("mock", "tenant/a").unwrap(), None);
        assert_eq!(store.get("other-provider", "tenant/b").unwrap(), None);
        assert_eq!(store.list_keys("mock", "tenant/").unwrap(), ["tenant/b"]);
        assert_eq!(store.list_keys("mock", "").unwrap(), ["other", "tenant/b"]);
        assert_eq!(store.usage("mock").unwrap(), (8 + 3 + 5 + 1) as u64);
        let journal = store.journal(None).unwrap();
        assert_eq!(journal.len(), 2);
        assert_eq!(journal[0].outcome, CallOutcome::Ok);
        assert_eq!(
            journal[1].outcome,
            CallOutcome::Failed {
                kind: ErrorKind::StateQuota,
                message: "full".into()
            }
        );
        assert_eq!(store.journal(Some("b")).unwrap().len(), 1);
        assert_eq!(journal[0].duration_ms, 1.5);
        // The last entries, still oldest first; per tenant too.
        let tail = store.journal_tail(None, 1).unwrap();
        assert_eq!(tail, journal[1..]);
        assert_eq!(store.journal_tail(None, 5).unwrap(), journal);
        assert_eq!(store.journal_tail(Some("a"), 5).unwrap(), journal[..1]);
        assert!(store.journal_tail(None, 0).unwrap().is_empty());
    }

    #[test]
    fn usage_counts_bytes_not_characters() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store
            .finish_call(
                "p",
                &[("é".to_owned(), Some(vec![0; 3]))],
                Some(&record("t", CallOutcome::Ok)),
            )
            .unwrap();
        assert_eq!(store.usage("p").unwrap(), 2 + 3);
    }

    #[test]
    fn concurrent_writers_on_one_file_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(SqliteStateStore::open(&path).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // A store (connection) of its own, as another process would have.
                    let store = Arc::new(SqliteStateStore::open(&path).unwrap());
                    for i in 0..25 {
                        let key = format!("tenant/{t}-{i}");
                        store
                            .finish_call(
                                "mock",
                                &[(key, Some(vec![1]))],
                                Some(&record(&format!("{t}-{i}"), CallOutcome::Ok)),
                            )
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let store = SqliteStateStore::open(&path).unwrap();
        assert_eq!(store.list_keys("mock", "tenant/").unwrap().len(), 100);
        assert_eq!(store.journal(None).unwrap().len(), 100);
    }

    #[test]
    fn a_version_2_index_migrates_to_the_lifecycle() {
        use crate::state::TenantState;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(SCHEMA_V2).unwrap();
        conn.execute_batch(
            "INSERT INTO tenants VALUES ('a', 'mock', 'provisioned', 'provision', 'ok', '{}', NULL, '2026-01-01T00:00:00Z');
             INSERT INTO tenants VALUES ('b', 'mock', 'destroyed', 'destroy', 'ok', NULL, NULL, '2026-01-01T00:00:00Z');
             INSERT INTO tenants VALUES ('c', 'mock', 'failed', 'provision', 'timeout', NULL, NULL, '2026-01-01T00:00:00Z');
             INSERT INTO journal (at, provider, tenant_id, operation, outcome, duration_ms)
               VALUES ('2026-01-01T00:00:00Z', 'mock', 'a', 'provision', 'ok', 1.0);",
        )
        .unwrap();
        drop(conn);
        let store = SqliteStateStore::open(&path).unwrap();
        let a = store.tenant("a").unwrap().unwrap();
        assert_eq!(a.state, TenantState::Ready);
        assert_eq!((a.generation, a.observed_generation, a.attempts), (1, 1, 0));
        assert_eq!(
            store.tenant("b").unwrap().unwrap().state,
            TenantState::Deleted
        );
        let c = store.tenant("c").unwrap().unwrap();
        assert_eq!((c.state, c.observed_generation), (TenantState::Failed, 0));
        assert_eq!(store.journal(None).unwrap()[0].reason, None);
        assert!(store.transitions("a").unwrap().is_empty());
        // A lifecycle change is recorded with its transition.
        store
            .change_tenant("a", &mut |entry| {
                let mut next = entry.cloned()?;
                next.state = TenantState::Degraded;
                next.reason = Some("drift: container web missing".into());
                Some(next)
            })
            .unwrap();
        let moved = store.transitions("a").unwrap();
        assert_eq!(moved.len(), 1);
        assert_eq!(
            (moved[0].from, moved[0].to),
            (Some(TenantState::Ready), TenantState::Degraded)
        );
        assert_eq!(
            moved[0].reason.as_deref(),
            Some("drift: container web missing")
        );
    }

    #[test]
    fn a_newer_schema_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 7).unwrap();
        drop(conn);
        let err = SqliteStateStore::open(&path).err().unwrap();
        assert!(err.0.contains("schema version 7"), "{err}");
    }

    #[test]
    fn the_tenant_index_is_written_with_the_journal_and_survives_reopening() {
        use crate::compute::Operation;
        use crate::state::TenantState;
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(&dir);
            let mut provision = record("acme", CallOutcome::Ok);
            provision.spec = Some(serde_json::json!({"tenant_id": "acme"}));
            provision.result = Some(serde_json::json!({"status": "success"}));
            store.finish_call("p", &[], Some(&provision)).unwrap();
            let mut destroy = record("acme", CallOutcome::Ok);
            destroy.record.operation = Operation::Destroy;
            store.finish_call("p", &[], Some(&destroy)).unwrap();
            // A destroy of a tenant never seen is journaled, not indexed.
            let mut stranger = record("globex", CallOutcome::Ok);
            stranger.record.operation = Operation::Destroy;
            store.finish_call("p", &[], Some(&stranger)).unwrap();
        }
        let store = open(&dir);
        let found = store.tenant("acme").unwrap().unwrap();
        assert_eq!(found.state, TenantState::Deleted);
        assert_eq!(found.last_operation, Operation::Destroy);
        assert_eq!(found.spec, Some(serde_json::json!({"tenant_id": "acme"})));
        assert_eq!(found.result, Some(serde_json::json!({"status": "success"})));
        assert_eq!(store.tenants(&TenantQuery::default()).unwrap().len(), 1);
        assert_eq!(store.tenant("globex").unwrap(), None);
        assert_eq!(store.journal(None).unwrap().len(), 3);
    }

    #[test]
    fn tenant_queries_filter_and_page_by_id() {
        use crate::state::TenantState;
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        for id in ["a", "b", "c", "d"] {
            store
                .finish_call("p", &[], Some(&record(id, CallOutcome::Ok)))
                .unwrap();
        }
        let failed = CallOutcome::Failed {
            kind: ErrorKind::Trap,
            message: "trap".into(),
        };
        store
            .finish_call("p", &[], Some(&record("e", failed)))
            .unwrap();
        let ids = |query: TenantQuery| -> Vec<String> {
            store
                .tenants(&query)
                .unwrap()
                .into_iter()
                .map(|t| t.tenant_id)
                .collect()
        };
        let page = TenantQuery {
            after: Some("a".into()),
            limit: Some(2),
            ..TenantQuery::default()
        };
        assert_eq!(ids(page), ["b", "c"]);
        let failed_only = TenantQuery {
            state: Some(TenantState::Failed),
            ..TenantQuery::default()
        };
        assert_eq!(ids(failed_only), ["e"]);
        let other_provider = TenantQuery {
            provider: Some("q".into()),
            ..TenantQuery::default()
        };
        assert!(ids(other_provider).is_empty());
    }
}
