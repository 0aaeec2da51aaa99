package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestLatestValues(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p1 := seedPost(t, db, w.control, "1")
		p2 := seedPost(t, db, w.treatment, "2")
		p3 := newPost(w.treatment, "3")
		p3.Account = "ifrc_es"
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p3) })
		seedPost(t, db, w.control, "4") // no snapshot: no value

		// Another experiment's post in the same workspace must not count.
		other := seedExperiment(t, db, w.ws.ID, "other")
		ov := seedVariant(t, db, other, "a", true)
		op := seedPost(t, db, ov, "5")

		snap := func(p experiments.Post, hours int) experiments.Snapshot {
			return experiments.Snapshot{PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(hours)}
		}
		s := []experiments.Snapshot{snap(p1, 1), snap(p1, 24), snap(p1, 48), snap(p2, 24), snap(p3, 24), snap(op, 24)}
		s[0].Views, s[0].Likes = ptr(int64(10)), ptr(int64(1))
		s[1].Views, s[1].Likes, s[1].Comments, s[1].Shares, s[1].Saves = ptr(int64(100)), ptr(int64(5)), ptr(int64(1)), ptr(int64(1)), ptr(int64(1))
		s[2].Views = ptr(int64(150)) // latest, but its likes are unknown: the 24 h likes count
		s[1].Custom = map[string]float64{"clicks": 7}
		s[3].Views, s[3].Likes, s[3].Comments, s[3].Shares, s[3].Saves = ptr(int64(0)), ptr(int64(0)), ptr(int64(0)), ptr(int64(0)), nil
		s[3].Custom = map[string]float64{"clicks": 2.5}
		s[4].Views = ptr(int64(3000))
		s[5].Views = ptr(int64(999999))
		inTx(t, db, func(tx experiments.Tx) error { return upsert(tx, s) })

		tests := []struct {
			account, metric string
			want            []float64
		}{
			{"", "views", []float64{0, 150, 3000}},
			{"ifrc", "views", []float64{0, 150}},
			{"ifrc_es", "views", []float64{3000}},
			{"nobody", "views", nil},
			{"", "likes", []float64{0, 5}},
			{"", "engagements", []float64{0, 8}}, // p2 lacks saves: the sum of the parts it has (SPEC §1)
			{"", "custom.clicks", []float64{2.5, 7}},
			{"", "custom.duets", nil},
		}
		for _, tt := range tests {
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.LatestValues(w.ws.ID, w.exp.ID, tt.account, tt.metric)
				slices.Sort(got)
				if err != nil || !slices.Equal(got, tt.want) {
					t.Errorf("LatestValues(%q, %q) = %v, %v, want %v", tt.account, tt.metric, got, err, tt.want)
				}
				return nil
			})
		}
		stranger := seedWorkspace(t, db)
		inTx(t, db, func(tx experiments.Tx) error {
			if got, err := tx.LatestValues(stranger.ID, w.exp.ID, "", "views"); err != nil || len(got) != 0 {
				t.Errorf("LatestValues(another workspace) = %v, %v, want nothing", got, err)
			}
			if _, err := tx.LatestValues(w.ws.ID, w.exp.ID, "", "completion_rate"); err == nil {
				t.Errorf("LatestValues(completion_rate) = nil error, want one: not a count metric")
			}
			return nil
		})
	})
}

func TestScheduleSlots(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		zurich := time.FixedZone("", 2*3600)
		planned := func(day, hour int) time.Time { return time.Date(2026, 9, 14+day, hour, 0, 0, 0, zurich) }
		slot := func(v experiments.Variant, account string, when time.Time) experiments.ScheduleSlot {
			return experiments.ScheduleSlot{PlannedAt: when, Account: account, VariantID: v.ID, VariantKey: v.Key,
				VariantName: v.Name, Block: "2026-W38/" + account}
		}
		slots := []experiments.ScheduleSlot{
			slot(w.control, "ifrc", planned(0, 9)),
			slot(w.treatment, "ifrc", planned(1, 19)),
			slot(w.control, "ifrc_es", planned(2, 9)),
			slot(w.treatment, "ifrc", planned(3, 19)),
		}
		inTx(t, db, func(tx experiments.Tx) error {
			return tx.ReplaceSchedule(w.ws.ID, w.exp.ID, []experiments.ScheduleSlot{slot(w.control, "old", planned(9, 9))})
		})
		inTx(t, db, func(tx experiments.Tx) error { return tx.ReplaceSchedule(w.ws.ID, w.exp.ID, slots) })

		post := func(v experiments.Variant, id, account string, when time.Time) experiments.Post {
			p := newPost(v, id)
			p.Account, p.PostedAt = account, when
			inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
			return p
		}
		post(w.control, "a", "ifrc", planned(0, 9).Add(-110*time.Minute))      // within 2 h
		near := post(w.control, "b", "ifrc", planned(0, 9).Add(5*time.Minute)) // nearer
		post(w.control, "c", "ifrc_es", planned(2, 9).Add(121*time.Minute))    // too late
		post(w.control, "d", "ifrc", planned(1, 19).Add(30*time.Minute))       // the wrong variant
		post(w.treatment, "e", "ifrc_es", planned(3, 19))                      // the wrong account

		var got []experiments.ScheduledSlot
		inTx(t, db, func(tx experiments.Tx) (err error) {
			got, err = tx.ScheduledSlots(w.ws.ID, w.exp.ID, 2*time.Hour)
			return err
		})
		want := []experiments.ScheduledSlot{
			{ScheduleSlot: slots[0], PostID: &near.ID, OnTime: true},
			{ScheduleSlot: slots[1], WrongVariant: true},
			{ScheduleSlot: slots[2]},
			{ScheduleSlot: slots[3]},
		}
		if !cmp.Equal(got, want) {
			t.Errorf("ScheduledSlots():\n%s", cmp.Diff(want, got))
		}
		for i := range min(len(got), len(slots)) {
			if g, w := got[i].PlannedAt.Format(time.RFC3339), slots[i].PlannedAt.Format(time.RFC3339); g != w {
				t.Errorf("slot %d planned_at = %s, want %s (with its offset)", i, g, w)
			}
		}
		stranger := seedWorkspace(t, db)
		inTx(t, db, func(tx experiments.Tx) error {
			other, err := tx.ScheduledSlots(stranger.ID, w.exp.ID, 2*time.Hour)
			if err != nil || len(other) != 0 {
				t.Errorf("ScheduledSlots(another workspace) = %v, %v, want nothing", other, err)
			}
			return nil
		})
	})
}

// TestEngagementsNearTheBigintLimit: four counts near the BIGINT limit sum without overflow.
func TestEngagementsNearTheBigintLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p := seedPost(t, db, w.control, "big")
		big := int64(9e18)
		s := experiments.Snapshot{PostID: p.ID, WorkspaceID: w.ws.ID, ObservedAt: at(24),
			Metrics: experiments.Metrics{Likes: &big, Comments: &big, Shares: &big, Saves: &big}}
		inTx(t, db, func(tx experiments.Tx) error { return upsert(tx, []experiments.Snapshot{s}) })
		var got []float64
		inTx(t, db, func(tx experiments.Tx) (err error) {
			got, err = tx.LatestValues(w.ws.ID, w.exp.ID, "", "engagements")
			return err
		})
		if len(got) != 1 || got[0] != 4*9e18 {
			t.Errorf("LatestValues(engagements) = %v, want [3.6e19]", got)
		}
	})
}
