package importer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"postlab/experiments"
)

// HashtagRule assigns posts whose caption or hashtags carry Hashtag to a variant.
type HashtagRule struct {
	Hashtag    string `json:"hashtag"`
	VariantKey string `json:"variant_key"`
}

// Mapping says which variant each imported post belongs to.
type Mapping struct {
	Variants     map[string]string `json:"variants"`      // external_id -> variant_key
	HashtagRules []HashtagRule     `json:"hashtag_rules"` // first rule whose hashtag appears in the caption or hashtags wins
}

// Validate reports the first malformed entry of the mapping, naming it as a request field.
func (m Mapping) Validate() error {
	for id, key := range m.Variants {
		if strings.TrimSpace(id) == "" || strings.TrimSpace(key) == "" {
			return fmt.Errorf("variants: external_id %q maps to %q; neither may be empty", id, key)
		}
	}
	for i, r := range m.HashtagRules {
		tag := strings.TrimPrefix(strings.TrimSpace(r.Hashtag), "#")
		if tag == "" || strings.IndexFunc(tag, unicode.IsSpace) >= 0 || strings.TrimSpace(r.VariantKey) == "" {
			return fmt.Errorf("hashtag_rules[%d]: needs a hashtag (one word, '#' optional) and a variant_key", i)
		}
	}
	return nil
}

// VariantFor returns the row's variant key: the row's own variant_key (generic formats), else
// the explicit map, else the first matching hashtag rule (case-insensitive, '#' optional in the
// rule). ok is false when none applies (reason empty: the post must already be known to be
// imported) or when the file and the map disagree (reason says so).
func (m Mapping) VariantFor(row experiments.ImportRow) (key string, ok bool, reason string) {
	own := strings.TrimSpace(row.Post.VariantKey)
	mapped, inMap := m.Variants[strings.TrimSpace(row.Post.ExternalID)]
	mapped = strings.TrimSpace(mapped)
	switch {
	case own != "" && inMap && mapped != "" && mapped != own:
		return "", false, fmt.Sprintf("variant_key %q in the file differs from %q in the mapping for external_id %s",
			own, mapped, row.Post.ExternalID)
	case own != "":
		return own, true, ""
	case inMap && mapped != "":
		return mapped, true, ""
	}
	if len(m.HashtagRules) == 0 {
		return "", false, ""
	}
	tags := append(CaptionHashtags(row.Post.Caption), row.Post.Hashtags...)
	for _, r := range m.HashtagRules {
		want := strings.TrimPrefix(strings.TrimSpace(r.Hashtag), "#")
		for _, t := range tags {
			if want != "" && strings.EqualFold(strings.TrimPrefix(t, "#"), want) {
				return strings.TrimSpace(r.VariantKey), true, ""
			}
		}
	}
	return "", false, ""
}

// NoVariantReason is the failure to report for a new post that VariantFor maps to no variant.
const NoVariantReason = "no variant: the external_id is not in the mapping and no hashtag rule matches the caption"

// CaptionHashtags returns the hashtags written in a caption ("#ForClimate"), without '#', in
// order and without repeats (compared case-insensitively). A hashtag is '#' after a start,
// space or punctuation, followed by letters, digits, marks or '_', at least one of them not a
// digit ("#1" is not a hashtag).
func CaptionHashtags(caption string) []string {
	if !strings.ContainsAny(caption, "#＃") {
		return nil
	}
	var tags []string
	prev := ' '
	for i := 0; i < len(caption); {
		r, size := utf8.DecodeRuneInString(caption[i:])
		i += size
		if (r != '#' && r != '＃') || tagRune(prev) {
			prev = r
			continue
		}
		j := i
		for j < len(caption) {
			next, n := utf8.DecodeRuneInString(caption[j:])
			if !tagRune(next) {
				break
			}
			j += n
		}
		if tag := caption[i:j]; strings.IndexFunc(tag, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
			tags = addTag(tags, tag)
		}
		if prev = r; j > i {
			prev = '_' // the tag's last rune, which is a tag rune
		}
		i = j
	}
	return tags
}

func tagRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// addTag appends tag unless the list has it in any case.
func addTag(tags []string, tag string) []string {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "#")
	if tag == "" {
		return tags
	}
	for _, t := range tags {
		if strings.EqualFold(t, tag) {
			return tags
		}
	}
	return append(tags, tag)
}

// postHashtags joins the caption's hashtags and those listed in a cell ("a, #b c").
func postHashtags(caption, listed string) []string {
	tags := CaptionHashtags(caption)
	for _, t := range strings.FieldsFunc(listed, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) }) {
		tags = addTag(tags, t)
	}
	if tags == nil {
		tags = []string{}
	}
	return tags
}
