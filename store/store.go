// Package store keeps postlab's data in PostgreSQL or in an SQLite file. It is the only package
// that imports GORM: it implements experiments.Store, applies the embedded migrations with goose
// and turns constraint violations into domain errors.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"postlab/experiments"
)

// Dialects, as experiments.Store.Dialect names them.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// DefaultSQLitePath is where the data lives when no database URL is given.
const DefaultSQLitePath = "./postlab.db"

// PostgreSQL pool. Every request holds at most one connection (one transaction), so the pool
// bounds how many requests one instance works on at once; several instances share the server's
// max_connections (100 by default).
const (
	postgresMaxOpenConns    = 20
	postgresMaxIdleConns    = 10
	postgresConnMaxLifetime = 30 * time.Minute
	postgresConnMaxIdleTime = 5 * time.Minute
)

// sqliteParams are added to every SQLite file name. Writers are serialised by SQLite itself:
// BEGIN IMMEDIATE takes the write lock when a transaction starts, so a transaction that reads
// and then writes never fails with "database is locked" halfway; busy_timeout makes a second
// process (postlab migrate, postlab key create) wait for the lock instead of failing; WAL lets
// such a process read while the server writes. Foreign keys are off in SQLite unless asked for.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = time.Second

// DB is a connection pool to one database. It implements experiments.Store.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	log     *slog.Logger
	timeout time.Duration // see SetTimeout
}

var _ experiments.Store = (*DB)(nil)

// Open connects to the database named by databaseURL (see ParseDatabaseURL): PostgreSQL, or an
// SQLite file, created if missing. It does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialect, dialector, err := dialectorFor(databaseURL)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 queryLogger{log: logger, slow: slowQuery},
		SkipDefaultTransaction: true, // every write already runs inside Tx
		DisableAutomaticPing:   true, // pinged below, with ctx
		NowFunc:                func() time.Time { return dbTime(time.Now()) },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	configurePool(sqlDB, dialect)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	logger.Info("database opened", "dialect", dialect)
	return &DB{gorm: g, sql: sqlDB, dialect: dialect, log: logger, timeout: DefaultTimeout}, nil
}

// dialectorFor picks the database that databaseURL names; see ParseDatabaseURL.
func dialectorFor(databaseURL string) (string, gorm.Dialector, error) {
	dialect, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return "", nil, err
	}
	if dialect == DialectPostgres {
		return dialect, postgres.New(postgres.Config{DSN: dsn}), nil
	}
	return dialect, sqlite.Open(sqliteDSN(dsn)), nil
}

// libpqKeyword matches the start of libpq's keyword form, "host=… dbname=…".
var libpqKeyword = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|` +
	`sslrootcert|sslcert|sslkey|connect_timeout|application_name|options|target_session_attrs)\s*=`)

// urlScheme matches a URL's scheme with or without the "//" that follows it.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):(//)?`)

// ParseDatabaseURL says which database a DATABASE_URL names and how to reach it:
//   - postgres:// or postgresql:// URLs, and libpq's keyword form (host=… dbname=…), are PostgreSQL;
//   - sqlite://PATH and file: URIs are SQLite, as is any other value, read as a file path;
//   - empty means DefaultSQLitePath.
//
// Anything that looks like a URL of another kind (postgress://, mysql://, postgre:…) is an
// error: read as a file path, a typo would silently create a new, empty SQLite database.
func ParseDatabaseURL(databaseURL string) (dialect, dsn string, err error) {
	if strings.TrimSpace(databaseURL) == "" {
		return DialectSQLite, DefaultSQLitePath, nil
	}
	if libpqKeyword.MatchString(databaseURL) {
		return DialectPostgres, databaseURL, nil
	}
	m := urlScheme.FindStringSubmatch(databaseURL)
	if m == nil {
		return DialectSQLite, databaseURL, nil
	}
	scheme := strings.ToLower(m[1])
	switch {
	case scheme == "postgres" || scheme == "postgresql":
		if m[2] == "" {
			break // "postgres:host/db" is neither a URL libpq reads nor a sensible file name
		}
		return DialectPostgres, databaseURL, nil
	case scheme == "sqlite" && m[2] != "":
		return DialectSQLite, databaseURL[len(m[0]):], nil
	case scheme == "file":
		return DialectSQLite, databaseURL, nil
	case m[2] == "" && !strings.HasPrefix(scheme, "postg") && !strings.HasPrefix(scheme, "sqlit"):
		return DialectSQLite, databaseURL, nil // a file name with a colon in it
	}
	return "", "", fmt.Errorf("database URL with scheme %q: want postgres://…, postgresql://…, "+
		"libpq's keyword form (host=… dbname=…), sqlite://PATH or a file path", m[1]+":"+m[2])
}

// sqliteDSN adds sqliteParams to a file path, which may already carry parameters of its own.
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + sqliteParams
}

// configurePool sizes the pool. SQLite gets one connection: every transaction begins IMMEDIATE
// and so holds the database's single write lock for its whole life, which means a second
// connection could only wait in SQLite's busy loop (sleeping up to 100 ms between tries) where
// database/sql's queue hands the connection over as soon as it is free. It also keeps the
// connection, and any in-memory database, for the life of the pool.
func configurePool(db *sql.DB, dialect string) {
	if dialect == DialectSQLite {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return
	}
	db.SetMaxOpenConns(postgresMaxOpenConns)
	db.SetMaxIdleConns(postgresMaxIdleConns)
	db.SetConnMaxLifetime(postgresConnMaxLifetime)
	db.SetConnMaxIdleTime(postgresConnMaxIdleTime)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", db.dialect, err)
	}
	return nil
}

// Dialect names the database: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect }

// Close releases the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Tx runs fn in one transaction, committed when fn returns nil and rolled back when it returns
// an error or panics. fn works through the Tx it is given only: calling db.Tx again from
// inside fn would wait forever on SQLite, whose pool has one connection.
//
// A transaction PostgreSQL aborts to break a deadlock or a serialization conflict is run again,
// up to txAttempts times in all, so fn must be safe to run more than once (it starts from what
// it reads). When the database does not answer within the timeout (SetTimeout), or cannot be
// reached, Tx returns an error that is experiments.ErrUnavailable.
func (db *DB) Tx(ctx context.Context, fn func(experiments.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if serr := sleep(ctx, retryPause(attempt)); serr != nil {
				break
			}
		}
		var unreachable bool
		unreachable, err = db.attempt(ctx, fn)
		if unreachable {
			return asUnavailable(err)
		}
		if !retryable(err) || attempt == txAttempts {
			break
		}
		db.log.Warn("transaction retried", "attempt", attempt, "error", err)
	}
	return err
}

// attempt runs fn once, under a watchdog, and says whether an error means that the database
// was out of reach. On PostgreSQL the watchdog also bounds the wait for a connection (a dial to
// a server that does not answer, or a pool held by requests stuck on it). SQLite has a single
// connection, and waiting for it is waiting for the requests ahead, not for a silent server:
// that wait is bounded by the request's own context only.
func (db *DB) attempt(ctx context.Context, fn func(experiments.Tx) error) (bool, error) {
	body := func(g *gorm.DB) error { return fn(&tx{db: g, dialect: db.dialect}) }
	wctx := ctx
	var err error
	if db.dialect == DialectSQLite {
		err = db.gorm.WithContext(ctx).Connection(func(conn *gorm.DB) error {
			var stop func()
			wctx, stop = withWatchdog(ctx, db.timeout)
			defer stop()
			return conn.WithContext(wctx).Transaction(body)
		})
	} else {
		var stop func()
		wctx, stop = withWatchdog(ctx, db.timeout)
		defer stop()
		err = db.gorm.WithContext(wctx).Transaction(body)
	}
	return ctx.Err() == nil && unavailable(wctx, err), err
}

// SetTimeout sets how long a transaction waits for each answer of the database (a connection,
// each statement) before it gives up with experiments.ErrUnavailable; 0 waits without bound.
// Call it before the DB is used.
func (db *DB) SetTimeout(d time.Duration) { db.timeout = d }

// tx is one transaction's view of the store. Every query goes through db, the transaction's
// handle, never through the pool.
type tx struct {
	db      *gorm.DB
	dialect string
}

var _ experiments.Tx = (*tx)(nil)
