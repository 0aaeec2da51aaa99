package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The reference cases hold R 4.2's answers for every method of the
// specification. The file lives in the shared folder next to the repository.
var referencePaths = []string{
	"../../shared/reference/stats-cases.json",
	"../shared/reference/stats-cases.json",
}

type referenceCase struct {
	ID       string          `json:"id"`
	Method   string          `json:"method"`
	Input    json.RawMessage `json:"input"`
	Expected json.RawMessage `json:"expected"`
}

func loadReference(t *testing.T) []referenceCase {
	t.Helper()
	for _, p := range referencePaths {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		var file struct {
			Cases []referenceCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatalf("parsing %s: %v", p, err)
		}
		if len(file.Cases) == 0 {
			t.Fatalf("%s holds no cases", p)
		}
		return file.Cases
	}
	abs, _ := filepath.Abs(referencePaths[0])
	t.Fatalf("reference cases not found: looked for %s (%s) and %s; the R reference file must be present", referencePaths[0], abs, referencePaths[1])
	return nil
}

// TestReferenceCases checks every field of every case against R.
func TestReferenceCases(t *testing.T) {
	cases := loadReference(t)
	methods := map[string]int{}
	for _, c := range cases {
		methods[c.Method]++
		t.Run(c.ID, func(t *testing.T) {
			fn, got, err := runReference(c)
			if err != nil {
				t.Fatalf("%s(%s) error: %v", fn, c.ID, err)
			}
			var want map[string]any
			if err := json.Unmarshal(c.Expected, &want); err != nil {
				t.Fatal(err)
			}
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("%s(%s) result does not encode as JSON: %v", fn, c.ID, err)
			}
			var gotAny map[string]any
			if err := json.Unmarshal(gotJSON, &gotAny); err != nil {
				t.Fatal(err)
			}
			tol, hasTol := want["tolerance"].(float64)
			for key, w := range want {
				if key == "tolerance" {
					continue
				}
				g, ok := gotAny[key]
				if !ok {
					t.Errorf("%s(%s) has no field %q, want %v", fn, c.ID, key, w)
					continue
				}
				if hasTol && key == "p_value" {
					if d := math.Abs(g.(float64) - w.(float64)); d > tol {
						t.Errorf("%s(%s).%s = %v, want %v ± %v", fn, c.ID, key, g, w, tol)
					}
					continue
				}
				compareJSON(t, fmt.Sprintf("%s(%s).%s", fn, c.ID, key), g, w)
			}
		})
	}
	// Every method of the specification has reference cases.
	for _, m := range []string{"welch_log", "welch_raw", "mann_whitney", "permutation", "meta_dl",
		"ratio_delta", "kruskal", "welch_anova", "p_adjust", "bayes_normal", "power_t", "chisq_gof", "ols_factors"} {
		if methods[m] == 0 {
			t.Errorf("reference file has no case for %s", m)
		}
	}
}

// compareJSON compares decoded JSON values: numbers to a relative error of
// 1e-6 (absolute 1e-9 near zero), the rest exactly.
func compareJSON(t *testing.T, where string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok || !agrees(g, w) {
			t.Errorf("%s = %v, want %v", where, got, w)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s = %v, want %v", where, got, w)
			return
		}
		for i := range w {
			compareJSON(t, fmt.Sprintf("%s[%d]", where, i), g[i], w[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s = %v, want %v", where, got, w)
			return
		}
		for k := range w {
			compareJSON(t, where+"."+k, g[k], w[k])
		}
	default:
		if got != want {
			t.Errorf("%s = %v, want %v", where, got, want)
		}
	}
}

// agrees is the agreement asked of every method: relative error 1e-6, or
// absolute error 1e-9 for values near zero.
func agrees(got, want float64) bool {
	d := math.Abs(got - want)
	return d <= 1e-9 || d <= 1e-6*math.Abs(want)
}

// runReference decodes a case's input, runs the method and returns the
// function's name and a result with the field names of the case's expected.
func runReference(c referenceCase) (string, any, error) {
	switch c.Method {
	case "welch_log", "welch_raw":
		var in struct {
			Control, Treatment []float64
			Alpha              float64
		}
		mustDecode(c.Input, &in)
		fn, f := "WelchLog", WelchLog
		if c.Method == "welch_raw" {
			fn, f = "WelchRaw", WelchRaw
		}
		r, err := f(in.Control, in.Treatment, in.Alpha)
		return fn, map[string]float64{"statistic": r.Statistic, "df": r.DF, "p_value": r.PValue,
			"estimate": r.Estimate, "ci_low": r.CILow, "ci_high": r.CIHigh,
			"lift": r.Lift, "lift_ci_low": r.LiftCILow, "lift_ci_high": r.LiftCIHigh}, err
	case "mann_whitney":
		var in struct{ Control, Treatment []float64 }
		mustDecode(c.Input, &in)
		r, err := MannWhitneyU(in.Control, in.Treatment)
		return "MannWhitneyU", map[string]float64{"statistic": r.Statistic, "p_value": r.PValue,
			"hl_shift": r.HLShift, "prob_superiority": r.ProbSuperiority}, err
	case "ratio_delta":
		var in struct {
			ControlNum   []float64 `json:"control_num"`
			ControlDen   []float64 `json:"control_den"`
			TreatmentNum []float64 `json:"treatment_num"`
			TreatmentDen []float64 `json:"treatment_den"`
			Alpha        float64
		}
		mustDecode(c.Input, &in)
		r, err := RatioDelta(in.ControlNum, in.ControlDen, in.TreatmentNum, in.TreatmentDen, in.Alpha)
		return "RatioDelta", map[string]float64{"control_rate": r.ControlRate, "treatment_rate": r.TreatmentRate,
			"statistic": r.Statistic, "df": r.DF, "p_value": r.PValue,
			"estimate": r.Estimate, "ci_low": r.CILow, "ci_high": r.CIHigh,
			"lift": r.Lift, "lift_ci_low": r.LiftCILow, "lift_ci_high": r.LiftCIHigh}, err
	case "bayes_normal":
		var in struct{ Control, Treatment []float64 }
		mustDecode(c.Input, &in)
		r, err := BayesNormal(in.Control, in.Treatment)
		return "BayesNormal", map[string]float64{"chance_to_beat": r.ChanceToBeat, "expected_loss": r.ExpectedLoss}, err
	case "power_t":
		var in struct{ SD, MDE, Alpha, Power float64 }
		mustDecode(c.Input, &in)
		r, err := PowerT(in.SD, in.MDE, in.Alpha, in.Power)
		return "PowerT", map[string]float64{"n_exact": r.NExact, "n": float64(r.N)}, err
	case "kruskal":
		var in struct{ Groups [][]float64 }
		mustDecode(c.Input, &in)
		r, err := Kruskal(in.Groups)
		return "Kruskal", map[string]float64{"statistic": r.Statistic, "df": r.DF, "p_value": r.PValue}, err
	case "welch_anova":
		var in struct{ Groups [][]float64 }
		mustDecode(c.Input, &in)
		r, err := WelchANOVA(in.Groups)
		return "WelchANOVA", map[string]float64{"statistic": r.Statistic, "df1": r.DF1, "df2": r.DF2, "p_value": r.PValue}, err
	case "p_adjust":
		var in struct {
			PValues []float64 `json:"p_values"`
			Method  string
		}
		mustDecode(c.Input, &in)
		r, err := PAdjust(in.PValues, in.Method)
		return "PAdjust", map[string][]float64{"adjusted": r}, err
	case "chisq_gof":
		var in struct{ Counts, Weights []float64 }
		mustDecode(c.Input, &in)
		r, err := ChiSquareGOF(in.Counts, in.Weights)
		return "ChiSquareGOF", map[string]float64{"statistic": r.Statistic, "df": r.DF, "p_value": r.PValue}, err
	case "permutation":
		var in struct {
			Values       []float64
			Group        []string
			Strata       []string
			Permutations int
		}
		mustDecode(c.Input, &in)
		treated := make([]bool, len(in.Group))
		for i, g := range in.Group {
			treated[i] = g == "treatment"
		}
		r, err := PermutationTest(in.Values, treated, in.Strata, in.Permutations, 1)
		return "PermutationTest", map[string]any{"estimate": r.Estimate, "p_value": r.PValue, "permutations": r.Permutations}, err
	case "meta_dl":
		var in struct {
			Estimates      []float64
			StandardErrors []float64 `json:"standard_errors"`
			Alpha          float64
		}
		mustDecode(c.Input, &in)
		r, err := MetaDL(in.Estimates, in.StandardErrors, in.Alpha)
		return "MetaDL", map[string]float64{"estimate": r.Estimate, "se": r.SE, "ci_low": r.CILow, "ci_high": r.CIHigh,
			"p_value": r.PValue, "tau2": r.Tau2, "q": r.Q, "q_df": r.QDF, "q_p_value": r.QPValue, "i2": r.I2}, err
	case "ols_factors":
		y, factors := olsInput(c.Input)
		r, err := OLSFactors(y, factors)
		return "OLSFactors", r, err
	}
	return c.Method, nil, fmt.Errorf("no runner for method %q", c.Method)
}

var formulaRE = regexp.MustCompile(`^\s*log1p\((\w+)\)\s*~\s*(.+)$`)

// olsInput turns an ols_factors case (rows, formula, reference levels) into
// log1p(y) and the factors.
func olsInput(raw json.RawMessage) ([]float64, []Factor) {
	var in struct {
		Rows            []map[string]any
		Formula         string
		ReferenceLevels map[string]string `json:"reference_levels"`
	}
	mustDecode(raw, &in)
	m := formulaRE.FindStringSubmatch(in.Formula)
	if m == nil {
		panic("unexpected formula " + in.Formula)
	}
	var factors []Factor
	for _, name := range strings.Split(m[2], "+") {
		factors = append(factors, Factor{Name: strings.TrimSpace(name), Reference: in.ReferenceLevels[strings.TrimSpace(name)]})
	}
	y := make([]float64, len(in.Rows))
	for i, row := range in.Rows {
		y[i] = math.Log1p(row[m[1]].(float64))
		for f := range factors {
			factors[f].Levels = append(factors[f].Levels, fmt.Sprint(row[factors[f].Name]))
		}
	}
	return y, factors
}

func mustDecode(raw json.RawMessage, v any) {
	if err := json.Unmarshal(raw, v); err != nil {
		panic(err)
	}
}
