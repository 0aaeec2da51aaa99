package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestExperiments(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		e := seedExperiment(t, db, ws.ID, "timing")

		// A transaction reads through its own connection; a read outside one through the read
		// pool (SQLite's read-only pool, PostgreSQL's connection driven by pgx directly).
		get := func(t *testing.T, tx experiments.Tx, locks []bool) error {
			for _, idOrKey := range []string{e.ID, e.Key} {
				for _, lock := range locks {
					got, err := tx.GetExperiment(ws.ID, idOrKey, lock)
					if err != nil || !cmp.Equal(got, e) {
						t.Errorf("GetExperiment(%s, forUpdate %v) = %v\n%s", idOrKey, lock, err, cmp.Diff(e, got))
					}
				}
			}
			_, err := tx.GetExperiment(ws.ID, "missing", false)
			if msg := wantCode(t, err, experiments.ENOTFOUND); msg != "experiment not found" {
				t.Errorf("missing experiment: message = %q", msg)
			}
			return nil
		}
		t.Run("get", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error { return get(t, tx, []bool{false, true}) })
			err := db.Read(context.Background(), func(tx experiments.Tx) error { return get(t, tx, []bool{false}) })
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
		})

		t.Run("id wins over key", func(t *testing.T) {
			// Another experiment whose key is e's id.
			other := seedExperiment(t, db, ws.ID, e.ID)
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.GetExperiment(ws.ID, e.ID, false)
				if err != nil || got.ID != e.ID {
					t.Errorf("GetExperiment(e's id) = %s, %v, want %s (not %s, keyed so)", got.ID, err, e.ID, other.ID)
				}
				return tx.DeleteExperiment(ws.ID, other.ID)
			})
		})

		t.Run("update", func(t *testing.T) {
			u := e
			u.Name = "Evening wins?"
			u.Hypothesis = "" // zero values must be written too
			u.Status = experiments.StatusConcluded
			u.SecondaryMetrics = nil
			u.Factors = []string{"post_time", "format"}
			u.PlannedPostsPerVariant = ptr(584)
			u.Version = 2
			u.UpdatedAt = at(48)
			u.StartedAt = ptr(at(1))
			u.ConcludedAt = ptr(at(47))
			u.Decision = &experiments.Conclusion{
				Result: "won", WinnerVariantKey: "evening", Summary: "Evening won",
				Report: json.RawMessage(`{"metrics":[]}`),
			}
			inTx(t, db, func(tx experiments.Tx) error { return tx.UpdateExperiment(u) })
			u.SecondaryMetrics = []string{} // read back as an empty list
			after := func(tx experiments.Tx) error {
				got, err := tx.GetExperiment(ws.ID, e.ID, false)
				if err != nil || !cmp.Equal(got, u) {
					t.Errorf("after UpdateExperiment: %v\n%s", err, cmp.Diff(u, got))
				}
				return nil
			}
			inTx(t, db, after)
			if err := db.Read(context.Background(), after); err != nil { // every nullable column set
				t.Fatalf("Read: %v", err)
			}

			u.Decision, u.StartedAt, u.ConcludedAt, u.Status = nil, nil, nil, experiments.StatusDraft
			u.PlannedPostsPerVariant = nil
			inTx(t, db, func(tx experiments.Tx) error { return tx.UpdateExperiment(u) })
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.GetExperiment(ws.ID, e.ID, false)
				if err != nil || !cmp.Equal(got, u) {
					t.Errorf("after clearing fields: %v\n%s", err, cmp.Diff(u, got))
				}
				return nil
			})
			e = u
		})

		t.Run("duplicate key", func(t *testing.T) {
			dup := newExperiment(ws.ID, e.Key)
			err := txErr(db, func(tx experiments.Tx) error { return tx.InsertExperiment(dup) })
			if msg := wantCode(t, err, experiments.ECONFLICT); msg != `an experiment with key "timing" already exists` {
				t.Errorf("duplicate key: message = %q", msg)
			}
			// A key is unique per workspace only.
			seedExperiment(t, db, seedWorkspace(t, db).ID, e.Key)

			second := seedExperiment(t, db, ws.ID, "second")
			second.Key = e.Key
			err = txErr(db, func(tx experiments.Tx) error { return tx.UpdateExperiment(second) })
			wantCode(t, err, experiments.ECONFLICT)
			inTx(t, db, func(tx experiments.Tx) error { return tx.DeleteExperiment(ws.ID, second.ID) })
		})

		t.Run("list", func(t *testing.T) {
			w := seedWorkspace(t, db)
			var all []experiments.Experiment
			for i, key := range []string{"a", "b", "c", "d"} {
				x := newExperiment(w.ID, key)
				if i%2 == 1 {
					x.Status, x.Platform = experiments.StatusRunning, "instagram"
				}
				inTx(t, db, func(tx experiments.Tx) error { return tx.InsertExperiment(x) })
				all = append(all, x)
			}
			tests := []struct {
				name string
				f    experiments.ExperimentFilter
				want []experiments.Experiment
			}{
				{"all", experiments.ExperimentFilter{}, all},
				{"limit", experiments.ExperimentFilter{Page: experiments.Page{Limit: 3}}, all[:3]},
				{"after", experiments.ExperimentFilter{Page: experiments.Page{After: all[1].ID}}, all[2:]},
				{"status", experiments.ExperimentFilter{Status: experiments.StatusRunning}, []experiments.Experiment{all[1], all[3]}},
				{"platform", experiments.ExperimentFilter{Platform: "tiktok", Page: experiments.Page{Limit: 1}}, all[:1]},
			}
			for _, tt := range tests {
				inTx(t, db, func(tx experiments.Tx) error {
					got, err := tx.ListExperiments(w.ID, tt.f)
					if err != nil || !cmp.Equal(got, tt.want) {
						t.Errorf("ListExperiments(%s): %v\n%s", tt.name, err, cmp.Diff(tt.want, got))
					}
					return nil
				})
			}
		})

		t.Run("isolation", func(t *testing.T) {
			b := seedWorkspace(t, db)
			inTx(t, db, func(tx experiments.Tx) error {
				for _, idOrKey := range []string{e.ID, e.Key} {
					_, err := tx.GetExperiment(b.ID, idOrKey, true)
					wantCode(t, err, experiments.ENOTFOUND)
				}
				stolen := e
				stolen.WorkspaceID = b.ID
				wantCode(t, tx.UpdateExperiment(stolen), experiments.ENOTFOUND)
				wantCode(t, tx.DeleteExperiment(b.ID, e.ID), experiments.ENOTFOUND)
				list, err := tx.ListExperiments(b.ID, experiments.ExperimentFilter{})
				if err != nil || len(list) != 0 {
					t.Errorf("ListExperiments(B) = %d experiments, %v, want none", len(list), err)
				}
				return nil
			})
		})

		t.Run("delete", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error { return tx.DeleteExperiment(ws.ID, e.ID) })
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetExperiment(ws.ID, e.ID, false)
				wantCode(t, err, experiments.ENOTFOUND)
				wantCode(t, tx.DeleteExperiment(ws.ID, e.ID), experiments.ENOTFOUND)
				return nil
			})
		})
	})
}

// TestDeleteExperimentWithPosts deletes an experiment whose variants have posts with
// snapshots: the cascade must not trip over posts.variant_id's ON DELETE RESTRICT.
func TestDeleteExperimentWithPosts(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p := seedPost(t, db, w.treatment, "1")
		inTx(t, db, func(tx experiments.Tx) error {
			return upsert(tx, []experiments.Snapshot{{PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(24), Metrics: experiments.Metrics{Views: ptr(int64(10))}}})
		})
		inTx(t, db, func(tx experiments.Tx) error { return tx.DeleteExperiment(w.ws.ID, w.exp.ID) })
		inTx(t, db, func(tx experiments.Tx) error {
			_, err := tx.GetPost(w.ws.ID, p.ID)
			wantCode(t, err, experiments.ENOTFOUND)
			_, err = tx.GetVariant(w.ws.ID, w.exp.ID, w.control.ID)
			wantCode(t, err, experiments.ENOTFOUND)
			snaps, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{})
			if err != nil || len(snaps) != 0 {
				t.Errorf("ListSnapshots() after delete = %d, %v, want none", len(snaps), err)
			}
			return nil
		})
	})
}

// TestPostCounts checks the list's counts: every post of each experiment named, and those at
// least the experiment's horizon old at the time given (a post exactly that old counts, one a
// microsecond younger does not); another workspace's experiment counts nothing.
func TestPostCounts(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws, other := seedWorkspace(t, db), seedWorkspace(t, db)
		day := seedExperiment(t, db, ws.ID, "day") // horizon 24 h
		short := newExperiment(ws.ID, "short")
		short.HorizonHours = 6.5
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertExperiment(short) })
		empty := seedExperiment(t, db, ws.ID, "empty")
		foreign := seedExperiment(t, db, other.ID, "foreign")
		now := at(100)
		ages := []struct {
			e    experiments.Experiment
			ages []time.Duration
		}{
			{day, []time.Duration{48 * time.Hour, 24 * time.Hour, 24*time.Hour - time.Microsecond, time.Hour}},
			{short, []time.Duration{6*time.Hour + 30*time.Minute, 7 * time.Hour, 6 * time.Hour}},
			{foreign, []time.Duration{48 * time.Hour}},
		}
		n := 0
		for _, x := range ages {
			v := seedVariant(t, db, x.e, "a", true)
			for _, age := range x.ages {
				p := newPost(v, fmt.Sprintf("x%d", n))
				n++
				p.PostedAt = now.Add(-age).In(time.FixedZone("", -5*3600))
				inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
			}
		}
		var got map[string]experiments.PostCount
		inTx(t, db, func(tx experiments.Tx) (err error) {
			got, err = tx.PostCounts(ws.ID, []string{day.ID, short.ID, empty.ID, foreign.ID}, now)
			return err
		})
		want := map[string]experiments.PostCount{day.ID: {Posts: 4, Matured: 2}, short.ID: {Posts: 3, Matured: 2}}
		if !cmp.Equal(got, want) {
			t.Errorf("PostCounts = %v, want %v", got, want)
		}
	})
}
