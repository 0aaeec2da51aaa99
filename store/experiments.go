package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"postlab/experiments"
)

type experimentRow struct {
	ID               string     `gorm:"column:id;primaryKey"`
	WorkspaceID      string     `gorm:"column:workspace_id"`
	Key              string     `gorm:"column:key"`
	Name             string     `gorm:"column:name"`
	Hypothesis       string     `gorm:"column:hypothesis"`
	Platform         string     `gorm:"column:platform"`
	Status           string     `gorm:"column:status"`
	PrimaryMetric    string     `gorm:"column:primary_metric"`
	SecondaryMetrics string     `gorm:"column:secondary_metrics"` // JSON array
	RatioMetrics     string     `gorm:"column:ratio_metrics"`     // JSON array
	HorizonHours     float64    `gorm:"column:horizon_hours"`
	HorizonTolerance float64    `gorm:"column:horizon_tolerance"`
	Alpha            float64    `gorm:"column:alpha"`
	Correction       string     `gorm:"column:correction"`
	MDE              float64    `gorm:"column:mde"`
	PlannedPosts     *int       `gorm:"column:planned_posts_per_variant"`
	Factors          string     `gorm:"column:factors"` // JSON array
	Version          int        `gorm:"column:version"`
	CreatedAt        time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt        time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
	StartedAt        *time.Time `gorm:"column:started_at"`
	ConcludedAt      *time.Time `gorm:"column:concluded_at"`
	Decision         *string    `gorm:"column:decision"` // JSON Conclusion
}

func (experimentRow) TableName() string { return "experiments" }

func fromExperiment(e experiments.Experiment) (experimentRow, error) {
	row := experimentRow{
		ID:               e.ID,
		WorkspaceID:      e.WorkspaceID,
		Key:              e.Key,
		Name:             e.Name,
		Hypothesis:       e.Hypothesis,
		Platform:         e.Platform,
		Status:           string(e.Status),
		PrimaryMetric:    e.PrimaryMetric,
		HorizonHours:     e.HorizonHours,
		HorizonTolerance: e.HorizonTolerance,
		Alpha:            e.Alpha,
		Correction:       e.Correction,
		MDE:              e.MDE,
		PlannedPosts:     e.PlannedPostsPerVariant,
		Version:          e.Version,
		CreatedAt:        createdAt(e.CreatedAt),
		UpdatedAt:        createdAt(e.UpdatedAt),
		StartedAt:        dbTimePtr(e.StartedAt),
		ConcludedAt:      dbTimePtr(e.ConcludedAt),
	}
	var err error
	if row.SecondaryMetrics, err = encodeJSON(e.SecondaryMetrics, "[]"); err != nil {
		return row, fmt.Errorf("encode secondary_metrics: %w", err)
	}
	if row.RatioMetrics, err = encodeJSON(e.RatioMetrics, "[]"); err != nil {
		return row, fmt.Errorf("encode ratio_metrics: %w", err)
	}
	if row.Factors, err = encodeJSON(e.Factors, "[]"); err != nil {
		return row, fmt.Errorf("encode factors: %w", err)
	}
	if row.Decision, err = encodeNullJSON(e.Decision); err != nil {
		return row, fmt.Errorf("encode decision: %w", err)
	}
	return row, nil
}

func (r experimentRow) toDomain() (experiments.Experiment, error) {
	e := experiments.Experiment{
		ID:                     r.ID,
		WorkspaceID:            r.WorkspaceID,
		Key:                    r.Key,
		Name:                   r.Name,
		Hypothesis:             r.Hypothesis,
		Platform:               r.Platform,
		Status:                 experiments.Status(r.Status),
		PrimaryMetric:          r.PrimaryMetric,
		SecondaryMetrics:       []string{},
		RatioMetrics:           []experiments.RatioMetric{},
		HorizonHours:           r.HorizonHours,
		HorizonTolerance:       r.HorizonTolerance,
		Alpha:                  r.Alpha,
		Correction:             r.Correction,
		MDE:                    r.MDE,
		Factors:                []string{},
		PlannedPostsPerVariant: r.PlannedPosts,
		Version:                r.Version,
		CreatedAt:              r.CreatedAt.UTC(),
		UpdatedAt:              r.UpdatedAt.UTC(),
		StartedAt:              utcPtr(r.StartedAt),
		ConcludedAt:            utcPtr(r.ConcludedAt),
	}
	if err := decodeJSON(&r.SecondaryMetrics, &e.SecondaryMetrics); err != nil {
		return e, fmt.Errorf("decode secondary_metrics of experiment %s: %w", r.ID, err)
	}
	if err := decodeJSON(&r.RatioMetrics, &e.RatioMetrics); err != nil {
		return e, fmt.Errorf("decode ratio_metrics of experiment %s: %w", r.ID, err)
	}
	if err := decodeJSON(&r.Factors, &e.Factors); err != nil {
		return e, fmt.Errorf("decode factors of experiment %s: %w", r.ID, err)
	}
	if r.Decision != nil {
		e.Decision = new(experiments.Conclusion)
		if err := decodeJSON(r.Decision, e.Decision); err != nil {
			return e, fmt.Errorf("decode decision of experiment %s: %w", r.ID, err)
		}
	}
	return e, nil
}

// mutable lists the columns UpdateExperiment writes: all but the id, the workspace and the
// creation time.
func (r experimentRow) mutable() map[string]any {
	return map[string]any{
		"key":                       r.Key,
		"name":                      r.Name,
		"hypothesis":                r.Hypothesis,
		"platform":                  r.Platform,
		"status":                    r.Status,
		"primary_metric":            r.PrimaryMetric,
		"secondary_metrics":         r.SecondaryMetrics,
		"ratio_metrics":             r.RatioMetrics,
		"horizon_hours":             r.HorizonHours,
		"horizon_tolerance":         r.HorizonTolerance,
		"alpha":                     r.Alpha,
		"correction":                r.Correction,
		"mde":                       r.MDE,
		"planned_posts_per_variant": r.PlannedPosts,
		"factors":                   r.Factors,
		"version":                   r.Version,
		"updated_at":                r.UpdatedAt,
		"started_at":                r.StartedAt,
		"concluded_at":              r.ConcludedAt,
		"decision":                  r.Decision,
	}
}

// experimentError turns a failed write of experiment e into a domain error where it is one.
func experimentError(err error, e experiments.Experiment, op string) error {
	switch v := violationOf(err); {
	case v.is(uniqueExperimentKey):
		return conflict("an experiment with key %q already exists", e.Key)
	case v.kind == uniqueViolation:
		return conflict("an experiment with id %q already exists", e.ID)
	case v.kind == foreignKeyViolation:
		return notFound("workspace")
	case v.kind == checkViolation:
		return invalidValue(v)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (t *tx) InsertExperiment(e experiments.Experiment) error {
	row, err := fromExperiment(e)
	if err != nil {
		return fmt.Errorf("insert experiment: %w", err)
	}
	if err := t.db.Create(&row).Error; err != nil {
		return experimentError(err, e, "insert experiment")
	}
	return nil
}

// GetExperiment finds the experiment whose id, or else whose key, is idOrKey.
func (t *tx) GetExperiment(workspaceID, idOrKey string, forUpdate bool) (experiments.Experiment, error) {
	// An id wins over a key that happens to spell it, so the id is looked up first and the key
	// only when no id matches. Two plain lookups cost less than one statement with an OR and
	// an ORDER BY (which SQLite parses, plans and sorts afresh on every read), and a read by
	// id, the usual one, makes only the first.
	row, err := t.experimentWhere("id", workspaceID, idOrKey, forUpdate)
	if experiments.IsNotFound(err) {
		row, err = t.experimentWhere("key", workspaceID, idOrKey, forUpdate)
	}
	if err != nil {
		return experiments.Experiment{}, err
	}
	return row.toDomain()
}

// experimentWhere reads the workspace's experiment whose column (id or key) is value.
//
// It is the read behind every request on an experiment, so it skips GORM's statement building
// and reflection: one fixed statement per column, dialect and lock (prepared once per
// connection where the pool prepares statements), scanned straight into the row.
func (t *tx) experimentWhere(column, workspaceID, value string, forUpdate bool) (experimentRow, error) {
	q := experimentQueries[experimentQueryKey{column, t.dialect == DialectPostgres, forUpdate}]
	var row experimentRow
	dest := []any{&row.ID, &row.WorkspaceID, &row.Key, &row.Name, &row.Hypothesis, &row.Platform, &row.Status,
		&row.PrimaryMetric, &row.SecondaryMetrics, &row.RatioMetrics, &row.HorizonHours,
		&row.HorizonTolerance, &row.Alpha, &row.Correction, &row.MDE, &row.PlannedPosts, &row.Factors,
		&row.Version, &row.CreatedAt, &row.UpdatedAt, &row.StartedAt, &row.ConcludedAt, &row.Decision}
	ctx := t.db.Statement.Context
	var err error
	if pool, ok := t.db.Statement.ConnPool.(*sql.DB); ok && t.dialect == DialectPostgres {
		err = pgxQueryRow(ctx, pool, q, []any{workspaceID, value}, dest)
	} else {
		err = t.db.Statement.ConnPool.QueryRowContext(ctx, q, workspaceID, value).Scan(dest...)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows):
		return row, notFound("experiment")
	case err != nil:
		return row, fmt.Errorf("get experiment: %w", err)
	}
	return row, nil
}

// pgxQueryRow runs a one-row query on a connection of pool through pgx itself. database/sql's
// rows over pgx build a scanner per column on every query, half of a read's allocations; pgx
// scans straight into dest.
func pgxQueryRow(ctx context.Context, pool *sql.DB, q string, args, dest []any) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a PostgreSQL connection of type %T, not pgx's", dc)
		}
		return c.Conn().QueryRow(ctx, q, args...).Scan(dest...)
	})
}

// experimentColumns are experimentRow's columns in the order experimentWhere scans them.
const experimentColumns = "id, workspace_id, key, name, hypothesis, platform, status, primary_metric, " +
	"secondary_metrics, ratio_metrics, horizon_hours, horizon_tolerance, alpha, correction, mde, " +
	"planned_posts_per_variant, factors, version, created_at, updated_at, started_at, concluded_at, decision"

type experimentQueryKey struct {
	column    string
	postgres  bool
	forUpdate bool
}

// experimentQueries are experimentWhere's statements. SQLite needs no lock: a transaction
// there began IMMEDIATE and so already excludes writers.
var experimentQueries = func() map[experimentQueryKey]string {
	m := map[experimentQueryKey]string{}
	for _, column := range []string{"id", "key"} {
		m[experimentQueryKey{column, false, false}] = "SELECT " + experimentColumns +
			" FROM experiments WHERE workspace_id = ? AND " + column + " = ?"
		m[experimentQueryKey{column, false, true}] = m[experimentQueryKey{column, false, false}]
		m[experimentQueryKey{column, true, false}] = "SELECT " + experimentColumns +
			" FROM experiments WHERE workspace_id = $1 AND " + column + " = $2"
		m[experimentQueryKey{column, true, true}] = m[experimentQueryKey{column, true, false}] + " FOR UPDATE"
	}
	return m
}()

func (t *tx) ListExperiments(workspaceID string, f experiments.ExperimentFilter) ([]experiments.Experiment, error) {
	q := t.db.Where("workspace_id = ?", workspaceID)
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Platform != "" {
		q = q.Where("platform = ?", f.Platform)
	}
	var rows []experimentRow
	if err := paged(q, "id", f.Page).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list experiments: %w", err)
	}
	list := make([]experiments.Experiment, len(rows))
	for i, r := range rows {
		e, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		list[i] = e
	}
	return list, nil
}

// UpdateExperiment writes every mutable field of e as given, Version and UpdatedAt included:
// the caller decides them.
func (t *tx) UpdateExperiment(e experiments.Experiment) error {
	row, err := fromExperiment(e)
	if err != nil {
		return fmt.Errorf("update experiment: %w", err)
	}
	res := t.db.Model(&experimentRow{}).
		Where("workspace_id = ? AND id = ?", e.WorkspaceID, e.ID).
		Updates(row.mutable())
	if res.Error != nil {
		return experimentError(res.Error, e, "update experiment")
	}
	if res.RowsAffected == 0 {
		return notFound("experiment")
	}
	return nil
}

// DeleteExperiment deletes the experiment with its variants, posts and snapshots.
func (t *tx) DeleteExperiment(workspaceID, id string) error {
	// Posts go first, so that posts.variant_id's ON DELETE RESTRICT never depends on the order
	// in which the database runs the two cascades from the experiment (to its variants, and to
	// its posts).
	if err := t.db.Where("workspace_id = ? AND experiment_id = ?", workspaceID, id).Delete(&postRow{}).Error; err != nil {
		return fmt.Errorf("delete posts of experiment: %w", err)
	}
	res := t.db.Where("workspace_id = ? AND id = ?", workspaceID, id).Delete(&experimentRow{})
	if res.Error != nil {
		return fmt.Errorf("delete experiment: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("experiment")
	}
	return nil
}

// PostCounts counts the posts of the experiments named, and those that have reached their
// experiment's horizon by at (age = at − posted_at ≥ horizon, to the microsecond as the
// report's horizon rule compares ages): one aggregate query over the posts, joined with the
// experiments for their horizons.
func (t *tx) PostCounts(workspaceID string, experimentIDs []string, at time.Time) (map[string]experiments.PostCount, error) {
	out := map[string]experiments.PostCount{}
	if len(experimentIDs) == 0 {
		return out, nil
	}
	horizonMicros := "round(e.horizon_hours * 3600000000)"
	matured := "p.posted_at + " + horizonMicros + " * interval '1 microsecond' <= ?"
	var cutoff any = dbTime(at)
	if t.dialect == DialectSQLite {
		// Stored timestamps are text in SQLite: compare whole microseconds (see sqliteMicros).
		matured = sqliteMicros("p.posted_at") + " + CAST(" + horizonMicros + " AS INTEGER) <= ?"
		cutoff = dbTime(at).UnixMicro()
	}
	rows, err := t.db.Raw(`SELECT p.experiment_id, count(*), count(CASE WHEN `+matured+` THEN 1 END)
		FROM posts p JOIN experiments e ON e.id = p.experiment_id AND e.workspace_id = p.workspace_id
		WHERE p.workspace_id = ? AND p.experiment_id IN ?
		GROUP BY p.experiment_id`, cutoff, workspaceID, experimentIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("count posts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c experiments.PostCount
		if err := rows.Scan(&id, &c.Posts, &c.Matured); err != nil {
			return nil, fmt.Errorf("count posts: %w", err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count posts: %w", err)
	}
	return out, nil
}
