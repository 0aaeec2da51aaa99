package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"postlab/experiments"
)

type idempotencyRow struct {
	WorkspaceID string    `gorm:"column:workspace_id;primaryKey"`
	Method      string    `gorm:"column:method;primaryKey"`
	Path        string    `gorm:"column:path;primaryKey"`
	Key         string    `gorm:"column:key;primaryKey"`
	RequestHash string    `gorm:"column:request_hash"`
	Status      int       `gorm:"column:status"` // 0 while the first request is in flight
	ContentType string    `gorm:"column:content_type"`
	Headers     string    `gorm:"column:headers"` // JSON object
	Body        []byte    `gorm:"column:body"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

func fromIdempotency(rec experiments.IdempotencyRecord) (idempotencyRow, error) {
	row := idempotencyRow{
		WorkspaceID: rec.WorkspaceID,
		Method:      rec.Method,
		Path:        rec.Path,
		Key:         rec.Key,
		RequestHash: rec.RequestHash,
		Status:      rec.Status,
		ContentType: rec.ContentType,
		Body:        rec.Body,
		CreatedAt:   createdAt(rec.CreatedAt),
	}
	var err error
	if row.Headers, err = encodeJSON(rec.Headers, "{}"); err != nil {
		return row, fmt.Errorf("encode headers: %w", err)
	}
	return row, nil
}

func (r idempotencyRow) toDomain() (experiments.IdempotencyRecord, error) {
	rec := experiments.IdempotencyRecord{
		WorkspaceID: r.WorkspaceID,
		Key:         r.Key,
		Method:      r.Method,
		Path:        r.Path,
		RequestHash: r.RequestHash,
		Status:      r.Status,
		ContentType: r.ContentType,
		Body:        r.Body,
		Headers:     map[string]string{},
		CreatedAt:   r.CreatedAt.UTC(),
	}
	if err := decodeJSON(&r.Headers, &rec.Headers); err != nil {
		return rec, fmt.Errorf("decode headers of idempotency key: %w", err)
	}
	return rec, nil
}

// idempotencyScope is the WHERE condition naming rec's row.
func idempotencyScope(rec experiments.IdempotencyRecord) (string, []any) {
	return "workspace_id = ? AND method = ? AND path = ? AND key = ?",
		[]any{rec.WorkspaceID, rec.Method, rec.Path, rec.Key}
}

// ClaimIdempotency stores rec as in flight and returns (nil, nil), or returns the record already
// stored under the same workspace, method, path and key. On PostgreSQL a claim racing another
// transaction's uncommitted claim waits for it to end.
func (t *tx) ClaimIdempotency(rec experiments.IdempotencyRecord) (*experiments.IdempotencyRecord, error) {
	row, err := fromIdempotency(rec)
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	res := t.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		if violationOf(res.Error).kind == foreignKeyViolation {
			return nil, notFound("workspace")
		}
		return nil, fmt.Errorf("claim idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var stored idempotencyRow
	where, args := idempotencyScope(rec)
	if err := take(t.db.Where(where, args...), &stored, "idempotency key", "read idempotency key"); err != nil {
		return nil, err
	}
	got, err := stored.toDomain()
	if err != nil {
		return nil, err
	}
	return &got, nil
}

// CompleteIdempotency stores the answer to the claimed request: status, content type, headers
// and body.
func (t *tx) CompleteIdempotency(rec experiments.IdempotencyRecord) error {
	row, err := fromIdempotency(rec)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	where, args := idempotencyScope(rec)
	res := t.db.Model(&idempotencyRow{}).Where(where, args...).Updates(map[string]any{
		"status":       row.Status,
		"content_type": row.ContentType,
		"headers":      row.Headers,
		"body":         row.Body,
	})
	if res.Error != nil {
		return fmt.Errorf("complete idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("idempotency key")
	}
	return nil
}

// ReleaseIdempotency forgets a claim that is still in flight; a completed answer stays.
func (t *tx) ReleaseIdempotency(rec experiments.IdempotencyRecord) error {
	where, args := idempotencyScope(rec)
	res := t.db.Where(where, args...).Where("status = 0").Delete(&idempotencyRow{})
	if res.Error != nil {
		return fmt.Errorf("release idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("idempotency key")
	}
	return nil
}

type secretRow struct {
	Name  string `gorm:"column:name;primaryKey"`
	Value string `gorm:"column:value"` // hex
}

func (secretRow) TableName() string { return "secrets" }

// secretSize is the length in bytes of a new secret.
const secretSize = 32

// Secret returns the secret of that name, creating a random one on first use. Every instance
// on one database gets the same: the first insert wins and the others read it.
func (t *tx) Secret(name string) ([]byte, error) {
	fresh := make([]byte, secretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	err := t.db.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&secretRow{Name: name, Value: hex.EncodeToString(fresh)}).Error
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var row secretRow
	if err := take(t.db.Where("name = ?", name), &row, "secret", "secret "+name); err != nil {
		return nil, err
	}
	value, err := hex.DecodeString(row.Value)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return value, nil
}
