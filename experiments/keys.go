package experiments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// keyPrefix marks postlab's API keys so that they are recognisable in a leaked config file.
const keyPrefix = "pl_"

// newSecret returns a fresh API key secret and the hash that is stored in its place.
func newSecret() (secret, hash string) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no randomness: nothing sensible to do
	}
	secret = keyPrefix + hex.EncodeToString(b)
	return secret, HashKey(secret)
}

// HashKey returns the stored form of an API key secret.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// touchInterval limits how often a key's last_used_at is written.
const touchInterval = time.Minute

// Authenticate finds the live key with this secret.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, keyPrefix) {
		return Principal{}, Errorf(EUNAUTHORIZED, "the API key is not valid")
	}
	var p Principal
	err := s.tx(ctx, func(tx Tx) error {
		k, err := tx.APIKeyByHash(HashKey(secret))
		if IsNotFound(err) || (err == nil && k.RevokedAt != nil) {
			return Errorf(EUNAUTHORIZED, "the API key is not valid or has been revoked")
		}
		if err != nil {
			return err
		}
		p = Principal{WorkspaceID: k.WorkspaceID, KeyID: k.ID, Role: k.Role}
		now := s.Now()
		if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > touchInterval {
			return tx.TouchAPIKey(k.ID, now)
		}
		return nil
	})
	return p, err
}

// CreateWorkspace creates a workspace with its first admin key, whose secret is returned once.
func (s *Service) CreateWorkspace(ctx context.Context, name string) (Workspace, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || tooLong(name, 200) {
		return Workspace{}, "", Invalid(FieldError{"name", "must be 1 to 200 characters"})
	}
	ws := Workspace{ID: NewID(), Name: name, CreatedAt: s.Now()}
	var secret string
	err := s.tx(ctx, func(tx Tx) error {
		if err := tx.CreateWorkspace(ws); err != nil {
			return err
		}
		var err error
		_, secret, err = s.insertKey(tx, ws.ID, "admin", RoleAdmin)
		return err
	})
	return ws, secret, err
}

// Bootstrap creates a first workspace and admin key when the database has no workspace;
// created is false (and nothing is written) otherwise. Instances starting together on an empty
// database may all find it empty: the unique workspace name lets one of them create it, and
// the others, refused with a conflict, find that it exists and go on without a key of their own.
func (s *Service) Bootstrap(ctx context.Context, name string) (ws Workspace, secret string, created bool, err error) {
	var n int64
	count := func(tx Tx) error {
		n, err = tx.CountWorkspaces()
		return err
	}
	if err = s.tx(ctx, count); err != nil || n > 0 {
		return Workspace{}, "", false, err
	}
	ws, secret, err = s.CreateWorkspace(ctx, name)
	if ErrorCode(err) != ECONFLICT {
		return ws, secret, err == nil, err
	}
	if err = s.tx(ctx, count); err != nil {
		return Workspace{}, "", false, err
	}
	if n == 0 {
		return Workspace{}, "", false, Errorf(EINTERNAL, "bootstrap: creating workspace %q conflicted, yet there is no workspace", name)
	}
	return Workspace{}, "", false, nil
}

// Workspaces lists every workspace, oldest first (for the command line, which acts for the
// server's operator rather than for a key).
func (s *Service) Workspaces(ctx context.Context) ([]Workspace, error) {
	var out []Workspace
	err := s.tx(ctx, func(tx Tx) (err error) {
		out, err = tx.ListWorkspaces()
		return err
	})
	return out, err
}

// OperatorPrincipal acts as an admin of the workspace of that name, without a key: the
// command line on the server's machine, which can read the database anyway.
func (s *Service) OperatorPrincipal(ctx context.Context, workspace string) (Principal, error) {
	var p Principal
	err := s.tx(ctx, func(tx Tx) error {
		ws, err := tx.WorkspaceByName(workspace)
		if err != nil {
			return err
		}
		p = Principal{WorkspaceID: ws.ID, Role: RoleAdmin}
		return nil
	})
	return p, err
}

// Workspace returns the principal's workspace.
func (s *Service) Workspace(ctx context.Context, p Principal) (Workspace, error) {
	var ws Workspace
	err := s.tx(ctx, func(tx Tx) (err error) {
		ws, err = tx.WorkspaceByID(p.WorkspaceID)
		return err
	})
	return ws, err
}

// KeyInput is the body of POST /v1/keys.
type KeyInput struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

func (in KeyInput) validate() error {
	var f FieldErrors
	if strings.TrimSpace(in.Name) == "" || tooLong(in.Name, 200) {
		f.Add("name", "must be 1 to 200 characters")
	}
	if !slices.Contains(Roles, in.Role) {
		f.Add("role", "must be one of viewer, editor, admin")
	}
	return f.Err()
}

// CreateKey creates an API key in the principal's workspace; its secret is returned once.
func (s *Service) CreateKey(ctx context.Context, p Principal, in KeyInput) (APIKey, string, error) {
	if err := in.validate(); err != nil {
		return APIKey{}, "", err
	}
	var k APIKey
	var secret string
	err := s.tx(ctx, func(tx Tx) (err error) {
		k, secret, err = s.insertKey(tx, p.WorkspaceID, strings.TrimSpace(in.Name), in.Role)
		return err
	})
	return k, secret, err
}

// CreateKeyForWorkspace creates a key in the workspace of that name (for the command line).
func (s *Service) CreateKeyForWorkspace(ctx context.Context, workspace string, in KeyInput) (APIKey, string, error) {
	if err := in.validate(); err != nil {
		return APIKey{}, "", err
	}
	var k APIKey
	var secret string
	err := s.tx(ctx, func(tx Tx) error {
		ws, err := tx.WorkspaceByName(workspace)
		if err != nil {
			return err
		}
		k, secret, err = s.insertKey(tx, ws.ID, in.Name, in.Role)
		return err
	})
	return k, secret, err
}

func (s *Service) insertKey(tx Tx, workspaceID, name string, role Role) (APIKey, string, error) {
	secret, hash := newSecret()
	k := APIKey{ID: NewID(), WorkspaceID: workspaceID, Name: name, Role: role,
		Prefix: secret[:len(keyPrefix)+6], Hash: hash, CreatedAt: s.Now()}
	if err := tx.CreateAPIKey(k); err != nil {
		return APIKey{}, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// ListKeys lists the workspace's keys, revoked ones included.
func (s *Service) ListKeys(ctx context.Context, p Principal, page Page) ([]APIKey, error) {
	var keys []APIKey
	err := s.tx(ctx, func(tx Tx) (err error) {
		keys, err = tx.ListAPIKeys(p.WorkspaceID, page)
		return err
	})
	return keys, err
}

// RevokeKey revokes a key of the workspace. A key cannot revoke itself, so that a workspace
// is never left without the admin key that is acting.
func (s *Service) RevokeKey(ctx context.Context, p Principal, id string) error {
	if id == p.KeyID {
		return Errorf(ECONFLICT, "a key cannot revoke itself; use another admin key")
	}
	return s.tx(ctx, func(tx Tx) error {
		k, err := tx.GetAPIKey(p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		return tx.RevokeAPIKey(p.WorkspaceID, id, s.Now())
	})
}
