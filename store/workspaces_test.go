package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

func TestWorkspaces(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		inTx(t, db, func(tx experiments.Tx) error {
			got, err := tx.WorkspaceByID(ws.ID)
			if err != nil || !cmp.Equal(got, ws) {
				t.Errorf("WorkspaceByID() = %+v, %v, want %+v", got, err, ws)
			}
			got, err = tx.WorkspaceByName(ws.Name)
			if err != nil || !cmp.Equal(got, ws) {
				t.Errorf("WorkspaceByName() = %+v, %v, want %+v", got, err, ws)
			}
			_, err = tx.WorkspaceByID(newID())
			wantCode(t, err, experiments.ENOTFOUND)
			_, err = tx.WorkspaceByName("nobody")
			wantCode(t, err, experiments.ENOTFOUND)
			return nil
		})

		err := txErr(db, func(tx experiments.Tx) error {
			return tx.CreateWorkspace(experiments.Workspace{ID: newID(), Name: ws.Name})
		})
		if msg := wantCode(t, err, experiments.ECONFLICT); msg != `a workspace named "`+ws.Name+`" already exists` {
			t.Errorf("duplicate name: message = %q", msg)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		a, b := seedWorkspace(t, db), seedWorkspace(t, db)
		keys := make([]experiments.APIKey, 3)
		for i := range keys {
			keys[i] = experiments.APIKey{
				ID: newID(), WorkspaceID: a.ID, Name: "ci", Role: experiments.RoleEditor,
				Prefix: "pl_abc", Hash: "hash-" + newID(), CreatedAt: at(i),
			}
			inTx(t, db, func(tx experiments.Tx) error { return tx.CreateAPIKey(keys[i]) })
		}
		other := experiments.APIKey{ID: newID(), WorkspaceID: b.ID, Name: "b", Role: experiments.RoleAdmin, Prefix: "pl_b", Hash: "hash-b"}
		inTx(t, db, func(tx experiments.Tx) error { return tx.CreateAPIKey(other) })

		inTx(t, db, func(tx experiments.Tx) error {
			got, err := tx.APIKeyByHash(keys[1].Hash)
			if err != nil || !cmp.Equal(got, keys[1]) {
				t.Errorf("APIKeyByHash() = %+v, %v, want %+v", got, err, keys[1])
			}
			if got, err := tx.GetAPIKey(a.ID, keys[2].ID); err != nil || !cmp.Equal(got, keys[2]) {
				t.Errorf("GetAPIKey() = %+v, %v, want %+v", got, err, keys[2])
			}
			list, err := tx.ListAPIKeys(a.ID, experiments.Page{Limit: 2})
			if err != nil || !cmp.Equal(list, keys[:2]) {
				t.Errorf("ListAPIKeys(limit 2) = %+v, %v, want the first two", list, err)
			}
			list, err = tx.ListAPIKeys(a.ID, experiments.Page{After: keys[1].ID})
			if err != nil || !cmp.Equal(list, keys[2:]) {
				t.Errorf("ListAPIKeys(after second) = %+v, %v, want the third", list, err)
			}
			return nil
		})

		inTx(t, db, func(tx experiments.Tx) error {
			if err := tx.TouchAPIKey(keys[0].ID, at(5)); err != nil {
				t.Errorf("TouchAPIKey() = %v", err)
			}
			if err := tx.RevokeAPIKey(a.ID, keys[0].ID, at(6)); err != nil {
				t.Errorf("RevokeAPIKey() = %v", err)
			}
			if err := tx.RevokeAPIKey(a.ID, keys[0].ID, at(7)); err != nil {
				t.Errorf("RevokeAPIKey() again = %v", err)
			}
			got, err := tx.GetAPIKey(a.ID, keys[0].ID)
			if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at(5)) || got.RevokedAt == nil || !got.RevokedAt.Equal(at(6)) {
				t.Errorf("after touch and revoke: %+v, %v, want last used at(5), revoked at(6)", got, err)
			}
			wantCode(t, tx.TouchAPIKey(newID(), at(5)), experiments.ENOTFOUND)
			return nil
		})

		t.Run("isolation", func(t *testing.T) {
			inTx(t, db, func(tx experiments.Tx) error {
				_, err := tx.GetAPIKey(b.ID, keys[0].ID)
				wantCode(t, err, experiments.ENOTFOUND)
				wantCode(t, tx.RevokeAPIKey(b.ID, keys[1].ID, at(1)), experiments.ENOTFOUND)
				list, err := tx.ListAPIKeys(b.ID, experiments.Page{})
				if err != nil || len(list) != 1 || list[0].ID != other.ID {
					t.Errorf("ListAPIKeys(B) = %+v, %v, want only B's key", list, err)
				}
				return nil
			})
		})

		t.Run("errors", func(t *testing.T) {
			dup := keys[0]
			dup.ID = newID()
			wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.CreateAPIKey(dup) }), experiments.ECONFLICT)
			bad := experiments.APIKey{ID: newID(), WorkspaceID: a.ID, Role: "owner", Hash: newID()}
			wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.CreateAPIKey(bad) }), experiments.EINVALID)
			orphan := experiments.APIKey{ID: newID(), WorkspaceID: newID(), Role: experiments.RoleViewer, Hash: newID()}
			wantCode(t, txErr(db, func(tx experiments.Tx) error { return tx.CreateAPIKey(orphan) }), experiments.ENOTFOUND)
		})
	})
}

// Instances starting together on an empty database bootstrap it once: one creates the first
// workspace and its admin key, the others find it made and carry on without an error.
func TestBootstrapConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		svc := experiments.NewService(db, nil, nil, nil)
		const instances = 8
		var wg sync.WaitGroup
		created := make(chan string, instances)
		errs := make(chan error, instances)
		start := make(chan struct{})
		for range instances {
			wg.Go(func() {
				<-start
				_, secret, ok, err := svc.Bootstrap(context.Background(), "default")
				if err != nil {
					errs <- err
				}
				if ok {
					created <- secret
				}
			})
		}
		close(start)
		wg.Wait()
		close(created)
		close(errs)
		for err := range errs {
			t.Errorf("Bootstrap() = %v, want nil for every instance", err)
		}
		var secrets []string
		for s := range created {
			secrets = append(secrets, s)
		}
		if len(secrets) != 1 || secrets[0] == "" {
			t.Fatalf("%d instances created the workspace (%d keys), want exactly 1", len(secrets), len(secrets))
		}
		if _, err := svc.Authenticate(context.Background(), secrets[0]); err != nil {
			t.Errorf("the one admin key printed does not work: %v", err)
		}
		inTx(t, db, func(tx experiments.Tx) error {
			n, err := tx.CountWorkspaces()
			if n != 1 {
				t.Errorf("workspaces after concurrent bootstrap = %d, want 1", n)
			}
			return err
		})
	})
}
