package statscase

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Agrees is the agreement asked of every method: a relative error of at
// most 1e-6, or an absolute error of at most 1e-9 for values near zero.
func Agrees(got, want float64) bool {
	d := math.Abs(got - want)
	return d <= 1e-9 || d <= 1e-6*math.Abs(want)
}

// allowedExtra are result fields a method reports beyond R's.
var allowedExtra = map[string]map[string]bool{
	"permutation": {"permutations": true},
}

// Check compares a result of Eval with the case's expected answer and
// returns one message per disagreement, each "call.field = got, want
// want". Numbers agree as Agrees says, except a field the case gives a
// tolerance for (the permutation p-value, whose reference was itself
// simulated), which must lie within it. The result must have exactly the
// expected fields (and the method's documented extras).
func Check(c Case, call string, result any) []string {
	var want map[string]any
	if err := json.Unmarshal(c.Expected, &want); err != nil {
		return []string{fmt.Sprintf("case %s: expected is not an object: %v", c.ID, err)}
	}
	b, err := json.Marshal(result)
	if err != nil {
		return []string{fmt.Sprintf("%s: the result does not encode as JSON: %v", call, err)}
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		return []string{fmt.Sprintf("%s = %s, want an object", call, b)}
	}
	tol, hasTol := want["tolerance"].(float64)
	delete(want, "tolerance")
	var msgs []string
	for _, key := range sortedKeys(want) {
		w := want[key]
		g, ok := got[key]
		where := call + "." + key
		switch {
		case !ok:
			msgs = append(msgs, fmt.Sprintf("%s is missing, want %v", where, w))
		case hasTol && key == "p_value":
			gf, gok := g.(float64)
			wf, wok := w.(float64)
			if !gok || !wok || math.Abs(gf-wf) > tol {
				msgs = append(msgs, fmt.Sprintf("%s = %v, want %v ± %v", where, g, w, tol))
			}
		default:
			msgs = compare(msgs, where, g, w)
		}
	}
	for _, key := range sortedKeys(got) {
		if _, ok := want[key]; !ok && !allowedExtra[c.Method][key] {
			msgs = append(msgs, fmt.Sprintf("%s.%s = %v, which R's answer does not have", call, key, got[key]))
		}
	}
	return msgs
}

// compare compares decoded JSON values: numbers as Agrees says, arrays and
// objects element by element, the rest exactly.
func compare(msgs []string, where string, got, want any) []string {
	switch w := want.(type) {
	case float64:
		if g, ok := got.(float64); !ok || !Agrees(g, w) {
			msgs = append(msgs, fmt.Sprintf("%s = %v, want %v", where, got, w))
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return append(msgs, fmt.Sprintf("%s = %v, want %v", where, got, w))
		}
		for i := range w {
			msgs = compare(msgs, fmt.Sprintf("%s[%d]", where, i), g[i], w[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return append(msgs, fmt.Sprintf("%s = %v, want %v", where, got, w))
		}
		for _, k := range sortedKeys(w) {
			msgs = compare(msgs, where+"."+k, g[k], w[k])
		}
	default:
		if got != want {
			msgs = append(msgs, fmt.Sprintf("%s = %v, want %v", where, got, want))
		}
	}
	return msgs
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
