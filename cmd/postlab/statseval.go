package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"postlab/stats"
)

// statsEval is `postlab stats eval FILE`: it runs the statistics engine on
// cases in the format of shared/reference/stats-cases.json, ignoring their
// "expected", and prints {"cases": [{"id", "result"}]} where each result has
// the fields that "expected" has for its method. A case the engine cannot
// run (degenerate data, a malformed input, an unknown method) gets
// {"id", "error"} with the reason instead; the other cases still run.
func statsEval(path string, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("stats eval: %w", err)
	}
	var file struct {
		Cases []struct {
			ID     string          `json:"id"`
			Method string          `json:"method"`
			Input  json.RawMessage `json:"input"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("stats eval: %s is not a cases file: %w", path, err)
	}
	out := evalOutput{Cases: make([]evalCase, 0, len(file.Cases))}
	for _, c := range file.Cases {
		result, err := evalMethod(c.Method, c.Input)
		if err != nil {
			out.Cases = append(out.Cases, evalCase{ID: c.ID, Error: err.Error()})
			continue
		}
		out.Cases = append(out.Cases, evalCase{ID: c.ID, Result: result})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type evalOutput struct {
	Cases []evalCase `json:"cases"`
}

type evalCase struct {
	ID     string `json:"id"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// evalMethod runs one case. A panic is a bug in the engine, but one case
// must not stop the others: it becomes that case's error.
func evalMethod(method string, input json.RawMessage) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("the %s method failed unexpectedly: %v", method, r)
		}
	}()
	run, ok := evalMethods[method]
	if !ok {
		return nil, fmt.Errorf("unknown method %q", method)
	}
	if len(input) == 0 {
		return nil, errors.New("the case has no input")
	}
	return run(input)
}

var evalMethods = map[string]func(json.RawMessage) (any, error){
	"welch_log":    evalWelch(stats.WelchLog),
	"welch_raw":    evalWelch(stats.WelchRaw),
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

func evalWelch(test func(control, treatment []float64, alpha float64) (stats.TTest, error)) func(json.RawMessage) (any, error) {
	return func(input json.RawMessage) (any, error) {
		var in twoGroupInput
		if err := decodeInput(input, &in); err != nil {
			return nil, err
		}
		r, err := test(in.Control, in.Treatment, alphaOr05(in.Alpha))
		if err != nil {
			return nil, err
		}
		return newTTestResult(r), nil
	}
}

func evalMannWhitney(input json.RawMessage) (any, error) {
	var in twoGroupInput
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.MannWhitneyU(in.Control, in.Treatment)
	if err != nil {
		return nil, err
	}
	return struct {
		Statistic float64 `json:"statistic"`
		PValue    float64 `json:"p_value"`
		HLShift   float64 `json:"hl_shift"`
	}{r.Statistic, r.PValue, r.HLShift}, nil
}

func evalBayes(input json.RawMessage) (any, error) {
	var in twoGroupInput
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.BayesNormal(in.Control, in.Treatment)
	if err != nil {
		return nil, err
	}
	return struct {
		ChanceToBeat float64 `json:"chance_to_beat"`
		ExpectedLoss float64 `json:"expected_loss"`
	}{r.ChanceToBeat, r.ExpectedLoss}, nil
}

// evalSeed is the seed of a permutation case that names none.
const evalSeed = 1

func evalPermutation(input json.RawMessage) (any, error) {
	var in struct {
		Values       []float64 `json:"values"`
		Group        []string  `json:"group"`
		Strata       []string  `json:"strata"`
		Permutations int       `json:"permutations"`
		Seed         *uint64   `json:"seed"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	treated := make([]bool, len(in.Group))
	for i, g := range in.Group {
		switch strings.ToLower(g) {
		case "treatment":
			treated[i] = true
		case "control":
		default:
			return nil, fmt.Errorf("group %q of value %d is neither \"control\" nor \"treatment\"", g, i+1)
		}
	}
	seed := uint64(evalSeed)
	if in.Seed != nil {
		seed = *in.Seed
	}
	r, err := stats.PermutationTest(in.Values, treated, in.Strata, in.Permutations, seed)
	if err != nil {
		return nil, err
	}
	return struct {
		Estimate     float64 `json:"estimate"`
		PValue       float64 `json:"p_value"`
		Permutations int     `json:"permutations"`
	}{r.Estimate, r.PValue, r.Permutations}, nil
}

func evalRatio(input json.RawMessage) (any, error) {
	var in struct {
		ControlNum   []float64 `json:"control_num"`
		ControlDen   []float64 `json:"control_den"`
		TreatmentNum []float64 `json:"treatment_num"`
		TreatmentDen []float64 `json:"treatment_den"`
		Alpha        *float64  `json:"alpha"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.RatioDelta(in.ControlNum, in.ControlDen, in.TreatmentNum, in.TreatmentDen, alphaOr05(in.Alpha))
	if err != nil {
		return nil, err
	}
	return struct {
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

func evalKruskal(input json.RawMessage) (any, error) {
	var in struct {
		Groups [][]float64 `json:"groups"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.Kruskal(in.Groups)
	if err != nil {
		return nil, err
	}
	return chiSquareResult{r.Statistic, r.DF, r.PValue}, nil
}

func evalWelchANOVA(input json.RawMessage) (any, error) {
	var in struct {
		Groups [][]float64 `json:"groups"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.WelchANOVA(in.Groups)
	if err != nil {
		return nil, err
	}
	return struct {
		Statistic float64 `json:"statistic"`
		DF1       float64 `json:"df1"`
		DF2       float64 `json:"df2"`
		PValue    float64 `json:"p_value"`
	}{r.Statistic, r.DF1, r.DF2, r.PValue}, nil
}

func evalChiSquareGOF(input json.RawMessage) (any, error) {
	var in struct {
		Counts  []float64 `json:"counts"`
		Weights []float64 `json:"weights"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.ChiSquareGOF(in.Counts, in.Weights)
	if err != nil {
		return nil, err
	}
	return chiSquareResult{r.Statistic, r.DF, r.PValue}, nil
}

func evalPAdjust(input json.RawMessage) (any, error) {
	var in struct {
		PValues []float64 `json:"p_values"`
		Method  string    `json:"method"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	adjusted, err := stats.PAdjust(in.PValues, in.Method)
	if err != nil {
		return nil, err
	}
	return struct {
		Adjusted []float64 `json:"adjusted"`
	}{adjusted}, nil
}

func evalPower(input json.RawMessage) (any, error) {
	var in struct {
		SD    float64 `json:"sd"`
		MDE   float64 `json:"mde"`
		Alpha float64 `json:"alpha"`
		Power float64 `json:"power"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.PowerT(in.SD, in.MDE, in.Alpha, in.Power)
	if err != nil {
		return nil, err
	}
	return struct {
		NExact float64 `json:"n_exact"`
		N      int     `json:"n"`
	}{r.NExact, r.N}, nil
}

func evalMeta(input json.RawMessage) (any, error) {
	var in struct {
		Estimates      []float64 `json:"estimates"`
		StandardErrors []float64 `json:"standard_errors"`
		Alpha          *float64  `json:"alpha"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	r, err := stats.MetaDL(in.Estimates, in.StandardErrors, alphaOr05(in.Alpha))
	if err != nil {
		return nil, err
	}
	return struct {
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

func evalOLS(input json.RawMessage) (any, error) {
	var in struct {
		Rows            []map[string]any  `json:"rows"`
		Formula         string            `json:"formula"`
		ReferenceLevels map[string]string `json:"reference_levels"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	m := formulaRE.FindStringSubmatch(in.Formula)
	if m == nil {
		return nil, fmt.Errorf("formula %q is not of the form `log1p(metric) ~ factor + factor …`", in.Formula)
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
	// stats.OLS carries the reference's field names.
	return stats.OLSFactors(y, factors)
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
