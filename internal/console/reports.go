package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/routing"
)

// reportView is the reports page: summary figures for the period, then a
// few charts, each with its values in a table. The tables' column headers,
// in page order after each table's "Day", are the CSV's columns.
type reportView struct {
	Days     int
	Periods  []choice
	CSVHref  string
	Deadline string
	// Lang is the language chosen ("" for all) and LangName its name;
	// Langs are the choices.
	Lang, LangName string
	Langs          []choice
	Summary        []figure
	Charts         []chart
}

// choice is a link to the page for another period or language.
type choice struct {
	Name, Href string
	Current    bool
}

// figure is one summary figure: its value first, then what it counts.
type figure struct {
	ID, Value, Label, Note string
}

// chart is a server-rendered stacked bar chart of a daily figure and the
// table of its values. The SVG only draws bars; its labels are HTML, so
// that they stay readable when the chart shrinks to a phone's width.
type chart struct {
	ID, Title string
	Summary   string // what the chart shows, in words
	Caption   string // the table's caption
	Peak      string // the highest day's value, labelling the top line
	Series    []series
	Bars      []dayBar
	Labels    []xLabel
	Width     int
	Columns   []string // the table's columns after Day: the CSV's words
	Rows      []tableRow
	Totals    []cell // the period's figure per column ("" where none)
	TotalName string
}

type series struct{ Name, Class string }

type dayBar struct {
	Segs []seg
	// Zero marks a day with nothing to draw: a short mark on the
	// baseline says it is zero, not missing.
	Zero bool
	ZX   float64
}

type seg struct {
	X, Y, W, H float64
	Class      string
}

// xLabel labels a day under the chart: "Mon" over "30 Nov"; on a phone
// the month is shown only where it starts and on the first day.
type xLabel struct {
	Weekday, Day, Month string
	Show, NewMonth      bool
}

type tableRow struct {
	Date  string // "2026-11-30", for the CSV
	Label string // "Mon 30 Nov", for the page
	Cells []cell
}

type cell struct{ Column, Value string }

// The chart's drawing units: each day is slotW wide, the plot plotH tall.
const slotW, plotH = 10.0, 100.0

// column is one column of a chart's table: its header, its value on a
// day, and its value over the period ("" for none).
type column struct {
	name  string
	day   func(reports.Day) string
	total func(reports.Period) string
}

// chartSpec describes a chart: its stacked series (each a count per day)
// and its table's columns.
type chartSpec struct {
	id, title, caption string
	series             []seriesSpec
	columns            []column
	summary            func(reports.Period) string
}

type seriesSpec struct {
	name, class string
	value       func(reports.Day) float64
}

// dayLabel is a day as the page shows it: "Mon", "30", "Nov".
func dayLabel(date string) (weekday, day, month string) {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return "", date, ""
	}
	return t.Format("Mon"), t.Format("2"), t.Format("Jan")
}

// newChart draws spec's series for the period's days and fills its table.
func newChart(spec chartSpec, p reports.Period) chart {
	c := chart{ID: spec.id, Title: spec.title, Caption: spec.caption, Width: int(slotW) * len(p.Days), TotalName: fmt.Sprintf("Last %d days", len(p.Days))}
	if spec.summary != nil {
		c.Summary = spec.summary(p)
	}
	for _, s := range spec.series {
		c.Series = append(c.Series, series{Name: s.name, Class: s.class})
	}
	peak := 0.0
	for _, d := range p.Days {
		sum := 0.0
		for _, s := range spec.series {
			sum += s.value(d)
		}
		peak = max(peak, sum)
	}
	if peak > 0 {
		c.Peak = strconv.FormatFloat(peak, 'f', -1, 64)
	}
	// Label every day of a week; Mondays of a month; every other Monday
	// of a quarter: the labels never crowd at a phone's width.
	for i, d := range p.Days {
		x := float64(i) * slotW
		bar := dayBar{ZX: x + slotW*0.15}
		y := plotH
		for _, s := range spec.series {
			v := s.value(d)
			if v <= 0 || peak == 0 {
				continue
			}
			h := v / peak * (plotH - 4)
			y -= h
			bar.Segs = append(bar.Segs, seg{X: x + slotW*0.15, Y: y, W: slotW * 0.7, H: h, Class: s.class})
		}
		bar.Zero = len(bar.Segs) == 0
		wd, day, month := dayLabel(d.Date)
		t, _ := time.Parse("2006-01-02", d.Date)
		show := len(p.Days) <= 7 || (t.Weekday() == time.Monday && (len(p.Days) <= 31 || (t.YearDay()/7)%2 == 0))
		c.Bars = append(c.Bars, bar)
		c.Labels = append(c.Labels, xLabel{Weekday: wd, Day: day, Month: month, Show: show, NewMonth: i == 0 || day == "1" || len(p.Days) > 7})
		row := tableRow{Date: d.Date, Label: wd + " " + day + " " + month}
		for _, col := range spec.columns {
			row.Cells = append(row.Cells, cell{Column: col.name, Value: col.day(d)})
		}
		c.Rows = append(c.Rows, row)
	}
	for _, col := range spec.columns {
		c.Columns = append(c.Columns, col.name)
		total := ""
		if col.total != nil {
			total = col.total(p)
		}
		c.Totals = append(c.Totals, cell{Column: col.name, Value: total})
	}
	return c
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// num formats a median or percentile: whole numbers without decimals,
// "" when there is none.
func num(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// percent is n of all as a whole percentage ("83%"), "" of nothing.
func percent(n, all int64) string {
	if all == 0 {
		return ""
	}
	return fmt.Sprintf("%d%%", (n*100+all/2)/all)
}

// countColumn is a column of a count per day, summed over the period.
func countColumn(name string, f func(reports.Day) int64) column {
	return column{name: name,
		day:   func(d reports.Day) string { return itoa(f(d)) },
		total: func(p reports.Period) string { return itoa(p.Sum(f)) }}
}

// stageNames are the gave-up columns, in the order of a call: where
// callers hung up without help. A caller who heard the crisis response
// was helped, so that stage has no column.
var stageNames = []struct {
	stage calls.Stage
	name  string
}{
	{calls.StageGreeting, "Gave up in the greeting"},
	{calls.StageMenu, "Gave up in the menu"},
	{calls.StageInfo, "Gave up in information"},
	{calls.StageRing, "Gave up while phones rang"},
	{calls.StageCallback, "Gave up in the callback steps"},
	{calls.StageEnded, "Ended by the line"},
}

// outcomeNames are the outcome columns: the words the page uses.
var outcomeNames = []struct {
	outcome calls.Outcome
	name    string
}{
	{calls.OutcomePerson, "Reached a person"},
	{calls.OutcomeRequest, "Left a request"},
	{calls.OutcomeInfo, "Heard information"},
	{calls.OutcomeExtension, "Dialled an extension"},
	{calls.OutcomeCrisis, "Crisis response"},
}

// reportCharts are the page's charts for language lang ("" for all), in
// page order; overdue is the count of requests overdue now, in today's row.
func reportCharts(p reports.Period, lang, langName string, overdue int) []chart {
	in := ""
	if lang != "" {
		in = " in " + langName
	}
	today := ""
	if n := len(p.Days); n > 0 {
		today = p.Days[n-1].Date
	}
	callsCols := []column{countColumn("Calls", func(d reports.Day) int64 { return d.Calls(lang) })}
	for _, o := range outcomeNames {
		callsCols = append(callsCols, countColumn(o.name, func(d reports.Day) int64 { return d.Outcome(o.outcome, lang) }))
	}
	callsCols = append(callsCols,
		countColumn("Gave up", func(d reports.Day) int64 { return d.Abandoned(lang) }),
		countColumn("Outcome unknown", func(d reports.Day) int64 { return d.Outcome(calls.OutcomeUnknown, lang) }))
	var stageCols []column
	var stageSeries []seriesSpec
	for i, s := range stageNames {
		f := func(d reports.Day) int64 { return d.GaveUp(s.stage, lang) }
		stageCols = append(stageCols, countColumn(s.name, f))
		stageSeries = append(stageSeries, seriesSpec{s.name, fmt.Sprintf("s%d", i+1), func(d reports.Day) float64 { return float64(f(d)) }})
	}
	median := func(w reports.Waits) (float64, bool) { return w.Median() }
	p90 := func(w reports.Waits) (float64, bool) { v, ok := w.P90(); return float64(v), ok }
	missedOn := func(d reports.Day) int64 { on, _ := d.MissedCalledBack(lang); return on }
	missedLate := func(d reports.Day) int64 { _, late := d.MissedCalledBack(lang); return late }
	specs := []chartSpec{
		{
			id: "calls", title: "Calls and how they ended" + in,
			caption: "Calls that ended each day" + in + ", by outcome",
			series: []seriesSpec{
				{"Got help", "s1", func(d reports.Day) float64 { return float64(d.Helped(lang)) }},
				{"Gave up", "s4", func(d reports.Day) float64 { return float64(d.Abandoned(lang)) }},
				{"Outcome unknown", "s6", func(d reports.Day) float64 { return float64(d.Outcome(calls.OutcomeUnknown, lang)) }},
			},
			columns: callsCols,
			summary: func(p reports.Period) string {
				all := p.Sum(func(d reports.Day) int64 { return d.Calls(lang) })
				return fmt.Sprintf("%d calls ended, %d got help, %d gave up.", all, p.Sum(func(d reports.Day) int64 { return d.Helped(lang) }),
					p.Sum(func(d reports.Day) int64 { return d.Abandoned(lang) }))
			},
		},
		{
			id: "gaveup", title: "Where callers gave up" + in,
			caption: "Callers who got no help each day" + in + ", by where the call ended",
			series:  stageSeries, columns: stageCols,
			summary: func(p reports.Period) string {
				worst, most := "", int64(0)
				for _, s := range stageNames {
					if n := p.Sum(func(d reports.Day) int64 { return d.GaveUp(s.stage, lang) }); n > most {
						worst, most = s.name, n
					}
				}
				if most == 0 {
					return "Nobody gave up."
				}
				return fmt.Sprintf("Most often: %s (%d).", worst, most)
			},
		},
		{
			id: "toperson", title: "Seconds to a person" + in,
			caption: "Seconds from asking for a person to one answering, for the calls that reached one each day" + in,
			series: []seriesSpec{
				{"Median", "s1", func(d reports.Day) float64 { v, _ := d.Waits(lang).Median(); return v }},
				{"Up to the 90th percentile", "s2", func(d reports.Day) float64 {
					w := d.Waits(lang)
					m, _ := w.Median()
					v, _ := w.P90()
					return float64(v) - m
				}},
			},
			columns: []column{
				countColumn("Answered by a person", func(d reports.Day) int64 { return d.Waits(lang).Count() }),
				{name: "Median seconds to a person", day: func(d reports.Day) string { return num(median(d.Waits(lang))) },
					total: func(p reports.Period) string { return num(median(p.Waits(lang))) }},
				{name: "90th percentile seconds to a person", day: func(d reports.Day) string { return num(p90(d.Waits(lang))) },
					total: func(p reports.Period) string { return num(p90(p.Waits(lang))) }},
			},
			summary: func(p reports.Period) string {
				w := p.Waits(lang)
				m, ok := w.Median()
				if !ok {
					return "No caller reached a person after asking for one."
				}
				v, _ := w.P90()
				return fmt.Sprintf("Half of the %d callers who reached a person waited %s s or less; 9 in 10 waited %d s or less.", w.Count(), num(m, true), v)
			},
		},
		{
			id: "callbacks", title: "Call-backs",
			caption: "Callback requests and first call-back attempts each day (missed calls" + in + "); overdue now is today's count",
			series: []seriesSpec{
				{"First call-backs on time", "s1", func(d reports.Day) float64 { return float64(d.Counts[reports.FirstOnTime]) }},
				{"First call-backs late", "s4", func(d reports.Day) float64 { return float64(d.Counts[reports.FirstLate]) }},
			},
			columns: []column{
				countColumn("Requests created", func(d reports.Day) int64 { return d.Counts[reports.Requests] }),
				countColumn("First call-backs on time", func(d reports.Day) int64 { return d.Counts[reports.FirstOnTime] }),
				countColumn("First call-backs late", func(d reports.Day) int64 { return d.Counts[reports.FirstLate] }),
				countColumn("Missed calls called back on time", missedOn),
				countColumn("Missed calls called back late", missedLate),
				{name: "Median office hours to the first call-back", day: func(d reports.Day) string {
					h, ok := d.MedianHours()
					return hours(h, ok)
				}, total: func(p reports.Period) string { return hours(p.MedianFirstHours()) }},
				{name: "Overdue now", day: func(d reports.Day) string {
					if d.Date != today {
						return ""
					}
					return strconv.Itoa(overdue)
				}, total: func(reports.Period) string { return strconv.Itoa(overdue) }},
			},
			summary: func(p reports.Period) string {
				on, late := p.Total(reports.FirstOnTime), p.Total(reports.FirstLate)
				return fmt.Sprintf("%d first call-backs: %d on time, %d late. %d requests overdue now.", on+late, on, late, overdue)
			},
		},
		{
			id: "rings", title: "Ring groups",
			caption: "Calls the line answered each day, and the ring groups' answers (all languages)",
			series: []seriesSpec{
				{"Answered by a member", "s1", func(d reports.Day) float64 { return float64(d.Counts[reports.Answered]) }},
				{"Offered a callback", "s3", func(d reports.Day) float64 { return float64(d.Counts[reports.Unanswered]) }},
			},
			columns: []column{
				countColumn("Calls answered by the line", func(d reports.Day) int64 { return d.Counts[reports.Calls] }),
				countColumn("Reached a ring group", func(d reports.Day) int64 { return d.Counts[reports.Rang] }),
				countColumn("Answered by a member", func(d reports.Day) int64 { return d.Counts[reports.Answered] }),
				countColumn("Offered a callback", func(d reports.Day) int64 { return d.Counts[reports.Unanswered] }),
			},
			summary: func(p reports.Period) string {
				return fmt.Sprintf("%d calls reached a ring group: %d answered by a member, %d offered a callback.",
					p.Total(reports.Rang), p.Total(reports.Answered), p.Total(reports.Unanswered))
			},
		},
	}
	out := make([]chart, 0, len(specs))
	for _, s := range specs {
		out = append(out, newChart(s, p))
	}
	return out
}

// hours formats office hours with one decimal, "" for none.
func hours(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// reportSummary are the figures a practice manager reads first.
func reportSummary(p reports.Period, lang string, overdue int) []figure {
	all := p.Sum(func(d reports.Day) int64 { return d.Calls(lang) })
	helped := p.Sum(func(d reports.Day) int64 { return d.Helped(lang) })
	gaveUp := p.Sum(func(d reports.Day) int64 { return d.Abandoned(lang) })
	figs := []figure{
		{ID: "sum-calls", Value: itoa(all), Label: "calls", Note: "counted when they end"},
		{ID: "sum-helped", Value: or(percent(helped, all), "–"), Label: "got help", Note: fmt.Sprintf("%d of %d calls", helped, all)},
		{ID: "sum-abandoned", Value: itoa(gaveUp), Label: "gave up", Note: "hung up before any help"},
	}
	w := p.Waits(lang)
	if m, ok := w.Median(); ok {
		v, _ := w.P90()
		figs = append(figs, figure{ID: "sum-toperson", Value: num(m, true) + " s", Label: "median time to a person",
			Note: fmt.Sprintf("9 in 10 within %d s", v)})
	} else {
		figs = append(figs, figure{ID: "sum-toperson", Value: "–", Label: "median time to a person", Note: "nobody reached a person yet"})
	}
	on, late := p.Total(reports.FirstOnTime), p.Total(reports.FirstLate)
	mOn := p.Sum(func(d reports.Day) int64 { on, _ := d.MissedCalledBack(lang); return on })
	mLate := p.Sum(func(d reports.Day) int64 { _, late := d.MissedCalledBack(lang); return late })
	figs = append(figs,
		figure{ID: "sum-ontime", Value: or(percent(on, on+late), "–"), Label: "call-backs on time",
			Note: fmt.Sprintf("%d of %d; missed calls %d of %d", on, on+late, mOn, mOn+mLate)},
		figure{ID: "overdue-now", Value: strconv.Itoa(overdue), Label: "overdue now", Note: "waiting past the deadline"},
	)
	return figs
}

func or(s, instead string) string {
	if s == "" {
		return instead
	}
	return s
}

// reportDays reads ?days=, one of 7, 30 and 90.
func reportDays(c echo.Context) (int, error) {
	switch v := c.QueryParam("days"); v {
	case "", "7":
		return 7, nil
	case "30", "90":
		n, _ := strconv.Atoi(v)
		return n, nil
	}
	return 0, echo.NewHTTPError(http.StatusBadRequest, "days must be 7, 30 or 90")
}

// reportLang reads ?lang=: "" for every language, else the line's own
// language or one of its others.
func reportLang(c echo.Context, l *routing.Line) (code, name string, err error) {
	v := c.QueryParam("lang")
	if v == "" {
		return "", "", nil
	}
	if v == l.LanguageCode {
		return v, l.LanguageName, nil
	}
	for _, lang := range l.Languages {
		if lang.Code == v {
			return v, lang.Name, nil
		}
	}
	return "", "", echo.NewHTTPError(http.StatusBadRequest, "no such language")
}

// requireAdmin refuses, with why, a signed-in person who is not an admin.
func (x *Console) requireAdmin(c echo.Context, why string) error {
	ctx, cancel := x.ctx(c)
	defer cancel()
	acct, err := x.d.Staff.Get(ctx, session(c).Name)
	if err != nil {
		return x.unavailable(c, err)
	}
	if !acct.Admin {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	return nil
}

// readReports is what both report pages start with: an admin, a period
// of 7, 30 or 90 days and a language, the counts, and the requests
// overdue now; then the view both render.
func (x *Console) readReports(c echo.Context) (*reportView, error) {
	if x.d.Reports == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "reports are not configured")
	}
	if err := x.requireAdmin(c, "the reports are for admins"); err != nil {
		return nil, err
	}
	days, err := reportDays(c)
	if err != nil {
		return nil, err
	}
	line, now := x.d.Line(), x.d.Now()
	lang, langName, err := reportLang(c, line)
	if err != nil {
		return nil, err
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	period, err := x.d.Reports.Read(ctx, days, now)
	if err != nil {
		return nil, x.unavailable(c, err)
	}
	pending, _, err := x.d.Queue.List(ctx, callback.StatusPending, 200, "")
	if err != nil {
		return nil, x.unavailable(c, err)
	}
	overdue := 0
	for _, r := range pending {
		if line.Overdue(r.CreatedAt, now) {
			overdue++
		}
	}
	query := func(d int, l string) string {
		q := fmt.Sprintf("days=%d", d)
		if l != "" {
			q += "&lang=" + l
		}
		return q
	}
	v := &reportView{Days: days, Lang: lang, LangName: langName, CSVHref: "/staff/reports.csv?" + query(days, lang)}
	for _, d := range []int{7, 30, 90} {
		v.Periods = append(v.Periods, choice{Name: fmt.Sprintf("%d days", d), Href: "/staff/reports?" + query(d, lang), Current: d == days})
	}
	v.Langs = append(v.Langs, choice{Name: "All", Href: "/staff/reports?" + query(days, ""), Current: lang == ""})
	choices := []routing.Language{{Code: line.LanguageCode, Name: line.LanguageName}}
	choices = append(choices, line.Languages...)
	for _, l := range choices {
		v.Langs = append(v.Langs, choice{Name: l.Name, Href: "/staff/reports?" + query(days, l.Code), Current: l.Code == lang})
	}
	v.Summary = reportSummary(period, lang, overdue)
	v.Charts = reportCharts(period, lang, langName, overdue)
	return v, nil
}

// ReportsPage answers GET /staff/reports?days=7|30|90&lang= (admins).
func (x *Console) ReportsPage(c echo.Context) error {
	v, err := x.readReports(c)
	if err != nil {
		return err
	}
	p := x.base(c, "How the line is doing")
	v.Deadline = p.Deadline
	p.Report = v
	return x.render(c, http.StatusOK, "reports.html", p)
}

// CSVHeader is the first row of the reports CSV: "Day", then every
// column of the page's tables in page order, in the page's words.
func (v *reportView) CSVHeader() []string {
	h := []string{"Day"}
	for _, ch := range v.Charts {
		h = append(h, ch.Columns...)
	}
	return h
}

// ReportsCSV answers GET /staff/reports.csv?days=&lang=: the page's
// tables side by side, a row per day (dates as YYYY-MM-DD).
func (x *Console) ReportsCSV(c echo.Context) error {
	v, err := x.readReports(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	name := fmt.Sprintf("switchboard-report-%ddays", v.Days)
	if v.Lang != "" {
		name += "-" + v.Lang
	}
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(v.CSVHeader())
	if len(v.Charts) > 0 {
		for i, r := range v.Charts[0].Rows {
			row := []string{r.Date}
			for _, ch := range v.Charts {
				for _, cl := range ch.Rows[i].Cells {
					row = append(row, cl.Value)
				}
			}
			_ = w.Write(row)
		}
	}
	w.Flush()
	return w.Error()
}
