package statscase

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The formula may name the response bare or as log1p(column); rows missing a
// value are left out, as lm does.
func TestEvalOLSInput(t *testing.T) {
	rows := `[{"slot": "am", "v": 1}, {"slot": "pm", "v": 2}, {"slot": "am", "v": 4},
	  {"slot": "pm", "v": 3}, {"slot": "am", "v": null}, {"slot": null, "v": 9}, {"slot": "pm", "v": 6}]`
	call, result, err := Eval("ols_factors", json.RawMessage(`{"rows": `+rows+`, "formula": "v ~ slot", "reference_levels": {"slot": "am"}}`))
	if err != nil {
		t.Fatalf("%s error: %v", call, err)
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
		t.Errorf("%s = %s, want slotpm = %v on 3 residual df", call, b, 11.0/3-2.5)
	}
}

// A lin case transforms the values as it says; identity leaves them.
func TestEvalLinTransform(t *testing.T) {
	in := func(transform string) json.RawMessage {
		return json.RawMessage(`{"values": [1, 3, 2, 6, 10, 30, 20, 70, 4, 9, 5, 8], "treatment": [0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1],
		  "account": ["a", "a", "a", "a", "b", "b", "b", "b", "a", "a", "b", "b"], "transform": "` + transform + `", "alpha": 0.05}`)
	}
	_, logged, err := Eval("lin", in("log1p"))
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := Eval("lin", in("identity"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(logged)
	b, _ := json.Marshal(plain)
	if string(a) == string(b) {
		t.Errorf("Eval(lin) gives %s for both log1p and identity, want different answers", a)
	}
}

func TestEvalErrors(t *testing.T) {
	for _, c := range []struct{ method, input, want string }{
		{"lin", `{"values": [1, 2], "treatment": [0, 2], "account": ["a", "a"]}`, "treatment 2 of value 2 is neither 0 nor 1"},
		{"lin", `{"values": [1, -2], "treatment": [0, 1], "account": ["a", "a"]}`, "value 2 is negative"},
		{"lin", `{"values": [1, 2], "treatment": [0, 1], "account": ["a", "a"], "transform": "sqrt"}`, `transform "sqrt"`},
		{"lin", `{"values": [1, 2, 3], "treatment": [0, 1, 1], "account": ["a", "a", "a"]}`, "fewer than 2 posts"},
		{"gs_design", `{"alpha": 0.05, "looks": 0}`, "looks must be between 1 and"},
		{"gs_design", `{"alpha": 1.5, "looks": 4}`, "alpha must be between 0 and 1"},
		{"power_gs", `{"sd": 1, "mde": 0.2, "alpha": 0.05, "power": 0.8, "comparisons": 0, "looks": 4}`, "at least one treatment"},
		{"gs_design", `{"alpha": "a"}`, "the input is malformed"},
		{"gs_design", ``, "the case has no input"},
		{"anova", `{}`, `unknown method "anova"`},
	} {
		call, result, err := Eval(c.method, json.RawMessage(c.input))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s = %v, %v; want an error containing %q", call, result, err, c.want)
		}
	}
}

// Check names the field that disagrees, a missing one and an extra one, and
// holds a field with a tolerance to it.
func TestCheck(t *testing.T) {
	c := Case{ID: "x", Method: "permutation", Expected: json.RawMessage(`{"estimate": 1.5, "p_value": 0.02, "tolerance": 0.001, "v": [1, 2]}`)}
	cases := []struct {
		result any
		want   []string
	}{
		{map[string]any{"estimate": 1.5000001, "p_value": 0.0205, "v": []float64{1, 2}, "permutations": 100}, nil},
		{map[string]any{"estimate": 1.51, "p_value": 0.022, "v": []float64{1, 3}, "other": 1},
			[]string{"F.estimate = 1.51, want 1.5", "F.p_value = 0.022, want 0.02 ± 0.001", "F.v[1] = 3, want 2", "F.other = 1, which R's answer does not have"}},
		{map[string]any{"estimate": 1.5, "p_value": 0.02}, []string{"F.v is missing, want [1 2]"}},
	}
	for _, tc := range cases {
		got := Check(c, "F", tc.result)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("Check(%v) = %q, want %q", tc.result, got, tc.want)
		}
	}
}

func TestAgrees(t *testing.T) {
	for _, c := range []struct {
		got, want float64
		ok        bool
	}{
		{1 + 9e-7, 1, true}, {1 + 2e-6, 1, false}, {5e-10, 0, true}, {2e-9, 0, false}, {-1e6 - 0.5, -1e6, true},
	} {
		if Agrees(c.got, c.want) != c.ok {
			t.Errorf("Agrees(%v, %v) = %v, want %v", c.got, c.want, !c.ok, c.ok)
		}
	}
}
