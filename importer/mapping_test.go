package importer

import (
	"encoding/json"
	"slices"
	"testing"

	"postlab/experiments"
)

func TestVariantFor(t *testing.T) {
	var m Mapping
	err := json.Unmarshal([]byte(`{
		"variants": {"7290012345678901234": "evening-video", "7290012345678905678": "morning-video"},
		"hashtag_rules": [{"hashtag": "#Evening", "variant_key": "evening-video"}, {"hashtag": "morning", "variant_key": "morning-video"}]
	}`), &m)
	if err != nil {
		t.Fatal(err)
	}
	row := func(id, own, caption string, tags ...string) experiments.ImportRow {
		return experiments.ImportRow{Post: experiments.Post{ExternalID: id, VariantKey: own, Caption: caption, Hashtags: tags}}
	}
	tests := []struct {
		name   string
		row    experiments.ImportRow
		key    string
		ok     bool
		reason string
	}{
		{"the file's own key", row("1", "evening-video", "#morning"), "evening-video", true, ""},
		{"file and map agree", row("7290012345678901234", "evening-video", ""), "evening-video", true, ""},
		{"file and map disagree", row("7290012345678905678", "evening-video", ""), "", false,
			`variant_key "evening-video" in the file differs from "morning-video" in the mapping for external_id 7290012345678905678`},
		{"the map", row("7290012345678905678", "", "#Evening"), "morning-video", true, ""},
		{"a hashtag rule in the caption, any case", row("2", "", "Tips for the #MORNING crowd"), "morning-video", true, ""},
		{"the first matching rule wins", row("3", "", "#morning #evening"), "evening-video", true, ""},
		{"a hashtag listed on the post", row("4", "", "no tags here", "Evening"), "evening-video", true, ""},
		{"a word is not a hashtag", row("5", "", "evening and morning"), "", false, ""},
		{"part of a longer hashtag is not it", row("6", "", "#EveningNews"), "", false, ""},
		{"nothing applies", row("7", "", ""), "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok, reason := m.VariantFor(tt.row)
			if key != tt.key || ok != tt.ok || reason != tt.reason {
				t.Errorf("VariantFor() = %q, %v, %q, want %q, %v, %q", key, ok, reason, tt.key, tt.ok, tt.reason)
			}
		})
	}
	if key, ok, reason := (Mapping{}).VariantFor(row("1", "", "#a")); key != "" || ok || reason != "" {
		t.Errorf("empty Mapping.VariantFor() = %q, %v, %q, want none", key, ok, reason)
	}
}

func TestMappingValidate(t *testing.T) {
	tests := []struct {
		m    Mapping
		want string
	}{
		{Mapping{Variants: map[string]string{"1": "a"}, HashtagRules: []HashtagRule{{"#x", "a"}, {"y", "b"}}}, ""},
		{Mapping{}, ""},
		{Mapping{Variants: map[string]string{"1": " "}}, `variants: external_id "1" maps to " "; neither may be empty`},
		{Mapping{HashtagRules: []HashtagRule{{"#x", "a"}, {"#", "b"}}}, "hashtag_rules[1]: needs a hashtag (one word, '#' optional) and a variant_key"},
		{Mapping{HashtagRules: []HashtagRule{{"two words", "a"}}}, "hashtag_rules[0]: needs a hashtag (one word, '#' optional) and a variant_key"},
		{Mapping{HashtagRules: []HashtagRule{{"x", ""}}}, "hashtag_rules[0]: needs a hashtag (one word, '#' optional) and a variant_key"},
	}
	for _, tt := range tests {
		err := tt.m.Validate()
		if got := errString(err); got != tt.want {
			t.Errorf("%+v.Validate() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCaptionHashtags(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"no tags", nil},
		{"#ForClimate now", []string{"ForClimate"}},
		{"Evening tips #ForClimate, #Evening!", []string{"ForClimate", "Evening"}},
		{"#a #A #a", []string{"a"}},
		{"line\n#RedCross\t#fyp", []string{"RedCross", "fyp"}},
		{"#CambioClimático y #気候変動", []string{"CambioClimático", "気候変動"}},
		{"#1 priority #2024goals", []string{"2024goals"}},
		{"email me at me#home or # alone", nil},
		{"(#paren) #snake_case", []string{"paren", "snake_case"}},
		{"＃全角", []string{"全角"}},
	}
	for _, tt := range tests {
		if got := CaptionHashtags(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("CaptionHashtags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
