package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
	"postlab/store"
)

// concluded seeds an experiment, its variants (one per level of its one factor, the first the
// control) and a post on account per variant, and concludes it.
func concluded(t *testing.T, db *store.DB, ws, key, platform, factor string, levels []string, account string,
	status experiments.Status, when time.Time, c experiments.Conclusion) experiments.Experiment {
	t.Helper()
	e := newExperiment(ws, key)
	e.Name, e.Hypothesis, e.Platform, e.Factors = "Experiment "+key, "Hypothesis of "+key, platform, []string{factor}
	inTx(t, db, func(tx experiments.Tx) error { return tx.InsertExperiment(e) })
	for i, level := range levels {
		v := newVariant(e, level, i == 0)
		v.Levels = map[string]string{factor: level}
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertVariant(v) })
		p := newPost(v, key+"-"+level)
		p.Account = account
		inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
	}
	if status == experiments.StatusDraft || status == experiments.StatusRunning {
		return e
	}
	e.Status, e.ConcludedAt, e.Decision = status, &when, &c
	inTx(t, db, func(tx experiments.Tx) error { return tx.UpdateExperiment(e) })
	return e
}

func TestSearchLearnings(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		frozen := json.RawMessage(`{"metrics": [{"metric": "views", "summary": "needle in the frozen report"}]}`)
		timing := concluded(t, db, ws.ID, "timing", "tiktok", "post_time", []string{"morning", "evening"}, "ifrc",
			experiments.StatusConcluded, at(10), experiments.Conclusion{Result: "won", WinnerVariantKey: "evening",
				Summary: "Evening beat morning by 48%", Learning: "Post at 19:00 local", Report: frozen})
		tags := concluded(t, db, ws.ID, "tags", "instagram", "hashtags", []string{"ForClimate", "ClimateAction"}, "IFRC_es",
			experiments.StatusArchived, at(20), experiments.Conclusion{Result: "inconclusive", Summary: "No difference, 100%_sure"})
		concluded(t, db, ws.ID, "still-running", "tiktok", "post_time", []string{"morning", "evening"}, "ifrc",
			experiments.StatusRunning, at(0), experiments.Conclusion{})
		stranger := seedWorkspace(t, db)
		concluded(t, db, stranger.ID, "theirs", "tiktok", "post_time", []string{"morning", "evening"}, "ifrc",
			experiments.StatusConcluded, at(30), experiments.Conclusion{Result: "won", WinnerVariantKey: "evening"})

		evening := "evening"
		timingL := experiments.Learning{ExperimentID: timing.ID, Key: "timing", Name: "Experiment timing",
			Hypothesis: "Hypothesis of timing", Platform: "tiktok", Status: experiments.StatusConcluded,
			ConcludedAt: at(10), Result: "won", WinnerVariantKey: &evening, Summary: "Evening beat morning by 48%",
			Learning: "Post at 19:00 local", Factors: []string{"post_time"}, WinnerLevels: map[string]string{"post_time": "evening"}}
		tagsL := experiments.Learning{ExperimentID: tags.ID, Key: "tags", Name: "Experiment tags",
			Hypothesis: "Hypothesis of tags", Platform: "instagram", Status: experiments.StatusArchived,
			ConcludedAt: at(20), Result: "inconclusive", Summary: "No difference, 100%_sure",
			Factors: []string{"hashtags"}, WinnerLevels: map[string]string{}}

		tests := []struct {
			name string
			f    experiments.LearningFilter
			want []experiments.Learning
		}{
			{"all, newest first", experiments.LearningFilter{}, []experiments.Learning{tagsL, timingL}},
			{"text in summary", experiments.LearningFilter{Query: "EVENING BEAT"}, []experiments.Learning{timingL}},
			{"text in learning", experiments.LearningFilter{Query: "19:00"}, []experiments.Learning{timingL}},
			{"text in name", experiments.LearningFilter{Query: "experiment tags"}, []experiments.Learning{tagsL}},
			{"text in hypothesis", experiments.LearningFilter{Query: "hypothesis of"}, []experiments.Learning{tagsL, timingL}},
			{"wildcards are literal", experiments.LearningFilter{Query: "0%_s"}, []experiments.Learning{tagsL}},
			{"underscore is literal", experiments.LearningFilter{Query: "_"}, []experiments.Learning{tagsL}},
			{"not the frozen report", experiments.LearningFilter{Query: "needle"}, []experiments.Learning{}},
			{"platform", experiments.LearningFilter{Platform: "instagram"}, []experiments.Learning{tagsL}},
			{"factor", experiments.LearningFilter{Factor: "post_time"}, []experiments.Learning{timingL}},
			{"level", experiments.LearningFilter{Level: "climateaction"}, []experiments.Learning{tagsL}},
			{"level of a factor", experiments.LearningFilter{Factor: "post_time", Level: "Evening"}, []experiments.Learning{timingL}},
			{"level of another factor", experiments.LearningFilter{Factor: "hashtags", Level: "evening"}, []experiments.Learning{}},
			{"account", experiments.LearningFilter{Account: "ifrc_ES"}, []experiments.Learning{tagsL}},
			{"account and text", experiments.LearningFilter{Account: "ifrc", Query: "difference"}, []experiments.Learning{}},
			{"first page", experiments.LearningFilter{Page: experiments.Page{Limit: 1}}, []experiments.Learning{tagsL}},
			{"next page", experiments.LearningFilter{Page: experiments.Page{Limit: 1, After: tagsL.Position()}}, []experiments.Learning{timingL}},
			{"past the end", experiments.LearningFilter{Page: experiments.Page{After: timingL.Position()}}, []experiments.Learning{}},
		}
		for _, tt := range tests {
			inTx(t, db, func(tx experiments.Tx) error {
				got, err := tx.SearchLearnings(ws.ID, tt.f)
				if err != nil || !cmp.Equal(got, tt.want) {
					t.Errorf("%s: SearchLearnings(%+v): %v\n%s", tt.name, tt.f, err, cmp.Diff(tt.want, got))
				}
				return nil
			})
		}
		inTx(t, db, func(tx experiments.Tx) error {
			_, err := tx.SearchLearnings(ws.ID, experiments.LearningFilter{Page: experiments.Page{After: "not a position"}})
			wantCode(t, err, experiments.EINVALID)
			return nil
		})
	})
}
