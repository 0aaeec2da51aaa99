package api_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const hostileName = `=HYPERLINK("http://evil.example","click")`

// readSheet parses a CSV answer into rows of cells by column name.
func readSheet(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, name := range rows[0] {
			m[name] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// checkSheet fails for any cell that a spreadsheet would run as a formula, and for any cell of
// a numeric column that is not a plain number (neutralising it would have spoilt it).
func checkSheet(t *testing.T, what string, rows []map[string]string, numeric []string) {
	t.Helper()
	for _, row := range rows {
		for name, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !slices.Contains(numeric, name) {
				t.Errorf("%s: column %s holds a formula: %q", what, name, cell)
			}
			if slices.Contains(numeric, name) && cell != "" {
				if _, err := strconv.ParseFloat(cell, 64); err != nil {
					t.Errorf("%s: numeric column %s holds %q, not a number", what, name, cell)
				}
			}
		}
	}
}

// TestCSVFormulaInjection: a hostile variant name or account reaches the report and schedule
// CSVs as text, not as a formula; negative numbers stay numbers.
func TestCSVFormulaInjection(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp := e.loadReference("Video #ForClimate", hostileName, "@SUM(A1:A9)")
		r := e.do(call{method: "GET", path: "/v1/experiments/" + exp + "/report" + referenceQuery, key: e.viewer,
			headers: map[string]string{"Accept": "text/csv"}}).want(http.StatusOK)
		rows := readSheet(t, r.Body)
		checkSheet(t, "report", rows, []string{"estimate", "ci_low", "ci_high", "lift", "lift_ci_low", "lift_ci_high",
			"statistic", "df", "p_value", "p_adjusted", "chance_to_beat", "expected_loss", "n_control", "n_treatment", "posts_needed"})
		hostile, negative := false, false
		for _, row := range rows {
			hostile = hostile || strings.HasPrefix(row["summary"], "'"+hostileName)
			negative = negative || strings.HasPrefix(row["lift"], "-") || strings.HasPrefix(row["ci_low"], "-")
		}
		if !hostile {
			t.Errorf("no report summary names the hostile variant, quoted: %s", r.Body)
		}
		if !negative {
			t.Errorf("the report CSV has no negative number left as it is: %s", r.Body)
		}

		plan := e.scheduleExperiment("hostile-plan", false)
		e.do(call{method: "PATCH", path: "/v1/experiments/" + plan + "/variants/evening", key: e.editor,
			body: map[string]any{"name": hostileName}}).want(http.StatusOK)
		body := map[string]any{"start": "2026-09-14", "end": "2026-09-27", "accounts": []string{"-1+1", "@ifrc", "+ifrc"},
			"posts_per_week": 2, "timezone": "Europe/Zurich", "seed": 7}
		for _, method := range []string{"POST", "GET"} {
			c := call{method: method, path: "/v1/experiments/" + plan + "/schedule", key: e.editor,
				headers: map[string]string{"Accept": "text/csv"}}
			if method == "POST" {
				c.body = body
			}
			rows := readSheet(t, e.do(c).want(http.StatusOK).Body)
			checkSheet(t, method+" schedule", rows, nil)
			seen := map[string]bool{}
			for _, row := range rows {
				seen[row["account"]], seen[row["variant_name"]] = true, true
			}
			for _, want := range []string{"'-1+1", "'@ifrc", "'+ifrc", "'" + hostileName} {
				if !seen[want] {
					t.Errorf("%s schedule CSV has no cell %q: %v", method, want, seen)
				}
			}
		}
	})
}
