package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceFile finds R's reference cases in the shared folder next to the
// repository.
func referenceFile(t *testing.T) string {
	t.Helper()
	candidates := []string{
		"../../../shared/reference/stats-cases.json",
		"../../shared/reference/stats-cases.json",
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	abs, _ := filepath.Abs(candidates[0])
	t.Fatalf("reference cases not found at %s (%s) or %s; the R reference file must be present", candidates[0], abs, candidates[1])
	return ""
}

type evalAnswer struct {
	Cases []struct {
		ID     string         `json:"id"`
		Result map[string]any `json:"result"`
		Error  string         `json:"error"`
	} `json:"cases"`
}

func runStatsEval(t *testing.T, path string) evalAnswer {
	t.Helper()
	var out bytes.Buffer
	if err := statsEval(path, &out); err != nil {
		t.Fatalf("statsEval(%s) error: %v", path, err)
	}
	var answer evalAnswer
	if err := json.Unmarshal(out.Bytes(), &answer); err != nil {
		t.Fatalf("statsEval(%s) printed invalid JSON: %v\n%s", path, err, out.String())
	}
	return answer
}

// TestStatsEvalReference runs the command on R's cases and checks that each
// result has exactly the fields of "expected", agreeing to a relative error
// of 1e-6 (permutation p-values within the case's tolerance).
func TestStatsEvalReference(t *testing.T) {
	path := referenceFile(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			ID       string         `json:"id"`
			Method   string         `json:"method"`
			Expected map[string]any `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	answer := runStatsEval(t, path)
	if len(answer.Cases) != len(ref.Cases) {
		t.Fatalf("statsEval(%s) answered %d cases, want %d", path, len(answer.Cases), len(ref.Cases))
	}
	for i, want := range ref.Cases {
		got := answer.Cases[i]
		if got.ID != want.ID || got.Error != "" {
			t.Errorf("statsEval case %d = id %q, error %q; want id %q with a result", i, got.ID, got.Error, want.ID)
			continue
		}
		tol, isPermutation := want.Expected["tolerance"].(float64)
		for key, w := range want.Expected {
			if key == "tolerance" {
				continue
			}
			g, ok := got.Result[key]
			if !ok {
				t.Errorf("statsEval %s: no field %q, want %v", want.ID, key, w)
				continue
			}
			if isPermutation && key == "p_value" {
				if d := math.Abs(g.(float64) - w.(float64)); d > tol {
					t.Errorf("statsEval %s.p_value = %v, want %v ± %v", want.ID, g, w, tol)
				}
				continue
			}
			compareValue(t, want.ID+"."+key, g, w)
		}
		for key := range got.Result {
			if _, ok := want.Expected[key]; !ok && !(isPermutation && key == "permutations") {
				t.Errorf("statsEval %s has field %q, which expected does not", want.ID, key)
			}
		}
	}
}

func compareValue(t *testing.T, where string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok || !(math.Abs(g-w) <= 1e-9 || math.Abs(g-w) <= 1e-6*math.Abs(w)) {
			t.Errorf("statsEval %s = %v, want %v", where, got, w)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("statsEval %s = %v, want %v", where, got, w)
			return
		}
		for i := range w {
			compareValue(t, fmt.Sprintf("%s[%d]", where, i), g[i], w[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			t.Errorf("statsEval %s = %v, want %v", where, got, w)
			return
		}
		for k := range w {
			compareValue(t, where+"."+k, g[k], w[k])
		}
	default:
		if got != want {
			t.Errorf("statsEval %s = %v, want %v", where, got, want)
		}
	}
}

// A degenerate, malformed or unknown case gets an error with its reason; the
// cases around it still run.
func TestStatsEvalErrors(t *testing.T) {
	cases := `{"cases": [
	  {"id": "one_post", "method": "welch_log", "input": {"control": [5], "treatment": [1, 2, 3]}, "expected": {}},
	  {"id": "constant", "method": "mann_whitney", "input": {"control": [4, 4], "treatment": [4, 4, 4]}},
	  {"id": "bad_input", "method": "kruskal", "input": {"groups": "many"}},
	  {"id": "no_input", "method": "power_t"},
	  {"id": "unknown", "method": "anova_on_ranks", "input": {}},
	  {"id": "bad_label", "method": "permutation", "input": {"values": [1, 2, 3, 4], "group": ["a", "b", "a", "b"]}},
	  {"id": "bad_formula", "method": "ols_factors", "input": {"rows": [], "formula": "views ~ slot * format"}},
	  {"id": "ok", "method": "p_adjust", "input": {"p_values": [0.01, 0.04], "method": "holm"}}
	]}`
	path := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(path, []byte(cases), 0o600); err != nil {
		t.Fatal(err)
	}
	answer := runStatsEval(t, path)
	want := map[string]string{
		"one_post":    "cannot test because the control group has fewer than 2 posts",
		"constant":    "cannot test because every post in both groups has the same value",
		"bad_input":   "the input is malformed",
		"no_input":    "the case has no input",
		"unknown":     `unknown method "anova_on_ranks"`,
		"bad_label":   `group "a" of value 1 is neither "control" nor "treatment"`,
		"bad_formula": "is not of the form",
	}
	if len(answer.Cases) != 8 {
		t.Fatalf("statsEval answered %d cases, want 8", len(answer.Cases))
	}
	for _, c := range answer.Cases {
		if c.ID == "ok" {
			if c.Error != "" || c.Result["adjusted"] == nil {
				t.Errorf("statsEval ok = %v, %q; want adjusted p-values", c.Result, c.Error)
			}
			continue
		}
		if c.Result != nil || !strings.Contains(c.Error, want[c.ID]) {
			t.Errorf("statsEval %s = %v, error %q; want an error containing %q", c.ID, c.Result, c.Error, want[c.ID])
		}
	}
}

func TestStatsEvalBadFile(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "cases.json")
	if err := os.WriteFile(notJSON, []byte("id,method\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{notJSON, filepath.Join(dir, "missing.json")} {
		var out bytes.Buffer
		if err := statsEval(path, &out); err == nil {
			t.Errorf("statsEval(%s) = %q, nil; want an error", path, out.String())
		}
	}
}

// The formula may name the response bare or as log1p(column); rows missing a
// value are left out, as lm does.
func TestStatsEvalOLSInput(t *testing.T) {
	rows := `[{"slot": "am", "v": 1}, {"slot": "pm", "v": 2}, {"slot": "am", "v": 4},
	  {"slot": "pm", "v": 3}, {"slot": "am", "v": null}, {"slot": null, "v": 9}, {"slot": "pm", "v": 6}]`
	result, err := evalMethod("ols_factors", json.RawMessage(`{"rows": `+rows+`, "formula": "v ~ slot", "reference_levels": {"slot": "am"}}`))
	if err != nil {
		t.Fatalf("evalMethod(ols_factors) error: %v", err)
	}
	b, _ := json.Marshal(result)
	var got struct {
		Coefficients []struct {
			Term     string
			Estimate float64
		}
		ResidualDF int `json:"residual_df"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// lm(v ~ slot) on the 5 complete rows: intercept 2.5, slotpm 11/3 − 2.5.
	if got.ResidualDF != 3 || len(got.Coefficients) != 2 || got.Coefficients[1].Term != "slotpm" ||
		math.Abs(got.Coefficients[1].Estimate-(11.0/3-2.5)) > 1e-12 {
		t.Errorf("evalMethod(ols_factors) = %s, want slotpm = %v on 3 residual df", b, 11.0/3-2.5)
	}
}
