package report

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"postlab/experiments"
)

// TestLooksMatchR checks the looks of a planned experiment against R
// (report/testdata/looks_reference.R): for each look of each treatment its posts, the test
// and its estimate, the p-value before and after Holm across the treatments, rpact's nominal
// level and whether it was crossed; then each decision and whether it is final.
func TestLooksMatchR(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "looks_posts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	arms := map[string][]unit{}
	for _, r := range rows[1:] { // id, variant, account, posted_at, views
		at, err := time.Parse(time.RFC3339, r[3])
		if err != nil {
			t.Fatal(err)
		}
		y, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		arms[r[1]] = append(arms[r[1]], unit{g: math.Log1p(y), y: y, account: r[2], postedAt: at, id: r[0]})
	}
	treatments := []string{"strong", "none"}
	vs := decideAll(experiments.KindCount, arms["control"], [][]unit{arms["strong"], arms["none"]},
		verdictOptions{alpha: 0.05, correction: "holm", planned: planned(24)})
	got := map[string]string{}
	for i, v := range vs {
		name := treatments[i]
		for _, l := range v.looks {
			base := name + ".looks[" + strconv.Itoa(l.Look) + "]"
			got[base+".posts_per_variant"] = strconv.Itoa(l.PostsPerVariant)
			got[base+".nominal_level"] = fmtNum(&l.NominalLevel)
			got[base+".method"] = l.Method
			if l.Reason != "" {
				got[base+".method"] = "none"
			}
			got[base+".estimate"] = fmtNum(l.Estimate)
			got[base+".p_unadjusted"] = fmtNum(l.PUnadjusted)
			got[base+".p_value"] = fmtNum(l.PValue)
			got[base+".crossed"] = strconv.FormatBool(l.Crossed)
		}
		got[name+".decision"] = v.decision
		got[name+".decision_final"] = strconv.FormatBool(v.final)
	}
	ef, err := os.Open(filepath.Join("testdata", "looks_expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	sc := bufio.NewScanner(ef)
	checked := 0
	for sc.Scan() {
		path, want, _ := strings.Cut(sc.Text(), "\t")
		checked++
		g, ok := got[path]
		if !ok {
			t.Errorf("%s: missing, want %s", path, want)
			continue
		}
		w, errW := strconv.ParseFloat(want, 64)
		gv, errG := strconv.ParseFloat(g, 64)
		switch {
		case errW == nil && errG == nil:
			if math.Abs(gv-w) > math.Max(1e-6*math.Abs(w), 1e-9) {
				t.Errorf("%s = %v, want %v (R)", path, gv, w)
			}
		case g != want:
			t.Errorf("%s = %s, want %s (R)", path, g, want)
		}
	}
	if checked < 50 {
		t.Errorf("checked %d values, want the whole reference", checked)
	}
}

func fmtNum(x *float64) string {
	if x == nil {
		return "NA"
	}
	return strconv.FormatFloat(*x, 'g', 17, 64)
}
