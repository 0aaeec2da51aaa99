package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"postlab/experiments"
)

type postRow struct {
	ID              string    `gorm:"column:id;primaryKey"`
	WorkspaceID     string    `gorm:"column:workspace_id"`
	ExperimentID    string    `gorm:"column:experiment_id"`
	VariantID       string    `gorm:"column:variant_id"`
	Platform        string    `gorm:"column:platform"`
	Account         string    `gorm:"column:account"`
	ExternalID      string    `gorm:"column:external_id"`
	URL             string    `gorm:"column:url"`
	PostedAt        time.Time `gorm:"column:posted_at"`     // UTC
	PostedOffset    int       `gorm:"column:posted_offset"` // seconds east of UTC, as logged
	Timezone        string    `gorm:"column:timezone"`
	Country         string    `gorm:"column:country"`
	Language        string    `gorm:"column:language"`
	Caption         string    `gorm:"column:caption"`
	Hashtags        string    `gorm:"column:hashtags"` // JSON array
	FollowersAtPost *int64    `gorm:"column:followers_at_post"`
	LoggedInDraft   bool      `gorm:"column:logged_in_draft"`
	CreatedAt       time.Time `gorm:"column:created_at;autoCreateTime:false"`
	VariantKey      string    `gorm:"column:variant_key;->"` // read from the join with variants
}

func (postRow) TableName() string { return "posts" }

func fromPost(p experiments.Post) (postRow, error) {
	_, offset := p.PostedAt.Zone()
	row := postRow{
		ID:              p.ID,
		WorkspaceID:     p.WorkspaceID,
		ExperimentID:    p.ExperimentID,
		VariantID:       p.VariantID,
		Platform:        p.Platform,
		Account:         p.Account,
		ExternalID:      p.ExternalID,
		URL:             p.URL,
		PostedAt:        dbTime(p.PostedAt),
		PostedOffset:    offset,
		Timezone:        p.Timezone,
		Country:         p.Country,
		Language:        p.Language,
		Caption:         p.Caption,
		FollowersAtPost: p.FollowersAtPost,
		LoggedInDraft:   p.LoggedInDraft,
		CreatedAt:       createdAt(p.CreatedAt),
	}
	var err error
	if row.Hashtags, err = encodeJSON(p.Hashtags, "[]"); err != nil {
		return row, fmt.Errorf("encode hashtags: %w", err)
	}
	return row, nil
}

func (r postRow) toDomain() (experiments.Post, error) {
	p := experiments.Post{
		ID:              r.ID,
		WorkspaceID:     r.WorkspaceID,
		ExperimentID:    r.ExperimentID,
		VariantID:       r.VariantID,
		VariantKey:      r.VariantKey,
		Platform:        r.Platform,
		Account:         r.Account,
		ExternalID:      r.ExternalID,
		URL:             r.URL,
		PostedAt:        withOffset(r.PostedAt, r.PostedOffset),
		Timezone:        r.Timezone,
		Country:         r.Country,
		Language:        r.Language,
		Caption:         r.Caption,
		Hashtags:        []string{},
		FollowersAtPost: r.FollowersAtPost,
		LoggedInDraft:   r.LoggedInDraft,
		CreatedAt:       r.CreatedAt.UTC(),
	}
	if err := decodeJSON(&r.Hashtags, &p.Hashtags); err != nil {
		return p, fmt.Errorf("decode hashtags of post %s: %w", r.ID, err)
	}
	return p, nil
}

// mutable lists the columns UpdatePost writes: all but the id, the workspace, the experiment
// and the creation time.
func (r postRow) mutable() map[string]any {
	return map[string]any{
		"variant_id":        r.VariantID,
		"platform":          r.Platform,
		"account":           r.Account,
		"external_id":       r.ExternalID,
		"url":               r.URL,
		"posted_at":         r.PostedAt,
		"posted_offset":     r.PostedOffset,
		"timezone":          r.Timezone,
		"country":           r.Country,
		"language":          r.Language,
		"caption":           r.Caption,
		"hashtags":          r.Hashtags,
		"followers_at_post": r.FollowersAtPost,
		"logged_in_draft":   r.LoggedInDraft,
	}
}

// postError turns a failed write of post p into a domain error where it is one.
func postError(err error, p experiments.Post, op string) error {
	switch v := violationOf(err); {
	case v.is(uniquePostExternal):
		return conflict("a post with platform %s and external_id %s already exists", p.Platform, p.ExternalID)
	case v.kind == uniqueViolation:
		return conflict("a post with id %q already exists", p.ID)
	case v.kind == foreignKeyViolation:
		return notFound("variant")
	case v.kind == checkViolation:
		return invalidValue(v)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (t *tx) InsertPost(p experiments.Post) error {
	row, err := fromPost(p)
	if err != nil {
		return fmt.Errorf("insert post: %w", err)
	}
	if err := t.db.Create(&row).Error; err != nil {
		return postError(err, p, "insert post")
	}
	return nil
}

// InsertPosts creates many posts with multi-row statements.
func (t *tx) InsertPosts(posts []experiments.Post) error {
	// In key order, so that two imports creating the same posts take their locks on the
	// unique index in the same order and queue instead of deadlocking.
	posts = slices.Clone(posts)
	slices.SortFunc(posts, func(a, b experiments.Post) int {
		return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.ExternalID, b.ExternalID))
	})
	rows := make([]postRow, len(posts))
	for i, p := range posts {
		var err error
		if rows[i], err = fromPost(p); err != nil {
			return fmt.Errorf("insert posts: %w", err)
		}
	}
	err := chunks(len(rows), postsPerStatement(t.dialect), func(lo, hi int) error {
		if err := t.db.Create(rows[lo:hi]).Error; err != nil {
			return postError(err, posts[lo], "insert posts")
		}
		return nil
	})
	if err != nil || len(rows) < analyzeAfter {
		return err
	}
	// Fresh statistics, so that the lookups that follow a big import (in this transaction or
	// before autovacuum comes by) are planned for the table's real size; ANALYZE counts this
	// transaction's own new rows.
	if err := t.db.Exec("ANALYZE posts").Error; err != nil {
		return fmt.Errorf("analyze posts: %w", err)
	}
	return nil
}

// analyzeAfter is how many posts one insert must add before the table's statistics are renewed.
const analyzeAfter = 1000

// postsPerStatement keeps multi-row post inserts small on SQLite, whose driver binds
// parameters in time quadratic in their number (see snapshotsPerStatement).
func postsPerStatement(dialect string) int {
	if dialect == DialectPostgres {
		return 1000
	}
	return 16
}

// posts starts a query of posts with their variant's key.
func (t *tx) posts(workspaceID string) *gorm.DB {
	return t.db.Table("posts AS p").
		Select("p.*, v.key AS variant_key").
		Joins("JOIN variants AS v ON v.id = p.variant_id").
		Where("p.workspace_id = ?", workspaceID)
}

func (t *tx) GetPost(workspaceID, id string) (experiments.Post, error) {
	var row postRow
	if err := take(t.posts(workspaceID).Where("p.id = ?", id), &row, "post", "get post"); err != nil {
		return experiments.Post{}, err
	}
	return row.toDomain()
}

func (t *tx) ListPosts(workspaceID string, f experiments.PostFilter) ([]experiments.Post, error) {
	q := t.posts(workspaceID)
	if f.ExperimentID != "" {
		q = q.Where("p.experiment_id = ?", f.ExperimentID)
	}
	if f.VariantID != "" {
		q = q.Where("p.variant_id = ?", f.VariantID)
	}
	if f.Account != "" {
		q = q.Where("p.account = ?", f.Account)
	}
	var rows []postRow
	if err := paged(q, "p.id", f.Page).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	list := make([]experiments.Post, len(rows))
	for i, r := range rows {
		p, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		list[i] = p
	}
	return list, nil
}

func (t *tx) UpdatePost(p experiments.Post) error {
	row, err := fromPost(p)
	if err != nil {
		return fmt.Errorf("update post: %w", err)
	}
	res := t.db.Model(&postRow{}).
		Where("workspace_id = ? AND id = ?", p.WorkspaceID, p.ID).
		Updates(row.mutable())
	if res.Error != nil {
		return postError(res.Error, p, "update post")
	}
	if res.RowsAffected == 0 {
		return notFound("post")
	}
	return nil
}

// DeletePost deletes the post and its snapshots.
func (t *tx) DeletePost(workspaceID, id string) error {
	res := t.db.Where("workspace_id = ? AND id = ?", workspaceID, id).Delete(&postRow{})
	if res.Error != nil {
		return fmt.Errorf("delete post: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("post")
	}
	return nil
}

type postRefRow struct {
	ID           string    `gorm:"column:id"`
	ExperimentID string    `gorm:"column:experiment_id"`
	Status       string    `gorm:"column:status"`
	Platform     string    `gorm:"column:platform"`
	ExternalID   string    `gorm:"column:external_id"`
	PostedAt     time.Time `gorm:"column:posted_at"`
	PostedOffset int       `gorm:"column:posted_offset"`
}

func (r postRefRow) toDomain() experiments.PostRef {
	return experiments.PostRef{
		ID:               r.ID,
		ExperimentID:     r.ExperimentID,
		ExperimentStatus: experiments.Status(r.Status),
		Platform:         r.Platform,
		ExternalID:       r.ExternalID,
		PostedAt:         withOffset(r.PostedAt, r.PostedOffset),
	}
}

// postRefs starts a query of posts with their experiment's status.
func (t *tx) postRefs(workspaceID string) *gorm.DB {
	return t.db.Table("posts AS p").
		Select("p.id, p.experiment_id, e.status, p.platform, p.external_id, p.posted_at, p.posted_offset").
		Joins("JOIN experiments AS e ON e.id = p.experiment_id").
		Where("p.workspace_id = ?", workspaceID)
}

// ResolvePosts finds the posts named by id or by external ref, each once, in id order. It takes
// one query for the ids and one for the refs, more only when they outgrow maxInList.
func (t *tx) ResolvePosts(workspaceID string, ids []string, refs []experiments.ExternalRef) ([]experiments.PostRef, error) {
	var rows []postRefRow
	ids = distinct(ids)
	err := chunks(len(ids), maxInList(t.dialect), func(lo, hi int) error {
		var part []postRefRow
		if err := whereIn(t.postRefs(workspaceID), t.dialect, "p.id", ids[lo:hi]).Find(&part).Error; err != nil {
			return fmt.Errorf("resolve posts by id: %w", err)
		}
		rows = append(rows, part...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for platform, externalIDs := range refsByPlatform(refs) {
		err := chunks(len(externalIDs), maxInList(t.dialect), func(lo, hi int) error {
			var part []postRefRow
			q := whereIn(t.postRefs(workspaceID).Where("p.platform = ?", platform), t.dialect, "p.external_id", externalIDs[lo:hi])
			if err := q.Find(&part).Error; err != nil {
				return fmt.Errorf("resolve posts by external id: %w", err)
			}
			rows = append(rows, part...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	seen := make(map[string]bool, len(rows))
	refsOut := make([]experiments.PostRef, 0, len(rows))
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			refsOut = append(refsOut, r.toDomain())
		}
	}
	slices.SortFunc(refsOut, func(a, b experiments.PostRef) int { return strings.Compare(a.ID, b.ID) })
	return refsOut, nil
}

// refsByPlatform groups the external ids of refs by platform, each id once.
func refsByPlatform(refs []experiments.ExternalRef) map[string][]string {
	byPlatform := map[string][]string{}
	for _, r := range refs {
		byPlatform[r.Platform] = append(byPlatform[r.Platform], r.ExternalID)
	}
	for platform, ids := range byPlatform {
		byPlatform[platform] = distinct(ids)
	}
	return byPlatform
}

// distinct returns s without repeats, in first-seen order.
func distinct(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
