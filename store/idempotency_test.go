package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestIdempotency(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		read := func(scope string, since int) *experiments.IdempotencyRecord {
			t.Helper()
			var got *experiments.IdempotencyRecord
			inTx(t, db, func(tx experiments.Tx) (err error) {
				got, err = tx.IdempotencyRecord(scope, at(since))
				return err
			})
			return got
		}
		save := func(rec experiments.IdempotencyRecord) {
			t.Helper()
			inTx(t, db, func(tx experiments.Tx) error { return tx.SaveIdempotency(rec) })
		}
		rec := experiments.IdempotencyRecord{
			Scope: "aa01", WorkspaceID: ws.ID, APIKeyID: "k", Method: "POST", Path: "/v1/experiments",
			Query: "dry_run=true", Key: "k-1", Fingerprint: "f", Status: 201, ContentType: "application/json",
			Headers: map[string]string{"Location": "/v1/experiments/x"}, Body: []byte(`{"id":"x"}`), Redacted: true,
			CreatedAt: at(0),
		}
		if got := read(rec.Scope, -24); got != nil {
			t.Fatalf("IdempotencyRecord() before any save = %+v, want nil", got)
		}
		save(rec)
		if got := read(rec.Scope, -24); !cmp.Equal(got, &rec) {
			t.Errorf("IdempotencyRecord() after save:\n%s", cmp.Diff(&rec, got))
		}
		if got := read(rec.Scope, 1); got != nil {
			t.Errorf("IdempotencyRecord() since after its creation = %+v, want nil (expired)", got)
		}
		// An expired record is replaced by a new answer under the same scope.
		newer := rec
		newer.Status, newer.Redacted, newer.CreatedAt = 200, false, at(30)
		save(newer)
		if got := read(rec.Scope, 6); !cmp.Equal(got, &newer) {
			t.Errorf("IdempotencyRecord() after replacing an expired record:\n%s", cmp.Diff(&newer, got))
		}
		old := rec
		old.Scope, old.CreatedAt = "bb02", at(-48)
		save(old)
		var purged int64
		inTx(t, db, func(tx experiments.Tx) (err error) {
			purged, err = tx.PurgeIdempotency(at(6))
			return err
		})
		if purged != 1 || read(old.Scope, -100) != nil || read(rec.Scope, 6) == nil {
			t.Errorf("PurgeIdempotency(6 h) purged %d, want exactly the record of -48 h", purged)
		}
		missing := rec
		missing.Scope, missing.WorkspaceID = "cc03", newID()
		wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.SaveIdempotency(missing) }), experiments.ENOTFOUND)
	})
}

// TestIdempotencyLock: on PostgreSQL a second transaction cannot hold a scope another one
// holds, and can once that one has ended; SQLite's write lock makes every transaction hold it.
func TestIdempotencyLock(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		scope := "0123abcd"
		lock := func() bool {
			var held bool
			inTx(t, db, func(tx experiments.Tx) (err error) {
				held, err = tx.LockIdempotency(scope)
				return err
			})
			return held
		}
		if db.Dialect() == store.DialectSQLite {
			if !lock() {
				t.Error("LockIdempotency() on SQLite = false, want true")
			}
			return
		}
		inTx(t, db, func(tx experiments.Tx) error {
			if held, err := tx.LockIdempotency(scope); err != nil || !held {
				t.Fatalf("first LockIdempotency() = %v, %v, want true", held, err)
			}
			if lock() {
				t.Error("LockIdempotency() while another transaction holds the scope = true, want false")
			}
			return nil
		})
		if !lock() {
			t.Error("LockIdempotency() after the holder ended = false, want true")
		}
	})
}

// TestJoinedTx: a Tx whose context carries a transaction joins it: its work commits with
// the outer transaction or not at all, and its own error undoes only its own work.
func TestJoinedTx(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		exists := func(key string) bool {
			err := txErr(db, func(tx experiments.Tx) error {
				_, err := tx.GetExperiment(ws.ID, key, false)
				return err
			})
			return err == nil
		}
		insert := func(ctx context.Context, key string) error {
			return db.Tx(ctx, func(tx experiments.Tx) error { return tx.InsertExperiment(newExperiment(ws.ID, key)) })
		}
		rollback := errors.New("roll back")
		err := db.Tx(context.Background(), func(tx experiments.Tx) error {
			ctx := experiments.WithTx(context.Background(), tx)
			if err := insert(ctx, "joined"); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) || exists("joined") {
			t.Errorf("outer rollback: err %v, inner insert kept %v; want both undone", err, exists("joined"))
		}
		inTx(t, db, func(tx experiments.Tx) error {
			ctx := experiments.WithTx(context.Background(), tx)
			if err := insert(ctx, "kept"); err != nil {
				return err
			}
			if err := insert(ctx, "kept"); err == nil {
				t.Error("second insert of the same key succeeded")
			}
			return insert(ctx, "after")
		})
		if !exists("kept") || !exists("after") {
			t.Errorf("a failed inner Tx undid more than its own work: kept %v, after %v", exists("kept"), exists("after"))
		}
	})
}

// TestRead: Read sees what Tx committed, and inside a transaction (WithTx) that transaction's
// own writes; on SQLite it cannot write.
func TestRead(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		get := func(ctx context.Context, key string) error {
			return db.Read(ctx, func(tx experiments.Tx) error {
				_, err := tx.GetExperiment(ws.ID, key, false)
				return err
			})
		}
		seedExperiment(t, db, ws.ID, "committed")
		if err := get(context.Background(), "committed"); err != nil {
			t.Errorf("Read after a commit: %v", err)
		}
		inTx(t, db, func(tx experiments.Tx) error {
			if err := tx.InsertExperiment(newExperiment(ws.ID, "pending")); err != nil {
				return err
			}
			if err := get(experiments.WithTx(context.Background(), tx), "pending"); err != nil {
				t.Errorf("Read inside the writing transaction: %v", err)
			}
			return nil
		})
		if db.Dialect() == store.DialectSQLite {
			err := db.Read(context.Background(), func(tx experiments.Tx) error {
				return tx.InsertExperiment(newExperiment(ws.ID, "sneaky"))
			})
			if err == nil {
				t.Error("a write through Read succeeded on SQLite's read-only pool")
			}
		}
	})
}
