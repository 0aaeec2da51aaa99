// Package storetest gives tests a fresh, migrated store on a real database: a new SQLite file,
// or a new PostgreSQL database that is dropped when the test ends.
//
// A suite runs the same tests on both dialects:
//
//	for _, d := range storetest.Dialects() {
//		t.Run(d, func(t *testing.T) {
//			db := storetest.Open(t, d)
//			…
//		})
//	}
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"postlab/store"
)

// EnvPostgresURL names the environment variable holding the PostgreSQL server the tests use;
// its database is only used to create and drop the tests' own.
const EnvPostgresURL = "POSTLAB_TEST_DATABASE_URL"

// DefaultPostgresURL is used when EnvPostgresURL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists the dialects every store-backed suite runs on.
func Dialects() []string { return []string{store.DialectPostgres, store.DialectSQLite} }

// Open returns a migrated store on a database of its own, closed (and, on PostgreSQL,
// dropped) when the test ends. It fails the test when the database cannot be reached: it never
// skips.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	var databaseURL string
	switch dialect {
	case store.DialectSQLite:
		databaseURL = filepath.Join(t.TempDir(), "postlab.db")
	case store.DialectPostgres:
		databaseURL = createDatabase(t)
	default:
		t.Fatalf("storetest.Open: unknown dialect %q (want one of %q)", dialect, Dialects())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, databaseURL, nil)
	if err != nil {
		t.Fatalf("storetest.Open(%s): %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("storetest: close %s store: %v", dialect, err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest.Open(%s): %v", dialect, err)
	}
	db.SetTimeout(Timeout)
	return db
}

// Timeout is the database timeout of a store that Open returns, far above the program's
// default (store.DefaultTimeout): on a loaded machine, under the race detector, a large report
// takes seconds, and a test that is not about the timeout must not fail with 503 for that. A
// test about the timeout sets its own with SetTimeout.
const Timeout = time.Minute

// ServerURL is the PostgreSQL server the tests use: EnvPostgresURL, or DefaultPostgresURL.
func ServerURL() string {
	if u := os.Getenv(EnvPostgresURL); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// createDatabase creates an empty PostgreSQL database with a unique name (packages' tests run
// in parallel), drops it when the test ends, and returns its URL.
func createDatabase(t testing.TB) string {
	t.Helper()
	serverURL := ServerURL()
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s must be a postgres:// URL, got %q", EnvPostgresURL, serverURL)
	}
	name := "postlab_t_" + randomHex(8)
	if err := adminExec(serverURL, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: cannot create a PostgreSQL database at %s (set %s to a server the tests may use): %v",
			u.Redacted(), EnvPostgresURL, err)
	}
	t.Cleanup(func() {
		if err := adminExec(serverURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the server's own database. CREATE and DROP DATABASE cannot
// run inside a transaction, so it uses a plain connection.
func adminExec(serverURL, statement string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, statement)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
