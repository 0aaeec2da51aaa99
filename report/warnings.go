package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"postlab/experiments"
	"postlab/stats"
)

// accountP is the chi-square p-value of account × variant below which the variants were
// posted on different accounts too unevenly to ignore.
const accountP = 0.01

// planWarnings say when the report cannot decide as SPEC §3.1 plans: an experiment without a
// plan, and a what-if report.
func planWarnings(in reportInput) []Warning {
	var w []Warning
	if in.e.PlannedPostsPerVariant == nil {
		w = append(w, Warning{"unplanned", "The experiment has no plan (planned_posts_per_variant), so it is decided as before plans existed: " +
			"on all posts at alpha, which opening the report often makes less reliable. Treat a verdict as a lead to confirm, " +
			"and give your next experiment a plan before it starts."})
	}
	if in.st.whatIf {
		w = append(w, Warning{"what_if", fmt.Sprintf(
			"This is a what-if report at alpha %s with correction %s, not the experiment's own (alpha %s, %s): it decides nothing and recommends nothing. "+
				"Open the report without alpha and correction to see the verdict.",
			trimFloat(in.st.alpha), in.st.correction, trimFloat(in.e.Alpha), in.e.Correction)})
	}
	return w
}

// dataWarnings say what in the snapshots may distort the metric: posts without a rate,
// counts that fell, wide interpolations, engagements of different parts.
func dataWarnings(in reportInput, m metricSpec, arms []*arm) []Warning {
	var w []Warning
	noRate, fell, wide := 0, map[string]int{}, 0
	var masks []uint8
	for _, a := range arms {
		noRate += a.noRate
		for _, o := range a.obs {
			if o.fell != "" {
				fell[o.fell]++
			}
			if o.wide {
				wide++
			}
			masks = append(masks, o.parts)
		}
	}
	if noRate > 0 {
		w = append(w, Warning{"no_rate", fmt.Sprintf(
			"%s no %s at the horizon (0 or missing), so no %s, and %s left out (n_no_rate): log %s with each snapshot.",
			plural(noRate, "post has", "posts have"), metricLabel(m.denominator), metricLabel(m.name),
			pick(noRate, "it is", "they are"), metricLabel(m.denominator))})
	}
	if n := sumCounts(fell); n > 0 {
		w = append(w, Warning{"counts_decrease", fmt.Sprintf(
			"%s a count that fell between the snapshots around the horizon (%s), though counts only grow: check those snapshots for a logging mistake, or a platform that removed fake views, and correct or delete them.",
			plural(n, "post has", "posts have"), countsByName(fell))})
	}
	if wide > 0 {
		w = append(w, Warning{"wide_interpolation", fmt.Sprintf(
			"For %s the value at the horizon was interpolated between snapshots more than %s hours apart, which guesses how it grew in between: log a snapshot closer to the %s-hour mark.",
			plural(wide, "post", "posts"), formatHours(in.st.horizon.age), formatHours(in.st.horizon.age))})
	}
	if m.usesEngagements() {
		w = append(w, engagementPartsWarnings(masks)...)
	}
	return w
}

// engagementPartsWarnings say when posts differ in which parts of engagements they have.
func engagementPartsWarnings(masks []uint8) []Warning {
	if len(masks) == 0 || !slices.ContainsFunc(masks, func(x uint8) bool { return x != masks[0] }) {
		return nil
	}
	lack := map[string]int{}
	for _, mask := range masks {
		for j, part := range experiments.EngagementParts {
			if mask&(1<<j) == 0 {
				lack[part]++
			}
		}
	}
	return []Warning{{"engagement_parts", fmt.Sprintf(
		"Engagements add up the likes, comments, shares and saves each post has, and the posts differ in which they have (%s lacking): "+
			"their engagements do not count the same things (TikTok exports have no saves, for one). Log the missing parts, or compare a part that every post has, such as likes.",
		countsByName(lack))}}
}

// accountImbalanceWarning checks that the variants were posted on the same accounts in the
// same shares (chi-square of account × variant over the posts with a value): an account's
// audience alone can change how a post does.
func accountImbalanceWarning(in reportInput, arms []*arm) []Warning {
	var accounts []string
	for _, a := range arms {
		for _, o := range a.obs {
			accounts = append(accounts, in.posts[o.post].Account)
		}
	}
	accounts = distinctStrings(accounts)
	if len(accounts) < 2 {
		return nil
	}
	table := make([][]float64, len(accounts))
	for i := range table {
		table[i] = make([]float64, len(arms))
	}
	for vi, a := range arms {
		for _, o := range a.obs {
			i, _ := slices.BinarySearch(accounts, in.posts[o.post].Account)
			table[i][vi]++
		}
	}
	chi, err := stats.ChiSquareIndependence(table)
	if err != nil || !(chi.PValue < accountP) {
		return nil
	}
	return []Warning{{"account_imbalance", fmt.Sprintf(
		"The variants were posted on the accounts in different shares (chi-square %s): each comparison is made within accounts, but the verdict rests most on the accounts that posted both. Post every variant on every account in the same shares (a posting schedule does this).",
		formatP(chi.PValue))}}
}

// comparisonWarnings are the warnings of one comparison: accounts left out or disagreeing,
// zero-heavy counts, and estimands that point different ways.
func comparisonWarnings(in reportInput, m metricSpec, control, treatment *arm, c Comparison) []Warning {
	var w []Warning
	name := treatment.v.Name
	if c.NExcluded > 0 {
		w = append(w, Warning{"account_unpaired", fmt.Sprintf(
			"%s of %s and %s %s left out of their comparison: %s of an account that did not post at least 2 of each. Post both variants on every account you use, or the comparison cannot use its posts.",
			plural(c.NExcluded, "post", "posts"), name, control.v.Name, pick(c.NExcluded, "is", "are"), pick(c.NExcluded, "it is", "they are"))})
	}
	if c.Pooled != nil && c.Pooled.QPValue != nil && len(c.Accounts) >= 2 && *c.Pooled.QPValue < disagreeQP {
		w = append(w, Warning{"accounts_disagree", fmt.Sprintf(
			"The accounts disagree about %s against %s (heterogeneity %s): the change differs from one account to another, so check by_account before applying the verdict to every account.",
			name, control.v.Name, formatP(*c.Pooled.QPValue))})
	}
	if m.kind != experiments.KindCount {
		return w
	}
	if zeroHeavy(control) || zeroHeavy(treatment) {
		w = append(w, zerosWarning(m, control, treatment, c))
	}
	if c.Estimate != nil && c.MannWhitney != nil && c.MannWhitney.HLShift != nil && *c.Estimate**c.MannWhitney.HLShift < 0 {
		w = append(w, Warning{"estimands_disagree", fmt.Sprintf(
			"For %s against %s, the typical post (log scale) and the shift between posts (Hodges–Lehmann, %s) point different ways: the change is not the same for small and large posts, so look at the variants' medians and means before deciding.",
			name, control.v.Name, signedNumber(*c.MannWhitney.HLShift))})
	}
	return w
}

// zerosWarning says that a count metric is zero-heavy: the lift then describes a typical post,
// so it gives the change in the mean and which way Mann–Whitney points as well.
func zerosWarning(m metricSpec, control, treatment *arm, c Comparison) Warning {
	label := metricLabel(m.name)
	meanText := "the mean cannot be compared"
	if ma, mb := mean(control.values()), mean(treatment.values()); ma > 0 && !math.IsNaN(mb) {
		meanText = "the mean changed by " + signedPercent(mb/ma-1)
	}
	way := "Mann–Whitney could not be run"
	if mw := c.MannWhitney; mw != nil && mw.ProbSuperiority != nil {
		switch ps := *mw.ProbSuperiority; {
		case ps > 0.5:
			way = fmt.Sprintf("Mann–Whitney finds %s's posts ahead %s of the time", treatment.v.Name, percent(ps))
		case ps < 0.5:
			way = fmt.Sprintf("Mann–Whitney finds %s's posts ahead %s of the time", control.v.Name, percent(1-ps))
		default:
			way = "Mann–Whitney finds neither ahead"
		}
	}
	var names []string
	for _, a := range []*arm{treatment, control} {
		if zeroHeavy(a) {
			names = append(names, a.v.Name)
		}
	}
	return Warning{"zeros", fmt.Sprintf(
		"Over 10%% of the posts of %s got no %s: the lift describes a typical post, not the total (%s; %s). If totals matter, weigh those too, and check that the posts with none were published and logged.",
		strings.Join(names, " and of "), label, meanText, way)}
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countsByName writes a count per name, in name order: "saves 12, comments 3".
func countsByName(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", metricLabel(k), m[k])
	}
	return strings.Join(parts, ", ")
}
