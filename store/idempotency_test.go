package store_test

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestIdempotency(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		claim := func(rec experiments.IdempotencyRecord) *experiments.IdempotencyRecord {
			t.Helper()
			var got *experiments.IdempotencyRecord
			inTx(t, db, func(tx experiments.Tx) (err error) {
				got, err = tx.ClaimIdempotency(rec)
				return err
			})
			return got
		}
		rec := experiments.IdempotencyRecord{
			WorkspaceID: ws.ID, Key: "k-1", Method: "POST", Path: "/v1/experiments",
			RequestHash: "sha256:abc", CreatedAt: at(0),
		}

		if got := claim(rec); got != nil {
			t.Fatalf("first ClaimIdempotency() = %+v, want nil", got)
		}
		inFlight := rec
		inFlight.Headers = map[string]string{}
		if got := claim(rec); !cmp.Equal(got, &inFlight) {
			t.Errorf("ClaimIdempotency() while in flight:\n%s", cmp.Diff(&inFlight, got))
		}

		done := rec
		done.Status, done.ContentType = 201, "application/json"
		done.Headers = map[string]string{"Location": "/v1/experiments/x", "ETag": `"1"`}
		done.Body = []byte(`{"id":"x"}`)
		inTx(t, db, func(tx experiments.Tx) error { return tx.CompleteIdempotency(done) })
		if got := claim(rec); !cmp.Equal(got, &done) {
			t.Errorf("ClaimIdempotency() after completion (replay):\n%s", cmp.Diff(&done, got))
		}
		// A completed answer is not released.
		wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.ReleaseIdempotency(rec) }), experiments.ENOTFOUND)

		// The same key under another scope is another claim.
		for _, other := range []func(*experiments.IdempotencyRecord){
			func(r *experiments.IdempotencyRecord) { r.WorkspaceID = seedWorkspace(t, db).ID },
			func(r *experiments.IdempotencyRecord) { r.Path = "/v1/experiments/x/posts" },
			func(r *experiments.IdempotencyRecord) { r.Method = "PUT" },
		} {
			r := rec
			other(&r)
			if got := claim(r); got != nil {
				t.Errorf("ClaimIdempotency(%s %s in %s) = %+v, want a new claim", r.Method, r.Path, r.WorkspaceID, got)
			}
		}

		// A released claim can be claimed again.
		failed := rec
		failed.Key = "k-2"
		claim(failed)
		inTx(t, db, func(tx experiments.Tx) error { return tx.ReleaseIdempotency(failed) })
		if got := claim(failed); got != nil {
			t.Errorf("ClaimIdempotency() after release = %+v, want a new claim", got)
		}

		missing := rec
		missing.Key = "never-claimed"
		wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.CompleteIdempotency(missing) }), experiments.ENOTFOUND)
	})
}

// TestIdempotencyRace claims one key from 8 transactions at once: exactly one wins.
func TestIdempotencyRace(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		rec := experiments.IdempotencyRecord{WorkspaceID: ws.ID, Key: "race", Method: "POST", Path: "/v1/snapshots:batch", RequestHash: "h"}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range 8 {
			wg.Go(func() {
				inTx(t, db, func(tx experiments.Tx) error {
					got, err := tx.ClaimIdempotency(rec)
					if err == nil && got == nil {
						mu.Lock()
						wins++
						mu.Unlock()
					}
					return err
				})
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d of 8 concurrent claims won, want 1", wins)
		}
	})
}
