package stats

import (
	"fmt"
	"math"
)

// InsufficientDataError reports that a method cannot be run on the data it
// was given: too few values in a group, no variation, a missing or infinite
// value, and so on. Reason is a plain-language sentence meant to be shown to
// the person who supplied the data, e.g. "cannot test because the control
// group has fewer than 2 posts".
//
// Functions return it as a value. Both forms of errors.As work:
//
//	var e stats.InsufficientDataError   // or *stats.InsufficientDataError
//	if errors.As(err, &e) { show(e.Reason) }
type InsufficientDataError struct {
	Reason string
}

func (e InsufficientDataError) Error() string { return e.Reason }

// As lets errors.As fill a *InsufficientDataError target as well as an
// InsufficientDataError one.
func (e InsufficientDataError) As(target any) bool {
	if p, ok := target.(**InsufficientDataError); ok {
		c := e
		*p = &c
		return true
	}
	return false
}

// insufficient builds an InsufficientDataError from a format string.
func insufficient(format string, args ...any) error {
	return InsufficientDataError{Reason: fmt.Sprintf(format, args...)}
}

// errTooLarge is returned when a result would overflow float64: the inputs
// are finite but so large that sums of squares are not.
var errTooLarge = InsufficientDataError{Reason: "cannot compute because the values are too large to work with"}

// allFinite reports whether every value is neither NaN nor ±Inf.
func allFinite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// checkSample validates one group for a method that needs atLeast or more
// values, every one of them finite.
func checkSample(x []float64, group string, atLeast int) error {
	if len(x) < atLeast {
		if atLeast == 1 {
			return insufficient("cannot test because %s has no posts", group)
		}
		return insufficient("cannot test because %s has fewer than %d posts", group, atLeast)
	}
	for _, v := range x {
		if !allFinite(v) {
			return insufficient("cannot test because %s contains a missing or infinite value", group)
		}
	}
	return nil
}

// checkCounts validates values that go on the log1p scale, which needs them
// to be zero or more (counts).
func checkCounts(x []float64, group string) error {
	for _, v := range x {
		if v < 0 {
			return insufficient("cannot use the log scale because %s has a negative value", group)
		}
	}
	return nil
}

// checkAlpha validates a significance level.
func checkAlpha(alpha float64) error {
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("stats: alpha must be between 0 and 1, got %v", alpha)
	}
	return nil
}
