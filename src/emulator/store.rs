//! The emulator's store: one SQLite database (rusqlite, bundled) behind a mutex. Every write runs
//! in a transaction that commits before the answer is sent; WAL mode makes each commit survive a
//! `kill -9` of the process (the data is in the OS before the 2xx leaves). Checks that must be
//! atomic (a duplicate name, a taken rule order) are UNIQUE constraints inside that transaction.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, Transaction};

use super::ApiError;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    name TEXT NOT NULL,
    global INTEGER NOT NULL DEFAULT 0,
    callbacks TEXT NOT NULL DEFAULT '[]',
    owners TEXT NOT NULL DEFAULT '[]',
    signing_key TEXT
);
CREATE TABLE IF NOT EXISTS connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    strategy TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS connection_clients (
    connection_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (connection_id, client_id)
);
CREATE TABLE IF NOT EXISTS rules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL,
    status INTEGER NOT NULL,
    ord INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS emails (template TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    profile TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS users_connection_email ON users (connection, email);
CREATE TABLE IF NOT EXISTS devices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    client_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_clients (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT,
    connection TEXT,
    client_id TEXT,
    client_name TEXT,
    ip TEXT,
    user_agent TEXT,
    user_id TEXT,
    user_name TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS logs_user ON logs (user_id);
"#;

pub(crate) struct Store {
    conn: Mutex<Connection>,
    /// The exclusive lock on `<state>.lock`, held as long as the store is open.
    _lock: Option<Mutex<Connection>>,
}

/// Why a store cannot be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error(
        "the state file {} is in use by another emulator (or `a0ctl --local`): its lock {} is held",
        .state.display(), .lock.display()
    )]
    InUse { state: PathBuf, lock: PathBuf },
    #[error("cannot create {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// How long a statement waits for a lock held by another connection to the same file (an
/// outside reader such as `sqlite3`) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Open (creating if needed) the store at `path`, or an in-memory one. A file store is
    /// private to its owner (files are created 0600 on unix, the WAL's side files inherit the
    /// mode) and to one emulator: an exclusive lock on the sidecar `<path>.lock` is taken first
    /// and held while the store is open, so a second emulator on the same file refuses to start.
    pub fn open(path: Option<&Path>) -> Result<Store, OpenError> {
        let (conn, lock) = match path {
            Some(p) => {
                let lock = lock(p)?;
                create_private(p)?;
                let conn = Connection::open(p)?;
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                (conn, Some(Mutex::new(lock)))
            }
            None => (Connection::open_in_memory()?, None),
        };
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
            _lock: lock,
        })
    }

    /// Run reads (or a single statement) on the connection.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ApiError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }

    /// Run `f` in a transaction that commits only if it succeeds.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Whether a SQLite error is a UNIQUE constraint on `column` (e.g. `rules.ord`).
pub(crate) fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(err, Some(msg)) => {
            err.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains(column)
        }
        _ => false,
    }
}

/// `<state>.lock`: an SQLite file of its own, opened in exclusive locking mode and written once,
/// so its connection holds an exclusive lock until it is closed (or the process dies). A lock
/// file rather than the state's own lock, so that outside readers of the state still work.
fn lock(state: &Path) -> Result<Connection, OpenError> {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    create_private(&path)?;
    let conn = Connection::open(&path)?;
    conn.busy_timeout(Duration::ZERO)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let held = conn.execute_batch(&format!(
        "BEGIN EXCLUSIVE;
         CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL);
         DELETE FROM holder;
         INSERT INTO holder (pid) VALUES ({});
         COMMIT;",
        std::process::id()
    ));
    match held {
        Ok(()) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Err(OpenError::InUse {
                state: state.to_path_buf(),
                lock: path,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Create `path` readable and writable by its owner only, unless it exists.
fn create_private(path: &Path) -> Result<(), OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(OpenError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}
