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
// max_connections (100 by default). As many connections stay idle as may be open: with fewer, a
// busy instance closes a connection whenever a request ends and opens a new one (a new server
// process) for the next, which under load took a quarter of PostgreSQL's CPU. Idle ones close
// after postgresConnMaxIdleTime.
const (
	postgresMaxOpenConns    = 20
	postgresMaxIdleConns    = 20
	postgresConnMaxLifetime = 30 * time.Minute
	postgresConnMaxIdleTime = 5 * time.Minute
)

// sqliteParams are added to every SQLite file name. Writers are serialised by SQLite itself:
// BEGIN IMMEDIATE takes the write lock when a transaction starts, so a transaction that reads
// and then writes never fails with "database is locked" halfway; busy_timeout makes a second
// process (postlab migrate, postlab key create) wait for the lock instead of failing; WAL lets
// such a process read while the server writes. Foreign keys are off in SQLite unless asked for.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate&" + sqliteTimeFormat

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = time.Second

// DB is a connection pool to one database. It implements experiments.Store.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	log     *slog.Logger
	timeout time.Duration // see SetTimeout
	read    *gorm.DB      // reads: SQLite's read-only pool, else the pool itself
	readSQL *sql.DB       // SQLite's read-only pool, nil otherwise
	probe   *prober       // PostgreSQL only: whether the server answers at all
}

var _ experiments.Store = (*DB)(nil)

// Open connects to the database named by databaseURL (see ParseDatabaseURL): PostgreSQL, or an
// SQLite file, created if missing. It does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialect, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(dialectorFor(dialect, dsn), &gorm.Config{
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
	if dialect == DialectSQLite && !inMemory(dsn) {
		// dsn, not databaseURL: the read pool opens the file the write pool opened, and
		// "sqlite://PATH" is no name SQLite knows.
		if db.read, db.readSQL, err = openSQLiteReader(ctx, dsn, logger); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s database: %w", dialect, err)
		}
	}
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

// sqliteReaders is the size of SQLite's read-only pool. In WAL mode readers neither wait for
// the writer nor hold it up; each reads the snapshot of the moment its transaction began.
const sqliteReaders = 4

// sqliteReadParams open a connection that can only read; a transaction on it would begin
// DEFERRED, taking no write lock.
const sqliteReadParams = "_pragma=busy_timeout(10000)&_pragma=query_only(1)&_txlock=deferred&" + sqliteTimeFormat

// sqliteTimeFormat stores times as text in SQLite's own form, "2006-01-02 15:04:05.999999999-07:00",
// the form postlab files have always held; without it the driver would write Go's
// time.Time.String().
const sqliteTimeFormat = "_time_format=sqlite"

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
	g, err := gorm.Open(sqliteDialect{dsn: path + sep + sqliteReadParams}, &gorm.Config{
		Logger:                 queryLogger{log: logger, slow: slowQuery},
		SkipDefaultTransaction: true,
		DisableAutomaticPing:   true,
		PrepareStmt:            true,
		PrepareStmtMaxSize:     preparedStatements,
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

// dialectorFor opens the database that ParseDatabaseURL found.
func dialectorFor(dialect, dsn string) gorm.Dialector {
	if dialect == DialectPostgres {
		return postgres.New(postgres.Config{DSN: dsn})
	}
	return sqliteDialect{dsn: sqliteDSN(dsn)}
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

// Stats reports the connection pool's figures.
func (db *DB) Stats() sql.DBStats { return db.sql.Stats() }

// Close releases the connection pools.
func (db *DB) Close() error {
	if db.probe != nil {
		_ = db.probe.db.Close()
	}
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
// A transaction PostgreSQL aborts to break a deadlock or a serialization conflict is run again,
// up to txAttempts times in all, so fn must be safe to run more than once (it starts from what
// it reads). When the database does not answer within the timeout (SetTimeout), or cannot be
// reached, Tx returns an error that is experiments.ErrUnavailable.
//
// When ctx carries a transaction of this store (experiments.WithTx), fn joins it in a savepoint
// instead: fn's error rolls back fn's work only, and fn's work commits with the outer
// transaction, never before. A deadlock there rolls back to the savepoint and runs fn again.
func (db *DB) Tx(ctx context.Context, fn func(experiments.Tx) error) error {
	if t, ok := db.outer(ctx); ok {
		return db.retry(ctx, func() (bool, error) {
			return false, t.db.Transaction(func(g *gorm.DB) error {
				return fn(&tx{db: g, dialect: db.dialect, owner: db})
			})
		})
	}
	return db.retry(ctx, func() (bool, error) { return db.attempt(ctx, db.gorm, nil, fn) })
}

// Snapshot runs fn, which only reads, in one read-only transaction, so that its statements see
// one snapshot: REPEATABLE READ on PostgreSQL; on SQLite a deferred transaction on the
// read-only pool, which in WAL mode reads beside the writer instead of taking its lock. When ctx
// carries a transaction of this store, fn joins it, and so sees its writes.
func (db *DB) Snapshot(ctx context.Context, fn func(experiments.Tx) error) error {
	if _, ok := db.outer(ctx); ok {
		return db.Tx(ctx, fn)
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == DialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.retry(ctx, func() (bool, error) { return db.attempt(ctx, db.read, opts, fn) })
}

// outer is the transaction of this store that ctx carries, if any.
func (db *DB) outer(ctx context.Context) (*tx, bool) {
	if o, ok := experiments.TxFrom(ctx); ok {
		if t, ok := o.(*tx); ok && t.owner == db {
			return t, true
		}
	}
	return nil, false
}

// retry runs one attempt after another while the database aborts them to break a deadlock or
// a serialization conflict, up to txAttempts in all.
func (db *DB) retry(ctx context.Context, run func() (unreachable bool, err error)) error {
	var err error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if serr := sleep(ctx, retryPause(attempt)); serr != nil {
				break
			}
		}
		var unreachable bool
		unreachable, err = run()
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

// attempt runs fn once in a transaction on pool (opts nil: the default kind), under a watchdog
// on PostgreSQL, and says whether an error means that the database was out of reach. SQLite is
// a file of this process: it cannot go silent, and waiting for its one connection is waiting
// for the requests ahead, bounded by the request's own context.
func (db *DB) attempt(ctx context.Context, pool *gorm.DB, opts *sql.TxOptions, fn func(experiments.Tx) error) (bool, error) {
	wctx, stop := withWatchdog(ctx, db.timeout, db.probe)
	defer stop()
	err := pool.WithContext(wctx).Transaction(func(g *gorm.DB) error {
		return fn(&tx{db: g, dialect: db.dialect, owner: db})
	}, opts)
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

// Read runs fn, which only reads, outside a transaction: each statement runs on its own, with
// no BEGIN and COMMIT round trips, so fn must not depend on two statements seeing one snapshot.
// On SQLite it reads through the read-only pool, beside the writer, never waiting for its
// lock. When ctx carries a transaction of this store, fn joins it, and so sees its writes.
func (db *DB) Read(ctx context.Context, fn func(experiments.Tx) error) error {
	if _, ok := db.outer(ctx); ok {
		return db.Tx(ctx, fn)
	}
	// Bounded like a transaction: a database that does not answer is ErrUnavailable.
	wctx, stop := withWatchdog(ctx, db.timeout, db.probe)
	defer stop()
	err := fn(&tx{db: db.read.WithContext(wctx), dialect: db.dialect, owner: db})
	if ctx.Err() == nil && unavailable(wctx, err) {
		return asUnavailable(err)
	}
	return err
}

// tx is one transaction's view of the store. Every query goes through db, the transaction's
// handle, never through the pool.
type tx struct {
	db      *gorm.DB
	dialect string
	owner   *DB // the store whose pool the transaction holds a connection of
}

var _ experiments.Tx = (*tx)(nil)

// preparedStatements bounds the statements an SQLite pool keeps prepared, per distinct SQL text
// (a list's filters make a few variants of each query).
const preparedStatements = 256
