package report

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"strings"
	"time"
)

// The page's parts, embedded so the report is one file that fetches
// nothing: it opens from an S3 object or a ticket attachment.
var (
	//go:embed html/report.html.tmpl
	htmlPage string
	//go:embed html/report.css
	htmlCSS string
	//go:embed html/report.js
	htmlJS string

	htmlTemplate = template.Must(template.New("report").Parse(htmlPage))
)

// htmlData is the report as the page reads it, embedded once: every string
// once in S, and each resource a row of indexes into it, so 20,000
// resources stay a few megabytes and the page renders only what is on
// screen.
type htmlData struct {
	SweepID  string   `json:"sweepId"`
	Started  string   `json:"started"` // the sweep's start (its ID may name the event after it)
	Mode     string   `json:"mode"`
	Duration string   `json:"duration"`
	States   []Bucket `json:"states"`
	S        []string `json:"s"`
	// Items: [account, region, notCovered (0|1), error, counts by state...].
	Items [][]int `json:"items"`
	// R: [account, region, kind, name, state, engine, group, reason,
	// rebootAt, window, outcome, checks], checks [[name, verdict, detail]]
	// with verdict 0 fail, 1 pass, 2 pending; strings as indexes into S
	// ("" is index 0).
	R [][]any `json:"r"`
}

type interner struct {
	idx map[string]int
	s   []string
}

func (in *interner) of(s string) int {
	if i, ok := in.idx[s]; ok {
		return i
	}
	in.idx[s] = len(in.s)
	in.s = append(in.s, s)
	return len(in.s) - 1
}

func pageData(r Report) htmlData {
	in := &interner{idx: map[string]int{}}
	in.of("")
	started := r.SweepID
	if t := r.start(); !t.IsZero() {
		started = t.UTC().Format(time.RFC3339)
	}
	d := htmlData{SweepID: r.SweepID, Started: started, Mode: string(r.Mode), Duration: r.Duration.Round(time.Millisecond).String(), States: Buckets,
		Items: [][]int{}, R: [][]any{}}
	for _, it := range r.sorted() {
		nc := 0
		if it.NotCovered {
			nc = 1
		}
		row := []int{in.of(it.Account), in.of(it.Region), nc, in.of(it.Error)}
		for _, b := range Buckets {
			row = append(row, it.Counts[b])
		}
		d.Items = append(d.Items, row)
		for _, f := range it.Resources {
			checks := [][]int{}
			for _, c := range f.Checks {
				v := 0
				switch {
				case c.Pending:
					v = 2
				case c.Passed:
					v = 1
				}
				checks = append(checks, []int{in.of(c.Name), v, in.of(c.Detail)})
			}
			reboot := ""
			if f.RebootAt != nil {
				reboot = f.RebootAt.UTC().Format("2006-01-02 15:04Z")
			}
			d.R = append(d.R, []any{in.of(f.Account), in.of(f.Region), in.of(typeOf(f.Kind)), in.of(f.Instance), in.of(string(f.Bucket)),
				in.of(f.res.Engine), in.of(f.res.Group), in.of(f.Reason), in.of(reboot), in.of(f.res.Window), in.of(string(f.Outcome)), checks})
		}
	}
	d.S = in.s
	return d
}

// HTML writes the report as one self-contained page (inline CSS, script
// and SVG; no request leaves it): coverage, totals by state, a heatmap of
// accounts by regions, resources by engine and type, the reboots due, every
// resource in a table that sorts and filters, and each failing check's
// evidence. The data is embedded once as JSON and rendered by the script.
func HTML(w io.Writer, r Report) error {
	// encoding/json escapes <, > and & (and U+2028/9), so no resource
	// name or tag can close the script element the data sits in.
	data, err := json.Marshal(pageData(r))
	if err != nil {
		return err
	}
	title := "forcessl: TLS on Amazon RDS, sweep of " + r.SweepID
	var b strings.Builder
	if err := htmlTemplate.Execute(&b, map[string]any{
		"Title": title,
		"CSS":   template.CSS(htmlCSS),
		"JS":    template.JS(htmlJS),
		"Data":  template.JS(data),
		"Kinds": Kinds(r.KindTotals()),
	}); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}
