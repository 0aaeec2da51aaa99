package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"postlab/stats/statscase"
)

// referencePath is the repository's copy of R's answers.
const referencePath = "../../stats/testdata/stats-cases.json"

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
// result has exactly the fields of "expected", agreeing as statscase.Check
// asks (relative error 1e-6; permutation p-values within the case's
// tolerance).
func TestStatsEvalReference(t *testing.T) {
	cases, err := statscase.Load(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	answer := runStatsEval(t, referencePath)
	if len(answer.Cases) != len(cases) {
		t.Fatalf("statsEval(%s) answered %d cases, want %d", referencePath, len(answer.Cases), len(cases))
	}
	for i, want := range cases {
		got := answer.Cases[i]
		if got.ID != want.ID || got.Error != "" {
			t.Errorf("statsEval(%s) case %d = id %q, error %q; want id %q with a result", referencePath, i, got.ID, got.Error, want.ID)
			continue
		}
		for _, msg := range statscase.Check(want, fmt.Sprintf("statsEval(%s)[%s]", referencePath, want.ID), got.Result) {
			t.Error(msg)
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
