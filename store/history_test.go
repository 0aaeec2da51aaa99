package store_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

// TestHorizonSnapshotsHistory checks the history a plan is sized from: without an experiment,
// HorizonSnapshots reads the workspace's posts on one platform published strictly before a
// time, whatever their experiment, with their brackets.
func TestHorizonSnapshotsHistory(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		other := seedExperiment(t, db, w.ws.ID, "other")
		otherControl := seedVariant(t, db, other, "x", true)
		post := func(v experiments.Variant, id, platform string, posted time.Time) experiments.Post {
			p := newPost(v, id)
			p.Platform, p.PostedAt = platform, posted
			inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
			return p
		}
		cutoff := at(100)
		mine := post(w.control, "1", "tiktok", at(-48))
		theirs := post(otherControl, "2", "tiktok", cutoff.Add(-time.Microsecond).In(time.FixedZone("", -5*3600)))
		post(w.treatment, "3", "tiktok", cutoff)      // not before the cutoff
		post(otherControl, "4", "instagram", at(-48)) // another platform
		elsewhere := seedWorld(t, db)                 // another workspace
		post(elsewhere.control, "5", "tiktok", at(-48))
		inTx(t, db, func(tx experiments.Tx) error {
			return upsert(tx, []experiments.Snapshot{
				{PostID: mine.ID, WorkspaceID: w.ws.ID, ObservedAt: mine.PostedAt.Add(20 * time.Hour), Metrics: experiments.Metrics{Views: ptr(int64(100))}},
				{PostID: mine.ID, WorkspaceID: w.ws.ID, ObservedAt: mine.PostedAt.Add(30 * time.Hour), Metrics: experiments.Metrics{Views: ptr(int64(160))}},
			})
		})
		var data experiments.HorizonData
		inTx(t, db, func(tx experiments.Tx) (err error) {
			data, err = tx.HorizonSnapshots(w.ws.ID, experiments.HorizonQuery{Platform: "tiktok", PostedBefore: cutoff,
				Values: []string{"views"}, Horizon: 24 * time.Hour})
			return err
		})
		var got []string
		for _, p := range data.Posts {
			got = append(got, p.ID)
		}
		sort.Strings(got)
		if want := []string{mine.ID, theirs.ID}; !cmp.Equal(got, want) {
			t.Fatalf("history posts = %v, want this workspace's tiktok posts before the cutoff %v", got, want)
		}
		for i, p := range data.Posts {
			b := data.Bracket(i, 0, 1)
			switch p.ID {
			case mine.ID:
				if !b.Before.Found || b.Before.Value != 100 || !b.After.Found || b.After.Value != 160 {
					t.Errorf("bracket of %s = %+v, want 100 before and 160 after the horizon", p.ID, b)
				}
			case theirs.ID:
				if b.Before.Found || b.After.Found {
					t.Errorf("bracket of a post without snapshots = %+v, want none", b)
				}
			}
		}
	})
}
