// Package demo makes postlab's example data: a humanitarian organisation's climate campaign on
// TikTok, posted from three national accounts, with experiments on posting time, hashtags and
// format. It only generates the inputs of the domain's writes (experiments, variants, posts and
// snapshots); cmd/postlab writes them through the service.
//
// The data are seeded: the same Config and the same now give the same campaign, to the view.
// Every time is relative to now, so that posts have the ages they need: most are old enough to
// be compared at the 24-hour horizon, the last ones are not yet.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"postlab/experiments"
	"postlab/planning"
)

// Config holds the knobs of the example. Default gives the campaign the README describes.
type Config struct {
	Seed     uint64
	Accounts []Account
	// ViewsNoise is the sd of log views around an account's typical post: how much two posts
	// of the same account and variant differ (0.7 is a factor of two either way, commonly).
	ViewsNoise float64
	// GrowthHours is how fast views come in: a post has 1 − exp(−age/GrowthHours) of its
	// final views at each age (20: 5% after an hour, 70% after a day, all after a week).
	GrowthHours float64
	// SnapshotAges are the ages, in hours, at which each post's numbers were recorded.
	SnapshotAges []float64
	Experiments  []ExperimentSpec
}

// Account is one national account of the organisation.
type Account struct {
	Name, Timezone, Country, Language string
	Followers                         int64
	TypicalViews                      float64 // a typical post's views after a week
}

// ExperimentSpec describes one experiment and how its posts were made.
type ExperimentSpec struct {
	Key, Name, Hypothesis string
	Factors               []string
	SecondaryMetrics      []string
	MDE                   float64 // the smallest lift worth finding, which sizes the plan
	StartedDaysAgo        int     // when the experiment started, in days before now
	Weeks                 int     // weeks of posting from the start (posting stops at now)
	PostsPerWeek          int     // per account and variant
	Variants              []VariantSpec
	// ScheduleWeeks, when more than 0, asks for a posting plan of that many weeks from
	// tomorrow.
	ScheduleWeeks int
}

// VariantSpec is one arm: its levels, when it is posted and its true effect.
type VariantSpec struct {
	Key, Name string
	Control   bool
	Levels    map[string]string
	LocalTime string // HH:MM in the account's time zone
	Hashtags  []string
	Format    string
	// ViewsLift multiplies the typical post's views: 1.6 is the +60% a good report finds,
	// 1 is no effect at all.
	ViewsLift float64
}

// Experiment is what to write for one experiment, in order.
type Experiment struct {
	Spec     ExperimentSpec
	Input    experiments.ExperimentInput
	Variants []experiments.VariantInput
	StartAt  time.Time // the experiment's start, before any post
	Posts    []Post    // in posted_at order
	Schedule *planning.ScheduleInput
}

// Post is a post and its snapshots, each naming the post by platform and external id.
type Post struct {
	Input     experiments.PostInput
	Snapshots []experiments.SnapshotInput
}

// Default is the campaign of the README: a clear evening effect, no hashtag effect, and a
// format test that has only just begun.
func Default() Config {
	return Config{
		Seed: 2020,
		Accounts: []Account{
			{Name: "ifrc", Timezone: "Europe/Zurich", Country: "CH", Language: "en", Followers: 1_200_000, TypicalViews: 30_000},
			{Name: "kenyaredcross", Timezone: "Africa/Nairobi", Country: "KE", Language: "en", Followers: 310_000, TypicalViews: 18_000},
			{Name: "cruzrojachile", Timezone: "America/Santiago", Country: "CL", Language: "es", Followers: 180_000, TypicalViews: 12_000},
		},
		ViewsNoise:   0.5,
		GrowthHours:  20,
		SnapshotAges: []float64{1, 6, 24, 48, 168},
		Experiments: []ExperimentSpec{
			{
				Key: "forclimate-timing", Name: "#ForClimate videos: evening vs morning",
				Hypothesis: "Posting at 19:00 local time gets more views than 09:00",
				Factors:    []string{"post_time"}, SecondaryMetrics: []string{"engagement_rate", "completion_rate"},
				MDE: 0.5, StartedDaysAgo: 84, Weeks: 12, PostsPerWeek: 2,
				Variants: []VariantSpec{
					{Key: "morning", Name: "Morning video", Control: true, Levels: map[string]string{"post_time": "morning"},
						LocalTime: "09:00", Hashtags: []string{"ForClimate"}, Format: "video", ViewsLift: 1},
					{Key: "evening", Name: "Evening video", Levels: map[string]string{"post_time": "evening"},
						LocalTime: "19:00", Hashtags: []string{"ForClimate"}, Format: "video", ViewsLift: 1.6},
				},
			},
			{
				Key: "climate-hashtags", Name: "#ForClimate vs #ClimateAction",
				Hypothesis: "#ClimateAction reaches more people than our own #ForClimate",
				Factors:    []string{"hashtags"}, SecondaryMetrics: []string{"engagement_rate"},
				MDE: 0.5, StartedDaysAgo: 56, Weeks: 8, PostsPerWeek: 2,
				Variants: []VariantSpec{
					{Key: "forclimate", Name: "#ForClimate", Control: true, Levels: map[string]string{"hashtags": "ForClimate"},
						LocalTime: "18:30", Hashtags: []string{"ForClimate", "Climate"}, Format: "video", ViewsLift: 1},
					{Key: "climateaction", Name: "#ClimateAction", Levels: map[string]string{"hashtags": "ClimateAction"},
						LocalTime: "18:30", Hashtags: []string{"ClimateAction", "Climate"}, Format: "video", ViewsLift: 1},
				},
			},
			{
				Key: "video-vs-photo", Name: "Video vs photo carousel",
				Hypothesis: "A short video gets more views than a photo carousel of the same story",
				Factors:    []string{"format"}, SecondaryMetrics: []string{"engagement_rate"},
				MDE: 0.5, StartedDaysAgo: 10, Weeks: 2, PostsPerWeek: 1, ScheduleWeeks: 4,
				Variants: []VariantSpec{
					{Key: "video", Name: "Video", Control: true, Levels: map[string]string{"format": "video"},
						LocalTime: "12:30", Hashtags: []string{"ForClimate"}, Format: "video", ViewsLift: 1},
					{Key: "photo", Name: "Photo carousel", Levels: map[string]string{"format": "photo"},
						LocalTime: "12:30", Hashtags: []string{"ForClimate"}, Format: "photo", ViewsLift: 0.8},
				},
			},
		},
	}
}

// Campaign generates the experiments of cfg as they stand at now.
func Campaign(cfg Config, now time.Time) ([]Experiment, error) {
	now = now.UTC().Truncate(time.Minute)
	out := make([]Experiment, 0, len(cfg.Experiments))
	for i, spec := range cfg.Experiments {
		e, err := experiment(cfg, spec, uint64(i), now)
		if err != nil {
			return nil, fmt.Errorf("demo experiment %s: %w", spec.Key, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func experiment(cfg Config, spec ExperimentSpec, index uint64, now time.Time) (Experiment, error) {
	horizon, mde := 24.0, spec.MDE
	e := Experiment{Spec: spec, StartAt: now.Add(-time.Duration(spec.StartedDaysAgo) * 24 * time.Hour).Truncate(time.Hour),
		Input: experiments.ExperimentInput{Key: spec.Key, Name: spec.Name, Hypothesis: spec.Hypothesis,
			Platform: "tiktok", PrimaryMetric: "views", SecondaryMetrics: spec.SecondaryMetrics,
			HorizonHours: &horizon, MDE: &mde, Factors: spec.Factors}}
	for _, v := range spec.Variants {
		e.Variants = append(e.Variants, experiments.VariantInput{Key: v.Key, Name: v.Name, IsControl: v.Control,
			Levels: v.Levels, Hashtags: v.Hashtags, Format: v.Format,
			PostTime: &experiments.PostTime{Start: v.LocalTime, Timezone: cfg.Accounts[0].Timezone}})
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, index))
	for _, slot := range slots(cfg, spec, e.StartAt, rng) {
		if !slot.at.Before(now) {
			continue // not posted yet
		}
		e.Posts = append(e.Posts, post(cfg, spec, slot, now, rng))
	}
	slices.SortStableFunc(e.Posts, func(a, b Post) int { return cmpTime(a.Input.PostedAt, b.Input.PostedAt) })
	if spec.ScheduleWeeks > 0 {
		e.Schedule = schedule(cfg, spec, now)
	}
	return e, nil
}

// slot is when one post goes out, on which account, for which variant.
type slot struct {
	at      time.Time
	account Account
	variant VariantSpec
}

// slots spreads PostsPerWeek posts per account and variant over each week, on distinct days
// drawn at random, at the variant's local time (give or take a quarter of an hour).
func slots(cfg Config, spec ExperimentSpec, start time.Time, rng *rand.Rand) []slot {
	var out []slot
	for week := range spec.Weeks {
		for _, a := range cfg.Accounts {
			loc, _ := time.LoadLocation(a.Timezone) // the zones are the Default's, always known
			days := rng.Perm(7)
			for vi, v := range spec.Variants {
				hh, mm := clock(v.LocalTime)
				for k := range spec.PostsPerWeek {
					day := start.AddDate(0, 0, 7*week+days[(vi*spec.PostsPerWeek+k)%7]).In(loc)
					at := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, loc).
						Add(time.Duration(rng.IntN(31)-15) * time.Minute)
					if at.Before(start) {
						at = at.AddDate(0, 0, 7)
					}
					out = append(out, slot{at: at.UTC(), account: a, variant: v})
				}
			}
		}
	}
	return out
}

func clock(hhmm string) (int, int) {
	t, _ := time.Parse("15:04", hhmm)
	return t.Hour(), t.Minute()
}

// post makes one post and its snapshots at the ages it has reached by now. Its external id is
// built as TikTok builds video ids: the posting time in seconds in the upper 32 bits.
func post(cfg Config, spec ExperimentSpec, s slot, now time.Time, rng *rand.Rand) Post {
	id := fmt.Sprint(uint64(s.at.Unix())<<32 | uint64(rng.Uint32()))
	followers := s.account.Followers + int64(rng.IntN(5000))
	p := Post{Input: experiments.PostInput{VariantKey: s.variant.Key, Platform: "tiktok", Account: s.account.Name,
		ExternalID: id, URL: "https://www.tiktok.com/@" + s.account.Name + "/video/" + id,
		PostedAt: s.at.Format(time.RFC3339), Timezone: s.account.Timezone, Country: s.account.Country,
		Language: s.account.Language, Caption: caption(spec, s), Hashtags: s.variant.Hashtags,
		FollowersAtPost: &followers}}

	final := s.account.TypicalViews * s.variant.ViewsLift * math.Exp(cfg.ViewsNoise*rng.NormFloat64())
	rates := struct{ like, comment, share, save float64 }{
		0.06 * math.Exp(0.3*rng.NormFloat64()), 0.004 * math.Exp(0.4*rng.NormFloat64()),
		0.01 * math.Exp(0.4*rng.NormFloat64()), 0.005 * math.Exp(0.4*rng.NormFloat64())}
	var completion *float64
	if s.variant.Format == "video" {
		c := math.Round(math.Min(0.9, math.Max(0.05, 0.35+0.08*rng.NormFloat64()))*1000) / 1000
		completion = &c
	}
	for _, age := range cfg.SnapshotAges {
		at := s.at.Add(time.Duration(age * float64(time.Hour)))
		if at.After(now) {
			break
		}
		views := int64(final * (1 - math.Exp(-age/cfg.GrowthHours)))
		count := func(rate float64) *int64 { n := int64(float64(views) * rate); return &n }
		p.Snapshots = append(p.Snapshots, experiments.SnapshotInput{Platform: "tiktok", ExternalID: id,
			ObservedAt: at.Format(time.RFC3339), Metrics: experiments.Metrics{Views: &views,
				Likes: count(rates.like), Comments: count(rates.comment), Shares: count(rates.share),
				Saves: count(rates.save), CompletionRate: completion}})
	}
	return p
}

func caption(spec ExperimentSpec, s slot) string {
	topic := []string{"Heatwaves are here: check on your neighbours", "How volunteers prepare for floods",
		"Planting trees against landslides", "Early warnings save lives", "Drought: water points in the field"}
	return fmt.Sprintf("%s %s", topic[int(s.at.Unix()/3600)%len(topic)], hashtags(s.variant.Hashtags))
}

func hashtags(tags []string) string {
	out := ""
	for i, t := range tags {
		if i > 0 {
			out += " "
		}
		out += "#" + t
	}
	return out
}

// schedule asks for a posting plan of the coming weeks on every account, in the first
// account's time zone.
func schedule(cfg Config, spec ExperimentSpec, now time.Time) *planning.ScheduleInput {
	perWeek := spec.PostsPerWeek * len(spec.Variants)
	seed := int64(cfg.Seed)
	var accounts []string
	for _, a := range cfg.Accounts {
		accounts = append(accounts, a.Name)
	}
	start := now.AddDate(0, 0, 1)
	return &planning.ScheduleInput{Start: start.Format(time.DateOnly),
		End:      start.AddDate(0, 0, 7*spec.ScheduleWeeks-1).Format(time.DateOnly),
		Accounts: accounts, PostsPerWeek: &perWeek, Timezone: cfg.Accounts[0].Timezone, Seed: &seed}
}

func cmpTime(a, b string) int {
	ta, _ := time.Parse(time.RFC3339, a)
	tb, _ := time.Parse(time.RFC3339, b)
	return ta.Compare(tb)
}
