package importer

import (
	"strings"
	"testing"
	"time"

	"postlab/experiments"
)

var metaExportTime = time.Date(2024, 9, 20, 12, 0, 0, 0, time.UTC)

func TestInstagramExport(t *testing.T) {
	opts := Options{ObservedAt: metaExportTime, Timezone: "Europe/Zurich"}
	r, rows, fails := readFile(t, "instagram.csv", opts)
	if r.Format() != FormatInstagram {
		t.Errorf("Format() = %q, want instagram", r.Format())
	}
	ig := func(line int, id, caption string, tags []string, link, posted string, s experiments.Snapshot) experiments.ImportRow {
		s.ObservedAt = metaExportTime
		return experiments.ImportRow{Line: line, Snapshot: s, Post: experiments.Post{Platform: "instagram", Account: "ifrc",
			ExternalID: id, URL: link, PostedAt: at(t, posted), Timezone: "Europe/Zurich", Caption: caption, Hashtags: tags}}
	}
	first := ig(2, "18045123456789012", "Evening tips for a cooler planet 🌍 #ForClimate #Reels", []string{"ForClimate", "Reels"},
		"https://www.instagram.com/reel/C_abc123/", "2024-09-16T19:05:00+02:00",
		experiments.Snapshot{Metrics: experiments.Metrics{Views: n(10234), Reach: n(8120), Likes: n(801),
			Shares: n(96), FollowersGained: n(14), Comments: n(40), Saves: n(12)}})
	dup := first
	dup.Line = 9
	checkRows(t, rows, []experiments.ImportRow{
		first,
		ig(3, "18045123456789013", "Morning routine\n#ForClimate #morning", []string{"ForClimate", "morning"},
			"https://www.instagram.com/p/C_def456/", "2024-09-17T09:00:00+02:00",
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(5120), Reach: n(4100),
				Likes: n(300), Comments: n(22), Saves: n(8)}}),
		dup,
		ig(11, "18045123456789018", "Big reel #ForClimate", []string{"ForClimate"},
			"https://www.instagram.com/reel/C_vwx234/", "2024-09-19T18:30:00+02:00",
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(1234567), Reach: n(987654),
				Likes: n(45678), Shares: n(1234), FollowersGained: n(567), Comments: n(890),
				Saves: n(2345)}}),
	})
	checkFails(t, fails, []RowError{
		{5, `"Date" is "09/18/2024": only lifetime totals can be imported (export with Date "Lifetime")`},
		{6, `"Publish time": "09/40/2024 12:00" is not a date and time (MM/DD/YYYY HH:MM)`},
		{7, `"Post ID": "1.80451E+16" was rounded by a spreadsheet; export the file again and open it as text`},
		{8, `"Likes": "many" is not a number`},
		{10, `"Publish time" (01/10/2025 08:00) is after the export time given for the file (2024-09-20T12:00:00Z)`},
	})
}

func TestFacebookExport(t *testing.T) {
	r, rows, fails := readFile(t, "facebook.csv", Options{ObservedAt: metaExportTime, Timezone: "Europe/Zurich"})
	if r.Format() != FormatFacebook {
		t.Errorf("Format() = %q, want facebook", r.Format())
	}
	fb := func(line int, id, caption string, tags []string, posted string, s experiments.Snapshot) experiments.ImportRow {
		s.ObservedAt = metaExportTime
		return experiments.ImportRow{Line: line, Snapshot: s, Post: experiments.Post{Platform: "facebook", Account: "IFRC",
			ExternalID: "123456789012345_" + id, URL: "https://www.facebook.com/123456789012345/posts/" + id,
			PostedAt: at(t, posted), Timezone: "Europe/Zurich", Caption: caption, Hashtags: tags}}
	}
	checkRows(t, rows, []experiments.ImportRow{
		fb(3, "987654321098765", "Heatwave safety tips #ForClimate", []string{"ForClimate"}, "2024-09-16T19:05:00+02:00",
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(20500), Reach: n(15000),
				Likes: n(900), Comments: n(120), Shares: n(80), WatchTimeSeconds: f64(61500.5),
				AvgWatchSeconds: f64(3.2)}}),
		fb(4, "987654321098766", "Climate week\nJoin us all week #ClimateWeek #ForClimate", []string{"ClimateWeek", "ForClimate"}, "2024-09-17T09:30:00+02:00",
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(8000), Reach: n(6500),
				Likes: n(1234), Comments: n(200), Shares: n(20)}}),
	})
	checkFails(t, fails, []RowError{
		{5, "the row has 4 cells but the header has 28"},
		{6, `"Reactions": "-3" is negative; counts are 0 or more`},
	})
}

// Older exports name the metrics differently; each maps to the snapshot field it means.
func TestMetaOlderColumns(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts Options
		want experiments.Snapshot
	}{
		{"instagram plays", "Post ID,Account username,Publish time,Permalink,Plays,Impressions,Profile visits\n" +
			"1,ifrc,9/16/2024 7:05 PM,https://www.instagram.com/p/x/,900,1200,33\n", Options{Timezone: "Europe/Zurich"},
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(900), ProfileViews: n(33)}}},
		{"instagram impressions", "Post ID,Account username,Publish time,Permalink,Impressions\n" +
			"1,ifrc,2024-09-16T19:05:00+02:00,https://www.instagram.com/p/x/,1200\n", Options{},
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(1200)}}},
		{"facebook likes and impressions", "Post ID,Page ID,Publish time,Permalink,Impressions,Likes\n" +
			"1_2,123,09/16/2024 17:05:00,https://www.facebook.com/1/posts/2,1200,70\n", Options{},
			experiments.Snapshot{Metrics: experiments.Metrics{Views: n(1200), Likes: n(70)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.ObservedAt = metaExportTime
			_, rows, fails := readAll(t, strings.NewReader(tt.file), tt.opts)
			if len(rows) != 1 || len(fails) != 0 {
				t.Fatalf("got %d rows and errors %v, want 1 row", len(rows), fails)
			}
			tt.want.ObservedAt = metaExportTime
			checkRows(t, []experiments.ImportRow{{Snapshot: rows[0].Snapshot}}, []experiments.ImportRow{{Snapshot: tt.want}})
			if got := rows[0].Post.PostedAt; !got.Equal(time.Date(2024, 9, 16, 17, 5, 0, 0, time.UTC)) {
				t.Errorf("posted_at = %s, want 2024-09-16T17:05:00Z", got)
			}
		})
	}
}
