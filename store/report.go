package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"postlab/experiments"
)

// maxHorizonValues bounds the values one HorizonQuery may ask for: each takes two bits of the
// roles mask below.
const maxHorizonValues = 31

// HorizonSnapshots reads the experiment's posts with, for each value of q, the snapshots that
// bracket the horizon: the last at or before it and the first at or after it where the value
// is known (under q.Latest, the latest where it is known). No other snapshot leaves the
// database.
//
// PostgreSQL answers in one query (after counting the posts): each post probes the snapshots' primary key (post_id,
// observed_at) once per bracket side, from the horizon outwards, which costs far less than
// reading and grouping every snapshot of the experiment. SQLite, whose joins cannot be
// LATERAL, answers in two: the posts, then one pass over the experiment's snapshots with one
// window partition per post that keeps the bracketing rows.
func (t *tx) HorizonSnapshots(workspaceID string, q experiments.HorizonQuery) (experiments.HorizonData, error) {
	if len(q.Values) == 0 || len(q.Values) > maxHorizonValues {
		return experiments.HorizonData{}, fmt.Errorf("horizon snapshots: %d values asked, want 1 to %d", len(q.Values), maxHorizonValues)
	}
	if t.dialect == DialectPostgres {
		return t.horizonLateral(workspaceID, q)
	}
	posts, index, err := t.horizonPosts(workspaceID, q)
	if err != nil {
		return experiments.HorizonData{}, err
	}
	data := experiments.HorizonData{Posts: posts, Brackets: make([]experiments.Bracket, len(posts)*len(q.Values))}
	if len(posts) == 0 {
		return data, nil
	}
	query, args := windowQuery(workspaceID, q)
	rows, err := t.db.Raw(query, args...).Rows()
	if err != nil {
		return data, fmt.Errorf("horizon snapshots: %w", err)
	}
	defer rows.Close()
	if err := scanBrackets(rows, q, index, data.Brackets); err != nil {
		return data, fmt.Errorf("horizon snapshots: %w", err)
	}
	return data, nil
}

// horizonLateral is HorizonSnapshots on PostgreSQL: one row per post, its columns followed,
// for each value, by the observed_at and value of the snapshot before and of the one after.
func (t *tx) horizonLateral(workspaceID string, q experiments.HorizonQuery) (experiments.HorizonData, error) {
	var data experiments.HorizonData
	// The query is many short index probes, which JIT compilation only slows down (by a
	// quarter on 100,000 posts); the setting ends with the transaction.
	if err := t.db.Exec("SET LOCAL jit = off").Error; err != nil {
		return data, fmt.Errorf("horizon snapshots: %w", err)
	}
	// Sized first (an index-only count), the lists are filled without copying 100,000 posts
	// over and over as they grow.
	var count int64
	scope, scopeArgs := horizonScope(workspaceID, q)
	if err := t.db.Raw("SELECT count(*) FROM posts p WHERE "+scope, scopeArgs...).Scan(&count).Error; err != nil {
		return data, fmt.Errorf("horizon snapshots: count posts: %w", err)
	}
	data.Posts = make([]experiments.HorizonPost, 0, count)
	data.Brackets = make([]experiments.Bracket, 0, int(count)*len(q.Values))
	query, args := lateralQuery(workspaceID, q)
	rows, err := t.db.Raw(query, args...).Rows()
	if err != nil {
		return data, fmt.Errorf("horizon snapshots: %w", err)
	}
	defer rows.Close()
	n := len(q.Values)
	var p experiments.HorizonPost
	var postedAt time.Time
	var offset int
	times := make([]sql.NullTime, 2*n)
	values := make([]sql.NullFloat64, 2*n)
	dest := []any{&p.ID, &p.VariantID, &p.Account, &postedAt, &offset, &p.Timezone, &p.LoggedInDraft}
	for i := range times {
		dest = append(dest, &times[i], &values[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return data, fmt.Errorf("horizon snapshots: %w", err)
		}
		post := p
		post.PostedAt = withOffset(postedAt, offset)
		data.Posts = append(data.Posts, post)
		for k := range n {
			data.Brackets = append(data.Brackets, experiments.Bracket{
				Before: nullReading(times[2*k], values[2*k]), After: nullReading(times[2*k+1], values[2*k+1])})
		}
	}
	if err := rows.Err(); err != nil {
		return data, fmt.Errorf("horizon snapshots: %w", err)
	}
	return data, nil
}

func nullReading(at sql.NullTime, v sql.NullFloat64) experiments.Reading {
	if !at.Valid || !v.Valid {
		return experiments.Reading{}
	}
	return experiments.Reading{Found: true, ObservedAt: at.Time.UTC(), Value: v.Float64}
}

// lateralQuery builds PostgreSQL's query: for each value, a LATERAL subquery per side that
// walks the primary key from the horizon (backwards for the snapshot before, forwards for the
// one after) to the first snapshot where the value is known.
func lateralQuery(workspaceID string, q experiments.HorizonQuery) (string, []any) {
	var cols, joins []string
	var args []any
	cutoff := fmt.Sprintf("p.posted_at + interval '%d microseconds'", q.Horizon.Microseconds())
	for k, name := range q.Values {
		expr, exprArgs := valueExpr(DialectPostgres, name)
		sides := []struct{ cond, order string }{{"s.observed_at <= " + cutoff, "DESC"}, {"s.observed_at >= " + cutoff, "ASC"}}
		if q.Latest {
			sides = []struct{ cond, order string }{{"TRUE", "DESC"}, {"FALSE", "ASC"}}
		}
		for j, side := range sides {
			alias := fmt.Sprintf("b%d_%d", k, j)
			cols = append(cols, alias+".observed_at", alias+".v")
			joins = append(joins, fmt.Sprintf(`LEFT JOIN LATERAL (
	SELECT s.observed_at, %[1]s AS v FROM snapshots s
	WHERE s.post_id = p.id AND %[2]s AND %[1]s IS NOT NULL
	ORDER BY s.observed_at %[3]s LIMIT 1) %[4]s ON TRUE`, expr, side.cond, side.order, alias))
			// The expression appears twice in the subquery: its parameters are bound twice.
			args = append(args, exprArgs...)
			args = append(args, exprArgs...)
		}
	}
	scope, scopeArgs := horizonScope(workspaceID, q)
	args = append(args, scopeArgs...)
	query := `SELECT p.id, p.variant_id, p.account, p.posted_at, p.posted_offset, p.timezone, p.logged_in_draft, ` +
		strings.Join(cols, ", ") + `
FROM posts p
` + strings.Join(joins, "\n") + `
WHERE ` + scope
	return query, args
}

// horizonScope is the condition on posts p that picks the posts of a HorizonQuery: the
// experiment's, or, without one, the workspace's posts on a platform published before a time.
func horizonScope(workspaceID string, q experiments.HorizonQuery) (string, []any) {
	if q.ExperimentID != "" {
		return "p.workspace_id = ? AND p.experiment_id = ?", []any{workspaceID, q.ExperimentID}
	}
	return "p.workspace_id = ? AND p.platform = ? AND p.posted_at < ?", []any{workspaceID, q.Platform, dbTime(q.PostedBefore)}
}

// horizonPosts lists the query's posts, and where each id is in the list.
func (t *tx) horizonPosts(workspaceID string, q experiments.HorizonQuery) ([]experiments.HorizonPost, map[string]int, error) {
	scope, scopeArgs := horizonScope(workspaceID, q)
	rows, err := t.db.Raw(`SELECT p.id, p.variant_id, p.account, p.posted_at, p.posted_offset, p.timezone, p.logged_in_draft
		FROM posts p WHERE `+scope, scopeArgs...).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("horizon posts: %w", err)
	}
	defer rows.Close()
	var posts []experiments.HorizonPost
	index := map[string]int{}
	for rows.Next() {
		var p experiments.HorizonPost
		var postedAt any
		var offset int
		if err := rows.Scan(&p.ID, &p.VariantID, &p.Account, &postedAt, &offset, &p.Timezone, &p.LoggedInDraft); err != nil {
			return nil, nil, fmt.Errorf("horizon posts: %w", err)
		}
		at, err := scanTime(postedAt)
		if err != nil {
			return nil, nil, fmt.Errorf("horizon posts: posted_at of %s: %w", p.ID, err)
		}
		p.PostedAt = withOffset(at, offset)
		index[p.ID] = len(posts)
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("horizon posts: %w", err)
	}
	return posts, index, nil
}

// windowQuery builds SQLite's query of the bracketing snapshots. Each row is one snapshot
// with roles, a bit mask: bit 2k says it is the last at or before the horizon where value k is
// known (under Latest, the latest), bit 2k+1 that it is the first at or after it.
func windowQuery(workspaceID string, q experiments.HorizonQuery) (string, []any) {
	var values, roles []string
	var args []any
	for k, name := range q.Values {
		expr, exprArgs := valueExpr(DialectSQLite, name)
		values = append(values, fmt.Sprintf("%s AS v%d", expr, k))
		args = append(args, exprArgs...)
	}
	var roleArgs []any
	for k, name := range q.Values {
		expr, exprArgs := valueExpr(DialectSQLite, name)
		known := expr + " IS NOT NULL"
		if q.Latest {
			roles = append(roles, fmt.Sprintf("CASE WHEN s.observed_at = max(s.observed_at) FILTER (WHERE %s) OVER w THEN %d ELSE 0 END", known, int64(1)<<(2*k)))
			roleArgs = append(roleArgs, exprArgs...)
			continue
		}
		before, after := sqliteHorizonConditions(q.Horizon)
		roles = append(roles,
			fmt.Sprintf("CASE WHEN s.observed_at = max(s.observed_at) FILTER (WHERE %s AND %s) OVER w THEN %d ELSE 0 END", known, before, int64(1)<<(2*k)),
			fmt.Sprintf("CASE WHEN s.observed_at = min(s.observed_at) FILTER (WHERE %s AND %s) OVER w THEN %d ELSE 0 END", known, after, int64(1)<<(2*k+1)))
		roleArgs = append(roleArgs, exprArgs...)
		roleArgs = append(roleArgs, exprArgs...)
	}
	args = append(args, roleArgs...)
	scope, scopeArgs := horizonScope(workspaceID, q)
	args = append(args, scopeArgs...)
	cols := make([]string, len(q.Values))
	for k := range cols {
		cols[k] = fmt.Sprintf("x.v%d", k)
	}
	query := `SELECT x.post_id, x.observed_at, x.roles, ` + strings.Join(cols, ", ") + `
FROM (
	SELECT s.post_id, s.observed_at, ` + strings.Join(values, ", ") + `,
		` + strings.Join(roles, "\n\t\t+ ") + ` AS roles
	FROM posts p JOIN snapshots s ON s.post_id = p.id
	WHERE ` + scope + `
	WINDOW w AS (PARTITION BY s.post_id)
) x
WHERE x.roles <> 0`
	return query, args
}

// valueExpr is the SQL of one value of a snapshot s, as a double, NULL when unknown (for
// engagements, the sum of the parts it has, NULL only when it has none; SnapshotPresence is 1
// in every snapshot). Names are checked by the domain; custom names are bound as parameters
// all the same.
func valueExpr(dialect, name string) (string, []any) {
	real := "double precision"
	if dialect == DialectSQLite {
		real = "REAL"
	}
	if custom, ok := strings.CutPrefix(name, "custom."); ok {
		if dialect == DialectSQLite {
			return "CAST(json_extract(s.custom, ?) AS REAL)", []any{"$." + custom}
		}
		return "CAST(CAST(s.custom AS jsonb) ->> ? AS double precision)", []any{custom}
	}
	if name == experiments.SnapshotPresence {
		return "CAST(1 AS " + real + ")", nil
	}
	if name == "engagements" {
		// Summed as doubles: four counts near the BIGINT limit would overflow the sum.
		parts := make([]string, len(experiments.EngagementParts))
		none := make([]string, len(experiments.EngagementParts))
		for i, c := range experiments.EngagementParts {
			parts[i] = "COALESCE(CAST(s." + c + " AS " + real + "), 0)"
			none[i] = "s." + c + " IS NULL"
		}
		return "(CASE WHEN " + strings.Join(none, " AND ") + " THEN NULL ELSE " + strings.Join(parts, " + ") + " END)", nil
	}
	return "CAST(s." + snapshotColumn(name) + " AS " + real + ")", nil
}

// snapshotColumn returns the column of a built-in metric; the name is one the domain has
// checked against experiments.SnapshotMetrics, so a name that is not a column is a
// programming error.
func snapshotColumn(name string) string {
	if sm, ok := experiments.SnapshotMetricByName(name); ok {
		return sm.Name
	}
	panic(fmt.Sprintf("store: %q is not a snapshot metric column", name))
}

// sqliteHorizonConditions say that a snapshot's age (observed_at − posted_at) is at most, and
// at least, the horizon, to the microsecond. SQLite keeps timestamps as text in one format
// ("2006-01-02 15:04:05.999999-07:00", always in UTC: see dbTime), and its date functions
// round to the millisecond, so the age is computed in whole microseconds from the text: the
// seconds by unixepoch, the fraction from its digits.
func sqliteHorizonConditions(h time.Duration) (before, after string) {
	us := h.Microseconds()
	age := "(" + sqliteMicros("s.observed_at") + " - " + sqliteMicros("p.posted_at") + ")"
	return fmt.Sprintf("%s <= %d", age, us), fmt.Sprintf("%s >= %d", age, us)
}

// sqliteMicros is the SQLite expression of a stored timestamp in microseconds since 1970.
func sqliteMicros(col string) string {
	return fmt.Sprintf("(unixepoch(substr(%[1]s, 1, 19)) * 1000000 + CAST(substr(substr(%[1]s, 21, max(length(%[1]s) - 26, 0)) || '000000', 1, 6) AS INTEGER))", col)
}

// scanBrackets fills brackets from the rows of windowQuery.
func scanBrackets(rows *sql.Rows, q experiments.HorizonQuery, index map[string]int, brackets []experiments.Bracket) error {
	n := len(q.Values)
	values := make([]sql.NullFloat64, n)
	dest := make([]any, 3+n)
	var postID string
	var observed any
	var roles int64
	dest[0], dest[1], dest[2] = &postID, &observed, &roles
	for k := range values {
		dest[3+k] = &values[k]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		i, ok := index[postID]
		if !ok {
			continue // a post logged after the posts were read
		}
		at, err := scanTime(observed)
		if err != nil {
			return fmt.Errorf("observed_at of post %s: %w", postID, err)
		}
		for k := range n {
			if !values[k].Valid {
				continue
			}
			r := experiments.Reading{Found: true, ObservedAt: at, Value: values[k].Float64}
			b := &brackets[i*n+k]
			if roles&(1<<(2*k)) != 0 {
				b.Before = r
			}
			if roles&(1<<(2*k+1)) != 0 {
				b.After = r
			}
		}
	}
	return rows.Err()
}

// sqliteTimeLayout is how the SQLite driver writes a time.Time; dbTime makes it UTC.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

// scanTime reads a timestamp column: a time.Time from PostgreSQL, or from SQLite either that
// or the stored text, which the driver leaves as it is when a column has no declared type.
func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		return parseStoredTime(t)
	case []byte:
		return parseStoredTime(string(t))
	}
	return time.Time{}, fmt.Errorf("unexpected timestamp %T", v)
}

func parseStoredTime(s string) (time.Time, error) {
	t, err := time.Parse(sqliteTimeLayout, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC(), err
}
