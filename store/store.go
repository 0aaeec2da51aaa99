// Package store keeps postlab's data in PostgreSQL or in an SQLite file. It is the only package
// that imports GORM: it implements experiments.Store, applies the embedded migrations with goose
// and turns constraint violations into domain errors.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the liveness probe
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
	probe   *prober       // PostgreSQL only: whether the server answers at all
}

var _ experiments.Store = (*DB)(nil)

// Open connects to the database named by databaseURL: a postgres:// or postgresql:// URL selects
// PostgreSQL, any other value is the path of an SQLite file (created if missing), and an empty
// one means DefaultSQLitePath. It does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialect, dialector := dialectorFor(databaseURL)
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
	db := &DB{gorm: g, sql: sqlDB, dialect: dialect, log: logger}
	if dialect == DialectPostgres {
		probeDB, err := sql.Open("pgx", databaseURL)
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s database: probe: %w", dialect, err)
		}
		probeDB.SetMaxOpenConns(1)
		db.probe = &prober{db: probeDB}
	}
	db.SetTimeout(DefaultTimeout)
	logger.Info("database opened", "dialect", dialect)
	return db, nil
}

func dialectorFor(databaseURL string) (string, gorm.Dialector) {
	lower := strings.ToLower(databaseURL)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return DialectPostgres, postgres.New(postgres.Config{DSN: databaseURL})
	}
	path := databaseURL
	if path == "" {
		path = DefaultSQLitePath
	}
	return DialectSQLite, sqlite.Open(sqliteDSN(path))
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
func (db *DB) Close() error {
	if db.probe != nil {
		_ = db.probe.db.Close()
	}
	return db.sql.Close()
}

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

// attempt runs fn once, under a watchdog on PostgreSQL, and says whether an error means that
// the database was out of reach. SQLite is a file of this process: it cannot go silent, and
// waiting for its one connection is waiting for the requests ahead, bounded by the request's
// own context.
func (db *DB) attempt(ctx context.Context, fn func(experiments.Tx) error) (bool, error) {
	wctx, stop := withWatchdog(ctx, db.timeout, db.probe)
	defer stop()
	err := db.gorm.WithContext(wctx).Transaction(func(g *gorm.DB) error {
		return fn(&tx{db: g, dialect: db.dialect})
	})
	return ctx.Err() == nil && unavailable(wctx, err), err
}

// SetTimeout sets how long a transaction on PostgreSQL waits for a database that does not
// answer (a connection, a statement, and a probe on a connection of its own find it silent)
// before it gives up with experiments.ErrUnavailable; a statement the server is still working
// on may take six times as long. 0 waits without bound. Call it before the DB is used.
func (db *DB) SetTimeout(d time.Duration) {
	db.timeout = d
	if db.probe != nil {
		db.probe.timeout = d / 2
	}
}

// tx is one transaction's view of the store. Every query goes through db, the transaction's
// handle, never through the pool.
type tx struct {
	db      *gorm.DB
	dialect string
}

var _ experiments.Tx = (*tx)(nil)
