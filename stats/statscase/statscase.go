// Package statscase reads and runs reference cases of the statistics engine:
// a JSON file {"cases": [{"id", "method", "input", "expected"}]} in which
// "expected" holds R 4.2's answer (stats/testdata/stats-cases.json, whose
// README says how it was made). `postlab stats eval` runs a file of cases
// through Eval, and the tests of stats and of the command check every case
// of the reference file with Check: one decoder and one runner for both.
package statscase

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"postlab/stats"
)

// Case is one reference case. Expected is empty in a file that only asks
// for answers.
type Case struct {
	ID       string          `json:"id"`
	Method   string          `json:"method"`
	Input    json.RawMessage `json:"input"`
	Expected json.RawMessage `json:"expected,omitempty"`
}

// Decode reads a cases file.
func Decode(data []byte) ([]Case, error) {
	var file struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("not a cases file: %w", err)
	}
	return file.Cases, nil
}

// Load reads a cases file from disk.
func Load(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cases, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s is %w", path, err)
	}
	return cases, nil
}

// Methods lists the methods Eval knows, sorted.
func Methods() []string {
	out := make([]string, 0, len(methods))
	for m := range methods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Eval runs one case's method on its input. call names the Go function and
// its arguments, for messages ("GroupSequential(0.05, 4)"); result marshals
// to JSON with the field names of the method's "expected". A case the
// engine cannot run (degenerate data, a malformed input, an unknown method)
// returns the reason as the error. A panic is a bug in the engine, but it
// becomes this case's error so that the cases after it still run.
func Eval(method string, input json.RawMessage) (call string, result any, err error) {
	call = method
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("the %s method failed unexpectedly: %v", method, r)
		}
	}()
	run, ok := methods[method]
	if !ok {
		return call, nil, fmt.Errorf("unknown method %q", method)
	}
	if len(input) == 0 {
		return call, nil, errors.New("the case has no input")
	}
	return run(input)
}

var methods = map[string]func(json.RawMessage) (string, any, error){
	"welch_log":    evalWelch("WelchLog", stats.WelchLog),
	"welch_raw":    evalWelch("WelchRaw", stats.WelchRaw),
	"mann_whitney": evalMannWhitney,
	"permutation":  evalPermutation,
	"ratio_delta":  evalRatio,
	"kruskal":      evalKruskal,
	"welch_anova":  evalWelchANOVA,
	"p_adjust":     evalPAdjust,
	"bayes_normal": evalBayes,
	"power_t":      evalPower,
	"chisq_gof":    evalChiSquareGOF,
	"meta_dl":      evalMeta,
	"ols_factors":  evalOLS,
	"lin":          evalLin,
	"gs_design":    evalGSDesign,
	"power_gs":     evalPowerGS,
}

// decodeInput decodes a case's input, naming the problem in the error.
func decodeInput(input json.RawMessage, v any) error {
	if err := json.Unmarshal(input, v); err != nil {
		return fmt.Errorf("the input is malformed: %w", err)
	}
	return nil
}

// alphaOr05 is the significance level of a case: 0.05 when it names none.
func alphaOr05(alpha *float64) float64 {
	if alpha == nil {
		return 0.05
	}
	return *alpha
}

// n describes a slice argument by its length, for call names.
func n[T any](name string, xs []T) string { return fmt.Sprintf("%s[%d]", name, len(xs)) }

type twoGroupInput struct {
	Control   []float64 `json:"control"`
	Treatment []float64 `json:"treatment"`
	Alpha     *float64  `json:"alpha"`
}

type tTestResult struct {
	Statistic  float64 `json:"statistic"`
	DF         float64 `json:"df"`
	PValue     float64 `json:"p_value"`
	Estimate   float64 `json:"estimate"`
	CILow      float64 `json:"ci_low"`
	CIHigh     float64 `json:"ci_high"`
	Lift       float64 `json:"lift"`
	LiftCILow  float64 `json:"lift_ci_low"`
	LiftCIHigh float64 `json:"lift_ci_high"`
}

func newTTestResult(r stats.TTest) tTestResult {
	return tTestResult{r.Statistic, r.DF, r.PValue, r.Estimate, r.CILow, r.CIHigh, r.Lift, r.LiftCILow, r.LiftCIHigh}
}

func evalWelch(name string, test func(control, treatment []float64, alpha float64) (stats.TTest, error)) func(json.RawMessage) (string, any, error) {
	return func(input json.RawMessage) (string, any, error) {
		var in twoGroupInput
		if err := decodeInput(input, &in); err != nil {
			return name, nil, err
		}
		alpha := alphaOr05(in.Alpha)
		call := fmt.Sprintf("%s(%s, %s, %v)", name, n("control", in.Control), n("treatment", in.Treatment), alpha)
		r, err := test(in.Control, in.Treatment, alpha)
		if err != nil {
			return call, nil, err
		}
		return call, newTTestResult(r), nil
	}
}

func evalMannWhitney(input json.RawMessage) (string, any, error) {
	var in twoGroupInput
	if err := decodeInput(input, &in); err != nil {
		return "MannWhitneyU", nil, err
	}
	call := fmt.Sprintf("MannWhitneyU(%s, %s)", n("control", in.Control), n("treatment", in.Treatment))
	r, err := stats.MannWhitneyU(in.Control, in.Treatment)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		Statistic float64 `json:"statistic"`
		PValue    float64 `json:"p_value"`
		HLShift   float64 `json:"hl_shift"`
	}{r.Statistic, r.PValue, r.HLShift}, nil
}

func evalBayes(input json.RawMessage) (string, any, error) {
	var in twoGroupInput
	if err := decodeInput(input, &in); err != nil {
		return "BayesNormal", nil, err
	}
	call := fmt.Sprintf("BayesNormal(%s, %s)", n("control", in.Control), n("treatment", in.Treatment))
	r, err := stats.BayesNormal(in.Control, in.Treatment)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		ChanceToBeat float64 `json:"chance_to_beat"`
		ExpectedLoss float64 `json:"expected_loss"`
	}{r.ChanceToBeat, r.ExpectedLoss}, nil
}

// evalSeed is the seed of a permutation case that names none.
const evalSeed = 1

// treatmentLabels turns "control"/"treatment" labels into flags.
func treatmentLabels(group []string) ([]bool, error) {
	treated := make([]bool, len(group))
	for i, g := range group {
		switch strings.ToLower(g) {
		case "treatment":
			treated[i] = true
		case "control":
		default:
			return nil, fmt.Errorf("group %q of value %d is neither \"control\" nor \"treatment\"", g, i+1)
		}
	}
	return treated, nil
}

func evalPermutation(input json.RawMessage) (string, any, error) {
	var in struct {
		Values       []float64 `json:"values"`
		Group        []string  `json:"group"`
		Strata       []string  `json:"strata"`
		Permutations int       `json:"permutations"`
		Seed         *uint64   `json:"seed"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "PermutationTest", nil, err
	}
	treated, err := treatmentLabels(in.Group)
	if err != nil {
		return "PermutationTest", nil, err
	}
	seed := uint64(evalSeed)
	if in.Seed != nil {
		seed = *in.Seed
	}
	call := fmt.Sprintf("PermutationTest(%s, %s, %s, %d, %d)", n("values", in.Values), n("treated", treated), n("strata", in.Strata), in.Permutations, seed)
	r, err := stats.PermutationTest(in.Values, treated, in.Strata, in.Permutations, seed)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		Estimate     float64 `json:"estimate"`
		PValue       float64 `json:"p_value"`
		Permutations int     `json:"permutations"`
	}{r.Estimate, r.PValue, r.Permutations}, nil
}

func evalRatio(input json.RawMessage) (string, any, error) {
	var in struct {
		ControlNum   []float64 `json:"control_num"`
		ControlDen   []float64 `json:"control_den"`
		TreatmentNum []float64 `json:"treatment_num"`
		TreatmentDen []float64 `json:"treatment_den"`
		Alpha        *float64  `json:"alpha"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "RatioDelta", nil, err
	}
	alpha := alphaOr05(in.Alpha)
	call := fmt.Sprintf("RatioDelta(%s, %s, %s, %s, %v)", n("control_num", in.ControlNum), n("control_den", in.ControlDen),
		n("treatment_num", in.TreatmentNum), n("treatment_den", in.TreatmentDen), alpha)
	r, err := stats.RatioDelta(in.ControlNum, in.ControlDen, in.TreatmentNum, in.TreatmentDen, alpha)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		ControlRate   float64 `json:"control_rate"`
		TreatmentRate float64 `json:"treatment_rate"`
		tTestResult
	}{r.ControlRate, r.TreatmentRate, newTTestResult(r.TTest)}, nil
}

type chiSquareResult struct {
	Statistic float64 `json:"statistic"`
	DF        float64 `json:"df"`
	PValue    float64 `json:"p_value"`
}

type groupsInput struct {
	Groups [][]float64 `json:"groups"`
}

func evalKruskal(input json.RawMessage) (string, any, error) {
	var in groupsInput
	if err := decodeInput(input, &in); err != nil {
		return "Kruskal", nil, err
	}
	call := fmt.Sprintf("Kruskal(%s)", n("groups", in.Groups))
	r, err := stats.Kruskal(in.Groups)
	if err != nil {
		return call, nil, err
	}
	return call, chiSquareResult{r.Statistic, r.DF, r.PValue}, nil
}

func evalWelchANOVA(input json.RawMessage) (string, any, error) {
	var in groupsInput
	if err := decodeInput(input, &in); err != nil {
		return "WelchANOVA", nil, err
	}
	call := fmt.Sprintf("WelchANOVA(%s)", n("groups", in.Groups))
	r, err := stats.WelchANOVA(in.Groups)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		Statistic float64 `json:"statistic"`
		DF1       float64 `json:"df1"`
		DF2       float64 `json:"df2"`
		PValue    float64 `json:"p_value"`
	}{r.Statistic, r.DF1, r.DF2, r.PValue}, nil
}

func evalChiSquareGOF(input json.RawMessage) (string, any, error) {
	var in struct {
		Counts  []float64 `json:"counts"`
		Weights []float64 `json:"weights"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "ChiSquareGOF", nil, err
	}
	call := fmt.Sprintf("ChiSquareGOF(%v, %v)", in.Counts, in.Weights)
	r, err := stats.ChiSquareGOF(in.Counts, in.Weights)
	if err != nil {
		return call, nil, err
	}
	return call, chiSquareResult{r.Statistic, r.DF, r.PValue}, nil
}

func evalPAdjust(input json.RawMessage) (string, any, error) {
	var in struct {
		PValues []float64 `json:"p_values"`
		Method  string    `json:"method"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "PAdjust", nil, err
	}
	call := fmt.Sprintf("PAdjust(%v, %q)", in.PValues, in.Method)
	adjusted, err := stats.PAdjust(in.PValues, in.Method)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		Adjusted []float64 `json:"adjusted"`
	}{adjusted}, nil
}

func evalPower(input json.RawMessage) (string, any, error) {
	var in struct {
		SD    float64 `json:"sd"`
		MDE   float64 `json:"mde"`
		Alpha float64 `json:"alpha"`
		Power float64 `json:"power"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "PowerT", nil, err
	}
	call := fmt.Sprintf("PowerT(%v, %v, %v, %v)", in.SD, in.MDE, in.Alpha, in.Power)
	r, err := stats.PowerT(in.SD, in.MDE, in.Alpha, in.Power)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		NExact float64 `json:"n_exact"`
		N      int     `json:"n"`
	}{r.NExact, r.N}, nil
}

func evalMeta(input json.RawMessage) (string, any, error) {
	var in struct {
		Estimates      []float64 `json:"estimates"`
		StandardErrors []float64 `json:"standard_errors"`
		Alpha          *float64  `json:"alpha"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "MetaDL", nil, err
	}
	alpha := alphaOr05(in.Alpha)
	call := fmt.Sprintf("MetaDL(%v, %v, %v)", in.Estimates, in.StandardErrors, alpha)
	r, err := stats.MetaDL(in.Estimates, in.StandardErrors, alpha)
	if err != nil {
		return call, nil, err
	}
	return call, struct {
		Estimate float64 `json:"estimate"`
		SE       float64 `json:"se"`
		CILow    float64 `json:"ci_low"`
		CIHigh   float64 `json:"ci_high"`
		PValue   float64 `json:"p_value"`
		Tau2     float64 `json:"tau2"`
		Q        float64 `json:"q"`
		QDF      float64 `json:"q_df"`
		QPValue  float64 `json:"q_p_value"`
		I2       float64 `json:"i2"`
	}{r.Estimate, r.SE, r.CILow, r.CIHigh, r.PValue, r.Tau2, r.Q, r.QDF, r.QPValue, r.I2}, nil
}

// formulaRE matches "response ~ f1 + f2 + …" where the response is a column
// or log1p(column).
var formulaRE = regexp.MustCompile(`^\s*(?:(log1p)\(\s*(\w+)\s*\)|(\w+))\s*~\s*(\w+(?:\s*\+\s*\w+)*)\s*$`)

func evalOLS(input json.RawMessage) (string, any, error) {
	var in struct {
		Rows            []map[string]any  `json:"rows"`
		Formula         string            `json:"formula"`
		ReferenceLevels map[string]string `json:"reference_levels"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "OLSFactors", nil, err
	}
	m := formulaRE.FindStringSubmatch(in.Formula)
	if m == nil {
		return "OLSFactors", nil, fmt.Errorf("formula %q is not of the form `log1p(metric) ~ factor + factor …`", in.Formula)
	}
	response, useLog := m[2], m[1] != ""
	if !useLog {
		response = m[3]
	}
	var factors []stats.Factor
	for _, name := range strings.Split(m[4], "+") {
		name = strings.TrimSpace(name)
		factors = append(factors, stats.Factor{Name: name, Reference: in.ReferenceLevels[name]})
	}
	var y []float64
	for _, row := range in.Rows {
		v, ok := row[response].(float64)
		levels, complete := rowLevels(row, factors)
		if !ok || !complete {
			continue // lm's na.action = na.omit: incomplete rows are left out
		}
		if useLog {
			v = math.Log1p(v)
		}
		y = append(y, v)
		for f := range factors {
			factors[f].Levels = append(factors[f].Levels, levels[f])
		}
	}
	call := fmt.Sprintf("OLSFactors(%s, %q)", n("y", y), in.Formula)
	r, err := stats.OLSFactors(y, factors)
	if err != nil {
		return call, nil, err
	}
	return call, r, nil // stats.OLS carries the reference's field names
}

// rowLevels returns a row's level of each factor as text, and whether the
// row has them all.
func rowLevels(row map[string]any, factors []stats.Factor) ([]string, bool) {
	levels := make([]string, len(factors))
	for f, factor := range factors {
		switch v := row[factor.Name].(type) {
		case string:
			levels[f] = v
		case float64:
			levels[f] = strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			levels[f] = strconv.FormatBool(v)
		default:
			return nil, false
		}
	}
	return levels, true
}

// evalLin runs Lin's estimator on values transformed as the case says
// ("log1p", the default, or "identity"), treatment as 0/1 per post.
func evalLin(input json.RawMessage) (string, any, error) {
	var in struct {
		Values    []float64 `json:"values"`
		Treatment []float64 `json:"treatment"`
		Account   []string  `json:"account"`
		Transform string    `json:"transform"`
		Alpha     *float64  `json:"alpha"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "Lin", nil, err
	}
	g := make([]float64, len(in.Values))
	switch in.Transform {
	case "", "log1p":
		in.Transform = "log1p"
		for i, v := range in.Values {
			if v < 0 {
				return "Lin", nil, fmt.Errorf("value %d is negative, which the log1p transform cannot take", i+1)
			}
			g[i] = math.Log1p(v)
		}
	case "identity":
		copy(g, in.Values)
	default:
		return "Lin", nil, fmt.Errorf("transform %q is neither \"log1p\" nor \"identity\"", in.Transform)
	}
	treated := make([]bool, len(in.Treatment))
	for i, t := range in.Treatment {
		switch t {
		case 1:
			treated[i] = true
		case 0:
		default:
			return "Lin", nil, fmt.Errorf("treatment %v of value %d is neither 0 nor 1", t, i+1)
		}
	}
	alpha := alphaOr05(in.Alpha)
	call := fmt.Sprintf("Lin(%s(%s), %s, %s, %v)", in.Transform, n("values", in.Values), n("treated", treated), n("account", in.Account), alpha)
	r, err := stats.Lin(g, treated, in.Account, alpha)
	if err != nil {
		return call, nil, err
	}
	return call, r, nil // stats.LinResult carries the reference's field names
}

func evalGSDesign(input json.RawMessage) (string, any, error) {
	var in struct {
		Alpha float64 `json:"alpha"`
		Looks int     `json:"looks"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "GroupSequential", nil, err
	}
	call := fmt.Sprintf("GroupSequential(%v, %d)", in.Alpha, in.Looks)
	d, err := stats.GroupSequential(in.Alpha, in.Looks)
	if err != nil {
		return call, nil, err
	}
	return call, d, nil // stats.GSDesign carries the reference's field names
}

func evalPowerGS(input json.RawMessage) (string, any, error) {
	var in struct {
		SD          float64 `json:"sd"`
		MDE         float64 `json:"mde"`
		Alpha       float64 `json:"alpha"`
		Power       float64 `json:"power"`
		Comparisons int     `json:"comparisons"`
		Looks       int     `json:"looks"`
	}
	if err := decodeInput(input, &in); err != nil {
		return "PowerGS", nil, err
	}
	call := fmt.Sprintf("PowerGS(%v, %v, %v, %v, %d, %d)", in.SD, in.MDE, in.Alpha, in.Power, in.Comparisons, in.Looks)
	r, err := stats.PowerGS(in.SD, in.MDE, in.Alpha, in.Power, in.Comparisons, in.Looks)
	if err != nil {
		return call, nil, err
	}
	return call, r, nil // stats.PowerGSResult carries the reference's field names
}
