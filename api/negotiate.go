package api

import (
	"mime"
	"slices"
	"strconv"
	"strings"
)

// preferred returns the offer the Accept header ranks highest (by q, then by the header's
// order); a wildcard stands for offers[0], the default, as does a header naming none of them.
func preferred(accept string, offers ...string) string {
	best, bestQ := offers[0], 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		offer := ""
		switch {
		case slices.Contains(offers, mt):
			offer = mt
		case mt == "*/*" || mt == strings.Split(offers[0], "/")[0]+"/*":
			offer = offers[0]
		}
		if offer != "" && q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best
}
