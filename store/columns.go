package store

import (
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"

	"postlab/experiments"
)

// dbTime is how every timestamp is written: in UTC, cut to the microsecond that PostgreSQL
// keeps. SQLite stores timestamps as text, so one zone and one precision on both dialects make
// the same instant compare, sort and clash (snapshots are unique per observed_at) the same way.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := dbTime(*t)
	return &u
}

// createdAt is the creation time to store: t, or now when the caller left it zero.
func createdAt(t time.Time) time.Time {
	if t.IsZero() {
		return dbTime(time.Now())
	}
	return dbTime(t)
}

// utcPtr gives back a stored timestamp in UTC (pgx reads them in the local zone).
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// withOffset gives back a stored UTC instant in the zone offset (seconds east of UTC) it was
// written with.
func withOffset(t time.Time, offset int) time.Time {
	if offset == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", offset))
}

// encodeJSON encodes v for a NOT NULL TEXT column holding JSON; a nil slice or map is empty,
// "[]" or "{}" as the column's default says.
func encodeJSON(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

// encodeNullJSON encodes v for a nullable TEXT column holding JSON: nil is NULL.
func encodeNullJSON(v any) (*string, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// decodeJSON decodes a JSON column into v; an empty or NULL column leaves v as it is.
func decodeJSON(s *string, v any) error {
	if s == nil || *s == "" {
		return nil
	}
	return json.Unmarshal([]byte(*s), v)
}

// maxParams is how many bound parameters one statement may carry: PostgreSQL's wire protocol
// counts them in 16 bits, SQLite's SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32.
func maxParams(dialect string) int {
	if dialect == DialectPostgres {
		return 65535
	}
	return 32766
}

// maxInList is how many parameters an IN list of one query may hold. On SQLite, where the
// driver's binding takes time quadratic in the parameters, long lists are split.
func maxInList(dialect string) int {
	if dialect == DialectPostgres {
		return 10000
	}
	return 500
}

// whereIn keeps the rows of q whose column is one of values (which must be distinct). On
// PostgreSQL the values travel as one text[] parameter joined by unnest, so the planner can
// hash them: with "IN ($1 … $5000)" or "= ANY($1)" it scanned every post comparing it with every
// value (measured: 1.5 to 5.8 s for 5,000 external ids against 10,000 posts; milliseconds joined).
func whereIn(q *gorm.DB, dialect, column string, values []string) *gorm.DB {
	if dialect == DialectPostgres {
		return q.Joins("JOIN unnest(?::text[]) AS wanted(v) ON wanted.v = "+column, pgTextArray(values))
	}
	return q.Where(column+" IN ?", values)
}

// pgArrayEscaper escapes an element of a quoted array literal.
var pgArrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// pgTextArray writes values as a PostgreSQL array literal, quoting each element.
func pgTextArray(values []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(pgArrayEscaper.Replace(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// chunks splits n items into runs of at most size, calling fn with each run's bounds.
func chunks(n, size int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += size {
		if err := fn(lo, min(lo+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// paged applies a Page to q: rows after p.After in column order, at most p.Limit of them (no
// limit when it is 0).
func paged(q *gorm.DB, column string, p experiments.Page) *gorm.DB {
	if p.After != "" {
		q = q.Where(column+" > ?", p.After)
	}
	q = q.Order(column)
	if p.Limit > 0 {
		q = q.Limit(p.Limit)
	}
	return q
}
