package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestPosts(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		p1 := seedPost(t, db, w.control, "7290012345678901234")
		p2 := seedPost(t, db, w.treatment, "7290012345678901235")
		p3 := newPost(w.treatment, "7290012345678901236")
		p3.Account, p3.FollowersAtPost, p3.Hashtags, p3.LoggedInDraft = "ifrc_es", nil, nil, true
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p3) })
		p3.Hashtags = []string{}

		t.Run("get", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				for _, want := range []experiments.Post{p1, p2, p3} {
					got, err := tx.GetPost(w.ws.ID, want.ID)
					if err != nil || !cmp.Equal(got, want) {
						t.Errorf("GetPost(%s): %v\n%s", want.ExternalID, err, cmp.Diff(want, got))
					}
				}
				_, err := tx.GetPost(w.ws.ID, newID())
				wantCode(t, err, experiments.ENOTFOUND)
				return nil
			})
		})

		t.Run("posted_at offset", func(t *testing.T) {
			for _, posted := range []string{"2026-09-14T17:05:00Z", "2026-09-14T19:05:00+02:00", "2026-09-14T11:35:00.25-05:30"} {
				when, err := time.Parse(time.RFC3339Nano, posted)
				if err != nil {
					t.Fatal(err)
				}
				p := newPost(w.control, "offset-"+posted)
				p.PostedAt = when
				inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
				inTx(t, db, func(tx experiments.Tx) error {
					got, err := tx.GetPost(w.ws.ID, p.ID)
					if err != nil {
						return err
					}
					if s := got.PostedAt.Format(time.RFC3339Nano); s != posted {
						t.Errorf("posted_at written as %s read back as %s", posted, s)
					}
					refs, err := tx.ResolvePosts(w.ws.ID, []string{p.ID}, nil)
					if err != nil || len(refs) != 1 || refs[0].PostedAt.Format(time.RFC3339Nano) != posted {
						t.Errorf("ResolvePosts() posted_at = %+v, %v, want %s", refs, err, posted)
					}
					return tx.DeletePost(w.ws.ID, p.ID)
				})
			}
		})

		t.Run("list", func(t *testing.T) {
			tests := []struct {
				name string
				f    experiments.PostFilter
				want []experiments.Post
			}{
				{"all", experiments.PostFilter{}, []experiments.Post{p1, p2, p3}},
				{"experiment", experiments.PostFilter{ExperimentID: w.exp.ID}, []experiments.Post{p1, p2, p3}},
				{"variant", experiments.PostFilter{VariantID: w.treatment.ID}, []experiments.Post{p2, p3}},
				{"account", experiments.PostFilter{Account: "ifrc"}, []experiments.Post{p1, p2}},
				{"limit", experiments.PostFilter{Page: experiments.Page{Limit: 1}}, []experiments.Post{p1}},
				{"after", experiments.PostFilter{Page: experiments.Page{After: p1.ID, Limit: 1}}, []experiments.Post{p2}},
				{"other experiment", experiments.PostFilter{ExperimentID: newID()}, []experiments.Post{}},
			}
			for _, tt := range tests {
				inTx(t, db, func(tx experiments.Tx) error {
					got, err := tx.ListPosts(w.ws.ID, tt.f)
					if err != nil || !cmp.Equal(got, tt.want) {
						t.Errorf("ListPosts(%s): %v\n%s", tt.name, err, cmp.Diff(tt.want, got))
					}
					return nil
				})
			}
		})

		t.Run("count", func(t *testing.T) {
			other := seedWorkspace(t, db)
			inTx(t, db, func(tx experiments.Tx) error {
				for _, tt := range []struct {
					variant string
					want    int64
				}{{"", 3}, {w.control.ID, 1}, {w.treatment.ID, 2}, {newID(), 0}} {
					if n, err := tx.CountPosts(w.ws.ID, w.exp.ID, tt.variant); err != nil || n != tt.want {
						t.Errorf("CountPosts(variant %q) = %d, %v, want %d", tt.variant, n, err, tt.want)
					}
				}
				if n, err := tx.CountPosts(other.ID, w.exp.ID, ""); err != nil || n != 0 {
					t.Errorf("CountPosts(other workspace) = %d, %v, want 0", n, err)
				}
				return nil
			})
		})

		t.Run("duplicate external_id", func(t *testing.T) {
			dup := newPost(w.treatment, p1.ExternalID)
			err := txErr(db, func(tx experiments.Tx) error { return tx.InsertPost(dup) })
			if msg := wantCode(t, err, experiments.ECONFLICT); msg != "a post with platform tiktok and external_id 7290012345678901234 already exists" {
				t.Errorf("duplicate external_id: message = %q", msg)
			}
			// The same id on another platform is another post.
			dup.Platform = "instagram"
			inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(dup) })
			inTx(t, db, func(tx experiments.Tx) error { return tx.DeletePost(w.ws.ID, dup.ID) })
		})

		t.Run("update", func(t *testing.T) {
			u := p3
			u.VariantID, u.VariantKey = w.control.ID, w.control.Key
			u.Caption, u.URL, u.LoggedInDraft = "", "", false
			u.FollowersAtPost = ptr(int64(0))
			u.PostedAt = at(3).In(time.FixedZone("", -3*3600))
			inTx(t, db, func(tx experiments.Tx) error { return tx.UpdatePost(u) })
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.GetPost(w.ws.ID, u.ID)
				if err != nil || !cmp.Equal(got, u) {
					t.Errorf("after UpdatePost: %v\n%s", err, cmp.Diff(u, got))
				}
				if _, off := got.PostedAt.Zone(); off != -3*3600 {
					t.Errorf("posted_at offset after update = %d, want %d", off, -3*3600)
				}
				return nil
			})
			clash := u
			clash.ExternalID = p1.ExternalID
			wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.UpdatePost(clash) }), experiments.ECONFLICT)
			p3 = u
		})

		t.Run("isolation", func(t *testing.T) {
			b := seedWorkspace(t, db)
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetPost(b.ID, p1.ID)
				wantCode(t, err, experiments.ENOTFOUND)
				stolen := p1
				stolen.WorkspaceID = b.ID
				wantCode(t, tx.UpdatePost(stolen), experiments.ENOTFOUND)
				wantCode(t, tx.DeletePost(b.ID, p1.ID), experiments.ENOTFOUND)
				list, err := tx.ListPosts(b.ID, experiments.PostFilter{ExperimentID: w.exp.ID})
				if err != nil || len(list) != 0 {
					t.Errorf("ListPosts(B) = %d posts, %v, want none", len(list), err)
				}
				return nil
			})
		})

		t.Run("delete", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				return upsert(tx, []experiments.Snapshot{{PostID: p2.ID, WorkspaceID: w.ws.ID, ObservedAt: at(1), Metrics: experiments.Metrics{Views: ptr(int64(1))}}})
			})
			inTx(t, db, func(tx experiments.Tx) error { return tx.DeletePost(w.ws.ID, p2.ID) })
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetPost(w.ws.ID, p2.ID)
				wantCode(t, err, experiments.ENOTFOUND)
				wantCode(t, tx.DeletePost(w.ws.ID, p2.ID), experiments.ENOTFOUND)
				if snaps, err := tx.ListSnapshots(w.ws.ID, p2.ID, experiments.Page{}); err != nil || len(snaps) != 0 {
					t.Errorf("snapshots of a deleted post = %d, %v, want none", len(snaps), err)
				}
				return nil
			})
		})
	})
}

func TestResolvePosts(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		w := seedWorld(t, db)
		tiktok := seedPost(t, db, w.control, "1")
		insta := newPost(w.treatment, "1")
		insta.Platform = "instagram"
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(insta) })
		third := seedPost(t, db, w.treatment, "3")
		b := seedWorld(t, db)
		foreign := seedPost(t, db, b.control, "4")

		ref := func(p experiments.Post) experiments.PostRef {
			return experiments.PostRef{
				ID: p.ID, ExperimentID: p.ExperimentID, ExperimentStatus: experiments.StatusDraft,
				Platform: p.Platform, ExternalID: p.ExternalID, PostedAt: p.PostedAt,
			}
		}
		tests := []struct {
			name string
			ids  []string
			refs []experiments.ExternalRef
			want []experiments.PostRef
		}{
			{"nothing", nil, nil, []experiments.PostRef{}},
			{"ids", []string{third.ID, tiktok.ID, newID(), foreign.ID}, nil, []experiments.PostRef{ref(tiktok), ref(third)}},
			{"refs", nil, []experiments.ExternalRef{
				{Platform: "instagram", ExternalID: "1"}, {Platform: "tiktok", ExternalID: "1"},
				{Platform: "tiktok", ExternalID: "3"}, {Platform: "tiktok", ExternalID: "4"}, {Platform: "youtube", ExternalID: "1"},
			}, []experiments.PostRef{ref(tiktok), ref(insta), ref(third)}},
			{"both, once each", []string{tiktok.ID, tiktok.ID}, []experiments.ExternalRef{
				{Platform: "tiktok", ExternalID: "1"}, {Platform: "tiktok", ExternalID: "1"},
			}, []experiments.PostRef{ref(tiktok)}},
		}
		for _, tt := range tests {
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.ResolvePosts(w.ws.ID, tt.ids, tt.refs)
				if err != nil || !cmp.Equal(got, tt.want) {
					t.Errorf("ResolvePosts(%s): %v\n%s", tt.name, err, cmp.Diff(tt.want, got))
				}
				return nil
			})
		}

		// More than one IN list's worth of ids and refs.
		many := seedPosts(t, db, w.control, 1200)
		var ids []string
		var refs []experiments.ExternalRef
		for _, p := range many {
			ids = append(ids, p.ID)
			refs = append(refs, experiments.ExternalRef{Platform: p.Platform, ExternalID: p.ExternalID})
		}
		inTx(t, db, func(tx experiments.Tx) error {
			for _, q := range []struct {
				ids  []string
				refs []experiments.ExternalRef
			}{{ids, nil}, {nil, refs}} {
				got, err := tx.ResolvePosts(w.ws.ID, q.ids, q.refs)
				if err != nil || len(got) != len(many) || got[0].ID != many[0].ID || got[len(got)-1].ID != many[len(many)-1].ID {
					t.Errorf("ResolvePosts(%d ids, %d refs) = %d posts, %v, want %d", len(q.ids), len(q.refs), len(got), err, len(many))
				}
			}
			return nil
		})

		// The experiment's status comes along.
		running := w.exp
		running.Status = experiments.StatusRunning
		inTx(t, db, func(tx experiments.Tx) error { return tx.UpdateExperiment(running) })
		inTx(t, db, func(tx experiments.Tx) error {
			got, err := tx.ResolvePosts(w.ws.ID, []string{tiktok.ID}, nil)
			if err != nil || len(got) != 1 || got[0].ExperimentStatus != experiments.StatusRunning {
				t.Errorf("ResolvePosts() = %+v, %v, want status running", got, err)
			}
			return nil
		})
	})
}
