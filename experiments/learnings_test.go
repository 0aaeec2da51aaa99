package experiments

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestLearningPosition(t *testing.T) {
	l := Learning{ExperimentID: "0192-abc", ConcludedAt: time.Date(2026, 9, 20, 8, 0, 0, 123456000, time.FixedZone("", 7200))}
	at, id, err := ParseLearningPosition(l.Position())
	if err != nil || !at.Equal(l.ConcludedAt) || id != l.ExperimentID {
		t.Errorf("ParseLearningPosition(%q) = %v, %q, %v; want %v, %q", l.Position(), at, id, err, l.ConcludedAt, l.ExperimentID)
	}
	for _, bad := range []string{"", "x", "2026-09-20T08:00:00Z", "2026-09-20T08:00:00Z|", "yesterday|id"} {
		if _, _, err := ParseLearningPosition(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ParseLearningPosition(%q) = %v, want a validation error", bad, err)
		}
	}
}

func TestSearchLearningsChecksFilters(t *testing.T) {
	s := NewService(nil, nil, nil, nil) // refused before the store is asked
	tests := []struct {
		f     LearningFilter
		field string
	}{
		{LearningFilter{Platform: "myspace"}, "platform"},
		{LearningFilter{Query: strings.Repeat("x", 201)}, "q"},
		{LearningFilter{Level: strings.Repeat("x", 201)}, "level"},
	}
	for _, tt := range tests {
		_, err := s.SearchLearnings(context.Background(), Principal{}, tt.f)
		if e, ok := err.(*Error); !ok || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
			t.Errorf("SearchLearnings(%+v) = %v, want a validation error naming %s", tt.f, err, tt.field)
		}
	}
}
