package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// maxCount keeps counts well inside int64 and exactly representable as float64.
const maxCount = 1 << 53

// parseCount reads a generic file's count: a whole number of 0 or more, or "" for unknown.
func parseCount(col, s string) (*int64, string) {
	n, ok, reason := countValue(col, s)
	if !ok {
		return nil, reason
	}
	return &n, ""
}

// countValue is parseCount without the pointer; ok is false for unknown.
func countValue(col, s string) (n int64, ok bool, reason string) {
	if s == "" {
		return 0, false, ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		switch {
		case ferr != nil || math.IsNaN(f) || math.IsInf(f, 0):
			return 0, false, fmt.Sprintf("%s: %s is not a number", col, quote(s))
		case f != math.Trunc(f):
			return 0, false, fmt.Sprintf("%s: %s is not a whole number", col, quote(s))
		case math.Abs(f) > maxCount:
			return 0, false, fmt.Sprintf("%s: %s is too large", col, quote(s))
		}
		n = int64(f)
	}
	if reason := countRange(col, s, n); reason != "" {
		return 0, false, reason
	}
	return n, true, ""
}

func countRange(col, s string, n int64) string {
	switch {
	case n < 0:
		return fmt.Sprintf("%s: %s is negative; counts are 0 or more (leave the cell empty when unknown)", col, quote(s))
	case n > maxCount:
		return fmt.Sprintf("%s: %s is too large", col, quote(s))
	}
	return ""
}

// parseReal reads a generic file's number within [lo, hi], or "" for unknown. A percentage
// is read as a fraction when percent is set (completion_rate "45%" is 0.45).
func parseReal(col, s string, lo, hi float64, percent bool) (*float64, string) {
	if s == "" {
		return nil, ""
	}
	scale := 1.0
	if p, ok := strings.CutSuffix(s, "%"); ok && percent {
		s, scale = strings.TrimSpace(p), 0.01
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Sprintf("%s: %s is not a number", col, quote(s))
	}
	f *= scale
	if f < lo || f > hi {
		if math.IsInf(hi, 1) {
			return nil, fmt.Sprintf("%s: %s is negative; it must be 0 or more (leave the cell empty when unknown)", col, quote(s))
		}
		return nil, fmt.Sprintf("%s: %s is not between %g and %g", col, quote(s), lo, hi)
	}
	return &f, ""
}

// unknownCells are what exports write for a number they do not have.
var unknownCells = map[string]bool{"": true, "undefined": true, "-": true, "--": true, "n/a": true, "null": true}

// A suffix multiplies the number before it: "1.2K", "3M", "1,2 mil", "1.2万".
var suffixes = []struct {
	text string
	mult float64
}{
	{"mil", 1e3}, {"mi", 1e6}, {"k", 1e3}, {"m", 1e6}, {"b", 1e9}, {"千", 1e3}, {"万", 1e4}, {"億", 1e8}, {"亿", 1e8},
}

// looseCount reads a count as exports write it, with thousands separators in any locale
// ("5,431", "5.431", "5 431") or a suffix ("1.2K"). Unknown cells give nil.
func looseCount(col, s string) (*int64, string) {
	s = strings.TrimSpace(s)
	if unknownCells[strings.ToLower(s)] {
		return nil, ""
	}
	num, mult := s, 0.0
	for _, suf := range suffixes {
		if n := len(s) - len(suf.text); n > 0 && strings.EqualFold(s[n:], suf.text) {
			num, mult = strings.TrimSpace(s[:n]), suf.mult
			break
		}
	}
	num = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' || r == '’' {
			return -1
		}
		return r
	}, num)
	if strings.HasPrefix(num, "-") && num != "-" {
		return nil, fmt.Sprintf("%s: %s is negative; counts are 0 or more", col, quote(s))
	}
	whole, frac, ok := splitNumber(num, mult != 0)
	switch {
	case !ok:
		return nil, fmt.Sprintf("%s: %s is not a number", col, quote(s))
	case mult != 0:
		f, err := strconv.ParseFloat(whole+"."+frac+"0", 64)
		if err != nil || f*mult > maxCount {
			return nil, fmt.Sprintf("%s: %s is too large", col, quote(s))
		}
		n := int64(math.Round(f * mult))
		return &n, ""
	case strings.Trim(frac, "0") != "":
		return nil, fmt.Sprintf("%s: %s is not a whole number", col, quote(s))
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return nil, fmt.Sprintf("%s: %s is too large", col, quote(s))
	}
	if reason := countRange(col, s, n); reason != "" {
		return nil, reason
	}
	return &n, ""
}

// looseReal reads a number as exports write it: a plain decimal, else as looseCount.
func looseReal(col, s string) (*float64, string) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		if f < 0 {
			return nil, fmt.Sprintf("%s: %s is negative; it must be 0 or more", col, quote(s))
		}
		return &f, ""
	}
	n, reason := looseCount(col, s)
	if n == nil {
		return nil, reason
	}
	f := float64(*n)
	return &f, ""
}

// splitNumber splits digits with '.' and ',' separators into the whole part (digits only) and
// the decimal part. When both separators appear the last one is the decimal mark; when one
// appears once it is the decimal mark after a suffix ("1.2K") or when not followed by exactly
// three digits ("1,5"), and a thousands separator otherwise ("5,431", "5.431").
func splitNumber(num string, suffixed bool) (whole, frac string, ok bool) {
	if num == "" || strings.Trim(num, "0123456789.,") != "" {
		return "", "", false
	}
	last := strings.LastIndexAny(num, ".,")
	if last < 0 {
		return num, "", true
	}
	mark := num[last]
	other := byte(',')
	if mark == ',' {
		other = '.'
	}
	decimal := false
	switch n := strings.Count(num, string(mark)); {
	case n > 1:
		decimal = false
	case strings.IndexByte(num, other) >= 0, suffixed:
		decimal = true
	default:
		decimal = len(num)-last-1 != 3
	}
	if decimal {
		whole, frac = num[:last], num[last+1:]
		if frac == "" || strings.ContainsAny(frac, ".,") {
			return "", "", false
		}
	} else {
		whole, other = num, mark
	}
	if whole == "" {
		return "", "", false
	}
	groups := strings.Split(whole, string(other))
	if len(groups) > 1 {
		for i, g := range groups {
			if g == "" || len(g) > 3 || (i > 0 && len(g) != 3) || strings.ContainsAny(g, ".,") {
				return "", "", false
			}
		}
	} else if strings.ContainsAny(whole, ".,") {
		return "", "", false
	}
	return strings.Join(groups, ""), frac, true
}
