package importer

import (
	"testing"
	"time"
)

func TestParseLocalDate(t *testing.T) {
	tests := []struct {
		in   string
		want localDate // zero: not a date
	}{
		{"September 16", localDate{month: 9, day: 16}},
		{"Sep 16", localDate{month: 9, day: 16}},
		{"sept. 16", localDate{month: 9, day: 16}},
		{"16 September", localDate{month: 9, day: 16}},
		{"September 16, 2023", localDate{year: 2023, month: 9, day: 16}},
		{"Saturday, September 16, 2023", localDate{year: 2023, month: 9, day: 16}},
		{"Sep 16th", localDate{month: 9, day: 16}},
		{"September 16, 2023 at 5:05 PM", localDate{year: 2023, month: 9, day: 16, hour: 17, min: 5, hasTime: true}},
		{"16 de septiembre", localDate{month: 9, day: 16}},
		{"16 de septiembre de 2023", localDate{year: 2023, month: 9, day: 16}},
		{"16 de setiembre", localDate{month: 9, day: 16}},
		{"16 sept 2023", localDate{year: 2023, month: 9, day: 16}},
		{"28 de diciembre", localDate{month: 12, day: 28}},
		{"16 septembre", localDate{month: 9, day: 16}},
		{"1er janvier", localDate{month: 1, day: 1}},
		{"28 déc. 2023", localDate{year: 2023, month: 12, day: 28}},
		{"15 août", localDate{month: 8, day: 15}},
		{"15 aout", localDate{month: 8, day: 15}},
		{"3 févr.", localDate{month: 2, day: 3}},
		{"16 de setembro", localDate{month: 9, day: 16}},
		{"16 de setembro de 2024", localDate{year: 2024, month: 9, day: 16}},
		{"3 de março", localDate{month: 3, day: 3}},
		{"1º de maio", localDate{month: 5, day: 1}},
		{"16. September 2023", localDate{year: 2023, month: 9, day: 16}},
		{"3. März", localDate{month: 3, day: 3}},
		{"16 settembre", localDate{month: 9, day: 16}},
		{"9月16日", localDate{month: 9, day: 16}},
		{"2023年9月16日", localDate{year: 2023, month: 9, day: 16}},
		{"2023年9月16日 17:05", localDate{year: 2023, month: 9, day: 16, hour: 17, min: 5, hasTime: true}},
		{"9월 16일", localDate{month: 9, day: 16}},
		{"2023-09-16", localDate{year: 2023, month: 9, day: 16}},
		{"2023/9/16", localDate{year: 2023, month: 9, day: 16}},
		{"2023-09-16 17:05:30", localDate{year: 2023, month: 9, day: 16, hour: 17, min: 5, sec: 30, hasTime: true}},
		{"16/09/2023", localDate{year: 2023, month: 9, day: 16}},
		{"09/16/2023", localDate{year: 2023, month: 9, day: 16}},
		{"February 29", localDate{month: 2, day: 29}},
		{"05/06/2023", localDate{}},
		{"September 31", localDate{}},
		{"31 de septiembre", localDate{}},
		{"February 29, 2023", localDate{}},
		{"2023-13-01", localDate{}},
		{"Septembre", localDate{}},
		{"16", localDate{}},
		{"yesterday", localDate{}},
		{"September 16 25:00", localDate{}},
		{"September 16 pm", localDate{}},
		{"", localDate{}},
	}
	for _, tt := range tests {
		got, ok := parseLocalDate(tt.in)
		if want := tt.want != (localDate{}); ok != want || (ok && got != tt.want) {
			t.Errorf("parseLocalDate(%q) = %+v, %v, want %+v, %v", tt.in, got, ok, tt.want, want)
		}
	}
}

func TestWithYear(t *testing.T) {
	tests := []struct {
		date   localDate
		export string
		want   int
	}{
		{localDate{month: 12, day: 28}, "2025-01-05", 2024}, // across the year boundary
		{localDate{month: 1, day: 2}, "2025-01-05", 2025},
		{localDate{month: 1, day: 5}, "2025-01-05", 2025}, // on the export date
		{localDate{month: 1, day: 6}, "2025-01-05", 2024}, // a day after: last year
		{localDate{month: 9, day: 16}, "2025-01-05", 2024},
		{localDate{month: 2, day: 29}, "2025-01-05", 2024},
		{localDate{month: 2, day: 29}, "2024-02-28", 2020}, // the last leap day before
		{localDate{year: 2022, month: 9, day: 16}, "2025-01-05", 2022},
	}
	for _, tt := range tests {
		ref, _ := time.Parse("2006-01-02", tt.export)
		got, ok := tt.date.withYear(ref)
		if !ok || got.year != tt.want {
			t.Errorf("%+v.withYear(%s) = %d, %v, want %d", tt.date, tt.export, got.year, ok, tt.want)
		}
	}
}
