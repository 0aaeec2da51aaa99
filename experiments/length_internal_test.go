package experiments

import (
	"strings"
	"testing"
)

// TestLengthsCountCharacters: the limits of texts count characters, as the contract's maxLength
// does, and a text over its limit is named by its own field.
func TestLengthsCountCharacters(t *testing.T) {
	e := Experiment{Key: "k", Name: strings.Repeat("é", 200), Hypothesis: strings.Repeat("日", 2000), Platform: "tiktok",
		PrimaryMetric: "views", HorizonHours: 24, Alpha: 0.05, Correction: "holm", MDE: 0.2}
	if err := validateExperiment(e); err != nil {
		t.Errorf("a name of 200 and a hypothesis of 2000 characters in more bytes: %v", err)
	}
	e.Name = strings.Repeat("é", 201)
	if err := validateExperiment(e); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("a name of 201 characters: %v, want an error naming name", err)
	}

	p := Post{Platform: "tiktok", Account: strings.Repeat("ü", 200), ExternalID: "1", Caption: strings.Repeat("字", 10000)}
	var f FieldErrors
	validatePost(&f, p)
	if err := f.Err(); err != nil {
		t.Errorf("an account of 200 and a caption of 10000 characters in more bytes: %v", err)
	}
	for field, long := range map[string]Post{
		"caption":  {Caption: strings.Repeat("a", 10001)},
		"url":      {URL: strings.Repeat("a", 2001)},
		"country":  {Country: strings.Repeat("a", 101)},
		"language": {Language: strings.Repeat("a", 101)},
	} {
		long.Platform, long.Account, long.ExternalID = "tiktok", "ifrc", "1"
		var f FieldErrors
		validatePost(&f, long)
		if len(f) != 1 || f[0].Field != field {
			t.Errorf("%s too long: errors %+v, want one naming %s", field, f, field)
		}
	}
}
