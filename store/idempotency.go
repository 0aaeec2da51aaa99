package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"postlab/experiments"
)

type idempotencyRow struct {
	Scope       string    `gorm:"column:scope;primaryKey"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	APIKeyID    string    `gorm:"column:api_key_id"`
	Method      string    `gorm:"column:method"`
	Path        string    `gorm:"column:path"`
	Query       string    `gorm:"column:query"`
	Key         string    `gorm:"column:key"`
	Fingerprint string    `gorm:"column:fingerprint"`
	Status      int       `gorm:"column:status"`
	ContentType string    `gorm:"column:content_type"`
	Headers     string    `gorm:"column:headers"` // JSON object
	Body        []byte    `gorm:"column:body"`
	Redacted    bool      `gorm:"column:redacted"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

func fromIdempotency(rec experiments.IdempotencyRecord) (idempotencyRow, error) {
	row := idempotencyRow{
		Scope:       rec.Scope,
		WorkspaceID: rec.WorkspaceID,
		APIKeyID:    rec.APIKeyID,
		Method:      rec.Method,
		Path:        rec.Path,
		Query:       rec.Query,
		Key:         rec.Key,
		Fingerprint: rec.Fingerprint,
		Status:      rec.Status,
		ContentType: rec.ContentType,
		Body:        rec.Body,
		Redacted:    rec.Redacted,
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
		Scope:       r.Scope,
		WorkspaceID: r.WorkspaceID,
		APIKeyID:    r.APIKeyID,
		Method:      r.Method,
		Path:        r.Path,
		Query:       r.Query,
		Key:         r.Key,
		Fingerprint: r.Fingerprint,
		Status:      r.Status,
		ContentType: r.ContentType,
		Body:        r.Body,
		Redacted:    r.Redacted,
		Headers:     map[string]string{},
		CreatedAt:   r.CreatedAt.UTC(),
	}
	if err := decodeJSON(&r.Headers, &rec.Headers); err != nil {
		return rec, fmt.Errorf("decode headers of idempotency key: %w", err)
	}
	return rec, nil
}

// idempotencyLockClass is the first half of the two-int advisory lock postlab takes for an
// idempotency scope on PostgreSQL; the second half is 32 bits of the scope's hash. Two-int
// advisory locks never collide with the one-bigint lock migrations take.
const idempotencyLockClass = 0x1de4

// LockIdempotency holds scope until the transaction ends. On PostgreSQL it is a
// transaction-level advisory lock, tried without waiting: another transaction holding it is
// a request in flight, and a transaction that dies (a crash, a cancelled request) lets go of
// it with everything else. On SQLite every transaction begins IMMEDIATE and so already holds
// the database's only write lock: no other transaction can hold the scope meanwhile.
func (t *tx) LockIdempotency(scope string) (bool, error) {
	if t.dialect != DialectPostgres {
		return true, nil
	}
	sum, err := hex.DecodeString(scope)
	if err != nil || len(sum) < 4 {
		return false, fmt.Errorf("lock idempotency key: scope %q is not a hex hash", scope)
	}
	var held bool
	id := int32(binary.BigEndian.Uint32(sum[:4]))
	if err := t.db.Raw("SELECT pg_try_advisory_xact_lock(?, ?)", idempotencyLockClass, id).Scan(&held).Error; err != nil {
		return false, fmt.Errorf("lock idempotency key: %w", err)
	}
	return held, nil
}

// IdempotencyRecord returns the answer stored under scope no earlier than since, or nil.
func (t *tx) IdempotencyRecord(scope string, since time.Time) (*experiments.IdempotencyRecord, error) {
	var row idempotencyRow
	err := t.db.Where("scope = ? AND created_at >= ?", scope, dbTime(since)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	rec, err := row.toDomain()
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// SaveIdempotency stores an answer. A record already under the scope can only be an expired
// one (IdempotencyRecord would have returned it otherwise, under the lock): it is replaced.
func (t *tx) SaveIdempotency(rec experiments.IdempotencyRecord) error {
	row, err := fromIdempotency(rec)
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	res := t.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "scope"}}, UpdateAll: true}).Create(&row)
	if res.Error != nil {
		if violationOf(res.Error).kind == foreignKeyViolation {
			return notFound("workspace")
		}
		return fmt.Errorf("save idempotency key: %w", res.Error)
	}
	return nil
}

// PurgeIdempotency deletes the records created before before.
func (t *tx) PurgeIdempotency(before time.Time) (int64, error) {
	res := t.db.Where("created_at < ?", dbTime(before)).Delete(&idempotencyRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
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
