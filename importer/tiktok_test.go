package importer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"postlab/experiments"
)

// Video ids of the test files; each carries its post time in its top 32 bits.
const (
	idDec28   = "7453531772570778701" // 2024-12-28T18:30:00Z
	idJan2    = "7455210675043683070" // 2025-01-02T07:05:00Z
	idDec31   = "7454668220765713220" // 2024-12-31T20:00:00Z
	idSep16   = "7415209498520809601" // 2024-09-16T12:00:00Z
	idJan4    = "7456187352541560833" // 2025-01-04T22:15:00Z
	idJan6    = "7456616417656373230" // 2025-01-06T02:00:00Z
	idNoTime  = "1234567"             // too small to carry a time: "Post time" is used
	idNoTime2 = "99"
)

const tiktokHeader = `"Time","Video title","Video link","Post time","Total likes","Total comments","Total shares","Total views"` + "\n"

func link(account, id string) string { return "https://www.tiktok.com/@" + account + "/video/" + id }

// tiktokRow builds an expected row of a TikTok export.
func tiktokRow(t *testing.T, line int, account, id, caption string, tags []string, posted, observed string, likes, comments, shares, views *int64) experiments.ImportRow {
	if tags == nil {
		tags = []string{}
	}
	return experiments.ImportRow{Line: line,
		Post: experiments.Post{Platform: "tiktok", Account: account, ExternalID: id, URL: link(account, id),
			PostedAt: at(t, posted), Caption: caption, Hashtags: tags},
		Snapshot: experiments.Snapshot{ObservedAt: at(t, observed), Metrics: experiments.Metrics{Likes: likes, Comments: comments, Shares: shares, Views: views}},
	}
}

func TestTikTokLocales(t *testing.T) {
	const endOfExport = "2025-01-05T23:59:59Z" // no export time given: the last second of "Time"
	tests := []struct {
		file  string
		rows  func(t *testing.T) []experiments.ImportRow
		fails []RowError
	}{
		{file: "tiktok_en.csv", rows: func(t *testing.T) []experiments.ImportRow {
			a := "redcross.climate"
			first := tiktokRow(t, 2, a, idDec28, "Evening climate tips #ForClimate #fyp", []string{"ForClimate", "fyp"},
				"2024-12-28T18:30:00Z", endOfExport, n(5431), n(1200), n(312), n(1200000))
			dup := first
			dup.Line = 5
			return []experiments.ImportRow{
				first,
				tiktokRow(t, 3, a, idJan2, "Morning routine for the planet #ForClimate #morning", []string{"ForClimate", "morning"},
					"2025-01-02T07:05:00Z", endOfExport, nil, nil, n(12), n(3000000)),
				tiktokRow(t, 4, a, idDec31, "Floods, heat, and you: what to do #ClimateAction", []string{"ClimateAction"},
					"2024-12-31T20:00:00Z", endOfExport, n(845), n(23), n(9), n(15300)),
				dup,
				tiktokRow(t, 6, a, idSep16, "Volunteers in action\n#RedCross #ForClimate", []string{"RedCross", "ForClimate"},
					"2024-09-16T12:00:00Z", endOfExport, n(12345), n(678), n(90), n(250000)),
				tiktokRow(t, 8, a, idNoTime, "Repost from the archive", nil, "2025-01-03T00:00:00Z", endOfExport, n(1), n(2), n(3), n(4)),
				tiktokRow(t, 14, a, idJan4, "Last one, with a comma in a quoted title", nil, "2025-01-04T22:15:00Z", endOfExport, n(1234), n(0), n(0), n(7001)),
			}
		}, fails: []RowError{
			{9, `"Total likes": "lots" is not a number`},
			{10, "no TikTok video link (https://www.tiktok.com/@account/video/ID) in the row"},
			{11, `"Total views": "-40" is negative; counts are 0 or more`},
			{12, `the post time read from the video id (2025-01-06T02:00:00Z) is after the export date in "Time" (2025-01-05); give the time zone the export was made in`},
		}},
		{file: "tiktok_es.csv", rows: func(t *testing.T) []experiments.ImportRow {
			a := "cruzroja"
			return []experiments.ImportRow{
				tiktokRow(t, 2, a, idDec28, "Consejos para el clima #PorElClima", []string{"PorElClima"},
					"2024-12-28T18:30:00Z", endOfExport, n(5431), n(1200), n(312), n(1200000)),
				tiktokRow(t, 3, a, idNoTime, "Rutina de mañana", nil, "2024-09-16T00:00:00Z", endOfExport, nil, n(7), n(0), n(2500)),
			}
		}, fails: []RowError{{4, `"Post time": "31 de septiembre" is not a date`}}},
		{file: "tiktok_fr.csv", rows: func(t *testing.T) []experiments.ImportRow {
			a := "croixrouge"
			return []experiments.ImportRow{
				tiktokRow(t, 2, a, idDec28, "Astuces climat #PourLeClimat", []string{"PourLeClimat"},
					"2024-12-28T18:30:00Z", endOfExport, n(5431), n(1200), n(312), n(1200000)),
				tiktokRow(t, 3, a, idNoTime, "Bonne année", nil, "2025-01-01T00:00:00Z", endOfExport, n(12000), n(3), nil, nil),
				tiktokRow(t, 4, a, idNoTime2, "Rétrospective", nil, "2023-12-28T00:00:00Z", endOfExport, n(10), n(0), n(0), n(100)),
			}
		}},
		{file: "tiktok_pt.csv", rows: func(t *testing.T) []experiments.ImportRow {
			a := "cruzvermelha"
			return []experiments.ImportRow{
				tiktokRow(t, 2, a, idDec28, "Dicas para o clima #PeloClima", []string{"PeloClima"},
					"2024-12-28T18:30:00Z", endOfExport, n(5431), n(1200), n(312), n(1200000)),
				tiktokRow(t, 3, a, idNoTime, "Voluntários", nil, "2024-09-16T00:00:00Z", endOfExport, n(1000), n(10), n(1), n(20500)),
				tiktokRow(t, 4, a, idNoTime2, "Março", nil, "2024-03-03T00:00:00Z", endOfExport, n(1), n(1), n(1), n(1)),
			}
		}},
		{file: "tiktok_ja.csv", rows: func(t *testing.T) []experiments.ImportRow {
			a := "jrc"
			return []experiments.ImportRow{
				tiktokRow(t, 2, a, idDec28, "気候のヒント #気候変動 #ForClimate", []string{"気候変動", "ForClimate"},
					"2024-12-28T18:30:00Z", endOfExport, n(5431), n(12000), n(312), n(1200000)),
				tiktokRow(t, 3, a, idNoTime, "ボランティア", nil, "2024-09-16T00:00:00Z", endOfExport, n(1000), n(10), n(1), n(34000)),
				tiktokRow(t, 4, a, idNoTime2, "未定", nil, "2025-01-05T00:00:00Z", endOfExport, nil, nil, nil, nil),
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, rows, fails := readFile(t, tt.file, Options{})
			if r.Format() != FormatTikTok {
				t.Errorf("Format() = %q, want tiktok", r.Format())
			}
			checkRows(t, rows, tt.rows(t))
			checkFails(t, fails, tt.fails)
		})
	}
}

// With the export's time zone, a video posted late on the export day (UTC's next day) fits.
func TestTikTokTimezone(t *testing.T) {
	_, rows, fails := readFile(t, "tiktok_en.csv", Options{Timezone: "America/Los_Angeles", Account: "ifrc_us"})
	if len(fails) != 3 {
		t.Errorf("%d row errors, want 3: %v", len(fails), fails)
	}
	var late experiments.ImportRow
	for _, r := range rows {
		if r.Line == 12 {
			late = r
		}
		if r.Post.Account != "ifrc_us" || r.Post.Timezone != "America/Los_Angeles" {
			t.Errorf("line %d: account, timezone = %q, %q, want ifrc_us, America/Los_Angeles", r.Line, r.Post.Account, r.Post.Timezone)
		}
	}
	if got, want := late.Post.PostedAt.Format(time.RFC3339), "2025-01-05T18:00:00-08:00"; got != want {
		t.Errorf("line 12 posted_at = %s, want %s", got, want)
	}
	if got, want := late.Snapshot.ObservedAt.Format(time.RFC3339), "2025-01-06T07:59:59Z"; got != want {
		t.Errorf("line 12 observed_at = %s, want %s", got, want)
	}
}

// Rows as TikTok Studio writes them when titles, dates or numbers carry commas, and other
// single-row cases.
func TestTikTokRows(t *testing.T) {
	exportAt := time.Date(2025, 1, 5, 15, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		row      string
		opts     Options
		caption  string
		id       string
		posted   string
		observed string
		views    *int64
		fail     string
	}{
		{name: "unquoted title and time with commas",
			row:     fmt.Sprintf("January 5, 2025,Tips, tricks, and more #Tips,%s,December 28,1,2,3,4", link("a", idDec28)),
			caption: "Tips, tricks, and more #Tips", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T23:59:59Z", views: n(4)},
		{name: "unquoted post time with a comma",
			row:     fmt.Sprintf(`"2025-01-05","Title","%s",December 28, 2023,1,2,3,"4"`, link("a", idNoTime)),
			caption: "Title", id: idNoTime, posted: "2023-12-28T00:00:00Z", observed: "2025-01-05T23:59:59Z", views: n(4)},
		{name: "a link inside the title",
			row:     fmt.Sprintf("2025-01-05,See,%s,for part 1,%s,December 28,1,2,3,5K", link("a", idJan2), link("a", idDec28)),
			caption: "See," + link("a", idJan2) + ",for part 1", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T23:59:59Z", views: n(5000)},
		{name: "photo post",
			row:     fmt.Sprintf(`"2025-01-05","Carousel","https://www.tiktok.com/@a/photo/%s?lang=en","Dec 28","1","2","3","4"`, idDec28),
			caption: "Carousel", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T23:59:59Z", views: n(4)},
		{name: "export time on the export day", opts: Options{ObservedAt: exportAt},
			row:     fmt.Sprintf(`"January 5","Yearless export","%s","December 28","1","2","3","4"`, link("a", idDec28)),
			caption: "Yearless export", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T15:30:00Z", views: n(4)},
		{name: "export time of another day", opts: Options{ObservedAt: exportAt.AddDate(0, 0, 3)},
			row:     fmt.Sprintf(`"2025-01-05","Old export","%s","December 28","1","2","3","4"`, link("a", idDec28)),
			caption: "Old export", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T23:59:59Z", views: n(4)},
		{name: "time of day in Time",
			row:     fmt.Sprintf(`"2025-01-05 10:00","Morning export","%s","December 28","1","2","3","4"`, link("a", idDec28)),
			caption: "Morning export", id: idDec28, posted: "2024-12-28T18:30:00Z", observed: "2025-01-05T10:00:00Z", views: n(4)},
		{name: "unquoted number with a comma",
			row:  fmt.Sprintf(`"2025-01-05","Title","%s","December 28",5,431,2,3,4`, link("a", idDec28)),
			fail: "the row has 6 cells after the video link but the header has 5 (is a number or a date with a comma left unquoted?)"},
		{name: "title cell missing",
			row:  fmt.Sprintf(`"2025-01-05","%s","December 28","1","2","3","4"`, link("a", idDec28)),
			fail: `the video link is in cell 2 but the header has "Video link" in cell 3`},
		{name: "Time is not a date",
			row:  fmt.Sprintf(`"yesterday","Title","%s","December 28","1","2","3","4"`, link("a", idDec28)),
			fail: `"Time": "yesterday" is not a date`},
		{name: "no post time anywhere",
			row:  fmt.Sprintf(`"2025-01-05","Title","%s","","1","2","3","4"`, link("a", idNoTime)),
			fail: `"Post time" is empty and the video id carries no post time`},
		{name: "post time after the export",
			row:  fmt.Sprintf(`"2025-01-05","Title","%s","January 9, 2025","1","2","3","4"`, link("a", idNoTime)),
			fail: `"Post time" (January 9, 2025) is after the export date in "Time" (2025-01-05)`},
		{name: "a number too large",
			row:  fmt.Sprintf(`"2025-01-05","Title","%s","December 28","1","2","3","99999999999999999999"`, link("a", idDec28)),
			fail: `"Total views": "99999999999999999999" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, fails := readAll(t, strings.NewReader(tiktokHeader+tt.row+"\n"), tt.opts)
			if tt.fail != "" {
				checkFails(t, fails, []RowError{{2, tt.fail}})
				return
			}
			if len(rows) != 1 || len(fails) != 0 {
				t.Fatalf("got %d rows and errors %v, want 1 row", len(rows), fails)
			}
			p, s := rows[0].Post, rows[0].Snapshot
			if p.Caption != tt.caption || p.ExternalID != tt.id {
				t.Errorf("caption, id = %q, %q, want %q, %q", p.Caption, p.ExternalID, tt.caption, tt.id)
			}
			if got := p.PostedAt.Format(time.RFC3339); got != tt.posted {
				t.Errorf("posted_at = %s, want %s", got, tt.posted)
			}
			if got := s.ObservedAt.Format(time.RFC3339); got != tt.observed {
				t.Errorf("observed_at = %s, want %s", got, tt.observed)
			}
			if s.Views == nil || *s.Views != *tt.views {
				t.Errorf("views = %v, want %d", s.Views, *tt.views)
			}
		})
	}
}
