package importer

import "testing"

func TestLooseCount(t *testing.T) {
	tests := []struct {
		in     string
		want   *int64
		reason string
	}{
		{"", nil, ""},
		{"undefined", nil, ""},
		{" Undefined ", nil, ""},
		{"-", nil, ""},
		{"0", n(0), ""},
		{"845", n(845), ""},
		{"5,431", n(5431), ""},
		{"5.431", n(5431), ""},
		{"5 431", n(5431), ""},
		{"5\u00a0431", n(5431), ""},
		{"5\u202f431", n(5431), ""},
		{"5'431", n(5431), ""},
		{"1,234,567", n(1234567), ""},
		{"1.234.567", n(1234567), ""},
		{"1,234.00", n(1234), ""},
		{"1.234,00", n(1234), ""},
		{"1.2K", n(1200), ""},
		{"1.2k", n(1200), ""},
		{"1,2K", n(1200), ""},
		{"1,2 k", n(1200), ""},
		{"15.3K", n(15300), ""},
		{"3M", n(3000000), ""},
		{"1.25M", n(1250000), ""},
		{"1,2 M", n(1200000), ""},
		{"2B", n(2000000000), ""},
		{"1,2 mil", n(1200), ""},
		{"12 mil", n(12000), ""},
		{"1,2 mi", n(1200000), ""},
		{"1.2万", n(12000), ""},
		{"120万", n(1200000), ""},
		{"3億", n(300000000), ""},
		{"1,234.5K", n(1234500), ""},
		{"0.0001K", n(0), ""},
		{"1,5", nil, `"Total views": "1,5" is not a whole number`},
		{"1,234.5", nil, `"Total views": "1,234.5" is not a whole number`},
		{"1,23,456", nil, `"Total views": "1,23,456" is not a number`},
		{"12,34,5", nil, `"Total views": "12,34,5" is not a number`},
		{"1.2.3K", nil, `"Total views": "1.2.3K" is not a number`},
		{"lots", nil, `"Total views": "lots" is not a number`},
		{"K", nil, `"Total views": "K" is not a number`},
		{".5K", nil, `"Total views": ".5K" is not a number`},
		{"-40", nil, `"Total views": "-40" is negative; counts are 0 or more`},
		{"99999999999999999999", nil, `"Total views": "99999999999999999999" is too large`},
		{"9999999999B", nil, `"Total views": "9999999999B" is too large`},
	}
	for _, tt := range tests {
		got, reason := looseCount(`"Total views"`, tt.in)
		if reason != tt.reason || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("looseCount(%q) = %v, %q, want %v, %q", tt.in, deref(got), reason, deref(tt.want), tt.reason)
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in     string
		want   *int64
		reason string
	}{
		{"", nil, ""},
		{"0", n(0), ""},
		{"10234", n(10234), ""},
		{"10234.0", n(10234), ""},
		{"1e3", n(1000), ""},
		{"12.5", nil, `views: "12.5" is not a whole number`},
		{"-1", nil, `views: "-1" is negative; counts are 0 or more (leave the cell empty when unknown)`},
		{"1,200", nil, `views: "1,200" is not a number`},
		{"NaN", nil, `views: "NaN" is not a number`},
		{"1e300", nil, `views: "1e300" is too large`},
		{"9007199254740993", nil, `views: "9007199254740993" is too large`},
	}
	for _, tt := range tests {
		got, reason := parseCount("views", tt.in)
		if reason != tt.reason || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("parseCount(%q) = %v, %q, want %v, %q", tt.in, deref(got), reason, deref(tt.want), tt.reason)
		}
	}
}

func TestParseReal(t *testing.T) {
	tests := []struct {
		in      string
		percent bool
		want    *float64
		reason  string
	}{
		{"", true, nil, ""},
		{"0", true, f64(0), ""},
		{"1", true, f64(1), ""},
		{"0.42", true, f64(0.42), ""},
		{"45%", true, f64(0.45), ""},
		{"45 %", true, f64(0.45), ""},
		{"45%", false, nil, `completion_rate: "45%" is not a number`},
		{"1.01", true, nil, `completion_rate: "1.01" is not between 0 and 1`},
		{"-0.1", true, nil, `completion_rate: "-0.1" is not between 0 and 1`},
		{"+Inf", true, nil, `completion_rate: "+Inf" is not a number`},
	}
	for _, tt := range tests {
		got, reason := parseReal("completion_rate", tt.in, 0, 1, tt.percent)
		if reason != tt.reason || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("parseReal(%q, %v) = %v, %q, want %v, %q", tt.in, tt.percent, got, reason, tt.want, tt.reason)
		}
	}
}
