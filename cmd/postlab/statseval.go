package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"postlab/stats/statscase"
)

// statsEval is `postlab stats eval FILE`: it runs the statistics engine on
// cases in the format of stats/testdata/stats-cases.json, ignoring their
// "expected", and prints {"cases": [{"id", "result"}]} where each result has
// the fields that "expected" has for its method. A case the engine cannot
// run (degenerate data, a malformed input, an unknown method) gets
// {"id", "error"} with the reason instead; the other cases still run.
func statsEval(path string, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("stats eval: %w", err)
	}
	cases, err := statscase.Decode(data)
	if err != nil {
		return fmt.Errorf("stats eval: %s is %w", path, err)
	}
	out := evalOutput{Cases: make([]evalCase, 0, len(cases))}
	for _, c := range cases {
		_, result, err := statscase.Eval(c.Method, c.Input)
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
