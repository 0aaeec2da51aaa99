package experiments

import (
	"fmt"
	"math"
	"strconv"
)

// summary is the one plain sentence a comms officer reads, e.g. "Evening video got 48% more
// views than Morning video (95% CI +12% to +95%); this is unlikely to be chance (p = 0.004)."
func summary(in reportInput, m metricSpec, control *arm, arms []*arm, c *Comparison) string {
	name := c.Key
	for _, a := range arms {
		if a.v.ID == c.VariantID {
			name = a.v.Name
		}
	}
	if c.Decision == DecisionNotEnoughData || c.LiftCILow == nil || c.LiftCIHigh == nil {
		return fmt.Sprintf("There is not enough data yet to compare %s with %s on %s: %s.",
			name, control.v.Name, metricLabel(m.name), c.Reason)
	}
	level := trimFloat((1 - in.st.alpha) * 100)
	change := fmt.Sprintf("%s %s than %s (%s%% CI %s to %s)", name, changeText(m, *c.Lift), control.v.Name,
		level, signedPercent(*c.LiftCILow), signedPercent(*c.LiftCIHigh))
	p := formatP(*c.PAdjusted)
	if *c.PAdjusted != *c.PValue {
		p += ", adjusted for the comparisons with the control"
	}
	if c.Decision != DecisionInconclusive {
		return fmt.Sprintf("%s; this is unlikely to be chance (%s).", change, p)
	}
	s := fmt.Sprintf("%s, but this could well be chance (%s)", change, p)
	if c.PostsNeeded != nil {
		s += fmt.Sprintf("; about %d posts of each would tell a %s change apart", *c.PostsNeeded, percent(in.e.MDE))
	}
	return s + "."
}

// changeText says how the treatment did: "got 48% more views", "had a 12% lower engagement
// rate".
func changeText(m metricSpec, lift float64) string {
	label := metricLabel(m.name)
	if math.Abs(lift) < 0.0005 {
		if m.kind == KindCount {
			return "got about as many " + label
		}
		return "had about the same " + label
	}
	if m.kind == KindCount {
		if lift > 0 {
			return fmt.Sprintf("got %s more %s", percent(lift), label)
		}
		return fmt.Sprintf("got %s fewer %s", percent(-lift), label)
	}
	if lift > 0 {
		return fmt.Sprintf("had a %s higher %s", percent(lift), label)
	}
	return fmt.Sprintf("had a %s lower %s", percent(-lift), label)
}

// percent writes a fraction as a percentage: whole percents, or one decimal below 10%. A
// percentage too large for plain digits (or NaN, ±Inf) gets three significant digits, so the
// text stays short whatever the number.
func percent(x float64) string {
	p := x * 100
	if !(math.Abs(p) < plainLimit) {
		return strconv.FormatFloat(p, 'g', 3, 64) + "%"
	}
	if math.Abs(p) < 9.95 {
		return trimFloat(math.Round(p*10)/10) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

func signedPercent(x float64) string {
	if x >= 0 {
		return "+" + percent(x)
	}
	return "-" + percent(-x)
}

// recommend picks the variant to go with on the primary metric (or the first metric of the
// report when the primary is not in it): the treatment that did better with the largest lift;
// the control when every treatment did worse; none while a comparison is open.
func recommend(in reportInput, metrics []MetricReport) Recommendation {
	if len(metrics) == 0 {
		return Recommendation{Reason: "No metric was reported."}
	}
	mr := metrics[0]
	for _, m := range metrics {
		if m.Metric == in.e.PrimaryMetric {
			mr = m
		}
	}
	rec := Recommendation{Metric: mr.Metric}
	if len(mr.Comparisons) == 0 {
		rec.Reason = "Nothing can be compared yet: the experiment needs a control and at least one other variant, with posts."
		return rec
	}
	var best *Comparison
	worse, open := 0, 0
	for i, c := range mr.Comparisons {
		switch c.Decision {
		case DecisionBetter:
			if best == nil || *c.Lift > *best.Lift {
				best = &mr.Comparisons[i]
			}
		case DecisionWorse:
			worse++
		default:
			open++
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
	default:
		rec.Reason = fmt.Sprintf("No variant has clearly beaten the control on %s yet: keep posting every variant as planned until %s.",
			label, untilText(mr.Comparisons))
	}
	return rec
}

// untilText says how much more data an open experiment needs.
func untilText(cs []Comparison) string {
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
