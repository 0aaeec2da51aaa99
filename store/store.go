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
	read    *gorm.DB // reads: SQLite's read-only pool, else the pool itself
	readSQL *sql.DB  // SQLite's read-only pool, nil otherwise
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
	db := &DB{gorm: g, sql: sqlDB, dialect: dialect, log: logger, read: g}
	if dialect == DialectSQLite && !inMemory(databaseURL) {
		if db.read, db.readSQL, err = openSQLiteReader(ctx, databaseURL, logger); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s database: %w", dialect, err)
		}
	}
	logger.Info("database opened", "dialect", dialect)
	return db, nil
}

// sqliteReaders is the size of SQLite's read-only pool. In WAL mode readers neither wait for
// the writer nor hold it up; each reads the snapshot of the moment its transaction began.
const sqliteReaders = 4

// sqliteReadParams open a connection that can only read; a transaction on it would begin
// DEFERRED, taking no write lock.
const sqliteReadParams = "_pragma=busy_timeout(10000)&_pragma=query_only(1)&_txlock=deferred"

// openSQLiteReader opens the read-only pool of an SQLite file (the write pool has opened it,
// in WAL mode, already).
func openSQLiteReader(ctx context.Context, path string, logger *slog.Logger) (*gorm.DB, *sql.DB, error) {
	if path == "" {
		path = DefaultSQLitePath
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	g, err := gorm.Open(sqlite.Open(path+sep+sqliteReadParams), &gorm.Config{
		Logger:                 queryLogger{log: logger, slow: slowQuery},
		SkipDefaultTransaction: true,
		DisableAutomaticPing:   true,
		NowFunc:                func() time.Time { return dbTime(time.Now()) },
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read pool: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, nil, fmt.Errorf("read pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(sqliteReaders)
	sqlDB.SetMaxIdleConns(sqliteReaders)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, nil, fmt.Errorf("read pool: %w", err)
	}
	return g, sqlDB, nil
}

// inMemory reports whether an SQLite name is an in-memory database, which a second pool would
// not share.
func inMemory(path string) bool {
	return strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory")
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

// Stats reports the connection pool's figures.
func (db *DB) Stats() sql.DBStats { return db.sql.Stats() }

// Close releases the connection pools.
func (db *DB) Close() error {
	if db.readSQL != nil {
		if err := db.readSQL.Close(); err != nil {
			_ = db.sql.Close()
			return err
		}
	}
	return db.sql.Close()
}

// Tx runs fn in one transaction, committed when fn returns nil and rolled back when it returns
// an error or panics. fn works through the Tx it is given only: calling db.Tx again from
// inside fn would wait forever on SQLite, whose pool has one connection.
//
// When ctx carries a transaction of this store (experiments.WithTx), fn joins it in a savepoint
// instead: fn's error rolls back fn's work only, and fn's work commits with the outer
// transaction, never before.
func (db *DB) Tx(ctx context.Context, fn func(experiments.Tx) error) error {
	if outer, ok := experiments.TxFrom(ctx); ok {
		if t, ok := outer.(*tx); ok && t.owner == db {
			return t.db.Transaction(func(g *gorm.DB) error {
				return fn(&tx{db: g, dialect: db.dialect, owner: db})
			})
		}
	}
	return db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&tx{db: g, dialect: db.dialect, owner: db})
	})
}

// Read runs fn, which only reads, outside a transaction: each statement runs on its own, with
// no BEGIN and COMMIT round trips, so fn must not depend on two statements seeing one snapshot.
// On SQLite it reads through the read-only pool, beside the writer, never waiting for its
// lock. When ctx carries a transaction of this store, fn joins it, and so sees its writes.
func (db *DB) Read(ctx context.Context, fn func(experiments.Tx) error) error {
	if outer, ok := experiments.TxFrom(ctx); ok {
		if t, ok := outer.(*tx); ok && t.owner == db {
			return db.Tx(ctx, fn)
		}
	}
	return fn(&tx{db: db.read.WithContext(ctx), dialect: db.dialect, owner: db})
}

// tx is one transaction's view of the store. Every query goes through db, the transaction's
// handle, never through the pool.
type tx struct {
	db      *gorm.DB
	dialect string
	owner   *DB // the store whose pool the transaction holds a connection of
}

var _ experiments.Tx = (*tx)(nil)
