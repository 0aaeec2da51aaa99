package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
	"postlab/store/storetest"
)

func TestSnapshots(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p := seedPost(t, db, w.control, "1")
		snap := func(hours int, views int64) experiments.Snapshot {
			return experiments.Snapshot{PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(hours), Metrics: experiments.Metrics{Views: ptr(views)}}
		}
		full := experiments.Snapshot{
			PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(24),
			Metrics: experiments.Metrics{Views: ptr(int64(10234)), Reach: ptr(int64(9000)), Likes: ptr(int64(801)),
				Comments: ptr(int64(0)), Shares: ptr(int64(96)), Saves: ptr(int64(12)), FollowersGained: ptr(int64(3)),
				ProfileViews: ptr(int64(40)), WatchTimeSeconds: ptr(51170.5), AvgWatchSeconds: ptr(5.0), CompletionRate: ptr(0.0)},
			Custom: map[string]float64{"duets": 4, "stitches": 0.5},
		}
		inTx(t, db, func(tx experiments.Tx) error {
			return upsert(tx, []experiments.Snapshot{snap(48, 20000), full, snap(1, 100)})
		})

		t.Run("round trip", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{})
				want := []experiments.Snapshot{snap(1, 100), full, snap(48, 20000)}
				if err != nil || !cmp.Equal(got, want) {
					t.Errorf("ListSnapshots(): %v\n%s", err, cmp.Diff(want, got))
				}
				// Unknown metrics stay unknown: NULL, not 0; a 0 stays 0.
				if len(got) == 3 && (got[0].Likes != nil || got[0].CompletionRate != nil || got[0].Custom != nil) {
					t.Errorf("metrics left out came back as %+v, want nil", got[0])
				}
				if len(got) == 3 && (got[1].Comments == nil || *got[1].Comments != 0 || got[1].CompletionRate == nil) {
					t.Errorf("zero metrics came back as %v, %v, want 0", got[1].Comments, got[1].CompletionRate)
				}
				return nil
			})
		})

		t.Run("pages by observed_at", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				first, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{Limit: 2})
				if err != nil || len(first) != 2 {
					t.Fatalf("ListSnapshots(limit 2) = %d, %v, want 2", len(first), err)
				}
				after := first[1].ObservedAt.Format(time.RFC3339Nano)
				rest, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{Limit: 2, After: after})
				want := []experiments.Snapshot{snap(48, 20000)}
				if err != nil || !cmp.Equal(rest, want) {
					t.Errorf("ListSnapshots(after %s): %v\n%s", after, err, cmp.Diff(want, rest))
				}
				// A cursor in another offset names the same instant.
				other := first[0].ObservedAt.In(time.FixedZone("", -7*3600)).Format(time.RFC3339Nano)
				rest, err = tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{After: other})
				if err != nil || len(rest) != 2 {
					t.Errorf("ListSnapshots(after %s) = %d, %v, want 2", other, len(rest), err)
				}
				_, err = tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{After: "yesterday"})
				wantCode(t, err, experiments.EINVALID)
				return nil
			})
		})

		t.Run("replace whole", func(t *testing.T) {
			// The same instant in another zone is the same snapshot.
			again := experiments.Snapshot{
				PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(24).In(time.FixedZone("", 9*3600)),
				Metrics: experiments.Metrics{Views: ptr(int64(11000)), Likes: ptr(int64(900))},
			}
			inTx(t, db, func(tx experiments.Tx) error {
				// Within one call the last one wins.
				return upsert(tx, []experiments.Snapshot{snap(24, 1), again})
			})
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{})
				again.ObservedAt = at(24)
				want := []experiments.Snapshot{snap(1, 100), again, snap(48, 20000)}
				if err != nil || !cmp.Equal(got, want) {
					t.Errorf("after replacing: %v\n%s", err, cmp.Diff(want, got))
				}
				return nil
			})
		})

		t.Run("isolation", func(t *testing.T) {
			b := seedWorld(t, db)
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.ListSnapshots(b.ws.ID, p.ID, experiments.Page{})
				if err != nil || len(got) != 0 {
					t.Errorf("ListSnapshots(B, A's post) = %d, %v, want none", len(got), err)
				}
				return nil
			})
			// B may not write onto A's post, nor may a batch name a missing post; nothing of
			// such a batch is written.
			bp := seedPost(t, db, b.control, "b1")
			for _, bad := range []experiments.Snapshot{
				{PostID: p.ID, WorkspaceID: b.ws.ID, ObservedAt: at(2), Metrics: experiments.Metrics{Views: ptr(int64(5))}},
				{PostID: newID(), WorkspaceID: b.ws.ID, ObservedAt: at(2), Metrics: experiments.Metrics{Views: ptr(int64(5))}},
			} {
				batch := []experiments.Snapshot{{PostID: bp.ID, WorkspaceID: b.ws.ID, ObservedAt: at(2)}, bad}
				err := txErr(db, func(tx experiments.Tx) error { return upsert(tx, batch) })
				wantCode(t, err, experiments.ENOTFOUND)
			}
			inTx(t, db, func(tx experiments.Tx) error {
				mine, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{})
				if err != nil || len(mine) != 3 {
					t.Errorf("A's post has %d snapshots after refused batches, %v, want 3", len(mine), err)
				}
				theirs, err := tx.ListSnapshots(b.ws.ID, bp.ID, experiments.Page{})
				if err != nil || len(theirs) != 0 {
					t.Errorf("B's post has %d snapshots after refused batches, %v, want none", len(theirs), err)
				}
				return nil
			})
		})

		t.Run("out of range", func(t *testing.T) {
			bad := snap(5, 1)
			bad.CompletionRate = ptr(1.5)
			err := txErr(db, func(tx experiments.Tx) error { return upsert(tx, []experiments.Snapshot{bad}) })
			wantCode(t, err, experiments.EINVALID)
		})
	})
}

// snapshotBatch is n snapshots spread over the posts, one an hour, with views from base.
func snapshotBatch(workspaceID string, posts []experiments.Post, n int, base int64) []experiments.Snapshot {
	ss := make([]experiments.Snapshot, n)
	for i := range ss {
		p := posts[i%len(posts)]
		ss[i] = experiments.Snapshot{
			PostID: p.ID, WorkspaceID: workspaceID, ObservedAt: at(i / len(posts)),
			Metrics: experiments.Metrics{Views: ptr(base + int64(i)), Likes: ptr(int64(i % 7)), CompletionRate: ptr(0.5)},
		}
		if i%3 == 0 {
			ss[i].Likes = nil
			ss[i].Custom = map[string]float64{"duets": float64(i)}
		}
	}
	return ss
}

func seedPosts(t testing.TB, db *store.DB, v experiments.Variant, n int) []experiments.Post {
	t.Helper()
	posts := make([]experiments.Post, n)
	inTx(t, db, func(tx experiments.Tx) error {
		for i := range posts {
			posts[i] = newPost(v, fmt.Sprint("bulk-", i))
			if err := tx.InsertPost(posts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return posts
}

func TestUpsertSnapshots10k(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		posts := seedPosts(t, db, w.control, 100)
		for round, base := range []int64{0, 1_000_000} {
			batch := snapshotBatch(w.ws.ID, posts, 10_000, base)
			start := time.Now()
			inTx(t, db, func(tx experiments.Tx) error { return upsert(tx, batch) })
			t.Logf("round %d: upserted %d snapshots in %v", round, len(batch), time.Since(start))

			inTx(t, db, func(tx experiments.Tx) error {
				total := 0
				for i, p := range posts {
					got, err := tx.ListSnapshots(w.ws.ID, p.ID, experiments.Page{})
					if err != nil {
						return err
					}
					total += len(got)
					if i == 3 {
						want := []experiments.Snapshot{batch[3], batch[103], batch[203]}
						if !cmp.Equal(got[:3], want) {
							t.Errorf("round %d: snapshots of post 3:\n%s", round, cmp.Diff(want, got[:3]))
						}
					}
				}
				if total != len(batch) {
					t.Errorf("round %d: %d snapshots stored, want %d", round, total, len(batch))
				}
				return nil
			})
		}
	})
}

func BenchmarkUpsertSnapshots10k(b *testing.B) {
	for _, d := range []string{store.DialectPostgres, store.DialectSQLite} {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			w := seedWorld(b, db)
			posts := seedPosts(b, db, w.control, 100)
			batch := snapshotBatch(w.ws.ID, posts, 10_000, 0)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				for j := range batch {
					batch[j].Views = ptr(int64(i + j))
				}
				if err := db.Tx(ctx, func(tx experiments.Tx) error { return upsert(tx, batch) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/snapshot")
		})
	}
}
