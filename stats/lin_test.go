package stats

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// linData is two accounts of very different size and level, with uneven
// allocation: the case Lin is for.
func linData() (g []float64, treated []bool, account []string) {
	add := func(acc string, t bool, ys ...float64) {
		for _, y := range ys {
			g = append(g, math.Log1p(y))
			treated = append(treated, t)
			account = append(account, acc)
		}
	}
	add("big", false, 10400, 8700)
	add("big", true, 9100, 15020, 7430, 12800, 20310, 8800, 11020, 9950)
	add("small", false, 280, 450, 610, 390, 300, 720)
	add("small", true, 310, 520)
	return g, treated, account
}

// With one account Lin has no covariates: the estimate is the difference of
// means and the HC2 error is Welch's, on n − 2 degrees of freedom.
func TestLinOneAccountIsWelchError(t *testing.T) {
	control := []float64{4660, 1675, 1857, 3383, 5425, 2210}
	treatment := []float64{14646, 26655, 4668, 3408, 2460, 9120, 7000}
	var g []float64
	var treated []bool
	for _, y := range control {
		g, treated = append(g, math.Log1p(y)), append(treated, false)
	}
	for _, y := range treatment {
		g, treated = append(g, math.Log1p(y)), append(treated, true)
	}
	account := strings.Split(strings.Repeat("ifrc,", len(g)-1)+"ifrc", ",")
	got, err := Lin(g, treated, account, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	w, err := WelchLog(control, treatment, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	se := w.Estimate / w.Statistic
	if !agrees(got.Estimate, w.Estimate) || !agrees(got.SE, se) || got.DF != float64(len(g)-2) {
		t.Errorf("Lin(one account) = %+v, want estimate %v, se %v (Welch's), df %d", got, w.Estimate, se, len(g)-2)
	}
}

// Which account is the reference level changes the parametrisation, not the
// treatment effect.
func TestLinAccountNamesDoNotMatter(t *testing.T) {
	g, treated, account := linData()
	want, err := Lin(g, treated, account, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	renamed := make([]string, len(account))
	for i, a := range account {
		renamed[i] = map[string]string{"big": "zz", "small": "aa"}[a]
	}
	got, err := Lin(g, treated, renamed, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if !agrees(got.Estimate, want.Estimate) || !agrees(got.SE, want.SE) || got.DF != want.DF {
		t.Errorf("Lin(renamed accounts) = %+v, want %+v", got, want)
	}
}

// The estimate is the arms' difference at the average account mix: a
// treatment equally worse in both accounts is worse, though the treatment
// posted mostly on the big account and the pooled difference says better
// (Simpson's paradox).
func TestLinAdjustsForAccounts(t *testing.T) {
	g, treated, account := linData()
	for i := range g {
		if treated[i] {
			g[i] -= 0.3 // every treated post 26% lower than its account's control
		}
	}
	var sums [2]float64
	var counts [2]int
	for i := range g {
		if treated[i] {
			sums[1] += g[i]
			counts[1]++
		} else {
			sums[0] += g[i]
			counts[0]++
		}
	}
	if naive := sums[1]/float64(counts[1]) - sums[0]/float64(counts[0]); naive <= 0 {
		t.Fatalf("test data: the pooled difference is %v, want it positive", naive)
	}
	got, err := Lin(g, treated, account, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if !(got.Estimate < 0) || got.DF != float64(len(g)-4) {
		t.Errorf("Lin(treatment 0.3 lower in each account) = %+v, want a negative estimate on %d df", got, len(g)-4)
	}
}

func TestLinRefusesOneVariantAccount(t *testing.T) {
	g, treated, account := linData()
	g = append(g, 5, 6, 7)
	treated = append(treated, true, true, true)
	account = append(account, "new", "new", "new")
	_, err := Lin(g, treated, account, 0.05)
	var e InsufficientDataError
	if !errors.As(err, &e) || !strings.Contains(e.Reason, `account "new" posted no control`) {
		t.Errorf("Lin(account with only treatment posts) error = %v, want one naming account \"new\"", err)
	}
}
