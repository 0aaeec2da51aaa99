package experiments

import (
	"errors"
	"slices"
	"testing"
)

// TestPostAndVariantZonesMeanTheSameEverywhere: "Local" is the zone of whatever machine runs
// postlab, so a post or a variant stored with it would change meaning when the service moves.
func TestPostAndVariantZonesMeanTheSameEverywhere(t *testing.T) {
	post := Post{Platform: "tiktok", Account: "ifrc", ExternalID: "1", VariantID: "v"}
	for zone, valid := range map[string]bool{"Europe/Zurich": true, "UTC": true, "Local": false, "Mars/Olympus": false} {
		p := post
		p.Timezone = zone
		var f FieldErrors
		validatePost(&f, p)
		if got := !hasField(f.Err(), "timezone"); got != valid {
			t.Errorf("validatePost(timezone %q): valid = %v, want %v (%v)", zone, got, valid, f.Err())
		}
		v := Variant{Key: "a", Name: "A", PostTime: &PostTime{Start: "09:00", Timezone: zone}}
		if got := !hasField(validateVariant(v, nil), "post_time.timezone"); got != valid {
			t.Errorf("validateVariant(post_time.timezone %q): valid = %v, want %v", zone, got, valid)
		}
	}
}

func hasField(err error, field string) bool {
	var e *Error
	return errors.As(err, &e) && slices.ContainsFunc(e.Fields, func(f FieldError) bool { return f.Field == field })
}
