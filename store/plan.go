package store

import (
	"database/sql"
	"fmt"
	"time"

	"postlab/experiments"
)

// countExpr is the SQL of a count metric of snapshot s as a double, NULL when unknown; only a
// name the domain knows as a count metric becomes SQL (see valueExpr).
func countExpr(dialect, metric string) (string, []any, error) {
	if kind, ok := experiments.MetricKind(metric, nil); !ok || kind != experiments.KindCount {
		return "", nil, fmt.Errorf("%q is not a count metric", metric)
	}
	expr, args := valueExpr(dialect, metric)
	return expr, args, nil
}

// LatestValues reads the metric in each post's latest snapshot where it is known, for the
// experiment's posts (of account, when not empty), in one query: a window over the posts'
// snapshots keeps the latest row of each post.
func (t *tx) LatestValues(workspaceID, experimentID, account, metric string) ([]float64, error) {
	expr, exprArgs, err := countExpr(t.dialect, metric)
	if err != nil {
		return nil, fmt.Errorf("latest values: %w", err)
	}
	args := append(append([]any{}, exprArgs...), exprArgs...)
	args = append(args, workspaceID, experimentID)
	byAccount := ""
	if account != "" {
		byAccount = " AND p.account = ?"
		args = append(args, account)
	}
	query := `SELECT x.v FROM (
	SELECT ` + expr + ` AS v, ROW_NUMBER() OVER (PARTITION BY s.post_id ORDER BY s.observed_at DESC) AS latest
	FROM posts p JOIN snapshots s ON s.post_id = p.id
	WHERE ` + expr + ` IS NOT NULL AND p.workspace_id = ? AND p.experiment_id = ?` + byAccount + `
) x
WHERE x.latest = 1`
	var values []float64
	if err := t.db.Raw(query, args...).Scan(&values).Error; err != nil {
		return nil, fmt.Errorf("latest values: %w", err)
	}
	return values, nil
}

// scheduleSlotRow is one planned post.
type scheduleSlotRow struct {
	ExperimentID  string    `gorm:"column:experiment_id;primaryKey"`
	Position      int       `gorm:"column:position;primaryKey"`
	WorkspaceID   string    `gorm:"column:workspace_id"`
	VariantID     string    `gorm:"column:variant_id"`
	Account       string    `gorm:"column:account"`
	PlannedAt     time.Time `gorm:"column:planned_at"`     // UTC
	PlannedOffset int       `gorm:"column:planned_offset"` // seconds east of UTC, of the local time
	Block         string    `gorm:"column:block"`
}

func (scheduleSlotRow) TableName() string { return "schedule_slots" }

// slotsPerStatement keeps multi-row inserts of 8 columns within SQLite's fast binding range
// (see snapshotsPerStatement).
func slotsPerStatement(dialect string) int {
	if dialect == DialectPostgres {
		return 1000
	}
	return 64
}

// ReplaceSchedule deletes the experiment's stored plan and writes slots in its place.
func (t *tx) ReplaceSchedule(workspaceID, experimentID string, slots []experiments.ScheduleSlot) error {
	err := t.db.Where("workspace_id = ? AND experiment_id = ?", workspaceID, experimentID).
		Delete(&scheduleSlotRow{}).Error
	if err != nil {
		return fmt.Errorf("replace schedule: %w", err)
	}
	rows := make([]scheduleSlotRow, len(slots))
	for i, s := range slots {
		_, offset := s.PlannedAt.Zone()
		rows[i] = scheduleSlotRow{ExperimentID: experimentID, Position: i, WorkspaceID: workspaceID,
			VariantID: s.VariantID, Account: s.Account, PlannedAt: dbTime(s.PlannedAt), PlannedOffset: offset, Block: s.Block}
	}
	return chunks(len(rows), slotsPerStatement(t.dialect), func(lo, hi int) error {
		err := t.db.Create(rows[lo:hi]).Error
		switch v := violationOf(err); {
		case err == nil:
			return nil
		case v.kind == foreignKeyViolation:
			return notFound("variant")
		default:
			return fmt.Errorf("replace schedule: %w", err)
		}
	})
}

// ScheduledSlots reads the stored plan with, per slot, the nearest post of its account and
// variant within ±window, and whether the account posted another variant within it: two
// correlated subqueries per slot on the posts of the experiment, in one statement.
func (t *tx) ScheduledSlots(workspaceID, experimentID string, window time.Duration) ([]experiments.ScheduledSlot, error) {
	within, distance := pgWithin(window)
	if t.dialect == DialectSQLite {
		within, distance = sqliteWithin(window)
	}
	query := `SELECT ss.account, ss.planned_at, ss.planned_offset, ss.block, v.id, v.key, v.name,
	(SELECT p.id FROM posts p
		WHERE p.experiment_id = ss.experiment_id AND p.variant_id = ss.variant_id AND p.account = ss.account AND ` + within + `
		ORDER BY ` + distance + `, p.id LIMIT 1) AS post_id,
	EXISTS (SELECT 1 FROM posts p
		WHERE p.experiment_id = ss.experiment_id AND p.variant_id <> ss.variant_id AND p.account = ss.account AND ` + within + `) AS wrong_variant
FROM schedule_slots ss JOIN variants v ON v.id = ss.variant_id
WHERE ss.workspace_id = ? AND ss.experiment_id = ?
ORDER BY ss.position`
	rows, err := t.db.Raw(query, workspaceID, experimentID).Rows()
	if err != nil {
		return nil, fmt.Errorf("scheduled slots: %w", err)
	}
	defer rows.Close()
	var out []experiments.ScheduledSlot
	for rows.Next() {
		var s experiments.ScheduledSlot
		var plannedAt any
		var offset int
		var postID sql.NullString
		if err := rows.Scan(&s.Account, &plannedAt, &offset, &s.Block, &s.VariantID, &s.VariantKey, &s.VariantName,
			&postID, &s.WrongVariant); err != nil {
			return nil, fmt.Errorf("scheduled slots: %w", err)
		}
		at, err := storedInstant(plannedAt)
		if err != nil {
			return nil, fmt.Errorf("scheduled slots: planned_at: %w", err)
		}
		s.PlannedAt = withOffset(at, offset)
		if postID.Valid {
			s.PostID = &postID.String
			s.OnTime = true
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scheduled slots: %w", err)
	}
	return out, nil
}

// pgWithin says that post p was published within ±window of slot ss, and how far from it.
func pgWithin(window time.Duration) (within, distance string) {
	w := fmt.Sprintf("interval '%d microseconds'", window.Microseconds())
	return "p.posted_at BETWEEN ss.planned_at - " + w + " AND ss.planned_at + " + w,
		"abs(extract(epoch FROM p.posted_at - ss.planned_at))"
}

// sqliteWithin is pgWithin on SQLite, in days: julianday reads the stored text, offset included.
func sqliteWithin(window time.Duration) (within, distance string) {
	days := fmt.Sprintf("%.9f", window.Hours()/24)
	return "julianday(p.posted_at) BETWEEN julianday(ss.planned_at) - " + days + " AND julianday(ss.planned_at) + " + days,
		"abs(julianday(p.posted_at) - julianday(ss.planned_at))"
}

// storedInstant reads a timestamp column as a raw query scans it: pgx gives a time.Time,
// SQLite's driver a time.Time or, for some expressions, the stored text.
func storedInstant(v any) (time.Time, error) {
	var s string
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		s = t
	case []byte:
		s = string(t)
	default:
		return time.Time{}, fmt.Errorf("unexpected timestamp %T", v)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable timestamp %q", s)
}
