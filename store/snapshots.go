package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"postlab/experiments"
)

// snapshotRow is one snapshot. A nil metric is NULL: unknown, never 0. The built-in metrics
// are columns named as in experiments.SnapshotMetrics (GORM's snake_case of Metrics' fields).
type snapshotRow struct {
	PostID      string    `gorm:"column:post_id;primaryKey"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	ObservedAt  time.Time `gorm:"column:observed_at;primaryKey"`
	experiments.Metrics
	Custom *string `gorm:"column:custom"` // JSON object
}

func (snapshotRow) TableName() string { return "snapshots" }

// snapshotColumns are the columns UpsertSnapshots writes, in the order of values; all after
// the key (post_id, workspace_id, observed_at) are replaced when the snapshot exists.
var snapshotColumns = func() []string {
	cols := []string{"post_id", "workspace_id", "observed_at"}
	for _, sm := range experiments.SnapshotMetrics {
		cols = append(cols, sm.Name)
	}
	return append(cols, "custom")
}()

func (r *snapshotRow) values() []any {
	out := make([]any, 0, len(snapshotColumns))
	out = append(out, r.PostID, r.WorkspaceID, r.ObservedAt)
	for _, sm := range experiments.SnapshotMetrics {
		out = append(out, sm.Stored(&r.Metrics))
	}
	return append(out, r.Custom)
}

func fromSnapshot(s experiments.Snapshot) (snapshotRow, error) {
	row := snapshotRow{PostID: s.PostID, WorkspaceID: s.WorkspaceID, ObservedAt: dbTime(s.ObservedAt), Metrics: s.Metrics}
	if len(s.Custom) > 0 {
		var err error
		if row.Custom, err = encodeNullJSON(s.Custom); err != nil {
			return row, fmt.Errorf("encode custom metrics: %w", err)
		}
	}
	return row, nil
}

func (r snapshotRow) toDomain() (experiments.Snapshot, error) {
	s := experiments.Snapshot{PostID: r.PostID, WorkspaceID: r.WorkspaceID, ObservedAt: r.ObservedAt.UTC(), Metrics: r.Metrics}
	if err := decodeJSON(r.Custom, &s.Custom); err != nil {
		return s, fmt.Errorf("decode custom metrics of post %s: %w", r.PostID, err)
	}
	return s, nil
}

// UpsertSnapshots writes the snapshots with multi-row INSERT … ON CONFLICT DO UPDATE
// statements of snapshotsPerStatement rows, and returns how many rows it inserted or changed.
// A snapshot at an existing (post_id, observed_at) replaces it whole, unless it holds the very
// same numbers (then it is left alone and not counted); within ss, the last one at a
// (post_id, observed_at) wins. A snapshot whose post is not in its workspace is ENOTFOUND and
// nothing is written.
func (t *tx) UpsertSnapshots(ss []experiments.Snapshot) (int64, error) {
	rows, err := snapshotRows(ss)
	if err != nil {
		return 0, fmt.Errorf("upsert snapshots: %w", err)
	}
	if err := t.checkPostsOwned(rows); err != nil {
		return 0, err
	}
	var changed int64
	err = chunks(len(rows), snapshotsPerStatement(t.dialect), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*len(snapshotColumns))
		for i := lo; i < hi; i++ {
			args = append(args, rows[i].values()...)
		}
		res := t.db.Exec(upsertSnapshotsSQL(hi-lo), args...)
		if res.Error == nil {
			changed += res.RowsAffected
			return nil
		}
		switch v := violationOf(res.Error); v.kind {
		case foreignKeyViolation:
			return notFound("post")
		case checkViolation:
			return invalidValue(v)
		}
		return fmt.Errorf("upsert snapshots: %w", res.Error)
	})
	return changed, err
}

// snapshotsPerStatement is how many snapshots one INSERT carries, measured with 10,000
// snapshots. PostgreSQL: 1,000 (15,000 parameters of the 65,535 allowed) upserts as fast as the
// largest statements. SQLite: the driver looks each parameter up by a linear search, so binding
// costs the square of a statement's parameters; 16 rows (240 parameters) is about the fastest,
// ten times faster than statements at the 32,766-parameter limit.
func snapshotsPerStatement(dialect string) int {
	rows := 16
	if dialect == DialectPostgres {
		rows = 1000
	}
	return min(rows, maxParams(dialect)/len(snapshotColumns))
}

// snapshotRows converts ss to rows, keeping only the last snapshot at each (post, instant)
// (PostgreSQL refuses a statement that would update the same row twice), sorted by that key.
func snapshotRows(ss []experiments.Snapshot) ([]snapshotRow, error) {
	type key struct {
		post string
		at   int64 // µs since 1970
	}
	index := make(map[key]int, len(ss))
	rows := make([]snapshotRow, 0, len(ss))
	for _, s := range ss {
		row, err := fromSnapshot(s)
		if err != nil {
			return nil, err
		}
		k := key{row.PostID, row.ObservedAt.UnixMicro()}
		if i, ok := index[k]; ok {
			rows[i] = row
			continue
		}
		index[k] = len(rows)
		rows = append(rows, row)
	}
	// Rows in key order: two transactions that upsert the same snapshots (and lock the same
	// posts through the foreign key) take their locks in the same order, so they queue
	// instead of deadlocking.
	slices.SortFunc(rows, func(a, b snapshotRow) int {
		return cmp.Or(strings.Compare(a.PostID, b.PostID), a.ObservedAt.Compare(b.ObservedAt))
	})
	return rows, nil
}

// checkPostsOwned checks that every row's post belongs to the row's workspace. The foreign key
// only says that the post exists, in whichever workspace.
func (t *tx) checkPostsOwned(rows []snapshotRow) error {
	byWorkspace := map[string][]string{}
	for _, r := range rows {
		byWorkspace[r.WorkspaceID] = append(byWorkspace[r.WorkspaceID], r.PostID)
	}
	for workspaceID, ids := range byWorkspace {
		ids = distinct(ids)
		found := make(map[string]bool, len(ids))
		err := chunks(len(ids), maxInList(t.dialect), func(lo, hi int) error {
			var part []string
			err := whereIn(t.db.Model(&postRow{}).Where("workspace_id = ?", workspaceID), t.dialect, "id", ids[lo:hi]).
				Pluck("id", &part).Error
			for _, id := range part {
				found[id] = true
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("upsert snapshots: find posts: %w", err)
		}
		for _, id := range ids {
			if !found[id] {
				return experiments.Errorf(experiments.ENOTFOUND, "post %q not found", id)
			}
		}
	}
	return nil
}

// upsertSnapshotsSQL is the statement that upserts n snapshots.
func upsertSnapshotsSQL(n int) string {
	row := "(" + strings.Repeat("?, ", len(snapshotColumns)-1) + "?)"
	var b strings.Builder
	b.Grow(n*(len(row)+2) + 512)
	b.WriteString("INSERT INTO snapshots (")
	b.WriteString(strings.Join(snapshotColumns, ", "))
	b.WriteString(") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (post_id, observed_at) DO UPDATE SET ")
	for i, c := range snapshotColumns[3:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	// An identical snapshot is not rewritten, so a re-import changes (and counts) nothing.
	b.WriteString(" WHERE ")
	for i, c := range snapshotColumns[3:] {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("snapshots." + c + " IS DISTINCT FROM excluded." + c)
	}
	return b.String()
}

// ListSnapshots lists a post's snapshots by observed_at, after p.After (RFC 3339) when given.
func (t *tx) ListSnapshots(workspaceID, postID string, p experiments.Page) ([]experiments.Snapshot, error) {
	q := t.db.Where("workspace_id = ? AND post_id = ?", workspaceID, postID)
	if p.After != "" {
		after, err := time.Parse(time.RFC3339Nano, p.After)
		if err != nil {
			return nil, experiments.Invalid(experiments.FieldError{Field: "cursor", Message: "is not a valid position in the list"})
		}
		q = q.Where("observed_at > ?", dbTime(after))
	}
	q = q.Order("observed_at")
	if p.Limit > 0 {
		q = q.Limit(p.Limit)
	}
	var rows []snapshotRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	list := make([]experiments.Snapshot, len(rows))
	for i, r := range rows {
		s, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		list[i] = s
	}
	return list, nil
}
