package store

import (
	"database/sql"
	"fmt"
	"strings"

	"postlab/experiments"
)

// learningSQL holds the dialect's JSON expressions for the search of conclusions. The decision
// column holds the conclusion as JSON, with the frozen report: only its few small fields are
// read, never the whole document.
type learningSQL struct {
	decision string // a join exposing c.result, c.winner_variant_key, c.summary and c.learning
	factor   string // EXISTS: the experiment's factors include ?
	level    string // EXISTS: a variant's level (lowercased) is ?; "%s" takes an extra condition
	levelOf  string // the extra condition: the level is of factor ?
}

var learningDialects = map[string]learningSQL{
	// jsonb_to_record parses each decision once and names its fields.
	DialectPostgres: {
		decision: `LEFT JOIN LATERAL jsonb_to_record(CAST(e.decision AS jsonb))
	AS c(result text, winner_variant_key text, summary text, learning text) ON TRUE`,
		factor: `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CAST(e.factors AS jsonb)) AS f(name) WHERE f.name = ?)`,
		level: `EXISTS (SELECT 1 FROM variants lv CROSS JOIN LATERAL jsonb_each_text(CAST(lv.levels AS jsonb)) AS l(factor, level)
	WHERE lv.experiment_id = e.id AND LOWER(l.level) = ?%s)`,
		levelOf: " AND l.factor = ?",
	},
	DialectSQLite: {
		// SQLite has no LATERAL: a derived table of the same rows, which its planner flattens.
		decision: `JOIN (SELECT id AS decision_of, json_extract(decision, '$.result') AS result,
	json_extract(decision, '$.winner_variant_key') AS winner_variant_key,
	json_extract(decision, '$.summary') AS summary, json_extract(decision, '$.learning') AS learning
	FROM experiments) AS c ON c.decision_of = e.id`,
		factor: `EXISTS (SELECT 1 FROM json_each(e.factors) AS f WHERE f.value = ?)`,
		level: `EXISTS (SELECT 1 FROM variants lv, json_each(lv.levels) AS l
	WHERE lv.experiment_id = e.id AND LOWER(l.value) = ?%s)`,
		levelOf: " AND l.key = ?",
	},
}

// likeEscaper escapes LIKE's wildcards so that a search term matches as it is typed.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchLearnings finds the workspace's concluded and archived experiments that match f, the
// most recently concluded first, in one query: the text is searched with LOWER(…) LIKE, and the
// factor, level and account filters are EXISTS subqueries on the experiment's factors, its
// variants' levels and its posts.
func (t *tx) SearchLearnings(workspaceID string, f experiments.LearningFilter) ([]experiments.Learning, error) {
	d := learningDialects[t.dialect]
	where := []string{"e.workspace_id = ?", "e.status IN ('concluded', 'archived')", "e.concluded_at IS NOT NULL"}
	args := []any{workspaceID}
	if f.Platform != "" {
		where = append(where, "e.platform = ?")
		args = append(args, f.Platform)
	}
	if f.Query != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(f.Query)) + "%"
		var anyOf []string
		for _, col := range []string{"e.name", "e.hypothesis", "c.summary", "c.learning"} {
			anyOf = append(anyOf, "LOWER(COALESCE("+col+", '')) LIKE ? ESCAPE '\\'")
			args = append(args, pattern)
		}
		where = append(where, "("+strings.Join(anyOf, " OR ")+")")
	}
	if f.Factor != "" {
		where = append(where, d.factor)
		args = append(args, strings.ToLower(f.Factor))
	}
	if f.Level != "" {
		extra := ""
		args = append(args, strings.ToLower(f.Level))
		if f.Factor != "" {
			extra = d.levelOf
			args = append(args, strings.ToLower(f.Factor))
		}
		where = append(where, fmt.Sprintf(d.level, extra))
	}
	if f.Account != "" {
		where = append(where, "EXISTS (SELECT 1 FROM posts ap WHERE ap.experiment_id = e.id AND LOWER(ap.account) = ?)")
		args = append(args, strings.ToLower(f.Account))
	}
	if f.Page.After != "" {
		at, id, err := experiments.ParseLearningPosition(f.Page.After)
		if err != nil {
			return nil, err
		}
		where = append(where, "(e.concluded_at < ? OR (e.concluded_at = ? AND e.id < ?))")
		args = append(args, dbTime(at), dbTime(at), id)
	}
	query := `SELECT e.id, e.key, e.name, e.hypothesis, e.platform, e.status, e.concluded_at, e.factors,
	c.result, c.winner_variant_key, c.summary, c.learning, w.levels
FROM experiments e
` + d.decision + `
LEFT JOIN variants w ON w.experiment_id = e.id AND w.key = c.winner_variant_key
WHERE ` + strings.Join(where, "\n\tAND ") + `
ORDER BY e.concluded_at DESC, e.id DESC`
	if f.Page.Limit > 0 {
		query += fmt.Sprintf("\nLIMIT %d", f.Page.Limit)
	}
	rows, err := t.db.Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("search learnings: %w", err)
	}
	defer rows.Close()
	list := []experiments.Learning{}
	for rows.Next() {
		l, err := scanLearning(rows)
		if err != nil {
			return nil, fmt.Errorf("search learnings: %w", err)
		}
		list = append(list, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search learnings: %w", err)
	}
	return list, nil
}

func scanLearning(rows *sql.Rows) (experiments.Learning, error) {
	var l experiments.Learning
	var concludedAt any
	var status, factors string
	var result, winner, summary, learning, levels sql.NullString
	if err := rows.Scan(&l.ExperimentID, &l.Key, &l.Name, &l.Hypothesis, &l.Platform, &status, &concludedAt,
		&factors, &result, &winner, &summary, &learning, &levels); err != nil {
		return l, err
	}
	at, err := storedInstant(concludedAt)
	if err != nil {
		return l, fmt.Errorf("concluded_at of %s: %w", l.ExperimentID, err)
	}
	l.Status, l.ConcludedAt = experiments.Status(status), at
	l.Result, l.Summary, l.Learning = result.String, summary.String, learning.String
	if winner.Valid && winner.String != "" {
		l.WinnerVariantKey = &winner.String
	}
	l.Factors, l.WinnerLevels = []string{}, map[string]string{}
	if err := decodeJSON(&factors, &l.Factors); err != nil {
		return l, fmt.Errorf("factors of %s: %w", l.ExperimentID, err)
	}
	if levels.Valid {
		if err := decodeJSON(&levels.String, &l.WinnerLevels); err != nil {
			return l, fmt.Errorf("levels of the winner of %s: %w", l.ExperimentID, err)
		}
	}
	return l, nil
}
