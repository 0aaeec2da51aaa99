package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"postlab/experiments"
)

type workspaceRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	Name      string    `gorm:"column:name"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (workspaceRow) TableName() string { return "workspaces" }

func (r workspaceRow) toDomain() experiments.Workspace {
	return experiments.Workspace{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
}

func (t *tx) CreateWorkspace(ws experiments.Workspace) error {
	row := workspaceRow{ID: ws.ID, Name: ws.Name, CreatedAt: createdAt(ws.CreatedAt)}
	err := t.db.Create(&row).Error
	if err == nil {
		return nil
	}
	switch v := violationOf(err); {
	case v.is(uniqueWorkspaceName):
		return conflict("a workspace named %q already exists", ws.Name)
	case v.kind == uniqueViolation:
		return conflict("a workspace with id %q already exists", ws.ID)
	}
	return fmt.Errorf("insert workspace: %w", err)
}

func (t *tx) WorkspaceByID(id string) (experiments.Workspace, error) {
	var row workspaceRow
	if err := take(t.db.Where("id = ?", id), &row, "workspace", "get workspace"); err != nil {
		return experiments.Workspace{}, err
	}
	return row.toDomain(), nil
}

func (t *tx) WorkspaceByName(name string) (experiments.Workspace, error) {
	var row workspaceRow
	if err := take(t.db.Where("name = ?", name), &row, "workspace", "get workspace"); err != nil {
		return experiments.Workspace{}, err
	}
	return row.toDomain(), nil
}

// ListWorkspaces lists every workspace, oldest first. There are few: no pagination.
func (t *tx) ListWorkspaces() ([]experiments.Workspace, error) {
	var rows []workspaceRow
	if err := t.db.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	out := make([]experiments.Workspace, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

func (t *tx) CountWorkspaces() (int64, error) {
	var n int64
	if err := t.db.Model(&workspaceRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count workspaces: %w", err)
	}
	return n, nil
}

type apiKeyRow struct {
	ID          string     `gorm:"column:id;primaryKey"`
	WorkspaceID string     `gorm:"column:workspace_id"`
	Name        string     `gorm:"column:name"`
	Role        string     `gorm:"column:role"`
	Prefix      string     `gorm:"column:prefix"`
	Hash        string     `gorm:"column:hash"`
	CreatedAt   time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	LastUsedAt  *time.Time `gorm:"column:last_used_at"`
	RevokedAt   *time.Time `gorm:"column:revoked_at"`
}

func (apiKeyRow) TableName() string { return "api_keys" }

func (r apiKeyRow) toDomain() experiments.APIKey {
	return experiments.APIKey{
		ID:          r.ID,
		WorkspaceID: r.WorkspaceID,
		Name:        r.Name,
		Role:        experiments.Role(r.Role),
		Prefix:      r.Prefix,
		Hash:        r.Hash,
		CreatedAt:   r.CreatedAt.UTC(),
		LastUsedAt:  utcPtr(r.LastUsedAt),
		RevokedAt:   utcPtr(r.RevokedAt),
	}
}

func (t *tx) CreateAPIKey(k experiments.APIKey) error {
	row := apiKeyRow{
		ID:          k.ID,
		WorkspaceID: k.WorkspaceID,
		Name:        k.Name,
		Role:        string(k.Role),
		Prefix:      k.Prefix,
		Hash:        k.Hash,
		CreatedAt:   createdAt(k.CreatedAt),
		LastUsedAt:  dbTimePtr(k.LastUsedAt),
		RevokedAt:   dbTimePtr(k.RevokedAt),
	}
	err := t.db.Create(&row).Error
	if err == nil {
		return nil
	}
	switch v := violationOf(err); {
	case v.is(uniqueAPIKeyHash):
		return conflict("an API key with this secret already exists")
	case v.kind == uniqueViolation:
		return conflict("an API key with id %q already exists", k.ID)
	case v.kind == foreignKeyViolation:
		return notFound("workspace")
	case v.kind == checkViolation:
		return invalidValue(v)
	}
	return fmt.Errorf("insert API key: %w", err)
}

// APIKeyByHash finds a key of any workspace: it is how a request finds its workspace.
func (t *tx) APIKeyByHash(hash string) (experiments.APIKey, error) {
	var row apiKeyRow
	if err := take(t.db.Where("hash = ?", hash), &row, "API key", "get API key"); err != nil {
		return experiments.APIKey{}, err
	}
	return row.toDomain(), nil
}

// TouchAPIKey records that the key id was used at at. Like APIKeyByHash it is not scoped: the
// key is the one that authenticated the request.
func (t *tx) TouchAPIKey(id string, at time.Time) error {
	res := t.db.Model(&apiKeyRow{}).Where("id = ?", id).Update("last_used_at", dbTime(at))
	if res.Error != nil {
		return fmt.Errorf("touch API key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("API key")
	}
	return nil
}

func (t *tx) ListAPIKeys(workspaceID string, p experiments.Page) ([]experiments.APIKey, error) {
	var rows []apiKeyRow
	q := paged(t.db.Where("workspace_id = ?", workspaceID), "id", p)
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	keys := make([]experiments.APIKey, len(rows))
	for i, r := range rows {
		keys[i] = r.toDomain()
	}
	return keys, nil
}

func (t *tx) GetAPIKey(workspaceID, id string) (experiments.APIKey, error) {
	var row apiKeyRow
	q := t.db.Where("workspace_id = ? AND id = ?", workspaceID, id)
	if err := take(q, &row, "API key", "get API key"); err != nil {
		return experiments.APIKey{}, err
	}
	return row.toDomain(), nil
}

// RevokeAPIKey revokes the key at at; a key revoked before keeps its first revocation time.
func (t *tx) RevokeAPIKey(workspaceID, id string, at time.Time) error {
	res := t.db.Model(&apiKeyRow{}).
		Where("workspace_id = ? AND id = ?", workspaceID, id).
		Update("revoked_at", gorm.Expr("COALESCE(revoked_at, ?)", dbTime(at)))
	if res.Error != nil {
		return fmt.Errorf("revoke API key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("API key")
	}
	return nil
}
