package experiments

// ImportRow is one row of an imported file: a post (created when it is new) and one snapshot
// of its numbers. Post.VariantKey is set when the file or the request's mapping names the
// variant; Post.ID, ExperimentID and VariantID are filled in by the import itself.
type ImportRow struct {
	Line     int
	Post     Post
	Snapshot Snapshot
}

// ImportFailure says why one line of an imported file was not written.
type ImportFailure struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}
