package experiments

import (
	"fmt"
	"time"
)

// The range of times postlab stores. Both databases store and read back every instant in it
// (PostgreSQL's timestamptz and Go's reading of it, SQLite's text form), and every time in it
// prints as RFC 3339 with a four-digit year. Outside it lie the values that were stored but
// could not be read: year 10000 after conversion to UTC, years 0 and below on SQLite.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// MaxOffset bounds a time's offset from UTC: RFC 3339 allows +24:00, which Go reads but
// cannot print back, and PostgreSQL does not take.
const MaxOffset = 24*time.Hour - time.Minute

// MaxFutureLead is how far ahead of the service clock a post may be dated: a post is logged
// once it is published, and a day covers clocks that disagree.
const MaxFutureLead = 24 * time.Hour

// Precision is how finely times are kept: both databases store microseconds. Times are cut to
// it where they enter (a request's times, the service's clock), so the answer to a write gives
// each time as every later read does.
const Precision = time.Microsecond

// TimeRangeText says the range in a sentence, for messages.
const TimeRangeText = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, with an offset within ±23:59"

// TimeProblem says what keeps t from being stored, or "" when it can be.
func TimeProblem(t time.Time) string {
	_, offset := t.Zone()
	if offset < 0 {
		offset = -offset
	}
	if time.Duration(offset)*time.Second > MaxOffset {
		return "has an offset beyond ±23:59; it must be " + TimeRangeText
	}
	if t.Before(MinTime) || t.After(MaxTime) {
		return "is out of range; it must be " + TimeRangeText
	}
	return ""
}

// CheckTime is TimeProblem as an EINVALID error naming field, or nil.
func CheckTime(field string, t time.Time) error {
	if p := TimeProblem(t); p != "" {
		return Invalid(FieldError{field, p})
	}
	return nil
}

// postedAtProblem adds the rule for when a post was published to TimeProblem: not more than
// MaxFutureLead after now.
func postedAtProblem(t, now time.Time) string {
	if p := TimeProblem(t); p != "" {
		return p
	}
	if t.Sub(now) > MaxFutureLead {
		return fmt.Sprintf("is more than a day in the future (the service's clock says %s); log a post once it is published",
			now.UTC().Format(time.RFC3339))
	}
	return ""
}
