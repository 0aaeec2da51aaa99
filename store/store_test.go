package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"postlab/experiments"
	"postlab/store"
	"postlab/store/storetest"
)

func TestMigrateTwice(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db) // storetest.Open has migrated once
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second Migrate() = %v, want nil", err)
		}
		inTx(t, db, func(tx experiments.Tx) error {
			_, err := tx.WorkspaceByID(ws.ID)
			return err
		})
	})
}

func TestPingAndDialect(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, d)
			if err := db.Ping(context.Background()); err != nil {
				t.Errorf("Ping() = %v, want nil", err)
			}
			if got := db.Dialect(); got != d {
				t.Errorf("Dialect() = %q, want %q", got, d)
			}
		})
	}
}

func TestParseDatabaseURL(t *testing.T) {
	for _, c := range []struct{ in, dialect, dsn string }{
		{"", store.DialectSQLite, store.DefaultSQLitePath},
		{"postgres://u@h:5432/db?sslmode=disable", store.DialectPostgres, "postgres://u@h:5432/db?sslmode=disable"},
		{"PostgreSQL://h/db", store.DialectPostgres, "PostgreSQL://h/db"},
		{"host=/var/run/postgresql dbname=postlab", store.DialectPostgres, "host=/var/run/postgresql dbname=postlab"},
		{" dbname = postlab user=postgres", store.DialectPostgres, " dbname = postlab user=postgres"},
		{"./data/postlab.db", store.DialectSQLite, "./data/postlab.db"},
		{"/srv/postlab.db", store.DialectSQLite, "/srv/postlab.db"},
		{"sqlite:///srv/postlab.db", store.DialectSQLite, "/srv/postlab.db"},
		{"sqlite://./postlab.db", store.DialectSQLite, "./postlab.db"},
		{"file:postlab.db?cache=shared", store.DialectSQLite, "file:postlab.db?cache=shared"},
		{"backup:2026.db", store.DialectSQLite, "backup:2026.db"},
	} {
		dialect, dsn, err := store.ParseDatabaseURL(c.in)
		if err != nil || dialect != c.dialect || dsn != c.dsn {
			t.Errorf("ParseDatabaseURL(%q) = %q, %q, %v; want %q, %q, nil", c.in, dialect, dsn, err, c.dialect, c.dsn)
		}
	}
	for _, in := range []string{"postgress://h/db", "postgre://h/db", "postgres:h/db", "mysql://h/db",
		"http://h/db", "sqlite:postlab.db", "sqlit://postlab.db", "pg://h/db"} {
		if dialect, dsn, err := store.ParseDatabaseURL(in); err == nil {
			t.Errorf("ParseDatabaseURL(%q) = %q, %q, nil; want an error", in, dialect, dsn)
		}
	}
}

// TestOpenMistypedURLCreatesNothing: a typo in the scheme must not leave an SQLite file behind.
func TestOpenMistypedURLCreatesNothing(t *testing.T) {
	t.Chdir(t.TempDir())
	if db, err := store.Open(context.Background(), "postgress://postgres@127.0.0.1/test", nil); err == nil {
		db.Close()
		t.Fatal("Open(postgress://…) = nil error, want one")
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("Open(postgress://…) left %v in the working folder", entries)
	}
}

// TestOpenLibpqKeywordForm reaches the test server through libpq's keyword form.
func TestOpenLibpqKeywordForm(t *testing.T) {
	u, err := url.Parse(storetest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable",
		u.Hostname(), cmp.Or(u.Port(), "5432"), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	db, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("Open(%q) = %v", dsn, err)
	}
	defer db.Close()
	if got := db.Dialect(); got != store.DialectPostgres {
		t.Errorf("Open(%q).Dialect() = %q, want postgres", dsn, got)
	}
}

func TestOpenDefaultsToSQLiteFile(t *testing.T) {
	t.Chdir(t.TempDir())
	db, err := store.Open(context.Background(), "", nil)
	if err != nil {
		t.Fatalf("Open(\"\") = %v", err)
	}
	defer db.Close()
	if got := db.Dialect(); got != store.DialectSQLite {
		t.Errorf("Open(\"\").Dialect() = %q, want sqlite", got)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate() = %v", err)
	}
	if _, err := os.Stat("postlab.db"); err != nil {
		t.Errorf("Open(\"\") did not create ./postlab.db: %v", err)
	}
}

// TestOpenSQLiteURL opens an SQLite file named as sqlite://PATH, as the help text offers: both
// pools must open the file at PATH, and what one writes the other reads.
func TestOpenSQLiteURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "named.db")
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+path, nil)
	if err != nil {
		t.Fatalf("Open(sqlite://%s) = %v", path, err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate() = %v", err)
	}
	w := seedWorld(t, db)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Open(sqlite://%s) did not create %s: %v", path, path, err)
	}
	err = db.Read(ctx, func(tx experiments.Tx) error {
		n, err := tx.CountWorkspaces()
		if err == nil && n != 1 {
			t.Errorf("read pool: CountWorkspaces() after seeding workspace %s = %d, want 1", w.ws.ID, n)
		}
		return err
	})
	if err != nil {
		t.Errorf("read pool: %v", err)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		orphan := newVariant(w.exp, "orphan", false)
		orphan.ExperimentID = newID()
		err := txErr(db, func(tx experiments.Tx) error { return tx.InsertVariant(orphan) })
		wantCode(t, err, experiments.ENOTFOUND)

		p := newPost(w.control, "1")
		p.VariantID = newID()
		err = txErr(db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
		wantCode(t, err, experiments.ENOTFOUND)
	})
}

func TestRollback(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := experiments.Workspace{ID: newID(), Name: "rolled-back", CreatedAt: at(0)}
		e := newExperiment(ws.ID, "rolled-back")
		failure := errors.New("the request failed")
		err := txErr(db, func(tx experiments.Tx) error {
			if err := tx.CreateWorkspace(ws); err != nil {
				return err
			}
			if err := tx.InsertExperiment(e); err != nil {
				return err
			}
			if _, err := tx.Secret("rolled-back"); err != nil {
				return err
			}
			return failure
		})
		if !errors.Is(err, failure) {
			t.Fatalf("Tx() = %v, want the error fn returned", err)
		}

		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Tx(fn that panics) did not panic")
				}
			}()
			_ = txErr(db, func(tx experiments.Tx) error {
				if err := tx.CreateWorkspace(ws); err != nil {
					return err
				}
				panic("boom")
			})
		}()

		inTx(t, db, func(tx experiments.Tx) error {
			if n, err := tx.CountWorkspaces(); err != nil || n != 0 {
				t.Errorf("CountWorkspaces() = %d, %v, want 0 after rollbacks", n, err)
			}
			_, err := tx.GetExperiment(ws.ID, e.ID, false)
			wantCode(t, err, experiments.ENOTFOUND)
			return nil
		})
	})
}

// TestConcurrentReadThenWrite runs 8 writers × 50 transactions that each read an experiment
// and write it back with its version bumped. SQLite must not answer "database is locked" and
// neither database may lose an update.
func TestConcurrentReadThenWrite(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		const writers, perWriter = 8, 50
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter)
		for range writers {
			wg.Go(func() {
				for range perWriter {
					errs <- txErr(db, func(tx experiments.Tx) error {
						e, err := tx.GetExperiment(w.ws.ID, w.exp.Key, true)
						if err != nil {
							return err
						}
						e.Version++
						return tx.UpdateExperiment(e)
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent transaction: %v", err)
			}
		}
		inTx(t, db, func(tx experiments.Tx) error {
			e, err := tx.GetExperiment(w.ws.ID, w.exp.ID, false)
			if want := 1 + writers*perWriter; err != nil || e.Version != want {
				t.Errorf("version after %d increments = %d, %v, want %d", writers*perWriter, e.Version, err, want)
			}
			return nil
		})
	})
}

// TestSQLiteTwoPools is TestConcurrentReadThenWrite across two pools on one file, as when
// `postlab key create` runs next to the server: the pools contend for SQLite's lock, which
// BEGIN IMMEDIATE and busy_timeout must turn into waiting, not "database is locked".
func TestSQLiteTwoPools(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, path, nil)
		if err != nil {
			t.Fatalf("Open(%s) = %v", path, err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate() = %v", err)
		}
		dbs[i] = db
	}
	w := seedWorld(t, dbs[0])
	const writers, perWriter = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for i := range writers {
		db := dbs[i%2]
		wg.Go(func() {
			for range perWriter {
				errs <- txErr(db, func(tx experiments.Tx) error {
					e, err := tx.GetExperiment(w.ws.ID, w.exp.ID, true)
					if err != nil {
						return err
					}
					e.Version++
					return tx.UpdateExperiment(e)
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	locked := 0
	for err := range errs {
		if err != nil && strings.Contains(err.Error(), "locked") {
			locked++
		} else if err != nil {
			t.Errorf("concurrent transaction: %v", err)
		}
	}
	if locked > 0 {
		t.Errorf("%d of %d transactions failed with \"database is locked\"", locked, writers*perWriter)
	}
	inTx(t, dbs[1], func(tx experiments.Tx) error {
		e, err := tx.GetExperiment(w.ws.ID, w.exp.ID, false)
		if want := 1 + writers*perWriter; err != nil || e.Version != want {
			t.Errorf("version after %d increments = %d, %v, want %d", writers*perWriter, e.Version, err, want)
		}
		return nil
	})
}

func TestSecret(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		var first, again, other []byte
		inTx(t, db, func(tx experiments.Tx) (err error) {
			first, err = tx.Secret("cursor")
			return err
		})
		inTx(t, db, func(tx experiments.Tx) (err error) {
			if again, err = tx.Secret("cursor"); err != nil {
				return err
			}
			other, err = tx.Secret("other")
			return err
		})
		if len(first) != 32 {
			t.Errorf("len(Secret(cursor)) = %d, want 32", len(first))
		}
		if string(first) != string(again) {
			t.Errorf("Secret(cursor) changed between calls: %x, then %x", first, again)
		}
		if string(first) == string(other) {
			t.Errorf("Secret(cursor) = Secret(other) = %x, want different secrets", first)
		}

		// Instances starting together agree on one secret.
		var wg sync.WaitGroup
		got := make([][]byte, 8)
		for i := range got {
			wg.Go(func() {
				inTx(t, db, func(tx experiments.Tx) (err error) {
					got[i], err = tx.Secret("race")
					return err
				})
			})
		}
		wg.Wait()
		for i := range got {
			if string(got[i]) != string(got[0]) {
				t.Fatalf("concurrent Secret(race) answers differ: %x and %x", got[0], got[i])
			}
		}
	})
}

func TestCountWorkspaces(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		for i := range 3 {
			inTx(t, db, func(tx experiments.Tx) error {
				n, err := tx.CountWorkspaces()
				if err != nil || n != int64(i) {
					t.Errorf("CountWorkspaces() = %d, %v, want %d", n, err, i)
				}
				return tx.CreateWorkspace(experiments.Workspace{ID: newID(), Name: fmt.Sprint("team ", i)})
			})
		}
	})
}

// TestSnapshotReadsBesideWriters: a read in Snapshot sees one snapshot from start to end, and
// a write commits while it is open (on SQLite a Tx there would hold the one write connection,
// and the write would wait for the read to end).
func TestSnapshotReadsBesideWriters(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		seedExperiment(t, db, ws.ID, "before")
		count := func(tx experiments.Tx) int {
			list, err := tx.ListExperiments(ws.ID, experiments.ExperimentFilter{Page: experiments.Page{Limit: 100}})
			if err != nil {
				t.Fatalf("ListExperiments: %v", err)
			}
			return len(list)
		}
		ctx := context.Background()
		err := db.Snapshot(ctx, func(tx experiments.Tx) error {
			first := count(tx)
			wrote := make(chan error, 1)
			go func() {
				wrote <- db.Tx(ctx, func(w experiments.Tx) error {
					return w.InsertExperiment(newExperiment(ws.ID, "during"))
				})
			}()
			select {
			case err := <-wrote:
				if err != nil {
					return fmt.Errorf("write beside the snapshot: %w", err)
				}
			case <-time.After(10 * time.Second):
				return errors.New("a write waited for a read in Snapshot to end")
			}
			if again := count(tx); again != first {
				t.Errorf("the snapshot saw %d experiments, then %d after a write committed beside it", first, again)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(ctx, func(tx experiments.Tx) error {
			if n := count(tx); n != 2 {
				t.Errorf("after the snapshot: %d experiments, want 2", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
