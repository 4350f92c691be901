//! A durable [`StateStore`] in one SQLite database file: providers' state
//! and the operation journal, safe for several processes at once (WAL mode,
//! a busy timeout, and immediate transactions for every write).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::compute::wire_name;

use super::{CallOutcome, CallRecord, StateError, StateStore, StateWrite};

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

/// What the host knows of one tenant: which provider manages it, and how
/// its last operation went (the CLI's tenant index).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TenantEntry {
    /// The tenant.
    pub tenant_id: String,
    /// The provider that manages it.
    pub provider: String,
    /// `provisioned`, `destroyed`, or `failed` when nothing succeeded yet.
    pub state: String,
    /// The last operation run on it.
    pub last_operation: String,
    /// `ok`, or the error kind of the last operation.
    pub last_outcome: String,
    /// The last spec applied, as JSON.
    pub spec: Option<serde_json::Value>,
    /// The last result, as JSON.
    pub result: Option<serde_json::Value>,
    /// When the entry last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

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

fn unavailable(context: &str) -> impl Fn(rusqlite::Error) -> StateError + '_ {
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
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable(&opening))?;
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

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn migrate(&self) -> Result<(), StateError> {
        let mut conn = self.conn();
        // The usual case, a current schema, needs no write lock: opening a
        // store does not wait for (or hold up) another process's write.
        let current: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(unavailable("reading the schema version"))?;
        if current == 1 {
            return Ok(());
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable("starting the schema migration"))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(unavailable("reading the schema version"))?;
        match version {
            0 => tx
                .execute_batch(SCHEMA_V1)
                .map_err(unavailable("creating the schema"))?,
            1 => {}
            newer => {
                return Err(StateError(format!(
                    "{} has schema version {newer}, newer than this landlord understands (1); use a newer landlord",
                    self.path.display()
                )));
            }
        }
        tx.commit().map_err(unavailable("committing the schema"))
    }
}

impl SqliteStateStore {
    /// Insert or replace the index entry of `entry.tenant_id`.
    pub fn record_tenant(&self, entry: &TenantEntry) -> Result<(), StateError> {
        let json = |value: &Option<serde_json::Value>| value.as_ref().map(ToString::to_string);
        self.conn()
            .execute(
                "INSERT INTO tenants (tenant_id, provider, state, last_operation, last_outcome, spec, result, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (tenant_id) DO UPDATE SET provider = excluded.provider, state = excluded.state,
                   last_operation = excluded.last_operation, last_outcome = excluded.last_outcome,
                   spec = COALESCE(excluded.spec, spec), result = COALESCE(excluded.result, result),
                   updated_at = excluded.updated_at",
                params![
                    entry.tenant_id,
                    entry.provider,
                    entry.state,
                    entry.last_operation,
                    entry.last_outcome,
                    json(&entry.spec),
                    json(&entry.result),
                    entry.updated_at.to_rfc3339(),
                ],
            )
            .map(drop)
            .map_err(unavailable("writing the tenant index"))
    }

    /// The index entry of `tenant_id`, if the host has seen it.
    pub fn tenant(&self, tenant_id: &str) -> Result<Option<TenantEntry>, StateError> {
        Ok(self.tenants_where(Some(tenant_id))?.pop())
    }

    /// Every tenant the host has seen, by id.
    pub fn tenants(&self) -> Result<Vec<TenantEntry>, StateError> {
        self.tenants_where(None)
    }

    fn tenants_where(&self, tenant_id: Option<&str>) -> Result<Vec<TenantEntry>, StateError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT tenant_id, provider, state, last_operation, last_outcome, spec, result, updated_at
                 FROM tenants WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id",
            )
            .map_err(unavailable("reading the tenant index"))?;
        let rows = statement
            .query_map(params![tenant_id], |row| {
                Ok((
                    TenantEntry {
                        tenant_id: row.get(0)?,
                        provider: row.get(1)?,
                        state: row.get(2)?,
                        last_operation: row.get(3)?,
                        last_outcome: row.get(4)?,
                        spec: None,
                        result: None,
                        updated_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
                    },
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, String>(7)?,
                ))
            })
            .map_err(unavailable("reading the tenant index"))?;
        let mut entries = Vec::new();
        for row in rows {
            let (mut entry, spec, result, at) =
                row.map_err(unavailable("reading the tenant index"))?;
            let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
            entry.spec = parse(spec);
            entry.result = parse(result);
            entry.updated_at = chrono::DateTime::parse_from_rfc3339(&at)
                .map_err(|_| StateError("tenant index entry has a bad time".into()))?
                .to_utc();
            entries.push(entry);
        }
        Ok(entries)
    }
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
        record: Option<&CallRecord>,
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
        if let Some(record) = record {
            let (outcome, kind, message) = match &record.outcome {
                CallOutcome::Ok => ("ok", None, None),
                CallOutcome::Failed { kind, message } => {
                    ("failed", Some(name_of(kind)), Some(message.as_str()))
                }
            };
            tx.execute(
                "INSERT INTO journal (at, provider, tenant_id, operation, outcome, error_kind, message, duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    record.at.to_rfc3339(),
                    record.provider,
                    record.tenant_id,
                    name_of(&record.operation),
                    outcome,
                    kind,
                    message,
                    record.duration_ms,
                ],
            )
            .map_err(unavailable("writing the journal"))?;
        }
        tx.commit()
            .map_err(unavailable("committing a state transaction"))
    }

    fn journal(&self, tenant_id: Option<&str>) -> Result<Vec<CallRecord>, StateError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT at, provider, tenant_id, operation, outcome, error_kind, message, duration_ms
                 FROM journal WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY id",
            )
            .map_err(unavailable("reading the journal"))?;
        let rows = statement
            .query_map(params![tenant_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, f64>(7)?,
                ))
            })
            .map_err(unavailable("reading the journal"))?;
        let mut records = Vec::new();
        for row in rows {
            let (at, provider, tenant_id, operation, outcome, kind, message, duration_ms) =
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
    fn the_tenant_index_keeps_the_last_spec_when_an_operation_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let mut entry = TenantEntry {
            tenant_id: "acme".into(),
            provider: "mock".into(),
            state: "provisioned".into(),
            last_operation: "provision".into(),
            last_outcome: "ok".into(),
            spec: Some(serde_json::json!({"tenant_id": "acme"})),
            result: Some(serde_json::json!({"status": "success"})),
            updated_at: chrono::Utc::now(),
        };
        store.record_tenant(&entry).unwrap();
        entry.state = "destroyed".into();
        entry.last_operation = "destroy".into();
        entry.spec = None;
        entry.result = None;
        store.record_tenant(&entry).unwrap();
        let found = store.tenant("acme").unwrap().unwrap();
        assert_eq!(found.state, "destroyed");
        assert_eq!(found.spec, Some(serde_json::json!({"tenant_id": "acme"})));
        assert_eq!(store.tenants().unwrap().len(), 1);
        assert_eq!(store.tenant("globex").unwrap(), None);
    }
}
