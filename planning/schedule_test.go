package planning

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
)

func scheduleVariants(weights ...float64) []experiments.Variant {
	vs := make([]experiments.Variant, len(weights))
	for i, w := range weights {
		key := fmt.Sprintf("v%d", i)
		vs[i] = experiments.Variant{ID: "id-" + key, Key: key, Name: "Variant " + key, IsControl: i == 0, Weight: w}
	}
	return vs
}

func scheduleRequest(t *testing.T, in ScheduleInput) ScheduleRequest {
	t.Helper()
	r, err := in.Request()
	if err != nil {
		t.Fatalf("%+v.Request() = %v", in, err)
	}
	return r
}

func intPtr(n int) *int       { return &n }
func int64Ptr(n int64) *int64 { return &n }

func TestScheduleRequest(t *testing.T) {
	valid := func() ScheduleInput {
		return ScheduleInput{Start: "2026-09-14", End: "2026-10-11", Accounts: []string{"ifrc"}, PostsPerWeek: intPtr(3)}
	}
	r := scheduleRequest(t, valid())
	if r.Location.String() != "UTC" || r.Seed != 1 || r.Times != nil || r.PostsPerWeek != 3 ||
		!r.Start.Equal(time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)) || !r.End.Equal(time.Date(2026, 10, 11, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Request() = %+v, want the defaults UTC, seed 1, no times", r)
	}
	tests := []struct {
		name  string
		edit  func(*ScheduleInput)
		field string
	}{
		{"no start", func(in *ScheduleInput) { in.Start = "" }, "start"},
		{"bad start", func(in *ScheduleInput) { in.Start = "14/09/2026" }, "start"},
		{"impossible date", func(in *ScheduleInput) { in.End = "2026-02-30" }, "end"},
		{"end before start", func(in *ScheduleInput) { in.End = "2026-09-13" }, "end"},
		{"367 days", func(in *ScheduleInput) { in.End = "2027-09-15" }, "end"},
		{"no accounts", func(in *ScheduleInput) { in.Accounts = nil }, "accounts"},
		{"51 accounts", func(in *ScheduleInput) { in.Accounts = make([]string, 51) }, "accounts"},
		{"blank account", func(in *ScheduleInput) { in.Accounts = []string{"ifrc", " "} }, "accounts[1]"},
		{"same account twice", func(in *ScheduleInput) { in.Accounts = []string{"ifrc", " ifrc"} }, "accounts[1]"},
		{"no rate", func(in *ScheduleInput) { in.PostsPerWeek = nil }, "posts_per_week"},
		{"rate 0", func(in *ScheduleInput) { in.PostsPerWeek = intPtr(0) }, "posts_per_week"},
		{"rate 51", func(in *ScheduleInput) { in.PostsPerWeek = intPtr(51) }, "posts_per_week"},
		{"empty times", func(in *ScheduleInput) { in.Times = []string{} }, "times"},
		{"bad time", func(in *ScheduleInput) { in.Times = []string{"09:00", "24:00"} }, "times[1]"},
		{"time twice", func(in *ScheduleInput) { in.Times = []string{"09:00", "09:00"} }, "times[1]"},
		{"bad zone", func(in *ScheduleInput) { in.Timezone = "Europe/Atlantis" }, "timezone"},
		{"Local is no IANA zone", func(in *ScheduleInput) { in.Timezone = "Local" }, "timezone"},
		{"no slot in the period", func(in *ScheduleInput) { in.End, in.PostsPerWeek = "2026-09-16", intPtr(1) }, "end"},
		{"too many slots", func(in *ScheduleInput) {
			in.End, in.PostsPerWeek, in.Accounts = "2027-09-13", intPtr(50), []string{"a", "b", "c", "d"}
		}, "end"},
	}
	for _, tt := range tests {
		in := valid()
		tt.edit(&in)
		_, err := in.Request()
		var e *experiments.Error
		if !errors.As(err, &e) || e.Code != experiments.EINVALID || !slices.ContainsFunc(e.Fields, func(f experiments.FieldError) bool { return f.Field == tt.field }) {
			t.Errorf("%s: Request() = %v, want a validation error naming %s", tt.name, err, tt.field)
		}
	}
}

func TestScheduleBlocks(t *testing.T) {
	// Wednesday 16 September to Tuesday 6 October 2026: a partial week, two whole ones, a partial one.
	r := scheduleRequest(t, ScheduleInput{Start: "2026-09-16", End: "2026-10-06", Accounts: []string{"a"}, PostsPerWeek: intPtr(3)})
	var got []string
	for _, b := range r.blocks() {
		got = append(got, fmt.Sprintf("%s:%d:%d", b.week, len(b.days), r.postsIn(len(b.days))))
	}
	want := []string{"2026-W38:5:2", "2026-W39:7:3", "2026-W40:7:3", "2026-W41:2:1"}
	if !slices.Equal(got, want) {
		t.Errorf("blocks() = %v, want %v (week:days:posts)", got, want)
	}
	// ISO weeks across a new year: 2026-12-28 is in 2026-W53, 2027-01-04 in 2027-W01.
	r = scheduleRequest(t, ScheduleInput{Start: "2026-12-28", End: "2027-01-10", Accounts: []string{"a"}, PostsPerWeek: intPtr(3)})
	if b := r.blocks(); len(b) != 2 || b[0].week != "2026-W53" || b[1].week != "2027-W01" {
		t.Errorf("blocks() across the year = %+v, want 2026-W53 and 2027-W01", b)
	}
}

func TestBuildScheduleBalance(t *testing.T) {
	cases := []struct {
		weights  []float64
		perWeek  int
		accounts []string
		end      string
	}{
		{[]float64{0, 0}, 3, []string{"ifrc", "ifrc_es", "ifrc_fr"}, "2027-03-14"},
		{[]float64{0, 0, 0}, 2, []string{"ifrc"}, "2027-09-12"},
		{[]float64{0, 0, 0, 0}, 7, []string{"ifrc", "unicef"}, "2026-12-20"},
		{[]float64{3, 1}, 4, []string{"ifrc"}, "2026-12-20"},
		{[]float64{0.5, 0.3, 0.2}, 5, []string{"ifrc", "ifrc_es"}, "2027-03-14"},
		{[]float64{0, 0}, 10, []string{"ifrc"}, "2026-11-08"}, // more posts than days
		{[]float64{0, 0, 0}, 1, []string{"ifrc"}, "2027-09-12"},
		// Weights the contract allows whose sum overflows a float.
		{[]float64{1e308, 1e308}, 3, []string{"ifrc"}, "2026-12-20"},
		{[]float64{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64}, 5, []string{"ifrc"}, "2026-12-20"},
	}
	for _, c := range cases {
		for seed := int64(1); seed <= 5; seed++ {
			name := fmt.Sprintf("weights %v, %d a week, seed %d", c.weights, c.perWeek, seed)
			vs := scheduleVariants(c.weights...)
			w := experiments.PlannedShares(vs)
			r := scheduleRequest(t, ScheduleInput{Start: "2026-09-16", End: c.end, Accounts: c.accounts,
				PostsPerWeek: intPtr(c.perWeek), Seed: &seed})
			slots, err := BuildSchedule(experiments.Experiment{}, vs, r)
			if err != nil {
				t.Fatalf("%s: BuildSchedule() = %v", name, err)
			}
			checkScheduleBlocks(t, name, r, slots, vs, w)
			// Each account's totals stay within one post of its share.
			for _, account := range c.accounts {
				counts, total := map[string]int{}, 0
				for _, s := range slots {
					if s.Account == account {
						counts[s.VariantKey]++
						total++
					}
				}
				for i, v := range vs {
					if d := float64(counts[v.Key]) - w[i]*float64(total); math.Abs(d) > 1+1e-9 {
						t.Errorf("%s: %s has %d of %s's %d slots, want %v to within one", name, v.Key, counts[v.Key], account, total, w[i]*float64(total))
					}
				}
			}
		}
	}
}

// checkScheduleBlocks checks every block: its size, each variant's share to within one post,
// and distinct days while there are no more posts than days.
func checkScheduleBlocks(t *testing.T, name string, r ScheduleRequest, slots []experiments.ScheduleSlot, vs []experiments.Variant, w []float64) {
	t.Helper()
	byBlock := map[string][]experiments.ScheduleSlot{}
	for _, s := range slots {
		byBlock[s.Block] = append(byBlock[s.Block], s)
	}
	for _, b := range r.blocks() {
		n := r.postsIn(len(b.days))
		for _, account := range r.Accounts {
			got := byBlock[b.week+"/"+account]
			if len(got) != n {
				t.Errorf("%s: block %s/%s has %d slots, want %d", name, b.week, account, len(got), n)
				continue
			}
			counts, days := map[string]int{}, map[string]int{}
			for _, s := range got {
				counts[s.VariantKey]++
				days[s.PlannedAt.Format(time.DateOnly)]++
				if d := s.PlannedAt.Format(time.DateOnly); d < b.days[0].Format(time.DateOnly) || d > b.days[len(b.days)-1].Format(time.DateOnly) {
					t.Errorf("%s: slot on %s outside block %s", name, d, b.week)
				}
			}
			for i, v := range vs {
				if exact := w[i] * float64(n); float64(counts[v.Key]) < math.Floor(exact+1e-9) || float64(counts[v.Key]) > math.Ceil(exact-1e-9) {
					t.Errorf("%s: block %s/%s gives %s %d of %d slots, want %v rounded down or up", name, b.week, account, v.Key, counts[v.Key], n, exact)
				}
			}
			for day, c := range days {
				if most := (n + len(b.days) - 1) / len(b.days); c > most {
					t.Errorf("%s: block %s/%s puts %d slots on %s, want at most %d", name, b.week, account, c, day, most)
				}
			}
		}
	}
}

// TestBuildScheduleWeekdays checks that no variant keeps to some days of the week: over a
// year, every variant posts on every weekday, and about equally often.
func TestBuildScheduleWeekdays(t *testing.T) {
	vs := scheduleVariants(0, 0)
	r := scheduleRequest(t, ScheduleInput{Start: "2026-09-14", End: "2027-09-12", Accounts: []string{"ifrc"}, PostsPerWeek: intPtr(3)})
	slots, err := BuildSchedule(experiments.Experiment{}, vs, r)
	if err != nil {
		t.Fatal(err)
	}
	for key, b := range ScheduleBalance(slots, vs) {
		lo, hi := math.MaxInt, 0
		for _, n := range b.ByWeekday {
			lo, hi = min(lo, n), max(hi, n)
		}
		// 78 posts over 7 weekdays is 11.1 a day.
		if b.Total != 78 || lo < 9 || hi > 13 {
			t.Errorf("%s: %d slots, by weekday %v; want 78, every weekday 9 to 13", key, b.Total, b.ByWeekday)
		}
	}
}

func TestBuildScheduleDeterministic(t *testing.T) {
	vs := scheduleVariants(0, 0, 0)
	in := ScheduleInput{Start: "2026-09-14", End: "2026-11-08", Accounts: []string{"ifrc", "ifrc_es"}, PostsPerWeek: intPtr(4), Seed: int64Ptr(42)}
	build := func(in ScheduleInput) []experiments.ScheduleSlot {
		slots, err := BuildSchedule(experiments.Experiment{}, vs, scheduleRequest(t, in))
		if err != nil {
			t.Fatal(err)
		}
		return slots
	}
	first := build(in)
	if again := build(in); !cmp.Equal(first, again) {
		t.Errorf("the same seed gave another plan:\n%s", cmp.Diff(first, again))
	}
	other := in
	other.Seed = int64Ptr(43)
	if cmp.Equal(first, build(other)) {
		t.Errorf("seeds 42 and 43 gave the same plan")
	}
	// Adding an account leaves the others' slots as they were.
	more := in
	more.Accounts = []string{"unicef", "ifrc", "ifrc_es"}
	var kept []experiments.ScheduleSlot
	for _, s := range build(more) {
		if s.Account != "unicef" {
			kept = append(kept, s)
		}
	}
	if !cmp.Equal(first, kept) {
		t.Errorf("adding an account changed the others' slots:\n%s", cmp.Diff(first, kept))
	}
}

// TestBuildScheduleGolden pins a plan, so that a change of the generator or of the algorithm,
// which would give teams another plan for a seed they have already used, cannot pass unseen.
func TestBuildScheduleGolden(t *testing.T) {
	vs := scheduleVariants(0, 0)
	slots, err := BuildSchedule(experiments.Experiment{}, vs, scheduleRequest(t, ScheduleInput{Start: "2026-09-14", End: "2026-09-27",
		Accounts: []string{"ifrc"}, PostsPerWeek: intPtr(3), Times: []string{"09:00", "19:00"}, Seed: int64Ptr(7)}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.PlannedAt.Format("Mon 2006-01-02 15:04")+" "+s.VariantKey)
	}
	want := []string{
		"Tue 2026-09-15 19:00 v1",
		"Thu 2026-09-17 09:00 v0",
		"Sat 2026-09-19 19:00 v0",
		"Tue 2026-09-22 09:00 v0",
		"Thu 2026-09-24 09:00 v1",
		"Sat 2026-09-26 09:00 v1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan for seed 7 =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBuildScheduleTimes(t *testing.T) {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	vs := scheduleVariants(0, 0)
	vs[0].PostTime = &experiments.PostTime{Start: "09:00", Timezone: "Europe/Zurich"}
	vs[1].PostTime = nil
	clocks := func(e experiments.Experiment, in ScheduleInput) map[string][]string {
		t.Helper()
		slots, err := BuildSchedule(e, vs, scheduleRequest(t, in))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, s := range slots {
			c := s.PlannedAt.Format("15:04 MST")
			if !slices.Contains(out[s.VariantKey], c) {
				out[s.VariantKey] = append(out[s.VariantKey], c)
			}
		}
		for k := range out {
			slices.Sort(out[k])
		}
		return out
	}
	// Summer time ends on 25 October in Zurich, on 1 November in New York.
	in := ScheduleInput{Start: "2026-10-19", End: "2026-10-31", Accounts: []string{"ifrc"}, PostsPerWeek: intPtr(6), Timezone: "America/New_York"}
	byTime := experiments.Experiment{Factors: []string{"post_time"}}

	// No times given: a variant's own window, in its own zone; else 12:00 in the plan's zone.
	got := clocks(experiments.Experiment{}, in)
	want := map[string][]string{"v0": {"09:00 CEST", "09:00 CET"}, "v1": {"12:00 EDT"}}
	slices.Sort(want["v0"])
	if !cmp.Equal(got, want) {
		t.Errorf("default times = %v, want %v", got, want)
	}
	// Times given: post_time as a factor keeps the variant's window; otherwise both share the times.
	in.Times = []string{"08:30", "17:45"}
	if got := clocks(byTime, in); !cmp.Equal(got, map[string][]string{"v0": want["v0"], "v1": {"08:30 EDT", "17:45 EDT"}}) {
		t.Errorf("times with post_time as a factor = %v", got)
	}
	if got := clocks(experiments.Experiment{}, in); !cmp.Equal(got, map[string][]string{"v0": {"08:30 EDT", "17:45 EDT"}, "v1": {"08:30 EDT", "17:45 EDT"}}) {
		t.Errorf("times without post_time as a factor = %v", got)
	}
	for _, s := range mustSchedule(t, byTime, vs, in) {
		if s.VariantKey == "v0" && s.PlannedAt.In(zurich).Format("15:04") != "09:00" {
			t.Errorf("v0 slot at %s, want 09:00 in Zurich", s.PlannedAt)
		}
	}
}

func mustSchedule(t *testing.T, e experiments.Experiment, vs []experiments.Variant, in ScheduleInput) []experiments.ScheduleSlot {
	t.Helper()
	slots, err := BuildSchedule(e, vs, scheduleRequest(t, in))
	if err != nil {
		t.Fatal(err)
	}
	return slots
}

func TestBuildScheduleSpreadsTimes(t *testing.T) {
	// Ten posts a week on seven days: three days take two posts, at two different times.
	vs := scheduleVariants(0, 0)
	slots := mustSchedule(t, experiments.Experiment{}, vs, ScheduleInput{Start: "2026-09-14", End: "2026-09-20", Accounts: []string{"ifrc"},
		PostsPerWeek: intPtr(10), Times: []string{"09:00", "19:00"}})
	byDay := map[string][]string{}
	for _, s := range slots {
		day := s.PlannedAt.Format(time.DateOnly)
		byDay[day] = append(byDay[day], s.PlannedAt.Format("15:04"))
	}
	if len(slots) != 10 || len(byDay) != 7 {
		t.Fatalf("plan = %d slots on %d days, want 10 on 7", len(slots), len(byDay))
	}
	for day, times := range byDay {
		if len(times) == 2 && times[0] == times[1] {
			t.Errorf("%s has two posts at %s, want two different times", day, times[0])
		}
	}
}

func TestBuildScheduleNeedsTwoVariants(t *testing.T) {
	r := scheduleRequest(t, ScheduleInput{Start: "2026-09-14", End: "2026-09-20", Accounts: []string{"ifrc"}, PostsPerWeek: intPtr(3)})
	if _, err := BuildSchedule(experiments.Experiment{}, scheduleVariants(0), r); experiments.ErrorCode(err) != experiments.ECONFLICT {
		t.Errorf("BuildSchedule(1 variant) = %v, want a conflict", err)
	}
}

func TestScheduleBalance(t *testing.T) {
	vs := scheduleVariants(0, 0)
	mon := time.Date(2026, 9, 14, 9, 0, 0, 0, time.FixedZone("", 2*3600))
	slots := []experiments.ScheduleSlot{
		{PlannedAt: mon, Account: "ifrc", VariantKey: "v0"},
		{PlannedAt: mon.Add(24 * time.Hour), Account: "ifrc_es", VariantKey: "v0"},
		// 23:30 UTC is already Tuesday in Zurich: the weekday is the local one.
		{PlannedAt: time.Date(2026, 9, 14, 23, 30, 0, 0, time.UTC).In(time.FixedZone("", 2*3600)), Account: "ifrc", VariantKey: "v1"},
	}
	got := ScheduleBalance(slots, vs)
	zeroDays := map[string]int{"Mon": 0, "Tue": 0, "Wed": 0, "Thu": 0, "Fri": 0, "Sat": 0, "Sun": 0}
	days := func(set map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range zeroDays {
			out[k] = v
		}
		for k, v := range set {
			out[k] = v
		}
		return out
	}
	want := map[string]VariantBalance{
		"v0": {Total: 2, ByAccount: map[string]int{"ifrc": 1, "ifrc_es": 1}, ByWeekday: days(map[string]int{"Mon": 1, "Tue": 1})},
		"v1": {Total: 1, ByAccount: map[string]int{"ifrc": 1, "ifrc_es": 0}, ByWeekday: days(map[string]int{"Tue": 1})},
	}
	if !cmp.Equal(got, want) {
		t.Errorf("ScheduleBalance():\n%s", cmp.Diff(want, got))
	}
}

func TestScheduleRNG(t *testing.T) {
	g := newScheduleRNG(1, "ifrc")
	counts := make([]int, 7)
	for range 70000 {
		counts[g.intN(7)]++
	}
	for i, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("intN(7) drew %d %d times in 70000, want about 10000", i, c)
		}
	}
	p := g.perm(10)
	slices.Sort(p)
	if !slices.Equal(p, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("perm(10) = %v, want a permutation of 0…9", p)
	}
	if a, b := newScheduleRNG(1, "ifrc").intN(1000000), newScheduleRNG(1, "unicef").intN(1000000); a == b {
		t.Errorf("accounts ifrc and unicef drew the same first number %d", a)
	}
}
