package store

import (
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"postlab/experiments"
)

type variantRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	WorkspaceID  string    `gorm:"column:workspace_id"`
	ExperimentID string    `gorm:"column:experiment_id"`
	Key          string    `gorm:"column:key"`
	Name         string    `gorm:"column:name"`
	IsControl    bool      `gorm:"column:is_control"`
	Levels       string    `gorm:"column:levels"` // JSON object
	Weight       float64   `gorm:"column:weight"`
	Hashtags     string    `gorm:"column:hashtags"` // JSON array
	Format       string    `gorm:"column:format"`
	PostTime     *string   `gorm:"column:post_time"` // JSON PostTime
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (variantRow) TableName() string { return "variants" }

func fromVariant(v experiments.Variant) (variantRow, error) {
	row := variantRow{
		ID:           v.ID,
		WorkspaceID:  v.WorkspaceID,
		ExperimentID: v.ExperimentID,
		Key:          v.Key,
		Name:         v.Name,
		IsControl:    v.IsControl,
		Weight:       v.Weight,
		Format:       v.Format,
		CreatedAt:    createdAt(v.CreatedAt),
	}
	var err error
	if row.Levels, err = encodeJSON(v.Levels, "{}"); err != nil {
		return row, fmt.Errorf("encode levels: %w", err)
	}
	if row.Hashtags, err = encodeJSON(v.Hashtags, "[]"); err != nil {
		return row, fmt.Errorf("encode hashtags: %w", err)
	}
	if row.PostTime, err = encodeNullJSON(v.PostTime); err != nil {
		return row, fmt.Errorf("encode post_time: %w", err)
	}
	return row, nil
}

func (r variantRow) toDomain() (experiments.Variant, error) {
	v := experiments.Variant{
		ID:           r.ID,
		WorkspaceID:  r.WorkspaceID,
		ExperimentID: r.ExperimentID,
		Key:          r.Key,
		Name:         r.Name,
		IsControl:    r.IsControl,
		Levels:       map[string]string{},
		Weight:       r.Weight,
		Hashtags:     []string{},
		Format:       r.Format,
		CreatedAt:    r.CreatedAt.UTC(),
	}
	if err := decodeJSON(&r.Levels, &v.Levels); err != nil {
		return v, fmt.Errorf("decode levels of variant %s: %w", r.ID, err)
	}
	if err := decodeJSON(&r.Hashtags, &v.Hashtags); err != nil {
		return v, fmt.Errorf("decode hashtags of variant %s: %w", r.ID, err)
	}
	if r.PostTime != nil {
		v.PostTime = new(experiments.PostTime)
		if err := decodeJSON(r.PostTime, v.PostTime); err != nil {
			return v, fmt.Errorf("decode post_time of variant %s: %w", r.ID, err)
		}
	}
	return v, nil
}

// mutable lists the columns UpdateVariant writes: all but the id, the workspace, the
// experiment and the creation time.
func (r variantRow) mutable() map[string]any {
	return map[string]any{
		"key":        r.Key,
		"name":       r.Name,
		"is_control": r.IsControl,
		"levels":     r.Levels,
		"weight":     r.Weight,
		"hashtags":   r.Hashtags,
		"format":     r.Format,
		"post_time":  r.PostTime,
	}
}

// variantError turns a failed write of variant v into a domain error where it is one.
func variantError(err error, v experiments.Variant, op string) error {
	switch vi := violationOf(err); {
	case vi.is(uniqueControl):
		return conflict("this experiment already has a control variant")
	case vi.is(uniqueVariantKey):
		return conflict("a variant with key %q already exists in this experiment", v.Key)
	case vi.kind == uniqueViolation:
		return conflict("a variant with id %q already exists", v.ID)
	case vi.kind == foreignKeyViolation:
		return notFound("experiment")
	case vi.kind == checkViolation:
		return invalidValue(vi)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (t *tx) InsertVariant(v experiments.Variant) error {
	row, err := fromVariant(v)
	if err != nil {
		return fmt.Errorf("insert variant: %w", err)
	}
	if err := t.db.Create(&row).Error; err != nil {
		return variantError(err, v, "insert variant")
	}
	return nil
}

// GetVariant finds the variant of the experiment whose id, or else whose key, is idOrKey.
func (t *tx) GetVariant(workspaceID, experimentID, idOrKey string) (experiments.Variant, error) {
	q := t.db.Where("workspace_id = ? AND experiment_id = ? AND (id = ? OR key = ?)",
		workspaceID, experimentID, idOrKey, idOrKey).
		Order(clause.OrderBy{Expression: clause.Expr{
			SQL:                "CASE WHEN id = ? THEN 0 ELSE 1 END",
			Vars:               []any{idOrKey},
			WithoutParentheses: true,
		}})
	var row variantRow
	if err := take(q, &row, "variant", "get variant"); err != nil {
		return experiments.Variant{}, err
	}
	return row.toDomain()
}

// ListVariants lists every variant of the experiment, oldest first.
func (t *tx) ListVariants(workspaceID, experimentID string) ([]experiments.Variant, error) {
	var rows []variantRow
	err := t.db.Where("workspace_id = ? AND experiment_id = ?", workspaceID, experimentID).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list variants: %w", err)
	}
	list := make([]experiments.Variant, len(rows))
	for i, r := range rows {
		v, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		list[i] = v
	}
	return list, nil
}

func (t *tx) UpdateVariant(v experiments.Variant) error {
	row, err := fromVariant(v)
	if err != nil {
		return fmt.Errorf("update variant: %w", err)
	}
	res := t.db.Model(&variantRow{}).
		Where("workspace_id = ? AND id = ?", v.WorkspaceID, v.ID).
		Updates(row.mutable())
	if res.Error != nil {
		return variantError(res.Error, v, "update variant")
	}
	if res.RowsAffected == 0 {
		return notFound("variant")
	}
	return nil
}

// DeleteVariant deletes a variant that no post is assigned to.
func (t *tx) DeleteVariant(workspaceID, id string) error {
	res := t.db.Where("workspace_id = ? AND id = ?", workspaceID, id).Delete(&variantRow{})
	if res.Error != nil {
		if violationOf(res.Error).kind == foreignKeyViolation {
			return conflict("the variant has posts; delete them first")
		}
		return fmt.Errorf("delete variant: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("variant")
	}
	return nil
}

// CountPosts counts the posts of the experiment, or of one of its variants when variantID is
// not empty.
func (t *tx) CountPosts(workspaceID, experimentID, variantID string) (int64, error) {
	q := t.db.Model(&postRow{}).Where("workspace_id = ? AND experiment_id = ?", workspaceID, experimentID)
	if variantID != "" {
		q = q.Where("variant_id = ?", variantID)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count posts: %w", err)
	}
	return n, nil
}
