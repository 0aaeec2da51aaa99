package report

import (
	"time"

	"postlab/experiments"
)

// horizon is how the report compares posts: SPEC §1's rule (experiments.HorizonRule), at one
// age or each post at its latest snapshot.
type horizon struct{ experiments.HorizonRule }

// has reports whether the bracket gives the post a value at the horizon.
func (h horizon) has(b experiments.Bracket, postedAt time.Time) bool {
	_, ok := h.ValueAt(b, postedAt)
	return ok
}

// immature reports whether a post left out by the horizon rule is younger than H at the time
// of the report; the others are unobserved (old enough, but no snapshot near H).
func (h horizon) immature(postedAt, now time.Time) bool {
	return !h.Latest && now.Sub(postedAt) < h.Age
}
