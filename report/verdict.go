package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"postlab/experiments"
	"postlab/stats"
)

// Settings of SPEC §3.1.
const (
	reportLooks     = 4    // looks at a quarter, half, three quarters and all of the plan
	pairedMinPosts  = 2    // posts of each of the two variants an account needs to be paired
	lookMinPosts    = 3    // a look with fewer posts per variant is skipped
	zerosShare      = 0.10 // a count metric is zero-heavy when more of a variant's posts than this are 0
	disagreeQP      = 0.10 // accounts disagree when meta_dl's Q test has a p-value below this
	reasonWhatIf    = "what-if report"
	reasonNoPairing = "cannot test because no account posted both variants, so variant and account cannot be told apart"
)

// unit is one post in a comparison: its outcome g and what the accounts and the looks need.
type unit struct {
	g        float64 // log1p(value) for counts, the post's own rate for ratios, the value for means
	y        float64 // the value at the horizon (counts; welch_log applies log1p itself)
	account  string
	postedAt time.Time
	id       string
}

// byPostingOrder sorts units in posted_at order, ties by post id: the order looks take posts in.
func byPostingOrder(a, b unit) int {
	if c := a.postedAt.Compare(b.postedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// pairTest is one comparison of a treatment with the control on g (SPEC §3.1): within the
// paired accounts, Welch in one, lin across several.
type pairTest struct {
	ok        bool
	reason    string // why it could not run
	method    string
	t         stats.TTest // Estimate … CIHigh; Lift and its interval when liftOK
	liftOK    bool
	nControl  int // posts of the paired accounts
	nTreat    int
	nExcluded int      // posts of accounts that are not paired
	paired    []string // the paired accounts, sorted
	sd        float64  // the residual sd of g within accounts and arms; NaN when unknown
}

// methodName names the test of a metric kind: welch_log, lin_rate, …
func methodName(kind string, accounts int) string {
	scale := map[string]string{experiments.KindCount: "log", experiments.KindRatio: "rate", experiments.KindMean: "raw"}[kind]
	if accounts >= 2 {
		return "lin_" + scale
	}
	return "welch_" + scale
}

// runPairTest compares treatment with control on g within the accounts that posted at least
// pairedMinPosts of each.
func runPairTest(kind string, control, treatment []unit, alpha float64) pairTest {
	perAccount := map[string]*[2]int{}
	for arm, us := range [][]unit{control, treatment} {
		for _, u := range us {
			c := perAccount[u.account]
			if c == nil {
				c = &[2]int{}
				perAccount[u.account] = c
			}
			c[arm]++
		}
	}
	shared := false
	var pt pairTest
	for acct, c := range perAccount {
		shared = shared || (c[0] > 0 && c[1] > 0)
		if c[0] >= pairedMinPosts && c[1] >= pairedMinPosts {
			pt.paired = append(pt.paired, acct)
		}
	}
	slices.Sort(pt.paired)
	pt.sd = math.NaN()
	a, b := inAccounts(control, pt.paired), inAccounts(treatment, pt.paired)
	pt.nControl, pt.nTreat = len(a), len(b)
	pt.nExcluded = len(control) + len(treatment) - len(a) - len(b)
	pt.method = methodName(kind, len(pt.paired))
	switch {
	case len(control) < pairedMinPosts || len(treatment) < pairedMinPosts:
		pt.reason = "cannot test because a variant has fewer than 2 posts with a value at the horizon"
		return pt
	case len(pt.paired) == 0 && shared:
		pt.reason = "cannot test because no account has posted at least 2 of each variant yet, and variants are compared within accounts"
		return pt
	case len(pt.paired) == 0:
		pt.reason = reasonNoPairing
		return pt
	case len(pt.paired) == 1:
		pt.welch(kind, a, b, alpha)
	default:
		pt.lin(kind, a, b, alpha)
	}
	if pt.ok {
		pt.sd = residualSD(a, b, len(pt.paired))
	}
	return pt
}

func inAccounts(us []unit, accounts []string) []unit {
	out := make([]unit, 0, len(us))
	for _, u := range us {
		if _, found := slices.BinarySearch(accounts, u.account); found {
			out = append(out, u)
		}
	}
	return out
}

func gs(us []unit) []float64 {
	out := make([]float64, len(us))
	for i, u := range us {
		out[i] = u.g
	}
	return out
}

func ys(us []unit) []float64 {
	out := make([]float64, len(us))
	for i, u := range us {
		out[i] = u.y
	}
	return out
}

// welch is the test within one account: welch_log on the counts, else Welch on g with the
// welch_raw delta-method lift.
func (pt *pairTest) welch(kind string, a, b []unit, alpha float64) {
	var t stats.TTest
	var err error
	if kind == experiments.KindCount {
		t, err = stats.WelchLog(ys(a), ys(b), alpha)
	} else {
		t, err = stats.WelchRaw(gs(a), gs(b), alpha)
	}
	if err != nil {
		pt.reason = reasonOf(err)
		return
	}
	pt.ok, pt.t, pt.liftOK = true, t, true
}

// lin is Lin's estimator across the paired accounts. The lift of a count is exp(estimate) − 1;
// of the others estimate/m, m the control's plain mean of g, taken as fixed.
func (pt *pairTest) lin(kind string, a, b []unit, alpha float64) {
	g := append(gs(a), gs(b)...)
	treated := make([]bool, len(g))
	account := make([]string, len(g))
	for i, u := range append(slices.Clone(a), b...) {
		treated[i] = i >= len(a)
		account[i] = u.account
	}
	r, err := stats.Lin(g, treated, account, alpha)
	if err != nil {
		pt.reason = reasonOf(err)
		return
	}
	pt.ok = true
	pt.t = stats.TTest{Estimate: r.Estimate, SE: r.SE, Statistic: r.Statistic, DF: r.DF, PValue: r.PValue,
		CILow: r.CILow, CIHigh: r.CIHigh}
	if kind == experiments.KindCount {
		pt.t.Lift, pt.t.LiftCILow, pt.t.LiftCIHigh = math.Expm1(r.Estimate), math.Expm1(r.CILow), math.Expm1(r.CIHigh)
		pt.liftOK = true
		return
	}
	if m := mean(gs(a)); m != 0 && !math.IsNaN(m) {
		lo, hi := r.CILow/m, r.CIHigh/m
		pt.t.Lift, pt.t.LiftCILow, pt.t.LiftCIHigh = r.Estimate/m, min(lo, hi), max(lo, hi)
		pt.liftOK = true
	}
}

// residualSD is sigma(lm(g ~ treat + account)) over the comparison's posts, or
// sigma(lm(g ~ treat)) within one account: the spread posts_needed sizes for.
func residualSD(a, b []unit, accounts int) float64 {
	g := append(gs(a), gs(b)...)
	treat := stats.Factor{Name: "treat", Levels: make([]string, len(g))}
	account := stats.Factor{Name: "account", Levels: make([]string, len(g))}
	for i, u := range append(slices.Clone(a), b...) {
		treat.Levels[i] = "control"
		if i >= len(a) {
			treat.Levels[i] = "treatment"
		}
		account.Levels[i] = u.account
	}
	factors := []stats.Factor{treat}
	if accounts >= 2 {
		factors = append(factors, account)
	}
	sd, err := stats.ResidualSD(g, factors)
	if err != nil {
		return math.NaN()
	}
	return sd
}

// Look is one of the planned looks at a comparison (SPEC §3.1): the first PostsPerVariant
// posts with a value of each variant, in posting order.
type Look struct {
	Look            int      `json:"look"`
	PostsPerVariant int      `json:"posts_per_variant"`
	PValue          *float64 `json:"p_value"` // adjusted across the treatments that reached the look
	PUnadjusted     *float64 `json:"p_unadjusted"`
	NominalLevel    float64  `json:"nominal_level"`
	Crossed         bool     `json:"crossed"`
	Method          string   `json:"method"`
	Estimate        *float64 `json:"estimate"`
	Lift            *float64 `json:"lift"`
	Reason          string   `json:"reason,omitempty"` // why the look's comparison could not run
}

// verdictOptions are what decides besides the data.
type verdictOptions struct {
	alpha      float64
	correction string
	planned    *int // posts per variant of the plan; nil for an unplanned experiment
	whatIf     bool // alpha or correction differ from the experiment's: decide nothing
}

// verdict is a comparison's decision, with the tests it rests on.
type verdict struct {
	all       pairTest // on all current posts
	pAdjusted *float64 // all.t.PValue adjusted across the treatments whose comparison ran
	looks     []Look
	lookTests []pairTest
	decision  string
	final     bool
	decidedAt int // index in looks of the deciding look, -1 when none
	reasons   []string
	nextLook  int // posts per variant of the next look, 0 when none is left
}

// lookSizes are n_k = ⌈k·P/4⌉ for the looks k = 1…4.
func lookSizes(planned int) []int {
	out := make([]int, reportLooks)
	for k := range out {
		out[k] = int(math.Ceil(float64((k+1)*planned) / reportLooks))
	}
	return out
}

// decideAll decides every treatment of one metric against the control (SPEC §3.1): the test on
// all current posts, the looks at the plan's quarters, the p-values adjusted within each look,
// the first crossing decides and is final. control and each of treatments are the posts with a
// value, in posting order. The decisions are a function of the data alone.
func decideAll(kind string, control []unit, treatments [][]unit, o verdictOptions) []verdict {
	out := make([]verdict, len(treatments))
	for i, tr := range treatments {
		out[i] = verdict{all: runPairTest(kind, control, tr, o.alpha), decidedAt: -1}
	}
	adjustAll(out, o.correction)
	if o.planned != nil {
		runLooks(kind, control, treatments, out, o)
	}
	for i := range out {
		decideOne(&out[i], o)
	}
	return out
}

// adjustAll fills pAdjusted over the comparisons whose test ran.
func adjustAll(vs []verdict, correction string) {
	ps := make([]*float64, len(vs))
	for i := range vs {
		if vs[i].all.ok {
			ps[i] = num(vs[i].all.t.PValue)
		}
	}
	adj := adjustPs(ps, correction)
	for i := range vs {
		vs[i].pAdjusted = adj[i]
	}
}

// adjustPs adjusts the p-values that are not nil, as p.adjust leaves out the NAs.
func adjustPs(ps []*float64, correction string) []*float64 {
	var idx []int
	var vals []float64
	for i, p := range ps {
		if p != nil {
			idx, vals = append(idx, i), append(vals, *p)
		}
	}
	out := make([]*float64, len(ps))
	adj, err := stats.PAdjust(vals, correction)
	if err != nil {
		return out
	}
	for j, i := range idx {
		out[i] = num(adj[j])
	}
	return out
}

// runLooks computes each comparison's looks that have happened, and adjusts each look's
// p-values across the treatments that reached it.
func runLooks(kind string, control []unit, treatments [][]unit, vs []verdict, o verdictOptions) {
	design, err := stats.GroupSequential(o.alpha, reportLooks)
	if err != nil {
		for i := range vs {
			vs[i].reasons = append(vs[i].reasons, "no group-sequential design at this alpha: "+reasonOf(err))
		}
		return
	}
	sizes := lookSizes(*o.planned)
	for k, n := range sizes {
		var reached []int
		var ps []*float64
		for i, tr := range treatments {
			if n < lookMinPosts || len(control) < n || len(tr) < n {
				if vs[i].nextLook == 0 && n >= lookMinPosts {
					vs[i].nextLook = n
				}
				continue
			}
			t := runPairTest(kind, control[:n], tr[:n], o.alpha)
			look := Look{Look: k + 1, PostsPerVariant: n, NominalLevel: design.NominalLevels[k], Method: t.method}
			if t.ok {
				look.PUnadjusted, look.Estimate = num(t.t.PValue), num(t.t.Estimate)
				if t.liftOK {
					look.Lift = num(t.t.Lift)
				}
			} else {
				look.Reason = t.reason
			}
			vs[i].looks = append(vs[i].looks, look)
			vs[i].lookTests = append(vs[i].lookTests, t)
			reached, ps = append(reached, i), append(ps, look.PUnadjusted)
		}
		adj := adjustPs(ps, o.correction)
		for j, i := range reached {
			l := &vs[i].looks[len(vs[i].looks)-1]
			l.PValue = adj[j]
			l.Crossed = l.PValue != nil && *l.PValue < l.NominalLevel
		}
	}
}

// decideOne applies the decision rule of SPEC §3.1 (§3's rule for an unplanned experiment).
func decideOne(v *verdict, o verdictOptions) {
	switch {
	case o.whatIf:
		v.decision, v.reasons = DecisionInconclusive, append(v.reasons, reasonWhatIf)
	case !v.all.ok:
		v.decision, v.reasons = DecisionNotEnoughData, append(v.reasons, v.all.reason)
	case o.planned == nil:
		v.decision = DecisionInconclusive
		if p := v.pAdjusted; p != nil && *p < o.alpha {
			v.decision = signDecision(v.all.t.Estimate)
		}
		v.reasons = append(v.reasons, "the experiment has no plan: decided on all posts at alpha, which repeated looks make less reliable")
	default:
		v.decideByLooks()
	}
}

// decideByLooks: the first crossed look decides, by the sign of its estimate, for good; with
// none crossed, inconclusive, final once the last look has happened.
func (v *verdict) decideByLooks() {
	for i, l := range v.looks {
		if l.Crossed {
			v.decision, v.final, v.decidedAt = signDecision(v.lookTests[i].t.Estimate), true, i
			v.reasons = append(v.reasons, fmt.Sprintf("look %d of %d crossed its threshold", l.Look, reportLooks))
			return
		}
	}
	v.decision = DecisionInconclusive
	if n := len(v.looks); n > 0 && v.looks[n-1].Look == reportLooks {
		v.final = true
		v.reasons = append(v.reasons, "no difference of the planned size was found")
		return
	}
	if v.nextLook > 0 {
		v.reasons = append(v.reasons, fmt.Sprintf("no look has crossed its threshold yet; the next comes at %d posts of each variant", v.nextLook))
	} else {
		v.reasons = append(v.reasons, "no look has crossed its threshold yet")
	}
}

func signDecision(estimate float64) string {
	switch {
	case estimate > 0:
		return DecisionBetter
	case estimate < 0:
		return DecisionWorse
	}
	return DecisionInconclusive
}
