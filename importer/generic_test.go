package importer

import (
	"slices"
	"strings"
	"testing"

	"postlab/experiments"
)

func TestGenericCSV(t *testing.T) {
	r, rows, fails := readFile(t, "generic.csv", Options{Platform: "tiktok"})
	const id = "7290012345678901234"
	evening := experiments.Post{Platform: "tiktok", Account: "ifrc", ExternalID: id, VariantKey: "evening-video",
		URL: "https://www.tiktok.com/@ifrc/video/" + id, PostedAt: at(t, "2026-09-14T17:05:00+02:00"), Timezone: "Europe/Zurich",
		Caption: "Evening tips #ForClimate, #Evening", Hashtags: []string{"ForClimate", "Evening"}}
	first := experiments.ImportRow{Line: 2, Post: evening, Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-15T17:05:00Z"),
		Metrics: experiments.Metrics{Views: n(10234), Likes: n(801), Comments: n(40), Shares: n(96),
			Saves: n(12), CompletionRate: f64(0.42), AvgWatchSeconds: f64(11.5)},
		Custom: map[string]float64{"sound_plays": 300}}}
	dup := first
	dup.Line = 15
	checkRows(t, rows, []experiments.ImportRow{
		first,
		{Line: 3, Post: evening, Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-16T17:05:00Z"),
			Metrics: experiments.Metrics{Views: n(15000), Comments: n(52), Shares: n(120), Saves: n(15)}}},
		{Line: 4, Post: experiments.Post{Platform: "tiktok", Account: "ifrc-es", ExternalID: "7290012345678905678",
			PostedAt: at(t, "2026-09-14T09:05:00+02:00"), Timezone: "Europe/Zurich",
			Caption: "Morning tips #ForClimate #Morning", Hashtags: []string{"ForClimate", "Morning"}},
			Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-15T07:05:00Z"),
				Metrics: experiments.Metrics{Views: n(5120), Likes: n(300), Comments: n(22), Shares: n(8),
					Saves: n(3), CompletionRate: f64(0.45), AvgWatchSeconds: f64(9)}}},
		dup,
	})
	checkFails(t, fails, []RowError{
		{5, "external_id is empty"},
		{6, `posted_at: "14/09/2026" is not a date and time; use RFC 3339 such as 2026-09-14T17:05:00+02:00`},
		{7, "observed_at (2026-09-14T16:00:00Z) is before posted_at (2026-09-14T17:05:00Z)"},
		{8, `likes: "-1" is negative; counts are 0 or more (leave the cell empty when unknown)`},
		{9, `views: "12.5" is not a whole number`},
		{10, `completion_rate: "1.5" is not between 0 and 1`},
		{11, `timezone: "Mars/Olympus" is not an IANA time zone such as Europe/Zurich`},
		{12, "the row has 19 cells but the header has 18 (a cell that holds the delimiter must be quoted)"},
		{13, `the row is not valid CSV: bare " in non-quoted-field (a quote inside a cell must be doubled, and the cell quoted)`},
		{14, `platform: "myspace" is not one of tiktok, instagram, youtube, facebook, x, linkedin, threads, other`},
		{17, `views: "1,200" is not a number`},
		{18, `custom.sound_plays: "NaN" is not a number`},
		{19, "observed_at is empty"},
	})
	if got := r.IgnoredColumns(); !slices.Equal(got, []string{"notes"}) {
		t.Errorf("IgnoredColumns() = %q, want [notes]", got)
	}
}

func TestGenericNDJSON(t *testing.T) {
	r, rows, fails := readFile(t, "generic.ndjson", Options{Platform: "tiktok"})
	checkRows(t, rows, []experiments.ImportRow{
		{Line: 1, Post: experiments.Post{Platform: "tiktok", Account: "ifrc", ExternalID: "7290012345678901234",
			VariantKey: "evening-video", PostedAt: at(t, "2026-09-14T17:05:00+02:00"), Timezone: "Europe/Zurich",
			Caption: "Evening tips #ForClimate", Hashtags: []string{"ForClimate", "Evening"}},
			Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-15T17:05:00Z"),
				Metrics: experiments.Metrics{Views: n(10234), Likes: n(801), Comments: n(40),
					Shares: n(96), Saves: n(12), WatchTimeSeconds: f64(112574.5)},
				Custom: map[string]float64{"sound_plays": 300}}},
		{Line: 2, Post: experiments.Post{Platform: "tiktok", Account: "ifrc", ExternalID: "7290012345678905678",
			PostedAt: at(t, "2026-09-14T09:05:00+02:00"), Hashtags: []string{}},
			Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-15T07:05:00Z"),
				Metrics: experiments.Metrics{Views: n(5120)}, Custom: map[string]float64{"link_clicks": 17}}},
		{Line: 12, Post: experiments.Post{Platform: "tiktok", Account: "ifrc", ExternalID: "7290012345678900007",
			PostedAt: at(t, "2026-09-14T17:05:00Z"), Hashtags: []string{"a", "b"}},
			Snapshot: experiments.Snapshot{ObservedAt: at(t, "2026-09-15T17:05:00Z"),
				Metrics: experiments.Metrics{Shares: n(100)}}},
	})
	checkFails(t, fails, []RowError{
		{4, "the line is not valid JSON: it ends before the object closes"},
		{5, "the line is not a JSON object"},
		{6, "views: expected a string or a number"},
		{7, "observed_at is empty"},
		{8, "custom.Bad Name: custom metric names are lowercase letters, digits and '_'"},
		{9, `completion_rate: "2" is not between 0 and 1`},
		{10, "the line holds more than one JSON value"},
		{11, `"custom" must be an object of numbers`},
	})
	if got := r.IgnoredColumns(); !slices.Equal(got, []string{"note"}) {
		t.Errorf("IgnoredColumns() = %q, want [note]", got)
	}
}

func TestGenericSemicolons(t *testing.T) {
	_, rows, fails := readFile(t, "generic_semicolon.csv", Options{})
	if len(rows) != 2 || len(fails) != 0 {
		t.Fatalf("got %d rows and errors %v, want 2 rows", len(rows), fails)
	}
	if rows[1].Snapshot.Likes != nil || *rows[1].Snapshot.Views != 5120 {
		t.Errorf("row 2 views, likes = %v, %v, want 5120, unknown", rows[1].Snapshot.Views, rows[1].Snapshot.Likes)
	}
}

// Single generic rows: defaults from the options, time forms and every cell check.
func TestGenericRows(t *testing.T) {
	const header = "external_id,account,platform,posted_at,timezone,observed_at,followers_at_post,watch_time_seconds,reach,profile_views,followers_gained,hashtags\n"
	tests := []struct {
		name  string
		row   string
		opts  Options
		fail  string
		check func(t *testing.T, row experiments.ImportRow)
	}{
		{name: "defaults from options", row: "1,,,2026-09-14 17:05,,2026-09-15T17:05:00Z,,,,,,",
			opts: Options{Platform: "Instagram", Account: "ifrc", Timezone: "Asia/Tokyo"},
			check: func(t *testing.T, r experiments.ImportRow) {
				p := r.Post
				if p.Platform != "instagram" || p.Account != "ifrc" || p.Timezone != "Asia/Tokyo" ||
					p.PostedAt.Format("2006-01-02T15:04:05Z07:00") != "2026-09-14T17:05:00+09:00" {
					t.Errorf("post = %s %s %s %s, want instagram ifrc Asia/Tokyo 2026-09-14T17:05:00+09:00", p.Platform, p.Account, p.Timezone, p.PostedAt)
				}
			}},
		{name: "all optional columns", row: `2,ifrc,x,2026-09-14T17:05:00.5Z,,2026-09-15 17:05:00+02:00,1200000,3600.5,900,12,3,"#a b,c"`,
			check: func(t *testing.T, r experiments.ImportRow) {
				p, s := r.Post, r.Snapshot
				if *p.FollowersAtPost != 1200000 || *s.WatchTimeSeconds != 3600.5 || *s.Reach != 900 || *s.ProfileViews != 12 ||
					*s.FollowersGained != 3 || !slices.Equal(p.Hashtags, []string{"a", "b", "c"}) {
					t.Errorf("row = %+v", r)
				}
				if s.ObservedAt.Format("15:04") != "15:05" || s.ObservedAt.Location().String() != "UTC" {
					t.Errorf("observed_at = %s, want 15:05 UTC", s.ObservedAt)
				}
			}},
		{name: "no account", row: "3,,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,,,,,", opts: Options{Platform: "x"},
			fail: "account is empty and no account was given for the import"},
		{name: "no platform", row: "3,a,,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,,,,,",
			fail: "platform is empty and no platform was given for the import"},
		{name: "bad followers", row: "4,a,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,many,,,,,",
			fail: `followers_at_post: "many" is not a number`},
		{name: "negative watch time", row: "5,a,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,-1,,,,",
			fail: `watch_time_seconds: "-1" is negative; it must be 0 or more (leave the cell empty when unknown)`},
		{name: "infinite watch time", row: "5,a,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,Inf,,,,",
			fail: `watch_time_seconds: "Inf" is not a number`},
		{name: "huge count", row: "6,a,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,,1e300,,,",
			fail: `reach: "1e300" is too large`},
		{name: "posted_at empty", row: "7,a,x,,,2026-09-15T17:05:00Z,,,,,,",
			fail: "posted_at is empty"},
		{name: "long external id", row: strings.Repeat("9", 201) + ",a,x,2026-09-14T17:05:00Z,,2026-09-15T17:05:00Z,,,,,,",
			fail: "external_id is longer than 200 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, fails := readAll(t, strings.NewReader(header+tt.row+"\n"), tt.opts)
			if tt.fail != "" {
				checkFails(t, fails, []RowError{{2, tt.fail}})
				return
			}
			if len(rows) != 1 || len(fails) != 0 {
				t.Fatalf("got %d rows and errors %v, want 1 row", len(rows), fails)
			}
			tt.check(t, rows[0])
		})
	}
}
