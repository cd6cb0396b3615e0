//! The emulator's store: one SQLite database (rusqlite, bundled) behind a mutex. Every write runs
//! in a transaction that commits before the answer is sent; WAL mode makes each commit survive a
//! `kill -9` of the process (the data is in the OS before the 2xx leaves). Checks that must be
//! atomic (a duplicate name, a taken rule order) are UNIQUE constraints inside that transaction.
//! Deletes cascade along foreign keys, so no resource module deletes another's rows. The schema's
//! version is SQLite's `user_version` ([`STORE_VERSION`]); older stores are migrated on open.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, Transaction};

use super::ApiError;

/// The version of [`SCHEMA`], kept in SQLite's `user_version`. 0: no foreign keys (before the
/// emulator let the store cascade deletes); 1: foreign keys with `ON DELETE CASCADE`; 2: the
/// Management API v2's fields (clients' and connections' `v2` objects, rules' `stage`, tokens' scopes, the
/// clients' granted scopes, the email provider).
pub(crate) const STORE_VERSION: i64 = 2;

/// Every table. Rows that hang off another (a user's devices, a connection's users, a client's
/// tokens) name it in a foreign key that cascades, so a resource module deletes its own rows and
/// the store removes what depended on them.
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
    signing_key TEXT,
    v2 TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    strategy TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    v2 TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS connection_clients (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL
        REFERENCES clients (client_id) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (connection_id, client_id)
);
CREATE INDEX IF NOT EXISTS connection_clients_client ON connection_clients (client_id);
CREATE TABLE IF NOT EXISTS rules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL,
    status INTEGER NOT NULL,
    ord INTEGER NOT NULL UNIQUE,
    stage TEXT NOT NULL DEFAULT 'login_success'
);
CREATE TABLE IF NOT EXISTS emails (template TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL REFERENCES connections (name) ON DELETE CASCADE,
    email TEXT,
    password_hash TEXT,
    profile TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS users_connection_email ON users (connection, email);
CREATE TABLE IF NOT EXISTS devices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    client_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS devices_user ON devices (user_id);
CREATE TABLE IF NOT EXISTS user_clients (
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    client_id TEXT NOT NULL
        REFERENCES clients (client_id) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX IF NOT EXISTS user_clients_client ON user_clients (client_id);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_user ON tickets (user_id);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL
        REFERENCES clients (client_id) ON DELETE CASCADE ON UPDATE CASCADE,
    expires_at INTEGER NOT NULL,
    scopes TEXT
);
CREATE INDEX IF NOT EXISTS tokens_client ON tokens (client_id);
CREATE TABLE IF NOT EXISTS token_claims (
    token TEXT PRIMARY KEY REFERENCES tokens (token) ON DELETE CASCADE,
    claims TEXT NOT NULL
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
CREATE TABLE IF NOT EXISTS client_scopes (
    client_id TEXT NOT NULL
        REFERENCES clients (client_id) ON DELETE CASCADE ON UPDATE CASCADE,
    scope TEXT NOT NULL,
    PRIMARY KEY (client_id, scope)
);
CREATE TABLE IF NOT EXISTS resource_servers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    identifier TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_grants (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL
        REFERENCES clients (client_id) ON DELETE CASCADE ON UPDATE CASCADE,
    audience TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (client_id, audience)
);
CREATE TABLE IF NOT EXISTS tenant_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS roles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    description TEXT
);
CREATE TABLE IF NOT EXISTS role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    api TEXT NOT NULL,
    scope TEXT NOT NULL,
    PRIMARY KEY (role_id, api, scope)
);
CREATE TABLE IF NOT EXISTS organizations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organization_connections (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    assign_membership_on_login INTEGER NOT NULL,
    show_as_button INTEGER NOT NULL,
    is_signup_enabled INTEGER NOT NULL,
    is_enabled INTEGER NOT NULL,
    PRIMARY KEY (organization_id, connection_id)
);
CREATE TABLE IF NOT EXISTS organization_client_grants (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    grant_id TEXT NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, grant_id)
);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE TABLE IF NOT EXISTS documents (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS email_provider (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    action_id TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    trigger_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    action_id TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (trigger_id, position)
);
"#;

/// The columns version 2 added to tables older stores already have (`table`, `column`,
/// declaration); the new tables come with [`SCHEMA`].
const COLUMNS_1_TO_2: [(&str, &str, &str); 4] = [
    ("clients", "v2", "TEXT NOT NULL DEFAULT '{}'"),
    ("connections", "v2", "TEXT NOT NULL DEFAULT '{}'"),
    ("rules", "stage", "TEXT NOT NULL DEFAULT 'login_success'"),
    ("tokens", "scopes", "TEXT"),
];

/// Add the columns of [`COLUMNS_1_TO_2`] a table lacks (a table rebuilt from 0 to 1 has them).
fn add_missing_columns(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    for (table, column, declaration) in COLUMNS_1_TO_2 {
        let present: bool = tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1)"),
            [column],
            |r| r.get(0),
        )?;
        if !present {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {declaration};"
            ))?;
        }
    }
    Ok(())
}

/// From version 0 to 1: the tables that gained foreign keys are rebuilt, keeping every row whose
/// references hold (a version-0 store could keep rows of deleted parents; they were unreachable).
const MIGRATE_0_TO_1: &str = r#"
ALTER TABLE connection_clients RENAME TO v0_connection_clients;
ALTER TABLE users RENAME TO v0_users;
ALTER TABLE devices RENAME TO v0_devices;
ALTER TABLE user_clients RENAME TO v0_user_clients;
ALTER TABLE tickets RENAME TO v0_tickets;
ALTER TABLE tokens RENAME TO v0_tokens;
DROP INDEX IF EXISTS users_connection_email;
"#;

const COPY_0_TO_1: &str = r#"
INSERT INTO connection_clients (connection_id, client_id)
    SELECT connection_id, client_id FROM v0_connection_clients
    WHERE connection_id IN (SELECT id FROM connections)
      AND client_id IN (SELECT client_id FROM clients);
INSERT INTO users (seq, user_id, connection, email, password_hash, profile, metadata)
    SELECT seq, user_id, connection, email, password_hash, profile, metadata FROM v0_users
    WHERE connection IN (SELECT name FROM connections);
INSERT INTO devices (seq, user_id, device, kind, value, client_id, created_at)
    SELECT seq, user_id, device, kind, value, client_id, created_at FROM v0_devices
    WHERE user_id IN (SELECT user_id FROM users);
INSERT INTO user_clients (user_id, client_id)
    SELECT user_id, client_id FROM v0_user_clients
    WHERE user_id IN (SELECT user_id FROM users)
      AND client_id IN (SELECT client_id FROM clients);
INSERT INTO tickets (ticket, user_id, kind, data, expires_at)
    SELECT ticket, user_id, kind, data, expires_at FROM v0_tickets
    WHERE user_id IN (SELECT user_id FROM users);
INSERT INTO tokens (token, client_id, expires_at)
    SELECT token, client_id, expires_at FROM v0_tokens
    WHERE client_id IN (SELECT client_id FROM clients);
DROP TABLE v0_connection_clients;
DROP TABLE v0_users;
DROP TABLE v0_devices;
DROP TABLE v0_user_clients;
DROP TABLE v0_tickets;
DROP TABLE v0_tokens;
"#;

/// Bring a store to [`STORE_VERSION`]: create it, or migrate an older one, in one transaction.
/// Foreign keys are off here (they are turned on after), as a table rebuild needs.
fn migrate(conn: &mut Connection) -> Result<(), OpenError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > STORE_VERSION {
        return Err(OpenError::TooNew(version));
    }
    let tx = conn.transaction()?;
    let existing: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users')",
        [],
        |r| r.get(0),
    )?;
    if version == 0 && existing {
        add_missing_columns(&tx)?;
        tx.execute_batch(MIGRATE_0_TO_1)?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(COPY_0_TO_1)?;
    } else {
        if existing {
            add_missing_columns(&tx)?;
        }
        tx.execute_batch(SCHEMA)?;
    }
    tx.pragma_update(None, "user_version", STORE_VERSION)?;
    tx.commit()?;
    Ok(())
}

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
    #[error(
        "the state file was written by a newer a0ctl (store version {0}; this one knows {STORE_VERSION})"
    )]
    TooNew(i64),
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
        let (mut conn, lock) = match path {
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
        migrate(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
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
