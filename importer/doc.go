// Package importer reads the files teams already have — generic CSV and NDJSON, TikTok Studio's
// Content.csv, Meta Business Suite's Instagram and Facebook post exports — into
// experiments.ImportRow values, one post with one snapshot per row, and maps posts to variants.
// It parses and validates; it never writes. The caller decides what to do with the rows and the
// failures (dry runs, partial imports, duplicates, counts).
//
// A Reader streams: it holds one row at a time, so a file of any size is read in constant
// memory. A row longer than 1 MiB (typically an unclosed quote swallowing the rest of a CSV
// file) stops the read with a *FileError rather than growing without bound.
//
// # Errors
//
// NewReader answers a *FileError when the file cannot be read as the format (empty, unknown
// format, missing required columns); Next answers a *RowError for a row it cannot use and goes
// on with the next one, io.EOF at the end, and any other error (the body's I/O) as it came.
// A *FileError from Next means the rest of the file cannot be read. Once Next has returned an
// error other than a *RowError, it returns that error again.
//
// In every CSV format, fully blank rows and rows that repeat the header (two exports joined
// into one file) are skipped without a word; duplicate rows are returned as they are, since
// only the writer knows what is already stored.
//
// # Detection
//
// With Options.Format empty, the format is read from the file: NDJSON when the first character
// after an optional BOM and white space is '{'; otherwise the first line is a CSV header, and
// a "Video link" column means TikTok Studio, "Post ID" with "Permalink" means Meta (Instagram
// with "Account username", Facebook with "Page name" or "Page ID"), anything else generic CSV.
// The CSV delimiter (',', ';' or tab) is the one the header line uses most.
//
// # Generic CSV and NDJSON
//
// One row per snapshot. Column names are matched case-insensitively, with spaces read as '_':
// external_id, posted_at and observed_at are required (a header without them is a FileError;
// observed_at may be left out, or a cell left empty, when Options.ObservedAt is given);
// variant_key, account, platform, timezone, url, caption, hashtags, country, language,
// followers_at_post, the metrics of SPEC §1 and custom.NAME are optional. Other columns are
// ignored and listed by Reader.IgnoredColumns, so that a caller can warn about a misspelt metric
// without refusing a spreadsheet that carries a notes column. A column named twice, or a
// custom.NAME whose NAME is not a valid custom metric name, is a FileError.
//
// An empty cell (a JSON null or an absent key) is unknown, never 0. Counts are whole numbers of
// 0 or more ("1200" or "1200.0", no thousands separators); watch_time_seconds and
// avg_watch_seconds are numbers of 0 or more; completion_rate lies in 0..1 ("45%" reads as
// 0.45); custom metrics are finite numbers of 0 or more. posted_at and observed_at are RFC 3339;
// a time without an offset ("2026-09-14 17:05") is read in the row's timezone, else
// Options.Timezone, else UTC. An empty platform or account cell takes Options.Platform or
// Options.Account.
//
// # TikTok Studio
//
// Each file is one snapshot of every listed video, observed on its "Time" date: at
// Options.ObservedAt when that falls on the same day in Options.Timezone, else at 23:59:59 that
// day, the latest moment the export can have been taken (so that a post published that day
// is not observed before it was posted). The post time is the video id's top 32 bits (Unix
// seconds) when they give a plausible time, else the "Post time" date at midnight. Yearless
// dates take the latest year that puts them on or before the export date. Dates may be written
// in English, Spanish, French, Portuguese, German, Italian, Japanese, Chinese or Korean.
// Numbers may carry thousands separators ("5,431", "5.431", "5 431") or suffixes ("1.2K",
// "3M", "1,2 mil", "1.2万"); "undefined", "-" or an empty cell is unknown. A row is anchored on
// its video link: cells between "Time" and the link are the title, so a title with unquoted
// commas still reads. The account is Options.Account, else the handle in the link.
//
// # Meta Business Suite
//
// One row per post with lifetime totals (a "Date" other than "Lifetime" or empty is refused),
// observed at Options.ObservedAt, which is required. "Publish time" (MM/DD/YYYY HH:MM) is read
// in Options.Timezone. Instagram: Views (else Plays, else Impressions), Reach, Likes, Comments,
// Shares, Saves, Follows (followers_gained), Profile visits. Facebook: Views (else Impressions),
// Reach, Reactions (else Likes), Comments, Shares, Seconds viewed, Average Seconds viewed; the
// caption is Title and Description.
package importer
