package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// allocation compares every post logged per variant with the planned shares
// (experiments.PlannedShares).
func allocation(in reportInput) Allocation {
	a := Allocation{Counts: map[string]int{}, ExpectedWeights: map[string]float64{}}
	counts := make([]float64, len(in.variants))
	for _, vi := range in.variant {
		if vi >= 0 {
			counts[vi]++
		}
	}
	weights := experiments.PlannedShares(in.variants)
	for i, v := range in.variants {
		a.Counts[v.Key] = int(counts[i])
		a.ExpectedWeights[v.Key] = weights[i]
	}
	chi, err := stats.ChiSquareGOF(counts, weights)
	if err != nil {
		a.Reason = reasonOf(err)
		return a
	}
	a.ChiSquare = &ChiSquareResult{Statistic: num(chi.Statistic), DF: num(chi.DF), PValue: num(chi.PValue)}
	a.Mismatch = chi.PValue < mismatchP
	return a
}

// commonWarnings apply to every metric: the experiment's setup, the allocation, draft posts.
func commonWarnings(in reportInput, alloc Allocation) []Warning {
	var w []Warning
	switch {
	case len(in.variants) == 0:
		w = append(w, Warning{"no_variants", "The experiment has no variants: add a control and at least one variant to compare with it."})
	case in.control < 0:
		w = append(w, Warning{"no_control", "No variant is marked as the control, so nothing can be compared: mark the variant you post today as the control."})
	case len(in.variants) == 1:
		w = append(w, Warning{"one_variant", "The experiment has only its control: add a variant to compare with it."})
	}
	if len(in.variants) > 0 && len(in.posts) == 0 {
		w = append(w, Warning{"no_posts", "No posts have been logged yet: log each post against its variant, then snapshots of its numbers as they grow."})
	}
	if alloc.Mismatch {
		w = append(w, Warning{"allocation_mismatch", fmt.Sprintf(
			"The posts per variant (%s) depart from the planned shares (chi-square %s): check that posts are assigned to variants as planned and that none went unlogged.",
			countsText(in, alloc), formatP(*alloc.ChiSquare.PValue))})
	}
	drafts := 0
	for _, p := range in.posts {
		if p.LoggedInDraft {
			drafts++
		}
	}
	w = append(w, planWarnings(in)...)
	if drafts > 0 {
		w = append(w, Warning{"draft_posts", fmt.Sprintf(
			"%s logged while the experiment was still a draft: check that %s published as the variants planned, or delete %s.",
			plural(drafts, "post was", "posts were"), pick(drafts, "it was", "they were"), pick(drafts, "it", "them"))})
	}
	return w
}

func countsText(in reportInput, alloc Allocation) string {
	parts := make([]string, len(in.variants))
	for i, v := range in.variants {
		parts[i] = fmt.Sprintf("%s %d", v.Key, alloc.Counts[v.Key])
	}
	return strings.Join(parts, ", ")
}

// sampleWarnings say which posts the horizon rule left out, which variants have too few
// posts, and, under horizon=latest, how far apart the posts' ages are.
func sampleWarnings(in reportInput, m metricSpec, arms []*arm) []Warning {
	var w []Warning
	h := in.st.horizon
	hours := formatHours(h.Age)
	var immature, unobserved int
	for _, a := range arms {
		immature += a.immature
		unobserved += a.unobserved
	}
	if immature > 0 {
		w = append(w, Warning{"immature_posts", fmt.Sprintf(
			"%s younger than %s hours and left out; %s once %s %s hours old, or ask for horizon=latest to see %s now.",
			plural(immature, "post is", "posts are"), hours, pick(immature, "it will count", "they will count"),
			pick(immature, "it is", "they are"), hours, pick(immature, "it", "them"))})
	}
	missing := map[string]int{}
	for _, a := range arms {
		for v, n := range a.missing {
			missing[v] += n
		}
	}
	if n := sumCounts(missing); n > 0 {
		w = append(w, Warning{"unobserved_posts", fmt.Sprintf(
			"%s a snapshot near the horizon without %s, and %s left out: log %s with every snapshot.",
			plural(n, "post has", "posts have"), lackingNames(missing), pick(n, "was", "were"), lackingNames(missing))})
	}
	if rest := unobserved - sumCounts(missing); rest > 0 {
		if h.Latest {
			w = append(w, Warning{"unobserved_posts", fmt.Sprintf(
				"%s no snapshot with %s and %s left out: log %s numbers.",
				plural(rest, "post has", "posts have"), metricLabel(m.name), pick(rest, "was", "were"), pick(rest, "its", "their"))})
		} else {
			w = append(w, Warning{"unobserved_posts", fmt.Sprintf(
				"%s no snapshot within %s hours of the %s-hour mark and %s left out: log a snapshot about %s hours after each post.",
				plural(rest, "post has", "posts have"), formatHours(time.Duration(h.Tolerance*float64(h.Age))), hours,
				pick(rest, "was", "were"), hours)})
		}
	}
	for _, a := range arms {
		if len(a.obs) < 2 && (in.control >= 0 && len(arms) >= 2) {
			w = append(w, Warning{"too_few_posts", fmt.Sprintf(
				"%s has %s with %s at the horizon; at least 2 are needed to compare it: log more posts of it.",
				a.v.Name, plural(len(a.obs), "post", "posts"), metricLabel(m.name))})
		}
	}
	if h.Latest {
		if lo, hi, ok := ageRange(arms); ok && hi > lo {
			w = append(w, Warning{"unequal_ages", fmt.Sprintf(
				"horizon=latest compares each post at its latest snapshot, and their ages range from %s to %s hours: older posts have had longer to grow, so compare at a fixed horizon for a fair test.",
				formatHours(lo), formatHours(hi))})
		}
	}
	return w
}

func ageRange(arms []*arm) (lo, hi time.Duration, ok bool) {
	for _, a := range arms {
		for _, o := range a.obs {
			if !ok || o.age < lo {
				lo = o.age
			}
			if !ok || o.age > hi {
				hi = o.age
			}
			ok = true
		}
	}
	return lo, hi, ok
}

// lackingNames lists the values missing from snapshots: "likes", or "likes (3) or views (2)".
func lackingNames(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) == 1 {
		return metricLabel(names[0])
	}
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s (%d)", metricLabel(k), m[k])
	}
	return strings.Join(parts, " or ")
}

// notEnoughDataWarning says why a comparison could not be made and what to do next.
func notEnoughDataWarning(in reportInput, m metricSpec, arms []*arm, c Comparison) Warning {
	control := in.variants[in.control]
	name := c.Key
	for _, a := range arms {
		if a.v.Key == c.Key {
			name = a.v.Name
		}
	}
	next := "log more posts of both"
	switch {
	case strings.Contains(c.Reason, "account"):
		next = "post both variants on the same accounts, at least 2 of each per account, so that they can be compared within an account"
	case c.PostsNeeded != nil:
		next = fmt.Sprintf("about %d posts of each would detect a %s change", *c.PostsNeeded, percent(in.e.MDE))
	}
	return Warning{"not_enough_data", fmt.Sprintf("%s cannot be compared with %s on %s yet (%s): %s.",
		name, control.Name, metricLabel(m.name), c.Reason, next)}
}

// outlierWarnings flag posts whose outcome g (log1p of a count, a rate, a mean) is beyond
// Q3 + 3·IQR of their own variant.
func outlierWarnings(m metricSpec, arms []*arm) []Warning {
	total := 0
	var where []string
	for _, a := range arms {
		if len(a.obs) < outlierMinPosts {
			continue
		}
		logs := a.outcomes()
		slices.Sort(logs) // Quantile sorts a copy: sorted, that is one pass
		q1, q3 := stats.Quantile(logs, 0.25), stats.Quantile(logs, 0.75)
		limit := q3 + outlierIQRs*(q3-q1)
		n := 0
		for _, x := range logs {
			if x > limit {
				n++
			}
		}
		if n > 0 {
			total += n
			where = append(where, fmt.Sprintf("%d in %s", n, a.v.Name))
		}
	}
	if total == 0 {
		return nil
	}
	far := "far more " + metricLabel(m.name)
	if m.kind != experiments.KindCount {
		far = "a far higher " + metricLabel(m.name)
	}
	return []Warning{{"outliers", fmt.Sprintf(
		"%s %s than the rest of %s variant (%s): check for a logging mistake or a one-off viral post; the Mann–Whitney check is less swayed by such posts.",
		plural(total, "post has", "posts have"), far, pick(total, "its", "their"), strings.Join(where, ", "))}}
}

// weekdayWarnings check, when the posting time is not itself a factor, that the variants were
// posted on the same days of the week (chi-square on weekday × variant, in each post's local
// time), since the day alone can change how a post does.
func weekdayWarnings(in reportInput, arms []*arm) []Warning {
	if slices.Contains(in.e.Factors, "post_time") {
		return nil
	}
	table := make([][]float64, 7)
	for d := range table {
		table[d] = make([]float64, len(arms))
	}
	zones := map[string]*time.Location{}
	for vi, a := range arms {
		for _, o := range a.obs {
			table[localWeekday(in.posts[o.post], zones)][vi]++
		}
	}
	chi, err := stats.ChiSquareIndependence(table)
	if err != nil || !(chi.PValue < weekdayP) {
		return nil
	}
	return []Warning{{"weekday_imbalance", fmt.Sprintf(
		"The variants were posted on different days of the week (chi-square %s): the day alone can change how a post does, so spread every variant over the same days (a posting schedule does this).",
		formatP(chi.PValue))}}
}

// localWeekday is the day of the week the post went out where it was posted: in its IANA
// time zone when it has one, else at the offset it was logged with.
func localWeekday(p experiments.HorizonPost, zones map[string]*time.Location) time.Weekday {
	if p.Timezone == "" {
		return p.PostedAt.Weekday()
	}
	loc, ok := zones[p.Timezone]
	if !ok {
		var err error
		if loc, err = time.LoadLocation(p.Timezone); err != nil {
			loc = nil
		}
		zones[p.Timezone] = loc
	}
	if loc == nil {
		return p.PostedAt.Weekday()
	}
	return p.PostedAt.In(loc).Weekday()
}

// formatHours writes a duration in hours, to two decimals at most: "24", "6.5".
func formatHours(d time.Duration) string {
	h := math.Round(d.Hours()*100) / 100
	return trimFloat(h)
}

// plainLimit is the magnitude from which numbers in report text are written in scientific
// form: "%.2f" of 1e308 would be 300 digits long.
const plainLimit = 1e9

// trimFloat writes x with at most two decimals and no trailing zeros; a number too large for
// plain digits (or NaN, ±Inf) gets three significant digits.
func trimFloat(x float64) string {
	if !(math.Abs(x) < plainLimit) {
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// plural writes n with the singular or plural form: "1 post", "3 posts".
func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pick(n, one, many))
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
