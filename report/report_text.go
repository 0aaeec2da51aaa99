package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"postlab/experiments"
	"postlab/stats"
)

// summary is the one plain sentence a comms officer reads, e.g. "Evening video got 48% more
// views than Morning video (95% CI +12% to +95%); this is unlikely to be chance (p = 0.004)."
func summary(in reportInput, m metricSpec, control, treatment *arm, c *Comparison, v verdict) string {
	prefix := ""
	if c.Exploratory {
		prefix = fmt.Sprintf("Exploratory (a secondary metric; only %s decides): ", metricLabel(in.e.PrimaryMetric))
	}
	name, base := treatment.v.Name, control.v.Name
	if !v.all.ok {
		return prefix + fmt.Sprintf("There is not enough data yet to compare %s with %s on %s: %s.",
			name, base, metricLabel(m.name), v.all.reason)
	}
	typical := m.kind == experiments.KindCount && (zeroHeavy(control) || zeroHeavy(treatment))
	change := changeClause(m, name, base, v.all.t, v.all.liftOK, typical) + " (" + ciText(in, c) + ")"
	p := formatP(*c.PValue)
	if c.PAdjusted != nil && *c.PAdjusted != *c.PValue {
		p = formatP(*c.PAdjusted) + ", adjusted for the comparisons with the control"
	}
	switch {
	case in.st.whatIf:
		return prefix + fmt.Sprintf("What-if report at alpha %s with correction %s: %s (%s); a what-if report decides nothing, the experiment is decided at its own alpha %s with %s.",
			trimFloat(in.st.alpha), in.st.correction, change, p, trimFloat(in.e.Alpha), in.e.Correction)
	case in.e.PlannedPostsPerVariant == nil:
		return prefix + unplannedSentence(in, c, change, p)
	case v.decidedAt >= 0:
		return prefix + decidedSentence(m, name, base, c, v, typical)
	case v.final:
		return prefix + fmt.Sprintf("%s, %s: no difference of the planned size (%s) was found by the last planned look, at %d posts of each.",
			change, p, percent(in.e.MDE), *in.e.PlannedPostsPerVariant)
	}
	// Before the first look, or with no look crossed, a small p on all posts is not yet a
	// verdict: the planned looks' thresholds are what keep peeking honest.
	s := fmt.Sprintf("%s so far (%s); it is too early to call", change, p)
	if len(v.looks) > 0 {
		s = fmt.Sprintf("%s so far (%s), not yet clear enough at the planned looks to rule out chance", change, p)
	}
	if v.nextLook > 0 {
		s += fmt.Sprintf("; the next look comes when each variant has %d posts with a value", v.nextLook)
	}
	return prefix + s + "."
}

// unplannedSentence is the sentence of an experiment without a plan, decided as in SPEC §3.
func unplannedSentence(in reportInput, c *Comparison, change, p string) string {
	if c.Decision == DecisionBetter || c.Decision == DecisionWorse {
		return fmt.Sprintf("%s; this is unlikely to be chance (%s).", change, p)
	}
	s := fmt.Sprintf("%s, but this could well be chance (%s)", change, p)
	if c.PostsNeeded != nil {
		s += fmt.Sprintf("; about %d posts of each would tell a %s change apart", *c.PostsNeeded, percent(in.e.MDE))
	}
	return s + "."
}

// decidedSentence gives the verdict with the deciding look's estimate, and says so when the
// estimate on all current posts points the other way.
func decidedSentence(m metricSpec, name, base string, c *Comparison, v verdict, typical bool) string {
	look, t := v.looks[v.decidedAt], v.lookTests[v.decidedAt]
	s := fmt.Sprintf("%s when the first %d posts of each were compared (look %d of %d); that crossed the planned threshold, so this is unlikely to be chance (%s, below the look's threshold of %s).",
		changeClause(m, name, base, t.t, t.liftOK, typical), look.PostsPerVariant, look.Look, reportLooks,
		formatP(*look.PValue), formatPlain(look.NominalLevel))
	if all := v.all.t.Estimate; all*t.t.Estimate < 0 {
		other := strconv.FormatFloat(all, 'g', 2, 64)
		if c.Lift != nil {
			other = signedPercent(*c.Lift)
		}
		s += fmt.Sprintf(" With all posts so far the estimate points the other way (%s): the decision stands, but look at the warnings before acting on it.", other)
	}
	return s
}

// ciText is the interval of the lift, or of the difference when there is no lift.
func ciText(in reportInput, c *Comparison) string {
	level := trimFloat((1 - in.st.alpha) * 100)
	if c.LiftCILow != nil && c.LiftCIHigh != nil {
		return fmt.Sprintf("%s%% CI %s to %s", level, signedPercent(*c.LiftCILow), signedPercent(*c.LiftCIHigh))
	}
	return fmt.Sprintf("%s%% CI of the difference %s to %s", level, signedNumber(*c.CILow), signedNumber(*c.CIHigh))
}

// zeroHeavy reports whether over 10% of the arm's counts are 0: the log-scale lift then
// describes the typical post rather than the total.
func zeroHeavy(a *arm) bool {
	zeros := 0
	for _, o := range a.obs {
		if o.y == 0 {
			zeros++
		}
	}
	return len(a.obs) > 0 && float64(zeros) > zerosShare*float64(len(a.obs))
}

// changeClause says how the treatment did: "Evening video got 48% more views than Morning
// video", "A typical post of Evening video got about as many views as one of Morning video",
// "Photo had a 12% lower engagement rate than Video".
func changeClause(m metricSpec, name, base string, t stats.TTest, liftOK, typical bool) string {
	label := metricLabel(m.name)
	if typical {
		name, base = "A typical post of "+name, "one of "+base
	}
	if !liftOK {
		return fmt.Sprintf("%s differs from %s on %s by %s", name, base, label, signedNumber(t.Estimate))
	}
	lift := t.Lift
	switch {
	case math.Abs(lift) < 0.0005 && m.kind == experiments.KindCount:
		return fmt.Sprintf("%s got about as many %s as %s", name, label, base)
	case math.Abs(lift) < 0.0005:
		return fmt.Sprintf("%s had about the same %s as %s", name, label, base)
	case m.kind == experiments.KindCount && lift > 0:
		return fmt.Sprintf("%s got %s more %s than %s", name, percent(lift), label, base)
	case m.kind == experiments.KindCount:
		return fmt.Sprintf("%s got %s fewer %s than %s", name, percent(-lift), label, base)
	case lift > 0:
		return fmt.Sprintf("%s had a %s higher %s than %s", name, percent(lift), label, base)
	}
	return fmt.Sprintf("%s had a %s lower %s than %s", name, percent(-lift), label, base)
}

// percent writes a fraction as a percentage: whole percents from 10%, one decimal below, and
// as many decimals as it takes not to show a non-zero change as 0% ("0.04%"). A percentage too
// large for plain digits (or NaN, ±Inf) gets three significant digits, so the text stays short
// whatever the number.
func percent(x float64) string {
	p := math.Abs(x * 100)
	if !(p < plainLimit) {
		return strconv.FormatFloat(p, 'g', 3, 64) + "%"
	}
	if p >= 9.95 {
		return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
	}
	digits := 1
	for digits < 12 && p != 0 && roundTo(p, digits) == 0 {
		digits++
	}
	s := strconv.FormatFloat(roundTo(p, digits), 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "%"
}

func roundTo(x float64, digits int) float64 {
	scale := math.Pow(10, float64(digits))
	return math.Round(x*scale) / scale
}

// signedPercent writes a lift with its sign, "+12%", "-0.3%"; an exact 0 is "0%", never "-0%".
func signedPercent(x float64) string {
	switch {
	case x > 0:
		return "+" + percent(x)
	case x < 0:
		return "-" + percent(-x)
	}
	return "0%"
}

// formatPlain writes a small positive number to 2 significant digits without an exponent:
// 0.0056, 0.0000051. Below 1e-7 or from plainLimit up it uses an exponent, so the text stays
// short whatever the number.
func formatPlain(x float64) string {
	if !(x >= 1e-7 && x < plainLimit) {
		return strconv.FormatFloat(x, 'g', 2, 64)
	}
	digits := max(0, 1-int(math.Floor(math.Log10(x))))
	return strconv.FormatFloat(x, 'f', digits, 64)
}

// signedNumber writes a difference with its sign, to 2 significant digits.
func signedNumber(x float64) string {
	s := strconv.FormatFloat(x, 'g', 2, 64)
	if x > 0 {
		return "+" + s
	}
	if x == 0 {
		return "0"
	}
	return s
}

// recommend picks the variant to go with on the primary metric alone (SPEC §3.1): the
// treatment that did better with the largest lift; the control when every treatment did worse;
// none while a comparison is open, in a what-if report, or when the primary metric is not in
// the report.
func recommend(in reportInput, metrics []MetricReport) Recommendation {
	primary := in.e.PrimaryMetric
	rec := Recommendation{Metric: primary}
	i := slices.IndexFunc(metrics, func(m MetricReport) bool { return m.Metric == primary })
	switch {
	case in.st.whatIf:
		rec.Reason = fmt.Sprintf("This is a what-if report (alpha %s, correction %s): it recommends nothing; the experiment's own report, at alpha %s with %s, decides.",
			trimFloat(in.st.alpha), in.st.correction, trimFloat(in.e.Alpha), in.e.Correction)
		return rec
	case i < 0:
		rec.Reason = fmt.Sprintf("Only the primary metric, %s, decides, and it is not in this report: ask for it to see the recommendation.", metricLabel(primary))
		return rec
	}
	mr := metrics[i]
	if len(mr.Comparisons) == 0 {
		rec.Reason = "Nothing can be compared yet: the experiment needs a control and at least one other variant, with posts."
		return rec
	}
	var best *Comparison
	worse := 0
	for i, c := range mr.Comparisons {
		switch c.Decision {
		case DecisionBetter:
			if best == nil || liftOrEstimate(c) > liftOrEstimate(*best) {
				best = &mr.Comparisons[i]
			}
		case DecisionWorse:
			worse++
		}
	}
	label := metricLabel(mr.Metric)
	switch {
	case best != nil:
		key := best.Key
		rec.VariantKey = &key
		rec.Reason = best.Summary
	case worse == len(mr.Comparisons):
		key := mr.Comparisons[0].ControlKey
		rec.VariantKey = &key
		rec.Reason = fmt.Sprintf("Every variant did worse than the control on %s: keep posting the way the control does.", label)
	case !slices.ContainsFunc(mr.Comparisons, func(c Comparison) bool { return !c.DecisionFinal }):
		rec.Reason = fmt.Sprintf("No variant beat the control on %s by the planned %s, and the experiment has had its last look: keep posting the way the control does, or plan a new experiment for a smaller change.",
			label, percent(in.e.MDE))
	default:
		rec.Reason = fmt.Sprintf("No variant has clearly beaten the control on %s yet: keep posting every variant as planned until %s.",
			label, untilText(in, mr.Comparisons))
	}
	return rec
}

func liftOrEstimate(c Comparison) float64 {
	if c.Lift != nil {
		return *c.Lift
	}
	if c.Estimate != nil {
		return *c.Estimate
	}
	return math.Inf(-1)
}

// untilText says how much more data an open experiment needs: its plan, or posts_needed.
func untilText(in reportInput, cs []Comparison) string {
	if p := in.e.PlannedPostsPerVariant; p != nil {
		return fmt.Sprintf("each has the planned %d posts with numbers at the horizon", *p)
	}
	need := 0
	for _, c := range cs {
		if c.PostsNeeded != nil && *c.PostsNeeded > need {
			need = *c.PostsNeeded
		}
	}
	if need == 0 {
		return "each has more posts with numbers at the horizon"
	}
	return fmt.Sprintf("each has about %d posts with numbers at the horizon", need)
}
