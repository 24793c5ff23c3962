package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/reports"
)

// reportView is the reports page: one chart and table per figure.
type reportView struct {
	Days     int
	Periods  []int
	Charts   []chart
	Overdue  int
	Median   string // over the period
	OnTime   string // "12 of 14 (86%)"
	CSVHref  string
	Deadline string
	// Outcomes is the table of calls by outcome and of callers who gave
	// up, by stage, per day and language; its column names are the CSV's.
	Outcomes outcomeTable
}

// outcomeTable is a per-day table of the reports' outcome and gave-up
// counters (reports.Period.Breakdown).
type outcomeTable struct {
	Columns []string
	Rows    []outcomeRow
	Totals  []int64
}

type outcomeRow struct {
	Date   string
	Values []int64
}

func newOutcomeTable(p reports.Period) outcomeTable {
	t := outcomeTable{Columns: p.Breakdown()}
	for _, k := range t.Columns {
		t.Totals = append(t.Totals, p.Total(k))
	}
	for _, d := range p.Days {
		row := outcomeRow{Date: d.Date}
		for _, k := range t.Columns {
			row.Values = append(row.Values, d.Counts[k])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// chart is a server-rendered SVG bar chart of one daily figure.
type chart struct {
	ID, Title, Total string
	Bars             []bar
	Max              string
	First, Last      string // the dates at either end
	Rows             []chartRow
}

type bar struct {
	X, Y, W, H float64
	Label      string // for the <title> of the bar: "2026-12-01: 4"
}

type chartRow struct{ Date, Value string }

// reportFigures are the daily figures, in page order.
var reportFigures = []struct{ counter, title string }{
	{reports.Calls, "Calls answered by the line"},
	{reports.Rang, "Calls that reached a ring group"},
	{reports.Answered, "Answered by a member"},
	{reports.Unanswered, "Declined or unanswered, offered a callback"},
	{reports.Requests, "Callback requests created"},
	{reports.FirstOnTime, "First call-back attempts within the deadline"},
	{reports.FirstLate, "First call-back attempts after the deadline"},
}

// chartHeight and chartWidth are the SVG's own units (it scales to the page).
const chartHeight, chartWidth = 120.0, 600.0

func newChart(id, title string, values []float64, dates []string, format func(float64) string, total string) chart {
	c := chart{ID: id, Title: title, Total: total}
	peak := 0.0
	for _, v := range values {
		peak = max(peak, v)
	}
	c.Max = format(peak)
	if len(dates) > 0 {
		c.First, c.Last = dates[0], dates[len(dates)-1]
	}
	w := chartWidth / float64(max(1, len(values)))
	for i, v := range values {
		h := 0.0
		if peak > 0 {
			h = v / peak * (chartHeight - 10)
		}
		c.Bars = append(c.Bars, bar{X: float64(i)*w + w*0.1, Y: chartHeight - h, W: w * 0.8, H: h, Label: dates[i] + ": " + format(v)})
		c.Rows = append(c.Rows, chartRow{Date: dates[i], Value: format(v)})
	}
	return c
}

func count(v float64) string { return strconv.FormatInt(int64(v), 10) }
func hours(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " h" }

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
// of 7, 30 or 90 days, and its counts.
func (x *Console) readReports(c echo.Context) (int, reports.Period, error) {
	if x.d.Reports == nil {
		return 0, reports.Period{}, echo.NewHTTPError(http.StatusNotFound, "reports are not configured")
	}
	if err := x.requireAdmin(c, "the reports are for admins"); err != nil {
		return 0, reports.Period{}, err
	}
	days, err := reportDays(c)
	if err != nil {
		return 0, reports.Period{}, err
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	period, err := x.d.Reports.Read(ctx, days, x.d.Now())
	if err != nil {
		return 0, reports.Period{}, x.unavailable(c, err)
	}
	return days, period, nil
}

// ReportsPage answers GET /staff/reports?days=7|30|90 (admins).
func (x *Console) ReportsPage(c echo.Context) error {
	days, period, err := x.readReports(c)
	if err != nil {
		return err
	}
	p := x.base(c, "How the line is doing")
	ctx, cancel := x.ctx(c)
	defer cancel()
	v := &reportView{Days: days, Periods: []int{7, 30, 90}, CSVHref: fmt.Sprintf("/staff/reports.csv?days=%d", days), Deadline: p.Deadline}
	var dates []string
	for _, d := range period.Days {
		dates = append(dates, d.Date)
	}
	for _, f := range reportFigures {
		var values []float64
		for _, d := range period.Days {
			values = append(values, float64(d.Counts[f.counter]))
		}
		v.Charts = append(v.Charts, newChart(f.counter, f.title, values, dates, count, count(float64(period.Total(f.counter)))))
	}
	var medians []float64
	for _, d := range period.Days {
		m, _ := d.MedianHours()
		medians = append(medians, m)
	}
	v.Median = "no first attempts yet"
	if m, ok := period.MedianFirstHours(); ok {
		v.Median = hours(m)
	}
	v.Charts = append(v.Charts, newChart("median", "Median office hours to the first call-back attempt", medians, dates, hours, v.Median))
	on, late := period.Total(reports.FirstOnTime), period.Total(reports.FirstLate)
	v.OnTime = "none yet"
	if on+late > 0 {
		v.OnTime = fmt.Sprintf("%d of %d (%d%%)", on, on+late, on*100/(on+late))
	}
	pending, _, err := x.d.Queue.List(ctx, callback.StatusPending, 200, "")
	if err != nil {
		return x.unavailable(c, err)
	}
	line, now := x.d.Line(), x.d.Now()
	for _, r := range pending {
		if line.Overdue(r.CreatedAt, now) {
			v.Overdue++
		}
	}
	v.Outcomes = newOutcomeTable(period)
	p.Report = v
	return x.render(c, http.StatusOK, "reports.html", p)
}

// ReportsCSV answers GET /staff/reports.csv?days=: the same figures, a row
// per day.
func (x *Console) ReportsCSV(c echo.Context) error {
	days, period, err := x.readReports(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="switchboard-report-%ddays.csv"`, days))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	breakdown := period.Breakdown()
	_ = w.Write(append(append(append([]string{"date"}, reports.Counters...), "median_hours_to_first_attempt"), breakdown...))
	for _, d := range period.Days {
		row := []string{d.Date}
		for _, k := range reports.Counters {
			row = append(row, strconv.FormatInt(d.Counts[k], 10))
		}
		m, ok := d.MedianHours()
		if ok {
			row = append(row, strconv.FormatFloat(m, 'f', 2, 64))
		} else {
			row = append(row, "")
		}
		for _, k := range breakdown {
			row = append(row, strconv.FormatInt(d.Counts[k], 10))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return w.Error()
}
