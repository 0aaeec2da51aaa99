package experiments

import (
	"math"
	"time"
)

// HorizonQuery asks the store for what decides each post's value at the horizon (SPEC §1):
// for every value named, the last snapshot at or before the horizon where that value is known
// and the first one at or after it. Only those snapshots matter, so only they are read.
type HorizonQuery struct {
	// ExperimentID names the experiment whose posts are read. Left empty, the posts are
	// instead the workspace's on Platform published before PostedBefore, whatever their
	// experiment (the history a plan is sized from).
	ExperimentID string
	Platform     string
	PostedBefore time.Time
	// Values are count or mean metrics, engagements or custom.NAME (a ratio metric asks for
	// its numerator and its denominator), or SnapshotPresence.
	Values []string
	// Horizon is the post age compared, cut to the microsecond; ignored when Latest.
	Horizon time.Duration
	// Latest asks instead for each post's latest snapshot where the value is known.
	Latest bool
}

// SnapshotPresence is a value every snapshot has (1): its bracket says whether a post has a
// snapshot near the horizon at all, whatever the snapshot holds.
const SnapshotPresence = "snapshot"

// HorizonPost is a post as the report sees it.
type HorizonPost struct {
	ID            string
	VariantID     string
	Account       string
	PostedAt      time.Time // in the offset it was logged with
	Timezone      string
	LoggedInDraft bool
}

// Reading is one snapshot's value of one metric; Found is false when there is no such
// snapshot.
type Reading struct {
	Found      bool
	ObservedAt time.Time
	Value      float64
}

// Bracket is what the horizon rule needs of one post and one value: the last snapshot at or
// before the horizon (under horizon=latest, the latest snapshot) and the first one at or after
// it (unused under horizon=latest).
type Bracket struct {
	Before, After Reading
}

// HorizonData answers a HorizonQuery: every post of the experiment (or of the history asked
// for), and for post i and value k of the query, Brackets[i*len(Values)+k].
type HorizonData struct {
	Posts    []HorizonPost
	Brackets []Bracket
}

// Bracket returns post i's bracket for value k of nValues.
func (d HorizonData) Bracket(i, k, nValues int) Bracket { return d.Brackets[i*nValues+k] }

// HorizonDuration turns hours into the horizon the store compares ages with, cut to the
// microsecond both databases keep.
func HorizonDuration(hours float64) time.Duration {
	return time.Duration(math.Round(hours*3600*1e6)) * time.Microsecond
}

// HorizonRule is SPEC §1's rule for a post's value at the horizon: at one age, or (Latest)
// each post at its latest snapshot.
type HorizonRule struct {
	Latest    bool
	Age       time.Duration // H, cut to the microsecond (HorizonDuration)
	Tolerance float64       // the nearest snapshot counts when within Tolerance × H of H
}

// ValueAt applies the rule to one post's bracket: linear interpolation between the last
// snapshot at or before H and the first at or after it (a snapshot at exactly H is taken as it
// is); else the one snapshot on one side, when its age is within Tolerance × H of H. Under
// Latest it is the latest snapshot. ok is false when the post is left out.
func (h HorizonRule) ValueAt(b Bracket, postedAt time.Time) (float64, bool) {
	if h.Latest {
		return b.Before.Value, b.Before.Found
	}
	before, after := b.Before, b.After
	ageBefore := before.ObservedAt.Sub(postedAt)
	ageAfter := after.ObservedAt.Sub(postedAt)
	switch {
	case before.Found && after.Found:
		if ageBefore == h.Age || ageAfter == ageBefore {
			return before.Value, true
		}
		if ageAfter == h.Age {
			return after.Value, true
		}
		w := float64(h.Age-ageBefore) / float64(ageAfter-ageBefore)
		return before.Value + w*(after.Value-before.Value), true
	case before.Found && h.near(ageBefore):
		return before.Value, true
	case after.Found && h.near(ageAfter):
		return after.Value, true
	}
	return 0, false
}

// near reports whether a snapshot of that age is within Tolerance × H of H.
func (h HorizonRule) near(age time.Duration) bool {
	return math.Abs(float64(age-h.Age)) <= h.Tolerance*float64(h.Age)
}
