package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestVariants(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)

		t.Run("get and list", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				for _, idOrKey := range []string{w.control.ID, w.control.Key} {
					got, err := tx.GetVariant(w.ws.ID, w.exp.ID, idOrKey)
					if err != nil || !cmp.Equal(got, w.control) {
						t.Errorf("GetVariant(%s): %v\n%s", idOrKey, err, cmp.Diff(w.control, got))
					}
				}
				_, err := tx.GetVariant(w.ws.ID, w.exp.ID, "missing")
				wantCode(t, err, experiments.ENOTFOUND)
				list, err := tx.ListVariants(w.ws.ID, w.exp.ID)
				want := []experiments.Variant{w.control, w.treatment}
				if err != nil || !cmp.Equal(list, want) {
					t.Errorf("ListVariants(): %v\n%s", err, cmp.Diff(want, list))
				}
				return nil
			})
		})

		t.Run("empty fields", func(t *testing.T) {
			v := experiments.Variant{ID: newID(), WorkspaceID: w.ws.ID, ExperimentID: w.exp.ID, Key: "bare", Name: "Bare", CreatedAt: at(0)}
			inTx(t, db, func(tx experiments.Tx) error { return tx.InsertVariant(v) })
			v.Levels, v.Hashtags = map[string]string{}, []string{}
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.GetVariant(w.ws.ID, w.exp.ID, "bare")
				if err != nil || !cmp.Equal(got, v) {
					t.Errorf("GetVariant(bare): %v\n%s", err, cmp.Diff(v, got))
				}
				return tx.DeleteVariant(w.ws.ID, v.ID)
			})
		})

		t.Run("conflicts", func(t *testing.T) {
			second := newVariant(w.exp, "second-control", true)
			err := txErr(db, func(tx experiments.Tx) error { return tx.InsertVariant(second) })
			if msg := wantCode(t, err, experiments.ECONFLICT); msg != "this experiment already has a control variant" {
				t.Errorf("second control: message = %q", msg)
			}
			dup := newVariant(w.exp, w.treatment.Key, false)
			err = txErr(db, func(tx experiments.Tx) error { return tx.InsertVariant(dup) })
			if msg := wantCode(t, err, experiments.ECONFLICT); msg != `a variant with key "evening" already exists in this experiment` {
				t.Errorf("duplicate key: message = %q", msg)
			}
			promoted := w.treatment
			promoted.IsControl = true
			err = txErr(db, func(tx experiments.Tx) error { return tx.UpdateVariant(promoted) })
			wantCode(t, err, experiments.ECONFLICT)
			// Another experiment has a control of its own.
			other := seedExperiment(t, db, w.ws.ID, "other")
			seedVariant(t, db, other, "morning", true)
		})

		t.Run("update", func(t *testing.T) {
			// Swap the control: false must be written (Updates(struct) would skip it).
			c, tr := w.control, w.treatment
			c.IsControl, tr.IsControl = false, true
			c.Weight, c.Format, c.PostTime, c.Hashtags = 0, "", nil, nil
			tr.Levels = map[string]string{"post_time": "evening", "format": "video"}
			inTx(t, db, func(tx experiments.Tx) error {
				if err := tx.UpdateVariant(c); err != nil {
					return err
				}
				return tx.UpdateVariant(tr)
			})
			c.Hashtags = []string{}
			inTx(t, db, func(tx experiments.Tx) error {
				list, err := tx.ListVariants(w.ws.ID, w.exp.ID)
				want := []experiments.Variant{c, tr}
				if err != nil || !cmp.Equal(list, want) {
					t.Errorf("after UpdateVariant: %v\n%s", err, cmp.Diff(want, list))
				}
				return nil
			})
		})

		t.Run("isolation", func(t *testing.T) {
			b := seedWorkspace(t, db)
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetVariant(b.ID, w.exp.ID, w.control.ID)
				wantCode(t, err, experiments.ENOTFOUND)
				stolen := w.control
				stolen.WorkspaceID = b.ID
				wantCode(t, tx.UpdateVariant(stolen), experiments.ENOTFOUND)
				wantCode(t, tx.DeleteVariant(b.ID, w.control.ID), experiments.ENOTFOUND)
				list, err := tx.ListVariants(b.ID, w.exp.ID)
				if err != nil || len(list) != 0 {
					t.Errorf("ListVariants(B) = %d variants, %v, want none", len(list), err)
				}
				return nil
			})
		})

		t.Run("delete", func(t *testing.T) {
			p := seedPost(t, db, w.treatment, "1")
			err := txErr(db, func(tx experiments.Tx) error { return tx.DeleteVariant(w.ws.ID, w.treatment.ID) })
			if msg := wantCode(t, err, experiments.ECONFLICT); msg != "the variant has posts; delete them first" {
				t.Errorf("delete variant with posts: message = %q", msg)
			}
			inTx(t, db, func(tx experiments.Tx) error {
				if err := tx.DeletePost(w.ws.ID, p.ID); err != nil {
					return err
				}
				return tx.DeleteVariant(w.ws.ID, w.treatment.ID)
			})
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetVariant(w.ws.ID, w.exp.ID, w.treatment.ID)
				wantCode(t, err, experiments.ENOTFOUND)
				wantCode(t, tx.DeleteVariant(w.ws.ID, w.treatment.ID), experiments.ENOTFOUND)
				return nil
			})
		})
	})
}
