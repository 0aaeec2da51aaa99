package planning

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"postlab/experiments"
)

// Limits and defaults of a posting plan.
const (
	MaxScheduleDays     = 366   // the longest period one plan covers
	MaxScheduleAccounts = 50    // accounts in one plan
	MaxSchedulePerWeek  = 50    // posts per week per account
	MaxScheduleSlots    = 10000 // slots in one plan
	DefaultScheduleTime = "12:00"
	DefaultScheduleZone = "UTC"
	DefaultScheduleSeed = 1
)

// ScheduleInput is the body of POST /v1/experiments/{id}/schedule.
type ScheduleInput struct {
	Start        string   `json:"start"` // YYYY-MM-DD, the first day of the plan
	End          string   `json:"end"`   // YYYY-MM-DD, the last day of the plan
	Accounts     []string `json:"accounts"`
	PostsPerWeek *int     `json:"posts_per_week"` // per account
	Times        []string `json:"times"`          // local HH:MM candidate times
	Timezone     string   `json:"timezone"`       // IANA zone of the dates and times
	Seed         *int64   `json:"seed"`
}

// ScheduleRequest is a ScheduleInput that has been checked.
type ScheduleRequest struct {
	Start, End   time.Time // civil dates, at midnight UTC
	Accounts     []string
	PostsPerWeek int
	Times        []string // empty: each variant's post_time.start, else DefaultScheduleTime
	Location     *time.Location
	Seed         int64
}

// VariantBalance counts one variant's slots by account and by local weekday.
type VariantBalance struct {
	Total     int            `json:"total"`
	ByAccount map[string]int `json:"by_account"`
	ByWeekday map[string]int `json:"by_weekday"`
}

// scheduleWeekdays name the weekdays as the balance table does, time.Weekday order.
var scheduleWeekdays = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// Request checks the input and applies the defaults.
func (in ScheduleInput) Request() (ScheduleRequest, error) {
	var f experiments.FieldErrors
	r := ScheduleRequest{Times: in.Times, Seed: DefaultScheduleSeed}
	r.Start = parseScheduleDate(&f, "start", in.Start)
	r.End = parseScheduleDate(&f, "end", in.End)
	if !r.Start.IsZero() && !r.End.IsZero() {
		switch days := int(r.End.Sub(r.Start).Hours()/24) + 1; {
		case days < 1:
			f.Add("end", "must not be before start")
		case days > MaxScheduleDays:
			f.Add("end", "the plan may cover at most %d days; it covers %d", MaxScheduleDays, days)
		}
	}
	r.Accounts = scheduleAccounts(&f, in.Accounts)
	switch {
	case in.PostsPerWeek == nil:
		f.Add("posts_per_week", "is required: how many posts each account publishes a week (1 to %d)", MaxSchedulePerWeek)
	case *in.PostsPerWeek < 1 || *in.PostsPerWeek > MaxSchedulePerWeek:
		f.Add("posts_per_week", "must be from 1 to %d posts a week per account", MaxSchedulePerWeek)
	default:
		r.PostsPerWeek = *in.PostsPerWeek
	}
	if in.Times != nil && len(in.Times) == 0 {
		f.Add("times", "must list at least one local time such as 19:00, or be left out")
	}
	for i, t := range in.Times {
		switch {
		case !experiments.ValidClock(t):
			f.Add(fmt.Sprintf("times[%d]", i), "must be a local time HH:MM, e.g. 19:00")
		case slices.Index(in.Times, t) < i:
			f.Add(fmt.Sprintf("times[%d]", i), "%s is listed twice", t)
		}
	}
	zone := cmp.Or(in.Timezone, DefaultScheduleZone)
	if loc, err := time.LoadLocation(zone); err != nil || zone == "Local" {
		f.Add("timezone", "must be an IANA time zone such as Europe/Zurich")
	} else {
		r.Location = loc
	}
	if in.Seed != nil {
		r.Seed = *in.Seed
	}
	if err := f.Err(); err != nil {
		return ScheduleRequest{}, err
	}
	if n := len(r.Accounts) * r.slotsPerAccount(); n == 0 {
		return ScheduleRequest{}, experiments.Invalid(experiments.FieldError{Field: "end", Message: fmt.Sprintf("the period is too short for %d posts a week: no post falls in it", r.PostsPerWeek)})
	} else if n > MaxScheduleSlots {
		return ScheduleRequest{}, experiments.Invalid(experiments.FieldError{Field: "end", Message: fmt.Sprintf("the plan would have %d posts, more than %d; plan a shorter period or fewer accounts", n, MaxScheduleSlots)})
	}
	return r, nil
}

func parseScheduleDate(f *experiments.FieldErrors, field, value string) time.Time {
	if value == "" {
		f.Add(field, "is required: a date YYYY-MM-DD")
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, value)
	if err != nil {
		f.Add(field, "must be a date YYYY-MM-DD, e.g. 2026-09-14")
	} else if d.Before(minScheduleDate) || d.After(maxScheduleDate) {
		f.Add(field, "must be a date from %s to %s", minScheduleDate.Format(time.DateOnly), maxScheduleDate.Format(time.DateOnly))
	}
	return d
}

// minScheduleDate and maxScheduleDate keep a day inside the range of times postlab stores
// (experiments.MinTime to experiments.MaxTime), so that every slot of a plan, at any time of day in any zone, is
// stored and read back.
var (
	minScheduleDate = experiments.MinTime.AddDate(0, 0, 1)
	maxScheduleDate = time.Date(experiments.MaxTime.Year(), experiments.MaxTime.Month(), experiments.MaxTime.Day()-1, 0, 0, 0, 0, time.UTC)
)

func scheduleAccounts(f *experiments.FieldErrors, accounts []string) []string {
	if len(accounts) == 0 || len(accounts) > MaxScheduleAccounts {
		f.Add("accounts", "must list 1 to %d accounts (handles)", MaxScheduleAccounts)
		return nil
	}
	out := make([]string, len(accounts))
	for i, a := range accounts {
		out[i] = strings.TrimSpace(a)
		switch {
		case out[i] == "" || len(out[i]) > 200:
			f.Add(fmt.Sprintf("accounts[%d]", i), "must be an account handle of 1 to 200 characters")
		case slices.Contains(out[:i], out[i]):
			f.Add(fmt.Sprintf("accounts[%d]", i), "%s is listed twice", out[i])
		}
	}
	return out
}

// scheduleBlock is one ISO week of the plan: its days within the period.
type scheduleBlock struct {
	week string      // e.g. "2026-W38"
	days []time.Time // civil dates, at midnight UTC
}

// blocks splits the period into ISO weeks (Monday to Sunday); the first and last may be partial.
func (r ScheduleRequest) blocks() []scheduleBlock {
	monday := r.Start.AddDate(0, 0, -((int(r.Start.Weekday()) + 6) % 7))
	var out []scheduleBlock
	for ; !monday.After(r.End); monday = monday.AddDate(0, 0, 7) {
		year, week := monday.ISOWeek()
		b := scheduleBlock{week: fmt.Sprintf("%04d-W%02d", year, week)}
		for d := range 7 {
			day := monday.AddDate(0, 0, d)
			if !day.Before(r.Start) && !day.After(r.End) {
				b.days = append(b.days, day)
			}
		}
		out = append(out, b)
	}
	return out
}

// postsIn is how many posts a block of days days holds: the weekly rate, pro rata for a
// partial week (rounded half up).
func (r ScheduleRequest) postsIn(days int) int { return (2*r.PostsPerWeek*days + 7) / 14 }

func (r ScheduleRequest) slotsPerAccount() int {
	n := 0
	for _, b := range r.blocks() {
		n += r.postsIn(len(b.days))
	}
	return n
}

// BuildSchedule makes a randomised posting plan that balances the variants within blocks (a
// week of one account): in each block every variant gets its share of the posts (by planned
// weight, equal when unset) to within one post, the post that cannot be split goes to the
// variant furthest behind its share so far, and the variants take the block's days in a random
// order. Days are spread evenly over the week from a random start, and of several random
// orders the one that best evens out each variant's weekdays is kept, so that neither the
// account nor the day of the week goes with the variant. Candidate times are shared out the
// same way, unless post_time is a factor and the variant has a post_time window: its slots are
// at the window's start, in its own time zone.
//
// Each account draws from its own generator, seeded by the seed and the account's name, so a
// plan is the same for the same seed, and adding an account leaves the others' slots as they were.
func BuildSchedule(e experiments.Experiment, variants []experiments.Variant, r ScheduleRequest) ([]experiments.ScheduleSlot, error) {
	if len(variants) < 2 {
		return nil, experiments.Errorf(experiments.ECONFLICT, "a posting plan needs at least 2 variants; the experiment has %d", len(variants))
	}
	p := newSchedulePlanner(e, variants, r)
	var slots []experiments.ScheduleSlot
	for _, account := range r.Accounts {
		slots = append(slots, p.account(account)...)
	}
	slices.SortStableFunc(slots, func(a, b experiments.ScheduleSlot) int {
		return cmp.Or(a.PlannedAt.Compare(b.PlannedAt), cmp.Compare(a.Account, b.Account), cmp.Compare(a.VariantKey, b.VariantKey))
	})
	return slots, nil
}

// schedulePlanner holds what every account's plan shares.
type schedulePlanner struct {
	r        ScheduleRequest
	variants []experiments.Variant
	weights  []float64
	own      []*time.Location // the zone of the variant's own post_time, nil when it takes candidate times
	times    []string
	blocks   []scheduleBlock
}

func newSchedulePlanner(e experiments.Experiment, variants []experiments.Variant, r ScheduleRequest) *schedulePlanner {
	p := &schedulePlanner{r: r, variants: variants, weights: experiments.PlannedShares(variants),
		own: make([]*time.Location, len(variants)), times: r.Times, blocks: r.blocks()}
	if len(p.times) == 0 {
		p.times = []string{DefaultScheduleTime}
	}
	byFactor := slices.Contains(e.Factors, "post_time")
	for i, v := range variants {
		if v.PostTime == nil || !experiments.ValidClock(v.PostTime.Start) || !(byFactor || len(r.Times) == 0) {
			continue
		}
		p.own[i] = r.Location
		if loc, err := time.LoadLocation(v.PostTime.Timezone); err == nil && v.PostTime.Timezone != "" {
			p.own[i] = loc
		}
	}
	return p
}

// accountPlan is what planning one account remembers from block to block.
type accountPlan struct {
	rng      scheduleRNG
	counts   []int    // slots per variant so far
	assigned int      // slots so far
	weekdays [][7]int // slots per variant and weekday
	times    [][]int  // slots per variant and candidate time
}

func (p *schedulePlanner) account(account string) []experiments.ScheduleSlot {
	k := len(p.variants)
	a := &accountPlan{rng: newScheduleRNG(p.r.Seed, account), counts: make([]int, k),
		weekdays: make([][7]int, k), times: make([][]int, k)}
	for v := range a.times {
		a.times[v] = make([]int, len(p.times))
	}
	var slots []experiments.ScheduleSlot
	for _, b := range p.blocks {
		n := p.r.postsIn(len(b.days))
		if n == 0 {
			continue
		}
		quota := a.apportion(n, p.weights)
		days := a.spread(n, len(b.days))
		order := a.order(quota, days, b.days)
		slots = append(slots, p.place(a, account, b, days, order)...)
	}
	return slots
}

// apportion shares n posts among the variants: each gets the whole part of its share, and the
// posts left over go to the variants furthest behind their share of all the account's posts
// so far (ties drawn at random), at most one each.
func (a *accountPlan) apportion(n int, weights []float64) []int {
	k := len(weights)
	quota := make([]int, k)
	left := n
	for v, w := range weights {
		quota[v] = int(math.Floor(float64(n)*w + 1e-9))
		left -= quota[v]
	}
	if left > 0 {
		behind := make([]float64, k)
		for v, w := range weights {
			behind[v] = w*float64(a.assigned+n) - float64(a.counts[v]+quota[v])
		}
		order := a.rng.perm(k)
		slices.SortStableFunc(order, func(x, y int) int {
			switch {
			case behind[x] > behind[y]+1e-9:
				return -1
			case behind[y] > behind[x]+1e-9:
				return 1
			}
			return 0
		})
		for _, v := range order[:left] {
			quota[v]++
		}
	}
	for v, q := range quota {
		a.counts[v] += q
	}
	a.assigned += n
	return quota
}

// spread picks the days (indexes into the block's d days, in order) of n posts: as evenly
// spaced as the days allow, from a random start; with more posts than days, every day gets
// n/d of them and the rest are spread the same way.
func (a *accountPlan) spread(n, d int) []int {
	per := make([]int, d)
	for i := range per {
		per[i] = n / d
	}
	if extra := n % d; extra > 0 {
		start := a.rng.intN(d)
		for i := range extra {
			per[(i*d+start)/extra]++
		}
	}
	var days []int
	for i, c := range per {
		for range c {
			days = append(days, i)
		}
	}
	return days
}

// orderTries is how many random orders of a block's variants are drawn to find the one that
// best evens out each variant's weekdays.
const orderTries = 24

// order decides which variant takes each of the block's slots: of several random orders of
// the block's variants, the first that adds least to the variants' weekday counts (the sum
// of squares of the variant × weekday table).
func (a *accountPlan) order(quota []int, days []int, dates []time.Time) []int {
	var pool []int
	for v, q := range quota {
		for range q {
			pool = append(pool, v)
		}
	}
	var best []int
	bestCost := math.MaxInt
	for range orderTries {
		a.rng.shuffle(pool)
		cost := 0
		added := map[[2]int]int{}
		for i, v := range pool {
			key := [2]int{v, int(dates[days[i]].Weekday())}
			cost += a.weekdays[v][key[1]] + added[key]
			added[key]++
		}
		if cost < bestCost {
			best, bestCost = slices.Clone(pool), cost
		}
	}
	for i, v := range best {
		a.weekdays[v][dates[days[i]].Weekday()]++
	}
	return best
}

// place turns the block's days and variants into slots, choosing each slot's time.
func (p *schedulePlanner) place(a *accountPlan, account string, b scheduleBlock, days, order []int) []experiments.ScheduleSlot {
	slots := make([]experiments.ScheduleSlot, len(order))
	usedOn := map[int][]int{} // candidate times already taken, by day
	for i, v := range order {
		day := b.days[days[i]]
		clock, loc := "", p.own[v]
		if loc != nil {
			clock = p.variants[v].PostTime.Start
		} else {
			t := a.pickTime(v, usedOn[days[i]], len(p.times))
			usedOn[days[i]] = append(usedOn[days[i]], t)
			clock, loc = p.times[t], p.r.Location
		}
		var hour, minute int
		_, _ = fmt.Sscanf(clock, "%d:%d", &hour, &minute) // checked against clockRE
		slots[i] = experiments.ScheduleSlot{
			PlannedAt:   time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, loc),
			Account:     account,
			VariantID:   p.variants[v].ID,
			VariantKey:  p.variants[v].Key,
			VariantName: p.variants[v].Name,
			Block:       b.week + "/" + account,
		}
	}
	return slots
}

// pickTime chooses a candidate time for variant v on a day whose slots already took used: one
// not yet taken that day if any is left, the one v has had least so far, ties drawn at random.
func (a *accountPlan) pickTime(v int, used []int, n int) int {
	free := make([]int, 0, n)
	for t := range n {
		if !slices.Contains(used, t) {
			free = append(free, t)
		}
	}
	if len(free) == 0 {
		free = a.rng.perm(n)
	} else {
		a.rng.shuffle(free)
	}
	best := free[0]
	for _, t := range free[1:] {
		if a.times[v][t] < a.times[v][best] {
			best = t
		}
	}
	a.times[v][best]++
	return best
}

// ScheduleBalance counts each variant's slots in total, by account and by local weekday; every
// variant, account and weekday is listed, with 0 where there is no slot.
func ScheduleBalance(slots []experiments.ScheduleSlot, variants []experiments.Variant) map[string]VariantBalance {
	out := make(map[string]VariantBalance, len(variants))
	blank := func() VariantBalance {
		b := VariantBalance{ByAccount: map[string]int{}, ByWeekday: map[string]int{}}
		for _, d := range scheduleWeekdays {
			b.ByWeekday[d] = 0
		}
		for _, s := range slots {
			b.ByAccount[s.Account] = 0
		}
		return b
	}
	for _, v := range variants {
		out[v.Key] = blank()
	}
	for _, s := range slots {
		b, ok := out[s.VariantKey]
		if !ok {
			b = blank()
		}
		b.Total++
		b.ByAccount[s.Account]++
		b.ByWeekday[scheduleWeekdays[s.PlannedAt.Weekday()]]++
		out[s.VariantKey] = b
	}
	return out
}

// scheduleRNG draws the plan's random choices. It uses PCG, a specified algorithm, and its own
// bounded draws and shuffles, so that a seed gives the same plan on every Go version.
type scheduleRNG struct{ src *rand.PCG }

func newScheduleRNG(seed int64, account string) scheduleRNG {
	h := fnv.New64a()
	h.Write([]byte(account))
	return scheduleRNG{rand.NewPCG(uint64(seed), h.Sum64())}
}

// intN returns an integer in [0, n), each equally likely (draws past the last whole multiple
// of n are rejected).
func (g scheduleRNG) intN(n int) int {
	bound := uint64(n)
	limit := math.MaxUint64 - math.MaxUint64%bound
	for {
		if x := g.src.Uint64(); x < limit {
			return int(x % bound)
		}
	}
}

// shuffle puts xs in a random order (Fisher–Yates).
func (g scheduleRNG) shuffle(xs []int) {
	for i := len(xs) - 1; i > 0; i-- {
		j := g.intN(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// perm returns 0 … n−1 in a random order.
func (g scheduleRNG) perm(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	g.shuffle(xs)
	return xs
}
