package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"postlab/report"
)

// reportOptions reads the report's query: metric (repeatable), horizon, alpha, correction.
// A value that cannot be read is 400; one that reads but is out of range is 422, from the
// domain.
func reportOptions(c echo.Context) (report.Options, error) {
	q := c.QueryParams()
	o := report.Options{Metrics: q["metric"], Correction: q.Get("correction")}
	if h := q.Get("horizon"); h != "" {
		if _, err := strconv.ParseFloat(h, 64); err != nil && h != "latest" {
			return o, badRequest("horizon", "must be a number of hours, e.g. 24 or 6.5, or latest")
		}
		o.Horizon = h
	}
	if a := q.Get("alpha"); a != "" {
		alpha, err := strconv.ParseFloat(a, 64)
		if err != nil {
			return o, badRequest("alpha", "must be a number, e.g. 0.05")
		}
		o.Alpha = &alpha
	}
	return o, nil
}

func (s *Server) readReport(c echo.Context) (report.Report, error) {
	o, err := reportOptions(c)
	if err != nil {
		return report.Report{}, err
	}
	return s.reports.Report(c.Request().Context(), principal(c), c.Param("id"), o)
}

// getReport answers the report as JSON, or as CSV (one row per comparison per metric) when the
// client prefers text/csv.
func (s *Server) getReport(c echo.Context) error {
	r, err := s.readReport(c)
	if err != nil {
		return err
	}
	if preferred(c.Request().Header.Get("Accept"), "application/json", "text/csv") == "text/csv" {
		body, err := reportCSV(r)
		if err != nil {
			return fmt.Errorf("write report csv: %w", err)
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-report.csv"`, r.ExperimentKey))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body)
	}
	return c.JSON(http.StatusOK, r)
}

// reportColumns are the CSV's columns, one row per comparison per metric.
var reportColumns = []string{"metric", "kind", "variant_key", "control_key", "method",
	"n_control", "n_treatment", "n_excluded", "estimate", "ci_low", "ci_high", "lift", "lift_ci_low", "lift_ci_high",
	"statistic", "df", "p_value", "p_adjusted", "chance_to_beat", "expected_loss", "decision",
	"decision_final", "exploratory", "posts_needed", "summary"}

func reportCSV(r report.Report) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(reportColumns); err != nil {
		return nil, err
	}
	for _, m := range r.Metrics {
		for _, c := range m.Comparisons {
			row := []string{m.Metric, m.Kind, c.Key, c.ControlKey, c.Method,
				strconv.Itoa(c.NControl), strconv.Itoa(c.NTreatment), strconv.Itoa(c.NExcluded),
				csvNum(c.Estimate), csvNum(c.CILow), csvNum(c.CIHigh), csvNum(c.Lift), csvNum(c.LiftCILow),
				csvNum(c.LiftCIHigh), csvNum(c.Statistic), csvNum(c.DF), csvNum(c.PValue), csvNum(c.PAdjusted),
				csvNum(c.ChanceToBeat), csvNum(c.ExpectedLoss), c.Decision, strconv.FormatBool(c.DecisionFinal),
				strconv.FormatBool(c.Exploratory), csvInt(c.PostsNeeded), c.Summary}
			if err := w.Write(row); err != nil {
				return nil, err
			}
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvNum writes a statistic in full precision; an unavailable one is an empty cell.
func csvNum(x *float64) string {
	if x == nil {
		return ""
	}
	return strconv.FormatFloat(*x, 'g', -1, 64)
}

func csvInt(x *int) string {
	if x == nil {
		return ""
	}
	return strconv.Itoa(*x)
}

// getReportChart draws the report as a forest plot, in format "svg" or "png".
func (s *Server) getReportChart(format, contentType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := s.readReport(c)
		if err != nil {
			return err
		}
		body, err := forestPlot(r, format)
		if err != nil {
			return fmt.Errorf("draw report chart: %w", err)
		}
		return c.Blob(http.StatusOK, contentType, body)
	}
}

// forestRow is one comparison on the chart.
type forestRow struct {
	label                string
	lift, low, high      float64
	ok                   bool
	decision, annotation string
}

// forestPlot draws each treatment's lift over the control with its confidence interval, one
// row per comparison (per metric when there are several), sized and labelled for a slide:
// green where the treatment did better, red where it did worse, blue while it is open.
func forestPlot(r report.Report, format string) ([]byte, error) {
	rows, controlName := forestRows(r)
	p := plot.New()
	p.Title.Text = r.ExperimentName
	if len(r.Metrics) == 1 {
		p.Title.Text += " · " + metricName(r.Metrics[0].Metric)
	}
	level := strconv.FormatFloat((1-r.Alpha)*100, 'f', -1, 64)
	at := "each post's latest numbers"
	if r.HorizonHours != nil {
		at = strconv.FormatFloat(*r.HorizonHours, 'f', -1, 64) + " hours after posting"
	}
	p.X.Label.Text = fmt.Sprintf("Change vs %s at %s (dot: estimate, bar: %s%% confidence interval)", controlName, at, level)
	p.X.Tick.Marker = percentTicks{}
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label} {
		st.Font.Variant = "Sans"
		st.Font.Size = vg.Points(12)
	}
	p.Title.TextStyle.Font.Size = vg.Points(16)
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Add(plotter.NewGrid())

	lo, hi := -0.1, 0.1
	var ticks []plot.Tick
	var notes plotter.XYLabels
	for i, row := range rows {
		y := float64(len(rows) - i)
		ticks = append(ticks, plot.Tick{Value: y, Label: row.label})
		if !row.ok {
			notes.XYs = append(notes.XYs, plotter.XY{X: 0, Y: y})
			notes.Labels = append(notes.Labels, "  not enough data yet")
			continue
		}
		if err := addForestRow(p, row, y); err != nil {
			return nil, err
		}
		notes.XYs = append(notes.XYs, plotter.XY{X: row.high, Y: y})
		notes.Labels = append(notes.Labels, "  "+row.annotation)
		lo, hi = math.Min(lo, row.low), math.Max(hi, row.high)
	}
	if len(rows) == 0 {
		p.Title.Text += ": nothing to compare yet"
		ticks = append(ticks, plot.Tick{Value: 1, Label: ""})
	}
	p.X.Min, p.X.Max = lo-(hi-lo)*0.05, hi+(hi-lo)*0.35 // room on the right for the annotations
	p.Y.Min, p.Y.Max = 0.4, float64(max(len(rows), 1))+0.6
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: p.Y.Min}, {X: 0, Y: p.Y.Max}})
	if err != nil {
		return nil, err
	}
	zero.LineStyle.Color = color.Gray{Y: 110}
	zero.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(zero)
	if len(notes.XYs) > 0 {
		labels, err := plotter.NewLabels(notes)
		if err != nil {
			return nil, err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Font.Variant = "Sans"
			labels.TextStyle[i].Font.Size = vg.Points(12)
			labels.TextStyle[i].YAlign = -0.5
		}
		p.Add(labels)
	}
	height := vg.Length(math.Max(4, 1.8+0.6*float64(len(rows)))) * vg.Inch
	w, err := p.WriterTo(10*vg.Inch, height, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decisionColors colour a row by what the comparison decided.
var decisionColors = map[string]color.Color{
	report.DecisionBetter: color.RGBA{R: 26, G: 135, B: 84, A: 255},
	report.DecisionWorse:  color.RGBA{R: 200, G: 55, B: 45, A: 255},
}

// addForestRow draws one comparison: its interval as a bar, its estimate as a dot.
func addForestRow(p *plot.Plot, row forestRow, y float64) error {
	c, ok := decisionColors[row.decision]
	if !ok {
		c = color.RGBA{R: 31, G: 100, B: 170, A: 255}
	}
	pt := plotter.XYs{{X: row.lift, Y: y}}
	bars, err := plotter.NewXErrorBars(struct {
		plotter.XYs
		plotter.XErrors
	}{pt, plotter.XErrors{{Low: row.lift - row.low, High: row.high - row.lift}}})
	if err != nil {
		return err
	}
	bars.LineStyle.Width = vg.Points(2.5)
	bars.LineStyle.Color = c
	bars.CapWidth = vg.Points(10)
	dot, err := plotter.NewScatter(pt)
	if err != nil {
		return err
	}
	dot.GlyphStyle.Shape = draw.CircleGlyph{}
	dot.GlyphStyle.Radius = vg.Points(6)
	dot.GlyphStyle.Color = c
	p.Add(bars, dot)
	return nil
}

// metricName names a metric for a chart: "views", "engagement rate".
func metricName(metric string) string {
	return strings.ReplaceAll(strings.TrimPrefix(metric, "custom."), "_", " ")
}

// forestRows lists the comparisons to draw, and the control's name.
func forestRows(r report.Report) ([]forestRow, string) {
	var rows []forestRow
	controlName := "the control"
	for _, m := range r.Metrics {
		names := map[string]string{}
		for _, v := range m.Variants {
			names[v.Key] = v.Name
			if v.IsControl {
				controlName = v.Name
			}
		}
		for _, c := range m.Comparisons {
			row := forestRow{label: names[c.Key], decision: c.Decision}
			if len(r.Metrics) > 1 {
				row.label += " · " + metricName(m.Metric)
			}
			if c.Lift != nil && c.LiftCILow != nil && c.LiftCIHigh != nil {
				row.ok = true
				row.lift, row.low, row.high = *c.Lift, *c.LiftCILow, *c.LiftCIHigh
				row.annotation = fmt.Sprintf("%s (%s)", signedPct(row.lift), c.Decision)
			}
			rows = append(rows, row)
		}
	}
	return rows, controlName
}

// percentTicks labels a lift axis in percent: "+20%", "-10%".
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = signedPct(ticks[i].Value)
		}
	}
	return ticks
}

// signedPct writes a chart tick as a signed whole percentage; one too large for plain digits
// (or NaN, ±Inf) gets three significant digits, so a label never grows with its value.
func signedPct(x float64) string {
	p := math.Round(x * 100)
	if p == 0 {
		return "0%"
	}
	if !(math.Abs(p) < 1e9) {
		return strconv.FormatFloat(p, 'g', 3, 64) + "%"
	}
	return fmt.Sprintf("%+.0f%%", p)
}
